#!/bin/bash
# ui_tmux.sh: the real screen under tmux, at 80x24 and at 200x50.
#
# In a fresh namespace with synthetic conntrack entries of every protocol
# (ct_inject) and real TCP/UDP sockets of a process named ft_uitest:
# flows are shown; each toggle (T U D I S 4 6 b a s l) changes what is
# shown; help opens and closes; TAB cycles Flows, Processes, Remote (and
# 'c' hosts/countries); sort keys and the sort menu change the header and
# the order; '/' filters live, shows a caret under a malformed filter, Esc
# clears it; Enter opens the details; pause; delete after y/n (gone from
# conntrack -L); resize redraws; 'W' writes the settings; q quits and the
# namespace's nf_conntrack_acct/_timestamp are back; the same after
# SIGTERM and after SIGHUP (tmux kill-session, as a dropped SSH session).
# A namespace without conntrack rules shows the commands that turn it on.
. "$(dirname "$0")/../lib.sh"
t_init ui_tmux
t_require_root
t_require tmux conntrack nft "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP" 2>/dev/null)
if [ ! -x "$FT" ] || [ ! -x "$T_CT_INJECT" ]; then
	t_fail "no $T_FLOWTOP or $T_CT_INJECT: build them (make, make tools)"
	t_done
fi
SESS=ft_ui_$$
FLOWS_PID=

# A tmux server of our own (no user configuration, not the user's server,
# fine inside another tmux); ended on every exit, also on failure (lib.sh's
# trap then removes the namespaces and their processes).
tm() {
	tmux -L "$SESS" -f /dev/null "$@"
}

ui_cleanup() {
	tm kill-server 2>/dev/null
	# tmux leaves its socket file behind.
	[ -n "$TM_SOCKET" ] && rm -f "$TM_SOCKET"
}
# Kept up between sessions: a new session never meets a server that is
# going away because the last one just ended.
tm start-server \; set-option -g exit-empty off
TM_SOCKET=$(tm display-message -p '#{socket_path}' 2>/dev/null)
trap 'rc=$?; ui_cleanup; (exit $rc); t__on_exit' EXIT

t_ns ui NS
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
t_nsexec "$NS" ip addr add 2001:db8::1/64 dev lo nodad
SYSDIR=/proc/sys/net/netfilter
# Start from both off, so that flowtop has something to put back.
t_nsexec "$NS" sh -c "echo 0 > $SYSDIR/nf_conntrack_acct; \
	echo 0 > $SYSDIR/nf_conntrack_timestamp"

# Synthetic entries, one dport range per protocol (ct_inject --help:
# entry k goes 192.0.2.(1+k):(10000+k) -> 198.51.100.1:(20000+k)).
inject() {
	t_ct "$NS" add "$@" >/dev/null 2>"$T_TMP/inject.err"
}
inject --proto tcp --family 4 --start 0 --count 5 ||
	t_fail "ct_inject tcp/4"
inject --proto tcp --family 6 --start 10 --count 3 ||
	t_fail "ct_inject tcp/6"
inject --proto udp --family 4 --start 20 --count 3 ||
	t_fail "ct_inject udp/4"
inject --proto icmp --family 4 --start 30 --count 2 ||
	t_fail "ct_inject icmp/4"
inject --proto sctp --family 4 --start 40 --count 2 ||
	t_fail "ct_inject sctp/4"
inject --proto dccp --family 4 --start 60 --count 1
HAVE_DCCP=$?
# NAT: the reply of 20085 comes from 192.0.2.200 (DNAT), 20086 leaves as
# 198.51.100.254 (SNAT).
inject --proto tcp --family 4 --start 85 --count 1 --dnat 192.0.2.200 ||
	t_fail "ct_inject --dnat"
inject --proto tcp --family 4 --start 86 --count 1 --snat 198.51.100.254 ||
	t_fail "ct_inject --snat"
