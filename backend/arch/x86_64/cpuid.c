/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "arch/x86_64/cpuid.h"

#include <string.h>

#define LEAF_FEATURES 0x1
#define LEAF_CACHE_INTEL 0x4
#define LEAF_TOPOLOGY 0xb
#define LEAF_TOPOLOGY_V2 0x1f
#define LEAF_HYPERVISOR 0x40000000
#define LEAF_AMD_SIZES 0x80000008
#define LEAF_AMD_TOPOLOGY 0x8000001e

#define FEAT_ECX_HYPERVISOR (1u << 31)
#define FEAT_EDX_HTT (1u << 28)

#define TOPO_LEVEL_SMT 1
#define TOPO_LEVEL_CORE 2

static unsigned bits_for(unsigned n)
{
    unsigned b = 0;

    while ((1u << b) < n)
        b++;
    return b;
}

static void set_topology(struct hv_cpuid_entry *e, uint32_t apic_id, unsigned max_vcpus)
{
    e->edx = apic_id;
    switch (e->index) {
    case 0:   /* threads in a core: one */
        e->eax = 0;
        e->ebx = 1;
        e->ecx = (TOPO_LEVEL_SMT << 8) | e->index;
        break;
    case 1:   /* cores in the package: every vCPU */
        e->eax = bits_for(max_vcpus);
        e->ebx = max_vcpus;
        e->ecx = (TOPO_LEVEL_CORE << 8) | e->index;
        break;
    default:
        e->eax = 0;
        e->ebx = 0;
        e->ecx = e->index;
        break;
    }
}

GArray *cpuid_for_vcpu(const GArray *supported, uint32_t apic_id, unsigned max_vcpus)
{
    GArray *out = g_array_sized_new(FALSE, TRUE, sizeof(struct hv_cpuid_entry),
                                    supported->len + 4);
    bool have_hv_leaf = false;

    for (guint i = 0; i < supported->len; i++) {
        struct hv_cpuid_entry e = g_array_index(supported, struct hv_cpuid_entry, i);

        switch (e.function) {
        case LEAF_FEATURES:
            e.ebx = (e.ebx & 0x0000ffffu) | (apic_id << 24) | (MIN(max_vcpus, 255u) << 16);
            e.ecx |= FEAT_ECX_HYPERVISOR;
            if (max_vcpus > 1)
                e.edx |= FEAT_EDX_HTT;
            break;
        case LEAF_CACHE_INTEL:
            /* EAX[31:26]: addressable core ids in the package, minus one. */
            e.eax = (e.eax & 0x03ffffffu) | ((uint32_t)((1u << bits_for(max_vcpus)) - 1) << 26);
            break;
        case LEAF_TOPOLOGY:
        case LEAF_TOPOLOGY_V2:
            set_topology(&e, apic_id, max_vcpus);
            break;
        case LEAF_HYPERVISOR:
            have_hv_leaf = true;
            break;
        case LEAF_AMD_SIZES:
            /* ECX: ApicIdCoreIdSize[15:12], NC[7:0] = cores - 1. */
            e.ecx = (e.ecx & ~0xf0ffu) | (bits_for(max_vcpus) << 12) | ((max_vcpus - 1) & 0xff);
            break;
        case LEAF_AMD_TOPOLOGY:
            e.eax = apic_id;
            e.ebx = (e.ebx & ~0xffffu) | (apic_id & 0xff);   /* one thread per core */
            e.ecx = 0;                                        /* one node */
            break;
        default:
            break;
        }
        g_array_append_val(out, e);
    }
    if (!have_hv_leaf) {
        /* The KVM signature and leaf range, so guests find the paravirtual features. */
        struct hv_cpuid_entry e = { .function = LEAF_HYPERVISOR, .eax = LEAF_HYPERVISOR + 1 };

        memcpy(&e.ebx, "KVMK", 4);
        memcpy(&e.ecx, "VMKV", 4);
        memcpy(&e.edx, "M\0\0\0", 4);
        g_array_append_val(out, e);
    }
    return out;
}
