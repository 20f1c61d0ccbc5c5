/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmm/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/log.h"

#define CHARDEV_BUF 4096

struct chardev {
    enum char_backend backend;
    char *what;
    int in_fd;              /* host input, -1 if none */
    int out_fd;             /* what the device writes to, -1 to discard */
    int owned_fds[3];       /* closed on free */
    /* socket backend: device output goes into a pipe, forwarded to the client */
    int listen_fd;
    int client_fd;
    int pipe_rd;
    char *socket_path;
    char *pty_path;
    struct termios saved_tty;
    bool tty_saved;
    GMainContext *ctx;
    chardev_deliver_fn deliver;
    void *opaque;
    GSource *in_source;
    GSource *listen_source;
    GSource *pipe_source;
    /* chardev_input_ready from a device or vCPU thread: an idle callback on
     * ctx, owned here so that chardev_free can cancel one not run yet. */
    GMutex resume_lock;
    GSource *resume_source;
    uint8_t pending[CHARDEV_BUF];
    size_t pending_len;
    size_t pending_off;
};

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void own(chardev *c, int fd)
{
    for (size_t i = 0; i < G_N_ELEMENTS(c->owned_fds); i++) {
        if (c->owned_fds[i] < 0) {
            c->owned_fds[i] = fd;
            return;
        }
    }
    g_assert_not_reached();
}

static int open_tty(chardev *c, GError **error)
{
    struct termios raw;

    c->in_fd = STDIN_FILENO;
    c->out_fd = dup(STDOUT_FILENO);
    if (c->out_fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("%s: cannot use stdout: %s"), c->what, g_strerror(errno));
        return -1;
    }
    own(c, c->out_fd);
    set_nonblock(c->out_fd);
    /* The guest's terminal gets every key, as with Cloud Hypervisor's --serial tty. */
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &c->saved_tty) == 0) {
        c->tty_saved = true;
        raw = c->saved_tty;
        cfmakeraw(&raw);
        raw.c_oflag |= OPOST | ONLCR;
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    return 0;
}

static int open_pty(chardev *c, GError **error)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    struct termios raw;
    const char *name;
    int slave;

    if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 || !(name = ptsname(fd))) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("%s: cannot create a pty: %s"), c->what, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    own(c, fd);
    /* Raw line discipline on the far side too, so bytes pass unchanged. skiff
     * keeps the far side open: with no slave open the master reads EIO and
     * polls as hung up, and a client attaching later would find input dead. */
    slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("%s: cannot open %s: %s"), c->what, name, g_strerror(errno));
        return -1;
    }
    own(c, slave);
    if (tcgetattr(slave, &raw) == 0) {
        cfmakeraw(&raw);
        tcsetattr(slave, TCSANOW, &raw);
    }
    set_nonblock(fd);
    c->in_fd = fd;
    c->out_fd = fd;
    c->pty_path = g_strdup(name);
    log_notice(_("%s: pty %s"), c->what, name);
    return 0;
}

static int open_file(chardev *c, const char *path, GError **error)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("%s: cannot open %s: %s"), c->what, path, g_strerror(errno));
        return -1;
    }
    own(c, fd);
    c->out_fd = fd;
    return 0;
}

static int open_socket(chardev *c, const char *path, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fds[2];
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    _("%s: socket path too long: %s"), c->what, path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("%s: cannot listen on %s: %s"), c->what, path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    c->socket_path = g_strdup(path);
    own(c, fd);
    c->listen_fd = fd;
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "pipe: %s",
                    g_strerror(errno));
        return -1;
    }
    own(c, fds[0]);
    own(c, fds[1]);
    c->pipe_rd = fds[0];
    c->out_fd = fds[1];
    return 0;
}

chardev *chardev_open(const struct char_config *cfg, const char *what, GError **error)
{
    g_autoptr(chardev) c = g_new0(chardev, 1);
    int rc = 0;

    g_mutex_init(&c->resume_lock);
    c->backend = cfg->backend;
    c->what = g_strdup(what);
    c->in_fd = c->out_fd = c->listen_fd = c->client_fd = c->pipe_rd = -1;
    for (size_t i = 0; i < G_N_ELEMENTS(c->owned_fds); i++)
        c->owned_fds[i] = -1;
    switch (cfg->backend) {
    case CHAR_OFF:
    case CHAR_NULL:
        break;
    case CHAR_TTY:
        rc = open_tty(c, error);
        break;
    case CHAR_PTY:
        rc = open_pty(c, error);
        break;
    case CHAR_FILE:
        rc = open_file(c, cfg->path, error);
        break;
    case CHAR_SOCKET:
        rc = open_socket(c, cfg->path, error);
        break;
    }
    if (rc < 0)
        return NULL;
    return g_steal_pointer(&c);
}

static void drop_source(GSource **s)
{
    if (*s) {
        g_source_destroy(*s);
        g_source_unref(*s);
        *s = NULL;
    }
}

