/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building, running, pausing and tearing down one VM (for the controller). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hv/hv.h"
#include "vmm/config.h"
#include "vmm/vm.h"

/* State that outlives a guest reset, as on a real machine. */
typedef struct chardev chardev;

/* What outlives a reset (and a guest power-off until vm.delete): the CMOS
 * RAM, and the host ends of the serial port and the console, so that a pty
 * keeps its path and a connected terminal stays connected. */
struct vm_persist {
    uint8_t cmos[128];
    bool cmos_valid;
    chardev *serial;
    chardev *console;
};

void vm_persist_clear(struct vm_persist *p);

/* Called once on the main context when the guest (or a failure) stops the VM;
 * the owner then destroys it. Not called for vm_destroy(). */
typedef void (*vm_stopped_fn)(void *opaque, enum vm_stop_reason reason);

/* Builds the VM (memory, devices, tables, kernel, vCPUs) without running it.
 * cfg and persist must outlive the VM. */
vm *vm_new(const struct vm_config *cfg, struct vm_persist *persist, GMainContext *ctx,
           vm_stopped_fn on_stop, void *opaque, GError **error);
int vm_start(vm *vm, GError **error);
/* Returns once every vCPU is parked. */
int vm_pause(vm *vm, GError **error);
void vm_resume(vm *vm);
void vm_power_button(vm *vm);
/* The serial port's pty, with --serial pty, else NULL. */
const char *vm_serial_pty_path(vm *vm);
const char *vm_console_pty_path(vm *vm);
JsonNode *vm_counters(vm *vm);
/* Stops the vCPUs, saves what outlives a reset into persist, frees everything. */
void vm_destroy(vm *vm);
const char *vm_stop_reason_name(enum vm_stop_reason reason);
/* The first unsupported guest behaviour that stopped the VM, or NULL. */
const char *vm_crash_reason(vm *vm);

/* For the vCPU threads. */
enum vm_stop_reason vm_stop_requested(vm *vm);
const struct hv_ops *vm_hv_ops(vm *vm);
hv_vm *vm_hv_vm(vm *vm);
void vm_vcpu_pause_point(vm *vm);
void vm_vcpu_exited(vm *vm);
void vm_note_crash(vm *vm, const char *reason);
