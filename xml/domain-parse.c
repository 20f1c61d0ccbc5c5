/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt domain XML → domain_def. Strict by design: every element and
 * attribute is either read into the definition, accepted because it carries
 * no configuration (live state such as <domain id=>, the pty path of a
 * serial port), or refused with VIR_ERR_CONFIG_UNSUPPORTED naming it. Nothing
 * is silently dropped, so a domain never runs with less than it asked for.
 * Malformed input and values out of range are VIR_ERR_XML_ERROR.
 */
#include "xml/domain-conf.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <string.h>

#include "xml/xml-util.h"
#include "xml/virt-error.h"

#ifndef LIBVIRT_SCHEMA_DIR
#define LIBVIRT_SCHEMA_DIR "/usr/share/libvirt/schemas"
#endif
#define NAME_MAX_BYTES 200

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)

/* ---- top-level scalars ---- */

/* libvirt's units (virScaleInteger): b/byte/bytes; k, KiB = 1024; KB = 1000;
 * likewise M, G, T, P, E; case-insensitive. Absent: KiB. */
static bool unit_scale(const char *unit, uint64_t *scale)
{
    static const char powers[] = "kmgtpe";
    const char *p;
    uint64_t base;

    if (!unit) {
        *scale = 1024;
        return true;
    }
    if (!g_ascii_strcasecmp(unit, "b") || !g_ascii_strcasecmp(unit, "byte") ||
        !g_ascii_strcasecmp(unit, "bytes")) {
        *scale = 1;
        return true;
    }
    p = unit[0] ? strchr(powers, g_ascii_tolower(unit[0])) : NULL;
    if (!p)
        return false;
    if (!unit[1] || !g_ascii_strcasecmp(unit + 1, "iB"))
        base = 1024;
    else if (!g_ascii_strcasecmp(unit + 1, "B"))
        base = 1000;
    else
        return false;
    *scale = 1;
    for (const char *q = powers; q <= p; q++)
        *scale *= base;
    return true;
}

static int parse_memory(const xmlNode *n, uint64_t *kib, GError **error)
{
    g_autofree char *unit = NULL;
    g_autofree char *text = NULL;
    g_autofree char *what = g_strdup_printf("<%s>", n->name);
    uint64_t scale;
    uint64_t v;

    if (xml_check_attrs(n, ATTRS("unit"), error) < 0 || xml_get_text(n, &text, error) < 0)
        return -1;
    unit = xml_get_attr(n, "unit");
    if (!unit_scale(unit, &scale))
        return xml_err_invalid(what, unit, _("a unit such as KiB, MiB, GiB, KB, MB, bytes"), error);
    if (!xml_parse_u64(text, &v))
        return xml_err_invalid(what, text ? text : "", _("an integer"), error);
    if (v == 0) {
        virt_error_set(error, VIR_ERR_XML_ERROR, _("%s must be larger than 0"), what);
        return -1;
    }
    if (v > UINT64_MAX / scale) {
        virt_error_set(error, VIR_ERR_XML_ERROR, _("%s is too large"), what);
        return -1;
    }
    v *= scale;
    /* Rounded up to whole KiB, as libvirt does. */
    *kib = v / 1024 + (v % 1024 != 0);
    if (*kib > DOMAIN_MEMORY_MAX_KIB) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("%s of %" PRIu64 " KiB is more than skiff supports (%" PRIu64 " KiB)"),
                       what, *kib, (uint64_t)DOMAIN_MEMORY_MAX_KIB);
        return -1;
    }
    return 0;
}

