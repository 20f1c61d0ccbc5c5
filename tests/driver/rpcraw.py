# SPDX-License-Identifier: LGPL-2.1-or-later
"""A raw client of libvirt's remote protocol for the daemon tests: the
framing and XDR encoding written from the wire facts (a 4-byte big-endian
length that counts itself, six 32-bit header words, the XDR body), so that
tests can send what no libvirt client would: garbage, half packets, oversized
lengths, unknown programs and procedures."""
import socket
import struct
import time

REMOTE_PROGRAM = 0x20008086
REMOTE_VERSION = 1
KEEPALIVE_PROGRAM = 0x6b656570
KEEPALIVE_VERSION = 1
KEEPALIVE_PING = 1
KEEPALIVE_PONG = 2

CALL, REPLY, MESSAGE, STREAM = 0, 1, 2, 3
OK, ERROR, CONTINUE = 0, 1, 2

PROC_CONNECT_OPEN = 1
PROC_CONNECT_CLOSE = 2
PROC_CONNECT_GET_TYPE = 3
PROC_CONNECT_GET_CAPABILITIES = 7
PROC_DOMAIN_CREATE = 9
PROC_DOMAIN_DEFINE_XML = 11
PROC_DOMAIN_DESTROY = 12
PROC_DOMAIN_LOOKUP_BY_NAME = 23
PROC_DOMAIN_UNDEFINE = 35
PROC_CONNECT_GET_HOSTNAME = 59
PROC_CONNECT_SUPPORTS_FEATURE = 60
PROC_AUTH_LIST = 66
PROC_DOMAIN_GET_STATE = 212
PROC_CONNECT_LIST_ALL_DOMAINS = 273

VIR_CONNECT_RO = 1
FEATURE_KEEPALIVE = 10

HEADER = struct.Struct(">IIiiIi")
MAX_PACKET = 32 * 1024 * 1024


class ProtocolError(Exception):
    pass


# --- XDR ---------------------------------------------------------------------

def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def x_int(v):
    return struct.pack(">i", v)


def x_uint(v):
    return struct.pack(">I", v)


def x_string(s):
    b = s.encode() if isinstance(s, str) else s
    return x_uint(len(b)) + pad4(b)


def x_opt_string(s):
    return x_int(0) if s is None else x_int(1) + x_string(s)


def x_domain(name, uuid16, dom_id):
    return x_string(name) + uuid16 + x_int(dom_id)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ProtocolError(f"body too short: need {n} bytes at {self.pos}, "
                                f"have {len(self.data)}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def uint(self):
        return struct.unpack(">I", self.take(4))[0]

    def hyper(self):
        return struct.unpack(">q", self.take(8))[0]

    def uhyper(self):
        return struct.unpack(">Q", self.take(8))[0]

    def string(self):
        n = self.uint()
        if n > len(self.data):
            raise ProtocolError(f"string length {n} beyond the body")
        b = self.take(n)
        self.take(-n % 4)
        return b.decode(errors="replace")

    def opt(self, fn):
        flag = self.uint()
        if flag not in (0, 1):
            raise ProtocolError(f"optional flag {flag}")
        return fn() if flag else None

    def domain(self):
        return (self.string(), self.take(16), self.int())

    def network(self):
        return (self.string(), self.take(16))

    def done(self):
        if self.pos != len(self.data):
            raise ProtocolError(f"{len(self.data) - self.pos} bytes left over in the body")


def parse_error(body):
    """The error body: {code, domain, message*, level, dom*, str1*, str2*,
    str3*, int1, int2, net*}."""
    r = Reader(body)
    e = {"code": r.int(), "domain": r.int(), "message": r.opt(r.string), "level": r.int(),
         "dom": r.opt(r.domain), "str1": r.opt(r.string), "str2": r.opt(r.string),
         "str3": r.opt(r.string), "int1": r.int(), "int2": r.int(), "net": r.opt(r.network)}
    r.done()
    return e


# --- packets -------------------------------------------------------------------

def packet(prog, vers, proc, ptype, serial, status, body=b""):
    return struct.pack(">I", 4 + HEADER.size + len(body)) + \
        HEADER.pack(prog, vers, proc, ptype, serial, status) + body


def call_packet(proc, serial, body=b"", prog=REMOTE_PROGRAM, vers=REMOTE_VERSION):
    return packet(prog, vers, proc, CALL, serial, OK, body)


class Packet:
    def __init__(self, prog, vers, proc, ptype, serial, status, body):
        self.prog, self.vers, self.proc, self.type = prog, vers, proc, ptype
        self.serial, self.status, self.body = serial, status, body

    def __repr__(self):
        return (f"<packet prog {self.prog:#x} vers {self.vers} proc {self.proc} type "
                f"{self.type} serial {self.serial} status {self.status} body "
                f"{self.body[:120]!r}>")

    def error(self):
        return parse_error(self.body)


class Closed(Exception):
    """The daemon closed the connection."""


class RawClient:
    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.serial = 0
        self.messages = []      # MESSAGE packets (keepalive, events) seen while waiting

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no complete packet; have {len(self.buf)} bytes")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed(f"connection closed with {len(self.buf)} bytes pending")
            self.buf += chunk

    def recv_packet(self, timeout=10):
        deadline = time.monotonic() + timeout
        self._fill(4, deadline)
        (n,) = struct.unpack(">I", self.buf[:4])
        if n < 4 + HEADER.size or n > MAX_PACKET:
            raise ProtocolError(f"the daemon sent a packet length {n}")
        self._fill(n, deadline)
        pkt, self.buf = self.buf[:n], self.buf[n:]
        h = HEADER.unpack(pkt[4:4 + HEADER.size])
        return Packet(*h, pkt[4 + HEADER.size:])

    def wait_closed(self, timeout=10):
        """True once the daemon has closed the connection (anything it sends
        before is discarded)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return True
            except (TimeoutError, socket.timeout):
                return False
            if not chunk:
                return True

    def reply(self, serial, proc, timeout=10):
        """The REPLY to serial; MESSAGE packets before it are kept aside."""
        while True:
            p = self.recv_packet(timeout)
            if p.type == MESSAGE:
                self.messages.append(p)
                continue
            if p.type != REPLY or p.serial != serial or p.proc != proc:
                raise ProtocolError(f"expected the reply to proc {proc} serial {serial}, "
                                    f"got {p!r}")
            return p

    def call(self, proc, body=b"", timeout=10, prog=REMOTE_PROGRAM, vers=REMOTE_VERSION):
        """Sends one call and returns its reply packet (status OK or ERROR)."""
        serial = self.serial
        self.serial += 1
        self.send(call_packet(proc, serial, body, prog, vers))
        return self.reply(serial, proc, timeout)

    def call_ok(self, proc, body=b"", timeout=10):
        p = self.call(proc, body, timeout)
        if p.status != OK:
            raise ProtocolError(f"proc {proc} failed: {p.error()}")
        return Reader(p.body)

    def open(self, flags=0, name="skiff:///system"):
        self.call_ok(PROC_CONNECT_OPEN, x_opt_string(name) + x_uint(flags)).done()

    def get_type(self):
        r = self.call_ok(PROC_CONNECT_GET_TYPE)
        t = r.string()
        r.done()
        return t
