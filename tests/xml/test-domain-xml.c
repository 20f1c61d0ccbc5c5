/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Domain XML golden tests, in libvirt's xml2xml style. A case is a file:
 *   tests/xml2json/NAME.xml   → NAME.json (the VmConfig sent to skiff's
 *                               vm.create; the backend's own reader must
 *                               accept it) or NAME.err (translation refused).
 *                               Taps the daemon creates and names at start
 *                               are named here as the kernel would name the
 *                               first ones: vnet0, vnet1, ...
 *   tests/xml2xml/NAME.xml    → NAME.out (inactive format; the input must
 *                               pass libvirt's schema, the output too, and
 *                               format(parse(out)) == out)
 *   tests/xml-invalid/NAME.xml → NAME.err (parse refused; a NAME starting
 *                               with "validate-" is parsed with
 *                               DOMAIN_PARSE_VALIDATE)
 * A .err holds the libvirt error code's name, then the message as a libvirt
 * client prints it. A missing expectation or one without its .xml fails.
 * SKIFF_TEST_REGENERATE=1 rewrites the expected files (review the diff!).
 */
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "api/vmconfig-json.h"
#include "vmm/config.h"
#include "xml/capabilities.h"
#include "xml/domain-conf.h"
#include "xml/virt-error.h"

#define SCHEMA_DIR "/usr/share/libvirt/schemas"

static const char *data_dir;
static bool regenerate;

enum kind { KIND_XML2JSON, KIND_XML2XML, KIND_INVALID, N_KINDS };

static const struct {
    const char *dir;
    const char *const exts[3];   /* the expectations a case may have */
} kinds[N_KINDS] = {
    [KIND_XML2JSON] = { "xml2json", { ".json", ".err", NULL } },
    [KIND_XML2XML] = { "xml2xml", { ".out", NULL } },
    [KIND_INVALID] = { "xml-invalid", { ".err", NULL } },
};

/* Case names (NAME of NAME.xml), sorted, per kind. */
static GPtrArray *cases[N_KINDS];

static char *case_path(enum kind k, const char *name, const char *ext)
{
    g_autofree char *file = g_strconcat(name, ext, NULL);

    return g_build_filename(data_dir, kinds[k].dir, file, NULL);
}

static char *read_or_null(const char *path)
{
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return text;
}

static char *read_case_input(enum kind k, const char *name)
{
    g_autofree char *path = case_path(k, name, ".xml");
    char *text = read_or_null(path);

    ck_assert_msg(text != NULL, "cannot read %s", path);
    return text;
}

/* Compares with the expected file, or rewrites it when regenerating. */
static void expect_file(const char *path, const char *actual)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *expected = NULL;

    if (regenerate) {
        ck_assert_msg(g_file_set_contents(path, actual, -1, &err), "%s: %s", path,
                      err ? err->message : "");
        return;
    }
    expected = read_or_null(path);
    ck_assert_msg(expected != NULL, "missing expected file %s; actual output:\n%s", path, actual);
    if (strcmp(expected, actual))
        ck_abort_msg("%s differs\n--- expected\n%s--- actual\n%s", path, expected, actual);
}

/* When regenerating, the other possible expectation of a case goes away. */
static void drop_other(enum kind k, const char *name, const char *keep)
{
    for (const char *const *ext = kinds[k].exts; *ext; ext++) {
        g_autofree char *path = case_path(k, name, *ext);

        if (strcmp(*ext, keep) && regenerate)
            unlink(path);
        else if (strcmp(*ext, keep))
            ck_assert_msg(!g_file_test(path, G_FILE_TEST_EXISTS),
                          "%s exists, but the case gave %s", path, keep);
    }
}

static char *error_text(const GError *err)
{
    g_autofree char *msg = virt_error_format_message(err);

    ck_assert_msg(err->domain == VIRT_ERROR, "error outside VIRT_ERROR: %s", err->message);
    return g_strdup_printf("%s\n%s\n", virt_error_code_name(err->code), msg);
}

static char *format_inactive(const domain_def *def)
{
    return domain_def_format(def, -1, DOMAIN_FORMAT_INACTIVE);
}

/* What bridge_tap_prepare() does to the names before the daemon
 * translates for a start (without creating anything). */
