/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The API server: one GSource per connection on the VMM's main context,
 * non-blocking sockets, no threads. A connection's source polls its fd for
 * what the connection can use next and carries a ready time for its deadline,
 * so a client that stalls costs nothing until its time is up.
 *
 * Back-pressure instead of an output limit: the next request is neither read
 * nor parsed while an answer is still being written, so a connection holds at
 * most one request's bytes and one answer. A client that does not take its
 * answer within API_REQUEST_TIMEOUT_MS is dropped.
 *
 * Closing is "lingering": after the last answer the write side is shut down
 * and what the client still sends is read and thrown away until it closes
 * too (or the request timeout passes), so that the client reads our answer
 * and a clean EOF instead of a reset caused by its unread bytes.
 */
#include "api/server.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/error.h"
#include "vmm/log.h"

#define INPUT_LIMIT ((size_t)HTTP_MAX_HEADER_BYTES + HTTP_MAX_BODY_BYTES)
#define READ_CHUNK (64 * 1024)
#define DRAIN_LIMIT (4 * INPUT_LIMIT)   /* bytes thrown away while closing */
#define ACCEPT_BATCH 16
#define ACCEPT_RETRY_MS 100             /* after EMFILE and the like */
#define LISTEN_BACKLOG 64
#define CONTINUE_LINE "HTTP/1.1 100 Continue\r\n\r\n"

typedef struct api_conn api_conn;

struct after_reply {
    void (*fn)(void *opaque);
    void *opaque;
    guint64 mark;           /* runs once sent_total reaches this; 0: answer not queued yet */
};

struct api_conn {
    api_server *server;
    int fd;
    GSource *source;
    gpointer tag;
    GByteArray *in;
    http_parser *parser;
    GByteArray *out;
    size_t out_off;
    guint64 queued_total;
    guint64 sent_total;
    GArray *after;          /* struct after_reply */
    gint64 accepted;        /* monotonic µs */
    gint64 request_start;   /* first byte of the request in progress */
    gint64 out_since;       /* when the oldest unsent answer was queued */
    gint64 last_activity;   /* the last answer went out */
    gint64 drain_since;
    size_t drained;
    bool served;            /* an answer went out: idle timeout applies */
    bool read_eof;
    bool closing;           /* no more requests: close once the output is out */
    bool draining;          /* write side shut down, discarding input */
    bool continue_sent;
};

typedef struct {
    GSource source;
    api_conn *conn;
} conn_source;

struct api_server {
    GMainContext *ctx;
    int listen_fd;
    GSource *listen_source;
    GSource *retry_source;
    const api_route *routes;
    size_t n_routes;
    void *opaque;
    GQueue conns;
    gint64 request_timeout;     /* µs */
    gint64 idle_timeout;
    api_conn *current;          /* whose handler runs now */
    GArray *due;                /* struct after_reply to run at the end of a dispatch */
};

static void listen_resume(api_server *s);

static bool out_pending(const api_conn *c)
{
    return c->out_off < c->out->len;
}

static void queue_bytes(api_conn *c, const void *data, size_t len, gint64 now)
{
    if (!out_pending(c))
        c->out_since = now;
    g_byte_array_append(c->out, data, (guint)len);
    c->queued_total += len;
}

/* Moves the callbacks whose answer is out (all of them when the connection
 * goes away) to the server's list, to run when the dispatch ends. */
static void collect_due(api_conn *c, bool all)
{
    for (guint i = 0; i < c->after->len;) {
        struct after_reply *a = &g_array_index(c->after, struct after_reply, i);

        if (all || (a->mark != 0 && a->mark <= c->sent_total)) {
            g_array_append_val(c->server->due, *a);
            g_array_remove_index(c->after, i);
        } else {
            i++;
        }
    }
}

static void run_due(api_server *s)
{
    g_autoptr(GArray) due = NULL;

    if (s->due->len == 0)
        return;
    due = s->due;
    s->due = g_array_new(FALSE, FALSE, sizeof(struct after_reply));
    /* s may be freed by a callback: only the stolen array is touched. */
    for (guint i = 0; i < due->len; i++) {
        struct after_reply *a = &g_array_index(due, struct after_reply, i);

        a->fn(a->opaque);
    }
}

static void conn_free(api_conn *c)
{
    g_source_destroy(c->source);
    g_source_unref(c->source);
    close(c->fd);
    g_byte_array_unref(c->in);
    g_byte_array_unref(c->out);
    http_parser_free(c->parser);
    g_array_unref(c->after);
    g_free(c);
}

