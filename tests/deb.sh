#!/bin/bash
# deb.sh: the Debian package as a packager and a user meet it, in a
# throwaway Debian 12 chroot (mmdebstrap), so that this machine's own
# packages stay as they are.  Root.
#
#   1. a chroot with build-essential (sbuild's "buildd" set) and lintian;
#      apt-get build-dep on the source (Build-Depends are complete)
#   2. dpkg-buildpackage -us -uc -b as an unprivileged user
#      (Rules-Requires-Root: no); dpkg-buildflags' hardening on the
#      compile lines; the unit tests ran
#   3. lintian: no error and no warning (overrides are shown with reasons)
#   4. apt install ./flowtop_*.deb: conffiles, manual, completions found
#   5. every integration test that runs flowtop, against /usr/sbin/flowtop,
#      from a copy of the tree under /root (mode 700)
#   6. apt purge: no file, diversion or dpkg entry left (the file lists of
#      /etc /usr /var /opt /srv /root before and after)
#   7. netsniff-ng, whose package ships /usr/sbin/flowtop too, installed
#      before and after flowtop: both stay usable (the diversion), and
#      purging flowtop gives netsniff-ng's back unchanged
#
# The chroot's mounts (proc, sysfs, devpts, tmpfs) live in a mount
# namespace of this script (unshare) and go with it; no directory of the
# machine is bound into the chroot.  T_BUILD's tools (make tools) are
# copied in.  Usage: T_BUILD=build tests/deb.sh   (or make deb-check)
. "$(dirname "$0")/chroot.sh"
ch_private "$0" "$@"
. "$(dirname "$0")/lib.sh"
t_init deb
t_require_root
t_require mmdebstrap git

SRC=/home/builder/flowtop
VERSION=$(dpkg-parsechangelog -S Version -l debian/changelog 2>/dev/null ||
	  sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)
ARCH=$(dpkg --print-architecture)
DEB=flowtop_${VERSION}_$ARCH.deb

# What a package could leave: names under the system's directories
# (apt's and dpkg's own state is checked through dpkg itself).
snap() {
	inch find /etc /usr /var /opt /srv /root -xdev \
		\( -path /var/cache -o -path /var/log -o -path /var/lib/apt \
		-o -path /var/lib/dpkg -o -path /root/flowtop \) -prune \
		-o -print | sort >"$1"
}
same_files() {	# DESC A B
	if cmp -s "$2" "$3"; then
		t_pass "$1"
	else
		t_fail "$1:"
		diff "$2" "$3" | grep '^[<>]' | head -n 20 | sed 's/^/    /'
	fi
}
no_trace() {	# what dpkg still knows of flowtop after a purge
	inch dpkg-query -W -f '${Status}\n' flowtop 2>/dev/null
	inch dpkg-divert --list 2>/dev/null | grep ' by flowtop$'
}

# ---- 1. the chroot, the build dependencies -------------------------------
ch_make "buildd set, lintian" --variant=buildd \
	--include=lintian,ca-certificates,git

# The tree as git has it (no build output), owned by the builder.
inch useradd -m builder || ch_fatal "useradd builder"
ch_copy "$SRC"
inch chown -R builder: /home/builder
# mmdebstrap leaves no package lists behind.
ch_step "apt-get update in the chroot" apt-get update -q || t_done
ch_step "apt-get build-dep: Build-Depends install" \
	sh -c "cd $SRC && apt-get build-dep -y -q ./" || t_done

# ---- 2. the build --------------------------------------------------------
t0=$SECONDS
if inch runuser -u builder -- env HOME=/home/builder sh -c \
	"cd $SRC && dpkg-buildpackage -us -uc -b" >"$T_TMP/build.log" 2>&1
then
	t_pass "dpkg-buildpackage -us -uc -b as a user, no root" \
		"($((SECONDS - t0)) s)"
else
	t_fail "dpkg-buildpackage -us -uc -b"
	tail -n 40 "$T_TMP/build.log" | sed 's/^/    /'
	t_done
fi
line=$(grep -m1 -- '-c -o build/util.o util.c' "$T_TMP/build.log")
case $line in
*-D_FORTIFY_SOURCE=2*-fstack-protector-strong*)
	t_pass "dpkg-buildflags on the compile line: -D_FORTIFY_SOURCE=2" ;;
