/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * skiff-remote: a command-line client for skiff's REST API, in the spirit of
 * Cloud Hypervisor's ch-remote. One command sends one HTTP/1.1 request over
 * the API's unix socket and reads one answer with the same parser the server
 * uses. Exit status: 0 success, 1 the request failed (connection, timeout,
 * error answer), 2 usage error.
 */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/http.h"
#include "api/server.h"

enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,
    EXIT_USAGE = 2,
};

#define DEFAULT_TIMEOUT_S 30
#define READ_CHUNK 4096
#define MAX_ANSWER_BYTES (HTTP_MAX_HEADER_BYTES + HTTP_MAX_BODY_BYTES)

typedef struct remote_command {
    const char *name;       /* on the command line */
    const char *method;
    const char *endpoint;   /* after API_PREFIX */
    bool takes_body;        /* one argument: a VmConfig file or "-" for stdin */
} remote_command;

static const remote_command remote_commands[] = {
    { "ping", "GET", "vmm.ping", false },
    { "info", "GET", "vm.info", false },
    { "counters", "GET", "vm.counters", false },
    { "create", "PUT", "vm.create", true },
    { "boot", "PUT", "vm.boot", false },
    { "pause", "PUT", "vm.pause", false },
    { "resume", "PUT", "vm.resume", false },
    { "shutdown", "PUT", "vm.shutdown", false },
    { "reboot", "PUT", "vm.reboot", false },
    { "power-button", "PUT", "vm.power-button", false },
    { "delete", "PUT", "vm.delete", false },
    { "shutdown-vmm", "PUT", "vmm.shutdown", false },
};

static const remote_command *remote_command_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(remote_commands); i++) {
        if (!strcmp(remote_commands[i].name, name))
            return &remote_commands[i];
    }
    return NULL;
}

/* The API refuses it anyway (413); saying so here spares sending it. */
static int remote_body_too_large(GError **error)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                _("the configuration is larger than the API accepts (%d bytes)"),
                HTTP_MAX_BODY_BYTES);
    return -1;
}

static int remote_read_body(const char *file, char **body, size_t *len, GError **error)
{
    g_autoptr(GByteArray) buf = NULL;
    uint8_t chunk[READ_CHUNK];

    /* GLib's message names the file already. */
    if (strcmp(file, "-")) {
        if (!g_file_get_contents(file, body, len, error))
            return -1;
        if (*len > HTTP_MAX_BODY_BYTES)
            return remote_body_too_large(error);
        return 0;
    }
    buf = g_byte_array_new();
    for (;;) {
        ssize_t n;

        if (buf->len > HTTP_MAX_BODY_BYTES)
            return remote_body_too_large(error);
        n = read(STDIN_FILENO, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        _("cannot read the configuration from standard input: %s"),
                        g_strerror(errno));
            return -1;
        }
        if (n == 0)
            break;
        g_byte_array_append(buf, chunk, (guint)n);
    }
    *len = buf->len;
    g_byte_array_append(buf, (const uint8_t *)"", 1);
    *body = (char *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
    return 0;
}

/* Milliseconds left until deadline (monotonic µs), at least 0. */
static int remote_ms_left(gint64 deadline)
{
    gint64 left = deadline - g_get_monotonic_time();

    return left <= 0 ? 0 : (int)MIN(left / 1000 + 1, G_MAXINT);
}

static int remote_connect(const char *path, int timeout_s, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    /* A unix connect() waits while the listener's backlog is full, bounded by this. */
    struct timeval tv = { .tv_sec = timeout_s };
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    _("socket path %s is too long (at most %zu bytes)"), path,
                    sizeof(addr.sun_path) - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    _("cannot create a socket: %s"), g_strerror(errno));
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = errno;

        close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    _("cannot connect to the API socket %s: %s (is skiff running with "
                      "--api-socket?)"), path, g_strerror(err));
        return -1;
    }
    return fd;
}

/* Waits for fd to become ready for events before the deadline. */
static int remote_wait(int fd, short events, gint64 deadline, GError **error)
{
    struct pollfd pfd = { .fd = fd, .events = events };

    for (;;) {
        int n = poll(&pfd, 1, remote_ms_left(deadline));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "poll: %s",
                        g_strerror(errno));
            return -1;
        }
        if (n == 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                        _("no answer from skiff in time"));
            return -1;
        }
        return 0;
    }
}

