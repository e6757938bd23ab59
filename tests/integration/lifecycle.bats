#!/usr/bin/env bats
# Container lifecycle through the runc-compatible CLI.
load helpers

setup_file() { bt_setup_file; }
teardown_file() { bt_teardown_file; }
setup() { bt_setup; }
teardown() { bt_teardown; }

@test "run: stdout of the container reaches the caller" {
	args echo hello-from-container
	run rt_run
	[ "$status" -eq 0 ]
	[[ "$output" == *hello-from-container* ]]
}

@test "run: exit codes propagate (0, 3, 42)" {
	for c in 0 3 42; do
		args sh -c "exit $c"
		run rt_run
		[ "$status" -eq "$c" ]
	done
}

@test "run: a container killed by a signal exits 128+signal" {
	args sh -c 'kill -9 $$; sleep 5; exit 1'
	# pid 1 ignores unhandled signals from inside, so the signal goes to a child.
	args sh -c 'sh -c "kill -9 \$\$"; exit $?'
	run rt_run
	[ "$status" -eq 137 ]
}

@test "create/start/state: status created -> running -> stopped with pid and bundle" {
	args sh -c 'read x </dev/zero; sleep 0.5; exit 0'
	args sh -c 'sleep 1'
	rt_create
	run rt state "$ID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .id <<<"$output")" = "$ID" ]
	[ "$(jq -r .status <<<"$output")" = created ]
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
	[ -n "$(jq -r .ociVersion <<<"$output")" ]
	pid=$(jq -r .pid <<<"$output")
	[ "$pid" -gt 1 ]
	[ -d "/proc/$pid" ]
	# The init waits for start: sh has not run yet.
	run rt start "$ID"
	[ "$status" -eq 0 ]
	[ "$(status_of)" = running ]
	[ "$(pid_of)" = "$pid" ]
	wait_status "$ID" stopped
	run rt delete "$ID"
	[ "$status" -eq 0 ]
	run rt state "$ID"
	[ "$status" -ne 0 ]
	[ ! -d "/proc/$pid" ] || [ "$(awk '/^State/{print $2}' "/proc/$pid/status")" = Z ]
}

@test "start: a created container runs its process only after start" {
	args sh -c 'echo started >/started'
	rt_create
	sleep 0.3
	[ ! -e "$BUNDLE/rootfs/started" ]
	rt start "$ID"
	wait_file "$BUNDLE/rootfs/started"
}

@test "kill: a handled signal is delivered (USR1), KILL stops the container" {
	start_container sh -c 'trap "echo usr1 >/got-usr1" USR1; while :; do sleep 0.1; done'
	run rt kill "$ID" USR1
	[ "$status" -eq 0 ]
	wait_file "$BUNDLE/rootfs/got-usr1"
	[ "$(status_of)" = running ]
	run rt kill "$ID" KILL
	[ "$status" -eq 0 ]
	wait_status "$ID" stopped
}

@test "kill: default signal is TERM (a trapping init exits)" {
	start_container sh -c 'trap "echo term >/got-term; exit 0" TERM; while :; do sleep 0.1; done'
	run rt kill "$ID"
	[ "$status" -eq 0 ]
	wait_file "$BUNDLE/rootfs/got-term"
	wait_status "$ID" stopped
}

@test "kill --all: every process of the container dies" {
	start_container sh -c 'sleep 1001 & sleep 1002 & wait'
	rt exec --detach "$ID" sleep 1003 </dev/null >/dev/null 2>&1 3>&-
	sleep 0.3
	cg=$(cgroup_dir "$(pid_of)" pids)
	[ "$(wc -l <"$cg/cgroup.procs")" -ge 4 ]
	run rt kill --all "$ID" KILL
	[ "$status" -eq 0 ]
	wait_status "$ID" stopped
	for i in $(seq 50); do [ ! -s "$cg/cgroup.procs" ] && break; sleep 0.1; done
	[ ! -s "$cg/cgroup.procs" ]
}

@test "delete: refuses a running container, delete --force kills and removes it" {
	start_container
	pid=$(pid_of)
	run rt delete "$ID"
	[ "$status" -ne 0 ]
	[ "$(status_of)" = running ]
	run rt delete --force "$ID"
	[ "$status" -eq 0 ]
	run rt state "$ID"
	[ "$status" -ne 0 ]
	for i in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
	[ ! -d "/proc/$pid" ]
	leftovers "$ID"
}

