/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One VM's life: build it from the configuration (memory, irqchip, devices,
 * ACPI, kernel, vCPUs), run one thread per vCPU while the main thread serves
 * host I/O, stop on the first stop request, tear everything down.
 */
#include "vmm/vmm.h"

#include <inttypes.h>
#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/e820.h"
#include "arch/x86_64/layout.h"
#include "devices/absent.h"
#include "devices/acpi-ged.h"
#include "devices/acpi-pm.h"
#include "devices/i8042.h"
#include "devices/pci-host.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "vmm/chardev.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"

struct vm {
    const struct hv_ops *ops;
    hv *hv;
    hv_vm *hv_vm;
    const struct vm_config *cfg;
    guest_mem *mem;
    iobus *pio;
    iobus *mmio;
    GPtrArray *vcpus;          /* vcpu */
    int stop_reason;           /* atomic enum vm_stop_reason */
    int stop_fd;               /* eventfd: wakes the main loop on a stop request */
    GMainContext *ctx;
    chardev *serial_chardev;
    serial *serial;
    i8042 *i8042;
    rtc *rtc;
    pci_host *pci;
    acpi_pm *acpi_pm;
    acpi_ged *acpi_ged;
};

int vm_register_pio(vm *vm, uint16_t base, uint16_t len, const char *owner, io_handler_fn fn,
                    void *opaque, GError **error)
{
    return iobus_register(vm->pio, base, len, owner, fn, opaque, error);
}

int vm_register_mmio(vm *vm, uint64_t base, uint64_t len, const char *owner, io_handler_fn fn,
                     void *opaque, GError **error)
{
    return iobus_register(vm->mmio, base, len, owner, fn, opaque, error);
}

void vm_request_stop(vm *vm, enum vm_stop_reason reason)
{
    uint64_t one = 1;

    if (!g_atomic_int_compare_and_exchange(&vm->stop_reason, VM_STOP_NONE, (int)reason))
        return;
    for (guint i = 0; vm->vcpus && i < vm->vcpus->len; i++)
        vcpu_kick(g_ptr_array_index(vm->vcpus, i));
    if (write(vm->stop_fd, &one, sizeof(one)) < 0)
        log_debug("stop eventfd: %s", g_strerror(errno));
}

enum vm_stop_reason vm_stop_requested(vm *vm)
{
    return (enum vm_stop_reason)g_atomic_int_get(&vm->stop_reason);
}

void vm_set_irq_line(vm *vm, uint32_t gsi, bool level)
{
    g_autoptr(GError) error = NULL;

    if (vm->ops->vm_set_irq_line(vm->hv_vm, gsi, level, &error) < 0)
        log_warning("%s", error->message);
}

guest_mem *vm_guest_mem(vm *vm)
{
    return vm->mem;
}

const struct hv_ops *vm_hv_ops(vm *vm)
{
    return vm->ops;
}

hv_vm *vm_hv_vm(vm *vm)
{
    return vm->hv_vm;
}

static bool vm_pio(void *opaque, uint16_t port, uint8_t *data, uint32_t len, bool is_write)
{
    vm *vm = opaque;

    return iobus_dispatch(vm->pio, port, data, len, is_write);
}

static bool vm_mmio(void *opaque, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write)
{
    vm *vm = opaque;

    return iobus_dispatch(vm->mmio, gpa, data, len, is_write);
}

static const struct hv_io_ops vm_io_ops = { .pio = vm_pio, .mmio = vm_mmio };

static size_t serial_deliver(void *opaque, const uint8_t *buf, size_t len)
{
    return serial_receive(opaque, buf, len);
}

static void serial_has_room(void *opaque)
{
    chardev_input_ready(opaque);
}

