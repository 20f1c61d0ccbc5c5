/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One skiff process per running domain. The daemon creates and binds the API
 * socket (mode 0600) and an event-monitor pipe, spawns
 * `skiff --api-socket fd=3 --event-monitor fd=4` in its own session with
 * stdout/stderr appended to <log_dir>/<name>.log, sends vm.create and
 * vm.boot, and then watches the event stream and the process on the main
 * loop. Runtime files, enough to find the process again:
 *   <run_dir>/<name>.pid       the pid (written atomically)
 *   <run_dir>/<name>.api.sock  the API socket
 *   <run_dir>/<name>.xml       the live XML (written by the domain layer)
 * API calls are synchronous round trips on a fresh connection, bounded by
 * BACKEND_API_TIMEOUT_MS (skiff answers in milliseconds). Errors are
 * VIRT_ERROR: VIR_ERR_OPERATION_FAILED with skiff's own message.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define BACKEND_API_TIMEOUT_MS 10000
/* After SIGTERM (or vmm.shutdown), before SIGKILL. */
#define BACKEND_STOP_GRACE_MS 5000
/* After SIGKILL: a process stuck in the kernel is left to the child watch. */
#define BACKEND_KILL_WAIT_MS 5000

typedef struct backend backend;

enum backend_event {
    BACKEND_EVENT_GUEST_SHUTDOWN,  /* guest/shutdown: the guest powered off */
    BACKEND_EVENT_GUEST_RESET,     /* guest/reset */
    BACKEND_EVENT_GUEST_PANIC,     /* guest/panic (detail: properties.reason) */
    BACKEND_EVENT_VM_SHUTDOWN,     /* vm/shutdown: the VM is off, skiff still serves */
    BACKEND_EVENT_VM_REBOOTED,     /* vm/rebooted: skiff restarted the VM after a reset */
};

struct backend_callbacks {
    /* A guest-side event from skiff's event monitor. backend_stop() may be
     * called from here. */
    void (*event)(void *opaque, enum backend_event event, const char *detail);
    /* skiff exited by itself (not through backend_stop()); every event it
     * wrote before has been delivered. wait_status as from waitpid(). The
     * callee must call backend_stop() (which then only cleans up). */
    void (*exited)(void *opaque, int wait_status);
};

struct backend_params {
    const char *name;              /* the domain's name: runtime and log file names */
    const char *skiff_path;
    const char *run_dir;
    const char *log_dir;
    const char *vm_config_json;    /* sent with vm.create */
    GMainContext *ctx;             /* where the event and process watches run */
    const struct backend_callbacks *callbacks;
    void *opaque;
};

/* Spawns skiff, creates and boots the VM. On failure nothing is left: no
 * process, no runtime files (the log keeps what skiff said, and the error
 * message quotes its last lines when skiff died). */
backend *backend_start(const struct backend_params *params, GError **error);

/* Takes over the skiff a previous daemon started: pid must still be the
 * process started at start_time (/proc/<pid>/stat, see backend_start_time)
 * and a skiff; events it wrote meanwhile are delivered from the pipe it
 * keeps. VIR_ERR_NO_DOMAIN when the process is gone. */
backend *backend_attach(const struct backend_params *params, pid_t pid, guint64 start_time,
                        GError **error);
/* skiff's VM state name from vm.info ("Running", "Paused", "Shutdown", ...). */
int backend_query_state(backend *b, char **state, GError **error);
/* The start time of a process in clock ticks since boot (0 if unknown). */
guint64 process_start_time(pid_t pid);
guint64 backend_start_time(const backend *b);

/* Ends skiff and frees b: vmm.shutdown when graceful (the guest is off
 * already), else SIGTERM; SIGKILL after BACKEND_STOP_GRACE_MS. Waits for
 * the exit (bounded), removes the runtime files and appends
 * "shutting down, reason=<reason>" to the log. Safe from the callbacks. */
void backend_stop(backend *b, bool graceful, const char *reason);

/* Forgets skiff without stopping it (the daemon is going away; the runtime
 * files stay for a later daemon to reconnect) and frees b. */
void backend_detach(backend *b);

/* PUT /api/v1/<endpoint> without a body (vm.pause, vm.resume, vm.reboot,
 * vm.power-button, vm.boot). */
int backend_call(backend *b, const char *endpoint, GError **error);
/* Asks skiff (vm.info) for the pty paths of the serial port and of the
 * virtio console: NULL for one that is not a pty or when the VM is not
 * running (not an error). */
int backend_query_ptys(backend *b, char **serial_pty, char **console_pty, GError **error);

pid_t backend_pid(const backend *b);
/* utime + stime of the skiff process (all its threads), 0 when unknown. */
uint64_t backend_cpu_time_ns(const backend *b);

/* <run_dir>/<name><suffix> */
char *backend_run_path(const char *run_dir, const char *name, const char *suffix);
