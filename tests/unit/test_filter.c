/* test_filter: the filter language against hand-built flows. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "check.h"
#include "filter.h"
#include "flow_list.h"
#include "geoip.h"
#include "lan.h"
#include "services.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Kernel state numbers (enum tcp_conntrack, sctp_conntrack, dccp_state). */
#define TCP_SYN_SENT	1
#define TCP_ESTAB	3
#define TCP_FIN_WAIT	4
#define TCP_TIME_WAIT	7
#define TCP_CLOSE	8
#define TCP_SYN_SENT2	9
#define SCTP_ESTAB	4
#define DCCP_OPEN	4

static const struct geo_info geo_us = {
	"US", "United States", "San Francisco", 64500, "Example Net"
};
static const struct geo_info geo_de = {
	"DE", "Germany", "Berlin", 64501, "Beispiel GmbH"
};
static const struct geo_info geo_fr = {
	"FR", "France", "Paris", 64502, "Exemple SA"
};
static const struct geo_info geo_ci = {
	"CI", "C\xc3\xb4te d'Ivoire", "Abidjan", 0, ""
};

#define N_ROWS 16
static struct flow_row rows[N_ROWS];
static const char *labels[N_ROWS];
static int n_rows;

static void set_addr(union flow_addr *a, int family, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(family, s, a->b) != 1) {
		fprintf(stderr, "bad test address %s\n", s);
		exit(2);
	}
}

/* A flow with a mirrored reply tuple, as conntrack reports one without
 * NAT. */
static struct flow_row *add(const char *label, int family, uint8_t proto,
			    const char *src, uint16_t sport, const char *dst,
			    uint16_t dport)
{
	struct flow_row *r = &rows[n_rows];

	memset(r, 0, sizeof(*r));
	labels[n_rows++] = label;
	r->rec.id = (uint32_t)n_rows;
	r->rec.family = (uint8_t)family;
	r->rec.l4proto = proto;
	set_addr(&r->rec.orig.src, family, src);
	set_addr(&r->rec.orig.dst, family, dst);
	r->rec.orig.sport = sport;
	r->rec.orig.dport = dport;
	r->rec.repl.src = r->rec.orig.dst;
	r->rec.repl.dst = r->rec.orig.src;
	r->rec.repl.sport = dport;
	r->rec.repl.dport = sport;
	r->rec.status = IPS_SEEN_REPLY | IPS_CONFIRMED;
	return r;
}

static void counters(struct flow_row *r, uint64_t ob, uint64_t op,
		     uint64_t rb, uint64_t rp, double ro, double rr)
{
	r->rec.have |= FLOW_HAVE_COUNTERS;
	r->rec.orig_bytes = ob;
	r->rec.orig_pkts = op;
	r->rec.repl_bytes = rb;
	r->rec.repl_pkts = rp;
	r->rate_orig = ro;
	r->rate_repl = rr;
}

static void state(struct flow_row *r, uint8_t st)
{
	r->rec.have |= FLOW_HAVE_STATE;
	r->rec.state = st;
}

static void owner(struct flow_row *r, int32_t pid, uint32_t uid,
		  const char *comm)
{
	r->owner.pid = pid;
	r->owner.uid = uid;
	r->owner.comm = comm;
}

