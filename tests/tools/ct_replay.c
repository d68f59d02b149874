/*
 * ct_replay: build the conntrack messages that flowtop's replay test hook
 * (FLOWTOP_REPLAY, collector_replay.c) reads in place of the kernel's
 * sockets, from a script in the text conntrack(8) prints.
 *
 *   ct_replay SCRIPT OUT      write OUT (the messages, this machine's byte
 *                             order: build it where it is replayed)
 *
 * The script, one item a line ('#' comments and blank lines skipped):
 *
 *   stats COUNT MAX      nf_conntrack_count and _max, from here on
 *   cpustats INSERT_FAILED DROP [CPUS]
 *                        the per-CPU counters (summed: the first CPU
 *                        holds what does not divide evenly; 2 CPUs by
 *                        default), from here on
 *   idle SECONDS         the flowtable's idle timeout (the kernel's
 *                        nf_flowtable_{tcp,udp}_timeout; 30 s without)
 *   filter MODE          how the "kernel" takes a dump with CTA_FILTER:
 *                        works (5.8 and later), ignored (older: the whole
 *                        family comes back), eopnotsupp, einval (an error)
 *   dump ... end         one snapshot of the table: the next dump gets it
 *                        (the last one is repeated), each line as
 *                        conntrack -L -o extended,id prints an entry
 *   events ... end       events, delivered after the dump before them:
 *                        [NEW], [UPDATE] or [DESTROY], then such a line
 *
 * An entry line: "ipv4 2 tcp 6 TIMEOUT [STATE] src= dst= sport= dport=
 * [packets= bytes=] [FLAGS] src= dst= sport= dport= [packets= bytes=]
 * [FLAGS] [mark=] [zone=] [use=] [id=]": icmp has type= code= id=, gre
 * srckey= dstkey=, other protocols ("unknown 50") addresses only; FLAGS
 * are [UNREPLIED], [ASSURED], [OFFLOAD], [HW_OFFLOAD]; packets=/bytes=
 * mean accounting is on.  Without id= the id is a hash of the original
 * tuple and zone, the same in every dump.  NAT status bits follow from a
 * reply tuple that is not the mirror of the original.
 *
 * The output: "FTRPLY1\n", then records of a u32 kind, a u32 length and
 * the payload padded to 4 bytes: 1 dump (IPCTNL_MSG_CT_NEW messages, as a
 * dump answers), 2 events (CT_NEW/CT_DELETE), 3 stats (the answer to
 * IPCTNL_MSG_CT_GET_STATS), 4 filter (a u32 mode), 5 idle (u32 s), 6
 * cpustats (the answer to IPCTNL_MSG_CT_GET_STATS_CPU, a message a CPU).
 *
 * Exit: 0, 1 on a bad script (file:line: what), 2 usage.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "collector_replay.h"
#include "l4proto.h"

#define MSG_MAX		4096
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct tup {
	uint8_t addr[2][16];		/* src, dst */
	bool have[2];
	uint16_t a, b;			/* ports, GRE keys, or ICMP type/code */
	uint16_t icmp_id;
	bool have_ids;
	uint64_t packets, bytes;
	bool counters;
};

struct entry {
	uint8_t family, proto;
	uint32_t timeout, mark, id, status;
	uint16_t zone;
	int state;			/* -1: none */
	struct tup t[2];		/* original, reply */
	bool have_id, have_zone;
};

static const char *script;
static unsigned lineno;

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "ct_replay: %s:%u: %s%s%s\n", script, lineno, what,
		arg ? ": " : "", arg ? arg : "");
	exit(1);
}

static int state_of(uint8_t proto, const char *name)
{
	size_t n, i;
	const char *const *tab = l4proto_states(proto, &n);

	for (i = 0; tab && i < n; i++)
		if (!strcmp(name, tab[i]))
			return (int)i;
	return -1;
}

static uint64_t num(const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max)
		die("bad number", s);
	return v;
}

static bool is_icmp(uint8_t p)
{
	return p == IPPROTO_ICMP || p == IPPROTO_ICMPV6;
}

