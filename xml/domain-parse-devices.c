/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <devices>: emulator, disk, interface, serial, console, rng, memballoon, and
 * the controllers that only say "none" (no USB, the root PCI bus skiff always
 * has). Everything else is refused naming it (see domain-parse.c).
 */
#include "xml/domain-conf.h"

#include <glib/gi18n.h>
#include <net/if.h>
#include <string.h>

#include "xml/virt-error.h"
#include "xml/xml-util.h"

/* Queue counts libvirt takes: no point in more than one per possible vCPU.
 * skiff's own limits (DOMAIN_*_QUEUES_MAX) are lower. */
#define QUEUES_MAX DOMAIN_VCPUS_MAX
/* virtio-blk's serial field (VIRTIO_BLK_ID_BYTES). */
#define DISK_SERIAL_MAX 20
/* A split virtqueue's size: a power of two up to 32768 (VM_CONFIG_MAX_QUEUE_SIZE). */
#define QUEUE_SIZE_MAX 32768

static int err_only_one(const xmlNode *n, GError **error)
{
    virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED, _("skiff supports only one <%s>"), n->name);
    return -1;
}

/* A queue count: 0 is no count at all (XML error), more than skiff's limit
 * is a configuration skiff cannot run. */
static int parse_queues(const char *v, const char *what, unsigned max, unsigned *out,
                        GError **error)
{
    if (xml_parse_uint(v, what, 1, QUEUES_MAX, out, error) < 0)
        return -1;
    if (*out > max) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("%s is %u, skiff supports at most %u"), what, *out, max);
        return -1;
    }
    return 0;
}

/* ---- <disk> ---- */

static const struct {
    const char *name;
    enum domain_disk_cache cache;
} disk_caches[] = {
    { "default", DOMAIN_DISK_CACHE_DEFAULT },
    { "none", DOMAIN_DISK_CACHE_NONE },
    { "writethrough", DOMAIN_DISK_CACHE_WRITETHROUGH },
    { "writeback", DOMAIN_DISK_CACHE_WRITEBACK },
    { "directsync", DOMAIN_DISK_CACHE_DIRECTSYNC },
    { "unsafe", DOMAIN_DISK_CACHE_UNSAFE },
};

const char *domain_disk_cache_name(enum domain_disk_cache cache)
{
    for (size_t i = 0; i < G_N_ELEMENTS(disk_caches); i++) {
        if (disk_caches[i].cache == cache)
            return disk_caches[i].name;
    }
    return "default";
}

static int parse_disk_cache(struct domain_disk *disk, const xmlNode *n, const char *cache,
                            GError **error)
{
    for (size_t i = 0; i < G_N_ELEMENTS(disk_caches); i++) {
        if (!strcmp(cache, disk_caches[i].name)) {
            disk->cache = disk_caches[i].cache;
            return 0;
        }
    }
    return xml_err_value(n, "cache", cache,
                         "default, none, writethrough, writeback, directsync, unsafe", error);
}

static int parse_disk_driver(struct domain_disk *disk, const xmlNode *n, GError **error)
{
    g_autofree char *name = NULL;
    g_autofree char *type = NULL;
    g_autofree char *cache = NULL;
    g_autofree char *queues = NULL;
    g_autofree char *queue_size = NULL;

    if (xml_check_attrs(n, ATTRS("name", "type", "cache", "queues", "queue_size"), error) < 0 ||
        xml_check_empty(n, error) < 0)
        return -1;
    /* Tools write name='qemu' for any kvm domain; it names no feature. */
    name = xml_get_attr(n, "name");
    if (name && strcmp(name, "qemu") && strcmp(name, "skiff"))
        return xml_err_value(n, "name", name, "qemu, skiff", error);
    type = xml_get_attr(n, "type");
    if (type && strcmp(type, "raw"))
        return xml_err_value(n, "type", type, "raw", error);
    cache = xml_get_attr(n, "cache");
    if (cache && parse_disk_cache(disk, n, cache, error) < 0)
        return -1;
    queues = xml_get_attr(n, "queues");
    if (queues && parse_queues(queues, _("'queues' of <driver>"), DOMAIN_DISK_QUEUES_MAX,
                               &disk->queues, error) < 0)
        return -1;
    queue_size = xml_get_attr(n, "queue_size");
    if (queue_size) {
        if (xml_parse_uint(queue_size, _("'queue_size' of <driver>"), 2, QUEUE_SIZE_MAX,
                           &disk->queue_size, error) < 0)
            return -1;
        if (disk->queue_size & (disk->queue_size - 1))
            return xml_err_invalid(_("'queue_size' of <driver>"), queue_size,
                                   _("a power of two from 2 to 32768"), error);
    }
    return 0;
}

