/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-console's queue work on a fake guest memory, with a pipe as the
 * host side. The tests play the guest driver and lay out the rings byte by
 * byte (virtio 1.x, 2.7): transmit chains reach the pipe in order and come
 * back with used length 0; a full pipe drops and counts instead of blocking;
 * --console null discards; host input fills receive buffers across chains and
 * stops, taking less, when they run out; a device-writable transmit
 * descriptor, a device-readable receive descriptor and a bad ring all fail.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "devices/virtio-console.h"

#include "testutil.h"
#include "vring-bytes.h"

#define MEM_SIZE (1u << 20)
#define QSIZE 8
#define DESC_GPA 0x1000u
#define AVAIL_GPA 0x2000u
#define USED_GPA 0x3000u
#define DATA_GPA 0x80000u

struct fake {
    uint8_t *buf;
    guest_mem *gm;
    struct virtq q;
    uint16_t avail_idx;
    int pipe[2];
    struct virtio_console_port *port;
};

/* A descriptor: le64 addr, le32 len, le16 flags, le16 next. */
static void desc(struct fake *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    vring_desc_put(f->buf + DESC_GPA, i, addr, len, flags, next);
}

static void avail_add(struct fake *f, uint16_t head)
{
    le_put16(f->buf + AVAIL_GPA + 4 + 2 * (f->avail_idx % QSIZE), head);
    le_put16(f->buf + AVAIL_GPA + 2, ++f->avail_idx);
}

static uint16_t used_idx(struct fake *f)
{
    return le_get16(f->buf + USED_GPA + 2);
}

/* The used element i: id and len. */
static uint32_t used_id(struct fake *f, unsigned i)
{
    return le_get32(f->buf + USED_GPA + 4 + 8 * (i % QSIZE));
}

static uint32_t used_len(struct fake *f, unsigned i)
{
    return le_get32(f->buf + USED_GPA + 4 + 8 * (i % QSIZE) + 4);
}

static struct fake *fake_new(void)
{
    struct fake *f = g_new0(struct fake, 1);

    f->buf = g_malloc0(MEM_SIZE);
    f->gm = guest_mem_new_from_buffer(f->buf, MEM_SIZE);
    f->q.size = QSIZE;
    f->q.desc_gpa = DESC_GPA;
    f->q.avail_gpa = AVAIL_GPA;
    f->q.used_gpa = USED_GPA;
    ck_assert_int_eq(virtq_start(&f->q, f->gm, NULL), 0);
    ck_assert_int_eq(pipe2(f->pipe, O_NONBLOCK | O_CLOEXEC), 0);
    f->port = g_new0(struct virtio_console_port, 1);
    f->port->out_fd = f->pipe[1];
    f->port->name = "console0";
    return f;
}

static void fake_free(struct fake *f)
{
    close(f->pipe[0]);
    close(f->pipe[1]);
    g_free(f->port);
    guest_mem_free(f->gm);
    g_free(f->buf);
    g_free(f);
}

/* Everything in the pipe now. */
static size_t drain(struct fake *f, uint8_t *dst, size_t cap)
{
    size_t n = 0;
    ssize_t r;

    while (n < cap && (r = read(f->pipe[0], dst + n, cap - n)) > 0)
        n += (size_t)r;
    return n;
}

static int transmit(struct fake *f, const char **reason)
{
    return virtio_console_transmit(f->port, &f->q, f->gm, reason);
}

static ssize_t receive(struct fake *f, const char *s, size_t len, unsigned *pushed,
                       const char **reason)
{
    return virtio_console_receive(f->port, &f->q, f->gm, (const uint8_t *)s, len, pushed,
                                  reason);
}

START_TEST(transmit_in_order)
{
    struct fake *f = fake_new();
    const char *reason = NULL;
    uint8_t out[64];

    memcpy(f->buf + DATA_GPA, "hello ", 6);
    memcpy(f->buf + DATA_GPA + 0x100, "wor", 3);
    memcpy(f->buf + DATA_GPA + 0x200, "ld\n", 3);
    desc(f, 2, DATA_GPA, 6, 0, 0);
    desc(f, 5, DATA_GPA + 0x100, 3, VIRTQ_DESC_F_NEXT, 6);   /* two segments */
    desc(f, 6, DATA_GPA + 0x200, 3, 0, 0);
    avail_add(f, 2);
    avail_add(f, 5);

    ck_assert_int_eq(transmit(f, &reason), 2);
    ck_assert_uint_eq(drain(f, out, sizeof(out)), 12);
    ck_assert(!memcmp(out, "hello world\n", 12));
    ck_assert_uint_eq(used_idx(f), 2);
    ck_assert_uint_eq(used_id(f, 0), 2);
    ck_assert_uint_eq(used_len(f, 0), 0);    /* the device wrote nothing */
    ck_assert_uint_eq(used_id(f, 1), 5);
    ck_assert_uint_eq(used_len(f, 1), 0);
    ck_assert_uint_eq(f->port->tx_dropped, 0);
    /* Nothing more: nothing done, nothing written. */
    ck_assert_int_eq(transmit(f, &reason), 0);
    ck_assert_uint_eq(drain(f, out, sizeof(out)), 0);
    fake_free(f);
}
END_TEST

