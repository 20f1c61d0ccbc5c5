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
/* Reset, ACKNOWLEDGE|DRIVER; returns the device's feature bits 0..31 (VERSION_1 checked). */
uint32_t virtio_begin(struct virtio_guest_dev *d);
/* Accepts VERSION_1 alone, FEATURES_OK, queue 0 set up, DRIVER_OK. */
void virtio_finish(struct virtio_guest_dev *d);
/* Submits descriptors [0, n) as one chain (next links filled in) and waits
 * for it; returns the used length. */
uint32_t virtio_submit(struct virtio_guest_dev *d, struct vring_desc *chain, unsigned n);
