/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: kernel images are hostile input. Every input goes through
 * both loaders, with and without an initramfs, on a small buffer-backed guest.
 * ASan/UBSan catch out-of-bounds access and overflow; the checks below catch
 * a loader that claims success with an entry point outside guest RAM, or that
 * fails without saying why.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/e820.h"
#include "arch/x86_64/layout.h"

/* Big enough for the fixed layout below 1 MiB and a kernel at 16 MiB. */
#define FUZZ_MEM_SIZE (32u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*loader_fn)(guest_mem *gm, const uint8_t *image, size_t size,
                         const struct boot_config *cfg, const uint8_t *initrd, size_t initrd_size,
                         struct boot_info *out, GError **error);

static guest_mem *fuzz_gm;
static struct e820_map fuzz_e820;
static const uint8_t fuzz_initrd[3 * 4096 + 123] = { 0x30, 0x37, 0x30, 0x37, 0x30, 0x31 };

static void run_loader(loader_fn load, enum boot_entry_mode mode, const uint8_t *data,
                       size_t size, bool with_initrd)
{
    struct boot_config cfg = {
        .cmdline = "console=ttyS0 fuzz",
        .rsdp_gpa = LAYOUT_ACPI_START,
        .e820 = &fuzz_e820,
    };
    struct boot_info info = { 0 };
    GError *err = NULL;
    int r;

    r = load(fuzz_gm, data, size, &cfg, with_initrd ? fuzz_initrd : NULL,
             with_initrd ? sizeof(fuzz_initrd) : 0, &info, &err);
    if (r < 0) {
        if (err == NULL || err->message == NULL || err->message[0] == '\0') {
            abort();
        }
        g_error_free(err);
        return;
    }
    if (r != 0 || err != NULL || info.mode != mode || info.entry >= FUZZ_MEM_SIZE ||
        guest_mem_ptr(fuzz_gm, info.param, 1) == NULL) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_gm == NULL) {
        /* One guest for the whole run: loaders never read guest memory, so
         * what earlier inputs left there cannot change the outcome. */
        fuzz_gm = guest_mem_new_from_buffer(g_malloc0(FUZZ_MEM_SIZE), FUZZ_MEM_SIZE);
        e820_build(fuzz_gm, &fuzz_e820);
    }
    run_loader(pvh_load, BOOT_ENTRY_PVH32, data, size, false);
    run_loader(pvh_load, BOOT_ENTRY_PVH32, data, size, true);
    run_loader(bzimage_load, BOOT_ENTRY_LINUX64, data, size, false);
    run_loader(bzimage_load, BOOT_ENTRY_LINUX64, data, size, true);
    return 0;
}
