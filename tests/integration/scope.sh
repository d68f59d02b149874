#!/bin/bash
# scope.sh: flowtop asks the kernel only for the protocols and families it
# shows (nfgenmsg family, CTA_FILTER by protocol), on this kernel's real
# table: what the kernel sends (FLOWTOP_STATS: dump_requests, dump_entries,
# ct_filter), that the output is still exactly what conntrack -L lists,
# that a protocol family that appears later (its NEW event) is asked for
# from then on, and that a protocol switched on at run time ('U') shows
# its flows at once, long before the next interval.  Kernels that refuse
# CTA_FILTER (EINVAL, EOPNOTSUPP) or ignore it (before 5.8) are replayed
# from built messages (FLOWTOP_REPLAY): the fallback by family must give
# the same flows, cleanly.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tmux.sh"
t_init scope
t_require_root
t_require conntrack nft tmux "$T_PYTHON"
RP=$T_BUILD/tools/ct_replay
for f in "$T_FLOWTOP" "$T_CT_INJECT" "$RP"; do
	if [ ! -x "$f" ]; then
		t_fail "$f is not built (make, make tools)"
		t_done
	fi
done
t_ns scope NS || { t_fail "cannot create the namespace"; t_done; }
tmux_init

t_ct "$NS" add --proto tcp --family 4 --count 20 >/dev/null ||
	t_fail "ct_inject tcp/4"
t_ct "$NS" add --proto udp --family 4 --count 30 --start 100 >/dev/null ||
	t_fail "ct_inject udp/4"
t_ct "$NS" add --proto udp --family 6 --count 10 --start 200 >/dev/null ||
	t_fail "ct_inject udp/6"
t_nsexec "$NS" conntrack -I -p gre -s 192.0.2.99 -d 198.51.100.99 \
	--orig-key-src 1 --orig-key-dst 2 --reply-key-src 2 --reply-key-dst 1 \
	-r 198.51.100.99 -q 192.0.2.99 -t 600 >/dev/null 2>&1 ||
	t_fail "conntrack -I -p gre"

# The last snapshot of $T_TMP/j as "family proto count" lines in
# $T_TMP/got; the stats line of $T_TMP/err as "name value" lines in
# $T_TMP/st.
digest() {
	"$T_PYTHON" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
last = max([r["snapshot"] for r in rows] or [0])
for r in rows:
    if r["snapshot"] == last:
        print(r["family"], r["proto"])' "$T_TMP/j" | sort | uniq -c |
		awk '{ print $2, $3, $1 }' >"$T_TMP/got"
	sed -n 's/.*stats: //p' "$T_TMP/err" | tr ' ' '\n' | paste - - \
		>"$T_TMP/st"
}

# run ARGS...: flowtop -j (3 snapshots at 0.2 s) with FLOWTOP_STATS in
# the namespace, digested.
run() {
	t_nsexec "$NS" env FLOWTOP_STATS=1 "$T_FLOWTOP" --no-config -n -G \
		-t 0.2 -c 3 -j "$@" >"$T_TMP/j" 2>"$T_TMP/err"
	digest
}

st() {
	awk -v k="$1" '$1 == k { print $2 }' "$T_TMP/st"
}

expect() {	# DESC REQUESTS ENTRIES FILTER LINES...
	local desc=$1 req=$2 ent=$3 filt=$4

	shift 4
	printf '%s\n' "$@" | sed '/^$/d' | sort >"$T_TMP/want"
	if cmp -s "$T_TMP/want" "$T_TMP/got" &&
	   [ "$(st dump_requests)" = "$req" ] &&
	   [ "$(st dump_entries)" = "$ent" ] &&
	   [ "$(st ct_filter)" = "$filt" ]; then
		t_pass "$desc: $req request(s), the kernel sent $ent," \
			"ct_filter $filt"
	else
		t_fail "$desc: want $req requests, $ent entries, $filt;" \
			"got $(st dump_requests), $(st dump_entries)," \
			"$(st ct_filter)"
		diff "$T_TMP/want" "$T_TMP/got" | sed 's/^/    /'
		sed 's/^/    stderr: /' "$T_TMP/err" | head -n 3
	fi
}

