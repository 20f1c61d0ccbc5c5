#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real virsh (libvirt-clients) against a virtskiffd started by the test,
on /dev/kvm: the connection calls (version, uri, hostname, nodeinfo,
capabilities), a domain's whole life (define, list --all, start, dominfo,
domstate with reasons, dumpxml live and inactive, suspend, resume, shutdown
through the ACPI power button that the guest answers by powering off, start,
reboot, destroy, undefine), a guest that powers off by itself, a transient domain,
autostart, define --validate, and definitions surviving a daemon restart."""
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driverlib import (POWERBTN_BANNER, Daemon, Failure, Virsh, check, domain_xml,  # noqa: E402
                       parse_args, parse_colon_table, process_running, read_pty_until,
                       run_tests, wait_until, write_xml)

KIB_128M = 128 * 1024


def connect(a, tmp, **kw):
    d = Daemon(a, tmp, **kw)
    return d, Virsh(d.uri, os.path.join(tmp, "home"))


def skiff_version(a):
    out = subprocess.run([a.skiff, "--version"], capture_output=True, text=True,
                         timeout=10).stdout.split()
    check(len(out) == 2 and out[0] == "skiff", f"skiff --version printed {out!r}")
    return out[1]


def meminfo_kib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    raise Failure("no MemTotal in /proc/meminfo")


def test_connection(a, tmp):
    """version, uri, hostname, nodeinfo, capabilities and an empty list."""
    d, v = connect(a, tmp)
    with d:
        out = v.ok("version", "--daemon")
        # virsh prints the type from CONNECT_GET_TYPE and the version from
        # CONNECT_GET_VERSION (major*1000000 + minor*1000 + micro) as x.y.z.
        want = f"Running hypervisor: skiff {skiff_version(a)}"
        check(want in out.splitlines(), f"virsh version: no line {want!r} in {out!r}")
        check(any(l.startswith("Running against daemon: ") for l in out.splitlines()),
              f"virsh version: no daemon version (CONNECT_GET_LIB_VERSION) in {out!r}")

        uri = v.ok("uri").strip()
        check(uri.startswith("skiff:///system"), f"virsh uri printed {uri!r}")

        host = v.ok("hostname").strip()
        check(host == socket.gethostname(), f"virsh hostname printed {host!r}, "
              f"the host is {socket.gethostname()!r}")

        ni = parse_colon_table(v.ok("nodeinfo"))
        check(ni.get("CPU model") == "x86_64", f"nodeinfo: CPU model {ni.get('CPU model')!r}")
        check(ni.get("CPU(s)") == str(os.cpu_count()),
              f"nodeinfo: CPU(s) {ni.get('CPU(s)')!r}, the host has {os.cpu_count()}")
        sockets, cores, threads = (int(ni.get(k, "0")) for k in
                                   ("CPU socket(s)", "Core(s) per socket", "Thread(s) per core"))
        cells = int(ni.get("NUMA cell(s)", "0"))
        check(cells >= 1 and sockets * cores * threads * cells == os.cpu_count(),
              f"nodeinfo: topology {sockets}x{cores}x{threads} x{cells} cells does not make "
              f"{os.cpu_count()} CPUs: {ni}")
        mem = ni.get("Memory size", "")
        check(mem.endswith(" KiB"), f"nodeinfo: Memory size {mem!r}")
        mem_kib = int(mem.split()[0])
        total = meminfo_kib()
        check(abs(mem_kib - total) <= total // 100,
              f"nodeinfo: Memory size {mem_kib} KiB, /proc/meminfo says {total} KiB")

        caps = ET.fromstring(v.ok("capabilities"))
        check(caps.tag == "capabilities", f"capabilities: root <{caps.tag}>")
        check(caps.findtext("host/cpu/arch") == "x86_64",
              f"capabilities: host cpu arch {caps.findtext('host/cpu/arch')!r}")
        hvm = [g for g in caps.findall("guest") if g.findtext("os_type") == "hvm"]
        check(hvm, "capabilities: no <guest> with os_type hvm")
        arches = [g.find("arch") for g in hvm if g.find("arch") is not None
                  and g.find("arch").get("name") == "x86_64"]
        check(arches, "capabilities: no hvm guest for arch x86_64")
        arch = arches[0]
        types = [dom.get("type") for dom in arch.findall("domain")]
        check("kvm" in types, f"capabilities: x86_64 guest domain types {types}, no kvm")
        emu = arch.findtext("emulator")
        check(emu and os.path.realpath(emu) == os.path.realpath(a.skiff),
              f"capabilities: emulator {emu!r}, the daemon was given {a.skiff}")

        check(v.list_all() == [], f"list --all on a new daemon: {v.list_all()}")
        d.check_alive("after the connection calls")


def check_dumpxml(v, name, want_uuid, want_id, inactive, kernel):
    argv = ["dumpxml", name] + (["--inactive"] if inactive else [])
    what = " ".join(argv)
    x = ET.fromstring(v.ok(*argv))
    check(x.tag == "domain" and x.get("type") == "kvm",
          f"{what}: root <{x.tag} type={x.get('type')!r}>")
    if want_id is None:
        check(x.get("id") is None, f"{what}: an inactive definition has id={x.get('id')!r}")
    else:
        check(x.get("id") == str(want_id), f"{what}: id={x.get('id')!r}, expected {want_id}")
    check(x.findtext("name") == name, f"{what}: name {x.findtext('name')!r}")
    check(x.findtext("uuid") == want_uuid, f"{what}: uuid {x.findtext('uuid')!r}")
    mem = x.find("memory")
    check(mem is not None and int(mem.text) * {"KiB": 1, "MiB": 1024, None: 1}.get(
          mem.get("unit"), 0) == KIB_128M,
          f"{what}: memory {None if mem is None else (mem.text, mem.get('unit'))}")
    check(x.findtext("vcpu") == "1", f"{what}: vcpu {x.findtext('vcpu')!r}")
    check(x.findtext("os/type") == "hvm", f"{what}: os type {x.findtext('os/type')!r}")
    check(x.findtext("os/kernel") == kernel, f"{what}: kernel {x.findtext('os/kernel')!r}")
    return x


def check_dominfo(v, name, want):
    info = v.dominfo(name)
    for k, val in want.items():
        check(info.get(k) == val, f"dominfo {name}: {k} is {info.get(k)!r}, expected {val!r}; "
              f"all: {info}")
    return info


def test_lifecycle(a, tmp):
    """define → list → start → inspect → suspend → resume → shutdown → start →
    destroy → undefine, with states, reasons and the skiff processes checked."""
    d, v = connect(a, tmp)
    name, u = "lifecycle", str(uuid.uuid4())
    kernel = a.guest("powerbtn")
    with d:
        path = write_xml(tmp, "d.xml", domain_xml(a, "powerbtn", name=name, uuid=u))
        out = v.ok("define", path)
        check(f"Domain '{name}' defined" in out, f"virsh define printed {out!r}")
        check(v.list_all() == [("-", name, "shut off")], f"list --all: {v.list_all()}")
        check(v.list("--inactive") == [("-", name, "shut off")],
              f"list --inactive: {v.list('--inactive')}")
        check(v.list() == [], f"virsh list (active only) shows a shut-off domain: {v.list()}")
        check(v.domstate(name) == "shut off", f"domstate before start: {v.domstate(name)!r}")
        check(v.ok("domuuid", name).strip() == u, f"domuuid: {v.ok('domuuid', name)!r}")
        check(v.ok("domname", u).strip() == name, "domname by uuid")
        check_dominfo(v, name, {"Id": "-", "Name": name, "UUID": u, "OS Type": "hvm",
                                "State": "shut off", "CPU(s)": "1",
                                "Max memory": f"{KIB_128M} KiB", "Persistent": "yes",
                                "Autostart": "disable"})
        check(d.find_files(name + ".xml"), "no persistent definition file "
              f"{name}.xml under the state directory after define")
        check(d.skiffs() == [], f"skiff processes before any start: {d.skiffs()}")

        out = v.ok("start", name)
        check(f"Domain '{name}' started" in out, f"virsh start printed {out!r}")
        check(v.domstate(name, reason=True) == "running (booted)",
              f"domstate --reason after start: {v.domstate(name, reason=True)!r}")
        d.wait_skiffs(1)
        rows = v.list_all()
        check(len(rows) == 1 and rows[0][1:] == (name, "running") and rows[0][0].isdigit(),
              f"list --all after start: {rows}")
        dom_id = int(rows[0][0])
        check(dom_id > 0, f"domain id {dom_id}")
        check(v.ok("domid", name).strip() == str(dom_id), f"domid: {v.ok('domid', name)!r}")
        check(v.ok("domname", str(dom_id)).strip() == name, "domname by id")
        check(v.list_all("--state-running") == [(str(dom_id), name, "running")],
              f"list --all --state-running: {v.list_all('--state-running')}")
        check(v.list("--inactive") == [], f"list --inactive: {v.list('--inactive')}")
        check(v.list() == [(str(dom_id), name, "running")], f"list: {v.list()}")
        check_dominfo(v, name, {"Id": str(dom_id), "State": "running", "CPU(s)": "1",
                                "Max memory": f"{KIB_128M} KiB",
                                "Used memory": f"{KIB_128M} KiB", "Persistent": "yes",
                                "Autostart": "disable", "OS Type": "hvm"})
        check_dumpxml(v, name, u, dom_id, False, kernel)
        check_dumpxml(v, name, u, None, True, kernel)
        check(v.ok("domstate", name).strip() == "running", "domstate without --reason")

        out = v.ok("suspend", name)
        check(f"Domain '{name}' suspended" in out, f"virsh suspend printed {out!r}")
        check(v.domstate(name, reason=True) == "paused (user)",
              f"domstate --reason after suspend: {v.domstate(name, reason=True)!r}")
        check(v.list_all() == [(str(dom_id), name, "paused")], f"list --all: {v.list_all()}")
        check(v.list_all("--state-paused") == [(str(dom_id), name, "paused")],
              f"list --all --state-paused: {v.list_all('--state-paused')}")
        out = v.ok("resume", name)
        check(f"Domain '{name}' resumed" in out, f"virsh resume printed {out!r}")
        check(v.domstate(name, reason=True) == "running (unpaused)",
              f"domstate --reason after resume: {v.domstate(name, reason=True)!r}")

        # The guest runs: it says so on its serial pty.
        v.wait_banner(name)
        out = v.ok("shutdown", name)
        check(f"Domain '{name}' is being shutdown" in out, f"virsh shutdown printed {out!r}")
        # The guest powers off when it sees the power button; skiff's VM then
        # stops and the daemon marks the domain shut off by the guest.
        st = v.wait_state(name, "shut off")
        check(st == "shut off (shutdown)", f"domstate --reason after the guest's power-off: "
              f"{st!r}")
        d.wait_skiffs(0)
        check_dominfo(v, name, {"Id": "-", "State": "shut off", "Persistent": "yes"})
        check(v.list_all() == [("-", name, "shut off")], f"list --all: {v.list_all()}")

        v.ok("start", name)
        check(v.domstate(name) == "running", f"domstate after a second start: "
              f"{v.domstate(name)!r}")
        d.wait_skiffs(1)
        id2 = int(v.ok("domid", name).strip())
        check_dumpxml(v, name, u, id2, False, kernel)
        # reboot: the guest starts over (it prints its banner again on the same
        # pty) in the same skiff, and the domain stays running with its id.
        v.wait_banner(name)
        pid = d.skiffs()
        out = v.ok("reboot", name)
        check(f"Domain '{name}' is being rebooted" in out, f"virsh reboot printed {out!r}")
        v.wait_banner(name)
        check(v.domstate(name) == "running", f"domstate after reboot: {v.domstate(name)!r}")
        check(v.ok("domid", name).strip() == str(id2), "the id changed across a reboot")
        check(d.skiffs() == pid, f"skiff processes {pid} became {d.skiffs()} across a reboot")
        out = v.ok("destroy", name)
        check(f"Domain '{name}' destroyed" in out, f"virsh destroy printed {out!r}")
        # destroy answers once skiff has exited and been reaped.
        check(d.skiffs() == [], f"skiff still running after destroy: {d.skiffs()}")
        check(v.domstate(name, reason=True) == "shut off (destroyed)",
              f"domstate --reason after destroy: {v.domstate(name, reason=True)!r}")

        out = v.ok("undefine", name)
        check(f"Domain '{name}' has been undefined" in out, f"virsh undefine printed {out!r}")
        check(v.list_all() == [], f"list --all after undefine: {v.list_all()}")
        check(v.run("domstate", name).rc != 0, "domstate of an undefined domain succeeded")
        check(not d.find_files(name + ".xml"), "the definition file is still there after "
              f"undefine: {d.find_files(name + '.xml')}")
        d.check_alive("after the lifecycle")


def test_guest_poweroff(a, tmp):
    """A guest that powers off by itself: the domain goes shut off (shutdown)
    without any call, and its skiff is gone."""
    d, v = connect(a, tmp)
    with d:
        path = write_xml(tmp, "d.xml", domain_xml(a, "hello", name="hello"))
        v.ok("define", path)
        u = v.ok("domuuid", "hello").strip()
        check(len(u) == 36 and uuid.UUID(u), f"generated uuid {u!r}")
        v.ok("start", "hello")
        st = v.wait_state("hello", "shut off")
        check(st == "shut off (shutdown)", f"domstate --reason after the guest powered off: "
              f"{st!r}")
        d.wait_skiffs(0)
        # The domain log holds skiff's output: look for it by name.
        logs = d.find_files("hello.log")
        check(logs, "no hello.log under the state directory")
        # It can start again.
        v.ok("start", "hello")
        v.wait_state("hello", "shut off")
        d.wait_skiffs(0)
        d.check_alive("after guests powered off")


def skiff_vm_info(api_sock):
    """GET vm.info straight from a domain's skiff, through its API socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(10)
        c.connect(api_sock)
        c.sendall(b"GET /api/v1/vm.info HTTP/1.1\r\nHost: localhost\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while chunk := c.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 200"), f"vm.info: {head!r}")
    return json.loads(body)


