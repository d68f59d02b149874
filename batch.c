/* batch: the runs without a screen (-B, -j).
 *
 * A stream of snapshots reads the table the collector keeps, one snapshot
 * per dump.  A single snapshot that needs no rate (a script's "what is
 * there now", flowtop -j -c 1) skips the table: one dump is read into a
 * plain array of entries (what a conntrack entry says and no more: no
 * rates, no hash, no slabs), owners and GeoIP are looked up from this
 * thread, and the rows are sorted and printed.  That is as much work as
 * conntrack -L does, and a third of the table's memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "collector.h"
#include "dns.h"
#include "enrich.h"
#include "flow_list.h"
#include "lan.h"
#include "util.h"

static void wait_until(const struct batch_opts *b, bool (*done)(void *),
		       void *arg, uint64_t max_ns)
{
	uint64_t end = util_now_mono() + max_ns;
	struct timespec ts = { 0, 10000000 };

	while (!*b->quit && !done(arg) && util_now_mono() < end)
		nanosleep(&ts, NULL);
}

struct scans_arg {
	struct collector *c;
	uint64_t want;
};

static bool scans_done(void *p)
{
	struct scans_arg *a = p;

	return collector_scans(a->c) >= a->want;
}

struct passes_arg {
	struct enrich *e;
	uint64_t want;
};

static bool passes_done(void *p)
{
	struct passes_arg *a = p;

	return !a->e || enrich_passes(a->e) >= a->want;
}

static bool names_done(void *p)
{
	(void)p;
	return dns_pending() == 0;
}

static bool lan_done(void *p)
{
	(void)p;
	return lan_passes() > 0;
}

/* What a run last said of the kernel's table. */
struct table_said {
	bool known, full;
	uint64_t insert_failed, drop;
};

/* The screen's header shows these; a batch run says on stderr when the
 * table fills, when its failure counters move while it is full, and when
 * it has room again. */
static void batch_table(struct collector *col, struct table_said *t)
{
	struct collector_stats st;
	bool full;

	collector_get_stats(col, &st);
	full = st.ct_max && st.ct_count >= st.ct_max;
	/* Counts from before we started are not news; a full table is. */
	if (!t->known) {
		t->known = true;
		t->insert_failed = st.insert_failed;
		t->drop = st.drop;
		if (!full)
			return;
	} else if (full == t->full && (!full || (st.insert_failed ==
		   t->insert_failed && st.drop == t->drop))) {
		/* Unchanged, or not full: a clash now and then is no news. */
		t->insert_failed = st.insert_failed;
		t->drop = st.drop;
		return;
	}
	fprintf(stderr, "flowtop: the conntrack table %s (%llu of %llu "
		"entries)%s; insert_failed %llu drop %llu\n",
		full ? "is full" : "has room again",
		(unsigned long long)st.ct_count, (unsigned long long)st.ct_max,
		full ? ": new connections are dropped" : "",
		(unsigned long long)st.insert_failed,
		(unsigned long long)st.drop);
	t->full = full;
	t->insert_failed = st.insert_failed;
	t->drop = st.drop;
}

/* Once a run, when work was not done for want of descriptors. */
static void batch_fd_short(bool *said)
{
	char why[128];

	if (!*said && util_fd_short_text(why, sizeof(why))) {
		fprintf(stderr, "flowtop: %s\n", why);
		*said = true;
	}
}

int batch_run(const struct batch_opts *b, struct flow_list *fl,
	      struct collector *col, struct enrich *en)
{
	uint64_t ival = (uint64_t)b->interval_ms * 1000000ull;
	struct scans_arg sa = { .c = col };
	struct passes_arg pa = { .e = en };
	struct view_opts *o = b->view;
	struct table_said table = { .known = false };
	bool fd_said = false;

