#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The serial port's host backends, both directions: tty (stdin/stdout), pty,
socket and file. The echo guest answers each line with "echo: LINE" and
powers off on "quit"; a long line checks that input is not lost when the
16-byte receive FIFO fills."""
import argparse
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT = 60
LONG_LINE = "".join(chr(ord("a") + i % 26) for i in range(700))


class Failure(Exception):
    pass


def read_until(read, needle, deadline, what):
    buf = b""
    while needle.encode() not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure(f"{what}: {needle!r} did not arrive; got {buf[-300:]!r}")
        chunk = read(left)
        if chunk is None:
            continue
        if not chunk:
            raise Failure(f"{what}: end of output before {needle!r}; got {buf[-300:]!r}")
        buf += chunk
    return buf


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


def converse(read, write, what):
    deadline = time.monotonic() + TIMEOUT
    write(b"hello\n")
    read_until(read, "echo: hello", deadline, what)
    write((LONG_LINE + "\n").encode())
    read_until(read, "echo: " + LONG_LINE, deadline, what)
    write(b"quit\n")


def finish(p, what):
    try:
        rc = p.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        raise Failure(f"{what}: skiff did not exit")
    if rc != 0:
        raise Failure(f"{what}: skiff exited with {rc}")


def start(skiff, kernel, serial, **kw):
    return subprocess.Popen([skiff, "--kernel", kernel, "--memory", "size=128M",
                             "--serial", serial], **kw)


def test_tty(a, tmp):
    p = start(a.skiff, a.echo, "tty", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        def write(b):
            p.stdin.write(b)
            p.stdin.flush()
        read_until(fd_reader(p.stdout.fileno()), "echo ready", time.monotonic() + TIMEOUT, "tty")
        converse(fd_reader(p.stdout.fileno()), write, "tty")
        finish(p, "tty")
    finally:
        p.kill()
        p.wait()


def test_pty(a, tmp):
    p = start(a.skiff, a.echo, "pty", stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        log = read_until(fd_reader(p.stderr.fileno()), "\n", time.monotonic() + TIMEOUT, "pty log")
        m = re.search(rb"serial: pty (\S+)", log)
        if not m:
            raise Failure(f"pty: no pty path in skiff's log: {log!r}")
        fd = os.open(m.group(1), os.O_RDWR | os.O_NOCTTY)
        try:
            converse(fd_reader(fd), lambda b: os.write(fd, b), "pty")
            finish(p, "pty")
        finally:
            os.close(fd)
    finally:
        p.kill()
        p.wait()


def test_socket(a, tmp):
    path = os.path.join(tmp, "serial.sock")
    p = start(a.skiff, a.echo, "socket=" + path, stdin=subprocess.DEVNULL)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + TIMEOUT
        while True:   # the socket appears once skiff has built the VM
            try:
                s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline or p.poll() is not None:
                    raise Failure("socket: cannot connect")
                time.sleep(0.01)
        converse(fd_reader(s.fileno()), s.sendall, "socket")
        finish(p, "socket")
        s.close()
        if os.path.exists(path):
            raise Failure("socket: skiff left its socket behind")
    finally:
        p.kill()
        p.wait()


def test_file(a, tmp):
    path = os.path.join(tmp, "serial.log")
    p = start(a.skiff, a.hello, "file=" + path, stdin=subprocess.DEVNULL)
    finish(p, "file")
    out = open(path).read()
    if "hello from the guest" not in out or "PASS" not in out:
        raise Failure(f"file: unexpected content {out!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", required=True)
    ap.add_argument("--echo", required=True)
    ap.add_argument("--hello", required=True)
    a = ap.parse_args()
    failed = 0
    for t in (test_tty, test_pty, test_socket, test_file):
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
