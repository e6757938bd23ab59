#!/bin/bash
# Copy kernel modules and everything they depend on out of a modules tree.
#   images/stock-modules.sh MODDIR OUTDIR mod1 [mod2...]
# MODDIR is lib/modules/<version> (with modules.dep: images/stock-kernel.sh
# runs depmod). OUTDIR gets one plain .ko per module, decompressed because
# busybox insmod and a bare init_module(2) cannot load .ko.xz/.zst/.gz, and
# OUTDIR/load-order: the file names, dependencies first. A name that is built
# into the kernel (modules.builtin) is skipped; an unknown name is an error.
set -euo pipefail
die() { echo "stock-modules: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: stock-modules.sh MODDIR OUTDIR mod1 [mod2...]"
moddir=$1 out=$2; shift 2
dep=$moddir/modules.dep
[ -f "$dep" ] || die "$dep missing (run depmod -b ROOT VERSION)"

# Module names treat '-' and '_' alike.
norm() { local n=${1##*/}; n=${n%%.ko*}; echo "${n//-/_}"; }
declare -A path deps builtin state
while IFS= read -r line; do
  m=${line%%:*}; n=$(norm "$m")
  path[$n]=$m
  deps[$n]=${line#*:}
done <"$dep"
if [ -f "$moddir/modules.builtin" ]; then
  while IFS= read -r m; do builtin[$(norm "$m")]=1; done <"$moddir/modules.builtin"
fi

order=()
# Depth-first: a module goes into the order after all of its dependencies.
visit() {
  local n=$1 d
  case "${state[$n]:-}" in "done") return ;; active) die "dependency cycle at $n" ;; esac
  state[$n]=active
  for d in ${deps[$n]}; do visit "$(norm "$d")"; done
  state[$n]="done"
  order+=("$n")
}
for want in "$@"; do
  n=$(norm "$want")
  if [ -n "${path[$n]:-}" ]; then visit "$n"
  elif [ -n "${builtin[$n]:-}" ]; then echo "stock-modules: $want is built in; skipped" >&2
  else die "module $want not found in $dep"
  fi
done

mkdir -p "$out"
: >"$out/load-order"
for n in "${order[@]}"; do
  src=$moddir/${path[$n]}
  dst=$out/$n.ko
  case "$src" in
    *.ko) cp "$src" "$dst" ;;
    *.ko.xz) xz -dc "$src" >"$dst" ;;
    *.ko.zst) zstd -qdc "$src" >"$dst" ;;
    *.ko.gz) gzip -dc "$src" >"$dst" ;;
    *) die "unknown module format: $src" ;;
  esac || die "cannot copy $src"
  echo "$n.ko" >>"$out/load-order"
done
echo "stock-modules: ${#order[@]} modules in $out" >&2
