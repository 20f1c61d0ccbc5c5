#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtskiffd against libvirt's QEMU driver, both driven by the same
unmodified virsh and python-libvirt, in one run.

Figures: the virsh define + start + destroy cycle (each step one virsh
process, as an administrator types it), the same cycle through
python-libvirt on one open connection (no process start or handshake), and
`virsh list --all` with 1000 defined domains (one LIST_ALL_DOMAINS and one
GET_STATE per domain). Both drivers run the same shape of domain: direct
kernel boot of tests/guest/powerbtn.elf (a PVH ELF that prints a banner on
COM1 and waits in hlt for the ACPI power button), 128 MiB, 1 vCPU, KVM, COM1
on a pty. Before timing, each driver boots it once and the banner is read
from the pty, so both are known to run the guest.

virtskiffd runs with a private state directory. libvirtd (Debian's, with
its QEMU driver module) runs in a private mount namespace: its
configuration, state, cache and log directories and its sockets are
private directories bind-mounted over the system paths for that process
only, with a qemu.conf that runs QEMU as root without cgroups, namespaces,
a security driver or virtlogd (none of which a container has). Nothing
outside the run's temporary directory is changed (a missing mount point is
created empty and removed afterwards), and a libvirtd already running on the
machine is not touched.

Writes (or replaces) its own section of bench/RESULTS.md between markers;
the other sections are left as they are.
"""

import argparse
import datetime
import os
import platform
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import termios
import time
import tty

try:
    import libvirt
except ImportError:
    # Debian installs python3-libvirt for the system interpreter only.
    if sys.executable != '/usr/bin/python3' and os.access('/usr/bin/python3', os.X_OK):
        os.execv('/usr/bin/python3', ['/usr/bin/python3', '-B'] + sys.argv)
    raise

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from results import source_commit, write_section  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN = '<!-- BEGIN bench/driver.py: virtskiffd against libvirt\'s QEMU driver -->'
END = '<!-- END bench/driver.py -->'
BANNER = b'waiting for the power button'
TIMEOUT = 60          # one virsh call, one wait

libvirt.registerErrorHandler(lambda ctx, err: None, None)


class BenchError(Exception):
    pass


def domain_xml(name, kernel, emulator=None):
    emu = f'\n    <emulator>{emulator}</emulator>' if emulator else ''
    return f"""<domain type='kvm'>
  <name>{name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>{kernel}</kernel>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <devices>{emu}
    <serial type='pty'/>
    <console type='pty'/>
    <memballoon model='none'/>
  </devices>
</domain>
"""


def wait_until(cond, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise BenchError(f'timed out after {timeout}s waiting for {what}')
        time.sleep(0.02)


def read_pty_until(path, marker, timeout=TIMEOUT):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        try:
            tty.setraw(fd, termios.TCSANOW)   # TCSAFLUSH would drop what is buffered
        except termios.error:
            pass
        got = b''
        deadline = time.monotonic() + timeout
        while marker not in got:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f'no {marker!r} on {path} within {timeout}s: {got!r}')
            if select.select([fd], [], [], left)[0]:
                try:
                    got += os.read(fd, 4096)
                except BlockingIOError:
                    pass
        return got
    finally:
        os.close(fd)


def rss_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


# --- the two daemons ---------------------------------------------------------

class Virtskiffd:
    name = 'virtskiffd (skiff)'

    def __init__(self, binary, skiff, work):
        self.state = os.path.join(work, 'skiff-state')
        os.makedirs(self.state)
        self.uri = f'skiff:///system?socket={self.state}/virtskiffd-sock'
        self.emulator = None
        self.log = open(os.path.join(work, 'virtskiffd.log'), 'wb')
        self.proc = subprocess.Popen([binary, '--state-dir', self.state, '--skiff', skiff],
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        wait_until(lambda: self._connectable() or self._dead(), 'virtskiffd to listen', 20)
        if self.proc.poll() is not None:
            raise BenchError(f'virtskiffd exited with {self.proc.returncode}')
        self.version = subprocess.run([binary, '--version'], capture_output=True,
                                      text=True).stdout.strip()

    def _dead(self):
        return self.proc.poll() is not None

    def _connectable(self):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(f'{self.state}/virtskiffd-sock')
            return True
        except OSError:
            return False
        finally:
            s.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


QEMU_CONF = '''# bench/driver.py: QEMU as root, without what a container lacks.
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = "file"
'''

# System paths libvirtd and its QEMU driver use; each gets a private
# directory bind-mounted over it inside libvirtd's own mount namespace.
LIBVIRT_DIRS = ['/etc/libvirt', '/run/libvirt', '/var/lib/libvirt', '/var/cache/libvirt',
                '/var/log/libvirt']


class Libvirtd:
    """Debian's libvirtd with its QEMU driver, in a private mount namespace."""
    name = 'libvirtd QEMU driver'

    def __init__(self, qemu, work):
        self.proc = None
        self.created = []
        root = os.path.join(work, 'libvirtd')
        os.makedirs(root)
        libvirtd = shutil.which('libvirtd') or '/usr/sbin/libvirtd'
        if not os.access(libvirtd, os.X_OK):
            raise BenchError('libvirtd is not installed (Debian: libvirt-daemon)')
        if not any(os.path.exists(os.path.join(d, 'libvirt_driver_qemu.so'))
                   for d in ('/usr/lib/x86_64-linux-gnu/libvirt/connection-driver',
                             '/usr/lib64/libvirt/connection-driver')):
            raise BenchError('libvirt\'s QEMU driver module is not installed '
                             '(Debian: libvirt-daemon-driver-qemu)')
        if os.geteuid() != 0:
            raise BenchError('libvirtd\'s system instance needs root')
        sock_dir = os.path.join(root, 'sock')
        os.makedirs(sock_dir)
        binds = []
        for d in LIBVIRT_DIRS:
            private = os.path.join(root, d.strip('/').replace('/', '-'))
            if d == '/etc/libvirt' and os.path.isdir(d):
                shutil.copytree(d, private, symlinks=True)
            else:
                os.makedirs(private)
            if not os.path.isdir(d):
                # A mount point must exist; remove it again at the end.
                os.makedirs(d)
                self.created.append(d)
            binds.append((private, d))
        etc = os.path.join(root, 'etc-libvirt')
        with open(os.path.join(etc, 'qemu.conf'), 'w') as f:
            f.write(QEMU_CONF)
        # The QEMU driver looks its default user up before it reads qemu.conf.
        for db, line in (('passwd', 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/bin/false'),
                         ('group', 'libvirt-qemu:x:64055:')):
            with open(f'/etc/{db}') as f:
                text = f.read()
            if not re.search(r'^libvirt-qemu:', text, re.M):
                path = os.path.join(root, db)
                with open(path, 'w') as f:
                    f.write(text.rstrip('\n') + '\n' + line + '\n')
                binds.append((path, f'/etc/{db}'))
        conf = os.path.join(root, 'libvirtd.conf')
        with open(conf, 'w') as f:
            f.write(f'unix_sock_dir = "{sock_dir}"\nunix_sock_rw_perms = "0700"\n'
                    'auth_unix_rw = "none"\nauth_unix_ro = "none"\n'
                    'log_outputs = "3:stderr"\n')
        script = ['set -e'] + [f'mount --bind "{src}" "{dst}"' for src, dst in binds] + \
            [f'exec "{libvirtd}" -f "{conf}" -p "{root}/pid"']
        self.log_path = os.path.join(root, 'libvirtd.log')
        self.log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen(['unshare', '--mount', '--propagation', 'private', 'sh',
                                      '-c', '\n'.join(script)], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid      # exec'd into libvirtd
        self.uri = f'qemu:///system?socket={sock_dir}/libvirt-sock'
        self.emulator = qemu
        try:
            wait_until(lambda: os.path.exists(f'{sock_dir}/libvirt-sock') or
                       self.proc.poll() is not None, 'libvirtd to listen', 30)
            if self.proc.poll() is not None:
                raise BenchError(f'libvirtd exited with {self.proc.returncode}: '
                                 f'{self.log_tail()}')
            c = libvirt.open(self.uri)
            try:
                if c.getType() != 'QEMU':
                    raise BenchError(f'libvirtd answers type {c.getType()!r}')
                v = c.getVersion()
                self.version = (f'libvirtd {c.getLibVersion() // 1000000}.'
                                f'{c.getLibVersion() // 1000 % 1000}.{c.getLibVersion() % 1000}'
                                f' with QEMU {v // 1000000}.{v // 1000 % 1000}.{v % 1000}')
            finally:
                c.close()
        except BaseException:
            self.stop()
            raise

    def log_tail(self):
        try:
            with open(self.log_path, errors='replace') as f:
                lines = [l.strip() for l in f if ': error : ' in l]
        except OSError:
            return ''
        return ' / '.join(lines[-3:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        for d in reversed(self.created):
            try:
                os.rmdir(d)
            except OSError:
                pass


# --- measurements --------------------------------------------------------------

def remove_domains(d):
    """Destroys and undefines whatever this run left on a daemon."""
    try:
        conn = libvirt.open(d.uri)
    except libvirt.libvirtError:
        return
    try:
        for dom in conn.listAllDomains(0):
            try:
                if dom.isActive():
                    dom.destroy()
                if dom.isPersistent():
                    dom.undefine()
            except libvirt.libvirtError as e:
                print(f'cleanup of {dom.name()} on {d.name}: {e}', file=sys.stderr)
    finally:
        conn.close()


def virsh(uri, *argv, expect=None):
    """One virsh process; returns its wall time in ms."""
    t0 = time.monotonic()
    p = subprocess.run(['virsh', '-c', uri] + list(argv), capture_output=True, text=True,
                       timeout=TIMEOUT)
    dt = (time.monotonic() - t0) * 1000
    if p.returncode != 0 or (expect and expect not in p.stdout):
        raise BenchError(f'virsh -c {uri} {" ".join(argv)}: exit {p.returncode}, '
                         f'{p.stdout.strip()!r} {p.stderr.strip()!r}')
    return dt, p.stdout


def check_guest_runs(d, kernel, work):
    """Boots the guest once and reads its banner from the pty."""
    name = 'bench-check'
    path = os.path.join(work, f'check-{os.getpid()}-{d.pid}.xml')
    with open(path, 'w') as f:
        f.write(domain_xml(name, kernel, d.emulator))
    virsh(d.uri, 'define', path)
    try:
        virsh(d.uri, 'start', name, expect='started')
        _, pty = virsh(d.uri, 'ttyconsole', name)
        read_pty_until(pty.strip(), BANNER)
        virsh(d.uri, 'destroy', name, expect='destroyed')
    finally:
        subprocess.run(['virsh', '-c', d.uri, 'destroy', name], capture_output=True)
        virsh(d.uri, 'undefine', name)


def virsh_cycle(d, xml_path):
    t_def, _ = virsh(d.uri, 'define', xml_path, expect="defined")
    t_start, _ = virsh(d.uri, 'start', 'bench-cycle', expect='started')
    _, state = virsh(d.uri, 'domstate', 'bench-cycle')
    if state.strip() != 'running':
        raise BenchError(f'{d.name}: domstate after start: {state.strip()!r}')
    t_destroy, _ = virsh(d.uri, 'destroy', 'bench-cycle', expect='destroyed')
    t_undef, _ = virsh(d.uri, 'undefine', 'bench-cycle', expect='undefined')
    return {'define': t_def, 'start': t_start, 'destroy': t_destroy,
            'cycle': t_def + t_start + t_destroy, 'undefine': t_undef}


def api_cycle(conn, xml):
    t0 = time.monotonic()
    dom = conn.defineXML(xml)
    t1 = time.monotonic()
    dom.create()
    t2 = time.monotonic()
    if dom.state()[0] != libvirt.VIR_DOMAIN_RUNNING:
        raise BenchError(f'state after create: {dom.state()}')
    t3 = time.monotonic()
    dom.destroy()
    t4 = time.monotonic()
    dom.undefine()
    ms = 1000
    return {'define': (t1 - t0) * ms, 'start': (t2 - t1) * ms, 'destroy': (t4 - t3) * ms,
            'cycle': (t2 - t0 + t4 - t3) * ms}


def virsh_floor(d):
    """A virsh process that connects, makes one call and closes."""
    return virsh(d.uri, 'hostname')[0]


def many_domains(d, kernel, n, list_runs):
    conn = libvirt.open(d.uri)
    try:
        t0 = time.monotonic()
        doms = [conn.defineXML(domain_xml(f'bench-{i:04d}', kernel, d.emulator))
                for i in range(n)]
        define_ms = (time.monotonic() - t0) * 1000 / n
        times = []
        for _ in range(list_runs):
            dt, out = virsh(d.uri, 'list', '--all')
            rows = [l for l in out.splitlines()[2:] if l.strip()]
            if len(rows) != n or not all(r.split()[2:] == ['shut', 'off'] for r in rows):
                raise BenchError(f'{d.name}: virsh list --all shows {len(rows)} rows, '
                                 f'expected {n} shut off')
            times.append(dt)
        rss = rss_kib(d.pid)
        t0 = time.monotonic()
        for dom in doms:
            dom.undefine()
        undefine_ms = (time.monotonic() - t0) * 1000 / n
        if conn.listAllDomains(0):
            raise BenchError(f'{d.name}: domains left after undefining them all')
        return {'list': times, 'define_each': define_ms, 'undefine_each': undefine_ms,
                'rss_kib': rss}
    finally:
        conn.close()


def qemu_sigterm_exit(qemu, kernel, runs=5):
    """QEMU without libvirt, the same machine type, CPU model and guest: ms
    from SIGTERM (once the guest's banner is out) to its exit."""
    times = []
    for _ in range(runs):
        p = subprocess.Popen([qemu, '-machine', 'pc', '-accel', 'kvm', '-cpu', 'qemu64',
                              '-m', '128', '-smp', '1', '-kernel', kernel, '-nographic',
                              '-nodefaults', '-serial', 'stdio'], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            out = b''
            deadline = time.monotonic() + TIMEOUT
            while BANNER not in out:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([p.stdout], [], [], left)[0]:
                    raise BenchError(f'QEMU by hand: no banner within {TIMEOUT}s: {out!r}')
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    raise BenchError(f'QEMU by hand exited early: {out!r}')
                out += chunk
            t0 = time.monotonic()
            p.terminate()
            p.wait(TIMEOUT)
            times.append((time.monotonic() - t0) * 1000)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
    return statistics.median(times)


def summary(xs):
    s = sorted(xs)
    return {'median': statistics.median(s), 'min': s[0],
            'p90': s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))], 'n': len(s)}


# --- report ----------------------------------------------------------------------

def fmt(ms):
    return f'{ms:.1f} ms' if ms >= 10 else f'{ms:.2f} ms'


def render(info, res, qemu_error, args):
    sk, qm = res['skiff'], res.get('qemu')
    lines = [
        BEGIN,
        '## virtskiffd against libvirt\'s QEMU driver',
        '',
        f'Written by `bench/run --driver` on {info["date"]}, built from commit {info["commit"]}. '
        f'{info["virsh"]}; {sk["version"]}'
        + (f'; {qm["version"]}' if qm else '') + '. '
        f'Medians of {args.runs} cycles (interleaved between the drivers) and of '
        f'{args.list_runs} listings; the domain: kernel boot of `powerbtn.elf`, 128 MiB, '
        '1 vCPU, KVM, COM1 on a pty. Ratios are virtskiffd / QEMU driver: lower is better for '
        'virtskiffd.',
        '',
    ]
    if qm:
        lines += ['| | virtskiffd (skiff) | libvirtd QEMU driver | ratio |', '|---|---|---|---|']
    else:
        lines += ['| | virtskiffd (skiff) |', '|---|---|']

    def row(label, key, sub=None, bold=False, unit=fmt):
        a = sk[key] if sub is None else sk[key][sub]
        a = a['median'] if isinstance(a, dict) else a
        b = '**' if bold else ''
        cells = [f'{b}{label}{b}', f'{b}{unit(a)}{b}']
        if qm:
            q = qm[key] if sub is None else qm[key][sub]
            q = q['median'] if isinstance(q, dict) else q
            cells += [unit(q), f'{b}{a / q:.3f}{b}' if q else 'n/a']
        lines.append('| ' + ' | '.join(cells) + ' |')

    row('virsh define', 'virsh', 'define')
    row('virsh start', 'virsh', 'start')
    row('virsh destroy', 'virsh', 'destroy')
    row('virsh define + start + destroy (sum of the three per cycle)', 'virsh', 'cycle',
        bold=True)
    row('virsh undefine (not in the cycle)', 'virsh', 'undefine')
    row('floor: a virsh process that connects, calls CONNECT_GET_HOSTNAME, closes', 'floor')
    row('python-libvirt, one connection: defineXML + create + destroy', 'api', 'cycle',
        bold=True)
    row('python-libvirt: create (start) alone', 'api', 'start')
    row('python-libvirt: destroy alone', 'api', 'destroy')
    row(f'virsh list --all with {args.domains} defined domains', 'many', 'list', bold=True)
    row(f'python-libvirt defineXML, per domain (defining {args.domains})', 'many',
        'define_each')
    row('python-libvirt undefine, per domain', 'many', 'undefine_each')
    row(f'daemon resident memory with {args.domains} domains defined', 'many', 'rss_kib',
        unit=lambda k: f'{k / 1024:.1f} MiB')
    lines.append('')
    if qemu_error:
        lines += [f'The QEMU driver was not measured in this run: {qemu_error}', '']
    lines += [
        '### Method',
        '',
        '- Each virsh figure is one `virsh -c URI COMMAND` process, timed from just before its '
        'spawn to its exit: exec, the connection handshake (AUTH_LIST, SUPPORTS_FEATURE, '
        'CONNECT_OPEN, close callbacks), the command\'s calls and the close. The floor row is '
        'that overhead alone. Every answer is checked (exit status, the "Domain ... started" '
        'text, `domstate` running after each start, untimed).',
        '- The cycle defines the domain from a file, starts it and destroys it; undefine follows '
        'untimed. The python-libvirt cycle does the same on one open connection, so only the '
        'daemon\'s own work and one round trip per call remain.',
        '- `virsh start` returns once the VM runs: for skiff, virtskiffd has spawned skiff with '
        '`--api-socket fd=N` and had `vm.create` and `vm.boot` answered; for QEMU, libvirtd has '
        'spawned QEMU, connected to QMP, queried it and resumed the vCPUs. `virsh destroy` '
        'returns once the process is gone: virtskiffd sends SIGTERM and waits on a pidfd for '
        'skiff\'s exit, then reaps it; libvirtd sends SIGTERM, checks every 200 ms whether '
        'QEMU is gone, then cleans up its own state.'
        + (f' The same QEMU run by hand (no libvirt; `-machine pc -cpu qemu64`, the same '
           f'guest) exits {qm["qemu_sigterm_ms"]:.0f} ms after a SIGTERM in this run (median '
           'of 5): the rest of the QEMU driver\'s destroy time is libvirtd\'s.'
           if qm and qm.get('qemu_sigterm_ms') is not None else ''),
        f'- The listing defines {args.domains} domains through python-libvirt, then times `virsh '
        f'list --all` (one CONNECT_LIST_ALL_DOMAINS and one DOMAIN_GET_STATE per domain, '
        f'{args.domains + 1} round trips) and checks it shows {args.domains} shut-off rows. '
        'Resident memory is the daemon\'s VmRSS at that moment.',
        '- Before timing, each driver boots the guest once and its banner ("waiting for the '
        'power button") is read from the pty, so both really run it.',
        '- libvirtd runs in a private mount namespace (see `bench/driver.py`): private copies of '
        '/etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt '
        'are bind-mounted for it alone, with a qemu.conf that runs QEMU as root with no cgroups, '
        'namespaces, security driver or virtlogd. Its domains use the machine type libvirt picks '
        '(`pc`) and its default CPU model; QEMU boots the PVH kernel through its own option ROM.',
        '- These machines are noisy: compare the ratios of one run, not absolute times across '
        'runs.',
        END,
    ]
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', required=True, help='the build directory (virtskiffd, skiff, '
                    'tests/guest/powerbtn.elf)')
    ap.add_argument('--qemu', default=shutil.which('qemu-system-x86_64'))
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--domains', type=int, default=1000)
    ap.add_argument('--list-runs', type=int, default=10)
    ap.add_argument('--no-qemu', action='store_true', help='measure virtskiffd only')
    ap.add_argument('--output', default=os.path.join(HERE, 'RESULTS.md'),
                    help='results file whose driver section is written ("-": print only)')
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    vsd = os.path.join(build, 'driver', 'virtskiffd')
    skiff = os.path.join(build, 'backend', 'skiff')
    kernel = os.path.join(build, 'tests', 'guest', 'powerbtn.elf')
    for p in (vsd, skiff, kernel):
        if not os.path.exists(p):
            ap.error(f'{p} is missing: build first (ninja -C {args.build})')
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        sys.exit('error: /dev/kvm is not usable')

    virsh_version = subprocess.run(['virsh', '--version'], capture_output=True,
                                   text=True).stdout.strip()
    info = {'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
            'commit': source_commit(), 'virsh': f'virsh {virsh_version}',
            'kernel': platform.release()}
    res = {}
    qemu_error = None
    daemons = []
    try:
        with tempfile.TemporaryDirectory(prefix='skiff-bench-driver-') as work:
            sk = Virtskiffd(vsd, skiff, work)
            daemons.append(sk)
            qm = None
            if args.no_qemu:
                qemu_error = 'not asked for (`--no-qemu`).'
            else:
                try:
                    qm = Libvirtd(args.qemu, work)
                    daemons.append(qm)
                except (BenchError, libvirt.libvirtError, OSError) as e:
                    qemu_error = f'libvirtd could not be started: {e}'
            drivers = [sk] + ([qm] if qm else [])
            for d in list(drivers):
                try:
                    check_guest_runs(d, kernel, work)
                except BenchError as e:
                    if d is sk:
                        raise
                    qemu_error = f'the QEMU driver did not run the guest: {e}'
                    drivers.remove(d)
            xml_paths = {}
            for d in drivers:
                xml_paths[d] = os.path.join(work, f'cycle-{d.pid}.xml')
                with open(xml_paths[d], 'w') as f:
                    f.write(domain_xml('bench-cycle', kernel, d.emulator))
            samples = {d: {'virsh': [], 'api': [], 'floor': []} for d in drivers}
            conns = {d: libvirt.open(d.uri) for d in drivers}
            for d in drivers:     # warm-up, untimed
                virsh_cycle(d, xml_paths[d])
                api_cycle(conns[d], domain_xml('bench-api', kernel, d.emulator))
            for i in range(args.runs):
                for d in drivers:
                    samples[d]['floor'].append(virsh_floor(d))
                    samples[d]['virsh'].append(virsh_cycle(d, xml_paths[d]))
                    samples[d]['api'].append(api_cycle(conns[d], domain_xml(
                        'bench-api', kernel, d.emulator)))
                print(f'cycle {i + 1}/{args.runs}', file=sys.stderr, flush=True)
            for d in drivers:
                conns[d].close()
                s = samples[d]
                r = {'version': d.version, 'floor': summary(s['floor'])}
                for kind in ('virsh', 'api'):
                    r[kind] = {k: summary([x[k] for x in s[kind]]) for k in s[kind][0]}
                m = many_domains(d, kernel, args.domains, args.list_runs)
                r['many'] = {'list': summary(m['list']), 'define_each': m['define_each'],
                             'undefine_each': m['undefine_each'], 'rss_kib': m['rss_kib']}
                if d is not sk:
                    r['qemu_sigterm_ms'] = qemu_sigterm_exit(args.qemu, kernel)
                res['skiff' if d is sk else 'qemu'] = r
                print(f'{d.name}: {args.domains} domains done', file=sys.stderr, flush=True)
    except BenchError as e:
        sys.exit(f'error: {e}')
    finally:
        for d in daemons:
            # libvirtd leaves its VMs running when it stops, by design.
            remove_domains(d)
            d.stop()

    text = render(info, res, qemu_error, args)
    print(text)
    if args.output != '-':
        write_section(args.output, BEGIN, END, text)
        print(f'written to {args.output}', file=sys.stderr)


if __name__ == '__main__':
    main()
