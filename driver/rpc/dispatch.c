/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rpc/dispatch.h"

#include <glib/gi18n.h>

#include "rpc/proc-table.h"
#include "vmm/log.h"
#include "xml/virt-error.h"

static const struct {
    const struct rpc_handler *table;
    const size_t *n;
} handler_tables[] = {
    { connect_handlers, &connect_n_handlers },
    { domain_handlers, &domain_n_handlers },
    { event_handlers, &event_n_handlers },
    { console_handlers, &console_n_handlers },
};

/* Indexed like the procedure table; NULL: known number, no handler in this
 * build (answered NO_SUPPORT like an unknown one). */
static rpc_handler_fn *handlers;

int rpc_dispatch_init(GError **error)
{
    const struct rpc_proc_desc *procs;
    size_t n;

    procs = rpc_proc_table(&n);
    g_free(handlers);
    handlers = g_new0(rpc_handler_fn, n);
    for (size_t t = 0; t < G_N_ELEMENTS(handler_tables); t++) {
        for (size_t i = 0; i < *handler_tables[t].n; i++) {
            const struct rpc_handler *h = &handler_tables[t].table[i];
            const struct rpc_proc_desc *desc = rpc_proc_lookup(h->proc);

            if (!desc || handlers[desc - procs]) {
                g_set_error(error, VIRT_ERROR, VIR_ERR_INTERNAL_ERROR,
                            _("procedure %d: handler without a description, or two handlers"),
                            h->proc);
                return -1;
            }
            handlers[desc - procs] = h->fn;
        }
    }
    return 0;
}

static int error_domain(const struct rpc_proc_desc *desc, int code)
{
    switch (code) {
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_XML_INVALID_SCHEMA:
    case VIR_ERR_CONFIG_UNSUPPORTED:
        return VIR_FROM_DOMAIN;
    default:
        break;
    }
    if (!desc)
        return VIR_FROM_RPC;
    return desc->flags & RPC_PROC_DOMAIN ? VIR_FROM_DOM : VIR_FROM_NONE;
}

static GBytes *error_reply(const struct rpc_header *hdr, const struct rpc_proc_desc *desc,
                           const GError *err)
{
    int code = virt_error_code(err);
    g_autofree char *msg = virt_error_format_message(err);

    log_debug("serial %u proc %d: error %s: %s", hdr->serial, hdr->proc,
              virt_error_code_name(code), msg);
    return rpc_packet_build_error(hdr, code, error_domain(desc, code), msg);
}

G_GNUC_PRINTF(4, 5)
static GBytes *error_replyf(const struct rpc_header *hdr, const struct rpc_proc_desc *desc,
                            int code, const char *fmt, ...)
{
    g_autoptr(GError) err = NULL;
    va_list ap;

    va_start(ap, fmt);
    err = g_error_new_valist(VIRT_ERROR, code, fmt, ap);
    va_end(ap);
    return error_reply(hdr, desc, err);
}

void rpc_conn_closed(struct rpc_conn *conn)
{
    console_conn_closed(conn);
    if (conn->daemon->events)
        event_hub_conn_closed(conn->daemon->events, conn);
}

GBytes *rpc_keepalive_ping(void)
{
    struct rpc_header hdr = {
        .prog = SKIFF_KEEPALIVE_PROGRAM,
        .vers = SKIFF_KEEPALIVE_VERSION,
        .proc = SKIFF_KEEPALIVE_PROC_PING,
        .type = RPC_TYPE_MESSAGE,
        .serial = 0,
        .status = RPC_STATUS_OK,
    };

    return rpc_packet_build(&hdr, NULL, NULL, NULL);
}

/* The keepalive program: answer PING with PONG; a PONG only proves the
 * client alive, which receiving it already did. */
static int dispatch_keepalive(const struct rpc_header *hdr, GBytes **reply)
{
    struct rpc_header pong = *hdr;

    if (hdr->vers != SKIFF_KEEPALIVE_VERSION || hdr->type != RPC_TYPE_MESSAGE) {
        log_info(_("client sent a malformed keepalive message; closing it"));
        return -1;
    }
    if (hdr->proc == SKIFF_KEEPALIVE_PROC_PING) {
        pong.proc = SKIFF_KEEPALIVE_PROC_PONG;
        pong.serial = 0;
        pong.status = RPC_STATUS_OK;
        *reply = rpc_packet_build(&pong, NULL, NULL, NULL);
    }
    return 0;
}

