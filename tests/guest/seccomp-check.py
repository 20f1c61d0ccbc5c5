#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Normal runs under the seccomp filters in kill mode must never hit a
syscall outside them: boot to power-off, several vCPUs, the reset loop,
serial input through stdin and a socket, a pty, and the error path
(register dump, debug log to a file). A syscall outside a filter kills skiff
with SIGSYS.

While a VM runs, /proc shows that every thread has a filter (Seccomp: 2) and
that vCPU threads have their own on top of main's; with --seccomp false, that
no thread has one.
"""
import argparse
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

TIMEOUT = 60
# Tasks the kernel runs inside the process (KVM's NX huge page recovery
# worker, io_uring workers) never return to user space: no filter applies.
PF_IO_WORKER = 0x10
PF_USER_WORKER = 0x4000
PF_KTHREAD = 0x200000


class Failure(Exception):
    pass


def describe(rc):
    if rc is not None and rc < 0:
        name = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else str(-rc)
        return f"killed by {name}" + (" (a syscall outside the seccomp filter)"
                                      if -rc == signal.SIGSYS else "")
    return f"exit status {rc}"


def check_status(what, rc, expected, out="", err=""):
    if rc == -signal.SIGSYS or rc != expected:
        raise Failure(f"{what}: {describe(rc)}, expected exit status {expected}\n"
                      f"--- serial ---\n{out}\n--- log ---\n{err}")


def run(what, cmd, expect_out, status):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"{what}: no exit within {TIMEOUT} s: {' '.join(cmd)}")
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    check_status(what, p.returncode, status, out, err)
    if expect_out not in out:
        raise Failure(f"{what}: {expect_out!r} not in the serial output\n--- serial ---\n{out}"
                      f"\n--- log ---\n{err}")
    return out, err


def read_until(fd, needle, deadline, what):
    """Reads fd until needle (a str, or a compiled bytes regex) shows up."""
    buf = b""
    found = (lambda b: needle.search(b)) if isinstance(needle, re.Pattern) else (
        lambda b: needle.encode() in b)
    while not found(buf):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Failure(f"{what}: {needle!r} did not arrive; got {buf[-300:]!r}")
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            raise Failure(f"{what}: end of output before {needle!r}; got {buf[-300:]!r}")
        buf += chunk
    return buf


def thread_filters(pid):
    """{thread name: [(seccomp mode, number of filters)]} of a running process."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = f.read()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                flags = int(f.read().rsplit(")", 1)[1].split()[6])
        except FileNotFoundError:   # the thread just ended
            continue
        if flags & (PF_IO_WORKER | PF_USER_WORKER | PF_KTHREAD):
            continue
        name = re.search(r"^Name:\s*(.*)$", status, re.M).group(1)
        mode = int(re.search(r"^Seccomp:\s*(\d+)", status, re.M).group(1))
        m = re.search(r"^Seccomp_filters:\s*(\d+)", status, re.M)
        threads.setdefault(name, []).append((mode, int(m.group(1)) if m else None))
    return threads


def check_filters(what, pid, seccomp_on):
    threads = thread_filters(pid)
    if not any(n.startswith("vcpu") for n in threads):
        raise Failure(f"{what}: no vCPU thread found: {threads}")
    main = [f for n, fs in threads.items() for f in fs if not n.startswith("vcpu")]
    main_filters = max((n for _, n in main if n is not None), default=None)
    for name, filters in threads.items():
        for mode, n in filters:
            if not seccomp_on:
                if mode != 0:
                    raise Failure(f"{what}: thread {name} has seccomp mode {mode} "
                                  f"with --seccomp false")
                continue
            if mode != 2:
                raise Failure(f"{what}: thread {name} runs without a seccomp filter "
                              f"(mode {mode}); every thread needs one: {threads}")
            if (name.startswith("vcpu") and n is not None and main_filters is not None
                    and n <= main_filters):
                raise Failure(f"{what}: vCPU thread {name} has {n} filter(s), no more than "
                              f"main's {main_filters}: it lacks its own")


