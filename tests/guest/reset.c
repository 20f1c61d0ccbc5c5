/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Both reset paths restart the VM: the i8042 reset line, then the ACPI reset
 * register. A counter in CMOS RAM (kept across resets, like a battery-backed
 * CMOS) tells the boots apart.
 */
#include "guest.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_RESET_COUNT 0x40   /* free byte in the user area */
#define I8042_CMD 0x64
#define I8042_PULSE_RESET 0xfe
#define ACPI_RESET_REG 0x602
#define ACPI_RESET_VALUE 0x01

static uint8_t cmos_read(uint8_t idx)
{
    outb(CMOS_INDEX, idx);
    return inb(CMOS_DATA);
}

static void cmos_write(uint8_t idx, uint8_t v)
{
    outb(CMOS_INDEX, idx);
    outb(CMOS_DATA, v);
}

int guest_main(void)
{
    uint8_t count = cmos_read(CMOS_RESET_COUNT);

    serial_puts("reset count: ");
    serial_put_dec(count);
    serial_putc('\n');
    if (count >= 2)
        return 0;
    cmos_write(CMOS_RESET_COUNT, count + 1);
    serial_puts("rebooting\n");
    if (count == 0)
        outb(I8042_CMD, I8042_PULSE_RESET);
    else
        outb(ACPI_RESET_REG, ACPI_RESET_VALUE);
    guest_fail("reset request returned");
}
