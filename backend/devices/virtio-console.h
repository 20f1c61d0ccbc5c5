/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "devices/virtio-pci.h"
#include "vmm/config.h"
#include "vmm/vm.h"

typedef struct virtio_console virtio_console;

/* Opens the backend now (a pty is created, a file opened). */
virtio_console *virtio_console_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                                      const char *id, const struct char_config *cfg,
                                      GError **error);
/* The pty's path for the pty backend, else NULL. */
const char *virtio_console_pty_path(virtio_console *c);
void virtio_console_free(virtio_console *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virtio_console, virtio_console_free)
