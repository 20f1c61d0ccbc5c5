/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain_def → the VmConfig body of skiff's vm.create (Cloud Hypervisor's
 * JSON shape, as backend/api/vmconfig-json.c reads it). What the backend
 * cannot run yet is refused here, before skiff is even spawned, with the
 * element to change named in the message.
 */
#include "xml/domain-conf.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>

#include "api/vmconfig-json.h"
#include "xml/virt-error.h"

/* The backend's floor for memory.size. */
#define MIN_MEMORY_KIB (4 * 1024)

static int unsupported(GError **error, const char *msg)
{
    virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED, "%s", msg);
    return -1;
}

/* What this backend cannot run, first found first. */
static int check_runnable(const domain_def *def, GError **error)
{
    if (def->loader)
        return unsupported(error, _("firmware boot (<loader>) is not supported by this skiff yet"));
    if (!def->kernel)
        return unsupported(error, _("skiff needs <os><kernel> to boot the domain "
                                    "(firmware boot is not supported yet)"));
    if (def->disks && def->disks->len)
        return unsupported(error, _("disks are not supported by this skiff yet"));
    if (def->nets && def->nets->len)
        return unsupported(error, _("network interfaces are not supported by this skiff yet"));
    if (def->memballoon_virtio)
        return unsupported(error, _("the virtio memory balloon is not supported by this skiff yet "
                                    "(use <memballoon model='none'/>)"));
    if (def->has_console && def->console_virtio)
        return unsupported(error, _("virtio consoles are not supported by this skiff yet "
                                    "(use <target type='serial'/>)"));
    if (def->memory_kib < MIN_MEMORY_KIB) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("skiff needs at least %d KiB of memory, <memory> is %" PRIu64 " KiB"),
                       MIN_MEMORY_KIB, def->memory_kib);
        return -1;
    }
    return 0;
}

char *domain_def_to_vm_config_json(const domain_def *def, GError **error)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GError) invalid = NULL;
    /* The backend wants whole pages; the maximum, since there is no balloon
     * yet to give the guest less. DOMAIN_MEMORY_MAX_KIB keeps this in range. */
    struct vm_config cfg = {
        .kernel = def->kernel,
        .initramfs = def->initrd,
        .cmdline = def->cmdline,
        .boot_vcpus = def->vcpus_current,
        .max_vcpus = def->vcpus_max,
        .memory_size = (def->memory_kib * 1024 + 4095) & ~(uint64_t)4095,
        /* A pty console on the serial target is the serial port itself. */
        .serial = { .backend = def->has_serial ? CHAR_PTY : CHAR_NULL },
        .console = { .backend = CHAR_OFF },
        /* <rng model='virtio'><backend model='random'>SOURCE</backend></rng> */
        .rng = { .src = def->has_rng ? def->rng_source : NULL },
    };

    if (check_runnable(def, error) < 0)
        return NULL;
    /* The backend's own checks and its own writer: one VmConfig shape. */
    if (vm_config_validate(&cfg, &invalid) < 0) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED, "%s", invalid->message);
        return NULL;
    }
    root = vm_config_to_json(&cfg);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    return json_generator_to_data(gen, NULL);
}
