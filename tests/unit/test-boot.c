/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel loaders on a buffer-backed guest memory: the e820 map, PVH ELF
 * (hand-built ELF32/ELF64 images) and bzImage (synthetic setup headers).
 * Expected values are ABI facts (Xen start_info.h, Linux boot.rst), read back
 * at raw offsets so that a wrong struct in the loader cannot hide itself.
 */
#include <inttypes.h>
#include <check.h>
#include <elf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/e820.h"
#include "arch/x86_64/layout.h"

#include "testutil.h"

#define MiB (1024ULL * 1024)
#define GiB (1024ULL * MiB)
#define FILL 0xaa

/* ---- helpers ---------------------------------------------------------- */

struct mem {
    uint8_t *buf;
    uint64_t size;
    guest_mem *gm;
    struct e820_map e820;
};

static void mem_init(struct mem *m, uint64_t size)
{
    m->size = size;
    m->buf = g_malloc(size);
    memset(m->buf, FILL, size);
    m->gm = guest_mem_new_from_buffer(m->buf, size);
    e820_build(m->gm, &m->e820);
}

static void mem_fini(struct mem *m)
{
    guest_mem_free(m->gm);
    g_free(m->buf);
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = v & 0xff; p[1] = v >> 8; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v & 0xffff); wr16(p + 2, v >> 16); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, v & 0xffffffff); wr32(p + 4, v >> 32); }

/* Every byte outside the listed [start, end) ranges still holds FILL. */
static void assert_untouched_except(const struct mem *m, const struct boot_range *keep, unsigned n)
{
    for (uint64_t a = 0; a < m->size; a++) {
        bool kept = false;

        for (unsigned i = 0; i < n && !kept; i++) {
            kept = a >= keep[i].start && a < keep[i].end;
        }
        if (!kept && m->buf[a] != FILL) {
            ck_abort_msg("guest byte at 0x%" PRIx64 " was written", a);
        }
    }
}

static void assert_untouched(const struct mem *m)
{
    assert_untouched_except(m, NULL, 0);
}

static void assert_error(GError *err, int code, const char *needle)
{
    ck_assert_msg(err != NULL, "expected an error containing '%s'", needle);
    ck_assert_msg(err->domain == BOOT_ERROR, "error domain %s", g_quark_to_string(err->domain));
    ck_assert_msg(strstr(err->message, needle) != NULL, "error '%s' lacks '%s'", err->message,
                  needle);
    ck_assert_int_eq(err->code, code);
}

/* ---- e820 --------------------------------------------------------------- */

static void assert_sorted_disjoint(const struct e820_map *map)
{
    ck_assert_uint_gt(map->n, 0);
    for (unsigned i = 0; i < map->n; i++) {
        ck_assert_uint_gt(map->entries[i].size, 0);
        if (i > 0) {
            ck_assert_uint_le(map->entries[i - 1].addr + map->entries[i - 1].size,
                              map->entries[i].addr);
        }
    }
}

static void assert_entry(const struct e820_map *map, unsigned i, uint64_t addr, uint64_t size,
                         uint32_t type)
{
    ck_assert_uint_lt(i, map->n);
    ck_assert_msg(map->entries[i].addr == addr && map->entries[i].size == size &&
                  map->entries[i].type == type,
                  "entry %u: 0x%" PRIx64 "+0x%" PRIx64 " type %u, want "
                  "0x%" PRIx64 "+0x%" PRIx64 " type %u",
                  i, (uint64_t)map->entries[i].addr, (uint64_t)map->entries[i].size,
                  map->entries[i].type, addr, size, type);
}

/* Regions laid out like guest_mem_new() does; e820_build never touches host memory. */
static guest_mem *fake_mem(uint64_t ram)
{
    guest_mem *gm = g_new0(guest_mem, 1);
    uint64_t low = MIN(ram, LAYOUT_MEM_32BIT_GAP);

    gm->regions[gm->n_regions++] = (struct guest_region){ .gpa = 0, .size = low };
    if (ram > low) {
        gm->regions[gm->n_regions++] =
            (struct guest_region){ .gpa = LAYOUT_RAM_ABOVE_4G, .size = ram - low };
    }
    gm->ram_size = ram;
    gm->borrowed = true;
    return gm;
}

START_TEST(e820_128m)
{
    g_autoptr(guest_mem) gm = fake_mem(128 * MiB);
    struct e820_map map;

    e820_build(gm, &map);
    assert_sorted_disjoint(&map);
    ck_assert_uint_eq(map.n, 5);
    assert_entry(&map, 0, 0, 0x9fc00, E820_RAM);
    assert_entry(&map, 1, 0x9fc00, 0xe0000 - 0x9fc00, E820_RESERVED);
    assert_entry(&map, 2, 0xe0000, 0x20000, E820_RESERVED);
    assert_entry(&map, 3, 1 * MiB, 127 * MiB, E820_RAM);
    assert_entry(&map, 4, 0xe0000000, 1 * MiB, E820_RESERVED);
}
END_TEST

START_TEST(e820_3g5)
{
    g_autoptr(guest_mem) gm = fake_mem(3 * GiB + 512 * MiB);
    struct e820_map map;

    e820_build(gm, &map);
    assert_sorted_disjoint(&map);
    ck_assert_uint_eq(map.n, 6);
    assert_entry(&map, 0, 0, 0x9fc00, E820_RAM);
    assert_entry(&map, 3, 1 * MiB, 3 * GiB - 1 * MiB, E820_RAM);
    assert_entry(&map, 4, 0xe0000000, 1 * MiB, E820_RESERVED);
    assert_entry(&map, 5, 4 * GiB, 512 * MiB, E820_RAM);
}
END_TEST

