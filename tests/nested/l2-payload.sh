#!/bin/bash
# Assemble the nested harness payload that boots an L2 Linux with bulkhead-vmm.
#   tests/nested/l2-payload.sh OUTDIR
# OUTDIR (recreated) follows the payload contract of docs/nested-harness.md:
#   test.sh                  tests/nested/l2-test.sh
#   bin/                     bulkhead-vmm, kvmcheck, vsockpeer
#   lib/                     bulkhead-vmm's shared libraries and loader
#   guests/hello.elf         the VMM's tiny guest, when built
#   l2/kernel                NESTED_L2_KERNEL, else $BULKHEAD_CACHE/kernel/current/bzImage
#                            (make kernel), else Debian's cloud kernel ("stock")
#   l2/initrd.cpio.gz        l2init as /init (+ virtio modules for stock)
#   l2/data.img, l2/token    ext4 disk whose known.txt holds the random token
#   l2/mode, l2/novirtio     "minimal"|"stock"; why virtio checks are skipped
# Exit 3 with "missing: ..." on stderr when a prerequisite is not built.
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: l2-payload.sh OUTDIR}
b=${BULKHEAD_BUILD:-build}
case "$b" in /*) ;; *) b=$top/$b ;; esac
cache=${BULKHEAD_CACHE:-/var/cache/bulkhead}
missing() { echo "missing: $*" >&2; exit 3; }

vmm=$b/bin/bulkhead-vmm
[ -x "$vmm" ] || missing "$vmm (make BUILD=... all)"
for t in kvmcheck vsockpeer l2init; do
	[ -x "$b/tests/nested/$t" ] || missing "$b/tests/nested/$t (make BUILD=... all)"
done
mode=minimal novirtio=""
kernel=${NESTED_L2_KERNEL:-$cache/kernel/current/bzImage}
if [ ! -f "$kernel" ]; then
	eval "$("$top/images/stock-kernel.sh")"
	kernel=$STOCK_KERNEL mode=stock
	cfg=$(dirname "$STOCK_KERNEL")/config-$STOCK_VERSION
	grep -q '^CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y' "$cfg" 2>/dev/null ||
		novirtio="stock_kernel_lacks_CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES_(run_make_kernel)"
fi

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/l2" "$out/guests"
install -m 0755 "$here/l2-test.sh" "$out/test.sh"
cp "$vmm" "$b/tests/nested/kvmcheck" "$b/tests/nested/vsockpeer" "$out/bin/"
# Shared libraries: ldd's "=> /path" entries plus the loader itself.
# (nothing when the VMM is static)
{ ldd "$vmm" 2>/dev/null || true; } | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' | while read -r l; do
	cp -L "$l" "$out/lib/"
done
[ -f "$b/tests/guests/hello.elf" ] && cp "$b/tests/guests/hello.elf" "$out/guests/"
cp -L "$kernel" "$out/l2/kernel"
echo "$mode" >"$out/l2/mode"
printf '%s' "$novirtio" >"$out/l2/novirtio"

# L2 initramfs.
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/root/proc" "$w/root/sys" "$w/root/dev" "$w/root/mnt"
install -m 0755 "$b/tests/nested/l2init" "$w/root/init"
if [ $mode = stock ] && [ -z "$novirtio" ]; then
	"$top/images/stock-modules.sh" "$STOCK_MODULES" "$w/root/modules" \
		virtio_mmio virtio_blk vmw_vsock_virtio_transport >/dev/null
fi
find "$w/root" -exec touch -h -d @0 {} +
(cd "$w/root" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet | gzip -n -1) \
	>"$out/l2/initrd.cpio.gz"

# Data disk with a fresh token, so a stale image cannot pass.
token=tok-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$w/data"
echo "$token" >"$w/data/known.txt"
printf '%s' "$token" >"$out/l2/token"
m=$(mke2fs -q -F -t ext4 -O ^has_journal -L l2data -d "$w/data" "$out/l2/data.img" 2M 2>&1) ||
	{ echo "l2-payload: mke2fs: $m" >&2; exit 1; }
echo "l2-payload: $out ($mode kernel $(basename "$kernel"), $(du -sh "$out" | cut -f1))"
