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
#include <sys/eventfd.h>
#include <unistd.h>

#include "seccomp/seccomp.h"
#include "vmm/error.h"
#include "vmm/log.h"

#define RNG_QUEUE_SIZE 256
#define PCI_CLASS_OTHER 0xff0000    /* "unassigned class", as other VMMs use for rng */

struct virtio_rng {
    struct virtio_dev dev;          /* first: the callbacks cast back */
    int fd;                         /* the entropy source */
    int kick_fd;                    /* eventfd: guest kicks and the stop request */
    GThread *thread;
    int stopping;                   /* atomic */
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
static void rng_process(virtio_rng *r)
{
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

static gpointer rng_thread(gpointer data)
{
    virtio_rng *r = data;
    g_autoptr(GError) error = NULL;
    uint64_t n;

    if (seccomp_apply(SECCOMP_THREAD_DEVICE, seccomp_main_mode(), &error) < 0) {
        log_error("%s", error->message);
        vm_request_stop(r->dev.vm, VM_STOP_ERROR);
        return NULL;
    }
    for (;;) {
        if (read(r->kick_fd, &n, sizeof(n)) < 0 && errno != EINTR) {
            log_error(_("virtio-rng %s: eventfd: %s"), r->dev.id, g_strerror(errno));
            return NULL;
        }
        if (g_atomic_int_get(&r->stopping))
            return NULL;
        virtio_dev_lock(&r->dev);
        rng_process(r);
        virtio_dev_unlock(&r->dev);
    }
}

static void wake(virtio_rng *r)
{
    uint64_t one = 1;

    /* Only fails when the counter would overflow: the thread is awake anyway. */
    if (write(r->kick_fd, &one, sizeof(one)) < 0)
        return;
}

static void rng_queue_notify(struct virtio_dev *d, unsigned q)
{
    wake((virtio_rng *)d);
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
    g_autofree char *name = NULL;

    r->dev.ops = &virtio_rng_ops;
    r->dev.vm = vm;
    r->dev.id = g_strdup(id);
    r->dev.host_features = virtio_rng_ops.features;
    r->kick_fd = -1;
    r->fd = open(src, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, _("--rng: cannot open %s: %s"), src,
                    g_strerror(errno));
        return NULL;
    }
    r->kick_fd = eventfd(0, EFD_CLOEXEC);
    if (r->kick_fd < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, "eventfd: %s", g_strerror(errno));
        return NULL;
    }
    if (!virtio_pci_create(vm, host, slot, bar_gpa, &r->dev, error) ||
        virtio_dev_bind_notify_fd(&r->dev, 0, r->kick_fd, error) < 0)
        return NULL;
    name = g_strdup_printf("virtio-rng %s", id);
    r->thread = g_thread_try_new(name, rng_thread, r, error);
    if (!r->thread)
        return NULL;
    return g_steal_pointer(&r);
}

void virtio_rng_free(virtio_rng *r)
{
    if (!r)
        return;
    if (r->thread) {
        g_atomic_int_set(&r->stopping, 1);
        wake(r);
        g_thread_join(r->thread);
    }
    virtio_pci_free(r->dev.transport);
    if (r->kick_fd >= 0)
        close(r->kick_fd);
    if (r->fd >= 0)
        close(r->fd);
    g_free(r->dev.id);
    g_free(r);
}
