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
    if (def->memballoon_virtio)
        return unsupported(error, _("the virtio memory balloon is not supported by this skiff yet "
                                    "(use <memballoon model='none'/>)"));
    if (def->memory_kib < MIN_MEMORY_KIB) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("skiff needs at least %d KiB of memory, <memory> is %" PRIu64 " KiB"),
                       MIN_MEMORY_KIB, def->memory_kib);
        return -1;
    }
    return 0;
}

/* The caller's strings are borrowed: cfg is never cleared. */
static void add_disks(struct vm_config *cfg, const domain_def *def)
{
    for (guint i = 0; i < def->disks->len; i++) {
        const struct domain_disk *d = g_ptr_array_index(def->disks, i);
        struct disk_config *c = &cfg->disks[cfg->n_disks++];

        disk_config_init(c);
        c->path = d->source;
        c->id = d->target_dev;
        c->serial = d->serial;
        c->readonly = d->readonly;
        /* Only the page cache is the mode's to choose (see domain-conf.h). */
        c->direct = d->cache == DOMAIN_DISK_CACHE_NONE || d->cache == DOMAIN_DISK_CACHE_DIRECTSYNC;
        if (d->queues)
            c->num_queues = d->queues;
        if (d->queue_size)
            c->queue_size = d->queue_size;
    }
}

static void add_nets(struct vm_config *cfg, const domain_def *def, char **ids)
{
    for (guint i = 0; i < def->nets->len; i++) {
        const struct domain_net *n = g_ptr_array_index(def->nets, i);
        struct net_config *c = &cfg->nets[cfg->n_nets++];

        net_config_init(c);
        c->tap = n->target_dev;
        /* The parser wrote it, always in this form. */
        vm_config_parse_mac(n->mac, c->mac);
        c->mtu = n->mtu;
        /* libvirt counts queue pairs, VmConfig queues. */
        if (n->queues)
            c->num_queues = 2 * n->queues;
        ids[i] = g_strdup_printf("net%u", i);
        c->id = ids[i];
    }
}

char *domain_def_to_vm_config_json(const domain_def *def, GError **error)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GError) invalid = NULL;
    g_auto(GStrv) net_ids = NULL;
    /* On the heap: VmConfig's device arrays make it large. */
    g_autofree struct vm_config *cfg = g_new0(struct vm_config, 1);

    if (check_runnable(def, error) < 0)
        return NULL;
    /* The parser keeps within skiff's limits; this keeps the arrays safe. */
    if (def->disks->len > VM_CONFIG_MAX_DISKS || def->nets->len > VM_CONFIG_MAX_NETS) {
        virt_error_set(error, VIR_ERR_INTERNAL_ERROR, _("too many disks or interfaces"));
        return NULL;
    }
    *cfg = (struct vm_config){
        .kernel = def->kernel,
        .initramfs = def->initrd,
        .cmdline = def->cmdline,
        .boot_vcpus = def->vcpus_current,
        .max_vcpus = def->vcpus_max,
        /* The backend wants whole pages; the maximum, since there is no
         * balloon yet to give the guest less. DOMAIN_MEMORY_MAX_KIB keeps
         * this in range. */
        .memory_size = (def->memory_kib * 1024 + 4095) & ~(uint64_t)4095,
        /* A pty console on the serial target is the serial port itself. */
        .serial = { .backend = def->has_serial ? CHAR_PTY : CHAR_NULL },
        .console = { .backend = def->has_virtio_console ? CHAR_PTY : CHAR_OFF },
        /* <rng model='virtio'><backend model='random'>SOURCE</backend></rng> */
        .rng = { .src = def->has_rng ? def->rng_source : NULL,
                 .id = def->has_rng ? (char *)VM_CONFIG_DEFAULT_RNG_ID : NULL },
    };
    net_ids = g_new0(char *, def->nets->len + 1);
    add_disks(cfg, def);
    add_nets(cfg, def, net_ids);

    /* The backend's own checks and its own writer: one VmConfig shape. The
     * ids are all given here, so assigning them only checks them. */
    if (vm_config_validate(cfg, &invalid) < 0 || vm_config_assign_ids(cfg, &invalid) < 0) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED, "%s", invalid->message);
        return NULL;
    }
    root = vm_config_to_json(cfg);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    return json_generator_to_data(gen, NULL);
}
