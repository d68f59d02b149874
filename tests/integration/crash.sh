#!/bin/bash
# crash.sh: flowtop killed by SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT
# puts the sysctls and the terminal back, then dies by that signal.
#
# In a fresh namespace with nf_conntrack_acct and _timestamp at 0, for each
# signal: the screen under tmux (the pane's shell runs stty -a before and
# after): the exit status is 128+signal, the sysctls are 0, stty -a is as
# before, tmux says the alternate screen is off and the cursor visible, and
# flowtop's last line names the signal; -j (no terminal): the sysctls are
# back, the process ended by the signal; with a core limit and a plain
# core_pattern, SIGSEGV leaves a core dump.  Then two instances: the crash
# of one leaves the other's sysctls on.
. "$(dirname "$0")/../lib.sh"
t_init crash
t_require_root
t_require tmux "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
SYSDIR=/proc/sys/net/netfilter
SESS=ft_crash_$$
tm() {
	tmux -L "$SESS" -f /dev/null "$@"
}
crash_cleanup() {
	tm kill-server 2>/dev/null
	[ -n "$TM_SOCKET" ] && rm -f "$TM_SOCKET"
}
tm start-server \; set-option -g exit-empty off
TM_SOCKET=$(tm display-message -p '#{socket_path}' 2>/dev/null)
trap 'rc=$?; crash_cleanup; (exit $rc); t__on_exit' EXIT

t_ns crash NS
INO=$(t_nsexec "$NS" stat -L -c %i /proc/self/ns/net)
t_nsexec "$NS" sh -c "echo 0 > $SYSDIR/nf_conntrack_acct; \
	echo 0 > $SYSDIR/nf_conntrack_timestamp"
# A flow, so that the screen is drawn as usual.
t_ct "$NS" add --proto tcp --family 4 --count 3 >/dev/null ||
	t_fail "ct_inject"

both_are() {	# both_are V
	[ "$(t_nsexec "$NS" cat $SYSDIR/nf_conntrack_acct)" = "$1" ] &&
	[ "$(t_nsexec "$NS" cat $SYSDIR/nf_conntrack_timestamp)" = "$1" ]
}
ft_pid() {	# the flowtop running in the namespace
	ip netns pids "$NS" 2>/dev/null | head -n 1
}
signum() {
	kill -l "$1"
}
screen_has() {
	tm capture-pane -p -t "$1" | grep -q -- "$2"
}

# The driver waits for the child and prints how it ended, core included.
cat >"$T_TMP/wait.py" <<'EOF'
import os, signal, subprocess, sys, time
sig, ready, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                     stderr=open(ready + ".err", "w"))
t = time.time() + 10
while not os.path.exists(ready) and time.time() < t:
    time.sleep(0.05)
os.kill(p.pid, sig)
_, st = os.waitpid(p.pid, 0)
print("signal=%d core=%d" % (os.WTERMSIG(st) if os.WIFSIGNALED(st) else 0,
      1 if os.WCOREDUMP(st) else 0))
EOF

