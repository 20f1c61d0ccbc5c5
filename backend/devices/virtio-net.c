/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-net (virtio 1.x, section 5.1) over a tap: one receive/transmit
 * queue pair per tap queue, and a control queue when there is more than one
 * pair (VQ_PAIRS_SET turns pairs on; at first only pair 0 runs, and the
 * other tap queues are detached so that the kernel sends them no frames).
 *
 * One thread per device, under the device seccomp filter, serves every
 * queue: every doorbell is an ioeventfd on one eventfd, and the thread polls
 * it together with the tap queues it waits on. A tap queue is watched only
 * while the guest has receive buffers for it: without buffers the thread
 * waits for the guest's kick and frames stay in the tap (the kernel drops
 * them once its queue is full, as for any slow reader). The offloads the
 * driver accepted are set on the tap (TUNSETOFFLOAD) by that thread too,
 * after DRIVER_OK, as are queue attachments after VQ_PAIRS_SET.
 */
#include "devices/virtio-net.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/tap.h"
#include "devices/virtio-net-rxtx.h"
#include "seccomp/seccomp.h"
#include "vmm/error.h"
#include "vmm/log.h"

#define PCI_CLASS_NETWORK_ETHERNET 0x020000
#define NET_BUDGET 64           /* chains per queue before the other queues get a turn */

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_MQ 22
#define BIT(n) (1ULL << (n))

#define VIRTIO_NET_S_LINK_UP 1

/* Config space (5.1.4) up to mtu. */
#define CFG_MAC 0
#define CFG_STATUS 6            /* le16 */
#define CFG_MAX_PAIRS 8         /* le16 */
#define CFG_MTU 10              /* le16 */
#define CFG_SIZE 12

enum net_wait {
    WAIT_NONE,                  /* run at the next wakeup */
    WAIT_TAP,                   /* run when the tap is readable (rx) or writable (tx) */
    WAIT_GUEST,                 /* rx: run at the next kick */
};

struct net_pair {
    struct virtio_net_port port;
    enum net_wait rx_wait;
    enum net_wait tx_wait;
    bool attached;              /* the tap queue gets frames */
    bool dead;                  /* reading it failed: receive stops */
};

struct virtio_net {
    struct virtio_dev dev;      /* first: the callbacks cast back */
    struct tap tap;
    unsigned max_pairs;
    uint8_t config[CFG_SIZE];
    struct virtio_net_stats stats;
    /* With the transport's lock held. */
    bool active;                /* DRIVER_OK since the last reset */
    bool reconfigure;           /* the thread applies a DRIVER_OK or a reset */
    unsigned pairs;             /* pairs in use (VQ_PAIRS_SET) */
    struct net_pair pair[TAP_MAX_QUEUES];
    struct virtq_chain ctrl_chain;
    /* The thread. */
    int kick_fd;                /* eventfd: every doorbell, DRIVER_OK, reset, stop */
    GThread *thread;
    int stopping;               /* atomic */
};

static unsigned rx_queue(unsigned pair)
{
    return 2 * pair;
}

static unsigned tx_queue(unsigned pair)
{
    return 2 * pair + 1;
}

static void wake(virtio_net *n)
{
    uint64_t one = 1;

    /* Only fails when the counter would overflow: the thread is awake anyway. */
    if (write(n->kick_fd, &one, sizeof(one)) < 0)
        return;
}

/* TUN_F_* for what the driver accepted to receive. */
static unsigned tun_offloads(uint64_t f)
{
    unsigned t;

    if (!(f & BIT(VIRTIO_NET_F_GUEST_CSUM)))
        return 0;
    t = TUN_F_CSUM;
    if (f & BIT(VIRTIO_NET_F_GUEST_TSO4))
        t |= TUN_F_TSO4;
    if (f & BIT(VIRTIO_NET_F_GUEST_TSO6))
        t |= TUN_F_TSO6;
    if ((f & BIT(VIRTIO_NET_F_GUEST_ECN)) && (t & (TUN_F_TSO4 | TUN_F_TSO6)))
        t |= TUN_F_TSO_ECN;
    if (f & BIT(VIRTIO_NET_F_GUEST_UFO))
        t |= TUN_F_UFO;
    return t;
}

/* ---- the thread, with the transport's lock held ---- */

/* Attaches the tap queues of pairs [0, pairs) and detaches the others; a
 * pair that stops loses the frame it held. */
