/* offload: the flows a flowtable has offloaded, and whether their counters
 * move.
 *
 * An nftables flowtable forwards an offloaded flow itself, past conntrack:
 * the entry's counters move only if the flowtable has the `counter` flag
 * (nf_flow_table_ip.c then calls nf_ct_acct_update(); hardware offload
 * adds the device's statistics the same way).  Nothing in the entry says
 * whether it has.  But a flowtable gives a flow back to conntrack once it
 * has seen no packet for its timeout (30 s, nf_flowtable_*_timeout), and
 * clears IPS_OFFLOAD then: a flow seen offloaded for longer than that has
 * carried packets meanwhile.  If its counters did not move, they count
 * nothing.  One such flow is the evidence the screen states once.
 *
 * Each dump builds a new table of the offloaded entries from the last one
 * (keyed by zone and conntrack id), so flows that are gone or no longer
 * offloaded drop out without a sweep.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "offload.h"

struct ofl_entry {
	uint32_t id;
	uint16_t zone;
	uint8_t used, moved;
	uint64_t since;		/* first seen offloaded, CLOCK_MONOTONIC */
	uint64_t bytes, pkts;	/* then, both directions */
};

struct ofl_table {
	struct ofl_entry *e;
	size_t cap, n;		/* cap a power of two, or 0 */
};

struct offload {
	struct ofl_table cur, next;
	uint64_t idle_ns;
	uint64_t flows, hw;
};

int offload_create(struct offload **out)
{
	struct offload *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	o->idle_ns = OFFLOAD_IDLE_DEFAULT_NS;
	*out = o;
	return 0;
}

void offload_destroy(struct offload *o)
{
	if (!o)
		return;
	free(o->cur.e);
	free(o->next.e);
	free(o);
}

void offload_set_idle(struct offload *o, uint64_t ns)
{
	o->idle_ns = ns;
}

uint64_t offload_idle_from(const char *root)
{
	static const char *const names[] = {
		"nf_flowtable_tcp_timeout", "nf_flowtable_udp_timeout",
	};
	uint64_t best = 0;
	unsigned long v;
	char path[512];
	FILE *f;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%lu", &v) == 1 && v * 1000000000ull > best)
			best = v * 1000000000ull;
		fclose(f);
	}
	return best ? best : OFFLOAD_IDLE_DEFAULT_NS;
}

static size_t ofl_slot(const struct ofl_table *t, uint32_t id, uint16_t zone)
{
	uint64_t h = ((uint64_t)zone << 32 | id) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (t->cap - 1);
}

static struct ofl_entry *ofl_find(const struct ofl_table *t, uint32_t id,
				  uint16_t zone)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = ofl_slot(t, id, zone); t->e[i].used;
	     i = (i + 1) & (t->cap - 1))
		if (t->e[i].id == id && t->e[i].zone == zone)
			return &t->e[i];
	return NULL;
}

/* Room for one more at half load; false if memory ran out (the entry is
 * then not tracked: no evidence, never a false one). */
static bool ofl_reserve(struct ofl_table *t)
{
	struct ofl_table big;
	size_t i, j;

	if (t->cap && (t->n + 1) * 2 <= t->cap)
		return true;
	big.cap = t->cap ? t->cap * 2 : 64;
	big.n = t->n;
	big.e = calloc(big.cap, sizeof(*big.e));
	if (!big.e)
		return false;
	for (i = 0; i < t->cap; i++) {
		if (!t->e[i].used)
			continue;
		for (j = ofl_slot(&big, t->e[i].id, t->e[i].zone);
		     big.e[j].used; j = (j + 1) & (big.cap - 1))
			;
		big.e[j] = t->e[i];
	}
	free(t->e);
	*t = big;
	return true;
}

static void ofl_clear(struct ofl_table *t)
{
	if (t->cap)
		memset(t->e, 0, t->cap * sizeof(*t->e));
	t->n = 0;
}

void offload_begin(struct offload *o)
{
	ofl_clear(&o->next);
	o->flows = 0;
	o->hw = 0;
}

void offload_see(struct offload *o, const struct flow_rec *r, uint64_t now)
{
	const struct ofl_entry *old;
	struct ofl_entry *e;
	uint64_t bytes = r->orig_bytes + r->repl_bytes;
	uint64_t pkts = r->orig_pkts + r->repl_pkts;
	size_t i;

	if (!(r->status & (IPS_OFFLOAD | IPS_HW_OFFLOAD)))
		return;
	o->flows++;
	if (r->status & IPS_HW_OFFLOAD)
		o->hw++;
	/* Without accounting there is nothing to judge. */
	if (!(r->have & FLOW_HAVE_COUNTERS))
		return;
	if (ofl_find(&o->next, r->id, r->zone) || !ofl_reserve(&o->next))
		return;
	for (i = ofl_slot(&o->next, r->id, r->zone); o->next.e[i].used;
	     i = (i + 1) & (o->next.cap - 1))
		;
	e = &o->next.e[i];
	old = ofl_find(&o->cur, r->id, r->zone);
	if (old) {
		*e = *old;
		e->moved |= bytes != old->bytes || pkts != old->pkts;
	} else {
		e->id = r->id;
		e->zone = r->zone;
		e->used = 1;
		e->since = now;
		e->bytes = bytes;
		e->pkts = pkts;
	}
	o->next.n++;
}

void offload_end(struct offload *o, uint64_t now, struct offload_stats *st)
{
	struct ofl_table t = o->cur;
	size_t i;

	o->cur = o->next;
	o->next = t;
	memset(st, 0, sizeof(*st));
	st->flows = o->flows;
	st->hw = o->hw;
	for (i = 0; i < o->cur.cap; i++) {
		const struct ofl_entry *e = &o->cur.e[i];

		if (!e->used)
			continue;
		if (e->moved)
			st->moving++;
		else if (now - e->since > o->idle_ns)
			st->frozen++;
	}
}

void offload_abort(struct offload *o)
{
	ofl_clear(&o->next);
}
