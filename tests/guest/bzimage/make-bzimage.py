#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Packages a flat 64-bit binary as a bzImage (Linux x86 boot protocol 2.15).

The setup part carries only the header (no real-mode code: skiff enters
through the 64-bit entry at load address + 0x200). The image is linked for
one address, so it says it is not relocatable and asks for pref_address.
"""
import argparse
import struct
import sys

SETUP_SECTS = 4
HEADER_END = 0x26C                  # 2.15 header: up to kernel_info_offset
LOADED_HIGH = 0x01
XLF_KERNEL_64 = 0x0001


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--load-address", type=lambda s: int(s, 0), required=True)
    ap.add_argument("flat")
    ap.add_argument("out")
    a = ap.parse_args()

    with open(a.flat, "rb") as f:
        kernel = f.read()
    if len(kernel) > 8 << 20:
        # objcopy -O binary spans the lowest to the highest load address: a
        # section left at another load address blows the file up.
        sys.exit(f"{a.flat}: {len(kernel)} bytes; is a section's load address off?")
    kernel += b"\0" * (-len(kernel) % 16)           # syssize counts 16-byte units
    init_size = (len(kernel) + 0xFFF) & ~0xFFF

    setup = bytearray((SETUP_SECTS + 1) * 512)
    setup[0x1F1] = SETUP_SECTS
    struct.pack_into("<I", setup, 0x1F4, len(kernel) // 16)     # syssize
    struct.pack_into("<H", setup, 0x1FA, 0xFFFF)                # vid_mode: normal
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)                # boot_flag
    setup[0x200] = 0xEB                                         # jmp short past the header
    setup[0x201] = HEADER_END - 0x202
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020F)                # version 2.15
    setup[0x211] = LOADED_HIGH
    struct.pack_into("<I", setup, 0x214, a.load_address)        # code32_start
    struct.pack_into("<I", setup, 0x22C, 0x7FFFFFFF)            # initrd_addr_max
    struct.pack_into("<I", setup, 0x230, 0x200000)              # kernel_alignment
    setup[0x234] = 0                                            # relocatable_kernel
    setup[0x235] = 21                                           # min_alignment: 2 MiB
    struct.pack_into("<H", setup, 0x236, XLF_KERNEL_64)         # xloadflags
    struct.pack_into("<I", setup, 0x238, 2047)                  # cmdline_size
    struct.pack_into("<Q", setup, 0x258, a.load_address)        # pref_address
    struct.pack_into("<I", setup, 0x260, init_size)             # init_size

    with open(a.out, "wb") as f:
        f.write(bytes(setup) + kernel)


if __name__ == "__main__":
    main()
