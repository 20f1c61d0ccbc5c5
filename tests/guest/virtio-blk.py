#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtio-blk end to end: the virtio-blk guest reads a sector this script
wrote, writes another that this script then finds in the image, and reads the
serial; on a read-only disk the guest's write must be refused and the image
left as it was. A missing image must fail before the VM starts."""
import argparse
import os
import subprocess
import sys
import tempfile

TIMEOUT = 60
SECTOR = 512
SECTORS = 8                                     # the guest checks capacity 8
SECTOR0 = bytes((i * 7 + 3) & 0xFF for i in range(SECTOR))
SECTOR1 = bytes((i * 13 + 0x11) & 0xFF for i in range(SECTOR))   # the guest's write
SERIAL = "SKIFFDISK"


class Failure(Exception):
    pass


def make_image(tmp):
    path = os.path.join(tmp, "disk.img")
    with open(path, "wb") as f:
        f.write(SECTOR0 + bytes(SECTOR * (SECTORS - 1)))
    return path


def run(a, disk, cmdline=None):
    args = [a.skiff, "--kernel", a.kernel, "--cpus", "boot=1", "--memory", "size=128M",
            "--serial", "tty", "--disk", disk]
    if cmdline:
        args += ["--cmdline", cmdline]
    try:
        p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("skiff did not exit")
    return p


def expect_guest(p, lines):
    if p.returncode != 0:
        raise Failure(f"skiff exited with {p.returncode}: {p.stderr[-500:]!r}")
    for line in lines:
        if line not in p.stdout.splitlines():
            raise Failure(f"no {line!r} in the guest's output {p.stdout[-500:]!r}")
    if "FAIL" in p.stdout:
        raise Failure(f"the guest failed: {p.stdout[-500:]!r}")


def test_read_write(a, tmp):
    img = make_image(tmp)
    p = run(a, f"path={img},serial={SERIAL}")
    expect_guest(p, ["read ok", "write ok", "serial ok", "blk ok"])
    data = open(img, "rb").read()
    if len(data) != SECTOR * SECTORS:
        raise Failure(f"the image changed size: {len(data)}")
    if data[:SECTOR] != SECTOR0:
        raise Failure("sector 0 changed")
    if data[SECTOR:2 * SECTOR] != SECTOR1:
        raise Failure("the image does not hold the guest's sector 1")
    if data[2 * SECTOR:] != bytes(SECTOR * (SECTORS - 2)):
        raise Failure("sectors past 1 changed")


def test_readonly(a, tmp):
    img = make_image(tmp)
    before = open(img, "rb").read()
    p = run(a, f"path={img},serial={SERIAL},readonly=on", cmdline="ro")
    expect_guest(p, ["read ok", "write refused", "write ok", "serial ok", "blk ok"])
    if open(img, "rb").read() != before:
        raise Failure("a read-only image changed")


def test_missing(a, tmp):
    missing = os.path.join(tmp, "absent.img")
    p = run(a, f"path={missing}")
    if p.returncode == 0 or "blk ok" in p.stdout or "cannot open" not in p.stderr:
        raise Failure(f"a missing image: status {p.returncode}, stderr {p.stderr[-300:]!r}")
    if "virtio-blk slot" in p.stdout:
        raise Failure("the guest ran with a missing image")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", required=True)
    ap.add_argument("--kernel", required=True)
    a = ap.parse_args()
    failed = 0
    for t in (test_read_write, test_readonly, test_missing):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                t(a, tmp)
                print(f"ok {t.__name__}")
            except Failure as e:
                print(f"FAILED {t.__name__}: {e}")
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
