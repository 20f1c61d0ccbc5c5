/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The modern (virtio 1.x) PCI transport: a PCI function on the host bridge
 * whose one 32-bit memory BAR holds the common configuration, the ISR, the
 * device configuration, the notification doorbells and the MSI-X table.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "devices/pci-host.h"
#include "devices/virtio-dev.h"

/* BAR 0 layout; its size is a power of two, as PCI requires. */
#define VIRTIO_PCI_BAR_SIZE 0x8000u
#define VIRTIO_PCI_COMMON_OFF 0x0000u
#define VIRTIO_PCI_ISR_OFF 0x1000u
#define VIRTIO_PCI_DEVICE_OFF 0x2000u
#define VIRTIO_PCI_NOTIFY_OFF 0x3000u
#define VIRTIO_PCI_NOTIFY_MULTIPLIER 4u
#define VIRTIO_PCI_MSIX_TABLE_OFF 0x4000u
#define VIRTIO_PCI_MSIX_PBA_OFF 0x5000u

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_MSI_NO_VECTOR 0xffff

typedef struct virtio_pci virtio_pci;

/*
 * Puts dev at 00:slot.0 with BAR 0 at bar_gpa (VIRTIO_PCI_BAR_SIZE aligned,
 * inside the PCI window). The guest may size the BAR, but the registration
 * stays where skiff put it: a guest that moves it loses the device.
 */
virtio_pci *virtio_pci_create(vm *vm, pci_host *host, unsigned slot, uint64_t bar_gpa,
                              struct virtio_dev *dev, GError **error);
void virtio_pci_free(virtio_pci *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virtio_pci, virtio_pci_free)
