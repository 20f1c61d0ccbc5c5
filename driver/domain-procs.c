/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain procedures: decode, check flags, call the domain manager
 * (driver/domains.h), encode. Each runs to completion on the main loop; the
 * domain manager bounds how long a call takes.
 *
 * Flags follow libvirt's rule: a flag this driver does not know is refused
 * with VIR_ERR_INVALID_ARG; a flag that asks for something skiff keeps no
 * state for (managed save, snapshots, NVRAM, TPM) is accepted and has
 * nothing to do.
 */
#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <string.h>

#include "driver/domains.h"
#include "rpc/dispatch.h"
#include "xml/virt-error.h"

#define LIST_MANAGEDSAVE_FLAGS (VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE | \
                                VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE)
#define LIST_SNAPSHOT_FLAGS (VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT | \
                             VIR_CONNECT_LIST_DOMAINS_NO_SNAPSHOT)
#define LIST_CHECKPOINT_FLAGS (VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT | \
                               VIR_CONNECT_LIST_DOMAINS_NO_CHECKPOINT)
#define LIST_ALL_FLAGS ((1u << 16) - 1)

static int check_flags(unsigned flags, unsigned allowed, const char *api, GError **error)
{
    if (flags & ~allowed) {
        virt_error_set(error, VIR_ERR_INVALID_ARG, _("unsupported flags (0x%x) in function %s"),
                       flags & ~allowed, api);
        return -1;
    }
    return 0;
}

static domain_manager *manager(struct rpc_conn *conn, GError **error)
{
    if (!conn->daemon->dm)
        virt_error_set(error, VIR_ERR_NO_SUPPORT, _("domains are not available in this daemon"));
    return conn->daemon->dm;
}

/* The domain a call names: by uuid, as libvirt's drivers do (a name can be
 * reused by a new definition; the uuid cannot). */
static domain *lookup(struct rpc_conn *conn, const skiff_nonnull_domain *d, GError **error)
{
    domain_manager *dm = manager(conn, error);

    if (!dm)
        return NULL;
    return domain_manager_lookup_by_uuid(dm, (const uint8_t *)d->uuid, error);
}

static void fill_domain(skiff_nonnull_domain *out, const domain *dom)
{
    out->name = g_strdup(domain_name(dom));
    memcpy(out->uuid, domain_uuid(dom), sizeof(out->uuid));
    out->id = domain_id(dom);
}

/* For calls that answer { nonnull_domain dom }. */
static int reply_domain(domain *dom, void *ret)
{
    skiff_domain_ret *r = ret;

    if (!dom)
        return -1;
    fill_domain(&r->dom, dom);
    return 0;
}

static int proc_lookup_by_name(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_lookup_by_name_args, a, args);
    domain_manager *dm = manager(conn, error);

    return dm ? reply_domain(domain_manager_lookup_by_name(dm, a->name, error), ret) : -1;
}

static int proc_lookup_by_uuid(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_lookup_by_uuid_args, a, args);
    domain_manager *dm = manager(conn, error);

    return dm ? reply_domain(domain_manager_lookup_by_uuid(dm, (const uint8_t *)a->uuid, error),
                             ret) : -1;
}

static int proc_lookup_by_id(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_lookup_by_id_args, a, args);
    domain_manager *dm = manager(conn, error);

    return dm ? reply_domain(domain_manager_lookup_by_id(dm, a->id, error), ret) : -1;
}

static int define(struct rpc_conn *conn, const char *xml, unsigned flags, void *ret,
                  const char *api, GError **error)
{
    domain_manager *dm = manager(conn, error);

    if (!dm || check_flags(flags, VIR_DOMAIN_DEFINE_VALIDATE, api, error) < 0)
        return -1;
    return reply_domain(domain_manager_define(dm, xml, flags & VIR_DOMAIN_DEFINE_VALIDATE
                                              ? DOMAIN_PARSE_VALIDATE : 0, error), ret);
}

static int proc_define_xml(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_xml_args, a, args);

    return define(conn, a->xml, 0, ret, "virDomainDefineXML", error);
}

static int proc_define_xml_flags(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_xml_flags_args, a, args);

    return define(conn, a->xml, a->flags, ret, "virDomainDefineXMLFlags", error);
}

