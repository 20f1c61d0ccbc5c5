/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One VM's life: build it from the configuration (memory, irqchip, devices,
 * ACPI, kernel, vCPUs), run one thread per vCPU while the main thread serves
 * host I/O, pause and resume the vCPUs, report the first stop request to the
 * owner on the main thread, tear everything down.
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
#include "devices/virtio-blk.h"
#include "devices/virtio-console.h"
#include "devices/virtio-net.h"
#include "devices/virtio-rng.h"
#include "vmm/chardev.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/msi.h"
#include "vmm/vcpu.h"

struct vm {
    const struct hv_ops *ops;
    hv *hv;
    hv_vm *hv_vm;
    msi_router *msi;           /* created with the first MSI source */
    const struct vm_config *cfg;
    guest_mem *mem;
    iobus *pio;
    iobus *mmio;
    GPtrArray *vcpus;          /* vcpu */
    int stop_reason;           /* atomic enum vm_stop_reason */
    int stop_fd;               /* eventfd: wakes the main loop on a stop request */
    GSource *stop_source;
    vm_stopped_fn on_stop;
    void *on_stop_opaque;
    struct vm_persist *persist;
    char *crash_reason;        /* first unsupported guest behaviour, for events */
    GMutex pause_lock;         /* protects the four below */
    GCond pause_cond;
    bool pause_requested;
    unsigned paused_vcpus;
    unsigned active_vcpus;     /* started and not yet exited */
    bool started;
    int pio_exits;             /* atomic counters for vm.counters */
    int mmio_exits;
    GMainContext *ctx;
    chardev *serial_chardev;
    serial *serial;
    i8042 *i8042;
    rtc *rtc;
    pci_host *pci;
    acpi_pm *acpi_pm;
    acpi_ged *acpi_ged;
    virtio_rng *rng;
    virtio_blk *blk[VM_CONFIG_MAX_DISKS];
    virtio_net *net[VM_CONFIG_MAX_NETS];
    virtio_console *console;
    unsigned next_pci_slot;    /* virtio endpoints: 00:01.0 on */
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
    /* Paused vCPUs wait on the condition, running ones in the hypervisor. */
    g_mutex_lock(&vm->pause_lock);
    g_cond_broadcast(&vm->pause_cond);
    g_mutex_unlock(&vm->pause_lock);
    for (guint i = 0; vm->vcpus && i < vm->vcpus->len; i++)
        vcpu_kick(g_ptr_array_index(vm->vcpus, i));
    if (write(vm->stop_fd, &one, sizeof(one)) < 0)
        log_debug("stop eventfd: %s", g_strerror(errno));
}

void vm_note_crash(vm *vm, const char *reason)
{
    g_mutex_lock(&vm->pause_lock);
    if (!vm->crash_reason)
        vm->crash_reason = g_strdup(reason);
    g_mutex_unlock(&vm->pause_lock);
}

const char *vm_crash_reason(vm *vm)
{
    return vm->crash_reason;
}

void vm_vcpu_pause_point(vm *vm)
{
    g_mutex_lock(&vm->pause_lock);
    if (vm->pause_requested && vm_stop_requested(vm) == VM_STOP_NONE) {
        vm->paused_vcpus++;
        g_cond_broadcast(&vm->pause_cond);
        while (vm->pause_requested && vm_stop_requested(vm) == VM_STOP_NONE)
            g_cond_wait(&vm->pause_cond, &vm->pause_lock);
        vm->paused_vcpus--;
    }
    g_mutex_unlock(&vm->pause_lock);
}

void vm_vcpu_exited(vm *vm)
{
    g_mutex_lock(&vm->pause_lock);
    vm->active_vcpus--;
    g_cond_broadcast(&vm->pause_cond);
    g_mutex_unlock(&vm->pause_lock);
}

int vm_pause(vm *vm, GError **error)
{
    g_mutex_lock(&vm->pause_lock);
    vm->pause_requested = true;
    g_mutex_unlock(&vm->pause_lock);
    for (guint i = 0; i < vm->vcpus->len; i++)
        vcpu_kick(g_ptr_array_index(vm->vcpus, i));
    g_mutex_lock(&vm->pause_lock);
    while (vm->paused_vcpus < vm->active_vcpus && vm_stop_requested(vm) == VM_STOP_NONE)
        g_cond_wait(&vm->pause_cond, &vm->pause_lock);
    g_mutex_unlock(&vm->pause_lock);
    if (vm_stop_requested(vm) != VM_STOP_NONE) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    _("the VM stopped while it was being paused"));
        return -1;
    }
    return 0;
}

void vm_resume(vm *vm)
{
    g_mutex_lock(&vm->pause_lock);
    vm->pause_requested = false;
    g_cond_broadcast(&vm->pause_cond);
    g_mutex_unlock(&vm->pause_lock);
}

const char *vm_serial_pty_path(vm *vm)
{
    return chardev_pty_path(vm->serial_chardev);
}

const char *vm_console_pty_path(vm *vm)
{
    return vm->console ? virtio_console_pty_path(vm->console) : NULL;
}

