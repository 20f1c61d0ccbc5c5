/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The address-range dispatcher and guest memory bounds. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/layout.h"
#include "vmm/guest-mem.h"
#include "vmm/iobus.h"

#include "testutil.h"

struct hit {
    uint64_t offset;
    uint32_t len;
    bool is_write;
    int calls;
};

static bool record(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
    struct hit *h = opaque;

    h->offset = offset;
    h->len = len;
    h->is_write = is_write;
    h->calls++;
    if (!is_write)
        memset(data, 0xab, len);
    return true;
}

static bool reject(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
    return false;
}

START_TEST(dispatch)
{
    g_autoptr(iobus) bus = iobus_new("test");
    struct hit a = { 0 };
    struct hit b = { 0 };
    uint8_t data[4] = { 0 };

    ck_assert_int_eq(iobus_register(bus, 0x3f8, 8, "a", record, &a, NULL), 0);
    ck_assert_int_eq(iobus_register(bus, 0x60, 1, "b", record, &b, NULL), 0);
    ck_assert_int_eq(iobus_register(bus, 0x70, 2, "c", reject, NULL, NULL), 0);
    ck_assert(iobus_dispatch(bus, 0x3fd, data, 1, false));
    ck_assert_uint_eq(a.offset, 5);
    ck_assert_uint_eq(data[0], 0xab);
    ck_assert(iobus_dispatch(bus, 0x60, data, 1, true));
    ck_assert_int_eq(b.calls, 1);
    ck_assert(b.is_write);
    /* Nothing there, straddling the end, a handler that refuses, zero length. */
    ck_assert(!iobus_dispatch(bus, 0x61, data, 1, false));
    ck_assert(!iobus_dispatch(bus, 0x3fe, data, 4, false));
    ck_assert(!iobus_dispatch(bus, 0x70, data, 1, false));
    ck_assert(!iobus_dispatch(bus, 0x3f8, data, 0, false));
    ck_assert(!iobus_dispatch(bus, 0, data, 1, false));
    ck_assert(!iobus_dispatch(bus, UINT64_MAX, data, 1, false));
    ck_assert_int_eq(a.calls, 1);
}
END_TEST

START_TEST(overlaps_refused)
{
    g_autoptr(iobus) bus = iobus_new("test");
    g_autoptr(GError) error = NULL;
    struct hit a = { 0 };

    ck_assert_int_eq(iobus_register(bus, 0x100, 0x10, "first", record, &a, NULL), 0);
    ck_assert_int_eq(iobus_register(bus, 0x10f, 1, "second", record, &a, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "overlaps first"));
    g_clear_error(&error);
    ck_assert_int_eq(iobus_register(bus, 0xf8, 0x9, "third", record, &a, &error), -1);
    g_clear_error(&error);
    ck_assert_int_eq(iobus_register(bus, 0x50, 0, "empty", record, &a, &error), -1);
    g_clear_error(&error);
    ck_assert_int_eq(iobus_register(bus, UINT64_MAX - 1, 4, "wraps", record, &a, &error), -1);
    g_clear_error(&error);
    /* Adjacent ranges on both sides are fine. */
    ck_assert_int_eq(iobus_register(bus, 0xf0, 0x10, "below", record, &a, NULL), 0);
    ck_assert_int_eq(iobus_register(bus, 0x110, 0x10, "above", record, &a, NULL), 0);
}
END_TEST

START_TEST(guest_memory_bounds)
{
    g_autoptr(guest_mem) gm = guest_mem_new(64ULL << 20, false, false, NULL);
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    g_autoptr(GError) error = NULL;

    ck_assert_ptr_nonnull(gm);
    ck_assert_uint_eq(gm->n_regions, 1);
    ck_assert_ptr_nonnull(guest_mem_ptr(gm, 0, 64ULL << 20));
    ck_assert_ptr_nonnull(guest_mem_ptr(gm, (64ULL << 20) - 8, 8));
    ck_assert_ptr_null(guest_mem_ptr(gm, (64ULL << 20) - 7, 8));
    ck_assert_ptr_null(guest_mem_ptr(gm, 64ULL << 20, 1));
    ck_assert_ptr_null(guest_mem_ptr(gm, 8, UINT64_MAX));
    ck_assert_ptr_null(guest_mem_ptr(gm, UINT64_MAX, 2));
    ck_assert_int_eq(guest_mem_write(gm, 0x1000, buf, sizeof(buf), NULL), 0);
    ck_assert_int_eq(guest_mem_write(gm, (64ULL << 20) - 4, buf, sizeof(buf), &error), -1);
    ck_assert_ptr_nonnull(error);
    ck_assert_uint_eq(guest_mem_end_below_4g(gm), 64ULL << 20);
}
END_TEST

START_TEST(guest_memory_split_at_the_gap)
{
    g_autoptr(guest_mem) gm = guest_mem_new(4ULL << 30, false, false, NULL);

    ck_assert_ptr_nonnull(gm);
    ck_assert_uint_eq(gm->n_regions, 2);
    ck_assert_uint_eq(gm->regions[0].size, LAYOUT_MEM_32BIT_GAP);
    ck_assert_uint_eq(gm->regions[1].gpa, LAYOUT_RAM_ABOVE_4G);
    ck_assert_uint_eq(gm->regions[1].size, (4ULL << 30) - LAYOUT_MEM_32BIT_GAP);
    ck_assert_ptr_null(guest_mem_ptr(gm, LAYOUT_MEM_32BIT_GAP, 1));
    ck_assert_ptr_null(guest_mem_ptr(gm, LAYOUT_MEM_32BIT_GAP - 1, 2));
    ck_assert_ptr_nonnull(guest_mem_ptr(gm, LAYOUT_RAM_ABOVE_4G, 4096));
    ck_assert_uint_eq(guest_mem_end_below_4g(gm), LAYOUT_MEM_32BIT_GAP);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("iobus");
    TCase *tc = tcase_create("iobus");

    tcase_add_test(tc, dispatch);
    tcase_add_test(tc, overlaps_refused);
    tcase_add_test(tc, guest_memory_bounds);
    tcase_add_test(tc, guest_memory_split_at_the_gap);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
