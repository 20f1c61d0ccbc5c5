/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The boot CPU's state for each entry mode: GDT, identity page tables, registers. */
#include "arch/x86_64/boot.h"

#include <glib/gi18n.h>
#include <string.h>

#include "arch/x86_64/layout.h"

#define CR0_PE (1ULL << 0)
#define CR0_ET (1ULL << 4)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define PTE_PRESENT (1ULL << 0)
#define PTE_WRITE (1ULL << 1)
#define PTE_LARGE (1ULL << 7)
#define RFLAGS_RESERVED (1ULL << 1)

/* Selectors both boot protocols expect: code 0x10, data 0x18, TSS 0x20. */
enum { GDT_NULL, GDT_UNUSED, GDT_CODE, GDT_DATA, GDT_TSS, GDT_ENTRIES };

static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
    return ((uint64_t)(base & 0xff000000u) << 32) | ((uint64_t)(flags & 0xf0ffu) << 40) |
           ((uint64_t)(limit & 0x000f0000u) << 32) | ((uint64_t)(base & 0x00ffffffu) << 16) |
           (limit & 0x0000ffffu);
}

static struct hv_segment segment_from_gdt(uint64_t e, unsigned index)
{
    uint32_t limit = (uint32_t)((e & 0xffff) | (((e >> 48) & 0xf) << 16));
    bool granular = (e >> 55) & 1;

    return (struct hv_segment){
        .base = ((e >> 16) & 0xffffff) | (((e >> 56) & 0xff) << 24),
        /* The hypervisor wants the limit in bytes, as the CPU expands it. */
        .limit = granular ? (limit << 12) | 0xfff : limit,
        .selector = (uint16_t)(index * 8),
        .type = (e >> 40) & 0xf,
        .s = (e >> 44) & 1,
        .dpl = (e >> 45) & 3,
        .present = (e >> 47) & 1,
        .avl = (e >> 52) & 1,
        .l = (e >> 53) & 1,
        .db = (e >> 54) & 1,
        .g = (e >> 55) & 1,
    };
}

static int write_page_tables(guest_mem *gm, GError **error)
{
    uint64_t pml4[512] = { LAYOUT_PDPT | PTE_PRESENT | PTE_WRITE };
    uint64_t pdpt[512] = { 0 };
    g_autofree uint64_t *pd = g_new0(uint64_t, 4 * 512);

    for (unsigned i = 0; i < 4; i++)
        pdpt[i] = (LAYOUT_PD + i * 4096ULL) | PTE_PRESENT | PTE_WRITE;
    for (unsigned i = 0; i < 4 * 512; i++)
        pd[i] = ((uint64_t)i << 21) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
    if (guest_mem_write(gm, LAYOUT_PML4, pml4, sizeof(pml4), error) < 0 ||
        guest_mem_write(gm, LAYOUT_PDPT, pdpt, sizeof(pdpt), error) < 0 ||
        guest_mem_write(gm, LAYOUT_PD, pd, 4 * 512 * sizeof(uint64_t), error) < 0)
        return -1;
    return 0;
}

int boot_setup_bsp(const struct hv_ops *ops, hv_vcpu *vcpu, guest_mem *gm,
                   const struct boot_info *info, GError **error)
{
    bool long_mode = info->mode == BOOT_ENTRY_LINUX64;
    uint64_t gdt[GDT_ENTRIES] = {
        [GDT_CODE] = gdt_entry(long_mode ? 0xa09b : 0xc09b, 0, 0xfffff),
        [GDT_DATA] = gdt_entry(0xc093, 0, 0xfffff),
        [GDT_TSS] = gdt_entry(0x008b, 0, 0x67),
    };
    struct hv_sregs sregs;
    struct hv_regs regs = { .rflags = RFLAGS_RESERVED, .rip = info->entry };
    struct hv_segment data;

    if (guest_mem_write(gm, LAYOUT_GDT, gdt, sizeof(gdt), error) < 0)
        return -1;
    if (ops->vcpu_get_sregs(vcpu, &sregs, error) < 0)
        return -1;
    sregs.gdt = (struct hv_dtable){ .base = LAYOUT_GDT, .limit = sizeof(gdt) - 1 };
    sregs.idt = (struct hv_dtable){ 0 };
    sregs.cs = segment_from_gdt(gdt[GDT_CODE], GDT_CODE);
    data = segment_from_gdt(gdt[GDT_DATA], GDT_DATA);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.tr = segment_from_gdt(gdt[GDT_TSS], GDT_TSS);
    sregs.cr0 = CR0_PE | CR0_ET;
    sregs.cr4 = 0;
    sregs.efer = 0;
    if (long_mode) {
        if (write_page_tables(gm, error) < 0)
            return -1;
        sregs.cr3 = LAYOUT_PML4;
        sregs.cr4 |= CR4_PAE;
        sregs.cr0 |= CR0_PG;
        sregs.efer |= EFER_LME | EFER_LMA;
        regs.rsi = info->param;
        regs.rsp = LAYOUT_BOOT_STACK;
    } else {
        regs.rbx = info->param;
    }
    if (ops->vcpu_set_sregs(vcpu, &sregs, error) < 0 || ops->vcpu_set_regs(vcpu, &regs, error) < 0)
        return -1;
    return 0;
}
