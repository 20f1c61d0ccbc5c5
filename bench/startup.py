#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Startup time and memory footprint of skiff against QEMU, in one run.

Startup: both VMMs boot bench/first-insn.S, whose first instruction writes
one byte to COM1 before the guest powers off. The VMM's serial output is a
pipe read here; exec -> arrival of that byte bounds exec -> first guest
instruction from above by one port-I/O exit and one pipe write, and holds
no teardown. exec -> process exit is kept beside it (it shows teardown).
For the comparison the issue asks for, QEMU (-M microvm, KVM, the same
image) is also paused with -S and timed from exec until its QMP monitor has
answered qmp_capabilities; its listening socket is created here and
inherited, so nothing polls for it. Its counterpart is skiff with
--api-socket fd=N on a socket inherited the same way: exec -> vmm.ping
answered. An API-driven start (vmm.ping, vm.create, vm.boot on one
connection) is timed to the guest's first byte as well.

Memory: the resident set of the VMM beyond the guest-RAM mapping, read
from /proc/PID/smaps, with 1 vCPU and 128 MiB of guest RAM: skiff once its
vCPU has executed the idle guest's hlt (the vCPU thread sleeps in
kvm_vcpu_block), started from the command line and through the API,
and skiff with an API socket and no VM; QEMU paused with -S once QMP
answers, and, for comparison, QEMU running the same idle guest.