static void name_taps_like_the_daemon(domain_def *def)
{
    unsigned next = 0;

    for (guint i = 0; i < def->nets->len; i++) {
        struct domain_net *n = g_ptr_array_index(def->nets, i);

        if (domain_net_daemon_creates_tap(n) && !n->target_dev)
            n->target_dev = g_strdup_printf("vnet%u", next++);
    }
}

/* ---- the golden cases ---- */

START_TEST(test_xml2json)
{
    const char *name = g_ptr_array_index(cases[KIND_XML2JSON], _i);
    g_autofree char *xml = read_case_input(KIND_XML2JSON, name);
    g_autoptr(GError) err = NULL;
    g_autoptr(domain_def) def = domain_def_parse_string(xml, 0, &err);
    g_autofree char *json = NULL;

    ck_assert_msg(def != NULL, "%s: parse failed: %s", name, err ? err->message : "");
    name_taps_like_the_daemon(def);
    json = domain_def_to_vm_config_json(def, &err);
    if (!json) {
        g_autofree char *text = error_text(err);
        g_autofree char *path = case_path(KIND_XML2JSON, name, ".err");

        drop_other(KIND_XML2JSON, name, ".err");
        expect_file(path, text);
    } else {
        g_autofree char *text = g_strconcat(json, "\n", NULL);
        g_autofree char *path = case_path(KIND_XML2JSON, name, ".json");
        struct vm_config cfg = { 0 };

        drop_other(KIND_XML2JSON, name, ".json");
        expect_file(path, text);
        /* The contract with the backend: its own reader takes this body. */
        ck_assert_msg(vm_config_from_json(json, strlen(json), &cfg, &err) == 0 &&
                      vm_config_validate(&cfg, &err) == 0,
                      "%s: the backend refuses the VmConfig: %s", name, err ? err->message : "");
        vm_config_clear(&cfg);
    }
}
END_TEST

START_TEST(test_xml2xml)
{
    const char *name = g_ptr_array_index(cases[KIND_XML2XML], _i);
    g_autofree char *xml = read_case_input(KIND_XML2XML, name);
    g_autofree char *path = case_path(KIND_XML2XML, name, ".out");
    g_autoptr(GError) err = NULL;
    g_autoptr(domain_def) def = domain_def_parse_string(xml, DOMAIN_PARSE_VALIDATE, &err);
    g_autoptr(domain_def) again = NULL;
    g_autoptr(domain_def) copy = NULL;
    g_autofree char *out = NULL;
    g_autofree char *out2 = NULL;
    g_autofree char *out_copy = NULL;

    ck_assert_msg(def != NULL, "%s: parse failed: %s", name, err ? err->message : "");
    out = format_inactive(def);
    expect_file(path, out);

    again = domain_def_parse_string(out, DOMAIN_PARSE_VALIDATE, &err);
    ck_assert_msg(again != NULL, "%s: the formatted XML does not parse back: %s", name,
                  err ? err->message : "");
    out2 = format_inactive(again);
    ck_assert_msg(!strcmp(out, out2), "%s: not stable on a round trip:\n%s\n---\n%s", name, out,
                  out2);

    copy = domain_def_copy(def);
    out_copy = format_inactive(copy);
    ck_assert_str_eq(out, out_copy);
}
END_TEST

START_TEST(test_invalid)
{
    const char *name = g_ptr_array_index(cases[KIND_INVALID], _i);
    g_autofree char *xml = read_case_input(KIND_INVALID, name);
    g_autofree char *path = case_path(KIND_INVALID, name, ".err");
    unsigned flags = g_str_has_prefix(name, "validate-") ? DOMAIN_PARSE_VALIDATE : 0;
    g_autoptr(GError) err = NULL;
    g_autoptr(domain_def) def = domain_def_parse_string(xml, flags, &err);
    g_autofree char *text = NULL;

    if (def) {
        g_autofree char *out = format_inactive(def);

        ck_abort_msg("%s: parsed, but should have been refused:\n%s", name, out);
    }
    text = error_text(err);
    expect_file(path, text);
}
END_TEST

