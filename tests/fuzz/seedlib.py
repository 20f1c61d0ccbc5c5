# SPDX-License-Identifier: LGPL-2.1-or-later
"""What every make-*-seeds.py shares: write each seed into the corpus
directory (the first argument, or corpus/NAME beside this file)."""
import os
import sys


def write_seeds(corpus, seeds):
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", corpus)
    os.makedirs(out, exist_ok=True)
    for name, make in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(make().data())
