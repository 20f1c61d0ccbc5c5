/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linux bzImage through the 64-bit boot protocol (Documentation/arch/x86/
 * boot.rst): the protected-mode kernel is copied to its load address, a
 * zero page (boot_params) carries the setup header, command line, initramfs
 * and e820 map, and the vCPU enters at load address + 0x200 in long mode
 * with rsi = boot_params. The image is hostile input: everything is checked
 * before guest memory is written.
 */
#include <inttypes.h>
#include <glib.h>
#include <glib/gi18n.h>
#include <string.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"

/* Offsets of the setup header, in the image and in boot_params alike. */
#define HDR_SETUP_SECTS        0x1f1
#define HDR_SYSSIZE            0x1f4
#define HDR_VID_MODE           0x1fa
#define HDR_JUMP               0x200   /* the byte at 0x201 is the header's length past 0x202 */
#define HDR_MAGIC              0x202   /* "HdrS" */
#define HDR_VERSION            0x206
#define HDR_TYPE_OF_LOADER     0x210
#define HDR_LOADFLAGS          0x211
#define HDR_RAMDISK_IMAGE      0x218
#define HDR_RAMDISK_SIZE       0x21c
#define HDR_CMD_LINE_PTR       0x228
#define HDR_INITRD_ADDR_MAX    0x22c
#define HDR_KERNEL_ALIGNMENT   0x230
#define HDR_RELOCATABLE        0x234
#define HDR_XLOADFLAGS         0x236
#define HDR_CMDLINE_SIZE       0x238
#define HDR_PREF_ADDRESS       0x258
#define HDR_INIT_SIZE          0x260
#define HDR_END_2_12           0x268   /* everything read here lies below */

/* boot_params fields outside the setup header. */
#define BP_ACPI_RSDP_ADDR      0x070
#define BP_E820_ENTRIES        0x1e8
#define BP_HDR_AREA_END        0x290   /* the setup header may use up to here */
#define BP_E820_TABLE          0x2d0
#define BP_E820_MAX            128
#define BP_SIZE                0x1000

#define LOADED_HIGH            0x01
#define XLF_KERNEL_64          0x0001

#define BOOT_PROTO_MIN         0x020c  /* 2.12: xloadflags, for the 64-bit entry */
#define BOOT_PROTO_RSDP        0x020e  /* 2.14: acpi_rsdp_addr */
#define SETUP_SECTS_DEFAULT    4
#define SECTOR_SIZE            512
#define ENTRY64_OFFSET         0x200
#define TYPE_OF_LOADER_UNKNOWN 0xff
#define VID_MODE_NORMAL        0xffff
#define PAGE_SIZE              4096ULL

/* One boot_params e820 entry: packed, 20 bytes. */
struct bp_e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

G_STATIC_ASSERT(sizeof(struct bp_e820_entry) == 20);
G_STATIC_ASSERT(BP_E820_TABLE + BP_E820_MAX * sizeof(struct bp_e820_entry) <= BP_SIZE);
G_STATIC_ASSERT(E820_MAX_ENTRIES <= BP_E820_MAX);

/* What the loader needs from the header, read once from the image. */
struct bz_header {
    uint16_t version;
    uint8_t loadflags;
    uint16_t xloadflags;
    uint64_t setup_size;      /* bytes of real-mode setup, boot sector included */
    uint64_t kernel_size;     /* syssize * 16 */
    uint32_t initrd_addr_max;
    uint32_t kernel_alignment;
    uint8_t relocatable;
    uint32_t cmdline_size;
    uint64_t pref_address;
    uint32_t init_size;
};

