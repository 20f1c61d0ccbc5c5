/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Command line in Cloud Hypervisor's spelling: --cpus boot=N,max=M,
 * --memory size=512M,... GOption finds the options; the value grammars
 * ("key=value,..." lists, sizes, backends) are parsed here.
 */
#include "vmm/cli.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


G_DEFINE_QUARK(skiff-cli-error-quark, cli_error)

#define FORM_CPUS "boot=N[,max=M]"
#define FORM_MEMORY "size=SIZE[,shared=on|off][,hugepages=on|off]"
#define FORM_SERIAL "off|null|tty|pty|file=PATH|socket=PATH"
#define FORM_CONSOLE "off|null|tty|pty|file=PATH"
#define FORM_RNG "src=PATH[,id=ID]"
#define FORM_DISK "path=PATH[,readonly=on][,direct=on][,num_queues=N][,queue_size=N][,id=ID][,serial=S]"
#define FORM_NET "tap=NAME|fd=N[,mac=MAC][,ip=IP,mask=MASK][,num_queues=N][,queue_size=N][,mtu=N][,id=ID]"
#define FORM_SOCKET "path=PATH|fd=N"
#define FORM_SECCOMP "true|false|log"

void cli_options_clear(struct cli_options *opts)
{
    vm_config_clear(&opts->vm);
    g_clear_pointer(&opts->log_file, g_free);
    g_clear_pointer(&opts->api_socket_path, g_free);
    g_clear_pointer(&opts->event_monitor_path, g_free);
}

static int bad_value(GError **error, const char *opt, const char *form, const char *why)
{
    g_set_error(error, CLI_ERROR, 1, _("%s: %s (expected %s)"), opt, why, form);
    return -1;
}

int cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    guint64 v;
    unsigned shift = 0;

    if (!s || !g_ascii_isdigit(*s))
        return -1;
    errno = 0;
    v = g_ascii_strtoull(s, &end, 10);
    if (errno)
        return -1;
    switch (g_ascii_toupper(*end)) {
    case 0: break;
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    case 'T': shift = 40; end++; break;
    default: return -1;
    }
    if (*end || (shift && v > (G_MAXUINT64 >> shift)))
        return -1;
    *out = v << shift;
    return 0;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
    guint64 v;

    if (!g_ascii_string_to_unsigned(s, 10, 0, max, &v, NULL))
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_onoff(const char *s, bool *out)
{
    if (!strcmp(s, "on") || !strcmp(s, "true")) {
        *out = true;
        return 0;
    }
    if (!strcmp(s, "off") || !strcmp(s, "false")) {
        *out = false;
        return 0;
    }
    return -1;
}

/* "k=v,k=v" with only the given keys, each at most once. */
static GHashTable *kv_parse(const char *opt, const char *form, const char *s,
                            const char *const *keys, GError **error)
{
    g_autoptr(GHashTable) kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) items = g_strsplit(s, ",", -1);

    for (char **it = items; *it; it++) {
        const char *eq = strchr(*it, '=');
        g_autofree char *key = NULL;

        if (!eq || eq == *it) {
            g_autofree char *why = g_strdup_printf(_("'%s' is not key=value"), *it);
            bad_value(error, opt, form, why);
            return NULL;
        }
        key = g_strndup(*it, eq - *it);
        if (!g_strv_contains(keys, key)) {
            g_autofree char *why = g_strdup_printf(_("unknown parameter '%s'"), key);
            bad_value(error, opt, form, why);
            return NULL;
        }
        if (g_hash_table_contains(kv, key)) {
            g_autofree char *why = g_strdup_printf(_("parameter '%s' given twice"), key);
            bad_value(error, opt, form, why);
            return NULL;
        }
        g_hash_table_insert(kv, g_steal_pointer(&key), g_strdup(eq + 1));
    }
    return g_steal_pointer(&kv);
}

