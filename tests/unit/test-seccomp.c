/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seccomp filters, for real: each case forks a child that installs
 * filters and makes syscalls; the parent reads how the child ended (SIGSYS
 * for a syscall outside the filter, exit status 0 when everything the child
 * checked held). A filter cannot be removed, hence one child per case.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp/seccomp.h"

#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_LEAK__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

#define CHILD_TIMEOUT 20   /* seconds: a hung child dies of SIGALRM */
#define KICK_SIGNAL (SIGRTMIN + 1)

/* Child exit codes that say which check failed. */
enum {
    CHILD_OK = 0,
    CHILD_APPLY_FAILED = 10,
    CHILD_CALL_RETURNED = 11,   /* a syscall that should have been fatal returned */
    CHILD_CHECK_FAILED = 12,
};

typedef void (*child_fn)(void);

/* Runs fn in a child process; returns its wait status. */
static int run_child(child_fn fn)
{
    pid_t pid;
    int status = 0;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        alarm(CHILD_TIMEOUT);
        fn();
        _exit(CHILD_OK);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

static void assert_killed_by_sigsys(int status)
{
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
                  "expected death by SIGSYS, got %s %d",
                  WIFSIGNALED(status) ? "signal" : "exit status",
                  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void assert_exited_ok(int status)
{
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == CHILD_OK,
                  "expected exit status 0, got %s %d",
                  WIFSIGNALED(status) ? "signal" : "exit status",
                  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void apply_or_exit(enum seccomp_thread kind, enum seccomp_mode mode)
{
    g_autoptr(GError) error = NULL;

    if (seccomp_apply(kind, mode, &error) < 0) {
        fprintf(stderr, "seccomp_apply(%s): %s\n", seccomp_thread_name(kind), error->message);
        _exit(CHILD_APPLY_FAILED);
    }
}

static void expect(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "check failed: %s (errno %s)\n", what, g_strerror(errno));
        _exit(CHILD_CHECK_FAILED);
    }
}

START_TEST(tables_consistent)
{
    g_autoptr(GError) error = NULL;

    ck_assert_msg(seccomp_check_tables(&error) == 0, "%s", error ? error->message : "");
    ck_assert_str_eq(seccomp_thread_name(SECCOMP_THREAD_MAIN), "main");
    ck_assert_str_eq(seccomp_thread_name(SECCOMP_THREAD_VCPU), "vcpu");
    ck_assert_str_eq(seccomp_thread_name(SECCOMP_THREAD_DEVICE), "device");
}
END_TEST

static void off_installs_nothing(void)
{
    apply_or_exit(SECCOMP_THREAD_MAIN, SECCOMP_MODE_OFF);
    apply_or_exit(SECCOMP_THREAD_VCPU, SECCOMP_MODE_OFF);
    expect(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0, "no filter in mode off");
}

START_TEST(mode_off)
{
    assert_exited_ok(run_child(off_installs_nothing));
}
END_TEST

/*
 * What the main filter must refuse. Arguments are invalid or harmless, so
 * that a call the filter wrongly lets through fails (or does nothing) and the
 * child goes on to report it.
 */
static void forbid_execve(void)
{
    char *const argv[] = { "true", NULL };

    syscall(SYS_execve, "/bin/true", argv, NULL);
}

static void forbid_fork(void)
{
    /* glibc's fork is clone without CLONE_THREAD. */
    pid_t pid = fork();

    if (pid == 0)
        _exit(CHILD_CALL_RETURNED);
}

#ifndef SANITIZER_BUILD
static void forbid_ptrace(void)
{
    syscall(SYS_ptrace, PTRACE_PEEKDATA, getppid(), NULL, NULL);
}
#endif

static void forbid_socket_inet(void)
{
    syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
}

static void forbid_socket_netlink(void)
{
    syscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0);
}

static void forbid_mount(void)
{
    syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL);
}

static void forbid_bpf(void)
{
    syscall(SYS_bpf, BPF_PROG_LOAD, NULL, 0);
}

static void forbid_perf_event_open(void)
{
    syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
}

static void forbid_process_vm_readv(void)
{
    syscall(SYS_process_vm_readv, getppid(), NULL, 0, NULL, 0, 0);
}

static void forbid_init_module(void)
{
    syscall(SYS_finit_module, -1, "", 0);
}

