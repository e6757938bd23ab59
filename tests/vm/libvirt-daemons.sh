#!/bin/bash
# Start or stop a private libvirtd + virtlogd pair for tests (no systemd here).
#   libvirt-daemons.sh start DIR   prints the connection URI on success
#   libvirt-daemons.sh stop DIR    destroys the domains it left, stops both
#                                  daemons, removes DIR
# The daemons run in their own mount namespace where /etc/libvirt, /run/libvirt,
# /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt are folders under
# DIR, so nothing touches (or collides with) a system libvirt.  On a host
# without VMX/SVM /dev/kvm is hidden from them (a read-only empty file over
# it): libvirt would otherwise find /dev/kvm usable, probe QEMU with KVM, see
# KVM fail (kvm_pvm), mark its capability cache stale and re-probe QEMU on
# every domain start (about a minute each, MACHINE-FACTS.md).
set -u
cmd=${1:-}; d=${2:-}
[ -n "$d" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
mps="/etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt"

hw_virt() { [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; }

start() {
	command -v libvirtd >/dev/null && command -v virtlogd >/dev/null && command -v virsh >/dev/null ||
		{ echo "libvirtd/virtlogd/virsh not installed (deps/libvirt.list)" >&2; return 1; }
	[ "$(id -u)" = 0 ] || { echo "needs root (a private mount namespace for the daemons)" >&2; return 1; }
	mkdir -p "$d"/{etc,run,lib,cache,log}
	chmod 755 "$d"
	# mount points the host lacks: made now, removed again by stop
	: >"$d/made"
	for m in $mps; do [ -d "$m" ] || { mkdir -p "$m" && echo "$m" >>"$d/made"; }; done
	cat >"$d/etc/libvirtd.conf" <<-CONF
	unix_sock_group = "root"
	unix_sock_rw_perms = "0700"
	auth_unix_rw = "none"
	log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
	CONF
	# root QEMU, no cgroups (v1/v2 hybrid host, and nothing left under
	# /sys/fs/cgroup), no per-domain /dev namespace (faster start)
	cat >"$d/etc/qemu.conf" <<-CONF
	user = "root"
	group = "root"
	dynamic_ownership = 0
	cgroup_controllers = [ ]
	namespaces = [ ]
	security_driver = "none"
	CONF
	cat >"$d/etc/virtlogd.conf" <<-CONF
	log_outputs = "3:file:/var/log/libvirt/virtlogd.log"
	CONF
	# Debian's libvirtd insists on a libvirt-qemu user even when qemu.conf
	# says root; libvirt-daemon-system would add it for good, we add it
	# only inside the daemons' namespace
	local ids=""
	if ! getent passwd libvirt-qemu >/dev/null; then
		cp /etc/passwd "$d/passwd" && cp /etc/group "$d/group"
		echo "libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin" >>"$d/passwd"
		getent group libvirt-qemu >/dev/null || echo "libvirt-qemu:x:64055:" >>"$d/group"
		ids="mount --bind '$d/passwd' /etc/passwd && mount --bind '$d/group' /etc/group &&"
	fi
	local nokvm=""
	if ! hw_virt && [ -e /dev/kvm ]; then
		: >"$d/nokvm"
		nokvm="mount --bind '$d/nokvm' /dev/kvm && mount -o remount,bind,ro /dev/kvm &&"
	fi
	unshare -m --propagation private sh -c "
		mount --bind '$d/etc' /etc/libvirt && mount --bind '$d/run' /run/libvirt &&
		mount --bind '$d/lib' /var/lib/libvirt && mount --bind '$d/cache' /var/cache/libvirt &&
		mount --bind '$d/log' /var/log/libvirt && $nokvm $ids
		virtlogd -d -p '$d/virtlogd.pid' &&
		libvirtd -d -p '$d/libvirtd.pid'" >"$d/start.log" 2>&1 ||
		{ echo "starting the daemons failed: $(tail -3 "$d/start.log")" >&2; stop; return 1; }
	local uri="qemu:///system?socket=$d/run/libvirt-sock"
	for _ in $(seq 100); do
		[ -S "$d/run/libvirt-sock" ] && virsh -c "$uri" version >/dev/null 2>&1 && { echo "$uri"; return 0; }
		sleep 0.1
	done
	echo "libvirtd did not answer on $d/run/libvirt-sock: $(tail -3 "$d/log/libvirtd.log" 2>/dev/null)" >&2
	stop
	return 1
}

# stop_pid FILE: TERM, wait up to 10 s, then KILL
stop_pid() {
	local p
	p=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$p" ] && [ -e "/proc/$p" ] || return 0
	kill "$p" 2>/dev/null
	for _ in $(seq 100); do [ -e "/proc/$p" ] || return 0; sleep 0.1; done
	kill -9 "$p" 2>/dev/null
	sleep 0.2
}

stop() {
	local uri="qemu:///system?socket=$d/run/libvirt-sock" dom
	if [ -S "$d/run/libvirt-sock" ]; then
		for dom in $(virsh -c "$uri" list --all --name 2>/dev/null); do
			virsh -c "$uri" destroy "$dom" >/dev/null 2>&1
			virsh -c "$uri" undefine "$dom" >/dev/null 2>&1
		done
	fi
	stop_pid "$d/libvirtd.pid"
	stop_pid "$d/virtlogd.pid"
	local m
	# (not while another libvirtd runs: removing a mount point detaches the
	# mounts on it in every namespace, another instance's included)
	if [ -f "$d/made" ] && ! pgrep -x libvirtd >/dev/null && ! pgrep -x virtlogd >/dev/null; then
		while read -r m; do rmdir "$m" 2>/dev/null; done <"$d/made"
	fi
	rm -rf "$d"
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
