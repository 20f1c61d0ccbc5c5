#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virt-manager (the distribution's) against virtskiffd, driven through the
accessibility tree (dogtail) on a private X server (Xvfb) and session bus:
the main window lists the skiff domains; Run starts one; its window shows
the details pages without an error and the serial console with the guest's
own text, typed lines echoed back; Force Off and Shut Down stop the domains;
File > Add Connection > Custom URI adds a second connection. virsh checks
every state change on the daemon's side; every call virt-manager made must
have been answered or refused as unsupported. The test takes a screenshot
(SKIFF_SCREENSHOT=PATH keeps a copy: docs/virt-manager.png). Also: the
domain capabilities virt-manager reads, checked against libvirt's schema."""
import os
import re
import select
import shutil
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import driverlib  # noqa: E402
from driverlib import (Failure, Virsh, Daemon, check, domain_xml, import_libvirt,  # noqa: E402
                       read_text, run_tests, parse_args, wait_until, write_xml, WAIT_TIMEOUT)

# Debian installs dogtail, like python-libvirt, for the system interpreter.
import_libvirt()

# The whole script (both tests) stays well under meson's timeout.
driverlib.SCRIPT_TIMEOUT = 230

SCREEN = (1280, 720)
# Where the two windows go: no window manager places them.
MANAGER_AT = (870, 0)
MANAGER_SIZE = (410, 720)
VM_WINDOW_SIZE = (860, 720)
# The guest's banner and answers (tests/guest/echo.c): it ends a line at
# LF and ignores CR, so the test types Ctrl-J where a person presses Enter.
ECHO_BANNER = "echo ready"
TYPED = "hello from virt-manager"

TOOLS = ["Xvfb", "dbus-daemon", "virt-manager", "xdotool", "import", "virt-xml-validate"]
# GSettings for the private session: virt-manager also polls memory, disk
# and network statistics, so that those calls are made (and must be
# tolerated) too.
GSETTINGS_KEYFILE = """\
[org/virt-manager/virt-manager/stats]
enable-memory-poll=true
enable-disk-poll=true
enable-net-poll=true
"""


def missing_tools():
    out = [t for t in TOOLS if not shutil.which(t)]
    try:
        import dogtail  # noqa: F401
    except ImportError:
        out.append("python3-dogtail")
    return out


def read_line(fd, what, timeout=WAIT_TIMEOUT):
    """One line a child writes to a pipe (its display or bus address)."""
    got = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in got:
        left = deadline - time.monotonic()
        check(left > 0, f"no {what} within {timeout}s (read {got!r})")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 4096)
            check(chunk, f"{what}: the pipe closed (read {got!r})")
            got += chunk
    return got.split(b"\n", 1)[0].decode().strip()


def stop_process(proc, timeout=10):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


