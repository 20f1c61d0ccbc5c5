/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-net. The data path (virtio-net-rxtx.c) on a fake guest memory whose
 * rings the tests lay out byte by byte, with a SOCK_SEQPACKET socket pair
 * standing in for the tap (one message per frame, as a tap): transmit with
 * and without the header on the tap, malformed and oversized chains, a full
 * tap; receive into one buffer, into mergeable buffers, waiting for buffers,
 * frames too big, buffers too small; the control queue's commands. Then the
 * whole device through its PCI transport on a fake VM and a real tap (root
 * only): config space, features, offloads set on the tap after DRIVER_OK, a
 * frame each way through a packet socket, counters, the control queue.
 */
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arch/x86_64/layout.h"
#include "devices/pci-host.h"
#include "devices/virtio-net-rxtx.h"
#include "devices/virtio-net.h"
#include "vmm/vm.h"

#include "testutil.h"
#include "vring-bytes.h"

#define HDR VIRTIO_NET_HDR_LEN
#define MEM_SIZE (1u << 20)
#define DESC_GPA 0x1000u
#define AVAIL_GPA 0x2000u
#define USED_GPA 0x3000u
#define DATA_GPA 0x10000u       /* buffers from here on */
#define BIG_GPA 0x80000u        /* room for an oversized chain */

/* ---- guest memory and one ring, written as a driver would ---- */

struct fake {
    uint8_t *buf;
    guest_mem *gm;
    struct virtq q;
    uint16_t avail_idx;
    uint16_t next_desc;
    int sv[2];                  /* sv[0]: the port's "tap"; sv[1]: the network */
    struct virtio_net_stats stats;
    struct virtio_net_port port;
};

struct seg {
    uint64_t gpa;
    uint32_t len;
    bool write;
};

static struct fake *fake_new(uint16_t size, bool vnet_hdr, bool mrg)
{
    struct fake *f = g_new0(struct fake, 1);

    f->buf = g_malloc0(MEM_SIZE);
    f->gm = guest_mem_new_from_buffer(f->buf, MEM_SIZE);
    f->q.size = size;
    f->q.desc_gpa = DESC_GPA;
    f->q.avail_gpa = AVAIL_GPA;
    f->q.used_gpa = USED_GPA;
    f->q.event_idx = true;
    ck_assert_int_eq(virtq_start(&f->q, f->gm, NULL), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, f->sv),
                     0);
    virtio_net_port_init(&f->port, f->sv[0], vnet_hdr, size, &f->stats);
    f->port.mrg_rxbuf = mrg;
    return f;
}

static void fake_free(struct fake *f)
{
    virtio_net_port_clear(&f->port);
    close(f->sv[0]);
    close(f->sv[1]);
    guest_mem_free(f->gm);
    g_free(f->buf);
    g_free(f);
}

/* Descriptors for segs, linked, made available; returns the head. */
static uint16_t add_chain(struct fake *f, const struct seg *segs, unsigned n)
{
    uint16_t head = f->next_desc;

    for (unsigned i = 0; i < n; i++) {
        uint16_t idx = (uint16_t)((head + i) % f->q.size);
        uint16_t flags = (segs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
                         (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);

        vring_desc_put(f->buf + DESC_GPA, idx, segs[i].gpa, segs[i].len, flags,
                       (uint16_t)((idx + 1) % f->q.size));
    }
    f->next_desc = (uint16_t)((head + n) % f->q.size);
    le_put16(f->buf + AVAIL_GPA + 4 + 2 * (f->avail_idx % f->q.size), head);
    le_put16(f->buf + AVAIL_GPA + 2, ++f->avail_idx);
    return head;
}

static uint16_t add_buffer(struct fake *f, uint64_t gpa, uint32_t len)
{
    struct seg s = { gpa, len, true };

    return add_chain(f, &s, 1);
}

static uint16_t used_idx(const struct fake *f)
{
    return le_get16(f->buf + USED_GPA + 2);
}

static uint32_t used_id(const struct fake *f, unsigned i)
{
    return le_get32(f->buf + USED_GPA + 4 + 8 * (i % f->q.size));
}

static uint32_t used_len(const struct fake *f, unsigned i)
{
    return le_get32(f->buf + USED_GPA + 8 + 8 * (i % f->q.size));
}

static void fill(uint8_t *p, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 31 + seed);
}

