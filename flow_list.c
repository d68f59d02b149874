/* flow_list: the table of conntrack flows.
 *
 * One writer (the collector thread) inserts, updates and removes; readers
 * (UI, batch output, enrichment) walk the table under rcu_read_lock().  The
 * table is a liburcu lock-free hash (cds_lfht) keyed by conntrack id and
 * original tuple, so an event or a dumped entry finds its flow in O(1).
 *
 * A published flow is never rewritten in place: its identity (tuples,
 * protocol, id) is written once before it is published, everything that
 * changes later (state, counters, rates, owner, geo) is a C11 atomic, and a
 * flow is freed only after a grace period (call_rcu).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>
#include <urcu/rculfhash.h>

#include "flow_list.h"

/* Rates over about 10 s and 40 s, as iftop shows next to the 2 s one. */
#define WINDOW_SHORT_NS	10000000000.0
#define WINDOW_LONG_NS	40000000000.0
/* Two dumps closer than this give no useful rate (e.g. a kicked dump). */
#define RATE_MIN_DT_NS	200000000ull

struct owner_box {
	struct flow_owner o;
	struct rcu_head rcu;
};

struct flow {
	struct cds_lfht_node node;
	struct rcu_head rcu;

	/* Identity: written once before the flow is published. */
	uint32_t id;
	uint16_t zone;
	uint8_t family, l4proto;
	struct flow_tuple orig, repl;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;
	uint64_t first_seen;

	/* Changed by the collector while readers look. */
	_Atomic uint32_t have, status, mark, timeout;
	_Atomic uint8_t state;
	_Atomic uint64_t orig_bytes, orig_pkts, repl_bytes, repl_pkts;
	_Atomic uint64_t ts_start;
	_Atomic uint64_t closed_at;
	/* float: 100k flows must fit in a small router's memory */
	_Atomic float rate_orig, rate_repl;
	_Atomic float rate_orig_10, rate_repl_10, rate_orig_40, rate_repl_40;

	/* Set by the enrichment thread. */
	_Atomic(struct owner_box *) owner;
	_Atomic(const struct geo_info *) geo_src;
	_Atomic(const struct geo_info *) geo_dst;
	_Atomic bool geo_done;

	/* Writer only: no reader looks at these. */
	uint32_t scan;
	uint64_t prev_t;		/* when the counters were stored */
};

struct flow_list {
	struct cds_lfht *ht;
	_Atomic size_t count;
	_Atomic uint64_t generation;	/* bumped on every change */
	uint32_t scan;
};

/* Shared answers for flows that are not local: never freed. */
static struct owner_box owner_none = { .o = { .pid = -1,
	.local = FLOW_LOCAL_NONE } };