START_TEST(transmit_null_discards)
{
    struct fake *f = fake_new();
    const char *reason = NULL;
    uint8_t out[16];

    f->port->out_fd = -1;
    desc(f, 0, DATA_GPA, 100, 0, 0);
    avail_add(f, 0);
    ck_assert_int_eq(transmit(f, &reason), 1);
    ck_assert_uint_eq(used_idx(f), 1);
    ck_assert_uint_eq(f->port->tx_dropped, 0);   /* discarding is not dropping */
    ck_assert_uint_eq(drain(f, out, sizeof(out)), 0);
    fake_free(f);
}
END_TEST

START_TEST(transmit_full_pipe_drops)
{
    struct fake *f = fake_new();
    const char *reason = NULL;
    static uint8_t junk[1 << 16];
    static uint8_t out[1 << 20];
    size_t filled = 0;
    ssize_t n;

    /* Nobody reads: fill the pipe until it refuses. */
    while ((n = write(f->pipe[1], junk, sizeof(junk))) > 0)
        filled += (size_t)n;
    ck_assert_int_eq(errno, EAGAIN);

    memset(f->buf + DATA_GPA, 'x', 300);
    desc(f, 0, DATA_GPA, 300, 0, 0);
    avail_add(f, 0);
    /* Returned to the guest at once, without blocking, and counted. */
    ck_assert_int_eq(transmit(f, &reason), 1);
    ck_assert_uint_eq(used_idx(f), 1);
    ck_assert_uint_eq(f->port->tx_dropped, 300);
    ck_assert(f->port->tx_drop_logged);
    ck_assert_uint_eq(drain(f, out, sizeof(out)), filled);

    /* The reader caught up: the next chain goes through whole. */
    memcpy(f->buf + DATA_GPA, "after\n", 6);
    desc(f, 1, DATA_GPA, 6, 0, 0);
    avail_add(f, 1);
    ck_assert_int_eq(transmit(f, &reason), 1);
    ck_assert_uint_eq(drain(f, out, sizeof(out)), 6);
    ck_assert(!memcmp(out, "after\n", 6));
    ck_assert_uint_eq(f->port->tx_dropped, 300);
    fake_free(f);
}
END_TEST

