/* enrich: the enrichment thread.
 *
 * Once per interval (or when kicked) it walks the table under
 * rcu_read_lock(): flows without GeoIP get it (a memory-mapped lookup, a
 * microsecond or two), flows without an owner are classified as local or
 * not, and when local flows with an unknown owner exist, proc_lookup is
 * refreshed once (sock_diag, and a /proc walk only for unknown inodes) and
 * asked again.  Neither the screen nor the collector ever waits for this.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu.h>
#include <netinet/in.h>

#include "enrich.h"
#include "flow_list.h"
#include "geoip.h"
#include "proc_lookup.h"
#include "util.h"

/* A local flow whose socket we cannot find is asked about this long (the
 * socket may be a moment behind the conntrack entry), then left unknown:
 * its socket lives in another namespace or its process is gone. */
#define OWNER_RETRY_INTERVALS	3

struct enrich {
	struct flow_list *fl;
	struct enrich_opts o;
	pthread_t thread;
	uint64_t seen_inserts;	/* flow_list_inserts() at the last pass */
	bool retry;		/* the last pass left flows to ask again */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, kicked;
	_Atomic uint64_t passes, refreshes, geo_lookups, owners_found;
};

struct pass_ctx {
	struct enrich *e;
	uint64_t now;
	bool refreshed;
	size_t unknown_local;	/* flows needing a refresh */
};

static bool has_sockets(uint8_t l4proto)
{
	return l4proto == IPPROTO_TCP || l4proto == IPPROTO_UDP ||
	       l4proto == IPPROTO_UDPLITE;
}

static void fill_key(struct proc_sock_key *k, const struct flow_row *row,
		     uint8_t local)
{
	const struct flow_tuple *t = &row->rec.orig;

	memset(k, 0, sizeof(*k));
	k->family = row->rec.family;
	k->l4proto = row->rec.l4proto;
	if (local == FLOW_LOCAL_SRC) {
		k->laddr = t->src;
		k->lport = t->sport;
		k->raddr = t->dst;
		k->rport = t->dport;
	} else {
		/* Incoming: the local socket sees the reply tuple's source
		 * (after DNAT, the address it really listens on). */
		k->laddr = row->rec.repl.src;
		k->lport = row->rec.repl.sport;
		k->raddr = row->rec.repl.dst;
		k->rport = row->rec.repl.dport;
	}
}

static uint8_t classify(const struct flow_row *row)
{
	int fam = row->rec.family;

	if (proc_lookup_is_local(fam, &row->rec.orig.src))
		return FLOW_LOCAL_SRC;
	if (proc_lookup_is_local(fam, &row->rec.repl.src) ||
	    proc_lookup_is_local(fam, &row->rec.orig.dst))
		return FLOW_LOCAL_DST;
	return FLOW_LOCAL_NONE;
}

/* The owner of the flow's local socket as far as proc_lookup knows now:
 * 1 found; 0 not a local flow with sockets (o says which end is local);
 * -1 local but not found (o says unknown). */
static int owner_of(const struct flow_row *row, bool procs,
		    struct flow_owner *o)
{
	struct proc_sock_key k;

	memset(o, 0, sizeof(*o));
	o->local = classify(row);
	if (o->local == FLOW_LOCAL_NONE || !has_sockets(row->rec.l4proto) ||
	    !procs) {
		o->pid = o->local == FLOW_LOCAL_NONE ? -1 : 0;
		return 0;
	}
	fill_key(&k, row, o->local);
	if (proc_lookup_find(&k, o) == 1) {
		o->local = classify(row);
		return 1;
	}
	o->pid = 0;	/* unknown: another namespace, or the process is gone */
	o->comm = NULL;
	return -1;
}

static void do_owner(struct pass_ctx *c, struct flow *f,
		     const struct flow_row *row)
{
	struct flow_owner o;
	uint64_t retry_ns = (uint64_t)c->e->o.interval_ms * 1000000ull *
			    OWNER_RETRY_INTERVALS;
	int found = owner_of(row, c->e->o.procs, &o);

	if (found > 0)
		atomic_fetch_add(&c->e->owners_found, 1);
	if (found < 0 && c->now - row->first_seen < retry_ns) {
		/* ask again: after a refresh, or later */
		c->unknown_local++;
		return;
	}
	flow_set_owner(f, &o);
}

int enrich_once_begin(void)
{
	return proc_lookup_refresh();
}

void enrich_once_row(struct flow_row *row, bool geoip, bool procs)
{
	if (geoip) {
		row->geo_src = geoip_lookup(row->rec.family,
					    row->rec.orig.src.b);
		row->geo_dst = geoip_lookup(row->rec.family,
					    row->rec.orig.dst.b);
	}
	owner_of(row, procs, &row->owner);
}

