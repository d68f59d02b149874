/* filter_eval: matching a flow against a compiled filter: a walk of the
 * node array with early exit, no allocation and no address formatting
 * (but for a device name pattern, tried on a MAC's and address's text). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "filter.h"
#include "filter_impl.h"
#include "flow_types.h"
#include "geoip.h"
#include "lan.h"
#include "util.h"

/* Length of the UTF-8 sequence starting at s (1 for anything invalid), so
 * that '?' stands for one character of a country or city name. */
static size_t filter_utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (*s < 0xc0)
		return 1;
	n = *s < 0xe0 ? 2 : *s < 0xf0 ? 3 : 4;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/* Glob with '*' and '?'; pat is already lower case.  Backtracks only to
 * the last star, so the cost stays linear-ish in both lengths. */
bool filter_glob(const char *pat, const char *str)
{
	const unsigned char *p = (const unsigned char *)pat;
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *star_p = NULL, *star_s = NULL;

	while (*s) {
		if (*p == '*') {
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (*p == '?') {
			p++;
			s += filter_utf8_len(s);
			continue;
		}
		if (*p && *p == filter_lower(*s)) {
			p++;
			s++;
			continue;
		}
		if (!star_p)
			return false;
		p = star_p;
		star_s += filter_utf8_len(star_s);
		s = star_s;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool filter_glob_opt(const char *pat, const char *str)
{
	return str && *str && filter_glob(pat, str);
}

static inline size_t filter_addr_words(uint8_t family)
{
	return family == AF_INET6 ? 4 : 1;
}

static inline bool filter_addr_in(const struct fnode *n,
				  const union flow_addr *a)
{
	size_t i, w = filter_addr_words(n->u.addr.family);

	for (i = 0; i < w; i++)
		if ((a->w[i] & n->u.addr.mask.w[i]) != n->u.addr.net.w[i])
			return false;
	return true;
}

static inline bool filter_addr_eq(uint8_t family, const union flow_addr *a,
				  const union flow_addr *b)
{
	size_t i, w = filter_addr_words(family);

	for (i = 0; i < w; i++)
		if (a->w[i] != b->w[i])
			return false;
	return true;
}

/* The kernel always sends a reply tuple; a row built without one (all
 * zero) must not match addresses or look NAT'd through it. */
static bool filter_have_repl(const struct flow_rec *r)
{
	static const struct flow_tuple zero;

	return memcmp(&r->repl, &zero, sizeof(zero)) != 0;
}

static bool filter_match_addr(const struct fnode *n, const struct flow_rec *r)
{
	if (r->family != n->u.addr.family)
		return false;
	if ((n->flags & FNF_OSRC) && filter_addr_in(n, &r->orig.src))
		return true;
	if ((n->flags & FNF_ODST) && filter_addr_in(n, &r->orig.dst))
		return true;
	if (!(n->flags & (FNF_RSRC | FNF_RDST)) || !filter_have_repl(r))
		return false;
	if ((n->flags & FNF_RSRC) && filter_addr_in(n, &r->repl.src))
		return true;
	return (n->flags & FNF_RDST) && filter_addr_in(n, &r->repl.dst);
}

static bool filter_name_one(const struct fnode *n, const char *pat,
			    uint8_t family, const union flow_addr *a,
			    const struct filter_ctx *ctx)
{
	char buf[256], *dot;
	size_t len;

	if (!ctx->host_name(family, a->b, buf, sizeof(buf)))
		return false;
	buf[sizeof(buf) - 1] = '\0';
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
	if (!len)
		return false;
	if (filter_glob(pat, buf))
		return true;
	if (!(n->flags & FNF_LABEL))
		return false;
	dot = strchr(buf, '.');
	if (!dot)
		return false;
	*dot = '\0';
	return filter_glob(pat, buf);
}

static bool filter_match_name(const struct filter *f, const struct fnode *n,
			      const struct flow_rec *r,
			      const struct filter_ctx *ctx)
{
	const char *pat = f->strs + n->u.str;
	bool repl;

	if (!ctx || !ctx->host_name)
		return false;
	if ((n->flags & FNF_OSRC) &&
	    filter_name_one(n, pat, r->family, &r->orig.src, ctx))
		return true;
	if ((n->flags & FNF_ODST) &&
	    filter_name_one(n, pat, r->family, &r->orig.dst, ctx))
		return true;
	repl = (n->flags & (FNF_RSRC | FNF_RDST)) && filter_have_repl(r);
	if (!repl)
		return false;
	/* Ask only for the addresses NAT changed: the others were tried. */
	if ((n->flags & FNF_RSRC) &&
	    !filter_addr_eq(r->family, &r->repl.src, &r->orig.dst) &&
	    !filter_addr_eq(r->family, &r->repl.src, &r->orig.src) &&
	    filter_name_one(n, pat, r->family, &r->repl.src, ctx))
		return true;
	return (n->flags & FNF_RDST) &&
	       !filter_addr_eq(r->family, &r->repl.dst, &r->orig.src) &&
	       !filter_addr_eq(r->family, &r->repl.dst, &r->orig.dst) &&
	       filter_name_one(n, pat, r->family, &r->repl.dst, ctx);
}

/* A name, or for a pattern without a dot its first label too. */
static bool filter_glob_label(const struct fnode *n, const char *pat,
			      char *name)
{
	char *dot;

	if (!name[0])
		return false;
	if (filter_glob(pat, name))
		return true;
	if (!(n->flags & FNF_LABEL) || !(dot = strchr(name, '.')))
		return false;
	*dot = '\0';
	return filter_glob(pat, name);
}

static bool filter_match_device(const struct filter *f,
				const struct fnode *n,
				const struct flow_row *row,
				const struct filter_ctx *ctx)
{
	const char *pat;
	struct lan_device d;
	char buf[256];
	uint8_t mac[sizeof(n->u.num)];

	if (!ctx || !ctx->device || !ctx->device(row, &d))
		return false;
	switch (n->kind) {
	case FN_DEV_ADDR:
		return d.family == n->u.addr.family &&
		       filter_addr_in(n, &d.addr);
	case FN_DEV_MAC:
		memcpy(mac, &n->u.num, sizeof(mac));
		return d.mac_len == n->flags && !memcmp(d.mac, mac, n->flags);
	}
	/* Only a name pattern has a string: see filter_geo_match. */
	pat = f->strs + n->u.str;
	snprintf(buf, sizeof(buf), "%s", d.name);
	if (filter_glob_label(n, pat, buf))
		return true;
	if (ctx->host_name && ctx->host_name(d.family, d.addr.b, buf,
					     sizeof(buf))) {
		buf[sizeof(buf) - 1] = '\0';
		if (filter_glob_label(n, pat, buf))
			return true;
	}
	if (d.mac_len && filter_glob(pat, lan_fmt_mac(buf, sizeof(buf), d.mac,
						      d.mac_len)))
		return true;
	return filter_glob(pat, util_fmt_addr(buf, sizeof(buf), d.family,
					      d.addr.b));
}

static int filter_port_index(uint8_t l4proto)
{
	switch (l4proto) {
	case IPPROTO_TCP:
		return 0;
	case IPPROTO_UDP:
		return 1;
	case IPPROTO_UDPLITE:
		return 2;
	case IPPROTO_SCTP:
		return 3;
	case IPPROTO_DCCP:
		return 4;
	}
	return -1;
}

static bool filter_match_port(const struct fnode *n, const struct flow_rec *r)
{
	uint16_t lo = n->u.port.lo, hi = n->u.port.hi;

	/* GRE's keys travel where the ports would (CTA_PROTO_*_PORT). */
	if (n->flags & FNF_KEY ? r->l4proto != IPPROTO_GRE :
	    filter_port_index(r->l4proto) < 0)
		return false;
	if ((n->flags & FNF_SPORT) && r->orig.sport >= lo &&
	    r->orig.sport <= hi)
		return true;
	return (n->flags & FNF_DPORT) && r->orig.dport >= lo &&
	       r->orig.dport <= hi;
}

static bool filter_match_service(const struct fnode *n,
				 const struct flow_rec *r)
{
	int i = filter_port_index(r->l4proto);
	int32_t port;

	if (i < 0)
		return false;
	port = n->u.svc.port[i];
	if (port < 0)
		return false;
	if ((n->flags & FNF_SPORT) && r->orig.sport == port)
		return true;
	return (n->flags & FNF_DPORT) && r->orig.dport == port;
}

static bool filter_match_state(const struct fnode *n, const struct flow_rec *r)
{
	uint32_t mask;

	if (!(r->have & FLOW_HAVE_STATE) || r->state >= 32)
		return false;
	switch (r->l4proto) {
	case IPPROTO_TCP:
		mask = n->u.state.tcp;
		break;
	case IPPROTO_SCTP:
		mask = n->u.state.sctp;
		break;
	case IPPROTO_DCCP:
		mask = n->u.state.dccp;
		break;
	default:
		return false;
	}
	return mask & (1u << r->state);
}

static bool filter_cmp(uint8_t op, double have, double want)
{
	switch (op) {
	case CMP_LT:
		return have < want;
	case CMP_LE:
		return have <= want;
	case CMP_EQ:
		return have == want;
	case CMP_NE:
		return have != want;
	case CMP_GE:
		return have >= want;
	case CMP_GT:
		return have > want;
	}
	return false;
}

static bool filter_is_nat(const struct fnode *n, const struct flow_rec *r)
{
	bool repl = filter_have_repl(r);

	if (n->flags & FNF_SNAT) {
		if (r->status & IPS_SRC_NAT)
			return true;
		/* The reply goes back to the original source unless SNAT. */
		if (repl && (r->repl.dport != r->orig.sport ||
			     !filter_addr_eq(r->family, &r->repl.dst,
					     &r->orig.src)))
			return true;
	}
	if (n->flags & FNF_DNAT) {
		if (r->status & IPS_DST_NAT)
			return true;
		if (repl && (r->repl.sport != r->orig.dport ||
			     !filter_addr_eq(r->family, &r->repl.src,
					     &r->orig.dst)))
			return true;
	}
	return false;
}

static bool filter_geo_match(const struct filter *f, const struct fnode *n,
			     const struct geo_info *g)
{
	const char *pat;

	if (!g)
		return false;
	/* u.num, not a string: f->strs may be NULL (no string terms). */
	if (n->kind == FN_ASN)
		return g->asn && g->asn == n->u.num;
	pat = f->strs + n->u.str;
	switch (n->kind) {
	case FN_COUNTRY:
		if ((n->flags & FNF_CC) &&
		    filter_lower((unsigned char)g->cc[0]) == pat[0] &&
		    filter_lower((unsigned char)g->cc[1]) == pat[1] &&
		    g->cc[2] == '\0')
			return true;
		return filter_glob_opt(pat, g->country);
	case FN_CITY:
		return filter_glob_opt(pat, g->city);
	case FN_ORG:
		return filter_glob_opt(pat, g->as_org);
	}
	return false;
}

static bool filter_eval(const struct filter *f, uint32_t i,
			const struct flow_row *row,
			const struct filter_ctx *ctx)
{
	const struct fnode *n = &f->nodes[i];
	const struct flow_rec *r = &row->rec;
	const uint32_t *k;
	uint32_t j;
	char buf[64];
	const char *name;

	switch (n->kind) {
	case FN_TRUE:
		return true;
	case FN_AND:
		k = f->kids + n->u.list.first;
		for (j = 0; j < n->u.list.count; j++)
			if (!filter_eval(f, k[j], row, ctx))
				return false;
		return true;
	case FN_OR:
		k = f->kids + n->u.list.first;
		for (j = 0; j < n->u.list.count; j++)
			if (filter_eval(f, k[j], row, ctx))
				return true;
		return false;
	case FN_NOT:
		return !filter_eval(f, n->u.list.first, row, ctx);
	case FN_ADDR:
		return filter_match_addr(n, r);
	case FN_NAME:
		return filter_match_name(f, n, r, ctx);
	case FN_PORT:
		return filter_match_port(n, r);
	case FN_SERVICE:
		return filter_match_service(n, r);
	case FN_PROTO:
		return r->l4proto == n->u.num;
	case FN_FAMILY:
		return r->family == n->u.num;
	case FN_COMM:
		return row->owner.pid > 0 &&
		       filter_glob_opt(f->strs + n->u.str, row->owner.comm);
	case FN_PID:
		return row->owner.pid > 0 &&
		       (uint64_t)row->owner.pid == n->u.num;
	case FN_UID:
		return row->owner.pid > 0 && row->owner.uid == n->u.num;
	case FN_USER:
		if (row->owner.pid <= 0 || !ctx || !ctx->user_name)
			return false;
		name = ctx->user_name(row->owner.uid, buf, sizeof(buf));
		return filter_glob_opt(f->strs + n->u.str, name);
	case FN_COUNTRY:
	case FN_CITY:
	case FN_ORG:
	case FN_ASN:
		return filter_geo_match(f, n, row->geo_src) ||
		       filter_geo_match(f, n, row->geo_dst);
	case FN_STATE:
		return filter_match_state(n, r);
	case FN_STATUS:
		return (r->status & n->u.status.mask) == n->u.status.want;
	case FN_BYTES:
		return (r->have & FLOW_HAVE_COUNTERS) &&
		       filter_cmp(n->u.cmp.op,
				  (double)r->orig_bytes + (double)r->repl_bytes,
				  n->u.cmp.val);
	case FN_PACKETS:
		return (r->have & FLOW_HAVE_COUNTERS) &&
		       filter_cmp(n->u.cmp.op,
				  (double)r->orig_pkts + (double)r->repl_pkts,
				  n->u.cmp.val);
	case FN_RATE:
		return (r->have & FLOW_HAVE_COUNTERS) &&
		       filter_cmp(n->u.cmp.op, row->rate_orig + row->rate_repl,
				  n->u.cmp.val);
	case FN_MARK:
		return (r->mark & n->u.mark.mask) == n->u.mark.val;
	case FN_ZONE:
		return r->zone == n->u.num;
	case FN_NAT:
		return filter_is_nat(n, r);
	case FN_DEV_ADDR:
	case FN_DEV_MAC:
	case FN_DEV_NAME:
		return filter_match_device(f, n, row, ctx);
	}
	return false;
}

bool filter_match(const struct filter *f, const struct flow_row *row,
		  const struct filter_ctx *ctx)
{
	if (!f)
		return true;
	return filter_eval(f, f->root, row, ctx);
}

bool filter_uses_rate(const struct filter *f)
{
	uint32_t i;

	for (i = 0; f && i < f->n_nodes; i++)
		if (f->nodes[i].kind == FN_RATE)
			return true;
	return false;
}

bool filter_names_proto(const struct filter *f)
{
	uint32_t i;

	for (i = 0; f && i < f->n_nodes; i++)
		if (f->nodes[i].kind == FN_PROTO ||
		    (f->nodes[i].kind == FN_PORT &&
		     (f->nodes[i].flags & FNF_KEY)))
			return true;
	return false;
}
