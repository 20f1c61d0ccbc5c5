/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-net's data path. The tap and the guest agree on the header (a
 * 12-byte virtio_net_hdr_v1, set with TUNSETVNETHDRSZ), so a transmit chain
 * goes to the tap with one writev of its segments and a frame comes into the
 * guest's buffer with one readv. What the tap does not do itself: num_buffers
 * (it leaves those two bytes alone), clearing the checksum flags a driver
 * without GUEST_CSUM must not see, and for a tap opened without
 * IFF_VNET_HDR, adding and stripping the whole header.
 *
 * Receive buffers are taken from the ring before the frame's size is known:
 * readv fills the first buffer and spills the rest into the port's frame
 * buffer. A frame that fits is done; one that does not is dropped (without
 * mergeable buffers the guest posted buffers too small) or spread over more
 * buffers. When those run out, every buffer taken for the frame goes back to
 * the ring (last_avail moves back: the ring entries are still the guest's
 * available ones) and the frame waits in the port for the guest's kick.
 */
#include "devices/virtio-net-rxtx.h"

#include <errno.h>
#include <glib.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#define FRAME_BUF (VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME)
#define ETH_HDR_LEN 14
/* readv and writev take at most IOV_MAX (1024) entries; rx adds the frame buffer. */
#define RX_MAX_IOV (VIRTQ_MAX_SEGS - 1)

static void stat_add(uint64_t *counter, uint64_t v)
{
    __atomic_add_fetch(counter, v, __ATOMIC_RELAXED);
}

void virtio_net_port_init(struct virtio_net_port *p, int fd, bool vnet_hdr,
                          unsigned max_queue_size, struct virtio_net_stats *stats)
{
    memset(p, 0, sizeof(*p));
    p->fd = fd;
    p->vnet_hdr = vnet_hdr;
    p->stats = stats;
    p->frame = g_malloc(FRAME_BUF);
    p->used = g_new(struct virtio_net_used, max_queue_size);
    p->used_cap = max_queue_size;
}

void virtio_net_port_clear(struct virtio_net_port *p)
{
    g_clear_pointer(&p->frame, g_free);
    g_clear_pointer(&p->used, g_free);
    p->used_cap = 0;
    p->frame_len = 0;
}

void virtio_net_port_drop_pending(struct virtio_net_port *p)
{
    if (p->frame_len)
        stat_add(&p->stats->rx_dropped, 1);
    p->frame_len = 0;
}

/* The queue hands out again the last n chains it gave. */
static void unpop(struct virtq *q, unsigned n)
{
    q->last_avail = (uint16_t)(q->last_avail - n);
}

static enum virtio_net_io broken(const struct virtq *q, const char *fallback, const char **reason)
{
    *reason = q->broken_reason ? q->broken_reason : fallback;
    return VIRTIO_NET_IO_BROKEN;
}

/*
 * iov entries (at most max) for bytes [skip, limit) of the chain's
 * device-writable (in) or device-readable segments; *covered gets the bytes
 * they hold, contiguous from skip.
 */
static unsigned chain_iov(const struct virtq_chain *c, bool in, size_t skip, size_t limit,
                          struct iovec *iov, unsigned max, size_t *covered)
{
    unsigned first = in ? c->n_out : 0;
    unsigned end = in ? c->n_out + c->n_in : c->n_out;
    size_t pos = 0;
    unsigned n = 0;

    *covered = 0;
    for (unsigned i = first; i < end && n < max && pos < limit; i++) {
        size_t start = pos;
        size_t stop = pos + c->seg[i].len;
        size_t a = MAX(start, skip);
        size_t b = MIN(stop, limit);

        pos = stop;
        if (a >= b)
            continue;
        iov[n].iov_base = c->seg[i].host + (a - start);
        iov[n].iov_len = b - a;
        *covered += b - a;
        n++;
    }
    return n;
}

/* ---- transmit ---- */

enum virtio_net_io virtio_net_tx(struct virtio_net_port *p, struct virtq *q, const guest_mem *gm,
                                 unsigned budget, const char **reason)
{
    struct virtq_chain *c = &p->chain;

    for (unsigned done = 0; done < budget; done++) {
        int got = virtq_pop(q, gm, c);

        if (got < 0)
            return broken(q, _("malformed transmit queue"), reason);
        if (got == 0)
            return VIRTIO_NET_IO_IDLE;
        if (c->out_bytes < VIRTIO_NET_HDR_LEN + ETH_HDR_LEN ||
            c->out_bytes - VIRTIO_NET_HDR_LEN > VIRTIO_NET_MAX_FRAME) {
            stat_add(&p->stats->tx_dropped, 1);
        } else {
            size_t covered;
            unsigned n = chain_iov(c, false, p->vnet_hdr ? 0 : VIRTIO_NET_HDR_LEN, c->out_bytes,
                                   p->iov, VIRTQ_MAX_SEGS, &covered);
            ssize_t w;

            do {
                w = writev(p->fd, p->iov, (int)n);
            } while (w < 0 && errno == EINTR);
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                unpop(q, 1);
                return VIRTIO_NET_IO_WAIT_TAP;
            }
            if (w < 0) {
                /* A link that is down (EIO) or a header the tap refuses (EINVAL). */
                p->last_errno = errno;
                stat_add(&p->stats->tx_dropped, 1);
            } else {
                stat_add(&p->stats->tx_frames, 1);
                stat_add(&p->stats->tx_bytes, c->out_bytes - VIRTIO_NET_HDR_LEN);
            }
        }
        virtq_push(q, gm, c->head, 0);
    }
    return VIRTIO_NET_IO_AGAIN;
}

