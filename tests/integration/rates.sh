#!/bin/bash
# rates.sh: the rates over the interval, 10 s and 40 s of a real, steady
# UDP flow between two namespaces (tests/tools/pace: 100 datagrams of
# 1000 bytes a second, each answered with 100 bytes) are its true rate,
# within 5%, when the flow is 12 s old and when it is 45 s old, in -j.
. "$(dirname "$0")/../lib.sh"
t_init rates
t_require_root
t_require "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
PACE=$T_BUILD/tools/pace
if [ ! -x "$PACE" ]; then
	t_fail "no $PACE: make tools"
	t_done
fi
t_ns ra A
t_ns rb B
t_veth "$A" "$B" 192.0.2.1/24 192.0.2.2/24 || t_fail "veth"

# The sender, its echo and flowtop run as real-time (FIFO) processes
# when the machine allows it: the check is of the windows' arithmetic on
# a steady flow, and a 1 s window moves by 1% for every 10 ms that a busy
# machine delays the sender's wake-up or flowtop's dump.  All three use
# little CPU.
RT=
chrt -f 10 true 2>/dev/null && RT="chrt -f 10"

# What conntrack counts: the IP packets, 28 bytes of headers each.
PPS=100 SIZE=1000 ECHO=100
WANT_ORIG=$(( PPS * (SIZE + 28) ))
WANT_REPL=$(( PPS * (ECHO + 28) ))

# shellcheck disable=SC2086
t_bg ip netns exec "$B" $RT "$PACE" echo 192.0.2.2 7000 5 "$ECHO"
# flowtop first, so that the flow is counted (and timed) from its start.
# shellcheck disable=SC2086
t_bg ip netns exec "$A" $RT "$FT" -j -c 0 -t 1 -U -n -G --no-config \
	-f 'dport 7000' >"$T_TMP/rates.json"
FTPID=$T_BG_PID
t_wait_for 10 sh -c "test \"\$(ip netns exec $A cat \
	/proc/sys/net/netfilter/nf_conntrack_acct)\" = 1" ||
	t_fail "flowtop did not switch accounting on"
# shellcheck disable=SC2086
t_check "pace sends for 47 s" t_nsexec "$A" $RT "$PACE" send 192.0.2.2 7000 \
	$(( PPS * SIZE )) 47 "$SIZE"
sleep 1
kill "$FTPID" 2>/dev/null
t_wait_for 5 eval '! kill -0 '"$FTPID"' 2>/dev/null'

cat >"$T_TMP/check.py" <<'PY'
# check.py JSON AGE WANT_ORIG WANT_REPL: in the first snapshot where the
# flow is AGE s old, every rate is within 5% of what was sent.
import json, sys
path, age, want_o, want_r = sys.argv[1], int(sys.argv[2]), \
    float(sys.argv[3]), float(sys.argv[4])
row = None
for line in open(path):
    f = json.loads(line)
    if f["duration"] >= age:
        row = f
        break
if row is None:
    print("no snapshot of a flow %d s old" % age)
    sys.exit(1)
bad = []
for d, want in (("orig", want_o), ("reply", want_r)):
    for w in ("", "_10s", "_40s"):
        k = "rate_%s%s" % (d, w)
        got = row[k]
        print("%s at %d s: %s (want %.0f, %+.1f%%)" % (k, row["duration"],
              got, want, (got - want) * 100.0 / want if got else -100))
        if got is None or abs(got - want) > 0.05 * want:
            bad.append(k)
sys.exit(1 if bad else 0)
PY
for age in 12 45; do
	t_check "rates of a steady flow $age s old are within 5% (-j)" \
		"$T_PYTHON" "$T_TMP/check.py" "$T_TMP/rates.json" "$age" \
		"$WANT_ORIG" "$WANT_REPL" && sed 's/^/    /' "$T_TMP/check.out"
done
t_done
