#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Error paths through the real virsh against a virtskiffd started by the
test: malformed XML, an element skiff cannot honour, a duplicate name or
uuid, operations in the wrong state (start of a running domain, destroy,
shutdown or suspend of a shut-off one), unknown domains, undefine of a running
domain; every refusal has a non-zero exit and a message naming the problem,
leaves the existing state as it was, and the daemon keeps serving."""
import os
import sys
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driverlib import (Daemon, Virsh, check, domain_xml, parse_args, run_tests,  # noqa: E402
                       write_xml)


def connect(a, tmp):
    d = Daemon(a, tmp)
    return d, Virsh(d.uri, os.path.join(tmp, "home"))


def names(v):
    return [r[1] for r in v.list_all()]


def test_bad_xml(a, tmp):
    """Malformed XML, not XML at all, an empty document, no <name>: refused,
    nothing defined."""
    d, v = connect(a, tmp)
    with d:
        err = v.fails("define", write_xml(tmp, "bad.xml", domain_xml(a, "malformed",
                                                                     name="bad")))
        # libxml2's diagnosis names the mismatched tags; libvirt's prefix for
        # VIR_ERR_XML_ERROR is "XML error".
        check("mismatch" in err.lower() or "vcpu" in err,
              f"define of malformed XML: the error does not name the problem: {err!r}")
        err = v.fails("define", write_xml(tmp, "text.xml", "this is not XML\n"))
        check("xml" in err.lower(), f"define of plain text: {err!r}")
        err = v.fails("define", write_xml(tmp, "noname.xml",
                                          "<domain type='kvm'><memory>131072</memory>"
                                          "<vcpu>1</vcpu><os><type>hvm</type></os></domain>"))
        check("name" in err.lower(), f"define without <name>: the error does not say the "
              f"name is missing: {err!r}")
        err = v.fails("define", write_xml(tmp, "badmem.xml", domain_xml(
            a, "powerbtn", name="badmem", uuid=uuid.uuid4()).replace(
                "<memory unit='MiB'>128</memory>", "<memory unit='MiB'>lots</memory>")))
        check("memory" in err.lower(), f"define with <memory>lots</memory>: {err!r}")
        check(names(v) == [], f"list --all after refused defines: {v.list_all()}")
        d.check_alive("after bad XML")


def test_unsupported_element(a, tmp):
    """<graphics> is valid libvirt XML that skiff cannot honour: refused with
    VIR_ERR_CONFIG_UNSUPPORTED naming it, never silently dropped."""
    d, v = connect(a, tmp)
    with d:
        err = v.fails("define", write_xml(tmp, "g.xml", domain_xml(a, "graphics", name="g")))
        check("unsupported configuration" in err, f"define with <graphics>: not an "
              f"'unsupported configuration' error: {err!r}")
        check("graphics" in err, f"define with <graphics>: the error does not name the "
              f"element: {err!r}")
        err = v.fails("create", write_xml(tmp, "g.xml", domain_xml(a, "graphics", name="g")))
        check("unsupported configuration" in err and "graphics" in err,
              f"create with <graphics>: {err!r}")
        # A <sound> device, inside <devices> too.
        x = domain_xml(a, "powerbtn", name="snd", uuid=uuid.uuid4()).replace(
            "<memballoon model='none'/>", "<sound model='ich9'/>\n    <memballoon model='none'/>")
        err = v.fails("define", write_xml(tmp, "s.xml", x))
        check("unsupported configuration" in err and "sound" in err,
              f"define with <sound>: {err!r}")
        check(names(v) == [], f"list --all after refused defines: {v.list_all()}")
        d.check_alive("after unsupported elements")


def test_duplicates(a, tmp):
    """A second domain with the same name and another uuid, or the same uuid
    and another name, is refused and the first stays as it was; the same
    name and uuid redefines it."""
    d, v = connect(a, tmp)
    u1, u2 = str(uuid.uuid4()), str(uuid.uuid4())
    with d:
        v.ok("define", write_xml(tmp, "1.xml", domain_xml(a, "powerbtn", name="dup", uuid=u1)))
        err = v.fails("define", write_xml(tmp, "2.xml", domain_xml(a, "powerbtn", name="dup",
                                                                   uuid=u2)))
        check("dup" in err and "already" in err, f"define of a second 'dup': {err!r}")
        check(v.ok("domuuid", "dup").strip() == u1, "the first definition's uuid changed")
        err = v.fails("define", write_xml(tmp, "3.xml", domain_xml(a, "powerbtn", name="other",
                                                                   uuid=u1)))
        check("already" in err and (u1 in err or "dup" in err),
              f"define of another name with dup's uuid: {err!r}")
        check(names(v) == ["dup"], f"list --all: {v.list_all()}")
        # Same name and uuid: an update of the persistent definition.
        x = domain_xml(a, "powerbtn", name="dup", uuid=u1).replace(
            "<memory unit='MiB'>128</memory>", "<memory unit='MiB'>256</memory>").replace(
            "<currentMemory unit='MiB'>128</currentMemory>",
            "<currentMemory unit='MiB'>256</currentMemory>")
        v.ok("define", write_xml(tmp, "4.xml", x))
        check(v.dominfo("dup").get("Max memory") == f"{256 * 1024} KiB",
              f"redefinition not applied: {v.dominfo('dup')}")
        # A running domain with the name: create-xml of the same name is refused too.
        v.ok("start", "dup")
        err = v.fails("create", write_xml(tmp, "5.xml", domain_xml(a, "powerbtn", name="dup",
                                                                   uuid=u2)))
        check("dup" in err and "already" in err, f"create of a second running 'dup': {err!r}")
        check(len(d.skiffs()) == 1, f"skiff processes: {d.skiffs()}")
        v.ok("destroy", "dup")
        d.check_alive("after duplicates")


def test_wrong_state(a, tmp):
    """start of a running domain, destroy/shutdown/suspend of a shut-off one,
    resume of a running one; each leaves the state as it was."""
    d, v = connect(a, tmp)
    with d:
        v.ok("define", write_xml(tmp, "d.xml", domain_xml(a, "powerbtn", name="ws",
                                                          uuid=uuid.uuid4())))
        for cmd in ("destroy", "shutdown", "suspend", "reboot"):
            err = v.fails(cmd, "ws")
            check("not running" in err, f"{cmd} of a shut-off domain: {err!r}")
            check(v.domstate("ws") == "shut off", f"state after a refused {cmd}")
        check(d.skiffs() == [], "a refused call started skiff")
        v.ok("start", "ws")
        d.wait_skiffs(1)
        # virsh itself refuses when the lookup gives the domain an id ("Domain
        # is already active"); the daemon's own refusal is checked by
        # create below and by python-libvirt.
        err = v.fails("start", "ws")
        check("already active" in err or "already running" in err,
              f"start of a running domain: {err!r}")
        check(v.domstate("ws") == "running", "state after a refused start")
        check(len(d.skiffs()) == 1, f"a second start spawned another skiff: {d.skiffs()}")
        # The daemon's refusal: create-xml of the running domain's definition.
        err = v.fails("create", write_xml(tmp, "d2.xml", v.ok("dumpxml", "--inactive", "ws")))
        check("already" in err and "ws" in err, f"create of a running domain: {err!r}")
        check(len(d.skiffs()) == 1, f"a refused create spawned another skiff: {d.skiffs()}")
        v.ok("suspend", "ws")
        err = v.fails("start", "ws")
        check("already active" in err or "already running" in err,
              f"start of a paused domain: {err!r}")
        check(v.domstate("ws") == "paused", "state after a refused start of a paused domain")
        v.ok("resume", "ws")
        v.ok("destroy", "ws")
        d.wait_skiffs(0)
        err = v.fails("destroy", "ws")
        check("not running" in err, f"a second destroy: {err!r}")
        d.check_alive("after wrong-state calls")


def test_unknown_domain(a, tmp):
    """Every per-domain command on a name, uuid or id that does not exist."""
    d, v = connect(a, tmp)
    with d:
        for cmd in ("start", "destroy", "dominfo", "domstate", "dumpxml", "undefine",
                    "suspend", "resume", "shutdown", "autostart"):
            # virsh tries the argument as an id, a uuid and a name, and then
            # says only this (the daemon's VIR_ERR_NO_DOMAIN text is checked
            # through python-libvirt).
            err = v.fails(cmd, "nosuch")
            check("failed to get domain 'nosuch'" in err, f"virsh {cmd} nosuch: {err!r}")
        u = str(uuid.uuid4())
        err = v.fails("dominfo", u)
        check(f"failed to get domain '{u}'" in err, f"dominfo of an unknown uuid: {err!r}")
        err = v.fails("dominfo", "4242")
        check("failed to get domain '4242'" in err, f"dominfo of an unknown id: {err!r}")
        v.ok("define", write_xml(tmp, "d.xml", domain_xml(a, "powerbtn", name="known",
                                                          uuid=uuid.uuid4())))
        err = v.fails("dominfo", "nosuch")
        check("failed to get domain 'nosuch'" in err, "unknown name beside a known one")
        d.check_alive("after unknown domains")


def test_undefine_running(a, tmp):
    """undefine of a running domain makes it transient: it keeps running and
    is gone once destroyed."""
    d, v = connect(a, tmp)
    with d:
        v.ok("define", write_xml(tmp, "d.xml", domain_xml(a, "powerbtn", name="ur",
                                                          uuid=uuid.uuid4())))
        v.ok("start", "ur")
        v.ok("undefine", "ur")
        check(v.domstate("ur") == "running", "undefine stopped the domain")
        check(v.dominfo("ur").get("Persistent") == "no", f"dominfo: {v.dominfo('ur')}")
        x = ET.fromstring(v.ok("dumpxml", "ur"))
        check(x.findtext("name") == "ur", "dumpxml of a running undefined domain")
        v.ok("destroy", "ur")
        check(names(v) == [], f"list --all after destroying it: {v.list_all()}")
        d.wait_skiffs(0)
        d.check_alive("after undefine of a running domain")


def test_survives_everything(a, tmp):
    """All of the above on one daemon, then a normal lifecycle still works."""
    d, v = connect(a, tmp)
    with d:
        v.fails("define", write_xml(tmp, "m.xml", domain_xml(a, "malformed", name="m")))
        v.fails("define", write_xml(tmp, "g.xml", domain_xml(a, "graphics", name="g")))
        v.fails("start", "nosuch")
        v.fails("define", "/nonexistent/file.xml")
        v.ok("define", write_xml(tmp, "d.xml", domain_xml(a, "powerbtn", name="ok",
                                                          uuid=uuid.uuid4())))
        v.fails("destroy", "ok")
        v.ok("start", "ok")
        v.fails("start", "ok")
        v.fails("undefine", "nosuch")
        check(v.list_all()[0][1:] == ("ok", "running"), f"list --all: {v.list_all()}")
        v.wait_banner("ok")
        v.ok("shutdown", "ok")
        check(v.wait_state("ok", "shut off") == "shut off (shutdown)", "shutdown reason")
        v.ok("undefine", "ok")
        check(v.list_all() == [], f"list --all: {v.list_all()}")
        d.check_alive("at the end")


if __name__ == "__main__":
    args = parse_args()
    sys.exit(run_tests([test_bad_xml, test_unsupported_element, test_duplicates,
                        test_wrong_state, test_unknown_domain, test_undefine_running,
                        test_survives_everything], args))