static void conn_close(api_conn *c)
{
    api_server *s = c->server;

    collect_due(c, true);
    g_queue_remove(&s->conns, c);
    conn_free(c);
    if (!s->listen_source && !s->retry_source)
        listen_resume(s);
}

/* false: the peer is gone. */
static bool conn_flush(api_conn *c, gint64 now)
{
    while (out_pending(c)) {
        ssize_t n = send(c->fd, c->out->data + c->out_off, c->out->len - c->out_off,
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return false;
        c->out_off += (size_t)n;
        c->sent_total += (guint64)n;
    }
    if (!out_pending(c) && c->out->len > 0) {
        g_byte_array_set_size(c->out, 0);
        c->out_off = 0;
        c->served = true;
        c->last_activity = now;
    }
    collect_due(c, false);
    return true;
}

/* false: the peer is gone or sent more than a closing connection may. */
static bool conn_read(api_conn *c, gint64 now)
{
    uint8_t scratch[4096];
    size_t old = c->in->len;
    size_t want = MIN(INPUT_LIMIT - old, (size_t)READ_CHUNK);
    ssize_t n;

    if (c->draining) {
        n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
    } else {
        if (want == 0)
            return true;
        g_byte_array_set_size(c->in, (guint)(old + want));
        n = recv(c->fd, c->in->data + old, want, MSG_DONTWAIT);
        g_byte_array_set_size(c->in, (guint)(old + (n > 0 ? (size_t)n : 0)));
    }
    if (n < 0)
        return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK;
    if (n == 0) {
        c->read_eof = true;
        return true;
    }
    if (c->draining) {
        c->drained += (size_t)n;
        return c->drained <= DRAIN_LIMIT;
    }
    if (old == 0)
        c->request_start = now;
    return true;
}

static void response_clear(api_response *resp)
{
    g_clear_pointer(&resp->body, json_node_unref);
}

static void queue_response(api_conn *c, api_response *resp, const http_header *extra,
                           size_t n_extra, bool close_after, gint64 now)
{
    g_autofree char *json = NULL;
    g_autoptr(GString) msg = NULL;
    size_t json_len = 0;

    if (resp->status != 204 && resp->body) {
        json = json_to_string(resp->body, FALSE);
        json_len = strlen(json);
    }
    msg = http_format_response_ext(resp->status, extra, n_extra, "application/json", json,
                                   json_len, close_after);
    queue_bytes(c, msg->str, msg->len, now);
    for (guint i = 0; i < c->after->len; i++) {
        struct after_reply *a = &g_array_index(c->after, struct after_reply, i);

        if (a->mark == 0)
            a->mark = c->queued_total;
    }
}

static void queue_error(api_conn *c, unsigned status, const char *message, bool close_after,
                        gint64 now)
{
    api_response resp = { 0 };

    api_response_error(&resp, status, message, NULL);
    queue_response(c, &resp, NULL, 0, close_after, now);
    response_clear(&resp);
}

/* "GET, PUT": the methods the target's endpoint takes. */
static char *allowed_methods(const api_server *s, const char *target)
{
    const char *name = target + strlen(API_PREFIX);
    g_autoptr(GString) allow = g_string_new(NULL);

    for (size_t i = 0; i < s->n_routes; i++) {
        if (strcmp(s->routes[i].name, name) == 0) {
            if (allow->len)
                g_string_append(allow, ", ");
            g_string_append(allow, s->routes[i].method);
        }
    }
    return g_string_free(g_steal_pointer(&allow), FALSE);
}

static void handle_request(api_conn *c, const http_message *req, gint64 now)
{
    api_server *s = c->server;
    api_response resp = { 0 };
    g_autofree char *allow = NULL;
    g_autofree char *text = NULL;
    http_header allow_header = { (char *)"Allow", NULL };
    const api_route *route;
    unsigned status = 0;
    bool close_after = !req->keep_alive;

    route = api_route_match(s->routes, s->n_routes, req->method, req->target, &status);
    if (route) {
        s->current = c;
        route->handler(s->opaque, req, &resp);
        s->current = NULL;
        if (resp.status < 100 || resp.status > 599) {
            log_error(_("API handler for %s answered status %u"), route->name, resp.status);
            api_response_error(&resp, 500, _("internal error: the endpoint gave no answer"),
                               NULL);
        }
    } else if (status == 405) {
        allow = allowed_methods(s, req->target);
        allow_header.value = allow;
        text = g_strdup_printf(_("%s is not allowed on %s (allowed: %s)"), req->method,
                               req->target + strlen(API_PREFIX), allow);
        api_response_error(&resp, 405, text, NULL);
    } else if (status == 400) {
        api_response_error(&resp, 400, _("query strings are not supported"), NULL);
    } else {
        text = g_strdup_printf(_("no such endpoint: %.200s"), req->target);
        api_response_error(&resp, 404, text, NULL);
    }
    queue_response(c, &resp, &allow_header, allow ? 1 : 0, close_after, now);
    response_clear(&resp);
    if (close_after)
        c->closing = true;
}

/* Answers every whole request buffered, one at a time: the next only once
 * the answer to the previous one is out. */
static void conn_process(api_conn *c, gint64 now)
{
    while (c->in->len > 0 && !out_pending(c) && !c->closing) {
        http_message msg = { 0 };
        enum http_parse_result r;
        size_t used;

        r = c->read_eof ? http_parser_finish(c->parser, c->in->data, c->in->len, &msg)
                        : http_parse(c->parser, c->in->data, c->in->len, &msg);
        if (r == HTTP_PARSE_INCOMPLETE) {
            if (!c->continue_sent && http_parser_expects_continue(c->parser)) {
                queue_bytes(c, CONTINUE_LINE, strlen(CONTINUE_LINE), now);
                c->continue_sent = true;
            }
            return;
        }
        if (r == HTTP_PARSE_ERROR) {
            log_debug("API client sent a bad request: %s",
                      http_parser_error_message(c->parser));
            queue_error(c, http_parser_error_status(c->parser),
                        http_parser_error_message(c->parser), true, now);
            g_byte_array_set_size(c->in, 0);
            c->closing = true;
            return;
        }
        used = http_parser_consumed(c->parser);
        handle_request(c, &msg, now);
        http_message_clear(&msg);
        g_byte_array_remove_range(c->in, 0, (guint)used);
        c->continue_sent = false;
        c->request_start = now;
    }
}

static gint64 conn_deadline(const api_conn *c)
{
    const api_server *s = c->server;

    if (c->draining)
        return c->drain_since + s->request_timeout;
    if (out_pending(c))
        return c->out_since + s->request_timeout;
    if (c->in->len > 0)
        return c->request_start + s->request_timeout;
    if (!c->served)
        return c->accepted + s->request_timeout;
    return c->last_activity + s->idle_timeout;
}

static void conn_timed_out(api_conn *c, gint64 now)
{
    if (c->in->len > 0 && !out_pending(c) && !c->closing) {
        /* One non-blocking try: the client is dropped whatever happens. */
        queue_error(c, 408, _("request not complete in time"), true, now);
        conn_flush(c, now);
    }
    log_debug("API client dropped: no progress in time");
}

/* One turn of a connection; false: close it. */
static bool conn_step(api_conn *c, GIOCondition rev, gint64 now)
{
    if (rev & G_IO_ERR)
        return false;
    if (out_pending(c) && (rev & (G_IO_OUT | G_IO_HUP)) && !conn_flush(c, now))
        return false;
    if ((rev & (G_IO_IN | G_IO_HUP)) && !c->read_eof && (c->draining || !out_pending(c)) &&
        !conn_read(c, now))
        return false;
    if (c->draining)
        return !c->read_eof && now < conn_deadline(c);
    /* Pipelined requests already buffered bring no new poll event: go on
     * while answers leave at once and requests get consumed. */
    for (;;) {
        size_t before = c->in->len;

        conn_process(c, now);
        if (!conn_flush(c, now))
            return false;
        if (out_pending(c) || c->closing || c->in->len == 0 || c->in->len == before)
            break;
    }
    if (c->read_eof && !out_pending(c))
        c->closing = true;
    if (c->closing && !out_pending(c)) {
        if (c->read_eof)
            return false;
        shutdown(c->fd, SHUT_WR);
        c->draining = true;
        c->drain_since = now;
        return true;
    }
    if (now >= conn_deadline(c)) {
        conn_timed_out(c, now);
        return false;
    }
    return true;
}

static void conn_update(api_conn *c)
{
    GIOCondition cond = 0;

    if (out_pending(c))
        cond |= G_IO_OUT;
    if (!c->read_eof && (c->draining || (!c->closing && !out_pending(c))))
        cond |= G_IO_IN;
    g_source_modify_unix_fd(c->source, c->tag, cond);
    g_source_set_ready_time(c->source, conn_deadline(c));
}

static gboolean conn_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    api_conn *c = ((conn_source *)source)->conn;
    api_server *s = c->server;
    gint64 now = g_get_monotonic_time();

    if (conn_step(c, g_source_query_unix_fd(source, c->tag), now))
        conn_update(c);
    else
        conn_close(c);
    /* Last: a callback may free the server. */
    run_due(s);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs conn_source_funcs = {
    .dispatch = conn_dispatch,
};

static void conn_new(api_server *s, int fd)
{
    api_conn *c = g_new0(api_conn, 1);

    c->server = s;
    c->fd = fd;
    c->in = g_byte_array_new();
    c->out = g_byte_array_new();
    c->parser = http_parser_new(false);
    c->after = g_array_new(FALSE, FALSE, sizeof(struct after_reply));
    c->accepted = g_get_monotonic_time();
    c->source = g_source_new(&conn_source_funcs, sizeof(conn_source));
    ((conn_source *)c->source)->conn = c;
    g_source_set_static_name(c->source, "skiff-api-client");
    c->tag = g_source_add_unix_fd(c->source, fd, G_IO_IN);
    g_source_attach(c->source, s->ctx);
    conn_update(c);
    g_queue_push_tail(&s->conns, c);
}

/* At the connection limit: an idle keep-alive connection gives way. */
static bool evict_idle(api_server *s)
{
    for (GList *l = s->conns.head; l; l = l->next) {
        api_conn *c = l->data;

        if (c->served && c->in->len == 0 && !out_pending(c) && !c->closing) {
            log_debug("API: closing an idle connection to make room");
            conn_close(c);
            return true;
        }
    }
    return false;
}

static gboolean listen_retry(gpointer data)
{
    api_server *s = data;

    g_clear_pointer(&s->retry_source, g_source_unref);
    listen_resume(s);
    return G_SOURCE_REMOVE;
}

static void listen_pause(api_server *s, unsigned retry_ms)
{
    if (s->listen_source) {
        g_source_destroy(s->listen_source);
        g_clear_pointer(&s->listen_source, g_source_unref);
    }
    if (retry_ms && !s->retry_source) {
        s->retry_source = g_timeout_source_new(retry_ms);
        g_source_set_callback(s->retry_source, listen_retry, s, NULL);
        g_source_attach(s->retry_source, s->ctx);
    }
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
    api_server *s = data;

    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int cfd;

        if (s->conns.length >= API_MAX_CONNECTIONS && !evict_idle(s)) {
            /* Resumed when a connection closes. */
            listen_pause(s, 0);
            break;
        }
        cfd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            /* Out of descriptors or memory: the socket stays readable, so
             * polling it again at once would spin. */
            log_warning(_("API socket: accept: %s"), g_strerror(errno));
            listen_pause(s, ACCEPT_RETRY_MS);
            break;
        }
        conn_new(s, cfd);
    }
    run_due(s);
    /* listen_pause() destroyed this source if it ran; returning CONTINUE
     * for a destroyed source is harmless. */
    return G_SOURCE_CONTINUE;
}

