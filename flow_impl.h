/* flow_impl.h: what flow_list.c and flow_store.c share: the flow as stored,
 * the table, and the store's functions.  Included by those two only. */
#ifndef FLOWTOP_FLOW_IMPL_H
#define FLOWTOP_FLOW_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <urcu.h>

#include "flow_list.h"
#include "flow_rate.h"

/* flow.flags: FLOW_RATE_F_* below 0x20, and: */
#define FLOW_F_MARK	0x20u	/* its mark is not 0 (line 2 stays cold) */
#define FLOW_F_DESTROYED 0x40u	/* closed by a DESTROY event: a dump
				 * that began before it cannot reopen it */
#define FLOW_F_EVENT	0x80u	/* made by an event: its first counters
				 * count (it began after we started) */

struct owner_box {
	struct flow_owner o;
	struct rcu_head rcu;
};

/* 192 bytes, laid out by cache line, since a dump touches every flow once
 * and a miss costs more than the work: line 0 is what a lookup compares
 * and what the end of a scan reads, lines 0 and 1 what every dump writes
 * and what a re-sort reads, line 2 what only a row on the screen needs.  262,144 of them (a full table on a
 * small router) take 48 MiB.  ICMP keeps its id, type and code where the
 * ports go (as the kernel's tuple does); GeoIP answers are numbers
 * (store_geo_at), four bytes each. */
struct flow {
	/* line 0: identity, written once before publishing, and the state */
	uint32_t id;			/* on the free list: the next slot */
	uint16_t zone;
	uint8_t family, l4proto;
	union flow_addr osrc, odst;
	uint16_t sport, dport;		/* ICMP: id, type << 8 | code */
	_Atomic uint32_t status, timeout;
	_Atomic uint32_t closed;	/* store_ms() when closed, 0 if alive */
	_Atomic uint8_t live;		/* in the table: readers may look */
	_Atomic uint8_t state;
	_Atomic uint8_t have;		/* FLOW_HAVE_*, labels never */
	_Atomic uint8_t rate_seq;	/* the rates' checkpoint number */
	_Atomic uint8_t geo_done;
	uint8_t scan;			/* writer only: last scan that saw it */
	uint8_t flags;			/* writer only: FLOW_F_*, rate bits */
	uint8_t spare;

	/* line 1: counters and rates, refreshed by every dump; the start */
	_Atomic uint64_t orig_bytes, orig_pkts, repl_bytes, repl_pkts;
	struct flow_rate_cell rates;
	_Atomic uint64_t start;		/* flow_row.start */

	/* line 2: the reply tuple, what enrichment found, first seen */
	union flow_addr rsrc, rdst;
	uint16_t rsport, rdport;
	_Atomic uint32_t mark;
	_Atomic uint32_t geo_src, geo_dst;
	_Atomic(struct owner_box *) owner;
	uint64_t first_seen;
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct flow) == 192, "a flow is three cache lines");
_Static_assert(offsetof(struct flow, orig_bytes) == 64 &&
	       offsetof(struct flow, rsrc) == 128,
	       "each group on its own cache line");

/* Flows live in 64 KiB slabs aligned on their size, so that a flow finds
 * its table from the slab's first cache line; a flow's number is its
 * slab's number << STORE_SLAB_SHIFT | its place in the slab. */
#define STORE_SLAB_BYTES	65536u
#define STORE_SLAB_FLOWS	((STORE_SLAB_BYTES - 64) / sizeof(struct flow))
#define STORE_SLAB_SHIFT	9
#define STORE_MAX_SLABS		32768u		/* 11 million flows */
#define STORE_NONE		UINT32_MAX	/* no flow number */

/* GeoIP answers get numbers when first stored (never freed: geoip.c
 * interns them for the program's life). */
#define STORE_GEO_CHUNK		1024u
#define STORE_GEO_CHUNKS	4096u

struct store_geo_map {
	const struct geo_info *g;
	uint32_t no;
};

