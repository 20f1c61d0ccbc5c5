/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "devices/virtio-pci.h"
#include "vmm/vm.h"

typedef struct virtio_rng virtio_rng;

/* Opens src (read-only) now, so a bad path fails before the VM starts. */
virtio_rng *virtio_rng_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              const char *id, const char *src, GError **error);
void virtio_rng_free(virtio_rng *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virtio_rng, virtio_rng_free)