static void forbid_kexec(void)
{
    syscall(SYS_kexec_load, 0, 0, NULL, 0);
}

static void forbid_exec_memory(void)
{
    /* Fresh executable memory: the first step of injected code. */
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p != MAP_FAILED)
        munmap(p, 4096);
}

static void forbid_mprotect_exec(void)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p != MAP_FAILED)
        mprotect(p, 4096, PROT_READ | PROT_EXEC);
}

static void forbid_unknown_ioctl(void)
{
    syscall(SYS_ioctl, -1, 0x4010ae42UL /* KVM_GET_DIRTY_LOG: not made yet */, 0);
}

static void forbid_setuid(void)
{
    syscall(SYS_setuid, getuid());
}

static void forbid_i386_abi(void)
{
    long ret = 20;   /* getpid in the i386 table */

    __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
}

static void forbid_x32_abi(void)
{
    syscall(0x40000000 | SYS_getpid);
}

static const struct {
    const char *name;
    child_fn call;
} forbidden_in_main[] = {
    { "execve", forbid_execve },
    { "fork", forbid_fork },
#ifndef SANITIZER_BUILD   /* LeakSanitizer's exit check needs it there */
    { "ptrace", forbid_ptrace },
#endif
    { "socket(AF_INET)", forbid_socket_inet },
    { "socket(AF_NETLINK)", forbid_socket_netlink },
    { "mount", forbid_mount },
    { "bpf", forbid_bpf },
    { "perf_event_open", forbid_perf_event_open },
    { "process_vm_readv", forbid_process_vm_readv },
    { "finit_module", forbid_init_module },
    { "kexec_load", forbid_kexec },
    { "mmap(PROT_EXEC, anonymous)", forbid_exec_memory },
    { "mprotect(PROT_EXEC)", forbid_mprotect_exec },
    { "an ioctl skiff does not make", forbid_unknown_ioctl },
    { "setuid", forbid_setuid },
    { "the i386 ABI (int 0x80)", forbid_i386_abi },
    { "the x32 ABI", forbid_x32_abi },
};

static int forbidden_index;

static void main_filter_then_forbidden(void)
{
    apply_or_exit(SECCOMP_THREAD_MAIN, SECCOMP_MODE_KILL);
    forbidden_in_main[forbidden_index].call();
    _exit(CHILD_CALL_RETURNED);
}

START_TEST(main_kills_forbidden)
{
    int status;

    forbidden_index = _i;
    status = run_child(main_filter_then_forbidden);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
                  "%s under the main filter: expected SIGSYS, got %s %d",
                  forbidden_in_main[_i].name, WIFSIGNALED(status) ? "signal" : "exit status",
                  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}
END_TEST

/* In log mode the same call goes through (the kernel logs it). */
static void log_mode_allows(void)
{
    int fd;

    apply_or_exit(SECCOMP_THREAD_MAIN, SECCOMP_MODE_LOG);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    expect(fd >= 0 || errno == EAFNOSUPPORT, "socket(AF_INET) runs in log mode");
    if (fd >= 0)
        close(fd);
    /* The deliberate answers stay what they are. */
    expect(syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS, "clone3 is ENOSYS in log mode");
}

START_TEST(log_mode)
{
    assert_exited_ok(run_child(log_mode_allows));
}
END_TEST

/* What the main thread does in a normal run, under the main filter. */
struct worker {
    GMutex lock;
    GCond cond;
    int stage;
};

static gpointer worker_thread(gpointer data)
{
    struct worker *w = data;

    g_mutex_lock(&w->lock);
    w->stage = 1;
    g_cond_signal(&w->cond);
    while (w->stage != 2)
        g_cond_wait(&w->cond, &w->lock);
    g_mutex_unlock(&w->lock);
    return g_strdup("done");
}

