#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Disks and network interfaces through the real virsh against a virtskiffd
started by the test, on /dev/kvm: a domain with two file disks (one
read-only, with a serial and cache='none'), an <interface type='ethernet'>
on a tap the test made (managed='no') and an <interface type='bridge'> on a
bridge the test made. Started, its skiff (vm.info through its API socket)
has the disks and nets with the ids, paths, taps and MACs of the XML; the tap
the daemon created for the bridge is up, enslaved (`ip link show master`),
and has the guest's MAC with fe as first byte; virsh domblklist / domiflist
list them; after destroy the daemon's tap is gone and the test's is not. A
start that fails after the taps were made (a missing disk), a missing
bridge, and a tap name that is taken leave no tap behind and take nothing
away. Needs root (bridges and taps); every link the test makes, or the
daemon may have left, is deleted at the end."""
import json
import os
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driverlib import (Daemon, Failure, Virsh, check, domain_xml, parse_args,  # noqa: E402
                       run_tests, skiff_api_get, write_xml)

IP_TIMEOUT = 10
SKIP = 77


def connect(a, tmp):
    d = Daemon(a, tmp)
    return d, Virsh(d.uri, os.path.join(tmp, "home"))


def ip(*argv, ok=True):
    p = subprocess.run(["ip"] + list(argv), capture_output=True, text=True, timeout=IP_TIMEOUT)
    if ok:
        check(p.returncode == 0, f"ip {' '.join(argv)}: {p.stderr.strip()}")
    return p


def links(*argv):
    """`ip -j link show ARGV` as a list of dicts ([] when there is none)."""
    p = ip("-j", "link", "show", *argv, ok=False)
    return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else []


def link_exists(name):
    return ip("link", "show", "dev", name, ok=False).returncode == 0


def host_mac(guest_mac):
    """The address the daemon gives its tap: the guest's with fe first."""
    return "fe" + guest_mac[2:]