static int parse_disk_target(struct domain_disk *disk, const xmlNode *n, GError **error)
{
    g_autofree char *bus = NULL;
    g_autofree char *dev = NULL;
    bool valid;

    if (xml_check_attrs(n, ATTRS("dev", "bus"), error) < 0 || xml_check_empty(n, error) < 0)
        return -1;
    bus = xml_get_attr(n, "bus");
    if (bus && strcmp(bus, "virtio"))
        return xml_err_value(n, "bus", bus, "virtio", error);
    dev = xml_get_attr(n, "dev");
    if (!dev)
        return xml_err_missing_attr(n, "dev", error);
    valid = g_str_has_prefix(dev, "vd") && dev[2] && strlen(dev) <= 8;
    for (const char *p = dev + 2; valid && *p; p++)
        valid = g_ascii_islower(*p);
    if (!valid)
        return xml_err_invalid(_("'dev' of <target>"), dev, _("a virtio disk name: vda, vdb, ..."),
                               error);
    disk->target_dev = g_steal_pointer(&dev);
    return 0;
}

/* <source file=...> for type='file', <source dev=...> for type='block'. */
static int parse_disk_source(struct domain_disk *disk, const xmlNode *n, GError **error)
{
    const char *attr = disk->type == DOMAIN_DISK_BLOCK ? "dev" : "file";
    g_autofree char *what = g_strdup_printf(_("'%s' of <source>"), attr);

    /* The path first: a block disk's <source file=> is a missing dev. */
    disk->source = xml_get_attr(n, attr);
    if (!disk->source)
        return xml_err_missing_attr(n, attr, error);
    if (xml_check_attrs(n, ATTRS(attr), error) < 0 || xml_check_empty(n, error) < 0)
        return -1;
    return xml_check_path(what, disk->source, error);
}

static int parse_disk_serial(struct domain_disk *disk, const xmlNode *n, GError **error)
{
    if (xml_get_plain_text(n, &disk->serial, error) < 0)
        return -1;
    if (!disk->serial)
        return 0;
    /* The characters libvirt allows; the length virtio-blk can carry. */
    for (const char *p = disk->serial; *p; p++) {
        if (!g_ascii_isalnum(*p) && !strchr("_.+- ", *p))
            return xml_err_invalid("<serial>", disk->serial,
                                   _("letters, digits, '_', '.', '+', '-' and spaces"), error);
    }
    if (strlen(disk->serial) > DISK_SERIAL_MAX) {
        g_autofree char *shown = xml_shorten(disk->serial);

        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("disk serial '%s' is longer than virtio-blk's %d bytes"), shown,
                       DISK_SERIAL_MAX);
        return -1;
    }
    return 0;
}

