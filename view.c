/* view: which flows to show and how they read (the far end, the inside
 * host, state names), and the Processes, Remote and Devices groups;
 * view_sort.c puts the flows in order.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "filter.h"
#include "geoip.h"
#include "l4proto.h"
#include "util.h"
#include "view.h"


void view_opts_default(struct view_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ipv4 = true;
	o->ipv6 = true;
	o->protos = VIEW_TCP;
	o->sort = SORT_RATE;
	o->mode = VIEW_FLOWS;
}

unsigned view_proto_group(uint8_t l4proto)
{
	switch (l4proto) {
	case IPPROTO_TCP:
		return VIEW_TCP;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return VIEW_UDP;
	case IPPROTO_DCCP:
		return VIEW_DCCP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return VIEW_ICMP;
	case IPPROTO_SCTP:
		return VIEW_SCTP;
	}
	return VIEW_OTHER;
}

struct flow_scope *view_scope(const struct view_opts *o,
			      struct flow_scope *s)
{
	memset(s, 0, sizeof(*s));
	s->ipv4 = o->ipv4;
	s->ipv6 = o->ipv6;
	/* "Other" is every protocol but a few: no list to ask for. */
	s->all_protos = o->protos & VIEW_OTHER;
	for (unsigned p = 0; p < 256 && !s->all_protos; p++)
		if (view_proto_group((uint8_t)p) & o->protos)
			s->protos[p / 64] |= 1ull << (p % 64);
	return s;
}

static bool is_loopback(uint8_t family, const union flow_addr *a)
{
	static const uint8_t v6_lo[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET)
		return a->b[0] == 127;
	if (memcmp(a->b, v6_lo, 16) == 0)
		return true;
	return memcmp(a->b, v4_mapped, 12) == 0 && a->b[12] == 127;
}

/* What the original flowtop always hid: loopback and DNS. */
static bool is_hidden(const struct flow_rec *r)
{
	bool ports = l4proto_ids(r->l4proto) == L4_IDS_PORTS;

	if (is_loopback(r->family, &r->orig.src) ||
	    is_loopback(r->family, &r->orig.dst))
		return true;
	return ports && (r->orig.dport == 53 || r->orig.sport == 53);
}

double view_rate(const struct view_opts *o, const struct flow_row *row,
		 bool reply)
{
	switch (o->rate_window) {
	case VIEW_RATE_10S:
		return reply ? row->rate_repl_10 : row->rate_orig_10;
	case VIEW_RATE_40S:
		return reply ? row->rate_repl_40 : row->rate_orig_40;
	}
	return reply ? row->rate_repl : row->rate_orig;
}

const char *view_rate_window_name(unsigned w)
{
	return w == VIEW_RATE_10S ? "10s" : w == VIEW_RATE_40S ? "40s" : "1s";
}

int view_rate_window_parse(const char *s)
{
	if (!strcmp(s, "1") || !strcmp(s, "1s"))
		return VIEW_RATE_NOW;
	if (!strcmp(s, "10") || !strcmp(s, "10s"))
		return VIEW_RATE_10S;
	if (!strcmp(s, "40") || !strcmp(s, "40s"))
		return VIEW_RATE_40S;
	return -1;
}

bool view_shown(const struct view_opts *o, const struct flow_rec *r)
{
	if (r->family == AF_INET ? !o->ipv4 : !o->ipv6)
		return false;
	if (!(view_proto_group(r->l4proto) & o->protos))
		return false;
	return o->show_hidden || !is_hidden(r);
}

bool view_match(const struct view_opts *o, const struct flow_row *row)
{
	if (!view_shown(o, &row->rec))
		return false;
	if (o->hide_closed && row->closed_at)
		return false;
	/* An unknown rate (NaN) is not an active one. */
	if (o->active_only &&
	    !(view_rate(o, row, false) + view_rate(o, row, true) > 0))
		return false;
	if (o->filter && !filter_match(o->filter, row, o->fctx))
		return false;
	return true;
}

/* A flow that came to us, or forwarded to an inside host by a port
 * forward: the reply comes from another address (DNAT) but goes back to
 * the original source (no SNAT). */
