/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CMOS clock as a guest reads it: the Linux way (wait for UIP to clear, read,
 * read again until two readings agree), in BCD and then in binary mode, which must
 * tell the same time. Plausibility only: the year is at least 2024 and every field
 * is valid BCD and in range.
 */
#include "guest.h"

#include "../../backend/arch/x86_64/layout.h"

#define CMOS_INDEX LAYOUT_CMOS_PORT
#define CMOS_DATA (LAYOUT_CMOS_PORT + 1)
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_D 0x0d
#define CENTURY 0x32
#define REG_A_UIP 0x80
#define REG_B_DM_BINARY 0x04
#define REG_B_24H 0x02
#define REG_D_VRT 0x80
#define MAX_UIP_POLLS 100000   /* UIP lasts 244 us; this is far longer even emulated */
#define MAX_TRIES 10

struct rtc_time {
    uint8_t sec, min, hour, wday, mday, mon, year, century;
};

static uint8_t cmos_read(uint8_t idx)
{
    outb(CMOS_INDEX, idx);
    return inb(CMOS_DATA);
}

static void cmos_write(uint8_t idx, uint8_t v)
{
    outb(CMOS_INDEX, idx);
    outb(CMOS_DATA, v);
}

static void wait_uip_clear(void)
{
    for (unsigned i = 0; i < MAX_UIP_POLLS; i++) {
        if (!(cmos_read(REG_A) & REG_A_UIP))
            return;
        cpu_relax();
    }
    guest_fail("UIP never cleared");
}

static void read_once(struct rtc_time *t)
{
    wait_uip_clear();
    t->sec = cmos_read(0x00);
    t->min = cmos_read(0x02);
    t->hour = cmos_read(0x04);
    t->wday = cmos_read(0x06);
    t->mday = cmos_read(0x07);
    t->mon = cmos_read(0x08);
    t->year = cmos_read(0x09);
    t->century = cmos_read(CENTURY);
}

/* Two readings in a row that agree: no update happened in between. */
static void read_stable(struct rtc_time *t)
{
    struct rtc_time again;

    for (unsigned i = 0; i < MAX_TRIES; i++) {
        read_once(t);
        read_once(&again);
        if (memcmp(t, &again, sizeof(again)) == 0)
            return;
    }
    guest_fail("no two RTC readings agreed");
}

static bool valid_bcd(uint8_t v)
{
    return (v & 0x0f) <= 9 && (v >> 4) <= 9;
}

static uint8_t from_bcd(uint8_t v)
{
    return (uint8_t)((v >> 4) * 10 + (v & 0x0f));
}

static void check_bcd(const struct rtc_time *t)
{
    GUEST_CHECK(valid_bcd(t->sec) && valid_bcd(t->min) && valid_bcd(t->hour));
    GUEST_CHECK(valid_bcd(t->wday) && valid_bcd(t->mday) && valid_bcd(t->mon));
    GUEST_CHECK(valid_bcd(t->year) && valid_bcd(t->century));
}

static void decode(struct rtc_time *t)
{
    t->sec = from_bcd(t->sec);
    t->min = from_bcd(t->min);
    t->hour = from_bcd(t->hour);
    t->wday = from_bcd(t->wday);
    t->mday = from_bcd(t->mday);
    t->mon = from_bcd(t->mon);
    t->year = from_bcd(t->year);
    t->century = from_bcd(t->century);
}

static void check_range(const struct rtc_time *t)
{
    GUEST_CHECK(t->sec <= 59);
    GUEST_CHECK(t->min <= 59);
    GUEST_CHECK(t->hour <= 23);
    GUEST_CHECK(t->wday >= 1 && t->wday <= 7);
    GUEST_CHECK(t->mday >= 1 && t->mday <= 31);
    GUEST_CHECK(t->mon >= 1 && t->mon <= 12);
    GUEST_CHECK(t->year <= 99);
    GUEST_CHECK(t->century * 100u + t->year >= 2024);
}

static void put2(uint8_t v)
{
    serial_putc((char)('0' + v / 10));
    serial_putc((char)('0' + v % 10));
}

int guest_main(void)
{
    struct rtc_time bcd;
    struct rtc_time bin;
    struct rtc_time after;
    uint8_t b = cmos_read(REG_B);
    unsigned i;

    GUEST_CHECK((cmos_read(REG_D) & REG_D_VRT) != 0);
    GUEST_CHECK((b & (REG_B_DM_BINARY | REG_B_24H)) == REG_B_24H);   /* 24-hour BCD */

    /* Binary mode must tell the same time; retry if a second ticked in between. */
    for (i = 0; i < MAX_TRIES; i++) {
        read_stable(&bcd);
        cmos_write(REG_B, b | REG_B_DM_BINARY);
        read_stable(&bin);
        cmos_write(REG_B, b);
        read_stable(&after);
        if (memcmp(&bcd, &after, sizeof(bcd)) == 0)
            break;
    }
    GUEST_CHECK(i < MAX_TRIES);
    check_bcd(&bcd);
    decode(&bcd);
    check_range(&bcd);
    check_range(&bin);
    GUEST_CHECK(memcmp(&bcd, &bin, sizeof(bcd)) == 0);

    serial_puts("rtc: ");
    put2(bcd.century);
    put2(bcd.year);
    serial_putc('-');
    put2(bcd.mon);
    serial_putc('-');
    put2(bcd.mday);
    serial_putc(' ');
    put2(bcd.hour);
    serial_putc(':');
    put2(bcd.min);
    serial_putc(':');
    put2(bcd.sec);
    serial_puts(" UTC\nrtc ok\n");
    return 0;
}
