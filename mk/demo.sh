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
printf '/proc/kcore:    '; wc -c < /proc/kcore
"""]
c["linux"].setdefault("resources", {})["pids"] = {"limit": 64}
c["linux"]["resources"]["memory"] = {"limit": 64 * 1024 * 1024}
json.dump(c, open(p, "w"), indent=1)
PY
say "bulkhead run demo"
(cd "$work" && "$BH" --root "$root" run demo)
echo "exit status: $?"

say "VM mode"
if [ -x "$B/bin/bulkhead-vmm" ]; then
  if grep -qE 'vmx|svm' /proc/cpuinfo; then
    echo "hardware virtualisation present: see README 'VM mode' for tenant commands"
  else
    echo "this host has no VMX/SVM (its /dev/kvm is kvm_pvm): a full Linux guest cannot run"
    echo "natively here. The VMM is exercised by tiny guests (tests/suites/50-vmm, 51-vmm-virtio)"
    echo "and by the nested-SVM-under-TCG harness (tests/suites/70-nested)."
    hello=$B/tests/guests/hello.elf
    if [ -f "$hello" ]; then
      say "bulkhead-vmm --kernel $hello --memory 16"
      "$B/bin/bulkhead-vmm" --kernel "$hello" --memory 16; echo "vmm exit status: $?"
    fi
  fi
else
  echo "bulkhead-vmm is not built"
fi
