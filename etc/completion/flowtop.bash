# bash completion for flowtop(8)                           -*- shell-script -*-
# shellcheck shell=bash disable=SC2207,SC2034,SC2295
# (COMPREPLY=($(compgen ...)) is the completion idiom: candidates have no
# blanks; words and cword are set by _init_completion; $sep is a pattern.)
#
# Installed by "make install" as share/bash-completion/completions/flowtop.
# Works with bash-completion (uses _init_completion and _filedir) and, in
# a simpler way, without it.  tests/integration/completion.sh checks that
# every option of "flowtop --help" is offered here.

# flowtop takes no operands: every word is an option or an option's value.
_flowtop_opts='-4 --ipv4 -6 --ipv6 -T --tcp -U --udp -D --dccp -I --icmp
	-S --sctp -O --other -A --all --active -f --filter -o --sort -r --reverse
	-n --no-dns -G --no-geoip -s --show-src -b --bits -t --interval
	-B --batch -j --json -c --count -N --netns --config --no-config
	--confdir --leases --rates -u --update -v --version -h --help'

# The keys of -o/--sort (view.c's sort_names).
_flowtop_sort_keys='rate bytes packets duration process pid user src dst
	port proto state country none'

# The words of the filter language (filter_terms.c), offered as hints for -f.
_flowtop_filter_words='host device src dst net port sport dport key srckey
	dstkey proto tcp udp udplite sctp dccp icmp icmp6 icmpv6 gre esp ah ip4
	ipv4 ip6 ipv6 proc pid user
	country city org asn state unreplied assured bytes packets rate mark
	zone nat snat dnat loopback and or not'
_flowtop_filter_protos='tcp udp udplite sctp dccp icmp icmp6 icmpv6 gre
	esp ah igmp ipip 6in4 ospf pim vrrp l2tp ipcomp etherip'
_flowtop_filter_states='ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT CLOSE_WAIT
	LAST_ACK TIME_WAIT CLOSE SYN_SENT2 LISTEN NONE CLOSED COOKIE_WAIT
	COOKIE_ECHOED SHUTDOWN_SENT SHUTDOWN_RECD SHUTDOWN_ACK_SENT
	HEARTBEAT_SENT HEARTBEAT_ACKED REQUEST RESPOND PARTOPEN OPEN CLOSEREQ
	CLOSING TIMEWAIT unreplied assured'

# Names of "ip netns list" (its lines may end in "(id: N)").
_flowtop_netns_names()
{
	local name rest

	ip netns list 2>/dev/null | while read -r name rest; do
		[[ -n $name ]] && printf '%s\n' "$name"
	done
}

# File or directory names ("-d"), through bash-completion when loaded.
_flowtop_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir "$@"
	elif [[ ${1-} == -d ]]; then
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
	else
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}

# A filter is one argument, usually quoted: 'proto udp and not port 53'.
# Readline completes the text after an opening quote as a whole, so each
# candidate is the text typed so far with its last word completed (one
# match closes the quote: an expression of one more word is rare).
_flowtop_filter()
{
	local word=$cur text last before prevw list w
	# A pattern on purpose: unquoted in the expansions below.
	local sep='[[:space:](]'

	[[ $word == [\'\"]* ]] && word=${word:1}
	last=${word##*$sep}
	before=${word%"$last"}
	text=$before
	while [[ $text == *$sep ]]; do
		text=${text%?}
	done
	prevw=${text##*$sep}
	case ${prevw,,} in
	proto) list=$_flowtop_filter_protos ;;
	state) list=$_flowtop_filter_states ;;
	*) list=$_flowtop_filter_words ;;
	esac
	# Keywords and state names are case-insensitive.
	COMPREPLY=()
	for w in $list; do
		[[ ${w,,} == "${last,,}"* ]] && COMPREPLY+=("$before$w")
	done
	return 0
}

_flowtop()
{
	local cur prev words cword split=false opt

	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		# COMP_WORDBREAKS splits "--sort=ra" into "--sort" "=" "ra".
		if [[ $cur == = ]]; then
			cur=
			split=true
		elif [[ $prev == = ]]; then
			prev=${COMP_WORDS[COMP_CWORD - 2]}
			split=true
		fi
	fi

	opt=$prev
	# Short options may be bundled: "-Uo rate" is "-U -o rate".
	if [[ $prev == -[46TUDISAnGsbBjrvhu]*[tfocN] ]]; then
		opt=-${prev: -1}
	fi
	case $opt in
	-o | --sort)
		COMPREPLY=($(compgen -W "$_flowtop_sort_keys" -- "$cur"))
		return
		;;
	-N | --netns)
		# A name from "ip netns", or a path such as /proc/PID/ns/net.
		if [[ $cur == */* ]]; then
			_flowtop_files
		else
			COMPREPLY=($(compgen -W "$(_flowtop_netns_names)" \
				-- "$cur"))
		fi
		return
		;;
	--config | --leases)
		_flowtop_files
		return
		;;
	--confdir)
		_flowtop_files -d
		return
		;;
	-t | --interval)
		COMPREPLY=($(compgen -W '0.5 1 2 5 10' -- "$cur"))
		return
		;;
	-c | --count)
		COMPREPLY=($(compgen -W '0 1 2 3 5 10' -- "$cur"))
		return
		;;
	--rates)
		COMPREPLY=($(compgen -W '1 10 40' -- "$cur"))
		return
		;;
	-f | --filter)
		_flowtop_filter
		return
		;;
	esac
	$split && return

	COMPREPLY=($(compgen -W "$_flowtop_opts" -- "$cur"))
} &&
	complete -F _flowtop flowtop

# ex: filetype=sh