*) t_fail "no hardening on the compile line: $line" ;;
esac
grep -q -- '-o flowtop .*-z,now' "$T_TMP/build.log" &&
	t_pass "dpkg-buildflags on the link line: -z,relro -z,now" ||
	t_fail "no -z,now on the link line"
line=$(grep 'unit total:' "$T_TMP/build.log")
case $line in
*' 0 failed') t_pass "the unit tests ran in the build: ${line#unit total: }" ;;
*) t_fail "the unit tests in the build: ${line:-not run}" ;;
esac
grep -E '^(dpkg-deb|.*warning:)' "$T_TMP/build.log"
[ -f "$CH/home/builder/$DEB" ] || ch_fatal "no $DEB built"

# ---- 3. lintian ----------------------------------------------------------
inch runuser -u builder -- env HOME=/home/builder lintian \
	--fail-on error,warning --display-info --show-overrides \
	"/home/builder/flowtop_${VERSION}_$ARCH.changes" >"$T_TMP/lintian.log" 2>&1
rc=$?
sed 's/^/    lintian: /' "$T_TMP/lintian.log"
if [ $rc -eq 0 ] && ! grep -qE '^[EW]: ' "$T_TMP/lintian.log"; then
	t_pass "lintian: no errors, no warnings"
else
	t_fail "lintian reports errors or warnings (exit $rc)"