static void build_rows(void)
{
	struct flow_row *r;

	r = add("t4", AF_INET, IPPROTO_TCP, "192.0.2.10", 40000,
		"198.51.100.20", 443);
	state(r, TCP_ESTAB);
	r->rec.status |= IPS_ASSURED;
	counters(r, 1000, 10, 5000, 8, 1500, 500);
	owner(r, 1234, 1000, "firefox");
	r->geo_dst = &geo_us;

	r = add("t6", AF_INET6, IPPROTO_TCP, "2001:db8::1", 50000,
		"2001:db8:1::2", 22);
	state(r, TCP_SYN_SENT);
	r->rec.status = 0;
	counters(r, 60, 1, 0, 0, 0, 0);
	owner(r, 2222, 0, "ssh");
	r->geo_dst = &geo_de;

	r = add("u4", AF_INET, IPPROTO_UDP, "192.0.2.10", 53000,
		"203.0.113.53", 53);
	counters(r, 80, 1, 200, 1, 0, 0);
	owner(r, 300, 101, "systemd-resolve");

	r = add("u6", AF_INET6, IPPROTO_UDP, "2001:db8::1", 123,
		"2001:db8:ff::7", 123);
	r->rec.status |= IPS_ASSURED;
	counters(r, 96, 2, 96, 2, 10000, 20000);
	owner(r, 400, 102, "chronyd");
	r->geo_dst = &geo_fr;

	r = add("ul", AF_INET, IPPROTO_UDPLITE, "192.0.2.11", 7000,
		"192.0.2.12", 7001);

	r = add("sc", AF_INET, IPPROTO_SCTP, "192.0.2.20", 3868,
		"198.51.100.30", 3868);
	state(r, SCTP_ESTAB);
	r->rec.status |= IPS_ASSURED;

	r = add("dc", AF_INET6, IPPROTO_DCCP, "2001:db8::5", 5001,
		"2001:db8::6", 5002);
	state(r, DCCP_OPEN);
	r->geo_dst = &geo_ci;

	r = add("i4", AF_INET, IPPROTO_ICMP, "192.0.2.10", 0,
		"198.51.100.1", 0);
	r->rec.have |= FLOW_HAVE_ICMP;
	r->rec.icmp_type = 8;
	counters(r, 84, 1, 84, 1, 0, 0);
	owner(r, -1, 0, NULL);

	r = add("i6", AF_INET6, IPPROTO_ICMPV6, "2001:db8::1", 0,
		"2001:db8::99", 0);
	r->rec.status = 0;

	/* Masquerade: the reply goes to the router's outside address. */
	r = add("sn", AF_INET, IPPROTO_TCP, "192.0.2.100", 33333,
		"203.0.113.80", 80);
	set_addr(&r->rec.repl.dst, AF_INET, "198.51.100.1");
	r->rec.repl.dport = 61000;
	r->rec.status |= IPS_ASSURED | IPS_SRC_NAT | IPS_SRC_NAT_DONE;
	state(r, TCP_TIME_WAIT);
	counters(r, 40000, 50, 60000, 50, 1000000, 500000);
	owner(r, -1, 0, NULL);
	r->geo_dst = &geo_us;

	/* Port forward seen only in the tuples (no status bits). */
	r = add("dn", AF_INET, IPPROTO_UDP, "198.51.100.50", 40000,
		"203.0.113.1", 53);
	set_addr(&r->rec.repl.src, AF_INET, "192.0.2.53");
	r->rec.repl.sport = 5353;
	counters(r, 500, 2, 500, 2, 0, 0);

	r = add("lo", AF_INET, IPPROTO_TCP, "127.0.0.1", 45000,
		"127.0.0.1", 631);
	state(r, TCP_CLOSE);
	counters(r, 1024, 3, 1024, 3, 0, 0);
	owner(r, 500, 0, "cupsd");
	r->rec.have |= FLOW_HAVE_MARK | FLOW_HAVE_ZONE;
	r->rec.mark = 0x10;
	r->rec.zone = 3;

	/* GRE: the kernel sends its keys (PPTP call ids) as ports. */
	r = add("gr", AF_INET, IPPROTO_GRE, "192.0.2.30", 0x10,
		"198.51.100.40", 0x20);

	/* No accounting, no owner. */
	r = add("nw", AF_INET, IPPROTO_TCP, "192.0.2.10", 41000,
		"203.0.113.9", 123);
	state(r, TCP_FIN_WAIT);
	r->rec.status |= IPS_ASSURED;
	r->rec.have |= FLOW_HAVE_MARK;
	r->rec.mark = 5;

	r = add("s2", AF_INET6, IPPROTO_TCP, "::1", 5000, "::1", 6000);
	state(r, TCP_SYN_SENT2);
	counters(r, 0, 0, 0, 0, 0, 0);
	owner(r, -1, 0, NULL);

	/* A row without a reply tuple must not match through it. */
	r = add("nr", AF_INET, IPPROTO_TCP, "192.0.2.10", 42000,
		"198.51.100.20", 80);
	memset(&r->rec.repl, 0, sizeof(r->rec.repl));
	r->rec.status = 0;
	state(r, TCP_SYN_SENT);
}

static const struct {
	int family;
	const char *addr, *name;
} names[] = {
	{ AF_INET, "198.51.100.20", "www.Example.COM." },
	{ AF_INET6, "2001:db8:1::2", "git.example.org" },
	{ AF_INET, "203.0.113.53", "ns1.example.net" },
	{ AF_INET, "198.51.100.1", "gw.example.net" },
	{ AF_INET, "192.0.2.53", "dns-inside.lan" },
	{ AF_INET, "127.0.0.1", "localhost" },
};

static unsigned host_name_calls;

static bool test_host_name(int family, const void *addr, char *buf,
			   size_t len)
{
	union flow_addr a;
	size_t i;

	host_name_calls++;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (names[i].family != family)
			continue;
		set_addr(&a, family, names[i].addr);
		if (!memcmp(a.b, addr, family == AF_INET ? 4 : 16)) {
			snprintf(buf, len, "%s", names[i].name);
			return true;
		}
	}
	return false;
}

static const char *test_user_name(unsigned uid, char *buf, unsigned len)
{
	switch (uid) {
	case 0:
		snprintf(buf, len, "root");
		return buf;
	case 1000:
		return "alice";
	case 101:
		return "systemd-resolve";
	case 102:
		return "_chrony";
	}
	return NULL;
}

static const struct filter_ctx ctx = {
	.host_name = test_host_name,
	.user_name = test_user_name,
};

/* Labels of the rows f matches, space separated. */
static void match_set(const struct filter *f, const struct filter_ctx *c,
		      char *buf, size_t len)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n_rows; i++) {
		if (!filter_match(f, &rows[i], c))
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "",
				      labels[i]);
	}
}

static void expect_c(const char *expr, const struct filter_ctx *c,
		     const char *want)
{
	struct filter *f = NULL;
	char err[160], got[256];
	size_t pos = 999;
	int rc;

	rc = filter_parse(expr, &f, err, sizeof(err), &pos);
	if (rc) {
		fprintf(stderr, "parse of \"%s\" failed: %s at %zu\n", expr,
			err, pos);
		CHECK(rc == 0);
		return;
	}
	CHECK(f != NULL);
	match_set(f, c, got, sizeof(got));
	if (strcmp(got, want))
		fprintf(stderr, "filter \"%s\"\n  got:  \"%s\"\n"
			"  want: \"%s\"\n", expr, got, want);
	CHECK_STR(got, want);
	filter_free(f);
}

static void expect(const char *expr, const char *want)
{
	expect_c(expr, &ctx, want);
}

#define ALL "t4 t6 u4 u6 ul sc dc i4 i6 sn dn lo gr nw s2 nr"
#define TCP_ROWS "t4 t6 sn lo nw s2 nr"
#define V4_ROWS "t4 u4 ul sc i4 sn dn lo gr nw nr"
#define V6_ROWS "t6 u6 dc i6 s2"