static inline uint64_t mix64(uint64_t h)
{
	/* murmur3 finaliser: cheap and spreads all input bits */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static unsigned long flow_hash(const struct flow_rec *r)
{
	uint64_t h = ((uint64_t)r->id << 32) ^ ((uint64_t)r->zone << 16) ^
		     ((uint64_t)r->family << 8) ^ r->l4proto;
	const struct flow_tuple *t = &r->orig;

	for (int i = 0; i < 4; i++)
		h = mix64(h ^ (((uint64_t)t->src.w[i] << 32) | t->dst.w[i]));
	h = mix64(h ^ ((uint64_t)t->sport << 16) ^ t->dport ^
		  ((uint64_t)r->icmp_id << 32));
	return (unsigned long)h;
}

static bool same_identity(const struct flow *f, const struct flow_rec *r)
{
	return f->id == r->id && f->zone == r->zone &&
	       f->family == r->family && f->l4proto == r->l4proto &&
	       f->icmp_id == r->icmp_id && f->icmp_type == r->icmp_type &&
	       memcmp(&f->orig, &r->orig, sizeof(f->orig)) == 0;
}

static int match_rec(struct cds_lfht_node *node, const void *key)
{
	const struct flow *f = caa_container_of(node, struct flow, node);

	return same_identity(f, key);
}

int flow_list_create(struct flow_list **out)
{
	struct flow_list *fl = calloc(1, sizeof(*fl));

	if (!fl)
		return -ENOMEM;
	fl->ht = cds_lfht_new(1024, 1024, 0,
			      CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
			      NULL);
	if (!fl->ht) {
		free(fl);
		return -ENOMEM;
	}
	*out = fl;
	return 0;
}

static void owner_free(struct owner_box *b)
{
	if (b && b != &owner_none)
		free(b);
}

static void flow_free(struct flow *f)
{
	owner_free(atomic_load_explicit(&f->owner, memory_order_relaxed));
	free(f);
}

static void flow_free_rcu(struct rcu_head *head)
{
	flow_free(caa_container_of(head, struct flow, rcu));
}

static void owner_free_rcu(struct rcu_head *head)
{
	owner_free(caa_container_of(head, struct owner_box, rcu));
}

/* Called after every other thread that used the list has stopped. */
void flow_list_destroy(struct flow_list *fl)
{
	struct cds_lfht_iter iter;
	struct flow *f;

	if (!fl)
		return;
	rcu_read_lock();
	cds_lfht_for_each_entry(fl->ht, &iter, f, node) {
		if (cds_lfht_del(fl->ht, &f->node) == 0)
			call_rcu(&f->rcu, flow_free_rcu);
	}
	rcu_read_unlock();
	rcu_barrier();
	cds_lfht_destroy(fl->ht, NULL);
	free(fl);
}

static void store_rates(_Atomic float *now_r, _Atomic float *r10,
			_Atomic float *r40, double rate, double dt_ns)
{
	double a10 = dt_ns / WINDOW_SHORT_NS, a40 = dt_ns / WINDOW_LONG_NS;
	double o10 = atomic_load_explicit(r10, memory_order_relaxed);
	double o40 = atomic_load_explicit(r40, memory_order_relaxed);

	if (a10 > 1.0)
		a10 = 1.0;
	if (a40 > 1.0)
		a40 = 1.0;
	atomic_store_explicit(now_r, rate, memory_order_relaxed);
	atomic_store_explicit(r10, o10 + (rate - o10) * a10,
			      memory_order_relaxed);
	atomic_store_explicit(r40, o40 + (rate - o40) * a40,
			      memory_order_relaxed);
}

/* The previous counters are the stored ones: rates need no more state
 * than the time they were stored. */
static void update_counters(struct flow *f, const struct flow_rec *r,
			    uint64_t now)
{
	uint64_t ob = atomic_load_explicit(&f->orig_bytes, memory_order_relaxed);
	uint64_t rb = atomic_load_explicit(&f->repl_bytes, memory_order_relaxed);
	uint64_t dt = now - f->prev_t;
	double ro, rr;

	if (f->prev_t && (now <= f->prev_t || dt < RATE_MIN_DT_NS))
		return;	/* a kicked dump right after another: keep the old */
	if (f->prev_t) {
		/* Counters only grow; a smaller value means the identity was
		 * reused, so start over rather than show a huge rate. */
		ro = r->orig_bytes >= ob ?
		     (double)(r->orig_bytes - ob) * 1e9 / dt : 0;
		rr = r->repl_bytes >= rb ?
		     (double)(r->repl_bytes - rb) * 1e9 / dt : 0;
		store_rates(&f->rate_orig, &f->rate_orig_10, &f->rate_orig_40,
			    ro, dt);
		store_rates(&f->rate_repl, &f->rate_repl_10, &f->rate_repl_40,
			    rr, dt);
	}
	f->prev_t = now;
	atomic_store_explicit(&f->orig_bytes, r->orig_bytes,
			      memory_order_relaxed);
	atomic_store_explicit(&f->orig_pkts, r->orig_pkts,
			      memory_order_relaxed);
	atomic_store_explicit(&f->repl_bytes, r->repl_bytes,
			      memory_order_relaxed);
	atomic_store_explicit(&f->repl_pkts, r->repl_pkts,
			      memory_order_relaxed);
}

static void store_mutable(struct flow *f, const struct flow_rec *r,
			  uint64_t now)
{
	uint32_t have = atomic_load_explicit(&f->have, memory_order_relaxed);

	/* Events carry only what changed: keep what we had for the rest. */
	if (r->have & FLOW_HAVE_STATE)
		atomic_store_explicit(&f->state, r->state,
				      memory_order_relaxed);
	if (r->have & FLOW_HAVE_MARK)
		atomic_store_explicit(&f->mark, r->mark, memory_order_relaxed);
	if (r->have & FLOW_HAVE_TIMEOUT)
		atomic_store_explicit(&f->timeout, r->timeout,
				      memory_order_relaxed);
	if (r->have & FLOW_HAVE_TSTAMP)
		atomic_store_explicit(&f->ts_start, r->ts_start,
				      memory_order_relaxed);
	if (r->have & FLOW_HAVE_COUNTERS)
		update_counters(f, r, now);
	if (r->status)
		atomic_store_explicit(&f->status, r->status,
				      memory_order_relaxed);
	/* Labels are not kept per flow (memory); the details view asks the
	 * kernel for them. */
	atomic_store_explicit(&f->have, (have | r->have) & ~FLOW_HAVE_LABELS,
			      memory_order_relaxed);
}

static struct flow *lookup(struct flow_list *fl, const struct flow_rec *r)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;

	cds_lfht_lookup(fl->ht, flow_hash(r), match_rec, r, &iter);
	node = cds_lfht_iter_get_node(&iter);
	return node ? caa_container_of(node, struct flow, node) : NULL;
}

