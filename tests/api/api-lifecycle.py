#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The VM lifecycle through the REST API, on /dev/kvm: create, boot, pause,
resume, power button (the powerbtn guest powers off when it sees it),
shutdown, boot again, reboot, delete, vmm.shutdown; every transition the
current state does not allow (404 without a VM, 405 otherwise, the state
unchanged); the VM given on the command line; --api-socket fd=N; and the
skiff-remote client."""
import json
import os
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apiclient import (Api, Skiff, check, parse_args, read_text, run_tests,  # noqa: E402
                       vm_config, wait_for_text)

BANNER = "waiting for the power button"
PRESSED = "power button pressed"
MIB = 1 << 20

# Every request that changes the VM's state, with its method.
TRANSITIONS = ["vm.create", "vm.boot", "vm.pause", "vm.resume", "vm.shutdown", "vm.reboot",
               "vm.power-button"]


def start(a, tmp, extra=(), pass_fds=(), name="skiff"):
    sock = os.path.join(tmp, name + ".sock")
    sk = Skiff(a.skiff, tmp, ["--api-socket", f"path={sock}"] + list(extra), pass_fds, name)
    try:
        sk.wait_listening(sock)
    except BaseException:
        sk.stop()
        raise
    return sk, Api(sock)


def refused(api, endpoint, status, state, body=None):
    """endpoint is refused with status; the answer names the state and the
    request, and the VM's state is what it was."""
    before = api.state()
    check(before == state, f"before {endpoint}: state {before}, expected {state}")
    r = api.expect("PUT", endpoint, status, body)
    check(r.json.get("state") == state,
          f"{endpoint} in {state}: body state {r.json.get('state')!r}: {r.body!r}")
    check(r.json.get("request") == endpoint,
          f"{endpoint} in {state}: body request {r.json.get('request')!r}: {r.body!r}")
    after = api.state()
    check(after == state, f"{endpoint} refused in {state}, but the state became {after}")


def check_ping(api, sk, version):
    r = api.expect("GET", "vmm.ping", 200)
    p = r.json
    check(isinstance(p, dict), f"vmm.ping: not an object: {r.body!r}")
    check(p.get("pid") == sk.pid, f"vmm.ping: pid {p.get('pid')!r}, skiff's pid is {sk.pid}")
    check(p.get("version") == version, f"vmm.ping: version {p.get('version')!r}, "
          f"skiff --version says {version!r}")
    check(isinstance(p.get("build_version"), str) and p["build_version"],
          f"vmm.ping: build_version {p.get('build_version')!r}")
    check(isinstance(p.get("features"), list), f"vmm.ping: features {p.get('features')!r}")


def skiff_version(a):
    out = subprocess.run([a.skiff, "--version"], capture_output=True, text=True,
                         timeout=10).stdout.split()
    check(len(out) == 2 and out[0] == "skiff", f"skiff --version printed {out!r}")
    return out[1]


def check_config_echo(info, kernel, serial):
    cfg = info.get("config")
    check(isinstance(cfg, dict), f"vm.info: no config: {info!r}")
    check(cfg.get("payload", {}).get("kernel") == kernel,
          f"vm.info: payload {cfg.get('payload')!r}, expected kernel {kernel}")
    check(cfg.get("cpus", {}).get("boot_vcpus") == 1, f"vm.info: cpus {cfg.get('cpus')!r}")
    check(cfg.get("cpus", {}).get("max_vcpus") == 1, f"vm.info: cpus {cfg.get('cpus')!r}")
    check(cfg.get("memory", {}).get("size") == 128 * MIB, f"vm.info: memory {cfg.get('memory')!r}")
    check(cfg.get("serial", {}).get("mode") == "File" and cfg["serial"].get("file") == serial,
          f"vm.info: serial {cfg.get('serial')!r}")
    check(isinstance(info.get("memory_actual_size"), int),
          f"vm.info: memory_actual_size {info.get('memory_actual_size')!r}")


