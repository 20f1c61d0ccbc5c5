/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a virtio device model sees. A device is one file with a const ops table
 * and a private struct that embeds struct virtio_dev; it never sees PCI: the
 * transport (virtio-pci.c) owns config space, BARs, MSI-X and the queue setup
 * registers, and hands the device started queues.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio-queue.h"
#include "vmm/vm.h"

/* Virtio device IDs (virtio 1.x, section 5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

/* Feature bits the transport handles itself. */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

#define VIRTIO_DEV_MAX_QUEUES 64

struct virtio_dev;

struct virtio_dev_ops {
    const char *name;                /* for messages: "virtio-rng" */
    uint16_t device_id;              /* VIRTIO_ID_* */
    uint32_t pci_class;              /* base class << 16 | subclass << 8 | prog-if */
    unsigned num_queues;             /* 1..VIRTIO_DEV_MAX_QUEUES; an instance may set its own */
    uint16_t max_queue_size;         /* a power of two, <= VIRTQ_MAX_SIZE; the same */
    uint64_t features;               /* offered besides VIRTIO_F_VERSION_1 */
    uint32_t config_size;            /* device-specific config bytes, <= 4096 */
    /* off + len <= config_size, len 1, 2, 4 or 8; little-endian bytes. May be NULL. */
    void (*config_read)(struct virtio_dev *d, uint32_t off, uint8_t *data, uint32_t len);
    void (*config_write)(struct virtio_dev *d, uint32_t off, const uint8_t *data, uint32_t len);
    /* The guest kicked queue q (enabled, started, not broken, driver ready). */
    void (*queue_notify)(struct virtio_dev *d, unsigned q);
    /* The guest reset the device (status 0): drop in-flight state. May be NULL. */
    void (*reset)(struct virtio_dev *d);
    /* DRIVER_OK: queues are started and d->features is final. May be NULL. */
    int (*activate)(struct virtio_dev *d, GError **error);
};

/*
 * Embedded first in every device's private struct. The device fills ops, vm and
 * id before handing it to the transport; the transport owns the rest.
 */
struct virtio_dev {
    const struct virtio_dev_ops *ops;
    vm *vm;
    char *id;                        /* "rng0": shown by vm.info */
    uint64_t host_features;          /* ops->features plus per-instance bits; set by the device */
    uint64_t features;               /* negotiated: valid from FEATURES_OK on */
    unsigned num_queues;             /* 0: ops->num_queues; final once the transport exists */
    uint32_t max_queue_size;         /* 0: ops->max_queue_size; the same */
    struct virtq vq[VIRTIO_DEV_MAX_QUEUES];
    bool vq_ready[VIRTIO_DEV_MAX_QUEUES];   /* enabled and started by the transport */
    struct virtio_pci *transport;
};

/*
 * The transport's lock (recursive): callbacks run with it held; a device's own
 * thread takes it around queue work, so a reset or a queue being enabled never
 * races with it.
 */
void virtio_dev_lock(struct virtio_dev *d);
void virtio_dev_unlock(struct virtio_dev *d);
/*
 * Called by devices from their callbacks (with the transport's lock held) or
 * from their own threads. After pushing to queue q: interrupt the guest if it
 * asked for one.
 */
void virtio_dev_notify(struct virtio_dev *d, unsigned q);
/*
 * After the transport is set up: guest kicks of queue q signal the eventfd fd
 * in the hypervisor instead of calling queue_notify on the vCPU thread. Kicks
 * of other widths still reach queue_notify, which should signal the same fd.
 * The device's thread must check d->vq_ready under virtio_dev_lock().
 */
int virtio_dev_bind_notify_fd(struct virtio_dev *d, unsigned q, int fd, GError **error);
/* A guest error or host failure: set DEVICE_NEEDS_RESET and tell the driver. */
void virtio_dev_mark_broken(struct virtio_dev *d, const char *reason);
