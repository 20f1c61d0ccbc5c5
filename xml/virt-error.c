/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "xml/virt-error.h"

#include <glib/gi18n.h>

G_DEFINE_QUARK(virt-error-quark, virt_error)

int virt_error_code(const GError *error)
{
    return error->domain == VIRT_ERROR ? error->code : VIR_ERR_INTERNAL_ERROR;
}

/* libvirt's prefixes (virErrorMsg()) for the codes skiff reports. Codes whose
 * libvirt text is "%s" (XML_DETAIL, SYSTEM_ERROR, RPC) have none. */
static const char *code_prefix(int code)
{
    switch (code) {
    case VIR_ERR_INTERNAL_ERROR:
        return _("internal error");
    case VIR_ERR_NO_SUPPORT:
        return _("this function is not supported by the connection driver");
    case VIR_ERR_INVALID_ARG:
        return _("invalid argument");
    case VIR_ERR_XML_ERROR:
        return _("XML error");
    case VIR_ERR_CONFIG_UNSUPPORTED:
        return _("unsupported configuration");
    case VIR_ERR_XML_INVALID_SCHEMA:
        return _("XML document failed to validate against schema");
    case VIR_ERR_NO_DOMAIN:
        return _("Domain not found");
    case VIR_ERR_OPERATION_INVALID:
        return _("Requested operation is not valid");
    case VIR_ERR_OPERATION_FAILED:
        return _("operation failed");
    case VIR_ERR_OPERATION_DENIED:
        return _("operation forbidden");
    case VIR_ERR_OPERATION_UNSUPPORTED:
        return _("Operation not supported");
    case VIR_ERR_OPERATION_TIMEOUT:
        return _("Timed out during operation");
    case VIR_ERR_ACCESS_DENIED:
        return _("access denied");
    case VIR_ERR_AUTH_FAILED:
        return _("authentication failed");
    default:
        return NULL;
    }
}

char *virt_error_format_message(const GError *error)
{
    const char *prefix = code_prefix(virt_error_code(error));

    if (!prefix)
        return g_strdup(error->message);
    /* TRANSLATORS: libvirt's "<kind of error>: <message>" */
    return g_strdup_printf(_("%s: %s"), prefix, error->message);
}

const char *virt_error_code_name(int code)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
#define NAME(c) { c, #c }
        NAME(VIR_ERR_OK),
        NAME(VIR_ERR_INTERNAL_ERROR),
        NAME(VIR_ERR_NO_MEMORY),
        NAME(VIR_ERR_NO_SUPPORT),
        NAME(VIR_ERR_INVALID_ARG),
        NAME(VIR_ERR_OPERATION_FAILED),
        NAME(VIR_ERR_XML_ERROR),
        NAME(VIR_ERR_DOM_EXIST),
        NAME(VIR_ERR_OPERATION_DENIED),
        NAME(VIR_ERR_XML_DETAIL),
        NAME(VIR_ERR_NO_DOMAIN),
        NAME(VIR_ERR_OPERATION_INVALID),
        NAME(VIR_ERR_SYSTEM_ERROR),
        NAME(VIR_ERR_RPC),
        NAME(VIR_ERR_CONFIG_UNSUPPORTED),
        NAME(VIR_ERR_OPERATION_TIMEOUT),
        NAME(VIR_ERR_AUTH_FAILED),
        NAME(VIR_ERR_OPERATION_UNSUPPORTED),
        NAME(VIR_ERR_ACCESS_DENIED),
        NAME(VIR_ERR_XML_INVALID_SCHEMA),
#undef NAME
    };
    char unknown[32];

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (names[i].code == code)
            return names[i].name;
    }
    /* Only reached for codes skiff never sets; interned: one copy per code. */
    g_snprintf(unknown, sizeof(unknown), "VIR_ERR_%d", code);
    return g_intern_string(unknown);
}
