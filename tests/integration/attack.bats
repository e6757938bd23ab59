#!/usr/bin/env bats
# Attacks from inside a container made from the runtime's own default spec.
# Each must fail for the attacker in the specific expected way, and the host
# must be unaffected.  /attack (tests/integration/attack.c) exits 0 only when
# the attack was BLOCKED with the expected errno, 1 when it succeeded.
load helpers

setup_file() { bt_setup_file; }
teardown_file() { bt_teardown_file; }
setup() { bt_setup; }
teardown() { bt_teardown; }

# attack NAME [ARG] [EXPECTED-SUBSTRING]: run /attack as a child of sh (so pid 1
# is the shell), expect exit 0 and the substring (default "BLOCKED").
attack() {
	local name=$1 arg=${2:-} want=${3:-BLOCKED}
	args sh -c "/attack $name $arg; echo attack-rc=\$?"
	run rt_run
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"attack-rc=0"* ]]
	[[ "$output" == *"$want"* ]]
}

@test "attack: mount tmpfs -> EPERM, nothing mounted on the host" {
	attack mount "" "mount tmpfs: EPERM"
	! grep -q "$BUNDLE" /proc/self/mountinfo
}

# The first masked /proc file this kernel has (kcore needs CONFIG_PROC_KCORE).
masked_path() {
	local p
	for p in /proc/kcore /proc/timer_list /proc/keys; do
		[ -e "$p" ] && { echo "$p"; return; }
	done
	skip "host kernel has none of /proc/kcore, timer_list, keys"
}

@test "attack: bind-mount over a masked path (/proc/kcore or timer_list) -> EPERM" {
	p=$(masked_path)
	attack mount-masked "$p" "bind mount over masked path: EPERM"
}

@test "attack: umount the mask of /proc/kcore (or timer_list) -> EPERM" {
	p=$(masked_path)
	attack umount-masked "$p" "umount masked path: EPERM"
}

@test "attack: read /proc/kcore (or timer_list) -> masked (empty) or denied" {
	p=$(masked_path)
	[ -s "$p" ] || [ "$p" = /proc/kcore ] || [ -n "$(head -c1 "$p")" ] || skip "$p is empty on the host too"
	attack read-masked "$p"
}

@test "attack: write /proc/sysrq-trigger -> EROFS/EACCES" {
	[ -e /proc/sysrq-trigger ] || skip "host kernel has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ off)"
	attack sysrq
	[[ "$output" == *EROFS* || "$output" == *EACCES* ]]
}