static enum virtio_net_io run_tx(struct fake *f)
{
    const char *reason = NULL;
    enum virtio_net_io r = virtio_net_tx(&f->port, &f->q, f->gm, 64, &reason);

    ck_assert_msg(r != VIRTIO_NET_IO_BROKEN, "broken: %s", reason);
    return r;
}

static enum virtio_net_io run_rx(struct fake *f)
{
    const char *reason = NULL;
    enum virtio_net_io r = virtio_net_rx(&f->port, &f->q, f->gm, 64, &reason);

    ck_assert_msg(r != VIRTIO_NET_IO_BROKEN, "broken: %s", reason);
    return r;
}

/* What the network side received next; -1 when nothing. */
static ssize_t net_recv(struct fake *f, uint8_t *buf, size_t len)
{
    return recv(f->sv[1], buf, len, MSG_DONTWAIT);
}

static void net_send(struct fake *f, const uint8_t *frame, size_t len)
{
    ck_assert_int_eq(send(f->sv[1], frame, len, 0), (ssize_t)len);
}

static bool tap_readable(struct fake *f)
{
    struct pollfd p = { .fd = f->sv[0], .events = POLLIN };

    return poll(&p, 1, 0) == 1;
}

/* A frame as the tap hands it out: header (flags, num_buffers garbage) and len bytes. */
static uint8_t *tap_frame(size_t len, uint8_t flags, unsigned seed)
{
    uint8_t *b = g_malloc(HDR + len);

    memset(b, 0, HDR);
    b[0] = flags;
    b[10] = b[11] = 0xff;
    fill(b + HDR, len, seed);
    return b;
}

/* ---- transmit ---- */

START_TEST(tx_frame_with_header)
{
    struct fake *f = fake_new(16, true, false);
    struct seg s[2] = { { DATA_GPA, HDR, false }, { DATA_GPA + 0x100, 100, false } };
    uint8_t got[256];
    uint16_t head;

    fill(f->buf + DATA_GPA, HDR, 1);
    fill(f->buf + DATA_GPA + 0x100, 100, 2);
    head = add_chain(f, s, 2);
    ck_assert_int_eq(run_tx(f), VIRTIO_NET_IO_IDLE);
    ck_assert_int_eq(net_recv(f, got, sizeof(got)), HDR + 100);
    ck_assert_mem_eq(got, f->buf + DATA_GPA, HDR);
    ck_assert_mem_eq(got + HDR, f->buf + DATA_GPA + 0x100, 100);
    ck_assert_uint_eq(used_idx(f), 1);
    ck_assert_uint_eq(used_id(f, 0), head);
    ck_assert_uint_eq(used_len(f, 0), 0);
    ck_assert_uint_eq(f->stats.tx_frames, 1);
    ck_assert_uint_eq(f->stats.tx_bytes, 100);
    ck_assert_uint_eq(f->stats.tx_dropped, 0);
    fake_free(f);
}
END_TEST

START_TEST(tx_strips_header_without_vnet_hdr)
{
    struct fake *f = fake_new(16, false, false);
    /* The header split 5 + 7, the frame over two more descriptors. */
    struct seg s[4] = { { DATA_GPA, 5, false }, { DATA_GPA + 5, 7, false },
                        { DATA_GPA + 0x100, 60, false }, { DATA_GPA + 0x200, 40, false } };
    uint8_t got[256];

    fill(f->buf + DATA_GPA + 0x100, 60, 3);
    fill(f->buf + DATA_GPA + 0x200, 40, 4);
    add_chain(f, s, 4);
    ck_assert_int_eq(run_tx(f), VIRTIO_NET_IO_IDLE);
    ck_assert_int_eq(net_recv(f, got, sizeof(got)), 100);
    ck_assert_mem_eq(got, f->buf + DATA_GPA + 0x100, 60);
    ck_assert_mem_eq(got + 60, f->buf + DATA_GPA + 0x200, 40);
    fake_free(f);
}
END_TEST