static int proc_create_xml(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_xml_flags_args, a, args);
    domain_manager *dm = manager(conn, error);
    /* No managed save to bypass or discard. */
    unsigned allowed = VIR_DOMAIN_START_VALIDATE | VIR_DOMAIN_START_BYPASS_CACHE |
                       VIR_DOMAIN_START_FORCE_BOOT;

    if (!dm || check_flags(a->flags, allowed, "virDomainCreateXML", error) < 0)
        return -1;
    return reply_domain(domain_manager_create_xml(dm, a->xml, a->flags & VIR_DOMAIN_START_VALIDATE
                                                  ? DOMAIN_PARSE_VALIDATE : 0, error), ret);
}

static int start(struct rpc_conn *conn, const skiff_nonnull_domain *d, unsigned flags,
                 void *ret, const char *api, GError **error)
{
    unsigned allowed = VIR_DOMAIN_START_BYPASS_CACHE | VIR_DOMAIN_START_FORCE_BOOT;
    domain *dom;

    if (check_flags(flags, allowed, api, error) < 0)
        return -1;
    dom = lookup(conn, d, error);
    if (!dom || domain_start(dom, error) < 0)
        return -1;
    return ret ? reply_domain(dom, ret) : 0;
}

static int proc_create(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);

    return start(conn, &a->dom, 0, NULL, "virDomainCreate", error);
}

static int proc_create_with_flags(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_flags_args, a, args);

    return start(conn, &a->dom, a->flags, ret, "virDomainCreateWithFlags", error);
}

typedef int (*domain_op_fn)(domain *dom, GError **error);

static int domain_op(struct rpc_conn *conn, const skiff_nonnull_domain *d, unsigned flags,
                     unsigned allowed, domain_op_fn op, const char *api, GError **error)
{
    domain *dom;

    if (check_flags(flags, allowed, api, error) < 0)
        return -1;
    dom = lookup(conn, d, error);
    return dom ? op(dom, error) : -1;
}

static int proc_destroy(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);

    return domain_op(conn, &a->dom, 0, 0, domain_destroy, "virDomainDestroy", error);
}

static int proc_destroy_flags(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_flags_args, a, args);

    /* GRACEFUL: the domain manager escalates to SIGKILL only after a grace
     * period, which is what a graceful destroy may wait for. */
    return domain_op(conn, &a->dom, a->flags, VIR_DOMAIN_DESTROY_GRACEFUL, domain_destroy,
                     "virDomainDestroyFlags", error);
}

static int proc_shutdown(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);

    return domain_op(conn, &a->dom, 0, 0, domain_shutdown, "virDomainShutdown", error);
}

static int proc_shutdown_flags(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_flags_args, a, args);

    return domain_op(conn, &a->dom, a->flags, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN,
                     domain_shutdown, "virDomainShutdownFlags", error);
}

static int proc_reboot(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_flags_args, a, args);

    return domain_op(conn, &a->dom, a->flags, VIR_DOMAIN_REBOOT_ACPI_POWER_BTN, domain_reboot,
                     "virDomainReboot", error);
}

static int proc_suspend(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);

    return domain_op(conn, &a->dom, 0, 0, domain_suspend, "virDomainSuspend", error);
}

static int proc_resume(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);

    return domain_op(conn, &a->dom, 0, 0, domain_resume, "virDomainResume", error);
}

static int undefine(struct rpc_conn *conn, const skiff_nonnull_domain *d, unsigned flags,
                    const char *api, GError **error)
{
    unsigned allowed = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                       VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_KEEP_NVRAM |
                       VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_TPM |
                       VIR_DOMAIN_UNDEFINE_KEEP_TPM;
    domain *dom;

    if (check_flags(flags, allowed, api, error) < 0)
        return -1;
    dom = lookup(conn, d, error);
    return dom ? domain_manager_undefine(conn->daemon->dm, dom, error) : -1;
}

static int proc_undefine(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);

    return undefine(conn, &a->dom, 0, "virDomainUndefine", error);
}

static int proc_undefine_flags(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_flags_args, a, args);

    return undefine(conn, &a->dom, a->flags, "virDomainUndefineFlags", error);
}