def test_rng(a, tmp):
    """<rng model='virtio'> reaches skiff as its virtio-rng device (VmConfig rng)."""
    d, v = connect(a, tmp)
    with d:
        text = domain_xml(a, "powerbtn", name="rng", uuid=uuid.uuid4()).replace(
            "<memballoon model='none'/>",
            "<memballoon model='none'/><rng model='virtio'>"
            "<backend model='random'>/dev/urandom</backend></rng>")
        v.ok("define", write_xml(tmp, "d.xml", text))
        check("<rng model='virtio'>" in v.ok("dumpxml", "rng"), "dumpxml lost <rng>")
        v.ok("start", "rng")
        v.wait_banner("rng")
        socks = d.find_files("rng.api.sock")
        check(socks, "no rng.api.sock under the state directory")
        rng = skiff_vm_info(socks[0])["config"].get("rng")
        check(rng == {"src": "/dev/urandom", "id": "rng0"}, f"skiff's rng config: {rng!r}")
        v.ok("destroy", "rng")
        d.wait_skiffs(0)


def test_transient(a, tmp):
    """virsh create: running at once, not persistent, gone after destroy."""
    d, v = connect(a, tmp)
    with d:
        path = write_xml(tmp, "d.xml", domain_xml(a, "powerbtn", name="transient",
                                                  uuid=uuid.uuid4()))
        out = v.ok("create", path)
        check("Domain 'transient' created" in out, f"virsh create printed {out!r}")
        check(v.domstate("transient") == "running", "transient domain not running")
        check_dominfo(v, "transient", {"Persistent": "no", "State": "running"})
        rows = v.list_all("--transient")
        check([r[1] for r in rows] == ["transient"], f"list --all --transient: {rows}")
        check(v.list_all("--persistent") == [], f"list --persistent: "
              f"{v.list_all('--persistent')}")
        d.wait_skiffs(1)
        v.ok("destroy", "transient")
        check(v.list_all() == [], f"list --all after destroying a transient domain: "
              f"{v.list_all()}")
        d.wait_skiffs(0)
        d.check_alive("after a transient domain")


