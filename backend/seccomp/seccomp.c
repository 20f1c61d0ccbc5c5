/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-thread seccomp filters, kept as data: every allowed syscall is one line
 * with the reason skiff needs it, as Firecracker keeps its filters. A thread
 * kind's filter is a list of groups; the groups are shared so that the main
 * thread's filter contains every rule of the vCPU and device filters (a
 * thread created by main inherits main's filter and the kernel applies the
 * strictest answer of all stacked filters).
 *
 * The KVM ioctl numbers come from linux/kvm.h: a filter is as specific to
 * the hypervisor as backend/hv/kvm.c is. An MSHV backend adds its own groups.
 */
#include "seccomp/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sched.h>
#include <stdbool.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmm/error.h"
#include "vmm/log.h"

#define MAX_CMP 2

struct rule {
    int nr;                  /* SCMP_SYS(name) */
    const char *name;
    const char *cond;        /* the argument condition as written, NULL for none */
    int deny_errno;          /* 0: allowed; else the call fails with this errno */
    bool arg0_own_pid;       /* arg 0 must be this process's pid (filled in at load) */
    struct scmp_arg_cmp cmp[MAX_CMP];   /* unused entries have op 0 */
    const char *why;
};

/* Int arguments: compare the low 32 bits only, which is what the kernel reads. */
#define ARG_EQ(i, v) \
    { .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xffffffffULL, .datum_b = (uint32_t)(v) }
#define ARG_CLEAR(i, bits) { .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = (bits), .datum_b = 0 }
#define ARG_SET(i, bits) \
    { .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = (bits), .datum_b = (bits) }

#define ALLOW(sys, why_) { .nr = SCMP_SYS(sys), .name = #sys, .why = (why_) }
#define ALLOW_IF(sys, cond_, why_, ...) \
    { .nr = SCMP_SYS(sys), .name = #sys, .cond = (cond_), .cmp = { __VA_ARGS__ }, .why = (why_) }
#define DENY(sys, err, why_) { .nr = SCMP_SYS(sys), .name = #sys, .deny_errno = (err), .why = (why_) }

#define IOCTL(req, why_) ALLOW_IF(ioctl, #req, why_, ARG_EQ(1, req))
#define FCNTL(cmd, why_) ALLOW_IF(fcntl, #cmd, why_, ARG_EQ(1, cmd))
#define MADVISE(adv, why_) ALLOW_IF(madvise, #adv, why_, ARG_EQ(2, adv))
#define PRCTL(opt, why_) ALLOW_IF(prctl, #opt, why_, ARG_EQ(0, opt))
/* The futex command without the PRIVATE and CLOCK_REALTIME flags. */
#define FUTEX_OP_MASK (~(uint64_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) & 0xffffffffULL)
#define FUTEX(cmd, why_) ALLOW_IF(futex, #cmd, why_, \
    { .arg = 1, .op = SCMP_CMP_MASKED_EQ, .datum_a = FUTEX_OP_MASK, .datum_b = (cmd) })

