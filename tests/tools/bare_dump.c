/*
 * bare_dump: the benchmark baseline.  The cheapest way to read the
 * conntrack table: one IPCTNL_MSG_CT_GET dump request (NLM_F_DUMP,
 * AF_UNSPEC) on a NETLINK_NETFILTER socket (libmnl), every reply read
 * into a large buffer and only counted, nothing parsed.  flowtop's cost
 * per refresh is compared with this.
 *
 * Interface (kept stable: tests/bench parses it):
 *
 *   bare_dump [-n REPEAT]        REPEAT dumps (default 1, at most 1000)
 *             [-f 4|6 [-p PROTO]]  only this family (nfgenmsg), and only
 *                                  IP protocol PROTO (CTA_FILTER, Linux
 *                                  5.8 and later): what flowtop asks when
 *                                  it shows one protocol of one family
 *
 * stdout, one line per dump, then one line of medians:
 *
 *   entries=N wall_ms=X cpu_ms=Y
 *   ...
 *   median entries=N wall_ms=X cpu_ms=Y
 *
 * entries: conntrack messages in the dump; wall_ms: CLOCK_MONOTONIC from
 * sending the request to reading NLMSG_DONE; cpu_ms: user + system time
 * of this process (getrusage RUSAGE_SELF) over the same span, so kernel
 * work done on our behalf while building the dump counts.  X and Y have
 * three decimals.  The socket is opened once and reused, as flowtop
 * keeps its own.  Run it inside the namespace to measure:
 * ip netns exec NS build/tools/bare_dump -n 5
 *
 * Exit: 0 ok, 1 netlink error (text on stderr), 2 usage error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#define BARE_MAX_REPEAT	1000
/* A dump skb holds at most 32 KiB; read several at once if they fit. */
#define BARE_BUF	(256 * 1024)
/* The kernel does not drop dump replies, but a small rcvbuf would make
 * it build many small skbs: be generous. */
#define BARE_RCVBUF	(4 * 1024 * 1024)

struct bare_run {
	unsigned long entries;
	double wall_ms;
	double cpu_ms;
};

static char bare_buf[BARE_BUF];
static uint8_t bare_family;		/* AF_UNSPEC: all */
static int bare_proto = -1;		/* -1: all */

static double bare_ts_ms(const struct timespec *ts)
{
	return ts->tv_sec * 1e3 + ts->tv_nsec / 1e6;
}

static double bare_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int bare_dump_once(struct mnl_socket *nl, uint32_t seq,
			  struct bare_run *run)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfh;
	const struct nlmsghdr *m;
	struct timespec t0, t1;
	double cpu0;
	ssize_t n;
	int len;

	run->entries = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cpu0 = bare_cpu_ms();

	nlh = mnl_nlmsg_put_header(bare_buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = bare_family;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	if (bare_proto >= 0) {
		struct nlattr *t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
		struct nlattr *p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		struct nlattr *f;

		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, (uint8_t)bare_proto);
		mnl_attr_nest_end(nlh, p);
		mnl_attr_nest_end(nlh, t);
		/* CTA_FILTER_F_CTA_PROTO_NUM, host order. */
		f = mnl_attr_nest_start(nlh, CTA_FILTER);
		mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, 1u << 3);
		mnl_attr_nest_end(nlh, f);
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		fprintf(stderr, "bare_dump: send: %s\n", strerror(errno));
		return -errno;
	}

	for (;;) {
		n = mnl_socket_recvfrom(nl, bare_buf, sizeof(bare_buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "bare_dump: receive: %s\n",
				strerror(errno));
			return -errno;
		}
		len = n;
		for (m = (const struct nlmsghdr *)bare_buf;
		     mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_DONE)
				goto done;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(m);

				fprintf(stderr, "bare_dump: kernel error: "
					"%s\n", strerror(-e->error));
				return e->error ? e->error : -EPROTO;
			}
			if ((m->nlmsg_type & 0xff) == IPCTNL_MSG_CT_NEW)
				run->entries++;
		}
	}
done:
	run->cpu_ms = bare_cpu_ms() - cpu0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	run->wall_ms = bare_ts_ms(&t1) - bare_ts_ms(&t0);
	return 0;
}

static int bare_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double bare_median(double *v, int n)
{
	qsort(v, n, sizeof(*v), bare_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	static struct bare_run runs[BARE_MAX_REPEAT];
	static double wall[BARE_MAX_REPEAT], cpu[BARE_MAX_REPEAT],
		      ent[BARE_MAX_REPEAT];
	struct mnl_socket *nl;
	int repeat = 1, rcv = BARE_RCVBUF, c, i, fd;
	char *end;
	long v;

	while ((c = getopt(argc, argv, "n:f:p:h")) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "4") && strcmp(optarg, "6")) {
				fprintf(stderr, "bare_dump: -f wants 4 or 6\n");
				return 2;
			}
			bare_family = optarg[0] == '4' ? AF_INET : AF_INET6;
			break;
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 0 || v > 255) {
				fprintf(stderr, "bare_dump: -p wants 0..255\n");
				return 2;
			}
			bare_proto = (int)v;
			break;
		case 'n':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 || v > BARE_MAX_REPEAT) {
				fprintf(stderr, "bare_dump: -n wants 1..%d\n",
					BARE_MAX_REPEAT);
				return 2;
			}
			repeat = v;
			break;
		case 'h':
			puts("usage: bare_dump [-n REPEAT] [-f 4|6 [-p PROTO]]\n"
			     "prints entries=N wall_ms=X cpu_ms=Y per dump, "
			     "then a line of medians");
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc || (bare_proto >= 0 && !bare_family)) {
		fprintf(stderr, "usage: bare_dump [-n REPEAT] [-f 4|6 "
			"[-p PROTO]]\n");
		return 2;
	}

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "bare_dump: netlink socket: %s\n",
			strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return 1;
	}
	fd = mnl_socket_get_fd(nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));

	for (i = 0; i < repeat; i++) {
		if (bare_dump_once(nl, i + 1, &runs[i])) {
			mnl_socket_close(nl);
			return 1;
		}
		printf("entries=%lu wall_ms=%.3f cpu_ms=%.3f\n",
		       runs[i].entries, runs[i].wall_ms, runs[i].cpu_ms);
		wall[i] = runs[i].wall_ms;
		cpu[i] = runs[i].cpu_ms;
		ent[i] = runs[i].entries;
	}
	mnl_socket_close(nl);
	printf("median entries=%.0f wall_ms=%.3f cpu_ms=%.3f\n",
	       bare_median(ent, repeat), bare_median(wall, repeat),
	       bare_median(cpu, repeat));
	return 0;
}
