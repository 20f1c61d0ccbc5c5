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
inherited, so nothing polls for it.

Memory: the resident set of the VMM beyond the guest-RAM mapping, read
from /proc/PID/smaps, with 1 vCPU and 128 MiB of guest RAM: skiff once its
vCPU has executed the idle guest's hlt (the vCPU thread sleeps in
kvm_vcpu_block), QEMU paused with -S once QMP answers, and, for
comparison, QEMU running the same idle guest.

These machines are noisy: only figures from the same run are compared.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

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


def read_smaps(pid, guest_bytes):
    """Splits the resident set into the guest-RAM mapping and the rest.
    Guest RAM is the one mapping sized like the guest (a few MiB of slack
    for alignment), anonymous or a memfd."""
    total = {'Rss': 0, 'Pss': 0, 'Private': 0}
    guest = {'Rss': 0, 'Pss': 0, 'Private': 0}
    guest_maps = 0
    cur = None
    with open(f'/proc/{pid}/smaps') as f:
        for line in f:
            head = line.split(None, 1)[0]
            if '-' in head and not head.endswith(':'):
                start, end = (int(x, 16) for x in head.split('-'))
                fields = line.split()
                path = fields[5] if len(fields) > 5 else ''
                size = end - start
                is_guest = (fields[1].startswith('rw')
                            and guest_bytes <= size <= guest_bytes + (4 << 20)
                            and (path == '' or path.startswith('/memfd:')
                                 or path.startswith('[anon')))
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
    if guest_maps != 1:
        raise BenchError(f'expected one guest-RAM mapping of {guest_bytes >> 20} MiB in '
                         f'process {pid}, found {guest_maps}')
    return {k: total[k] - guest[k] for k in total} | {'guest_rss': guest['Rss']}


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
    return {k: statistics.median(d[k] for d in dicts) for k in dicts[0]}


