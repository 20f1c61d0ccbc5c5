/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: a hostile guest's virtio-blk requests. The input is a
 * 2-byte header followed by the guest's memory, which holds a split virtqueue
 * (descriptors at 0, available ring at 0x400, used ring at 0x600). Every chain
 * the walker accepts goes through the request parser (virtio_blk_parse), the
 * synchronous backend on a 32 KiB memfd image, and finish. ASan sees any
 * access outside guest RAM; the checks below catch a parser that lets through
 * a range past the capacity, an iovec that does not match the request, or a
 * used length larger than the chain's writable bytes.
 *
 * Header: 0  log2 of the queue size (0..6)
 *         1  bit 0 read-only disk, bit 1 EVENT_IDX
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/virtio-blk.h"

#define FUZZ_MEM_SIZE (64u << 10)
#define FUZZ_HEADER 2
#define FUZZ_SECTORS 64
#define FUZZ_MAX_POPS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *fuzz_buf;
static guest_mem *fuzz_gm;
static struct virtq_chain fuzz_chain;
static struct virtio_blk_disk fuzz_disk;

static bool in_ram(const void *p, uint64_t len)
{
    const uint8_t *b = p;

    return b >= fuzz_buf && len <= FUZZ_MEM_SIZE && b + len <= fuzz_buf + FUZZ_MEM_SIZE;
}

static void check_request(const struct virtq_chain *c, const struct blk_req *r)
{
    uint64_t cap = fuzz_disk.capacity * VIRTIO_BLK_SECTOR;
    uint64_t sum = 0;

    if (r->status != VIRTIO_BLK_S_OK && r->status != VIRTIO_BLK_S_IOERR &&
        r->status != VIRTIO_BLK_S_UNSUPP) {
        abort();
    }
    if (r->status != VIRTIO_BLK_S_OK && r->op != BLK_OP_NONE) {
        abort();
    }
    if (!in_ram(r->status_byte, 1)) {
        abort();
    }
    switch (r->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        if (r->n_iov == 0 || r->n_iov > BLK_REQ_MAX_IOV || r->offset > cap ||
            r->remaining > cap - r->offset || r->remaining % VIRTIO_BLK_SECTOR) {
            abort();
        }
        if (fuzz_disk.readonly && r->op == BLK_OP_WRITE) {
            abort();
        }
        for (unsigned i = 0; i < r->n_iov; i++) {
            if (!in_ram(r->iov[i].iov_base, r->iov[i].iov_len)) {
                abort();
            }
            sum += r->iov[i].iov_len;
        }
        if (sum != r->remaining || (r->op == BLK_OP_READ && r->data_in > c->in_bytes - 1)) {
            abort();
        }
        break;
    case BLK_OP_DISCARD:
    case BLK_OP_WRITE_ZEROES:
        if (fuzz_disk.readonly || r->n_ranges == 0 || r->n_ranges > BLK_DWZ_SEG_MAX) {
            abort();
        }
        for (unsigned i = 0; i < r->n_ranges; i++) {
            if (r->ranges[i].offset > cap || r->ranges[i].len > cap - r->ranges[i].offset) {
                abort();
            }
        }
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct virtq q = { 0 };
    GError *err = NULL;

    if (size < FUZZ_HEADER) {
        return 0;
    }
    if (fuzz_gm == NULL) {
        fuzz_buf = g_malloc(FUZZ_MEM_SIZE);
        fuzz_gm = guest_mem_new_from_buffer(fuzz_buf, FUZZ_MEM_SIZE);
        fuzz_disk.fd = memfd_create("fuzz-virtio-blk", MFD_CLOEXEC);
        if (fuzz_disk.fd < 0) {
            abort();
        }
        fuzz_disk.capacity = FUZZ_SECTORS;
        fuzz_disk.discard_align = 8;
        memcpy(fuzz_disk.serial, "FUZZ", 4);
    }
    /* The same image each time: discards and writes of the last input undone. */
    if (ftruncate(fuzz_disk.fd, 0) < 0 ||
        ftruncate(fuzz_disk.fd, FUZZ_SECTORS * VIRTIO_BLK_SECTOR) < 0) {
        abort();
    }
    fuzz_disk.readonly = data[1] & 1;
    memset(fuzz_buf, 0, FUZZ_MEM_SIZE);
    memcpy(fuzz_buf, data + FUZZ_HEADER, MIN(size - FUZZ_HEADER, FUZZ_MEM_SIZE));

    q.size = 1u << (data[0] % 7);
    q.desc_gpa = 0;
    q.avail_gpa = 0x400;
    q.used_gpa = 0x600;
    q.event_idx = data[1] & 2;
    if (virtq_start(&q, fuzz_gm, &err) < 0) {
        abort();    /* fixed, valid rings */
    }
    for (unsigned n = 0; n < FUZZ_MAX_POPS; n++) {
        const char *reason = NULL;
        struct blk_req *r = &fuzz_disk.scratch;
        uint32_t used;
        int got = virtq_pop(&q, fuzz_gm, &fuzz_chain);

        if (got <= 0) {
            break;
        }
        if (virtio_blk_parse(&fuzz_disk, &fuzz_chain, r, &reason) < 0) {
            if (reason == NULL || reason[0] == '\0') {
                abort();
            }
            break;      /* the device would be marked broken */
        }
        check_request(&fuzz_chain, r);
        blk_io_sync_exec(&fuzz_disk, r);
        used = virtio_blk_finish(r);
        if (used == 0 || used > fuzz_chain.in_bytes) {
            abort();
        }
        virtq_push(&q, fuzz_gm, fuzz_chain.head, used);
    }
    return 0;
}