static int parse_vcpu(domain_def *def, const xmlNode *n, GError **error)
{
    g_autofree char *text = NULL;
    g_autofree char *placement = NULL;
    g_autofree char *current = NULL;
    uint64_t v;

    if (xml_check_attrs(n, ATTRS("placement", "current"), error) < 0 ||
        xml_get_text(n, &text, error) < 0)
        return -1;
    placement = xml_get_attr(n, "placement");
    if (placement && strcmp(placement, "static"))
        return xml_err_value(n, "placement", placement, "static", error);
    if (!xml_parse_u64(text, &v) || v == 0)
        return xml_err_invalid("<vcpu>", text ? text : "", _("a positive integer"), error);
    if (v > DOMAIN_VCPUS_MAX) {
        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("skiff supports at most %u vCPUs, <vcpu> asks for %" PRIu64),
                       DOMAIN_VCPUS_MAX, v);
        return -1;
    }
    def->vcpus_max = (unsigned)v;
    def->vcpus_current = def->vcpus_max;
    current = xml_get_attr(n, "current");
    if (current && xml_parse_uint(current, _("'current' of <vcpu>"), 1, def->vcpus_max,
                                    &def->vcpus_current, error) < 0)
        return -1;
    return 0;
}

static int parse_name(domain_def *def, const xmlNode *n, GError **error)
{
    if (xml_get_plain_text(n, &def->name, error) < 0)
        return -1;
    if (!def->name) {
        virt_error_set(error, VIR_ERR_XML_ERROR, _("<name> is empty"));
        return -1;
    }
    /* The name is a file name (<name>.xml) and appears in logs. */
    if (strlen(def->name) > NAME_MAX_BYTES) {
        virt_error_set(error, VIR_ERR_XML_ERROR,
                       _("the domain name is longer than %d bytes"), NAME_MAX_BYTES);
        return -1;
    }
    if (strchr(def->name, '/')) {
        virt_error_set(error, VIR_ERR_XML_ERROR, _("name '%s' must not contain '/'"), def->name);
        return -1;
    }
    for (const char *p = def->name; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            virt_error_set(error, VIR_ERR_XML_ERROR,
                           _("the domain name must not contain control characters"));
            return -1;
        }
    }
    return 0;
}

static int parse_uuid(domain_def *def, const xmlNode *n, GError **error)
{
    g_autofree char *text = NULL;

    if (xml_get_plain_text(n, &text, error) < 0)
        return -1;
    if (!text || domain_uuid_parse(text, def->uuid) < 0)
        return xml_err_invalid("<uuid>", text ? text : "",
                           _("a UUID such as 4dea22b3-1d52-d8f3-2516-782e98ab3fa0"), error);
    return 0;
}

static int parse_metadata(domain_def *def, const xmlNode *n, GError **error)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *)"1.0");
    g_autoptr(xmlBuffer) buf = xmlBufferCreate();
    xmlNode *copy;

    if (xml_check_attrs(n, NO_ATTRS, error) < 0)
        return -1;
    /* Copied into a document of its own so that namespaces declared above
     * <metadata> are declared on the copy: the text stands alone. */
    copy = xmlDocCopyNode((xmlNode *)n, doc, 1);
    if (!copy || !buf) {
        virt_error_set(error, VIR_ERR_INTERNAL_ERROR, _("cannot copy <metadata>"));
        return -1;
    }
    xmlDocSetRootElement(doc, copy);
    if (xmlNodeDump(buf, doc, copy, 0, 0) < 0) {
        virt_error_set(error, VIR_ERR_INTERNAL_ERROR, _("cannot serialise <metadata>"));
        return -1;
    }
    g_free(def->metadata);
    def->metadata = g_strdup((const char *)xmlBufferContent(buf));
    return 0;
}

static int parse_lifecycle(const xmlNode *n, enum domain_lifecycle_action *action,
                           GError **error)
{
    g_autofree char *text = NULL;

    if (xml_get_plain_text(n, &text, error) < 0)
        return -1;
    if (!g_strcmp0(text, "destroy")) {
        *action = DOMAIN_ACTION_DESTROY;
    } else if (!g_strcmp0(text, "restart")) {
        *action = DOMAIN_ACTION_RESTART;
    } else if (!g_strcmp0(text, "preserve")) {
        *action = DOMAIN_ACTION_PRESERVE;
    } else {
        return xml_err_text_value(n, text ? text : "", "destroy, restart, preserve", error);
    }
    return 0;
}