START_TEST(e820_exactly_3g)
{
    g_autoptr(guest_mem) gm = fake_mem(3 * GiB);
    struct e820_map map;

    e820_build(gm, &map);
    assert_sorted_disjoint(&map);
    ck_assert_uint_eq(map.n, 5);
    assert_entry(&map, 3, 1 * MiB, 3 * GiB - 1 * MiB, E820_RAM);
}
END_TEST

/* ---- PVH ---------------------------------------------------------------- */

#define ELF_SEG_DATA 0x1000      /* file offset of the segment's bytes */
#define ELF_SEG_LEN  0x100
#define ELF_NOTES    0x100
#define ELF_SHDRS    0x200
#define ELF_SIZE     (ELF_SEG_DATA + ELF_SEG_LEN)

struct elf_spec {
    bool is64;
    bool pt_note;            /* the PVH note in a PT_NOTE segment */
    bool sh_note;            /* the PVH note in an SHT_NOTE section */
    unsigned desc_size;      /* 4, or 8 as Linux writes it */
    uint16_t machine;
    uint64_t entry;
    uint64_t seg_offset;
    uint64_t seg_paddr;
    uint64_t seg_filesz;
    uint64_t seg_memsz;
};

static struct elf_spec elf_default(bool is64)
{
    return (struct elf_spec){
        .is64 = is64, .pt_note = true, .desc_size = 4,
        .machine = is64 ? EM_X86_64 : EM_386, .entry = 0x100010,
        .seg_offset = ELF_SEG_DATA, .seg_paddr = 0x100000,
        .seg_filesz = ELF_SEG_LEN, .seg_memsz = 0x2000,
    };
}

static size_t note_put(uint8_t *p, const char *name, uint32_t type, uint64_t desc,
                       unsigned desc_size)
{
    uint32_t namesz = strlen(name) + 1;
    size_t off = 12;

    wr32(p, namesz);
    wr32(p + 4, desc_size);
    wr32(p + 8, type);
    memcpy(p + off, name, namesz);
    off += (namesz + 3) & ~3u;
    if (desc_size == 8) {
        wr64(p + off, desc);
    } else {
        wr32(p + off, (uint32_t)desc);
    }
    return off + ((desc_size + 3) & ~3u);
}

/* Writes the image into img (ELF_SIZE bytes) and returns its size. */
static size_t elf_build(uint8_t *img, const struct elf_spec *s)
{
    size_t notes_len = 0;

    memset(img, 0, ELF_SIZE);
    for (unsigned i = 0; i < ELF_SEG_LEN; i++) {
        img[ELF_SEG_DATA + i] = (uint8_t)(i * 7 + 1);
    }
    /* Unrelated notes first: another vendor's, and Xen's with another type. */
    notes_len += note_put(img + ELF_NOTES + notes_len, "GNU", 18, 0xdead, 4);
    notes_len += note_put(img + ELF_NOTES + notes_len, "Xen", 1, 0xbeef, 4);
    notes_len += note_put(img + ELF_NOTES + notes_len, "Xen", 18, s->entry, s->desc_size);

    if (s->is64) {
        Elf64_Ehdr eh = { .e_type = ET_EXEC, .e_machine = s->machine, .e_version = EV_CURRENT,
                          .e_entry = 0xffffffff81000000ULL, .e_phoff = sizeof(Elf64_Ehdr),
                          .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
                          .e_phnum = 2 };
        Elf64_Phdr ph[2] = {
            { .p_type = PT_LOAD, .p_offset = s->seg_offset, .p_vaddr = 0xffffffff81000000ULL,
              .p_paddr = s->seg_paddr, .p_filesz = s->seg_filesz, .p_memsz = s->seg_memsz,
              .p_align = 0x1000 },
            { .p_type = s->pt_note ? PT_NOTE : PT_NULL, .p_offset = ELF_NOTES,
              .p_filesz = notes_len, .p_align = 4 },
        };

        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        if (s->sh_note) {
            Elf64_Shdr sh[2] = { { 0 }, { .sh_type = SHT_NOTE, .sh_offset = ELF_NOTES,
                                         .sh_size = notes_len, .sh_addralign = 4 } };

            eh.e_shoff = ELF_SHDRS;
            eh.e_shentsize = sizeof(Elf64_Shdr);
            eh.e_shnum = 2;
            memcpy(img + ELF_SHDRS, sh, sizeof(sh));
        }
        memcpy(img, &eh, sizeof(eh));
        memcpy(img + eh.e_phoff, ph, sizeof(ph));
    } else {
        Elf32_Ehdr eh = { .e_type = ET_EXEC, .e_machine = s->machine, .e_version = EV_CURRENT,
                          .e_entry = 0x100000, .e_phoff = sizeof(Elf32_Ehdr),
                          .e_ehsize = sizeof(Elf32_Ehdr), .e_phentsize = sizeof(Elf32_Phdr),
                          .e_phnum = 2 };
        Elf32_Phdr ph[2] = {
            { .p_type = PT_LOAD, .p_offset = (uint32_t)s->seg_offset, .p_vaddr = 0x100000,
              .p_paddr = (uint32_t)s->seg_paddr, .p_filesz = (uint32_t)s->seg_filesz,
              .p_memsz = (uint32_t)s->seg_memsz, .p_align = 0x1000 },
            { .p_type = s->pt_note ? PT_NOTE : PT_NULL, .p_offset = ELF_NOTES,
              .p_filesz = notes_len, .p_align = 4 },
        };

        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS32;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_ident[EI_VERSION] = EV_CURRENT;
        if (s->sh_note) {
            Elf32_Shdr sh[2] = { { 0 }, { .sh_type = SHT_NOTE, .sh_offset = ELF_NOTES,
                                         .sh_size = notes_len, .sh_addralign = 4 } };

            eh.e_shoff = ELF_SHDRS;
            eh.e_shentsize = sizeof(Elf32_Shdr);
            eh.e_shnum = 2;
            memcpy(img + ELF_SHDRS, sh, sizeof(sh));
        }
        memcpy(img, &eh, sizeof(eh));
        memcpy(img + eh.e_phoff, ph, sizeof(ph));
    }
    return ELF_SIZE;
}

