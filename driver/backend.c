/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "driver/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/http.h"
#include "api/server.h"
#include "driver/domain-store.h"
#include "driver/skiff-api.h"
#include "xml/virt-error.h"

#define API_FD 3
#define EVENTS_FD 4
/* A read end of the event pipe that skiff holds and never reads: the pipe
 * outlives the daemon, keeps the events written while no daemon runs, and
 * a new daemon opens it again through /proc/<pid>/fd/5. */
#define EVENTS_SPARE_FD 5
#define READ_CHUNK 4096
/* One event is a few hundred bytes; more without a separator is not skiff. */
#define MAX_EVENT_BYTES (64 * 1024)
#define LOG_TAIL_BYTES 2048
#define RUN_DIR_MODE 0700
#define LOG_MODE 0600

struct backend {
    int refs;
    char *name;
    char *api_path;
    char *pid_path;
    char *xml_path;
    char *log_path;
    off_t log_start;           /* where this run's output starts in the log */
    pid_t pid;
    guint64 start_time;        /* /proc/<pid>/stat starttime: tells a reused pid apart */
    int pidfd;
    int events_fd;
    GByteArray *events_buf;
    GSource *events_source;
    GSource *pid_source;
    GMainContext *ctx;
    struct backend_callbacks callbacks;
    void *opaque;
    bool exited;
    bool stopped;
};

static backend *backend_ref(backend *b)
{
    b->refs++;
    return b;
}

static void backend_unref(backend *b)
{
    if (--b->refs > 0)
        return;
    if (b->events_fd >= 0)
        close(b->events_fd);
    if (b->pidfd >= 0)
        close(b->pidfd);
    if (b->events_buf)
        g_byte_array_unref(b->events_buf);
    if (b->ctx)
        g_main_context_unref(b->ctx);
    g_free(b->name);
    g_free(b->api_path);
    g_free(b->pid_path);
    g_free(b->xml_path);
    g_free(b->log_path);
    g_free(b);
}

char *backend_run_path(const char *run_dir, const char *name, const char *suffix)
{
    g_autofree char *file = g_strconcat(name, suffix, NULL);

    return g_build_filename(run_dir, file, NULL);
}

pid_t backend_pid(const backend *b)
{
    return b->pid;
}

static void log_line(const char *path, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A line of the daemon's own in the per-domain log, libvirt-style. Losing it
 * costs nothing but the line. */
static void log_line(const char *path, const char *fmt, ...)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S.%f+0000");
    g_autofree char *msg = NULL;
    g_autofree char *line = NULL;
    va_list ap;
    int fd;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    line = g_strdup_printf("%s: %s\n", stamp, msg);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, LOG_MODE);
    if (fd < 0)
        return;
    if (write(fd, line, strlen(line)) < 0) {
        /* See above. */
    }
    close(fd);
}

/* The last lines skiff wrote during this run, for an error message. */
static char *log_tail(const backend *b)
{
    g_autofree char *buf = g_malloc(LOG_TAIL_BYTES + 1);
    int fd = open(b->log_path, O_RDONLY | O_CLOEXEC);
    off_t end;
    off_t from;
    ssize_t n;
    char *start;

    if (fd < 0)
        return NULL;
    end = lseek(fd, 0, SEEK_END);
    from = MAX(b->log_start, end - LOG_TAIL_BYTES);
    n = end > from ? pread(fd, buf, (size_t)(end - from), from) : 0;
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    start = buf;
    /* Cut a partial first line when the tail began mid-line. */
    if (from > b->log_start && strchr(start, '\n'))
        start = strchr(start, '\n') + 1;
    g_strstrip(start);
    return *start ? g_utf8_make_valid(start, -1) : NULL;
}

int backend_call(backend *b, const char *endpoint, GError **error)
{
    http_message msg = { 0 };

    if (skiff_api_request(b->api_path, "PUT", endpoint, NULL, &msg, error) < 0)
        return -1;
    http_message_clear(&msg);
    return 0;
}

