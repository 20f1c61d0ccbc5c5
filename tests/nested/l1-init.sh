#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the L1 Linux that runs under QEMU with SVM exposed: load KVM with
# nested SVM, then let skiff boot the L2 kernel once per requested image
# (skiff.boots=bzimage,pvh on the kernel command line). Every step prints a
# SKIFF-L1-* line that the harness reads; L1 powers off at the end.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "SKIFF-L1-INIT"

fail() {
    echo "SKIFF-L1-FAIL $*"
    poweroff -f
}

boots=bzimage
skiff_timeout=300
verbose=
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        skiff.boots=*) boots=$(echo "${arg#skiff.boots=}" | tr , ' ') ;;
        skiff.timeout=*) skiff_timeout=${arg#skiff.timeout=} ;;
        skiff.verbose=1) verbose=-v ;;
    esac
done

insmod /lib/modules/nested/irqbypass.ko || fail "insmod irqbypass.ko status=$?"
insmod /lib/modules/nested/kvm.ko || fail "insmod kvm.ko status=$?"
insmod /lib/modules/nested/kvm-amd.ko nested=1 || fail "insmod kvm-amd.ko status=$?"
[ -c /dev/kvm ] || fail "no /dev/kvm after loading kvm-amd"
echo "SKIFF-L1-KVM nested=$(cat /sys/module/kvm_amd/parameters/nested)"

for boot in $boots; do
    case "$boot" in
        bzimage) kernel=/l2/bzImage ;;
        pvh) kernel=/l2/vmlinux ;;
        *) fail "unknown boot $boot" ;;
    esac
    echo "SKIFF-L1-BEGIN $boot"
    timeout -s KILL "$skiff_timeout" /usr/bin/skiff $verbose --kernel "$kernel" \
        --initramfs /l2/initrd.gz --cmdline "console=ttyS0 panic=-1" \
        --cpus boot=2 --memory size=512M --serial tty --rng src=/dev/urandom </dev/null
    echo "SKIFF-L1-END $boot status=$?"
done
echo "SKIFF-L1-DONE"
poweroff -f
