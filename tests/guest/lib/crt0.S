/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Entry of skiff's guest test programs. PVH enters guest_start32 in 32-bit
 * protected mode with paging off and %ebx = hvm_start_info; the Linux 64-bit
 * entry (bzImage test image) enters guest_start64 with %rsi = boot_params.
 * Application processors start in real mode at the trampoline (SIPI vector 3).
 */
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define CR0_PE 1
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define AP_STACK_SIZE 4096
#define MAX_CPUS 16

/* PAE, CR3, EFER.LME, paging: the boot CPU and the APs (which have no stack yet). */
.macro ENTER_LONG_MODE
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $(CR0_PG | CR0_PE), %eax
    movl %eax, %cr0
.endm

    .section .note.pvh, "a"
    .p2align 2
    .long 4                     /* name size: "Xen\0" */
    .long 4                     /* descriptor size */
    .long 18                    /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long guest_start32

    .section .text.entry, "ax"
    .code32
    .globl guest_start32
guest_start32:
    cld
    movl %ebx, guest_start_info
    lgdt gdt_ptr
    movl $boot_stack_top, %esp
    call build_page_tables
    ENTER_LONG_MODE
    ljmp $0x08, $long_entry

/* Identity map of the first 4 GiB with 2 MiB pages. */
build_page_tables:
    movl $pdpt, %eax
    orl $3, %eax
    movl %eax, pml4
    movl $pd, %eax
    orl $3, %eax
    xorl %ecx, %ecx
1:  movl %eax, pdpt(,%ecx,8)
    addl $4096, %eax
    incl %ecx
    cmpl $4, %ecx
    jne 1b
    movl $0x83, %eax            /* present, writable, 2 MiB page */
    xorl %edx, %edx             /* high dword of the physical address */
    xorl %ecx, %ecx
2:  movl %eax, pd(,%ecx,8)
    movl %edx, pd+4(,%ecx,8)
    addl $0x200000, %eax
    adcl $0, %edx
    incl %ecx
    cmpl $2048, %ecx
    jne 2b
    ret

    .code64
long_entry:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movq $boot_stack_top, %rsp
    call guest_runtime_main
3:  hlt
    jmp 3b

/* Linux 64-bit boot protocol entry: long mode with the loader's identity map. */
    .globl guest_start64
guest_start64:
    cld
    movq %rsi, guest_boot_params
    movq $boot_stack_top, %rsp
    lgdt gdt_ptr
    /* Our own tables: the loader only promises a map covering the kernel. */
    call build_page_tables64
    movq $pml4, %rax
    movq %rax, %cr3
    pushq $0x08
    leaq long_entry(%rip), %rax
    pushq %rax
    lretq

build_page_tables64:
    movq $pdpt, %rax
    orq $3, %rax
    movq %rax, pml4
    movq $pd, %rax
    orq $3, %rax
    xorl %ecx, %ecx
1:  movq %rax, pdpt(,%rcx,8)
    addq $4096, %rax
    incl %ecx
    cmpl $4, %ecx
    jne 1b
    movq $0x83, %rax
    xorl %ecx, %ecx
2:  movq %rax, pd(,%rcx,8)
    addq $0x200000, %rax
    incl %ecx
    cmpl $2048, %ecx
    jne 2b
    ret

/* AP entry in 64-bit mode: take a stack slot and call guest_ap_main(index). */
ap_long_entry:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl $1, %edi
    lock xaddl %edi, ap_next_index
    cmpl $MAX_CPUS, %edi
    jae 5f
    movl %edi, %eax
    incl %eax
    shll $12, %eax              /* AP_STACK_SIZE */
    leaq ap_stacks(%rax), %rsp
    call guest_ap_main
5:  cli
    hlt
    jmp 5b

/* Real-mode trampoline, linked at 0x3000 (SIPI vector 0x03). */
    .section .trampoline, "ax"
    .code16
    .globl guest_ap_trampoline
guest_ap_trampoline:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl gdt_ptr_low
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl $0x18, $ap_start32
    .p2align 3
gdt_ptr_low:
    .word gdt_end - gdt - 1
    .long gdt

    .text
    .code32
ap_start32:
    movl $0x20, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    ENTER_LONG_MODE
    ljmp $0x08, $ap_long_entry

    .section .rodata
    .p2align 3
gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
    .quad 0x00cf9a000000ffff    /* 0x18: 32-bit code (AP trampoline) */
    .quad 0x00cf92000000ffff    /* 0x20: data (AP trampoline) */
gdt_end:
gdt_ptr:
    .word gdt_end - gdt - 1
    .quad gdt

    .data
    .globl guest_start_info, guest_boot_params
    .p2align 3
guest_start_info:   .quad 0
guest_boot_params:  .quad 0
ap_next_index:      .long 1

    .bss
    .p2align 12
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4 * 4096
boot_stack: .skip 16384
boot_stack_top:
ap_stacks: .skip (MAX_CPUS + 1) * AP_STACK_SIZE
