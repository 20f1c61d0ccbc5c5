/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A read from an I/O port no device answers. skiff's policy is to stop the VM with
 * an error (log the access and the guest registers, exit status 1) rather than
 * invent a value, so the read must never return.
 */
#include "guest.h"

#define UNKNOWN_PORT 0x1234

int guest_main(void)
{
    serial_puts("touching an unknown port\n");
    (void)inb(UNKNOWN_PORT);
    guest_fail("unknown port read returned");
}
