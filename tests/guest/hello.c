/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Serial output, and the PVH start info the VMM handed over. */
#include "guest.h"

#define HVM_START_MAGIC 0x336ec578

int guest_main(void)
{
    const volatile uint32_t *si = (const volatile uint32_t *)(uintptr_t)guest_start_info;

    serial_puts("hello from the guest\n");
    GUEST_CHECK(guest_start_info != 0);
    GUEST_CHECK(si[0] == HVM_START_MAGIC);
    return 0;
}
