#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtio-console end to end with the virtio-console guest: its line
"hello from virtio-console" must arrive on the console's host side, and a line
typed there must come back as "console got: LINE" (then "quit" ends it), over --console pty (path
from skiff's log, which vm.info must report as console.file while the VM runs)
and --console tty (skiff's stdin/stdout as pipes). --console file= and null
carry output only (the guest is told so with --cmdline out); a hostile
transmit chain must make the device need a reset. --serial tty
--console tty must be refused. The guest's verdict comes on the serial port."""
import argparse
import os
import re
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
import apiclient  # noqa: E402

TIMEOUT = 60
HELLO = "hello from virtio-console\n"
# Longer than the guest's 16-byte receive buffers: the line spans several chains.
LINE = "ping 4711 through the virtio console"


class Failure(Exception):
    pass


def fd_reader(fd):
    """read(seconds_left) -> bytes; b"" at end of file; None when nothing came in time."""
    def read(left):
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return None
        try:
            return os.read(fd, 4096)
        except OSError:
            return b""
    return read


def read_until(read, pattern, deadline, what, buf=b""):
    """Reads until the regex pattern (bytes) matches; returns (match, buffer)."""
    while True:
        m = re.search(pattern, buf)
        if m:
            return m, buf
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure(f"{what}: {pattern!r} did not arrive; got {buf[-300:]!r}")
        chunk = read(left)
        if chunk is None:
            continue
        if not chunk:
            raise Failure(f"{what}: end of output before {pattern!r}; got {buf[-300:]!r}")
        buf += chunk


def args_for(a, serial, console, cmdline=None):
    args = [a.skiff, "--kernel", a.kernel, "--cpus", "boot=1", "--memory", "size=128M",
            "--serial", serial, "--console", console]
    if cmdline:
        args += ["--cmdline", cmdline]
    return args


def finish(p, what):
    try:
        rc = p.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"{what}: skiff did not exit")
    if rc != 0:
        raise Failure(f"{what}: skiff exited with {rc}")


def check_serial(path, what):
    out = open(path).read()
    if "console ok" not in out or "PASS" not in out or "FAIL" in out:
        raise Failure(f"{what}: the guest's verdict on the serial port: {out[-500:]!r}")
    return out


def converse(read, write, what):
    """The guest's hello, then our line and its echo; returns all output read."""
    deadline = time.monotonic() + TIMEOUT
    _, buf = read_until(read, re.escape(HELLO.encode()), deadline, what)
    write((LINE + "\n").encode())
    _, buf = read_until(read, re.escape(f"console got: {LINE}\n".encode()), deadline, what, buf)
    # The guest powers off on "quit", which closes a pty: only once we have read all.
    write(b"quit\n")
    return buf


def test_pty(a, tmp):
    serial = os.path.join(tmp, "serial.txt")
    api = os.path.join(tmp, "api.sock")
    p = subprocess.Popen(args_for(a, f"file={serial}", "pty") + ["--api-socket", f"path={api}"],
                         stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        m, log = read_until(fd_reader(p.stderr.fileno()), rb"console: pty (\S+)\n",
                            time.monotonic() + TIMEOUT, "pty log")
        path = m.group(1).decode()
        if re.search(rb"serial: pty", log):
            raise Failure(f"pty: the serial's pty was logged, not asked for: {log!r}")
        # The guest waits for our line, so the VM is running: vm.info must name the pty.
        info = apiclient.request(api, "GET", "vm.info")
        cfg = (info.json or {}).get("config", {})
        con = cfg.get("console") or {}
        if info.status != 200 or con.get("mode") != "Pty" or con.get("file") != path:
            raise Failure(f"pty: vm.info console {cfg.get('console')!r}, expected {path}")
        counters = apiclient.request(api, "GET", "vm.counters").json or {}
        if counters.get("console") != {"tx_dropped": 0}:
            raise Failure(f"pty: vm.counters {counters!r}, expected console tx_dropped 0")
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        try:
            converse(fd_reader(fd), lambda b: os.write(fd, b), "pty")
        finally:
            os.close(fd)
        # With --api-socket skiff outlives the guest: wait for its verdict, then end it.
        apiclient.wait_for_text(serial, "PASS", timeout=TIMEOUT)
        check_serial(serial, "pty")
        r = apiclient.request(api, "PUT", "vmm.shutdown")
        if r.status != 204:
            raise Failure(f"pty: vmm.shutdown answered {r!r}")
        finish(p, "pty")
    except Failure as e:
        p.kill()
        raise Failure(f"{e}\nskiff's status: {p.wait()}; "
                      f"serial: {apiclient.read_text(serial)[-300:]!r}\n"
                      f"skiff's log: {p.stderr.read()[-1000:]!r}")
    finally:
        p.kill()
        p.wait()
        p.stderr.close()


def test_tty(a, tmp):
    serial = os.path.join(tmp, "serial.txt")
    p = subprocess.Popen(args_for(a, f"file={serial}", "tty"),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        def write(b):
            p.stdin.write(b)
            p.stdin.flush()
        buf = converse(fd_reader(p.stdout.fileno()), write, "tty")
        finish(p, "tty")
        rest = p.stdout.read()
        # stdout is the console's alone: the hello, the echo, nothing else.
        if buf + rest != (HELLO + f"console got: {LINE}\n").encode():
            raise Failure(f"tty: stdout held {buf + rest!r}")
        check_serial(serial, "tty")
    finally:
        p.kill()
        p.wait()
        p.stdin.close()
        p.stdout.close()


def test_file(a, tmp):
    serial = os.path.join(tmp, "serial.txt")
    out = os.path.join(tmp, "console.txt")
    with open(out, "w") as f:
        f.write("kept\n")       # file= appends
    try:
        p = subprocess.run(args_for(a, f"file={serial}", f"file={out}", "out"),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("file: skiff did not exit")
    if p.returncode != 0:
        raise Failure(f"file: skiff exited with {p.returncode}: {p.stderr[-500:]!r}")
    check_serial(serial, "file")
    got = open(out).read()
    if got != "kept\n" + HELLO:
        raise Failure(f"file: the console file holds {got!r}")


def test_null(a, tmp):
    serial = os.path.join(tmp, "serial.txt")
    try:
        p = subprocess.run(args_for(a, f"file={serial}", "null", "out"),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("null: skiff did not exit")
    if p.returncode != 0:
        raise Failure(f"null: skiff exited with {p.returncode}: {p.stderr[-500:]!r}")
    check_serial(serial, "null")
    if p.stdout:
        raise Failure(f"null: output reached stdout: {p.stdout!r}")


def test_hostile(a, tmp):
    """A device-writable descriptor in a transmit chain: DEVICE_NEEDS_RESET
    for the guest, a warning in the log, and skiff carries on."""
    serial = os.path.join(tmp, "serial.txt")
    try:
        p = subprocess.run(args_for(a, f"file={serial}", "null", "bad"),
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("hostile: skiff did not exit")
    if p.returncode != 0:
        raise Failure(f"hostile: skiff exited with {p.returncode}: {p.stderr[-500:]!r}")
    out = check_serial(serial, "hostile")
    if "needs reset" not in out:
        raise Failure(f"hostile: {out[-500:]!r}")
    if "transmit buffer with a device-writable descriptor" not in p.stderr:
        raise Failure(f"hostile: no reason in the log: {p.stderr[-500:]!r}")


def test_off(a, tmp):
    """No --console: no device, and the guest says so."""
    serial = os.path.join(tmp, "serial.txt")
    try:
        p = subprocess.run(args_for(a, f"file={serial}", "off", "out"),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("off: skiff did not exit")
    out = open(serial).read()
    if "no such virtio device" not in out or "PASS" in out:
        raise Failure(f"off: the guest found a console: {out[-500:]!r}")


def test_two_ttys(a, tmp):
    try:
        p = subprocess.run(args_for(a, "tty", "tty"), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("tty+tty: skiff did not exit")
    if p.returncode != 1 or "--serial tty and --console tty" not in p.stderr:
        raise Failure(f"tty+tty: status {p.returncode}, stderr {p.stderr!r}")
    if p.stdout:
        raise Failure(f"tty+tty: a VM ran: {p.stdout!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", required=True)
    ap.add_argument("--kernel", required=True)
    a = ap.parse_args()
    failed = 0
    for t in (test_pty, test_tty, test_file, test_null, test_hostile, test_off, test_two_ttys):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                t(a, tmp)
                print(f"ok {t.__name__}")
            except (Failure, apiclient.Failure) as e:
                print(f"FAILED {t.__name__}: {e}")
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
