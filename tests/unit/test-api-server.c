/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The API server on a real unix socket, driven by iterating its main context
 * from the test: routing, error answers, keep-alive and closing, time bounds
 * (with short timeouts), a slow or non-reading client beside a good one,
 * after_reply ordering, and how the socket file is created.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/server.h"
#include "vmm/error.h"

#include "testutil.h"

#define REQUEST_MS 300
#define IDLE_MS 1000
#define GUARD_MS 15000
#define BIG_BYTES (2 * 1024 * 1024)

struct client {
    int fd;
    GByteArray *in;
    bool eof;
    int error;              /* errno of a failed recv, e.g. ECONNRESET */
    gint64 eof_at;
};

struct fixture {
    char *dir;
    char *path;
    GMainContext *ctx;
    api_server *server;
    GSource *guard;
    bool guard_fired;
    int calls;
    struct client *after_client;    /* whose answer after_reply must see */
    bool after_ran;
    bool after_saw_answer;
    int after_runs;
};

static struct fixture fx;

static void h_json(void *opaque, const http_message *req, api_response *resp)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    fx.calls++;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "hello");
    json_builder_add_string_value(b, "world");
    json_builder_end_object(b);
    resp->status = 200;
    resp->body = json_builder_get_root(b);
}

static void h_empty(void *opaque, const http_message *req, api_response *resp)
{
    fx.calls++;
    resp->status = 204;
}

static void h_echo(void *opaque, const http_message *req, api_response *resp)
{
    JsonNode *n = json_node_new(JSON_NODE_VALUE);

    fx.calls++;
    json_node_set_string(n, (const char *)req->body);
    resp->status = 200;
    resp->body = n;
}

static void h_big(void *opaque, const http_message *req, api_response *resp)
{
    g_autofree char *s = g_malloc(BIG_BYTES + 1);
    JsonNode *n = json_node_new(JSON_NODE_VALUE);

    fx.calls++;
    memset(s, 'x', BIG_BYTES);
    s[BIG_BYTES] = '\0';
    json_node_set_string(n, s);
    resp->status = 200;
    resp->body = n;
}

static void h_forgetful(void *opaque, const http_message *req, api_response *resp)
{
    fx.calls++;
}

