/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Split virtqueues (virtio 1.x, section 2.7) on guest memory. Everything the
 * guest controls — ring indexes, descriptor addresses, lengths, flags, next
 * links, indirect tables — is checked: a malformed chain marks the queue
 * broken (the device then sets DEVICE_NEEDS_RESET) and never touches host
 * memory outside guest RAM. Not thread-safe: one thread owns a queue.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest-mem.h"

#define VIRTQ_MAX_SIZE 32768
#define VIRTQ_MAX_SEGS 1024          /* descriptors in one chain, indirect included */

/* Guest-visible bits (virtio 1.x, 2.7.5 and 2.7.6). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq_seg {
    uint8_t *host;                   /* inside guest RAM, valid for len bytes */
    uint32_t len;
    bool device_writable;            /* VIRTQ_DESC_F_WRITE: an "in" buffer */
};

struct virtq_chain {
    uint16_t head;                   /* to give back with virtq_push() */
    unsigned n_out;                  /* device-readable segments, first */
    unsigned n_in;                   /* device-writable segments, after them */
    struct virtq_seg seg[VIRTQ_MAX_SEGS];
    uint64_t out_bytes;
    uint64_t in_bytes;
};

struct virtq {
    /* Set by the transport from the guest's queue configuration. */
    uint16_t size;                   /* a power of two, 1..VIRTQ_MAX_SIZE */
    uint64_t desc_gpa;
    uint64_t avail_gpa;
    uint64_t used_gpa;
    bool event_idx;                  /* VIRTIO_F_EVENT_IDX negotiated */
    /* Device state. */
    uint16_t last_avail;
    uint16_t used_idx;
    uint16_t signalled_used;
    bool broken;                     /* a malformed chain was seen: stop using the queue */
    const char *broken_reason;
    /* Host views of the rings, set by virtq_start(): guest RAM regions never
     * move while the VM lives, so they stay valid until the next start. */
    uint8_t *desc_host;
    uint8_t *avail_host;
    uint8_t *used_host;
    bool kicks_off;                  /* virtq_set_notify(q, gm, false) in effect */
};

/* Checks the rings lie in guest RAM and the size is valid; resets the indexes. */
int virtq_start(struct virtq *q, const guest_mem *gm, GError **error);
/* Next available chain: 1 and *chain filled, 0 when none, -1 when the guest
 * broke the queue (q->broken set, reason in q->broken_reason). A chain has at
 * least one segment and none is empty. The segments are guest memory that the
 * guest can rewrite at any time: copy a request header out once
 * (virtq_chain_read) and check the copy. */
int virtq_pop(struct virtq *q, const guest_mem *gm, struct virtq_chain *chain);
/* Returns a chain to the guest, len bytes written into its in-segments. */
void virtq_push(struct virtq *q, const guest_mem *gm, uint16_t head, uint32_t len);
/* Whether the guest wants an interrupt for what was pushed since the last call. */
bool virtq_should_notify(struct virtq *q, const guest_mem *gm);
/* Asks the guest for kicks (on) or not (off): VIRTQ_USED_F_NO_NOTIFY, or
 * avail_event with EVENT_IDX. Returns whether chains are already waiting, so
 * a device that re-enables kicks after draining the queue misses none. */
bool virtq_set_notify(struct virtq *q, const guest_mem *gm, bool on);
/* Gather/scatter helpers over a chain's segments. Read copies from the device-readable segments, write into the device-writable
 * ones; offset counts from the first segment of that kind. Both return the
 * bytes copied, short when the segments end first. */
size_t virtq_chain_read(const struct virtq_chain *c, size_t offset, void *dst, size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, size_t offset, const void *src, size_t len);
