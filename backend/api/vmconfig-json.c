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

#include "vmm/error.h"

/* A Cloud Hypervisor member skiff does not implement: the only value it takes. */
enum fixed_kind {
    ONLY_NULL,      /* absent or null; any other value is "not supported yet" */
    ONLY_FALSE,
    ONLY_TRUE,
    ONLY_ZERO,
    ONLY_EMPTY,     /* an array, empty */
    ONLY_STRING,    /* the string in .value */
};

struct fixed_member {
    const char *name;
    enum fixed_kind kind;
    const char *value;
};

static const struct fixed_member top_fixed[] = {
    { "rate_limit_groups", ONLY_EMPTY, NULL },
    { "net", ONLY_EMPTY, NULL },
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

static char *member_path(const char *parent, const char *name)
{
    return parent ? g_strdup_printf("%s.%s", parent, name) : g_strdup(name);
}

/* NULL when absent or null: Cloud Hypervisor reads null as "not set". */
static JsonNode *member(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    return n && !JSON_NODE_HOLDS_NULL(n) ? n : NULL;
}

static bool holds(JsonNode *n, GType type)
{
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == type;
}

static int wrong_type(const char *parent, const char *name, const char *expected, GError **error)
{
    g_autofree char *path = member_path(parent, name);

    /* TRANSLATORS: "cpus.boot_vcpus: expected an integer" */
    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("%s: expected %s"), path, expected);
    return -1;
}

static int missing(const char *parent, const char *name, GError **error)
{
    g_autofree char *path = member_path(parent, name);

    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("%s: required"), path);
    return -1;
}

static bool is_known(const char *name, const char *const *handled, const struct fixed_member *fixed)
{
    if (g_strv_contains(handled, name))
        return true;
    for (; fixed->name; fixed++) {
        if (!strcmp(fixed->name, name))
            return true;
    }
    return false;
}

/* In document order, so that the first unknown member is the one reported. */
static int check_known(JsonObject *o, const char *parent, const char *const *handled,
                       const struct fixed_member *fixed, GError **error)
{
    g_autoptr(GList) names = json_object_get_members(o);

    for (GList *l = names; l; l = l->next) {
        if (!is_known(l->data, handled, fixed)) {
            g_autofree char *path = member_path(parent, l->data);

            g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("unknown member '%s'"), path);
            return -1;
        }
    }
    return 0;
}

static int check_fixed(JsonObject *o, const char *parent, const struct fixed_member *fixed,
                       GError **error)
{
    for (; fixed->name; fixed++) {
        JsonNode *n = member(o, fixed->name);
        g_autofree char *path = NULL;

        if (!n)
            continue;
        path = member_path(parent, fixed->name);
        switch (fixed->kind) {
        case ONLY_NULL:
            g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                        _("%s: not supported yet"), path);
            return -1;
        case ONLY_FALSE:
        case ONLY_TRUE:
            if (!holds(n, G_TYPE_BOOLEAN))
                return wrong_type(parent, fixed->name, _("a boolean"), error);
            if (json_node_get_boolean(n) != (fixed->kind == ONLY_TRUE)) {
                g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                            _("%s: %s is not supported yet"), path,
                            fixed->kind == ONLY_TRUE ? "false" : "true");
                return -1;
            }
            break;
        case ONLY_ZERO:
            if (!holds(n, G_TYPE_INT64))
                return wrong_type(parent, fixed->name, _("an integer"), error);
            if (json_node_get_int(n) != 0) {
                g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                            _("%s: not supported yet (only 0 is accepted)"), path);
                return -1;
            }
            break;
        case ONLY_EMPTY:
            if (!JSON_NODE_HOLDS_ARRAY(n))
                return wrong_type(parent, fixed->name, _("an array"), error);
            if (json_array_get_length(json_node_get_array(n)) != 0) {
                g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                            _("%s: not supported yet (only an empty list is accepted)"), path);
                return -1;
            }
            break;
        case ONLY_STRING:
            if (!holds(n, G_TYPE_STRING))
                return wrong_type(parent, fixed->name, _("a string"), error);
            if (strcmp(json_node_get_string(n), fixed->value) != 0) {
                g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                            _("%s: not supported yet (only \"%s\" is accepted)"), path,
                            fixed->value);
                return -1;
            }
            break;
        }
    }
    return 0;
}

