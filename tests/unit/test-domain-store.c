/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virtskiffd's definition store: an atomic write leaves the old or the new
 * file whatever goes wrong (a write that fails half-way, a rename that fails,
 * the writer killed at an arbitrary moment), never a torn one and never a
 * temporary file that loads; loading a directory skips and reports each bad
 * file and loads the rest; save/load round trip; autostart symlinks.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver/domain-store.h"
#include "xml/virt-error.h"

#include "testutil.h"

#define UUID_A "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
#define UUID_B "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"
#define UUID_C "9e8d7c6b-5a49-4382-b170-f6e5d4c3b2a1"

static char *domain_xml(const char *name, const char *uuid)
{
    return g_strdup_printf("<domain type='kvm'>\n"
                           "  <name>%s</name>\n"
                           "  <uuid>%s</uuid>\n"
                           "  <memory unit='MiB'>64</memory>\n"
                           "  <vcpu>1</vcpu>\n"
                           "  <os>\n"
                           "    <type arch='x86_64'>hvm</type>\n"
                           "    <kernel>/nonexistent/guest.elf</kernel>\n"
                           "  </os>\n"
                           "</domain>\n",
                           name, uuid);
}

static char *make_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("test-domain-store-XXXXXX", &error);

    ck_assert_msg(dir, "%s", error ? error->message : "");
    return dir;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) error = NULL;

    ck_assert_msg(g_file_set_contents(path, text, -1, &error), "%s",
                  error ? error->message : "");
}

static char *read_file(const char *path)
{
    char *text = NULL;

    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
    return text;
}

/* Names in dir that start with '.': temporary files of a write (the tests
 * that count them name no domain with a leading dot). */
static int count_hidden(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *e;
    int n = 0;

    ck_assert(d);
    while ((e = g_dir_read_name(d)))
        n += e[0] == '.';
    return n;
}

static void remove_tree(const char *dir)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);

    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(write_atomic_creates_and_replaces)
{
    g_autofree char *dir = make_dir();
    g_autofree char *path = g_build_filename(dir, "a.xml", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    struct stat st;

    ck_assert_int_eq(domain_store_write_atomic(path, "first", 5, 0600, &error), 0);
    text = read_file(path);
    ck_assert_str_eq(text, "first");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    g_clear_pointer(&text, g_free);
    ck_assert_int_eq(domain_store_write_atomic(path, "second, longer", 14, 0644, &error), 0);
    text = read_file(path);
    ck_assert_str_eq(text, "second, longer");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0644);
    ck_assert_int_eq(count_hidden(dir), 0);
    remove_tree(dir);
}
END_TEST

/* The disk fills up half-way through the new contents (RLIMIT_FSIZE makes
 * write() fail with EFBIG): the old file must be untouched. */
START_TEST(write_atomic_failed_write_keeps_old)
{
    g_autofree char *dir = make_dir();
    g_autofree char *path = g_build_filename(dir, "a.xml", NULL);
    g_autofree char *big = g_strnfill(256 * 1024, 'n');
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    struct rlimit saved;
    struct rlimit small;

    ck_assert_int_eq(domain_store_write_atomic(path, "old contents", 12, 0600, &error), 0);
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    ck_assert_int_eq(domain_store_write_atomic(path, big, strlen(big), 0600, &error), -1);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
    ck_assert(error);
    ck_assert(error->domain == VIRT_ERROR);
    ck_assert_int_eq(error->code, VIR_ERR_SYSTEM_ERROR);
    ck_assert_msg(strstr(error->message, path), "%s", error->message);
    text = read_file(path);
    ck_assert_str_eq(text, "old contents");
    ck_assert_int_eq(count_hidden(dir), 0);
    remove_tree(dir);
}
END_TEST

/* rename() refuses to put a file over a directory: the target stays, the
 * temporary file goes. */
