#!/bin/bash
# valgrind.sh: flowtop's screen under valgrind's memcheck.
#
# In a fresh namespace with a few flows: open the details of a flow (a
# one-shot GET to the kernel), delete one (a one-shot DELETE), quit.
# memcheck must report no error: in particular no uninitialised byte sent
# to the kernel (the one-shot requests used to send libmnl's padding as
# malloc left it) and no definite leak.  Then -j, the same.
. "$(dirname "$0")/../lib.sh"
t_init valgrind
t_require_root
t_require tmux valgrind conntrack

FT=$(realpath "$T_FLOWTOP")
t_ns vg NS
t_ct "$NS" add --proto tcp --family 4 --count 5 >/dev/null ||
	t_fail "ct_inject"
S=ft_vg_$$
tm() {
	tmux -L "$S" -f /dev/null "$@"
}
t_at_cleanup "tmux -L $S kill-server 2>/dev/null"
screen_has() {
	tm capture-pane -p -t "$S" | grep -q -- "$1"
}
VG="valgrind --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --log-file=$T_TMP/vg.%p.log"

tm new-session -d -s "$S" -x 120 -y 30 "ip netns exec $NS $VG $FT -n -G \
	-t 1 --no-config; echo \$? >$T_TMP/rc"
t_check "under valgrind, the screen shows the flows" \
	t_wait_for 60 screen_has '198\.51\.100\.1:20000'
tm send-keys -t "$S" Enter
t_check "the details box opens (a one-shot GET)" \
	t_wait_for 20 screen_has 'Conntrack id'
tm send-keys -t "$S" Escape
sleep 1
tm send-keys -t "$S" d
t_wait_for 10 screen_has 'Delete conntrack entry'
tm send-keys -t "$S" y
t_check "the delete (a one-shot DELETE) reaches the kernel" t_wait_for 20 \
	sh -c "[ \"\$(ip netns exec $NS conntrack -C)\" = 4 ]"
tm send-keys -t "$S" q
t_check "q ends it, status 0 (valgrind's 99 on an error)" \
	t_wait_for 60 grep -qx 0 "$T_TMP/rc"
log=$(ls "$T_TMP"/vg.*.log 2>/dev/null | head -n 1)
t_check "memcheck: no uninitialised byte sent to the kernel" \
	sh -c "! grep -q 'points to uninitialised' '$log'"
t_check "memcheck: ERROR SUMMARY: 0 errors (definite leaks count)" \
	grep -q 'ERROR SUMMARY: 0 errors' "$log"
grep -E 'ERROR SUMMARY|definitely lost|uninitialised' "$log" | sed 's/^/    /'
rm -f "$T_TMP"/vg.*.log

# shellcheck disable=SC2086
t_nsexec "$NS" $VG "$FT" -j -46TUDIS -A -n -G -c 2 -t 0.5 --no-config \
	>"$T_TMP/j.out" 2>"$T_TMP/j.err"
rc=$?
t_check "-j under valgrind: status 0 ($rc), 4 flows a snapshot" sh -c \
	"[ $rc = 0 ] && [ \$(grep -c . '$T_TMP/j.out') = 8 ]"
log=$(ls "$T_TMP"/vg.*.log 2>/dev/null | head -n 1)
t_check "-j: memcheck ERROR SUMMARY: 0 errors" \
	grep -q 'ERROR SUMMARY: 0 errors' "$log"
t_done
