/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hardware-reduced ACPI sleep and reset registers. Each register is one byte
 * (the FADT describes them as 8-bit SystemIO registers with byte access); a
 * wider access is taken as byte accesses to consecutive registers, as on a
 * byte-wide bus, so it is never rejected. Only S5 is supported: S1-S4 would
 * need the VMM to save and resume the guest, which it does not do here.
 */
#include "devices/acpi-pm.h"

#include <glib/gi18n.h>

#include "arch/x86_64/layout.h"
#include "vmm/log.h"

enum {
    REG_SLEEP_CTL = LAYOUT_ACPI_SLEEP_CTL - LAYOUT_ACPI_PM_PORT,
    REG_SLEEP_STS = LAYOUT_ACPI_SLEEP_STS - LAYOUT_ACPI_PM_PORT,
    REG_RESET = LAYOUT_ACPI_RESET_REG - LAYOUT_ACPI_PM_PORT,
    N_REGS,
};

/* No mutable state: vCPU threads may call in concurrently. */
struct acpi_pm {
    vm *vm;
};

static void sleep_ctl_write(acpi_pm *pm, uint8_t v)
{
    unsigned type = (v & ACPI_SLEEP_CTL_SLP_TYP_MASK) >> ACPI_SLEEP_CTL_SLP_TYP_SHIFT;

    if (!(v & ACPI_SLEEP_CTL_SLP_EN))
        return;
    if (type == LAYOUT_ACPI_S5_TYPE) {
        log_info(_("guest entered ACPI S5: powering off"));
        vm_request_stop(pm->vm, VM_STOP_POWEROFF);
        return;
    }
    log_debug("acpi-pm: guest asked for sleep type %u; only S5 (type %u) is supported, ignored",
              type, LAYOUT_ACPI_S5_TYPE);
}

static void reg_write(acpi_pm *pm, uint64_t reg, uint8_t v)
{
    switch (reg) {
    case REG_SLEEP_CTL:
        sleep_ctl_write(pm, v);
        break;
    case REG_SLEEP_STS:
        /* WAK_STS is write-1-to-clear and never set: nothing to do. */
        break;
    case REG_RESET:
        if (v == LAYOUT_ACPI_RESET_VALUE) {
            log_info(_("guest wrote the ACPI reset register: resetting"));
            vm_request_stop(pm->vm, VM_STOP_RESET);
        } else {
            log_debug("acpi-pm: reset register write 0x%02x ignored", v);
        }
        break;
    }
}

static bool acpi_pm_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
    acpi_pm *pm = opaque;

    if (offset >= N_REGS || len > N_REGS - offset)
        return false;
    for (uint32_t i = 0; i < len; i++) {
        if (is_write) {
            reg_write(pm, offset + i, data[i]);
        } else {
            /* SLP_TYP/SLP_EN are write-only (read as 0); WAK_STS stays 0
             * because the guest never sleeps and wakes; the reset register
             * is write-only. */
            data[i] = 0;
        }
    }
    return true;
}

acpi_pm *acpi_pm_create(vm *v, GError **error)
{
    g_autoptr(acpi_pm) pm = g_new0(acpi_pm, 1);

    pm->vm = v;
    if (vm_register_pio(v, LAYOUT_ACPI_PM_PORT, N_REGS, "acpi-pm", acpi_pm_io, pm, error) < 0)
        return NULL;
    return g_steal_pointer(&pm);
}

void acpi_pm_free(acpi_pm *pm)
{
    g_free(pm);
}
