#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtio-net end to end, on taps (needs root): the virtio-net guest prints
the MAC it reads from the device, waits for a frame this script sends into
the tap through a raw packet socket, prints its payload and answers with
"pong <payload>", which this script reads from the same socket and checks
(payload, source MAC). Cases:

- a tap skiff creates, with ip=/mask=: the host side has the address while
  the VM runs, and the tap is gone after skiff exits;
- an existing persistent tap: still there after skiff exits;
- fd=N: a tap this script opened without IFF_VNET_HDR, passed to skiff;
- num_queues=4: the guest negotiates MQ, sets two pairs over the control
  queue and answers on transmit queue 1;
- a name taken by an interface that is not a tap: skiff fails before the
  VM starts.
"""
import argparse
import fcntl
import os
import secrets
import selectors
import socket
import struct
import subprocess
import sys
import time

TIMEOUT = 40                    # per run: five runs stay inside meson's 240 s
ETHERTYPE = 0x88B5
MAC = "52:54:00:12:34:56"
HOST_IP = "198.18.249.1"        # RFC 2544 benchmarking range: never a real network
MASK = "255.255.255.0"
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


class Failure(Exception):
    pass


def tap_name(kind):
    return f"skt-g{os.getpid() % 100000}{kind}"


def iface_exists(name):
    return subprocess.run(["ip", "link", "show", "dev", name], capture_output=True).returncode == 0


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True)


def delete_iface(name):
    if iface_exists(name):
        subprocess.run(["ip", "link", "del", "dev", name], capture_output=True)


class Skiff:
    """skiff running the guest; serial output read line by line with a deadline."""

    def __init__(self, a, net, cmdline=None, pass_fds=()):
        args = [a.skiff, "--kernel", a.kernel, "--cpus", "boot=1", "--memory", "size=128M",
                "--serial", "tty", "--net", net]
        if cmdline:
            args += ["--cmdline", cmdline]
        self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, pass_fds=pass_fds)
        self.deadline = time.monotonic() + TIMEOUT
        self.out = b""
        self.lines = []
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ)

    def expect(self, prefix):
        """Waits for a serial line starting with prefix and returns it."""
        while True:
            for line in self.lines:
                if line.startswith(prefix):
                    return line
                if "FAIL" in line:
                    raise Failure(f"the guest failed: {line!r}; stderr {self.stderr_tail()!r}")
            left = self.deadline - time.monotonic()
            if left <= 0 or not self.sel.select(left):
                raise Failure(f"no {prefix!r} from the guest: {self.out[-500:]!r}")
            chunk = os.read(self.p.stdout.fileno(), 4096)
            if not chunk:
                raise Failure(f"skiff ended before {prefix!r}: {self.out[-500:]!r}, "
                              f"stderr {self.stderr_tail()!r}")
            self.out += chunk
            # Whole lines only: a prefix may arrive before the rest of its line.
            self.lines = self.out.decode(errors="replace").split("\n")[:-1]

    def stderr_tail(self):
        return "(running)" if self.p.poll() is None else self.p.stderr.read()[-500:]

    def finish(self):
        """Waits for skiff to exit; returns (status, stdout, stderr)."""
        try:
            out, err = self.p.communicate(timeout=max(1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("skiff did not exit")
        self.out += out
        return self.p.returncode, self.out.decode(errors="replace"), err.decode(errors="replace")

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate()


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def exchange(vm, name, queues_line=None, while_waiting=None):
    """The frame to the guest and its answer back, through a packet socket on
    the tap. while_waiting runs while the guest waits for the frame (skiff is
    sure to be running)."""
    vm.expect(f"mac {MAC}")
    vm.expect("link up")
    if queues_line:
        vm.expect(queues_line)
    vm.expect("rx ready")
    if while_waiting:
        while_waiting()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE))
    try:
        s.bind((name, ETHERTYPE))
        host_mac = mac_bytes(open(f"/sys/class/net/{name}/address").read().strip())
        text = f"hello guest {secrets.token_hex(6)}".encode()
        s.send(mac_bytes(MAC) + host_mac + struct.pack("!H", ETHERTYPE) + bytes([len(text)]) + text)
        line = vm.expect("received on queue ")
        if not line.endswith(": " + text.decode()):
            raise Failure(f"the guest printed {line!r}, the host sent {text!r}")
        s.settimeout(max(1, vm.deadline - time.monotonic()))
        while True:
            try:
                frame = s.recv(2048)
            except socket.timeout:
                raise Failure("no frame from the guest on the tap")
            if frame[:6] == host_mac:
                break
        want = b"pong " + text
        if frame[6:12] != mac_bytes(MAC):
            raise Failure(f"the guest's frame has source MAC {frame[6:12].hex(':')}")
        if frame[14] != len(want) or frame[15:15 + len(want)] != want:
            raise Failure(f"the guest's frame carries {frame[14:80]!r}, not {want!r}")
        return line
    finally:
        s.close()


def expect_clean_exit(vm):
    rc, out, err = vm.finish()
    if rc != 0:
        raise Failure(f"skiff exited with {rc}: {err[-500:]!r}")
    if "net ok" not in out.splitlines() or "FAIL" in out:
        raise Failure(f"the guest did not finish: {out[-500:]!r}")
    if "runtime error:" in err or "AddressSanitizer" in err:
        raise Failure(f"a sanitizer reported an error: {err[-1000:]!r}")


def test_created_tap(a):
    name = tap_name("c")
    delete_iface(name)
    def check_address():
        addr = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", name],
                              capture_output=True, text=True).stdout
        if f"inet {HOST_IP}/24" not in addr:
            raise Failure(f"the tap's address is not {HOST_IP}/24: {addr!r}")

    vm = Skiff(a, f"tap={name},mac={MAC},ip={HOST_IP},mask={MASK}")
    try:
        exchange(vm, name, while_waiting=check_address)
        expect_clean_exit(vm)
        if iface_exists(name):
            raise Failure("the tap skiff created is still there after it exited")
    finally:
        vm.kill()
        delete_iface(name)


def test_existing_tap(a):
    name = tap_name("e")
    delete_iface(name)
    ip("tuntap", "add", "dev", name, "mode", "tap")
    vm = None
    try:
        vm = Skiff(a, f"tap={name},mac={MAC}")
        exchange(vm, name)
        expect_clean_exit(vm)
        if not iface_exists(name):
            raise Failure("skiff deleted a persistent tap it did not create")
    finally:
        if vm:
            vm.kill()
        delete_iface(name)


def test_inherited_fd(a):
    name = tap_name("f")
    delete_iface(name)
    fd = os.open("/dev/net/tun", os.O_RDWR)
    vm = None
    try:
        # Without IFF_VNET_HDR: skiff adds and strips the virtio header itself.
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
        ip("link", "set", "dev", name, "up")
        vm = Skiff(a, f"fd={fd},mac={MAC}", pass_fds=(fd,))
        exchange(vm, name)
        expect_clean_exit(vm)
    finally:
        if vm:
            vm.kill()
        os.close(fd)
    if iface_exists(name):
        raise Failure("the tap outlived its last descriptor")


def test_multiqueue(a):
    name = tap_name("m")
    delete_iface(name)
    vm = Skiff(a, f"tap={name},mac={MAC},num_queues=4", cmdline="mq")
    try:
        exchange(vm, name, queues_line="pairs 2 ok")
        vm.expect("sent on queue 3")
        expect_clean_exit(vm)
        if iface_exists(name):
            raise Failure("the multi-queue tap skiff created is still there after it exited")
    finally:
        vm.kill()
        delete_iface(name)


def test_not_a_tap(a):
    # A bridge: dummy interfaces need a module that may be missing.
    name = tap_name("d")
    delete_iface(name)
    ip("link", "add", "dev", name, "type", "bridge")
    try:
        vm = Skiff(a, f"tap={name}")
        rc, out, err = vm.finish()
        if rc != 1 or f"{name} exists and is not a single-queue tap" not in err:
            raise Failure(f"a bridge as tap: status {rc}, stderr {err[-300:]!r}")
        if "virtio-net slot" in out:
            raise Failure("the guest ran without its tap")
        if not iface_exists(name):
            raise Failure("skiff removed an interface it did not create")
    finally:
        delete_iface(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", required=True)
    ap.add_argument("--kernel", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("FAILED: taps need root")
        return 1
    failed = 0
    for t in (test_created_tap, test_existing_tap, test_inherited_fd, test_multiqueue,
              test_not_a_tap):
        try:
            t(a)
            print(f"ok {t.__name__}")
        except (Failure, OSError, subprocess.CalledProcessError) as e:
            print(f"FAILED {t.__name__}: {e}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
