/*
 * ct_inject: create, update and delete synthetic conntrack entries over
 * ctnetlink, for flowtop's integration tests.  Run it inside the test's
 * network namespace: ip netns exec NS build/tools/ct_inject ...
 *
 * Interface (kept stable: tests compute expected tuples from it):
 *
 *   ct_inject add    --proto P --family 4|6 [--count N] [--start K]
 *                    [--state S] [--timeout SEC] [--mark M] [--zone Z]
 *                    [--status LIST] [--sport PORT] [--dport PORT]
 *                    [--bytes B --packets P] [--dnat ADDR] [--snat ADDR]
 *   ct_inject update (same options: changes state, timeout, mark, status
 *                    of existing entries)
 *   ct_inject del    --proto P --family 4|6 [--count N] [--start K]
 *                    [--zone Z] (every add option is accepted, so the
 *                    same arguments as add delete what add made)
 *   ct_inject count  [--family 4|6] [--proto P]
 *                    prints the number of entries of this namespace's
 *                    table, counted from one dump
 *
 * Entry k (K <= k < K+N; defaults N 1, K 0), with a = k % 250,
 * b = (k / 250) % 250, c = (k / 62500) % 2, original direction:
 *   IPv4  src 192.0.2.(1+a), dst 198.51.100.(1+b) (c 0) / 203.0.113.(1+b)
 *   IPv6  src 2001:db8:1::X (X = 1+a, hex), dst 2001:db8:2::Y (c 0) or
 *         2001:db8:3::Y (c 1), Y = 1+b, hex
 *   ports sport 10000 + k % 50000, dport 20000 + k % 40000 (or --sport,
 *         --dport); icmp: type 8 (icmpv6 128), code 0, id k % 65536
 *   distinct for k < 1000000 (k < 125000 with --sport/--dport)
 * Reply: the inverse (icmp echo reply 0 / 129); --dnat ADDR replaces the
 * reply's src, --snat ADDR its dst (through the kernel's NAT, which sets
 * the NAT status bits).  Defaults: tcp and sctp ESTABLISHED, dccp OPEN,
 * timeout 3600 s; sctp vtags 0x10000000 + k (orig), 0x20000000 + k.
 * Counters: Linux ignores them over ctnetlink; a warning says so.
 *
 * Exit: 0 ok; 1 the kernel refused (errno text and tuples on stderr);
 * 2 usage; 3 no conntrack tracker for the protocol in this kernel (dccp
 * on recent kernels, e.g. 6.18 here: the kernel would store a portless
 * generic entry; it is removed again).  "ct_inject --help" (usage()
 * below) says all this, and the state names.
 *
 * Speed: one sendmsg() carries a batch of up to INJ_BATCH bytes of
 * IPCTNL_MSG_CT_NEW messages (a few hundred entries); the kernel
 * handles every message of the batch before sendmsg() returns and answers
 * only errors plus one ACK for the last message.  100,000 entries take
 * 0.2-0.5 s here (2 cores, Linux 6.18).
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_dccp.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_sctp.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#ifndef IPPROTO_DCCP
#define IPPROTO_DCCP 33
#endif

#define INJ_EXIT_FAIL		1
#define INJ_EXIT_USAGE		2
#define INJ_EXIT_UNTRACKED	3

/* Entries are distinct while k < INJ_K_LIMIT (see usage()). */
#define INJ_K_LIMIT		1000000UL
/* Bytes of requests per sendmsg(); must stay below the socket's sndbuf. */
#define INJ_BATCH		(64 * 1024)
/* Room kept for one message: a CT_NEW is about 250 bytes. */
#define INJ_MSG_MAX		1024
#define INJ_RCVBUF		(8 * 1024 * 1024)
/* Only the first errors are printed one by one; the total always is. */
#define INJ_MAX_REPORTS		10

enum inj_cmd { INJ_ADD, INJ_UPDATE, INJ_DEL, INJ_COUNT };

struct inj_opts {
	enum inj_cmd cmd;
	const char *proto_name;
	int l4proto;			/* -1: not given */
	int family;			/* AF_INET, AF_INET6, 0: not given */
	unsigned long count;
	unsigned long start;
	int state;			/* -1: protocol default */
	uint32_t timeout;
	bool has_mark, has_zone, has_status, has_counters;
	bool has_bytes, has_packets;
	uint32_t mark;
	uint16_t zone;
	uint32_t status;
	uint64_t bytes, packets;
	int sport, dport;		/* -1: derived from k */
	bool has_dnat, has_snat;
	struct in6_addr dnat, snat;	/* first 4 bytes for IPv4 */
};

struct inj_tuple {
	struct in6_addr src, dst;	/* first 4 bytes for IPv4 */
	uint16_t sport, dport, icmp_id;
};

struct inj_name {
	const char *name;
	int value;
};

