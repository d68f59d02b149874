#!/bin/bash
# quickstart.sh: README's quick start on a fresh Debian 12, as root.  The
# command line README.md gives after "Install what is missing, build, and
# start flowtop:" is read from README.md and run as it stands, in the
# copied tree, in a throwaway chroot of a minimal install (mmdebstrap's
# "important" variant, what debootstrap makes: no compiler, no -dev
# package), as root, on a terminal (tmux, TERM=screen), in a network
# namespace of the test's own (lo, and nft rules that need conntrack):
#
#   1. deps.sh installs what was missing (it names the packages; the
#      compiler, make and pkg-config were not there and are now); run
#      again, it has nothing left to install
#   2. ./configure and make: every module compiled, flowtop linked, no
#      compiler warning
#   3. flowtop draws its screen (the header, the column titles) and shows
#      a TCP flow the test makes on the namespace's loopback
#   4. q: the command line exits 0, the terminal's modes are as before,
#      the primary screen is back and the cursor shown, no flowtop left
#   5. "sh deps.sh --test", the second command's first part, exits 0 and
#      leaves nothing missing (make check itself needs more than a chroot)
#
# The namespace has only lo: apt reaches the mirror through an HTTP relay
# of the test's own (http_proxy=http://127.0.0.1:3142/ there), which
# connects from the machine's namespace to the mirror's hosts only.
# flowtop sees only that namespace's conntrack table and sysctls.
# Root, the mirror reachable (FT_DEB_MIRROR, FT_DEB_SECURITY: chroot.sh), a
# few minutes; FT_QS_WAIT (default 1800) bounds the seconds from the
# command's start to flowtop's screen.
# Usage: tests/quickstart.sh   (or make quickstart-check)
. "$(dirname "$0")/chroot.sh"
ch_private "$0" "$@"
. "$(dirname "$0")/lib.sh"
t_init quickstart
t_require_root
t_require mmdebstrap git tmux nft "$T_PYTHON"
. "$(dirname "$0")/tmux.sh"
tmux_init

MARK='Install what is missing, build, and start flowtop:'
SRC=/root/flowtop
PORT=3142		# the relay's, in the namespace
FLOW_ADDR=192.0.2.1	# on the namespace's lo (127/8 flowtop hides)
FLOW_PORT=40123		# the test's TCP and UDP flows
LOG=$T_TMP/terminal.log
WAIT=${FT_QS_WAIT:-1800}	# deps.sh, configure, make: seconds at most

# ---- the command line, from README.md ------------------------------------
# The first indented line after MARK (blank lines between allowed).
cmd=$(awk -v mark="$MARK" '$0 == mark { f = 1; next }
	f && /^    [^ ]/ { sub(/^    /, ""); print; exit }
	f && NF { exit }' README.md)
[ -n "$cmd" ] ||
	ch_fatal "README.md: no indented command line after \"$MARK\""
t_pass "README.md's quick start: $cmd"

# ---- a fresh minimal install ---------------------------------------------
ch_make "variant important: a minimal install, no compiler" \
	--variant=important
ch_copy "$SRC"
have() {	# PKG: installed in the chroot
	inch dpkg-query -W -f '${Status}' "$1" 2>/dev/null |
		grep -q 'ok installed'
}
fresh=
for p in gcc make pkg-config; do
	have "$p" || fresh="$fresh $p"
done
if [ "$fresh" = " gcc make pkg-config" ]; then
	t_pass "the chroot lacks what deps.sh is for:$fresh"
else
	t_fail "the chroot is no fresh install: lacks only '$fresh'"
fi
inch dpkg-query -W -f '${Package}\n' | sort >"$T_TMP/pkgs.before"

# ---- the namespace, the relay for apt ------------------------------------
t_ns qs NS || t_done
cat >"$T_TMP/relay.py" <<'PY'
# An HTTP proxy for apt in a network namespace with only lo: it listens on
# 127.0.0.1:PORT there, then joins the namespace of fd 3 to connect out,
# to the HOSTS given only.
import ctypes, os, socket, sys, threading

port, hosts = int(sys.argv[1]), set(sys.argv[2:])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(16)
libc = ctypes.CDLL(None, use_errno=True)
if libc.setns(3, 0x40000000):	# CLONE_NEWNET
    sys.exit("relay: setns: " + os.strerror(ctypes.get_errno()))


def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(c):
    c.settimeout(120)
    head = b""
    try:
        while b"\r\n\r\n" not in head and len(head) < 65536:
            d = c.recv(4096)
            if not d:
                return
            head += d
        # apt's connection to a proxy carries one host's requests.
        host = ""
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"host":
                host = v.strip().decode()
        name, _, p = host.partition(":")
        if name not in hosts:
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                      b"Connection: close\r\n\r\n")
            return
        u = socket.create_connection((name, int(p or 80)), timeout=120)
        u.sendall(head)
        threading.Thread(target=pipe, args=(u, c), daemon=True).start()
        pipe(c, u)
    except (OSError, ValueError):
        pass
    finally:
        c.close()


