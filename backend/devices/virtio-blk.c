/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-blk (virtio 1.x, section 5.2): one request queue over a raw image.
 * As virtio-rng: guest kicks signal an eventfd (an ioeventfd in the
 * hypervisor), and the device's own thread, under the device seccomp filter,
 * serves the chains. I/O is synchronous preadv/pwritev on that thread, one
 * request at a time: simple and enough for a first cut; io_uring (with this as
 * the fallback) is a later step.
 */
#include "devices/virtio-blk.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio-worker.h"
#include "vmm/error.h"
#include "vmm/log.h"

#define BLK_QUEUE_SIZE 256
#define PCI_CLASS_STORAGE_SCSI 0x010000     /* what other VMMs give virtio-blk */

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

/* Config space (5.2.4) up to blk_size, all that the features above need. */
#define CFG_CAPACITY 0          /* le64 */
#define CFG_SIZE_MAX 8          /* le32, unused: SIZE_MAX not offered */
#define CFG_SEG_MAX 12          /* le32 */
#define CFG_GEOMETRY 16         /* 4 bytes, unused */
#define CFG_BLK_SIZE 20         /* le32 */
#define CFG_SIZE 24

#define HDR_SIZE 16             /* le32 type, le32 reserved, le64 sector */
/* Header and status take a descriptor each at least. */
#define BLK_SEG_MAX (VIRTQ_MAX_SEGS - 2)

struct virtio_blk {
    struct virtio_dev dev;          /* first: the callbacks cast back */
    struct virtio_worker worker;
    uint8_t config[CFG_SIZE];
    struct virtq_chain chain;       /* 16 KiB: kept here, not on a stack */
    struct virtio_blk_disk disk;
};

/* Fills iov with bytes [start, start + len) of the chain's out-segments
 * (writable false) or in-segments; returns the count, or -1 when they end first. */
static int iov_from_chain(const struct virtq_chain *c, bool writable, uint64_t start,
                          uint64_t len, struct iovec *iov)
{
    unsigned first = writable ? c->n_out : 0;
    unsigned end = writable ? c->n_out + c->n_in : c->n_out;
    int n = 0;

    for (unsigned i = first; i < end && len; i++) {
        uint64_t seg = c->seg[i].len;

        if (start >= seg) {
            start -= seg;
            continue;
        }
        iov[n].iov_base = c->seg[i].host + start;
        iov[n].iov_len = MIN(seg - start, len);
        len -= iov[n].iov_len;
        start = 0;
        n++;
    }
    return len ? -1 : n;
}

/* The whole transfer or false; a short read past the end of a file that shrank
 * under us is an error too, not zeroes. */
static bool rw_full(int fd, bool write, struct iovec *iov, int n, uint64_t off)
{
    while (n > 0) {
        ssize_t done = write ? pwritev(fd, iov, n, (off_t)off) : preadv(fd, iov, n, (off_t)off);

        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return false;
        off += (uint64_t)done;
        while (n > 0 && (size_t)done >= iov->iov_len) {
            done -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + done;
            iov->iov_len -= (size_t)done;
        }
    }
    return true;
}