static gboolean quit_loop(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

static void main_allowed_calls(void)
{
    struct worker w = { 0 };
    g_autoptr(GMainLoop) loop = NULL;
    g_autofree char *result = NULL;
    GThread *t;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    socklen_t addr_len;
    int listen_fd;
    int fds[2];
    int sv[2];
    char buf[4];
    void *p;
    int fd;

    snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "skiff-test-seccomp-%d", getpid());
    addr_len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(addr.sun_path + 1);
    apply_or_exit(SECCOMP_THREAD_MAIN, SECCOMP_MODE_KILL);
    expect(pipe2(fds, O_CLOEXEC) == 0, "pipe2");
    expect(write(fds[1], "abc", 3) == 3 && read(fds[0], buf, sizeof(buf)) == 3, "pipe I/O");
    expect(fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK) == 0, "fcntl O_NONBLOCK");
    close(fds[0]);
    close(fds[1]);
    /* An AF_UNIX server and a client, as the API socket (abstract: no file). */
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    expect(listen_fd >= 0, "socket(AF_UNIX)");
    expect(bind(listen_fd, (struct sockaddr *)&addr, addr_len) == 0 && listen(listen_fd, 1) == 0,
           "bind and listen");
    sv[0] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    expect(sv[0] >= 0 && connect(sv[0], (struct sockaddr *)&addr, addr_len) == 0, "connect");
    sv[1] = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    expect(sv[1] >= 0, "accept4");
    expect(send(sv[0], "x", 1, MSG_NOSIGNAL) == 1 && recv(sv[1], buf, 1, 0) == 1, "AF_UNIX I/O");
    expect(shutdown(sv[1], SHUT_RDWR) == 0, "shutdown");
    close(sv[0]);
    close(sv[1]);
    close(listen_fd);
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    expect(fd >= 0, "open /dev/null");
    close(fd);
    fd = eventfd(0, EFD_CLOEXEC);
    expect(fd >= 0, "eventfd");
    close(fd);
    /* clone3 has no checkable flags: refused with ENOSYS, libc uses clone. */
    expect(syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS, "clone3 is ENOSYS");
    p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect(p != MAP_FAILED, "mmap");
    expect(madvise(p, 1 << 20, MADV_DONTDUMP) == 0, "madvise DONTDUMP");
    expect(munmap(p, 1 << 20) == 0, "munmap");
    /* A thread, a mutex and a condition variable (futex), and a join. */
    g_mutex_init(&w.lock);
    g_cond_init(&w.cond);
    t = g_thread_new("worker", worker_thread, &w);
    g_mutex_lock(&w.lock);
    while (w.stage != 1)
        g_cond_wait(&w.cond, &w.lock);
    w.stage = 2;
    g_cond_signal(&w.cond);
    g_mutex_unlock(&w.lock);
    result = g_thread_join(t);
    expect(g_strcmp0(result, "done") == 0, "thread result");
    /* GLib's main loop with a timeout. */
    loop = g_main_loop_new(NULL, FALSE);
    g_timeout_add(1, quit_loop, loop);
    g_main_loop_run(loop);
}

START_TEST(main_allows)
{
    assert_exited_ok(run_child(main_allowed_calls));
}
END_TEST

/* vCPU threads: main's filter, then the vCPU filter in the thread. */
enum vcpu_case {
    VCPU_ALLOWED,      /* the calls a vCPU thread makes work */
    VCPU_SOCKET,       /* main allows, vCPU does not */
    VCPU_READ,
    VCPU_CLONE,
    VCPU_EVENTFD,
    VCPU_KVM_CREATE_VM,
    VCPU_DEVICE_IOCTL, /* device filter: no ioctl at all */
};

static enum vcpu_case vcpu_case;
static volatile sig_atomic_t kicks;

static void on_kick(int sig)
{
    kicks++;
}

static gpointer nothing(gpointer data)
{
    return NULL;
}