/* Every expectation has its .xml, and every .xml an expectation. */
START_TEST(test_no_orphans)
{
    g_autoptr(GString) problems = g_string_new(NULL);

    for (int k = 0; k < N_KINDS; k++) {
        g_autofree char *dir_path = g_build_filename(data_dir, kinds[k].dir, NULL);
        g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
        const char *file;

        ck_assert_msg(dir != NULL, "cannot open %s", dir_path);
        while ((file = g_dir_read_name(dir))) {
            const char *dot = strrchr(file, '.');
            g_autofree char *stem = dot ? g_strndup(file, (gsize)(dot - file)) : g_strdup(file);
            bool known = false;

            if (dot && !strcmp(dot, ".xml"))
                continue;
            for (const char *const *ext = kinds[k].exts; *ext; ext++)
                known = known || (dot && !strcmp(dot, *ext));
            if (!known || !g_ptr_array_find_with_equal_func(cases[k], stem, g_str_equal, NULL))
                g_string_append_printf(problems, "  %s/%s: no %s.xml, or not an expectation\n",
                                       kinds[k].dir, file, stem);
        }
        for (guint i = 0; i < cases[k]->len && !regenerate; i++) {
            const char *name = g_ptr_array_index(cases[k], i);
            bool found = false;

            for (const char *const *ext = kinds[k].exts; *ext; ext++) {
                g_autofree char *path = case_path(k, name, *ext);

                found = found || g_file_test(path, G_FILE_TEST_EXISTS);
            }
            if (!found)
                g_string_append_printf(problems, "  %s/%s.xml: no expected file\n", kinds[k].dir,
                                       name);
        }
    }
    ck_assert_msg(problems->len == 0, "test data problems:\n%s", problems->str);
}
END_TEST

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_cases(void)
{
    for (int k = 0; k < N_KINDS; k++) {
        g_autofree char *dir_path = g_build_filename(data_dir, kinds[k].dir, NULL);
        g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
        const char *file;

        cases[k] = g_ptr_array_new_with_free_func(g_free);
        if (!dir)
            continue;
        while ((file = g_dir_read_name(dir))) {
            if (g_str_has_suffix(file, ".xml"))
                g_ptr_array_add(cases[k], g_strndup(file, strlen(file) - 4));
        }
        g_ptr_array_sort(cases[k], compare_names);
    }
}

/* ---- everything a golden file cannot show ---- */

#define MINIMAL_HEAD "<domain type='kvm'><name>t</name>"
#define MINIMAL_OS "<os><type>hvm</type><kernel>/k</kernel></os>"

static domain_def *parse_ok(const char *xml)
{
    g_autoptr(GError) err = NULL;
    domain_def *def = domain_def_parse_string(xml, 0, &err);

    ck_assert_msg(def != NULL, "parse failed: %s\n%s", err ? err->message : "", xml);
    return def;
}

/* A missing <uuid> is a fresh random (version 4) one each time. */
START_TEST(test_uuid_generated)
{
    const char *xml = MINIMAL_HEAD "<memory>65536</memory>" MINIMAL_OS "</domain>";
    g_autoptr(domain_def) a = parse_ok(xml);
    g_autoptr(domain_def) b = parse_ok(xml);
    g_autoptr(domain_def) back = NULL;
    g_autofree char *out = NULL;
    char text[37];

    ck_assert_mem_ne(a->uuid, b->uuid, 16);
    ck_assert_uint_eq(a->uuid[6] >> 4, 4);
    ck_assert_uint_eq(a->uuid[8] >> 6, 2);
    domain_uuid_format(a->uuid, text);
    ck_assert_msg(g_uuid_string_is_valid(text), "%s", text);
    /* Formatted, it is kept. */
    out = format_inactive(a);
    back = parse_ok(out);
    ck_assert_mem_eq(a->uuid, back->uuid, 16);
}
END_TEST

START_TEST(test_mac_generated)
{
    const char *xml = MINIMAL_HEAD "<memory>65536</memory>" MINIMAL_OS
        "<devices><interface type='ethernet'/><interface type='ethernet'/></devices></domain>";
    g_autoptr(domain_def) def = parse_ok(xml);
    const struct domain_net *n0 = g_ptr_array_index(def->nets, 0);
    const struct domain_net *n1 = g_ptr_array_index(def->nets, 1);
    g_autoptr(domain_def) back = NULL;
    g_autofree char *out = NULL;

    ck_assert(g_str_has_prefix(n0->mac, "52:54:00:"));
    ck_assert_uint_eq(strlen(n0->mac), 17);
    ck_assert(g_regex_match_simple("^52:54:00(:[0-9a-f]{2}){3}$", n0->mac, 0, 0));
    ck_assert(g_regex_match_simple("^52:54:00(:[0-9a-f]{2}){3}$", n1->mac, 0, 0));
    out = format_inactive(def);
    back = parse_ok(out);
    ck_assert_str_eq(((struct domain_net *)g_ptr_array_index(back->nets, 0))->mac, n0->mac);
}
END_TEST

