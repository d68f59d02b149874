#!/bin/bash
# router.sh: a home router for real, and flowtop on it.
#
#   laptop (C1) --+
#                 br-lan  ROUTER (R, masquerade)  wan --- SERVER (S)
#   printer (C2) -+
#
# Two client namespaces on a bridge in the router namespace, which
# masquerades IPv4 out of its WAN side to a server namespace (IPv6 is
# routed, as at home).  A dnsmasq-format leases file names the laptop; the
# printer is not in it, so only the neighbour table (made by real traffic)
# knows its MAC, and the router namespace's hosts file (ip netns exec
# bind-mounts /etc/netns/R/hosts) gives its reverse DNS name.  flowtop runs
# in the router namespace: the Devices view names both clients with their
# flows and bytes, Enter lists one device's flows, the Flows view shows the
# inside source of forwarded flows; on the screen under tmux and with -B
# and -j.
. "$(dirname "$0")/../lib.sh"
t_init router
t_require_root
t_require tmux nft "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP" 2>/dev/null)
PEER=$T_ROOT/tests/tools/lan_peer.py
if [ ! -x "$FT" ]; then
	t_fail "no $T_FLOWTOP: build it (make)"
	t_done
fi
MAC1=02:66:74:00:00:0a
MAC2=02:66:74:00:00:14

t_ns rt R
t_ns c1 C1
t_ns c2 C2
t_ns srv S

# The LAN: a bridge in R, one veth per client.
t_nsexec "$R" ip link add br-lan type bridge
i=0
for pair in "$C1 $MAC1 192.0.2.10 2001:db8:1::10" \
	    "$C2 $MAC2 192.0.2.20 2001:db8:1::20"; do
	set -- $pair
	i=$((i + 1))
	ip -n "$R" link add "lan$i" type veth peer name eth0 netns "$1" ||
		t_fail "veth for client $i"
	ip -n "$R" link set "lan$i" master br-lan up
	ip -n "$1" link set eth0 address "$2" up
	ip -n "$1" addr add "$3/24" dev eth0
	ip -n "$1" addr add "$4/64" dev eth0 nodad
	ip -n "$1" route add default via 192.0.2.1
	ip -n "$1" -6 route add default via 2001:db8:1::1
done
t_nsexec "$R" ip addr add 192.0.2.1/24 dev br-lan
t_nsexec "$R" ip addr add 2001:db8:1::1/64 dev br-lan nodad
t_nsexec "$R" ip link set br-lan up
# The WAN.
t_veth "$R" "$S" 198.51.100.1/24 198.51.100.2/24 \
	2001:db8:2::1/64 2001:db8:2::2/64
WAN=$T_VETH
t_nsexec "$S" ip -6 route add 2001:db8:1::/64 via 2001:db8:2::1
t_nsexec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
t_nsexec "$R" nft -f - <<EOF || t_fail "masquerade rules"
table ip ftnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$WAN" masquerade
	}
}
EOF

# dnsmasq's format: expiry MAC IP hostname client-id; then the DHCPv6
# part: "duid SERVER-DUID", expiry IAID IPv6 hostname client-duid.
LEASES=$T_TMP/dnsmasq.leases
cat >"$LEASES" <<EOF
$(( $(date +%s) + 3600 )) $MAC1 192.0.2.10 laptop 01:$MAC1
0 02:66:74:00:00:99 192.0.2.99 * *
duid 00:01:00:01:2c:5f:aa:bb:02:66:74:00:00:01
$(( $(date +%s) + 3600 )) 12345 2001:db8:1::99 tablet 00:01:00:01:aa
EOF
chmod 644 "$LEASES"
# Reverse DNS of the router namespace: its own hosts file.
t_netns_etc "$R" || exit 1
printf '192.0.2.20 printer.lan\n2001:db8:1::20 printer.lan\n' \
	>"/etc/netns/$R/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
	>"/etc/netns/$R/resolv.conf"

