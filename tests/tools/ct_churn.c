/*
 * ct_churn: keep a conntrack table turning over at a steady rate, for
 * flowtop's churn test and benchmark.  Run it inside the test's network
 * namespace: ip netns exec NS build/tools/ct_churn ...
 *
 * Interface (kept stable: tests/bench/run.sh and tests/integration/churn.sh
 * parse it):
 *
 *   ct_churn --seconds S [--rate R] [--new R] [--del R] [--start K]
 *            [--count N] [--family 4|6] [--proto tcp|udp] [--tick MS]
 *
 * The table holds entries K .. K+N-1 (made before by
 * "ct_inject add --count N --start K" with the same --family and --proto;
 * defaults K 0, N 0).  Every tick (default 10 ms) ct_churn destroys the
 * oldest entries and makes new ones after the newest, --del and --new a
 * second (--rate sets both; default 20000), for S seconds (at most 3600),
 * so that with equal rates the table keeps N entries while every one of
 * them is replaced.  Entry numbers wrap at 1,000,000; each is the tuple
 * ct_inject gives it (see ct_inject --help): TCP ESTABLISHED or UDP, a
 * timeout of an hour.  The messages of a tick go in one sendmsg(), the
 * kernel answers only errors and one ACK.
 *
 * stdout, one line a second and one at the end:
 *
 *   t=SEC made=M destroyed=D failed=F
 *   churn: seconds=S made=M destroyed=D failed=F first=LO count=N
 *
 * cumulative counts; failed: messages the kernel refused (a full table,
 * an entry already gone); first and count: the entries left (LO .. LO+N-1,
 * modulo 1,000,000), for "ct_inject del --start LO --count N".  A tick
 * that comes late makes up for at most one second.
 *
 * Exit: 0 done (even with failed messages), 1 netlink error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#define CHURN_K_LIMIT	1000000UL	/* as ct_inject's */
#define CHURN_BATCH	(64 * 1024)
#define CHURN_MSG_MAX	256		/* bytes of one message, at most */
#define CHURN_RCVBUF	(8 << 20)
#define CHURN_DEL_BIT	0x80000000u	/* in a message's seq */

struct churn {
	struct mnl_socket *nl;
	int family, l4proto;
	unsigned long lo, n;		/* the entries alive: lo .. lo+n-1 */
	unsigned long made, destroyed, failed;
	uint32_t last_seq;
	char buf[CHURN_BATCH];
	size_t pos;
};

static void usage(FILE *f)
{
	fputs("usage: ct_churn --seconds S [--rate R] [--new R] [--del R]\n"
	      "                [--start K] [--count N] [--family 4|6]\n"
	      "                [--proto tcp|udp] [--tick MS]\n"
	      "destroys the oldest and makes new entries at R a second, "
	      "ct_inject's tuples\n", f);
}

/* ct_inject's entry k (its usage(): the documented formula). */
static void tuple_of(int family, unsigned long k, uint8_t src[16],
		     uint8_t dst[16], uint16_t *sport, uint16_t *dport)
{
	unsigned a = k % 250, b = (k / 250) % 250, c = (k / 62500) % 2;

	memset(src, 0, 16);
	memset(dst, 0, 16);
	if (family == AF_INET) {
		src[0] = 192; src[2] = 2; src[3] = (uint8_t)(1 + a);
		dst[0] = c ? 203 : 198; dst[1] = c ? 0 : 51;
		dst[2] = c ? 113 : 100; dst[3] = (uint8_t)(1 + b);
	} else {
		src[0] = dst[0] = 0x20; src[1] = dst[1] = 0x01;
		src[2] = dst[2] = 0x0d; src[3] = dst[3] = 0xb8;
		src[5] = 1;
		src[14] = (uint8_t)((1 + a) >> 8);
		src[15] = (uint8_t)(1 + a);
		dst[5] = c ? 3 : 2;
		dst[14] = (uint8_t)((1 + b) >> 8);
		dst[15] = (uint8_t)(1 + b);
	}
	*sport = (uint16_t)(10000 + k % 50000);
	*dport = (uint16_t)(20000 + k % 40000);
}