static const struct {
	const char *expr, *want;
} table[] = {
	{ "", ALL },
	{ "   \t ", ALL },
	/* Protocols. */
	{ "tcp", TCP_ROWS },
	{ "proto tcp", TCP_ROWS },
	{ "PROTO TCP", TCP_ROWS },
	{ "proto 6", TCP_ROWS },
	{ "udp", "u4 u6 dn" },
	{ "proto udp", "u4 u6 dn" },
	{ "udplite", "ul" },
	{ "proto udp-lite", "ul" },
	{ "proto 136", "ul" },
	{ "sctp", "sc" },
	{ "dccp", "dc" },
	{ "icmp", "i4" },
	{ "icmp6", "i6" },
	{ "icmpv6", "i6" },
	{ "proto ipv6-icmp", "i6" },
	{ "proto icmpv6", "i6" },
	{ "proto gre", "gr" },
	{ "proto 47", "gr" },
	{ "proto 0x2f", "gr" },
	{ "gre", "gr" },
	{ "proto GRE", "gr" },
	{ "proto ip-proto-47", "gr" },
	{ "esp or ah or proto ipip or proto 6in4", "" },
	/* GRE keys: only GRE flows, never ports. */
	{ "key 16", "gr" },
	{ "key 0x20", "gr" },
	{ "key 0x11-0x1f", "" },
	{ "key 0x10-0x1f", "gr" },
	{ "srckey 0x10", "gr" },
	{ "srckey 0x20", "" },
	{ "dstkey 32", "gr" },
	{ "port 16 or port 32", "" },
	{ "key 443 or key 53", "" },
	{ "ip4", V4_ROWS },
	{ "ipv4", V4_ROWS },
	{ "ip6", V6_ROWS },
	{ "ipv6", V6_ROWS },
	{ "not ip4", V6_ROWS },
	/* Ports: only protocols with ports, original tuple. */
	{ "port 53", "u4 dn" },
	{ "dport 53", "u4 dn" },
	{ "sport 53", "" },
	{ "port 5353", "" },
	{ "port 123", "u6 nw" },
	{ "port 0", "" },
	{ "port 3868", "sc" },
	{ "port 7001", "ul" },
	{ "port 5000-5002", "dc s2" },
	{ "sport 5001", "dc" },
	{ "dport 5001", "" },
	{ "port 40000-42000", "t4 dn nw nr" },
	{ "port 443-443", "t4" },
	{ "src port 40000", "t4 dn" },
	{ "dst port 22", "t6" },
	/* Services, resolved per protocol. */
	{ "port domain", "u4 dn" },
	{ "port ntp", "u6" },
	{ "port NTP", "u6" },
	{ "port https", "t4" },
	{ "dport ssh", "t6" },
	{ "sport ssh", "" },
	{ "proto udp and not port 53", "u6" },
	{ "udp and not port domain", "u6" },
	/* Addresses and networks, both tuples for host. */
	{ "host 192.0.2.10", "t4 u4 i4 nw nr" },
	{ "192.0.2.10", "t4 u4 i4 nw nr" },
	{ "src 192.0.2.10", "t4 u4 i4 nw nr" },
	{ "src host 192.0.2.10", "t4 u4 i4 nw nr" },
	{ "dst 192.0.2.10", "" },
	{ "host 198.51.100.0/24", "t4 sc i4 sn dn gr nr" },
	{ "198.51.100.0/24", "t4 sc i4 sn dn gr nr" },
	{ "net 198.51.100.0/24", "t4 sc i4 sn dn gr nr" },
	{ "host 198.51.100.*", "t4 sc i4 sn dn gr nr" },
	{ "host 198.51.100.7/24", "t4 sc i4 sn dn gr nr" },
	{ "src net 198.51.100.0/24", "dn" },
	{ "src 198.51.100.0/24", "dn" },
	{ "dst net 198.51.100.0/24", "t4 sc i4 gr nr" },
	{ "dst 198.51.100.0/24", "t4 sc i4 gr nr" },
	{ "host 198.51.100.1", "i4 sn" },
	{ "dst 198.51.100.1", "i4" },
	{ "host 203.0.113.80", "sn" },
	{ "host 192.0.2.53", "dn" },
	{ "dst 192.0.2.53", "" },
	{ "net 192.0.2.0/25", "t4 u4 ul sc i4 sn dn gr nw nr" },
	{ "net 192.0.2.128/25", "" },
	{ "host 2001:db8::1", "t6 u6 i6" },
	{ "host 2001:DB8::1", "t6 u6 i6" },
	{ "host 2001:db8::/32", "t6 u6 dc i6" },
	{ "host 2001:db8:1::/48", "t6" },
	{ "dst 2001:db8::/33", "t6 u6 dc i6" },
	{ "dst 2001:db8::/48", "dc i6" },
	{ "host 2001:db8:ff::/48", "u6" },
	{ "net ::1/128", "s2" },
	{ "host ::1", "s2" },
	{ "loopback", "lo s2" },
	{ "not loopback and tcp", "t4 t6 sn nw nr" },
	{ "host 127.*", "lo" },
	{ "host 0.0.0.0", "" },
	{ "host 0.0.0.0/0", V4_ROWS },
	{ "host ::/0", V6_ROWS },
	/* Reverse names: glob, case, trailing dot, first label. */
	{ "host www.example.com", "t4 nr" },
	{ "host WWW.EXAMPLE.COM", "t4 nr" },
	{ "host www.example.com.", "t4 nr" },
	{ "host *.example.com", "t4 nr" },
	{ "host www", "t4 nr" },
	{ "host ww", "" },
	{ "host example", "" },
	{ "host *.example.net", "u4 i4 sn" },
	{ "host gw", "i4 sn" },
	{ "dst gw", "i4" },
	{ "src gw", "" },
	{ "host gw.example.net.", "i4 sn" },
	{ "host git*", "t6" },
	{ "host ?s1.*", "u4" },
	{ "host localhost", "lo" },
	{ "host dns-inside*", "dn" },
	{ "host *example*", "t4 t6 u4 i4 sn nr" },
	{ "host \"*.lan\"", "dn" },
	/* Owners. */
	{ "proc firefox", "t4" },
	{ "proc FIRE*", "t4" },
	{ "proc fire", "" },
	{ "proc 1234", "t4" },
	{ "pid 2222", "t6" },
	{ "proc *d", "u6 lo" },
	{ "proc ?sh", "t6" },
	{ "proc firefox or proc ssh", "t4 t6" },
	{ "proc tcp", "" },
	{ "proc \"and\"", "" },
	{ "user root", "t6 lo" },
	{ "user ROOT", "t6 lo" },
	{ "user 0", "t6 lo" },
	{ "user alice", "t4" },
	{ "user _chr*", "u6" },
	{ "user 101", "u4" },
	{ "pid 0", "" },
	/* GeoIP of either end. */
	{ "country US", "t4 sn" },
	{ "country us", "t4 sn" },
	{ "country de", "t6" },
	{ "country \"United States\"", "t4 sn" },
	{ "country 'united*'", "t4 sn" },
	{ "country Germany", "t6" },
	{ "country C?te*", "dc" },
	{ "country \"c\xc3\xb4te d'ivoire\"", "dc" },
	{ "country ci", "dc" },
	{ "country fr or country de", "t6 u6" },
	{ "country DE or proc firefox", "t4 t6" },
	{ "city Berlin", "t6" },
	{ "city paris", "u6" },
	{ "city \"san francisco\"", "t4 sn" },
	{ "asn 64500", "t4 sn" },
	{ "asn AS64501", "t6" },
	/* No string term at all: the program has no string table, which
	 * an AS number must not be taken as an offset into (the fuzzer's
	 * UBSan: "applying non-zero offset to null pointer"). */
	{ "asn 4", "" },
	{ "asn 4 or asn 64501", "t6" },
	{ "not asn 4 and asn 64500", "t4 sn" },
	{ "org \"Beispiel GmbH\"", "t6" },
	{ "org *net*", "t4 sn" },
	/* States, per protocol's numbering. */
	{ "state established", "t4 sc" },
	{ "state ESTABLISHED", "t4 sc" },
	{ "state syn_sent", "t6 nr" },
	{ "state syn*", "t6 s2 nr" },
	{ "state time_wait", "sn" },
	{ "state close", "lo" },
	{ "state open", "dc" },
	{ "state fin_wait", "nw" },
	{ "state syn_sent2", "s2" },
	{ "state listen", "s2" },
	{ "state none", "" },
	{ "state closed", "" },
	{ "udp and state established", "" },
	{ "state unreplied", "t6 i6 nr" },
	{ "unreplied", "t6 i6 nr" },
	{ "state assured", "t4 u6 sc sn nw" },
	{ "assured", "t4 u6 sc sn nw" },
	{ "not unreplied", "t4 u4 u6 ul sc dc i4 sn dn lo gr nw s2" },
	/* Counters, both directions, only with accounting. */
	{ "bytes > 1000", "t4 sn lo" },
	{ "bytes>1k", "t4 sn lo" },
	{ "bytes >= 1000", "t4 sn dn lo" },
	{ "bytes > 1000 and bytes < 2049", "lo" },
	{ "bytes = 2KiB", "lo" },
	{ "bytes == 2Ki", "lo" },
	{ "bytes=2048B", "lo" },
	{ "bytes < 100", "t6 s2" },
	{ "bytes != 0", "t4 t6 u4 u6 i4 sn dn lo" },
	{ "bytes > 0.1M", "" },
	{ "bytes >= 0.1M", "sn" },
	{ "bytes >= 100kB", "sn" },
	{ "bytes <= 168", "t6 i4 s2" },
	{ "packets > 5", "t4 sn lo" },
	{ "packets <= 1", "t6 s2" },
	{ "packets = 4", "u6 dn" },
	{ "rate > 1M", "sn" },
	{ "rate >= 30k", "u6 sn" },
	{ "rate > 0", "t4 u6 sn" },
	{ "rate >= 1.5m", "sn" },
	/* Mark, zone, NAT. */
	{ "mark 16", "lo" },
	{ "mark 0x10", "lo" },
	{ "mark 0", "t4 t6 u4 u6 ul sc dc i4 i6 sn dn gr s2 nr" },
	{ "mark 0x4/0x4", "nw" },
	{ "mark 0/0xf0", "t4 t6 u4 u6 ul sc dc i4 i6 sn dn gr nw s2 nr" },
	{ "zone 3", "lo" },
	{ "not zone 0", "lo" },
	{ "nat", "sn dn" },
	{ "snat", "sn" },
	{ "dnat", "dn" },
	{ "not nat and ip4", "t4 u4 ul sc i4 lo gr nw nr" },
	/* Precedence: not > and > or; juxtaposition is and. */
	{ "tcp or udp and port 53", "t4 t6 u4 sn dn lo nw s2 nr" },
	{ "(tcp or udp) and port 53", "u4 dn" },
	{ "udp and port 53 or tcp", "t4 t6 u4 sn dn lo nw s2 nr" },
	{ "udp and (port 53 or tcp)", "u4 dn" },
	{ "not tcp and ip4", "u4 ul sc i4 dn gr" },
	{ "!tcp && ip4", "u4 ul sc i4 dn gr" },
	{ "not (tcp and ip4)", "t6 u4 u6 ul sc dc i4 i6 dn gr s2" },
	{ "!(tcp&&ip4)", "t6 u4 u6 ul sc dc i4 i6 dn gr s2" },
	{ "not tcp or udp", "u4 u6 ul sc dc i4 i6 dn gr" },
	{ "not (tcp or udp)", "ul sc dc i4 i6 gr" },
	{ "tcp || udp", "t4 t6 u4 u6 sn dn lo nw s2 nr" },
	{ "tcp ip6", "t6 s2" },
	{ "tcp port 443 or udp port 123", "t4 u6" },
	{ "not not tcp", TCP_ROWS },
	{ "!!tcp", TCP_ROWS },
	{ "tcp and (port 443 or port 80 or port 631)", "t4 sn lo nr" },
	{ "((((tcp))))", TCP_ROWS },
	{ "TCP AND NOT Port 443", "t6 sn lo nw s2 nr" },
	{ "ip4 and (tcp or udp) and not (port 53 or port 80)",
	  "t4 lo nw" },
	{ "(udp)(port 53)", "u4 dn" },
	{ "udp&&port 53||sctp", "u4 sc dn" },
};

