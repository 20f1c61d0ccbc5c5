/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include <stdint.h>
#include <sys/uio.h>

#include "devices/blk-io.h"
#include "devices/virtio-pci.h"
#include "devices/virtio-queue.h"
#include "vmm/config.h"
#include "vmm/vm.h"

typedef struct virtio_blk virtio_blk;

/* Request types and status values (virtio 1.x, 5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
/* struct virtio_blk_discard_write_zeroes: le64 sector, le32 num_sectors, le32 flags */
#define VIRTIO_BLK_DWZ_SIZE 16
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1

/*
 * Reads the request in chain c into *r: 0 with r->op the I/O still to do
 * (BLK_OP_NONE: r->status is final; GET_ID's answer is already written), or -1
 * when the chain is malformed (no room for the header or the status byte): the
 * queue must then be marked broken. Every sector range is checked against the
 * capacity here, so the backends only move data.
 */
int virtio_blk_parse(const struct virtio_blk_disk *disk, const struct virtq_chain *c,
                     struct blk_req *r, const char **reason);
/* Writes r->status into the chain's status byte; returns the used length
 * (data written to the guest when OK, plus the status byte). */
uint32_t virtio_blk_finish(const struct blk_req *r);
/* Serves one request chain synchronously (parse, blk_io_sync_exec, finish):
 * 0 with *written set to the used length, or -1 as virtio_blk_parse. */
int virtio_blk_handle(struct virtio_blk_disk *disk, const struct virtq_chain *c,
                      uint32_t *written, const char **reason);

/*
 * Opens the image now (a regular file or a block device), so that a missing,
 * unreadable or unsuitable one fails before the VM starts. One thread per
 * queue; io_uring unless unavailable or disk_config.disable_io_uring.
 */
virtio_blk *virtio_blk_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              const struct disk_config *p, GError **error);
void virtio_blk_free(virtio_blk *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virtio_blk, virtio_blk_free)
/* Whether the device's queues run on io_uring (for tests and benchmarks). */
bool virtio_blk_uses_io_uring(const virtio_blk *b);