static const struct inj_name inj_protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
	{ "udplite", IPPROTO_UDPLITE }, { "sctp", IPPROTO_SCTP },
	{ "dccp", IPPROTO_DCCP }, { "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 }, { NULL, 0 }
};

static const struct inj_name inj_tcp_states[] = {
	{ "NONE", TCP_CONNTRACK_NONE }, { "SYN_SENT", TCP_CONNTRACK_SYN_SENT },
	{ "SYN_RECV", TCP_CONNTRACK_SYN_RECV },
	{ "ESTABLISHED", TCP_CONNTRACK_ESTABLISHED },
	{ "FIN_WAIT", TCP_CONNTRACK_FIN_WAIT },
	{ "CLOSE_WAIT", TCP_CONNTRACK_CLOSE_WAIT },
	{ "LAST_ACK", TCP_CONNTRACK_LAST_ACK },
	{ "TIME_WAIT", TCP_CONNTRACK_TIME_WAIT },
	{ "CLOSE", TCP_CONNTRACK_CLOSE },
	{ "SYN_SENT2", TCP_CONNTRACK_SYN_SENT2 }, { NULL, 0 }
};

static const struct inj_name inj_sctp_states[] = {
	{ "NONE", SCTP_CONNTRACK_NONE }, { "CLOSED", SCTP_CONNTRACK_CLOSED },
	{ "COOKIE_WAIT", SCTP_CONNTRACK_COOKIE_WAIT },
	{ "COOKIE_ECHOED", SCTP_CONNTRACK_COOKIE_ECHOED },
	{ "ESTABLISHED", SCTP_CONNTRACK_ESTABLISHED },
	{ "SHUTDOWN_SENT", SCTP_CONNTRACK_SHUTDOWN_SENT },
	{ "SHUTDOWN_RECD", SCTP_CONNTRACK_SHUTDOWN_RECD },
	{ "SHUTDOWN_ACK_SENT", SCTP_CONNTRACK_SHUTDOWN_ACK_SENT },
	{ "HEARTBEAT_SENT", SCTP_CONNTRACK_HEARTBEAT_SENT }, { NULL, 0 }
};

static const struct inj_name inj_dccp_states[] = {
	{ "NONE", DCCP_CONNTRACK_NONE }, { "REQUEST", DCCP_CONNTRACK_REQUEST },
	{ "RESPOND", DCCP_CONNTRACK_RESPOND },
	{ "PARTOPEN", DCCP_CONNTRACK_PARTOPEN },
	{ "OPEN", DCCP_CONNTRACK_OPEN },
	{ "CLOSEREQ", DCCP_CONNTRACK_CLOSEREQ },
	{ "CLOSING", DCCP_CONNTRACK_CLOSING },
	{ "TIMEWAIT", DCCP_CONNTRACK_TIMEWAIT }, { NULL, 0 }
};

static const struct inj_name inj_status_bits[] = {
	{ "SEEN_REPLY", IPS_SEEN_REPLY }, { "ASSURED", IPS_ASSURED },
	{ NULL, 0 }
};

