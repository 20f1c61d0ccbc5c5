/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Connection and node procedures. */
#include <errno.h>
#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "driver/domcaps.h"
#include "driver/node.h"
#include "rpc/dispatch.h"
#include "xml/capabilities.h"
#include "xml/domain-conf.h"
#include "xml/virt-error.h"

/* libvirt's internal feature numbers (VIR_DRV_FEATURE_*) as clients send
 * them in CONNECT_SUPPORTS_FEATURE. */
enum {
    FEATURE_PROGRAM_KEEPALIVE = 10,
    FEATURE_REMOTE_EVENT_CALLBACK = 14,
    FEATURE_REMOTE_CLOSE_CALLBACK = 15,
};

/* "major.minor.micro" as libvirt's major * 1000000 + minor * 1000 + micro. */
static uint64_t version_number(const char *version)
{
    unsigned major = 0;
    unsigned minor = 0;
    unsigned micro = 0;

    if (sscanf(version, "%u.%u.%u", &major, &minor, &micro) < 1)
        return 0;
    return (uint64_t)major * 1000000 + (uint64_t)minor * 1000 + micro;
}

/* The URI a client opened, made canonical: "skiff:///system" or
 * "skiff:///session". Both paths are accepted on either daemon: the socket
 * the client reached already chose the instance (libvirt's remote driver
 * picks it from the path, or ?socket= overrides it). A transport suffix
 * ("skiff+unix") is allowed; another scheme or a host is not ours. */
static char *canonical_uri(const struct rpc_daemon *d, const char *name, GError **error)
{
    g_autoptr(GUri) uri = NULL;
    const char *scheme;
    const char *path;
    const char *host;

    if (!name || !*name)
        return g_strdup(d->system_mode ? "skiff:///system" : "skiff:///session");
    uri = g_uri_parse(name, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED, NULL);
    if (!uri) {
        virt_error_set(error, VIR_ERR_INVALID_ARG, _("cannot parse the URI '%s'"), name);
        return NULL;
    }
    scheme = g_uri_get_scheme(uri);
    host = g_uri_get_host(uri);
    path = g_uri_get_path(uri);
    if (g_ascii_strcasecmp(scheme, "skiff") != 0 &&
        g_ascii_strncasecmp(scheme, "skiff+", strlen("skiff+")) != 0) {
        virt_error_set(error, VIR_ERR_NO_CONNECT, _("no connection driver available for %s"),
                       name);
        return NULL;
    }
    if (host && *host && !g_str_equal(host, "localhost")) {
        virt_error_set(error, VIR_ERR_INVALID_ARG,
                       _("URI '%s' names a host: virtskiffd serves local clients only"), name);
        return NULL;
    }
    if (g_str_equal(path, "/system") || g_str_equal(path, "/session"))
        return g_strdup_printf("skiff://%s", path);
    virt_error_set(error, VIR_ERR_INVALID_ARG,
                   _("unexpected skiff URI path '%s', try skiff:///system or skiff:///session"),
                   path);
    return NULL;
}

static int proc_connect_open(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_connect_open_args, a, args);
    char *uri;

    if (conn->opened) {
        virt_error_set(error, VIR_ERR_INTERNAL_ERROR, _("connection already open"));
        return -1;
    }
    uri = canonical_uri(conn->daemon, a->name ? *a->name : NULL, error);
    if (!uri)
        return -1;
    g_free(conn->uri);
    conn->uri = uri;
    conn->opened = true;
    if (a->flags & VIR_CONNECT_RO)
        conn->readonly = true;
    return 0;
}

static int proc_connect_close(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    conn->opened = false;
    conn->close_callback = false;
    return 0;
}

static int proc_supports_feature(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_connect_supports_feature_args, a, args);
    skiff_connect_supports_feature_ret *r = ret;

    switch (a->feature) {
    case FEATURE_PROGRAM_KEEPALIVE:
        /* Asking is how a client says it answers PINGs. */
        conn->keepalive = true;
        r->supported = 1;
        break;
    case FEATURE_REMOTE_CLOSE_CALLBACK:
    case FEATURE_REMOTE_EVENT_CALLBACK:
        r->supported = 1;
        break;
    default:
        r->supported = 0;
        break;
    }
    return 0;
}

static int proc_auth_list(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    skiff_auth_list_ret *r = ret;

    /* The socket's permissions and SO_PEERCRED are the authentication. */
    r->types.types_len = 1;
    r->types.types_val = g_new0(skiff_auth_type, 1);
    r->types.types_val[0] = SKIFF_AUTH_NONE;
    return 0;
}

static int proc_get_type(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    skiff_connect_get_type_ret *r = ret;

    r->type = g_strdup("skiff");
    return 0;
}

static int proc_get_version(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    skiff_connect_get_version_ret *r = ret;

    r->hv_ver = version_number(SKIFF_VERSION);
    return 0;
}

/* The libvirt version whose protocol and API virtskiffd implements (the
 * headers it is built against), not skiff's: clients compare this with
 * libvirt releases to decide which calls they may make. */