/* The pty path of config.<member> in a vm.info answer, or NULL. */
static int pty_of(JsonObject *cfg, const char *member, char **pty, GError **error)
{
    JsonNode *n = cfg ? json_object_get_member(cfg, member) : NULL;
    JsonObject *o;
    const char *file;

    *pty = NULL;
    if (!n || !JSON_NODE_HOLDS_OBJECT(n)) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("skiff's vm.info answer has no config.%s object"), member);
        return -1;
    }
    o = json_node_get_object(n);
    if (strcmp(json_object_get_string_member_with_default(o, "mode", ""), "Pty"))
        return 0;
    /* No file: the VM is not running (a guest that powered off at once). */
    file = json_object_get_string_member_with_default(o, "file", NULL);
    if (!file)
        return 0;
    /* The path ends up in the live XML and is opened for consoles: only a pty. */
    if (!g_str_has_prefix(file, "/dev/pts/") || strstr(file, "/..")) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("skiff's vm.info names '%s' as the %s pty"), file, member);
        return -1;
    }
    *pty = g_strdup(file);
    return 0;
}

/* skiff's vm.info answer, an object. */
static JsonNode *vm_info(backend *b, GError **error)
{
    http_message msg = { 0 };
    JsonNode *root;

    if (skiff_api_request(b->api_path, "GET", "vm.info", NULL, &msg, error) < 0)
        return NULL;
    root = skiff_api_body_json(&msg);
    http_message_clear(&msg);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        if (root)
            json_node_unref(root);
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("skiff's vm.info answer is not a JSON object"));
        return NULL;
    }
    return root;
}

int backend_query_ptys(backend *b, char **serial_pty, char **console_pty, GError **error)
{
    g_autoptr(JsonNode) root = vm_info(b, error);
    JsonObject *cfg = NULL;
    g_autofree char *serial = NULL;
    JsonNode *n;

    *serial_pty = NULL;
    *console_pty = NULL;
    if (!root)
        return -1;
    n = json_object_get_member(json_node_get_object(root), "config");
    if (n && JSON_NODE_HOLDS_OBJECT(n))
        cfg = json_node_get_object(n);
    if (pty_of(cfg, "serial", &serial, error) < 0 ||
        pty_of(cfg, "console", console_pty, error) < 0)
        return -1;
    *serial_pty = g_steal_pointer(&serial);
    return 0;
}

/* ---- events ---- */

static bool event_map(const char *source, const char *event, enum backend_event *out)
{
    static const struct {
        const char *source;
        const char *event;
        enum backend_event value;
    } table[] = {
        { "guest", "shutdown", BACKEND_EVENT_GUEST_SHUTDOWN },
        { "guest", "reset", BACKEND_EVENT_GUEST_RESET },
        { "guest", "panic", BACKEND_EVENT_GUEST_PANIC },
        { "vm", "shutdown", BACKEND_EVENT_VM_SHUTDOWN },
        { "vm", "rebooted", BACKEND_EVENT_VM_REBOOTED },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
        if (!strcmp(table[i].source, source) && !strcmp(table[i].event, event)) {
            *out = table[i].value;
            return true;
        }
    }
    return false;
}

