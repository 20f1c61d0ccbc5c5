/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "guest.h"

#define COM1 0x3f8
#define LSR_THRE 0x20
#define ACPI_SLEEP_CTL 0x600
#define ACPI_S5_TYPE 5
#define SLP_EN (1 << 5)

void guest_runtime_main(void);
void guest_ap_main(unsigned index);

void serial_putc(char c)
{
    while (!(inb(COM1 + 5) & LSR_THRE))
        cpu_relax();
    outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

void serial_put_hex(uint64_t v)
{
    char buf[19];
    int i = 18;

    buf[i] = 0;
    do {
        buf[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    buf[--i] = 'x';
    buf[--i] = '0';
    serial_puts(&buf[i]);
}

void serial_put_dec(uint64_t v)
{
    char buf[21];
    int i = 20;

    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    serial_puts(&buf[i]);
}

void serial_put_kv(const char *label, uint64_t v)
{
    serial_puts(label);
    serial_putc('=');
    serial_put_hex(v);
    serial_putc('\n');
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;

    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;

    while (n--)
        *dp++ = *sp++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *ap = a;
    const uint8_t *bp = b;

    for (; n; n--, ap++, bp++) {
        if (*ap != *bp)
            return *ap - *bp;
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

void guest_poweroff(void)
{
    outb(ACPI_SLEEP_CTL, (ACPI_S5_TYPE << 2) | SLP_EN);
    /* Only reached if the VMM ignored the write: make that visible and stop. */
    serial_puts("poweroff failed\n");
    for (;;)
        __asm__ volatile("cli; hlt");
}

void guest_fail(const char *msg)
{
    serial_puts("FAIL: ");
    serial_puts(msg);
    serial_putc('\n');
    guest_poweroff();
}

__attribute__((weak)) void guest_ap_main(unsigned index)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

extern const uint8_t guest_trampoline_load[];
extern const uint8_t guest_trampoline_start[];
extern const uint8_t guest_trampoline_end[];

void guest_runtime_main(void)
{
    int rc;

    memcpy((void *)(uintptr_t)guest_trampoline_start, guest_trampoline_load,
           (size_t)(guest_trampoline_end - guest_trampoline_start));
    rc = guest_main();

    serial_puts(rc == 0 ? "PASS\n" : "FAIL\n");
    guest_poweroff();
}
