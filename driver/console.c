/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virsh console: DOMAIN_OPEN_CONSOLE opens a stream between the client and
 * the pty skiff gives the guest's serial port or virtio console. The daemon
 * opens the pty's far side itself (as libvirt does), so the client needs no
 * access to /dev/pts. One stream per pty: a second client gets "Active
 * console session exists" unless it forces, which aborts the first stream.
 *
 * Wire facts: the REPLY to the call opens the stream; both sides then send
 * STREAM packets with the call's proc and serial: CONTINUE with raw bytes,
 * OK with no bytes to finish (answered with the same), ERROR to abort
 * (answered with OK). The daemon sends an empty CONTINUE when the pty
 * ends (the VM stopped) and ERROR when another client takes the console
 * over; the stream then stays, ended, until the client finishes or aborts
 * it (it waits for that answer), or the connection closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "driver/domains.h"
#include "rpc/dispatch.h"
#include "rpc/server.h"
#include "vmm/log.h"
#include "xml/virt-error.h"

/* libvirt's own chunk for stream data. */
#define CHUNK (256 * 1024)
/* Keystrokes and pastes; a client that sends more than this faster than the
 * guest reads is aborted rather than buffered without end. */
#define MAX_PENDING_INPUT (1024 * 1024)
#define PAUSED_RETRY_MS 20
/* Ended streams wait for the client's finish; a client that never sends it
 * (or opens consoles in a loop) may not grow the list without end. */
#define MAX_STREAMS_PER_CONN 64

struct console_stream {
    struct rpc_conn *conn;
    char *pty;
    int fd;
    int32_t proc;
    uint32_t serial;
    GSource *in_source;         /* the pty is readable */
    GSource *out_source;        /* the pty can take pending input again */
    GSource *retry;             /* reading paused while the client's queue drains */
    GByteArray *pending;        /* client bytes the pty has not taken yet */
    bool ended;                 /* the daemon ended it: no pty, waiting for the client */
};

/* pty path → its stream (main loop only). */
static GHashTable *streams;

static void source_drop(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_clear_pointer(src, g_source_unref);
    }
}

/* Lets the pty go: another client may open it, nothing is read or written. */
static void stream_release_pty(console_stream *s)
{
    if (streams && g_hash_table_lookup(streams, s->pty) == s)
        g_hash_table_remove(streams, s->pty);
    source_drop(&s->in_source);
    source_drop(&s->out_source);
    source_drop(&s->retry);
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

static void stream_free(console_stream *s)
{
    if (!s)
        return;
    stream_release_pty(s);
    if (s->conn)
        s->conn->consoles = g_list_remove(s->conn->consoles, s);
    g_byte_array_unref(s->pending);
    g_free(s->pty);
    g_free(s);
}

static struct rpc_header stream_header(const console_stream *s, int status)
{
    return (struct rpc_header){
        .prog = SKIFF_REMOTE_PROGRAM, .vers = SKIFF_REMOTE_VERSION, .proc = s->proc,
        .type = RPC_TYPE_STREAM, .serial = s->serial, .status = status,
    };
}

/* The daemon ends the stream: end of data (an empty CONTINUE, as libvirt
 * sends it) or an error the client shows. The pty is let go at once. */
static void stream_end(console_stream *s, int code, const char *why)
{
    struct rpc_header hdr = stream_header(s, why ? RPC_STATUS_ERROR : RPC_STATUS_CONTINUE);
    GBytes *pkt = why ? rpc_packet_build_error(&hdr, code, VIR_FROM_STREAMS, why)
                      : rpc_packet_build_raw(&hdr, NULL, 0);

    stream_release_pty(s);
    s->ended = true;
    if (s->conn->push(s->conn, pkt) < 0)
        stream_free(s);
}

static gboolean on_pty_readable(int fd, GIOCondition cond, gpointer data);

static void watch_input(console_stream *s)
{
    s->in_source = g_unix_fd_source_new(s->fd, G_IO_IN);
    g_source_set_static_name(s->in_source, "virtskiffd-console-in");
    g_source_set_callback(s->in_source, G_SOURCE_FUNC(on_pty_readable), s, NULL);
    g_source_attach(s->in_source, NULL);
}

static gboolean on_retry(gpointer data)
{
    console_stream *s = data;

    if (s->conn->queued(s->conn) > RPC_OUT_PAUSE)
        return G_SOURCE_CONTINUE;
    g_clear_pointer(&s->retry, g_source_unref);
    watch_input(s);
    return G_SOURCE_REMOVE;
}

static gboolean on_pty_readable(int fd, GIOCondition cond, gpointer data)
{
    console_stream *s = data;
    g_autofree uint8_t *buf = NULL;
    ssize_t n;

    /* A client that does not read does not make the daemon buffer the guest's output. */
    if (s->conn->queued(s->conn) > RPC_OUT_PAUSE) {
        g_clear_pointer(&s->in_source, g_source_unref);
        s->retry = g_timeout_source_new(PAUSED_RETRY_MS);
        g_source_set_callback(s->retry, on_retry, s, NULL);
        g_source_attach(s->retry, NULL);
        return G_SOURCE_REMOVE;
    }
    buf = g_malloc(CHUNK);
    n = read(fd, buf, CHUNK);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        /* EIO: skiff closed the pty (the VM stopped or was rebuilt). */
        log_debug("console %s: %s", s->pty, n < 0 ? g_strerror(errno) : "end of file");
        g_clear_pointer(&s->in_source, g_source_unref);
        stream_end(s, 0, NULL);
        return G_SOURCE_REMOVE;
    }
    {
        struct rpc_header hdr = stream_header(s, RPC_STATUS_CONTINUE);

        if (s->conn->push(s->conn, rpc_packet_build_raw(&hdr, buf, (size_t)n)) < 0) {
            g_clear_pointer(&s->in_source, g_source_unref);
            stream_free(s);
            return G_SOURCE_REMOVE;
        }
    }
    return G_SOURCE_CONTINUE;
}

