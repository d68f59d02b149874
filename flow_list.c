/* flow_list: the table of conntrack flows.
 *
 * One writer (the collector thread) inserts, updates, closes and removes;
 * readers (UI, batch output, enrichment) walk the table under
 * rcu_read_lock().  Flows live in slabs that readers walk in memory order
 * (flow_store.c); the writer alone finds a flow by its identity, through
 * the hints of the previous dump or an index only it uses.
 *
 * A published flow is never rewritten in place: its identity (tuples,
 * protocol, id) is written once before it is published, everything that
 * changes later (state, counters, rates, owner, geo) is a C11 atomic, and a
 * flow's slot is reused only after a grace period.
 *
 * A closed flow (destroyed, or missing from a full dump) stays in the
 * table, dimmed on the screen, until reaped; closed flows queue in the
 * order they closed, so that reaping them takes no walk over the table.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "flow_impl.h"
#include "flow_list.h"
#include "flow_rate.h"
#include "util.h"

/* How far ahead in the previous dump's order to prefetch; and, walking
 * the slabs, in memory order. */
#define PREFETCH_AHEAD	8
#define PREFETCH_WALK	6
/* How far ahead a flow found by its identity is looked for among the
 * hints: past the flows the kernel destroyed since the last dump. */
#define HINT_SEARCH	64

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

int flow_list_create(struct flow_list **out)
{
	struct flow_list *fl = calloc(1, sizeof(*fl));

	if (!fl)
		return -ENOMEM;
	if (store_init(fl)) {
		free(fl);
		return -ENOMEM;
	}
	flow_rate_clock_init(&fl->clock);
	*out = fl;
	return 0;
}

static void note_change(struct flow_list *fl)
{
	atomic_fetch_add_explicit(&fl->changes, 1, memory_order_relaxed);
}

static void set_real_off(struct flow_list *fl)
{
	fl->real_off = util_now_real() - util_now_mono();
}

static void note_now(struct flow_list *fl, uint64_t now)
{
	if (now > LD(fl->last_now))
		atomic_store_explicit(&fl->last_now, now,
				      memory_order_relaxed);
}

/* When a flow closed, from its milliseconds and the writer's clock. */
static uint64_t closed_ns(const struct flow_list *fl, uint32_t c)
{
	uint64_t now_ms = (LD(fl->last_now) + 999999) / 1000000;
	int64_t ms = (int64_t)now_ms + (int32_t)(c - (uint32_t)now_ms);

	return ms > 0 ? (uint64_t)ms * 1000000 : 1;
}

/* Take a flow out of the table; its slot is reused after a grace period
 * (store_retire_flush). */
static void flow_remove(struct flow_list *fl, struct flow *f)
{
	atomic_store_explicit(&f->live, 0, memory_order_release);
	store_unindex(fl, f);
	if (LD(f->closed))
		atomic_fetch_sub_explicit(&fl->closed, 1,
					  memory_order_relaxed);
	atomic_fetch_sub_explicit(&fl->count, 1, memory_order_relaxed);
	note_change(fl);
	store_retire(fl, f);
}

/* The next live flow at or after *pos, in slab (memory) order, or NULL:
 * for the writer, and for readers under rcu_read_lock() (a flow seen live
 * stays readable until they unlock). */
static struct flow *next_live(struct flow_list *fl, size_t *pos)
{
	size_t n = atomic_load_explicit(&fl->n_slabs, memory_order_acquire);
	size_t s = *pos / STORE_SLAB_FLOWS, i = *pos % STORE_SLAB_FLOWS;
	struct flow *f;

