/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk's request parser on hand-built chains over a temporary image:
 * reads and writes land at the right offset, out-of-range sectors, unaligned
 * lengths and writes to a read-only disk fail with IOERR, GET_ID returns the
 * serial, and chains without a header or a status byte are malformed.
 */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/virtio-blk.h"

#define SECTORS 8

struct fixture {
    char *path;
    struct virtio_blk_disk *disk;
    uint8_t hdr[16];
    uint8_t data[2 * VIRTIO_BLK_SECTOR];
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
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
