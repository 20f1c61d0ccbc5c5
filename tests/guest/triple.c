/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An exception with no IDT to deliver it: a triple fault, which skiff must report and exit on. */
#include "guest.h"

int guest_main(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty_idt = { 0, 0 };

    serial_puts("about to triple fault\n");
    __asm__ volatile("lidt %0; ud2" : : "m"(empty_idt));
    guest_fail("ud2 with an empty IDT returned");
}
