/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtio-net's data path, apart from the transport and the thread: frames
 * between one tap queue and one receive/transmit virtqueue pair, and the
 * control queue's commands. Unit tests and the fuzz target drive these on a
 * fake guest memory and a socket pair standing in for the tap.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio-queue.h"

#define VIRTIO_NET_HDR_LEN 12          /* virtio_net_hdr_v1: with VERSION_1 always 12 bytes */
/* A frame without its header: 64 KiB of GSO payload and its headers, what a
 * tap hands out at most (the figure other VMMs use). */
#define VIRTIO_NET_MAX_FRAME 65562

/* Header fields (5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_NUM_BUFFERS 10  /* le16 offset */

/* Control queue (5.1.6.5). */
#define VIRTIO_NET_CTRL_RX 0
#define VIRTIO_NET_CTRL_RX_NOBCAST 5   /* the last RX command */
#define VIRTIO_NET_CTRL_MAC 1
#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1

/* Updated with atomic adds: vm.counters reads them from another thread. */
struct virtio_net_stats {
    uint64_t rx_frames;
    uint64_t rx_bytes;         /* frames only, headers not counted */
    uint64_t rx_dropped;       /* too big for the guest's buffers */
    uint64_t tx_frames;
    uint64_t tx_bytes;
    uint64_t tx_dropped;       /* malformed, oversized, or refused by the tap */
};

enum virtio_net_io {
    VIRTIO_NET_IO_AGAIN,       /* the budget ran out with more to do */
    VIRTIO_NET_IO_IDLE,        /* tx: the queue is empty */
    VIRTIO_NET_IO_WAIT_TAP,    /* rx: the tap has no frame; tx: the tap takes none now */
    VIRTIO_NET_IO_WAIT_GUEST,  /* rx: not enough receive buffers for the next frame */
    VIRTIO_NET_IO_BROKEN,      /* the guest broke the queue: *reason says how */
    VIRTIO_NET_IO_TAP_ERROR,   /* rx: reading the tap failed (p->last_errno); stop reading it */
};

struct virtio_net_used {
    uint16_t head;
    uint32_t len;
};

/* One queue pair's host side and scratch state. */
struct virtio_net_port {
    int fd;                    /* the tap queue, non-blocking */
    bool vnet_hdr;             /* the tap reads and writes the header; else skiff adds/strips it */
    bool mrg_rxbuf;            /* VIRTIO_NET_F_MRG_RXBUF negotiated */
    bool guest_csum;           /* VIRTIO_NET_F_GUEST_CSUM negotiated; else rx flags are zeroed */
    struct virtio_net_stats *stats;
    int last_errno;            /* of the last failed tap read or write, for the caller's log */
    /* Receive: a frame that did not fit in the first buffer, header included,
     * indexed by its offset in the frame; frame_len > 0 while one waits for
     * buffers (mergeable buffers only). */
    uint8_t *frame;
    size_t frame_len;
    struct virtio_net_used *used;    /* max_queue_size entries */
    unsigned used_cap;
    struct virtq_chain first;
    struct virtq_chain chain;
    struct iovec iov[VIRTQ_MAX_SEGS + 1];
};

void virtio_net_port_init(struct virtio_net_port *p, int fd, bool vnet_hdr,
                          unsigned max_queue_size, struct virtio_net_stats *stats);
void virtio_net_port_clear(struct virtio_net_port *p);
/* Forgets a waiting frame (reset, or the pair was turned off); it counts as dropped. */
void virtio_net_port_drop_pending(struct virtio_net_port *p);

/* Sends up to budget chains of the transmit queue to the tap. A chain too
 * short for the header or longer than the maximum frame is dropped and
 * counted, and given back like any other. */
enum virtio_net_io virtio_net_tx(struct virtio_net_port *p, struct virtq *q, const guest_mem *gm,
                                 unsigned budget, const char **reason);
/* Moves up to budget frames from the tap into the receive queue. A frame is
 * read only when a buffer is there for it; a frame that finds too few
 * mergeable buffers waits in the port for more. */
enum virtio_net_io virtio_net_rx(struct virtio_net_port *p, struct virtq *q, const guest_mem *gm,
                                 unsigned budget, const char **reason);
/*
 * One control queue command: writes the ack byte (the last device-writable
 * byte) and returns 0 with *written set, or -1 when there is no such byte
 * (the queue is then broken). VQ_PAIRS_SET sets *pairs when mq is true and
 * the count is 1..max_pairs; RX mode commands are acknowledged (a tap
 * delivers everything); anything else is VIRTIO_NET_ERR.
 */
int virtio_net_ctrl(const struct virtq_chain *c, bool mq, unsigned max_pairs, unsigned *pairs,
                    uint32_t *written, const char **reason);