static int remote_send(int fd, const GString *req, gint64 deadline, GError **error)
{
    size_t off = 0;

    while (off < req->len) {
        ssize_t n;

        if (remote_wait(fd, POLLOUT, deadline, error) < 0)
            return -1;
        n = send(fd, req->str + off, req->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        _("cannot send the request: %s"), g_strerror(errno));
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}

/* Reads until the parser has one whole answer in msg (an answer without
 * Content-Length ends when skiff closes the connection). */
static int remote_receive(int fd, http_message *msg, gint64 deadline, GError **error)
{
    g_autoptr(http_parser) parser = http_parser_new(true);
    g_autoptr(GByteArray) buf = g_byte_array_new();
    uint8_t chunk[READ_CHUNK];

    for (;;) {
        enum http_parse_result r;
        ssize_t n;

        if (remote_wait(fd, POLLIN, deadline, error) < 0)
            return -1;
        n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        _("cannot read the answer: %s"), g_strerror(errno));
            return -1;
        }
        if (n == 0 && buf->len == 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                        _("skiff closed the connection without answering"));
            return -1;
        }
        if (buf->len + (size_t)n > MAX_ANSWER_BYTES) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                        _("the answer is larger than %d bytes"), MAX_ANSWER_BYTES);
            return -1;
        }
        g_byte_array_append(buf, chunk, (guint)n);
        /* msg is filled on DONE only. */
        r = n == 0 ? http_parser_finish(parser, buf->data, buf->len, msg)
                   : http_parse(parser, buf->data, buf->len, msg);
        if (r == HTTP_PARSE_DONE)
            return 0;
        if (r == HTTP_PARSE_ERROR) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        n == 0 ? _("skiff closed the connection in the middle of its answer: %s")
                               : _("malformed answer from skiff: %s"),
                        http_parser_error_message(parser));
            return -1;
        }
    }
}

/* The answer's JSON body, or NULL when there is none or it is not JSON. */
static JsonNode *remote_body_json(const http_message *msg)
{
    g_autoptr(JsonParser) parser = NULL;
    JsonNode *root;

    if (!msg->body_len)
        return NULL;
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, (const char *)msg->body, (gssize)msg->body_len,
                                    NULL))
        return NULL;
    root = json_parser_get_root(parser);
    return root ? json_node_copy(root) : NULL;
}

static void remote_print_body(const http_message *msg)
{
    g_autoptr(JsonNode) root = remote_body_json(msg);

    if (root) {
        g_autofree char *text = json_to_string(root, TRUE);

        printf("%s\n", text);
    } else if (msg->body_len) {
        fwrite(msg->body, 1, msg->body_len, stdout);
        if (msg->body[msg->body_len - 1] != '\n')
            putchar('\n');
    }
}

static void remote_print_error(const remote_command *cmd, const http_message *msg)
{
    g_autoptr(JsonNode) root = remote_body_json(msg);
    g_autofree char *detail = NULL;

    if (root && JSON_NODE_HOLDS_OBJECT(root)) {
        JsonObject *obj = json_node_get_object(root);
        JsonNode *err = json_object_get_member(obj, "error");

        if (err && JSON_NODE_HOLDS_VALUE(err) && json_node_get_value_type(err) == G_TYPE_STRING)
            detail = g_strdup(json_node_get_string(err));
    }
    if (!detail && msg->body_len)
        detail = g_strstrip(g_utf8_make_valid((const char *)msg->body, (gssize)msg->body_len));
    if (detail && *detail)
        fprintf(stderr, "skiff-remote: %s: %u %s: %s\n", cmd->endpoint, msg->status,
                msg->reason ? msg->reason : "", detail);
    else
        fprintf(stderr, "skiff-remote: %s: %u %s\n", cmd->endpoint, msg->status,
                msg->reason ? msg->reason : "");
}

static int remote_run(const char *socket_path, const remote_command *cmd, const char *body,
                      size_t body_len, int timeout_s)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *target = g_strconcat(API_PREFIX, cmd->endpoint, NULL);
    g_autoptr(GString) req = NULL;
    http_message msg = { 0 };
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
    int fd;
    int rc;

    req = http_format_request(cmd->method, target, body ? "application/json" : NULL, body,
                              body_len);
    /* Only refused for a method or target that is not valid HTTP: ours are fixed. */
    g_assert(req);
    fd = remote_connect(socket_path, timeout_s, &error);
    if (fd < 0) {
        fprintf(stderr, "skiff-remote: %s\n", error->message);
        return EXIT_FAILED;
    }
    if (remote_send(fd, req, deadline, &error) < 0 ||
        remote_receive(fd, &msg, deadline, &error) < 0) {
        close(fd);
        http_message_clear(&msg);
        fprintf(stderr, "skiff-remote: %s: %s\n", cmd->endpoint, error->message);
        return EXIT_FAILED;
    }
    close(fd);
    if (msg.status >= 200 && msg.status < 300) {
        if (msg.status != 204)
            remote_print_body(&msg);
        rc = EXIT_OK;
    } else {
        remote_print_error(cmd, &msg);
        rc = EXIT_FAILED;
    }
    http_message_clear(&msg);
    return rc;
}

