/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk's request parser on hand-built chains over a temporary image:
 * reads and writes land at the right offset, out-of-range sectors, unaligned
 * lengths and writes to a read-only disk fail with IOERR, GET_ID returns the
 * serial, discard and write-zeroes segments are checked (range, overflow,
 * flags, count, length) and leave holes or zeroes, and chains without a header
 * or a status byte are malformed.
 *
 * Then the whole device on a fake VM, once with io_uring and once with the
 * synchronous fallback: the queue threads serve many requests in flight on two
 * queues, and a reset with requests in flight drops them instead of pushing
 * them into the rings the driver sets up next.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "arch/x86_64/layout.h"
#include "devices/pci-host.h"

#include "devices/virtio-blk.h"

#define SECTORS 8

struct fixture {
    char *path;
    struct virtio_blk_disk *disk;
    uint8_t hdr[16];
    uint8_t data[2 * VIRTIO_BLK_SECTOR];
    uint8_t segs[(BLK_DWZ_SEG_MAX + 1) * VIRTIO_BLK_DWZ_SIZE];
    uint8_t status;
    struct virtq_chain c;
};

static uint8_t pattern(unsigned i)
{
    return (uint8_t)(i * 7 + 3);
}

static struct fixture *fixture_new(bool readonly)
{
    struct fixture *f = g_new0(struct fixture, 1);
    uint8_t img[SECTORS * VIRTIO_BLK_SECTOR];
    int fd;

    for (unsigned i = 0; i < sizeof(img); i++)
        img[i] = pattern(i);
    fd = g_file_open_tmp("skiff-blk-XXXXXX", &f->path, NULL);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, img, sizeof(img)), (int)sizeof(img));
    f->disk = g_new0(struct virtio_blk_disk, 1);
    f->disk->fd = fd;
    f->disk->capacity = SECTORS;
    f->disk->readonly = readonly;
    memcpy(f->disk->serial, "SERIAL-1", 8);
    return f;
}

static void fixture_free(struct fixture *f)
{
    close(f->disk->fd);
    g_unlink(f->path);
    g_free(f->path);
    g_free(f->disk);
    g_free(f);
}

static void set_hdr(struct fixture *f, uint32_t type, uint64_t sector)
{
    uint32_t t = GUINT32_TO_LE(type);
    uint64_t s = GUINT64_TO_LE(sector);

    memset(f->hdr, 0, sizeof(f->hdr));
    memcpy(f->hdr, &t, 4);
    memcpy(f->hdr + 8, &s, 8);
}

/* header | data (len bytes, readable for OUT) | status */
static void build(struct fixture *f, uint32_t type, uint64_t sector, uint32_t len)
{
    struct virtq_chain *c = &f->c;
    bool out = type == VIRTIO_BLK_T_OUT;
    unsigned n = 0;

    set_hdr(f, type, sector);
    memset(c, 0, sizeof(*c));
    c->seg[n++] = (struct virtq_seg){ f->hdr, sizeof(f->hdr), false };
    c->out_bytes = sizeof(f->hdr);
    if (len && out) {
        c->seg[n++] = (struct virtq_seg){ f->data, len, false };
        c->out_bytes += len;
    }
    c->n_out = n;
    if (len && !out) {
        c->seg[n++] = (struct virtq_seg){ f->data, len, true };
        c->in_bytes += len;
    }
    c->seg[n++] = (struct virtq_seg){ &f->status, 1, true };
    c->in_bytes += 1;
    c->n_in = n - c->n_out;
    f->status = 0xee;
}

static int handle(struct fixture *f, uint32_t *written)
{
    const char *reason = NULL;
    int r = virtio_blk_handle(f->disk, &f->c, written, &reason);

    if (r < 0)
        ck_assert_ptr_nonnull(reason);
    return r;
}

START_TEST(read_sector)
{
    struct fixture *f = fixture_new(false);
    uint32_t written;

    build(f, VIRTIO_BLK_T_IN, 3, 2 * VIRTIO_BLK_SECTOR);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(written, 2 * VIRTIO_BLK_SECTOR + 1);
    for (unsigned i = 0; i < 2 * VIRTIO_BLK_SECTOR; i++)
        ck_assert_uint_eq(f->data[i], pattern(3 * VIRTIO_BLK_SECTOR + i));
    fixture_free(f);
}
END_TEST

