/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Speed probe for /dev/kvm, booted by QEMU (PVH): count down 50 million
 * iterations, then leave through QEMU's isa-debug-exit port. Natively that
 * takes milliseconds; where KVM emulates every instruction, over a minute.
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
    movl $50000000, %ecx
1:  decl %ecx
    jnz 1b
    movb $0x10, %al
    outb %al, $0xf4             /* isa-debug-exit: QEMU exits with 0x21 */
2:  pause
    jmp 2b

    .section .note.GNU-stack, "", @progbits
