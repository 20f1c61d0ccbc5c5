/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A vCPU's CPUID: APIC id, topology and the hypervisor leaf. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/cpuid.h"

#include "testutil.h"

static GArray *fake_supported(bool with_hv_leaf)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(struct hv_cpuid_entry));
    struct hv_cpuid_entry e[] = {
        { .function = 0, .eax = 0xd, .ebx = 0x68747541 },
        { .function = 1, .eax = 0xa00f11, .ebx = 0x12345678, .ecx = 0x7ed8320b, .edx = 0x078bfbff },
        { .function = 0xb, .index = 0, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 9, .ebx = 9 },
        { .function = 0xb, .index = 1, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 9, .ebx = 9 },
        { .function = 0xb, .index = 2, .flags = HV_CPUID_FLAG_SIGNIFICANT_INDEX, .eax = 9, .ebx = 9 },
        { .function = 0x80000008, .eax = 0x3030, .ecx = 0xffff },
        { .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b },
    };

    g_array_append_vals(a, e, G_N_ELEMENTS(e) - (with_hv_leaf ? 0 : 1));
    return a;
}

static const struct hv_cpuid_entry *find(const GArray *a, uint32_t fn, uint32_t index)
{
    for (guint i = 0; i < a->len; i++) {
        const struct hv_cpuid_entry *e = &g_array_index(a, struct hv_cpuid_entry, i);

        if (e->function == fn && e->index == index)
            return e;
    }
    return NULL;
}

START_TEST(apic_id_and_topology)
{
    g_autoptr(GArray) sup = fake_supported(true);
    g_autoptr(GArray) c = cpuid_for_vcpu(sup, 3, 6);
    const struct hv_cpuid_entry *e;

    ck_assert_uint_eq(c->len, sup->len);
    e = find(c, 1, 0);
    ck_assert_uint_eq(e->ebx >> 24, 3);                 /* initial APIC id */
    ck_assert_uint_eq((e->ebx >> 16) & 0xff, 6);        /* logical processors in the package */
    ck_assert_uint_eq(e->ebx & 0xffff, 0x5678);         /* the rest untouched */
    ck_assert(e->ecx & (1u << 31));                     /* hypervisor present */
    ck_assert(e->edx & (1u << 28));                     /* HTT: more than one logical CPU */
    e = find(c, 0xb, 0);
    ck_assert_uint_eq(e->ebx, 1);
    ck_assert_uint_eq((e->ecx >> 8) & 0xff, 1);         /* SMT level */
    ck_assert_uint_eq(e->edx, 3);
    e = find(c, 0xb, 1);
    ck_assert_uint_eq(e->eax, 3);                       /* 6 cores need 3 id bits */
    ck_assert_uint_eq(e->ebx, 6);
    ck_assert_uint_eq((e->ecx >> 8) & 0xff, 2);         /* core level */
    ck_assert_uint_eq(e->edx, 3);
    e = find(c, 0xb, 2);
    ck_assert_uint_eq(e->ebx, 0);
    ck_assert_uint_eq((e->ecx >> 8) & 0xff, 0);         /* no further level */
    e = find(c, 0x80000008, 0);
    ck_assert_uint_eq(e->ecx & 0xff, 5);                /* NC: cores - 1 */
    ck_assert_uint_eq((e->ecx >> 12) & 0xf, 3);
    ck_assert_uint_eq(e->eax, 0x3030);
}
END_TEST

START_TEST(single_cpu_has_no_htt)
{
    g_autoptr(GArray) sup = fake_supported(true);
    g_autoptr(GArray) c = cpuid_for_vcpu(sup, 0, 1);
    const struct hv_cpuid_entry *e = find(c, 1, 0);

    ck_assert_uint_eq(e->ebx >> 24, 0);
    ck_assert(!(e->edx & (1u << 28)));
    ck_assert_uint_eq(find(c, 0xb, 1)->eax, 0);
}
END_TEST

START_TEST(hypervisor_leaf_added_when_missing)
{
    g_autoptr(GArray) sup = fake_supported(false);
    g_autoptr(GArray) c = cpuid_for_vcpu(sup, 0, 2);
    const struct hv_cpuid_entry *e = find(c, 0x40000000, 0);
    char sig[13] = { 0 };

    ck_assert_ptr_nonnull(e);
    memcpy(sig, &e->ebx, 4);
    memcpy(sig + 4, &e->ecx, 4);
    memcpy(sig + 8, &e->edx, 4);
    ck_assert_str_eq(sig, "KVMKVMKVM");
    ck_assert_uint_ge(e->eax, 0x40000001);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpuid");
    TCase *tc = tcase_create("cpuid");

    tcase_add_test(tc, apic_id_and_topology);
    tcase_add_test(tc, single_cpu_has_no_htt);
    tcase_add_test(tc, hypervisor_leaf_added_when_missing);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
