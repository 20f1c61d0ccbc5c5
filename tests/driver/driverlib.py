# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers of the virtskiffd tests (Python 3 standard library; the
python-libvirt tests import libvirt themselves): a virtskiffd started with a
private state directory and always killed with every skiff it spawned, the
real virsh run against it, domain XML fixtures with the guest programs' paths
filled in, bounded waits on conditions, and a small test runner."""
import argparse
import ctypes
import os
import re
import select
import signal
import socket
import subprocess
import sys
import termios
import time
import tty
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import (WAIT_TIMEOUT, Failure, TempDir, check, read_text,  # noqa: E402,F401
                     run_tests as run_suite, wait_until)

# One virsh call; the daemon answers every call on its main loop at once
# (starting a domain spawns skiff and waits for its API: still well under this).
VIRSH_TIMEOUT = 30
# The whole script, below meson's timeout so that cleanup still runs.
SCRIPT_TIMEOUT = 280

PR_SET_CHILD_SUBREAPER = 36

# What the powerbtn guest prints on COM1 once it listens for the power button.
POWERBTN_BANNER = b"waiting for the power button"


def read_pty_until(path, marker, timeout=WAIT_TIMEOUT):
    """Reads a guest's serial output from its pty until marker shows up (the
    pty buffers what the guest wrote before anyone opened it)."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        try:
            # TCSANOW: the default TCSAFLUSH would discard what is buffered.
            tty.setraw(fd, termios.TCSANOW)
        except termios.error:
            pass
        got = b""
        deadline = time.monotonic() + timeout
        while marker not in got:
            left = deadline - time.monotonic()
            check(left > 0, f"no {marker!r} on {path} within {timeout}s; read {got!r}")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except BlockingIOError:
                    continue
                except OSError as e:     # EIO: the far side went away
                    raise Failure(f"reading {path}: {e}; read {got!r}")
                got += chunk
        return got
    finally:
        os.close(fd)


def serial_pty(live_xml):
    """The pty of <serial type='pty'> in a live domain XML."""
    x = ET.fromstring(live_xml)
    src = x.find("devices/serial/source")
    path = None if src is None else src.get("path")
    check(path and path.startswith("/dev/pts/"),
          f"live XML: no serial pty path ({None if src is None else src.attrib})")
    return path


# --- processes ---------------------------------------------------------------

def become_subreaper():
    """Every process the daemon spawns (skiff, one per running domain) is
    re-parented to this script if the daemon dies, so that cleanup finds and
    kills it even when the daemon leaks it."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def proc_stat(pid):
    """(comm, state, ppid) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    # comm is in parentheses and may hold spaces or parentheses itself.
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    return comm, rest[0], int(rest[1])


def children_of(pid):
    """Pids whose parent is pid (zombies included)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st[2] == pid:
                out.append(int(d))
    return out


def descendants_of(pid):
    out, todo = [], [pid]
    while todo:
        for c in children_of(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def live_skiffs(daemon_pid):
    """The daemon's skiff children that have not exited (zombies left out)."""
    out = []
    for c in children_of(daemon_pid):
        st = proc_stat(c)
        if st and st[0] == "skiff" and st[1] != "Z":
            out.append(c)
    return out


def process_running(pid):
    """pid exists and has not exited (a zombie has)."""
    st = proc_stat(pid)
    return st is not None and st[1] != "Z"


def kill_and_reap_orphans():
    """Kills and reaps every process re-parented to this script."""
    me = os.getpid()
    for _ in range(50):
        pids = children_of(me)
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in pids:
            try:
                os.waitpid(p, 0)
            except ChildProcessError:
                pass


def import_libvirt():
    """python-libvirt; Debian installs it for the system interpreter only, so
    under another python3 the script starts again under /usr/bin/python3."""
    try:
        import libvirt
        return libvirt
    except ImportError:
        if sys.executable != "/usr/bin/python3" and os.access("/usr/bin/python3", os.X_OK):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        raise


_event_loop = False


def libvirt_event_loop():
    """python-libvirt's default event loop on a daemon thread (once): event
    callbacks need it, registered before the connection opens."""
    global _event_loop
    if _event_loop:
        return
    libvirt = import_libvirt()
    libvirt.virEventRegisterDefaultImpl()

    def run():
        while True:
            libvirt.virEventRunDefaultImpl()
    import threading
    threading.Thread(target=run, daemon=True).start()
    _event_loop = True


# --- the daemon ----------------------------------------------------------------

