#!/bin/bash
# instances.sh: two flowtops in one namespace share the sysctls.
#
# In a fresh namespace with nf_conntrack_acct and _timestamp at 0: start
# two instances, quit the first: both stay on, and a flow made after that
# still gets counters; quit the second: both back to 0 and the state file
# under /run/flowtop is gone.  An instance killed with SIGKILL (which
# cannot clean up) does not count for ever: the next instance, the last
# live one, puts back the values the first one found.  An instance in
# another namespace is not counted with them.
. "$(dirname "$0")/../lib.sh"
t_init instances
t_require_root
t_require conntrack nft "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
SYSDIR=/proc/sys/net/netfilter
t_ns inst NS
t_ns inst2 NS2
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
INO=$(t_nsexec "$NS" stat -L -c %i /proc/self/ns/net)
STATE=/run/flowtop/netns-$INO
for n in "$NS" "$NS2"; do
	t_nsexec "$n" sh -c "echo 0 > $SYSDIR/nf_conntrack_acct; \
		echo 0 > $SYSDIR/nf_conntrack_timestamp"
done

val() {		# val NS NAME
	t_nsexec "$1" cat "$SYSDIR/nf_conntrack_$2"
}
both_are() {	# both_are NS V
	[ "$(val "$1" acct)" = "$2" ] && [ "$(val "$1" timestamp)" = "$2" ]
}
start() {	# start NS: a batch instance in the background, pid in $T_BG_PID
	t_bg sh -c "exec ip netns exec $1 $FT -j -c 0 -t 0.2 -n -G >/dev/null \
		2>>$T_TMP/ft.err"
}
instances() {	# the live instances the state file counts
	grep -c '^pid=' "$STATE" 2>/dev/null
}
counts() {	# counts N: the state file counts N instances
	[ "$(instances)" = "$1" ]
}
listed() {	# listed PID: the state file names PID
	grep -q "^pid=$1/" "$STATE" 2>/dev/null
}
gone() {	# gone PID: exited (a zombie of ours counts as gone)
	[ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" \
		2>/dev/null)" = Z ]
}
stop() {	# stop PID [SIGNAL]: and wait until it is gone
	kill -"${2:-TERM}" "$1"
	t_wait_for 5 gone "$1" || t_fail "pid $1 did not exit on SIG${2:-TERM}"
	wait "$1" 2>/dev/null
}
# A UDP exchange on a fresh port; prints conntrack's line for it.
new_flow() {	# new_flow PORT
	t_nsexec "$NS" "$T_PYTHON" -c "import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b'x' * 100, ('192.0.2.1', $1))" >/dev/null 2>&1
	t_nsexec "$NS" conntrack -L -p udp --dport "$1" 2>/dev/null
}

# 1. Two instances; the first quits.
start "$NS"; A=$T_BG_PID
t_wait_for 5 both_are "$NS" 1
t_check "the first instance switches both on" both_are "$NS" 1
start "$NS"; B=$T_BG_PID
t_check "the state file counts two instances" t_wait_for 5 listed "$B"
t_check "exactly two" counts 2
t_check "the state file names the first pid too" listed "$A"
t_check "the state file keeps the values found (0)" \
	grep -qx 'nf_conntrack_acct=0' "$STATE"
stop "$A"
t_check "after the first quits, the state file counts one" \
	test "$(instances)" = 1
t_check "after the first quits, both are still on" both_are "$NS" 1
t_check "a flow made after that has counters" \
	sh -c "echo '$(new_flow 40001)' | grep -q 'packets=1 bytes=128'"
stop "$B"
t_check "after the last quits, both are back to 0" both_are "$NS" 0
t_check "and the state file is gone" test ! -e "$STATE"

# 2. The other order, and SIGHUP/SIGINT as ways out.
start "$NS"; A=$T_BG_PID
t_wait_for 5 both_are "$NS" 1
start "$NS"; B=$T_BG_PID
t_wait_for 5 counts 2
stop "$B" HUP
t_check "the second quits first (SIGHUP): both still on" both_are "$NS" 1
stop "$A" INT
t_check "then the first (SIGINT): both back to 0" both_are "$NS" 0

# 3. A killed instance: it cannot clean up, but it does not block.
start "$NS"; A=$T_BG_PID
t_wait_for 5 both_are "$NS" 1
start "$NS"; B=$T_BG_PID
t_wait_for 5 counts 2
stop "$A" KILL
t_check "SIGKILL leaves the dead pid in the file" \
	grep -q '^pid='"$A"'/' "$STATE"
stop "$B"
t_check "the last live instance puts both back to 0 despite the dead one" \
	both_are "$NS" 0
start "$NS"; A=$T_BG_PID
t_wait_for 5 both_are "$NS" 1
t_wait_for 5 counts 1
stop "$A" KILL
t_check "the only instance killed: both left on" both_are "$NS" 1
start "$NS"; B=$T_BG_PID
t_wait_for 5 listed "$B"
t_check "the next instance drops the dead pid" \
	sh -c "! grep -q '^pid=$A/' '$STATE'"
t_check "and counts itself alone" counts 1
t_check "and keeps the value the first one found" \
	grep -qx 'nf_conntrack_acct=0' "$STATE"
stop "$B"
t_check "so it puts back 0, not the 1 it found" both_are "$NS" 0

# 4. Another namespace is another count.
start "$NS"; A=$T_BG_PID
start "$NS2"; B=$T_BG_PID
t_wait_for 5 both_are "$NS" 1
t_wait_for 5 both_are "$NS2" 1
stop "$A"
t_check "quitting in one namespace puts it back there" both_are "$NS" 0
t_check "and leaves the other namespace's instance alone" both_are "$NS2" 1
stop "$B"
t_check "whose own quit puts its namespace back" both_are "$NS2" 0
t_check "no instance wrote an error" test ! -s "$T_TMP/ft.err"
t_done
