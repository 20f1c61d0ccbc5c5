#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed inputs of fuzz-kernel-image: tiny images that load.

Run it with the corpus directory as argument to regenerate the checked-in
seeds (corpus/kernel-image/). Layouts follow the ELF spec, Xen's PVH note and
the Linux x86 boot protocol.
"""
import os
import struct
import sys

XEN_ELFNOTE_PHYS32_ENTRY = 18


def note(name, ntype, desc):
    name = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def elf(is64, note_in_section=False, entry=0x100000):
    code = b"\xf4" * 16                          # hlt
    notes = note("Xen", XEN_ELFNOTE_PHYS32_ENTRY, struct.pack("<I", entry))
    if is64:
        ehsize, phsize, shsize = 64, 56, 64
    else:
        ehsize, phsize, shsize = 52, 32, 40
    phnum = 1 if note_in_section else 2
    notes_off = ehsize + phnum * phsize
    sh_off = notes_off + len(notes)
    code_off = sh_off + (2 * shsize if note_in_section else 0)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1]) + b"\0" * 9
    machine = 62 if is64 else 3
    shnum = 2 if note_in_section else 0
    if is64:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, entry, ehsize,
                                 sh_off if shnum else 0, 0, ehsize, phsize, phnum,
                                 shsize, shnum, 0)
        ph = struct.pack("<IIQQQQQQ", 1, 5, code_off, entry, entry, len(code), 0x2000, 0x1000)
        if not note_in_section:
            ph += struct.pack("<IIQQQQQQ", 4, 4, notes_off, 0, 0, len(notes), len(notes), 4)
        sh = (b"\0" * shsize +
              struct.pack("<IIQQQQIIQQ", 0, 7, 2, 0, notes_off, len(notes), 0, 0, 4, 0))
    else:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", 2, machine, 1, entry, ehsize,
                                 sh_off if shnum else 0, 0, ehsize, phsize, phnum,
                                 shsize, shnum, 0)
        ph = struct.pack("<IIIIIIII", 1, code_off, entry, entry, len(code), 0x2000, 5, 0x1000)
        if not note_in_section:
            ph += struct.pack("<IIIIIIII", 4, notes_off, 0, 0, len(notes), len(notes), 4, 4)
        sh = (b"\0" * shsize +
              struct.pack("<IIIIIIIIII", 0, 7, 2, 0, notes_off, len(notes), 0, 0, 4, 0))
    out = eh + ph + notes + (sh if note_in_section else b"")
    assert len(out) == code_off
    return out + code


def bzimage(pref_address=0x1000000, relocatable=1, version=0x020f):
    setup_sects = 1
    kernel = b"\xf4" * 64
    img = bytearray(b"\0" * ((setup_sects + 1) * 512))
    img[0x1f1] = setup_sects
    struct.pack_into("<I", img, 0x1f4, len(kernel) // 16)
    struct.pack_into("<H", img, 0x1fe, 0xaa55)
    img[0x200:0x202] = bytes([0xeb, 0x6a])
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, version)
    img[0x211] = 0x01                                   # LOADED_HIGH
    struct.pack_into("<I", img, 0x22c, 0x7fffffff)      # initrd_addr_max
    struct.pack_into("<I", img, 0x230, 0x200000)        # kernel_alignment
    img[0x234] = relocatable
    struct.pack_into("<H", img, 0x236, 0x0003)          # XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G
    struct.pack_into("<I", img, 0x238, 2047)            # cmdline_size
    struct.pack_into("<Q", img, 0x258, pref_address)
    struct.pack_into("<I", img, 0x260, 0x10000)         # init_size
    return bytes(img) + kernel


SEEDS = {
    "pvh-elf64": elf(True),
    "pvh-elf32": elf(False),
    "pvh-elf64-section-note": elf(True, note_in_section=True),
    "bzimage": bzimage(),
    "bzimage-relocated": bzimage(pref_address=0x3000000),
    "bzimage-2.12": bzimage(version=0x020c, relocatable=0),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
