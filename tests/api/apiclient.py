# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers of the REST API tests (Python 3 standard library only): an
HTTP/1.1 client over a unix socket, a skiff process that is always killed
and cleaned up, bounded waits on conditions, and a small test runner."""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import (WAIT_TIMEOUT, Failure, TempDir, check, read_text,  # noqa: E402,F401
                     run_tests as run_suite, wait_until)

# How long one request may take; skiff answers on its main loop at once.
REQUEST_TIMEOUT = 10
# The whole script, below meson's timeout so that cleanup still runs.
SCRIPT_TIMEOUT = 170


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers      # http.client.HTTPMessage: case-insensitive
        self.body = body
        self.json = None
        if body:
            try:
                self.json = json.loads(body)
            except ValueError:
                pass

    def __repr__(self):
        return f"<{self.status} {self.reason} {self.body[:300]!r}>"


def unix_connect(path, timeout=REQUEST_TIMEOUT):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
    except OSError:
        s.close()
        raise
    return s


def read_response(sock, method="GET"):
    """Reads one HTTP response from a connected socket."""
    r = http.client.HTTPResponse(sock, method=method)
    r.begin()
    body = r.read()
    return Response(r.status, r.reason, r.headers, body)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=REQUEST_TIMEOUT):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = unix_connect(self.unix_path, self.timeout)


def request(path, method, endpoint, body=None, headers=None, timeout=REQUEST_TIMEOUT):
    """One request on a new connection. body: dict/list (sent as JSON), bytes, or None."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    hdrs = {"Accept": "application/json"}
    if body is not None:
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    conn = UnixHTTPConnection(path, timeout)
    try:
        conn.request(method, "/api/v1/" + endpoint, body=body, headers=hdrs)
        r = conn.getresponse()
        return Response(r.status, r.reason, r.headers, r.read())
    finally:
        conn.close()


def raw_exchange(path, data, timeout=REQUEST_TIMEOUT):
    """Sends bytes as they are and reads one response."""
    s = unix_connect(path, timeout)
    try:
        s.sendall(data)
        return read_response(s)
    finally:
        s.close()


def wait_for_text(path, text, count=1, timeout=WAIT_TIMEOUT):
    """Waits until the file contains text at least count times; returns its contents."""
    def cond():
        s = read_text(path)
        return s if s.count(text) >= count else None
    try:
        return wait_until(cond, f"{text!r} x{count} in {path}", timeout)
    except Failure as e:
        raise Failure(f"{e}; the file holds: {read_text(path)[-500:]!r}")


class Skiff:
    """One skiff process; stop() kills it if it is still running."""

    def __init__(self, binary, tmp, args, pass_fds=(), name="skiff"):
        self.tmp = tmp
        self.log_path = os.path.join(tmp, name + ".log")
        self.cmd = [binary] + list(args)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, pass_fds=pass_fds)
        self.pid = self.proc.pid

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        if exc_type is None:
            self.check_log()

    def log(self):
        return read_text(self.log_path)

    def wait_listening(self, path, timeout=WAIT_TIMEOUT):
        """Until a connection to the API socket succeeds; fails early if skiff exits."""
        def cond():
            if self.proc.poll() is not None:
                raise Failure(f"skiff exited with {self.proc.returncode} before listening:\n"
                              + self.log())
            try:
                unix_connect(path, 1).close()
                return True
            except OSError:
                return False
        wait_until(cond, f"skiff to listen on {path}", timeout)

    def wait_exit(self, timeout=WAIT_TIMEOUT):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"skiff did not exit within {timeout}s:\n" + self.log())
        self.check_log()
        return rc

    def check_log(self):
        log = self.log()
        check("runtime error:" not in log and "Sanitizer" not in log,
              "a sanitizer reported an error:\n" + log)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._log.close()


class Api:
    """Requests to one socket, with checks that name the endpoint."""

    def __init__(self, path):
        self.path = path

    def call(self, method, endpoint, body=None, **kw):
        try:
            return request(self.path, method, endpoint, body, **kw)
        except (OSError, http.client.HTTPException) as e:
            raise Failure(f"{method} {endpoint}: no answer: {e!r}")

    def get(self, endpoint, **kw):
        return self.call("GET", endpoint, **kw)

    def put(self, endpoint, body=None, **kw):
        return self.call("PUT", endpoint, body, **kw)

    def expect(self, method, endpoint, status, body=None):
        r = self.call(method, endpoint, body)
        check(r.status == status,
              f"{method} {endpoint}: expected {status}, got {r.status} {r.reason} {r.body!r}")
        if status == 204:
            check(r.body == b"", f"{method} {endpoint}: 204 with a body {r.body!r}")
        elif status >= 400:
            check_error_body(r, f"{method} {endpoint}")
        return r

    def ok(self, endpoint, body=None):
        return self.expect("PUT", endpoint, 204, body)

    def info(self):
        r = self.expect("GET", "vm.info", 200)
        check(isinstance(r.json, dict), f"vm.info: body is not a JSON object: {r.body!r}")
        return r.json

    def state(self):
        r = self.get("vm.info")
        if r.status == 404:
            return "NotCreated"
        check(r.status == 200 and isinstance(r.json, dict),
              f"vm.info: unexpected answer {r!r}")
        return r.json.get("state")

    def wait_state(self, state, timeout=WAIT_TIMEOUT):
        seen = []

        def cond():
            s = self.state()
            if not seen or seen[-1] != s:
                seen.append(s)
            return s == state
        try:
            wait_until(cond, f"VM state {state}", timeout)
        except Failure as e:
            raise Failure(f"{e}; states seen: {seen}")


def check_error_body(r, what):
    check(r.headers.get("Content-Type", "").startswith("application/json"),
          f"{what}: error answer without a JSON content type: {r.headers.get('Content-Type')!r}")
    check(isinstance(r.json, dict), f"{what}: error answer body is not a JSON object: {r.body!r}")
    check(isinstance(r.json.get("error"), str) and r.json["error"].strip(),
          f"{what}: error answer without an \"error\" message: {r.body!r}")


def vm_config(kernel, serial_file, memory_mib=128, cpus=1):
    return {
        "payload": {"kernel": kernel},
        "cpus": {"boot_vcpus": cpus, "max_vcpus": cpus},
        "memory": {"size": memory_mib << 20},
        "serial": {"mode": "File", "file": serial_file},
        "console": {"mode": "Off"},
    }


def parse_args(extra=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--skiff", required=True)
    ap.add_argument("--guest-dir", required=True, help="build directory of tests/guest")
    ap.add_argument("--remote", default=None, help="the skiff-remote binary")
    ap.add_argument("only", nargs="*", help="run only these tests")
    a = ap.parse_args()
    a.guest = lambda name: os.path.join(a.guest_dir, name + ".elf")
    return a


def run_tests(tests, args):
    """tests: functions taking (args, tmpdir). Prints one line each; returns
    the exit status (0 when all passed)."""
    return run_suite(tests, args, SCRIPT_TIMEOUT, "skiff-api-")
