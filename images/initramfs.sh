#!/bin/bash
# Build the guest initramfs (gzip'd newc cpio), byte-for-byte reproducible.
#   images/initramfs.sh OUT.cpio.gz [--init BINARY] [--modules DIR]
#                       [--stock] [--add SRC:DST ...]
#   --init     static binary that becomes /init (default: the agent,
#              $BULKHEAD_TOP/$BULKHEAD_BUILD/bin/bulkhead-agent)
#   --modules  a directory made by images/stock-modules.sh; goes to /modules
#   --stock    for Debian's cloud kernel: fetch it (images/stock-kernel.sh)
#              and add the modules our devices and containers need to /modules
#   --add      copy SRC to /DST (a file or a directory), repeatable
# /modules/load-order lists the modules dependencies first; /init loads them.
# Same inputs give the same bytes: sorted names, mtimes SOURCE_DATE_EPOCH
# (default 0), owner 0:0, cpio --reproducible, gzip -n.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${BULKHEAD_TOP:-$(dirname "$here")}
die() { echo "initramfs: $*" >&2; exit 1; }

# Modules Debian's cloud kernel needs for our virtio-mmio devices and for
# containers; ext4 and cgroups are built into it.
STOCK_MODS="virtio_pci virtio_mmio virtio_blk virtio_net virtio_console virtio_rng
  vmw_vsock_virtio_transport vsock_loopback squashfs overlay veth bridge
  nf_tables nft_chain_nat nft_masq"

out=${1:-}
[ -n "$out" ] && [ "${out#--}" = "$out" ] || die "usage: initramfs.sh OUT.cpio.gz [--init BIN] [--modules DIR] [--stock] [--add SRC:DST]..."
shift
init=$top/${BULKHEAD_BUILD:-build}/bin/bulkhead-agent
modules="" stock=0 adds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --init) init=${2:?--init needs a file}; shift 2 ;;
    --modules) modules=${2:?--modules needs a directory}; shift 2 ;;
    --stock) stock=1; shift ;;
    --add) adds+=("${2:?--add needs SRC:DST}"); shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -f "$init" ] || die "init binary $init not found (build it, or pass --init)"
if file -L "$init" 2>/dev/null | grep -q 'dynamically linked'; then
  die "$init is dynamically linked; /init must be static"
fi

epoch=${SOURCE_DATE_EPOCH:-0}
stage=$(mktemp -d "${TMPDIR:-/tmp}/initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
umask 022
root=$stage/root
mkdir -p "$root"/{dev,proc,sys,tmp,mnt,run}
chmod 1777 "$root/tmp"
install -m 0755 "$init" "$root/init"

if [ $stock = 1 ]; then
  [ -z "$modules" ] || die "--stock and --modules exclude each other"
  eval "$("$here/stock-kernel.sh")"
  # shellcheck disable=SC2086
  "$here/stock-modules.sh" "$STOCK_MODULES" "$stage/mods" $STOCK_MODS
  modules=$stage/mods
fi
if [ -n "$modules" ]; then
  [ -f "$modules/load-order" ] || die "$modules/load-order missing (make it with images/stock-modules.sh)"
  mkdir -p "$root/modules"
  cp "$modules"/load-order "$root/modules/"
  while read -r m; do
    [ -f "$modules/$m" ] || die "$modules/$m listed in load-order but missing"
    install -m 0644 "$modules/$m" "$root/modules/$m"
  done <"$modules/load-order"
fi
for a in "${adds[@]}"; do
  src=${a%%:*} dst=${a#*:}
  [ "$src" != "$a" ] && [ -n "$dst" ] || die "--add wants SRC:DST, got $a"
  [ -e "$src" ] || die "--add: $src not found"
  dst=$root/${dst#/}
  mkdir -p "$(dirname "$dst")"
  cp -a "$src" "$dst"
done
# The kernel opens /dev/console before /init runs; only root can mknod it.
# Without it /init must open the console itself after mounting devtmpfs.
if [ "$(id -u)" = 0 ]; then
  mknod -m 0600 "$root/dev/console" c 5 1
else
  echo "initramfs: not root, no /dev/console node in the archive" >&2
fi

find "$root" -exec touch -h -d "@$epoch" {} +
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --null -o -H newc --reproducible -R 0:0 --quiet) | gzip -9 -n >"$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $out ($(stat -c %s "$out") bytes)" >&2