/* What every thread does: allocate, lock, take signals, log, tell time, end. */
static const struct rule common_rules[] = {
    ALLOW(brk, "malloc's main arena, which any thread may share once arenas run out"),
    ALLOW_IF(mmap, "no PROT_EXEC", "malloc arenas and large blocks",
             ARG_CLEAR(2, PROT_EXEC)),
    ALLOW(munmap, "malloc gives back arenas and large blocks"),
    ALLOW_IF(mprotect, "no PROT_EXEC", "malloc grows a thread's arena",
             ARG_CLEAR(2, PROT_EXEC)),
    ALLOW(mremap, "realloc of large blocks"),
    MADVISE(MADV_DONTNEED, "malloc trims an arena; a thread's stack is released as it ends"),
    FUTEX(FUTEX_WAIT, "GMutex, GCond and malloc's locks: sleep"),
    FUTEX(FUTEX_WAKE, "GMutex, GCond and malloc's locks: wake"),
    FUTEX(FUTEX_WAIT_BITSET, "pthread_join and timed waits"),
    FUTEX(FUTEX_WAKE_BITSET, "the wake side of bitset waits"),
    ALLOW(rt_sigprocmask, "the vCPU kick signal is unblocked per thread; libc masks "
                          "signals while a thread ends"),
    ALLOW(rt_sigreturn, "return from the vCPU kick signal's handler"),
    ALLOW(restart_syscall, "a sleep interrupted by a signal resumes"),
    ALLOW(getpid, "pthread_kill names the process when kicking a vCPU"),
    ALLOW(gettid, "pthread_kill of the calling thread (a vCPU stopping the VM kicks itself)"),
    { .nr = SCMP_SYS(tgkill), .name = "tgkill", .cond = "this process",
      .arg0_own_pid = true, .why = "kick a vCPU out of KVM_RUN; abort() on a failed assertion" },
    ALLOW(write, "log lines, serial output, waking the main loop's eventfd"),
    ALLOW(clock_gettime, "log timestamps, the RTC (a syscall where the vDSO cannot serve)"),
    ALLOW(gettimeofday, "vDSO fallback, as clock_gettime"),
    ALLOW(time, "vDSO fallback, as clock_gettime"),
    ALLOW(exit, "a thread ends"),
    ALLOW(exit_group, "the process ends, from any thread"),
};

/* What a vCPU thread asks of KVM: run the guest, report its registers when the
 * guest does something fatal, and drive interrupt lines of devices it emulates. */
static const struct rule vcpu_rules[] = {
    IOCTL(KVM_RUN, "run the guest until the next exit"),
    IOCTL(KVM_GET_REGS, "register dump after a fatal exit"),
    IOCTL(KVM_GET_SREGS, "register dump after a fatal exit"),
    IOCTL(KVM_IRQ_LINE, "serial and ACPI GED interrupt lines, raised from device emulation"),
};

/* MSI-X: a message is a write to the vector's irqfd (any thread may, with
 * write); the route behind it changes when the guest programs the vector,
 * from the vCPU thread that wrote the MSI-X table. */
static const struct rule msi_rules[] = {
    IOCTL(KVM_SET_GSI_ROUTING, "virtio MSI-X: a vector's address/data as the guest programs "
                               "them, on the GSI of its irqfd"),
};

/* virtio-blk's io_uring, from two kinds of thread: a queue's own thread
 * submits requests and waits for completions and kicks; a vCPU resetting the
 * device waits for what is in flight. The operations themselves bypass
 * seccomp: they only reach the image's descriptor and guest memory. */
static const struct rule uring_rules[] = {
    ALLOW(io_uring_enter, "virtio-blk: submit requests, wait for completions and kicks; "
                          "drain the queues on a device reset"),
};

/* Device worker threads (virtio backends): move data between guest memory and
 * host files, wait on eventfds; MSI-X through the msi group below. */
static const struct rule device_rules[] = {
    ALLOW(read, "eventfds (ioeventfd kicks), backing files, sockets"),
    ALLOW(readv, "scatter-gather reads into guest buffers"),
    ALLOW(writev, "scatter-gather writes from guest buffers"),
    ALLOW(pread64, "block device reads at an offset"),
    ALLOW(pwrite64, "block device writes at an offset"),
    ALLOW(preadv, "block device scatter-gather reads"),
    ALLOW(pwritev, "block device scatter-gather writes"),
    ALLOW(lseek, "file size and position of backing files"),
    ALLOW(fsync, "guest flush requests"),
    ALLOW(fdatasync, "guest flush requests"),
    ALLOW(fallocate, "guest discard and write-zeroes requests"),
    IOCTL(BLKDISCARD, "guest discard requests on a block device"),
    IOCTL(BLKZEROOUT, "guest write-zeroes requests on a block device"),
    ALLOW(poll, "wait for queue kicks and host I/O"),
    ALLOW(ppoll, "wait for queue kicks and host I/O"),
    ALLOW(epoll_wait, "wait for queue kicks and host I/O"),
    ALLOW(epoll_pwait, "wait for queue kicks and host I/O"),
    ALLOW(epoll_ctl, "add and remove watched descriptors"),
    IOCTL(TUNSETOFFLOAD, "virtio-net: the tap's offloads follow what the driver accepted"),
    IOCTL(TUNSETQUEUE, "virtio-net: tap queues of unused queue pairs are detached"),
};