START_TEST(tx_malformed_dropped)
{
    struct fake *f = fake_new(16, true, false);
    struct seg too_short = { DATA_GPA, HDR - 1, false };
    struct seg no_ethernet = { DATA_GPA, HDR + 13, false };
    struct seg only_in = { DATA_GPA, 100, true };
    struct seg oversized = { BIG_GPA, HDR + VIRTIO_NET_MAX_FRAME + 1, false };
    struct seg good = { DATA_GPA, HDR + 14, false };
    uint8_t got[128];

    add_chain(f, &too_short, 1);
    add_chain(f, &no_ethernet, 1);
    add_chain(f, &only_in, 1);
    add_chain(f, &oversized, 1);
    ck_assert_int_eq(run_tx(f), VIRTIO_NET_IO_IDLE);
    ck_assert_int_eq(net_recv(f, got, sizeof(got)), -1);
    /* Every one given back, none sent, all counted. */
    ck_assert_uint_eq(used_idx(f), 4);
    ck_assert_uint_eq(f->stats.tx_dropped, 4);
    ck_assert_uint_eq(f->stats.tx_frames, 0);
    /* The queue still works, and a frame of the largest size goes. */
    add_chain(f, &good, 1);
    oversized.len--;
    add_chain(f, &oversized, 1);
    ck_assert_int_eq(run_tx(f), VIRTIO_NET_IO_IDLE);
    ck_assert_int_eq(net_recv(f, got, sizeof(got)), HDR + 14);
    ck_assert_int_eq(recv(f->sv[1], got, 1, MSG_DONTWAIT | MSG_TRUNC), HDR + VIRTIO_NET_MAX_FRAME);
    ck_assert_uint_eq(f->stats.tx_frames, 2);
    ck_assert_uint_eq(used_idx(f), 6);
    fake_free(f);
}
END_TEST

START_TEST(tx_waits_for_full_tap)
{
    struct fake *f = fake_new(64, true, false);
    unsigned sent = 0;
    uint8_t got[128];

    for (unsigned i = 0; i < 60; i++) {
        struct seg s = { DATA_GPA + 0x100 * i, HDR + 20, false };

        fill(f->buf + s.gpa, s.len, i);
        f->buf[s.gpa + HDR] = (uint8_t)i;
        add_chain(f, &s, 1);
    }
    /* A small send buffer takes a few datagrams only, then EAGAIN: a full tap. */
    ck_assert_int_eq(setsockopt(f->sv[0], SOL_SOCKET, SO_SNDBUF, &(int){ 1 }, sizeof(int)), 0);
    ck_assert_int_eq(run_tx(f), VIRTIO_NET_IO_WAIT_TAP);
    ck_assert_uint_gt(used_idx(f), 0);
    ck_assert_uint_lt(used_idx(f), 60);
    ck_assert_uint_eq(f->q.last_avail, used_idx(f));     /* the refused chain stays */
    while (sent < 60) {
        ssize_t n;

        while ((n = net_recv(f, got, sizeof(got))) > 0) {
            ck_assert_int_eq(n, HDR + 20);
            ck_assert_uint_eq(got[HDR], sent);          /* in order, none lost */
            sent++;
        }
        if (sent < 60)
            run_tx(f);
    }
    ck_assert_uint_eq(used_idx(f), 60);
    ck_assert_uint_eq(f->stats.tx_frames, 60);
    ck_assert_uint_eq(f->stats.tx_dropped, 0);
    fake_free(f);
}
END_TEST

/* ---- receive ---- */

