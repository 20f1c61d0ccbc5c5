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
    expect_error("--console", "off|null|tty|pty|file=PATH", "--kernel", "k", "--console",
                 "socket=/s", NULL);
    expect_error("--console", "not a backend", "--kernel", "k", "--console", "usb", NULL);
    expect_error("--serial tty and --console tty", NULL, "--kernel", "k", "--serial", "tty",
                 "--console", "tty", NULL);
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
    ck_assert_uint_eq(o.vm.n_disks, 0);   /* no --disk: no device */
    cli_options_clear(&o);
    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", "--disk",
                           "path=/img/a.raw,readonly=on,direct=on,id=vda,serial=SKIFF01,"
                           "num_queues=4,queue_size=512", NULL), 0);
    ck_assert_uint_eq(o.vm.n_disks, 1);
    ck_assert_str_eq(o.vm.disks[0].path, "/img/a.raw");
    ck_assert(o.vm.disks[0].readonly);
    ck_assert(o.vm.disks[0].direct);
    ck_assert_str_eq(o.vm.disks[0].id, "vda");
    ck_assert_str_eq(o.vm.disks[0].serial, "SKIFF01");
    ck_assert_uint_eq(o.vm.disks[0].num_queues, 4);
    ck_assert_uint_eq(o.vm.disks[0].queue_size, 512);
    cli_options_clear(&o);
    /* Defaults, and ids given in order around the ones taken. */
    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", "--disk", "path=b.raw", "--disk",
                           "path=c.raw,id=disk0", "--disk", "path=d.raw", NULL), 0);
    ck_assert_uint_eq(o.vm.n_disks, 3);
    ck_assert(!o.vm.disks[0].readonly);
    ck_assert(!o.vm.disks[0].direct);
    ck_assert_uint_eq(o.vm.disks[0].num_queues, 1);
    ck_assert_uint_eq(o.vm.disks[0].queue_size, 128);
    ck_assert_str_eq(o.vm.disks[0].id, "disk1");
    ck_assert_str_eq(o.vm.disks[1].id, "disk0");
    ck_assert_str_eq(o.vm.disks[2].id, "disk2");
    cli_options_clear(&o);
    expect_error("--disk", "path= is required", "--kernel", "k", "--disk", "readonly=on", NULL);
    expect_error("--disk", "readonly= takes on or off", "--kernel", "k", "--disk",
                 "path=a,readonly=yes", NULL);
    expect_error("--disk", "serial= needs 1 to 20 characters", "--kernel", "k", "--disk",
                 "path=a,serial=123456789012345678901", NULL);
    expect_error("--disk", "unknown parameter 'cache'", "--kernel", "k", "--disk",
                 "path=a,cache=none", NULL);
    expect_error("--disk", "num_queues=0", "--kernel", "k", "--disk", "path=a,num_queues=0",
                 NULL);
    expect_error("--disk", "num_queues=17", "--kernel", "k", "--disk", "path=a,num_queues=17",
                 NULL);
    expect_error("--disk", "queue_size=100 is not a power of two", "--kernel", "k", "--disk",
                 "path=a,queue_size=100", NULL);
    expect_error("--disk", "queue_size=65536", "--kernel", "k", "--disk",
                 "path=a,queue_size=65536", NULL);
    expect_error("disks[1].id: 'x' is already the id of disks[0]", NULL, "--kernel", "k", "--disk", "path=a,id=x",
                 "--disk", "path=b,id=x", NULL);
    expect_error("disks[0].id: 'rng0' is already the id of rng", NULL, "--kernel", "k", "--rng", "src=/r",
                 "--disk", "path=b,id=rng0", NULL);
}
END_TEST