static void usage(FILE *f)
{
	fputs(
"usage: ct_inject add    --proto P --family 4|6 [--count N] [--start K]\n"
"                        [--state S] [--timeout SEC] [--mark M] [--zone Z]\n"
"                        [--status LIST] [--sport PORT] [--dport PORT]\n"
"                        [--bytes B --packets P] [--dnat ADDR] [--snat ADDR]\n"
"       ct_inject update (the add options; changes state, timeout, mark,\n"
"                        status of entries that exist)\n"
"       ct_inject del    --proto P --family 4|6 [--count N] [--start K]\n"
"                        [--zone Z] (add's other options are accepted and\n"
"                        ignored, so add's arguments delete what add made)\n"
"       ct_inject count  [--family 4|6] [--proto P]\n"
"                        print the number of entries, counted by one dump\n"
"\n"
"Run it inside a network namespace (ip netns exec NS ct_inject ...).\n"
"P: tcp udp udplite sctp dccp icmp (family 4) icmpv6 (family 6).\n"
"N defaults to 1, K to 0; entries k = K .. K+N-1 are made.\n"
"\n"
"Tuple of entry k (original direction), with\n"
"  a = k % 250,  b = (k / 250) % 250,  c = (k / 62500) % 2:\n"
"  IPv4  src 192.0.2.(1+a)\n"
"        dst 198.51.100.(1+b) if c = 0, 203.0.113.(1+b) if c = 1\n"
"  IPv6  src 2001:db8:1::X  with X = 1+a in hex (k=9 -> 2001:db8:1::a)\n"
"        dst 2001:db8:2::Y if c = 0, 2001:db8:3::Y if c = 1, Y = 1+b hex\n"
"  ports (tcp udp udplite sctp dccp):\n"
"        sport 10000 + k % 50000,  dport 20000 + k % 40000\n"
"        (--sport/--dport fix them for every entry instead)\n"
"  icmp  type 8 (echo request; icmpv6: 128), code 0, id k % 65536\n"
"Tuples are distinct for 0 <= k < 1000000 (with --sport or --dport: for\n"
"k < 125000); K+N may not exceed 1000000.\n"
"Reply tuple: the inverse (src and dst, sport and dport swapped; icmp echo\n"
"reply 0 / 129, same id).  --dnat ADDR makes the reply's src ADDR, --snat\n"
"ADDR the reply's dst ADDR (a translated reply tuple, as NAT makes it);\n"
"the kernel's NAT is asked to do it, so the entry has the DST_NAT/SRC_NAT\n"
"status bits (conntrack -L --dst-nat / --src-nat list it).  With --snat\n"
"and fixed ports, entries that would translate alike get another port\n"
"from NAT (seen as the reply's dport).\n"
"\n"
"--state S  tcp: NONE SYN_SENT SYN_RECV ESTABLISHED (default) FIN_WAIT\n"
"           CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE SYN_SENT2\n"
"           sctp: CLOSED COOKIE_WAIT COOKIE_ECHOED ESTABLISHED (default)\n"
"           SHUTDOWN_SENT SHUTDOWN_RECD SHUTDOWN_ACK_SENT HEARTBEAT_SENT;\n"
"           vtags are set: orig 0x10000000 + k, reply 0x20000000 + k\n"
"           dccp: REQUEST RESPOND PARTOPEN OPEN (default) CLOSEREQ CLOSING\n"
"           TIMEWAIT; role client\n"
"           udp, udplite, icmp have no state: use --status.\n"
"--status LIST  comma list of SEEN_REPLY, ASSURED (status bits to set)\n"
"--timeout SEC  default 3600.  --mark M (0x.. ok), --zone Z (0..65535).\n"
"--bytes B --packets P  counters, both directions: Linux (checked on 6.18)\n"
"           does not accept counters over ctnetlink: it ignores\n"
"           CTA_COUNTERS_* when creating or changing an entry.  They are\n"
"           sent, the first entry is read back, and a warning says when\n"
"           they were not taken.  Counters come from real traffic only.\n"
"\n"
"Output: add/update/del print one summary line; count prints a number.\n"
"Exit: 0 ok; 1 the kernel refused something (its errno text is printed,\n"
"with the tuple of each failed entry); 2 usage error; 3 the kernel has\n"
"no conntrack tracker for the protocol (it stores such entries as a\n"
"generic layer-4 protocol without ports or state, e.g. dccp on recent\n"
"kernels such as 6.18): nothing is left behind.\n",
	f);
}

static int inj_lookup(const struct inj_name *t, const char *name)
{
	for (; t->name; t++)
		if (strcasecmp(t->name, name) == 0)
			return t->value;
	return -1;
}

static int inj_parse_ulong(const char *s, unsigned long max,
			   unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int inj_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int inj_parse_status(const char *s, uint32_t *out)
{
	char buf[128], *tok, *save = NULL;
	int bit;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		bit = inj_lookup(inj_status_bits, tok);
		if (bit < 0)
			return -EINVAL;
		*out |= (uint32_t)bit;
	}
	return 0;
}

static int inj_usage_error(const char *fmt, const char *arg)
{
	fputs("ct_inject: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n(ct_inject --help for usage)\n", stderr);
	return -EINVAL;
}

