#!/bin/bash
# record_diag.sh: record what sock_diag and RTM_GETADDR answer for a known
# set of sockets, for tests/unit/test_proc_lookup.c.  Root.
#
#   tests/tools/record_diag.sh PROC_DRV OUTDIR
#
# Writes OUTDIR/diag.dump (proc_drv -r format) and a fake proc tree
# OUTDIR/proc/PID/{comm,fd/N} in which PID 7001, 7002, ... (in the order
# below) hold the recorded socket inodes.  Ports are fixed, so the unit
# test's expectations hold for every recording.
set -u
DRV=$1
OUT=$2
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
NS=ftrec$$
TMP=$(mktemp -d)
PIDS=""

cleanup() {
	local p
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" addr add 192.0.2.1/32 dev lo
ip -n "$NS" addr add 2001:db8::1/128 dev lo nodad

# comm action args...
cat >"$TMP/plan" <<'EOF'
rec_srv4 tcp-listen 127.0.0.1 5001
rec_cli4 tcp-connect 127.0.0.1 5001 127.0.0.1 40001
rec_srv6 tcp-listen ::1 5002
rec_cli6 tcp-connect ::1 5002 ::1 40002
rec_srv4b tcp-listen 127.0.0.1 5011
rec_a tcp-connect 127.0.0.1 5001 127.0.0.1 5020
rec_b tcp-connect 127.0.0.1 5011 127.0.0.1 5020
rec_usrv udp-bind 0.0.0.0 5003 0
rec_udual udp-bind :: 5004 0
rec_uv6only udp-bind :: 5005 1
rec_umapped udp-connect ::ffff:127.0.0.1 5004 ::ffff:127.0.0.1 40004
rec_lite udplite-bind 127.0.0.1 5040
EOF

while read -r comm action args; do
	# shellcheck disable=SC2086
	ip netns exec "$NS" "$PY" "$TOP/tests/tools/sockproc.py" "$comm" \
		"$TMP/$comm.ready" "$action" $args &
	PIDS="$PIDS $!"
	echo "$comm $!" >>"$TMP/pids"
	for i in $(seq 100); do
		[ -s "$TMP/$comm.ready" ] && break
		sleep 0.1
	done
	[ -s "$TMP/$comm.ready" ] || { echo "$comm did not start" >&2; exit 1; }
done <"$TMP/plan"
sleep 0.5	# let the servers accept()

mkdir -p "$OUT"
rm -rf "$OUT/proc" "$OUT/diag.dump"
ip netns exec "$NS" "$DRV" -r "$OUT/diag.dump" </dev/null || exit 1

fake=7000
while read -r comm pid; do
	fake=$((fake + 1))
	mkdir -p "$OUT/proc/$fake/fd"
	echo "$comm" >"$OUT/proc/$fake/comm"
	for fd in /proc/"$pid"/fd/*; do
		link=$(readlink "$fd") || continue
		case $link in
		socket:*) ln -s "$link" "$OUT/proc/$fake/fd/${fd##*/}" ;;
		esac
	done
done <"$TMP/pids"
echo "recorded $(stat -c %s "$OUT/diag.dump") bytes, PIDs 7001..$fake"
