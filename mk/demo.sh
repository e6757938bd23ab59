#!/bin/bash
# make demo: run one container in bare mode and show what it got, then (when a
# guest kernel and the agent are available) one inside a tenant microVM.
set -u
cd "$(dirname "$0")/.."
B=${BULKHEAD_BUILD:-build}
BH=$PWD/$B/bin/bulkhead
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "demo: bare mode needs root (namespaces, cgroups); run as root" >&2
  exit 1
fi
work=$(mktemp -d /tmp/bulkhead-demo.XXXXXX)
root=$work/state
trap '"$BH" --root "$root" delete --force demo >/dev/null 2>&1; rm -rf "$work"' EXIT

say "bare mode: a busybox rootfs and the default (secure) config"
images/busybox-rootfs.sh "$work/rootfs" >/dev/null
(cd "$work" && "$BH" spec)
echo "$BH spec  ->  $work/config.json ($(wc -c <"$work/config.json") bytes)"

python3 - "$work/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["sh", "-c", """
echo "hello from $(hostname), pid $$ in its own pid namespace"
echo "capabilities:   $(grep CapEff /proc/self/status | cut -f2)"
echo "no_new_privs:   $(grep NoNewPrivs /proc/self/status | cut -f2)"
echo "seccomp mode:   $(grep '^Seccomp:' /proc/self/status | cut -f2) (2 = filter)"
echo "devices:        $(ls /dev | tr '\\n' ' ')"
printf 'mount tmpfs:    '; mount -t tmpfs x /mnt 2>&1 || true
printf 'sysrq-trigger:  '; (echo h > /proc/sysrq-trigger) 2>&1 || true
printf 'timer_list:     '; echo "$(wc -c < /proc/timer_list) bytes (masked)"
printf 'raw socket:     '; ping -c1 -W1 127.0.0.1 >/dev/null 2>&1 && echo "ping works (ping_group_range)" || echo "ping blocked"
true
"""]
c["linux"].setdefault("resources", {})["pids"] = {"limit": 64}
c["linux"]["resources"]["memory"] = {"limit": 64 * 1024 * 1024}
json.dump(c, open(p, "w"), indent=1)
PY
say "bulkhead run demo"
(cd "$work" && "$BH" --root "$root" run demo)
echo "exit status: $?"

say "VM mode"
kernel=${BULKHEAD_CACHE:-/var/cache/bulkhead}/kernel/current/bzImage
if ! grep -qE 'vmx|svm' /proc/cpuinfo; then
  echo "this host has no VMX/SVM (its /dev/kvm is kvm_pvm): Linux guests cannot run natively"
  echo "under bulkhead-vmm here, so the tenant below boots under QEMU TCG (slower, same agent)."
  echo "bulkhead-vmm itself is shown with a tiny guest, and booting Linux in the nested harness"
  echo "(tests/suites/70-nested)."
  hello=$B/tests/guests/hello.elf
  if [ -f "$hello" ]; then
    say "bulkhead-vmm --kernel $hello --memory 16"
    "$B/bin/bulkhead-vmm" --kernel "$hello" --memory 16; echo "vmm exit status: $?"
  fi
fi
if [ "${DEMO_VM:-1}" = 0 ]; then
  echo "DEMO_VM=0: skipping the tenant microVM"
  exit 0
fi
if [ ! -f "$kernel" ]; then
  say "building the guest kernel (make kernel: ~10 minutes the first time, cached afterwards)"
  make --no-print-directory kernel || { echo "demo: make kernel failed; no VM-mode demo" >&2; exit 1; }
fi
make --no-print-directory agent-initramfs images >/dev/null || { echo "demo: building guest images failed" >&2; exit 1; }
trap '"$BH" --root "$root" tenant down --force demo >/dev/null 2>&1; "$BH" --root "$root" delete --force demo >/dev/null 2>&1; rm -rf "$work"' EXIT
say "bulkhead tenant up demo --memory 256M --image rootfs=$B/images/rootfs.squashfs"
"$BH" --root "$root" tenant up demo --memory 256M --image "rootfs=$B/images/rootfs.squashfs" || exit 1
"$BH" --root "$root" tenant ls
say "bulkhead tenant run demo --image rootfs -- ...   (a container inside the microVM)"
"$BH" --root "$root" tenant run demo --image rootfs -- sh -c '
echo "hello from a container in tenant microVM $(uname -r)"
echo "capabilities:   $(grep CapEff /proc/self/status | cut -f2)"
echo "seccomp mode:   $(grep "^Seccomp:" /proc/self/status | cut -f2)"
printf "mount tmpfs:    "; mount -t tmpfs x /mnt 2>&1 || true'
echo "exit status: $?"
say "bulkhead tenant down demo"
"$BH" --root "$root" tenant down demo
