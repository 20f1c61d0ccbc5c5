/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rpc/packet.h"

#include <arpa/inet.h>
#include <glib/gi18n.h>
#include <string.h>

G_DEFINE_QUARK(rpc-packet-error-quark, rpc_packet_error)

/* An error message longer than this is cut: it is for a human. */
#define RPC_ERROR_MESSAGE_MAX (64 * 1024)

static uint32_t get_be32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return ntohl(v);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    v = htonl(v);
    memcpy(p, &v, sizeof(v));
}

int rpc_packet_parse_length(const uint8_t lenbuf[RPC_LEN_SIZE], uint32_t *total, GError **error)
{
    uint32_t len = get_be32(lenbuf);

    if (len < RPC_PACKET_MIN || len > RPC_PACKET_MAX) {
        g_set_error(error, RPC_PACKET_ERROR, RPC_PACKET_ERROR_LENGTH,
                    _("packet length %u is outside [%u, %u]"), len, (unsigned)RPC_PACKET_MIN,
                    (unsigned)RPC_PACKET_MAX);
        return -1;
    }
    *total = len;
    return 0;
}

int rpc_packet_parse_header(const uint8_t *pkt, size_t len, struct rpc_header *hdr,
                            const uint8_t **body, size_t *body_len, GError **error)
{
    uint32_t announced;

    if (len < RPC_PACKET_MIN) {
        g_set_error(error, RPC_PACKET_ERROR, RPC_PACKET_ERROR_TRUNCATED,
                    _("packet of %zu bytes is shorter than a header"), len);
        return -1;
    }
    if (rpc_packet_parse_length(pkt, &announced, error) < 0)
        return -1;
    if (announced != len) {
        g_set_error(error, RPC_PACKET_ERROR, RPC_PACKET_ERROR_TRUNCATED,
                    _("packet announces %u bytes but has %zu"), announced, len);
        return -1;
    }
    pkt += RPC_LEN_SIZE;
    hdr->prog = get_be32(pkt);
    hdr->vers = get_be32(pkt + 4);
    hdr->proc = (int32_t)get_be32(pkt + 8);
    hdr->type = (int32_t)get_be32(pkt + 12);
    hdr->serial = get_be32(pkt + 16);
    hdr->status = (int32_t)get_be32(pkt + 20);
    *body = pkt + RPC_HEADER_SIZE;
    *body_len = len - RPC_PACKET_MIN;
    return 0;
}

int rpc_xdr_decode(const uint8_t *body, size_t body_len, xdrproc_t filter, void *obj,
                   GError **error)
{
    XDR xdr;
    bool ok;

    if (body_len > RPC_PACKET_MAX) {
        g_set_error(error, RPC_PACKET_ERROR, RPC_PACKET_ERROR_DECODE,
                    _("message body of %zu bytes is too large"), body_len);
        return -1;
    }
    /* xdrmem only reads through the pointer when decoding. */
    xdrmem_create(&xdr, (char *)body, (u_int)body_len, XDR_DECODE);
    ok = filter(&xdr, obj);
    if (ok && xdr_getpos(&xdr) != body_len) {
        /* Bytes after the arguments: not what any client encodes. */
        xdr_free(filter, obj);
        xdr_destroy(&xdr);
        g_set_error(error, RPC_PACKET_ERROR, RPC_PACKET_ERROR_DECODE,
                    _("%zu bytes left over after the message body"),
                    body_len - xdr_getpos(&xdr));
        return -1;
    }
    xdr_destroy(&xdr);
    if (!ok) {
        /* Members decoded before the failure are allocated; the filters
         * leave NULL in the rest, so freeing the whole object is safe. */
        xdr_free(filter, obj);
        g_set_error(error, RPC_PACKET_ERROR, RPC_PACKET_ERROR_DECODE,
                    _("cannot decode the message body (%zu bytes)"), body_len);
        return -1;
    }
    return 0;
}

void rpc_xdr_free(xdrproc_t filter, void *obj)
{
    xdr_free(filter, obj);
}

static void put_length_and_header(uint8_t *buf, size_t total, const struct rpc_header *hdr)
{
    put_be32(buf, (uint32_t)total);
    put_be32(buf + 4, hdr->prog);
    put_be32(buf + 8, hdr->vers);
    put_be32(buf + 12, (uint32_t)hdr->proc);
    put_be32(buf + 16, (uint32_t)hdr->type);
    put_be32(buf + 20, hdr->serial);
    put_be32(buf + 24, (uint32_t)hdr->status);
}

