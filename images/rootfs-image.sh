#!/bin/sh
# Pack a rootfs directory into a disk image, reproducibly.
#   images/rootfs-image.sh DIR OUT ext4|squashfs
# ext4: sized from the content (+25% and 8 MiB), owner 0:0 for the root,
# fixed UUID and directory hash seed, every timestamp SOURCE_DATE_EPOCH.
# squashfs: zstd, all files owned by root, all times SOURCE_DATE_EPOCH.
# The file mtimes inside come from DIR (images/busybox-rootfs.sh sets them).
set -eu
die() { echo "rootfs-image: $*" >&2; exit 1; }
[ $# = 3 ] || die "usage: rootfs-image.sh DIR OUT ext4|squashfs"
dir=$1 out=$2 fmt=$3
[ -d "$dir" ] || die "$dir is not a directory"
epoch=${SOURCE_DATE_EPOCH:-0}
# Any fixed value will do; it only has to be the same every time.
uuid=${BULKHEAD_IMAGE_UUID:-6b756c6b-6865-6164-0000-000000000001}
rm -f "$out.tmp"
case "$fmt" in
  ext4)
    kib=$(du -sk --apparent-size "$dir" | cut -f1)
    kib=$(( kib + kib / 4 + 8192 ))
    # mke2fs 1.47.0 stamps the superblock, root and lost+found with the
    # current time and ignores SOURCE_DATE_EPOCH; libfaketime freezes it.
    command -v faketime >/dev/null || die "faketime missing (apt-get install faketime)"
    TZ=UTC E2FSPROGS_FAKE_TIME=$epoch SOURCE_DATE_EPOCH=$epoch \
      faketime -f "$(date -u -d "@$epoch" '+%Y-%m-%d %H:%M:%S')" mke2fs -q -F -t ext4 -b 4096 -L bulkhead-root -U "$uuid" \
        -E "root_owner=0:0,hash_seed=$uuid,lazy_itable_init=0,lazy_journal_init=0" \
        -d "$dir" "$out.tmp" "${kib}k" >/dev/null || die "mke2fs of $dir failed"
    # mke2fs -d copies atime and ctime from the host files, which no one can
    # pin (reading sets atime, any change sets ctime): reset both here.
    cmds=$(mktemp)
    (cd "$dir" && find . -mindepth 1) | sed 's|^\.||' | {
      echo "sif / atime @$epoch"; echo "sif / ctime @$epoch"
      while IFS= read -r p; do
        case "$p" in *'"'*|*'\'*) die "cannot handle the name $p" ;; esac
        echo "sif \"$p\" atime @$epoch"; echo "sif \"$p\" ctime @$epoch"
      done; } >"$cmds"
    # debugfs stamps the superblock's write time: freeze the clock again.
    TZ=UTC faketime -f "$(date -u -d "@$epoch" '+%Y-%m-%d %H:%M:%S')" \
      debugfs -w -f "$cmds" "$out.tmp" >/dev/null 2>"$cmds.err" || { rm -f "$cmds" "$cmds.err"; die "debugfs on $out.tmp failed"; }
    if grep -v '^debugfs ' "$cmds.err" | grep -q .; then
      grep -v '^debugfs ' "$cmds.err" | head -3 >&2; rm -f "$cmds" "$cmds.err"; die "debugfs could not reset the times"
    fi
    rm -f "$cmds" "$cmds.err"
    ;;
  squashfs)
    mksquashfs "$dir" "$out.tmp" -quiet -no-progress -noappend -comp zstd \
      -all-root -reproducible -mkfs-time "$epoch" -all-time "$epoch" >/dev/null ||
      die "mksquashfs of $dir failed"
    ;;
  *) die "unknown format $fmt (ext4 or squashfs)" ;;
esac
mv "$out.tmp" "$out"
echo "rootfs-image: $out ($(stat -c %s "$out") bytes)" >&2