These machines are noisy: only figures from the same run are compared.
"""

import argparse
import datetime
import json
import os
import platform
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree for the modules below
from report import render                   # noqa: E402
from unixhttp import HttpError, UnixHttp    # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import source_commit  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST_RAM_MIB = 128
QEMU_CPU = 'host,-arch-capabilities'   # plain 'host' fails on some KVMs (MSR 0x10a)
SPAWN_TIMEOUT = 20.0                   # seconds; every VMM run is bounded


class BenchError(Exception):
    pass


def build_guests(workdir):
    """Assembles the two tiny PVH guests with the host toolchain."""
    cc = shutil.which('gcc') or shutil.which('cc')
    ld = shutil.which('ld')
    if not cc or not ld:
        raise BenchError('gcc and ld are needed to build the benchmark guests')
    out = {}
    for name in ('first-insn', 'idle'):
        obj = os.path.join(workdir, name + '.o')
        elf = os.path.join(workdir, name + '.elf')
        subprocess.run([cc, '-c', '-o', obj, os.path.join(HERE, name + '.S')], check=True)
        subprocess.run([ld, '-static', '-nostdlib', '--build-id=none', '-z', 'noexecstack',
                        '-z', 'max-page-size=4096', '-T', os.path.join(HERE, 'guest.ld'),
                        '-o', elf, obj], check=True)
        out[name] = elf
    return out


class Spawned:
    """A child started with posix_spawn (the cheapest exec path Python has),
    killed by a watchdog if it outlives SPAWN_TIMEOUT. With stdout_pipe, the
    child's stdout is a pipe whose first byte first_byte() times."""

    def __init__(self, argv, stderr_path, inherit_fd=None, stdout_pipe=False):
        self.out_r = None
        out_w = None
        if stdout_pipe:
            self.out_r, out_w = os.pipe()     # both close-on-exec; dup2 makes fd 1 inheritable
            stdout_action = (os.POSIX_SPAWN_DUP2, out_w, 1)
        else:
            stdout_action = (os.POSIX_SPAWN_OPEN, 1, '/dev/null', os.O_WRONLY, 0)
        actions = [(os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
                   stdout_action,
                   (os.POSIX_SPAWN_OPEN, 2, stderr_path,
                    os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
        if inherit_fd is not None:
            os.set_inheritable(inherit_fd, True)
        self.argv = argv
        self.stderr_path = stderr_path
        self.timed_out = False
        self.output = b''
        self.t_start = time.perf_counter_ns()
        self.pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
        if out_w is not None:
            os.close(out_w)     # so the read end sees EOF once the child is gone
        if inherit_fd is not None:
            os.set_inheritable(inherit_fd, False)
        self.status = None
        self._watchdog = threading.Timer(SPAWN_TIMEOUT, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def first_byte(self):
        """Blocks until the child's first stdout byte; returns ms since exec,
        or None if the child closed its stdout first (the watchdog kills a
        child that hangs, which closes it)."""
        data = os.read(self.out_r, 1)
        t = time.perf_counter_ns()
        self.output += data
        return (t - self.t_start) / 1e6 if data else None

    def drain(self):
        """Reads the rest of stdout to EOF (after wait(), so it ends)."""
        while True:
            data = os.read(self.out_r, 4096)
            if not data:
                break
            self.output += data
        os.close(self.out_r)
        self.out_r = None

    def _expire(self):
        self.timed_out = True
        self.kill()

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait(self):
        if self.status is None:
            _, st = os.waitpid(self.pid, 0)
            self.t_end = time.perf_counter_ns()
            self.status = os.waitstatus_to_exitcode(st)
            self._watchdog.cancel()
        return self.status

    def stderr_tail(self, limit=2000):
        try:
            with open(self.stderr_path, errors='replace') as f:
                return f.read()[-limit:]
        except OSError:
            return ''

    def fail(self, what):
        why = 'timed out' if self.timed_out else f'exit status {self.status}'
        raise BenchError(f'{what}: {" ".join(self.argv)}: {why}\n{self.stderr_tail()}')


def skiff_argv(skiff, kernel, serial='null'):
    return [skiff, '--kernel', kernel, '--cpus', 'boot=1',
            '--memory', f'size={GUEST_RAM_MIB}M', '--serial', serial]


def qemu_argv(qemu, kernel, qmp_fd=None, paused=True):
    """The same machine for every QEMU run: COM1 on stdout (microvm's legacy
    ISA serial, on by default, takes -serial's first backend) and the
    isa-debug-exit port; -S and a QMP monitor only when paused."""
    argv = [qemu, '-M', 'microvm', '-enable-kvm', '-cpu', QEMU_CPU,
            '-m', f'{GUEST_RAM_MIB}M', '-smp', '1', '-nodefaults', '-nographic',
            '-serial', 'stdio', '-device', 'isa-debug-exit,iobase=0xf4,iosize=1',
            '-kernel', kernel]
    if qmp_fd is not None:
        argv += ['-chardev', f'socket,id=qmp0,fd={qmp_fd},server=on,wait=off',
                 '-mon', 'chardev=qmp0,mode=control']
    if paused:
        argv.append('-S')
    return argv


class Qmp:
    """A QMP client on a listening socket that the QEMU child inherits:
    connecting succeeds at once and the greeting arrives when QEMU is up."""

    def __init__(self, workdir):
        self.path = os.path.join(workdir, 'qmp.sock')
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.conn = None
        self.file = None

    def connect(self):
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.conn.settimeout(SPAWN_TIMEOUT)
        self.conn.connect(self.path)
        self.file = self.conn.makefile('rwb')

    def _read_reply(self, key):
        while True:
            line = self.file.readline()
            if not line:
                raise BenchError('QEMU closed its QMP socket')
            msg = json.loads(line)
            if key in msg:
                return msg
            if 'error' in msg:
                raise BenchError(f'QMP error: {msg["error"]}')

    def handshake(self):
        self._read_reply('QMP')
        self.command('qmp_capabilities')

    def command(self, name):
        self.file.write(json.dumps({'execute': name}).encode() + b'\n')
        self.file.flush()
        return self._read_reply('return')

    def close(self):
        for obj in (self.file, self.conn, self.listener):
            if obj is not None:
                obj.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


GUEST_BYTE = b'!'     # what first-insn.S writes to COM1, and nothing else


def time_first_byte(child, what, exit_status):
    """(exec -> first stdout byte, exec -> exit) in ms for a guest run of
    first-insn.elf; checks the byte, the whole output and the exit status."""
    first = child.first_byte()
    status = child.wait()
    child.drain()
    if first is None or child.output != GUEST_BYTE:
        child.fail(f'{what}: expected the guest to write {GUEST_BYTE!r} on COM1, '
                   f'got {child.output!r}')
    if status != exit_status:
        child.fail(f'{what}: unexpected exit')
    return first, (child.t_end - child.t_start) / 1e6


def time_skiff_startup(skiff, kernel, workdir):
    """skiff with COM1 on its stdout: exec -> first byte, exec -> exit."""
    child = Spawned(skiff_argv(skiff, kernel, serial='tty'),
                    os.path.join(workdir, 'skiff.err'), stdout_pipe=True)
    return time_first_byte(child, 'skiff', 0)


def time_qemu_guest_run(qemu, kernel, workdir):
    """QEMU running first-insn.elf unpaused: exec -> first byte on COM1, and
    exec -> exit through isa-debug-exit (status (0x10 << 1) | 1)."""
    child = Spawned(qemu_argv(qemu, kernel, paused=False),
                    os.path.join(workdir, 'qemu-run.err'), stdout_pipe=True)
    return time_first_byte(child, 'QEMU', (0x10 << 1) | 1)


def time_floor(workdir):
    """/bin/echo writing one byte: what the measuring method itself costs."""
    child = Spawned(['/bin/echo', '-n', GUEST_BYTE.decode()],
                    os.path.join(workdir, 'echo.err'), stdout_pipe=True)
    return time_first_byte(child, '/bin/echo', 0)


def build_lib_floor(skiff, workdir):
    """A program that only writes the byte, linked against the shared
    libraries skiff names (its DT_NEEDED entries; theirs follow): the
    dynamic loader's share of skiff's start. Returns (path, number of
    libraries), or (None, 0) for a skiff without shared libraries."""
    try:
        dump = subprocess.run(['objdump', '-p', skiff], capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise BenchError(f'objdump -p on skiff failed: {e}') from None
    needed = [line.split()[1] for line in dump.splitlines()
              if line.split()[:1] == ['NEEDED']]
    if not needed:
        return None, 0
    src = os.path.join(workdir, 'lib-floor.c')
    exe = os.path.join(workdir, 'lib-floor')
    with open(src, 'w') as f:
        f.write('#include <unistd.h>\n'
                f'int main(void) {{ return write(1, "{GUEST_BYTE.decode()}", 1) != 1; }}\n')
    r = subprocess.run([shutil.which('gcc') or 'cc', '-O2', '-o', exe, src,
                        '-Wl,--no-as-needed', *('-l:' + n for n in needed)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise BenchError(f'cannot link the library floor program: {r.stderr[-2000:]}')
    return exe, len(needed)


def time_lib_floor(exe, workdir):
    child = Spawned([exe], os.path.join(workdir, 'lib-floor.err'), stdout_pipe=True)
    return time_first_byte(child, 'library floor', 0)


def start_qemu(qemu, kernel, workdir, paused=True):
    """Returns (child, qmp, milliseconds from exec until QMP answered)."""
    qmp = Qmp(workdir)
    child = Spawned(qemu_argv(qemu, kernel, qmp.listener.fileno(), paused),
                    os.path.join(workdir, 'qemu.err'), inherit_fd=qmp.listener.fileno())
    try:
        qmp.connect()
        qmp.handshake()
    except (OSError, BenchError, ValueError) as e:
        child.kill()
        child.wait()
        qmp.close()
        child.fail(f'QEMU did not answer QMP ({e})')
    elapsed = (time.perf_counter_ns() - child.t_start) / 1e6
    return child, qmp, elapsed


def stop_qemu(child, qmp):
    try:
        qmp.command('quit')
    except (OSError, BenchError, ValueError):
        child.kill()
    child.wait()
    qmp.close()


def time_qemu_startup(qemu, kernel, workdir):
    child, qmp, elapsed = start_qemu(qemu, kernel, workdir)
    stop_qemu(child, qmp)
    return elapsed


class SkiffApi:
    """skiff with --api-socket fd=N: the listening socket is created here and
    inherited (not close-on-exec), and the client connects right after the
    spawn, so its request waits in the backlog until skiff accepts it and
    nothing polls."""

    def __init__(self, skiff, workdir, stdout_pipe=False):
        self.path = os.path.join(workdir, 'api.sock')
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(8)
        self.http = None
        fd = self.listener.fileno()
        self.child = Spawned([skiff, '--api-socket', f'fd={fd}'],
                             os.path.join(workdir, 'skiff-api.err'), inherit_fd=fd,
                             stdout_pipe=stdout_pipe)
        # skiff has the listening socket now; ours is only for the path.
        self.listener.close()
        try:
            self.http = UnixHttp(self.path, SPAWN_TIMEOUT)
        except OSError as e:
            self.abort(f'cannot connect to the API socket ({e})')

    def abort(self, what):
        self.child.kill()
        self.child.wait()
        self.close()
        self.child.fail(f'skiff API: {what}')

    def request(self, method, endpoint, body=None, expect=204):
        """One request; any other status than expect, or no answer, fails the run."""
        try:
            r = self.http.request(method, endpoint, body)
        except (OSError, HttpError) as e:
            self.abort(f'{method} {endpoint}: {e}')
        if r.status != expect:
            self.abort(f'{method} {endpoint}: status {r.status}: {r.body[:300]!r}')
        return r

    def ping(self):
        """GET vmm.ping; checks the VmmPingResponse; returns ms since exec."""
        r = self.request('GET', 'vmm.ping', expect=200)
        try:
            ping = r.json()
        except HttpError as e:
            self.abort(f'vmm.ping: {e}')
        if (not isinstance(ping, dict) or ping.get('pid') != self.child.pid
                or not isinstance(ping.get('version'), str)
                or not isinstance(ping.get('build_version'), str)
                or not isinstance(ping.get('features'), list)):
            self.abort(f'vmm.ping: unexpected answer {r.body[:300]!r}')
        return (r.t_complete - self.child.t_start) / 1e6

    def create(self, kernel, serial_mode):
        return self.request('PUT', 'vm.create', {
            'payload': {'kernel': kernel},
            'cpus': {'boot_vcpus': 1},
            'memory': {'size': GUEST_RAM_MIB << 20},
            'serial': {'mode': serial_mode}})

    def shutdown(self):
        """vmm.shutdown answered with 204, then the process exits 0."""
        self.request('PUT', 'vmm.shutdown')
        status = self.child.wait()
        self.close()
        if status != 0:
            self.child.fail('skiff API: exit after vmm.shutdown')

    def close(self):
        if self.http is not None:
            self.http.close()
            self.http = None
        if os.path.exists(self.path):
            os.unlink(self.path)


def time_skiff_api_ping(skiff, workdir):
    """exec -> vmm.ping answered in full; no VM."""
    api = SkiffApi(skiff, workdir)
    elapsed = api.ping()
    api.shutdown()
    return elapsed


def time_skiff_api_boot(skiff, kernel, workdir):
    """An API-driven start, as a management client does it, one request after
    the other on one connection: vmm.ping, vm.create (COM1 to skiff's stdout,
    a pipe read here), vm.boot, then the guest's first byte. Returns ms since
    exec to (ping answered, boot answered, first guest output byte)."""
    api = SkiffApi(skiff, workdir, stdout_pipe=True)
    child = api.child
    t_ping = api.ping()
    api.create(kernel, 'Tty')
    try:
        api.http.send('PUT', 'vm.boot')
    except OSError as e:
        api.abort(f'PUT vm.boot: {e}')
    # The guest's byte may come before or after the 204 of vm.boot: wait for
    # both without letting the reading of one delay the timestamp of the other.
    first = boot = None
    while first is None or boot is None:
        want = ([child.out_r] if first is None else []) + ([api.http] if boot is None else [])
        ready, _, _ = select.select(want, [], [], SPAWN_TIMEOUT)
        if not ready:
            api.abort('neither the vm.boot answer nor the guest\'s byte came')
        if child.out_r in ready:
            first = child.first_byte()
            if first is None:
                api.abort('the guest wrote nothing on COM1')
        if api.http in ready:
            try:
                r = api.http.read_response()
            except (OSError, HttpError) as e:
                api.abort(f'PUT vm.boot: {e}')
            if r.status != 204:
                api.abort(f'PUT vm.boot: status {r.status}: {r.body[:300]!r}')
            boot = (r.t_complete - child.t_start) / 1e6
    # The guest powers itself off; with an API socket skiff stays up (VM in
    # state Shutdown) until it is told to exit.
    api.shutdown()
    child.drain()
    if child.output != GUEST_BYTE:
        child.fail(f'skiff API: expected the guest to write {GUEST_BYTE!r} on COM1, '
                   f'got {child.output!r}')
    return t_ping, boot, first


def read_smaps(pid, guest_bytes):
    """Splits the resident set into the guest-RAM mapping and the rest.
    Guest RAM is the one mapping sized like the guest (a few MiB of slack
    for alignment), anonymous or a memfd. guest_bytes None: no VM, the whole
    resident set is counted."""
    total = {'Rss': 0, 'Pss': 0, 'Private': 0}
    guest = {'Rss': 0, 'Pss': 0, 'Private': 0}
    guest_maps = 0
    libs = set()
    cur = None
    with open(f'/proc/{pid}/smaps') as f:
        for line in f:
            head = line.split(None, 1)[0]
            if '-' in head and not head.endswith(':'):
                start, end = (int(x, 16) for x in head.split('-'))
                fields = line.split()
                path = fields[5] if len(fields) > 5 else ''
                size = end - start
                is_guest = (guest_bytes is not None and fields[1].startswith('rw')
                            and guest_bytes <= size <= guest_bytes + (4 << 20)
                            and (path == '' or path.startswith('/memfd:')
                                 or path.startswith('[anon')))
                if '.so' in os.path.basename(path):
                    libs.add(path)
                cur = guest if is_guest else None
                guest_maps += 1 if is_guest else 0
                continue
            key = head.rstrip(':')
            if key in ('Rss', 'Pss', 'Private_Clean', 'Private_Dirty'):
                kib = int(line.split()[1])
                key = 'Private' if key.startswith('Private') else key
                total[key] += kib
                if cur is not None:
                    cur[key] += kib
    if guest_bytes is not None and guest_maps != 1:
        raise BenchError(f'expected one guest-RAM mapping of {guest_bytes >> 20} MiB in '
                         f'process {pid}, found {guest_maps}')
    return ({k: total[k] - guest[k] for k in total}
            | {'guest_rss': guest['Rss'], 'libs': len(libs)})


def vcpu_halted(pid):
    """True once a thread of pid sleeps in KVM's halt path: the guest ran."""
    try:
        tasks = os.listdir(f'/proc/{pid}/task')
    except FileNotFoundError:
        return False
    for tid in tasks:
        try:
            with open(f'/proc/{pid}/task/{tid}/wchan') as f:
                if f.read().strip() in ('kvm_vcpu_block', 'kvm_vcpu_halt'):
                    return True
        except OSError:
            pass
    return False


def wait_vcpu_halted(child):
    deadline = time.monotonic() + SPAWN_TIMEOUT
    while not vcpu_halted(child.pid):
        pid, st = os.waitpid(child.pid, os.WNOHANG)
        if pid != 0:
            child.status = os.waitstatus_to_exitcode(st)
            child.fail('the VMM exited before its vCPU halted in the idle guest')
        if time.monotonic() > deadline:
            child.kill()
            child.wait()
            child.fail('the vCPU never halted in the idle guest')
        time.sleep(0.01)   # polling a condition, with a deadline; not a synchronisation


def memory_skiff(skiff, kernel, workdir):
    child = Spawned(skiff_argv(skiff, kernel), os.path.join(workdir, 'skiff-mem.err'))
    try:
        wait_vcpu_halted(child)
        return read_smaps(child.pid, GUEST_RAM_MIB << 20)
    finally:
        child.kill()
        child.wait()


def memory_skiff_api(skiff, kernel, workdir):
    """skiff --api-socket, the idle guest created and booted through the API."""
    api = SkiffApi(skiff, workdir)
    try:
        api.ping()
        api.create(kernel, 'Null')
        api.request('PUT', 'vm.boot')
        wait_vcpu_halted(api.child)
        mem = read_smaps(api.child.pid, GUEST_RAM_MIB << 20)
    except BaseException:
        api.child.kill()
        api.child.wait()
        api.close()
        raise
    api.shutdown()
    return mem


def memory_skiff_api_empty(skiff, workdir):
    """skiff --api-socket with no VM, once vmm.ping has been answered."""
    api = SkiffApi(skiff, workdir)
    try:
        api.ping()
        mem = read_smaps(api.child.pid, None)
    except BaseException:
        api.child.kill()
        api.child.wait()
        api.close()
        raise
    api.shutdown()
    return mem


def memory_qemu(qemu, kernel, workdir, paused):
    child, qmp, _ = start_qemu(qemu, kernel, workdir, paused)
    try:
        if not paused:
            wait_vcpu_halted(child)
        return read_smaps(child.pid, GUEST_RAM_MIB << 20)
    finally:
        stop_qemu(child, qmp)


def summary(samples):
    s = sorted(samples)
    p90 = s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]
    return {'median': statistics.median(s), 'p90': p90, 'min': s[0], 'n': len(s)}


def median_dict(dicts):
    """Medians of each figure, and the range of RSS (it moves with the shared
    library pages a process happens to map in: fault-around, page cache)."""
    m = {k: statistics.median(d[k] for d in dicts) for k in dicts[0]}
    m['Rss_min'] = min(d['Rss'] for d in dicts)
    m['Rss_max'] = max(d['Rss'] for d in dicts)
    return m


def machine_info(qemu):
    model = 'unknown'
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    qv = subprocess.run([qemu, '--version'], capture_output=True, text=True).stdout
    return {'commit': source_commit(), 'cpu': model, 'cores': os.cpu_count(),
            'kernel': '.'.join(platform.release().split('.')[:2]),   # major.minor: enough
            'qemu': qv.splitlines()[0] if qv else 'unknown',
            'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--skiff', help='the skiff binary (BUILDDIR/backend/skiff)')
    ap.add_argument('--qemu', default=shutil.which('qemu-system-x86_64'))
    ap.add_argument('--runs', type=int, default=30)
    ap.add_argument('--mem-runs', type=int, default=5)
    ap.add_argument('--output', default=os.path.join(HERE, 'RESULTS.md'),
                    help='markdown results file ("-" for stdout only)')
    ap.add_argument('--qemu-only', action='store_true',
                    help='measure QEMU and the floor only (to test the bench itself)')
    args = ap.parse_args()

    if not args.qemu:
        ap.error('qemu-system-x86_64 not found; pass --qemu')
    if not args.qemu_only:
        if not args.skiff:
            ap.error('--skiff is required unless --qemu-only')
        args.skiff = os.path.abspath(args.skiff)
        if not os.access(args.skiff, os.X_OK):
            ap.error(f'{args.skiff} is not an executable')
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        sys.exit('error: /dev/kvm is not usable')

    res = {'mem_runs': args.mem_runs}
    try:
        with tempfile.TemporaryDirectory(prefix='skiff-bench-') as workdir:
            guests = build_guests(workdir)
            info = machine_info(args.qemu)
            # Warm the page cache and the dynamic loader's paths once each.
            time_floor(workdir)
            lib_floor = None
            if not args.qemu_only:
                lib_floor, res['lib_floor_needed'] = build_lib_floor(args.skiff, workdir)
                if lib_floor:
                    time_lib_floor(lib_floor, workdir)
            time_qemu_startup(args.qemu, guests['first-insn'], workdir)
            if not args.qemu_only:
                time_skiff_startup(args.skiff, guests['first-insn'], workdir)
                time_skiff_api_ping(args.skiff, workdir)
                time_skiff_api_boot(args.skiff, guests['first-insn'], workdir)
            time_qemu_guest_run(args.qemu, guests['first-insn'], workdir)
            floor, lfloor, sk, sp, sb, qe, qr = [], [], [], [], [], [], []
            for _ in range(args.runs):   # interleaved, so drift hits all alike
                floor.append(time_floor(workdir))
                if lib_floor:
                    lfloor.append(time_lib_floor(lib_floor, workdir))
                if not args.qemu_only:
                    sk.append(time_skiff_startup(args.skiff, guests['first-insn'], workdir))
                    sp.append(time_skiff_api_ping(args.skiff, workdir))
                    sb.append(time_skiff_api_boot(args.skiff, guests['first-insn'], workdir))
                qe.append(time_qemu_startup(args.qemu, guests['first-insn'], workdir))
                qr.append(time_qemu_guest_run(args.qemu, guests['first-insn'], workdir))
            res['floor_first'] = summary([f for f, _ in floor])
            res['floor_exit'] = summary([x for _, x in floor])
            if lfloor:
                res['lib_floor_first'] = summary([f for f, _ in lfloor])
            res['qemu_start'] = summary(qe)
            res['qemu_first'] = summary([f for f, _ in qr])
            res['qemu_exit'] = summary([x for _, x in qr])
            if sk:
                res['skiff_first'] = summary([f for f, _ in sk])
                res['skiff_exit'] = summary([x for _, x in sk])
                res['api_ping'] = summary(sp)
                res['api_boot_answered'] = summary([b for _, b, _ in sb])
                res['api_first'] = summary([f for _, _, f in sb])
            mem_s, mem_sa, mem_se, mem_q, mem_qr = [], [], [], [], []
            for _ in range(args.mem_runs):
                if not args.qemu_only:
                    mem_s.append(memory_skiff(args.skiff, guests['idle'], workdir))
                    mem_sa.append(memory_skiff_api(args.skiff, guests['idle'], workdir))
                    mem_se.append(memory_skiff_api_empty(args.skiff, workdir))
                mem_q.append(memory_qemu(args.qemu, guests['idle'], workdir, paused=True))
                mem_qr.append(memory_qemu(args.qemu, guests['idle'], workdir, paused=False))
            res['qemu_mem'] = median_dict(mem_q)
            res['qemu_mem_run'] = median_dict(mem_qr)
            if mem_s:
                res['skiff_mem'] = median_dict(mem_s)
                res['skiff_api_mem'] = median_dict(mem_sa)
                res['skiff_api_empty_mem'] = median_dict(mem_se)
    except BenchError as e:
        sys.exit(f'error: {e}')

    text = render(info, res, args.runs, GUEST_RAM_MIB, QEMU_CPU)
    print(text)
    if args.output != '-':
        # Keep the sections bench/driver.py and blk-bench.py write between their markers.
        try:
            with open(args.output) as f:
                old = f.read()
        except FileNotFoundError:
            old = ''
        for name in ('driver.py', 'blk-bench.py'):
            sec_end = f'<!-- END bench/{name} -->'
            begin, end = old.find(f'<!-- BEGIN bench/{name}'), old.find(sec_end)
            if 0 <= begin < end:
                text += '\n' + old[begin:end + len(sec_end)] + '\n'
        with open(args.output, 'w') as f:
            f.write(text)
        print(f'written to {args.output}', file=sys.stderr)


if __name__ == '__main__':
    main()
