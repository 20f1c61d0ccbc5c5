#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""python-libvirt against a virtskiffd started by the test, on /dev/kvm: the
connection calls, a domain's life through the API (defineXML, create, info,
state with reasons, XMLDesc, suspend/resume, shutdown answered by the guest,
destroy, undefine, autostart), lookups by name, uuid and id, listAllDomains
with its filter flags, createXML (transient), the error codes of refusals,
and many clients at once: ten threads with their own connections reading
while another defines, starts and destroys, with hostile raw clients
(garbage, half a packet, a silent connection) alongside."""
import os
import sys

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driverlib import import_libvirt  # noqa: E402

libvirt = import_libvirt()

import socket
import threading
import time
import uuid
import xml.etree.ElementTree as ET

from driverlib import (POWERBTN_BANNER, Daemon, Failure, check, domain_xml,  # noqa: E402
                       parse_args, read_pty_until, run_tests, serial_pty, wait_until)
import rpcraw as R  # noqa: E402

KIB_128M = 128 * 1024
F = libvirt   # the constants

# python-libvirt prints every error to stderr unless a handler takes them.
libvirt.registerErrorHandler(lambda ctx, err: None, None)


def expect_error(fn, code, what, text=None):
    try:
        fn()
    except libvirt.libvirtError as e:
        check(e.get_error_code() == code, f"{what}: error code {e.get_error_code()} "
              f"({e.get_error_message()!r}), expected {code}")
        if text:
            check(text in str(e), f"{what}: message {str(e)!r} does not contain {text!r}")
        return e
    raise Failure(f"{what}: succeeded, expected error {code}")


def wait_state(dom, state, timeout=30):
    seen = []

    def cond():
        s = dom.state()
        if not seen or seen[-1] != s:
            seen.append(s)
        return s[0] == state
    try:
        wait_until(cond, f"domain {dom.name()} state {state}", timeout, interval=0.05)
    except Failure as e:
        raise Failure(f"{e}; [state, reason] seen: {seen}")
    return seen[-1]


def names(doms):
    return sorted(d.name() for d in doms)


def test_connection(a, tmp):
    with Daemon(a, tmp) as d:
        c = libvirt.open(d.uri)
        try:
            check(c.getType() == "skiff", f"getType {c.getType()!r}")
            check(c.getVersion() > 0, f"getVersion {c.getVersion()}")
            check(c.getLibVersion() > 0, f"getLibVersion {c.getLibVersion()}")
            check(c.getHostname() == socket.gethostname(), f"getHostname {c.getHostname()!r}")
            check(c.getURI().startswith("skiff:///system"), f"getURI {c.getURI()!r}")
            ni = c.getInfo()
            check(ni[0] == "x86_64" and ni[2] == os.cpu_count(), f"getInfo {ni}")
            caps = ET.fromstring(c.getCapabilities())
            check(caps.findtext("host/cpu/arch") == "x86_64", "capabilities host arch")
            check(c.isAlive() == 1, "isAlive")
            check(c.listAllDomains(0) == [], "listAllDomains on a new daemon")
        finally:
            c.close()


def test_lifecycle(a, tmp):
    with Daemon(a, tmp) as d:
        c = libvirt.open(d.uri)
        try:
            u = str(uuid.uuid4())
            dom = c.defineXML(domain_xml(a, "powerbtn", name="py", uuid=u))
            check(dom.name() == "py" and dom.UUIDString() == u, "defineXML's domain")
            check(dom.ID() == -1, f"ID of an inactive domain: {dom.ID()}")
            check(dom.isActive() == 0 and dom.isPersistent() == 1, "isActive/isPersistent")
            check(dom.OSType() == "hvm", f"OSType {dom.OSType()!r}")
            info = dom.info()
            check(info[0] == F.VIR_DOMAIN_SHUTOFF and info[1] == KIB_128M and
                  info[2] == KIB_128M and info[3] == 1 and info[4] == 0,
                  f"info() of a shut-off domain: {info}")
            check(dom.state()[0] == F.VIR_DOMAIN_SHUTOFF, f"state {dom.state()}")
            check(dom.autostart() == 0, "autostart")

            dom.create()
            check(dom.state() == [F.VIR_DOMAIN_RUNNING, F.VIR_DOMAIN_RUNNING_BOOTED],
                  f"state after create: {dom.state()}")
            dom_id = dom.ID()
            check(dom_id > 0, f"ID after create {dom_id}")
            d.wait_skiffs(1)
            check(c.lookupByID(dom_id).name() == "py", "lookupByID")
            check(c.lookupByName("py").ID() == dom_id, "lookupByName's ID")
            check(c.lookupByUUIDString(u).name() == "py", "lookupByUUIDString")
            check(c.lookupByUUID(uuid.UUID(u).bytes).name() == "py", "lookupByUUID")
            info = dom.info()
            check(info[0] == F.VIR_DOMAIN_RUNNING and info[1] == KIB_128M and
                  info[2] == KIB_128M and info[3] == 1, f"info() while running: {info}")
            # CPU time is read from the skiff process: it only grows.
            t1 = dom.info()[4]
            t2 = dom.info()[4]
            check(0 <= t1 <= t2, f"cpu time went from {t1} to {t2}")
            x = ET.fromstring(dom.XMLDesc(0))
            check(x.get("id") == str(dom_id), f"live XMLDesc id {x.get('id')!r}")
            x = ET.fromstring(dom.XMLDesc(F.VIR_DOMAIN_XML_INACTIVE))
            check(x.get("id") is None, "inactive XMLDesc has an id")
            check(x.findtext("uuid") == u, "inactive XMLDesc uuid")

            dom.suspend()
            check(dom.state() == [F.VIR_DOMAIN_PAUSED, F.VIR_DOMAIN_PAUSED_USER],
                  f"state after suspend: {dom.state()}")
            check(dom.info()[0] == F.VIR_DOMAIN_PAUSED, "info() state after suspend")
            dom.resume()
            check(dom.state() == [F.VIR_DOMAIN_RUNNING, F.VIR_DOMAIN_RUNNING_UNPAUSED],
                  f"state after resume: {dom.state()}")

            # The guest runs: it says so on its serial pty.
            read_pty_until(serial_pty(dom.XMLDesc(0)), POWERBTN_BANNER)
            dom.shutdown()
            st = wait_state(dom, F.VIR_DOMAIN_SHUTOFF)
            check(st == [F.VIR_DOMAIN_SHUTOFF, F.VIR_DOMAIN_SHUTOFF_SHUTDOWN],
                  f"state after the guest powered off: {st}")
            check(dom.isActive() == 0, "isActive after shutdown")
            d.wait_skiffs(0)
            expect_error(lambda: c.lookupByID(dom_id), F.VIR_ERR_NO_DOMAIN,
                         "lookupByID of a stopped domain's old id")

            dom.createWithFlags(0)
            check(dom.isActive() == 1, "isActive after createWithFlags")
            dom.destroy()
            check(dom.state() == [F.VIR_DOMAIN_SHUTOFF, F.VIR_DOMAIN_SHUTOFF_DESTROYED],
                  f"state after destroy: {dom.state()}")
            d.wait_skiffs(0)

            dom.setAutostart(1)
            check(dom.autostart() == 1, "setAutostart(1)")
            dom.setAutostart(0)
            check(dom.autostart() == 0, "setAutostart(0)")

            dom.undefine()
            expect_error(lambda: c.lookupByName("py"), F.VIR_ERR_NO_DOMAIN,
                         "lookupByName after undefine", "Domain not found")
            expect_error(lambda: c.lookupByUUIDString(u), F.VIR_ERR_NO_DOMAIN,
                         "lookupByUUIDString after undefine")
            check(c.listAllDomains(0) == [], "listAllDomains after undefine")
        finally:
            c.close()


def test_early_shutdown(a, tmp):
    """shutdown right after create, before the guest can have set up its
    interrupts: the power button stays pending (the GED's line is level
    triggered) and the guest still powers off."""
    with Daemon(a, tmp) as d:
        c = libvirt.open(d.uri)
        try:
            dom = c.defineXML(domain_xml(a, "powerbtn", name="early", uuid=uuid.uuid4()))
            for _ in range(3):
                dom.create()
                dom.shutdown()
                st = wait_state(dom, F.VIR_DOMAIN_SHUTOFF)
                check(st == [F.VIR_DOMAIN_SHUTOFF, F.VIR_DOMAIN_SHUTOFF_SHUTDOWN],
                      f"state after an early shutdown: {st}")
                d.wait_skiffs(0)
        finally:
            c.close()


def test_list_flags(a, tmp):
    """listAllDomains with each filter flag over a running, a paused, a
    shut-off, an autostarted and a transient domain."""
    with Daemon(a, tmp) as d:
        c = libvirt.open(d.uri)
        try:
            def define(name):
                return c.defineXML(domain_xml(a, "powerbtn", name=name, uuid=uuid.uuid4()))
            run, pau, off = define("run"), define("pau"), define("off")
            run.create()
            pau.create()
            pau.suspend()
            off.setAutostart(1)
            tr = c.createXML(domain_xml(a, "powerbtn", name="tr", uuid=uuid.uuid4()), 0)
            want = {
                0: ["off", "pau", "run", "tr"],
                F.VIR_CONNECT_LIST_DOMAINS_ACTIVE: ["pau", "run", "tr"],
                F.VIR_CONNECT_LIST_DOMAINS_INACTIVE: ["off"],
                F.VIR_CONNECT_LIST_DOMAINS_PERSISTENT: ["off", "pau", "run"],
                F.VIR_CONNECT_LIST_DOMAINS_TRANSIENT: ["tr"],
                F.VIR_CONNECT_LIST_DOMAINS_RUNNING: ["run", "tr"],
                F.VIR_CONNECT_LIST_DOMAINS_PAUSED: ["pau"],
                F.VIR_CONNECT_LIST_DOMAINS_SHUTOFF: ["off"],
                F.VIR_CONNECT_LIST_DOMAINS_AUTOSTART: ["off"],
                F.VIR_CONNECT_LIST_DOMAINS_NO_AUTOSTART: ["pau", "run", "tr"],
                F.VIR_CONNECT_LIST_DOMAINS_ACTIVE | F.VIR_CONNECT_LIST_DOMAINS_PERSISTENT:
                    ["pau", "run"],
                F.VIR_CONNECT_LIST_DOMAINS_ACTIVE | F.VIR_CONNECT_LIST_DOMAINS_INACTIVE:
                    ["off", "pau", "run", "tr"],
            }
            for flags, expected in want.items():
                got = names(c.listAllDomains(flags))
                check(got == expected, f"listAllDomains({flags:#x}): {got}, expected {expected}")
            ids = {dd.name(): dd.ID() for dd in c.listAllDomains(0)}
            check(ids["off"] == -1 and all(ids[n] > 0 for n in ("run", "pau", "tr")) and
                  len({ids["run"], ids["pau"], ids["tr"]}) == 3, f"ids {ids}")
            d.wait_skiffs(3)
            for dd in (run, pau, tr):
                dd.destroy()
            d.wait_skiffs(0)
            check(names(c.listAllDomains(0)) == ["off", "pau", "run"],
                  "listAllDomains after destroying all")
        finally:
            c.close()


def test_create_xml(a, tmp):
    """createXML: a transient domain, running at once, gone after destroy;
    and one whose guest powers off by itself is gone too."""
    with Daemon(a, tmp) as d:
        c = libvirt.open(d.uri)
        try:
            dom = c.createXML(domain_xml(a, "powerbtn", name="tr", uuid=uuid.uuid4()), 0)
            check(dom.isActive() == 1 and dom.isPersistent() == 0,
                  f"createXML: active {dom.isActive()}, persistent {dom.isPersistent()}")
            check(dom.ID() > 0, f"createXML's domain ID {dom.ID()}")
            check(dom.state()[0] == F.VIR_DOMAIN_RUNNING, f"state {dom.state()}")
            d.wait_skiffs(1)
            dom.destroy()
            expect_error(lambda: c.lookupByName("tr"), F.VIR_ERR_NO_DOMAIN,
                         "lookupByName of a destroyed transient domain")
            check(c.listAllDomains(0) == [], "listAllDomains after destroying it")
            d.wait_skiffs(0)
            # Its guest powers off at once: the domain may be gone before any
            # question about it, so none is asked.
            c.createXML(domain_xml(a, "hello", name="hello"), 0)
            wait_until(lambda: not c.listAllDomains(0), "the transient hello domain to go away "
                       "after its guest powered off")
            d.wait_skiffs(0)
        finally:
            c.close()


def test_errors(a, tmp):
    """The error codes python-libvirt sees for refusals."""
    with Daemon(a, tmp) as d:
        c = libvirt.open(d.uri)
        try:
            bad = domain_xml(a, "malformed", name="m")
            e = expect_error(lambda: c.defineXML(bad), F.VIR_ERR_XML_ERROR, "malformed XML")
            check(e.get_error_domain() != 0, "error domain")
            expect_error(lambda: c.defineXML(domain_xml(a, "graphics", name="g")),
                         F.VIR_ERR_CONFIG_UNSUPPORTED, "<graphics>", "graphics")
            dom = c.defineXML(domain_xml(a, "powerbtn", name="e", uuid=uuid.uuid4()))
            expect_error(dom.destroy, F.VIR_ERR_OPERATION_INVALID, "destroy of a shut-off domain")
            expect_error(dom.suspend, F.VIR_ERR_OPERATION_INVALID, "suspend of a shut-off domain")
            dom.create()
            expect_error(dom.create, F.VIR_ERR_OPERATION_INVALID, "create of a running domain",
                         "already running")
            expect_error(lambda: c.lookupByName("nosuch"), F.VIR_ERR_NO_DOMAIN, "unknown name")
            expect_error(lambda: c.lookupByID(4242), F.VIR_ERR_NO_DOMAIN, "unknown id")
            expect_error(lambda: c.lookupByUUIDString(str(uuid.uuid4())), F.VIR_ERR_NO_DOMAIN,
                         "unknown uuid")
            dom.destroy()
            d.check_alive("after refusals")
        finally:
            c.close()


def test_concurrency(a, tmp):
    """Ten threads, each with its own connection, look up and read a running
    domain in a loop while another connection defines, starts, destroys and
    undefines domains, and raw clients send garbage, half a packet, or
    nothing. Every call answers, and answers right."""
    with Daemon(a, tmp) as d:
        admin = libvirt.open(d.uri)
        stable_uuid = str(uuid.uuid4())
        stable = admin.defineXML(domain_xml(a, "powerbtn", name="stable", uuid=stable_uuid))
        stable.create()
        stable_id = stable.ID()

        # Hostile raw clients, connected for the whole run.
        silent = R.RawClient(d.socket)
        half = R.RawClient(d.socket)
        half.send(R.call_packet(R.PROC_CONNECT_GET_TYPE, 1)[:13])
        garbage = R.RawClient(d.socket)
        garbage.send(b"\xff" * 1000)

        stop = threading.Event()
        errors = []
        counts = [0] * 10
        worst = [0.0] * 10

        def reader(i):
            try:
                conn = libvirt.open(d.uri)
                try:
                    while not stop.is_set():
                        t0 = time.monotonic()
                        dom = conn.lookupByName("stable")
                        if dom.UUIDString() != stable_uuid or dom.ID() != stable_id:
                            raise Failure(f"lookupByName: {dom.UUIDString()} id {dom.ID()}")
                        info = dom.info()
                        if info[0] != F.VIR_DOMAIN_RUNNING or info[1] != KIB_128M:
                            raise Failure(f"info() {info}")
                        if conn.lookupByUUIDString(stable_uuid).name() != "stable":
                            raise Failure("lookupByUUIDString")
                        if conn.lookupByID(stable_id).name() != "stable":
                            raise Failure("lookupByID")
                        if ET.fromstring(dom.XMLDesc(0)).findtext("name") != "stable":
                            raise Failure("XMLDesc")
                        if "stable" not in [x.name() for x in conn.listAllDomains(0)]:
                            raise Failure("listAllDomains lost 'stable'")
                        worst[i] = max(worst[i], time.monotonic() - t0)
                        counts[i] += 1
                finally:
                    conn.close()
            except Exception as e:      # reported by the main thread
                errors.append(f"reader {i}: {e!r}")

        threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(10)]
        for t in threads:
            t.start()
        try:
            for n in range(6):
                name = f"cycle{n}"
                dom = admin.defineXML(domain_xml(a, "powerbtn", name=name, uuid=uuid.uuid4()))
                dom.create()
                check(dom.state()[0] == F.VIR_DOMAIN_RUNNING, f"{name} state {dom.state()}")
                dom.destroy()
                dom.undefine()
            check(garbage.wait_closed(10), "the daemon did not close the client that sent "
                  "garbage")
            # Let every reader finish at least a few rounds.
            wait_until(lambda: min(counts) >= 3 or errors, "every reader to run 3 rounds", 60)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
            silent.close()
            half.close()
            garbage.close()
        check(not any(t.is_alive() for t in threads), "a reader thread hangs")
        check(not errors, "reader errors: " + "; ".join(errors[:5]))
        check(max(worst) < 10, f"a reader round took {max(worst):.1f}s")
        check(names(admin.listAllDomains(0)) == ["stable"],
              f"domains at the end: {names(admin.listAllDomains(0))}")
        stable.destroy()
        d.wait_skiffs(0)
        admin.close()
        d.check_alive("after concurrent clients")
        print(f"  reader rounds: {counts}, worst round {max(worst) * 1000:.0f} ms", flush=True)


if __name__ == "__main__":
    args = parse_args()
    sys.exit(run_tests([test_connection, test_lifecycle, test_early_shutdown, test_list_flags,
                        test_create_xml, test_errors, test_concurrency], args))
