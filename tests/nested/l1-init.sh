#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the L1 Linux that runs under QEMU with SVM exposed: load KVM with
# nested SVM, then let skiff boot the L2 kernel once per requested image
# (skiff.boots=bzimage,pvh on the kernel command line). Every step prints a
# SKIFF-L1-* line that the harness reads; L1 powers off at the end.
#
# skiff.disk=1: QEMU gives L1 one virtio disk per boot (serial skiff-BOOT)
# holding the ext4 image the harness made. skiff needs a regular file, so L1
# copies the disk into its RAM, lets L2 use the copy and writes the copy back
# after skiff exits; the harness reads what L2 wrote from its own image file
# once QEMU has exited.
# skiff.net=1: skiff gets a tap with the host address 192.168.249.1, where L1
# serves a random blob and two CGI scripts (see l2-init.sh) over HTTP.
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
disk=0
net=0
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        skiff.boots=*) boots=$(echo "${arg#skiff.boots=}" | tr , ' ') ;;
        skiff.timeout=*) skiff_timeout=${arg#skiff.timeout=} ;;
        skiff.verbose=1) verbose=-v ;;
        skiff.disk=1) disk=1 ;;
        skiff.net=1) net=1 ;;
    esac
done

insmod /lib/modules/nested/irqbypass.ko || fail "insmod irqbypass.ko status=$?"
insmod /lib/modules/nested/kvm.ko || fail "insmod kvm.ko status=$?"
insmod /lib/modules/nested/kvm-amd.ko nested=1 || fail "insmod kvm-amd.ko status=$?"
[ -c /dev/kvm ] || fail "no /dev/kvm after loading kvm-amd"
echo "SKIFF-L1-KVM nested=$(cat /sys/module/kvm_amd/parameters/nested)"
# virtio-blk for the disks QEMU gives L1, tun for skiff's tap; numbered in
# dependency order. Probing is synchronous: the devices exist afterwards.
for m in /lib/modules/l1/*.ko; do
    insmod "$m" || fail "insmod $m status=$?"
done

l2_cmdline="console=ttyS0 panic=-1"
if [ "$disk" = 1 ]; then
    l2_cmdline="$l2_cmdline skiff.disk=1"
fi
if [ "$net" = 1 ]; then
    l2_cmdline="$l2_cmdline skiff.net=1"
    [ -c /dev/net/tun ] || { mkdir -p /dev/net && mknod /dev/net/tun c 10 200; } ||
        fail "no /dev/net/tun"
    ip link set lo up
    mkdir -p /srv/cgi-bin
    dd if=/dev/urandom of=/srv/blob bs=64k count=16 2>/dev/null || fail "no blob"
    echo "SKIFF-L1-BLOB sha=$(sha256sum /srv/blob | cut -d' ' -f1)"
    cat >/srv/cgi-bin/sink <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
head -c "$CONTENT_LENGTH" | sha256sum | cut -d' ' -f1
EOF
    cat >/srv/cgi-bin/ping <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
ping -A -c 3 -W 5 192.168.249.2 >/tmp/ping.out 2>&1
status=$?
echo "status=$status,received=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping.out)"
EOF
    chmod 755 /srv/cgi-bin/sink /srv/cgi-bin/ping
    httpd -p 8080 -h /srv || fail "httpd status=$?"
fi

for boot in $boots; do
    case "$boot" in
        bzimage) kernel=/l2/bzImage ;;
        pvh) kernel=/l2/vmlinux ;;
        *) fail "unknown boot $boot" ;;
    esac
    set --
    dev=
    if [ "$disk" = 1 ]; then
        for b in /sys/block/vd*; do
            [ "$(cat "$b/serial" 2>/dev/null)" = "skiff-$boot" ] && dev=${b#/sys/block/}
        done
        [ -n "$dev" ] || fail "no virtio disk with serial skiff-$boot"
        dd if="/dev/$dev" of="/tmp/disk-$boot.img" bs=1M 2>/dev/null ||
            fail "copying /dev/$dev status=$?"
        echo "SKIFF-L1-DISK $boot dev=$dev"
        set -- "$@" --disk "path=/tmp/disk-$boot.img,serial=skiff-l2-$boot"
    fi
    if [ "$net" = 1 ]; then
        set -- "$@" --net "tap=skt0,ip=192.168.249.1,mask=255.255.255.0,mac=52:54:00:5c:1f:02"
    fi
    echo "SKIFF-L1-BEGIN $boot"
    timeout -s KILL "$skiff_timeout" /usr/bin/skiff $verbose --kernel "$kernel" \
        --initramfs /l2/initrd.gz --cmdline "$l2_cmdline" \
        --cpus boot=2 --memory size=512M --serial tty --rng src=/dev/urandom "$@" </dev/null
    echo "SKIFF-L1-END $boot status=$?"
    if [ -n "$dev" ]; then
        dd if="/tmp/disk-$boot.img" of="/dev/$dev" bs=1M conv=fsync 2>/dev/null
        echo "SKIFF-L1-DISK-SAVED $boot status=$?"
    fi
done
echo "SKIFF-L1-DONE"
poweroff -f
