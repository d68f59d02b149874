/* flow_list: the table of conntrack flows.
 *
 * One writer (the collector thread) inserts, updates and removes; readers
 * (UI, batch output, enrichment) walk the table under rcu_read_lock().  The
 * table is a liburcu lock-free hash (cds_lfht) keyed by conntrack id and
 * original tuple, so an event or a dumped entry finds its flow in O(1);
 * walks over every flow go through the slabs the flows live in, in memory
 * order, instead (see slab_alloc).
 *
 * A published flow is never rewritten in place: its identity (tuples,
 * protocol, id) is written once before it is published, everything that
 * changes later (state, counters, rates, owner, geo) is a C11 atomic, and a
 * flow is freed only after a grace period (call_rcu).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>
#include <urcu/rculfhash.h>

#include "flow_list.h"
#include "flow_rate.h"

/* flow.flags: FLOW_RATE_F_* below this bit, and: */
#define FLOW_F_EVENT	0x80u	/* made by an event: its first counters
				 * count (it began after we started) */

struct owner_box {
	struct flow_owner o;
	struct rcu_head rcu;
};

/* Laid out by cache line, since a dump touches every flow once and a miss
 * costs more than the work: line 0 is what a lookup compares, line 1 what
 * every dump writes, the rest is read by the screen or set rarely. */
struct flow {
	/* line 0: hash node and identity, written once before publishing */
	struct cds_lfht_node node;
	uint32_t id;
	uint16_t zone;
	uint8_t family, l4proto;
	struct flow_tuple orig;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;

	/* line 1: changed by the collector on every dump */
	_Atomic uint64_t orig_bytes, orig_pkts, repl_bytes, repl_pkts;
	_Atomic uint32_t have, status, timeout;
	_Atomic uint8_t state;
	_Atomic uint8_t live;		/* in the table: readers may look */
	uint8_t flags;			/* writer only: FLOW_F_*, rate bits */
	_Atomic uint8_t rate_seq;	/* the rates' checkpoint number */
	union {
		struct {		/* writer only, while in the table */
			uint32_t scan;
			uint32_t dump_pos;	/* index in the last dump */
		};
		struct rcu_head rcu;	/* once removed: nobody writes */
	};

	/* line 2: what the screen reads (rates as a few 16-bit counts:
	 * 262,144 flows must fit a small router's memory) */
	struct flow_rate_cell rates;
	_Atomic uint64_t closed_at;
	uint64_t first_seen;
	_Atomic uint64_t ts_start;
	_Atomic uint32_t mark;
	_Atomic bool geo_done;
	_Atomic(struct owner_box *) owner;

	/* line 3: the reply tuple and GeoIP */
	struct flow_tuple repl;
	_Atomic(const struct geo_info *) geo_src;
	_Atomic(const struct geo_info *) geo_dst;
	struct flow_list *list;		/* whose slab it came from */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct flow) == 256, "a flow is four cache lines");
_Static_assert(offsetof(struct flow, rates) == 128 &&
	       offsetof(struct flow, repl) == 192,
	       "each group on its own cache line");

/* Flows come from 64 KiB slabs of 256: no malloc header between them, so
 * each flow is exactly four cache lines, and readers walk the table by
 * walking the slabs in memory order (a flow says whether it is live),
 * which the hardware prefetches, instead of the hash table's linked list,
 * a cache miss per node.  Freed flows (from call_rcu's thread) go on a
 * free list; slabs are kept until the list is destroyed.  The slab table
 * never moves, so readers need no lock to walk it. */
#define SLAB_BYTES	65536
/* How far ahead in the previous dump's order to prefetch. */
#define PREFETCH_AHEAD	8
#define SLAB_FLOWS	(SLAB_BYTES / sizeof(struct flow))
#define MAX_SLABS	65536		/* 16 million flows */

struct slab_free {
	struct slab_free *next;
};

