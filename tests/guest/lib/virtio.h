/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tiny modern virtio-pci driver for the guest programs, without interrupts:
 * find the device on bus 0 through ECAM, walk its capabilities to the common,
 * notify and device configuration in the BAR skiff assigned, negotiate
 * VIRTIO_F_VERSION_1 only, set up queue 0 (MSI-X vector NO_VECTOR) and submit
 * one chain at a time, polling the used index. Any deviation is guest_fail().
 */
#pragma once

#include "guest.h"

#define VRING_F_NEXT 1
#define VRING_F_WRITE 2

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtio_guest_dev {
    const char *name;          /* for messages */
    unsigned slot;
    uint64_t common;
    uint64_t devcfg;           /* 0 when the device has no device configuration */
    uint64_t notify;
    uint32_t notify_mult;
    uint16_t qsize;
};

/* Finds vendor 0x1af4, device pci_device on bus 0 and maps its capabilities. */
void virtio_find(struct virtio_guest_dev *d, uint16_t pci_device, const char *name);
/* The same, from slot first_slot on: the second of two such devices. */
void virtio_find_from(struct virtio_guest_dev *d, uint16_t pci_device, const char *name,
                      unsigned first_slot);
/* Reset, ACKNOWLEDGE|DRIVER; returns the device's feature bits 0..31 (VERSION_1 checked). */
uint32_t virtio_begin(struct virtio_guest_dev *d);
/* Accepts VERSION_1 alone, FEATURES_OK, queue 0 set up, DRIVER_OK. */
void virtio_finish(struct virtio_guest_dev *d);
/* Submits descriptors [0, n) as one chain (next links filled in) and waits
 * for it; returns the used length. */
uint32_t virtio_submit(struct virtio_guest_dev *d, struct vring_desc *chain, unsigned n);

/*
 * Devices with several queues (virtio-console's receiveq0 and transmitq0):
 * the caller owns one struct per queue, with its rings inside. One chain in
 * flight per queue at a time, polled like virtio_submit().
 */
#define VIRTIO_GQ_SIZE 4

struct virtio_guest_queue {
    struct vring_desc desc[VIRTIO_GQ_SIZE];
    struct {
        uint16_t flags;
        uint16_t idx;
        uint16_t ring[VIRTIO_GQ_SIZE];
        uint16_t used_event;
    } avail;
    struct {
        uint16_t flags;
        uint16_t idx;
        struct { uint32_t id; uint32_t len; } ring[VIRTIO_GQ_SIZE];
        uint16_t avail_event;
    } used __attribute__((aligned(4)));
    uint64_t notify;           /* this queue's doorbell */
    uint16_t size;
    uint16_t next_used;        /* used index the next completion brings */
    bool busy;                 /* a chain is in flight */
} __attribute__((aligned(16)));

/* As virtio_finish(), for queues 0..n-1 described by qs[0..n-1]. */
void virtio_finish_queues(struct virtio_guest_dev *d, struct virtio_guest_queue *qs, unsigned n);
/* Makes descriptors [0, n) one chain (next links filled in), available, and kicks. */
void virtio_queue_post(struct virtio_guest_queue *q, const struct vring_desc *chain, unsigned n);
/* Waits up to spin_limit polls for the chain in flight; returns its used
 * length. guest_fail() when it does not come back. */
uint32_t virtio_queue_wait(struct virtio_guest_queue *q, uint32_t spin_limit);

/* As virtio_finish_queues(), accepting the device's feature bits 0..31 in
 * features (virtio-net: MAC, MRG_RXBUF, MQ, CTRL_VQ) besides VERSION_1. */
void virtio_finish_queues_features(struct virtio_guest_dev *d, uint32_t features,
                                   struct virtio_guest_queue *qs, unsigned n);
/* Whether the chain in flight on q came back: virtio_queue_wait() then
 * returns at once. For polling several queues. */
bool virtio_queue_done(const struct virtio_guest_queue *q);