static void set_pairs(virtio_net *n, unsigned pairs)
{
    n->pairs = pairs;
    for (unsigned i = 0; i < n->max_pairs; i++) {
        struct net_pair *p = &n->pair[i];
        g_autoptr(GError) error = NULL;
        bool on = i < pairs;

        if (i >= pairs)
            virtio_net_port_drop_pending(&p->port);
        if (p->attached == on)
            continue;
        if (tap_set_queue_enabled(&n->tap, i, on, &error) < 0)
            log_warning("%s %s: %s", n->dev.ops->name, n->dev.id, error->message);
        p->attached = on;
        p->rx_wait = WAIT_NONE;
    }
}

/* DRIVER_OK or a reset happened: the new features, one pair, the offloads. */
static void apply_state(virtio_net *n)
{
    uint64_t f = n->active ? n->dev.features : 0;
    g_autoptr(GError) error = NULL;

    n->reconfigure = false;
    for (unsigned i = 0; i < n->max_pairs; i++) {
        struct net_pair *p = &n->pair[i];

        virtio_net_port_drop_pending(&p->port);
        p->rx_wait = WAIT_NONE;
        p->tx_wait = WAIT_NONE;
        p->port.mrg_rxbuf = f & BIT(VIRTIO_NET_F_MRG_RXBUF);
        p->port.guest_csum = f & BIT(VIRTIO_NET_F_GUEST_CSUM);
    }
    set_pairs(n, 1);
    if (tap_set_offload(&n->tap, tun_offloads(f), &error) < 0 && n->active)
        virtio_dev_mark_broken(&n->dev, error->message);
}

static void serve_ctrl(virtio_net *n, const guest_mem *gm)
{
    struct virtio_dev *d = &n->dev;
    unsigned q = 2 * n->max_pairs;
    int got;

    while ((got = virtq_pop(&d->vq[q], gm, &n->ctrl_chain)) == 1) {
        unsigned pairs = n->pairs;
        const char *reason = NULL;
        uint32_t written;

        if (virtio_net_ctrl(&n->ctrl_chain, d->features & BIT(VIRTIO_NET_F_MQ), n->max_pairs,
                            &pairs, &written, &reason) < 0) {
            virtio_dev_mark_broken(d, reason);
            return;
        }
        /* Before the answer: no frame for a pair the driver turned off after it sees it. */
        if (pairs != n->pairs)
            set_pairs(n, pairs);
        virtq_push(&d->vq[q], gm, n->ctrl_chain.head, written);
    }
    if (got < 0) {
        virtio_dev_mark_broken(d, d->vq[q].broken_reason ? d->vq[q].broken_reason
                                                         : _("malformed control queue"));
        return;
    }
    virtio_dev_notify(d, q);
}

/* Returns false when the device broke. *more is set when a budget ran out. */
static bool serve_pair(virtio_net *n, unsigned i, const guest_mem *gm, bool *more)
{
    struct virtio_dev *d = &n->dev;
    struct net_pair *p = &n->pair[i];
    const char *reason = NULL;
    enum virtio_net_io r;

    if (i < n->pairs && !p->dead && p->rx_wait != WAIT_TAP && d->vq_ready[rx_queue(i)]) {
        r = virtio_net_rx(&p->port, &d->vq[rx_queue(i)], gm, NET_BUDGET, &reason);
        if (r == VIRTIO_NET_IO_BROKEN) {
            virtio_dev_mark_broken(d, reason);
            return false;
        }
        if (r == VIRTIO_NET_IO_TAP_ERROR) {
            log_warning(_("%s %s: reading queue %u of tap %s failed: %s; it gets no more frames"),
                        d->ops->name, d->id, i, n->tap.name, g_strerror(p->port.last_errno));
            p->dead = true;
        }
        *more |= r == VIRTIO_NET_IO_AGAIN;
        p->rx_wait = r == VIRTIO_NET_IO_WAIT_TAP ? WAIT_TAP
                   : r == VIRTIO_NET_IO_WAIT_GUEST ? WAIT_GUEST : WAIT_NONE;
        virtio_dev_notify(d, rx_queue(i));
    }
    if (p->tx_wait != WAIT_TAP && d->vq_ready[tx_queue(i)]) {
        r = virtio_net_tx(&p->port, &d->vq[tx_queue(i)], gm, NET_BUDGET, &reason);
        if (r == VIRTIO_NET_IO_BROKEN) {
            virtio_dev_mark_broken(d, reason);
            return false;
        }
        *more |= r == VIRTIO_NET_IO_AGAIN;
        p->tx_wait = r == VIRTIO_NET_IO_WAIT_TAP ? WAIT_TAP : WAIT_NONE;
        virtio_dev_notify(d, tx_queue(i));
    }
    return true;
}

