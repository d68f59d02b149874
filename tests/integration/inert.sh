#!/bin/bash
# inert.sh: names with bidi and control characters are inert in -B and -j.
#
# In a fresh namespace, a process named "a" U+202E (right-to-left
# override) "b" holds a TCP connection to 198.51.100.1, whose reverse name
# (the namespace's hosts file) carries U+2066 and whose GeoIP city (a test
# database) carries U+202E and an escape.  -B must show '?' for each and
# hold no bidi, format or control byte at all; -j must carry the bidi
# controls as \u202e and \u2066 (the escape byte was made '?' when the
# name was read) and parse back to the same names; the screen shows '?'
# too.
. "$(dirname "$0")/../lib.sh"
t_init inert
t_require_root
t_require tmux "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
t_ns inert NS
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
t_nsexec "$NS" ip addr add 198.51.100.1/24 dev lo
t_netns_etc "$NS" || exit 1
printf '127.0.0.1 localhost\n198.51.100.1 x\342\201\246y.example\n' \
	>"/etc/netns/$NS/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
	>"/etc/netns/$NS/resolv.conf"

t_confdir
cat >"$T_TMP/city.json" <<'EOF'
{"ip_version": 6, "database_type": "GeoIP2-City", "languages": ["en"],
 "networks": {
  "198.51.100.0/24": {"country": {"iso_code": "DE", "names": {"en": "Germany"}},
                      "city": {"names": {"en": "Ber\u202elin\u001b[2J"}}}}}
EOF
"$T_PYTHON" tests/tools/mkmmdb.py "$T_TMP/city.json" "$G/city.mmdb" ||
	t_fail "mkmmdb.py"

cat >"$T_TMP/own.py" <<'EOF'
import ctypes, socket, sys, time
libc = ctypes.CDLL(None)
libc.prctl(15, b"a\xe2\x80\xaeb", 0, 0, 0)     # PR_SET_NAME
s = socket.socket(); s.bind(("198.51.100.1", 0)); s.listen()
c = socket.socket(); c.bind(("192.0.2.1", 0))
c.connect(("198.51.100.1", s.getsockname()[1])); a, _ = s.accept()
open(sys.argv[1], "w").write("ready\n")
time.sleep(120)
EOF
t_bg ip netns exec "$NS" "$T_PYTHON" "$T_TMP/own.py" "$T_TMP/ready"
t_wait_for 10 test -s "$T_TMP/ready" || t_fail "the process did not start"

ft() {
	t_nsexec "$NS" "$FT" -T -A -s -t 0.3 --no-config --confdir "$CD" \
		-f 'src 192.0.2.1' "$@"
}
ft -B >"$T_TMP/b.txt" 2>"$T_TMP/b.err"
ft -j >"$T_TMP/j.json" 2>"$T_TMP/j.err"

t_check "-B: the process shows as a?b" grep -q 'a?b/' "$T_TMP/b.txt"
t_check "-B: the city shows as Ber?lin?[2J" grep -q 'Ber?lin?\[2J' \
	"$T_TMP/b.txt"
t_check "-B: the host name shows as x?y.example" grep -q 'x?y\.example' \
	"$T_TMP/b.txt"
cat >"$T_TMP/bytes.py" <<'EOF'
import re, sys
t = open(sys.argv[1], encoding="utf-8", errors="strict").read()
bad = re.findall("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e"
                 "\u2060-\u206f\ufeff\u061c\u180e\ufff9-\ufffb]", t)
print("%d bidi, format or control characters" % len(bad))
sys.exit(1 if bad else 0)
EOF
t_check "-B: not one bidi, format or control character in the output" \
	"$T_PYTHON" "$T_TMP/bytes.py" "$T_TMP/b.txt"
t_check "-j: bidi controls escaped as \\u202e and \\u2066" sh -c \
	"grep -q 'a\\\\u202eb' '$T_TMP/j.json' && \
	 grep -q 'x\\\\u2066y.example' '$T_TMP/j.json' && \
	 grep -q 'Ber\\\\u202elin?\\[2J' '$T_TMP/j.json'"
t_check "-j: not one raw bidi, format or control character" \
	"$T_PYTHON" "$T_TMP/bytes.py" "$T_TMP/j.json"
cat >"$T_TMP/check_json.py" <<'EOF'
import json, sys
f = [json.loads(l) for l in open(sys.argv[1])]
f = [x for x in f if x["process"]]
ok = (f and f[0]["process"] == "a\u202eb" and
      "x\u2066y.example" in (f[0]["dst_name"], f[0]["src_name"]) and
      f[0]["geo_dst"]["city"] == "Ber\u202elin?[2J")
print(f[0]["process"].encode(), f[0]["dst_name"], f[0]["geo_dst"])
sys.exit(0 if ok else 1)
EOF
t_check "-j: parses back to the names (the escape byte was '?' already)" \
	"$T_PYTHON" "$T_TMP/check_json.py" "$T_TMP/j.json"

S=ft_inert_$$
t_at_cleanup "tmux -L $S kill-server 2>/dev/null"
tmux -L "$S" -f /dev/null new-session -d -s "$S" -x 200 -y 20 \
	"ip netns exec $NS $FT -T -A -s -t 0.5 --no-config --confdir $CD"
t_check "the screen: a?b as well" t_wait_for 10 sh -c \
	"tmux -L $S capture-pane -p -t $S | grep -q 'a?b'"
tmux -L "$S" send-keys -t "$S" q
t_done
