/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Startup benchmark guest: a PVH ELF whose first instructions request an
 * ACPI S5 power-off through the hardware-reduced sleep control register, so
 * that the VMM's whole lifetime bounds "exec to first guest instruction".
 * Values mirror backend/arch/x86_64/layout.h (LAYOUT_ACPI_SLEEP_CTL and
 * (LAYOUT_ACPI_S5_TYPE << 2) | SLP_EN).
 */
#define ACPI_SLEEP_CTL  0x600
#define ACPI_S5_TYPE    5
#define SLP_EN          (1 << 5)

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
    movw $ACPI_SLEEP_CTL, %dx
    movb $((ACPI_S5_TYPE << 2) | SLP_EN), %al
    outb %al, %dx
    /* Not reached on a VMM that powers off; spin rather than halt with
     * interrupts off, which would block the vCPU forever. */
1:  pause
    jmp 1b

    .section .note.GNU-stack, "", @progbits
