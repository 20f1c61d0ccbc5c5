#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The main job: install what is missing, build skiff, boot the bundled demo
# guest on /dev/kvm and show its serial console.
set -eu
cd "$(dirname "$0")/.."

./scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build
echo "--- booting the demo guest: build/backend/skiff --kernel build/tests/guest/demo.elf --cpus boot=2 --memory size=128M --serial tty"
timeout 120 build/backend/skiff --kernel build/tests/guest/demo.elf --cmdline "console=ttyS0" \
    --cpus boot=2 --memory size=128M --serial tty </dev/null
echo "--- skiff exited with status $? (0: the guest powered off)"
