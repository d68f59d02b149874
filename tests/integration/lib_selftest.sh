#!/bin/bash
# lib_selftest: checks tests/lib.sh itself.  Two namespaces joined by veth
# pairs carry a real TCP connection (IPv4 and IPv6, python3 sockets) that
# conntrack in the namespaces must see; then child tests that fail midway,
# are killed by SIGTERM/SIGHUP, skip under CI=true, or change a sysctl
# must leave no namespace, process, temp dir or changed sysctl behind.
# Needs root.  Run from anywhere: bash tests/integration/lib_selftest.sh
. "$(dirname "$0")/../lib.sh"

t_init lib_selftest
t_require_root
t_require ip nft conntrack setsid setpriv "$T_PYTHON"

# --- t_ns, t_veth, conntrack sees a real flow --------------------------

if ! t_ns a || ! t_ns b B; then
	t_fail "cannot set up namespaces; stopping"
	t_done
fi
A=ft_a_$$
t_check "t_ns made namespace $A" test -e "/run/netns/$A"
t_check "t_ns set T_NS to ft_a_<pid>, then ft_b_<pid>" test "$T_NS" = "ft_b_$$"
t_check "t_ns VAR form set B" test "$B" = "ft_b_$$"
t_check "t_ns loaded the ct state rule" \
	sh -c "ip netns exec '$A' nft list table inet ft | grep -q 'ct state'"
t_check "t_ns brought lo up" \
	sh -c "ip -n '$A' link show lo | grep -q 'UP'"

t_check "t_veth for IPv4" t_veth "$A" "$B" 192.0.2.1/24 192.0.2.2/24
t_check "t_veth made $T_VETH up in both namespaces" \
	sh -c "ip -n '$A' link show $T_VETH | grep -q 'state UP' &&
	       ip -n '$B' link show $T_VETH | grep -q 'state UP'"
t_veth6 "$A" "$B" 2001:db8::1/64 2001:db8::2/64
t_check "t_veth6 made a second pair ($T_VETH)" test "$T_VETH" = ftv1
t_check "IPv6 address usable at once (nodad)" \
	sh -c "ip -n '$A' -6 addr show dev ftv1 | grep 2001:db8::1 |
	       grep -vq tentative"

# One TCP connection per family: the server echoes, the client holds the
# connection open until $T_TMP/stop.<port> exists (at most 20 s).
cat >"$T_TMP/server.py" <<'EOF'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
s.settimeout(20)
open(sys.argv[3], "w").close()
c, _ = s.accept()
c.settimeout(25)
while True:
    d = c.recv(4096)
    if not d:
        break
    c.sendall(d)
EOF
cat >"$T_TMP/client.py" <<'EOF'
import os, socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
c.sendall(b"hello")
assert c.recv(5) == b"hello"
open(sys.argv[3], "w").close()
end = time.monotonic() + 20
while not os.path.exists(sys.argv[4]) and time.monotonic() < end:
    time.sleep(0.05)
c.close()
EOF

tcp_flow() {
	local fam=$1 caddr=$2 saddr=$3 port=$4

	t_bg ip netns exec "$B" "$T_PYTHON" "$T_TMP/server.py" "$saddr" \
		"$port" "$T_TMP/listening.$port"
	if ! t_wait_for 5 test -e "$T_TMP/listening.$port"; then
		t_fail "IPv$fam server did not start"
		return
	fi
	t_bg ip netns exec "$A" "$T_PYTHON" "$T_TMP/client.py" "$saddr" \
		"$port" "$T_TMP/connected.$port" "$T_TMP/stop.$port"
	t_check "IPv$fam TCP connection $caddr -> $saddr:$port echoes" \
		t_wait_for 5 test -e "$T_TMP/connected.$port"
	# conntrack -L prints the flow as:
	# tcp 6 431999 ESTABLISHED src=C dst=S sport=N dport=PORT ...
	local flow="src=$caddr dst=$saddr sport=[0-9]+ dport=$port "
	local list="conntrack -L -f ipv$fam -p tcp --dport $port 2>/dev/null"

	t_check "conntrack -L in $A sees the IPv$fam flow ESTABLISHED" \
		sh -c "ip netns exec '$A' $list | grep -E 'ESTABLISHED $flow'"
	t_check "conntrack -L in $B sees it too" \
		sh -c "ip netns exec '$B' $list | grep -qE '$flow'"
	t_check "the root namespace does not" \
		sh -c "! $list | grep -qE '$flow'"
	touch "$T_TMP/stop.$port"
}