static const struct {
	const char *expr, *msg;
	size_t pos;
} errors[] = {
	{ "port", "expected a port after 'port'", 4 },
	{ "device", "expected a device name, MAC or address after 'device'",
	  6 },
	{ "device 192.0.2.999", "bad device address or MAC '192.0.2.999'", 7 },
	{ "device 02:66", "bad device address or MAC '02:66'", 7 },
	{ "device ''", "empty device name", 7 },
	{ "port and tcp", "expected a port after 'port'", 5 },
	{ "sport", "expected a port after 'sport'", 5 },
	{ "prot tcp", "unknown keyword 'prot'", 0 },
	{ "tcp and prot udp", "unknown keyword 'prot'", 8 },
	{ "firefox", "unknown keyword 'firefox'", 0 },
	{ "(tcp or udp", "unbalanced '('", 0 },
	{ "tcp and (udp or (icmp)", "unbalanced '('", 8 },
	{ "tcp)", "unbalanced ')'", 3 },
	{ ")", "unbalanced ')'", 0 },
	{ "(tcp))", "unbalanced ')'", 5 },
	{ "()", "empty parentheses", 1 },
	{ "host 10.0.0.0/33", "bad network '10.0.0.0/33'", 5 },
	{ "net 2001:db8::/129", "bad network '2001:db8::/129'", 4 },
	{ "10.0.0.0/33", "bad network '10.0.0.0/33'", 0 },
	{ "net foo", "bad network 'foo'", 4 },
	{ "host 10.0.0.0/", "bad network '10.0.0.0/'", 5 },
	{ "host 10.0.0.0/x", "bad network '10.0.0.0/x'", 5 },
	{ "host 192.0.2.300", "bad address '192.0.2.300'", 5 },
	{ "host 192.0.2.*.1", "bad address '192.0.2.*.1'", 5 },
	{ "192.0.2", "bad address '192.0.2'", 0 },
	{ "host 2001:db8::g", "bad address '2001:db8::g'", 5 },
	{ "foo:bar", "bad address 'foo:bar'", 0 },
	{ "host 2001:db8:::1", "bad address '2001:db8:::1'", 5 },
	{ "host", "expected an address, network or name after 'host'", 4 },
	{ "host \"\"", "empty host name", 5 },
	{ "net", "expected a network after 'net'", 3 },
	{ "port 70000", "bad port '70000'", 5 },
	{ "port 2000-1000", "bad port range '2000-1000'", 5 },
	{ "port 80-", "bad port range '80-'", 5 },
	{ "port 1-2-3", "bad port range '1-2-3'", 5 },
	{ "port nosuchsvc", "unknown service 'nosuchsvc'", 5 },
	{ "port foo &", "unknown service 'foo'", 5 },
	{ "proto foo", "unknown protocol 'foo'", 6 },
	{ "proto 256", "unknown protocol '256'", 6 },
	{ "proto", "expected a protocol after 'proto'", 5 },
	{ "proto ip-proto-256", "unknown protocol 'ip-proto-256'", 6 },
	{ "key", "expected a GRE key after 'key'", 3 },
	{ "key gre", "bad key 'gre'", 4 },
	{ "srckey 0x10000", "bad key '0x10000'", 7 },
	{ "dstkey 5-1", "bad key range '5-1'", 7 },
	{ "state foo", "unknown state 'foo'", 6 },
	{ "state", "expected a state after 'state'", 5 },
	{ "bytes 5", "expected a comparison (<, <=, =, !=, >=, >) after "
		     "'bytes'", 6 },
	{ "bytes >", "expected a number after '>'", 7 },
	{ "bytes > 5x", "bad number '5x'", 8 },
	{ "rate > 1.2.3", "bad number '1.2.3'", 7 },
	{ "packets >= k", "bad number 'k'", 11 },
	{ "mark x", "bad mark 'x'", 5 },
	{ "mark 1/x", "bad mark '1/x'", 5 },
	{ "zone 70000", "bad zone '70000'", 5 },
	{ "pid abc", "bad PID 'abc'", 4 },
	{ "proc", "expected a process name or PID after 'proc'", 4 },
	{ "user", "expected a user name or UID after 'user'", 4 },
	{ "country", "expected a country code or name after 'country'", 7 },
	{ "city or tcp", "expected a city after 'city'", 5 },
	{ "asn foo", "bad AS number 'foo'", 4 },
	{ "asn 0", "bad AS number '0'", 4 },
	{ "tcp and", "expected an expression after 'and'", 7 },
	{ "tcp or", "expected an expression after 'or'", 6 },
	{ "tcp ||", "expected an expression after '||'", 6 },
	{ "not", "expected an expression after 'not'", 3 },
	{ "!", "expected an expression after '!'", 1 },
	{ "and tcp", "expected an expression before 'and'", 0 },
	{ "tcp and or udp", "expected an expression after 'and'", 8 },
	{ "(tcp and)", "expected an expression after 'and'", 8 },
	{ "tcp & udp", "unexpected '&' (use '&&' or 'and')", 4 },
	{ "tcp | udp", "unexpected '|' (use '||' or 'or')", 4 },
	{ "country \"United States", "unterminated quoted string", 8 },
	{ "country 'x\\'", "unterminated quoted string", 8 },
	{ "\"foo\"", "a quoted string needs a keyword before it, as in "
		     "country \"United States\"", 0 },
	{ "port 80 > 5", "unexpected '>'", 8 },
	{ "(port 80 > 5)", "unexpected '>'", 9 },
	{ "src port", "expected a port after 'port'", 8 },
	{ "dst net", "expected a network after 'net'", 7 },
};