/* ---- <os>, <features>, <cpu>, <clock> ---- */

static int parse_os_type(domain_def *def, const xmlNode *n, GError **error)
{
    g_autofree char *text = NULL;
    g_autofree char *arch = NULL;
    g_autofree char *machine = NULL;

    if (xml_check_attrs(n, ATTRS("arch", "machine"), error) < 0 || xml_get_text(n, &text, error) < 0)
        return -1;
    if (g_strcmp0(text, "hvm"))
        return xml_err_text_value(n, text ? text : "", "hvm", error);
    arch = xml_get_attr(n, "arch");
    if (arch && strcmp(arch, "x86_64"))
        return xml_err_value(n, "arch", arch, "x86_64", error);
    /* A machine type names a QEMU board; skiff has one platform of its own. */
    machine = xml_get_attr(n, "machine");
    if (machine) {
        g_autofree char *shown = xml_shorten(machine);

        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("machine type '%s' is not supported by skiff: leave out machine= "
                         "(skiff has one platform of its own)"), shown);
        return -1;
    }
    g_free(def->os_arch);
    def->os_arch = g_strdup("x86_64");
    return 0;
}

static int parse_os(domain_def *def, const xmlNode *os, GError **error)
{
    bool seen_type = false;
    bool seen_kernel = false;
    bool seen_initrd = false;
    bool seen_cmdline = false;
    bool seen_loader = false;

    if (xml_check_attrs(os, NO_ATTRS, error) < 0 || xml_check_no_text(os, error) < 0)
        return -1;
    for (const xmlNode *c = os->children; c; c = c->next) {
        int rc;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (xml_is(c, "type")) {
            rc = xml_once(os, c, &seen_type, error) < 0 ? -1 : parse_os_type(def, c, error);
        } else if (xml_is(c, "kernel")) {
            rc = xml_once(os, c, &seen_kernel, error) < 0 ? -1 : xml_get_plain_text(c, &def->kernel, error);
            if (!rc && def->kernel)
                rc = xml_check_path("<kernel>", def->kernel, error);
        } else if (xml_is(c, "initrd")) {
            rc = xml_once(os, c, &seen_initrd, error) < 0 ? -1 : xml_get_plain_text(c, &def->initrd, error);
            if (!rc && def->initrd)
                rc = xml_check_path("<initrd>", def->initrd, error);
        } else if (xml_is(c, "cmdline")) {
            rc = xml_once(os, c, &seen_cmdline, error) < 0
                ? -1 : xml_get_plain_text(c, &def->cmdline, error);
        } else if (xml_is(c, "loader")) {
            rc = xml_once(os, c, &seen_loader, error) < 0 ? -1 : xml_get_plain_text(c, &def->loader, error);
            if (!rc && def->loader)
                rc = xml_check_path("<loader>", def->loader, error);
        } else {
            rc = xml_err_element(os, c, error);
        }
        if (rc < 0)
            return -1;
    }
    if (!seen_type)
        return xml_err_missing_element("os", "type", error);
    return 0;
}

static int parse_features(domain_def *def, const xmlNode *n, GError **error)
{
    if (xml_check_attrs(n, NO_ATTRS, error) < 0 || xml_check_no_text(n, error) < 0)
        return -1;
    for (const xmlNode *c = n->children; c; c = c->next) {
        bool *flag;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (xml_is(c, "acpi"))
            flag = &def->feature_acpi;
        else if (xml_is(c, "apic"))
            flag = &def->feature_apic;
        else
            return xml_err_element(n, c, error);
        if (xml_once(n, c, flag, error) < 0 || xml_check_attrs(c, NO_ATTRS, error) < 0 ||
            xml_check_empty(c, error) < 0)
            return -1;
    }
    return 0;
}