START_TEST(write_atomic_failed_rename_cleans_up)
{
    g_autofree char *dir = make_dir();
    g_autofree char *path = g_build_filename(dir, "a.xml", NULL);
    g_autofree char *inner = g_build_filename(path, "keep", NULL);
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(g_mkdir(path, 0700), 0);
    put_file(path, "keep", "x");
    ck_assert_int_eq(domain_store_write_atomic(path, "new", 3, 0600, &error), -1);
    ck_assert(error);
    ck_assert_msg(strstr(error->message, "rename"), "%s", error->message);
    ck_assert(g_file_test(inner, G_FILE_TEST_IS_REGULAR));
    ck_assert_int_eq(count_hidden(dir), 0);
    remove_tree(dir);
}
END_TEST

/* A writer killed at arbitrary moments while it alternates between two
 * contents of different lengths: every time, the file holds one of them
 * whole. A truncate-and-write implementation fails this within a few rounds. */
START_TEST(write_atomic_survives_kill)
{
    g_autofree char *dir = make_dir();
    g_autofree char *path = g_build_filename(dir, "a.xml", NULL);
    g_autofree char *a = g_strnfill(300 * 1024, 'a');
    g_autofree char *b = g_strnfill(200 * 1024, 'b');
    GRand *rand = g_rand_new_with_seed(1234);
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(domain_store_write_atomic(path, b, strlen(b), 0600, &error), 0);
    for (int round = 0; round < 20; round++) {
        int done[2];
        pid_t pid;
        int status;
        int wanted = g_rand_int_range(rand, 1, 6);
        g_autofree char *text = NULL;
        char c;

        ck_assert_int_eq(pipe(done), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            close(done[0]);
            for (unsigned i = 0;; i++) {
                const char *s = i % 2 ? b : a;

                if (domain_store_write_atomic(path, s, strlen(s), 0600, NULL) < 0 ||
                    write(done[1], "x", 1) != 1)
                    _exit(1);
            }
        }
        close(done[1]);
        /* Kill it during write number wanted + 1, wherever it is. */
        for (int i = 0; i < wanted; i++)
            ck_assert_int_eq(read(done[0], &c, 1), 1);
        kill(pid, SIGKILL);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFSIGNALED(status));
        close(done[0]);
        text = read_file(path);
        ck_assert_msg(!strcmp(text, a) || !strcmp(text, b),
                      "round %d: torn file of %zu bytes", round, strlen(text));
    }
    g_rand_free(rand);
    remove_tree(dir);
}
END_TEST

START_TEST(load_skips_and_reports_bad_files)
{
    g_autofree char *dir = make_dir();
    g_autofree char *good = domain_xml("good", UUID_A);
    g_autofree char *other = domain_xml("other", UUID_B);
    g_autofree char *dot = domain_xml(".dot", UUID_C);
    g_autofree char *torn = g_strndup(good, strlen(good) / 2);
    g_autofree char *sub = g_build_filename(dir, "sub.xml", NULL);
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) defs = NULL;
    g_autoptr(GError) error = NULL;
    const char *bad[] = { "broken.xml", "mismatch.xml", "sub.xml" };
    domain_def *def;

    put_file(dir, "good.xml", good);
    put_file(dir, "broken.xml", torn);
    /* What a crash between write and rename leaves: ignored. */
    put_file(dir, ".good.xml.Ab12Cd", torn);
    put_file(dir, "mismatch.xml", other);
    put_file(dir, "notes.txt", "not a definition");
    /* A name may start with a dot: only the suffix tells definitions apart. */
    put_file(dir, ".dot.xml", dot);
    ck_assert_int_eq(g_mkdir(sub, 0700), 0);

    defs = domain_store_load_all(dir, errors, &error);
    ck_assert_msg(defs, "%s", error ? error->message : "");
    ck_assert_int_eq(defs->len, 2);
    def = defs->pdata[0];
    ck_assert_str_eq(def->name, ".dot");
    def = defs->pdata[1];
    ck_assert_str_eq(def->name, "good");
    ck_assert_uint_eq(def->memory_kib, 64 * 1024);
    ck_assert_int_eq(errors->len, G_N_ELEMENTS(bad));
    /* Reported in file name order, each naming its file. */
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *msg = errors->pdata[i];
        g_autofree char *path = g_build_filename(dir, bad[i], NULL);

        ck_assert_msg(g_str_has_prefix(msg, path), "%s does not name %s", msg, path);
    }
    ck_assert_msg(strstr(errors->pdata[1], "'other'"), "%s", (char *)errors->pdata[1]);
    remove_tree(dir);
}
END_TEST

