/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's side of skiff's REST API: one request per connection, bounded. */
#include "driver/skiff-api.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/server.h"
#include "xml/virt-error.h"

#define READ_CHUNK 4096
#define MAX_ANSWER_BYTES (HTTP_MAX_HEADER_BYTES + HTTP_MAX_BODY_BYTES)

static int wait_fd(int fd, short events, gint64 deadline, const char *endpoint, GError **error)
{
    struct pollfd pfd = { .fd = fd, .events = events };

    for (;;) {
        int n = poll(&pfd, 1, deadline_ms_left(deadline));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            virt_error_set(error, VIR_ERR_SYSTEM_ERROR, "poll: %s", g_strerror(errno));
            return -1;
        }
        if (n == 0) {
            virt_error_set(error, VIR_ERR_OPERATION_TIMEOUT,
                           _("skiff did not answer %s within %d ms"), endpoint,
                           BACKEND_API_TIMEOUT_MS);
            return -1;
        }
        return 0;
    }
}

static int api_connect(const char *api_path, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = BACKEND_API_TIMEOUT_MS / 1000 };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot create a socket: %s"),
                       g_strerror(errno));
        return -1;
    }
    /* The length was checked at start. */
    memcpy(addr.sun_path, api_path, strlen(api_path));
    /* connect() waits while the backlog is full: bounded by this. */
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = errno;

        close(fd);
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("cannot connect to skiff's API socket %s: %s"), api_path,
                       g_strerror(err));
        return -1;
    }
    return fd;
}

static int api_exchange(int fd, const GString *req, http_message *msg, const char *endpoint,
                        GError **error)
{
    g_autoptr(http_parser) parser = http_parser_new(true);
    g_autoptr(GByteArray) buf = g_byte_array_new();
    gint64 deadline = g_get_monotonic_time() + (gint64)BACKEND_API_TIMEOUT_MS * 1000;
    uint8_t chunk[READ_CHUNK];
    size_t off = 0;

    while (off < req->len) {
        ssize_t n;

        if (wait_fd(fd, POLLOUT, deadline, endpoint, error) < 0)
            return -1;
        n = send(fd, req->str + off, req->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            virt_error_set(error, VIR_ERR_OPERATION_FAILED, _("cannot send %s to skiff: %s"),
                           endpoint, g_strerror(errno));
            return -1;
        }
        off += (size_t)n;
    }
    for (;;) {
        enum http_parse_result r;
        ssize_t n;

        if (wait_fd(fd, POLLIN, deadline, endpoint, error) < 0)
            return -1;
        n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0 || (n == 0 && buf->len == 0)) {
            virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                           _("skiff closed the connection without answering %s"), endpoint);
            return -1;
        }
        if (buf->len + (size_t)n > MAX_ANSWER_BYTES) {
            virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                           _("skiff's answer to %s is larger than %d bytes"), endpoint,
                           MAX_ANSWER_BYTES);
            return -1;
        }
        g_byte_array_append(buf, chunk, (guint)n);
        r = n == 0 ? http_parser_finish(parser, buf->data, buf->len, msg)
                   : http_parse(parser, buf->data, buf->len, msg);
        if (r == HTTP_PARSE_DONE)
            return 0;
        if (r == HTTP_PARSE_ERROR) {
            virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                           _("malformed answer from skiff to %s: %s"), endpoint,
                           http_parser_error_message(parser));
            return -1;
        }
    }
}

JsonNode *skiff_api_body_json(const http_message *msg)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *root;

    if (!msg->body_len ||
        !json_parser_load_from_data(parser, (const char *)msg->body, (gssize)msg->body_len,
                                    NULL))
        return NULL;
    root = json_parser_get_root(parser);
    return root ? json_node_copy(root) : NULL;
}

/* skiff's {"error": "..."} or the status line. */
static char *answer_error(const http_message *msg)
{
    g_autoptr(JsonNode) root = skiff_api_body_json(msg);

    if (root && JSON_NODE_HOLDS_OBJECT(root)) {
        JsonObject *o = json_node_get_object(root);
        JsonNode *err = json_object_get_member(o, "error");

        if (err && JSON_NODE_HOLDS_VALUE(err) && json_node_get_value_type(err) == G_TYPE_STRING)
            return g_utf8_make_valid(json_node_get_string(err), -1);
    }
    return g_strdup_printf("%u %s", msg->status, msg->reason ? msg->reason : "");
}

int skiff_api_request(const char *api_path, const char *method, const char *endpoint, const char *body,
                       http_message *msg, GError **error)
{
    g_autofree char *target = g_strconcat(API_PREFIX, endpoint, NULL);
    g_autoptr(GString) req = http_format_request(method, target, body ? "application/json" : NULL,
                                                 body, body ? strlen(body) : 0);
    int fd;
    int rc;

    /* Our methods and endpoints are fixed tokens. */
    g_assert(req);
    fd = api_connect(api_path, error);
    if (fd < 0)
        return -1;
    rc = api_exchange(fd, req, msg, endpoint, error);
    close(fd);
    if (rc < 0)
        return -1;
    if (msg->status < 200 || msg->status > 299) {
        g_autofree char *detail = answer_error(msg);

        http_message_clear(msg);
        virt_error_set(error, VIR_ERR_OPERATION_FAILED, _("skiff refused %s: %s"), endpoint,
                       detail);
        return -1;
    }
    return 0;
}

