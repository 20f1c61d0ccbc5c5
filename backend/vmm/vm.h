/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What devices and loaders see of a VM. Devices depend only on these calls,
 * so a unit test can link a device against a small fake VM. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest-mem.h"
#include "vmm/iobus.h"

typedef struct vm vm;

enum vm_stop_reason {
    VM_STOP_NONE,
    VM_STOP_POWEROFF,   /* guest powered off (ACPI S5): skiff exits 0 */
    VM_STOP_RESET,      /* guest asked for a reset: the VM restarts */
    VM_STOP_ERROR,      /* unsupported guest behaviour or a host failure: skiff exits 1 */
    VM_STOP_HOST,       /* the host tore the VM down (vm.shutdown, vm.delete, exit) */
};

int vm_register_pio(vm *vm, uint16_t base, uint16_t len, const char *owner, io_handler_fn fn,
                    void *opaque, GError **error);
int vm_register_mmio(vm *vm, uint64_t base, uint64_t len, const char *owner, io_handler_fn fn,
                     void *opaque, GError **error);
/* Ask every vCPU to stop; the first reason asked wins. Safe from any thread. */
void vm_request_stop(vm *vm, enum vm_stop_reason reason);
/* Level of an IOAPIC input; edge devices pulse it (true then false). */
void vm_set_irq_line(vm *vm, uint32_t gsi, bool level);
guest_mem *vm_guest_mem(vm *vm);
/* The main loop's context, where devices watch host I/O (chardev input). */
GMainContext *vm_main_context(vm *vm);
/* Guest writes of len bytes (any value) at MMIO addr signal the eventfd fd in the
 * hypervisor, without an exit to skiff. */
int vm_register_ioeventfd(vm *vm, int fd, uint64_t addr, uint32_t len, GError **error);
/* An MSI message source (one MSI-X vector) routed through an irqfd: see
 * vmm/msi.h for vm_msi_set / vm_msi_fire / vm_msi_free. */
typedef struct vm_msi vm_msi;
vm_msi *vm_msi_new(vm *vm, GError **error);
