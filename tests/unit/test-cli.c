/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command line: good spellings, and bad ones refused with a message that names the option. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli.h"

#include "testutil.h"

static int parse(struct cli_options *o, GError **error, ...)
{
    const char *argv[32] = { "skiff" };
    int argc = 1;
    va_list ap;
    const char *a;

    va_start(ap, error);
    while ((a = va_arg(ap, const char *)))
        argv[argc++] = a;
    va_end(ap);
    memset(o, 0, sizeof(*o));
    return cli_parse(argc, (char **)argv, o, error);
}

/* Parses a bad command line and checks the message mentions each needle. */
static void expect_error(const char *needle1, const char *needle2, ...)
{
    const char *argv[32] = { "skiff" };
    int argc = 1;
    struct cli_options o = { 0 };
    g_autoptr(GError) error = NULL;
    va_list ap;
    const char *a;

    va_start(ap, needle2);
    while ((a = va_arg(ap, const char *)))
        argv[argc++] = a;
    va_end(ap);
    ck_assert_int_eq(cli_parse(argc, (char **)argv, &o, &error), -1);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error->message, needle1), "'%s' not in '%s'", needle1, error->message);
    if (needle2)
        ck_assert_msg(strstr(error->message, needle2), "'%s' not in '%s'", needle2, error->message);
    cli_options_clear(&o);
}

START_TEST(defaults)
{
    struct cli_options o;
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", NULL), 0);
    ck_assert_str_eq(o.vm.kernel, "k");
    ck_assert_uint_eq(o.vm.boot_vcpus, 1);
    ck_assert_uint_eq(o.vm.max_vcpus, 1);
    ck_assert_uint_eq(o.vm.memory_size, 512ULL << 20);
    ck_assert_int_eq(o.vm.serial.backend, CHAR_NULL);
    ck_assert_int_eq(o.vm.console.backend, CHAR_OFF);
    ck_assert(!o.vm.no_reboot);
    cli_options_clear(&o);
}
END_TEST

START_TEST(full)
{
    struct cli_options o;
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(parse(&o, &error, "--kernel", "vmlinux", "--initramfs", "initrd.img",
                           "--cmdline", "console=ttyS0 quiet", "--cpus", "boot=2,max=8",
                           "--memory", "size=1G,shared=on,hugepages=off", "--serial",
                           "file=/x/y.log", "--console", "off", "-v", "-v", "--log-file", "l",
                           "--no-reboot", NULL), 0);
    ck_assert_str_eq(o.vm.initramfs, "initrd.img");
    ck_assert_str_eq(o.vm.cmdline, "console=ttyS0 quiet");
    ck_assert_uint_eq(o.vm.boot_vcpus, 2);
    ck_assert_uint_eq(o.vm.max_vcpus, 8);
    ck_assert_uint_eq(o.vm.memory_size, 1ULL << 30);
    ck_assert(o.vm.memory_shared);
    ck_assert(!o.vm.memory_hugepages);
    ck_assert_int_eq(o.vm.serial.backend, CHAR_FILE);
    ck_assert_str_eq(o.vm.serial.path, "/x/y.log");
    ck_assert_int_eq(o.verbosity, 2);
    ck_assert_str_eq(o.log_file, "l");
    ck_assert(o.vm.no_reboot);
    cli_options_clear(&o);
}
END_TEST

