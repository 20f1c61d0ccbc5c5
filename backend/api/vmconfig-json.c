/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VmConfig JSON <-> struct vm_config. Every member Cloud Hypervisor defines is
 * known here: the ones skiff implements are read, the others are accepted
 * only with the value that means "not used" (an empty list, false, null...),
 * so that a client can send what it would send to Cloud Hypervisor and learn
 * exactly which member skiff cannot honour yet. Anything else is unknown.
 */
#include "api/vmconfig-json.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "api/json-member.h"
#include "api/vmconfig-json-devices.h"
#include "vmm/error.h"

/* A Cloud Hypervisor member skiff does not implement: the only value it takes. */
static const struct fixed_member top_fixed[] = {
    { "rate_limit_groups", ONLY_EMPTY, NULL },
    { "balloon", ONLY_NULL, NULL },
    { "fs", ONLY_EMPTY, NULL },
    { "generic_vhost_user", ONLY_EMPTY, NULL },
    { "pmem", ONLY_EMPTY, NULL },
    { "debug_console", ONLY_NULL, NULL },
    { "devices", ONLY_EMPTY, NULL },
    { "user_devices", ONLY_EMPTY, NULL },
    { "vdpa", ONLY_EMPTY, NULL },
    { "vsock", ONLY_NULL, NULL },
    { "numa", ONLY_EMPTY, NULL },
    { "iommu", ONLY_FALSE, NULL },
    { "watchdog", ONLY_FALSE, NULL },
    { "rtc", ONLY_NULL, NULL },
    { "pvpanic", ONLY_FALSE, NULL },
    { "pci_segments", ONLY_EMPTY, NULL },
    { "platform", ONLY_NULL, NULL },
    { "tpm", ONLY_NULL, NULL },
    { "landlock_enable", ONLY_FALSE, NULL },
    { "landlock_rules", ONLY_EMPTY, NULL },
    { NULL, 0, NULL },
};

static const struct fixed_member payload_fixed[] = {
    { "igvm", ONLY_NULL, NULL },
    { "host_data", ONLY_NULL, NULL },
    { NULL, 0, NULL },
};

static const struct fixed_member cpus_fixed[] = {
    { "topology", ONLY_NULL, NULL },
    { "kvm_hyperv", ONLY_FALSE, NULL },
    { "max_phys_bits", ONLY_NULL, NULL },
    /* The host's nested-virtualisation CPUID bits pass through to the guest. */
    { "nested", ONLY_TRUE, NULL },
    { "affinity", ONLY_EMPTY, NULL },
    { "features", ONLY_NULL, NULL },
    { "core_scheduling", ONLY_NULL, NULL },
    { NULL, 0, NULL },
};

static const struct fixed_member memory_fixed[] = {
    { "hotplug_size", ONLY_ZERO, NULL },
    { "hotplugged_size", ONLY_ZERO, NULL },
    { "mergeable", ONLY_FALSE, NULL },
    { "hotplug_method", ONLY_STRING, "Acpi" },
    { "hugepage_size", ONLY_NULL, NULL },
    { "prefault", ONLY_FALSE, NULL },
    { "reserve", ONLY_FALSE, NULL },
    { "thp", ONLY_TRUE, NULL },
    { "zones", ONLY_EMPTY, NULL },
    { NULL, 0, NULL },
};

static const struct fixed_member serial_fixed[] = {
    { NULL, 0, NULL },
};

static const struct fixed_member console_fixed[] = {
    { "iommu", ONLY_FALSE, NULL },
    { "id", ONLY_NULL, NULL },
    { NULL, 0, NULL },
};

/* Cloud Hypervisor's ConsoleMode, in its order (used in messages). */
static const struct {
    const char *name;
    enum char_backend backend;
} char_modes[] = {
    { "Off", CHAR_OFF }, { "Pty", CHAR_PTY }, { "Tty", CHAR_TTY },
    { "File", CHAR_FILE }, { "Socket", CHAR_SOCKET }, { "Null", CHAR_NULL },
};

static int check_cpus(gint64 boot, gint64 max, GError **error)
{
    if (boot < 1 || boot > VM_CONFIG_MAX_VCPUS) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("cpus.boot_vcpus: must be between 1 and %d"), VM_CONFIG_MAX_VCPUS);
        return -1;
    }
    if (max < boot || max > VM_CONFIG_MAX_VCPUS) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("cpus.max_vcpus: must be between boot_vcpus (%" PRId64 ") and %d"),
                    (int64_t)boot, VM_CONFIG_MAX_VCPUS);
        return -1;
    }
    return 0;
}

