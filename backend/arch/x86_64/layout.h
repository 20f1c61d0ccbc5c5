/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The x86-64 guest-physical address map. One place, so that the loaders,
 * ACPI tables, e820 and devices agree. */
#pragma once

#define LAYOUT_GDT              0x00000500ULL   /* boot GDT (PVH and 64-bit entry) */
#define LAYOUT_PVH_START_INFO   0x00006000ULL   /* hvm_start_info + modules + memmap */
#define LAYOUT_ZERO_PAGE        0x00007000ULL   /* Linux boot_params */
#define LAYOUT_PML4             0x00009000ULL   /* identity page tables for 64-bit entry: */
#define LAYOUT_PDPT             0x0000a000ULL   /*   PML4, PDPT, then 4 PDs of 2 MiB pages */
#define LAYOUT_PD               0x0000b000ULL   /*   covering the first 4 GiB */
#define LAYOUT_BOOT_STACK       0x0008ff00ULL   /* initial stack for the 64-bit entry */
#define LAYOUT_CMDLINE          0x00020000ULL
#define LAYOUT_CMDLINE_MAX      0x00010000ULL   /* 64 KiB, NUL included */
#define LAYOUT_EBDA_START       0x0009fc00ULL   /* low RAM ends here */
#define LAYOUT_ACPI_START       0x000e0000ULL   /* RSDP (found by scans too) and all tables */
#define LAYOUT_ACPI_END         0x00100000ULL
#define LAYOUT_HIGH_MEMORY      0x00100000ULL   /* 1 MiB: kernels load at or above this */
#define LAYOUT_MEM_32BIT_GAP    0xc0000000ULL   /* RAM below 4 GiB stops here */
#define LAYOUT_PCI_MMIO32_BASE  0xc0000000ULL
#define LAYOUT_PCI_MMIO32_SIZE  0x20000000ULL
#define LAYOUT_ECAM_BASE        0xe0000000ULL   /* PCI segment 0, buses 0..LAYOUT_ECAM_LAST_BUS */
#define LAYOUT_ECAM_LAST_BUS    0
#define LAYOUT_ECAM_SIZE        ((LAYOUT_ECAM_LAST_BUS + 1ULL) << 20)
#define LAYOUT_IOAPIC_BASE      0xfec00000ULL
#define LAYOUT_LAPIC_BASE       0xfee00000ULL
#define LAYOUT_RAM_ABOVE_4G     0x100000000ULL

/* Legacy I/O ports and interrupt lines (GSIs of the in-kernel IOAPIC). */
#define LAYOUT_COM1_PORT        0x3f8
#define LAYOUT_COM1_GSI         4
#define LAYOUT_I8042_DATA_PORT  0x60
#define LAYOUT_I8042_CMD_PORT   0x64
#define LAYOUT_CMOS_PORT        0x70            /* index 0x70, data 0x71 */
#define LAYOUT_PCI_CONF1_PORT   0xcf8           /* 0xcf8 address, 0xcfc..0xcff data */
#define LAYOUT_ACPI_PM_PORT     0x600           /* hardware-reduced ACPI registers: */
#define LAYOUT_ACPI_SLEEP_CTL   0x600           /*   sleep control (FADT SLEEP_CONTROL_REG) */
#define LAYOUT_ACPI_SLEEP_STS   0x601           /*   sleep status (FADT SLEEP_STATUS_REG) */
#define LAYOUT_ACPI_RESET_REG   0x602           /*   reset register (FADT RESET_REG) */
#define LAYOUT_ACPI_RESET_VALUE 0x01
#define LAYOUT_ACPI_GED_PORT    0x610           /* GED event selector, 4 bytes */
#define LAYOUT_ACPI_GED_GSI     9
#define LAYOUT_ACPI_S5_TYPE     5               /* SLP_TYP written with SLP_EN for S5 */