/* ---- receive ---- */

/* Copies the first len bytes of the chain's device-writable segments out. */
static void in_read(const struct virtq_chain *c, uint8_t *dst, size_t len)
{
    for (unsigned i = c->n_out; i < c->n_out + c->n_in && len; i++) {
        size_t n = MIN(len, c->seg[i].len);

        memcpy(dst, c->seg[i].host, n);
        dst += n;
        len -= n;
    }
}

/* The header of a finished frame, in its first buffer. */
static void rx_fix_header(struct virtio_net_port *p, const struct virtq_chain *first,
                          uint16_t num_buffers)
{
    uint8_t nb[2] = { (uint8_t)num_buffers, (uint8_t)(num_buffers >> 8) };
    uint8_t zero = 0;

    /* Without GUEST_CSUM the device must leave flags 0 (5.1.6.4.1); the tap
     * may still say DATA_VALID. */
    if (!p->guest_csum)
        virtq_chain_write(first, 0, &zero, 1);
    /* Without MRG_RXBUF the field is 1 as well. */
    virtq_chain_write(first, VIRTIO_NET_HDR_NUM_BUFFERS, nb, sizeof(nb));
}

static void rx_done(struct virtio_net_port *p, size_t total)
{
    stat_add(&p->stats->rx_frames, 1);
    stat_add(&p->stats->rx_bytes, total - VIRTIO_NET_HDR_LEN);
}

/*
 * Mergeable buffers: the frame (total bytes, header included) has its first
 * placed bytes in p->first and the rest in p->frame at their offsets (all of
 * it there too when frame_holds_prefix). Takes more buffers for the rest.
 */
static enum virtio_net_io rx_spread(struct virtio_net_port *p, struct virtq *q,
                                    const guest_mem *gm, size_t total, size_t placed,
                                    bool frame_holds_prefix, const char **reason)
{
    unsigned n_used = 0;
    size_t off = placed;

    p->used[n_used++] = (struct virtio_net_used){ p->first.head, (uint32_t)placed };
    while (off < total) {
        size_t len;
        int got;

        if (n_used >= q->size || n_used >= p->used_cap) {
            /* Even the whole ring would not hold it: it never will. */
            unpop(q, n_used);
            p->frame_len = 0;
            stat_add(&p->stats->rx_dropped, 1);
            return VIRTIO_NET_IO_AGAIN;
        }
        got = virtq_pop(q, gm, &p->chain);
        if (got < 0)
            return broken(q, _("malformed receive queue"), reason);
        if (got == 0) {
            if (!frame_holds_prefix)
                in_read(&p->first, p->frame, placed);
            unpop(q, n_used);
            p->frame_len = total;
            return VIRTIO_NET_IO_WAIT_GUEST;
        }
        if (p->chain.in_bytes == 0) {
            *reason = _("receive buffer without device-writable space");
            return VIRTIO_NET_IO_BROKEN;
        }
        len = MIN(p->chain.in_bytes, total - off);
        virtq_chain_write(&p->chain, 0, p->frame + off, len);
        p->used[n_used++] = (struct virtio_net_used){ p->chain.head, (uint32_t)len };
        off += len;
    }
    rx_fix_header(p, &p->first, (uint16_t)n_used);
    for (unsigned i = 0; i < n_used; i++)
        virtq_push(q, gm, p->used[i].head, p->used[i].len);
    p->frame_len = 0;
    rx_done(p, total);
    return VIRTIO_NET_IO_AGAIN;
}

/* Takes the first buffer of the next frame into p->first. */
static enum virtio_net_io rx_first(struct virtq *q, const guest_mem *gm,
                                   struct virtio_net_port *p, const char **reason)
{
    int got = virtq_pop(q, gm, &p->first);

    if (got < 0)
        return broken(q, _("malformed receive queue"), reason);
    if (got == 0)
        return VIRTIO_NET_IO_WAIT_GUEST;
    /* The header goes in the first buffer whole (5.1.6.3.1). */
    if (p->first.in_bytes < VIRTIO_NET_HDR_LEN) {
        *reason = _("receive buffer shorter than the 12-byte header");
        return VIRTIO_NET_IO_BROKEN;
    }
    return VIRTIO_NET_IO_AGAIN;
}