/* Writes what the pty takes now; 0, or -1 on a pty error. */
static int flush_pending(console_stream *s)
{
    while (s->pending->len) {
        ssize_t n = write(s->fd, s->pending->data, s->pending->len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n < 0)
            return -1;
        g_byte_array_remove_range(s->pending, 0, (guint)n);
    }
    return 0;
}

static gboolean on_pty_writable(int fd, GIOCondition cond, gpointer data)
{
    console_stream *s = data;

    if (flush_pending(s) < 0) {
        g_clear_pointer(&s->out_source, g_source_unref);
        stream_end(s, VIR_ERR_OPERATION_FAILED, _("cannot write to the console"));
        return G_SOURCE_REMOVE;
    }
    if (s->pending->len)
        return G_SOURCE_CONTINUE;
    g_clear_pointer(&s->out_source, g_source_unref);
    return G_SOURCE_REMOVE;
}

static int stream_write(console_stream *s, const uint8_t *data, size_t len)
{
    if (s->pending->len + len > MAX_PENDING_INPUT) {
        stream_end(s, VIR_ERR_OPERATION_FAILED,
                   _("the guest does not read its console fast enough"));
        return -1;
    }
    g_byte_array_append(s->pending, data, (guint)len);
    if (flush_pending(s) < 0) {
        stream_end(s, VIR_ERR_OPERATION_FAILED, _("cannot write to the console"));
        return -1;
    }
    if (s->pending->len && !s->out_source) {
        s->out_source = g_unix_fd_source_new(s->fd, G_IO_OUT);
        g_source_set_callback(s->out_source, G_SOURCE_FUNC(on_pty_writable), s, NULL);
        g_source_attach(s->out_source, NULL);
    }
    return 0;
}

static console_stream *find_stream(struct rpc_conn *conn, int32_t proc, uint32_t serial)
{
    for (GList *l = conn->consoles; l; l = l->next) {
        console_stream *s = l->data;

        if (s->proc == proc && s->serial == serial)
            return s;
    }
    return NULL;
}

int console_stream_input(struct rpc_conn *conn, const struct rpc_header *hdr,
                         const uint8_t *body, size_t body_len, GBytes **reply)
{
    console_stream *s = find_stream(conn, hdr->proc, hdr->serial);
    struct rpc_header ack;

    *reply = NULL;
    /* Data racing with the end of a stream (ours, or one we aborted) is stale. */
    if (!s) {
        log_debug("client pid %d: stream packet for proc %d serial %u ignored", (int)conn->pid,
                  hdr->proc, hdr->serial);
        return 0;
    }
    switch (hdr->status) {
    case RPC_STATUS_CONTINUE:
        if (!s->ended)
            stream_write(s, body, body_len);
        return 0;
    case RPC_STATUS_OK:        /* finish */
    case RPC_STATUS_ERROR:     /* abort */
        /* Both are acknowledged with an empty OK (what libvirt's daemon does). */
        ack = stream_header(s, RPC_STATUS_OK);
        *reply = rpc_packet_build_raw(&ack, NULL, 0);
        stream_free(s);
        return 0;
    default:
        log_info(_("client pid %d: stream packet with status %d; closing it"), (int)conn->pid,
                 hdr->status);
        return -1;
    }
}

