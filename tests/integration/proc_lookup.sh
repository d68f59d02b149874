#!/bin/bash
# proc_lookup.sh: socket owners found by proc_lookup agree with ss(8).
#
# In a fresh network namespace, test processes with distinctive names own
# TCP, UDP and UDP-lite sockets (IPv4, IPv6, v4-mapped, two sockets on one
# local port in two processes, one process running as nobody).
# tests/tools/proc_drv answers for every socket `ss -tunpe` lists and for
# the server side of unconnected UDP; both must agree.  Also: a process that
# is gone and a socket of another namespace are not found, is_local, and the
# time of one refresh with 1000 local sockets.
#
# Usage: tests/integration/proc_lookup.sh [BUILD_DIR]   (root)
# The driver is BUILD_DIR/tools/proc_drv (default build/), else $PROC_DRV,
# else it is compiled into a temporary directory.

NAME=proc_lookup
TOP=$(cd "$(dirname "$0")/../.." && pwd)
SOCKPROC=$TOP/tests/tools/sockproc.py
# The system python (stdlib only), also for the process run as nobody.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
pass=0
fail=0

ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
skip() {
	echo "SKIP: $*"
	[ "${CI:-}" = true ] && fail=$((fail + 1))
}
finish() {
	echo "$NAME: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (network namespaces)"
	finish
fi
for t in ip ss setpriv "$PY"; do
	if ! command -v $t >/dev/null 2>&1; then
		skip "$t not installed"
		finish
	fi
done

NS=ftpl$$
NS2=ftpl2$$
TMP=$(mktemp -d /tmp/proc_lookup.XXXXXX)
PIDS=""

cleanup() {
	local p
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

DRV=${PROC_DRV:-$TOP/${1:-${T_BUILD:-build}}/tools/proc_drv}
if [ ! -x "$DRV" ]; then
	DRV=$TMP/proc_drv
	if ! (cd "$TOP" && ${CC:-cc} -std=gnu11 -D_GNU_SOURCE -O2 -I. \
	    -o "$DRV" tests/tools/proc_drv.c proc_lookup*.c util.c \
	    -lmnl -lm -lpthread) >"$TMP/cc.log" 2>&1; then
		cat "$TMP/cc.log"
		skip "cannot build proc_drv"
		finish
	fi
fi

ip netns add "$NS" && ip netns add "$NS2" || {
	bad "cannot create network namespaces"
	finish
}
ip -n "$NS" link set lo up
ip -n "$NS2" link set lo up
# Extra local addresses on lo (no dummy/veth needed): a /32, a /128 and a
# /24, whose whole prefix the kernel makes local on lo.
ip -n "$NS" addr add 192.0.2.1/32 dev lo
ip -n "$NS" addr add 198.51.100.1/24 dev lo
ip -n "$NS" addr add 2001:db8::1/128 dev lo
# Conntrack tracks the namespace's flows, as flowtop would see them.
ip netns exec "$NS" nft -f - <<-EOF || echo "note: no nft rule"
	table inet ftpl {
		chain in {
			type filter hook input priority 0; policy accept;
			ct state new,established accept
		}
	}
EOF

READY=$TMP/ready
# nobody must reach the ready directory (mktemp -d is 0700) and read
# sockproc.py, which it cannot do in the checkout if that is under /root.
chmod 711 "$TMP"
mkdir -m 1777 "$READY"
mkdir -m 755 "$TMP/pub" && cp "$SOCKPROC" "$TMP/pub/" &&
	chmod 644 "$TMP/pub/sockproc.py" && SOCKPROC=$TMP/pub/sockproc.py

# start NS USER COMM ACTION ARGS...: run sockproc, wait for its sockets.
start() {
	local ns=$1 user=$2 comm=$3 i
	shift 3
	if [ "$user" = root ]; then
		ip netns exec "$ns" "$PY" "$SOCKPROC" "$comm" \
			"$READY/$comm" "$@" &
	else
		ip netns exec "$ns" setpriv --reuid="$user" --regid="$user" \
			--clear-groups "$PY" "$SOCKPROC" "$comm" \
			"$READY/$comm" "$@" &
	fi
	PIDS="$PIDS $!"
	eval "PID_$comm=$!"
	for i in $(seq 100); do
		[ -s "$READY/$comm" ] && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.1
	done
	bad "$comm did not start"
	return 1
}

# ends COMM: "PROTO LADDR LPORT RADDR RPORT" of COMM's socket.
ends() { head -n 1 "$READY/$1"; }
pid_of() { eval "echo \$PID_$1"; }

# expect NS LABEL QUERY COMM|none [USER]: one proc_drv answer.
expect() {
	local ns=$1 label=$2 q=$3 comm=$4 user=${5:-} pid out
	out=$(echo "$q" | ip netns exec "$ns" "$DRV" 2>&1)
	if [ "$comm" = none ]; then
		case $out in
		*"-> none") ok "$label: not found" ;;
		*) bad "$label: expected not found, got: $out" ;;
		esac
		return
	fi
	pid=$(pid_of "$comm")
	case $out in
	*"-> pid=$pid "*"comm=$comm")
		if [ -n "$user" ] && [ "${out#* user=$user }" = "$out" ]; then
			bad "$label: expected user $user, got: $out"
		else
			ok "$label: $comm pid $pid${user:+ user $user}"
		fi
		;;
	*) bad "$label: expected $comm pid $pid, got: $out" ;;
	esac
}