static void put_tuple(struct nlmsghdr *nlh, int type, int family,
		      int l4proto, const uint8_t *src, const uint8_t *dst,
		      uint16_t sport, uint16_t dport)
{
	struct nlattr *t, *ip, *p;
	bool v4 = family == AF_INET;

	t = mnl_attr_nest_start(nlh, type);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, v4 ? 4 : 16,
		     src);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, v4 ? 4 : 16,
		     dst);
	mnl_attr_nest_end(nlh, ip);
	p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, (uint8_t)l4proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, t);
}

/* One IPCTNL_MSG_CT_NEW (make) or _DELETE of entry k into the batch. */
static void put_entry(struct churn *c, unsigned long k, bool del)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(c->buf + c->pos);
	struct nfgenmsg *nfg;
	struct nlattr *pi, *tcp;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;

	k %= CHURN_K_LIMIT;
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
			  (del ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW);
	nlh->nlmsg_flags = NLM_F_REQUEST |
			   (del ? 0 : NLM_F_CREATE | NLM_F_EXCL);
	nlh->nlmsg_seq = (uint32_t)k | (del ? CHURN_DEL_BIT : 0);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)c->family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	tuple_of(c->family, k, src, dst, &sport, &dport);
	put_tuple(nlh, CTA_TUPLE_ORIG, c->family, c->l4proto, src, dst,
		  sport, dport);
	if (!del) {
		put_tuple(nlh, CTA_TUPLE_REPLY, c->family, c->l4proto, dst,
			  src, dport, sport);
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(3600));
		if (c->l4proto == IPPROTO_TCP) {
			pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
			tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
			mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE,
					TCP_CONNTRACK_ESTABLISHED);
			mnl_attr_nest_end(nlh, tcp);
			mnl_attr_nest_end(nlh, pi);
		}
	}
	c->last_seq = nlh->nlmsg_seq;
	c->pos += nlh->nlmsg_len;
}

/* Send the batch, the last message asking for an ACK, and count the
 * kernel's refusals until that ACK.  0 or -errno. */
