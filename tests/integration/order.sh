#!/bin/bash
# order.sh: sort order in -j and -B.  -o state groups UDP and UDP-lite
# flows by the state shown (from their status bits); flows of equal rate
# go newest first (the default sort), the same in -j and -B and from one
# run to the next.
. "$(dirname "$0")/../lib.sh"
t_init order
t_require_root
t_require "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
t_ns order NS
SYS=/proc/sys/net/netfilter

# --- -o state on UDP and UDP-lite in three states, made interleaved --------
for k in 0 1 2 3 4 5 6 7 8 9 10 11; do
	case $((k % 3)) in
	0) st= ;;
	1) st="--status SEEN_REPLY" ;;
	2) st="--status SEEN_REPLY,ASSURED" ;;
	esac
	# shellcheck disable=SC2086
	t_ct "$NS" add --proto udp --family 4 --start "$k" $st >/dev/null &&
	t_ct "$NS" add --proto udplite --family 4 --start $((k + 100)) $st \
		>/dev/null || t_fail "ct_inject udp k=$k"
done
t_nsexec "$NS" "$FT" -B -U -A -n -G --no-config -o state >"$T_TMP/state.txt"
t_nsexec "$NS" "$FT" -j -U -A -n -G --no-config -o state >"$T_TMP/state.json"
cat >"$T_TMP/groups.py" <<'PY'
# groups.py JSON|TEXT: the (proto, state) of the rows, in order, must come
# in runs, one per pair, in the order udp then udplite, and UNREPLIED,
# REPLIED, ASSURED within each.
import json, sys
rows = []
for line in open(sys.argv[1]):
    if sys.argv[1].endswith(".json"):
        f = json.loads(line)
        rows.append((f["proto"], f["state"]))
    elif not line.startswith("PROCESS"):
        w = line.split()
        rows.append((w[1], w[3]))
runs = [r for i, r in enumerate(rows) if i == 0 or rows[i - 1] != r]
rank = {"UNREPLIED": 0, "REPLIED": 1, "ASSURED": 2}
want = sorted(set(rows), key=lambda r: (r[0] != "udp", rank[r[1]]))
print("%d rows, runs: %s" % (len(rows), runs))
sys.exit(0 if len(rows) == 24 and runs == want else 1)
PY
t_check "-j -o state: UDP and UDP-lite grouped by the state shown" \
	"$T_PYTHON" "$T_TMP/groups.py" "$T_TMP/state.json"
t_check "-B -o state: the same" \
	"$T_PYTHON" "$T_TMP/groups.py" "$T_TMP/state.txt"

# --- equal rates: newest first ---------------------------------------------
# Six idle TCP flows made 1.1 s apart, with the kernel's timestamps on (as
# flowtop turns them on): the default sort (rate) has them all at 0.
t_nsexec "$NS" sh -c "echo 1 >$SYS/nf_conntrack_timestamp"
for k in 0 1 2 3 4 5; do
	[ "$k" -gt 0 ] && sleep 1.1
	t_ct "$NS" add --proto tcp --family 4 --start $((k + 200)) >/dev/null ||
		t_fail "ct_inject tcp k=$k"
done
t_nsexec "$NS" sh -c "echo 0 >$SYS/nf_conntrack_timestamp"
for run in 1 2; do
	t_nsexec "$NS" "$FT" -j -T -A -n -G --no-config \
		>"$T_TMP/ties$run.json"
done
t_nsexec "$NS" "$FT" -B -T -A -n -G --no-config >"$T_TMP/ties.txt"
cat >"$T_TMP/ties.py" <<'PY'
# ties.py JSON TEXT: ordered by start time, newest first (the JSON), and
# -B lists the same destinations in the same order.
import json, sys
js = [json.loads(l) for l in open(sys.argv[1])]
starts = [f["start"] for f in js]
dports = [f["orig"]["dport"] for f in js]
text = [int(l.split()[4].rsplit(":", 1)[1]) for l in open(sys.argv[2])
        if not l.startswith("PROCESS")]
print("starts %s, dports %s, -B %s" % (starts, dports, text))
ok = len(js) == 6 and None not in starts and \
    starts == sorted(starts, reverse=True) and text == dports
sys.exit(0 if ok else 1)
PY
t_check "equal rates: newest first in -j, the same order in -B" \
	"$T_PYTHON" "$T_TMP/ties.py" "$T_TMP/ties1.json" "$T_TMP/ties.txt"
ids() {
	"$T_PYTHON" -c 'import json, sys
print(" ".join(str(json.loads(l)["id"]) for l in open(sys.argv[1])))' "$1"
}
t_check "equal rates: the same order in a second run" \
	test "$(ids "$T_TMP/ties1.json")" = "$(ids "$T_TMP/ties2.json")"
t_done