/* Filtered threads other than main may not open files. Libc and GLib open
 * some lazily on first use (time zone, message catalogs, malloc's overcommit
 * setting); failing with EACCES lets them fall back where a kill would end
 * the VM. The thread still cannot open anything. */
static const struct rule no_open_rules[] = {
    DENY(open, EACCES, "no file access from this thread; libc falls back"),
    DENY(openat, EACCES, "no file access from this thread; libc falls back"),
};

/* The main thread: VM build and teardown, the event loop, the API server,
 * host I/O of the chardevs, logging. Generous with libc and GLib internals,
 * nothing a VMM has no business doing (no exec, no fork, no ptrace, no
 * network sockets, no mounts, no BPF, no modules, no perf). */
static const struct rule main_rules[] = {
    /* memory */
    ALLOW_IF(mmap, "PROT_EXEC, not MAP_ANONYMOUS",
             "the dynamic loader maps a library's code (iconv's gconv modules for a "
             "non-UTF-8 locale)",
             ARG_SET(2, PROT_EXEC), ARG_CLEAR(3, MAP_ANONYMOUS)),
    MADVISE(MADV_DONTDUMP, "guest RAM stays out of core dumps"),
    /* files */
    ALLOW(openat, "/dev/kvm, kernel and initramfs images, pty, log, serial and event files, "
                  "message catalogs"),
    ALLOW(close, "every descriptor skiff opens"),
    ALLOW(newfstatat, "sizes of images; ptsname; is the API socket path a stale socket?"),
    ALLOW(unlink, "remove the serial and API sockets, and a stale API socket"),
    ALLOW(umask, "the API socket is created with mode 0600"),
    ALLOW(chmod, "the API socket is created with mode 0600"),
    ALLOW(dup, "--serial tty writes through its own copy of stdout"),
    ALLOW(pipe2, "--serial socket buffers output in a pipe"),
    ALLOW(eventfd2, "GLib main context wakeups; the VM's stop event; irqfd and ioeventfd"),
    FCNTL(F_GETFD, "checking an inherited --event-monitor fd=N"),
    FCNTL(F_SETFD, "FD_CLOEXEC on KVM and API descriptors"),
    FCNTL(F_GETFL, "O_NONBLOCK on chardev, API and event descriptors"),
    FCNTL(F_SETFL, "O_NONBLOCK on chardev, API and event descriptors"),
    /* terminals */
    IOCTL(TCGETS, "isatty and tcgetattr: --serial tty and pty"),
    IOCTL(TCSETS, "raw mode for --serial tty and pty, and the terminal restored"),
    IOCTL(TIOCGPTN, "ptsname: --serial pty"),
    IOCTL(TIOCSPTLCK, "unlockpt: --serial pty"),
    /* KVM: /dev/kvm */
    IOCTL(KVM_GET_API_VERSION, "check the KVM API version"),
    IOCTL(KVM_CHECK_EXTENSION, "capability checks on /dev/kvm and on a VM"),
    IOCTL(KVM_GET_VCPU_MMAP_SIZE, "size of a vCPU's run area"),
    IOCTL(KVM_GET_SUPPORTED_CPUID, "the CPUID a vCPU may expose"),
    IOCTL(KVM_CREATE_VM, "build a VM"),
    /* block devices */
    IOCTL(BLKGETSIZE64, "the capacity of a --disk that is a block device"),
    ALLOW(io_uring_setup, "virtio-blk sets up one io_uring per queue as the VM is built"),
    /* KVM: a VM */
    IOCTL(KVM_SET_TSS_ADDR, "Intel VMX's TSS pages"),
    IOCTL(KVM_SET_IDENTITY_MAP_ADDR, "Intel VMX's identity map page"),
    IOCTL(KVM_SET_USER_MEMORY_REGION, "map and unmap guest RAM"),
    IOCTL(KVM_CREATE_IRQCHIP, "in-kernel PIC, IOAPIC and LAPICs"),
    IOCTL(KVM_IRQFD, "interrupts from eventfds"),
    IOCTL(KVM_IOEVENTFD, "guest writes that signal eventfds"),
    IOCTL(KVM_CREATE_VCPU, "build a vCPU"),
    /* KVM: a vCPU, set up by main before its thread starts */
    IOCTL(KVM_SET_CPUID2, "a vCPU's CPUID"),
    IOCTL(KVM_SET_REGS, "boot registers"),
    IOCTL(KVM_SET_SREGS, "boot segments and control registers"),
    IOCTL(KVM_SET_MSRS, "boot MSRs"),
    IOCTL(KVM_SET_FPU, "FPU reset state"),
    IOCTL(KVM_GET_LAPIC, "LINT0/LINT1 delivery modes"),
    IOCTL(KVM_SET_LAPIC, "LINT0/LINT1 delivery modes"),
    IOCTL(KVM_SET_MP_STATE, "application processors wait for INIT/SIPI"),
    /* taps (virtio-net): /dev/net/tun, and the host side's settings */
    IOCTL(TUNSETIFF, "open or create a --net tap"),
    IOCTL(TUNGETIFF, "check an inherited --net fd=N is a tap"),
    IOCTL(TUNSETVNETHDRSZ, "the tap's frames carry the 12-byte virtio-net header"),
    IOCTL(SIOCGIFINDEX, "does an interface of the --net tap's name exist?"),
    IOCTL(SIOCGIFFLAGS, "--net tap: is the link up?"),
    IOCTL(SIOCSIFFLAGS, "--net tap: bring the link up"),
    IOCTL(SIOCSIFADDR, "--net ip=: the host side's IPv4 address"),
    IOCTL(SIOCSIFNETMASK, "--net mask=: the host side's netmask"),
    IOCTL(SIOCGIFMTU, "--net mtu=: the tap's MTU"),
    IOCTL(SIOCSIFMTU, "--net mtu=: the tap's MTU"),
    /* sockets: AF_UNIX, and AF_INET datagram sockets only to configure taps */
    ALLOW_IF(socket, "AF_UNIX", "API and serial sockets", ARG_EQ(0, AF_UNIX)),
    ALLOW_IF(socket, "AF_INET, SOCK_DGRAM",
             "the --net tap's address, netmask, MTU and link state (never bound or connected)",
             ARG_EQ(0, AF_INET), { .arg = 1, .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xf,
                                   .datum_b = SOCK_DGRAM }),
    ALLOW(bind, "API and serial sockets"),
    ALLOW(listen, "API and serial sockets"),
    ALLOW(accept4, "API and serial clients"),
    ALLOW(connect, "is a socket file in use (a live server) or stale?"),
    ALLOW(getsockopt, "checking an inherited --api-socket fd=N"),
    ALLOW(recvfrom, "API requests"),
    ALLOW(sendto, "API answers"),
    ALLOW(shutdown, "API connections"),
    /* threads and signals */
    ALLOW_IF(clone, "CLONE_THREAD", "start vCPU and GLib worker threads (never a new process)",
             ARG_SET(0, CLONE_THREAD)),
    DENY(clone3, ENOSYS, "its flags cannot be checked; libc falls back to clone"),
    ALLOW(set_robust_list, "a new thread registers its robust futex list"),
    ALLOW(rseq, "a new thread registers its restartable sequences"),
    PRCTL(PR_SET_NAME, "GLib names new threads"),
    PRCTL(PR_SET_NO_NEW_PRIVS, "a vCPU or device thread installs its own filter"),
    ALLOW_IF(seccomp, "SECCOMP_SET_MODE_FILTER", "a vCPU or device thread installs its own filter",
             ARG_EQ(0, SECCOMP_SET_MODE_FILTER)),
    ALLOW_IF(seccomp, "SECCOMP_GET_ACTION_AVAIL", "libseccomp checks which actions the kernel has",
             ARG_EQ(0, SECCOMP_GET_ACTION_AVAIL)),
    ALLOW(rt_sigaction, "the vCPU kick handler; SIGTERM/SIGINT; libc's handlers for threads"),
};

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_LEAK__)
#define SKIFF_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define SKIFF_SANITIZER 1
#endif
#endif

