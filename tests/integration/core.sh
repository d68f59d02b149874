#!/bin/bash
# core.sh: flowtop's non-interactive output against the kernel's own table.
#
# In a fresh namespace: real TCP and UDP flows (IPv4 and IPv6) and
# synthetic entries of every protocol made over ctnetlink; flowtop -j must
# agree with conntrack -L (tuples, state, counters, counts after the
# protocol and family choices); a flow the kernel drops is gone within an
# interval; a forced event overrun is followed by a resync that leaves the
# table exact; the sysctls are put back; no permission, bad options.
. "$(dirname "$0")/../lib.sh"
t_init core
t_require_root
t_require conntrack nft "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
CMP="$T_PYTHON tests/tools/ct_compare.py"
t_ns core NS
# Counters exist only for entries made while accounting is on.
t_nsexec "$NS" sh -c 'echo 1 > /proc/sys/net/netfilter/nf_conntrack_acct'
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
t_nsexec "$NS" ip addr add 2001:db8::1/64 dev lo nodad

# Real flows: TCP with data both ways, then idle (so counters stand
# still), and UDP with a reply, IPv4 and IPv6.
cat >"$T_TMP/flows.py" <<'EOF'
import socket, sys, time
keep = []
for fam, a in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
    s = socket.socket(fam); s.bind((a, 0)); s.listen()
    c = socket.create_connection((a, s.getsockname()[1])); x, _ = s.accept()
    c.sendall(b"x" * 70000); got = 0
    while got < 70000: got += len(x.recv(100000))
    x.sendall(b"y" * 3000); got = 0
    while got < 3000: got += len(c.recv(100000))
    u = socket.socket(fam, socket.SOCK_DGRAM); u.bind((a, 0))
    v = socket.socket(fam, socket.SOCK_DGRAM); v.bind((a, 0))
    u.sendto(b"ping", v.getsockname()[:2]); d, peer = v.recvfrom(100); v.sendto(b"pong", peer)
    u.recvfrom(100)
    keep += [s, c, x, u, v]
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
w.sendto(b"lo", ("127.0.0.1", 9)); keep.append(w)
open(sys.argv[1], "w").write("ready\n")
time.sleep(120)
EOF
t_bg ip netns exec "$NS" "$T_PYTHON" "$T_TMP/flows.py" "$T_TMP/ready"
t_wait_for 10 test -s "$T_TMP/ready" || t_fail "real flows did not start"

# Synthetic entries of every protocol the kernel tracks.
for p in tcp udp udplite sctp; do
	for f in 4 6; do
		t_ct "$NS" add --proto $p --family $f --count 7 >/dev/null ||
			t_fail "ct_inject $p/$f"
	done
done
t_ct "$NS" add --proto icmp --family 4 --count 5 >/dev/null
t_ct "$NS" add --proto icmpv6 --family 6 --count 5 >/dev/null
t_ct "$NS" add --proto tcp --family 4 --start 100 --count 3 \
	--state TIME_WAIT >/dev/null
t_ct "$NS" add --proto dccp --family 4 --count 1 >/dev/null 2>&1
if [ $? -eq 3 ]; then
	echo "NOTE: this kernel has no DCCP tracker: DCCP is covered by" \
		"the parser tests on built messages (test_collector), not here"
fi

# 1. Everything: -46TUDIS -A (loopback too), no DNS, no GeoIP.
t_nsexec "$NS" "$FT" -j -46TUDIS -A -n -G -t 0.5 >"$T_TMP/all.json" \
	2>"$T_TMP/all.err"
t_nsexec "$NS" conntrack -L >"$T_TMP/all.ct" 2>/dev/null
t_check "flowtop -j agrees with conntrack -L: tuples, state, counters" \
	$CMP "$T_TMP/all.json" "$T_TMP/all.ct" --counters
n=$(grep -c . "$T_TMP/all.ct")
t_check "the table has all $n entries (>= 70)" test "$n" -ge 70
t_check "real TCP counters are not zero" sh -c "grep '\"sport\":' \
	'$T_TMP/all.json' | grep '\"bytes_orig\":[1-9]' | grep -q '\"proto\":\"tcp\"'"