/* A closed flow waiting to be reaped, in closing order. */
struct store_closed {
	uint32_t no, ms;
};

struct flow_list {
	/* The slabs: the table never moves, so readers walk it unlocked. */
	_Atomic size_t n_slabs;
	char *slabs[STORE_MAX_SLABS];
	uint32_t free;			/* writer's free slots, linked by id */
	pthread_mutex_t free_lock;	/* call_rcu's thread frees into: */
	uint32_t freed;
	uint32_t *retired;		/* removed, freed after a grace period */
	size_t n_retired, retired_cap;

	/* The writer's index: open addressing on flow numbers (the low 24
	 * bits, + 1; 0 is empty) with 8 bits of the hash above them. */
	uint32_t *ht;
	size_t ht_mask, ht_used;

	/* Closed flows, oldest first, for reaping without a walk. */
	struct store_closed *cq;
	size_t cq_head, cq_tail, cq_cap;

	_Atomic size_t count, closed;
	_Atomic uint64_t inserts;	/* flows added since start */
	_Atomic uint64_t last_now;	/* the writer's latest time */
	_Atomic uint64_t changes;	/* flows added, closed or removed */
	uint64_t real_off;	/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	uint32_t scan;
	bool in_scan;
	bool fill;		/* this scan fills an empty table */
	/* The kernel dumps in the same order each time (hash bucket order,
	 * stable until it resizes), so the previous dump predicts which flow
	 * comes next: one compare instead of a hash lookup's cache misses. */
	uint32_t *hint, *next_hint;
	size_t hint_n, next_n, hint_cap, hint_pos;
	bool timed;		/* this scan's time is on the rate clock */
	bool measuring;		/* ... and its counters give rates */
	uint64_t last_scan_t;	/* when the last complete scan began */
	struct flow_rate_clock clock;

	pthread_mutex_t geo_lock;
	_Atomic(const struct geo_info **) geo_chunk[STORE_GEO_CHUNKS];
	uint32_t geo_n;
	struct store_geo_map *geo_map;
	size_t geo_mask;
};

/* flow_store.c: slabs, numbers, the writer's index, retiring, geo. */
int store_init(struct flow_list *fl);
void store_fini(struct flow_list *fl);
static inline struct flow *store_at(const struct flow_list *fl, uint32_t no)
{
	return (struct flow *)(fl->slabs[no >> STORE_SLAB_SHIFT] + 64) +
	       (no & ((1u << STORE_SLAB_SHIFT) - 1));
}
uint32_t store_no(const struct flow *f);
struct flow_list *store_list(const struct flow *f);
struct flow *store_alloc(struct flow_list *fl);
void store_unalloc(struct flow_list *fl, struct flow *f);
uint64_t store_hash_rec(const struct flow_rec *r);
struct flow *store_find(struct flow_list *fl, const struct flow_rec *r,
			uint64_t h);
int store_index(struct flow_list *fl, struct flow *f, uint64_t h);
void store_unindex(struct flow_list *fl, struct flow *f);
bool store_same(const struct flow *f, const struct flow_rec *r);
void store_retire(struct flow_list *fl, struct flow *f);
void store_retire_flush(struct flow_list *fl);
struct owner_box *store_owner_box(const struct flow_owner *o);
void store_owner_drop(struct owner_box *b);
uint32_t store_geo_no(struct flow_list *fl, const struct geo_info *g);
const struct geo_info *store_geo_at(const struct flow_list *fl,
				    uint32_t no);
/* Milliseconds of CLOCK_MONOTONIC modulo 2^32, rounded up, never 0: a
 * closed flow is reaped within seconds, far from a wrap. */
static inline uint32_t store_ms(uint64_t ns)
{
	uint32_t ms = (uint32_t)((ns + 999999) / 1000000);

	return ms ? ms : 1;
}
/* How the ICMP fields fold into the ports. */
static inline bool store_icmp(uint8_t l4proto)
{
	return l4proto == 1 || l4proto == 58;
}

#endif