fi
# An override must say why: a comment right above it.
for f in debian/*lintian-overrides debian/source/lintian-overrides; do
	[ -f "$f" ] || continue
	if awk '/^[^#]/ && prev !~ /^#/ { bad = 1 } { prev = $0 }
		END { exit bad }' "$f"; then
		t_pass "$f: each override has its reason above it"
	else
		t_fail "$f: an override without a reason"
	fi
done

# ---- 4. install ----------------------------------------------------------
ch_step "the tests' own needs (deps.sh --test-run)" \
	sh -c "cd $SRC && sh deps.sh --test-run" || t_done
snap "$T_TMP/before"
ch_step "apt install ./$DEB" \
	sh -c "cd /home/builder && apt install -y -q ./$DEB" || t_done
v=$(inch /usr/sbin/flowtop --version 2>&1)
[ "$v" = "flowtop $VERSION" ] && t_pass "/usr/sbin/flowtop --version: $v" ||
	t_fail "/usr/sbin/flowtop --version: $v"
inch dpkg-query --control-show flowtop conffiles >"$T_TMP/conffiles"
want=$(cd etc && ls ./*.conf | sed 's|^\./|/etc/flowtop/|')
if [ "$(sort "$T_TMP/conffiles")" = "$(echo "$want" | sort)" ]; then
	t_pass "conffiles: $(echo $want)"
else
	t_fail "conffiles are $(tr '\n' ' ' <"$T_TMP/conffiles"), not $want"
fi
ch_step "man -w flowtop finds the manual" man -w flowtop
ch_step "zsh's compinit finds _flowtop (vendor-completions)" zsh -f -c \
	'autoload -U compinit; compinit -u -D
	 [[ $_comps[flowtop] == _flowtop ]]'
ch_step "bash-completion loads flowtop's" bash -c \
	'. /usr/share/bash-completion/bash_completion
	 __load_completion flowtop && complete -p flowtop'

# ---- 5. the integration tests against the installed flowtop --------------
mkdir -p "$CH/root/flowtop"
(cd "$CH$SRC" && tar -cf - --exclude=./debian --exclude=./build \
	--exclude=./flowtop .) | tar -xf - -C "$CH/root/flowtop"
mkdir -p "$CH/root/flowtop/build"
cp -a "$T_BUILD/tools" "$CH/root/flowtop/build/" ||
	ch_fatal "no $T_BUILD/tools (make tools)"
chmod 700 "$CH/root"
nt=0
for t in tests/integration/*.sh; do
	[ -x "$t" ] && grep -q T_FLOWTOP "$t" || continue
	nt=$((nt + 1))
	name=$(basename "$t" .sh)
	t0=$SECONDS
	inch sh -c "cd /root/flowtop && T_BUILD=build \
		T_FLOWTOP=/usr/sbin/flowtop bash $t" >"$T_TMP/$name.log" 2>&1
	rc=$?
	line=$(grep -E "^$name: [0-9]+ passed" "$T_TMP/$name.log" | tail -n 1)
	# A test that checked nothing (it gave up early) did not pass.
	if [ $rc -eq 0 ] && [ -n "$line" ] &&
	   ! echo "$line" | grep -q ': 0 passed'; then
		t_pass "installed flowtop: $line ($((SECONDS - t0)) s)"
	else
		t_fail "installed flowtop: ${line:-$name exited $rc}"
		grep -E '^(FAIL|SKIP)' "$T_TMP/$name.log" | head -n 10 |
			sed 's/^/    /'
	fi
done
[ $nt -ge 5 ] || t_fail "only $nt integration tests run flowtop"

# ---- 6. purge ------------------------------------------------------------
ch_step "apt purge flowtop" apt-get purge -y -q flowtop
snap "$T_TMP/after"
same_files "purge leaves no file behind" "$T_TMP/before" "$T_TMP/after"
left=$(no_trace)
[ -z "$left" ] && t_pass "no dpkg entry or diversion of flowtop left" ||
	t_fail "dpkg still knows flowtop: $left"

# ---- 7. netsniff-ng's flowtop --------------------------------------------
NFT=/usr/sbin/flowtop NMAN=/usr/share/man/man8/flowtop.8.gz
sum() { inch md5sum "$1" 2>/dev/null | cut -d' ' -f1; }
if ! inch apt-get install -y -q netsniff-ng >"$T_TMP/n.log" 2>&1; then
	t_skip "netsniff-ng cannot be installed here: the relation not tested"
	t_done
fi
theirs=$(sum $NFT) theirs_man=$(sum $NMAN)
[ -n "$theirs" ] && [ -n "$theirs_man" ] ||
	ch_fatal "netsniff-ng installed no $NFT or $NMAN"
snap "$T_TMP/n_before"
ch_step "apt install ./$DEB beside netsniff-ng" \
	sh -c "cd /home/builder && apt install -y -q ./$DEB"
v=$(inch $NFT --version 2>&1)
[ "$v" = "flowtop $VERSION" ] && t_pass "$NFT is this flowtop" ||
	t_fail "$NFT is not this flowtop: $v"
[ "$(sum $NFT.netsniff-ng)" = "$theirs" ] &&
[ "$(sum /usr/share/man/man8/flowtop.netsniff-ng.8.gz)" = "$theirs_man" ] &&
	t_pass "netsniff-ng's flowtop and manual kept as flowtop.netsniff-ng" ||
	t_fail "netsniff-ng's flowtop or manual was not kept"
ch_step "dpkg --verify netsniff-ng: its files intact" dpkg --verify netsniff-ng
ch_step "apt purge flowtop: netsniff-ng's come back" apt-get purge -y -q flowtop
[ "$(sum $NFT)" = "$theirs" ] && [ "$(sum $NMAN)" = "$theirs_man" ] &&
	t_pass "$NFT and its manual are netsniff-ng's again" ||
	t_fail "$NFT is not netsniff-ng's after the purge"
snap "$T_TMP/n_after"
same_files "purge beside netsniff-ng leaves no file" \
	"$T_TMP/n_before" "$T_TMP/n_after"
# The other order: flowtop first, then netsniff-ng.
ch_step "netsniff-ng purged, flowtop installed" sh -c \
	"apt-get purge -y -q netsniff-ng && cd /home/builder &&
	 apt install -y -q ./$DEB"
ch_step "netsniff-ng installed after flowtop" \
	apt-get install -y -q netsniff-ng
[ "$(inch $NFT --version 2>&1)" = "flowtop $VERSION" ] &&
[ "$(sum $NFT.netsniff-ng)" = "$theirs" ] &&
	t_pass "after it: $NFT stays this one, netsniff-ng's beside it" ||
	t_fail "netsniff-ng installed after flowtop took $NFT"
ch_step "both purged" apt-get purge -y -q flowtop netsniff-ng
left=$(no_trace)
[ -z "$left" ] && ! inch test -e $NFT.netsniff-ng &&
	t_pass "no diversion, no flowtop.netsniff-ng left" ||
	t_fail "left after both purged: $left"
t_done