/* Loads s into a fresh 16 MiB guest and expects the error; memory untouched. */
static void pvh_expect_error(const struct elf_spec *s, size_t size, int code, const char *needle)
{
    uint8_t img[ELF_SIZE];
    struct mem m;
    struct boot_config cfg = { .cmdline = "x" };
    struct boot_info info = { 0 };
    g_autoptr(GError) err = NULL;

    mem_init(&m, 16 * MiB);
    cfg.e820 = &m.e820;
    elf_build(img, s);
    ck_assert_int_eq(pvh_load(m.gm, img, size, &cfg, NULL, 0, &info, &err), -1);
    assert_error(err, code, needle);
    assert_untouched(&m);
    mem_fini(&m);
}

static void pvh_check_loaded(const struct mem *m, const uint8_t *img, const char *cmdline,
                             const struct boot_info *info, uint64_t entry)
{
    const uint8_t *si = m->buf + LAYOUT_PVH_START_INFO;
    const uint8_t *mm;

    ck_assert_int_eq(info->mode, BOOT_ENTRY_PVH32);
    ck_assert_uint_eq(info->entry, entry);
    ck_assert_uint_eq(info->param, LAYOUT_PVH_START_INFO);

    /* Segment: file bytes, then zeroes up to memsz. */
    ck_assert_mem_eq(m->buf + 0x100000, img + ELF_SEG_DATA, ELF_SEG_LEN);
    for (uint64_t a = 0x100000 + ELF_SEG_LEN; a < 0x102000; a++) {
        ck_assert_uint_eq(m->buf[a], 0);
    }

    ck_assert_uint_eq(rd32(si + 0), 0x336ec578);
    ck_assert_uint_eq(rd32(si + 4), 1);
    ck_assert_uint_eq(rd64(si + 24), LAYOUT_CMDLINE);
    ck_assert_str_eq((const char *)m->buf + LAYOUT_CMDLINE, cmdline);
    ck_assert_uint_eq(rd64(si + 32), 0xe0000);

    /* memmap: the config's e820, entry by entry, inside the start-info page. */
    ck_assert_uint_eq(rd32(si + 48), m->e820.n);
    ck_assert_uint_ge(rd64(si + 40), LAYOUT_PVH_START_INFO + 56);
    ck_assert_uint_le(rd64(si + 40) + 24 * m->e820.n, LAYOUT_ZERO_PAGE);
    mm = m->buf + rd64(si + 40);
    for (unsigned i = 0; i < m->e820.n; i++) {
        ck_assert_uint_eq(rd64(mm + 24 * i), m->e820.entries[i].addr);
        ck_assert_uint_eq(rd64(mm + 24 * i + 8), m->e820.entries[i].size);
        ck_assert_uint_eq(rd32(mm + 24 * i + 16), m->e820.entries[i].type);
    }
}

static void pvh_load_ok(bool is64, unsigned desc_size, bool pt_note, bool sh_note)
{
    uint8_t img[ELF_SIZE];
    struct elf_spec s = elf_default(is64);
    struct mem m;
    struct boot_config cfg = { .cmdline = "console=ttyS0 pvh", .rsdp_gpa = 0xe0000 };
    struct boot_info info = { 0 };
    g_autoptr(GError) err = NULL;
    const struct boot_range written[] = {
        { 0x100000, 0x102000 },
        { LAYOUT_PVH_START_INFO, LAYOUT_ZERO_PAGE },
        { LAYOUT_CMDLINE, LAYOUT_CMDLINE + sizeof("console=ttyS0 pvh") },
    };

    s.desc_size = desc_size;
    s.pt_note = pt_note;
    s.sh_note = sh_note;
    mem_init(&m, 16 * MiB);
    cfg.e820 = &m.e820;
    elf_build(img, &s);
    ck_assert_msg(pvh_load(m.gm, img, sizeof(img), &cfg, NULL, 0, &info, &err) == 0, "%s",
                  err ? err->message : "");
    pvh_check_loaded(&m, img, cfg.cmdline, &info, 0x100010);
    ck_assert_uint_eq(rd32(m.buf + LAYOUT_PVH_START_INFO + 12), 0);   /* no modules */
    assert_untouched_except(&m, written, G_N_ELEMENTS(written));
    mem_fini(&m);
}

START_TEST(pvh_elf64) { pvh_load_ok(true, 4, true, false); }
END_TEST
START_TEST(pvh_elf32) { pvh_load_ok(false, 4, true, false); }
END_TEST
START_TEST(pvh_elf64_desc8) { pvh_load_ok(true, 8, true, false); }
END_TEST
START_TEST(pvh_note_in_section) { pvh_load_ok(true, 4, false, true); }
END_TEST
START_TEST(pvh_elf32_note_in_section) { pvh_load_ok(false, 4, false, true); }
END_TEST

START_TEST(pvh_initramfs)
{
    uint8_t img[ELF_SIZE];
    struct elf_spec s = elf_default(true);
    struct mem m;
    struct boot_config cfg = { .cmdline = "rdinit=/init", .rsdp_gpa = 0xe0000 };
    struct boot_info info = { 0 };
    g_autoptr(GError) err = NULL;
    uint8_t initrd[5000];
    const uint8_t *si;
    const uint8_t *mod;

    for (unsigned i = 0; i < sizeof(initrd); i++) {
        initrd[i] = (uint8_t)(i ^ 0x5c);
    }
    mem_init(&m, 16 * MiB);
    cfg.e820 = &m.e820;
    elf_build(img, &s);
    ck_assert_msg(pvh_load(m.gm, img, sizeof(img), &cfg, initrd, sizeof(initrd), &info, &err) == 0,
                  "%s", err ? err->message : "");
    pvh_check_loaded(&m, img, cfg.cmdline, &info, 0x100010);
    si = m.buf + LAYOUT_PVH_START_INFO;
    ck_assert_uint_eq(rd32(si + 12), 1);
    ck_assert_uint_ge(rd64(si + 16), LAYOUT_PVH_START_INFO + 56);
    ck_assert_uint_le(rd64(si + 16) + 32, LAYOUT_ZERO_PAGE);
    mod = m.buf + rd64(si + 16);
    /* Top of RAM, page aligned: 16 MiB - 5000 rounded down to 4 KiB. */
    ck_assert_uint_eq(rd64(mod + 0), 0xffe000);
    ck_assert_uint_eq(rd64(mod + 8), sizeof(initrd));
    ck_assert_uint_eq(rd64(mod + 16), 0);
    ck_assert_mem_eq(m.buf + 0xffe000, initrd, sizeof(initrd));
    mem_fini(&m);
}
END_TEST