static int inj_parse_args(int argc, char **argv, struct inj_opts *o)
{
	static const struct option longopts[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ "family", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'n' },
		{ "start", required_argument, NULL, 'k' },
		{ "state", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "mark", required_argument, NULL, 'm' },
		{ "zone", required_argument, NULL, 'z' },
		{ "status", required_argument, NULL, 'u' },
		{ "sport", required_argument, NULL, 'S' },
		{ "dport", required_argument, NULL, 'D' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "packets", required_argument, NULL, 'P' },
		{ "dnat", required_argument, NULL, 'd' },
		{ "snat", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *state = NULL, *dnat = NULL, *snat = NULL;
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->l4proto = -1;
	o->count = 1;
	o->state = -1;
	o->timeout = 3600;
	o->sport = o->dport = -1;

	if (argc < 2)
		return inj_usage_error("%s", "no command given");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 1;
	}
	if (strcmp(argv[1], "add") == 0)
		o->cmd = INJ_ADD;
	else if (strcmp(argv[1], "update") == 0)
		o->cmd = INJ_UPDATE;
	else if (strcmp(argv[1], "del") == 0)
		o->cmd = INJ_DEL;
	else if (strcmp(argv[1], "count") == 0)
		o->cmd = INJ_COUNT;
	else
		return inj_usage_error("unknown command '%s'", argv[1]);

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->proto_name = optarg;
			o->l4proto = inj_lookup(inj_protos, optarg);
			if (o->l4proto < 0)
				return inj_usage_error("unknown protocol '%s'",
						       optarg);
			break;
		case 'f':
			if (strcmp(optarg, "4") == 0)
				o->family = AF_INET;
			else if (strcmp(optarg, "6") == 0)
				o->family = AF_INET6;
			else
				return inj_usage_error("--family is 4 or 6, "
						       "not '%s'", optarg);
			break;
		case 'n':
			if (inj_parse_ulong(optarg, INJ_K_LIMIT, &o->count))
				return inj_usage_error("bad --count '%s'",
						       optarg);
			break;
		case 'k':
			if (inj_parse_ulong(optarg, INJ_K_LIMIT, &o->start))
				return inj_usage_error("bad --start '%s'",
						       optarg);
			break;
		case 's':
			state = optarg;
			break;
		case 't':
			if (inj_parse_ulong(optarg, UINT32_MAX, &v) || v == 0)
				return inj_usage_error("bad --timeout '%s'",
						       optarg);
			o->timeout = v;
			break;
		case 'm':
			if (inj_parse_ulong(optarg, UINT32_MAX, &v))
				return inj_usage_error("bad --mark '%s'",
						       optarg);
			o->mark = v;
			o->has_mark = true;
			break;
		case 'z':
			if (inj_parse_ulong(optarg, UINT16_MAX, &v))
				return inj_usage_error("bad --zone '%s'",
						       optarg);
			o->zone = v;
			o->has_zone = true;
			break;
		case 'u':
			if (inj_parse_status(optarg, &o->status))
				return inj_usage_error("bad --status '%s' "
					"(SEEN_REPLY,ASSURED)", optarg);
			o->has_status = true;
			break;
		case 'S':
		case 'D':
			if (inj_parse_ulong(optarg, UINT16_MAX, &v))
				return inj_usage_error("bad port '%s'", optarg);
			if (c == 'S')
				o->sport = v;
			else
				o->dport = v;
			break;
		case 'b':
			if (inj_parse_u64(optarg, &o->bytes))
				return inj_usage_error("bad --bytes '%s'",
						       optarg);
			o->has_bytes = true;
			break;
		case 'P':
			if (inj_parse_u64(optarg, &o->packets))
				return inj_usage_error("bad --packets '%s'",
						       optarg);
			o->has_packets = true;
			break;
		case 'd':
			dnat = optarg;
			break;
		case 'x':
			snat = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return inj_usage_error("%s", "bad option");
		}
	}
	if (optind < argc)
		return inj_usage_error("unexpected argument '%s'",
				       argv[optind]);
	o->has_counters = o->has_bytes || o->has_packets;

	if (o->cmd == INJ_COUNT)
		return 0;

	if (o->l4proto < 0)
		return inj_usage_error("%s", "--proto is required");
	if (!o->family)
		return inj_usage_error("%s", "--family is required");
	if (o->l4proto == IPPROTO_ICMP && o->family != AF_INET)
		return inj_usage_error("%s", "icmp is --family 4 "
				       "(icmpv6 for 6)");
	if (o->l4proto == IPPROTO_ICMPV6 && o->family != AF_INET6)
		return inj_usage_error("%s", "icmpv6 is --family 6 "
				       "(icmp for 4)");
	if (o->count == 0 || o->start + o->count > INJ_K_LIMIT)
		return inj_usage_error("%s", "need 1 <= --count and "
				       "--start + --count <= 1000000");

	if (state) {
		const struct inj_name *t = NULL;

		if (o->l4proto == IPPROTO_TCP)
			t = inj_tcp_states;
		else if (o->l4proto == IPPROTO_SCTP)
			t = inj_sctp_states;
		else if (o->l4proto == IPPROTO_DCCP)
			t = inj_dccp_states;
		if (!t)
			return inj_usage_error("%s has no --state (use "
					       "--status)", o->proto_name);
		o->state = inj_lookup(t, state);
		if (o->state < 0)
			return inj_usage_error("unknown --state '%s' for this "
					       "protocol", state);
	}
	if (o->has_bytes != o->has_packets)
		return inj_usage_error("%s", "--bytes and --packets go "
				       "together");
	if (dnat) {
		if (inet_pton(o->family, dnat, &o->dnat) != 1)
			return inj_usage_error("bad --dnat address '%s' for "
					       "this family", dnat);
		o->has_dnat = true;
	}
	if (snat) {
		if (inet_pton(o->family, snat, &o->snat) != 1)
			return inj_usage_error("bad --snat address '%s' for "
					       "this family", snat);
		o->has_snat = true;
	}
	return 0;
}

static bool inj_has_ports(int l4proto)
{
	return l4proto == IPPROTO_TCP || l4proto == IPPROTO_UDP ||
	       l4proto == IPPROTO_UDPLITE || l4proto == IPPROTO_SCTP ||
	       l4proto == IPPROTO_DCCP;
}

/* The documented formula; see usage(). */
static void inj_tuple_of(const struct inj_opts *o, unsigned long k,
			 struct inj_tuple *t)
{
	unsigned int a = k % 250, b = (k / 250) % 250, c = (k / 62500) % 2;

