#!/bin/bash
# bench_short.sh: make bench's full-table and churn run (tests/bench/
# full.sh), short and small, so that CI runs it: 20,000 entries, 2 s
# windows, 5,000 new and 5,000 destroyed a second, 10 keys.  It checks
# that the run works and prints each figure beside its target, as a ratio
# to the bare dump measured in the same run where the issue asks for one;
# never the figures themselves (timings belong to make bench, on a quiet
# machine).
. "$(dirname "$0")/../lib.sh"
t_init bench_short
t_require_root
t_require tmux "$T_PYTHON"

if [ ! -x "$T_FLOWTOP" ] || [ ! -x "$T_BUILD/tools/ct_churn" ] ||
   [ ! -x "$T_BUILD/tools/bare_dump" ]; then
	t_fail "no $T_FLOWTOP or tools in $T_BUILD: make, make tools"
	t_done
fi
OUT=$T_TMP/full.out
FULL_N=20000 SECS=2 RATE=5000 KEYS=10 \
	bash tests/bench/full.sh "$T_BUILD" >"$OUT" 2>&1 &
FPID=$!
# Bounded: full.sh cleans up on TERM.
t_bg sh -c "sleep 300; kill $FPID"
wait "$FPID"
rc=$?
cat "$OUT"
t_check "full.sh ran to its end (exit $rc)" test "$rc" = 0
has() {
	grep -qE "$1" "$OUT"
}
num='[0-9]+(\.[0-9]+)?'
t_check "the bare dump measured before and after" \
	has "^bare dump: cpu $num ms .*after.*baseline $num ms"
t_check "start-up: all counted, ratio to a bare dump, target 0.6 s" \
	has "^start-up: all 20000 counted $num s .*target <= 0.6 s.*= ${num}x a bare dump"
t_check "rss beside its target" has "^rss: $num MB \\(target <= 64 MB\\)"
t_check "keys through tmux, p99 beside its target, ratio" \
	has "^keys \\(full table\\): 10 timed, p50 $num ms, p99 $num ms.*target p99 <= 50 ms\\) = ${num}x"
t_check "steady CPU at -t 1 as a ratio, target 1.0x" \
	has "^steady \\(screen, -t 1\\): $num ms CPU a second = ${num}x a bare dump \\(target <= 1.0x\\)"
t_check "churn at -t 1 and 10: CPU ratio, lost events" \
	test "$(grep -cE "^churn \\(-t 1?[01]\\): .*= ${num}x a bare dump; lost events [0-9]+" "$OUT")" = 2
for t in 1 10; do
	t_check "churn at -t $t: keys, p99 beside its target, ratio" \
		has "^keys \\(churn, -t $t\\): 10 timed, .*target p99 <= 50 ms\\) = ${num}x"
done
t_check "churn at -t 1 and 10: the most open flows against the kernel's" \
	test "$(grep -cE "most open flows counted: [0-9]+ against the kernel's 20000: -?[0-9]+ over \\(target <= 5000" "$OUT")" = 2
t_check "churn at -t 10: emptied table counted 0" \
	has "table emptied: the screen counted 0 after $num s"
t_check "no namespace left behind" sh -c \
	"! ip netns list | grep -q '^ft_fullbench_$FPID\\b'"
t_done
