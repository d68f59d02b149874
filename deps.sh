#!/bin/sh
# deps.sh: install what flowtop needs to build, run and test on Debian 12.
#   sh deps.sh             to build
#   sh deps.sh --test      to build and run make check: also the test
#                          tools, cross builds (arm64, s390x) and the
#                          Debian package test
#   sh deps.sh --test-run  only what the tests need to run an installed
#                          flowtop (tests/deb.sh, in its chroot)
# Installs only what is missing; needs root (apt-get).
set -e
build="gcc make pkg-config libnetfilter-conntrack-dev libmnl-dev
libncurses-dev libmaxminddb-dev liburcu-dev libcurl4-openssl-dev zlib1g-dev"
# for the tests: the kernel side, the terminal, the helpers' servers
run="conntrack nftables iproute2 tmux python3 mmdb-bin openssl procps
ca-certificates bash-completion zsh mandoc groff-base util-linux man-db
coreutils mawk valgrind"
# tests/cross.sh: cross compilers, qemu-user, arm64 libraries (multiarch),
# mmdebstrap for s390x's (a sysroot) and tests/deb.sh's chroot
cross_arch=arm64
cross="dpkg-dev gcc-aarch64-linux-gnu gcc-s390x-linux-gnu qemu-user
mmdebstrap"
# make fuzz and fuzz-check: libFuzzer and the sanitizers come with clang
fuzz="clang libclang-rt-dev"
for p in $build; do
	case $p in
	*-dev) cross="$cross $p:$cross_arch" ;;
	esac
done

case $1 in
--test) pkgs="$build $run $cross $fuzz" ;;
--test-run) pkgs=$run ;;
'') pkgs=$build ;;
*) echo "usage: sh deps.sh [--test|--test-run]" >&2; exit 1 ;;
esac

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
case $missing in
*:$cross_arch*)
	[ "$(dpkg --print-architecture)" = $cross_arch ] ||
	dpkg --print-foreign-architectures | grep -qx $cross_arch ||
		dpkg --add-architecture $cross_arch ;;
esac
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