/* One entry line, as conntrack -L -o extended,id prints it. */
static void parse_entry(char *line, struct entry *e)
{
	char *tok, *save = NULL, *v;
	int field = 0, dir = -1, fam = AF_INET;
	bool unreplied = false, after = false;
	struct tup *t;

	memset(e, 0, sizeof(*e));
	e->state = -1;
	e->status = IPS_CONFIRMED;
	for (tok = strtok_r(line, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save), field++) {
		if (field == 0) {
			if (strcmp(tok, "ipv4") && strcmp(tok, "ipv6"))
				die("not ipv4 or ipv6", tok);
			fam = tok[3] == '4' ? AF_INET : AF_INET6;
			e->family = (uint8_t)fam;
			continue;
		}
		if (field == 1 || field == 2)
			continue;	/* "2", "tcp": the numbers say it */
		if (field == 3) {
			e->proto = (uint8_t)num(tok, 255);
			continue;
		}
		if (field == 4) {
			e->timeout = (uint32_t)num(tok, UINT32_MAX);
			continue;
		}
		if (tok[0] == '[') {
			if (!strcmp(tok, "[UNREPLIED]"))
				unreplied = true;
			else if (!strcmp(tok, "[ASSURED]"))
				e->status |= IPS_ASSURED;
			else if (!strcmp(tok, "[OFFLOAD]"))
				e->status |= IPS_OFFLOAD;
			else if (!strcmp(tok, "[HW_OFFLOAD]"))
				e->status |= IPS_HW_OFFLOAD;
			continue;	/* [USERSPACE], [start=...] */
		}
		v = strchr(tok, '=');
		if (!v) {
			if (dir >= 0)
				die("unexpected word", tok);
			e->state = state_of(e->proto, tok);
			if (e->state < 0)
				die("unknown state", tok);
			continue;
		}
		*v++ = '\0';
		if (!strcmp(tok, "src") && !after) {
			if (++dir > 1)
				die("a third tuple", NULL);
		}
		if (!strcmp(tok, "mark") || !strcmp(tok, "zone") ||
		    !strcmp(tok, "use") || !strcmp(tok, "delta-time") ||
		    !strcmp(tok, "portid"))
			after = true;
		t = dir >= 0 ? &e->t[dir] : NULL;
		if (!after && !t)
			die("a value before src=", tok);
		if (!after && (!strcmp(tok, "src") || !strcmp(tok, "dst"))) {
			int k = tok[0] == 'd';

			if (inet_pton(fam, v, t->addr[k]) != 1)
				die("bad address", v);
			t->have[k] = true;
		} else if (!after && (!strcmp(tok, "sport") ||
				      !strcmp(tok, "srckey") ||
				      !strcmp(tok, "type"))) {
			t->a = (uint16_t)num(v, 65535);
			t->have_ids = true;
		} else if (!after && (!strcmp(tok, "dport") ||
				      !strcmp(tok, "dstkey") ||
				      !strcmp(tok, "code"))) {
			t->b = (uint16_t)num(v, 65535);
			t->have_ids = true;
		} else if (!after && !strcmp(tok, "id") &&
			   is_icmp(e->proto)) {
			t->icmp_id = (uint16_t)num(v, 65535);
		} else if (!after && !strcmp(tok, "packets")) {
			t->packets = num(v, UINT64_MAX);
			t->counters = true;
		} else if (!after && !strcmp(tok, "bytes")) {
			t->bytes = num(v, UINT64_MAX);
			t->counters = true;
		} else if (!strcmp(tok, "mark")) {
			e->mark = (uint32_t)num(v, UINT32_MAX);
		} else if (!strcmp(tok, "zone")) {
			e->zone = (uint16_t)num(v, 65535);
			e->have_zone = true;
		} else if (!strcmp(tok, "id")) {
			e->id = (uint32_t)num(v, UINT32_MAX);
			e->have_id = true;
		} else if (strcmp(tok, "use") && strcmp(tok, "delta-time") &&
			   strcmp(tok, "portid") && strcmp(tok, "progname")) {
			die("unknown field", tok);
		}
	}
	if (field < 5 || dir != 1 || !e->t[0].have[0] || !e->t[0].have[1] ||
	    !e->t[1].have[0] || !e->t[1].have[1])
		die("an entry needs family, protocol, timeout and two tuples",
		    NULL);
	if (!unreplied)
		e->status |= IPS_SEEN_REPLY;
	/* As the kernel does: a reply that does not mirror means NAT. */
	if (memcmp(e->t[1].addr[1], e->t[0].addr[0], 16) ||
	    e->t[1].b != e->t[0].a)
		e->status |= IPS_SRC_NAT | IPS_SRC_NAT_DONE;
	if (memcmp(e->t[1].addr[0], e->t[0].addr[1], 16) ||
	    e->t[1].a != e->t[0].b)
		e->status |= IPS_DST_NAT | IPS_DST_NAT_DONE;
	if (is_icmp(e->proto))
		e->status &= ~(IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_DST_NAT |
			       IPS_DST_NAT_DONE);
	if (!e->have_id) {
		/* FNV-1a of the original tuple and zone: stable. */
		uint32_t h = 2166136261u;
		const uint8_t *p = (const uint8_t *)&e->t[0];

		for (size_t i = 0; i < 2 * 16 + 4; i++)
			h = (h ^ p[i]) * 16777619u;
		h = (h ^ e->proto ^ e->zone) * 16777619u;
		e->id = h ? h : 1;
	}
}