/* *out: the object, or NULL when absent or null. */
static int get_object(JsonObject *o, const char *parent, const char *name, JsonObject **out,
                      GError **error)
{
    JsonNode *n = member(o, name);

    *out = NULL;
    if (!n)
        return 0;
    if (!JSON_NODE_HOLDS_OBJECT(n))
        return wrong_type(parent, name, _("an object"), error);
    *out = json_node_get_object(n);
    return 0;
}

static int get_int(JsonObject *o, const char *parent, const char *name, gint64 *out,
                   bool *present, GError **error)
{
    JsonNode *n = member(o, name);

    *present = n != NULL;
    if (!n)
        return 0;
    /* json-glib reads 1.0 and 1e3 as doubles: not integers, as in the schema. */
    if (!holds(n, G_TYPE_INT64))
        return wrong_type(parent, name, _("an integer"), error);
    *out = json_node_get_int(n);
    return 0;
}

static int get_bool(JsonObject *o, const char *parent, const char *name, bool *out,
                    GError **error)
{
    JsonNode *n = member(o, name);

    if (!n)
        return 0;
    if (!holds(n, G_TYPE_BOOLEAN))
        return wrong_type(parent, name, _("a boolean"), error);
    *out = json_node_get_boolean(n);
    return 0;
}

/* *out: a copy, or left NULL when absent or null. */
static int get_string(JsonObject *o, const char *parent, const char *name, bool allow_empty,
                      char **out, GError **error)
{
    JsonNode *n = member(o, name);

    if (!n)
        return 0;
    if (!holds(n, G_TYPE_STRING))
        return wrong_type(parent, name, _("a string"), error);
    if (!allow_empty && !*json_node_get_string(n)) {
        g_autofree char *path = member_path(parent, name);

        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("%s: must not be empty"), path);
        return -1;
    }
    g_free(*out);
    *out = g_strdup(json_node_get_string(n));
    return 0;
}

/* Shared by the JSON reader (which sees int64 values) and vm_config_validate. */
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

static int console_unsupported(GError **error)
{
    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                _("console.mode: virtio-console is not available yet, so only Off and Null are "
                  "accepted"));
    return -1;
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

    if (!strcmp(name, "console") && c->backend != CHAR_OFF && c->backend != CHAR_NULL)
        return console_unsupported(error);
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
        return missing("payload", "kernel", error);
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
    if (check_char("serial", &cfg->serial, error) < 0)
        return -1;
    return check_char("console", &cfg->console, error);
}

static int parse_payload(JsonObject *o, struct vm_config *cfg, GError **error)
{
    static const char *const handled[] = { "firmware", "kernel", "cmdline", "initramfs", NULL };

    if (check_known(o, "payload", handled, payload_fixed, error) < 0)
        return -1;
    if (member(o, "firmware")) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                    _("payload.firmware: not supported yet (give payload.kernel)"));
        return -1;
    }
    if (get_string(o, "payload", "kernel", false, &cfg->kernel, error) < 0)
        return -1;
    if (!cfg->kernel)
        return missing("payload", "kernel", error);
    /* An empty command line is a command line; an empty path names no file. */
    if (get_string(o, "payload", "cmdline", true, &cfg->cmdline, error) < 0 ||
        get_string(o, "payload", "initramfs", false, &cfg->initramfs, error) < 0)
        return -1;
    return check_fixed(o, "payload", payload_fixed, error);
}