static gboolean opt_cpus(const char *name, const char *value, gpointer data, GError **error)
{
    static const char *const keys[] = { "boot", "max", NULL };
    struct cli_options *o = data;
    g_autoptr(GHashTable) kv = kv_parse("--cpus", FORM_CPUS, value, keys, error);
    const char *boot;
    const char *max;

    if (!kv)
        return FALSE;
    boot = g_hash_table_lookup(kv, "boot");
    max = g_hash_table_lookup(kv, "max");
    if (!boot)
        return bad_value(error, "--cpus", FORM_CPUS, _("boot= is required")), FALSE;
    if (parse_uint(boot, VM_CONFIG_MAX_VCPUS, &o->vm.boot_vcpus) < 0 || o->vm.boot_vcpus == 0) {
        g_autofree char *why = g_strdup_printf(_("boot=%s is not a number from 1 to %d"), boot,
                                               VM_CONFIG_MAX_VCPUS);
        return bad_value(error, "--cpus", FORM_CPUS, why), FALSE;
    }
    o->vm.max_vcpus = o->vm.boot_vcpus;
    if (max && (parse_uint(max, VM_CONFIG_MAX_VCPUS, &o->vm.max_vcpus) < 0 ||
                o->vm.max_vcpus < o->vm.boot_vcpus)) {
        g_autofree char *why = g_strdup_printf(_("max=%s is not a number from boot (%u) to %d"),
                                               max, o->vm.boot_vcpus, VM_CONFIG_MAX_VCPUS);
        return bad_value(error, "--cpus", FORM_CPUS, why), FALSE;
    }
    return TRUE;
}

static gboolean opt_memory(const char *name, const char *value, gpointer data, GError **error)
{
    static const char *const keys[] = { "size", "shared", "hugepages", NULL };
    struct cli_options *o = data;
    g_autoptr(GHashTable) kv = kv_parse("--memory", FORM_MEMORY, value, keys, error);
    const char *v;

    if (!kv)
        return FALSE;
    v = g_hash_table_lookup(kv, "size");
    if (!v)
        return bad_value(error, "--memory", FORM_MEMORY, _("size= is required")), FALSE;
    if (cli_parse_size(v, &o->vm.memory_size) < 0) {
        g_autofree char *why = g_strdup_printf(_("size=%s is not a size like 512M or 2G"), v);
        return bad_value(error, "--memory", FORM_MEMORY, why), FALSE;
    }
    if (o->vm.memory_size < VM_CONFIG_MIN_MEMORY || o->vm.memory_size > VM_CONFIG_MAX_MEMORY ||
        o->vm.memory_size % 4096) {
        g_autofree char *why = g_strdup_printf(_("size=%s must be a multiple of 4K, at least 4M and at most 4P"), v);
        return bad_value(error, "--memory", FORM_MEMORY, why), FALSE;
    }
    v = g_hash_table_lookup(kv, "shared");
    if (v && parse_onoff(v, &o->vm.memory_shared) < 0)
        return bad_value(error, "--memory", FORM_MEMORY, _("shared= takes on or off")), FALSE;
    v = g_hash_table_lookup(kv, "hugepages");
    if (v && parse_onoff(v, &o->vm.memory_hugepages) < 0)
        return bad_value(error, "--memory", FORM_MEMORY, _("hugepages= takes on or off")), FALSE;
    if (o->vm.memory_hugepages && o->vm.memory_size % VM_CONFIG_HUGEPAGE_SIZE)
        return bad_value(error, "--memory", FORM_MEMORY,
                         _("with hugepages=on the size must be a multiple of 2M")), FALSE;
    return TRUE;
}

/* The console (virtio-console) has every backend but socket, as in Cloud Hypervisor. */
static int parse_char(const char *opt, const char *form, const char *value, bool allow_socket,
                      struct char_config *out, GError **error)
{
    static const struct {
        const char *word;
        enum char_backend backend;
    } words[] = {
        { "off", CHAR_OFF }, { "null", CHAR_NULL }, { "tty", CHAR_TTY }, { "pty", CHAR_PTY },
    };

