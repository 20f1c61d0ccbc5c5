/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VmConfig JSON, data-driven (libvirt's xml2xml style): each
 * $SKIFF_TEST_DATA/vmconfig/NAME.json is read with vm_config_from_json; an
 * accepted input is written back with vm_config_to_json and compared with
 * NAME.out, a refused one's error ("INVALID: message" or "UNSUPPORTED:
 * message") with NAME.err. SKIFF_TEST_REGENERATE=1 rewrites the expected files
 * for review instead of comparing. Plus: round trips, the caller's struct
 * untouched on error, vm_config_validate and vm_config_copy on structs.
 */
#include <check.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/vmconfig-json.h"
#include "vmm/error.h"

static char *data_dir;
static GPtrArray *case_names;   /* NAME of every NAME.json, sorted */

static bool regenerate(void)
{
    return !g_strcmp0(g_getenv("SKIFF_TEST_REGENERATE"), "1");
}

static char *case_file(const char *name, const char *ext)
{
    g_autofree char *base = g_strconcat(name, ext, NULL);

    return g_build_filename(data_dir, base, NULL);
}

static char *to_pretty(const struct vm_config *cfg)
{
    g_autoptr(JsonNode) node = vm_config_to_json(cfg);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;

    json_generator_set_pretty(gen, TRUE);
    json_generator_set_root(gen, node);
    text = json_generator_to_data(gen, NULL);
    return g_strconcat(text, "\n", NULL);
}

static char *error_text(const GError *error)
{
    const char *code = "OTHER";

    if (error->domain == SKIFF_ERROR && error->code == SKIFF_ERROR_INVALID)
        code = "INVALID";
    else if (error->domain == SKIFF_ERROR && error->code == SKIFF_ERROR_UNSUPPORTED)
        code = "UNSUPPORTED";
    return g_strdup_printf("%s: %s\n", code, error->message);
}

static char *to_pretty(const struct vm_config *cfg);

/* The scalar members one by one, the device lists through their JSON. */
static bool configs_equal(const struct vm_config *a, const struct vm_config *b)
{
    g_autofree char *ja = to_pretty(a);
    g_autofree char *jb = to_pretty(b);

    return !strcmp(ja, jb) && !g_strcmp0(a->kernel, b->kernel) && !g_strcmp0(a->initramfs, b->initramfs) &&
           !g_strcmp0(a->cmdline, b->cmdline) && a->boot_vcpus == b->boot_vcpus &&
           a->max_vcpus == b->max_vcpus && a->memory_size == b->memory_size &&
           a->memory_shared == b->memory_shared && a->memory_hugepages == b->memory_hugepages &&
           a->serial.backend == b->serial.backend && !g_strcmp0(a->serial.path, b->serial.path) &&
           a->console.backend == b->console.backend &&
           !g_strcmp0(a->console.path, b->console.path) && a->no_reboot == b->no_reboot;
}

/* A config that no case produces, to see that a refused input leaves it alone. */
static void fill_sentinel(struct vm_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->kernel = g_strdup("sentinel-kernel");
    cfg->cmdline = g_strdup("sentinel");
    cfg->boot_vcpus = 7;
    cfg->max_vcpus = 9;
    cfg->memory_size = 12345ULL << 12;
    cfg->serial.backend = CHAR_FILE;
    cfg->serial.path = g_strdup("sentinel-serial");
    cfg->no_reboot = true;
}

static void write_expected(const char *path, const char *text, const char *stale)
{
    g_autoptr(GError) error = NULL;

    ck_assert_msg(g_file_set_contents(path, text, -1, &error), "%s", error ? error->message : "");
    if (unlink(stale) == 0)
        fprintf(stderr, "regenerate: removed %s\n", stale);
    fprintf(stderr, "regenerate: wrote %s\n", path);
}

static void compare_expected(const char *path, const char *actual)
{
    g_autofree char *expected = NULL;
    g_autoptr(GError) error = NULL;

    ck_assert_msg(g_file_get_contents(path, &expected, NULL, &error),
                  "%s (the input's outcome needs this file; SKIFF_TEST_REGENERATE=1 writes it)",
                  error->message);
    ck_assert_msg(!strcmp(expected, actual), "%s differs.\n--- expected\n%s--- actual\n%s", path,
                  expected, actual);
}

/* to_json, printed, read again gives the same struct and the same text. */
static void check_round_trip(const struct vm_config *cfg, const char *text)
{
    struct vm_config again = { .no_reboot = cfg->no_reboot };
    g_autoptr(GError) error = NULL;
    g_autofree char *text2 = NULL;

    ck_assert_msg(vm_config_from_json(text, strlen(text), &again, &error) == 0,
                  "round trip refused: %s\n%s", error ? error->message : "", text);
    ck_assert_msg(configs_equal(cfg, &again), "round trip changed the config:\n%s", text);
    text2 = to_pretty(&again);
    ck_assert_str_eq(text, text2);
    vm_config_clear(&again);
}

START_TEST(golden)
{
    const char *name = g_ptr_array_index(case_names, _i);
    g_autofree char *input_path = case_file(name, ".json");
    g_autofree char *out_path = case_file(name, ".out");
    g_autofree char *err_path = case_file(name, ".err");
    g_autofree char *input = NULL;
    g_autofree char *actual = NULL;
    g_autoptr(GError) error = NULL;
    gsize len;
    struct vm_config cfg;
    struct vm_config before;
    int rc;

    ck_assert_msg(g_file_get_contents(input_path, &input, &len, &error), "%s", error->message);
    fill_sentinel(&cfg);
    before = cfg;   /* shallow: the same pointers must still be there after an error */
    /* The input is not NUL-terminated as far as the parser knows: it gets len. */
    rc = vm_config_from_json(input, len, &cfg, &error);
    if (rc == 0) {
        ck_assert_ptr_null(error);
        ck_assert_msg(cfg.no_reboot, "%s: no_reboot (not part of VmConfig) was not kept", name);
        actual = to_pretty(&cfg);
        check_round_trip(&cfg, actual);
        if (regenerate())
            write_expected(out_path, actual, err_path);
        else
            compare_expected(out_path, actual);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_ptr_nonnull(error);
        ck_assert_msg(!memcmp(&cfg, &before, sizeof(cfg)) && !strcmp(cfg.kernel, "sentinel-kernel")
                      && !strcmp(cfg.serial.path, "sentinel-serial"),
                      "%s: a refused input changed the caller's config", name);
        actual = error_text(error);
        if (regenerate())
            write_expected(err_path, actual, out_path);
        else
            compare_expected(err_path, actual);
    }
    vm_config_clear(&cfg);
}
END_TEST

/* Every input has exactly one expectation, every expectation an input, and
 * nothing else lives there. */
START_TEST(data_directory_complete)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = g_dir_open(data_dir, 0, &error);
    g_autoptr(GString) problems = g_string_new(NULL);
    const char *f;

    ck_assert_msg(dir != NULL, "%s", error ? error->message : "");
    ck_assert_uint_gt(case_names->len, 0);
    while ((f = g_dir_read_name(dir))) {
        const char *dot = strrchr(f, '.');
        g_autofree char *stem = dot ? g_strndup(f, dot - f) : g_strdup(f);
        g_autofree char *input = case_file(stem, ".json");
        g_autofree char *out = case_file(stem, ".out");
        g_autofree char *err = case_file(stem, ".err");

        if (dot && !strcmp(dot, ".json")) {
            bool has_out = g_file_test(out, G_FILE_TEST_EXISTS);
            bool has_err = g_file_test(err, G_FILE_TEST_EXISTS);

            if (has_out == has_err)
                g_string_append_printf(problems, "%s: needs exactly one of %s.out, %s.err\n", f,
                                       stem, stem);
        } else if (dot && (!strcmp(dot, ".out") || !strcmp(dot, ".err"))) {
            if (!g_file_test(input, G_FILE_TEST_EXISTS))
                g_string_append_printf(problems, "%s: no input %s.json\n", f, stem);
        } else {
            g_string_append_printf(problems, "%s: not a .json, .out or .err file\n", f);
        }
    }
    ck_assert_msg(problems->len == 0, "%s", problems->str);
}
END_TEST

