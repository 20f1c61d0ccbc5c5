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
 * tty=>. A <console> on the serial target implies the <serial>, as in libvirt.
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

enum domain_disk_cache {
    DOMAIN_DISK_CACHE_DEFAULT,
    DOMAIN_DISK_CACHE_NONE,         /* → direct=on */
};

struct domain_disk {
    char *source;          /* <source file=...> */
    char *target_dev;      /* <target dev='vda' bus='virtio'/> */
    bool readonly;
    char *serial;
    enum domain_disk_cache cache;
    unsigned queues;       /* <driver queues=...>, 0 = default */
};

enum domain_net_type {
    DOMAIN_NET_ETHERNET,
    DOMAIN_NET_BRIDGE,
};

struct domain_net {
    enum domain_net_type type;
    char *bridge;          /* <source bridge=...> */
    char *target_dev;      /* <target dev=...> (tap name), may be NULL */
    char mac[18];          /* "52:54:00:xx:xx:xx", generated if absent */
    unsigned queues;
    unsigned mtu;
};

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
    bool has_console;              /* <console type='pty'> (target serial or virtio) */
    bool console_virtio;           /* that console's target type is 'virtio' (else: the serial) */
    struct domain_chr serial;
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
 * backend cannot run yet. */
char *domain_def_to_vm_config_json(const domain_def *def, GError **error);

/* Deep copy. */
domain_def *domain_def_copy(const domain_def *def);

/* uuid text form "xxxxxxxx-xxxx-..." to and from bytes. */
void domain_uuid_format(const uint8_t uuid[16], char out[37]);
int domain_uuid_parse(const char *s, uint8_t uuid[16]);
