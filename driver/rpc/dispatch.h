/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From a whole packet to its answer: header checks, the keepalive program,
 * access checks, argument decoding, the procedure's handler, and the reply
 * or error packet. Calls run one at a time on the daemon's main loop.
 *
 * Handlers report failures as GErrors; a VIRT_ERROR code travels as is,
 * anything else as VIR_ERR_INTERNAL_ERROR (xml/virt-error.h). The message is
 * the detail only: the dispatcher adds libvirt's standard prefix for the code
 * ("Domain not found: ", ...) with virt_error_format_message(), as libvirt's
 * own daemons do, since clients print the message as they receive it.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "driver/domains.h"
#include "rpc/packet.h"

typedef struct event_hub event_hub;
typedef struct console_stream console_stream;

/* What every connection shares. */
struct rpc_daemon {
    domain_manager *dm;             /* NULL: built without the domain manager */
    event_hub *events;              /* NULL: no event callbacks (driver/events.h) */
    bool system_mode;               /* skiff:///system (root) or skiff:///session */
    const char *skiff_path;         /* the default emulator */
};

/* One client connection's protocol state. */
struct rpc_conn {
    struct rpc_daemon *daemon;
    uid_t uid;                      /* SO_PEERCRED */
    gid_t gid;
    pid_t pid;
    bool readonly;                  /* the -ro socket, a peer not allowed to write,
                                       or opened with VIR_CONNECT_RO */
    bool opened;                    /* CONNECT_OPEN succeeded */
    bool keepalive;                 /* the client asked whether we do keepalive */
    bool close_callback;            /* registered (nothing to do: the socket closing says it) */
    char *uri;                      /* as opened, canonical */
    /* Set by the server: queues a packet (taken) for the client outside a
     * reply, for events and stream data. -1 when the client is gone. */
    int (*push)(struct rpc_conn *conn, GBytes *pkt);
    /* Bytes queued for the client and not sent yet: streams pause above
     * RPC_OUT_PAUSE rather than let a slow reader grow the queue. */
    size_t (*queued)(struct rpc_conn *conn);
    GList *consoles;                /* console_stream *: its open streams (driver/console.c) */
    uint32_t call_serial;           /* the serial of the call being handled (streams use it) */
};

typedef int (*rpc_handler_fn)(struct rpc_conn *conn, void *args, void *ret, GError **error);

struct rpc_handler {
    int proc;
    rpc_handler_fn fn;
};

/* Handler tables: connection and node calls (driver/connect.c), domain calls
 * (driver/domain-procs.c), event callbacks (driver/events.c), consoles
 * (driver/console.c). */
extern const struct rpc_handler connect_handlers[];
extern const size_t connect_n_handlers;
extern const struct rpc_handler domain_handlers[];
extern const size_t domain_n_handlers;
extern const struct rpc_handler event_handlers[];
extern const size_t event_n_handlers;
extern const struct rpc_handler console_handlers[];
extern const size_t console_n_handlers;

/* Stream packets (type STREAM) for the console stream a client opened
 * (driver/console.c). *reply as for rpc_dispatch_packet. */
int console_stream_input(struct rpc_conn *conn, const struct rpc_header *hdr,
                         const uint8_t *body, size_t body_len, GBytes **reply);
void console_conn_closed(struct rpc_conn *conn);
void event_hub_conn_closed(event_hub *hub, struct rpc_conn *conn);

/* Checks that every handler has a procedure description (a programming
 * error otherwise). Call once before the first packet. */
int rpc_dispatch_init(GError **error);

/* Handles one whole packet (length word included, length already checked).
 * *reply: the packet to send back, or NULL. Returns 0, or -1 when the
 * connection must be closed (after *reply, if any, is sent). */
int rpc_dispatch_packet(struct rpc_conn *conn, const uint8_t *pkt, size_t len, GBytes **reply);

/* The server calls this once when the client goes: its event callbacks
 * and its console stream end. */
void rpc_conn_closed(struct rpc_conn *conn);

/* The keepalive PING the server sends to a quiet client. */
GBytes *rpc_keepalive_ping(void);

/* Handlers' helpers: strings in answers are freed by xdr_free() (free()),
 * and GLib allocates with the system malloc, so g_strdup() is right. */
#define RPC_ARGS(T, name, args) T *name = (T *)(args)