def test_lifecycle(a, tmp):
    version = skiff_version(a)
    kernel = a.guest("powerbtn")
    serial = os.path.join(tmp, "serial.txt")
    cfg = vm_config(kernel, serial)
    sk, api = start(a, tmp)
    with sk:
        check_ping(api, sk, version)

        # No VM: 404 for everything but vm.create and vm.delete.
        r = api.expect("GET", "vm.info", 404)
        check(r.json.get("state") == "NotCreated" and r.json.get("request") == "vm.info",
              f"vm.info without a VM: {r.body!r}")
        api.expect("GET", "vm.counters", 404)
        for ep in TRANSITIONS[1:]:
            refused(api, ep, 404, "NotCreated")
        api.ok("vm.delete")     # nothing to delete is not an error
        check(api.state() == "NotCreated", "vm.delete without a VM created one")

        api.ok("vm.create", cfg)
        info = api.info()
        check(info.get("state") == "Created", f"after vm.create: {info!r}")
        check_config_echo(info, kernel, serial)
        for ep in ["vm.pause", "vm.resume", "vm.shutdown", "vm.reboot", "vm.power-button"]:
            refused(api, ep, 405, "Created")
        refused(api, "vm.create", 405, "Created", cfg)
        check(api.info().get("config") == info.get("config"),
              "the refused second vm.create changed the config")

        api.ok("vm.boot")
        check(api.state() == "Running", "vm.boot answered but the VM is not Running")
        wait_for_text(serial, BANNER)
        for ep in ["vm.boot", "vm.resume"]:
            refused(api, ep, 405, "Running")
        refused(api, "vm.create", 405, "Running", cfg)
        counters = api.expect("GET", "vm.counters", 200).json
        check(isinstance(counters, dict), f"vm.counters: {counters!r}")

        api.ok("vm.pause")
        check(api.state() == "Paused", "vm.pause answered but the VM is not Paused")
        for ep in ["vm.pause", "vm.boot", "vm.power-button"]:
            refused(api, ep, 405, "Paused")
        api.ok("vm.resume")
        check(api.state() == "Running", "vm.resume answered but the VM is not Running")

        # The guest decides: powerbtn powers off when its interrupt handler sees the event.
        api.ok("vm.power-button")
        api.wait_state("Shutdown")
        out = wait_for_text(serial, PRESSED)
        check("FAIL" not in out, f"the guest failed: {out!r}")
        check(out.count(BANNER) == 1, f"the guest started more than once: {out!r}")
        for ep in ["vm.reboot", "vm.pause", "vm.resume", "vm.shutdown", "vm.power-button"]:
            refused(api, ep, 405, "Shutdown")
        refused(api, "vm.create", 405, "Shutdown", cfg)
        check(sk.proc.poll() is None, "skiff exited when the guest powered off")

        # Shutdown → boot again: the guest starts from the beginning.
        api.ok("vm.boot")
        wait_for_text(serial, BANNER, 2)
        check(api.state() == "Running", "boot from Shutdown: not Running")

        # Reboot from Running: the VM is rebuilt and the guest prints its banner again.
        api.ok("vm.reboot")
        check(api.state() == "Running", "vm.reboot answered but the VM is not Running")
        wait_for_text(serial, BANNER, 3)

        # vm.shutdown from Running, then boot again.
        api.ok("vm.shutdown")
        check(api.state() == "Shutdown", "vm.shutdown answered but the VM is not Shutdown")
        check(api.info().get("config") == info.get("config"), "vm.shutdown lost the config")
        api.ok("vm.boot")
        wait_for_text(serial, BANNER, 4)

        # Reboot from Paused.
        api.ok("vm.pause")
        api.ok("vm.reboot")
        check(api.state() == "Running", "vm.reboot from Paused: not Running")
        wait_for_text(serial, BANNER, 5)

        # vm.shutdown from Paused.
        api.ok("vm.pause")
        api.ok("vm.shutdown")
        check(api.state() == "Shutdown", "vm.shutdown from Paused: not Shutdown")

        api.ok("vm.boot")
        wait_for_text(serial, BANNER, 6)
        api.ok("vm.delete")
        api.expect("GET", "vm.info", 404)
        api.ok("vm.delete")
        # A new VM after delete.
        api.ok("vm.create", cfg)
        check(api.state() == "Created", "vm.create after vm.delete: not Created")

        api.ok("vmm.shutdown")
        rc = sk.wait_exit()
        check(rc == 0, f"skiff exited with {rc} after vmm.shutdown:\n{sk.log()}")
        out = wait_for_text(serial, BANNER)
        check("FAIL" not in out, f"the guest failed: {out!r}")


