#!/bin/bash
# full_table.sh: a namespace's conntrack table filled to nf_conntrack_max.
#
# The limit is global (read-only inside a namespace) but the count is the
# namespace's own, so filling a test namespace leaves the others alone.
# Entries made with ct_inject (ASSURED, so the kernel cannot drop one
# early to make room) fill it; then real TCP connections to a listener in
# the namespace: the kernel drops their packets ("table full") and counts
# them in its drop counter (insert_failed only counts insertion races;
# it stays as it is).  flowtop's header must say FULL and show drop
# moving; -j must say on stderr that the table is full and the counters
# as they move; another namespace still connects.
. "$(dirname "$0")/../lib.sh"
t_init full_table
t_require_root
t_require tmux conntrack "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
MAX=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
# ct_inject makes distinct tuples for k < 1000000 per protocol and family.
if [ "$MAX" -gt 4000000 ]; then
	t_skip "nf_conntrack_max is $MAX: too many entries to fill here"
	t_done
fi
t_ns full NS
t_ns other NS2
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
t_nsexec "$NS2" ip addr add 192.0.2.1/24 dev lo

# Fill: up to 1000000 entries per protocol and family.
left=$MAX
for pf in "tcp 4" "udp 4" "tcp 6" "udp 6"; do
	[ "$left" -le 0 ] && break
	n=$(( left > 1000000 ? 1000000 : left ))
	set -- $pf
	t_ct "$NS" add --proto "$1" --family "$2" --count "$n" \
		--status SEEN_REPLY,ASSURED --timeout 600 >"$T_TMP/fill.out" \
		2>&1 || { cat "$T_TMP/fill.out"; break; }
	left=$(( left - n ))
done
count() {
	t_nsexec "$1" conntrack -C 2>/dev/null
}
t_check "the namespace's table holds nf_conntrack_max ($MAX) entries" \
	test "$(count "$NS")" = "$MAX"
