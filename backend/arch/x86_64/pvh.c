/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PVH boot: an ELF kernel whose Xen note XEN_ELFNOTE_PHYS32_ENTRY names a
 * 32-bit entry point that takes ebx = hvm_start_info. The image is hostile
 * input: every offset and size is checked (overflow-safe) against the file
 * and against guest RAM, and everything is validated before guest memory is
 * written, so a rejected image leaves the guest untouched.
 */
#include <inttypes.h>
#include <elf.h>
#include <glib.h>
#include <glib/gi18n.h>
#include <string.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* Xen public/arch-x86/hvm/start_info.h: an ABI shared with every PVH kernel. */
#define HVM_START_MAGIC_VALUE 0x336ec578u
#define HVM_START_INFO_VERSION 1

struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;      /* version 1 */
    uint32_t memmap_entries;    /* version 1 */
    uint32_t reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

struct hvm_memmap_table_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;              /* same values as e820 */
    uint32_t reserved;
};

G_STATIC_ASSERT(sizeof(struct hvm_start_info) == 56);
G_STATIC_ASSERT(sizeof(struct hvm_modlist_entry) == 32);
G_STATIC_ASSERT(sizeof(struct hvm_memmap_table_entry) == 24);

/* Everything lives in the page(s) between LAYOUT_PVH_START_INFO and the zero page. */
#define PVH_AREA_SIZE    (LAYOUT_ZERO_PAGE - LAYOUT_PVH_START_INFO)
#define PVH_MEMMAP_OFF   64
#define PVH_MODLIST_OFF  (PVH_MEMMAP_OFF + E820_MAX_ENTRIES * sizeof(struct hvm_memmap_table_entry))
G_STATIC_ASSERT(PVH_MODLIST_OFF + sizeof(struct hvm_modlist_entry) <= PVH_AREA_SIZE);
G_STATIC_ASSERT(sizeof(struct hvm_start_info) <= PVH_MEMMAP_OFF);

/* ELF32 and ELF64 headers normalised to one shape. */
struct elf_file {
    const uint8_t *data;
    size_t size;
    bool is64;
    uint64_t phoff;
    uint64_t phentsize;
    uint64_t phnum;
    uint64_t shoff;
    uint64_t shentsize;
    uint64_t shnum;
};

struct elf_seg {
    uint32_t type;
    uint64_t offset;
    uint64_t paddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};

/* Is [off, off+len) inside the file? */
static bool in_file(const struct elf_file *elf, uint64_t off, uint64_t len)
{
    uint64_t end;

    return g_uint64_checked_add(&end, off, len) && end <= elf->size;
}

/* Is a table of num entries of entsize bytes at off inside the file? */
static bool table_in_file(const struct elf_file *elf, uint64_t off, uint64_t entsize, uint64_t num)
{
    uint64_t len;

    return g_uint64_checked_mul(&len, entsize, num) && in_file(elf, off, len);
}

static int elf_parse_header(struct elf_file *elf, const uint8_t *image, size_t size, GError **error)
{
    unsigned machine;
    unsigned type;

    memset(elf, 0, sizeof(*elf));
    elf->data = image;
    elf->size = size;

    if (size < EI_NIDENT || memcmp(image, ELFMAG, SELFMAG) != 0) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT, _("not an ELF file"));
        return -1;
    }
    if (image[EI_CLASS] != ELFCLASS32 && image[EI_CLASS] != ELFCLASS64) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("unsupported ELF class %u (want 32- or 64-bit)"), image[EI_CLASS]);
        return -1;
    }
    if (image[EI_DATA] != ELFDATA2LSB) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT, _("ELF file is not little-endian"));
        return -1;
    }
    elf->is64 = image[EI_CLASS] == ELFCLASS64;

    /* The two classes differ only in field widths: read either into the same fields. */
