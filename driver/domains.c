/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain manager. Everything runs on the daemon's main loop, so there is
 * no locking: a call runs to its end (API round trips to skiff are bounded)
 * before the next event or client request is looked at.
 *
 * A domain has its persistent definition (def; for a transient domain the
 * one it was created with) and, while it runs, the live definition (live)
 * and its skiff (backend). Redefining a running domain replaces def only;
 * live stays until the domain stops.
 */
#include "driver/domains.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <string.h>
#include <unistd.h>

#include "driver/backend.h"
#include "driver/bridge-tap.h"
#include "driver/domain-store.h"
#include "driver/domains-priv.h"
#include "xml/virt-error.h"


/* ---- objects ---- */

domain *domain_ref(domain *dom)
{
    dom->refs++;
    return dom;
}

void domain_unref(domain *dom)
{
    if (!dom || --dom->refs > 0)
        return;
    /* Only an inactive domain can lose its last reference (the manager holds
     * one while it runs, and domain_manager_free() detaches every backend). */
    g_assert(!dom->backend);
    g_clear_pointer(&dom->def, domain_def_free);
    g_clear_pointer(&dom->live, domain_def_free);
    g_free(dom->name);
    g_free(dom);
}

static guint uuid_hash(gconstpointer key)
{
    const uint8_t *u = key;
    guint h = 0;

    for (int i = 0; i < 16; i++)
        h = h * 31 + u[i];
    return h;
}

static gboolean uuid_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 16) == 0;
}

void domain_emit(domain *dom, int event, int detail)
{
    domain_manager *dm = dom->dm;

    if (dm && dm->event_fn)
        dm->event_fn(dm->event_opaque, dom, event, detail);
}

domain *domain_add(domain_manager *dm, domain_def *def, bool persistent)
{
    domain *dom = g_new0(domain, 1);

    dom->refs = 1;
    dom->dm = dm;
    dom->name = g_strdup(def->name);
    memcpy(dom->uuid, def->uuid, 16);
    dom->def = def;
    dom->persistent = persistent;
    dom->id = -1;
    dom->state = VIR_DOMAIN_SHUTOFF;
    dom->reason = VIR_DOMAIN_SHUTOFF_UNKNOWN;
    dom->guest_stop = -1;
    g_hash_table_insert(dm->by_uuid, dom->uuid, dom);
    g_hash_table_insert(dm->by_name, g_strdup(dom->name), dom);
    return dom;
}

void domain_remove(domain *dom)
{
    domain_manager *dm = dom->dm;

    if (!dm)
        return;
    dom->dm = NULL;
    g_hash_table_remove(dm->by_uuid, dom->uuid);
    /* Drops the manager's reference: dom may be gone after this. */
    g_hash_table_remove(dm->by_name, dom->name);
}

/* ---- manager ---- */

static void paths_copy(struct driver_paths *dst, const struct driver_paths *src)
{
    dst->config_dir = g_strdup(src->config_dir);
    dst->autostart_dir = g_strdup(src->autostart_dir);
    dst->run_dir = g_strdup(src->run_dir);
    dst->log_dir = g_strdup(src->log_dir);
    dst->skiff_path = g_strdup(src->skiff_path);
}

domain_manager *domain_manager_new(const struct driver_paths *paths, GMainContext *ctx,
                                   GError **error)
{
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) defs = NULL;
    domain_manager *dm;

    defs = domain_store_load_all(paths->config_dir, errors, error);
    if (!defs)
        return NULL;
    dm = g_new0(domain_manager, 1);
    paths_copy(&dm->paths, paths);
    dm->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
    dm->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)domain_unref);
    dm->by_uuid = g_hash_table_new(uuid_hash, uuid_equal);
    dm->next_id = 1;
    /* A broken file must not keep the others (or the daemon) from loading. */
    for (guint i = 0; i < errors->len; i++)
        g_warning(_("skipping a domain definition: %s"), (const char *)errors->pdata[i]);
    for (guint i = 0; i < defs->len; i++) {
        domain_def *def = defs->pdata[i];
        domain *other = g_hash_table_lookup(dm->by_uuid, def->uuid);
        domain *dom;

        if (other) {
            char uuid[37];

            domain_uuid_format(def->uuid, uuid);
            g_warning(_("skipping domain '%s': domain '%s' has the same uuid %s"), def->name,
                      other->name, uuid);
            continue;
        }
        dom = domain_add(dm, g_steal_pointer(&defs->pdata[i]), true);
        dom->autostart = domain_store_get_autostart(dm->paths.autostart_dir, dom->name);
    }
    return dm;
}