# A DNS flow: hidden until 'l'.
inject --proto tcp --family 4 --start 70 --count 1 --dport 53 ||
	t_fail "ct_inject tcp/4 dport 53"

# Real sockets of a process called ft_uitest: BIG moved 5 MiB once, SMALL
# keeps sending a little (it has a rate, but stays far below BIG), plus a
# loopback connection (hidden until 'l').  Started after flowtop, so that
# the kernel counts their bytes.
cat >"$T_TMP/flows.py" <<'EOF'
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"ft_uitest", 0, 0, 0)
def pair(addr, fam=socket.AF_INET):
    s = socket.socket(fam); s.bind((addr, 0)); s.listen()
    c = socket.create_connection((addr, s.getsockname()[1]))
    x, _ = s.accept()
    return s, c, x
big = pair("192.0.2.1"); small = pair("192.0.2.1"); lo = pair("127.0.0.1")
for i in range(80):
    big[1].sendall(b"b" * 65536); got = 0
    while got < 65536: got += len(big[2].recv(65536))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d %d\n" % (big[0].getsockname()[1],
            small[0].getsockname()[1], lo[0].getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
for i in range(6000):
    small[1].sendall(b"s" * 100); small[2].recv(1000)
    time.sleep(0.1)
EOF

cap() {
	tm capture-pane -p -t "$1"
}

# Each screen line as "ATTRS<TAB>text", ATTRS the attributes of its first
# character (b bold, d dim, r reverse), from tmux's escapes; then a line
# "colour<TAB>yes|no": whether any colour was set.
cat >"$T_TMP/attrs.py" <<'EOF'
import re, sys
cur = set(); colour = False
for line in sys.stdin.read().split("\n"):
    first = None; text = ""
    for m in re.finditer(r"\x1b\[([0-9;]*)m|([^\x1b]+)", line):
        if m.group(2) is not None:
            if first is None and m.group(2).strip():
                first = "".join(sorted(cur)) or "-"
            text += m.group(2)
            continue
        for p in (m.group(1) or "0").split(";"):
            p = int(p or 0)
            if p == 0: cur.clear()
            elif p == 1: cur.add("b")
            elif p == 2: cur.add("d")
            elif p == 7: cur.add("r")
            elif p == 22: cur.discard("b"); cur.discard("d")
            elif p == 27: cur.discard("r")
            elif 30 <= p <= 37 or 40 <= p <= 47 or 90 <= p <= 107 \
                    or p in (38, 48):
                colour = True
    print("%s\t%s" % (first or "-", text))
print("colour\t%s" % ("yes" if colour else "no"))
EOF

cap_attrs() {
	local out

	out=$(tm capture-pane -e -p -t "$1") || return 1
	printf '%s\n' "$out" | "$T_PYTHON" "$T_TMP/attrs.py"
}

# has_colour SESSION yes|no: whether the screen uses colours.
has_colour() {
	local out

	out=$(cap_attrs "$1") && printf '%s\n' "$out" | grep -q '^.	.' &&
		printf '%s\n' "$out" | grep -qx "colour.$2"
}

# line_nonblank SESSION N: screen line N has something on it.
line_nonblank() {
	cap "$1" | sed -n "${2}p" | grep -q .
}

# line_attr SESSION REGEX ATTR: the first line matching REGEX starts with
# attribute ATTR (b, d, r).
line_attr() {
	cap_attrs "$1" | grep -E -- "$2" | head -n 1 | cut -f1 | grep -q "$3"
}

# screen_has SESSION REGEX: the screen shows REGEX (grep -E).
screen_has() {
	cap "$1" | grep -q -E -- "$2"
}

screen_lacks() {
	! screen_has "$1" "$2"
}

# expect DESC SESSION REGEX [TIMEOUT]: PASS when REGEX shows up in time.
expect() {
	if t_wait_for "${4:-4}" screen_has "$2" "$3"; then
		t_pass "$1"
	else
		t_fail "$1 (no /$3/ on the screen)"
		cap "$2" | sed 's/^/    | /'
	fi
}

