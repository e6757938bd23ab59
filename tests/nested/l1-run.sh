#!/bin/bash
# Nested harness: boots an L1 QEMU/TCG guest (-cpu max,-la57, i.e. AMD SVM)
# running Debian's cloud kernel with kvm-amd loaded, so that the L1 has a real
# /dev/kvm; runs PAYLOAD/test.sh there and relays its TAP lines.
#   tests/nested/l1-run.sh [options] PAYLOAD_DIR
# Options:
#   --timeout S      whole run, host side (default 300); test.sh gets S-30
#   --transport T    auto|cpio|disk: payload appended to the initramfs or as an
#                    ext4 virtio-blk disk (auto: cpio below 48 MiB)
#   --smp N  --mem MiB  --cpu MODEL  --machine M  --accel A   QEMU knobs
#   --log FILE       full L1 console log (default $BULKHEAD_CACHE/nested/last.log)
#   --append TEXT    extra L1 kernel command line (e.g. "loglevel=7" to debug)
#   --env K=V        environment for test.sh (via the kernel command line, so
#                    no spaces; repeatable)
# Env: BULKHEAD_CACHE (/var/cache/bulkhead), NESTED_VERBOSE=1 echoes the whole
# console as "# | ..." lines, QEMU (qemu-system-x86_64).
# Exit: the payload's status; 124 on timeout; 125 when the harness itself
# failed (no kernel, no /dev/kvm, L1 died). See docs/nested-harness.md.
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export BULKHEAD_CACHE=${BULKHEAD_CACHE:-/var/cache/bulkhead}
timeout_s=300 transport=auto smp=2 mem=2048 cpu=max,-la57 machine=q35
accel=tcg,thread=multi log="" envs="" extra=""
while [ $# -gt 1 ]; do
	case "$1" in
	--timeout) timeout_s=$2 ;; --transport) transport=$2 ;;
	--smp) smp=$2 ;; --mem) mem=$2 ;; --cpu) cpu=$2 ;;
	--machine) machine=$2 ;; --accel) accel=$2 ;; --log) log=$2 ;; --append) extra=" $2" ;;
	--env)
		[[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*=[^[:space:]]*$ ]] || { echo "l1-run: --env $2: want K=V, no spaces" >&2; exit 2; }
		envs="$envs $2" ;;
	*) echo "l1-run: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
payload=${1:?usage: l1-run.sh [options] PAYLOAD_DIR}
[ -f "$payload/test.sh" ] || { echo "l1-run: $payload/test.sh missing" >&2; exit 2; }
qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || { echo "l1-run: $qemu not found" >&2; exit 125; }
cache=$BULKHEAD_CACHE/nested
mkdir -p "$cache" || exit 125
log=${log:-$cache/last.log}
t0=$EPOCHREALTIME

# ---- the L1 kernel and modules: Debian's cloud kernel ----
stock=$("$top/images/stock-kernel.sh") || { echo "l1-run: images/stock-kernel.sh failed" >&2; exit 125; }
eval "$stock"
modlist="irqbypass kvm kvm-amd virtio_pci virtio_blk"

# ---- the L1 base initramfs, cached by its inputs ----
bb=${BUSYBOX:-/bin/busybox}
key=$( { echo "v1 $STOCK_VERSION $modlist"; cat "$here/l1-init.sh" "$top/images/stock-modules.sh"; sha256sum "$bb"; } |
	sha256sum | cut -c1-16)
base=$cache/l1-$key.cpio.gz
if [ ! -s "$base" ]; then
	w=$(mktemp -d "$cache/l1-build.XXXXXX") || exit 125
	trap 'rm -rf "$w"' EXIT
	"$top/images/busybox-rootfs.sh" "$w/root" >/dev/null || exit 125
	# shellcheck disable=SC2086
	m=$("$top/images/stock-modules.sh" "$STOCK_MODULES" "$w/root/modules" $modlist 2>&1) ||
		{ echo "l1-run: $m" >&2; exit 125; }
	install -m 0755 "$here/l1-init.sh" "$w/root/init"
	find "$w/root" -exec touch -h -d @0 {} +
	(cd "$w/root" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet | gzip -n -1) \
		>"$w/l1.cpio.gz" || exit 125
	rm -f "$cache"/l1-*.cpio.gz
	mv "$w/l1.cpio.gz" "$base"
	rm -rf "$w"
	trap - EXIT
fi

# ---- the payload: appended cpio, or an ext4 image on virtio-blk ----
run=$(mktemp -d "${TMPDIR:-/tmp}/nested-run.XXXXXX") || exit 125
qpid=""
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
psize=$(du -sk --apparent-size -L "$payload" | cut -f1)
if [ "$transport" = auto ]; then
	transport=cpio
	[ "$psize" -gt $((48 * 1024)) ] && transport=disk
