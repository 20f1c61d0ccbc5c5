/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PCI host: segment 0, config space through port conf1 (0xcf8/0xcfc) and ECAM,
 * bus 0 only. Functions are a table; the host bridge at 00:00.0 is the first entry,
 * endpoints (virtio-pci) add themselves the same way.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "vmm/vm.h"

#define PCI_CONFIG_SIZE 256     /* conventional config space: all conf1 reaches */
#define PCIE_CONFIG_SIZE 4096   /* with the extended space: what ECAM reaches */
#define PCI_MAX_DEVICES 32
#define PCI_MAX_FUNCTIONS 8

/* Standard header registers. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REVISION 0x08  /* class << 8 | revision */
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_MULTI_FUNCTION 0x80

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400

/*
 * One function's config space. reg + len never leaves the function's 4 KiB, len is
 * 1, 2 or 4 and reg is aligned to it (the host splits anything else into bytes).
 * Values are in the low bits, in the CPU's order. Called with the host's lock held,
 * from vCPU threads: the callbacks must not call back into the pci_host.
 */
typedef struct pci_function {
    uint32_t (*config_read)(void *opaque, uint16_t reg, unsigned len);
    void (*config_write)(void *opaque, uint16_t reg, uint32_t value, unsigned len);
} pci_function;

/*
 * A conventional config space with a write mask per byte: the guest changes only
 * the bits set in wmask, everything else is read-only. The extended space (256 and
 * up) reads 0: no extended capabilities. A function that needs side effects (BARs,
 * MSI-X enable) wraps these in its own callbacks.
 */
typedef struct pci_config {
    uint8_t data[PCI_CONFIG_SIZE];
    uint8_t wmask[PCI_CONFIG_SIZE];
} pci_config;

uint32_t pci_config_read(const pci_config *c, uint16_t reg, unsigned len);
/* What the guest writes: through wmask. */
void pci_config_write(pci_config *c, uint16_t reg, uint32_t value, unsigned len);
/* What the device model sets up: raw value, or write mask. Out-of-range bytes are ignored. */
void pci_config_set(pci_config *c, uint16_t reg, uint32_t value, unsigned len);
void pci_config_set_wmask(pci_config *c, uint16_t reg, uint32_t mask, unsigned len);

typedef struct pci_host pci_host;

pci_host *pci_host_create(vm *vm, GError **error);
void pci_host_free(pci_host *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(pci_host, pci_host_free)

/* Put a function at 00:dev.fn. fn > 0 is only found by guests if function 0 sets
 * PCI_HEADER_TYPE_MULTI_FUNCTION. ops must outlive the host. */
int pci_host_add_function(pci_host *h, unsigned dev, unsigned fn, const pci_function *ops,
                          void *opaque, GError **error);