# Counters from the first packet on (flowtop would switch them on only
# when it starts, after the transfers).
t_nsexec "$R" sysctl -qw net.netfilter.nf_conntrack_acct=1

# Real traffic through the router: the laptop fetches 300 kB over IPv4
# and 100 kB over IPv6, the printer sends 200 kB over IPv4.
t_bg ip netns exec "$S" "$T_PYTHON" "$PEER" serve 198.51.100.2 8080 \
	"$T_TMP/srv4.ready"
t_bg ip netns exec "$S" "$T_PYTHON" "$PEER" serve 2001:db8:2::2 8080 \
	"$T_TMP/srv6.ready"
t_wait_for 5 test -s "$T_TMP/srv4.ready" -a -s "$T_TMP/srv6.ready" ||
	t_fail "the server did not start"
fetch() {	# NS ADDR SEND RECV TAG
	t_bg ip netns exec "$1" "$T_PYTHON" "$PEER" fetch "$2" 8080 "$3" "$4" \
		"$T_TMP/$5.ready"
}
fetch "$C1" 198.51.100.2 1000 300000 c1v4
fetch "$C1" 2001:db8:2::2 1000 100000 c1v6
fetch "$C2" 198.51.100.2 200000 100 c2v4
for t in c1v4 c1v6 c2v4; do
	t_wait_for 10 test -s "$T_TMP/$t.ready" ||
		t_fail "client transfer $t did not finish"
done
t_check "the router's neighbour table has both clients' MACs" sh -c \
	"ip -n $R neigh show dev br-lan | grep -q $MAC1 &&
	 ip -n $R neigh show dev br-lan | grep -q $MAC2"
t_check "the router masquerades: the server sees 198.51.100.1" sh -c \
	"ip netns exec $S ss -tn | grep -q 198.51.100.1"

ftr() { t_nsexec "$R" "$FT" --no-config -t 0.3 -G --leases "$LEASES" "$@"; }

# --- -j: each forwarded flow names its device ----------------------------
ftr -j -46 >"$T_TMP/flows.json"
cat >"$T_TMP/device.py" <<'EOF'
import json, sys
want = {  # inside source -> (mac, name from the leases, reverse DNS)
    "192.0.2.10": (sys.argv[2], "laptop", None),
    "2001:db8:1::10": (sys.argv[2], "laptop", None),
    "192.0.2.20": (sys.argv[3], None, "printer.lan"),
}
seen = set()
for f in map(json.loads, open(sys.argv[1])):
    d = f.get("device")
    if f["direction"] != "forward" or f["orig"]["dport"] != 8080:
        continue
    src = f["orig"]["src"]
    got = d and (d["addr"], d["mac"], d["name"], d["dns"])
    exp = (src,) + want.get(src, ("?", "?", "?"))
    if got != exp:
        print("flow from", src, "device", got, "want", exp)
        sys.exit(1)
    seen.add(src)
print("devices seen:", sorted(seen))
sys.exit(0 if seen == set(want) else 1)
EOF
t_check "-j: the device of each forwarded flow (lease, MAC, DNS)" \
	"$T_PYTHON" "$T_TMP/device.py" "$T_TMP/flows.json" "$MAC1" "$MAC2"

# The leases file from the settings file instead of --leases.
printf 'leases=%s\n' "$LEASES" >"$T_TMP/flowtoprc"
t_nsexec "$R" "$FT" --config "$T_TMP/flowtoprc" -t 0.3 -G -j -4 \
	>"$T_TMP/rc.json"
t_check "leases= in the settings file names the laptop too" \
	grep -q '"device":{"addr":"192.0.2.10","mac":"'"$MAC1"'","name":"laptop"' \
	"$T_TMP/rc.json"

# --- -B: the DEVICE column, before NAT -----------------------------------
ftr -B -46 >"$T_TMP/flows.txt"
t_check "-B: a DEVICE column, before the last (NAT)" sh -c \
	"head -n 1 '$T_TMP/flows.txt' |
	 grep -q 'TIME  *OFFLOAD  *DEVICE  *NAT\$'"