static void test_table(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		expect(table[i].expr, table[i].want);
}

static void test_errors(void)
{
	struct filter *f;
	char err[160];
	size_t i, pos;
	int rc;

	for (i = 0; i < ARRAY_SIZE(errors); i++) {
		f = (struct filter *)&f;	/* must be reset to NULL */
		pos = 999;
		err[0] = 'x';
		err[1] = '\0';
		rc = filter_parse(errors[i].expr, &f, err, sizeof(err), &pos);
		if (rc != -EINVAL || strcmp(err, errors[i].msg) ||
		    pos != errors[i].pos)
			fprintf(stderr, "error for \"%s\": rc %d \"%s\" at "
				"%zu, want \"%s\" at %zu\n", errors[i].expr,
				rc, err, pos, errors[i].msg, errors[i].pos);
		CHECK(rc == -EINVAL);
		CHECK(f == NULL);
		CHECK_STR(err, errors[i].msg);
		CHECK(pos == errors[i].pos);
	}
}

/* Devices as view_device() gives them: the masqueraded "sn" is the
 * laptop's, the port forward "dn" reaches 192.0.2.53 (a MAC, no lease),
 * "i4" comes from 192.0.2.10 (nothing known); the rest are this host's. */
static bool test_device(const struct flow_row *row, struct lan_device *d)
{
	const char *label = labels[row - rows];

	memset(d, 0, sizeof(*d));
	d->family = row->rec.family;
	d->addr = row->rec.orig.src;
	if (!strcmp(label, "sn")) {
		snprintf(d->name, sizeof(d->name), "laptop");
		d->mac_len = (uint8_t)lan_parse_mac("02:66:74:00:00:0a",
						    d->mac, LAN_MAC_MAX);
		return true;
	}
	if (!strcmp(label, "dn")) {
		d->addr = row->rec.repl.src;
		d->mac_len = (uint8_t)lan_parse_mac("02:66:74:00:00:35",
						    d->mac, LAN_MAC_MAX);
		return true;
	}
	return !strcmp(label, "i4");
}

