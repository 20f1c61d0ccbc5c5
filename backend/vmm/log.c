/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmm/error.h"
#include "vmm/log.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_verbosity;
static int log_fd = STDERR_FILENO;

int log_init(int verbosity, const char *file, GError **error)
{
    log_verbosity = verbosity;
    if (file) {
        int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                        _("cannot open log file %s: %s"), file, g_strerror(errno));
            return -1;
        }
        log_fd = fd;
    }
    return 0;
}

gboolean log_enabled(enum log_level level)
{
    return level <= LOG_LEVEL_NOTICE || (int)level - LOG_LEVEL_NOTICE <= log_verbosity;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = { "error", "warning", "notice", "info", "debug" };
    struct timespec ts;
    va_list ap;
    g_autofree char *msg = NULL;
    g_autofree char *line = NULL;

    if (!log_enabled(level))
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    line = g_strdup_printf("%s: [%ld.%06ld] %s: %s\n", g_get_prgname() ? g_get_prgname() : "skiff",
                           (long)ts.tv_sec, ts.tv_nsec / 1000, names[level], msg);
    /* One write per line so that vCPU threads' lines do not interleave. */
    if (write(log_fd, line, strlen(line)) < 0) {
        /* Nowhere left to report it. */
    }
}

G_DEFINE_QUARK(skiff-error-quark, skiff_error)
