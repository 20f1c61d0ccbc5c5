/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MC146818 RTC and its 128 bytes of CMOS RAM. The date and time registers are read
 * straight from the host's UTC clock each time, in the format register B asks for
 * (BCD or binary, 24- or 12-hour). The guest cannot move that clock: writes to the
 * time and century registers are dropped, so a guest that sets the RTC reads the
 * host time back (as on Cloud Hypervisor); the host keeps the time.
 *
 * UIP (register A bit 7) is set during the last 244 us before each seconds edge,
 * which is when a real part warns that the registers are about to change. Reads
 * outside that window are stable until the next edge, so Linux's "wait for UIP to
 * clear, read, check UIP and seconds again" loop terminates within a second, and a
 * guest that waits for UIP to rise to find the start of a second also works. UIP
 * stays 0 while register B's SET bit is up, as on the real part.
 *
 * No interrupts (periodic, alarm, update-ended): register C always reads 0 and the
 * interrupt enable bits of register B are only stored. Register D reads VRT=1
 * (battery good). Everything else in the 128 bytes is plain RAM, kept for the VM's
 * lifetime (across guest resets, like a battery-backed CMOS).
 */
#include "devices/rtc.h"

#include <string.h>

#include "arch/x86_64/layout.h"

#define CMOS_SIZE RTC_NVRAM_SIZE
#define CMOS_INDEX_MASK 0x7f   /* bit 7 of the index is the NMI mask on a PC */
#define CMOS_NPORTS 2          /* index, data */

#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32       /* where ACPI's FADT and Linux look for it */

#define REG_A_UIP 0x80
#define REG_A_DEFAULT 0x26     /* 32.768 kHz time base, 1024 Hz rate */
#define REG_B_SET 0x80
#define REG_B_DM_BINARY 0x04
#define REG_B_24H 0x02
#define REG_D_VRT 0x80
#define HOURS_PM 0x80

#define UIP_WINDOW_NS 244000L
#define NS_PER_SEC 1000000000L

/* Memory size bytes, as QEMU's PC machines fill them. */
#define CMOS_BASE_MEM_LO 0x15          /* KiB below 640 KiB */
#define CMOS_EXT_MEM_LO 0x17           /* KiB above 1 MiB, up to 0xffff */
#define CMOS_EXT_MEM_COPY_LO 0x30      /* the same again */
#define CMOS_MEM_ABOVE_16M_LO 0x34     /* 64 KiB units between 16 MiB and 4 GiB, up to 0xffff */
#define CMOS_MEM_ABOVE_4G 0x5b         /* 64 KiB units above 4 GiB, 3 bytes */

struct rtc {
    GMutex lock;
    vm *vm;
    uint8_t index;
    uint8_t cmos[CMOS_SIZE];
    rtc_clock_fn clock;
    void *clock_opaque;
    uint64_t ram_below_4g;
    uint64_t ram_above_4g;
};

static void clock_realtime(void *opaque, struct timespec *now)
{
    clock_gettime(CLOCK_REALTIME, now);
}

static bool is_clock_register(uint8_t idx)
{
    switch (idx) {
    case RTC_SECONDS:
    case RTC_MINUTES:
    case RTC_HOURS:
    case RTC_DAY_OF_WEEK:
    case RTC_DAY_OF_MONTH:
    case RTC_MONTH:
    case RTC_YEAR:
    case RTC_CENTURY:
        return true;
    default:
        return false;
    }
}

static uint8_t encode(const rtc *r, unsigned v)
{
    if (r->cmos[RTC_REG_B] & REG_B_DM_BINARY)
        return (uint8_t)v;
    return (uint8_t)(((v / 10 % 10) << 4) | (v % 10));
}

static uint8_t read_clock(rtc *r, uint8_t idx)
{
    struct timespec now;
    struct tm tm;
    time_t t;
    unsigned year;
    unsigned hour;

    r->clock(r->clock_opaque, &now);
    t = now.tv_sec;
    if (!gmtime_r(&t, &tm))
        return 0;
    year = (unsigned)CLAMP(tm.tm_year + 1900, 0, 9999);
    switch (idx) {
    case RTC_SECONDS:
        return encode(r, (unsigned)tm.tm_sec);
    case RTC_MINUTES:
        return encode(r, (unsigned)tm.tm_min);
    case RTC_HOURS:
        if (r->cmos[RTC_REG_B] & REG_B_24H)
            return encode(r, (unsigned)tm.tm_hour);
        /* 12-hour: 12, 1, ..., 11 with bit 7 for PM, in either format. */
        hour = (unsigned)tm.tm_hour % 12;
        return encode(r, hour ? hour : 12) | (tm.tm_hour >= 12 ? HOURS_PM : 0);
    case RTC_DAY_OF_WEEK:
        return encode(r, (unsigned)tm.tm_wday + 1);   /* Sunday is 1 */
    case RTC_DAY_OF_MONTH:
        return encode(r, (unsigned)tm.tm_mday);
    case RTC_MONTH:
        return encode(r, (unsigned)tm.tm_mon + 1);
    case RTC_YEAR:
        return encode(r, year % 100);
    case RTC_CENTURY:
        return encode(r, year / 100);
    default:
        return 0;
    }
}