struct flow_list {
	struct cds_lfht *ht;
	pthread_mutex_t slab_lock;	/* collector allocates, call_rcu frees */
	struct slab_free *free_list;
	_Atomic size_t n_slabs;
	char *slabs[MAX_SLABS];
	_Atomic size_t count;
	_Atomic uint64_t inserts;	/* flows added since start */
	uint32_t scan;
	/* The kernel dumps in the same order each time (hash bucket order,
	 * stable until it resizes), so the previous dump predicts which flow
	 * comes next: one compare instead of a hash lookup's cache misses. */
	bool in_scan;
	bool fill;		/* this scan fills an empty table */
	struct flow **hint, **next_hint;
	size_t hint_n, next_n, hint_cap, hint_pos;
	bool timed;		/* this scan's time is on the rate clock */
	bool measuring;		/* ... and its counters give rates */
	uint64_t last_scan_t;	/* when the last complete scan began */
	struct flow_rate_clock clock;
};

static struct flow *slab_alloc(struct flow_list *fl)
{
	size_t n = atomic_load_explicit(&fl->n_slabs, memory_order_relaxed);
	struct slab_free *f;
	char *s;

	pthread_mutex_lock(&fl->slab_lock);
	if (!fl->free_list) {
		s = n < MAX_SLABS ? aligned_alloc(4096, SLAB_BYTES) : NULL;
		if (!s) {
			pthread_mutex_unlock(&fl->slab_lock);
			return NULL;
		}
		memset(s, 0, SLAB_BYTES);	/* every live flag 0 */
		for (size_t i = SLAB_FLOWS; i-- > 0;) {
			f = (struct slab_free *)(s + i * sizeof(struct flow));
			f->next = fl->free_list;
			fl->free_list = f;
		}
		fl->slabs[n] = s;
		atomic_store_explicit(&fl->n_slabs, n + 1,
				      memory_order_release);
	}
	f = fl->free_list;
	fl->free_list = f->next;
	pthread_mutex_unlock(&fl->slab_lock);
	memset(f, 0, sizeof(struct flow));
	((struct flow *)f)->list = fl;
	return (struct flow *)f;
}

static void slab_release(struct flow *f)
{
	struct flow_list *fl = f->list;
	struct slab_free *e = (struct slab_free *)f;

	/* live is already 0 and stays so: the link overwrites only the
	 * first word (the hash node) */
	pthread_mutex_lock(&fl->slab_lock);
	e->next = fl->free_list;
	fl->free_list = e;
	pthread_mutex_unlock(&fl->slab_lock);
}

/* Shared answers for flows that are not local: never freed. */
static struct owner_box owner_none = { .o = { .pid = -1,
	.local = FLOW_LOCAL_NONE } };
/* ...and for local flows whose owner stayed unknown (another namespace's
 * socket, a process gone): on a host with a whole local prefix (an
 * address on lo) that can be most of the table. */
static struct owner_box owner_unknown[] = {
	{ .o = { .pid = 0, .local = FLOW_LOCAL_UNKNOWN } },
	{ .o = { .pid = 0, .local = FLOW_LOCAL_SRC } },
	{ .o = { .pid = 0, .local = FLOW_LOCAL_DST } },
	{ .o = { .pid = 0, .local = FLOW_LOCAL_NONE } },
};

static bool owner_shared(const struct owner_box *b)
{
	return b == &owner_none ||
	       (b >= owner_unknown && b < owner_unknown + 4);
}

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
	pthread_mutex_init(&fl->slab_lock, NULL);
	flow_rate_clock_init(&fl->clock);
	fl->ht = cds_lfht_new(1u << 16, 1024, 0,
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
	if (b && !owner_shared(b))
		free(b);
}

static void flow_free(struct flow *f)
{
	owner_free(atomic_load_explicit(&f->owner, memory_order_relaxed));
	slab_release(f);
}

static void flow_free_rcu(struct rcu_head *head)
{
	flow_free(caa_container_of(head, struct flow, rcu));
}

static void owner_free_rcu(struct rcu_head *head)
{
	owner_free(caa_container_of(head, struct owner_box, rcu));
}

/* Remove a flow from the table; freed after a grace period. */
static void flow_remove(struct flow_list *fl, struct flow *f)
{
	atomic_store_explicit(&f->live, 0, memory_order_release);
	if (cds_lfht_del(fl->ht, &f->node) == 0) {
		atomic_fetch_sub(&fl->count, 1);
		call_rcu(&f->rcu, flow_free_rcu);
	}
}

