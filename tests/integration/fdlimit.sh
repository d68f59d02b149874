#!/bin/bash
# fdlimit.sh: few file descriptors.
#
# In a fresh namespace, a process holds 200 TCP connections over
# loopback.  flowtop -j finds its process on all 200 flows; so it does
# under "ulimit -Sn 8" (the soft limit is raised to the hard one at
# start); under "ulimit -n 8" (both limits) the /proc walk cannot run:
# flowtop says so once on stderr, and on its screen's status line, rather
# than showing flows without processes in silence.
. "$(dirname "$0")/../lib.sh"
t_init fdlimit
t_require_root
t_require tmux "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
t_ns fdl NS
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
cat >"$T_TMP/socks.py" <<'EOF'
import socket, sys, time
s = socket.socket(); s.bind(("192.0.2.1", 0)); s.listen(1000)
keep = []
for i in range(int(sys.argv[1])):
    c = socket.create_connection(("192.0.2.1", s.getsockname()[1]))
    a, _ = s.accept()
    keep += [c, a]
open(sys.argv[2], "w").write("ready\n")
time.sleep(300)
EOF
t_bg ip netns exec "$NS" "$T_PYTHON" "$T_TMP/socks.py" 200 "$T_TMP/ready"
t_wait_for 20 test -s "$T_TMP/ready" || t_fail "the connections did not start"

run() {		# run NAME LIMIT: flowtop -j once under "ulimit LIMIT"
	bash -c "${2:+ulimit $2 &&} exec ip netns exec $NS $FT -j -T -A -n \
		-G -c 1 -t 0.3 --no-config" >"$T_TMP/$1.out" 2>"$T_TMP/$1.err"
}
owned() {	# owned NAME: flows of the run with a process
	grep -c '"pid":[1-9]' "$T_TMP/$1.out"
}
flows() {
	grep -c '^{' "$T_TMP/$1.out"
}

run plain ""
t_check "no limit: 200 flows, each with its process ($(owned plain))" \
	test "$(flows plain)/$(owned plain)" = 200/200
t_check "no limit: nothing on stderr" test ! -s "$T_TMP/plain.err"
run soft "-Sn 8"
t_check "ulimit -Sn 8: raised to the hard limit, 200 with a process" \
	test "$(flows soft)/$(owned soft)" = 200/200
t_check "ulimit -Sn 8: nothing on stderr" test ! -s "$T_TMP/soft.err"
run hard "-n 8"
t_check "ulimit -n 8: the 200 flows are still listed" test "$(flows hard)" = 200
t_check "ulimit -n 8: processes are missing ($(owned hard) found)" \
	test "$(owned hard)" -lt 200
t_check "ulimit -n 8: stderr says so, in one line" sh -c "\
	[ \$(grep -c . '$T_TMP/hard.err') = 1 ] && grep -q \
	'^flowtop: out of file descriptors (ulimit -n 8): some processes' \
	'$T_TMP/hard.err'"
bash -c "ulimit -n 8 && exec ip netns exec $NS $FT -j -T -A -n -G -c 3 \
	-t 0.3 --no-config" >/dev/null 2>"$T_TMP/three.err"
t_check "ulimit -n 8, three snapshots: said once" \
	test "$(grep -c 'out of file descriptors' "$T_TMP/three.err")" = 1

S=ft_fdl_$$
t_at_cleanup "tmux -L $S kill-server 2>/dev/null"
tmux -L "$S" -f /dev/null new-session -d -s "$S" -x 160 -y 30 \
	"ulimit -n 8; ip netns exec $NS $FT -T -A -n -G -t 0.5 --no-config \
	2>$T_TMP/screen.err; echo \$? >$T_TMP/screen.rc"
t_check "ulimit -n 8: the status line says so" t_wait_for 10 sh -c \
	"tmux -L $S capture-pane -p -t $S | grep -q 'out of file descriptors'"
tmux -L "$S" send-keys -t "$S" q
t_done
