/* collector_replay: conntrack messages from a file in place of the
 * kernel's sockets (a test hook: FLOWTOP_REPLAY=FILE).
 *
 * What this kernel cannot make, the tests build: flowtable offload (no
 * CONFIG_NF_FLOW_TABLE here, and ctnetlink refuses the offload status
 * bits) and kernels that do not take CTA_FILTER.  The collector sends its
 * requests here instead of to a socket and gets the answers through the
 * same callbacks, parser and table as the kernel's (as iproute2's ss
 * testsuite replays a recorded dump).  Snapshots answer scans in turn, the
 * last one again and again; dumps are filtered by family and CTA_FILTER
 * as ctnetlink_dump_table() filters them, or refused or ignored as an
 * older kernel would.  Nothing here runs unless the variable is set.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "collector.h"
#include "collector_replay.h"

/* The largest file taken: a full table of 262,144 entries is ~70 MB. */
#define REPLAY_MAX	(256u << 20)
/* CTA_FILTER's flag for the protocol number (CTA_FILTER_F_CTA_PROTO_NUM
 * in the kernel's nf_conntrack_netlink.c); bits the kernel has there. */
#define REPLAY_F_PROTO_NUM	(1u << 3)
#define REPLAY_F_ALL		0x3fffu

struct replay_rec {
	uint32_t kind;
	const char *p;
	size_t len;
};

struct collector_replay {
	char *file;
	struct replay_rec *recs;
	size_t n, next;
	const struct replay_rec *dump, *stats, *cpustats;
	uint32_t filter;
	uint64_t idle_ns;
};

static struct collector_replay *replay_active;

struct collector_replay *collector_replay_active(void)
{
	return replay_active;
}

static int replay_read(const char *path, char **buf, size_t *len)
{
	struct stat st;
	ssize_t got;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > REPLAY_MAX) {
		close(fd);
		return -EINVAL;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < *len) {
		got = read(fd, *buf + off, *len - off);
		if (got <= 0) {
			ret = got < 0 ? -errno : -EINVAL;
			break;
		}
		off += (size_t)got;
	}
	close(fd);
	if (ret) {
		free(*buf);
		*buf = NULL;
	}
	return ret;
}

/* Every message whole and of conntrack. */
static bool replay_msgs_ok(const char *p, size_t len)
{
	const struct nlmsghdr *nlh;
	size_t off = 0;

	while (off < len) {
		if (len - off < NLMSG_HDRLEN)
			return false;
		nlh = (const struct nlmsghdr *)(p + off);
		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg) ||
		    nlh->nlmsg_len > len - off ||
		    nlh->nlmsg_type >> 8 != NFNL_SUBSYS_CTNETLINK)
			return false;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return true;
}