/* The frame waiting in p->frame, into buffers the guest has added since. */
static enum virtio_net_io rx_pending(struct virtio_net_port *p, struct virtq *q,
                                     const guest_mem *gm, const char **reason)
{
    enum virtio_net_io r = rx_first(q, gm, p, reason);
    size_t placed;

    if (r != VIRTIO_NET_IO_AGAIN)
        return r;
    placed = virtq_chain_write(&p->first, 0, p->frame, p->frame_len);
    if (placed == p->frame_len) {
        rx_fix_header(p, &p->first, 1);
        virtq_push(q, gm, p->first.head, (uint32_t)placed);
        p->frame_len = 0;
        rx_done(p, placed);
        return VIRTIO_NET_IO_AGAIN;
    }
    return rx_spread(p, q, gm, p->frame_len, placed, true, reason);
}

static enum virtio_net_io rx_one(struct virtio_net_port *p, struct virtq *q, const guest_mem *gm,
                                 const char **reason)
{
    static const uint8_t zero_hdr[VIRTIO_NET_HDR_LEN];
    size_t skip = p->vnet_hdr ? 0 : VIRTIO_NET_HDR_LEN;
    enum virtio_net_io r;
    size_t covered;
    size_t total;
    size_t cap;
    ssize_t got;
    unsigned n;

    if (p->frame_len)
        return rx_pending(p, q, gm, reason);
    r = rx_first(q, gm, p, reason);
    if (r != VIRTIO_NET_IO_AGAIN)
        return r;
    n = chain_iov(&p->first, true, skip, FRAME_BUF, p->iov, RX_MAX_IOV, &covered);
    cap = skip + covered;       /* frame bytes [0, cap) land in the first buffer */
    if (cap < FRAME_BUF) {
        p->iov[n].iov_base = p->frame + cap;
        p->iov[n].iov_len = FRAME_BUF - cap;
        n++;
    }
    do {
        got = readv(p->fd, p->iov, (int)n);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        unpop(q, 1);
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return VIRTIO_NET_IO_WAIT_TAP;
        p->last_errno = errno;
        *reason = _("reading the tap failed");
        return VIRTIO_NET_IO_TAP_ERROR;
    }
    total = (size_t)got + skip;
    if (!p->vnet_hdr)
        virtq_chain_write(&p->first, 0, zero_hdr, sizeof(zero_hdr));
    if (total <= cap) {
        rx_fix_header(p, &p->first, 1);
        virtq_push(q, gm, p->first.head, (uint32_t)total);
        rx_done(p, total);
        return VIRTIO_NET_IO_AGAIN;
    }
    if (!p->mrg_rxbuf) {
        /* Buffers too small for this frame: it is lost, the buffer stays for the next. */
        unpop(q, 1);
        stat_add(&p->stats->rx_dropped, 1);
        return VIRTIO_NET_IO_AGAIN;
    }
    return rx_spread(p, q, gm, total, cap, false, reason);
}

enum virtio_net_io virtio_net_rx(struct virtio_net_port *p, struct virtq *q, const guest_mem *gm,
                                 unsigned budget, const char **reason)
{
    for (unsigned done = 0; done < budget; done++) {
        enum virtio_net_io r = rx_one(p, q, gm, reason);

        if (r != VIRTIO_NET_IO_AGAIN)
            return r;
    }
    return VIRTIO_NET_IO_AGAIN;
}

/* ---- control ---- */

int virtio_net_ctrl(const struct virtq_chain *c, bool mq, unsigned max_pairs, unsigned *pairs,
                    uint32_t *written, const char **reason)
{
    uint8_t ack = VIRTIO_NET_ERR;
    uint8_t cmd[2];
    uint8_t data[2];

    *written = 0;
    if (c->in_bytes == 0) {
        *reason = _("control command without a writable ack byte");
        return -1;
    }
    /* One copy of what the guest can rewrite, then only the copy. */
    if (virtq_chain_read(c, 0, cmd, sizeof(cmd)) == sizeof(cmd)) {
        if (cmd[0] == VIRTIO_NET_CTRL_RX && cmd[1] <= VIRTIO_NET_CTRL_RX_NOBCAST) {
            if (virtq_chain_read(c, 2, data, 1) == 1)
                ack = VIRTIO_NET_OK;
        } else if (cmd[0] == VIRTIO_NET_CTRL_MQ && cmd[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
                   mq && virtq_chain_read(c, 2, data, 2) == 2) {
            unsigned n = data[0] | (unsigned)data[1] << 8;

            if (n >= 1 && n <= max_pairs) {
                *pairs = n;
                ack = VIRTIO_NET_OK;
            }
        }
    }
    virtq_chain_write(c, c->in_bytes - 1, &ack, 1);
    *written = 1;
    return 0;
}