t_check "-B: the laptop's two flows name it" test "$(grep -c \
	'8080 .* laptop ' "$T_TMP/flows.txt")" -eq 2
t_check "-B: the printer's flow by its reverse name" \
	grep -q '198.51.100.2:8080 .* printer.lan ' "$T_TMP/flows.txt"
ftr -B -46 -f "device $MAC1" >"$T_TMP/dev1.txt"
t_check "-f 'device MAC': the laptop's flows only" sh -c \
	"test \$(grep -c 8080 '$T_TMP/dev1.txt') -eq 2 &&
	 ! grep -q printer '$T_TMP/dev1.txt'"
t_check "-f 'device lap*': by the lease name" test \
	"$(ftr -B -46 -f 'device lap*' | grep -c ' laptop ')" -eq 2

# --- ages: older than flowtop, or seen from their start -------------------
# The transfers began before flowtop switched the kernel's timestamps on:
# their TIME counts from when flowtop first saw them, a lower bound ('+').
# An entry made while flowtop runs has the kernel's timestamp: no '+'.
t_check "-B: flows older than flowtop: TIME as a lower bound (N s+)" sh -c \
	"grep '8080 .* laptop ' '$T_TMP/flows.txt' | grep -c ' [0-9]*s+ ' |
	 grep -qx 2"
t_bg sh -c "ip netns exec '$R' '$FT' --no-config -t 0.5 -c 4 -G -n -B -4 -U \
	--leases '$LEASES' >/dev/null"
NEWPID=$T_BG_PID
sleep 0.6
t_ct "$R" add --proto udp --family 4 --start 77 >/dev/null ||
	t_fail "ct_inject add in the router"
t_wait_for 10 sh -c "! kill -0 $NEWPID 2>/dev/null"
wait "$NEWPID" 2>/dev/null
t_nsexec "$R" "$FT" --no-config -t 0.3 -G -n -B -4 -TU -c 2 \
	>"$T_TMP/ages.txt"
t_check "-B: an entry made while flowtop runs: its TIME has no '+'" sh -c \
	"grep ':20077 ' '$T_TMP/ages.txt' | tail -n 1 | grep -q ' [0-9]*s  '"
t_check "-B: ... while the older transfers still have one" sh -c \
	"tail -n 3 '$T_TMP/ages.txt' | grep ':8080 ' | grep -c ' [0-9]*s+ ' |
	 grep -qx 2"

# --- the screen ------------------------------------------------------------
TS=ft_rt_$$
tm() { tmux -L "$TS" -f /dev/null "$@"; }
t_at_cleanup "tmux -L $TS kill-server 2>/dev/null"
tm start-server \; set-option -g exit-empty off
cap() { tm capture-pane -p -t "$1"; }
has() { cap "$1" | grep -qE -- "$2"; }
expect() {	# DESC SESSION REGEX
	if t_wait_for 5 has "$2" "$3"; then
		t_pass "$1"
	else
		t_fail "$1 (no /$3/ on the screen)"
		cap "$2" | sed 's/^/    | /'
	fi
}
start() {	# SESSION COLS ROWS ARGS...
	local s=$1 c=$2 r=$3

	shift 3
	tm new-session -d -s "$s" -x "$c" -y "$r" \
		"ip netns exec $R $FT --no-config -G -t 0.5 $*"
}
# Column N (1-based, blank-separated) of the screen line matching REGEX.
field() { cap "$1" | grep -E -- "$2" | head -n 1 | awk -v n="$3" '{ print $n }'; }

start s80 80 24 --leases "$LEASES"
expect "80x24: the Flows view names the laptop beside its destination" s80 \
	'laptop +198\.51\.100\.2:8080'
expect "80x24: ... and the printer by reverse DNS" s80 \
	'printer\.lan +198\.51\.100\.2:8080'
