#!/bin/bash
# beyond.sh: sort and filter on 10,000 flows (checked against an order
# computed here from conntrack -L), NAT seen from a router between a
# client and a server namespace, and -N watching another namespace.
. "$(dirname "$0")/../lib.sh"
t_init beyond
t_require_root
t_require conntrack nft "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")

# --- sort and filter on 10,000 synthetic flows ---------------------------
t_ns sort S
t_ct "$S" add --proto tcp --family 4 --count 4000 >/dev/null
t_ct "$S" add --proto udp --family 4 --start 4000 --count 3000 >/dev/null
t_ct "$S" add --proto tcp --family 6 --start 7000 --count 2000 \
	--state TIME_WAIT >/dev/null
# k >= 62500: destinations in 203.0.113.0/24 (ct_inject's formula)
t_ct "$S" add --proto sctp --family 4 --start 62500 --count 1000 >/dev/null
t_nsexec "$S" conntrack -L >"$T_TMP/s.ct" 2>/dev/null
t_check "10,000 entries made" test "$(grep -c . "$T_TMP/s.ct")" -eq 10000

cat >"$T_TMP/order.py" <<'EOF'
# order.py CT JSON KEY [reverse] [filter]: flowtop's order of KEY must be
# the order of the same table sorted here; the flows must be those the
# filter selects here.
import ipaddress, json, re, sys
ct_path, js_path, key = sys.argv[1:4]
rev = "reverse" in sys.argv[4:]
filt = [a for a in sys.argv[4:] if a != "reverse"]
filt = filt[0] if filt else None
ct = []
for line in open(ct_path):
    w = line.split()
    kv = re.findall(r"(\w+)=(\S+)", line)
    d = dict(kv[:4])
    d["proto"] = w[0]
    d["state"] = w[3] if w[0] in ("tcp", "sctp") else None
    ct.append(d)
def sel(d):
    if filt == "udp-not-port":
        return d["proto"] == "udp" and "24053" not in (d["dport"], d["sport"])
    if filt == "v6-timewait":
        return ":" in d["src"] and d["state"] == "TIME_WAIT"
    if filt == "net":
        return ipaddress.ip_address(d["dst"]) in ipaddress.ip_network("203.0.113.0/24")
    return d["proto"] == "tcp"      # no filter: what -T shows
def kf(d):
    if key == "port":
        return int(d["dport"])
    if key == "dst":
        a = ipaddress.ip_address(d["dst"])
        return (a.version, int(a))
    if key == "proto":
        return d["proto"]
want = sorted((kf(d) for d in ct if sel(d)), reverse=rev)
got = []
for line in open(js_path):
    f = json.loads(line)
    d = {"proto": f["proto"], "dst": f["orig"]["dst"], "dport": str(f["orig"].get("dport"))}
    got.append(kf(d))
ok = got == want and len(got) > 0
print("order %s%s%s: %d flows, %s" % (key, " reversed" if rev else "",
      " filter " + filt if filt else "", len(got),
      "same order" if ok else "DIFFERENT (first difference at %d)" %
      next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))))
sys.exit(0 if ok else 1)
EOF
ord() { "$T_PYTHON" "$T_TMP/order.py" "$T_TMP/s.ct" "$@"; }
t_nsexec "$S" "$FT" -j -T -A -n -G -t 0.3 -o port >"$T_TMP/o1.json"
t_check "-o port: TCP flows by port, as sorted here" ord "$T_TMP/o1.json" port
t_nsexec "$S" "$FT" -j -T -A -n -G -t 0.3 -o dst -r >"$T_TMP/o2.json"
t_check "-o dst -r: by destination, reversed" ord "$T_TMP/o2.json" dst reverse
t_nsexec "$S" "$FT" -j -U -A -n -G -t 0.3 -o port \
	-f 'proto udp and not port 24053' >"$T_TMP/o3.json"
t_check "-f 'proto udp and not port 24053' -o port" \
	ord "$T_TMP/o3.json" port udp-not-port
t_nsexec "$S" "$FT" -j -46TUS -A -n -G -t 0.3 -o port \
	-f 'ip6 and state TIME_WAIT' >"$T_TMP/o4.json"