static void test_device_terms(void)
{
	struct filter_ctx dctx = ctx;
	static const struct {
		const char *expr, *want;
	} t[] = {
		{ "device laptop", "sn" },
		{ "device LAPTOP", "sn" },
		{ "device 'lap*'", "sn" },
		{ "device 02:66:74:00:00:0a", "sn" },
		{ "device 2-66-74-0-0-A", "sn" },
		{ "device 02:66:74:00:00:0b", "" },
		{ "device 02:66:*", "sn dn" },
		{ "device 192.0.2.53", "dn" },
		{ "device 198.51.100.50", "" },	/* dn's outside client */
		{ "device 192.0.2.0/24", "i4 sn dn" },
		{ "device 192.0.2.*", "i4 sn dn" },
		/* by the first label of its reverse name */
		{ "device dns-inside", "dn" },
		{ "device dns-inside.lan", "dn" },
		{ "device '192.0.2.1?'", "i4" },
		{ "device *", "i4 sn dn" },
		{ "not device * and tcp", "t4 t6 lo nw s2 nr" },
	};
	size_t i;

	dctx.device = test_device;
	for (i = 0; i < ARRAY_SIZE(t); i++)
		expect_c(t[i].expr, &dctx, t[i].want);
	/* Without the device callback nothing has a device. */
	expect("device *", "");
}

/* A flow of conntrack's generic tracker: no ports, no keys; and whether
 * a filter names a protocol (flowtop.c then shows every protocol). */
