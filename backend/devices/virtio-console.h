/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "devices/virtio-pci.h"
#include "devices/virtio-queue.h"
#include "vmm/chardev.h"
#include "vmm/config.h"
#include "vmm/vm.h"

typedef struct virtio_console virtio_console;

/* Queues of the single port (virtio 1.x, 5.3.2): no MULTIPORT, no control queues. */
#define VIRTIO_CONSOLE_RXQ 0     /* receiveq0: host input into guest buffers */
#define VIRTIO_CONSOLE_TXQ 1     /* transmitq0: guest output */

/* The queue work, apart from the transport and the threads, so that a unit
 * test can run it on fake guest memory with a pipe as the host side. */
struct virtio_console_port {
    int out_fd;                     /* non-blocking; -1 discards output (--console null) */
    uint64_t tx_dropped;            /* guest output bytes the host side could not take */
    bool tx_drop_logged;
    const char *name;               /* for the drop message: "console0" */
    struct iovec iov[VIRTQ_MAX_SEGS];
    struct virtq_chain chain;       /* scratch for both queues: used under one lock */
};

/* Writes every available transmit chain to out_fd and returns it to the
 * guest. Returns the number of chains completed, or -1 with *reason when the
 * guest broke the queue (a device-writable descriptor in a transmit chain, or
 * a malformed ring): the device must then be marked broken. */
int virtio_console_transmit(struct virtio_console_port *p, struct virtq *q,
                            const guest_mem *gm, const char **reason);
/* Copies up to len bytes of host input into the guest's receive buffers, one
 * chain after the other. Returns the bytes taken (less than len when the guest
 * has no more buffers) and sets *pushed to the chains completed, or -1 with
 * *reason as above (a device-readable descriptor in a receive chain). */
ssize_t virtio_console_receive(struct virtio_console_port *p, struct virtq *q,
                               const guest_mem *gm, const uint8_t *buf, size_t len,
                               unsigned *pushed, const char **reason);

/* Opens the backend now (a pty is created, a file opened). */
virtio_console *virtio_console_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                                      const char *id, chardev *chardev, GError **error);
/* The pty's path for the pty backend, else NULL. */
const char *virtio_console_pty_path(virtio_console *c);
/* Guest output bytes dropped because the host side was not taking them. */
uint64_t virtio_console_tx_dropped(virtio_console *c);
void virtio_console_free(virtio_console *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virtio_console, virtio_console_free)
