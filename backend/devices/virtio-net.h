/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
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
/* For vm.counters: adds the member "<id>": {"rx_frames": ..., ...} to the object b is in. */
void virtio_net_add_counters(virtio_net *n, JsonBuilder *b);
/* The tap's interface name (created or inherited). */
const char *virtio_net_tap_name(virtio_net *n);