static bool came_in(const struct flow_row *row)
{
	const struct flow_rec *r = &row->rec;
	size_t n = r->family == AF_INET6 ? 16 : 4;

	if (row->owner.local == FLOW_LOCAL_DST)
		return true;
	return row->owner.local == FLOW_LOCAL_NONE &&
	       memcmp(r->repl.src.b, r->orig.dst.b, n) &&
	       !memcmp(r->repl.dst.b, r->orig.src.b, n);
}

/* The far end of a flow: its source when it came in, else its
 * destination (outgoing, forwarded, or not known yet). */
const union flow_addr *view_remote_addr(const struct flow_row *row)
{
	return came_in(row) ? &row->rec.orig.src : &row->rec.orig.dst;
}

const struct geo_info *view_remote_geo(const struct flow_row *row)
{
	return came_in(row) ? row->geo_src : row->geo_dst;
}

/* The reply's source is the inside end after DNAT (where a port forward
 * leads, or the local address that answers). */
const union flow_addr *view_inside_addr(const struct flow_row *row)
{
	return came_in(row) ? &row->rec.repl.src : &row->rec.orig.src;
}

bool view_device(const struct flow_row *row, struct lan_device *d)
{
	const union flow_addr *a = view_inside_addr(row);

	if (!lan_find(row->rec.family, a->b, d)) {
		memset(d, 0, sizeof(*d));
		d->family = row->rec.family;
		d->addr = *a;
	}
	return row->owner.local != FLOW_LOCAL_SRC &&
	       row->owner.local != FLOW_LOCAL_DST;
}

/* --- groups: Processes, Remote and Devices views ------------------------- */

/* What flows are grouped by.  A device is its MAC when the lan table knows
 * it (all its addresses, IPv4 and IPv6, are one device), else its address;
 * this host's own flows are one group. */
#define GKEY_MAC	-2
#define GKEY_LOCAL	-3

struct gkey {
	uint8_t family;
	union flow_addr addr;
	int32_t pid;
	char name[24];
};

struct gslot {
	struct gkey key;
	bool used;
	struct view_group g;
	uint32_t dev;			/* devices view: its info + 1 */
};

/* Devices view: bytes and rate of each (device, remote) pair, to find each
 * device's busiest remote.  Grows as needed. */
struct pslot {
	uint32_t slot;		/* its device's gslot + 1, 0: none */
	uint8_t family;
	union flow_addr addr;
	const struct geo_info *geo;
	double rate;
	uint64_t bytes;
};

struct group_ctx {
	const struct view_opts *o;
	enum view_group_kind kind;
	struct gslot *slots;
	size_t cap, n;
	struct pslot *pairs;
	size_t pcap, pn;
	bool pairs_failed;
	/* Devices view: one info per group, apart from the slots (which
	 * are many and sparse). */
	struct view_device_info *devs;
	size_t ndevs, capdevs;
};

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t gkey_hash(const struct gkey *k)
{
	return fnv(k, sizeof(*k), 1469598103934665603ull);
}

static void group_key(const struct group_ctx *c, const struct flow_row *row,
		      const struct lan_device *d, bool other,
		      struct gkey *k)
{
	const struct geo_info *g = view_remote_geo(row);

	memset(k, 0, sizeof(*k));
	switch (c->kind) {
	case GROUP_PROCESS:
		k->pid = row->owner.pid;
		snprintf(k->name, sizeof(k->name), "%s",
			 row->owner.comm ? row->owner.comm : "");
		break;
	case GROUP_HOST:
		k->family = row->rec.family;
		k->addr = *view_remote_addr(row);
		break;
	case GROUP_COUNTRY:
		snprintf(k->name, sizeof(k->name), "%s",
			 g && g->cc[0] ? g->cc : "");
		break;
	case GROUP_DEVICE:
		if (!other) {
			k->pid = GKEY_LOCAL;
		} else if (d->mac_len) {
			k->pid = GKEY_MAC;
			memcpy(k->name, d->mac, d->mac_len);
		} else {
			k->family = d->family;
			k->addr = d->addr;
		}
		break;
	}
}

static struct gslot *group_slot(struct group_ctx *c, const struct gkey *k)
{
	size_t mask = c->cap - 1, i = gkey_hash(k) & mask;