START_TEST(write_sector)
{
    struct fixture *f = fixture_new(false);
    uint8_t back[VIRTIO_BLK_SECTOR];
    uint32_t written;

    memset(f->data, 0xa5, VIRTIO_BLK_SECTOR);
    build(f, VIRTIO_BLK_T_OUT, SECTORS - 1, VIRTIO_BLK_SECTOR);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(written, 1);
    ck_assert_int_eq(pread(f->disk->fd, back, sizeof(back), (SECTORS - 1) * VIRTIO_BLK_SECTOR),
                     (int)sizeof(back));
    for (unsigned i = 0; i < sizeof(back); i++)
        ck_assert_uint_eq(back[i], 0xa5);
    build(f, VIRTIO_BLK_T_FLUSH, 0, 0);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_OK);
    fixture_free(f);
}
END_TEST

START_TEST(out_of_range)
{
    static const struct { uint64_t sector; uint32_t len; } cases[] = {
        { SECTORS, VIRTIO_BLK_SECTOR },             /* just past the end */
        { SECTORS - 1, 2 * VIRTIO_BLK_SECTOR },     /* straddles the end */
        { UINT64_MAX / VIRTIO_BLK_SECTOR + 1, VIRTIO_BLK_SECTOR },  /* offset overflows */
        { UINT64_MAX, VIRTIO_BLK_SECTOR },
    };
    struct fixture *f = fixture_new(false);
    uint32_t written;

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        for (uint32_t type = VIRTIO_BLK_T_IN; type <= VIRTIO_BLK_T_OUT; type++) {
            build(f, type, cases[i].sector, cases[i].len);
            ck_assert_int_eq(handle(f, &written), 0);
            ck_assert_uint_eq(f->status, VIRTIO_BLK_S_IOERR);
            ck_assert_uint_eq(written, 1);
        }
    }
    fixture_free(f);
}
END_TEST

START_TEST(unaligned_length)
{
    struct fixture *f = fixture_new(false);
    uint32_t written;

    build(f, VIRTIO_BLK_T_IN, 0, 100);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_IOERR);
    build(f, VIRTIO_BLK_T_OUT, 0, VIRTIO_BLK_SECTOR + 1);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_IOERR);
    fixture_free(f);
}
END_TEST

START_TEST(readonly_write)
{
    struct fixture *f = fixture_new(true);
    uint8_t back[VIRTIO_BLK_SECTOR];
    uint32_t written;

    memset(f->data, 0xa5, VIRTIO_BLK_SECTOR);
    build(f, VIRTIO_BLK_T_OUT, 0, VIRTIO_BLK_SECTOR);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_IOERR);
    ck_assert_int_eq(pread(f->disk->fd, back, sizeof(back), 0), (int)sizeof(back));
    for (unsigned i = 0; i < sizeof(back); i++)
        ck_assert_uint_eq(back[i], pattern(i));
    /* Reads still work. */
    build(f, VIRTIO_BLK_T_IN, 0, VIRTIO_BLK_SECTOR);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_OK);
    fixture_free(f);
}
END_TEST

START_TEST(get_id_and_unsupported)
{
    struct fixture *f = fixture_new(false);
    uint32_t written;

    memset(f->data, 0xff, sizeof(f->data));
    build(f, VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(written, VIRTIO_BLK_ID_BYTES + 1);
    ck_assert_mem_eq(f->data, "SERIAL-1\0\0\0\0\0\0\0\0\0\0\0\0", VIRTIO_BLK_ID_BYTES);
    build(f, 99, 0, VIRTIO_BLK_SECTOR);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_UNSUPP);
    ck_assert_uint_eq(written, 1);
    fixture_free(f);
}
END_TEST

START_TEST(split_header)
{
    struct fixture *f = fixture_new(false);
    uint32_t written;

    /* The header may span descriptors (no framing is assumed with VERSION_1). */
    build(f, VIRTIO_BLK_T_IN, 1, VIRTIO_BLK_SECTOR);
    memmove(&f->c.seg[2], &f->c.seg[1], 2 * sizeof(f->c.seg[0]));
    f->c.seg[0].len = 5;
    f->c.seg[1] = (struct virtq_seg){ f->hdr + 5, 11, false };
    f->c.n_out = 2;
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(f->data[0], pattern(VIRTIO_BLK_SECTOR));
    fixture_free(f);
}
END_TEST

