/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target over what a libvirt client sends virtskiffd: the byte
 * stream is split into packets by the server's reader (fed in chunks whose
 * sizes come from the input, as recv() would), each header is decoded, and
 * the body is decoded with the arguments filter of its procedure (or, for a
 * number virtskiffd does not know, of some procedure, so that every filter
 * sees every input). A body that decodes is encoded again, decoded again
 * and encoded a second time: both encodings must be the same bytes. Error
 * bodies are decoded too, as a client decodes them.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/packet.h"
#include "rpc/proc-table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct rpc_header *hdr, xdrproc_t filter, size_t obj_size,
                             const uint8_t *body, size_t body_len)
{
    void *first = g_malloc0(obj_size);
    void *second = g_malloc0(obj_size);
    GBytes *enc1;
    GBytes *enc2;
    const uint8_t *p;
    gsize len;

    if (rpc_xdr_decode(body, body_len, filter, first, NULL) < 0) {
        g_free(first);
        g_free(second);
        return;
    }
    enc1 = rpc_packet_build(hdr, filter, first, NULL);
    /* What decoded from at most one packet encodes into at most one. */
    if (!enc1)
        abort();
    p = g_bytes_get_data(enc1, &len);
    if (rpc_xdr_decode(p + RPC_PACKET_MIN, len - RPC_PACKET_MIN, filter, second, NULL) < 0)
        abort();
    enc2 = rpc_packet_build(hdr, filter, second, NULL);
    if (!enc2 || !g_bytes_equal(enc1, enc2))
        abort();
    g_bytes_unref(enc1);
    g_bytes_unref(enc2);
    rpc_xdr_free(filter, first);
    rpc_xdr_free(filter, second);
    g_free(first);
    g_free(second);
}

static void handle_packet(const uint8_t *pkt, size_t len)
{
    struct rpc_header hdr;
    const uint8_t *body;
    size_t body_len;
    const struct rpc_proc_desc *desc;
    const struct rpc_proc_desc *table;
    size_t n;

    if (rpc_packet_parse_header(pkt, len, &hdr, &body, &body_len, NULL) < 0)
        abort();                   /* the reader hands over whole packets only */
    table = rpc_proc_table(&n);
    desc = rpc_proc_lookup(hdr.proc);
    if (!desc)
        desc = &table[(uint32_t)hdr.proc % n];
    if (desc->args_filter)
        check_round_trip(&hdr, desc->args_filter, desc->args_size, body, body_len);
    if (desc->ret_filter)
        check_round_trip(&hdr, desc->ret_filter, desc->ret_size, body, body_len);
    if (hdr.status == RPC_STATUS_ERROR)
        check_round_trip(&hdr, (xdrproc_t)xdr_skiff_error, sizeof(skiff_error), body, body_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rpc_reader r = { 0 };
    size_t off = 0;
    /* Chunk sizes: the first byte's bits, so that splits vary with the input. */
    unsigned chunk = size ? (data[0] % 7) + 1 : 1;

    while (off < size) {
        uint8_t *dst;
        size_t want = rpc_reader_want(&r, &dst);
        size_t n = MIN(MIN(want, chunk), size - off);
        int res;

        memcpy(dst, data + off, n);
        off += n;
        res = rpc_reader_advance(&r, n, NULL);
        if (res < 0)
            break;
        if (res > 0) {
            size_t len;
            g_autofree uint8_t *pkt = rpc_reader_take(&r, &len);

            handle_packet(pkt, len);
        }
        chunk = chunk * 3 % 4093 + 1;
    }
    rpc_reader_clear(&r);
    return 0;
}