static int parse_disk(domain_def *def, const xmlNode *n, GError **error)
{
    struct domain_disk *disk;
    g_autofree char *type = NULL;
    g_autofree char *device = NULL;
    bool seen_driver = false;
    bool seen_source = false;
    bool seen_target = false;
    bool seen_serial = false;

    if (def->disks->len >= DOMAIN_DISKS_MAX) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED, _("skiff supports at most %d disks"),
                       DOMAIN_DISKS_MAX);
        return -1;
    }
    /* Owned by def from here on: an error frees it with def. */
    disk = g_new0(struct domain_disk, 1);
    g_ptr_array_add(def->disks, disk);
    /* type and device first: they say what the rest means. */
    type = xml_get_attr(n, "type");
    if (!type || !strcmp(type, "file"))
        disk->type = DOMAIN_DISK_FILE;
    else if (!strcmp(type, "block"))
        disk->type = DOMAIN_DISK_BLOCK;
    else
        return xml_err_value(n, "type", type, "file, block", error);
    device = xml_get_attr(n, "device");
    if (device && strcmp(device, "disk"))
        return xml_err_value(n, "device", device, "disk", error);
    if (xml_check_attrs(n, ATTRS("type", "device"), error) < 0 ||
        xml_check_no_text(n, error) < 0)
        return -1;

    for (const xmlNode *c = n->children; c; c = c->next) {
        int rc;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (xml_is(c, "driver")) {
            rc = xml_once(n, c, &seen_driver, error) < 0 ? -1 : parse_disk_driver(disk, c, error);
        } else if (xml_is(c, "source")) {
            rc = xml_once(n, c, &seen_source, error) < 0 ? -1 : parse_disk_source(disk, c, error);
        } else if (xml_is(c, "target")) {
            rc = xml_once(n, c, &seen_target, error) < 0 ? -1 : parse_disk_target(disk, c, error);
        } else if (xml_is(c, "readonly")) {
            rc = xml_once(n, c, &disk->readonly, error);
            if (!rc)
                rc = xml_check_attrs(c, NO_ATTRS, error);
            if (!rc)
                rc = xml_check_empty(c, error);
        } else if (xml_is(c, "serial")) {
            rc = xml_once(n, c, &seen_serial, error) < 0 ? -1 : parse_disk_serial(disk, c, error);
        } else {
            rc = xml_err_element(n, c, error);
        }
        if (rc < 0)
            return -1;
    }
    if (!seen_source)
        return xml_err_missing_element("disk", "source", error);
    if (!seen_target)
        return xml_err_missing_element("disk", "target", error);
    for (guint i = 0; i + 1 < def->disks->len; i++) {
        const struct domain_disk *other = g_ptr_array_index(def->disks, i);

        if (!strcmp(other->target_dev, disk->target_dev)) {
            virt_error_set(error, VIR_ERR_XML_ERROR, _("two disks have target dev '%s'"),
                           disk->target_dev);
            return -1;
        }
    }
    return 0;
}

/* ---- <interface> ---- */

static bool valid_ifname(const char *s)
{
    if (!s[0] || strlen(s) >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (; *s; s++) {
        if (*s == '/' || *s == ':' || g_ascii_isspace(*s) || !g_ascii_isprint(*s))
            return false;
    }
    return true;
}

/* As libvirt reads one: six groups of one or two hex digits. */
static int parse_mac(struct domain_net *net, const char *s, GError **error)
{
    unsigned bytes[6];
    const char *p = s;

    for (int i = 0; i < 6; i++) {
        int digits = 0;

        bytes[i] = 0;
        while (digits < 2 && g_ascii_isxdigit(*p)) {
            bytes[i] = bytes[i] << 4 | (unsigned)g_ascii_xdigit_value(*p++);
            digits++;
        }
        if (!digits || *p != (i < 5 ? ':' : '\0'))
            return xml_err_invalid(_("'address' of <mac>"), s, _("a MAC address"), error);
        if (i < 5)
            p++;
    }
    if (!(bytes[0] | bytes[1] | bytes[2] | bytes[3] | bytes[4] | bytes[5])) {
        virt_error_set(error, VIR_ERR_XML_ERROR, _("the MAC address must not be all zeros"));
        return -1;
    }
    if (bytes[0] & 1) {
        virt_error_set(error, VIR_ERR_XML_ERROR, _("expected a unicast MAC address, got '%s'"), s);
        return -1;
    }
    g_snprintf(net->mac, sizeof(net->mac), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1],
               bytes[2], bytes[3], bytes[4], bytes[5]);
    return 0;
}

