#!/bin/sh
# cross.sh HOST: cross-build flowtop and its unit tests for HOST (a GNU
# triplet: aarch64-linux-gnu, s390x-linux-gnu ...) with ./configure
# --host=HOST, in build-HOST, and run the unit tests under qemu-user.
#
# Libraries: Debian's multiarch -dev packages when HOST-pkg-config finds
# them (dpkg --add-architecture arm64; apt-get install libmnl-dev:arm64
# ...), else a sysroot in build-HOST/sysroot that mmdebstrap unpacks from
# Debian's archive (the -dev packages and what they depend on; needs root
# or user namespaces, and the network the first time).  s390x takes the
# sysroot: Debian 12's security archive has no s390x, so its multiarch
# libraries cannot match the versions of the installed amd64 ones.
#
# Prints "cross-HOST: N passed, N failed[, N skipped]" (the unit tests'
# totals) and fails if anything failed; without HOST-gcc or qemu it
# skips, which under CI=true is a failure.
HOST=${1:?usage: tests/cross.sh HOST (e.g. aarch64-linux-gnu)}
TOP=$(cd "$(dirname "$0")/.." && pwd) || exit 1
cd "$TOP" || exit 1
O=build-$HOST
NAME=cross-$HOST
# libc-bin: the C.UTF-8 locale in the host's byte order (test_util)
LIBS='libnetfilter-conntrack-dev libmnl-dev libncurses-dev libmaxminddb-dev
liburcu-dev libcurl4-openssl-dev zlib1g-dev libc6-dev libc-bin'

skip() {
	echo "SKIP: $NAME: $*"
	if [ "$CI" = true ]; then
		echo "FAIL: a skip is a failure under CI=true"
		echo "$NAME: 0 passed, 1 failed"
		exit 1
	fi
	echo "$NAME: 0 passed, 0 failed, 1 skipped"
	exit 0
}

fail() {
	echo "FAIL: $NAME: $*"
	echo "$NAME: 0 passed, 1 failed"
	exit 1
}

cpu=${HOST%%-*}
case $cpu in
powerpc64le) cpu=ppc64le ;;
powerpc64) cpu=ppc64 ;;
powerpc) cpu=ppc ;;
i[3-6]86) cpu=i386 ;;
arm*) cpu=arm ;;
esac
QEMU=
for q in "qemu-$cpu" "qemu-$cpu-static"; do
	command -v "$q" >/dev/null 2>&1 && QEMU=$q && break
done
arch=$(dpkg-architecture -t"$HOST" -qDEB_HOST_ARCH 2>/dev/null)
command -v "$HOST-gcc" >/dev/null 2>&1 ||
	skip "no $HOST-gcc (Debian: apt-get install gcc-$HOST)"
[ -n "$QEMU" ] || skip "no qemu-$cpu (Debian: apt-get install qemu-user)"
[ -n "$arch" ] || skip "no Debian architecture for $HOST (dpkg-dev)"

mkdir -p "$O" || fail "cannot create $O"
set -- --host="$HOST" -q
SR=
if ! "$HOST-pkg-config" --exists libmnl libnetfilter_conntrack ncursesw \
	libmaxminddb liburcu libcurl zlib 2>/dev/null; then
	SR=$TOP/$O/sysroot
	# .complete: the list it was made from (a new list makes a new one)
	if [ "$(cat "$SR/.complete" 2>/dev/null)" != "$(echo $LIBS)" ]; then
		command -v mmdebstrap >/dev/null 2>&1 ||
			skip "no $arch libraries, no mmdebstrap to fetch them"
		echo "$NAME: unpacking the $arch libraries into $SR"
		rm -rf "$SR"
		# shellcheck disable=SC2086
		mmdebstrap --quiet --variant=extract --architectures="$arch" \
			--include="$(echo $LIBS | tr ' ' ,)" bookworm "$SR" \
			"deb http://deb.debian.org/debian bookworm main" ||
			fail "mmdebstrap could not unpack the $arch libraries"
		echo $LIBS >"$SR/.complete"
	fi
	pc=$SR/usr/lib/$HOST/pkgconfig:$SR/usr/share/pkgconfig
	set -- "$@" CC="$HOST-gcc --sysroot=$SR" PKG_CONFIG=pkg-config \
		PKG_CONFIG_SYSROOT_DIR="$SR" PKG_CONFIG_LIBDIR="$pc"
	# qemu looks for the loader and the libraries there first.
	QEMU_LD_PREFIX=$SR
	export QEMU_LD_PREFIX
fi

(cd "$O" && "$TOP/configure" "$@") || fail "configure --host=$HOST failed"
# A make of its own, not a part of the caller's (make check's jobserver).
unset MAKEFLAGS MFLAGS MAKELEVEL
make -s -j2 O="$O" CONFIG="$O/config.mk" "$O/flowtop" unit-bins \
	>"$O/make.log" 2>&1 || { cat "$O/make.log"; fail "build failed"; }
grep -E 'warning:|error:' "$O/make.log"

# Not the build machine's kind of program: the host's, run under qemu.
machine() {
	readelf -h "$1" | sed -n 's/^ *\(Machine\|Data\): *//p' | tr '\n' ' '
}
m=$(machine "$O/flowtop")
[ -n "$m" ] && [ "$m" != "$(machine /bin/sh)" ] ||
	fail "$O/flowtop is no $HOST program: $m"
echo "$NAME: $O/flowtop: $m"
v=$("$QEMU" "$O/flowtop" --version 2>&1) ||
	fail "$QEMU $O/flowtop --version: $v"
echo "$NAME: $QEMU $O/flowtop --version: $v"

# FLOWTOP_TEST_QEMU: for what qemu-user cannot do (test_lan's live
# RTM_GETNEIGH dump).
FLOWTOP_TEST_QEMU=$QEMU T_RUN=$QEMU sh tests/run-unit.sh "$O" \
	>"$O/unit.log" 2>&1
rc=$?
cat "$O/unit.log"
line=$(grep 'unit total:' "$O/unit.log")
[ -n "$line" ] || fail "no unit total"
echo "$NAME: ${line#unit total: }"
exit $rc
