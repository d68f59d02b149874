#!/bin/bash
# churn.sh: a table that turns over, with a long interval (-t 10) and an
# event socket small enough that the kernel drops events.
#
# 20,000 entries (ct_inject), then ct_churn replaces them at 5,000 new and
# 5,000 destroyed a second for 8 s, then everything left is deleted.  The
# screen (tmux) logs each refresh's counts (FLOWTOP_FRAME_LOG); checked:
# while churning, every refresh counts at most the kernel's entries plus
# those destroyed within a second (no closed or lost flow lingers for an
# interval); events were lost and resynced (the header's "lost events");
# a key still answers; once the kernel's table is empty, the screen says
# 0 flows and shows none within 5 s, half the interval.  No timing is
# asserted beyond these bounds, which a correct flowtop meets with
# seconds to spare.
. "$(dirname "$0")/../lib.sh"
t_init churn
t_require_root
t_require tmux

FT=$(realpath "$T_FLOWTOP" 2>/dev/null)
CHURN=$T_BUILD/tools/ct_churn
if [ ! -x "$FT" ] || [ ! -x "$T_CT_INJECT" ] || [ ! -x "$CHURN" ]; then
	t_fail "no $T_FLOWTOP, $T_CT_INJECT or $CHURN: make, make tools"
	t_done
fi
N=20000
RATE=5000
SECS=8
SESS=ft_churn_$$
FRAMES=$T_TMP/frames

tm() {
	tmux -L "$SESS" -f /dev/null "$@"
}
churn_cleanup() {
	tm kill-server 2>/dev/null
	[ -n "${TM_SOCKET:-}" ] && rm -f "$TM_SOCKET"
}
tm start-server \; set-option -g exit-empty off
TM_SOCKET=$(tm display-message -p '#{socket_path}' 2>/dev/null)
trap 'rc=$?; churn_cleanup; (exit $rc); t__on_exit' EXIT

t_ns churn NS
t_check "$N entries made" t_ct "$NS" add --proto tcp --family 4 --count "$N"

# The last refresh's counts: "SHOWN OPEN" (lines on the screen, closed
# ones too; open flows, the header's count).
last_frame() {
	tail -n 1 "$FRAMES" 2>/dev/null | awk '{ print $2, $3 }'
}
open_is() {
	[ "$(last_frame | awk '{ print $2 }')" = "$1" ]
}

tm new-session -d -s "$SESS" -x 160 -y 40 \
	"ip netns exec $NS env FLOWTOP_FRAME_LOG=$FRAMES \
	FLOWTOP_EVENT_RCVBUF=65536 $FT -t 10 -n -G --no-config"
t_wait_for 20 open_is "$N"
t_check "the screen counts all $N flows" open_is "$N"

: >"$FRAMES.mark"
wc -l <"$FRAMES" >"$FRAMES.start"
t_nsexec "$NS" "$CHURN" --seconds "$SECS" --count "$N" --rate "$RATE" \
	>"$T_TMP/churn.out" 2>"$T_TMP/churn.err" &
CHURN_PID=$!
sleep 3
tm send-keys -t "$SESS" r
t_wait_for 5 sh -c "tmux -L $SESS capture-pane -p -t $SESS | head -n 1 |
	grep -q 'rate asc'"
t_check "a key answers while the table turns over" sh -c \
	"tmux -L $SESS capture-pane -p -t $SESS | head -n 1 | grep -q 'rate asc'"
wait "$CHURN_PID"
t_check "ct_churn ran its $SECS s" grep -q "^churn: seconds=$SECS " \
	"$T_TMP/churn.out"
cat "$T_TMP/churn.err" >&2

# Refreshes during the churn: the kernel kept N entries (one made for
# each destroyed), so the screen may count N plus what was destroyed
# within the last second.
start=$(cat "$FRAMES.start")
tail -n +"$((start + 1))" "$FRAMES" >"$T_TMP/during"
refreshes=$(wc -l <"$T_TMP/during")
max_open=$(awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { print m }' \
	"$T_TMP/during")
echo "during churn: $refreshes refreshes, at most $max_open open flows" \
	"counted (kernel: $N, destroyed a second: $RATE)"
t_check "refreshed each second or so with -t 10 ($refreshes in ${SECS}+ s)" \
	test "$refreshes" -ge "$((SECS / 2))"
t_check "never more than the kernel's $N + $RATE destroyed a second" \
	test "$max_open" -le "$((N + RATE))"
t_check "the kernel dropped events and they were resynced" sh -c \
	"tmux -L $SESS capture-pane -p -t $SESS | head -n 1 |
	grep -q 'lost events [1-9]'"

first=$(sed -n 's/^churn: .* first=\([0-9]*\) .*/\1/p' "$T_TMP/churn.out")
left=$(sed -n 's/^churn: .* count=\([0-9]*\)$/\1/p' "$T_TMP/churn.out")
t_check "the $left entries left deleted" t_ct "$NS" del --proto tcp \
	--family 4 --start "${first:-0}" --count "${left:-0}"
t_check "the kernel's table is empty" sh -c \
	"[ \"\$(ip netns exec $NS $T_CT_INJECT count)\" = 0 ]"
gone() {
	[ "$(last_frame)" = "0 0" ]
}
t_wait_for 5 gone
t_check "within 5 s (-t 10): 0 flows counted and none shown" gone
last_frame
tm send-keys -t "$SESS" q
t_done