class Daemon:
    """One virtskiffd with all its state under a private directory. stop()
    kills it and every skiff it started."""

    def __init__(self, args, tmp, extra=(), env=None):
        self.args = args
        self.state_dir = os.path.join(tmp, "state")
        os.makedirs(self.state_dir, exist_ok=True)
        self.socket = os.path.join(self.state_dir, "virtskiffd-sock")
        self.socket_ro = os.path.join(self.state_dir, "virtskiffd-sock-ro")
        self.log_path = os.path.join(tmp, "virtskiffd.log")
        self.uri = f"skiff:///system?socket={self.socket}"
        self.uri_ro = f"skiff:///system?socket={self.socket_ro}"
        self.cmd = [args.virtskiffd, "--state-dir", self.state_dir, "--skiff", args.skiff,
                    "--verbose"] + list(extra)
        self._log = open(self.log_path, "wb")
        self._stopped = False
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=e)
        self.pid = self.proc.pid
        try:
            self.wait_listening()
        except BaseException:
            self.stop()
            raise

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        if exc_type is None:
            self.check_log()

    def log(self):
        return read_text(self.log_path)

    def alive(self):
        return self.proc.poll() is None

    def check_alive(self, what):
        check(self.alive(), f"virtskiffd exited with status {self.proc.returncode} {what}; "
              f"its log:\n{self.log()[-3000:]}")

    def wait_listening(self, timeout=WAIT_TIMEOUT):
        def cond():
            if not self.alive():
                raise Failure(f"virtskiffd exited with {self.proc.returncode} before "
                              f"listening ({' '.join(self.cmd)}):\n{self.log()[-3000:]}")
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(1)
                s.connect(self.socket)
                s.close()
                return True
            except OSError:
                return False
        wait_until(cond, f"virtskiffd to listen on {self.socket}", timeout)

    def skiffs(self):
        return live_skiffs(self.pid)

    def wait_skiffs(self, n, timeout=WAIT_TIMEOUT):
        """Until exactly n skiff processes run under the daemon."""
        try:
            return wait_until(lambda: len(self.skiffs()) == n or None,
                              f"{n} skiff process(es) under virtskiffd", timeout)
        except Failure as e:
            raise Failure(f"{e}; running: {self.skiffs()}")

    def find_files(self, name):
        """Files called name anywhere under the state directory."""
        out = []
        for root, _dirs, files in os.walk(self.state_dir):
            if name in files:
                out.append(os.path.join(root, name))
        return out

    def log_tail(self, n=3000):
        return self.log()[-n:]

    def check_log(self):
        log = self.log()
        check("runtime error:" not in log and "Sanitizer" not in log,
              "a sanitizer reported an error in virtskiffd:\n" + log[-3000:])

    def stop(self, kill_orphans=True):
        """Stops the daemon and kills everything it started; with
        kill_orphans False, a daemon already gone leaves its skiffs running
        (for a restart test)."""
        if self._stopped:
            return
        self._stopped = True
        others = descendants_of(self.pid) if self.alive() else []
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for p in others:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if kill_orphans:
            kill_and_reap_orphans()
        self._log.close()


# --- virsh -------------------------------------------------------------------

class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def __repr__(self):
        return (f"<virsh {' '.join(self.argv)}: exit {self.rc}, stdout {self.out[-800:]!r}, "
                f"stderr {self.err[-800:]!r}>")


class Virsh:
    """The real virsh against one daemon socket, in a private HOME so that the
    client's own config and cache stay out of the user's."""

    def __init__(self, uri, home, readonly=False):
        self.uri = uri
        self.readonly = readonly
        os.makedirs(home, exist_ok=True)
        self.env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
                        XDG_CACHE_HOME=os.path.join(home, ".cache"), LC_ALL="C")
        self.env.pop("LIBVIRT_DEFAULT_URI", None)
        self.env.pop("VIRSH_DEFAULT_CONNECT_URI", None)

    def run(self, *argv, timeout=VIRSH_TIMEOUT, stdin=None):
        cmd = ["virsh", "-c", self.uri] + (["-r"] if self.readonly else [])
        cmd += list(argv)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                               env=self.env, input=stdin)
        except subprocess.TimeoutExpired:
            raise Failure(f"virsh {' '.join(argv)} did not finish within {timeout}s")
        return Result(list(argv), p.returncode, p.stdout, p.stderr)

    def ok(self, *argv, **kw):
        r = self.run(*argv, **kw)
        check(r.rc == 0, f"virsh {' '.join(argv)} failed: {r!r}")
        return r.out

    def fails(self, *argv, **kw):
        """Runs a command that must fail; returns its error text."""
        r = self.run(*argv, **kw)
        check(r.rc != 0, f"virsh {' '.join(argv)} succeeded but should have failed: {r!r}")
        check(r.err.strip(), f"virsh {' '.join(argv)} failed without an error message: {r!r}")
        return r.err

    def domstate(self, name, reason=False):
        return self.ok("domstate", name, *(["--reason"] if reason else [])).strip()

    def wait_state(self, name, state, timeout=WAIT_TIMEOUT):
        seen = []

        def cond():
            s = self.domstate(name, reason=True)
            if not seen or seen[-1] != s:
                seen.append(s)
            return s == state or s.startswith(state + " (")
        try:
            wait_until(cond, f"domain {name} to be {state!r}", timeout, interval=0.05)
        except Failure as e:
            raise Failure(f"{e}; states seen: {seen}")
        return seen[-1]

    def wait_banner(self, name, marker=POWERBTN_BANNER):
        """Until the running guest has printed marker on its serial pty."""
        return read_pty_until(serial_pty(self.ok("dumpxml", name)), marker)

    def list(self, *flags):
        """virsh list (without --all) as [(id, name, state)]."""
        return parse_list(self.ok("list", *flags))

    def list_all(self, *flags):
        """virsh list --all as [(id, name, state)]."""
        return parse_list(self.ok("list", "--all", *flags))

    def dominfo(self, name):
        return parse_colon_table(self.ok("dominfo", name))


