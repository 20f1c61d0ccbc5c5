#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed inputs of fuzz-virtio-net: guests with well-formed
virtio-net queues (virtio 1.x, sections 2.7 and 5.1.6).

Run it with the corpus directory as argument to regenerate the checked-in
seeds (corpus/virtio-net/). The input layout is described at the top of
fuzz-virtio-net.c: a 14-byte header, then guest memory from address 0.
"""
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seedlib import write_seeds  # noqa: E402

NEXT, WRITE = 1, 2
DESC, AVAIL, USED = 0x100, 0x800, 0xa00
TX, RX, CTRL, ALL = 0, 1, 2, 3
EVENT_IDX, VNET_HDR, MRG, GUEST_CSUM = 1, 2, 4, 8


class Guest:
    def __init__(self, log2_size, path, opts=0, frames=(0, 0), start=0):
        self.size = 1 << log2_size
        self.header = struct.pack("<BBHHHHHH", log2_size, opts | path << 4, DESC, AVAIL, USED,
                                  start, frames[0], frames[1])
        self.mem = bytearray(0xa00)
        self.avail_idx = start
        self.next = 0

    def put(self, gpa, data):
        if len(self.mem) < gpa + len(data):
            self.mem.extend(bytes(gpa + len(data) - len(self.mem)))
        self.mem[gpa:gpa + len(data)] = data

    def chain(self, segs):
        """segs: (gpa, len, writable); made available as one chain."""
        head = self.next
        for i, (gpa, length, writable) in enumerate(segs):
            idx = (head + i) % self.size
            flags = (WRITE if writable else 0) | (NEXT if i + 1 < len(segs) else 0)
            self.put(DESC + 16 * idx, struct.pack("<QIHH", gpa, length, flags,
                                                  (idx + 1) % self.size))
        self.next = (head + len(segs)) % self.size
        self.put(AVAIL + 4 + 2 * (self.avail_idx % self.size), struct.pack("<H", head))
        self.avail_idx = (self.avail_idx + 1) & 0xffff
        self.put(AVAIL + 2, struct.pack("<H", self.avail_idx))

    def data(self):
        return self.header + bytes(self.mem)


def frame(dst=b"\x52\x54\x00\x12\x34\x56", length=60):
    return b"\0" * 12 + dst + b"\x02" * 6 + b"\x88\xb5" + bytes(range(length - 14))


def tx():
    g = Guest(3, TX, VNET_HDR)
    g.put(0x1000, frame())
    g.chain([(0x1000, 12, False), (0x100c, 60, False)])
    g.chain([(0x1000, 72, False)])
    g.chain([(0x2000, 8, False)])                     # too short: dropped
    return g


def rx_single():
    g = Guest(3, RX, VNET_HDR | EVENT_IDX, frames=(100, 1500))
    g.chain([(0x1000, 2048, True)])
    g.chain([(0x2000, 6, True), (0x2006, 2042, True)])
    return g


def rx_mergeable():
    g = Guest(4, RX, VNET_HDR | MRG | GUEST_CSUM, frames=(3000, 200))
    for i in range(6):
        g.chain([(0x1000 + 0x400 * i, 1024, True)])
    return g


def rx_no_vnet_hdr():
    g = Guest(3, RX, MRG, frames=(1000, 0))
    g.chain([(0x1000, 512, True)])
    return g


def ctrl():
    g = Guest(3, CTRL)
    g.put(0x1000, bytes([4, 0, 2, 0]))                # VQ_PAIRS_SET 2
    g.chain([(0x1000, 4, False), (0x1100, 1, True)])
    g.put(0x1200, bytes([0, 0, 1]))                   # RX PROMISC on
    g.chain([(0x1200, 1, False), (0x1201, 2, False), (0x1300, 1, True)])
    return g


def all_paths():
    g = Guest(3, ALL, VNET_HDR | MRG, frames=(64, 0), start=0xfffe)
    g.put(0x1000, frame())
    g.chain([(0x1000, 72, False)])
    g.chain([(0x2000, 256, True)])
    return g


SEEDS = {
    "tx": tx,
    "rx-single": rx_single,
    "rx-mergeable": rx_mergeable,
    "rx-no-vnet-hdr": rx_no_vnet_hdr,
    "ctrl": ctrl,
    "all": all_paths,
}


if __name__ == "__main__":
    write_seeds("virtio-net", SEEDS)