void domain_manager_free(domain_manager *dm)
{
    GHashTableIter iter;
    gpointer value;

    if (!dm)
        return;
    /* Running VMs outlive the daemon, as libvirt's do; their runtime files stay. */
    g_hash_table_iter_init(&iter, dm->by_name);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        domain *dom = value;

        if (dom->backend)
            backend_detach(g_steal_pointer(&dom->backend));
        dom->dm = NULL;
    }
    g_hash_table_destroy(dm->by_uuid);
    g_hash_table_destroy(dm->by_name);
    g_main_context_unref(dm->ctx);
    g_free(dm->paths.config_dir);
    g_free(dm->paths.autostart_dir);
    g_free(dm->paths.run_dir);
    g_free(dm->paths.log_dir);
    g_free(dm->paths.skiff_path);
    g_free(dm);
}

void domain_manager_set_event_callback(domain_manager *dm, domain_event_fn fn, void *opaque)
{
    dm->event_fn = fn;
    dm->event_opaque = opaque;
}

/* The domain this definition would replace (same name and uuid), NULL for a
 * new one; an error when only the name or only the uuid matches. */
static int find_existing(domain_manager *dm, const domain_def *def, domain **existing,
                         GError **error)
{
    domain *by_uuid = g_hash_table_lookup(dm->by_uuid, def->uuid);
    domain *by_name = g_hash_table_lookup(dm->by_name, def->name);
    char uuid[37];

    *existing = NULL;
    if (by_uuid && by_uuid != by_name) {
        domain_uuid_format(by_uuid->uuid, uuid);
        virt_error_set(error, VIR_ERR_OPERATION_INVALID,
                       _("domain '%s' is already defined with uuid %s"), by_uuid->name, uuid);
        return -1;
    }
    if (by_name && by_name != by_uuid) {
        domain_uuid_format(by_name->uuid, uuid);
        virt_error_set(error, VIR_ERR_OPERATION_INVALID,
                       _("domain '%s' already exists with uuid %s"), def->name, uuid);
        return -1;
    }
    *existing = by_name;
    return 0;
}

static int check_flags(unsigned flags, unsigned allowed, GError **error)
{
    if (flags & ~allowed) {
        virt_error_set(error, VIR_ERR_INVALID_ARG, _("unsupported flags (0x%x)"),
                       flags & ~allowed);
        return -1;
    }
    return 0;
}

/* Parses and checks that skiff can run it, so that what it cannot is
 * refused at define time rather than at the first start. */
static domain_def *parse_runnable(domain_manager *dm, const char *xml, unsigned flags,
                                  GError **error)
{
    g_autoptr(domain_def) def = NULL;
    g_autofree char *json = NULL;

    if (check_flags(flags, DOMAIN_PARSE_VALIDATE, error) < 0)
        return NULL;
    def = domain_def_parse_string(xml, flags, error);
    if (!def)
        return NULL;
    /* As libvirt's drivers do: the definition names the emulator it runs with. */
    if (!def->emulator)
        def->emulator = g_strdup(dm->paths.skiff_path);
    json = domain_def_to_vm_config_json(def, error);
    if (!json)
        return NULL;
    return g_steal_pointer(&def);
}

domain *domain_manager_define(domain_manager *dm, const char *xml, unsigned flags,
                              GError **error)
{
    g_autoptr(domain_def) def = parse_runnable(dm, xml, flags, error);
    domain *dom;

    if (!def || find_existing(dm, def, &dom, error) < 0)
        return NULL;
    /* On disk first: a failed write changes nothing. */
    if (domain_store_save(dm->paths.config_dir, def, error) < 0)
        return NULL;
    if (!dom) {
        dom = domain_add(dm, g_steal_pointer(&def), true);
        domain_emit(dom, VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_DEFINED_ADDED);
        return dom;
    }
    domain_def_free(dom->def);
    dom->def = g_steal_pointer(&def);
    dom->persistent = true;
    domain_emit(dom, VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_DEFINED_UPDATED);
    return dom;
}

