/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Entered through the Linux 64-bit boot protocol from a bzImage: checks the
 * zero page skiff built (boot_params offsets from Linux's boot.rst).
 * BZ_EXPECTED_CMDLINE and BZ_LOAD_ADDRESS come from meson.build, which passes
 * the same command line to skiff.
 */
#include "guest.h"

#define BP_ACPI_RSDP_ADDR   0x070
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES     0x1e8
#define BP_HDR_MAGIC        0x202
#define BP_VERSION          0x206
#define BP_TYPE_OF_LOADER   0x210
#define BP_CMD_LINE_PTR     0x228
#define BP_PREF_ADDRESS     0x258
#define BP_E820_TABLE       0x2d0
#define E820_ENTRY_SIZE     20
#define E820_RAM            1
#define MIB                 0x100000ULL

extern char bzimage_head[];

/* Byte by byte: boot_params fields are packed and often unaligned. */
static uint8_t rd8(uint64_t a) { return *(const volatile uint8_t *)(uintptr_t)a; }
static uint32_t rd16(uint64_t a) { return rd8(a) | (uint32_t)rd8(a + 1) << 8; }
static uint32_t rd32(uint64_t a) { return rd16(a) | rd16(a + 2) << 16; }
static uint64_t rd64(uint64_t a) { return rd32(a) | (uint64_t)rd32(a + 4) << 32; }

static bool e820_has_ram_at(uint64_t bp, uint64_t addr)
{
    unsigned n = rd8(bp + BP_E820_ENTRIES);

    for (unsigned i = 0; i < n; i++) {
        uint64_t e = bp + BP_E820_TABLE + i * E820_ENTRY_SIZE;
        uint64_t start = rd64(e);
        uint64_t size = rd64(e + 8);

        if (rd32(e + 16) == E820_RAM && addr >= start && addr - start < size) {
            return true;
        }
    }
    return false;
}

int guest_main(void)
{
    uint64_t bp = guest_boot_params;
    uint64_t cmdline;
    uint64_t rsdp;
    const char *expected = BZ_EXPECTED_CMDLINE;

    GUEST_CHECK(bp != 0);
    GUEST_CHECK(guest_start_info == 0);
    /* Running where we were linked: the loader honoured pref_address. */
    GUEST_CHECK((uint64_t)(uintptr_t)bzimage_head == BZ_LOAD_ADDRESS);
    GUEST_CHECK(rd64(bp + BP_PREF_ADDRESS) == BZ_LOAD_ADDRESS);
    GUEST_CHECK(rd32(bp + BP_HDR_MAGIC) == 0x53726448);   /* "HdrS", copied from the image */
    GUEST_CHECK(rd16(bp + BP_VERSION) == 0x020f);
    GUEST_CHECK(rd8(bp + BP_TYPE_OF_LOADER) == 0xff);

    GUEST_CHECK(rd8(bp + BP_E820_ENTRIES) > 0);
    GUEST_CHECK(e820_has_ram_at(bp, 0));
    GUEST_CHECK(e820_has_ram_at(bp, MIB));
    GUEST_CHECK(e820_has_ram_at(bp, BZ_LOAD_ADDRESS));
    GUEST_CHECK(!e820_has_ram_at(bp, 0xf0000));   /* the ACPI area is not RAM */

    cmdline = rd32(bp + BP_CMD_LINE_PTR) | (uint64_t)rd32(bp + BP_EXT_CMD_LINE_PTR) << 32;
    GUEST_CHECK(cmdline != 0);
    serial_puts("command line: ");
    serial_puts((const char *)(uintptr_t)cmdline);
    serial_puts("\n");
    GUEST_CHECK(strlen((const char *)(uintptr_t)cmdline) == strlen(expected));
    GUEST_CHECK(memcmp((const void *)(uintptr_t)cmdline, expected, strlen(expected)) == 0);

    /* Protocol 2.14+: the RSDP pointer, when the VM has ACPI tables. */
    rsdp = rd64(bp + BP_ACPI_RSDP_ADDR);
    serial_put_kv("e820 entries", rd8(bp + BP_E820_ENTRIES));
    serial_put_kv("rsdp", rsdp);
    if (rsdp != 0) {
        GUEST_CHECK(memcmp((const void *)(uintptr_t)rsdp, "RSD PTR ", 8) == 0);
    }

    serial_puts("bzimage ok\n");
    return 0;
}
