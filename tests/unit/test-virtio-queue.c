/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Split virtqueues on a fake guest memory. The tests play the guest driver:
 * they lay out rings and descriptors byte by byte (little-endian, offsets from
 * the virtio 1.x spec, section 2.7) rather than through the code under test.
 */
#include <check.h>
#include <glib.h>
#include <string.h>

#include "devices/virtio-queue.h"

#include "testutil.h"
#include "vring-bytes.h"

#define MEM_SIZE (1u << 20)
#define DESC_GPA 0x1000u
#define AVAIL_GPA 0x40000u
#define USED_GPA 0x50000u
#define DATA_GPA 0x80000u

struct fake {
    uint8_t *buf;
    guest_mem *gm;
    struct virtq q;
    uint16_t avail_idx;
    struct virtq_chain chain;
};

/* A descriptor at table + 16 * i: le64 addr, le32 len, le16 flags, le16 next. */
static void desc_at(struct fake *f, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                    uint16_t flags, uint16_t next)
{
    vring_desc_put(f->buf + table, i, addr, len, flags, next);
}

static void desc(struct fake *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    desc_at(f, DESC_GPA, i, addr, len, flags, next);
}

/* The driver's side of "make available": ring entry, then idx. */
static void avail_add(struct fake *f, uint16_t head)
{
    le_put16(f->buf + AVAIL_GPA + 4 + 2 * (f->avail_idx % f->q.size), head);
    le_put16(f->buf + AVAIL_GPA + 2, ++f->avail_idx);
}

static uint16_t used_idx(struct fake *f)
{
    return le_get16(f->buf + USED_GPA + 2);
}

static struct fake *fake_new(uint16_t size, bool event_idx)
{
    struct fake *f = g_new0(struct fake, 1);

    f->buf = g_malloc0(MEM_SIZE);
    f->gm = guest_mem_new_from_buffer(f->buf, MEM_SIZE);
    f->q.size = size;
    f->q.desc_gpa = DESC_GPA;
    f->q.avail_gpa = AVAIL_GPA;
    f->q.used_gpa = USED_GPA;
    f->q.event_idx = event_idx;
    ck_assert_int_eq(virtq_start(&f->q, f->gm, NULL), 0);
    return f;
}

static void fake_free(struct fake *f)
{
    guest_mem_free(f->gm);
    g_free(f->buf);
    g_free(f);
}

static void assert_broken(struct fake *f, const char *reason_part)
{
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), -1);
    ck_assert(f->q.broken);
    ck_assert_ptr_nonnull(f->q.broken_reason);
    ck_assert_msg(strstr(f->q.broken_reason, reason_part) != NULL,
                  "reason \"%s\" lacks \"%s\"", f->q.broken_reason, reason_part);
    /* Broken stays broken, and nothing is given back. */
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), -1);
    virtq_push(&f->q, f->gm, 0, 1);
    ck_assert_uint_eq(used_idx(f), 0);
}

START_TEST(good_chain)
{
    struct fake *f = fake_new(8, false);

    /* A request header and a payload out, a status byte in. */
    desc(f, 3, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 5);
    desc(f, 5, DATA_GPA + 0x100, 512, VIRTQ_DESC_F_NEXT, 0);
    desc(f, 0, DATA_GPA + 0x400, 1, VIRTQ_DESC_F_WRITE, 7);  /* next ignored without NEXT */
    avail_add(f, 3);

    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
    ck_assert_uint_eq(f->chain.head, 3);
    ck_assert_uint_eq(f->chain.n_out, 2);
    ck_assert_uint_eq(f->chain.n_in, 1);
    ck_assert_uint_eq(f->chain.out_bytes, 528);
    ck_assert_uint_eq(f->chain.in_bytes, 1);
    ck_assert_ptr_eq(f->chain.seg[0].host, f->buf + DATA_GPA);
    ck_assert_uint_eq(f->chain.seg[1].len, 512);
    ck_assert(!f->chain.seg[1].device_writable);
    ck_assert_ptr_eq(f->chain.seg[2].host, f->buf + DATA_GPA + 0x400);
    ck_assert(f->chain.seg[2].device_writable);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 0);

    virtq_push(&f->q, f->gm, 3, 1);
    ck_assert_uint_eq(used_idx(f), 1);
    ck_assert_uint_eq(le_get32(f->buf + USED_GPA + 4), 3);
    ck_assert_uint_eq(le_get32(f->buf + USED_GPA + 8), 1);
    ck_assert(!f->q.broken);
    fake_free(f);
}
END_TEST