    g_clear_pointer(&out->path, g_free);
    for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
        if (!strcmp(value, words[i].word)) {
            out->backend = words[i].backend;
            return 0;
        }
    }
    if (g_str_has_prefix(value, "file=") && value[5]) {
        out->backend = CHAR_FILE;
        out->path = g_strdup(value + 5);
        return 0;
    }
    if (allow_socket && g_str_has_prefix(value, "socket=") && value[7]) {
        out->backend = CHAR_SOCKET;
        out->path = g_strdup(value + 7);
        return 0;
    }
    {
        g_autofree char *why = g_strdup_printf(_("'%s' is not a backend of this device"), value);
        return bad_value(error, opt, form, why);
    }
}

static gboolean opt_serial(const char *name, const char *value, gpointer data, GError **error)
{
    struct cli_options *o = data;

    return parse_char("--serial", FORM_SERIAL, value, true, &o->vm.serial, error) == 0;
}

static gboolean opt_console(const char *name, const char *value, gpointer data, GError **error)
{
    struct cli_options *o = data;

    return parse_char("--console", FORM_CONSOLE, value, false, &o->vm.console, error) == 0;
}

static gboolean opt_rng(const char *name, const char *value, gpointer data, GError **error)
{
    static const char *const keys[] = { "src", "id", NULL };
    struct cli_options *o = data;
    g_autoptr(GHashTable) kv = kv_parse("--rng", FORM_RNG, value, keys, error);
    const char *src;
    const char *id;

    if (!kv)
        return FALSE;
    src = g_hash_table_lookup(kv, "src");
    id = g_hash_table_lookup(kv, "id");
    if (src && !*src)
        return bad_value(error, "--rng", FORM_RNG, _("src= needs a path")), FALSE;
    if (id && !*id)
        return bad_value(error, "--rng", FORM_RNG, _("id= needs a name")), FALSE;
    g_free(o->vm.rng.src);
    g_free(o->vm.rng.id);
    o->vm.rng.src = g_strdup(src ? src : VM_CONFIG_DEFAULT_RNG_SRC);
    o->vm.rng.id = g_strdup(id ? id : VM_CONFIG_DEFAULT_RNG_ID);
    return TRUE;
}

/* "num_queues=" and "queue_size=": queue_size a power of two. */
static int parse_queues(const char *opt, const char *form, GHashTable *kv, unsigned *num_queues,
                        unsigned *queue_size, GError **error)
{
    const char *nq = g_hash_table_lookup(kv, "num_queues");
    const char *qs = g_hash_table_lookup(kv, "queue_size");

    if (nq && (parse_uint(nq, VM_CONFIG_MAX_DEVICE_QUEUES, num_queues) < 0 || !*num_queues)) {
        g_autofree char *why = g_strdup_printf(_("num_queues=%s is not a number from 1 to %d"), nq,
                                               VM_CONFIG_MAX_DEVICE_QUEUES);
        return bad_value(error, opt, form, why);
    }
    if (qs && (parse_uint(qs, VM_CONFIG_MAX_QUEUE_SIZE, queue_size) < 0 || *queue_size < 2 ||
               (*queue_size & (*queue_size - 1)))) {
        g_autofree char *why = g_strdup_printf(
            _("queue_size=%s is not a power of two from 2 to %d"), qs, VM_CONFIG_MAX_QUEUE_SIZE);
        return bad_value(error, opt, form, why);
    }
    return 0;
}