void chardev_detach(chardev *c)
{
    if (!c)
        return;
    g_mutex_lock(&c->resume_lock);
    drop_source(&c->resume_source);
    drop_source(&c->in_source);
    drop_source(&c->listen_source);
    drop_source(&c->pipe_source);
    c->deliver = NULL;
    c->opaque = NULL;
    if (c->ctx)
        g_clear_pointer(&c->ctx, g_main_context_unref);
    g_mutex_unlock(&c->resume_lock);
}

void chardev_free(chardev *c)
{
    if (!c)
        return;
    chardev_detach(c);
    g_mutex_clear(&c->resume_lock);
    if (c->tty_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &c->saved_tty);
    if (c->client_fd >= 0)
        close(c->client_fd);
    for (size_t i = 0; i < G_N_ELEMENTS(c->owned_fds); i++) {
        if (c->owned_fds[i] >= 0)
            close(c->owned_fds[i]);
    }
    if (c->socket_path)
        unlink(c->socket_path);
    g_free(c->socket_path);
    g_free(c->pty_path);
    g_free(c->what);
    g_free(c);
}

const char *chardev_pty_path(chardev *c)
{
    return c ? c->pty_path : NULL;
}

int chardev_out_fd(chardev *c)
{
    return c->out_fd;
}

static void watch_input(chardev *c);

/* Offers buffered input to the device; true when all of it was taken. */
static bool flush_pending(chardev *c)
{
    while (c->pending_off < c->pending_len) {
        size_t n = c->deliver(c->opaque, c->pending + c->pending_off,
                              c->pending_len - c->pending_off);
        if (n == 0)
            return false;
        c->pending_off += n;
    }
    c->pending_off = c->pending_len = 0;
    return true;
}

static gboolean on_input(gint fd, GIOCondition cond, gpointer data)
{
    chardev *c = data;
    ssize_t n = read(fd, c->pending, sizeof(c->pending));

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        /* EOF or error: no more input (a socket client left; a closed stdin). */
        if (fd == c->client_fd) {
            close(c->client_fd);
            c->client_fd = -1;
        }
        g_source_unref(c->in_source);
        c->in_source = NULL;
        return G_SOURCE_REMOVE;
    }
    c->pending_len = (size_t)n;
    c->pending_off = 0;
    if (flush_pending(c))
        return G_SOURCE_CONTINUE;
    /* The device is full: stop reading until it says it has room. */
    g_source_unref(c->in_source);
    c->in_source = NULL;
    return G_SOURCE_REMOVE;
}

static void watch_input(chardev *c)
{
    int fd = c->backend == CHAR_SOCKET ? c->client_fd : c->in_fd;

    if (fd < 0 || c->in_source || !c->ctx)
        return;
    c->in_source = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(c->in_source, G_SOURCE_FUNC(on_input), c, NULL);
    g_source_attach(c->in_source, c->ctx);
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
    chardev *c = data;
    int client = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (client < 0)
        return G_SOURCE_CONTINUE;
    /* One client at a time: a new connection takes over. */
    drop_source(&c->in_source);
    if (c->client_fd >= 0)
        close(c->client_fd);
    c->client_fd = client;
    c->pending_len = c->pending_off = 0;
    watch_input(c);
    return G_SOURCE_CONTINUE;
}

static gboolean on_output(gint fd, GIOCondition cond, gpointer data)
{
    chardev *c = data;
    uint8_t buf[CHARDEV_BUF];
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n > 0 && c->client_fd >= 0) {
        /* A client that does not read loses output rather than stalling the guest. */
        if (write(c->client_fd, buf, (size_t)n) < 0 && errno != EAGAIN)
            log_debug("%s: client write: %s", c->what, g_strerror(errno));
    }
    return G_SOURCE_CONTINUE;
}

static GSource *add_fd_source(GMainContext *ctx, int fd, GUnixFDSourceFunc fn, void *data)
{
    GSource *s = g_unix_fd_source_new(fd, G_IO_IN);

    g_source_set_callback(s, G_SOURCE_FUNC(fn), data, NULL);
    g_source_attach(s, ctx);
    return s;
}

void chardev_attach(chardev *c, GMainContext *ctx, chardev_deliver_fn deliver, void *opaque)
{
    c->ctx = g_main_context_ref(ctx);
    c->deliver = deliver;
    c->opaque = opaque;
    if (c->backend == CHAR_SOCKET) {
        c->listen_source = add_fd_source(ctx, c->listen_fd, on_accept, c);
        c->pipe_source = add_fd_source(ctx, c->pipe_rd, on_output, c);
    }
    watch_input(c);
}

static gboolean resume_input(gpointer data)
{
    chardev *c = data;

    g_mutex_lock(&c->resume_lock);
    g_clear_pointer(&c->resume_source, g_source_unref);
    g_mutex_unlock(&c->resume_lock);
    if (flush_pending(c))
        watch_input(c);
    return G_SOURCE_REMOVE;
}

void chardev_input_ready(chardev *c)
{
    g_mutex_lock(&c->resume_lock);
    if (c->ctx && !c->resume_source) {
        c->resume_source = g_idle_source_new();
        g_source_set_callback(c->resume_source, resume_input, c, NULL);
        g_source_attach(c->resume_source, c->ctx);
    }
    g_mutex_unlock(&c->resume_lock);
}
