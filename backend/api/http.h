/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small HTTP/1.1 message parser for the API socket: request line, headers,
 * a Content-Length body (no chunked bodies, no trailers). Hand-written for a
 * small attack surface; fuzzed (tests/fuzz/fuzz-api-request.c). The same
 * parser reads responses for skiff-remote.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADER_BYTES (16 * 1024)   /* request line + headers */
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
 * message start). Stateless between calls apart from limits, so callers can
 * simply append to a buffer and call again. */
enum http_parse_result http_parse(http_parser *p, const uint8_t *buf, size_t len,
                                  http_message *msg);
size_t http_parser_consumed(const http_parser *p);
/* After HTTP_PARSE_ERROR: the status to answer with (400, 405, 411, 413, 414,
 * 431, 501, 505) and a human-readable reason. */
unsigned http_parser_error_status(const http_parser *p);
const char *http_parser_error_message(const http_parser *p);

void http_message_clear(http_message *msg);
const char *http_message_header(const http_message *msg, const char *name);

/* "HTTP/1.1 <status> <reason>\r\nContent-Type: ...\r\nContent-Length: n\r\n...\r\n\r\nbody" */
GString *http_format_response(unsigned status, const char *content_type, const char *body,
                              size_t body_len, bool close_connection);
GString *http_format_request(const char *method, const char *target, const char *content_type,
                             const char *body, size_t body_len);
const char *http_status_reason(unsigned status);
