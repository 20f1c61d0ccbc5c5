/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "api/json-member.h"

#include <glib/gi18n.h>
#include <string.h>

#include "vmm/error.h"

char *jm_member_path(const char *parent, const char *name)
{
    return parent ? g_strdup_printf("%s.%s", parent, name) : g_strdup(name);
}

/* NULL when absent or null: Cloud Hypervisor reads null as "not set". */
JsonNode *jm_member(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);

    return n && !JSON_NODE_HOLDS_NULL(n) ? n : NULL;
}

bool jm_holds(JsonNode *n, GType type)
{
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == type;
}

int jm_wrong_type(const char *parent, const char *name, const char *expected, GError **error)
{
    g_autofree char *path = jm_member_path(parent, name);

    /* TRANSLATORS: "cpus.boot_vcpus: expected an integer" */
    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("%s: expected %s"), path, expected);
    return -1;
}

int jm_missing(const char *parent, const char *name, GError **error)
{
    g_autofree char *path = jm_member_path(parent, name);

    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("%s: required"), path);
    return -1;
}

bool jm_is_known(const char *name, const char *const *handled, const struct fixed_member *fixed)
{
    if (g_strv_contains(handled, name))
        return true;
    for (; fixed->name; fixed++) {
        if (!strcmp(fixed->name, name))
            return true;
    }
    return false;
}

/* In document order, so that the first unknown member is the one reported. */
int jm_check_known(JsonObject *o, const char *parent, const char *const *handled,
                       const struct fixed_member *fixed, GError **error)
{
    g_autoptr(GList) names = json_object_get_members(o);

    for (GList *l = names; l; l = l->next) {
        if (!jm_is_known(l->data, handled, fixed)) {
            g_autofree char *path = jm_member_path(parent, l->data);

            g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("unknown member '%s'"), path);
            return -1;
        }
    }
    return 0;
}

int jm_check_fixed(JsonObject *o, const char *parent, const struct fixed_member *fixed,
                       GError **error)
{
    for (; fixed->name; fixed++) {
        JsonNode *n = jm_member(o, fixed->name);
        g_autofree char *path = NULL;

        if (!n)
            continue;
        path = jm_member_path(parent, fixed->name);
        switch (fixed->kind) {
        case ONLY_NULL:
            g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                        _("%s: not supported yet"), path);
            return -1;
        case ONLY_FALSE:
        case ONLY_TRUE:
            if (!jm_holds(n, G_TYPE_BOOLEAN))
                return jm_wrong_type(parent, fixed->name, _("a boolean"), error);
            if (json_node_get_boolean(n) != (fixed->kind == ONLY_TRUE)) {
                g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                            _("%s: %s is not supported yet"), path,
                            fixed->kind == ONLY_TRUE ? "false" : "true");
                return -1;
            }
            break;
        case ONLY_ZERO:
            if (!jm_holds(n, G_TYPE_INT64))
                return jm_wrong_type(parent, fixed->name, _("an integer"), error);
            if (json_node_get_int(n) != 0) {
                g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                            _("%s: not supported yet (only 0 is accepted)"), path);
                return -1;
            }
            break;
        case ONLY_EMPTY:
            if (!JSON_NODE_HOLDS_ARRAY(n))
                return jm_wrong_type(parent, fixed->name, _("an array"), error);
            if (json_array_get_length(json_node_get_array(n)) != 0) {
                g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                            _("%s: not supported yet (only an empty list is accepted)"), path);
                return -1;
            }
            break;
        case ONLY_STRING:
            if (!jm_holds(n, G_TYPE_STRING))
                return jm_wrong_type(parent, fixed->name, _("a string"), error);
            if (strcmp(json_node_get_string(n), fixed->value) != 0) {
                g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_UNSUPPORTED,
                            _("%s: not supported yet (only \"%s\" is accepted)"), path,
                            fixed->value);
                return -1;
            }
            break;
        }
    }
    return 0;
}

/* *out: the object, or NULL when absent or null. */
int jm_get_object(JsonObject *o, const char *parent, const char *name, JsonObject **out,
                      GError **error)
{
    JsonNode *n = jm_member(o, name);

    *out = NULL;
    if (!n)
        return 0;
    if (!JSON_NODE_HOLDS_OBJECT(n))
        return jm_wrong_type(parent, name, _("an object"), error);
    *out = json_node_get_object(n);
    return 0;
}

int jm_get_int(JsonObject *o, const char *parent, const char *name, gint64 *out,
                   bool *present, GError **error)
{
    JsonNode *n = jm_member(o, name);

    *present = n != NULL;
    if (!n)
        return 0;
    /* json-glib reads 1.0 and 1e3 as doubles: not integers, as in the schema. */
    if (!jm_holds(n, G_TYPE_INT64))
        return jm_wrong_type(parent, name, _("an integer"), error);
    *out = json_node_get_int(n);
    return 0;
}

int jm_get_bool(JsonObject *o, const char *parent, const char *name, bool *out,
                    GError **error)
{
    JsonNode *n = jm_member(o, name);

    if (!n)
        return 0;
    if (!jm_holds(n, G_TYPE_BOOLEAN))
        return jm_wrong_type(parent, name, _("a boolean"), error);
    *out = json_node_get_boolean(n);
    return 0;
}

/* *out: a copy, or left NULL when absent or null. */
int jm_get_string(JsonObject *o, const char *parent, const char *name, bool allow_empty,
                      char **out, GError **error)
{
    JsonNode *n = jm_member(o, name);

    if (!n)
        return 0;
    if (!jm_holds(n, G_TYPE_STRING))
        return jm_wrong_type(parent, name, _("a string"), error);
    if (!allow_empty && !*json_node_get_string(n)) {
        g_autofree char *path = jm_member_path(parent, name);

        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("%s: must not be empty"), path);
        return -1;
    }
    g_free(*out);
    *out = g_strdup(json_node_get_string(n));
    return 0;
}

/* Shared by the JSON reader (which sees int64 values) and vm_config_validate. */
void jm_add_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

void jm_add_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

void jm_add_bool(JsonBuilder *b, const char *name, bool value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, value);
}