run -T
expect "-T: IPv4 TCP only (IPv6 has none)" 1 20 works "ipv4 tcp 20"
run -U
expect "-U: UDP of each family" 2 40 works "ipv4 udp 30" "ipv6 udp 10"
run -T -U
expect "-TU: all but one entry: one walk, no filter" 1 61 unused \
	"ipv4 tcp 20" "ipv4 udp 30" "ipv6 udp 10"
run -4 -U
expect "-4 -U: one family, one protocol" 1 30 works "ipv4 udp 30"
run -6 -O
expect "-6 -O: every protocol of IPv6, by family alone" 1 10 unused ""
run -46UTDISs
expect "-46UTDISs: everything, one request" 1 61 unused \
	"ipv4 tcp 20" "ipv4 udp 30" "ipv6 udp 10" "ipv4 gre 1"
n=$(t_nsexec "$NS" conntrack -L -p tcp 2>/dev/null | wc -l)
t_check "the kernel holds $n IPv4 TCP entries: -T listed them all" \
	test "$n" = 20

# An IPv6 TCP entry made while flowtop -T runs: its NEW event says the
# kernel holds IPv6 TCP now, and the next dumps ask for it too.
t_nsexec "$NS" env FLOWTOP_STATS=1 "$T_FLOWTOP" --no-config -n -G -t 0.3 \
	-c 8 -j -T >"$T_TMP/j" 2>"$T_TMP/err" &
bg=$!
sleep 1
t_ct "$NS" add --proto tcp --family 6 --count 5 --start 300 >/dev/null ||
	t_fail "ct_inject tcp/6"
wait "$bg"
digest
n6=$(awk '$1 == "ipv6" && $2 == "tcp" { print $3 }' "$T_TMP/got")
t_check "IPv6 TCP made later: its 5 flows shown, asked for (requests $(st \
	dump_requests))" test "$n6" = 5 -a "$(st dump_requests)" = 2

# The screen: -T at a 30 s interval; 'U' shows the UDP flows at once.
S=scope_ui
tmux_start "$S" 160 30 "$NS" --no-config -n -G -t 30 -T
tmux_expect "screen -T: Flows 25/25 (only TCP held)" "$S" 'Flows 25/25' 6
tmux_key "$S" U
tmux_expect "U: the UDP flows at once, not after 30 s" "$S" \
	'Flows 65/65' 3
tmux_key "$S" T
tmux_expect "T off: only UDP shown" "$S" 'Flows 40/' 3
tmux_quit "$S"

# Kernels that refuse or ignore CTA_FILTER, replayed: the same flows.
# conntrack -L without -f lists both families.
t_nsexec "$NS" conntrack -L -o extended,id 2>/dev/null >"$T_TMP/l"
for mode in einval eopnotsupp ignored works; do
	{
		echo "filter $mode"
		echo "stats 66 262144"
		echo dump
		grep -E '^ipv[46] ' "$T_TMP/l"
		echo end
	} >"$T_TMP/$mode.ct"
	"$RP" "$T_TMP/$mode.ct" "$T_TMP/$mode.bin" 2>"$T_TMP/rp.err" ||
		t_fail "ct_replay $mode: $(head -n 1 "$T_TMP/rp.err")"
	env FLOWTOP_REPLAY="$T_TMP/$mode.bin" FLOWTOP_STATS=1 \
		"$T_FLOWTOP" --no-config -n -G -t 0.2 -c 3 -j -T \
		>"$T_TMP/j" 2>"$T_TMP/err"
	digest
	case $mode in
	einval|eopnotsupp)
		expect "replayed kernel answers $mode: whole dumps" 1 66 \
			refused "ipv4 tcp 20" "ipv6 tcp 5" ;;
	ignored)
		expect "replayed kernel ignores the filter: whole dumps" 1 \
			66 ignored "ipv4 tcp 20" "ipv6 tcp 5" ;;
	works)
		expect "replayed kernel filters, as this one" 2 25 works \
			"ipv4 tcp 20" "ipv6 tcp 5" ;;
	esac
	t_check "$mode: nothing on stderr but the stats" \
		test "$(grep -vc 'stats:' "$T_TMP/err")" = 0
done
t_done
