#!/bin/bash
# netsniff_conf.sh: netsniff-ng's own tcp.conf and udp.conf, as Debian
# ships them ("7, echo"), are read as they are: given with --confdir, and
# from /etc/netsniff-ng after flowtop's own files (ours win; theirs name
# the ports ours leave unnamed).  /etc/netsniff-ng is made for flowtop
# alone: a read-only overlay on /etc in a mount namespace of its own.
. "$(dirname "$0")/../lib.sh"
t_init netsniff_conf
t_require_root
t_require unshare "$T_PYTHON"

FT=$(realpath "$T_FLOWTOP")
ORIG=$T_ROOT/tests/data/services/netsniff-ng
t_ns nsconf NS
# Port 9999 is named only by netsniff-ng's tcp.conf ("abyss"), port 53 by
# both (ours "dns", theirs "domain"); source port 41234 is named by none.
t_ct "$NS" add --proto tcp --family 4 --start 0 --sport 41234 --dport 9999 >/dev/null &&
t_ct "$NS" add --proto tcp --family 4 --start 1 --sport 41234 --dport 53 >/dev/null ||
	t_fail "ct_inject"

# svc JSON DPORT: the service of the flow to DPORT.
svc() {
	"$T_PYTHON" -c 'import json, sys
for l in open(sys.argv[1]):
    f = json.loads(l)
    if f["orig"]["dport"] == int(sys.argv[2]):
        print(f["service"])' "$1" "$2"
}
run() {	# NAME ARGS...: flowtop -j in NS, output in NAME.json/.err
	local name=$1

	shift
	t_nsexec "$NS" "$FT" -j -T -A -n -G --no-config "$@" \
		>"$T_TMP/$name.json" 2>"$T_TMP/$name.err"
}

run given --confdir "$ORIG"
t_check "--confdir with netsniff-ng's files: no warnings" \
	test ! -s "$T_TMP/given.err"
sed 's/^/    /' "$T_TMP/given.err" | head -n 3
t_check "--confdir with netsniff-ng's files: port 9999 is abyss" \
	test "$(svc "$T_TMP/given.json" 9999)" = abyss

# /etc/netsniff-ng in a mount namespace of flowtop's own.
mkdir -p "$T_TMP/ov/netsniff-ng"
cp "$ORIG/tcp.conf" "$ORIG/udp.conf" "$T_TMP/ov/netsniff-ng/"
unshare -m --propagation private sh -c "mount -t overlay overlay \
	-o lowerdir=$T_TMP/ov:/etc /etc && exec ip netns exec $NS $FT -j -T \
	-A -n -G --no-config --confdir $T_ROOT/etc" \
	>"$T_TMP/etc.json" 2>"$T_TMP/etc.err"
t_check "/etc/netsniff-ng read: no warnings" test ! -s "$T_TMP/etc.err"
sed 's/^/    /' "$T_TMP/etc.err" | head -n 3
t_check "/etc/netsniff-ng read after ours: 9999 is abyss (theirs)" \
	test "$(svc "$T_TMP/etc.json" 9999)" = abyss
t_check "/etc/netsniff-ng read after ours: 53 is dns (ours)" \
	test "$(svc "$T_TMP/etc.json" 53)" = dns
if [ -e /etc/netsniff-ng ]; then
	t_skip "this machine has /etc/netsniff-ng: no run without it"
else
	run plain --confdir "$T_ROOT/etc"
	t_check "without /etc/netsniff-ng: 9999 has no name" \
		test "$(svc "$T_TMP/plain.json" 9999)" = None
fi
t_done