	for (; s < n; s++, i = 0) {
		f = (struct flow *)(fl->slabs[s] + 64);
		for (; i < STORE_SLAB_FLOWS; i++) {
			/* Readers use lines 0 and 1: ask for them ahead. */
			__builtin_prefetch(&f[i + PREFETCH_WALK]);
			__builtin_prefetch((char *)&f[i + PREFETCH_WALK] + 64);
			if (atomic_load_explicit(&f[i].live,
						 memory_order_acquire)) {
				*pos = s * STORE_SLAB_FLOWS + i + 1;
				return &f[i];
			}
		}
	}
	*pos = n * STORE_SLAB_FLOWS;
	return NULL;
}

/* Called after every other thread that used the list has stopped. */
void flow_list_destroy(struct flow_list *fl)
{
	struct flow *f;
	size_t pos = 0;

	if (!fl)
		return;
	/* No reader is left: no need to keep the index or counts. */
	while ((f = next_live(fl, &pos))) {
		atomic_store_explicit(&f->live, 0, memory_order_relaxed);
		store_retire(fl, f);
	}
	store_retire_flush(fl);
	rcu_barrier();
	store_fini(fl);
	free(fl->hint);
	free(fl->next_hint);
	free(fl->cq);
	free(fl);
}

/* --- closing and reaping -------------------------------------------------- */

static void closed_push(struct flow_list *fl, uint32_t no, uint32_t ms)
{
	struct store_closed *n;
	size_t live = fl->cq_tail - fl->cq_head;

	if (fl->cq_tail == fl->cq_cap) {
		if (fl->cq_head && live <= fl->cq_cap / 2) {
			memmove(fl->cq, fl->cq + fl->cq_head,
				live * sizeof(*fl->cq));
		} else {
			size_t cap = fl->cq_cap ? fl->cq_cap * 2 : 1024;

			n = realloc(fl->cq, cap * sizeof(*n));
			if (!n)
				return;	/* reaped by no one: stays closed */
			if (fl->cq_head)
				memmove(n, n + fl->cq_head,
					live * sizeof(*n));
			fl->cq = n;
			fl->cq_cap = cap;
		}
		fl->cq_head = 0;
		fl->cq_tail = live;
	}
	fl->cq[fl->cq_tail].no = no;
	fl->cq[fl->cq_tail].ms = ms;
	fl->cq_tail++;
}

static void mark_closed(struct flow_list *fl, struct flow *f, uint64_t now)
{
	uint32_t ms = store_ms(now);

	atomic_store_explicit(&f->closed, ms, memory_order_relaxed);
	atomic_fetch_add_explicit(&fl->closed, 1, memory_order_relaxed);
	note_change(fl);
	closed_push(fl, store_no(f), ms);
}

static void reopen(struct flow_list *fl, struct flow *f)
{
	/* Its place in the queue is left behind, and skipped there. */
	atomic_store_explicit(&f->closed, 0, memory_order_relaxed);
	atomic_fetch_sub_explicit(&fl->closed, 1, memory_order_relaxed);
	note_change(fl);
}

/* Remove the flows closed at or before `before`, oldest first.  The
 * queue is in closing order but for a dump's closes, which carry the
 * dump's start: a few may wait for a later one. */
static size_t reap(struct flow_list *fl, uint64_t before)
{
	uint64_t b = before / 1000000;
	struct store_closed *e;
	struct flow *f;
	size_t n = 0;

	while (fl->cq_head < fl->cq_tail) {
		e = &fl->cq[fl->cq_head];
		f = store_at(fl, e->no);
		if (!LD(f->live) || LD(f->closed) != e->ms) {
			fl->cq_head++;	/* reopened or closed again later */
			continue;
		}
		if (closed_ns(fl, e->ms) / 1000000 > b)
			break;
		flow_remove(fl, f);
		fl->cq_head++;
		n++;
	}
	if (fl->cq_head == fl->cq_tail)
		fl->cq_head = fl->cq_tail = 0;
	store_retire_flush(fl);
	return n;
}

size_t flow_list_reap(struct flow_list *fl, uint64_t before)
{
	return reap(fl, before);
}