static int check_memory(guint64 size, bool hugepages, GError **error)
{
    if (size < VM_CONFIG_MIN_MEMORY || size > VM_CONFIG_MAX_MEMORY) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("memory.size: must be between %llu (4 MiB) and %llu (4 PiB)"),
                    VM_CONFIG_MIN_MEMORY, VM_CONFIG_MAX_MEMORY);
        return -1;
    }
    if (size % 4096) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("memory.size: must be a multiple of 4096"));
        return -1;
    }
    if (hugepages && size % VM_CONFIG_HUGEPAGE_SIZE) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("memory.size: must be a multiple of %llu (2 MiB) with memory.hugepages"),
                    VM_CONFIG_HUGEPAGE_SIZE);
        return -1;
    }
    return 0;
}

/* The path a backend needs: the member's name, or NULL when it needs none. */
static const char *char_path_member(enum char_backend backend)
{
    switch (backend) {
    case CHAR_FILE: return "file";
    case CHAR_SOCKET: return "socket";
    default: return NULL;
    }
}

static int check_char(const char *name, const struct char_config *c, GError **error)
{
    const char *needs = char_path_member(c->backend);

    if (c->backend > CHAR_SOCKET) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("%s.mode: unknown mode"), name);
        return -1;
    }
    if (needs && (!c->path || !*c->path)) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("%s.%s: required with mode %s"), name, needs,
                    c->backend == CHAR_FILE ? "File" : "Socket");
        return -1;
    }
    return 0;
}

int vm_config_validate(const struct vm_config *cfg, GError **error)
{
    if (!cfg->kernel)
        return jm_missing("payload", "kernel", error);
    if (!*cfg->kernel) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("payload.kernel: must not be empty"));
        return -1;
    }
    if (cfg->initramfs && !*cfg->initramfs) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("payload.initramfs: must not be empty"));
        return -1;
    }
    if (check_cpus(cfg->boot_vcpus, cfg->max_vcpus, error) < 0)
        return -1;
    if (check_memory(cfg->memory_size, cfg->memory_hugepages, error) < 0)
        return -1;
    if (check_char("serial", &cfg->serial, error) < 0 ||
        check_char("console", &cfg->console, error) < 0)
        return -1;
    if (cfg->console.backend == CHAR_SOCKET) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("console.mode: Socket is for the serial port only"));
        return -1;
    }
    if (cfg->serial.backend == CHAR_TTY && cfg->console.backend == CHAR_TTY) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("serial.mode and console.mode: only one of them can be Tty"));
        return -1;
    }
    return 0;
}

static int parse_payload(JsonObject *o, struct vm_config *cfg, GError **error)
{
    static const char *const handled[] = { "firmware", "kernel", "cmdline", "initramfs", NULL };

    if (jm_check_known(o, "payload", handled, payload_fixed, error) < 0)
        return -1;
    if (jm_member(o, "firmware")) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                    _("payload.firmware: not supported yet (give payload.kernel)"));
        return -1;
    }
    if (jm_get_string(o, "payload", "kernel", false, &cfg->kernel, error) < 0)
        return -1;
    if (!cfg->kernel)
        return jm_missing("payload", "kernel", error);
    /* An empty command line is a command line; an empty path names no file. */
    if (jm_get_string(o, "payload", "cmdline", true, &cfg->cmdline, error) < 0 ||
        jm_get_string(o, "payload", "initramfs", false, &cfg->initramfs, error) < 0)
        return -1;
    return jm_check_fixed(o, "payload", payload_fixed, error);
}

static int parse_cpus(JsonObject *o, struct vm_config *cfg, GError **error)
{
    static const char *const handled[] = { "boot_vcpus", "max_vcpus", NULL };
    gint64 boot = 1;
    gint64 max = 0;
    bool has_boot;
    bool has_max;

    if (jm_check_known(o, "cpus", handled, cpus_fixed, error) < 0 ||
        jm_get_int(o, "cpus", "boot_vcpus", &boot, &has_boot, error) < 0 ||
        jm_get_int(o, "cpus", "max_vcpus", &max, &has_max, error) < 0)
        return -1;
    /* "not supported yet" first: it explains a value that only makes sense with it. */
    if (jm_check_fixed(o, "cpus", cpus_fixed, error) < 0)
        return -1;
    if (!has_boot)
        boot = 1;
    if (!has_max)
        max = boot;
    if (check_cpus(boot, max, error) < 0)
        return -1;
    cfg->boot_vcpus = (unsigned)boot;
    cfg->max_vcpus = (unsigned)max;
    return 0;
}