START_TEST(indirect_chains)
{
    struct fake *f = fake_new(8, false);
    const uint64_t table = 0x7000;

    /* Only an indirect descriptor; its table out of order and unaligned. */
    desc_at(f, table + 8, 0, DATA_GPA, 16, VIRTQ_DESC_F_NEXT, 2);
    desc_at(f, table + 8, 2, DATA_GPA + 0x100, 64, VIRTQ_DESC_F_NEXT, 1);
    desc_at(f, table + 8, 1, DATA_GPA + 0x200, 4096, VIRTQ_DESC_F_WRITE, 0);
    desc(f, 1, table + 8, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
    avail_add(f, 1);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
    ck_assert_uint_eq(f->chain.head, 1);
    ck_assert_uint_eq(f->chain.n_out, 2);
    ck_assert_uint_eq(f->chain.n_in, 1);
    ck_assert_uint_eq(f->chain.out_bytes, 80);
    ck_assert_uint_eq(f->chain.in_bytes, 4096);
    ck_assert_ptr_eq(f->chain.seg[1].host, f->buf + DATA_GPA + 0x100);

    /* A direct descriptor, then an indirect one ends the chain. */
    desc(f, 6, DATA_GPA + 0x3000, 8, VIRTQ_DESC_F_NEXT, 2);
    desc(f, 2, table + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(f, table + 0x100, 0, DATA_GPA + 0x4000, 2, VIRTQ_DESC_F_WRITE, 0);
    avail_add(f, 6);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
    ck_assert_uint_eq(f->chain.n_out, 1);
    ck_assert_uint_eq(f->chain.n_in, 1);
    ck_assert_ptr_eq(f->chain.seg[1].host, f->buf + DATA_GPA + 0x4000);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 0);
    fake_free(f);
}
END_TEST

/* Ring slots wrap every size chains, indexes at 65536. */
START_TEST(wrapping)
{
    struct fake *f = fake_new(4, false);

    f->q.last_avail = f->q.used_idx = f->q.signalled_used = 0xfff0;
    f->avail_idx = 0xfff0;
    for (unsigned round = 0; round < 40; round++) {
        uint16_t head = round % 4;

        desc(f, head, DATA_GPA + 0x100 * round, round + 1, VIRTQ_DESC_F_WRITE, 0);
        avail_add(f, head);
        ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
        ck_assert_uint_eq(f->chain.head, head);
        ck_assert_uint_eq(f->chain.in_bytes, round + 1);
        virtq_push(&f->q, f->gm, head, round);
        ck_assert_uint_eq(used_idx(f), (uint16_t)(0xfff0 + round + 1));
        ck_assert_uint_eq(le_get32(f->buf + USED_GPA + 4 + 8 * ((0xfff0 + round) % 4)), head);
        ck_assert_uint_eq(le_get32(f->buf + USED_GPA + 8 + 8 * ((0xfff0 + round) % 4)), round);
    }
    ck_assert_uint_eq(f->q.last_avail, (uint16_t)(0xfff0 + 40));
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 0);
    fake_free(f);
}
END_TEST

