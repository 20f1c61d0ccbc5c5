/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HTTP/1.1 framing (RFC 9112) for the API socket; the rules it enforces are in
 * http.h. The head is checked byte by byte in arrival order and each line is
 * parsed as soon as its CRLF arrives, so the first fault in the byte stream is
 * the one reported however the bytes were split into reads, and junk is
 * refused without waiting for a blank line that may never come.
 */
#include "api/http.h"

#include <glib/gi18n.h>
#include <string.h>

/* Content-Length values are compared and converted as digit strings: no
 * arithmetic on an attacker's number can overflow. */
#define MAX_BODY_DIGITS 7
G_STATIC_ASSERT(HTTP_MAX_BODY_BYTES < 10000000);

enum parser_state {
    STATE_HEAD,             /* looking for the blank line that ends the head */
    STATE_BODY,             /* head parsed, waiting for content_length bytes */
    STATE_BODY_EOF,         /* a response whose body ends with the connection */
};

struct http_parser {
    bool response;
    enum parser_state state;
    bool finished;          /* the last call answered DONE or ERROR */
    size_t offered;         /* bytes offered last time, to notice a restart */
    size_t scanned;         /* STATE_HEAD: bytes already checked */
    size_t line_start;      /* STATE_HEAD: where the current line begins */
    bool start_line_done;
    size_t head_len;
    size_t content_length;
    http_message pending;   /* the head as parsed so far; moves to the caller on DONE */
    size_t consumed;
    unsigned error_status;
    char *error_message;
};

static bool is_tchar(uint8_t c)
{
    return g_ascii_isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_vchar(uint8_t c)
{
    return c >= 0x21 && c <= 0x7e;
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool all_tchar(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_tchar((uint8_t)s[i]))
            return false;
    }
    return true;
}

static enum http_parse_result fail(http_parser *p, unsigned status, const char *message)
{
    p->error_status = status;
    g_free(p->error_message);
    p->error_message = g_strdup(message);
    p->finished = true;
    return HTTP_PARSE_ERROR;
}

static void reset_state(http_parser *p)
{
    bool response = p->response;

    http_message_clear(&p->pending);
    g_free(p->error_message);
    memset(p, 0, sizeof(*p));
    p->response = response;
    p->pending.is_response = response;
}

http_parser *http_parser_new(bool parse_response)
{
    http_parser *p = g_new0(http_parser, 1);

    p->response = parse_response;
    p->pending.is_response = parse_response;
    return p;
}

void http_parser_free(http_parser *p)
{
    if (!p)
        return;
    http_message_clear(&p->pending);
    g_free(p->error_message);
    g_free(p);
}

void http_parser_reset(http_parser *p)
{
    reset_state(p);
}

size_t http_parser_consumed(const http_parser *p)
{
    return p->consumed;
}

unsigned http_parser_error_status(const http_parser *p)
{
    return p->error_status;
}

const char *http_parser_error_message(const http_parser *p)
{
    return p->error_message ? p->error_message : "";
}

/* "HTTP/1.1" → minor 1. -1: not an HTTP version at all; -2: one we do not speak. */
static int parse_version(const char *s, size_t n, unsigned *minor)
{
    if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || !g_ascii_isdigit(s[5]) || s[6] != '.' ||
        !g_ascii_isdigit(s[7]))
        return -1;
    if (s[5] != '1' || (s[7] != '0' && s[7] != '1'))
        return -2;
    *minor = (unsigned)(s[7] - '0');
    return 0;
}

static enum http_parse_result version_fault(http_parser *p, int rc)
{
    if (rc == -2)
        return fail(p, 505, _("only HTTP/1.0 and HTTP/1.1 are supported"));
    return fail(p, 400, _("malformed HTTP version"));
}

/* METHOD SP request-target SP HTTP-version */
static enum http_parse_result parse_request_line(http_parser *p, const char *line, size_t n)
{
    const char *sp1 = memchr(line, ' ', n);
    const char *target;
    const char *sp2;
    int rc;

    if (n == 0)
        return fail(p, 400, _("empty request line"));
    if (!sp1 || !all_tchar(line, (size_t)(sp1 - line)))
        return fail(p, 400, _("malformed request line: expected METHOD SP target SP HTTP/1.1"));
    target = sp1 + 1;
    sp2 = memchr(target, ' ', n - (size_t)(target - line));
    if (!sp2 || sp2 == target)
        return fail(p, 400, _("malformed request line: expected METHOD SP target SP HTTP/1.1"));
    for (const char *c = target; c < sp2; c++) {
        if (!is_vchar((uint8_t)*c))
            return fail(p, 400, _("invalid character in the request target"));
    }
    rc = parse_version(sp2 + 1, n - (size_t)(sp2 + 1 - line), &p->pending.version_minor);
    if (rc < 0)
        return version_fault(p, rc);
    p->pending.method = g_strndup(line, (size_t)(sp1 - line));
    p->pending.target = g_strndup(target, (size_t)(sp2 - target));
    return HTTP_PARSE_INCOMPLETE;
}