START_TEST(test_uuid_text)
{
    static const struct {
        const char *text;
        const char *canonical;   /* NULL: refused */
    } cases_[] = {
        { "4dea22b3-1d52-d8f3-2516-782e98ab3fa0", "4dea22b3-1d52-d8f3-2516-782e98ab3fa0" },
        { "4DEA22B31D52D8F32516782E98AB3FA0", "4dea22b3-1d52-d8f3-2516-782e98ab3fa0" },
        { "  4dea22b3-1d52-d8f3-2516-782e98ab3fa0\n", "4dea22b3-1d52-d8f3-2516-782e98ab3fa0" },
        { "4d-ea-22-b3-1d-52-d8-f3-25-16-78-2e-98-ab-3f-a0", "4dea22b3-1d52-d8f3-2516-782e98ab3fa0" },
        { "4dea22b3-1d52-d8f3-2516-782e98ab3fa", NULL },
        { "4dea22b3-1d52-d8f3-2516-782e98ab3fa00", NULL },
        { "-4dea22b3-1d52-d8f3-2516-782e98ab3fa0", NULL },
        { "4dea22b3--1d52-d8f3-2516-782e98ab3fa0", NULL },
        { "4dea22b3-1d52-d8f3-2516-782e98ab3fa0-", NULL },
        { "4dea22b3-1d52-d8f3-2516-782e98ab3fg0", NULL },
        { "4dea22b3-1d5-2d8f3-2516-782e98ab3fa0", NULL },
        { "", NULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases_); i++) {
        uint8_t uuid[16];
        char text[37];
        int rc = domain_uuid_parse(cases_[i].text, uuid);

        if (!cases_[i].canonical) {
            ck_assert_msg(rc < 0, "'%s' accepted", cases_[i].text);
            continue;
        }
        ck_assert_msg(rc == 0, "'%s' refused", cases_[i].text);
        domain_uuid_format(uuid, text);
        ck_assert_str_eq(text, cases_[i].canonical);
    }
}
END_TEST

/* libvirt's units (virScaleInteger), rounded up to KiB. */
static const struct {
    const char *value;
    const char *unit;      /* NULL: no unit attribute */
    uint64_t kib;          /* 0: refused with code */
    int code;
} unit_cases[] = {
    { "1", NULL, 1, 0 },
    { "1", "b", 1, 0 },
    { "1024", "bytes", 1, 0 },
    { "1025", "byte", 2, 0 },
    { "3", "k", 3, 0 },
    { "3", "KiB", 3, 0 },
    { "1000", "KB", 977, 0 },          /* 1000000 / 1024 = 976.56 */
    { "1024", "kb", 1000, 0 },
    { "1", "M", 1024, 0 },
    { "2", "mib", 2048, 0 },
    { "1", "MB", 977, 0 },             /* 10^6 / 1024 = 976.56 */
    { "1", "G", 1048576, 0 },
    { "1", "GiB", 1048576, 0 },
    { "1", "GB", 976563, 0 },          /* 10^9 / 1024 = 976562.5 */
    { "1", "T", 1073741824, 0 },
    { "1", "TB", 976562500, 0 },       /* 10^12 / 1024 exactly */
    { "4", "PiB", 4398046511104, 0 },  /* 2^42: the most skiff takes */
    { " 7 ", "KiB", 7, 0 },
    { "5", "PiB", 0, VIR_ERR_CONFIG_UNSUPPORTED },
    { "1", "E", 0, VIR_ERR_CONFIG_UNSUPPORTED },
    { "16", "EiB", 0, VIR_ERR_XML_ERROR },     /* 2^64: does not fit */
    { "18446744073709551616", "b", 0, VIR_ERR_XML_ERROR },
    { "1", "KiBs", 0, VIR_ERR_XML_ERROR },
    { "1", "Q", 0, VIR_ERR_XML_ERROR },
    { "1", "", 0, VIR_ERR_XML_ERROR },
    { "1", "iB", 0, VIR_ERR_XML_ERROR },
    { "0", "GiB", 0, VIR_ERR_XML_ERROR },
    { "-1", NULL, 0, VIR_ERR_XML_ERROR },
    { "+1", NULL, 0, VIR_ERR_XML_ERROR },
    { "1.5", "GiB", 0, VIR_ERR_XML_ERROR },
    { "0x10", NULL, 0, VIR_ERR_XML_ERROR },
};

