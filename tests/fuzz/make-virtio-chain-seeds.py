#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed inputs of fuzz-virtio-chain: guests with well-formed split
virtqueues (virtio 1.x, section 2.7).

Run it with the corpus directory as argument to regenerate the checked-in
seeds (corpus/virtio-chain/). The input layout is described at the top of
fuzz-virtio-chain.c: a 10-byte header, then guest memory from address 0.
"""
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seedlib import write_seeds  # noqa: E402

NEXT, WRITE, INDIRECT = 1, 2, 4
DESC, AVAIL, USED = 0x100, 0x800, 0xa00


class Guest:
    def __init__(self, log2_size, opts=0, start=0):
        self.size = 1 << log2_size
        self.header = struct.pack("<BBHHHH", log2_size, opts, DESC, AVAIL, USED, start)
        self.mem = bytearray(0xa00)
        self.avail_idx = start

    def put(self, gpa, data):
        if len(self.mem) < gpa + len(data):
            self.mem.extend(bytes(gpa + len(data) - len(self.mem)))
        self.mem[gpa:gpa + len(data)] = data

    def desc(self, i, addr, length, flags=0, nxt=0, table=DESC):
        self.put(table + 16 * i, struct.pack("<QIHH", addr, length, flags, nxt))

    def avail(self, head):
        self.put(AVAIL + 4 + 2 * (self.avail_idx % self.size), struct.pack("<H", head))
        self.avail_idx = (self.avail_idx + 1) & 0xffff
        self.put(AVAIL + 2, struct.pack("<H", self.avail_idx))

    def data(self):
        return self.header + bytes(self.mem)


def simple():
    g = Guest(3)
    g.desc(0, 0x1000, 16, NEXT, 4)
    g.desc(4, 0x1100, 512, NEXT, 2)
    g.desc(2, 0x1400, 1, WRITE)
    g.avail(0)
    return g


def indirect():
    g = Guest(3, opts=4)
    g.desc(1, 0x600, 48, INDIRECT)
    g.desc(0, 0x1000, 16, NEXT, 2, table=0x600)
    g.desc(2, 0x1100, 64, NEXT, 1, table=0x600)
    g.desc(1, 0x1200, 4096, WRITE, table=0x600)
    g.avail(1)
    # A direct descriptor, then an indirect table ends the chain.
    g.desc(3, 0x3000, 8, NEXT, 5)
    g.desc(5, 0x700, 16, INDIRECT)
    g.desc(0, 0x3100, 2, WRITE, table=0x700)
    g.avail(3)
    return g


def event_idx_wrap():
    g = Guest(2, opts=1 | 4, start=0xfffe)
    for i in range(4):
        g.desc(i, 0x1000 + 0x100 * i, 32 + i, WRITE)
        g.avail(i)
    return g


def many():
    g = Guest(6, opts=2)
    for i in range(64):
        g.desc(i, 0x1000 + 0x40 * i, 1 + i % 16, WRITE if i % 3 == 0 else 0)
        g.avail(63 - i)
    return g


SEEDS = {
    "simple": simple,
    "indirect": indirect,
    "event-idx-wrap": event_idx_wrap,
    "many": many,
}


if __name__ == "__main__":
    write_seeds("virtio-chain", SEEDS)
