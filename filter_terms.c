/*
 * filter_terms: the terms of the filter language: the keyword table, the
 * names the terms know (protocols, conntrack states) and, for each term,
 * how it reads what follows its keyword and which node it compiles to.
 *
 * To add a term: write a filter_term_NAME() that reads its value
 * (filter_value()) and appends a node (filter_node(), filter_num_node(),
 * filter_str_node()), and add its keyword to filter_kws[] below.  If no
 * node kind tests what it asks, add an FN_ kind to filter_impl.h and its
 * case to filter_eval() in filter_eval.c.  A protocol name is one line in
 * l4proto.c (and one in filter_kws[] if the bare word is a term).
 * Then describe it below, in man/flowtop.8 (FILTERS) and in
 * etc/completion/: tests/integration/completion.sh reads filter_kws[]
 * and fails on a keyword that one of them lacks.
 *
 * Terms:
 *   host ADDR|NET|NAME  either end of the flow: the source or destination of
 *                       the original tuple or of the reply tuple (so a NAT'd
 *                       flow matches its translated address too).  ADDR is
 *                       an IPv4 or IPv6 address; NET is a CIDR network
 *                       (192.0.2.0/24, 2001:db8::/32) or an IPv4 pattern
 *                       with trailing stars (192.0.2.*, 10.*).  Anything
 *                       else is a NAME, matched against the reverse DNS name
 *                       (only names already resolved; the filter never
 *                       waits for DNS): case-insensitive, glob '*' and '?',
 *                       a trailing dot ignored.  A NAME without a dot also
 *                       matches the first label: "host gw" matches gw.lan.
 *   src ..., dst ...    the same, on the original tuple's source or
 *                       destination only.  tcpdump style "src host X",
 *                       "src net N" and "src port P" (= sport P) are also
 *                       accepted.
 *   net NET             host, but the value must be an address or network.
 *   port N|N-M|SERVICE  the source or destination port of the original
 *                       tuple is N, within N-M, or the port of SERVICE for
 *                       the flow's protocol (services_port(): "port domain"
 *                       finds TCP and UDP port 53, "port ntp" only what the
 *                       service files list).  Only TCP, UDP, UDP-lite, SCTP
 *                       and DCCP have ports: port terms never match others.
 *   sport ..., dport ... one side only.
 *   key N|N-M           a GRE flow whose source or destination key (PPTP
 *                       call id) of the original tuple is N or within N-M
 *                       (decimal or 0x hex, as conntrack prints them).
 *   srckey ..., dstkey ...  one side only.
 *   proto P             P is a name of l4proto.c (tcp, udp, udplite, sctp,
 *                       dccp, icmp, icmp6 or icmpv6 or ipv6-icmp, gre, esp,
 *                       ah, igmp, ipip, 6in4, ospf, ...), ip-proto-N or a
 *                       number 0-255.  "udp" does not match UDP-lite and
 *                       "icmp" does not match ICMPv6.
 *   tcp udp udplite sctp dccp icmp icmp6 icmpv6 gre esp ah
 *                       short for proto P.
 *   ip4 ipv4 ip6 ipv6   the address family.
 *   proc NAME|PID       owning process: comm (glob, case-insensitive) or,
 *                       for a number, its PID.
 *   pid N               owning process id.
 *   user NAME|UID       owning user: a uid, or a name (glob) as the
 *                       caller's user_name() gives it.
 *   country CC|NAME     either end's GeoIP country: the two-letter code
 *                       (case-insensitive) or the English name (glob).
 *   city NAME, org NAME either end's city or AS organisation (glob).
 *   asn N               either end's AS number (N or ASN).
 *   state NAME          the protocol state as conntrack(8) prints it
 *                       (ESTABLISHED, SYN_SENT, TIME_WAIT, ... also glob:
 *                       "state syn*"), for TCP, SCTP and DCCP flows;
 *                       never matches a flow without a state (UDP, ICMP).
 *                       TCP: NONE SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT
 *                       CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE SYN_SENT2
 *                       (alias LISTEN).  SCTP: NONE CLOSED COOKIE_WAIT
 *                       COOKIE_ECHOED ESTABLISHED SHUTDOWN_SENT
 *                       SHUTDOWN_RECD SHUTDOWN_ACK_SENT HEARTBEAT_SENT
 *                       HEARTBEAT_ACKED.  DCCP: NONE REQUEST RESPOND
 *                       PARTOPEN OPEN CLOSEREQ CLOSING TIMEWAIT.
 *   state unreplied, unreplied   no reply seen yet (IPS_SEEN_REPLY clear),
 *                       any protocol.
 *   state assured, assured       IPS_ASSURED set, any protocol.
 *   bytes OP N, packets OP N, rate OP N
 *                       totals of both directions (rate: bytes/s over the
 *                       last interval).  OP is one of < <= = == != >= >,
 *                       the operator is required; "bytes>1M" needs no
 *                       blanks.  N is a decimal number with an optional
 *                       suffix k, M, G, T (powers of 1000) or Ki, Mi, Gi, Ti
 *                       (powers of 1024), case-insensitive, and an optional
 *                       B: 1.5M, 10KiB.  Flows without counters (accounting
 *                       off) never match these.
 *   mark N[/MASK]       connmark (decimal or 0x hex), masked if MASK given.
 *   zone N              conntrack zone.
 *   nat, snat, dnat     source and/or destination NAT: the IPS_SRC_NAT /
 *                       IPS_DST_NAT status bits, or a reply tuple that is not
 *                       the mirror of the original.
 *   loopback            either end is 127.0.0.0/8 or ::1.
 *   device NAME|MAC|ADDR|NET  the inside host of a flow that is not this
 *                       host's own (the LAN device of a forwarded flow, as
 *                       the Devices view groups them): its MAC address
 *                       (02:66:74:00:00:0a, also with '-'), its address or
 *                       network, or a NAME (glob, case-insensitive) matched
 *                       against its name from the DHCP leases, its reverse
 *                       DNS name (without a dot: also their first label),
 *                       its MAC and its address as text.  "device *" is
 *                       every forwarded flow, "not device *" this host's.
 *   ADDR, NET           a bare address or network is short for host ADDR.
 *
 * Process, user and GeoIP terms never match a flow whose owner or location
 * is unknown.  Case-insensitive means ASCII only; '?' matches one UTF-8
 * character.
 */
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "filter.h"
#include "filter_impl.h"
#include "l4proto.h"
#include "lan.h"
#include "services.h"