void vm_power_button(vm *vm)
{
    acpi_ged_power_button(vm->acpi_ged);
}

JsonNode *vm_counters(vm *vm)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "vcpus");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "pio_exits");
    json_builder_add_int_value(b, (unsigned)g_atomic_int_get(&vm->pio_exits));
    json_builder_set_member_name(b, "mmio_exits");
    json_builder_add_int_value(b, (unsigned)g_atomic_int_get(&vm->mmio_exits));
    json_builder_end_object(b);
    if (vm->serial) {
        json_builder_set_member_name(b, "serial");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "tx_dropped");
        json_builder_add_int_value(b, (gint64)serial_tx_dropped(vm->serial));
        json_builder_end_object(b);
    }
    if (vm->console) {
        json_builder_set_member_name(b, "console");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "tx_dropped");
        json_builder_add_int_value(b, (gint64)virtio_console_tx_dropped(vm->console));
        json_builder_end_object(b);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(vm->net); i++) {
        if (vm->net[i])
            virtio_net_add_counters(vm->net[i], b);     /* "net0": {...} */
    }
    json_builder_end_object(b);
    return json_builder_get_root(b);
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

int vm_register_ioeventfd(vm *vm, int fd, uint64_t addr, uint32_t len, GError **error)
{
    return vm->ops->vm_register_ioeventfd(vm->hv_vm, fd, addr, len, false, -1, error);
}

vm_msi *vm_msi_new(vm *vm, GError **error)
{
    if (!vm->msi)
        vm->msi = msi_router_new(vm->ops, vm->hv_vm);
    return msi_router_add(vm->msi, error);
}

guest_mem *vm_guest_mem(vm *vm)
{
    return vm->mem;
}

GMainContext *vm_main_context(vm *vm)
{
    return vm->ctx;
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

    g_atomic_int_inc(&vm->pio_exits);
    return iobus_dispatch(vm->pio, port, data, len, is_write);
}

static bool vm_mmio(void *opaque, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write)
{
    vm *vm = opaque;

    g_atomic_int_inc(&vm->mmio_exits);
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
    if (!vm->persist->serial) {
        vm->persist->serial = chardev_open(&vm->cfg->serial, "serial", error);
        if (!vm->persist->serial)
            return -1;
    }
    vm->serial_chardev = vm->persist->serial;
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

/* Endpoint n gets slot n + 1 (00:00.0 is the host bridge) and the n-th BAR-sized
 * block of the 32-bit window: firmware-style assignment the guest keeps. */
static int next_endpoint(vm *vm, unsigned *slot, uint64_t *bar, GError **error)
{
    unsigned n = vm->next_pci_slot;

    if (n + 1 >= PCI_MAX_DEVICES ||
        (uint64_t)(n + 1) * VIRTIO_PCI_BAR_SIZE > LAYOUT_PCI_MMIO32_SIZE) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("no free PCI slot"));
        return -1;
    }
    vm->next_pci_slot++;
    *slot = n + 1;
    *bar = LAYOUT_PCI_MMIO32_BASE + (uint64_t)n * VIRTIO_PCI_BAR_SIZE;
    return 0;
}

static int add_virtio_rng(vm *vm, GError **error)
{
    const struct rng_config *c = &vm->cfg->rng;
    unsigned slot;
    uint64_t bar;

    if (!c->src)
        return 0;
    if (next_endpoint(vm, &slot, &bar, error) < 0)
        return -1;
    vm->rng = virtio_rng_create(vm, vm->pci, slot, bar,
                                c->id ? c->id : VM_CONFIG_DEFAULT_RNG_ID, c->src, error);
    return vm->rng ? 0 : -1;
}

static int add_virtio_blk(vm *vm, GError **error)
{
    for (unsigned i = 0; i < vm->cfg->n_disks; i++) {
        unsigned slot;
        uint64_t bar;

        if (next_endpoint(vm, &slot, &bar, error) < 0)
            return -1;
        vm->blk[i] = virtio_blk_create(vm, vm->pci, slot, bar, &vm->cfg->disks[i], error);
        if (!vm->blk[i])
            return -1;
    }
    return 0;
}

static int add_virtio_net(vm *vm, GError **error)
{
    for (unsigned i = 0; i < vm->cfg->n_nets; i++) {
        unsigned slot;
        uint64_t bar;

        if (next_endpoint(vm, &slot, &bar, error) < 0)
            return -1;
        vm->net[i] = virtio_net_create(vm, vm->pci, slot, bar, &vm->cfg->nets[i], error);
        if (!vm->net[i])
            return -1;
    }
    return 0;
}

