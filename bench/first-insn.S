/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Startup benchmark guest: a PVH ELF whose first instructions write one byte
 * to COM1 and then power the guest off. The benchmark times the byte's
 * arrival on the VMM's serial output pipe, which bounds "exec to first guest
 * instruction" from above by one port-I/O exit and one pipe write, without
 * the VM teardown that a process-exit figure would include.
 *
 * The UART is used as reset left it (DLAB clear, no FIFO set-up): a write to
 * THR transmits at once on skiff's and QEMU's 16550 alike.
 *
 * Power-off values mirror backend/arch/x86_64/layout.h (LAYOUT_ACPI_SLEEP_CTL
 * and (LAYOUT_ACPI_S5_TYPE << 2) | SLP_EN). QEMU's microvm has nothing at
 * that port, so the next write, to its isa-debug-exit device, ends QEMU with
 * the same image.
 */
#define COM1_THR        0x3f8       /* LAYOUT_COM1_PORT, transmit holding register */
#define ACPI_SLEEP_CTL  0x600
#define ACPI_S5_TYPE    5
#define SLP_EN          (1 << 5)
#define QEMU_DEBUG_EXIT 0xf4        /* -device isa-debug-exit,iobase=0xf4 */

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
    movw $COM1_THR, %dx
    movb $'!', %al
    outb %al, %dx               /* the byte the benchmark waits for */
    movw $ACPI_SLEEP_CTL, %dx
    movb $((ACPI_S5_TYPE << 2) | SLP_EN), %al
    outb %al, %dx
    movb $0x10, %al
    outb %al, $QEMU_DEBUG_EXIT  /* QEMU exits with status (0x10 << 1) | 1 */
    /* Not reached; spin rather than halt with interrupts off, which would
     * block the vCPU forever. */
1:  pause
    jmp 1b

    .section .note.GNU-stack, "", @progbits
