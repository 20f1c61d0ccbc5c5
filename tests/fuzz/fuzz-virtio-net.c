/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: virtio-net's data path under a hostile guest. The input
 * is a small header (queue, options, two frame lengths) followed by the
 * guest's memory. A SOCK_SEQPACKET socket pair stands in for the tap. The
 * target runs the transmit path (chains to the "tap"), the receive path
 * (frames from the "tap" into the guest's buffers, mergeable or not, with
 * the header on the tap or added by skiff), or the control queue's parser,
 * over a queue whose rings and descriptors the guest laid out; ASan catches
 * any access outside guest memory, and the checks below catch a path that
 * fails without a reason or accounts for frames it never handled.
 *
 * Header (little-endian):
 *   0     log2 of the queue size (low 3 bits)
 *   1     options: bit 0 EVENT_IDX, bit 1 header on the tap, bit 2 MRG_RXBUF,
 *         bit 3 GUEST_CSUM, bits 4-5 path (0 tx, 1 rx, 2 control, 3 all three)
 *   2..3  descriptor table gpa (rounded down to 16)
 *   4..5  available ring gpa (rounded down to 2)
 *   6..7  used ring gpa (rounded down to 4)
 *   8..9  starting last_avail / used_idx
 *   10..11 length of the first frame the tap hands out (0: none)
 *   12..13 length of the second
 *   14..  guest memory from gpa 0, zero-filled to FUZZ_MEM_SIZE
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/virtio-net-rxtx.h"

#define FUZZ_MEM_SIZE (64u << 10)
#define FUZZ_HEADER 14
#define FUZZ_ROUNDS 8
#define FUZZ_BUDGET 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *fuzz_buf;
static guest_mem *fuzz_gm;
static int fuzz_sv[2] = { -1, -1 };
static uint8_t fuzz_frame[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME];
static struct virtq_chain fuzz_chain;

static uint16_t le16_at(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static void drain(int fd)
{
    while (recv(fd, fuzz_frame, 1, MSG_DONTWAIT | MSG_TRUNC) >= 0) {
    }
}

static void check_result(enum virtio_net_io r, const char *reason)
{
    if (r == VIRTIO_NET_IO_BROKEN && (reason == NULL || reason[0] == '\0')) {
        abort();
    }
    if (r == VIRTIO_NET_IO_TAP_ERROR) {
        abort();        /* a socket pair never fails a read */
    }
}

static void run_tx(struct virtio_net_port *p, struct virtq *q)
{
    for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
        uint16_t used_before = q->used_idx;
        uint64_t handled_before = p->stats->tx_frames + p->stats->tx_dropped;
        const char *reason = NULL;
        enum virtio_net_io r = virtio_net_tx(p, q, fuzz_gm, FUZZ_BUDGET, &reason);

        check_result(r, reason);
        /* Every chain given back was sent or dropped, and counted once. */
        if (!q->broken && (uint16_t)(q->used_idx - used_before) !=
                              p->stats->tx_frames + p->stats->tx_dropped - handled_before) {
            abort();
        }
        drain(fuzz_sv[1]);
        if (r != VIRTIO_NET_IO_AGAIN && r != VIRTIO_NET_IO_WAIT_TAP) {
            break;
        }
    }
}

static void run_rx(struct virtio_net_port *p, struct virtq *q, unsigned frames)
{
    for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
        const char *reason = NULL;
        enum virtio_net_io r = virtio_net_rx(p, q, fuzz_gm, FUZZ_BUDGET, &reason);

        check_result(r, reason);
        if (p->stats->rx_frames + p->stats->rx_dropped > frames) {
            abort();
        }
        if (r == VIRTIO_NET_IO_BROKEN || r == VIRTIO_NET_IO_WAIT_TAP) {
            break;
        }
    }
}

