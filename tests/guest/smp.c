/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every vCPU checks in: the boot CPU wakes the others with INIT-SIPI-SIPI,
 * each runs the trampoline into long mode and records its APIC id.
 * The expected count comes from the command line ("cpus=N").
 */
#include "guest.h"

#define LAPIC 0xfee00000ULL
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_ASSERT (1u << 14)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_PENDING (1u << 12)
#define TRAMPOLINE_VECTOR 0x03 /* 0x3000, see guest.ld */
#define MAX_CPUS 16

static volatile uint32_t checked_in = 1;
static volatile uint8_t seen_apic_id[256];

static uint32_t apic_id(void)
{
    uint32_t a = 1, b, c = 0, d;

    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return b >> 24;
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

void guest_ap_main(unsigned index);
void guest_ap_main(unsigned index)
{
    seen_apic_id[apic_id() & 0xff]++;
    __atomic_fetch_add(&checked_in, 1, __ATOMIC_SEQ_CST);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static unsigned expected_cpus(void)
{
    const volatile uint32_t *si = (const volatile uint32_t *)(uintptr_t)guest_start_info;
    const char *p;
    unsigned n = 0;

    if (!guest_start_info)
        return 0;
    p = (const char *)(uintptr_t)(si[6] | ((uint64_t)si[7] << 32)); /* cmdline_paddr */
    for (; p && *p; p++) {
        if (!memcmp(p, "cpus=", 5)) {
            for (p += 5; *p >= '0' && *p <= '9'; p++)
                n = n * 10 + (unsigned)(*p - '0');
            return n;
        }
    }
    return 0;
}

static void send_ipi(uint32_t icr)
{
    mmio_write32(LAPIC + LAPIC_ICR_HI, 0);
    mmio_write32(LAPIC + LAPIC_ICR_LO, icr);
    while (mmio_read32(LAPIC + LAPIC_ICR_LO) & ICR_PENDING)
        cpu_relax();
}

int guest_main(void)
{
    unsigned want = expected_cpus();
    uint64_t deadline;
    unsigned ids = 0;

    GUEST_CHECK(want >= 1 && want <= MAX_CPUS);
    seen_apic_id[apic_id() & 0xff]++;
    mmio_write32(LAPIC + LAPIC_SVR, 0x1ff);
    send_ipi(ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_INIT);
    send_ipi(ICR_ALL_BUT_SELF | ICR_STARTUP | TRAMPOLINE_VECTOR);
    send_ipi(ICR_ALL_BUT_SELF | ICR_STARTUP | TRAMPOLINE_VECTOR);

    /* Generous: every instruction may be emulated on a test host. */
    deadline = rdtsc() + 30ULL * 1000 * 1000 * 1000;
    while (checked_in < want && rdtsc() < deadline)
        cpu_relax();
    /* A vCPU that should not exist would check in right after the others. */
    for (volatile int i = 0; i < 20000; i++)
        cpu_relax();

    for (unsigned i = 0; i < 256; i++) {
        if (seen_apic_id[i] > 1)
            guest_fail("two vCPUs share an APIC id");
        ids += seen_apic_id[i];
    }
    serial_puts("cpus online: ");
    serial_put_dec(checked_in);
    serial_putc('\n');
    GUEST_CHECK(ids == checked_in);
    return checked_in == want ? 0 : 1;
}