class Links:
    """Links made by the test, and MACs whose taps the daemon makes: all
    deleted at the end, whatever happened."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:8]
        self.names = []
        self.daemon_macs = []

    def name(self, kind):
        return f"skt{kind}{self.tag}"

    def bridge(self):
        n = self.name("b")
        self.names.append(n)
        ip("link", "add", n, "type", "bridge")
        ip("link", "set", n, "up")
        return n

    def tap(self):
        n = self.name("t")
        self.names.append(n)
        ip("tuntap", "add", "dev", n, "mode", "tap")
        return n

    def mac(self):
        """A guest MAC of this test's own (random low bytes)."""
        m = "52:54:00:" + ":".join(uuid.uuid4().hex[i:i + 2] for i in (0, 2, 4))
        self.daemon_macs.append(host_mac(m))
        return m

    def daemon_taps(self):
        """Links with one of our daemon-side MACs: taps the daemon made (a
        bridge takes its port's address: the test's own links are left out)."""
        return [l["ifname"] for l in links()
                if l.get("address") in self.daemon_macs and l["ifname"] not in self.names]

    def cleanup(self):
        for name in self.daemon_taps() + self.names:
            ip("link", "del", name, ok=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def disk_image(tmp, name, size):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def direct_io_works(directory):
    """O_DIRECT where the images are (tmpfs refuses it on older kernels)."""
    path = os.path.join(directory, "direct-probe")
    try:
        os.close(os.open(path, os.O_CREAT | os.O_RDWR | os.O_DIRECT, 0o600))
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(path):
            os.unlink(path)


def devices_domain(a, name, devices):
    return domain_xml(a, "powerbtn", name=name, uuid=uuid.uuid4()).replace(
        "<memballoon model='none'/>", devices + "<memballoon model='none'/>")


def parse_table(text, what):
    """virsh's tables (domblklist, domiflist): rows below the dashes, split
    on blanks."""
    lines = [l for l in text.splitlines() if l.strip()]
    check(len(lines) >= 2 and set(lines[1].strip()) == {"-"}, f"{what}: no table in {text!r}")
    return [l.split() for l in lines[2:]]


def test_devices(a, tmp):
    """Two disks, an ethernet and a bridge interface: in skiff, on the bridge,
    in virsh's lists; the daemon's tap is gone after destroy."""
    with Links() as ln:
        bridge = ln.bridge()
        tap = ln.tap()
        mac_eth, mac_br = ln.mac(), ln.mac()
        root = disk_image(tmp, "root.img", 1 << 20)
        seed = disk_image(tmp, "seed.img", 64 << 10)
        # cache='none' is skiff's direct; where O_DIRECT cannot work, writeback.
        direct = direct_io_works(tmp)
        devices = f"""
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='{"none" if direct else "writeback"}'/>
      <source file='{root}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{seed}'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
      <serial>SEED-1</serial>
    </disk>
    <interface type='ethernet'>
      <mac address='{mac_eth}'/>
      <target dev='{tap}' managed='no'/>
      <model type='virtio'/>
    </interface>
    <interface type='bridge'>
      <mac address='{mac_br}'/>
      <source bridge='{bridge}'/>
      <model type='virtio'/>
    </interface>
    """
        d, v = connect(a, tmp)
        with d:
            v.ok("define", write_xml(tmp, "d.xml", devices_domain(a, "devs", devices)))
            v.ok("start", "devs")
            v.wait_banner("devs")

            x = ET.fromstring(v.ok("dumpxml", "devs"))
            ifs = x.findall("devices/interface")
            check(len(ifs) == 2, f"live XML: {len(ifs)} interfaces")
            check(ifs[0].find("target").get("dev") == tap,
                  f"live XML: ethernet target {ifs[0].find('target').attrib}")
            vnet = ifs[1].find("target").get("dev") if ifs[1].find("target") is not None else None
            check(vnet and vnet.startswith("vnet"),
                  f"live XML: the bridge interface has no generated tap name ({vnet!r})")
            check(ln.daemon_taps() == [vnet],
                  f"daemon taps by MAC {ln.daemon_taps()}, live XML says {vnet}")

            socks = d.find_files("devs.api.sock")
            check(socks, "no devs.api.sock under the state directory")
            cfg = skiff_api_get(socks[0], "vm.info")["config"]
            disks = [(g["id"], g["path"], g["readonly"], g["direct"], g.get("serial"))
                     for g in cfg.get("disks", [])]
            check(disks == [("vda", root, False, direct, None),
                            ("vdb", seed, True, False, "SEED-1")],
                  f"skiff's disks: {cfg.get('disks')}")
            nets = [(n["id"], n["tap"], n["mac"]) for n in cfg.get("net", [])]
            check(nets == [("net0", tap, mac_eth), ("net1", vnet, mac_br)],
                  f"skiff's nets: {cfg.get('net')}")

            enslaved = links("master", bridge)
            check([l["ifname"] for l in enslaved] == [vnet],
                  f"ip link show master {bridge}: {[l['ifname'] for l in enslaved]}")
            check("UP" in enslaved[0]["flags"], f"{vnet} is not up: {enslaved[0]['flags']}")
            check(enslaved[0]["address"] == host_mac(mac_br),
                  f"{vnet} has address {enslaved[0]['address']}, expected {host_mac(mac_br)}")

            rows = parse_table(v.ok("domblklist", "devs"), "domblklist")
            check(rows == [["vda", root], ["vdb", seed]], f"domblklist: {rows}")
            rows = parse_table(v.ok("domiflist", "devs"), "domiflist")
            check(rows == [[tap, "ethernet", "-", "virtio", mac_eth],
                           [vnet, "bridge", bridge, "virtio", mac_br]], f"domiflist: {rows}")

            v.ok("destroy", "devs")
            v.wait_state("devs", "shut off")
            d.wait_skiffs(0)
            check(not link_exists(vnet), f"the daemon's tap {vnet} is still there after destroy")
            check(link_exists(tap), f"the test's own tap {tap} went away with the domain")
            check(links("master", bridge) == [], f"{bridge} still has ports after destroy")
            x = ET.fromstring(v.ok("dumpxml", "devs"))
            check(x.find("devices/interface[2]/target") is None,
                  "the generated tap name stayed in the definition after destroy")

            # A second start makes a tap again.
            v.ok("start", "devs")
            v.wait_banner("devs")
            check(len(ln.daemon_taps()) == 1 and links("master", bridge),
                  f"second start: daemon taps {ln.daemon_taps()}")
            v.ok("destroy", "devs")
            v.wait_state("devs", "shut off")
            check(ln.daemon_taps() == [], f"after the second destroy: {ln.daemon_taps()}")
            d.check_alive("after the devices test")


def test_failed_start(a, tmp):
    """A start that fails after the daemon made its taps (skiff cannot open a
    disk), a bridge that does not exist, a tap name that is taken: each start
    is refused with the reason, and no tap of the daemon's stays."""
    with Links() as ln:
        bridge = ln.bridge()
        taken = ln.tap()
        d, v = connect(a, tmp)
        with d:
            missing = os.path.join(tmp, "missing.img")
            v.ok("define", write_xml(tmp, "a.xml", devices_domain(a, "nodisk", f"""
    <disk type='file' device='disk'>
      <source file='{missing}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='bridge'>
      <mac address='{ln.mac()}'/>
      <source bridge='{bridge}'/>
    </interface>
    <interface type='ethernet'>
      <mac address='{ln.mac()}'/>
    </interface>
    """)))
            err = v.fails("start", "nodisk")
            check("missing.img" in err, f"start with a missing disk: {err!r}")
            check(ln.daemon_taps() == [], f"taps left after a failed start: {ln.daemon_taps()}")
            check(links("master", bridge) == [], f"{bridge} has ports after a failed start")

            v.ok("define", write_xml(tmp, "b.xml", devices_domain(a, "nobridge", f"""
    <interface type='bridge'>
      <mac address='{ln.mac()}'/>
      <source bridge='{ln.name("x")}'/>
    </interface>
    """)))
            err = v.fails("start", "nobridge")
            check(ln.name("x") in err and "does not exist" in err,
                  f"start with a missing bridge: {err!r}")
            check(ln.daemon_taps() == [], f"taps left after a missing bridge: {ln.daemon_taps()}")

            v.ok("define", write_xml(tmp, "c.xml", devices_domain(a, "taken", f"""
    <interface type='bridge'>
      <mac address='{ln.mac()}'/>
      <source bridge='{bridge}'/>
      <target dev='{taken}'/>
    </interface>
    """)))
            err = v.fails("start", "taken")
            check(taken in err and "exists already" in err, f"start with a taken name: {err!r}")
            check(link_exists(taken), f"a refused start deleted the existing {taken}")
            check(links("master", bridge) == [], f"{bridge} has ports after a taken name")
            d.wait_skiffs(0)
            d.check_alive("after the failed starts")


def test_refused(a, tmp):
    """What skiff cannot run is refused at define, naming the element."""
    d, v = connect(a, tmp)
    with d:
        for devices, want in [
            ("<interface type='network'><source network='default'/></interface>",
             "<interface type='network'>"),
            ("<disk type='file' device='cdrom'><source file='/x.iso'/>"
             "<target dev='vda' bus='virtio'/></disk>", "<disk device='cdrom'>"),
            ("<disk type='file'><source file='/x.img'/><target dev='vda' bus='sata'/></disk>",
             "<target bus='sata'>"),
            ("<interface type='bridge'><source bridge='br0'/><model type='e1000'/></interface>",
             "<model type='e1000'>"),
        ]:
            err = v.fails("define", write_xml(tmp, "r.xml", devices_domain(a, "refused", devices)))
            check("unsupported configuration" in err and want in err,
                  f"define with {devices}: {err!r}")
        check(v.list_all() == [], f"a refused define left {v.list_all()}")


def main():
    a = parse_args()
    if os.geteuid() != 0 or not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        print("skipped: needs root and /dev/net/tun for bridges and taps")
        return SKIP
    try:
        ip("link", "show")
    except (Failure, FileNotFoundError) as e:
        print(f"skipped: no working `ip` ({e})")
        return SKIP
    return run_tests([test_devices, test_failed_start, test_refused], a)


if __name__ == "__main__":
    sys.exit(main())
