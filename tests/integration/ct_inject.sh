#!/bin/bash
# ct_inject: checks the test helper build/tools/ct_inject against
# conntrack -L in a fresh namespace: for every protocol and family, 10
# entries whose tuples (both directions) must be exactly the ones the
# documented formula gives (computed by t_ct_tuple in tests/lib.sh, not by
# ct_inject), then deleted; the options tests rely on (state, mark, zone,
# status, timeout, NAT, update); DCCP refused cleanly on kernels without a
# DCCP tracker; 100,000 TCP entries timed, counted by ct_inject count,
# bare_dump and the kernel, then flushed.  Needs root and a build
# (make tools).
. "$(dirname "$0")/../lib.sh"

t_init ct_inject
t_require_root
t_require ip nft conntrack
for tool in "$T_CT_INJECT" "$T_BARE_DUMP"; do
	if [ ! -x "$tool" ]; then
		t_fail "$tool is not built (make tools)"
		t_done
	fi
done
if ! t_ns ct; then
	t_fail "cannot create the namespace"
	t_done
fi
NS=$T_NS
OUT=$T_TMP/out

# conntrack -L lines as "STATE|orig fields|reply fields|rest": the
# tuple fields (src dst sport dport, or src dst type code id) of each
# direction, counters left out.  $1: -f ipv4|ipv6, further conntrack
# filter options follow.
ct_list() {
	ip netns exec "$NS" conntrack -L "$@" 2>/dev/null | awk '
	{
		state = ($4 ~ /^[A-Z_]+$/) ? $4 : "-"
		o = ""; r = ""; rest = ""; n = 0; per = 0
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^src=/)
				n++
			if ($i ~ /^(src|dst|sport|dport|type|code|id)=/) {
				if (n == 1)
					o = o (o == "" ? "" : " ") $i
				else
					r = r (r == "" ? "" : " ") $i
			} else if ($i ~ /^(mark|zone)=/ || $i ~ /^\[/) {
				rest = rest " " $i
			}
		}
		print state "|" o "|" r "|" rest
	}'
}

# Expected ct_list lines (state and tuples) for entries start..start+9.
expect_list() {
	local fam=$1 proto=$2 start=$3 state=$4 k

	for (( k = start; k < start + 10; k++ )); do
		echo "$state|$(t_ct_tuple "$fam" "$proto" "$k")|$(t_ct_reply \
			"$fam" "$proto" "$k")"
	done
}

count_of() {
	ip netns exec "$NS" "$T_CT_INJECT" count "$@"
}

# --- every protocol and family: exact tuples ----------------------------

# start 245 crosses a (src) wrapping 249 -> 0 and b (dst) 0 -> 1;
# 62495 crosses c: dst 198.51.100.x -> 203.0.113.x, 2001:db8:2 -> :3.
for fam in 4 6; do
	if [ "$fam" = 4 ]; then l4=icmp; else l4=icmpv6; fi
	for proto in tcp udp udplite sctp $l4; do
		for start in 245 62495; do
			case $proto in
			tcp|sctp) state=ESTABLISHED ;;
			*) state=- ;;
			esac
			what="$proto/ipv$fam k=$start..$((start + 9))"
			t_ct "$NS" add --proto "$proto" --family "$fam" \
				--count 10 --start "$start" >"$OUT" 2>&1
			rc=$?
			if [ "$rc" -ne 0 ]; then
				t_fail "add $what: exit $rc:" \
					"$(head -n 3 "$OUT")"
				continue
			fi
			ct_list -f "ipv$fam" -p "$proto" |
				cut -d'|' -f1-3 | sort >"$T_TMP/got"
			expect_list "$fam" "$proto" "$start" "$state" |
				sort >"$T_TMP/want"
			if cmp -s "$T_TMP/got" "$T_TMP/want"; then
				t_pass "add $what: conntrack -L shows exactly" \
					"the 10 documented tuples, state $state"
			else
				t_fail "add $what: conntrack -L differs" \
					"(< want, > got)"
				diff "$T_TMP/want" "$T_TMP/got" | head -n 8 |
					sed 's/^/    /'
			fi
			n=$(count_of --proto "$proto")
			t_check "count --proto $proto is 10 (got $n)" \
				test "$n" = 10
			t_ct "$NS" del --proto "$proto" --family "$fam" \
				--count 10 --start "$start" >"$OUT" 2>&1
			rc=$?
			left=$(ct_list -p "$proto" | wc -l)
			t_check "del $what: exit $rc, none left ($left)" \
				test "$rc" -eq 0 -a "$left" -eq 0
		done
	done
