/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Start of the protected-mode part of the bzImage test image. As in Linux,
 * offset 0 would be the 32-bit entry (unused: skiff only takes the 64-bit
 * entry) and offset 0x200 is the 64-bit entry, entered in long mode with
 * rsi = boot_params.
 */
    .section .bzimage.head, "ax"
    .code64
    .globl bzimage_head
bzimage_head:
    ud2
    .org 0x200
bzimage_entry64:
    jmp guest_start64
