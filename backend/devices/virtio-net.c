/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placeholder until the device lands: refuses to be created. */
#include "devices/virtio-net.h"

#include <glib/gi18n.h>

#include "vmm/error.h"

struct virtio_net {
    int unused;
};

virtio_net *virtio_net_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              const struct net_config *cfg, GError **error)
{
    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED, _("virtio-net is not available yet"));
    return NULL;
}

void virtio_net_free(virtio_net *n)
{
    g_free(n);
}
