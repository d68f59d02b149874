#!/bin/bash
# soak.sh BUILD_DIR [SECS]: the long run (make soak; root; not in make check).
#
# In a fresh namespace, for SECS seconds (default 1800): 5,000 new and
# 5,000 destroyed conntrack entries a second (ct_inject, tcp and udp, IPv4
# and IPv6, about 20,000 alive at a time), flowtop on its screen under tmux
# with reverse DNS (a fake server in the namespace) and GeoIP (test
# databases) on, a random key or resize every 2 to 5 s.  Every minute one
# line: flowtop's RSS, open descriptors and threads, the kernel's count and
# the churn done.  Fails if the RSS grows more than 5% after its first
# sample taken both after 5 minutes (a third of the run when it is
# shorter than 15 minutes) and after every key was pressed once (the
# first round of keys comes a second apart), if
# descriptors or threads grow, if the churn falls behind, or if flowtop's
# table differs from the kernel's once the churn stops; then q must end it
# with status 0 and the sysctls back.  The last line is the summary.
T_BUILD=${1:-build}
SECS=${2:-1800}
. "$(dirname "$0")/../lib.sh"
t_init soak
t_require_root
t_require tmux "$T_PYTHON" conntrack

FT=$(realpath "$T_FLOWTOP")
CT=$(realpath "$T_CT_INJECT")
if [ ! -x "$FT" ] || [ ! -x "$CT" ]; then
	t_fail "no $T_FLOWTOP or $T_CT_INJECT: make flowtop tools"
	t_done
fi
RATE=5000		# new (and destroyed) entries a second
WINDOW=20000		# entries alive at a time
BASE=$(( SECS >= 900 ? 300 : SECS / 3 ))
t_ns soak NS
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
MAX=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
if [ "$MAX" -lt $(( WINDOW * 2 )) ]; then
	t_fail "nf_conntrack_max is $MAX: the soak needs $(( WINDOW * 2 ))"
	t_done
fi

# GeoIP: test databases for the three documentation networks.
t_confdir
"$T_PYTHON" tests/tools/mkmmdb.py tests/data/geoip/doc-city.json \
	"$T_TMP/geo/soak-city.mmdb" || t_fail "mkmmdb.py"

# DNS: a server on the namespace's loopback naming every address.
mkdir -p "/etc/netns/$NS"
t_at_cleanup "rm -rf /etc/netns/$NS"
printf '127.0.0.1 localhost\n' >"/etc/netns/$NS/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n' \
	>"/etc/netns/$NS/resolv.conf"
t_bg ip netns exec "$NS" "$T_PYTHON" tests/tools/fakedns.py \
	--listen 127.0.0.1:53 --ready "$T_TMP/dns.ready" \
	--default name:soak.example 192.0.2.7=drop >"$T_TMP/dns.log" 2>&1
t_wait_for 10 test -s "$T_TMP/dns.ready" || t_fail "fakedns did not start"

# The churn: every 0.2 s, RATE/5 new entries and as many of the oldest
# gone, rotating over tcp/udp and IPv4/IPv6; counts in churn.done.
cat >"$T_TMP/churn.py" <<'EOF'
import collections, os, subprocess, sys, time
ct, stop, done, rate, window = sys.argv[1], sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), int(sys.argv[5])
batch = rate // 5
kinds = [("tcp", "4"), ("udp", "4"), ("tcp", "6"), ("udp", "6")]
live = collections.deque()
added = removed = failed = 0
k, i = 0, 0
t0 = next_t = time.monotonic()

