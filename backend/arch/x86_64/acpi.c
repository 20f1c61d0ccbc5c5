/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ACPI tables for a hardware-reduced x86-64 VM (ACPI 6.5): no PM1 blocks, no
 * GPEs, no SCI; power-off and reset go through the FADT's sleep control and
 * reset registers (devices/acpi-pm.c), events through the Generic Event Device
 * (devices/acpi-ged.c). Offsets below are those of the ACPI 6.5 table layouts.
 */
#include "arch/x86_64/acpi.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <string.h>

#include "arch/x86_64/aml.h"
#include "arch/x86_64/layout.h"
#include "devices/acpi-ged.h"

#define ACPI_OEM_ID            "SKIFF "
#define ACPI_OEM_REVISION      1
#define ACPI_CREATOR_ID        "SKIF"
#define ACPI_CREATOR_REVISION  1
#define ACPI_HEADER_LEN        36
#define ACPI_RSDP_LEN          36
#define ACPI_TABLE_ALIGN       16

/* FADT (§5.2.9), revision 6, 276 bytes. */
#define FADT_LEN               276
#define FADT_REVISION          6
#define FADT_MINOR_VERSION     5
#define FADT_OFF_IAPC_BOOT_ARCH 109
#define FADT_OFF_FLAGS         112
#define FADT_OFF_RESET_REG     116
#define FADT_OFF_RESET_VALUE   128
#define FADT_OFF_MINOR_VERSION 131
#define FADT_OFF_X_DSDT        140
#define FADT_OFF_SLEEP_CONTROL 244
#define FADT_OFF_SLEEP_STATUS  256
#define FADT_OFF_HYPERVISOR_ID 268

#define FADT_F_PWR_BUTTON      (1u << 4)    /* power button is a control-method device */
#define FADT_F_SLP_BUTTON      (1u << 5)    /* no fixed-feature sleep button */
#define FADT_F_RESET_REG_SUP   (1u << 10)
#define FADT_F_HW_REDUCED_ACPI (1u << 20)

#define IAPC_BOOT_ARCH_VGA_NOT_PRESENT (1u << 2)

#define GAS_SYSTEM_IO          1
#define GAS_ACCESS_BYTE        1

/* MADT (§5.2.12), revision 5: the first to define the Online Capable flag. */
#define MADT_REVISION          5
#define MADT_LOCAL_APIC        0
#define MADT_IO_APIC           1
#define MADT_LOCAL_APIC_NMI    4
#define MADT_LOCAL_X2APIC      9
#define MADT_LOCAL_X2APIC_NMI  10
#define MADT_F_ENABLED         (1u << 0)
#define MADT_F_ONLINE_CAPABLE  (1u << 1)
#define MADT_ALL_PROCESSORS_U8 0xff
#define MADT_ALL_PROCESSORS_U32 0xffffffffu
/* APIC ID 0xff is the xAPIC broadcast id; 255 and above need x2APIC entries. */
#define MADT_XAPIC_MAX_ID      0xfe
/* KVM's in-kernel IOAPIC resets its id to 0. */
#define MADT_IOAPIC_ID         0
#define MADT_LINT1             1

#define ACPI_ERROR (g_quark_from_static_string("skiff-acpi-error"))

static void put_bytes(GByteArray *t, const void *p, size_t len)
{
    g_byte_array_append(t, p, (guint)len);
}

static void put_le(GByteArray *t, uint64_t v, unsigned bytes)
{
    g_assert(bytes <= 8);
    for (unsigned i = 0; i < bytes; i++) {
        uint8_t b = (uint8_t)(v >> (8 * i));

        g_byte_array_append(t, &b, 1);
    }
}

static void set_le(GByteArray *t, size_t off, uint64_t v, unsigned bytes)
{
    g_assert(off + bytes <= t->len);
    for (unsigned i = 0; i < bytes; i++)
        t->data[off + i] = (uint8_t)(v >> (8 * i));
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += p[i];
    return (uint8_t)-sum;
}

