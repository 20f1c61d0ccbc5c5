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
#define API_REQUEST_TIMEOUT_MS 5000

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
 * with --api-socket fd=N). The server takes ownership of it. */
api_server *api_server_new(GMainContext *ctx, int listen_fd, const api_route *routes,
                           size_t n_routes, void *opaque, GError **error);
void api_server_free(api_server *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(api_server, api_server_free)

/* Creates, binds (mode 0600) and listens on a unix socket at path; fails if
 * the path exists and is in use, replaces a stale socket file. */
int api_socket_listen(const char *path, GError **error);

/* Helpers for handlers: an error answer with a JSON body
 * {"error": message} plus any extra members given as name/value string pairs,
 * NULL-terminated. */
void api_response_error(api_response *resp, unsigned status, const char *message, ...)
    G_GNUC_NULL_TERMINATED;
/* Sends the answer, then calls fn(opaque) once the bytes are written (for
 * vmm.shutdown: answer first, exit after). */
void api_server_after_reply(api_server *s, void (*fn)(void *opaque), void *opaque);