# 2. Counts after the protocol and family choices.
count_ft() { t_nsexec "$NS" "$FT" -j -A -n -G -t 0.3 "$@" | grep -c .; }
count_ct() { t_nsexec "$NS" conntrack -L "$@" 2>/dev/null | grep -c .; }
t_check "-U: UDP and UDP-lite" test "$(count_ft -U)" -eq \
	$(( $(count_ct -p udp) + $(count_ct -p udplite) ))
t_check "-S -4: SCTP over IPv4" test "$(count_ft -S -4)" -eq \
	"$(count_ct -p sctp -f ipv4)"
t_check "-I: ICMP and ICMPv6" test "$(count_ft -I)" -eq \
	$(( $(count_ct -p icmp) + $(count_ct -p icmpv6 -f ipv6) ))
t_check "default: TCP, both families" test "$(count_ft)" -eq \
	$(( $(count_ct -p tcp -f ipv4) + $(count_ct -p tcp -f ipv6) ))
t_check "-6 -T: TCP over IPv6" test "$(count_ft -6 -T)" -eq \
	"$(count_ct -p tcp -f ipv6)"
# Loopback and DNS are hidden unless -A (as the original always did);
# a local address that is not loopback is not hidden.
t_nsexec "$NS" "$FT" -j -46TUDIS -n -G -t 0.3 >"$T_TMP/noall.json"
t_check "without -A: 127.0.0.1 flows hidden" sh -c \
	"! grep -q '\"src\":\"127.0.0.1\"' '$T_TMP/noall.json'"
t_check "with -A: 127.0.0.1 flows shown" \
	grep -q '"src":"127.0.0.1"' "$T_TMP/all.json"
t_check "without -A: flows on 192.0.2.1 (not loopback) shown" \
	grep -q '"src":"192.0.2.1","dst":"192.0.2.1"' "$T_TMP/noall.json"

# 3. A flow the kernel drops is gone within one interval.
t_bg ip netns exec "$NS" "$FT" -j -c 0 -t 0.5 -46TUDIS -A -n -G \
	-o none >"$T_TMP/stream.json"
t_wait_for 10 grep -q '"snapshot":2,' "$T_TMP/stream.json"
victim='src=198.51.100.1'
t_nsexec "$NS" conntrack -D -p sctp -s 192.0.2.1 -d 198.51.100.1 \
	>/dev/null 2>&1
t_check "the kernel deleted the entry" sh -c "! ip netns exec $NS \
	conntrack -L -p sctp 2>/dev/null | grep -q 'src=192.0.2.1 $victim'"
last=$(tail -n 1 "$T_TMP/stream.json" | sed 's/{"snapshot":\([0-9]*\),.*/\1/')
t_wait_for 5 grep -q "\"snapshot\":$((last + 2))," "$T_TMP/stream.json"
t_check "snapshot $((last + 2)) (at most two intervals later) lacks it" \
	sh -c "! grep '\"snapshot\":$((last + 2)),' '$T_TMP/stream.json' | \
	grep '\"proto\":\"sctp\"' | grep -q '\"src\":\"192.0.2.1\",\"dst\":\"198.51.100.1\"'"
t_check "snapshot $((last + 2)) still has the other SCTP entries" \
	sh -c "grep '\"snapshot\":$((last + 2)),' '$T_TMP/stream.json' | \
	grep -q '\"proto\":\"sctp\"'"
kill "$T_BG_PID" 2>/dev/null

# 4. Overrun: a tiny event buffer; flowtop is stopped while 3000 entries
# are made, so the kernel must drop most of their events.  When it runs
# again the overrun (ENOBUFS) makes it dump at once, seconds before the
# next periodic dump (8 s interval): that snapshot must equal conntrack -L.
FLOWTOP_EVENT_RCVBUF=2048 ip netns exec "$NS" "$FT" -j -c 0 -t 8 -U -A \
	-n -G >"$T_TMP/burst.json" 2>"$T_TMP/burst.err" &
