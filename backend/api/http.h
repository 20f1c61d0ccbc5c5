/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small HTTP/1.1 message parser for the API socket: request line, headers,
 * a Content-Length body (no chunked bodies, no trailers). Hand-written for a
 * small attack surface; fuzzed (tests/fuzz/fuzz-api-request.c). The same
 * parser reads responses for skiff-remote.
 *
 * Strict on purpose (RFC 9112 allows a recipient to be):
 * - every line ends in CRLF: a bare LF or a CR without LF is 400;
 * - exactly one SP between the parts of the start line; no obs-fold; no
 *   control character other than HTAB anywhere in the head;
 * - a request without Content-Length has no body; Transfer-Encoding is 501;
 * - HTTP/1.0 and HTTP/1.1 only (another well-formed version is 505).
 * No Host header is required: on a unix socket it names nothing.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADER_BYTES (16 * 1024)   /* request line + headers + blank line */
#define HTTP_MAX_BODY_BYTES (1024 * 1024)
#define HTTP_MAX_HEADERS 64

enum http_parse_result {
    HTTP_PARSE_INCOMPLETE,  /* feed more bytes */
    HTTP_PARSE_DONE,        /* one whole message; http_parser_consumed() tells its length */
    HTTP_PARSE_ERROR,       /* malformed or over a limit: see error_status/error_message */
};

typedef struct http_header {
    char *name;             /* as received; compare case-insensitively */
    char *value;            /* leading/trailing blanks removed */
} http_header;

typedef struct http_message {
    bool is_response;
    /* request */
    char *method;           /* "GET", "PUT", ... */
    char *target;           /* "/api/v1/vm.info" (the raw request target) */
    /* response */
    unsigned status;
    char *reason;
    /* both */
    unsigned version_minor; /* HTTP/1.x */
    http_header headers[HTTP_MAX_HEADERS];
    unsigned n_headers;
    uint8_t *body;          /* NUL-terminated for convenience; body_len excludes the NUL */
    size_t body_len;
    bool keep_alive;        /* HTTP/1.1 default, "Connection: close" turns it off */
} http_message;

typedef struct http_parser http_parser;

http_parser *http_parser_new(bool parse_response);
void http_parser_free(http_parser *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(http_parser, http_parser_free)
/* Offers the bytes received so far (the whole buffer each time, from the
 * message start). The parser remembers how far it has looked, so feeding a
 * byte at a time costs linear time: the bytes offered before must not change
 * between calls (appending is fine). It starts a new message by itself after
 * DONE or ERROR and when offered fewer bytes than before; call
 * http_parser_reset() to start over on other bytes of at least that length.
 * msg must be zeroed or hold an earlier message (it is cleared and filled on
 * DONE only). */
enum http_parse_result http_parse(http_parser *p, const uint8_t *buf, size_t len,
                                  http_message *msg);
/* At EOF: a response without Content-Length ends here (DONE, its body is the
 * rest of buf); anything else incomplete is an ERROR. INCOMPLETE only when
 * len is 0 (no message started). */
enum http_parse_result http_parser_finish(http_parser *p, const uint8_t *buf, size_t len,
                                          http_message *msg);
void http_parser_reset(http_parser *p);
/* After DONE: the length of the message at the start of the buffer. */
size_t http_parser_consumed(const http_parser *p);
/* After INCOMPLETE: the head is complete, is HTTP/1.1 and asked for
 * "Expect: 100-continue" (the server answers "100 Continue" once). */
bool http_parser_expects_continue(const http_parser *p);
/* After HTTP_PARSE_ERROR: the status to answer with (400, 413, 414, 431, 501,
 * 505) and a human-readable reason. Every one of them means the message's
 * framing cannot be trusted: the connection must be closed after the answer. */
unsigned http_parser_error_status(const http_parser *p);
const char *http_parser_error_message(const http_parser *p);

void http_message_clear(http_message *msg);
const char *http_message_header(const http_message *msg, const char *name);

/* "HTTP/1.1 <status> <reason>\r\nContent-Type: ...\r\nContent-Length: n\r\n
 * Connection: keep-alive|close\r\n\r\nbody". Status 1xx, 204 and 304 get
 * neither body nor Content-Length/Type. */
GString *http_format_response(unsigned status, const char *content_type, const char *body,
                              size_t body_len, bool close_connection);
/* The same with extra header lines (e.g. Allow); names and values must not
 * contain CR or LF. */
GString *http_format_response_ext(unsigned status, const http_header *extra, size_t n_extra,
                                  const char *content_type, const char *body, size_t body_len,
                                  bool close_connection);
/* NULL when method is not a token or target holds a byte outside 0x21..0x7e
 * (that would let a caller's argument inject headers). */
GString *http_format_request(const char *method, const char *target, const char *content_type,
                             const char *body, size_t body_len);
const char *http_status_reason(unsigned status);