static void put_tuple(struct nlmsghdr *nlh, int type, const struct entry *e,
		      const struct tup *t)
{
	struct nlattr *tup, *ip, *pr;
	bool v4 = e->family == AF_INET;
	size_t alen = v4 ? 4 : 16;

	tup = mnl_attr_nest_start(nlh, type);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, alen,
		     t->addr[0]);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, alen,
		     t->addr[1]);
	mnl_attr_nest_end(nlh, ip);
	pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e->proto);
	if (is_icmp(e->proto)) {
		bool v6 = e->proto == IPPROTO_ICMPV6;

		mnl_attr_put_u16(nlh, v6 ? CTA_PROTO_ICMPV6_ID :
				 CTA_PROTO_ICMP_ID, htons(t->icmp_id));
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_TYPE :
				CTA_PROTO_ICMP_TYPE, (uint8_t)t->a);
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_CODE :
				CTA_PROTO_ICMP_CODE, (uint8_t)t->b);
	} else if (t->have_ids) {
		/* Ports, and GRE's keys: the kernel uses these two for both. */
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->a));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->b));
	}
	mnl_attr_nest_end(nlh, pr);
	if (e->have_zone)
		mnl_attr_put_u16(nlh, CTA_TUPLE_ZONE, htons(e->zone));
	mnl_attr_nest_end(nlh, tup);
}

static void put_counters(struct nlmsghdr *nlh, int type, const struct tup *t)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(t->packets));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(t->bytes));
	mnl_attr_nest_end(nlh, n);
}

/* As ctnetlink_fill_info() lays out an entry. */
static struct nlmsghdr *build(char *buf, const struct entry *e, uint16_t type,
			      uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nlattr *pi, *p;
	int pattr = -1, sattr = -1;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = flags;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = e->family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	put_tuple(nlh, CTA_TUPLE_ORIG, e, &e->t[0]);
	put_tuple(nlh, CTA_TUPLE_REPLY, e, &e->t[1]);
	if (e->have_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(e->status));
	if (type != IPCTNL_MSG_CT_DELETE)
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(e->timeout));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(e->mark));
	if (e->t[0].counters || e->t[1].counters) {
		put_counters(nlh, CTA_COUNTERS_ORIG, &e->t[0]);
		put_counters(nlh, CTA_COUNTERS_REPLY, &e->t[1]);
	}
	switch (e->proto) {
	case IPPROTO_TCP:
		pattr = CTA_PROTOINFO_TCP;
		sattr = CTA_PROTOINFO_TCP_STATE;
		break;
	case IPPROTO_SCTP:
		pattr = CTA_PROTOINFO_SCTP;
		sattr = CTA_PROTOINFO_SCTP_STATE;
		break;
	case IPPROTO_DCCP:
		pattr = CTA_PROTOINFO_DCCP;
		sattr = CTA_PROTOINFO_DCCP_STATE;
		break;
	}
	if (pattr >= 0 && e->state >= 0) {
		pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		p = mnl_attr_nest_start(nlh, pattr);
		mnl_attr_put_u8(nlh, sattr, (uint8_t)e->state);
		mnl_attr_nest_end(nlh, p);
		mnl_attr_nest_end(nlh, pi);
	}
	mnl_attr_put_u32(nlh, CTA_USE, htonl(1));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(e->id));
	return nlh;
}

/* The payload of the record being built. */
static char *rec_buf;
static size_t rec_len, rec_cap;

static void rec_add(const void *p, size_t n)
{
	if (rec_len + n > rec_cap) {
		rec_cap = (rec_len + n) * 2 + 65536;
		rec_buf = realloc(rec_buf, rec_cap);
		if (!rec_buf) {
			perror("ct_replay");
			exit(1);
		}
	}
	memcpy(rec_buf + rec_len, p, n);
	rec_len += n;
}

static void rec_write(FILE *out, uint32_t kind)
{
	static const char pad[4];
	uint32_t h[2] = { kind, (uint32_t)rec_len };

	if (fwrite(h, sizeof(h), 1, out) != 1 ||
	    (rec_len && fwrite(rec_buf, rec_len, 1, out) != 1) ||
	    (rec_len % 4 && fwrite(pad, 4 - rec_len % 4, 1, out) != 1)) {
		perror("ct_replay: write");
		exit(1);
	}
	rec_len = 0;
}

static void write_stats(FILE *out, uint32_t count, uint32_t max)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
			  IPCTNL_MSG_CT_GET_STATS;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_u32(nlh, CTA_STATS_GLOBAL_ENTRIES, htonl(count));
	mnl_attr_put_u32(nlh, CTA_STATS_GLOBAL_MAX_ENTRIES, htonl(max));
	rec_add(nlh, nlh->nlmsg_len);
	rec_write(out, COLLECTOR_REPLAY_STATS);
}