void console_conn_closed(struct rpc_conn *conn)
{
    while (conn->consoles) {
        console_stream *s = conn->consoles->data;

        conn->consoles = g_list_delete_link(conn->consoles, conn->consoles);
        s->conn = NULL;     /* gone: nothing more to send it */
        stream_free(s);
    }
}

static int open_pty(const char *path, GError **error)
{
    struct termios raw;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED, _("cannot open console %s: %s"), path,
                       g_strerror(errno));
        return -1;
    }
    if (!isatty(fd)) {
        close(fd);
        virt_error_set(error, VIR_ERR_OPERATION_FAILED, _("%s is not a terminal"), path);
        return -1;
    }
    /* Bytes pass untouched both ways: no echo back to the guest, no CR/LF games. */
    if (tcgetattr(fd, &raw) == 0) {
        cfmakeraw(&raw);
        tcsetattr(fd, TCSANOW, &raw);
    }
    return fd;
}

static int proc_open_console(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_open_console_args, a, args);
    unsigned known = VIR_DOMAIN_CONSOLE_FORCE | VIR_DOMAIN_CONSOLE_SAFE;
    domain *dom;
    const char *pty;
    console_stream *s;
    console_stream *old;
    int fd;

    if (!conn->daemon->dm) {
        virt_error_set(error, VIR_ERR_NO_SUPPORT, _("domains are not available in this daemon"));
        return -1;
    }
    if (a->flags & ~known) {
        virt_error_set(error, VIR_ERR_INVALID_ARG,
                       _("unsupported flags (0x%x) in function virDomainOpenConsole"),
                       a->flags & ~known);
        return -1;
    }
    dom = domain_manager_lookup_by_uuid(conn->daemon->dm, (const uint8_t *)a->dom.uuid, error);
    if (!dom || domain_console_pty(dom, a->dev_name ? *a->dev_name : NULL, &pty, error) < 0)
        return -1;
    if (!streams)
        streams = g_hash_table_new(g_str_hash, g_str_equal);
    old = g_hash_table_lookup(streams, pty);
    if (old && !(a->flags & VIR_DOMAIN_CONSOLE_FORCE)) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("Active console session exists for this domain"));
        return -1;
    }
    if (find_stream(conn, SKIFF_PROC_DOMAIN_OPEN_CONSOLE, conn->call_serial)) {
        virt_error_set(error, VIR_ERR_RPC, _("a stream with serial %u is open already"),
                       conn->call_serial);
        return -1;
    }
    if (g_list_length(conn->consoles) >= MAX_STREAMS_PER_CONN) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("too many console streams on this connection (%d)"),
                       MAX_STREAMS_PER_CONN);
        return -1;
    }
    /* This client forcing its own console again: its old stream just goes. */
    if (old && old->conn == conn) {
        stream_free(old);
        old = NULL;
    }
    fd = open_pty(pty, error);
    if (fd < 0)
        return -1;
    if (old)
        stream_end(old, VIR_ERR_OPERATION_FAILED,
                   _("the console was taken over by another client"));
    s = g_new0(console_stream, 1);
    s->conn = conn;
    s->pty = g_strdup(pty);
    s->fd = fd;
    s->proc = SKIFF_PROC_DOMAIN_OPEN_CONSOLE;
    s->serial = conn->call_serial;
    s->pending = g_byte_array_new();
    g_hash_table_insert(streams, s->pty, s);
    conn->consoles = g_list_prepend(conn->consoles, s);
    watch_input(s);
    log_debug("client pid %d: console %s open (serial %u)", (int)conn->pid, pty, s->serial);
    return 0;
}

const struct rpc_handler console_handlers[] = {
    { SKIFF_PROC_DOMAIN_OPEN_CONSOLE, proc_open_console },
};
const size_t console_n_handlers = G_N_ELEMENTS(console_handlers);
