/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtskiffd's domains: definitions kept on disk, one skiff process per
 * running domain, lifecycle and state. Main thread only (the daemon's GLib
 * main loop); every call returns promptly (spawn and API round trips to a
 * local skiff are bounded by short timeouts). Errors are VIRT_ERROR
 * (xml/virt-error.h) with libvirt's codes: VIR_ERR_NO_DOMAIN for an unknown
 * domain, VIR_ERR_OPERATION_INVALID for a wrong state ("domain is already
 * running"), VIR_ERR_OPERATION_FAILED when skiff fails, VIR_ERR_XML_ERROR /
 * VIR_ERR_CONFIG_UNSUPPORTED from parsing, VIR_ERR_OPERATION_INVALID for a
 * duplicate name or uuid ("domain 'x' already exists with uuid ...").
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "xml/domain-conf.h"

struct driver_paths {
    char *config_dir;    /* persistent XML: /etc/libvirt/skiff or $XDG_CONFIG_HOME/libvirt/skiff */
    char *autostart_dir; /* <config_dir>/autostart: symlinks, as libvirt does */
    char *run_dir;       /* /run/libvirt/skiff or $XDG_RUNTIME_DIR/libvirt/skiff */
    char *log_dir;       /* /var/log/libvirt/skiff or $XDG_CACHE_HOME/libvirt/skiff/log */
    char *skiff_path;    /* the skiff binary to spawn (an <emulator> overrides it) */
};

typedef struct domain domain;
typedef struct domain_manager domain_manager;

/* State and reason: libvirt's virDomainState / virDomain*Reason values
 * (<libvirt/libvirt-domain.h>). */
struct domain_info {
    int state;                 /* VIR_DOMAIN_RUNNING, _PAUSED, _SHUTOFF, ... */
    int reason;
    uint64_t max_mem_kib;
    uint64_t memory_kib;
    unsigned nr_vcpus;
    uint64_t cpu_time_ns;      /* from the skiff process (/proc/PID/stat utime+stime) */
};

/* Called on the main loop when a domain changes state by itself or by a call:
 * event/detail are virDomainEventType and its detail, or DOMAIN_EVENT_REBOOT
 * (libvirt's separate reboot event: the guest reset, the domain goes on). */
#define DOMAIN_EVENT_REBOOT (-1)
typedef void (*domain_event_fn)(void *opaque, domain *dom, int event, int detail);

/* Loads every persistent definition from config_dir. */
domain_manager *domain_manager_new(const struct driver_paths *paths, GMainContext *ctx,
                                   GError **error);
void domain_manager_free(domain_manager *dm);
void domain_manager_set_event_callback(domain_manager *dm, domain_event_fn fn, void *opaque);

/* flags: DOMAIN_PARSE_VALIDATE. Redefining an existing (same name and uuid)
 * domain replaces its persistent definition (a running one keeps its live
 * definition until it stops). */
domain *domain_manager_define(domain_manager *dm, const char *xml, unsigned flags,
                              GError **error);
/* Transient: defined and started in one go, forgotten when it stops. */
domain *domain_manager_create_xml(domain_manager *dm, const char *xml, unsigned flags,
                                  GError **error);
/* Removes the persistent definition; a running domain becomes transient. */
int domain_manager_undefine(domain_manager *dm, domain *dom, GError **error);

domain *domain_manager_lookup_by_name(domain_manager *dm, const char *name, GError **error);
domain *domain_manager_lookup_by_uuid(domain_manager *dm, const uint8_t uuid[16], GError **error);
domain *domain_manager_lookup_by_id(domain_manager *dm, int id, GError **error);
/* virConnectListAllDomainsFlags filtering (ACTIVE/INACTIVE, PERSISTENT/
 * TRANSIENT, RUNNING/PAUSED/SHUTOFF/OTHER, AUTOSTART/NO_AUTOSTART; 0 = all).
 * Returns domain pointers (not owned), sorted by name. */
GPtrArray *domain_manager_list(domain_manager *dm, unsigned flags);

int domain_start(domain *dom, GError **error);
int domain_destroy(domain *dom, GError **error);
int domain_shutdown(domain *dom, GError **error);    /* ACPI power button */
int domain_reboot(domain *dom, GError **error);
int domain_suspend(domain *dom, GError **error);
int domain_resume(domain *dom, GError **error);

/* Added by the domain work. A transient domain that stops (destroy, guest
 * power-off, crash) or an inactive one that is undefined leaves the manager
 * at once: the pointer from a lookup is valid until then only. Hold a
 * reference to keep using the object afterwards (it then reports itself
 * inactive and non-persistent). */
domain *domain_ref(domain *dom);
void domain_unref(domain *dom);
/* Takes over the domains a previous daemon left running (their runtime
 * state in run_dir): each one's skiff must still be the process that daemon
 * started; one that died meanwhile is reported shut off (crashed) and its
 * runtime files removed. Call before domain_manager_autostart(). */
void domain_manager_reconnect(domain_manager *dm);
/* Starts every inactive domain marked autostart (call once the daemon is
 * ready); a failure is logged (g_warning) and the others still start. */
void domain_manager_autostart(domain_manager *dm);

const char *domain_name(const domain *dom);
const uint8_t *domain_uuid(const domain *dom);
int domain_id(const domain *dom);                     /* -1 when inactive */
bool domain_is_active(const domain *dom);
bool domain_is_persistent(const domain *dom);
void domain_get_info(domain *dom, struct domain_info *info);
/* flags: VIR_DOMAIN_XML_INACTIVE (the persistent definition), VIR_DOMAIN_XML_SECURE. */
char *domain_get_xml(domain *dom, unsigned flags, GError **error);
/* The pty behind a running domain's console: dev_name NULL for the default
 * (the virtio console when there is one, else the serial port), "serial0"
 * or "console0" (libvirt's aliases). The path stays valid until the domain
 * stops or the VM is rebuilt. */
int domain_console_pty(domain *dom, const char *dev_name, const char **pty, GError **error);
const char *domain_os_type(const domain *dom);         /* "hvm" */
int domain_get_autostart(domain *dom, bool *autostart, GError **error);
int domain_set_autostart(domain *dom, bool autostart, GError **error);