int domain_manager_undefine(domain_manager *dm, domain *dom, GError **error)
{
    if (!dom->persistent) {
        virt_error_set(error, VIR_ERR_OPERATION_INVALID, _("cannot undefine transient domain"));
        return -1;
    }
    if (domain_store_set_autostart(dm->paths.config_dir, dm->paths.autostart_dir, dom->name,
                                   false, error) < 0)
        return -1;
    dom->autostart = false;
    if (domain_store_remove(dm->paths.config_dir, dom->name, error) < 0)
        return -1;
    dom->persistent = false;
    domain_emit(dom, VIR_DOMAIN_EVENT_UNDEFINED, VIR_DOMAIN_EVENT_UNDEFINED_REMOVED);
    if (!dom->live)
        domain_remove(dom);
    return 0;
}

domain *domain_manager_lookup_by_name(domain_manager *dm, const char *name, GError **error)
{
    domain *dom = g_hash_table_lookup(dm->by_name, name);

    if (!dom)
        virt_error_set(error, VIR_ERR_NO_DOMAIN, _("no domain with matching name '%s'"), name);
    return dom;
}

domain *domain_manager_lookup_by_uuid(domain_manager *dm, const uint8_t uuid[16], GError **error)
{
    domain *dom = g_hash_table_lookup(dm->by_uuid, uuid);

    if (!dom) {
        char s[37];

        domain_uuid_format(uuid, s);
        virt_error_set(error, VIR_ERR_NO_DOMAIN, _("no domain with matching uuid '%s'"), s);
    }
    return dom;
}

domain *domain_manager_lookup_by_id(domain_manager *dm, int id, GError **error)
{
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, dm->by_name);
    while (id > 0 && g_hash_table_iter_next(&iter, NULL, &value)) {
        domain *dom = value;

        if (dom->live && dom->id == id)
            return dom;
    }
    virt_error_set(error, VIR_ERR_NO_DOMAIN, _("no domain with matching id %d"), id);
    return NULL;
}

/* A pair of flags filters when exactly one of them is set. */
static bool pass_pair(unsigned flags, unsigned yes, unsigned no, bool value)
{
    if ((flags & yes) && !(flags & no))
        return value;
    if ((flags & no) && !(flags & yes))
        return !value;
    return true;
}

static bool list_match(const domain *dom, unsigned flags)
{
    unsigned states = VIR_CONNECT_LIST_DOMAINS_RUNNING | VIR_CONNECT_LIST_DOMAINS_PAUSED |
                      VIR_CONNECT_LIST_DOMAINS_SHUTOFF | VIR_CONNECT_LIST_DOMAINS_OTHER;

    if (!pass_pair(flags, VIR_CONNECT_LIST_DOMAINS_ACTIVE, VIR_CONNECT_LIST_DOMAINS_INACTIVE,
                   dom->live != NULL) ||
        !pass_pair(flags, VIR_CONNECT_LIST_DOMAINS_PERSISTENT,
                   VIR_CONNECT_LIST_DOMAINS_TRANSIENT, dom->persistent) ||
        !pass_pair(flags, VIR_CONNECT_LIST_DOMAINS_AUTOSTART,
                   VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART, dom->autostart) ||
        /* No managed saves, snapshots or checkpoints exist. */
        !pass_pair(flags, VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE,
                   VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE, false) ||
        !pass_pair(flags, VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT,
                   VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT, false) ||
        !pass_pair(flags, VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT,
                   VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT, false))
        return false;
    if (flags & states) {
        unsigned mine;

        switch (dom->state) {
        case VIR_DOMAIN_RUNNING:
            mine = VIR_CONNECT_LIST_DOMAINS_RUNNING;
            break;
        case VIR_DOMAIN_PAUSED:
            mine = VIR_CONNECT_LIST_DOMAINS_PAUSED;
            break;
        case VIR_DOMAIN_SHUTOFF:
            mine = VIR_CONNECT_LIST_DOMAINS_SHUTOFF;
            break;
        default:
            mine = VIR_CONNECT_LIST_DOMAINS_OTHER;
            break;
        }
        return (flags & mine) != 0;
    }
    return true;
}

static int compare_domains(gconstpointer a, gconstpointer b)
{
    const domain *x = *(const domain *const *)a;
    const domain *y = *(const domain *const *)b;

    return strcmp(x->name, y->name);
}