/* The next live flow at or after *pos, in slab (memory) order, or NULL:
 * for the writer, and for readers under rcu_read_lock() (a flow seen live
 * stays readable until they unlock). */
static struct flow *next_live(struct flow_list *fl, size_t *pos)
{
	size_t end = atomic_load_explicit(&fl->n_slabs, memory_order_acquire) *
		     SLAB_FLOWS;
	struct flow *f;

	for (; *pos < end; (*pos)++) {
		f = (struct flow *)fl->slabs[*pos / SLAB_FLOWS] +
		    *pos % SLAB_FLOWS;
		if (atomic_load_explicit(&f->live, memory_order_acquire)) {
			(*pos)++;
			return f;
		}
	}
	return NULL;
}

/* Called after every other thread that used the list has stopped. */
void flow_list_destroy(struct flow_list *fl)
{
	struct flow *f;
	size_t pos = 0, i, n;

	if (!fl)
		return;
	rcu_read_lock();
	while ((f = next_live(fl, &pos)))
		flow_remove(fl, f);
	rcu_read_unlock();
	rcu_barrier();
	cds_lfht_destroy(fl->ht, NULL);
	n = atomic_load(&fl->n_slabs);
	for (i = 0; i < n; i++)
		free(fl->slabs[i]);
	pthread_mutex_destroy(&fl->slab_lock);
	free(fl->hint);
	free(fl->next_hint);
	free(fl);
}

/* The counters a dump (or a destroy event) brings: the bytes since the
 * stored ones feed the rates.  A flow first seen in a dump moved its
 * first bytes before we looked, at a time we do not know: those are not
 * counted.  A kicked dump right after another takes no counters. */
static void update_counters(struct flow_list *fl, struct flow *f,
			    const struct flow_rec *r)
{
	uint64_t ob = atomic_load_explicit(&f->orig_bytes, memory_order_relaxed);
	uint64_t rb = atomic_load_explicit(&f->repl_bytes, memory_order_relaxed);
	bool first = !(atomic_load_explicit(&f->have, memory_order_relaxed) &
		       FLOW_HAVE_COUNTERS);
	uint64_t moved[2] = { 0, 0 };

	if (fl->in_scan && !fl->measuring && !first)
		return;
	if (!first || (f->flags & FLOW_F_EVENT)) {
		/* Counters only grow; a smaller value means the identity
		 * was reused: start over rather than show a huge rate. */
		moved[0] = r->orig_bytes >= ob ? r->orig_bytes - ob : 0;
		moved[1] = r->repl_bytes >= rb ? r->repl_bytes - rb : 0;
	}
	if (fl->in_scan && fl->measuring && !moved[0] && !moved[1])
		flow_rate_idle(&f->rates, &f->rate_seq, &f->flags, &fl->clock);
	else if (moved[0] || moved[1] || (fl->in_scan && fl->measuring))
		flow_rate_add(&f->rates, &f->rate_seq, &f->flags, &fl->clock,
			      moved, fl->in_scan && fl->measuring);
	/* An idle flow is not touched beyond this cache line: most of a
	 * big table is idle. */
	if (r->orig_bytes != ob)
		atomic_store_explicit(&f->orig_bytes, r->orig_bytes,
				      memory_order_relaxed);
	if (r->repl_bytes != rb)
		atomic_store_explicit(&f->repl_bytes, r->repl_bytes,
				      memory_order_relaxed);
	atomic_store_explicit(&f->orig_pkts, r->orig_pkts,
			      memory_order_relaxed);
	atomic_store_explicit(&f->repl_pkts, r->repl_pkts,
			      memory_order_relaxed);
}

static void store_mutable(struct flow_list *fl, struct flow *f,
			  const struct flow_rec *r)
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
		update_counters(fl, f, r);
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

