/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Serial input: echoes every line it reads on COM1 as "echo: LINE" (CRLF-ended, for
 * terminals) until the line "quit". */
#include "guest.h"

#define COM1 0x3f8
#define LSR_DATA_READY 0x01
#define LINE_MAX 1024

static char serial_getc(void)
{
    while (!(inb(COM1 + 5) & LSR_DATA_READY))
        cpu_relax();
    return (char)inb(COM1);
}

int guest_main(void)
{
    static char line[LINE_MAX + 1];
    size_t len = 0;

    serial_puts("echo ready\r\n");
    for (;;) {
        char c = serial_getc();

        if (c == '\r')
            continue;
        if (c != '\n') {
            if (len == LINE_MAX)
                guest_fail("line too long");
            line[len++] = c;
            continue;
        }
        line[len] = 0;
        if (!memcmp(line, "quit", 5))
            return 0;
        serial_puts("echo: ");
        serial_puts(line);
        serial_puts("\r\n");     /* a terminal's new line, not a staircase */
        len = 0;
    }
}