/* The node for the address, network or name in p->val on ends. */
static int64_t filter_host_value(struct parser *p, uint8_t ends,
				 bool net_only)
{
	struct fnode n = { .kind = FN_ADDR, .flags = ends };
	size_t len;

	if (!p->val[0]) {
		filter_error(p, p->val_pos, "empty %s", net_only ?
			     "network" : "host name");
		return -1;
	}
	switch (filter_parse_addr(p->val, &n.u.addr.family, &n.u.addr.net,
				  &n.u.addr.mask)) {
	case ADDR_OK:
		return filter_node(p, &n);
	case ADDR_BAD_ADDR:
		if (!net_only) {
			filter_error(p, p->val_pos, "bad address '%s'",
				     p->val);
			return -1;
		}
		/* fall through */
	case ADDR_BAD_NET:
		filter_error(p, p->val_pos, "bad network '%s'", p->val);
		return -1;
	case ADDR_NAME:
		break;
	}
	if (net_only) {
		filter_error(p, p->val_pos, "bad network '%s'", p->val);
		return -1;
	}
	/* "gw.example.net." names the same host as "gw.example.net". */
	len = strlen(p->val);
	while (len > 0 && p->val[len - 1] == '.')
		p->val[--len] = '\0';
	if (!len) {
		filter_error(p, p->val_pos, "empty host name");
		return -1;
	}
	if (!strchr(p->val, '.'))
		ends |= FNF_LABEL;
	return filter_str_node(p, FN_NAME, ends);
}