@test "delete: a stopped container leaves nothing behind" {
	args true
	rt_create
	rt start "$ID"
	wait_status "$ID" stopped
	run rt delete "$ID"
	[ "$status" -eq 0 ]
	leftovers "$ID"
}

@test "list: shows the container; --format json has id, pid, status" {
	start_container
	run rt list
	[ "$status" -eq 0 ]
	[[ "$output" == *"$ID"*running* ]]
	run rt list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r --arg id "$ID" '.[] | select(.id==$id) | .status' <<<"$output")" = running ]
	[ "$(jq -r --arg id "$ID" '.[] | select(.id==$id) | .pid' <<<"$output")" = "$(pid_of)" ]
}

@test "ps: lists the container's processes" {
	start_container sh -c 'sleep 1004 & wait'
	sleep 0.3
	run rt ps "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 1004"* ]]
	[[ "$output" == *"$(pid_of)"* ]]
}

@test "run --detach: returns at once with the container running" {
	args sleep 1000
	rt_run_detached
	[ "$(status_of)" = running ]
	rt kill "$ID" KILL
	wait_status "$ID" stopped
}

@test "exec: runs a command with args in the container, exit code propagates" {
	start_container
	run rt exec "$ID" sh -c 'echo exec-ok "$1"; cat /proc/1/cmdline | tr "\0" " "' sh arg1
	[ "$status" -eq 0 ]
	[[ "$output" == *"exec-ok arg1"* ]]
	[[ "$output" == *"sleep 1000"* ]]
	run rt exec "$ID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "exec --process FILE: args, env and cwd from a process.json" {
	start_container
	cat >"$BUNDLE/proc.json" <<-'J'
	{"terminal": false, "user": {"uid": 1000, "gid": 1000}, "cwd": "/tmp",
	 "env": ["PATH=/bin:/usr/bin", "FROMFILE=yes"],
	 "args": ["sh", "-c", "echo $FROMFILE $(pwd) $(id -u)"]}
	J
	run rt exec --process "$BUNDLE/proc.json" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"yes /tmp 1000"* ]]
}

@test "exec --detach: the process runs after exec returns" {
	start_container
	# stdio to files: bats' run would otherwise wait for the detached process.
	rt exec --detach "$ID" sh -c 'sleep 2; echo detached >/detached' </dev/null >"$BUNDLE/x.out" 2>&1 3>&-
	[ ! -e "$BUNDLE/rootfs/detached" ]
	wait_file "$BUNDLE/rootfs/detached"
}

@test "exec --tty: the process gets a terminal (driven through script(1))" {
	command -v script >/dev/null || skip "script(1) missing (util-linux)"
	start_container
	# script gives the runtime a pty as stdio; the runtime then allocates the
	# container's own pty and proxies it.
	run script -qec "$RT_BIN --root $BT_ROOT exec --tty $ID sh -c 'tty; test -t 0 && echo stdin-is-tty'" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *stdin-is-tty* ]]
}

@test "pause/resume: state paused and the process is frozen" {
	start_container sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.05; done'
	sleep 0.5
	run rt pause "$ID"
	[ "$status" -eq 0 ]
	[ "$(status_of)" = paused ]
	sleep 0.2
	a=$(cat "$BUNDLE/rootfs/tmp/count")
	sleep 0.6
	b=$(cat "$BUNDLE/rootfs/tmp/count")
	[ "$a" = "$b" ]
	run rt resume "$ID"
	[ "$status" -eq 0 ]
	[ "$(status_of)" = running ]
	sleep 0.6
	c=$(cat "$BUNDLE/rootfs/tmp/count")
	[ "$c" -gt "$b" ]
}

@test "update --memory / --pids-limit: new limits reach the cgroup" {
	start_container
	pid=$(pid_of)
	run rt update --memory 67108864 --pids-limit 42 "$ID"
	[ "$status" -eq 0 ]
	mem=$(cgroup_dir "$pid" memory)
	pids=$(cgroup_dir "$pid" pids)
	if [ -f "$mem/memory.limit_in_bytes" ]; then
		[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
	else
		[ "$(cat "$mem/memory.max")" = 67108864 ]
	fi
	[ "$(cat "$pids/pids.max")" = 42 ]
	run rt update --pids-limit 43 "$ID"
	[ "$(cat "$pids/pids.max")" = 43 ]
}