/* The counters a dump (or a destroy event) brings: the bytes since the
 * stored ones feed the rates.  A flow first seen in a dump moved its
 * first bytes before we looked, at a time we do not know: those are not
 * counted.  A kicked dump right after another takes no counters. */
static void update_counters(struct flow_list *fl, struct flow *f,
			    const struct flow_rec *r, bool dump)
{
	uint64_t ob = atomic_load_explicit(&f->orig_bytes, memory_order_relaxed);
	uint64_t rb = atomic_load_explicit(&f->repl_bytes, memory_order_relaxed);
	bool first = !(atomic_load_explicit(&f->have, memory_order_relaxed) &
		       FLOW_HAVE_COUNTERS);
	uint64_t moved[2] = { 0, 0 };

	if (dump && !fl->measuring && !first)
		return;
	if (!first || (f->flags & FLOW_F_EVENT)) {
		/* Counters only grow; a smaller value means the identity
		 * was reused: start over rather than show a huge rate. */
		moved[0] = r->orig_bytes >= ob ? r->orig_bytes - ob : 0;
		moved[1] = r->repl_bytes >= rb ? r->repl_bytes - rb : 0;
	}
	if (dump && fl->measuring && !moved[0] && !moved[1])
		flow_rate_idle(&f->rates, &f->rate_seq, &f->flags, &fl->clock);
	else if (moved[0] || moved[1] || (dump && fl->measuring))
		flow_rate_add(&f->rates, &f->rate_seq, &f->flags, &fl->clock,
			      moved, dump && fl->measuring);
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
			  const struct flow_rec *r, bool dump)
{
	uint8_t have = atomic_load_explicit(&f->have, memory_order_relaxed);

	/* Events carry only what changed: keep what we had for the rest. */
	if (r->have & FLOW_HAVE_STATE)
		atomic_store_explicit(&f->state, r->state,
				      memory_order_relaxed);
	/* Dumps send every mark, mostly 0: a flag on line 0 spares the
	 * cold line 2. */
	if ((r->have & FLOW_HAVE_MARK) && (r->mark || (f->flags & FLOW_F_MARK))) {
		if (LD(f->mark) != r->mark)
			atomic_store_explicit(&f->mark, r->mark,
					      memory_order_relaxed);
		f->flags = (uint8_t)(r->mark ? f->flags | FLOW_F_MARK :
				     f->flags & ~FLOW_F_MARK);
	}
	if (r->have & FLOW_HAVE_TIMEOUT)
		atomic_store_explicit(&f->timeout, r->timeout,
				      memory_order_relaxed);
	/* The kernel's start, once known, never changes. */
	if ((r->have & FLOW_HAVE_TSTAMP) && r->ts_start &&
	    !(have & FLOW_HAVE_TSTAMP))
		atomic_store_explicit(&f->start, r->ts_start,
				      memory_order_relaxed);
	if (r->have & FLOW_HAVE_COUNTERS)
		update_counters(fl, f, r, dump);
	if (r->status)
		atomic_store_explicit(&f->status, r->status,
				      memory_order_relaxed);
	/* Labels are not kept per flow (memory); the details view asks the
	 * kernel for them. */
	atomic_store_explicit(&f->have,
			      (uint8_t)((have | r->have) & ~FLOW_HAVE_LABELS),
			      memory_order_relaxed);
}

static struct flow *lookup(struct flow_list *fl, const struct flow_rec *r)
{
	return store_find(fl, r, store_hash_rec(r));
}

