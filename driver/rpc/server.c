/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rpc/server.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/log.h"

/* Bytes read per wakeup before other clients get their turn. */
#define RX_BUDGET (256 * 1024)

typedef struct rpc_listener {
    rpc_server *srv;
    int fd;
    char *path;
    bool readonly;
    bool adopted;                  /* systemd's: its socket file stays for the next activation */
    GSource *source;
    GSource *retry;                /* after EMFILE: accept again later */
} rpc_listener;

typedef struct rpc_client rpc_client;

struct rpc_server {
    struct rpc_daemon *daemon;
    GMainContext *ctx;
    GPtrArray *listeners;          /* rpc_listener * */
    GList *clients;                /* rpc_client * */
    unsigned n_clients;
};

struct rpc_client {
    GSource *source;               /* client_source; owns this struct */
    gpointer tag;
    GSource *keepalive;
    rpc_server *srv;
    int fd;
    struct rpc_conn conn;
    rpc_reader in;
    /* output */
    GQueue out;                    /* GBytes * */
    size_t out_off;                /* into the head */
    size_t out_bytes;              /* queued, not yet sent */
    bool closing;                  /* close after this round of reading */
    /* keepalive */
    bool heard;                    /* bytes arrived since the last tick */
    unsigned unanswered;
};

typedef struct {
    GSource base;
    rpc_client client;
} client_source;

static void client_close(rpc_client *c, const char *why)
{
    GSource *source = c->source;
    int fd = c->fd;

    if (fd < 0)
        return;
    log_debug("client pid %d uid %u closed: %s", (int)c->conn.pid, (unsigned)c->conn.uid, why);
    rpc_conn_closed(&c->conn);
    c->srv->clients = g_list_remove(c->srv->clients, c);
    c->srv->n_clients--;
    c->fd = -1;
    if (c->keepalive) {
        g_source_destroy(c->keepalive);
        g_clear_pointer(&c->keepalive, g_source_unref);
    }
    /* Out of the poll set before the descriptor number can be reused. */
    g_source_destroy(source);
    close(fd);
    /* May free c (when not inside its dispatch): last. */
    g_source_unref(source);
}

static void client_source_finalize(GSource *source)
{
    rpc_client *c = &((client_source *)source)->client;

    rpc_reader_clear(&c->in);
    g_queue_clear_full(&c->out, (GDestroyNotify)g_bytes_unref);
    g_free(c->conn.uri);
}

static gboolean client_source_dispatch(GSource *source, GSourceFunc cb, gpointer data);

static GSourceFuncs client_source_funcs = {
    .dispatch = client_source_dispatch,
    .finalize = client_source_finalize,
};

/* Sends what the socket takes now. -1 if the client is gone. */
static int client_flush(rpc_client *c)
{
    while (!g_queue_is_empty(&c->out)) {
        GBytes *head = g_queue_peek_head(&c->out);
        gsize len;
        const uint8_t *data = g_bytes_get_data(head, &len);
        ssize_t n = send(c->fd, data + c->out_off, len - c->out_off,
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            client_close(c, g_strerror(errno));
            return -1;
        }
        c->out_off += (size_t)n;
        c->out_bytes -= (size_t)n;
        if (c->out_off == len) {
            g_bytes_unref(g_queue_pop_head(&c->out));
            c->out_off = 0;
        }
    }
    return 0;
}

/* Queues a packet (taking it). -1 if the client was dropped. */
static int client_send(rpc_client *c, GBytes *pkt)
{
    c->out_bytes += g_bytes_get_size(pkt);
    g_queue_push_tail(&c->out, pkt);
    if (c->out_bytes > RPC_OUT_MAX) {
        client_close(c, "output queue over its limit");
        return -1;
    }
    return client_flush(c);
}

static rpc_client *conn_client(struct rpc_conn *conn)
{
    return (rpc_client *)((char *)conn - G_STRUCT_OFFSET(rpc_client, conn));
}

