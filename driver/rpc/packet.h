/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt remote protocol framing: a 4-byte big-endian length that counts
 * itself, a 24-byte header (six XDR words), then the XDR body. Lengths are
 * checked before anything is allocated; XDR bodies are decoded from and
 * encoded into memory with libtirpc's xdrmem streams. Pure functions, no
 * I/O: the server feeds them bytes, the fuzz target too.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skiff_protocol.h"

#define RPC_LEN_SIZE 4
#define RPC_HEADER_SIZE 24
/* Smallest packet: the length word and the header, empty body. */
#define RPC_PACKET_MIN (RPC_LEN_SIZE + RPC_HEADER_SIZE)
/* Largest packet libvirt (since 6.x) sends or accepts: 32 MiB. */
#define RPC_PACKET_MAX (32u * 1024 * 1024)

enum rpc_type {
    RPC_TYPE_CALL = 0,
    RPC_TYPE_REPLY = 1,
    RPC_TYPE_MESSAGE = 2,          /* events, keepalive; serial 0 */
    RPC_TYPE_STREAM = 3,
    RPC_TYPE_CALL_WITH_FDS = 4,
    RPC_TYPE_REPLY_WITH_FDS = 5,
};

enum rpc_status {
    RPC_STATUS_OK = 0,
    RPC_STATUS_ERROR = 1,
    RPC_STATUS_CONTINUE = 2,
};

struct rpc_header {
    uint32_t prog;
    uint32_t vers;
    int32_t proc;
    int32_t type;
    uint32_t serial;
    int32_t status;
};

/* RPC_PACKET_ERROR codes: what was wrong with the bytes. */
#define RPC_PACKET_ERROR rpc_packet_error_quark()
GQuark rpc_packet_error_quark(void);
enum {
    RPC_PACKET_ERROR_LENGTH,       /* length word out of [RPC_PACKET_MIN, RPC_PACKET_MAX] */
    RPC_PACKET_ERROR_TRUNCATED,    /* fewer bytes than the header or body needs */
    RPC_PACKET_ERROR_DECODE,       /* the body does not decode as the procedure's arguments */
    RPC_PACKET_ERROR_ENCODE,       /* an answer too large for a packet */
};

/* The total packet length (length word included) announced by the first
 * RPC_LEN_SIZE bytes. -1 if it is out of bounds: the connection cannot be
 * resynchronised and must be closed. */
int rpc_packet_parse_length(const uint8_t lenbuf[RPC_LEN_SIZE], uint32_t *total, GError **error);

/* Decodes the header of a whole packet (len bytes from the length word on,
 * len as announced). *body and *body_len point into pkt. */
int rpc_packet_parse_header(const uint8_t *pkt, size_t len, struct rpc_header *hdr,
                            const uint8_t **body, size_t *body_len, GError **error);

/* Decodes an XDR body with filter into obj (zeroed by the caller). The
 * body must be exactly one encoded value: a short one or bytes left over
 * are an error. On success the caller frees obj's members with
 * rpc_xdr_free(); on failure nothing is left to free. */
int rpc_xdr_decode(const uint8_t *body, size_t body_len, xdrproc_t filter, void *obj,
                   GError **error);
void rpc_xdr_free(xdrproc_t filter, void *obj);

/* A whole packet: length, hdr, then obj encoded with filter (NULL: an
 * empty body). NULL if it would exceed RPC_PACKET_MAX. */
GBytes *rpc_packet_build(const struct rpc_header *hdr, xdrproc_t filter, const void *obj,
                         GError **error);

/* Splits a byte stream into packets without trusting it: the length word is
 * checked before anything is allocated, and the packet's buffer grows as its
 * bytes arrive (from RPC_READER_CHUNK, doubling, up to the announced
 * length), so a peer announcing 32 MiB and sending nothing costs little. */
#define RPC_READER_CHUNK (64 * 1024)

typedef struct rpc_reader {
    uint8_t lenbuf[RPC_LEN_SIZE];
    size_t lenbuf_have;
    uint8_t *pkt;
    uint32_t pkt_len;              /* announced total, checked */
    uint32_t pkt_have;
    uint32_t pkt_cap;
} rpc_reader;

/* Where the next bytes go and how many fit (> 0): read at most that many
 * into *dst, then call rpc_reader_advance with the count read. */
size_t rpc_reader_want(rpc_reader *r, uint8_t **dst);
/* 1: a whole packet is ready (take it with rpc_reader_take); 0: more bytes
 * needed; -1: a bad length word (the stream cannot be resynchronised). */
int rpc_reader_advance(rpc_reader *r, size_t n, GError **error);
/* The finished packet (g_free it) and its length; the reader starts over. */
uint8_t *rpc_reader_take(rpc_reader *r, size_t *len);
/* True between the first byte of a packet and its last. */
bool rpc_reader_in_packet(const rpc_reader *r);
void rpc_reader_clear(rpc_reader *r);

/* A packet whose body is len raw bytes (stream data), not XDR. */
GBytes *rpc_packet_build_raw(const struct rpc_header *hdr, const void *data, size_t len);

/* A reply with status ERROR to the call described by call_hdr (or, when
 * call_hdr's type is STREAM, a stream packet that aborts that stream): code and
 * domain are libvirt's virErrorNumber and virErrorDomain. Never fails (a
 * message too long for a packet is cut). */
GBytes *rpc_packet_build_error(const struct rpc_header *call_hdr, int code, int domain,
                               const char *message);
