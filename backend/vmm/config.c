/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every reader of a VM configuration (CLI, REST, copies) shares. */
#include "vmm/config.h"

#include <arpa/inet.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "vmm/error.h"

void disk_config_init(struct disk_config *d)
{
    *d = (struct disk_config){
        .num_queues = VM_CONFIG_DEFAULT_DISK_QUEUES,
        .queue_size = VM_CONFIG_DEFAULT_DISK_QUEUE_SIZE,
    };
}

void net_config_init(struct net_config *n)
{
    *n = (struct net_config){
        .num_queues = VM_CONFIG_DEFAULT_NET_QUEUES,
        .queue_size = VM_CONFIG_DEFAULT_NET_QUEUE_SIZE,
        .offload_tso = true, .offload_ufo = true, .offload_csum = true,
    };
}

static void disk_config_clear(struct disk_config *d)
{
    g_free(d->path);
    g_free(d->id);
    g_free(d->serial);
    disk_config_init(d);
}

static void net_config_clear(struct net_config *n)
{
    g_free(n->tap);
    g_free(n->ip);
    g_free(n->mask);
    g_free(n->id);
    net_config_init(n);
}

void vm_config_clear(struct vm_config *cfg)
{
    g_clear_pointer(&cfg->kernel, g_free);
    g_clear_pointer(&cfg->initramfs, g_free);
    g_clear_pointer(&cfg->cmdline, g_free);
    g_clear_pointer(&cfg->serial.path, g_free);
    g_clear_pointer(&cfg->console.path, g_free);
    g_clear_pointer(&cfg->rng.src, g_free);
    g_clear_pointer(&cfg->rng.id, g_free);
    for (unsigned i = 0; i < cfg->n_disks; i++)
        disk_config_clear(&cfg->disks[i]);
    cfg->n_disks = 0;
    for (unsigned i = 0; i < cfg->n_nets; i++)
        net_config_clear(&cfg->nets[i]);
    cfg->n_nets = 0;
}

void vm_config_copy(struct vm_config *dst, const struct vm_config *src)
{
    struct vm_config tmp;

    if (dst == src)
        return;
    tmp = *src;
    tmp.kernel = g_strdup(src->kernel);
    tmp.initramfs = g_strdup(src->initramfs);
    tmp.cmdline = g_strdup(src->cmdline);
    tmp.serial.path = g_strdup(src->serial.path);
    tmp.console.path = g_strdup(src->console.path);
    tmp.rng.src = g_strdup(src->rng.src);
    tmp.rng.id = g_strdup(src->rng.id);
    for (unsigned i = 0; i < src->n_disks; i++) {
        tmp.disks[i].path = g_strdup(src->disks[i].path);
        tmp.disks[i].id = g_strdup(src->disks[i].id);
        tmp.disks[i].serial = g_strdup(src->disks[i].serial);
    }
    for (unsigned i = 0; i < src->n_nets; i++) {
        tmp.nets[i].tap = g_strdup(src->nets[i].tap);
        tmp.nets[i].ip = g_strdup(src->nets[i].ip);
        tmp.nets[i].mask = g_strdup(src->nets[i].mask);
        tmp.nets[i].id = g_strdup(src->nets[i].id);
    }
    vm_config_clear(dst);
    *dst = tmp;
}

struct device_id {
    char **id;
    char *member;       /* "disks[1]": where the id is, for messages */
};

static void device_id_clear(gpointer p)
{
    g_free(((struct device_id *)p)->member);
}

/* Every device id of the config, NULLs included, in a fixed order. */
static GArray *device_ids(struct vm_config *cfg)
{
    static char *console_id = VM_CONFIG_CONSOLE_ID;
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(struct device_id));
    struct device_id d;

    g_array_set_clear_func(ids, device_id_clear);
    if (cfg->rng.src) {
        d = (struct device_id){ &cfg->rng.id, g_strdup("rng") };
        g_array_append_val(ids, d);
    }
    if (cfg->console.backend != CHAR_OFF) {
        d = (struct device_id){ &console_id, g_strdup("console") };
        g_array_append_val(ids, d);
    }
    for (unsigned i = 0; i < cfg->n_disks; i++) {
        d = (struct device_id){ &cfg->disks[i].id, g_strdup_printf("disks[%u]", i) };
        g_array_append_val(ids, d);
    }
    for (unsigned i = 0; i < cfg->n_nets; i++) {
        d = (struct device_id){ &cfg->nets[i].id, g_strdup_printf("net[%u]", i) };
        g_array_append_val(ids, d);
    }
    return ids;
}

static bool id_taken(GArray *ids, const char *id)
{
    for (unsigned i = 0; i < ids->len; i++) {
        char *taken = *g_array_index(ids, struct device_id, i).id;

        if (taken && !strcmp(taken, id))
            return true;
    }
    return false;
}

static char *free_name(GArray *ids, const char *prefix)
{
    for (unsigned n = 0;; n++) {
        char *name = g_strdup_printf("%s%u", prefix, n);

        if (!id_taken(ids, name))
            return name;
        g_free(name);
    }
}

static void random_mac(uint8_t mac[6])
{
    guint32 r = g_random_int();
    guint32 r2 = g_random_int();

    /* Locally administered, unicast: no vendor's range. */
    mac[0] = (uint8_t)((r & 0xfc) | 0x02);
    mac[1] = (uint8_t)(r >> 8);
    mac[2] = (uint8_t)(r >> 16);
    mac[3] = (uint8_t)(r >> 24);
    mac[4] = (uint8_t)r2;
    mac[5] = (uint8_t)(r2 >> 8);
}

static bool mac_is_zero(const uint8_t mac[6])
{
    static const uint8_t zero[6];

    return !memcmp(mac, zero, 6);
}

int vm_config_assign_ids(struct vm_config *cfg, GError **error)
{
    g_autoptr(GArray) ids = device_ids(cfg);

    if (cfg->rng.src && !cfg->rng.id)
        cfg->rng.id = g_strdup(VM_CONFIG_DEFAULT_RNG_ID);
    for (unsigned i = 0; i < cfg->n_disks; i++) {
        if (!cfg->disks[i].id)
            cfg->disks[i].id = free_name(ids, "disk");
    }
    for (unsigned i = 0; i < cfg->n_nets; i++) {
        if (!cfg->nets[i].id)
            cfg->nets[i].id = free_name(ids, "net");
        if (mac_is_zero(cfg->nets[i].mac))
            random_mac(cfg->nets[i].mac);
    }
    for (unsigned i = 0; i < ids->len; i++) {
        const struct device_id *d = &g_array_index(ids, struct device_id, i);

        for (unsigned j = 0; j < i; j++) {
            const struct device_id *e = &g_array_index(ids, struct device_id, j);

            if (!strcmp(*d->id, *e->id)) {
                g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                            _("%s.id: '%s' is already the id of %s"), d->member, *d->id,
                            e->member);
                return -1;
            }
        }
    }
    return 0;
}

int vm_config_parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        int hi = g_ascii_xdigit_value(s[0]);
        int lo = hi < 0 ? -1 : g_ascii_xdigit_value(s[1]);

        if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
            return -1;
        mac[i] = (uint8_t)(hi << 4 | lo);
        s += 3;
    }
    return mac[0] & 1 || mac_is_zero(mac) ? -1 : 0;
}

bool vm_config_is_ipv4(const char *s)
{
    struct in_addr a;

    return inet_pton(AF_INET, s, &a) == 1;
}

char *vm_config_format_mac(const uint8_t mac[6])
{
    return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                           mac[4], mac[5]);
}