/* Checks the range and moves the data; returns a VIRTIO_BLK_S_* status. */
static uint8_t blk_rw(struct virtio_blk_disk *disk, const struct virtq_chain *c, bool write,
                      uint64_t sector, uint64_t len)
{
    int n;

    /* The used length is 32 bits; 1024 segments could describe more. */
    if (len % VIRTIO_BLK_SECTOR || len >= UINT32_MAX)
        return VIRTIO_BLK_S_IOERR;
    if (write && disk->readonly)
        return VIRTIO_BLK_S_IOERR;
    /* sector + len / 512 <= capacity, written so that nothing can overflow. */
    if (sector > disk->capacity || len / VIRTIO_BLK_SECTOR > disk->capacity - sector)
        return VIRTIO_BLK_S_IOERR;
    if (!len)
        return VIRTIO_BLK_S_OK;
    n = write ? iov_from_chain(c, false, HDR_SIZE, len, disk->iov)
              : iov_from_chain(c, true, 0, len, disk->iov);
    if (n < 0)
        return VIRTIO_BLK_S_IOERR;      /* cannot happen: len came from the chain */
    return rw_full(disk->fd, write, disk->iov, n, sector * VIRTIO_BLK_SECTOR)
           ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

int virtio_blk_handle(struct virtio_blk_disk *disk, const struct virtq_chain *c,
                      uint32_t *written, const char **reason)
{
    uint8_t hdr[HDR_SIZE];
    uint64_t data_in, sector;
    uint32_t type;
    uint8_t status;

    *written = 0;
    /* The guest can rewrite the header under us: one copy, then only the copy. */
    if (virtq_chain_read(c, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
        *reason = _("request without a 16-byte header");
        return -1;
    }
    if (c->n_in == 0 || c->in_bytes == 0) {
        *reason = _("request without a writable status byte");
        return -1;
    }
    memcpy(&type, hdr, sizeof(type));
    type = GUINT32_FROM_LE(type);
    memcpy(&sector, hdr + 8, sizeof(sector));
    sector = GUINT64_FROM_LE(sector);
    data_in = c->in_bytes - 1;

    switch (type) {
    case VIRTIO_BLK_T_IN:
        status = blk_rw(disk, c, false, sector, data_in);
        if (status == VIRTIO_BLK_S_OK)
            *written = (uint32_t)data_in;   /* blk_rw refuses more than fits */
        break;
    case VIRTIO_BLK_T_OUT:
        status = blk_rw(disk, c, true, sector, c->out_bytes - HDR_SIZE);
        break;
    case VIRTIO_BLK_T_FLUSH:
        status = disk->readonly || fdatasync(disk->fd) == 0 ? VIRTIO_BLK_S_OK
                                                            : VIRTIO_BLK_S_IOERR;
        break;
    case VIRTIO_BLK_T_GET_ID: {
        size_t n = MIN(data_in, (uint64_t)VIRTIO_BLK_ID_BYTES);

        *written = (uint32_t)virtq_chain_write(c, 0, disk->serial, n);
        status = VIRTIO_BLK_S_OK;
        break;
    }
    default:
        status = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    /* The status byte is the last byte of the in-segments; a read's data
     * (written in full when the status is OK) comes before it. */
    virtq_chain_write(c, c->in_bytes - 1, &status, 1);
    *written += 1;
    return 0;
}

/* With the transport's lock held. */
static void blk_process(struct virtio_dev *dev)
{
    virtio_blk *b = (virtio_blk *)dev;
    struct virtio_dev *d = &b->dev;
    const guest_mem *gm = vm_guest_mem(d->vm);
    struct virtq_chain *c = &b->chain;
    int got;

    if (!d->vq_ready[0])
        return;     /* reset, broken, or not enabled since the kick */
    while ((got = virtq_pop(&d->vq[0], gm, c)) == 1) {
        const char *reason = NULL;
        uint32_t written;

        if (virtio_blk_handle(&b->disk, c, &written, &reason) < 0) {
            virtio_dev_mark_broken(d, reason);
            return;
        }
        virtq_push(&d->vq[0], gm, c->head, written);
    }
    if (got < 0) {
        virtio_dev_mark_broken(d, d->vq[0].broken_reason ? d->vq[0].broken_reason
                                                         : _("malformed queue"));
        return;
    }
    virtio_dev_notify(d, 0);
}

static void blk_queue_notify(struct virtio_dev *d, unsigned q)
{
    virtio_worker_wake(&((virtio_blk *)d)->worker);
}

static void blk_config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t len)
{
    virtio_blk *b = (virtio_blk *)d;

    /* The transport checked off + len <= CFG_SIZE. */
    memcpy(data, b->config + off, len);
}

static const struct virtio_dev_ops virtio_blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .pci_class = PCI_CLASS_STORAGE_SCSI,
    .num_queues = 1,
    .max_queue_size = BLK_QUEUE_SIZE,
    .features = 1ULL << VIRTIO_F_RING_EVENT_IDX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
                1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH,
    .config_size = CFG_SIZE,
    .config_read = blk_config_read,
    .queue_notify = blk_queue_notify,
};

static void config_init(virtio_blk *b)
{
    uint64_t cap = GUINT64_TO_LE(b->disk.capacity);
    uint32_t seg_max = GUINT32_TO_LE(BLK_SEG_MAX);
    uint32_t blk_size = GUINT32_TO_LE(VIRTIO_BLK_SECTOR);

    memcpy(b->config + CFG_CAPACITY, &cap, sizeof(cap));
    memcpy(b->config + CFG_SEG_MAX, &seg_max, sizeof(seg_max));
    memcpy(b->config + CFG_BLK_SIZE, &blk_size, sizeof(blk_size));
}

static int disk_open(struct virtio_blk_disk *disk, const struct disk_config *p,
                     GError **error)
{
    int flags = (p->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (p->direct ? O_DIRECT : 0);
    const char *serial = p->serial ? p->serial : p->id;
    struct stat st;

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
    if (!S_ISREG(st.st_mode)) {
        /* Block devices need BLKGETSIZE64; raw image files only for now. */
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    _("--disk: %s is not a regular file"), p->path);
        return -1;
    }
    /* A tail shorter than a sector is left out, as other VMMs do. */
    disk->capacity = (uint64_t)st.st_size / VIRTIO_BLK_SECTOR;
    disk->readonly = p->readonly;
    memset(disk->serial, 0, sizeof(disk->serial));
    memcpy(disk->serial, serial, MIN(strlen(serial), sizeof(disk->serial)));
    return 0;
}

virtio_blk *virtio_blk_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              const struct disk_config *p, GError **error)
{
    g_autoptr(virtio_blk) b = g_new0(virtio_blk, 1);

    b->dev.ops = &virtio_blk_ops;
    b->dev.vm = vm;
    b->dev.id = g_strdup(p->id);
    b->dev.host_features = virtio_blk_ops.features | (p->readonly ? 1ULL << VIRTIO_BLK_F_RO : 0);
    b->disk.fd = -1;
    if (disk_open(&b->disk, p, error) < 0)
        return NULL;
    config_init(b);
    if (!virtio_pci_create(vm, host, slot, bar_gpa, &b->dev, error) ||
        virtio_worker_start(&b->worker, &b->dev, blk_process, error) < 0)
        return NULL;
    return g_steal_pointer(&b);
}

void virtio_blk_free(virtio_blk *b)
{
    if (!b)
        return;
    virtio_worker_stop(&b->worker);
    virtio_pci_free(b->dev.transport);
    if (b->disk.fd >= 0)
        close(b->disk.fd);
    g_free(b->dev.id);
    g_free(b);
}