expect_not() {
	if t_wait_for "${4:-4}" screen_lacks "$2" "$3"; then
		t_pass "$1"
	else
		t_fail "$1 (/$3/ still on the screen)"
		cap "$2" | sed 's/^/    | /'
	fi
}

key() {
	local s=$1

	shift
	tm send-keys -t "$s" "$@"
}

# Line number on the screen of the first line matching REGEX, 0 if none.
line_of() {
	local n

	n=$(cap "$1" | grep -n -E -- "$2" | head -n 1 | cut -d: -f1)
	echo "${n:-0}"
}

sysctl_ns() {
	t_nsexec "$NS" cat "$SYSDIR/$1"
}

sysctls_off() {
	[ "$(sysctl_ns nf_conntrack_acct)" = 0 ] &&
		[ "$(sysctl_ns nf_conntrack_timestamp)" = 0 ]
}

sysctls_on() {
	[ "$(sysctl_ns nf_conntrack_acct)" = 1 ] &&
		[ "$(sysctl_ns nf_conntrack_timestamp)" = 1 ]
}

flowtop_running() {
	ip netns pids "$NS" 2>/dev/null | while read -r p; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = flowtop ] && echo "$p"
	done | grep -q .
}

flowtop_pid() {
	ip netns pids "$NS" 2>/dev/null | while read -r p; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = flowtop ] && echo "$p"
	done | head -n 1
}

# start SESSION COLS ROWS ARGS...: flowtop in NS in a new tmux session;
# its exit status goes to $T_TMP/SESSION.rc, its stderr to .err.
# START_ENV (e.g. NO_COLOR=1) goes into its environment.
start() {
	local s=$1 c=$2 r=$3

	shift 3
	tm new-session -d -s "$s" -x "$c" -y "$r" \
		"env $START_ENV ip netns exec $NS $FT $* 2>$T_TMP/$s.err; \
		echo \$? >$T_TMP/$s.rc"
}
START_ENV=

# Press Right (at most 10 times) until REGEX is on the screen.
scroll_until() {
	local i

	for i in 1 2 3 4 5 6 7 8 9 10; do
		screen_has "$1" "$2" && return 0
		key "$1" Right
		sleep 0.2
	done
	return 1
}

conntrack_has() {
	t_nsexec "$NS" conntrack -L 2>/dev/null | grep -q -- "$1"
}

# hdr WIDE NARROW: the regex for the header at this size.  The header is
# one line: at 80 columns it leaves out the version and the protocols
# that are off.
hdr() {
	if [ "$c" -ge 120 ]; then echo "$1"; else echo "$2"; fi
}