t_check "another namespace's count is its own" test "$(count "$NS2")" -lt 10
drops() {	# the kernel's drop counter, summed over CPUs
	t_nsexec "$NS" conntrack -S 2>/dev/null |
		sed -n 's/.* drop=\([0-9]*\) .*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}

# flowtop on its screen, and -j, both watching.
S=ft_full_$$
t_at_cleanup "tmux -L $S kill-server 2>/dev/null"
tmux -L "$S" -f /dev/null new-session -d -s "$S" -x 220 -y 20 \
	"ip netns exec $NS $FT -T -n -G -t 0.5 --no-config -f 'port 5000'"
t_bg sh -c "exec ip netns exec $NS $FT -j -T -n -G -c 0 -t 0.5 --no-config \
	-f 'port 5000' >$T_TMP/j.out 2>$T_TMP/j.err"
screen() {
	tmux -L "$S" capture-pane -p -t "$S"
}
header_drop() {
	screen | sed -n 's/.*insert_failed [0-9]* drop \([0-9]*\).*/\1/p' |
		head -n 1
}
t_check "the header says the table is FULL" t_wait_for 30 sh -c \
	"tmux -L $S capture-pane -p -t $S | grep -q 'ct $MAX/$MAX FULL'"
t_check "-j says on stderr that the table is full" t_wait_for 30 grep -q \
	"^flowtop: the conntrack table is full ($MAX of $MAX entries)" \
	"$T_TMP/j.err"
d0=$(drops)
h0=$(header_drop)

# Real new connections: their SYNs find no room.
cat >"$T_TMP/conn.py" <<'EOF'
import socket, sys
s = socket.socket(); s.bind(("192.0.2.1", 5000)); s.listen()
ok = 0
for i in range(int(sys.argv[1])):
    c = socket.socket(); c.settimeout(1.0)
    try:
        c.connect(("192.0.2.1", 5000)); ok += 1
    except OSError:
        pass
    c.close()
print(ok)
EOF
ok=$(t_nsexec "$NS" "$T_PYTHON" "$T_TMP/conn.py" 3)
t_check "no new connection gets through the full table ($ok of 3)" \
	test "$ok" = 0
d1=$(drops)
t_check "the kernel's drop counter moved ($d0 -> $d1)" test "$d1" -gt "$d0"
t_check "the header's drop follows it (was ${h0:-?})" t_wait_for 10 sh -c \
	"[ \"\$(tmux -L $S capture-pane -p -t $S | sed -n \
	's/.*insert_failed [0-9]* drop \([0-9]*\).*/\1/p' | head -n 1)\" \
	-ge $d1 ]"
t_check "-j says the new drop count on stderr" t_wait_for 10 sh -c \
	"tail -n 1 '$T_TMP/j.err' | grep -q 'full.*drop $d1\$'"
ok=$(t_nsexec "$NS2" "$T_PYTHON" "$T_TMP/conn.py" 3)
t_check "another namespace still connects ($ok of 3)" test "$ok" = 3

# Room again: 1000 entries fewer.
t_ct "$NS" del --proto tcp --family 4 --count 1000 >/dev/null
t_check "the header leaves FULL when there is room" t_wait_for 10 sh -c \
	"! tmux -L $S capture-pane -p -t $S | grep -q FULL"
t_check "-j says the table has room again" t_wait_for 10 grep -q \
	"^flowtop: the conntrack table has room again" "$T_TMP/j.err"
ok=$(t_nsexec "$NS" "$T_PYTHON" "$T_TMP/conn.py" 3)
t_check "and new connections get through again ($ok of 3)" test "$ok" = 3
t_check "-j listed them as flows" t_wait_for 5 grep -q '"dport":5000' \
	"$T_TMP/j.out"

# insert_failed counts only insertion races (two packets of one new flow
# on two CPUs at once), which cannot be made on demand here: a replayed
# kernel (FLOWTOP_REPLAY, tests/tools/ct_replay) whose full table's
# per-CPU counters move between two dumps, through the whole program.
echo "note: insert_failed moving is replayed (no insertion race on demand)"
e() {	# SRC ID: an established SSH flow
	echo "ipv4 2 tcp 6 300 ESTABLISHED src=$1 dst=198.51.100.3" \
		"sport=40001 dport=22 src=198.51.100.3 dst=$1 sport=22" \
		"dport=40001 [ASSURED] mark=0 use=1 id=$2"
}
{
	echo "stats 2 2"; echo "cpustats 0 0"
	echo dump; e 192.0.2.12 1003; e 192.0.2.13 1004; echo end
	echo "cpustats 7 3 4"
	echo dump; e 192.0.2.12 1003; e 192.0.2.13 1004; echo end
} >"$T_TMP/race.ct"
"$T_BUILD/tools/ct_replay" "$T_TMP/race.ct" "$T_TMP/race.bin" ||
	t_fail "ct_replay race.ct"
FLOWTOP_REPLAY="$T_TMP/race.bin" "$FT" --no-config -n -G -j -t 0.3 -c 3 \
	>"$T_TMP/race.j" 2>"$T_TMP/race.err"
t_check "replayed: -j says insert_failed and drop as they move (4 CPUs)" \
	sh -c "grep -q 'is full (2 of 2 entries).*insert_failed 0 drop 0\$' \
		'$T_TMP/race.err' &&
	       grep -q 'is full (2 of 2 entries).*insert_failed 7 drop 3\$' \
		'$T_TMP/race.err'"
tmux -L "$S" -f /dev/null new-session -d -s race -x 220 -y 10 \
	"env FLOWTOP_REPLAY=$T_TMP/race.bin $FT --no-config -n -G -t 0.3"
t_check "replayed: the header's insert_failed and drop follow" \
	t_wait_for 10 sh -c "tmux -L $S capture-pane -p -t race |
	grep -q 'ct 2/2 FULL.*insert_failed 7 drop 3'"
t_done