static void listen_resume(api_server *s)
{
    if (s->listen_source || s->conns.length >= API_MAX_CONNECTIONS)
        return;
    s->listen_source = g_unix_fd_source_new(s->listen_fd, G_IO_IN);
    g_source_set_static_name(s->listen_source, "skiff-api-listen");
    g_source_set_callback(s->listen_source, G_SOURCE_FUNC(on_accept), s, NULL);
    g_source_attach(s->listen_source, s->ctx);
}

api_server *api_server_new(GMainContext *ctx, int listen_fd, const api_route *routes,
                           size_t n_routes, void *opaque, GError **error)
{
    api_server *s;
    int v = 0;
    socklen_t vlen = sizeof(v);
    int fl;

    if (getsockopt(listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vlen) < 0 || !v ||
        getsockopt(listen_fd, SOL_SOCKET, SO_TYPE, &v, &vlen) < 0 || v != SOCK_STREAM) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("API socket: fd %d is not a listening stream socket"), listen_fd);
        close(listen_fd);
        return NULL;
    }
    fl = fcntl(listen_fd, F_GETFL);
    if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(listen_fd, F_SETFD, FD_CLOEXEC) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("API socket: fd %d: %s"), listen_fd, g_strerror(errno));
        close(listen_fd);
        return NULL;
    }
    s = g_new0(api_server, 1);
    s->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref_thread_default();
    s->listen_fd = listen_fd;
    s->routes = routes;
    s->n_routes = n_routes;
    s->opaque = opaque;
    s->request_timeout = (gint64)API_REQUEST_TIMEOUT_MS * 1000;
    s->idle_timeout = (gint64)API_IDLE_TIMEOUT_MS * 1000;
    s->due = g_array_new(FALSE, FALSE, sizeof(struct after_reply));
    g_queue_init(&s->conns);
    listen_resume(s);
    return s;
}