tcp_flow 4 192.0.2.1 192.0.2.2 8080
tcp_flow 6 2001:db8::1 2001:db8::2 8081

# --- t_wait_for is bounded ----------------------------------------------

t0=$(t__now_us)
t_wait_for 0.5 false; rc=$?
ms=$(( ($(t__now_us) - t0) / 1000 ))
t_check "t_wait_for 0.5 false: fails after ~0.5 s (rc=$rc, ${ms} ms)" \
	test "$rc" -eq 1 -a "$ms" -ge 400 -a "$ms" -le 1500
t0=$(t__now_us)
t_wait_for 2 true; rc=$?
ms=$(( ($(t__now_us) - t0) / 1000 ))
t_check "t_wait_for 2 true: succeeds at once (rc=$rc, ${ms} ms)" \
	test "$rc" -eq 0 -a "$ms" -le 300

# --- t_ct_tuple: the documented formula -------------------------------

t_check "t_ct_tuple 4 tcp 0" test "$(t_ct_tuple 4 tcp 0)" = \
	"src=192.0.2.1 dst=198.51.100.1 sport=10000 dport=20000"
t_check "t_ct_tuple 4 udp 62749 (a=249 b=0 c=1)" \
	test "$(t_ct_tuple 4 udp 62749)" = \
	"src=192.0.2.250 dst=203.0.113.1 sport=22749 dport=42749"
t_check "t_ct_tuple 6 sctp 9" test "$(t_ct_tuple 6 sctp 9)" = \
	"src=2001:db8:1::a dst=2001:db8:2::1 sport=10009 dport=20009"
t_check "t_ct_tuple 6 tcp 125250 (c=0 again, b=1)" \
	test "$(t_ct_tuple 6 tcp 125250)" = \
	"src=2001:db8:1::1 dst=2001:db8:2::2 sport=35250 dport=25250"
t_check "t_ct_tuple 4 icmp 70000" test "$(t_ct_tuple 4 icmp 70000)" = \
	"src=192.0.2.1 dst=203.0.113.31 type=8 code=0 id=4464"
t_check "t_ct_reply 6 icmpv6 1" test "$(t_ct_reply 6 icmpv6 1)" = \
	"src=2001:db8:2::1 dst=2001:db8:1::2 type=129 code=0 id=1"
t_check "t_ct_tuple with fixed ports" \
	test "$(t_ct_tuple 4 tcp 3 5555 80)" = \
	"src=192.0.2.4 dst=198.51.100.1 sport=5555 dport=80"

# --- t_public: what another user reads, from a checkout under /root ----

# A checkout that only root may enter, as one cloned under /root (mode
# 700): nobody cannot read a helper in it, but can read t_public's copy.
mkdir -m 700 "$T_TMP/priv"
ln -s "$T_ROOT" "$T_TMP/priv/src"
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
closed_to_nobody() {
	! as_nobody cat "$1" >/dev/null 2>&1
}
t_check "nobody cannot read a helper under a mode-700 directory" \
	closed_to_nobody "$T_TMP/priv/src/tests/tools/sockproc.py"
pub=$(T_ROOT=$T_TMP/priv/src t_public tests/tools/sockproc.py)
t_check "t_public printed the copy's path ($pub)" \
	test "$pub" = "$T_TMP/pub/sockproc.py"
t_check "nobody runs t_public's copy" \
	as_nobody "$T_PYTHON" -c "compile(open('$pub').read(), '$pub', 'exec')"
# run-all.sh runs every test through such a directory, so a test that
# gives nobody a path in the checkout fails in every run, not only on a
# machine where the project lives under /root.
if [ -n "${T_PRIVATE_ROOT:-}" ]; then
	t_check "run-all: the checkout ($T_ROOT) is closed to nobody" \
		closed_to_nobody "$T_ROOT/tests/lib.sh"
fi

