#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The main job: install what is missing, build skiff and virtskiffd, start
# virtskiffd, then with the distribution's unmodified virsh define and start
# the demo domain (a guest that waits for the ACPI power button), show
# `virsh list --all`, `virsh dominfo` and the guest's serial console, shut it
# down through the power button, undefine it and stop the daemon.
# virtskiffd keeps all its state in a private directory for the run, so the
# demo touches nothing of the system's (not even a libvirt installed beside).
set -eu
cd "$(dirname "$0")/.."

./scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build

top=$(pwd)
state=$(mktemp -d "${TMPDIR:-/tmp}/skiff-demo.XXXXXX")
daemon=
reader=
cleanup() {
    [ -z "$reader" ] || kill "$reader" 2>/dev/null || true
    if [ -n "$daemon" ]; then
        kill "$daemon" 2>/dev/null || true
        wait "$daemon" 2>/dev/null || true
    fi
    rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every 0.1 s, at most SECONDS.
wait_for() {
    what=$1
    tries=$(($2 * 10))
    shift 2
    until "$@"; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            echo "demo: timed out waiting for $what" >&2
            exit 1
        fi
        sleep 0.1
    done
}

# show COMMAND...: prints the command and runs it, with the private directory
# written as $STATE in both.
show() {
    echo "\$ $*" | sed "s|$state|\$STATE|g; s|$top/||g"
    out=$("$@")
    printf '%s\n' "$out" | sed "s|$state|\$STATE|g"
}

echo "--- starting virtskiffd with its state in a private directory (\$STATE)"
build/driver/virtskiffd --state-dir "$state" --skiff "$top/build/backend/skiff" \
    --log-file "$state/virtskiffd.log" &
daemon=$!
wait_for "virtskiffd to listen" 10 test -S "$state/virtskiffd-sock"
uri="skiff:///system?socket=$state/virtskiffd-sock"
virsh="virsh -c $uri"

cat >"$state/demo.xml" <<EOF
<domain type='kvm'>
  <name>demo</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$top/build/tests/guest/powerbtn.elf</kernel>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <serial type='pty'/>
    <console type='pty'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF

show $virsh version --daemon
show $virsh define "$state/demo.xml"
show $virsh start demo
show $virsh list --all
show $virsh dominfo demo

# The guest's COM1 is a pty; read it in the background for the whole run
# (the pty keeps what the guest wrote before anyone opened it).
pty=$($virsh ttyconsole demo)
cat "$pty" >"$state/console.log" 2>/dev/null &
reader=$!
wait_for "the guest's banner" 30 grep -q "waiting for the power button" "$state/console.log"
echo "--- the guest's serial console so far ($pty):"
tr -d '\r' <"$state/console.log"
seen=$(wc -l <"$state/console.log")

show $virsh shutdown demo
wait_for "the guest to power off" 30 sh -c "$virsh domstate demo | grep -q 'shut off'"
show $virsh domstate --reason demo
show $virsh list --all
wait_for "the console to close" 10 sh -c "! kill -0 $reader 2>/dev/null"
reader=
# The pty goes away with skiff right after the guest's power-off, and with it
# whatever the kernel had not yet passed on to the reader: print whole lines.
echo "--- the guest's serial console after the power button:"
tail -n +"$((seen + 1))" "$state/console.log" | tr -d '\r' >"$state/after.log"
[ -z "$(tail -c 1 "$state/after.log")" ] || sed -i '$d' "$state/after.log"
cat "$state/after.log"
echo "--- virtskiffd's log of the domain:"
cat "$state/log/demo.log"

show $virsh undefine demo
show $virsh list --all
kill "$daemon"
wait "$daemon" || true
daemon=
echo "--- virtskiffd stopped; the demo guest powered off on the ACPI power button."
