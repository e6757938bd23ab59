#!/bin/sh
# Install every Debian package the build, tests, demo and bench need.
# Idempotent: only missing packages go to apt-get. Lists live in deps/*.list,
# one file per area, one package per line, '#' comments allowed.
set -eu
cd "$(dirname "$0")/.."
want=$(cat deps/*.list | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
missing=""
for p in $want; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
if [ -z "$missing" ]; then
  echo "deps: all $(echo $want | wc -w) packages present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing:$missing; run 'make deps' as root" >&2
  exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || echo "deps: apt-get update failed; trying the cached lists" >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/tmp/bulkhead-deps.log 2>&1 || {
  echo "deps: apt-get install failed; see /tmp/bulkhead-deps.log" >&2
  tail -20 /tmp/bulkhead-deps.log >&2
  exit 1
}
echo "deps: done"