	memset(t, 0, sizeof(*t));
	if (o->family == AF_INET) {
		uint8_t *s = t->src.s6_addr, *d = t->dst.s6_addr;

		s[0] = 192; s[1] = 0; s[2] = 2; s[3] = 1 + a;
		if (c == 0) {
			d[0] = 198; d[1] = 51; d[2] = 100;
		} else {
			d[0] = 203; d[1] = 0; d[2] = 113;
		}
		d[3] = 1 + b;
	} else {
		/* 2001:db8:1::X and 2001:db8:(2|3)::Y */
		t->src.s6_addr[0] = 0x20; t->src.s6_addr[1] = 0x01;
		t->src.s6_addr[2] = 0x0d; t->src.s6_addr[3] = 0xb8;
		t->dst = t->src;
		t->src.s6_addr[5] = 1;
		t->src.s6_addr[14] = (1 + a) >> 8;
		t->src.s6_addr[15] = (1 + a) & 0xff;
		t->dst.s6_addr[5] = c == 0 ? 2 : 3;
		t->dst.s6_addr[14] = (1 + b) >> 8;
		t->dst.s6_addr[15] = (1 + b) & 0xff;
	}
	t->sport = 10000 + k % 50000;
	t->dport = 20000 + k % 40000;
	if (o->sport >= 0)
		t->sport = o->sport;
	if (o->dport >= 0)
		t->dport = o->dport;
	t->icmp_id = k % 65536;
}

static void inj_fmt_tuple(char *buf, size_t len, const struct inj_opts *o,
			  unsigned long k)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	struct inj_tuple t;

	inj_tuple_of(o, k, &t);
	inet_ntop(o->family, &t.src, s, sizeof(s));
	inet_ntop(o->family, &t.dst, d, sizeof(d));
	if (inj_has_ports(o->l4proto))
		snprintf(buf, len, "k=%lu %s src=%s dst=%s sport=%u dport=%u",
			 k, o->proto_name, s, d, t.sport, t.dport);
	else
		snprintf(buf, len, "k=%lu %s src=%s dst=%s id=%u",
			 k, o->proto_name, s, d, t.icmp_id);
}

/* Fill ct with entry k: the tuples always, the rest unless tuple_only. */
static void inj_fill_ct(struct nf_conntrack *ct, const struct inj_opts *o,
			unsigned long k, bool tuple_only)
{
	struct inj_tuple t;
	const void *rsrc, *rdst;

	inj_tuple_of(o, k, &t);
	rsrc = o->has_dnat ? (const void *)&o->dnat : &t.dst;
	rdst = o->has_snat ? (const void *)&o->snat : &t.src;

	/* libnetfilter_conntrack derives the reply ICMP type from the
	 * original one using the family, so the family goes first. */
	nfct_set_attr_u8(ct, ATTR_ORIG_L3PROTO, o->family);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, o->family);
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, o->l4proto);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, o->l4proto);
	if (o->family == AF_INET) {
		nfct_set_attr(ct, ATTR_ORIG_IPV4_SRC, &t.src);
		nfct_set_attr(ct, ATTR_ORIG_IPV4_DST, &t.dst);
		nfct_set_attr(ct, ATTR_REPL_IPV4_SRC, rsrc);
		nfct_set_attr(ct, ATTR_REPL_IPV4_DST, rdst);
	} else {
		nfct_set_attr(ct, ATTR_ORIG_IPV6_SRC, &t.src);
		nfct_set_attr(ct, ATTR_ORIG_IPV6_DST, &t.dst);
		nfct_set_attr(ct, ATTR_REPL_IPV6_SRC, rsrc);
		nfct_set_attr(ct, ATTR_REPL_IPV6_DST, rdst);
	}
	if (inj_has_ports(o->l4proto)) {
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(t.sport));
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(t.dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(t.dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(t.sport));
	} else {
		nfct_set_attr_u8(ct, ATTR_ICMP_TYPE,
				 o->l4proto == IPPROTO_ICMP ? 8 : 128);
		nfct_set_attr_u8(ct, ATTR_ICMP_CODE, 0);
		nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(t.icmp_id));
	}
	if (o->has_zone)
		nfct_set_attr_u16(ct, ATTR_ZONE, o->zone);
	if (tuple_only)
		return;

	/* Also ask the kernel's NAT to do the translation: it then sets the
	 * SRC_NAT/DST_NAT status bits as for a real NATed flow, and makes
	 * the same reply tuple as ours (it only moves a port on a clash). */
	if (o->has_dnat)
		nfct_set_attr(ct, o->family == AF_INET ? ATTR_DNAT_IPV4 :
			      ATTR_DNAT_IPV6, &o->dnat);
	if (o->has_snat)
		nfct_set_attr(ct, o->family == AF_INET ? ATTR_SNAT_IPV4 :
			      ATTR_SNAT_IPV6, &o->snat);

	nfct_set_attr_u32(ct, ATTR_TIMEOUT, o->timeout);
	if (o->has_mark)
		nfct_set_attr_u32(ct, ATTR_MARK, o->mark);
	if (o->has_status)
		/* An existing entry is CONFIRMED and the kernel refuses to
		 * clear that bit (EBUSY); a new one must not claim it. */
		nfct_set_attr_u32(ct, ATTR_STATUS, o->status |
				  (o->cmd == INJ_UPDATE ? IPS_CONFIRMED : 0));
	switch (o->l4proto) {
	case IPPROTO_TCP:
		nfct_set_attr_u8(ct, ATTR_TCP_STATE, o->state >= 0 ?
				 o->state : TCP_CONNTRACK_ESTABLISHED);
		break;
	case IPPROTO_SCTP:
		/* The kernel wants both vtags with an SCTP state. */
		nfct_set_attr_u8(ct, ATTR_SCTP_STATE, o->state >= 0 ?
				 o->state : SCTP_CONNTRACK_ESTABLISHED);
		nfct_set_attr_u32(ct, ATTR_SCTP_VTAG_ORIG, 0x10000000 + k);
		nfct_set_attr_u32(ct, ATTR_SCTP_VTAG_REPL, 0x20000000 + k);
		break;
	case IPPROTO_DCCP:
		/* The kernel wants the role with a DCCP state. */
		nfct_set_attr_u8(ct, ATTR_DCCP_STATE, o->state >= 0 ?
				 o->state : DCCP_CONNTRACK_OPEN);
		nfct_set_attr_u8(ct, ATTR_DCCP_ROLE,
				 DCCP_CONNTRACK_ROLE_CLIENT);
		break;
	}
}

