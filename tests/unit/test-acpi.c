/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACPI tables (structure, checksums, and iasl's disassembler as an independent
 * parser) and the hardware-reduced ACPI devices against a fake VM.
 */
#include <inttypes.h>
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/aml.h"
#include "arch/x86_64/layout.h"
#include "devices/acpi-ged.h"
#include "devices/acpi-pm.h"
#include "vmm/guest-mem.h"
#include "vmm/vm.h"

/* ---- a fake VM: just what devices call ---- */

#define FAKE_MAX_RANGES 8
#define FAKE_MAX_IRQ_EVENTS 16

struct fake_range {
    uint64_t base;
    uint64_t len;
    io_handler_fn fn;
    void *opaque;
};

struct vm {
    struct fake_range pio[FAKE_MAX_RANGES];
    unsigned n_pio;
    unsigned n_stops;
    enum vm_stop_reason stop;
    struct {
        uint32_t gsi;
        bool level;
    } irq[FAKE_MAX_IRQ_EVENTS];
    unsigned n_irq;        /* events recorded in irq[] */
    unsigned n_irq_total;  /* all events */
    unsigned n_irq_raised; /* of those, level true */
    bool line;             /* the last level set */
};

int vm_register_pio(vm *v, uint16_t base, uint16_t len, const char *owner, io_handler_fn fn,
                    void *opaque, GError **error)
{
    ck_assert_uint_lt(v->n_pio, FAKE_MAX_RANGES);
    v->pio[v->n_pio++] = (struct fake_range){ base, len, fn, opaque };
    return 0;
}

int vm_register_mmio(vm *v, uint64_t base, uint64_t len, const char *owner, io_handler_fn fn,
                     void *opaque, GError **error)
{
    ck_abort_msg("ACPI devices have no MMIO");
    return -1;
}

void vm_request_stop(vm *v, enum vm_stop_reason reason)
{
    if (v->n_stops++ == 0)
        v->stop = reason;
}

void vm_set_irq_line(vm *v, uint32_t gsi, bool level)
{
    /* No check assertions here: a test thread may call in. */
    __atomic_add_fetch(&v->n_irq_total, 1, __ATOMIC_SEQ_CST);
    if (level)
        __atomic_add_fetch(&v->n_irq_raised, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&v->line, level, __ATOMIC_SEQ_CST);
    if (v->n_irq < FAKE_MAX_IRQ_EVENTS) {
        v->irq[v->n_irq].gsi = gsi;
        v->irq[v->n_irq].level = level;
        v->n_irq++;
    }
}

guest_mem *vm_guest_mem(vm *v)
{
    return NULL;
}

/* Dispatches like the VMM's bus: the whole access must lie in one range. */
static bool pio(vm *v, uint16_t port, void *data, uint32_t len, bool is_write)
{
    for (unsigned i = 0; i < v->n_pio; i++) {
        struct fake_range *r = &v->pio[i];

        if (port >= r->base && port + len <= r->base + r->len)
            return r->fn(r->opaque, port - r->base, data, len, is_write);
    }
    ck_abort_msg("no device at port 0x%x", port);
    return false;
}

static bool outb_(vm *v, uint16_t port, uint8_t val)
{
    return pio(v, port, &val, 1, true);
}

static uint8_t inb_(vm *v, uint16_t port)
{
    uint8_t val = 0xaa;

    ck_assert(pio(v, port, &val, 1, false));
    return val;
}

/* ---- AML encodings, checked against ACPI 6.5 chapter 20 by hand ---- */

static void check_aml(aml *node, const uint8_t *expect, size_t len)
{
    g_autoptr(aml) list = aml_new();
    const uint8_t *data;
    size_t n;

    aml_append(list, node);
    data = aml_data(list, &n);
    ck_assert_uint_eq(n, len);
    ck_assert_mem_eq(data, expect, len);
}

#define CHECK_AML(node, ...)                                                                  \
    do {                                                                                      \
        static const uint8_t e_[] = { __VA_ARGS__ };                                          \
        check_aml(node, e_, sizeof(e_));                                                      \
    } while (0)

