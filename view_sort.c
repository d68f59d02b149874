/* view_sort: the order of the Flows view and of the outputs.
 *
 * Each call walks the table once under rcu_read_lock() and reads of each
 * flow only what the choice and the sort key need (flow_snapshot_part:
 * two of its three cache lines, mostly).  For a page near the top (the
 * usual case) a heap keeps the best items up to the page's end as the
 * walk goes, O(n log k), and nothing else is kept: 262,144 flows need no
 * 10 MB vector.  Only a page far down, or a walk over everything, keeps
 * a small (flow, sort key) item per matching flow and sorts them all.
 * Rows are copied out before the read lock is dropped, so callers never
 * hold pointers into the table.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <urcu.h>

#include "geoip.h"
#include "util.h"
#include "view.h"

/* ref: the flow (a struct flow *), or the index of an outside row. */
struct item {
	uint64_t k1, k2, k3, k4;
	uintptr_t ref;
};

/* The item vector is reused between calls of one thread. */
static __thread struct item *items;
static __thread size_t items_cap;
/* Pages ending within this many items are found with a heap. */
#define TOP_MAX 4096
static __thread struct item *heap;

/* --- sort keys ---------------------------------------------------------- */

/* An address as three keys: family (IPv4 first), then its 16 bytes. */
static void addr_key(struct item *it, uint8_t family,
		     const union flow_addr *a)
{
	uint64_t hi = 0, lo = 0;

	for (int i = 0; i < 8; i++) {
		hi = hi << 8 | a->b[i];
		lo = lo << 8 | a->b[8 + i];
	}
	it->k1 = family == AF_INET ? 4 : 6;
	it->k2 = hi;
	it->k3 = lo;
}