/* One record of the stream; anything that does not parse is skipped. */
static void event_dispatch(backend *b, const char *text, size_t len)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *o;
    JsonNode *props;
    const char *detail = NULL;
    enum backend_event ev;

    if (!json_parser_load_from_data(parser, text, (gssize)len, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
        return;
    o = json_node_get_object(json_parser_get_root(parser));
    if (!event_map(json_object_get_string_member_with_default(o, "source", ""),
                   json_object_get_string_member_with_default(o, "event", ""), &ev))
        return;
    props = json_object_get_member(o, "properties");
    if (props && JSON_NODE_HOLDS_OBJECT(props))
        detail = json_object_get_string_member_with_default(json_node_get_object(props),
                                                            "reason", NULL);
    b->callbacks.event(b->opaque, ev, detail);
}

/* Reads what is there and delivers every whole record. false: the stream
 * ended (EOF, error, garbage) or b was stopped by a callback. */
static bool events_read(backend *b)
{
    uint8_t chunk[READ_CHUNK];
    bool more = true;

    for (;;) {
        ssize_t n = read(b->events_fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            more = false;
            break;
        }
        g_byte_array_append(b->events_buf, chunk, (guint)n);
        if (b->events_buf->len > MAX_EVENT_BYTES * 2)
            break;
    }
    for (;;) {
        const uint8_t *sep = memmem(b->events_buf->data, b->events_buf->len, "\n\n", 2);
        size_t len;

        if (!sep)
            break;
        len = (size_t)(sep - b->events_buf->data);
        /* The record goes before the call: a callback may stop b. */
        {
            g_autofree char *text = g_strndup((const char *)b->events_buf->data, len);

            g_byte_array_remove_range(b->events_buf, 0, (guint)(len + 2));
            event_dispatch(b, text, len);
        }
        if (b->stopped)
            return false;
    }
    if (b->events_buf->len > MAX_EVENT_BYTES) {
        g_warning(_("domain %s: skiff's event stream has a record over %d bytes; "
                    "no more events are read"), b->name, MAX_EVENT_BYTES);
        return false;
    }
    return more;
}

static gboolean on_events(int fd, GIOCondition cond, gpointer data)
{
    backend *b = backend_ref(data);
    bool more = events_read(b);

    if (!more && !b->stopped)
        g_clear_pointer(&b->events_source, g_source_destroy);
    backend_unref(b);
    return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean on_process_exit(int fd, GIOCondition cond, gpointer data)
{
    backend *b = backend_ref(data);
    int status = 0;

    /* ECHILD: reaped elsewhere; the status is lost, the exit is not. */
    while (waitpid(b->pid, &status, WNOHANG) < 0 && errno == EINTR)
        continue;
    b->exited = true;
    g_clear_pointer(&b->pid_source, g_source_destroy);
    /* skiff wrote its last events before exiting: deliver them first. */
    if (b->events_source) {
        g_clear_pointer(&b->events_source, g_source_destroy);
        events_read(b);
    }
    if (!b->stopped)
        b->callbacks.exited(b->opaque, status);
    backend_unref(b);
    return G_SOURCE_REMOVE;
}

static GSource *watch_fd(backend *b, int fd, GUnixFDSourceFunc fn)
{
    GSource *s = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);

    g_source_set_callback(s, G_SOURCE_FUNC(fn), backend_ref(b),
                          (GDestroyNotify)backend_unref);
    g_source_attach(s, b->ctx);
    /* The context holds it; b->*_source is a borrowed handle for destroying. */
    g_source_unref(s);
    return s;
}

/* ---- process ---- */

/* Waits until the process has exited (not reaped), at most timeout_ms. */
static bool wait_exit(const backend *b, int timeout_ms)
{
    struct pollfd pfd = { .fd = b->pidfd, .events = POLLIN };
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        int n = poll(&pfd, 1, deadline_ms_left(deadline));

        if (n < 0 && errno == EINTR)
            continue;
        return n > 0;
    }
}

static void reap_later(GPid pid, gint status, gpointer data)
{
}

static void process_end(backend *b, bool graceful)
{
    g_autoptr(GError) error = NULL;

    if (graceful) {
        http_message msg = { 0 };

        if (skiff_api_request(b->api_path, "PUT", "vmm.shutdown", NULL, &msg, &error) == 0)
            http_message_clear(&msg);
        else
            graceful = false;
    }
    if (!graceful)
        kill(b->pid, SIGTERM);
    if (!wait_exit(b, BACKEND_STOP_GRACE_MS)) {
        g_warning(_("domain %s: skiff (pid %d) did not exit within %d ms; killing it"), b->name,
                  (int)b->pid, BACKEND_STOP_GRACE_MS);
        kill(b->pid, SIGKILL);
        if (!wait_exit(b, BACKEND_KILL_WAIT_MS)) {
            g_warning(_("domain %s: skiff (pid %d) survives SIGKILL; it is reaped when it "
                        "exits"), b->name, (int)b->pid);
            GSource *s = g_child_watch_source_new(b->pid);

            g_source_set_callback(s, G_SOURCE_FUNC(reap_later), NULL, NULL);
            g_source_attach(s, b->ctx);
            g_source_unref(s);
            return;
        }
    }
    while (waitpid(b->pid, NULL, 0) < 0 && errno == EINTR)
        continue;
}

void backend_stop(backend *b, bool graceful, const char *reason)
{
    if (b->stopped)
        return;
    b->stopped = true;
    g_clear_pointer(&b->events_source, g_source_destroy);
    g_clear_pointer(&b->pid_source, g_source_destroy);
    if (!b->exited)
        process_end(b, graceful);
    unlink(b->api_path);
    unlink(b->pid_path);
    unlink(b->xml_path);
    log_line(b->log_path, "shutting down, reason=%s", reason);
    backend_unref(b);
}

