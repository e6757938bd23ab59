#!/bin/bash
# Payload for tests/nested/l1-run.sh (contract: docs/nested-harness.md) that
# runs VM mode with the builtin backend inside the L1: bulkhead tenant up
# (bulkhead-vmm, real KVM there), tenant run, tenant down.
#   tests/vm/nested-payload.sh OUTDIR KERNEL AGENT_INITRAMFS IMAGE
# Exit 3 with "missing: ..." when a binary is not built.
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: nested-payload.sh OUTDIR KERNEL INITRD IMAGE}
kernel=${2:?} initrd=${3:?} image=${4:?}
b=${BULKHEAD_BUILD:-build}
case "$b" in /*) ;; *) b=$top/$b ;; esac
for f in "$b/bin/bulkhead" "$b/bin/bulkhead-vmm"; do
	[ -x "$f" ] || { echo "missing: $f" >&2; exit 3; }
done
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
cp "$b/bin/bulkhead" "$b/bin/bulkhead-vmm" "$out/bin/"
for x in "$b/bin/bulkhead" "$b/bin/bulkhead-vmm"; do
	{ ldd "$x" 2>/dev/null || true; } | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}'
done | sort -u | while read -r l; do cp -L "$l" "$out/lib/"; done
cp -L "$kernel" "$out/kernel"
cp -L "$initrd" "$out/initrd"
cp -L "$image" "$out/image"
install -m 0755 "$here/nested-test.sh" "$out/test.sh"