static uint64_t str_key(const char *s)
{
	uint64_t k = 0;
	int i;

	/* The first 8 bytes, case folded: enough to order names. */
	for (i = 0; i < 8 && s && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		k = k << 8 | (c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	return k << (8 * (8 - i));
}

/* A row from the table has its start (flow_row.start); one from a
 * snapshot, the kernel's timestamp or when it was first seen. */
static uint64_t duration_ns(const struct flow_row *row, uint64_t now_mono,
			    uint64_t now_real)
{
	if (row->start)
		return row->start < now_real ? now_real - row->start : 0;
	if ((row->rec.have & FLOW_HAVE_TSTAMP) && row->rec.ts_start &&
	    row->rec.ts_start < now_real)
		return now_real - row->rec.ts_start;
	return now_mono > row->first_seen ? now_mono - row->first_seen : 0;
}

/* Newest first: the flow's start (the kernel's timestamp, else when we
 * first saw it) on the wall clock, inverted, so the order is the same
 * for flows with and without a timestamp. */
static uint64_t newest_key(const struct flow_row *row, uint64_t now_mono,
			   uint64_t now_real)
{
	return ~(now_real - duration_ns(row, now_mono, now_real));
}

/* A key that never changes while the flow lives: its conntrack zone and
 * id (unique in a namespace), the same in every output. */
static uint64_t fixed_key(const struct flow_row *row)
{
	return (uint64_t)row->rec.zone << 32 | row->rec.id;
}

static void make_key(struct item *it, const struct flow_row *row,
		     const struct view_opts *o, uint64_t now_mono,
		     uint64_t now_real)
{
	const struct flow_rec *r = &row->rec;
	double rate = view_rate(o, row, false) + view_rate(o, row, true);
	enum view_sort sort = o->sort;
	const struct geo_info *g;
	uint64_t newest = newest_key(row, now_mono, now_real);

	/* Ascending (k1, k2, k3, k4) is the natural order of each key:
	 * busiest, biggest, longest first; names and numbers A to Z; ties
	 * go to the newest flow, then to a fixed key, so the order is total
	 * and a refresh does not shuffle equal flows. */
	it->k2 = newest;
	it->k3 = fixed_key(row);
	it->k4 = 0;
	switch (sort) {
	case SORT_RATE:
		/* Unknown rates (NaN: a snapshot that did not wait) tie. */
		it->k1 = rate > 0 ? ~(uint64_t)(rate * 16.0) : ~0ull;
		break;
	case SORT_BYTES:
		it->k1 = ~(r->orig_bytes + r->repl_bytes);
		break;
	case SORT_PACKETS:
		it->k1 = ~(r->orig_pkts + r->repl_pkts);
		break;
	case SORT_DURATION:
		it->k1 = ~duration_ns(row, now_mono, now_real);
		break;
	case SORT_PROCESS:
		it->k1 = row->owner.pid > 0 ? str_key(row->owner.comm) :
			 UINT64_MAX;
		it->k2 = (uint32_t)row->owner.pid;
		it->k3 = newest;
		it->k4 = fixed_key(row);
		break;
	case SORT_PID:
		it->k1 = row->owner.pid > 0 ? (uint64_t)row->owner.pid :
			 UINT64_MAX;
		break;
	case SORT_USER:
		it->k1 = row->owner.pid > 0 ? row->owner.uid : UINT64_MAX;
		break;
	case SORT_SRC:
		addr_key(it, r->family, &r->orig.src);
		it->k4 = r->orig.sport;
		break;
	case SORT_DST:
		addr_key(it, r->family, &r->orig.dst);
		it->k4 = r->orig.dport;
		break;
	case SORT_PORT:
		it->k1 = r->orig.dport;
		it->k2 = r->orig.sport;
		it->k3 = newest;
		it->k4 = fixed_key(row);
		break;
	case SORT_PROTO:
		it->k1 = str_key(view_proto_name(r->l4proto, r->family));
		break;
	case SORT_STATE:
		/* By the state shown (UDP's comes from status bits), in
		 * each protocol's own order. */
		it->k1 = ((uint64_t)r->l4proto << 32) | view_state_rank(r);
		break;
	case SORT_COUNTRY:
		g = view_remote_geo(row);
		it->k1 = g && g->cc[0] ? str_key(g->cc) : UINT64_MAX;
		it->k2 = g ? str_key(g->city) : UINT64_MAX;
		it->k3 = newest;
		it->k4 = fixed_key(row);
		break;
	case SORT_NONE:
	case SORT__COUNT:
		it->k1 = 0;
		it->k2 = 0;
		it->k3 = 0;
		break;
	}
}

static inline int item_cmp(const struct item *a, const struct item *b,
			   bool rev)
{
	int c;

	if (a->k1 != b->k1)
		c = a->k1 < b->k1 ? -1 : 1;
	else if (a->k2 != b->k2)
		c = a->k2 < b->k2 ? -1 : 1;
	else if (a->k3 != b->k3)
		c = a->k3 < b->k3 ? -1 : 1;
	else if (a->k4 != b->k4)
		c = a->k4 < b->k4 ? -1 : 1;
	else if (a->ref != b->ref)
		c = a->ref < b->ref ? -1 : 1;
	else
		c = 0;
	return rev ? -c : c;
}

static int cmp_fwd(const void *a, const void *b)
{
	return item_cmp(a, b, false);
}

static int cmp_rev(const void *a, const void *b)
{
	return item_cmp(a, b, true);
}

static void swap_items(struct item *a, struct item *b)
{
	struct item t = *a;

	*a = *b;
	*b = t;
}

/* Add it to the best `keep` items in a max-heap of *len (the worst kept
 * on top), O(log keep) whatever the input order (a quickselect can go
 * quadratic on ordered runs of equal keys). */
static void heap_add(struct item *h, size_t *len, size_t keep,
		     const struct item *it, bool rev)
{
	size_t c, p;

	if (*len < keep) {
		/* sift up */
		h[*len] = *it;
		for (c = (*len)++; c > 0; c = p) {
			p = (c - 1) / 2;
			if (item_cmp(&h[p], &h[c], rev) >= 0)
				break;
			swap_items(&h[p], &h[c]);
		}
	} else if (item_cmp(it, &h[0], rev) < 0) {
		/* replace the worst kept, sift down */
		h[0] = *it;
		for (p = 0; (c = 2 * p + 1) < *len; p = c) {
			if (c + 1 < *len && item_cmp(&h[c + 1], &h[c], rev) > 0)
				c++;
			if (item_cmp(&h[p], &h[c], rev) >= 0)
				break;
			swap_items(&h[p], &h[c]);
		}
	}
}

static int grow_items(size_t need)
{
	struct item *n;
	size_t cap = items_cap ? items_cap : 1024;

	while (cap < need)
		cap *= 2;
	if (cap == items_cap)
		return 0;
	n = realloc(items, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	items = n;
	items_cap = cap;
	return 0;
}

/* What of a flow the choice and the key read (the page's rows are copied
 * whole). */
static unsigned parts_for(const struct view_opts *o)
{
	unsigned parts = FLOW_ROW_BASE;

	if (o->filter)
		return FLOW_ROW_ALL;	/* a term may read anything */
	if (o->active_only || o->sort == SORT_RATE)
		parts |= FLOW_ROW_RATES;
	switch (o->sort) {
	case SORT_PROCESS:
	case SORT_PID:
	case SORT_USER:
	case SORT_COUNTRY:
		parts |= FLOW_ROW_REST;
		break;
	default:
		break;
	}
	return parts;
}

struct collect_ctx {
	const struct view_opts *o;
	unsigned parts;
	size_t n, closed;
	size_t keep;		/* > 0: only the first keep in order, in the
				 * heap (in walk order when unsorted) */
	size_t len;		/* items kept: in the heap, or in items */
	uint64_t now_mono, now_real;
	bool count_only;	/* no page: only n and closed */
	bool failed;
};

static int collect_cb(struct flow *f, void *arg)
{
	struct collect_ctx *c = arg;
	struct flow_row row;
	struct item it;

	flow_snapshot_part(f, &row, c->parts);
	if (!view_match(c->o, &row))
		return 0;
	c->n++;
	if (row.closed_at)
		c->closed++;
	if (c->count_only)
		return 0;
	if (c->keep && c->o->sort == SORT_NONE) {
		if (c->len < c->keep)
			heap[c->len++].ref = (uintptr_t)f;
		return 0;
	}
	it.ref = (uintptr_t)f;
	make_key(&it, &row, c->o, c->now_mono, c->now_real);
	if (c->keep) {
		heap_add(heap, &c->len, c->keep, &it, c->o->reverse);
		return 0;
	}
	if (c->len >= items_cap && grow_items(c->len + 1)) {
		c->failed = true;
		return 1;
	}
	items[c->len++] = it;
	return 0;
}

size_t view_flows(struct flow_list *fl, const struct view_opts *o,
		  size_t first, size_t max, struct flow_row *rows,
		  size_t *n_rows, size_t *n_closed)
{
	struct collect_ctx c = { .o = o, .parts = parts_for(o),
				 .now_mono = util_now_mono(),
				 .now_real = util_now_real() };
	struct item *v;
	size_t end, i;
	bool rev = o->reverse;

	*n_rows = 0;
	if (n_closed)
		*n_closed = 0;
	if (!heap)
		heap = malloc(TOP_MAX * sizeof(*heap));
	if (!max)
		c.count_only = true;
	else if (heap && first + max <= TOP_MAX)
		c.keep = first + max;
	else if (grow_items(flow_list_count(fl) + 1))
		return 0;
	rcu_read_lock();
	flow_list_for_each(fl, collect_cb, &c);
	v = c.keep ? heap : items;
	if (first < c.len && max) {
		end = first + max < c.len ? first + max : c.len;
		if (o->sort != SORT_NONE)
			qsort(v, c.len, sizeof(*v), rev ? cmp_rev : cmp_fwd);
		for (i = first; i < end; i++)
			flow_snapshot((struct flow *)v[i].ref,
				      &rows[i - first]);
		*n_rows = end - first;
	}
	rcu_read_unlock();
	if (n_closed)
		*n_closed = c.closed;
	return c.n;
}

static void sort_all(const struct view_opts *o, size_t n)
{
	if (o->sort != SORT_NONE)
		qsort(items, n, sizeof(*items), o->reverse ? cmp_rev : cmp_fwd);
}

long view_each(struct flow_list *fl, const struct view_opts *o,
	       view_row_fn fn, void *arg)
{
	struct collect_ctx c = { .o = o, .parts = parts_for(o),
				 .now_mono = util_now_mono(),
				 .now_real = util_now_real() };
	struct flow_row row;
	size_t i;

	if (grow_items(flow_list_count(fl) + 1))
		return -ENOMEM;
	rcu_read_lock();
	flow_list_for_each(fl, collect_cb, &c);
	sort_all(o, c.len);
	for (i = 0; i < c.len && !c.failed; i++) {
		flow_snapshot((struct flow *)items[i].ref, &row);
		if (fn(&row, arg))
			break;
	}
	rcu_read_unlock();
	return c.failed ? -ENOMEM : (long)i;
}

long view_each_row(const struct view_opts *o, size_t n, view_get_fn get,
		   void *garg, view_row_fn fn, void *arg)
{
	uint64_t now_mono = util_now_mono(), now_real = util_now_real();
	struct flow_row row;
	size_t i, m = 0;

	if (grow_items(n + 1))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		get(i, &row, garg);
		if (!view_match(o, &row))
			continue;
		items[m].ref = i;
		make_key(&items[m++], &row, o, now_mono, now_real);
	}
	sort_all(o, m);
	for (i = 0; i < m; i++) {
		get(items[i].ref, &row, garg);
		if (fn(&row, arg))
			break;
	}
	return (long)i;
}

static const char *const sort_names[SORT__COUNT] = {
	[SORT_RATE] = "rate",
	[SORT_BYTES] = "bytes",
	[SORT_PACKETS] = "packets",
	[SORT_DURATION] = "duration",
	[SORT_PROCESS] = "process",
	[SORT_PID] = "pid",
	[SORT_SRC] = "src",
	[SORT_DST] = "dst",
	[SORT_PORT] = "port",
	[SORT_PROTO] = "proto",
	[SORT_STATE] = "state",
	[SORT_COUNTRY] = "country",
	[SORT_USER] = "user",
	[SORT_NONE] = "none",
};

const char *view_sort_name(enum view_sort s)
{
	return s < SORT__COUNT ? sort_names[s] : "?";
}

int view_sort_parse(const char *name)
{
	for (int i = 0; i < SORT__COUNT; i++)
		if (strcasecmp(name, sort_names[i]) == 0)
			return i;
	if (strcasecmp(name, "address") == 0 || strcasecmp(name, "addr") == 0)
		return SORT_DST;
	return -1;
}