static void inj_put_counters(struct nlmsghdr *nlh, const struct inj_opts *o)
{
	static const int dirs[] = { CTA_COUNTERS_ORIG, CTA_COUNTERS_REPLY };
	struct nlattr *nest;
	size_t i;

	for (i = 0; i < 2; i++) {
		nest = mnl_attr_nest_start(nlh, dirs[i]);
		mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS,
				 htobe64(o->packets));
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(o->bytes));
		mnl_attr_nest_end(nlh, nest);
	}
}

static struct nlmsghdr *inj_put_msg(void *buf, int type, uint16_t flags,
				    uint32_t seq, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfh;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = family;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	return nlh;
}

static struct mnl_socket *inj_open(void)
{
	struct mnl_socket *nl;
	int one = 1, rcv = INJ_RCVBUF, fd;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl) {
		fprintf(stderr, "ct_inject: netlink socket: %s\n",
			strerror(errno));
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "ct_inject: netlink bind: %s\n",
			strerror(errno));
		mnl_socket_close(nl);
		return NULL;
	}
	fd = mnl_socket_get_fd(nl);
	/* Errors for a whole batch queue up before we read any: make room
	 * (FORCE needs CAP_NET_ADMIN, which creating entries needs too). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* Short error messages, and the kernel's text when it has one. */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	return nl;
}

static const char *inj_extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	off = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

struct inj_run {
	struct mnl_socket *nl;
	const struct inj_opts *o;
	unsigned long failed;
	int first_err;		/* errno of the first failure */
};

static void inj_report(struct inj_run *r, unsigned long k, int err,
		       const char *ext)
{
	char tuple[160];

	if (!r->first_err)
		r->first_err = err;
	r->failed++;
	if (r->failed > INJ_MAX_REPORTS)
		return;
	inj_fmt_tuple(tuple, sizeof(tuple), r->o, k);
	fprintf(stderr, "ct_inject: %s: kernel error: %s%s%s\n", tuple,
		strerror(err), ext ? ": " : "", ext ? ext : "");
	if (r->failed == INJ_MAX_REPORTS)
		fputs("ct_inject: (further errors only counted)\n", stderr);
}

/* Read the kernel's answers to one batch: errors, then the ACK of seq
 * last.  Sequence number i + 1 stands for entry start + i. */
static int inj_read_acks(struct inj_run *r, uint32_t last)
{
	static char buf[64 * 1024];
	const struct nlmsghdr *nlh;
	const struct nlmsgerr *err;
	ssize_t n;
	int len;

	for (;;) {
		n = mnl_socket_recvfrom(r->nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ct_inject: netlink receive: %s%s\n",
				strerror(errno), errno == ENOBUFS ?
				" (answers lost: receive buffer too small)" :
				"");
			return -errno;
		}
		len = n;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			err = mnl_nlmsg_get_payload(nlh);
			if (err->error)
				inj_report(r, r->o->start + nlh->nlmsg_seq - 1,
					   -err->error, inj_extack_msg(nlh));
			if (nlh->nlmsg_seq == last)
				return 0;
		}
	}
}

