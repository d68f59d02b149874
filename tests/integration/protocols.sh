#!/bin/bash
# protocols.sh: the protocols without a letter of their own (-O, 'O'):
# GRE with its keys (PPTP call ids) and the generic tracker's entries (ESP,
# AH, 6in4, an unnamed protocol), made for real over ctnetlink with
# conntrack -I in a fresh namespace (this kernel has no GRE tunnel
# driver, but its conntrack tracks GRE and anything else inserted).
# -j must list exactly what conntrack -L lists; which options and filters
# show them (-O, all of -TUDIS, a filter naming a protocol, the settings
# file); -B's columns; the screen: 'O', the header, the keys, the details
# box, and 'd' on a generic entry (gone from conntrack -L).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tmux.sh"
t_init protocols
t_require_root
t_require conntrack nft tmux "$T_PYTHON"
if [ ! -x "$T_FLOWTOP" ]; then
	t_fail "no $T_FLOWTOP: build it (make)"
	t_done
fi
t_ns proto NS || { t_fail "cannot create the namespace"; t_done; }
tmux_init

ct() {
	t_nsexec "$NS" conntrack "$@"
}

# conntrack -I for entry "PROTO SRC DST [KEY_SRC KEY_DST]", the reply the
# mirror of the original.
ins() {
	local p=$1 s=$2 d=$3 k=()

	if [ $# -eq 5 ]; then
		k=(--orig-key-src "$4" --orig-key-dst "$5" --reply-key-src "$5"
		   --reply-key-dst "$4")
	fi
	ct -I -p "$p" -s "$s" -d "$d" -r "$d" -q "$s" -t 600 "${k[@]}" \
		>/dev/null 2>"$T_TMP/ins.err" ||
		t_fail "conntrack -I -p $p $s $d: $(head -n 1 "$T_TMP/ins.err")"
}

ins gre 192.0.2.1 198.51.100.1 0x10 0x20
ins gre 192.0.2.2 198.51.100.2 0 0
ins gre 2001:db8::1 2001:db8:1::1 0x1234 0xfffe
ins esp 192.0.2.3 198.51.100.3
ins esp 2001:db8::3 2001:db8:1::3
ins ah 192.0.2.4 198.51.100.4
ins 41 192.0.2.5 198.51.100.5
ins 253 192.0.2.6 198.51.100.6
ct -I -p tcp -s 192.0.2.7 -d 198.51.100.7 --sport 40000 --dport 443 \
	-r 198.51.100.7 -q 192.0.2.7 --reply-port-src 443 \
	--reply-port-dst 40000 --state ESTABLISHED -t 600 >/dev/null 2>&1 ||
	t_fail "conntrack -I -p tcp"
ct -I -p udp -s 192.0.2.8 -d 198.51.100.8 --sport 40000 --dport 4500 \
	-r 198.51.100.8 -q 192.0.2.8 --reply-port-src 4500 \
	--reply-port-dst 40000 -t 600 >/dev/null 2>&1 ||
	t_fail "conntrack -I -p udp"

# "family l4proto src dst a b": a, b the ports, the GRE keys or "- -".
cat >"$T_TMP/norm.py" <<'EOF'
import json, sys
def key(fam, num, src, dst, a, b):
    return "%s %s %s %s %s %s" % (fam, num, src, dst, a, b)
out = []
if sys.argv[1] == "ct":
    for line in sys.stdin:
        f = line.split()
        if len(f) < 5 or not f[0].startswith("ipv"):
            continue
        kv = {}
        for w in f[5:]:
            if "=" in w:
                k, v = w.split("=", 1)
                kv.setdefault(k, v)
        a = kv.get("sport", kv.get("srckey", "-"))
        b = kv.get("dport", kv.get("dstkey", "-"))
        if a.startswith("0x"): a = str(int(a, 16))
        if b.startswith("0x"): b = str(int(b, 16))
        out.append(key(f[0], f[3], kv["src"], kv["dst"], a, b))
else:
    for line in sys.stdin:
        j = json.loads(line)
        o = j["orig"]
        a = o.get("sport", o.get("srckey", "-"))
        b = o.get("dport", o.get("dstkey", "-"))
        out.append(key(j["family"], j["l4proto"], o["src"], o["dst"], a, b))
for k in sorted(out):
    print(k)
EOF

ft() {
	t_nsexec "$NS" "$T_FLOWTOP" --no-config -n -G -t 0.3 "$@"
}

# flowtop -j ARGS, normalised, in $T_TMP/got.
ft_set() {
	ft -j "$@" 2>"$T_TMP/ft.err" | "$T_PYTHON" "$T_TMP/norm.py" ft \
		>"$T_TMP/got"
}

got_is() {	# DESC LINES...: $T_TMP/got has exactly these lines
	local desc=$1

	shift
	printf '%s\n' "$@" | sed '/^$/d' | sort >"$T_TMP/want"
	if cmp -s "$T_TMP/want" "$T_TMP/got"; then
		t_pass "$desc"
	else
		t_fail "$desc (< want, > got)"
		diff "$T_TMP/want" "$T_TMP/got" | head -n 12 | sed 's/^/    /'
		sed 's/^/    stderr: /' "$T_TMP/ft.err" | head -n 3
	fi
}

{ ct -L -f ipv4 -o extended; ct -L -f ipv6 -o extended; } 2>/dev/null |
	"$T_PYTHON" "$T_TMP/norm.py" ct >"$T_TMP/ct_all"
n=$(wc -l <"$T_TMP/ct_all")
t_check "conntrack -L lists the 10 entries made ($n)" test "$n" = 10
grep -E '^ipv. (47|50|51|41|253) ' "$T_TMP/ct_all" >"$T_TMP/ct_other"

ft_set -46UTDISs -A
# shellcheck disable=SC2046
got_is "-46UTDISs -j lists exactly what conntrack -L lists (GRE keys too)" \
	"$(cat "$T_TMP/ct_all")"
ft_set -O
got_is "-O alone: the GRE, ESP, AH, 6in4 and ip-proto-253 entries" \
	"$(cat "$T_TMP/ct_other")"
ft_set
got_is "no option: TCP only, as before" \
	"ipv4 6 192.0.2.7 198.51.100.7 40000 443"
ft_set -T -U
got_is "-TU: no other protocol" \
	"ipv4 6 192.0.2.7 198.51.100.7 40000 443" \
	"ipv4 17 192.0.2.8 198.51.100.8 40000 4500"
ft_set -4 -O
got_is "-4 -O: IPv4 others only" \
	"$(grep '^ipv4' "$T_TMP/ct_other")"
ft_set -f 'proto gre'
got_is "-f 'proto gre' alone: the three GRE flows" \
	"$(grep '^ipv. 47 ' "$T_TMP/ct_all")"
ft_set -f 'proto 50'
got_is "-f 'proto 50': both ESP flows" \
	"$(grep '^ipv. 50 ' "$T_TMP/ct_all")"
ft_set -f 'esp or ah'
got_is "-f 'esp or ah' (bare words)" \
	"$(grep -E '^ipv. (50|51) ' "$T_TMP/ct_all")"
ft_set -f 'proto ip-proto-253 or proto 6in4'
got_is "-f 'proto ip-proto-253 or proto 6in4'" \
	"$(grep -E '^ipv. (253|41) ' "$T_TMP/ct_all")"
ft_set -f 'key 0x10'
got_is "-f 'key 0x10': the GRE flow with that key" \
	"ipv4 47 192.0.2.1 198.51.100.1 16 32"
ft_set -f 'dstkey 0xfffe or srckey 0x20'
got_is "-f 'dstkey 0xfffe or srckey 0x20': one side each" \
	"ipv6 47 2001:db8::1 2001:db8:1::1 4660 65534"
ft_set -f 'not tcp and not udp'
got_is "-f 'not tcp and not udp': every other protocol" \
	"$(cat "$T_TMP/ct_other")"
ft_set -U -f 'proto gre'
got_is "-U -f 'proto gre': the options chose UDP, nothing matches" ""
printf 'protocols=udp,other\n' >"$T_TMP/rc"
t_nsexec "$NS" "$T_FLOWTOP" -n -G -t 0.3 -j --config "$T_TMP/rc" -4 \
	2>"$T_TMP/ft.err" |
	"$T_PYTHON" "$T_TMP/norm.py" ft >"$T_TMP/got"
got_is "settings file protocols=udp,other" \
	"$(grep -E '^ipv4 (47|50|51|41|253|17) ' "$T_TMP/ct_all")"

# The JSON fields: GRE keys as srckey/dstkey both ways, no ports, no icmp.
ft -j -f 'key 0x10' >"$T_TMP/j" 2>/dev/null
t_check "-j GRE: proto gre, srckey/dstkey in orig and reply, no icmp" \
	"$T_PYTHON" -c '
import json, sys
j = json.loads(open(sys.argv[1]).readline())
assert j["proto"] == "gre" and j["l4proto"] == 47, j
assert j["orig"] == {"src": "192.0.2.1", "dst": "198.51.100.1",
                     "srckey": 16, "dstkey": 32}, j["orig"]
assert j["reply"]["srckey"] == 32 and j["reply"]["dstkey"] == 16, j
assert "icmp" not in j and j["service"] is None and not j["snat"], j
' "$T_TMP/j"
ft -j -f 'proto ip-proto-253' >"$T_TMP/j" 2>/dev/null
t_check "-j generic: proto ip-proto-253, addresses only, UNREPLIED" \
	"$T_PYTHON" -c '
import json, sys
j = json.loads(open(sys.argv[1]).readline())
assert j["proto"] == "ip-proto-253" and j["l4proto"] == 253, j
assert j["orig"] == {"src": "192.0.2.6", "dst": "198.51.100.6"}, j
assert j["state"] == "UNREPLIED" and "icmp" not in j, j
' "$T_TMP/j"

# -B: the protocol, the keys beside the addresses (none for key 0).
ft -B -O -s >"$T_TMP/b" 2>&1
t_check "-B: GRE source and destination with their keys" \
	grep -qE '^- +gre +ipv4 +UNREPLIED +192\.0\.2\.1 key 0x10 +198\.51\.100\.1 key 0x20 ' \
	"$T_TMP/b"
t_check "-B: a plain GRE tunnel (keys 0) shows no key" \
	grep -qE ' 192\.0\.2\.2 +198\.51\.100\.2 ' "$T_TMP/b"
t_check "-B: ESP over IPv6, addresses alone" \
	grep -qE '^- +esp +ipv6 +UNREPLIED +2001:db8::3 +2001:db8:1::3 ' \
	"$T_TMP/b"
t_check "-B: 6in4 and ip-proto-253 by name" \
	sh -c "grep -q '^- *6in4 ' '$T_TMP/b' &&
	       grep -q '^- *ip-proto-253 ' '$T_TMP/b'"

# --- the screen ---------------------------------------------------------

S=proto_ui
tmux_start "$S" 160 40 "$NS" --no-config -n -G -t 0.5
tmux_expect "screen: the TCP flow at start" "$S" '198\.51\.100\.7:443' 6
tmux_expect "screen: header has 'other' off" "$S" 'sctp other'
tmux_expect_not "screen: no GRE before 'O'" "$S" 'gre4' 1
tmux_key "$S" O
tmux_expect "O: GRE with its key" "$S" 'gre4 .*198\.51\.100\.1 key 0x20'
tmux_expect "O: GRE over IPv6, both keys" "$S" \
	'gre6 .*2001:db8:1::1 key 0xfffe'
tmux_expect "O: ESP over IPv6" "$S" 'esp6 .*2001:db8:1::3'
tmux_expect "O: AH, 6in4 and ip-proto-253" "$S" 'ip-proto-253/v4'
tmux_expect "O: header says OTHER" "$S" 'SCTP? OTHER|sctp OTHER'
tmux_key "$S" /
tmux_key "$S" -l 'key 0x10'
tmux_key "$S" Enter
tmux_expect "filter 'key 0x10': only that GRE flow" "$S" 'Flows 1/'
tmux_key "$S" Enter
tmux_expect "details: the GRE keys both ways" "$S" \
	'GRE keys +0x10 -> 0x20, reply 0x20 -> 0x10'
tmux_key "$S" Escape
tmux_key "$S" /
tmux_key "$S" C-u
tmux_key "$S" -l 'proto ip-proto-253'
tmux_key "$S" Enter
tmux_expect "filter 'proto ip-proto-253': one flow" "$S" 'Flows 1/'
tmux_key "$S" Enter
tmux_expect "details: tracked by addresses only" "$S" \
	'Tracked by +addresses only: IP protocol 253'
tmux_key "$S" Escape
tmux_key "$S" d
tmux_expect "d asks before deleting" "$S" 'Delete conntrack entry\?'
tmux_key "$S" y
gone253() {
	! ct -L -p 253 2>/dev/null | grep -q 192.0.2.6
}
t_check "d y: the generic entry is gone from conntrack -L" \
	t_wait_for 5 gone253
tmux_key "$S" Escape
tmux_key "$S" O
tmux_expect_not "O again hides the other protocols" "$S" 'gre4' 4
tmux_quit "$S"
t_check "flowtop exited 0" grep -qx 0 "$T_TMP/$S.rc"
t_done