START_TEST(malformed)
{
    struct fixture *f = fixture_new(false);
    uint32_t written;

    /* A short header. */
    build(f, VIRTIO_BLK_T_IN, 0, VIRTIO_BLK_SECTOR);
    f->c.seg[0].len = 15;
    f->c.out_bytes = 15;
    ck_assert_int_eq(handle(f, &written), -1);
    /* No device-writable segment for the status. */
    build(f, VIRTIO_BLK_T_OUT, 0, VIRTIO_BLK_SECTOR);
    f->c.n_in = 0;
    f->c.in_bytes = 0;
    ck_assert_int_eq(handle(f, &written), -1);
    ck_assert_uint_eq(f->status, 0xee);
    fixture_free(f);
}
END_TEST

/* header | n discard/write-zeroes segments | status */
static void build_dwz(struct fixture *f, uint32_t type, const uint64_t *sector,
                      const uint32_t *sectors, const uint32_t *flags, unsigned n)
{
    struct virtq_chain *c = &f->c;

    for (unsigned i = 0; i < n; i++) {
        uint64_t s = GUINT64_TO_LE(sector[i]);
        uint32_t k = GUINT32_TO_LE(sectors[i]);
        uint32_t fl = GUINT32_TO_LE(flags ? flags[i] : 0);

        memcpy(f->segs + 16 * i, &s, 8);
        memcpy(f->segs + 16 * i + 8, &k, 4);
        memcpy(f->segs + 16 * i + 12, &fl, 4);
    }
    set_hdr(f, type, 0);
    memset(c, 0, sizeof(*c));
    c->seg[0] = (struct virtq_seg){ f->hdr, sizeof(f->hdr), false };
    c->seg[1] = (struct virtq_seg){ f->segs, 16 * n, false };
    c->seg[2] = (struct virtq_seg){ &f->status, 1, true };
    c->n_out = 2;
    c->n_in = 1;
    c->out_bytes = sizeof(f->hdr) + 16 * n;
    c->in_bytes = 1;
    f->status = 0xee;
}

static uint8_t dwz(struct fixture *f, uint32_t type, uint64_t sector, uint32_t sectors,
                   uint32_t flags)
{
    uint32_t written;

    build_dwz(f, type, &sector, &sectors, &flags, 1);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(written, 1);
    return f->status;
}

static void expect_image(struct fixture *f, unsigned zero_from, unsigned zero_to)
{
    uint8_t img[SECTORS * VIRTIO_BLK_SECTOR];

    ck_assert_int_eq(pread(f->disk->fd, img, sizeof(img), 0), (int)sizeof(img));
    for (unsigned i = 0; i < sizeof(img); i++) {
        bool zero = i >= zero_from * VIRTIO_BLK_SECTOR && i < zero_to * VIRTIO_BLK_SECTOR;

        ck_assert_msg(img[i] == (zero ? 0 : pattern(i)), "byte %u", i);
    }
}

START_TEST(write_zeroes_and_discard)
{
    struct fixture *f = fixture_new(false);
    uint64_t sec[2] = { 2, 5 };
    uint32_t cnt[2] = { 1, 1 };
    uint32_t written;

    /* Sectors 2..3 zeroed in place, the rest untouched. */
    ck_assert_uint_eq(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, 2, 2, 0), VIRTIO_BLK_S_OK);
    expect_image(f, 2, 4);
    /* With unmap: a hole reads as zeroes too. */
    ck_assert_uint_eq(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, 4, 1,
                          VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP), VIRTIO_BLK_S_OK);
    expect_image(f, 2, 5);
    /* Two segments in one request. */
    build_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, sec, cnt, NULL, 2);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_OK);
    expect_image(f, 2, 6);
    /* Discard of the whole image: the file keeps its size and holds no data. */
    ck_assert_uint_eq(dwz(f, VIRTIO_BLK_T_DISCARD, 0, SECTORS, 0), VIRTIO_BLK_S_OK);
    expect_image(f, 0, SECTORS);
    ck_assert_int_eq(lseek(f->disk->fd, 0, SEEK_END), SECTORS * VIRTIO_BLK_SECTOR);
    ck_assert_int_eq(lseek(f->disk->fd, 0, SEEK_DATA), -1);
    fixture_free(f);
}
END_TEST