static int pass_cb(struct flow *f, void *arg)
{
	struct pass_ctx *c = arg;
	struct flow_row row;
	bool geo = c->e->o.geoip && !flow_geo_done(f);
	bool owner = !flow_owner_done(f);
	const struct geo_info *gs, *gd;

	if (!geo && !owner)
		return 0;
	flow_snapshot(f, &row);
	if (row.closed_at)
		return 0;
	if (geo) {
		gs = geoip_lookup(row.rec.family, row.rec.orig.src.b);
		gd = geoip_lookup(row.rec.family, row.rec.orig.dst.b);
		flow_set_geo(f, gs, gd);
		atomic_fetch_add_explicit(&c->e->geo_lookups, 2,
					  memory_order_relaxed);
	}
	if (owner)
		do_owner(c, f, &row);
	return 0;
}

/* At most one proc_lookup_refresh() per pass: before it when the local
 * addresses are due (they change rarely: DHCP, a VPN coming up), or after
 * the first walk when local flows with unknown owners were found. */
static void pass(struct enrich *e, bool refresh_first)
{
	struct pass_ctx c = { .e = e, .now = util_now_mono() };
	uint64_t inserts = flow_list_inserts(e->fl);

	/* Nothing new and nothing to ask again: a walk would only miss the
	 * cache 100,000 times. */
	if (inserts == e->seen_inserts && !e->retry && !refresh_first) {
		atomic_fetch_add(&e->passes, 1);
		return;
	}
	e->seen_inserts = inserts;

	if (refresh_first) {
		proc_lookup_refresh();
		atomic_fetch_add(&e->refreshes, 1);
		c.refreshed = true;
	}
	rcu_read_lock();
	flow_list_for_each(e->fl, pass_cb, &c);
	rcu_read_unlock();
	e->retry = c.unknown_local > 0;
	if (c.unknown_local && !c.refreshed) {
		proc_lookup_refresh();
		atomic_fetch_add(&e->refreshes, 1);
		c.refreshed = true;
		c.unknown_local = 0;
		rcu_read_lock();
		flow_list_for_each(e->fl, pass_cb, &c);
		rcu_read_unlock();
		e->retry = c.unknown_local > 0;
	}
	atomic_fetch_add(&e->passes, 1);
}

static void *enrich_main(void *arg)
{
	struct enrich *e = arg;
	struct timespec ts;
	uint64_t last_local = 0, now;
	bool due;

	rcu_register_thread();
	util_background(0);
	pthread_mutex_lock(&e->lock);
	while (!e->stop) {
		/* Passes follow the collector's dumps (enrich_kick); the
		 * timer is a fallback.  Waiting first keeps the first pass
		 * off the CPU while the first dump fills the table. */
		if (!e->kicked) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += e->o.interval_ms / 1000;
			ts.tv_nsec += (long)(e->o.interval_ms % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&e->cond, &e->lock, &ts);
		}
		e->kicked = false;
		if (e->stop)
			break;
		pthread_mutex_unlock(&e->lock);
		now = util_now_mono();
		due = !last_local || now - last_local > 10000000000ull;
		if (due)
			last_local = now;
		pass(e, due);
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	rcu_unregister_thread();
	return NULL;
}

int enrich_start(struct enrich **out, struct flow_list *fl,
		 const struct enrich_opts *o)
{
	struct enrich *e = calloc(1, sizeof(*e));
	pthread_condattr_t ca;
	int ret;

	if (!e)
		return -ENOMEM;
	e->fl = fl;
	e->o = *o;
	if (!e->o.interval_ms)
		e->o.interval_ms = 1000;
	pthread_mutex_init(&e->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cond, &ca);
	pthread_condattr_destroy(&ca);
	ret = pthread_create(&e->thread, NULL, enrich_main, e);
	if (ret) {
		free(e);
		return -ret;
	}
	pthread_setname_np(e->thread, "ft-enrich");
	*out = e;
	return 0;
}

void enrich_kick(struct enrich *e)
{
	pthread_mutex_lock(&e->lock);
	e->kicked = true;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

uint64_t enrich_passes(struct enrich *e)
{
	return atomic_load(&e->passes);
}

void enrich_get_stats(struct enrich *e, struct enrich_stats *st)
{
	st->passes = atomic_load(&e->passes);
	st->refreshes = atomic_load(&e->refreshes);
	st->geo_lookups = atomic_load(&e->geo_lookups);
	st->owners_found = atomic_load(&e->owners_found);
}

void enrich_stop(struct enrich *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stop = true;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
	free(e);
}