static void write_cpustats(FILE *out, unsigned long ins, unsigned long drop,
			   unsigned long cpus)
{
	char buf[256];
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	unsigned long i;

	if (!cpus || cpus > 1024)
		die("cpustats: CPUS is 1 to 1024", "");
	for (i = 0; i < cpus; i++) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) |
				  IPCTNL_MSG_CT_GET_STATS_CPU;
		nlh->nlmsg_flags = NLM_F_MULTI;
		nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = AF_UNSPEC;
		nfg->version = NFNETLINK_V0;
		nfg->res_id = htons((uint16_t)i);
		mnl_attr_put_u32(nlh, CTA_STATS_INSERT_FAILED,
				 htonl((uint32_t)(ins / cpus +
						  (i ? 0 : ins % cpus))));
		mnl_attr_put_u32(nlh, CTA_STATS_DROP,
				 htonl((uint32_t)(drop / cpus +
						  (i ? 0 : drop % cpus))));
		rec_add(nlh, nlh->nlmsg_len);
	}
	rec_write(out, COLLECTOR_REPLAY_CPUSTATS);
}

static void write_u32(FILE *out, uint32_t kind, uint32_t v)
{
	rec_add(&v, sizeof(v));
	rec_write(out, kind);
}

int main(int argc, char **argv)
{
	static const char *const modes[] = {
		[COLLECTOR_FILTER_WORKS] = "works",
		[COLLECTOR_FILTER_IGNORED] = "ignored",
		[COLLECTOR_FILTER_EOPNOTSUPP] = "eopnotsupp",
		[COLLECTOR_FILTER_EINVAL] = "einval",
	};
	char line[8192], buf[MSG_MAX], *p, word[32];
	struct nlmsghdr *nlh;
	struct entry e;
	uint32_t kind = 0;
	unsigned long a, b, c;
	int n;
	FILE *in, *out;
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: ct_replay SCRIPT OUT\n");
		return 2;
	}
	script = argv[1];
	in = fopen(argv[1], "r");
	out = fopen(argv[2], "w");
	if (!in || !out) {
		perror("ct_replay");
		return 1;
	}
	fputs(COLLECTOR_REPLAY_MAGIC, out);
	while (fgets(line, sizeof(line), in)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue;
		if (!kind) {
			if (!strcmp(p, "dump")) {
				kind = COLLECTOR_REPLAY_DUMP;
			} else if (!strcmp(p, "events")) {
				kind = COLLECTOR_REPLAY_EVENTS;
			} else if (sscanf(p, "stats %lu %lu", &a, &b) == 2) {
				write_stats(out, (uint32_t)a, (uint32_t)b);
			} else if ((n = sscanf(p, "cpustats %lu %lu %lu", &a,
					       &b, &c)) >= 2) {
				write_cpustats(out, a, b, n == 3 ? c : 2);
			} else if (sscanf(p, "idle %lu", &a) == 1) {
				write_u32(out, COLLECTOR_REPLAY_IDLE,
					  (uint32_t)a);
			} else if (sscanf(p, "filter %31s", word) == 1) {
				for (i = 0; i < ARRAY_SIZE(modes); i++)
					if (!strcmp(word, modes[i]))
						break;
				if (i == ARRAY_SIZE(modes))
					die("unknown filter mode", word);
				write_u32(out, COLLECTOR_REPLAY_FILTER,
					  (uint32_t)i);
			} else {
				die("unknown line", p);
			}
			continue;
		}
		if (!strcmp(p, "end")) {
			rec_write(out, kind);
			kind = 0;
			continue;
		}
		if (kind == COLLECTOR_REPLAY_DUMP) {
			parse_entry(p, &e);
			nlh = build(buf, &e, IPCTNL_MSG_CT_NEW, NLM_F_MULTI);
		} else {
			uint16_t type = IPCTNL_MSG_CT_NEW, flags = 0;

			if (!strncmp(p, "[NEW]", 5)) {
				flags = NLM_F_CREATE | NLM_F_EXCL;
			} else if (!strncmp(p, "[DESTROY]", 9)) {
				type = IPCTNL_MSG_CT_DELETE;
			} else if (strncmp(p, "[UPDATE]", 8)) {
				die("an event starts [NEW], [UPDATE] or "
				    "[DESTROY]", p);
			}
			parse_entry(strchr(p, ']') + 1, &e);
			nlh = build(buf, &e, type, flags);
		}
		rec_add(nlh, nlh->nlmsg_len);
	}
	if (kind)
		die("no 'end' before the end of the file", NULL);
	if (fclose(out)) {
		perror("ct_replay");
		return 1;
	}
	fclose(in);
	return 0;
}
