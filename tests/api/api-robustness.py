#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The REST API against bad and hostile clients: bad VmConfig bodies (400
naming the member, nothing created), unknown endpoints, wrong methods,
malformed HTTP, oversized bodies and headers, a client that stops half-way
(must not block others, dropped after 5 s), 50 clients at once, garbage,
clients that vanish mid-request. Through all of it a booted VM keeps
running and answers. Also the socket file: mode 0600, a second skiff on the
same path refused, a stale socket file replaced, a regular file left alone."""
import os
import random
import socket
import stat
import sys
import threading
import time

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apiclient import (Api, Failure, Skiff, check, check_error_body, raw_exchange,  # noqa: E402
                       read_response, run_tests, parse_args, unix_connect, vm_config,
                       wait_for_text)

BANNER = "waiting for the power button"
MIB = 1 << 20
CLIENT_TIMEOUT = 5          # the server drops a stalled client after this
CONCURRENT_CLIENTS = 50


def start(a, tmp, extra=()):
    sock = os.path.join(tmp, "api.sock")
    sk = Skiff(a.skiff, tmp, ["--api-socket", f"path={sock}"] + list(extra))
    try:
        sk.wait_listening(sock)
    except BaseException:
        sk.stop()
        raise
    return sk, Api(sock)


def bad_config(api, body, member, what):
    """vm.create with body is refused with 400 and a message naming member; no VM appears."""
    r = api.expect("PUT", "vm.create", 400, body)
    check(member in r.json["error"], f"{what}: the error does not name {member!r}: {r.body!r}")
    check(api.state() == "NotCreated", f"{what}: a refused vm.create left a VM behind")


def test_bad_configs(a, tmp):
    kernel = a.guest("powerbtn")
    serial = os.path.join(tmp, "serial.txt")
    good = vm_config(kernel, serial)
    sk, api = start(a, tmp)
    with sk:
        for body, what in [(b"{not json", "not JSON"), (b"", "empty body"),
                           (b"[1, 2]", "an array"), (b"\"kernel\"", "a string"),
                           (b"{\"payload\": {\"kernel\": \"" + b"\xff\xfe" + b"\"}}", "not UTF-8"),
                           (b"{\"payload\": {\"kernel\": \"a\"}} trailing", "trailing bytes")]:
            r = api.expect("PUT", "vm.create", 400, body)
            check(api.state() == "NotCreated", f"{what}: a VM appeared")

        def with_(path, value):
            cfg = vm_config(kernel, serial)
            node = cfg
            for k in path[:-1]:
                node = node.setdefault(k, {})
            node[path[-1]] = value
            return cfg

        bad_config(api, with_(["bogus"], 1), "bogus", "unknown top-level member")
        bad_config(api, with_(["cpus", "frobs"], 2), "cpus.frobs", "unknown nested member")
        bad_config(api, with_(["cpus", "boot_vcpus"], 0), "cpus.boot_vcpus", "0 vCPUs")
        bad_config(api, with_(["cpus", "boot_vcpus"], 255), "cpus.boot_vcpus", "255 vCPUs")
        bad_config(api, with_(["cpus", "boot_vcpus"], "two"), "cpus.boot_vcpus", "vCPUs as a string")
        bad_config(api, with_(["cpus", "max_vcpus"], 0), "cpus.max_vcpus", "max below boot")
        bad_config(api, with_(["memory", "size"], 128 * MIB + 1), "memory.size", "unaligned memory")
        bad_config(api, with_(["memory", "size"], 4096), "memory.size", "too little memory")
        bad_config(api, with_(["memory", "size"], -1), "memory.size", "negative memory")
        bad_config(api, with_(["serial", "mode"], "Carrier-Pigeon"), "serial.mode", "unknown serial mode")
        bad_config(api, with_(["disks"], [{"path": "/a.img", "num_queues": 0}]),
                   "disks[0].num_queues", "a disk without queues")
        bad_config(api, with_(["net"], [{"tap": "t0", "mac": "ff:ff:ff:ff:ff:ff"}]),
                   "net[0].mac", "a broadcast MAC")
        no_kernel = vm_config(kernel, serial)
        del no_kernel["payload"]["kernel"]
        bad_config(api, no_kernel, "payload.kernel", "no kernel")
        bad_config(api, with_(["payload"], "vmlinux"), "payload", "payload as a string")

        # Accepted: the same config with empty device arrays, then the good one.
        api.ok("vm.create", with_(["disks"], []))
        api.ok("vm.delete")
        api.ok("vm.create", good)
        check(api.state() == "Created", "the good config was not accepted")
        # Kernels that are missing or not kernels: refused at create (400) or at boot
        # (500), naming the file; the VM stays Created and the VMM keeps serving.
        junk = os.path.join(tmp, "junk.elf")
        with open(junk, "w") as f:
            f.write("not a kernel\n")
        for bad_kernel in [os.path.join(tmp, "missing.elf"), junk]:
            api.ok("vm.delete")
            r = api.call("PUT", "vm.create", vm_config(bad_kernel, serial))
            check(r.status in (400, 204), f"vm.create with kernel {bad_kernel}: {r!r}")
            if r.status == 204:
                r = api.expect("PUT", "vm.boot", 500)
                check(api.state() == "Created", f"failed boot: state {api.state()}")
            check(bad_kernel in r.json["error"], f"kernel {bad_kernel}: {r.body!r}")
            check(sk.proc.poll() is None, "skiff exited after a failed boot")
        # And a good VM boots after all of that.
        api.ok("vm.delete")
        api.ok("vm.create", good)
        api.ok("vm.boot")
        wait_for_text(serial, BANNER)
        api.ok("vmm.shutdown")
        check(sk.wait_exit() == 0, f"exit status {sk.proc.returncode}:\n{sk.log()}")


class _FileSock:
    """Lets http.client read several answers from one buffered stream: each
    answer gets the same file, whose close() is left to the caller."""

    class _Shared:
        def __init__(self, f):
            self._f = f

        def __getattr__(self, name):
            return getattr(self._f, name)

        def close(self):
            pass

    def __init__(self, f):
        self.f = self._Shared(f)

    def makefile(self, *args, **kw):
        return self.f


def half_request(path, data):
    s = unix_connect(path, 30)
    s.sendall(data)
    return s


def wait_closed(s, timeout):
    """Seconds until the server closes s (EOF, possibly after one answer), or None."""
    start = time.monotonic()
    s.settimeout(timeout)
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return time.monotonic() - start
    except socket.timeout:
        return None
    except ConnectionResetError:
        return time.monotonic() - start


def test_hostile_clients(a, tmp):
    serial = os.path.join(tmp, "serial.txt")
    sk, api = start(a, tmp)
    with sk:
        api.ok("vm.create", vm_config(a.guest("powerbtn"), serial))
        api.ok("vm.boot")
        wait_for_text(serial, BANNER)
        path = api.path

        def raw(data, status, what):
            try:
                r = raw_exchange(path, data)
            except Exception as e:
                raise Failure(f"{what}: no answer: {e!r}")
            check(r.status == status, f"{what}: expected {status}, got {r!r}")
            check_error_body(r, what)
            return r

        # Routing.
        r = api.expect("GET", "vm.nonsense", 404)
        r = raw(b"GET /api/v2/vm.info HTTP/1.1\r\nHost: x\r\n\r\n", 404, "another API version")
        r = raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 404, "the root")
        r = raw(b"GET /api/v1/../v1/vm.info HTTP/1.1\r\nHost: x\r\n\r\n", 404, "a dot-dot path")
        r = api.expect("GET", "vm.boot", 405)
        check("PUT" in r.headers.get("Allow", ""), f"GET vm.boot: Allow {r.headers.get('Allow')!r}")
        r = api.expect("PUT", "vm.info", 405)
        check("GET" in r.headers.get("Allow", ""), f"PUT vm.info: Allow {r.headers.get('Allow')!r}")
        r = api.expect("DELETE", "vm.delete", 405)
        check("PUT" in r.headers.get("Allow", ""), f"DELETE vm.delete: Allow {r.headers.get('Allow')!r}")

        # Malformed HTTP.
        raw(b"GARBAGE\r\n\r\n", 400, "a one-word request line")
        raw(b"GET /api/v1/vmm.ping\r\n\r\n", 400, "a request line without a version")
        raw(b"GET  /api/v1/vmm.ping HTTP/1.1\r\n\r\n", 400, "two spaces in the request line")
        raw(b"GET /api/v1/vmm.ping HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "a header without colon")
        raw(b"PUT /api/v1/vm.pause HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400,
            "a negative Content-Length")
        raw(b"PUT /api/v1/vm.pause HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            400, "two Content-Lengths")
        raw(b"GET /api/v1/vmm.ping HTTP/2.0\r\n\r\n", 505, "HTTP/2.0")
        raw(b"GET /api/v1/vmm.ping HTTP/1.1\r\nX-Big: " + b"a" * (17 * 1024) + b"\r\n\r\n", 431,
            "17 KiB of headers")
        # Over 1 MiB: refused from the header alone, then with the body actually sent.
        raw(b"PUT /api/v1/vm.create HTTP/1.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (MIB + 1), 413, "Content-Length over 1 MiB")
        s = unix_connect(path)
        try:
            s.sendall(b"PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (2 * MIB))
            try:
                s.sendall(b" " * (2 * MIB))
            except (BrokenPipeError, ConnectionResetError):
                pass    # the server may answer and close before reading it all
            r = read_response(s)
            check(r.status == 413, f"a 2 MiB body: {r!r}")
        finally:
            s.close()

        # Keep-alive: two requests on one connection, then Connection: close.
        s = unix_connect(path)
        try:
            s.sendall(b"GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\n\r\n")
            r1 = read_response(s)
            s.sendall(b"GET /api/v1/vm.info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            r2 = read_response(s)
            check(r1.status == 200 and r2.status == 200, f"keep-alive: {r1!r} {r2!r}")
            check(wait_closed(s, 5) is not None, "Connection: close: the server kept it open")
        finally:
            s.close()
        # A client that sends half a request and stops: others are answered at once,
        # and it is dropped after the timeout.
        stalled_at = time.monotonic()
        stalled = half_request(path, b"GET /api/v1/vm.info HTTP/1.1\r\nHost: x\r\n")
        stalled_body = half_request(path, b"PUT /api/v1/vm.create HTTP/1.1\r\n"
                                    b"Content-Length: 100\r\n\r\n{\"pay")
        try:
            t = time.monotonic()
            r = api.expect("GET", "vm.info", 200)
            took = time.monotonic() - t
            check(took < 1.0, f"vm.info took {took:.2f}s next to a stalled client")
            check(r.json.get("state") == "Running", f"vm.info: {r.body!r}")
            for s, what in [(stalled, "half headers"), (stalled_body, "half a body")]:
                left = stalled_at + CLIENT_TIMEOUT + 5 - time.monotonic()
                closed = wait_closed(s, max(left, 0.1))
                check(closed is not None, f"a client stalled in {what} was not dropped within "
                      f"{CLIENT_TIMEOUT + 5}s")
                since = time.monotonic() - stalled_at
                check(since >= CLIENT_TIMEOUT - 1,
                      f"a client stalled in {what} was dropped after {since:.1f}s, before the "
                      f"{CLIENT_TIMEOUT}s timeout")
        finally:
            stalled.close()
            stalled_body.close()

        # Many clients at once: all connected before any sends, all answered.
        socks = [unix_connect(path, 30) for _ in range(CONCURRENT_CLIENTS)]
        results = [None] * len(socks)

        def client(i):
            try:
                socks[i].sendall(b"GET /api/v1/vm.info HTTP/1.1\r\nHost: x\r\n"
                                 b"Connection: close\r\n\r\n")
                results[i] = read_response(socks[i]).status
            except Exception as e:
                results[i] = repr(e)
        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(socks))]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        finally:
            for s in socks:
                s.close()
        bad = [r for r in results if r != 200]
        check(not bad, f"{len(bad)} of {CONCURRENT_CLIENTS} concurrent clients failed: {bad[:5]}")

        # Garbage, a deterministic stream of it, and clients that vanish mid-request.
        rng = random.Random(1234)
        for n in [1, 7, 100, 5000, 20000]:
            s = unix_connect(path)
            try:
                try:
                    s.sendall(bytes(rng.getrandbits(8) for _ in range(n)) + b"\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                closed = wait_closed(s, CLIENT_TIMEOUT + 5)
                check(closed is not None, f"{n} garbage bytes: the connection stayed open")
            finally:
                s.close()
        raw(b"\x00\x01\x02 /api/v1/vmm.ping HTTP/1.1\r\n\r\n", 400, "control bytes as a method")
        for data in [b"GET /api/v1/vm.info HTT", b"PUT /api/v1/vm.create HTTP/1.1\r\n"
                     b"Content-Length: 50\r\n\r\n{\"payload\":"]:
            s = half_request(path, data)
            s.close()
        s = unix_connect(path)
        s.sendall(b"GET /api/v1/vm.info HTTP/1.1\r\nHost: x\r\n\r\n")
        s.close()       # gone before the answer is written

        # After all of that: the VMM answers, the VM runs, and the guest still takes interrupts.
        check(sk.proc.poll() is None, f"skiff died:\n{sk.log()}")
        check(api.state() == "Running", f"the VM is {api.state()} after the hostile clients")
        api.ok("vm.power-button")
        api.wait_state("Shutdown")
        wait_for_text(serial, "power button pressed")
        api.ok("vmm.shutdown")
        check(sk.wait_exit() == 0, f"exit status {sk.proc.returncode}:\n{sk.log()}")


def test_pipelined(a, tmp):
    """Two requests in one write: two answers, in order, at once (the second
    must not wait for more input or for the stalled-client timeout)."""
    sk, api = start(a, tmp)
    with sk:
        s = unix_connect(api.path, 2)
        try:
            s.sendall(b"GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /api/v1/vm.info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            f = s.makefile("rb")
            r1 = read_response(_FileSock(f))
            try:
                r2 = read_response(_FileSock(f))
            except socket.timeout:
                raise Failure("pipelined requests: no answer to the second within 2s")
            check(r1.status == 200 and "pid" in r1.json, f"pipelined vmm.ping: {r1!r}")
            check(r2.status == 404 and r2.json.get("request") == "vm.info",
                  f"pipelined vm.info: {r2!r}")
        finally:
            s.close()


def test_socket_file(a, tmp):
    path = os.path.join(tmp, "api.sock")
    sk, api = start(a, tmp)
    with sk:
        st = os.lstat(path)
        check(stat.S_ISSOCK(st.st_mode), f"{path} is not a socket")
        check(stat.S_IMODE(st.st_mode) == 0o600, f"socket mode {oct(stat.S_IMODE(st.st_mode))}")

        # A second skiff on the same path: refused, clearly, and the first one unharmed.
        with Skiff(a.skiff, tmp, ["--api-socket", f"path={path}"], name="second") as second:
            rc = second.wait_exit()
            log = second.log()
            check(rc != 0, f"a second skiff on the same socket exited with {rc}")
            check(path in log and ("in use" in log or "already" in log),
                  f"a second skiff on the same socket: unclear message {log!r}")
        r = api.expect("GET", "vmm.ping", 200)
        check(r.json.get("pid") == sk.pid, "the first skiff no longer owns its socket")
        api.ok("vmm.shutdown")
        check(sk.wait_exit() == 0, f"exit status {sk.proc.returncode}")

    # A stale socket file (nobody listening) is replaced.
    stale = os.path.join(tmp, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    check(stat.S_ISSOCK(os.lstat(stale).st_mode), "the test could not leave a stale socket")
    with Skiff(a.skiff, tmp, ["--api-socket", f"path={stale}"], name="stale") as sk2:
        sk2.wait_listening(stale)
        r = Api(stale).expect("GET", "vmm.ping", 200)
        check(r.json.get("pid") == sk2.pid, "the stale socket was not replaced")
        Api(stale).ok("vmm.shutdown")
        check(sk2.wait_exit() == 0, f"exit status {sk2.proc.returncode}")

    # A regular file where the socket should go is not skiff's to delete.
    regular = os.path.join(tmp, "regular")
    with open(regular, "w") as f:
        f.write("precious\n")
    with Skiff(a.skiff, tmp, ["--api-socket", f"path={regular}"], name="regular") as sk3:
        rc = sk3.wait_exit()
        check(rc != 0, "skiff started on a path that holds a regular file")
        check(regular in sk3.log(), f"unclear message: {sk3.log()!r}")
    with open(regular) as f:
        check(f.read() == "precious\n", "skiff overwrote a regular file with its socket")


if __name__ == "__main__":
    sys.exit(run_tests([test_bad_configs, test_hostile_clients, test_pipelined, test_socket_file],
                       parse_args()))
