/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk (virtio 1.x, section 5.2) over a raw image file or a block
 * device: read, write, flush, get-id, discard and write-zeroes, one or more
 * request queues.
 *
 * Each queue has its own thread (under the device seccomp filter), its own
 * kick eventfd (an ioeventfd in the hypervisor) and, unless io_uring is
 * unavailable or disabled, its own io_uring with many requests in flight. The
 * thread holds the transport's lock only to pop chains, parse them and push
 * completions, never while it waits for I/O. Lock order: the transport's lock,
 * then the queue's io lock (ring, request slots, lists).
 *
 * A reset must not let a request finish into rings the driver has since
 * reused: the reset (transport lock held) wakes each queue's thread, takes its
 * io lock and drains its ring itself (the thread, waiting for the transport's
 * lock, cannot); requests popped before the reset carry the old generation and
 * are dropped instead of pushed. Teardown stops the threads, which drain their
 * rings before they end, so no I/O lands in guest RAM after it is unmapped.
 */
#include "devices/virtio-blk.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seccomp/seccomp.h"
#include "vmm/error.h"
#include "vmm/log.h"

#define PCI_CLASS_STORAGE_SCSI 0x010000     /* what other VMMs give virtio-blk */
/* Request slots per queue: a queue deeper than this keeps the rest waiting in
 * its ring until slots come back. */
#define BLK_MAX_IN_FLIGHT 256

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Config space (5.2.4), little-endian. */
#define CFG_CAPACITY 0                  /* le64 */
#define CFG_SEG_MAX 12                  /* le32 */
#define CFG_BLK_SIZE 20                 /* le32 */
#define CFG_NUM_QUEUES 34               /* le16 */
#define CFG_MAX_DISCARD_SECTORS 36      /* le32 */
#define CFG_MAX_DISCARD_SEG 40          /* le32 */
#define CFG_DISCARD_SECTOR_ALIGNMENT 44 /* le32 */
#define CFG_MAX_WRITE_ZEROES_SECTORS 48 /* le32 */
#define CFG_MAX_WRITE_ZEROES_SEG 52     /* le32 */
#define CFG_WRITE_ZEROES_MAY_UNMAP 56   /* u8 */
#define CFG_SIZE 60

struct blk_queue {
    virtio_blk *b;                  /* NULL until set up */
    unsigned index;
    int kick_fd;
    GThread *thread;
    GMutex io_lock;
    blk_uring *uring;               /* NULL: synchronous I/O on the thread */
    struct blk_req *slots;
    struct blk_req_list free;
    struct blk_req_list done;       /* completed, to be pushed */
    struct blk_req_list to_exec;    /* for blk_io_sync_exec, outside the transport's lock */
    struct virtq_chain chain;       /* 16 KiB: not on a stack */
};

struct virtio_blk {
    struct virtio_dev dev;          /* first: the callbacks cast back */
    uint8_t config[CFG_SIZE];
    struct virtio_blk_disk disk;
    unsigned generation;            /* bumped by reset, under the transport's lock */
    int stopping;                   /* atomic */
    unsigned n_queues;
    struct blk_queue *queues;
};

/* ---- the queues ---- */

static void queue_kick(struct blk_queue *q)
{
    uint64_t one = 1;

    /* Only fails when the counter would overflow: the thread is awake anyway. */
    if (q->kick_fd >= 0 && write(q->kick_fd, &one, sizeof(one)) < 0)
        return;
}

/* With the transport's lock and the io lock held: push what completed, then
 * pop, parse and start what the guest queued, as long as slots last. */
