#!/bin/bash
# first_screen.sh: the first screen shows the busiest flows.  Three busy
# UDP flows (tests/tools/pace), then 10,000 idle SCTP entries made after
# them (so that before any rate is known, newest first, they sort on
# top): once rates are known a busy flow is on the first line, at 80x24
# and 200x50, and stays there while the cursor is not moved.  Once the
# user moves the cursor, its flow stays under it and in view.
. "$(dirname "$0")/../lib.sh"
t_init first_screen
t_require_root
t_require tmux "$T_PYTHON"
. "$(dirname "$0")/../tmux.sh"
tmux_init

PACE=$T_BUILD/tools/pace
if [ ! -x "$PACE" ]; then
	t_fail "no $PACE: make tools"
	t_done
fi
t_ns first NS
t_nsexec "$NS" ip addr add 192.0.2.1/24 dev lo
# Timestamps on, so the idle entries are the newest; counters on.
t_nsexec "$NS" sh -c "echo 1 >/proc/sys/net/netfilter/nf_conntrack_acct;
	echo 1 >/proc/sys/net/netfilter/nf_conntrack_timestamp"
for p in 7001 7002 7003; do
	t_bg ip netns exec "$NS" "$PACE" echo 192.0.2.1 "$p" 5
	t_bg ip netns exec "$NS" "$PACE" send 192.0.2.1 "$p" 50000 120 500
done
sleep 1
t_ct "$NS" add --proto sctp --family 4 --count 10000 \
	--state COOKIE_ECHOED >/dev/null || t_fail "ct_inject 10,000 entries"

# first_busy S: the first flow line (line 3) is one of the paced flows,
# with a rate.
first_busy() {
	tmux_cap "$1" | sed -n 3p | grep -qE '192\.0\.2\.1:700[123]'
}

# The line with the cursor (reverse video: NO_COLOR below) in the
# screen's escape codes, and its number.
cat >"$T_TMP/cursor.py" <<'PY'
# tmux writes only changes of attributes: keep the state across lines.
import re, sys
rev = False
for n, line in enumerate(sys.stdin, 1):
    first = None
    for m in re.finditer(r"\x1b\[([0-9;]*)m|([^\x1b\n])", line):
        if m.group(2) is not None:
            if first is None:
                first = rev
            continue
        for c in (m.group(1) or "0").split(";"):
            c = int(c or 0)
            if c in (0, 27):
                rev = False
            elif c == 7:
                rev = True
    if n > 2 and first:	# lines 1-2: the header and the titles
        print(n, re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip())
        break
PY
cursor_line() {
	tm capture-pane -e -p -t "$1" | "$T_PYTHON" "$T_TMP/cursor.py"
}
cursor_on_top() {	# S: the cursor is on line 3, the first flow
	cursor_line "$1" | grep -q '^3 '
}
cursor_on() {		# S TEXT: the cursor's line has TEXT
	cursor_line "$1" | grep -qF -- "$2"
}
TMUX_ENV=NO_COLOR=1

for size in 80x24 200x50; do
	s=s$size
	tmux_start "$s" "${size%x*}" "${size#*x}" "$NS" -US -n -G --no-config
	tmux_expect "$size: 10,000 flows read" "$s" 'Flows 100[0-9][0-9]' 10
	t_check "$size: a busy flow on the first line once rates are known" \
		t_wait_for 8 first_busy "$s"
	sleep 3
	t_check "$size: ... and 3 s later still (cursor not moved)" \
		first_busy "$s"
	t_check "$size: the cursor is on the first line" cursor_on_top "$s"
	tmux_quit "$s"
done

# Moved: the cursor's flow stays under it, on screen, as it moves.
s=smoved
tmux_start "$s" 80 24 "$NS" -US -n -G --no-config
t_wait_for 8 first_busy "$s"
tmux_key "$s" j j j j j
sleep 1
want=$(cursor_line "$s" | grep -oE '198\.51\.100\.[0-9]+:[0-9]+' | head -n 1)
t_check "moved: the cursor is on an idle flow ($want)" test -n "$want"
sleep 3
t_check "moved: 3 s later the cursor is still on $want" \
	cursor_on "$s" "$want"
tmux_key "$s" g
t_check "g: a busy flow on the first line again" t_wait_for 4 first_busy "$s"
tmux_quit "$s"
t_done
