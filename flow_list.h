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

/* Writer side: collector thread only. */
uint32_t flow_list_begin_scan(struct flow_list *fl);
void flow_list_abort_scan(struct flow_list *fl);
int flow_list_update(struct flow_list *fl, const struct flow_rec *rec,
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
/* Flows in the table, closed ones too; and only those still open. */
size_t flow_list_count(const struct flow_list *fl);
size_t flow_list_live(const struct flow_list *fl);
/* Flows added since start: lets enrichment skip a walk when none came. */
uint64_t flow_list_inserts(const struct flow_list *fl);

#endif