static void run_ctrl(struct virtq *q)
{
    unsigned pairs = 1;

    for (unsigned n = 0; n < FUZZ_ROUNDS * FUZZ_BUDGET; n++) {
        const char *reason = NULL;
        uint32_t written;
        int got = virtq_pop(q, fuzz_gm, &fuzz_chain);

        if (got <= 0) {
            break;
        }
        if (virtio_net_ctrl(&fuzz_chain, true, 4, &pairs, &written, &reason) < 0) {
            if (reason == NULL || fuzz_chain.in_bytes != 0) {
                abort();
            }
            break;
        }
        if (pairs < 1 || pairs > 4 || written != 1) {
            abort();
        }
        virtq_push(q, fuzz_gm, fuzz_chain.head, written);
    }
}

/* Up to two frames into the "tap", their bytes taken from the input. */
static unsigned send_frames(const uint8_t *data, size_t size, bool vnet_hdr)
{
    unsigned sent = 0;

    for (unsigned i = 0; i < 2; i++) {
        size_t len = le16_at(data + 10 + 2 * i);

        if (len == 0) {
            continue;
        }
        len = MIN(len + (vnet_hdr ? VIRTIO_NET_HDR_LEN : 0), sizeof(fuzz_frame));
        for (size_t j = 0; j < len; j++) {
            fuzz_frame[j] = size > FUZZ_HEADER ? data[FUZZ_HEADER + j % (size - FUZZ_HEADER)]
                                               : (uint8_t)j;
        }
        if (send(fuzz_sv[1], fuzz_frame, len, MSG_DONTWAIT) == (ssize_t)len) {
            sent++;
        }
    }
    return sent;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct virtio_net_stats stats = { 0 };
    struct virtio_net_port port;
    struct virtq q = { 0 };
    GError *err = NULL;
    unsigned path;
    uint8_t opts;
    uint16_t start;
    unsigned frames;

    if (size < FUZZ_HEADER) {
        return 0;
    }
    if (fuzz_gm == NULL) {
        int big = 1 << 20;

        /* Exactly the guest's size, so that ASan's redzone starts where RAM ends. */
        fuzz_buf = g_malloc(FUZZ_MEM_SIZE);
        fuzz_gm = guest_mem_new_from_buffer(fuzz_buf, FUZZ_MEM_SIZE);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fuzz_sv) < 0) {
            abort();
        }
        setsockopt(fuzz_sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
        setsockopt(fuzz_sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    }
    drain(fuzz_sv[0]);
    drain(fuzz_sv[1]);
    memset(fuzz_buf, 0, FUZZ_MEM_SIZE);
    memcpy(fuzz_buf, data + FUZZ_HEADER, MIN(size - FUZZ_HEADER, FUZZ_MEM_SIZE));

    q.size = 1u << (data[0] & 7);
    opts = data[1];
    path = (opts >> 4) & 3;
    q.desc_gpa = le16_at(data + 2) & ~15u;
    q.avail_gpa = le16_at(data + 4) & ~1u;
    q.used_gpa = le16_at(data + 6) & ~3u;
    q.event_idx = opts & 1;
    start = le16_at(data + 8);
    if (virtq_start(&q, fuzz_gm, &err) < 0) {
        if (err == NULL || err->message == NULL || err->message[0] == '\0') {
            abort();
        }
        g_error_free(err);
        return 0;
    }
    q.last_avail = q.used_idx = q.signalled_used = start;

    virtio_net_port_init(&port, fuzz_sv[0], opts & 2, q.size, &stats);
    port.mrg_rxbuf = opts & 4;
    port.guest_csum = opts & 8;
    if (path == 0 || path == 3) {
        run_tx(&port, &q);
    }
    if (path == 1 || path == 3) {
        frames = send_frames(data, size, opts & 2);
        run_rx(&port, &q, frames);
    }
    if (path == 2 || path == 3) {
        run_ctrl(&q);
    }
    virtio_net_port_clear(&port);
    return 0;
}
