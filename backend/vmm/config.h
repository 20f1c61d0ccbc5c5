/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM configuration: what the CLI fills today and vm.create (REST) will fill. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

enum char_backend {
    CHAR_OFF,       /* no device */
    CHAR_NULL,      /* device present, output discarded */
    CHAR_TTY,       /* skiff's stdin/stdout */
    CHAR_PTY,       /* a new pseudo-terminal, its path logged */
    CHAR_FILE,      /* output appended to a file */
    CHAR_SOCKET,    /* a listening unix socket, one client at a time */
};

struct char_config {
    enum char_backend backend;
    char *path;     /* CHAR_FILE, CHAR_SOCKET */
};

struct vm_config {
    char *kernel;
    char *initramfs;
    char *cmdline;
    unsigned boot_vcpus;
    unsigned max_vcpus;
    uint64_t memory_size;
    bool memory_shared;
    bool memory_hugepages;
    struct char_config serial;
    struct char_config console;
    bool no_reboot;
};

void vm_config_clear(struct vm_config *cfg);
