/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk requests carried out synchronously on the calling thread: the
 * fallback where io_uring is unavailable or disabled, and discard and
 * write-zeroes in every case. The parser checked every range against the
 * capacity; nothing here trusts the guest further than that.
 */
#include "devices/blk-io.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/virtio-blk.h"

#define ZERO_CHUNK 4096
#define ZERO_IOV 16         /* one pwritev: 64 KiB of zeroes */

void blk_req_list_init(struct blk_req_list *l)
{
    l->head = NULL;
    l->tail = &l->head;
}

void blk_req_list_add(struct blk_req_list *l, struct blk_req *r)
{
    r->next = NULL;
    *l->tail = r;
    l->tail = &r->next;
}

struct blk_req *blk_req_list_pop(struct blk_req_list *l)
{
    struct blk_req *r = l->head;

    if (r) {
        l->head = r->next;
        if (!l->head)
            l->tail = &l->head;
        r->next = NULL;
    }
    return r;
}

void blk_req_advance(struct blk_req *r, uint64_t done)
{
    unsigned i = 0;

    r->offset += done;
    r->remaining -= done;
    while (i < r->n_iov && done >= r->iov[i].iov_len) {
        done -= r->iov[i].iov_len;
        i++;
    }
    if (i < r->n_iov) {
        r->iov[i].iov_base = (uint8_t *)r->iov[i].iov_base + done;
        r->iov[i].iov_len -= done;
    }
    memmove(r->iov, r->iov + i, (r->n_iov - i) * sizeof(r->iov[0]));
    r->n_iov -= i;
}

/* The whole transfer or false; a short read past the end of a file that shrank
 * under us is an error too, not zeroes. */
static bool rw_full(int fd, struct blk_req *r)
{
    bool write = r->op == BLK_OP_WRITE;

    while (r->remaining) {
        ssize_t done = write ? pwritev(fd, r->iov, (int)r->n_iov, (off_t)r->offset)
                             : preadv(fd, r->iov, (int)r->n_iov, (off_t)r->offset);

        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0 || (uint64_t)done > r->remaining)
            return false;
        blk_req_advance(r, (uint64_t)done);
    }
    return true;
}

/* Zeroes written out, for file systems that cannot zero a range in place.
 * Aligned so that it also serves an image opened with O_DIRECT. */
static bool write_zeroes(int fd, uint64_t off, uint64_t len)
{
    static const uint8_t zero[ZERO_CHUNK] __attribute__((aligned(ZERO_CHUNK)));
    struct iovec iov[ZERO_IOV];

    while (len) {
        unsigned n = 0;
        uint64_t chunk = 0;
        ssize_t done;

        for (; n < ZERO_IOV && chunk < len; n++) {
            iov[n].iov_base = (void *)zero;
            iov[n].iov_len = MIN((uint64_t)ZERO_CHUNK, len - chunk);
            chunk += iov[n].iov_len;
        }
        done = pwritev(fd, iov, (int)n, (off_t)off);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return false;
        off += (uint64_t)done;
        len -= (uint64_t)done;
    }
    return true;
}

static bool range_discard(const struct virtio_blk_disk *disk, const struct blk_range *g)
{
    uint64_t range[2] = { g->offset, g->len };
    int r;

    if (disk->blockdev)
        r = ioctl(disk->fd, BLKDISCARD, range);
    else
        r = fallocate(disk->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      (off_t)g->offset, (off_t)g->len);
    /* Discard is a hint: a backing store that cannot deallocate ignores it. */
    return r == 0 || errno == EOPNOTSUPP || errno == ENOTTY;
}

static bool range_write_zeroes(const struct virtio_blk_disk *disk, const struct blk_range *g)
{
    uint64_t range[2] = { g->offset, g->len };
    int mode = g->unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
                        : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;

    if (disk->blockdev) {
        /* The kernel zeroes without unmapping, or with the device's own
         * write-zeroes command. */
        if (ioctl(disk->fd, BLKZEROOUT, range) == 0)
            return true;
    } else if (fallocate(disk->fd, mode, (off_t)g->offset, (off_t)g->len) == 0) {
        return true;
    }
    if (errno != EOPNOTSUPP && errno != ENOTTY && errno != EINVAL)
        return false;
    return write_zeroes(disk->fd, g->offset, g->len);
}

void blk_io_sync_exec(const struct virtio_blk_disk *disk, struct blk_req *r)
{
    bool ok = true;

    switch (r->op) {
    case BLK_OP_NONE:
        return;
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        ok = rw_full(disk->fd, r);
        break;
    case BLK_OP_FLUSH:
        ok = fdatasync(disk->fd) == 0;
        break;
    case BLK_OP_DISCARD:
        for (unsigned i = 0; ok && i < r->n_ranges; i++)
            ok = range_discard(disk, &r->ranges[i]);
        break;
    case BLK_OP_WRITE_ZEROES:
        for (unsigned i = 0; ok && i < r->n_ranges; i++)
            ok = range_write_zeroes(disk, &r->ranges[i]);
        break;
    }
    r->status = ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}
