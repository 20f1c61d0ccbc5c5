/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domain_def → libvirt domain XML, in libvirt's own layout (element order,
 * two-space indent, single-quoted attributes, memory in KiB), so that tools
 * reading `virsh dumpxml` find what they find for libvirt's drivers. Every
 * definition formatted here parses back to the same definition.
 */
#include "xml/domain-conf.h"

#include <inttypes.h>

static void escape(GString *out, const char *s, bool attr)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '\'':
            g_string_append(out, attr ? "&apos;" : "'");
            break;
        case '"':
            g_string_append(out, attr ? "&quot;" : "\"");
            break;
        /* Attribute values have their white space normalised on reading:
         * keep it as character references. \r would be lost in text too. */
        case '\n':
        case '\t':
            if (attr)
                g_string_append_printf(out, "&#%d;", *s);
            else
                g_string_append_c(out, *s);
            break;
        case '\r':
            g_string_append(out, "&#13;");
            break;
        default:
            g_string_append_c(out, *s);
        }
    }
}

/* <name>text</name> at the given indent, if text is set. */
static void text_element(GString *out, int indent, const char *name, const char *text)
{
    if (!text)
        return;
    g_string_append_printf(out, "%*s<%s>", indent, "", name);
    escape(out, text, false);
    g_string_append_printf(out, "</%s>\n", name);
}

/* " name='value'" */
static void attr(GString *out, const char *name, const char *value)
{
    g_string_append_printf(out, " %s='", name);
    escape(out, value, true);
    g_string_append_c(out, '\'');
}

static const char *action_name(enum domain_lifecycle_action a)
{
    switch (a) {
    case DOMAIN_ACTION_RESTART:
        return "restart";
    case DOMAIN_ACTION_PRESERVE:
        return "preserve";
    case DOMAIN_ACTION_DESTROY:
    default:
        return "destroy";
    }
}

static void format_os(GString *out, const domain_def *def)
{
    g_string_append(out, "  <os>\n    <type");
    attr(out, "arch", def->os_arch ? def->os_arch : "x86_64");
    g_string_append(out, ">hvm</type>\n");
    text_element(out, 4, "loader", def->loader);
    text_element(out, 4, "kernel", def->kernel);
    text_element(out, 4, "initrd", def->initrd);
    text_element(out, 4, "cmdline", def->cmdline);
    g_string_append(out, "  </os>\n");
}

static void format_disk(GString *out, const struct domain_disk *disk)
{
    bool block = disk->type == DOMAIN_DISK_BLOCK;

    g_string_append_printf(out, "    <disk type='%s' device='disk'>\n      <driver type='raw'",
                           block ? "block" : "file");
    if (disk->cache != DOMAIN_DISK_CACHE_DEFAULT)
        g_string_append_printf(out, " cache='%s'", domain_disk_cache_name(disk->cache));
    if (disk->queues)
        g_string_append_printf(out, " queues='%u'", disk->queues);
    if (disk->queue_size)
        g_string_append_printf(out, " queue_size='%u'", disk->queue_size);
    g_string_append(out, "/>\n      <source");
    attr(out, block ? "dev" : "file", disk->source);
    g_string_append(out, "/>\n      <target");
    attr(out, "dev", disk->target_dev);
    g_string_append(out, " bus='virtio'/>\n");
    if (disk->readonly)
        g_string_append(out, "      <readonly/>\n");
    text_element(out, 6, "serial", disk->serial);
    g_string_append(out, "    </disk>\n");
}

static void format_net(GString *out, const struct domain_net *net)
{
    g_string_append_printf(out, "    <interface type='%s'>\n",
                           net->type == DOMAIN_NET_BRIDGE ? "bridge" : "ethernet");
    g_string_append_printf(out, "      <mac address='%s'/>\n", net->mac);
    if (net->bridge) {
        g_string_append(out, "      <source");
        attr(out, "bridge", net->bridge);
        g_string_append(out, "/>\n");
    }
    if (net->target_dev) {
        g_string_append(out, "      <target");
        attr(out, "dev", net->target_dev);
        if (net->unmanaged)
            g_string_append(out, " managed='no'");
        g_string_append(out, "/>\n");
    }
    g_string_append(out, "      <model type='virtio'/>\n");
    if (net->queues)
        g_string_append_printf(out, "      <driver queues='%u'/>\n", net->queues);
    if (net->mtu)
        g_string_append_printf(out, "      <mtu size='%u'/>\n", net->mtu);
    g_string_append(out, "    </interface>\n");
}