START_TEST(transmit_writable_descriptor)
{
    struct fake *f = fake_new();
    const char *reason = NULL;
    uint8_t out[16];

    desc(f, 0, DATA_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
    desc(f, 1, DATA_GPA + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
    avail_add(f, 0);
    ck_assert_int_eq(transmit(f, &reason), -1);
    ck_assert_ptr_nonnull(reason);
    ck_assert(strstr(reason, "device-writable"));
    ck_assert_uint_eq(used_idx(f), 0);
    ck_assert_uint_eq(drain(f, out, sizeof(out)), 0);   /* nothing of it went out */
    fake_free(f);
}
END_TEST

START_TEST(transmit_bad_ring)
{
    struct fake *f = fake_new();
    const char *reason = NULL;

    /* The available index runs more than the queue size ahead. */
    le_put16(f->buf + AVAIL_GPA + 2, QSIZE + 1);
    ck_assert_int_eq(transmit(f, &reason), -1);
    ck_assert_ptr_nonnull(reason);
    ck_assert(f->q.broken);
    fake_free(f);
}
END_TEST

START_TEST(receive_across_chains)
{
    struct fake *f = fake_new();
    const char *reason = NULL;
    unsigned pushed = 99;

    memset(f->buf + DATA_GPA, '.', 0x400);
    desc(f, 0, DATA_GPA, 4, VIRTQ_DESC_F_WRITE, 0);
    desc(f, 3, DATA_GPA + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
    avail_add(f, 0);
    avail_add(f, 3);

    /* 10 bytes, 8 bytes of buffers: 8 taken, the rest stays with the caller. */
    ck_assert_int_eq(receive(f, "0123456789", 10, &pushed, &reason), 8);
    ck_assert_uint_eq(pushed, 2);
    ck_assert(!memcmp(f->buf + DATA_GPA, "0123.", 5));
    ck_assert(!memcmp(f->buf + DATA_GPA + 0x100, "4567.", 5));
    ck_assert_uint_eq(used_idx(f), 2);
    ck_assert_uint_eq(used_id(f, 0), 0);
    ck_assert_uint_eq(used_len(f, 0), 4);
    ck_assert_uint_eq(used_id(f, 1), 3);
    ck_assert_uint_eq(used_len(f, 1), 4);

    /* No buffers: nothing taken, nothing pushed. */
    ck_assert_int_eq(receive(f, "89", 2, &pushed, &reason), 0);
    ck_assert_uint_eq(pushed, 0);
    ck_assert_uint_eq(used_idx(f), 2);

    /* A two-segment buffer larger than the rest: partly filled, used length 2. */
    desc(f, 5, DATA_GPA + 0x200, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 6);
    desc(f, 6, DATA_GPA + 0x300, 8, VIRTQ_DESC_F_WRITE, 0);
    avail_add(f, 5);
    ck_assert_int_eq(receive(f, "89", 2, &pushed, &reason), 2);
    ck_assert_uint_eq(pushed, 1);
    ck_assert(!memcmp(f->buf + DATA_GPA + 0x200, "8.", 2));
    ck_assert(!memcmp(f->buf + DATA_GPA + 0x300, "9.", 2));
    ck_assert_uint_eq(used_idx(f), 3);
    ck_assert_uint_eq(used_id(f, 2), 5);
    ck_assert_uint_eq(used_len(f, 2), 2);
    fake_free(f);
}
END_TEST

START_TEST(receive_nothing_pops_nothing)
{
    struct fake *f = fake_new();
    const char *reason = NULL;
    unsigned pushed = 99;

    desc(f, 0, DATA_GPA, 4, VIRTQ_DESC_F_WRITE, 0);
    avail_add(f, 0);
    ck_assert_int_eq(receive(f, "", 0, &pushed, &reason), 0);
    ck_assert_uint_eq(pushed, 0);
    ck_assert_uint_eq(used_idx(f), 0);
    /* The buffer is still there for the next byte. */
    ck_assert_int_eq(receive(f, "z", 1, &pushed, &reason), 1);
    ck_assert_uint_eq(used_len(f, 0), 1);
    ck_assert_uint_eq(f->buf[DATA_GPA], 'z');
    fake_free(f);
}
END_TEST

START_TEST(receive_readable_descriptor)
{
    struct fake *f = fake_new();
    const char *reason = NULL;
    unsigned pushed = 99;

    memcpy(f->buf + DATA_GPA, "keep", 4);
    desc(f, 0, DATA_GPA, 4, 0, 0);
    avail_add(f, 0);
    ck_assert_int_eq(receive(f, "abcd", 4, &pushed, &reason), -1);
    ck_assert_ptr_nonnull(reason);
    ck_assert(strstr(reason, "device-readable"));
    ck_assert_uint_eq(used_idx(f), 0);
    ck_assert(!memcmp(f->buf + DATA_GPA, "keep", 4));   /* not written into */
    fake_free(f);
}
END_TEST

START_TEST(receive_outside_ram)
{
    struct fake *f = fake_new();
    const char *reason = NULL;
    unsigned pushed = 99;

    desc(f, 0, MEM_SIZE - 2, 4, VIRTQ_DESC_F_WRITE, 0);   /* runs off the end of RAM */
    avail_add(f, 0);
    ck_assert_int_eq(receive(f, "abcd", 4, &pushed, &reason), -1);
    ck_assert_ptr_nonnull(reason);
    ck_assert(f->q.broken);
    ck_assert_uint_eq(used_idx(f), 0);
    fake_free(f);
}
END_TEST

static Suite *console_suite(void)
{
    Suite *s = suite_create("virtio-console");
    TCase *tc = tcase_create("queues");

    tcase_add_test(tc, transmit_in_order);
    tcase_add_test(tc, transmit_null_discards);
    tcase_add_test(tc, transmit_full_pipe_drops);
    tcase_add_test(tc, transmit_writable_descriptor);
    tcase_add_test(tc, transmit_bad_ring);
    tcase_add_test(tc, receive_across_chains);
    tcase_add_test(tc, receive_nothing_pops_nothing);
    tcase_add_test(tc, receive_readable_descriptor);
    tcase_add_test(tc, receive_outside_ram);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(console_suite());
}