#define READ_EHDR(Ehdr)                                                                     \
    do {                                                                                    \
        Ehdr eh;                                                                            \
                                                                                            \
        if (size < sizeof(eh)) {                                                            \
            g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,                               \
                        _("truncated ELF header (%zu bytes, need %zu)"), size, sizeof(eh)); \
            return -1;                                                                      \
        }                                                                                   \
        memcpy(&eh, image, sizeof(eh));                                                     \
        machine = eh.e_machine;                                                             \
        type = eh.e_type;                                                                   \
        elf->phoff = eh.e_phoff;                                                            \
        elf->phentsize = eh.e_phentsize;                                                    \
        elf->phnum = eh.e_phnum;                                                            \
        elf->shoff = eh.e_shoff;                                                            \
        elf->shentsize = eh.e_shentsize;                                                    \
        elf->shnum = eh.e_shnum;                                                            \
    } while (0)
    if (elf->is64)
        READ_EHDR(Elf64_Ehdr);
    else
        READ_EHDR(Elf32_Ehdr);
#undef READ_EHDR

    if ((elf->is64 && machine != EM_X86_64) || (!elf->is64 && machine != EM_386)) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("ELF machine %u is not x86 (want %u for ELF64 or %u for ELF32)"),
                    machine, EM_X86_64, EM_386);
        return -1;
    }
    if (type != ET_EXEC) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("ELF type %u is not an executable"), type);
        return -1;
    }
    if (elf->phnum == 0 || elf->phnum == PN_XNUM) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("ELF file has no usable program headers (e_phnum %" PRIu64 ")"),
                    elf->phnum);
        return -1;
    }
    if (elf->phentsize < (elf->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr))) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("ELF program header size %" PRIu64 " is too small"),
                    elf->phentsize);
        return -1;
    }
    if (!table_in_file(elf, elf->phoff, elf->phentsize, elf->phnum)) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("ELF program headers lie outside the file"));
        return -1;
    }
    return 0;
}

/* Program header i; the table was checked by elf_parse_header. */
static void elf_get_seg(const struct elf_file *elf, uint64_t i, struct elf_seg *seg)
{
    const uint8_t *p = elf->data + elf->phoff + i * elf->phentsize;

    if (elf->is64) {
        Elf64_Phdr ph;

        memcpy(&ph, p, sizeof(ph));
        *seg = (struct elf_seg){ ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz,
                                 ph.p_align };
    } else {
        Elf32_Phdr ph;

        memcpy(&ph, p, sizeof(ph));
        *seg = (struct elf_seg){ ph.p_type, ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz,
                                 ph.p_align };
    }
}

/* Looks for the PVH entry note in notes[0..len). Notes are 4-byte aligned
 * except in 8-aligned ELF64 note segments. Returns -1 on a malformed PVH
 * note, 1 when found, 0 when not there. */
static int notes_find_entry(const uint8_t *notes, uint64_t len, uint64_t align, uint64_t *entry,
                            GError **error)
{
    uint64_t off = 0;

    align = align == 8 ? 8 : 4;
    while (len - off >= sizeof(Elf32_Nhdr)) {
        Elf32_Nhdr nh;
        uint64_t name_len;
        uint64_t desc_len;
        const uint8_t *name;
        const uint8_t *desc;

        memcpy(&nh, notes + off, sizeof(nh));
        off += sizeof(nh);
        name_len = ((uint64_t)nh.n_namesz + align - 1) & ~(align - 1);
        desc_len = ((uint64_t)nh.n_descsz + align - 1) & ~(align - 1);
        if (name_len > len - off) {
            return 0;   /* a broken note ends the walk; others may still hold the entry */
        }
        name = notes + off;
        off += name_len;
        if (nh.n_descsz > len - off) {
            return 0;
        }
        desc = notes + off;
        off += MIN(desc_len, len - off);

        if (nh.n_type != XEN_ELFNOTE_PHYS32_ENTRY || nh.n_namesz != 4 ||
            memcmp(name, "Xen", 4) != 0) {
            continue;
        }
        if (nh.n_descsz == 4) {
            uint32_t v;

            memcpy(&v, desc, 4);
            *entry = v;
        } else if (nh.n_descsz == 8) {
            /* Linux writes the note with _ASM_PTR: 8 bytes in a 64-bit build. */
            uint64_t v;

            memcpy(&v, desc, 8);
            *entry = v;
        } else {
            g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                        _("malformed XEN_ELFNOTE_PHYS32_ENTRY note (%u bytes of data)"),
                        nh.n_descsz);
            return -1;
        }
        return 1;
    }
    return 0;
}