/* One element with one attribute (required), and nothing inside. */
static char *single_attr(const xmlNode *n, const char *attr, GError **error)
{
    char *v;

    if (xml_check_attrs(n, ATTRS(attr), error) < 0 || xml_check_empty(n, error) < 0)
        return NULL;
    v = xml_get_attr(n, attr);
    if (!v)
        xml_err_missing_attr(n, attr, error);
    return v;
}

/* <target dev='tap0' managed='no'/>: managed='no' (ethernet only) is a tap
 * that exists already; otherwise the daemon creates the tap at start. */
static int parse_net_target(struct domain_net *net, const xmlNode *n, GError **error)
{
    g_autofree char *dev = NULL;
    g_autofree char *managed = NULL;

    if (xml_check_attrs(n, ATTRS("dev", "managed"), error) < 0 || xml_check_empty(n, error) < 0)
        return -1;
    managed = xml_get_attr(n, "managed");
    if (managed && strcmp(managed, "yes") && strcmp(managed, "no"))
        return xml_err_invalid(_("'managed' of <target>"), managed, "yes, no", error);
    net->unmanaged = !g_strcmp0(managed, "no");
    dev = xml_get_attr(n, "dev");
    if (!dev) {
        if (!net->unmanaged)
            return 0;
        virt_error_set(error, VIR_ERR_XML_ERROR,
                       _("<target managed='no'> needs the name of the tap in 'dev'"));
        return -1;
    }
    if (!valid_ifname(dev))
        return xml_err_invalid(_("'dev' of <target>"), dev, _("an interface name"), error);
    net->target_dev = g_steal_pointer(&dev);
    return 0;
}

static int parse_net_child(struct domain_net *net, const xmlNode *parent, const xmlNode *c,
                           GError **error)
{
    g_autofree char *v = NULL;

    if (xml_is(c, "mac")) {
        if (!(v = single_attr(c, "address", error)))
            return -1;
        return parse_mac(net, v, error);
    }
    if (xml_is(c, "source")) {
        /* An ethernet interface is a tap skiff opens: nothing to connect to. */
        if (net->type != DOMAIN_NET_BRIDGE) {
            virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                           _("<source> in <interface type='ethernet'> is not supported by skiff "
                             "(name the tap with <target dev=...>)"));
            return -1;
        }
        if (!(v = single_attr(c, "bridge", error)))
            return -1;
        if (!valid_ifname(v))
            return xml_err_invalid(_("'bridge' of <source>"), v, _("an interface name"), error);
        net->bridge = g_steal_pointer(&v);
        return 0;
    }
    if (xml_is(c, "target"))
        return parse_net_target(net, c, error);
    if (xml_is(c, "model")) {
        if (!(v = single_attr(c, "type", error)))
            return -1;
        if (strcmp(v, "virtio"))
            return xml_err_value(c, "type", v, "virtio", error);
        return 0;
    }
    if (xml_is(c, "driver")) {
        if (xml_check_attrs(c, ATTRS("queues"), error) < 0 || xml_check_empty(c, error) < 0)
            return -1;
        v = xml_get_attr(c, "queues");
        if (v && parse_queues(v, _("'queues' of <driver>"), DOMAIN_NET_QUEUES_MAX, &net->queues,
                              error) < 0)
            return -1;
        return 0;
    }
    if (xml_is(c, "mtu")) {
        if (!(v = single_attr(c, "size", error)))
            return -1;
        return xml_parse_uint(v, _("'size' of <mtu>"), 68, 65535, &net->mtu, error);
    }
    return xml_err_element(parent, c, error);
}

