# Shared helpers for the bare-mode integration tests (bats).
# Runtime-agnostic: RUNTIME=bulkhead (default: the one in $BULKHEAD_BUILD),
# RUNTIME=runc, or RUNTIME=/path/to/any-runc-compatible-binary.
#
# Each test file gets its own --root under /tmp (BT_ROOT), each test its own
# bundle (mktemp) and container ids; teardown force-deletes every id the test
# made, then fails the test if anything was left behind (state dir, cgroup,
# process, host mount).

BULKHEAD_TOP=${BULKHEAD_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BULKHEAD_BUILD=${BULKHEAD_BUILD:-build}
RUNTIME=${RUNTIME:-bulkhead}
BT_ROOTFS=${BT_ROOTFS:-$BULKHEAD_TOP/$BULKHEAD_BUILD/rootfs}
BT_ATTACK=${BT_ATTACK:-$BULKHEAD_TOP/$BULKHEAD_BUILD/tests/attack}
# Upper bound for any single runtime call, so a hang fails instead of blocking CI.
BT_TIMEOUT=${BT_TIMEOUT:-20}

bt_runtime_bin() {
	case "$RUNTIME" in
	bulkhead)
		local b="$BULKHEAD_TOP/$BULKHEAD_BUILD/bin/bulkhead"
		if [ -x "$b" ]; then echo "$b"; else command -v bulkhead || echo "$b"; fi ;;
	*/*) echo "$RUNTIME" ;;
	*) command -v "$RUNTIME" || echo "$RUNTIME" ;;
	esac
}
RT_BIN=$(bt_runtime_bin)
RT_NAME=$(basename "$RT_BIN")

# Skip (never pass) when the test cannot run here.
bt_require() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$RT_BIN" ] || skip "runtime $RT_BIN not built"
	[ -d "$BT_ROOTFS/bin" ] || skip "test rootfs $BT_ROOTFS missing (make rootfs)"
	[ -x "$BT_ATTACK" ] || skip "attack helper $BT_ATTACK missing (make $BULKHEAD_BUILD/tests/attack)"
	command -v jq >/dev/null || skip "jq missing (make deps)"
}

bt_setup_file() {
	export BT_ROOT="/tmp/bt-root-$(basename "$BATS_TEST_FILENAME" .bats)-$$"
	mkdir -p "$BT_ROOT"
	# One `spec` per file: the template every bundle starts from.
	export BT_TEMPLATE="$BT_ROOT.template.json"
	if [ -x "$RT_BIN" ]; then
		local d; d=$(mktemp -d /tmp/bt-spec.XXXXXX)
		(cd "$d" && "$RT_BIN" spec) && cp "$d/config.json" "$BT_TEMPLATE"
		# BT_SPEC_FILTER: an optional jq filter over the template, e.g. to give
		# a peer runtime the seccomp profile its own `spec` lacks.
		if [ -n "${BT_SPEC_FILTER:-}" ] && [ -s "$BT_TEMPLATE" ]; then
			jq "$BT_SPEC_FILTER" "$BT_TEMPLATE" >"$BT_TEMPLATE.new" && mv "$BT_TEMPLATE.new" "$BT_TEMPLATE"
		fi
		rm -rf "$d"
	fi
}

bt_teardown_file() {
	rm -f "$BT_TEMPLATE"
	rmdir "$BT_ROOT" 2>/dev/null || rm -rf "$BT_ROOT"
}

# rt ARGS...: the runtime with this file's --root, bounded in time.
rt() {
	timeout --kill-after=5 "$BT_TIMEOUT" "$RT_BIN" --root "$BT_ROOT" "$@"
}

BT_IDS=()
# new_id [VAR]: sets VAR (default ID) to a fresh id that teardown will clean.
new_id() {
	local id="bt${BATS_TEST_NUMBER}-$$-$RANDOM"
	BT_IDS+=("$id")
	printf -v "${1:-ID}" %s "$id"
}

# Makes $BUNDLE (config from the template, terminal off, rootfs copy with /attack)
# and a fresh $ID.
bt_setup() {
	bt_require
	[ -s "$BT_TEMPLATE" ] || skip "$RT_NAME spec produced no config.json"
	BUNDLE=$(mktemp -d /tmp/bt-bundle.XXXXXX)
	chmod 755 "$BUNDLE"
	cp -a "$BT_ROOTFS" "$BUNDLE/rootfs"
	cp "$BT_ATTACK" "$BUNDLE/rootfs/attack"
	jq '.process.terminal=false | .root.path="rootfs" | .root.readonly=false' "$BT_TEMPLATE" >"$BUNDLE/config.json"
	BT_IDS=()
	BT_NETNS=()
	new_id ID
}

bt_teardown() {
	[ -n "${BUNDLE:-}" ] || return 0
	local id ns fail=0
	for id in "${BT_IDS[@]}"; do
		rt delete --force "$id" >/dev/null 2>&1 || true
	done
	for id in "${BT_IDS[@]}"; do
		if ! leftovers "$id"; then fail=1; fi
	done
	for ns in "${BT_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	[ $fail = 0 ] || scrub
	rm -rf "$BUNDLE"
	[ $fail = 0 ] || { echo "# leftovers after delete --force (see above)" >&2; return 1; }
}

# cfg JQ-FILTER [jq args...]: edit $BUNDLE/config.json in place.
cfg() {
	local f=$1; shift
	jq "$f" "$BUNDLE/config.json" "$@" >"$BUNDLE/config.json.new" &&
		mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# args CMD...: set process.args.
# jarr WORDS...: a JSON array of strings (jq's --args would eat "-c" itself).
jarr() {
	local a='[]' x
	for x in "$@"; do a=$(jq -nc --argjson a "$a" --arg x "$x" '$a+[$x]'); done
	echo "$a"
}
args() {
	cfg '.process.args=$a' --argjson a "$(jarr "$@")"
}

# Start-in-background helpers: container stdio goes to files so that bats does
# not wait on pipes held by long-lived container processes.
rt_create() {
	local id=${1:-$ID}
	rt create --bundle "$BUNDLE" "$id" </dev/null >"$BUNDLE/$id.out" 2>"$BUNDLE/$id.err" 3>&-
}
rt_run_detached() {
	local id=${1:-$ID}
	rt run --detach --bundle "$BUNDLE" "$id" </dev/null >"$BUNDLE/$id.out" 2>"$BUNDLE/$id.err" 3>&-
}
# A running container executing $@ (default: sleep 1000).
start_container() {
	if [ $# -gt 0 ]; then args "$@"; else args sleep 1000; fi
	rt_create "$ID" || { cat "$BUNDLE/$ID.err" >&2; return 1; }
	rt start "$ID" || return 1
	[ "$(status_of "$ID")" = running ]
}

status_of() { rt state "${1:-$ID}" 2>/dev/null | jq -r .status; }
pid_of() { rt state "${1:-$ID}" 2>/dev/null | jq -r .pid; }

# wait_status ID STATUS [tries of 0.1 s]
wait_status() {
	local i
	for ((i = 0; i < ${3:-100}; i++)); do
		[ "$(status_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "# $1 never reached $2 (now: $(status_of "$1"))" >&2
	return 1
}

wait_file() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do [ -e "$1" ] && return 0; sleep 0.1; done
	echo "# $1 never appeared" >&2
	return 1
}

# cgroup_dir PID CONTROLLER: where PID's cgroup for CONTROLLER is on the host
# (v1 hierarchy if mounted, else the unified one).
cgroup_dir() {
	local pid=$1 ctl=$2 line path
	line=$(awk -F: -v c="$ctl" '{n=split($2,a,","); for(i=1;i<=n;i++) if(a[i]==c) print $3}' "/proc/$pid/cgroup" | head -1)
	if [ -n "$line" ] && [ -d "/sys/fs/cgroup/$ctl" ]; then
		echo "/sys/fs/cgroup/$ctl$line"; return
	fi
	path=$(awk -F: '$1=="0"{print $3}' "/proc/$pid/cgroup")
	local base=/sys/fs/cgroup
	[ -d /sys/fs/cgroup/unified ] && base=/sys/fs/cgroup/unified
	echo "$base$path"
}

# scrub: after a runtime failed to clean up, remove what it left (processes of
# this bundle, empty cgroups of this test's ids) so later tests start clean.
scrub() {
	local p r id d
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		r=$(readlink "$p/root" 2>/dev/null)$'\n'$(readlink "$p/cwd" 2>/dev/null) || continue
		case "$r" in *"$BUNDLE"*) kill -9 "${p#/proc/}" 2>/dev/null || true ;; esac
	done
	sleep 0.2
	for id in "${BT_IDS[@]}"; do
		find /sys/fs/cgroup -maxdepth 7 -depth -type d -name "*$id*" 2>/dev/null |
			while read -r d; do rmdir "$d" 2>/dev/null || true; done
		rm -rf "${BT_ROOT:?}/$id"
	done
}

# leftovers ID: 0 when nothing of container ID remains on the host; otherwise
# prints every leftover and returns 1.
leftovers() {
	local id=$1 bad=0 p r
	if [ -e "$BT_ROOT/$id" ]; then echo "# leftover state dir $BT_ROOT/$id" >&2; bad=1; fi
	r=$(find /sys/fs/cgroup -maxdepth 7 -type d -name "*$id*" 2>/dev/null || true)
	if [ -n "$r" ]; then echo "# leftover cgroups: $r" >&2; bad=1; fi
	if [ -n "${BUNDLE:-}" ]; then
		r=$(grep -F "$BUNDLE" /proc/self/mountinfo || true)
		if [ -n "$r" ]; then echo "# leftover host mounts: $r" >&2; bad=1; fi
		for p in /proc/[0-9]*; do
			r=$(readlink "$p/root" 2>/dev/null) || continue
			case "$r" in "$BUNDLE"*)
				echo "# leftover process ${p#/proc/} rooted in $r: $(tr '\0' ' ' <"$p/cmdline")" >&2; bad=1 ;;
			esac
			# a half-made init that never reached pivot_root still sits in the bundle
			r=$(readlink "$p/cwd" 2>/dev/null) || continue
			case "$r" in "$BUNDLE"|"$BUNDLE"/*)
				[ "${p#/proc/}" = $$ ] && continue
				echo "# leftover process ${p#/proc/} with cwd $r: $(tr '\0' ' ' <"$p/cmdline")" >&2; bad=1 ;;
			esac
		done
	fi
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		r=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		case "$r" in *" $id"|*" $id "*)
			case "$r" in *bats*|*leftovers*) continue ;; esac
			echo "# leftover process ${p#/proc/}: $r" >&2; bad=1 ;;
		esac
	done
	return $bad
}

# rt_run [ID]: foreground run; use as `run rt_run` to capture status and output.
rt_run() {
	rt run --bundle "$BUNDLE" "${1:-$ID}" </dev/null 3>&-
}
