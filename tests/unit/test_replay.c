/* test_replay: the FLOWTOP_REPLAY test hook (collector_replay.c): files
 * it must refuse, snapshots served scan after scan, dumps filtered by
 * family and CTA_FILTER as the kernel does (or refused, or the filter
 * ignored, as older kernels do), events after their dump, one-entry gets.
 * Entries are built by libnetfilter_conntrack, not by our own builder. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "check.h"
#include "collector.h"
#include "collector_replay.h"

static char path[] = "/tmp/ft_replay.XXXXXX";
static FILE *out;

/* One entry as the kernel would send it in a dump. */
static size_t entry(char *buf, int family, uint8_t proto, uint32_t id,
		    uint32_t status)
{
	struct nf_conntrack *ct = nfct_new();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	nfct_set_attr_u8(ct, ATTR_L3PROTO, family);
	if (family == AF_INET) {
		nfct_set_attr_u32(ct, ATTR_IPV4_SRC, htonl(0xc0000200 + id));
		nfct_set_attr_u32(ct, ATTR_IPV4_DST, htonl(0xc6336401));
	} else {
		a[15] = (uint8_t)id;
		nfct_set_attr(ct, ATTR_IPV6_SRC, a);
		a[15] = 0xff;
		nfct_set_attr(ct, ATTR_IPV6_DST, a);
	}
	nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(40000));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(443));
	nfct_set_attr_u32(ct, ATTR_STATUS, status);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfct_nlmsg_build(nlh, ct);
	/* Not in what the library builds (a request has no id). */
	mnl_attr_put_u32(nlh, CTA_ID, htonl(id));
	nfct_destroy(ct);
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

static void record(uint32_t kind, const void *p, uint32_t len)
{
	static const char pad[4];
	uint32_t h[2] = { kind, len };

	fwrite(h, sizeof(h), 1, out);
	fwrite(p, len, 1, out);
	fwrite(pad, (4 - len % 4) % 4, 1, out);
}

struct seen {
	unsigned n;
	uint32_t ids[16];
};

static int seen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;
	struct flow_rec r;

	if (collector_parse(nlh, &r) == 0 && s->n < 16)
		s->ids[s->n++] = r.id;
	return MNL_CB_OK;
}

/* A dump request of family, with CTA_FILTER on proto unless proto < 0. */
static int ask(struct collector_replay *r, uint8_t family, int proto,
	       struct seen *s)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nlattr *t, *p, *f;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	if (proto >= 0) {
		t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
		p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, (uint8_t)proto);
		mnl_attr_nest_end(nlh, p);
		mnl_attr_nest_end(nlh, t);
		f = mnl_attr_nest_start(nlh, CTA_FILTER);
		mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, 1u << 3);
		mnl_attr_nest_end(nlh, f);
	}
	memset(s, 0, sizeof(*s));
	return collector_replay_request(r, nlh, seen_cb, s);
}

static int get(struct collector_replay *r, uint32_t id, struct seen *s)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	mnl_attr_put_u32(nlh, CTA_ID, htonl(id));
	memset(s, 0, sizeof(*s));
	return collector_replay_request(r, nlh, seen_cb, s);
}

static struct collector_replay *open_file(uint32_t filter)
{
	static char buf[8192];
	struct collector_replay *r = NULL;
	size_t n = 0;

