# shellcheck shell=bash disable=SC2034
# tests/bench/lib.sh: what the benchmark scripts share; source it after
# setting ROOT (the checkout) and O (the build directory).
#
#   bench_setup NAME  cd $ROOT; FT ($T_FLOWTOP if set, else the
#                     checkout's), B (the build directory), CT, CHURN,
#                     BARE (ct_inject, ct_churn, bare_dump there); NS and
#                     TM (ft_NAME_PID: the namespace, a private tmux
#                     server); TMP (a new directory); tm (tmux on TM); and
#                     a trap that, on any exit, runs bench_cleanup_more if
#                     the script defines it, then stops TM, the processes
#                     in NS, removes NS and TMP
#   bench_need NAME FILE...  exit unless root and every FILE is built
#   bench_ns          create $NS, lo up, a table whose output chain uses
#                     conntrack (so that the kernel tracks the namespace)
#   nsx CMD...        CMD in $NS
#   cpu_of PID        CPU seconds of a process, all its threads
#   rss_kb PID        its resident set, KiB
#   calc EXPR [DEC]   EXPR evaluated by awk, DEC decimals (3)
#   bare_median [ARGS]  the median CPU ms of 7 bare dumps ($BARE ARGS)
#                     in $NS
#   bench_startup PID N [BOTH]  seconds (3 decimals) from PID's start
#                     until the screen's $TMP/frames (FLOWTOP_FRAME_LOG:
#                     ms, shown, in all) logs a refresh counting N flows
#                     in all (BOTH: N shown too); "" if none did in 5 s

bench_setup() {
	# A test may name another flowtop (an installed one: tests/deb.sh).
	FT=$(realpath "${T_FLOWTOP:-$ROOT/flowtop}")
	cd "$ROOT" || exit 1
	case $O in /*) B=$O ;; *) B=$ROOT/$O ;; esac
	CT=$B/tools/ct_inject
	CHURN=$B/tools/ct_churn
	BARE=$B/tools/bare_dump
	NS=ft_$1_$$
	TM=ft_$1_$$
	TMP=$(mktemp -d)
	trap bench_cleanup EXIT
	trap 'bench_cleanup; exit 1' INT TERM HUP
}

tm() { tmux -L "$TM" -f /dev/null "$@"; }

bench_cleanup() {
	trap - EXIT INT TERM HUP
	declare -F bench_cleanup_more >/dev/null && bench_cleanup_more
	tm kill-server 2>/dev/null
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TM"
	ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
	sleep 0.2
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}

bench_need() {
	local name=$1 f

	shift
	if [ "$(id -u)" != 0 ]; then
		echo "$name: needs root (network namespace, conntrack)" >&2
		exit 1
	fi
	for f in "$@"; do
		[ -x "$f" ] || { echo "$name: $f missing: make first" >&2
			exit 1; }
	done
}

bench_ns() {
	ip netns add "$NS" || return 1
	ip -n "$NS" link set lo up
	ip netns exec "$NS" nft -f - <<'EOF2'
table inet ft {
	chain out {
		type filter hook output priority 0;
		ct state new,established accept
	}
}
EOF2
}

nsx() { ip netns exec "$NS" "$@"; }

# The pid of the flowtop running in $NS, waiting up to 10 s for it to
# start; "" if none did.
bench_pid() {
	local p

	for _ in $(seq 1 500); do
		p=$(ip netns pids "$NS" 2>/dev/null | while read -r p; do
			[ "$(cat /proc/"$p"/comm 2>/dev/null)" = flowtop ] &&
				echo "$p"
		done | head -n 1)
		[ -n "$p" ] && break
		sleep 0.02
	done
	echo "$p"
}

# The scheduler's exact run time (ns) of each thread, from
# /proc/PID/task/*/schedstat (clock ticks in /proc/PID/stat are too
# coarse for a 10 s window).
cpu_of() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null |
		awk '{ t += $1 } END { printf "%.6f\n", t / 1e9 }'
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }

bare_median() {
	nsx "$BARE" -n 7 "$@" | awk '/^median/ { for (i = 1; i <= NF; i++)
		if ($i ~ /^cpu_ms=/) { sub("cpu_ms=", "", $i); print $i } }'
}

# The process's start time is in clock ticks since boot (10 ms steps), on
# the clock of the frame log.
bench_startup() {
	local start shown=

	start=$(awk -v hz="$(getconf CLK_TCK)" '{ print $22 * 1000 / hz }' \
		"/proc/$1/stat")
	for _ in $(seq 1 500); do
		shown=$(awk -v n="$2" -v both="${3:-}" '$3 == n &&
			(both == "" || $2 == n) { print $1; exit }' \
			"$TMP/frames" 2>/dev/null)
		[ -n "$shown" ] && break
		sleep 0.01
	done
	[ -n "$shown" ] && calc "($shown - $start) / 1000" 3
}
