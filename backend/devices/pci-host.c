/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI host: conf1 ports and ECAM in front of a table of functions on bus 0.
 *
 * Both mechanisms turn an access into an ECAM-style offset (bus << 20 | dev << 15 |
 * fn << 12 | reg) and go through one lookup, so they cannot disagree. Absent
 * functions and buses read all-ones and ignore writes, which is how a guest finds
 * out that nothing is there.
 */
#include "devices/pci-host.h"

#include <glib/gi18n.h>
#include <string.h>

#include "arch/x86_64/layout.h"
#include "vmm/error.h"

#define CONF1_NPORTS 8              /* 0xcf8 address, 0xcfc..0xcff data */
#define CONF1_DATA 4                /* offset of the data window */
#define CONF1_ENABLE 0x80000000u
#define CONF1_ADDRESS_MASK 0x80fffffcu  /* enable, bus, dev, fn, dword register; rest reads 0 */

#define HOST_BRIDGE_VENDOR 0x8086   /* what Cloud Hypervisor presents */
#define HOST_BRIDGE_DEVICE 0x0d57
#define HOST_BRIDGE_CLASS 0x060000  /* bridge, host bridge */
/* A host bridge has no BARs or interrupt; these are the command bits with a meaning. */
#define HOST_BRIDGE_COMMAND_WMASK                                                                \
    (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |              \
     PCI_COMMAND_SERR)

struct pci_slot {
    const pci_function *ops;
    void *opaque;
};

struct pci_host {
    GMutex lock;   /* the conf1 address and the table; held across function callbacks */
    vm *vm;
    uint32_t conf1_address;
    struct pci_slot slots[PCI_MAX_DEVICES][PCI_MAX_FUNCTIONS];
    pci_config bridge;
};

uint32_t pci_config_read(const pci_config *c, uint16_t reg, unsigned len)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < len && i < 4; i++) {
        unsigned r = reg + i;

        if (r < PCI_CONFIG_SIZE)
            v |= (uint32_t)c->data[r] << (8 * i);
    }
    return v;
}

void pci_config_write(pci_config *c, uint16_t reg, uint32_t value, unsigned len)
{
    for (unsigned i = 0; i < len && i < 4; i++) {
        unsigned r = reg + i;
        uint8_t b = (uint8_t)(value >> (8 * i));

        if (r < PCI_CONFIG_SIZE)
            c->data[r] = (uint8_t)((c->data[r] & ~c->wmask[r]) | (b & c->wmask[r]));
    }
}

void pci_config_set(pci_config *c, uint16_t reg, uint32_t value, unsigned len)
{
    for (unsigned i = 0; i < len && i < 4; i++) {
        if ((unsigned)reg + i < PCI_CONFIG_SIZE)
            c->data[reg + i] = (uint8_t)(value >> (8 * i));
    }
}

void pci_config_set_wmask(pci_config *c, uint16_t reg, uint32_t mask, unsigned len)
{
    for (unsigned i = 0; i < len && i < 4; i++) {
        if ((unsigned)reg + i < PCI_CONFIG_SIZE)
            c->wmask[reg + i] = (uint8_t)(mask >> (8 * i));
    }
}

/* 00:00.0, the host bridge: identity and a few command bits, nothing else. */
static uint32_t bridge_read(void *opaque, uint16_t reg, unsigned len)
{
    pci_host *h = opaque;

    return pci_config_read(&h->bridge, reg, len);
}

static void bridge_write(void *opaque, uint16_t reg, uint32_t value, unsigned len)
{
    pci_host *h = opaque;

    pci_config_write(&h->bridge, reg, value, len);
}

static const pci_function bridge_function = {
    .config_read = bridge_read,
    .config_write = bridge_write,
};

static void bridge_init(pci_config *c)
{
    memset(c, 0, sizeof(*c));
    pci_config_set(c, PCI_VENDOR_ID, HOST_BRIDGE_VENDOR, 2);
    pci_config_set(c, PCI_DEVICE_ID, HOST_BRIDGE_DEVICE, 2);
    pci_config_set(c, PCI_CLASS_REVISION, HOST_BRIDGE_CLASS << 8, 4);
    pci_config_set_wmask(c, PCI_COMMAND, HOST_BRIDGE_COMMAND_WMASK, 2);
}