/* Send entries [k0, k1) in batches; r->o->cmd says what to do. */
static int inj_send_range(struct inj_run *r, unsigned long k0,
			  unsigned long k1)
{
	static char buf[INJ_BATCH];
	const struct inj_opts *o = r->o;
	bool tuple_only = o->cmd == INJ_DEL;
	struct nlmsghdr *nlh = NULL;
	uint16_t flags;
	size_t pos;
	struct nf_conntrack *ct;
	int type, ret = 0;
	unsigned long k = k0;

	switch (o->cmd) {
	case INJ_ADD:
		type = IPCTNL_MSG_CT_NEW;
		flags = NLM_F_CREATE | NLM_F_EXCL;
		break;
	case INJ_UPDATE:
		/* Without NLM_F_CREATE the kernel changes an existing entry
		 * and answers ENOENT for a missing one. */
		type = IPCTNL_MSG_CT_NEW;
		flags = 0;
		break;
	default:
		type = IPCTNL_MSG_CT_DELETE;
		flags = 0;
		break;
	}

	ct = nfct_new();
	if (!ct)
		return -ENOMEM;
	while (k < k1) {
		pos = 0;
		while (k < k1 && pos + INJ_MSG_MAX <= sizeof(buf)) {
			nlh = inj_put_msg(buf + pos, type, flags,
					  k - o->start + 1, o->family);
			inj_fill_ct(ct, o, k, tuple_only);
			if (nfct_nlmsg_build(nlh, ct) < 0) {
				fprintf(stderr, "ct_inject: cannot build "
					"message: %s\n", strerror(errno));
				ret = -EINVAL;
				goto out;
			}
			if (o->has_counters && !tuple_only)
				inj_put_counters(nlh, o);
			pos += nlh->nlmsg_len;
			k++;
		}
		/* One ACK per batch: the kernel handles the messages in
		 * order, so when it arrives every error is queued before. */
		nlh->nlmsg_flags |= NLM_F_ACK;
		if (mnl_socket_sendto(r->nl, buf, pos) < 0) {
			ret = -errno;
			fprintf(stderr, "ct_inject: netlink send: %s\n",
				strerror(-ret));
			goto out;
		}
		ret = inj_read_acks(r, nlh->nlmsg_seq);
		if (ret)
			goto out;
	}
out:
	nfct_destroy(ct);
	return ret;
}

struct inj_probe {
	bool found;
	bool has_l4;
	bool counters_taken;
	uint64_t want_bytes, want_packets;
};

static int inj_probe_cb(const struct nlmsghdr *nlh, void *data)
{
	struct inj_probe *p = data;
	struct nf_conntrack *ct = nfct_new();

	if (!ct)
		return MNL_CB_ERROR;
	if (nfct_nlmsg_parse(nlh, ct) >= 0) {
		p->found = true;
		p->has_l4 = nfct_attr_is_set(ct, ATTR_ORIG_PORT_SRC) ||
			    nfct_attr_is_set(ct, ATTR_ICMP_ID);
		p->counters_taken =
			nfct_attr_is_set(ct, ATTR_ORIG_COUNTER_BYTES) &&
			nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_BYTES) ==
				p->want_bytes &&
			nfct_get_attr_u64(ct, ATTR_ORIG_COUNTER_PACKETS) ==
				p->want_packets;
	}
	nfct_destroy(ct);
	return MNL_CB_OK;
}

/* Ask the kernel for entry k as it stored it.  A kernel without a
 * tracker for the protocol (dccp on 6.18) accepts the entry anyway as
 * a generic protocol and drops ports and state: detect that. */
static int inj_probe(struct inj_run *r, unsigned long k,
		     struct inj_probe *p)
{
	static char buf[16 * 1024];
	struct nf_conntrack *ct;
	struct nlmsghdr *nlh;
	uint32_t seq = 0x7fffffff;
	ssize_t n;
	int ret;