static uint16_t get16(const uint8_t *p, size_t off)
{
    return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t get32(const uint8_t *p, size_t off)
{
    return (uint32_t)get16(p, off) | (uint32_t)get16(p, off + 2) << 16;
}

static uint64_t get64(const uint8_t *p, size_t off)
{
    return (uint64_t)get32(p, off) | (uint64_t)get32(p, off + 4) << 32;
}

static void put16(uint8_t *p, size_t off, uint16_t v)
{
    p[off] = v & 0xff;
    p[off + 1] = v >> 8;
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
    put16(p, off, v & 0xffff);
    put16(p, off + 2, v >> 16);
}

static void put64(uint8_t *p, size_t off, uint64_t v)
{
    put32(p, off, v & 0xffffffff);
    put32(p, off + 4, v >> 32);
}

static int header_parse(const uint8_t *image, size_t size, struct bz_header *h, GError **error)
{
    unsigned setup_sects;

    if (size < HDR_MAGIC + 4 || memcmp(image + HDR_MAGIC, "HdrS", 4) != 0) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("not a bzImage: no \"HdrS\" signature at offset 0x%x"), HDR_MAGIC);
        return -1;
    }
    if (size < HDR_VERSION + 2) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("bzImage is too short for its setup header (%zu bytes)"), size);
        return -1;
    }
    h->version = get16(image, HDR_VERSION);
    if (h->version < BOOT_PROTO_MIN) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("bzImage uses boot protocol %u.%02u; at least %u.%02u is needed for the "
                      "64-bit entry"),
                    h->version >> 8, h->version & 0xff, BOOT_PROTO_MIN >> 8, BOOT_PROTO_MIN & 0xff);
        return -1;
    }
    if (size < HDR_END_2_12) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("bzImage is too short for its setup header (%zu bytes)"), size);
        return -1;
    }

    setup_sects = image[HDR_SETUP_SECTS];
    if (setup_sects == 0) {
        setup_sects = SETUP_SECTS_DEFAULT;
    }
    h->setup_size = (uint64_t)(setup_sects + 1) * SECTOR_SIZE;
    h->kernel_size = (uint64_t)get32(image, HDR_SYSSIZE) * 16;
    /* Both terms are far below 2^64: setup <= 128 KiB, kernel < 64 GiB. */
    if (size < h->setup_size + h->kernel_size) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("bzImage is truncated: %zu bytes, the header announces %" PRIu64
                      " bytes of setup and %" PRIu64 " bytes of kernel"),
                    size, h->setup_size, h->kernel_size);
        return -1;
    }
    if (h->kernel_size == 0) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("bzImage holds no protected-mode kernel (syssize is 0)"));
        return -1;
    }

    h->loadflags = image[HDR_LOADFLAGS];
    h->xloadflags = get16(image, HDR_XLOADFLAGS);
    h->initrd_addr_max = get32(image, HDR_INITRD_ADDR_MAX);
    h->kernel_alignment = get32(image, HDR_KERNEL_ALIGNMENT);
    h->relocatable = image[HDR_RELOCATABLE];
    h->cmdline_size = get32(image, HDR_CMDLINE_SIZE);
    h->pref_address = get64(image, HDR_PREF_ADDRESS);
    h->init_size = get32(image, HDR_INIT_SIZE);

    if (!(h->loadflags & LOADED_HIGH)) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("bzImage is not a high-loaded kernel (LOADED_HIGH is clear in loadflags)"));
        return -1;
    }
    if (!(h->xloadflags & XLF_KERNEL_64)) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("bzImage has no 64-bit entry point (XLF_KERNEL_64 is clear in xloadflags)"));
        return -1;
    }
    return 0;
}

/* Where the kernel goes: its preferred address if that fits, else (when it
 * is relocatable) the lowest suitably aligned address from 1 MiB. */
static int choose_load_address(const guest_mem *gm, const struct bz_header *h, uint64_t *load,
                               uint64_t *footprint, GError **error)
{
    uint64_t low_end = guest_mem_end_below_4g(gm);
    uint64_t need = MAX((uint64_t)h->init_size, h->kernel_size);
    uint64_t align;
    uint64_t addr;

    *footprint = need;
    if (h->pref_address >= LAYOUT_HIGH_MEMORY && h->pref_address <= low_end &&
        need <= low_end - h->pref_address) {
        *load = h->pref_address;
        return 0;
    }
    if (!h->relocatable) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_NO_SPACE,
                    _("the kernel is not relocatable and does not fit at its preferred address "
                      "0x%" PRIx64 " (%" PRIu64 " bytes; guest RAM below "
                      "4 GiB ends at 0x%" PRIx64 ")"),
                    h->pref_address, need, low_end);
        return -1;
    }
    align = h->kernel_alignment;
    if (align == 0 || (align & (align - 1)) != 0) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("bzImage kernel_alignment 0x%" PRIx64 " is not a power of two"),
                    align);
        return -1;
    }
    addr = (LAYOUT_HIGH_MEMORY + align - 1) & ~(align - 1);   /* align < 2^32: no overflow */
    if (addr > low_end || need > low_end - addr) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_NO_SPACE,
                    _("the kernel needs %" PRIu64 " bytes at 0x%" PRIx64 "; "
                      "guest RAM below 4 GiB ends at 0x%" PRIx64 ""),
                    need, addr, low_end);
        return -1;
    }
    *load = addr;
    return 0;
}