START_TEST(pvh_initramfs_avoids_kernel)
{
    uint8_t img[ELF_SIZE];
    struct elf_spec s = elf_default(true);
    struct mem m;
    struct boot_config cfg = { 0 };
    struct boot_info info = { 0 };
    g_autoptr(GError) err = NULL;
    uint8_t initrd[5000] = { 1 };

    /* The kernel occupies the last page, where the initramfs would go. */
    s.seg_paddr = 16 * MiB - 0x1000;
    s.seg_memsz = 0x1000;
    s.entry = s.seg_paddr;
    mem_init(&m, 16 * MiB);
    cfg.e820 = &m.e820;
    elf_build(img, &s);
    ck_assert_msg(pvh_load(m.gm, img, sizeof(img), &cfg, initrd, sizeof(initrd), &info, &err) == 0,
                  "%s", err ? err->message : "");
    /* Below the kernel: 0xfff000 - 5000 = 0xffdc78, rounded down. */
    ck_assert_uint_eq(rd64(m.buf + rd64(m.buf + LAYOUT_PVH_START_INFO + 16)), 0xffd000);
    ck_assert_str_eq((const char *)m.buf + LAYOUT_CMDLINE, "");
    mem_fini(&m);
}
END_TEST

START_TEST(pvh_no_note)
{
    struct elf_spec s = elf_default(true);

    s.pt_note = false;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_FORMAT,
                     "not a PVH kernel: no XEN_ELFNOTE_PHYS32_ENTRY note");
    s = elf_default(false);
    s.pt_note = false;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_FORMAT, "no XEN_ELFNOTE_PHYS32_ENTRY note");
}
END_TEST

START_TEST(pvh_truncated_header)
{
    struct elf_spec s = elf_default(true);

    pvh_expect_error(&s, 40, BOOT_ERROR_FORMAT, "truncated ELF header");
    pvh_expect_error(&s, 4, BOOT_ERROR_FORMAT, "not an ELF file");
    s = elf_default(false);
    pvh_expect_error(&s, 50, BOOT_ERROR_FORMAT, "truncated ELF header");
    /* Header whole, program headers cut off. */
    s = elf_default(true);
    pvh_expect_error(&s, sizeof(Elf64_Ehdr) + 10, BOOT_ERROR_FORMAT, "program headers");
}
END_TEST

START_TEST(pvh_segment_beyond_file)
{
    struct elf_spec s = elf_default(true);

    s.seg_filesz = ELF_SEG_LEN + 1;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_FORMAT, "beyond the end of the file");
    /* The same image cut one byte short of the segment's end. */
    s = elf_default(false);
    pvh_expect_error(&s, ELF_SIZE - 1, BOOT_ERROR_FORMAT, "beyond the end of the file");
}
END_TEST

START_TEST(pvh_segment_overflow)
{
    struct elf_spec s = elf_default(true);

    /* p_offset + p_filesz wraps around to a small number. */
    s.seg_offset = UINT64_MAX - 0x10;
    s.seg_filesz = 0x100;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_FORMAT, "beyond the end of the file");
    /* p_paddr + p_memsz wraps. */
    s = elf_default(true);
    s.seg_paddr = UINT64_MAX - 0xfff;
    s.seg_memsz = 0x2000;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_NO_SPACE, "does not fit in guest RAM");
    /* 32-bit: offset + filesz wraps in 32 bits only if done in 32 bits. */
    s = elf_default(false);
    s.seg_offset = 0xffffff00;
    s.seg_filesz = 0x200;
    s.seg_memsz = 0x200;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_FORMAT, "beyond the end of the file");
}
END_TEST

START_TEST(pvh_segment_beyond_ram)
{
    struct elf_spec s = elf_default(true);

    s.seg_paddr = 16 * MiB - 0x1000;
    s.entry = s.seg_paddr;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_NO_SPACE, "does not fit in guest RAM");
    /* Below 1 MiB would clobber the boot structures. */
    s = elf_default(true);
    s.seg_paddr = LAYOUT_PVH_START_INFO;
    s.entry = s.seg_paddr;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_NO_SPACE, "does not fit in guest RAM");
}
END_TEST

START_TEST(pvh_bad_headers)
{
    struct elf_spec s = elf_default(true);

    s.machine = EM_AARCH64;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_FORMAT, "is not x86");
    s = elf_default(false);
    s.machine = EM_X86_64;   /* x32 objects are not kernels */
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_FORMAT, "is not x86");
    s = elf_default(true);
    s.entry = 0x200000;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_FORMAT, "entry point 0x200000");
    s = elf_default(true);
    s.desc_size = 2;
    pvh_expect_error(&s, ELF_SIZE, BOOT_ERROR_FORMAT, "malformed XEN_ELFNOTE_PHYS32_ENTRY");
}
END_TEST

