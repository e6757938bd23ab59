#!/bin/sh
# Fetch Debian's cloud kernel (linux-image-cloud-amd64) without installing it,
# unpack it into $BULKHEAD_CACHE/stock/<version>/ and print shell-sourceable
#   STOCK_VERSION=<uname -r>  STOCK_KERNEL=<vmlinuz>  STOCK_MODULES=<lib/modules/ver>
# Idempotent: a finished unpack (stamp file) is reused without touching apt.
# Usage: eval "$(images/stock-kernel.sh)"
set -eu
cache=${BULKHEAD_CACHE:-/var/cache/bulkhead}
meta=${BULKHEAD_STOCK_META:-linux-image-cloud-amd64}
say() { echo "stock-kernel: $*" >&2; }

# The metapackage depends on exactly one versioned image package.
pkg=$(apt-cache depends "$meta" 2>/dev/null |
      sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1)
if [ -z "$pkg" ]; then
  # No apt lists (offline machine): fall back to the newest finished unpack.
  ver=$(ls -1 "$cache/stock" 2>/dev/null | while read -r v; do
          [ -f "$cache/stock/$v/.done" ] && echo "$v"; done | sort -V | tail -1)
  [ -n "$ver" ] || { say "cannot resolve $meta (apt-cache depends gave nothing; run apt-get update?) and nothing cached in $cache/stock"; exit 1; }
  say "apt-cache cannot resolve $meta; using cached $ver"
else
  ver=${pkg#linux-image-}
fi
dir=$cache/stock/$ver

if [ ! -f "$dir/.done" ]; then
  mkdir -p "$cache/stock"
  # Serialise concurrent callers (tests and helpers share the cache).
  exec 9>"$cache/stock/.lock"
  flock 9
  if [ ! -f "$dir/.done" ]; then
    tmp=$(mktemp -d "$cache/stock/.tmp.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    say "downloading $pkg"
    # apt's _apt user must be able to write the download dir.
    chmod 0777 "$tmp"
    (cd "$tmp" && apt-get download -q "$pkg" >"$tmp/apt.log" 2>&1) || {
      say "apt-get download $pkg failed:"; tail -5 "$tmp/apt.log" >&2; exit 1; }
    deb=$(ls "$tmp"/*.deb 2>/dev/null | head -1)
    [ -n "$deb" ] || { say "apt-get download $pkg produced no .deb"; exit 1; }
    dpkg-deb -x "$deb" "$tmp/root" || { say "dpkg-deb -x $deb failed"; exit 1; }
    # The package leaves modules.dep to its postinst; make it here.
    depmod -b "$tmp/root" "$ver" || { say "depmod -b $tmp/root $ver failed"; exit 1; }
    rm -rf "$dir"
    mv "$tmp/root" "$dir"
    touch "$dir/.done"
    rm -rf "$tmp"
    trap - EXIT
  fi
  exec 9>&-
fi

kernel=$dir/boot/vmlinuz-$ver
mods=$dir/lib/modules/$ver
[ -d "$mods" ] || mods=$dir/usr/lib/modules/$ver
[ -f "$kernel" ] || { say "$kernel missing in the unpacked package"; exit 1; }
[ -d "$mods" ] || { say "no lib/modules/$ver in the unpacked package"; exit 1; }
echo "STOCK_VERSION=$ver"
echo "STOCK_KERNEL=$kernel"
echo "STOCK_MODULES=$mods"
