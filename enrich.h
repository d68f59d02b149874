/* enrich: attach process owners and GeoIP to flows, off the screen's and
 * the collector's threads. */
#ifndef FLOWTOP_ENRICH_H
#define FLOWTOP_ENRICH_H

#include <stdbool.h>
#include <stdint.h>

struct flow_list;

struct enrich_opts {
	bool geoip;		/* look up GeoIP (not -G, a database open) */
	bool procs;		/* look up owning processes */
	unsigned interval_ms;
};

struct enrich_stats {
	uint64_t passes;	/* walks over the table */
	uint64_t refreshes;	/* proc_lookup_refresh() calls */
	uint64_t geo_lookups;
	uint64_t owners_found;
};

struct enrich;

int enrich_start(struct enrich **out, struct flow_list *fl,
		 const struct enrich_opts *o);
/* Do a pass now (e.g. right after the first dump); wakes the thread. */
void enrich_kick(struct enrich *e);
/* Completed passes, so -B can wait until the first flows are enriched. */
uint64_t enrich_passes(struct enrich *e);
void enrich_get_stats(struct enrich *e, struct enrich_stats *st);
void enrich_stop(struct enrich *e);

/* A one-shot snapshot has no table and no thread for this: the caller
 * reads the sockets once (enrich_once_begin, 0 or -errno), then fills the
 * owner and GeoIP of each of its rows (from the same thread). */
struct flow_row;
int enrich_once_begin(void);
void enrich_once_row(struct flow_row *row, bool geoip, bool procs);

#endif