START_TEST(length_is_respected)
{
    static const char body[] = "{\"payload\": {\"kernel\": \"/k\"}} trailing garbage";
    struct vm_config cfg = { 0 };
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(vm_config_from_json(body, strlen("{\"payload\": {\"kernel\": \"/k\"}}"), &cfg,
                                         &error), 0);
    ck_assert_str_eq(cfg.kernel, "/k");
    vm_config_clear(&cfg);
    /* Cut inside the string: the parser must not read on to the closing quote. */
    ck_assert_int_eq(vm_config_from_json(body, 26, &cfg, &error), -1);
    ck_assert_int_eq(error->code, SKIFF_ERROR_INVALID);
    ck_assert_ptr_null(cfg.kernel);
}
END_TEST

START_TEST(null_body)
{
    struct vm_config cfg = { 0 };
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(vm_config_from_json(NULL, 0, &cfg, &error), -1);
    ck_assert_str_eq(error->message, "empty body: expected a VmConfig JSON object");
}
END_TEST

/* Replacing a config frees the old strings (run under valgrind/ASan to see it). */
START_TEST(replaces_previous)
{
    struct vm_config cfg;
    g_autoptr(GError) error = NULL;
    static const char body[] = "{\"payload\": {\"kernel\": \"/new\"}}";

    fill_sentinel(&cfg);
    ck_assert_int_eq(vm_config_from_json(body, strlen(body), &cfg, &error), 0);
    ck_assert_str_eq(cfg.kernel, "/new");
    ck_assert_ptr_null(cfg.cmdline);
    ck_assert_int_eq(cfg.serial.backend, CHAR_NULL);
    ck_assert_ptr_null(cfg.serial.path);
    ck_assert_uint_eq(cfg.boot_vcpus, 1);
    ck_assert_uint_eq(cfg.memory_size, 512ULL << 20);
    ck_assert(cfg.no_reboot);
    vm_config_clear(&cfg);
}
END_TEST

