/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hypervisor behind one small interface. kvm.c fills these tables
 * today, mshv.c later; nothing above backend/hv/ includes linux/kvm.h.
 *
 * Port I/O and MMIO never travel back up as exit codes: the vCPU run loop
 * calls the access callbacks given at vCPU creation, and only the few exits
 * the VMM has to act on come out of hv_vcpu_run().
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct hv hv;
typedef struct hv_vm hv_vm;
typedef struct hv_vcpu hv_vcpu;

struct hv_segment {
    uint64_t base;
    uint32_t limit;
    uint16_t selector;
    uint8_t type;
    uint8_t present;
    uint8_t dpl;
    uint8_t db;
    uint8_t s;
    uint8_t l;
    uint8_t g;
    uint8_t avl;
    uint8_t unusable;
};

struct hv_dtable {
    uint64_t base;
    uint16_t limit;
};

struct hv_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
};

struct hv_sregs {
    struct hv_segment cs, ds, es, fs, gs, ss, tr, ldt;
    struct hv_dtable gdt, idt;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t efer;
    uint64_t apic_base;
};

struct hv_msr {
    uint32_t index;
    uint64_t value;
};

struct hv_cpuid_entry {
    uint32_t function;
    uint32_t index;
    uint32_t flags;     /* HV_CPUID_FLAG_* */
    uint32_t eax, ebx, ecx, edx;
};
#define HV_CPUID_FLAG_SIGNIFICANT_INDEX 1u

/*
 * Guest accesses the vCPU loop cannot complete in the kernel. Return true
 * when a device claimed the access; false makes hv_vcpu_run() stop with
 * HV_EXIT_UNHANDLED_IO so the VMM can report it.
 */
struct hv_io_ops {
    bool (*pio)(void *opaque, uint16_t port, uint8_t *data, uint32_t len, bool is_write);
    bool (*mmio)(void *opaque, uint64_t gpa, uint8_t *data, uint32_t len, bool is_write);
};

enum hv_exit_reason {
    HV_EXIT_KICKED,          /* hv_vcpu_kick() or a signal interrupted the run */
    HV_EXIT_SHUTDOWN,        /* triple fault */
    HV_EXIT_SYSTEM_RESET,    /* hypervisor-reported reset request */
    HV_EXIT_SYSTEM_SHUTDOWN, /* hypervisor-reported power-off (PSCI and such) */
    HV_EXIT_UNHANDLED_IO,    /* a pio/mmio callback returned false */
    HV_EXIT_INTERNAL_ERROR,  /* emulation failure and other hypervisor errors */
    HV_EXIT_UNKNOWN,
};

struct hv_exit {
    enum hv_exit_reason reason;
    /* HV_EXIT_UNHANDLED_IO */
    bool io_is_mmio;
    bool io_is_write;
    uint64_t io_addr;
    uint32_t io_len;
    uint64_t io_data;
    /* HV_EXIT_INTERNAL_ERROR / HV_EXIT_UNKNOWN: hypervisor-specific code */
    uint32_t raw_reason;
    uint32_t suberror;
};

enum hv_mp_state {
    HV_MP_RUNNABLE,
    HV_MP_WAIT_FOR_SIPI,  /* an x86 application processor before INIT/SIPI */
};

/* GSIs from here on carry MSI messages (the irqchip pins come first). */
#define HV_FIRST_MSI_GSI 24

struct hv_msi_route {
    uint32_t gsi;
    uint64_t addr;
    uint32_t data;
};

struct hv_ops {
    const char *name;

    /* hypervisor */
    int (*open)(hv **out, GError **error);
    void (*close)(hv *hv);
    unsigned (*max_vcpus)(hv *hv);
    int (*supported_cpuid)(hv *hv, GArray **entries, GError **error); /* of hv_cpuid_entry */

    /* VM */
    int (*vm_create)(hv *hv, hv_vm **out, GError **error);
    void (*vm_destroy)(hv_vm *vm);
    int (*vm_map_memory)(hv_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host,
                         GError **error);
    int (*vm_unmap_memory)(hv_vm *vm, uint32_t slot, GError **error);
    int (*vm_create_irqchip)(hv_vm *vm, GError **error);
    int (*vm_set_irq_line)(hv_vm *vm, uint32_t gsi, bool level, GError **error);
    int (*vm_register_irqfd)(hv_vm *vm, int fd, uint32_t gsi, GError **error);
    int (*vm_unregister_irqfd)(hv_vm *vm, int fd, uint32_t gsi, GError **error);
    /* Replaces every MSI route; the irqchip pins keep their default routes. */
    int (*vm_set_msi_routes)(hv_vm *vm, const struct hv_msi_route *routes, unsigned n,
                             GError **error);
    /* datamatch < 0: any value */
    int (*vm_register_ioeventfd)(hv_vm *vm, int fd, uint64_t addr, uint32_t len, bool is_pio,
                                 int64_t datamatch, GError **error);
    int (*vm_unregister_ioeventfd)(hv_vm *vm, int fd, uint64_t addr, uint32_t len, bool is_pio,
                                   int64_t datamatch, GError **error);

    /* vCPU */
    int (*vcpu_create)(hv_vm *vm, uint32_t id, const struct hv_io_ops *io, void *io_opaque,
                       hv_vcpu **out, GError **error);
    void (*vcpu_destroy)(hv_vcpu *vcpu);
    int (*vcpu_set_cpuid)(hv_vcpu *vcpu, const struct hv_cpuid_entry *entries, unsigned n,
                          GError **error);
    int (*vcpu_get_regs)(hv_vcpu *vcpu, struct hv_regs *regs, GError **error);
    int (*vcpu_set_regs)(hv_vcpu *vcpu, const struct hv_regs *regs, GError **error);
    int (*vcpu_get_sregs)(hv_vcpu *vcpu, struct hv_sregs *sregs, GError **error);
    int (*vcpu_set_sregs)(hv_vcpu *vcpu, const struct hv_sregs *sregs, GError **error);
    int (*vcpu_set_msrs)(hv_vcpu *vcpu, const struct hv_msr *msrs, unsigned n, GError **error);
    int (*vcpu_set_fpu_default)(hv_vcpu *vcpu, GError **error);
    int (*vcpu_set_lapic_lint)(hv_vcpu *vcpu, GError **error); /* LINT0 ExtINT, LINT1 NMI */
    int (*vcpu_set_mp_state)(hv_vcpu *vcpu, enum hv_mp_state state, GError **error);
    /* Runs until an exit the VMM must see. Safe to call hv_vcpu_kick() from any thread. */
    int (*vcpu_run)(hv_vcpu *vcpu, struct hv_exit *exit, GError **error);
    void (*vcpu_kick)(hv_vcpu *vcpu);
};

const struct hv_ops *hv_kvm_ops(void);

/* The signal used to kick vCPU threads out of the hypervisor. */
#define HV_KICK_SIGNAL (SIGRTMIN + 1)

GQuark hv_error_quark(void);
#define HV_ERROR hv_error_quark()