def test_full_definition(a, tmp):
    """The supported elements survive define → dumpxml --inactive; dominfo
    and autostart."""
    d, v = connect(a, tmp)
    name, u = "full", str(uuid.uuid4())
    with d:
        v.ok("define", write_xml(tmp, "d.xml", domain_xml(a, "full", name=name, uuid=u)))
        x = ET.fromstring(v.ok("dumpxml", "--inactive", name))
        check(x.findtext("title") == "a skiff test domain", f"title {x.findtext('title')!r}")
        check(x.findtext("description") == "every supported element at once",
              f"description {x.findtext('description')!r}")

        def kib(el):
            check(el is not None, "missing memory element")
            mult = {"KiB": 1, "k": 1, "KB": 1, "MiB": 1024, "M": 1024, "GiB": 1 << 20,
                    "G": 1 << 20, None: 1}
            check(el.get("unit") in mult, f"unit {el.get('unit')!r}")
            return int(el.text) * mult[el.get("unit")]
        check(kib(x.find("memory")) == 1 << 20, "memory is not 1 GiB")
        check(kib(x.find("currentMemory")) == 512 * 1024, "currentMemory is not 512 MiB")
        vcpu = x.find("vcpu")
        check(vcpu is not None and vcpu.text == "2" and vcpu.get("current") == "1",
              f"vcpu {None if vcpu is None else (vcpu.text, vcpu.attrib)}")
        check(x.findtext("os/cmdline") == "console=ttyS0 quiet",
              f"cmdline {x.findtext('os/cmdline')!r}")
        check(x.find("features/acpi") is not None and x.find("features/apic") is not None,
              "features lost")
        check(x.find("cpu") is not None and x.find("cpu").get("mode") == "host-passthrough",
              "cpu mode lost")
        check(x.findtext("on_poweroff") == "destroy" and x.findtext("on_reboot") == "restart",
              "lifecycle actions lost")
        check(os.path.realpath(x.findtext("devices/emulator") or "") ==
              os.path.realpath(a.skiff), f"emulator {x.findtext('devices/emulator')!r}")
        check(x.find("devices/serial").get("type") == "pty", "serial lost")
        check(x.find("devices/memballoon").get("model") == "none", "memballoon lost")

        check_dominfo(v, name, {"Max memory": f"{1 << 20} KiB",
                                "Used memory": f"{512 * 1024} KiB", "CPU(s)": "1",
                                "Autostart": "disable"})
        out = v.ok("autostart", name)
        check(f"Domain '{name}' marked as autostarted" in out, f"virsh autostart: {out!r}")
        check_dominfo(v, name, {"Autostart": "enable"})
        check([r[1] for r in v.list_all("--autostart")] == [name],
              f"list --all --autostart: {v.list_all('--autostart')}")
        check(v.list_all("--no-autostart") == [], "list --no-autostart shows it")
        out = v.ok("autostart", "--disable", name)
        check(f"Domain '{name}' unmarked as autostarted" in out,
              f"virsh autostart --disable: {out!r}")
        check_dominfo(v, name, {"Autostart": "disable"})
        check(v.list_all("--autostart") == [], "list --autostart after --disable")

        # The serial pty appears in the live XML, and the guest's banner on it.
        v.ok("start", name)
        live = ET.fromstring(v.ok("dumpxml", name))
        src = live.find("devices/serial/source")
        check(src is not None and (src.get("path") or "").startswith("/dev/pts/"),
              f"live XML: serial source {None if src is None else src.attrib}")
        check(live.find("devices/serial").get("type") == "pty", "live serial type")
        ttys = v.ok("ttyconsole", name).strip()
        check(ttys == src.get("path"), f"ttyconsole {ttys!r}, serial {src.get('path')!r}")
        read_pty_until(src.get("path"), POWERBTN_BANNER)
        inactive = ET.fromstring(v.ok("dumpxml", "--inactive", name))
        isrc = inactive.find("devices/serial/source")
        check(isrc is None or not isrc.get("path"), "the inactive XML holds the live pty path")
        v.ok("shutdown", name)
        check(v.wait_state(name, "shut off") == "shut off (shutdown)", "shutdown reason")
        v.ok("undefine", name)
        d.check_alive("after the full definition")


