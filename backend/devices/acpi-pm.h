/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registers of hardware-reduced ACPI (FADT SLEEP_CONTROL_REG,
 * SLEEP_STATUS_REG, RESET_REG), one byte each at LAYOUT_ACPI_SLEEP_CTL.. */
#pragma once

#include <glib.h>

#include "vmm/vm.h"

/* Sleep control register (ACPI 6.5 §4.8.3.7). */
#define ACPI_SLEEP_CTL_SLP_TYP_SHIFT 2
#define ACPI_SLEEP_CTL_SLP_TYP_MASK  (0x7 << ACPI_SLEEP_CTL_SLP_TYP_SHIFT)
#define ACPI_SLEEP_CTL_SLP_EN        (1 << 5)

typedef struct acpi_pm acpi_pm;

/* Registers the three ports. Writing SLP_EN with the S5 type powers off,
 * writing the reset value to the reset register resets the VM. */
acpi_pm *acpi_pm_create(vm *vm, GError **error);
void acpi_pm_free(acpi_pm *pm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(acpi_pm, acpi_pm_free)
