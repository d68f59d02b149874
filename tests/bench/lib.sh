# shellcheck shell=bash
# tests/bench/lib.sh: what the benchmark scripts share; source it after
# setting NS (the namespace's name) and, for bare_median, BARE.
#
#   bench_need NAME FILE...  exit unless root and every FILE is built
#   bench_ns          create $NS, lo up, a table whose output chain uses
#                     conntrack (so that the kernel tracks the namespace)
#   nsx CMD...        CMD in $NS
#   cpu_of PID        CPU seconds of a process, all its threads
#   rss_kb PID        its resident set, KiB
#   calc EXPR [DEC]   EXPR evaluated by awk, DEC decimals (3)
#   bare_median [ARGS]  the median CPU ms of 7 bare dumps ($BARE ARGS)
#                     in $NS

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