# The whole key tour at one terminal size.  DEL is the dport of the entry
# this run deletes.
tour() {
	local c=$1 r=$2 del=$3 s=${SESS}_${1}x$2 cfg=$T_TMP/flowtoprc.$1 \
	      a b big small lo sz="${1}x$2:"

	shift 3
	start "$s" "$c" "$r" -t 0.5 -n --config "$cfg" "$@"
	expect "$sz flowtop starts, header and TCP flows" "$s" \
		'198\.51\.100\.1:20000' 6
	t_check "$sz nf_conntrack_acct and _timestamp switched on" \
		t_wait_for 3 sysctls_on
	expect "$sz header: version, families, protocols, on one line" "$s" \
		"$(hdr '^flowtop [0-9].*IPv4 IPv6 +TCP udp dccp icmp sctp' \
		'^flowtop +IPv4 IPv6 TCP +Flows')"
	expect "$sz header: conntrack table pressure" "$s" 'ct [0-9]+/[0-9]+'
	t_check "$sz header on one line: line 2 has the column titles" \
		test "$(line_of "$s" '^(PROCESS|PROTO) ')" -eq 2

	# Real traffic once flowtop has switched accounting on.
	if [ -z "$FLOWS_PID" ]; then
		t_bg ip netns exec "$NS" "$T_PYTHON" "$T_TMP/flows.py" \
			"$T_TMP/ready"
		FLOWS_PID=$T_BG_PID
		t_wait_for 15 test -s "$T_TMP/ready" ||
			t_fail "$sz the real flows did not start"
	fi
	read -r big small lo <"$T_TMP/ready"
	expect "$sz real flows shown" "$s" "192\\.0\\.2\\.1:$small( |\$)" 6

	# Protocol toggles: UDP, ICMP, SCTP, DCCP on, then TCP off and on.
	expect_not "$sz UDP hidden at start" "$s" '198\.51\.100\.1:20020' 1
	key "$s" U
	expect "$sz U shows UDP flows" "$s" '198\.51\.100\.1:20020'
	expect "$sz U: header says UDP" "$s" \
		"$(hdr 'TCP UDP dccp' 'IPv6 TCP UDP +Flows')"
	key "$s" U
	expect_not "$sz U again hides them" "$s" '198\.51\.100\.1:20020'
	key "$s" I
	# (At 80 columns STATE gives way to DEVICE: ct_inject's IPv6
	# flows pass through this namespace, as a router's would.)
	expect "$sz I shows ICMP flows" "$s" 'icmp4 .*echo-request|icmp4'
	key "$s" I
	expect_not "$sz I again hides them" "$s" 'echo-request'
	key "$s" S
	expect "$sz S shows SCTP flows" "$s" '198\.51\.100\.1:20040'
	key "$s" S
	expect_not "$sz S again hides them" "$s" '198\.51\.100\.1:20040'
	key "$s" D
	if [ "$HAVE_DCCP" = 0 ]; then
		expect "$sz D shows DCCP flows" "$s" '198\.51\.100\.1:20060'
	else
		expect "$sz D switches DCCP on (no DCCP tracker here)" "$s" \
			"$(hdr 'TCP udp DCCP icmp' 'TCP DCCP +Flows')"
	fi
	key "$s" D
	expect "$sz D again switches it off" "$s" \
		"$(hdr 'TCP udp dccp icmp' 'IPv6 TCP +Flows')"
	key "$s" T
	expect_not "$sz T hides TCP flows" "$s" '198\.51\.100\.1:20000'
	expect "$sz T: header says tcp off" "$s" \
		"$(hdr 'IPv6 +tcp udp' 'IPv6 +no protocol')"
	expect "$sz T: says why nothing is shown" "$s" \
		'none of the [0-9]+ flows'
	key "$s" T
	expect "$sz T again shows them" "$s" '198\.51\.100\.1:20000'
	# Quick toggling never loses a flow: a protocol switched back on is
	# dumped at once.
	key "$s" U I S D T U I S D T U I S D T U I S D T
	expect "$sz quick toggles: back as before" "$s" \
		"$(hdr 'TCP udp dccp icmp sctp' 'IPv6 TCP +Flows')"
	expect "$sz quick toggles: flows still there" "$s" \
		'198\.51\.100\.1:20000'

	# Families.
	expect "$sz IPv6 flow shown" "$s" '\[2001:db8:2::1\]:20010'
	key "$s" 6
	expect_not "$sz 6 hides IPv6" "$s" '\[2001:db8:2::1\]:20010'
	expect "$sz 6 keeps IPv4" "$s" '198\.51\.100\.1:20000'
	key "$s" 6 4
	expect "$sz 4 hides IPv4, 6 shows IPv6 again" "$s" \
		'\[2001:db8:2::1\]:20010'
	expect_not "$sz ... and IPv4 is gone" "$s" '198\.51\.100\.1:20000'
	key "$s" 4
	expect "$sz 4 again shows IPv4" "$s" '198\.51\.100\.1:20000'

	# b a s l.
	expect "$sz rates in bytes/s" "$s" '[0-9] [kMG]?B/s'
	key "$s" b
	expect "$sz b: rates in bits/s" "$s" '[0-9] [kMG]?bit/s'
	key "$s" b
	expect_not "$sz b again: bytes/s" "$s" 'bit/s'
	key "$s" w
	expect "$sz w: rates over the last 10 s, said in the header" "$s" 'rates 10s'
	key "$s" w
	expect "$sz w again: ~40 s" "$s" 'rates 40s'
	key "$s" w
	expect_not "$sz w a third time: the last interval" "$s" 'rates [14]0s'
	key "$s" a
	expect_not "$sz a hides idle flows" "$s" '198\.51\.100\.1:20000'
	expect "$sz a keeps the active one" "$s" "192\\.0\\.2\\.1:$small( |\$)"
	key "$s" a
	expect "$sz a again shows idle flows" "$s" '198\.51\.100\.1:20000'
	expect_not "$sz no source column at first" "$s" 'SOURCE' 1
	key "$s" s
	expect "$sz s shows the source column" "$s" \
		'192\.0\.2\.1:10000 +-> 198\.51\.100\.1:20000'
	key "$s" s
	expect_not "$sz s again hides it" "$s" 'SOURCE'
	expect_not "$sz loopback and DNS hidden at first" "$s" \
		"127\\.0\\.0\\.1:$lo( |\$)|198\\.51\\.100\\.1:53" 1
	key "$s" l
	expect "$sz l shows loopback flows" "$s" "127\\.0\\.0\\.1:$lo( |\$)"
	expect "$sz l shows DNS flows" "$s" '198\.51\.100\.1:53'
	key "$s" l
	expect_not "$sz l again hides them" "$s" \
		"127\\.0\\.0\\.1:$lo( |\$)|198\\.51\\.100\\.1:53"

	# NAT beside the original address; Right/Left scroll long lines.
	key "$s" / C-u
	key "$s" -l 'dport 20085 or dport 20086'
	key "$s" Enter
	expect "$sz NAT flows filtered" "$s" 'Flows 2/'
	scroll_until "$s" '\[snat 198\.51\.100\.254:10086\]'
	expect "$sz DNAT: translated address beside the original" "$s" \
		'198\.51\.100\.1:20085 +\[dnat 192\.0\.2\.200:20085\]'
	expect "$sz SNAT: shown too without the source column" "$s" \
		'198\.51\.100\.1:20086 +\[snat 198\.51\.100\.254:10086\]'
	key "$s" Left Left Left Left Left Left Left Left
	expect "$sz Left scrolls back to the first column" "$s" '^PRO'
	key "$s" s
	expect "$sz source column with NAT" "$s" \
		'192\.0\.2\.87:10086 +-> 198\.51\.100\.1:20086'
	scroll_until "$s" '\[snat 198\.51\.100\.254:10086\]'
	expect "$sz ... NAT still beside it" "$s" \
		'198\.51\.100\.1:20086 +\[snat 198\.51\.100\.254:10086\]'
	key "$s" s Escape Left Left Left Left Left Left Left Left

	# Help.
	key "$s" '?'
	expect "$sz ? opens the help" "$s" 'q  F10 +quit'
	key "$s" End
	expect "$sz End scrolls it to the last keys" "$s" \
		'T U D I S O +TCP, UDP, DCCP, ICMP, SCTP, other'
	key "$s" x
	expect_not "$sz any other key closes it" "$s" 'T U D I S O +TCP'
	expect "$sz ... and flowtop still runs" "$s" '198\.51\.100\.1:20000'

	# Views.
	key "$s" Tab
	expect "$sz TAB: Processes view" "$s" '^flowtop .*Processes [0-9]'
	expect "$sz Processes view lists ft_uitest" "$s" 'ft_uitest' 6
	key "$s" Enter
	expect "$sz Enter on a process: the Flows view of its flows" "$s" \
		'filter: pid [0-9]+'
	expect "$sz ... its flows" "$s" "192\\.0\\.2\\.1:$small( |\$)"
	expect_not "$sz ... and no other" "$s" '198\.51\.100\.1:20000'
	key "$s" Escape Tab Tab
	expect "$sz TAB: Remote hosts view" "$s" '^flowtop .*Remote hosts'
	expect "$sz Remote hosts lists 198.51.100.1" "$s" \
		'198\.51\.100\.1'
	key "$s" c
	expect "$sz c: Remote countries" "$s" 'Remote countries'
	expect "$sz countries table" "$s" 'COUNTRY'
	key "$s" c Tab
	expect "$sz TAB: Devices view" "$s" '^flowtop .*Devices [0-9]'
	key "$s" Tab
	expect "$sz TAB: back to Flows" "$s" '^flowtop .*Flows [0-9]+/[0-9]+'

	# Sort: by bytes BIG is first, by rate SMALL is.
	key "$s" B
	expect "$sz B: sort bytes, in the header" "$s" 'sort bytes desc'
	sleep 0.6
	a=$(line_of "$s" "192\\.0\\.2\\.1:$big( |\$)")
	b=$(line_of "$s" "192\\.0\\.2\\.1:$small( |\$)")
	t_check "$sz by bytes the 5 MB flow is above ($a < $b)" \
		test "$a" -gt 0 -a "$b" -gt 0 -a "$a" -lt "$b"
	key "$s" r
	expect "$sz r: reversed" "$s" 'sort bytes asc'
	sleep 0.6
	a=$(line_of "$s" "192\\.0\\.2\\.1:$big( |\$)")
	b=$(line_of "$s" "192\\.0\\.2\\.1:$small( |\$)")
	t_check "$sz reversed, it is below ($a > $b)" \
		test "$a" -gt 0 -a "$b" -gt 0 -a "$a" -gt "$b"
	key "$s" R
	expect "$sz R: sort rate" "$s" 'sort rate desc'
	sleep 0.6
	# Line 1 the header, 2 the column titles, 3 the first flow.
	t_check "$sz by rate the active flow is first" \
		test "$(line_of "$s" "192\\.0\\.2\\.1:$small( |\$)")" -eq 3
	key "$s" F6
	expect "$sz F6 opens the sort menu" "$s" 'Sort by'
	key "$s" Down Down Down Enter
	expect "$sz menu: duration picked" "$s" 'sort duration desc'
	key "$s" '>'
	expect "$sz > opens it too" "$s" 'Sort by'
	key "$s" Escape
	expect_not "$sz Esc closes it" "$s" 'Sort by'
	key "$s" R

	# Filter: live, error caret, Esc, nothing matches.
	key "$s" /
	expect "$sz / opens the prompt" "$s" '^Filter:'
	key "$s" -l 'dport 20001'
	expect "$sz live: header shows the filter" "$s" 'filter: dport 20001'
	expect "$sz live: the matching flow" "$s" '198\.51\.100\.1:20001'
	expect_not "$sz live: others gone" "$s" '198\.51\.100\.1:20000'
	key "$s" -l ' and ('
	expect "$sz malformed: caret and message" "$s" '^ +\^ '
	expect "$sz malformed: last good filter stays" "$s" \
		'198\.51\.100\.1:20001'
	key "$s" Escape
	expect_not "$sz Esc clears the filter" "$s" 'filter: '
	expect "$sz all flows back" "$s" '198\.51\.100\.1:20000'
	key "$s" / C-u
	key "$s" -l 'port 1'
	key "$s" Enter
	expect "$sz no match says so" "$s" 'No flow matches filter port 1'
	key "$s" Escape
	expect "$sz Esc outside the prompt clears it too" "$s" \
		'198\.51\.100\.1:20000'

	# Details of one flow.
	key "$s" / C-u
	key "$s" -l 'dport 20002'
	key "$s" Enter
	expect "$sz filtered to one flow" "$s" 'Flows 1/'
	key "$s" Enter
	expect "$sz Enter opens the details" "$s" 'Flow details'
	expect "$sz details: both tuples" "$s" \
		'Original +192\.0\.2\.3:10002 -> 198\.51\.100\.1:20002'
	expect "$sz details: reply tuple" "$s" \
		'Reply +198\.51\.100\.1:20002 -> 192\.0\.2\.3:10002'
	expect "$sz details: status flags decoded" "$s" 'Status .*CONFIRMED'
	key "$s" q
	expect_not "$sz q closes the details" "$s" 'Flow details'
	expect "$sz ... and flowtop still runs" "$s" 'Flows 1/'
	key "$s" Escape

	# Pause: a new entry does not show until the pause ends.
	key "$s" p
	expect "$sz p pauses" "$s" 'PAUSED'
	inject --proto tcp --family 4 --start $((90 + c / 100)) --count 1
	sleep 1.5
	t_check "$sz paused: the new flow is not shown" \
		screen_lacks "$s" "198\\.51\\.100\\.1:$((20090 + c / 100))"
	key "$s" p
	expect_not "$sz p again resumes" "$s" 'PAUSED'
	expect "$sz the new flow shows" "$s" \
		"198\\.51\\.100\\.1:$((20090 + c / 100))"

	# Delete: n keeps it, y deletes it.
	key "$s" / C-u
	key "$s" -l "dport $del"
	key "$s" Enter
	expect "$sz the flow to delete is selected" "$s" 'Flows 1/'
	key "$s" d
	expect "$sz d asks first" "$s" 'Delete conntrack entry\?'
	key "$s" n
	expect "$sz n keeps it" "$s" 'not deleted'
	t_check "$sz still in conntrack -L" conntrack_has "dport=$del "
	key "$s" d
	expect "$sz d asks again" "$s" 'Delete conntrack entry\?'
	key "$s" y
	expect "$sz y deletes it and says so" "$s" \
		'conntrack entry [0-9]+ deleted'
	t_check "$sz gone from conntrack -L" t_wait_for 3 \
		eval "! conntrack_has 'dport=$del '"
	expect "$sz gone from the screen" "$s" 'No flow matches filter'
	key "$s" Escape

	# Resize redraws at the new size.
	tm resize-window -t "$s" -x 100 -y 30
	t_check "$sz resize: something on the new last line" t_wait_for 3 \
		line_nonblank "$s" 30
	expect "$sz resize: flows redrawn" "$s" '198\.51\.100\.1:20000'
	tm resize-window -t "$s" -x "$c" -y "$r"
	t_check "$sz resize back" t_wait_for 3 line_nonblank "$s" "$r"

	# Settings.
	key "$s" B s W
	expect "$sz W writes the settings" "$s" 'settings written to'
	t_check "$sz settings file has sort=bytes" grep -qx 'sort=bytes' "$cfg"
	t_check "$sz settings file has show_src=1" grep -qx 'show_src=1' \
		"$cfg"

	# q quits; the sysctls are back; nothing was written to stderr.
	key "$s" q
	t_check "$sz q quits with status 0" t_wait_for 5 \
		sh -c "test \"\$(cat '$T_TMP/$s.rc' 2>/dev/null)\" = 0"
	t_check "$sz sysctls back to 0 after q" sysctls_off
	t_check "$sz nothing on stderr" test ! -s "$T_TMP/$s.err"
}

