#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Extracts the uncompressed ELF vmlinux from an x86 bzImage.

The compressed payload is located through the boot protocol's setup header
(payload_offset and payload_length, protocol 2.08+), not by scanning for
magic numbers: the compressor is recognised by the payload's first bytes.
The kernel build appends the uncompressed size as a little-endian 32-bit
word after the payload; the result is checked against it. With
--require-pvh the ELF must carry the Xen PHYS32_ENTRY note that PVH boot
needs, and its entry address is printed.
"""

import argparse
import bz2
import gzip
import lzma
import os
import shutil
import struct
import subprocess
import sys

SETUP_SECTS = 0x1f1
HDR_MAGIC = 0x202
VERSION = 0x206
PAYLOAD_OFFSET = 0x248
PAYLOAD_LENGTH = 0x24c
XEN_ELFNOTE_PHYS32_ENTRY = 18


class ExtractError(Exception):
    pass


def tool(argv, data):
    if not shutil.which(argv[0]):
        raise ExtractError(f'the payload needs the {argv[0]} tool, which is not installed')
    r = subprocess.run(argv, input=data, capture_output=True)
    if r.returncode != 0:
        raise ExtractError(f'{argv[0]} failed: {r.stderr.decode(errors="replace").strip()}')
    return r.stdout


# (name, magic, decompressor); the payload is passed without the size word.
FORMATS = [
    ('gzip', b'\x1f\x8b', gzip.decompress),
    ('xz', b'\xfd7zXZ\x00', lambda d: lzma.decompress(d, lzma.FORMAT_XZ)),
    ('lzma', b'\x5d\x00\x00', lambda d: lzma.decompress(d, lzma.FORMAT_ALONE)),
    ('bzip2', b'BZh', bz2.decompress),
    ('zstd', b'\x28\xb5\x2f\xfd', lambda d: tool(['zstd', '-dcq'], d)),
    ('lz4', b'\x02\x21\x4c\x18', lambda d: tool(['lz4', '-dcq'], d)),   # legacy frame
]


def payload(image):
    if len(image) < 0x250 or image[HDR_MAGIC:HDR_MAGIC + 4] != b'HdrS':
        raise ExtractError('not a bzImage (no "HdrS" setup header)')
    version = struct.unpack_from('<H', image, VERSION)[0]
    if version < 0x208:
        raise ExtractError(f'boot protocol {version >> 8}.{version & 0xff} predates '
                           'payload_offset (2.08)')
    sects = image[SETUP_SECTS] or 4
    start = (sects + 1) * 512
    off, length = struct.unpack_from('<II', image, PAYLOAD_OFFSET)
    if length < 8 or start + off + length > len(image):
        raise ExtractError(f'payload {off:#x}+{length:#x} lies outside the file')
    return image[start + off:start + off + length]


def decompress(data):
    body, size = data[:-4], struct.unpack('<I', data[-4:])[0]
    for name, magic, fn in FORMATS:
        if body.startswith(magic):
            try:
                out = fn(body)
            except (OSError, EOFError, lzma.LZMAError, ValueError) as e:
                raise ExtractError(f'{name} payload: {e}') from e
            if len(out) != size:
                raise ExtractError(f'{name} payload gave {len(out)} bytes, the image says {size}')
            return name, out
    raise ExtractError(f'unknown payload compression (starts {body[:6].hex(" ")})')


def elf_notes(elf):
    """Yields (owner, type, desc) of every note in the ELF64 file's PT_NOTE segments."""
    if elf[:4] != b'\x7fELF' or elf[4] != 2 or elf[5] != 1:
        raise ExtractError('the payload is not a little-endian ELF64 file')
    phoff, = struct.unpack_from('<Q', elf, 0x20)
    phentsize, phnum = struct.unpack_from('<HH', elf, 0x36)
    if phentsize < 56 or phoff + phnum * phentsize > len(elf):
        raise ExtractError('bad ELF program header table')
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from('<IIQQQQ', elf,
                                                                  phoff + i * phentsize)
        if p_type != 4:   # PT_NOTE
            continue
        pos, end = p_offset, p_offset + p_filesz
        if end > len(elf):
            raise ExtractError('PT_NOTE segment lies outside the file')
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from('<III', elf, pos)
            name_at = pos + 12
            desc_at = name_at + ((namesz + 3) & ~3)
            nxt = desc_at + ((descsz + 3) & ~3)
            if nxt > end:
                raise ExtractError('truncated ELF note')
            yield elf[name_at:name_at + namesz].rstrip(b'\0'), ntype, elf[desc_at:desc_at + descsz]
            pos = nxt


def pvh_entry(elf):
    for owner, ntype, desc in elf_notes(elf):
        if owner == b'Xen' and ntype == XEN_ELFNOTE_PHYS32_ENTRY and len(desc) in (4, 8):
            return struct.unpack('<I' if len(desc) == 4 else '<Q', desc)[0]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('bzimage')
    ap.add_argument('output')
    ap.add_argument('--require-pvh', action='store_true',
                    help='fail unless the ELF has the Xen PHYS32_ENTRY note')
    args = ap.parse_args()
    try:
        with open(args.bzimage, 'rb') as f:
            image = f.read()
        name, elf = decompress(payload(image))
        entry = pvh_entry(elf)
        if args.require_pvh and entry is None:
            raise ExtractError('no Xen PHYS32_ENTRY (type 0x12) note: the kernel was built '
                               'without CONFIG_PVH')
    except (OSError, ExtractError) as e:
        sys.exit(f'{args.bzimage}: {e}')
    tmp = args.output + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(elf)
    os.replace(tmp, args.output)
    pvh = f'PVH entry {entry:#x}' if entry is not None else 'no PVH note'
    print(f'{args.output}: {len(elf)} bytes from a {name} payload, {pvh}')


if __name__ == '__main__':
    main()