t_check "-f 'ip6 and state TIME_WAIT'" ord "$T_TMP/o4.json" port v6-timewait
t_nsexec "$S" "$FT" -j -46TUS -A -n -G -t 0.3 -o dst \
	-f 'dst 203.0.113.0/24' >"$T_TMP/o5.json"
t_check "-f 'dst 203.0.113.0/24' -o dst" ord "$T_TMP/o5.json" dst net
t_nsexec "$S" "$FT" -B -46TUS -A -n -G -t 0.3 -f 'port 1' \
	>"$T_TMP/none.txt"
t_check "a filter matching nothing prints only the header" test \
	"$(grep -c . "$T_TMP/none.txt")" -eq 1

# Bytes: real flows of different sizes, largest first.
t_nsexec "$S" ip addr add 192.0.2.1/24 dev lo
t_nsexec "$S" sh -c 'echo 1 > /proc/sys/net/netfilter/nf_conntrack_acct'
cat >"$T_TMP/sizes.py" <<'EOF'
import socket, sys, time
s = socket.socket(); s.bind(("192.0.2.1", 7000)); s.listen(20)
keep = []
for n in (5000, 90000, 1000, 40000, 300000, 12000):
    c = socket.create_connection(("192.0.2.1", 7000)); x, _ = s.accept()
    c.sendall(b"z" * n); got = 0
    while got < n: got += len(x.recv(1 << 20))
    keep += [c, x]
open(sys.argv[1], "w").write("ok\n"); time.sleep(60)
EOF
t_bg ip netns exec "$S" "$T_PYTHON" "$T_TMP/sizes.py" "$T_TMP/sizes.ok"
t_wait_for 10 test -s "$T_TMP/sizes.ok"
t_nsexec "$S" "$FT" -j -T -A -n -G -t 0.3 -o bytes -f 'dport 7000' \
	>"$T_TMP/b.json"
t_check "-o bytes: biggest first (totals strictly descending)" \
	"$T_PYTHON" -c "
import json, sys
t = [f['bytes_orig'] + f['bytes_reply'] for f in map(json.loads, open('$T_TMP/b.json'))]
print(t); sys.exit(0 if len(t) == 6 and t == sorted(t, reverse=True) and len(set(t)) == 6 else 1)"

# --- NAT: client -> router (masquerade, and a port forward) -> server ---
t_ns cli C
t_ns rtr R
t_ns srv V
t_veth "$C" "$R" 192.0.2.2/24 192.0.2.1/24
t_veth "$R" "$V" 198.51.100.1/24 198.51.100.2/24
t_nsexec "$C" ip route add default via 192.0.2.1
t_nsexec "$R" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
t_nsexec "$R" nft -f - <<'EOF'
table ip nat {
	chain post {
		type nat hook postrouting priority 100;
		ip saddr 192.0.2.0/24 oifname != "lo" masquerade
	}
	chain pre {
		type nat hook prerouting priority -100;
		tcp dport 8080 dnat to 192.0.2.2:80
	}
}
EOF
cat >"$T_TMP/srv.py" <<'EOF'
import socket, sys, time
s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(5)
open(sys.argv[3], "w").write("up\n")
keep = []
while True:
    c, _ = s.accept(); c.sendall(b"hello"); keep.append(c)
EOF
t_bg ip netns exec "$V" "$T_PYTHON" "$T_TMP/srv.py" 198.51.100.2 443 "$T_TMP/v.up"
t_bg ip netns exec "$C" "$T_PYTHON" "$T_TMP/srv.py" 192.0.2.2 80 "$T_TMP/c.up"
t_wait_for 10 test -s "$T_TMP/v.up" -a -s "$T_TMP/c.up"
cat >"$T_TMP/cli.py" <<'EOF'
import socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
c.recv(10); open(sys.argv[3], "w").write("ok\n"); time.sleep(60)
EOF
# Inside to outside (SNAT by masquerade) and outside to inside (DNAT).
t_bg ip netns exec "$C" "$T_PYTHON" "$T_TMP/cli.py" 198.51.100.2 443 "$T_TMP/snat.ok"
t_bg ip netns exec "$V" "$T_PYTHON" "$T_TMP/cli.py" 198.51.100.1 8080 "$T_TMP/dnat.ok"
t_check "client reaches the server through the router" \
	t_wait_for 10 test -s "$T_TMP/snat.ok"
