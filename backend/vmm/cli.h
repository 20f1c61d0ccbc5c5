/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "seccomp/seccomp.h"
#include "vmm/config.h"

struct cli_options {
    struct vm_config vm;
    int verbosity;
    char *log_file;
    gboolean version;
    gboolean print_api_routes;
    char *api_socket_path;      /* --api-socket path=PATH */
    int api_socket_fd;          /* --api-socket fd=N, else -1 */
    char *event_monitor_path;   /* --event-monitor path=PATH */
    int event_monitor_fd;       /* --event-monitor fd=N, else -1 */
    enum seccomp_mode seccomp;
};

/* Fills opts from argv. On error the message names the option and the expected form.
 * Returns 1 (and prints help to stdout) for --help, 0 on success, -1 on error. */
int cli_parse(int argc, char **argv, struct cli_options *opts, GError **error);
void cli_options_clear(struct cli_options *opts);

/* "512M", "2G", "1048576": bytes; binary multiples K, M, G, T (case-insensitive). */
int cli_parse_size(const char *s, uint64_t *out);

GQuark cli_error_quark(void);
#define CLI_ERROR cli_error_quark()
