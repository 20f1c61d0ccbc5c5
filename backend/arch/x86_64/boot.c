/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel loading: reads the kernel and initramfs files, picks the loader by
 * the image's format, and holds the helpers both loaders share.
 */
#include "arch/x86_64/boot.h"

#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86_64/layout.h"

#define PAGE_SIZE 4096ULL

G_DEFINE_QUARK(skiff-boot-error-quark, boot_error)

static bool ranges_overlap(uint64_t a_start, uint64_t a_end, uint64_t b_start, uint64_t b_end)
{
    return a_start < b_end && b_start < a_end;
}

int boot_place_initrd(const guest_mem *gm, uint64_t limit, uint64_t size,
                      const struct boot_range *avoid, unsigned n_avoid, uint64_t *gpa,
                      GError **error)
{
    uint64_t top = MIN(limit, guest_mem_end_below_4g(gm));
    uint64_t cand;
    bool moved = true;

    if (size == 0 || top < LAYOUT_HIGH_MEMORY || size > top - LAYOUT_HIGH_MEMORY) {
        goto no_space;
    }
    cand = (top - size) & ~(PAGE_SIZE - 1);
    /* Each range can push the candidate below itself at most once, since the
     * candidate only moves down: this ends after at most n_avoid moves. */
    while (moved) {
        moved = false;
        for (unsigned i = 0; i < n_avoid; i++) {
            if (!ranges_overlap(cand, cand + size, avoid[i].start, avoid[i].end)) {
                continue;
            }
            if (avoid[i].start < LAYOUT_HIGH_MEMORY ||
                avoid[i].start - LAYOUT_HIGH_MEMORY < size) {
                goto no_space;
            }
            cand = (avoid[i].start - size) & ~(PAGE_SIZE - 1);
            moved = true;
        }
    }
    if (cand < LAYOUT_HIGH_MEMORY || guest_mem_ptr(gm, cand, size) == NULL) {
        goto no_space;
    }
    *gpa = cand;
    return 0;

no_space:
    g_set_error(error, BOOT_ERROR, BOOT_ERROR_NO_SPACE,
                _("initramfs (%" PRIu64 " bytes) does not fit in guest RAM between "
                  "0x%llx and 0x%" PRIx64 " beside the kernel"),
                size, LAYOUT_HIGH_MEMORY, top);
    return -1;
}

int boot_cmdline_prepare(const guest_mem *gm, const char *cmdline, uint64_t max_size,
                         void **dst, size_t *size, GError **error)
{
    size_t len = cmdline != NULL ? strlen(cmdline) : 0;

    max_size = MIN(max_size, LAYOUT_CMDLINE_MAX);
    if (len >= max_size) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_NO_SPACE,
                    _("the command line is %zu bytes long; the kernel accepts at most %"
                      PRIu64),
                    len, max_size - 1);
        return -1;
    }
    *dst = guest_mem_ptr(gm, LAYOUT_CMDLINE, len + 1);
    if (*dst == NULL) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_NO_SPACE,
                    _("guest RAM is too small for the command line at 0x%llx"), LAYOUT_CMDLINE);
        return -1;
    }
    *size = len + 1;
    return 0;
}

/* Maps a whole regular, non-empty file; what names it in messages ("kernel"). */
static GMappedFile *file_map(const char *what, const char *path, GError **error)
{
    g_autoptr(GError) err = NULL;
    GMappedFile *file;
    struct stat st;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FILE, _("cannot open %s '%s': %s"), what, path,
                    g_strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        int saved = errno;

        close(fd);
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FILE, _("cannot read %s '%s': %s"), what, path,
                    g_strerror(saved));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FILE, _("%s '%s' is not a regular file"), what,
                    path);
        return NULL;
    }
    if (st.st_size == 0) {
        close(fd);
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FILE, _("%s '%s' is empty"), what, path);
        return NULL;
    }
    file = g_mapped_file_new_from_fd(fd, FALSE, &err);
    close(fd);
    if (file == NULL) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FILE, _("cannot read %s '%s': %s"), what, path,
                    err->message);
        return NULL;
    }
    return file;
}

static bool image_is_elf(const uint8_t *image, size_t size)
{
    return size >= 4 && memcmp(image, "\x7f" "ELF", 4) == 0;
}

static bool image_is_bzimage(const uint8_t *image, size_t size)
{
    return size >= 0x206 && memcmp(image + 0x202, "HdrS", 4) == 0;
}

int boot_load(guest_mem *gm, const struct boot_config *cfg, struct boot_info *out, GError **error)
{
    g_autoptr(GMappedFile) kernel = NULL;
    g_autoptr(GMappedFile) initramfs = NULL;
    const uint8_t *image;
    size_t size;
    const uint8_t *initrd = NULL;
    size_t initrd_size = 0;
    int r;

    if (cfg->kernel == NULL) {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FILE, _("no kernel given"));
        return -1;
    }
    kernel = file_map(_("kernel"), cfg->kernel, error);
    if (kernel == NULL) {
        return -1;
    }
    if (cfg->initramfs != NULL) {
        initramfs = file_map(_("initramfs"), cfg->initramfs, error);
        if (initramfs == NULL) {
            return -1;
        }
        initrd = (const uint8_t *)g_mapped_file_get_contents(initramfs);
        initrd_size = g_mapped_file_get_length(initramfs);
    }
    image = (const uint8_t *)g_mapped_file_get_contents(kernel);
    size = g_mapped_file_get_length(kernel);

    if (image_is_elf(image, size)) {
        r = pvh_load(gm, image, size, cfg, initrd, initrd_size, out, error);
    } else if (image_is_bzimage(image, size)) {
        r = bzimage_load(gm, image, size, cfg, initrd, initrd_size, out, error);
    } else {
        g_set_error(error, BOOT_ERROR, BOOT_ERROR_FORMAT,
                    _("kernel '%s' is neither a PVH ELF nor a bzImage"), cfg->kernel);
        return -1;
    }
    if (r < 0) {
        g_prefix_error(error, _("cannot load kernel '%s': "), cfg->kernel);
        return -1;
    }
    return 0;
}
