/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for reading libvirt XML strictly with libxml2: every attribute and
 * child is checked against what the caller reads, and the messages name
 * what was refused (see xml/xml-util.h).
 */
#include "xml/xml-util.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "xml/virt-error.h"

/* ---- names and errors ---- */

/* Values from the document are quoted in messages; a long one is cut so that
 * the message stays readable (and well below the protocol's string limit). */
#define SHOWN_MAX_CHARS 64

char *xml_shorten(const char *s)
{
    g_autofree char *head = NULL;

    if (!s)
        return g_strdup("");
    /* libxml2 hands out UTF-8 only; anything else is not ours to print. */
    if (!g_utf8_validate(s, -1, NULL))
        return g_strdup("?");
    if (g_utf8_strlen(s, -1) <= SHOWN_MAX_CHARS)
        return g_strdup(s);
    head = g_utf8_substring(s, 0, SHOWN_MAX_CHARS);
    return g_strconcat(head, "...", NULL);
}

/* An element's name as written, with its namespace when it has one. */
char *xml_elem_name(const xmlNode *n)
{
    g_autofree char *name = NULL;

    if (n->ns && n->ns->prefix)
        name = g_strdup_printf("%s:%s", n->ns->prefix, n->name);
    else if (n->ns)
        name = g_strdup_printf("{%s}%s", n->ns->href, n->name);
    else
        name = g_strdup((const char *)n->name);
    return xml_shorten(name);
}

bool xml_is(const xmlNode *n, const char *name)
{
    return !n->ns && !strcmp((const char *)n->name, name);
}

int xml_err_element(const xmlNode *parent, const xmlNode *child, GError **error)
{
    g_autofree char *p = xml_elem_name(parent);
    g_autofree char *c = xml_elem_name(child);

    virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                   _("element <%s> in <%s> is not supported by skiff"), c, p);
    return -1;
}

int xml_err_attr(const xmlNode *n, const xmlAttr *a, GError **error)
{
    g_autofree char *e = xml_elem_name(n);
    g_autofree char *full = a->ns && a->ns->prefix
        ? g_strdup_printf("%s:%s", a->ns->prefix, a->name) : g_strdup((const char *)a->name);
    g_autofree char *name = xml_shorten(full);

    virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                   _("attribute '%s' of <%s> is not supported by skiff"), name, e);
    return -1;
}

/* An attribute value libvirt knows and skiff does not honour. */
int xml_err_value(const xmlNode *n, const char *attr, const char *value, const char *supported,
                  GError **error)
{
    g_autofree char *shown = xml_shorten(value);

    virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                   _("<%s %s='%s'> is not supported by skiff (supported: %s)"),
                   n->name, attr, shown, supported);
    return -1;
}

int xml_err_text_value(const xmlNode *n, const char *value, const char *supported,
                       GError **error)
{
    g_autofree char *shown = NULL;

    if (!*value) {
        virt_error_set(error, VIR_ERR_XML_ERROR, _("<%s> is empty (expected one of: %s)"), n->name,
                       supported);
        return -1;
    }
    shown = xml_shorten(value);
    virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                   _("<%s>%s</%s> is not supported by skiff (supported: %s)"),
                   n->name, shown, n->name, supported);
    return -1;
}

int xml_err_missing_attr(const xmlNode *n, const char *attr, GError **error)
{
    virt_error_set(error, VIR_ERR_XML_ERROR, _("missing attribute '%s' of <%s>"), attr, n->name);
    return -1;
}

int xml_err_missing_element(const char *parent, const char *child, GError **error)
{
    virt_error_set(error, VIR_ERR_XML_ERROR, _("missing element <%s> in <%s>"), child, parent);
    return -1;
}

int xml_err_invalid(const char *what, const char *value, const char *expected, GError **error)
{
    g_autofree char *shown = xml_shorten(value);

    /* TRANSLATORS: "invalid value 'x' for <vcpu> (expected an integer)" */
    virt_error_set(error, VIR_ERR_XML_ERROR, _("invalid value '%s' for %s (expected %s)"),
                   shown, what, expected);
    return -1;
}

/* ---- content helpers ---- */

