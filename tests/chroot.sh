# shellcheck shell=bash
# tests/chroot.sh: a throwaway Debian 12 chroot (mmdebstrap) for the tests
# that meet flowtop as a fresh system does (deb.sh, quickstart.sh).  Root.
#
#   . "$(dirname "$0")/chroot.sh"
#   ch_private "$0" "$@"  first of all: run the script again in a mount
#                         namespace of its own (unshare), so the chroot's
#                         mounts live and die with it; then source lib.sh
#   ch_make DESC [MMDEBSTRAP ARGS...]
#                         (after t_init) a bookworm chroot in $CH with the
#                         mirror's bookworm, -updates and -security; PASS
#                         "a Debian 12 chroot (DESC; N s)"; proc, sysfs,
#                         devpts, tmpfs /dev/shm and /run mounted, the
#                         machine's resolv.conf, no daemon starts
#                         (policy-rc.d).  Removed at cleanup (processes
#                         rooted there killed, mounts out, the tree).
#                         No directory of the machine is bound into it.
#   ch_copy DIR           the tree as git has it (no build output) into
#                         $CH/DIR
#   inch CMD...           CMD in the chroot with a clean environment,
#                         after $CH_WRAP if set (e.g. "ip netns exec NS")
#   ch_step DESC CMD...   inch CMD: PASS "DESC (N s)", or FAIL DESC and the
#                         tail of its output; returns 1 then
#   ch_fatal MSG          FAIL MSG and end the test
#
# FT_DEB_MIRROR and FT_DEB_SECURITY name other mirrors.

MIRROR=${FT_DEB_MIRROR:-http://deb.debian.org/debian}
SECURITY=${FT_DEB_SECURITY:-http://deb.debian.org/debian-security}
CH=
CH_WRAP=

ch_private() {
	if [ -z "$FT_CH_NS" ] && [ "$(id -u)" = 0 ] &&
	   command -v unshare >/dev/null; then
		FT_CH_NS=1 exec unshare --mount --propagation private bash "$@"
	fi
}

ch_fatal() {
	t_fail "$*"
	t_done
}

# Processes first, then the mounts, then the tree (never across a
# mount: --one-file-system).
ch_cleanup() {
	local p m

	[ -n "$CH" ] && [ -d "$CH" ] || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$CH" ] &&
			kill -9 "${p#/proc/}" 2>/dev/null
	done
	for m in run dev/shm dev/pts sys proc ''; do
		umount -l "$CH/$m" 2>/dev/null
	done
	rm -rf --one-file-system "$CH"
}

ch_make() {
	local desc=$1 t0=$SECONDS

	shift
	[ -n "$FT_CH_NS" ] || ch_fatal "no mount namespace (unshare)"
	CH=$T_TMP/chroot
	t_at_cleanup ch_cleanup
	echo "$T_NAME: making a Debian 12 chroot (mmdebstrap, $desc, $MIRROR)"
	if ! mmdebstrap --quiet --mode=root "$@" bookworm "$CH" \
		"deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
		"deb $SECURITY bookworm-security main" \
		>"$T_TMP/mmdebstrap.log" 2>&1
	then
		tail -n 20 "$T_TMP/mmdebstrap.log"
		ch_fatal "mmdebstrap could not make a Debian 12 chroot"
	fi
	t_pass "a Debian 12 chroot ($desc; $((SECONDS - t0)) s)"
	# The chroot a mount of its own: ip netns exec makes "/" a slave
	# mount.
	mount --bind "$CH" "$CH" &&
		mount -t proc proc "$CH/proc" &&
		mount -t sysfs sysfs "$CH/sys" &&
		mount -t devpts -o newinstance,ptmxmode=0666 devpts \
			"$CH/dev/pts" &&
		mount -t tmpfs tmpfs "$CH/dev/shm" &&
		mount -t tmpfs tmpfs "$CH/run" ||
		ch_fatal "cannot mount proc, sys, devpts, tmpfs in the chroot"
	cp /etc/resolv.conf "$CH/etc/resolv.conf"
	printf '#!/bin/sh\nexit 101\n' >"$CH/usr/sbin/policy-rc.d"
	chmod 755 "$CH/usr/sbin/policy-rc.d"
}

ch_copy() {
	mkdir -p "$CH$1"
	git -C "$T_ROOT" rev-parse --git-dir >/dev/null 2>&1 ||
		ch_fatal "not a git checkout: cannot tell the sources from" \
			"build output"
	git -C "$T_ROOT" ls-files -co --exclude-standard -z |
		(cd "$T_ROOT" && tar --null -cf - -T -) | tar -xf - -C "$CH$1"
}

inch() {
	# shellcheck disable=SC2086
	$CH_WRAP chroot "$CH" /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		TERM="${TERM:-xterm}" CI="${CI:-}" \
		DEBIAN_FRONTEND=noninteractive "$@"
}

ch_step() {
	local desc=$1 log=$T_TMP/step.log t0=$SECONDS

	shift
	if inch "$@" >"$log" 2>&1; then
		t_pass "$desc ($((SECONDS - t0)) s)"
	else
		t_fail "$desc"
		tail -n 30 "$log" | sed 's/^/    /'
		return 1
	fi
}