def test_validate(a, tmp):
    """define --validate checks libvirt's schema: a valid document passes, one
    with an attribute the schema does not have is refused and not defined."""
    d, v = connect(a, tmp)
    with d:
        v.ok("define", "--validate",
             write_xml(tmp, "ok.xml", domain_xml(a, "powerbtn", name="valid",
                                                 uuid=uuid.uuid4())))
        check([r[1] for r in v.list_all()] == ["valid"], f"list --all: {v.list_all()}")
        err = v.fails("define", "--validate",
                      write_xml(tmp, "bad.xml", domain_xml(a, "schema-invalid",
                                                           name="invalid")))
        check("schema" in err.lower() or "validat" in err.lower(),
              f"define --validate of a schema-invalid document: the error does not say it "
              f"failed validation: {err!r}")
        check([r[1] for r in v.list_all()] == ["valid"],
              f"list --all after a refused define: {v.list_all()}")
        d.check_alive("after define --validate")


def test_restart_keeps_definitions(a, tmp):
    """Persistent definitions and autostart marks outlive the daemon."""
    d, v = connect(a, tmp)
    u = str(uuid.uuid4())
    with d:
        v.ok("define", write_xml(tmp, "d.xml", domain_xml(a, "powerbtn", name="kept", uuid=u)))
        v.ok("define", write_xml(tmp, "e.xml", domain_xml(a, "hello", name="kept2")))
        v.ok("autostart", "kept2")
    check(not d.alive(), "the first daemon is still running")
    d2 = Daemon(a, tmp)
    with d2:
        rows = v.list_all()
        check(rows == [("-", "kept", "shut off"), ("-", "kept2", "shut off")] or
              sorted(r[1] for r in rows) == ["kept", "kept2"],
              f"list --all after a daemon restart: {rows}")
        check(v.ok("domuuid", "kept").strip() == u, "uuid changed across a restart")
        check(v.dominfo("kept2").get("Autostart") == "enable",
              f"autostart lost across a restart: {v.dominfo('kept2')}")
        d2.check_alive("after a restart")


