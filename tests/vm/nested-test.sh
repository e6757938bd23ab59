#!/bin/sh
# test.sh of the VM-mode nested payload (tests/vm/nested-payload.sh): runs in
# the L1 (busybox), where /dev/kvm is real, so the builtin backend works.
P=${PAYLOAD:-$(pwd)}
R=${NESTED_TMP:-/tmp}/bh
BH="$P/bin/bulkhead --root $R"
fail=0
t0=$(date +%s)
echo "NESTED-MARK up-start"
if out=$($BH tenant up n1 --backend builtin --memory 256M --kernel "$P/kernel" \
	--initrd "$P/initrd" --image "test=$P/image" --timeout 150 2>&1); then
	echo "NESTED-MARK agent-ready"
	echo "ok - builtin: tenant up (bulkhead-vmm): $out"
else
	echo "not ok - builtin: tenant up failed: $out"
	tail -20 "$R/tenants/n1/console.log" 2>/dev/null | sed 's/^/# console: /'
	tail -5 "$R/tenants/n1/vm.log" 2>/dev/null | sed 's/^/# vmm: /'
	exit 1
fi
o=$($BH tenant run n1 -- sh -c 'echo hello-builtin; exit 5' 2>&1); rc=$?
if [ "$rc" = 5 ] && [ "$o" = hello-builtin ]; then
	echo "ok - builtin: tenant run over vsock: stdout and exit status"
else
	echo "not ok - builtin: tenant run: rc=$rc out=$o"; fail=1
fi
o=$($BH tenant run n1 -- /attack vsock 2>&1); rc=$?
case "$o" in *"socket(AF_VSOCK): EPERM"*) [ $rc = 0 ] && echo "ok - builtin: AF_VSOCK from a container: EPERM" ;; *)
	echo "not ok - builtin: AF_VSOCK from a container: rc=$rc $o"; fail=1 ;; esac
pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$R/tenants/n1/state.json")
if $BH tenant down n1 && [ ! -e "$R/tenants/n1" ] && ! kill -0 "$pid" 2>/dev/null; then
	echo "ok - builtin: tenant down: VMM gone, state removed"
else
	echo "not ok - builtin: tenant down left something"; fail=1
fi
echo "# builtin backend: up to down $(( $(date +%s) - t0 )) s in the L1"
exit $fail
