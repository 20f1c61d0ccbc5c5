#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Nested real-Linux test: skiff boots a Debian kernel with a busybox /init.

Where /dev/kvm runs guest code at native speed (a quick probe decides), skiff
boots the L2 kernel directly on the host. Elsewhere QEMU emulates an AMD CPU
with SVM (TCG) and runs an L1 Linux that loads kvm-amd; skiff runs inside L1
on L1's /dev/kvm and boots the L2 kernel there. Either way the test passes
when, for each requested image (bzImage, PVH vmlinux), the L2 /init's marker
shows 2 CPUs online, the guest's virtio drivers worked and skiff exits 0 after
the guest's ACPI power-off:
- virtio-rng: L2 reads 64 bytes from /dev/hwrng;
- virtio-blk: L2 mounts an ext4 image this script made (a random token and
  random data in it), prints both, writes a result derived from the token and
  a copy of the data; after everything has shut down this script reads them
  back from the image file and e2fsck must find the file system clean;
- virtio-net (--with-net, nested mode only): L2 pings the host side of skiff's
  tap in L1, downloads a random blob from L1 and uploads one (both hashes
  compared), and L1 pings L2.

Assets come from Debian packages only (the cloud kernel and busybox-static,
fetched with apt-get download) and are cached in the build directory, under
a lock, so that several tests share one preparation.
"""

import argparse
import fcntl
import gzip
import hashlib
import os
import re
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KERNEL_META = 'linux-image-cloud-amd64'
KVM_MODULES = [('irqbypass', 'kernel/virt/lib/irqbypass.ko'),
               ('kvm', 'kernel/arch/x86/kvm/kvm.ko'),
               ('kvm_amd', 'kernel/arch/x86/kvm/kvm-amd.ko')]
VIRTIO_PCI_MODULES = [('virtio_ring', 'kernel/drivers/virtio/virtio_ring.ko'),
                      ('virtio', 'kernel/drivers/virtio/virtio.ko'),
                      ('virtio_pci_modern_dev', 'kernel/drivers/virtio/virtio_pci_modern_dev.ko'),
                      ('virtio_pci_legacy_dev', 'kernel/drivers/virtio/virtio_pci_legacy_dev.ko'),
                      ('virtio_pci', 'kernel/drivers/virtio/virtio_pci.ko')]
VIRTIO_BLK_MODULE = ('virtio_blk', 'kernel/drivers/block/virtio_blk.ko')
# virtio for L2, in load order (ext4, jbd2, mbcache and crc32c are built into
# the cloud kernel). The net drivers load whether or not skiff has a net device.
L2_MODULES = VIRTIO_PCI_MODULES + [
    ('virtio_rng', 'kernel/drivers/char/hw_random/virtio-rng.ko'),
    VIRTIO_BLK_MODULE,
    ('failover', 'kernel/net/core/failover.ko'),
    ('net_failover', 'kernel/drivers/net/net_failover.ko'),
    ('virtio_net', 'kernel/drivers/net/virtio_net.ko')]
# L1: virtio-blk for the disks QEMU gives it, tun for skiff's tap.
L1_MODULES = VIRTIO_PCI_MODULES + [VIRTIO_BLK_MODULE, ('tun', 'kernel/drivers/net/tun.ko')]
RNG_RE = re.compile(r'SKIFF-L2-RNG current=(\S*) bytes=(\d+)')
L2_CMDLINE = 'console=ttyS0 panic=-1'
DISK_SIZE = '16M'
DATA_SIZE = 2 << 20     # several hundred virtio-blk segments each way
L2_MAC = '52:54:00:5c:1f:02'    # l1-init.sh gives it to skiff
HEX64 = r'[0-9a-f]{64}'
L2_CPUS = 2
BOOTS = {'bzimage': 'bzimage', 'pvh': 'vmlinux'}   # boot name: kernel image
MARKER_RE = re.compile(r'SKIFF-L2-MARKER nproc=(\d+)')
# Terminal escapes (SeaBIOS clears the screen without a newline) and other
# control characters, removed before lines are matched.
CONTROL_RE = re.compile(r'\x1b(?:\[[0-?]*[ -/]*[@-~]|.)|[\x00-\x08\x0b-\x1f\x7f]')
TAIL_LINES = 80


class TestError(Exception):
    """A failed step: the message names it."""


def log(msg):
    print(f'run-nested: {msg}', flush=True)


def run(argv, cwd=None, what=None):
    r = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.returncode != 0:
        raise TestError(f'{what or argv[0]} failed (status {r.returncode}): '
                        f'{" ".join(argv)}\n{r.stderr.strip()}')
    return r.stdout


# ---------------------------------------------------------------- assets

def apt_kernel_package():
    """The versioned image package that the cloud meta-package currently pulls in."""
    for attempt in range(2):
        r = subprocess.run(['apt-cache', 'depends', KERNEL_META], capture_output=True, text=True)
        m = re.search(r'Depends:\s*(linux-image-\S+-cloud-amd64)', r.stdout)
        if m:
            return m.group(1)
        if attempt == 0:
            log('apt-cache does not know the cloud kernel; running apt-get update')
            run(['apt-get', 'update', '-q'], what='apt-get update')
    raise TestError(f'apt-cache depends {KERNEL_META} names no kernel image package')


def apt_download(package, dest):
    """apt-get download into dest; once more after apt-get update, since a
    stale package list names versions the archive no longer has."""
    try:
        run(['apt-get', 'download', '-q', package], cwd=dest, what='apt-get download')
    except TestError as e:
        log(f'{e}\nrunning apt-get update and trying again')
        run(['apt-get', 'update', '-q'], what='apt-get update')
        run(['apt-get', 'download', '-q', package], cwd=dest, what='apt-get download')


def apt_unpack(package, dest):
    """apt-get download + dpkg -x into dest (once; a stamp marks completion)."""
    stamp = os.path.join(dest, '.unpacked')
    if os.path.exists(stamp):
        return os.path.join(dest, 'root')
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    log(f'apt-get download {package}')
    apt_download(package, dest)
    debs = [f for f in os.listdir(dest) if f.endswith('.deb')]
    if len(debs) != 1:
        raise TestError(f'apt-get download {package} left {debs} in {dest}')
    run(['dpkg', '-x', os.path.join(dest, debs[0]), os.path.join(dest, 'root')], what='dpkg -x')
    os.remove(os.path.join(dest, debs[0]))
    open(stamp, 'w').close()
    return os.path.join(dest, 'root')


def module_depends(path):
    with open(path, 'rb') as f:
        data = f.read()
    m = re.search(rb'(?:^|\0)depends=([^\0]*)\0', data)
    if m is None:
        raise TestError(f'{path}: no depends= entry in .modinfo (compressed module?)')
    return [d for d in m.group(1).decode().split(',') if d]


def prepare_kernel(cache):
    package = apt_kernel_package()
    root = apt_unpack(package, os.path.join(cache, package))
    release = package.removeprefix('linux-image-')
    bzimage = os.path.join(root, 'boot', f'vmlinuz-{release}')
    if not os.path.isfile(bzimage):
        raise TestError(f'{package} has no boot/vmlinuz-{release}')
    vmlinux = os.path.join(cache, package, 'vmlinux')
    if not os.path.exists(vmlinux):
        log('extracting vmlinux from the bzImage')
        out = run([sys.executable, os.path.join(HERE, 'extract-vmlinux.py'), '--require-pvh',
                   bzimage, vmlinux], what='extract-vmlinux')
        log(out.strip())
    moddir = os.path.join(root, 'lib', 'modules', release)
    return {'package': package, 'release': release, 'bzimage': bzimage, 'vmlinux': vmlinux,
            'modules': module_paths(package, moddir, KVM_MODULES),
            'l1_modules': module_paths(package, moddir, L1_MODULES),
            'l2_modules': module_paths(package, moddir, L2_MODULES)}


def module_paths(package, moddir, wanted):
    """The module files, checked to load in the order given."""
    modules = []
    loaded = set()
    for name, rel in wanted:
        path = os.path.join(moddir, rel)
        if not os.path.isfile(path):
            raise TestError(f'{package} has no {rel} (compressed modules are not handled)')
        missing = [d for d in module_depends(path) if d not in loaded]
        if missing:
            raise TestError(f'{rel} needs {missing}, which are not loaded before it')
        loaded.add(name)
        modules.append(path)
    return modules


def prepare_busybox(cache):
    root = apt_unpack('busybox-static', os.path.join(cache, 'busybox-static'))
    path = os.path.join(root, 'bin', 'busybox')
    if not os.path.isfile(path):
        raise TestError('busybox-static has no bin/busybox')
    return path


class Cpio:
    """A newc-format cpio archive writer (what the kernel's initramfs reads)."""

    def __init__(self, f):
        self.f = f
        self.ino = 1
        self.dirs = set()

    def _entry(self, name, mode, data=b'', rdev=(0, 0), size=None):
        size = len(data) if size is None else size
        name_b = name.encode() + b'\0'
        fields = [self.ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, size,
                  0, 0, rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        hdr = b'070701' + b''.join(b'%08x' % v for v in fields) + name_b
        self.f.write(hdr + b'\0' * (-len(hdr) % 4))
        self.f.write(data)

    def _pad(self, size):
        self.f.write(b'\0' * (-size % 4))

    def mkdir(self, path):
        parts = path.strip('/').split('/')
        for i in range(1, len(parts) + 1):
            d = '/'.join(parts[:i])
            if d and d not in self.dirs:
                self.dirs.add(d)
                self._entry(d, stat.S_IFDIR | 0o755)

    def add_file(self, path, src, perm=None):
        """Copies src (symlinks followed) to path, streaming large files."""
        st = os.stat(src)
        perm = stat.S_IMODE(st.st_mode) if perm is None else perm
        self.mkdir(os.path.dirname(path))
        self._entry(path.strip('/'), stat.S_IFREG | perm, size=st.st_size)
        with open(src, 'rb') as s:
            shutil.copyfileobj(s, self.f, 1 << 20)
        self._pad(st.st_size)

    def add_chardev(self, path, major, minor):
        self.mkdir(os.path.dirname(path))
        self._entry(path.strip('/'), stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self):
        self._entry('TRAILER!!!', 0)
        self._pad(self.f.tell())


def initramfs_base(cpio, busybox, init_script):
    for d in ('proc', 'sys', 'dev', 'tmp', 'bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root'):
        cpio.mkdir(d)
    cpio.add_chardev('dev/console', 5, 1)
    cpio.add_file('bin/busybox', busybox, 0o755)
    cpio.add_file('init', init_script, 0o755)


def build_l2_initrd(path, busybox, modules):
    with open(path, 'wb') as raw, gzip.GzipFile(fileobj=raw, mode='wb', mtime=0) as gz:
        cpio = Cpio(gz)
        initramfs_base(cpio, busybox, os.path.join(HERE, 'l2-init.sh'))
        cpio.mkdir('lib')
        cpio.mkdir('lib/modules')
        # Numbered so that the init's glob loads them in dependency order.
        for i, mod in enumerate(modules):
            cpio.add_file(f'lib/modules/{i:02d}-{os.path.basename(mod)}', mod, 0o644)
        cpio.finish()


def shared_libraries(binary):
    """Every file the dynamic loader maps for binary, from ldd ([] if static)."""
    r = subprocess.run(['ldd', binary], capture_output=True, text=True)
    out = r.stdout + r.stderr
    if 'not a dynamic executable' in out or 'statically linked' in out:
        return []
    if r.returncode != 0:
        raise TestError(f'ldd {binary} failed: {out.strip()}')
    libs = []
    for line in out.splitlines():
        line = line.strip()
        if 'not found' in line:
            raise TestError(f'ldd {binary}: {line}')
        m = (re.match(r'\S+ => (/\S+) \(0x[0-9a-f]+\)$', line)
             or re.match(r'(/\S+) \(0x[0-9a-f]+\)$', line))
        if m:
            libs.append(m.group(1))
    if not any('ld-linux' in lib for lib in libs):
        raise TestError(f'ldd {binary} names no dynamic loader:\n{out}')
    return libs


def up_to_date(path, inputs):
    """Whether path was built from inputs as they are now (paths, sizes,
    mtimes); returns the key to store beside it after a rebuild."""
    h = hashlib.sha256()
    for p in inputs:
        st = os.stat(p)
        h.update(f'{p}\0{st.st_size}\0{st.st_mtime_ns}\0'.encode())
    key = h.hexdigest()
    try:
        with open(path + '.key') as f:
            return os.path.exists(path) and f.read() == key, key
    except FileNotFoundError:
        return False, key


def build_cached(path, inputs, build):
    """Runs build(tmp_path) unless path is up to date with inputs."""
    fresh, key = up_to_date(path, inputs)
    if fresh:
        return path
    log(f'building {os.path.basename(path)}')
    build(path + '.tmp')
    os.replace(path + '.tmp', path)
    with open(path + '.key', 'w') as f:
        f.write(key)
    return path


def build_l1_initrd(cache, skiff, busybox, kernel, l2_initrd, extra):
    """Uncompressed: L1 runs under TCG, where inflating 70 MB would cost seconds.
    Extra host files (debugging tools) go in at their own paths, with their libraries."""
    libs = set(shared_libraries(skiff))
    for path in extra:
        libs.update(shared_libraries(path))
    libs = sorted(libs - set(extra))
    inputs = ([skiff, busybox, os.path.join(HERE, 'l1-init.sh'), kernel['bzimage'],
               kernel['vmlinux'], l2_initrd] + kernel['modules'] + kernel['l1_modules']
              + libs + extra)

    def build(out):
        with open(out, 'wb') as f:
            cpio = Cpio(f)
            initramfs_base(cpio, busybox, os.path.join(HERE, 'l1-init.sh'))
            cpio.add_file('usr/bin/skiff', skiff, 0o755)
            for lib in libs:
                cpio.add_file(lib, lib, 0o755)
            for path in extra:
                cpio.add_file(path, path)
            for mod in kernel['modules']:
                cpio.add_file('lib/modules/nested/' + os.path.basename(mod), mod, 0o644)
            # Numbered so that the init's glob loads them in dependency order.
            for i, mod in enumerate(kernel['l1_modules']):
                cpio.add_file(f'lib/modules/l1/{i:02d}-{os.path.basename(mod)}', mod, 0o644)
            cpio.add_file('l2/bzImage', kernel['bzimage'], 0o644)
            cpio.add_file('l2/vmlinux', kernel['vmlinux'], 0o644)
            cpio.add_file('l2/initrd.gz', l2_initrd, 0o644)
            cpio.finish()

    return build_cached(os.path.join(cache, 'l1-initrd.cpio'), inputs, build)


def prepare(cache):
    os.makedirs(cache, exist_ok=True)
    kernel = prepare_kernel(cache)
    busybox = prepare_busybox(cache)
    l2_initrd = build_cached(os.path.join(cache, 'l2-initrd.gz'),
                             [busybox, os.path.join(HERE, 'l2-init.sh')] + kernel['l2_modules'],
                             lambda out: build_l2_initrd(out, busybox, kernel['l2_modules']))
    return kernel, busybox, l2_initrd


# ---------------------------------------------------------------- disks

def e2fs_tool(name):
    path = shutil.which(name, path=os.environ.get('PATH', os.defpath) + ':/usr/sbin:/sbin')
    if path is None:
        raise TestError(f'{name} is not installed (Debian package e2fsprogs)')
    return path


class Disk:
    """A fresh ext4 image for one boot, made without mounting anything:
    token.txt holds a random token, data.bin random bytes."""

    def __init__(self, boot, directory):
        self.boot = boot
        self.path = os.path.join(directory, f'disk-{boot}.img')
        self.serial = f'skiff-l2-{boot}'
        self.token = secrets.token_hex(16)
        self.data = os.urandom(DATA_SIZE)
        with tempfile.TemporaryDirectory(prefix='skiff-disk-') as tree:
            with open(os.path.join(tree, 'token.txt'), 'w') as f:
                f.write(self.token + '\n')
            with open(os.path.join(tree, 'data.bin'), 'wb') as f:
                f.write(self.data)
            if os.path.exists(self.path):
                os.remove(self.path)
            run([e2fs_tool('mkfs.ext4'), '-q', '-F', '-L', 'skiff', '-d', tree, self.path,
                 DISK_SIZE], what='mkfs.ext4')

    def check_written(self, release):
        """Reads back, from the image file once everything has shut down, what
        L2 wrote: the file system must be clean, result.txt hold the reversed
        token and L2's kernel release, copy.bin equal data.bin."""
        r = subprocess.run([e2fs_tool('e2fsck'), '-f', '-n', self.path],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if r.returncode != 0:
            raise TestError(f'{self.boot}: e2fsck -f -n finds the image unclean after L2 used it '
                            f'(status {r.returncode}):\n{(r.stdout + r.stderr).strip()}')
        debugfs = e2fs_tool('debugfs')
        result = run([debugfs, '-R', 'cat /result.txt', self.path], what='debugfs cat')
        expect(self.boot, 'result.txt in the image after shutdown', result,
               f'{self.token[::-1]} {release}\n')
        with tempfile.TemporaryDirectory(prefix='skiff-disk-') as tmp:
            out = os.path.join(tmp, 'copy.bin')
            run([debugfs, '-R', f'dump /copy.bin {out}', self.path], what='debugfs dump')
            if not os.path.exists(out):
                raise TestError(f'{self.boot}: the image has no copy.bin after shutdown')
            with open(out, 'rb') as f:
                copy = f.read()
        if copy != self.data:
            diff = next((i for i, (x, y) in enumerate(zip(copy, self.data)) if x != y),
                        min(len(copy), len(self.data)))
            raise TestError(f'{self.boot}: copy.bin in the image ({len(copy)} bytes) differs '
                            f'from data.bin ({len(self.data)} bytes) from byte {diff}')


# ---------------------------------------------------------------- running

class Console:
    """Runs a command, timestamping each output line into a log, under a hard timeout."""

    current = None   # the running child, killed if this script is terminated

    def __init__(self, log_path):
        self.log_path = log_path
        self.lines = []
        self.timed_out = False
        self.status = None

    def run(self, argv, timeout):
        start = time.monotonic()
        with open(self.log_path, 'w') as logf:
            logf.write('# ' + ' '.join(argv) + '\n')
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            Console.current = proc
            fd = proc.stdout.fileno()
            buf = b''
            eof = False
            while not eof:
                left = start + timeout - time.monotonic()
                if left <= 0:
                    self.timed_out = True
                    break
                ready, _, _ = select.select([fd], [], [], left)
                if not ready:
                    continue
                chunk = os.read(fd, 65536)
                eof = not chunk
                buf += chunk
                *full, buf = buf.split(b'\n')
                if eof and buf:
                    full.append(buf)
                for raw in full:
                    line = CONTROL_RE.sub('', raw.decode(errors='replace'))
                    t = time.monotonic() - start
                    self.lines.append((t, line))
                    logf.write(f'[{t:8.3f}] {line}\n')
                    logf.flush()
            try:
                self.status = proc.wait(timeout=max(1, start + timeout - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.timed_out = True
            if self.timed_out:
                proc.kill()
                self.status = proc.wait()
            proc.stdout.close()
            Console.current = None
            self.elapsed = time.monotonic() - start
            logf.write(f'# exit status {self.status}, {self.elapsed:.1f} s'
                       f'{", killed at the timeout" if self.timed_out else ""}\n')

    def find(self, pattern, after=0, before=None):
        """First (index, time, match) with after <= index < before."""
        rx = re.compile(pattern)
        for i in range(after, len(self.lines) if before is None else before):
            m = rx.search(self.lines[i][1])
            if m:
                return i, self.lines[i][0], m
        return None

    def tail(self, n=TAIL_LINES):
        with open(self.log_path) as f:
            lines = f.read().splitlines()
        return '\n'.join(lines[-n:])


class BootLog:
    """One boot's part of a console log: between L1's BEGIN and END lines for
    this image (or the next BEGIN) when nested, the whole log when direct."""

    def __init__(self, con, boot, nested):
        self.con, self.boot = con, boot
        self.start, self.limit, self.end = 0, None, None
        if nested:
            begin = con.find(rf'SKIFF-L1-BEGIN {boot}$')
            if begin is None:
                raise TestError(f'{boot}: L1 never started skiff for this image')
            self.start = begin[0]
            self.end = con.find(rf'SKIFF-L1-END {boot} status=(\d+)$', self.start)
            following = con.find(r'SKIFF-L1-BEGIN ', self.start + 1)
            self.limit = (self.end[0] if self.end else
                          following[0] if following else None)

    def want(self, pattern, missing):
        """The match of pattern in this boot's lines; raises TestError(missing) without one."""
        found = self.con.find(pattern, self.start, self.limit)
        if found is None:
            raise TestError(f'{self.boot}: {missing}')
        return found[2]

    def since_begin(self, pattern):
        """Seconds from this boot's first line to the first line matching pattern."""
        found = self.con.find(pattern, self.start, self.limit)
        return found[1] - self.con.lines[self.start][0] if found else None

    def tail(self, n=TAIL_LINES):
        stop = self.limit if self.limit is not None else len(self.con.lines)
        lines = self.con.lines[max(self.start, stop - n):stop]
        return '\n'.join(f'[{t:8.3f}] {line}' for t, line in lines)


def expect(boot, what, got, wanted):
    if got != wanted:
        raise TestError(f'{boot}: {what} is {got!r}, expected {wanted!r}')


def check_disk_log(blog, disk):
    """L2's view of the disk: the serial skiff gave it, the token and data the
    image holds; then whether its writes and unmount worked."""
    m = blog.want(r'SKIFF-L2-DISK serial=(\S*) (mount-failed|token=(\S*) data=(\S*))$',
                  'L2 printed no SKIFF-L2-DISK line (is skiff.disk=1 on its command line?)')
    expect(blog.boot, 'the virtio-blk serial L2 read', m.group(1), disk.serial)
    if m.group(2) == 'mount-failed':
        raise TestError(f'{blog.boot}: L2 could not mount the ext4 image on /dev/vda')
    expect(blog.boot, 'the token L2 read from the image', m.group(3), disk.token)
    expect(blog.boot, 'the SHA-256 of data.bin as L2 read it', m.group(4),
           hashlib.sha256(disk.data).hexdigest())
    m = blog.want(r'SKIFF-L2-DISK-WRITE status=(\d+)$', 'L2 printed no SKIFF-L2-DISK-WRITE line')
    expect(blog.boot, 'the status of L2 writing, syncing and unmounting', m.group(1), '0')


def check_net_log(blog, blob_sha):
    boot = blog.boot
    m = blog.want(r'SKIFF-L2-NET-UP mac=(\S*) status=(\d+)$',
                  'L2 printed no SKIFF-L2-NET-UP line (is skiff.net=1 on its command line?)')
    expect(boot, 'the status of configuring eth0 in L2', m.group(2), '0')
    expect(boot, "L2's eth0 MAC address", m.group(1), L2_MAC)
    m = blog.want(r'SKIFF-L2-PING status=(\d+) received=(\d*)$', 'L2 printed no SKIFF-L2-PING line')
    expect(boot, 'the ping replies L2 got from 192.168.249.1 (status, received)',
           m.groups(), ('0', '3'))
    m = blog.want(r'SKIFF-L2-NET-GET status=(\d+) sha=(\S*)$',
                  'L2 printed no SKIFF-L2-NET-GET line')
    expect(boot, 'the status of L2 downloading the blob', m.group(1), '0')
    expect(boot, 'the SHA-256 of the blob L2 downloaded from L1', m.group(2), blob_sha)
    m = blog.want(r'SKIFF-L2-NET-POST status=(\d+) sent=(\S*) l1-got=(\S*)$',
                  'L2 printed no SKIFF-L2-NET-POST line')
    expect(boot, 'the status of L2 uploading its blob', m.group(1), '0')
    if not re.fullmatch(HEX64, m.group(2)):
        raise TestError(f'{boot}: L2 printed no hash of its upload: {m.group(2)!r}')
    expect(boot, 'the SHA-256 of what L1 received from L2', m.group(3), m.group(2))
    m = blog.want(r'SKIFF-L2-NET-PINGED status=(\d+) l1-ping=(\S*)$',
                  'L2 printed no SKIFF-L2-NET-PINGED line')
    expect(boot, "L1's ping of L2 (wget status, ping result)", m.groups(),
           ('0', 'status=0,received=3'))


def check_boot(con, boot, nested, disk=None, blob_sha=None):
    """Raises TestError naming the failed step unless the boot passed.
    disk: the boot's Disk if it had one; blob_sha: L1's blob hash if net was tested."""
    blog = BootLog(con, boot, nested)
    m = blog.want(MARKER_RE.pattern,
                  'the guest kernel never ran its /init (no SKIFF-L2-MARKER line)')
    expect(boot, 'the number of CPUs online in L2', int(m.group(1)), L2_CPUS)
    m = blog.want(RNG_RE.pattern, 'L2 printed no SKIFF-L2-RNG line')
    expect(boot, 'the virtio-rng device L2 uses, and the bytes it read',
           (m.group(1), m.group(2)), ('virtio_rng.0', '64'))
    # An ASan/UBSan build of skiff reports here; UBSan would still exit 0.
    m = con.find(r'runtime error:|ERROR: \w+Sanitizer', blog.start,
                 blog.end[0] + 1 if blog.end else blog.limit)
    if m is not None:
        raise TestError(f'{boot}: a sanitizer reported an error in skiff: {m[2].string}')
    if disk is not None:
        check_disk_log(blog, disk)
    if blob_sha is not None:
        check_net_log(blog, blob_sha)
    if nested:
        if blog.end is None:
            raise TestError(f'{boot}: skiff did not exit after L2 printed its marker '
                            '(no SKIFF-L1-END line; did L2 power off?)')
        status = int(blog.end[2].group(1))
        steps = [('L2 /init', MARKER_RE.pattern), ('disk done', r'SKIFF-L2-DISK-WRITE '),
                 ('net done', r'SKIFF-L2-NET-PINGED ')]
        times = [(name, blog.since_begin(rx)) for name, rx in steps]
        times.append(('skiff exit', blog.end[1] - con.lines[blog.start][0]))
        log(f'{boot}: seconds after skiff started: ' +
            ', '.join(f'{name} {t:.1f}' for name, t in times if t is not None))
    else:
        status = con.status
    if status != 0:
        why = {137: ' (killed at the timeout)'}.get(status, '')
        raise TestError(f'{boot}: skiff exit status {status}{why}, expected 0')
    if disk is not None and nested:
        m = con.find(rf'SKIFF-L1-DISK-SAVED {boot} status=(\d+)$', blog.start)
        if m is None or m[2].group(1) != '0':
            raise TestError(f'{boot}: L1 did not write the image back to its disk '
                            f'({m[2].group(0) if m else "no SKIFF-L1-DISK-SAVED line"})')


def check_l1(con, net):
    """Returns the hash of the blob L1 serves when net is tested."""
    init = con.find(r'SKIFF-L1-INIT$')
    if init is None:
        raise TestError('L1 never reached its /init')
    log(f'L1 reached /init after {init[1]:.1f} s')
    fail = con.find(r'SKIFF-L1-FAIL (.*)$')
    if fail is not None:
        raise TestError(f'L1: {fail[2].group(1)}')
    kvm = con.find(r'SKIFF-L1-KVM nested=(\S+)$')
    if kvm is None:
        raise TestError('L1 did not get /dev/kvm')
    log(f'L1 has /dev/kvm after {kvm[1]:.1f} s (kvm_amd nested={kvm[2].group(1)})')
    if net:
        blob = con.find(rf'SKIFF-L1-BLOB sha=({HEX64})$')
        if blob is None:
            raise TestError('L1 printed no SKIFF-L1-BLOB line '
                            '(is skiff.net=1 on its command line?)')
        return blob[2].group(1)
    return None


def run_nested(args, kernel, busybox, l2_initrd, disks):
    with Lock(args.cache):
        l1_initrd = build_l1_initrd(args.cache, args.skiff, busybox, kernel, l2_initrd,
                                    args.l1_extra)
    cmdline = (f'console=ttyS0 quiet panic=-1 skiff.boots={",".join(args.boot)} '
               f'skiff.timeout={args.skiff_timeout}')
    if args.skiff_verbose:
        cmdline += ' skiff.verbose=1'
    if disks:
        cmdline += ' skiff.disk=1'
    if args.with_net:
        cmdline += ' skiff.net=1'
    argv = [args.qemu, '-M', 'q35,accel=tcg', '-cpu', 'EPYC,+svm', '-smp', '2', '-m', '2048',
            '-kernel', kernel['bzimage'], '-initrd', l1_initrd, '-append', cmdline,
            '-nographic', '-no-reboot', '-nodefaults', '-serial', 'stdio']
    # L1 finds each boot's disk by its serial (l1-init.sh).
    for boot, disk in disks.items():
        argv += ['-drive', f'file={disk.path},if=none,id=disk-{boot},format=raw',
                 '-device', f'virtio-blk-pci,drive=disk-{boot},serial=skiff-{boot}']
    con = Console(os.path.join(args.log_dir, f'nested-{"-".join(args.boot)}.log'))
    log(f'starting L1 (QEMU TCG), log in {con.log_path}')
    con.run(argv, args.timeout)
    log(f'L1 ran {con.elapsed:.1f} s, QEMU exit status {con.status}'
        f'{" (killed at the timeout)" if con.timed_out else ""}')
    return con


def run_direct(args, kernel, l2_initrd, disks):
    """The net checks need L1's tap peer (its HTTP server), so they are not run here."""
    cons = []
    for boot in args.boot:
        cmdline = L2_CMDLINE + (' skiff.disk=1' if boot in disks else '')
        argv = [args.skiff] + (['-v'] if args.skiff_verbose else []) + [
            '--kernel', kernel[BOOTS[boot]],
            '--initramfs', l2_initrd, '--cmdline', cmdline,
            '--cpus', f'boot={L2_CPUS}', '--memory', 'size=512M', '--serial', 'tty',
            '--rng', 'src=/dev/urandom']
        if boot in disks:
            argv += ['--disk', f'path={disks[boot].path},serial={disks[boot].serial}']
        con = Console(os.path.join(args.log_dir, f'direct-{boot}.log'))
        log(f'starting skiff on the host for {boot}, log in {con.log_path}')
        con.run(argv, args.skiff_timeout)
        if con.timed_out:
            con.status = 137
        cons.append((boot, con))
    return cons


def kvm_runs_native(args):
    """Whether /dev/kvm runs guest code at native speed: a PVH guest counting
    down 50 million loop iterations finishes within 3 s there (milliseconds of
    guest time), and would take over a minute where every instruction is
    emulated."""
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        return False
    with tempfile.TemporaryDirectory(prefix='skiff-probe-') as tmp:
        obj, elf = os.path.join(tmp, 'probe.o'), os.path.join(tmp, 'probe.elf')
        run(['gcc', '-c', '-o', obj, os.path.join(HERE, 'probe.S')], what='assembling the probe')
        run(['ld', '-static', '-nostdlib', '--build-id=none', '-z', 'noexecstack',
             '-T', os.path.join(HERE, 'probe.ld'), '-o', elf, obj], what='linking the probe')
        try:
            r = subprocess.run([args.qemu, '-M', 'microvm', '-enable-kvm',
                                '-cpu', 'host,-arch-capabilities', '-m', '32M', '-nodefaults',
                                '-nographic', '-device', 'isa-debug-exit,iobase=0xf4',
                                '-kernel', elf], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=3)
        except subprocess.TimeoutExpired:
            return False
        # isa-debug-exit: QEMU exits with (value << 1) | 1; the probe writes 0x10.
        return r.returncode == 0x21


class Lock:
    def __init__(self, cache):
        os.makedirs(cache, exist_ok=True)
        self.path = os.path.join(cache, 'lock')

    def __enter__(self):
        self.f = open(self.path, 'w')
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def terminate(signum, frame):
    if Console.current is not None:
        Console.current.kill()
    sys.exit(f'run-nested: terminated by signal {signum}')


def main():
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--skiff', required=True, help='the skiff binary to test')
    ap.add_argument('--boot', action='append', choices=sorted(BOOTS),
                    help='image to boot: bzimage or pvh (repeatable; default both)')
    ap.add_argument('--cache', default='nested-cache', help='asset cache directory')
    ap.add_argument('--log-dir', help='where console logs go (default: the cache)')
    ap.add_argument('--mode', choices=['auto', 'nested', 'direct'], default='auto',
                    help='direct: skiff on this /dev/kvm; nested: inside a QEMU TCG L1; '
                    'auto: direct if a probe shows /dev/kvm at native speed')
    ap.add_argument('--qemu', default=shutil.which('qemu-system-x86_64'))
    ap.add_argument('--timeout', type=int, default=900, help='hard limit for L1, seconds')
    ap.add_argument('--skiff-timeout', type=int, default=300, help='limit for each skiff run')
    ap.add_argument('--skiff-verbose', action='store_true', help='run skiff with -v')
    ap.add_argument('--l1-extra', action='append', default=[], metavar='PATH',
                    help='also put this host file (and its libraries) into L1, at the same path')
    ap.add_argument('--no-disk', dest='with_disk', action='store_false',
                    help='skip the virtio-blk checks')
    ap.add_argument('--with-net', action='store_true',
                    help='also check virtio-net (nested mode: skiff in L1 needs a tap)')
    ap.add_argument('--prepare-only', action='store_true', help='fetch and build assets, then stop')
    args = ap.parse_args()
    args.boot = args.boot or sorted(BOOTS)
    args.cache = os.path.abspath(args.cache)
    args.log_dir = os.path.abspath(args.log_dir or args.cache)
    args.skiff = os.path.abspath(args.skiff)
    args.l1_extra = [os.path.abspath(p) for p in args.l1_extra]
    os.makedirs(args.log_dir, exist_ok=True)

    step = 'preparing assets'
    con = None
    failed_boot = None
    try:
        if not os.access(args.skiff, os.X_OK):
            raise TestError(f'{args.skiff} is not an executable')
        if not args.qemu:
            raise TestError('qemu-system-x86_64 is not installed')
        with Lock(args.cache):
            kernel, busybox, l2_initrd = prepare(args.cache)
        log(f'kernel {kernel["package"]}: bzImage and PVH vmlinux ready')
        if args.prepare_only:
            return 0
        step = 'probing /dev/kvm'
        mode = args.mode
        if mode == 'auto':
            mode = 'direct' if kvm_runs_native(args) else 'nested'
            speed = 'runs guest code natively' if mode == 'direct' else 'is slow or absent'
            log(f'/dev/kvm {speed}: {mode} mode')
        step = 'making the disk images'
        disks = {boot: Disk(boot, args.log_dir) for boot in args.boot} if args.with_disk else {}
        if mode == 'direct':
            if args.with_net:
                log('the virtio-net checks run in nested mode only: skipped')
            step = 'running skiff on the host'
            for boot, con in run_direct(args, kernel, l2_initrd, disks):
                step = f'checking the {boot} boot'
                failed_boot = (con, boot, False)
                check_boot(con, boot, nested=False, disk=disks.get(boot))
                if boot in disks:
                    disks[boot].check_written(kernel['release'])
                log(f'{boot}: PASS ({con.elapsed:.1f} s)')
        else:
            step = 'running L1'
            con = run_nested(args, kernel, busybox, l2_initrd, disks)
            step = 'checking L1'
            blob_sha = check_l1(con, args.with_net)
            for boot in args.boot:
                step = f'checking the {boot} boot'
                failed_boot = (con, boot, True)
                check_boot(con, boot, nested=True, disk=disks.get(boot), blob_sha=blob_sha)
                if boot in disks:
                    step = f'reading the {boot} image after shutdown'
                    disks[boot].check_written(kernel['release'])
                checked = ['rng'] + ['disk'] * (boot in disks) + ['net'] * args.with_net
                log(f'{boot}: PASS ({", ".join(checked)})')
    except TestError as e:
        print(f'FAIL while {step}: {e}', flush=True)
        l1_lines = TAIL_LINES
        # Direct mode: the console log is the boot's own log.
        if failed_boot is not None and failed_boot[2]:
            fcon, boot, nested = failed_boot
            try:
                section = BootLog(fcon, boot, nested).tail()
                print(f'----- {boot}: L2 serial and skiff, last {TAIL_LINES} lines -----')
                print(section)
                l1_lines = 20   # the end of L1's story; its boot section is above
            except TestError:
                pass
        if con is not None:
            what = 'console log (L1)' if failed_boot is None or failed_boot[2] else 'console log'
            print(f'----- {what}, last {l1_lines} lines ({con.log_path}) -----')
            print(con.tail(l1_lines))
            print('----- end of console log -----', flush=True)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