START_TEST(rx_one_buffer)
{
    struct fake *f = fake_new(16, true, false);
    g_autofree uint8_t *frame = tap_frame(200, VIRTIO_NET_HDR_F_DATA_VALID, 5);
    uint8_t *b = f->buf + DATA_GPA;
    uint16_t head;

    net_send(f, frame, HDR + 200);
    head = add_buffer(f, DATA_GPA, 2048);
    /* The one buffer taken: next it waits for the guest, not the tap. */
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_GUEST);
    ck_assert_uint_eq(used_idx(f), 1);
    ck_assert_uint_eq(used_id(f, 0), head);
    ck_assert_uint_eq(used_len(f, 0), HDR + 200);
    ck_assert_uint_eq(b[0], 0);                 /* no GUEST_CSUM: no DATA_VALID */
    ck_assert_uint_eq(le_get16(b + 10), 1);        /* num_buffers */
    ck_assert_mem_eq(b + HDR, frame + HDR, 200);
    ck_assert_uint_eq(f->stats.rx_frames, 1);
    ck_assert_uint_eq(f->stats.rx_bytes, 200);

    /* With GUEST_CSUM the flags pass. */
    f->port.guest_csum = true;
    net_send(f, frame, HDR + 200);
    add_buffer(f, DATA_GPA + 0x1000, 2048);
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_GUEST);
    ck_assert_uint_eq(f->buf[DATA_GPA + 0x1000], VIRTIO_NET_HDR_F_DATA_VALID);
    fake_free(f);
}
END_TEST

START_TEST(rx_adds_header_without_vnet_hdr)
{
    struct fake *f = fake_new(16, false, true);
    uint8_t frame[200];
    uint8_t zero[10] = { 0 };
    uint8_t *b = f->buf + DATA_GPA;

    fill(frame, sizeof(frame), 6);
    memset(b, 0xaa, 64);
    net_send(f, frame, sizeof(frame));
    /* The header over two descriptors. */
    add_chain(f, (struct seg[]){ { DATA_GPA, 4, true }, { DATA_GPA + 4, 2000, true } }, 2);
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_GUEST);
    ck_assert_uint_eq(used_len(f, 0), HDR + 200);
    ck_assert_mem_eq(b, zero, 10);
    ck_assert_uint_eq(le_get16(b + 10), 1);
    ck_assert_mem_eq(b + HDR, frame, 200);
    fake_free(f);
}
END_TEST

START_TEST(rx_waits_for_buffers)
{
    struct fake *f = fake_new(16, true, false);
    g_autofree uint8_t *frame = tap_frame(100, 0, 7);

    /* No buffer: the frame stays in the tap. */
    net_send(f, frame, HDR + 100);
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_GUEST);
    ck_assert(tap_readable(f));
    ck_assert_uint_eq(used_idx(f), 0);
    add_buffer(f, DATA_GPA, 2048);
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_GUEST);
    ck_assert_uint_eq(used_len(f, 0), HDR + 100);
    ck_assert(!tap_readable(f));
    fake_free(f);
}
END_TEST

START_TEST(rx_empty_tap_keeps_buffer)
{
    struct fake *f = fake_new(16, true, false);
    g_autofree uint8_t *frame = tap_frame(100, 0, 8);
    uint16_t head = add_buffer(f, DATA_GPA, 2048);

    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_TAP);
    ck_assert_uint_eq(used_idx(f), 0);
    ck_assert_uint_eq(f->q.last_avail, 0);
    net_send(f, frame, HDR + 100);
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_GUEST);
    ck_assert_uint_eq(used_idx(f), 1);
    ck_assert_uint_eq(used_id(f, 0), head);
    fake_free(f);
}
END_TEST

/* The three 1024-byte buffers at DATA_GPA + 0x1000 * i, read back in order. */
static void check_spread(struct fake *f, unsigned first_used, const uint8_t *frame, size_t total)
{
    static const uint32_t lens[] = { 1024, 1024, 3012 - 2048 };
    g_autofree uint8_t *joined = g_malloc(total);
    size_t off = 0;

    ck_assert_uint_eq(total, 3012);
    for (unsigned i = 0; i < 3; i++) {
        uint32_t id = used_id(f, first_used + i);

        ck_assert_uint_eq(used_len(f, first_used + i), lens[i]);
        memcpy(joined + off, f->buf + DATA_GPA + 0x1000 * id, lens[i]);
        off += lens[i];
    }
    ck_assert_uint_eq(le_get16(joined + 10), 3);
    ck_assert_mem_eq(joined + HDR, frame + HDR, total - HDR);
}

