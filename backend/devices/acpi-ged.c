/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACPI Generic Event Device. An event sets its bit in the selector and pulses
 * the GED's GSI (edge); the guest's _EVT reads the 32-bit selector, which
 * clears the bits it returns, so each event is handled once and an event that
 * arrives between two reads is not lost. The selector is read-only: writes
 * are ignored. Reads of fewer than 4 bytes return and clear only those bytes.
 */
#include "devices/acpi-ged.h"

#include <glib/gi18n.h>

#include "arch/x86_64/layout.h"
#include "vmm/log.h"

#define GED_SELECTOR_LEN 4

struct acpi_ged {
    vm *vm;
    GMutex lock;        /* vCPU threads read, the main thread raises events */
    uint32_t selector;
};

static bool acpi_ged_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                        bool is_write)
{
    acpi_ged *ged = opaque;
    g_autoptr(GMutexLocker) locker = NULL;
    uint32_t pending;

    if (offset >= GED_SELECTOR_LEN || len > GED_SELECTOR_LEN - offset)
        return false;
    if (is_write) {
        log_debug("acpi-ged: write to the read-only event selector ignored");
        return true;
    }
    locker = g_mutex_locker_new(&ged->lock);
    pending = ged->selector;
    for (uint32_t i = 0; i < len; i++) {
        unsigned shift = 8 * (unsigned)(offset + i);

        data[i] = (uint8_t)(ged->selector >> shift);
        ged->selector &= ~(0xffu << shift);
    }
    /* Level-triggered: the line drops once the last event has been read. */
    if (pending && !ged->selector)
        vm_set_irq_line(ged->vm, LAYOUT_ACPI_GED_GSI, false);
    return true;
}

acpi_ged *acpi_ged_create(vm *v, GError **error)
{
    g_autoptr(acpi_ged) ged = g_new0(acpi_ged, 1);

    ged->vm = v;
    g_mutex_init(&ged->lock);
    if (vm_register_pio(v, LAYOUT_ACPI_GED_PORT, GED_SELECTOR_LEN, "acpi-ged", acpi_ged_io, ged,
                        error) < 0)
        return NULL;
    return g_steal_pointer(&ged);
}

void acpi_ged_free(acpi_ged *ged)
{
    if (!ged)
        return;
    g_mutex_clear(&ged->lock);
    g_free(ged);
}

void acpi_ged_power_button(acpi_ged *ged)
{
    /* Level-triggered, held until the guest reads the event: a button pressed
     * before the guest has unmasked the interrupt is delivered when it does,
     * as ACPI's SCI status bits are on real hardware. Raised under the lock so
     * that a concurrent read cannot drop the line after this event's bit. */
    g_mutex_lock(&ged->lock);
    ged->selector |= ACPI_GED_EVENT_POWER_BUTTON;
    vm_set_irq_line(ged->vm, LAYOUT_ACPI_GED_GSI, true);
    g_mutex_unlock(&ged->lock);
}