static int parse_memory(JsonObject *o, struct vm_config *cfg, GError **error)
{
    static const char *const handled[] = { "size", "shared", "hugepages", NULL };
    gint64 size = 0;
    bool has_size;

    if (jm_check_known(o, "memory", handled, memory_fixed, error) < 0 ||
        jm_get_int(o, "memory", "size", &size, &has_size, error) < 0 ||
        jm_get_bool(o, "memory", "shared", &cfg->memory_shared, error) < 0 ||
        jm_get_bool(o, "memory", "hugepages", &cfg->memory_hugepages, error) < 0)
        return -1;
    /* Before the size: Cloud Hypervisor's memory zones come with a size of 0. */
    if (jm_check_fixed(o, "memory", memory_fixed, error) < 0)
        return -1;
    if (has_size) {
        /* json-glib turns integers of 2^63 and more into negative ones. */
        cfg->memory_size = size < 0 ? G_MAXUINT64 : (guint64)size;
    }
    return check_memory(cfg->memory_size, cfg->memory_hugepages, error);
}

static int parse_char(JsonObject *o, const char *name, const struct fixed_member *fixed,
                      struct char_config *out, GError **error)
{
    static const char *const handled[] = { "mode", "file", "socket", NULL };
    g_autofree char *mode = NULL;
    g_autofree char *file = NULL;
    g_autofree char *socket = NULL;
    const char *needs;
    size_t i;

    if (jm_check_known(o, name, handled, fixed, error) < 0 ||
        jm_get_string(o, name, "mode", true, &mode, error) < 0)
        return -1;
    if (!mode)
        return jm_missing(name, "mode", error);
    for (i = 0; i < G_N_ELEMENTS(char_modes); i++) {
        if (!strcmp(mode, char_modes[i].name))
            break;
    }
    if (i == G_N_ELEMENTS(char_modes)) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("%s.mode: '%s' is not one of Off, Pty, Tty, File, Socket, Null"), name,
                    mode);
        return -1;
    }
    out->backend = char_modes[i].backend;
    if (!strcmp(name, "console") && out->backend == CHAR_SOCKET) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("console.mode: Socket is for the serial port only"));
        return -1;
    }
    if (jm_get_string(o, name, "file", false, &file, error) < 0 ||
        jm_get_string(o, name, "socket", false, &socket, error) < 0)
        return -1;
    needs = char_path_member(out->backend);
    /* A path the mode does not use is a mistake the client wants to hear about. */
    if (file && g_strcmp0(needs, "file")) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("%s.file: only allowed with mode File"), name);
        return -1;
    }
    if (socket && g_strcmp0(needs, "socket")) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("%s.socket: only allowed with mode Socket"), name);
        return -1;
    }
    g_free(out->path);
    out->path = file ? g_steal_pointer(&file) : g_steal_pointer(&socket);
    if (check_char(name, out, error) < 0)
        return -1;
    return jm_check_fixed(o, name, fixed, error);
}

/* Cloud Hypervisor's RngConfig, plus skiff's device id (vm.info shows it). */
static int parse_config(JsonObject *root, struct vm_config *cfg, GError **error)
{
    static const char *const handled[] = { "payload", "cpus", "memory", "serial", "console",
                                           "rng", "disks", "net", NULL };
    JsonObject *o;

    if (jm_check_known(root, NULL, handled, top_fixed, error) < 0)
        return -1;
    if (jm_get_object(root, NULL, "payload", &o, error) < 0)
        return -1;
    if (!o)
        return jm_missing(NULL, "payload", error);
    if (parse_payload(o, cfg, error) < 0)
        return -1;
    if (jm_get_object(root, NULL, "cpus", &o, error) < 0 || (o && parse_cpus(o, cfg, error) < 0))
        return -1;
    if (jm_get_object(root, NULL, "memory", &o, error) < 0 || (o && parse_memory(o, cfg, error) < 0))
        return -1;
    if (jm_get_object(root, NULL, "serial", &o, error) < 0 ||
        (o && parse_char(o, "serial", serial_fixed, &cfg->serial, error) < 0))
        return -1;
    if (jm_get_object(root, NULL, "console", &o, error) < 0 ||
        (o && parse_char(o, "console", console_fixed, &cfg->console, error) < 0))
        return -1;
    if (vmconfig_parse_devices(root, cfg, error) < 0)
        return -1;
    if (jm_check_fixed(root, NULL, top_fixed, error) < 0)
        return -1;
    return vm_config_validate(cfg, error);
}

/* json-glib ends a string at an escaped NUL ("a\u0000b" reads as "a"), which
 * would silently shorten a path: refuse the body instead. */
static bool has_nul_escape(const char *s, size_t len)
{
    for (size_t i = 0; i + 6 <= len; i++) {
        if (s[i] != '\\')
            continue;
        if (s[i + 1] == 'u' && !memcmp(s + i + 2, "0000", 4))
            return true;
        i++;    /* the escaped character: "\\u0000" is a backslash, then text */
    }
    return false;
}

static const char *kind_name(JsonNode *n)
{
    if (JSON_NODE_HOLDS_ARRAY(n))
        return _("an array");
    if (JSON_NODE_HOLDS_NULL(n))
        return "null";
    if (jm_holds(n, G_TYPE_STRING))
        return _("a string");
    if (jm_holds(n, G_TYPE_BOOLEAN))
        return _("a boolean");
    return _("a number");
}