START_TEST(rx_mergeable_buffers)
{
    struct fake *f = fake_new(16, true, true);
    g_autofree uint8_t *frame = tap_frame(3000, 0, 9);

    for (unsigned i = 0; i < 4; i++)
        add_buffer(f, DATA_GPA + 0x1000 * i, 1024);
    net_send(f, frame, HDR + 3000);
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_TAP);
    ck_assert_uint_eq(used_idx(f), 3);
    check_spread(f, 0, frame, HDR + 3000);
    ck_assert_uint_eq(f->q.last_avail, 3);              /* the fourth is left */
    ck_assert_uint_eq(f->stats.rx_frames, 1);
    ck_assert_uint_eq(f->stats.rx_bytes, 3000);
    fake_free(f);
}
END_TEST

START_TEST(rx_mergeable_waits_for_more)
{
    struct fake *f = fake_new(16, true, true);
    g_autofree uint8_t *frame = tap_frame(3000, 0, 10);
    g_autofree uint8_t *second = tap_frame(50, 0, 11);

    add_buffer(f, DATA_GPA, 1024);
    add_buffer(f, DATA_GPA + 0x1000, 1024);
    net_send(f, frame, HDR + 3000);
    net_send(f, second, HDR + 50);
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_GUEST);
    ck_assert_uint_eq(used_idx(f), 0);          /* nothing half-delivered */
    ck_assert_uint_eq(f->q.last_avail, 0);
    /* Scribbled over by the guest meanwhile: the device must not rely on it. */
    memset(f->buf + DATA_GPA, 0x55, 1024);
    add_buffer(f, DATA_GPA + 0x2000, 1024);
    add_buffer(f, DATA_GPA + 0x3000, 1024);
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_GUEST);
    ck_assert_uint_eq(used_idx(f), 4);
    check_spread(f, 0, frame, HDR + 3000);
    /* And the frame behind it, in the fourth buffer. */
    ck_assert_uint_eq(used_len(f, 3), HDR + 50);
    ck_assert_mem_eq(f->buf + DATA_GPA + 0x3000 + HDR, second + HDR, 50);
    ck_assert_uint_eq(f->stats.rx_frames, 2);
    ck_assert_uint_eq(f->stats.rx_dropped, 0);
    fake_free(f);
}
END_TEST

START_TEST(rx_frame_too_big_dropped)
{
    struct fake *f = fake_new(16, true, false);
    g_autofree uint8_t *big = tap_frame(1000, 0, 12);
    g_autofree uint8_t *small = tap_frame(100, 0, 13);
    uint16_t head = add_buffer(f, DATA_GPA, 512);

    net_send(f, big, HDR + 1000);
    net_send(f, small, HDR + 100);
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_GUEST);
    ck_assert_uint_eq(f->stats.rx_dropped, 1);
    ck_assert_uint_eq(used_idx(f), 1);          /* the buffer took the small frame */
    ck_assert_uint_eq(used_id(f, 0), head);
    ck_assert_uint_eq(used_len(f, 0), HDR + 100);
    ck_assert_mem_eq(f->buf + DATA_GPA + HDR, small + HDR, 100);

    /* Mergeable, but the whole ring could never hold it. */
    fake_free(f);
    f = fake_new(4, true, true);
    for (unsigned i = 0; i < 4; i++)
        add_buffer(f, DATA_GPA + 0x1000 * i, 64);
    net_send(f, big, HDR + 1000);
    net_send(f, small, HDR + 50);
    ck_assert_int_eq(run_rx(f), VIRTIO_NET_IO_WAIT_TAP);
    ck_assert_uint_eq(f->stats.rx_dropped, 1);
    ck_assert_uint_eq(used_idx(f), 1);
    ck_assert_uint_eq(used_len(f, 0), HDR + 50);
    fake_free(f);
}
END_TEST