static int parse_interface(domain_def *def, const xmlNode *n, GError **error)
{
    static const char *const children[] = { "mac", "source", "target", "model", "driver", "mtu" };
    struct domain_net *net;
    bool seen[G_N_ELEMENTS(children)] = { false };
    g_autofree char *type = NULL;

    if (def->nets->len >= DOMAIN_NETS_MAX) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("skiff supports at most %d network interfaces"), DOMAIN_NETS_MAX);
        return -1;
    }
    net = g_new0(struct domain_net, 1);
    g_ptr_array_add(def->nets, net);
    type = xml_get_attr(n, "type");
    if (!type)
        return xml_err_missing_attr(n, "type", error);
    if (!strcmp(type, "ethernet"))
        net->type = DOMAIN_NET_ETHERNET;
    else if (!strcmp(type, "bridge"))
        net->type = DOMAIN_NET_BRIDGE;
    else
        return xml_err_value(n, "type", type, "ethernet, bridge", error);
    if (xml_check_attrs(n, ATTRS("type"), error) < 0 || xml_check_no_text(n, error) < 0)
        return -1;

    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        for (size_t i = 0; i < G_N_ELEMENTS(children); i++) {
            if (xml_is(c, children[i]) && xml_once(n, c, &seen[i], error) < 0)
                return -1;
        }
        if (parse_net_child(net, n, c, error) < 0)
            return -1;
    }
    if (net->type == DOMAIN_NET_BRIDGE && !net->bridge)
        return xml_err_missing_element("interface", "source", error);
    if (net->type != DOMAIN_NET_ETHERNET && net->unmanaged) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("<target managed='no'> is supported only in <interface type='ethernet'>"));
        return -1;
    }
    /* A name the daemon generated for an earlier run (live XML fed back to
     * define): the next start generates one again, as libvirt does. */
    if (domain_net_daemon_creates_tap(net) && net->target_dev &&
        g_str_has_prefix(net->target_dev, DOMAIN_NET_TAP_PREFIX))
        g_clear_pointer(&net->target_dev, g_free);
    if (!net->mac[0]) {
        /* libvirt's prefix for locally administered addresses of KVM guests. */
        uint32_t r = g_random_int();

        g_snprintf(net->mac, sizeof(net->mac), "52:54:00:%02x:%02x:%02x", (r >> 16) & 0xff,
                   (r >> 8) & 0xff, r & 0xff);
    }
    return 0;
}

/* ---- <serial>, <console> ---- */

static int check_pty(const xmlNode *n, GError **error)
{
    g_autofree char *type = xml_get_attr(n, "type");

    if (!type)
        return xml_err_missing_attr(n, "type", error);
    if (strcmp(type, "pty"))
        return xml_err_value(n, "type", type, "pty", error);
    return 0;
}

static int check_port0(const xmlNode *n, GError **error)
{
    g_autofree char *port = xml_get_attr(n, "port");
    uint64_t v;

    if (port && (!xml_parse_u64(port, &v) || v != 0))
        return xml_err_value(n, "port", port, "0", error);
    return 0;
}

/* <source path='/dev/pts/N'/> is live state (dumpxml of a running domain):
 * the pty is allocated at start, so a given path is not configuration. */
static int check_pty_source(const xmlNode *n, GError **error)
{
    return xml_check_attrs(n, ATTRS("path"), error) < 0 ? -1 : xml_check_empty(n, error);
}

static int parse_serial_target(const xmlNode *n, GError **error)
{
    g_autofree char *type = NULL;
    bool seen_model = false;

    type = xml_get_attr(n, "type");
    if (type && strcmp(type, "isa-serial"))
        return xml_err_value(n, "type", type, "isa-serial", error);
    if (xml_check_attrs(n, ATTRS("type", "port"), error) < 0 || xml_check_no_text(n, error) < 0)
        return -1;
    if (check_port0(n, error) < 0)
        return -1;
    for (const xmlNode *c = n->children; c; c = c->next) {
        g_autofree char *name = NULL;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!xml_is(c, "model"))
            return xml_err_element(n, c, error);
        if (xml_once(n, c, &seen_model, error) < 0 || !(name = single_attr(c, "name", error)))
            return -1;
        if (strcmp(name, "isa-serial"))
            return xml_err_value(c, "name", name, "isa-serial", error);
    }
    return 0;
}

