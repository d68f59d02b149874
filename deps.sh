#!/bin/sh
# deps.sh: install what flowtop needs to build, run and test on Debian 12.
# Installs only what is missing; needs root (apt-get).
set -e
pkgs="gcc make pkg-config libnetfilter-conntrack-dev libmnl-dev libncurses-dev
libmaxminddb-dev liburcu-dev libcurl4-openssl-dev zlib1g-dev"
# for the tests: the kernel side, the terminal, the helpers' servers
[ "$1" = "--test" ] && pkgs="$pkgs conntrack nftables iproute2 tmux python3
mmdb-bin openssl procps ca-certificates bash-completion zsh mandoc
groff-base util-linux man-db coreutils mawk"

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
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