GPtrArray *domain_manager_list(domain_manager *dm, unsigned flags)
{
    GPtrArray *list = g_ptr_array_new();
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init(&iter, dm->by_name);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        if (list_match(value, flags))
            g_ptr_array_add(list, value);
    }
    g_ptr_array_sort(list, compare_domains);
    return list;
}

/* ---- lifecycle ---- */

static const char *shutoff_reason_name(int reason)
{
    switch (reason) {
    case VIR_DOMAIN_SHUTOFF_SHUTDOWN:
        return "shutdown";
    case VIR_DOMAIN_SHUTOFF_DESTROYED:
        return "destroyed";
    case VIR_DOMAIN_SHUTOFF_CRASHED:
        return "crashed";
    case VIR_DOMAIN_SHUTOFF_FAILED:
        return "failed";
    default:
        return "unknown";
    }
}

static int stopped_detail(int reason)
{
    switch (reason) {
    case VIR_DOMAIN_SHUTOFF_SHUTDOWN:
        return VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN;
    case VIR_DOMAIN_SHUTOFF_DESTROYED:
        return VIR_DOMAIN_EVENT_STOPPED_DESTROYED;
    case VIR_DOMAIN_SHUTOFF_CRASHED:
        return VIR_DOMAIN_EVENT_STOPPED_CRASHED;
    default:
        return VIR_DOMAIN_EVENT_STOPPED_FAILED;
    }
}

static int not_running(GError **error)
{
    virt_error_set(error, VIR_ERR_OPERATION_INVALID, _("domain is not running"));
    return -1;
}

/* Ends skiff and moves the domain to SHUTOFF with reason. A transient domain
 * leaves the manager: dom may be freed on return. */
/* Everything a run holds goes: skiff, the daemon's taps, the runtime state,
 * the live definition and the id. */
static void release_run(domain *dom, bool graceful, const char *why)
{
    backend_stop(g_steal_pointer(&dom->backend), graceful, why);
    bridge_tap_release(dom->live);
    if (dom->dm)
        domain_remove_state(dom->dm, dom->name);
    g_clear_pointer(&dom->live, domain_def_free);
    dom->id = -1;
}

static void domain_stop(domain *dom, bool graceful, int reason)
{
    release_run(dom, graceful, shutoff_reason_name(reason));
    dom->state = VIR_DOMAIN_SHUTOFF;
    dom->reason = reason;
    dom->guest_stop = -1;
    domain_emit(dom, VIR_DOMAIN_EVENT_STOPPED, stopped_detail(reason));
    if (!dom->persistent)
        domain_remove(dom);
}

static int write_live_xml(domain *dom, GError **error)
{
    g_autofree char *path = backend_run_path(dom->dm->paths.run_dir, dom->name, ".xml");
    g_autofree char *xml = domain_def_format(dom->live, dom->id, DOMAIN_FORMAT_SECURE);

    return domain_store_write_atomic(path, xml, strlen(xml), 0600, error);
}

/* The serial pty changes whenever skiff rebuilds the VM (start, reboot,
 * restart): ask again and rewrite the live XML. */
static int refresh_live(domain *dom, GError **error)
{
    g_autofree char *serial = NULL;
    g_autofree char *console = NULL;

    if ((dom->live->has_serial || dom->live->has_console || dom->live->has_virtio_console) &&
        backend_query_ptys(dom->backend, &serial, &console, error) < 0)
        return -1;
    g_free(dom->live->serial.tty);
    dom->live->serial.tty = g_steal_pointer(&serial);
    g_free(dom->live->console.tty);
    dom->live->console.tty = g_steal_pointer(&console);
    return write_live_xml(dom, error);
}

void domain_refresh_live_or_warn(domain *dom)
{
    g_autoptr(GError) error = NULL;

    if (refresh_live(dom, &error) < 0)
        g_warning(_("domain %s: %s"), dom->name, error->message);
}