static int parse_serial(domain_def *def, const xmlNode *n, GError **error)
{
    bool seen_source = false;
    bool seen_target = false;

    if (def->has_serial)
        return err_only_one(n, error);
    if (check_pty(n, error) < 0 || xml_check_attrs(n, ATTRS("type"), error) < 0 ||
        xml_check_no_text(n, error) < 0)
        return -1;
    for (const xmlNode *c = n->children; c; c = c->next) {
        int rc;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (xml_is(c, "source"))
            rc = xml_once(n, c, &seen_source, error) < 0 ? -1 : check_pty_source(c, error);
        else if (xml_is(c, "target"))
            rc = xml_once(n, c, &seen_target, error) < 0 ? -1 : parse_serial_target(c, error);
        else
            rc = xml_err_element(n, c, error);
        if (rc < 0)
            return -1;
    }
    def->has_serial = true;
    def->serial.type = DOMAIN_CHR_PTY;
    return 0;
}

/* <console type='pty'>: one on the serial target (the serial port itself)
 * and one on the virtio target (virtio-console) at most. */
static int parse_console(domain_def *def, const xmlNode *n, GError **error)
{
    g_autofree char *type = NULL;
    g_autofree char *port = NULL;
    bool seen_source = false;
    bool seen_target = false;
    bool virtio = false;
    uint64_t v;

    /* tty= is live state, like <source path=>. */
    if (check_pty(n, error) < 0 || xml_check_attrs(n, ATTRS("type", "tty"), error) < 0 ||
        xml_check_no_text(n, error) < 0)
        return -1;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (xml_is(c, "source")) {
            if (xml_once(n, c, &seen_source, error) < 0 || check_pty_source(c, error) < 0)
                return -1;
        } else if (xml_is(c, "target")) {
            if (xml_once(n, c, &seen_target, error) < 0)
                return -1;
            type = xml_get_attr(c, "type");
            if (type && strcmp(type, "serial") && strcmp(type, "virtio"))
                return xml_err_value(c, "type", type, "serial, virtio", error);
            if (xml_check_attrs(c, ATTRS("type", "port"), error) < 0 ||
                xml_check_empty(c, error) < 0)
                return -1;
            virtio = !g_strcmp0(type, "virtio");
            /* libvirt numbers consoles in document order: a virtio one after
             * the serial's is port 1. */
            port = xml_get_attr(c, "port");
            if (port && (!xml_parse_u64(port, &v) || v > (virtio ? 1 : 0)))
                return xml_err_value(c, "port", port, virtio ? "0, 1" : "0", error);
        } else {
            return xml_err_element(n, c, error);
        }
    }
    if (virtio ? def->has_virtio_console : def->has_console) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("skiff supports only one <console> with <target type='%s'>"),
                       virtio ? "virtio" : "serial");
        return -1;
    }
    if (virtio) {
        def->has_virtio_console = true;
        def->console.type = DOMAIN_CHR_PTY;
    } else {
        def->has_console = true;
    }
    return 0;
}

/* ---- <rng>, <memballoon>, <controller> ---- */

static int parse_rng(domain_def *def, const xmlNode *n, GError **error)
{
    g_autofree char *model = NULL;
    bool seen_backend = false;

    if (def->has_rng)
        return err_only_one(n, error);
    model = xml_get_attr(n, "model");
    if (!model)
        return xml_err_missing_attr(n, "model", error);
    if (strcmp(model, "virtio"))
        return xml_err_value(n, "model", model, "virtio", error);
    if (xml_check_attrs(n, ATTRS("model"), error) < 0 || xml_check_no_text(n, error) < 0)
        return -1;
    for (const xmlNode *c = n->children; c; c = c->next) {
        g_autofree char *bmodel = NULL;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!xml_is(c, "backend"))
            return xml_err_element(n, c, error);
        if (xml_once(n, c, &seen_backend, error) < 0)
            return -1;
        bmodel = xml_get_attr(c, "model");
        if (!bmodel)
            return xml_err_missing_attr(c, "model", error);
        if (strcmp(bmodel, "random"))
            return xml_err_value(c, "model", bmodel, "random", error);
        if (xml_check_attrs(c, ATTRS("model"), error) < 0)
            return -1;
        if (xml_get_text(c, &def->rng_source, error) < 0)
            return -1;
        if (!def->rng_source)
            def->rng_source = g_strdup("/dev/urandom");
        if (strcmp(def->rng_source, "/dev/urandom") && strcmp(def->rng_source, "/dev/random"))
            return xml_err_text_value(c, def->rng_source, "/dev/urandom, /dev/random", error);
    }
    if (!seen_backend)
        return xml_err_missing_element("rng", "backend", error);
    def->has_rng = true;
    return 0;
}

