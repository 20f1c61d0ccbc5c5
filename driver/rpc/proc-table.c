/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rpc/proc-table.h"

#include <glib.h>

#define ARGS(t) (xdrproc_t)xdr_##t, sizeof(t)
#define RET(t) (xdrproc_t)xdr_##t, sizeof(t)
#define NONE NULL, 0
#define PROC(p) SKIFF_PROC_##p, #p

/* RO: read-only; PRE: before open; DOM: a domain call. */
#define RO RPC_PROC_READONLY
#define PRE RPC_PROC_BEFORE_OPEN
#define DOM RPC_PROC_DOMAIN

/* Sorted by number. */
static const struct rpc_proc_desc procs[] = {
    { PROC(CONNECT_OPEN), ARGS(skiff_connect_open_args), NONE, RO | PRE },
    { PROC(CONNECT_CLOSE), NONE, NONE, RO | PRE },
    { PROC(CONNECT_GET_TYPE), NONE, RET(skiff_connect_get_type_ret), RO },
    { PROC(CONNECT_GET_VERSION), NONE, RET(skiff_connect_get_version_ret), RO },
    { PROC(CONNECT_GET_MAX_VCPUS), ARGS(skiff_connect_get_max_vcpus_args),
      RET(skiff_connect_get_max_vcpus_ret), RO },
    { PROC(NODE_GET_INFO), NONE, RET(skiff_node_get_info_ret), RO },
    { PROC(CONNECT_GET_CAPABILITIES), NONE, RET(skiff_connect_get_capabilities_ret), RO },
    { PROC(DOMAIN_CREATE), ARGS(skiff_domain_args), NONE, DOM },
    { PROC(DOMAIN_CREATE_XML), ARGS(skiff_domain_xml_flags_args), RET(skiff_domain_ret), DOM },
    { PROC(DOMAIN_DEFINE_XML), ARGS(skiff_domain_xml_args), RET(skiff_domain_ret), DOM },
    { PROC(DOMAIN_DESTROY), ARGS(skiff_domain_args), NONE, DOM },
    { PROC(DOMAIN_GET_XML_DESC), ARGS(skiff_domain_flags_args),
      RET(skiff_domain_get_xml_desc_ret), RO | DOM },
    { PROC(DOMAIN_GET_AUTOSTART), ARGS(skiff_domain_args), RET(skiff_domain_int_ret), RO | DOM },
    { PROC(DOMAIN_GET_INFO), ARGS(skiff_domain_args), RET(skiff_domain_get_info_ret), RO | DOM },
    { PROC(DOMAIN_GET_MAX_MEMORY), ARGS(skiff_domain_args), RET(skiff_domain_get_max_memory_ret),
      RO | DOM },
    { PROC(DOMAIN_GET_OS_TYPE), ARGS(skiff_domain_args), RET(skiff_domain_get_os_type_ret),
      RO | DOM },
    { PROC(CONNECT_LIST_DEFINED_DOMAINS), ARGS(skiff_connect_list_defined_domains_args),
      RET(skiff_connect_list_defined_domains_ret), RO | DOM },
    { PROC(DOMAIN_LOOKUP_BY_ID), ARGS(skiff_domain_lookup_by_id_args), RET(skiff_domain_ret),
      RO | DOM },
    { PROC(DOMAIN_LOOKUP_BY_NAME), ARGS(skiff_domain_lookup_by_name_args), RET(skiff_domain_ret),
      RO | DOM },
    { PROC(DOMAIN_LOOKUP_BY_UUID), ARGS(skiff_domain_lookup_by_uuid_args), RET(skiff_domain_ret),
      RO | DOM },
    { PROC(CONNECT_NUM_OF_DEFINED_DOMAINS), NONE, RET(skiff_connect_num_of_domains_ret),
      RO | DOM },
    { PROC(DOMAIN_REBOOT), ARGS(skiff_domain_flags_args), NONE, DOM },
    { PROC(DOMAIN_RESUME), ARGS(skiff_domain_args), NONE, DOM },
    { PROC(DOMAIN_SET_AUTOSTART), ARGS(skiff_domain_set_autostart_args), NONE, DOM },
    { PROC(DOMAIN_SHUTDOWN), ARGS(skiff_domain_args), NONE, DOM },
    { PROC(DOMAIN_SUSPEND), ARGS(skiff_domain_args), NONE, DOM },
    { PROC(DOMAIN_UNDEFINE), ARGS(skiff_domain_args), NONE, DOM },
    { PROC(CONNECT_LIST_DOMAINS), ARGS(skiff_connect_list_domains_args),
      RET(skiff_connect_list_domains_ret), RO | DOM },
    { PROC(CONNECT_NUM_OF_DOMAINS), NONE, RET(skiff_connect_num_of_domains_ret), RO | DOM },
    { PROC(CONNECT_GET_HOSTNAME), NONE, RET(skiff_connect_get_hostname_ret), RO },
    { PROC(CONNECT_SUPPORTS_FEATURE), ARGS(skiff_connect_supports_feature_args),
      RET(skiff_connect_supports_feature_ret), RO | PRE },
    { PROC(AUTH_LIST), NONE, RET(skiff_auth_list_ret), RO | PRE },
    { PROC(CONNECT_GET_URI), NONE, RET(skiff_connect_get_uri_ret), RO },
    { PROC(NODE_GET_SECURITY_MODEL), NONE, RET(skiff_node_get_security_model_ret), RO },
    { PROC(CONNECT_IS_SECURE), NONE, RET(skiff_connect_is_secure_ret), RO },
    { PROC(DOMAIN_IS_ACTIVE), ARGS(skiff_domain_args), RET(skiff_domain_int_ret), RO | DOM },
    { PROC(DOMAIN_IS_PERSISTENT), ARGS(skiff_domain_args), RET(skiff_domain_int_ret), RO | DOM },
    { PROC(CONNECT_GET_LIB_VERSION), NONE, RET(skiff_connect_get_lib_version_ret), RO },
    { PROC(DOMAIN_HAS_MANAGED_SAVE_IMAGE), ARGS(skiff_domain_flags_args),
      RET(skiff_domain_int_ret), RO | DOM },
    { PROC(DOMAIN_SNAPSHOT_NUM), ARGS(skiff_domain_flags_args), RET(skiff_domain_int_ret),
      RO | DOM },
    { PROC(DOMAIN_CREATE_WITH_FLAGS), ARGS(skiff_domain_flags_args), RET(skiff_domain_ret), DOM },
    { PROC(DOMAIN_OPEN_CONSOLE), ARGS(skiff_domain_open_console_args), NONE, DOM },
    { PROC(DOMAIN_IS_UPDATED), ARGS(skiff_domain_args), RET(skiff_domain_int_ret), RO | DOM },
    { PROC(DOMAIN_GET_STATE), ARGS(skiff_domain_flags_args), RET(skiff_domain_get_state_ret),
      RO | DOM },
    { PROC(DOMAIN_UNDEFINE_FLAGS), ARGS(skiff_domain_flags_args), NONE, DOM },
    { PROC(DOMAIN_DESTROY_FLAGS), ARGS(skiff_domain_flags_args), NONE, DOM },
    { PROC(DOMAIN_SHUTDOWN_FLAGS), ARGS(skiff_domain_flags_args), NONE, DOM },
    { PROC(CONNECT_LIST_ALL_DOMAINS), ARGS(skiff_connect_list_all_domains_args),
      RET(skiff_connect_list_all_domains_ret), RO | DOM },
    { PROC(CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY),
      ARGS(skiff_connect_domain_event_callback_register_any_args),
      RET(skiff_connect_domain_event_callback_register_any_ret), RO },
    { PROC(CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY),
      ARGS(skiff_connect_domain_event_callback_deregister_any_args), NONE, RO },
    { PROC(CONNECT_GET_DOMAIN_CAPABILITIES), ARGS(skiff_connect_get_domain_capabilities_args),
      RET(skiff_connect_get_domain_capabilities_ret), RO },
    { PROC(DOMAIN_DEFINE_XML_FLAGS), ARGS(skiff_domain_xml_flags_args), RET(skiff_domain_ret),
      DOM },
    { PROC(CONNECT_REGISTER_CLOSE_CALLBACK), NONE, NONE, RO },
    { PROC(CONNECT_UNREGISTER_CLOSE_CALLBACK), NONE, NONE, RO },
};

const struct rpc_proc_desc *rpc_proc_lookup(int proc)
{
    size_t lo = 0;
    size_t hi = G_N_ELEMENTS(procs);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (procs[mid].proc == proc)
            return &procs[mid];
        if (procs[mid].proc < proc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct rpc_proc_desc *rpc_proc_table(size_t *n)
{
    *n = G_N_ELEMENTS(procs);
    return procs;
}
