/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACPI from the guest's side, the way an OS walks it: the RSDP from the PVH
 * start info and from the BIOS-area scan (both must agree), checksums, XSDT →
 * MADT (count enabled CPUs) and FADT (hardware-reduced, sleep control
 * register), DSDT → _S5_; then power off with exactly what the tables say,
 * not with the runtime's fixed port.
 */
#include "guest.h"

#define HVM_START_MAGIC   0x336ec578
#define SCAN_START        0xe0000
#define SCAN_END          0x100000
#define TABLE_MAX_LEN     0x10000    /* more than any table skiff builds */
#define ADDR_LIMIT        0x100000000ULL   /* the runtime maps the first 4 GiB */

static uint32_t rd32(const volatile uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const volatile uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum(const volatile uint8_t *p, uint32_t len)
{
    uint8_t s = 0;

    while (len--)
        s += *p++;
    return s;
}

static const volatile uint8_t *phys(uint64_t addr, uint64_t len)
{
    if (addr == 0 || addr >= ADDR_LIMIT || len > ADDR_LIMIT - addr)
        guest_fail("ACPI pointer outside the mapped 4 GiB");
    return (const volatile uint8_t *)(uintptr_t)addr;
}

static bool sig_is(const volatile uint8_t *p, const char *sig, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != (uint8_t)sig[i])
            return false;
    }
    return true;
}

static void check_rsdp(const volatile uint8_t *rsdp)
{
    if (!sig_is(rsdp, "RSD PTR ", 8))
        guest_fail("RSDP signature");
    if (sum(rsdp, 20) != 0)
        guest_fail("RSDP checksum");
    if (rsdp[15] < 2 || rd32(rsdp + 20) < 36 || rd32(rsdp + 20) > 1024)
        guest_fail("RSDP revision or length");
    if (sum(rsdp, rd32(rsdp + 20)) != 0)
        guest_fail("RSDP extended checksum");
}

/* A whole table with a valid checksum and the expected signature. */
static const volatile uint8_t *table(uint64_t addr, const char *sig)
{
    const volatile uint8_t *h = phys(addr, 36);
    uint32_t len = rd32(h + 4);

    if (len < 36 || len > TABLE_MAX_LEN)
        guest_fail("table length");
    h = phys(addr, len);
    if (sig && !sig_is(h, sig, 4))
        guest_fail("unexpected table signature");
    if (sum(h, len) != 0)
        guest_fail("table checksum");
    return h;
}

static const volatile uint8_t *xsdt_find(const volatile uint8_t *xsdt, const char *sig)
{
    uint32_t n = (rd32(xsdt + 4) - 36) / 8;

    for (uint32_t i = 0; i < n; i++) {
        const volatile uint8_t *h = table(rd64(xsdt + 36 + 8 * i), 0);

        if (sig_is(h, sig, 4))
            return h;
    }
    guest_fail("table not in the XSDT");
}

static unsigned madt_enabled_cpus(const volatile uint8_t *madt)
{
    uint32_t len = rd32(madt + 4);
    unsigned n = 0;

    for (uint32_t off = 44; off < len;) {
        const volatile uint8_t *e = madt + off;

        if (len - off < 2 || e[1] < 2 || e[1] > len - off)
            guest_fail("MADT entry length");
        if (e[0] == 0 && e[1] >= 8 && (rd32(e + 4) & 1))
            n++;
        if (e[0] == 9 && e[1] >= 16 && (rd32(e + 8) & 1))
            n++;
        off += e[1];
    }
    return n;
}

/* An AML integer constant (ZeroOp, OneOp, Byte/Word/DWordPrefix) at p. */
static uint32_t aml_const(const volatile uint8_t *p, const volatile uint8_t *end)
{
    if (p >= end)
        guest_fail("_S5_ package truncated");
    switch (p[0]) {
    case 0x00:
        return 0;
    case 0x01:
        return 1;
    case 0x0a:
        if (end - p < 2)
            break;
        return p[1];
    case 0x0b:
        if (end - p < 3)
            break;
        return p[1] | (uint32_t)p[2] << 8;
    case 0x0c:
        if (end - p < 5)
            break;
        return rd32(p + 1);
    }
    guest_fail("_S5_ SLP_TYPa is not an integer constant");
}

