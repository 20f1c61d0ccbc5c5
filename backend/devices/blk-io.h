/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk's host I/O. The parser (virtio-blk.c) turns a guest request into
 * a struct blk_req: either a final status, or one operation on the image with
 * its byte ranges checked against the capacity and its guest buffers as an
 * iovec. Two backends carry the operations out:
 * - blk-io-sync.c runs one to completion on the calling thread (preadv,
 *   pwritev, fdatasync, fallocate, BLKDISCARD/BLKZEROOUT). It is the fallback
 *   where io_uring is unavailable, and it serves discard and write-zeroes for
 *   the io_uring backend too (rare, and a block device needs an ioctl);
 * - blk-io-uring.c queues reads, writes and flushes on an io_uring, many in
 *   flight, and also watches the queue's kick eventfd, so that its thread
 *   sleeps in one place.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTIO_BLK_SECTOR 512
#define VIRTIO_BLK_ID_BYTES 20

/* Data segments one read or write may have: seg_max in the config space.
 * The header and the status byte can share descriptors with the data, so an
 * iovec never needs more than two more entries for a driver that keeps to it. */
#define BLK_SEG_MAX 126
#define BLK_REQ_MAX_IOV (BLK_SEG_MAX + 2)
/* Segments of one discard or write-zeroes request (max_discard_seg,
 * max_write_zeroes_seg), and the sectors of one segment. Write-zeroes is
 * smaller: where the file system cannot zero a range it is written. */
#define BLK_DWZ_SEG_MAX 16
#define BLK_MAX_DISCARD_SECTORS (1u << 22)
#define BLK_MAX_WRITE_ZEROES_SECTORS (1u << 16)

enum blk_op {
    BLK_OP_NONE,            /* nothing to do: status is final */
    BLK_OP_READ,
    BLK_OP_WRITE,
    BLK_OP_FLUSH,
    BLK_OP_DISCARD,
    BLK_OP_WRITE_ZEROES,
};

struct blk_range {
    uint64_t offset;        /* bytes, inside the capacity */
    uint64_t len;
    bool unmap;             /* write-zeroes: the guest allows deallocation */
};

struct blk_req {
    enum blk_op op;
    uint8_t status;         /* VIRTIO_BLK_S_*: the result once done */
    uint16_t head;          /* the chain, for virtq_push */
    unsigned gen;           /* the device's reset generation when popped */
    uint32_t data_in;       /* bytes written to the guest's buffers when OK */
    uint8_t *status_byte;   /* the chain's last device-writable byte */
    uint64_t offset;        /* READ, WRITE: where the rest goes, in bytes */
    uint64_t remaining;     /* READ, WRITE: bytes still to move */
    unsigned n_iov;         /* READ, WRITE: the rest of the guest's buffers */
    unsigned n_ranges;      /* DISCARD, WRITE_ZEROES */
    struct blk_req *next;   /* on one of the owner's lists */
    struct blk_range ranges[BLK_DWZ_SEG_MAX];
    struct iovec iov[BLK_REQ_MAX_IOV];
};

/* A singly linked FIFO of requests. */
struct blk_req_list {
    struct blk_req *head;
    struct blk_req **tail;
};

void blk_req_list_init(struct blk_req_list *l);
void blk_req_list_add(struct blk_req_list *l, struct blk_req *r);
struct blk_req *blk_req_list_pop(struct blk_req_list *l);

/* The image and what a request needs; separate from the transport so that the
 * request parser can be tested on a fake chain. */
struct virtio_blk_disk {
    int fd;
    uint64_t capacity;                      /* in 512-byte sectors */
    bool readonly;
    bool blockdev;                          /* BLKDISCARD/BLKZEROOUT, not fallocate */
    uint32_t discard_align;                 /* sectors: the file system's block */
    char serial[VIRTIO_BLK_ID_BYTES];       /* zero-padded, not terminated when full */
    struct blk_req scratch;                 /* virtio_blk_handle's one request */
};

/* Carries out r->op on the calling thread and sets r->status. */
void blk_io_sync_exec(const struct virtio_blk_disk *disk, struct blk_req *r);

/* Moves the first `done` bytes of a read or write out of r (iov, offset,
 * remaining): after a short transfer, what is left to do. */
void blk_req_advance(struct blk_req *r, uint64_t done);

/* ---- io_uring ---- */

typedef struct blk_uring blk_uring;

/*
 * A ring for up to `depth` requests in flight plus the read of kick_fd.
 * NULL with *err set to the errno when io_uring cannot be used here (an old
 * kernel, a sandbox that forbids it): the caller falls back to the sync path.
 */
blk_uring *blk_uring_new(unsigned depth, int image_fd, int kick_fd, int *err);
void blk_uring_free(blk_uring *u);
/* Queues READ, WRITE or FLUSH; the next blk_uring_run submits it. False,
 * with r->status IOERR, when the ring has no room (never in practice). */
bool blk_uring_queue(blk_uring *u, struct blk_req *r);
/*
 * Submits what is queued; then, when wait is true, sleeps until a request
 * completes or the kick eventfd fires. Completed requests (status set) go to
 * done. Returns whether the kick eventfd fired.
 */
bool blk_uring_run(blk_uring *u, bool wait, struct blk_req_list *done);
/* Submits what is queued and waits until nothing is in flight. */
void blk_uring_drain(blk_uring *u, struct blk_req_list *done);
unsigned blk_uring_in_flight(const blk_uring *u);
