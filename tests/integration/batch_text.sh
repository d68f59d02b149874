#!/bin/bash
# batch_text.sh: the -B table on a mixed table (TCP, UDP, ICMP, SCTP in
# long states, IPv6, NAT of each kind and both at once): a flow with SNAT
# and DNAT shows both, every column starts (numbers: ends) at the same
# place on every row, and the numbers are in one unit family, named in
# the header.
. "$(dirname "$0")/../lib.sh"
t_init batch_text
t_require_root
t_require "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
t_ns btext NS
add() { t_ct "$NS" add "$@" >/dev/null || t_fail "ct_inject add $*"; }
add --proto tcp --family 4 --start 0 --count 3
add --proto tcp --family 4 --start 3 --dnat 192.0.2.200 --snat 198.51.100.254
add --proto tcp --family 4 --start 4 --dnat 192.0.2.201
add --proto tcp --family 4 --start 5 --snat 198.51.100.253
add --proto sctp --family 4 --start 10 --state SHUTDOWN_ACK_SENT
add --proto sctp --family 4 --start 11 --state COOKIE_ECHOED
add --proto udp --family 4 --start 20 --status SEEN_REPLY,ASSURED
add --proto icmp --family 4 --start 30
add --proto tcp --family 6 --start 40 --count 2
# A real flow over loopback that moved 3,000,000 bytes (counted: accounting
# on before it starts), held open until the test ends.
t_nsexec "$NS" sh -c "echo 1 >/proc/sys/net/netfilter/nf_conntrack_acct"
cat >"$T_TMP/big.py" <<'PY'
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname()); x, _ = s.accept()
c.sendall(b"x" * 3000000); got = 0
while got < 3000000:
    got += len(x.recv(1 << 20))
open(sys.argv[1], "w").close()
time.sleep(60)
PY
t_bg ip netns exec "$NS" "$T_PYTHON" "$T_TMP/big.py" "$T_TMP/big.ok"
t_wait_for 10 test -e "$T_TMP/big.ok" || t_fail "the loopback flow"

for v in plain src; do
	arg=; [ "$v" = src ] && arg=-s
	# shellcheck disable=SC2086
	t_nsexec "$NS" "$FT" -B -46TUIS -A -n -G --no-config $arg \
		>"$T_TMP/$v.txt" 2>"$T_TMP/$v.err"
done
D3=$(t_ct_tuple 4 tcp 3 | sed 's/.*dst=\([^ ]*\) .*dport=\([0-9]*\).*/\1:\2/')
t_check "both NATs: [dnat ...] and [snat ...] on the flow's line" sh -c \
	"grep -F '$D3' '$T_TMP/plain.txt' | grep -F '[dnat 192.0.2.200:' |
	 grep -qF '[snat 198.51.100.254:'"

cat >"$T_TMP/align.py" <<'PY'
# align.py TABLE: the header's words are the columns; each row has its
# cell where the header has the word: left columns start there, the
# number columns (SENT.. TIME) end there, and cells do not run into the
# next column.
import re, sys
lines = open(sys.argv[1]).read().splitlines()
head, rows = lines[0], lines[1:]
cols = [(m.group(), m.start(), m.end()) for m in re.finditer(r"\S+", head)]
right = {"SENT(B)", "SEND(B/s)", "RECEIVED(B)", "RECV(B/s)", "TIME"}
bad = 0
for n, row in enumerate(rows, 2):
    for name, start, end in cols:
        if name in right:
            ok = end <= len(row) and row[end - 1] != " " and \
                (end == len(row) or row[end] == " ")
        else:
            ok = start < len(row) and row[start] != " " and \
                (start == 0 or row[start - 1] == " ")
        if not ok:
            bad += 1
            print("line %d: column %s out of line: %r" % (n, name, row))
print("%d rows, %d columns, %d cells out of line" % (len(rows), len(cols), bad))
sys.exit(1 if bad or len(rows) != 13 else 0)
PY
t_check "-B: every column in line" \
	"$T_PYTHON" "$T_TMP/align.py" "$T_TMP/plain.txt"
t_check "-B -s (a source column): every column in line" \
	"$T_PYTHON" "$T_TMP/align.py" "$T_TMP/src.txt"
t_check "-B: long SCTP states shown whole" \
	grep -q 'SHUTDOWN_ACK_SENT' "$T_TMP/plain.txt"
t_check "-B: the header names the units (bytes, bytes/s)" sh -c \
	"head -n 1 '$T_TMP/plain.txt' | grep -q 'SENT(B) .*SEND(B/s)'"
t_check "-B: 3,000,000 bytes sent read 3.0M (SI, no KiB or MiB)" sh -c \
	"grep -q '127.0.0.1:.* 3\.0M ' '$T_TMP/plain.txt' &&
	 ! grep -q 'iB' '$T_TMP/plain.txt'"
t_check "-B: nothing on stderr" test ! -s "$T_TMP/plain.err"
t_done