done

# --- DCCP ----------------------------------------------------------------

for fam in 4 6; do
	t_ct "$NS" add --proto dccp --family "$fam" --count 10 >"$OUT" 2>&1
	rc=$?
	left=$(count_of --proto dccp)
	if [ "$rc" -eq 3 ]; then
		echo "SKIP-note: DCCP not tracked by this kernel; covered by" \
			"parser tests"
		t_check "DCCP/ipv$fam refused cleanly (exit 3, $left left)" \
			sh -c "[ '$left' = 0 ] &&
			       grep -q 'no conntrack tracker for dccp' '$OUT'"
	elif [ "$rc" -eq 0 ]; then
		# A kernel with a DCCP tracker: check it like the others.
		ct_list -f "ipv$fam" -p dccp | cut -d'|' -f1-3 | sort \
			>"$T_TMP/got"
		expect_list "$fam" dccp 0 OPEN | sort >"$T_TMP/want"
		t_check "DCCP/ipv$fam tracked: exactly the 10 tuples, OPEN" \
			cmp "$T_TMP/want" "$T_TMP/got"
		t_ct "$NS" del --proto dccp --family "$fam" --count 10 \
			>/dev/null 2>&1
	else
		t_fail "DCCP/ipv$fam: exit $rc (want 3, or 0 with a tracker):" \
			"$(head -n 3 "$OUT")"
	fi
done

# --- options -------------------------------------------------------------

t_ct "$NS" add --proto tcp --family 4 --count 3 --state SYN_SENT \
	--mark 0x2a --timeout 120 --status SEEN_REPLY,ASSURED >/dev/null
ct_list -p tcp >"$OUT"
t_check "--state SYN_SENT --mark 0x2a --status: SYN_SENT mark=42 ASSURED" \
	sh -c "[ \$(grep -c '^SYN_SENT|.*\[ASSURED\] mark=42' '$OUT') = 3 ] &&
	       ! grep -q UNREPLIED '$OUT'"
t_check "--timeout 120: conntrack shows at most 120 s left" \
	sh -c "ip netns exec '$NS' conntrack -L -p tcp 2>/dev/null |
	       awk '{ if (\$3 > 120 || \$3 < 100) bad = 1 } END { exit bad }'"
t_ct "$NS" update --proto tcp --family 4 --count 3 --state TIME_WAIT \
	--mark 7 >/dev/null
t_check "update: state TIME_WAIT, mark=7 on all 3" \
	sh -c "[ \$(ip netns exec '$NS' conntrack -L -p tcp --state \
	       TIME_WAIT --mark 7 2>/dev/null | wc -l) = 3 ]"
t_ct "$NS" update --proto tcp --family 4 --start 3 >"$OUT" 2>&1
rc=$?
t_check "update of a missing entry: exit 1 with the kernel's text" \
	sh -c "[ $rc = 1 ] && grep -q 'No such file or directory' '$OUT'"
t_ct "$NS" add --proto tcp --family 4 --count 1 >"$OUT" 2>&1
rc=$?
t_check "add of an existing entry: exit 1, tuple and 'File exists'" \
	sh -c "[ $rc = 1 ] && grep -q \
	       'k=0 tcp src=192.0.2.1 dst=198.51.100.1.*File exists' '$OUT'"
t_ct "$NS" del --proto tcp --family 4 --count 3 >/dev/null

t_ct "$NS" add --proto udp --family 4 --count 2 --zone 5 >/dev/null
t_check "--zone 5: both entries in zone 5" \
	sh -c "[ \$(ip netns exec '$NS' conntrack -L -p udp --zone 5 \
	       2>/dev/null | grep -c 'zone=5') = 2 ]"
t_ct "$NS" del --proto udp --family 4 --count 2 >/dev/null 2>&1
rc=$?
n=$(count_of --proto udp)
t_check "del without --zone does not touch zone 5 (exit $rc, $n left)" \
	test "$rc" = 1 -a "$n" = 2
t_ct "$NS" del --proto udp --family 4 --count 2 --zone 5 >/dev/null
t_check "del --zone 5 removes them" test "$(count_of --proto udp)" = 0

t_ct "$NS" add --proto tcp --family 4 --count 2 --dnat 203.0.113.200 \
	>/dev/null
t_ct "$NS" add --proto udp --family 6 --count 2 --snat 2001:db8:ff::1 \
	>/dev/null
ct_list -p tcp | cut -d'|' -f3 | sort >"$T_TMP/got"
printf '%s\n' "src=203.0.113.200 dst=192.0.2.1 sport=20000 dport=10000" \
	"src=203.0.113.200 dst=192.0.2.2 sport=20001 dport=10001" \
	>"$T_TMP/want"
