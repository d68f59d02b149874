#!/bin/bash
# offload.sh: flows a flowtable forwards (IPS_OFFLOAD, IPS_HW_OFFLOAD),
# carried through the whole program from built conntrack messages
# (FLOWTOP_REPLAY, built by tests/tools/ct_replay from the scripts below):
# this kernel has no flowtable (CONFIG_NF_FLOW_TABLE is not set) and
# ctnetlink refuses to set the offload bits, so a real flowtable is not
# exercised here.  Checks -j (offload, status), -B (OFFLOAD column), the
# one statement that counters are frozen (only when an offloaded flow
# outlives the flowtable's idle time without a counter moving; not when
# they move, not without accounting), the screen (OFL column, header
# count, the message, the details box), and that a replay leaves the
# kernel alone (no socket, no sysctl, 'd' refused).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tmux.sh"
t_init offload
t_require tmux "$T_PYTHON"
RP=$T_BUILD/tools/ct_replay
for f in "$T_FLOWTOP" "$RP"; do
	if [ ! -x "$f" ]; then
		t_fail "$f is not built (make, make tools)"
		t_done
	fi
done
echo "NOTE: no flowtable in this kernel and ctnetlink refuses the offload" \
	"bits: offload is tested on built messages; a real flowtable was not" \
	"exercised here"
tmux_init

# script NAME AMOVES MOVING ACCT: a table of four flows over 8 dumps
# (the last one repeated), idle 1 s: A offloaded in software, B in
# hardware, C not offloaded, D offloaded over IPv6; A's counters move
# when AMOVES=1, B's and D's when MOVING=1; ACCT=0 leaves the counters
# out (accounting off).
script() {
	local name=$1 amoves=$2 moving=$3 acct=$4 i a b c

	{
		echo "# offload.sh: $name"
		echo "stats 4 262144"
		echo "idle 1"
		for i in 0 1 2 3 4 5 6 7; do
			a="packets=$((100 + i * amoves)) bytes=150000"
			b="packets=$((10 + i * moving)) bytes=$((1000 + i * 1500 * moving))"
			c="packets=5 bytes=500"
			if [ "$acct" = 0 ]; then a= b= c=; fi
			echo "dump"
			echo "ipv4 2 tcp 6 431999 ESTABLISHED src=192.0.2.10" \
				"dst=198.51.100.1 sport=40000 dport=443 $a" \
				"src=198.51.100.1 dst=203.0.113.1 sport=443" \
				"dport=40000 $a [ASSURED] [OFFLOAD] mark=0 use=2" \
				"id=1001"
			echo "ipv4 2 udp 17 120 src=192.0.2.11 dst=198.51.100.2" \
				"sport=50000 dport=443 $b src=198.51.100.2" \
				"dst=203.0.113.1 sport=443 dport=50000 $b" \
				"[ASSURED] [OFFLOAD] [HW_OFFLOAD] mark=0 use=2" \
				"id=1002"
			echo "ipv4 2 tcp 6 300 ESTABLISHED src=192.0.2.12" \
				"dst=198.51.100.3 sport=40001 dport=22 $c" \
				"src=198.51.100.3 dst=203.0.113.1 sport=22" \
				"dport=40001 $c [ASSURED] mark=0 use=1 id=1003"
			echo "ipv6 10 tcp 6 431999 ESTABLISHED src=2001:db8:1::5" \
				"dst=2001:db8:2::6 sport=40002 dport=443 $b" \
				"src=2001:db8:2::6 dst=2001:db8:1::5 sport=443" \
				"dport=40002 $b [ASSURED] [OFFLOAD] mark=0 use=2" \
				"id=1004"
			echo "end"
		done
	} >"$T_TMP/$name.ct"
	"$RP" "$T_TMP/$name.ct" "$T_TMP/$name.bin" 2>"$T_TMP/rp.err" ||
		t_fail "ct_replay $name: $(head -n 1 "$T_TMP/rp.err")"
}
script mixed 0 1 1
script still 0 0 1
script moving 1 1 1
script noacct 0 1 0

acct_root=$(cat /proc/sys/net/netfilter/nf_conntrack_acct 2>/dev/null)

ft() {	# REPLAY ARGS...
	local rp=$1

	shift
	env FLOWTOP_REPLAY="$T_TMP/$rp.bin" "$T_FLOWTOP" --no-config -n -G \
		-46UTDISs "$@"
}

# -j on the second dump: every flow, the offload field and status flags.
ft mixed -j -t 0.2 -c 1 >"$T_TMP/j" 2>"$T_TMP/j.err"
t_check "-j: the four flows, offload software/hardware/null" \
	"$T_PYTHON" -c '