static void format_chr_source(GString *out, const char *tty)
{
    if (!tty)
        return;
    g_string_append(out, "      <source");
    attr(out, "path", tty);
    g_string_append(out, "/>\n");
}

/* <console type='pty' tty=...> with its live pty path. */
static void format_console(GString *out, const char *tty, const char *target, unsigned port)
{
    g_string_append(out, "    <console type='pty'");
    if (tty)
        attr(out, "tty", tty);
    g_string_append(out, ">\n");
    format_chr_source(out, tty);
    g_string_append_printf(out, "      <target type='%s' port='%u'/>\n    </console>\n", target,
                           port);
}

static void format_chardevs(GString *out, const domain_def *def, bool live)
{
    const char *tty = live ? def->serial.tty : NULL;

    if (def->has_serial) {
        g_string_append(out, "    <serial type='pty'>\n");
        format_chr_source(out, tty);
        g_string_append(out, "      <target type='isa-serial' port='0'>\n"
                             "        <model name='isa-serial'/>\n"
                             "      </target>\n"
                             "    </serial>\n");
    }
    if (def->has_console)
        format_console(out, tty, "serial", 0);
    /* Consoles are numbered in order, as libvirt does. */
    if (def->has_virtio_console)
        format_console(out, live ? def->console.tty : NULL, "virtio", def->has_console ? 1 : 0);
}

static void format_devices(GString *out, const domain_def *def, bool live)
{
    g_string_append(out, "  <devices>\n");
    text_element(out, 4, "emulator", def->emulator);
    for (guint i = 0; def->disks && i < def->disks->len; i++)
        format_disk(out, g_ptr_array_index(def->disks, i));
    for (guint i = 0; def->nets && i < def->nets->len; i++)
        format_net(out, g_ptr_array_index(def->nets, i));
    format_chardevs(out, def, live);
    g_string_append_printf(out, "    <memballoon model='%s'/>\n",
                           def->memballoon_virtio ? "virtio" : "none");
    if (def->has_rng) {
        g_string_append(out, "    <rng model='virtio'>\n      <backend model='random'>");
        escape(out, def->rng_source ? def->rng_source : "/dev/urandom", false);
        g_string_append(out, "</backend>\n    </rng>\n");
    }
    g_string_append(out, "  </devices>\n");
}

char *domain_def_format(const domain_def *def, int id, unsigned flags)
{
    GString *out = g_string_new("<domain type='kvm'");
    bool live = !(flags & DOMAIN_FORMAT_INACTIVE);
    char uuid[37];

    if (live && id >= 0)
        g_string_append_printf(out, " id='%d'", id);
    g_string_append(out, ">\n");
    text_element(out, 2, "name", def->name);
    domain_uuid_format(def->uuid, uuid);
    text_element(out, 2, "uuid", uuid);
    text_element(out, 2, "title", def->title);
    text_element(out, 2, "description", def->description);
    if (def->metadata)
        g_string_append_printf(out, "  %s\n", def->metadata);
    g_string_append_printf(out, "  <memory unit='KiB'>%" PRIu64 "</memory>\n", def->memory_kib);
    g_string_append_printf(out, "  <currentMemory unit='KiB'>%" PRIu64 "</currentMemory>\n",
                           def->current_memory_kib);
    g_string_append(out, "  <vcpu placement='static'");
    if (def->vcpus_current != def->vcpus_max)
        g_string_append_printf(out, " current='%u'", def->vcpus_current);
    g_string_append_printf(out, ">%u</vcpu>\n", def->vcpus_max);
    format_os(out, def);
    if (def->feature_acpi || def->feature_apic) {
        g_string_append(out, "  <features>\n");
        if (def->feature_acpi)
            g_string_append(out, "    <acpi/>\n");
        if (def->feature_apic)
            g_string_append(out, "    <apic/>\n");
        g_string_append(out, "  </features>\n");
    }
    if (def->cpu_host_passthrough)
        g_string_append(out, "  <cpu mode='host-passthrough' check='none' migratable='on'/>\n");
    g_string_append(out, "  <clock");
    attr(out, "offset", def->clock_offset ? def->clock_offset : "utc");
    g_string_append(out, "/>\n");
    g_string_append_printf(out, "  <on_poweroff>%s</on_poweroff>\n", action_name(def->on_poweroff));
    g_string_append_printf(out, "  <on_reboot>%s</on_reboot>\n", action_name(def->on_reboot));
    g_string_append_printf(out, "  <on_crash>%s</on_crash>\n", action_name(def->on_crash));
    format_devices(out, def, live);
    g_string_append(out, "</domain>\n");
    return g_string_free(out, FALSE);
}
