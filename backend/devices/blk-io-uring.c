/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk reads, writes and flushes on an io_uring: one ring per queue,
 * many requests in flight. The ring also reads the queue's kick eventfd, so
 * the queue's thread sleeps in one io_uring_enter for kicks and completions
 * alike, and submits new requests in the same call.
 *
 * Not thread-safe: the caller serialises every call on one ring (virtio-blk.c
 * holds the queue's io lock). Several threads may take turns, which is how a
 * device reset drains the ring while the queue's thread waits for the
 * transport's lock. Requests stay on the kernel's default task-work
 * notification (no COOP/DEFER_TASKRUN), so that their completions are posted
 * even while the submitting thread sleeps on a lock.
 *
 * io_uring operations do not pass through seccomp; they only touch the image
 * descriptor given here and guest memory.
 */
#include "devices/blk-io.h"

#include <errno.h>
#include <liburing.h>

#include "devices/virtio-blk.h"

#define KICK_TAG 1      /* user_data of the eventfd read; requests are pointers */

struct blk_uring {
    struct io_uring ring;
    int image_fd;
    int kick_fd;
    uint64_t kick_buf;
    bool kick_armed;
    unsigned in_flight;     /* requests submitted or queued, not completed */
};

static struct io_uring_sqe *get_sqe(blk_uring *u)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

    if (!sqe) {
        /* The ring holds depth + 1 entries, so this only happens when a
         * previous submit was cut short: push what is queued and retry. */
        io_uring_submit(&u->ring);
        sqe = io_uring_get_sqe(&u->ring);
    }
    return sqe;
}

static void arm_kick(blk_uring *u)
{
    struct io_uring_sqe *sqe;

    if (u->kick_armed || u->kick_fd < 0)
        return;
    sqe = get_sqe(u);
    if (!sqe)
        return;     /* retried at the next run */
    io_uring_prep_read(sqe, u->kick_fd, &u->kick_buf, sizeof(u->kick_buf), 0);
    io_uring_sqe_set_data64(sqe, KICK_TAG);
    u->kick_armed = true;
}

/* Queues what is left of r; false when no submission entry was free. */
static bool prep(blk_uring *u, struct blk_req *r)
{
    struct io_uring_sqe *sqe = get_sqe(u);

    if (!sqe)
        return false;
    switch (r->op) {
    case BLK_OP_READ:
        io_uring_prep_readv(sqe, u->image_fd, r->iov, r->n_iov, r->offset);
        break;
    case BLK_OP_WRITE:
        io_uring_prep_writev(sqe, u->image_fd, r->iov, r->n_iov, r->offset);
        break;
    default:
        io_uring_prep_fsync(sqe, u->image_fd, IORING_FSYNC_DATASYNC);
        break;
    }
    io_uring_sqe_set_data(sqe, r);
    return true;
}

blk_uring *blk_uring_new(unsigned depth, int image_fd, int kick_fd, int *err)
{
    g_autofree blk_uring *u = g_new0(blk_uring, 1);
    int r;

    /* Requests, the kick read, and one spare. */
    r = io_uring_queue_init(depth + 2, &u->ring, 0);
    if (r < 0) {
        *err = -r;
        return NULL;
    }
    u->image_fd = image_fd;
    u->kick_fd = kick_fd;
    return g_steal_pointer(&u);
}

void blk_uring_free(blk_uring *u)
{
    if (!u)
        return;
    io_uring_queue_exit(&u->ring);
    g_free(u);
}

bool blk_uring_queue(blk_uring *u, struct blk_req *r)
{
    if (!prep(u, r)) {
        r->status = VIRTIO_BLK_S_IOERR;
        return false;
    }
    u->in_flight++;
    return true;
}

/* One completion: a request done, or more of it queued after a short transfer. */
static void complete(blk_uring *u, struct blk_req *r, int res, struct blk_req_list *done)
{
    if (res >= 0 && (r->op == BLK_OP_READ || r->op == BLK_OP_WRITE) &&
        (uint64_t)res < r->remaining) {
        if (res > 0) {
            blk_req_advance(r, (uint64_t)res);
            if (prep(u, r))
                return;
        }
        res = -EIO;     /* end of file (the image shrank), or no entry to retry */
    }
    r->status = res >= 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
    u->in_flight--;
    blk_req_list_add(done, r);
}

static bool reap(blk_uring *u, struct blk_req_list *done)
{
    struct io_uring_cqe *cqe;
    unsigned head;
    unsigned n = 0;
    bool kicked = false;

    io_uring_for_each_cqe(&u->ring, head, cqe) {
        n++;
        if (cqe->user_data == KICK_TAG) {
            u->kick_armed = false;
            kicked = true;
            continue;
        }
        complete(u, io_uring_cqe_get_data(cqe), cqe->res, done);
    }
    io_uring_cq_advance(&u->ring, n);
    return kicked;
}

bool blk_uring_run(blk_uring *u, bool wait, struct blk_req_list *done)
{
    bool kicked;
    int r;

    arm_kick(u);
    do {
        r = io_uring_submit_and_wait(&u->ring, wait ? 1 : 0);
    } while (r == -EINTR);
    kicked = reap(u, done);
    /* Re-armed at once, so that a kick while the caller works wakes the next run. */
    arm_kick(u);
    return kicked;
}

void blk_uring_drain(blk_uring *u, struct blk_req_list *done)
{
    while (u->in_flight) {
        int r = io_uring_submit_and_wait(&u->ring, 1);

        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
            break;      /* cannot happen with a valid ring */
        reap(u, done);
    }
}

unsigned blk_uring_in_flight(const blk_uring *u)
{
    return u->in_flight;
}