static int replay_index(struct collector_replay *r, size_t len)
{
	size_t off = sizeof(COLLECTOR_REPLAY_MAGIC) - 1, cap = 0;
	struct replay_rec *n, rec;
	uint32_t h[2];

	if (len < off || memcmp(r->file, COLLECTOR_REPLAY_MAGIC, off))
		return -EINVAL;
	while (off < len) {
		if (len - off < sizeof(h))
			return -EINVAL;
		memcpy(h, r->file + off, sizeof(h));
		off += sizeof(h);
		if (h[1] > len - off)
			return -EINVAL;
		rec.kind = h[0];
		rec.p = r->file + off;
		rec.len = h[1];
		off += (h[1] + 3u) & ~3u;
		switch (rec.kind) {
		case COLLECTOR_REPLAY_DUMP:
		case COLLECTOR_REPLAY_EVENTS:
		case COLLECTOR_REPLAY_STATS:
		case COLLECTOR_REPLAY_CPUSTATS:
			if (!replay_msgs_ok(rec.p, rec.len))
				return -EINVAL;
			break;
		case COLLECTOR_REPLAY_FILTER:
		case COLLECTOR_REPLAY_IDLE:
			if (rec.len != 4)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
		if (r->n == cap) {
			cap = cap ? cap * 2 : 16;
			n = realloc(r->recs, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			r->recs = n;
		}
		r->recs[r->n++] = rec;
	}
	return 0;
}

static uint32_t replay_u32(const struct replay_rec *rec)
{
	uint32_t v;

	memcpy(&v, rec->p, sizeof(v));
	return v;
}

/* Settings take effect where the file has them. */
static void replay_apply(struct collector_replay *r,
			 const struct replay_rec *rec)
{
	if (rec->kind == COLLECTOR_REPLAY_STATS)
		r->stats = rec;
	else if (rec->kind == COLLECTOR_REPLAY_CPUSTATS)
		r->cpustats = rec;
	else if (rec->kind == COLLECTOR_REPLAY_FILTER)
		r->filter = replay_u32(rec);
	else if (rec->kind == COLLECTOR_REPLAY_IDLE)
		r->idle_ns = replay_u32(rec) * 1000000000ull;
}

int collector_replay_open(const char *path, struct collector_replay **out)
{
	struct collector_replay *r = calloc(1, sizeof(*r));
	size_t len = 0;
	int ret;

	if (!r)
		return -ENOMEM;
	ret = replay_read(path, &r->file, &len);
	if (!ret)
		ret = replay_index(r, len);
	if (ret) {
		collector_replay_close(r);
		return ret;
	}
	/* What comes before the first snapshot is in effect at once. */
	while (r->next < r->n && r->recs[r->next].kind != COLLECTOR_REPLAY_DUMP)
		replay_apply(r, &r->recs[r->next++]);
	replay_active = r;
	*out = r;
	return 0;
}

void collector_replay_close(struct collector_replay *r)
{
	if (!r)
		return;
	if (replay_active == r)
		replay_active = NULL;
	free(r->recs);
	free(r->file);
	free(r);
}

void collector_replay_scan(struct collector_replay *r)
{
	while (r->next < r->n) {
		const struct replay_rec *rec = &r->recs[r->next++];

		if (rec->kind == COLLECTOR_REPLAY_DUMP) {
			r->dump = rec;
			return;
		}
		replay_apply(r, rec);
	}
}

unsigned collector_replay_events(struct collector_replay *r, mnl_cb_t cb,
				 void *data)
{
	const struct nlmsghdr *nlh;
	unsigned count = 0;
	size_t off;

	while (r->next < r->n &&
	       r->recs[r->next].kind != COLLECTOR_REPLAY_DUMP) {
		const struct replay_rec *rec = &r->recs[r->next++];

		if (rec->kind != COLLECTOR_REPLAY_EVENTS) {
			replay_apply(r, rec);
			continue;
		}
		for (off = 0; off < rec->len;
		     off += NLMSG_ALIGN(nlh->nlmsg_len)) {
			nlh = (const struct nlmsghdr *)(rec->p + off);
			mnl_cb_run(nlh, nlh->nlmsg_len, 0, 0, cb, data);
			count++;
		}
	}
	return count;
}

uint64_t collector_replay_idle(const struct collector_replay *r)
{
	return r->idle_ns;
}

/* What a dump request asks: a family (0: all) and a protocol (-1: all),
 * or the error the replayed kernel gives. */
static int replay_dump_filter(const struct collector_replay *r,
			      const struct nlmsghdr *req, int *proto)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(req);
	const struct nlattr *a, *b, *c;
	uint32_t flags = 0;
	bool filter = false;

	*proto = -1;
	mnl_attr_for_each(a, req, sizeof(*nfg)) {
		if (mnl_attr_get_type(a) == CTA_FILTER) {
			filter = true;
			mnl_attr_for_each_nested(b, a)
				if (mnl_attr_get_type(b) ==
				    CTA_FILTER_ORIG_FLAGS &&
				    mnl_attr_get_payload_len(b) >= 4)
					flags = mnl_attr_get_u32(b);
		} else if (mnl_attr_get_type(a) == CTA_TUPLE_ORIG) {
			mnl_attr_for_each_nested(b, a) {
				if (mnl_attr_get_type(b) != CTA_TUPLE_PROTO)
					continue;
				mnl_attr_for_each_nested(c, b)
					if (mnl_attr_get_type(c) ==
					    CTA_PROTO_NUM)
						*proto = mnl_attr_get_u8(c);
			}
		}
	}
	if (!filter) {
		*proto = -1;
		return 0;
	}
	switch (r->filter) {
	case COLLECTOR_FILTER_IGNORED:
		*proto = -1;
		return 0;
	case COLLECTOR_FILTER_EOPNOTSUPP:
		return -EOPNOTSUPP;
	case COLLECTOR_FILTER_EINVAL:
		return -EINVAL;
	}
	/* As ctnetlink_parse_tuple_filter(): a family, known flags. */
	if (nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6)
		return -EOPNOTSUPP;
	if (flags & ~REPLAY_F_ALL)
		return -EOPNOTSUPP;
	if (!(flags & REPLAY_F_PROTO_NUM))
		*proto = -1;
	else if (*proto < 0)
		return -EINVAL;
	return 0;
}

/* The messages of the current snapshot that pass family, protocol and
 * (for a one-entry get) id; stop at the first cb error. */
static int replay_each(const struct collector_replay *r, int family,
		       int proto, uint32_t id, mnl_cb_t cb, void *data,
		       unsigned *sent)
{
	const struct nlmsghdr *nlh;
	struct flow_rec rec;
	size_t off;

	*sent = 0;
	if (!r->dump)
		return 0;
	for (off = 0; off < r->dump->len; off += NLMSG_ALIGN(nlh->nlmsg_len)) {
		nlh = (const struct nlmsghdr *)(r->dump->p + off);
		if (collector_parse(nlh, &rec))
			continue;
		if ((family && rec.family != family) ||
		    (proto >= 0 && rec.l4proto != proto) ||
		    (id && rec.id != id))
			continue;
		if (mnl_cb_run(nlh, nlh->nlmsg_len, 0, 0, cb, data) < 0)
			return errno ? -errno : -EIO;
		(*sent)++;
	}
	return 0;
}

int collector_replay_request(struct collector_replay *r,
			     const struct nlmsghdr *req, mnl_cb_t cb,
			     void *data)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(req);
	const struct nlattr *a;
	unsigned sent;
	uint32_t id = 0;
	int proto, ret;

	if (req->nlmsg_len < NLMSG_HDRLEN + sizeof(*nfg) ||
	    req->nlmsg_type >> 8 != NFNL_SUBSYS_CTNETLINK)
		return -EINVAL;
	switch (req->nlmsg_type & 0xff) {
	case IPCTNL_MSG_CT_GET:
		if (req->nlmsg_flags & NLM_F_DUMP) {
			ret = replay_dump_filter(r, req, &proto);
			return ret ? ret : replay_each(r, nfg->nfgen_family,
						       proto, 0, cb, data,
						       &sent);
		}
		mnl_attr_for_each(a, req, sizeof(*nfg))
			if (mnl_attr_get_type(a) == CTA_ID &&
			    mnl_attr_get_payload_len(a) >= 4)
				id = ntohl(mnl_attr_get_u32(a));
		if (!id)
			return -ENOENT;
		ret = replay_each(r, 0, -1, id, cb, data, &sent);
		return ret ? ret : sent ? 0 : -ENOENT;
	case IPCTNL_MSG_CT_GET_STATS:
		if (r->stats)
			mnl_cb_run(r->stats->p, r->stats->len, 0, 0, cb, data);
		return 0;
	case IPCTNL_MSG_CT_GET_STATS_CPU:
		if (r->cpustats)
			mnl_cb_run(r->cpustats->p, r->cpustats->len, 0, 0, cb,
				   data);
		return 0;
	case IPCTNL_MSG_CT_DELETE:
		/* A recording is read only. */
		return -EPERM;
	}
	return -EOPNOTSUPP;
}