static struct flow *scan_lookup(struct flow_list *fl,
				const struct flow_rec *r)
{
	struct flow *f;

	/* The flows a few entries ahead will be wanted soon: ask for their
	 * first three cache lines now, so the misses overlap. */
	if (fl->hint_pos + PREFETCH_AHEAD < fl->hint_n) {
		f = fl->hint[fl->hint_pos + PREFETCH_AHEAD];
		__builtin_prefetch(f, 1);
		__builtin_prefetch((char *)f + 64, 1);
		__builtin_prefetch((char *)f + 128, 1);
	}
	if (fl->hint_pos < fl->hint_n) {
		f = fl->hint[fl->hint_pos];
		if (f && same_identity(f, r)) {
			fl->hint_pos++;
			return f;
		}
	}
	f = lookup(fl, r);
	/* Entries came or went before this one: follow the kernel's order
	 * from here. */
	if (f && f->dump_pos < fl->hint_n && fl->hint[f->dump_pos] == f)
		fl->hint_pos = f->dump_pos + 1;
	return f;
}

static void scan_append(struct flow_list *fl, struct flow *f)
{
	struct flow **n;

	if (fl->next_n == fl->hint_cap) {
		size_t cap = fl->hint_cap ? fl->hint_cap * 2 : 4096;

		n = realloc(fl->next_hint, cap * sizeof(*n));
		if (!n)
			return;		/* only a hint: the next dump looks up */
		fl->next_hint = n;
		n = realloc(fl->hint, cap * sizeof(*n));
		if (!n)
			return;
		fl->hint = n;
		fl->hint_cap = cap;
	}
	f->dump_pos = (uint32_t)fl->next_n;
	fl->next_hint[fl->next_n++] = f;
}

static struct flow *flow_new(struct flow_list *fl, const struct flow_rec *r,
			     uint64_t now)
{
	struct flow *f = slab_alloc(fl);

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

/* The scan's time, from its first entry (or its end, if empty): the rate
 * clock ticks, unless the scan comes too soon after the last. */
static void scan_time(struct flow_list *fl, uint64_t now)
{
	fl->measuring = flow_rate_clock_dump(&fl->clock, now);
	fl->timed = true;
}

/* Insert or refresh the flow rec describes.  Returns 1 if it is new, 0 if
 * it was known, -ENOMEM. */
int flow_list_update(struct flow_list *fl, const struct flow_rec *r,
		     uint64_t now)
{
	struct flow *f;
	int added = 0;

	if (fl->in_scan && !fl->timed)
		scan_time(fl, now);
	rcu_read_lock();
	/* Filling an empty table, nothing can be found: skip the lookups
	 * (half the cost of the first dump, which the screen waits for).
	 * Should the kernel repeat an entry (its table resized during the
	 * dump), the copy no lookup finds is closed by the next dump. */
	if (fl->fill)
		f = NULL;
	else
		f = fl->in_scan ? scan_lookup(fl, r) : lookup(fl, r);
	if (!f) {
		f = flow_new(fl, r, now);
		if (!f) {
			rcu_read_unlock();
			return -ENOMEM;
		}
		if (!fl->in_scan)
			f->flags |= FLOW_F_EVENT;
		store_mutable(fl, f, r);
		f->scan = fl->scan;
		/* The only writer has just looked it up: a plain add, not
		 * add_unique's second lookup (a 100k-entry first dump is
		 * what the screen waits for). */
		cds_lfht_add(fl->ht, flow_hash(r), &f->node);
		atomic_store_explicit(&f->live, 1, memory_order_release);
		atomic_fetch_add(&fl->count, 1);
		atomic_fetch_add_explicit(&fl->inserts, 1,
					  memory_order_relaxed);
		added = 1;
	}
	if (!added) {
		store_mutable(fl, f, r);
		f->scan = fl->scan;
		if (atomic_load_explicit(&f->closed_at, memory_order_relaxed))
			atomic_store(&f->closed_at, 0);
	}
	if (fl->in_scan)
		scan_append(fl, f);
	rcu_read_unlock();
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
		store_mutable(fl, f, r);
		if (!atomic_load_explicit(&f->closed_at, memory_order_relaxed))
			atomic_store(&f->closed_at, now ? now : 1);
		ret = 0;
	}
	rcu_read_unlock();
	return ret;
}