static int parse_memballoon(domain_def *def, const xmlNode *n, GError **error)
{
    g_autofree char *model = NULL;

    model = xml_get_attr(n, "model");
    if (!model)
        return xml_err_missing_attr(n, "model", error);
    if (!strcmp(model, "virtio"))
        def->memballoon_virtio = true;
    else if (strcmp(model, "none"))
        return xml_err_value(n, "model", model, "virtio, none", error);
    return xml_check_attrs(n, ATTRS("model"), error) < 0 ? -1 : xml_check_empty(n, error);
}

/* Accepted only where they describe what skiff is anyway: no USB controller,
 * and the root PCI bus. They are not kept: formatting leaves them out. */
static int parse_controller(const xmlNode *n, GError **error)
{
    g_autofree char *type = NULL;
    g_autofree char *model = NULL;
    g_autofree char *index = NULL;
    uint64_t v;

    type = xml_get_attr(n, "type");
    if (!type)
        return xml_err_missing_attr(n, "type", error);
    model = xml_get_attr(n, "model");
    if (!strcmp(type, "usb")) {
        if (g_strcmp0(model, "none")) {
            virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                           _("skiff has no USB: a <controller type='usb'> needs model='none'"));
            return -1;
        }
    } else if (!strcmp(type, "pci")) {
        if (!model)
            return xml_err_missing_attr(n, "model", error);
        if (strcmp(model, "pcie-root") && strcmp(model, "pci-root"))
            return xml_err_value(n, "model", model, "pcie-root, pci-root", error);
    } else {
        return xml_err_value(n, "type", type, _("usb with model='none', pci"), error);
    }
    if (xml_check_attrs(n, ATTRS("type", "model", "index"), error) < 0 ||
        xml_check_empty(n, error) < 0)
        return -1;
    index = xml_get_attr(n, "index");
    if (index && (!xml_parse_u64(index, &v) || v != 0))
        return xml_err_value(n, "index", index, "0", error);
    return 0;
}

int domain_parse_devices(domain_def *def, const xmlNode *devices, GError **error)
{
    bool seen_emulator = false;
    bool seen_memballoon = false;

    if (xml_check_attrs(devices, NO_ATTRS, error) < 0 || xml_check_no_text(devices, error) < 0)
        return -1;
    for (const xmlNode *c = devices->children; c; c = c->next) {
        int rc;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (xml_is(c, "emulator")) {
            rc = xml_once(devices, c, &seen_emulator, error);
            if (!rc)
                rc = xml_get_plain_text(c, &def->emulator, error);
            if (!rc && def->emulator)
                rc = xml_check_path("<emulator>", def->emulator, error);
        } else if (xml_is(c, "disk")) {
            rc = parse_disk(def, c, error);
        } else if (xml_is(c, "interface")) {
            rc = parse_interface(def, c, error);
        } else if (xml_is(c, "serial")) {
            rc = parse_serial(def, c, error);
        } else if (xml_is(c, "console")) {
            rc = parse_console(def, c, error);
        } else if (xml_is(c, "rng")) {
            rc = parse_rng(def, c, error);
        } else if (xml_is(c, "memballoon")) {
            rc = xml_once(devices, c, &seen_memballoon, error);
            if (!rc)
                rc = parse_memballoon(def, c, error);
        } else if (xml_is(c, "controller")) {
            rc = parse_controller(c, error);
        } else {
            rc = xml_err_element(devices, c, error);
        }
        if (rc < 0)
            return -1;
    }
    /* A console on the serial target is that serial port (libvirt adds the
     * <serial> the same way). */
    if (def->has_console && !def->has_serial) {
        def->has_serial = true;
        def->serial.type = DOMAIN_CHR_PTY;
    }
    return 0;
}