/* Not inside the client's own dispatch necessarily: queue and ask for
 * G_IO_OUT; the dispatch sends, and closes a client over its limit. */
static int conn_push(struct rpc_conn *conn, GBytes *pkt)
{
    rpc_client *c = conn_client(conn);

    if (c->fd < 0 || c->closing) {
        g_bytes_unref(pkt);
        return -1;
    }
    c->out_bytes += g_bytes_get_size(pkt);
    g_queue_push_tail(&c->out, pkt);
    if (c->out_bytes > RPC_OUT_MAX) {
        log_info(_("client pid %d does not read what it is sent; closing it"), (int)conn->pid);
        c->closing = true;
    }
    g_source_modify_unix_fd(c->source, c->tag, G_IO_OUT | (c->closing ? 0 : G_IO_IN));
    return 0;
}

static size_t conn_queued(struct rpc_conn *conn)
{
    return conn_client(conn)->out_bytes;
}

/* What to wait for next; closes a closing client (then -1: c may be
 * freed). Its last answer went out if the socket took it: a client that
 * sends garbage and does not read is not waited for. */
static int client_update(rpc_client *c)
{
    GIOCondition cond = 0;

    if (c->closing) {
        client_close(c, "closed by the server");
        return -1;
    }
    if (c->out_bytes <= RPC_OUT_PAUSE)
        cond |= G_IO_IN;
    if (!g_queue_is_empty(&c->out))
        cond |= G_IO_OUT;
    g_source_modify_unix_fd(c->source, c->tag, cond);
    return 0;
}

static gboolean keepalive_tick(gpointer data)
{
    rpc_client *c = data;

    if (c->heard) {
        c->heard = false;
        c->unanswered = 0;
        return G_SOURCE_CONTINUE;
    }
    if (++c->unanswered > RPC_KEEPALIVE_COUNT) {
        log_info(_("client pid %d did not answer keepalive; closing it"), (int)c->conn.pid);
        client_close(c, "keepalive timeout");
        return G_SOURCE_REMOVE;
    }
    if (client_send(c, rpc_keepalive_ping()) < 0 || client_update(c) < 0)
        return G_SOURCE_REMOVE;
    return G_SOURCE_CONTINUE;
}

static void client_start_keepalive(rpc_client *c)
{
    c->keepalive = g_timeout_source_new_seconds(RPC_KEEPALIVE_INTERVAL_S);
    g_source_set_static_name(c->keepalive, "virtskiffd-keepalive");
    g_source_set_callback(c->keepalive, keepalive_tick, c, NULL);
    g_source_attach(c->keepalive, c->srv->ctx);
}

/* A whole packet is in c->in: answer it. -1 if the client was dropped. */
static int client_handle_packet(rpc_client *c)
{
    GBytes *reply = NULL;
    size_t len;
    g_autofree uint8_t *pkt = rpc_reader_take(&c->in, &len);
    bool had_keepalive = c->conn.keepalive;

    if (rpc_dispatch_packet(&c->conn, pkt, len, &reply) < 0)
        c->closing = true;
    if (reply && client_send(c, reply) < 0)
        return -1;
    if (c->conn.keepalive && !had_keepalive)
        client_start_keepalive(c);
    return 0;
}

/* Reads what is there, within RX_BUDGET. -1 if the client was dropped. */
static int client_read(rpc_client *c)
{
    size_t budget = RX_BUDGET;

    while (budget > 0 && !c->closing && c->out_bytes <= RPC_OUT_PAUSE) {
        g_autoptr(GError) err = NULL;
        uint8_t *dst;
        size_t want = rpc_reader_want(&c->in, &dst);
        ssize_t n = recv(c->fd, dst, MIN(want, budget), MSG_DONTWAIT);
        int r;

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            client_close(c, g_strerror(errno));
            return -1;
        }
        if (n == 0) {
            if (rpc_reader_in_packet(&c->in))
                log_info(_("client pid %d closed the connection inside a packet"),
                         (int)c->conn.pid);
            client_close(c, "end of stream");
            return -1;
        }
        budget -= (size_t)n;
        c->heard = true;
        r = rpc_reader_advance(&c->in, (size_t)n, &err);
        if (r < 0) {
            log_info(_("client pid %d: %s; closing it"), (int)c->conn.pid, err->message);
            client_close(c, "bad packet length");
            return -1;
        }
        if (r > 0 && client_handle_packet(c) < 0)
            return -1;
    }
    return 0;
}