static int elf_find_pvh_entry(const struct elf_file *elf, uint64_t *entry, GError **error)
{
    for (uint64_t i = 0; i < elf->phnum; i++) {
        struct elf_seg seg;
        int r;

        elf_get_seg(elf, i, &seg);
        if (seg.type != PT_NOTE || !in_file(elf, seg.offset, seg.filesz)) {
            continue;
        }
        r = notes_find_entry(elf->data + seg.offset, seg.filesz, seg.align, entry, error);
        if (r != 0) {
            return r;
        }
    }

    /* Some linkers leave notes out of PT_NOTE; the section table still has them. */
    if (elf->shoff != 0 &&
        elf->shentsize >= (elf->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) &&
        table_in_file(elf, elf->shoff, elf->shentsize, elf->shnum)) {
        for (uint64_t i = 0; i < elf->shnum; i++) {
            const uint8_t *p = elf->data + elf->shoff + i * elf->shentsize;
            uint64_t off;
            uint64_t len;
            uint64_t align;
            uint32_t type;
            int r;

            if (elf->is64) {
                Elf64_Shdr sh;

                memcpy(&sh, p, sizeof(sh));
                type = sh.sh_type;
                off = sh.sh_offset;
                len = sh.sh_size;
                align = sh.sh_addralign;
            } else {
                Elf32_Shdr sh;

                memcpy(&sh, p, sizeof(sh));
                type = sh.sh_type;
                off = sh.sh_offset;
                len = sh.sh_size;
                align = sh.sh_addralign;
            }
            if (type != SHT_NOTE || !in_file(elf, off, len)) {
                continue;
            }
            r = notes_find_entry(elf->data + off, len, align, entry, error);
            if (r != 0) {
                return r;
            }
        }
    }

    g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                _("not a PVH kernel: no XEN_ELFNOTE_PHYS32_ENTRY note"));
    return -1;
}

/* Checks every PT_LOAD segment against the file and guest RAM; returns the
 * loaded ranges (at most phnum) in *ranges. */
static int elf_check_segments(const struct elf_file *elf, const guest_mem *gm,
                              struct boot_range *ranges, unsigned *n_ranges, GError **error)
{
    *n_ranges = 0;
    for (uint64_t i = 0; i < elf->phnum; i++) {
        struct elf_seg seg;
        uint64_t end;

        elf_get_seg(elf, i, &seg);
        if (seg.type != PT_LOAD || seg.memsz == 0) {
            continue;
        }
        if (seg.filesz > seg.memsz) {
            g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                        _("ELF segment %" PRIu64 " has a file size larger than its "
                          "memory size"),
                        i);
            return -1;
        }
        if (!in_file(elf, seg.offset, seg.filesz)) {
            g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                        _("ELF segment %" PRIu64 " (offset 0x%" PRIx64 ", "
                          "%" PRIu64 " bytes) lies beyond the end of the file "
                          "(%zu bytes)"),
                        i, seg.offset, seg.filesz, elf->size);
            return -1;
        }
        if (!g_uint64_checked_add(&end, seg.paddr, seg.memsz) || seg.paddr < LAYOUT_HIGH_MEMORY ||
            guest_mem_ptr(gm, seg.paddr, seg.memsz) == NULL) {
            g_set_error(error, BOOT_ERROR, BOOT_ERROR_NO_SPACE,
                        _("ELF segment %" PRIu64 " at physical address 0x%"
                          PRIx64 " (%" PRIu64 " bytes) does not fit in "
                          "guest RAM from 0x%llx"),
                        i, seg.paddr, seg.memsz, LAYOUT_HIGH_MEMORY);
            return -1;
        }
        ranges[*n_ranges] = (struct boot_range){ seg.paddr, end };
        (*n_ranges)++;
    }
    if (*n_ranges == 0) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT, _("ELF file has no loadable segments"));
        return -1;
    }
    return 0;
}

static void elf_copy_segments(const struct elf_file *elf, guest_mem *gm)
{
    for (uint64_t i = 0; i < elf->phnum; i++) {
        struct elf_seg seg;
        uint8_t *dst;

        elf_get_seg(elf, i, &seg);
        if (seg.type != PT_LOAD || seg.memsz == 0) {
            continue;
        }
        dst = guest_mem_ptr(gm, seg.paddr, seg.memsz);   /* checked before */
        memcpy(dst, elf->data + seg.offset, seg.filesz);
        memset(dst + seg.filesz, 0, seg.memsz - seg.filesz);
    }
}

