# shellcheck shell=bash disable=SC2034
# tests/lib.sh: shared helpers for flowtop's integration tests (bash only).
#
#   . tests/lib.sh                   (or: . "$(dirname "$0")/../lib.sh")
#   t_init mytest
#   t_require_root
#   t_ns a; A=$T_NS
#   t_ns b; B=$T_NS
#   t_veth "$A" "$B" 192.0.2.1/24 192.0.2.2/24
#   t_check "ping works" ip netns exec "$A" ping -c1 -W1 192.0.2.2
#   t_done
#
# Variables (set when this file is sourced; override before sourcing):
#   T_ROOT      the repository root (found from this file); t_init cd's there,
#               so tests run from the repository root.
#   T_BUILD     the build directory, default "build".
#   T_FLOWTOP   ./flowtop;  T_CT_INJECT $T_BUILD/tools/ct_inject;
#   T_BARE_DUMP $T_BUILD/tools/bare_dump
#   T_PYTHON    /usr/bin/python3 when present (stdlib only), else python3.
#   T_KEEP_TMP  if set non-empty, t_cleanup leaves $T_TMP (for debugging).
# Set by the functions:
#   T_NAME, T_TMP (private temp dir, removed at cleanup), T_NS (last
#   namespace), T_VETH (last veth name), T_BG_PID (last background pid).
#
# Functions:
#   t_init NAME       start test NAME: result counters, $T_TMP, records the
#                     root namespace's nf_conntrack_acct and
#                     nf_conntrack_timestamp, cd to $T_ROOT, and traps
#                     EXIT INT TERM HUP to run t_cleanup.  If the script
#                     ends (or is interrupted) before t_done, that counts
#                     as a failure, the summary line is still printed and
#                     the exit status is non-zero.
#   t_ns NAME [VAR]   create namespace "ft_<NAME>_<pid of the test>", set
#                     $T_NS (and VAR, if given) to its name, bring lo up and
#                     load "table inet ft" with chains input, output and
#                     forward that match "ct state" (policy accept), so
#                     conntrack
#                     tracks the namespace's traffic.  Registered for
#                     cleanup (also when called in a subshell).  Returns 1
#                     on failure.  Prints nothing: use $T_NS or VAR.
#   t_veth NS1 NS2 ADDR1 ADDR2 [ADDR1 ADDR2 ...]
#                     join two namespaces with a veth pair (same name
#                     "ftvN" on both sides, in $T_VETH) and give each side
#                     its addresses (CIDR, e.g. 192.0.2.1/24); IPv6
#                     addresses get "nodad" so they work at once.  Waits
#                     (bounded) until both ends are up.
#   t_veth6 ...       the same, named for IPv6 use (2001:db8::1/64 ...).
#   t_bg CMD...       start CMD in the background in its own process group
#                     (setsid); its pid is in $T_BG_PID; killed (group,
#                     TERM then KILL) at cleanup.  Do not call it inside
#                     $(...): the substitution would wait for CMD.
#   t_pass MSG        print "PASS: MSG", count a pass.
#   t_fail MSG        print "FAIL: MSG", count a failure.
#   t_skip MSG        print "SKIP: MSG", count a skip; when CI=true a skip is
#                     a failure: also prints "FAIL: ..." and counts as one.
#   t_check DESC CMD...  run CMD (output kept in $T_TMP); PASS DESC when it
#                     exits 0, else FAIL DESC and show its last 20 lines.
#                     Returns 0 or 1 (do not use set -e in tests: the first
#                     failed check would end the test).
#   t_wait_for TIMEOUT CMD...  run CMD every 0.1 s until it exits 0
#                     (return 0) or TIMEOUT seconds (may be fractional)
#                     have passed (return 1).  CMD's output is discarded.
#   t_done            print "<NAME>: N passed, N failed[, N skipped]"
#                     (skipped only when there were skips) and exit: status 1
#                     if any check failed, else 0.  The EXIT trap cleans up.
#   t_cleanup         kill t_bg processes and every process left in our
#                     namespaces, delete our namespaces (also any
#                     "ft_*_<pid>" left by a subshell) and flowtop's state
#                     files for them (/run/flowtop/netns-INODE), restore
#                     the two sysctls if they changed, remove $T_TMP.
#                     Idempotent; runs from the traps, may also be called
#                     directly.
#   t_sysctl_save     (t_init calls it) record the two sysctls.
#   t_sysctl_restore  write them back if they differ (t_cleanup calls it).
#   t_confdir         make a flowtop --confdir in $CD ($T_TMP/conf): the
#                     repository's tcp.conf and udp.conf, and a geoip.conf
#                     that reads only $G ($T_TMP/geo, made empty), for the
#                     test's own .mmdb files.
#   t_public FILE...  copy FILEs (paths from the repository root) into
#                     $T_TMP/pub, which every user can read, and print the
#                     copies' paths, one a line: what a process of another
#                     user (setpriv --reuid=65534) runs or reads must come
#                     from there, since the checkout may be under a
#                     directory only root can enter, such as /root (and
#                     run-all.sh runs the tests through one).
#   t_require_root    skip the whole test (t_skip + t_done) unless root.
#   t_require CMD...  skip the whole test unless every CMD is in PATH.
#   t_nsexec NS CMD...     ip netns exec NS CMD...
#   t_ct NS ARGS...        ip netns exec NS $T_CT_INJECT ARGS...
#   t_ct_tuple FAMILY PROTO K [SPORT DPORT]
#                     print the original-direction fields of ct_inject's
#                     entry K as "conntrack -L" shows them, e.g.
#                     "src=192.0.2.1 dst=198.51.100.1 sport=10000
#                     dport=20000" or "... type=8 code=0 id=0"; FAMILY 4|6.
#                     SPORT/DPORT: the values given to --sport/--dport.
#                     This is the formula of "ct_inject --help", written
#                     again independently, so tests check the tool too.
#   t_ct_reply FAMILY PROTO K [SPORT DPORT]
#                     the same for the (untranslated) reply direction.