static gboolean client_source_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    rpc_client *c = &((client_source *)source)->client;
    GIOCondition rev = g_source_query_unix_fd(source, c->tag);

    /* On HUP or ERR too: with reading paused, only a failing send notices
     * that the peer is gone. */
    if ((rev & (G_IO_OUT | G_IO_HUP | G_IO_ERR)) && client_flush(c) < 0)
        return G_SOURCE_REMOVE;
    /* HUP with unread input: read it first, the end of stream comes after. */
    if ((rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && client_read(c) < 0)
        return G_SOURCE_REMOVE;
    return client_update(c) < 0 ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* Who may do what; false: refuse the connection. */
static bool client_check_access(rpc_client *c, bool socket_readonly)
{
    uid_t me = geteuid();

    c->conn.readonly = socket_readonly;
    if (c->srv->daemon->system_mode) {
        if (c->conn.uid != 0 && c->conn.uid != me)
            c->conn.readonly = true;
        return true;
    }
    return c->conn.uid == me || c->conn.uid == 0;
}

static void client_new(rpc_listener *l, int fd)
{
    rpc_server *srv = l->srv;
    GSource *source;
    rpc_client *c;
    struct ucred cred;
    socklen_t credlen = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0) {
        log_warning(_("cannot read a client's credentials: %s"), g_strerror(errno));
        close(fd);
        return;
    }
    if (srv->n_clients >= RPC_MAX_CLIENTS) {
        log_warning(_("refusing client pid %d: %u clients already"), (int)cred.pid,
                    srv->n_clients);
        close(fd);
        return;
    }
    source = g_source_new(&client_source_funcs, sizeof(client_source));
    g_source_set_static_name(source, "virtskiffd-client");
    c = &((client_source *)source)->client;
    c->source = source;
    c->srv = srv;
    c->fd = fd;
    g_queue_init(&c->out);
    c->conn.daemon = srv->daemon;
    c->conn.uid = cred.uid;
    c->conn.gid = cred.gid;
    c->conn.pid = cred.pid;
    c->conn.push = conn_push;
    c->conn.queued = conn_queued;
    if (!client_check_access(c, l->readonly)) {
        log_warning(_("refusing client pid %d: uid %u may not use this daemon"), (int)cred.pid,
                    (unsigned)cred.uid);
        close(fd);
        g_source_unref(source);
        return;
    }
    c->tag = g_source_add_unix_fd(source, fd, G_IO_IN);
    g_source_attach(source, srv->ctx);
    srv->clients = g_list_prepend(srv->clients, c);
    srv->n_clients++;
    log_debug("client pid %d uid %u connected to %s%s", (int)cred.pid, (unsigned)cred.uid,
              l->path, c->conn.readonly ? " (read-only)" : "");
}

static gboolean listener_accept(int fd, GIOCondition cond, gpointer data);

static gboolean listener_retry(gpointer data)
{
    rpc_listener *l = data;

    g_clear_pointer(&l->retry, g_source_unref);
    l->source = g_unix_fd_source_new(l->fd, G_IO_IN);
    g_source_set_callback(l->source, G_SOURCE_FUNC(listener_accept), l, NULL);
    g_source_attach(l->source, l->srv->ctx);
    return G_SOURCE_REMOVE;
}