def test_restart_with_running_domain(a, tmp):
    """The daemon stops (SIGTERM) or dies (SIGKILL) while a domain runs; the
    next daemon on the same state either takes the running domain back
    (running, with its id, and destroy ends its skiff) or reports it shut off
    with no skiff of it left: never a VM running that no daemon knows."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        d, v = connect(a, os.path.join(tmp, sig.name))
        with d:
            v.ok("define", write_xml(tmp, "d.xml", domain_xml(a, "powerbtn", name="keep",
                                                              uuid=uuid.uuid4())))
            v.ok("start", "keep")
            dom_id = v.ok("domid", "keep").strip()
            v.wait_banner("keep")
            pids = d.skiffs()
            check(len(pids) == 1, f"skiff processes: {pids}")
            os.kill(d.pid, sig)
            d.proc.wait(timeout=20)
            # A skiff left behind stays (re-parented to this script) for
            # the next daemon to take back.
            d.stop(kill_orphans=False)
        d2 = Daemon(a, os.path.join(tmp, sig.name))
        with d2:
            st = v.domstate("keep", reason=True)
            print(f"  {sig.name}: after the restart: {st}", flush=True)
            if st.startswith("running"):
                check(v.ok("domid", "keep").strip() == dom_id,
                      f"{sig.name}: the id changed across the restart")
                v.ok("destroy", "keep")
                check(v.domstate("keep") == "shut off", f"{sig.name}: destroy after a restart")
                wait_until(lambda: not process_running(pids[0]),
                           f"{sig.name}: the domain's skiff (pid {pids[0]}) to exit after "
                           "destroy by the new daemon")
            else:
                check(st.startswith("shut off"), f"{sig.name}: domstate after a restart: {st!r}")
                check(not process_running(pids[0]),
                      f"{sig.name}: the new daemon reports the domain {st!r} but its skiff "
                      f"(pid {pids[0]}) still runs the VM: a VM no daemon manages")
            d2.check_alive(f"after a restart ({sig.name})")


if __name__ == "__main__":
    sys.exit(run_tests([test_connection, test_lifecycle, test_guest_poweroff, test_rng,
                        test_transient, test_full_definition, test_validate,
                        test_restart_keeps_definitions, test_restart_with_running_domain],
                       parse_args()))