# --- child tests: cleanup whatever happens -----------------------------

LIB="$T_ROOT/tests/lib.sh"

# Runs a child test script ($1) with bash; output in $T_TMP/child.out.
child() {
	CI='' bash -c ". '$LIB'; $1" >"$T_TMP/child.out" 2>&1
}

field() {
	sed -n "s/^$1=//p" "$T_TMP/child.out" | head -n 1
}

# A child that fails midway (set -e and a failing command).
# shellcheck disable=SC2016
child 't_init sub; t_ns x; echo "NS=$T_NS"; echo "TMP=$T_TMP";
       t_bg sleep 100; echo "BG=$T_BG_PID"; t_pass "first";
       set -e; false; t_pass "never"; t_done'
rc=$?
ns=$(field NS); tmp=$(field TMP); bg=$(field BG)
# Whatever the child leaves, we remove (and the checks below fail).
[ -n "$ns" ] && echo "$ns" >>"$T_TMP/ns"
[ -n "$bg" ] && echo "$bg" >>"$T_TMP/pids"
t_check "failing child exits non-zero (rc=$rc)" test "$rc" -ne 0
t_check "failing child printed the failure" \
	grep -q "^FAIL: sub ended before t_done (exit status 1)" \
	"$T_TMP/child.out"
t_check "failing child printed its summary" \
	grep -qx "sub: 1 passed, 1 failed" "$T_TMP/child.out"
t_check "failing child's namespace $ns is gone" \
	test -n "$ns" -a ! -e "/run/netns/$ns"
t_check "failing child's background process $bg is gone" \
	sh -c "[ -n '$bg' ] && ! kill -0 '$bg' 2>/dev/null"
t_check "failing child's temp dir is gone" test -n "$tmp" -a ! -e "$tmp"
case $tmp in /tmp/ft_sub.*) rm -rf "$tmp" ;; esac

# A child whose tmux server ended (its pane's command quit): tmux leaves
# the socket file; cleanup removes it.
# shellcheck disable=SC2016
child 't_init sock; S=ft_sock_$$; echo "S=$S";
       tmux -L "$S" -f /dev/null new-session -d -s s true;
       t_wait_for 5 sh -c "! tmux -L $S ls 2>/dev/null";
       echo "SOCK=${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$S";
       test -S "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$S" && t_pass "socket";
       t_pass "started"; t_done'
sock=$(field SOCK)
t_check "an ended tmux server's socket is removed at cleanup ($sock)" \
	test -n "$sock" -a ! -e "$sock"

# t_netns_etc: /etc/netns/NAME goes at cleanup, and /etc/netns with it
# when the child made it (a fresh system has none: tests/deb.sh's purge
# check saw it left behind).
had_etc=; [ -d /etc/netns ] && had_etc=1
# shellcheck disable=SC2016
child 't_init etc; t_netns_etc "ft_etc_$$" &&
       echo "DIR=/etc/netns/ft_etc_$$" && t_pass "made"; t_done'
dir=$(field DIR)
t_check "t_netns_etc's directory is removed at cleanup ($dir)" \
	test -n "$dir" -a ! -e "$dir"
if [ -z "$had_etc" ]; then
	t_check "so is /etc/netns, which the child made" test ! -e /etc/netns
else
	t_check "/etc/netns, there before the child, stays" test -d /etc/netns
fi

# Children killed by SIGTERM and SIGHUP while waiting.
for sig in TERM HUP; do
	rm -f "$T_TMP/ready"
	t_bg bash -c ". '$LIB'; t_init sig; t_ns y; Y=\$T_NS; t_ns z;
		echo \"NS=\$Y \$T_NS\"; t_bg sleep 100; echo \"BG=\$T_BG_PID\";
		touch '$T_TMP/ready'; wait \$T_BG_PID; t_done" \
		>"$T_TMP/child.out" 2>&1
	pid=$T_BG_PID
	if ! t_wait_for 10 test -e "$T_TMP/ready"; then
		t_fail "SIG$sig child did not start"
		continue
	fi
	ns=$(field NS); bg=$(field BG)
	# shellcheck disable=SC2086
	printf '%s\n' $ns >>"$T_TMP/ns"
	[ -n "$bg" ] && echo "$bg" >>"$T_TMP/pids"
	kill -"$sig" "$pid"
	t_check "SIG$sig child ends" t_wait_for 5 sh -c "! kill -0 $pid"
	wait "$pid" 2>/dev/null
	rc=$?
	t_check "SIG$sig child exit status $rc is non-zero" test "$rc" -ne 0
	t_check "SIG$sig child reported it" \
		grep -q "^FAIL: sig interrupted by SIG$sig" "$T_TMP/child.out"
	t_check "SIG$sig child's namespaces are gone" \
		sh -c "! ip netns list | grep -q '^ft_[yz]_'"
	t_check "SIG$sig child's background process is gone" \
		sh -c "[ -n '$bg' ] && ! kill -0 '$bg' 2>/dev/null"
