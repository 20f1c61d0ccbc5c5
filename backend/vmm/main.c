/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * skiff: a VMM for one VM, driven by its command line (--kernel ... is
 * vm.create + vm.boot) and/or by the REST API (--api-socket). Without an API
 * socket it exits when the VM ends: 0 when the guest powered off, 2 when it
 * reset under --no-reboot, 1 on errors. With one, it serves until
 * vmm.shutdown (0) or a termination signal (128 + signal).
 */
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "api/routes.h"
#include "api/server.h"
#include "seccomp/seccomp.h"
#include "vmm/cli.h"
#include "vmm/controller.h"
#include "vmm/events.h"
#include "vmm/log.h"

struct skiff {
    GMainLoop *loop;
    int status;
};

static void quit(void *opaque, int status)
{
    struct skiff *s = opaque;

    s->status = status;
    g_main_loop_quit(s->loop);
}

static gboolean on_signal(gpointer data)
{
    struct skiff *s = data;

    /* The signal number is not passed in; both are "terminate". */
    log_notice(_("terminating on a signal"));
    quit(s, 128 + SIGTERM);
    return G_SOURCE_CONTINUE;
}

static void print_routes(void)
{
    size_t n;
    const api_route *r = api_routes(&n);

    for (size_t i = 0; i < n; i++)
        printf("%s %s\n", r[i].method, r[i].name);
}

static int serve(struct cli_options *opts, GError **error)
{
    struct skiff s = { .status = 1 };
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    bool api = opts->api_socket_path || opts->api_socket_fd >= 0;
    g_autoptr(api_server) server = NULL;
    struct api_context api_ctx = { 0 };
    controller *c;
    int rc = 0;

    s.loop = loop;
    if ((opts->event_monitor_path || opts->event_monitor_fd >= 0) &&
        events_open(opts->event_monitor_path, opts->event_monitor_fd, NULL, error) < 0)
        return -1;
    event_emit("vmm", "starting", NULL);
    c = controller_new(g_main_context_default(), api, quit, &s);
    controller_set_no_reboot(c, opts->vm.no_reboot);
    api_ctx.controller = c;
    if (api) {
        size_t n;
        const api_route *routes = api_routes(&n);
        int fd = opts->api_socket_fd;

        if (opts->api_socket_path && (fd = api_socket_listen(opts->api_socket_path, error)) < 0)
            goto out;
        server = api_server_new(NULL, fd, routes, n, &api_ctx, error);
        if (!server)
            goto out;
        api_ctx.server = server;
    }
    /* Before the signal sources: they start GLib's worker thread, which
     * should inherit the filter. */
    if (seccomp_apply(SECCOMP_THREAD_MAIN, opts->seccomp, error) < 0)
        goto out;
    g_unix_signal_add(SIGTERM, on_signal, &s);
    g_unix_signal_add(SIGINT, on_signal, &s);
    if (opts->vm.kernel &&
        (controller_create(c, &opts->vm, error) < 0 || controller_boot(c, error) < 0))
        goto out;
    g_main_loop_run(loop);
    rc = s.status;
    event_emit("vmm", "shutdown", NULL);
out:
    /* The VM goes before the API: nothing can ask for it any more. */
    controller_free(c);
    if (opts->api_socket_path && server)
        unlink(opts->api_socket_path);
    events_close();
    return error && *error ? -1 : rc;
}

int main(int argc, char **argv)
{
    struct cli_options opts = { 0 };
    g_autoptr(GError) error = NULL;
    int rc;

    /* A serial reader that goes away must cost output, not the VM. */
    signal(SIGPIPE, SIG_IGN);
    /* Only what translated messages need: loading every locale category costs
     * a file per category at each start. */
    g_set_prgname("skiff");
    setlocale(LC_CTYPE, "");
    setlocale(LC_MESSAGES, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    rc = cli_parse(argc, argv, &opts, &error);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "skiff: %s\n", error->message);
        cli_options_clear(&opts);
        return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    if (opts.version || opts.print_api_routes) {
        if (opts.version)
            printf("skiff %s\n", SKIFF_VERSION);
        else
            print_routes();
        cli_options_clear(&opts);
        return EXIT_SUCCESS;
    }
    if (log_init(opts.verbosity, opts.log_file, &error) < 0) {
        fprintf(stderr, "skiff: %s\n", error->message);
        cli_options_clear(&opts);
        return EXIT_FAILURE;
    }
    rc = serve(&opts, &error);
    if (rc < 0) {
        log_error("%s", error->message);
        rc = EXIT_FAILURE;
    }
    cli_options_clear(&opts);
    return rc;
}
