#!/usr/bin/env bats
# Podman driving the runtime (podman --runtime $RT_BIN run --rootfs DIR ...).
# Private state: CONTAINERS_CONF, --root/--runroot/--tmpdir under /tmp, vfs
# storage, --network none, so nothing global (images, networks) is touched.
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	export PM_DIR="/tmp/bt-podman-$$"
	mkdir -p "$PM_DIR"
	cat >"$PM_DIR/containers.conf" <<-'C'
	[containers]
	# the host lacks CAP_SYS_RESOURCE and caps nofile at 20000
	default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
	[engine]
	# no systemd here
	cgroup_manager = "cgroupfs"
	events_logger = "file"
	C
	if [ -d "$BT_ROOTFS/bin" ] && [ -x "$BT_ATTACK" ]; then
		cp -a "$BT_ROOTFS" "$PM_DIR/rootfs"
		cp "$BT_ATTACK" "$PM_DIR/rootfs/attack"
	fi
}

teardown_file() {
	pm rm -af -t 0 >/dev/null 2>&1 || true
	rm -rf "$PM_DIR"
}

pm() {
	CONTAINERS_CONF="$PM_DIR/containers.conf" timeout --kill-after=5 "$BT_TIMEOUT" \
		podman --root "$PM_DIR/root" --runroot "$PM_DIR/runroot" --tmpdir "$PM_DIR/tmp" \
		--storage-driver vfs --runtime "$RT_BIN" "$@"
}
# prun ARGS... CMD...: podman run --rm on the test rootfs, no network.
prun() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	pm run --rm --network none "${opts[@]}" --rootfs "$PM_DIR/rootfs" "$@" </dev/null 3>&-
}

setup() {
	bt_require
	command -v podman >/dev/null || skip "podman missing (make deps)"
	[ -d "$PM_DIR/rootfs" ] || skip "no rootfs"
	NAME="bt-pm-$BATS_TEST_NUMBER-$$"
}

teardown() {
	pm rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
}

@test "podman: exit codes propagate (0, 3, 42) and a missing command gives 127" {
	for c in 0 3 42; do
		run prun -- sh -c "exit $c"
		[ "$status" -eq "$c" ]
	done
	run -127 prun -- /no/such/cmd
	echo "$output"
	[ "$status" -eq 127 ]
}

@test "podman: run -d, exec, stop" {
	run pm run -d --name "$NAME" --network none --rootfs "$PM_DIR/rootfs" sleep 1000 </dev/null 3>&-
	[ "$status" -eq 0 ]
	# podman really drove the runtime under test
	run pm inspect "$NAME" --format '{{.OCIRuntime}}'
	echo "OCIRuntime: $output"
	[[ "$output" == *"$RT_NAME"* ]]
	run pm exec "$NAME" sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[[ "$output" == *exec-ok*"sleep 1000"* ]]
	run pm exec "$NAME" sh -c 'exit 4'
	[ "$status" -eq 4 ]
	run pm stop -t 1 "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pm inspect "$NAME" --format '{{.State.Status}}')" = exited ]
}

@test "podman: kill with USR1 (trapped) and with KILL (137)" {
	pm run -d --name "$NAME" --network none --rootfs "$PM_DIR/rootfs" \
		sh -c 'trap "echo got-usr1" USR1; while :; do sleep 0.1; done' </dev/null >/dev/null 3>&-
	sleep 0.5
	run pm kill -s USR1 "$NAME"
	[ "$status" -eq 0 ]
	for i in $(seq 50); do pm logs "$NAME" 2>&1 | grep -q got-usr1 && break; sleep 0.1; done
	pm logs "$NAME" 2>&1 | grep -q got-usr1
	[ "$(pm inspect "$NAME" --format '{{.State.Status}}')" = running ]
	run pm kill -s KILL "$NAME"
	[ "$status" -eq 0 ]
	run pm wait "$NAME"
	[ "$output" = 137 ]
}

@test "podman: --read-only rootfs refuses writes" {
	run prun --read-only -- sh -c 'touch /x; echo rc=$?'
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *rc=1* ]]
	[ ! -e "$PM_DIR/rootfs/x" ]
}

