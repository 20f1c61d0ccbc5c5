/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ACPI Generic Event Device (ACPI0013): an event selector the DSDT's _EVT
 * method reads at LAYOUT_ACPI_GED_PORT after an edge on LAYOUT_ACPI_GED_GSI. */
#pragma once

#include <glib.h>

#include "vmm/vm.h"

/* Bits of the event selector; the DSDT's _EVT tests the same bits. */
#define ACPI_GED_EVENT_POWER_BUTTON (1u << 0)

typedef struct acpi_ged acpi_ged;

acpi_ged *acpi_ged_create(vm *vm, GError **error);
void acpi_ged_free(acpi_ged *ged);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(acpi_ged, acpi_ged_free)

/* Any thread: latches the power-button event and pulses the GED's GSI. */
void acpi_ged_power_button(acpi_ged *ged);
