/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtskiffd: serves libvirt's remote protocol for skiff domains.
 *
 * One GLib main loop does everything: accepting clients, reading and
 * answering their calls one at a time, and the domain manager's process and
 * API watches. Calls are serialised; the domain manager bounds every call,
 * so a slow guest cannot stall the loop for long, and a slow client only
 * stalls itself (see rpc/server.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <locale.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/domains.h"
#include "driver/events.h"
#include "rpc/dispatch.h"
#include "rpc/server.h"
#include "vmm/log.h"

#ifndef SKIFF_BINDIR
#define SKIFF_BINDIR "/usr/bin"
#endif

#define SOCKET_NAME "virtskiffd-sock"
#define SOCKET_RO_NAME "virtskiffd-sock-ro"
#define PIDFILE_NAME "virtskiffd.pid"

struct options {
    char *pidfile;
    char *state_dir;
    char *socket_dir;
    char *config_dir;
    char *skiff;
    char *log_file;
    int timeout;
    int verbose;
    gboolean version;
};

struct daemon {
    struct options opt;
    struct driver_paths paths;
    struct rpc_daemon rpc;
    char *socket_dir;
    rpc_server *server;
    GMainLoop *loop;
    int pidfile_fd;
    char *pidfile;
    unsigned idle_s;
};

static gboolean count_verbose(const char *name, const char *value, gpointer data,
                              GError **error)
{
    ((struct options *)data)->verbose++;
    return TRUE;
}

static int parse_options(struct options *opt, int *argc, char ***argv, GError **error)
{
    const GOptionEntry entries[] = {
        { "pidfile", 'p', 0, G_OPTION_ARG_FILENAME, &opt->pidfile,
          N_("write the daemon's pid to FILE (default: /run/virtskiffd.pid, or in "
             "$XDG_RUNTIME_DIR/libvirt for a session daemon)"),
          N_("FILE") },
        { "timeout", 't', 0, G_OPTION_ARG_INT, &opt->timeout,
          N_("exit after SECS with no client and no running domain (0: never)"), N_("SECS") },
        { "verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer)count_verbose,
          N_("log more (twice: debug)"), NULL },
        { "log-file", 0, 0, G_OPTION_ARG_FILENAME, &opt->log_file,
          N_("log to FILE instead of standard error"), N_("FILE") },
        { "skiff", 0, 0, G_OPTION_ARG_FILENAME, &opt->skiff,
          N_("the skiff binary to run domains with (default: $SKIFF_PATH, then the installed one)"),
          N_("PATH") },
        { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt->state_dir,
          N_("keep sockets, configuration, runtime state, logs and the pid file under DIR "
             "(for tests: nothing outside it is touched)"), N_("DIR") },
        { "socket-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt->socket_dir,
          N_("create the sockets in DIR"), N_("DIR") },
        { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt->config_dir,
          N_("keep persistent domain definitions in DIR"), N_("DIR") },
        { "version", 'V', 0, G_OPTION_ARG_NONE, &opt->version, N_("print the version and exit"),
          NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GOptionGroup) group = g_option_group_new(NULL, NULL, NULL, opt, NULL);

    g_option_context_set_summary(ctx, _("Serve libvirt's remote protocol for skiff virtual machines "
                                        "(URIs skiff:///system and skiff:///session)."));
    g_option_group_add_entries(group, entries);
    g_option_group_set_translation_domain(group, GETTEXT_PACKAGE);
    g_option_context_set_main_group(ctx, g_steal_pointer(&group));
    if (!g_option_context_parse(ctx, argc, argv, error))
        return -1;
    if (*argc > 1) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    _("unexpected argument '%s'"), (*argv)[1]);
        return -1;
    }
    if (opt->timeout < 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    _("--timeout must be 0 or more seconds"));
        return -1;
    }
    return 0;
}

/* Where everything lives. System mode (root): libvirt's layout. Session
 * mode: the XDG equivalents. --state-dir puts it all under one directory;
 * --socket-dir and --config-dir override one part. */