def parse_list(text):
    """virsh list's table: ' Id   Name   State' / dashes / ' -    d1   shut off'."""
    rows = []
    lines = text.splitlines()
    check(lines and lines[0].split()[:3] == ["Id", "Name", "State"],
          f"virsh list: unexpected header in {text!r}")
    check(len(lines) > 1 and set(lines[1].strip()) == {"-"},
          f"virsh list: no separator line in {text!r}")
    for line in lines[2:]:
        if not line.strip():
            continue
        f = line.split(None, 2)
        check(len(f) == 3, f"virsh list: unexpected row {line!r}")
        rows.append((f[0], f[1], f[2].strip()))
    return rows


def parse_colon_table(text):
    """'Key:   value' lines (dominfo, nodeinfo) as a dict."""
    d = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            d[k.strip()] = v.strip()
    return d


# --- skiff's own API -----------------------------------------------------------

def skiff_api_get(api_sock, endpoint):
    """GET /api/v1/ENDPOINT straight from a domain's skiff, through the API
    socket the daemon made for it (Daemon.find_files(NAME + ".api.sock")):
    the decoded JSON body of a 200 answer."""
    import json
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(10)
        c.connect(api_sock)
        c.sendall(f"GET /api/v1/{endpoint} HTTP/1.1\r\nHost: localhost\r\n"
                  "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := c.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 200"), f"{endpoint}: {head!r} {body[:300]!r}")
    return json.loads(body)


# --- fixtures ------------------------------------------------------------------

def domain_xml(args, fixture, **subst):
    """tests/driver/data/FIXTURE.xml with @GUEST_DIR@, @SKIFF@ and any
    @KEY@=value given filled in."""
    with open(os.path.join(args.data_dir, fixture + ".xml")) as f:
        text = f.read()
    values = {"GUEST_DIR": os.path.abspath(args.guest_dir),
              "SKIFF": os.path.abspath(args.skiff)}
    values.update({k.upper(): str(v) for k, v in subst.items()})
    for k, v in values.items():
        text = text.replace(f"@{k}@", v)
    left = re.findall(r"@[A-Z_]+@", text)
    check(not left, f"fixture {fixture}: unfilled placeholders {left}")
    return text


def write_xml(tmp, fname, text):
    path = os.path.join(tmp, fname)
    with open(path, "w") as f:
        f.write(text)
    return path


# --- runner --------------------------------------------------------------------

def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--virtskiffd", required=True)
    ap.add_argument("--skiff", required=True)
    ap.add_argument("--guest-dir", required=True, help="build directory of tests/guest")
    ap.add_argument("--data-dir", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "data"))
    ap.add_argument("only", nargs="*", help="run only these tests")
    a = ap.parse_args()
    a.virtskiffd = os.path.abspath(a.virtskiffd)
    a.skiff = os.path.abspath(a.skiff)
    for p in (a.virtskiffd, a.skiff):
        if not os.access(p, os.X_OK):
            ap.error(f"{p} is not an executable")
    a.guest = lambda name: os.path.join(a.guest_dir, name + ".elf")
    return a


def run_tests(tests, args):
    """tests: functions taking (args, tmpdir). Prints one line each; returns
    the exit status (0 when all passed)."""
    become_subreaper()
    return run_suite(tests, args, SCRIPT_TIMEOUT, "skiff-drv-", cleanup=kill_and_reap_orphans)