START_TEST(test_units)
{
    g_autofree char *unit = unit_cases[_i].unit
        ? g_strdup_printf(" unit='%s'", unit_cases[_i].unit) : g_strdup("");
    g_autofree char *xml = g_strdup_printf(MINIMAL_HEAD "<memory%s>%s</memory>" MINIMAL_OS
                                           "</domain>", unit, unit_cases[_i].value);
    g_autoptr(GError) err = NULL;
    g_autoptr(domain_def) def = domain_def_parse_string(xml, 0, &err);

    if (unit_cases[_i].kib) {
        ck_assert_msg(def != NULL, "%s: %s", xml, err ? err->message : "");
        ck_assert_uint_eq(def->memory_kib, unit_cases[_i].kib);
        ck_assert_uint_eq(def->current_memory_kib, unit_cases[_i].kib);
    } else {
        ck_assert_msg(def == NULL, "%s accepted", xml);
        ck_assert_msg(err->code == unit_cases[_i].code, "%s: %s (%s)", xml,
                      virt_error_code_name(err->code), err->message);
    }
}
END_TEST

/* The live format carries the id and the pty path; parsing it back (virsh
 * dumpxml of a running domain, then define) reads them as live state only. */
START_TEST(test_live_format)
{
    const char *xml = MINIMAL_HEAD "<memory>65536</memory>" MINIMAL_OS
        "<devices><serial type='pty'/><console type='pty'/></devices></domain>";
    g_autoptr(domain_def) def = parse_ok(xml);
    g_autoptr(domain_def) back = NULL;
    g_autofree char *live = NULL;
    g_autofree char *inactive = NULL;
    g_autofree char *live_no_id = NULL;
    g_autofree char *back_out = NULL;

    def->serial.tty = g_strdup("/dev/pts/7");
    live = domain_def_format(def, 12, 0);
    ck_assert_msg(strstr(live, "<domain type='kvm' id='12'>\n"), "%s", live);
    ck_assert_msg(strstr(live, "    <serial type='pty'>\n      <source path='/dev/pts/7'/>\n"),
                  "%s", live);
    ck_assert_msg(strstr(live, "    <console type='pty' tty='/dev/pts/7'>\n"
                               "      <source path='/dev/pts/7'/>\n"
                               "      <target type='serial' port='0'/>\n"), "%s", live);
    inactive = domain_def_format(def, 12, DOMAIN_FORMAT_INACTIVE);
    ck_assert_msg(!strstr(inactive, "id=") && !strstr(inactive, "/dev/pts"), "%s", inactive);
    live_no_id = domain_def_format(def, -1, 0);
    ck_assert_msg(strstr(live_no_id, "<domain type='kvm'>\n"), "%s", live_no_id);

    back = parse_ok(live);
    ck_assert_ptr_null(back->serial.tty);
    back_out = format_inactive(back);
    ck_assert_str_eq(back_out, inactive);
}
END_TEST

/* A virtio console's pty, after the serial's console: port 1, its own tty. */
START_TEST(test_live_virtio_console)
{
    const char *xml = MINIMAL_HEAD "<memory>65536</memory>" MINIMAL_OS
        "<devices><serial type='pty'/><console type='pty'/>"
        "<console type='pty'><target type='virtio'/></console></devices></domain>";
    g_autoptr(domain_def) def = parse_ok(xml);
    g_autoptr(domain_def) back = NULL;
    g_autofree char *live = NULL;
    g_autofree char *inactive = NULL;
    g_autofree char *back_out = NULL;

    ck_assert(def->has_serial && def->has_console && def->has_virtio_console);
    def->serial.tty = g_strdup("/dev/pts/7");
    def->console.tty = g_strdup("/dev/pts/9");
    live = domain_def_format(def, 3, 0);
    ck_assert_msg(strstr(live, "    <console type='pty' tty='/dev/pts/7'>\n"
                               "      <source path='/dev/pts/7'/>\n"
                               "      <target type='serial' port='0'/>\n"
                               "    </console>\n"
                               "    <console type='pty' tty='/dev/pts/9'>\n"
                               "      <source path='/dev/pts/9'/>\n"
                               "      <target type='virtio' port='1'/>\n"
                               "    </console>\n"), "%s", live);
    inactive = domain_def_format(def, 3, DOMAIN_FORMAT_INACTIVE);
    ck_assert_msg(!strstr(inactive, "/dev/pts"), "%s", inactive);
    back = parse_ok(live);
    ck_assert_ptr_null(back->console.tty);
    back_out = format_inactive(back);
    ck_assert_str_eq(back_out, inactive);
}
END_TEST