static void queue_serve(struct blk_queue *q)
{
    virtio_blk *b = q->b;
    struct virtio_dev *d = &b->dev;
    const guest_mem *gm = vm_guest_mem(d->vm);
    struct virtq *vq = &d->vq[q->index];
    bool ready = d->vq_ready[q->index];
    bool pushed = false;
    struct blk_req *r;
    int got = 0;

    while ((r = blk_req_list_pop(&q->done))) {
        /* Not ready: broken since, the device needs a reset anyway. */
        if (ready && r->gen == b->generation) {
            virtq_push(vq, gm, r->head, virtio_blk_finish(r));
            pushed = true;
        }
        blk_req_list_add(&q->free, r);
    }
    if (!ready)
        return;     /* reset, broken, or not enabled since the kick */
    while (q->free.head && (got = virtq_pop(vq, gm, &q->chain)) == 1) {
        const char *reason = NULL;

        r = blk_req_list_pop(&q->free);
        if (virtio_blk_parse(&b->disk, &q->chain, r, &reason) < 0) {
            blk_req_list_add(&q->free, r);
            virtio_dev_mark_broken(d, reason);
            return;
        }
        r->head = q->chain.head;
        r->gen = b->generation;
        if (r->op == BLK_OP_NONE) {
            virtq_push(vq, gm, r->head, virtio_blk_finish(r));
            pushed = true;
            blk_req_list_add(&q->free, r);
        } else if (q->uring && r->op <= BLK_OP_FLUSH) {
            if (!blk_uring_queue(q->uring, r))
                blk_req_list_add(&q->done, r);
        } else {
            blk_req_list_add(&q->to_exec, r);
        }
    }
    if (got < 0) {
        virtio_dev_mark_broken(d, vq->broken_reason ? vq->broken_reason : _("malformed queue"));
        return;
    }
    if (pushed)
        virtio_dev_notify(d, q->index);
}

/* With the io lock held: sleep until there is something to do (never when
 * completions wait to be pushed), collecting io_uring completions. */
static void queue_wait(struct blk_queue *q)
{
    uint64_t n;

    if (q->uring) {
        blk_uring_run(q->uring, !q->done.head, &q->done);
        return;
    }
    if (q->done.head)
        return;
    g_mutex_unlock(&q->io_lock);
    if (read(q->kick_fd, &n, sizeof(n)) < 0 && errno != EINTR)
        log_warning(_("virtio-blk %s: eventfd: %s"), q->b->dev.id, g_strerror(errno));
    g_mutex_lock(&q->io_lock);
}

static gpointer queue_thread(gpointer data)
{
    struct blk_queue *q = data;
    virtio_blk *b = q->b;
    g_autoptr(GError) error = NULL;
    struct blk_req *r;

    if (seccomp_apply(SECCOMP_THREAD_DEVICE, seccomp_main_mode(), &error) < 0) {
        log_error("%s", error->message);
        vm_request_stop(b->dev.vm, VM_STOP_ERROR);
        return NULL;
    }
    g_mutex_lock(&q->io_lock);
    for (;;) {
        queue_wait(q);
        if (g_atomic_int_get(&b->stopping))
            break;
        g_mutex_unlock(&q->io_lock);
        virtio_dev_lock(&b->dev);
        g_mutex_lock(&q->io_lock);
        queue_serve(q);
        virtio_dev_unlock(&b->dev);
        /* Discard, write-zeroes, or everything without io_uring. */
        while ((r = blk_req_list_pop(&q->to_exec))) {
            blk_io_sync_exec(&b->disk, r);
            blk_req_list_add(&q->done, r);
        }
    }
    /* Nothing may land in guest RAM once the device is gone. */
    if (q->uring)
        blk_uring_drain(q->uring, &q->done);
    g_mutex_unlock(&q->io_lock);
    return NULL;
}

/* ---- device callbacks, with the transport's lock held ---- */

static void blk_queue_notify(struct virtio_dev *d, unsigned qi)
{
    virtio_blk *b = (virtio_blk *)d;

    if (qi < b->n_queues)
        queue_kick(&b->queues[qi]);
}

static void blk_config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t len)
{
    virtio_blk *b = (virtio_blk *)d;

    /* The transport checked off + len <= CFG_SIZE. */
    memcpy(data, b->config + off, len);
}

static void blk_reset(struct virtio_dev *d)
{
    virtio_blk *b = (virtio_blk *)d;

    b->generation++;
    for (unsigned i = 0; i < b->n_queues; i++) {
        struct blk_queue *q = &b->queues[i];

        if (!q->b)
            continue;
        /* A thread asleep in its ring holds the io lock: wake it. Once we have
         * the lock, its thread waits for the transport's lock, which we hold. */
        queue_kick(q);
        g_mutex_lock(&q->io_lock);
        if (q->uring)
            blk_uring_drain(q->uring, &q->done);
        g_mutex_unlock(&q->io_lock);
    }
}

