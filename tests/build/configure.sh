#!/bin/bash
# configure.sh: ./configure takes what packaging helpers pass.
#
# The argument list of dh_auto_configure (debhelper 13, read from its
# autoconf.pm when installed), --prefix DIR, unknown --enable/--with (a
# warning), VAR=VALUE and the environment (command line wins), CPPFLAGS on
# the compile line (dpkg-buildflags' -D_FORTIFY_SOURCE=2), --host with a
# made-up triplet whose HOST-gcc and HOST-pkg-config (or PKG_CONFIG_LIBDIR)
# are used, --help naming every option, and the errors.  Runs configure in
# a temp directory (config.mk is written there) and "make -n" with
# CONFIG= pointing at it; no root, the tree's config.mk is not touched.
. "$(dirname "$0")/../lib.sh"
t_init configure

C=$T_TMP/c
mkdir -p "$C"
conf() {	# ARGS...: run configure in $C, output in $C/out
	(cd "$C" && "$T_ROOT/configure" "$@") >"$C/out" 2>&1
}
mk() {	# ARGS...: what make would run with $C/config.mk
	make -s -C "$T_ROOT" CONFIG="$C/config.mk" O="$C/build" "$@" 2>&1
}
has() {	# VAR VALUE: config.mk sets VAR = VALUE
	grep -qxF "$1 = $2" "$C/config.mk"
}
# The directories "make install DESTDIR=/D" would write to.
install_dirs() {
	mk -n install DESTDIR=/D "$@" | grep -o '/D/[^ ;]*' | sort -u
}

# ---- what dh_auto_configure passes --------------------------------------
DH=/usr/share/perl5/Debian/Debhelper/Buildsystem/autoconf.pm
dh_args=(--build=x86_64-linux-gnu --prefix=/usr '--includedir=${prefix}/include'
	'--mandir=${prefix}/share/man' '--infodir=${prefix}/share/info'
	--sysconfdir=/etc --localstatedir=/var --disable-option-checking
	--disable-silent-rules '--libdir=${prefix}/lib/x86_64-linux-gnu'
	'--libexecdir=${prefix}/lib/x86_64-linux-gnu' --runstatedir=/run
	--disable-maintainer-mode --disable-dependency-tracking)
if [ -f "$DH" ]; then
	# Every option debhelper's autoconf.pm pushes is in our list.
	missing=
	for o in $(sed -n '/^sub configure/,/^}/p' "$DH" |
		   grep -o 'push[^"]*"--[a-z-]*' | sed 's/.*"//' | sort -u); do
		printf '%s\n' "${dh_args[@]}" --enable-silent-rules --host |
			grep -q -- "^$o" || missing="$missing $o"
	done
	if [ -z "$missing" ]; then
		t_pass "the list holds every option of $DH"
	else
		t_fail "options of $DH not in this test:$missing"
	fi
fi
if conf "${dh_args[@]}" && has PREFIX /usr && has SYSCONFDIR /etc &&
   has MANDIR '$(PREFIX)/share/man'; then
	t_pass "dh_auto_configure's arguments: prefix /usr, sysconfdir /etc"
else
	t_fail "dh_auto_configure's arguments"
	sed 's/^/    /' "$C/out" "$C/config.mk"
fi
install_dirs >"$C/dirs"
want="/D/etc/flowtop /D/usr/sbin/flowtop /D/usr/share/man/man8/flowtop.8
/D/usr/share/zsh/vendor-completions/_flowtop
/D/usr/share/bash-completion/completions/flowtop"
bad=
for f in $want; do
	grep -qxF "$f" "$C/dirs" || bad="$bad $f"
done
if [ -z "$bad" ]; then
	t_pass "install for /usr: /usr/sbin, /etc/flowtop, vendor-completions"
else
	t_fail "install for /usr misses:$bad"
	sed 's/^/    /' "$C/dirs"
fi
# ${prefix} is make's: installing elsewhere moves the manual along.
if install_dirs PREFIX=/opt/x | grep -qxF /D/opt/x/share/man/man8/flowtop.8
then
	t_pass '--mandir=${prefix}/share/man follows make PREFIX=/opt/x'
else
	t_fail '--mandir=${prefix}/share/man ignores make PREFIX=/opt/x'
fi

