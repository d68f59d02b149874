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
mkdir -p "/etc/netns/$R"
t_at_cleanup "rm -rf /etc/netns/$R"
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

if [ -n "${ROUTER_SHELL:-}" ]; then
	# For debugging: ROUTER_SHELL=1 leaves a shell in the router.
	echo "router namespace: $R, leases: $LEASES"
	LEASES=$LEASES ip netns exec "$R" bash
fi

t_done