	while (c->slots[i].used) {
		if (memcmp(&c->slots[i].key, k, sizeof(*k)) == 0)
			return &c->slots[i];
		i = (i + 1) & mask;
	}
	c->slots[i].used = true;
	c->slots[i].key = *k;
	c->n++;
	return &c->slots[i];
}

static void group_init(struct view_group *g, const struct group_ctx *c,
		       const struct flow_row *row)
{
	const struct geo_info *geo = view_remote_geo(row);

	memset(g, 0, sizeof(*g));
	switch (c->kind) {
	case GROUP_PROCESS:
		snprintf(g->key, sizeof(g->key), "%s",
			 row->owner.comm ? row->owner.comm : "?");
		g->pid = row->owner.pid;
		g->uid = row->owner.uid;
		break;
	case GROUP_HOST:
		g->family = row->rec.family;
		g->addr = *view_remote_addr(row);
		util_fmt_addr(g->key, sizeof(g->key), g->family, g->addr.b);
		g->geo = geo;
		if (geo)
			snprintf(g->sub, sizeof(g->sub), "%s", geo->cc);
		break;
	case GROUP_COUNTRY:
		g->geo = geo;
		if (geo && geo->cc[0]) {
			snprintf(g->key, sizeof(g->key), "%s",
				 geo->country[0] ? geo->country : geo->cc);
			snprintf(g->sub, sizeof(g->sub), "%s", geo->cc);
		} else {
			snprintf(g->key, sizeof(g->key), "(unknown)");
		}
		break;
	case GROUP_DEVICE:
		break;	/* device_add() fills it */
	}
}

/* IPv4 first, then the lowest: the address a device is shown by. */
static bool addr_before(uint8_t fa, const union flow_addr *a, uint8_t fb,
			const union flow_addr *b)
{
	if (fa != fb)
		return fa == AF_INET;
	return memcmp(a->b, b->b, fa == AF_INET6 ? 16 : 4) < 0;
}

static struct pslot *pair_slot(struct group_ctx *c, uint32_t slot,
			       uint8_t family, const union flow_addr *a)
{
	size_t mask = c->pcap - 1, i;
	uint64_t h = fnv(a->b, sizeof(a->b), 1469598103934665603ull ^ slot);

	for (i = (h ^ family) & mask;; i = (i + 1) & mask) {
		struct pslot *p = &c->pairs[i];

		if (!p->slot) {
			p->slot = slot;
			p->family = family;
			p->addr = *a;
			c->pn++;
			return p;
		}
		if (p->slot == slot && p->family == family &&
		    !memcmp(p->addr.b, a->b, sizeof(a->b)))
			return p;
	}
}

static bool pairs_grow(struct group_ctx *c)
{
	struct pslot *old = c->pairs, *p;
	size_t ocap = c->pcap, i;

	c->pcap = ocap ? ocap * 2 : 256;
	c->pairs = calloc(c->pcap, sizeof(*c->pairs));
	if (!c->pairs) {
		c->pairs = old;
		c->pcap = ocap;
		return false;
	}
	c->pn = 0;
	for (i = 0; i < ocap; i++) {
		if (!old[i].slot)
			continue;
		p = pair_slot(c, old[i].slot, old[i].family, &old[i].addr);
		*p = old[i];
	}
	free(old);
	return true;
}