while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
hostof() {	# URL: its host
	local h=${1#*://}

	echo "${h%%/*}"
}
listening() {
	t_nsexec "$NS" ss -Htln "sport = :$PORT" | grep -q .
}
# fd 3: this script's network namespace, for the relay's connections.
t_bg ip netns exec "$NS" "$T_PYTHON" "$T_TMP/relay.py" "$PORT" \
	"$(hostof "$MIRROR")" "$(hostof "$SECURITY")" 3</proc/self/ns/net
t_wait_for 10 listening || ch_fatal "the relay for apt does not listen"
# shellcheck disable=SC2034	# inch's (chroot.sh)
CH_WRAP="ip netns exec $NS"

# ---- the command line, on a terminal -------------------------------------
# The shell around it: the terminal's modes before and after, its status;
# then it waits, since tmux hides the cursor of a pane whose process ended.
{
	echo "cd $SRC || exit 1"
	echo 'stty -g >/tmp/qs.stty.before'
	printf '%s\n' "$cmd"
	echo 'rc=$?'
	echo 'stty -g >/tmp/qs.stty.after'
	echo 'echo $rc >/tmp/qs.rc'
	echo 'read -r -t 600 _'
} >"$CH/tmp/quickstart.sh"
# What root's login gives (no DEBIAN_FRONTEND: deps.sh's own business).
env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=screen
	LANG=C.UTF-8 "http_proxy=http://127.0.0.1:$PORT/")
tm set-option -g default-terminal screen
# It waits for a line, so that the log misses nothing.
tm new-session -d -s qs -x 120 -y 40 "read -r _; exec ip netns exec $NS \
	chroot $CH /usr/bin/env -i ${env[*]} bash /tmp/quickstart.sh"
tm set-option -w -t qs remain-on-exit on
tm pipe-pane -t qs -o "cat >>$LOG"
tmux_key qs Enter
t0=$SECONDS
echo "quickstart: running '$cmd' (at most $WAIT s until flowtop's screen)"

text() {	# the terminal's output as text
	tr -d '\r' <"$LOG" 2>/dev/null |
		sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1b[()][0-9A-B]//g'
}
pane() {	# FORMAT: one of tmux's, for the pane
	tm display-message -p -t qs "$1"
}
on_screen() {	# LINE REGEX: line LINE of the screen matches
	tmux_cap qs | sed -n "$1p" | grep -qE -- "$2"
}
up() {
	[ "$(pane '#{alternate_on}')" = 1 ] && on_screen 1 '^flowtop ' &&
		on_screen 2 '^(PROTO|PROCESS) '
}
ended() {
	[ -e "$CH/tmp/qs.rc" ] || [ "$(pane '#{pane_dead}')" = 1 ]
}
tail_log() {
	echo "    the terminal's last lines:"
	text | grep -v '^$' | tail -n 30 | sed 's/^/    | /'
}
# Phases, as the output shows them: deps.sh's, configure's, the link.
declare -A at=()
phase() {	# NAME REGEX
	[ -z "${at[$1]}" ] && text | grep -qE -- "$2" &&
		at[$1]=$((SECONDS - t0)) &&
		echo "quickstart: ${at[$1]} s: $1"
}
while :; do
	phase "deps.sh installs" '^deps\.sh: installing'
	phase "configure" '^configure: '
	phase "make: first compile line" ' -c -o build/[a-z0-9_]+\.o '
	phase "make: flowtop linked" ' -o flowtop '
	up && break
	if ended; then
		t_fail "the command line ended (status" \
			"$(cat "$CH/tmp/qs.rc" 2>/dev/null)) before flowtop" \
			"drew its screen"
		tail_log
		t_done
	fi
	if [ $((SECONDS - t0)) -ge "$WAIT" ]; then
		t_fail "no flowtop screen after $WAIT s"
		tail_log
		tmux_cap qs | sed 's/^/    screen| /'
		t_done
	fi
	sleep 1
done
t_pass "flowtop drew its screen after $((SECONDS - t0)) s: $(tmux_cap qs |
	sed -n 1p | tr -s ' ')"
ft_pid=
for p in $(ip netns pids "$NS"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = flowtop ] && ft_pid=$p
done
[ -n "$ft_pid" ] && t_pass "flowtop runs in the test's namespace (pid" \
	"$ft_pid)" || t_fail "no flowtop process in the test's namespace"

# ---- 1, 2: what the output says ------------------------------------------
text >"$T_TMP/terminal.txt"
inch dpkg-query -W -f '${Package}\n' | sort >"$T_TMP/pkgs.after"
new=$(comm -13 "$T_TMP/pkgs.before" "$T_TMP/pkgs.after" | wc -l)
named=$(sed -n 's/^deps\.sh: installing//p' "$T_TMP/terminal.txt")
left=
for p in $named; do
	have "$p" || left="$left $p"