START_TEST(dwz_refused)
{
    static const struct { uint32_t type; uint64_t sector; uint32_t sectors; uint32_t flags;
                          uint8_t status; } cases[] = {
        { VIRTIO_BLK_T_DISCARD, SECTORS, 1, 0, VIRTIO_BLK_S_IOERR },          /* past the end */
        { VIRTIO_BLK_T_DISCARD, SECTORS - 1, 2, 0, VIRTIO_BLK_S_IOERR },      /* straddles it */
        { VIRTIO_BLK_T_WRITE_ZEROES, UINT64_MAX, 1, 0, VIRTIO_BLK_S_IOERR },  /* overflow */
        { VIRTIO_BLK_T_WRITE_ZEROES, 1, UINT32_MAX, 0, VIRTIO_BLK_S_IOERR },
        { VIRTIO_BLK_T_DISCARD, 0, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,      /* unmap: */
          VIRTIO_BLK_S_UNSUPP },                                              /* zeroes only */
        { VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 2, VIRTIO_BLK_S_UNSUPP },          /* reserved bit */
        { VIRTIO_BLK_T_WRITE_ZEROES, SECTORS, 1, 0x80000000u, VIRTIO_BLK_S_UNSUPP },
    };
    struct fixture *f = fixture_new(false);
    uint64_t sec[BLK_DWZ_SEG_MAX + 1] = { 0 };
    uint32_t cnt[BLK_DWZ_SEG_MAX + 1] = { 0 };
    uint32_t written;

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++)
        ck_assert_msg(dwz(f, cases[i].type, cases[i].sector, cases[i].sectors, cases[i].flags) ==
                      cases[i].status, "case %u", i);
    /* One more segment than max_*_seg, each one fine. */
    for (unsigned i = 0; i <= BLK_DWZ_SEG_MAX; i++)
        cnt[i] = 1;
    build_dwz(f, VIRTIO_BLK_T_DISCARD, sec, cnt, NULL, BLK_DWZ_SEG_MAX + 1);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_IOERR);
    /* A good segment then a bad one: nothing is done. */
    sec[1] = SECTORS;
    build_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, sec, cnt, NULL, 2);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_IOERR);
    /* A segment list that is not a multiple of 16 bytes, and none at all. */
    build_dwz(f, VIRTIO_BLK_T_DISCARD, sec, cnt, NULL, 1);
    f->c.seg[1].len = 15;
    f->c.out_bytes = 16 + 15;
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_IOERR);
    build(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 0);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_IOERR);
    expect_image(f, 0, 0);
    fixture_free(f);
}
END_TEST

START_TEST(dwz_readonly)
{
    struct fixture *f = fixture_new(true);

    ck_assert_uint_eq(dwz(f, VIRTIO_BLK_T_DISCARD, 0, 1, 0), VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 0), VIRTIO_BLK_S_IOERR);
    expect_image(f, 0, 0);
    fixture_free(f);
}
END_TEST

START_TEST(too_many_segments)
{
    struct fixture *f = fixture_new(false);
    struct virtq_chain *c = &f->c;
    uint32_t written;

    /* A read into BLK_REQ_MAX_IOV 4-byte buffers (one sector) and one more
     * sector: well-formed, but more segments than seg_max allows. */
    set_hdr(f, VIRTIO_BLK_T_IN, 0);
    memset(c, 0, sizeof(*c));
    c->seg[0] = (struct virtq_seg){ f->hdr, sizeof(f->hdr), false };
    c->n_out = 1;
    c->out_bytes = 16;
    for (unsigned i = 0; i < BLK_REQ_MAX_IOV; i++)
        c->seg[1 + i] = (struct virtq_seg){ f->data + 4 * (i % 64), 4, true };
    c->seg[1 + BLK_REQ_MAX_IOV] = (struct virtq_seg){ f->data, VIRTIO_BLK_SECTOR, true };
    c->seg[2 + BLK_REQ_MAX_IOV] = (struct virtq_seg){ &f->status, 1, true };
    c->n_in = BLK_REQ_MAX_IOV + 2;
    c->in_bytes = 4 * BLK_REQ_MAX_IOV + VIRTIO_BLK_SECTOR + 1;
    ck_assert_uint_eq((c->in_bytes - 1) % VIRTIO_BLK_SECTOR, 0);
    ck_assert_int_eq(handle(f, &written), 0);
    ck_assert_uint_eq(f->status, VIRTIO_BLK_S_IOERR);
    ck_assert_uint_eq(written, 1);
    fixture_free(f);
}
END_TEST

/* ---- the whole device on a fake VM (vm.c is not linked) ---- */

#define RAM_SIZE (4u << 20)
#define DEV_SLOT 1
#define DEV_BAR LAYOUT_PCI_MMIO32_BASE
#define DEV_QSIZE 64
#define DEV_SECTORS 2048            /* a 1 MiB image */
#define NREQ 16                     /* requests in flight at once, 4 KiB each */
#define REQ_BYTES 4096
#define HDR_GPA 0x100000            /* + 0x1000 per queue, 16 bytes per slot */
#define STATUS_GPA 0x120000         /* + 0x100 per queue */
#define DATA_GPA 0x200000           /* + 0x100000 per queue, 4 KiB per slot */

