#!/bin/sh
# run-all.sh BUILD_DIR: unit tests, the same under ASan+UBSan, the
# parsers under libFuzzer (make fuzz-check), the build tests (tests/build),
# the unit tests cross-built for arm64 and s390x (tests/cross.sh), then
# the real-kernel and terminal tests (root), with FLOWTOP_DEB_CHECK=1
# the Debian package in a chroot (tests/deb.sh), and with
# FLOWTOP_QUICKSTART_CHECK=1 README's quick start in a fresh chroot
# (tests/quickstart.sh).
# Prints one total line "all: N passed, N failed[, N skipped]" and fails
# if anything failed.
O=${1:-build}
pass=0 fail=0 skip=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

count() {	# file: add its summary line to the totals
	line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	set -- $(printf '%s\n' "$line" | awk '{
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^passed,?$/) p = $(i - 1)
			if ($i ~ /^failed,?$/) f = $(i - 1)
			if ($i ~ /^skipped,?$/) s = $(i - 1)
		}
		print p + 0, f + 0, s + 0 }')
	pass=$((pass + $1)); fail=$((fail + $2)); skip=$((skip + $3))
	checks=$(($1 + $2 + $3))
	[ -n "$line" ]
}

step() {	# name command...: run, show, count; a crash counts as a failure
	name=$1; shift
	echo "=== $name"
	"$@" >"$log/out" 2>&1; rc=$?
	cat "$log/out"
	if ! count "$log/out" || { [ $rc -ne 0 ] && ! grep -qE ' [1-9][0-9]* failed' "$log/out"; }; then
		echo "FAIL: $name exited $rc without a failure count"
		fail=$((fail + 1))
	elif [ "$checks" -eq 0 ]; then
		# A test that checked nothing (its set-up gave up early) is
		# not a pass.
		echo "FAIL: $name ran no checks"
		fail=$((fail + 1))
	fi
}

step unit sh tests/run-unit.sh "$O"
step unit-sanitize make -s check-sanitize
# the parsers under libFuzzer (clang, ASan+UBSan), briefly, on their corpora
step fuzz-check make -s fuzz-check
# configure, install: the build as packagers use it (no root needed)
for t in tests/build/*.sh; do
	[ -x "$t" ] || continue
	step "$(basename "$t" .sh)" env T_BUILD="$O" "$t"
done
# the unit tests cross-built for arm64 and big-endian s390x, under qemu
for h in aarch64-linux-gnu s390x-linux-gnu; do
	step "cross-$h" sh tests/cross.sh "$h"
done

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: integration tests need root (network namespaces, conntrack)"
	if [ "$CI" = true ]; then fail=$((fail + 1)); else skip=$((skip + 1)); fi
else
	# The tests see the checkout through a directory only root may enter
	# ($log is mode 700), as when it is cloned under /root: a helper run
	# as another user must be copied out (lib.sh's t_public), here too.
	ln -s "$PWD" "$log/src"
	for t in tests/integration/*.sh; do
		[ -x "$t" ] || continue
		step "$(basename "$t" .sh)" env T_BUILD="$O" T_PRIVATE_ROOT=1 \
			"$log/src/$t"
	done
fi
# The Debian package in a chroot: about 6 minutes, so only when asked.
if [ "$FLOWTOP_DEB_CHECK" = 1 ]; then
	step deb env T_BUILD="$O" tests/deb.sh
else
	echo "note: the Debian package test (tests/deb.sh, about 6 min, root)" \
		"runs with FLOWTOP_DEB_CHECK=1 or make deb-check"
fi
# README's quick start on a fresh Debian 12 chroot: it downloads packages.
if [ "$FLOWTOP_QUICKSTART_CHECK" = 1 ]; then
	step quickstart tests/quickstart.sh
else
	echo "note: the quick start test (tests/quickstart.sh, minutes, root)" \
		"runs with FLOWTOP_QUICKSTART_CHECK=1 or make quickstart-check"
fi
echo "all: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