static int parse_cpus(JsonObject *o, struct vm_config *cfg, GError **error)
{
    static const char *const handled[] = { "boot_vcpus", "max_vcpus", NULL };
    gint64 boot = 1;
    gint64 max = 0;
    bool has_boot;
    bool has_max;

    if (check_known(o, "cpus", handled, cpus_fixed, error) < 0 ||
        get_int(o, "cpus", "boot_vcpus", &boot, &has_boot, error) < 0 ||
        get_int(o, "cpus", "max_vcpus", &max, &has_max, error) < 0)
        return -1;
    /* "not supported yet" first: it explains a value that only makes sense with it. */
    if (check_fixed(o, "cpus", cpus_fixed, error) < 0)
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

    if (check_known(o, "memory", handled, memory_fixed, error) < 0 ||
        get_int(o, "memory", "size", &size, &has_size, error) < 0 ||
        get_bool(o, "memory", "shared", &cfg->memory_shared, error) < 0 ||
        get_bool(o, "memory", "hugepages", &cfg->memory_hugepages, error) < 0)
        return -1;
    /* Before the size: Cloud Hypervisor's memory zones come with a size of 0. */
    if (check_fixed(o, "memory", memory_fixed, error) < 0)
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

    if (check_known(o, name, handled, fixed, error) < 0 ||
        get_string(o, name, "mode", true, &mode, error) < 0)
        return -1;
    if (!mode)
        return missing(name, "mode", error);
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
    if (!strcmp(name, "console") && out->backend != CHAR_OFF && out->backend != CHAR_NULL)
        return console_unsupported(error);
    if (get_string(o, name, "file", false, &file, error) < 0 ||
        get_string(o, name, "socket", false, &socket, error) < 0)
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
    return check_fixed(o, name, fixed, error);
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

    if (check_known(o, "rng", handled, rng_fixed, error) < 0)
        return -1;
    if (get_string(o, "rng", "src", false, &src, error) < 0 ||
        get_string(o, "rng", "id", false, &id, error) < 0)
        return -1;
    g_free(out->src);
    g_free(out->id);
    out->src = src ? g_steal_pointer(&src) : g_strdup(VM_CONFIG_DEFAULT_RNG_SRC);
    out->id = id ? g_steal_pointer(&id) : g_strdup(VM_CONFIG_DEFAULT_RNG_ID);
    return check_fixed(o, "rng", rng_fixed, error);
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
    { NULL, 0, NULL },
};

static int parse_disk(JsonObject *o, struct disk_config *out, GError **error)
{
    static const char *const handled[] = { "path", "readonly", "direct", "id", "serial",
                                           "num_queues", NULL };
    const char *name = "disks[0]";
    gint64 num_queues = 1;
    bool present;

    if (check_known(o, name, handled, disk_fixed, error) < 0)
        return -1;
    if (get_string(o, name, "path", false, &out->path, error) < 0 ||
        get_string(o, name, "id", false, &out->id, error) < 0 ||
        get_string(o, name, "serial", false, &out->serial, error) < 0 ||
        get_bool(o, name, "readonly", &out->readonly, error) < 0 ||
        get_bool(o, name, "direct", &out->direct, error) < 0 ||
        get_int(o, name, "num_queues", &num_queues, &present, error) < 0)
        return -1;
    if (!out->path)
        return missing(name, "path", error);
    if (num_queues != 1) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                    _("%s.num_queues: not supported yet (only 1 is accepted)"), name);
        return -1;
    }
    if (out->serial && strlen(out->serial) > 20) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("%s.serial: at most 20 characters"), name);
        return -1;
    }
    if (!out->id)
        out->id = g_strdup(VM_CONFIG_DEFAULT_DISK_ID);
    return check_fixed(o, name, disk_fixed, error);
}

/* One disk for now: an empty list or a list of one. */
static int parse_disks(JsonObject *root, struct disk_config *out, GError **error)
{
    JsonNode *n = member(root, "disks");
    JsonArray *a;
    JsonNode *d;

    if (!n)
        return 0;
    if (!JSON_NODE_HOLDS_ARRAY(n))
        return wrong_type(NULL, "disks", _("an array"), error);
    a = json_node_get_array(n);
    if (json_array_get_length(a) == 0)
        return 0;
    if (json_array_get_length(a) > 1) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                    _("disks: not supported yet (at most one disk is accepted)"));
        return -1;
    }
    d = json_array_get_element(a, 0);
    if (!JSON_NODE_HOLDS_OBJECT(d))
        return wrong_type(NULL, "disks[0]", _("an object"), error);
    g_clear_pointer(&out->path, g_free);
    g_clear_pointer(&out->id, g_free);
    g_clear_pointer(&out->serial, g_free);
    return parse_disk(json_node_get_object(d), out, error);
}

