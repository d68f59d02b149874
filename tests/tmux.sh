# shellcheck shell=bash
# tests/tmux.sh: flowtop's screen under a tmux server of the test's own,
# for integration tests; source it after tests/lib.sh and t_init:
#
#   . "$(dirname "$0")/../tmux.sh"
#   tmux_init             a server named ft_<test>_<pid>, no user config,
#                         killed (socket removed) on every exit
#   tmux_start S COLS ROWS NS ARGS...
#                         flowtop ARGS in namespace NS in new session S;
#                         its exit status goes to $T_TMP/S.rc, its stderr
#                         to $T_TMP/S.err; $TMUX_ENV (e.g. VAR=x) goes into
#                         its environment
#   tmux_key S KEYS...    tmux send-keys
#   tmux_cap S            the screen's text
#   tmux_expect DESC S REGEX [SECS]      PASS when REGEX (grep -E) shows
#   tmux_expect_not DESC S REGEX [SECS]  PASS when it is gone
#                         (default 4 s; on failure the screen is printed)
#   tmux_quit S           q, then wait (bounded) for the session to end

T_TMUX=

tm() {
	tmux -L "$T_TMUX" -f /dev/null "$@"
}

tmux__cleanup() {
	local sock

	sock=$(tm display-message -p '#{socket_path}' 2>/dev/null)
	tm kill-server 2>/dev/null
	[ -n "$sock" ] && rm -f "$sock"
}

tmux_init() {
	T_TMUX=ft_${T_NAME}_$$
	tm start-server \; set-option -g exit-empty off
	trap 'rc=$?; tmux__cleanup; (exit $rc); t__on_exit' EXIT
}

tmux_start() {
	local s=$1 c=$2 r=$3 ns=$4 ft

	shift 4
	ft=$(realpath "$T_FLOWTOP")
	tm new-session -d -s "$s" -x "$c" -y "$r" \
		"env $TMUX_ENV ip netns exec $ns $ft $* 2>$T_TMP/$s.err; \
		echo \$? >$T_TMP/$s.rc"
}
TMUX_ENV=

tmux_key() {
	local s=$1

	shift
	tm send-keys -t "$s" "$@"
}

tmux_cap() {
	tm capture-pane -p -t "$1"
}

tmux__has() {
	tmux_cap "$1" | grep -q -E -- "$2"
}

tmux__lacks() {
	! tmux__has "$1" "$2"
}

tmux_expect() {
	if t_wait_for "${4:-4}" tmux__has "$2" "$3"; then
		t_pass "$1"
	else
		t_fail "$1 (no /$3/ on the screen)"
		tmux_cap "$2" | sed 's/^/    | /'
	fi
}

tmux_expect_not() {
	if t_wait_for "${4:-4}" tmux__lacks "$2" "$3"; then
		t_pass "$1"
	else
		t_fail "$1 (/$3/ still on the screen)"
		tmux_cap "$2" | sed 's/^/    | /'
	fi
}

tmux__gone() {
	! tm has-session -t "$1" 2>/dev/null
}

tmux_quit() {
	tmux_key "$1" q
	t_wait_for 5 tmux__gone "$1" || tm kill-session -t "$1" 2>/dev/null
}