class Desktop:
    """Xvfb, a session bus (the accessibility bus is activated on it) and
    virt-manager, all private to the test; stop() ends them whatever
    state they are in (the test runner also kills anything left over)."""

    def __init__(self, tmp, uri):
        self.tmp = tmp
        self.procs = []
        self.home = os.path.join(tmp, "home")
        run = os.path.join(tmp, "run")
        os.makedirs(run, mode=0o700)
        settings = os.path.join(self.home, ".config", "glib-2.0", "settings")
        os.makedirs(settings)
        with open(os.path.join(settings, "keyfile"), "w") as f:
            f.write(GSETTINGS_KEYFILE)
        self.env = dict(os.environ, HOME=self.home, XDG_RUNTIME_DIR=run,
                        XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                        XDG_CACHE_HOME=os.path.join(self.home, ".cache"),
                        XDG_DATA_HOME=os.path.join(self.home, ".local", "share"),
                        LANG="C.UTF-8", LC_ALL="C.UTF-8", GDK_BACKEND="x11",
                        GSETTINGS_BACKEND="keyfile")
        # Anything that would switch accessibility off, or send virt-manager
        # somewhere else.
        for k in ("NO_AT_BRIDGE", "GTK_A11Y", "GTK_MODULES", "LANGUAGE", "WAYLAND_DISPLAY",
                  "DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS", "LIBVIRT_DEFAULT_URI",
                  "DISPLAY", "XAUTHORITY"):
            self.env.pop(k, None)
        self.xvfb_log = os.path.join(tmp, "xvfb.log")
        self.dbus_log = os.path.join(tmp, "dbus.log")
        self.vmm_log = os.path.join(tmp, "virt-manager.log")
        self.vmm = None
        try:
            self._start_xvfb()
            self._start_bus()
            self._start_virt_manager(uri)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, argv, log, **kw):
        with open(log, "ab") as f:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=f, env=self.env, **kw)
        self.procs.append(p)
        return p

    def _start_xvfb(self):
        r, w = os.pipe()
        try:
            # -displayfd: the server picks a free display and says which.
            self._spawn(["Xvfb", "-displayfd", str(w), "-screen", "0",
                         f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp", "-noreset"],
                        self.xvfb_log, stdout=subprocess.DEVNULL, pass_fds=(w,))
            os.close(w)
            w = -1
            display = read_line(r, "display number from Xvfb")
        finally:
            os.close(r)
            if w >= 0:
                os.close(w)
        check(display.isdigit(), f"Xvfb said {display!r}")
        self.env["DISPLAY"] = ":" + display

    def _start_bus(self):
        p = self._spawn(["dbus-daemon", "--session", "--nofork", "--nopidfile",
                         "--print-address=1"], self.dbus_log, stdout=subprocess.PIPE)
        addr = read_line(p.stdout.fileno(), "address from dbus-daemon")
        check(addr.startswith("unix:"), f"dbus-daemon said {addr!r}")
        self.env["DBUS_SESSION_BUS_ADDRESS"] = addr

    def _start_virt_manager(self, uri):
        self.vmm = self._spawn(["virt-manager", "--debug", "--no-fork", "-c", uri],
                               self.vmm_log, stdout=subprocess.DEVNULL)

    def vmm_log_text(self):
        return read_text(self.vmm_log)

    def check_vmm_alive(self, what):
        check(self.vmm.poll() is None,
              f"virt-manager exited with {self.vmm.returncode} {what}; its log:\n"
              f"{self.vmm_log_text()[-3000:]}")

    def xdotool(self, *argv):
        p = subprocess.run(["xdotool"] + list(argv), env=self.env, capture_output=True,
                           text=True, timeout=WAIT_TIMEOUT)
        check(p.returncode == 0, f"xdotool {' '.join(argv)}: {p.stderr.strip()}")
        return p.stdout.strip()

    def window_id(self, title):
        """The X window of a top-level window titled exactly title."""
        def cond():
            p = subprocess.run(["xdotool", "search", "--name", f"^{re.escape(title)}$"],
                               env=self.env, capture_output=True, text=True,
                               timeout=WAIT_TIMEOUT)
            ids = p.stdout.split()
            return ids[0] if p.returncode == 0 and ids else None
        return wait_until(cond, f"an X window titled {title!r}", interval=0.1)

    def screenshot(self, path):
        # No time stamps in the file: the same picture is the same bytes.
        p = subprocess.run(["import", "-window", "root", "-define",
                            "png:exclude-chunk=date,time", path], env=self.env,
                           capture_output=True, text=True, timeout=WAIT_TIMEOUT)
        check(p.returncode == 0 and os.path.getsize(path) > 0,
              f"import -window root failed: {p.stderr.strip()}")

    def stop(self):
        # virt-manager first (it closes its connection), the X server last.
        # The bus's children (the accessibility bus and registry) are
        # re-parented to the test and killed by its runner.
        for p in [self.vmm] + [q for q in reversed(self.procs) if q is not self.vmm]:
            stop_process(p)
        for p in self.procs:
            if p.stdout:
                p.stdout.close()


# --- the accessibility tree ------------------------------------------------------

class Ui:
    """dogtail on the desktop's accessibility bus. Every wait is a bounded
    poll on what the tree shows."""

    def __init__(self, desk):
        self.desk = desk
        # pyatspi finds the accessibility bus through these at import.
        for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "HOME"):
            os.environ[k] = desk.env[k]
        for k in ("NO_AT_BRIDGE", "AT_SPI_BUS_ADDRESS"):
            os.environ.pop(k, None)
        from dogtail.config import config
        scratch = os.path.join(desk.tmp, "dogtail") + "/"
        config.scratchDir = scratch
        config.dataDir = scratch + "data/"
        config.logDir = scratch + "logs/"
        # The private session has accessibility on without GSettings.
        config.checkForA11y = False
        config.logDebugToFile = False
        config.logDebugToStdOut = False
        # dogtail pauses after its own actions; the test polls instead.
        config.actionDelay = 0.1
        config.defaultDelay = 0.1
        config.searchShowingOnly = False
        from dogtail import tree
        import pyatspi
        self.pyatspi = pyatspi
        from gi.repository import GLib
        self.tree = tree
        self.glib_error = GLib.Error
        self.app = None

    def poll(self, cond, what, timeout=WAIT_TIMEOUT):
        """wait_until, with accessibility objects that vanish meanwhile
        (a window closing) counted as "not yet"."""
        def guarded():
            self.desk.check_vmm_alive(f"while waiting for {what}")
            try:
                return cond()
            except (self.glib_error, LookupError):
                return None
        return wait_until(guarded, what, timeout, interval=0.1)

    def attach(self):
        def cond():
            for a in self.tree.root.applications():
                if a.name == "virt-manager":
                    return a
            return None
        self.app = self.poll(cond, "virt-manager on the accessibility bus")

    def find(self, parent, role, name=None, match=None, showing=True, what=None,
             timeout=WAIT_TIMEOUT):
        def pred(n):
            return (n.roleName == role and (name is None or n.name == name) and
                    (match is None or match(n.name)) and (not showing or n.showing))
        return self.poll(lambda: parent.findChild(pred, retry=False, requireResult=False),
                         what or f"{role} {name!r}", timeout)

    def frame(self, title):
        return self.find(self.app, "frame", title, what=f"window {title!r}")

    def is_selected(self, node):
        return node.getState().contains(self.pyatspi.STATE_SELECTED)

    def click(self, node, what):
        self.poll(lambda: node.sensitive, f"{what} to be clickable")
        node.click()

    def dialogs(self):
        """Dialogs on screen: (title, [texts]) each."""
        out = []
        for w in self.app.children:
            if w.roleName in ("alert", "dialog") and w.showing:
                texts = [n.name for n in w.findChildren(
                    lambda n: n.roleName == "label" and n.name, showingOnly=True)]
                out.append((w.name, texts))
        return out

    def check_no_dialog(self, step):
        d = self.dialogs()
        check(not d, f"{step}: virt-manager shows a dialog: {d}")

    def answer_dialog(self, text_part, button):
        """Presses button in the dialog that says text_part."""
        def cond():
            for w in self.app.children:
                if w.roleName not in ("alert", "dialog") or not w.showing:
                    continue
                labels = [n.name for n in w.findChildren(lambda n: n.roleName == "label")]
                if any(text_part in t for t in labels):
                    return w
            return None
        dlg = self.poll(cond, f"a dialog saying {text_part!r}")
        self.click(self.find(dlg, "push button", button), f"{button!r} in the dialog")
        self.poll(lambda: self.gone(dlg), f"the dialog {text_part!r} to close")

    def gone(self, node):
        """node is off the screen, or destroyed."""
        try:
            return not node.showing
        except (self.glib_error, LookupError):
            return True

    def menu(self, win, *path):
        """Clicks through a menu path: ("View", "Consoles", "Serial 1")."""
        node = win
        for i, label in enumerate(path):
            roles = ("menu",) if i < len(path) - 1 else (
                "menu item", "radio menu item", "check menu item")
            node = self.poll(lambda: node.findChild(
                lambda n, lb=label: n.name == lb and n.roleName in roles and n.showing,
                retry=False, requireResult=False), f"menu entry {' > '.join(path[:i + 1])}")
            self.click(node, f"menu entry {label!r}")

    def vm_row(self, name, status=None):
        """The manager's list row of a domain ("NAME\\nStatus")."""
        def match(text):
            first, _, second = text.partition("\n")
            return first == name and (status is None or second == status)
        return self.find(self.app, "table cell", match=match,
                         what=f"the manager's row {name!r}" + (f" saying {status!r}"
                                                                if status else ""))