START_TEST(test_aml_encodings)
{
    g_autofree uint8_t *big = g_malloc0(5000);
    aml *pkg;

    CHECK_AML(aml_int(0), 0x00);
    CHECK_AML(aml_int(1), 0x01);
    CHECK_AML(aml_int(UINT64_MAX), 0xff);
    CHECK_AML(aml_int(2), 0x0a, 0x02);
    CHECK_AML(aml_int(0x100), 0x0b, 0x00, 0x01);
    CHECK_AML(aml_int(0x10000), 0x0c, 0x00, 0x00, 0x01, 0x00);
    CHECK_AML(aml_int(0x100000000ULL), 0x0e, 0, 0, 0, 0, 1, 0, 0, 0);
    CHECK_AML(aml_string("AB"), 0x0d, 'A', 'B', 0);
    CHECK_AML(aml_eisaid("PNP0A08"), 0x0c, 0x41, 0xd0, 0x0a, 0x08);
    CHECK_AML(aml_name("\\_SB.PCI0.ISA"), '\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
              'I', 'S', 'A', '_');
    CHECK_AML(aml_name("\\_SB.PCI0"), '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
    CHECK_AML(aml_name("^^FOO"), '^', '^', 'F', 'O', 'O', '_');
    CHECK_AML(aml_name("\\"), '\\', 0x00);
    CHECK_AML(aml_local(7), 0x67);
    CHECK_AML(aml_arg(0), 0x68);
    CHECK_AML(aml_field_entry("GDAT", 32), 'G', 'D', 'A', 'T', 0x20);
    /* A field element's PkgLength does not count itself. */
    CHECK_AML(aml_field_entry(NULL, 64), 0x00, 0x40, 0x04);

    /* PkgLength: 1 byte up to 63 in all, then 2 (12 bits), then 3 (20 bits). */
    CHECK_AML(aml_buffer(big, 60), 0x11, 0x3f, 0x0a, 60, [4 ... 63] = 0);
    CHECK_AML(aml_buffer(big, 61), 0x11, 0x41, 0x04, 0x0a, 61, [5 ... 65] = 0);
    CHECK_AML(aml_buffer(big, 100), 0x11, 0x48, 0x06, 0x0a, 100, [5 ... 104] = 0);
    CHECK_AML(aml_buffer(big, 5000), 0x11, 0x8e, 0x38, 0x01, 0x0b, 0x88, 0x13, [7 ... 5006] = 0);

    pkg = aml_package();
    aml_append(pkg, aml_int(5));
    aml_append(pkg, aml_string("X"));
    CHECK_AML(aml_name_decl("_S5", pkg), 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x02, 0x0a, 5, 0x0d,
              'X', 0);
    CHECK_AML(aml_qword_memory(0x100000000ULL, 0x1ffffffffULL, true), 0x8a, 43, 0, 0, 0x0c, 0x03,
              0, 0, 0, 0, 0, 0, 0, 0, /* granularity */
              0, 0, 0, 0, 1, 0, 0, 0, /* min */
              0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, /* max */
              0, 0, 0, 0, 0, 0, 0, 0, /* translation */
              0, 0, 0, 0, 1, 0, 0, 0); /* length */
    CHECK_AML(aml_interrupt(true, false, true, true, 0x123), 0x89, 6, 0, 0x0d, 1, 0x23, 0x01, 0, 0);
}
END_TEST

/* ---- table helpers ---- */

#define MEM_SIZE LAYOUT_ACPI_END

struct tables {
    uint8_t *mem;
    guest_mem *gm;
    uint64_t rsdp;
};

static uint32_t rd32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    for (size_t i = 0; i < len; i++)
        s += p[i];
    return s;
}

static void tables_build(struct tables *t, unsigned boot, unsigned max)
{
    struct acpi_config cfg = { .boot_cpus = boot, .max_cpus = max };
    g_autoptr(GError) error = NULL;

    t->mem = g_malloc(MEM_SIZE);
    memset(t->mem, 0xcc, MEM_SIZE);   /* stale bytes, as after a reset */
    t->gm = guest_mem_new_from_buffer(t->mem, MEM_SIZE);
    ck_assert_msg(acpi_build_tables(t->gm, &cfg, &t->rsdp, &error) == 0, "%s",
                  error ? error->message : "?");
}

static void tables_free(struct tables *t)
{
    guest_mem_free(t->gm);
    g_free(t->mem);
}

