/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

enum log_level {
    LOG_LEVEL_ERROR,
    LOG_LEVEL_WARNING,
    LOG_LEVEL_NOTICE,   /* things the user needs to see, like a pty's path */
    LOG_LEVEL_INFO,     /* shown with -v */
    LOG_LEVEL_DEBUG,    /* shown with -vv */
};

/* verbosity: number of -v. file: NULL for stderr. */
int log_init(int verbosity, const char *file, GError **error);
void log_msg(enum log_level level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
gboolean log_enabled(enum log_level level);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_enabled(LOG_LEVEL_DEBUG)) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); } while (0)
