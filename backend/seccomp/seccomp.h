/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-thread seccomp filters (libseccomp). Each thread kind has its own list of
 * allowed syscalls, each with the reason it is needed. A thread inherits the
 * filter of the thread that created it and adds its own, so a vCPU thread runs
 * under main ∩ vcpu.
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

/* Installs the filter for the calling thread. No-op in SECCOMP_MODE_OFF. */
int seccomp_apply(enum seccomp_thread kind, enum seccomp_mode mode, GError **error);
const char *seccomp_thread_name(enum seccomp_thread kind);