void backend_detach(backend *b)
{
    if (b->stopped)
        return;
    b->stopped = true;
    g_clear_pointer(&b->events_source, g_source_destroy);
    g_clear_pointer(&b->pid_source, g_source_destroy);
    backend_unref(b);
}

/* Fields of /proc/<pid>/stat after the command name (which may hold spaces
 * and parentheses): [0] is the state, proc(5)'s field N is [N - 3]. */
static GStrv proc_stat_fields(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *stat = NULL;
    const char *end;

    if (!g_file_get_contents(path, &stat, NULL, NULL))
        return NULL;
    end = strrchr(stat, ')');
    if (!end || end[1] != ' ')
        return NULL;
    return g_strsplit(end + 2, " ", 24);
}

guint64 process_start_time(pid_t pid)
{
    g_auto(GStrv) f = proc_stat_fields(pid);
    guint64 v;

    if (!f || g_strv_length(f) < 20 ||
        !g_ascii_string_to_unsigned(f[19], 10, 0, G_MAXUINT64, &v, NULL))
        return 0;
    return v;
}

uint64_t backend_cpu_time_ns(const backend *b)
{
    g_auto(GStrv) f = NULL;
    long tick = sysconf(_SC_CLK_TCK);
    guint64 utime;
    guint64 stime;

    if (b->exited || tick <= 0)
        return 0;
    f = proc_stat_fields(b->pid);
    /* utime and stime: proc(5) fields 14 and 15. */
    if (!f || g_strv_length(f) < 13 ||
        !g_ascii_string_to_unsigned(f[11], 10, 0, G_MAXUINT64 / 2, &utime, NULL) ||
        !g_ascii_string_to_unsigned(f[12], 10, 0, G_MAXUINT64 / 2, &stime, NULL))
        return 0;
    return (utime + stime) * (G_GUINT64_CONSTANT(1000000000) / (guint64)tick);
}

guint64 backend_start_time(const backend *b)
{
    return b->start_time;
}

/* ---- start ---- */

static int make_dir(const char *dir, GError **error)
{
    if (g_mkdir_with_parents(dir, RUN_DIR_MODE) < 0) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot create directory %s: %s"), dir,
                       g_strerror(errno));
        return -1;
    }
    return 0;
}

/* Bound and listening, mode 0600; skiff inherits it. A stale socket file
 * of an earlier run is replaced. */
static int api_listen(const char *path, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("the API socket path %s is too long (at most %zu bytes): use a "
                         "shorter domain name or run directory"), path,
                       sizeof(addr.sun_path) - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path));
    if (unlink(path) < 0 && errno != ENOENT) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot remove %s: %s"), path,
                       g_strerror(errno));
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot create a socket: %s"),
                       g_strerror(errno));
        return -1;
    }
    /* The run directory is 0700, so the moment between bind and chmod exposes nothing. */
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0600) < 0 ||
        listen(fd, 16) < 0) {
        int err = errno;

        close(fd);
        unlink(path);
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot listen on %s: %s"), path,
                       g_strerror(err));
        return -1;
    }
    return fd;
}

/* In the child between fork and exec: its own session, so that a signal to
 * the daemon's terminal or process group does not reach the VM. */
static void child_setup(gpointer data)
{
    setsid();
}