tour 80 24 20003 -G
tour 200 50 20004

# The settings of the last run (sort bytes, source column) come back.
s=${SESS}_cfg
start "$s" 120 30 -t 0.5 -n -G --config "$T_TMP/flowtoprc.200"
expect "settings file: sort and source column restored" "$s" \
	'sort bytes desc' 6
expect "settings file: source column restored" "$s" 'SOURCE'
key "$s" q
t_wait_for 5 test -s "$T_TMP/$s.rc"

# Monochrome (NO_COLOR): the cursor stays on its flow when new flows sort
# above it; new flows are bold for an interval, closed ones dim.
s=${SESS}_mono
START_ENV=NO_COLOR=1
start "$s" 100 24 -t 2 -n -G --no-config -o port -f "'dport 19000-20999'"
START_ENV=
expect "mono: sorted by port, ascending" "$s" 'sort port asc' 6
expect "mono: flows shown" "$s" '198\.51\.100\.1:20002' 6
key "$s" j j
t_check "mono: the cursor (reverse) is on the third flow, 20002" \
	t_wait_for 3 line_attr "$s" '198\.51\.100\.1:20002' r
t_check "mono: no colours with NO_COLOR" has_colour "$s" no
inject --proto tcp --family 4 --start 80 --count 2 --dport 19000
expect "mono: two new flows sort above it" "$s" '198\.51\.100\.1:19000' 6
t_check "mono: new flows are bold" \
	line_attr "$s" '198\.51\.100\.1:19000' b