def machine_info(qemu):
    model = 'unknown'
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    qv = subprocess.run([qemu, '--version'], capture_output=True, text=True).stdout
    return {'cpu': model, 'cores': os.cpu_count(), 'kernel': '.'.join(platform.release().split('.')[:2]),   # major.minor: enough to compare
            'qemu': qv.splitlines()[0] if qv else 'unknown',
            'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}


def fmt_ms(x):
    return f'{x:.2f} ms'


def fmt_kib(x):
    return f'{x / 1024:.2f} MiB'


def ratio(a, b):
    return f'{a / b:.3f}' if a and b else 'n/a'


def render(info, res, runs):
    q = res['qemu_start']
    lines = [
        '# skiff startup and memory against QEMU',
        '',
        f'Written by `bench/run` on {info["date"]}. Machine: {info["cpu"]}, '
        f'{info["cores"]} cores, Linux {info["kernel"]}; {info["qemu"]}. '
        f'{runs} startup runs each, memory figures are medians of '
        f'{res["mem_runs"]} runs; 1 vCPU, {GUEST_RAM_MIB} MiB guest RAM, the same PVH image '
        'for both VMMs. Ratios are skiff / QEMU: lower is better for skiff.',
        '',
        '## Startup',
        '',
        '| | median | p90 | min |',
        '|---|---|---|---|',
    ]

    def row(name, x, bold=False):
        b = '**' if bold else ''
        lines.append(f'| {b}{name}{b} | {b}{fmt_ms(x["median"])}{b} | {fmt_ms(x["p90"])} '
                     f'| {fmt_ms(x["min"])} |')

    def ratio_row(name, a, b, bold=False):
        m = ratio(a['median'], b['median'])
        m = f'**{m}**' if bold else m
        name = f'**{name}**' if bold else name
        lines.append(f'| {name} | {m} | {ratio(a["p90"], b["p90"])} '
                     f'| {ratio(a["min"], b["min"])} |')

    s, sx = res.get('skiff_first'), res.get('skiff_exit')
    qf, qx = res['qemu_first'], res['qemu_exit']
    if s:
        row('skiff: exec → first guest output byte (bounds exec → first instruction)', s,
            bold=True)
    row('QEMU microvm -S: exec → QMP answered', q)
    row('QEMU microvm: exec → first guest output byte', qf)
    if sx:
        row('skiff: exec → exit after the guest\'s power-off (includes teardown)', sx)
    row('QEMU microvm: exec → exit through isa-debug-exit', qx)
    row('floor: /bin/echo, exec → first output byte', res['floor_first'])
    row('floor: /bin/echo, exec → exit', res['floor_exit'])
    if s:
        ratio_row('ratio skiff first byte / QEMU -S QMP answered', s, q, bold=True)
        ratio_row('ratio skiff first byte / QEMU first byte', s, qf)
        ratio_row('ratio skiff exit / QEMU exit', sx, qx)
    lines += [
        '',
        '## Memory beyond guest RAM',
        '',
        '| | RSS beyond guest RAM | private beyond guest RAM | PSS beyond guest RAM '
        '| guest RAM resident |',
        '|---|---|---|---|---|',
    ]
    rows = [('skiff, idle guest running (vCPU halted in the guest)', res.get('skiff_mem')),
            ('QEMU microvm -S, QMP answered', res['qemu_mem']),
            ('QEMU microvm, idle guest running', res['qemu_mem_run'])]
    for name, m in rows:
        if m:
            lines.append(f'| {name} | {fmt_kib(m["Rss"])} | {fmt_kib(m["Private"])} '
                         f'| {fmt_kib(m["Pss"])} | {fmt_kib(m["guest_rss"])} |')
    if res.get('skiff_mem'):
        sm, qm = res['skiff_mem'], res['qemu_mem']
        lines.append(f'| **ratio skiff / QEMU -S** | **{ratio(sm["Rss"], qm["Rss"])}** '
                     f'| {ratio(sm["Private"], qm["Private"])} | {ratio(sm["Pss"], qm["Pss"])} | |')
    lines += ['', '## Against the targets', '']
    if s and res.get('skiff_mem'):
        ok_t = 'met' if s['median'] < 3.0 else 'missed'
        ok_m = 'met' if res['skiff_mem']['Rss'] < 2048 else 'missed'
        lines += [f'- startup under 3 ms: {ok_t} ({fmt_ms(s["median"])} median, exec → '
                  'first guest output byte)',
                  f'- memory under 2 MiB beyond guest RAM: {ok_m} '
                  f'({fmt_kib(res["skiff_mem"]["Rss"])} RSS)']
    else:
        lines.append('- skiff was not measured in this run (`--qemu-only`).')
    lines += [
        '',
        '## Method',
        '',
        '- Each VMM is started with `posix_spawn` and timed with the monotonic clock from '
        'just before the spawn. Its stdout is a pipe that the benchmark blocks reading; '
        '"first guest output byte" is the time the first byte came out of that read, '
        '"exit" the time `waitpid` returned. The /bin/echo rows (`echo -n !` on the same '
        'pipe) are the cost of that method alone: process creation, exec, the dynamic '
        'loader, one pipe write and the wake-up of the reader.',
        '- The guest, `first-insn.S`, is a 32-bit PVH ELF (Xen `PHYS32_ENTRY` note) whose '
        'first three instructions write `!` to COM1 (`mov $0x3f8,%dx; mov $\'!\',%al; '
        'out %al,%dx`). The next write, the ACPI S5 value (0x34) to the sleep control port '
        '0x600, powers off skiff; the one after it, to isa-debug-exit at 0xf4, ends QEMU '
        '(microvm has nothing at 0x600). Each run checks that the whole output is `!` and '
        'the exit status is the expected one.',
        '- exec → first guest output byte is an upper bound on exec → first guest '
        'instruction: it adds the exit of the `out` to the VMM, its write of the byte to the '
        'pipe and the reader\'s wake-up, and holds no teardown. exec → exit adds the rest '
        'of the guest and the VMM\'s teardown (closing the VM is several ms on some KVMs).',
        '- skiff runs `--kernel first-insn.elf --cpus boot=1 --memory size=128M '
        '--serial tty` (COM1 to its stdout).',
        f'- QEMU runs `-M microvm -enable-kvm -cpu {QEMU_CPU} -m 128M -smp 1 -nodefaults '
        '-nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=1 -kernel '
        'first-insn.elf`: microvm\'s legacy ISA serial (on by default) puts COM1 on its '
        'stdout. Its first-byte figure includes microvm\'s firmware (`bios-microvm.bin`, '
        'which QEMU always runs first and which loads the kernel), as its path to the guest\'s '
        'first instruction does. The same command with `-S` and a QMP monitor on an inherited listening '
        'socket is timed until it answered `qmp_capabilities` (the guest never runs), the '
        'comparison the startup target names. (`-cpu host` alone makes this QEMU abort on '
        'some KVMs setting MSR 0x10a.)',
        '- The runs are interleaved (echo, skiff, QEMU -S, QEMU), after one warm-up run of '
        'each, so drift hits all alike.',
        '- Memory is read from /proc/PID/smaps: the sum of all mappings less the one mapping '
        'of guest RAM. RSS counts shared library pages in full; PSS shares them out; '
        'private counts only pages no other process maps. skiff runs `idle.elf` (`cli; hlt`) '
        'and is read once a thread sleeps in kvm_vcpu_block, i.e. after the guest ran.',
        '- Guest-side costs depend on how fast the machine\'s KVM runs guest code (some '
        'virtualised CI machines emulate every guest instruction); host-side costs do not. '
        'Compare the ratios of one run, not absolute times across machines.',
        '',
    ]
    return '\n'.join(lines)


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
            time_qemu_startup(args.qemu, guests['first-insn'], workdir)
            if not args.qemu_only:
                time_skiff_startup(args.skiff, guests['first-insn'], workdir)
            time_qemu_guest_run(args.qemu, guests['first-insn'], workdir)
            floor, sk, qe, qr = [], [], [], []
            for _ in range(args.runs):   # interleaved, so drift hits all alike
                floor.append(time_floor(workdir))
                if not args.qemu_only:
                    sk.append(time_skiff_startup(args.skiff, guests['first-insn'], workdir))
                qe.append(time_qemu_startup(args.qemu, guests['first-insn'], workdir))
                qr.append(time_qemu_guest_run(args.qemu, guests['first-insn'], workdir))
            res['floor_first'] = summary([f for f, _ in floor])
            res['floor_exit'] = summary([x for _, x in floor])
            res['qemu_start'] = summary(qe)
            res['qemu_first'] = summary([f for f, _ in qr])
            res['qemu_exit'] = summary([x for _, x in qr])
            if sk:
                res['skiff_first'] = summary([f for f, _ in sk])
                res['skiff_exit'] = summary([x for _, x in sk])
            mem_s, mem_q, mem_qr = [], [], []
            for _ in range(args.mem_runs):
                if not args.qemu_only:
                    mem_s.append(memory_skiff(args.skiff, guests['idle'], workdir))
                mem_q.append(memory_qemu(args.qemu, guests['idle'], workdir, paused=True))
                mem_qr.append(memory_qemu(args.qemu, guests['idle'], workdir, paused=False))
            res['qemu_mem'] = median_dict(mem_q)
            res['qemu_mem_run'] = median_dict(mem_qr)
            if mem_s:
                res['skiff_mem'] = median_dict(mem_s)
    except BenchError as e:
        sys.exit(f'error: {e}')

    text = render(info, res, args.runs)
    print(text)
    if args.output != '-':
        with open(args.output, 'w') as f:
            f.write(text)
        print(f'written to {args.output}', file=sys.stderr)


if __name__ == '__main__':
    main()
