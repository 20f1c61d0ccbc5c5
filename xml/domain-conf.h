/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt domain XML for skiff: parse (libxml2), validate (libvirt's installed
 * RelaxNG schema), format, and translate to the backend's VmConfig JSON.
 * Everything skiff cannot honour is refused at parse time with
 * VIR_ERR_CONFIG_UNSUPPORTED naming the element or attribute ("element
 * <graphics> in <devices> is not supported by skiff"); malformed XML and
 * invalid values are VIR_ERR_XML_ERROR; with DOMAIN_PARSE_VALIDATE a schema
 * violation is VIR_ERR_XML_INVALID_SCHEMA (see xml/virt-error.h; messages are
 * bare, virt_error_format_message() adds libvirt's prefix).
 *
 * Accepted and kept: everything below. Accepted and not kept (it describes
 * what skiff is anyway, or live state): <domain id=>, <controller type='usb'
 * model='none'/>, <controller type='pci' model='pcie-root'|'pci-root'/>,
 * <driver name='qemu'|'skiff'> on disks, pty <source path=> and <console
 * tty=>, <target managed='yes'> (the default), <target dev='vnet...'> of an
 * interface whose tap the daemon creates (its name of an earlier run). A
 * <console> on the serial target implies the <serial>, as in libvirt.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

enum domain_lifecycle_action {
    DOMAIN_ACTION_DESTROY,
    DOMAIN_ACTION_RESTART,
    DOMAIN_ACTION_PRESERVE,
};

enum domain_disk_type {
    DOMAIN_DISK_FILE,               /* <disk type='file'><source file=...> */
    DOMAIN_DISK_BLOCK,              /* <disk type='block'><source dev=...> */
};

/* libvirt's cache modes. skiff's virtio-blk always offers the guest a
 * volatile write cache and answers its flushes with fdatasync(); the mode
 * only chooses whether the host page cache is bypassed (VmConfig direct):
 * none and directsync bypass it, the others do not. So writethrough and
 * directsync make data durable at each guest flush, not at each write, and
 * unsafe still honours flushes (see docs/libvirt-mapping.md). */
enum domain_disk_cache {
    DOMAIN_DISK_CACHE_DEFAULT,
    DOMAIN_DISK_CACHE_NONE,
    DOMAIN_DISK_CACHE_WRITETHROUGH,
    DOMAIN_DISK_CACHE_WRITEBACK,
    DOMAIN_DISK_CACHE_DIRECTSYNC,
    DOMAIN_DISK_CACHE_UNSAFE,
};

/* "none", "writeback", ...: the XML spelling. */
const char *domain_disk_cache_name(enum domain_disk_cache cache);

struct domain_disk {
    enum domain_disk_type type;
    char *source;          /* <source file=...> or <source dev=...> */
    char *target_dev;      /* <target dev='vda' bus='virtio'/>: also skiff's device id */
    bool readonly;
    char *serial;
    enum domain_disk_cache cache;
    unsigned queues;       /* <driver queues=...>, 0 = default */
    unsigned queue_size;   /* <driver queue_size=...>, 0 = default */
};

/* skiff's limits (VM_CONFIG_MAX_DISKS, VM_CONFIG_MAX_NETS, and 16 queues per
 * device: 8 queue pairs for a net). */
#define DOMAIN_DISKS_MAX 16
#define DOMAIN_NETS_MAX 8
#define DOMAIN_DISK_QUEUES_MAX 16
#define DOMAIN_NET_QUEUES_MAX 8

enum domain_net_type {
    DOMAIN_NET_ETHERNET,
    DOMAIN_NET_BRIDGE,
};

/* libvirt's prefix for the tap names it generates; a <target dev='vnet...'>
 * read from XML is live state of an earlier run and is dropped, as libvirt
 * does (except on an unmanaged ethernet tap, which is the user's). */
#define DOMAIN_NET_TAP_PREFIX "vnet"

struct domain_net {
    enum domain_net_type type;
    char *bridge;          /* <source bridge=...> */
    char *target_dev;      /* <target dev=...> (tap name); NULL: named at start */
    bool unmanaged;        /* <target managed='no'/>: an existing tap, skiff opens it */
    char mac[18];          /* "52:54:00:xx:xx:xx", generated if absent */
    unsigned queues;       /* <driver queues=...>: queue pairs, 0 = default */
    unsigned mtu;
    bool tap_created;      /* live: the daemon created target_dev for this run */
};

/* The daemon creates (and at stop deletes) the tap of a bridge interface and
 * of a managed ethernet one; skiff opens an unmanaged one by its name. */
bool domain_net_daemon_creates_tap(const struct domain_net *net);

enum domain_chr_type {
    DOMAIN_CHR_PTY,
};

struct domain_chr {
    enum domain_chr_type type;
    char *tty;             /* live: the pty path, filled by the driver */
};

typedef struct domain_def {
    char *name;
    uint8_t uuid[16];
    char *title;
    char *description;
    char *metadata;                /* <metadata>, kept as found (serialised XML); NULL if absent */
    uint64_t memory_kib;           /* <memory> */
    uint64_t current_memory_kib;   /* <currentMemory>, = memory_kib if absent */
    unsigned vcpus_max;            /* <vcpu>N</vcpu> */
    unsigned vcpus_current;        /* <vcpu current=...>, = vcpus_max if absent */
    char *os_arch;                 /* "x86_64" */
    char *kernel;
    char *initrd;
    char *cmdline;
    char *loader;                  /* <loader>: refused by translation for now */
    bool feature_acpi;
    bool feature_apic;
    bool cpu_host_passthrough;
    char *clock_offset;            /* "utc" (only value accepted) */
    enum domain_lifecycle_action on_poweroff;
    enum domain_lifecycle_action on_reboot;
    enum domain_lifecycle_action on_crash;
    char *emulator;                /* <emulator>, NULL: the default skiff */
    GPtrArray *disks;              /* struct domain_disk * */
    GPtrArray *nets;               /* struct domain_net * */
    bool has_serial;               /* <serial type='pty'> */
    bool has_console;              /* <console type='pty'> on the serial target */
    bool has_virtio_console;       /* <console type='pty'><target type='virtio'/> */
    struct domain_chr serial;
    struct domain_chr console;     /* the virtio console (its tty) */
    bool has_rng;                  /* <rng model='virtio'><backend model='random'>/dev/urandom */
    char *rng_source;
    bool memballoon_virtio;        /* <memballoon model='virtio'>; 'none' = false */
} domain_def;

/* An empty definition whose disk and net arrays own their elements. */
domain_def *domain_def_new(void);
void domain_def_free(domain_def *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(domain_def, domain_def_free)

/* skiff's vCPU limit (the backend's cpus.max_vcpus). */
#define DOMAIN_VCPUS_MAX 254
/* 4 PiB: x86-64's 52-bit physical addresses. */
#define DOMAIN_MEMORY_MAX_KIB (UINT64_C(1) << 42)

enum {
    DOMAIN_PARSE_VALIDATE = 1 << 0,   /* check against libvirt's domain.rng first */
};

/* Parses a domain XML document. A missing <uuid> is generated. */
domain_def *domain_def_parse_string(const char *xml, unsigned flags, GError **error);

enum {
    DOMAIN_FORMAT_INACTIVE = 1 << 0,  /* leave out live-only state (pty paths, ids) */
    DOMAIN_FORMAT_SECURE = 1 << 1,
};

/* id: the live domain id, or -1 when inactive. */
char *domain_def_format(const domain_def *def, int id, unsigned flags);

/* The backend VmConfig (Cloud Hypervisor's JSON, as skiff's vm.create takes
 * it) for this domain. default_emulator is unused here; serial_socket etc.
 * are decided by the driver. Refuses (VIR_ERR_CONFIG_UNSUPPORTED) what the
 * backend cannot run yet. Device ids: a disk's is its target dev ("vda"),
 * so that vm.info and virsh domblklist name disks alike; a net's is libvirt's
 * alias "net<index>". A net whose tap the daemon creates and has not named
 * yet (before start) goes out without net[i].tap, which skiff refuses: the
 * driver names and creates taps (driver/bridge-tap.h) before it translates
 * for a start. */
char *domain_def_to_vm_config_json(const domain_def *def, GError **error);

/* Deep copy. */
domain_def *domain_def_copy(const domain_def *def);

/* uuid text form "xxxxxxxx-xxxx-..." to and from bytes. */
void domain_uuid_format(const uint8_t uuid[16], char out[37]);
int domain_uuid_parse(const char *s, uint8_t uuid[16]);
