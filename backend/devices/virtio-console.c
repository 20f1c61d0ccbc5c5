/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placeholder until the device lands: refuses to be created. */
#include "devices/virtio-console.h"

#include <glib/gi18n.h>

#include "vmm/error.h"

struct virtio_console {
    int unused;
};

virtio_console *virtio_console_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                                      const char *id, const struct char_config *cfg,
                                      GError **error)
{
    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                _("virtio-console is not available yet"));
    return NULL;
}

const char *virtio_console_pty_path(virtio_console *c)
{
    return NULL;
}

void virtio_console_free(virtio_console *c)
{
    g_free(c);
}