/* The common header (§5.2.6); length and checksum are set by table_finish(). */
static GByteArray *table_new(const char *sig, uint8_t revision, const char *oem_table_id)
{
    GByteArray *t = g_byte_array_new();

    g_assert(strlen(sig) == 4 && strlen(oem_table_id) == 8);
    put_bytes(t, sig, 4);
    put_le(t, 0, 4);                       /* length */
    put_le(t, revision, 1);
    put_le(t, 0, 1);                       /* checksum */
    put_bytes(t, ACPI_OEM_ID, 6);
    put_bytes(t, oem_table_id, 8);
    put_le(t, ACPI_OEM_REVISION, 4);
    put_bytes(t, ACPI_CREATOR_ID, 4);
    put_le(t, ACPI_CREATOR_REVISION, 4);
    return t;
}

static void table_finish(GByteArray *t)
{
    set_le(t, 4, t->len, 4);
    t->data[9] = 0;
    t->data[9] = checksum(t->data, t->len);
}

/* Generic Address Structure (§5.2.3.2) for one 8-bit I/O port. */
static void set_gas_io8(GByteArray *t, size_t off, uint16_t port)
{
    set_le(t, off, GAS_SYSTEM_IO, 1);
    set_le(t, off + 1, 8, 1);              /* register bit width */
    set_le(t, off + 2, 0, 1);              /* bit offset */
    set_le(t, off + 3, GAS_ACCESS_BYTE, 1);
    set_le(t, off + 4, port, 8);
}

static aml *named_int(const char *name, uint64_t v)
{
    return aml_name_decl(name, aml_int(v));
}

static aml *crs(aml *resource)
{
    aml *rt = aml_resource_template();

    aml_append(rt, resource);
    return aml_name_decl("_CRS", rt);
}

static aml *dsdt_com1(void)
{
    aml *dev = aml_device("COM1");
    aml *rt = aml_resource_template();

    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0501")));
    aml_append(dev, named_int("_UID", 1));
    aml_append(rt, aml_io(LAYOUT_COM1_PORT, LAYOUT_COM1_PORT, 1, 8));
    aml_append(rt, aml_irq_edge_high(LAYOUT_COM1_GSI));
    aml_append(dev, aml_name_decl("_CRS", rt));
    return dev;
}

static aml *dsdt_rtc(void)
{
    aml *dev = aml_device("RTC");

    /* No IRQ: the CMOS RTC here raises no alarm or update interrupts. */
    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0B00")));
    aml_append(dev, crs(aml_io(LAYOUT_CMOS_PORT, LAYOUT_CMOS_PORT, 1, 2)));
    return dev;
}

static aml *dsdt_pci0(void)
{
    aml *dev = aml_device("PCI0");
    aml *rt = aml_resource_template();

    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0A08")));
    aml_append(dev, aml_name_decl("_CID", aml_eisaid("PNP0A03")));
    aml_append(dev, named_int("_SEG", 0));
    aml_append(dev, named_int("_BBN", 0));
    aml_append(dev, named_int("_UID", 0));
    aml_append(rt, aml_word_bus_number(0, LAYOUT_ECAM_LAST_BUS));
    aml_append(rt, aml_io(LAYOUT_PCI_CONF1_PORT, LAYOUT_PCI_CONF1_PORT, 1, 8));
    aml_append(rt, aml_word_io(0x0d00, 0xffff));
    aml_append(rt, aml_dword_memory(LAYOUT_PCI_MMIO32_BASE,
                                    LAYOUT_PCI_MMIO32_BASE + LAYOUT_PCI_MMIO32_SIZE - 1, false));
    aml_append(dev, aml_name_decl("_CRS", rt));
    return dev;
}

/* Motherboard resources: Linux trusts the MCFG's ECAM area only when it is
 * reserved here (or in the e820 map). */
static aml *dsdt_mbrd(void)
{
    aml *dev = aml_device("MBRD");

    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0C02")));
    aml_append(dev, named_int("_UID", 0));
    aml_append(dev, crs(aml_memory32_fixed(LAYOUT_ECAM_BASE, LAYOUT_ECAM_SIZE, true)));
    return dev;
}