void api_server_free(api_server *s)
{
    api_conn *c;

    if (!s)
        return;
    while ((c = g_queue_pop_head(&s->conns)))
        conn_free(c);
    if (s->listen_source) {
        g_source_destroy(s->listen_source);
        g_source_unref(s->listen_source);
    }
    if (s->retry_source) {
        g_source_destroy(s->retry_source);
        g_source_unref(s->retry_source);
    }
    close(s->listen_fd);
    g_array_unref(s->due);
    g_main_context_unref(s->ctx);
    g_free(s);
}

void api_server_set_timeouts(api_server *s, unsigned request_ms, unsigned idle_ms)
{
    s->request_timeout = (gint64)request_ms * 1000;
    s->idle_timeout = (gint64)idle_ms * 1000;
    for (GList *l = s->conns.head; l; l = l->next)
        conn_update(l->data);
}

void api_server_after_reply(api_server *s, void (*fn)(void *opaque), void *opaque)
{
    struct after_reply a = { fn, opaque, 0 };

    g_return_if_fail(s->current != NULL);
    g_array_append_val(s->current->after, a);
}

const api_route *api_route_match(const api_route *routes, size_t n_routes, const char *method,
                                 const char *target, unsigned *status)
{
    const char *name;
    bool name_known = false;

    if (!g_str_has_prefix(target, API_PREFIX)) {
        *status = 404;
        return NULL;
    }
    name = target + strlen(API_PREFIX);
    if (strpbrk(name, "?#")) {
        *status = 400;
        return NULL;
    }
    for (size_t i = 0; i < n_routes; i++) {
        if (strcmp(routes[i].name, name) != 0)
            continue;
        if (strcmp(routes[i].method, method) == 0)
            return &routes[i];
        name_known = true;
    }
    *status = name_known ? 405 : 404;
    return NULL;
}

