#!/bin/sh
# test.sh of the L2 payload (built by l2-payload.sh); runs inside the L1.
# 1. kvmcheck: /dev/kvm is a working nested-SVM KVM.
# 2. bulkhead-vmm runs the tiny "hello" guest.
# 3. bulkhead-vmm boots the L2 Linux whose /init is l2init; the L1 side
#    serves vsock (vsockpeer), gives it two disks, and checks the console,
#    the raw disk it wrote and the VMM's exit.
# Prints TAP (renumbered by l1-run.sh); exits non-zero when anything failed.
# Env (l1-run.sh --env): L2_TIMEOUT, L2_MEMORY, L2_VCPUS, L2_END=reboot,
# L2_CMDLINE (extra, ',' becomes ' '), L2_VMM_FLAGS (extra, ',' becomes ' ').
P=${PAYLOAD:-/payload}
T=${NESTED_TMP:-/tmp}
cd "$P" || exit 1
fail=0
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; fail=1; }
vmm=./bin/bulkhead-vmm
# The VMM's stderr without vsockpeer's retries while the guest was not listening.
vmm_tail() {
	grep -v 'guest not ready: "CONNECT' "$T/vmm.err" | tail -n 15 | sed 's/^/# vmm| /'
}

./bin/kvmcheck || fail=1

# ---- tiny guest ----
if [ -f guests/hello.elf ]; then
	timeout -s KILL 30 $vmm --kernel guests/hello.elf --memory 16 >"$T/hello.out" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q 'hello from bulkhead guest' "$T/hello.out"; then
		ok "vmm: tiny guest hello runs on nested-SVM KVM and exits 0"
	else
		nok "vmm: tiny guest hello: exit status $rc, output:"
		tr -d '\r' <"$T/hello.out" | tail -n 15 | sed 's/^/# hello| /'
	fi
else
	ok "vmm: tiny guest hello # skip guests/hello.elf not in the payload"
fi

# ---- L2 Linux ----
token=$(cat l2/token)
dd if=/dev/zero of="$T/rw.img" bs=1024 count=1024 2>/dev/null
uds=$T/l2.vsock
rm -f "$uds" "${uds}_5000"
./bin/vsockpeer listen "${uds}_5000" 60 >"$T/peer-listen.out" &
lpid=$!
./bin/vsockpeer connect "$uds" 1024 60 >"$T/peer-connect.out" &
cpid=$!
cmd="console=ttyS0 quiet cryptomgr.notests init_on_alloc=0 mitigations=off rodata=off"
cmd="$cmd audit=0 lsm=capability 8250.nr_uarts=1 panic=-1 reboot=t l2.token=$token"
[ -s l2/novirtio ] && cmd="$cmd l2.novirtio=$(cat l2/novirtio)"
# L2_END=reboot: reboot=t triple fault, VMM exit 2; default poweroff, exit 0.
want_rc=0
[ -n "${L2_CMDLINE:-}" ] && cmd="$cmd $(echo "$L2_CMDLINE" | tr ',' ' ')"
extra=$(echo "${L2_VMM_FLAGS:-}" | tr ',' ' ')
[ "${L2_END:-poweroff}" = reboot ] && cmd="$cmd l2.end=reboot" && want_rc=2
echo "NESTED-MARK l2-vmm-start"
# The VMM's stdout is the L2 console: show it live (TAP lines from l2init
# reach the harness) and keep a copy for the checks below. No tr/sed in
# this pipe: they buffer, and the harness times the lines as they arrive.
# shellcheck disable=SC2086 # $extra is a list of flags
{
	# TERM, not KILL: bulkhead-vmm then logs where vCPU 0 was (exit 4;
	# --verbose puts that in vmm.err, shown on failure).
	timeout -s TERM "${L2_TIMEOUT:-90}" $vmm --verbose --kernel l2/kernel --initrd l2/initrd.cpio.gz \
		--cmdline "$cmd" --memory "${L2_MEMORY:-256}" --vcpus "${L2_VCPUS:-1}" \
		--disk l2/data.img,ro,serial=l2data --disk "$T/rw.img" \
		--vsock 3,"$uds" $extra --serial stdout --console "file:$T/hvc.out" 2>"$T/vmm.err"
	echo $? >"$T/vmm.rc"
} | tee "$T/l2.out"
rc=$(cat "$T/vmm.rc")
echo "NESTED-MARK l2-vmm-exit"
if grep -q '^L2 init reached' "$T/l2.out"; then
	ok "l2: console (serial) carried the L2 init's output to the L1"
else
	nok "l2: L2 init never reached (VMM exit status $rc); last console and VMM lines:"
	tail -n 30 "$T/l2.out" | tr -d '\r' | sed 's/^/# l2| /'
	vmm_tail
	shown=1
fi
if grep -q '^NESTED-L2-DONE failures=0' "$T/l2.out"; then
	ok "l2: l2init ran all its checks without failure"
else
	nok "l2: l2init did not finish cleanly: $(grep '^NESTED-L2-DONE' "$T/l2.out" || echo 'no NESTED-L2-DONE line')"
fi
if [ "$rc" = $want_rc ]; then
	ok "l2: bulkhead-vmm exited $rc after the guest's ${L2_END:-poweroff}"
else
	nok "l2: bulkhead-vmm exit status $rc, want $want_rc (4 or 143 = stopped after ${L2_TIMEOUT:-90} s)"
	[ -n "${shown:-}" ] || vmm_tail
fi
if [ -s l2/novirtio ]; then
	ok "l2: raw disk written by the guest # skip $(cat l2/novirtio)"
	kill $lpid $cpid 2>/dev/null
	wait
else
	if grep -q "^l2-hvc $token" "$T/hvc.out" 2>/dev/null; then
		ok "l2: virtio-console output reached the VMM's --console file"
	else
		nok "l2: virtio-console file holds '$(head -c 100 "$T/hvc.out" 2>/dev/null)', want 'l2-hvc $token'"
	fi
	got=$(head -c 64 "$T/rw.img" | tr -d '\0' | head -n 1)
	if [ "$got" = "l2-wrote $token" ]; then
		ok "l2: raw disk vdb holds what the guest wrote"
	else
		nok "l2: raw disk vdb holds '$got', want 'l2-wrote $token'"
	fi
	# The guest's own side of each vsock check is in its TAP lines; these
	# are the L1's side. Give them a moment, then stop them.
	i=0
	while [ $i -lt 20 ] && kill -0 $lpid 2>/dev/null; do sleep 0.5; i=$((i + 1)); done
	kill $lpid $cpid 2>/dev/null
	wait $lpid || fail=1
	wait $cpid || fail=1
	for f in peer-listen peer-connect; do
		if [ -s "$T/$f.out" ]; then cat "$T/$f.out"; else nok "l1: vsockpeer ($f) reported nothing (killed)"; fi
	done
fi
grep -q '^not ok' "$T/l2.out" && fail=1
exit $fail
