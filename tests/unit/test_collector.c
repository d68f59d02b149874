/* Unit test: conntrack netlink messages to struct flow_rec.
 *
 * The messages are built by libnetfilter_conntrack (nfct_nlmsg_build), an
 * implementation independent of our parser, for every protocol the kernel
 * tracks and DCCP (which this machine's kernel no longer tracks, so it can
 * only be covered here), IPv4 and IPv6; plus a message recorded from a
 * real kernel dump (tests/data/ct_dump_*.bin, if present), and malformed
 * ones that must be refused without reading out of bounds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "check.h"
#include "collector.h"
#include "nl_order.h"

struct spec {
	int family;
	uint8_t proto;
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t state;
	uint8_t icmp_type;
	uint16_t icmp_id;
};

#define PORTS(a, b, st) a, b, st, 0, 0

static struct nlmsghdr *build(char *buf, const struct spec *s, uint32_t id,
			      bool counters)
{
	struct nf_conntrack *ct = nfct_new();
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	uint8_t a[16];

	nfct_set_attr_u8(ct, ATTR_L3PROTO, s->family);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, s->family);
	if (s->family == AF_INET) {
		inet_pton(AF_INET, s->src, a);
		nfct_set_attr(ct, ATTR_IPV4_SRC, a);
		nfct_set_attr(ct, ATTR_REPL_IPV4_DST, a);
		inet_pton(AF_INET, s->dst, a);
		nfct_set_attr(ct, ATTR_IPV4_DST, a);
		nfct_set_attr(ct, ATTR_REPL_IPV4_SRC, a);
	} else {
		inet_pton(AF_INET6, s->src, a);
		nfct_set_attr(ct, ATTR_IPV6_SRC, a);
		nfct_set_attr(ct, ATTR_REPL_IPV6_DST, a);
		inet_pton(AF_INET6, s->dst, a);
		nfct_set_attr(ct, ATTR_IPV6_DST, a);
		nfct_set_attr(ct, ATTR_REPL_IPV6_SRC, a);
	}
	nfct_set_attr_u8(ct, ATTR_L4PROTO, s->proto);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, s->proto);
	if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) {
		nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, s->icmp_type);
		nfct_set_attr_u8(ct, ATTR_ICMP_CODE, 0);
		nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(s->icmp_id));
	} else {
		nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(s->sport));
		nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(s->dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(s->dport));
		nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(s->sport));
	}
	if (s->proto == IPPROTO_TCP)
		nfct_set_attr_u8(ct, ATTR_TCP_STATE, s->state);
	if (s->proto == IPPROTO_SCTP)
		nfct_set_attr_u8(ct, ATTR_SCTP_STATE, s->state);
	if (s->proto == IPPROTO_DCCP)
		nfct_set_attr_u8(ct, ATTR_DCCP_STATE, s->state);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, 117);
	nfct_set_attr_u32(ct, ATTR_MARK, 0x2a);
	nfct_set_attr_u32(ct, ATTR_STATUS, 0x0e);
	nfct_set_attr_u16(ct, ATTR_ZONE, 7);

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = s->family;
	nfg->version = NFNETLINK_V0;
	CHECK(nfct_nlmsg_build(nlh, ct) == 0);
	nfct_destroy(ct);
	/* What only the kernel sends (the library builds requests): the id,
	 * counters and timestamps, laid out as ctnetlink_fill_info does. */
	mnl_attr_put_u32(nlh, CTA_ID, htonl(id));
	if (counters) {
		struct nlattr *n = mnl_attr_nest_start(nlh, CTA_COUNTERS_ORIG);

		mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(1000));
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES,
				 htobe64(123456789012ull));
		mnl_attr_nest_end(nlh, n);
		n = mnl_attr_nest_start(nlh, CTA_COUNTERS_REPLY);
		mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(2));
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(42));
		mnl_attr_nest_end(nlh, n);
		n = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);
		mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START,
				 htobe64(1764300000123456789ull));
		mnl_attr_nest_end(nlh, n);
	}
	return nlh;
}

static void addr_eq(int family, const union flow_addr *got, const char *want)
{
	uint8_t a[16] = { 0 };

	inet_pton(family, want, a);
	CHECK(memcmp(got->b, a, family == AF_INET ? 4 : 16) == 0);
}

