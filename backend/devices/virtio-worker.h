/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A virtio device's own thread: the guest's doorbell for queue 0 is an
 * ioeventfd that wakes it, it runs under the device seccomp filter, and it
 * serves the queue with the transport's lock held. Device work so stays off
 * the vCPU threads, which only write the eventfd.
 */
#pragma once

#include <glib.h>

#include "devices/virtio-dev.h"

struct virtio_worker {
    struct virtio_dev *dev;
    void (*serve)(struct virtio_dev *dev);   /* with the transport's lock held */
    int kick_fd;                             /* eventfd: guest kicks and the stop request */
    GThread *thread;
    int stopping;                            /* atomic */
};

/* After virtio_pci_create(): binds the doorbell of queue 0 and starts the
 * thread, named "<device> <id>". */
int virtio_worker_start(struct virtio_worker *w, struct virtio_dev *dev,
                        void (*serve)(struct virtio_dev *dev), GError **error);
/* Wakes the thread (the queue_notify callback for doorbell writes the
 * ioeventfd did not catch). */
void virtio_worker_wake(struct virtio_worker *w);
/* Stops and joins the thread; safe on a zeroed worker that never started. */
void virtio_worker_stop(struct virtio_worker *w);