def test_cli_vm(a, tmp):
    """A VM given on the command line is created and booted at start."""
    kernel = a.guest("powerbtn")
    serial = os.path.join(tmp, "serial.txt")
    sk, api = start(a, tmp, ["--kernel", kernel, "--serial", f"file={serial}",
                             "--memory", "size=128M", "--cpus", "boot=1"])
    with sk:
        wait_for_text(serial, BANNER)
        info = api.info()
        check(info.get("state") == "Running", f"CLI VM: {info!r}")
        check_config_echo(info, kernel, serial)
        api.ok("vm.power-button")
        api.wait_state("Shutdown")
        wait_for_text(serial, PRESSED)
        check(sk.proc.poll() is None, "skiff exited on the guest's power-off despite --api-socket")
        api.ok("vmm.shutdown")
        check(sk.wait_exit() == 0, f"exit status {sk.proc.returncode}:\n{sk.log()}")


def test_early_power_button(a, tmp):
    """A button pressed before the guest has unmasked the interrupt is not lost:
    the GED holds its (level-triggered) line until the guest reads the event."""
    kernel = a.guest("powerbtn")
    serial = os.path.join(tmp, "serial.txt")
    sk, api = start(a, tmp)
    with sk:
        api.ok("vm.create", vm_config(kernel, serial))
        api.ok("vm.boot")
        api.ok("vm.power-button")
        out = read_text(serial)
        check(BANNER not in out, "the guest was already waiting: the test proves nothing; "
              f"serial: {out!r}")
        api.wait_state("Shutdown")
        out = wait_for_text(serial, PRESSED)
        check("PASS" in out, f"serial: {out!r}")
        api.ok("vmm.shutdown")
        check(sk.wait_exit() == 0, f"exit status {sk.proc.returncode}:\n{sk.log()}")


def test_cli_guest_poweroff(a, tmp):
    """A guest that powers off by itself (hello) leaves the VM Shutdown, the VMM serving."""
    serial = os.path.join(tmp, "serial.txt")
    sk, api = start(a, tmp, ["--kernel", a.guest("hello"), "--serial", f"file={serial}",
                             "--memory", "size=128M"])
    with sk:
        api.wait_state("Shutdown")
        out = wait_for_text(serial, "PASS")
        check("hello from the guest" in out, f"serial: {out!r}")
        check(sk.proc.poll() is None, "skiff exited on the guest's power-off despite --api-socket")
        api.ok("vm.boot")
        wait_for_text(serial, "PASS", 2)
        api.wait_state("Shutdown")
        api.ok("vmm.shutdown")
        check(sk.wait_exit() == 0, f"exit status {sk.proc.returncode}:\n{sk.log()}")


def test_guest_reset(a, tmp):
    """A guest reset restarts the VM (the reset guest counts its boots in CMOS and
    powers off on the third); with --no-reboot it leaves the VM Shutdown instead,
    and in both cases the VMM keeps serving."""
    serial = os.path.join(tmp, "serial.txt")
    sk, api = start(a, tmp)
    with sk:
        api.ok("vm.create", vm_config(a.guest("reset"), serial))
        api.ok("vm.boot")
        api.wait_state("Shutdown")
        out = wait_for_text(serial, "PASS")
        for n in range(3):
            check(f"reset count: {n}\n" in out, f"boot {n + 1} missing: {out!r}")
        check("FAIL" not in out, f"the guest failed: {out!r}")
        api.ok("vmm.shutdown")
        check(sk.wait_exit() == 0, f"exit status {sk.proc.returncode}:\n{sk.log()}")

    serial = os.path.join(tmp, "serial-no-reboot.txt")
    sk, api = start(a, tmp, ["--kernel", a.guest("reset"), "--serial", f"file={serial}",
                             "--memory", "size=128M", "--no-reboot"], name="no-reboot")
    with sk:
        api.wait_state("Shutdown")
        out = wait_for_text(serial, "rebooting")
        check("reset count: 1" not in out, f"the VM restarted despite --no-reboot: {out!r}")
        check(sk.proc.poll() is None, "skiff exited on a guest reset despite --api-socket")
        api.ok("vmm.shutdown")
        check(sk.wait_exit() == 0, f"exit status {sk.proc.returncode}:\n{sk.log()}")


