#!/bin/sh
# run.sh MODE ...: run the libFuzzer targets built in BUILD_DIR.
#   run.sh fuzz BUILD_DIR SECS   each target for SECS seconds, in turn, at
#                                nice 10 (FUZZ_NICE), from its corpus in
#                                tests/fuzz/corpus/NAME; new inputs go to
#                                BUILD_DIR/corpus/NAME, findings to
#                                BUILD_DIR/findings/NAME-*.
#   run.sh check BUILD_DIR SECS  the same, briefly, without keeping new
#                                inputs: what make check runs.
#   run.sh missing CC            no fuzzing compiler: a skip (a failure
#                                under CI=true).
# One line per target (inputs run, coverage, findings), then
# "fuzz: N passed, N failed[, N skipped]"; in fuzz mode each target's
# whole log is kept in BUILD_DIR/logs/NAME.log.
mode=$1 O=$2 secs=${3:-60}
pass=0 fail=0

if [ "$mode" = missing ]; then
	echo "SKIP: no $O: cannot build the fuzz targets (apt-get install" \
		"clang libclang-rt-dev)"
	if [ "$CI" = true ]; then
		echo "fuzz: 0 passed, 1 failed"
		exit 1
	fi
	echo "fuzz: 0 passed, 0 failed, 1 skipped"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$O/findings"
for bin in "$O"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/$name
	if [ "$mode" = fuzz ]; then
		work=$O/corpus/$name
	else
		work=$tmp/$name
	fi
	mkdir -p "$work"
	# -timeout: an input that takes 10 s is a finding (a hang).
	nice -n "${FUZZ_NICE:-10}" "$bin" -max_total_time="$secs" \
		-timeout=10 -print_final_stats=1 \
		-artifact_prefix="$O/findings/$name-" \
		"$work" "$seeds" >"$tmp/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log")
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$tmp/log")
	# The last status line's "cov: N ft: N": edges and features reached.
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$tmp/log" | tail -n 1)
	if [ "$mode" = fuzz ]; then
		mkdir -p "$O/logs"
		cp "$tmp/log" "$O/logs/$name.log"
	fi
	found=$(grep -c 'Test unit written to' \
		"$tmp/log")
	if [ "$rc" -eq 0 ]; then
		echo "PASS: $name: ${execs:-?} inputs in $secs s, ${cov:-cov: ?}," \
			"0 findings, peak RSS ${rss:-?} MB"
		pass=$((pass + 1))
	else
		echo "FAIL: $name: exit $rc after ${execs:-?} inputs," \
			"${cov:-cov: ?}, ${found} findings" \
			"(see $O/findings/$name-*):"
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written' \
			"$tmp/log" | head -n 20 | sed 's/^/    /'
		fail=$((fail + 1))
	fi
done
if [ $((pass + fail)) -eq 0 ]; then
	echo "FAIL: no fuzz targets in $O"
	fail=1
fi
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
