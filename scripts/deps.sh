#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs the Debian 12 packages skiff's build, tests and benchmarks need, if any is missing.
set -eu

packages="meson ninja-build pkg-config gcc clang libclang-rt-14-dev python3 gettext
libglib2.0-dev libjson-glib-dev libxml2-dev libseccomp-dev libfdt-dev liburing-dev
libtirpc-dev rpcsvc-proto check acpica-tools qemu-system-x86 busybox-static cpio zstd
xz-utils kmod binutils procps python3-yaml e2fsprogs
libvirt-dev libvirt-clients python3-libvirt libsystemd-dev systemd
virt-manager xvfb imagemagick python3-dogtail xdotool dbus-daemon at-spi2-core
fonts-dejavu-core"

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "skiff: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi
