#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the L2 guest that skiff boots: report the CPU count the kernel
# brought up, exercise the virtio devices the harness asked for on the kernel
# command line (skiff.disk=1: an ext4 file system on virtio-blk; skiff.net=1:
# virtio-net to the host side of skiff's tap), then power off through the
# kernel (reboot(RB_POWER_OFF), which on x86 ends in ACPI S5), so that skiff
# exits 0. Every result is a SKIFF-L2-* line that the harness checks; this
# script never decides on its own that a test passed.
export PATH=/bin
busybox mount -t proc proc /proc
busybox mount -t sysfs sysfs /sys
busybox mount -t devtmpfs devtmpfs /dev
n=$(busybox nproc)
echo "SKIFF-L2-MARKER nproc=$n"
if [ "$n" != 2 ]; then
    echo "SKIFF-L2: expected 2 CPUs online, the kernel brought up $n"
fi
# The virtio drivers, numbered in dependency order; each probes its devices
# before insmod returns, so /dev/vda and eth0 exist afterwards.
for m in /lib/modules/*.ko; do
    busybox insmod "$m" || echo "SKIFF-L2: insmod $m failed"
done
current=$(busybox cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
bytes=$(busybox dd if=/dev/hwrng bs=64 count=1 2>/dev/null | busybox wc -c)
echo "SKIFF-L2-RNG current=$current bytes=$bytes"

disk=0
net=0
for arg in $(busybox cat /proc/cmdline); do
    case "$arg" in
        skiff.disk=1) disk=1 ;;
        skiff.net=1) net=1 ;;
    esac
done

sha() {
    busybox sha256sum "$1" 2>/dev/null | busybox cut -d' ' -f1
}

# The harness put token.txt and data.bin into the image; it checks the token
# and the data's hash printed here, then reads result.txt and copy.bin back
# from the image after everything has shut down.
if [ "$disk" = 1 ]; then
    busybox mkdir -p /mnt
    serial=$(busybox cat /sys/block/vda/serial 2>/dev/null)
    if busybox mount -t ext4 /dev/vda /mnt; then
        token=$(busybox cat /mnt/token.txt)
        echo "SKIFF-L2-DISK serial=$serial token=$token data=$(sha /mnt/data.bin)"
        busybox cp /mnt/data.bin /mnt/copy.bin &&
            echo "$(echo "$token" | busybox rev) $(busybox uname -r)" >/mnt/result.txt &&
            busybox sync &&
            busybox umount /mnt
        echo "SKIFF-L2-DISK-WRITE status=$?"
    else
        echo "SKIFF-L2-DISK serial=$serial mount-failed"
    fi
fi

# L1's httpd serves blob (L2 prints the hash of what it got) and two CGI
# scripts: sink answers with the hash of the body L2 posts, ping has L1 ping
# L2 while this request waits, so L2 must answer echo requests it did not ask for.
if [ "$net" = 1 ]; then
    host=192.168.249.1
    busybox ip link set lo up
    busybox ip link set eth0 up &&
        busybox ip addr add 192.168.249.2/24 dev eth0
    status=$?
    echo "SKIFF-L2-NET-UP mac=$(busybox cat /sys/class/net/eth0/address 2>/dev/null) status=$status"
    busybox ping -A -c 3 -W 5 "$host" >/tmp/ping.out 2>&1
    status=$?
    received=$(busybox sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping.out)
    echo "SKIFF-L2-PING status=$status received=$received"
    busybox wget -q -O /tmp/blob "http://$host:8080/blob" 2>/dev/null
    echo "SKIFF-L2-NET-GET status=$? sha=$(sha /tmp/blob)"
    # wget posts the file as a C string: base64 keeps NUL bytes out of it.
    busybox dd if=/dev/urandom bs=64k count=12 2>/dev/null | busybox base64 >/tmp/upload
    answer=$(busybox wget -q -O - --post-file /tmp/upload \
        "http://$host:8080/cgi-bin/sink" 2>/dev/null)
    echo "SKIFF-L2-NET-POST status=$? sent=$(sha /tmp/upload) l1-got=$answer"
    answer=$(busybox wget -q -O - "http://$host:8080/cgi-bin/ping" 2>/dev/null)
    echo "SKIFF-L2-NET-PINGED status=$? l1-ping=$answer"
fi
busybox poweroff -f
# Only reached if the power-off request returned.
echo "SKIFF-L2: poweroff -f returned"