GBytes *rpc_packet_build(const struct rpc_header *hdr, xdrproc_t filter, const void *obj,
                         GError **error)
{
    unsigned long body_len = 0;
    size_t total;
    uint8_t *buf;

    if (filter) {
        /* xdr_sizeof runs the filter in counting mode; it does not write. */
        body_len = xdr_sizeof(filter, (void *)obj);
        if (body_len == 0) {
            g_set_error(error, RPC_PACKET_ERROR, RPC_PACKET_ERROR_ENCODE,
                        _("cannot encode the reply (a value is over its limit)"));
            return NULL;
        }
    }
    if (body_len > RPC_PACKET_MAX - RPC_PACKET_MIN) {
        g_set_error(error, RPC_PACKET_ERROR, RPC_PACKET_ERROR_ENCODE,
                    _("reply of %lu bytes exceeds the %u-byte packet limit"), body_len,
                    (unsigned)RPC_PACKET_MAX);
        return NULL;
    }
    total = RPC_PACKET_MIN + body_len;
    buf = g_malloc(total);
    put_length_and_header(buf, total, hdr);
    if (body_len) {
        XDR xdr;
        bool ok;

        xdrmem_create(&xdr, (char *)buf + RPC_PACKET_MIN, (u_int)body_len, XDR_ENCODE);
        ok = filter(&xdr, (void *)obj);
        xdr_destroy(&xdr);
        if (!ok) {
            g_free(buf);
            g_set_error(error, RPC_PACKET_ERROR, RPC_PACKET_ERROR_ENCODE,
                        _("cannot encode the reply"));
            return NULL;
        }
    }
    return g_bytes_new_take(buf, total);
}

size_t rpc_reader_want(rpc_reader *r, uint8_t **dst)
{
    if (!r->pkt) {
        *dst = r->lenbuf + r->lenbuf_have;
        return RPC_LEN_SIZE - r->lenbuf_have;
    }
    if (r->pkt_have == r->pkt_cap) {
        r->pkt_cap = MIN(r->pkt_len, r->pkt_cap * 2);
        r->pkt = g_realloc(r->pkt, r->pkt_cap);
    }
    *dst = r->pkt + r->pkt_have;
    return r->pkt_cap - r->pkt_have;
}

int rpc_reader_advance(rpc_reader *r, size_t n, GError **error)
{
    uint32_t total;

    if (r->pkt) {
        g_assert(n <= r->pkt_cap - r->pkt_have);
        r->pkt_have += (uint32_t)n;
        return r->pkt_have == r->pkt_len;
    }
    g_assert(n <= RPC_LEN_SIZE - r->lenbuf_have);
    r->lenbuf_have += n;
    if (r->lenbuf_have < RPC_LEN_SIZE)
        return 0;
    if (rpc_packet_parse_length(r->lenbuf, &total, error) < 0)
        return -1;
    r->pkt_len = total;
    r->pkt_cap = MIN(total, RPC_READER_CHUNK);
    r->pkt = g_malloc(r->pkt_cap);
    memcpy(r->pkt, r->lenbuf, RPC_LEN_SIZE);
    r->pkt_have = RPC_LEN_SIZE;
    /* RPC_PACKET_MIN > RPC_LEN_SIZE: never complete here. */
    return 0;
}

uint8_t *rpc_reader_take(rpc_reader *r, size_t *len)
{
    uint8_t *pkt = r->pkt;

    g_assert(pkt && r->pkt_have == r->pkt_len);
    *len = r->pkt_len;
    memset(r, 0, sizeof(*r));
    return pkt;
}

bool rpc_reader_in_packet(const rpc_reader *r)
{
    return r->pkt || r->lenbuf_have;
}

void rpc_reader_clear(rpc_reader *r)
{
    g_free(r->pkt);
    memset(r, 0, sizeof(*r));
}

GBytes *rpc_packet_build_raw(const struct rpc_header *hdr, const void *data, size_t len)
{
    uint8_t *buf;

    g_return_val_if_fail(len <= RPC_PACKET_MAX - RPC_PACKET_MIN, NULL);
    buf = g_malloc(RPC_PACKET_MIN + len);
    put_length_and_header(buf, RPC_PACKET_MIN + len, hdr);
    if (len)
        memcpy(buf + RPC_PACKET_MIN, data, len);
    return g_bytes_new_take(buf, RPC_PACKET_MIN + len);
}

GBytes *rpc_packet_build_error(const struct rpc_header *call_hdr, int code, int domain,
                               const char *message)
{
    struct rpc_header hdr = *call_hdr;
    g_autofree char *msg = g_strdup(message ? message : _("unknown error"));
    skiff_error err = { 0 };
    GBytes *pkt;

    if (strlen(msg) > RPC_ERROR_MESSAGE_MAX)
        msg[RPC_ERROR_MESSAGE_MAX] = '\0';
    /* A stream's error travels as a STREAM packet; anything else answers a call. */
    if (hdr.type != RPC_TYPE_STREAM)
        hdr.type = RPC_TYPE_REPLY;
    hdr.status = RPC_STATUS_ERROR;
    err.code = code;
    err.domain = domain;
    err.message = &msg;
    err.level = 2;                 /* VIR_ERR_ERROR */
    err.int1 = -1;
    err.int2 = -1;
    pkt = rpc_packet_build(&hdr, (xdrproc_t)xdr_skiff_error, &err, NULL);
    /* Cannot fail: a 64 KiB string and a fixed header fit in any packet. */
    g_assert(pkt);
    return pkt;
}