static const struct virtio_dev_ops virtio_blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .pci_class = PCI_CLASS_STORAGE_SCSI,
    .num_queues = 1,
    .max_queue_size = VM_CONFIG_DEFAULT_DISK_QUEUE_SIZE,
    .features = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_F_RING_INDIRECT_DESC |
                1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
                1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_MQ,
    .config_size = CFG_SIZE,
    .config_read = blk_config_read,
    .queue_notify = blk_queue_notify,
    .reset = blk_reset,
};

/* ---- set-up ---- */

static void put_le(uint8_t *p, uint64_t v, unsigned len)
{
    for (unsigned i = 0; i < len; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void config_init(virtio_blk *b)
{
    uint8_t *c = b->config;

    put_le(c + CFG_CAPACITY, b->disk.capacity, 8);
    put_le(c + CFG_SEG_MAX, BLK_SEG_MAX, 4);
    put_le(c + CFG_BLK_SIZE, VIRTIO_BLK_SECTOR, 4);
    put_le(c + CFG_NUM_QUEUES, b->n_queues, 2);
    if (b->disk.readonly)
        return;     /* no discard or write-zeroes offered */
    put_le(c + CFG_MAX_DISCARD_SECTORS, BLK_MAX_DISCARD_SECTORS, 4);
    put_le(c + CFG_MAX_DISCARD_SEG, BLK_DWZ_SEG_MAX, 4);
    put_le(c + CFG_DISCARD_SECTOR_ALIGNMENT, b->disk.discard_align, 4);
    put_le(c + CFG_MAX_WRITE_ZEROES_SECTORS, BLK_MAX_WRITE_ZEROES_SECTORS, 4);
    put_le(c + CFG_MAX_WRITE_ZEROES_SEG, BLK_DWZ_SEG_MAX, 4);
    c[CFG_WRITE_ZEROES_MAY_UNMAP] = 1;
}

static int disk_open(struct virtio_blk_disk *disk, const struct disk_config *p,
                     GError **error)
{
    /* O_NONBLOCK: a FIFO must not hang the open; cleared below, since io_uring
     * would pass EAGAIN through for a non-blocking file. */
    int flags = (p->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK |
                (p->direct ? O_DIRECT : 0);
    const char *serial = p->serial ? p->serial : p->id;
    struct stat st;
    uint64_t bytes;
    int fl;

    disk->fd = open(p->path, flags);
    if (disk->fd < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("--disk: cannot open %s: %s"),
                    p->path, g_strerror(errno));
        return -1;
    }
    if (fstat(disk->fd, &st) < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("--disk: %s: %s"), p->path,
                    g_strerror(errno));
        return -1;
    }
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(disk->fd, BLKGETSIZE64, &bytes) < 0) {
            g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                        _("--disk: %s: cannot read the block device's size: %s"), p->path,
                        g_strerror(errno));
            return -1;
        }
        disk->blockdev = true;
    } else if (S_ISREG(st.st_mode)) {
        bytes = (uint64_t)st.st_size;
    } else {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    _("--disk: %s is neither a regular file nor a block device"), p->path);
        return -1;
    }
    fl = fcntl(disk->fd, F_GETFL);
    if (fl < 0 || fcntl(disk->fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("--disk: %s: %s"), p->path,
                    g_strerror(errno));
        return -1;
    }
    /* A tail shorter than a sector is left out, as other VMMs do. */
    disk->capacity = bytes / VIRTIO_BLK_SECTOR;
    disk->readonly = p->readonly;
    disk->discard_align = MAX((uint32_t)st.st_blksize / VIRTIO_BLK_SECTOR, 1u);
    memset(disk->serial, 0, sizeof(disk->serial));
    memcpy(disk->serial, serial, MIN(strlen(serial), sizeof(disk->serial)));
    return 0;
}