static struct flow *flow_new(const struct flow_rec *r, uint64_t now)
{
	struct flow *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	cds_lfht_node_init(&f->node);
	f->id = r->id;
	f->zone = r->zone;
	f->family = r->family;
	f->l4proto = r->l4proto;
	f->orig = r->orig;
	f->repl = r->repl;
	f->icmp_type = r->icmp_type;
	f->icmp_code = r->icmp_code;
	f->icmp_id = r->icmp_id;
	f->first_seen = now;
	return f;
}

/* Insert or refresh the flow rec describes.  Returns 1 if it is new, 0 if
 * it was known, -ENOMEM. */
int flow_list_update(struct flow_list *fl, const struct flow_rec *r,
		     uint64_t now)
{
	struct cds_lfht_node *ret;
	struct flow *f;
	int added = 0;

	rcu_read_lock();
	f = lookup(fl, r);
	if (!f) {
		f = flow_new(r, now);
		if (!f) {
			rcu_read_unlock();
			return -ENOMEM;
		}
		store_mutable(f, r, now);
		f->scan = fl->scan;
		/* The only writer, so add_unique cannot race; it is used so
		 * that a bug would show as a kept flow, not a duplicate. */
		ret = cds_lfht_add_unique(fl->ht, flow_hash(r), match_rec, r,
					  &f->node);
		if (ret != &f->node) {
			free(f);
			f = caa_container_of(ret, struct flow, node);
		} else {
			atomic_fetch_add(&fl->count, 1);
			added = 1;
		}
	}
	if (!added) {
		store_mutable(f, r, now);
		f->scan = fl->scan;
		if (atomic_load_explicit(&f->closed_at, memory_order_relaxed))
			atomic_store(&f->closed_at, 0);
	}
	rcu_read_unlock();
	atomic_fetch_add_explicit(&fl->generation, 1, memory_order_relaxed);
	return added;
}

/* The kernel destroyed the entry: keep it, dimmed, until reaped. */
int flow_list_close(struct flow_list *fl, const struct flow_rec *r,
		    uint64_t now)
{
	struct flow *f;
	int ret = -ENOENT;

	rcu_read_lock();
	f = lookup(fl, r);
	if (f) {
		store_mutable(f, r, now);
		if (!atomic_load_explicit(&f->closed_at, memory_order_relaxed))
			atomic_store(&f->closed_at, now ? now : 1);
		ret = 0;
	}
	rcu_read_unlock();
	atomic_fetch_add_explicit(&fl->generation, 1, memory_order_relaxed);
	return ret;
}

uint32_t flow_list_begin_scan(struct flow_list *fl)
{
	return ++fl->scan;
}

/* After a full dump: every flow the dump did not show is gone from the
 * kernel (its DESTROY event may have been lost in an overrun). */
size_t flow_list_end_scan(struct flow_list *fl, uint32_t scan, uint64_t now)
{
	struct cds_lfht_iter iter;
	struct flow *f;
	size_t n = 0;

	rcu_read_lock();
	cds_lfht_for_each_entry(fl->ht, &iter, f, node) {
		if (f->scan == scan ||
		    atomic_load_explicit(&f->closed_at, memory_order_relaxed))
			continue;
		atomic_store(&f->closed_at, now ? now : 1);
		n++;
	}
	rcu_read_unlock();
	if (n)
		atomic_fetch_add_explicit(&fl->generation, 1,
					  memory_order_relaxed);
	return n;
}

