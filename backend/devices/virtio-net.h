/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "devices/virtio-pci.h"
#include "vmm/config.h"
#include "vmm/vm.h"

typedef struct virtio_net virtio_net;

/* Opens (or creates) the tap now, so a bad tap fails before the VM starts. */
virtio_net *virtio_net_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              const struct net_config *cfg, GError **error);
void virtio_net_free(virtio_net *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virtio_net, virtio_net_free)
