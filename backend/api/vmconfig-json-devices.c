/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device lists of VmConfig: rng, disks, net. Same rules as the rest of
 * the document (vmconfig-json.c): every Cloud Hypervisor member is known, the
 * ones skiff does not implement are accepted only at their "not used" value.
 */
#include "api/vmconfig-json-devices.h"

#include <glib/gi18n.h>
#include <string.h>

#include "api/json-member.h"
#include "vmm/error.h"

static int invalid(GError **error, const char *parent, const char *name, const char *why)
{
    g_autofree char *path = jm_member_path(parent, name);

    /* TRANSLATORS: "disks[0].serial: at most 20 characters" */
    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("%s: %s"), path, why);
    return -1;
}

/* Cloud Hypervisor's RngConfig, plus skiff's device id (vm.info shows it). */
static const struct fixed_member rng_fixed[] = {
    { "iommu", ONLY_FALSE, NULL },
    { NULL, 0, NULL },
};

static int parse_rng(JsonObject *o, struct rng_config *out, GError **error)
{
    static const char *const handled[] = { "src", "id", NULL };
    g_autofree char *src = NULL;
    g_autofree char *id = NULL;

    if (jm_check_known(o, "rng", handled, rng_fixed, error) < 0)
        return -1;
    if (jm_get_string(o, "rng", "src", false, &src, error) < 0 ||
        jm_get_string(o, "rng", "id", false, &id, error) < 0)
        return -1;
    g_free(out->src);
    g_free(out->id);
    out->src = src ? g_steal_pointer(&src) : g_strdup(VM_CONFIG_DEFAULT_RNG_SRC);
    out->id = g_steal_pointer(&id);
    return jm_check_fixed(o, "rng", rng_fixed, error);
}

/* num_queues (1..max) and queue_size (a power of two), both optional. */
static int parse_queues(JsonObject *o, const char *name, unsigned *num_queues,
                        unsigned *queue_size, GError **error)
{
    gint64 nq = *num_queues, qs = *queue_size;
    bool present;

    if (jm_get_int(o, name, "num_queues", &nq, &present, error) < 0 ||
        jm_get_int(o, name, "queue_size", &qs, &present, error) < 0)
        return -1;
    if (nq < 1 || nq > VM_CONFIG_MAX_DEVICE_QUEUES) {
        g_autofree char *why = g_strdup_printf(_("must be between 1 and %d"),
                                               VM_CONFIG_MAX_DEVICE_QUEUES);
        return invalid(error, name, "num_queues", why);
    }
    if (qs < 2 || qs > VM_CONFIG_MAX_QUEUE_SIZE || (qs & (qs - 1))) {
        g_autofree char *why = g_strdup_printf(_("must be a power of two from 2 to %d"),
                                               VM_CONFIG_MAX_QUEUE_SIZE);
        return invalid(error, name, "queue_size", why);
    }
    *num_queues = (unsigned)nq;
    *queue_size = (unsigned)qs;
    return 0;
}

/* Cloud Hypervisor's DiskConfig: the members skiff implements; the rest only
 * at the value that means "not used". */
static const struct fixed_member disk_fixed[] = {
    { "iommu", ONLY_FALSE, NULL },
    { "vhost_user", ONLY_FALSE, NULL },
    { "vhost_socket", ONLY_NULL, NULL },
    { "rate_limit_group", ONLY_NULL, NULL },
    { "rate_limiter_config", ONLY_NULL, NULL },
    { "pci_segment", ONLY_ZERO, NULL },
    { "queue_affinity", ONLY_NULL, NULL },
    { "disable_aio", ONLY_FALSE, NULL },
    { NULL, 0, NULL },
};

static int parse_disk(JsonObject *o, const char *name, struct disk_config *out, GError **error)
{
    static const char *const handled[] = { "path", "readonly", "direct", "id", "serial",
                                           "num_queues", "queue_size", "disable_io_uring", NULL };

    if (jm_check_known(o, name, handled, disk_fixed, error) < 0)
        return -1;
    if (jm_get_string(o, name, "path", false, &out->path, error) < 0 ||
        jm_get_string(o, name, "id", false, &out->id, error) < 0 ||
        jm_get_string(o, name, "serial", false, &out->serial, error) < 0 ||
        jm_get_bool(o, name, "readonly", &out->readonly, error) < 0 ||
        jm_get_bool(o, name, "direct", &out->direct, error) < 0 ||
        jm_get_bool(o, name, "disable_io_uring", &out->disable_io_uring, error) < 0 ||
        parse_queues(o, name, &out->num_queues, &out->queue_size, error) < 0)
        return -1;
    if (!out->path)
        return jm_missing(name, "path", error);
    if (out->serial && strlen(out->serial) > VM_CONFIG_DISK_SERIAL_MAX)
        return invalid(error, name, "serial", _("at most 20 characters"));
    return jm_check_fixed(o, name, disk_fixed, error);
}