@test "podman: --memory 32m OOM-kills a memory hog (exit 137 / OOMKilled)" {
	run pm run --name "$NAME" --network none --memory 32m --memory-swap 32m \
		--rootfs "$PM_DIR/rootfs" /attack memhog 512 </dev/null 3>&-
	echo "status=$status"
	[ "$status" -eq 137 ]
	oom=$(pm inspect "$NAME" --format '{{.State.OOMKilled}} {{.State.ExitCode}}')
	echo "OOMKilled ExitCode: $oom"
	[[ "$oom" == "true 137" || "$oom" == "false 137" ]]
}

@test "podman: --pids-limit stops a fork bomb with EAGAIN" {
	run prun --pids-limit 32 -- sh -c '/attack forkbomb 2000; echo rc=$?'
	echo "$output"
	[[ "$output" == *"fork: EAGAIN"* ]]
	[[ "$output" == *rc=0* ]]
}

@test "podman: --cap-drop ALL leaves no capabilities" {
	run prun --cap-drop ALL -- sh -c 'grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status; chown 1000 /tmp; echo rc=$?'
	echo "$output"
	[[ "$output" == *"CapEff:	0000000000000000"* ]]
	[[ "$output" == *"CapBnd:	0000000000000000"* ]]
	[[ "$output" == *rc=1* ]]
}

@test "podman: --user 1000" {
	run prun --user 1000:1000 -- sh -c 'id -u; id -g'
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
}

@test "podman: --security-opt seccomp=unconfined turns the filter off" {
	run prun --security-opt seccomp=unconfined -- sh -c 'grep ^Seccomp: /proc/self/status; /attack perf'
	echo "$output"
	[[ "$output" == *"Seccomp:	0"* ]]
	[[ "$output" == *"SUCCEEDED perf"* ]]
}

@test "podman: default seccomp profile is applied (perf_event_open blocked)" {
	# podman's profile denies perf_event_open without CAP_SYS_ADMIN (EPERM);
	# unconfined, the same call succeeds here (perf_event_paranoid=2, own task).
	run prun -- sh -c 'grep ^Seccomp: /proc/self/status; /attack perf; echo rc=$?'
	echo "$output"
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *"perf_event_open: EPERM"* ]]
	[[ "$output" == *rc=0* ]]
}

@test "podman: custom seccomp JSON profile (mkdir denied)" {
	cat >"$PM_DIR/deny-mkdir.json" <<-'J'
	{"defaultAction": "SCMP_ACT_ALLOW",
	 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
	J
	run prun --security-opt seccomp="$PM_DIR/deny-mkdir.json" -- sh -c 'mkdir /tmp/d; echo rc=$?; touch /tmp/f && echo touch-ok'
	echo "$output"
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *rc=1* ]]
	[[ "$output" == *touch-ok* ]]
}

@test "podman: -v ro and rw volumes" {
	mkdir -p "$PM_DIR/vro" "$PM_DIR/vrw"
	echo host-data >"$PM_DIR/vro/in"
	run prun -v "$PM_DIR/vro:/ro:ro" -v "$PM_DIR/vrw:/rw" -- \
		sh -c 'cat /ro/in; echo x >/ro/new; echo ro-rc=$?; echo from-container >/rw/out'
	echo "$output"
	[[ "$output" == *host-data* ]]
	[[ "$output" == *ro-rc=1* ]]
	[ ! -e "$PM_DIR/vro/new" ]
	[ "$(cat "$PM_DIR/vrw/out")" = from-container ]
}

@test "podman: --network none has only loopback" {
	run prun -- ls /sys/class/net
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
}

@test "podman: --env, --hostname, --workdir" {
	run prun --env BT_FOO=bar --hostname bt-pm-host --workdir /home/user -- sh -c 'echo "$BT_FOO"; hostname; pwd'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = bar ]
	[ "${lines[1]}" = bt-pm-host ]
	[ "${lines[2]}" = /home/user ]
}
