/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "arch/x86_64/e820.h"
#include "hv/hv.h"
#include "vmm/guest-mem.h"

enum boot_entry_mode {
    BOOT_ENTRY_PVH32,     /* 32-bit protected mode, paging off, ebx = hvm_start_info */
    BOOT_ENTRY_LINUX64,   /* 64-bit long mode, identity map, rsi = boot_params */
};

struct boot_config {
    const char *kernel;      /* path: PVH ELF (with the Xen PVH note) or bzImage */
    const char *initramfs;   /* path or NULL */
    const char *cmdline;     /* or NULL */
    uint64_t rsdp_gpa;       /* 0 if no ACPI */
    const struct e820_map *e820;   /* NULL: e820_build(gm) */
};

struct boot_info {
    enum boot_entry_mode mode;
    uint64_t entry;          /* guest-physical entry point */
    uint64_t param;          /* PVH: hvm_start_info gpa; LINUX64: boot_params gpa */
};

/* Detects the format (ELF with PVH note, else bzImage) and loads kernel,
 * initramfs and command line; fills the boot structures. On error the
 * message names the file and what is wrong with it. */
int boot_load(guest_mem *gm, const struct boot_config *cfg, struct boot_info *out, GError **error);

/* Format-specific loaders, from memory (so tests and fuzzers need no files). */
int pvh_load(guest_mem *gm, const uint8_t *image, size_t size, const struct boot_config *cfg,
             const uint8_t *initrd, size_t initrd_size, struct boot_info *out, GError **error);
int bzimage_load(guest_mem *gm, const uint8_t *image, size_t size, const struct boot_config *cfg,
                 const uint8_t *initrd, size_t initrd_size, struct boot_info *out, GError **error);

/* Boot CPU state for the entry mode: GDT, page tables, registers. */
int boot_setup_bsp(const struct hv_ops *ops, hv_vcpu *vcpu, guest_mem *gm,
                   const struct boot_info *info, GError **error);

GQuark boot_error_quark(void);
#define BOOT_ERROR boot_error_quark()

enum boot_error_code {
    BOOT_ERROR_FILE,       /* a file is missing, unreadable or empty */
    BOOT_ERROR_FORMAT,     /* the image is malformed or of an unsupported kind */
    BOOT_ERROR_NO_SPACE,   /* kernel, initramfs or command line does not fit */
};

/* Helpers shared by the loaders (boot.c). */
struct boot_range {
    uint64_t start;
    uint64_t end;          /* exclusive */
};

/* The highest page-aligned gpa at or above LAYOUT_HIGH_MEMORY where size bytes
 * end at or below limit, lie in guest RAM and overlap none of avoid[]. */
int boot_place_initrd(const guest_mem *gm, uint64_t limit, uint64_t size,
                      const struct boot_range *avoid, unsigned n_avoid, uint64_t *gpa,
                      GError **error);
/* Checks that cmdline (NULL: empty) with its NUL fits in max_size bytes and in RAM
 * at LAYOUT_CMDLINE; returns where to copy it and how many bytes (NUL included). */
int boot_cmdline_prepare(const guest_mem *gm, const char *cmdline, uint64_t max_size,
                         void **dst, size_t *size, GError **error);