/* Returns whether work is left over (a budget ran out). */
static bool serve(virtio_net *n)
{
    struct virtio_dev *d = &n->dev;
    const guest_mem *gm = vm_guest_mem(d->vm);
    bool more = false;

    if (n->reconfigure)
        apply_state(n);
    if (!n->active)
        return false;
    for (unsigned i = 0; i < n->max_pairs; i++) {
        if (!serve_pair(n, i, gm, &more))
            return false;
    }
    if (n->max_pairs > 1 && d->vq_ready[2 * n->max_pairs])
        serve_ctrl(n, gm);
    return more;
}

/* The poll set: the kick eventfd, then each tap queue a pair waits on.
 * slot[i] is pair i's entry or -1. With the lock held. */
static unsigned poll_set(virtio_net *n, struct pollfd *pfd, int *slot)
{
    unsigned np = 0;

    pfd[np++] = (struct pollfd){ .fd = n->kick_fd, .events = POLLIN };
    for (unsigned i = 0; i < n->max_pairs; i++) {
        const struct net_pair *p = &n->pair[i];
        short events = 0;

        slot[i] = -1;
        if (!n->active)
            continue;
        if (p->rx_wait == WAIT_TAP && i < n->pairs && !p->dead)
            events |= POLLIN;
        if (p->tx_wait == WAIT_TAP)
            events |= POLLOUT;
        if (events) {
            slot[i] = (int)np;
            pfd[np++] = (struct pollfd){ .fd = p->port.fd, .events = events };
        }
    }
    return np;
}

static gpointer net_thread(gpointer data)
{
    virtio_net *n = data;
    struct pollfd pfd[1 + TAP_MAX_QUEUES];
    int slot[TAP_MAX_QUEUES];
    g_autoptr(GError) error = NULL;
    bool more = false;

    if (seccomp_apply(SECCOMP_THREAD_DEVICE, seccomp_main_mode(), &error) < 0) {
        log_error("%s", error->message);
        vm_request_stop(n->dev.vm, VM_STOP_ERROR);
        return NULL;
    }
    for (;;) {
        unsigned np;
        uint64_t v;

        virtio_dev_lock(&n->dev);
        np = poll_set(n, pfd, slot);
        virtio_dev_unlock(&n->dev);
        if (poll(pfd, np, more ? 0 : -1) < 0 && errno != EINTR) {
            log_error(_("%s %s: poll: %s"), n->dev.ops->name, n->dev.id, g_strerror(errno));
            vm_request_stop(n->dev.vm, VM_STOP_ERROR);
            return NULL;
        }
        if (g_atomic_int_get(&n->stopping))
            return NULL;
        if ((pfd[0].revents & POLLIN) && read(n->kick_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
            log_debug("%s %s: eventfd: %s", n->dev.ops->name, n->dev.id, g_strerror(errno));
        virtio_dev_lock(&n->dev);
        for (unsigned i = 0; i < n->max_pairs; i++) {
            struct net_pair *p = &n->pair[i];
            short ev = slot[i] >= 0 ? pfd[slot[i]].revents : 0;

            /* An error shows when the queue runs: a failed read or write. */
            if (ev & (POLLERR | POLLHUP | POLLNVAL))
                ev |= POLLIN | POLLOUT;
            if ((ev & POLLIN) && p->rx_wait == WAIT_TAP)
                p->rx_wait = WAIT_NONE;
            if ((ev & POLLOUT) && p->tx_wait == WAIT_TAP)
                p->tx_wait = WAIT_NONE;
        }
        more = serve(n);
        virtio_dev_unlock(&n->dev);
    }
}

/* ---- device callbacks (vCPU threads, the transport's lock held) ---- */

static void net_config_read(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t len)
{
    /* The transport checked off + len <= CFG_SIZE. */
    memcpy(data, ((virtio_net *)d)->config + off, len);
}

static void net_queue_notify(struct virtio_dev *d, unsigned q)
{
    wake((virtio_net *)d);
}

static void net_reset(struct virtio_dev *d)
{
    virtio_net *n = (virtio_net *)d;

    n->active = false;
    n->reconfigure = true;
    wake(n);
}

static int net_activate(struct virtio_dev *d, GError **error)
{
    virtio_net *n = (virtio_net *)d;

    /* The thread sets the offloads: the vCPU's seccomp filter has no tap ioctls. */
    n->active = true;
    n->reconfigure = true;
    wake(n);
    return 0;
}

static const struct virtio_dev_ops virtio_net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .pci_class = PCI_CLASS_NETWORK_ETHERNET,
    .num_queues = 2,                            /* per instance: 2 per pair, +1 control */
    .max_queue_size = VM_CONFIG_DEFAULT_NET_QUEUE_SIZE,   /* per instance: queue_size */
    .features = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MRG_RXBUF) |
                BIT(VIRTIO_F_RING_EVENT_IDX),
    .config_size = CFG_SIZE,
    .config_read = net_config_read,
    .queue_notify = net_queue_notify,
    .reset = net_reset,
    .activate = net_activate,
};