static gboolean opt_disk(const char *name, const char *value, gpointer data, GError **error)
{
    static const char *const keys[] = { "path", "readonly", "direct", "id", "serial",
                                        "num_queues", "queue_size", "_disable_io_uring", NULL };
    struct cli_options *o = data;
    g_autoptr(GHashTable) kv = kv_parse("--disk", FORM_DISK, value, keys, error);
    const char *path, *id, *serial, *ro, *direct;
    struct disk_config d;

    if (!kv)
        return FALSE;
    if (o->vm.n_disks == VM_CONFIG_MAX_DISKS) {
        g_autofree char *why = g_strdup_printf(_("at most %d disks"), VM_CONFIG_MAX_DISKS);
        return bad_value(error, "--disk", FORM_DISK, why), FALSE;
    }
    disk_config_init(&d);
    path = g_hash_table_lookup(kv, "path");
    id = g_hash_table_lookup(kv, "id");
    serial = g_hash_table_lookup(kv, "serial");
    ro = g_hash_table_lookup(kv, "readonly");
    direct = g_hash_table_lookup(kv, "direct");
    if (!path || !*path)
        return bad_value(error, "--disk", FORM_DISK, _("path= is required")), FALSE;
    if (id && !*id)
        return bad_value(error, "--disk", FORM_DISK, _("id= needs a name")), FALSE;
    if (serial && (!*serial || strlen(serial) > VM_CONFIG_DISK_SERIAL_MAX))
        return bad_value(error, "--disk", FORM_DISK, _("serial= needs 1 to 20 characters")),
               FALSE;
    if (ro && parse_onoff(ro, &d.readonly) < 0)
        return bad_value(error, "--disk", FORM_DISK, _("readonly= takes on or off")), FALSE;
    if (direct && parse_onoff(direct, &d.direct) < 0)
        return bad_value(error, "--disk", FORM_DISK, _("direct= takes on or off")), FALSE;
    if (parse_queues("--disk", FORM_DISK, kv, &d.num_queues, &d.queue_size, error) < 0)
        return FALSE;
    if ((direct = g_hash_table_lookup(kv, "_disable_io_uring")) &&
        parse_onoff(direct, &d.disable_io_uring) < 0)
        return bad_value(error, "--disk", FORM_DISK, _("_disable_io_uring= takes on or off")),
               FALSE;
    d.path = g_strdup(path);
    d.id = g_strdup(id);
    d.serial = g_strdup(serial);
    o->vm.disks[o->vm.n_disks++] = d;
    return TRUE;
}

/* "fd=3" or "fd=[3,4]": one tap descriptor per queue pair. */
static int parse_net_fds(const char *v, struct net_config *n, GError **error)
{
    g_autofree char *list = NULL;
    g_auto(GStrv) items = NULL;

    if (v[0] == '[') {
        size_t len = strlen(v);

        if (len < 3 || v[len - 1] != ']')
            return bad_value(error, "--net", FORM_NET, _("fd= takes N or [N,M,...]"));
        list = g_strndup(v + 1, len - 2);
    } else {
        list = g_strdup(v);
    }
    items = g_strsplit(list, ";", -1);
    n->n_fds = 0;
    for (char **it = items; *it; it++) {
        unsigned fd;

        if (n->n_fds == VM_CONFIG_MAX_NET_FDS) {
            g_autofree char *why = g_strdup_printf(_("fd= takes at most %d descriptors"),
                                                   VM_CONFIG_MAX_NET_FDS);
            return bad_value(error, "--net", FORM_NET, why);
        }
        if (parse_uint(*it, G_MAXINT, &fd) < 0 || fd <= 2) {
            g_autofree char *why = g_strdup_printf(_("fd=%s is not a descriptor above 2"), *it);
            return bad_value(error, "--net", FORM_NET, why);
        }
        n->fds[n->n_fds++] = (int)fd;
    }
    return 0;
}

