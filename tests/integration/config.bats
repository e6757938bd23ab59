#!/usr/bin/env bats
# config.json settings that must be visible inside the container.
load helpers

setup_file() { bt_setup_file; }
teardown_file() { bt_teardown_file; }
setup() { bt_setup; }
teardown() { bt_teardown; }

@test "hostname from config" {
	cfg '.hostname="bt-host"'
	args hostname
	run rt_run
	[ "$status" -eq 0 ]
	[ "$output" = bt-host ]
	[ "$(hostname)" != bt-host ]
}

@test "a new network namespace has loopback up (as runc and crun do)" {
	args sh -c 'ip -o link show | cut -d: -f2 | tr -d " "; ip -o link show lo'
	run rt_run
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(head -1 <<<"$output")" = lo ]
	[[ "$output" == *"<LOOPBACK,UP,LOWER_UP>"* ]]
	[ "$(wc -l <<<"$output")" -eq 2 ]
}

@test "env from config" {
	cfg '.process.env += ["BT_FOO=bar baz"]'
	args sh -c 'echo "[$BT_FOO]"'
	run rt_run
	[ "$status" -eq 0 ]
	[ "$output" = "[bar baz]" ]
}

@test "cwd from config" {
	cfg '.process.cwd="/home/user"'
	args pwd
	run rt_run
	[ "$output" = /home/user ]
}

@test "user 1000:1000 with additional gid" {
	cfg '.process.user={"uid":1000,"gid":1000,"additionalGids":[65534]}'
	args sh -c 'id -u; id -g; id -G; cat /proc/self/status | grep -E "^(CapEff|CapPrm)"'
	run rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[[ "${lines[2]}" == *65534* ]]
	# a non-root user keeps no effective or permitted capabilities
	[[ "$output" == *"CapEff:	0000000000000000"* ]]
	[[ "$output" == *"CapPrm:	0000000000000000"* ]]
}

@test "umask from config" {
	cfg '.process.user.umask=63'
	args sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
	run rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0077 ]
	[ "${lines[1]}" = 600 ]
}

@test "rlimits from config" {
	cfg '.process.rlimits=[{"type":"RLIMIT_NOFILE","hard":512,"soft":256},{"type":"RLIMIT_CORE","hard":0,"soft":0}]'
	args sh -c 'ulimit -Sn; ulimit -Hn; ulimit -c'
	run rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 256 ]
	[ "${lines[1]}" = 512 ]
	[ "${lines[2]}" = 0 ]
}

@test "oomScoreAdj from config" {
	cfg '.process.oomScoreAdj=345'
	args cat /proc/self/oom_score_adj
	run rt_run
	[ "$output" = 345 ]
}

@test "sysctl from config (namespaced: net and ipc)" {
	cfg '.linux.sysctl={"net.ipv4.ip_forward":"1","kernel.shmmni":"1234"}'
	args sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni'
	host_shmmni=$(cat /proc/sys/kernel/shmmni)
	run rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 1234 ]
	# the host's values are untouched
	[ "$(cat /proc/sys/kernel/shmmni)" = "$host_shmmni" ]
}

@test "no_new_privs is set" {
	args sh -c 'grep NoNewPrivs /proc/self/status'
	cfg '.process.noNewPrivileges=true'
	run rt_run
	[[ "$output" == *"NoNewPrivs:	1"* ]]
}

@test "read-only rootfs: writes fail with EROFS, /tmp too" {
	cfg '.root.readonly=true'
	args sh -c 'touch /x; echo rc=$?; touch /tmp/x; echo rc=$?'
	run rt_run
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"rc=1"*"rc=1"* ]]
	[ ! -e "$BUNDLE/rootfs/x" ]
	[ ! -e "$BUNDLE/rootfs/tmp/x" ]
}

@test "bind volumes: ro refuses writes, rw writes reach the host" {
	mkdir -p "$BUNDLE/vol-ro" "$BUNDLE/vol-rw"
	echo host-data >"$BUNDLE/vol-ro/in"
	cfg '.mounts += [{"destination":"/ro","type":"bind","source":$ro,"options":["rbind","ro"]},
	                 {"destination":"/rw","type":"bind","source":$rw,"options":["rbind","rw"]}]' \
		--arg ro "$BUNDLE/vol-ro" --arg rw "$BUNDLE/vol-rw"
	args sh -c 'cat /ro/in; echo x >/ro/new; echo ro-rc=$?; echo from-container >/rw/out; echo rw-rc=$?'
	run rt_run
	[[ "$output" == *host-data* ]]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"ro-rc=1"* ]]
	[[ "$output" == *"rw-rc=0"* ]]
	[ ! -e "$BUNDLE/vol-ro/new" ]
	[ "$(cat "$BUNDLE/vol-rw/out")" = from-container ]
}