def echo_tty(a, seccomp, seccomp_on):
    """Serial input through stdin: the vCPU thread asks the main loop for more
    input as the guest drains the receive FIFO."""
    what = f"echo over stdin/stdout (--seccomp {seccomp})"
    p = subprocess.Popen([a.skiff, "--seccomp", seccomp, "--kernel", a.echo,
                          "--memory", "size=128M", "--serial", "tty"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + TIMEOUT
        read_until(p.stdout.fileno(), "echo ready", deadline, what)
        # The VM is up: its threads are all there now.
        check_filters(what, p.pid, seccomp_on)
        p.stdin.write(b"hello\n" + b"x" * 100 + b"\n")
        p.stdin.flush()
        read_until(p.stdout.fileno(), "echo: " + "x" * 100, deadline, what)
        p.stdin.write(b"quit\n")
        p.stdin.flush()
        rc = p.wait(timeout=TIMEOUT)
        check_status(what, rc, 0, err=p.stderr.read().decode(errors="replace"))
    finally:
        p.kill()
        p.wait()


def echo_socket(a, tmp):
    what = "echo over a socket"
    path = os.path.join(tmp, "serial.sock")
    p = subprocess.Popen([a.skiff, "--seccomp", "true", "--kernel", a.echo,
                          "--memory", "size=128M", "--serial", "socket=" + path],
                         stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + TIMEOUT
        while True:   # the socket appears once skiff has built the VM
            try:
                s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline or p.poll() is not None:
                    check_status(what, p.poll(), 0, err=p.stderr.read().decode(errors="replace"))
                    raise Failure(f"{what}: cannot connect to {path}")
                time.sleep(0.01)
        s.sendall(b"hello\n")
        read_until(s.fileno(), "echo: hello", deadline, what)
        s.sendall(b"quit\n")
        rc = p.wait(timeout=TIMEOUT)
        s.close()
        check_status(what, rc, 0, err=p.stderr.read().decode(errors="replace"))
    finally:
        p.kill()
        p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", required=True)
    for prog in ("hello", "smp", "reset", "echo", "badio"):
        ap.add_argument("--" + prog, required=True)
    a = ap.parse_args()

    def skiff(kernel, *args):
        return [a.skiff, "--seccomp", "true", "--kernel", kernel, "--serial", "tty",
                "--memory", "size=128M"] + list(args)

    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        log_file = os.path.join(tmp, "skiff.log")
        cases = [
            ("hello", lambda: run("hello", skiff(a.hello), "hello from the guest", 0)),
            ("smp", lambda: run("smp", skiff(a.smp, "--cpus", "boot=2", "--cmdline", "cpus=2"),
                                "cpus online: 2", 0)),
            ("reset loop", lambda: run("reset loop", skiff(a.reset), "reset count: 2", 0)),
            ("log mode", lambda: run("log mode", [a.skiff, "--seccomp", "log", "--kernel", a.hello,
                                                  "--serial", "tty", "--memory", "size=128M"],
                                     "hello from the guest", 0)),
            ("serial input", lambda: echo_tty(a, "true", True)),
            ("serial input, filters off", lambda: echo_tty(a, "false", False)),
            # Output only: a pty with no reader on the far side.
            ("pty", lambda: run("pty", [a.skiff, "--seccomp", "true", "--kernel", a.hello,
                                        "--serial", "pty", "--memory", "size=128M"], "", 0)),
            ("socket", lambda: echo_socket(a, tmp)),
            ("bad I/O, debug log to a file", lambda: run(
                "bad I/O", skiff(a.badio, "-vv", "--log-file", log_file),
                "touching an unknown port", 1)),
        ]
        for name, case in cases:
            try:
                case()
                if name.startswith("bad I/O"):
                    with open(log_file) as f:
                        log = f.read()
                    for needle in ("unsupported I/O port read at 0x1234", "rip="):
                        if needle not in log:
                            raise Failure(f"bad I/O: {needle!r} not in the log file:\n{log}")
                print(f"ok {name}")
            except Failure as e:
                print(f"FAILED {name}: {e}")
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
