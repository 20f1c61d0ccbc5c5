/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-console (virtio 1.x, section 5.3) with a single port: receiveq0
 * carries host input into buffers the guest posted, transmitq0 the guest's
 * output to the chardev (--console tty|pty|file=|null). No MULTIPORT (no
 * control queue, nothing but raw bytes to parse), no SIZE, no EMERG_WRITE.
 *
 * Two threads, each on the side it waits for:
 * - guest output runs on the device worker (virtio-worker.c), woken by the
 *   ioeventfd of either doorbell, under the device seccomp filter;
 * - host input runs on the main loop, where chardev_attach() delivers it, as
 *   for the serial port: the chardev's input watch and its 4 KiB of pending
 *   bytes live there, and the worker blocks in read() on its eventfd, not in
 *   a GMainContext that could watch the tty or pty.
 * Both take the transport's lock, so they never race on a queue or a reset.
 *
 * Input is never lost: when the guest has no receive buffer, the deliver
 * callback takes what fits and the chardev stops reading; a later kick of
 * receiveq0 (the guest posted buffers) makes the worker ask the main loop to
 * resume input. Output never blocks: the out fd is non-blocking and what it
 * does not take at once is dropped and counted (vm.counters console
 * tx_dropped), the same choice as the serial port. Holding the buffer back
 * instead would stall the guest, not only its console: Linux's hvc path
 * busy-waits in put_chars until the device returns the transmit buffer, so a
 * pty nobody reads would spin a vCPU and stall printk for good.
 */
#include "devices/virtio-console.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio-worker.h"
#include "vmm/chardev.h"
#include "vmm/error.h"
#include "vmm/log.h"

#define CONSOLE_QUEUE_SIZE 256
#define PCI_CLASS_COMMUNICATION_OTHER 0x078000  /* what other VMMs give virtio-console */

/* Config space (5.3.4): cols, rows (SIZE), max_nr_ports (MULTIPORT), emerg_wr
 * (EMERG_WRITE). None of those features is offered, so the fields only have
 * to read sanely: zero size, one port; emerg_wr writes are ignored. */
#define CFG_COLS 0              /* le16 */
#define CFG_ROWS 2              /* le16 */
#define CFG_MAX_NR_PORTS 4      /* le32 */
#define CFG_EMERG_WR 8          /* le32 */
#define CFG_SIZE 12

struct virtio_console {
    struct virtio_dev dev;          /* first: the callbacks cast back */
    struct virtio_worker worker;
    chardev *chardev;
    int resume_fd;                  /* eventfd: the worker asks the main loop to resume input */
    GSource *resume_source;         /* its watch on the main loop */
    bool rx_starved;                /* under the transport's lock: input awaits buffers */
    uint8_t config[CFG_SIZE];
    struct virtio_console_port port;
};

/* ---- queue work, testable on its own ---- */

static void count_dropped(struct virtio_console_port *p, uint64_t n, int err)
{
    p->tx_dropped += n;
    if (!p->tx_drop_logged) {
        p->tx_drop_logged = true;
        log_warning(_("virtio-console %s: dropping guest output: %s"), p->name,
                    err ? g_strerror(err) : _("short write"));
    }
}

