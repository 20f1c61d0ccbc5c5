/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vmm/guest-mem.h"

#include <inttypes.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/mman.h>

#include "arch/x86_64/layout.h"
#include "vmm/error.h"

static void *map_ram(uint64_t size, bool shared, bool hugepages, GError **error)
{
    int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;
    void *p;

    /* Huge pages are reserved at mmap time, so a pool that is too small fails here
     * with a message rather than as SIGBUS when the guest touches the memory. */
    flags |= hugepages ? MAP_HUGETLB : MAP_NORESERVE;
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    _("cannot map %" PRIu64 " MiB of guest memory%s: %s"), size >> 20,
                    hugepages ? _(" in huge pages") : "", g_strerror(errno));
        return NULL;
    }
    /* Guest RAM has no business in a core dump of the VMM. */
    madvise(p, size, MADV_DONTDUMP);
    return p;
}

guest_mem *guest_mem_new(uint64_t ram_size, bool shared, bool hugepages, GError **error)
{
    g_autoptr(guest_mem) gm = g_new0(guest_mem, 1);
    uint64_t low = MIN(ram_size, LAYOUT_MEM_32BIT_GAP);
    uint64_t high = ram_size - low;

    gm->shared = shared;
    gm->hugepages = hugepages;
    gm->ram_size = ram_size;
    if (low) {
        gm->regions[gm->n_regions].host = map_ram(low, shared, hugepages, error);
        if (!gm->regions[gm->n_regions].host)
            return NULL;
        gm->regions[gm->n_regions].gpa = 0;
        gm->regions[gm->n_regions++].size = low;
    }
    if (high) {
        gm->regions[gm->n_regions].host = map_ram(high, shared, hugepages, error);
        if (!gm->regions[gm->n_regions].host)
            return NULL;
        gm->regions[gm->n_regions].gpa = LAYOUT_RAM_ABOVE_4G;
        gm->regions[gm->n_regions++].size = high;
    }
    return g_steal_pointer(&gm);
}

guest_mem *guest_mem_new_from_buffer(void *buf, uint64_t size)
{
    guest_mem *gm = g_new0(guest_mem, 1);

    gm->regions[0] = (struct guest_region){ .gpa = 0, .size = size, .host = buf };
    gm->n_regions = 1;
    gm->ram_size = size;
    gm->borrowed = true;
    return gm;
}

void guest_mem_free(guest_mem *gm)
{
    if (!gm)
        return;
    if (!gm->borrowed) {
        for (unsigned i = 0; i < gm->n_regions; i++)
            munmap(gm->regions[i].host, gm->regions[i].size);
    }
    g_free(gm);
}

void *guest_mem_ptr(const guest_mem *gm, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < gm->n_regions; i++) {
        const struct guest_region *r = &gm->regions[i];

        if (gpa < r->gpa || gpa - r->gpa >= r->size)
            continue;
        if (len > r->size - (gpa - r->gpa))
            return NULL;
        return r->host + (gpa - r->gpa);
    }
    return NULL;
}

static int check_range(const guest_mem *gm, uint64_t gpa, uint64_t len, void **p, GError **error)
{
    *p = guest_mem_ptr(gm, gpa, len);
    if (!*p) {
        g_set_error(error, SKIFF_ERROR, SKIFF_ERROR_INVALID,
                    _("guest range 0x%" PRIx64 "+0x%" PRIx64
                      " is outside guest RAM"), gpa, len);
        return -1;
    }
    return 0;
}

int guest_mem_write(const guest_mem *gm, uint64_t gpa, const void *src, uint64_t len, GError **error)
{
    void *p;

    if (check_range(gm, gpa, len, &p, error) < 0)
        return -1;
    memcpy(p, src, len);
    return 0;
}

int guest_mem_read(const guest_mem *gm, uint64_t gpa, void *dst, uint64_t len, GError **error)
{
    void *p;

    if (check_range(gm, gpa, len, &p, error) < 0)
        return -1;
    memcpy(dst, p, len);
    return 0;
}

uint64_t guest_mem_end_below_4g(const guest_mem *gm)
{
    uint64_t end = 0;

    for (unsigned i = 0; i < gm->n_regions; i++) {
        const struct guest_region *r = &gm->regions[i];

        if (r->gpa < LAYOUT_RAM_ABOVE_4G)
            end = MAX(end, MIN(r->gpa + r->size, LAYOUT_RAM_ABOVE_4G));
    }
    return end;
}