uint32_t flow_list_begin_scan(struct flow_list *fl)
{
	fl->in_scan = true;
	fl->timed = false;
	fl->fill = atomic_load(&fl->count) == 0;
	fl->hint_pos = 0;
	fl->next_n = 0;
	return ++fl->scan;
}

/* A dump that failed half way: nothing can be concluded from it. */
void flow_list_abort_scan(struct flow_list *fl)
{
	fl->in_scan = false;
	fl->fill = false;
	fl->next_n = 0;
}

/* After a full dump: every flow the dump did not show is gone from the
 * kernel (its DESTROY event may have been lost in an overrun), so close
 * it; and remove flows closed at or before reap_before and before the
 * previous scan began, so that every closed flow is still there after
 * one scan, when readers refresh.  One walk for all: on a big table each
 * walk is a cache miss per flow. */
size_t flow_list_end_scan(struct flow_list *fl, uint32_t scan, uint64_t now,
			  uint64_t reap_before)
{
	struct flow *f;
	size_t n = 0, gone = 0, pos = 0;
	struct flow **t;
	uint64_t c;

	if (!fl->timed)
		scan_time(fl, now);
	if (reap_before > fl->last_scan_t)
		reap_before = fl->last_scan_t;
	fl->last_scan_t = now;

	/* Only flows this dump saw are hints, and those are not reaped
	 * below (seeing a flow reopens it), so no hint can dangle. */
	t = fl->hint;
	fl->hint = fl->next_hint;
	fl->next_hint = t;
	fl->hint_n = fl->next_n;
	fl->next_n = 0;
	fl->in_scan = false;
	fl->fill = false;

	rcu_read_lock();
	while ((f = next_live(fl, &pos))) {
		c = atomic_load_explicit(&f->closed_at, memory_order_relaxed);
		if (c && c <= reap_before) {
			flow_remove(fl, f);
			gone++;
			continue;
		}
		if (f->scan == scan || c)
			continue;
		atomic_store(&f->closed_at, now ? now : 1);
		n++;
	}
	rcu_read_unlock();
	return n;
}

void flow_set_owner(struct flow *f, const struct flow_owner *o)
{
	struct owner_box *b, *old;

	if (o->pid < 0 && o->local == FLOW_LOCAL_NONE) {
		b = &owner_none;
	} else if (o->pid == 0 && !o->comm && o->local <= FLOW_LOCAL_NONE) {
		b = &owner_unknown[o->local];
	} else {
		b = malloc(sizeof(*b));
		if (!b)
			return;
		b->o = *o;
	}
	old = atomic_exchange(&f->owner, b);
	if (old && !owner_shared(old))
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
	struct flow *f;
	size_t pos = 0;
	int ret;

	while ((f = next_live(fl, &pos))) {
		ret = fn(f, arg);
		if (ret)
			return ret;
	}
	return 0;
}

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

/* Most of a big table is idle: its 24 bytes say so, without the clock. */
static bool rates_zero(const struct flow_rate_cell *rc)
{
	unsigned any = 0;

	for (int d = 0; d < 2; d++)
		for (int i = 0; i < 2 + FLOW_RATE_BINS; i++)
			any |= LD(rc->v[d][i]);
	return !any;
}

static void snapshot_rates(const struct flow *f, struct flow_row *row)
{
	struct flow_rate_time t;
	double now[2], w10[2], w40[2];

	if (rates_zero(&f->rates)) {
		row->rate_orig = row->rate_repl = 0;
		row->rate_orig_10 = row->rate_repl_10 = 0;
		row->rate_orig_40 = row->rate_repl_40 = 0;
		return;
	}
	flow_rate_clock_read(&f->list->clock, &t);
	flow_rate_get(&f->rates, LD(f->rate_seq), f->first_seen, &t,
		      now, w10, w40);
	row->rate_orig = now[0];
	row->rate_repl = now[1];
	row->rate_orig_10 = w10[0];
	row->rate_repl_10 = w10[1];
	row->rate_orig_40 = w40[0];
	row->rate_repl_40 = w40[1];
}

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
	snapshot_rates(f, row);
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

uint64_t flow_list_inserts(const struct flow_list *fl)
{
	return atomic_load_explicit(&fl->inserts, memory_order_relaxed);
}
