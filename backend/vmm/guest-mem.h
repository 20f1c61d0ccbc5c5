/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 4

struct guest_region {
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
};

typedef struct guest_mem {
    struct guest_region regions[GUEST_MEM_MAX_REGIONS];
    unsigned n_regions;
    uint64_t ram_size;       /* sum of region sizes */
    bool shared;
    bool hugepages;
    bool borrowed;           /* from guest_mem_new_from_buffer: not unmapped */
} guest_mem;

/* Anonymous mappings for the x86-64 layout: RAM below the 32-bit gap, the rest above 4 GiB. */
guest_mem *guest_mem_new(uint64_t ram_size, bool shared, bool hugepages, GError **error);
/* For unit tests: one region at gpa 0 backed by a caller-owned buffer. */
guest_mem *guest_mem_new_from_buffer(void *buf, uint64_t size);
void guest_mem_free(guest_mem *gm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(guest_mem, guest_mem_free)

/* Host pointer for [gpa, gpa+len) if it lies wholly inside one RAM region, else NULL.
 * Every guest-supplied address goes through this (overflow-safe). */
void *guest_mem_ptr(const guest_mem *gm, uint64_t gpa, uint64_t len);
int guest_mem_write(const guest_mem *gm, uint64_t gpa, const void *src, uint64_t len, GError **error);
int guest_mem_read(const guest_mem *gm, uint64_t gpa, void *dst, uint64_t len, GError **error);
/* Highest gpa+1 of RAM below 4 GiB. */
uint64_t guest_mem_end_below_4g(const guest_mem *gm);