done

# Skips: a note normally, a failure under CI=true.
child 't_init skipper; t_pass one; t_skip "no widget"; t_done'
rc=$?
t_check "skip without CI: exit 0 and counted as skipped" \
	sh -c "[ $rc -eq 0 ] &&
	       grep -qx 'skipper: 1 passed, 0 failed, 1 skipped' \
	       '$T_TMP/child.out'"
CI=true bash -c ". '$LIB'; t_init skipper; t_pass one; t_skip 'no widget';
	t_done" >"$T_TMP/child.out" 2>&1
rc=$?
t_check "skip under CI=true: exit 1, loud, counted as failed" \
	sh -c "[ $rc -eq 1 ] && grep -q '^FAIL: skipped under CI=true' \
	       '$T_TMP/child.out' && grep -qx 'skipper: 1 passed, 1 failed' \
	       '$T_TMP/child.out'"

# t_check shows the output of a failed command.
child 't_init chk; t_check "boom check" sh -c "echo boom-output; exit 4";
       t_done'
rc=$?
t_check "t_check failure: FAIL line, output shown, exit 1" \
	sh -c "[ $rc -eq 1 ] &&
	       grep -q '^FAIL: boom check (exit 4' '$T_TMP/child.out' &&
	       grep -q '^    boom-output' '$T_TMP/child.out'"

# t_cleanup is idempotent and may be called directly; it removes the
# state file a killed flowtop left for the namespace.
# shellcheck disable=SC2016
child 't_init twice; t_ns w; echo "NS=$T_NS";
       f=/run/flowtop/netns-$(stat -L -c %i /run/netns/$T_NS);
       mkdir -p /run/flowtop; echo pid=1/1 >"$f"; echo "STATE=$f";
       t_cleanup; t_cleanup;
       [ -e "/run/netns/$T_NS" ] && echo STILL; echo CLEANED; exit 0'
rc=$?
ns=$(field NS)
state=$(field STATE)
t_check "t_cleanup: flowtop's state file for the namespace is gone" \
	test -n "$state" -a ! -e "$state"
t_check "t_cleanup twice: namespace gone, no error" \
	sh -c "[ $rc -eq 0 ] && grep -qx CLEANED '$T_TMP/child.out' &&
	       ! grep -qx STILL '$T_TMP/child.out' && [ ! -e /run/netns/$ns ]"

# Sysctls of the root namespace come back, even after a failure.
acct=$(cat /proc/sys/net/netfilter/nf_conntrack_acct)
tstamp=$(cat /proc/sys/net/netfilter/nf_conntrack_timestamp)
child "t_init sys; cd /proc/sys/net/netfilter;
       echo $(( 1 - acct )) > nf_conntrack_acct;
       echo $(( 1 - tstamp )) > nf_conntrack_timestamp;
       exit 5"
rc=$?
t_check "sysctl child exited 5 (rc=$rc)" test "$rc" -eq 5
t_check "nf_conntrack_acct restored to $acct" \
	test "$(cat /proc/sys/net/netfilter/nf_conntrack_acct)" = "$acct"
t_check "nf_conntrack_timestamp restored to $tstamp" \
	test "$(cat /proc/sys/net/netfilter/nf_conntrack_timestamp)" = "$tstamp"
t_check "the restore was reported" \
	grep -q "nf_conntrack_acct was $(( 1 - acct )), restored to $acct" \
	"$T_TMP/child.out"

t_done