START_TEST(rx_hostile_buffers)
{
    struct fake *f = fake_new(16, true, true);
    g_autofree uint8_t *frame = tap_frame(3000, 0, 14);
    const char *reason = NULL;

    /* A first buffer that cannot hold the header breaks the queue. */
    add_buffer(f, DATA_GPA, HDR - 1);
    ck_assert_int_eq(virtio_net_rx(&f->port, &f->q, f->gm, 64, &reason), VIRTIO_NET_IO_BROKEN);
    ck_assert_ptr_nonnull(strstr(reason, "header"));
    fake_free(f);

    /* A later buffer with nothing writable, too. */
    f = fake_new(16, true, true);
    add_buffer(f, DATA_GPA, 1024);
    add_chain(f, &(struct seg){ DATA_GPA + 0x1000, 1024, false }, 1);
    net_send(f, frame, HDR + 3000);
    ck_assert_int_eq(virtio_net_rx(&f->port, &f->q, f->gm, 64, &reason), VIRTIO_NET_IO_BROKEN);
    ck_assert_ptr_nonnull(strstr(reason, "writable"));
    fake_free(f);

    /* A buffer outside guest RAM: the queue code refuses it. */
    f = fake_new(16, true, false);
    add_buffer(f, MEM_SIZE - 100, 2048);
    net_send(f, frame, HDR + 100);
    ck_assert_int_eq(virtio_net_rx(&f->port, &f->q, f->gm, 64, &reason), VIRTIO_NET_IO_BROKEN);
    ck_assert_ptr_nonnull(reason);
    ck_assert_uint_eq(used_idx(f), 0);
    fake_free(f);
}
END_TEST

/* ---- control queue ---- */

struct ctrl {
    uint8_t out[8];
    uint8_t ack[2];
    struct virtq_chain c;
};

/* Command bytes in one readable segment (or split after the class), the ack
 * in the last of two writable ones. */
static void ctrl_build(struct ctrl *t, const uint8_t *cmd, uint32_t len, bool split)
{
    memset(t, 0, sizeof(*t));
    memcpy(t->out, cmd, len);
    t->ack[0] = t->ack[1] = 0xee;
    if (split && len > 1) {
        t->c.seg[0] = (struct virtq_seg){ t->out, 1, false };
        t->c.seg[1] = (struct virtq_seg){ t->out + 1, len - 1, false };
        t->c.n_out = 2;
    } else {
        t->c.seg[0] = (struct virtq_seg){ t->out, len, false };
        t->c.n_out = 1;
    }
    t->c.out_bytes = len;
    t->c.seg[t->c.n_out] = (struct virtq_seg){ &t->ack[0], 1, true };
    t->c.seg[t->c.n_out + 1] = (struct virtq_seg){ &t->ack[1], 1, true };
    t->c.n_in = 2;
    t->c.in_bytes = 2;
}

static uint8_t ctrl_run(const uint8_t *cmd, uint32_t len, bool split, bool mq, unsigned *pairs)
{
    struct ctrl t;
    const char *reason = NULL;
    uint32_t written = 99;

    ctrl_build(&t, cmd, len, split);
    ck_assert_int_eq(virtio_net_ctrl(&t.c, mq, 4, pairs, &written, &reason), 0);
    ck_assert_uint_eq(written, 1);
    ck_assert_uint_eq(t.ack[0], 0xee);          /* the ack is the last writable byte */
    return t.ack[1];
}

