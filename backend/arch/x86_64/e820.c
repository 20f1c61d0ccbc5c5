/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guest's physical memory map, handed to Linux through boot_params and to
 * PVH kernels through hvm_start_info's memmap.
 *
 * Choices for the first MiB:
 * - [LAYOUT_EBDA_START, LAYOUT_ACPI_START) is reserved rather than left as a
 *   hole: on PCs this is the EBDA, the VGA window and option ROMs. Guests
 *   treat both the same way, but an explicit entry keeps an OS that ignores
 *   the ISA-hole convention from handing those pages out.
 * - [LAYOUT_ACPI_START, LAYOUT_ACPI_END) is reserved, not ACPI (3): type 3
 *   lets the OS reclaim the range once it has parsed the tables, but the
 *   RSDP there must stay readable for the life of the guest (a kexec'd kernel
 *   finds it again by scanning 0xe0000-0xfffff, as does any OS without a
 *   boot protocol pointer).
 * The ECAM window must be reserved in e820 (or in ACPI motherboard
 * resources) or Linux refuses to use MMCONFIG.
 */
#include "arch/x86_64/e820.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/layout.h"

static void map_add(struct e820_map *map, uint64_t addr, uint64_t size, uint32_t type)
{
    if (size == 0 || map->n >= E820_MAX_ENTRIES) {
        return;
    }
    map->entries[map->n].addr = addr;
    map->entries[map->n].size = size;
    map->entries[map->n].type = type;
    map->n++;
}

static int entry_compare(const void *a, const void *b)
{
    const struct e820_entry *ea = a;
    const struct e820_entry *eb = b;

    if (ea->addr < eb->addr) {
        return -1;
    }
    return ea->addr > eb->addr;
}

static void map_add_low_ram(struct e820_map *map, uint64_t low_end)
{
    map_add(map, 0, MIN(low_end, LAYOUT_EBDA_START), E820_RAM);
    if (low_end > LAYOUT_HIGH_MEMORY) {
        map_add(map, LAYOUT_HIGH_MEMORY, low_end - LAYOUT_HIGH_MEMORY, E820_RAM);
    }
}

void e820_build(const guest_mem *gm, struct e820_map *map)
{
    memset(map, 0, sizeof(*map));

    map_add(map, LAYOUT_EBDA_START, LAYOUT_ACPI_START - LAYOUT_EBDA_START, E820_RESERVED);
    map_add(map, LAYOUT_ACPI_START, LAYOUT_ACPI_END - LAYOUT_ACPI_START, E820_RESERVED);
    map_add(map, LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, E820_RESERVED);

    for (unsigned i = 0; i < gm->n_regions && i < GUEST_MEM_MAX_REGIONS; i++) {
        const struct guest_region *r = &gm->regions[i];

        if (r->size == 0) {
            continue;
        }
        if (r->gpa == 0) {
            /* The region at 0 spans the legacy areas; only the parts that
             * are plain RAM are listed as such. */
            map_add_low_ram(map, MIN(r->size, LAYOUT_MEM_32BIT_GAP));
        } else if (r->gpa >= LAYOUT_HIGH_MEMORY) {
            map_add(map, r->gpa, r->size, E820_RAM);
        }
    }

    qsort(map->entries, map->n, sizeof(map->entries[0]), entry_compare);
}
