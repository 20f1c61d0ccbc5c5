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

/* Queue limits shared by every virtio device (VIRTQ_MAX_SIZE is 32768). */
#define VM_CONFIG_MAX_QUEUE_SIZE 32768
#define VM_CONFIG_MAX_DEVICE_QUEUES 16

/* virtio-blk; Cloud Hypervisor's defaults for queues. */
#define VM_CONFIG_MAX_DISKS 16
#define VM_CONFIG_DEFAULT_DISK_QUEUES 1
#define VM_CONFIG_DEFAULT_DISK_QUEUE_SIZE 128
#define VM_CONFIG_DISK_SERIAL_MAX 20
struct disk_config {
    char *path;
    char *id;           /* NULL until vm_config_assign_ids: "disk<index>" */
    char *serial;       /* NULL: the id (GET_ID returns at most 20 bytes) */
    bool readonly;
    bool direct;        /* O_DIRECT */
    bool disable_io_uring;  /* use the synchronous fallback even where io_uring works */
    unsigned num_queues;
    unsigned queue_size;
};

/* virtio-net. num_queues counts queues, not pairs: 2 is one rx/tx pair. */
#define VM_CONFIG_MAX_NETS 8
#define VM_CONFIG_MAX_NET_FDS (VM_CONFIG_MAX_DEVICE_QUEUES / 2)
#define VM_CONFIG_DEFAULT_NET_QUEUES 2
#define VM_CONFIG_DEFAULT_NET_QUEUE_SIZE 256
#define VM_CONFIG_MIN_MTU 68
#define VM_CONFIG_MAX_MTU 65535
struct net_config {
    char *tap;          /* the tap's name: opened, or created when missing */
    int fds[VM_CONFIG_MAX_NET_FDS];     /* or taps inherited: one per queue pair */
    unsigned n_fds;
    uint8_t mac[6];     /* the guest's; random (locally administered) when not given */
    char *ip;           /* the host side's IPv4 address, with mask */
    char *mask;
    unsigned mtu;       /* 0: the tap's */
    unsigned num_queues;
    unsigned queue_size;
    char *id;           /* NULL until vm_config_assign_ids: "net<index>" */
    bool offload_tso;   /* Cloud Hypervisor's offload_* members, on by default */
    bool offload_ufo;
    bool offload_csum;
};

#define VM_CONFIG_CONSOLE_ID "console0"

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
    struct disk_config disks[VM_CONFIG_MAX_DISKS];
    unsigned n_disks;
    struct net_config nets[VM_CONFIG_MAX_NETS];
    unsigned n_nets;
    bool no_reboot;
};

/* The defaults a new entry starts from, before its options are read. */
void disk_config_init(struct disk_config *d);
void net_config_init(struct net_config *n);
void vm_config_clear(struct vm_config *cfg);
/* Deep copy. dst must be initialised (zeroed or a valid config); its previous
 * contents are freed. */
void vm_config_copy(struct vm_config *dst, const struct vm_config *src);
/*
 * Gives every device without an id its default ("disk0", "net1"...: the first
 * free name of its kind) and every net without a MAC a random one, then checks
 * that no two devices share an id. Call once the whole config is read.
 */
int vm_config_assign_ids(struct vm_config *cfg, GError **error);
/* "52:54:00:12:34:56" -> bytes; -1 unless six hex pairs, unicast. */
int vm_config_parse_mac(const char *s, uint8_t mac[6]);
char *vm_config_format_mac(const uint8_t mac[6]);
/* A dotted IPv4 address (ip=, mask=). */
bool vm_config_is_ipv4(const char *s);