/* ---- creation ---- */

static uint64_t net_features(const virtio_net *n, const struct net_config *cfg)
{
    uint64_t f = virtio_net_ops.features;
    unsigned tun = n->tap.offloads;

    if (cfg->mtu)
        f |= BIT(VIRTIO_NET_F_MTU);
    if (n->max_pairs > 1)
        f |= BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ);
    /* Offloads travel in the tap's header, and segmentation needs checksums (5.1.3.1). */
    if (!n->tap.vnet_hdr || !cfg->offload_csum)
        return f;
    f |= BIT(VIRTIO_NET_F_CSUM);
    if (tun & TUN_F_CSUM)
        f |= BIT(VIRTIO_NET_F_GUEST_CSUM);
    if (cfg->offload_tso) {
        f |= BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
             BIT(VIRTIO_NET_F_HOST_ECN);
        if (tun & TUN_F_TSO4)
            f |= BIT(VIRTIO_NET_F_GUEST_TSO4);
        if (tun & TUN_F_TSO6)
            f |= BIT(VIRTIO_NET_F_GUEST_TSO6);
        if (tun & TUN_F_TSO_ECN)
            f |= BIT(VIRTIO_NET_F_GUEST_ECN);
    }
    if (cfg->offload_ufo) {
        f |= BIT(VIRTIO_NET_F_HOST_UFO);
        if (tun & TUN_F_UFO)
            f |= BIT(VIRTIO_NET_F_GUEST_UFO);
    }
    return f;
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void config_init(virtio_net *n, const struct net_config *cfg)
{
    memcpy(n->config + CFG_MAC, cfg->mac, 6);
    put_le16(n->config + CFG_STATUS, VIRTIO_NET_S_LINK_UP);
    put_le16(n->config + CFG_MAX_PAIRS, (uint16_t)n->max_pairs);
    put_le16(n->config + CFG_MTU, (uint16_t)cfg->mtu);
}

static int check_config(const struct net_config *cfg, GError **error)
{
    unsigned pairs = cfg->num_queues / 2;

    if (cfg->num_queues < 2 || cfg->num_queues % 2 || pairs > TAP_MAX_QUEUES) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("--net: num_queues=%u is not an even number from 2 to %d"),
                    cfg->num_queues, 2 * TAP_MAX_QUEUES);
        return -1;
    }
    if (!cfg->tap && cfg->n_fds != pairs) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("--net: give one fd per queue pair (num_queues / 2)"));
        return -1;
    }
    if (cfg->queue_size < 2 || cfg->queue_size > VIRTQ_MAX_SIZE ||
        (cfg->queue_size & (cfg->queue_size - 1))) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("--net: queue_size=%u is not a power of two from 2 to %d"),
                    cfg->queue_size, VIRTQ_MAX_SIZE);
        return -1;
    }
    return 0;
}

