#!/bin/sh
# Runs inside a container (busybox sh): every attack of /attacks.list, one
# result line each: "ATTACK <name> <arg> rc=<rc> want=<ok|missing|skip> | output".
masked=""
for p in /proc/kcore /proc/timer_list /proc/keys; do
	[ -e "$p" ] && { masked=$p; break; }
done
grep -v '^#' /attacks.list | while IFS='|' read -r name arg want need; do
	[ -n "$name" ] || continue
	[ "$arg" = @MASKED ] && arg=$masked
	[ "$need" = @MASKED ] && need=${masked:-/nonexistent-masked}
	if [ -n "$need" ] && [ ! -e "$need" ]; then
		echo "ATTACK $name ${arg:--} rc=- want=skip | $need absent in this kernel"
		continue
	fi
	# shellcheck disable=SC2086 # an empty arg must vanish
	out=$(/attack "$name" $arg 2>&1)
	rc=$?
	case "$out" in *"$want"*) w=ok ;; *) w=missing ;; esac
	echo "ATTACK $name ${arg:--} rc=$rc want=$w | $(echo "$out" | tr '\n' ' ')"
done