done
if [ -n "$named" ] && [ -z "$left" ]; then
	t_pass "deps.sh installed what it named:$named ($new packages" \
		"with their dependencies)"
else
	t_fail "deps.sh named '$named'; not installed:$left"
fi
now=
for p in $fresh; do
	have "$p" && now="$now $p"
done
[ "$now" = "$fresh" ] && t_pass "installed now:$now" ||
	t_fail "of$fresh only '$now' installed"
# The && chain went on: deps.sh, configure and make exited 0.
t_pass "deps.sh, ./configure and make exited 0 (flowtop started after them)"
n_c=$(find "$CH$SRC" -maxdepth 1 -name '*.c' | wc -l)
n_cc=$(grep -cE ' -c -o build/[a-z0-9_]+\.o [a-z0-9_]+\.c$' \
	"$T_TMP/terminal.txt")
[ "$n_cc" -eq "$n_c" ] && t_pass "make compiled all $n_c modules" ||
	t_fail "make compiled $n_cc of $n_c modules"
grep -qE ' -o flowtop ' "$T_TMP/terminal.txt" && t_pass "make linked flowtop" ||
	t_fail "no link line for flowtop"
# The compiler's and the linker's (not dpkg's or debconf's).
cc_re='(\.[ch]:[0-9]+(:[0-9]+)?|^cc1|^cc|^gcc|ld): (fatal )?(warning|error):'
warn=$(grep -E "$cc_re" "$T_TMP/terminal.txt")
if [ -z "$warn" ]; then
	t_pass "no compiler warning"
else
	t_fail "warnings in the build:"
	echo "$warn" | head -n 20 | sed 's/^/    /'
fi

# ---- 3: a flow on the screen ---------------------------------------------
# A TCP connection (kept open) and a UDP exchange on lo, for 60 s at most.
t_nsexec "$NS" ip addr add "$FLOW_ADDR/24" dev lo
t_bg ip netns exec "$NS" "$T_PYTHON" -c '
import socket, sys, time
h, p = sys.argv[1], int(sys.argv[2])
s = socket.socket()
s.bind((h, p))
s.listen(1)
c = socket.create_connection((h, p))
a, _ = s.accept()
c.sendall(b"x"); a.recv(1); a.sendall(b"y"); c.recv(1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((h, p))
v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v.sendto(b"x", (h, p))
_, peer = u.recvfrom(1); u.sendto(b"y", peer); v.recv(1)
time.sleep(60)' "$FLOW_ADDR" "$FLOW_PORT"
tmux_expect "flowtop shows the test's TCP flow (port $FLOW_PORT)" qs \
	"${FLOW_ADDR//./\\.}:$FLOW_PORT\\b" 10

# ---- 4: q ----------------------------------------------------------------
tmux_key qs q
if t_wait_for 10 ended; then
	rc=$(cat "$CH/tmp/qs.rc")
	[ "$rc" = 0 ] && t_pass "q: the command line exited 0" ||
		t_fail "q: the command line exited $rc"
else
	t_fail "q: flowtop still runs after 10 s"
	tmux_cap qs | sed 's/^/    screen| /'
fi
if [ -s "$CH/tmp/qs.stty.after" ] &&
   cmp -s "$CH/tmp/qs.stty.before" "$CH/tmp/qs.stty.after"; then
	t_pass "the terminal's modes are as before (stty -g)"
else
	t_fail "the terminal's modes changed: $(cat "$CH/tmp/qs.stty.before")" \
		"-> $(cat "$CH/tmp/qs.stty.after" 2>/dev/null)"
fi
restored() {	# as tmux reads it, once it has read all flowtop wrote
	[ "$(pane '#{alternate_on} #{cursor_flag} #{keypad_cursor_flag}')" = \
		"0 1 0" ]
}
if t_wait_for 3 restored; then
	t_pass "the primary screen is back, the cursor shown, keypad mode off"
else
	t_fail "the terminal is not back: alternate screen, cursor shown," \
		"keypad mode: $(pane \
		'#{alternate_on} #{cursor_flag} #{keypad_cursor_flag}')"
fi
[ -n "$ft_pid" ] && ! kill -0 "$ft_pid" 2>/dev/null &&
	t_pass "no flowtop process left" ||
	t_fail "flowtop ($ft_pid) still runs"

# ---- 1 again, 5: deps.sh has nothing left; deps.sh --test ----------------
out=$(inch sh -c "cd $SRC && sh deps.sh" 2>&1)
rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] &&
	t_pass "sh deps.sh again: nothing missing, nothing said, exit 0" ||
	t_fail "sh deps.sh again: exit $rc: $out"
ch_step "sh deps.sh --test (the second command's first part)" \
	env http_proxy="http://127.0.0.1:$PORT/" \
	sh -c "cd $SRC && sh deps.sh --test"
out=$(inch sh -c "cd $SRC && sh deps.sh --test" 2>&1)
rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] &&
	t_pass "sh deps.sh --test again: nothing missing" ||
	t_fail "sh deps.sh --test again: exit $rc: $out"
t_done