static int proc_get_lib_version(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    skiff_connect_get_lib_version_ret *r = ret;

    r->lib_ver = LIBVIR_VERSION_NUMBER;
    return 0;
}

static int proc_get_hostname(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    skiff_connect_get_hostname_ret *r = ret;
    char name[256];

    if (gethostname(name, sizeof(name)) < 0) {
        virt_error_set(error, VIR_ERR_SYSTEM_ERROR, _("cannot get the host name: %s"),
                       g_strerror(errno));
        return -1;
    }
    name[sizeof(name) - 1] = '\0';
    r->hostname = g_strdup(name);
    return 0;
}

static int proc_get_uri(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    skiff_connect_get_uri_ret *r = ret;

    r->uri = g_strdup(conn->uri);
    return 0;
}

static int proc_get_max_vcpus(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_connect_get_max_vcpus_args, a, args);
    skiff_connect_get_max_vcpus_ret *r = ret;
    const char *type = a->type ? *a->type : NULL;

    if (type && g_ascii_strcasecmp(type, "kvm") != 0 && g_ascii_strcasecmp(type, "skiff") != 0) {
        virt_error_set(error, VIR_ERR_INVALID_ARG, _("unknown virtualization type '%s'"), type);
        return -1;
    }
    r->max_vcpus = DOMAIN_VCPUS_MAX;
    return 0;
}

static int proc_node_get_info(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    skiff_node_get_info_ret *r = ret;
    struct node_info info;

    node_get_info(&info);
    G_STATIC_ASSERT(sizeof(r->model) == sizeof(info.model));
    memcpy(r->model, info.model, sizeof(r->model));
    r->memory = info.memory_kib;
    r->cpus = info.cpus;
    r->mhz = info.mhz;
    r->nodes = info.nodes;
    r->sockets = info.sockets;
    r->cores = info.cores;
    r->threads = info.threads;
    return 0;
}

static int proc_get_capabilities(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    skiff_connect_get_capabilities_ret *r = ret;

    r->capabilities = capabilities_format(conn->daemon->skiff_path);
    return 0;
}

static int proc_get_domain_capabilities(struct rpc_conn *conn, void *args, void *ret,
                                        GError **error)
{
    RPC_ARGS(skiff_connect_get_domain_capabilities_args, a, args);
    skiff_connect_get_domain_capabilities_ret *r = ret;

    r->capabilities = domcaps_format(conn->daemon->skiff_path,
                                     a->emulatorbin ? *a->emulatorbin : NULL,
                                     a->arch ? *a->arch : NULL,
                                     a->machine ? *a->machine : NULL,
                                     a->virttype ? *a->virttype : NULL, a->flags, error);
    return r->capabilities ? 0 : -1;
}

/* No security driver: an empty model, which virsh prints as nothing. */
static int proc_node_get_security_model(struct rpc_conn *conn, void *args, void *ret,
                                        GError **error)
{
    return 0;
}

static int proc_is_secure(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    skiff_connect_is_secure_ret *r = ret;

    r->secure = 1;                 /* a local unix socket */
    return 0;
}

/* The close callback fires in the client when its socket closes; the server
 * has nothing to send for it. */
static int proc_register_close_callback(struct rpc_conn *conn, void *args, void *ret,
                                        GError **error)
{
    conn->close_callback = true;
    return 0;
}

static int proc_unregister_close_callback(struct rpc_conn *conn, void *args, void *ret,
                                          GError **error)
{
    conn->close_callback = false;
    return 0;
}

const struct rpc_handler connect_handlers[] = {
    { SKIFF_PROC_CONNECT_OPEN, proc_connect_open },
    { SKIFF_PROC_CONNECT_CLOSE, proc_connect_close },
    { SKIFF_PROC_CONNECT_GET_TYPE, proc_get_type },
    { SKIFF_PROC_CONNECT_GET_VERSION, proc_get_version },
    { SKIFF_PROC_CONNECT_GET_MAX_VCPUS, proc_get_max_vcpus },
    { SKIFF_PROC_NODE_GET_INFO, proc_node_get_info },
    { SKIFF_PROC_CONNECT_GET_CAPABILITIES, proc_get_capabilities },
    { SKIFF_PROC_CONNECT_GET_DOMAIN_CAPABILITIES, proc_get_domain_capabilities },
    { SKIFF_PROC_CONNECT_GET_HOSTNAME, proc_get_hostname },
    { SKIFF_PROC_CONNECT_SUPPORTS_FEATURE, proc_supports_feature },
    { SKIFF_PROC_AUTH_LIST, proc_auth_list },
    { SKIFF_PROC_CONNECT_GET_URI, proc_get_uri },
    { SKIFF_PROC_NODE_GET_SECURITY_MODEL, proc_node_get_security_model },
    { SKIFF_PROC_CONNECT_IS_SECURE, proc_is_secure },
    { SKIFF_PROC_CONNECT_GET_LIB_VERSION, proc_get_lib_version },
    { SKIFF_PROC_CONNECT_REGISTER_CLOSE_CALLBACK, proc_register_close_callback },
    { SKIFF_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK, proc_unregister_close_callback },
};
const size_t connect_n_handlers = G_N_ELEMENTS(connect_handlers);