def run(op, kind, start):
    r = subprocess.run([ct, op, "--proto", kind[0], "--family", kind[1],
                        "--start", str(start), "--count", str(batch)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0

while not os.path.exists(stop):
    kind = kinds[i % len(kinds)]
    if run("add", kind, k):
        added += batch
    else:
        failed += 1
    live.append((kind, k))
    while len(live) * batch > window:
        okind, ok = live.popleft()
        if run("del", okind, ok):
            removed += batch
        else:
            failed += 1
    i += 1
    k = (k + batch) % (1000000 - batch)
    with open(done + ".tmp", "w") as f:
        f.write("%d %d %d %.1f\n" % (added, removed, failed,
                                     time.monotonic() - t0))
    os.replace(done + ".tmp", done)
    next_t += 0.2
    time.sleep(max(0.0, next_t - time.monotonic()))
EOF
t_bg ip netns exec "$NS" "$T_PYTHON" "$T_TMP/churn.py" "$CT" \
	"$T_TMP/churn.stop" "$T_TMP/churn.done" "$RATE" "$WINDOW"
CHURN=$T_BG_PID

S=ft_soak_$$
tm() {
	tmux -L "$S" -f /dev/null "$@"
}
t_at_cleanup "tmux -L $S kill-server 2>/dev/null"
tm new-session -d -s "$S" -x 160 -y 50 \
	"ip netns exec $NS $FT -46TUDIS -A -t 1 --config $T_TMP/rc \
	--confdir $CD 2>$T_TMP/ft.err; echo \$? >$T_TMP/ft.rc"
t_wait_for 10 sh -c "tmux -L $S capture-pane -p -t $S | grep -q '^flowtop '"
PID=$(ip netns pids "$NS" | while read -r p; do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = flowtop ] && echo "$p"
done | head -n 1)
if [ -z "$PID" ]; then
	t_fail "flowtop did not start on its screen"
	t_done
fi

sample() {	# "rss_kib fds threads"
	local rss thr

	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status" 2>/dev/null)
	thr=$(awk '/^Threads:/ { print $2 }' "/proc/$PID/status" 2>/dev/null)
	echo "${rss:-0} $(ls "/proc/$PID/fd" 2>/dev/null | wc -l) ${thr:-0}"
}
# The table flowtop counts, from its header: "Flows shown/all" or, in the
# other views, "(flows all)".
ft_count() {
	tm capture-pane -p -t "$S" | sed -n \
		-e 's/.*Flows [0-9]*\/\([0-9]*\).*/\1/p' \
		-e 's/.*(flows \([0-9]*\)).*/\1/p' | head -n 1
}
kernel_count() {
	t_nsexec "$NS" conntrack -C 2>/dev/null
}

# Random keys, every 2 to 5 s, drawn from a bag that holds each once, so
# that every action has been done before the RSS baseline is taken.  What
# opens a box closes it again; a switch (a protocol, a family, active
# only, loopback, pause) is put back after a few seconds, because the
# collector keeps only the flows of what is switched on and the table is
# compared with the kernel's at the end.
KEYS=(j k j j k NPage PPage Home End g G Left Right Tab BTab Tab c L s b
	w r R B A P N C C-l '?' '>' Enter '/' resize W T U D I S O 4 6 a l p)
BAG=()
random_key() {
	local i key

	[ ${#BAG[@]} -eq 0 ] && BAG=("${KEYS[@]}")
	i=$(( RANDOM % ${#BAG[@]} ))
	key=${BAG[i]}
	BAG=("${BAG[@]:0:i}" "${BAG[@]:i+1}")
	[ ${#BAG[@]} -eq 0 ] && ALL_KEYS=1
	case $key in
	'?'|Enter)	tm send-keys -t "$S" "$key"; sleep 1
			tm send-keys -t "$S" Escape ;;
	'>')		tm send-keys -t "$S" '>' Down Down Enter ;;
	'/')		tm send-keys -t "$S" / t c p Enter; sleep 2
			tm send-keys -t "$S" Escape ;;
	[TUDISO46alp])	tm send-keys -t "$S" "$key"; sleep $(( 1 + RANDOM % 3 ))
			tm send-keys -t "$S" "$key" ;;
	resize)		tm resize-window -t "$S" -x $(( 60 + RANDOM % 140 )) \
				-y $(( 15 + RANDOM % 45 )) ;;
	*)		tm send-keys -t "$S" "$key" ;;
	esac
	echo "$key" >>"$T_TMP/keys.log"
}

START=$(date +%s)
END=$(( START + SECS ))
next_min=$(( START + 60 ))
base_rss= base_at= first_fds= first_thr= max_rss=0 min=0 bad_churn=
ALL_KEYS=
printf 'soak: %d s, churn %d/s new and gone, window %d, baseline at %d s' \
	"$SECS" "$RATE" "$WINDOW" "$BASE"
printf ' or after the first round of keys\n'
while [ "$(date +%s)" -lt "$END" ]; do
	# What a key allocates once (a view's, a box's) comes before the
	# baseline: the first round of keys goes fast.
	if [ -n "$ALL_KEYS" ]; then
		sleep $(( 2 + RANDOM % 4 ))
	else
		sleep 1
	fi
	if ! kill -0 "$PID" 2>/dev/null; then
		t_fail "flowtop died after $(( $(date +%s) - START )) s"
		break
	fi
	random_key
	now=$(date +%s)
	[ "$now" -lt "$next_min" ] && continue
	next_min=$(( next_min + 60 ))
	min=$(( min + 1 ))
	read -r rss fds thr < <(sample)
	read -r added removed failed elapsed <"$T_TMP/churn.done"
	[ -z "$first_fds" ] && first_fds=$fds first_thr=$thr
	[ -z "$base_rss" ] && [ -n "$ALL_KEYS" ] &&
		[ $(( now - START )) -ge "$BASE" ] &&
		base_rss=$rss base_at=$(( now - START ))
	[ "$rss" -gt "$max_rss" ] && max_rss=$rss
	new_rate=$(awk -v a="$added" -v t="$elapsed" \
		'BEGIN { printf "%.0f", (t > 0 ? a / t : 0) }')
	gone_rate=$(awk -v a="$removed" -v t="$elapsed" \
		'BEGIN { printf "%.0f", (t > 0 ? a / t : 0) }')
	printf 'soak: min %2d: rss %6d KiB, fds %3d, threads %2d, kernel %6s,' \
		"$min" "$rss" "$fds" "$thr" "$(kernel_count)"
	printf ' flowtop %6s, churn %s/s new, %s/s gone, %s failed\n' \
		"$(ft_count)" "$new_rate" "$gone_rate" "$failed"
	# Falling behind by a tenth is not the load asked for.
	[ "$new_rate" -lt $(( RATE * 9 / 10 )) ] && bad_churn=$new_rate
done

touch "$T_TMP/churn.stop"
t_wait_for 10 sh -c "! kill -0 $CHURN 2>/dev/null"
read -r added removed failed elapsed <"$T_TMP/churn.done"
read -r rss fds thr < <(sample)
# A descriptor open for a moment (a /proc walk) is not a leak: take the
# fewest of a few looks.
for _ in 1 2 3 4 5; do
	sleep 0.3
	read -r r2 f2 t2 < <(sample)
	[ "$f2" -lt "$fds" ] && fds=$f2
	[ "$t2" -lt "$thr" ] && thr=$t2
done
tm send-keys -t "$S" Escape
# Two intervals for the last events, and one for closed flows to go.
sleep 4
kc=$(kernel_count)
t_wait_for 10 sh -c "[ \"\$(tmux -L $S capture-pane -p -t $S | sed -n \
	-e 's/.*Flows [0-9]*\/\([0-9]*\).*/\1/p' \
	-e 's/.*(flows \([0-9]*\)).*/\1/p' | head -n 1)\" = \"$kc\" ]"
fc=$(ft_count)

t_check "flowtop ran the whole $SECS s" kill -0 "$PID"
t_check "the churn kept up: $added new, $removed gone in ${elapsed} s" \
	test -z "$bad_churn"
t_check "no ct_inject call failed ($failed)" test "$failed" = 0
if [ -n "$base_rss" ]; then
	desc="RSS at most 5% over its size at $base_at s ($base_rss KiB ->"
	t_check "$desc $rss KiB, peak $max_rss)" \
		test "$rss" -le $(( base_rss * 105 / 100 ))
else
	t_fail "no RSS baseline: $SECS s is too short for a sample after" \
		"$BASE s and after the first round of keys (4 minutes do)"
fi
t_check "descriptors did not grow ($first_fds -> $fds)" \
	test "$fds" -le "${first_fds:-0}"
t_check "threads did not grow ($first_thr -> $thr)" \
	test "$thr" -le "${first_thr:-0}"
desc="once the churn stops flowtop's table is the kernel's ($fc, $kc)"
if ! t_check "$desc" test "$fc" = "$kc"; then
	# What differs: the kernel's entries by protocol, and what a fresh
	# flowtop -j counts.
	t_nsexec "$NS" conntrack -L 2>/dev/null | awk '{ print $1 }' |
		sort | uniq -c | sed 's/^/    kernel: /'
	echo "    now: kernel $(kernel_count), screen $(ft_count), fresh -j" \
		"$(t_nsexec "$NS" "$FT" -j -46TUDIS -A -n -G -c 1 -t 0.2 \
		--no-config 2>/dev/null | grep -c .)"
	tm capture-pane -p -t "$S" | head -n 1 | sed 's/^/    screen: /'
fi
tm send-keys -t "$S" q
t_check "q ends it with status 0" t_wait_for 10 grep -qx 0 "$T_TMP/ft.rc"
t_check "nothing on its stderr" test ! -s "$T_TMP/ft.err"
t_check "the sysctls are back to 0" sh -c "[ \"\$(ip netns exec $NS cat \
	/proc/sys/net/netfilter/nf_conntrack_acct)\" = 0 ]"
printf 'soak summary: %d s, %d new and %d gone (%s/s), %d keys; RSS %s KiB' \
	"$SECS" "$added" "$removed" "$new_rate" \
	"$(wc -l <"$T_TMP/keys.log")" "${base_rss:-?}"
printf ' at %s s, %d KiB at the end (peak %d); fds %s -> %s; threads' \
	"${base_at:-?}" "$rss" "$max_rss" "$first_fds" "$fds"
printf ' %s -> %s; flows %s = kernel %s\n' "$first_thr" "$thr" "$fc" "$kc"
t_done