/* One flow into its device's line: name, MAC, lowest address, remotes. */
static void device_add(struct group_ctx *c, struct gslot *s,
		       const struct flow_row *row, const struct lan_device *d,
		       bool other)
{
	struct view_device_info *v, *nd;
	struct pslot *p;

	if (!s->dev) {
		if (c->ndevs == c->capdevs) {
			c->capdevs = c->capdevs ? 2 * c->capdevs : 64;
			nd = realloc(c->devs, c->capdevs * sizeof(*nd));
			if (!nd) {
				c->capdevs = c->ndevs;
				return;	/* only its numbers, then */
			}
			c->devs = nd;
		}
		memset(&c->devs[c->ndevs], 0, sizeof(*c->devs));
		s->dev = (uint32_t)++c->ndevs;
	}
	v = &c->devs[s->dev - 1];
	if (!s->g.flows) {
		s->g.family = d->family;
		s->g.addr = d->addr;
		v->local = !other;
		v->mac_len = other ? d->mac_len : 0;
		memcpy(v->mac, d->mac, sizeof(v->mac));
		v->addrs = 1;
		/* The group's identity, as its key says. */
		if (!other)
			snprintf(s->g.key, sizeof(s->g.key), "(this host)");
		else if (v->mac_len)
			lan_fmt_mac(s->g.key, sizeof(s->g.key), v->mac,
				    v->mac_len);
		else
			util_fmt_addr(s->g.key, sizeof(s->g.key), d->family,
				      d->addr.b);
	} else if (memcmp(s->g.addr.b, d->addr.b, sizeof(d->addr.b)) ||
		   s->g.family != d->family) {
		/* A count of distinct addresses would need a set; "more
		 * than one" is what the screen says. */
		v->addrs = 2;
		if (addr_before(d->family, &d->addr, s->g.family, &s->g.addr)) {
			s->g.family = d->family;
			s->g.addr = d->addr;
		}
	}
	if (other && !v->name[0] && d->name[0])
		snprintf(v->name, sizeof(v->name), "%s", d->name);
	if (c->pairs_failed || (c->pn * 2 >= c->pcap && !pairs_grow(c))) {
		c->pairs_failed = true;
		return;
	}
	p = pair_slot(c, (uint32_t)(s - c->slots) + 1, row->rec.family,
		      view_remote_addr(row));
	if (!p->geo)
		p->geo = view_remote_geo(row);
	p->rate += view_rate(c->o, row, false) + view_rate(c->o, row, true);
	p->bytes += row->rec.orig_bytes + row->rec.repl_bytes;
}

/* Each device's busiest remote: by rate, then bytes. */
static void device_tops(struct group_ctx *c)
{
	struct view_device_info *v;
	struct pslot *p;

	for (size_t i = 0; i < c->pcap; i++) {
		p = &c->pairs[i];
		if (!p->slot)
			continue;
		v = &c->devs[c->slots[p->slot - 1].dev - 1];
		if (v->top_family && (p->rate < v->top_rate ||
				      (p->rate == v->top_rate &&
				       p->bytes <= v->top_bytes)))
			continue;
		v->top_family = p->family;
		v->top_addr = p->addr;
		v->top_geo = p->geo;
		v->top_rate = p->rate;
		v->top_bytes = p->bytes;
	}
}

static int group_cb(struct flow *f, void *arg)
{
	struct group_ctx *c = arg;
	struct flow_row row;
	struct lan_device d;
	struct gslot *s;
	struct gkey k;
	bool in = false, other = false;

	flow_snapshot(f, &row);
	if (!view_match(c->o, &row))
		return 0;
	if (c->kind == GROUP_PROCESS && row.owner.pid <= 0)
		return 0;
	if (c->n * 2 >= c->cap)
		return 1;	/* cannot happen: cap > 2 * flows */
	if (c->kind == GROUP_DEVICE)
		other = view_device(&row, &d);
	group_key(c, &row, &d, other, &k);
	s = group_slot(c, &k);
	if (!s->g.flows)
		group_init(&s->g, c, &row);
	if (c->kind == GROUP_DEVICE)
		device_add(c, s, &row, &d, other);
	in = came_in(&row);
	s->g.flows++;
	s->g.bytes_out += in ? row.rec.repl_bytes : row.rec.orig_bytes;
	s->g.bytes_in += in ? row.rec.orig_bytes : row.rec.repl_bytes;
	s->g.rate_out += view_rate(c->o, &row, in);
	s->g.rate_in += view_rate(c->o, &row, !in);
	return 0;
}

/* Sorts indexes of slots: by total rate, bytes, flows, then name. */
static __thread const struct gslot *sort_slots;

static int group_cmp(const void *pa, const void *pb)
{
	const struct view_group *a = &sort_slots[*(const size_t *)pa].g;
	const struct view_group *b = &sort_slots[*(const size_t *)pb].g;
	double ra = a->rate_out + a->rate_in, rb = b->rate_out + b->rate_in;
	uint64_t ba = a->bytes_out + a->bytes_in;
	uint64_t bb = b->bytes_out + b->bytes_in;

	if (ra != rb)
		return ra > rb ? -1 : 1;
	if (ba != bb)
		return ba > bb ? -1 : 1;
	if (a->flows != b->flows)
		return a->flows > b->flows ? -1 : 1;
	return strcmp(a->key, b->key);
}