static void zero_page_fill(uint8_t *bp, const uint8_t *image, const struct bz_header *h,
                           const struct boot_config *cfg, const struct e820_map *e820,
                           uint64_t initrd_gpa, uint64_t initrd_size)
{
    /* The header ends at 0x202 + the jump's offset byte; never past its area. */
    size_t hdr_end = MIN((size_t)HDR_MAGIC + image[HDR_JUMP + 1], (size_t)BP_HDR_AREA_END);
    unsigned n = MIN(e820->n, (unsigned)E820_MAX_ENTRIES);

    memset(bp, 0, BP_SIZE);
    /* header_parse guaranteed setup_size >= 1024 > BP_HDR_AREA_END bytes of image. */
    memcpy(bp + HDR_SETUP_SECTS, image + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);

    bp[HDR_TYPE_OF_LOADER] = TYPE_OF_LOADER_UNKNOWN;
    put16(bp, HDR_VID_MODE, VID_MODE_NORMAL);
    put32(bp, HDR_CMD_LINE_PTR, LAYOUT_CMDLINE);
    put32(bp, HDR_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
    put32(bp, HDR_RAMDISK_SIZE, (uint32_t)initrd_size);
    if (h->version >= BOOT_PROTO_RSDP) {
        put64(bp, BP_ACPI_RSDP_ADDR, cfg->rsdp_gpa);
    }
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        struct bp_e820_entry e = {
            .addr = e820->entries[i].addr,
            .size = e820->entries[i].size,
            .type = e820->entries[i].type,
        };

        memcpy(bp + BP_E820_TABLE + i * sizeof(e), &e, sizeof(e));
    }
}

int bzimage_load(guest_mem *gm, const uint8_t *image, size_t size, const struct boot_config *cfg,
                 const uint8_t *initrd, size_t initrd_size, struct boot_info *out, GError **error)
{
    struct bz_header h;
    uint64_t load;
    uint64_t footprint;
    uint64_t initrd_gpa = 0;
    uint8_t *kernel_dst;
    uint8_t *bp;
    void *cmdline_dst;
    size_t cmdline_size;
    struct e820_map built;
    const struct e820_map *e820 = cfg->e820;

    if (header_parse(image, size, &h, error) < 0) {
        return -1;
    }
    if (choose_load_address(gm, &h, &load, &footprint, error) < 0) {
        return -1;
    }
    kernel_dst = guest_mem_ptr(gm, load, footprint);
    if (kernel_dst == NULL) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_NO_SPACE,
                    _("the kernel at 0x%" PRIx64 " (%" PRIu64 " bytes) is "
                      "not in guest RAM"),
                    load, footprint);
        return -1;
    }
    bp = guest_mem_ptr(gm, LAYOUT_ZERO_PAGE, BP_SIZE);
    if (bp == NULL) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_NO_SPACE,
                    _("guest RAM is too small for the zero page at 0x%llx"), LAYOUT_ZERO_PAGE);
        return -1;
    }
    /* cmdline_size excludes the NUL; a kernel may announce more than we have room for. */
    if (boot_cmdline_prepare(gm, cfg->cmdline,
                             MIN((uint64_t)h.cmdline_size + 1, LAYOUT_CMDLINE_MAX),
                             &cmdline_dst, &cmdline_size, error) < 0) {
        return -1;
    }
    if (initrd != NULL && initrd_size > 0) {
        struct boot_range kernel_range = { load, load + footprint };

        if (initrd_size > G_MAXUINT32) {
            g_set_error(error, BOOT_ERROR, BOOT_ERROR_NO_SPACE,
                        _("initramfs (%zu bytes) is larger than 4 GiB"), initrd_size);
            return -1;
        }
        /* initrd_addr_max is the highest byte the initramfs may occupy. */
        if (boot_place_initrd(gm, (uint64_t)h.initrd_addr_max + 1, initrd_size, &kernel_range, 1,
                              &initrd_gpa, error) < 0) {
            return -1;
        }
    }
    if (e820 == NULL) {
        e820_build(gm, &built);
        e820 = &built;
    }

    /* Everything is checked: from here on nothing fails. */
    memcpy(kernel_dst, image + h.setup_size, h.kernel_size);
    memcpy(cmdline_dst, cfg->cmdline != NULL ? cfg->cmdline : "", cmdline_size);
    if (initrd_gpa != 0) {
        memcpy(guest_mem_ptr(gm, initrd_gpa, initrd_size), initrd, initrd_size);
    }
    zero_page_fill(bp, image, &h, cfg, e820, initrd_gpa, initrd_size);

    out->mode = BOOT_ENTRY_LINUX64;
    out->entry = load + ENTRY64_OFFSET;
    out->param = LAYOUT_ZERO_PAGE;
    return 0;
}