START_TEST(load_missing_dir_is_empty)
{
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) defs = NULL;
    g_autoptr(GError) error = NULL;

    defs = domain_store_load_all("/nonexistent/skiff/config", errors, &error);
    ck_assert(defs);
    ck_assert_int_eq(defs->len, 0);
    ck_assert_int_eq(errors->len, 0);
}
END_TEST

START_TEST(save_load_remove)
{
    g_autofree char *dir = make_dir();
    g_autofree char *config = g_build_filename(dir, "nested", "config", NULL);
    g_autofree char *xml = domain_xml("roundtrip", UUID_A);
    g_autofree char *path = NULL;
    g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) defs = NULL;
    g_autoptr(domain_def) def = NULL;
    g_autoptr(GError) error = NULL;
    domain_def *loaded;
    struct stat st;

    def = domain_def_parse_string(xml, 0, &error);
    ck_assert_msg(def, "%s", error ? error->message : "");
    ck_assert_int_eq(domain_store_save(config, def, &error), 0);
    path = domain_store_config_path(config, "roundtrip");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    defs = domain_store_load_all(config, errors, &error);
    ck_assert(defs);
    ck_assert_int_eq(errors->len, 0);
    ck_assert_int_eq(defs->len, 1);
    loaded = defs->pdata[0];
    ck_assert_str_eq(loaded->name, "roundtrip");
    ck_assert_mem_eq(loaded->uuid, def->uuid, 16);
    ck_assert_uint_eq(loaded->memory_kib, def->memory_kib);
    ck_assert_str_eq(loaded->kernel, "/nonexistent/guest.elf");
    ck_assert_int_eq(count_hidden(config), 0);

    ck_assert_int_eq(domain_store_remove(config, "roundtrip", &error), 0);
    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
    /* Already gone: not an error. */
    ck_assert_int_eq(domain_store_remove(config, "roundtrip", &error), 0);
    remove_tree(dir);
}
END_TEST

START_TEST(autostart_links)
{
    g_autofree char *dir = make_dir();
    g_autofree char *config = g_build_filename(dir, "config", NULL);
    g_autofree char *autostart = g_build_filename(config, "autostart", NULL);
    g_autofree char *link = g_build_filename(autostart, "d.xml", NULL);
    g_autofree char *config_file = g_build_filename(config, "d.xml", NULL);
    g_autofree char *target = NULL;
    g_autoptr(GError) error = NULL;

    ck_assert(!domain_store_get_autostart(autostart, "d"));
    ck_assert_int_eq(domain_store_set_autostart(config, autostart, "d", true, &error), 0);
    ck_assert(domain_store_get_autostart(autostart, "d"));
    target = g_file_read_link(link, NULL);
    ck_assert(target);
    ck_assert_str_eq(target, config_file);
    /* Setting what is already set changes nothing. */
    ck_assert_int_eq(domain_store_set_autostart(config, autostart, "d", true, &error), 0);
    ck_assert_int_eq(domain_store_set_autostart(config, autostart, "d", false, &error), 0);
    ck_assert(!domain_store_get_autostart(autostart, "d"));
    ck_assert_int_eq(domain_store_set_autostart(config, autostart, "d", false, &error), 0);
    remove_tree(dir);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("domain-store");
    TCase *tc = tcase_create("store");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, write_atomic_creates_and_replaces);
    tcase_add_test(tc, write_atomic_failed_write_keeps_old);
    tcase_add_test(tc, write_atomic_failed_rename_cleans_up);
    tcase_add_test(tc, write_atomic_survives_kill);
    tcase_add_test(tc, load_skips_and_reports_bad_files);
    tcase_add_test(tc, load_missing_dir_is_empty);
    tcase_add_test(tc, save_load_remove);
    tcase_add_test(tc, autostart_links);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(store_suite());
}