START_TEST(pvh_cmdline_too_long)
{
    uint8_t img[ELF_SIZE];
    struct elf_spec s = elf_default(true);
    struct mem m;
    g_autofree char *longest = g_strnfill(LAYOUT_CMDLINE_MAX - 1, 'a');
    g_autofree char *too_long = g_strnfill(LAYOUT_CMDLINE_MAX, 'a');
    struct boot_config cfg = { .cmdline = too_long };
    struct boot_info info = { 0 };
    g_autoptr(GError) err = NULL;

    mem_init(&m, 16 * MiB);
    cfg.e820 = &m.e820;
    elf_build(img, &s);
    ck_assert_int_eq(pvh_load(m.gm, img, sizeof(img), &cfg, NULL, 0, &info, &err), -1);
    assert_error(err, BOOT_ERROR_NO_SPACE, "command line is 65536 bytes");
    assert_untouched(&m);
    cfg.cmdline = longest;
    ck_assert_int_eq(pvh_load(m.gm, img, sizeof(img), &cfg, NULL, 0, &info, NULL), 0);
    ck_assert_uint_eq(strlen((const char *)m.buf + LAYOUT_CMDLINE), LAYOUT_CMDLINE_MAX - 1);
    mem_fini(&m);
}
END_TEST

START_TEST(pvh_initramfs_too_big)
{
    uint8_t img[ELF_SIZE];
    struct elf_spec s = elf_default(true);
    struct mem m;
    struct boot_config cfg = { 0 };
    struct boot_info info = { 0 };
    g_autoptr(GError) err = NULL;
    g_autofree uint8_t *initrd = g_malloc0(15 * MiB);

    mem_init(&m, 16 * MiB);
    cfg.e820 = &m.e820;
    elf_build(img, &s);
    ck_assert_int_eq(pvh_load(m.gm, img, sizeof(img), &cfg, initrd, 15 * MiB, &info, &err), -1);
    assert_error(err, BOOT_ERROR_NO_SPACE, "initramfs");
    assert_untouched(&m);
    mem_fini(&m);
}
END_TEST

/* ---- bzImage -------------------------------------------------------------- */

struct bz_spec {
    uint8_t setup_sects;
    uint16_t version;
    uint8_t loadflags;
    uint16_t xloadflags;
    uint8_t relocatable;
    uint32_t kernel_alignment;
    uint64_t pref_address;
    uint32_t init_size;
    uint32_t cmdline_size;
    uint32_t initrd_addr_max;
    size_t kernel_len;
};

static struct bz_spec bz_default(void)
{
    return (struct bz_spec){
        .setup_sects = 4, .version = 0x020f, .loadflags = 0x01, .xloadflags = 0x03,
        .relocatable = 1, .kernel_alignment = 0x200000, .pref_address = 0x1000000,
        .init_size = 0x100000, .cmdline_size = 2047, .initrd_addr_max = 0x7fffffff,
        .kernel_len = 0x3000,
    };
}

static uint64_t bz_setup_size(const struct bz_spec *s)
{
    return ((s->setup_sects ? s->setup_sects : 4) + 1) * 512ULL;
}

/* Returns the image; its length is setup + kernel_len. */
static uint8_t *bz_build(const struct bz_spec *s, size_t *size)
{
    uint64_t setup = bz_setup_size(s);
    uint8_t *img;

    *size = setup + s->kernel_len;
    img = g_malloc(*size);
    /* Junk where boot_params has fields of its own, and past the header's end
     * (0x202 + 0x6a): none of it may reach the zero page. */
    memset(img, 0x77, setup);
    for (size_t i = 0; i < s->kernel_len; i++) {
        img[setup + i] = (uint8_t)(i * 13 + 5);
    }
    img[0x1f1] = s->setup_sects;
    wr16(img + 0x1f2, 0);
    wr32(img + 0x1f4, s->kernel_len / 16);
    wr16(img + 0x1fa, 0xfffd);            /* "ask": the loader must override */
    wr16(img + 0x1fe, 0xaa55);
    img[0x200] = 0xeb;
    img[0x201] = 0x6a;                    /* header ends at 0x26c */
    memcpy(img + 0x202, "HdrS", 4);
    wr16(img + 0x206, s->version);
    img[0x210] = 0;
    img[0x211] = s->loadflags;
    wr32(img + 0x218, 0);
    wr32(img + 0x21c, 0);
    wr32(img + 0x228, 0);
    wr32(img + 0x22c, s->initrd_addr_max);
    wr32(img + 0x230, s->kernel_alignment);
    img[0x234] = s->relocatable;
    img[0x235] = 21;
    wr16(img + 0x236, s->xloadflags);
    wr32(img + 0x238, s->cmdline_size);
    wr32(img + 0x23c, 0);
    wr64(img + 0x240, 0);
    wr32(img + 0x248, 0);
    wr32(img + 0x24c, 0);
    wr64(img + 0x250, 0);
    wr64(img + 0x258, s->pref_address);
    wr32(img + 0x260, s->init_size);
    wr32(img + 0x264, 0);
    wr32(img + 0x268, 0);
    return img;
}

static void bz_expect_error_cfg(const struct bz_spec *s, size_t cut, const struct boot_config *c,
                                const uint8_t *initrd, size_t initrd_size, uint64_t mem_size,
                                int code, const char *needle)
{
    size_t size;
    g_autofree uint8_t *img = bz_build(s, &size);
    struct mem m;
    struct boot_config cfg = *c;
    struct boot_info info = { 0 };
    g_autoptr(GError) err = NULL;

    mem_init(&m, mem_size);
    cfg.e820 = &m.e820;
    ck_assert_int_eq(bzimage_load(m.gm, img, size - cut, &cfg, initrd, initrd_size, &info, &err),
                     -1);
    assert_error(err, code, needle);
    assert_untouched(&m);
    mem_fini(&m);
}

static void bz_expect_error(const struct bz_spec *s, size_t cut, int code, const char *needle)
{
    struct boot_config cfg = { .cmdline = "quiet" };

    bz_expect_error_cfg(s, cut, &cfg, NULL, 0, 64 * MiB, code, needle);
}