static void setup_paths(struct daemon *d)
{
    const struct options *o = &d->opt;
    const char *skiff = o->skiff ? o->skiff : g_getenv("SKIFF_PATH");

    d->rpc.system_mode = geteuid() == 0;
    if (o->state_dir) {
        d->paths.config_dir = g_build_filename(o->state_dir, "config", NULL);
        d->paths.run_dir = g_build_filename(o->state_dir, "run", NULL);
        d->paths.log_dir = g_build_filename(o->state_dir, "log", NULL);
        d->socket_dir = g_strdup(o->state_dir);
        d->pidfile = g_build_filename(o->state_dir, PIDFILE_NAME, NULL);
    } else if (d->rpc.system_mode) {
        d->paths.config_dir = g_strdup("/etc/libvirt/skiff");
        d->paths.run_dir = g_strdup("/run/libvirt/skiff");
        d->paths.log_dir = g_strdup("/var/log/libvirt/skiff");
        d->socket_dir = g_strdup("/run/libvirt");
        d->pidfile = g_strdup("/run/" PIDFILE_NAME);
    } else {
        const char *rt = g_get_user_runtime_dir();

        d->paths.config_dir = g_build_filename(g_get_user_config_dir(), "libvirt", "skiff", NULL);
        d->paths.run_dir = g_build_filename(rt, "libvirt", "skiff", NULL);
        d->paths.log_dir = g_build_filename(g_get_user_cache_dir(), "libvirt", "skiff", "log",
                                            NULL);
        d->socket_dir = g_build_filename(rt, "libvirt", NULL);
        d->pidfile = g_build_filename(rt, "libvirt", PIDFILE_NAME, NULL);
    }
    if (o->config_dir) {
        g_free(d->paths.config_dir);
        d->paths.config_dir = g_strdup(o->config_dir);
    }
    if (o->socket_dir) {
        g_free(d->socket_dir);
        d->socket_dir = g_strdup(o->socket_dir);
    }
    if (o->pidfile) {
        g_free(d->pidfile);
        d->pidfile = g_strdup(o->pidfile);
    }
    d->paths.autostart_dir = g_build_filename(d->paths.config_dir, "autostart", NULL);
    d->paths.skiff_path = skiff && *skiff ? g_strdup(skiff)
                                          : g_build_filename(SKIFF_BINDIR, "skiff", NULL);
    d->rpc.skiff_path = d->paths.skiff_path;
}

static int make_dirs(struct daemon *d, GError **error)
{
    /* Session directories are private; system ones follow libvirt's. */
    int mode = d->rpc.system_mode && !d->opt.state_dir ? 0755 : 0700;
    const char *dirs[] = {
        d->socket_dir, d->paths.config_dir, d->paths.autostart_dir, d->paths.run_dir,
        d->paths.log_dir,
    };

    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
        if (g_mkdir_with_parents(dirs[i], mode) < 0) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                        _("cannot create %s: %s"), dirs[i], g_strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Locked for the daemon's lifetime: a second daemon with the same pid file
 * stops here instead of taking over the sockets. */
static int pidfile_acquire(struct daemon *d, GError **error)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    g_autofree char *pid = g_strdup_printf("%d\n", (int)getpid());
    int fd = open(d->pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("cannot open the pid file %s: %s"), d->pidfile, g_strerror(errno));
        return -1;
    }
    if (fcntl(fd, F_SETLK, &fl) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("another virtskiffd holds the pid file %s"), d->pidfile);
        close(fd);
        return -1;
    }
    if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) != (ssize_t)strlen(pid)) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("cannot write the pid file %s: %s"), d->pidfile, g_strerror(errno));
        close(fd);
        return -1;
    }
    d->pidfile_fd = fd;
    return 0;
}

