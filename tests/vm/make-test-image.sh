#!/bin/sh
# A container image for VM-mode tests: the busybox rootfs plus the static
# attack tool (tests/integration/attack.c), the attack list and its runner.
#   tests/vm/make-test-image.sh OUT ext4|squashfs
# Needs $BULKHEAD_TOP/$BULKHEAD_BUILD/tests/attack (make BUILD=... all).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=${BULKHEAD_TOP:-$(cd "$here/../.." && pwd)}
out=${1:?usage: make-test-image.sh OUT ext4|squashfs}
fmt=${2:?usage: make-test-image.sh OUT ext4|squashfs}
b=${BULKHEAD_BUILD:-build}
case "$b" in /*) ;; *) b=$top/$b ;; esac
attack=$b/tests/attack
[ -x "$attack" ] || { echo "make-test-image: $attack not built" >&2; exit 3; }
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
"$top/images/busybox-rootfs.sh" "$w/root" >/dev/null
install -m 0755 "$attack" "$w/root/attack"
install -m 0644 "$here/attacks.list" "$w/root/attacks.list"
install -m 0755 "$here/run-attacks.sh" "$w/root/run-attacks"
"$top/images/rootfs-image.sh" "$w/root" "$out" "$fmt" >/dev/null