/* A table at gpa that lies wholly in the ACPI area, with a valid checksum. */
static const uint8_t *table_at(const struct tables *t, uint64_t gpa, const char *sig)
{
    const uint8_t *h;
    uint32_t len;

    ck_assert_msg(gpa >= LAYOUT_ACPI_START && gpa + 36 <= LAYOUT_ACPI_END,
                  "%s at 0x%" PRIx64 " outside the ACPI area", sig, gpa);
    h = t->mem + gpa;
    len = rd32(h + 4);
    ck_assert_msg(len >= 36 && gpa + len <= LAYOUT_ACPI_END, "%s length %u", sig, len);
    ck_assert_msg(sum(h, len) == 0, "%.4s checksum", h);
    if (sig)
        ck_assert_msg(memcmp(h, sig, 4) == 0, "expected %s, found %.4s", sig, h);
    ck_assert_mem_eq(h + 10, "SKIFF ", 6);
    ck_assert_mem_eq(h + 28, "SKIF", 4);
    return h;
}

/* Finds the XSDT entry with signature sig; fails on duplicates. */
static const uint8_t *xsdt_find(const struct tables *t, const char *sig)
{
    const uint8_t *xsdt = table_at(t, rd64(t->mem + t->rsdp + 24), "XSDT");
    uint32_t n = (rd32(xsdt + 4) - 36) / 8;
    const uint8_t *found = NULL;

    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *h = table_at(t, rd64(xsdt + 36 + 8 * i), NULL);

        if (memcmp(h, sig, 4) == 0) {
            ck_assert_msg(!found, "two %s tables", sig);
            found = h;
        }
    }
    ck_assert_msg(found, "no %s in the XSDT", sig);
    return found;
}

static void check_gas_io8(const uint8_t *gas, uint16_t port)
{
    ck_assert_uint_eq(gas[0], 1);       /* SystemIO */
    ck_assert_uint_eq(gas[1], 8);
    ck_assert_uint_eq(gas[2], 0);
    ck_assert_uint_eq(gas[3], 1);       /* byte access */
    ck_assert_uint_eq(rd64(gas + 4), port);
}