# ---- the space form, other prefixes --------------------------------------
if conf --prefix /opt/ft --sbindir /opt/ft/bin && has PREFIX /opt/ft &&
   has SYSCONFDIR /opt/ft/etc && has SBINDIR /opt/ft/bin; then
	t_pass "--prefix DIR and --sbindir DIR (space form)"
else
	t_fail "--prefix DIR (space form)"
	sed 's/^/    /' "$C/out"
fi
if install_dirs | grep -qxF /D/opt/ft/bin/flowtop; then
	t_pass "installed as /opt/ft/bin/flowtop"
else
	t_fail "not installed as /opt/ft/bin/flowtop"
fi
if conf --prefix=/usr --datarootdir=/srv/share '--mandir=${datarootdir}/m' &&
   has MANDIR '$(DATAROOTDIR)/m' &&
   install_dirs | grep -qxF /D/srv/share/m/man8/flowtop.8; then
	t_pass '--datarootdir and --mandir=${datarootdir}/m'
else
	t_fail '--datarootdir and --mandir=${datarootdir}/m'
	sed 's/^/    /' "$C/out"
fi

# ---- unknown features, unknown options, bad values ------------------------
if conf --enable-foo --with-bar=baz --without-qux &&
   grep -q 'WARNING: unrecognized options: --enable-foo --with-bar' \
	"$C/out" && grep -q -- '--with-bar --without-qux$' "$C/out"; then
	t_pass "unknown --enable/--with/--without: a warning"
else
	t_fail "unknown --enable/--with/--without"
	sed 's/^/    /' "$C/out"
fi
if conf --disable-option-checking --enable-foo && ! grep -q WARN "$C/out"
then
	t_pass "--disable-option-checking: no warning"
else
	t_fail "--disable-option-checking still warns"
fi
rm -f "$C/config.mk"
if ! conf --enable-option-checking=fatal --enable-foo &&
   [ ! -f "$C/config.mk" ]; then
	t_pass "--enable-option-checking=fatal: an unknown --enable fails"
else
	t_fail "--enable-option-checking=fatal accepted --enable-foo"
fi
for bad in --bogus "--prefix=rel/dir" --prefix "--sysconfdir=\${nothing}/x" \
	   "1X=2" stray; do
	if ! conf $bad && grep -q 'error' "$C/out"; then
		t_pass "refused with an error: $bad"
	else
		t_fail "accepted: $bad"
	fi
done
rm -f "$C/config.mk"
if conf -n && [ ! -f "$C/config.mk" ]; then
	t_pass "-n checks and writes nothing"
else
	t_fail "-n wrote config.mk"
fi

# ---- variables ------------------------------------------------------------
if CPPFLAGS=-DFT_ENV=1 CFLAGS='-O1 -g' conf 'CFLAGS=-O2 -g3' &&
   has CPPFLAGS -DFT_ENV=1 && has CFLAGS '-O2 -g3'; then
	t_pass "CPPFLAGS from the environment, CFLAGS=... argument wins"
else
	t_fail "CPPFLAGS/CFLAGS"
	sed 's/^/    /' "$C/config.mk"
fi
line=$(mk -n "$C/build/util.o" | grep -- ' util\.c')
case $line in
*-DFT_ENV=1*'-O2 -g3'*) t_pass "compile line: CPPFLAGS, then CFLAGS" ;;
*) t_fail "compile line without CPPFLAGS: $line" ;;
esac
if command -v dpkg-buildflags >/dev/null; then
	(eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all \
		 dpkg-buildflags --export=sh)" && conf "${dh_args[@]}")
	line=$(mk -n "$C/build/util.o" | grep -- ' util\.c')
	case $line in
	*-D_FORTIFY_SOURCE=2*-fstack-protector-strong*)
		t_pass "dpkg-buildflags: -D_FORTIFY_SOURCE=2 when compiling" ;;
	*) t_fail "dpkg-buildflags not on the compile line: $line" ;;
	esac
	line=$(mk -n flowtop | grep -- '-o flowtop')
	case $line in
	*-z,relro*) t_pass "dpkg-buildflags: LDFLAGS on the link line" ;;
	*) t_fail "LDFLAGS not on the link line: $line" ;;
	esac
else
	t_skip "no dpkg-buildflags (dpkg-dev): hardening flags not checked"
fi