T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${T_BUILD:=build}"
: "${T_FLOWTOP:=./flowtop}"
: "${T_CT_INJECT:=$T_BUILD/tools/ct_inject}"
: "${T_BARE_DUMP:=$T_BUILD/tools/bare_dump}"
if [ -z "${T_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then
		T_PYTHON=/usr/bin/python3
	else
		T_PYTHON=python3
	fi
fi
T_NAME=${T_NAME:-unnamed}
T_TMP=
T_NS=
T_VETH=
T_BG_PID=
T__DONE=
T__SIGNAL=
T__ACCT=
T__TSTAMP=
T__SYSCTL_DIR=/proc/sys/net/netfilter

t_init() {
	T_NAME=${1:?t_init needs a name}
	cd "$T_ROOT" || exit 1
	T_TMP=$(mktemp -d "/tmp/ft_${T_NAME}.XXXXXX") || {
		echo "FAIL: $T_NAME: cannot create a temp dir"
		exit 1
	}
	: >"$T_TMP/results"
	: >"$T_TMP/ns"
	: >"$T_TMP/pids"
	T__DONE=
	T__SIGNAL=
	t_sysctl_save
	trap 't__on_exit' EXIT
	trap 't__on_signal INT 130' INT
	trap 't__on_signal TERM 143' TERM
	trap 't__on_signal HUP 129' HUP
}

t__on_signal() {
	T__SIGNAL=$1
	exit "$2"
}

t__on_exit() {
	local rc=$?

	# The test may have set -e or -u; the cleanup must run to the end.
	set +e +u
	if [ -z "$T__DONE" ] && [ -n "$T_TMP" ] && [ -d "$T_TMP" ]; then
		if [ -n "$T__SIGNAL" ]; then
			t_fail "$T_NAME interrupted by SIG$T__SIGNAL"
		else
			t_fail "$T_NAME ended before t_done (exit status $rc)"
		fi
		t__summary
		[ "$rc" -eq 0 ] && rc=1
	fi
	t_cleanup
	exit "$rc"
}

t__result() {
	if [ -n "$T_TMP" ] && [ -d "$T_TMP" ]; then
		echo "$1" >>"$T_TMP/results"
	fi
}

t_pass() {
	echo "PASS: $*"
	t__result P
}

t_fail() {
	echo "FAIL: $*"
	t__result F
}

t_skip() {
	echo "SKIP: $*"
	if [ "${CI:-}" = true ]; then
		echo "FAIL: skipped under CI=true, and a skip is a failure" \
			"in CI: $*"
		t__result F
	else
		t__result S
	fi
}

t__count() {
	grep -c "^$1\$" "$T_TMP/results" 2>/dev/null
}

# Prints the summary line; returns 1 if anything failed.
t__summary() {
	local p f s line

	p=$(t__count P); f=$(t__count F); s=$(t__count S)
	line="$T_NAME: ${p:-0} passed, ${f:-0} failed"
	[ "${s:-0}" -gt 0 ] && line="$line, $s skipped"
	echo "$line"
	[ "${f:-0}" -eq 0 ]
}

t_done() {
	local rc=0

	t__summary || rc=1
	T__DONE=1
	exit "$rc"
}

t_check() {
	local desc=$1 rc out

	shift
	out=${T_TMP:-/tmp}/check.out
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		t_pass "$desc"
		return 0
	fi
	t_fail "$desc (exit $rc: $*)"
	tail -n 20 "$out" | sed 's/^/    /'
	return 1
}

# Microseconds since the epoch, from bash's own clock (no fork).
t__now_us() {
	local t=${EPOCHREALTIME//[!0-9]/}

	echo "$t"
}

# "1.5" -> 1500000
t__secs_to_us() {
	local s=$1 int frac

	int=${s%%.*}
	frac=
	[ "$int" != "$s" ] && frac=${s#*.}
	frac=${frac}000000
	frac=${frac:0:6}
	echo $(( 10#${int:-0} * 1000000 + 10#$frac ))
}

t_wait_for() {
	local timeout_us deadline i max

	timeout_us=$(t__secs_to_us "${1:-0}")
	shift
	deadline=$(( $(t__now_us) + timeout_us ))
	# Bounded twice: by the clock and by the number of polls.
	max=$(( timeout_us / 100000 + 1 ))
	for (( i = 0; i <= max; i++ )); do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(t__now_us)" -ge "$deadline" ] && break
		sleep 0.1
	done
	return 1
}

t_confdir() {
	G=$T_TMP/geo
	CD=$T_TMP/conf
	mkdir -p "$G" "$CD"
	cp "$T_ROOT/etc/tcp.conf" "$T_ROOT/etc/udp.conf" "$CD/"
	printf 'nodefaultdirs\ndir %s\n' "$G" >"$CD/geoip.conf"
}

t_public() {
	local f dir=$T_TMP/pub

	# Others may enter $T_TMP (not list it) and read what is in pub.
	chmod 711 "$T_TMP" && mkdir -p "$dir" && chmod 755 "$dir" || return 1
	for f in "$@"; do
		case $f in /*) ;; *) f=$T_ROOT/$f ;; esac
		cp "$f" "$dir/" && chmod a+rX "$dir/${f##*/}" || return 1
		echo "$dir/${f##*/}"
	done
}

t_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		t_skip "$T_NAME needs root (network namespaces, conntrack)"
		t_done
	fi
}

t_require() {
	local c

	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			t_skip "$T_NAME needs $c, which is not installed"
			t_done
		fi
	done
}

t_nsexec() {
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

t_ct() {
	local ns=$1

	shift
	ip netns exec "$ns" "$T_CT_INJECT" "$@"
}

t_ns() {
	local name="ft_${1:-}_$$"

	if [ -z "${1:-}" ] || [ -z "$T_TMP" ]; then
		t_fail "t_ns needs a name, after t_init"
		return 1
	fi
	# Registered first: a namespace half set up is removed too.
	echo "$name" >>"$T_TMP/ns"
	if ! ip netns add "$name"; then
		t_fail "cannot create namespace $name"
		return 1
	fi
	if ! ip -n "$name" link set lo up; then
		t_fail "cannot bring lo up in $name"
		return 1
	fi
	# Any rule that needs conntrack makes the kernel track this netns.
	if ! ip netns exec "$name" nft -f - <<-'EOF'
	table inet ft {
		chain input {
			type filter hook input priority 0; policy accept;
			ct state new,established,related accept
		}
		chain output {
			type filter hook output priority 0; policy accept;
			ct state new,established,related accept
		}
		chain forward {
			type filter hook forward priority 0; policy accept;
			ct state new,established,related accept
		}
	}
	EOF
	then
		t_fail "cannot load the conntrack rules into $name (nft)"
		return 1
	fi
	T_NS=$name
	[ -n "${2:-}" ] && printf -v "$2" '%s' "$name"
	return 0
}

t__link_up() {
	ip -n "$1" link show "$2" 2>/dev/null | grep -q 'state UP'
}

t_veth() {
	local ns1=${1:-} ns2=${2:-} i=0 dev a1 a2

	if [ -z "$ns1" ] || [ -z "$ns2" ]; then
		t_fail "t_veth needs two namespaces"
		return 1
	fi
	shift 2
	while [ "$i" -lt 100 ]; do
		if ! ip -n "$ns1" link show "ftv$i" >/dev/null 2>&1 &&
		   ! ip -n "$ns2" link show "ftv$i" >/dev/null 2>&1; then
			break
		fi
		i=$((i + 1))
	done
	dev=ftv$i
	ip -n "$ns1" link add "$dev" type veth peer name "$dev" netns "$ns2" ||
		return 1
	while [ $# -ge 2 ]; do
		a1=$1 a2=$2
		shift 2
		case $a1 in
		*:*)	ip -n "$ns1" addr add "$a1" dev "$dev" nodad &&
			ip -n "$ns2" addr add "$a2" dev "$dev" nodad ||
				return 1 ;;
		*)	ip -n "$ns1" addr add "$a1" dev "$dev" &&
			ip -n "$ns2" addr add "$a2" dev "$dev" || return 1 ;;
		esac
	done
	ip -n "$ns1" link set "$dev" up && ip -n "$ns2" link set "$dev" up ||
		return 1
	T_VETH=$dev
	t_wait_for 5 t__link_up "$ns1" "$dev" &&
		t_wait_for 5 t__link_up "$ns2" "$dev"
}

t_veth6() {
	t_veth "$@"
}

t_bg() {
	# setsid: its own process group, so cleanup also ends its children.
	setsid "$@" &
	T_BG_PID=$!
	if [ -n "$T_TMP" ] && [ -d "$T_TMP" ]; then
		echo "$T_BG_PID" >>"$T_TMP/pids"
	fi
}

# Kill pids (and, if group is set, their process groups): TERM, then KILL
# after at most 2 s.
t__kill() {
	local group=$1 pid i alive

	shift
	[ $# -eq 0 ] && return 0
	for pid in "$@"; do
		[ -n "$group" ] && kill -TERM -- "-$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null
	done
	for (( i = 0; i < 20; i++ )); do
		alive=
		for pid in "$@"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for pid in "$@"; do
		[ -n "$group" ] && kill -KILL -- "-$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
		# Reap our own children quietly (no "Terminated" notice).
		wait "$pid" 2>/dev/null
	done
	return 0
}

t_sysctl_save() {
	T__ACCT=$(cat "$T__SYSCTL_DIR/nf_conntrack_acct" 2>/dev/null)
	T__TSTAMP=$(cat "$T__SYSCTL_DIR/nf_conntrack_timestamp" 2>/dev/null)
}

t__sysctl_put() {
	local name=$1 want=$2 now

	[ -n "$want" ] || return 0
	now=$(cat "$T__SYSCTL_DIR/$name" 2>/dev/null)
	[ "$now" = "$want" ] && return 0
	if echo "$want" >"$T__SYSCTL_DIR/$name" 2>/dev/null; then
		echo "t_cleanup: $name was $now, restored to $want" >&2
	else
		echo "t_cleanup: cannot restore $name to $want (is $now)" >&2
	fi
}

t_sysctl_restore() {
	t__sysctl_put nf_conntrack_acct "$T__ACCT"
	t__sysctl_put nf_conntrack_timestamp "$T__TSTAMP"
}

t_cleanup() {
	local - ns pids list i line sock

	set +e +u
	# What the test registered with t_at_cleanup, last first.
	if [ -n "$T_TMP" ] && [ -s "$T_TMP/atclean" ]; then
		while IFS= read -r line; do
			eval "$line"
		done < <(tac "$T_TMP/atclean")
		: >"$T_TMP/atclean"
	fi
	if [ -n "$T_TMP" ] && [ -f "$T_TMP/pids" ]; then
		# shellcheck disable=SC2046
		t__kill group $(sort -u "$T_TMP/pids")
		: >"$T_TMP/pids"
	fi
	list=
	[ -n "$T_TMP" ] && [ -f "$T_TMP/ns" ] && list=$(sort -u "$T_TMP/ns")
	# Also what a subshell of this test made but could not register.
	while read -r ns _; do
		[[ $ns == ft_*_"$$" ]] && list="$list $ns"
	done < <(ip netns list 2>/dev/null)
	# shellcheck disable=SC2086
	for ns in $(printf '%s\n' $list | sort -u); do
		[ -e "/run/netns/$ns" ] || continue
		# flowtop's state file for the namespace (sysctl.c), if a
		# killed instance left one.
		rm -f "/run/flowtop/netns-$(stat -L -c %i "/run/netns/$ns" \
			2>/dev/null)"
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		t__kill "" $pids
		for (( i = 0; i < 10; i++ )); do
			ip netns del "$ns" 2>/dev/null
			[ -e "/run/netns/$ns" ] || break
			sleep 0.1
		done
		[ -e "/run/netns/$ns" ] &&
			echo "t_cleanup: cannot delete namespace $ns" >&2
	done
	[ -n "$T_TMP" ] && [ -f "$T_TMP/ns" ] && : >"$T_TMP/ns"
	# A tmux server that ends leaves its socket file: ours are named
	# ft_<name>_<pid of the test>; a live one is left alone.
	for sock in "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)"/ft_*_"$$"; do
		[ -S "$sock" ] || continue
		tmux -S "$sock" ls >/dev/null 2>&1 || rm -f "$sock"
	done
	t_sysctl_restore
	if [ -n "$T_TMP" ] && [ -d "$T_TMP" ] && [ -z "${T_KEEP_TMP:-}" ]; then
		rm -rf "$T_TMP"
	fi
	return 0
}

# t_at_cleanup CMD...: run CMD (one shell line) at cleanup, before the
# namespaces go; e.g. to remove /etc/netns/NAME, which ip netns exec
# bind-mounts but ip netns del does not remove.
t_at_cleanup() {
	printf '%s\n' "$*" >>"$T_TMP/atclean"
}

# t_netns_etc NS: make /etc/netns/NS for the namespace's own hosts and
# resolv.conf (ip netns exec bind-mounts them over /etc's); at cleanup it
# goes, and /etc/netns too if this made it (a fresh system has none).
t_netns_etc() {
	[ -d /etc/netns ] || t_at_cleanup "rmdir /etc/netns 2>/dev/null"
	mkdir -p "/etc/netns/$1" || return 1
	t_at_cleanup "rm -rf /etc/netns/$1"
}

# ct_inject's tuple formula (see "ct_inject --help"), written again here.
t__ct_fields() {
	local dir=$1 fam=$2 proto=$3 k=$4 sp=${5:-} dp=${6:-}
	local a b c src dst sport dport

	a=$(( k % 250 )); b=$(( k / 250 % 250 )); c=$(( k / 62500 % 2 ))
	if [ "$fam" = 4 ]; then
		src=192.0.2.$(( 1 + a ))
		if [ "$c" -eq 0 ]; then
			dst=198.51.100.$(( 1 + b ))
		else
			dst=203.0.113.$(( 1 + b ))
		fi
	else
		src=$(printf '2001:db8:1::%x' $(( 1 + a )))
		dst=$(printf '2001:db8:%d::%x' $(( 2 + c )) $(( 1 + b )))
	fi
	sport=${sp:-$(( 10000 + k % 50000 ))}
	dport=${dp:-$(( 20000 + k % 40000 ))}
	case $proto in
	icmp|icmpv6)
		local t=8
		local id=$(( k % 65536 ))

		[ "$proto" = icmpv6 ] && t=128
		if [ "$dir" = orig ]; then
			echo "src=$src dst=$dst type=$t code=0 id=$id"
		else
			[ "$t" = 8 ] && t=0 || t=129
			echo "src=$dst dst=$src type=$t code=0 id=$id"
		fi ;;
	*)
		if [ "$dir" = orig ]; then
			echo "src=$src dst=$dst sport=$sport dport=$dport"
		else
			echo "src=$dst dst=$src sport=$dport dport=$sport"
		fi ;;
	esac
}

t_ct_tuple() {
	t__ct_fields orig "$@"
}

t_ct_reply() {
	t__ct_fields reply "$@"
}