t_check "--dnat: reply tuple comes from the new address" \
	cmp "$T_TMP/want" "$T_TMP/got"
ct_list -p udp | cut -d'|' -f3 | sort >"$T_TMP/got"
printf '%s\n' "src=2001:db8:2::1 dst=2001:db8:ff::1 sport=20000 dport=10000" \
	"src=2001:db8:2::1 dst=2001:db8:ff::1 sport=20001 dport=10001" \
	>"$T_TMP/want"
t_check "--snat (IPv6): reply tuple goes to the new address" \
	cmp "$T_TMP/want" "$T_TMP/got"
t_check "--dnat/--snat entries carry the kernel's NAT status" \
	sh -c "[ \$(ip netns exec '$NS' conntrack -L --dst-nat 2>/dev/null |
	       grep -c 203.0.113.200) = 2 ] &&
	       [ \$(ip netns exec '$NS' conntrack -L -f ipv6 --src-nat \
	       2>/dev/null | grep -c 2001:db8:ff::1) = 2 ]"
ip netns exec "$NS" conntrack -F >/dev/null 2>&1

echo 1 | ip netns exec "$NS" tee /proc/sys/net/netfilter/nf_conntrack_acct \
	>/dev/null
t_ct "$NS" add --proto tcp --family 4 --bytes 1000 --packets 10 >"$OUT" 2>&1
rc=$?
t_check "--bytes/--packets: taken by the kernel, or a warning says not" \
	sh -c "[ $rc = 0 ] && { ip netns exec '$NS' conntrack -L 2>/dev/null |
	       grep -q 'packets=10 bytes=1000' ||
	       grep -q 'did not take the counters' '$OUT'; }"
grep -q 'did not take the counters' "$OUT" &&
	echo "NOTE: this kernel ignores counters sent over ctnetlink"
ip netns exec "$NS" conntrack -F >/dev/null 2>&1

bad_usage=(
	"add --proto icmp --family 6"
	"add --proto udp --family 4 --state ESTABLISHED"
	"add --proto tcp"
	"add --proto tcp --family 4 --start 999999 --count 2"
	"frob"
	"add --proto tcp --family 4 --dnat 2001:db8::1"
	"add --proto tcp --family 4 --state NOPE"
	"add --proto tcp --family 4 --bytes 5"
)
for bad in "${bad_usage[@]}"; do
	# shellcheck disable=SC2086
	t_ct "$NS" $bad >/dev/null 2>&1
	rc=$?
	t_check "usage error exits 2: ct_inject $bad" test "$rc" = 2
done

# --- 100,000 entries ------------------------------------------------------

t0=$(t__now_us)
t_ct "$NS" add --proto tcp --family 4 --count 100000 >"$OUT" 2>&1
rc=$?
ms=$(( ($(t__now_us) - t0) / 1000 ))
echo "NOTE: ct_inject created 100000 TCP entries in $ms ms" \
	"($(cat "$OUT"))"
t_check "100000 TCP entries created (exit $rc) in under 30 s ($ms ms)" \
	test "$rc" -eq 0 -a "$ms" -lt 30000
n=$(count_of)
t_check "ct_inject count (one dump) says 100000 (got $n)" test "$n" = 100000
k=$(ip netns exec "$NS" cat /proc/sys/net/netfilter/nf_conntrack_count)
t_check "the kernel's nf_conntrack_count agrees ($k)" test "$k" = 100000
ip netns exec "$NS" "$T_BARE_DUMP" -n 3 >"$OUT" 2>&1
rc=$?
sed 's/^/NOTE: bare_dump: /' "$OUT"
line='entries=100000 wall_ms=[0-9]+\.[0-9]{3} cpu_ms=[0-9]+\.[0-9]{3}'
t_check "bare_dump: 3 dumps of 100000 entries and a median line" \
	sh -c "[ $rc = 0 ] && [ \$(grep -cE '^$line\$' '$OUT') = 3 ] &&
	       grep -qE '^median $line\$' '$OUT'"
k=$(t_ct_tuple 4 tcp 99999)
t_check "entry 99999 is there ($k)" \
	sh -c "ip netns exec '$NS' conntrack -L -p tcp -s 192.0.2.250 \
	       2>/dev/null | grep -q '$k'"
ip netns exec "$NS" conntrack -F >/dev/null 2>&1
t_check "conntrack -F leaves the table empty" test "$(count_of)" = 0

t_done
