/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bundled demo guest: tells what the VMM handed it, then powers off. */
#include "guest.h"

struct memmap_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

static uint64_t rd64(uint64_t addr)
{
    return *(const volatile uint64_t *)(uintptr_t)addr;
}

static uint32_t rd32(uint64_t addr)
{
    return *(const volatile uint32_t *)(uintptr_t)addr;
}

int guest_main(void)
{
    uint64_t si = guest_start_info;
    uint64_t ram = 0;
    uint64_t cmdline;
    uint64_t memmap;
    uint32_t entries;
    char vendor[13] = { 0 };
    uint32_t a = 0, b, c, d;

    serial_puts("\nHello from a skiff guest!\n");
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    serial_puts("  CPU vendor:    ");
    serial_puts(vendor);
    serial_putc('\n');
    if (!si || rd32(si) != 0x336ec578)
        guest_fail("no PVH start info");
    cmdline = rd64(si + 24);
    memmap = rd64(si + 40);
    entries = rd32(si + 48);
    for (uint32_t i = 0; i < entries && i < 64; i++) {
        const struct memmap_entry *e =
            (const struct memmap_entry *)(uintptr_t)(memmap + i * sizeof(*e));
        if (e->type == 1)
            ram += e->size;
    }
    serial_puts("  RAM (e820):    ");
    serial_put_dec(ram >> 20);
    serial_puts(" MiB\n  command line:  ");
    serial_puts(cmdline ? (const char *)(uintptr_t)cmdline : "(none)");
    serial_puts("\n  powering off through ACPI now.\n");
    return 0;
}
