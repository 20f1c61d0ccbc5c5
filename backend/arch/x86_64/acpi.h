/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "vmm/guest-mem.h"

struct acpi_config {
    unsigned boot_cpus;   /* enabled LAPICs */
    unsigned max_cpus;    /* LAPICs listed, the rest online-capable for hotplug later */
};

/* Writes RSDP, XSDT, FADT (hardware-reduced), DSDT, MADT and MCFG into
 * [LAYOUT_ACPI_START, LAYOUT_ACPI_END) and returns the RSDP's address. */
int acpi_build_tables(guest_mem *gm, const struct acpi_config *cfg, uint64_t *rsdp_gpa,
                      GError **error);