static int proc_get_info(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);
    skiff_domain_get_info_ret *r = ret;
    domain *dom = lookup(conn, &a->dom, error);
    struct domain_info info;

    if (!dom)
        return -1;
    domain_get_info(dom, &info);
    r->state = (u_char)info.state;
    r->max_mem = info.max_mem_kib;
    r->memory = info.memory_kib;
    r->nr_virt_cpu = (u_short)MIN(info.nr_vcpus, G_MAXUSHORT);
    r->cpu_time = info.cpu_time_ns;
    return 0;
}

static int proc_get_state(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_flags_args, a, args);
    skiff_domain_get_state_ret *r = ret;
    struct domain_info info;
    domain *dom;

    if (check_flags(a->flags, 0, "virDomainGetState", error) < 0)
        return -1;
    dom = lookup(conn, &a->dom, error);
    if (!dom)
        return -1;
    domain_get_info(dom, &info);
    r->state = info.state;
    r->reason = info.reason;
    return 0;
}

static int proc_get_max_memory(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);
    skiff_domain_get_max_memory_ret *r = ret;
    domain *dom = lookup(conn, &a->dom, error);
    struct domain_info info;

    if (!dom)
        return -1;
    domain_get_info(dom, &info);
    r->memory = info.max_mem_kib;
    return 0;
}

static int proc_get_xml_desc(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_flags_args, a, args);
    skiff_domain_get_xml_desc_ret *r = ret;
    unsigned allowed = VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_INACTIVE |
                       VIR_DOMAIN_XML_UPDATE_CPU | VIR_DOMAIN_XML_MIGRATABLE;
    domain *dom;

    if (check_flags(a->flags, allowed, "virDomainGetXMLDesc", error) < 0)
        return -1;
    if (conn->readonly && (a->flags & VIR_DOMAIN_XML_SECURE)) {
        virt_error_set(error, VIR_ERR_OPERATION_DENIED,
                       _("virDomainGetXMLDesc with secure flag"));
        return -1;
    }
    dom = lookup(conn, &a->dom, error);
    if (!dom)
        return -1;
    /* UPDATE_CPU and MIGRATABLE change nothing: host-passthrough is all
     * skiff offers, and there is no migration yet. */
    r->xml = domain_get_xml(dom, a->flags & (VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_INACTIVE),
                            error);
    return r->xml ? 0 : -1;
}

static int proc_get_os_type(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);
    skiff_domain_get_os_type_ret *r = ret;
    domain *dom = lookup(conn, &a->dom, error);

    if (!dom)
        return -1;
    r->type = g_strdup(domain_os_type(dom));
    return 0;
}

static int proc_get_autostart(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);
    skiff_domain_int_ret *r = ret;
    domain *dom = lookup(conn, &a->dom, error);
    bool autostart;

    if (!dom || domain_get_autostart(dom, &autostart, error) < 0)
        return -1;
    r->value = autostart;
    return 0;
}

static int proc_set_autostart(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_set_autostart_args, a, args);
    domain *dom = lookup(conn, &a->dom, error);

    return dom ? domain_set_autostart(dom, a->autostart != 0, error) : -1;
}

static int proc_is_active(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);
    skiff_domain_int_ret *r = ret;
    domain *dom = lookup(conn, &a->dom, error);

    if (!dom)
        return -1;
    r->value = domain_is_active(dom);
    return 0;
}

static int proc_is_persistent(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);
    skiff_domain_int_ret *r = ret;
    domain *dom = lookup(conn, &a->dom, error);

    if (!dom)
        return -1;
    r->value = domain_is_persistent(dom);
    return 0;
}

/* Answers 0 for a domain that exists: skiff keeps no managed save and no
 * snapshots, and no live change ever sets a live definition apart from the
 * persistent one (is-updated). */
static int zero_for_domain(struct rpc_conn *conn, const skiff_nonnull_domain *d, void *ret,
                           GError **error)
{
    skiff_domain_int_ret *r = ret;

    if (!lookup(conn, d, error))
        return -1;
    r->value = 0;
    return 0;
}

static int proc_zero(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_args, a, args);

    return zero_for_domain(conn, &a->dom, ret, error);
}