static void check_tables(unsigned boot, unsigned max)
{
    struct tables t;
    const uint8_t *rsdp;
    const uint8_t *xsdt;
    const uint8_t *fadt;
    const uint8_t *dsdt;
    const uint8_t *madt;
    const uint8_t *mcfg;
    unsigned enabled = 0;
    unsigned online_capable = 0;
    unsigned ioapics = 0;
    unsigned nmis = 0;
    uint32_t next_id = 0;

    tables_build(&t, boot, max);
    ck_assert_uint_eq(t.rsdp, LAYOUT_ACPI_START);

    /* RSDP: a scan of 0xe0000-0xfffff on 16-byte boundaries finds it. */
    rsdp = t.mem + t.rsdp;
    ck_assert_uint_eq(t.rsdp % 16, 0);
    ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
    ck_assert_uint_eq(sum(rsdp, 20), 0);
    ck_assert_uint_eq(rsdp[15], 2);
    ck_assert_uint_eq(rd32(rsdp + 20), 36);
    ck_assert_uint_eq(sum(rsdp, 36), 0);
    ck_assert_uint_eq(rd32(rsdp + 16), 0);   /* no RSDT */
    /* The builder cleared the area: no stale bytes in the gaps. */
    for (uint64_t a = t.rsdp + 36; a < rd64(rsdp + 24); a++)
        ck_assert_uint_eq(t.mem[a], 0);
    ck_assert_uint_eq(t.mem[LAYOUT_ACPI_END - 1], 0);

    xsdt = table_at(&t, rd64(rsdp + 24), "XSDT");
    ck_assert_uint_eq(rd32(xsdt + 4), 36 + 3 * 8);

    /* FADT */
    fadt = xsdt_find(&t, "FACP");
    ck_assert_uint_eq(rd32(fadt + 4), 276);
    ck_assert_uint_eq(fadt[8], 6);
    ck_assert_uint_eq(fadt[131], 5);         /* ACPI 6.5 */
    ck_assert_uint_eq(rd32(fadt + 112), (1u << 20) | (1u << 10) | (1u << 4) | (1u << 5));
    ck_assert_uint_eq(rd16(fadt + 109), 1u << 2);   /* no VGA; no 8042 to probe */
    check_gas_io8(fadt + 116, LAYOUT_ACPI_RESET_REG);
    ck_assert_uint_eq(fadt[128], LAYOUT_ACPI_RESET_VALUE);
    check_gas_io8(fadt + 244, LAYOUT_ACPI_SLEEP_CTL);
    check_gas_io8(fadt + 256, LAYOUT_ACPI_SLEEP_STS);
    ck_assert_uint_eq(rd32(fadt + 40), 0);   /* only X_DSDT */
    ck_assert_uint_eq(rd32(fadt + 46), 0);   /* no SCI */
    ck_assert_uint_eq(rd32(fadt + 64), 0);   /* no PM1a_CNT_BLK */
    dsdt = table_at(&t, rd64(fadt + 140), "DSDT");
    ck_assert_uint_eq(dsdt[8], 2);

    /* DSDT: Name (_S5_, Package (2) { 5, Zero }) at the root. */
    {
        static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x05, 0x02,
                                      0x0a, LAYOUT_ACPI_S5_TYPE, 0x00 };

        ck_assert_msg(memmem(dsdt, rd32(dsdt + 4), s5, sizeof(s5)), "no _S5_ package");
    }

    /* MADT */
    madt = xsdt_find(&t, "APIC");
    ck_assert_uint_eq(rd32(madt + 36), LAYOUT_LAPIC_BASE);
    ck_assert_uint_eq(rd32(madt + 40), 0);
    for (uint32_t off = 44; off < rd32(madt + 4);) {
        const uint8_t *e = madt + off;
        uint32_t flags = 0;
        uint32_t id = 0;
        bool cpu = false;

        ck_assert_uint_ge(e[1], 2);
        ck_assert_uint_le(off + e[1], rd32(madt + 4));
        switch (e[0]) {
        case 0:
            ck_assert_uint_eq(e[1], 8);
            id = e[3];
            flags = rd32(e + 4);
            cpu = true;
            break;
        case 9:
            ck_assert_uint_eq(e[1], 16);
            id = rd32(e + 4);
            flags = rd32(e + 8);
            ck_assert_uint_gt(id, 254);
            cpu = true;
            break;
        case 1:
            ck_assert_uint_eq(e[1], 12);
            ck_assert_uint_eq(rd32(e + 4), LAYOUT_IOAPIC_BASE);
            ck_assert_uint_eq(rd32(e + 8), 0);
            ioapics++;
            break;
        case 4:
            ck_assert_uint_eq(e[1], 6);
            ck_assert_uint_eq(e[2], 0xff);
            ck_assert_uint_eq(e[5], 1);
            nmis++;
            break;
        case 10:
            ck_assert_uint_eq(e[1], 12);
            ck_assert_uint_eq(rd32(e + 4), 0xffffffff);
            ck_assert_uint_eq(e[8], 1);
            nmis++;
            break;
        default:
            ck_abort_msg("unexpected MADT entry type %u", e[0]);
        }
        if (cpu) {
            ck_assert_uint_eq(id, next_id);
            next_id++;
            if (flags == 1)
                enabled++;
            else if (flags == 2)
                online_capable++;
            else
                ck_abort_msg("LAPIC %u has flags 0x%x", id, flags);
            /* Boot CPUs come first. */
            ck_assert_uint_eq(flags == 1, id < boot);
        }
        off += e[1];
    }
    ck_assert_uint_eq(enabled, boot);
    ck_assert_uint_eq(online_capable, max - boot);
    ck_assert_uint_eq(ioapics, 1);
    ck_assert_uint_eq(nmis, max > 255 ? 2 : 1);

    /* MCFG */
    mcfg = xsdt_find(&t, "MCFG");
    ck_assert_uint_eq(rd32(mcfg + 4), 60);
    ck_assert_uint_eq(rd64(mcfg + 44), LAYOUT_ECAM_BASE);
    ck_assert_uint_eq(rd16(mcfg + 52), 0);
    ck_assert_uint_eq(mcfg[54], 0);
    ck_assert_uint_eq(mcfg[55], LAYOUT_ECAM_LAST_BUS);

    tables_free(&t);
}

START_TEST(test_tables_1_1)
{
    check_tables(1, 1);
}
END_TEST

START_TEST(test_tables_2_8)
{
    check_tables(2, 8);
}
END_TEST

START_TEST(test_tables_x2apic)
{
    check_tables(4, 300);
}
END_TEST

