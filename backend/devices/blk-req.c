/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk's request parser: a guest chain in, a struct blk_req out, with
 * every length, sector range, segment count and flag checked (virtio 1.x,
 * 5.2.6). The guest may rewrite its buffers at any time, so the header and the
 * discard/write-zeroes segments are copied out once and only the copies are
 * used. Kept apart from the device so that unit tests and the fuzz target run
 * it on fake chains without a transport.
 */
#include "devices/virtio-blk.h"

#include <glib/gi18n.h>
#include <string.h>

#define HDR_SIZE 16             /* le32 type, le32 reserved, le64 sector */

/* Fills iov with bytes [start, start + len) of the chain's out-segments
 * (writable false) or in-segments; returns the count, or -1 when they end
 * first or need more than max entries. */
static int iov_from_chain(const struct virtq_chain *c, bool writable, uint64_t start,
                          uint64_t len, struct iovec *iov, unsigned max)
{
    unsigned first = writable ? c->n_out : 0;
    unsigned end = writable ? c->n_out + c->n_in : c->n_out;
    unsigned n = 0;

    for (unsigned i = first; i < end && len; i++) {
        uint64_t seg = c->seg[i].len;

        if (start >= seg) {
            start -= seg;
            continue;
        }
        if (n == max)
            return -1;
        iov[n].iov_base = c->seg[i].host + start;
        iov[n].iov_len = MIN(seg - start, len);
        len -= iov[n].iov_len;
        start = 0;
        n++;
    }
    return len ? -1 : (int)n;
}

/* sector + sectors <= capacity, written so that nothing can overflow. */
static bool in_range(const struct virtio_blk_disk *disk, uint64_t sector, uint64_t sectors)
{
    return sector <= disk->capacity && sectors <= disk->capacity - sector;
}

