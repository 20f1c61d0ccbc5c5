#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""docs/api.yaml against the real skiff, both ways.

1. The document itself: every $ref resolves, every schema keyword is one this
   checker understands (so none is silently ignored), every error answer is an
   ErrorResponse.
2. With --vmconfig-data: the VmConfig schema accepts every input the C parser
   accepts (tests/unit/data/vmconfig/*.out) and refuses every input the parser
   refuses for a reason a schema can express.
3. The route table skiff prints (skiff --print-api-routes) and the documented
   paths are the same set of METHOD + endpoint.
4. An empty VMM (--api-socket path=..., no kernel) gets a request for every
   documented path and method, through the VM's life (vm.create with the given
   guest program as kernel): every answer's status is documented for that
   operation and its body matches the documented schema; a 404 on a
   documented path is "no VM" (state NotCreated), never "unknown endpoint";
   the wrong method gets 405 with an Allow header. vmm.shutdown ends skiff
   with status 0.
"""
import argparse
import http.client
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import ipaddress
import re
import time

import yaml

KNOWN_KEYWORDS = {"$ref", "type", "nullable", "enum", "properties", "required",
                  "additionalProperties", "items", "minimum", "maximum", "multipleOf",
                  "maxItems", "minLength", "maxLength", "pattern", "format", "default", "description"}


class Failure(Exception):
    pass


class Spec:
    def __init__(self, path):
        with open(path) as f:
            self.doc = yaml.safe_load(f)
        self.schemas = self.doc["components"]["schemas"]

    def resolve(self, obj):
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            if not ref.startswith("#/"):
                raise Failure(f"external $ref {ref}")
            node = self.doc
            for part in ref[2:].split("/"):
                if not isinstance(node, dict) or part not in node:
                    raise Failure(f"$ref {ref} does not resolve")
                node = node[part]
            obj = node
        return obj

    def operations(self):
        """{(METHOD, endpoint): operation} for every documented operation."""
        ops = {}
        prefix = ""
        for path, item in self.doc["paths"].items():
            if not path.startswith("/"):
                raise Failure(f"path {path!r} does not start with /")
            for method, op in item.items():
                ops[(method.upper(), prefix + path[1:])] = op
        return ops

    def check_schema_keywords(self, schema, where):
        schema = self.resolve(schema) if "$ref" in schema else schema
        unknown = set(schema) - KNOWN_KEYWORDS
        if unknown:
            raise Failure(f"{where}: schema keywords this checker does not know: {sorted(unknown)}")
        for name, sub in schema.get("properties", {}).items():
            self.check_schema_keywords(sub, f"{where}.{name}")
        if isinstance(schema.get("additionalProperties"), dict):
            self.check_schema_keywords(schema["additionalProperties"], f"{where}.*")
        if "items" in schema:
            self.check_schema_keywords(schema["items"], f"{where}[]")

    def check_document(self):
        for name, schema in self.schemas.items():
            self.check_schema_keywords(schema, name)
        for (method, name), op in self.operations().items():
            if not op.get("responses"):
                raise Failure(f"{method} {name}: no responses")
            for status, resp in op["responses"].items():
                resp = self.resolve(resp)
                if "description" not in resp:
                    raise Failure(f"{method} {name} {status}: no description")
                if int(status) >= 400:
                    schema = resp.get("content", {}).get("application/json", {}).get("schema")
                    if schema != {"$ref": "#/components/schemas/ErrorResponse"}:
                        raise Failure(f"{method} {name} {status}: not an ErrorResponse")
            body = op.get("requestBody")
            if body:
                self.check_schema_keywords(
                    self.resolve(body)["content"]["application/json"]["schema"],
                    f"{method} {name} body")

    def validate(self, value, schema, where="$"):
        """Raises Failure naming the first place value does not match schema."""
        schema = self.resolve(schema)
        if value is None:
            if schema.get("nullable"):
                return
            raise Failure(f"{where}: null where {schema.get('type', 'a value')} is expected")
        if "enum" in schema and not any(type(value) is type(e) and value == e
                                        for e in schema["enum"]):
            raise Failure(f"{where}: {value!r} is not one of {schema['enum']}")
        t = schema.get("type")
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "boolean": lambda v: isinstance(v, bool),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        }
        if t is not None and not checks[t](value):
            raise Failure(f"{where}: {value!r} is not of type {t}")
        if isinstance(value, int) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                raise Failure(f"{where}: {value} is below {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                raise Failure(f"{where}: {value} is above {schema['maximum']}")
            if "multipleOf" in schema and value % schema["multipleOf"]:
                raise Failure(f"{where}: {value} is not a multiple of {schema['multipleOf']}")
        if isinstance(value, str) and len(value) < schema.get("minLength", 0):
            raise Failure(f"{where}: shorter than {schema['minLength']}")
        if isinstance(value, str) and len(value) > schema.get("maxLength", len(value)):
            raise Failure(f"{where}: longer than {schema['maxLength']}")
        if isinstance(value, str) and schema.get("format") == "ipv4":
            try:
                ipaddress.IPv4Address(value)
            except ValueError:
                raise Failure(f"{where}: {value!r} is not an IPv4 address")
        if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
            raise Failure(f"{where}: {value!r} does not match {schema['pattern']}")
        if isinstance(value, list):
            if len(value) > schema.get("maxItems", len(value)):
                raise Failure(f"{where}: more than {schema['maxItems']} items")
            for i, item in enumerate(value):
                self.validate(item, schema.get("items", {}), f"{where}[{i}]")
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    raise Failure(f"{where}: required member {name!r} missing")
            extra = schema.get("additionalProperties", True)
            for name, member in value.items():
                if name in props:
                    self.validate(member, props[name], f"{where}.{name}")
                elif extra is False:
                    raise Failure(f"{where}: member {name!r} is not documented")
                elif isinstance(extra, dict):
                    self.validate(member, extra, f"{where}.{name}")


# Refusals a JSON schema cannot express (relations between members, JSON
# syntax): the schema may accept these inputs.
NOT_SCHEMA_EXPRESSIBLE = ("boot_vcpus (", "with memory.hugepages", "required with mode",
                          "only allowed with mode", "given twice", "invalid JSON",
                          "empty body", "only one of them can be Tty", "is already the id of",
                          "ip and mask go together", "must be even", "unicast MAC", "power of two")


def check_vmconfig_data(spec, data_dir):
    schema = spec.schemas["VmConfig"]
    count = 0
    for inp in sorted(pathlib.Path(data_dir).glob("*.json")):
        out = inp.with_suffix(".out")
        err = inp.with_suffix(".err")
        try:
            value = json.loads(inp.read_bytes())
        except ValueError:
            continue    # bad JSON cases: nothing for a schema to say
        if out.exists():
            try:
                spec.validate(value, schema)
                spec.validate(json.loads(out.read_text()), schema)
            except Failure as e:
                raise Failure(f"{inp.name}: skiff accepts it but docs/api.yaml does not: {e}")
        else:
            message = err.read_text()
            try:
                spec.validate(value, schema)
            except Failure:
                count += 1
                continue
            if not any(s in message for s in NOT_SCHEMA_EXPRESSIBLE):
                raise Failure(f"{inp.name}: skiff refuses it ({message.strip()}) "
                              "but docs/api.yaml accepts it")
        count += 1
    if count == 0:
        raise Failure(f"no VmConfig cases in {data_dir}")
    print(f"ok: VmConfig schema agrees with the parser on {count} cases")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Client:
    def __init__(self, spec, sock_path):
        self.spec = spec
        self.sock_path = sock_path
        self.ops = spec.operations()
        self.exercised = set()

    def raw(self, method, name, body=None):
        conn = UnixHTTPConnection(self.sock_path, timeout=30)
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = {"Content-Type": "application/json"} if data is not None else {}
            conn.request(method, "/api/v1/" + name, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, resp.getheader("Allow"), payload
        finally:
            conn.close()

    def call(self, method, name, body=None, expect=None):
        """A documented request: the status must be documented, the body must
        match its schema. expect: statuses this step of the test requires."""
        status, _, payload = self.raw(method, name, body)
        what = f"{method} {name}"
        op = self.ops[(method, name)]
        responses = {int(k): v for k, v in op["responses"].items()}
        if status not in responses:
            raise Failure(f"{what}: status {status} is not documented "
                          f"({sorted(responses)}): {payload[:300]!r}")
        if expect and status not in expect:
            raise Failure(f"{what}: status {status}, expected {expect}: {payload[:300]!r}")
        resp = self.spec.resolve(responses[status])
        schema = resp.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            if payload:
                raise Failure(f"{what}: {status} has a body, none documented: {payload[:300]!r}")
            value = None
        else:
            try:
                value = json.loads(payload)
            except ValueError:
                raise Failure(f"{what}: {status} body is not JSON: {payload[:300]!r}")
            self.spec.validate(value, schema, f"{what} {status}")
        if status == 404 and (value or {}).get("state") != "NotCreated":
            raise Failure(f"{what}: 404 that is not 'no VM' (an unknown endpoint?): {value}")
        self.exercised.add((method, name))
        print(f"ok: {what} -> {status}")
        return status, value


def routes_from_skiff(skiff):
    p = subprocess.run([skiff, "--print-api-routes"], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise Failure(f"skiff --print-api-routes failed ({p.returncode}): {p.stderr}")
    routes = set()
    for line in p.stdout.splitlines():
        method, name = line.split()
        routes.add((method, name))
    if not routes:
        raise Failure("skiff --print-api-routes printed no route")
    return routes


def wait_for_socket(proc, path, deadline):
    """Polls until skiff accepts connections (or dies): skiff creates the
    socket itself, so there is nothing to wait on but the socket."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Failure(f"skiff exited with {proc.returncode} before serving")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return
        except (FileNotFoundError, ConnectionRefusedError):
            time.sleep(0.02)
        finally:
            s.close()
    raise Failure("skiff's API socket did not come up")


def exercise(c, kernel):
    config = {"payload": {"kernel": kernel, "cmdline": "openapi check"},
              "cpus": {"boot_vcpus": 1},
              "memory": {"size": 128 << 20},
              "serial": {"mode": "Null"}}
    expected_config = {"payload": {"kernel": kernel, "cmdline": "openapi check"},
                       "cpus": {"boot_vcpus": 1, "max_vcpus": 1},
                       "memory": {"size": 128 << 20, "shared": False, "hugepages": False},
                       "serial": {"mode": "Null"},
                       "console": {"mode": "Off"}}

    c.call("GET", "vmm.ping", expect={200})
    # No VM yet: 404 everywhere but vm.delete.
    c.call("GET", "vm.info", expect={404})
    c.call("GET", "vm.counters", expect={404})
    for name in ("vm.boot", "vm.pause", "vm.resume", "vm.shutdown", "vm.reboot",
                 "vm.power-button"):
        c.call("PUT", name, expect={404})
    c.call("PUT", "vm.delete", expect={204})

    # Refused configurations name the member and leave no VM behind.
    _, err = c.call("PUT", "vm.create",
                    dict(config, disks=[{"path": "/a.img", "id": "d"}, {"path": "/b.img", "id": "d"}]),
                    expect={400})
    if "disks" not in err["error"]:
        raise Failure(f"vm.create: the error does not name 'disks': {err}")
    _, err = c.call("PUT", "vm.create", dict(config, cpus={"boot_vcpus": 0}), expect={400})
    if "cpus.boot_vcpus" not in err["error"]:
        raise Failure(f"vm.create: the error does not name 'cpus.boot_vcpus': {err}")
    c.call("GET", "vm.info", expect={404})

    # A kernel that does not exist: refused at create or at boot, never run.
    missing = dict(config, payload={"kernel": kernel + ".does-not-exist"})
    status, _ = c.call("PUT", "vm.create", missing, expect={204, 500})
    if status == 204:
        c.call("PUT", "vm.boot", expect={500})
        _, info = c.call("GET", "vm.info", expect={200})
        if info["state"] != "Created":
            raise Failure(f"a failed vm.boot changed the state: {info['state']}")
    c.call("PUT", "vm.delete", expect={204})

    # The VM's life. The guest prints and powers off at once, so after
    # vm.boot the VM is Running or already Shutdown: either answer is fine
    # as long as it is documented.
    c.call("PUT", "vm.create", config, expect={204})
    c.call("PUT", "vm.create", config, expect={405})
    _, info = c.call("GET", "vm.info", expect={200})
    if info["state"] != "Created" or info["config"] != expected_config:
        raise Failure(f"vm.info after vm.create: {info}")
    c.call("GET", "vm.counters", expect={200})
    for name in ("vm.pause", "vm.resume", "vm.shutdown", "vm.reboot", "vm.power-button"):
        c.call("PUT", name, expect={405})
    c.call("PUT", "vm.boot", expect={204})
    c.call("GET", "vm.info", expect={200})
    c.call("GET", "vm.counters", expect={200})
    c.call("PUT", "vm.pause")
    c.call("PUT", "vm.resume")
    c.call("PUT", "vm.power-button")
    c.call("PUT", "vm.reboot")
    c.call("PUT", "vm.shutdown")
    _, info = c.call("GET", "vm.info", expect={200})
    if info["state"] not in ("Shutdown", "Running", "Paused"):
        raise Failure(f"vm.info after vm.shutdown: {info['state']}")
    c.call("PUT", "vm.delete", expect={204})
    c.call("GET", "vm.info", expect={404})


def check_methods(c):
    """The wrong method on every endpoint: 405, Allow naming the right one."""
    by_name = {}
    for method, name in c.ops:
        by_name.setdefault(name, set()).add(method)
    for name, methods in sorted(by_name.items()):
        for wrong in {"GET", "PUT"} - methods:
            status, allow, payload = c.raw(wrong, name)
            if status != 405:
                raise Failure(f"{wrong} {name}: status {status}, expected 405")
            allowed = {m.strip() for m in (allow or "").split(",") if m.strip()}
            if not methods <= allowed:
                raise Failure(f"{wrong} {name}: Allow {allow!r} does not list {sorted(methods)}")
            c.spec.validate(json.loads(payload), c.spec.schemas["ErrorResponse"],
                            f"{wrong} {name} 405")
            print(f"ok: {wrong} {name} -> 405 (Allow: {allow})")
    status, _, payload = c.raw("GET", "vm.no-such-endpoint")
    if status != 404:
        raise Failure(f"an unknown endpoint answered {status}, expected 404")
    c.spec.validate(json.loads(payload), c.spec.schemas["ErrorResponse"], "unknown endpoint")


def run_server_checks(spec, skiff, kernel, timeout):
    with tempfile.TemporaryDirectory(prefix="skiff-openapi-") as tmp:
        sock = os.path.join(tmp, "api.sock")
        log_path = os.path.join(tmp, "skiff.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen([skiff, "--api-socket", f"path={sock}", "-v"],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            wait_for_socket(proc, sock, time.monotonic() + timeout)
            c = Client(spec, sock)
            exercise(c, kernel)
            check_methods(c)
            c.call("PUT", "vmm.shutdown", expect={204})
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise Failure("skiff still runs after vmm.shutdown")
            if rc != 0:
                raise Failure(f"skiff exited with {rc} after vmm.shutdown, expected 0")
            missed = set(c.ops) - c.exercised
            if missed:
                raise Failure(f"documented but never exercised: {sorted(missed)}")
        except Exception:
            print("--- skiff's log ---\n" + pathlib.Path(log_path).read_text(errors="replace"))
            raise
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skiff", required=True)
    ap.add_argument("--kernel", required=True, help="a guest program for vm.create")
    ap.add_argument("--spec", required=True, help="docs/api.yaml")
    ap.add_argument("--vmconfig-data", help="tests/unit/data/vmconfig")
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()
    try:
        spec = Spec(a.spec)
        spec.check_document()
        print("ok: the document's references and keywords")
        if a.vmconfig_data:
            check_vmconfig_data(spec, a.vmconfig_data)
        documented = set(spec.operations())
        implemented = routes_from_skiff(a.skiff)
        if documented != implemented:
            raise Failure("routes and docs differ: implemented but not documented "
                          f"{sorted(implemented - documented)}, documented but not implemented "
                          f"{sorted(documented - implemented)}")
        print(f"ok: the {len(documented)} documented operations are exactly skiff's routes")
        run_server_checks(spec, os.path.abspath(a.skiff), os.path.abspath(a.kernel), a.timeout)
    except Failure as e:
        print(f"FAIL: {e}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