START_TEST(test_tables_errors)
{
    struct acpi_config too_many = { .boot_cpus = 1, .max_cpus = 20000 };
    struct acpi_config no_boot = { .boot_cpus = 0, .max_cpus = 2 };
    struct acpi_config boot_over_max = { .boot_cpus = 3, .max_cpus = 2 };
    struct acpi_config ok = { .boot_cpus = 1, .max_cpus = 1 };
    g_autofree uint8_t *mem = g_malloc0(MEM_SIZE);
    g_autoptr(guest_mem) gm = guest_mem_new_from_buffer(mem, MEM_SIZE);
    g_autoptr(guest_mem) small = guest_mem_new_from_buffer(mem, LAYOUT_ACPI_START + 0x1000);
    uint64_t rsdp = 0x1234;
    GError *error = NULL;

    ck_assert_int_eq(acpi_build_tables(gm, &too_many, &rsdp, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "ACPI tables need"));
    g_clear_error(&error);
    ck_assert_int_eq(acpi_build_tables(gm, &no_boot, &rsdp, &error), -1);
    ck_assert_ptr_nonnull(error);
    g_clear_error(&error);
    ck_assert_int_eq(acpi_build_tables(gm, &boot_over_max, &rsdp, &error), -1);
    ck_assert_ptr_nonnull(error);
    g_clear_error(&error);
    ck_assert_int_eq(acpi_build_tables(small, &ok, &rsdp, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "not guest RAM"));
    g_clear_error(&error);
    ck_assert_uint_eq(rsdp, 0x1234);
}
END_TEST

/* ---- iasl as an independent parser ---- */

static char *run_iasl(const char *dir, const char *const *args, int *status)
{
    const char *iasl = g_getenv("IASL");
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;

    ck_assert_msg(iasl && *iasl, "IASL is not set: the ACPI tables cannot be validated");
    g_ptr_array_add(argv, (char *)iasl);
    for (; *args; args++)
        g_ptr_array_add(argv, (char *)*args);
    g_ptr_array_add(argv, NULL);
    ck_assert_msg(g_spawn_sync(dir, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, status, &error),
                  "%s", error ? error->message : "?");
    return g_strconcat(out, err, NULL);
}

static void check_exit_0(const char *what, const char *output, int status)
{
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "iasl %s failed:\n%s", what,
                  output);
}

/*
 * iasl -d must take the table without complaint, and the compiler must turn
 * the disassembly back into the same bytes (-oa: no optimisations). The
 * disassembler alone is lenient (a corrupt AML opcode comes out as a bare
 * name); the round trip catches every encoding the compiler would not make.
 * iasl puts its own compiler id and revision in the header, hence the checksum
 * and bytes 28-35 differ. Not exact: iasl 20200925 drops the Online Capable
 * flag of x2APIC entries (it knows it only for xAPIC entries).
 */
static void iasl_round_trip(const char *dir, const char *sig, const uint8_t *table, bool exact)
{
    uint32_t len = rd32(table + 4);
    g_autofree char *dat = g_strdup_printf("%s.dat", sig);
    g_autofree char *dsl = g_strdup_printf("%s.dsl", sig);
    g_autofree char *re = g_strdup_printf("%s-rebuilt", sig);
    g_autofree char *re_aml = g_strdup_printf("%s-rebuilt.aml", sig);
    g_autofree char *dat_path = g_build_filename(dir, dat, NULL);
    g_autofree char *dsl_path = g_build_filename(dir, dsl, NULL);
    g_autofree char *re_path = g_build_filename(dir, re_aml, NULL);
    const char *const dis[] = { "-d", dat, NULL };
    const char *const comp[] = { "-oa", "-p", re, dsl, NULL };
    g_autofree char *output = NULL;
    g_autofree char *output2 = NULL;
    g_autofree char *text = NULL;
    g_autofree char *rebuilt = NULL;
    gsize rebuilt_len = 0;
    int status;

    ck_assert(g_file_set_contents(dat_path, (const char *)table, len, NULL));
    output = run_iasl(dir, dis, &status);
    check_exit_0(dat, output, status);
    ck_assert_msg(!strstr(output, "Error") && !strstr(output, "error(s)") &&
                  !strstr(output, "Warning") && !strstr(output, "Invalid") &&
                  strstr(output, "Binary file appears to be a valid ACPI table"),
                  "iasl -d %s complained:\n%s", dat, output);
    ck_assert_msg(g_file_get_contents(dsl_path, &text, NULL, NULL), "no %s", dsl);
    ck_assert_msg(!strstr(text, "**** ") && !strstr(text, "Invalid") &&
                  !strstr(text, "Unknown"),
                  "%s has parts iasl could not decode", dsl);

    output2 = run_iasl(dir, comp, &status);
    check_exit_0(dsl, output2, status);
    ck_assert_msg(strstr(output2, "0 Errors, 0 Warnings, 0 Remarks"), "iasl %s:\n%s", dsl,
                  output2);
    ck_assert_msg(g_file_get_contents(re_path, &rebuilt, &rebuilt_len, NULL), "no %s", re_aml);
    ck_assert_uint_eq(rebuilt_len, len);
    ck_assert_mem_eq(rebuilt, table, 9);
    ck_assert_mem_eq(rebuilt + 10, table + 10, 18);
    ck_assert_msg(!exact || memcmp(rebuilt + 36, table + 36, len - 36) == 0,
                  "%s differs after a round trip through iasl", sig);
}