/* The legacy platform in a fixed order; each entry names what it adds. */
static int add_serial(vm *vm, GError **error)
{
    if (vm->cfg->serial.backend == CHAR_OFF)
        return absent_port_range_register(vm, LAYOUT_COM1_PORT, 8, "COM1 (--serial off)", error);
    vm->serial_chardev = chardev_open(&vm->cfg->serial, "serial", error);
    if (!vm->serial_chardev)
        return -1;
    vm->serial = serial_create(vm, LAYOUT_COM1_PORT, LAYOUT_COM1_GSI,
                               chardev_out_fd(vm->serial_chardev), error);
    if (!vm->serial)
        return -1;
    serial_set_rx_ready_notify(vm->serial, serial_has_room, vm->serial_chardev);
    chardev_attach(vm->serial_chardev, vm->ctx, serial_deliver, vm->serial);
    return 0;
}

static int add_i8042(vm *vm, GError **error)
{
    vm->i8042 = i8042_create(vm, error);
    return vm->i8042 ? 0 : -1;
}

static int add_rtc(vm *vm, GError **error)
{
    uint64_t below = MIN(vm->mem->ram_size, LAYOUT_MEM_32BIT_GAP);

    vm->rtc = rtc_create(vm, below, vm->mem->ram_size - below, error);
    return vm->rtc ? 0 : -1;
}

static int add_pci_host(vm *vm, GError **error)
{
    vm->pci = pci_host_create(vm, error);
    return vm->pci ? 0 : -1;
}

static int add_acpi_devices(vm *vm, GError **error)
{
    vm->acpi_pm = acpi_pm_create(vm, error);
    if (!vm->acpi_pm)
        return -1;
    vm->acpi_ged = acpi_ged_create(vm, error);
    return vm->acpi_ged ? 0 : -1;
}

static const struct {
    const char *name;
    int (*add)(vm *vm, GError **error);
} platform[] = {
    { "serial", add_serial },
    { "i8042", add_i8042 },
    { "rtc", add_rtc },
    { "pci-host", add_pci_host },
    { "acpi", add_acpi_devices },
    { "absent legacy ports", absent_ports_register },
};

static int map_memory(vm *vm, GError **error)
{
    const struct vm_config *cfg = vm->cfg;

    vm->mem = guest_mem_new(cfg->memory_size, cfg->memory_shared, cfg->memory_hugepages, error);
    if (!vm->mem)
        return -1;
    for (unsigned i = 0; i < vm->mem->n_regions; i++) {
        const struct guest_region *r = &vm->mem->regions[i];

        if (vm->ops->vm_map_memory(vm->hv_vm, i, r->gpa, r->size, r->host, error) < 0)
            return -1;
    }
    return 0;
}

static int load_guest(vm *vm, struct boot_info *boot, GError **error)
{
    struct acpi_config acpi = { .boot_cpus = vm->cfg->boot_vcpus, .max_cpus = vm->cfg->max_vcpus };
    struct e820_map e820;
    struct boot_config bc = {
        .kernel = vm->cfg->kernel, .initramfs = vm->cfg->initramfs,
        .cmdline = vm->cfg->cmdline, .e820 = &e820,
    };

    if (acpi_build_tables(vm->mem, &acpi, &bc.rsdp_gpa, error) < 0)
        return -1;
    e820_build(vm->mem, &e820);
    return boot_load(vm->mem, &bc, boot, error);
}

static void vm_free(vm *vm)
{
    if (!vm)
        return;
    if (vm->vcpus)
        g_ptr_array_unref(vm->vcpus);
    acpi_ged_free(vm->acpi_ged);
    acpi_pm_free(vm->acpi_pm);
    pci_host_free(vm->pci);
    rtc_free(vm->rtc);
    i8042_free(vm->i8042);
    serial_free(vm->serial);
    chardev_free(vm->serial_chardev);
    if (vm->hv_vm)
        vm->ops->vm_destroy(vm->hv_vm);
    guest_mem_free(vm->mem);
    if (vm->hv)
        vm->ops->close(vm->hv);
    iobus_free(vm->pio);
    iobus_free(vm->mmio);
    if (vm->stop_fd >= 0)
        close(vm->stop_fd);
    if (vm->ctx)
        g_main_context_unref(vm->ctx);
    g_free(vm);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vm, vm_free)

