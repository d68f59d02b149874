#!/bin/bash
# files.sh: files that are not files, or are too big, do not hang flowtop,
# fill its memory or flood its output.
#
# The settings file (--config), tcp.conf, udp.conf and geoip.conf
# (--confdir) as a FIFO and as a symlink to /dev/zero: flowtop -j ends at
# once with one line each on stderr and its usual output; the screen
# starts too, and names geoip.conf in its status line.  A
# 100 MB udp.conf of repeated lines: one line naming the limit, and little
# memory.  An 8 MB one of bad lines: 20 warnings and one line for the rest.
. "$(dirname "$0")/../lib.sh"
t_init files
t_require_root
t_require tmux "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
t_ns files NS
t_ct "$NS" add --proto udp --family 4 --count 3 >/dev/null ||
	t_fail "ct_inject"
CONF=$T_TMP/conf
mkdir -p "$CONF"

# Runs flowtop -j -U once; prints "rc maxrss_kib" and keeps its output.
cat >"$T_TMP/run.py" <<'EOF'
import resource, subprocess, sys
out, err = sys.argv[1], sys.argv[2]
try:
    rc = subprocess.call(sys.argv[3:], stdout=open(out, "w"),
                         stderr=open(err, "w"), timeout=30)
except subprocess.TimeoutExpired:
    rc = "timeout"
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
EOF
run() {		# run NAME [flowtop options]
	local name=$1

	shift
	ip netns exec "$NS" "$T_PYTHON" "$T_TMP/run.py" "$T_TMP/$name.out" \
		"$T_TMP/$name.err" "$FT" -j -U -c 1 -t 0.2 -n \
		--confdir "$CONF" "$@"
}
flows() {	# flows NAME: the JSON lines of the run
	grep -c '^{' "$T_TMP/$1.out"
}

# 1. FIFOs: open() used to wait for a writer for ever.
mkfifo "$CONF/tcp.conf" "$CONF/udp.conf" "$CONF/geoip.conf" \
	"$T_TMP/rc.fifo"
read -r rc rss < <(run fifo --config "$T_TMP/rc.fifo")
t_check "FIFOs: flowtop -j ends by itself, exit 0 (got $rc)" test "$rc" = 0
t_check "FIFOs: one line each on stderr, four in all" \
	test "$(grep -c . "$T_TMP/fifo.err")" = 4
t_check "FIFOs: the settings file is named" grep -q \
	"^flowtop: settings file $T_TMP/rc.fifo: not a regular file, not read" \
	"$T_TMP/fifo.err"
t_check "FIFOs: tcp.conf is named" \
	grep -q "tcp.conf: not a regular file, not read$" "$T_TMP/fifo.err"
t_check "FIFOs: udp.conf is named" \
	grep -q "udp.conf: not a regular file, not read$" "$T_TMP/fifo.err"
t_check "FIFOs: geoip.conf is named" \
	grep -q "geoip.conf: not a regular file, not read$" "$T_TMP/fifo.err"
t_check "FIFOs: the flows are printed" test "$(flows fifo)" = 3
rm -f "$CONF"/*.conf "$T_TMP/rc.fifo"

# 2. /dev/zero: memory used to grow ~1 GB/s until the kernel killed it.
ln -s /dev/zero "$CONF/tcp.conf"
ln -s /dev/zero "$CONF/udp.conf"
ln -s /dev/zero "$CONF/geoip.conf"
ln -s /dev/zero "$T_TMP/rc.zero"
read -r rc rss < <(run zero --config "$T_TMP/rc.zero")
t_check "/dev/zero: flowtop -j ends by itself, exit 0 (got $rc)" \
	test "$rc" = 0
t_check "/dev/zero: under 100 MB of memory (max RSS ${rss} KiB)" \
	test "$rss" -lt 102400
t_check "/dev/zero: one line each on stderr" \
	test "$(grep -c 'not a regular file, not read$' "$T_TMP/zero.err")" = 4
t_check "/dev/zero: the flows are printed" test "$(flows zero)" = 3

# The screen, with the same files: it starts, and q ends it.
S=ft_files_$$
tmux -L "$S" -f /dev/null new-session -d -s "$S" -x 100 -y 30 \
	"ip netns exec $NS $FT -U -t 0.5 -n --confdir $CONF \
	--config $T_TMP/rc.zero 2>$T_TMP/screen.err; echo \$? >$T_TMP/screen.rc"
t_at_cleanup "tmux -L $S kill-server 2>/dev/null"
t_check "/dev/zero: the screen starts" t_wait_for 10 sh -c \
	"tmux -L $S capture-pane -p -t $S | grep -q '^flowtop '"
t_check "/dev/zero: the status line names geoip.conf" sh -c \
	"tmux -L $S capture-pane -p -t $S | grep -q 'geoip.conf not a regular'"
tmux -L "$S" send-keys -t "$S" q
t_check "/dev/zero: and q ends it with status 0" \
	t_wait_for 5 grep -qx 0 "$T_TMP/screen.rc"
tmux -L "$S" kill-server 2>/dev/null
rm -f "$CONF"/*.conf "$T_TMP/rc.zero"

# 3. 100 MB of repeated lines: refused in one line, not read.
yes '53 dns' | head -c 100M >"$CONF/udp.conf"
read -r rc rss < <(run big)
t_check "100 MB udp.conf: exit 0 (got $rc)" test "$rc" = 0
t_check "100 MB udp.conf: one line, naming the limit" sh -c "\
	test \"\$(grep -c . '$T_TMP/big.err')\" = 1 && grep -q \
	'udp.conf: larger than 8.0 MiB, not read$' '$T_TMP/big.err'"
t_check "100 MB udp.conf: under 100 MB of memory (max RSS ${rss} KiB)" \
	test "$rss" -lt 102400

# 4. Under the limit, all repeats: 20 warnings and one line for the rest
# (a 100 MB one used to print 7.5 million lines).
yes '53 dns' | head -c 7M >"$CONF/udp.conf"
read -r rc rss < <(run many)
t_check "7 MB of repeats: exit 0 (got $rc)" test "$rc" = 0
t_check "7 MB of repeats: 21 lines on stderr" \
	test "$(grep -c . "$T_TMP/many.err")" = 21
t_check "7 MB of repeats: the last says how many more" \
	grep -q "udp.conf: [0-9]* more warnings not shown$" "$T_TMP/many.err"
t_done