struct range {
    uint64_t base;
    uint64_t len;
    io_handler_fn fn;
    void *opaque;
};

struct vm {
    guest_mem *gm;
    struct range mmio[4];
    unsigned n_mmio;
    int kick[2];
    int irq_fd;
};

static struct vm dvm;
static uint8_t *dram;
static char *dpath;
static pci_host *dhost;
static virtio_blk *dblk;

int vm_register_pio(vm *v, uint16_t base, uint16_t len, const char *owner, io_handler_fn fn,
                    void *opaque, GError **error)
{
    return 0;
}

int vm_register_mmio(vm *v, uint64_t base, uint64_t len, const char *owner, io_handler_fn fn,
                     void *opaque, GError **error)
{
    ck_assert_uint_lt(v->n_mmio, G_N_ELEMENTS(v->mmio));
    v->mmio[v->n_mmio++] = (struct range){ base, len, fn, opaque };
    return 0;
}

void vm_request_stop(vm *v, enum vm_stop_reason reason)
{
    ck_abort_msg("the device stopped the VM");
}

void vm_set_irq_line(vm *v, uint32_t gsi, bool level)
{
    ck_abort_msg("virtio-blk has no INTx line");
}

guest_mem *vm_guest_mem(vm *v)
{
    return v->gm;
}