static int parse_cpu(domain_def *def, const xmlNode *n, GError **error)
{
    g_autofree char *mode = NULL;
    g_autofree char *check = NULL;
    g_autofree char *migratable = NULL;

    /* The mode first: it says what the rest means. */
    mode = xml_get_attr(n, "mode");
    if (g_strcmp0(mode, "host-passthrough"))
        return xml_err_value(n, "mode", mode ? mode : "custom", "host-passthrough", error);
    if (xml_check_attrs(n, ATTRS("mode", "check", "migratable"), error) < 0 ||
        xml_check_empty(n, error) < 0)
        return -1;
    /* check='none' and migratable='on' are what libvirt writes for
     * host-passthrough by default: they ask for nothing beyond it. */
    check = xml_get_attr(n, "check");
    if (check && strcmp(check, "none"))
        return xml_err_value(n, "check", check, "none", error);
    migratable = xml_get_attr(n, "migratable");
    if (migratable && strcmp(migratable, "on"))
        return xml_err_value(n, "migratable", migratable, "on", error);
    def->cpu_host_passthrough = true;
    return 0;
}

static int parse_clock(domain_def *def, const xmlNode *n, GError **error)
{
    g_autofree char *offset = NULL;

    if (xml_check_attrs(n, ATTRS("offset"), error) < 0 || xml_check_empty(n, error) < 0)
        return -1;
    offset = xml_get_attr(n, "offset");
    if (offset && strcmp(offset, "utc"))
        return xml_err_value(n, "offset", offset, "utc", error);
    return 0;
}

/* ---- the document ---- */

/* The children of <domain>, each at most once. */
static const char *const domain_children[] = {
    "name", "uuid", "title", "description", "metadata", "memory", "currentMemory", "vcpu", "os",
    "features", "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "devices",
};

static int parse_domain(domain_def *def, const xmlNode *root, GError **error)
{
    g_autofree char *type = NULL;
    bool seen[G_N_ELEMENTS(domain_children)] = { false };
    bool have_current = false;
    bool have_uuid = false;
    bool have_memory = false;

    type = xml_get_attr(root, "type");
    if (!type)
        return xml_err_missing_attr(root, "type", error);
    if (strcmp(type, "kvm")) {
        g_autofree char *shown = xml_shorten(type);

        virt_error_set(error, VIR_ERR_CONFIG_UNSUPPORTED,
                       _("domain type '%s' is not supported: skiff runs kvm"), shown);
        return -1;
    }
    /* id= is live state (virsh dumpxml of a running domain): not config. */
    if (xml_check_attrs(root, ATTRS("type", "id"), error) < 0 || xml_check_no_text(root, error) < 0)
        return -1;

    for (const xmlNode *c = root->children; c; c = c->next) {
        int rc = -1;
        size_t i;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        for (i = 0; i < G_N_ELEMENTS(domain_children) && !xml_is(c, domain_children[i]); i++)
            ;
        if (i == G_N_ELEMENTS(domain_children))
            return xml_err_element(root, c, error);
        if (xml_once(root, c, &seen[i], error) < 0)
            return -1;

        if (xml_is(c, "name")) {
            rc = parse_name(def, c, error);
        } else if (xml_is(c, "uuid")) {
            rc = parse_uuid(def, c, error);
            have_uuid = true;
        } else if (xml_is(c, "title")) {
            rc = xml_get_plain_text(c, &def->title, error);
            if (!rc && def->title && strchr(def->title, '\n')) {
                virt_error_set(error, VIR_ERR_XML_ERROR, _("<title> must not contain newlines"));
                rc = -1;
            }
        } else if (xml_is(c, "description")) {
            rc = xml_get_plain_text(c, &def->description, error);
        } else if (xml_is(c, "metadata")) {
            rc = parse_metadata(def, c, error);
        } else if (xml_is(c, "memory")) {
            rc = parse_memory(c, &def->memory_kib, error);
            have_memory = true;
        } else if (xml_is(c, "currentMemory")) {
            rc = parse_memory(c, &def->current_memory_kib, error);
            have_current = true;
        } else if (xml_is(c, "vcpu")) {
            rc = parse_vcpu(def, c, error);
        } else if (xml_is(c, "os")) {
            rc = parse_os(def, c, error);
        } else if (xml_is(c, "features")) {
            rc = parse_features(def, c, error);
        } else if (xml_is(c, "cpu")) {
            rc = parse_cpu(def, c, error);
        } else if (xml_is(c, "clock")) {
            rc = parse_clock(def, c, error);
        } else if (xml_is(c, "on_poweroff")) {
            rc = parse_lifecycle(c, &def->on_poweroff, error);
        } else if (xml_is(c, "on_reboot")) {
            rc = parse_lifecycle(c, &def->on_reboot, error);
        } else if (xml_is(c, "on_crash")) {
            rc = parse_lifecycle(c, &def->on_crash, error);
        } else if (xml_is(c, "devices")) {
            rc = domain_parse_devices(def, c, error);
        }
        if (rc < 0)
            return -1;
    }

    if (!def->name)
        return xml_err_missing_element("domain", "name", error);
    if (!have_memory)
        return xml_err_missing_element("domain", "memory", error);
    if (!def->os_arch)
        return xml_err_missing_element("domain", "os", error);
    if (!have_uuid) {
        g_autofree char *uuid = g_uuid_string_random();

        domain_uuid_parse(uuid, def->uuid);
    }
    if (!have_current) {
        def->current_memory_kib = def->memory_kib;
    } else if (def->current_memory_kib > def->memory_kib) {
        virt_error_set(error, VIR_ERR_XML_ERROR,
                       _("<currentMemory> (%" PRIu64 " KiB) is larger than <memory> (%" PRIu64
                         " KiB)"), def->current_memory_kib, def->memory_kib);
        return -1;
    }
    if (!def->vcpus_max) {
        def->vcpus_max = 1;
        def->vcpus_current = 1;
    }
    return 0;
}

