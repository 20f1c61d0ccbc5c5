#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Boot one guest program under skiff on /dev/kvm and check what it reports.

Passes when the serial output contains the expected marker and skiff's exit
status is the expected one; a guest that prints FAIL fails the test even if
the marker and status match.
"""
import argparse
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--expect", required=True, help="text the guest's serial output must contain")
    ap.add_argument("--status", type=int, default=0, help="expected exit status of skiff")
    ap.add_argument("--expect-log", default="", help="text skiff's log (stderr) must contain")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("args", nargs="*", help="more skiff arguments (after --)")
    a = ap.parse_args()

    cmd = [a.skiff, "--kernel", a.kernel, "--serial", "tty", "--memory", "size=128M"] + a.args
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=a.timeout)
    except subprocess.TimeoutExpired as e:
        print(f"TIMEOUT after {a.timeout}s: {' '.join(cmd)}")
        print("--- serial ---\n" + (e.stdout or b"").decode(errors="replace"))
        print("--- log ---\n" + (e.stderr or b"").decode(errors="replace"))
        return 1
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    problems = []
    if a.expect not in out:
        problems.append(f"marker {a.expect!r} not in the serial output")
    if a.expect_log and a.expect_log not in err:
        problems.append(f"{a.expect_log!r} not in skiff's log")
    if "FAIL" in out:
        problems.append("the guest reported FAIL")
    if "runtime error:" in err or "AddressSanitizer" in err:
        problems.append("a sanitizer reported an error")
    if p.returncode != a.status:
        problems.append(f"exit status {p.returncode}, expected {a.status}")
    if problems:
        print("command: " + " ".join(cmd))
        print("\n".join(problems))
        print("--- serial ---\n" + out)
        print("--- log ---\n" + err)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