	out = fopen(path, "w");
	fputs(COLLECTOR_REPLAY_MAGIC, out);
	record(COLLECTOR_REPLAY_FILTER, &filter, 4);
	/* Snapshot 1: TCP and UDP over IPv4, TCP over IPv6. */
	n += entry(buf + n, AF_INET, IPPROTO_TCP, 1, IPS_OFFLOAD);
	n += entry(buf + n, AF_INET, IPPROTO_UDP, 2, 0);
	n += entry(buf + n, AF_INET6, IPPROTO_TCP, 3, 0);
	record(COLLECTOR_REPLAY_DUMP, buf, (uint32_t)n);
	n = entry(buf, AF_INET, IPPROTO_UDP, 4, 0);
	((struct nlmsghdr *)buf)->nlmsg_type =
		(NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	record(COLLECTOR_REPLAY_EVENTS, buf, (uint32_t)n);
	/* Snapshot 2: one entry. */
	n = entry(buf, AF_INET, IPPROTO_UDP, 5, 0);
	record(COLLECTOR_REPLAY_DUMP, buf, (uint32_t)n);
	fclose(out);
	CHECK(collector_replay_open(path, &r) == 0);
	return r;
}

static void test_serve(void)
{
	struct collector_replay *r = open_file(COLLECTOR_FILTER_WORKS);
	struct seen s;

	CHECK(r && collector_replay_active() == r);
	/* Before the first scan there is nothing. */
	CHECK(ask(r, AF_UNSPEC, -1, &s) == 0 && s.n == 0);
	collector_replay_scan(r);
	CHECK(ask(r, AF_UNSPEC, -1, &s) == 0 && s.n == 3);
	CHECK(ask(r, AF_INET, -1, &s) == 0 && s.n == 2);
	CHECK(ask(r, AF_INET6, -1, &s) == 0 && s.n == 1 && s.ids[0] == 3);
	CHECK(ask(r, AF_INET, IPPROTO_UDP, &s) == 0 && s.n == 1 &&
	      s.ids[0] == 2);
	CHECK(ask(r, AF_INET6, IPPROTO_UDP, &s) == 0 && s.n == 0);
	/* The kernel refuses a filter without a family. */
	CHECK(ask(r, AF_UNSPEC, IPPROTO_TCP, &s) == -EOPNOTSUPP);
	CHECK(get(r, 3, &s) == 0 && s.n == 1 && s.ids[0] == 3);
	CHECK(get(r, 9, &s) == -ENOENT);
	/* The events after snapshot 1, once. */
	memset(&s, 0, sizeof(s));
	CHECK(collector_replay_events(r, seen_cb, &s) == 1 && s.ids[0] == 4);
	CHECK(collector_replay_events(r, seen_cb, &s) == 0);
	collector_replay_scan(r);
	CHECK(ask(r, AF_UNSPEC, -1, &s) == 0 && s.n == 1 && s.ids[0] == 5);
	/* The last snapshot again. */
	collector_replay_scan(r);
	CHECK(ask(r, AF_INET, -1, &s) == 0 && s.n == 1 && s.ids[0] == 5);
	collector_replay_close(r);
	CHECK(collector_replay_active() == NULL);
}

static void test_old_kernels(void)
{
	struct collector_replay *r;
	struct seen s;

	r = open_file(COLLECTOR_FILTER_IGNORED);
	collector_replay_scan(r);
	CHECK(ask(r, AF_INET, IPPROTO_UDP, &s) == 0 && s.n == 2);
	CHECK(ask(r, AF_INET6, IPPROTO_UDP, &s) == 0 && s.n == 1);
	collector_replay_close(r);
	r = open_file(COLLECTOR_FILTER_EOPNOTSUPP);
	collector_replay_scan(r);
	CHECK(ask(r, AF_INET, IPPROTO_UDP, &s) == -EOPNOTSUPP);
	CHECK(ask(r, AF_INET, -1, &s) == 0 && s.n == 2);
	collector_replay_close(r);
	r = open_file(COLLECTOR_FILTER_EINVAL);
	collector_replay_scan(r);
	CHECK(ask(r, AF_INET, IPPROTO_TCP, &s) == -EINVAL);
	collector_replay_close(r);
}

static void test_bad_files(void)
{
	static const char *const bad[] = {
		"",					/* empty */
		"FTRPLY0\n",				/* wrong magic */
		"FTRPLY1\n\x01\x00",			/* short header */
	};
	struct collector_replay *r = NULL;
	char buf[512];
	uint32_t h[2], v = 30;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = fopen(path, "w");
		fputs(bad[i], out);
		fclose(out);
		CHECK(collector_replay_open(path, &r) == -EINVAL);
	}
	/* A record longer than the file, an unknown kind, a message that
	 * runs past its record, a setting of the wrong size. */
	out = fopen(path, "w");
	fputs(COLLECTOR_REPLAY_MAGIC, out);
	h[0] = COLLECTOR_REPLAY_DUMP;
	h[1] = 4096;
	fwrite(h, sizeof(h), 1, out);
	fclose(out);
	CHECK(collector_replay_open(path, &r) == -EINVAL);
	out = fopen(path, "w");
	fputs(COLLECTOR_REPLAY_MAGIC, out);
	record(99, &v, 4);
	fclose(out);
	CHECK(collector_replay_open(path, &r) == -EINVAL);
	n = entry(buf, AF_INET, IPPROTO_TCP, 1, 0);
	out = fopen(path, "w");
	fputs(COLLECTOR_REPLAY_MAGIC, out);
	record(COLLECTOR_REPLAY_DUMP, buf, (uint32_t)n - 8);
	fclose(out);
	CHECK(collector_replay_open(path, &r) == -EINVAL);
	out = fopen(path, "w");
	fputs(COLLECTOR_REPLAY_MAGIC, out);
	record(COLLECTOR_REPLAY_IDLE, &v, 2);
	fclose(out);
	CHECK(collector_replay_open(path, &r) == -EINVAL);
	CHECK(collector_replay_open("/nonexistent/x", &r) == -ENOENT);
	CHECK(collector_replay_open("/tmp", &r) == -EINVAL);
	/* A good one with settings only. */
	out = fopen(path, "w");
	fputs(COLLECTOR_REPLAY_MAGIC, out);
	record(COLLECTOR_REPLAY_IDLE, &v, 4);
	fclose(out);
	CHECK(collector_replay_open(path, &r) == 0 &&
	      collector_replay_idle(r) == 30000000000ull);
	collector_replay_close(r);
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_serve();
	test_old_kernels();
	test_bad_files();
	unlink(path);
	return check_summary("replay");
}
