/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "hv/hv.h"

/* The CPUID table of one vCPU from what the hypervisor supports: APIC id and
 * topology (one package, max_vcpus cores, one thread each), the hypervisor bit
 * and leaf. Returns a new array of struct hv_cpuid_entry. */
GArray *cpuid_for_vcpu(const GArray *supported, uint32_t apic_id, unsigned max_vcpus);