static int flush(struct churn *c)
{
	static char rbuf[64 * 1024];
	struct nlmsghdr *last = NULL, *m;
	const struct nlmsgerr *e;
	ssize_t n;
	int len;

	if (!c->pos)
		return 0;
	for (m = (struct nlmsghdr *)c->buf, len = (int)c->pos;
	     mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len))
		last = m;
	last->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(c->nl, c->buf, c->pos) < 0)
		return -errno;
	c->pos = 0;
	for (;;) {
		n = mnl_socket_recvfrom(c->nl, rbuf, sizeof(rbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len = (int)n;
		for (m = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(m);
			if (e->error) {
				if (!c->failed)
					fprintf(stderr, "ct_churn: %s of "
						"entry %u: %s\n",
						m->nlmsg_seq & CHURN_DEL_BIT ?
						"destroying" : "making",
						m->nlmsg_seq & ~CHURN_DEL_BIT,
						strerror(-e->error));
				c->failed++;
			}
			if (m->nlmsg_seq == c->last_seq)
				return 0;
		}
	}
}

/* Make `make` entries and destroy `del` (as many as there are). */
static int step(struct churn *c, unsigned long make, unsigned long del)
{
	int ret;

	if (del > c->n)
		del = c->n;
	while (make || del) {
		while ((make || del) &&
		       c->pos + CHURN_MSG_MAX <= sizeof(c->buf)) {
			if (del) {
				put_entry(c, c->lo, true);
				c->lo = (c->lo + 1) % CHURN_K_LIMIT;
				c->n--;
				c->destroyed++;
				del--;
			}
			if (make && c->n < CHURN_K_LIMIT) {
				put_entry(c, c->lo + c->n, false);
				c->n++;
				c->made++;
				make--;
			} else {
				make = 0;
			}
		}
		ret = flush(c);
		if (ret)
			return ret;
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int parse(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", 1, NULL, 's' }, { "rate", 1, NULL, 'r' },
		{ "new", 1, NULL, 'N' }, { "del", 1, NULL, 'D' },
		{ "start", 1, NULL, 'k' }, { "count", 1, NULL, 'n' },
		{ "family", 1, NULL, 'f' }, { "proto", 1, NULL, 'p' },
		{ "tick", 1, NULL, 't' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct churn c = { .family = AF_INET, .l4proto = IPPROTO_TCP };
	unsigned long secs = 0, rnew = 20000, rdel = 20000, tick = 10, v;
	uint64_t t0, next, now, ticks, done = 0, report;
	double want_new = 0, want_del = 0;
	int o, rcv = CHURN_RCVBUF, ret;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (parse(optarg, 3600, &secs) || !secs)
				goto bad;
			break;
		case 'r':
			if (parse(optarg, 1000000, &v))
				goto bad;
			rnew = rdel = v;
			break;
		case 'N':
			if (parse(optarg, 1000000, &rnew))
				goto bad;
			break;
		case 'D':
			if (parse(optarg, 1000000, &rdel))
				goto bad;
			break;
		case 'k':
			if (parse(optarg, CHURN_K_LIMIT - 1, &c.lo))
				goto bad;
			break;
		case 'n':
			if (parse(optarg, CHURN_K_LIMIT, &c.n))
				goto bad;
			break;
		case 'f':
			if (strcmp(optarg, "4") && strcmp(optarg, "6"))
				goto bad;
			c.family = *optarg == '4' ? AF_INET : AF_INET6;
			break;
		case 'p':
			if (strcmp(optarg, "tcp") && strcmp(optarg, "udp"))
				goto bad;
			c.l4proto = *optarg == 't' ? IPPROTO_TCP : IPPROTO_UDP;
			break;
		case 't':
			if (parse(optarg, 1000, &tick) || !tick)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (!secs || optind < argc)
		goto bad;

	c.nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!c.nl || mnl_socket_bind(c.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "ct_churn: netlink: %s\n", strerror(errno));
		return 1;
	}
	/* A batch's refusals queue up before we read them. */
	if (setsockopt(mnl_socket_get_fd(c.nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcv, sizeof(rcv)))
		setsockopt(mnl_socket_get_fd(c.nl), SOL_SOCKET, SO_RCVBUF,
			   &rcv, sizeof(rcv));

	ticks = secs * 1000 / tick;
	t0 = now_ns();
	next = t0;
	report = 1;
	while (done < ticks) {
		now = now_ns();
		if (now < next) {
			struct timespec ts = {
				.tv_sec = (time_t)(next / 1000000000ull),
				.tv_nsec = (long)(next % 1000000000ull),
			};

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
			continue;
		}
		/* Late by more than a second: skip what cannot be made up. */
		if (now - next > 1000000000ull) {
			uint64_t skip = (now - next) / (tick * 1000000ull) -
					1000 / tick;

			done += skip;
			next += skip * tick * 1000000ull;
		}
		want_new += rnew * tick / 1000.0;
		want_del += rdel * tick / 1000.0;
		ret = step(&c, (unsigned long)want_new,
			   (unsigned long)want_del);
		if (ret) {
			fprintf(stderr, "ct_churn: netlink: %s\n",
				strerror(-ret));
			mnl_socket_close(c.nl);
			return 1;
		}
		want_new -= (unsigned long)want_new;
		want_del -= (unsigned long)want_del;
		done++;
		next += tick * 1000000ull;
		if (done * tick >= report * 1000) {
			printf("t=%lu made=%lu destroyed=%lu failed=%lu\n",
			       (unsigned long)report, c.made, c.destroyed,
			       c.failed);
			fflush(stdout);
			report++;
		}
	}
	mnl_socket_close(c.nl);
	printf("churn: seconds=%lu made=%lu destroyed=%lu failed=%lu "
	       "first=%lu count=%lu\n", secs, c.made, c.destroyed, c.failed,
	       c.lo, c.n);
	return 0;
bad:
	usage(stderr);
	return 2;
}
