/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-thread seccomp filters (libseccomp). Each thread kind has its own list of
 * allowed syscalls, each with the reason it is needed. A thread inherits the
 * filter of the thread that created it and adds its own, so a vCPU thread runs
 * under main ∩ vcpu. docs/seccomp.md explains the tables.
 */
#pragma once

#include <glib.h>

enum seccomp_mode {
    SECCOMP_MODE_OFF,
    SECCOMP_MODE_KILL,   /* a syscall outside the filter kills the process */
    SECCOMP_MODE_LOG,    /* allowed, but logged by the kernel (audit / dmesg) */
};

enum seccomp_thread {
    SECCOMP_THREAD_MAIN,    /* control: API, event loop, VM build and teardown */
    SECCOMP_THREAD_VCPU,    /* runs KVM_RUN and the device emulation it calls */
    SECCOMP_THREAD_DEVICE,  /* device worker threads (virtio, later) */
};

/*
 * Installs the filter for the calling thread only (threads it creates later
 * inherit it). No-op in SECCOMP_MODE_OFF. Main: after argument parsing and
 * log setup, before any other thread starts. vCPU and device threads: first
 * thing in the thread, while main's filter still allows installing one.
 */
int seccomp_apply(enum seccomp_thread kind, enum seccomp_mode mode, GError **error);
const char *seccomp_thread_name(enum seccomp_thread kind);
/* The mode the main thread's filter was installed with (OFF if none): the
 * threads it starts install theirs the same way. */
enum seccomp_mode seccomp_main_mode(void);

/* Self-check of the tables (for the unit tests): every rule has its reason,
 * no rule is listed twice, and main allows all that the other kinds allow. */
int seccomp_check_tables(GError **error);