static const struct fixed_member net_fixed[] = {
    { "host_mac", ONLY_NULL, NULL },
    { "iommu", ONLY_FALSE, NULL },
    { "vhost_user", ONLY_FALSE, NULL },
    { "vhost_socket", ONLY_NULL, NULL },
    { "vhost_mode", ONLY_STRING, "Client" },
    /* Descriptors sent with the request (SCM_RIGHTS) are not read by skiff's server. */
    { "fds", ONLY_NULL, NULL },
    { "rate_limiter_config", ONLY_NULL, NULL },
    { "pci_segment", ONLY_ZERO, NULL },
    { NULL, 0, NULL },
};

static int parse_net(JsonObject *o, const char *name, struct net_config *out, GError **error)
{
    static const char *const handled[] = { "tap", "ip", "mask", "mac", "mtu", "num_queues",
                                           "queue_size", "id", "offload_tso", "offload_ufo",
                                           "offload_csum", NULL };
    g_autofree char *mac = NULL;
    gint64 mtu = 0;
    bool present;

    if (jm_check_known(o, name, handled, net_fixed, error) < 0)
        return -1;
    if (jm_get_string(o, name, "tap", false, &out->tap, error) < 0 ||
        jm_get_string(o, name, "ip", false, &out->ip, error) < 0 ||
        jm_get_string(o, name, "mask", false, &out->mask, error) < 0 ||
        jm_get_string(o, name, "mac", false, &mac, error) < 0 ||
        jm_get_string(o, name, "id", false, &out->id, error) < 0 ||
        jm_get_int(o, name, "mtu", &mtu, &present, error) < 0 ||
        jm_get_bool(o, name, "offload_tso", &out->offload_tso, error) < 0 ||
        jm_get_bool(o, name, "offload_ufo", &out->offload_ufo, error) < 0 ||
        jm_get_bool(o, name, "offload_csum", &out->offload_csum, error) < 0 ||
        parse_queues(o, name, &out->num_queues, &out->queue_size, error) < 0)
        return -1;
    if (jm_check_fixed(o, name, net_fixed, error) < 0)
        return -1;
    if (!out->tap)
        return jm_missing(name, "tap", error);
    if (strlen(out->tap) >= 16 || strchr(out->tap, '/'))
        return invalid(error, name, "tap", _("must be an interface name of at most 15 characters"));
    if (out->ip && !vm_config_is_ipv4(out->ip))
        return invalid(error, name, "ip", _("must be an IPv4 address"));
    if (out->mask && !vm_config_is_ipv4(out->mask))
        return invalid(error, name, "mask", _("must be an IPv4 address"));
    if (!out->ip != !out->mask)
        return invalid(error, name, out->ip ? "mask" : "ip", _("ip and mask go together"));
    if (mac && vm_config_parse_mac(mac, out->mac) < 0)
        return invalid(error, name, "mac", _("must be a unicast MAC like 52:54:00:12:34:56"));
    if (present && (mtu < VM_CONFIG_MIN_MTU || mtu > VM_CONFIG_MAX_MTU)) {
        g_autofree char *why = g_strdup_printf(_("must be between %d and %d"), VM_CONFIG_MIN_MTU,
                                               VM_CONFIG_MAX_MTU);
        return invalid(error, name, "mtu", why);
    }
    out->mtu = (unsigned)mtu;
    if (out->num_queues % 2)
        return invalid(error, name, "num_queues",
                       _("counts receive and transmit queues: must be even"));
    return 0;
}

/* "disks": [...] or "net": [...], each element parsed into slot i. */
static int parse_list(JsonObject *root, const char *list, unsigned max, unsigned *n,
                      int (*parse_one)(JsonObject *o, const char *name, unsigned i, void *cfg,
                                       GError **error),
                      void *cfg, GError **error)
{
    JsonNode *node = jm_member(root, list);
    JsonArray *a;

    if (!node)
        return 0;
    if (!JSON_NODE_HOLDS_ARRAY(node))
        return jm_wrong_type(NULL, list, _("an array"), error);
    a = json_node_get_array(node);
    if (json_array_get_length(a) > max) {
        g_autofree char *why = g_strdup_printf(_("at most %u entries"), max);

        return invalid(error, NULL, list, why);
    }
    for (unsigned i = 0; i < json_array_get_length(a); i++) {
        g_autofree char *name = g_strdup_printf("%s[%u]", list, i);
        JsonNode *e = json_array_get_element(a, i);

        if (!JSON_NODE_HOLDS_OBJECT(e))
            return jm_wrong_type(NULL, name, _("an object"), error);
        /* Counted first, so that a failure leaves the entry to vm_config_clear. */
        (*n)++;
        if (parse_one(json_node_get_object(e), name, i, cfg, error) < 0)
            return -1;
    }
    return 0;
}