static int parse_config(JsonObject *root, struct vm_config *cfg, GError **error)
{
    static const char *const handled[] = { "payload", "cpus", "memory", "serial", "console",
                                           "rng", "disks", NULL };
    JsonObject *o;

    if (check_known(root, NULL, handled, top_fixed, error) < 0)
        return -1;
    if (get_object(root, NULL, "payload", &o, error) < 0)
        return -1;
    if (!o)
        return missing(NULL, "payload", error);
    if (parse_payload(o, cfg, error) < 0)
        return -1;
    if (get_object(root, NULL, "cpus", &o, error) < 0 || (o && parse_cpus(o, cfg, error) < 0))
        return -1;
    if (get_object(root, NULL, "memory", &o, error) < 0 || (o && parse_memory(o, cfg, error) < 0))
        return -1;
    if (get_object(root, NULL, "serial", &o, error) < 0 ||
        (o && parse_char(o, "serial", serial_fixed, &cfg->serial, error) < 0))
        return -1;
    if (get_object(root, NULL, "console", &o, error) < 0 ||
        (o && parse_char(o, "console", console_fixed, &cfg->console, error) < 0))
        return -1;
    if (get_object(root, NULL, "rng", &o, error) < 0 || (o && parse_rng(o, &cfg->rng, error) < 0))
        return -1;
    if (parse_disks(root, &cfg->disk, error) < 0)
        return -1;
    if (check_fixed(root, NULL, top_fixed, error) < 0)
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
    if (holds(n, G_TYPE_STRING))
        return _("a string");
    if (holds(n, G_TYPE_BOOLEAN))
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

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

static void add_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

static void add_bool(JsonBuilder *b, const char *name, bool value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, value);
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
    add_string(b, "mode", mode);
    if (path_member && c->path)
        add_string(b, path_member, c->path);
    json_builder_end_object(b);
}

JsonNode *vm_config_to_json(const struct vm_config *cfg)
{
    g_autoptr(JsonBuilder) b = json_builder_new_immutable();

    json_builder_begin_object(b);

    json_builder_set_member_name(b, "payload");
    json_builder_begin_object(b);
    if (cfg->kernel)
        add_string(b, "kernel", cfg->kernel);
    if (cfg->initramfs)
        add_string(b, "initramfs", cfg->initramfs);
    if (cfg->cmdline)
        add_string(b, "cmdline", cfg->cmdline);
    json_builder_end_object(b);

    json_builder_set_member_name(b, "cpus");
    json_builder_begin_object(b);
    add_int(b, "boot_vcpus", cfg->boot_vcpus);
    add_int(b, "max_vcpus", cfg->max_vcpus);
    json_builder_end_object(b);

    json_builder_set_member_name(b, "memory");
    json_builder_begin_object(b);
    /* validate caps the size far below 2^63, so it fits JSON's int64. */
    add_int(b, "size", (gint64)MIN(cfg->memory_size, (guint64)G_MAXINT64));
    add_bool(b, "shared", cfg->memory_shared);
    add_bool(b, "hugepages", cfg->memory_hugepages);
    json_builder_end_object(b);

    add_char(b, "serial", &cfg->serial);
    add_char(b, "console", &cfg->console);

    if (cfg->rng.src) {
        json_builder_set_member_name(b, "rng");
        json_builder_begin_object(b);
        add_string(b, "src", cfg->rng.src);
        add_string(b, "id", cfg->rng.id ? cfg->rng.id : VM_CONFIG_DEFAULT_RNG_ID);
        json_builder_end_object(b);
    }

    /* Absent when there is no disk, as rng. */
    if (cfg->disk.path) {
        json_builder_set_member_name(b, "disks");
        json_builder_begin_array(b);
        json_builder_begin_object(b);
        add_string(b, "path", cfg->disk.path);
        add_bool(b, "readonly", cfg->disk.readonly);
        add_bool(b, "direct", cfg->disk.direct);
        add_string(b, "id", cfg->disk.id ? cfg->disk.id : VM_CONFIG_DEFAULT_DISK_ID);
        if (cfg->disk.serial)
            add_string(b, "serial", cfg->disk.serial);
        json_builder_end_object(b);
        json_builder_end_array(b);
    }

    json_builder_end_object(b);
    return json_builder_get_root(b);
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
    tmp.disk.path = g_strdup(src->disk.path);
    tmp.disk.id = g_strdup(src->disk.id);
    tmp.disk.serial = g_strdup(src->disk.serial);
    vm_config_clear(dst);
    *dst = tmp;
}
