#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Capture the seeds of fuzz-rpc-packet: what a real virsh sends.

Starts virtskiffd in a temporary state directory, puts a recording proxy in
front of its socket, runs a fixed set of virsh commands through it and
writes every distinct packet (as virsh sent it, length word included;
distinct by program, procedure and body) to OUTDIR/<proc>-<n>, or
keepalive-<proc>-<n>. Replies are not recorded.

    capture-rpc-seeds.py BUILDDIR/driver/virtskiffd tests/fuzz/corpus/rpc-packet

The domain XML names no file of this machine: define records the call even
if starting the domain later fails.
"""

import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

REMOTE_PROGRAM = 0x20008086
KEEPALIVE_PROGRAM = 0x6B656570

DOMAIN_XML = """<domain type='kvm'>
  <name>seed</name>
  <uuid>8f0c1f7e-6a2b-4c7e-9d3a-0f1e2d3c4b5a</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>/var/lib/skiff/guest.elf</kernel>
  </os>
</domain>
"""

COMMANDS = [
    ["version", "--daemon"], ["uri"], ["hostname"], ["nodeinfo"], ["capabilities"],
    ["list", "--all"], ["define", "{xml}"], ["define", "--validate", "{xml}"],
    ["dominfo", "seed"], ["domstate", "--reason", "seed"], ["dumpxml", "seed"],
    ["dumpxml", "--inactive", "seed"], ["domuuid", "seed"], ["domid", "seed"],
    ["autostart", "seed"], ["autostart", "--disable", "seed"],
    ["start", "seed"], ["suspend", "seed"], ["resume", "seed"], ["reboot", "seed"],
    ["shutdown", "seed"], ["destroy", "seed"], ["destroy", "--graceful", "seed"],
    ["create", "{xml}"], ["undefine", "seed"], ["sysinfo"], ["domcapabilities"],
    ["list", "--inactive", "--name"], ["list", "--state-running"],
]


def python_session(uri):
    """Calls virsh does not make (python-libvirt, when installed)."""
    try:
        import libvirt
    except ImportError:
        return
    libvirt.registerErrorHandler(lambda *_: None, None)
    conn = libvirt.open(uri)
    for call in (lambda: conn.getMaxVcpus(None), lambda: conn.getMaxVcpus("kvm"),
                 conn.isSecure, conn.listDomainsID, conn.numOfDomains, conn.listDefinedDomains,
                 conn.numOfDefinedDomains, lambda: conn.defineXML(DOMAIN_XML)):
        try:
            call()
        except libvirt.libvirtError:
            pass
    try:
        dom = conn.lookupByName("seed")
    except libvirt.libvirtError:
        return
    for call in (lambda: conn.lookupByUUIDString("8f0c1f7e-6a2b-4c7e-9d3a-0f1e2d3c4b5a"),
                 lambda: conn.lookupByID(1), dom.maxMemory, dom.isUpdated,
                 lambda: dom.createWithFlags(0), lambda: dom.shutdownFlags(1),
                 lambda: dom.reboot(0), lambda: dom.destroyFlags(0), dom.undefine):
        try:
            call()
        except libvirt.libvirtError:
            pass
    conn.close()


def record(conn, upstream_path, seen, outdir, lock):
    """Forwards both ways; splits the client's stream into packets."""
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    up.connect(upstream_path)
    buf = b""
    with conn, up:
        while True:
            r, _, _ = select.select([conn, up], [], [])
            if up in r:
                data = up.recv(65536)
                if not data:
                    return
                conn.sendall(data)
            if conn in r:
                data = conn.recv(65536)
                if not data:
                    return
                up.sendall(data)
                buf += data
                while len(buf) >= 4:
                    (length,) = struct.unpack(">I", buf[:4])
                    if len(buf) < length:
                        break
                    pkt, buf = buf[:length], buf[length:]
                    prog, _, proc = struct.unpack(">IIi", pkt[4:16])
                    key = (prog, proc, pkt[28:])
                    with lock:
                        if key in seen:
                            continue
                        n = sum(1 for k in seen if k[:2] == (prog, proc))
                        name = ("keepalive-%d-%d" % (proc, n) if prog == KEEPALIVE_PROGRAM
                                else "%03d-%d" % (proc, n))
                        seen.add(key)
                        with open(os.path.join(outdir, name), "wb") as f:
                            f.write(pkt)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    daemon, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="rpc-seeds-")
    proc = subprocess.Popen([daemon, "--state-dir", tmp, "--skiff", "/bin/false"])
    try:
        sock = os.path.join(tmp, "virtskiffd-sock")
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        proxy_path = os.path.join(tmp, "proxy-sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(proxy_path)
        listener.listen(8)
        seen, lock = set(), threading.Lock()

        def accept_loop():
            while True:
                try:
                    c, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=record, args=(c, sock, seen, outdir, lock),
                                 daemon=True).start()

        threading.Thread(target=accept_loop, daemon=True).start()
        xml = os.path.join(tmp, "seed.xml")
        with open(xml, "w") as f:
            f.write(DOMAIN_XML)
        uri = "skiff:///system?socket=" + proxy_path
        for cmd in COMMANDS:
            args = [a.replace("{xml}", xml) for a in cmd]
            subprocess.run(["virsh", "-c", uri] + args, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30, check=False)
        python_session(uri)
        # Read-only connections open with VIR_CONNECT_RO.
        subprocess.run(["virsh", "-r", "-c", uri, "list", "--all"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30, check=False)
        # An idle session: virsh sends a keepalive PING after 5 s.
        shell = subprocess.Popen(["virsh", "-c", uri], stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(6.5)
        shell.communicate(b"list\nquit\n", timeout=30)
        time.sleep(0.2)
        listener.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d seeds in %s" % (len(os.listdir(outdir)), outdir))


if __name__ == "__main__":
    main()
