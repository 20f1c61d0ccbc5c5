/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The event monitor (--event-monitor path=PATH|fd=N): lifecycle events as
 * Cloud Hypervisor writes them, one pretty-printed JSON object each followed
 * by a blank line:
 *   {"timestamp": {"secs": S, "nanos": N}, "source": "vm", "event": "booted",
 *    "properties": null}
 * The timestamp counts from skiff's start.
 */
#pragma once

#include <glib.h>

/* Opens the monitor: path (created or truncated) or an inherited fd. ctx: where
 * a slow reader is waited for (NULL: the default context). */
int events_open(const char *path, int fd, GMainContext *ctx, GError **error);
/* Writes what is still queued (a slow reader) and closes the monitor. */
void events_close(void);
/* Properties: name/value string pairs, NULL-terminated. No-op without a monitor.
 * Main thread only. */
void event_emit(const char *source, const char *event, ...) G_GNUC_NULL_TERMINATED;