static bool blank(const xmlChar *s)
{
    for (; s && *s; s++) {
        if (!g_ascii_isspace(*s))
            return false;
    }
    return true;
}

static int err_text(const xmlNode *n, const xmlChar *text, GError **error)
{
    g_autofree char *stripped = g_strstrip(g_strdup((const char *)text));
    g_autofree char *shown = xml_shorten(stripped);

    virt_error_set(error, VIR_ERR_XML_ERROR, _("unexpected text '%s' in <%s>"), shown, n->name);
    return -1;
}

/* Anything in an element that holds only child elements, other than those
 * elements, blanks and comments, is refused. */
int xml_check_no_text(const xmlNode *n, GError **error)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        switch (c->type) {
        case XML_ELEMENT_NODE:
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (!blank(c->content))
                return err_text(n, c->content, error);
            break;
        default:
            virt_error_set(error, VIR_ERR_XML_ERROR, _("unexpected content in <%s>"), n->name);
            return -1;
        }
    }
    return 0;
}

int xml_check_empty(const xmlNode *n, GError **error)
{
    if (xml_check_no_text(n, error) < 0)
        return -1;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            return xml_err_element(n, c, error);
    }
    return 0;
}

int xml_check_attrs(const xmlNode *n, const char *const *allowed, GError **error)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (a->ns || !g_strv_contains(allowed, (const char *)a->name))
            return xml_err_attr(n, a, error);
    }
    return 0;
}

char *xml_get_attr(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *s = g_strdup((const char *)v);

    xmlFree(v);
    return s;
}

/* The text of an element that holds text only. Empty text reads as absent
 * (*out = NULL), as libvirt reads it. */
int xml_get_text(const xmlNode *n, char **out, GError **error)
{
    g_autoptr(GString) s = g_string_new(NULL);

    for (const xmlNode *c = n->children; c; c = c->next) {
        switch (c->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            g_string_append(s, (const char *)c->content);
            break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
            break;
        case XML_ELEMENT_NODE:
            return xml_err_element(n, c, error);
        default:
            virt_error_set(error, VIR_ERR_XML_ERROR, _("unexpected content in <%s>"), n->name);
            return -1;
        }
    }
    *out = s->len ? g_string_free(g_steal_pointer(&s), FALSE) : NULL;
    return 0;
}

/* A text-only element with no attributes: <kernel>, <cmdline>, ... */
int xml_get_plain_text(const xmlNode *n, char **out, GError **error)
{
    g_autofree char *text = NULL;

    if (xml_check_attrs(n, NO_ATTRS, error) < 0 || xml_get_text(n, &text, error) < 0)
        return -1;
    g_free(*out);
    *out = g_steal_pointer(&text);
    return 0;
}

int xml_once(const xmlNode *parent, const xmlNode *c, bool *seen, GError **error)
{
    if (*seen) {
        virt_error_set(error, VIR_ERR_XML_ERROR, _("element <%s> appears more than once in <%s>"),
                       c->name, parent->name);
        return -1;
    }
    *seen = true;
    return 0;
}

bool xml_parse_u64(const char *s, uint64_t *out)
{
    g_autofree char *t = g_strstrip(g_strdup(s ? s : ""));

    for (const char *p = t; *p; p++) {
        if (!g_ascii_isdigit(*p))
            return false;
    }
    return g_ascii_string_to_unsigned(t, 10, 0, UINT64_MAX, out, NULL);
}

/* "what" names the value in messages: "<vcpu>", "'current' of <vcpu>". */
int xml_parse_uint(const char *s, const char *what, uint64_t min, uint64_t max, unsigned *out,
                   GError **error)
{
    uint64_t v;

    if (!xml_parse_u64(s, &v) || v < min || v > max) {
        g_autofree char *expected = g_strdup_printf(_("an integer from %" PRIu64 " to %" PRIu64),
                                                    min, max);

        return xml_err_invalid(what, s ? s : "", expected, error);
    }
    *out = (unsigned)v;
    return 0;
}

static bool is_abs_path(const char *p)
{
    return p && p[0] == '/';
}

int xml_check_path(const char *what, const char *path, GError **error)
{
    if (!is_abs_path(path))
        return xml_err_invalid(what, path, _("an absolute path"), error);
    return 0;
}