int vm_register_ioeventfd(vm *v, int fd, uint64_t addr, uint32_t len, GError **error)
{
    uint64_t q = (addr - DEV_BAR - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULTIPLIER;

    ck_assert_uint_lt(q, 2);
    v->kick[q] = fd;
    return 0;
}

/* The message of a vector the device fired (tests/unit/fake-msi.c). */
void fake_msi_delivered(vm *v, uint64_t addr, uint32_t data);
void fake_msi_delivered(vm *v, uint64_t addr, uint32_t data)
{
    uint64_t one = 1;

    ck_assert_int_eq(write(v->irq_fd, &one, sizeof(one)), sizeof(one));
}

static uint64_t dev_mmio(uint64_t addr, uint64_t val, uint32_t len, bool is_write)
{
    for (unsigned i = 0; i < dvm.n_mmio; i++) {
        struct range *r = &dvm.mmio[i];

        if (addr >= r->base && addr + len <= r->base + r->len) {
            ck_assert(r->fn(r->opaque, addr - r->base, (uint8_t *)&val, len, is_write));
            return val;
        }
    }
    ck_abort_msg("no MMIO range at 0x%" G_GINT64_MODIFIER "x", addr);
    return 0;
}

static void bar_w(uint32_t off, uint64_t v, uint32_t len)
{
    dev_mmio(DEV_BAR + off, v, len, true);
}

static uint64_t bar_r(uint32_t off, uint32_t len)
{
    return dev_mmio(DEV_BAR + off, 0, len, false) & (len == 8 ? ~0ULL : (1ULL << 8 * len) - 1);
}

/* Rings of a queue: descriptors at base, available +0x1000, used +0x2000. */
struct tq {
    unsigned index;
    uint64_t base;
    uint16_t avail_idx;
    uint16_t last_used;
};

static uint16_t *avail16(struct tq *q, unsigned i)
{
    return (uint16_t *)(dram + q->base + 0x1000) + i;
}

static volatile uint16_t *used_idx(struct tq *q)
{
    return (volatile uint16_t *)(dram + q->base + 0x2002);
}

static void queue_setup(struct tq *q, unsigned index, uint64_t base)
{
    *q = (struct tq){ .index = index, .base = base };
    memset(dram + base, 0, 0x3000);
    bar_w(0x16, index, 2);
    bar_w(0x18, DEV_QSIZE, 2);
    bar_w(0x1a, index, 2);
    bar_w(0x20, base, 8);
    bar_w(0x28, base + 0x1000, 8);
    bar_w(0x30, base + 0x2000, 8);
    bar_w(0x1c, 1, 2);
}

static void driver_start(struct tq *qs, unsigned nq, uint64_t ring_base)
{
    bar_w(0x14, 0, 1);
    bar_w(0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    bar_w(0x08, 1, 4);
    bar_w(0x0c, 1, 4);                      /* VERSION_1 alone */
    bar_w(0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
          VIRTIO_STATUS_FEATURES_OK, 1);
    for (unsigned i = 0; i < nq; i++)
        queue_setup(&qs[i], i, ring_base + 0x10000 * i);
    bar_w(0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
          VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, 1);
    ck_assert_uint_eq(bar_r(0x14, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* Slot s of queue q: descriptors 3s..3s+2, a 4 KiB buffer (none for flush),
 * or dwz_n discard/write-zeroes segments in the buffer. */
static void post(struct tq *q, unsigned s, uint32_t type, uint64_t sector, unsigned dwz_n)
{
    uint64_t hdr = HDR_GPA + 0x1000 * q->index + 16 * s;
    uint64_t data = DATA_GPA + 0x100000 * q->index + REQ_BYTES * s;
    uint64_t status = STATUS_GPA + 0x100 * q->index + s;
    uint8_t *desc = dram + q->base + 16 * 3 * s;
    uint32_t len = dwz_n ? 16 * dwz_n : REQ_BYTES;
    uint16_t flags = type == VIRTIO_BLK_T_IN ? 3 : 1;
    uint32_t t = type;

    memcpy(dram + hdr, &t, 4);
    memset(dram + hdr + 4, 0, 4);
    memcpy(dram + hdr + 8, &sector, 8);
    dram[status] = 0xee;
    memcpy(desc, &(uint64_t){ hdr }, 8);
    memcpy(desc + 8, &(uint32_t){ 16 }, 4);
    memcpy(desc + 12, &(uint16_t){ 1 }, 2);
    memcpy(desc + 14, &(uint16_t){ (uint16_t)(3 * s + 1) }, 2);
    memcpy(desc + 16, &data, 8);
    memcpy(desc + 24, &len, 4);
    memcpy(desc + 28, &flags, 2);
    memcpy(desc + 30, &(uint16_t){ (uint16_t)(3 * s + 2) }, 2);
    memcpy(desc + 32, &status, 8);
    memcpy(desc + 40, &(uint32_t){ 1 }, 4);
    memcpy(desc + 44, &(uint16_t){ 2 }, 2);
    *avail16(q, 2 + q->avail_idx % DEV_QSIZE) = (uint16_t)(3 * s);
    q->avail_idx++;
}

static void kick(struct tq *q)
{
    uint64_t one = 1;

    __atomic_store_n(avail16(q, 1), q->avail_idx, __ATOMIC_RELEASE);
    ck_assert_int_eq(write(dvm.kick[q->index], &one, sizeof(one)), sizeof(one));
}

/* Waits for n more used entries: an interrupt each time, 10 s at most. */
static void wait_used(struct tq *q, uint16_t n)
{
    while ((uint16_t)(*used_idx(q) - q->last_used) < n) {
        struct pollfd p = { .fd = dvm.irq_fd, .events = POLLIN };
        uint64_t v;

        ck_assert_msg(poll(&p, 1, 10000) == 1, "no interrupt from queue %u", q->index);
        ck_assert_int_eq(read(dvm.irq_fd, &v, sizeof(v)), sizeof(v));
    }
}

/* The next used entry: its slot, status and length checked. */
static unsigned reap(struct tq *q, uint8_t status, uint32_t len)
{
    uint8_t *e = dram + q->base + 0x2004 + 8 * (q->last_used % DEV_QSIZE);
    uint32_t id;
    uint32_t got;

    memcpy(&id, e, 4);
    memcpy(&got, e + 4, 4);
    q->last_used++;
    ck_assert_uint_eq(id % 3, 0);
    ck_assert_uint_lt(id / 3, NREQ);
    ck_assert_uint_eq(dram[STATUS_GPA + 0x100 * q->index + id / 3], status);
    ck_assert_uint_eq(got, len);
    return id / 3;
}

static bool uring_works(void)
{
    struct io_uring ring;

    if (io_uring_queue_init(4, &ring, 0) < 0) {
        fprintf(stderr, "io_uring is unavailable here: only the synchronous path runs\n");
        return false;
    }
    io_uring_queue_exit(&ring);
    return true;
}

static void device_setup(bool sync, unsigned nq)
{
    g_autoptr(GError) error = NULL;
    g_autofree uint8_t *img = g_malloc(DEV_SECTORS * VIRTIO_BLK_SECTOR);
    struct disk_config dc = { 0 };
    int fd;

    memset(&dvm, 0, sizeof(dvm));
    dram = g_malloc0(RAM_SIZE);
    dvm.gm = guest_mem_new_from_buffer(dram, RAM_SIZE);
    dvm.irq_fd = eventfd(0, EFD_CLOEXEC);
    for (unsigned i = 0; i < DEV_SECTORS * VIRTIO_BLK_SECTOR; i++)
        img[i] = pattern(i);
    fd = g_file_open_tmp("skiff-blk-XXXXXX", &dpath, NULL);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, img, DEV_SECTORS * VIRTIO_BLK_SECTOR),
                     DEV_SECTORS * VIRTIO_BLK_SECTOR);
    close(fd);
    dhost = pci_host_create(&dvm, &error);
    ck_assert_msg(dhost, "%s", error ? error->message : "");
    dc.path = dpath;
    dc.id = (char *)"disk0";
    dc.serial = (char *)"SER";
    dc.num_queues = nq;
    dc.queue_size = DEV_QSIZE;
    dc.disable_io_uring = sync;
    dblk = virtio_blk_create(&dvm, dhost, DEV_SLOT, DEV_BAR, &dc, &error);
    ck_assert_msg(dblk, "%s", error ? error->message : "");
    /* io_uring wherever this process can set one up, unless disabled. */
    ck_assert(virtio_blk_uses_io_uring(dblk) == (!sync && uring_works()));

    dev_mmio(LAYOUT_ECAM_BASE + (DEV_SLOT << 15) + PCI_COMMAND,
             PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2, true);
    dev_mmio(LAYOUT_ECAM_BASE + (DEV_SLOT << 15) + 0x84 + 2, 0x8000, 2, true);  /* MSI-X on */
    for (unsigned v = 0; v < nq; v++) {
        bar_w(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v, 0xfee00000, 4);
        bar_w(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v + 8, 0x40 + v, 4);
        bar_w(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v + 12, 0, 4);
    }
}

static void device_teardown(void)
{
    virtio_blk_free(dblk);
    pci_host_free(dhost);
    guest_mem_free(dvm.gm);
    close(dvm.irq_fd);
    g_free(dram);
    g_unlink(dpath);
    g_free(dpath);
}

static void image_read(void *buf, uint64_t off, size_t len)
{
    int fd = open(dpath, O_RDONLY | O_CLOEXEC);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

START_TEST(device_queues)
{
    bool sync = _i == 1;
    struct tq q[2];
    uint8_t back[REQ_BYTES];
    uint8_t *seg;
    uint64_t features;

    device_setup(sync, 2);
    bar_w(0x00, 0, 4);
    features = bar_r(0x04, 4);
    ck_assert(features & (1u << 12));           /* MQ */
    ck_assert(features & (1u << 13));           /* DISCARD */
    ck_assert(features & (1u << 14));           /* WRITE_ZEROES */
    ck_assert_uint_eq(bar_r(VIRTIO_PCI_DEVICE_OFF + 0, 8), DEV_SECTORS);
    ck_assert_uint_eq(bar_r(VIRTIO_PCI_DEVICE_OFF + 34, 2), 2);        /* num_queues */
    ck_assert_uint_eq(bar_r(VIRTIO_PCI_DEVICE_OFF + 40, 4), BLK_DWZ_SEG_MAX);
    ck_assert_uint_eq(bar_r(VIRTIO_PCI_DEVICE_OFF + 52, 4), BLK_DWZ_SEG_MAX);
    ck_assert_uint_eq(bar_r(VIRTIO_PCI_DEVICE_OFF + 56, 1), 1);
    driver_start(q, 2, 0x10000);

    /* Queue 1: NREQ writes in flight at once, slot s fills sectors 8s..8s+7 with s. */
    for (unsigned s = 0; s < NREQ; s++) {
        memset(dram + DATA_GPA + 0x100000 + REQ_BYTES * s, 0x40 + s, REQ_BYTES);
        post(&q[1], s, VIRTIO_BLK_T_OUT, 8 * s, 0);
    }
    kick(&q[1]);
    wait_used(&q[1], NREQ);
    for (unsigned s = 0; s < NREQ; s++)
        reap(&q[1], VIRTIO_BLK_S_OK, 1);
    ck_assert_uint_eq(*used_idx(&q[0]), 0);

    /* Queue 0 reads them back, in reverse slot order. */
    for (unsigned s = 0; s < NREQ; s++)
        post(&q[0], NREQ - 1 - s, VIRTIO_BLK_T_IN, 8 * (NREQ - 1 - s), 0);
    kick(&q[0]);
    wait_used(&q[0], NREQ);
    for (unsigned s = 0; s < NREQ; s++) {
        unsigned slot = reap(&q[0], VIRTIO_BLK_S_OK, REQ_BYTES + 1);

        for (unsigned i = 0; i < REQ_BYTES; i++)
            ck_assert_uint_eq(dram[DATA_GPA + REQ_BYTES * slot + i], 0x40 + slot);
    }
    image_read(back, 5 * REQ_BYTES, REQ_BYTES);
    for (unsigned i = 0; i < REQ_BYTES; i++)
        ck_assert_uint_eq(back[i], 0x45);

    /* Discard sectors 0..7, write-zeroes 8..15 and a flush, in flight together. */
    seg = dram + DATA_GPA;
    memcpy(seg, &(uint64_t){ 0 }, 8);
    memcpy(seg + 8, &(uint32_t){ 8 }, 4);
    memset(seg + 12, 0, 4);
    post(&q[0], 0, VIRTIO_BLK_T_DISCARD, 0, 1);
    seg = dram + DATA_GPA + REQ_BYTES;
    memcpy(seg, &(uint64_t){ 8 }, 8);
    memcpy(seg + 8, &(uint32_t){ 8 }, 4);
    memset(seg + 12, 0, 4);
    post(&q[0], 1, VIRTIO_BLK_T_WRITE_ZEROES, 0, 1);
    post(&q[0], 2, VIRTIO_BLK_T_FLUSH, 0, 0);
    kick(&q[0]);
    wait_used(&q[0], 3);
    for (unsigned s = 0; s < 3; s++)
        reap(&q[0], VIRTIO_BLK_S_OK, 1);
    image_read(back, 0, REQ_BYTES);
    for (unsigned i = 0; i < REQ_BYTES; i++)
        ck_assert_uint_eq(back[i], 0);
    image_read(back, REQ_BYTES, REQ_BYTES);
    for (unsigned i = 0; i < REQ_BYTES; i++)
        ck_assert_uint_eq(back[i], 0);
    image_read(back, 2 * REQ_BYTES, REQ_BYTES);
    ck_assert_uint_eq(back[0], 0x42);
    device_teardown();
}
END_TEST

START_TEST(device_reset_in_flight)
{
    bool sync = _i == 1;
    struct tq q;
    struct tq old;
    uint16_t old_used;
    unsigned slot;

    device_setup(sync, 1);
    driver_start(&q, 1, 0x10000);
    for (unsigned s = 0; s < NREQ; s++)
        post(&q, s, VIRTIO_BLK_T_IN, 8 * s, 0);
    kick(&q);
    /* Reset at once: whatever was popped is drained and dropped. */
    bar_w(0x14, 0, 1);
    ck_assert_uint_eq(bar_r(0x14, 1), 0);
    old = q;
    old_used = *used_idx(&old);
    ck_assert_uint_le(old_used, NREQ);

    /* New rings elsewhere: one read, and nothing else may come back there. */
    driver_start(&q, 1, 0x40000);
    post(&q, 5, VIRTIO_BLK_T_IN, 8 * 7, 0);
    kick(&q);
    wait_used(&q, 1);
    slot = reap(&q, VIRTIO_BLK_S_OK, REQ_BYTES + 1);
    ck_assert_uint_eq(slot, 5);
    for (unsigned i = 0; i < REQ_BYTES; i++)
        ck_assert_uint_eq(dram[DATA_GPA + REQ_BYTES * 5 + i], pattern(7 * REQ_BYTES + i));
    /* A second request flushes anything stale through the thread first. */
    post(&q, 6, VIRTIO_BLK_T_FLUSH, 0, 0);
    kick(&q);
    wait_used(&q, 1);
    ck_assert_uint_eq(reap(&q, VIRTIO_BLK_S_OK, 1), 6);
    ck_assert_uint_eq(*used_idx(&q), 2);
    ck_assert_uint_eq(*used_idx(&old), old_used);
    device_teardown();
}
END_TEST


int main(void)
{
    Suite *s = suite_create("virtio-blk");
    TCase *tc = tcase_create("requests");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, read_sector);
    tcase_add_test(tc, write_sector);
    tcase_add_test(tc, out_of_range);
    tcase_add_test(tc, unaligned_length);
    tcase_add_test(tc, readonly_write);
    tcase_add_test(tc, get_id_and_unsupported);
    tcase_add_test(tc, split_header);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, write_zeroes_and_discard);
    tcase_add_test(tc, dwz_refused);
    tcase_add_test(tc, dwz_readonly);
    tcase_add_test(tc, too_many_segments);
    suite_add_tcase(s, tc);
    tc = tcase_create("device");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, device_queues, 0, 2);
    tcase_add_loop_test(tc, device_reset_in_flight, 0, 2);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
