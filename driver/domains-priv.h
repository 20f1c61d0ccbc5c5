/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The domain manager's insides, shared by domains.c (definitions,
 * lifecycle, queries) and domain-runtime.c (the runtime state a later
 * daemon takes running domains over from). Main loop only.
 */
#pragma once

#include "driver/backend.h"
#include "driver/domains.h"

struct domain {
    int refs;
    domain_manager *dm;     /* NULL once the domain has left the manager */
    char *name;
    uint8_t uuid[16];
    domain_def *def;
    domain_def *live;       /* non-NULL exactly while active */
    backend *backend;
    bool persistent;
    bool autostart;
    int id;
    int state;
    int reason;
    int guest_stop;         /* VIR_DOMAIN_SHUTOFF_SHUTDOWN/_CRASHED announced by the guest, or -1 */
};

struct domain_manager {
    struct driver_paths paths;
    GMainContext *ctx;
    GHashTable *by_name;    /* name → domain (the manager's reference) */
    GHashTable *by_uuid;    /* the domain's own uuid bytes → domain (borrowed) */
    domain_event_fn event_fn;
    void *event_opaque;
    int next_id;
};

extern const struct backend_callbacks domain_backend_callbacks;

/* A new domain in the manager (which holds the reference); def is taken. */
domain *domain_add(domain_manager *dm, domain_def *def, bool persistent);
/* Out of the manager: dom may be freed on return. */
void domain_remove(domain *dom);
void domain_emit(domain *dom, int event, int detail);
void domain_refresh_live_or_warn(domain *dom);
/* The VM is off inside skiff: on_poweroff / on_crash decide. */
void domain_vm_ended(domain *dom);

/* <run_dir>/<name>.state: what a later daemon needs to take dom over. */
int domain_write_state(domain *dom, GError **error);
void domain_remove_state(domain_manager *dm, const char *name);