static void after_cb(void *opaque)
{
    struct fixture *f = opaque;
    static const char want[] = "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n";
    char buf[256];
    ssize_t n;

    f->after_runs++;
    f->after_ran = true;
    if (!f->after_client)
        return;
    n = recv(f->after_client->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
    f->after_saw_answer = n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

static void h_after(void *opaque, const http_message *req, api_response *resp)
{
    fx.calls++;
    api_server_after_reply(fx.server, after_cb, &fx);
    /* Not run from inside the handler. */
    ck_assert(!fx.after_ran);
    resp->status = 204;
}

static const api_route routes[] = {
    { "test.json", "GET", h_json },
    { "test.empty", "PUT", h_empty },
    { "test.echo", "PUT", h_echo },
    { "test.both", "GET", h_json },
    { "test.both", "PUT", h_empty },
    { "test.big", "GET", h_big },
    { "test.after", "PUT", h_after },
    { "test.forgetful", "GET", h_forgetful },
};

static gboolean guard_fired(gpointer data)
{
    fx.guard_fired = true;
    return G_SOURCE_REMOVE;
}

static void setup(void)
{
    g_autoptr(GError) error = NULL;
    int fd;

    memset(&fx, 0, sizeof(fx));
    fx.dir = g_dir_make_tmp("skiff-api-XXXXXX", &error);
    ck_assert_ptr_nonnull(fx.dir);
    fx.path = g_build_filename(fx.dir, "api.sock", NULL);
    fx.ctx = g_main_context_new();
    fd = api_socket_listen(fx.path, &error);
    ck_assert_msg(fd >= 0, "%s", error ? error->message : "");
    fx.server = api_server_new(fx.ctx, fd, routes, G_N_ELEMENTS(routes), &fx, &error);
    ck_assert_ptr_nonnull(fx.server);
    api_server_set_timeouts(fx.server, REQUEST_MS, IDLE_MS);
    /* Only a bound on a broken test, never a synchronisation. */
    fx.guard = g_timeout_source_new(GUARD_MS);
    g_source_set_callback(fx.guard, guard_fired, NULL, NULL);
    g_source_attach(fx.guard, fx.ctx);
}

static void teardown(void)
{
    api_server_free(fx.server);
    g_source_destroy(fx.guard);
    g_source_unref(fx.guard);
    g_main_context_unref(fx.ctx);
    g_unlink(fx.path);
    g_rmdir(fx.dir);
    g_free(fx.path);
    g_free(fx.dir);
}

static int connect_to(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static struct client *client_new(void)
{
    struct client *c = g_new0(struct client, 1);

    c->fd = connect_to(fx.path);
    ck_assert_int_ge(c->fd, 0);
    c->in = g_byte_array_new();
    return c;
}

static void client_free(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    g_byte_array_unref(c->in);
    g_free(c);
}

static void client_send(struct client *c, const char *data, size_t len)
{
    ck_assert_int_eq(send(c->fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

#define client_say(c, s) client_send(c, s, strlen(s))

static void client_poll(struct client *c)
{
    uint8_t buf[65536];

    while (!c->eof && !c->error) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n > 0) {
            g_byte_array_append(c->in, buf, (guint)n);
        } else if (n == 0) {
            c->eof = true;
            c->eof_at = g_get_monotonic_time();
        } else if (errno != EAGAIN && errno != EINTR) {
            c->error = errno;
            c->eof_at = g_get_monotonic_time();
        } else {
            break;
        }
    }
}

/* Iterates the server until pred holds; fails the test at the guard. */
static void pump_until(bool (*pred)(void *data), void *data)
{
    while (!pred(data)) {
        ck_assert_msg(!fx.guard_fired, "timed out waiting for the server");
        g_main_context_iteration(fx.ctx, TRUE);
    }
}

/* The first whole response in c->in, removed from it; false if not there yet. */
static bool take_response(struct client *c, http_message *m)
{
    g_autoptr(http_parser) p = http_parser_new(true);
    enum http_parse_result r;

    client_poll(c);
    r = c->eof ? http_parser_finish(p, c->in->data, c->in->len, m)
               : http_parse(p, c->in->data, c->in->len, m);
    ck_assert_msg(r != HTTP_PARSE_ERROR, "bad response: %s", http_parser_error_message(p));
    if (r != HTTP_PARSE_DONE)
        return false;
    g_byte_array_remove_range(c->in, 0, (guint)http_parser_consumed(p));
    return true;
}

struct wait_response {
    struct client *c;
    http_message *m;
};

static bool response_arrived(void *data)
{
    struct wait_response *w = data;

    return take_response(w->c, w->m);
}

static void await_response(struct client *c, http_message *m)
{
    struct wait_response w = { c, m };

    pump_until(response_arrived, &w);
}

static bool client_closed(void *data)
{
    struct client *c = data;

    client_poll(c);
    return c->eof || c->error;
}

static void await_close(struct client *c)
{
    pump_until(client_closed, c);
}

static JsonNode *body_json(const http_message *m)
{
    g_autoptr(JsonParser) p = json_parser_new();

    ck_assert_str_eq(http_message_header(m, "Content-Type"), "application/json");
    ck_assert(json_parser_load_from_data(p, (const char *)m->body, (gssize)m->body_len, NULL));
    return json_node_ref(json_parser_get_root(p));
}

/* The error member of a JSON error answer. */
static char *error_text(const http_message *m)
{
    g_autoptr(JsonNode) n = body_json(m);
    JsonObject *o = json_node_get_object(n);

    ck_assert_ptr_nonnull(o);
    ck_assert(json_object_has_member(o, "error"));
    return g_strdup(json_object_get_string_member(o, "error"));
}

static void request(struct client *c, const char *raw, http_message *m, unsigned status)
{
    client_say(c, raw);
    await_response(c, m);
    ck_assert_uint_eq(m->status, status);
}

START_TEST(json_and_no_content_keep_alive)
{
    struct client *c = client_new();
    http_message m = { 0 };
    g_autoptr(JsonNode) n = NULL;

    request(c, "GET /api/v1/test.json HTTP/1.1\r\nHost: localhost\r\n\r\n", &m, 200);
    n = body_json(&m);
    ck_assert_str_eq(json_object_get_string_member(json_node_get_object(n), "hello"), "world");
    ck_assert_str_eq(http_message_header(&m, "Content-Length"), "17");
    ck_assert(m.keep_alive);
    /* Same connection, next request. */
    request(c, "PUT /api/v1/test.empty HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &m, 204);
    ck_assert_uint_eq(m.body_len, 0);
    ck_assert_ptr_null(http_message_header(&m, "Content-Length"));
    ck_assert_ptr_null(http_message_header(&m, "Content-Type"));
    request(c, "PUT /api/v1/test.echo HTTP/1.1\r\nContent-Length: 9\r\n\r\n{\"a\": 1}\n", &m,
            200);
    ck_assert_str_eq((char *)m.body, "\"{\\\"a\\\": 1}\\n\"");
    ck_assert_int_eq(fx.calls, 3);
    ck_assert(!c->eof);
    http_message_clear(&m);
    client_free(c);
}
END_TEST

START_TEST(pipelined_in_order)
{
    struct client *c = client_new();
    http_message m = { 0 };

    client_say(c, "PUT /api/v1/test.echo HTTP/1.1\r\nContent-Length: 3\r\n\r\none"
                  "PUT /api/v1/test.echo HTTP/1.1\r\nContent-Length: 3\r\n\r\ntwo"
                  "GET /api/v1/test.json HTTP/1.1\r\nConnection: close\r\n\r\n"
                  "GET /api/v1/test.json HTTP/1.1\r\n\r\n");
    /* All answered without waiting for any timer or further input. */
    while (g_main_context_iteration(fx.ctx, FALSE))
        ;
    ck_assert(take_response(c, &m));
    ck_assert_str_eq((char *)m.body, "\"one\"");
    ck_assert(take_response(c, &m));
    ck_assert_str_eq((char *)m.body, "\"two\"");
    ck_assert(take_response(c, &m));
    ck_assert_uint_eq(m.status, 200);
    ck_assert_str_eq(http_message_header(&m, "Connection"), "close");
    /* Nothing after "Connection: close" is answered. */
    await_close(c);
    ck_assert_uint_eq(c->in->len, 0);
    ck_assert_int_eq(c->error, 0);
    ck_assert_int_eq(fx.calls, 3);
    http_message_clear(&m);
    client_free(c);
}
END_TEST

START_TEST(http10_closes)
{
    struct client *c = client_new();
    http_message m = { 0 };

    request(c, "GET /api/v1/test.json HTTP/1.0\r\n\r\n", &m, 200);
    ck_assert(!m.keep_alive);
    await_close(c);
    ck_assert_int_eq(c->error, 0);
    http_message_clear(&m);
    client_free(c);
}
END_TEST

START_TEST(unknown_endpoint_404_keeps_connection)
{
    struct client *c = client_new();
    http_message m = { 0 };
    g_autofree char *e1 = NULL;
    g_autofree char *e2 = NULL;
    g_autofree char *e3 = NULL;

    request(c, "GET /api/v1/vm.nothing HTTP/1.1\r\n\r\n", &m, 404);
    e1 = error_text(&m);
    ck_assert_ptr_nonnull(strstr(e1, "no such endpoint: /api/v1/vm.nothing"));
    request(c, "GET /other/test.json HTTP/1.1\r\n\r\n", &m, 404);
    request(c, "GET /api/v1/ HTTP/1.1\r\n\r\n", &m, 404);
    request(c, "GET /api/v1/test.json/ HTTP/1.1\r\n\r\n", &m, 404);
    request(c, "GET /api/v1/test.json?x=1 HTTP/1.1\r\n\r\n", &m, 400);
    e2 = error_text(&m);
    ck_assert_ptr_nonnull(strstr(e2, "query strings are not supported"));
    /* A handler that forgot to answer is a 500, not a broken connection. */
    request(c, "GET /api/v1/test.forgetful HTTP/1.1\r\n\r\n", &m, 500);
    e3 = error_text(&m);
    ck_assert_ptr_nonnull(strstr(e3, "internal error"));
    /* All of those left the connection usable. */
    request(c, "GET /api/v1/test.json HTTP/1.1\r\n\r\n", &m, 200);
    ck_assert_int_eq(fx.calls, 2);
    http_message_clear(&m);
    client_free(c);
}
END_TEST

START_TEST(wrong_method_405_with_allow)
{
    struct client *c = client_new();
    http_message m = { 0 };
    g_autofree char *e = NULL;

    request(c, "PUT /api/v1/test.json HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &m, 405);
    ck_assert_str_eq(http_message_header(&m, "Allow"), "GET");
    e = error_text(&m);
    ck_assert_ptr_nonnull(strstr(e, "PUT is not allowed on test.json"));
    request(c, "DELETE /api/v1/test.both HTTP/1.1\r\n\r\n", &m, 405);
    ck_assert_str_eq(http_message_header(&m, "Allow"), "GET, PUT");
    request(c, "get /api/v1/test.json HTTP/1.1\r\n\r\n", &m, 405);
    ck_assert_int_eq(fx.calls, 0);
    request(c, "GET /api/v1/test.json HTTP/1.1\r\n\r\n", &m, 200);
    http_message_clear(&m);
    client_free(c);
}
END_TEST

START_TEST(malformed_400_closes)
{
    struct client *c = client_new();
    http_message m = { 0 };
    g_autofree char *e = NULL;

    /* The good request after the bad one must never be answered. */
    request(c, "GET /api/v1/test.json HTTP/1.1\r\nBad Header: x\r\n\r\n"
               "GET /api/v1/test.json HTTP/1.1\r\n\r\n", &m, 400);
    e = error_text(&m);
    ck_assert_ptr_nonnull(strstr(e, "invalid header field name"));
    ck_assert_str_eq(http_message_header(&m, "Connection"), "close");
    await_close(c);
    ck_assert_int_eq(c->error, 0);
    ck_assert_uint_eq(c->in->len, 0);
    ck_assert_int_eq(fx.calls, 0);
    http_message_clear(&m);
    client_free(c);
}
END_TEST

START_TEST(status_errors_over_the_wire)
{
    static const struct {
        const char *raw;
        unsigned status;
    } cases[] = {
        { "GET /api/v1/test.json HTTP/2.0\r\n\r\n", 505 },
        { "PUT /api/v1/test.echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501 },
        { "PUT /api/v1/test.echo HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", 413 },
        { "GET /api/v1/test.json HTTP/1.1\n\n", 400 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct client *c = client_new();
        http_message m = { 0 };
        g_autofree char *e = NULL;

        request(c, cases[i].raw, &m, cases[i].status);
        e = error_text(&m);
        ck_assert_str_ne(e, "");
        await_close(c);
        http_message_clear(&m);
        client_free(c);
    }
    ck_assert_int_eq(fx.calls, 0);
}
END_TEST

START_TEST(oversized_body_413_while_sending)
{
    struct client *c = client_new();
    http_message m = { 0 };
    g_autofree char *junk = g_malloc0(256 * 1024);
    size_t sent = 0;
    g_autofree char *e = NULL;

    client_say(c, "PUT /api/v1/test.echo HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n");
    /* The client goes on sending its body as far as the socket takes it. */
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    for (;;) {
        ssize_t n = send(c->fd, junk, 256 * 1024, MSG_NOSIGNAL);

        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    ck_assert_uint_gt(sent, 0);
    await_response(c, &m);
    ck_assert_uint_eq(m.status, 413);
    e = error_text(&m);
    ck_assert_ptr_nonnull(strstr(e, "body larger than 1048576 bytes"));
    /* The rest of the body is swallowed, not answered with a reset. */
    while (sent < 2000000) {
        ssize_t n = send(c->fd, junk, MIN(256 * 1024, 2000000 - sent), MSG_NOSIGNAL);

        ck_assert_msg(n > 0 || errno == EAGAIN, "send: %s", g_strerror(errno));
        ck_assert(!fx.guard_fired);
        if (n > 0)
            sent += (size_t)n;
        else
            g_main_context_iteration(fx.ctx, FALSE);
    }
    shutdown(c->fd, SHUT_WR);
    await_close(c);
    ck_assert_int_eq(c->error, 0);
    ck_assert_int_eq(fx.calls, 0);
    http_message_clear(&m);
    client_free(c);
}
END_TEST

struct two_clients {
    struct client *a;
    struct client *b;
    http_message *m;
};

/* B has its answer; A (if any) polled on the way, to see it stays open. */
static bool b_answered(void *data)
{
    struct two_clients *t = data;

    if (t->a)
        client_poll(t->a);
    return take_response(t->b, t->m);
}

START_TEST(half_request_does_not_block_others)
{
    gint64 start = g_get_monotonic_time();
    struct client *a = client_new();
    struct client *b = client_new();
    http_message m = { 0 };
    struct two_clients t = { a, b, &m };
    g_autofree char *e = NULL;

    client_say(a, "PUT /api/v1/test.echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"h");
    client_say(b, "GET /api/v1/test.json HTTP/1.1\r\n\r\n");
    pump_until(b_answered, &t);
    ck_assert_uint_eq(m.status, 200);
    /* B got its answer while A was still connected and unanswered. */
    ck_assert(!a->eof && !a->error);
    ck_assert_uint_eq(a->in->len, 0);
    /* A is told and dropped once its time is up, not before. */
    await_close(a);
    ck_assert_int_ge(a->eof_at - start, REQUEST_MS * 1000);
    ck_assert(take_response(a, &m));
    ck_assert_uint_eq(m.status, 408);
    e = error_text(&m);
    ck_assert_ptr_nonnull(strstr(e, "not complete in time"));
    /* B, which is idle, outlives A's request timeout. */
    client_poll(b);
    ck_assert(!b->eof && !b->error);
    ck_assert_int_eq(fx.calls, 1);
    http_message_clear(&m);
    client_free(a);
    client_free(b);
}
END_TEST

START_TEST(silent_and_idle_clients_dropped)
{
    gint64 start = g_get_monotonic_time();
    struct client *silent = client_new();
    struct client *idle = client_new();
    http_message m = { 0 };
    gint64 asked = g_get_monotonic_time();

    request(idle, "GET /api/v1/test.json HTTP/1.1\r\n\r\n", &m, 200);
    /* Connected and never said anything: the request timeout. */
    await_close(silent);
    ck_assert_int_ge(silent->eof_at - start, REQUEST_MS * 1000);
    ck_assert_uint_eq(silent->in->len, 0);
    /* Answered and then quiet: the longer idle timeout, from the answer on. */
    client_poll(idle);
    ck_assert(!idle->eof);
    await_close(idle);
    ck_assert_int_ge(idle->eof_at - asked, IDLE_MS * 1000);
    ck_assert_uint_eq(idle->in->len, 0);
    http_message_clear(&m);
    client_free(silent);
    client_free(idle);
}
END_TEST

/* The server closed its end; asked without reading what it sent. */
static bool server_side_gone(void *data)
{
    struct client *c = data;
    struct pollfd pfd = { .fd = c->fd, .events = POLLRDHUP };

    return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP));
}

START_TEST(non_reading_client_dropped)
{
    gint64 start = g_get_monotonic_time();
    struct client *a = client_new();
    struct client *b = client_new();
    http_message m = { 0 };
    struct two_clients t = { NULL, b, &m };

    client_say(a, "GET /api/v1/test.big HTTP/1.1\r\n\r\n");
    /* A never reads: the server fills A's socket, then serves B. */
    while (fx.calls == 0) {
        ck_assert(!fx.guard_fired);
        g_main_context_iteration(fx.ctx, TRUE);
    }
    client_say(b, "GET /api/v1/test.json HTTP/1.1\r\n\r\n");
    pump_until(b_answered, &t);
    ck_assert_uint_eq(m.status, 200);
    ck_assert(!server_side_gone(a));
    pump_until(server_side_gone, a);
    ck_assert_int_ge(g_get_monotonic_time() - start, REQUEST_MS * 1000);
    /* What had fit into the socket, then the end: never the whole answer. */
    await_close(a);
    ck_assert_uint_gt(a->in->len, 0);
    ck_assert_uint_lt(a->in->len, BIG_BYTES);
    ck_assert_int_eq(fx.calls, 2);
    client_poll(b);
    ck_assert(!b->eof && !b->error);
    http_message_clear(&m);
    client_free(a);
    client_free(b);
}
END_TEST

START_TEST(many_clients)
{
    struct client *c[40];
    http_message m = { 0 };

    for (size_t i = 0; i < G_N_ELEMENTS(c); i++)
        c[i] = client_new();
    for (size_t i = G_N_ELEMENTS(c); i-- > 0;)
        client_say(c[i], "GET /api/v1/test.json HTTP/1.1\r\n\r\n");
    for (size_t i = 0; i < G_N_ELEMENTS(c); i++) {
        await_response(c[i], &m);
        ck_assert_uint_eq(m.status, 200);
        client_free(c[i]);
    }
    ck_assert_int_eq(fx.calls, (int)G_N_ELEMENTS(c));
    http_message_clear(&m);
}
END_TEST

START_TEST(byte_at_a_time_request)
{
    static const char raw[] = "PUT /api/v1/test.echo HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd";
    struct client *c = client_new();
    http_message m = { 0 };

    for (size_t i = 0; i < strlen(raw); i++) {
        client_send(c, raw + i, 1);
        while (g_main_context_iteration(fx.ctx, FALSE))
            ;
        ck_assert_int_eq(fx.calls, i + 1 == strlen(raw) ? 1 : 0);
    }
    await_response(c, &m);
    ck_assert_str_eq((char *)m.body, "\"abcd\"");
    http_message_clear(&m);
    client_free(c);
}
END_TEST

START_TEST(expect_100_continue)
{
    struct client *c = client_new();
    http_message m = { 0 };

    request(c, "PUT /api/v1/test.echo HTTP/1.1\r\nExpect: 100-continue\r\n"
               "Content-Length: 2\r\n\r\n", &m, 100);
    ck_assert_int_eq(fx.calls, 0);
    request(c, "ok", &m, 200);
    ck_assert_str_eq((char *)m.body, "\"ok\"");
    http_message_clear(&m);
    client_free(c);
}
END_TEST

static bool after_ran(void *data)
{
    return fx.after_ran;
}

START_TEST(after_reply_runs_after_the_answer)
{
    struct client *c = client_new();
    http_message m = { 0 };

    fx.after_client = c;
    client_say(c, "PUT /api/v1/test.after HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    pump_until(after_ran, NULL);
    ck_assert_int_eq(fx.after_runs, 1);
    ck_assert(fx.after_saw_answer);
    await_response(c, &m);
    ck_assert_uint_eq(m.status, 204);
    /* Once only. */
    while (g_main_context_iteration(fx.ctx, FALSE))
        ;
    ck_assert_int_eq(fx.after_runs, 1);
    http_message_clear(&m);
    client_free(c);
}
END_TEST

START_TEST(after_reply_runs_when_client_left)
{
    struct client *c = client_new();

    client_say(c, "PUT /api/v1/test.after HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    close(c->fd);
    c->fd = -1;
    pump_until(after_ran, NULL);
    ck_assert_int_eq(fx.after_runs, 1);
    ck_assert_int_eq(fx.calls, 1);
    client_free(c);
}
END_TEST

START_TEST(route_matching)
{
    unsigned status = 0;

    ck_assert_ptr_eq(api_route_match(routes, G_N_ELEMENTS(routes), "GET", "/api/v1/test.json",
                                     &status), &routes[0]);
    ck_assert_ptr_eq(api_route_match(routes, G_N_ELEMENTS(routes), "PUT", "/api/v1/test.both",
                                     &status), &routes[4]);
    ck_assert_ptr_null(api_route_match(routes, G_N_ELEMENTS(routes), "PUT", "/api/v1/test.json",
                                       &status));
    ck_assert_uint_eq(status, 405);
    ck_assert_ptr_null(api_route_match(routes, G_N_ELEMENTS(routes), "GET", "/api/v1/test",
                                       &status));
    ck_assert_uint_eq(status, 404);
    ck_assert_ptr_null(api_route_match(routes, G_N_ELEMENTS(routes), "GET", "/api/v2/test.json",
                                       &status));
    ck_assert_uint_eq(status, 404);
    ck_assert_ptr_null(api_route_match(routes, G_N_ELEMENTS(routes), "GET", "/api/v1",
                                       &status));
    ck_assert_uint_eq(status, 404);
    ck_assert_ptr_null(api_route_match(routes, G_N_ELEMENTS(routes), "GET",
                                       "/api/v1/test.json#frag", &status));
    ck_assert_uint_eq(status, 400);
    ck_assert_ptr_null(api_route_match(routes, G_N_ELEMENTS(routes), "GET", "/api/v1/?",
                                       &status));
    ck_assert_uint_eq(status, 400);
}
END_TEST

START_TEST(error_response_members)
{
    api_response resp = { 0 };
    g_autofree char *json = NULL;

    api_response_error(&resp, 405, "wrong \"state\"", "state", "Running", "request", "vm.boot",
                       "none", NULL, NULL);
    ck_assert_uint_eq(resp.status, 405);
    json = json_to_string(resp.body, FALSE);
    ck_assert_str_eq(json, "{\"error\":\"wrong \\\"state\\\"\",\"state\":\"Running\","
                           "\"request\":\"vm.boot\",\"none\":null}");
    /* A second call replaces the first answer. */
    api_response_error(&resp, 404, "gone", NULL);
    ck_assert_uint_eq(resp.status, 404);
    json_node_unref(resp.body);
}
END_TEST

static char *temp_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *d = g_dir_make_tmp("skiff-sock-XXXXXX", &error);

    ck_assert_ptr_nonnull(d);
    return d;
}

START_TEST(socket_mode_0600)
{
    g_autofree char *dir = temp_dir();
    g_autofree char *path = g_build_filename(dir, "s", NULL);
    g_autoptr(GError) error = NULL;
    struct stat st;
    mode_t old = umask(0);
    int fd = api_socket_listen(path, &error);

    umask(old);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    close(fd);
    g_unlink(path);
    g_rmdir(dir);
}
END_TEST

START_TEST(stale_socket_replaced)
{
    g_autofree char *dir = temp_dir();
    g_autofree char *path = g_build_filename(dir, "s", NULL);
    g_autoptr(GError) error = NULL;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int old = socket(AF_UNIX, SOCK_STREAM, 0);
    int fd;
    int probe;

    /* A socket file nobody listens on: what a crashed skiff leaves. */
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    ck_assert_int_eq(bind(old, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(old);
    ck_assert_int_lt(connect_to(path), 0);
    fd = api_socket_listen(path, &error);
    ck_assert_msg(fd >= 0, "%s", error ? error->message : "");
    probe = connect_to(path);
    ck_assert_int_ge(probe, 0);
    close(probe);
    close(fd);
    g_unlink(path);
    g_rmdir(dir);
}
END_TEST

START_TEST(socket_in_use_refused)
{
    g_autofree char *dir = temp_dir();
    g_autofree char *path = g_build_filename(dir, "s", NULL);
    g_autoptr(GError) error = NULL;
    int first = api_socket_listen(path, NULL);
    int probe;

    ck_assert_int_ge(first, 0);
    ck_assert_int_eq(api_socket_listen(path, &error), -1);
    ck_assert(g_error_matches(error, SKIFF_ERROR, SKIFF_ERROR_EXISTS));
    ck_assert_ptr_nonnull(strstr(error->message, "in use"));
    /* The first owner still has its socket. */
    probe = connect_to(path);
    ck_assert_int_ge(probe, 0);
    close(probe);
    close(first);
    g_unlink(path);
    g_rmdir(dir);
}
END_TEST

START_TEST(socket_path_checks)
{
    g_autofree char *dir = temp_dir();
    g_autofree char *path = g_build_filename(dir, "file", NULL);
    g_autofree char *longpath = g_strnfill(200, 'a');
    g_autoptr(GError) error = NULL;
    g_autofree char *contents = NULL;

    ck_assert(g_file_set_contents(path, "keep", -1, NULL));
    ck_assert_int_eq(api_socket_listen(path, &error), -1);
    ck_assert_ptr_nonnull(strstr(error->message, "not a socket"));
    ck_assert(g_file_get_contents(path, &contents, NULL, NULL));
    ck_assert_str_eq(contents, "keep");
    g_clear_error(&error);
    ck_assert_int_eq(api_socket_listen(longpath, &error), -1);
    ck_assert(g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG));
    g_clear_error(&error);
    ck_assert_int_eq(api_socket_listen("", &error), -1);
    g_unlink(path);
    g_rmdir(dir);
}
END_TEST

START_TEST(server_needs_a_listening_socket)
{
    g_autoptr(GError) error = NULL;
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_ptr_null(api_server_new(NULL, sv[0], routes, 1, NULL, &error));
    ck_assert_ptr_nonnull(strstr(error->message, "not a listening stream socket"));
    /* Ownership was taken: the fd is closed, so its peer sees EOF. */
    ck_assert_int_eq(fcntl(sv[0], F_GETFD), -1);
    ck_assert_int_eq(errno, EBADF);
    close(sv[1]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("api-server");
    TCase *tc = tcase_create("server");
    TCase *ts = tcase_create("socket");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, json_and_no_content_keep_alive);
    tcase_add_test(tc, pipelined_in_order);
    tcase_add_test(tc, http10_closes);
    tcase_add_test(tc, unknown_endpoint_404_keeps_connection);
    tcase_add_test(tc, wrong_method_405_with_allow);
    tcase_add_test(tc, malformed_400_closes);
    tcase_add_test(tc, status_errors_over_the_wire);
    tcase_add_test(tc, oversized_body_413_while_sending);
    tcase_add_test(tc, half_request_does_not_block_others);
    tcase_add_test(tc, silent_and_idle_clients_dropped);
    tcase_add_test(tc, non_reading_client_dropped);
    tcase_add_test(tc, many_clients);
    tcase_add_test(tc, byte_at_a_time_request);
    tcase_add_test(tc, expect_100_continue);
    tcase_add_test(tc, after_reply_runs_after_the_answer);
    tcase_add_test(tc, after_reply_runs_when_client_left);
    tcase_add_test(tc, route_matching);
    tcase_add_test(tc, error_response_members);
    suite_add_tcase(s, tc);
    tcase_add_test(ts, socket_mode_0600);
    tcase_add_test(ts, stale_socket_replaced);
    tcase_add_test(ts, socket_in_use_refused);
    tcase_add_test(ts, socket_path_checks);
    tcase_add_test(ts, server_needs_a_listening_socket);
    suite_add_tcase(s, ts);
    return test_run_suite(s);
}
