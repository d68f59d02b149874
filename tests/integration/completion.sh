#!/bin/bash
# completion.sh: the manual and the shell completions agree with the code.
#
# Every option that "flowtop --help" prints (or, without a built binary,
# the usage() text of flowtop.c) is an item of the manual's OPTIONS and is
# offered by the bash and the zsh completion; every item of OPTIONS is a
# real option; every key of ui_keys.c's key table is an item of KEYS and every
# item of KEYS a key of the table; every sort key of view_sort.c and every
# filter keyword of filter_terms.c is in the manual and in both completions.
# The manual renders without warnings (groff, mandoc when installed, man).
# The bash completion is called with COMP_WORDS/COMP_CWORD set, with and
# without bash-completion loaded; the zsh one must parse, register through
# compinit and, driven in a pseudo-terminal (zsh/zpty), complete.
# Only the namespace cases need root; the rest runs as any user.
. "$(dirname "$0")/../lib.sh"
t_init completion

MAN=man/flowtop.8
BC=etc/completion/flowtop.bash
ZC=etc/completion/_flowtop
BASH_COMPLETION=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
IS_ROOT=
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

for f in "$MAN" "$BC" "$ZC"; do
	if [ ! -f "$f" ]; then
		t_fail "$f is missing"
		t_done
	fi
done

# ---- what the code says ----------------------------------------------

# The --help text: from the binary when built, else from flowtop.c.
if [ -x "$T_FLOWTOP" ] && "$T_FLOWTOP" --help >"$T_TMP/help" 2>&1; then
	HELP_FROM="$T_FLOWTOP --help"
else
	sed -n '/^static void usage(/,/^}/p' flowtop.c |
		sed -n 's/^"\(.*\)\\n"[,);]*$/\1/p' >"$T_TMP/help"
	HELP_FROM="usage() in flowtop.c"
fi
# Option lines start with blanks and a dash; the option names come before
# the first run of two blanks: "-f, --filter EXPR     only ...".
grep -E '^ +-' "$T_TMP/help" | sed -E 's/^ +//; s/  .*//' |
	tr ',' '\n' | awk '{ print $1 }' | grep -E '^-' | sort -u \
	>"$T_TMP/opts"
NOPTS=$(wc -l <"$T_TMP/opts")
if [ "$NOPTS" -ge 30 ]; then
	t_pass "$NOPTS options read from $HELP_FROM"
else
	t_fail "only $NOPTS options read from $HELP_FROM"
fi
grep -E '^--' "$T_TMP/opts" >"$T_TMP/longopts"

# Keys: the "keys" strings of ui_keys.c's ui_actions[] (NULL ones are aliases
# of the line above and are named there).
sed -n '/^static const struct ui_action ui_actions\[\] = {/,/^};/p' ui_keys.c |
	sed -n 's/^[[:space:]]*{ [^"]*, "\([^"]*\)", ".*/\1/p' |
	tr -s ' \t' '\n\n' | grep -v '^$' | sort -u >"$T_TMP/keys"
NKEYS=$(wc -l <"$T_TMP/keys")
if [ "$NKEYS" -ge 40 ]; then
	t_pass "$NKEYS keys read from ui_keys.c's key table"
else
	t_fail "only $NKEYS keys read from ui_keys.c's key table"
fi

# Sort keys (view_sort.c) and filter keywords (filter_terms.c).
sed -n 's/^[[:space:]]*\[SORT_[A-Z_]*\] = "\([a-z]*\)",.*/\1/p' view_sort.c |
	sort -u >"$T_TMP/sorts"
sed -n '/^} filter_kws\[\] = {/,/^};/p' filter_terms.c |
	sed -n 's/^[[:space:]]*{ "\([a-z0-9]*\)", filter_term_.*/\1/p' |
	sort -u >"$T_TMP/fwords"
t_check "sort keys in view_sort.c" test "$(wc -l <"$T_TMP/sorts")" -ge 10
t_check "filter keywords in filter_terms.c" test "$(wc -l <"$T_TMP/fwords")" -ge 30

# ---- the manual ---------------------------------------------------------

if command -v groff >/dev/null 2>&1; then
	groff -man -Tutf8 -ww -z "$MAN" >"$T_TMP/groff" 2>&1
	if [ -s "$T_TMP/groff" ]; then
		t_fail "groff -ww warns about $MAN"
		sed 's/^/    /' "$T_TMP/groff" | head -20
	else
		t_pass "groff -man -ww: no warnings"
	fi
else
	t_skip "groff is not installed (apt-get install groff-base)"