/* What the DSDT means, as iasl reads it back (ASL, whitespace squeezed). */
static const char *const dsdt_expect[] = {
    "Device (COM1) { Name (_HID, EisaId (\"PNP0501\")",
    "IO (Decode16, 0x03F8, // Range Minimum 0x03F8, // Range Maximum 0x01, // Alignment "
    "0x08, // Length )",
    "IRQ (Edge, ActiveHigh, Exclusive, ) {4}",
    "Device (RTC) { Name (_HID, EisaId (\"PNP0B00\")",
    "IO (Decode16, 0x0070, // Range Minimum 0x0070, // Range Maximum 0x01, // Alignment "
    "0x02, // Length )",
    "Device (PCI0) { Name (_HID, EisaId (\"PNP0A08\")",
    "Name (_CID, EisaId (\"PNP0A03\")",
    "Name (_SEG, Zero)",
    "Name (_BBN, Zero)",
    "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, // Granularity "
    "0x0000, // Range Minimum 0x0000, // Range Maximum 0x0000, // Translation Offset "
    "0x0001, // Length",
    "IO (Decode16, 0x0CF8, // Range Minimum 0x0CF8, // Range Maximum 0x01, // Alignment "
    "0x08, // Length )",
    "WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, // "
    "Granularity 0x0D00, // Range Minimum 0xFFFF, // Range Maximum 0x0000, // Translation "
    "Offset 0xF300, // Length",
    "DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, "
    "0x00000000, // Granularity 0xC0000000, // Range Minimum 0xDFFFFFFF, // Range Maximum "
    "0x00000000, // Translation Offset 0x20000000, // Length",
    "Memory32Fixed (ReadWrite, 0xE0000000, // Address Base 0x00100000, // Address Length )",
    "Device (PWRB) { Name (_HID, EisaId (\"PNP0C0C\")",
    "Device (GED) { Name (_HID, \"ACPI0013\"",
    "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive, ,, ) { 0x00000009, }",
    "OperationRegion (GDST, SystemIO, 0x0610, 0x04)",
    "Field (GDST, DWordAcc, NoLock, Preserve) { GDAT, 32 }",
    "Method (_EVT, 1, Serialized)",
    "Local0 = GDAT",
    "If (((Local0 & One) == One)) { Notify (\\_SB.PWRB, 0x80)",
    "Name (\\_S5, Package (0x02) // _S5_: S5 System State { 0x05, Zero })",
};

static void check_dsdt_text(const char *dir)
{
    g_autofree char *path = g_build_filename(dir, "DSDT.dsl", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GRegex) ws = g_regex_new("\\s+", 0, 0, NULL);
    g_autofree char *flat = NULL;

    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    flat = g_regex_replace_literal(ws, text, -1, 0, " ", 0, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(dsdt_expect); i++) {
        if (!strstr(flat, dsdt_expect[i]))
            g_printerr("%s\n", text);   /* too long for a check message */
        ck_assert_msg(strstr(flat, dsdt_expect[i]), "DSDT lacks \"%s\"", dsdt_expect[i]);
    }
}

static void iasl_check_tables(unsigned boot, unsigned max)
{
    struct tables t;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("test-acpi-XXXXXX", &error);
    const uint8_t *xsdt;

    ck_assert_msg(dir, "%s", error ? error->message : "?");
    tables_build(&t, boot, max);

    /* Not the RSDP: iasl -d takes only tables with the common header. */
    xsdt = table_at(&t, rd64(t.mem + t.rsdp + 24), "XSDT");
    iasl_round_trip(dir, "XSDT", xsdt, true);
    iasl_round_trip(dir, "FACP", xsdt_find(&t, "FACP"), true);
    iasl_round_trip(dir, "DSDT", table_at(&t, rd64(xsdt_find(&t, "FACP") + 140), "DSDT"), true);
    check_dsdt_text(dir);
    iasl_round_trip(dir, "APIC", xsdt_find(&t, "APIC"), max <= 255);
    iasl_round_trip(dir, "MCFG", xsdt_find(&t, "MCFG"), true);

    {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *f;

        while (d && (f = g_dir_read_name(d))) {
            g_autofree char *p = g_build_filename(dir, f, NULL);

            g_unlink(p);
        }
        g_rmdir(dir);
    }
    tables_free(&t);
}