START_TEST(bz_load)
{
    struct bz_spec s = bz_default();
    size_t size;
    g_autofree uint8_t *img = bz_build(&s, &size);
    struct mem m;
    struct boot_config cfg = { .cmdline = "console=ttyS0 root=/dev/vda", .rsdp_gpa = 0xe0000 };
    struct boot_info info = { 0 };
    g_autoptr(GError) err = NULL;
    uint8_t initrd[10000];
    const uint8_t *bp;

    for (unsigned i = 0; i < sizeof(initrd); i++) {
        initrd[i] = (uint8_t)(i * 3);
    }
    mem_init(&m, 64 * MiB);
    cfg.e820 = &m.e820;
    ck_assert_msg(bzimage_load(m.gm, img, size, &cfg, initrd, sizeof(initrd), &info, &err) == 0,
                  "%s", err ? err->message : "");
    ck_assert_int_eq(info.mode, BOOT_ENTRY_LINUX64);
    ck_assert_uint_eq(info.entry, 0x1000000 + 0x200);
    ck_assert_uint_eq(info.param, LAYOUT_ZERO_PAGE);
    ck_assert_mem_eq(m.buf + 0x1000000, img + 5 * 512, s.kernel_len);

    bp = m.buf + LAYOUT_ZERO_PAGE;
    /* Before the setup header only the loader's own fields are set. */
    for (unsigned off = 0; off < 0x1f1; off++) {
        if ((off >= 0x070 && off < 0x078) || off == 0x1e8) {
            continue;
        }
        ck_assert_msg(bp[off] == 0, "zero page byte 0x%x is 0x%x", off, bp[off]);
    }
    ck_assert_uint_eq(rd64(bp + 0x070), 0xe0000);
    ck_assert_mem_eq(bp + 0x202, "HdrS", 4);
    ck_assert_uint_eq(rd16(bp + 0x206), 0x020f);
    ck_assert_uint_eq(bp[0x1f1], 4);
    ck_assert_uint_eq(rd32(bp + 0x260), 0x100000);
    ck_assert_uint_eq(rd16(bp + 0x1fa), 0xffff);
    ck_assert_uint_eq(bp[0x210], 0xff);
    ck_assert_uint_eq(rd32(bp + 0x228), LAYOUT_CMDLINE);
    ck_assert_str_eq((const char *)m.buf + LAYOUT_CMDLINE, cfg.cmdline);
    /* Highest page below 64 MiB: 0x4000000 - 10000 rounded down. */
    ck_assert_uint_eq(rd32(bp + 0x218), 0x3ffd000);
    ck_assert_uint_eq(rd32(bp + 0x21c), sizeof(initrd));
    ck_assert_mem_eq(m.buf + 0x3ffd000, initrd, sizeof(initrd));
    /* The header ends at 0x26c: the image's junk after it stays out. */
    for (unsigned off = 0x26c; off < 0x2d0; off++) {
        ck_assert_msg(bp[off] == 0, "zero page byte 0x%x is 0x%x", off, bp[off]);
    }
    ck_assert_uint_eq(bp[0x1e8], m.e820.n);
    for (unsigned i = 0; i < m.e820.n; i++) {
        const uint8_t *e = bp + 0x2d0 + 20 * i;

        ck_assert_uint_eq(rd64(e), m.e820.entries[i].addr);
        ck_assert_uint_eq(rd64(e + 8), m.e820.entries[i].size);
        ck_assert_uint_eq(rd32(e + 16), m.e820.entries[i].type);
    }
    for (unsigned off = 0x2d0 + 20 * m.e820.n; off < 0x1000; off++) {
        ck_assert_uint_eq(bp[off], 0);
    }
    mem_fini(&m);
}
END_TEST

START_TEST(bz_initrd_addr_max)
{
    struct bz_spec s = bz_default();
    size_t size;
    g_autofree uint8_t *img = NULL;
    struct mem m;
    struct boot_config cfg = { 0 };
    struct boot_info info = { 0 };
    uint8_t initrd[10000] = { 0 };

    s.initrd_addr_max = 0x2ffffff;   /* the last byte it may use */
    s.version = 0x020d;              /* before 2.14: no acpi_rsdp_addr */
    img = bz_build(&s, &size);
    mem_init(&m, 64 * MiB);
    cfg.e820 = &m.e820;
    cfg.rsdp_gpa = 0xe0000;
    ck_assert_int_eq(bzimage_load(m.gm, img, size, &cfg, initrd, sizeof(initrd), &info, NULL), 0);
    ck_assert_uint_eq(rd32(m.buf + LAYOUT_ZERO_PAGE + 0x218), 0x2ffd000);
    ck_assert_uint_eq(rd64(m.buf + LAYOUT_ZERO_PAGE + 0x070), 0);
    ck_assert_str_eq((const char *)m.buf + LAYOUT_CMDLINE, "");
    mem_fini(&m);
}
END_TEST

START_TEST(bz_relocate)
{
    struct bz_spec s = bz_default();
    size_t size;
    g_autofree uint8_t *img = bz_build(&s, &size);
    struct mem m;
    struct boot_config cfg = { 0 };
    struct boot_info info = { 0 };

    /* 16 MiB + init_size does not fit in 16 MiB: relocated to 2 MiB (alignment). */
    mem_init(&m, 16 * MiB);
    cfg.e820 = &m.e820;
    ck_assert_int_eq(bzimage_load(m.gm, img, size, &cfg, NULL, 0, &info, NULL), 0);
    ck_assert_uint_eq(info.entry, 0x200000 + 0x200);
    ck_assert_mem_eq(m.buf + 0x200000, img + 5 * 512, s.kernel_len);
    mem_fini(&m);

    s.relocatable = 0;
    bz_expect_error_cfg(&s, 0, &cfg, NULL, 0, 16 * MiB, BOOT_ERROR_NO_SPACE, "not relocatable");
    s = bz_default();
    s.init_size = 15 * MiB;
    bz_expect_error_cfg(&s, 0, &cfg, NULL, 0, 16 * MiB, BOOT_ERROR_NO_SPACE, "guest RAM below");
    s = bz_default();
    s.kernel_alignment = 0x300000;
    bz_expect_error_cfg(&s, 0, &cfg, NULL, 0, 16 * MiB, BOOT_ERROR_FORMAT, "power of two");
}
END_TEST