#ifdef SKIFF_SANITIZER
/* Test builds with AddressSanitizer only: its shadow memory upkeep as
 * threads end, and LeakSanitizer's check at exit, which stops every thread
 * from a helper task that ptraces them. Never in a normal build. */
static const struct rule sanitizer_rules[] = {
    ALLOW(sigaltstack, "sanitizer runtimes set up and drop a signal stack per thread"),
    MADVISE(MADV_DONTDUMP, "ASan keeps its shadow memory out of core dumps"),
    MADVISE(MADV_NOHUGEPAGE, "ASan's shadow memory"),
};

static const struct rule sanitizer_main_rules[] = {
    ALLOW(sigaltstack, "sanitizer runtimes set up and drop a signal stack per thread"),
    MADVISE(MADV_NOHUGEPAGE, "ASan's shadow memory"),
    ALLOW_IF(clone, "CLONE_VM|CLONE_UNTRACED, no CLONE_THREAD",
             "LeakSanitizer's helper that stops the world",
             { .arg = 0, .op = SCMP_CMP_MASKED_EQ,
               .datum_a = CLONE_VM | CLONE_UNTRACED | CLONE_THREAD,
               .datum_b = CLONE_VM | CLONE_UNTRACED }),
    ALLOW(ptrace, "LeakSanitizer suspends threads to scan their stacks and registers"),
    ALLOW(wait4, "LeakSanitizer waits for suspended threads and its helper"),
    ALLOW(getppid, "LeakSanitizer's helper watches its parent"),
    ALLOW(open, "LeakSanitizer reads /proc/self/task and /proc/self/maps"),
    ALLOW(getdents, "LeakSanitizer lists /proc/self/task"),
    ALLOW(getdents64, "LeakSanitizer lists /proc/self/task"),
    ALLOW(readlink, "sanitizer runtimes read /proc/self/exe"),
    ALLOW(sched_yield, "LeakSanitizer waits for its helper"),
    ALLOW(sched_getaffinity, "LeakSanitizer counts CPUs"),
    PRCTL(PR_GET_DUMPABLE, "LeakSanitizer checks it may be traced"),
    PRCTL(PR_SET_DUMPABLE, "LeakSanitizer makes itself traceable"),
    PRCTL(PR_SET_PTRACER, "LeakSanitizer lets its helper trace"),
    PRCTL(PR_SET_PDEATHSIG, "LeakSanitizer's helper dies with its parent"),
};
#endif

