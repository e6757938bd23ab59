#!/bin/bash
# Build the Bulkhead guest kernel from Debian's linux-source-6.1:
#   allnoconfig + kernel-config/microvm-x86_64.config, checked, then vmlinux+bzImage.
# Everything lives in $BULKHEAD_CACHE/kernel (outside the repo):
#   src-<tarball id>/   the unpacked source, shared by all configs
#   <hash>/             one output tree (O=) per fragment+source hash, with
#                       vmlinux, bzImage, config and a stamp once built
#   current ->  <hash>  for the default fragment
#   ccache/             the compiler cache
# A second run with nothing changed does nothing but print the paths.
# Prints shell-sourceable KERNEL_VMLINUX=, KERNEL_BZIMAGE=, KERNEL_CONFIG=.
# Environment: KERNEL_FRAGMENT (another fragment), BULKHEAD_KERNEL_SRC (the
# source tarball), KERNEL_JOBS (default 2), KERNEL_CHECK_ONLY=1 (stop after
# the config check).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${BULKHEAD_CACHE:-/var/cache/bulkhead}
default_frag=$top/kernel-config/microvm-x86_64.config
frag=${KERNEL_FRAGMENT:-$default_frag}
src_tar=${BULKHEAD_KERNEL_SRC:-/usr/src/linux-source-6.1.tar.xz}
jobs=${KERNEL_JOBS:-2}
say() { echo "build-kernel: $*" >&2; }
die() { say "error: $*"; exit 1; }

# --- packages ----------------------------------------------------------------
# Packages are named in deps/kernel.list; install what is missing when root.
need=$(sed 's/#.*//' "$top/deps/kernel.list" | tr -s ' \t' '\n' | sed '/^$/d')
missing=""
for p in $need; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  [ "$(id -u)" = 0 ] || die "missing packages:$missing (run 'make deps' as root)"
  say "installing:$missing"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 ||
    die "apt-get install$missing failed"
fi

# --- inputs --------------------------------------------------------------------
[ -f "$frag" ] || die "config fragment $frag not found"
[ -f "$src_tar" ] || die "kernel source $src_tar not found (package linux-source-6.1 installs /usr/src/linux-source-6.1.tar.xz)"
frag=$(cd "$(dirname "$frag")" && pwd)/$(basename "$frag")
src_id=$(stat -c '%n:%s:%Y' "$src_tar" | sha256sum | cut -c1-12)
hash=$( { cat "$frag"; echo "$src_id"; } | sha256sum | cut -c1-16)
srcdir=$cache/kernel/src-$src_id
out=$cache/kernel/$hash
mkdir -p "$cache/kernel"

# One run per output tree at a time (tests and helpers share the cache);
# runs for other fragments, like the bad-input tests, go on in parallel.
exec 9>"$cache/kernel/.lock-$hash"
flock 9

finish() {
  if [ "$frag" = "$default_frag" ]; then ln -sfn "$hash" "$cache/kernel/current"; fi
  echo "KERNEL_VMLINUX=$out/vmlinux"
  echo "KERNEL_BZIMAGE=$out/bzImage"
  echo "KERNEL_CONFIG=$out/config"
}

if [ -f "$out/.stamp" ] && [ -z "${KERNEL_CHECK_ONLY:-}" ]; then
  say "up to date ($hash)"
  finish
  exit 0
fi

# --- source --------------------------------------------------------------------
exec 8>"$cache/kernel/.lock-src"
flock 8
if [ ! -f "$srcdir/.done" ]; then
  say "unpacking $src_tar"
  tmp=$cache/kernel/.unpack.$$
  rm -rf "$tmp"; mkdir -p "$tmp"
  tar -C "$tmp" -xf "$src_tar" || { rm -rf "$tmp"; die "cannot unpack $src_tar"; }
  top_dir=$(ls "$tmp")
  [ -f "$tmp/$top_dir/Makefile" ] || { rm -rf "$tmp"; die "$src_tar does not hold a kernel tree"; }
  rm -rf "$srcdir"
  mv "$tmp/$top_dir" "$srcdir"
  rm -rf "$tmp"
  touch "$srcdir/.done"
fi
exec 8>&-

# --- configuration ---------------------------------------------------------------
mkdir -p "$out"
kmake() { nice make -s -C "$srcdir" O="$out" "$@"; }
kmake allnoconfig >"$out/config.log" 2>&1 || { tail -20 "$out/config.log" >&2; die "make allnoconfig failed"; }
(cd "$srcdir" && scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$frag") >>"$out/config.log" 2>&1 ||
  { tail -20 "$out/config.log" >&2; die "merge_config.sh failed"; }
kmake olddefconfig >>"$out/config.log" 2>&1 || { tail -20 "$out/config.log" >&2; die "make olddefconfig failed"; }

# Every line of the fragment must survive olddefconfig exactly; Kconfig drops
# options whose dependencies are unmet without a word, so check here.
bad=0
while IFS= read -r line; do
  case "$line" in
    CONFIG_*=*) sym=${line%%=*}; want=${line#*=} ;;
    "# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want=n ;;
    *) continue ;;
  esac
  got=$(grep -E "^$sym=" "$out/.config" | head -1 | cut -d= -f2- || true)
  [ -n "$got" ] || got=n
  [ "$got" = "$want" ] && continue
  bad=$((bad + 1))
  name=${sym#CONFIG_}
  if ! grep -rqE "^[[:space:]]*(menu)?config[[:space:]]+${name}[[:space:]]*$" --include='Kconfig*' "$srcdir"; then
    say "$sym: asked $want, but this kernel has no such option (typo or removed?)"
  else
    say "$sym: asked $want, got $got (missing dependency?)"
  fi
done <"$frag"
if [ "$bad" != 0 ]; then
  # A config that cannot build is worth nothing; do not leave it behind.
  [ -f "$out/.stamp" ] || rm -rf "$out" "$cache/kernel/.lock-$hash"
  die "$bad option(s) of $frag did not take effect; see above"
fi
say "config check passed ($(grep -c '^CONFIG_' "$frag") options as asked)"
[ -z "${KERNEL_CHECK_ONLY:-}" ] || { cp "$out/.config" "$out/config"; echo "KERNEL_CONFIG=$out/config"; exit 0; }

# --- build ------------------------------------------------------------------------
export CCACHE_DIR=$cache/kernel/ccache
# Paths under the cache become relative, so output trees share cache hits.
export CCACHE_BASEDIR=$cache/kernel
say "building vmlinux and bzImage in $out (make -j$jobs; log $out/build.log)"
start=$(date +%s)
kmake -j"$jobs" CC="ccache gcc" KBUILD_BUILD_TIMESTAMP=@0 KBUILD_BUILD_USER=bulkhead \
  KBUILD_BUILD_HOST=bulkhead vmlinux bzImage >"$out/build.log" 2>&1 ||
  { tail -30 "$out/build.log" >&2; die "kernel build failed (full log: $out/build.log)"; }
cp "$out/arch/x86/boot/bzImage" "$out/bzImage"
cp "$out/.config" "$out/config"
echo "$hash" >"$out/.stamp"
say "built in $(( $(date +%s) - start )) s: vmlinux $(stat -c %s "$out/vmlinux") B, bzImage $(stat -c %s "$out/bzImage") B"
finish
