/* offload: the flows a flowtable has offloaded, and whether their counters
 * move.  Fed by the collector with every dumped entry; collector only. */
#ifndef FLOWTOP_OFFLOAD_H
#define FLOWTOP_OFFLOAD_H

#include <stdint.h>
#include "flow_types.h"

/* What the last complete dump showed. */
struct offload_stats {
	uint64_t flows;		/* IPS_OFFLOAD or IPS_HW_OFFLOAD set */
	uint64_t hw;		/* of them, IPS_HW_OFFLOAD */
	uint64_t frozen;	/* offloaded longer than the flowtable keeps
				 * an idle flow, and not a byte counted */
	uint64_t moving;	/* counters moved while offloaded */
};

struct offload;

/* What a flowtable waits for a packet before it gives a flow back
 * (NF_FLOW_TIMEOUT), unless nf_flowtable_*_timeout say otherwise. */
#define OFFLOAD_IDLE_DEFAULT_NS	(30ull * 1000000000ull)

int offload_create(struct offload **out);
void offload_destroy(struct offload *o);
/* How long a flow must stay offloaded, counters still, to prove that
 * they are not counted: longer than the flowtable keeps an idle flow. */
void offload_set_idle(struct offload *o, uint64_t ns);
/* Read the flowtable timeouts under root (a /proc/sys/net/netfilter);
 * returns the longest in ns, the default when the kernel has none. */
uint64_t offload_idle_from(const char *sysctl_root);

/* One dump: begin, every entry, end (a failed dump: abort). */
void offload_begin(struct offload *o);
void offload_see(struct offload *o, const struct flow_rec *r, uint64_t now);
void offload_end(struct offload *o, uint64_t now, struct offload_stats *st);
void offload_abort(struct offload *o);

#endif