/* ---- libxml2 and the schema ---- */

/* libxml2 reports some errors (input encoding conversion) outside the
 * parser context, to its generic handler, which prints to stderr. They are
 * in the parser's result anyway. */
static void G_GNUC_PRINTF(2, 3) ignore_error(void *ctx, const char *msg, ...)
{
}

/* libxml2's messages may span lines ("...\nBytes: 0xE9"): one line here. */
static char *one_line(const char *msg)
{
    return g_strstrip(g_strdelimit(g_strdup(msg ? msg : "?"), "\r\n", ' '));
}

static void collect_error(void *data, const xmlError *e)
{
    GString *s = data;
    g_autofree char *msg = one_line(e->message);

    if (s->len)
        g_string_append(s, "; ");
    if (e->line > 0)
        g_string_append_printf(s, _("line %d: %s"), e->line, msg);
    else
        g_string_append(s, msg);
}

struct schema {
    xmlRelaxNGPtr rng;
    char *error;           /* why it could not be loaded */
};

static void *schema_load(void *data)
{
    struct schema *s = g_new0(struct schema, 1);
    g_autoptr(GString) errors = g_string_new(NULL);
    xmlRelaxNGParserCtxtPtr p;

    p = xmlRelaxNGNewParserCtxt(LIBVIRT_SCHEMA_DIR "/domain.rng");
    if (p) {
        xmlRelaxNGSetParserStructuredErrors(p, (xmlStructuredErrorFunc)collect_error, errors);
        s->rng = xmlRelaxNGParse(p);
        xmlRelaxNGFreeParserCtxt(p);
    }
    if (!s->rng)
        s->error = g_strdup(errors->len ? errors->str : _("cannot read it"));
    return s;
}

