#!/bin/sh
# Run every unit test binary in $1/tests; print one total line.
# T_RUN, if set, runs them (tests/cross.sh: qemu-aarch64 ...).
O=${1:-build}
pass=0 fail=0 bad=0
for t in "$O"/tests/test_*; do
	[ -x "$t" ] || continue
	out=$($T_RUN "$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	p=$(printf '%s\n' "$line" | awk '{ for (i = 2; i <= NF; i++)
		if ($i ~ /^passed,?$/) print $(i - 1) }')
	f=$(printf '%s\n' "$line" | awk '{ for (i = 2; i <= NF; i++)
		if ($i ~ /^failed,?$/) print $(i - 1) }')
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
	if [ $rc -ne 0 ] || [ -z "$line" ]; then
		bad=$((bad + 1)); echo "FAIL: $t (exit $rc)"
		[ "${f:-0}" -eq 0 ] && fail=$((fail + 1))
	fi
done
echo "unit total: $pass passed, $fail failed"
[ $bad -eq 0 ] && [ $fail -eq 0 ]
