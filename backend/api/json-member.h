/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading and writing the members of a JSON object the way VmConfig needs:
 * typed getters that name the member in their errors ("cpus.boot_vcpus:
 * expected an integer"), and the table of Cloud Hypervisor members skiff
 * accepts only at their "not used" value.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

enum fixed_kind {
    ONLY_NULL,      /* absent or null; any other value is "not supported yet" */
    ONLY_FALSE,
    ONLY_TRUE,
    ONLY_ZERO,
    ONLY_EMPTY,     /* an array, empty */
    ONLY_STRING,    /* the string in .value */
};

struct fixed_member {
    const char *name;
    enum fixed_kind kind;
    const char *value;
};

char *jm_member_path(const char *parent, const char *name);
JsonNode *jm_member(JsonObject *o, const char *name);
bool jm_holds(JsonNode *n, GType type);
int jm_wrong_type(const char *parent, const char *name, const char *expected, GError **error);
int jm_missing(const char *parent, const char *name, GError **error);
bool jm_is_known(const char *name, const char *const *handled, const struct fixed_member *fixed);
int jm_check_known(JsonObject *o, const char *parent, const char *const *handled, const struct fixed_member *fixed, GError **error);
int jm_check_fixed(JsonObject *o, const char *parent, const struct fixed_member *fixed, GError **error);
int jm_get_object(JsonObject *o, const char *parent, const char *name, JsonObject **out, GError **error);
int jm_get_int(JsonObject *o, const char *parent, const char *name, gint64 *out, bool *present, GError **error);
int jm_get_bool(JsonObject *o, const char *parent, const char *name, bool *out, GError **error);
int jm_get_string(JsonObject *o, const char *parent, const char *name, bool allow_empty, char **out, GError **error);
void jm_add_string(JsonBuilder *b, const char *name, const char *value);
void jm_add_int(JsonBuilder *b, const char *name, gint64 value);
void jm_add_bool(JsonBuilder *b, const char *name, bool value);
