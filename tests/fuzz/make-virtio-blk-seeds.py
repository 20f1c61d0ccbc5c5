#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed inputs of fuzz-virtio-blk: guests with well-formed
virtio-blk requests (virtio 1.x, 5.2.6) on a split virtqueue.

Run it with the corpus directory as argument to regenerate the checked-in
seeds (corpus/virtio-blk/). The input layout is described at the top of
fuzz-virtio-blk.c: a 2-byte header, then guest memory from address 0, with
the descriptors at 0, the available ring at 0x400 and the used ring at 0x600.
"""
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seedlib import write_seeds  # noqa: E402

NEXT, WRITE, INDIRECT = 1, 2, 4
DESC, AVAIL = 0x0, 0x400
T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD, T_WRITE_ZEROES = 0, 1, 4, 8, 11, 13


class Guest:
    def __init__(self, log2_size=4, opts=0):
        self.size = 1 << log2_size
        self.header = struct.pack("<BB", log2_size, opts)
        self.mem = bytearray(0x800)
        self.avail_idx = 0
        self.next_desc = 0
        self.next_buf = 0x1000

    def put(self, gpa, data):
        if len(self.mem) < gpa + len(data):
            self.mem.extend(bytes(gpa + len(data) - len(self.mem)))
        self.mem[gpa:gpa + len(data)] = data

    def buf(self, data):
        gpa = self.next_buf
        self.put(gpa, data)
        self.next_buf += (len(data) + 0xff) & ~0xff
        return gpa

    def chain(self, parts, table=None):
        """parts: (bytes, writable); returns the head."""
        base = DESC if table is None else table
        first = self.next_desc if table is None else 0
        for i, (data, writable) in enumerate(parts):
            idx = first + i
            flags = (WRITE if writable else 0) | (NEXT if i + 1 < len(parts) else 0)
            self.put(base + 16 * idx, struct.pack("<QIHH", self.buf(data), len(data), flags,
                                                  idx + 1 if i + 1 < len(parts) else 0))
        if table is None:
            self.next_desc += len(parts)
        return first

    def avail(self, head):
        self.put(AVAIL + 4 + 2 * (self.avail_idx % self.size), struct.pack("<H", head))
        self.avail_idx += 1
        self.put(AVAIL + 2, struct.pack("<H", self.avail_idx))

    def request(self, rtype, sector, data=b"", data_in=0):
        parts = [(struct.pack("<IIQ", rtype, 0, sector), False)]
        if data:
            parts.append((data, False))
        if data_in:
            parts.append((bytes(data_in), True))
        parts.append((b"\xff", True))
        self.avail(self.chain(parts))

    def data(self):
        return self.header + bytes(self.mem)


def seg(sector, sectors, flags=0):
    return struct.pack("<QII", sector, sectors, flags)


def read():
    g = Guest()
    g.request(T_IN, 3, data_in=1024)
    g.request(T_IN, 63, data_in=512)
    return g


def write():
    g = Guest()
    g.request(T_OUT, 1, data=bytes(range(256)) * 2)
    return g


def flush_get_id():
    g = Guest()
    g.request(T_FLUSH, 0)
    g.request(T_GET_ID, 0, data_in=20)
    return g


def discard():
    g = Guest()
    g.request(T_DISCARD, 0, data=seg(0, 8) + seg(16, 8))
    return g


def write_zeroes():
    g = Guest(opts=2)
    g.request(T_WRITE_ZEROES, 0, data=seg(8, 4, 1))
    g.request(T_WRITE_ZEROES, 0, data=seg(32, 2))
    return g


def indirect_read():
    g = Guest()
    table = 0x800
    g.chain([(struct.pack("<IIQ", T_IN, 0, 2), False), (bytes(512), True), (b"\xff", True)],
            table=table)
    g.put(DESC, struct.pack("<QIHH", table, 48, INDIRECT, 0))
    g.next_desc = 1
    g.avail(0)
    return g


def readonly_write():
    g = Guest(opts=1)
    g.request(T_OUT, 0, data=bytes(512))
    g.request(T_DISCARD, 0, data=seg(0, 1))
    return g


SEEDS = {
    "read": read,
    "write": write,
    "flush-get-id": flush_get_id,
    "discard": discard,
    "write-zeroes": write_zeroes,
    "indirect-read": indirect_read,
    "readonly-write": readonly_write,
}


if __name__ == "__main__":
    write_seeds("virtio-blk", SEEDS)