burst_pid=$!
t_wait_for 25 grep -q '"snapshot":1,' "$T_TMP/burst.json"
kill -STOP $burst_pid
t_ct "$NS" add --proto udp --family 4 --start 1000 --count 3000 >/dev/null
t_nsexec "$NS" conntrack -L -p udp >"$T_TMP/udp.ct" 2>/dev/null
t_nsexec "$NS" conntrack -L -p udplite >>"$T_TMP/udp.ct" 2>/dev/null
kill -CONT $burst_pid
t_check "a snapshot follows within 3 s: the resync, not the timer" \
	t_wait_for 3 grep -q '"snapshot":2,' "$T_TMP/burst.json"
t_wait_for 10 grep -q '"snapshot":2,' "$T_TMP/burst.json"
kill -TERM $burst_pid; wait $burst_pid
t_check "flowtop reports the overrun and the resync" \
	grep -q 'event overruns.*resynchronised [1-9]' "$T_TMP/burst.err"
t_check "after the resync the table is exact (against conntrack -L)" \
	$CMP "$T_TMP/burst.json" "$T_TMP/udp.ct" --snapshot 2

# 5. sysctls: flowtop switched them on in the namespace and put them back.
t_nsexec "$NS" sh -c 'echo 0 > /proc/sys/net/netfilter/nf_conntrack_acct;
	echo 0 > /proc/sys/net/netfilter/nf_conntrack_timestamp'
t_nsexec "$NS" "$FT" -j -n -G -t 0.2 >/dev/null
t_check "accounting back to 0 after a batch run" test \
	"$(t_nsexec "$NS" cat /proc/sys/net/netfilter/nf_conntrack_acct)" = 0
t_check "timestamps back to 0 after a batch run" test \
	"$(t_nsexec "$NS" cat /proc/sys/net/netfilter/nf_conntrack_timestamp)" = 0
t_bg sh -c "exec ip netns exec $NS $FT -j -c 0 -t 0.2 -n -G >/dev/null"
t_wait_for 5 sh -c "test \"\$(ip netns exec $NS cat \
	/proc/sys/net/netfilter/nf_conntrack_timestamp)\" = 1"
t_check "timestamps on while flowtop runs" test \
	"$(t_nsexec "$NS" cat /proc/sys/net/netfilter/nf_conntrack_timestamp)" = 1
kill -HUP "$T_BG_PID"
t_wait_for 5 sh -c "test \"\$(ip netns exec $NS cat \
	/proc/sys/net/netfilter/nf_conntrack_timestamp)\" = 0"
t_check "timestamps back to 0 after SIGHUP" test \
	"$(t_nsexec "$NS" cat /proc/sys/net/netfilter/nf_conntrack_timestamp)" = 0

# 6. Without permission; bad option values.
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$FT" -j >"$T_TMP/perm.out" 2>"$T_TMP/perm.err"
	rc=$?
	t_check "not root: exit status 1" test $rc -eq 1
	t_check "not root: one line on stderr" test \
		"$(grep -c . "$T_TMP/perm.err")" -eq 1
	t_check "not root: says why" grep -q 'CAP_NET_ADMIN' "$T_TMP/perm.err"
	t_check "not root: nothing on stdout" test ! -s "$T_TMP/perm.out"
else
	t_skip "setpriv missing: permission test not run"
fi
for bad in "-t abc" "-t 0" "-t -1" "-c x" "-o nosuchkey"; do
	# shellcheck disable=SC2086
	"$FT" $bad >/dev/null 2>"$T_TMP/bad.err"
	t_check "'flowtop $bad' is refused with a message" sh -c \
		"test $? -eq 1 && grep -q flowtop: '$T_TMP/bad.err'"
done
"$FT" -f 'port 99999' >/dev/null 2>"$T_TMP/bad.err"
t_check "a malformed filter is refused with its position" \
	grep -q '\^' "$T_TMP/bad.err"
t_check "--version" sh -c "'$FT' --version | grep -q '^flowtop '"
t_check "--help names every option of the manual" sh -c "'$FT' --help | \
	grep -c -- '--ipv4\|--ipv6\|--tcp\|--udp\|--dccp\|--icmp\|--sctp\|\
--no-dns\|--no-geoip\|--show-src\|--bits\|--update\|--interval\|--version\|\
--help' | grep -qx 15"
t_done