START_TEST(test_iasl_1_1)
{
    iasl_check_tables(1, 1);
}
END_TEST

START_TEST(test_iasl_2_8)
{
    iasl_check_tables(2, 8);
}
END_TEST

START_TEST(test_iasl_x2apic)
{
    iasl_check_tables(4, 300);
}
END_TEST

/* ---- devices ---- */

#define SLP(type) (uint8_t)(((type) << 2) | (1 << 5))

START_TEST(test_pm_poweroff)
{
    vm v = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(acpi_pm) pm = acpi_pm_create(&v, &error);

    ck_assert_ptr_nonnull(pm);
    ck_assert_uint_eq(v.n_pio, 1);
    ck_assert_uint_eq(v.pio[0].base, LAYOUT_ACPI_SLEEP_CTL);
    ck_assert_uint_eq(v.pio[0].len, 3);

    /* SLP_TYP = S5 without SLP_EN, and other sleep types: nothing happens. */
    ck_assert(outb_(&v, LAYOUT_ACPI_SLEEP_CTL, LAYOUT_ACPI_S5_TYPE << 2));
    for (unsigned type = 0; type < 8; type++) {
        if (type != LAYOUT_ACPI_S5_TYPE)
            ck_assert(outb_(&v, LAYOUT_ACPI_SLEEP_CTL, SLP(type)));
    }
    ck_assert(outb_(&v, LAYOUT_ACPI_SLEEP_STS, 0xff));
    ck_assert_uint_eq(v.n_stops, 0);
    ck_assert_uint_eq(inb_(&v, LAYOUT_ACPI_SLEEP_CTL), 0);
    ck_assert_uint_eq(inb_(&v, LAYOUT_ACPI_SLEEP_STS), 0);

    ck_assert(outb_(&v, LAYOUT_ACPI_SLEEP_CTL, SLP(LAYOUT_ACPI_S5_TYPE)));
    ck_assert_uint_eq(v.n_stops, 1);
    ck_assert_int_eq(v.stop, VM_STOP_POWEROFF);
    ck_assert_uint_eq(v.n_irq, 0);
}
END_TEST

START_TEST(test_pm_reset)
{
    vm v = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(acpi_pm) pm = acpi_pm_create(&v, &error);

    ck_assert_ptr_nonnull(pm);
    ck_assert(outb_(&v, LAYOUT_ACPI_RESET_REG, LAYOUT_ACPI_RESET_VALUE + 1));
    ck_assert(outb_(&v, LAYOUT_ACPI_RESET_REG, 0));
    ck_assert_uint_eq(v.n_stops, 0);
    ck_assert_uint_eq(inb_(&v, LAYOUT_ACPI_RESET_REG), 0);
    ck_assert(outb_(&v, LAYOUT_ACPI_RESET_REG, LAYOUT_ACPI_RESET_VALUE));
    ck_assert_uint_eq(v.n_stops, 1);
    ck_assert_int_eq(v.stop, VM_STOP_RESET);
}
END_TEST

START_TEST(test_pm_wide_access)
{
    vm v = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(acpi_pm) pm = acpi_pm_create(&v, &error);
    uint8_t word[2] = { SLP(LAYOUT_ACPI_S5_TYPE), 0 };
    uint8_t three[3] = { 0xaa, 0xaa, 0xaa };

    ck_assert_ptr_nonnull(pm);
    /* Split into bytes: a 16-bit read of control+status reads two zeros. */
    ck_assert(pio(&v, LAYOUT_ACPI_SLEEP_CTL, three, 3, false));
    ck_assert_uint_eq(three[0] | three[1] | three[2], 0);
    /* A 16-bit write of S5 | SLP_EN to control+status powers off. */
    ck_assert(pio(&v, LAYOUT_ACPI_SLEEP_CTL, word, 2, true));
    ck_assert_int_eq(v.stop, VM_STOP_POWEROFF);
}
END_TEST