static char *remote_commands_help(void)
{
    GString *s = g_string_new(_("Commands:\n"));

    g_string_append_printf(s, "  ping               %s\n", _("the VMM's version and process id"));
    g_string_append_printf(s, "  info               %s\n", _("the VM's configuration and state"));
    g_string_append_printf(s, "  counters           %s\n", _("the VM's device counters"));
    g_string_append_printf(s, "  create FILE|-      %s\n",
                           _("create the VM from a VmConfig JSON file (- for standard input)"));
    g_string_append_printf(s, "  boot               %s\n", _("boot the created VM"));
    g_string_append_printf(s, "  pause              %s\n", _("pause the running VM"));
    g_string_append_printf(s, "  resume             %s\n", _("resume the paused VM"));
    g_string_append_printf(s, "  shutdown           %s\n",
                           _("stop the VM, keeping its configuration"));
    g_string_append_printf(s, "  reboot             %s\n", _("restart the VM"));
    g_string_append_printf(s, "  power-button       %s\n", _("press the ACPI power button"));
    g_string_append_printf(s, "  delete             %s\n",
                           _("stop the VM and forget its configuration"));
    g_string_append_printf(s, "  shutdown-vmm       %s\n", _("stop the VM and make skiff exit"));
    g_string_append(s, _("\nExit status: 0 on success, 1 when the request failed, "
                         "2 on a usage error."));
    return g_string_free(s, FALSE);
}

static int remote_usage_error(const char *message)
{
    fprintf(stderr, "skiff-remote: %s\n%s\n", message,
            _("Try \"skiff-remote --help\" for more information."));
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    g_autofree char *socket_path = NULL;
    g_autofree char *commands_help = NULL;
    g_autofree char *body = NULL;
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    gboolean version = FALSE;
    int timeout_s = DEFAULT_TIMEOUT_S;
    const remote_command *cmd;
    size_t body_len = 0;
    GOptionEntry entries[] = {
        { "api-socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path,
          N_("The unix socket of skiff's REST API"), N_("PATH") },
        { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s,
          N_("Give up when skiff has not answered in SECONDS (default 30)"), N_("SECONDS") },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"),
          NULL },
        G_OPTION_ENTRY_NULL,
    };

    /* A server that goes away mid-request must be an error message, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    setlocale(LC_CTYPE, "");
    setlocale(LC_MESSAGES, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    ctx = g_option_context_new(_("COMMAND [ARGUMENT]"));
    g_option_context_set_summary(ctx, _("Sends one request to a running skiff's REST API."));
    commands_help = remote_commands_help();
    g_option_context_set_description(ctx, commands_help);
    g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return remote_usage_error(error->message);
    if (version) {
        printf("skiff-remote %s\n", SKIFF_VERSION);
        return EXIT_OK;
    }
    if (argc < 2)
        return remote_usage_error(_("no command given"));
    cmd = remote_command_find(argv[1]);
    if (!cmd) {
        g_autofree char *msg = g_strdup_printf(_("unknown command \"%s\""), argv[1]);

        return remote_usage_error(msg);
    }
    if (argc != (cmd->takes_body ? 3 : 2)) {
        g_autofree char *msg = cmd->takes_body
            ? g_strdup_printf(_("%s takes one argument: a VmConfig JSON file, or - for "
                                "standard input"), cmd->name)
            : g_strdup_printf(_("%s takes no argument"), cmd->name);

        return remote_usage_error(msg);
    }
    if (!socket_path)
        return remote_usage_error(_("--api-socket PATH is required"));
    if (timeout_s <= 0)
        return remote_usage_error(_("--timeout must be a positive number of seconds"));
    if (cmd->takes_body && remote_read_body(argv[2], &body, &body_len, &error) < 0) {
        fprintf(stderr, "skiff-remote: %s\n", error->message);
        return EXIT_FAILED;
    }
    return remote_run(socket_path, cmd, body, body_len, timeout_s);
}
