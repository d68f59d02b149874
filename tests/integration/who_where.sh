#!/bin/bash
# who_where.sh: GeoIP and reverse DNS in flowtop itself.
#
# GeoIP from .mmdb files this test writes (a city and an ASN database):
# country, city and AS on each flow, the filter and sort by country, the
# Remote view by country, -G, a missing and a corrupt database.
# DNS through the namespace's own hosts file and resolv.conf, with a DNS
# server on the namespace's loopback that answers in 5 s or never: names
# appear, and the screen keeps its interval and answers keys at once
# (measured by the screen's own frame and key logs).
. "$(dirname "$0")/../lib.sh"
t_init who_where
t_require_root
t_require tmux "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
t_ns ww NS
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
t_ct "$NS" add --proto tcp --family 4 --count 20 >/dev/null
t_ct "$NS" add --proto tcp --family 4 --start 62500 --count 10 >/dev/null
t_ct "$NS" add --proto tcp --family 6 --count 5 >/dev/null

# --- GeoIP ---------------------------------------------------------------
t_confdir
cat >"$T_TMP/city.json" <<'EOF'
{"ip_version": 6, "database_type": "GeoIP2-City", "languages": ["en"],
 "networks": {
  "198.51.100.0/24": {"country": {"iso_code": "DE", "names": {"en": "Germany"}},
                      "city": {"names": {"en": "Berlin"}}},
  "203.0.113.0/24": {"country": {"iso_code": "JP", "names": {"en": "Japan"}},
                     "city": {"names": {"en": "Tokyo"}}},
  "2001:db8:2::/48": {"country": {"iso_code": "FR", "names": {"en": "France"}},
                      "city": {"names": {"en": "Paris"}}}}}
EOF
cat >"$T_TMP/asn.json" <<'EOF'
{"ip_version": 6, "database_type": "GeoLite2-ASN",
 "networks": {"198.51.100.0/24": {"autonomous_system_number": 64500,
                                  "autonomous_system_organization": "Example Net"}}}
EOF
"$T_PYTHON" tests/tools/mkmmdb.py "$T_TMP/city.json" "$G/test-city.mmdb" &&
"$T_PYTHON" tests/tools/mkmmdb.py "$T_TMP/asn.json" "$G/test-asn.mmdb" ||
	t_fail "mkmmdb.py could not write the test databases"

ftj() { t_nsexec "$NS" "$FT" -j -46T -A -n -t 0.3 --no-config \
	--confdir "$CD" "$@"; }
ftj >"$T_TMP/geo.json"
cat >"$T_TMP/geo.py" <<'EOF'
import json, sys
want = {"198.51.100.": ("DE", "Germany", "Berlin", 64500, "Example Net"),
        "203.0.113.": ("JP", "Japan", "Tokyo", None, None),
        "2001:db8:2::": ("FR", "France", "Paris", None, None)}
n, bad = 0, 0
for f in map(json.loads, open(sys.argv[1])):
    for pre, w in want.items():
        if f["orig"]["dst"].startswith(pre):
            g = f["geo_dst"] or {}
            got = (g.get("cc"), g.get("country"), g.get("city"), g.get("asn"), g.get("org"))
            n += 1
            if got != w:
                bad += 1
                print("wrong:", f["orig"]["dst"], got, "want", w)
print("geo: %d flows checked, %d wrong" % (n, bad))
sys.exit(1 if bad or n != 35 else 0)
EOF
t_check "every flow has its country, city and AS from the databases" \
	"$T_PYTHON" "$T_TMP/geo.py" "$T_TMP/geo.json"
if command -v mmdblookup >/dev/null; then
	t_check "mmdblookup agrees on 203.0.113.9 (Tokyo)" sh -c "mmdblookup \
		--file '$G/test-city.mmdb' --ip 203.0.113.9 city names en | \
		grep -q Tokyo"
fi
t_check "-f 'country DE': the 20 flows to Germany" test \
	"$(ftj -f 'country DE' | grep -c .)" -eq 20
t_check "-f 'country Japan or city Paris': 15 flows" test \
	"$(ftj -f 'country Japan or city Paris' | grep -c .)" -eq 15
ftj -o country | grep -o '"geo_dst":{"cc":"[A-Z]*"' | uniq | \
	sed 's/.*"\([A-Z]*\)"$/\1/' | tr '\n' ' ' >"$T_TMP/order.txt"
t_check "-o country: DE, then FR, then JP ($(cat "$T_TMP/order.txt"))" \
	test "$(cat "$T_TMP/order.txt")" = "DE FR JP "
ftj -G >"$T_TMP/nogeo.json"
t_check "-G: no GeoIP at all" sh -c "! grep -q '\"cc\"' '$T_TMP/nogeo.json'"

# A corrupt file next to the good ones is skipped; no database at all
# leaves GEO empty and says so in the status line.
head -c 3000 /dev/urandom >"$G/broken.mmdb"
ftj >"$T_TMP/geo2.json"
t_check "a corrupt .mmdb beside good ones: lookups go on" \
	"$T_PYTHON" "$T_TMP/geo.py" "$T_TMP/geo2.json"