static struct vm_config valid_config(void)
{
    struct vm_config cfg = {
        .kernel = g_strdup("/k"),
        .boot_vcpus = 2,
        .max_vcpus = 4,
        .memory_size = 64ULL << 20,
        .serial = { .backend = CHAR_NULL },
        .console = { .backend = CHAR_OFF },
    };
    return cfg;
}

/* Applies one change to a valid config and checks validate's verdict. */
#define EXPECT_VALIDATE(change, want_code, want_message)                                             \
    do {                                                                                   \
        struct vm_config c = valid_config();                                               \
        g_autoptr(GError) e = NULL;                                                        \
        change;                                                                            \
        ck_assert_int_eq(vm_config_validate(&c, &e), -1);                                  \
        ck_assert_int_eq(e->code, want_code);                                              \
        ck_assert_str_eq(e->message, want_message);                                        \
        vm_config_clear(&c);                                                               \
    } while (0)

START_TEST(validate_structs)
{
    struct vm_config ok = valid_config();
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(vm_config_validate(&ok, &error), 0);
    ok.memory_size = VM_CONFIG_MAX_MEMORY;
    ok.boot_vcpus = ok.max_vcpus = 254;
    ck_assert_int_eq(vm_config_validate(&ok, &error), 0);
    vm_config_clear(&ok);

    EXPECT_VALIDATE(g_clear_pointer(&c.kernel, g_free), SKIFF_ERROR_INVALID,
                    "payload.kernel: required");
    EXPECT_VALIDATE(c.kernel[0] = 0, SKIFF_ERROR_INVALID, "payload.kernel: must not be empty");
    EXPECT_VALIDATE(c.initramfs = g_strdup(""), SKIFF_ERROR_INVALID,
                    "payload.initramfs: must not be empty");
    EXPECT_VALIDATE(c.boot_vcpus = 0, SKIFF_ERROR_INVALID,
                    "cpus.boot_vcpus: must be between 1 and 254");
    EXPECT_VALIDATE(c.boot_vcpus = c.max_vcpus = 255, SKIFF_ERROR_INVALID,
                    "cpus.boot_vcpus: must be between 1 and 254");
    EXPECT_VALIDATE(c.max_vcpus = 1, SKIFF_ERROR_INVALID,
                    "cpus.max_vcpus: must be between boot_vcpus (2) and 254");
    /* From the CLI a size can exceed int64: it must not wrap into range. */
    EXPECT_VALIDATE(c.memory_size = G_MAXUINT64 - 4095, SKIFF_ERROR_INVALID,
                    "memory.size: must be between 4194304 (4 MiB) and 4503599627370496 (4 PiB)");
    EXPECT_VALIDATE(c.memory_size = (4ULL << 20) - 4096, SKIFF_ERROR_INVALID,
                    "memory.size: must be between 4194304 (4 MiB) and 4503599627370496 (4 PiB)");
    EXPECT_VALIDATE(c.memory_size += 512, SKIFF_ERROR_INVALID,
                    "memory.size: must be a multiple of 4096");
    EXPECT_VALIDATE((c.memory_size += 4096, c.memory_hugepages = true), SKIFF_ERROR_INVALID,
                    "memory.size: must be a multiple of 2097152 (2 MiB) with memory.hugepages");
    EXPECT_VALIDATE(c.serial.backend = CHAR_FILE, SKIFF_ERROR_INVALID,
                    "serial.file: required with mode File");
    EXPECT_VALIDATE((c.serial.backend = CHAR_SOCKET, c.serial.path = g_strdup("")),
                    SKIFF_ERROR_INVALID, "serial.socket: required with mode Socket");
    EXPECT_VALIDATE((c.console.backend = CHAR_SOCKET, c.console.path = g_strdup("/s")),
                    SKIFF_ERROR_INVALID, "console.mode: Socket is for the serial port only");
    EXPECT_VALIDATE((c.console.backend = CHAR_TTY, c.serial.backend = CHAR_TTY),
                    SKIFF_ERROR_INVALID,
                    "serial.mode and console.mode: only one of them can be Tty");
}
END_TEST