static struct flow *scan_lookup(struct flow_list *fl,
				const struct flow_rec *r)
{
	size_t pos = fl->hint_pos;
	struct flow *f;
	uint32_t no;

	/* The flows a few entries ahead will be wanted soon: ask for the
	 * two cache lines a dump touches now, so the misses overlap. */
	if (pos + PREFETCH_AHEAD < fl->hint_n) {
		f = store_at(fl, fl->hint[pos + PREFETCH_AHEAD]);
		__builtin_prefetch(f, 1);
		__builtin_prefetch((char *)f + 64, 1);
	}
	if (pos < fl->hint_n) {
		f = store_at(fl, fl->hint[pos]);
		/* A hint's slot may hold another flow by now: the identity
		 * decides. */
		if (LD(f->live) && store_same(f, r)) {
			fl->hint_pos++;
			return f;
		}
	}
	f = lookup(fl, r);
	if (!f)
		return NULL;
	/* Flows before it went away: follow the kernel's order from it.
	 * Not among the next hints: a new flow, the hints stay. */
	no = store_no(f);
	for (size_t k = pos; k < fl->hint_n && k < pos + HINT_SEARCH; k++) {
		if (fl->hint[k] == no) {
			fl->hint_pos = k + 1;
			break;
		}
	}
	return f;
}

static void scan_append(struct flow_list *fl, struct flow *f)
{
	uint32_t *n;

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
	fl->next_hint[fl->next_n++] = store_no(f);
}

static struct flow *flow_new(struct flow_list *fl, const struct flow_rec *r,
			     uint64_t now)
{
	struct flow *f = store_alloc(fl);

	if (!f)
		return NULL;
	f->id = r->id;
	f->zone = r->zone;
	f->family = r->family;
	f->l4proto = r->l4proto;
	f->osrc = r->orig.src;
	f->odst = r->orig.dst;
	if (store_icmp(r->l4proto)) {
		f->sport = r->icmp_id;
		f->dport = (uint16_t)(r->icmp_type << 8 | r->icmp_code);
	} else {
		f->sport = r->orig.sport;
		f->dport = r->orig.dport;
	}
	f->rsrc = r->repl.src;
	f->rdst = r->repl.dst;
	f->rsport = r->repl.sport;
	f->rdport = r->repl.dport;
	f->first_seen = now;
	/* Until the kernel gives its own: when first seen, on the clock the
	 * kernel's timestamps use. */
	atomic_store_explicit(&f->start, now + fl->real_off,
			      memory_order_relaxed);
	return f;
}

/* The scan's time, from its first entry (or its end, if empty): the rate
 * clock ticks, unless the scan comes too soon after the last. */
static void scan_time(struct flow_list *fl, uint64_t now)
{
	fl->measuring = flow_rate_clock_dump(&fl->clock, now);
	fl->timed = true;
}

/* Insert or refresh the flow rec describes, from the dump in progress
 * (dump) or from an event, which may come during a dump. */
static int update(struct flow_list *fl, const struct flow_rec *r,
		  uint64_t now, bool dump)
{
	struct flow *f;

	note_now(fl, now);
	if (dump && !fl->timed)
		scan_time(fl, now);
	/* Filling an empty table, nothing can be found: skip the lookups
	 * (half the cost of the first dump, which the screen waits for).
	 * Should the kernel repeat an entry (its table resized during the
	 * dump), the copy no lookup finds is closed by the next dump.  An
	 * event's flow may be in the dump too: from then on, look. */
	if (dump && fl->fill)
		f = NULL;
	else
		f = dump ? scan_lookup(fl, r) : lookup(fl, r);
	if (!f) {
		if (!dump)
			set_real_off(fl);
		f = flow_new(fl, r, now);
		if (!f)
			return -ENOMEM;
		if (store_index(fl, f, store_hash_rec(r))) {
			store_unalloc(fl, f);
			return -ENOMEM;
		}
		if (!dump) {
			f->flags |= FLOW_F_EVENT;
			fl->fill = false;
		}
		store_mutable(fl, f, r, dump);
		f->scan = (uint8_t)fl->scan;
		atomic_store_explicit(&f->live, 1, memory_order_release);
		atomic_fetch_add_explicit(&fl->count, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&fl->inserts, 1,
					  memory_order_relaxed);
		note_change(fl);
		if (dump)
			scan_append(fl, f);
		return 1;
	}
	if (f->flags & FLOW_F_DESTROYED) {
		/* A dump that began before the DESTROY may still show the
		 * entry; one that began after shows the identity made
		 * again. */
		if (dump && f->scan == (uint8_t)fl->scan) {
			scan_append(fl, f);
			return 0;
		}
		f->flags &= (uint8_t)~FLOW_F_DESTROYED;
		atomic_fetch_and_explicit(&f->have,
					  (uint8_t)~FLOW_HAVE_TSTAMP,
					  memory_order_relaxed);
	}
	store_mutable(fl, f, r, dump);
	f->scan = (uint8_t)fl->scan;
	if (LD(f->closed))
		reopen(fl, f);
	if (dump)
		scan_append(fl, f);
	return 0;
}

