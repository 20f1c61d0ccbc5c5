#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtio-blk end to end, each case with io_uring and with _disable_io_uring=on
(skiff's log must name the backend in use): the virtio-blk guest reads a
sector this script wrote, writes another that this script then finds in the
image, reads the serial, discards sectors 8..15 and write-zeroes 16..31; the
image must then hold a hole over the discarded 4 KiB block and zeroes over the
others, with every other byte unchanged. With num_queues=2 the guest also
reads on queue 1. Two --disk options give two devices, each found by PCI
enumeration and told apart by GET_ID. On a read-only disk writes, discards and
write-zeroes are refused and the image is left as it was. A loop block device
(when this runs as root) serves as backing too. A missing image or a directory
fails before the VM starts."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = 60
SECTOR = 512
SECTORS = 64                                    # the guest checks capacity 64
BLOCK = 4096


def pattern(n, mul, add):
    return bytes((i * mul + add) & 0xFF for i in range(n))


IMAGE = pattern(SECTOR * SECTORS, 7, 3)
IMAGE2 = pattern(SECTOR * SECTORS, 5, 1)
SECTOR1 = pattern(SECTOR, 13, 0x11)             # the guest's write
SERIAL = "SKIFFDISK"
SERIAL2 = "SKIFFDISK2"
BACKENDS = {"io_uring": "", "synchronous I/O": ",_disable_io_uring=on"}


class Failure(Exception):
    pass


def make_image(tmp, name="disk.img", data=IMAGE):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def run(a, disks, cmdline=None):
    args = [a.skiff, "-v", "--kernel", a.kernel, "--cpus", "boot=1", "--memory", "size=128M",
            "--serial", "tty"]
    for d in disks:
        args += ["--disk", d]
    if cmdline:
        args += ["--cmdline", cmdline]
    try:
        return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("skiff did not exit")


def expect_guest(p, lines, backend):
    if p.returncode != 0:
        raise Failure(f"skiff exited with {p.returncode}: {p.stderr[-500:]!r}")
    for line in lines:
        if line not in p.stdout.splitlines():
            raise Failure(f"no {line!r} in the guest's output {p.stdout[-500:]!r}")
    if "FAIL" in p.stdout:
        raise Failure(f"the guest failed: {p.stdout[-500:]!r}")
    if f", {backend}" not in p.stderr:
        raise Failure(f"skiff's log does not say {backend!r}: {p.stderr[-500:]!r}")


def check_written(data, holes_checked_on=None):
    """The image after the guest's writes, discard and write-zeroes."""
    if len(data) != SECTOR * SECTORS:
        raise Failure(f"the image changed size: {len(data)}")
    want = bytearray(IMAGE)
    want[SECTOR:2 * SECTOR] = SECTOR1
    want[8 * SECTOR:32 * SECTOR] = bytes(24 * SECTOR)
    for off in range(0, len(want), SECTOR):
        if data[off:off + SECTOR] != want[off:off + SECTOR]:
            raise Failure(f"sector {off // SECTOR} is not as expected")
    if holes_checked_on:
        # The discarded 4 KiB block (sectors 8..15) is a hole in the file.
        with open(holes_checked_on, "rb") as f:
            fd = f.fileno()
            if os.lseek(fd, BLOCK, os.SEEK_HOLE) != BLOCK:
                raise Failure("no hole where the guest discarded")
            if os.lseek(fd, BLOCK, os.SEEK_DATA) <= BLOCK:
                raise Failure("data left where the guest discarded")


def test_read_write(a, tmp, backend, opts):
    img = make_image(tmp)
    p = run(a, [f"path={img},serial={SERIAL},num_queues=2{opts}"])
    expect_guest(p, ["queues=0x2", "read ok", "write ok", "serial ok", "discard ok",
                     "queue 1 ok", "blk ok"], backend)
    check_written(open(img, "rb").read(), holes_checked_on=img)


def test_two_disks(a, tmp, backend, opts):
    img = make_image(tmp)
    img2 = make_image(tmp, "disk2.img", IMAGE2)
    p = run(a, [f"path={img},serial={SERIAL}{opts}",
                f"path={img2},serial={SERIAL2},direct=on{opts}"], cmdline="two")
    expect_guest(p, ["queues=0x1", "blk ok", "second disk ok"], backend)
    check_written(open(img, "rb").read())
    if open(img2, "rb").read() != IMAGE2:
        raise Failure("the second disk changed")


def test_readonly(a, tmp, backend, opts):
    img = make_image(tmp)
    p = run(a, [f"path={img},serial={SERIAL},readonly=on{opts}"], cmdline="ro")
    expect_guest(p, ["read ok", "write refused", "write ok", "serial ok", "discard refused",
                     "blk ok"], backend)
    if open(img, "rb").read() != IMAGE:
        raise Failure("a read-only image changed")


def test_block_device(a, tmp, backend, opts):
    if os.geteuid() != 0 or not shutil.which("losetup") or not os.path.exists(
            "/dev/loop-control"):
        print(f"skip test_block_device ({backend}): needs root and loop devices")
        return
    img = make_image(tmp)
    loop = subprocess.run(["losetup", "--find", "--show", img], capture_output=True,
                          text=True, timeout=TIMEOUT)
    if loop.returncode != 0:
        print(f"skip test_block_device ({backend}): losetup: {loop.stderr.strip()}")
        return
    dev = loop.stdout.strip()
    try:
        p = run(a, [f"path={dev},serial={SERIAL},num_queues=2{opts}"])
        expect_guest(p, ["read ok", "write ok", "discard ok", "queue 1 ok", "blk ok"], backend)
        with open(dev, "rb") as f:
            check_written(f.read())
    finally:
        subprocess.run(["losetup", "-d", dev], timeout=TIMEOUT)


def test_refused(a, tmp, backend, opts):
    for path, why in ((os.path.join(tmp, "absent.img"), "cannot open"),
                      (tmp, "")):
        p = run(a, [f"path={path}{opts}"])
        if p.returncode == 0 or "blk ok" in p.stdout or "--disk" not in p.stderr or \
                why not in p.stderr:
            raise Failure(f"{path}: status {p.returncode}, stderr {p.stderr[-300:]!r}")
        if "virtio-blk slot" in p.stdout:
            raise Failure(f"the guest ran with --disk path={path}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", required=True)
    ap.add_argument("--kernel", required=True)
    a = ap.parse_args()
    failed = 0
    for backend, opts in BACKENDS.items():
        for t in (test_read_write, test_two_disks, test_readonly, test_block_device,
                  test_refused):
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    t(a, tmp, backend, opts)
                    print(f"ok {t.__name__} ({backend})")
                except Failure as e:
                    print(f"FAILED {t.__name__} ({backend}): {e}")
                    failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
