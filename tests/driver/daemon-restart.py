#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtskiffd restarts while domains run (SIGTERM, and SIGKILL): the next
daemon finds every running skiff from its run directory and takes it over.
Three domains keep running with the same ids and skiff processes and stay
manageable (suspend/resume, console, events, shutdown, destroy); a skiff
killed while no daemon ran is reported shut off (crashed); a guest that
powered off meanwhile is shut off (shutdown); a transient domain comes back
as transient; an autostart domain starts with the daemon."""
import os
import signal
import sys
import uuid

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driverlib import (Daemon, Virsh, check, domain_xml, import_libvirt,  # noqa: E402
                       libvirt_event_loop, process_running, run_tests, parse_args, wait_until, write_xml)

libvirt = import_libvirt()

NAMES = ["r1", "r2", "r3"]


def define(a, tmp, v, name, fixture="powerbtn"):
    v.ok("define", write_xml(tmp, name + ".xml", domain_xml(a, fixture, name=name,
                                                          uuid=uuid.uuid4())))


def skiff_of(v, d, name):
    """The pid of name's skiff, from the daemon's runtime files."""
    paths = d.find_files(name + ".pid")
    check(len(paths) == 1, f"{name}: pid files {paths}")
    with open(paths[0]) as f:
        return int(f.read().split()[0])


def restart(a, tmp, sig):
    """Three running domains (one paused, one transient), the daemon goes
    away with sig, a new one on the same state takes over."""
    d = Daemon(a, tmp)
    v = Virsh(d.uri, os.path.join(tmp, "home"))
    try:
        for name in NAMES:
            define(a, tmp, v, name)
            v.ok("start", name)
            v.wait_banner(name)
        v.ok("create", write_xml(tmp, "t.xml", domain_xml(a, "powerbtn", name="trans",
                                                         uuid=uuid.uuid4())))
        v.wait_banner("trans")
        v.ok("suspend", "r2")
        before = {n: (v.ok("domid", n).strip(), skiff_of(v, d, n)) for n in NAMES + ["trans"]}
        os.kill(d.pid, sig)
        d.proc.wait(timeout=20)
    finally:
        d.stop(kill_orphans=False)
    for n, (_, pid) in before.items():
        check(process_running(pid), f"{sig.name}: {n}'s skiff (pid {pid}) died with the daemon")
    return before


def test_restart_keeps_domains(a, tmp):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        sub = os.path.join(tmp, sig.name)
        before = restart(a, sub, sig)
        with Daemon(a, sub) as d2:
            v = Virsh(d2.uri, os.path.join(sub, "home"))
            listed = {name: dom_id for dom_id, name, _ in v.list()}
            for n, (dom_id, pid) in before.items():
                check(listed.get(n) == dom_id,
                      f"{sig.name}: virsh list after the restart: {listed} (wanted {n} with "
                      f"id {dom_id})")
                check(skiff_of(v, d2, n) == pid, f"{sig.name}: {n} has another skiff")
            check(v.domstate("r2") == "paused", f"{sig.name}: r2 is {v.domstate('r2')}")
            check(v.domstate("r1") == "running", f"{sig.name}: r1 is {v.domstate('r1')}")
            check("trans" not in [r[1] for r in v.list_all("--persistent")],
                  f"{sig.name}: the transient domain came back persistent")
            # Manageable: events, resume, the guest's own shutdown, destroy.
            libvirt_event_loop()
            conn = libvirt.open(d2.uri)
            seen = []
            conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                        lambda c, dom, e, det, o: seen.append((dom.name(), e)),
                                        None)
            v.ok("resume", "r2")
            check(v.domstate("r2") == "running", f"{sig.name}: resume after the restart")
            v.ok("shutdown", "r1")
            v.wait_state("r1", "shut off")
            check(v.domstate("r1", reason=True) == "shut off (shutdown)",
                  f"{sig.name}: r1 after shutdown: {v.domstate('r1', reason=True)}")
            v.ok("destroy", "r3")
            v.ok("destroy", "trans")
            v.fails("dominfo", "trans")
            v.ok("destroy", "r2")
            wait_until(lambda: [e for e in seen if e[1] == libvirt.VIR_DOMAIN_EVENT_STOPPED]
                       and len([e for e in seen if e[1] == libvirt.VIR_DOMAIN_EVENT_STOPPED]) == 4,
                       f"{sig.name}: stop events of the four taken-over domains")
            for n, (_, pid) in before.items():
                wait_until(lambda: not process_running(pid),
                           f"{sig.name}: {n}'s skiff (pid {pid}) to exit")
            check(v.list() == [], f"{sig.name}: still running: {v.list()}")
            # A fresh start after the restart gets an id above every earlier one.
            v.ok("start", "r1")
            new_id = int(v.ok("domid", "r1"))
            check(new_id > max(int(i) for i, _ in before.values()),
                  f"{sig.name}: new id {new_id} reuses an earlier one {before}")
            v.ok("destroy", "r1")
            conn.close()
            d2.check_alive(f"after the restart ({sig.name})")


def test_changes_while_down(a, tmp):
    """While no daemon runs: one skiff is killed (→ shut off, crashed), one
    guest powers off (→ shut off, shutdown, its skiff ended), one runs on."""
    d = Daemon(a, tmp)
    v = Virsh(d.uri, os.path.join(tmp, "home"))
    try:
        define(a, tmp, v, "dies")
        define(a, tmp, v, "ends", fixture="echo")   # powers off on "quit"
        define(a, tmp, v, "lives")
        for n in ("dies", "ends", "lives"):
            v.ok("start", n)
        v.wait_banner("dies")
        v.wait_banner("lives")
        v.wait_banner("ends", b"echo ready")
        pids = {n: skiff_of(v, d, n) for n in ("dies", "ends", "lives")}
        pty = [line for line in v.ok("dumpxml", "ends").splitlines() if "/dev/pts/" in line]
        check(pty, "no pty in the live XML of 'ends'")
        ends_pty = pty[0].split("'")[1]
        os.kill(d.pid, signal.SIGKILL)
        d.proc.wait(timeout=20)
    finally:
        d.stop(kill_orphans=False)
    os.kill(pids["dies"], signal.SIGKILL)
    wait_until(lambda: not process_running(pids["dies"]), "the killed skiff to go")
    # The echo guest powers off on "quit"; skiff keeps the VM object, off.
    fd = os.open(ends_pty, os.O_RDWR | os.O_NOCTTY)
    os.write(fd, b"quit\n")
    os.close(fd)
    with Daemon(a, tmp) as d2:
        v = Virsh(d2.uri, os.path.join(tmp, "home"))
        v.wait_state("ends", "shut off")
        check(v.domstate("dies", reason=True) == "shut off (crashed)",
              f"a skiff killed while the daemon was down: {v.domstate('dies', reason=True)}")
        check(v.domstate("ends", reason=True) == "shut off (shutdown)",
              f"a guest that powered off while the daemon was down: "
              f"{v.domstate('ends', reason=True)}")
        wait_until(lambda: not process_running(pids["ends"]),
                   "the powered-off guest's skiff to be ended by the new daemon")
        check(v.domstate("lives") == "running", f"lives: {v.domstate('lives')}")
        check(not d2.find_files("dies.state"), "runtime state of the crashed domain left over")
        v.ok("start", "dies")
        v.ok("destroy", "dies")
        v.ok("destroy", "lives")


def test_autostart(a, tmp):
    """An autostart domain starts when the daemon starts; one that still runs
    across a restart is taken over, not started twice."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, os.path.join(tmp, "home"))
        define(a, tmp, v, "auto")
        v.ok("autostart", "auto")
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, os.path.join(tmp, "home"))
        v.wait_state("auto", "running")
        pid = skiff_of(v, d, "auto")
        os.kill(d.pid, signal.SIGTERM)
        d.proc.wait(timeout=20)
        d.stop(kill_orphans=False)
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, os.path.join(tmp, "home"))
        check(skiff_of(v, d, "auto") == pid, "autostart started a second skiff")
        v.ok("destroy", "auto")


if __name__ == "__main__":
    sys.exit(run_tests([test_restart_keeps_domains, test_changes_while_down, test_autostart],
                       parse_args()))