static int parse_disk_at(JsonObject *o, const char *name, unsigned i, void *cfg, GError **error)
{
    struct disk_config *d = &((struct vm_config *)cfg)->disks[i];

    disk_config_init(d);
    return parse_disk(o, name, d, error);
}

static int parse_net_at(JsonObject *o, const char *name, unsigned i, void *cfg, GError **error)
{
    struct net_config *n = &((struct vm_config *)cfg)->nets[i];

    net_config_init(n);
    return parse_net(o, name, n, error);
}

int vmconfig_parse_devices(JsonObject *root, struct vm_config *cfg, GError **error)
{
    JsonObject *o;

    if (jm_get_object(root, NULL, "rng", &o, error) < 0 || (o && parse_rng(o, &cfg->rng, error) < 0))
        return -1;
    if (parse_list(root, "disks", VM_CONFIG_MAX_DISKS, &cfg->n_disks, parse_disk_at, cfg,
                   error) < 0 ||
        parse_list(root, "net", VM_CONFIG_MAX_NETS, &cfg->n_nets, parse_net_at, cfg, error) < 0)
        return -1;
    return vm_config_assign_ids(cfg, error);
}

static void add_queues(JsonBuilder *b, unsigned num_queues, unsigned queue_size)
{
    jm_add_int(b, "num_queues", num_queues);
    jm_add_int(b, "queue_size", queue_size);
}

static void add_disk(JsonBuilder *b, const struct disk_config *d)
{
    json_builder_begin_object(b);
    jm_add_string(b, "path", d->path);
    jm_add_bool(b, "readonly", d->readonly);
    jm_add_bool(b, "direct", d->direct);
    add_queues(b, d->num_queues, d->queue_size);
    if (d->disable_io_uring)
        jm_add_bool(b, "disable_io_uring", true);
    if (d->id)
        jm_add_string(b, "id", d->id);
    if (d->serial)
        jm_add_string(b, "serial", d->serial);
    json_builder_end_object(b);
}

static void add_net(JsonBuilder *b, const struct net_config *n)
{
    g_autofree char *mac = vm_config_format_mac(n->mac);

    json_builder_begin_object(b);
    if (n->tap)
        jm_add_string(b, "tap", n->tap);
    if (n->n_fds) {
        /* From the command line only: fd=N names descriptors skiff inherited. */
        json_builder_set_member_name(b, "fds");
        json_builder_begin_array(b);
        for (unsigned i = 0; i < n->n_fds; i++)
            json_builder_add_int_value(b, n->fds[i]);
        json_builder_end_array(b);
    }
    if (n->ip) {
        jm_add_string(b, "ip", n->ip);
        jm_add_string(b, "mask", n->mask);
    }
    jm_add_string(b, "mac", mac);
    if (n->mtu)
        jm_add_int(b, "mtu", n->mtu);
    add_queues(b, n->num_queues, n->queue_size);
    jm_add_bool(b, "offload_tso", n->offload_tso);
    jm_add_bool(b, "offload_ufo", n->offload_ufo);
    jm_add_bool(b, "offload_csum", n->offload_csum);
    if (n->id)
        jm_add_string(b, "id", n->id);
    json_builder_end_object(b);
}

void vmconfig_add_devices(JsonBuilder *b, const struct vm_config *cfg)
{
    /* Each list is absent when empty, and rng when there is none. */
    if (cfg->rng.src) {
        json_builder_set_member_name(b, "rng");
        json_builder_begin_object(b);
        jm_add_string(b, "src", cfg->rng.src);
        jm_add_string(b, "id", cfg->rng.id ? cfg->rng.id : VM_CONFIG_DEFAULT_RNG_ID);
        json_builder_end_object(b);
    }
    if (cfg->n_disks) {
        json_builder_set_member_name(b, "disks");
        json_builder_begin_array(b);
        for (unsigned i = 0; i < cfg->n_disks; i++)
            add_disk(b, &cfg->disks[i]);
        json_builder_end_array(b);
    }
    if (cfg->n_nets) {
        json_builder_set_member_name(b, "net");
        json_builder_begin_array(b);
        for (unsigned i = 0; i < cfg->n_nets; i++)
            add_net(b, &cfg->nets[i]);
        json_builder_end_array(b);
    }
}
