/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runtime state of running domains, for restarts: each running domain has
 * <run_dir>/<name>.state (its id, skiff's pid and start time, the taps the
 * daemon created) beside its live XML; a new daemon reads them and takes the
 * domains over (domain_manager_reconnect).
 */
#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <string.h>
#include <unistd.h>

#include "driver/bridge-tap.h"
#include "driver/domain-store.h"
#include "driver/domains-priv.h"
#include "xml/virt-error.h"

void domain_remove_state(domain_manager *dm, const char *name)
{
    g_autofree char *path = backend_run_path(dm->paths.run_dir, name, ".state");

    unlink(path);
}

/* What a later daemon needs to take the domain over (domain_manager_reconnect):
 * <run_dir>/<name>.state next to the live XML. */
int domain_write_state(domain *dom, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *path = backend_run_path(dom->dm->paths.run_dir, dom->name, ".state");
    g_autofree char *text = NULL;
    g_autoptr(GPtrArray) taps = g_ptr_array_new();
    gsize len;

    g_key_file_set_integer(kf, "domain", "id", dom->id);
    g_key_file_set_integer(kf, "domain", "reason", dom->reason);
    g_key_file_set_int64(kf, "skiff", "pid", backend_pid(dom->backend));
    g_key_file_set_uint64(kf, "skiff", "start_time", backend_start_time(dom->backend));
    for (guint i = 0; i < dom->live->nets->len; i++) {
        const struct domain_net *n = dom->live->nets->pdata[i];

        g_ptr_array_add(taps, n->target_dev ? n->target_dev : "");
        g_ptr_array_add(taps, n->tap_created ? "created" : "");
    }
    g_key_file_set_string_list(kf, "domain", "taps", (const char *const *)taps->pdata, taps->len);
    text = g_key_file_to_data(kf, &len, NULL);
    return domain_store_write_atomic(path, text, len, 0600, error);
}

/* The live definition and state a previous daemon left for name; NULL with
 * the reason in error when they are unusable. */
static domain_def *read_runtime(domain_manager *dm, const char *name, GKeyFile *kf,
                                GError **error)
{
    g_autofree char *xml_path = backend_run_path(dm->paths.run_dir, name, ".xml");
    g_autofree char *state_path = backend_run_path(dm->paths.run_dir, name, ".state");
    g_autofree char *xml = NULL;
    g_autoptr(domain_def) live = NULL;
    g_auto(GStrv) taps = NULL;
    gsize n_taps = 0;

    if (!g_key_file_load_from_file(kf, state_path, G_KEY_FILE_NONE, error) ||
        !g_file_get_contents(xml_path, &xml, NULL, error))
        return NULL;
    live = domain_def_parse_string(xml, 0, error);
    if (!live)
        return NULL;
    if (strcmp(live->name, name)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, _("%s names domain '%s'"),
                    xml_path, live->name);
        return NULL;
    }
    /* Tap names are live state the XML parser drops: the state file keeps them. */
    taps = g_key_file_get_string_list(kf, "domain", "taps", &n_taps, NULL);
    for (guint i = 0; taps && i < live->nets->len && 2 * i + 1 < n_taps; i++) {
        struct domain_net *net = live->nets->pdata[i];

        if (*taps[2 * i]) {
            g_free(net->target_dev);
            net->target_dev = g_strdup(taps[2 * i]);
        }
        net->tap_created = !strcmp(taps[2 * i + 1], "created");
    }
    return g_steal_pointer(&live);
}

static void remove_runtime(domain_manager *dm, const char *name)
{
    static const char *const suffixes[] = { ".state", ".xml", ".pid", ".api.sock" };

    for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
        g_autofree char *path = backend_run_path(dm->paths.run_dir, name, suffixes[i]);

        unlink(path);
    }
}

/* Takes over one running domain, or reports it shut off (crashed) when its
 * skiff died while no daemon was watching. */
static void reconnect_one(domain_manager *dm, const char *name)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(domain_def) live = read_runtime(dm, name, kf, &error);
    g_autofree char *state = NULL;
    domain *dom;
    struct backend_params params = {
        .name = name,
        .run_dir = dm->paths.run_dir,
        .log_dir = dm->paths.log_dir,
        .ctx = dm->ctx,
        .callbacks = &domain_backend_callbacks,
    };
    int id;

    if (!live) {
        g_warning(_("domain %s: cannot read its runtime state: %s"), name, error->message);
        return;
    }
    dom = g_hash_table_lookup(dm->by_uuid, live->uuid);
    if (dom && (strcmp(dom->name, name) || dom->live)) {
        g_warning(_("domain %s: its runtime state names uuid of domain '%s'; ignored"), name,
                  dom->name);
        return;
    }
    if (!dom) {
        if (g_hash_table_lookup(dm->by_name, name)) {
            g_warning(_("domain %s: runtime state with another uuid; ignored"), name);
            return;
        }
        /* Transient: known only from its runtime state. */
        dom = domain_add(dm, domain_def_copy(live), false);
    }
    id = g_key_file_get_integer(kf, "domain", "id", NULL);
    params.opaque = dom;
    params.skiff_path = dm->paths.skiff_path;
    dom->backend = backend_attach(&params,
                                  (pid_t)g_key_file_get_int64(kf, "skiff", "pid", NULL),
                                  g_key_file_get_uint64(kf, "skiff", "start_time", NULL),
                                  &error);
    if (!dom->backend || id <= 0 || backend_query_state(dom->backend, &state, &error) < 0) {
        g_message(_("domain %s: %s; it is shut off (crashed)"), name,
                  error ? error->message : _("no domain id in its runtime state"));
        /* A skiff that lives but cannot be managed is ended, not left running unseen. */
        if (dom->backend)
            backend_stop(g_steal_pointer(&dom->backend), false, "crashed");
        bridge_tap_release(live);
        remove_runtime(dm, name);
        dom->state = VIR_DOMAIN_SHUTOFF;
        dom->reason = VIR_DOMAIN_SHUTOFF_CRASHED;
        domain_emit(dom, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_CRASHED);
        if (!dom->persistent)
            domain_remove(dom);
        return;
    }
    dom->live = g_steal_pointer(&live);
    dom->id = id;
    dm->next_id = MAX(dm->next_id, id + 1);
    dom->guest_stop = -1;
    if (!strcmp(state, "Paused")) {
        dom->state = VIR_DOMAIN_PAUSED;
        dom->reason = VIR_DOMAIN_PAUSED_USER;
    } else {
        dom->state = VIR_DOMAIN_RUNNING;
        dom->reason = g_key_file_get_integer(kf, "domain", "reason", NULL);
    }
    g_message(_("domain %s: reconnected to skiff (pid %d), state %s"), name,
              (int)backend_pid(dom->backend), state);
    domain_refresh_live_or_warn(dom);
    /* Off inside skiff already (the guest powered off while no daemon ran). */
    if (strcmp(state, "Running") && strcmp(state, "Paused")) {
        dom->guest_stop = VIR_DOMAIN_SHUTOFF_SHUTDOWN;
        domain_vm_ended(dom);
    }
}

void domain_manager_reconnect(domain_manager *dm)
{
    g_autoptr(GDir) dir = g_dir_open(dm->paths.run_dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *f;

    while (dir && (f = g_dir_read_name(dir))) {
        if (g_str_has_suffix(f, ".state") && strlen(f) > strlen(".state"))
            g_ptr_array_add(names, g_strndup(f, strlen(f) - strlen(".state")));
    }
    for (guint i = 0; i < names->len; i++)
        reconnect_one(dm, names->pdata[i]);
}
