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
# an OCI bundle for the OCI verbs in VM mode (bulkhead --tenant n1 run)
# (busybox and sh only: the cpio transport would turn applet hard links
# into copies, and every byte is uploaded into the L2)
mkdir -p "$out/bundle/rootfs/bin" "$out/bundle/rootfs/etc" "$out/bundle/rootfs/tmp"
cp "$b/rootfs/bin/busybox" "$out/bundle/rootfs/bin/busybox" 2>/dev/null || cp /bin/busybox "$out/bundle/rootfs/bin/busybox"
ln -s busybox "$out/bundle/rootfs/bin/sh"
"$b/bin/bulkhead" spec --bundle "$out/bundle"
sed -i 's/^\( *\)"sh"$/\1"sh", "-c", "echo hello-oci; exit 6"/' "$out/bundle/config.json"
grep -q hello-oci "$out/bundle/config.json"
install -m 0755 "$here/nested-test.sh" "$out/test.sh"