start "$NS" root pl_srv4 tcp-listen 127.0.0.1 5001
start "$NS" root pl_cli4 tcp-connect 127.0.0.1 5001
start "$NS" root pl_srv6 tcp-listen ::1 5002
start "$NS" 65534 pl_cli6 tcp-connect ::1 5002
start "$NS" root pl_cli46 tcp-connect ::ffff:127.0.0.1 5001
start "$NS" root pl_srv46 tcp-listen :: 5005
start "$NS" root pl_cli64 tcp-connect 127.0.0.1 5005
start "$NS" root pl_usrv4 udp-bind 0.0.0.0 5003 0
start "$NS" root pl_ucli4 udp-connect 127.0.0.1 5003
start "$NS" root pl_usrv6 udp-bind :: 5004 0
start "$NS" root pl_ucli6 udp-send ::1 5004
start "$NS" root pl_ucli46 udp-connect 127.0.0.1 5004
start "$NS" root pl_srv_a tcp-listen 127.0.0.1 5010
start "$NS" root pl_srv_b tcp-listen 127.0.0.1 5011
start "$NS" root ftp_client_a tcp-connect 127.0.0.1 5010 127.0.0.1 5020
start "$NS" 65534 ftp_client_b tcp-connect 127.0.0.1 5011 127.0.0.1 5020
start "$NS" root udp_peer_a udp-connect 127.0.0.1 5031 127.0.0.1 5030
start "$NS" root udp_peer_b udp-connect 127.0.0.1 5032 127.0.0.1 5030
start "$NS" root pl_lite_srv udplite-bind 127.0.0.1 5040
start "$NS" root pl_lite_cli udplite-connect 127.0.0.1 5040
start "$NS2" root pl_other_srv tcp-listen 127.0.0.1 5001
start "$NS2" root pl_other_cli tcp-connect 127.0.0.1 5001 127.0.0.1 5099

# The servers accept() in a loop: wait until no connection waits in a queue.
for i in $(seq 50); do
	n=$(ip netns exec "$NS" ss -tnH state established | grep -c -v users:)
	[ "$n" -eq 0 ] && break
	sleep 0.1
done

# Every socket ss lists with its users: proc_drv must name the same.
compare_ss() {
	local ns=$1 label=$2
	ip netns exec "$ns" ss -tunpeH >"$TMP/ss.txt" 2>/dev/null
	"$PY" - "$TMP/ss.txt" >"$TMP/q.txt" <<-'EOF'
	import sys
	def split(s):
	    a, p = s.rsplit(":", 1)
	    a = a.strip("[]").split("%")[0]
	    return ("0.0.0.0" if a == "*" else a), (0 if p == "*" else int(p))
	for line in open(sys.argv[1]):
	    t = line.split()
	    (la, lp), (ra, rp) = split(t[4]), split(t[5])
	    print("find %s %s %d %s %d" % (t[0], la, lp, ra, rp))
	EOF
	ip netns exec "$ns" "$DRV" <"$TMP/q.txt" >"$TMP/a.txt" 2>&1
	"$PY" - "$TMP/ss.txt" "$TMP/a.txt" "$label" <<-'EOF'
	import re, sys
	ss = open(sys.argv[1]).read().splitlines()
	ans = open(sys.argv[2]).read().splitlines()
	label = sys.argv[3]
	if len(ss) != len(ans) or not ss:
	    print("FAIL: %s: %d ss lines, %d answers" %
	          (label, len(ss), len(ans)))
	    sys.exit()
	bad = 0
	for s, a in zip(ss, ans):
	    users = {int(p): n for n, p in
	             re.findall(r'\("([^"]*)",pid=(\d+),fd=\d+\)', s)}
	    m = re.search(r'\buid:(\d+)', s)
	    uid = int(m.group(1)) if m else 0
	    m = re.search(r'-> pid=(\d+) uid=(\d+) user=\S+ comm=(.*)$', a)
	    if not users:
	        good = a.endswith("-> none")
	    elif not m:
	        good = False
	    else:
	        pid = int(m.group(1))
	        # Shared sockets: proc_lookup names the lowest PID.
	        good = (pid == min(users) and users[pid] == m.group(3) and
	                int(m.group(2)) == uid)
	    if not good:
	        bad += 1
	        print("  ss:  " + s)
	        print("  drv: " + a)
	if bad:
	    print("FAIL: %s: %d of %d sockets disagree with ss" %
	          (label, bad, len(ss)))
	else:
	    print("PASS: %s: all %d sockets agree with ss -tunp" %
	          (label, len(ss)))
	EOF
}