typedef int64_t (*filter_term_fn)(struct parser *p, const struct tok *kw,
				  int arg);

static int64_t filter_term_host(struct parser *p, const struct tok *kw,
				int arg)
{
	if (filter_value(p, kw, "an address, network or name"))
		return -1;
	return filter_host_value(p, (uint8_t)arg, false);
}

static int64_t filter_term_net(struct parser *p, const struct tok *kw,
			       int arg)
{
	if (filter_value(p, kw, "a network"))
		return -1;
	return filter_host_value(p, (uint8_t)arg, true);
}

/* A service's port for each protocol that has ports; false if none. */
static bool filter_service(const char *name, int32_t *ports)
{
	char low[64];
	size_t i;
	bool any = false;
	int port;

	for (i = 0; name[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)filter_lower((unsigned char)name[i]);
	low[i] = '\0';
	for (i = 0; i < N_PORT_PROTOS; i++) {
		port = services_port(filter_port_protos[i], name);
		/* Service files are lower case; "port HTTP" works too. */
		if (port < 0 && strlen(name) < sizeof(low) && strcmp(low, name))
			port = services_port(filter_port_protos[i], low);
		ports[i] = port >= 0 && port <= 65535 ? port : -1;
		any |= ports[i] >= 0;
	}
	return any;
}

/* "N" or "N-M" in p->val, 0 to 65535 (0x hex too): a node of FN_PORT on
 * the sides (and the GRE keys, FNF_KEY) in flags. */
static int64_t filter_range_node(struct parser *p, uint8_t flags,
				 const char *what)
{
	struct fnode n = { .kind = FN_PORT, .flags = flags };
	char *v = p->val, *dash = strchr(v, '-');
	uint64_t lo, hi;
	bool ok;

	if (dash)
		*dash = '\0';
	ok = filter_parse_uint(v, 65535, &lo);
	hi = lo;
	if (dash) {
		*dash = '-';
		ok = ok && filter_parse_uint(dash + 1, 65535, &hi) && hi >= lo;
	}
	if (!ok) {
		filter_error(p, p->val_pos, "bad %s %s'%s'", what,
			     dash ? "range " : "", v);
		return -1;
	}
	n.u.port.lo = (uint16_t)lo;
	n.u.port.hi = (uint16_t)hi;
	return filter_node(p, &n);
}

static int64_t filter_term_port(struct parser *p, const struct tok *kw,
				int arg)
{
	struct fnode n = { .flags = (uint8_t)arg };
	char *v;

	if (arg & FNF_KEY) {
		if (filter_value(p, kw, "a GRE key"))
			return -1;
		return filter_range_node(p, (uint8_t)arg, "key");
	}
	if (filter_value(p, kw, "a port"))
		return -1;
	v = p->val;
	if (*v >= '0' && *v <= '9' && strspn(v, "0123456789-") == strlen(v))
		return filter_range_node(p, (uint8_t)arg, "port");
	/* Resolved once here for each protocol, not once per flow. */
	n.kind = FN_SERVICE;
	if (!*v || !filter_service(v, n.u.svc.port)) {
		filter_error(p, p->val_pos, "unknown service '%s'", v);
		return -1;
	}
	return filter_node(p, &n);
}

static int64_t filter_term_proto(struct parser *p, const struct tok *kw,
				 int arg)
{
	uint64_t hex;
	int num;

	(void)arg;
	if (filter_value(p, kw, "a protocol"))
		return -1;
	num = l4proto_parse(p->val);
	if (num >= 0)
		return filter_num_node(p, FN_PROTO, (uint64_t)num);
	if (filter_parse_uint(p->val, 255, &hex))
		return filter_num_node(p, FN_PROTO, hex);
	filter_error(p, p->val_pos, "unknown protocol '%s'", p->val);
	return -1;
}

static int64_t filter_term_flag(struct parser *p, const struct tok *kw,
				int arg);

/* A number (PID, UID) or else a name (process, user) glob. */
static int64_t filter_num_or_name(struct parser *p, const struct tok *kw,
				  const char *what, uint64_t max, int num_kind,
				  int str_kind, const char *empty)
{
	uint64_t num;

	if (filter_value(p, kw, what))
		return -1;
	if (filter_parse_uint(p->val, max, &num))
		return filter_num_node(p, num_kind, num);
	if (!p->val[0]) {
		filter_error(p, p->val_pos, "%s", empty);
		return -1;
	}
	return filter_str_node(p, str_kind, 0);
}

static int64_t filter_term_proc(struct parser *p, const struct tok *kw,
				int arg)
{
	(void)arg;
	return filter_num_or_name(p, kw, "a process name or PID", INT32_MAX,
				  FN_PID, FN_COMM, "empty process name");
}

/* A number up to max, or an error naming what it should have been. */
static int64_t filter_num_term(struct parser *p, const struct tok *kw,
			       const char *what, const char *name,
			       uint64_t max, int kind)
{
	uint64_t num;

	if (filter_value(p, kw, what))
		return -1;
	if (!filter_parse_uint(p->val, max, &num)) {
		filter_error(p, p->val_pos, "bad %s '%s'", name, p->val);
		return -1;
	}
	return filter_num_node(p, kind, num);
}

static int64_t filter_term_pid(struct parser *p, const struct tok *kw,
			       int arg)
{
	(void)arg;
	return filter_num_term(p, kw, "a PID", "PID", INT32_MAX, FN_PID);
}

static int64_t filter_term_user(struct parser *p, const struct tok *kw,
				int arg)
{
	(void)arg;
	return filter_num_or_name(p, kw, "a user name or UID", UINT32_MAX,
				  FN_UID, FN_USER, "empty user name");
}

static int64_t filter_term_geo(struct parser *p, const struct tok *kw,
			       int arg)
{
	static const char *const what[] = {
		[FN_COUNTRY] = "a country code or name",
		[FN_CITY] = "a city",
		[FN_ORG] = "an organisation",
		[FN_ASN] = "an AS number",
	};
	const char *v;
	uint64_t num;
	uint8_t flags = 0;

	if (filter_value(p, kw, what[arg]))
		return -1;
	v = p->val;
	if (arg == FN_ASN) {
		if (!strncasecmp(v, "as", 2))
			v += 2;
		if (!filter_parse_uint(v, UINT32_MAX, &num) || !num) {
			filter_error(p, p->val_pos, "bad AS number '%s'",
				     p->val);
			return -1;
		}
		return filter_num_node(p, FN_ASN, num);
	}
	if (!v[0]) {
		filter_error(p, p->val_pos, "empty %s", arg == FN_COUNTRY ?
			     "country" : arg == FN_CITY ? "city" :
			     "organisation");
		return -1;
	}
	if (arg == FN_COUNTRY && strlen(v) == 2 &&
	    strspn(v, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 2)
		flags = FNF_CC;
	return filter_str_node(p, (uint8_t)arg, flags);
}

/* Bit n set where names[n] matches the lower-case pattern (filter_glob
 * folds the case of the names). */
static uint32_t filter_state_mask(uint8_t l4proto, const char *pat)
{
	size_t i, count;
	const char *const *names = l4proto_states(l4proto, &count);
	uint32_t mask = 0;

	for (i = 0; i < count && i < 32; i++)
		if (filter_glob(pat, names[i]))
			mask |= 1u << i;
	return mask;
}

static int64_t filter_term_state(struct parser *p, const struct tok *kw,
				 int arg)
{
	struct fnode n = { .kind = FN_STATE };
	char pat[64];
	size_t i;

	(void)arg;
	if (filter_value(p, kw, "a state"))
		return -1;
	if (!strcasecmp(p->val, "unreplied") || !strcasecmp(p->val, "assured"))
		return filter_term_flag(p, kw, p->val[0] == 'u' ||
					       p->val[0] == 'U' ? 0 : 1);
	for (i = 0; p->val[i] && i + 1 < sizeof(pat); i++)
		pat[i] = (char)filter_lower((unsigned char)p->val[i]);
	pat[i] = '\0';
	/* A value too long for pat[] names no state: the masks stay empty. */
	if (!p->val[i]) {
		n.u.state.tcp = filter_state_mask(IPPROTO_TCP, pat);
		n.u.state.sctp = filter_state_mask(IPPROTO_SCTP, pat);
		n.u.state.dccp = filter_state_mask(IPPROTO_DCCP, pat);
		/* Old conntrack printed SYN_SENT2 as LISTEN. */
		if (filter_glob(pat, "LISTEN"))
			n.u.state.tcp |= 1u << 9;
	}
	if (!n.u.state.tcp && !n.u.state.sctp && !n.u.state.dccp) {
		filter_error(p, p->val_pos, "unknown state '%s'", p->val);
		return -1;
	}
	return filter_node(p, &n);
}

static int64_t filter_term_cmp(struct parser *p, const struct tok *kw,
			       int arg)
{
	struct fnode n = { .kind = (uint8_t)arg };
	struct tok op;

	if (p->tok.type != TOK_CMP) {
		filter_error(p, p->tok.pos, "expected a comparison (<, <=, =, "
			     "!=, >=, >) after '" TOKFMT "'", TOKARG(p, kw));
		return -1;
	}
	op = p->tok;
	n.u.cmp.op = (uint8_t)op.cmp;
	filter_advance(p);
	if (filter_value(p, &op, "a number"))
		return -1;
	if (!filter_parse_amount(p->val, &n.u.cmp.val)) {
		filter_error(p, p->val_pos, "bad number '%s'", p->val);
		return -1;
	}
	return filter_node(p, &n);
}

static int64_t filter_term_mark(struct parser *p, const struct tok *kw,
				int arg)
{
	struct fnode n = { .kind = FN_MARK };
	uint64_t val, mask = UINT32_MAX;
	char *slash;

	(void)arg;
	if (filter_value(p, kw, "a number"))
		return -1;
	slash = strchr(p->val, '/');
	if (slash)
		*slash = '\0';
	if (!filter_parse_uint(p->val, UINT32_MAX, &val) ||
	    (slash && !filter_parse_uint(slash + 1, UINT32_MAX, &mask))) {
		if (slash)
			*slash = '/';
		filter_error(p, p->val_pos, "bad mark '%s'", p->val);
		return -1;
	}
	n.u.mark.val = (uint32_t)(val & mask);
	n.u.mark.mask = (uint32_t)mask;
	return filter_node(p, &n);
}

static int64_t filter_term_zone(struct parser *p, const struct tok *kw,
				int arg)
{
	(void)arg;
	return filter_num_term(p, kw, "a number", "zone", UINT16_MAX,
			       FN_ZONE);
}

/* Bare protocol words: tcp, udp, ... */
static int64_t filter_term_bare_proto(struct parser *p, const struct tok *kw,
				      int arg)
{
	(void)kw;
	return filter_num_node(p, FN_PROTO, (uint64_t)arg);
}

static int64_t filter_term_family(struct parser *p, const struct tok *kw,
				  int arg)
{
	(void)kw;
	return filter_num_node(p, FN_FAMILY, (uint64_t)arg);
}

/* arg 0: unreplied, 1: assured. */
static int64_t filter_term_flag(struct parser *p, const struct tok *kw,
				int arg)
{
	struct fnode n = { .kind = FN_STATUS };

	(void)kw;
	n.u.status.mask = arg ? IPS_ASSURED : IPS_SEEN_REPLY;
	n.u.status.want = arg ? IPS_ASSURED : 0;
	return filter_node(p, &n);
}

static int64_t filter_term_nat(struct parser *p, const struct tok *kw,
			       int arg)
{
	struct fnode n = { .kind = FN_NAT, .flags = (uint8_t)arg };

	(void)kw;
	return filter_node(p, &n);
}

static int64_t filter_term_loopback(struct parser *p, const struct tok *kw,
				    int arg)
{
	struct fnode n4 = { .kind = FN_ADDR, .flags = FNF_ENDS };
	struct fnode n6 = n4;
	int64_t a, b;
	uint32_t kids[2];

	(void)kw;
	(void)arg;
	n4.u.addr.family = AF_INET;
	n4.u.addr.net.b[0] = 127;
	filter_mask(&n4.u.addr.mask, 8);
	n6.u.addr.family = AF_INET6;
	n6.u.addr.net.b[15] = 1;
	filter_mask(&n6.u.addr.mask, 128);
	a = filter_node(p, &n4);
	b = a < 0 ? -1 : filter_node(p, &n6);
	if (b < 0)
		return -1;
	kids[0] = (uint32_t)a;
	kids[1] = (uint32_t)b;
	return filter_list_node(p, FN_OR, kids, 2);
}

/* device: a MAC, an address or network, else a name (or a MAC's glob). */
static int64_t filter_term_device(struct parser *p, const struct tok *kw,
				  int arg)
{
	struct fnode n = { .kind = FN_DEV_ADDR };
	uint8_t mac[LAN_MAC_MAX] = { 0 };
	bool glob;
	int m;

	(void)arg;
	if (filter_value(p, kw, "a device name, MAC or address"))
		return -1;
	if (!p->val[0]) {
		filter_error(p, p->val_pos, "empty device name");
		return -1;
	}
	m = lan_parse_mac(p->val, mac, sizeof(mac));
	if (m >= 6) {
		n.kind = FN_DEV_MAC;
		n.flags = (uint8_t)m;
		memcpy(&n.u.num, mac, sizeof(n.u.num));
		return filter_node(p, &n);
	}
	glob = strpbrk(p->val, "*?") != NULL;
	switch (filter_parse_addr(p->val, &n.u.addr.family, &n.u.addr.net,
				  &n.u.addr.mask)) {
	case ADDR_OK:
		return filter_node(p, &n);
	case ADDR_BAD_ADDR:
	case ADDR_BAD_NET:
		/* "02:66:*" is a pattern of MACs, not a bad address. */
		if (!glob) {
			filter_error(p, p->val_pos, "bad device address or "
				     "MAC '%s'", p->val);
			return -1;
		}
		break;
	case ADDR_NAME:
		break;
	}
	return filter_str_node(p, FN_DEV_NAME, strchr(p->val, '.') ? 0 :
			       FNF_LABEL);
}

/* src/dst: an address, network or name; tcpdump's "src host X",
 * "src net N" and "src port P" too. */
static int64_t filter_term_src_dst(struct parser *p, const struct tok *kw,
				   int arg)
{
	struct tok q = p->tok;

	if (filter_word_is(p, &q, "host")) {
		filter_advance(p);
		return filter_term_host(p, &q, arg);
	}
	if (filter_word_is(p, &q, "net")) {
		filter_advance(p);
		return filter_term_net(p, &q, arg);
	}
	if (filter_word_is(p, &q, "port")) {
		filter_advance(p);
		return filter_term_port(p, &q, arg == FNF_OSRC ? FNF_SPORT :
					FNF_DPORT);
	}
	return filter_term_host(p, kw, arg);
}

static const struct filter_kw {
	const char *name;
	filter_term_fn fn;
	int arg;
} filter_kws[] = {
	{ "host", filter_term_host, FNF_ENDS },
	{ "device", filter_term_device, 0 },
	{ "src", filter_term_src_dst, FNF_OSRC },
	{ "dst", filter_term_src_dst, FNF_ODST },
	{ "net", filter_term_net, FNF_ENDS },
	{ "port", filter_term_port, FNF_SPORT | FNF_DPORT },
	{ "sport", filter_term_port, FNF_SPORT },
	{ "dport", filter_term_port, FNF_DPORT },
	{ "key", filter_term_port, FNF_KEY | FNF_SPORT | FNF_DPORT },
	{ "srckey", filter_term_port, FNF_KEY | FNF_SPORT },
	{ "dstkey", filter_term_port, FNF_KEY | FNF_DPORT },
	{ "proto", filter_term_proto, 0 },
	{ "tcp", filter_term_bare_proto, IPPROTO_TCP },
	{ "udp", filter_term_bare_proto, IPPROTO_UDP },
	{ "udplite", filter_term_bare_proto, IPPROTO_UDPLITE },
	{ "sctp", filter_term_bare_proto, IPPROTO_SCTP },
	{ "dccp", filter_term_bare_proto, IPPROTO_DCCP },
	{ "icmp", filter_term_bare_proto, IPPROTO_ICMP },
	{ "icmp6", filter_term_bare_proto, IPPROTO_ICMPV6 },
	{ "icmpv6", filter_term_bare_proto, IPPROTO_ICMPV6 },
	{ "gre", filter_term_bare_proto, IPPROTO_GRE },
	{ "esp", filter_term_bare_proto, IPPROTO_ESP },
	{ "ah", filter_term_bare_proto, IPPROTO_AH },
	{ "ip4", filter_term_family, AF_INET },
	{ "ipv4", filter_term_family, AF_INET },
	{ "ip6", filter_term_family, AF_INET6 },
	{ "ipv6", filter_term_family, AF_INET6 },
	{ "proc", filter_term_proc, 0 },
	{ "pid", filter_term_pid, 0 },
	{ "user", filter_term_user, 0 },
	{ "country", filter_term_geo, FN_COUNTRY },
	{ "city", filter_term_geo, FN_CITY },
	{ "org", filter_term_geo, FN_ORG },
	{ "asn", filter_term_geo, FN_ASN },
	{ "state", filter_term_state, 0 },
	{ "unreplied", filter_term_flag, 0 },
	{ "assured", filter_term_flag, 1 },
	{ "bytes", filter_term_cmp, FN_BYTES },
	{ "packets", filter_term_cmp, FN_PACKETS },
	{ "rate", filter_term_cmp, FN_RATE },
	{ "mark", filter_term_mark, 0 },
	{ "zone", filter_term_zone, 0 },
	{ "nat", filter_term_nat, FNF_SNAT | FNF_DNAT },
	{ "snat", filter_term_nat, FNF_SNAT },
	{ "dnat", filter_term_nat, FNF_DNAT },
	{ "loopback", filter_term_loopback, 0 },
};

int64_t filter_parse_term(struct parser *p)
{
	struct tok kw = p->tok;
	struct fnode n;
	size_t i;

	if (kw.type == TOK_STRING) {
		filter_error(p, kw.pos, "a quoted string needs a keyword "
			     "before it, as in country \"United States\"");
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(filter_kws); i++) {
		if (filter_word_is(p, &kw, filter_kws[i].name)) {
			filter_advance(p);
			if (p->failed)
				return -1;
			return filter_kws[i].fn(p, &kw, filter_kws[i].arg);
		}
	}
	/* A bare address or network is a host term. */
	filter_take_text(p);
	memset(&n, 0, sizeof(n));
	switch (filter_parse_addr(p->val, &n.u.addr.family, &n.u.addr.net,
				  &n.u.addr.mask)) {
	case ADDR_OK:
		filter_advance(p);
		n.kind = FN_ADDR;
		n.flags = FNF_ENDS;
		return p->failed ? -1 : filter_node(p, &n);
	case ADDR_BAD_NET:
		filter_error(p, kw.pos, "bad network '%s'", p->val);
		return -1;
	case ADDR_BAD_ADDR:
		if (strpbrk(p->val, ".:")) {
			filter_error(p, kw.pos, "bad address '%s'", p->val);
			return -1;
		}
		break;
	case ADDR_NAME:
		break;
	}
	filter_error(p, kw.pos, "unknown keyword '" TOKFMT "'",
		     TOKARG(p, &kw));
	return -1;
}
