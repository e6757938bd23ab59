#!/bin/sh
# The tenant microVM's initramfs: bulkhead-agent as /init, nothing else
# (container root filesystems come as read-only virtio-blk images).
#   images/agent-initramfs.sh OUT.cpio.gz [AGENT_BINARY]
# AGENT_BINARY defaults to $BULKHEAD_TOP/$BULKHEAD_BUILD/bin/bulkhead-agent.
# Reproducible: see images/initramfs.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=${BULKHEAD_TOP:-$(dirname "$here")}
out=${1:?usage: agent-initramfs.sh OUT.cpio.gz [AGENT_BINARY]}
agent=${2:-$top/${BULKHEAD_BUILD:-build}/bin/bulkhead-agent}
[ -x "$agent" ] || { echo "agent-initramfs: $agent not built (make bulkhead-agent)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
exec "$here/initramfs.sh" "$out" --init "$agent"