static void test_protocols(void)
{
	static const struct spec specs[] = {
		{ AF_INET, IPPROTO_TCP, "192.0.2.1", "198.51.100.2",
		  PORTS(40000, 443, 3) },
		{ AF_INET6, IPPROTO_TCP, "2001:db8::1", "2001:db8:1::2",
		  PORTS(40001, 22, 7) },
		{ AF_INET, IPPROTO_UDP, "192.0.2.3", "203.0.113.9",
		  PORTS(5353, 53, 0) },
		{ AF_INET6, IPPROTO_UDP, "2001:db8::3", "2001:db8::9",
		  PORTS(1, 2, 0) },
		{ AF_INET, IPPROTO_UDPLITE, "192.0.2.4", "203.0.113.4",
		  PORTS(7, 8, 0) },
		{ AF_INET6, IPPROTO_UDPLITE, "2001:db8::4", "2001:db8::5",
		  PORTS(9, 10, 0) },
		{ AF_INET, IPPROTO_SCTP, "192.0.2.5", "198.51.100.5",
		  PORTS(3868, 3868, 4) },
		{ AF_INET6, IPPROTO_SCTP, "2001:db8::5", "2001:db8::6",
		  PORTS(5000, 38412, 2) },
		{ AF_INET, IPPROTO_DCCP, "192.0.2.6", "198.51.100.6",
		  PORTS(5004, 5005, 4) },
		{ AF_INET6, IPPROTO_DCCP, "2001:db8::6", "2001:db8::7",
		  PORTS(1, 9, 1) },
		{ AF_INET, IPPROTO_ICMP, "192.0.2.7", "198.51.100.7", 0, 0,
		  0, 8, 4711 },
		{ AF_INET6, IPPROTO_ICMPV6, "2001:db8::7", "2001:db8::8", 0,
		  0, 0, 128, 815 },
	};
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct spec *s = &specs[i];
		bool icmp = s->proto == IPPROTO_ICMP ||
			    s->proto == IPPROTO_ICMPV6;
		struct flow_rec r;
		struct nlmsghdr *nlh = build(buf, s, 1000 + i, i % 2 == 0);

		CHECK(collector_parse(nlh, &r) == 0);
		CHECK(r.family == s->family);
		CHECK(r.l4proto == s->proto);
		CHECK(r.id == 1000 + i);
		addr_eq(s->family, &r.orig.src, s->src);
		addr_eq(s->family, &r.orig.dst, s->dst);
		addr_eq(s->family, &r.repl.src, s->dst);
		addr_eq(s->family, &r.repl.dst, s->src);
		if (icmp) {
			CHECK(r.have & FLOW_HAVE_ICMP);
			CHECK(r.icmp_type == s->icmp_type);
			CHECK(r.icmp_id == s->icmp_id);
		} else {
			CHECK(r.orig.sport == s->sport);
			CHECK(r.orig.dport == s->dport);
			CHECK(r.repl.sport == s->dport);
			CHECK(r.repl.dport == s->sport);
		}
		if (s->proto == IPPROTO_TCP || s->proto == IPPROTO_SCTP ||
		    s->proto == IPPROTO_DCCP) {
			CHECK(r.have & FLOW_HAVE_STATE);
			CHECK(r.state == s->state);
		} else {
			CHECK(!(r.have & FLOW_HAVE_STATE));
		}
		CHECK(r.timeout == 117);
		CHECK(r.mark == 0x2a);
		CHECK(r.status == 0x0e);
		CHECK(r.zone == 7);
		if (i % 2 == 0) {
			CHECK(r.have & FLOW_HAVE_COUNTERS);
			CHECK(r.orig_bytes == 123456789012ull);
			CHECK(r.orig_pkts == 1000);
			CHECK(r.repl_bytes == 42);
			CHECK(r.repl_pkts == 2);
			CHECK(r.have & FLOW_HAVE_TSTAMP);
			CHECK(r.ts_start == 1764300000123456789ull);
		} else {
			CHECK(!(r.have & FLOW_HAVE_COUNTERS));
		}
	}
	printf("note: DCCP is covered here only: this kernel has no DCCP "
	       "tracker\n");
	free(buf);
}

/* Every truncation of a valid message must be refused or parsed, never
 * read past its end (ASan watches the copy's end). */
static void test_truncated(void)
{
	static const struct spec s = { AF_INET6, IPPROTO_TCP, "2001:db8::1",
				       "2001:db8::2", PORTS(1, 2, 3) };
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	struct nlmsghdr *nlh = build(buf, &s, 9, true);
	struct nlattr *a;
	uint32_t len = nlh->nlmsg_len, orig_end = 0;
	struct flow_rec full;
	int early_ok = 0, late_bad = 0;

	/* Where the original tuple ends: a message cut before that cannot
	 * identify a flow; one cut after it (at an attribute boundary or
	 * inside a later attribute) still has the same identity. */
	CHECK(collector_parse(nlh, &full) == 0);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == CTA_TUPLE_ORIG)
			orig_end = (uint32_t)((char *)a - buf) +
				   MNL_ALIGN(a->nla_len);
	CHECK(orig_end > 0 && orig_end < len);

	for (uint32_t cut = 0; cut < len; cut += 4) {
		char *copy = malloc(cut > 16 ? cut : 16);
		struct nlmsghdr *c = (struct nlmsghdr *)copy;
		struct flow_rec r;
		int ret;

		memcpy(copy, buf, cut > 16 ? cut : 16);
		c->nlmsg_len = cut;
		ret = collector_parse(c, &r);
		if (cut < orig_end && ret == 0)
			early_ok++;
		if (cut >= orig_end &&
		    (ret != 0 || r.family != full.family ||
		     memcmp(&r.orig, &full.orig, sizeof(r.orig)) != 0))
			late_bad++;
		free(copy);
	}
	CHECK(early_ok == 0);
	CHECK(late_bad == 0);

	/* An IPv4 address attribute of 2 bytes is malformed. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	struct nlattr *t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u16(nlh, CTA_IP_V4_SRC, 1);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, t);
	struct flow_rec r;
	CHECK(collector_parse(nlh, &r) == -EINVAL);

	/* No original tuple: nothing to identify the flow by. */
	nlh = mnl_nlmsg_put_header(buf);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	mnl_attr_put_u32(nlh, CTA_ID, htonl(5));
	CHECK(collector_parse(nlh, &r) == -ENOENT);
	free(buf);
}