/* Name (_S5_, Package () { SLP_TYPa, ... }): the first element. */
static uint32_t dsdt_s5_type(const volatile uint8_t *dsdt)
{
    const volatile uint8_t *end = dsdt + rd32(dsdt + 4);

    for (const volatile uint8_t *p = dsdt + 36; end - p > 6; p++) {
        unsigned pkglen_bytes;

        if (!sig_is(p, "_S5_", 4) || p[4] != 0x12)
            continue;
        pkglen_bytes = 1 + (p[5] >> 6);
        /* PackageOp, PkgLength, NumElements, then the elements. */
        if (end - (p + 5) < (long)pkglen_bytes + 2)
            guest_fail("_S5_ package truncated");
        if (p[5 + pkglen_bytes] < 1)
            guest_fail("_S5_ package is empty");
        return aml_const(p + 5 + pkglen_bytes + 1, end);
    }
    guest_fail("no _S5_ package in the DSDT");
}

int guest_main(void)
{
    const volatile uint8_t *si;
    const volatile uint8_t *rsdp = 0;
    const volatile uint8_t *xsdt;
    const volatile uint8_t *fadt;
    const volatile uint8_t *madt;
    const volatile uint8_t *dsdt;
    const volatile uint8_t *gas;
    uint64_t from_start_info;
    uint32_t s5;
    unsigned cpus;

    if (!guest_start_info)
        guest_fail("not entered through PVH");
    si = phys(guest_start_info, 40);
    if (rd32(si) != HVM_START_MAGIC)
        guest_fail("hvm_start_info magic");
    from_start_info = rd64(si + 32);

    for (uint64_t a = SCAN_START; a < SCAN_END; a += 16) {
        const volatile uint8_t *p = phys(a, 20);

        if (sig_is(p, "RSD PTR ", 8) && sum(p, 20) == 0) {
            rsdp = p;
            break;
        }
    }
    if (!rsdp)
        guest_fail("no RSDP in 0xe0000-0xfffff");
    if ((uint64_t)(uintptr_t)rsdp != from_start_info)
        guest_fail("start info's rsdp_paddr differs from the scanned RSDP");
    check_rsdp(rsdp);
    serial_put_kv("rsdp", from_start_info);

    xsdt = table(rd64(rsdp + 24), "XSDT");
    madt = xsdt_find(xsdt, "APIC");
    cpus = madt_enabled_cpus(madt);
    serial_puts("madt cpus: ");
    serial_put_dec(cpus);
    serial_putc('\n');

    fadt = xsdt_find(xsdt, "FACP");
    if (rd32(fadt + 4) < 244 + 12)
        guest_fail("FADT too short for SLEEP_CONTROL_REG");
    if (!(rd32(fadt + 112) & (1u << 20)))
        guest_fail("FADT lacks HW_REDUCED_ACPI");
    dsdt = table(rd64(fadt + 140), "DSDT");
    s5 = dsdt_s5_type(dsdt);
    serial_put_kv("s5 type", s5);
    if (s5 > 7)
        guest_fail("SLP_TYP does not fit in 3 bits");

    /* skiff's register is an I/O port; SystemMemory is accepted too so that
     * the program also runs on other hardware-reduced VMMs as a cross-check. */
    gas = fadt + 244;
    if (gas[0] > 1 || rd64(gas + 4) == 0 || (gas[0] == 1 && rd64(gas + 4) > 0xffff))
        guest_fail("SLEEP_CONTROL_REG is neither an I/O port nor memory");
    serial_put_kv("sleep control", rd64(gas + 4));

    serial_puts("PASS\n");
    if (gas[0] == 1)
        outb((uint16_t)rd64(gas + 4), (uint8_t)((s5 << 2) | (1 << 5)));
    else
        *(volatile uint8_t *)phys(rd64(gas + 4), 1) = (uint8_t)((s5 << 2) | (1 << 5));
    guest_fail("the VM still runs after the S5 write");
}
