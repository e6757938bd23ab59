#!/bin/sh
# /init of the nested harness's L1 guest (busybox, Debian cloud kernel).
# Loads the modules in /modules/load-order (irqbypass, kvm, kvm-amd, virtio),
# checks /dev/kvm, finds the payload (in the initramfs at /payload, or on the
# virtio-blk disk /dev/vda), runs /payload/test.sh under a timeout and reports
# its exit status as "NESTED-L1-EXIT rc=N" before powering off.
# Lines "ok ..."/"not ok ..." are TAP; l1-run.sh renumbers them.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /tmp /run /dev/pts
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs run /run
echo "NESTED-MARK l1-init uptime=$(cut -d' ' -f1 /proc/uptime)"

arg() { # value of nested.$1= on the kernel command line
	for w in $(cat /proc/cmdline); do
		case "$w" in "nested.$1="*) echo "${w#*=}"; return ;; esac
	done
}
finish() {
	echo "NESTED-L1-EXIT rc=$1"
	sync
	poweroff -f
	reboot -f
	exit "$1"
}

failed=""
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/modules/$m" 2>/tmp/insmod.err || failed="$failed $m($(cat /tmp/insmod.err))"
done </modules/load-order
if [ -z "$failed" ]; then
	echo "ok - l1: modules loaded ($(tr '\n' ' ' </modules/load-order))"
else
	echo "not ok - l1: insmod failed:$failed"
fi
if [ -c /dev/kvm ] && grep -q '^kvm_amd ' /proc/modules; then
	echo "ok - l1: /dev/kvm present (kvm_amd, nested SVM, uptime $(cut -d' ' -f1 /proc/uptime))"
else
	echo "not ok - l1: /dev/kvm missing after loading kvm-amd"
	grep -c svm /proc/cpuinfo | sed 's/^/# l1: cpus with svm flag: /'
	dmesg | grep -iE 'kvm|svm' | tail -5 | sed 's/^/# l1: /'
fi

if [ "$(arg transport)" = disk ]; then
	mkdir -p /payload
	i=0
	while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if ! mount -t ext4 -o ro /dev/vda /payload 2>/tmp/mount.err; then
		echo "not ok - l1: mount payload disk /dev/vda: $(cat /tmp/mount.err)"
		finish 125
	fi
fi
if [ ! -f /payload/test.sh ]; then
	echo "not ok - l1: payload has no test.sh"
	finish 125
fi
# Payload binaries may be dynamic: their loader and libraries live in
# /payload/lib (see docs/nested-harness.md).
if [ -e /payload/lib/ld-linux-x86-64.so.2 ]; then
	mkdir -p /lib64
	ln -sf /payload/lib/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2
	export LD_LIBRARY_PATH=/payload/lib
fi
export PAYLOAD=/payload NESTED_TMP=/tmp
t=$(arg timeout)
cd /payload || finish 125
timeout -s KILL "${t:-600}" sh /payload/test.sh
rc=$?
[ $rc = 137 ] && echo "not ok - l1: test.sh killed after ${t:-600} s (L1 timeout)"
finish $rc
