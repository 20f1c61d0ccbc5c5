#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The event monitor (--event-monitor path=FILE and fd=N): pretty-printed JSON
objects each followed by a blank line, with timestamps that never go back,
and the lifecycle events in the order the lifecycle happened."""
import json
import os
import sys
import threading

sys.dont_write_bytecode = True     # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apiclient import (Api, Failure, Skiff, check, parse_args, run_tests, vm_config,  # noqa: E402
                       wait_for_text)

BANNER = "waiting for the power button"
SOURCES = {"vmm", "vm", "guest"}


def parse_events(text):
    """The concatenated objects; each must be followed by exactly one blank line."""
    dec = json.JSONDecoder()
    events = []
    pos = 0
    check(text, "the event monitor is empty")
    while pos < len(text):
        try:
            ev, end = dec.raw_decode(text, pos)
        except ValueError as e:
            raise Failure(f"event {len(events)}: not JSON at {pos}: {e}: "
                                 f"{text[pos:pos + 200]!r}")
        check(text[end:end + 2] == "\n\n",
              f"event {len(events)} is not followed by a blank line: {text[end:end + 10]!r}")
        check(text[end + 2:end + 3] != "\n", f"event {len(events)}: more than one blank line")
        check("\n" in text[pos:end], f"event {len(events)} is not pretty-printed")
        events.append(ev)
        pos = end + 2
    return events


def check_events(events, expected):
    """Well-formed, monotonic, and expected (a list of "source/event", alternatives
    separated by |) appears in order as a subsequence; returns the "source/event" list."""
    names = []
    last = (0, 0)
    for i, ev in enumerate(events):
        check(isinstance(ev, dict), f"event {i} is not an object: {ev!r}")
        check(set(ev) == {"timestamp", "source", "event", "properties"},
              f"event {i} members: {sorted(ev)}")
        ts = ev["timestamp"]
        check(isinstance(ts, dict) and set(ts) == {"secs", "nanos"}, f"event {i}: timestamp {ts!r}")
        check(isinstance(ts["secs"], int) and isinstance(ts["nanos"], int) and ts["secs"] >= 0 and
              0 <= ts["nanos"] < 1_000_000_000, f"event {i}: timestamp {ts!r}")
        check(ts["secs"] < 600, f"event {i}: timestamp {ts!r} is not time since skiff started")
        now = (ts["secs"], ts["nanos"])
        check(now >= last, f"event {i}: timestamp {ts!r} before the previous one {last}")
        last = now
        check(ev["source"] in SOURCES, f"event {i}: source {ev['source']!r}")
        check(isinstance(ev["event"], str) and ev["event"], f"event {i}: event {ev['event']!r}")
        check(ev["properties"] is None or isinstance(ev["properties"], dict),
              f"event {i}: properties {ev['properties']!r}")
        names.append(f"{ev['source']}/{ev['event']}")
    pos = 0
    for want in expected:
        alts = want.split("|")
        while pos < len(names) and names[pos] not in alts:
            pos += 1
        check(pos < len(names), f"{want} missing or out of order in {names}")
        pos += 1
    check(names[0] == "vmm/starting", f"the first event is {names[0]}")
    check(names[-1] == "vmm/shutdown", f"the last event is {names[-1]}")
    return names


def run_lifecycle(a, tmp, monitor_arg, pass_fds=()):
    sock = os.path.join(tmp, "api.sock")
    serial = os.path.join(tmp, "serial.txt")
    with Skiff(a.skiff, tmp, ["--api-socket", f"path={sock}", "--event-monitor", monitor_arg],
               pass_fds=pass_fds) as sk:
        sk.wait_listening(sock)
        api = Api(sock)
        api.ok("vm.create", vm_config(a.guest("powerbtn"), serial))
        api.ok("vm.boot")
        wait_for_text(serial, BANNER)
        api.ok("vm.pause")
        api.ok("vm.resume")
        api.ok("vm.power-button")
        api.wait_state("Shutdown")
        wait_for_text(serial, "power button pressed")
        api.ok("vm.boot")
        wait_for_text(serial, BANNER, 2)
        api.ok("vm.reboot")
        wait_for_text(serial, BANNER, 3)
        api.ok("vm.shutdown")
        api.ok("vm.delete")
        api.ok("vmm.shutdown")
        rc = sk.wait_exit()
        check(rc == 0, f"skiff exited with {rc}:\n{sk.log()}")


LIFECYCLE = ["vmm/starting", "vm/booting", "vm/booted", "vm/pausing", "vm/paused",
             "vm/resuming", "vm/resumed", "vm/power-button", "guest/shutdown|vm/shutdown",
             "vm/booting", "vm/booted", "vm/rebooting", "vm/rebooted", "vm/shutdown",
             "vm/deleted", "vmm/shutdown"]


def test_events_file(a, tmp):
    path = os.path.join(tmp, "events.json")
    run_lifecycle(a, tmp, f"path={path}")
    with open(path) as f:
        events = parse_events(f.read())
    names = check_events(events, LIFECYCLE)
    # The guest's own power-off is the guest's event, before the VM reports Shutdown.
    check("guest/shutdown" in names, f"no guest/shutdown event for the guest's power-off: {names}")
    pb = names.index("vm/power-button")
    check("guest/shutdown" in names[pb:], f"no guest/shutdown after the power button: {names}")


def test_events_fd(a, tmp):
    rfd, wfd = os.pipe()
    chunks = []

    def reader():
        while True:
            b = os.read(rfd, 65536)
            if not b:
                return
            chunks.append(b)
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        try:
            run_lifecycle(a, tmp, f"fd={wfd}", pass_fds=(wfd,))
        finally:
            os.close(wfd)
        t.join(30)
        check(not t.is_alive(), "the event pipe was not closed when skiff exited")
    finally:
        if not t.is_alive():
            os.close(rfd)
    check_events(parse_events(b"".join(chunks).decode()), LIFECYCLE)


def test_events_monitor_unwritable(a, tmp):
    """A monitor path that cannot be opened is a clear error at start."""
    path = os.path.join(tmp, "no-such-dir", "events.json")
    sock = os.path.join(tmp, "api.sock")
    with Skiff(a.skiff, tmp, ["--api-socket", f"path={sock}", "--event-monitor",
                              f"path={path}"]) as sk:
        rc = sk.wait_exit()
        check(rc == 1 and path in sk.log(), f"unopenable monitor: {rc} {sk.log()!r}")


if __name__ == "__main__":
    sys.exit(run_tests([test_events_file, test_events_fd, test_events_monitor_unwritable],
                       parse_args()))