/* One chain's bytes to the host, whatever the host takes at once. */
static void transmit_chain(struct virtio_console_port *p, const struct virtq_chain *c)
{
    uint64_t total = c->out_bytes;
    ssize_t n;

    if (p->out_fd < 0)
        return;
    for (unsigned i = 0; i < c->n_out; i++)
        p->iov[i] = (struct iovec){ .iov_base = c->seg[i].host, .iov_len = c->seg[i].len };
    do {
        n = writev(p->out_fd, p->iov, (int)c->n_out);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        count_dropped(p, total, errno);
    else if ((uint64_t)n < total)
        count_dropped(p, total - (uint64_t)n, 0);
}

int virtio_console_transmit(struct virtio_console_port *p, struct virtq *q,
                            const guest_mem *gm, const char **reason)
{
    struct virtq_chain *c = &p->chain;
    int done = 0;
    int got;

    while ((got = virtq_pop(q, gm, c)) == 1) {
        if (c->n_in) {
            *reason = _("transmit buffer with a device-writable descriptor");
            return -1;
        }
        transmit_chain(p, c);
        virtq_push(q, gm, c->head, 0);
        done++;
    }
    if (got < 0) {
        *reason = q->broken_reason ? q->broken_reason : _("malformed queue");
        return -1;
    }
    return done;
}

ssize_t virtio_console_receive(struct virtio_console_port *p, struct virtq *q,
                               const guest_mem *gm, const uint8_t *buf, size_t len,
                               unsigned *pushed, const char **reason)
{
    struct virtq_chain *c = &p->chain;
    size_t taken = 0;
    int got = 0;

    *pushed = 0;
    /* Pop only with bytes in hand: a chain once popped must be given back. */
    while (taken < len && (got = virtq_pop(q, gm, c)) == 1) {
        size_t n;

        if (c->n_out) {
            *reason = _("receive buffer with a device-readable descriptor");
            return -1;
        }
        n = virtq_chain_write(c, 0, buf + taken, MIN(len - taken, c->in_bytes));
        virtq_push(q, gm, c->head, (uint32_t)n);
        (*pushed)++;
        taken += n;
    }
    if (got < 0) {
        *reason = q->broken_reason ? q->broken_reason : _("malformed queue");
        return -1;
    }
    return (ssize_t)taken;
}

/* ---- the device ---- */

/* On the main loop: the guest has posted receive buffers since input stalled. */
static gboolean resume_input(gint fd, GIOCondition cond, gpointer data)
{
    virtio_console *c = data;
    uint64_t n;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        log_debug("virtio-console %s: eventfd: %s", c->dev.id, g_strerror(errno));
    chardev_input_ready(c->chardev);
    return G_SOURCE_CONTINUE;
}

/*
 * From the worker. Not chardev_input_ready() straight from there: the idle it
 * queues would outlive the chardev if the VM were torn down first, and it
 * allocates on a thread whose filter is narrow. An eventfd write does neither;
 * its watch is the device's own, and free removes it.
 */
static void schedule_resume(virtio_console *c)
{
    uint64_t one = 1;

    /* Only fails when the counter would overflow: a resume is pending anyway. */
    if (write(c->resume_fd, &one, sizeof(one)) < 0)
        return;
}

/* On the worker, with the transport's lock held: a kick of either queue. */
static void console_process(struct virtio_dev *dev)
{
    virtio_console *c = (virtio_console *)dev;
    struct virtio_dev *d = &c->dev;
    const char *reason = NULL;
    int done;

    if (d->vq_ready[VIRTIO_CONSOLE_TXQ]) {
        done = virtio_console_transmit(&c->port, &d->vq[VIRTIO_CONSOLE_TXQ],
                                       vm_guest_mem(d->vm), &reason);
        if (done < 0) {
            virtio_dev_mark_broken(d, reason);
            return;
        }
        if (done)
            virtio_dev_notify(d, VIRTIO_CONSOLE_TXQ);
    }
    /* Any kick may be the one that posted receive buffers; a resume that
     * finds none only stops input again. */
    if (c->rx_starved && d->vq_ready[VIRTIO_CONSOLE_RXQ]) {
        c->rx_starved = false;
        schedule_resume(c);
    }
}

/* On the main loop: host input from the chardev. */
static size_t console_deliver(void *opaque, const uint8_t *buf, size_t len)
{
    virtio_console *c = opaque;
    struct virtio_dev *d = &c->dev;
    const char *reason = NULL;
    unsigned pushed = 0;
    ssize_t taken = 0;

    virtio_dev_lock(d);
    if (d->vq_ready[VIRTIO_CONSOLE_RXQ]) {
        taken = virtio_console_receive(&c->port, &d->vq[VIRTIO_CONSOLE_RXQ],
                                       vm_guest_mem(d->vm), buf, len, &pushed, &reason);
        if (taken < 0) {
            virtio_dev_mark_broken(d, reason);
            taken = 0;      /* kept by the chardev for the driver after the reset */
        } else if (pushed) {
            virtio_dev_notify(d, VIRTIO_CONSOLE_RXQ);
        }
    }
    /* Not ready (no driver yet, a reset, broken) counts as no buffers: the
     * queue's next kick resumes input. */
    if ((size_t)taken < len)
        c->rx_starved = true;
    virtio_dev_unlock(d);
    return (size_t)taken;
}

/* DRIVER_OK, on a vCPU thread with the transport's lock held. Input that came
 * before the driver resumes on a kick of receiveq0, but a kick that came
 * before the queue was enabled was ignored: retry stalled input here too. */
static int console_activate(struct virtio_dev *d, GError **error)
{
    virtio_console *c = (virtio_console *)d;

    if (c->rx_starved && d->vq_ready[VIRTIO_CONSOLE_RXQ]) {
        c->rx_starved = false;
        schedule_resume(c);
    }
    return 0;
}

static void console_queue_notify(struct virtio_dev *d, unsigned q)
{
    virtio_worker_wake(&((virtio_console *)d)->worker);
}

static void console_config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t len)
{
    /* The transport checked off + len <= CFG_SIZE. */
    memcpy(data, ((virtio_console *)d)->config + off, len);
}

