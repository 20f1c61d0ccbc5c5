/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: what an API client sends is hostile input. Each input is
 * parsed as a stream of pipelined requests, whole and again in small pieces
 * (the two must agree: the parser keeps state between calls); every request
 * that parses goes through the route matcher, and its body through the
 * VmConfig reader. The same bytes are also read as a response, as
 * skiff-remote would. ASan/UBSan catch memory and arithmetic faults; the
 * checks below catch a parser that claims more than it was given, breaks its
 * limits, or fails without saying why.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "api/http.h"
#include "api/server.h"
#include "api/vmconfig-json.h"
#include "vmm/config.h"

#define MAX_MESSAGES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_handler(void *opaque, const http_message *req, api_response *resp)
{
}

/* The endpoint names of the lead's table (backend/api/routes.c), handlers
 * aside: matching looks at names and methods only. */
static const api_route fuzz_routes[] = {
    { "vmm.ping", "GET", no_handler },
    { "vmm.shutdown", "PUT", no_handler },
    { "vm.create", "PUT", no_handler },
    { "vm.boot", "PUT", no_handler },
    { "vm.pause", "PUT", no_handler },
    { "vm.resume", "PUT", no_handler },
    { "vm.shutdown", "PUT", no_handler },
    { "vm.reboot", "PUT", no_handler },
    { "vm.power-button", "PUT", no_handler },
    { "vm.delete", "PUT", no_handler },
    { "vm.info", "GET", no_handler },
    { "vm.counters", "GET", no_handler },
};

struct result {
    enum http_parse_result r;
    unsigned status;
    size_t consumed;
};

static void check_message(const http_message *m, size_t consumed, size_t avail, bool response)
{
    if (consumed == 0 || consumed > avail || m->body_len > HTTP_MAX_BODY_BYTES ||
        consumed - m->body_len > HTTP_MAX_HEADER_BYTES || m->n_headers > HTTP_MAX_HEADERS ||
        m->body == NULL || m->body[m->body_len] != '\0' || m->version_minor > 1 ||
        m->is_response != response)
        abort();
    if (!response && (m->method == NULL || m->target == NULL || m->method[0] == '\0' ||
                      m->target[0] == '\0'))
        abort();
    if (response && (m->status < 100 || m->status > 599 || m->reason == NULL))
        abort();
    for (unsigned i = 0; i < m->n_headers; i++) {
        if (m->headers[i].name[0] == '\0' || strpbrk(m->headers[i].name, " \t:\r\n") ||
            strpbrk(m->headers[i].value, "\r\n"))
            abort();
    }
}

static void check_error(const http_parser *p)
{
    unsigned st = http_parser_error_status(p);

    if ((st != 400 && st != 413 && st != 414 && st != 431 && st != 501 && st != 505) ||
        http_parser_error_message(p)[0] == '\0')
        abort();
}

static void route(const http_message *m)
{
    unsigned status = 0;
    const api_route *r = api_route_match(fuzz_routes, G_N_ELEMENTS(fuzz_routes), m->method,
                                         m->target, &status);

    if (r) {
        if (strcmp(r->method, m->method) != 0 || !g_str_has_prefix(m->target, API_PREFIX) ||
            strcmp(m->target + strlen(API_PREFIX), r->name) != 0)
            abort();
    } else if (status != 400 && status != 404 && status != 405) {
        abort();
    }
}

static void read_config(const http_message *m)
{
    struct vm_config cfg = { 0 };
    GError *error = NULL;

    if (vm_config_from_json((const char *)m->body, m->body_len, &cfg, &error) < 0) {
        if (error == NULL || error->message == NULL || error->message[0] == '\0')
            abort();
        g_error_free(error);
        return;
    }
    if (error != NULL)
        abort();
    vm_config_clear(&cfg);
}

/* Every message in the buffer, one after the other, as the server does. */
static void parse_stream(const uint8_t *data, size_t size, bool response,
                         struct result *out, size_t *n_out)
{
    g_autoptr(http_parser) p = http_parser_new(response);
    http_message m = { 0 };
    size_t off = 0;

    *n_out = 0;
    while (*n_out < MAX_MESSAGES) {
        struct result *res = &out[(*n_out)++];

        res->r = response ? http_parser_finish(p, data + off, size - off, &m)
                          : http_parse(p, data + off, size - off, &m);
        res->status = http_parser_error_status(p);
        if (res->r == HTTP_PARSE_ERROR)
            check_error(p);
        if (res->r != HTTP_PARSE_DONE)
            break;
        res->consumed = http_parser_consumed(p);
        check_message(&m, res->consumed, size - off, response);
        if (!response) {
            route(&m);
            if (m.body_len > 0)
                read_config(&m);
        }
        off += res->consumed;
        if (response)
            break;
    }
    http_message_clear(&m);
}

/* The same stream offered in pieces of `step` bytes. */
static void parse_stream_pieces(const uint8_t *data, size_t size, size_t step,
                                struct result *out, size_t *n_out)
{
    g_autoptr(http_parser) p = http_parser_new(false);
    http_message m = { 0 };
    size_t off = 0;
    size_t have = 0;

    *n_out = 0;
    while (*n_out < MAX_MESSAGES) {
        struct result *res = &out[*n_out];

        have = MIN(have + step, size - off);
        res->r = http_parse(p, data + off, have, &m);
        if (res->r == HTTP_PARSE_INCOMPLETE && have < size - off)
            continue;
        res->status = http_parser_error_status(p);
        (*n_out)++;
        if (res->r != HTTP_PARSE_DONE)
            break;
        res->consumed = http_parser_consumed(p);
        /* Done exactly when its last byte came, never later. */
        if (res->consumed + step <= have)
            abort();
        off += res->consumed;
        have = 0;
    }
    http_message_clear(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct result whole[MAX_MESSAGES];
    struct result pieces[MAX_MESSAGES];
    size_t n_whole;
    size_t n_pieces;
    size_t step = size <= 2048 ? 1 : 1 + size % 61;

    parse_stream(data, size, false, whole, &n_whole);
    parse_stream_pieces(data, size, step, pieces, &n_pieces);
    if (n_whole != n_pieces)
        abort();
    for (size_t i = 0; i < n_whole; i++) {
        if (whole[i].r != pieces[i].r || whole[i].status != pieces[i].status ||
            (whole[i].r == HTTP_PARSE_DONE && whole[i].consumed != pieces[i].consumed))
            abort();
    }
    parse_stream(data, size, true, whole, &n_whole);
    return 0;
}