/* Before the daemon names a tap it creates, the body has no tap (skiff
 * would refuse it); a name of the daemon's from a live XML is not kept. */
START_TEST(test_unnamed_tap)
{
    const char *xml = MINIMAL_HEAD "<memory>65536</memory>" MINIMAL_OS
        "<devices><interface type='bridge'><mac address='52:54:00:00:00:01'/>"
        "<source bridge='br0'/><target dev='vnet12'/></interface>"
        "<interface type='ethernet'><mac address='52:54:00:00:00:02'/>"
        "<target dev='vnet13' managed='no'/></interface></devices></domain>";
    g_autoptr(domain_def) def = parse_ok(xml);
    g_autoptr(GError) err = NULL;
    g_autofree char *json = NULL;
    g_autofree char *json_named = NULL;
    struct domain_net *bridge = g_ptr_array_index(def->nets, 0);
    struct domain_net *eth = g_ptr_array_index(def->nets, 1);
    struct vm_config cfg = { 0 };

    ck_assert_ptr_null(bridge->target_dev);
    ck_assert(domain_net_daemon_creates_tap(bridge));
    ck_assert_str_eq(eth->target_dev, "vnet13");
    ck_assert(!domain_net_daemon_creates_tap(eth));
    json = domain_def_to_vm_config_json(def, &err);
    ck_assert_msg(json != NULL, "%s", err ? err->message : "");
    ck_assert_msg(vm_config_from_json(json, strlen(json), &cfg, &err) < 0, "%s", json);
    ck_assert_msg(strstr(err->message, "net[0]") && strstr(err->message, "tap"), "%s",
                  err->message);
    bridge->target_dev = g_strdup("vnet0");
    g_clear_error(&err);
    json_named = domain_def_to_vm_config_json(def, &err);
    ck_assert_msg(json_named != NULL, "%s", err ? err->message : "");
    ck_assert_int_eq(vm_config_from_json(json_named, strlen(json_named), &cfg, &err), 0);
    ck_assert_str_eq(cfg.nets[0].tap, "vnet0");
    ck_assert_str_eq(cfg.nets[0].id, "net0");
    ck_assert_str_eq(cfg.nets[1].tap, "vnet13");
    ck_assert_str_eq(cfg.nets[1].id, "net1");
    vm_config_clear(&cfg);
}
END_TEST

START_TEST(test_bad_arguments)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) err2 = NULL;

    ck_assert_ptr_null(domain_def_parse_string(NULL, 0, &err));
    ck_assert_int_eq(err->code, VIR_ERR_INVALID_ARG);
    ck_assert_ptr_null(domain_def_parse_string("<domain/>", 1u << 7, &err2));
    ck_assert_int_eq(err2->code, VIR_ERR_INVALID_ARG);
}
END_TEST

/* What the daemon puts on the wire: libvirt's prefix for the code. */
START_TEST(test_error_messages)
{
    static const struct {
        int code;
        const char *message;
    } cases_[] = {
        { VIR_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: m" },
        { VIR_ERR_XML_ERROR, "XML error: m" },
        { VIR_ERR_XML_INVALID_SCHEMA, "XML document failed to validate against schema: m" },
        { VIR_ERR_NO_DOMAIN, "Domain not found: m" },
        { VIR_ERR_OPERATION_INVALID, "Requested operation is not valid: m" },
        { VIR_ERR_OPERATION_FAILED, "operation failed: m" },
        { VIR_ERR_NO_SUPPORT, "this function is not supported by the connection driver: m" },
        { VIR_ERR_INTERNAL_ERROR, "internal error: m" },
        { VIR_ERR_INVALID_ARG, "invalid argument: m" },
        { VIR_ERR_XML_DETAIL, "m" },
        { VIR_ERR_SYSTEM_ERROR, "m" },
    };
    g_autoptr(GError) other = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_NOENT, "m");
    g_autofree char *other_msg = virt_error_format_message(other);

    for (size_t i = 0; i < G_N_ELEMENTS(cases_); i++) {
        g_autoptr(GError) err = g_error_new_literal(VIRT_ERROR, cases_[i].code, "m");
        g_autofree char *msg = virt_error_format_message(err);

        ck_assert_str_eq(msg, cases_[i].message);
        ck_assert_int_eq(virt_error_code(err), cases_[i].code);
    }
    ck_assert_str_eq(other_msg, "internal error: m");
    ck_assert_int_eq(virt_error_code(other), VIR_ERR_INTERNAL_ERROR);
    ck_assert_str_eq(virt_error_code_name(VIR_ERR_CONFIG_UNSUPPORTED),
                     "VIR_ERR_CONFIG_UNSUPPORTED");
    ck_assert_str_eq(virt_error_code_name(9999), "VIR_ERR_9999");
}
END_TEST