static uint8_t rw_setup(const struct virtio_blk_disk *disk, const struct virtq_chain *c,
                        bool write, uint64_t sector, uint64_t len, struct blk_req *r)
{
    int n;

    /* The used length is 32 bits; 1024 segments could describe more. */
    if (len % VIRTIO_BLK_SECTOR || len >= UINT32_MAX)
        return VIRTIO_BLK_S_IOERR;
    if (write && disk->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (!in_range(disk, sector, len / VIRTIO_BLK_SECTOR))
        return VIRTIO_BLK_S_IOERR;
    if (!len)
        return VIRTIO_BLK_S_OK;
    n = write ? iov_from_chain(c, false, HDR_SIZE, len, r->iov, BLK_REQ_MAX_IOV)
              : iov_from_chain(c, true, 0, len, r->iov, BLK_REQ_MAX_IOV);
    if (n < 0)
        return VIRTIO_BLK_S_IOERR;      /* more segments than seg_max allows */
    r->op = write ? BLK_OP_WRITE : BLK_OP_READ;
    r->n_iov = (unsigned)n;
    r->offset = sector * VIRTIO_BLK_SECTOR;
    r->remaining = len;
    if (!write)
        r->data_in = (uint32_t)len;
    return VIRTIO_BLK_S_OK;
}

/* Discard and write-zeroes: an array of 16-byte segments after the header. */
static uint8_t dwz_setup(const struct virtio_blk_disk *disk, const struct virtq_chain *c,
                         bool zeroes, struct blk_req *r)
{
    uint8_t raw[BLK_DWZ_SEG_MAX * VIRTIO_BLK_DWZ_SIZE];
    uint64_t bytes = c->out_bytes - HDR_SIZE;
    uint32_t max_sectors = zeroes ? BLK_MAX_WRITE_ZEROES_SECTORS : BLK_MAX_DISCARD_SECTORS;
    unsigned n;
    bool bad_range = false;

    if (disk->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (bytes == 0 || bytes % VIRTIO_BLK_DWZ_SIZE || bytes / VIRTIO_BLK_DWZ_SIZE > BLK_DWZ_SEG_MAX)
        return VIRTIO_BLK_S_IOERR;
    n = (unsigned)(bytes / VIRTIO_BLK_DWZ_SIZE);
    /* One copy: the guest may rewrite the segments while we look at them. */
    if (virtq_chain_read(c, HDR_SIZE, raw, bytes) != bytes)
        return VIRTIO_BLK_S_IOERR;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *s = raw + i * VIRTIO_BLK_DWZ_SIZE;
        uint64_t sector;
        uint32_t sectors;
        uint32_t flags;

        memcpy(&sector, s, 8);
        memcpy(&sectors, s + 8, 4);
        memcpy(&flags, s + 12, 4);
        sector = GUINT64_FROM_LE(sector);
        sectors = GUINT32_FROM_LE(sectors);
        flags = GUINT32_FROM_LE(flags);
        /* 5.2.6.2: unknown flags, or unmap on a discard, are UNSUPP whatever
         * else is wrong with the request. */
        if (flags & ~(uint32_t)VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP || (!zeroes && flags))
            return VIRTIO_BLK_S_UNSUPP;
        if (sectors > max_sectors || !in_range(disk, sector, sectors))
            bad_range = true;
        r->ranges[i] = (struct blk_range){ .offset = sector * VIRTIO_BLK_SECTOR,
                                           .len = (uint64_t)sectors * VIRTIO_BLK_SECTOR,
                                           .unmap = flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP };
    }
    if (bad_range)
        return VIRTIO_BLK_S_IOERR;
    r->op = zeroes ? BLK_OP_WRITE_ZEROES : BLK_OP_DISCARD;
    r->n_ranges = n;
    return VIRTIO_BLK_S_OK;
}

int virtio_blk_parse(const struct virtio_blk_disk *disk, const struct virtq_chain *c,
                     struct blk_req *r, const char **reason)
{
    const struct virtq_seg *last;
    uint8_t hdr[HDR_SIZE];
    uint64_t sector;
    uint32_t type;

    /* The guest can rewrite the header under us: one copy, then only the copy. */
    if (virtq_chain_read(c, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
        *reason = _("request without a 16-byte header");
        return -1;
    }
    if (c->n_in == 0 || c->in_bytes == 0) {
        *reason = _("request without a writable status byte");
        return -1;
    }
    /* The status byte is the last byte of the in-segments (none is empty). */
    last = &c->seg[c->n_out + c->n_in - 1];
    r->status_byte = last->host + last->len - 1;
    r->op = BLK_OP_NONE;
    r->data_in = 0;
    r->n_iov = 0;
    r->n_ranges = 0;
    r->remaining = 0;
    memcpy(&type, hdr, sizeof(type));
    type = GUINT32_FROM_LE(type);
    memcpy(&sector, hdr + 8, sizeof(sector));
    sector = GUINT64_FROM_LE(sector);

    switch (type) {
    case VIRTIO_BLK_T_IN:
        r->status = rw_setup(disk, c, false, sector, c->in_bytes - 1, r);
        break;
    case VIRTIO_BLK_T_OUT:
        r->status = rw_setup(disk, c, true, sector, c->out_bytes - HDR_SIZE, r);
        break;
    case VIRTIO_BLK_T_FLUSH:
        r->status = VIRTIO_BLK_S_OK;
        if (!disk->readonly)
            r->op = BLK_OP_FLUSH;
        break;
    case VIRTIO_BLK_T_GET_ID: {
        size_t n = MIN(c->in_bytes - 1, (uint64_t)VIRTIO_BLK_ID_BYTES);

        r->data_in = (uint32_t)virtq_chain_write(c, 0, disk->serial, n);
        r->status = VIRTIO_BLK_S_OK;
        break;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        r->status = dwz_setup(disk, c, type == VIRTIO_BLK_T_WRITE_ZEROES, r);
        break;
    default:
        r->status = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    if (r->status != VIRTIO_BLK_S_OK)
        r->op = BLK_OP_NONE;
    return 0;
}

uint32_t virtio_blk_finish(const struct blk_req *r)
{
    /* A read's data came before the status byte, in full when OK. */
    __atomic_store_n(r->status_byte, r->status, __ATOMIC_RELAXED);
    return (r->status == VIRTIO_BLK_S_OK ? r->data_in : 0) + 1;
}

int virtio_blk_handle(struct virtio_blk_disk *disk, const struct virtq_chain *c,
                      uint32_t *written, const char **reason)
{
    struct blk_req *r = &disk->scratch;

    *written = 0;
    if (virtio_blk_parse(disk, c, r, reason) < 0)
        return -1;
    blk_io_sync_exec(disk, r);
    *written = virtio_blk_finish(r);
    return 0;
}