int flow_list_update(struct flow_list *fl, const struct flow_rec *r,
		     uint64_t now)
{
	return update(fl, r, now, fl->in_scan);
}

int flow_list_event(struct flow_list *fl, const struct flow_rec *r,
		    uint64_t now)
{
	return update(fl, r, now, false);
}

/* The kernel destroyed the entry: keep it, dimmed, until reaped. */
int flow_list_close(struct flow_list *fl, const struct flow_rec *r,
		    uint64_t now)
{
	struct flow *f;

	note_now(fl, now);
	f = lookup(fl, r);
	if (!f)
		return -ENOENT;
	store_mutable(fl, f, r, false);
	f->flags |= FLOW_F_DESTROYED;
	/* During a dump: the dump's copy, if it comes, is older. */
	f->scan = (uint8_t)fl->scan;
	if (!LD(f->closed))
		mark_closed(fl, f, now);
	return 0;
}

uint32_t flow_list_begin_scan(struct flow_list *fl)
{
	fl->in_scan = true;
	fl->timed = false;
	fl->fill = atomic_load(&fl->count) == 0;
	fl->hint_pos = 0;
	set_real_off(fl);
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
 * one scan, when readers refresh. */
size_t flow_list_end_scan(struct flow_list *fl, uint32_t scan, uint64_t now,
			  uint64_t reap_before)
{
	struct flow *f;
	size_t n = 0, pos = 0;
	uint32_t *t;

	note_now(fl, now);
	if (!fl->timed)
		scan_time(fl, now);
	if (reap_before > fl->last_scan_t)
		reap_before = fl->last_scan_t;
	fl->last_scan_t = now;

	t = fl->hint;
	fl->hint = fl->next_hint;
	fl->next_hint = t;
	fl->hint_n = fl->next_n;
	fl->next_n = 0;
	fl->in_scan = false;
	fl->fill = false;

	/* Line 0 of each flow only: live, scan and closed are there. */
	while ((f = next_live(fl, &pos))) {
		if (f->scan == (uint8_t)scan || LD(f->closed))
			continue;
		mark_closed(fl, f, now);
		n++;
	}
	reap(fl, reap_before);
	return n;
}

void flow_set_owner(struct flow *f, const struct flow_owner *o)
{
	struct owner_box *b = store_owner_box(o), *old;

	if (!b)
		return;
	old = atomic_exchange(&f->owner, b);
	store_owner_drop(old);
}

bool flow_owner_done(const struct flow *f)
{
	return atomic_load_explicit(&f->owner, memory_order_acquire) != NULL;
}

void flow_set_geo(struct flow *f, const struct geo_info *src,
		  const struct geo_info *dst)
{
	struct flow_list *fl = store_list(f);

	atomic_store_explicit(&f->geo_src, store_geo_no(fl, src),
			      memory_order_release);
	atomic_store_explicit(&f->geo_dst, store_geo_no(fl, dst),
			      memory_order_release);
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
	flow_rate_clock_read(&store_list(f)->clock, &t);
	flow_rate_get(&f->rates, LD(f->rate_seq), f->first_seen, &t,
		      now, w10, w40);
	row->rate_orig = now[0];
	row->rate_repl = now[1];
	row->rate_orig_10 = w10[0];
	row->rate_repl_10 = w10[1];
	row->rate_orig_40 = w40[0];
	row->rate_repl_40 = w40[1];
}

void flow_snapshot_part(const struct flow *f, struct flow_row *row,
			unsigned parts)
{
	const struct flow_list *fl = store_list(f);
	struct flow_rec *r = &row->rec;
	const struct owner_box *ob;
	uint32_t c;

	r->id = f->id;
	r->zone = f->zone;
	r->family = f->family;
	r->l4proto = f->l4proto;
	r->orig.src = f->osrc;
	r->orig.dst = f->odst;
	if (store_icmp(f->l4proto)) {
		r->orig.sport = r->orig.dport = 0;
		r->icmp_id = f->sport;
		r->icmp_type = (uint8_t)(f->dport >> 8);
		r->icmp_code = (uint8_t)f->dport;
	} else {
		r->orig.sport = f->sport;
		r->orig.dport = f->dport;
		r->icmp_id = 0;
		r->icmp_type = r->icmp_code = 0;
	}
	r->state = LD(f->state);
	r->have = LD(f->have);
	r->status = LD(f->status);
	r->timeout = LD(f->timeout);
	r->orig_bytes = LD(f->orig_bytes);
	r->orig_pkts = LD(f->orig_pkts);
	r->repl_bytes = LD(f->repl_bytes);
	r->repl_pkts = LD(f->repl_pkts);
	row->start = LD(f->start);
	r->ts_start = r->have & FLOW_HAVE_TSTAMP ? row->start : 0;
	r->ts_stop = 0;
	memset(r->labels, 0, sizeof(r->labels));
	c = LD(f->closed);
	row->closed_at = c ? closed_ns(fl, c) : 0;
	row->handle = f;

	if (parts & FLOW_ROW_RATES) {
		snapshot_rates(f, row);
	} else {
		row->rate_orig = row->rate_repl = 0;
		row->rate_orig_10 = row->rate_repl_10 = 0;
		row->rate_orig_40 = row->rate_repl_40 = 0;
	}
	if (!(parts & FLOW_ROW_REST)) {
		memset(&r->repl, 0, sizeof(r->repl));
		r->mark = 0;
		row->first_seen = 0;
		memset(&row->owner, 0, sizeof(row->owner));
		row->geo_src = row->geo_dst = NULL;
		return;
	}
	r->repl.src = f->rsrc;
	r->repl.dst = f->rdst;
	r->repl.sport = f->rsport;
	r->repl.dport = f->rdport;
	r->mark = LD(f->mark);
	row->first_seen = f->first_seen;
	ob = atomic_load_explicit(&f->owner, memory_order_acquire);
	if (ob)
		row->owner = ob->o;
	else
		memset(&row->owner, 0, sizeof(row->owner));
	row->geo_src = store_geo_at(fl, atomic_load_explicit(
		&f->geo_src, memory_order_acquire));
	row->geo_dst = store_geo_at(fl, atomic_load_explicit(
		&f->geo_dst, memory_order_acquire));
}

void flow_snapshot(const struct flow *f, struct flow_row *row)
{
	flow_snapshot_part(f, row, FLOW_ROW_ALL);
}

size_t flow_list_count(const struct flow_list *fl)
{
	return atomic_load_explicit(&fl->count, memory_order_relaxed);
}

size_t flow_list_live(const struct flow_list *fl)
{
	size_t n = atomic_load_explicit(&fl->count, memory_order_relaxed);
	size_t c = atomic_load_explicit(&fl->closed, memory_order_relaxed);

	return n > c ? n - c : 0;
}

uint64_t flow_list_inserts(const struct flow_list *fl)
{
	return atomic_load_explicit(&fl->inserts, memory_order_relaxed);
}

uint64_t flow_list_changes(const struct flow_list *fl)
{
	return atomic_load_explicit(&fl->changes, memory_order_relaxed);
}
