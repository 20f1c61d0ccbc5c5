/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The HTTP/1.1 parser: good requests and responses, every refusal with its
 * status, the limits exactly at and one over, and the same outcome whether a
 * message arrives whole or a byte at a time.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"

#include "testutil.h"

struct outcome {
    enum http_parse_result r;
    unsigned status;
    char *message;
    size_t consumed;
    http_message msg;
};

static void outcome_clear(struct outcome *o)
{
    g_free(o->message);
    http_message_clear(&o->msg);
}

static void parse_whole(bool response, const uint8_t *buf, size_t len, struct outcome *o)
{
    g_autoptr(http_parser) p = http_parser_new(response);

    memset(o, 0, sizeof(*o));
    o->r = http_parse(p, buf, len, &o->msg);
    o->status = http_parser_error_status(p);
    o->message = g_strdup(http_parser_error_message(p));
    o->consumed = o->r == HTTP_PARSE_DONE ? http_parser_consumed(p) : 0;
}

/* Offers 1, 2, ... len bytes of the same buffer, stopping at the first
 * answer that is not INCOMPLETE. */
static void parse_bytewise(bool response, const uint8_t *buf, size_t len, struct outcome *o,
                           size_t *stopped_at)
{
    g_autoptr(http_parser) p = http_parser_new(response);

    memset(o, 0, sizeof(*o));
    o->r = HTTP_PARSE_INCOMPLETE;
    *stopped_at = len;
    for (size_t i = 1; i <= len; i++) {
        o->r = http_parse(p, buf, i, &o->msg);
        if (o->r != HTTP_PARSE_INCOMPLETE) {
            *stopped_at = i;
            break;
        }
    }
    o->status = http_parser_error_status(p);
    o->message = g_strdup(http_parser_error_message(p));
    o->consumed = o->r == HTTP_PARSE_DONE ? http_parser_consumed(p) : 0;
}

static void assert_same_message(const http_message *a, const http_message *b)
{
    ck_assert_str_eq(a->method ? a->method : "", b->method ? b->method : "");
    ck_assert_str_eq(a->target ? a->target : "", b->target ? b->target : "");
    ck_assert_uint_eq(a->status, b->status);
    ck_assert_uint_eq(a->version_minor, b->version_minor);
    ck_assert_uint_eq(a->n_headers, b->n_headers);
    for (unsigned i = 0; i < a->n_headers; i++) {
        ck_assert_str_eq(a->headers[i].name, b->headers[i].name);
        ck_assert_str_eq(a->headers[i].value, b->headers[i].value);
    }
    ck_assert_uint_eq(a->body_len, b->body_len);
    ck_assert_int_eq(memcmp(a->body, b->body, a->body_len), 0);
    ck_assert_int_eq(a->keep_alive, b->keep_alive);
}

/* Parses whole and byte by byte, checks both agree, returns the whole one. */
static void parse_both(bool response, const void *data, size_t len, struct outcome *o)
{
    struct outcome bw;
    size_t stopped_at;

    parse_whole(response, data, len, o);
    parse_bytewise(response, data, len, &bw, &stopped_at);
    ck_assert_int_eq(o->r, bw.r);
    ck_assert_uint_eq(o->status, bw.status);
    ck_assert_str_eq(o->message, bw.message);
    if (o->r == HTTP_PARSE_DONE) {
        ck_assert_uint_eq(o->consumed, bw.consumed);
        /* Done exactly when the last byte of the message arrived. */
        ck_assert_uint_eq(stopped_at, o->consumed);
        assert_same_message(&o->msg, &bw.msg);
    }
    outcome_clear(&bw);
}

static void expect_error(const char *raw, size_t len, unsigned status, const char *reason)
{
    struct outcome o;

    parse_both(false, raw, len, &o);
    if (o.r != HTTP_PARSE_ERROR || o.status != status || !strstr(o.message, reason))
        ck_abort_msg("request %.60s: got result %d status %u \"%s\", want %u \"%s\"", raw, o.r,
                     o.status, o.message, status, reason);
    outcome_clear(&o);
}

#define EXPECT_ERROR(raw, status, reason) expect_error(raw, sizeof(raw) - 1, status, reason)

