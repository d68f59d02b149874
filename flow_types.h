/* flow_types: the plain data of a flow, shared by the collector, the table,
 * enrichment, the filter and the outputs.  Types only: the table's API is in
 * flow_list.h. */
#ifndef FLOWTOP_FLOW_TYPES_H
#define FLOWTOP_FLOW_TYPES_H

#include <stdbool.h>
#include <stdint.h>

struct geo_info;

union flow_addr {
	uint8_t b[16];
	uint32_t w[4];
};

/* One direction of a conntrack entry; ports in host order.  For ICMP the
 * "ports" are 0 and the type/code/id live in struct flow_rec. */
struct flow_tuple {
	union flow_addr src, dst;
	uint16_t sport, dport;
};

/* Bits of flow_rec.have: which optional attributes the kernel sent (a
 * flow keeps them in 8 bits, labels not: flow_impl.h). */
#define FLOW_HAVE_STATE		0x01u
#define FLOW_HAVE_COUNTERS	0x02u
#define FLOW_HAVE_TSTAMP	0x04u
#define FLOW_HAVE_MARK		0x08u
#define FLOW_HAVE_TIMEOUT	0x10u
#define FLOW_HAVE_ZONE		0x20u
#define FLOW_HAVE_ICMP		0x40u
#define FLOW_HAVE_LABELS	0x80u

#define FLOW_LABEL_BYTES	16

/* One conntrack entry as the kernel reported it (parsed, plain data). */
struct flow_rec {
	uint32_t id;			/* CTA_ID */
	uint16_t zone;			/* CTA_ZONE */
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t l4proto;		/* IPPROTO_TCP, _UDP, _UDPLITE, ... */
	struct flow_tuple orig, repl;
	uint8_t icmp_type, icmp_code;	/* original direction */
	uint16_t icmp_id;
	uint8_t state;			/* TCP/SCTP/DCCP state number */
	uint32_t have;			/* FLOW_HAVE_* */
	uint32_t status;		/* IPS_* bits */
	uint32_t mark;
	uint32_t timeout;		/* seconds left */
	uint64_t orig_bytes, orig_pkts, repl_bytes, repl_pkts;
	uint64_t ts_start, ts_stop;	/* CLOCK_REALTIME ns, 0 if unknown */
	uint8_t labels[FLOW_LABEL_BYTES]; /* label n: bit n % 8 of [n / 8] */
};

/* Which flows are shown, so that the collector asks the kernel for those
 * only: the families, and every protocol or those whose bit is set (bit n
 * of protos: IP protocol n). */
struct flow_scope {
	bool ipv4, ipv6;
	bool all_protos;
	uint64_t protos[4];
};

/* Owner of a local socket, as found by proc_lookup. */
struct flow_owner {
	int32_t pid;			/* 0 unknown, -1 not local/none */
	uint32_t uid;
	const char *comm;		/* interned, lives until exit */
	uint8_t local;			/* FLOW_LOCAL_* (set by enrichment) */
};

/* Which end of the original tuple is this host (flow_owner.local). */
#define FLOW_LOCAL_UNKNOWN	0
#define FLOW_LOCAL_SRC		1	/* we opened it: outgoing */
#define FLOW_LOCAL_DST		2	/* it came to us: incoming */
#define FLOW_LOCAL_NONE		3	/* passes through: forwarded */

/* A copy of one flow, taken by a reader: safe to keep after
 * rcu_read_unlock(). */
struct flow_row {
	struct flow_rec rec;
	uint64_t first_seen;		/* CLOCK_MONOTONIC ns */
	uint64_t start;			/* CLOCK_REALTIME ns it began (the
					 * kernel's timestamp), else when
					 * first seen: its age */
	uint64_t closed_at;		/* CLOCK_MONOTONIC ns, 0 if alive */
	double rate_orig, rate_repl;	/* bytes/s over the last interval */
	double rate_orig_10, rate_repl_10; /* ... the last 10 s, and */
	double rate_orig_40, rate_repl_40; /* 40 s (see flow_rate.h) */
	struct flow_owner owner;
	const struct geo_info *geo_src, *geo_dst; /* NULL: unknown */
	const void *handle;		/* the flow, only as an identity */
};

#endif
