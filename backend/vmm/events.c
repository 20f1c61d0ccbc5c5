/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmm/events.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "vmm/log.h"

/* A reader that stops reading costs events beyond this, never a stalled VMM. */
#define EVENTS_MAX_QUEUED (1024 * 1024)

static struct {
    int fd;
    gint64 start_us;
    GString *queue;          /* bytes not yet written: the fd was full */
    GSource *writable;
    GMainContext *ctx;
} monitor = { .fd = -1 };

int events_open(const char *path, int fd, GMainContext *ctx, GError **error)
{
    monitor.start_us = g_get_monotonic_time();
    if (path) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                        _("--event-monitor: cannot open %s: %s"), path, g_strerror(errno));
            return -1;
        }
    } else if (fcntl(fd, F_GETFD) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("--event-monitor: fd %d is not open: %s"), fd, g_strerror(errno));
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    monitor.fd = fd;
    monitor.queue = g_string_new(NULL);
    monitor.ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
    return 0;
}

static void flush(void);

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
    flush();
    return G_SOURCE_CONTINUE;
}

static void flush(void)
{
    while (monitor.queue->len) {
        ssize_t n = write(monitor.fd, monitor.queue->str, monitor.queue->len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (!monitor.writable) {
                monitor.writable = g_unix_fd_source_new(monitor.fd, G_IO_OUT);
                g_source_set_callback(monitor.writable, G_SOURCE_FUNC(on_writable), NULL, NULL);
                g_source_attach(monitor.writable, monitor.ctx);
            }
            return;
        }
        if (n <= 0) {
            log_warning(_("event monitor: %s; no more events are written"),
                        n < 0 ? g_strerror(errno) : "closed");
            g_string_truncate(monitor.queue, 0);
            close(monitor.fd);
            monitor.fd = -1;
            break;
        }
        g_string_erase(monitor.queue, 0, n);
    }
    if (monitor.writable) {
        g_source_destroy(monitor.writable);
        g_source_unref(monitor.writable);
        monitor.writable = NULL;
    }
}

void event_emit(const char *source, const char *event, ...)
{
    g_autoptr(JsonBuilder) b = NULL;
    g_autoptr(JsonGenerator) gen = NULL;
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = NULL;
    gint64 us;
    va_list ap;
    const char *name;

    log_debug("event: %s %s", source, event);
    if (monitor.fd < 0)
        return;
    us = g_get_monotonic_time() - monitor.start_us;
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "timestamp");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "secs");
    json_builder_add_int_value(b, us / G_USEC_PER_SEC);
    json_builder_set_member_name(b, "nanos");
    json_builder_add_int_value(b, (us % G_USEC_PER_SEC) * 1000);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "source");
    json_builder_add_string_value(b, source);
    json_builder_set_member_name(b, "event");
    json_builder_add_string_value(b, event);
    json_builder_set_member_name(b, "properties");
    va_start(ap, event);
    name = va_arg(ap, const char *);
    if (!name) {
        json_builder_add_null_value(b);
    } else {
        json_builder_begin_object(b);
        for (; name; name = va_arg(ap, const char *)) {
            json_builder_set_member_name(b, name);
            json_builder_add_string_value(b, va_arg(ap, const char *));
        }
        json_builder_end_object(b);
    }
    va_end(ap);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);
    if (monitor.queue->len > EVENTS_MAX_QUEUED) {
        log_warning(_("event monitor: the reader is not reading; event %s/%s dropped"), source,
                    event);
        return;
    }
    g_string_append(monitor.queue, text);
    g_string_append(monitor.queue, "\n\n");
    flush();
}

void events_close(void)
{
    if (monitor.fd < 0)
        return;
    /* One last try; a reader that is not reading does not hold up the exit. */
    flush();
    if (monitor.writable) {
        g_source_destroy(monitor.writable);
        g_source_unref(monitor.writable);
        monitor.writable = NULL;
    }
    if (monitor.fd >= 0)
        close(monitor.fd);
    monitor.fd = -1;
    g_string_free(monitor.queue, TRUE);
    monitor.queue = NULL;
    g_main_context_unref(monitor.ctx);
}