static aml *dsdt_pwrb(void)
{
    aml *dev = aml_device("PWRB");

    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0C0C")));
    aml_append(dev, named_int("_UID", 0));
    return dev;
}

static aml *dsdt_ged(void)
{
    aml *dev = aml_device("GED");
    aml *field = aml_field("GDST", AML_DWORD_ACC);
    aml *evt = aml_method("_EVT", 1, true);
    aml *if_power = NULL;

    aml_append(dev, aml_name_decl("_HID", aml_string("ACPI0013")));
    aml_append(dev, named_int("_UID", 0));
    /* Level: the device holds the line until _EVT has read every event. */
    aml_append(dev, crs(aml_interrupt(true, false, false, false, LAYOUT_ACPI_GED_GSI)));
    aml_append(dev, aml_operation_region("GDST", AML_SYSTEM_IO, LAYOUT_ACPI_GED_PORT, 4));
    aml_append(field, aml_field_entry("GDAT", 32));
    aml_append(dev, field);

    /* Reading GDAT clears the selector in the device, so read it once. */
    aml_append(evt, aml_store(aml_name("GDAT"), aml_local(0)));
    if_power = aml_if(aml_lequal(aml_and(aml_local(0), aml_int(ACPI_GED_EVENT_POWER_BUTTON)),
                                 aml_int(ACPI_GED_EVENT_POWER_BUTTON)));
    aml_append(if_power, aml_notify(aml_name("\\_SB.PWRB"), aml_int(0x80)));
    aml_append(evt, if_power);
    aml_append(dev, evt);
    return dev;
}

static GByteArray *build_dsdt(void)
{
    g_autoptr(aml) body = aml_new();
    aml *sb = aml_scope("\\_SB");
    aml *s5 = aml_package();
    GByteArray *t = table_new("DSDT", 2, "SKIFDSDT");   /* revision 2: 64-bit integers */
    const uint8_t *code;
    size_t len;

    aml_append(sb, dsdt_com1());
    aml_append(sb, dsdt_rtc());
    aml_append(sb, dsdt_pci0());
    aml_append(sb, dsdt_mbrd());
    aml_append(sb, dsdt_pwrb());
    aml_append(sb, dsdt_ged());
    aml_append(body, sb);

    /* SLP_TYPa, SLP_TYPb; hardware-reduced sleep uses only the first. */
    aml_append(s5, aml_int(LAYOUT_ACPI_S5_TYPE));
    aml_append(s5, aml_int(0));
    aml_append(body, aml_name_decl("\\_S5", s5));

    code = aml_data(body, &len);
    put_bytes(t, code, len);
    table_finish(t);
    return t;
}

static GByteArray *build_fadt(void)
{
    GByteArray *t = table_new("FACP", FADT_REVISION, "SKIFFACP");

    g_byte_array_set_size(t, FADT_LEN);
    memset(t->data + ACPI_HEADER_LEN, 0, FADT_LEN - ACPI_HEADER_LEN);
    /* The i8042 is there only for its reset line: 8042 stays clear so that
     * Linux does not probe for a keyboard and mouse (a second of boot time
     * under nesting) — it still resets through it as a fallback. There is a
     * CMOS RTC, so CMOS_RTC_NOT_PRESENT is clear; there is no VGA; MSI works
     * (KVM routes MSIs), so MSI_NOT_SUPPORTED is clear. */
    set_le(t, FADT_OFF_IAPC_BOOT_ARCH, IAPC_BOOT_ARCH_VGA_NOT_PRESENT, 2);
    set_le(t, FADT_OFF_FLAGS,
           FADT_F_HW_REDUCED_ACPI | FADT_F_RESET_REG_SUP | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON,
           4);
    set_gas_io8(t, FADT_OFF_RESET_REG, LAYOUT_ACPI_RESET_REG);
    set_le(t, FADT_OFF_RESET_VALUE, LAYOUT_ACPI_RESET_VALUE, 1);
    set_le(t, FADT_OFF_MINOR_VERSION, FADT_MINOR_VERSION, 1);
    set_gas_io8(t, FADT_OFF_SLEEP_CONTROL, LAYOUT_ACPI_SLEEP_CTL);
    set_gas_io8(t, FADT_OFF_SLEEP_STATUS, LAYOUT_ACPI_SLEEP_STS);
    memcpy(t->data + FADT_OFF_HYPERVISOR_ID, "SKIFF   ", 8);
    /* X_DSDT is set once the DSDT has an address; the 32-bit DSDT field stays 0. */
    return t;
}