START_TEST(equals_spelling_and_backends)
{
    static const struct {
        const char *arg;
        enum char_backend backend;
        const char *path;
    } cases[] = {
        { "--serial=off", CHAR_OFF, NULL }, { "--serial=null", CHAR_NULL, NULL },
        { "--serial=tty", CHAR_TTY, NULL }, { "--serial=pty", CHAR_PTY, NULL },
        { "--serial=socket=/run/s.sock", CHAR_SOCKET, "/run/s.sock" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct cli_options o;
        g_autoptr(GError) error = NULL;

        ck_assert_int_eq(parse(&o, &error, "--kernel=k", cases[i].arg, NULL), 0);
        ck_assert_int_eq(o.vm.serial.backend, cases[i].backend);
        if (cases[i].path)
            ck_assert_str_eq(o.vm.serial.path, cases[i].path);
        else
            ck_assert_ptr_null(o.vm.serial.path);
        cli_options_clear(&o);
    }
}
END_TEST

START_TEST(sizes)
{
    uint64_t v;

    ck_assert_int_eq(cli_parse_size("4096", &v), 0);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(cli_parse_size("128M", &v), 0);
    ck_assert_uint_eq(v, 128ULL << 20);
    ck_assert_int_eq(cli_parse_size("2g", &v), 0);
    ck_assert_uint_eq(v, 2ULL << 30);
    ck_assert_int_eq(cli_parse_size("64K", &v), 0);
    ck_assert_uint_eq(v, 64ULL << 10);
    ck_assert_int_eq(cli_parse_size("1T", &v), 0);
    ck_assert_uint_eq(v, 1ULL << 40);
    ck_assert_int_eq(cli_parse_size("", &v), -1);
    ck_assert_int_eq(cli_parse_size("M", &v), -1);
    ck_assert_int_eq(cli_parse_size("12Q", &v), -1);
    ck_assert_int_eq(cli_parse_size("12MB", &v), -1);
    ck_assert_int_eq(cli_parse_size("-1", &v), -1);
    ck_assert_int_eq(cli_parse_size("99999999999999999999", &v), -1);
    ck_assert_int_eq(cli_parse_size("17179869184T", &v), -1);   /* overflows 64 bits */
}
END_TEST

START_TEST(bad_input)
{
    expect_error("--kernel", "PATH", NULL);
    expect_error("--kernel", "PATH", "--kernel", "", NULL);
    expect_error("Unknown option", "--frobnicate", "--kernel", "k", "--frobnicate", NULL);
    expect_error("--cpus", "boot=N[,max=M]", "--kernel", "k", "--cpus", "boot=0", NULL);
    expect_error("--cpus", "boot=N[,max=M]", "--kernel", "k", "--cpus", "boot=x", NULL);
    expect_error("--cpus", "boot=N[,max=M]", "--kernel", "k", "--cpus", "boot=255", NULL);
    expect_error("--cpus", "max=1", "--kernel", "k", "--cpus", "boot=2,max=1", NULL);
    expect_error("--cpus", "unknown parameter 'cores'", "--kernel", "k", "--cpus",
                 "boot=2,cores=2", NULL);
    expect_error("--cpus", "boot= is required", "--kernel", "k", "--cpus", "max=2", NULL);
    expect_error("--cpus", "given twice", "--kernel", "k", "--cpus", "boot=1,boot=2", NULL);
    expect_error("--cpus", "not key=value", "--kernel", "k", "--cpus", "2", NULL);
    expect_error("--memory", "size=SIZE", "--kernel", "k", "--memory", "size=lots", NULL);
    expect_error("--memory", "at least 4M", "--kernel", "k", "--memory", "size=1M", NULL);
    expect_error("--memory", "multiple of 4K", "--kernel", "k", "--memory", "size=4097K", NULL);
    expect_error("--memory", "on or off", "--kernel", "k", "--memory", "size=1G,shared=maybe", NULL);
    expect_error("--memory", "multiple of 2M", "--kernel", "k", "--memory",
                 "size=5M,hugepages=on", NULL);
    expect_error("--memory", "size= is required", "--kernel", "k", "--memory", "shared=on", NULL);
    expect_error("--serial", "off|null|tty|pty|file=PATH|socket=PATH", "--kernel", "k",
                 "--serial", "usb", NULL);
    expect_error("--serial", "file=PATH", "--kernel", "k", "--serial", "file=", NULL);
    expect_error("--console", "virtio-console", "--kernel", "k", "--console", "tty", NULL);
    expect_error("--console", "off|null", "--kernel", "k", "--console", "pty", NULL);
    expect_error("--cpus", NULL, "--kernel", "k", "--cpus", NULL);
    expect_error("unexpected argument 'extra'", NULL, "--kernel", "k", "extra", NULL);
}
END_TEST

START_TEST(rng)
{
    struct cli_options o;
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", NULL), 0);
    ck_assert_ptr_null(o.vm.rng.src);    /* no --rng: no device */
    cli_options_clear(&o);
    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", "--rng", "src=/dev/random", NULL), 0);
    ck_assert_str_eq(o.vm.rng.src, "/dev/random");
    ck_assert_str_eq(o.vm.rng.id, "rng0");
    cli_options_clear(&o);
    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", "--rng", "id=e0", NULL), 0);
    ck_assert_str_eq(o.vm.rng.src, "/dev/urandom");
    ck_assert_str_eq(o.vm.rng.id, "e0");
    cli_options_clear(&o);
    expect_error("--rng", "unknown parameter 'size'", "--kernel", "k", "--rng", "size=4", NULL);
    expect_error("--rng", "src= needs a path", "--kernel", "k", "--rng", "src=", NULL);
    expect_error("--rng", "id= needs a name", "--kernel", "k", "--rng", "id=", NULL);
    expect_error("--rng", "given twice", "--kernel", "k", "--rng", "src=a,src=b", NULL);
}
END_TEST

START_TEST(disk)
{
    struct cli_options o;
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", NULL), 0);
    ck_assert_ptr_null(o.vm.disk.path);   /* no --disk: no device */
    cli_options_clear(&o);
    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", "--disk",
                           "path=/img/a.raw,readonly=on,direct=on,id=vda,serial=SKIFF01", NULL), 0);
    ck_assert_str_eq(o.vm.disk.path, "/img/a.raw");
    ck_assert(o.vm.disk.readonly);
    ck_assert(o.vm.disk.direct);
    ck_assert_str_eq(o.vm.disk.id, "vda");
    ck_assert_str_eq(o.vm.disk.serial, "SKIFF01");
    cli_options_clear(&o);
    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", "--disk", "path=b.raw", NULL), 0);
    ck_assert(!o.vm.disk.readonly);
    ck_assert(!o.vm.disk.direct);
    cli_options_clear(&o);
    expect_error("--disk", "path= is required", "--kernel", "k", "--disk", "readonly=on", NULL);
    expect_error("--disk", "readonly= takes on or off", "--kernel", "k", "--disk",
                 "path=a,readonly=yes", NULL);
    expect_error("--disk", "serial= needs 1 to 20 characters", "--kernel", "k", "--disk",
                 "path=a,serial=123456789012345678901", NULL);
    expect_error("--disk", "unknown parameter 'cache'", "--kernel", "k", "--disk",
                 "path=a,cache=none", NULL);
    expect_error("--disk", "only one disk", "--kernel", "k", "--disk", "path=a", "--disk",
                 "path=b", NULL);
}
END_TEST

START_TEST(version_needs_no_kernel)
{
    struct cli_options o;
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(parse(&o, &error, "--version", NULL), 0);
    ck_assert(o.version);
    cli_options_clear(&o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");

    tcase_add_test(tc, defaults);
    tcase_add_test(tc, full);
    tcase_add_test(tc, equals_spelling_and_backends);
    tcase_add_test(tc, sizes);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, rng);
    tcase_add_test(tc, disk);
    tcase_add_test(tc, version_needs_no_kernel);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