fi
if command -v mandoc >/dev/null 2>&1; then
	mandoc -Tlint -Wall "$MAN" >"$T_TMP/mandoc" 2>&1
	if [ -s "$T_TMP/mandoc" ]; then
		t_fail "mandoc -Tlint finds problems in $MAN"
		sed 's/^/    /' "$T_TMP/mandoc" | head -20
	else
		t_pass "mandoc -Tlint -Wall: clean"
	fi
else
	t_skip "mandoc is not installed: no lint of the manual"
fi
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$MAN" >"$T_TMP/man.txt" 2>"$T_TMP/man.err"
	if [ -s "$T_TMP/man.err" ] || ! grep -q 'NON-INTERACTIVE OUTPUT' \
		"$T_TMP/man.txt"; then
		t_fail "man -l $MAN does not render cleanly"
		sed 's/^/    /' "$T_TMP/man.err" | head -20
	else
		t_pass "man -l renders the manual"
	fi
else
	t_skip "man is not installed"
fi

# The roff source of one section (.SH NAME up to the next .SH), with \-
# as -, \(aq and \(dq as quotes and font escapes removed.
man_section() {
	awk -v want="$1" '
		/^\.SH / {
			name = substr($0, 5); gsub(/"/, "", name)
			on = (name == want); next
		}
		on' "$MAN" |
		sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' \
		    -e 's/\\f[BIRP]//g' -e 's/\\[&~]//g'
}

# The item tags of a section: the line after each .TP or .TQ, without
# the macro and quotes, one token per line ("-f, --filter expr" gives
# "-f", "--filter", "expr").
man_tags() {
	man_section "$1" | awk 'tag { print; tag = 0; next }
		/^\.(TP|TQ)/ { tag = 1 }' |
		sed -E 's/^\.[A-Z]+ //; s/"//g; s/,/ /g' |
		tr -s ' \t' '\n\n' | grep -v '^$' | sort -u
}

man_tags OPTIONS | grep -E '^-' >"$T_TMP/man_opts"
missing=$(comm -23 "$T_TMP/opts" "$T_TMP/man_opts" | tr '\n' ' ')
if [ -z "$missing" ]; then
	t_pass "every option of --help is an item of OPTIONS in $MAN"
else
	t_fail "options of --help not described in $MAN OPTIONS: $missing"
fi
extra=$(comm -13 "$T_TMP/opts" "$T_TMP/man_opts" | tr '\n' ' ')
if [ -z "$extra" ]; then
	t_pass "every item of OPTIONS in $MAN is an option of --help"
else
	t_fail "$MAN OPTIONS describes options --help does not know: $extra"
fi

man_tags KEYS >"$T_TMP/man_keys"
missing=$(comm -23 "$T_TMP/keys" "$T_TMP/man_keys" | tr '\n' ' ')
if [ -z "$missing" ]; then
	t_pass "every key of ui_keys.c's key table is an item of KEYS"
else
	t_fail "keys of ui_keys.c not described in $MAN KEYS: $missing"
fi
extra=$(comm -13 "$T_TMP/keys" "$T_TMP/man_keys" | tr '\n' ' ')
if [ -z "$extra" ]; then
	t_pass "every item of KEYS is a key of ui_keys.c's key table"
else
	t_fail "$MAN KEYS names keys that ui_keys.c does not have: $extra"
fi

man_tags OPTIONS >"$T_TMP/man_opt_tags"
missing=$(comm -23 "$T_TMP/sorts" "$T_TMP/man_opt_tags" | tr '\n' ' ')
if [ -z "$missing" ]; then
	t_pass "every sort key of view_sort.c is an item under -o in $MAN"
else
	t_fail "sort keys not described in $MAN: $missing"
fi

man_section FILTERS | tr -c 'A-Za-z0-9_\n' ' ' | tr -s ' ' '\n' |
	sort -u >"$T_TMP/man_filter_words"
missing=$(comm -23 "$T_TMP/fwords" "$T_TMP/man_filter_words" | tr '\n' ' ')
if [ -z "$missing" ]; then
	t_pass "every filter keyword of filter_terms.c is in FILTERS"
else
	t_fail "filter keywords not in $MAN FILTERS: $missing"
fi

# The JSON field names of output_json.c (every one it writes, in the
# nested objects too), each a word of NON-INTERACTIVE OUTPUT; the top-level
# ones (those of output_json_flow, counters and owner, and the keys of the
# objects device and icmp) are items of its list.
jnames() {	# the field names written by the C text on stdin
	grep -oE '\\"[a-z0-9_]+\\":|(kv_str|kv_word|kv_u64|kv_fix1|tuple|geo|name_of)\(b, "[a-z0-9_]+"' |
		sed -E 's/^\\"//; s/\\":$//; s/.*"([a-z0-9_]+)"$/\1/'
}
jfn() {		# the body of output_json.c's function $1
	sed -n "/^[a-z].*[ *]$1(/,/^}/p" output_json.c
}
jnames <output_json.c | sort -u >"$T_TMP/jfields"
{ for f in output_json_flow counters owner; do jfn $f | jnames; done
  for f in device icmp; do jfn $f | jnames | head -n 1; done; } |
	sort -u >"$T_TMP/jtop"
man_tags 'NON-INTERACTIVE OUTPUT' >"$T_TMP/man_jtags"
man_section 'NON-INTERACTIVE OUTPUT' | tr -c 'A-Za-z0-9_\n' ' ' |
	tr -s ' ' '\n' | sort -u >"$T_TMP/man_jwords"
missing=$( { comm -23 "$T_TMP/jfields" "$T_TMP/man_jwords"
	comm -23 "$T_TMP/jtop" "$T_TMP/man_jtags"; } | sort -u | tr '\n' ' ')
if [ "$(wc -l <"$T_TMP/jfields")" -ge 30 ] && [ -z "$missing" ]; then
	t_pass "every JSON field of output_json.c is described ($(wc -l \
		<"$T_TMP/jfields") fields)"
else
	t_fail "JSON fields of output_json.c not described in $MAN: $missing"
fi

# ---- bash ---------------------------------------------------------------

# comp.sh MODE LINE WORD...: call _flowtop as readline would for LINE
# (cursor at its end) split into WORDs, the last being completed; print
# COMPREPLY, one per line.  MODE "full" loads bash-completion first,
# "plain" does not.
cat >"$T_TMP/comp.sh" <<'EOF'
mode=$1 bc=$2 line=$3
shift 3
if [ "$mode" = full ]; then
	. "$BASH_COMPLETION" || exit 2
fi
. "$bc" || exit 2
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
COMP_KEY=9
COMPREPLY=()
_flowtop flowtop "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
EOF

# bcomp MODE LINE WORD...: the sorted candidates, in $T_TMP/got.
bcomp() {
	BASH_COMPLETION=$BASH_COMPLETION bash --norc --noprofile \
		"$T_TMP/comp.sh" "$1" "$T_ROOT/$BC" "${@:2}" \
		2>"$T_TMP/comp.err" | sort -u >"$T_TMP/got"
}

# expect_set DESC FILE: $T_TMP/got is exactly the lines of FILE.
expect_set() {
	if cmp -s "$T_TMP/got" "$2"; then
		t_pass "$1"
	else
		t_fail "$1: got [$(tr '\n' ' ' <"$T_TMP/got")], want [$(tr \
			'\n' ' ' <"$2")]"
		sed 's/^/    /' "$T_TMP/comp.err" | head -5
	fi
}

expect_words() {	# DESC WORD...: $T_TMP/got is exactly these words
	local desc=$1

	shift
	printf '%s\n' "$@" | sort -u >"$T_TMP/want"
	expect_set "$desc" "$T_TMP/want"
}

t_check "bash -n $BC" bash -n "$BC"

modes=plain
if [ -r "$BASH_COMPLETION" ]; then
	modes="full plain"
else
	t_skip "bash-completion is not installed ($BASH_COMPLETION):" \
		"only the plain bash cases run (apt-get install bash-completion)"
fi

mkdir -p "$T_TMP/cfg/sub.d" && : >"$T_TMP/cfg/file.conf"
for m in $modes; do
	bcomp "$m" "flowtop --so" flowtop --so
	expect_words "bash ($m): flowtop --so<TAB> gives --sort" --sort

	bcomp "$m" "flowtop -o " flowtop -o ""
	expect_set "bash ($m): flowtop -o <TAB> lists view_sort.c's sort keys" \
		"$T_TMP/sorts"

	bcomp "$m" "flowtop --sort=c" flowtop --sort = c
	expect_words "bash ($m): flowtop --sort=c<TAB> gives country" country

	bcomp "$m" "flowtop -Uo p" flowtop -Uo p
	expect_words "bash ($m): flowtop -Uo p<TAB> (bundled -o)" \
		packets pid port process proto

	bcomp "$m" "flowtop -" flowtop -
	expect_set "bash ($m): flowtop -<TAB> offers every option of --help" \
		"$T_TMP/opts"

	bcomp "$m" "flowtop --" flowtop --
	expect_set "bash ($m): flowtop --<TAB> offers every long option" \
		"$T_TMP/longopts"

	bcomp "$m" "flowtop -f 'proto u" flowtop -f "'proto u"
	expect_words "bash ($m): flowtop -f 'proto u<TAB> hints protocols" \
		"proto udp" "proto udplite"

	bcomp "$m" "flowtop -f 'bytes > 1M and st" flowtop -f \
		"'bytes > 1M and st"
	expect_words "bash ($m): a filter's last word is completed" \
		"bytes > 1M and state"

	bcomp "$m" "flowtop -f 'state est" flowtop -f "'state est"
	expect_words "bash ($m): state names, case-insensitive" \
		"state ESTABLISHED"

	bcomp "$m" "flowtop -f " flowtop -f ""
	if [ -z "$(comm -23 "$T_TMP/fwords" "$T_TMP/got")" ]; then
		t_pass "bash ($m): flowtop -f <TAB> hints every filter keyword"
	else
		t_fail "bash ($m): filter keywords not hinted:" \
			"$(comm -23 "$T_TMP/fwords" "$T_TMP/got" | tr '\n' ' ')"
	fi

	bcomp "$m" "flowtop -t " flowtop -t ""
	expect_words "bash ($m): flowtop -t <TAB> offers intervals" \
		0.5 1 2 5 10

	bcomp "$m" "flowtop --confdir $T_TMP/cfg/" flowtop --confdir \
		"$T_TMP/cfg/"
	expect_words "bash ($m): --confdir completes directories only" \
		"$T_TMP/cfg/sub.d"

	bcomp "$m" "flowtop --config $T_TMP/cfg/f" flowtop --config \
		"$T_TMP/cfg/f"
	expect_words "bash ($m): --config completes files" \
		"$T_TMP/cfg/file.conf"
done

# ---- namespaces (root) --------------------------------------------------

NS=
if [ -n "$IS_ROOT" ] && command -v ip >/dev/null 2>&1; then
	t_ns comp NS || NS=
fi
if [ -n "$NS" ]; then
	for m in $modes; do
		bcomp "$m" "flowtop -N " flowtop -N ""
		if grep -qx "$NS" "$T_TMP/got" &&
		   ! grep -q '(id' "$T_TMP/got"; then
			t_pass "bash ($m): flowtop -N <TAB> lists namespace $NS"
		else
			t_fail "bash ($m): flowtop -N <TAB> gave [$(tr '\n' ' ' \
				<"$T_TMP/got")], no $NS"
		fi
		bcomp "$m" "flowtop --netns ${NS%_*}" flowtop --netns \
			"${NS%_*}"
		if grep -qx "$NS" "$T_TMP/got"; then
			t_pass "bash ($m): --netns completes a name prefix"
		else
			t_fail "bash ($m): --netns ${NS%_*}<TAB> gave" \
				"[$(tr '\n' ' ' <"$T_TMP/got")]"
		fi
	done
else
	t_skip "the -N cases need root and ip(8) to create a namespace"
fi

# ---- zsh ----------------------------------------------------------------

if ! command -v zsh >/dev/null 2>&1; then
	t_skip "zsh is not installed: $ZC is not checked (apt-get install zsh)"
	t_done
fi
t_check "zsh -n $ZC" zsh -n "$ZC"
t_check "$ZC starts with #compdef flowtop" \
	grep -qx '#compdef flowtop' <(head -n 1 "$ZC")
# compinit's dump file goes to $T_TMP: "-d FILE" makes it write one (with
# mv, so never name a device there) and the default is in $HOME.
# shellcheck disable=SC2016
t_check "compinit registers _flowtop for flowtop" zsh -f -c '
	fpath=("$1" $fpath)
	autoload -Uz compinit && compinit -u -d "$2"
	[[ $_comps[flowtop] == _flowtop ]]' zsh "$T_ROOT/etc/completion" \
	"$T_TMP/zcompdump.1"

# Every option of --help in an _arguments spec of the file.
missing=
while read -r o; do
	grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" "$ZC" ||
		missing="$missing $o"
done <"$T_TMP/opts"
if [ -z "$missing" ]; then
	t_pass "every option of --help is in $ZC"
else
	t_fail "options missing from $ZC:$missing"
fi
missing=
while read -r k; do
	grep -qE "(^|[[:space:]])$k\\\\:" "$ZC" || missing="$missing $k"
done <"$T_TMP/sorts"
if [ -z "$missing" ]; then
	t_pass "every sort key of view_sort.c is in $ZC"
else
	t_fail "sort keys missing from $ZC:$missing"
fi
missing=
while read -r w; do
	grep -qE "'$w:" "$ZC" || missing="$missing $w"
done <"$T_TMP/fwords"
if [ -z "$missing" ]; then
	t_pass "every filter keyword of filter_terms.c is hinted in $ZC"
else
	t_fail "filter keywords missing from $ZC:$missing"
fi

# Drive an interactive zsh in a pseudo-terminal: type a line and TAB,
# collect what it draws (bounded: 4 s per case), one file per case.
if ! zsh -f -c 'zmodload zsh/zpty' 2>/dev/null; then
	t_skip "zsh has no zsh/zpty module: completion not exercised"
	t_done
fi
cat >"$T_TMP/zdrive.zsh" <<'EOF'
# zdrive.zsh FPATH_DIR OUTDIR LINE...: one output file per LINE.
zmodload zsh/zpty || exit 2
fdir=$1 outdir=$2
shift 2
zpty z zsh -f -i || exit 2
zpty -w z "PS1='%% '; fpath=(${(q)fdir} \$fpath); autoload -Uz compinit;" \
	"compinit -u -d ${(q)outdir}/zcompdump; LISTMAX=10000; bindkey -e;" \
	"stty rows 200 columns 200"
drain() {
	local chunk
	while zpty -rt z chunk 2>/dev/null; do :; done
}
# Wait (at most 10 s) until the shell has run compinit and answers: a
# fixed sleep let the first TAB be typed in literally on a busy machine.
# The echo of the command shows Z''READY; only its output shows ZREADY.
zpty -w z "print -r -- Z''READY"
ready= buf=
for (( i = 0; i < 100; i++ )); do
	if zpty -rt z chunk 2>/dev/null; then
		buf+=$chunk
		[[ $buf == *ZREADY* ]] && { ready=1; break; }
	else
		sleep 0.1
	fi
done
[[ -n $ready ]] || exit 3
drain
n=0
for line in "$@"; do
	n=$(( n + 1 ))
	out= chunk=
	zpty -w -n z "$line"$'\t'
	# Read until the screen is quiet for 0.5 s, at most 4 s.
	quiet=0
	for (( i = 0; i < 40 && quiet < 5; i++ )); do
		sleep 0.1
		if zpty -rt z chunk 2>/dev/null; then
			out+=$chunk
			quiet=0
			while zpty -rt z chunk 2>/dev/null; do out+=$chunk; done
		else
			quiet=$(( quiet + 1 ))
		fi
	done
	print -r -- "$out" > "$outdir/z$n"
	zpty -w -n z $'\C-e\C-u'
	sleep 0.2
	drain
done
zpty -d z
EOF
zlines=("flowtop --so" "flowtop -o " "flowtop -f 'proto u" "flowtop --no-"
	"flowtop -")
[ -n "$NS" ] && zlines+=("flowtop -N ")
mkdir -p "$T_TMP/z"
timeout 120 zsh -f "$T_TMP/zdrive.zsh" "$T_ROOT/etc/completion" "$T_TMP/z" \
	"${zlines[@]}" >"$T_TMP/zdrive.log" 2>&1
# Without the terminal's escape sequences and carriage returns.
for f in "$T_TMP"/z/z*; do
	sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\r//g' "$f" >"$f.txt"
done

zexpect() {	# N DESC WORD...: case N's screen shows every WORD
	local n=$1 desc=$2 w miss=

	shift 2
	for w in "$@"; do
		grep -qF -- "$w" "$T_TMP/z/z$n.txt" 2>/dev/null ||
			miss="$miss $w"
	done
	if [ -z "$miss" ]; then
		t_pass "zsh: $desc"
	else
		t_fail "zsh: $desc: not shown:$miss"
		tail -n 5 "$T_TMP/z/z$n.txt" 2>/dev/null | sed 's/^/    /'
	fi
}
zexpect 1 "flowtop --so<TAB> gives --sort=" "flowtop --sort="
# shellcheck disable=SC2046
zexpect 2 "flowtop -o <TAB> lists view_sort.c's sort keys" $(cat "$T_TMP/sorts")
zexpect 3 "flowtop -f 'proto u<TAB> completes in the quoted filter" \
	"flowtop -f 'proto udp"
zexpect 4 "flowtop --no-<TAB> lists the three --no- options" \
	--no-config --no-dns --no-geoip
# shellcheck disable=SC2046
zexpect 5 "flowtop -<TAB> lists every option of --help" $(cat "$T_TMP/opts")
[ -n "$NS" ] && zexpect 6 "flowtop -N <TAB> lists namespace $NS" "$NS"
t_done
