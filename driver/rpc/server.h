/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtskiffd's listener: unix sockets on a GLib main loop, one non-blocking
 * connection per client. Each client has an input buffer that grows only as
 * bytes arrive (never more than the announced, size-checked packet length)
 * and an output queue: above RPC_OUT_PAUSE bytes queued the client is not
 * read any more (its calls wait in the kernel), above RPC_OUT_MAX it is
 * dropped. A malformed, truncated or oversized packet closes that client and
 * nothing else. A client that asked about keepalive is sent a PING after
 * RPC_KEEPALIVE_INTERVAL_S seconds without a packet from it and is closed
 * after RPC_KEEPALIVE_COUNT unanswered ones.
 *
 * Access: a client of a read-only socket may only make read-only calls. On
 * the read-write socket, in system mode only uid 0 may make the others (a
 * different uid is treated as read-only, as libvirt's default policy without
 * polkit allows no more); in session mode only the daemon's own uid (or 0)
 * may connect at all.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "rpc/dispatch.h"

#define RPC_OUT_PAUSE (1u * 1024 * 1024)
#define RPC_OUT_MAX (RPC_PACKET_MAX + RPC_OUT_PAUSE)
#define RPC_KEEPALIVE_INTERVAL_S 5
#define RPC_KEEPALIVE_COUNT 5
#define RPC_MAX_CLIENTS 512

typedef struct rpc_server rpc_server;

/* ctx NULL: the thread's default context. daemon must outlive the server. */
rpc_server *rpc_server_new(struct rpc_daemon *daemon, GMainContext *ctx);
/* Closes every client and listener and removes the socket files. */
void rpc_server_free(rpc_server *srv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rpc_server, rpc_server_free)

/* Creates, binds (mode set with chmod, independent of the umask) and listens
 * on a unix socket at path. A stale socket file there is replaced; one a
 * live server answers on is an error. */
int rpc_server_listen_unix(rpc_server *srv, const char *path, mode_t mode, bool readonly,
                           GError **error);

/* Serves a listening socket made elsewhere (systemd socket activation). The
 * server owns fd from now on; path is for messages. Its file stays when the
 * server stops: systemd listens on for the next activation. */
void rpc_server_adopt(rpc_server *srv, int fd, const char *path, bool readonly);

unsigned rpc_server_n_clients(const rpc_server *srv);