/* One naturally aligned access of 1, 2 or 4 bytes inside one function. Lock held. */
static void config_access(pci_host *h, uint64_t ecam_offset, uint8_t *data, unsigned len,
                          bool is_write)
{
    uint64_t bus = ecam_offset >> 20;
    unsigned dev = (ecam_offset >> 15) & (PCI_MAX_DEVICES - 1);
    unsigned fn = (ecam_offset >> 12) & (PCI_MAX_FUNCTIONS - 1);
    uint16_t reg = ecam_offset & (PCIE_CONFIG_SIZE - 1);
    const struct pci_slot *slot = &h->slots[dev][fn];
    uint32_t v = 0;

    if (bus > LAYOUT_ECAM_LAST_BUS || !slot->ops) {
        if (!is_write)
            memset(data, 0xff, len);
        return;
    }
    if (is_write) {
        for (unsigned i = 0; i < len; i++)
            v |= (uint32_t)data[i] << (8 * i);
        slot->ops->config_write(slot->opaque, reg, v, len);
    } else {
        v = slot->ops->config_read(slot->opaque, reg, len);
        for (unsigned i = 0; i < len; i++)
            data[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Anything but an aligned 1/2/4-byte access is done byte by byte, so functions only
 * ever see the simple case and an access can never spill into the next function. */
static void config_access_split(pci_host *h, uint64_t ecam_offset, uint8_t *data, uint32_t len,
                                bool is_write)
{
    if ((len == 1 || len == 2 || len == 4) && ecam_offset % len == 0) {
        config_access(h, ecam_offset, data, len, is_write);
        return;
    }
    for (uint32_t i = 0; i < len; i++)
        config_access(h, ecam_offset + i, data + i, 1, is_write);
}

static bool ecam_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
    pci_host *h = opaque;

    if (offset >= LAYOUT_ECAM_SIZE || len > LAYOUT_ECAM_SIZE - offset)
        return false;
    g_mutex_lock(&h->lock);
    config_access_split(h, offset, data, len, is_write);
    g_mutex_unlock(&h->lock);
    return true;
}

static bool conf1_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
    pci_host *h = opaque;
    uint32_t addr;
    uint64_t ecam_offset;

    if (offset >= CONF1_NPORTS || len > CONF1_NPORTS - offset)
        return false;
    g_mutex_lock(&h->lock);
    addr = h->conf1_address;
    if (offset < CONF1_DATA) {
        /* Only a dword at 0xcf8 is the address register. Byte and word accesses to
         * 0xcf8-0xcfb belong to other chipset registers (Linux's type-1 probe writes
         * 0xcfb first); none is modelled. */
        if (offset == 0 && len == 4) {
            if (is_write) {
                h->conf1_address = ((uint32_t)data[0] | (uint32_t)data[1] << 8 |
                                    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24) &
                                   CONF1_ADDRESS_MASK;
            } else {
                for (unsigned i = 0; i < 4; i++)
                    data[i] = (uint8_t)(addr >> (8 * i));
            }
        } else if (!is_write) {
            memset(data, 0xff, len);
        }
    } else if (!(addr & CONF1_ENABLE)) {
        if (!is_write)
            memset(data, 0xff, len);
    } else {
        /* bus, dev, fn sit at bits 23..8 of the address, 8 bits lower than in ECAM. */
        ecam_offset = ((uint64_t)(addr & 0x00ffff00u) << 4) | (addr & 0xfc);
        config_access_split(h, ecam_offset + (offset - CONF1_DATA), data, len, is_write);
    }
    g_mutex_unlock(&h->lock);
    return true;
}

int pci_host_add_function(pci_host *h, unsigned dev, unsigned fn, const pci_function *ops,
                          void *opaque, GError **error)
{
    struct pci_slot *slot;

    if (dev >= PCI_MAX_DEVICES || fn >= PCI_MAX_FUNCTIONS || !ops || !ops->config_read ||
        !ops->config_write) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("invalid PCI function 00:%02x.%x"), dev, fn);
        return -1;
    }
    g_mutex_lock(&h->lock);
    slot = &h->slots[dev][fn];
    if (slot->ops) {
        g_mutex_unlock(&h->lock);
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_EXISTS,
                    _("PCI slot 00:%02x.%x is already in use"), dev, fn);
        return -1;
    }
    slot->ops = ops;
    slot->opaque = opaque;
    g_mutex_unlock(&h->lock);
    return 0;
}

pci_host *pci_host_create(vm *vm, GError **error)
{
    g_autoptr(pci_host) h = g_new0(pci_host, 1);

    g_mutex_init(&h->lock);
    h->vm = vm;
    bridge_init(&h->bridge);
    if (pci_host_add_function(h, 0, 0, &bridge_function, h, error) < 0)
        return NULL;
    if (vm_register_pio(vm, LAYOUT_PCI_CONF1_PORT, CONF1_NPORTS, "pci-conf1", conf1_io, h,
                        error) < 0)
        return NULL;
    if (vm_register_mmio(vm, LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, "pci-ecam", ecam_io, h,
                         error) < 0)
        return NULL;
    return g_steal_pointer(&h);
}

/* Only after the vCPUs are gone: the port and MMIO ranges keep pointing here. */
void pci_host_free(pci_host *h)
{
    if (!h)
        return;
    g_mutex_clear(&h->lock);
    g_free(h);
}