# --- the tests -------------------------------------------------------------------

def define(a, tmp, v, fixture, name):
    v.ok("define", write_xml(tmp, name + ".xml", domain_xml(a, fixture, name=name,
                                                          uuid=uuid.uuid4())))
    return v.ok("domuuid", name).strip()


def call_log(log):
    """The daemon's debug log: the procedures called and those answered
    with an error, by number."""
    called = set(int(n) for n in re.findall(r": call \S+ \((\d+)\) serial", log))
    failed = {}
    for proc, code in re.findall(r"proc (\d+): error (VIR_ERR_\w+)", log):
        failed.setdefault(int(proc), set()).add(code)
    return called, failed


def test_virt_manager(a, tmp):
    """Main window, Run, details pages, serial console, Force Off, Shut Down."""
    missing = missing_tools()
    check(not missing, f"missing: {' '.join(missing)} (scripts/deps.sh installs them)")
    start = time.monotonic()
    # -v: the daemon logs every call, to see what virt-manager asked.
    with Daemon(a, tmp, extra=["-v"]) as d:
        v = Virsh(d.uri, os.path.join(tmp, "virsh-home"))
        echo = "skiff-echo"
        power = "skiff-powerbtn"
        echo_uuid = define(a, tmp, v, "echo", echo)
        define(a, tmp, v, "powerbtn", power)
        desk = Desktop(tmp, d.uri)
        try:
            ui = Ui(desk)
            ui.attach()

            # The main window lists both domains, shut off.
            manager = ui.frame("Virtual Machine Manager")
            ui.vm_row(echo, "Shutoff")
            ui.vm_row(power, "Shutoff")
            ui.check_no_dialog("connecting")
            mid = desk.window_id("Virtual Machine Manager")
            desk.xdotool("windowsize", "--sync", mid, *map(str, MANAGER_SIZE))
            desk.xdotool("windowmove", "--sync", mid, *map(str, MANAGER_AT))
            ui.poll(lambda: tuple(manager.position) == MANAGER_AT,
                    f"the manager window at {MANAGER_AT}")

            # Run.
            ui.click(ui.vm_row(echo), f"row {echo}")
            ui.click(ui.find(manager, "push button", "Run"), "Run")
            v.wait_state(echo, "running")
            ui.vm_row(echo, "Running")

            # Its window: the details pages, each without an error.
            ui.click(ui.find(manager, "push button", "Open"), "Open")
            title = f"{echo} on skiff"
            win = ui.frame(title)
            wid = desk.window_id(title)
            desk.xdotool("windowsize", "--sync", wid, *map(str, VM_WINDOW_SIZE))
            desk.xdotool("windowmove", "--sync", wid, "0", "0")
            ui.click(ui.find(win, "radio button", "Details"), "Details")
            hw = ui.find(win, "table", "hw-list", what="the hardware list")
            pages = ["Overview", "OS information", "Performance", "CPUs", "Memory",
                     "Boot Options", "Serial 1"]
            for page in pages:
                cell = ui.find(hw, "table cell", page, what=f"hardware list entry {page!r}")
                ui.click(cell, page)
                ui.poll(lambda: ui.is_selected(cell), f"{page!r} selected")
                ui.check_no_dialog(f"details page {page!r}")
            ui.click(ui.find(hw, "table cell", "Overview"), "Overview")
            ui.find(win, "label", echo_uuid, what="the domain's UUID on the overview page")
            ui.find(win, "label", "Running (Booted)", what="the state on the overview page")
            ui.find(win, "label", "x86_64", what="the architecture on the overview page")

            # The serial console (DOMAIN_OPEN_CONSOLE): the guest's banner, then
            # a line typed into the terminal comes back from the guest.
            ui.click(ui.find(win, "radio button", "Console"), "Console")
            ui.menu(win, "View", "Consoles", "Serial 1")
            term = ui.find(win, "terminal", "Serial Terminal", what="the serial terminal")
            ui.poll(lambda: ECHO_BANNER in term.text, f"{ECHO_BANNER!r} in the terminal")
            desk.xdotool("windowfocus", "--sync", wid)
            term.click()
            ui.poll(lambda: term.focused, "the terminal to have the keyboard focus")
            desk.xdotool("type", "--delay", "10", TYPED)
            desk.xdotool("key", "ctrl+j")
            ui.poll(lambda: f"echo: {TYPED}" in term.text, "the guest's echo in the terminal")
            ui.check_no_dialog("the serial console")

            # The picture: both windows, the console with the guest's text.
            desk.xdotool("mousemove", str(SCREEN[0] - 1), str(SCREEN[1] - 1))
            ui.poll(lambda: not ui.app.findChild(
                lambda n: n.roleName == "tool tip" and n.showing, retry=False,
                requireResult=False), "tooltips to go")
            shot = os.path.join(tmp, "virt-manager.png")
            desk.screenshot(shot)
            check(os.path.getsize(shot) < 300 * 1024,
                  f"screenshot of {os.path.getsize(shot)} bytes")
            if os.environ.get("SKIFF_SCREENSHOT"):
                shutil.copyfile(shot, os.environ["SKIFF_SCREENSHOT"])

            # Force Off, confirmed.
            ui.click(ui.find(win, "toggle button", "Menu"), "the shutdown menu")
            ui.click(ui.find(win, "menu item", "Force Off"), "Force Off")
            ui.answer_dialog("force poweroff", "Yes")
            v.wait_state(echo, "shut off")
            ui.vm_row(echo, "Shutoff")

            # The other domain: Run, then Shut Down (the ACPI power button).
            ui.click(ui.vm_row(power), f"row {power}")
            ui.click(ui.find(manager, "push button", "Run"), "Run")
            v.wait_state(power, "running")
            v.wait_banner(power)
            ui.vm_row(power, "Running")
            # (virt-manager asks for no confirmation here by default.)
            ui.click(ui.find(manager, "push button", "Shut Down"), "Shut Down")
            v.wait_state(power, "shut off")
            ui.vm_row(power, "Shutoff")
            ui.check_no_dialog("the domains stopped")

            # File > Add Connection > Custom URI, as the README says: the same
            # daemon under another spelling of its URI is a second connection
            # that lists the same domains.
            uri2 = d.uri.replace("skiff:", "skiff+unix:", 1)
            ui.menu(manager, "File", "Add Connection...")
            dlg = ui.find(ui.app, "dialog", "Add Connection", what="the Add Connection dialog")
            ui.click(ui.find(dlg, "combo box", "Hypervisor Select"), "the hypervisor list")
            ui.click(ui.find(dlg, "menu item", "Custom URI..."), "Custom URI...")
            entry = ui.find(dlg, "text", "uri-entry", what="the URI entry")
            desk.xdotool("windowfocus", "--sync", desk.window_id("Add Connection"))
            entry.click()
            ui.poll(lambda: entry.focused, "the URI entry to have the keyboard focus")
            desk.xdotool("key", "ctrl+a")
            desk.xdotool("type", "--delay", "5", uri2)
            ui.poll(lambda: entry.text == uri2, f"{uri2!r} in the URI entry")
            ui.click(ui.find(dlg, "push button", "Connect"), "Connect")
            ui.poll(lambda: ui.gone(dlg), "the Add Connection dialog to close")

            def rows(name):
                return [c for c in manager.findChildren(
                    lambda n: n.roleName == "table cell" and n.name == name + "\nShutoff",
                    showingOnly=True)]
            ui.poll(lambda: len(rows(echo)) == 2 and len(rows(power)) == 2,
                    "both domains listed under the second connection too")
            ui.check_no_dialog("the second connection")

            # Quit: virt-manager closes its connections and exits cleanly.
            ui.menu(manager, "File", "Quit")
            try:
                rc = desk.vmm.wait(timeout=WAIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise Failure("virt-manager did not exit after File > Quit")
            check(rc == 0, f"virt-manager exited with {rc}")
        except Failure as e:
            raise Failure(f"{e}\nthe end of virt-manager's log:\n"
                          f"{desk.vmm_log_text()[-2500:]}") from None
        finally:
            desk.stop()

        vlog = desk.vmm_log_text()
        check("error dialog message" not in vlog and " ERROR (" not in vlog,
              "virt-manager reported an error:\n" + "\n".join(
                  line for line in vlog.splitlines() if "ERROR" in line or "error dialog" in
                  line)[-3000:])
        called, failed = call_log(d.log())
        # Domain capabilities are answered, the rest virt-manager tolerates.
        check(342 in called and 342 not in failed,
              f"CONNECT_GET_DOMAIN_CAPABILITIES: called {342 in called}, "
              f"failed {failed.get(342)}")
        for proc, codes in failed.items():
            check(codes == {"VIR_ERR_NO_SUPPORT"},
                  f"procedure {proc} failed with {codes}, not as unsupported")
        print(f"  virt-manager made {len(called)} kinds of call; answered as unsupported: "
              f"{sorted(failed)}; {time.monotonic() - start:.1f}s", flush=True)


def test_domain_capabilities(a, tmp):
    """virsh domcapabilities: valid against libvirt's schema, skiff's real
    limits; arguments skiff cannot serve are refused."""
    check(shutil.which("virt-xml-validate"), "virt-xml-validate (libvirt-clients) is missing")
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, os.path.join(tmp, "home"))
        text = v.ok("domcapabilities")
        path = write_xml(tmp, "domcaps.xml", text)
        p = subprocess.run(["virt-xml-validate", path, "domaincaps"], capture_output=True,
                           text=True, timeout=WAIT_TIMEOUT)
        check(p.returncode == 0, f"not valid: {p.stdout}{p.stderr}\n{text}")
        x = ET.fromstring(text)
        check(x.findtext("path") == a.skiff, f"path {x.findtext('path')!r}")
        check(x.findtext("domain") == "kvm" and x.findtext("arch") == "x86_64",
              f"domain/arch: {text}")
        check(x.find("machine") is None, "a machine type, which skiff's XML refuses")
        check(x.find("vcpu").get("max") == "254", f"vcpu max {x.find('vcpu').attrib}")
        check(x.find("os/loader").get("supported") == "no", "firmware loader offered")
        modes = {m.get("name"): m.get("supported") for m in x.findall("cpu/mode")}
        check(modes == {"host-passthrough": "yes", "maximum": "no", "host-model": "no",
                        "custom": "no"}, f"CPU modes {modes}")
        disk = x.find("devices/disk")
        check(disk.get("supported") == "yes" and
              [e.text for e in disk.findall("enum[@name='bus']/value")] == ["virtio"],
              "disk buses")
        for dev in ("graphics", "video", "hostdev", "filesystem", "tpm"):
            check(x.find(f"devices/{dev}").get("supported") == "no", f"{dev} offered")
        rng = [e.text for e in x.findall("devices/rng/enum[@name='model']/value")]
        check(rng == ["virtio"], f"rng models {rng}")
        # Explicit defaults are the same document.
        same = v.ok("domcapabilities", "--virttype", "kvm", "--arch", "x86_64",
                    "--emulatorbin", a.skiff)
        check(same == text, "explicit defaults give another document")
        for argv, msg in [(["--arch", "aarch64"], "architecture 'aarch64' is not supported"),
                          (["--virttype", "qemu"], "virtualization type 'qemu' is not"),
                          (["--machine", "q35"], "machine type 'q35' is not supported"),
                          (["--emulatorbin", "/nonexistent/skiff"], "is not an executable"),
                          (["--emulatorbin", "skiff"], "is not an executable")]:
            err = v.fails("domcapabilities", *argv)
            check(msg in err, f"domcapabilities {argv}: {err!r}")


if __name__ == "__main__":
    sys.exit(run_tests([test_domain_capabilities, test_virt_manager], parse_args()))