static gboolean listener_accept(int listen_fd, GIOCondition cond, gpointer data)
{
    rpc_listener *l = data;

    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd >= 0) {
            client_new(l, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return G_SOURCE_CONTINUE;
        log_warning(_("accept on %s: %s"), l->path, g_strerror(errno));
        if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM)
            return G_SOURCE_CONTINUE;
        /* Out of descriptors: the socket stays readable; pause instead of spinning. */
        g_clear_pointer(&l->source, g_source_unref);
        l->retry = g_timeout_source_new(1000);
        g_source_set_callback(l->retry, listener_retry, l, NULL);
        g_source_attach(l->retry, l->srv->ctx);
        return G_SOURCE_REMOVE;
    }
}

static void listener_free(rpc_listener *l)
{
    if (l->source) {
        g_source_destroy(l->source);
        g_source_unref(l->source);
    }
    if (l->retry) {
        g_source_destroy(l->retry);
        g_source_unref(l->retry);
    }
    if (l->fd >= 0) {
        close(l->fd);
        if (!l->adopted)
            unlink(l->path);
    }
    g_free(l->path);
    g_free(l);
}

rpc_server *rpc_server_new(struct rpc_daemon *daemon, GMainContext *ctx)
{
    rpc_server *srv = g_new0(rpc_server, 1);

    srv->daemon = daemon;
    srv->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref_thread_default();
    srv->listeners = g_ptr_array_new_with_free_func((GDestroyNotify)listener_free);
    return srv;
}

void rpc_server_free(rpc_server *srv)
{
    if (!srv)
        return;
    while (srv->clients)
        client_close(srv->clients->data, "server shutting down");
    g_ptr_array_unref(srv->listeners);
    g_main_context_unref(srv->ctx);
    g_free(srv);
}

unsigned rpc_server_n_clients(const rpc_server *srv)
{
    return srv->n_clients;
}

/* A socket file at path that nobody answers on is left over from a daemon
 * that died; one that answers belongs to a live daemon. */
static int remove_stale_socket(const char *path, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd;
    int r;

    if (lstat(path, &st) < 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    _("%s exists and is not a socket"), path);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("cannot create a socket: %s"), g_strerror(errno));
        return -1;
    }
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
    if (r == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    _("another daemon is listening on %s"), path);
        return -1;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("cannot remove the stale socket %s: %s"), path, g_strerror(errno));
        return -1;
    }
    return 0;
}

static void listener_add(rpc_server *srv, int fd, const char *path, bool readonly,
                         bool adopted)
{
    rpc_listener *l = g_new0(rpc_listener, 1);

    l->srv = srv;
    l->fd = fd;
    l->path = g_strdup(path);
    l->readonly = readonly;
    l->adopted = adopted;
    l->source = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_static_name(l->source, "virtskiffd-listen");
    g_source_set_callback(l->source, G_SOURCE_FUNC(listener_accept), l, NULL);
    g_source_attach(l->source, srv->ctx);
    g_ptr_array_add(srv->listeners, l);
    log_info(_("listening on %s%s"), path, readonly ? _(" (read-only)") : "");
}

int rpc_server_listen_unix(rpc_server *srv, const char *path, mode_t mode, bool readonly,
                           GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    _("socket path %s is too long"), path);
        return -1;
    }
    if (remove_stale_socket(path, error) < 0)
        return -1;
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("cannot create a socket: %s"), g_strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("cannot bind %s: %s"), path, g_strerror(errno));
        close(fd);
        return -1;
    }
    if (chmod(path, mode) < 0 || listen(fd, 128) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("cannot listen on %s: %s"), path, g_strerror(errno));
        unlink(path);
        close(fd);
        return -1;
    }
    listener_add(srv, fd, path, readonly, false);
    return 0;
}

void rpc_server_adopt(rpc_server *srv, int fd, const char *path, bool readonly)
{
    listener_add(srv, fd, path, readonly, true);
}

