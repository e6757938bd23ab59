#!/usr/bin/env bats
# Bad input and faults: each must fail with a message naming the problem and
# leave nothing behind (state dir, cgroup, process, host mount).
load helpers

setup_file() { bt_setup_file; }
teardown_file() { bt_teardown_file; }
setup() { bt_setup; args sleep 1000; }
teardown() { bt_teardown; }

# create_fails REGEX: create must exit non-zero, print something matching
# REGEX (case-insensitive), and leave nothing behind.
create_fails() {
	run rt create --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	echo "status=$status output=$output"
	[ "$status" -ne 0 ]
	shopt -s nocasematch
	[[ "$output" =~ $1 ]]
	shopt -u nocasematch
	run rt state "$ID"
	[ "$status" -ne 0 ]
	leftovers "$ID"
}

@test "fault: config.json that is not JSON" {
	echo '{ "ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
	create_fails 'json|config'
}

@test "fault: config.json missing" {
	rm "$BUNDLE/config.json"
	create_fails 'config\.json'
}

@test "fault: wrong type (process.args is a number)" {
	cfg '.process.args=5'
	create_fails 'args'
}

@test "fault: wrong type (process.user.uid is a string)" {
	cfg '.process.user.uid="zero"'
	create_fails 'uid'
}

@test "fault: unknown fields are ignored, as the OCI runtime spec requires" {
	cfg '.bt_unknown_field={"x":1} | .process.bt_unknown=true'
	args echo still-runs
	run rt_run
	[ "$status" -eq 0 ]
	[[ "$output" == *still-runs* ]]
}

@test "fault: rootfs missing" {
	rm -rf "$BUNDLE/rootfs"
	create_fails 'rootfs|no such file'
}

@test "fault: process binary missing in the rootfs" {
	args /no/such/binary
	run rt run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	[ "$status" -ne 0 ]
	[[ "$output" == */no/such/binary* ]]
	leftovers "$ID"
}

@test "fault: container id with '/' or '..' is refused, nothing created outside --root" {
	for bad in "a/b" ".." "../bt-escape-$$" "x/../../bt-escape2-$$"; do
		run rt create --bundle "$BUNDLE" "$bad" </dev/null 3>&-
		echo "id=$bad status=$status output=$output"
		[ "$status" -ne 0 ]
		[[ "${output,,}" == *id* ]]
	done
	[ ! -e "/tmp/bt-escape-$$" ]
	[ ! -e "$BT_ROOT/../bt-escape-$$" ]
	[ ! -e "/tmp/bt-escape2-$$" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 7 -name "bt-escape*-$$" 2>/dev/null)" ]
}

@test "fault: duplicate id is refused and the first container is intact" {
	rt_create
	[ "$(status_of)" = created ]
	run rt create --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	[ "$status" -ne 0 ]
	[[ "${output,,}" == *exist* ]]
	[ "$(status_of)" = created ]
	rt start "$ID"
	[ "$(status_of)" = running ]
}

@test "fault: rlimit above the hard limit the runtime may set" {
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "host nofile hard limit is unlimited"
	if capsh --has-p=cap_sys_resource 2>/dev/null; then skip "runtime has CAP_SYS_RESOURCE, any limit is allowed"; fi
	cfg '.process.rlimits=[{"type":"RLIMIT_NOFILE","hard":($h*4),"soft":($h*4)}]' --argjson h "$hard"
	create_fails 'rlimit|nofile|operation not permitted'
}

@test "fault: rlimit with soft above hard" {
	cfg '.process.rlimits=[{"type":"RLIMIT_NOFILE","hard":100,"soft":200}]'
	create_fails 'rlimit|nofile|invalid'
}

@test "fault: failing createRuntime hook names the hook" {
	cfg '.hooks={createRuntime:[{path:"/bin/sh",args:["sh","-c","echo hook-said-no >&2; exit 9"]}]}'
	create_fails 'hook'
}

@test "fault: failing prestart hook names the hook" {
	cfg '.hooks={prestart:[{path:"/bin/false"}]}'
	create_fails 'hook'
}

@test "fault: hook path that does not exist" {
	cfg '.hooks={createRuntime:[{path:"/no/such/hook"}]}'
	create_fails 'hook|/no/such/hook'
}

# ---- SIGKILL of the runtime in the middle of create, then delete --force.

# create_killed: starts create in the background with its pid in $BUNDLE/rt.pid.
create_killed_bg() {
	( echo "$BASHPID" >"$BUNDLE/rt.pid"; exec "$RT_BIN" --root "$BT_ROOT" create --bundle "$BUNDLE" "$ID" ) \
		</dev/null >"$BUNDLE/create.out" 2>&1 3>&- &
	CREATE_PID=$!
}

after_kill_cleanup() {
	# whatever state it was in, delete --force must clean it all up
	rt delete --force "$ID" >/dev/null 2>&1 || true
	sleep 0.2
	leftovers "$ID"
}

kill_at_hook() {
	cfg ".hooks={$1:[{path:\"/bin/sh\",args:[\"sh\",\"-c\",\$c]}]}" \
		--arg c "kill -9 \$(cat $BUNDLE/rt.pid)"
	create_killed_bg
	wait "$CREATE_PID" && st=0 || st=$?
	cat "$BUNDLE/create.out"
	[ "$st" -eq 137 ]
	after_kill_cleanup
}

@test "fault: runtime SIGKILLed by its prestart hook, delete --force cleans up" {
	kill_at_hook prestart
}

@test "fault: runtime SIGKILLed by its createRuntime hook, delete --force cleans up" {
	kill_at_hook createRuntime
}

kill_after_ms() {
	create_killed_bg
	sleep "$1"
	kill -9 "$CREATE_PID" 2>/dev/null || true
	wait "$CREATE_PID" || true
	after_kill_cleanup
}

@test "fault: runtime SIGKILLed 1 ms into create, delete --force cleans up" { kill_after_ms 0.001; }
@test "fault: runtime SIGKILLed 5 ms into create, delete --force cleans up" { kill_after_ms 0.005; }
@test "fault: runtime SIGKILLed 10 ms into create, delete --force cleans up" { kill_after_ms 0.010; }
@test "fault: runtime SIGKILLed 20 ms into create, delete --force cleans up" { kill_after_ms 0.020; }
@test "fault: runtime SIGKILLed 50 ms into create, delete --force cleans up" { kill_after_ms 0.050; }

@test "fault: failed create with an explicit cgroupsPath leaves no cgroup there" {
	cfg '.linux.cgroupsPath=$p | .linux.resources.pids={"limit":50}
	     | .hooks={createRuntime:[{path:"/bin/false"}]}' --arg p "/bt-cgpath/$ID-cg"
	create_fails 'hook'
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -path "*bt-cgpath/$ID-cg*" 2>/dev/null)" ]
	for d in /sys/fs/cgroup/*/bt-cgpath /sys/fs/cgroup/unified/bt-cgpath; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null || true
	done
}
