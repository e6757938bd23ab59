#!/bin/sh
# Build a minimal, deterministic test rootfs from Debian's busybox-static.
#   images/busybox-rootfs.sh DIR
# DIR is (re)created: busybox plus one symlink per applet, /etc/passwd and
# /etc/group with root and an unprivileged "user" (1000), empty /tmp, /proc,
# /sys, /dev mount points. Every mtime is SOURCE_DATE_EPOCH (default 0) so two
# builds are byte-identical (tar --sort=name of DIR compares equal).
set -eu
dir=${1:?usage: busybox-rootfs.sh DIR}
bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || { echo "busybox-rootfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
# A dynamically linked busybox would not run inside the bare rootfs.
if file -L "$bb" 2>/dev/null | grep -q 'dynamically linked'; then
  echo "busybox-rootfs: $bb is dynamically linked; need busybox-static" >&2; exit 1
fi
epoch=${SOURCE_DATE_EPOCH:-0}
tmp="$dir.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
umask 022
mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/usr/bin" "$tmp/usr/sbin" "$tmp/etc" \
  "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/root" "$tmp/home/user" "$tmp/mnt" \
  "$tmp/run" "$tmp/var" "$tmp/tmp"
chmod 1777 "$tmp/tmp"
chmod 0700 "$tmp/root"
cp "$bb" "$tmp/bin/busybox"
chmod 0755 "$tmp/bin/busybox"
# --list-full prints e.g. "usr/bin/awk"; one relative symlink per applet.
"$bb" --list-full | sort | while read -r app; do
  case "$app" in bin/busybox|"") continue ;; esac
  d=$(dirname "$app")
  case "$d" in
    bin|sbin) rel=../bin/busybox ;;
    usr/bin|usr/sbin) rel=../../bin/busybox ;;
    *) mkdir -p "$tmp/$d"; rel=/bin/busybox ;;
  esac
  [ "$d" = bin ] && rel=busybox
  ln -sf "$rel" "$tmp/$app"
done
cat >"$tmp/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$tmp/etc/group" <<'G'
root:x:0:
user:x:1000:
nogroup:x:65534:
G
printf 'bulkhead-test\n' >"$tmp/etc/hostname"
: >"$tmp/etc/resolv.conf"
printf '127.0.0.1 localhost\n' >"$tmp/etc/hosts"
# Only root can hand /home/user to uid 1000; as non-root the tree is otherwise the same.
chown -R 1000:1000 "$tmp/home/user" 2>/dev/null || echo "busybox-rootfs: not root, /home/user left to $(id -u)" >&2
find "$tmp" -exec touch -h -d "@$epoch" {} +
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "busybox-rootfs: $dir ($("$bb" --list | wc -l) applets)"