static int validate(xmlDoc *doc, GError **error)
{
    static GOnce once_schema = G_ONCE_INIT;
    struct schema *schema = g_once(&once_schema, schema_load, NULL);
    g_autoptr(xmlRelaxNGValidCtxt) v = NULL;
    g_autoptr(GString) errors = g_string_new(NULL);

    if (!schema->rng) {
        virt_error_set(error, VIR_ERR_INTERNAL_ERROR, _("cannot load libvirt's schema %s: %s"),
                       LIBVIRT_SCHEMA_DIR "/domain.rng", schema->error);
        return -1;
    }
    v = xmlRelaxNGNewValidCtxt(schema->rng);
    if (!v) {
        virt_error_set(error, VIR_ERR_INTERNAL_ERROR, _("out of memory"));
        return -1;
    }
    xmlRelaxNGSetValidStructuredErrors(v, (xmlStructuredErrorFunc)collect_error, errors);
    if (xmlRelaxNGValidateDoc(v, doc) != 0) {
        virt_error_set(error, VIR_ERR_XML_INVALID_SCHEMA, "%s",
                       errors->len ? errors->str : _("the document does not match domain.rng"));
        return -1;
    }
    return 0;
}

static void *init_libxml(void *data)
{
    xmlInitParser();
    return NULL;
}

static xmlDoc *read_doc(const char *xml, GError **error)
{
    static GOnce once_init = G_ONCE_INIT;
    g_autoptr(xmlParserCtxt) ctxt = NULL;
    xmlGenericErrorFunc saved_handler;
    void *saved_ctx;
    xmlDoc *doc;
    size_t len = strlen(xml);

    g_once(&once_init, init_libxml, NULL);
    if (len > INT_MAX) {
        virt_error_set(error, VIR_ERR_XML_ERROR, _("the document is too large"));
        return NULL;
    }
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        virt_error_set(error, VIR_ERR_INTERNAL_ERROR, _("out of memory"));
        return NULL;
    }
    /* No network, no external DTD, no entity substitution, and libxml2's
     * messages go to the GError rather than stderr. */
    saved_handler = xmlGenericError;
    saved_ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, ignore_error);
    doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlSetGenericErrorFunc(saved_ctx, saved_handler);
    if (!doc || !ctxt->wellFormed) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        g_autofree char *msg = one_line(e ? e->message : NULL);

        xmlFreeDoc(doc);
        virt_error_set(error, VIR_ERR_XML_ERROR, _("malformed XML at line %d: %s"),
                       e ? e->line : 0, msg);
        return NULL;
    }
    /* A domain never needs a DTD, and entities are a way to make a small
     * document expand into a large one. */
    if (doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        virt_error_set(error, VIR_ERR_XML_ERROR, _("a DOCTYPE is not accepted in domain XML"));
        return NULL;
    }
    return doc;
}

domain_def *domain_def_parse_string(const char *xml, unsigned flags, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(domain_def) def = NULL;
    xmlNode *root;

    if (!xml) {
        virt_error_set(error, VIR_ERR_INVALID_ARG, _("no domain XML given"));
        return NULL;
    }
    if (flags & ~(unsigned)DOMAIN_PARSE_VALIDATE) {
        virt_error_set(error, VIR_ERR_INVALID_ARG, _("unsupported flags 0x%x"),
                       flags & ~(unsigned)DOMAIN_PARSE_VALIDATE);
        return NULL;
    }
    doc = read_doc(xml, error);
    if (!doc)
        return NULL;
    if ((flags & DOMAIN_PARSE_VALIDATE) && validate(doc, error) < 0)
        return NULL;
    root = xmlDocGetRootElement(doc);
    if (!root || !xml_is(root, "domain")) {
        g_autofree char *name = root ? xml_elem_name(root) : g_strdup("");

        virt_error_set(error, VIR_ERR_XML_ERROR,
                       _("unexpected root element <%s>, expecting <domain>"), name);
        return NULL;
    }
    def = domain_def_new();
    def->on_poweroff = DOMAIN_ACTION_DESTROY;
    def->on_reboot = DOMAIN_ACTION_RESTART;
    def->on_crash = DOMAIN_ACTION_DESTROY;
    def->clock_offset = g_strdup("utc");
    if (parse_domain(def, root, error) < 0)
        return NULL;
    return g_steal_pointer(&def);
}