/* Any flags: they only filter which saves or snapshots count. */
static int proc_zero_flags(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_domain_flags_args, a, args);

    return zero_for_domain(conn, &a->dom, ret, error);
}

/* The domains matching a virConnectListAllDomainsFlags value. */
static GPtrArray *list_domains(struct rpc_conn *conn, unsigned flags, GError **error)
{
    domain_manager *dm = manager(conn, error);

    if (!dm || check_flags(flags, LIST_ALL_FLAGS, "virConnectListAllDomains", error) < 0)
        return NULL;
    /* No domain has a managed save, a snapshot or a checkpoint: asking for
     * only those that have one selects nothing; the "no" side is everyone. */
    if (((flags & LIST_MANAGEDSAVE_FLAGS) == VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE) ||
        ((flags & LIST_SNAPSHOT_FLAGS) == VIR_CONNECT_LIST_DOMAINS_HAS_SNAPSHOT) ||
        ((flags & LIST_CHECKPOINT_FLAGS) == VIR_CONNECT_LIST_DOMAINS_HAS_CHECKPOINT))
        return g_ptr_array_new();
    flags &= ~(LIST_MANAGEDSAVE_FLAGS | LIST_SNAPSHOT_FLAGS | LIST_CHECKPOINT_FLAGS);
    return domain_manager_list(dm, flags);
}

static int proc_list_all_domains(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_connect_list_all_domains_args, a, args);
    skiff_connect_list_all_domains_ret *r = ret;
    g_autoptr(GPtrArray) doms = list_domains(conn, a->flags, error);

    if (!doms)
        return -1;
    if (doms->len > SKIFF_DOMAIN_LIST_MAX) {
        virt_error_set(error, VIR_ERR_INTERNAL_ERROR,
                       _("too many domains for one answer (%u, at most %d)"), doms->len,
                       SKIFF_DOMAIN_LIST_MAX);
        return -1;
    }
    r->ret = doms->len;
    if (!a->need_results)
        return 0;
    r->domains.domains_len = doms->len;
    r->domains.domains_val = g_new0(skiff_nonnull_domain, MAX(doms->len, 1));
    for (unsigned i = 0; i < doms->len; i++)
        fill_domain(&r->domains.domains_val[i], doms->pdata[i]);
    return 0;
}

static int proc_num_of_domains(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    skiff_connect_num_of_domains_ret *r = ret;
    g_autoptr(GPtrArray) doms = list_domains(conn, VIR_CONNECT_LIST_DOMAINS_ACTIVE, error);

    if (!doms)
        return -1;
    r->num = (int)doms->len;
    return 0;
}

static int proc_num_of_defined_domains(struct rpc_conn *conn, void *args, void *ret,
                                       GError **error)
{
    skiff_connect_num_of_domains_ret *r = ret;
    g_autoptr(GPtrArray) doms = list_domains(conn, VIR_CONNECT_LIST_DOMAINS_INACTIVE, error);

    if (!doms)
        return -1;
    r->num = (int)doms->len;
    return 0;
}

static int proc_list_domains(struct rpc_conn *conn, void *args, void *ret, GError **error)
{
    RPC_ARGS(skiff_connect_list_domains_args, a, args);
    skiff_connect_list_domains_ret *r = ret;
    g_autoptr(GPtrArray) doms = NULL;
    unsigned n;

    if (a->maxids < 0 || a->maxids > SKIFF_DOMAIN_LIST_MAX) {
        virt_error_set(error, VIR_ERR_RPC, _("maxids %d out of range"), a->maxids);
        return -1;
    }
    doms = list_domains(conn, VIR_CONNECT_LIST_DOMAINS_ACTIVE, error);
    if (!doms)
        return -1;
    n = MIN(doms->len, (unsigned)a->maxids);
    r->ids.ids_len = n;
    r->ids.ids_val = g_new0(int, MAX(n, 1));
    for (unsigned i = 0; i < n; i++)
        r->ids.ids_val[i] = domain_id(doms->pdata[i]);
    return 0;
}

