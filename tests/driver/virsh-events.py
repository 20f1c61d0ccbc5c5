#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Domain events from virtskiffd: the exact lifecycle sequence of a domain's
life seen by python-libvirt and by `virsh event --all --loop`; a skiff killed
with SIGKILL gives a crashed stop; on_reboot destroy against restart (with
reboot events); on_crash preserve; per-domain registration filters."""
import os
import signal
import subprocess
import sys
import threading
import uuid

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driverlib import (Daemon, Virsh, check, domain_xml, import_libvirt,  # noqa: E402
                       libvirt_event_loop, run_tests, parse_args, wait_until, write_xml)

libvirt = import_libvirt()

L = libvirt
DEFINED = (L.VIR_DOMAIN_EVENT_DEFINED, L.VIR_DOMAIN_EVENT_DEFINED_ADDED)
UPDATED = (L.VIR_DOMAIN_EVENT_DEFINED, L.VIR_DOMAIN_EVENT_DEFINED_UPDATED)
STARTED = (L.VIR_DOMAIN_EVENT_STARTED, L.VIR_DOMAIN_EVENT_STARTED_BOOTED)
PAUSED = (L.VIR_DOMAIN_EVENT_SUSPENDED, L.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED)
RESUMED = (L.VIR_DOMAIN_EVENT_RESUMED, L.VIR_DOMAIN_EVENT_RESUMED_UNPAUSED)
GUEST_SHUTDOWN = (L.VIR_DOMAIN_EVENT_SHUTDOWN, L.VIR_DOMAIN_EVENT_SHUTDOWN_GUEST)
STOPPED_SHUTDOWN = (L.VIR_DOMAIN_EVENT_STOPPED, L.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN)
STOPPED_DESTROYED = (L.VIR_DOMAIN_EVENT_STOPPED, L.VIR_DOMAIN_EVENT_STOPPED_DESTROYED)
STOPPED_CRASHED = (L.VIR_DOMAIN_EVENT_STOPPED, L.VIR_DOMAIN_EVENT_STOPPED_CRASHED)
CRASHED = (L.VIR_DOMAIN_EVENT_CRASHED, L.VIR_DOMAIN_EVENT_CRASHED_PANICKED)
UNDEFINED = (L.VIR_DOMAIN_EVENT_UNDEFINED, L.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED)
REBOOT = ("reboot",)

class Recorder:
    """Lifecycle and reboot events of one connection, per domain name."""

    def __init__(self, uri, only=None):
        libvirt_event_loop()
        self.conn = libvirt.open(uri)
        dom = self.conn.lookupByName(only) if only else None
        self.events = []
        self.ids = {}       # name -> domain ids seen in events
        self.lock = threading.Lock()
        self.callbacks = [
            self.conn.domainEventRegisterAny(dom, L.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                             self._lifecycle, None),
            self.conn.domainEventRegisterAny(dom, L.VIR_DOMAIN_EVENT_ID_REBOOT,
                                             self._reboot, None),
        ]

    def _lifecycle(self, conn, dom, event, detail, opaque):
        with self.lock:
            self.events.append((dom.name(), (event, detail)))
            self.ids.setdefault(dom.name(), []).append(dom.ID())

    def _reboot(self, conn, dom, opaque):
        with self.lock:
            self.events.append((dom.name(), REBOOT))
            self.ids.setdefault(dom.name(), []).append(dom.ID())

    def of(self, name):
        with self.lock:
            return [e for n, e in self.events if n == name]

    def wait_for(self, name, expected, what):
        """Until the events of name are exactly expected (no more, no fewer)."""
        try:
            wait_until(lambda: len(self.of(name)) >= len(expected), what)
        finally:
            got = self.of(name)
        check(got == expected, f"{what}: events of {name}:\n got      {got}\n expected {expected}")

    def close(self):
        for i in self.callbacks:
            self.conn.domainEventDeregisterAny(i)
        self.conn.close()


def define(a, tmp, v, fixture, name, uuid_=None, **subst):
    v.ok("define", write_xml(tmp, name + ".xml", domain_xml(a, fixture, name=name,
                                                          uuid=uuid_ or uuid.uuid4(),
                                                          **subst)))


def test_lifecycle_sequence(a, tmp):
    """define, start, suspend, resume, shutdown (the guest powers off), start,
    destroy, undefine: exactly libvirt's events, in order; `virsh event --all
    --loop` prints the same; a registration for another domain sees none."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, os.path.join(tmp, "home"))
        rec = Recorder(d.uri)
        watcher = subprocess.Popen(["virsh", "-c", d.uri, "event", "--all", "--loop"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=dict(os.environ, HOME=os.path.join(tmp, "home"),
                                            LC_ALL="C"))
        try:
            # virsh says nothing once it has registered: (re)define another
            # domain until virsh prints an event of it.
            os.set_blocking(watcher.stdout.fileno(), False)
            out = b""

            def virsh_saw(marker):
                nonlocal out
                chunk = watcher.stdout.read()
                if chunk:
                    out += chunk
                return marker in out
            n = 0

            def define_other():
                nonlocal n
                n += 1
                if n % 20 == 1:
                    define(a, tmp, v, "powerbtn", "other", uuid_=other_uuid)
                return virsh_saw(b"for domain 'other'")
            other_uuid = uuid.uuid4()
            wait_until(define_other, "virsh event to report a define of 'other'")
            wait_until(lambda: rec.of("other")[:1] == [DEFINED], "the first define event")
            only_other = Recorder(d.uri, "other")
            define(a, tmp, v, "powerbtn", "life")
            v.ok("start", "life")
            v.wait_banner("life")
            v.ok("suspend", "life")
            v.ok("resume", "life")
            v.ok("shutdown", "life")
            v.wait_state("life", "shut off")
            v.ok("start", "life")
            v.ok("destroy", "life")
            v.ok("undefine", "life")
            rec.wait_for("life", [DEFINED, STARTED, PAUSED, RESUMED, GUEST_SHUTDOWN,
                                  STOPPED_SHUTDOWN, STARTED, STOPPED_DESTROYED, UNDEFINED],
                         "a whole life")
            check(only_other.of("life") == [], "a registration for 'other' saw events of 'life'")
            only_other.close()
            # virsh event prints one line per event; wait for the last one.
            wait_until(lambda: virsh_saw(b"'life': Undefined Removed"),
                       "virsh event to print the undefine")
            text = out.decode()
            for line in ["event 'lifecycle' for domain 'life': Defined Added",
                         "event 'lifecycle' for domain 'life': Started Booted",
                         "event 'lifecycle' for domain 'life': Suspended Paused",
                         "event 'lifecycle' for domain 'life': Resumed Unpaused",
                         "event 'lifecycle' for domain 'life': Shutdown Finished after guest "
                         "request",
                         "event 'lifecycle' for domain 'life': Stopped Shutdown",
                         "event 'lifecycle' for domain 'life': Stopped Destroyed",
                         "event 'lifecycle' for domain 'life': Undefined Removed"]:
                check(line in text, f"virsh event --all --loop did not print {line!r}:\n{text}")
        finally:
            watcher.terminate()
            watcher.wait(timeout=10)
            rec.close()


def test_skiff_killed(a, tmp):
    """SIGKILL to a domain's skiff: shut off (crashed) and a crashed stop event."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, os.path.join(tmp, "home"))
        rec = Recorder(d.uri)
        define(a, tmp, v, "powerbtn", "victim")
        v.ok("start", "victim")
        d.wait_skiffs(1)
        os.kill(d.skiffs()[0], signal.SIGKILL)
        v.wait_state("victim", "shut off")
        check(v.domstate("victim", reason=True) == "shut off (crashed)",
              f"after SIGKILL: {v.domstate('victim', reason=True)}")
        rec.wait_for("victim", [DEFINED, STARTED, STOPPED_CRASHED], "a killed skiff")
        v.ok("start", "victim")
        v.ok("destroy", "victim")
        rec.close()


def test_on_reboot(a, tmp):
    """The reset guest resets twice, then powers off. on_reboot=restart:
    two reboot events, the same id throughout, then the stop; destroy: the
    first reset ends the domain."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, os.path.join(tmp, "home"))
        rec = Recorder(d.uri)
        define(a, tmp, v, "reset", "again", on_reboot="restart")
        v.ok("start", "again")
        v.wait_state("again", "shut off")
        rec.wait_for("again", [DEFINED, STARTED, REBOOT, REBOOT, GUEST_SHUTDOWN,
                               STOPPED_SHUTDOWN], "on_reboot=restart")
        ids = rec.ids["again"]
        # Defined while inactive (-1), then one id from the start to the stop.
        check(ids[0] == -1 and len(set(ids[1:5])) == 1 and ids[1] > 0,
              f"domain ids in the events: {ids}")
        define(a, tmp, v, "reset", "once", on_reboot="destroy")
        v.ok("start", "once")
        v.wait_state("once", "shut off")
        check(v.domstate("once", reason=True) == "shut off (shutdown)",
              f"on_reboot=destroy: {v.domstate('once', reason=True)}")
        rec.wait_for("once", [DEFINED, STARTED, STOPPED_SHUTDOWN], "on_reboot=destroy")
        rec.close()


def test_on_crash(a, tmp):
    """The triple-fault guest: on_crash=destroy stops the domain (crashed);
    preserve keeps it, crashed, until destroy; restart boots it again."""
    with Daemon(a, tmp) as d:
        v = Virsh(d.uri, os.path.join(tmp, "home"))
        rec = Recorder(d.uri)
        define(a, tmp, v, "triple", "gone", on_crash="destroy")
        v.ok("start", "gone")
        v.wait_state("gone", "shut off")
        check(v.domstate("gone", reason=True) == "shut off (crashed)",
              f"on_crash=destroy: {v.domstate('gone', reason=True)}")
        rec.wait_for("gone", [DEFINED, STARTED, STOPPED_CRASHED], "on_crash=destroy")
        define(a, tmp, v, "triple", "kept", on_crash="preserve")
        v.ok("start", "kept")
        v.wait_state("kept", "crashed")
        check(len(d.skiffs()) == 1, "on_crash=preserve: the skiff is gone")
        rec.wait_for("kept", [DEFINED, STARTED, CRASHED], "on_crash=preserve")
        v.ok("destroy", "kept")
        rec.wait_for("kept", [DEFINED, STARTED, CRASHED, STOPPED_DESTROYED],
                     "destroy of a preserved crash")
        define(a, tmp, v, "triple", "loop", on_crash="restart")
        v.ok("start", "loop")
        wait_until(lambda: rec.of("loop").count(STARTED) >= 3 or None,
                   "on_crash=restart to boot the crashing guest again and again")
        v.ok("destroy", "loop")
        rec.close()


if __name__ == "__main__":
    sys.exit(run_tests([test_lifecycle_sequence, test_skiff_killed, test_on_reboot,
                        test_on_crash], parse_args()))