/* A dump recorded from the real kernel of this machine (see
 * tests/tools/ct_record.c), if the test data has one. */
static void test_recorded(void)
{
	FILE *f = fopen("tests/data/ct_dump.bin", "rb");
	char *buf;
	int n, msgs = 0, ok = 0, seen = 0;

	if (!f) {
		printf("note: no tests/data/ct_dump.bin, recorded dump not "
		       "checked\n");
		check_failed++;
		return;
	}
	buf = malloc(1 << 20);
	n = (int)fread(buf, 1, 1 << 20, f);
	fclose(f);
	/* Recorded on x86: headers in little-endian order. */
	CHECK(nl_rec_to_host(buf, (size_t)n, NL_REC_CTNETLINK) == 0);
	for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	     mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		struct flow_rec r;

		if (nlh->nlmsg_type == NLMSG_DONE)
			break;
		msgs++;
		if (collector_parse(nlh, &r) == 0 && r.id &&
		    (r.family == AF_INET || r.family == AF_INET6))
			ok++;
		/* What conntrack -L showed when it was recorded. */
		if (r.l4proto == IPPROTO_SCTP) {
			seen++;
			CHECK(r.state == 4);	/* ESTABLISHED */
			CHECK(r.orig.sport == 3868 && r.orig.dport == 3868);
			addr_eq(AF_INET, &r.orig.dst, "198.51.100.10");
		}
		if (r.l4proto == IPPROTO_ICMP) {
			seen++;
			CHECK(r.icmp_type == 8 && r.icmp_id == 77);
		}
		if (r.l4proto == IPPROTO_ICMPV6) {
			seen++;
			CHECK(r.icmp_type == 128 && r.icmp_id == 78);
			addr_eq(AF_INET6, &r.orig.dst, "2001:db8::30");
		}
		if (r.l4proto == IPPROTO_UDPLITE) {
			seen++;
			CHECK(r.orig.sport == 1000 && r.orig.dport == 2000);
		}
		if (r.l4proto == IPPROTO_TCP && r.family == AF_INET) {
			seen++;
			CHECK(r.orig_bytes == 5268 && r.orig_pkts == 5);
			CHECK(r.repl_bytes == 464 && r.repl_pkts == 3);
			CHECK(r.state == 8);	/* CLOSE */
			CHECK(r.have & FLOW_HAVE_TSTAMP);
			CHECK(r.ts_start > 1700000000ull * 1000000000ull);
		}
	}
	CHECK(msgs == 8);
	CHECK(ok == msgs);
	CHECK(seen == 5);
	free(buf);
}

/* Labels as the kernel sends them: its bitmap of unsigned long in the
 * host's order (not libnetfilter_conntrack's uint32_t words, which differ
 * on a 64-bit big-endian host); label n must read as label n anywhere. */
static void test_labels(void)
{
	static const struct spec s = { AF_INET, IPPROTO_TCP, "192.0.2.1",
				       "198.51.100.1", PORTS(1000, 80, 3) };
	static const unsigned set[] = { 0, 1, 31, 32, 63, 64, 70, 127 };
	unsigned long bits[16 / sizeof(unsigned long)] = { 0 };
	const unsigned bpl = sizeof(unsigned long) * 8;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = build(buf, &s, 9, false);
	struct flow_rec rec;
	unsigned n, want, wrong = 0;

	for (n = 0; n < sizeof(set) / sizeof(set[0]); n++)
		bits[set[n] / bpl] |= 1ul << (set[n] % bpl);
	mnl_attr_put(nlh, CTA_LABELS, sizeof(bits), bits);
	CHECK(collector_parse(nlh, &rec) == 0);
	CHECK(rec.have & FLOW_HAVE_LABELS);
	for (n = 0; n < 128; n++) {
		want = 0;
		for (unsigned k = 0; k < sizeof(set) / sizeof(set[0]); k++)
			want |= set[k] == n;
		if (!!(rec.labels[n / 8] & (1u << (n % 8))) != want) {
			fprintf(stderr, "label %u: got %u\n", n, !want);
			wrong++;
		}
	}
	CHECK(wrong == 0);
	/* Without the attribute: none, and no stale bits. */
	nlh = build(buf, &s, 10, false);
	CHECK(collector_parse(nlh, &rec) == 0);
	CHECK(!(rec.have & FLOW_HAVE_LABELS));
}

int main(void)
{
	test_protocols();
	test_truncated();
	test_recorded();
	test_labels();
	return check_summary("test_collector");
}
