#!/bin/bash
# Time the nested harness under several QEMU settings (figures for
# docs/nested-harness.md). Not a test: it prints a table and fails only when a
# run fails.
#   tests/nested/measure.sh PAYLOAD_DIR [runs-per-variant] [variant...]
# A variant is a quoted list of l1-run.sh options; "" is the default setup.
# Columns: seconds after QEMU start for each NESTED-MARK, and QEMU's total.
set -u
here=$(cd "$(dirname "$0")" && pwd)
payload=${1:?usage: measure.sh PAYLOAD_DIR [runs] [variant...]}
runs=${2:-1}
shift $(($# >= 2 ? 2 : 1))
[ $# -gt 0 ] || set -- "" "--smp 1" "--accel tcg,thread=single" "--machine pc" \
	"--accel tcg,thread=multi,tb-size=512" "--cpu EPYC-v3,+svm,-la57"
rc=0
printf '# load %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
for v in "$@"; do
	for _ in $(seq "$runs"); do
		# shellcheck disable=SC2086 # a variant is a list of options
		log=$(mktemp "${TMPDIR:-/tmp}/nested-measure.XXXXXX")
		out=$("$here/l1-run.sh" --timeout 300 --log "$log" $v "$payload" 2>&1)
		st=$?
		if [ $st = 0 ]; then rm -f "$log"; else rc=1; echo "# failed run, console log kept: $log"; fi
		s=$(grep -o 'qemu run [0-9.]* s; marks.*' <<<"$out" | sed 's/(s after qemu start)://')
		printf '%-40s status %-3s %s\n' "[${v:-default}]" "$st" "$s"
	done
done
exit $rc