expect "80x24: the IPv6 flow names the laptop too (MAC of its lease)" s80 \
	'laptop +\[2001:db8:2::2\]:8080'
t_check "80x24: the header is one line, the column titles line 2" sh -c \
	"tm() { tmux -L $TS -f /dev/null \"\$@\"; }
	 tm capture-pane -p -t s80 | sed -n 1p | grep -q '^flowtop .*Flows' &&
	 tm capture-pane -p -t s80 | sed -n 2p | grep -q 'DEVICE'"
tm send-keys -t s80 L
expect "80x24: L opens the Devices view: two devices" s80 \
	'^flowtop .*Devices 2 '
expect "80x24: the laptop, 2 flows, its busiest remote" s80 \
	'^ +2 .* laptop +192\.0\.2\.10 \+ +198\.51\.100\.2'
expect "80x24: the printer, 1 flow" s80 \
	'^ +1 .* printer\.lan +192\.0\.2\.20 +198\.51\.100\.2'
# Bytes each way: TX is what the device sends.  The laptop fetched
# 400 kB (RX), the printer sent 200 kB (TX).
rx=$(field s80 'laptop' 8)$(field s80 'laptop' 9)
tx=$(field s80 'printer' 6)$(field s80 'printer' 7)
t_check "80x24: laptop RX ${rx} >= 390 KiB, printer TX ${tx} >= 195 KiB" \
	awk -v a="$rx" -v b="$tx" 'BEGIN { exit !(a ~ /KiB$/ && b ~ /KiB$/ &&
		a + 0 >= 390 && b + 0 >= 195) }'
# The busiest device is first, under the cursor: Enter lists its flows.
tm send-keys -t s80 Enter
expect "80x24: Enter on the laptop: its flows, by MAC" s80 \
	"filter: device $MAC1"
expect "80x24: ... both of them" s80 'Flows 2/'
t_check "80x24: ... and not the printer's" sh -c \
	"! tmux -L $TS capture-pane -p -t s80 | grep -q printer"
tm send-keys -t s80 Escape L Down Enter
expect "80x24: Enter on the printer (by MAC, no lease)" s80 \
	"filter: device $MAC2"
expect "80x24: ... its one flow" s80 'Flows 1/'
# A device by the first label of its reverse name, typed in the filter.
tm send-keys -t s80 Escape /
tm send-keys -t s80 -l 'device printer'
tm send-keys -t s80 Enter
expect "80x24: / device printer: the printer's flow" s80 'Flows 1/.*printer'
expect "80x24: ... it is the one shown" s80 'printer\.lan +198\.51\.100\.2'
tm send-keys -t s80 q

start s200 200 50 --leases "$LEASES"
tm send-keys -t s200 L
expect "200x50: Devices view with MACs" s200 \
	"laptop +192\.0\.2\.10 \+ +$MAC1 +198\.51\.100\.2"
expect "200x50: the printer's MAC from the neighbour table" s200 \
	"printer\.lan +192\.0\.2\.20 +$MAC2"
tm send-keys -t s200 q
# Without reverse DNS, the printer is known by its MAC only.
start n200 200 50 --leases "$LEASES" -n
tm send-keys -t n200 L
expect "-n: the printer named by its MAC (neighbour table only)" n200 \
	"^ +1 .* $MAC2 +192\.0\.2\.20 +$MAC2"
expect "-n: the laptop still by its lease" n200 'laptop +192\.0\.2\.10'
tm send-keys -t n200 q
# No leases file at all: the status line says so.
start nol 120 30 --leases "$T_TMP/none.leases"
tm send-keys -t nol L
expect "no leases file: the status line names it" nol \
	'leases .*none\.leases: No such file'
tm send-keys -t nol q

if [ -n "${ROUTER_SHELL:-}" ]; then
	# For debugging: ROUTER_SHELL=1 leaves a shell in the router.
	echo "router namespace: $R, leases: $LEASES"
	LEASES=$LEASES ip netns exec "$R" bash
fi

t_done