@test "attack: write /proc/sys/kernel/core_pattern -> EROFS, host value unchanged" {
	before=$(cat /proc/sys/kernel/core_pattern)
	attack proc-sys /proc/sys/kernel/core_pattern
	[[ "$output" == *EROFS* || "$output" == *EACCES* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$before" ]
}

@test "attack: write /proc/sys/kernel/hostname -> EROFS" {
	attack proc-sys /proc/sys/kernel/hostname
	[[ "$output" == *EROFS* || "$output" == *EACCES* ]]
}

@test "attack: mknod a block device (b 8 0) -> EPERM" {
	attack mknod-block "" "mknod b 8 0: EPERM"
}

@test "attack: /dev/mem is absent and cannot be created -> ENOENT, then EPERM" {
	attack devmem "" "mknod /dev/mem c 1 1: EPERM"
	[[ "$output" == *"absent: /dev/mem"* ]]
}

@test "attack: load a kernel module (init_module, finit_module) -> EPERM" {
	# Where the host kernel has no module support at all (ENOSYS for root on
	# the host), ENOSYS inside is the strongest possible answer too.
	mode=""
	if "$BT_ATTACK" module 2>&1 | grep -q ENOSYS; then mode=nomodules; fi
	attack module "$mode" "BLOCKED module: init_module"
	[[ "$output" == *"BLOCKED module: finit_module"* ]]
}

@test "attack: reboot(2) -> EPERM" {
	attack reboot "" "reboot: EPERM"
}

@test "attack: ptrace(PTRACE_ATTACH) on pid 1 -> EPERM" {
	attack ptrace 1 "ptrace attach: EPERM"
}

@test "attack: PTRACE_TRACEME -> EPERM" {
	attack traceme "" "PTRACE_TRACEME: EPERM"
}

@test "attack: unshare(CLONE_NEWUSER) then mount -> EPERM" {
	attack userns-mount "" "EPERM"
}

@test "attack: setns into any namespace of /proc/1 -> EPERM; host pid 1 not visible" {
	attack setns "" "setns /proc/1/ns/net: EPERM"
	[[ "$output" != *SUCCEEDED* ]]
	args cat /proc/1/cmdline
	run rt_run
	[ "$output" != "$(tr -d '\0' </proc/1/cmdline)" ]
}

@test "attack: bpf(BPF_MAP_CREATE) -> EPERM" {
	attack bpf "" "bpf(BPF_MAP_CREATE): EPERM"
}

@test "attack: perf_event_open -> EPERM" {
	attack perf "" "perf_event_open: EPERM"
}

@test "attack: keyctl / add_key -> EPERM" {
	attack keyctl "" "keyctl: EPERM"
	[[ "$output" == *"add_key: EPERM"* ]]
}

@test "attack: socket(AF_VSOCK) -> EPERM" {
	attack vsock "" "socket(AF_VSOCK): EPERM"
}

@test "attack: raw socket with the default capabilities -> EPERM" {
	attack raw-socket "" "SOCK_RAW): EPERM"
}

@test "attack: raw socket with CAP_NET_RAW explicitly dropped from every set -> EPERM" {
	cfg '.process.capabilities |= with_entries(.value |= map(select(. != "CAP_NET_RAW")))'
	[ "$(jq '[.process.capabilities[][] | select(.=="CAP_NET_RAW")] | length' "$BUNDLE/config.json")" = 0 ]
	attack raw-socket "" "SOCK_RAW): EPERM"
}

@test "attack: fork bomb stopped by pids.limit=32 with EAGAIN; the container survives" {
	cfg '.linux.resources.pids={"limit":32}'
	args sh -c '/attack forkbomb 2000; echo attack-rc=$?; echo survived'
	run rt_run
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fork: EAGAIN"* ]]
	[[ "$output" == *"attack-rc=0"* ]]
	[[ "$output" == *survived* ]]
	n=$(sed -n 's/^forked \([0-9]*\) children/\1/p' <<<"$output")
	[ "$n" -lt 32 ]
	# the host can still fork
	run sh -c 'for i in 1 2 3 4 5; do true & done; wait; echo host-ok'
	[ "$output" = host-ok ]
}

@test "attack: memory hog under a 32 MiB limit is OOM-killed: exit 137" {
	cfg '.linux.resources.memory={"limit":33554432}'
	args /attack memhog 512
	run rt_run
	echo "$output"
	[ "$status" -eq 137 ]
	[[ "$output" != *SUCCEEDED* ]]
}

@test "attack: memory hog OOM kill is reported to the user by bulkhead run" {
	[ "$RT_NAME" = bulkhead ] || skip "the OOM message is bulkhead's own ($RT_NAME has none)"
	cfg '.linux.resources.memory={"limit":33554432}'
	args /attack memhog 512
	run rt_run
	echo "$output"
	[ "$status" -eq 137 ]
	[[ "$output" == *"killed by the OOM killer (memory limit 33554432 bytes"* ]]
}

@test "attack: memory hog OOM kill is counted in the container's cgroup" {
	cfg '.linux.resources.memory={"limit":33554432}'
	# pid 1 waits on a fifo-less handshake: the hog starts after we read the cgroup.
	args sh -c 'while [ ! -e /go ]; do sleep 0.05; done; /attack memhog 512; echo hog-rc=$?'
	start_container sh -c 'while [ ! -e /go ]; do sleep 0.05; done; /attack memhog 512; echo hog-rc=$?'
	cg=$(cgroup_dir "$(pid_of)" memory)
	[ -d "$cg" ]
	touch "$BUNDLE/rootfs/go"
	wait_status "$ID" stopped
	grep -q "hog-rc=137" "$BUNDLE/$ID.out"
	if [ -f "$cg/memory.oom_control" ]; then
		kills=$(awk '$1=="oom_kill"{print $2}' "$cg/memory.oom_control")
	else
		kills=$(awk '$1=="oom_kill"{print $2}' "$cg/memory.events")
	fi
	echo "oom_kill=$kills"
	[ "$kills" -ge 1 ]
}

@test "default spec: no dangerous capability in any set, ambient empty, no_new_privs on" {
	args cat /proc/self/status
	run rt_run
	[ "$status" -eq 0 ]
	# SYS_ADMIN NET_RAW MKNOD SYS_PTRACE SYS_MODULE SYS_RAWIO SYS_BOOT NET_ADMIN
	# DAC_READ_SEARCH SYS_TIME SYSLOG MAC_ADMIN BPF PERFMON SYS_RESOURCE
	# LINUX_IMMUTABLE AUDIT_CONTROL
	local bad=(21 13 27 19 16 17 22 12 2 25 34 33 39 38 24 9 30) set v c
	for set in CapInh CapPrm CapEff CapBnd; do
		v=$(awk -v s="$set:" '$1==s{print $2}' <<<"$output")
		[ -n "$v" ]
		for c in "${bad[@]}"; do
			if (( (16#$v >> c) & 1 )); then echo "$set has capability $c"; false; fi
		done
	done
	[ "$(awk '$1=="CapAmb:"{print $2}' <<<"$output")" = 0000000000000000 ]
	[ "$(awk '$1=="NoNewPrivs:"{print $2}' <<<"$output")" = 1 ]
}