	memset(p, 0, sizeof(*p));
	p->want_bytes = r->o->bytes;
	p->want_packets = r->o->packets;
	nlh = inj_put_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_ACK, seq,
			  r->o->family);
	ct = nfct_new();
	if (!ct)
		return -ENOMEM;
	inj_fill_ct(ct, r->o, k, true);
	ret = nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	if (ret < 0)
		return -EINVAL;
	if (mnl_socket_sendto(r->nl, buf, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(r->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, seq, mnl_socket_get_portid(r->nl),
				 inj_probe_cb, p);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

static double inj_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int inj_modify(const struct inj_opts *o)
{
	static const char *const verbs[] = { "added", "updated", "deleted" };
	struct inj_run r = { .o = o };
	struct inj_probe probe;
	unsigned long k0 = o->start, k1 = o->start + o->count;
	double t0;
	int ret;

	if (o->has_counters && o->cmd == INJ_UPDATE)
		fputs("ct_inject: warning: the kernel does not change "
		      "counters over ctnetlink; --bytes/--packets ignored\n",
		      stderr);
	r.nl = inj_open();
	if (!r.nl)
		return INJ_EXIT_FAIL;
	t0 = inj_now();

	ret = 0;
	if (o->cmd == INJ_ADD) {
		/* First one entry alone, to see what the kernel made of it. */
		ret = inj_send_range(&r, k0, k0 + 1);
		if (!ret && !r.failed) {
			ret = inj_probe(&r, k0, &probe);
			if (ret) {
				fprintf(stderr, "ct_inject: reading back the "
					"first entry: %s\n", strerror(-ret));
			} else if (!probe.found || !probe.has_l4) {
				struct inj_opts d = *o;

				fprintf(stderr, "ct_inject: this kernel has "
					"no conntrack tracker for %s: it "
					"stored the entry as generic layer-4 "
					"protocol %d without %s or state "
					"(removed again; nothing created)\n",
					o->proto_name, o->l4proto,
					inj_has_ports(o->l4proto) ?
					"ports" : "icmp id");
				d.cmd = INJ_DEL;
				r.o = &d;
				inj_send_range(&r, k0, k0 + 1);
				mnl_socket_close(r.nl);
				return INJ_EXIT_UNTRACKED;
			} else if (o->has_counters && !probe.counters_taken) {
				fputs("ct_inject: warning: the kernel did not "
				      "take the counters (it ignores "
				      "CTA_COUNTERS_* from user space); "
				      "--bytes/--packets have no effect\n",
				      stderr);
			}
		}
		k0++;
		/* EEXIST for one entry says nothing about the others; EPERM
		 * or EINVAL would repeat for every one of them. */
		if (r.failed && r.first_err != EEXIST) {
			fprintf(stderr, "ct_inject: not trying the other "
				"%lu entries\n", o->count - 1);
			mnl_socket_close(r.nl);
			return INJ_EXIT_FAIL;
		}
	}
	if (!ret)
		ret = inj_send_range(&r, k0, k1);

	mnl_socket_close(r.nl);
	if (ret)
		return INJ_EXIT_FAIL;
	printf("ct_inject: %s %lu of %lu %s/ipv%d entries in %.3f s\n",
	       verbs[o->cmd], o->count - r.failed, o->count, o->proto_name,
	       o->family == AF_INET ? 4 : 6, inj_now() - t0);
	if (r.failed) {
		fprintf(stderr, "ct_inject: %lu of %lu failed (first error: "
			"%s)\n", r.failed, o->count, strerror(r.first_err));
		return INJ_EXIT_FAIL;
	}
	return 0;
}

struct inj_count {
	unsigned long n;
	int l4proto;
};

static int inj_count_l4(const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *b, *c;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != CTA_TUPLE_ORIG)
			continue;
		mnl_attr_for_each_nested(b, a) {
			if (mnl_attr_get_type(b) != CTA_TUPLE_PROTO)
				continue;
			mnl_attr_for_each_nested(c, b) {
				if (mnl_attr_get_type(c) == CTA_PROTO_NUM &&
				    mnl_attr_validate(c, MNL_TYPE_U8) == 0)
					return mnl_attr_get_u8(c);
			}
		}
	}
	return -1;
}

static int inj_count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct inj_count *c = data;

	if ((nlh->nlmsg_type & 0xff) != IPCTNL_MSG_CT_NEW)
		return MNL_CB_OK;
	if (c->l4proto < 0 || inj_count_l4(nlh) == c->l4proto)
		c->n++;
	return MNL_CB_OK;
}

static int inj_count(const struct inj_opts *o)
{
	static char buf[256 * 1024];
	struct inj_count c = { .n = 0, .l4proto = o->l4proto };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint32_t seq = 1;
	ssize_t n;
	int ret;

	nl = inj_open();
	if (!nl)
		return INJ_EXIT_FAIL;
	/* AF_UNSPEC dumps every family; a family makes the kernel filter. */
	nlh = inj_put_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq,
			  o->family ? o->family : AF_UNSPEC);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		fprintf(stderr, "ct_inject: netlink send: %s\n",
			strerror(errno));
		mnl_socket_close(nl);
		return INJ_EXIT_FAIL;
	}
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			ret = -1;
			break;
		}
		ret = mnl_cb_run(buf, n, seq, mnl_socket_get_portid(nl),
				 inj_count_cb, &c);
	} while (ret > 0);
	if (ret < 0) {
		fprintf(stderr, "ct_inject: dump: %s\n", strerror(errno));
		mnl_socket_close(nl);
		return INJ_EXIT_FAIL;
	}
	mnl_socket_close(nl);
	printf("%lu\n", c.n);
	return 0;
}

int main(int argc, char **argv)
{
	struct inj_opts o;
	int ret;

	ret = inj_parse_args(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : INJ_EXIT_USAGE;
	if (o.cmd == INJ_COUNT)
		return inj_count(&o);
	return inj_modify(&o);
}