static void test_generic(void)
{
	static const struct {
		const char *expr;
		bool match, names;
	} cases[] = {
		{ "esp", true, true },
		{ "proto esp", true, true },
		{ "proto 50", true, true },
		{ "proto ip-proto-50", true, true },
		{ "ah or gre", false, true },
		{ "not tcp", true, true },
		{ "key 0", false, true },
		{ "port 0 or sport 0 or dport 0", false, false },
		{ "host 2001:db8::7", true, false },
		{ "ip6 and unreplied", true, false },
	};
	struct flow_row r;
	struct filter *f;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.rec.family = AF_INET6;
	r.rec.l4proto = IPPROTO_ESP;
	set_addr(&r.rec.orig.src, AF_INET6, "2001:db8::7");
	set_addr(&r.rec.orig.dst, AF_INET6, "2001:db8:1::8");
	r.rec.repl.src = r.rec.orig.dst;
	r.rec.repl.dst = r.rec.orig.src;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		f = NULL;
		CHECK(filter_parse(cases[i].expr, &f, NULL, 0, NULL) == 0);
		if (filter_match(f, &r, NULL) != cases[i].match ||
		    filter_names_proto(f) != cases[i].names) {
			fprintf(stderr, "generic: \"%s\": match %d names %d\n",
				cases[i].expr, filter_match(f, &r, NULL),
				filter_names_proto(f));
			CHECK(0);
		}
		filter_free(f);
	}
	CHECK(!filter_names_proto(NULL));
}

static void test_api_edges(void)
{
	struct filter *f = NULL;
	char err[8], deep[4 * 80 + 8];
	size_t pos = 7, i;
	int rc;

	/* NULL err and err_pos are allowed. */
	CHECK(filter_parse("prot", &f, NULL, 0, NULL) == -EINVAL);
	CHECK(f == NULL);
	CHECK(filter_parse("tcp", &f, NULL, 0, NULL) == 0);
	CHECK(f != NULL && filter_match(f, &rows[0], NULL));
	filter_free(f);
	/* A short buffer is cut, still terminated. */
	CHECK(filter_parse("prot", &f, err, sizeof(err), &pos) == -EINVAL);
	CHECK_STR(err, "unknown");
	CHECK(pos == 0);
	/* Success clears the message. */
	CHECK(filter_parse("udp", &f, err, sizeof(err), &pos) == 0);
	CHECK_STR(err, "");
	filter_free(f);
	CHECK(filter_parse("tcp", NULL, NULL, 0, NULL) == -EINVAL);
	CHECK(filter_parse(NULL, &f, NULL, 0, NULL) == 0);
	CHECK(f != NULL && filter_match(f, &rows[3], &ctx));
	filter_free(f);
	filter_free(NULL);
	/* No filter: everything matches. */
	CHECK(filter_match(NULL, &rows[0], NULL));
	test_generic();

	/* Names need the context: without it they match nothing. */
	expect_c("host www or host gw", NULL, "");
	expect_c("user root", NULL, "");
	expect_c("proc firefox", NULL, "t4");

	/* A name term asks only when reached, and not for unchanged ends of
	 * the reply tuple. */
	f = NULL;
	CHECK(filter_parse("host nosuchname", &f, NULL, 0, NULL) == 0);
	host_name_calls = 0;
	CHECK(!filter_match(f, &rows[0], &ctx));
	CHECK(host_name_calls == 2);
	host_name_calls = 0;
	CHECK(!filter_match(f, &rows[9], &ctx));	/* sn: SNAT */
	CHECK(host_name_calls == 3);
	filter_free(f);
	CHECK(filter_parse("udp and host nosuchname", &f, NULL, 0, NULL) == 0);
	host_name_calls = 0;
	CHECK(!filter_match(f, &rows[0], &ctx));
	CHECK(host_name_calls == 0);
	filter_free(f);

	/* Nesting: 64 levels parse, more are refused, not a stack overflow. */
	deep[0] = '\0';
	for (i = 0; i < 64; i++)
		strcat(deep, "(");
	strcat(deep, "tcp");
	for (i = 0; i < 64; i++)
		strcat(deep, ")");
	rc = filter_parse(deep, &f, NULL, 0, NULL);
	CHECK(rc == 0);
	CHECK(f && filter_match(f, &rows[0], &ctx) &&
	      !filter_match(f, &rows[2], &ctx));
	filter_free(f);
	deep[0] = '\0';
	for (i = 0; i < 80; i++)
		strcat(deep, "not ");
	strcat(deep, "tcp");
	rc = filter_parse(deep, &f, err, sizeof(err), &pos);
	CHECK(rc == -EINVAL);
	CHECK(pos == 64 * 4);
	rc = filter_parse("not not not not tcp", &f, NULL, 0, NULL);
	CHECK(rc == 0 && filter_match(f, &rows[0], &ctx));
	filter_free(f);
	{
		char msg[80];

		deep[0] = '\0';
		for (i = 0; i < 70; i++)
			strcat(deep, "(");
		rc = filter_parse(deep, &f, msg, sizeof(msg), &pos);
		CHECK(rc == -EINVAL);
		CHECK_STR(msg, "expression nested too deeply");
		CHECK(pos == 64);
	}

	/* A long and-chain stays flat: no deep recursion when matching. */
	{
		size_t n = 5000, len = n * 4 + 1, o = 0;
		char *big = malloc(len + 8);

		CHECK(big != NULL);
		if (big) {
			for (i = 0; i < n; i++)
				o += (size_t)sprintf(big + o, "%s", i ?
						     " ip4" : "ip4");
			rc = filter_parse(big, &f, NULL, 0, NULL);
			CHECK(rc == 0);
			CHECK(f && filter_match(f, &rows[0], &ctx));
			CHECK(f && !filter_match(f, &rows[1], &ctx));
			filter_free(f);
			free(big);
		}
	}
}

/* Throws token soup at the parser: it must answer, and under ASan not
 * touch anything it should not, on every path. */
