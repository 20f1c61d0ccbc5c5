/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memory benchmark guest: a PVH ELF that halts with interrupts off, so the
 * vCPU thread sleeps in KVM for good (the benchmark sees it there, reads the
 * VMM's memory and kills it). With no IDT, an interrupt would triple-fault
 * the guest; keeping them off keeps the guest idle for as long as needed.
 */
    .section .note.Xen, "a", @note
    .p2align 2
    .long 4                     /* name size: "Xen\0" */
    .long 4                     /* descriptor size */
    .long 18                    /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long _start

    .text
    .code32
    .globl _start
_start:
    cli
1:  hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