	/* Rates need two dumps one interval apart: wait for the second
	 * only when they are asked for; else the first snapshot comes at
	 * once and says its rates are unknown. */
	sa.want = b->rates_asked ? 2 : 1;
	o->rates_unknown = !b->rates_asked;
	for (long i = 0; !*b->quit && (b->count == 0 || i < b->count); i++) {
		wait_until(b, scans_done, &sa, ival * 3 + 5000000000ull);
		if (en) {
			pa.want = enrich_passes(en) + 1;
			enrich_kick(en);
			wait_until(b, passes_done, &pa, 5000000000ull);
		}
		/* Device names: the first read of the leases and neighbours. */
		wait_until(b, lan_done, NULL, 2000000000ull);
		if (!o->no_dns && output_prefetch_names(fl, o))
			wait_until(b, names_done, NULL, ival);
		batch_table(col, &table);
		/* Before the first snapshot that lacks something. */
		batch_fd_short(&fd_said);
		if (output_snapshot(stdout, fl, o, b->format) < 0 ||
		    ferror(stdout))
			return 1;
		if (b->format == OUTPUT_TEXT && (b->count == 0 ||
						 i + 1 < b->count))
			putchar('\n');
		o->rates_unknown = false;
		sa.want = collector_scans(col) + 1;
	}
	return 0;
}

/* --- one snapshot without the table -------------------------------------- */

struct snap {
	const struct batch_opts *b;
	struct flow_rec *recs;
	size_t n, cap;
	uint64_t taken;		/* CLOCK_MONOTONIC of the dump */
	bool geoip, procs;
	bool failed;
};

static int snap_add(const struct flow_rec *rec, void *arg)
{
	struct snap *s = arg;
	struct flow_rec *r;
	size_t cap;

	/* What needs nothing but the entry is decided now: -T alone
	 * keeps only TCP. */
	if (!view_shown(s->b->view, rec))
		return 0;
	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 4096;
		r = realloc(s->recs, cap * sizeof(*r));
		if (!r) {
			s->failed = true;
			return 1;
		}
		s->recs = r;
		s->cap = cap;
	}
	s->recs[s->n] = *rec;
	/* Labels are not printed (the table does not keep them either). */
	memset(s->recs[s->n].labels, 0, sizeof(rec->labels));
	s->n++;
	return 0;
}

static void snap_row(size_t i, struct flow_row *row, void *arg)
{
	struct snap *s = arg;

	*row = (struct flow_row){ .rec = s->recs[i], .first_seen = s->taken };
	enrich_once_row(row, s->geoip, s->procs);
}

struct names_arg {
	const struct view_opts *o;
	size_t unknown;
};

static int snap_names(const struct flow_row *row, void *arg)
{
	struct names_arg *a = arg;

	a->unknown += output_prefetch_row(row, a->o);
	return 0;
}

int batch_snapshot(const struct batch_opts *b, struct collector *col,
		   bool geoip)
{
	struct snap s = { .b = b, .geoip = geoip, .procs = true };
	struct view_opts *o = b->view;
	struct names_arg na = { .o = o };
	struct collector_stats st;
	struct output *op;
	long n, end;
	int ret;

	/* The kernel's count says how many entries come (and the array
	 * never doubles past them). */
	collector_get_stats(col, &st);
	s.cap = st.ct_count + st.ct_count / 16 + 64;
	s.recs = malloc(s.cap * sizeof(*s.recs));
	if (!s.recs)
		s.cap = 0;
	s.taken = util_now_mono();
	ret = collector_dump_each(col, snap_add, &s);
	if (ret || s.failed) {
		fprintf(stderr, "flowtop: cannot read the conntrack table: "
			"%s\n", strerror(s.failed ? ENOMEM : -ret));
		free(s.recs);
		return 1;
	}
	batch_table(col, &(struct table_said){ .known = false });
	o->rates_unknown = true;
	enrich_once_begin();
	wait_until(b, lan_done, NULL, 2000000000ull);
	if (!o->no_dns) {
		view_each_row(o, s.n, snap_row, &s, snap_names, &na);
		if (na.unknown)
			wait_until(b, names_done, NULL,
				   (uint64_t)b->interval_ms * 1000000ull);
	}
	op = output_begin(stdout, o, b->format);
	n = op ? view_each_row(o, s.n, snap_row, &s, output_row, op) :
		 -ENOMEM;
	if (op && (end = output_end(op)) < 0)
		n = end;
	/* The lookups ran with the output: said after it. */
	batch_fd_short(&(bool){ false });
	free(s.recs);
	return n < 0 || ferror(stdout) ? 1 : 0;
}