for sig in SEGV BUS FPE ILL ABRT; do
	n=$(signum "$sig")
	s=${SESS}_$sig
	# The screen: stty -a before and after, from the pane's own shell.
	tm new-session -d -s "$s" -x 100 -y 30 "stty -a >$T_TMP/$s.before; \
		ip netns exec $NS $FT -t 0.5 -n -G --no-config; \
		echo \$? >$T_TMP/$s.rc; \
		stty -a >$T_TMP/$s.after; sleep 600"
	if ! t_wait_for 8 screen_has "$s" '^flowtop '; then
		t_fail "SIG$sig: the screen did not start"
		continue
	fi
	t_wait_for 5 both_are 1
	t_check "SIG$sig: the screen is on the alternate screen" \
		test "$(tm display -p -t "$s" '#{alternate_on}')" = 1
	t_check "SIG$sig: the sysctls are on" both_are 1
	pid=$(ft_pid)
	kill -"$sig" "$pid"
	t_wait_for 5 test -s "$T_TMP/$s.after"
	t_check "SIG$sig: exit status 128+$n" \
		test "$(cat "$T_TMP/$s.rc" 2>/dev/null)" = $((128 + n))
	t_check "SIG$sig: sysctls back to 0" both_are 0
	t_check "SIG$sig: stty -a as before curses" \
		cmp "$T_TMP/$s.before" "$T_TMP/$s.after"
	t_check "SIG$sig: alternate screen off, cursor shown" test \
		"$(tm display -p -t "$s" '#{alternate_on}#{cursor_flag}')" = 01
	t_check "SIG$sig: says what happened, on the shell's screen" \
		screen_has "$s" "^flowtop: SIG$sig: the sysctls and the"
	tm kill-session -t "$s"

	# Batch: no terminal; the driver waits until the sysctls are on.
	rm -f "$T_TMP/ready"
	( t_wait_for 5 both_are 1 && touch "$T_TMP/ready" ) &
	out=$(cd "$T_TMP" && ulimit -c 0 && ip netns exec "$NS" \
		"$T_PYTHON" "$T_TMP/wait.py" "$n" "$T_TMP/ready" \
		"$FT" -j -c 0 -t 0.2 -n -G)
	wait
	t_check "-j, SIG$sig: died by the signal ($out)" \
		test "$out" = "signal=$n core=0"
	t_check "-j, SIG$sig: sysctls back to 0" both_are 0
	t_check "-j, SIG$sig: the message on stderr" grep -q \
		"^flowtop: SIG$sig: the sysctls" "$T_TMP/ready.err"
done

# A core dump stays possible; only where cores go to a plain file.
pattern=$(cat /proc/sys/kernel/core_pattern)
case $pattern in
core|core.%p|core.*)
	rm -f "$T_TMP/ready" "$T_TMP"/core*
	( t_wait_for 5 both_are 1 && touch "$T_TMP/ready" ) &
	out=$(cd "$T_TMP" && ulimit -c unlimited && ip netns exec "$NS" \
		"$T_PYTHON" "$T_TMP/wait.py" 11 "$T_TMP/ready" \
		"$FT" -j -c 0 -t 0.2 -n -G)
	wait
	t_check "SIGSEGV with a core limit: core dumped ($out)" \
		test "$out" = "signal=11 core=1"
	t_check "the core file is there" \
		sh -c "ls '$T_TMP' | grep -q '^core'"
	rm -f "$T_TMP"/core*
	t_check "sysctls back to 0 after the core dump" both_are 0 ;;
*)
	echo "NOTE: core_pattern is '$pattern': the core dump itself is" \
		"not checked here, only the status" ;;
esac

# Two instances: one crashes, the other keeps its counters.
t_bg sh -c "exec ip netns exec $NS $FT -j -c 0 -t 0.2 -n -G >/dev/null"
A=$T_BG_PID
t_wait_for 5 both_are 1
t_wait_for 5 grep -q "^pid=$A/" "/run/flowtop/netns-$INO"
t_bg sh -c "exec ip netns exec $NS $FT -j -c 0 -t 0.2 -n -G >/dev/null \
	2>$T_TMP/b.err"
B=$T_BG_PID
t_wait_for 5 grep -q "^pid=$B/" "/run/flowtop/netns-$INO"
# Waited for at once: bash would otherwise report the death on stderr.
kill -SEGV "$B"; wait "$B" 2>/dev/null
t_check "one of two crashes: the other's sysctls stay on" both_are 1
t_check "and the crashed one left the state file" \
	sh -c "! grep -q '^pid=$B/' /run/flowtop/netns-$INO"
kill -TERM "$A"
t_wait_for 5 both_are 0
t_check "the other quits: sysctls back to 0" both_are 0
t_done