static unsigned running_domains(struct daemon *d)
{
    g_autoptr(GPtrArray) active = NULL;

    if (!d->rpc.dm)
        return 0;
    active = domain_manager_list(d->rpc.dm, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    return active->len;
}

/* --timeout: polled once a second; idle means no client and no running
 * domain (a running domain needs the daemon to notice it stop). */
static gboolean idle_tick(gpointer data)
{
    struct daemon *d = data;

    if (rpc_server_n_clients(d->server) || running_domains(d)) {
        d->idle_s = 0;
        return G_SOURCE_CONTINUE;
    }
    if (++d->idle_s >= (unsigned)d->opt.timeout) {
        log_info(_("idle for %d s: exiting"), d->opt.timeout);
        g_main_loop_quit(d->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
    struct daemon *d = data;

    log_info(_("signal received: exiting"));
    g_main_loop_quit(d->loop);
    return G_SOURCE_CONTINUE;
}

/* Sockets systemd passed (virtskiffd.socket, virtskiffd-ro.socket): 1 if it
 * did, 0 when the daemon listens itself, -1 on a socket it cannot use. */
static int adopt_systemd_sockets(struct daemon *d, GError **error)
{
    char **names = NULL;
    int n = sd_listen_fds_with_names(1, &names);

    if (n <= 0) {
        g_strfreev(names);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        const char *name = names && names[i] ? names[i] : "";
        struct sockaddr_un sa;
        socklen_t len = sizeof(sa);

        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0 ||
            getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        _("socket %d (%s) from systemd is not a listening unix socket"), fd,
                        name);
            g_strfreev(names);
            return -1;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        rpc_server_adopt(d->server, fd, len > offsetof(struct sockaddr_un, sun_path)
                                            ? sa.sun_path : name,
                         g_str_has_suffix(name, "-ro.socket"));
    }
    g_strfreev(names);
    return 1;
}

static int start_listening(struct daemon *d, GError **error)
{
    g_autofree char *rw = g_build_filename(d->socket_dir, SOCKET_NAME, NULL);
    g_autofree char *ro = g_build_filename(d->socket_dir, SOCKET_RO_NAME, NULL);

    /* System: anyone may connect, the peer's uid decides what it may do.
     * Session: the owner only; libvirt's client has no read-only socket
     * there. */
    if (!d->rpc.system_mode)
        return rpc_server_listen_unix(d->server, rw, 0600, false, error);
    if (rpc_server_listen_unix(d->server, rw, 0666, false, error) < 0)
        return -1;
    return rpc_server_listen_unix(d->server, ro, 0777, true, error);
}

static int daemon_run(struct daemon *d, GError **error)
{
    setup_paths(d);
    if (make_dirs(d, error) < 0 || pidfile_acquire(d, error) < 0)
        return -1;
    if (rpc_dispatch_init(error) < 0)
        return -1;
    d->rpc.dm = domain_manager_new(&d->paths, NULL, error);
    if (!d->rpc.dm)
        return -1;
    d->rpc.events = event_hub_new();
    domain_manager_set_event_callback(d->rpc.dm, event_hub_domain_event, d->rpc.events);
    domain_manager_reconnect(d->rpc.dm);
    d->server = rpc_server_new(&d->rpc, NULL);
    switch (adopt_systemd_sockets(d, error)) {
    case 0:
        if (start_listening(d, error) < 0)
            return -1;
        break;
    case 1:
        break;
    default:
        return -1;
    }
    /* Once clients can connect, as libvirtd does: a slow start does not delay them. */
    domain_manager_autostart(d->rpc.dm);
    d->loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, d);
    g_unix_signal_add(SIGINT, on_signal, d);
    if (d->opt.timeout > 0)
        g_timeout_add(1000, idle_tick, d);
    log_info(_("virtskiffd %s ready (%s mode, skiff %s)"), SKIFF_VERSION,
             d->rpc.system_mode ? "system" : "session", d->paths.skiff_path);
    /* virtskiffd.service is Type=notify; outside systemd this does nothing. */
    sd_notify(0, "READY=1");
    g_main_loop_run(d->loop);
    return 0;
}

static void daemon_cleanup(struct daemon *d)
{
    /* Clients first: they refer to the domain manager. */
    g_clear_pointer(&d->server, rpc_server_free);
    g_clear_pointer(&d->rpc.dm, domain_manager_free);
    g_clear_pointer(&d->rpc.events, event_hub_free);
    g_clear_pointer(&d->loop, g_main_loop_unref);
    if (d->pidfile_fd >= 0) {
        unlink(d->pidfile);
        close(d->pidfile_fd);
    }
    g_free(d->paths.config_dir);
    g_free(d->paths.autostart_dir);
    g_free(d->paths.run_dir);
    g_free(d->paths.log_dir);
    g_free(d->paths.skiff_path);
    g_free(d->socket_dir);
    g_free(d->pidfile);
    g_free(d->opt.pidfile);
    g_free(d->opt.state_dir);
    g_free(d->opt.socket_dir);
    g_free(d->opt.config_dir);
    g_free(d->opt.skiff);
    g_free(d->opt.log_file);
}

int main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    struct daemon d = { .pidfile_fd = -1 };
    int ret = 0;

    g_set_prgname("virtskiffd");
    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);
    /* A client that disappears mid-write is handled where the write fails. */
    signal(SIGPIPE, SIG_IGN);

    if (parse_options(&d.opt, &argc, &argv, &error) < 0) {
        fprintf(stderr, "virtskiffd: %s\n", error->message);
        daemon_cleanup(&d);
        return 2;
    }
    if (d.opt.version) {
        printf("virtskiffd (skiff) %s\n", SKIFF_VERSION);
        daemon_cleanup(&d);
        return 0;
    }
    if (log_init(d.opt.verbose, d.opt.log_file, &error) < 0 || daemon_run(&d, &error) < 0) {
        log_error("%s", error->message);
        ret = 1;
    }
    daemon_cleanup(&d);
    return ret;
}
