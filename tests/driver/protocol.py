#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtskiffd's protocol handling from a raw socket, against a daemon started
by the test: keepalive PING → PONG; an unknown procedure answers
VIR_ERR_NO_SUPPORT and the connection goes on; an unknown program or
version is refused; oversized, undersized, truncated and undecodable packets
close that client and nothing else; a client that never reads its replies
does not hold up the others; the read-only socket refuses calls that change
anything with VIR_ERR_OPERATION_DENIED."""
import os
import struct
import sys
import time
import uuid

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driverlib import (Daemon, Failure, Virsh, check, domain_xml, parse_args,  # noqa: E402
                       run_tests, write_xml)
import rpcraw as R  # noqa: E402

VIR_ERR_NO_SUPPORT = 3
VIR_ERR_OPERATION_DENIED = 29
VIR_ERR_NO_DOMAIN = 42
# How long an answer may take on an idle daemon.
ANSWER_TIMEOUT = 5


def opened(d, path=None):
    c = R.RawClient(path or d.socket)
    c.open()
    return c


def check_serving(d, what):
    """A fresh client opens a connection and gets an answer at once."""
    d.check_alive(what)
    try:
        with opened(d) as c:
            t = c.get_type()
    except (OSError, R.Closed, R.ProtocolError, TimeoutError) as e:
        raise Failure(f"{what}: a new client gets no answer: {e!r}")
    check(t == "skiff", f"{what}: CONNECT_GET_TYPE answered {t!r}")


def test_open_and_type(a, tmp):
    """The calls virsh starts every connection with, spelled out by hand."""
    with Daemon(a, tmp) as d, R.RawClient(d.socket) as c:
        r = c.call_ok(R.PROC_AUTH_LIST)
        n = r.uint()
        types = [r.int() for _ in range(n)]
        r.done()
        check(types == [0], f"AUTH_LIST: {types}, expected [0] (none)")
        r = c.call_ok(R.PROC_CONNECT_SUPPORTS_FEATURE, R.x_int(R.FEATURE_KEEPALIVE))
        sup = r.int()
        r.done()
        check(sup == 1, f"SUPPORTS_FEATURE(keepalive) = {sup}: keepalive not advertised")
        c.open()
        check(c.get_type() == "skiff", "CONNECT_GET_TYPE")
        r = c.call_ok(R.PROC_CONNECT_GET_HOSTNAME)
        host = r.string()
        r.done()
        check(host and "\0" not in host, f"hostname {host!r}")
        # Replies carry the call's serial, whatever it is.
        c.serial = 0xfffffff0
        check(c.get_type() == "skiff", "a call with a large serial")
        r = c.call_ok(R.PROC_CONNECT_CLOSE)
        r.done()


def test_keepalive(a, tmp):
    """PING (keepalive program, MESSAGE, serial 0) is answered with PONG, on
    an open connection and before CONNECT_OPEN."""
    with Daemon(a, tmp) as d:
        for do_open in (False, True):
            with R.RawClient(d.socket) as c:
                if do_open:
                    c.open()
                c.send(R.packet(R.KEEPALIVE_PROGRAM, R.KEEPALIVE_VERSION, R.KEEPALIVE_PING,
                                R.MESSAGE, 0, R.OK))
                deadline = time.monotonic() + ANSWER_TIMEOUT
                while True:
                    p = c.recv_packet(max(0.1, deadline - time.monotonic()))
                    if p.prog == R.KEEPALIVE_PROGRAM and p.proc == R.KEEPALIVE_PING:
                        continue    # the daemon's own ping: allowed, not the answer
                    break
                check(p.prog == R.KEEPALIVE_PROGRAM and p.vers == R.KEEPALIVE_VERSION and
                      p.proc == R.KEEPALIVE_PONG and p.type == R.MESSAGE and p.serial == 0
                      and p.status == R.OK and p.body == b"",
                      f"answer to PING (open={do_open}): {p!r}")
                if do_open:
                    check(c.get_type() == "skiff", "a call after keepalive")


def test_unknown_procedure(a, tmp):
    """Procedures the daemon does not have answer VIR_ERR_NO_SUPPORT with the
    call's serial, and the connection goes on."""
    with Daemon(a, tmp) as d, opened(d) as c:
        for proc in (9999, 0x7fffffff, -1, 0):
            p = c.call(proc, b"")
            check(p.status == R.ERROR, f"proc {proc}: status {p.status}, expected ERROR")
            e = p.error()
            check(e["code"] == VIR_ERR_NO_SUPPORT,
                  f"proc {proc}: error code {e['code']} ({e['message']!r}), expected "
                  f"{VIR_ERR_NO_SUPPORT} (VIR_ERR_NO_SUPPORT)")
            check(e["message"], f"proc {proc}: error without a message")
            check(e["level"] == 2, f"proc {proc}: error level {e['level']}")
        # An unknown procedure with a body (arguments it cannot know).
        p = c.call(9998, b"\0" * 64)
        check(p.status == R.ERROR and p.error()["code"] == VIR_ERR_NO_SUPPORT,
              f"unknown proc with a body: {p!r}")
        check(c.get_type() == "skiff", "the connection after unknown procedures")
        check_serving(d, "after unknown procedures")