static vm *vm_build(const struct vm_config *cfg, const struct vm_persist *persist,
                    GError **error)
{
    g_autoptr(vm) vm = g_new0(struct vm, 1);
    struct boot_info boot;
    g_autoptr(GArray) cpuid = NULL;

    vm->cfg = cfg;
    vm->ops = hv_kvm_ops();
    vm->pio = iobus_new("I/O port");
    vm->mmio = iobus_new("MMIO");
    vm->ctx = g_main_context_new();
    vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (vm->stop_fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "eventfd: %s",
                    g_strerror(errno));
        return NULL;
    }
    if (vm->ops->open(&vm->hv, error) < 0)
        return NULL;
    if (cfg->max_vcpus > vm->ops->max_vcpus(vm->hv)) {
        g_set_error(error, HV_ERROR, EINVAL, _("--cpus: max=%u is more than %s allows (%u)"),
                    cfg->max_vcpus, vm->ops->name, vm->ops->max_vcpus(vm->hv));
        return NULL;
    }
    /* Memory before the irqchip: on some KVM hosts adding a memory slot to a VM
     * that already has an irqchip costs milliseconds, the other order microseconds. */
    if (vm->ops->vm_create(vm->hv, &vm->hv_vm, error) < 0 || map_memory(vm, error) < 0 ||
        vm->ops->vm_create_irqchip(vm->hv_vm, error) < 0)
        return NULL;
    log_debug("guest memory mapped");
    for (size_t i = 0; i < G_N_ELEMENTS(platform); i++) {
        if (platform[i].add(vm, error) < 0) {
            g_prefix_error(error, "%s: ", platform[i].name);
            return NULL;
        }
        log_debug("added %s", platform[i].name);
    }
    if (persist->cmos_valid)
        rtc_load_nvram(vm->rtc, persist->cmos);
    if (load_guest(vm, &boot, error) < 0)
        return NULL;
    log_debug("ACPI tables and kernel loaded");
    if (vm->ops->supported_cpuid(vm->hv, &cpuid, error) < 0)
        return NULL;
    vm->vcpus = g_ptr_array_new_with_free_func((GDestroyNotify)vcpu_free);
    for (unsigned i = 0; i < cfg->boot_vcpus; i++) {
        vcpu *v = vcpu_create(vm, i, cpuid, cfg->max_vcpus, &vm_io_ops, vm, error);

        if (!v)
            return NULL;
        g_ptr_array_add(vm->vcpus, v);
        if (i == 0 && vcpu_setup_boot(v, &boot, error) < 0)
            return NULL;
    }
    return g_steal_pointer(&vm);
}

static gboolean on_stop(gint fd, GIOCondition cond, gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

enum vm_stop_reason vm_run(const struct vm_config *cfg, struct vm_persist *persist,
                           GError **error)
{
    g_autoptr(vm) vm = vm_build(cfg, persist, error);
    g_autoptr(GMainLoop) loop = NULL;
    GSource *stop_source;
    enum vm_stop_reason reason;

    if (!vm)
        return VM_STOP_ERROR;
    loop = g_main_loop_new(vm->ctx, FALSE);
    stop_source = g_unix_fd_source_new(vm->stop_fd, G_IO_IN);
    g_source_set_callback(stop_source, G_SOURCE_FUNC(on_stop), loop, NULL);
    g_source_attach(stop_source, vm->ctx);
    g_source_unref(stop_source);

    log_info(_("starting %u vCPU(s), %" PRIu64 " MiB"), vm->vcpus->len,
             cfg->memory_size >> 20);
    for (guint i = 0; i < vm->vcpus->len; i++) {
        if (vcpu_start(g_ptr_array_index(vm->vcpus, i), error) < 0) {
            vm_request_stop(vm, VM_STOP_ERROR);
            break;
        }
    }
    g_main_loop_run(loop);
    reason = vm_stop_requested(vm);
    for (guint i = 0; i < vm->vcpus->len; i++)
        vcpu_join(g_ptr_array_index(vm->vcpus, i));
    rtc_save_nvram(vm->rtc, persist->cmos);
    persist->cmos_valid = true;
    log_info(_("VM stopped: %s"), reason == VM_STOP_POWEROFF ? "power off" :
             reason == VM_STOP_RESET ? "reset" : "error");
    return reason;
}
