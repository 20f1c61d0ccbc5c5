#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The systemd units and socket activation: systemd-analyze verifies the
units meson installs (no warning at all); virtskiffd started the way
systemd starts it (systemd-socket-activate passes both sockets, named as
the units name them) serves virsh on the read-write socket, refuses writes
on the read-only one, reports READY, and leaves the socket files to systemd
when it exits."""
import os
import shutil
import socket
import subprocess
import sys
import uuid

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driverlib import (Virsh, check, domain_xml, run_tests, parse_args,  # noqa: E402
                       wait_until, write_xml)

UNITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "driver",
                     "systemd")


def test_units_verify(a, tmp):
    service = os.path.join(os.path.dirname(a.virtskiffd), "virtskiffd.service")
    with open(service) as f:
        text = f.read()
    check("@" not in text, f"{service}: unsubstituted placeholders")
    check("KillMode=process" in text, "the service would kill the VMs with the daemon")
    # As installed, but ExecStart pointing at this build's daemon.
    exec_line = [line for line in text.splitlines() if line.startswith("ExecStart=")][0]
    installed = exec_line.split("=", 1)[1].split()[0]
    with open(os.path.join(tmp, "virtskiffd.service"), "w") as f:
        f.write(text.replace(installed, a.virtskiffd))
    for name in ("virtskiffd.socket", "virtskiffd-ro.socket"):
        shutil.copy(os.path.join(UNITS, name), tmp)
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", "virtskiffd.service",
                        "virtskiffd.socket", "virtskiffd-ro.socket"], cwd=tmp,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
          f"systemd-analyze verify: rc {r.returncode}\n{r.stdout}{r.stderr}")


def test_socket_activation(a, tmp):
    state = os.path.join(tmp, "state")
    rw = os.path.join(tmp, "sock")
    ro = os.path.join(tmp, "sock-ro")
    notify = os.path.join(tmp, "notify")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(notify)
    ns.settimeout(30)
    log = open(os.path.join(tmp, "daemon.log"), "wb")
    p = subprocess.Popen(["systemd-socket-activate", "-l", rw, "-l", ro,
                          "--fdname=virtskiffd.socket:virtskiffd-ro.socket",
                          "-E", f"NOTIFY_SOCKET={notify}",
                          a.virtskiffd, "--state-dir", state, "--skiff", a.skiff,
                          "--timeout", "3", "--verbose"],
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: os.path.exists(rw) and os.path.exists(ro), "the activation sockets")
        v = Virsh(f"skiff:///system?socket={rw}", os.path.join(tmp, "home"))
        # The first connection starts the daemon on the passed sockets.
        v.ok("list", "--all")
        msg = ns.recv(4096)
        check(b"READY=1" in msg, f"sd_notify sent {msg!r}")
        v.ok("define", write_xml(tmp, "d.xml", domain_xml(a, "powerbtn", name="act",
                                                         uuid=uuid.uuid4())))
        r = Virsh(f"skiff:///system?socket={ro}", os.path.join(tmp, "home"), readonly=True)
        check("act" in r.ok("list", "--all"), "the read-only socket does not list the domain")
        err = r.fails("undefine", "act")
        check("read only" in err or "read-only" in err, f"write on the ro socket: {err!r}")
        v.ok("undefine", "act")
        # Idle: --timeout ends it; the socket files stay, systemd's.
        p.wait(timeout=30)
        check(p.returncode == 0, f"daemon exit status {p.returncode}")
        check(os.path.exists(rw) and os.path.exists(ro),
              "the daemon removed the sockets systemd listens on")
        with open(os.path.join(tmp, "daemon.log")) as f:
            text = f.read()
        check(f"listening on {rw}" in text and f"listening on {ro} (read-only)" in text,
              f"the daemon did not take the passed sockets:\n{text}")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        ns.close()
        log.close()


if __name__ == "__main__":
    sys.exit(run_tests([test_units_verify, test_socket_activation], parse_args()))