static int spawn(backend *b, const struct backend_params *p, int api_fd, int events_w,
                 int events_r, GError **error)
{
    g_autoptr(GError) spawn_error = NULL;
    const char *argv[] = { p->skiff_path, "--api-socket", "fd=" G_STRINGIFY(API_FD),
                           "--event-monitor", "fd=" G_STRINGIFY(EVENTS_FD), NULL };
    g_autofree char *cmd = g_strjoinv(" ", (char **)argv);
    int source_fds[] = { api_fd, events_w, events_r };
    int target_fds[] = { API_FD, EVENTS_FD, EVENTS_SPARE_FD };
    GPid pid;
    int log_fd;

    log_line(b->log_path, "starting up: %s", cmd);
    log_fd = open(b->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, LOG_MODE);
    if (log_fd < 0) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot open log file %s: %s"),
                       b->log_path, g_strerror(errno));
        return -1;
    }
    b->log_start = lseek(log_fd, 0, SEEK_END);
    if (!g_spawn_async_with_pipes_and_fds(NULL, argv, NULL,
                                          G_SPAWN_DO_NOT_REAP_CHILD |
                                          G_SPAWN_STDIN_FROM_DEV_NULL,
                                          child_setup, NULL, -1, log_fd, log_fd, source_fds,
                                          target_fds, G_N_ELEMENTS(source_fds), &pid, NULL,
                                          NULL, NULL, &spawn_error)) {
        close(log_fd);
        log_line(b->log_path, "cannot start skiff: %s", spawn_error->message);
        virt_error_set(error, VIR_ERR_OPERATION_FAILED, _("cannot start skiff (%s): %s"),
                       p->skiff_path, spawn_error->message);
        return -1;
    }
    close(log_fd);
    b->pid = pid;
    b->start_time = process_start_time(pid);
    b->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (b->pidfd < 0) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot watch process %d: %s"), (int)pid,
                       g_strerror(errno));
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            continue;
        return -1;
    }
    return 0;
}

/* Adds how skiff ended and its last words to an error when it died. */
static void explain_failure(backend *b, GError **error)
{
    g_autofree char *tail = NULL;
    g_autofree char *how = NULL;
    g_autofree char *msg = NULL;
    siginfo_t si = { 0 };

    /* A skiff on its way out gets a moment to finish dying. */
    if (!error || !*error || !wait_exit(b, 200))
        return;
    /* WNOWAIT: the status without reaping; backend_stop() reaps. */
    if (waitid(P_PID, (id_t)b->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == b->pid)
        how = si.si_code == CLD_EXITED ? g_strdup_printf(_("skiff exited with status %d"),
                                                         si.si_status)
                                       : g_strdup_printf(_("skiff was killed by signal %d"),
                                                         si.si_status);
    else
        how = g_strdup(_("skiff exited"));
    tail = log_tail(b);
    msg = tail ? g_strdup_printf(_("%s (%s; its log ends: %s)"), (*error)->message, how, tail)
               : g_strdup_printf("%s (%s)", (*error)->message, how);
    g_free((*error)->message);
    (*error)->message = g_steal_pointer(&msg);
}

static int boot(backend *b, const char *json, GError **error)
{
    g_autofree char *pid = g_strdup_printf("%d\n", (int)b->pid);
    http_message msg = { 0 };

    if (domain_store_write_atomic(b->pid_path, pid, strlen(pid), 0644, error) < 0)
        return -1;
    if (skiff_api_request(b->api_path, "PUT", "vm.create", json, &msg, error) < 0)
        return -1;
    http_message_clear(&msg);
    return backend_call(b, "vm.boot", error);
}

/* A skiff of an earlier daemon run may still serve this domain (the daemon
 * does not reconnect yet): replacing its socket would orphan a running VM. */
static int check_not_running(const backend *b, GError **error)
{
    g_autofree char *text = NULL;
    g_autofree char *cmdline_path = NULL;
    g_autofree char *cmdline = NULL;
    gsize len = 0;
    guint64 pid;

    if (!g_file_get_contents(b->pid_path, &text, NULL, NULL) ||
        !g_ascii_string_to_unsigned(g_strstrip(text), 10, 1, G_MAXINT, &pid, NULL))
        return 0;
    cmdline_path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
    if (!g_file_get_contents(cmdline_path, &cmdline, &len, NULL) ||
        !memmem(cmdline, len, "--api-socket", strlen("--api-socket")))
        return 0;
    virt_error_set(error, VIR_ERR_OPERATION_INVALID,
                   _("domain '%s' is still running in skiff process %d, started by an earlier "
                     "run of the daemon (see %s)"), b->name, (int)pid, b->pid_path);
    return -1;
}

static backend *backend_new(const struct backend_params *p)
{
    backend *b = g_new0(backend, 1);

    b->refs = 1;
    b->pidfd = -1;
    b->events_fd = -1;
    b->name = g_strdup(p->name);
    b->api_path = backend_run_path(p->run_dir, p->name, ".api.sock");
    b->pid_path = backend_run_path(p->run_dir, p->name, ".pid");
    b->xml_path = backend_run_path(p->run_dir, p->name, ".xml");
    b->log_path = backend_run_path(p->log_dir, p->name, ".log");
    b->ctx = g_main_context_ref(p->ctx ? p->ctx : g_main_context_default());
    b->callbacks = *p->callbacks;
    b->opaque = p->opaque;
    b->events_buf = g_byte_array_new();
    return b;
}

backend *backend_start(const struct backend_params *p, GError **error)
{
    backend *b;
    int api_fd;
    int events[2];

    if (make_dir(p->run_dir, error) < 0 || make_dir(p->log_dir, error) < 0)
        return NULL;
    b = backend_new(p);
    if (check_not_running(b, error) < 0) {
        backend_unref(b);
        return NULL;
    }
    api_fd = api_listen(b->api_path, error);
    if (api_fd < 0) {
        backend_unref(b);
        return NULL;
    }
    if (pipe2(events, O_CLOEXEC) < 0) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot create a pipe: %s"),
                       g_strerror(errno));
        close(api_fd);
        unlink(b->api_path);
        backend_unref(b);
        return NULL;
    }
    b->events_fd = events[0];
    fcntl(b->events_fd, F_SETFL, fcntl(b->events_fd, F_GETFL) | O_NONBLOCK);
    /* Only skiff may hold these: its exit must close the socket and the pipe. */
    if (spawn(b, p, api_fd, events[1], events[0], error) < 0) {
        close(api_fd);
        close(events[1]);
        unlink(b->api_path);
        backend_unref(b);
        return NULL;
    }
    close(api_fd);
    close(events[1]);
    b->events_source = watch_fd(b, b->events_fd, on_events);
    b->pid_source = watch_fd(b, b->pidfd, on_process_exit);
    if (boot(b, p->vm_config_json, error) < 0) {
        explain_failure(b, error);
        backend_stop(b, false, "failed");
        return NULL;
    }
    return b;
}

