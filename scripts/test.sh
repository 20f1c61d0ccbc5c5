#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole test suite: unit tests, guest programs on /dev/kvm, the REST API,
# virtskiffd with the real virsh and python-libvirt, and nested real Linux in
# the normal build (-Werror); all but the nested tests again under ASan+UBSan;
# fuzz smoke runs with clang. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."

./scripts/deps.sh || exit 1
export TZ=UTC LC_ALL=C.UTF-8
root=${SKIFF_TEST_DIR:-build-test}
status=0

setup() {   # dir, meson args...
    dir=$1
    shift
    if [ ! -d "$dir" ]; then
        meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
    fi
    ninja -C "$dir" || return 1
}

run_suites() {   # dir, meson test args...
    dir=$1
    shift
    meson test -C "$dir" --print-errorlogs "$@" || status=1
}

mkdir -p "$root"
if setup "$root/main" -Dwerror=true; then
    run_suites "$root/main" --suite unit --suite guest --suite api --suite driver --suite nested
else
    echo "BUILD FAILED: main"; status=1
fi
if setup "$root/asan" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dnested=disabled; then
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
        run_suites "$root/asan" --suite unit --suite guest --suite api --suite driver
else
    echo "BUILD FAILED: asan"; status=1
fi
if CC=clang setup "$root/fuzz" -Dwerror=true -Dnested=disabled; then
    run_suites "$root/fuzz" --suite fuzz
else
    echo "BUILD FAILED: fuzz"; status=1
fi

python3 scripts/test-summary.py "$root/main" "$root/asan" "$root/fuzz" || status=1
exit $status