static void test_soup(void)
{
	static const char *const bits[] = {
		"(", ")", "and", "or", "not", "!", "&&", "||", "&", "|",
		"tcp", "udp", "port", "53", "80-90", "host", "192.0.2.1",
		"2001:db8::/32", "\"", "'x y'", "\"a\\\"b\"", "bytes", ">",
		">=", "=", "!=", "1k", "state", "syn*", "proc", "country",
		"DE", "*", "?", "src", "dst", "net", "mark", "0x10/0xff",
		"zone", "nat", "loopback", "", " ", "domain", "asn", "AS1",
		"prot", "10.0.0.0/33", "\\",
	};
	char expr[512], err[128];
	struct filter *f;
	unsigned seed = 12345, ok = 0, bad = 0;
	size_t pos, len;
	int i, j, n, rc;

	for (i = 0; i < 20000; i++) {
		expr[0] = '\0';
		len = 0;
		n = (int)(rand_r(&seed) % 12);
		for (j = 0; j < n; j++) {
			const char *b = bits[rand_r(&seed) % ARRAY_SIZE(bits)];

			if (len + strlen(b) + 2 >= sizeof(expr))
				break;
			len += (size_t)sprintf(expr + len, "%s%s", b,
					       rand_r(&seed) % 3 ? " " : "");
		}
		f = NULL;
		rc = filter_parse(expr, &f, err, sizeof(err), &pos);
		if (rc == 0) {
			ok++;
			if (!f) {
				CHECK(f != NULL);
				continue;
			}
			for (j = 0; j < n_rows; j++)
				(void)filter_match(f, &rows[j], &ctx);
			filter_free(f);
		} else {
			bad++;
			if (rc != -EINVAL || f || pos > strlen(expr) ||
			    !err[0]) {
				fprintf(stderr, "soup \"%s\": rc %d pos %zu "
					"\"%s\"\n", expr, rc, pos, err);
				CHECK(0);
			}
		}
	}
	printf("filter soup: %u parsed, %u refused\n", ok, bad);
	CHECK(ok > 1000 && bad > 1000);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Times one expression over many rows; checks the count it finds. */
static void bench(const char *expr, const struct flow_row *big, size_t n,
		  size_t want)
{
	struct filter *f = NULL;
	double t[7];
	size_t i, k, hits = 0;

	CHECK(filter_parse(expr, &f, NULL, 0, NULL) == 0);
	if (!f)
		return;
	for (k = 0; k < ARRAY_SIZE(t); k++) {
		double t0 = now_ms();

		hits = 0;
		for (i = 0; i < n; i++)
			hits += filter_match(f, &big[i], &ctx);
		t[k] = now_ms() - t0;
	}
	qsort(t, ARRAY_SIZE(t), sizeof(t[0]), cmp_double);
	printf("filter speed: %zu rows in %.2f ms (median of %zu, best "
	       "%.2f ms) for `%s` (%zu match; target < 20 ms)\n", n,
	       t[ARRAY_SIZE(t) / 2], ARRAY_SIZE(t), t[0], expr, hits);
	CHECK(hits == want);
	filter_free(f);
}

static void test_speed(void)
{
	const size_t n = 100000;
	struct flow_row *big = malloc(n * sizeof(*big));
	size_t i, want_udp = 0, want_host = 0, want_all;
	struct flow_row *r;
	uint32_t a;

	CHECK(big != NULL);
	if (!big)
		return;
	for (i = 0; i < n; i++) {
		r = &big[i];
		*r = rows[i % n_rows];
		/* Vary ports and addresses so that the branches vary. */
		if (r->rec.l4proto == IPPROTO_UDP ||
		    r->rec.l4proto == IPPROTO_TCP) {
			r->rec.orig.sport = (uint16_t)(1024 + i % 50000);
			r->rec.orig.dport = i % 3 ? 53 : (uint16_t)(i % 1000);
		}
		if (r->rec.family == AF_INET) {
			a = htonl(0xc6336400u | (uint32_t)(i % 256));
			memcpy(r->rec.orig.dst.b, &a, 4);
		}
		/* Counted the plain way, independently of the filter. */
		if (r->rec.l4proto == IPPROTO_UDP &&
		    r->rec.orig.sport != 53 && r->rec.orig.dport != 53)
			want_udp++;
		if (r->rec.family == AF_INET &&
		    (ntohl(r->rec.orig.dst.w[0]) & 0xffffff80u) == 0xc6336400u)
			want_host++;
	}
	want_all = n;
	bench("proto udp and not port 53", big, n, want_udp);
	bench("dst net 198.51.100.0/25", big, n, want_host);
	bench("", big, n, want_all);
	free(big);
}

/* Service files for "port SERVICE", in the netsniff-ng format. */
static char svc_dir[] = "/tmp/test_filter.XXXXXX";

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void rm_file(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

int main(void)
{
	char services[300];
	int rc;

	build_rows();
	if (!mkdtemp(svc_dir)) {
		perror("mkdtemp");
		return 1;
	}
	CHECK(write_file(svc_dir, "tcp.conf", "# test\n22 ssh\n53 domain\n"
			 "80 http\n443 https\n") == 0);
	CHECK(write_file(svc_dir, "udp.conf", "53 domain\n123 ntp\n") == 0);
	CHECK(write_file(svc_dir, "services", "") == 0);
	snprintf(services, sizeof(services), "%s/services", svc_dir);
	rc = services_load(svc_dir, NULL, services, stderr);
	CHECK(rc == 0);

	test_table();
	test_errors();
	test_device_terms();
	test_api_edges();
	test_soup();
	test_speed();

	services_free();
	rm_file(svc_dir, "tcp.conf");
	rm_file(svc_dir, "udp.conf");
	rm_file(svc_dir, "services");
	rmdir(svc_dir);
	return check_summary("filter");
}