/* HTTP-version SP 3DIGIT SP [reason]; a missing last SP is tolerated. */
static enum http_parse_result parse_status_line(http_parser *p, const char *line, size_t n)
{
    int rc;

    if (n == 0)
        return fail(p, 400, _("empty status line"));
    if (n < 12 || line[8] != ' ' || (n > 12 && line[12] != ' '))
        return fail(p, 400, _("malformed status line"));
    rc = parse_version(line, 8, &p->pending.version_minor);
    if (rc < 0)
        return version_fault(p, rc);
    if (line[9] < '1' || line[9] > '5' || !g_ascii_isdigit(line[10]) ||
        !g_ascii_isdigit(line[11]))
        return fail(p, 400, _("malformed status code"));
    p->pending.status = (unsigned)((line[9] - '0') * 100 + (line[10] - '0') * 10 +
                                   (line[11] - '0'));
    p->pending.reason = n > 12 ? g_strndup(line + 13, n - 13) : g_strdup("");
    return HTTP_PARSE_INCOMPLETE;
}

static enum http_parse_result parse_header_line(http_parser *p, const char *line, size_t n)
{
    const char *colon;
    const char *v;
    const char *end = line + n;
    http_header *h;

    if (is_ows(line[0]))
        return fail(p, 400, _("obsolete header line folding is not supported"));
    colon = memchr(line, ':', n);
    if (!colon)
        return fail(p, 400, _("header line without a colon"));
    if (!all_tchar(line, (size_t)(colon - line)))
        return fail(p, 400, _("invalid header field name"));
    if (p->pending.n_headers == HTTP_MAX_HEADERS) {
        g_autofree char *msg = g_strdup_printf(_("more than %d header fields"), HTTP_MAX_HEADERS);

        return fail(p, 431, msg);
    }
    v = colon + 1;
    while (v < end && is_ows(*v))
        v++;
    while (end > v && is_ows(end[-1]))
        end--;
    h = &p->pending.headers[p->pending.n_headers++];
    h->name = g_strndup(line, (size_t)(colon - line));
    h->value = g_strndup(v, (size_t)(end - v));
    return HTTP_PARSE_INCOMPLETE;
}

/* Calls fn on each element of a comma-separated header value, blanks trimmed. */
static bool foreach_element(const char *value, bool (*fn)(const char *e, size_t n, void *data),
                            void *data)
{
    const char *s = value;

    for (;;) {
        const char *comma = strchr(s, ',');
        const char *end = comma ? comma : s + strlen(s);
        const char *b = s;

        while (b < end && is_ows(*b))
            b++;
        while (end > b && is_ows(end[-1]))
            end--;
        if (!fn(b, (size_t)(end - b), data))
            return false;
        if (!comma)
            return true;
        s = comma + 1;
    }
}

struct length_scan {
    const char *canon;      /* the first value, leading zeros stripped */
    size_t canon_len;
    bool bad;
    bool conflict;
};

static bool length_element(const char *e, size_t n, void *data)
{
    struct length_scan *ls = data;

    if (n == 0) {
        ls->bad = true;
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isdigit(e[i])) {
            ls->bad = true;
            return false;
        }
    }
    while (n > 1 && e[0] == '0') {
        e++;
        n--;
    }
    if (!ls->canon) {
        ls->canon = e;
        ls->canon_len = n;
    } else if (ls->canon_len != n || memcmp(ls->canon, e, n) != 0) {
        ls->conflict = true;
        return false;
    }
    return true;
}

struct connection_scan {
    bool close;
    bool keep_alive;
};

static bool connection_element(const char *e, size_t n, void *data)
{
    struct connection_scan *cs = data;

    if (n == 5 && g_ascii_strncasecmp(e, "close", 5) == 0)
        cs->close = true;
    else if (n == 10 && g_ascii_strncasecmp(e, "keep-alive", 10) == 0)
        cs->keep_alive = true;
    return true;
}

/* The blank line arrived: decide how the body is framed. */
static enum http_parse_result finish_head(http_parser *p, size_t head_len)
{
    http_message *m = &p->pending;
    struct length_scan ls = { 0 };
    struct connection_scan cs = { 0 };
    bool chunked = false;
    size_t length = 0;