static gboolean opt_net(const char *name, const char *value, gpointer data, GError **error)
{
    static const char *const keys[] = { "tap", "fd", "mac", "ip", "mask", "num_queues",
                                        "queue_size", "mtu", "id", NULL };
    struct cli_options *o = data;
    g_autoptr(GHashTable) kv = NULL;
    struct net_config n;
    const char *tap, *fd, *mac, *ip, *mask, *mtu, *id;
    g_autofree char *fixed = NULL;

    /* fd=[3,4] has a comma inside brackets: protect it from the key=value split. */
    fixed = g_strdup(value);
    for (char *p = fixed, *open = NULL; *p; p++) {
        if (*p == '[')
            open = p;
        else if (*p == ']')
            open = NULL;
        else if (open && *p == ',')
            *p = ';';
    }
    kv = kv_parse("--net", FORM_NET, fixed, keys, error);
    if (!kv)
        return FALSE;
    if (o->vm.n_nets == VM_CONFIG_MAX_NETS) {
        g_autofree char *why = g_strdup_printf(_("at most %d network devices"), VM_CONFIG_MAX_NETS);
        return bad_value(error, "--net", FORM_NET, why), FALSE;
    }
    net_config_init(&n);
    tap = g_hash_table_lookup(kv, "tap");
    fd = g_hash_table_lookup(kv, "fd");
    mac = g_hash_table_lookup(kv, "mac");
    ip = g_hash_table_lookup(kv, "ip");
    mask = g_hash_table_lookup(kv, "mask");
    mtu = g_hash_table_lookup(kv, "mtu");
    id = g_hash_table_lookup(kv, "id");
    if (!tap == !fd)
        return bad_value(error, "--net", FORM_NET, _("give either tap= or fd=")), FALSE;
    if (tap && (!*tap || strlen(tap) >= 16 || strchr(tap, '/')))
        return bad_value(error, "--net", FORM_NET,
                         _("tap= needs an interface name of 1 to 15 characters")), FALSE;
    if (fd && parse_net_fds(fd, &n, error) < 0)
        return FALSE;
    if (mac && vm_config_parse_mac(mac, n.mac) < 0) {
        g_autofree char *why = g_strdup_printf(_("mac=%s is not a unicast MAC like 52:54:00:12:34:56"), mac);
        return bad_value(error, "--net", FORM_NET, why), FALSE;
    }
    if (!ip != !mask)
        return bad_value(error, "--net", FORM_NET, _("ip= and mask= go together")), FALSE;
    if (ip && (!vm_config_is_ipv4(ip) || !vm_config_is_ipv4(mask)))
        return bad_value(error, "--net", FORM_NET, _("ip= and mask= take IPv4 addresses")),
               FALSE;
    if (fd && ip)
        return bad_value(error, "--net", FORM_NET,
                         _("ip= and mask= configure a tap skiff opens, not one given by fd=")),
               FALSE;
    if (mtu && (parse_uint(mtu, VM_CONFIG_MAX_MTU, &n.mtu) < 0 || n.mtu < VM_CONFIG_MIN_MTU)) {
        g_autofree char *why = g_strdup_printf(_("mtu=%s is not a number from %d to %d"), mtu,
                                               VM_CONFIG_MIN_MTU, VM_CONFIG_MAX_MTU);
        return bad_value(error, "--net", FORM_NET, why), FALSE;
    }
    if (id && !*id)
        return bad_value(error, "--net", FORM_NET, _("id= needs a name")), FALSE;
    if (parse_queues("--net", FORM_NET, kv, &n.num_queues, &n.queue_size, error) < 0)
        return FALSE;
    if (n.num_queues % 2)
        return bad_value(error, "--net", FORM_NET,
                         _("num_queues counts receive and transmit queues: it must be even")),
               FALSE;
    if (n.n_fds && n.n_fds * 2 != n.num_queues) {
        if (g_hash_table_contains(kv, "num_queues"))
            return bad_value(error, "--net", FORM_NET,
                             _("give one fd per queue pair (num_queues / 2)")), FALSE;
        n.num_queues = n.n_fds * 2;
    }
    n.tap = g_strdup(tap);
    n.ip = g_strdup(ip);
    n.mask = g_strdup(mask);
    n.id = g_strdup(id);
    o->vm.nets[o->vm.n_nets++] = n;
    return TRUE;
}

