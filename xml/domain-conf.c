/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain_def ownership (free, deep copy) and the uuid text form.
 */
#include "xml/domain-conf.h"

#include <string.h>

static void disk_free(void *p)
{
    struct domain_disk *disk = p;

    g_free(disk->source);
    g_free(disk->target_dev);
    g_free(disk->serial);
    g_free(disk);
}

static void net_free(void *p)
{
    struct domain_net *net = p;

    g_free(net->bridge);
    g_free(net->target_dev);
    g_free(net);
}

void domain_def_free(domain_def *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->title);
    g_free(def->description);
    g_free(def->metadata);
    g_free(def->os_arch);
    g_free(def->kernel);
    g_free(def->initrd);
    g_free(def->cmdline);
    g_free(def->loader);
    g_free(def->clock_offset);
    g_free(def->emulator);
    if (def->disks)
        g_ptr_array_unref(def->disks);
    if (def->nets)
        g_ptr_array_unref(def->nets);
    g_free(def->serial.tty);
    g_free(def->console.tty);
    g_free(def->rng_source);
    g_free(def);
}

/* The arrays own their elements, so that a half-built def frees cleanly. */
domain_def *domain_def_new(void)
{
    domain_def *def = g_new0(domain_def, 1);

    def->disks = g_ptr_array_new_with_free_func(disk_free);
    def->nets = g_ptr_array_new_with_free_func(net_free);
    return def;
}

domain_def *domain_def_copy(const domain_def *def)
{
    domain_def *copy = domain_def_new();

    copy->name = g_strdup(def->name);
    memcpy(copy->uuid, def->uuid, sizeof(copy->uuid));
    copy->title = g_strdup(def->title);
    copy->description = g_strdup(def->description);
    copy->metadata = g_strdup(def->metadata);
    copy->memory_kib = def->memory_kib;
    copy->current_memory_kib = def->current_memory_kib;
    copy->vcpus_max = def->vcpus_max;
    copy->vcpus_current = def->vcpus_current;
    copy->os_arch = g_strdup(def->os_arch);
    copy->kernel = g_strdup(def->kernel);
    copy->initrd = g_strdup(def->initrd);
    copy->cmdline = g_strdup(def->cmdline);
    copy->loader = g_strdup(def->loader);
    copy->feature_acpi = def->feature_acpi;
    copy->feature_apic = def->feature_apic;
    copy->cpu_host_passthrough = def->cpu_host_passthrough;
    copy->clock_offset = g_strdup(def->clock_offset);
    copy->on_poweroff = def->on_poweroff;
    copy->on_reboot = def->on_reboot;
    copy->on_crash = def->on_crash;
    copy->emulator = g_strdup(def->emulator);
    for (guint i = 0; def->disks && i < def->disks->len; i++) {
        const struct domain_disk *d = g_ptr_array_index(def->disks, i);
        struct domain_disk *c = g_new0(struct domain_disk, 1);

        *c = *d;
        c->source = g_strdup(d->source);
        c->target_dev = g_strdup(d->target_dev);
        c->serial = g_strdup(d->serial);
        g_ptr_array_add(copy->disks, c);
    }
    for (guint i = 0; def->nets && i < def->nets->len; i++) {
        const struct domain_net *n = g_ptr_array_index(def->nets, i);
        struct domain_net *c = g_new0(struct domain_net, 1);

        *c = *n;
        c->bridge = g_strdup(n->bridge);
        c->target_dev = g_strdup(n->target_dev);
        g_ptr_array_add(copy->nets, c);
    }
    copy->has_serial = def->has_serial;
    copy->has_console = def->has_console;
    copy->has_virtio_console = def->has_virtio_console;
    copy->serial.type = def->serial.type;
    copy->serial.tty = g_strdup(def->serial.tty);
    copy->console.type = def->console.type;
    copy->console.tty = g_strdup(def->console.tty);
    copy->has_rng = def->has_rng;
    copy->rng_source = g_strdup(def->rng_source);
    copy->memballoon_virtio = def->memballoon_virtio;
    return copy;
}

bool domain_net_daemon_creates_tap(const struct domain_net *net)
{
    return net->type == DOMAIN_NET_BRIDGE || !net->unmanaged;
}

void domain_uuid_format(const uint8_t uuid[16], char out[37])
{
    g_snprintf(out, 37,
               "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
               uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7],
               uuid[8], uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
}

/* As libvirt reads one: 32 hex digits, a '-' allowed between any two bytes,
 * surrounding blanks ignored. */
int domain_uuid_parse(const char *s, uint8_t uuid[16])
{
    uint8_t out[16];
    unsigned n = 0;

    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    while (n < 16) {
        int hi;
        int lo;

        if (*s == '-' && n > 0)
            s++;
        hi = g_ascii_xdigit_value(s[0]);
        if (hi < 0)
            return -1;
        lo = g_ascii_xdigit_value(s[1]);
        if (lo < 0)
            return -1;
        out[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (*s)
        return -1;
    memcpy(uuid, out, sizeof(out));
    return 0;
}