def test_api_fd(a, tmp):
    """--api-socket fd=N: a socket bound and listening in the parent."""
    path = os.path.join(tmp, "parent.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        ls.bind(path)
        ls.listen(8)
        fd = ls.fileno()
        os.set_inheritable(fd, True)
        sk = Skiff(a.skiff, tmp, ["--api-socket", f"fd={fd}"], pass_fds=(fd,))
    finally:
        ls.close()      # skiff holds its own copy
    with sk:
        api = Api(path)
        r = api.expect("GET", "vmm.ping", 200)
        check(r.json.get("pid") == sk.pid, f"vmm.ping over fd={fd}: {r.body!r}")
        serial = os.path.join(tmp, "serial.txt")
        api.ok("vm.create", vm_config(a.guest("powerbtn"), serial))
        api.ok("vm.boot")
        wait_for_text(serial, BANNER)
        api.ok("vmm.shutdown")
        check(sk.wait_exit() == 0, f"exit status {sk.proc.returncode}:\n{sk.log()}")


def remote(a, sock, *args, stdin=None, timeout=40):
    p = subprocess.run([a.remote] + (["--api-socket", sock] if sock else []) + list(args),
                       input=stdin, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def test_remote(a, tmp):
    """skiff-remote drives a VM through its lifecycle; its output and exit codes."""
    check(a.remote, "no --remote given")
    kernel = a.guest("powerbtn")
    serial = os.path.join(tmp, "serial.txt")
    cfg_file = os.path.join(tmp, "vm.json")
    with open(cfg_file, "w") as f:
        json.dump(vm_config(kernel, serial), f)
    sk, api = start(a, tmp)
    sock = api.path
    with sk:
        rc, out, err = remote(a, sock, "ping")
        check(rc == 0 and err == "", f"ping: {rc} {err!r}")
        check(json.loads(out).get("pid") == sk.pid, f"ping printed {out!r}")
        check("\n  " in out, f"ping: the JSON is not pretty-printed: {out!r}")

        rc, out, err = remote(a, sock, "info")
        check(rc == 1 and out == "", f"info without a VM: {rc} {out!r}")
        check(err.startswith("skiff-remote: vm.info: 404 Not Found: ") and len(err.strip()) >
              len("skiff-remote: vm.info: 404 Not Found:"), f"info without a VM: {err!r}")

        # The config from standard input, then again from the file: refused, the VM exists.
        bad = vm_config(kernel, serial)
        bad["bogus"] = 1
        rc, out, err = remote(a, sock, "create", "-", stdin=json.dumps(bad))
        check(rc == 1 and err.startswith("skiff-remote: vm.create: 400 Bad Request: ") and
              "bogus" in err and err.count("\n") == 1, f"create with a bad member: {rc} {err!r}")
        check(api.state() == "NotCreated", "a refused create left a VM")
        rc, out, err = remote(a, sock, "create", "-", stdin=json.dumps(vm_config(kernel, serial)))
        check(rc == 0 and out == "" and err == "", f"create -: {rc} {out!r} {err!r}")
        check(api.state() == "Created", "create - did not create the VM")
        rc, out, err = remote(a, sock, "create", cfg_file)
        check(rc == 1 and err.startswith("skiff-remote: vm.create: 405 Method Not Allowed: "),
              f"second create: {rc} {err!r}")

        rc, out, err = remote(a, sock, "boot")
        check(rc == 0 and out == "" and err == "", f"boot: {rc} {out!r} {err!r}")
        wait_for_text(serial, BANNER)
        rc, out, err = remote(a, sock, "info")
        check(rc == 0, f"info: {rc} {err!r}")
        check(json.loads(out).get("state") == "Running", f"info: {out!r}")
        rc, out, err = remote(a, sock, "counters")
        check(rc == 0 and isinstance(json.loads(out), dict), f"counters: {rc} {out!r} {err!r}")
        for cmd, state in [("pause", "Paused"), ("resume", "Running")]:
            rc, out, err = remote(a, sock, cmd)
            check(rc == 0 and out == "" and err == "", f"{cmd}: {rc} {out!r} {err!r}")
            check(api.state() == state, f"{cmd}: state {api.state()}")
        rc, out, err = remote(a, sock, "resume")
        check(rc == 1 and err.startswith("skiff-remote: vm.resume: 405 "), f"resume: {rc} {err!r}")
        rc, out, err = remote(a, sock, "power-button")
        check(rc == 0, f"power-button: {rc} {err!r}")
        api.wait_state("Shutdown")
        wait_for_text(serial, PRESSED)
        for cmd in ["boot", "reboot", "shutdown"]:
            rc, out, err = remote(a, sock, cmd)
            check(rc == 0 and err == "", f"{cmd}: {rc} {err!r}")
        check(api.state() == "Shutdown", f"after shutdown: {api.state()}")
        rc, out, err = remote(a, sock, "delete")
        check(rc == 0 and err == "", f"delete: {rc} {err!r}")
        check(api.state() == "NotCreated", "delete did not delete")
        rc, out, err = remote(a, sock, "shutdown-vmm")
        check(rc == 0 and err == "", f"shutdown-vmm: {rc} {err!r}")
        check(sk.wait_exit() == 0, f"skiff exit status {sk.proc.returncode}")

    # Nobody listening: a clear message, status 1.
    rc, out, err = remote(a, sock, "ping")
    check(rc == 1 and "cannot connect" in err and sock in err, f"no server: {rc} {err!r}")


def test_remote_usage(a, tmp):
    check(a.remote, "no --remote given")
    sock = os.path.join(tmp, "none.sock")
    rc, out, err = remote(a, None, "--version")
    check(rc == 0 and out.startswith("skiff-remote ") and out.split()[1] == skiff_version(a),
          f"--version: {rc} {out!r}")
    rc, out, err = remote(a, None, "--help")
    check(rc == 0 and "power-button" in out and "shutdown-vmm" in out, f"--help: {rc} {out!r}")
    for args, what in [((), "no command"), (("frobnicate",), "unknown command"),
                       (("create",), "create without a file"),
                       (("boot", "extra"), "an argument too many"),
                       (("--no-such-option", "ping"), "an unknown option")]:
        rc, out, err = remote(a, sock, *args)
        check(rc == 2 and err.startswith("skiff-remote: "), f"{what}: {rc} {err!r}")
    rc, out, err = remote(a, None, "ping")
    check(rc == 2 and "--api-socket" in err, f"no --api-socket: {rc} {err!r}")
    rc, out, err = remote(a, sock, "create", os.path.join(tmp, "missing.json"))
    check(rc == 1 and "missing.json" in err, f"create from a missing file: {rc} {err!r}")
    rc, out, err = remote(a, sock, "create", "-", stdin=" " * (1 << 20) + "{}")
    check(rc == 1 and "larger" in err, f"create with over 1 MiB: {rc} {err!r}")

    # A server that accepts and never answers: the client gives up after --timeout.
    path = os.path.join(tmp, "silent.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        ls.bind(path)
        ls.listen(1)
        t0 = time.monotonic()
        rc, out, err = remote(a, path, "--timeout", "1", "ping", timeout=20)
        took = time.monotonic() - t0
        check(rc == 1 and err.startswith("skiff-remote: vmm.ping: "), f"silent server: {rc} {err!r}")
        check(0.9 <= took < 10, f"silent server: gave up after {took:.1f}s with --timeout 1")
    finally:
        ls.close()

    # Servers that answer badly: clear errors, no crash; an answer without
    # Content-Length ends at EOF.
    for n, (answer, want_rc, want) in enumerate([
            (b"SPAM/9 what\r\n\r\n", 1, "malformed"),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"a\":", 1, "middle"),
            (b"", 1, "without answering"),
            (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\": 1}", 0,
             '"a" : 1'),
            (b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 7\r\n\r\nnot js\n", 1,
             "vm.info: 500 Internal Server Error: not js")]):
        rc, out, err = fake_server(a, tmp, f"fake{n}.sock", answer)
        check(rc == want_rc and want in (out if rc == 0 else err),
              f"answer {answer!r}: {rc} {out!r} {err!r}")


def fake_server(a, tmp, name, answer):
    """Runs skiff-remote info against a one-shot server that sends answer and closes."""
    path = os.path.join(tmp, name)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        ls.bind(path)
        ls.listen(1)
        p = subprocess.Popen([a.remote, "--api-socket", path, "info"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            ls.settimeout(10)
            c, _ = ls.accept()
            with c:
                c.settimeout(10)
                req = b""
                while b"\r\n\r\n" not in req:
                    chunk = c.recv(4096)
                    check(chunk, f"skiff-remote sent half a request: {req!r}")
                    req += chunk
                check(req.startswith(b"GET /api/v1/vm.info HTTP/1.1\r\n"), f"request: {req!r}")
                c.sendall(answer)
            out, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        return p.returncode, out, err
    finally:
        ls.close()


if __name__ == "__main__":
    sys.exit(run_tests([test_lifecycle, test_cli_vm, test_early_power_button, test_cli_guest_poweroff, test_guest_reset,
                        test_api_fd, test_remote, test_remote_usage], parse_args()))