def expect_refused_or_closed(c, serial, what):
    """The daemon either answers the call with an ERROR reply or closes the
    connection; it never answers OK."""
    try:
        p = c.recv_packet(ANSWER_TIMEOUT)
    except R.Closed:
        return "closed"
    except TimeoutError:
        raise Failure(f"{what}: neither an answer nor a close within {ANSWER_TIMEOUT}s")
    check(p.type == R.REPLY and p.status == R.ERROR and p.serial == serial,
          f"{what}: expected an error reply with serial {serial} or a close, got {p!r}")
    p.error()   # must decode
    return "error"


def test_unknown_program(a, tmp):
    """A call to a program or version the daemon does not serve is refused
    (an error reply or a close) and nothing else is affected."""
    with Daemon(a, tmp) as d:
        keep = opened(d)
        try:
            for prog, vers in ((0x11111111, 1), (R.REMOTE_PROGRAM, 2),
                               (R.KEEPALIVE_PROGRAM, 7)):
                with opened(d) as c:
                    c.send(R.call_packet(R.PROC_CONNECT_GET_TYPE, 77, b"", prog, vers))
                    expect_refused_or_closed(c, 77, f"program {prog:#x} version {vers}")
            check(keep.get_type() == "skiff", "another client after unknown programs")
        finally:
            keep.close()
        check_serving(d, "after unknown programs")


def test_bad_lengths(a, tmp):
    """A length word beyond 32 MiB or below the header size closes that
    client at once (nothing to resynchronise on); others go on."""
    with Daemon(a, tmp) as d:
        keep = opened(d)
        try:
            for n in (R.MAX_PACKET + 1, 0x7fffffff, 0xffffffff, 0, 3, 4, 27):
                with R.RawClient(d.socket) as c:
                    c.send(struct.pack(">I", n) + b"\0" * 24)
                    check(c.wait_closed(ANSWER_TIMEOUT),
                          f"length {n:#x}: the daemon did not close the connection")
                check(keep.get_type() == "skiff", f"another client after length {n:#x}")
            # Exactly the limit is allowed: the daemon must take the bytes
            # (no close before they arrive), then refuse the bogus call.
            with opened(d) as c:
                body = b"\0" * (R.MAX_PACKET - 28)
                c.send(R.call_packet(9999, 5, body))
                p = c.recv_packet(30)
                check(p.serial == 5 and p.status == R.ERROR and
                      p.error()["code"] == VIR_ERR_NO_SUPPORT,
                      f"a 32 MiB call to an unknown procedure: {p!r}")
        finally:
            keep.close()
        check_serving(d, "after bad lengths")