struct dup_check {
    GHashTable *seen;       /* "object address/member name" */
    char *duplicate;        /* the first member seen twice */
};

/* json-glib keeps the last of two members with the same name without a word;
 * a client that sends two "cpus" has a bug it should hear about. */
static void on_object_member(JsonParser *parser, JsonObject *object, const char *name,
                             gpointer data)
{
    struct dup_check *d = data;
    char *key = g_strdup_printf("%p/%s", (void *)object, name);

    if (!g_hash_table_add(d->seen, key) && !d->duplicate)
        d->duplicate = g_strdup(name);
}

static JsonNode *parse_json(JsonParser *parser, const char *json, size_t len, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    struct dup_check dup = { seen, NULL };
    g_autofree char *duplicate = NULL;
    JsonNode *root;

    if (has_nul_escape(json, len)) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("invalid JSON: strings must not contain NUL (\\u0000)"));
        return NULL;
    }
    g_signal_connect(parser, "object-member", G_CALLBACK(on_object_member), &dup);
    if (len > 0 && !json_parser_load_from_data(parser, json, (gssize)len, &err)) {
        const char *msg = err->message;

        /* "<data>:1:8: Parse error: ..." names no file here: keep line:column. */
        if (g_str_has_prefix(msg, "<data>:"))
            msg += strlen("<data>:");
        g_free(dup.duplicate);
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("invalid JSON: %s"), msg);
        return NULL;
    }
    duplicate = dup.duplicate;
    if (duplicate) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("invalid JSON: member '%s' given twice in one object"), duplicate);
        return NULL;
    }
    root = len > 0 ? json_parser_get_root(parser) : NULL;
    if (!root) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("empty body: expected a VmConfig JSON object"));
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("expected a VmConfig JSON object, not %s"), kind_name(root));
        return NULL;
    }
    return root;
}

int vm_config_from_json(const char *json, size_t len, struct vm_config *cfg, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    struct vm_config tmp = {
        .boot_vcpus = 1,
        .max_vcpus = 1,
        .memory_size = VM_CONFIG_DEFAULT_MEMORY,
        .serial = { .backend = CHAR_NULL },
        .console = { .backend = CHAR_OFF },
    };
    JsonNode *root;

    if (!json)
        len = 0;
    root = parse_json(parser, json, len, error);
    if (!root)
        return -1;
    if (parse_config(json_node_get_object(root), &tmp, error) < 0) {
        vm_config_clear(&tmp);
        return -1;
    }
    tmp.no_reboot = cfg->no_reboot;
    vm_config_clear(cfg);
    *cfg = tmp;
    return 0;
}

static void add_char(JsonBuilder *b, const char *name, const struct char_config *c)
{
    const char *mode = "Off";
    const char *path_member = char_path_member(c->backend);

    for (size_t i = 0; i < G_N_ELEMENTS(char_modes); i++) {
        if (char_modes[i].backend == c->backend)
            mode = char_modes[i].name;
    }
    json_builder_set_member_name(b, name);
    json_builder_begin_object(b);
    jm_add_string(b, "mode", mode);
    if (path_member && c->path)
        jm_add_string(b, path_member, c->path);
    json_builder_end_object(b);
}

JsonNode *vm_config_to_json(const struct vm_config *cfg)
{
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();

    json_builder_begin_object(b);

    json_builder_set_member_name(b, "payload");
    json_builder_begin_object(b);
    if (cfg->kernel)
        jm_add_string(b, "kernel", cfg->kernel);
    if (cfg->initramfs)
        jm_add_string(b, "initramfs", cfg->initramfs);
    if (cfg->cmdline)
        jm_add_string(b, "cmdline", cfg->cmdline);
    json_builder_end_object(b);

    json_builder_set_member_name(b, "cpus");
    json_builder_begin_object(b);
    jm_add_int(b, "boot_vcpus", cfg->boot_vcpus);
    jm_add_int(b, "max_vcpus", cfg->max_vcpus);
    json_builder_end_object(b);

    json_builder_set_member_name(b, "memory");
    json_builder_begin_object(b);
    /* validate caps the size far below 2^63, so it fits JSON's int64. */
    jm_add_int(b, "size", (gint64)MIN(cfg->memory_size, (guint64)G_MAXINT64));
    jm_add_bool(b, "shared", cfg->memory_shared);
    jm_add_bool(b, "hugepages", cfg->memory_hugepages);
    json_builder_end_object(b);

    add_char(b, "serial", &cfg->serial);
    add_char(b, "console", &cfg->console);

    vmconfig_add_devices(b, cfg);

    json_builder_end_object(b);
    return json_builder_get_root(b);
}

