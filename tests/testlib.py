# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the Python test suites (tests/api, tests/driver) share: the failure
type, bounded waits, and a runner that gives each test a private directory,
prints one line per test and bounds the whole script."""
import shutil
import signal
import sys
import tempfile
import time
import traceback

# How long a daemon or skiff may take to listen, a guest to print, a state to change.
WAIT_TIMEOUT = 30


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def wait_until(cond, what, timeout=WAIT_TIMEOUT, interval=0.02):
    """Polls cond() until it returns a true value: a bounded wait on an
    observable condition, not a sleep standing in for one."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise Failure(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return ""


class TempDir:
    def __init__(self, prefix):
        # Short: a unix socket path must fit in 108 bytes.
        self.path = tempfile.mkdtemp(prefix=prefix)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def run_tests(tests, args, script_timeout, prefix, cleanup=None):
    """tests: functions taking (args, tmpdir), run unless args.only names
    others. Prints one line each; returns the exit status (0 when all
    passed). cleanup runs after each test and at the end, whatever happened;
    the whole run is bounded by script_timeout seconds (below meson's
    timeout, so that cleanup still runs)."""
    def on_alarm(signum, frame):
        raise Failure(f"the whole test took longer than {script_timeout}s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(script_timeout)
    failed = []
    try:
        for t in tests:
            name = t.__name__
            if args.only and name not in args.only:
                continue
            start = time.monotonic()
            try:
                with TempDir(prefix) as tmp:
                    t(args, tmp)
                print(f"ok {name} ({time.monotonic() - start:.1f}s)", flush=True)
            except Failure as e:
                failed.append(name)
                print(f"FAIL {name}: {e}", flush=True)
            except Exception:
                failed.append(name)
                print(f"FAIL {name}: unexpected exception", flush=True)
                traceback.print_exc(file=sys.stdout)
            finally:
                if cleanup:
                    cleanup()
    finally:
        signal.alarm(0)
        if cleanup:
            cleanup()
    if failed:
        print(f"{len(failed)} failed: {' '.join(failed)}")
        return 1
    return 0

