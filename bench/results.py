# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the benchmarks share about bench/RESULTS.md: the commit their
figures belong to, and replacing one benchmark's section between its
markers while keeping the others."""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def source_commit():
    """The commit of the tree this benchmark is in (build skiff from it)."""
    def git(*argv):
        r = subprocess.run(['git', '-C', HERE, *argv], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None
    try:
        head = git('rev-parse', '--short', 'HEAD')
        # The benchmark's own files do not change skiff.
        dirty = git('status', '--porcelain', '--', ':/', ':(top,exclude)bench')
    except OSError:
        return 'unknown'
    if not head:
        return 'unknown'
    return head + (' with uncommitted changes outside bench/' if dirty else '')


def write_section(path, begin, end, text):
    """text (which starts with begin and ends with end) replaces the section
    between those markers in path, or is appended when there is none."""
    try:
        with open(path) as f:
            old = f.read()
    except FileNotFoundError:
        old = ''
    if begin in old and end in old:
        head = old[:old.index(begin)]
        tail = old[old.index(end) + len(end):].lstrip('\n')
        new = head + text + ('\n' + tail if tail else '')
    else:
        new = old.rstrip('\n') + ('\n\n' if old else '') + text
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(new)
    os.replace(tmp, path)
