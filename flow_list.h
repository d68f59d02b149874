/* flow_list: the table of conntrack flows, one writer, RCU readers. */
#ifndef FLOWTOP_FLOW_LIST_H
#define FLOWTOP_FLOW_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_types.h"

struct flow_list;
struct flow;

/* Lifetime, from the main thread. */
int flow_list_create(struct flow_list **out);
void flow_list_destroy(struct flow_list *fl);

/* Writer side: collector thread only.  Between begin_scan and end_scan
 * (or abort_scan), flow_list_update takes the dump's entries, in the
 * kernel's order; outside, and for events at any time, flow_list_event
 * and flow_list_close (DESTROY).  update and event return 1 for a new
 * flow, 0 for a known one, or -ENOMEM; close 0 or -ENOENT. */
uint32_t flow_list_begin_scan(struct flow_list *fl);
void flow_list_abort_scan(struct flow_list *fl);
int flow_list_update(struct flow_list *fl, const struct flow_rec *rec,
		     uint64_t now);
int flow_list_event(struct flow_list *fl, const struct flow_rec *rec,
		    uint64_t now);
int flow_list_close(struct flow_list *fl, const struct flow_rec *rec,
		    uint64_t now);
size_t flow_list_end_scan(struct flow_list *fl, uint32_t scan,
			  uint64_t now, uint64_t reap_before);
/* Remove the flows closed at or before `before` (CLOCK_MONOTONIC ns);
 * returns how many. */
size_t flow_list_reap(struct flow_list *fl, uint64_t before);

/* Enrichment side: any thread, under rcu_read_lock(). */
void flow_set_owner(struct flow *f, const struct flow_owner *o);
void flow_set_geo(struct flow *f, const struct geo_info *src,
		  const struct geo_info *dst);
bool flow_geo_done(const struct flow *f);
bool flow_owner_done(const struct flow *f);

/* Reader side: any thread, under rcu_read_lock(). */
typedef int (*flow_visit_fn)(struct flow *f, void *arg);
int flow_list_for_each(struct flow_list *fl, flow_visit_fn fn, void *arg);
void flow_snapshot(const struct flow *f, struct flow_row *row);
/* Only some of a row, for a walk that decides on few fields; the rest
 * of the row is zero.  BASE (always): identity, state, counters, start,
 * closed_at, handle; RATES: the rates; REST: the reply tuple, mark,
 * owner, GeoIP, first_seen. */
#define FLOW_ROW_BASE	0x0u
#define FLOW_ROW_RATES	0x1u
#define FLOW_ROW_REST	0x2u
#define FLOW_ROW_ALL	(FLOW_ROW_RATES | FLOW_ROW_REST)
void flow_snapshot_part(const struct flow *f, struct flow_row *row,
			unsigned parts);
/* Flows in the table, closed ones too; and only those still open. */
size_t flow_list_count(const struct flow_list *fl);
size_t flow_list_live(const struct flow_list *fl);
/* Flows added since start: lets enrichment skip a walk when none came. */
uint64_t flow_list_inserts(const struct flow_list *fl);
/* Changes to the set of flows (added, closed, reopened, removed) since
 * start: a screen with a long interval redraws when they happen. */
uint64_t flow_list_changes(const struct flow_list *fl);

#endif