count() {
	local out=$1
	printf '%s\n' "$out"
	pass=$((pass + $(printf '%s\n' "$out" | grep -c '^PASS:')))
	fail=$((fail + $(printf '%s\n' "$out" | grep -c '^FAIL:')))
}

count "$(compare_ss "$NS" "namespace 1")"
count "$(compare_ss "$NS2" "namespace 2")"

# Named cases, against the PIDs we started.
expect "$NS" "TCP v4 client" "find $(ends pl_cli4)" pl_cli4 root
set -- $(ends pl_cli4)
expect "$NS" "TCP v4 accepted" "find tcp $4 $5 $2 $3" pl_srv4 root
# Dual-stack sockets talking IPv4: conntrack reports plain IPv4 tuples.
set -- $(ends pl_cli46)
expect "$NS" "TCP v4-mapped client" "find tcp ${2#::ffff:} $3 ${4#::ffff:} $5" \
	pl_cli46 root
set -- $(ends pl_cli64)
expect "$NS" "TCP v4 to a [::] server" "find tcp $4 $5 $2 $3" pl_srv46 root
expect "$NS" "TCP v6 client" "find $(ends pl_cli6)" pl_cli6 nobody
set -- $(ends pl_cli6)
expect "$NS" "TCP v6 accepted" "find tcp $4 $5 $2 $3" pl_srv6 root
expect "$NS" "same local port, process a" "find $(ends ftp_client_a)" \
	ftp_client_a root
expect "$NS" "same local port, process b" "find $(ends ftp_client_b)" \
	ftp_client_b nobody
expect "$NS" "UDP same local port, a" "find $(ends udp_peer_a)" udp_peer_a
expect "$NS" "UDP same local port, b" "find $(ends udp_peer_b)" udp_peer_b
set -- $(ends pl_ucli4)
expect "$NS" "UDP v4 client" "find $*" pl_ucli4
expect "$NS" "UDP v4 server (wildcard)" "find udp $4 $5 $2 $3" pl_usrv4
set -- $(ends pl_ucli46)
expect "$NS" "UDP v4 to dual-stack server" "find udp $4 $5 $2 $3" pl_usrv6
set -- $(ends pl_ucli6)
expect "$NS" "UDP v6 unconnected client" "find udp ::1 $3 ::1 5004" pl_ucli6
expect "$NS" "UDP v6 server" "find udp ::1 5004 ::1 $3" pl_usrv6
expect "$NS" "UDP v6 server, foreign address" \
	"find udp 2001:db8:ffff::9 5004 ::1 $3" none
set -- $(ends pl_lite_cli)
expect "$NS" "UDP-lite client" "find $*" pl_lite_cli
expect "$NS" "UDP-lite server" "find udplite $4 $5 $2 $3" pl_lite_srv
set -- $(ends pl_other_cli)
expect "$NS" "socket of another namespace" "find $*" none
expect "$NS2" "same socket in its namespace" "find $*" pl_other_cli
# is_local against the kernel's own answer: `ip route get` says "local".
addrs="127.0.0.1 127.3.2.1 ::1 192.0.2.1 192.0.2.2 198.51.100.1
198.51.100.77 198.51.101.1 2001:db8::1 2001:db8::2 203.0.113.1"
want="" got=""
for a in $addrs; do
	case $(ip -n "$NS" route get "$a" 2>/dev/null) in
	local*) want="$want 1" ;;
	*) want="$want 0" ;;
	esac
done
got=$(printf 'local %s\n' $addrs ::ffff:192.0.2.1 |
	ip netns exec "$NS" "$DRV" | awk '{ printf " %s", $4 }')
if [ "$got" = "$want 1" ]; then
	ok "is_local agrees with ip route get:$want (and v4-mapped)"
else
	bad "is_local:$got, ip route get:$want 1"
fi

# A process that is gone: its socket is orphaned, not found.
set -- $(ends pl_cli4)
kill -9 "$PID_pl_cli4"
wait "$PID_pl_cli4" 2>/dev/null
for i in $(seq 50); do
	ip netns exec "$NS" ss -tnpH "sport = :$3" | grep -q users: || break
	sleep 0.1
done
expect "$NS" "killed process" "find $*" none
expect "$NS" "its peer, still alive" "find tcp $4 $5 $2 $3" pl_srv4

# 1000 local sockets: time one refresh (cold with the /proc walk, warm).
if start "$NS" root pl_many many 500 127.0.0.1; then
	out=$(ip netns exec "$NS" "$DRV" -t </dev/null)
	echo "$out"
	ms=$(echo "$out" | sed -n 's/.* first=\([0-9.]*\) ms.*/\1/p')
	socks=$(echo "$out" | sed -n 's/.*sockets=\([0-9]*\).*/\1/p')
	if [ -n "$ms" ] && [ "${socks:-0}" -ge 1000 ] &&
	    awk -v m="$ms" 'BEGIN { exit !(m < 1000) }'; then
		ok "refresh with $socks sockets: $ms ms"
	else
		bad "refresh with 1000 sockets: $out"
	fi
	count "$(compare_ss "$NS" "1000 sockets")"
fi

finish