static void console_config_write(struct virtio_dev *d, uint32_t off, const uint8_t *data,
                                 uint32_t len)
{
    /* emerg_wr without VIRTIO_CONSOLE_F_EMERG_WRITE, or a read-only field: ignored. */
}

static const struct virtio_dev_ops virtio_console_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .pci_class = PCI_CLASS_COMMUNICATION_OTHER,
    .num_queues = 2,
    .max_queue_size = CONSOLE_QUEUE_SIZE,
    .features = 1ULL << VIRTIO_F_RING_EVENT_IDX,
    .config_size = CFG_SIZE,
    .config_read = console_config_read,
    .config_write = console_config_write,
    .queue_notify = console_queue_notify,
    .activate = console_activate,
};

virtio_console *virtio_console_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                                      const char *id, chardev *chardev, GError **error)
{
    g_autoptr(virtio_console) c = g_new0(virtio_console, 1);
    uint32_t ports = GUINT32_TO_LE(1);

    c->dev.ops = &virtio_console_ops;
    c->dev.vm = vm;
    c->dev.id = g_strdup(id);
    c->dev.host_features = virtio_console_ops.features;
    c->port.name = c->dev.id;
    c->resume_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->resume_fd < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, "eventfd: %s", g_strerror(errno));
        return NULL;
    }
    memcpy(c->config + CFG_MAX_NR_PORTS, &ports, sizeof(ports));
    c->chardev = chardev;
    c->port.out_fd = chardev_out_fd(c->chardev);
    if (!virtio_pci_create(vm, host, slot, bar_gpa, &c->dev, error) ||
        virtio_worker_start(&c->worker, &c->dev, console_process, error) < 0)
        return NULL;
    /* Both doorbells wake the worker: transmitq0 for output, receiveq0 for
     * buffers that let stalled input resume. */
    if (virtio_dev_bind_notify_fd(&c->dev, VIRTIO_CONSOLE_TXQ, c->worker.kick_fd, error) < 0)
        return NULL;
    c->resume_source = g_unix_fd_source_new(c->resume_fd, G_IO_IN);
    g_source_set_callback(c->resume_source, G_SOURCE_FUNC(resume_input), c, NULL);
    g_source_attach(c->resume_source, vm_main_context(vm));
    chardev_attach(c->chardev, vm_main_context(vm), console_deliver, c);
    return g_steal_pointer(&c);
}

const char *virtio_console_pty_path(virtio_console *c)
{
    return c ? chardev_pty_path(c->chardev) : NULL;
}

uint64_t virtio_console_tx_dropped(virtio_console *c)
{
    uint64_t n;

    virtio_dev_lock(&c->dev);
    n = c->port.tx_dropped;
    virtio_dev_unlock(&c->dev);
    return n;
}

/* On the main loop's thread, like every teardown: the worker is joined first,
 * so nothing asks for a resume afterwards. */
void virtio_console_free(virtio_console *c)
{
    if (!c)
        return;
    virtio_worker_stop(&c->worker);
    if (c->resume_source) {
        g_source_destroy(c->resume_source);
        g_source_unref(c->resume_source);
    }
    chardev_detach(c->chardev);
    virtio_pci_free(c->dev.transport);
    if (c->resume_fd >= 0)
        close(c->resume_fd);
    g_free(c->dev.id);
    g_free(c);
}