static uint8_t read_reg_a(rtc *r)
{
    struct timespec now;
    uint8_t v = r->cmos[RTC_REG_A] & ~REG_A_UIP;

    if (r->cmos[RTC_REG_B] & REG_B_SET)
        return v;
    r->clock(r->clock_opaque, &now);
    if (now.tv_nsec >= NS_PER_SEC - UIP_WINDOW_NS)
        v |= REG_A_UIP;
    return v;
}

static uint8_t data_read(rtc *r)
{
    uint8_t idx = r->index;

    if (is_clock_register(idx))
        return read_clock(r, idx);
    switch (idx) {
    case RTC_REG_A:
        return read_reg_a(r);
    case RTC_REG_C:
        return 0;
    case RTC_REG_D:
        return REG_D_VRT;
    default:
        return r->cmos[idx];
    }
}

static void data_write(rtc *r, uint8_t v)
{
    uint8_t idx = r->index;

    if (is_clock_register(idx))
        return;
    switch (idx) {
    case RTC_REG_A:
        r->cmos[idx] = v & ~REG_A_UIP;
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        break;   /* read-only */
    default:
        r->cmos[idx] = v;
        break;
    }
}

/* A word access (outw 0x70 with index and data) is split like the ISA bus does. */
static bool rtc_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
    rtc *r = opaque;

    if (offset >= CMOS_NPORTS || len > CMOS_NPORTS - offset)
        return false;
    g_mutex_lock(&r->lock);
    for (uint32_t i = 0; i < len; i++) {
        bool is_index = offset + i == 0;

        if (is_write && is_index)
            r->index = data[i] & CMOS_INDEX_MASK;
        else if (is_write)
            data_write(r, data[i]);
        else if (is_index)
            data[i] = 0xff;   /* the index register is write-only */
        else
            data[i] = data_read(r);
    }
    g_mutex_unlock(&r->lock);
    return true;
}

static void set_u16(rtc *r, uint8_t idx, uint64_t v)
{
    r->cmos[idx] = (uint8_t)v;
    r->cmos[idx + 1] = (uint8_t)(v >> 8);
}

static void fill_memory_size(rtc *r)
{
    uint64_t below_4g = r->ram_below_4g;
    uint64_t above_4g = r->ram_above_4g;
    uint64_t v;

    set_u16(r, CMOS_BASE_MEM_LO, MIN(below_4g / 1024, 640));
    v = below_4g > (1 << 20) ? MIN((below_4g - (1 << 20)) / 1024, 0xffff) : 0;
    set_u16(r, CMOS_EXT_MEM_LO, v);
    set_u16(r, CMOS_EXT_MEM_COPY_LO, v);
    v = below_4g > (16 << 20) ? MIN((below_4g - (16 << 20)) / 65536, 0xffff) : 0;
    set_u16(r, CMOS_MEM_ABOVE_16M_LO, v);
    v = MIN(above_4g / 65536, 0xffffff);
    set_u16(r, CMOS_MEM_ABOVE_4G, v);
    r->cmos[CMOS_MEM_ABOVE_4G + 2] = (uint8_t)(v >> 16);
}

rtc *rtc_create(vm *vm, uint64_t ram_below_4g, uint64_t ram_above_4g, GError **error)
{
    g_autoptr(rtc) r = g_new0(rtc, 1);

    g_mutex_init(&r->lock);
    r->vm = vm;
    r->clock = clock_realtime;
    r->cmos[RTC_REG_A] = REG_A_DEFAULT;
    r->cmos[RTC_REG_B] = REG_B_24H;
    r->ram_below_4g = ram_below_4g;
    r->ram_above_4g = ram_above_4g;
    fill_memory_size(r);
    if (vm_register_pio(vm, LAYOUT_CMOS_PORT, CMOS_NPORTS, "rtc", rtc_io, r, error) < 0)
        return NULL;
    return g_steal_pointer(&r);
}

void rtc_save_nvram(rtc *r, uint8_t nvram[RTC_NVRAM_SIZE])
{
    g_mutex_lock(&r->lock);
    memcpy(nvram, r->cmos, CMOS_SIZE);
    g_mutex_unlock(&r->lock);
}

void rtc_load_nvram(rtc *r, const uint8_t nvram[RTC_NVRAM_SIZE])
{
    g_mutex_lock(&r->lock);
    memcpy(r->cmos, nvram, CMOS_SIZE);
    r->cmos[RTC_REG_A] &= ~REG_A_UIP;
    /* Firmware rewrites these at every boot. */
    fill_memory_size(r);
    g_mutex_unlock(&r->lock);
}

void rtc_set_clock(rtc *r, rtc_clock_fn fn, void *opaque)
{
    g_mutex_lock(&r->lock);
    r->clock = fn ? fn : clock_realtime;
    r->clock_opaque = opaque;
    g_mutex_unlock(&r->lock);
}

/* Only after the vCPUs are gone: the port range keeps pointing here. */
void rtc_free(rtc *r)
{
    if (!r)
        return;
    g_mutex_clear(&r->lock);
    g_free(r);
}
