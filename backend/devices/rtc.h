/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MC146818 real-time clock and CMOS RAM at ports 0x70/0x71, backed by the host's UTC clock. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <time.h>

#include "vmm/vm.h"

#define RTC_NVRAM_SIZE 128

typedef struct rtc rtc;

/* ram_below_4g / ram_above_4g: guest RAM sizes, for the memory size bytes firmware and
 * old guests read from CMOS (same encoding as QEMU's PC machines). */
rtc *rtc_create(vm *vm, uint64_t ram_below_4g, uint64_t ram_above_4g, GError **error);
void rtc_free(rtc *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rtc, rtc_free)

/* The time source; the default reads CLOCK_REALTIME. For tests. */
typedef void (*rtc_clock_fn)(void *opaque, struct timespec *now);
void rtc_set_clock(rtc *r, rtc_clock_fn fn, void *opaque);

/* The CMOS RAM, to carry it across a guest reset like a battery would. Loading keeps
 * the clock on the host time and the memory size bytes of this VM. */
void rtc_save_nvram(rtc *r, uint8_t nvram[RTC_NVRAM_SIZE]);
void rtc_load_nvram(rtc *r, const uint8_t nvram[RTC_NVRAM_SIZE]);