static gpointer vcpu_thread(gpointer data)
{
    struct worker *w = data;
    int fds[2] = { -1, -1 };
    char buf[4];
    char *s;

    /* Made before the vCPU filter, as a vCPU's descriptors are made by main. */
    expect(pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2");
    apply_or_exit(vcpu_case == VCPU_DEVICE_IOCTL ? SECCOMP_THREAD_DEVICE : SECCOMP_THREAD_VCPU,
                  SECCOMP_MODE_KILL);
    switch (vcpu_case) {
    case VCPU_ALLOWED:
        expect(write(fds[1], "x", 1) == 1, "write");
        /* A real wait and wake (futex), as when main pauses the VM. */
        g_mutex_lock(&w->lock);
        w->stage = 1;
        g_cond_signal(&w->cond);
        while (w->stage != 2)
            g_cond_wait(&w->cond, &w->lock);
        g_mutex_unlock(&w->lock);
        s = g_strdup_printf("%0*d", 200000, 1);   /* a large block: mmap and munmap */
        expect(strlen(s) == 200000, "large allocation");
        g_free(s);
        expect(g_get_monotonic_time() > 0 && g_get_real_time() > 0, "clocks");
        expect(pthread_kill(pthread_self(), KICK_SIGNAL) == 0 && kicks == 1, "self kick");
        /* Lazy libc file opens fail softly instead of killing. */
        expect(open("/dev/null", O_RDONLY) < 0 && errno == EACCES, "open is EACCES");
        break;
    case VCPU_SOCKET:
        socket(AF_UNIX, SOCK_STREAM, 0);
        _exit(CHILD_CALL_RETURNED);
    case VCPU_READ:
        read(fds[0], buf, 1);
        _exit(CHILD_CALL_RETURNED);
    case VCPU_CLONE:
        g_thread_unref(g_thread_new("nested", nothing, NULL));
        _exit(CHILD_CALL_RETURNED);
    case VCPU_EVENTFD:
        eventfd(0, 0);
        _exit(CHILD_CALL_RETURNED);
    case VCPU_KVM_CREATE_VM:
        syscall(SYS_ioctl, fds[0], 0xae01UL /* KVM_CREATE_VM */, 0);
        _exit(CHILD_CALL_RETURNED);
    case VCPU_DEVICE_IOCTL:
        expect(write(fds[1], "x", 1) == 1 && read(fds[0], buf, 1) == 1, "device pipe I/O");
        syscall(SYS_ioctl, fds[0], FIONREAD, buf);
        _exit(CHILD_CALL_RETURNED);
    }
    return NULL;
}

static void vcpu_in_thread(void)
{
    struct sigaction sa = { .sa_handler = on_kick };
    struct worker w = { 0 };
    GThread *t;

    sigemptyset(&sa.sa_mask);
    sigaction(KICK_SIGNAL, &sa, NULL);
    g_mutex_init(&w.lock);
    g_cond_init(&w.cond);
    apply_or_exit(SECCOMP_THREAD_MAIN, SECCOMP_MODE_KILL);
    t = g_thread_new("vcpu0", vcpu_thread, &w);
    if (vcpu_case == VCPU_ALLOWED) {
        g_mutex_lock(&w.lock);
        while (w.stage != 1)
            g_cond_wait(&w.cond, &w.lock);
        w.stage = 2;
        g_cond_signal(&w.cond);
        g_mutex_unlock(&w.lock);
    }
    g_thread_join(t);
}

START_TEST(vcpu_allows)
{
    vcpu_case = VCPU_ALLOWED;
    assert_exited_ok(run_child(vcpu_in_thread));
}
END_TEST

static const enum vcpu_case vcpu_fatal_cases[] = {
    VCPU_SOCKET, VCPU_READ, VCPU_CLONE, VCPU_EVENTFD, VCPU_KVM_CREATE_VM, VCPU_DEVICE_IOCTL,
};

START_TEST(vcpu_kills)
{
    vcpu_case = vcpu_fatal_cases[_i];
    assert_killed_by_sigsys(run_child(vcpu_in_thread));
}
END_TEST

/* Only the calling thread gets the vCPU filter: main keeps its own. */
static gpointer vcpu_filter_only(gpointer data)
{
    apply_or_exit(SECCOMP_THREAD_VCPU, SECCOMP_MODE_KILL);
    return NULL;
}

static void vcpu_filter_stays_in_its_thread(void)
{
    int fd;

    apply_or_exit(SECCOMP_THREAD_MAIN, SECCOMP_MODE_KILL);
    g_thread_join(g_thread_new("vcpu0", vcpu_filter_only, NULL));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    expect(fd >= 0, "main still makes sockets");
    close(fd);
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    expect(fd >= 0, "main still opens files");
    close(fd);
}

START_TEST(per_thread)
{
    assert_exited_ok(run_child(vcpu_filter_stays_in_its_thread));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("seccomp");
    TCase *tc = tcase_create("filters");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, tables_consistent);
    tcase_add_test(tc, mode_off);
    tcase_add_loop_test(tc, main_kills_forbidden, 0, G_N_ELEMENTS(forbidden_in_main));
    tcase_add_test(tc, log_mode);
    tcase_add_test(tc, main_allows);
    tcase_add_test(tc, vcpu_allows);
    tcase_add_loop_test(tc, vcpu_kills, 0, G_N_ELEMENTS(vcpu_fatal_cases));
    tcase_add_test(tc, per_thread);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