/* "path=PATH" or "fd=N" (an inherited descriptor). */
static gboolean parse_path_or_fd(const char *opt, const char *value, char **path, int *fd,
                                 GError **error)
{
    unsigned n;

    g_clear_pointer(path, g_free);
    *fd = -1;
    if (g_str_has_prefix(value, "path=") && value[5]) {
        *path = g_strdup(value + 5);
        return TRUE;
    }
    if (g_str_has_prefix(value, "fd=") && parse_uint(value + 3, G_MAXINT, &n) == 0 && n > 2) {
        *fd = (int)n;
        return TRUE;
    }
    {
        g_autofree char *why = g_strdup_printf(_("'%s' is neither path=PATH nor fd=N (N > 2)"),
                                               value);
        return bad_value(error, opt, FORM_SOCKET, why), FALSE;
    }
}

static gboolean opt_api_socket(const char *name, const char *value, gpointer data, GError **error)
{
    struct cli_options *o = data;

    return parse_path_or_fd("--api-socket", value, &o->api_socket_path, &o->api_socket_fd, error);
}

static gboolean opt_event_monitor(const char *name, const char *value, gpointer data,
                                  GError **error)
{
    struct cli_options *o = data;

    return parse_path_or_fd("--event-monitor", value, &o->event_monitor_path,
                            &o->event_monitor_fd, error);
}

static gboolean opt_seccomp(const char *name, const char *value, gpointer data, GError **error)
{
    struct cli_options *o = data;

    if (!strcmp(value, "true"))
        o->seccomp = SECCOMP_MODE_KILL;
    else if (!strcmp(value, "false"))
        o->seccomp = SECCOMP_MODE_OFF;
    else if (!strcmp(value, "log"))
        o->seccomp = SECCOMP_MODE_LOG;
    else
        return bad_value(error, "--seccomp", FORM_SECCOMP, _("unknown mode")), FALSE;
    return TRUE;
}

static gboolean opt_verbose(const char *name, const char *value, gpointer data, GError **error)
{
    struct cli_options *o = data;

    o->verbosity++;
    return TRUE;
}

static int check_complete(struct cli_options *o, GError **error)
{
    bool serving = o->api_socket_path || o->api_socket_fd >= 0;

    if (o->version || o->print_api_routes)
        return 0;
    /* With an API socket, an empty VMM waits for vm.create. */
    if (!o->vm.kernel && (o->vm.initramfs || o->vm.cmdline)) {
        g_set_error(error, CLI_ERROR, 1, _("--kernel: --initramfs and --cmdline need a kernel "
                                           "(expected --kernel PATH)"));
        return -1;
    }
    if (!o->vm.kernel && serving)
        return 0;
    if (!o->vm.kernel) {
        g_set_error(error, CLI_ERROR, 1, _("--kernel: no kernel given (expected --kernel PATH, "
                                           "or --api-socket to wait for vm.create)"));
        return -1;
    }
    if (!*o->vm.kernel) {
        g_set_error(error, CLI_ERROR, 1, _("--kernel: empty path (expected --kernel PATH)"));
        return -1;
    }
    if (o->vm.initramfs && !*o->vm.initramfs) {
        g_set_error(error, CLI_ERROR, 1, _("--initramfs: empty path (expected --initramfs PATH)"));
        return -1;
    }
    if (o->vm.serial.backend == CHAR_TTY && o->vm.console.backend == CHAR_TTY) {
        g_set_error(error, CLI_ERROR, 1, _("--serial tty and --console tty cannot both be used: "
                                           "there is one terminal"));
        return -1;
    }
    return vm_config_assign_ids(&o->vm, error);
}

