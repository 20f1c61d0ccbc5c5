#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virsh console against virtskiffd: the real virsh on a pseudo-terminal
(it insists on a tty), typing to the echo guest and reading its answers;
the escape key ends a session, sessions follow one another, a second client
is refused unless it forces and then takes the console over; and the same
through python-libvirt's stream API."""
import os
import pty
import select
import signal
import sys
import termios
import time
import uuid

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driverlib import (Failure, Virsh, Daemon, check, domain_xml, import_libvirt,  # noqa: E402
                       serial_pty,
                       run_tests, parse_args, wait_until, write_xml, WAIT_TIMEOUT)

libvirt = import_libvirt()

ESCAPE = b"\x1d"        # virsh console's default escape: Ctrl-]


class Console:
    """`virsh console NAME` on a pty of its own."""

    def __init__(self, uri, home, name, *extra):
        env = dict(os.environ, HOME=home, LC_ALL="C")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execvpe("virsh", ["virsh", "-c", uri, "console", name] + list(extra), env)
            finally:
                os._exit(127)
        self.out = b""
        self.status = None

    def read_until(self, marker, timeout=WAIT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while marker not in self.out:
            left = deadline - time.monotonic()
            check(left > 0, f"virsh console: no {marker!r} within {timeout}s; got {self.out!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:     # EIO: virsh exited and the pty closed
                    chunk = b""
                if not chunk:
                    raise Failure(f"virsh console ended before {marker!r}; got {self.out!r} "
                                  f"(status {self.wait()})")
                self.out += chunk
        return self.out

    def wait_raw(self):
        """virsh prints its banner before it puts the terminal in raw mode;
        typed before that, a line is echoed and eaten by the line discipline."""
        wait_until(lambda: not (termios.tcgetattr(self.fd)[3] & termios.ECHO),
                   "virsh console to put its terminal in raw mode")

    def type(self, data):
        os.write(self.fd, data)

    def wait(self, timeout=WAIT_TIMEOUT):
        if self.status is None:
            deadline = time.monotonic() + timeout
            while True:
                pid, st = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.status = os.waitstatus_to_exitcode(st)
                    break
                if time.monotonic() > deadline:
                    raise Failure(f"virsh console did not exit; output {self.out!r}")
                # Keep draining: virsh blocks on a full pty otherwise.
                r, _, _ = select.select([self.fd], [], [], 0.05)
                if r:
                    try:
                        self.out += os.read(self.fd, 4096)
                    except OSError:
                        pass
        return self.status

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait()
        os.close(self.fd)


def console_fails(uri, home_dir, name, *extra):
    """virsh console that must fail at once (it needs a tty even for that):
    its output."""
    c = Console(uri, home_dir, name, *extra)
    try:
        st = c.wait()
        check(st != 0, f"virsh console {name} {extra} succeeded: {c.out!r}")
        return c.out.decode(errors="replace")
    finally:
        c.close()


def start_echo(a, tmp, d, v, name):
    v.ok("define", write_xml(tmp, name + ".xml", domain_xml(a, "echo", name=name,
                                                          uuid=uuid.uuid4())))
    v.ok("start", name)


def home(tmp):
    return os.path.join(tmp, "home")


def test_round_trip_and_escape(a, tmp):
    """Typing reaches the guest, its answers come back; Ctrl-] ends virsh
    (exit 0); a second and a third session on the same domain work too."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, home(tmp))
        start_echo(a, tmp, d, v, "echo1")
        for n in range(3):
            c = Console(d.uri, home(tmp), "echo1")
            try:
                c.read_until(b"Escape character is")
                c.wait_raw()
                if n == 0:
                    # Written before anyone listened: the pty kept it.
                    c.read_until(b"echo ready")
                c.type(f"line {n} from virsh\n".encode())
                c.read_until(f"echo: line {n} from virsh".encode())
                c.type(ESCAPE)
                check(c.wait() == 0, f"session {n}: virsh console exited with {c.status}: "
                      f"{c.out!r}")
            finally:
                c.close()
        check(v.domstate("echo1") == "running", "the guest stopped after the consoles")
        v.ok("destroy", "echo1")


def test_console_survives_reboot(a, tmp):
    """virsh reboot rebuilds the VM in skiff; the pty stays, and so does an
    open console session: the rebooted guest's banner and echoes arrive."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, home(tmp))
        start_echo(a, tmp, d, v, "boots")
        pty_before = serial_pty(v.ok("dumpxml", "boots"))
        c = Console(d.uri, home(tmp), "boots")
        try:
            c.read_until(b"echo ready")
            c.wait_raw()
            c.out = b""
            v.ok("reboot", "boots")
            c.read_until(b"echo ready")
            c.type(b"after the reboot\n")
            c.read_until(b"echo: after the reboot")
            c.type(ESCAPE)
            check(c.wait() == 0, f"virsh console exited with {c.status}")
        finally:
            c.close()
        check(serial_pty(v.ok("dumpxml", "boots")) == pty_before,
              "the serial pty changed across the reboot")
        v.ok("destroy", "boots")


def test_virtio_console(a, tmp):
    """A domain whose only console is a virtio one: virsh console reaches it."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, home(tmp))
        v.ok("define", write_xml(tmp, "vc.xml", domain_xml(a, "vconsole", name="vcon",
                                                          uuid=uuid.uuid4())))
        v.ok("start", "vcon")
        c = Console(d.uri, home(tmp), "vcon")
        try:
            c.read_until(b"hello from virtio-console")
            c.wait_raw()
            c.type(b"through virsh\n")
            c.read_until(b"console got: through virsh")
            c.type(b"quit\n")
            c.wait()
        finally:
            c.close()
        v.wait_state("vcon", "shut off")
        check(v.domstate("vcon", reason=True) == "shut off (shutdown)",
              f"virtio-console guest: {v.domstate('vcon', reason=True)}")


def test_force_takes_over(a, tmp):
    """A second virsh console is refused while one is open; with --force it
    takes the console and the first session ends."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, home(tmp))
        start_echo(a, tmp, d, v, "echo2")
        first = Console(d.uri, home(tmp), "echo2")
        try:
            first.read_until(b"echo ready")
            first.wait_raw()
            err = console_fails(d.uri, home(tmp), "echo2")
            check("Active console session exists" in err, f"second console: {err!r}")
            second = Console(d.uri, home(tmp), "echo2", "--force")
            try:
                second.read_until(b"Escape character is")
                second.wait_raw()
                second.type(b"taken over\n")
                second.read_until(b"echo: taken over")
                first.wait()
                check(b"echo: taken over" not in first.out,
                      "the first session still saw the guest's output after --force")
                second.type(ESCAPE)
                check(second.wait() == 0, f"forced session exited with {second.status}")
            finally:
                second.close()
        finally:
            first.close()
        v.ok("destroy", "echo2")


def test_refusals(a, tmp):
    """No console for a shut-off domain, an unknown device, a read-only
    connection; the guest's own power-off ends an open session."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, home(tmp))
        v.ok("define", write_xml(tmp, "e.xml", domain_xml(a, "echo", name="echo3",
                                                         uuid=uuid.uuid4())))
        err = console_fails(d.uri, home(tmp), "echo3")
        check("not running" in err, f"console of a shut-off domain: {err!r}")
        v.ok("start", "echo3")
        err = console_fails(d.uri, home(tmp), "echo3", "--devname", "serial7")
        check("cannot find character device serial7" in err, f"unknown device: {err!r}")
        err = console_fails(d.uri_ro, home(tmp), "echo3")
        check("read only" in err or "read-only" in err, f"read-only console: {err!r}")
        c = Console(d.uri, home(tmp), "echo3", "--devname", "serial0")
        try:
            c.read_until(b"echo ready")
            c.wait_raw()
            c.type(b"quit\n")
            # The guest powers off; the stream ends and virsh with it.
            try:
                c.wait()
            except Failure:
                raise Failure(f"virsh console did not exit: {c.out!r}\n{d.log_tail()}")
        finally:
            c.close()
        v.wait_state("echo3", "shut off")


def recv_until(st, got, marker):
    """Stream bytes until marker is among them: all bytes so far."""
    deadline = time.monotonic() + WAIT_TIMEOUT
    while marker not in got:
        check(time.monotonic() < deadline, f"stream: no {marker!r}; got {got!r}")
        chunk = st.recv(4096)
        if chunk == -2:         # no data yet (a blocking stream never says so)
            continue
        check(isinstance(chunk, bytes) and chunk, f"stream ended: {chunk!r}")
        got += chunk
    return got


def test_python_stream(a, tmp):
    """python-libvirt: openConsole + stream send/recv, finish, abort; two
    consoles of two domains open at once on one connection (virt-manager
    opens one per window)."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, home(tmp))
        start_echo(a, tmp, d, v, "echo4")
        start_echo(a, tmp, d, v, "echo5")
        conn = libvirt.open(d.uri)
        try:
            dom4 = conn.lookupByName("echo4")
            dom5 = conn.lookupByName("echo5")
            st4 = conn.newStream(0)
            dom4.openConsole(None, st4, 0)
            st5 = conn.newStream(0)
            dom5.openConsole(None, st5, 0)
            got4 = recv_until(st4, b"", b"echo ready")
            got5 = recv_until(st5, b"", b"echo ready")
            st5.send(b"to five\n")
            st4.send(b"to four\n")
            got4 = recv_until(st4, got4, b"echo: to four")
            got5 = recv_until(st5, got5, b"echo: to five")
            check(b"five" not in got4 and b"four" not in got5, "the two streams crossed")
            st4.finish()
            st5.abort()
            # A new stream on the same connection after the first finished.
            st = conn.newStream(0)
            dom4.openConsole("serial0", st, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
            st.send(b"again\n")
            recv_until(st, b"", b"echo: again")
            st.abort()
        finally:
            conn.close()
        v.ok("destroy", "echo4")
        v.ok("destroy", "echo5")


if __name__ == "__main__":
    sys.exit(run_tests([test_round_trip_and_escape, test_console_survives_reboot,
                        test_virtio_console,
                        test_force_takes_over, test_refusals,
                        test_python_stream], parse_args()))