# ---- --host: a made-up triplet's tools -------------------------------------
B=$T_TMP/bin
mkdir -p "$B"
cat >"$B/ft-fake-linux-gnu-gcc" <<EOF
#!/bin/sh
echo "\$*" >>"$T_TMP/gcc.log"
exec cc "\$@"
EOF
cat >"$B/ft-fake-linux-gnu-pkg-config" <<EOF
#!/bin/sh
echo "\$*" >>"$T_TMP/pc.log"
exec pkg-config "\$@"
EOF
# A pkg-config that shows where it was told to look, then looks natively.
cat >"$B/pkg-config" <<EOF
#!/bin/sh
echo "LIBDIR=\$PKG_CONFIG_LIBDIR" >>"$T_TMP/plain.log"
unset PKG_CONFIG_LIBDIR
PATH=$PATH exec pkg-config "\$@"
EOF
chmod +x "$B"/*
if PATH=$B:$PATH conf --host=ft-fake-linux-gnu --build=x86_64-linux-gnu &&
   has CC ft-fake-linux-gnu-gcc && has HOST ft-fake-linux-gnu &&
   grep -q -- '--cflags' "$T_TMP/pc.log" && [ -s "$T_TMP/gcc.log" ]; then
	t_pass "--host=T: T-gcc and T-pkg-config"
else
	t_fail "--host=T does not use T-gcc and T-pkg-config"
	sed 's/^/    /' "$C/out"
fi
rm "$B/ft-fake-linux-gnu-pkg-config"
if PATH=$B:$PATH conf --host=ft-fake-linux-gnu &&
   grep -qx 'LIBDIR=/usr/lib/ft-fake-linux-gnu/pkgconfig:/usr/share/pkgconfig' \
	"$T_TMP/plain.log"; then
	t_pass "--host=T without T-pkg-config: PKG_CONFIG_LIBDIR of T"
else
	t_fail "--host=T without T-pkg-config"
	sed 's/^/    /' "$C/out" "$T_TMP/plain.log"
fi
if PATH=$B:$PATH conf --host=ft-fake-linux-gnu CC=cc PKG_CONFIG=pkg-config \
	PKG_CONFIG_LIBDIR=/nowhere && has CC cc &&
   grep -qx 'LIBDIR=/nowhere' "$T_TMP/plain.log"; then
	t_pass "--host with CC, PKG_CONFIG and PKG_CONFIG_LIBDIR given: kept"
else
	t_fail "--host overrides CC/PKG_CONFIG/PKG_CONFIG_LIBDIR given"
fi
if ! conf --host=ft-none-linux-gnu && grep -q 'no ft-none-linux-gnu-gcc' \
	"$C/out"; then
	t_pass "--host without a cross compiler: names the package"
else
	t_fail "--host without a cross compiler"
fi

# ---- no library found: the packages to install, each once ----------------
line=
conf PKG_CONFIG_LIBDIR=/nowhere ||
	line=$(sed -n 's/^configure: missing; install with: //p' "$C/out")
dups=$(echo "$line" | tr ' ' '\n' | grep . | sort | uniq -d)
if [ -n "$line" ] && [ -z "$dups" ] && echo "$line" |
   grep -qE '^apt-get install .*liburcu-dev'; then
	t_pass "nothing found: one apt-get line, each package once"
else
	t_fail "nothing found: '$line' (twice:$(echo $dups))"
fi

# ---- --help, --version -------------------------------------------------------
(cd "$C" && "$T_ROOT/configure" --help) >"$T_TMP/help"
missing=
for a in "${dh_args[@]}" --host --target --exec-prefix --bindir --sbindir \
	 --datarootdir --enable-option-checking --enable-silent-rules \
	 CC CPPFLAGS CFLAGS LDFLAGS PKG_CONFIG PKG_CONFIG_PATH \
	 PKG_CONFIG_LIBDIR; do
	o=${a%%=*}
	o=${o#--disable-}
	grep -qw -- "${o#--}" "$T_TMP/help" || missing="$missing $o"
done
if [ -z "$missing" ]; then
	t_pass "--help names every option and variable it takes"
else
	t_fail "--help does not name:$missing"
fi
if [ "$("$T_ROOT/configure" --version)" = \
     "flowtop $(sed -n 's/^VERSION = //p' Makefile)" ]; then
	t_pass "--version"
else
	t_fail "--version"
fi
t_done