static uint32_t ged_read32(vm *v)
{
    uint8_t b[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

    ck_assert(pio(v, LAYOUT_ACPI_GED_PORT, b, 4, false));
    return rd32(b);
}

START_TEST(test_ged_power_button)
{
    vm v = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(acpi_ged) ged = acpi_ged_create(&v, &error);
    uint8_t junk[4] = { 0xff, 0xff, 0xff, 0xff };

    ck_assert_ptr_nonnull(ged);
    ck_assert_uint_eq(v.n_pio, 1);
    ck_assert_uint_eq(v.pio[0].base, LAYOUT_ACPI_GED_PORT);
    ck_assert_uint_eq(v.pio[0].len, 4);
    ck_assert_uint_eq(ged_read32(&v), 0);

    acpi_ged_power_button(ged);
    /* Level: raised, and held until the event is read. */
    ck_assert_uint_eq(v.n_irq_total, 1);
    ck_assert_uint_eq(v.irq[0].gsi, LAYOUT_ACPI_GED_GSI);
    ck_assert(v.irq[0].level);

    /* Writes do not change the selector, nor the line. */
    ck_assert(pio(&v, LAYOUT_ACPI_GED_PORT, junk, 4, true));
    ck_assert_uint_eq(v.n_irq_total, 1);
    ck_assert_uint_eq(ged_read32(&v), ACPI_GED_EVENT_POWER_BUTTON);
    /* Reading the last event drops the line. */
    ck_assert_uint_eq(v.n_irq_total, 2);
    ck_assert_uint_eq(v.irq[1].gsi, LAYOUT_ACPI_GED_GSI);
    ck_assert(!v.irq[1].level);
    ck_assert_uint_eq(ged_read32(&v), 0);   /* read clears */

    /* A byte read of the upper bytes does not consume the event. */
    acpi_ged_power_button(ged);
    {
        uint8_t hi = 0xaa;

        ck_assert(pio(&v, LAYOUT_ACPI_GED_PORT + 1, &hi, 1, false));
        ck_assert_uint_eq(hi, 0);
    }
    ck_assert_uint_eq(ged_read32(&v), 1);
    ck_assert_uint_eq(v.n_stops, 0);
}
END_TEST

static gpointer press_many(gpointer data)
{
    for (int i = 0; i < 1000; i++)
        acpi_ged_power_button(data);
    return NULL;
}

/* Events raised while the guest reads are never lost or doubled: after the
 * presser ends, at least one read saw the bit, the last read is clean, and
 * the line is low once nothing is pending. */
START_TEST(test_ged_concurrent)
{
    struct vm *v = g_new0(struct vm, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(acpi_ged) ged = NULL;
    GThread *th;
    unsigned seen = 0;

    ged = acpi_ged_create(v, &error);
    ck_assert_ptr_nonnull(ged);
    th = g_thread_new("presser", press_many, ged);
    for (int i = 0; i < 1000; i++) {
        uint32_t s = ged_read32(v);

        ck_assert_uint_le(s, 1);
        seen += s;
    }
    g_thread_join(th);
    seen += ged_read32(v);
    ck_assert_uint_ge(seen, 1);
    ck_assert_uint_eq(ged_read32(v), 0);
    ck_assert_uint_eq(v->n_irq_raised, 1000);
    ck_assert(!v->line);
    g_free(v);
}
END_TEST

static Suite *acpi_suite(void)
{
    Suite *s = suite_create("acpi");
    TCase *encodings = tcase_create("aml");
    TCase *tables = tcase_create("tables");
    TCase *iasl = tcase_create("iasl");
    TCase *devices = tcase_create("devices");

    tcase_add_test(encodings, test_aml_encodings);
    suite_add_tcase(s, encodings);
    tcase_add_test(tables, test_tables_1_1);
    tcase_add_test(tables, test_tables_2_8);
    tcase_add_test(tables, test_tables_x2apic);
    tcase_add_test(tables, test_tables_errors);
    suite_add_tcase(s, tables);
    tcase_set_timeout(iasl, 30);
    tcase_add_test(iasl, test_iasl_1_1);
    tcase_add_test(iasl, test_iasl_2_8);
    tcase_add_test(iasl, test_iasl_x2apic);
    suite_add_tcase(s, iasl);
    tcase_add_test(devices, test_pm_poweroff);
    tcase_add_test(devices, test_pm_reset);
    tcase_add_test(devices, test_pm_wide_access);
    tcase_add_test(devices, test_ged_power_button);
    tcase_add_test(devices, test_ged_concurrent);
    suite_add_tcase(s, devices);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(acpi_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
