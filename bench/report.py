# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/RESULTS.md from the figures startup.py measured in one run."""

import json


def fmt_ms(x):
    return f'{x:.2f} ms'


def fmt_kib(x):
    return f'{x / 1024:.2f} MiB'


def ratio(a, b):
    return f'{a / b:.3f}' if a and b else 'n/a'


def render(info, res, runs, guest_ram_mib, qemu_cpu):
    q = res['qemu_start']
    create_body = {'payload': {'kernel': 'first-insn.elf'}, 'cpus': {'boot_vcpus': 1},
                   'memory': {'size': guest_ram_mib << 20}, 'serial': {'mode': 'Tty'}}
    lines = [
        '# skiff startup and memory against QEMU',
        '',
        f'Written by `bench/run` on {info["date"]}, skiff built from commit {info["commit"]}. '
        f'Machine: {info["cpu"]}, {info["cores"]} cores, Linux {info["kernel"]}; '
        f'{info["qemu"]}. {runs} startup runs each, memory figures are medians of '
        f'{res["mem_runs"]} runs; 1 vCPU, {guest_ram_mib} MiB guest RAM, the same PVH image '
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
    ap, af = res.get('api_ping'), res.get('api_first')
    qf, qx = res['qemu_first'], res['qemu_exit']
    if s:
        row('skiff: exec → first guest output byte (bounds exec → first instruction)', s,
            bold=True)
        row('skiff --api-socket: exec → vmm.ping answered', ap, bold=True)
    row('QEMU microvm -S: exec → QMP answered', q)
    if s:
        row('skiff API-driven: exec → vmm.ping → vm.create → vm.boot → first guest output '
            'byte', af)
        row('skiff API-driven, same runs: exec → vm.boot answered', res['api_boot_answered'])
    row('QEMU microvm: exec → first guest output byte', qf)
    if sx:
        row('skiff: exec → exit after the guest\'s power-off (includes teardown)', sx)
    row('QEMU microvm: exec → exit through isa-debug-exit', qx)
    row('floor: /bin/echo, exec → first output byte', res['floor_first'])
    row('floor: /bin/echo, exec → exit', res['floor_exit'])
    if res.get('lib_floor_first'):
        row('floor: a program that only writes the byte, linked against skiff\'s shared '
            'libraries, exec → first output byte', res['lib_floor_first'])
    if s:
        ratio_row('ratio skiff first byte / QEMU -S QMP answered', s, q, bold=True)
        ratio_row('ratio skiff vmm.ping answered / QEMU -S QMP answered', ap, q, bold=True)
        ratio_row('ratio skiff first byte / QEMU first byte', s, qf)
        ratio_row('ratio skiff API-driven first byte / QEMU first byte', af, qf)
        ratio_row('ratio skiff exit / QEMU exit', sx, qx)
    lines += [
        '',
        '## Memory beyond guest RAM',
        '',
    ]
    sm, sa, se = res.get('skiff_mem'), res.get('skiff_api_mem'), res.get('skiff_api_empty_mem')
    if sm:
        lines += [
            f'skiff is dynamically linked ({sa["libs"]:.0f} shared libraries mapped: json-glib, '
            'which the REST API needs, has no static library in Debian 12), so its RSS counts '
            'every resident page of those libraries in full, although other processes share '
            'them; PSS shares them out among the processes mapping them, private counts only '
            'pages no other process maps. RSS is the headline figure; PSS and private stand '
            'beside it. RSS moves by a few hundred KiB from run to run (which resident library '
            'pages a process maps depends on fault-around and the page cache), private by a '
            'few KiB: compare the private column for small differences between skiff rows.',
            '',
        ]
    lines += [
        '| | RSS beyond guest RAM (min–max) | private beyond guest RAM '
        '| PSS beyond guest RAM | guest RAM resident |',
        '|---|---|---|---|---|',
    ]
    rows = [('skiff (command line), idle guest running (vCPU halted in the guest)', sm, False),
            ('skiff --api-socket, idle guest created and booted through the API', sa, True),
            ('skiff --api-socket, no VM (empty VMM, whole process)', se, False),
            ('QEMU microvm -S, QMP answered', res['qemu_mem'], False),
            ('QEMU microvm with QMP, idle guest running', res['qemu_mem_run'], False)]
    for name, m, bold in rows:
        if m:
            b = '**' if bold else ''
            guest = 'no VM' if m is se else fmt_kib(m['guest_rss'])
            spread = f'{m["Rss_min"] / 1024:.2f}–{m["Rss_max"] / 1024:.2f}'
            lines.append(f'| {b}{name}{b} | {b}{fmt_kib(m["Rss"])}{b} ({spread}) '
                         f'| {fmt_kib(m["Private"])} | {fmt_kib(m["Pss"])} | {guest} |')
    if sm:
        qm = res['qemu_mem']
        lines.append(f'| ratio skiff (command line) / QEMU -S | {ratio(sm["Rss"], qm["Rss"])} '
                     f'| {ratio(sm["Private"], qm["Private"])} | {ratio(sm["Pss"], qm["Pss"])} '
                     '| |')
        lines.append('| **ratio skiff API / QEMU -S with QMP** '
                     f'| **{ratio(sa["Rss"], qm["Rss"])}** '
                     f'| {ratio(sa["Private"], qm["Private"])} | {ratio(sa["Pss"], qm["Pss"])} '
                     '| |')
    lines += ['', '## Against the targets', '']
    if s and sm:
        def met(ok):
            return 'met' if ok else 'missed'
        lines += [f'- startup under 3 ms: {met(s["median"] < 3.0)} ({fmt_ms(s["median"])} '
                  'median, exec → first guest output byte); with the API: '
                  f'{met(ap["median"] < 3.0)} ({fmt_ms(ap["median"])} median, exec → vmm.ping '
                  'answered)',
                  f'- memory under 2 MiB beyond guest RAM: {met(sm["Rss"] < 2048)} '
                  f'({fmt_kib(sm["Rss"])} RSS, {fmt_kib(sm["Pss"])} PSS); with the API: '
                  f'{met(sa["Rss"] < 2048)} ({fmt_kib(sa["Rss"])} RSS, {fmt_kib(sa["Pss"])} PSS)']
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
        '- The library floor is a C program whose `main` only writes `!`, built in the run '
        'and linked against the shared libraries skiff names (its `NEEDED` entries, '
        'with everything they pull in): what loading, relocating and initialising them costs '
        'any process before its `main`, timed like /bin/echo. It is part of every skiff '
        'row, with or without the API.',
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
        f'- skiff runs `--kernel first-insn.elf --cpus boot=1 --memory size={guest_ram_mib}M '
        '--serial tty` (COM1 to its stdout).',
        '- The API rows run `skiff --api-socket fd=N`: the benchmark creates the listening '
        'unix socket, leaves it open across `posix_spawn` (not close-on-exec) and, right '
        'after the spawn, connects and sends `GET /api/v1/vmm.ping`; the connection waits in '
        'the listen backlog until skiff accepts it, so nothing polls. "vmm.ping answered" is '
        'the time the whole HTTP response (head and the Content-Length body) had been read; '
        'each answer is checked (200, a VmmPingResponse with the child\'s pid). Each run then '
        'sends `vmm.shutdown` and checks the 204 and exit status 0. This is the counterpart '
        'of QEMU\'s exec → QMP answered: both are a management client\'s first answer.',
        '- The API-driven start sends, on the same keep-alive connection and each after the '
        f'previous answer, `vmm.ping`, `vm.create` with `{json.dumps(create_body)}` (the '
        'kernel by its absolute path; COM1 to skiff\'s stdout, the pipe) and `vm.boot`, and '
        'times the guest\'s `!` on the pipe; the 204 of `vm.boot` and the byte are waited for '
        'together with `select`, so neither delays the other\'s timestamp. The guest\'s '
        'power-off leaves skiff serving (VM state Shutdown); `vmm.shutdown` ends it.',
        f'- QEMU runs `-M microvm -enable-kvm -cpu {qemu_cpu} -m {guest_ram_mib}M -smp 1 '
        '-nodefaults '
        '-nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=1 -kernel '
        'first-insn.elf`: microvm\'s legacy ISA serial (on by default) puts COM1 on its '
        'stdout. Its first-byte figure includes microvm\'s firmware (`bios-microvm.bin`, '
        'which QEMU always runs first and which loads the kernel), as its path to the guest\'s '
        'first instruction does. The same command with `-S` and a QMP monitor on an inherited '
        'listening socket is timed until it sent its greeting and answered '
        '`qmp_capabilities` (the guest never runs), the comparison the startup target names. '
        '(`-cpu host` alone makes this QEMU abort on some KVMs setting MSR 0x10a.)',
        '- The runs are interleaved (echo, library floor, skiff, skiff vmm.ping, skiff API-driven, '
        'QEMU -S, QEMU), after one warm-up run of each, so drift hits all alike.',
        '- Memory is read from /proc/PID/smaps: the sum of all mappings less the one mapping '
        'of guest RAM. skiff runs `idle.elf` (`cli; hlt`) and is read once a thread sleeps in '
        'kvm_vcpu_block, i.e. after the guest ran: from the command line (`--kernel idle.elf '
        f'--cpus boot=1 --memory size={guest_ram_mib}M --serial null`), and with '
        '`--api-socket fd=N` and the VM made by `vm.create` (serial Null) and `vm.boot`. '
        'The empty VMM is skiff with `--api-socket fd=N` read once `vmm.ping` was answered, '
        'with nothing subtracted. '
        'QEMU has a QMP monitor in both its rows, `-S` (read once QMP answered) and running '
        'the idle guest. PSS and private depend on what else maps the same files at that '
        'moment: another QEMU running on the machine shares QEMU\'s pages and lowers both.',
        '- Guest-side costs depend on how fast the machine\'s KVM runs guest code (some '
        'virtualised CI machines emulate every guest instruction); host-side costs do not. '
        'Compare the ratios of one run, not absolute times across machines.',
        '',
    ]
    return '\n'.join(lines)
