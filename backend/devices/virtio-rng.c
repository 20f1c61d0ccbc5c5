/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-rng (virtio 1.x, section 5.4): one queue of device-writable buffers,
 * filled from a host file (/dev/urandom by default). A guest kick signals an
 * eventfd (an ioeventfd in the hypervisor; odd-sized kicks come through
 * queue_notify and write it on the vCPU thread); the device's own thread, under
 * the device seccomp filter, reads the source and completes the buffers.
 */
#include "devices/virtio-rng.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <unistd.h>

#include "devices/virtio-worker.h"
#include "vmm/error.h"
#include "vmm/log.h"

#define RNG_QUEUE_SIZE 256
#define PCI_CLASS_OTHER 0xff0000    /* "unassigned class", as other VMMs use for rng */

struct virtio_rng {
    struct virtio_dev dev;          /* first: the callbacks cast back */
    int fd;                         /* the entropy source */
    struct virtio_worker worker;
    struct virtq_chain chain;       /* 16 KiB: kept here, not on a stack */
};

/* Fills one writable segment; false on a read error or end of file. */
static bool fill(virtio_rng *r, uint8_t *dst, uint32_t len)
{
    while (len) {
        ssize_t n = read(r->fd, dst, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        dst += n;
        len -= (uint32_t)n;
    }
    return true;
}

/* With the transport's lock held. */
static void rng_process(struct virtio_dev *dev)
{
    virtio_rng *r = (virtio_rng *)dev;
    struct virtio_dev *d = &r->dev;
    const guest_mem *gm = vm_guest_mem(d->vm);
    struct virtq_chain *c = &r->chain;
    int got;

    if (!d->vq_ready[0])
        return;     /* reset, broken, or not enabled since the kick */
    while ((got = virtq_pop(&d->vq[0], gm, c)) == 1) {
        uint32_t written = 0;

        for (unsigned i = c->n_out; i < c->n_out + c->n_in; i++) {
            if (!fill(r, c->seg[i].host, c->seg[i].len)) {
                virtio_dev_mark_broken(d, _("reading the entropy source failed"));
                return;
            }
            written += c->seg[i].len;
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

static void rng_queue_notify(struct virtio_dev *d, unsigned q)
{
    virtio_worker_wake(&((virtio_rng *)d)->worker);
}

static const struct virtio_dev_ops virtio_rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .pci_class = PCI_CLASS_OTHER,
    .num_queues = 1,
    .max_queue_size = RNG_QUEUE_SIZE,
    .features = 1ULL << VIRTIO_F_RING_EVENT_IDX,
    .config_size = 0,
    .queue_notify = rng_queue_notify,
};

virtio_rng *virtio_rng_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              const char *id, const char *src, GError **error)
{
    g_autoptr(virtio_rng) r = g_new0(virtio_rng, 1);

    r->dev.ops = &virtio_rng_ops;
    r->dev.vm = vm;
    r->dev.id = g_strdup(id);
    r->dev.host_features = virtio_rng_ops.features;
    r->fd = open(src, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("--rng: cannot open %s: %s"), src,
                    g_strerror(errno));
        return NULL;
    }
    if (!virtio_pci_create(vm, host, slot, bar_gpa, &r->dev, error) ||
        virtio_worker_start(&r->worker, &r->dev, rng_process, error) < 0)
        return NULL;
    return g_steal_pointer(&r);
}

void virtio_rng_free(virtio_rng *r)
{
    if (!r)
        return;
    virtio_worker_stop(&r->worker);
    virtio_pci_free(r->dev.transport);
    if (r->fd >= 0)
        close(r->fd);
    g_free(r->dev.id);
    g_free(r);
}
