#!/bin/bash
# owners.sh: each local flow shows the process, PID and user that own its
# socket, in agreement with ss -tunp; two sockets on one local port owned
# by two processes are told apart; the Processes view adds them up.
. "$(dirname "$0")/../lib.sh"
t_init owners
t_require_root
t_require ss tmux "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
# A copy: nobody cannot read the checkout if it is under /root.
SP="$T_PYTHON $(t_public tests/tools/sockproc.py)"
t_ns owners NS
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
t_nsexec "$NS" ip addr add 192.0.2.2/24 dev lo
t_nsexec "$NS" ip addr add 2001:db8::1/64 dev lo nodad

# Test processes of user nobody write their ready files here.
mkdir -m 1777 "$T_TMP/r"

start() {	# user comm action args...
	local user=$1 comm=$2
	shift 2
	t_bg ip netns exec "$NS" setpriv --reuid="$user" --regid="$user" \
		--clear-groups $SP "$comm" "$T_TMP/r/$comm.ready" "$@"
	t_wait_for 10 test -s "$T_TMP/r/$comm.ready" ||
		t_fail "$comm did not start"
}
start 0 ft_srv4 tcp-listen 192.0.2.1 5000
start 0 ft_srv4b tcp-listen 192.0.2.2 5001
start 0 ft_srv6 tcp-listen 2001:db8::1 5000
start 0 ft_usrv udp-bind 192.0.2.1 6000 0
start 0 ft_usrvb udp-bind 192.0.2.2 6001 0
# Two TCP clients on the same local port 5020, to two servers; two UDP
# sockets on local port 6020 likewise (port sharing needs one uid); one
# client of user nobody.
start 0 ft_client_a tcp-connect 192.0.2.1 5000 192.0.2.1 5020
start 0 ft_client_b tcp-connect 192.0.2.2 5001 192.0.2.1 5020
start 65534 ft_client_n tcp-connect 192.0.2.1 5000
start 0 ft_client_6 tcp-connect 2001:db8::1 5000
start 0 ft_udp_a udp-connect 192.0.2.1 6000 192.0.2.1 6020
start 0 ft_udp_b udp-connect 192.0.2.2 6001 192.0.2.1 6020
start 0 ft_udp_6 udp-connect 2001:db8::1 6000

t_nsexec "$NS" ss -tunpH >"$T_TMP/ss.txt"
t_nsexec "$NS" "$FT" -j -46TU -A -n -G -t 0.5 >"$T_TMP/flows.json"

cat >"$T_TMP/check.py" <<'EOF'
import json, re, sys
ss = {}
for line in open(sys.argv[1]):
    w = line.split()
    if len(w) < 7:
        continue
    m = re.search(r'\("([^"]+)",pid=(\d+)', line)
    if not m:
        continue
    def split(ep):
        a, p = ep.rsplit(":", 1)
        return a.strip("[]").split("%")[0], int(p)
    la, lp = split(w[4]); ra, rp = split(w[5])
    proto = "tcp" if w[0] == "tcp" else "udp"
    ss[(proto, la, lp, ra, rp)] = (m.group(1), int(m.group(2)))
want_users = {"ft_client_n": "nobody"}
checked, bad, comms = 0, 0, set()
for line in open(sys.argv[2]):
    f = json.loads(line)
    o = f["orig"]
    if f["direction"] != "out" or "sport" not in o:
        continue
    key = (f["proto"], o["src"], o["sport"], o["dst"], o["dport"])
    if key not in ss:
        continue
    name, pid = ss[key]
    checked += 1
    comms.add(name)
    if f["process"] != name or f["pid"] != pid:
        print("wrong owner:", key, "flowtop", f["process"], f["pid"], "ss", name, pid)
        bad += 1
    if f["user"] != want_users.get(name, "root"):
        print("wrong user:", key, f["user"])
        bad += 1
need = {"ft_client_a", "ft_client_b", "ft_client_n", "ft_client_6",
        "ft_udp_a", "ft_udp_b", "ft_udp_6"}
if not need <= comms:
    print("not checked:", sorted(need - comms))
    bad += 1
print("owners: %d flows checked against ss, %d wrong" % (checked, bad))
sys.exit(1 if bad else 0)
EOF
t_check "every local client flow has the owner ss -tunp names" \
	"$T_PYTHON" "$T_TMP/check.py" "$T_TMP/ss.txt" "$T_TMP/flows.json"
a=$(grep '"process":"ft_client_a"' "$T_TMP/flows.json" | grep -c '"sport":5020')
b=$(grep '"process":"ft_client_b"' "$T_TMP/flows.json" | grep -c '"sport":5020')
t_check "local port 5020: one flow for each of the two processes" \
	test "$a" -eq 1 -a "$b" -eq 1
t_check "a flow of a process that is gone is not guessed" sh -c \
	"! grep '\"direction\":\"forward\"' '$T_TMP/flows.json' | grep -q '\"pid\":[0-9]'"

# The Processes view (TAB) adds them up (a tmux server of our own).
OS=ft_owners_$$
t_at_cleanup "tmux -L $OS kill-server 2>/dev/null"
tmux -L "$OS" -f /dev/null new-session -d -s "$OS" -x 200 -y 50 \
	"ip netns exec $NS $FT -46TU -A -n -G -t 0.5 --no-config"
t_wait_for 5 sh -c "tmux -L $OS capture-pane -p -t $OS | grep -q ft_client_a"
tmux -L "$OS" send-keys -t "$OS" Tab
sleep 1
tmux -L "$OS" capture-pane -p -t "$OS" >"$T_TMP/procs.txt"
tmux -L "$OS" kill-server
t_check "Processes view lists ft_client_a and ft_client_b" sh -c \
	"grep -q ft_client_a '$T_TMP/procs.txt' && grep -q ft_client_b '$T_TMP/procs.txt'"
t_check "Processes view shows user nobody for ft_client_n" sh -c \
	"grep ft_client_n '$T_TMP/procs.txt' | grep -q nobody"
t_done