    for (unsigned i = 0; i < m->n_headers; i++) {
        const http_header *h = &m->headers[i];

        if (g_ascii_strcasecmp(h->name, "Transfer-Encoding") == 0) {
            chunked = true;
        } else if (g_ascii_strcasecmp(h->name, "Content-Length") == 0) {
            if (!foreach_element(h->value, length_element, &ls))
                break;
        } else if (g_ascii_strcasecmp(h->name, "Connection") == 0) {
            foreach_element(h->value, connection_element, &cs);
        }
    }
    /* Transfer-Encoding overrides Content-Length (RFC 9112 6.3), so it is
     * refused first whatever the length says. */
    if (chunked && !p->response)
        return fail(p, 501, _("chunked bodies are not supported (Transfer-Encoding); "
                              "send a Content-Length"));
    if (chunked)
        return fail(p, 501, _("chunked responses are not supported"));
    if (ls.bad)
        return fail(p, 400, _("invalid Content-Length"));
    if (ls.conflict)
        return fail(p, 400, _("conflicting Content-Length values"));
    if (ls.canon) {
        if (ls.canon_len > MAX_BODY_DIGITS)
            length = (size_t)HTTP_MAX_BODY_BYTES + 1;
        for (size_t i = 0; i < ls.canon_len && length <= HTTP_MAX_BODY_BYTES; i++)
            length = length * 10 + (size_t)(ls.canon[i] - '0');
        if (length > HTTP_MAX_BODY_BYTES) {
            g_autofree char *msg = g_strdup_printf(_("body larger than %d bytes"),
                                                   HTTP_MAX_BODY_BYTES);

            return fail(p, 413, msg);
        }
    }
    m->keep_alive = m->version_minor >= 1 ? !cs.close : (cs.keep_alive && !cs.close);
    p->head_len = head_len;
    p->state = STATE_BODY;
    if (p->response && (m->status < 200 || m->status == 204 || m->status == 304)) {
        length = 0;
    } else if (p->response && !ls.canon) {
        p->state = STATE_BODY_EOF;
        m->keep_alive = false;
    }
    p->content_length = length;
    return HTTP_PARSE_INCOMPLETE;
}

/* One line of the head, CRLF excluded; end is the offset after its LF. */
static enum http_parse_result take_line(http_parser *p, const char *line, size_t n, size_t end)
{
    if (!p->start_line_done) {
        p->start_line_done = true;
        return p->response ? parse_status_line(p, line, n) : parse_request_line(p, line, n);
    }
    if (n == 0)
        return finish_head(p, end);
    return parse_header_line(p, line, n);
}

static enum http_parse_result scan_head(http_parser *p, const uint8_t *buf, size_t len)
{
    size_t lim = MIN(len, (size_t)HTTP_MAX_HEADER_BYTES);

    for (size_t k = p->scanned; k < lim; k++) {
        uint8_t c = buf[k];

        if (k > 0 && buf[k - 1] == '\r' && c != '\n')
            return fail(p, 400, _("CR without LF in the message head"));
        if (c == '\n') {
            enum http_parse_result r;

            if (k == 0 || buf[k - 1] != '\r')
                return fail(p, 400, _("lines must end in CRLF, not a bare LF"));
            r = take_line(p, (const char *)buf + p->line_start, k - 1 - p->line_start, k + 1);
            p->line_start = k + 1;
            p->scanned = k + 1;
            if (r != HTTP_PARSE_INCOMPLETE || p->state != STATE_HEAD)
                return r;
        } else if ((c < 0x20 && c != '\r' && c != '\t') || c == 0x7f) {
            return fail(p, 400, _("control character in the message head"));
        }
    }
    p->scanned = lim;
    if (lim == HTTP_MAX_HEADER_BYTES) {
        g_autofree char *msg = NULL;

        if (!p->start_line_done && !p->response) {
            msg = g_strdup_printf(_("request line longer than %d bytes"), HTTP_MAX_HEADER_BYTES);
            return fail(p, 414, msg);
        }
        msg = g_strdup_printf(_("message head larger than %d bytes"), HTTP_MAX_HEADER_BYTES);
        return fail(p, 431, msg);
    }
    return HTTP_PARSE_INCOMPLETE;
}

static enum http_parse_result deliver(http_parser *p, const uint8_t *body, size_t n,
                                      http_message *msg)
{
    http_message_clear(msg);
    *msg = p->pending;
    memset(&p->pending, 0, sizeof(p->pending));
    msg->body = g_malloc(n + 1);
    memcpy(msg->body, body, n);
    msg->body[n] = '\0';
    msg->body_len = n;
    p->consumed = p->head_len + n;
    p->finished = true;
    return HTTP_PARSE_DONE;
}