def test_truncated(a, tmp):
    """Half a packet then close, half a packet left hanging, a header with no
    body for a call that needs one, a body that does not decode, garbage:
    each affects its own connection only."""
    with Daemon(a, tmp) as d:
        keep = opened(d)
        hanging = []
        try:
            whole = R.call_packet(R.PROC_CONNECT_GET_TYPE, 1)
            for cut in (1, 3, 4, 10, len(whole) - 1):
                c = R.RawClient(d.socket)
                c.send(whole[:cut])
                c.close()
                check(keep.get_type() == "skiff", f"after {cut} bytes and a close")
            # Left open: the daemon waits for the rest without blocking anyone.
            for cut in (2, 12, 20):
                c = R.RawClient(d.socket)
                c.send(whole[:cut])
                hanging.append(c)
            check(keep.get_type() == "skiff", "with half packets pending on other clients")
            # CONNECT_OPEN needs {string* name; unsigned flags}: no body at all,
            # a cut body, a string length beyond the packet.
            for body in (b"", R.x_int(1), R.x_int(1) + R.x_uint(100) + b"abcd",
                         R.x_int(1) + R.x_uint(0xffffffff), R.x_int(7) + R.x_uint(0)):
                with R.RawClient(d.socket) as c:
                    c.send(R.call_packet(R.PROC_CONNECT_OPEN, 3, body))
                    how = expect_refused_or_closed(c, 3, f"CONNECT_OPEN with body {body!r}")
                    if how == "error":
                        # An error reply is fine; a following good call must work or
                        # the connection must be closed, never hang.
                        try:
                            c.open()
                        except (R.Closed, BrokenPipeError, ConnectionResetError):
                            pass
                check(keep.get_type() == "skiff", f"after an undecodable body {body!r}")
            # Bytes left over after the arguments: not a well-formed call.
            with R.RawClient(d.socket) as c:
                c.send(R.call_packet(R.PROC_CONNECT_OPEN, 4, R.x_opt_string("skiff:///system")
                                     + R.x_uint(0) + b"\0\0\0\x2a"))
                expect_refused_or_closed(c, 4, "CONNECT_OPEN with trailing bytes")
            for junk in (b"\xff" * 1000, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                         os.urandom(4096)):
                with R.RawClient(d.socket) as c:
                    try:
                        c.send(junk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                check(keep.get_type() == "skiff", f"after junk {junk[:16]!r}")
            # A REPLY or STREAM from a client with no stream open is not a call.
            with opened(d) as c:
                c.send(R.packet(R.REMOTE_PROGRAM, 1, 3, R.REPLY, 9, R.OK))
                c.send(R.packet(R.REMOTE_PROGRAM, 1, 201, R.STREAM, 9, R.CONTINUE, b"xx"))
                try:
                    t = c.get_type()
                    check(t == "skiff", "a call after stray REPLY and STREAM packets")
                except (R.Closed, R.ProtocolError, BrokenPipeError, ConnectionResetError):
                    pass    # closing such a client is allowed too
        finally:
            keep.close()
            for c in hanging:
                c.close()
        check_serving(d, "after truncated and junk packets")


def test_slow_reader(a, tmp):
    """A client that sends many calls and never reads the answers does not
    hold up the others (the daemon neither blocks on its full socket nor
    stops answering the rest)."""
    with Daemon(a, tmp) as d:
        slow = opened(d)
        slow.sock.setblocking(False)
        call = R.call_packet(R.PROC_CONNECT_GET_CAPABILITIES, 1)
        sent = 0
        pending = b"".join([call] * 4000)
        deadline = time.monotonic() + 20
        # Send as much as the daemon takes; it may stop reading from us.
        while pending and time.monotonic() < deadline:
            try:
                k = slow.sock.send(pending)
            except BlockingIOError:
                break
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += k
            pending = pending[k:]
        try:
            times = []
            for _ in range(20):
                t0 = time.monotonic()
                with opened(d) as c:
                    check(c.get_type() == "skiff", "answer while a client does not read")
                times.append(time.monotonic() - t0)
            check(max(times) < ANSWER_TIMEOUT,
                  f"answers took up to {max(times):.2f}s while a client does not read")
            v = Virsh(d.uri, os.path.join(tmp, "home"))
            v.ok("list", "--all", timeout=ANSWER_TIMEOUT * 2)
        finally:
            slow.close()
        check_serving(d, f"after a client sent {sent} bytes of calls without reading")


def test_readonly_socket(a, tmp):
    """The -ro socket: reads work, every call that changes anything is
    VIR_ERR_OPERATION_DENIED, whatever the client asked for at open."""
    with Daemon(a, tmp) as d:
        check(os.path.exists(d.socket_ro), f"no read-only socket {d.socket_ro}")
        v = Virsh(d.uri, os.path.join(tmp, "home"))
        v.ok("define", write_xml(tmp, "d.xml", domain_xml(a, "powerbtn", name="ro",
                                                          uuid=uuid.uuid4())))
        v.ok("start", "ro")
        with R.RawClient(d.socket_ro) as c:
            c.open(flags=0)     # asks for read-write; the socket decides
            check(c.get_type() == "skiff", "GET_TYPE on the read-only socket")
            r = c.call_ok(R.PROC_DOMAIN_LOOKUP_BY_NAME, R.x_string("ro"))
            name, u16, dom_id = r.domain()
            r.done()
            check(name == "ro" and dom_id > 0, f"LOOKUP_BY_NAME on the ro socket: {name} "
                  f"{dom_id}")
            r = c.call_ok(R.PROC_CONNECT_LIST_ALL_DOMAINS, R.x_int(1) + R.x_uint(0))
            n = r.uint()
            doms = [r.domain() for _ in range(n)]
            ret = r.uint()
            r.done()
            check([x[0] for x in doms] == ["ro"] and ret == 1,
                  f"LIST_ALL_DOMAINS on the ro socket: {doms} ret {ret}")
            dom = R.x_domain(name, u16, dom_id)
            new_xml = domain_xml(a, "powerbtn", name="ro2", uuid=uuid.uuid4())
            for proc, body in ((R.PROC_DOMAIN_DEFINE_XML, R.x_string(new_xml)),
                               (R.PROC_DOMAIN_DESTROY, dom),
                               (R.PROC_DOMAIN_UNDEFINE, dom),
                               (R.PROC_DOMAIN_CREATE, dom)):
                p = c.call(proc, body)
                check(p.status == R.ERROR, f"proc {proc} on the read-only socket succeeded")
                e = p.error()
                check(e["code"] == VIR_ERR_OPERATION_DENIED,
                      f"proc {proc} on the read-only socket: code {e['code']} "
                      f"({e['message']!r}), expected {VIR_ERR_OPERATION_DENIED}")
        check(v.domstate("ro") == "running", "the domain's state after denied calls")
        check([r[1] for r in v.list_all()] == ["ro"], f"list --all: {v.list_all()}")
        # The same through virsh on the ro socket without -r.
        vro = Virsh(d.uri_ro, os.path.join(tmp, "home"))
        err = vro.fails("destroy", "ro")
        check("forbidden" in err or "denied" in err.lower() or "read only" in err.lower()
              or "read-only" in err.lower(), f"virsh destroy on the ro socket: {err!r}")
        check(v.domstate("ro") == "running", "virsh destroy on the ro socket stopped it")
        check("ro" in vro.ok("list", "--all"), "virsh list on the ro socket")
        v.ok("destroy", "ro")
        d.check_alive("after read-only calls")


def test_many_clients(a, tmp):
    """Fifty connections open at once, each answered; closing them all
    abruptly leaves the daemon serving."""
    with Daemon(a, tmp) as d:
        cs = [opened(d) for _ in range(50)]
        try:
            for c in cs:
                check(c.get_type() == "skiff", "GET_TYPE on one of fifty connections")
        finally:
            for c in cs:
                c.close()
        check_serving(d, "after fifty clients")


if __name__ == "__main__":
    args = parse_args()
    sys.exit(run_tests([test_open_and_type, test_keepalive, test_unknown_procedure,
                        test_unknown_program, test_bad_lengths, test_truncated,
                        test_slow_reader, test_readonly_socket, test_many_clients], args))