fi
qdisk=()
if [ "$transport" = cpio ]; then
	mkdir -p "$run/p" && ln -s "$(cd "$payload" && pwd)" "$run/p/payload"
	(cd "$run/p" && find -L payload | LC_ALL=C sort |
		cpio -o -H newc -L --reproducible -R 0:0 --quiet) >"$run/payload.cpio" || exit 125
	# Uncompressed first: the kernel finds the end of a plain cpio exactly,
	# but not always that of a gzip member followed by a plain archive.
	cat "$run/payload.cpio" "$base" >"$run/initrd"
else
	mb=$((psize * 13 / 10 / 1024 + 16))
	E2FSPROGS_FAKE_TIME=1 mke2fs -q -F -t ext4 -O ^has_journal -L payload \
		-U 6e657374-6564-4000-8000-7061796c6f61 -E root_owner=0:0,hash_seed=6e657374-6564-4000-8000-7061796c6f61 \
		-d "$payload" "$run/payload.img" "${mb}M" >"$run/mke2fs.out" 2>&1 ||
		{ echo "l1-run: mke2fs: $(cat "$run/mke2fs.out")" >&2; exit 125; }
	ln -s "$base" "$run/initrd"
	# shellcheck disable=SC2054
	qdisk=(-drive "file=$run/payload.img,format=raw,if=none,id=payload,readonly=on"
		-device virtio-blk-pci,drive=payload)
fi
t_prep=$EPOCHREALTIME

# ---- boot ----
# The L1 kills test.sh first (and says so) unless booting ate the margin.
l1_timeout=$((timeout_s > 40 ? timeout_s - 30 : 10))
append="console=ttyS0 quiet cryptomgr.notests init_on_alloc=0 mitigations=off rodata=off audit=0"
append="$append lsm=capability 8250.nr_uarts=1 panic=-1 reboot=t nested.transport=$transport nested.timeout=$l1_timeout$envs$extra"
: >"$log"
mkfifo "$run/out"
timeout --kill-after=5 "$timeout_s" "$qemu" -nodefaults -no-user-config -display none \
	-monitor none -serial stdio -no-reboot -accel "$accel" -cpu "$cpu" -M "$machine" \
	-m "$mem" -smp "$smp" -kernel "$STOCK_KERNEL" -initrd "$run/initrd" -append "$append" \
	"${qdisk[@]}" </dev/null >"$run/out" 2>&1 &
qpid=$!
t_qemu=$EPOCHREALTIME
n=0 nfail=0 rc="" marks=""
while IFS= read -r line; do
	line=${line%$'\r'}
	now=$EPOCHREALTIME
	printf '%s %s\n' "$(awk -v a="$t_qemu" -v b="$now" 'BEGIN{printf "%7.3f", b-a}')" "$line" >>"$log"
	case "$line" in
	"ok "*|"ok"|"not ok "*)
		n=$((n + 1))
		[[ $line == not* ]] && nfail=$((nfail + 1))
		[[ $line =~ ^(not ok|ok)([[:space:]]+[0-9]+)?(.*)$ ]]
		echo "${BASH_REMATCH[1]} $n${BASH_REMATCH[3]}" ;;
	"#"*) echo "$line" ;;
	NESTED-L1-EXIT\ rc=*) rc=${line#*rc=} ;;
	*NESTED-MARK\ *)
		m=${line#*NESTED-MARK }
		marks="$marks$(awk -v a="$t_qemu" -v b="$now" -v m="${m%% *}" 'BEGIN{printf "%s=%.2f ", m, b-a}')"
		[ "${NESTED_VERBOSE:-0}" = 1 ] && echo "# | $line" ;;
	*) [ "${NESTED_VERBOSE:-0}" = 1 ] && echo "# | $line" ;;
	esac
done <"$run/out"
wait "$qpid"
qrc=$?
qpid=""
t_end=$EPOCHREALTIME
fmt() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }
echo "# nested: prepare $(fmt "$t0" "$t_prep") s, qemu run $(fmt "$t_qemu" "$t_end") s; marks (s after qemu start): ${marks:-none}"
echo "# nested: transport $transport, payload ${psize} KiB, $machine $cpu smp=$smp accel=$accel, log $log"
if [ -z "$rc" ]; then
	n=$((n + 1))
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		why="timed out after $timeout_s s"
		rc=124
	else
		why="QEMU exited with status $qrc before the L1 init reported"
		rc=125
	fi
	echo "not ok $n - nested: L1 did not finish: $why"
	tail -n 25 "$log" | sed 's/^/# | /'
elif [ "$rc" != 0 ] && [ "$nfail" = 0 ]; then
	n=$((n + 1))
	echo "not ok $n - nested: payload test.sh exited with status $rc"
fi
echo "1..$n"
exit "$rc"