struct group {
    const struct rule *rules;
    size_t n;
};

#define GROUP(a) { (a), G_N_ELEMENTS(a) }

/* Main holds every allowed rule of the other kinds: see the top of the file. */
#ifdef SKIFF_SANITIZER
#define SANITIZER_GROUPS GROUP(sanitizer_rules),
#define SANITIZER_MAIN_GROUPS GROUP(sanitizer_main_rules),
#else
#define SANITIZER_GROUPS
#define SANITIZER_MAIN_GROUPS
#endif

static const struct group main_groups[] = {
    GROUP(common_rules), GROUP(vcpu_rules), GROUP(device_rules), GROUP(msi_rules),
    GROUP(uring_rules), GROUP(main_rules), SANITIZER_MAIN_GROUPS
};
static const struct group vcpu_groups[] = {
    GROUP(common_rules), GROUP(vcpu_rules), GROUP(msi_rules), GROUP(uring_rules),
    GROUP(no_open_rules),
    SANITIZER_GROUPS
};
static const struct group device_groups[] = {
    GROUP(common_rules), GROUP(device_rules), GROUP(uring_rules),
    GROUP(no_open_rules),
    SANITIZER_GROUPS
};

static const struct {
    const char *name;
    const struct group *groups;
    size_t n_groups;
} kinds[] = {
    [SECCOMP_THREAD_MAIN] = { "main", main_groups, G_N_ELEMENTS(main_groups) },
    [SECCOMP_THREAD_VCPU] = { "vcpu", vcpu_groups, G_N_ELEMENTS(vcpu_groups) },
    [SECCOMP_THREAD_DEVICE] = { "device", device_groups, G_N_ELEMENTS(device_groups) },
};