START_TEST(bz_old_version)
{
    struct bz_spec s = bz_default();

    s.version = 0x020b;
    bz_expect_error(&s, 0, BOOT_ERROR_FORMAT, "boot protocol 2.11; at least 2.12");
    s.version = 0x0100;
    bz_expect_error(&s, 0, BOOT_ERROR_FORMAT, "boot protocol 1.00");
}
END_TEST

START_TEST(bz_no_magic)
{
    struct bz_spec s = bz_default();
    size_t size;
    g_autofree uint8_t *img = bz_build(&s, &size);
    struct mem m;
    struct boot_config cfg = { 0 };
    struct boot_info info = { 0 };
    g_autoptr(GError) err = NULL;

    img[0x205] = 'T';
    mem_init(&m, 16 * MiB);
    cfg.e820 = &m.e820;
    ck_assert_int_eq(bzimage_load(m.gm, img, size, &cfg, NULL, 0, &info, &err), -1);
    assert_error(err, BOOT_ERROR_FORMAT, "HdrS");
    assert_untouched(&m);
    mem_fini(&m);
}
END_TEST

START_TEST(bz_truncated)
{
    struct bz_spec s = bz_default();
    size_t size = 5 * 512 + s.kernel_len;

    bz_expect_error(&s, 1, BOOT_ERROR_FORMAT, "truncated");
    bz_expect_error(&s, s.kernel_len, BOOT_ERROR_FORMAT, "truncated");
    bz_expect_error(&s, size - 0x210, BOOT_ERROR_FORMAT, "too short");
    bz_expect_error(&s, size - 0x200, BOOT_ERROR_FORMAT, "HdrS");
    s.setup_sects = 0;   /* means 4 */
    bz_expect_error(&s, 1, BOOT_ERROR_FORMAT, "2560 bytes of setup");
}
END_TEST

START_TEST(bz_flags)
{
    struct bz_spec s = bz_default();

    s.xloadflags = 0x02;
    bz_expect_error(&s, 0, BOOT_ERROR_FORMAT, "XLF_KERNEL_64");
    s = bz_default();
    s.loadflags = 0x80;
    bz_expect_error(&s, 0, BOOT_ERROR_FORMAT, "LOADED_HIGH");
}
END_TEST

START_TEST(bz_cmdline_too_long)
{
    struct bz_spec s = bz_default();
    g_autofree char *max = g_strnfill(255, 'c');
    g_autofree char *over = g_strnfill(256, 'c');
    struct boot_config cfg = { .cmdline = over };
    size_t size;
    g_autofree uint8_t *img = NULL;
    struct mem m;
    struct boot_info info = { 0 };

    s.cmdline_size = 255;
    bz_expect_error_cfg(&s, 0, &cfg, NULL, 0, 64 * MiB, BOOT_ERROR_NO_SPACE,
                        "command line is 256 bytes long; the kernel accepts at most 255");
    img = bz_build(&s, &size);
    mem_init(&m, 64 * MiB);
    cfg.cmdline = max;
    cfg.e820 = &m.e820;
    ck_assert_int_eq(bzimage_load(m.gm, img, size, &cfg, NULL, 0, &info, NULL), 0);
    ck_assert_str_eq((const char *)m.buf + LAYOUT_CMDLINE, max);
    mem_fini(&m);
}
END_TEST

START_TEST(bz_initrd_too_big)
{
    struct bz_spec s = bz_default();
    struct boot_config cfg = { 0 };
    g_autofree uint8_t *initrd = g_malloc0(14 * MiB);

    /* Kernel relocated to [2 MiB, 3 MiB) of 16 MiB: 13 MiB above it, 1 MiB below. */
    bz_expect_error_cfg(&s, 0, &cfg, initrd, 14 * MiB, 16 * MiB, BOOT_ERROR_NO_SPACE,
                        "initramfs (14680064 bytes) does not fit");
    s.initrd_addr_max = 0x7fffff;   /* 8 MiB: fits in RAM but not below the limit */
    bz_expect_error_cfg(&s, 0, &cfg, initrd, 7 * MiB, 16 * MiB, BOOT_ERROR_NO_SPACE,
                        "initramfs");
}
END_TEST

/* ---- boot_load: files --------------------------------------------------- */

static char *write_temp(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(dir, name, NULL);

    ck_assert(g_file_set_contents(path, data, len, NULL));
    return path;
}

