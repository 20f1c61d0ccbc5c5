/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio-pci.h"
#include "devices/virtio-queue.h"
#include "vmm/config.h"
#include "vmm/vm.h"

typedef struct virtio_blk virtio_blk;

#define VIRTIO_BLK_SECTOR 512
#define VIRTIO_BLK_ID_BYTES 20

/* Request types and status values (virtio 1.x, 5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* The image and what a request needs; separate from the transport so the
 * request parser can be tested on a fake chain. */
struct virtio_blk_disk {
    int fd;
    uint64_t capacity;                      /* in 512-byte sectors */
    bool readonly;
    char serial[VIRTIO_BLK_ID_BYTES];       /* zero-padded, not terminated when full */
    struct iovec iov[VIRTQ_MAX_SEGS];       /* scratch for preadv/pwritev */
};

/* Serves one request chain: 0 with *written (bytes put in the in-segments,
 * status byte included) set, or -1 when the chain is malformed (no room for
 * the header or the status byte): the queue must then be marked broken. */
int virtio_blk_handle(struct virtio_blk_disk *disk, const struct virtq_chain *c,
                      uint32_t *written, const char **reason);

/* Opens the image now, so a missing or unreadable file fails before the VM starts. */
virtio_blk *virtio_blk_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              const struct disk_config *p, GError **error);
void virtio_blk_free(virtio_blk *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virtio_blk, virtio_blk_free)