const char *seccomp_thread_name(enum seccomp_thread kind)
{
    return (unsigned)kind < G_N_ELEMENTS(kinds) ? kinds[kind].name : "unknown";
}

static unsigned rule_n_cmp(const struct rule *r)
{
    unsigned n = 0;

    while (n < MAX_CMP && r->cmp[n].op != 0)
        n++;
    return n;
}

static int add_rule(scmp_filter_ctx ctx, const struct rule *r, GError **error)
{
    struct scmp_arg_cmp cmp[MAX_CMP + 1];
    unsigned n = rule_n_cmp(r);
    uint32_t action = r->deny_errno ? SCMP_ACT_ERRNO((uint32_t)r->deny_errno) : SCMP_ACT_ALLOW;
    int rc;

    memcpy(cmp, r->cmp, n * sizeof(cmp[0]));
    if (r->arg0_own_pid)
        cmp[n++] = (struct scmp_arg_cmp){ .arg = 0, .op = SCMP_CMP_EQ,
                                          .datum_a = (scmp_datum_t)getpid() };
    rc = seccomp_rule_add_array(ctx, action, r->nr, n, cmp);
    if (rc < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    _("seccomp: cannot add the rule for %s%s%s: %s"), r->name,
                    r->cond ? " if " : "", r->cond ? r->cond : "", g_strerror(-rc));
        return -1;
    }
    return 0;
}

/* Libc and GLib set some things up on first use, with syscalls a vCPU thread
 * may not make: do it now, while they are still allowed. */
static void prime_lazy_state(void)
{
    struct tm tm;
    time_t zero = 0;

    /* gmtime_r (the RTC) reads /etc/localtime on its first call; a second
     * call does nothing, where tzset() would stat the file each time. */
    gmtime_r(&zero, &tm);
    /* g_main_context_invoke (serial input resuming) creates the default
     * context, with an eventfd, on its first call. */
    g_main_context_default();
    /* Loads libc's message catalog, used by every later g_strerror. */
    (void)g_strerror(EINTR);
}

/* A filter covers only the thread that installs it and threads it creates
 * afterwards: with -vv, say so if others already run (GLib's worker thread,
 * started by g_unix_signal_add, is one). */
static void note_other_threads(enum seccomp_thread kind)
{
    g_autoptr(GDir) dir = NULL;
    unsigned n = 0;

    if (!log_enabled(LOG_LEVEL_DEBUG) || !(dir = g_dir_open("/proc/self/task", 0, NULL)))
        return;
    while (g_dir_read_name(dir))
        n++;
    if (n > 1)
        log_debug("seccomp: %u other thread(s) already run without the %s thread's filter",
                  n - 1, seccomp_thread_name(kind));
}

G_DEFINE_AUTO_CLEANUP_FREE_FUNC(scmp_filter_ctx, seccomp_release, NULL)

/* What the main thread installed: the threads it starts follow it. */
static enum seccomp_mode main_mode = SECCOMP_MODE_OFF;

enum seccomp_mode seccomp_main_mode(void)
{
    return main_mode;
}

