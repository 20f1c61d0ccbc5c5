/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Legacy I/O ports that a PC guest touches while finding out what the machine has,
 * answered like an empty ISA bus: reads return all-ones, writes are dropped. Every
 * other access skiff has no device for stays an unsupported access that stops the
 * VM, so this table lists only ports a guest is known to probe, each with why.
 *
 * Not here on purpose:
 * - PIC 0x20-0x21/0xa0-0xa1 and ELCR 0x4d0-0x4d1: the in-kernel irqchip answers them
 *   and they never reach skiff (they would if skiff moved to a split irqchip).
 * - VGA 0x3b0-0x3df: Linux's vgacon stays off when boot_params' screen_info is zero.
 * - Floppy 0x3f0-0x3f7, LPT 0x378/0x278/0x3bc: their drivers are modules loaded for
 *   ACPI PNP devices that skiff's DSDT does not describe.
 * - DMA controller 0x00-0x1f/0x81-0x8f/0xc0-0xdf: only ISA DMA users (floppy, parport)
 *   program it.
 * - PS/2 mouse: behind the i8042, no ports of its own.
 * - 0xcf9 reset control: inside the PCI host's conf1 range, which answers it.
 */
#include "devices/absent.h"

#include <string.h>

struct absent_range {
    uint16_t base;
    uint16_t len;
    const char *owner;
};

static const struct absent_range absent_ranges[] = {
    /* i8254 PIT: none is created (guests keep time with the LAPIC timer and kvmclock),
     * but Linux's PIT-based TSC calibration still probes it; all-ones makes it give up. */
    { 0x0040, 4, "absent: pit" },
    /* System control port B (PIT channel 2 gate, speaker): read by the same calibration
     * and the PC speaker driver; all-ones (OUT2 high) ends its polling loop at once. */
    { 0x0061, 1, "absent: port-b" },
    /* POST code / I/O delay port: Linux's outb_p() and inb_p() (CMOS accesses, among
     * others) write it to wait a microsecond. */
    { 0x0080, 1, "absent: post" },
    /* COM4, COM2, COM3: the 8250 driver probes all four legacy COM ports; all-ones fails
     * its IER test, so it decides there is no UART. */
    { 0x02e8, 8, "absent: com4" },
    { 0x02f8, 8, "absent: com2" },
    { 0x03e8, 8, "absent: com3" },
};

static bool absent_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
    if (!is_write)
        memset(data, 0xff, len);
    return true;
}

int absent_port_range_register(vm *vm, uint16_t base, uint16_t len, const char *owner,
                               GError **error)
{
    return vm_register_pio(vm, base, len, owner, absent_io, NULL, error);
}

int absent_ports_register(vm *vm, GError **error)
{
    for (size_t i = 0; i < G_N_ELEMENTS(absent_ranges); i++) {
        const struct absent_range *r = &absent_ranges[i];

        if (absent_port_range_register(vm, r->base, r->len, r->owner, error) < 0)
            return -1;
    }
    return 0;
}