@test "hooks: prestart, createRuntime, createContainer, startContainer, poststart, poststop all run" {
	h="$BUNDLE/hooks"
	mkdir -p "$h"
	hook() { jq -nc --arg p /bin/sh --arg c "$1" '{path:$p, args:["sh","-c",$c]}'; }
	cfg '.hooks={
	  prestart:[$pre], createRuntime:[$cr], createContainer:[$cc],
	  startContainer:[$sc], poststart:[$ps], poststop:[$pst]}' \
		--argjson pre "$(hook "cat >$h/prestart")" \
		--argjson cr "$(hook "cat >$h/createRuntime")" \
		--argjson cc "$(hook "cat >$h/createContainer")" \
		--argjson sc "$(hook "cat >/startContainer.state; echo \$\$ >/startContainer.pid")" \
		--argjson ps "$(hook "cat >$h/poststart")" \
		--argjson pst "$(hook "cat >$h/poststop")"
	args sh -c 'sleep 1000'
	rt_create
	[ -s "$h/createRuntime" ]
	[ -s "$h/prestart" ]
	[ -s "$h/createContainer" ]
	[ ! -e "$BUNDLE/rootfs/startContainer.state" ]
	# hooks get the state on stdin
	[ "$(jq -r .id "$h/createRuntime")" = "$ID" ]
	[ "$(jq -r .status "$h/createRuntime")" = creating ]
	rt start "$ID"
	# startContainer runs inside the container (its path resolved there)
	wait_file "$BUNDLE/rootfs/startContainer.state"
	wait_file "$h/poststart"
	[ "$(jq -r .id "$h/poststart")" = "$ID" ]
	[ ! -e "$h/poststop" ]
	rt delete --force "$ID"
	wait_file "$h/poststop"
	[ "$(jq -r .id "$h/poststop")" = "$ID" ]
}

@test "hooks: poststart runs only after start, not during create (OCI runtime spec)" {
	cfg '.hooks={poststart:[{path:"/bin/sh",args:["sh","-c",$c]}]}' --arg c "cat >$BUNDLE/poststart"
	args sleep 1000
	rt_create
	sleep 0.3
	[ ! -e "$BUNDLE/poststart" ]
	rt start "$ID"
	wait_file "$BUNDLE/poststart"
	[ "$(jq -r .status "$BUNDLE/poststart")" = running ]
}

@test "hooks: a failing createRuntime hook aborts create and leaves nothing" {
	cfg '.hooks={createRuntime:[{path:"/bin/false"}]}'
	args sleep 1000
	run rt create --bundle "$BUNDLE" "$ID" </dev/null 3>&-
	[ "$status" -ne 0 ]
	[[ "$output" == *hook* ]] || [[ "$output" == *createRuntime* ]]
	run rt state "$ID"
	[ "$status" -ne 0 ]
	leftovers "$ID"
}

@test "user namespace: container root is host uid 100000" {
	[ -e /proc/self/ns/user ] || skip "no user namespaces in this kernel"
	cfg '.linux.namespaces += [{"type":"user"}]
	   | .linux.uidMappings=[{"containerID":0,"hostID":100000,"size":65536}]
	   | .linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]'
	start_container sh -c 'cat /proc/self/uid_map /proc/self/gid_map >/tmp/maps; id -u >/tmp/id; sleep 1000'
	wait_file "$BUNDLE/rootfs/tmp/id"
	sleep 0.2
	[ "$(cat "$BUNDLE/rootfs/tmp/id")" = 0 ]
	run awk '{print $1, $2, $3}' "$BUNDLE/rootfs/tmp/maps"
	[ "${lines[0]}" = "0 100000 65536" ]
	[ "${lines[1]}" = "0 100000 65536" ]
	# seen from the host, the container's init runs as uid 100000
	pid=$(pid_of)
	[ "$(awk '/^Uid:/{print $2}' "/proc/$pid/status")" = 100000 ]
	[ "$(ps -o uid= -p "$pid" | tr -d ' ')" = 100000 ]
	[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
}

@test "network namespace: joining an existing one by path" {
	command -v ip >/dev/null || skip "ip (iproute2) missing"
	ns="bt-$ID"
	ip netns add "$ns" || skip "ip netns add failed"
	BT_NETNS+=("$ns")
	ip netns exec "$ns" ip link add btveth0 type veth peer name btveth1
	cfg '.linux.namespaces |= map(if .type=="network" then .path=$p else . end)' \
		--arg p "/var/run/netns/$ns"
	args sh -c 'readlink /proc/self/ns/net; ip link show btveth0 >/dev/null && echo has-veth'
	run rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(ip netns exec "$ns" readlink /proc/self/ns/net)" ]
	[ "${lines[1]}" = has-veth ]
}

@test "default: a fresh network namespace with only loopback" {
	args sh -c 'readlink /proc/self/ns/net; ls /sys/class/net'
	run rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != "$(readlink /proc/self/ns/net)" ]
	[ "${lines[1]}" = lo ]
}