rm -f "$G/broken.mmdb"

TS=ft_ww_$$
t_at_cleanup "tmux -L $TS kill-server 2>/dev/null"
tmux -L "$TS" new-session -d -x 120 -y 30 -s s \
	"ip netns exec $NS $FT -46T -A -n -t 0.5 --no-config --confdir $CD"
t_wait_for 5 sh -c "tmux -L $TS capture-pane -p -t s | grep -q 198.51.100"
tmux -L "$TS" send-keys -t s Tab Tab
sleep 0.7
tmux -L "$TS" capture-pane -p -t s >"$T_TMP/remote.txt"
if ! grep -q Germany "$T_TMP/remote.txt"; then
	tmux -L "$TS" send-keys -t s c
	sleep 0.7
	tmux -L "$TS" capture-pane -p -t s >"$T_TMP/remote.txt"
fi
t_check "Remote view by country lists Germany, France and Japan" sh -c \
	"grep -q Germany '$T_TMP/remote.txt' && grep -q France '$T_TMP/remote.txt' \
	&& grep -q Japan '$T_TMP/remote.txt'"
tmux -L "$TS" send-keys -t s q
sleep 0.3

mkdir -p "$T_TMP/empty"
printf 'nodefaultdirs\ndir %s\n' "$T_TMP/empty" >"$CD/geoip.conf"
ftj >"$T_TMP/nodb.json"
t_check "no database: flows still listed, GEO empty" sh -c \
	"test \$(grep -c . '$T_TMP/nodb.json') -eq 35 && \
	! grep -q '\"cc\"' '$T_TMP/nodb.json'"
tmux -L "$TS" new-session -d -x 120 -y 30 -s s2 \
	"ip netns exec $NS $FT -46T -A -n -t 0.5 --no-config --confdir $CD"
t_wait_for 5 sh -c "tmux -L $TS capture-pane -p -t s2 | grep -q 198.51.100"
t_check "no database: a one-line hint in the status line" sh -c \
	"tmux -L $TS capture-pane -p -t s2 | grep -qi 'geoip'"
tmux -L "$TS" send-keys -t s2 q

# --- reverse DNS ---------------------------------------------------------
t_netns_etc "$NS" || exit 1
cat >"/etc/netns/$NS/hosts" <<'EOF'
127.0.0.1 localhost
198.51.100.1 alpha.example
EOF
printf 'nameserver 127.0.0.1\noptions timeout:8 attempts:1\n' \
	>"/etc/netns/$NS/resolv.conf"
# 203.0.113.1 answers after 5 s; 192.0.2.2 and .3 never (each holds a
# lookup worker for the resolver's 8 s); the rest at once, NXDOMAIN.
t_bg ip netns exec "$NS" "$T_PYTHON" tests/tools/fakedns.py \
	--listen 127.0.0.1:53 --ready "$T_TMP/dns.ready" --default nxdomain \
	192.0.2.2=drop 192.0.2.3=drop \
	203.0.113.1=slow:5:slow.example >"$T_TMP/dns.log" 2>&1
t_wait_for 10 test -s "$T_TMP/dns.ready" || t_fail "fakedns did not start"

rm -f "$T_TMP/frames" "$T_TMP/keys"
tmux -L "$TS" new-session -d -x 160 -y 50 -s d \
	"ip netns exec $NS env FLOWTOP_FRAME_LOG=$T_TMP/frames \
	FLOWTOP_KEY_LOG=$T_TMP/keys $FT -46T -A -s -G -t 0.5 --no-config \
	--confdir $CD"
t_check "the hosts file's name shows" t_wait_for 5 sh -c \
	"tmux -L $TS capture-pane -p -t d | grep -q alpha.example"
# Keys while lookups hang: j/k move the cursor, each one timed.
for _ in $(seq 1 20); do
	tmux -L "$TS" send-keys -t d j
	sleep 0.15
	tmux -L "$TS" send-keys -t d k
	sleep 0.15
done
t_check "the slow (5 s) answer shows when it comes" t_wait_for 8 sh -c \
	"tmux -L $TS capture-pane -p -t d | grep -q slow.example"
t_check "addresses that never resolve stay numeric" sh -c \
	"tmux -L $TS capture-pane -p -t d | grep -q '192.0.2.2:'"
sleep 1
tmux -L "$TS" send-keys -t d q
sleep 0.5
cat >"$T_TMP/gaps.py" <<'EOF'
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.strip()]
gaps = [b - a for a, b in zip(t[2:], t[3:])]
keys = sorted(float(l) for l in open(sys.argv[2]) if l.strip())
print("frames %d, gap max %.0f ms, mean %.0f ms; keys %d, max %.1f ms" % (
    len(t), max(gaps), sum(gaps) / len(gaps), len(keys), keys[-1]))
sys.exit(0 if len(t) > 12 and max(gaps) < 900 and len(keys) >= 30
         and keys[-1] < 100 else 1)
EOF
t_check "while lookups hang: refresh every 0.5 s (gap < 0.9 s), keys < 100 ms" \
	"$T_PYTHON" "$T_TMP/gaps.py" "$T_TMP/frames" "$T_TMP/keys"
t_done