START_TEST(get_without_body)
{
    static const char raw[] = "GET /api/v1/vm.info HTTP/1.1\r\nHost: localhost\r\n"
                              "Accept:application/json\r\n\r\n";
    struct outcome o;

    parse_both(false, raw, strlen(raw), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(o.consumed, strlen(raw));
    ck_assert(!o.msg.is_response);
    ck_assert_str_eq(o.msg.method, "GET");
    ck_assert_str_eq(o.msg.target, "/api/v1/vm.info");
    ck_assert_uint_eq(o.msg.version_minor, 1);
    ck_assert_uint_eq(o.msg.n_headers, 2);
    ck_assert_str_eq(o.msg.headers[0].name, "Host");
    ck_assert_str_eq(http_message_header(&o.msg, "accept"), "application/json");
    ck_assert_ptr_null(http_message_header(&o.msg, "Content-Length"));
    ck_assert_uint_eq(o.msg.body_len, 0);
    ck_assert_ptr_nonnull(o.msg.body);
    ck_assert_uint_eq(o.msg.body[0], 0);
    ck_assert(o.msg.keep_alive);
    outcome_clear(&o);
}
END_TEST

START_TEST(put_with_body)
{
    static const char body[] = "{\"cpus\": {\"boot_vcpus\": 2}}";
    g_autofree char *raw = g_strdup_printf("PUT /api/v1/vm.create HTTP/1.1\r\n"
                                           "Content-Type: application/json\r\n"
                                           "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    struct outcome o;

    parse_both(false, raw, strlen(raw), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(o.consumed, strlen(raw));
    ck_assert_str_eq(o.msg.method, "PUT");
    ck_assert_uint_eq(o.msg.body_len, strlen(body));
    ck_assert_str_eq((char *)o.msg.body, body);
    outcome_clear(&o);

    /* Bytes after the body belong to the next message, not to this one. */
    g_autofree char *more = g_strconcat(raw, "GET", NULL);
    parse_whole(false, (const uint8_t *)more, strlen(more), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(o.consumed, strlen(raw));
    outcome_clear(&o);
}
END_TEST

START_TEST(header_values_trimmed)
{
    static const char raw[] = "GET / HTTP/1.1\r\nX-A: \t spaced out \t\r\nX-Empty:\r\n"
                              "X-Obs: caf\xc3\xa9\r\n\r\n";
    struct outcome o;

    parse_both(false, raw, strlen(raw), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_str_eq(http_message_header(&o.msg, "x-a"), "spaced out");
    ck_assert_str_eq(http_message_header(&o.msg, "X-EMPTY"), "");
    ck_assert_str_eq(http_message_header(&o.msg, "X-Obs"), "caf\xc3\xa9");
    outcome_clear(&o);
}
END_TEST

static bool keep_alive_of(const char *raw)
{
    struct outcome o;
    bool k;

    parse_both(false, raw, strlen(raw), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    k = o.msg.keep_alive;
    outcome_clear(&o);
    return k;
}

START_TEST(keep_alive_rules)
{
    ck_assert(keep_alive_of("GET / HTTP/1.1\r\n\r\n"));
    ck_assert(!keep_alive_of("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
    ck_assert(!keep_alive_of("GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n"));
    ck_assert(!keep_alive_of("GET / HTTP/1.1\r\nConnection: x\r\nConnection: close\r\n\r\n"));
    ck_assert(keep_alive_of("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n"));
    ck_assert(!keep_alive_of("GET / HTTP/1.0\r\n\r\n"));
    ck_assert(keep_alive_of("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}
END_TEST

START_TEST(pipelined_requests)
{
    static const char raw[] = "PUT /api/v1/vm.boot HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
                              "GET /api/v1/vm.info HTTP/1.1\r\n\r\n"
                              "GET /api/v1/vmm.ping HTTP/1.1\r\n\r";
    g_autoptr(http_parser) p = http_parser_new(false);
    http_message m = { 0 };
    const uint8_t *b = (const uint8_t *)raw;
    size_t left = strlen(raw);
    size_t used;

    ck_assert_int_eq(http_parse(p, b, left, &m), HTTP_PARSE_DONE);
    ck_assert_str_eq(m.target, "/api/v1/vm.boot");
    ck_assert_str_eq((char *)m.body, "{}");
    used = http_parser_consumed(p);
    ck_assert_uint_eq(used, strlen("PUT /api/v1/vm.boot HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"));
    b += used;
    left -= used;
    /* The same msg is reused: the parser clears it. */
    ck_assert_int_eq(http_parse(p, b, left, &m), HTTP_PARSE_DONE);
    ck_assert_str_eq(m.target, "/api/v1/vm.info");
    ck_assert_uint_eq(m.body_len, 0);
    used = http_parser_consumed(p);
    ck_assert_uint_eq(used, strlen("GET /api/v1/vm.info HTTP/1.1\r\n\r\n"));
    b += used;
    left -= used;
    ck_assert_int_eq(http_parse(p, b, left, &m), HTTP_PARSE_INCOMPLETE);
    /* The previous message is still there until a new one is done. */
    ck_assert_str_eq(m.target, "/api/v1/vm.info");
    http_message_clear(&m);
}
END_TEST

START_TEST(restart_and_reset)
{
    static const char a[] = "GET /aaaa HTTP/1.1\r\nX: 1\r\n";
    static const char b[] = "GET /b HTTP/1.1\r\n\r\n";
    static const char c[] = "GET /cccccccccccccccccccccc HTTP/1.1\r\n\r\n";
    g_autoptr(http_parser) p = http_parser_new(false);
    http_message m = { 0 };

    ck_assert_int_eq(http_parse(p, (const uint8_t *)a, strlen(a), &m), HTTP_PARSE_INCOMPLETE);
    /* Fewer bytes than before: a new message. */
    ck_assert_int_eq(http_parse(p, (const uint8_t *)b, strlen(b), &m), HTTP_PARSE_DONE);
    ck_assert_str_eq(m.target, "/b");
    ck_assert_int_eq(http_parse(p, (const uint8_t *)a, strlen(a), &m), HTTP_PARSE_INCOMPLETE);
    http_parser_reset(p);
    ck_assert_int_eq(http_parse(p, (const uint8_t *)c, strlen(c), &m), HTTP_PARSE_DONE);
    ck_assert_str_eq(m.target, "/cccccccccccccccccccccc");
    http_message_clear(&m);
}
END_TEST

START_TEST(request_line_errors)
{
    EXPECT_ERROR("\r\n", 400, "empty request line");
    EXPECT_ERROR("GET /x\r\n\r\n", 400, "malformed request line");
    EXPECT_ERROR("GET\r\n\r\n", 400, "malformed request line");
    EXPECT_ERROR("GET  /x HTTP/1.1\r\n\r\n", 400, "malformed request line");
    EXPECT_ERROR(" GET /x HTTP/1.1\r\n\r\n", 400, "malformed request line");
    EXPECT_ERROR("GET /x  HTTP/1.1\r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET /x HTTP/1.1 \r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("G(T /x HTTP/1.1\r\n\r\n", 400, "malformed request line");
    EXPECT_ERROR("GET /\x80 HTTP/1.1\r\n\r\n", 400, "invalid character in the request target");
    EXPECT_ERROR("GET /x\tHTTP/1.1\r\n\r\n", 400, "malformed request line");
    EXPECT_ERROR("GET /x http/1.1\r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET /x HTTP/11\r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET /x HTTP/1.1.1\r\n\r\n", 400, "malformed HTTP version");
    EXPECT_ERROR("GET /x HTTP/2.0\r\n\r\n", 505, "only HTTP/1.0 and HTTP/1.1");
    EXPECT_ERROR("GET /x HTTP/1.2\r\n\r\n", 505, "only HTTP/1.0 and HTTP/1.1");
    EXPECT_ERROR("GET /x HTTP/0.9\r\n\r\n", 505, "only HTTP/1.0 and HTTP/1.1");
    /* Refused as soon as the line is complete: no blank line needed. */
    EXPECT_ERROR("GET /x HTTP/3.0\r\n", 505, "only HTTP/1.0 and HTTP/1.1");
}
END_TEST

START_TEST(line_ending_and_control_errors)
{
    EXPECT_ERROR("GET /x HTTP/1.1\n\n", 400, "bare LF");
    EXPECT_ERROR("GET /x HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400, "bare LF");
    EXPECT_ERROR("GET /x HTTP/1.1\r\nHost: a\r\n\n", 400, "bare LF");
    EXPECT_ERROR("\n", 400, "bare LF");
    EXPECT_ERROR("GET /x HTTP/1.1\r\nX: a\rb\r\n\r\n", 400, "CR without LF");
    EXPECT_ERROR("GET /x HTTP/1.1\r\r\n\r\n", 400, "CR without LF");
    EXPECT_ERROR("GET /x HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400, "control character");
    EXPECT_ERROR("GET /\x7f HTTP/1.1\r\n\r\n", 400, "control character");
    /* A NUL is caught where it is, long before any blank line. */
    EXPECT_ERROR("GET /\0", 400, "control character");
    EXPECT_ERROR("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, "control character");
}
END_TEST

START_TEST(header_errors)
{
    EXPECT_ERROR("GET /x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "folding");
    EXPECT_ERROR("GET /x HTTP/1.1\r\n\tfolded\r\n\r\n", 400, "folding");
    EXPECT_ERROR("GET /x HTTP/1.1\r\nHo st: a\r\n\r\n", 400, "invalid header field name");
    EXPECT_ERROR("GET /x HTTP/1.1\r\nHost : a\r\n\r\n", 400, "invalid header field name");
    EXPECT_ERROR("GET /x HTTP/1.1\r\n: a\r\n\r\n", 400, "invalid header field name");
    EXPECT_ERROR("GET /x HTTP/1.1\r\nX\xc3\xa9: a\r\n\r\n", 400, "invalid header field name");
    EXPECT_ERROR("GET /x HTTP/1.1\r\nNoColon\r\n\r\n", 400, "without a colon");
}
END_TEST

START_TEST(body_framing_errors)
{
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
                 "chunked bodies are not supported");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: 2\r\ntransfer-encoding: gzip\r\n\r\n{}", 501,
                 "chunked bodies are not supported");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400, "invalid Content-Length");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "invalid Content-Length");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: +5\r\n\r\n", 400, "invalid Content-Length");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400, "invalid Content-Length");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "invalid Content-Length");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400, "invalid Content-Length");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: 5,\r\n\r\n", 400, "invalid Content-Length");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", 400, "conflicting");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
                 "conflicting");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", 413, "body larger than");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: 18446744073709551617\r\n\r\n", 413,
                 "body larger than");
    EXPECT_ERROR("PUT /x HTTP/1.1\r\nContent-Length: 99999999999999999999999999999999999\r\n\r\n",
                 413, "body larger than");
}
END_TEST

START_TEST(repeated_identical_lengths)
{
    static const char raw[] = "PUT /x HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3, 003\r\n"
                              "\r\nabcGET";
    struct outcome o;

    parse_both(false, raw, strlen(raw), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_str_eq((char *)o.msg.body, "abc");
    ck_assert_uint_eq(o.consumed, strlen(raw) - 3);
    outcome_clear(&o);
}
END_TEST

/* A request whose head is exactly n bytes: one header padded to fit. */
static char *head_of_size(size_t n)
{
    static const char start[] = "GET /x HTTP/1.1\r\nX-Pad: ";
    GString *s = g_string_new(start);

    g_assert(n >= strlen(start) + 4);
    while (s->len < n - 4)
        g_string_append_c(s, 'p');
    g_string_append(s, "\r\n\r\n");
    g_assert(s->len == n);
    return g_string_free(s, FALSE);
}

START_TEST(header_bytes_limit)
{
    g_autofree char *at = head_of_size(HTTP_MAX_HEADER_BYTES);
    g_autofree char *over = head_of_size(HTTP_MAX_HEADER_BYTES + 1);
    struct outcome o;

    parse_both(false, at, strlen(at), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(o.consumed, HTTP_MAX_HEADER_BYTES);
    outcome_clear(&o);
    expect_error(over, strlen(over), 431, "message head larger than 16384 bytes");
    /* Refused after the limit, without waiting for an end that never comes. */
    expect_error(over, HTTP_MAX_HEADER_BYTES, 431, "message head larger");
}
END_TEST

/* A request line of exactly n bytes with its CRLF. */
static char *request_line_of_size(size_t n, const char *rest)
{
    GString *s = g_string_new("GET /");

    while (s->len < n - strlen(" HTTP/1.1\r\n"))
        g_string_append_c(s, 'a');
    g_string_append(s, " HTTP/1.1\r\n");
    g_assert(s->len == n);
    g_string_append(s, rest);
    return g_string_free(s, FALSE);
}

START_TEST(request_line_limit)
{
    g_autofree char *at = request_line_of_size(HTTP_MAX_HEADER_BYTES - 2, "\r\n");
    g_autofree char *over = request_line_of_size(HTTP_MAX_HEADER_BYTES - 1, "\r\n");
    g_autofree char *endless = request_line_of_size(HTTP_MAX_HEADER_BYTES + 1, "\r\n");
    struct outcome o;

    parse_both(false, at, strlen(at), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(strlen(o.msg.target), HTTP_MAX_HEADER_BYTES - 2 - strlen("GET  HTTP/1.1\r\n"));
    outcome_clear(&o);
    expect_error(over, strlen(over), 431, "message head larger");
    expect_error(endless, strlen(endless), 414, "request line longer than 16384 bytes");
}
END_TEST

START_TEST(header_count_limit)
{
    GString *s = g_string_new("GET /x HTTP/1.1\r\n");
    g_autofree char *at = NULL;
    g_autofree char *over = NULL;
    struct outcome o;

    for (int i = 0; i < HTTP_MAX_HEADERS; i++)
        g_string_append_printf(s, "X-H%d: %d\r\n", i, i);
    over = g_strdup_printf("%sX-One-More: 1\r\n\r\n", s->str);
    g_string_append(s, "\r\n");
    at = g_string_free(s, FALSE);
    parse_both(false, at, strlen(at), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(o.msg.n_headers, HTTP_MAX_HEADERS);
    ck_assert_str_eq(http_message_header(&o.msg, "x-h63"), "63");
    outcome_clear(&o);
    expect_error(over, strlen(over), 431, "more than 64 header fields");
}
END_TEST

static char *request_with_body(size_t body_len, size_t *len)
{
    g_autofree char *head = g_strdup_printf("PUT /api/v1/vm.create HTTP/1.1\r\n"
                                            "Content-Length: %zu\r\n\r\n", body_len);
    size_t hl = strlen(head);
    char *raw = g_malloc(hl + body_len);

    memcpy(raw, head, hl);
    memset(raw + hl, 'b', body_len);
    *len = hl + body_len;
    return raw;
}

START_TEST(body_limit)
{
    size_t len;
    g_autofree char *at = request_with_body(HTTP_MAX_BODY_BYTES, &len);
    g_autofree char *over = NULL;
    g_autoptr(http_parser) p = http_parser_new(false);
    http_message m = { 0 };
    struct outcome o;

    parse_both(false, at, len, &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(o.msg.body_len, HTTP_MAX_BODY_BYTES);
    ck_assert_uint_eq(o.msg.body[HTTP_MAX_BODY_BYTES - 1], 'b');
    ck_assert_uint_eq(o.msg.body[HTTP_MAX_BODY_BYTES], 0);
    outcome_clear(&o);
    /* One byte short of the body is still incomplete. */
    ck_assert_int_eq(http_parse(p, (const uint8_t *)at, len - 1, &m), HTTP_PARSE_INCOMPLETE);
    over = request_with_body(HTTP_MAX_BODY_BYTES + 1, &len);
    /* Refused from the head alone: the body is never waited for. */
    expect_error(over, strlen("PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n"),
                 413, "body larger than 1048576 bytes");
}
END_TEST

START_TEST(expect_continue)
{
    static const char raw[] = "PUT /x HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n{}";
    static const char old[] = "PUT /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    g_autoptr(http_parser) p = http_parser_new(false);
    http_message m = { 0 };
    size_t head = strlen(raw) - 2;

    ck_assert_int_eq(http_parse(p, (const uint8_t *)raw, head - 1, &m), HTTP_PARSE_INCOMPLETE);
    ck_assert(!http_parser_expects_continue(p));
    ck_assert_int_eq(http_parse(p, (const uint8_t *)raw, head, &m), HTTP_PARSE_INCOMPLETE);
    ck_assert(http_parser_expects_continue(p));
    ck_assert_int_eq(http_parse(p, (const uint8_t *)raw, strlen(raw), &m), HTTP_PARSE_DONE);
    ck_assert(!http_parser_expects_continue(p));
    ck_assert_int_eq(http_parse(p, (const uint8_t *)old, strlen(old), &m), HTTP_PARSE_INCOMPLETE);
    ck_assert(!http_parser_expects_continue(p));
    http_message_clear(&m);
}
END_TEST

START_TEST(responses)
{
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             "Content-Length: 2\r\n\r\n{}";
    static const char no_content[] = "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n";
    static const char old[] = "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    static const char bare[] = "HTTP/1.1 500\r\nContent-Length: 1\r\n\r\nx";
    struct outcome o;

    parse_both(true, ok, strlen(ok), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert(o.msg.is_response);
    ck_assert_uint_eq(o.msg.status, 200);
    ck_assert_str_eq(o.msg.reason, "OK");
    ck_assert_str_eq((char *)o.msg.body, "{}");
    ck_assert(o.msg.keep_alive);
    outcome_clear(&o);
    parse_both(true, no_content, strlen(no_content), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(o.msg.status, 204);
    ck_assert_uint_eq(o.msg.body_len, 0);
    outcome_clear(&o);
    parse_both(true, old, strlen(old), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(o.msg.status, 404);
    ck_assert_str_eq(o.msg.reason, "Not Found");
    ck_assert(!o.msg.keep_alive);
    outcome_clear(&o);
    parse_both(true, bare, strlen(bare), &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(o.msg.status, 500);
    ck_assert_str_eq(o.msg.reason, "");
    outcome_clear(&o);
}
END_TEST

START_TEST(response_until_eof)
{
    static const char raw[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this";
    static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort";
    g_autoptr(http_parser) p = http_parser_new(true);
    http_message m = { 0 };

    ck_assert_int_eq(http_parse(p, (const uint8_t *)raw, strlen(raw), &m), HTTP_PARSE_INCOMPLETE);
    ck_assert_int_eq(http_parser_finish(p, (const uint8_t *)raw, strlen(raw), &m),
                     HTTP_PARSE_DONE);
    ck_assert_str_eq((char *)m.body, "all of this");
    ck_assert(!m.keep_alive);
    ck_assert_uint_eq(http_parser_consumed(p), strlen(raw));
    /* A length promised and not delivered is an error at EOF. */
    ck_assert_int_eq(http_parser_finish(p, (const uint8_t *)cut, strlen(cut), &m),
                     HTTP_PARSE_ERROR);
    ck_assert_ptr_nonnull(strstr(http_parser_error_message(p), "closed in the middle"));
    ck_assert_int_eq(http_parser_finish(p, (const uint8_t *)cut, 0, &m), HTTP_PARSE_INCOMPLETE);
    http_message_clear(&m);
}
END_TEST

static void expect_response_error(const char *raw, const char *reason)
{
    struct outcome o;

    parse_both(true, raw, strlen(raw), &o);
    if (o.r != HTTP_PARSE_ERROR || !strstr(o.message, reason))
        ck_abort_msg("response %s: got %d \"%s\", want \"%s\"", raw, o.r, o.message, reason);
    outcome_clear(&o);
}

START_TEST(response_errors)
{
    expect_response_error("HTTP/1.1 20 OK\r\n\r\n", "malformed status");
    expect_response_error("HTTP/1.1 600 Odd\r\n\r\n", "malformed status code");
    expect_response_error("HTTP/1.1 2x0 OK\r\n\r\n", "malformed status code");
    expect_response_error("HTTP/1.1 200OK\r\n\r\n", "malformed status line");
    expect_response_error("HTP/1.1 200 OK\r\n\r\n", "malformed status line");
    expect_response_error("HTTX/1.1 200 OK\r\n\r\n", "malformed HTTP version");
    expect_response_error("HTTP/2.0 200 OK\r\n\r\n", "only HTTP/1.0 and HTTP/1.1");
    expect_response_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                          "chunked responses");
    expect_response_error("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", "body larger");
    expect_response_error("HTTP/1.1 200 OK\n\n", "bare LF");
}
END_TEST

START_TEST(format_round_trip)
{
    static const char body[] = "{\"error\":\"x\"}";
    http_header allow = { (char *)"Allow", (char *)"GET, PUT" };
    g_autoptr(GString) r405 = http_format_response_ext(405, &allow, 1, "application/json", body,
                                                       strlen(body), false);
    g_autoptr(GString) r204 = http_format_response(204, "application/json", body, strlen(body),
                                                   true);
    g_autoptr(GString) req = http_format_request("PUT", "/api/v1/vm.create", "application/json",
                                                 body, strlen(body));
    g_autoptr(GString) get = http_format_request("GET", "/api/v1/vm.info", NULL, NULL, 0);
    struct outcome o;

    ck_assert(g_str_has_prefix(r405->str, "HTTP/1.1 405 Method Not Allowed\r\n"));
    parse_both(true, r405->str, r405->len, &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_uint_eq(o.consumed, r405->len);
    ck_assert_str_eq(http_message_header(&o.msg, "Allow"), "GET, PUT");
    ck_assert_str_eq(http_message_header(&o.msg, "Content-Type"), "application/json");
    ck_assert_str_eq((char *)o.msg.body, body);
    ck_assert(o.msg.keep_alive);
    outcome_clear(&o);

    /* 204: no body, no length, whatever the caller passed. */
    ck_assert_str_eq(r204->str, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");

    parse_both(false, req->str, req->len, &o);
    ck_assert_int_eq(o.r, HTTP_PARSE_DONE);
    ck_assert_str_eq(o.msg.method, "PUT");
    ck_assert_str_eq(o.msg.target, "/api/v1/vm.create");
    ck_assert_str_eq((char *)o.msg.body, body);
    ck_assert_str_eq(http_message_header(&o.msg, "Content-Type"), "application/json");
    outcome_clear(&o);
    ck_assert_str_eq(get->str, "GET /api/v1/vm.info HTTP/1.1\r\nHost: localhost\r\n"
                               "Accept: application/json\r\n\r\n");
    /* A PUT without a body still says so. */
    g_autoptr(GString) boot = http_format_request("PUT", "/api/v1/vm.boot", NULL, NULL, 0);
    ck_assert_ptr_nonnull(strstr(boot->str, "\r\nContent-Length: 0\r\n"));
    /* No header injection through the target or the method. */
    ck_assert_ptr_null(http_format_request("GET", "/api/v1/vm.info\r\nX: y", NULL, NULL, 0));
    ck_assert_ptr_null(http_format_request("GET", "/a b", NULL, NULL, 0));
    ck_assert_ptr_null(http_format_request("GET", "", NULL, NULL, 0));
    ck_assert_ptr_null(http_format_request("G T", "/", NULL, NULL, 0));
}
END_TEST

START_TEST(status_reasons)
{
    static const unsigned used[] = { 100, 200, 204, 400, 404, 405, 408, 411, 413, 414, 431, 500,
                                     501, 505 };

    for (size_t i = 0; i < G_N_ELEMENTS(used); i++)
        ck_assert_str_ne(http_status_reason(used[i]), "Unknown");
    ck_assert_str_eq(http_status_reason(431), "Request Header Fields Too Large");
    ck_assert_str_eq(http_status_reason(299), "Unknown");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("parser");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, get_without_body);
    tcase_add_test(tc, put_with_body);
    tcase_add_test(tc, header_values_trimmed);
    tcase_add_test(tc, keep_alive_rules);
    tcase_add_test(tc, pipelined_requests);
    tcase_add_test(tc, restart_and_reset);
    tcase_add_test(tc, request_line_errors);
    tcase_add_test(tc, line_ending_and_control_errors);
    tcase_add_test(tc, header_errors);
    tcase_add_test(tc, body_framing_errors);
    tcase_add_test(tc, repeated_identical_lengths);
    tcase_add_test(tc, header_bytes_limit);
    tcase_add_test(tc, request_line_limit);
    tcase_add_test(tc, header_count_limit);
    tcase_add_test(tc, body_limit);
    tcase_add_test(tc, expect_continue);
    tcase_add_test(tc, responses);
    tcase_add_test(tc, response_until_eof);
    tcase_add_test(tc, response_errors);
    tcase_add_test(tc, format_round_trip);
    tcase_add_test(tc, status_reasons);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