int pvh_load(guest_mem *gm, const uint8_t *image, size_t size, const struct boot_config *cfg,
             const uint8_t *initrd, size_t initrd_size, struct boot_info *out, GError **error)
{
    struct elf_file elf;
    g_autofree struct boot_range *ranges = NULL;
    unsigned n_ranges;
    uint64_t entry = 0;
    bool entry_loaded = false;
    uint64_t initrd_gpa = 0;
    void *cmdline_dst;
    size_t cmdline_size;
    uint8_t *area;
    struct e820_map built;
    const struct e820_map *e820 = cfg->e820;
    struct hvm_start_info si = { 0 };

    if (elf_parse_header(&elf, image, size, error) < 0) {
        return -1;
    }
    if (elf_find_pvh_entry(&elf, &entry, error) < 0) {
        return -1;
    }
    ranges = g_new0(struct boot_range, elf.phnum);
    if (elf_check_segments(&elf, gm, ranges, &n_ranges, error) < 0) {
        return -1;
    }
    for (unsigned i = 0; i < n_ranges; i++) {
        if (entry >= ranges[i].start && entry < ranges[i].end) {
            entry_loaded = true;
        }
    }
    if (!entry_loaded || entry > G_MAXUINT32) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("PVH entry point 0x%" PRIx64 " is not inside a loaded 32-bit "
                      "segment"),
                    entry);
        return -1;
    }

    area = guest_mem_ptr(gm, LAYOUT_PVH_START_INFO, PVH_AREA_SIZE);
    if (area == NULL) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_NO_SPACE,
                    _("guest RAM is too small for the PVH start info at 0x%llx"),
                    LAYOUT_PVH_START_INFO);
        return -1;
    }
    if (boot_cmdline_prepare(gm, cfg->cmdline, LAYOUT_CMDLINE_MAX, &cmdline_dst, &cmdline_size,
                             error) < 0) {
        return -1;
    }
    if (initrd != NULL && initrd_size > 0 &&
        boot_place_initrd(gm, guest_mem_end_below_4g(gm), initrd_size, ranges, n_ranges,
                          &initrd_gpa, error) < 0) {
        return -1;
    }
    if (e820 == NULL) {
        e820_build(gm, &built);
        e820 = &built;
    }

    /* Everything is checked: from here on nothing fails. */
    elf_copy_segments(&elf, gm);
    memcpy(cmdline_dst, cfg->cmdline != NULL ? cfg->cmdline : "", cmdline_size);
    memset(area, 0, PVH_AREA_SIZE);

    si.magic = HVM_START_MAGIC_VALUE;
    si.version = HVM_START_INFO_VERSION;
    si.cmdline_paddr = LAYOUT_CMDLINE;
    si.rsdp_paddr = cfg->rsdp_gpa;
    si.memmap_paddr = LAYOUT_PVH_START_INFO + PVH_MEMMAP_OFF;
    si.memmap_entries = MIN(e820->n, E820_MAX_ENTRIES);
    for (unsigned i = 0; i < si.memmap_entries; i++) {
        struct hvm_memmap_table_entry me = {
            .addr = e820->entries[i].addr,
            .size = e820->entries[i].size,
            .type = e820->entries[i].type,
        };

        memcpy(area + PVH_MEMMAP_OFF + i * sizeof(me), &me, sizeof(me));
    }
    if (initrd_gpa != 0) {
        struct hvm_modlist_entry mod = { .paddr = initrd_gpa, .size = initrd_size };

        memcpy(guest_mem_ptr(gm, initrd_gpa, initrd_size), initrd, initrd_size);
        memcpy(area + PVH_MODLIST_OFF, &mod, sizeof(mod));
        si.nr_modules = 1;
        si.modlist_paddr = LAYOUT_PVH_START_INFO + PVH_MODLIST_OFF;
    }
    memcpy(area, &si, sizeof(si));

    out->mode = BOOT_ENTRY_PVH32;
    out->entry = entry;
    out->param = LAYOUT_PVH_START_INFO;
    return 0;
}
