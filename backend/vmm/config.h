/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM configuration: what the CLI fills today and vm.create (REST) will fill. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Limits of a VM configuration, the same from the command line and the API.
 * xAPIC ids are 8 bits and 0xff is the broadcast id; 52 bits is the widest
 * physical address any x86-64 or arm64 CPU has. */
#define VM_CONFIG_MAX_VCPUS 254
#define VM_CONFIG_MIN_MEMORY (4ULL << 20)
#define VM_CONFIG_MAX_MEMORY (1ULL << 52)
#define VM_CONFIG_HUGEPAGE_SIZE (2ULL << 20)
#define VM_CONFIG_DEFAULT_MEMORY (512ULL << 20)

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

/* virtio-rng: present when src is set. */
#define VM_CONFIG_DEFAULT_RNG_SRC "/dev/urandom"
#define VM_CONFIG_DEFAULT_RNG_ID "rng0"
struct rng_config {
    char *src;      /* NULL: no virtio-rng */
    char *id;       /* NULL: VM_CONFIG_DEFAULT_RNG_ID */
};

/* virtio-blk: one disk for now, present when path is set. */
#define VM_CONFIG_DEFAULT_DISK_ID "disk0"
struct disk_config {
    char *path;     /* NULL: no disk */
    char *id;       /* NULL: VM_CONFIG_DEFAULT_DISK_ID */
    char *serial;   /* NULL: the id (GET_ID returns at most 20 bytes) */
    bool readonly;
    bool direct;    /* O_DIRECT */
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
    struct rng_config rng;
    struct disk_config disk;
    bool no_reboot;
};

void vm_config_clear(struct vm_config *cfg);
