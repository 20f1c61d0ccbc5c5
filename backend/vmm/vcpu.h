/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "arch/x86_64/boot.h"
#include "hv/hv.h"
#include "vmm/vm.h"

typedef struct vcpu vcpu;

/* Creates the vCPU with its CPUID, MSRs, FPU and LAPIC set up. Index 0 is the
 * boot CPU; the others wait for INIT/SIPI from it, as on real hardware. */
vcpu *vcpu_create(vm *vm, uint32_t index, const GArray *supported_cpuid, unsigned max_vcpus,
                  const struct hv_io_ops *io, void *io_opaque, GError **error);
int vcpu_setup_boot(vcpu *v, const struct boot_info *boot, GError **error);
int vcpu_start(vcpu *v, GError **error);
/* Makes the vCPU thread leave the hypervisor soon; any thread. */
void vcpu_kick(vcpu *v);
void vcpu_join(vcpu *v);
void vcpu_free(vcpu *v);