enum http_parse_result http_parse(http_parser *p, const uint8_t *buf, size_t len,
                                  http_message *msg)
{
    enum http_parse_result r;

    if (p->finished || len < p->offered)
        reset_state(p);
    p->offered = len;
    if (p->state == STATE_HEAD) {
        r = scan_head(p, buf, len);
        if (r != HTTP_PARSE_INCOMPLETE || p->state == STATE_HEAD)
            return r;
    }
    if (p->state == STATE_BODY_EOF) {
        if (len - p->head_len > HTTP_MAX_BODY_BYTES) {
            g_autofree char *msg_text = g_strdup_printf(_("body larger than %d bytes"),
                                                        HTTP_MAX_BODY_BYTES);

            return fail(p, 413, msg_text);
        }
        return HTTP_PARSE_INCOMPLETE;
    }
    if (len - p->head_len < p->content_length)
        return HTTP_PARSE_INCOMPLETE;
    return deliver(p, buf + p->head_len, p->content_length, msg);
}

enum http_parse_result http_parser_finish(http_parser *p, const uint8_t *buf, size_t len,
                                          http_message *msg)
{
    enum http_parse_result r = http_parse(p, buf, len, msg);

    if (r != HTTP_PARSE_INCOMPLETE)
        return r;
    if (p->state == STATE_BODY_EOF)
        return deliver(p, buf + p->head_len, len - p->head_len, msg);
    if (len == 0)
        return HTTP_PARSE_INCOMPLETE;
    return fail(p, 400, _("the connection closed in the middle of a message"));
}

bool http_parser_expects_continue(const http_parser *p)
{
    const char *expect;

    if (p->finished || p->response || p->state != STATE_BODY || p->content_length == 0 ||
        p->pending.version_minor < 1)
        return false;
    expect = http_message_header(&p->pending, "Expect");
    return expect && g_ascii_strcasecmp(expect, "100-continue") == 0;
}

void http_message_clear(http_message *msg)
{
    bool is_response = msg->is_response;

    g_free(msg->method);
    g_free(msg->target);
    g_free(msg->reason);
    for (unsigned i = 0; i < msg->n_headers && i < HTTP_MAX_HEADERS; i++) {
        g_free(msg->headers[i].name);
        g_free(msg->headers[i].value);
    }
    g_free(msg->body);
    memset(msg, 0, sizeof(*msg));
    msg->is_response = is_response;
}

const char *http_message_header(const http_message *msg, const char *name)
{
    for (unsigned i = 0; i < msg->n_headers && i < HTTP_MAX_HEADERS; i++) {
        if (g_ascii_strcasecmp(msg->headers[i].name, name) == 0)
            return msg->headers[i].value;
    }
    return NULL;
}

const char *http_status_reason(unsigned status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

GString *http_format_response_ext(unsigned status, const http_header *extra, size_t n_extra,
                                  const char *content_type, const char *body, size_t body_len,
                                  bool close_connection)
{
    bool bodyless = status < 200 || status == 204 || status == 304;
    GString *s = g_string_sized_new(160 + (bodyless ? 0 : body_len));

    g_string_append_printf(s, "HTTP/1.1 %u %s\r\n", status, http_status_reason(status));
    for (size_t i = 0; i < n_extra; i++)
        g_string_append_printf(s, "%s: %s\r\n", extra[i].name, extra[i].value);
    if (!bodyless) {
        if (content_type && body_len > 0)
            g_string_append_printf(s, "Content-Type: %s\r\n", content_type);
        g_string_append_printf(s, "Content-Length: %zu\r\n", body_len);
    }
    if (status >= 200)
        g_string_append_printf(s, "Connection: %s\r\n", close_connection ? "close" : "keep-alive");
    g_string_append(s, "\r\n");
    if (!bodyless && body_len > 0)
        g_string_append_len(s, body, (gssize)body_len);
    return s;
}

GString *http_format_response(unsigned status, const char *content_type, const char *body,
                              size_t body_len, bool close_connection)
{
    return http_format_response_ext(status, NULL, 0, content_type, body, body_len,
                                    close_connection);
}

GString *http_format_request(const char *method, const char *target, const char *content_type,
                             const char *body, size_t body_len)
{
    GString *s;
    bool bodyless_method = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

    if (!all_tchar(method, strlen(method)) || target[0] == '\0')
        return NULL;
    for (const char *c = target; *c; c++) {
        if (!is_vchar((uint8_t)*c))
            return NULL;
    }
    s = g_string_sized_new(128 + body_len);
    g_string_append_printf(s, "%s %s HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n",
                           method, target);
    if (content_type && body_len > 0)
        g_string_append_printf(s, "Content-Type: %s\r\n", content_type);
    if (body_len > 0 || !bodyless_method)
        g_string_append_printf(s, "Content-Length: %zu\r\n", body_len);
    g_string_append(s, "\r\n");
    if (body_len > 0)
        g_string_append_len(s, body, (gssize)body_len);
    return s;
}