/* Remove flows closed at or before older_than. */
size_t flow_list_reap(struct flow_list *fl, uint64_t older_than)
{
	struct cds_lfht_iter iter;
	struct flow *f;
	size_t n = 0;
	uint64_t c;

	rcu_read_lock();
	cds_lfht_for_each_entry(fl->ht, &iter, f, node) {
		c = atomic_load_explicit(&f->closed_at, memory_order_relaxed);
		if (!c || c > older_than)
			continue;
		if (cds_lfht_del(fl->ht, &f->node) == 0) {
			atomic_fetch_sub(&fl->count, 1);
			call_rcu(&f->rcu, flow_free_rcu);
			n++;
		}
	}
	rcu_read_unlock();
	if (n)
		atomic_fetch_add_explicit(&fl->generation, 1,
					  memory_order_relaxed);
	return n;
}

void flow_set_owner(struct flow *f, const struct flow_owner *o)
{
	struct owner_box *b, *old;

	if (o->pid < 0 && o->local == FLOW_LOCAL_NONE) {
		b = &owner_none;
	} else {
		b = malloc(sizeof(*b));
		if (!b)
			return;
		b->o = *o;
	}
	old = atomic_exchange(&f->owner, b);
	if (old && old != &owner_none)
		call_rcu(&old->rcu, owner_free_rcu);
}

bool flow_owner_done(const struct flow *f)
{
	return atomic_load_explicit(&f->owner, memory_order_acquire) != NULL;
}

void flow_set_geo(struct flow *f, const struct geo_info *src,
		  const struct geo_info *dst)
{
	atomic_store_explicit(&f->geo_src, src, memory_order_relaxed);
	atomic_store_explicit(&f->geo_dst, dst, memory_order_relaxed);
	atomic_store_explicit(&f->geo_done, true, memory_order_release);
}

bool flow_geo_done(const struct flow *f)
{
	return atomic_load_explicit(&f->geo_done, memory_order_acquire);
}

int flow_list_for_each(struct flow_list *fl, flow_visit_fn fn, void *arg)
{
	struct cds_lfht_iter iter;
	struct flow *f;
	int ret;

	cds_lfht_for_each_entry(fl->ht, &iter, f, node) {
		ret = fn(f, arg);
		if (ret)
			return ret;
	}
	return 0;
}

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void flow_snapshot(const struct flow *f, struct flow_row *row)
{
	struct flow_rec *r = &row->rec;
	const struct owner_box *ob;

	r->id = f->id;
	r->zone = f->zone;
	r->family = f->family;
	r->l4proto = f->l4proto;
	r->orig = f->orig;
	r->repl = f->repl;
	r->icmp_type = f->icmp_type;
	r->icmp_code = f->icmp_code;
	r->icmp_id = f->icmp_id;
	r->state = LD(f->state);
	r->have = LD(f->have);
	r->status = LD(f->status);
	r->mark = LD(f->mark);
	r->timeout = LD(f->timeout);
	r->orig_bytes = LD(f->orig_bytes);
	r->orig_pkts = LD(f->orig_pkts);
	r->repl_bytes = LD(f->repl_bytes);
	r->repl_pkts = LD(f->repl_pkts);
	r->ts_start = LD(f->ts_start);
	r->ts_stop = 0;
	memset(r->labels, 0, sizeof(r->labels));

	row->first_seen = f->first_seen;
	row->closed_at = LD(f->closed_at);
	row->rate_orig = LD(f->rate_orig);
	row->rate_repl = LD(f->rate_repl);
	row->rate_orig_10 = LD(f->rate_orig_10);
	row->rate_repl_10 = LD(f->rate_repl_10);
	row->rate_orig_40 = LD(f->rate_orig_40);
	row->rate_repl_40 = LD(f->rate_repl_40);
	ob = atomic_load_explicit(&f->owner, memory_order_acquire);
	if (ob) {
		row->owner = ob->o;
	} else {
		memset(&row->owner, 0, sizeof(row->owner));
	}
	row->geo_src = atomic_load_explicit(&f->geo_src, memory_order_acquire);
	row->geo_dst = atomic_load_explicit(&f->geo_dst, memory_order_acquire);
	row->handle = f;
}

size_t flow_list_count(const struct flow_list *fl)
{
	return atomic_load_explicit(&fl->count, memory_order_relaxed);
}

uint64_t flow_list_generation(const struct flow_list *fl)
{
	return atomic_load_explicit(&fl->generation, memory_order_relaxed);
}