t_check "the port forward reaches the inside" \
	t_wait_for 10 test -s "$T_TMP/dnat.ok"
t_nsexec "$R" "$FT" -j -T -n -G -t 0.3 >"$T_TMP/nat.json"
t_nsexec "$R" "$FT" -B -T -n -G -t 0.3 -s >"$T_TMP/nat.txt"
t_check "router: the SNAT flow has the inside source and the translated one" \
	"$T_PYTHON" -c "
import json, sys
for f in map(json.loads, open('$T_TMP/nat.json')):
    o, r = f['orig'], f['reply']
    if o['src'] == '192.0.2.2' and o['dst'] == '198.51.100.2' and o['dport'] == 443:
        sys.exit(0 if f['snat'] and not f['dnat'] and r['dst'] == '198.51.100.1' else 1)
sys.exit(1)"
t_check "router: the DNAT flow has the public and the inside address" \
	"$T_PYTHON" -c "
import json, sys
for f in map(json.loads, open('$T_TMP/nat.json')):
    o, r = f['orig'], f['reply']
    if o['dst'] == '198.51.100.1' and o['dport'] == 8080:
        sys.exit(0 if f['dnat'] and r['src'] == '192.0.2.2' and r['sport'] == 80 else 1)
sys.exit(1)"
t_check "text: the SNAT flow shows both addresses" sh -c \
	"grep '192.0.2.2:' '$T_TMP/nat.txt' | grep '198.51.100.2:443' | \
	grep -q 'snat 198.51.100.1:'"
t_check "text: the DNAT flow shows where it really goes" sh -c \
	"grep '198.51.100.1:8080' '$T_TMP/nat.txt' | grep -q 'dnat 192.0.2.2:80'"
t_check "text: a 'nat' filter keeps only the two NAT flows" test "$(t_nsexec \
	"$R" "$FT" -j -T -n -G -t 0.3 -f nat | grep -c .)" -eq 2

# --- -N: watch another namespace ----------------------------------------
t_nsexec "$R" conntrack -L >"$T_TMP/r.ct" 2>/dev/null
"$FT" -j -46TUDIS -A -n -G -t 0.3 -N "$R" >"$T_TMP/n1.json" 2>"$T_TMP/n1.err"
t_check "-N NAME from the root namespace: exactly the router's table" \
	"$T_PYTHON" tests/tools/ct_compare.py "$T_TMP/n1.json" "$T_TMP/r.ct"
t_nsexec "$S" "$FT" -j -46TUDIS -A -n -G -t 0.3 -N "$R" >"$T_TMP/n2.json"
t_check "-N NAME from another namespace: the router's flows, none of its own" \
	"$T_PYTHON" tests/tools/ct_compare.py "$T_TMP/n2.json" "$T_TMP/r.ct"
t_bg ip netns exec "$R" sleep 120
t_wait_for 5 sh -c "ip netns pids $R | grep -q ."
rpid=$(ip netns pids "$R" | head -n 1)
if [ -n "$rpid" ]; then
	"$FT" -j -46TUDIS -A -n -G -t 0.3 -N "/proc/$rpid/ns/net" \
		>"$T_TMP/n3.json"
	t_check "-N /proc/PID/ns/net: the same table" \
		"$T_PYTHON" tests/tools/ct_compare.py "$T_TMP/n3.json" "$T_TMP/r.ct"
else
	t_fail "no process in the router namespace for the /proc path case"
fi
"$FT" -j -N ft_no_such_ns_$$ >/dev/null 2>"$T_TMP/n4.err"
t_check "-N with a missing namespace: exit 1 and a message" sh -c \
	"test $? -eq 1 && grep -q 'namespace' '$T_TMP/n4.err'"
t_done
