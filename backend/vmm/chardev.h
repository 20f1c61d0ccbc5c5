/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host side of a character device (serial today, virtio-console later). */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

typedef struct chardev chardev;

/* Consumes up to len bytes of host input; returns how many it took. */
typedef size_t (*chardev_deliver_fn)(void *opaque, const uint8_t *buf, size_t len);

chardev *chardev_open(const struct char_config *cfg, const char *what, GError **error);
void chardev_free(chardev *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(chardev, chardev_free)
/* The fd device output goes to, or -1 to discard it. Non-blocking. */
int chardev_out_fd(chardev *c);
/* The pty's path for the pty backend, else NULL. */
const char *chardev_pty_path(chardev *c);
/* Starts feeding host input to deliver from the given main context. */
void chardev_attach(chardev *c, GMainContext *ctx, chardev_deliver_fn deliver, void *opaque);
/* Stops feeding the device (it is going away); the host side stays open,
 * input not delivered yet stays pending, and a later chardev_attach()
 * feeds the next device. Main thread. */
void chardev_detach(chardev *c);
/* The device has room again; safe from any thread. */
void chardev_input_ready(chardev *c);