START_TEST(load_files)
{
    g_autofree char *dir = g_dir_make_tmp("test-boot-XXXXXX", NULL);
    uint8_t img[ELF_SIZE];
    struct elf_spec s = elf_default(true);
    g_autofree char *elf = NULL;
    g_autofree char *empty = NULL;
    g_autofree char *junk = NULL;
    g_autofree char *noteless = NULL;
    g_autofree char *missing = NULL;
    g_autofree char *initrd = NULL;
    struct mem m;
    struct boot_config cfg = { 0 };
    struct boot_info info = { 0 };
    GError *err = NULL;

    ck_assert_ptr_nonnull(dir);
    elf_build(img, &s);
    elf = write_temp(dir, "kernel.elf", img, sizeof(img));
    empty = write_temp(dir, "empty", "", 0);
    junk = write_temp(dir, "junk", "MZ this is no kernel at all", 27);
    initrd = write_temp(dir, "initrd", "070701", 6);
    s.pt_note = false;
    elf_build(img, &s);
    noteless = write_temp(dir, "noteless.elf", img, sizeof(img));
    missing = g_build_filename(dir, "missing", NULL);

    mem_init(&m, 16 * MiB);
    cfg.e820 = &m.e820;

    cfg.kernel = missing;
    ck_assert_int_eq(boot_load(m.gm, &cfg, &info, &err), -1);
    assert_error(err, BOOT_ERROR_FILE, missing);
    ck_assert_ptr_nonnull(strstr(err->message, "No such file"));
    g_clear_error(&err);

    cfg.kernel = empty;
    ck_assert_int_eq(boot_load(m.gm, &cfg, &info, &err), -1);
    assert_error(err, BOOT_ERROR_FILE, "is empty");
    g_clear_error(&err);

    cfg.kernel = dir;
    ck_assert_int_eq(boot_load(m.gm, &cfg, &info, &err), -1);
    assert_error(err, BOOT_ERROR_FILE, "not a regular file");
    g_clear_error(&err);

    cfg.kernel = junk;
    ck_assert_int_eq(boot_load(m.gm, &cfg, &info, &err), -1);
    assert_error(err, BOOT_ERROR_FORMAT, "is neither a PVH ELF nor a bzImage");
    ck_assert_ptr_nonnull(strstr(err->message, junk));
    g_clear_error(&err);

    cfg.kernel = noteless;
    ck_assert_int_eq(boot_load(m.gm, &cfg, &info, &err), -1);
    assert_error(err, BOOT_ERROR_FORMAT, "no XEN_ELFNOTE_PHYS32_ENTRY note");
    ck_assert_ptr_nonnull(strstr(err->message, noteless));
    g_clear_error(&err);

    cfg.kernel = elf;
    cfg.initramfs = missing;
    ck_assert_int_eq(boot_load(m.gm, &cfg, &info, &err), -1);
    assert_error(err, BOOT_ERROR_FILE, "initramfs");
    ck_assert_ptr_nonnull(strstr(err->message, missing));
    g_clear_error(&err);
    assert_untouched(&m);

    cfg.initramfs = initrd;
    ck_assert_int_eq(boot_load(m.gm, &cfg, &info, &err), 0);
    ck_assert_int_eq(info.mode, BOOT_ENTRY_PVH32);
    ck_assert_uint_eq(info.entry, 0x100010);
    ck_assert_mem_eq(m.buf + 0xfff000, "070701", 6);
    mem_fini(&m);

    g_unlink(elf);
    g_unlink(empty);
    g_unlink(junk);
    g_unlink(noteless);
    g_unlink(initrd);
    g_rmdir(dir);
}
END_TEST

START_TEST(load_bzimage_file)
{
    g_autofree char *dir = g_dir_make_tmp("test-boot-XXXXXX", NULL);
    struct bz_spec s = bz_default();
    size_t size;
    g_autofree uint8_t *img = bz_build(&s, &size);
    g_autofree char *path = write_temp(dir, "bzImage", img, size);
    struct mem m;
    struct boot_config cfg = { .kernel = path, .cmdline = "quiet" };
    struct boot_info info = { 0 };
    g_autoptr(GError) err = NULL;

    mem_init(&m, 64 * MiB);
    cfg.e820 = &m.e820;
    ck_assert_msg(boot_load(m.gm, &cfg, &info, &err) == 0, "%s", err ? err->message : "");
    ck_assert_int_eq(info.mode, BOOT_ENTRY_LINUX64);
    ck_assert_uint_eq(info.entry, 0x1000200);
    mem_fini(&m);
    g_unlink(path);
    g_rmdir(dir);
}
END_TEST

static Suite *boot_suite(void)
{
    Suite *s = suite_create("boot");
    TCase *e820 = tcase_create("e820");
    TCase *pvh = tcase_create("pvh");
    TCase *bz = tcase_create("bzimage");
    TCase *files = tcase_create("files");

    tcase_add_test(e820, e820_128m);
    tcase_add_test(e820, e820_3g5);
    tcase_add_test(e820, e820_exactly_3g);
    suite_add_tcase(s, e820);

    tcase_add_test(pvh, pvh_elf64);
    tcase_add_test(pvh, pvh_elf32);
    tcase_add_test(pvh, pvh_elf64_desc8);
    tcase_add_test(pvh, pvh_note_in_section);
    tcase_add_test(pvh, pvh_elf32_note_in_section);
    tcase_add_test(pvh, pvh_initramfs);
    tcase_add_test(pvh, pvh_initramfs_avoids_kernel);
    tcase_add_test(pvh, pvh_no_note);
    tcase_add_test(pvh, pvh_truncated_header);
    tcase_add_test(pvh, pvh_segment_beyond_file);
    tcase_add_test(pvh, pvh_segment_overflow);
    tcase_add_test(pvh, pvh_segment_beyond_ram);
    tcase_add_test(pvh, pvh_bad_headers);
    tcase_add_test(pvh, pvh_cmdline_too_long);
    tcase_add_test(pvh, pvh_initramfs_too_big);
    tcase_set_timeout(pvh, 30);
    suite_add_tcase(s, pvh);

    tcase_add_test(bz, bz_load);
    tcase_add_test(bz, bz_initrd_addr_max);
    tcase_add_test(bz, bz_relocate);
    tcase_add_test(bz, bz_old_version);
    tcase_add_test(bz, bz_no_magic);
    tcase_add_test(bz, bz_truncated);
    tcase_add_test(bz, bz_flags);
    tcase_add_test(bz, bz_cmdline_too_long);
    tcase_add_test(bz, bz_initrd_too_big);
    tcase_set_timeout(bz, 30);
    suite_add_tcase(s, bz);

    tcase_add_test(files, load_files);
    tcase_add_test(files, load_bzimage_file);
    suite_add_tcase(s, files);
    return s;
}

int main(void)
{
    return test_run_suite(boot_suite());
}
