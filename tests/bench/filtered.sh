#!/bin/bash
# filtered.sh: flowtop's CPU when most of the table is hidden, against a
# bare dump of the whole table measured in the same run (issue 10: "ask
# the kernel for less": -T on a table that is half UDP, at most 0.6x).
#
#   O=build dir (argument), N=100000 (entries, half TCP, half UDP),
#   SECS=10 (window), ROUNDS=3 (windows per figure: a range is printed)
#
# A fresh namespace; the bare dump's CPU (median of 7, before and after),
# and of a bare dump of the TCP entries only (what the kernel does for
# -T) and of none (a protocol it does not hold: its walk of the table,
# which is global to all namespaces, alone);
# flowtop's screen (tmux, 200x50, 1 s interval) with -T, then -U (the
# other half), then -46UTDISs (all: one unfiltered dump), each as CPU per
# second over SECS, ROUNDS times.  Also how many entries the kernel sent
# per scan with -T, and how many scans a second it asked for
# (FLOWTOP_STATS): that many bare dumps of the TCP entries are the floor
# no reader of the kernel's table can go under.  Reports, never fails on a
# figure: the machine is shared, the ranges say how noisy it was.
set -u
O=${1:-build}
N=${N:-100000}
SECS=${SECS:-10}
ROUNDS=${ROUNDS:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

. "$ROOT/tests/bench/lib.sh"
bench_setup filtered
bench_need filtered "$FT" "$CT" "$BARE"
bench_ns || exit 1

half=$((N / 2))
nsx "$CT" add --proto tcp --family 4 --count "$half" >/dev/null || exit 1
nsx "$CT" add --proto udp --family 4 --count "$((N - half))" >/dev/null ||
	exit 1
echo "filtered: $half TCP and $((N - half)) UDP entries"
bare1=$(bare_median)
bare_tcp=$(bare_median -f 4 -p 6)
bare_walk=$(bare_median -f 4 -p 253)

# cpu_run ARGS...: flowtop's screen with ARGS; ROUNDS windows of SECS s
# after it settled; CPU ms per second of each, space separated.
# Also the scans it made a second over its whole run, in $TMP/rate.
cpu_run() {
	local pid= c0 c1 w0 w1 out= i t0 t1

	rm -f "$TMP/run_stats"
	t0=$(date +%s.%N)
	tm new-session -d -s f -x 200 -y 50 \
		"ip netns exec $NS env FLOWTOP_STATS=1 $FT -n -G -t 1 \
--no-config $* 2>$TMP/run_stats"
	pid=$(bench_pid)
	sleep 3
	for i in $(seq 1 "$ROUNDS"); do
		c0=$(cpu_of "$pid"); w0=$(date +%s.%N)
		sleep "$SECS"
		c1=$(cpu_of "$pid"); w1=$(date +%s.%N)
		out="$out $(calc "($c1 - $c0) / ($w1 - $w0) * 1000" 1)"
	done
	tm send-keys -t f q
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	t1=$(date +%s.%N)
	tm kill-server 2>/dev/null
	awk -v w="$(calc "$t1 - $t0" 3)" '/stats:/ { for (i = 1; i < NF; i++)
		if ($i == "dumps") printf "%.3f\n", $(i + 1) / w }' \
		"$TMP/run_stats" >"$TMP/rate"
	echo "$out"
}

t_cpu=$(cpu_run -T)
t_rate=$(cat "$TMP/rate")
u_cpu=$(cpu_run -U)
un_cpu=$(cpu_run -46UTDISs)
bare2=$(bare_median)
bare=$(calc "($bare1 + $bare2) / 2" 1)
echo "bare dump of the whole table: cpu ${bare1} ms before, ${bare2} ms" \
	"after (median of 7 each); baseline ${bare} ms"

# range NAME "V V V": min-max of the figures and of their ratios.
range() {
	echo "$2" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk -v b="$bare" \
		-v name="$1" -v tgt="$3" '{ v[NR] = $1 } END {
		printf "%s: %.1f-%.1f ms CPU per second = %.2f-%.2fx a bare" \
			" dump of the whole table%s\n", name, v[1], v[NR],
			v[1] / b, v[NR] / b, tgt }'
}
echo "the kernel's part: a bare dump of the TCP entries ${bare_tcp} ms =" \
	"$(calc "$bare_tcp / $bare" 2)x; its walk of the table alone" \
	"${bare_walk} ms = $(calc "$bare_walk / $bare" 2)x"
range "-T (half the table, filtered by the kernel)" "$t_cpu" \
	" (target <= 0.6x)"
# What flowtop cannot go under: the kernel's filtered dump alone, as
# often as flowtop asked for it.
[ -n "$t_rate" ] && echo "  -T asked for ${t_rate} scans a second; the" \
	"kernel's filtered dump alone, that often: $(calc "$bare_tcp * $t_rate" 1)" \
	"ms = $(calc "$bare_tcp * $t_rate / $bare" 2)x (flowtop's floor)"
range "-U (the other half)" "$u_cpu" ""
range "-46UTDISs (all of it, one unfiltered dump)" "$un_cpu" ""

nsx env FLOWTOP_STATS=1 "$FT" -n -G -t 1 -c 2 -j -T --no-config \
	>/dev/null 2>"$TMP/stats"
awk '/stats:/ { for (i = 1; i < NF; i++) v[$i] = $(i + 1)
	printf "-T: %d request(s) per scan, the kernel sent %d of %d entries," \
		" CTA_FILTER %s\n", v["dump_requests"], v["dump_entries"],
		'"$N"', v["ct_filter"] }' "$TMP/stats"
