#!/bin/bash
# term_bytes.sh: bytes flowtop sends to its terminal per second when
# nothing changes (the slow link: SSH from a phone, a congested uplink).
#
#   O=build dir (argument), TERM_SECS=30 (window), TERM_FLOWS=300
#
# A fresh namespace with TERM_FLOWS idle TCP entries (enough to fill a
# 200x50 screen); flowtop at a 1 s interval under tmux, whose pipe-pane
# copies every byte written to the pane into a file; bytes are counted
# over TERM_SECS seconds after the screen settled, at 80x24 and 200x50.
# Prints one line per size; the target (issue 10) is beside the figure.
# Reports, never fails on a figure.
set -u
O=${1:-build}
SECS=${TERM_SECS:-30}
FLOWS=${TERM_FLOWS:-300}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

. "$ROOT/tests/bench/lib.sh"
bench_setup tbytes
bench_need term_bytes "$FT" "$CT"
bench_ns || exit 1
ip netns exec "$NS" "$CT" add --proto tcp --family 4 --count "$FLOWS" \
	>/dev/null || exit 1

# measure COLS ROWS: bytes per second written to a COLSxROWS pane.
measure() {
	local cols=$1 rows=$2 out=$TMP/pane.$1 b0 b1 t0 t1

	: >"$out"
	tm new-session -d -s "s$cols" -x "$cols" -y "$rows" \
		"ip netns exec $NS $FT -n -G -t 1 --no-config"
	tm pipe-pane -t "s$cols" -o "cat >>$out"
	# Settled: the first screens (and the first dump's rates) are past.
	sleep 4
	b0=$(stat -c %s "$out"); t0=$(date +%s.%N)
	sleep "$SECS"
	b1=$(stat -c %s "$out"); t1=$(date +%s.%N)
	tm send-keys -t "s$cols" q
	sleep 0.5
	tm kill-session -t "s$cols" 2>/dev/null
	awk -v b="$((b1 - b0))" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%.0f", b / (t1 - t0) }'
}

small=$(measure 80 24)
big=$(measure 200 50)
echo "terminal (nothing changing, $FLOWS idle flows, 1 s interval," \
	"${SECS} s): ${small} B/s at 80x24 (target: keep ~170 B/s)"
echo "terminal: ${big} B/s at 200x50 (target <= 1024 B/s)"
