#!/bin/bash
# snapshot.sh: a batch snapshot that does not wait (the default -c 1)
# comes from one dump at once and prints rates as unknown (null in -j, -
# in -B); one that asks for rates (--rates, --active, -o rate, a rate
# filter) waits for a second dump and has them; with -c 2 the first
# snapshot has none, the second has them.  The one-shot snapshot is the
# table as conntrack -L lists it (also with owners: a real connection).
. "$(dirname "$0")/../lib.sh"
t_init snapshot
t_require_root
t_require conntrack "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
CMP="$T_PYTHON tests/tools/ct_compare.py"
t_ns snap NS
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
# Counters for every entry (rate terms need them).
t_nsexec "$NS" sh -c "echo 1 >/proc/sys/net/netfilter/nf_conntrack_acct"
t_ct "$NS" add --proto tcp --family 4 --count 300 >/dev/null &&
t_ct "$NS" add --proto udp --family 6 --start 300 --count 200 >/dev/null ||
	t_fail "ct_inject"
# A real TCP connection of a process of ours, moving a little all the
# time: its owner must be found without the enrichment thread.
cat >"$T_TMP/conn.py" <<'PY'
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"ft_snapconn", 0, 0, 0)
s = socket.socket(); s.bind(("192.0.2.1", 0)); s.listen()
c = socket.create_connection(("192.0.2.1", s.getsockname()[1]))
x, _ = s.accept()
open(sys.argv[1], "w").close()
for i in range(600):
    c.sendall(b"x" * 1000); x.recv(1000); time.sleep(0.1)
PY
t_bg ip netns exec "$NS" "$T_PYTHON" "$T_TMP/conn.py" "$T_TMP/conn.ok"
t_wait_for 10 test -e "$T_TMP/conn.ok" || t_fail "the connection"

rates() {	# JSON: "null" if every rate of every flow is null, "num" if
		# none is, else "mixed"
	"$T_PYTHON" -c 'import json, sys
v = [f[k] for l in open(sys.argv[1]) for f in [json.loads(l)]
     for k in f if k.startswith("rate_")]
n = sum(x is None for x in v)
print("null" if v and n == len(v) else "num" if v and n == 0 else "mixed")' "$1"
}

# -t 30: a snapshot that waited for a second dump would take 30 s.
t0=$(date +%s)
t_nsexec "$NS" "$FT" -j -46TU -A -n -G -t 30 --no-config >"$T_TMP/one.json"
took=$(( $(date +%s) - t0 ))
t_check "-j: at once, not after an interval (${took} s, -t 30)" \
	test "$took" -lt 15
t_check "-j: rates unknown (null)" test "$(rates "$T_TMP/one.json")" = null
t_nsexec "$NS" conntrack -L >"$T_TMP/ct.txt" 2>/dev/null
t_check "-j: the table as conntrack -L lists it" \
	$CMP "$T_TMP/one.json" "$T_TMP/ct.txt"
t_check "-j: the owner of a real connection" sh -c \
	"grep -q '\"process\":\"ft_snapconn\"' '$T_TMP/one.json'"
t_nsexec "$NS" "$FT" -B -T -A -n -G -t 30 --no-config >"$T_TMP/one.txt"
t_check "-B: rates are -" "$T_PYTHON" -c 'import sys
rows = [l.split() for l in open(sys.argv[1])][1:]
sys.exit(0 if rows and all(r[8] == "-" and r[10] == "-" for r in rows)
         else 1)' "$T_TMP/one.txt"

for ask in "--rates 1" "--active" "-o rate" "-f rate>=0"; do
	# shellcheck disable=SC2086
	t_nsexec "$NS" "$FT" -j -46TU -A -n -G -t 0.3 --no-config $ask \
		>"$T_TMP/ask.json"
	t_check "$ask: waits, and has rates" \
		test "$(rates "$T_TMP/ask.json")" = num
done
t_nsexec "$NS" "$FT" -j -46TU -A -n -G -t 0.3 -c 2 --no-config \
	>"$T_TMP/two.json"
grep '"snapshot":1,' "$T_TMP/two.json" >"$T_TMP/two.1"
grep '"snapshot":2,' "$T_TMP/two.json" >"$T_TMP/two.2"
t_check "-c 2: the first snapshot without rates" \
	test "$(rates "$T_TMP/two.1")" = null
t_check "-c 2: the second with them" test "$(rates "$T_TMP/two.2")" = num
t_done