import json, sys
rows = {j["id"]: j for j in map(json.loads, open(sys.argv[1]))}
assert sorted(rows) == [1001, 1002, 1003, 1004], sorted(rows)
want = {1001: "software", 1002: "hardware", 1003: None, 1004: "software"}
for i, w in want.items():
    assert rows[i]["offload"] == w, (i, rows[i]["offload"])
assert "OFFLOAD" in rows[1001]["status"], rows[1001]["status"]
assert "HW_OFFLOAD" in rows[1002]["status"], rows[1002]["status"]
assert "OFFLOAD" not in rows[1003]["status"]
assert rows[1001]["bytes_reply"] == 150000
' "$T_TMP/j"
t_check "-j -c 1: too soon to tell, nothing said about counters" \
	sh -c "! grep -q frozen '$T_TMP/j.err'"

# -B over 3 s: the OFFLOAD column; then, A past 1 s + 2 s + 0.2 s of
# idle time without a counter moving, the one statement.
ft mixed -B -t 0.2 -c 18 >"$T_TMP/b" 2>"$T_TMP/b.err"
t_check "-B: OFFLOAD column, software/hardware/-" \
	sh -c "grep -qE 'TIME +OFFLOAD +DEVICE +NAT$' '$T_TMP/b' &&
	       grep -qE '198\.51\.100\.1:443 .* software +192\.0\.2\.10 ' \
	       '$T_TMP/b' &&
	       grep -qE '198\.51\.100\.2:443 .* hardware +192\.0\.2\.11 ' \
	       '$T_TMP/b' &&
	       grep -qE '198\.51\.100\.3:22 .* - +192\.0\.2\.12 ' '$T_TMP/b'"
t_check "-B: said once that offloaded counters are frozen (1 flow)" \
	sh -c "[ \$(grep -c 'counters of offloaded flows are frozen: 1 ' \
	       '$T_TMP/b.err') = 1 ]"
ft moving -j -t 0.2 -c 18 >/dev/null 2>"$T_TMP/m.err"
t_check "counters that move: nothing said" \
	sh -c "! grep -q frozen '$T_TMP/m.err'"
ft noacct -j -t 0.2 -c 18 >/dev/null 2>"$T_TMP/n.err"
t_check "no accounting: nothing to judge, nothing said" \
	sh -c "! grep -q frozen '$T_TMP/n.err'"
ft still -j -t 0.2 -c 18 >/dev/null 2>"$T_TMP/s.err"
t_check "nothing moves: all three offloaded flows counted nothing" \
	grep -q 'frozen: 3 stayed offloaded' "$T_TMP/s.err"
t_check "the replay left nf_conntrack_acct alone ($acct_root)" \
	test "$(cat /proc/sys/net/netfilter/nf_conntrack_acct \
		2>/dev/null)" = "$acct_root"

# The screen.
S=offload_ui
TMUX_ENV="FLOWTOP_REPLAY=$T_TMP/mixed.bin"
tm new-session -d -s "$S" -x 160 -y 30 \
	"env $TMUX_ENV $(realpath "$T_FLOWTOP") --no-config -n -G -46UTDISs \
	-t 0.2 2>$T_TMP/$S.err; echo \$? >$T_TMP/$S.rc"
tmux_expect "screen: header counts 3 offloaded, 1 in hardware" "$S" \
	'offload 3 \(1 hw\)'
tmux_expect "screen: OFL column, sw and hw" "$S" \
	'^ *tcp4 +ESTABLISHED +sw .*198\.51\.100\.1:443'
tmux_expect "screen: ... hw for the hardware one" "$S" \
	'udp4 +ASSURED +hw '
tmux_expect "screen: says once that the counters are frozen" "$S" \
	"Offloaded flows' counters are frozen: their flowtable has no" 6
tmux_expect "screen: the header keeps saying it" "$S" \
	'offload 3 \(1 hw\), counters frozen' 6
tmux_key "$S" /
tmux_key "$S" -l 'port 443 and ip4 and tcp'
tmux_key "$S" Enter
tmux_expect "filter to the software-offloaded flow" "$S" 'Flows 1/'
tmux_key "$S" Enter
tmux_expect "details: software offload" "$S" \
	'Offload +software \(IPS_OFFLOAD\): a flowtable forwards it'
tmux_expect "details: its counters are frozen" "$S" \
	'its counters are frozen: 1 offloaded flows counted nothing'
tmux_expect "details: status flags OFFLOAD" "$S" \
	'Status +.*ASSURED.*OFFLOAD'
tmux_key "$S" Escape
tmux_key "$S" d
tmux_key "$S" y
tmux_expect "d on a replay: refused, nothing deleted" "$S" \
	'Operation not permitted|not permitted'
tmux_quit "$S"
t_check "flowtop exited 0" grep -qx 0 "$T_TMP/$S.rc"
t_done