START_TEST(many_chains)
{
    struct fake *f = fake_new(256, false);

    /* A full ring: exactly size chains pending is legal. */
    for (unsigned i = 0; i < 256; i++) {
        desc(f, 255 - i, DATA_GPA + i, 1, 0, 0);
        avail_add(f, 255 - i);
    }
    for (unsigned i = 0; i < 256; i++) {
        ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
        ck_assert_uint_eq(f->chain.head, 255 - i);
        ck_assert_ptr_eq(f->chain.seg[0].host, f->buf + DATA_GPA + i);
    }
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 0);
    /* Given back in another order. */
    for (unsigned i = 0; i < 256; i++)
        virtq_push(&f->q, f->gm, i, 0);
    ck_assert_uint_eq(used_idx(f), 256);
    ck_assert_uint_eq(le_get32(f->buf + USED_GPA + 4 + 8 * 255), 255);
    fake_free(f);
}
END_TEST

START_TEST(kick_suppression)
{
    struct fake *f = fake_new(8, false);

    ck_assert(!virtq_set_notify(&f->q, f->gm, false));
    ck_assert_uint_eq(le_get16(f->buf + USED_GPA), VIRTQ_USED_F_NO_NOTIFY);
    desc(f, 0, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
    /* Re-enabling reports the chain that came in meanwhile. */
    ck_assert(virtq_set_notify(&f->q, f->gm, true));
    ck_assert_uint_eq(le_get16(f->buf + USED_GPA), 0);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
    ck_assert(!virtq_set_notify(&f->q, f->gm, true));
    fake_free(f);

    /* With EVENT_IDX, pop keeps avail_event at the next chain it wants. */
    f = fake_new(8, true);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 0);
    ck_assert_uint_eq(le_get16(f->buf + USED_GPA + 4 + 8 * 8), 0);
    desc(f, 0, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
    avail_add(f, 0);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
    ck_assert_uint_eq(le_get16(f->buf + USED_GPA + 4 + 8 * 8), 1);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
    ck_assert_uint_eq(le_get16(f->buf + USED_GPA + 4 + 8 * 8), 2);
    ck_assert(!virtq_set_notify(&f->q, f->gm, false));
    avail_add(f, 0);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
    ck_assert_uint_eq(le_get16(f->buf + USED_GPA + 4 + 8 * 8), 2);
    ck_assert_uint_eq(le_get16(f->buf + USED_GPA), 0);
    fake_free(f);
}
END_TEST

START_TEST(interrupt_suppression_flags)
{
    struct fake *f = fake_new(8, false);

    ck_assert(!virtq_should_notify(&f->q, f->gm));      /* nothing pushed */
    virtq_push(&f->q, f->gm, 0, 0);
    ck_assert(virtq_should_notify(&f->q, f->gm));
    ck_assert(!virtq_should_notify(&f->q, f->gm));      /* already told */
    le_put16(f->buf + AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
    virtq_push(&f->q, f->gm, 1, 0);
    ck_assert(!virtq_should_notify(&f->q, f->gm));
    le_put16(f->buf + AVAIL_GPA, 0);
    virtq_push(&f->q, f->gm, 2, 0);
    ck_assert(virtq_should_notify(&f->q, f->gm));
    fake_free(f);
}
END_TEST

static void set_used_event(struct fake *f, uint16_t v)
{
    le_put16(f->buf + AVAIL_GPA + 4 + 2 * f->q.size, v);
}

START_TEST(interrupt_suppression_event_idx)
{
    struct fake *f = fake_new(8, true);

    /* Flags no longer count with EVENT_IDX. */
    le_put16(f->buf + AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
    set_used_event(f, 0);
    virtq_push(&f->q, f->gm, 0, 0);                     /* used 0 -> 1 crosses event 0 */
    ck_assert(virtq_should_notify(&f->q, f->gm));
    set_used_event(f, 3);
    virtq_push(&f->q, f->gm, 0, 0);                     /* 1 -> 2: not yet */
    ck_assert(!virtq_should_notify(&f->q, f->gm));
    virtq_push(&f->q, f->gm, 0, 0);
    virtq_push(&f->q, f->gm, 0, 0);                     /* 2 -> 4 passes 3 */
    ck_assert(virtq_should_notify(&f->q, f->gm));
    virtq_push(&f->q, f->gm, 0, 0);                     /* 4 -> 5, event 3 behind */
    ck_assert(!virtq_should_notify(&f->q, f->gm));

    /* Across the u16 wrap: 0xfffe -> 0x0002. */
    f->q.used_idx = f->q.signalled_used = 0xfffe;
    for (int i = 0; i < 4; i++)
        virtq_push(&f->q, f->gm, 0, 0);
    ck_assert_uint_eq(used_idx(f), 2);
    set_used_event(f, 0xffff);
    ck_assert(virtq_should_notify(&f->q, f->gm));
    f->q.signalled_used = 0xfffe;
    set_used_event(f, 0x0001);                          /* the last one crossed it */
    ck_assert(virtq_should_notify(&f->q, f->gm));
    f->q.signalled_used = 0xfffe;
    set_used_event(f, 0x0002);                          /* not reached */
    ck_assert(!virtq_should_notify(&f->q, f->gm));
    f->q.signalled_used = 0xfffe;
    set_used_event(f, 0xfffd);                          /* before the batch */
    ck_assert(!virtq_should_notify(&f->q, f->gm));
    f->q.signalled_used = 0xfffe;
    set_used_event(f, 0xfffe);                          /* the first one crossed it */
    ck_assert(virtq_should_notify(&f->q, f->gm));
    fake_free(f);
}
END_TEST

START_TEST(scatter_gather)
{
    struct fake *f = fake_new(8, false);
    uint8_t out[32];
    uint8_t in[32];
    uint8_t big[64];

    for (unsigned i = 0; i < 15; i++)
        f->buf[DATA_GPA + (i < 3 ? i : i < 8 ? 0x100 + i - 3 : 0x200 + i - 8)] = i + 1;
    desc(f, 0, DATA_GPA, 3, VIRTQ_DESC_F_NEXT, 1);
    desc(f, 1, DATA_GPA + 0x100, 5, VIRTQ_DESC_F_NEXT, 2);
    desc(f, 2, DATA_GPA + 0x200, 7, VIRTQ_DESC_F_NEXT, 3);
    desc(f, 3, DATA_GPA + 0x300, 2, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 4);
    desc(f, 4, DATA_GPA + 0x400, 4, VIRTQ_DESC_F_WRITE, 0);
    avail_add(f, 0);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);

    /* Out: bytes 1..15 across three segments. */
    ck_assert_uint_eq(virtq_chain_read(&f->chain, 2, out, 10), 10);
    for (unsigned i = 0; i < 10; i++)
        ck_assert_uint_eq(out[i], i + 3);
    ck_assert_uint_eq(virtq_chain_read(&f->chain, 0, big, sizeof(big)), 15);
    ck_assert_uint_eq(big[14], 15);
    ck_assert_uint_eq(virtq_chain_read(&f->chain, 14, out, 4), 1);
    ck_assert_uint_eq(virtq_chain_read(&f->chain, 15, out, 4), 0);
    ck_assert_uint_eq(virtq_chain_read(&f->chain, 1000, out, 4), 0);

    /* In: six bytes across two segments, none spilling past them. */
    for (unsigned i = 0; i < sizeof(in); i++)
        in[i] = 0xa0 + i;
    ck_assert_uint_eq(virtq_chain_write(&f->chain, 1, in, 4), 4);
    ck_assert_uint_eq(f->buf[DATA_GPA + 0x300], 0);
    ck_assert_uint_eq(f->buf[DATA_GPA + 0x301], 0xa0);
    ck_assert_uint_eq(f->buf[DATA_GPA + 0x400], 0xa1);
    ck_assert_uint_eq(f->buf[DATA_GPA + 0x402], 0xa3);
    ck_assert_uint_eq(f->buf[DATA_GPA + 0x403], 0);
    ck_assert_uint_eq(virtq_chain_write(&f->chain, 0, in, sizeof(in)), 6);
    ck_assert_uint_eq(f->buf[DATA_GPA + 0x405], 0);
    ck_assert_uint_eq(f->buf[DATA_GPA + 0x403], 0xa5);
    /* The out segments are never written. */
    ck_assert_uint_eq(f->buf[DATA_GPA + 0x206], 15);
    fake_free(f);
}
END_TEST

/* Malformed chains: each builds one and names a word of the reason. */
struct bad_case {
    const char *name;
    uint16_t size;
    void (*build)(struct fake *f);
    const char *reason;
};

static void bad_head(struct fake *f)
{
    desc(f, 0, DATA_GPA, 1, 0, 0);
    avail_add(f, 8);
}

static void bad_next(struct fake *f)
{
    desc(f, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 8);
    avail_add(f, 0);
}

static void bad_loop(struct fake *f)
{
    desc(f, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
    desc(f, 1, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 0);
    avail_add(f, 0);
}

static void bad_self_loop(struct fake *f)
{
    desc(f, 5, DATA_GPA, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 5);
    avail_add(f, 5);
}

/* A queue of 2048: a straight chain of 1025 descriptors, no loop. */
static void bad_too_many(struct fake *f)
{
    for (unsigned i = 0; i <= VIRTQ_MAX_SEGS; i++)
        desc(f, i, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, i + 1);
    desc(f, VIRTQ_MAX_SEGS + 1, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
}

static void bad_beyond_ram(struct fake *f)
{
    desc(f, 0, MEM_SIZE - 4, 8, 0, 0);
    avail_add(f, 0);
}

static void bad_past_ram(struct fake *f)
{
    desc(f, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
    desc(f, 1, MEM_SIZE, 1, VIRTQ_DESC_F_WRITE, 0);
    avail_add(f, 0);
}

static void bad_overflow(struct fake *f)
{
    desc(f, 0, UINT64_MAX - 2, 16, 0, 0);
    avail_add(f, 0);
}

static void bad_zero_len(struct fake *f)
{
    desc(f, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
    desc(f, 1, DATA_GPA, 0, VIRTQ_DESC_F_WRITE, 0);
    avail_add(f, 0);
}

static void bad_order(struct fake *f)
{
    desc(f, 0, DATA_GPA, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    desc(f, 1, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
}

static void bad_order_indirect(struct fake *f)
{
    desc(f, 0, DATA_GPA, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    desc(f, 1, 0x7000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(f, 0x7000, 0, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
}

static void bad_indirect_next(struct fake *f)
{
    desc(f, 0, 0x7000, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    desc(f, 1, DATA_GPA, 1, 0, 0);
    desc_at(f, 0x7000, 0, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
}

static void bad_nested(struct fake *f)
{
    desc(f, 0, 0x7000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(f, 0x7000, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
    desc_at(f, 0x7000, 1, 0x7100, 16, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(f, 0x7100, 0, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
}

static void bad_indirect_len(struct fake *f)
{
    desc(f, 0, 0x7000, 24, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(f, 0x7000, 0, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
}

static void bad_indirect_zero(struct fake *f)
{
    desc(f, 0, 0x7000, 0, VIRTQ_DESC_F_INDIRECT, 0);
    avail_add(f, 0);
}

static void bad_indirect_beyond_ram(struct fake *f)
{
    desc(f, 0, MEM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(f, MEM_SIZE - 16, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 1);
    avail_add(f, 0);
}

static void bad_indirect_too_big(struct fake *f)
{
    desc(f, 0, 0x10000, 16 * (VIRTQ_MAX_SEGS + 1), VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(f, 0x10000, 0, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
}

static void bad_indirect_loop(struct fake *f)
{
    desc(f, 0, 0x7000, 48, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(f, 0x7000, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 2);
    desc_at(f, 0x7000, 2, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 0);
    avail_add(f, 0);
}

static void bad_indirect_next_range(struct fake *f)
{
    desc(f, 0, 0x7000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(f, 0x7000, 0, DATA_GPA, 1, VIRTQ_DESC_F_NEXT, 2);
    /* Entry 2 exists in memory but not in the table's declared length. */
    desc_at(f, 0x7000, 2, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
}

static void bad_indirect_zero_entry(struct fake *f)
{
    desc(f, 0, 0x7000, 16, VIRTQ_DESC_F_INDIRECT, 0);
    desc_at(f, 0x7000, 0, DATA_GPA, 0, 0, 0);
    avail_add(f, 0);
}

static void bad_avail_jump(struct fake *f)
{
    desc(f, 0, DATA_GPA, 1, 0, 0);
    avail_add(f, 0);
    le_put16(f->buf + AVAIL_GPA + 2, f->q.size + 1);
}

static void bad_avail_backwards(struct fake *f)
{
    le_put16(f->buf + AVAIL_GPA + 2, 0xffff);
}

static const struct bad_case bad_cases[] = {
    { "head out of range", 8, bad_head, "available ring entry" },
    { "next out of range", 8, bad_next, "next index" },
    { "two-descriptor loop", 8, bad_loop, "loops" },
    { "self loop", 8, bad_self_loop, "loops" },
    { "more than VIRTQ_MAX_SEGS", 2048, bad_too_many, "loops or is too long" },
    { "buffer straddles the end of RAM", 8, bad_beyond_ram, "outside guest RAM" },
    { "buffer just past RAM", 8, bad_past_ram, "outside guest RAM" },
    { "addr + len overflows", 8, bad_overflow, "outside guest RAM" },
    { "zero length", 8, bad_zero_len, "zero-length" },
    { "readable after writable", 8, bad_order, "device-readable" },
    { "readable in indirect after writable", 8, bad_order_indirect, "device-readable" },
    { "indirect with NEXT", 8, bad_indirect_next, "NEXT" },
    { "nested indirect", 8, bad_nested, "nested" },
    { "indirect length 24", 8, bad_indirect_len, "multiple of 16" },
    { "indirect length 0", 8, bad_indirect_zero, "multiple of 16" },
    { "indirect table beyond RAM", 8, bad_indirect_beyond_ram, "indirect table outside" },
    { "indirect table too big", 8, bad_indirect_too_big, "too many" },
    { "indirect loop", 8, bad_indirect_loop, "indirect descriptor table loops" },
    { "indirect next out of range", 8, bad_indirect_next_range, "next index" },
    { "zero length in indirect", 8, bad_indirect_zero_entry, "zero-length" },
    { "avail idx jumps", 8, bad_avail_jump, "ran more than" },
    { "avail idx goes back", 8, bad_avail_backwards, "ran more than" },
};

START_TEST(malformed)
{
    const struct bad_case *c = &bad_cases[_i];
    struct fake *f = fake_new(c->size, _i % 2);

    c->build(f);
    ck_assert_msg(virtq_pop(&f->q, f->gm, &f->chain) == -1, "%s: not refused", c->name);
    ck_assert_msg(f->q.broken, "%s", c->name);
    ck_assert_ptr_nonnull(f->q.broken_reason);
    ck_assert_msg(strstr(f->q.broken_reason, c->reason) != NULL,
                  "%s: reason \"%s\" lacks \"%s\"", c->name, f->q.broken_reason, c->reason);
    f->q.broken = false;
    f->q.last_avail = 0;
    assert_broken(f, c->reason);
    fake_free(f);
}
END_TEST

/* The largest legal chains just fit: size direct descriptors, or an indirect
 * table of VIRTQ_MAX_SEGS entries. */
START_TEST(limits_accepted)
{
    struct fake *f = fake_new(16, false);

    for (unsigned i = 0; i < 16; i++)
        desc(f, i, DATA_GPA + i, 1, i < 15 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
    avail_add(f, 0);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
    ck_assert_uint_eq(f->chain.n_out, 16);

    for (unsigned i = 0; i < VIRTQ_MAX_SEGS; i++)
        desc_at(f, 0x10000, i, DATA_GPA + i, 1,
                i < VIRTQ_MAX_SEGS - 1 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
    desc(f, 0, 0x10000, 16 * VIRTQ_MAX_SEGS, VIRTQ_DESC_F_INDIRECT, 0);
    avail_add(f, 0);
    ck_assert_int_eq(virtq_pop(&f->q, f->gm, &f->chain), 1);
    ck_assert_uint_eq(f->chain.n_out, VIRTQ_MAX_SEGS);
    ck_assert_ptr_eq(f->chain.seg[VIRTQ_MAX_SEGS - 1].host,
                     f->buf + DATA_GPA + VIRTQ_MAX_SEGS - 1);
    fake_free(f);
}
END_TEST

START_TEST(push_bad_head)
{
    struct fake *f = fake_new(8, false);

    virtq_push(&f->q, f->gm, 8, 1);
    ck_assert(f->q.broken);
    ck_assert_uint_eq(used_idx(f), 0);
    ck_assert_uint_eq(le_get32(f->buf + USED_GPA + 4), 0);
    fake_free(f);
}
END_TEST

START_TEST(start_checks)
{
    uint8_t *buf = g_malloc0(MEM_SIZE);
    guest_mem *gm = guest_mem_new_from_buffer(buf, MEM_SIZE);
    struct virtq ok = { .size = 256, .desc_gpa = DESC_GPA, .avail_gpa = AVAIL_GPA,
                        .used_gpa = USED_GPA };
    struct virtq q;
    GError *error = NULL;

    ck_assert_int_eq(virtq_start(&ok, gm, NULL), 0);
    q = ok;
    q.size = 0;
    ck_assert_int_eq(virtq_start(&q, gm, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "power of two"));
    g_clear_error(&error);
    q.size = 6;
    ck_assert_int_eq(virtq_start(&q, gm, NULL), -1);
    q.size = 65535;
    ck_assert_int_eq(virtq_start(&q, gm, NULL), -1);
    q = ok;
    q.desc_gpa = DESC_GPA + 8;
    ck_assert_int_eq(virtq_start(&q, gm, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "misaligned"));
    g_clear_error(&error);
    q = ok;
    q.avail_gpa = AVAIL_GPA + 1;
    ck_assert_int_eq(virtq_start(&q, gm, NULL), -1);
    q = ok;
    q.used_gpa = USED_GPA + 2;
    ck_assert_int_eq(virtq_start(&q, gm, NULL), -1);
    /* Each ring's last byte just past RAM. */
    q = ok;
    q.desc_gpa = MEM_SIZE - 16 * 256 + 16;
    ck_assert_int_eq(virtq_start(&q, gm, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "outside guest RAM"));
    g_clear_error(&error);
    q = ok;
    q.avail_gpa = MEM_SIZE - (6 + 2 * 256) + 2;
    ck_assert_int_eq(virtq_start(&q, gm, NULL), -1);
    q.avail_gpa -= 2;
    ck_assert_int_eq(virtq_start(&q, gm, NULL), 0);
    q = ok;
    q.used_gpa = MEM_SIZE - (6 + 8 * 256) + 4;
    ck_assert_int_eq(virtq_start(&q, gm, NULL), -1);
    q = ok;
    q.used_gpa = UINT64_MAX - 3;
    ck_assert_int_eq(virtq_start(&q, gm, NULL), -1);
    /* A failed start leaves a queue that refuses work instead of using stale rings. */
    ck_assert_int_eq(virtq_pop(&q, gm, &(struct virtq_chain){ 0 }), -1);
    guest_mem_free(gm);
    g_free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virtio-queue");
    TCase *tc = tcase_create("virtio-queue");

    tcase_add_test(tc, good_chain);
    tcase_add_test(tc, indirect_chains);
    tcase_add_test(tc, wrapping);
    tcase_add_test(tc, many_chains);
    tcase_add_test(tc, kick_suppression);
    tcase_add_test(tc, interrupt_suppression_flags);
    tcase_add_test(tc, interrupt_suppression_event_idx);
    tcase_add_test(tc, scatter_gather);
    tcase_add_loop_test(tc, malformed, 0, G_N_ELEMENTS(bad_cases));
    tcase_add_test(tc, limits_accepted);
    tcase_add_test(tc, push_bad_head);
    tcase_add_test(tc, start_checks);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