START_TEST(net)
{
    struct cli_options o;
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", "--net",
                           "tap=skt0,mac=52:54:00:12:34:56,ip=192.168.10.1,mask=255.255.255.0,"
                           "num_queues=4,queue_size=1024,mtu=9000,id=eth0", NULL), 0);
    ck_assert_uint_eq(o.vm.n_nets, 1);
    ck_assert_str_eq(o.vm.nets[0].tap, "skt0");
    ck_assert_mem_eq(o.vm.nets[0].mac, "\x52\x54\x00\x12\x34\x56", 6);
    ck_assert_str_eq(o.vm.nets[0].ip, "192.168.10.1");
    ck_assert_str_eq(o.vm.nets[0].mask, "255.255.255.0");
    ck_assert_uint_eq(o.vm.nets[0].num_queues, 4);
    ck_assert_uint_eq(o.vm.nets[0].queue_size, 1024);
    ck_assert_uint_eq(o.vm.nets[0].mtu, 9000);
    ck_assert_str_eq(o.vm.nets[0].id, "eth0");
    ck_assert(o.vm.nets[0].offload_csum && o.vm.nets[0].offload_tso);
    cli_options_clear(&o);
    /* Defaults: one queue pair, a random locally administered unicast MAC. */
    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", "--net", "tap=a", "--net",
                           "fd=[5,6]", NULL), 0);
    ck_assert_uint_eq(o.vm.n_nets, 2);
    ck_assert_uint_eq(o.vm.nets[0].num_queues, 2);
    ck_assert_uint_eq(o.vm.nets[0].queue_size, 256);
    ck_assert_uint_eq(o.vm.nets[0].mac[0] & 3, 2);
    ck_assert_str_eq(o.vm.nets[0].id, "net0");
    ck_assert_ptr_null(o.vm.nets[0].ip);
    ck_assert_uint_eq(o.vm.nets[1].n_fds, 2);
    ck_assert_int_eq(o.vm.nets[1].fds[0], 5);
    ck_assert_int_eq(o.vm.nets[1].fds[1], 6);
    ck_assert_uint_eq(o.vm.nets[1].num_queues, 4);
    ck_assert_str_eq(o.vm.nets[1].id, "net1");
    cli_options_clear(&o);
    ck_assert_int_eq(parse(&o, &error, "--kernel", "k", "--net", "fd=7", NULL), 0);
    ck_assert_uint_eq(o.vm.nets[0].n_fds, 1);
    ck_assert_int_eq(o.vm.nets[0].fds[0], 7);
    cli_options_clear(&o);
    expect_error("--net", "either tap= or fd=", "--kernel", "k", "--net", "mac=52:54:00:00:00:01",
                 NULL);
    expect_error("--net", "either tap= or fd=", "--kernel", "k", "--net", "tap=a,fd=3", NULL);
    expect_error("--net", "1 to 15 characters", "--kernel", "k", "--net",
                 "tap=abcdefghijklmnop", NULL);
    expect_error("--net", "mac=01:00:00:00:00:01 is not a unicast MAC", "--kernel", "k", "--net",
                 "tap=a,mac=01:00:00:00:00:01", NULL);
    expect_error("--net", "is not a unicast MAC", "--kernel", "k", "--net",
                 "tap=a,mac=52:54:00:00:00", NULL);
    expect_error("--net", "is not a unicast MAC", "--kernel", "k", "--net",
                 "tap=a,mac=52:54:00:00:00:0g", NULL);
    expect_error("--net", "go together", "--kernel", "k", "--net", "tap=a,ip=10.0.0.1", NULL);
    expect_error("--net", "IPv4", "--kernel", "k", "--net", "tap=a,ip=10.0.0.300,mask=255.0.0.0",
                 NULL);
    expect_error("--net", "must be even", "--kernel", "k", "--net", "tap=a,num_queues=3", NULL);
    expect_error("--net", "one fd per queue pair", "--kernel", "k", "--net",
                 "fd=[3,4],num_queues=2", NULL);
    expect_error("--net", "fd=2 is not a descriptor above 2", "--kernel", "k", "--net", "fd=2",
                 NULL);
    expect_error("--net", "fd= takes N or [N,M,...]", "--kernel", "k", "--net", "fd=[3", NULL);
    expect_error("--net", "mtu=20", "--kernel", "k", "--net", "tap=a,mtu=20", NULL);
    expect_error("--net", "not one given by fd=", "--kernel", "k", "--net",
                 "fd=3,ip=10.0.0.1,mask=255.0.0.0", NULL);
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
    tcase_add_test(tc, net);
    tcase_add_test(tc, version_needs_no_kernel);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
