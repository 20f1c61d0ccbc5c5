/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event monitor's stream: Cloud Hypervisor's shape, one pretty JSON object per event. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/events.h"

#include "testutil.h"

static GPtrArray *split_events(const char *text)
{
    GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    g_auto(GStrv) parts = g_strsplit(text, "\n\n", -1);

    for (char **p = parts; *p; p++) {
        g_autoptr(JsonParser) parser = json_parser_new();

        if (!**p)
            continue;
        ck_assert_msg(json_parser_load_from_data(parser, *p, -1, NULL), "not JSON: %s", *p);
        g_ptr_array_add(events, json_node_copy(json_parser_get_root(parser)));
    }
    return events;
}

START_TEST(stream_shape)
{
    int fds[2];
    char buf[8192];
    ssize_t n;
    g_autoptr(GPtrArray) events = NULL;
    JsonObject *o;
    JsonObject *ts;
    gint64 prev_ns = -1;

    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(events_open(NULL, fds[1], NULL, NULL), 0);
    event_emit("vmm", "starting", NULL);
    event_emit("vm", "booted", NULL);
    event_emit("guest", "panic", "reason", "triple fault", NULL);
    events_close();
    n = read(fds[0], buf, sizeof(buf) - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = 0;
    /* Each event ends with a blank line, as Cloud Hypervisor writes them. */
    ck_assert(g_str_has_suffix(buf, "}\n\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\n  \"source\""));   /* pretty-printed */
    events = split_events(buf);
    ck_assert_uint_eq(events->len, 3);
    for (guint i = 0; i < events->len; i++) {
        gint64 ns;

        o = json_node_get_object(g_ptr_array_index(events, i));
        ts = json_object_get_object_member(o, "timestamp");
        ck_assert_ptr_nonnull(ts);
        ns = json_object_get_int_member(ts, "secs") * 1000000000 +
             json_object_get_int_member(ts, "nanos");
        ck_assert_int_ge(json_object_get_int_member(ts, "nanos"), 0);
        ck_assert_int_lt(json_object_get_int_member(ts, "nanos"), 1000000000);
        ck_assert_int_ge(ns, prev_ns);
        prev_ns = ns;
        ck_assert(json_object_has_member(o, "properties"));
    }
    o = json_node_get_object(g_ptr_array_index(events, 0));
    ck_assert_str_eq(json_object_get_string_member(o, "source"), "vmm");
    ck_assert_str_eq(json_object_get_string_member(o, "event"), "starting");
    ck_assert(json_node_is_null(json_object_get_member(o, "properties")));
    o = json_node_get_object(g_ptr_array_index(events, 2));
    ck_assert_str_eq(json_object_get_string_member(o, "source"), "guest");
    ck_assert_str_eq(
        json_object_get_string_member(json_object_get_object_member(o, "properties"), "reason"),
        "triple fault");
    close(fds[0]);
}
END_TEST

START_TEST(reader_gone_costs_events_not_the_vmm)
{
    int fds[2];

    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(events_open(NULL, fds[1], NULL, NULL), 0);
    close(fds[0]);
    /* SIGPIPE is ignored by skiff's main(); here too. */
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < 10; i++)
        event_emit("vm", "booted", NULL);
    events_close();
}
END_TEST

START_TEST(bad_targets)
{
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(events_open("/nonexistent-dir/events", -1, NULL, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "--event-monitor"));
    g_clear_error(&error);
    ck_assert_int_eq(events_open(NULL, 987, NULL, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "fd 987"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("events");

    tcase_add_test(tc, stream_shape);
    tcase_add_test(tc, reader_gone_costs_events_not_the_vmm);
    tcase_add_test(tc, bad_targets);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