/* skiff's own state name from vm.info ("Running", "Paused", "Shutdown"...). */
int backend_query_state(backend *b, char **state, GError **error)
{
    g_autoptr(JsonNode) root = vm_info(b, error);

    *state = NULL;
    if (!root)
        return -1;
    *state = g_strdup(json_object_get_string_member_with_default(json_node_get_object(root),
                                                                   "state", NULL));
    if (!*state) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("skiff's vm.info answer has no state"));
        return -1;
    }
    return 0;
}

/* The spare read end skiff holds, opened anew: a pipe, or nothing. */
static int open_event_pipe(pid_t pid, GError **error)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd/%d", (int)pid, EVENTS_SPARE_FD);
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("cannot reopen the event pipe of skiff (pid %d): %s"), (int)pid,
                       fd < 0 ? g_strerror(errno) : _("not a pipe"));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

backend *backend_attach(const struct backend_params *p, pid_t pid, guint64 start_time,
                        GError **error)
{
    backend *b;
    g_autofree char *cmdline_path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
    g_autofree char *cmdline = NULL;
    gsize len = 0;

    /* The same process, not a later one with the same pid: its start time
     * and its command line say so. */
    if (pid <= 0 || process_start_time(pid) != start_time || start_time == 0 ||
        !g_file_get_contents(cmdline_path, &cmdline, &len, NULL) ||
        !memmem(cmdline, len, "--api-socket", strlen("--api-socket"))) {
        virt_error_set(error, VIR_ERR_NO_DOMAIN,
                       _("skiff process %d of domain '%s' is gone"), (int)pid, p->name);
        return NULL;
    }
    b = backend_new(p);
    b->pid = pid;
    b->start_time = start_time;
    b->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (b->pidfd < 0) {
        virt_error_set(error, VIR_ERR_NO_DOMAIN, _("skiff process %d of domain '%s': %s"),
                       (int)pid, p->name, g_strerror(errno));
        backend_unref(b);
        return NULL;
    }
    b->events_fd = open_event_pipe(pid, error);
    if (b->events_fd < 0) {
        backend_unref(b);
        return NULL;
    }
    {
        struct stat st;

        b->log_start = stat(b->log_path, &st) == 0 ? st.st_size : 0;
    }
    log_line(b->log_path, "reconnected to skiff (pid %d)", (int)pid);
    b->events_source = watch_fd(b, b->events_fd, on_events);
    b->pid_source = watch_fd(b, b->pidfd, on_process_exit);
    return b;
}