static int dispatch_call(struct rpc_conn *conn, const struct rpc_header *hdr,
                         const uint8_t *body, size_t body_len, GBytes **reply)
{
    const struct rpc_proc_desc *desc = rpc_proc_lookup(hdr->proc);
    rpc_handler_fn fn = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree void *args = NULL;
    g_autofree void *ret = NULL;
    struct rpc_header rhdr = *hdr;
    size_t n;

    if (desc)
        fn = handlers[desc - rpc_proc_table(&n)];
    log_debug("client pid %d: call %s (%d) serial %u", (int)conn->pid,
              desc ? desc->name : "?", hdr->proc, hdr->serial);
    if (!fn) {
        *reply = error_replyf(hdr, NULL, VIR_ERR_NO_SUPPORT, _("procedure %d"), hdr->proc);
        return 0;
    }
    if (!conn->opened && !(desc->flags & RPC_PROC_BEFORE_OPEN)) {
        *reply = error_replyf(hdr, NULL, VIR_ERR_INTERNAL_ERROR, _("connection not open"));
        return 0;
    }
    if (conn->readonly && !(desc->flags & RPC_PROC_READONLY)) {
        *reply = error_replyf(hdr, NULL, VIR_ERR_OPERATION_DENIED,
                              _("read only access prevents %s"), desc->name);
        return 0;
    }

    args = g_malloc0(desc->args_filter ? desc->args_size : 1);
    if (desc->args_filter ? rpc_xdr_decode(body, body_len, desc->args_filter, args, &err) < 0
                          : body_len != 0) {
        /* The framing still holds, but a client that sends garbage is not
         * worth a second chance: answer, then close. */
        *reply = error_replyf(hdr, NULL, VIR_ERR_RPC, _("%s: %s"), desc->name,
                              err ? err->message : _("arguments where none are expected"));
        return -1;
    }
    ret = g_malloc0(desc->ret_filter ? desc->ret_size : 1);
    conn->call_serial = hdr->serial;
    if (fn(conn, args, ret, &err) < 0) {
        *reply = error_reply(hdr, desc, err);
    } else {
        rhdr.type = RPC_TYPE_REPLY;
        rhdr.status = RPC_STATUS_OK;
        *reply = rpc_packet_build(&rhdr, desc->ret_filter, ret, &err);
        if (!*reply)
            *reply = error_replyf(hdr, desc, VIR_ERR_INTERNAL_ERROR, "%s", err->message);
    }
    /* Also after a failure: a handler may have filled part of the answer. */
    if (desc->ret_filter)
        rpc_xdr_free(desc->ret_filter, ret);
    if (desc->args_filter)
        rpc_xdr_free(desc->args_filter, args);
    return 0;
}

int rpc_dispatch_packet(struct rpc_conn *conn, const uint8_t *pkt, size_t len, GBytes **reply)
{
    g_autoptr(GError) err = NULL;
    struct rpc_header hdr;
    const uint8_t *body;
    size_t body_len;

    *reply = NULL;
    if (rpc_packet_parse_header(pkt, len, &hdr, &body, &body_len, &err) < 0) {
        log_info(_("client pid %d: %s; closing it"), (int)conn->pid, err->message);
        return -1;
    }
    if (hdr.prog == SKIFF_KEEPALIVE_PROGRAM)
        return dispatch_keepalive(&hdr, reply);

    switch (hdr.type) {
    case RPC_TYPE_CALL:
        break;
    case RPC_TYPE_STREAM:
        return console_stream_input(conn, &hdr, body, body_len, reply);
    case RPC_TYPE_CALL_WITH_FDS:
        /* The descriptors follow out of band; the stream cannot be trusted. */
        *reply = error_replyf(&hdr, NULL, VIR_ERR_NO_SUPPORT,
                              _("passing file descriptors (procedure %d)"), hdr.proc);
        return -1;
    default:
        log_info(_("client pid %d sent a packet of type %d; closing it"), (int)conn->pid,
                 hdr.type);
        return -1;
    }
    if (hdr.prog != SKIFF_REMOTE_PROGRAM) {
        *reply = error_replyf(&hdr, NULL, VIR_ERR_RPC, _("cannot find program %#x version %u"),
                              hdr.prog, hdr.vers);
        return 0;
    }
    if (hdr.vers != SKIFF_REMOTE_VERSION) {
        *reply = error_replyf(&hdr, NULL, VIR_ERR_RPC,
                              _("program version mismatch (actual %u, expected %u)"), hdr.vers,
                              (unsigned)SKIFF_REMOTE_VERSION);
        return 0;
    }
    if (hdr.status != RPC_STATUS_OK) {
        *reply = error_replyf(&hdr, NULL, VIR_ERR_RPC, _("unexpected status %d in a call"),
                              hdr.status);
        return 0;
    }
    return dispatch_call(conn, &hdr, body, body_len, reply);
}