int seccomp_apply(enum seccomp_thread kind, enum seccomp_mode mode, GError **error)
{
    g_auto(scmp_filter_ctx) ctx = NULL;
    uint32_t deny;
    int rc;

    if (mode == SECCOMP_MODE_OFF)
        return 0;
    if ((unsigned)kind >= G_N_ELEMENTS(kinds)) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID, _("seccomp: unknown thread kind %d"),
                    (int)kind);
        return -1;
    }
    if (kind == SECCOMP_THREAD_MAIN)
        note_other_threads(kind);
    prime_lazy_state();
    deny = mode == SECCOMP_MODE_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
    ctx = seccomp_init(deny);
    if (!ctx) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    _("seccomp: cannot start the %s thread's filter"), seccomp_thread_name(kind));
        return -1;
    }
    /* A syscall of another ABI (i386 int 0x80, x32) is as unknown as any
     * other. Other attributes keep libseccomp's defaults, among them
     * no_new_privs on load. */
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, deny);
    if (rc < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    _("seccomp: cannot set the %s thread's filter attributes: %s"),
                    seccomp_thread_name(kind), g_strerror(-rc));
        return -1;
    }
    /* A binary tree of syscall numbers instead of a list; libseccomp < 2.5
     * lacks it, and the filter means the same without. */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    for (size_t g = 0; g < kinds[kind].n_groups; g++) {
        const struct group *grp = &kinds[kind].groups[g];

        for (size_t i = 0; i < grp->n; i++) {
            if (add_rule(ctx, &grp->rules[i], error) < 0)
                return -1;
        }
    }
    rc = seccomp_load(ctx);
    if (rc < 0) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_FAILED,
                    _("seccomp: cannot install the %s thread's filter: %s "
                      "(--seccomp false runs without filters)"),
                    seccomp_thread_name(kind), g_strerror(-rc));
        return -1;
    }
    log_debug("seccomp: %s thread filter installed (%s)", seccomp_thread_name(kind),
              mode == SECCOMP_MODE_LOG ? "log" : "kill");
    if (kind == SECCOMP_THREAD_MAIN)
        main_mode = mode;
    return 0;
}

static bool rule_same(const struct rule *a, const struct rule *b)
{
    unsigned n = rule_n_cmp(a);

    return a->nr == b->nr && a->deny_errno == b->deny_errno &&
           a->arg0_own_pid == b->arg0_own_pid && n == rule_n_cmp(b) &&
           memcmp(a->cmp, b->cmp, n * sizeof(a->cmp[0])) == 0;
}

/* Whether main allows at least what rule r allows. */
static bool main_covers(const struct rule *r)
{
    for (size_t g = 0; g < G_N_ELEMENTS(main_groups); g++) {
        for (size_t i = 0; i < main_groups[g].n; i++) {
            const struct rule *m = &main_groups[g].rules[i];

            if (m->nr != r->nr || m->deny_errno)
                continue;
            if (rule_same(m, r) || (rule_n_cmp(m) == 0 && !m->arg0_own_pid))
                return true;
        }
    }
    return false;
}

static bool appears_before(size_t k, size_t g, size_t i)
{
    const struct rule *r = &kinds[k].groups[g].rules[i];

    for (size_t g2 = 0; g2 <= g; g2++) {
        const struct group *grp = &kinds[k].groups[g2];

        for (size_t j = 0; j < (g2 == g ? i : grp->n); j++) {
            if (rule_same(&grp->rules[j], r))
                return true;
        }
    }
    return false;
}

int seccomp_check_tables(GError **error)
{
    for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
        for (size_t g = 0; g < kinds[k].n_groups; g++) {
            const struct group *grp = &kinds[k].groups[g];

            for (size_t i = 0; i < grp->n; i++) {
                const struct rule *r = &grp->rules[i];
                bool has_cond = rule_n_cmp(r) > 0 || r->arg0_own_pid;

                if (r->nr < 0) {
                    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                                "%s: %s is not a syscall on this architecture", kinds[k].name,
                                r->name);
                    return -1;
                }
                if (!r->why || !*r->why || has_cond != (r->cond != NULL)) {
                    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                                "%s: the rule for %s lacks its reason or its condition's text",
                                kinds[k].name, r->name);
                    return -1;
                }
                if (k != SECCOMP_THREAD_MAIN && !r->deny_errno && !main_covers(r)) {
                    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                                "%s allows %s%s%s but main does not: threads that main "
                                "creates could not make it",
                                kinds[k].name, r->name, r->cond ? " if " : "",
                                r->cond ? r->cond : "");
                    return -1;
                }
                if (appears_before(k, g, i)) {
                    g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                                "%s: the rule for %s appears twice", kinds[k].name, r->name);
                    return -1;
                }
            }
        }
    }
    return 0;
}