static int add_virtio_console(vm *vm, GError **error)
{
    unsigned slot;
    uint64_t bar;

    if (vm->cfg->console.backend == CHAR_OFF)
        return 0;
    if (next_endpoint(vm, &slot, &bar, error) < 0)
        return -1;
    if (!vm->persist->console) {
        /* "console" names the pty in skiff's log: "console: pty /dev/pts/N". */
        vm->persist->console = chardev_open(&vm->cfg->console, "console", error);
        if (!vm->persist->console)
            return -1;
    }
    vm->console = virtio_console_create(vm, vm->pci, slot, bar, VM_CONFIG_CONSOLE_ID,
                                        vm->persist->console, error);
    return vm->console ? 0 : -1;
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
    { "virtio-rng", add_virtio_rng },
    { "virtio-console", add_virtio_console },
    { "virtio-blk", add_virtio_blk },
    { "virtio-net", add_virtio_net },
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
    if (vm->stop_source) {
        g_source_destroy(vm->stop_source);
        g_source_unref(vm->stop_source);
    }
    if (vm->vcpus)
        g_ptr_array_unref(vm->vcpus);
    acpi_ged_free(vm->acpi_ged);
    acpi_pm_free(vm->acpi_pm);
    for (unsigned i = 0; i < G_N_ELEMENTS(vm->net); i++)
        virtio_net_free(vm->net[i]);
    for (unsigned i = 0; i < G_N_ELEMENTS(vm->blk); i++)
        virtio_blk_free(vm->blk[i]);
    virtio_console_free(vm->console);
    virtio_rng_free(vm->rng);
    pci_host_free(vm->pci);
    msi_router_free(vm->msi);
    rtc_free(vm->rtc);
    i8042_free(vm->i8042);
    serial_free(vm->serial);
    chardev_detach(vm->serial_chardev);
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
    g_mutex_clear(&vm->pause_lock);
    g_cond_clear(&vm->pause_cond);
    g_free(vm->crash_reason);
    g_free(vm);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vm, vm_free)

static gboolean on_stop_event(gint fd, GIOCondition cond, gpointer data)
{
    vm *vm = data;
    uint64_t n;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        log_debug("stop eventfd: %s", g_strerror(errno));
    /* Once: the owner will destroy the VM, this source with it. */
    g_source_unref(vm->stop_source);
    vm->stop_source = NULL;
    if (vm->on_stop)
        vm->on_stop(vm->on_stop_opaque, vm_stop_requested(vm));
    return G_SOURCE_REMOVE;
}

void vm_persist_clear(struct vm_persist *p)
{
    chardev_free(p->serial);
    chardev_free(p->console);
    memset(p, 0, sizeof(*p));
}

vm *vm_new(const struct vm_config *cfg, struct vm_persist *persist, GMainContext *ctx,
           vm_stopped_fn on_stop, void *opaque, GError **error)
{
    g_autoptr(vm) vm = g_new0(struct vm, 1);
    struct boot_info boot;
    g_autoptr(GArray) cpuid = NULL;

    g_mutex_init(&vm->pause_lock);
    g_cond_init(&vm->pause_cond);
    vm->persist = persist;
    vm->on_stop = on_stop;
    vm->on_stop_opaque = opaque;
    vm->cfg = cfg;
    vm->ops = hv_kvm_ops();
    vm->pio = iobus_new("I/O port");
    vm->mmio = iobus_new("MMIO");
    vm->ctx = g_main_context_ref(ctx);
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

int vm_start(vm *vm, GError **error)
{
    vm->stop_source = g_unix_fd_source_new(vm->stop_fd, G_IO_IN);
    g_source_set_callback(vm->stop_source, G_SOURCE_FUNC(on_stop_event), vm, NULL);
    g_source_attach(vm->stop_source, vm->ctx);

    log_info(_("starting %u vCPU(s), %" PRIu64 " MiB"), vm->vcpus->len,
             vm->cfg->memory_size >> 20);
    vm->started = true;
    for (guint i = 0; i < vm->vcpus->len; i++) {
        g_mutex_lock(&vm->pause_lock);
        vm->active_vcpus++;
        g_mutex_unlock(&vm->pause_lock);
        if (vcpu_start(g_ptr_array_index(vm->vcpus, i), error) < 0) {
            vm_vcpu_exited(vm);
            vm_request_stop(vm, VM_STOP_ERROR);
            return -1;
        }
    }
    return 0;
}

void vm_destroy(vm *vm)
{
    if (!vm)
        return;
    vm_request_stop(vm, VM_STOP_HOST);
    for (guint i = 0; vm->vcpus && i < vm->vcpus->len; i++)
        vcpu_join(g_ptr_array_index(vm->vcpus, i));
    if (vm->rtc && vm->persist) {
        rtc_save_nvram(vm->rtc, vm->persist->cmos);
        vm->persist->cmos_valid = true;
    }
    log_info(_("VM stopped: %s"), vm_stop_reason_name(vm_stop_requested(vm)));
    vm_free(vm);
}

const char *vm_stop_reason_name(enum vm_stop_reason reason)
{
    switch (reason) {
    case VM_STOP_NONE: return "running";
    case VM_STOP_POWEROFF: return "power off";
    case VM_STOP_RESET: return "reset";
    case VM_STOP_ERROR: return "error";
    case VM_STOP_HOST: return "stopped by the host";
    }
    return "?";
}