static int queue_init(virtio_blk *b, unsigned i, bool try_uring, GError **error)
{
    static int told;
    struct blk_queue *q = &b->queues[i];
    unsigned n_slots = MIN(b->dev.max_queue_size, BLK_MAX_IN_FLIGHT);
    int err = 0;

    g_mutex_init(&q->io_lock);
    q->index = i;
    q->kick_fd = eventfd(0, EFD_CLOEXEC);
    if (q->kick_fd < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, "eventfd: %s", g_strerror(errno));
        return -1;
    }
    q->slots = g_new0(struct blk_req, n_slots);
    blk_req_list_init(&q->free);
    blk_req_list_init(&q->done);
    blk_req_list_init(&q->to_exec);
    for (unsigned s = 0; s < n_slots; s++)
        blk_req_list_add(&q->free, &q->slots[s]);
    if (try_uring) {
        q->uring = blk_uring_new(n_slots, b->disk.fd, q->kick_fd, &err);
        if (!q->uring && !g_atomic_int_exchange(&told, 1))
            log_info(_("virtio-blk: io_uring is unavailable (%s): synchronous I/O"),
                     g_strerror(err));
    }
    q->b = b;
    return 0;
}

virtio_blk *virtio_blk_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              const struct disk_config *p, GError **error)
{
    g_autoptr(virtio_blk) b = g_new0(virtio_blk, 1);
    unsigned nq = p->num_queues ? p->num_queues : VM_CONFIG_DEFAULT_DISK_QUEUES;
    unsigned qs = p->queue_size ? p->queue_size : VM_CONFIG_DEFAULT_DISK_QUEUE_SIZE;

    b->disk.fd = -1;
    if (nq > VIRTIO_DEV_MAX_QUEUES || qs < 2 || qs > VIRTQ_MAX_SIZE || (qs & (qs - 1))) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("--disk: %u queues of %u entries are not possible"), nq, qs);
        return NULL;
    }
    b->dev.ops = &virtio_blk_ops;
    b->dev.vm = vm;
    b->dev.id = g_strdup(p->id);
    b->dev.num_queues = nq;
    b->dev.max_queue_size = qs;
    if (disk_open(&b->disk, p, error) < 0)
        return NULL;
    b->dev.host_features = virtio_blk_ops.features |
        (p->readonly ? 1ULL << VIRTIO_BLK_F_RO
                     : 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
    b->queues = g_new0(struct blk_queue, nq);
    b->n_queues = nq;
    for (unsigned i = 0; i < nq; i++)
        b->queues[i].kick_fd = -1;
    for (unsigned i = 0; i < nq; i++) {
        if (queue_init(b, i, !p->disable_io_uring, error) < 0)
            return NULL;
    }
    config_init(b);
    if (!virtio_pci_create(vm, host, slot, bar_gpa, &b->dev, error))
        return NULL;
    for (unsigned i = 0; i < nq; i++) {
        struct blk_queue *q = &b->queues[i];
        g_autofree char *name = g_strdup_printf("virtio-blk %s q%u", p->id, i);

        if (virtio_dev_bind_notify_fd(&b->dev, i, q->kick_fd, error) < 0)
            return NULL;
        q->thread = g_thread_try_new(name, queue_thread, q, error);
        if (!q->thread)
            return NULL;
    }
    log_info(_("virtio-blk %s: %s, %" G_GUINT64_FORMAT " sectors, %u queue(s) of %u, %s"),
             p->id, p->path, b->disk.capacity, nq, qs,
             b->queues[0].uring ? "io_uring" : _("synchronous I/O"));
    return g_steal_pointer(&b);
}

bool virtio_blk_uses_io_uring(const virtio_blk *b)
{
    return b->n_queues && b->queues[0].uring;
}

void virtio_blk_free(virtio_blk *b)
{
    if (!b)
        return;
    g_atomic_int_set(&b->stopping, 1);
    for (unsigned i = 0; i < b->n_queues; i++) {
        struct blk_queue *q = &b->queues[i];

        if (q->thread) {
            queue_kick(q);
            g_thread_join(q->thread);
        }
    }
    virtio_pci_free(b->dev.transport);
    for (unsigned i = 0; i < b->n_queues; i++) {
        struct blk_queue *q = &b->queues[i];

        blk_uring_free(q->uring);
        if (q->kick_fd >= 0)
            close(q->kick_fd);
        if (q->b)
            g_mutex_clear(&q->io_lock);
        g_free(q->slots);
    }
    g_free(b->queues);
    if (b->disk.fd >= 0)
        close(b->disk.fd);
    g_free(b->dev.id);
    g_free(b);
}
