/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Requests to a skiff's REST API (its --api-socket), as the daemon makes
 * them: a fresh connection per request, every step bounded by
 * BACKEND_API_TIMEOUT_MS (skiff answers in milliseconds). Errors are
 * VIRT_ERROR: VIR_ERR_OPERATION_FAILED with skiff's own message,
 * VIR_ERR_OPERATION_TIMEOUT when it does not answer.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "api/http.h"
#include "driver/backend.h"

/* One request; a non-2xx answer is an error. On success the answer is in
 * msg (the caller clears it). body may be NULL. */
int skiff_api_request(const char *api_path, const char *method, const char *endpoint,
                      const char *body, http_message *msg, GError **error);
/* The answer's body as JSON, or NULL. */
JsonNode *skiff_api_body_json(const http_message *msg);

/* Milliseconds until deadline (monotonic µs), rounded up, 0 once passed. */
static inline int deadline_ms_left(gint64 deadline)
{
    gint64 left = deadline - g_get_monotonic_time();

    return left <= 0 ? 0 : (int)MIN(left / 1000 + 1, G_MAXINT);
}