static size_t groups_of(struct flow_list *fl, const struct view_opts *o,
			enum view_group_kind kind, size_t first, size_t max,
			struct view_group *groups,
			struct view_device_info *devs, size_t *n_groups)
{
	struct group_ctx c = { .o = o, .kind = kind };
	size_t n = 0, i, *order;

	*n_groups = 0;
	c.cap = 64;
	while (c.cap < 2 * (flow_list_count(fl) + 64))
		c.cap *= 2;
	c.slots = calloc(c.cap, sizeof(*c.slots));
	if (!c.slots)
		return 0;
	rcu_read_lock();
	flow_list_for_each(fl, group_cb, &c);
	rcu_read_unlock();
	if (kind == GROUP_DEVICE)
		device_tops(&c);
	free(c.pairs);

	order = malloc((c.n + 1) * sizeof(*order));
	if (order) {
		for (i = 0; i < c.cap; i++)
			if (c.slots[i].used)
				order[n++] = i;
		/* One screen sorts at a time: the table is this thread's. */
		sort_slots = c.slots;
		qsort(order, n, sizeof(*order), group_cmp);
		for (i = first; i < n && i - first < max; i++) {
			groups[i - first] = c.slots[order[i]].g;
			if (devs && c.slots[order[i]].dev) {
				devs[i - first] =
					c.devs[c.slots[order[i]].dev - 1];
				groups[i - first].dev = &devs[i - first];
			}
		}
		*n_groups = i > first ? i - first : 0;
		free(order);
	}
	free(c.slots);
	free(c.devs);
	return n;
}

size_t view_groups(struct flow_list *fl, const struct view_opts *o,
		   enum view_group_kind kind, size_t first, size_t max,
		   struct view_group *groups, size_t *n_groups)
{
	return groups_of(fl, o, kind, first, max, groups, NULL, n_groups);
}

size_t view_devices(struct flow_list *fl, const struct view_opts *o,
		    size_t first, size_t max, struct view_group *groups,
		    struct view_device_info *devs, size_t *n_groups)
{
	return groups_of(fl, o, GROUP_DEVICE, first, max, groups, devs,
			 n_groups);
}

/* --- names -------------------------------------------------------------- */

const char *view_proto_name(uint8_t l4proto, uint8_t family)
{
	(void)family;
	return l4proto_name(l4proto);
}

static const char *icmp_name(uint8_t family, uint8_t type)
{
	if (family == AF_INET) {
		switch (type) {
		case 0: return "echo-reply";
		case 3: return "unreachable";
		case 5: return "redirect";
		case 8: return "echo-request";
		case 11: return "time-exceeded";
		case 13: return "timestamp";
		case 14: return "timestamp-reply";
		}
	} else {
		switch (type) {
		case 1: return "unreachable";
		case 2: return "too-big";
		case 3: return "time-exceeded";
		case 128: return "echo-request";
		case 129: return "echo-reply";
		case 135: return "neigh-solicit";
		case 136: return "neigh-advert";
		}
	}
	return NULL;
}

/* UDP and the rest have no state machine: say what was seen. */
static const char *const seen_states[] = { "UNREPLIED", "REPLIED",
					   "ASSURED" };

static unsigned seen_state(uint32_t status)
{
	if (status & IPS_ASSURED)
		return 2;
	return status & IPS_SEEN_REPLY ? 1 : 0;
}

uint32_t view_state_rank(const struct flow_rec *r)
{
	switch (r->l4proto) {
	case IPPROTO_TCP:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return r->state;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return (uint32_t)r->icmp_type << 8 | r->icmp_code;
	}
	return seen_state(r->status);
}

const char *view_state_name(const struct flow_rec *r)
{
	static __thread char buf[24];
	const char *n;

	switch (r->l4proto) {
	case IPPROTO_TCP:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return l4proto_state_name(r->l4proto, r->state);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		n = icmp_name(r->family, r->icmp_type);
		if (n)
			return n;
		snprintf(buf, sizeof(buf), "type %u/%u", r->icmp_type,
			 r->icmp_code);
		return buf;
	}
	return seen_states[seen_state(r->status)];
}