START_TEST(copy_is_deep)
{
    struct vm_config src;
    struct vm_config dst;

    fill_sentinel(&src);
    src.initramfs = g_strdup("initrd");
    src.console.backend = CHAR_NULL;
    fill_sentinel(&dst);    /* its strings must be freed, not leaked */
    vm_config_copy(&dst, &src);
    ck_assert(configs_equal(&src, &dst));
    ck_assert_ptr_ne(src.kernel, dst.kernel);
    ck_assert_ptr_ne(src.initramfs, dst.initramfs);
    ck_assert_ptr_ne(src.cmdline, dst.cmdline);
    ck_assert_ptr_ne(src.serial.path, dst.serial.path);
    vm_config_clear(&src);
    ck_assert_str_eq(dst.kernel, "sentinel-kernel");
    ck_assert_str_eq(dst.serial.path, "sentinel-serial");
    vm_config_copy(&dst, &dst);
    ck_assert_str_eq(dst.kernel, "sentinel-kernel");
    vm_config_clear(&dst);
}
END_TEST

/* to_json of a hand-built struct: the CLI's configs come out right too. */
START_TEST(to_json_from_struct)
{
    struct vm_config cfg = valid_config();
    g_autofree char *text = NULL;

    cfg.serial.backend = CHAR_SOCKET;
    cfg.serial.path = g_strdup("/run/s.sock");
    text = to_pretty(&cfg);
    ck_assert_str_eq(text,
                     "{\n"
                     "  \"payload\" : {\n"
                     "    \"kernel\" : \"/k\"\n"
                     "  },\n"
                     "  \"cpus\" : {\n"
                     "    \"boot_vcpus\" : 2,\n"
                     "    \"max_vcpus\" : 4\n"
                     "  },\n"
                     "  \"memory\" : {\n"
                     "    \"size\" : 67108864,\n"
                     "    \"shared\" : false,\n"
                     "    \"hugepages\" : false\n"
                     "  },\n"
                     "  \"serial\" : {\n"
                     "    \"mode\" : \"Socket\",\n"
                     "    \"socket\" : \"/run/s.sock\"\n"
                     "  },\n"
                     "  \"console\" : {\n"
                     "    \"mode\" : \"Off\"\n"
                     "  }\n"
                     "}\n");
    check_round_trip(&cfg, text);
    vm_config_clear(&cfg);
}
END_TEST

static int compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_cases(void)
{
    g_autoptr(GDir) dir = g_dir_open(data_dir, 0, NULL);
    const char *f;

    case_names = g_ptr_array_new_with_free_func(g_free);
    if (!dir)
        return;     /* data_directory_complete reports it */
    while ((f = g_dir_read_name(dir))) {
        if (g_str_has_suffix(f, ".json"))
            g_ptr_array_add(case_names, g_strndup(f, strlen(f) - strlen(".json")));
    }
    g_ptr_array_sort(case_names, compare_names);
}

int main(void)
{
    const char *top = g_getenv("SKIFF_TEST_DATA");
    Suite *s = suite_create("vmconfig-json");
    TCase *tc = tcase_create("golden");
    TCase *unit = tcase_create("unit");
    SRunner *sr;
    int failed;

    /* json-glib's parse errors are translated: pin the messages to English. */
    g_setenv("LC_ALL", "C", TRUE);
    g_setenv("TZ", "UTC", TRUE);
    setlocale(LC_ALL, "C");
    if (!top) {
        fprintf(stderr, "SKIFF_TEST_DATA is not set (meson test sets it to tests/unit/data)\n");
        return 1;
    }
    data_dir = g_build_filename(top, "vmconfig", NULL);
    list_cases();

    tcase_add_test(tc, data_directory_complete);
    tcase_add_loop_test(tc, golden, 0, (int)case_names->len);
    suite_add_tcase(s, tc);
    tcase_add_test(unit, length_is_respected);
    tcase_add_test(unit, null_body);
    tcase_add_test(unit, replaces_previous);
    tcase_add_test(unit, validate_structs);
    tcase_add_test(unit, copy_is_deep);
    tcase_add_test(unit, to_json_from_struct);
    suite_add_tcase(s, unit);

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    g_ptr_array_unref(case_names);
    g_free(data_dir);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
