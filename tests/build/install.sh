#!/bin/bash
# install.sh: what "make install" puts down is found where it is used.
#
# make install DESTDIR=$T_TMP/d for PREFIX /usr/local and /usr, then zsh
# (compinit) and bash-completion look for flowtop's completion in their
# default search paths, each path moved under DESTDIR (zsh finds its own
# functions in the real ones, after those); zsh searches
# vendor-completions only under /usr, site-functions under /usr/local.
# make uninstall leaves no file behind.  No root: nothing outside $T_TMP
# is written.
. "$(dirname "$0")/../lib.sh"
t_init install

[ -f config.mk ] || { t_skip "no config.mk: run ./configure first"; t_done; }
D=$T_TMP/d

# zsh -f: the search path zsh was built with, no user's or site's setup.
zsh_finds() {	# DESTDIR: the file compinit registered for flowtop
	zsh -f -c 'fpath=($1${^fpath} $fpath)
		autoload -U compinit
		compinit -u -D
		f=($^fpath/_flowtop(N))
		print -r -- ${_comps[flowtop]} ${f[1]#$1}' zsh "$1" 2>&1
}
bash_finds() {	# DESTDIR: bash-completion's own loader, default dirs
	bash -c '. /usr/share/bash-completion/bash_completion
		XDG_DATA_DIRS=$1/usr/local/share:$1/usr/share
		__load_completion flowtop && complete -p flowtop' bash "$1" 2>&1
}

for prefix in /usr/local /usr; do
	zdir=site-functions
	[ $prefix = /usr ] && zdir=vendor-completions
	rm -rf "$D"
	if ! make -s install DESTDIR="$D" PREFIX="$prefix" >"$T_TMP/out" 2>&1
	then
		t_fail "make install PREFIX=$prefix"
		sed 's/^/    /' "$T_TMP/out"
		continue
	fi
	t_pass "make install PREFIX=$prefix DESTDIR=..."
	if ! command -v zsh >/dev/null; then
		t_skip "no zsh: its completion path not checked"
	elif [ "$(zsh_finds "$D")" = \
	       "_flowtop $prefix/share/zsh/$zdir/_flowtop" ]; then
		t_pass "zsh's compinit finds _flowtop under $prefix"
	else
		t_fail "zsh does not find _flowtop under $prefix:" \
			"$(zsh_finds "$D")," \
			"$(cd "$D" && find . -name _flowtop)"
	fi
	if [ ! -f /usr/share/bash-completion/bash_completion ]; then
		t_skip "no bash-completion: its path not checked"
	elif bash_finds "$D" | grep -q 'flowtop$'; then
		t_pass "bash-completion loads flowtop's under $prefix"
	else
		t_fail "bash-completion does not find flowtop's under $prefix"
	fi
	make -s uninstall DESTDIR="$D" PREFIX="$prefix" >/dev/null 2>&1
	left=$(find "$D" ! -type d)
	if [ -z "$left" ]; then
		t_pass "make uninstall PREFIX=$prefix leaves no file"
	else
		t_fail "make uninstall left: $left"
	fi
done
t_done
