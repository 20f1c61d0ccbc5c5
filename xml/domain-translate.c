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
    if (def->has_rng)
        return unsupported(error, _("rng devices are not supported by this skiff yet"));
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

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

static void add_int(JsonBuilder *b, const char *name, int64_t value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

static void add_mode(JsonBuilder *b, const char *name, const char *mode)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    add_string(b, "mode", mode);
    json_builder_end_object(b);
}

char *domain_def_to_vm_config_json(const domain_def *def, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    /* The backend wants whole pages; the maximum, since there is no balloon
     * yet to give the guest less. DOMAIN_MEMORY_MAX_KIB keeps this in range. */
    uint64_t size = (def->memory_kib * 1024 + 4095) & ~(uint64_t)4095;

    if (check_runnable(def, error) < 0)
        return NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "payload");
    json_builder_begin_object(b);
    add_string(b, "kernel", def->kernel);
    if (def->initrd)
        add_string(b, "initramfs", def->initrd);
    if (def->cmdline)
        add_string(b, "cmdline", def->cmdline);
    json_builder_end_object(b);

    json_builder_set_member_name(b, "cpus");
    json_builder_begin_object(b);
    add_int(b, "boot_vcpus", def->vcpus_current);
    add_int(b, "max_vcpus", def->vcpus_max);
    json_builder_end_object(b);

    json_builder_set_member_name(b, "memory");
    json_builder_begin_object(b);
    add_int(b, "size", (int64_t)size);
    json_builder_end_object(b);

    /* A pty console on the serial target is the serial port itself. */
    add_mode(b, "serial", def->has_serial ? "Pty" : "Null");
    add_mode(b, "console", "Off");
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    return json_generator_to_data(gen, NULL);
}