static void put_madt_cpu(GByteArray *t, uint32_t apic_id, uint32_t flags)
{
    if (apic_id <= MADT_XAPIC_MAX_ID) {
        put_le(t, MADT_LOCAL_APIC, 1);
        put_le(t, 8, 1);
        put_le(t, apic_id, 1);             /* ACPI processor UID */
        put_le(t, apic_id, 1);
        put_le(t, flags, 4);
    } else {
        put_le(t, MADT_LOCAL_X2APIC, 1);
        put_le(t, 16, 1);
        put_le(t, 0, 2);
        put_le(t, apic_id, 4);
        put_le(t, flags, 4);
        put_le(t, apic_id, 4);             /* ACPI processor UID */
    }
}

static GByteArray *build_madt(const struct acpi_config *cfg)
{
    GByteArray *t = table_new("APIC", MADT_REVISION, "SKIFAPIC");

    put_le(t, LAYOUT_LAPIC_BASE, 4);
    put_le(t, 0, 4);                       /* no PCAT_COMPAT: there is no 8259 to mask */

    for (unsigned i = 0; i < cfg->max_cpus; i++)
        put_madt_cpu(t, i, i < cfg->boot_cpus ? MADT_F_ENABLED : MADT_F_ONLINE_CAPABLE);

    put_le(t, MADT_IO_APIC, 1);
    put_le(t, 12, 1);
    put_le(t, MADT_IOAPIC_ID, 1);
    put_le(t, 0, 1);
    put_le(t, LAYOUT_IOAPIC_BASE, 4);
    put_le(t, 0, 4);                       /* GSI base */

    /* No interrupt source overrides: ISA IRQs map 1:1 to GSIs, edge, active high. */

    put_le(t, MADT_LOCAL_APIC_NMI, 1);
    put_le(t, 6, 1);
    put_le(t, MADT_ALL_PROCESSORS_U8, 1);
    put_le(t, 0, 2);                       /* MPS INTI flags: conforms to the bus */
    put_le(t, MADT_LINT1, 1);
    if (cfg->max_cpus > MADT_XAPIC_MAX_ID + 1) {
        put_le(t, MADT_LOCAL_X2APIC_NMI, 1);
        put_le(t, 12, 1);
        put_le(t, 0, 2);
        put_le(t, MADT_ALL_PROCESSORS_U32, 4);
        put_le(t, MADT_LINT1, 1);
        put_le(t, 0, 3);
    }
    table_finish(t);
    return t;
}

static GByteArray *build_mcfg(void)
{
    GByteArray *t = table_new("MCFG", 1, "SKIFMCFG");

    put_le(t, 0, 8);
    put_le(t, LAYOUT_ECAM_BASE, 8);
    put_le(t, 0, 2);                       /* PCI segment */
    put_le(t, 0, 1);                       /* start bus */
    put_le(t, LAYOUT_ECAM_LAST_BUS, 1);
    put_le(t, 0, 4);
    table_finish(t);
    return t;
}

static GByteArray *build_rsdp(uint64_t xsdt_gpa)
{
    GByteArray *t = g_byte_array_new();

    put_bytes(t, "RSD PTR ", 8);
    put_le(t, 0, 1);                       /* checksum of the first 20 bytes */
    put_bytes(t, ACPI_OEM_ID, 6);
    put_le(t, 2, 1);                       /* revision 2: ACPI 2.0+, XSDT */
    put_le(t, 0, 4);                       /* no RSDT */
    put_le(t, ACPI_RSDP_LEN, 4);
    put_le(t, xsdt_gpa, 8);
    put_le(t, 0, 1);                       /* extended checksum */
    put_le(t, 0, 3);
    t->data[8] = checksum(t->data, 20);
    t->data[32] = checksum(t->data, ACPI_RSDP_LEN);
    return t;
}

