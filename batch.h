/* batch: the runs without a screen (-B, -j): when each snapshot is taken
 * and what it waits for. */
#ifndef FLOWTOP_BATCH_H
#define FLOWTOP_BATCH_H

#include <signal.h>
#include <stdbool.h>
#include "output.h"
#include "view.h"

struct collector;
struct enrich;
struct flow_list;

struct batch_opts {
	struct view_opts *view;
	enum output_format format;
	long count;			/* snapshots, 0: for ever */
	unsigned interval_ms;
	/* --rates, --active, -o rate or a rate term: the first snapshot
	 * waits one interval, so that it has them. */
	bool rates_asked;
	volatile sig_atomic_t *quit;
};

/* A single snapshot that needs no rate: no table and no threads (bar the
 * dump's reader), one dump printed at once, rates unknown. */
static inline bool batch_one_shot(const struct batch_opts *b)
{
	return b->count == 1 && !b->rates_asked;
}

/* count snapshots of the table, one per dump; the first after the first
 * dump (its rates unknown), or after the second with rates_asked.
 * Returns the exit status. */
int batch_run(const struct batch_opts *b, struct flow_list *fl,
	      struct collector *col, struct enrich *en);

/* batch_one_shot's snapshot: one dump (collector_start not called), each
 * flow's owner (and GeoIP with geoip) looked up from this thread.
 * Returns the exit status. */
int batch_snapshot(const struct batch_opts *b, struct collector *col,
		   bool geoip);

#endif
