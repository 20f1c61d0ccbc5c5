#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the L2 guest that skiff boots: report the CPU count the kernel
# brought up, then power off through the kernel (reboot(RB_POWER_OFF), which
# on x86 ends in ACPI S5), so that skiff exits 0.
export PATH=/bin
busybox mount -t proc proc /proc
busybox mount -t sysfs sysfs /sys
busybox mount -t devtmpfs devtmpfs /dev
n=$(busybox nproc)
echo "SKIFF-L2-MARKER nproc=$n"
if [ "$n" != 2 ]; then
    echo "SKIFF-L2: expected 2 CPUs online, the kernel brought up $n"
fi
# virtio-rng through skiff's virtio-pci: load the drivers, read from the device.
for m in /lib/modules/*.ko; do
    busybox insmod "$m" || echo "SKIFF-L2: insmod $m failed"
done
current=$(busybox cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
bytes=$(busybox dd if=/dev/hwrng bs=64 count=1 2>/dev/null | busybox wc -c)
echo "SKIFF-L2-RNG current=$current bytes=$bytes"
busybox poweroff -f
# Only reached if the power-off request returned.
echo "SKIFF-L2: poweroff -f returned"