void api_response_error(api_response *resp, unsigned status, const char *message, ...)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const char *name;
    va_list ap;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "error");
    json_builder_add_string_value(b, message);
    va_start(ap, message);
    while ((name = va_arg(ap, const char *))) {
        const char *value = va_arg(ap, const char *);

        json_builder_set_member_name(b, name);
        if (value)
            json_builder_add_string_value(b, value);
        else
            json_builder_add_null_value(b);
    }
    va_end(ap);
    json_builder_end_object(b);
    g_clear_pointer(&resp->body, json_node_unref);
    resp->body = json_builder_get_root(b);
    resp->status = status;
}

/* 1: something accepts connections there; 0: a stale socket; -1: cannot tell. */
static int socket_in_use(const struct sockaddr_un *addr, GError **error)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int rc;
    int err;

    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "socket: %s",
                    g_strerror(errno));
        return -1;
    }
    rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
    err = errno;
    close(fd);
    /* Non-blocking, so a listener with a full backlog answers EAGAIN
     * instead of hanging us: it is alive. */
    if (rc == 0 || err == EAGAIN || err == EINPROGRESS)
        return 1;
    if (err == ECONNREFUSED || err == ENOENT)
        return 0;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
                _("API socket %s: cannot tell whether it is in use: %s"), addr->sun_path,
                g_strerror(err));
    return -1;
}

int api_socket_listen(const char *path, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct stat st;
    mode_t old_mask;
    int fd;
    int rc;
    int err;

    if (path[0] == '\0' || strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    _("API socket path must be 1 to %zu bytes long: %s"),
                    sizeof(addr.sun_path) - 1, path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_EXISTS,
                        _("API socket %s: the path exists and is not a socket"), path);
            return -1;
        }
        rc = socket_in_use(&addr, error);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_EXISTS,
                        _("API socket %s is in use by another process"), path);
            return -1;
        }
        if (unlink(path) < 0 && errno != ENOENT) {
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                        _("API socket %s: cannot remove the stale socket: %s"), path,
                        g_strerror(errno));
            return -1;
        }
    } else if (errno != ENOENT) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("API socket %s: %s"), path, g_strerror(errno));
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "socket: %s",
                    g_strerror(errno));
        return -1;
    }
    /* Born 0600: no window in which another user could connect. */
    old_mask = umask(0177);
    rc = bind(fd, (const struct sockaddr *)&addr, sizeof(addr));
    err = errno;
    umask(old_mask);
    if (rc < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
                    _("API socket %s: bind: %s"), path, g_strerror(err));
        close(fd);
        return -1;
    }
    if (chmod(path, 0600) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
        err = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
                    _("API socket %s: %s"), path, g_strerror(err));
        unlink(path);
        close(fd);
        return -1;
    }
    return fd;
}
