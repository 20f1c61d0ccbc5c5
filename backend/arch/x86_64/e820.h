/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "vmm/guest-mem.h"

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3

#define E820_MAX_ENTRIES 16

struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

struct e820_map {
    struct e820_entry entries[E820_MAX_ENTRIES];
    unsigned n;
};

/* The map the guest sees for this guest memory: low RAM, the ACPI area,
 * RAM from 1 MiB, the ECAM window as reserved, RAM above 4 GiB. Sorted, no overlaps. */
void e820_build(const guest_mem *gm, struct e820_map *map);