static int proc_list_defined_domains(struct rpc_conn *conn, void *args, void *ret,
                                     GError **error)
{
    RPC_ARGS(skiff_connect_list_defined_domains_args, a, args);
    skiff_connect_list_defined_domains_ret *r = ret;
    g_autoptr(GPtrArray) doms = NULL;
    unsigned n;

    if (a->maxnames < 0 || a->maxnames > SKIFF_DOMAIN_LIST_MAX) {
        virt_error_set(error, VIR_ERR_RPC, _("maxnames %d out of range"), a->maxnames);
        return -1;
    }
    doms = list_domains(conn, VIR_CONNECT_LIST_DOMAINS_INACTIVE, error);
    if (!doms)
        return -1;
    n = MIN(doms->len, (unsigned)a->maxnames);
    r->names.names_len = n;
    r->names.names_val = g_new0(skiff_nonnull_string, MAX(n, 1));
    for (unsigned i = 0; i < n; i++)
        r->names.names_val[i] = g_strdup(domain_name(doms->pdata[i]));
    return 0;
}

const struct rpc_handler domain_handlers[] = {
    { SKIFF_PROC_DOMAIN_CREATE, proc_create },
    { SKIFF_PROC_DOMAIN_CREATE_XML, proc_create_xml },
    { SKIFF_PROC_DOMAIN_DEFINE_XML, proc_define_xml },
    { SKIFF_PROC_DOMAIN_DESTROY, proc_destroy },
    { SKIFF_PROC_DOMAIN_GET_XML_DESC, proc_get_xml_desc },
    { SKIFF_PROC_DOMAIN_GET_AUTOSTART, proc_get_autostart },
    { SKIFF_PROC_DOMAIN_GET_INFO, proc_get_info },
    { SKIFF_PROC_DOMAIN_GET_MAX_MEMORY, proc_get_max_memory },
    { SKIFF_PROC_DOMAIN_GET_OS_TYPE, proc_get_os_type },
    { SKIFF_PROC_CONNECT_LIST_DEFINED_DOMAINS, proc_list_defined_domains },
    { SKIFF_PROC_DOMAIN_LOOKUP_BY_ID, proc_lookup_by_id },
    { SKIFF_PROC_DOMAIN_LOOKUP_BY_NAME, proc_lookup_by_name },
    { SKIFF_PROC_DOMAIN_LOOKUP_BY_UUID, proc_lookup_by_uuid },
    { SKIFF_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS, proc_num_of_defined_domains },
    { SKIFF_PROC_DOMAIN_REBOOT, proc_reboot },
    { SKIFF_PROC_DOMAIN_RESUME, proc_resume },
    { SKIFF_PROC_DOMAIN_SET_AUTOSTART, proc_set_autostart },
    { SKIFF_PROC_DOMAIN_SHUTDOWN, proc_shutdown },
    { SKIFF_PROC_DOMAIN_SUSPEND, proc_suspend },
    { SKIFF_PROC_DOMAIN_UNDEFINE, proc_undefine },
    { SKIFF_PROC_CONNECT_LIST_DOMAINS, proc_list_domains },
    { SKIFF_PROC_CONNECT_NUM_OF_DOMAINS, proc_num_of_domains },
    { SKIFF_PROC_DOMAIN_IS_ACTIVE, proc_is_active },
    { SKIFF_PROC_DOMAIN_IS_PERSISTENT, proc_is_persistent },
    { SKIFF_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, proc_zero_flags },
    { SKIFF_PROC_DOMAIN_SNAPSHOT_NUM, proc_zero_flags },
    { SKIFF_PROC_DOMAIN_CREATE_WITH_FLAGS, proc_create_with_flags },
    { SKIFF_PROC_DOMAIN_IS_UPDATED, proc_zero },
    { SKIFF_PROC_DOMAIN_GET_STATE, proc_get_state },
    { SKIFF_PROC_DOMAIN_UNDEFINE_FLAGS, proc_undefine_flags },
    { SKIFF_PROC_DOMAIN_DESTROY_FLAGS, proc_destroy_flags },
    { SKIFF_PROC_DOMAIN_SHUTDOWN_FLAGS, proc_shutdown_flags },
    { SKIFF_PROC_CONNECT_LIST_ALL_DOMAINS, proc_list_all_domains },
    { SKIFF_PROC_DOMAIN_DEFINE_XML_FLAGS, proc_define_xml_flags },
};
const size_t domain_n_handlers = G_N_ELEMENTS(domain_handlers);