static int check_config(const struct acpi_config *cfg, GError **error)
{
    if (cfg->boot_cpus == 0 || cfg->boot_cpus > cfg->max_cpus) {
        g_set_error(error, ACPI_ERROR, 0,
                    _("ACPI tables: %u boot vCPUs is not between 1 and the maximum of %u"),
                    cfg->boot_cpus, cfg->max_cpus);
        return -1;
    }
    return 0;
}

int acpi_build_tables(guest_mem *gm, const struct acpi_config *cfg, uint64_t *rsdp_gpa,
                      GError **error)
{
    g_autoptr(GByteArray) rsdp = NULL;
    g_autoptr(GByteArray) xsdt = NULL;
    g_autoptr(GByteArray) fadt = NULL;
    g_autoptr(GByteArray) dsdt = NULL;
    g_autoptr(GByteArray) madt = NULL;
    g_autoptr(GByteArray) mcfg = NULL;
    GByteArray *tables[5];
    uint64_t gpa[G_N_ELEMENTS(tables)];
    uint64_t next;
    uint8_t *area;

    if (check_config(cfg, error) < 0)
        return -1;

    xsdt = table_new("XSDT", 1, "SKIFXSDT");
    for (int i = 0; i < 3; i++)
        put_le(xsdt, 0, 8);                /* FADT, MADT, MCFG; the DSDT hangs off the FADT */
    fadt = build_fadt();
    dsdt = build_dsdt();
    madt = build_madt(cfg);
    mcfg = build_mcfg();

    /* Laid out in this order after the RSDP. */
    tables[0] = xsdt;
    tables[1] = fadt;
    tables[2] = dsdt;
    tables[3] = madt;
    tables[4] = mcfg;
    next = LAYOUT_ACPI_START + ACPI_RSDP_LEN;
    for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
        next = (next + ACPI_TABLE_ALIGN - 1) & ~(uint64_t)(ACPI_TABLE_ALIGN - 1);
        gpa[i] = next;
        next += tables[i]->len;
    }
    if (next > LAYOUT_ACPI_END) {
        g_set_error(error, ACPI_ERROR, 0,
                    _("ACPI tables need %" PRIu64 " bytes but only %" PRIu64
                      " are reserved for them (too many vCPUs?)"),
                    (uint64_t)(next - LAYOUT_ACPI_START), (uint64_t)(LAYOUT_ACPI_END - LAYOUT_ACPI_START));
        return -1;
    }

    set_le(xsdt, ACPI_HEADER_LEN + 0, gpa[1], 8);
    set_le(xsdt, ACPI_HEADER_LEN + 8, gpa[3], 8);
    set_le(xsdt, ACPI_HEADER_LEN + 16, gpa[4], 8);
    table_finish(xsdt);
    set_le(fadt, FADT_OFF_X_DSDT, gpa[2], 8);
    table_finish(fadt);
    rsdp = build_rsdp(gpa[0]);

    area = guest_mem_ptr(gm, LAYOUT_ACPI_START, LAYOUT_ACPI_END - LAYOUT_ACPI_START);
    if (!area) {
        g_set_error(error, ACPI_ERROR, 0,
                    _("the ACPI table area 0x%" PRIx64 "-0x%" PRIx64
                      " is not guest RAM"),
                    (uint64_t)LAYOUT_ACPI_START, (uint64_t)(LAYOUT_ACPI_END - 1));
        return -1;
    }
    /* No stale bytes (from before a reset) between the tables. */
    memset(area, 0, LAYOUT_ACPI_END - LAYOUT_ACPI_START);
    memcpy(area, rsdp->data, rsdp->len);
    for (size_t i = 0; i < G_N_ELEMENTS(tables); i++)
        memcpy(area + (gpa[i] - LAYOUT_ACPI_START), tables[i]->data, tables[i]->len);
    *rsdp_gpa = LAYOUT_ACPI_START;
    return 0;
}
