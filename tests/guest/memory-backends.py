#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Guest memory backends: private (default), shared=on and hugepages=on.
For huge pages the test reserves 2 MiB pages in the host pool (root only) and
restores the pool afterwards; with a pool too small skiff must refuse cleanly."""
import argparse
import subprocess
import sys

NR_HUGEPAGES = "/proc/sys/vm/nr_hugepages"
GUEST_MIB = 64


def run(skiff, kernel, memory):
    return subprocess.run([skiff, "--kernel", kernel, "--serial", "tty", "--memory", memory],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=60, text=True)


def expect_boot(p, what):
    if p.returncode != 0 or "PASS" not in p.stdout:
        raise SystemExit(f"FAILED {what}: status {p.returncode}\n{p.stdout}\n{p.stderr}")
    print(f"ok {what}")


def free_hugepages():
    for line in open("/proc/meminfo"):
        if line.startswith("HugePages_Free:"):
            return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", required=True)
    ap.add_argument("--kernel", required=True)
    a = ap.parse_args()

    expect_boot(run(a.skiff, a.kernel, f"size={GUEST_MIB}M"), "private memory")
    expect_boot(run(a.skiff, a.kernel, f"size={GUEST_MIB}M,shared=on"), "shared memory")

    before = int(open(NR_HUGEPAGES).read())
    try:
        # A pool with no free pages for us: a clear error, not a crash.
        open(NR_HUGEPAGES, "w").write(str(before - free_hugepages()))
        p = run(a.skiff, a.kernel, f"size={GUEST_MIB}M,hugepages=on")
        if p.returncode != 1 or "huge pages" not in p.stderr:
            raise SystemExit(f"FAILED small pool: status {p.returncode}\n{p.stderr}")
        print("ok hugepages refused when the pool is empty")
        open(NR_HUGEPAGES, "w").write(str(before + GUEST_MIB // 2))
        if free_hugepages() < GUEST_MIB // 2:
            raise SystemExit("FAILED: the host could not reserve huge pages for the test")
        expect_boot(run(a.skiff, a.kernel, f"size={GUEST_MIB}M,hugepages=on"), "hugepages")
    finally:
        open(NR_HUGEPAGES, "w").write(str(before))
    return 0


if __name__ == "__main__":
    sys.exit(main())