static void assert_valid_capabilities(const char *xml)
{
    xmlRelaxNGParserCtxtPtr p = xmlRelaxNGNewParserCtxt(SCHEMA_DIR "/capability.rng");
    xmlRelaxNGPtr rng = xmlRelaxNGParse(p);
    xmlRelaxNGValidCtxtPtr v = xmlRelaxNGNewValidCtxt(rng);
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "caps.xml", NULL, XML_PARSE_NONET);

    ck_assert_ptr_nonnull(rng);
    ck_assert_ptr_nonnull(doc);
    ck_assert_msg(xmlRelaxNGValidateDoc(v, doc) == 0, "not valid per capability.rng:\n%s", xml);
    xmlFreeDoc(doc);
    xmlRelaxNGFreeValidCtxt(v);
    xmlRelaxNGFree(rng);
    xmlRelaxNGFreeParserCtxt(p);
}

START_TEST(test_capabilities)
{
    const struct capabilities_host host = { .arch = "x86_64", .vendor = "AMD" };
    const struct capabilities_host bare = { .arch = "x86_64" };
    g_autofree char *fixed = capabilities_format_host(&host, "/usr/bin/skiff");
    g_autofree char *no_vendor = capabilities_format_host(&bare, "/opt/a&b/skiff");
    g_autofree char *here = capabilities_format("/usr/bin/skiff");
    g_autofree char *path = g_build_filename(data_dir, "xml", "capabilities.xml", NULL);

    expect_file(path, fixed);
    assert_valid_capabilities(fixed);
    assert_valid_capabilities(no_vendor);
    ck_assert_msg(strstr(no_vendor, "<emulator>/opt/a&amp;b/skiff</emulator>"), "%s", no_vendor);
    assert_valid_capabilities(here);
}
END_TEST

static TCase *units_tcase(void)
{
    TCase *tc = tcase_create("units");

    tcase_add_test(tc, test_uuid_generated);
    tcase_add_test(tc, test_mac_generated);
    tcase_add_test(tc, test_uuid_text);
    tcase_add_loop_test(tc, test_units, 0, G_N_ELEMENTS(unit_cases));
    tcase_add_test(tc, test_live_format);
    tcase_add_test(tc, test_live_virtio_console);
    tcase_add_test(tc, test_unnamed_tap);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_error_messages);
    tcase_add_test(tc, test_capabilities);
    tcase_set_timeout(tc, 60);
    return tc;
}

int main(void)
{
    SRunner *sr;
    Suite *s;
    TCase *tc;
    int failed;

    /* Output must not depend on the host. */
    setenv("TZ", "UTC", 1);
    setenv("LC_ALL", "C", 1);
    setlocale(LC_ALL, "C");
    data_dir = g_getenv("SKIFF_TEST_DATA");
    if (!data_dir) {
        fprintf(stderr, "SKIFF_TEST_DATA must point at the tests/ directory\n");
        return 1;
    }
    regenerate = !g_strcmp0(g_getenv("SKIFF_TEST_REGENERATE"), "1");
    load_cases();
    for (int k = 0; k < N_KINDS; k++) {
        if (!cases[k]->len) {
            fprintf(stderr, "no cases in %s/%s\n", data_dir, kinds[k].dir);
            return 1;
        }
    }

    s = suite_create("domain-xml");
    tc = tcase_create("golden");
    tcase_add_test(tc, test_no_orphans);
    tcase_add_loop_test(tc, test_xml2json, 0, (int)cases[KIND_XML2JSON]->len);
    tcase_add_loop_test(tc, test_xml2xml, 0, (int)cases[KIND_XML2XML]->len);
    tcase_add_loop_test(tc, test_invalid, 0, (int)cases[KIND_INVALID]->len);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, units_tcase());

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