/* Starts dom (inactive) with live as its running definition (taken). */
static int domain_start_with(domain *dom, domain_def *live_def, GError **error)
{
    g_autoptr(domain_def) live = live_def;
    domain_manager *dm = dom->dm;
    /* The taps the daemon owns exist, and have their names, before skiff is told them. */
    g_autofree char *json = bridge_tap_prepare(live, error) < 0
        ? NULL : domain_def_to_vm_config_json(live, error);
    struct backend_params params = {
        .name = dom->name,
        .skiff_path = live->emulator ? live->emulator : dm->paths.skiff_path,
        .run_dir = dm->paths.run_dir,
        .log_dir = dm->paths.log_dir,
        .vm_config_json = json,
        .ctx = dm->ctx,
        .callbacks = &domain_backend_callbacks,
        .opaque = dom,
    };

    if (!json || !(dom->backend = backend_start(&params, error))) {
        bridge_tap_release(live);
        dom->reason = VIR_DOMAIN_SHUTOFF_FAILED;
        return -1;
    }
    dom->live = g_steal_pointer(&live);
    dom->id = dm->next_id++;
    dom->reason = VIR_DOMAIN_RUNNING_BOOTED;
    if (refresh_live(dom, error) < 0 || domain_write_state(dom, error) < 0) {
        release_run(dom, false, "failed");
        dom->reason = VIR_DOMAIN_SHUTOFF_FAILED;
        return -1;
    }
    dom->state = VIR_DOMAIN_RUNNING;
    dom->guest_stop = -1;
    domain_emit(dom, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    return 0;
}

int domain_start(domain *dom, GError **error)
{
    if (dom->live) {
        virt_error_set(error, VIR_ERR_OPERATION_INVALID, _("domain is already running"));
        return -1;
    }
    return domain_start_with(dom, domain_def_copy(dom->def), error);
}

domain *domain_manager_create_xml(domain_manager *dm, const char *xml, unsigned flags,
                                  GError **error)
{
    g_autoptr(domain_def) def = parse_runnable(dm, xml, flags, error);
    domain *dom;

    if (!def || find_existing(dm, def, &dom, error) < 0)
        return NULL;
    if (dom) {
        /* An inactive persistent domain runs this definition once (libvirt's rule). */
        if (dom->live) {
            virt_error_set(error, VIR_ERR_OPERATION_INVALID, _("domain '%s' is already running"),
                           dom->name);
            return NULL;
        }
        return domain_start_with(dom, g_steal_pointer(&def), error) < 0 ? NULL : dom;
    }
    dom = domain_add(dm, domain_def_copy(def), false);
    if (domain_start_with(dom, g_steal_pointer(&def), error) < 0) {
        domain_remove(dom);
        return NULL;
    }
    return dom;
}

int domain_destroy(domain *dom, GError **error)
{
    if (!dom->live)
        return not_running(error);
    domain_stop(dom, false, VIR_DOMAIN_SHUTOFF_DESTROYED);
    return 0;
}

int domain_shutdown(domain *dom, GError **error)
{
    if (!dom->live)
        return not_running(error);
    if (dom->state == VIR_DOMAIN_PAUSED) {
        virt_error_set(error, VIR_ERR_OPERATION_INVALID,
                       _("domain is paused: a paused guest cannot see the power button"));
        return -1;
    }
    /* The domain goes SHUTOFF when the guest powers off (the events). */
    return backend_call(dom->backend, "vm.power-button", error);
}

int domain_reboot(domain *dom, GError **error)
{
    int was = dom->state;

    if (!dom->live)
        return not_running(error);
    if (backend_call(dom->backend, "vm.reboot", error) < 0)
        return -1;
    dom->state = VIR_DOMAIN_RUNNING;
    dom->reason = VIR_DOMAIN_RUNNING_BOOTED;
    if (was == VIR_DOMAIN_PAUSED)
        domain_emit(dom, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED);
    /* The pty is refreshed on skiff's vm/rebooted event. */
    return 0;
}

int domain_suspend(domain *dom, GError **error)
{
    if (!dom->live)
        return not_running(error);
    if (dom->state == VIR_DOMAIN_PAUSED)
        return 0;
    if (backend_call(dom->backend, "vm.pause", error) < 0)
        return -1;
    dom->state = VIR_DOMAIN_PAUSED;
    dom->reason = VIR_DOMAIN_PAUSED_USER;
    domain_emit(dom, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
    return 0;
}

int domain_resume(domain *dom, GError **error)
{
    if (!dom->live)
        return not_running(error);
    if (dom->state == VIR_DOMAIN_RUNNING)
        return 0;
    if (backend_call(dom->backend, "vm.resume", error) < 0)
        return -1;
    dom->state = VIR_DOMAIN_RUNNING;
    dom->reason = VIR_DOMAIN_RUNNING_UNPAUSED;
    domain_emit(dom, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED);
    return 0;
}

/* The VM is off inside skiff: the guest powered off, crashed, or a reset
 * could not restart it. on_poweroff / on_crash decide. */
void domain_vm_ended(domain *dom)
{
    int reason = dom->guest_stop >= 0 ? dom->guest_stop : VIR_DOMAIN_SHUTOFF_FAILED;
    enum domain_lifecycle_action action = reason == VIR_DOMAIN_SHUTOFF_SHUTDOWN
                                              ? dom->live->on_poweroff
                                              : dom->live->on_crash;
    g_autoptr(GError) error = NULL;

    if (reason != VIR_DOMAIN_SHUTOFF_FAILED && action == DOMAIN_ACTION_PRESERVE) {
        /* Kept for inspection: skiff holds the stopped VM (and its memory)
         * until virsh destroy. */
        if (reason == VIR_DOMAIN_SHUTOFF_CRASHED) {
            dom->state = VIR_DOMAIN_CRASHED;
            dom->reason = VIR_DOMAIN_CRASHED_PANICKED;
            domain_emit(dom, VIR_DOMAIN_EVENT_CRASHED, VIR_DOMAIN_EVENT_CRASHED_PANICKED);
        } else {
            dom->state = VIR_DOMAIN_PAUSED;
            dom->reason = VIR_DOMAIN_PAUSED_SHUTTING_DOWN;
            domain_emit(dom, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
        }
        return;
    }
    if (reason == VIR_DOMAIN_SHUTOFF_FAILED || action != DOMAIN_ACTION_RESTART) {
        domain_stop(dom, true, reason);
        return;
    }
    /* Restart in the same skiff: same id, a fresh VM from the same config. */
    domain_emit(dom, VIR_DOMAIN_EVENT_STOPPED, stopped_detail(reason));
    dom->guest_stop = -1;
    if (backend_call(dom->backend, "vm.boot", &error) < 0) {
        g_warning(_("domain %s: cannot restart: %s"), dom->name, error->message);
        domain_stop(dom, true, VIR_DOMAIN_SHUTOFF_FAILED);
        return;
    }
    dom->state = VIR_DOMAIN_RUNNING;
    dom->reason = VIR_DOMAIN_RUNNING_BOOTED;
    domain_refresh_live_or_warn(dom);
    domain_emit(dom, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
}

static void on_backend_event(void *opaque, enum backend_event event, const char *detail)
{
    domain *dom = opaque;

    switch (event) {
    case BACKEND_EVENT_GUEST_SHUTDOWN:
        dom->guest_stop = VIR_DOMAIN_SHUTOFF_SHUTDOWN;
        /* As libvirt's QEMU driver: the guest's shutdown, then the stop. */
        domain_emit(dom, VIR_DOMAIN_EVENT_SHUTDOWN, VIR_DOMAIN_EVENT_SHUTDOWN_GUEST);
        break;
    case BACKEND_EVENT_GUEST_PANIC:
        if (detail)
            g_message(_("domain %s: guest crashed: %s"), dom->name, detail);
        dom->guest_stop = VIR_DOMAIN_SHUTOFF_CRASHED;
        break;
    case BACKEND_EVENT_GUEST_RESET:
        /* skiff restarts the VM by itself; on_reboot='destroy' ends it instead. */
        if (dom->live->on_reboot != DOMAIN_ACTION_RESTART)
            domain_stop(dom, true, VIR_DOMAIN_SHUTOFF_SHUTDOWN);
        break;
    case BACKEND_EVENT_VM_SHUTDOWN:
        domain_vm_ended(dom);
        break;
    case BACKEND_EVENT_VM_REBOOTED:
        domain_refresh_live_or_warn(dom);
        domain_emit(dom, DOMAIN_EVENT_REBOOT, 0);
        break;
    }
}

static void on_backend_exited(void *opaque, int wait_status)
{
    domain *dom = opaque;
    /* Power-off announced, then skiff gone before we ended it: still a shutdown. */
    int reason = dom->guest_stop >= 0 ? dom->guest_stop : VIR_DOMAIN_SHUTOFF_CRASHED;

    g_message(_("domain %s: skiff (pid %d) exited on its own (wait status 0x%x)"), dom->name,
              (int)backend_pid(dom->backend), (unsigned)wait_status);
    domain_stop(dom, false, reason);
}

const struct backend_callbacks domain_backend_callbacks = {
    .event = on_backend_event,
    .exited = on_backend_exited,
};

void domain_manager_autostart(domain_manager *dm)
{
    g_autoptr(GPtrArray) list = domain_manager_list(dm, VIR_CONNECT_LIST_DOMAINS_INACTIVE |
                                                            VIR_CONNECT_LIST_DOMAINS_AUTOSTART);

    for (guint i = 0; i < list->len; i++) {
        domain *dom = list->pdata[i];
        g_autoptr(GError) error = NULL;

        if (domain_start(dom, &error) < 0)
            g_warning(_("cannot autostart domain %s: %s"), dom->name, error->message);
    }
}

/* ---- queries ---- */

const char *domain_name(const domain *dom)
{
    return dom->name;
}

const uint8_t *domain_uuid(const domain *dom)
{
    return dom->uuid;
}

int domain_id(const domain *dom)
{
    return dom->live ? dom->id : -1;
}

bool domain_is_active(const domain *dom)
{
    return dom->live != NULL;
}

bool domain_is_persistent(const domain *dom)
{
    return dom->persistent;
}

void domain_get_info(domain *dom, struct domain_info *info)
{
    const domain_def *def = dom->live ? dom->live : dom->def;

    info->state = dom->state;
    info->reason = dom->reason;
    info->max_mem_kib = def->memory_kib;
    info->memory_kib = def->current_memory_kib;
    info->nr_vcpus = def->vcpus_current;
    info->cpu_time_ns = dom->backend ? backend_cpu_time_ns(dom->backend) : 0;
}

char *domain_get_xml(domain *dom, unsigned flags, GError **error)
{
    unsigned format = (flags & VIR_DOMAIN_XML_SECURE) ? DOMAIN_FORMAT_SECURE : 0;

    /* UPDATE_CPU and MIGRATABLE change nothing here: the CPU is host-passthrough. */
    if (check_flags(flags, VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_INACTIVE |
                               VIR_DOMAIN_XML_UPDATE_CPU | VIR_DOMAIN_XML_MIGRATABLE,
                    error) < 0)
        return NULL;
    if (dom->live && !(flags & VIR_DOMAIN_XML_INACTIVE))
        return domain_def_format(dom->live, dom->id, format);
    return domain_def_format(dom->def, -1, format | DOMAIN_FORMAT_INACTIVE);
}

int domain_console_pty(domain *dom, const char *dev_name, const char **pty, GError **error)
{
    bool virtio;

    *pty = NULL;
    if (!dom->live)
        return not_running(error);
    /* libvirt's aliases: a console on the serial target is console0 and
     * the serial; a virtio console comes after it. */
    bool serial_console = dom->live->has_serial || dom->live->has_console;

    if (!dev_name)
        virtio = !serial_console && dom->live->has_virtio_console;
    else if (!strcmp(dev_name, "serial0") && serial_console)
        virtio = false;
    else if (!strcmp(dev_name, "console0") && (serial_console || dom->live->has_virtio_console))
        virtio = !serial_console;
    else if (!strcmp(dev_name, "console1") && serial_console && dom->live->has_virtio_console)
        virtio = true;
    else {
        virt_error_set(error, VIR_ERR_INTERNAL_ERROR, _("cannot find character device %s"),
                       dev_name);
        return -1;
    }
    *pty = virtio ? dom->live->console.tty : dom->live->serial.tty;
    if (!*pty) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("character device %s is not using a PTY"),
                       dev_name ? dev_name : virtio ? "console0" : "serial0");
        return -1;
    }
    return 0;
}

const char *domain_os_type(const domain *dom)
{
    return "hvm";
}

int domain_get_autostart(domain *dom, bool *autostart, GError **error)
{
    *autostart = dom->autostart;
    return 0;
}

int domain_set_autostart(domain *dom, bool autostart, GError **error)
{
    domain_manager *dm = dom->dm;

    if (!dom->persistent || !dm) {
        virt_error_set(error, VIR_ERR_OPERATION_INVALID,
                       _("cannot set autostart for transient domain"));
        return -1;
    }
    if (domain_store_set_autostart(dm->paths.config_dir, dm->paths.autostart_dir, dom->name,
                                   autostart, error) < 0)
        return -1;
    dom->autostart = autostart;
    return 0;
}
