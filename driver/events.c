/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "driver/events.h"

#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <string.h>

#include "vmm/log.h"
#include "xml/virt-error.h"

/* Ids up to libvirt 9.0's last (MEMORY_DEVICE_SIZE_CHANGE, 26) and room for
 * newer clients' ones, which never fire either. */
#define MAX_EVENT_ID 64
/* A client may not make the daemon keep unbounded state. */
#define MAX_CALLBACKS_PER_CONN 1024

struct event_reg {
    int callback_id;
    int event_id;
    bool one_domain;
    uint8_t uuid[16];
    struct rpc_conn *conn;
};

struct event_hub {
    GPtrArray *regs;            /* struct event_reg *, in registration order */
    int next_id;
};

event_hub *event_hub_new(void)
{
    event_hub *hub = g_new0(event_hub, 1);

    hub->regs = g_ptr_array_new_with_free_func(g_free);
    hub->next_id = 1;
    return hub;
}

void event_hub_free(event_hub *hub)
{
    if (!hub)
        return;
    g_ptr_array_unref(hub->regs);
    g_free(hub);
}

void event_hub_conn_closed(event_hub *hub, struct rpc_conn *conn)
{
    for (guint i = hub->regs->len; i-- > 0;) {
        struct event_reg *r = hub->regs->pdata[i];

        if (r->conn == conn)
            g_ptr_array_remove_index(hub->regs, i);
    }
}

static void send_message(struct event_reg *r, int proc, xdrproc_t filter, const void *msg)
{
    struct rpc_header hdr = {
        .prog = SKIFF_REMOTE_PROGRAM,
        .vers = SKIFF_REMOTE_VERSION,
        .proc = proc,
        .type = RPC_TYPE_MESSAGE,
        .serial = 0,
        .status = RPC_STATUS_OK,
    };
    g_autoptr(GError) error = NULL;
    GBytes *pkt = rpc_packet_build(&hdr, filter, msg, &error);

    if (!pkt) {
        log_warning(_("cannot encode event %d: %s"), proc, error->message);
        return;
    }
    r->conn->push(r->conn, pkt);
}

void event_hub_domain_event(void *opaque, domain *dom, int event, int detail)
{
    event_hub *hub = opaque;
    int event_id = event == DOMAIN_EVENT_REBOOT ? VIR_DOMAIN_EVENT_ID_REBOOT
                                                : VIR_DOMAIN_EVENT_ID_LIFECYCLE;
    skiff_nonnull_domain d = {
        .name = (char *)domain_name(dom),
        .id = domain_id(dom),
    };

    memcpy(d.uuid, domain_uuid(dom), sizeof(d.uuid));
    log_debug("domain %s: event %d detail %d", d.name, event, detail);
    /* Copied first: a push can close a client, which changes the list. */
    g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < hub->regs->len; i++) {
        struct event_reg *r = hub->regs->pdata[i];

        if (r->event_id == event_id && (!r->one_domain || !memcmp(r->uuid, d.uuid, 16)))
            g_ptr_array_add(targets, g_memdup2(r, sizeof(*r)));
    }
    for (guint i = 0; i < targets->len; i++) {
        struct event_reg *r = targets->pdata[i];

        if (event_id == VIR_DOMAIN_EVENT_ID_LIFECYCLE) {
            skiff_domain_event_callback_lifecycle_msg msg = {
                .callbackID = r->callback_id, .dom = d, .event = event, .detail = detail,
            };

            send_message(r, SKIFF_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                         (xdrproc_t)xdr_skiff_domain_event_callback_lifecycle_msg, &msg);
        } else {
            skiff_domain_event_callback_reboot_msg msg = {
                .callbackID = r->callback_id, .dom = d,
            };

            send_message(r, SKIFF_PROC_DOMAIN_EVENT_CALLBACK_REBOOT,
                         (xdrproc_t)xdr_skiff_domain_event_callback_reboot_msg, &msg);
        }
    }
}

static int proc_register_any(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_connect_domain_event_callback_register_any_args, a, args);
    skiff_connect_domain_event_callback_register_any_ret *r = ret;
    event_hub *hub = conn->daemon->events;
    struct event_reg *reg;
    unsigned mine = 0;

    if (!hub) {
        virt_error_set(error, VIR_ERR_NO_SUPPORT, _("events are not available in this daemon"));
        return -1;
    }
    if (a->eventID < 0 || a->eventID >= MAX_EVENT_ID) {
        virt_error_set(error, VIR_ERR_INVALID_ARG, _("unsupported event ID %d"), a->eventID);
        return -1;
    }
    for (guint i = 0; i < hub->regs->len; i++)
        mine += ((struct event_reg *)hub->regs->pdata[i])->conn == conn;
    if (mine >= MAX_CALLBACKS_PER_CONN) {
        virt_error_set(error, VIR_ERR_OPERATION_FAILED,
                       _("too many event callbacks on this connection (%d)"),
                       MAX_CALLBACKS_PER_CONN);
        return -1;
    }
    reg = g_new0(struct event_reg, 1);
    reg->callback_id = hub->next_id++;
    reg->event_id = a->eventID;
    reg->conn = conn;
    if (a->dom) {
        reg->one_domain = true;
        memcpy(reg->uuid, a->dom->uuid, 16);
    }
    g_ptr_array_add(hub->regs, reg);
    r->callbackID = reg->callback_id;
    return 0;
}

static int proc_deregister_any(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_connect_domain_event_callback_deregister_any_args, a, args);
    event_hub *hub = conn->daemon->events;

    for (guint i = 0; hub && i < hub->regs->len; i++) {
        struct event_reg *r = hub->regs->pdata[i];

        if (r->conn == conn && r->callback_id == a->callbackID) {
            g_ptr_array_remove_index(hub->regs, i);
            return 0;
        }
    }
    virt_error_set(error, VIR_ERR_INVALID_ARG, _("callback %d not registered"), a->callbackID);
    return -1;
}

const struct rpc_handler event_handlers[] = {
    { SKIFF_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, proc_register_any },
    { SKIFF_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, proc_deregister_any },
};
const size_t event_n_handlers = G_N_ELEMENTS(event_handlers);