t_check "mono: the cursor stayed on 20002" \
	line_attr "$s" '198\.51\.100\.1:20002' r
t_check "mono: it moved down two lines with its flow" test \
	"$(line_of "$s" '198\.51\.100\.1:20002')" -eq 7
t_nsexec "$NS" conntrack -D -p tcp --dport 20001 >/dev/null 2>&1
t_check "mono: a closed flow is dim" \
	t_wait_for 5 line_attr "$s" '198\.51\.100\.1:20001' d
expect_not "mono: ... then it goes" "$s" '198\.51\.100\.1:20001' 8
key "$s" q
t_wait_for 5 test -s "$T_TMP/$s.rc"

# With colours (TERM of tmux), the title line is coloured.
s=${SESS}_colour
start "$s" 80 24 -t 0.5 -n -G --no-config
expect "colour: started" "$s" '^flowtop ' 6
t_check "colour: colours are used" has_colour "$s" yes
key "$s" q
t_wait_for 5 test -s "$T_TMP/$s.rc"

# SIGTERM and SIGHUP put the sysctls back too.
s=${SESS}_term
start "$s" 80 24 -t 0.5 -n -G --no-config
expect "SIGTERM run: started" "$s" '^flowtop ' 6
t_wait_for 3 sysctls_on
kill -TERM "$(flowtop_pid)"
t_check "SIGTERM: flowtop exits" t_wait_for 5 eval '! flowtop_running'
t_check "SIGTERM: sysctls back to 0" sysctls_off
t_check "SIGTERM: nothing on stderr" test ! -s "$T_TMP/$s.err"

s=${SESS}_hup
start "$s" 80 24 -t 0.5 -n -G --no-config
expect "SIGHUP run: started" "$s" '^flowtop ' 6
t_wait_for 3 sysctls_on
tm kill-session -t "$s"
t_check "SIGHUP (terminal gone): flowtop exits" t_wait_for 5 \
	eval '! flowtop_running'
t_check "SIGHUP: sysctls back to 0" sysctls_off

# A namespace where nothing uses conntrack: say so, with the commands.
t_ns bare BARE
t_nsexec "$BARE" nft delete table inet ft
s=${SESS}_bare
tm new-session -d -s "$s" -x 80 -y 24 \
	"ip netns exec $BARE $FT -t 0.5 -n -G --no-config 2>/dev/null"
expect "empty table: conntrack may not be active" "$s" \
	'conntrack may not be active' 6
NFT_CHAIN="nft add chain inet flowtop out"
expect "empty table: the nft commands" "$s" \
	"$NFT_CHAIN '\\{ type filter hook output priority 0; \\}'"
expect "empty table: the iptables command" "$s" \
	'iptables -A OUTPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT'
key "$s" q

kill "$FLOWS_PID" 2>/dev/null
t_done