/* The tap, its host side, and the ports over its queues. */
static int open_tap(virtio_net *n, const struct net_config *cfg, GError **error)
{
    if (cfg->tap ? tap_open(&n->tap, cfg->tap, n->max_pairs, error) < 0
                 : tap_adopt(&n->tap, cfg->fds, n->max_pairs, error) < 0)
        return -1;
    if ((cfg->mtu && tap_set_mtu(&n->tap, cfg->mtu, error) < 0) ||
        (cfg->ip && tap_set_address(&n->tap, cfg->ip, cfg->mask, error) < 0) ||
        (cfg->tap && tap_set_up(&n->tap, error) < 0))
        return -1;
    for (unsigned i = 0; i < n->max_pairs; i++) {
        virtio_net_port_init(&n->pair[i].port, n->tap.fds[i], n->tap.vnet_hdr, cfg->queue_size,
                             &n->stats);
        n->pair[i].attached = true;
    }
    /* Until VQ_PAIRS_SET only pair 0 runs: the others' queues get no frames. */
    for (unsigned i = 1; i < n->max_pairs; i++) {
        if (tap_set_queue_enabled(&n->tap, i, false, error) < 0)
            return -1;
        n->pair[i].attached = false;
    }
    log_info(_("%s %s: tap %s (%s), %u queue pair(s)%s"), n->dev.ops->name, n->dev.id,
             n->tap.name, n->tap.created ? _("created") : _("existing"), n->max_pairs,
             n->tap.vnet_hdr ? "" : _(", no virtio header on the tap"));
    return 0;
}

virtio_net *virtio_net_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              const struct net_config *cfg, GError **error)
{
    g_autoptr(virtio_net) n = NULL;
    g_autofree char *name = NULL;

    if (check_config(cfg, error) < 0)
        return NULL;
    n = g_new0(virtio_net, 1);
    n->kick_fd = -1;
    tap_init(&n->tap);
    n->dev.ops = &virtio_net_ops;
    n->dev.vm = vm;
    n->dev.id = g_strdup(cfg->id ? cfg->id : "net0");
    n->max_pairs = cfg->num_queues / 2;
    n->pairs = 1;
    n->dev.num_queues = 2 * n->max_pairs + (n->max_pairs > 1 ? 1 : 0);
    n->dev.max_queue_size = cfg->queue_size;
    if (open_tap(n, cfg, error) < 0)
        return NULL;
    n->dev.host_features = net_features(n, cfg);
    config_init(n, cfg);
    n->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (n->kick_fd < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED, "eventfd: %s", g_strerror(errno));
        return NULL;
    }
    if (!virtio_pci_create(vm, host, slot, bar_gpa, &n->dev, error))
        return NULL;
    for (unsigned q = 0; q < n->dev.num_queues; q++) {
        if (virtio_dev_bind_notify_fd(&n->dev, q, n->kick_fd, error) < 0)
            return NULL;
    }
    name = g_strdup_printf("%s %s", virtio_net_ops.name, n->dev.id);
    n->thread = g_thread_try_new(name, net_thread, n, error);
    if (!n->thread)
        return NULL;
    return g_steal_pointer(&n);
}

void virtio_net_free(virtio_net *n)
{
    if (!n)
        return;
    if (n->thread) {
        g_atomic_int_set(&n->stopping, 1);
        wake(n);
        g_thread_join(n->thread);
    }
    virtio_pci_free(n->dev.transport);
    if (n->kick_fd >= 0)
        close(n->kick_fd);
    for (unsigned i = 0; i < TAP_MAX_QUEUES; i++)
        virtio_net_port_clear(&n->pair[i].port);
    tap_close(&n->tap);
    g_free(n->dev.id);
    g_free(n);
}

const char *virtio_net_tap_name(virtio_net *n)
{
    return n->tap.name;
}

void virtio_net_add_counters(virtio_net *n, JsonBuilder *b)
{
    static const struct {
        const char *name;
        size_t off;
    } counters[] = {
        { "rx_frames", offsetof(struct virtio_net_stats, rx_frames) },
        { "rx_bytes", offsetof(struct virtio_net_stats, rx_bytes) },
        { "rx_dropped", offsetof(struct virtio_net_stats, rx_dropped) },
        { "tx_frames", offsetof(struct virtio_net_stats, tx_frames) },
        { "tx_bytes", offsetof(struct virtio_net_stats, tx_bytes) },
        { "tx_dropped", offsetof(struct virtio_net_stats, tx_dropped) },
    };

    json_builder_set_member_name(b, n->dev.id);
    json_builder_begin_object(b);
    for (unsigned i = 0; i < G_N_ELEMENTS(counters); i++) {
        uint64_t *c = (uint64_t *)((uint8_t *)&n->stats + counters[i].off);

        json_builder_set_member_name(b, counters[i].name);
        json_builder_add_int_value(b, (gint64)__atomic_load_n(c, __ATOMIC_RELAXED));
    }
    json_builder_end_object(b);
}
