/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The REST API server: HTTP/1.1 over a unix socket, JSON bodies, endpoints
 * under /api/v1/. Runs on the VMM's main loop; handlers run on the main thread.
 * Every connection is bounded in size (http.h limits) and in time: a client
 * that sends half a request and stops is dropped after API_REQUEST_TIMEOUT_MS,
 * and never blocks another client.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "api/http.h"

#define API_PREFIX "/api/v1/"
/* From accept or a request's first byte to its last; also how long a client
 * may take to read an answer, and how long a closing connection is drained. */
#define API_REQUEST_TIMEOUT_MS 5000
/* A keep-alive connection with nothing in flight is closed after this. */
#define API_IDLE_TIMEOUT_MS 60000
/* More clients than this wait in the listen backlog (an idle keep-alive
 * connection is closed to make room first). */
#define API_MAX_CONNECTIONS 128

typedef struct api_server api_server;

/* What a handler answers. status 204 has no body; otherwise body is a JSON
 * node (owned by the response) or NULL. */
typedef struct api_response {
    unsigned status;
    JsonNode *body;
} api_response;

/* req->body is the raw request body (may be empty). */
typedef void (*api_handler_fn)(void *opaque, const http_message *req, api_response *resp);

typedef struct api_route {
    const char *name;       /* "vm.info": the path after API_PREFIX */
    const char *method;     /* "GET" or "PUT" */
    api_handler_fn handler;
} api_route;

/* listen_fd: a bound, listening unix socket (created by skiff or passed in
 * with --api-socket fd=N; refused unless it is a listening stream socket).
 * The server takes ownership of it, also on failure. ctx NULL: the thread's
 * default context. routes must outlive the server (a static table). The
 * socket path, if any, is the caller's to unlink. */
api_server *api_server_new(GMainContext *ctx, int listen_fd, const api_route *routes,
                           size_t n_routes, void *opaque, GError **error);
/* Closes every connection; after_reply callbacks not run yet are dropped.
 * Not from inside a handler (an after_reply callback may). */
void api_server_free(api_server *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(api_server, api_server_free)
/* For tests: shorter bounds than API_REQUEST_TIMEOUT_MS/API_IDLE_TIMEOUT_MS. */
void api_server_set_timeouts(api_server *s, unsigned request_ms, unsigned idle_ms);

/* The routing rule, pure for tests and fuzzing: target must be API_PREFIX
 * followed by a route's name exactly. NULL with *status 404 (no such
 * endpoint), 405 (the name exists with other methods) or 400 (a query string
 * or fragment: no endpoint takes parameters that way). */
const api_route *api_route_match(const api_route *routes, size_t n_routes, const char *method,
                                 const char *target, unsigned *status);

/* Creates, binds (mode 0600) and listens on a unix socket at path; fails if
 * the path exists and is in use, replaces a stale socket file. */
int api_socket_listen(const char *path, GError **error);

/* Helpers for handlers: an error answer with a JSON body
 * {"error": message} plus any extra members given as name/value string pairs,
 * NULL-terminated. */
void api_response_error(api_response *resp, unsigned status, const char *message, ...)
    G_GNUC_NULL_TERMINATED;
/* From a handler: sends the answer, then calls fn(opaque) once its last byte
 * is in the client's socket (for vmm.shutdown: answer first, exit after), or
 * as soon as the connection is gone if the client leaves first: fn runs
 * exactly once unless the server is freed before. fn may free the server. */
void api_server_after_reply(api_server *s, void (*fn)(void *opaque), void *opaque);