START_TEST(ctrl_commands)
{
    static const uint8_t pairs2[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0 };
    static const uint8_t pairs0[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0, 0 };
    static const uint8_t pairs5[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 5, 0 };
    static const uint8_t pairs_big[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
                                         2, 1 };
    static const uint8_t pairs_short[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2 };
    static const uint8_t promisc[] = { VIRTIO_NET_CTRL_RX, 0, 1 };
    static const uint8_t nobcast[] = { VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST, 0 };
    static const uint8_t rx_bad[] = { VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST + 1, 0 };
    static const uint8_t rx_no_data[] = { VIRTIO_NET_CTRL_RX, 0 };
    static const uint8_t mac_set[] = { VIRTIO_NET_CTRL_MAC, 1, 0x52, 0x54, 0, 1, 2, 3 };
    static const uint8_t unknown[] = { 200, 7 };
    unsigned pairs = 1;

    ck_assert_uint_eq(ctrl_run(pairs2, 4, false, true, &pairs), VIRTIO_NET_OK);
    ck_assert_uint_eq(pairs, 2);
    ck_assert_uint_eq(ctrl_run(pairs2, 4, true, false, &pairs), VIRTIO_NET_ERR);  /* no MQ */
    ck_assert_uint_eq(ctrl_run(pairs0, 4, false, true, &pairs), VIRTIO_NET_ERR);
    ck_assert_uint_eq(ctrl_run(pairs5, 4, false, true, &pairs), VIRTIO_NET_ERR);
    ck_assert_uint_eq(ctrl_run(pairs_big, 4, false, true, &pairs), VIRTIO_NET_ERR);
    ck_assert_uint_eq(ctrl_run(pairs_short, 3, false, true, &pairs), VIRTIO_NET_ERR);
    ck_assert_uint_eq(pairs, 2);
    pairs = 1;
    ck_assert_uint_eq(ctrl_run(pairs2, 4, true, true, &pairs), VIRTIO_NET_OK);   /* split */
    ck_assert_uint_eq(pairs, 2);
    ck_assert_uint_eq(ctrl_run(promisc, 3, false, true, &pairs), VIRTIO_NET_OK);
    ck_assert_uint_eq(ctrl_run(nobcast, 3, true, true, &pairs), VIRTIO_NET_OK);
    ck_assert_uint_eq(ctrl_run(rx_bad, 3, false, true, &pairs), VIRTIO_NET_ERR);
    ck_assert_uint_eq(ctrl_run(rx_no_data, 2, false, true, &pairs), VIRTIO_NET_ERR);
    ck_assert_uint_eq(ctrl_run(mac_set, 8, false, true, &pairs), VIRTIO_NET_ERR);
    ck_assert_uint_eq(ctrl_run(unknown, 2, false, true, &pairs), VIRTIO_NET_ERR);
    ck_assert_uint_eq(ctrl_run(unknown, 1, false, true, &pairs), VIRTIO_NET_ERR);
    ck_assert_uint_eq(pairs, 2);
}
END_TEST

START_TEST(ctrl_without_ack_byte)
{
    static const uint8_t pairs2[] = { VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0 };
    struct ctrl t;
    const char *reason = NULL;
    unsigned pairs = 1;
    uint32_t written;

    ctrl_build(&t, pairs2, 4, false);
    t.c.n_in = 0;
    t.c.in_bytes = 0;
    ck_assert_int_eq(virtio_net_ctrl(&t.c, true, 4, &pairs, &written, &reason), -1);
    ck_assert_ptr_nonnull(reason);
    ck_assert_uint_eq(pairs, 1);
}
END_TEST

#include "test-virtio-net-device.inc"

static Suite *virtio_net_suite(void)
{
    Suite *s = suite_create("virtio-net");
    TCase *tx = tcase_create("tx");
    TCase *rx = tcase_create("rx");
    TCase *ctrl = tcase_create("ctrl");
    TCase *dev = tcase_create("device");

    tcase_add_test(tx, tx_frame_with_header);
    tcase_add_test(tx, tx_strips_header_without_vnet_hdr);
    tcase_add_test(tx, tx_malformed_dropped);
    tcase_add_test(tx, tx_waits_for_full_tap);
    suite_add_tcase(s, tx);
    tcase_add_test(rx, rx_one_buffer);
    tcase_add_test(rx, rx_adds_header_without_vnet_hdr);
    tcase_add_test(rx, rx_waits_for_buffers);
    tcase_add_test(rx, rx_empty_tap_keeps_buffer);
    tcase_add_test(rx, rx_mergeable_buffers);
    tcase_add_test(rx, rx_mergeable_waits_for_more);
    tcase_add_test(rx, rx_frame_too_big_dropped);
    tcase_add_test(rx, rx_hostile_buffers);
    suite_add_tcase(s, rx);
    tcase_add_test(ctrl, ctrl_commands);
    tcase_add_test(ctrl, ctrl_without_ack_byte);
    suite_add_tcase(s, ctrl);
    tcase_set_timeout(dev, 30);
    tcase_add_test(dev, device_single_pair);
    tcase_add_test(dev, device_multiqueue);
    tcase_add_test(dev, device_refused);
    suite_add_tcase(s, dev);
    return s;
}

int main(void)
{
    return test_run_suite(virtio_net_suite());
}
