/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building, running and tearing down one VM from its configuration. */
#pragma once

#include <glib.h>

#include "vmm/config.h"
#include "hv/hv.h"
#include "vmm/vm.h"

/* State that outlives a guest reset, as on a real machine. */
struct vm_persist {
    uint8_t cmos[128];
    bool cmos_valid;
};

/* Builds the VM, runs it until it stops and tears it down. Returns the stop
 * reason; VM_STOP_ERROR with *error set when the VM could not be built. */
enum vm_stop_reason vm_run(const struct vm_config *cfg, struct vm_persist *persist,
                           GError **error);

/* For the vCPU threads. */
enum vm_stop_reason vm_stop_requested(vm *vm);
const struct hv_ops *vm_hv_ops(vm *vm);
hv_vm *vm_hv_vm(vm *vm);
