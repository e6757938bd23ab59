#!/bin/sh
# test.sh of the VM-mode nested payload (tests/vm/nested-payload.sh): runs in
# the L1 (busybox), where /dev/kvm is real, so the builtin backend works.
P=${PAYLOAD:-$(pwd)}
R=${NESTED_TMP:-/tmp}/bh
fail=0
t0=$(date +%s)
diag() {
	tail -15 "$R/tenants/n1/console.log" 2>/dev/null | sed 's/^/# L2 console: /'
	tail -5 "$R/tenants/n1/vm.log" 2>/dev/null | sed 's/^/# vmm: /'
}
echo "NESTED-MARK up-start"
if out=$(timeout 170 "$P/bin/bulkhead" --root "$R" tenant up n1 --backend builtin --memory 256M --kernel "$P/kernel" \
	--initrd "$P/initrd" --image "test=$P/image" --timeout 150 2>&1 </dev/null); then
	echo "NESTED-MARK agent-ready"
	echo "ok - builtin: tenant up (bulkhead-vmm): $out"
else
	echo "not ok - builtin: tenant up failed: $out"
	diag
	exit 1
fi
# The tenant's VMM runs jailed: its own unprivileged uid, no capabilities, seccomp.
vpid=$(cat "$R/tenants/n1/vm.pid" 2>/dev/null)
st=$(cat "/proc/$vpid/status" 2>/dev/null)
uid=$(echo "$st" | awk '/^Uid:/{print $2}')
if [ -n "$uid" ] && [ "$uid" != 0 ] && echo "$st" | grep -q '^Seccomp:[[:space:]]*2' &&
   echo "$st" | grep -q '^CapEff:[[:space:]]*0000000000000000' &&
   ls "/proc/$vpid/root/" 2>/dev/null | grep -qx vsock.sock &&
   ! ls "/proc/$vpid/root/" 2>/dev/null | grep -qx -e etc -e bin -e dev; then
	echo "ok - builtin: the tenant's VMM is jailed (uid $uid, no caps, seccomp, root holds only its socket)"
else
	echo "not ok - builtin: the tenant's VMM is not jailed: pid=$vpid uid=$uid"; fail=1
	echo "$st" | grep -E '^(Uid|Seccomp|CapEff)' | sed 's/^/# /'
	ls "/proc/$vpid/root/" 2>&1 | sed 's/^/# root: /'
fi
o=$(timeout 60 "$P/bin/bulkhead" --root "$R" tenant run n1 --stdio capture -- sh -c 'echo hello-capture; exit 4' 2>&1 </dev/null); rc=$?
if [ "$rc" = 4 ] && [ "$o" = hello-capture ]; then
	echo "ok - builtin: tenant run over vsock, captured output and exit status"
else
	echo "not ok - builtin: tenant run --stdio capture: rc=$rc out=$o"; fail=1; diag
fi
echo "NESTED-MARK run-capture"
# shellcheck disable=SC2016
o=$(echo in | timeout 60 "$P/bin/bulkhead" --root "$R" tenant run n1 -i -- sh -c 'read x; echo hello-$x; exit 5' 2>&1); rc=$?
if [ "$rc" = 5 ] && [ "$o" = hello-in ]; then
	echo "ok - builtin: tenant run over vsock with stdio streams: stdin, stdout, exit status"
else
	echo "not ok - builtin: tenant run (streams): rc=$rc out=$o"; fail=1; diag
fi
o=$(timeout 60 "$P/bin/bulkhead" --root "$R" tenant run n1 --stdio capture -- /attack vsock 2>&1 </dev/null); rc=$?
case "$o" in *"socket(AF_VSOCK): EPERM"*) [ $rc = 0 ] && echo "ok - builtin: AF_VSOCK from a container: EPERM" ;; *)
	echo "not ok - builtin: AF_VSOCK from a container: rc=$rc $o"; fail=1 ;; esac
o=$(cd "$P/bundle" && timeout 60 "$P/bin/bulkhead" --root "$R" --tenant n1 run oci1 2>&1 </dev/null); rc=$?
if [ "$rc" = 6 ] && [ "$o" = hello-oci ] && [ ! -e "$R/oci1" ]; then
	echo "ok - builtin: bulkhead --tenant n1 run (the OCI verbs in VM mode): bundle uploaded, output and status back"
else
	echo "not ok - builtin: bulkhead --tenant n1 run: rc=$rc out=$o"; fail=1; diag
fi
pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$R/tenants/n1/state.json")
if timeout 30 "$P/bin/bulkhead" --root "$R" tenant down n1 && [ ! -e "$R/tenants/n1" ] && ! kill -0 "$pid" 2>/dev/null; then
	echo "ok - builtin: tenant down: VMM gone, state removed"
else
	echo "not ok - builtin: tenant down left something"; fail=1
	timeout 10 "$P/bin/bulkhead" --root "$R" tenant down --force n1
fi
echo "# builtin backend: up to down $(( $(date +%s) - t0 )) s in the L1"
exit $fail
