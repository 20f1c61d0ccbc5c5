/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PCI config space through both mechanisms: conf1 ports and ECAM (identity-mapped
 * by the runtime). 00:00.0 is the host bridge, both must agree on it, and an empty
 * slot reads all-ones on both. This VM has no PCI devices configured, so the bridge
 * is the only function on bus 0.
 */
#include "guest.h"

#include "../../backend/arch/x86_64/layout.h"

#define CONF1_ADDR LAYOUT_PCI_CONF1_PORT
#define CONF1_DATA (LAYOUT_PCI_CONF1_PORT + 4)
#define CONF1_ENABLE 0x80000000u

static uint32_t conf1_address(unsigned dev, unsigned fn, unsigned reg)
{
    return CONF1_ENABLE | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t conf1_read32(unsigned dev, unsigned fn, unsigned reg)
{
    outl(CONF1_ADDR, conf1_address(dev, fn, reg));
    return inl(CONF1_DATA);
}

static uint32_t ecam_read32(unsigned dev, unsigned fn, unsigned reg)
{
    return mmio_read32(LAYOUT_ECAM_BASE + ((uint64_t)dev << 15 | fn << 12 | reg));
}

int guest_main(void)
{
    uint32_t id = conf1_read32(0, 0, 0x00);
    uint32_t class_rev = conf1_read32(0, 0, 0x08);
    unsigned functions = 0;

    serial_put_kv("00:00.0 id", id);
    if ((id & 0xffff) != 0x8086)
        guest_fail("host bridge vendor is not 8086");
    serial_puts("host bridge 8086\n");
    GUEST_CHECK(id >> 16 == 0x0d57);
    GUEST_CHECK(class_rev >> 16 == 0x0600);

    /* Narrow reads at their offsets in the data window. */
    outl(CONF1_ADDR, conf1_address(0, 0, 0x00));
    GUEST_CHECK(inw(CONF1_DATA + 2) == 0x0d57);
    GUEST_CHECK(inb(CONF1_DATA + 1) == 0x80);
    outl(CONF1_ADDR, conf1_address(0, 0, 0x08));
    GUEST_CHECK(inb(CONF1_DATA + 3) == 0x06);
    GUEST_CHECK(inl(CONF1_ADDR) == conf1_address(0, 0, 0x08));

    GUEST_CHECK(ecam_read32(0, 0, 0x00) == id);
    GUEST_CHECK(ecam_read32(0, 0, 0x08) == class_rev);

    GUEST_CHECK(conf1_read32(1, 0, 0x00) == 0xffffffff);
    GUEST_CHECK(ecam_read32(1, 0, 0x00) == 0xffffffff);

    for (unsigned dev = 0; dev < 32; dev++) {
        uint32_t v = conf1_read32(dev, 0, 0x00);

        GUEST_CHECK(v == ecam_read32(dev, 0, 0x00));
        if ((v & 0xffff) != 0xffff)
            functions++;
    }
    serial_puts("functions on bus 0: ");
    serial_put_dec(functions);
    serial_putc('\n');
    GUEST_CHECK(functions == 1);
    return 0;
}