int cli_parse(int argc, char **argv, struct cli_options *o, GError **error)
{
    gboolean no_reboot = FALSE;
    g_autofree char **args = g_new0(char *, argc + 1);
    int nargs = argc;
    GOptionEntry entries[] = {
        { "kernel", 0, 0, G_OPTION_ARG_FILENAME, &o->vm.kernel,
          N_("Kernel to boot: a PVH ELF (vmlinux) or a bzImage"), N_("PATH") },
        { "initramfs", 0, 0, G_OPTION_ARG_FILENAME, &o->vm.initramfs,
          N_("Initial RAM disk"), N_("PATH") },
        { "cmdline", 0, 0, G_OPTION_ARG_STRING, &o->vm.cmdline,
          N_("Kernel command line"), N_("STRING") },
        { "cpus", 0, 0, G_OPTION_ARG_CALLBACK, opt_cpus, N_("vCPUs"), FORM_CPUS },
        { "memory", 0, 0, G_OPTION_ARG_CALLBACK, opt_memory, N_("Guest RAM"), FORM_MEMORY },
        { "serial", 0, 0, G_OPTION_ARG_CALLBACK, opt_serial,
          N_("Where COM1 goes (default: null)"), FORM_SERIAL },
        { "console", 0, 0, G_OPTION_ARG_CALLBACK, opt_console,
          N_("Where the virtio-console goes (default: off)"), FORM_CONSOLE },
        { "rng", 0, 0, G_OPTION_ARG_CALLBACK, opt_rng,
          N_("virtio-rng fed from a host file (default src: /dev/urandom)"), FORM_RNG },
        { "disk", 0, 0, G_OPTION_ARG_CALLBACK, opt_disk,
          N_("virtio-blk over a raw image or block device (repeat for more)"), FORM_DISK },
        { "net", 0, 0, G_OPTION_ARG_CALLBACK, opt_net,
          N_("virtio-net over a tap device (repeat for more)"), FORM_NET },
        { "no-reboot", 0, 0, G_OPTION_ARG_NONE, &no_reboot,
          N_("Exit with status 2 when the guest resets, instead of restarting it"), NULL },
        { "api-socket", 0, 0, G_OPTION_ARG_CALLBACK, opt_api_socket,
          N_("REST API socket: created at PATH (mode 0600) or inherited as fd N"), FORM_SOCKET },
        { "event-monitor", 0, 0, G_OPTION_ARG_CALLBACK, opt_event_monitor,
          N_("Write lifecycle events as JSON to PATH or fd N"), FORM_SOCKET },
        { "seccomp", 0, 0, G_OPTION_ARG_CALLBACK, opt_seccomp,
          N_("Per-thread syscall filters: on (default), off, or log violations"), FORM_SECCOMP },
        { "print-api-routes", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &o->print_api_routes,
          N_("Print the REST endpoints (METHOD name) and exit"), NULL },
        { "verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, opt_verbose,
          N_("More log output (repeat for debug)"), NULL },
        { "log-file", 0, 0, G_OPTION_ARG_FILENAME, &o->log_file,
          N_("Write the log here instead of stderr"), N_("PATH") },
        { "version", 0, 0, G_OPTION_ARG_NONE, &o->version, N_("Print the version and exit"), NULL },
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    GOptionGroup *group = g_option_group_new("skiff", "", "", o, NULL);

    o->vm.boot_vcpus = 1;
    o->vm.max_vcpus = 1;
    o->vm.memory_size = VM_CONFIG_DEFAULT_MEMORY;
    o->vm.serial.backend = CHAR_NULL;
    o->vm.console.backend = CHAR_OFF;
    o->api_socket_fd = -1;
    o->event_monitor_fd = -1;
    o->seccomp = SECCOMP_MODE_KILL;

    g_option_group_add_entries(group, entries);
    g_option_group_set_translation_domain(group, GETTEXT_PACKAGE);
    g_option_context_set_main_group(ctx, group);
    g_option_context_set_summary(ctx, _("skiff: a small virtual machine monitor for KVM"));
    g_option_context_set_help_enabled(ctx, TRUE);
    g_option_context_set_strict_posix(ctx, FALSE);
    for (int i = 0; i < argc; i++)
        args[i] = argv[i];
    /* GOption exits on --help itself; catch it to keep control of the exit path. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);

            fputs(help, stdout);
            return 1;
        }
    }
    if (!g_option_context_parse(ctx, &nargs, &args, error))
        return -1;
    if (nargs > 1) {
        g_set_error(error, CLI_ERROR, 1, _("unexpected argument '%s' (options start with --)"),
                    args[1]);
        return -1;
    }
    o->vm.no_reboot = no_reboot;
    return check_complete(o, error);
}
