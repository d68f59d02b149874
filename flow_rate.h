/* flow_rate: a flow's byte rates over the last interval, 10 s and 40 s,
 * from a few coarse counter samples per flow.
 *
 * Every dump measures each flow's bytes since the dump before.  A shared
 * clock makes a checkpoint every 10 s or so (at a dump); per flow and
 * direction we keep the bytes since the newest checkpoint and the bytes
 * of each of the FLOW_RATE_BINS checkpoint intervals before it, as 16-bit
 * floats (12 significant bits), and the rate of the last interval.  A
 * window's rate is the bytes of the intervals it covers (the oldest one
 * pro rata) over its length, measured up to the last dump.
 */
#ifndef FLOWTOP_FLOW_RATE_H
#define FLOWTOP_FLOW_RATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Checkpoint intervals kept per flow: four of ~10 s cover 40 s. */
#define FLOW_RATE_BINS		4
#define FLOW_RATE_CK_NS		10000000000ull
/* Two dumps closer than this give no useful rate (e.g. a kicked dump). */
#define FLOW_RATE_MIN_DT_NS	200000000ull
/* Checkpoint times the clock remembers (a power of two > BINS). */
#define FLOW_RATE_RING		8

/* The shared clock: one per table, written by the collector thread only
 * (at the start of each dump), read by anyone (a sequence lock). */
struct flow_rate_clock {
	_Atomic uint32_t gen;		/* odd while the writer changes it */
	_Atomic uint32_t n_ck;		/* checkpoints made */
	_Atomic uint64_t dump_t;	/* last measuring dump (monotonic) */
	_Atomic uint64_t prev_t;	/* the one before it, 0 if none */
	_Atomic uint64_t ck_t[FLOW_RATE_RING];	/* by checkpoint number */
};

/* A reader's consistent copy of the clock. */
struct flow_rate_time {
	uint32_t n_ck;
	uint64_t dump_t, prev_t;
	uint64_t ck_t[FLOW_RATE_BINS + 1];	/* newest first */
};

/* Per flow: [direction][0] the last interval's rate (bytes/s),
 * [1] bytes since checkpoint seq, [2 + i] bytes of the i-th interval
 * before it; all 16-bit floats.  24 bytes. */
struct flow_rate_cell {
	_Atomic uint16_t v[2][2 + FLOW_RATE_BINS];
};

/* The writer's bits about a cell (kept beside it, not read by others). */
#define FLOW_RATE_F_NOW		0x01u	/* the interval's rate is not 0 */
#define FLOW_RATE_F_BINS	0x02u	/* some byte count is not 0 */

/* 16-bit floats: integers to 4095 exact, then 12 significant bits. */
uint16_t flow_rate_enc(double v);
double flow_rate_dec(uint16_t x);

void flow_rate_clock_init(struct flow_rate_clock *c);
/* A dump begins at now (CLOCK_MONOTONIC, never 0): false if it comes too
 * soon after the last to measure (its counters are then not taken). */
bool flow_rate_clock_dump(struct flow_rate_clock *c, uint64_t now);
void flow_rate_clock_read(const struct flow_rate_clock *c,
			  struct flow_rate_time *t);

/* Writer: add bytes[dir] that moved since the counters were last taken.
 * With dump true they were taken by the current dump, and the interval's
 * rate is set from them (0 for no bytes); else (a flow's last counters,
 * from its destroy event) only the byte counts grow.  *seq and *flags
 * are the cell's checkpoint number and FLOW_RATE_F_* bits. */
void flow_rate_add(struct flow_rate_cell *rc, _Atomic uint8_t *seq,
		   uint8_t *flags, const struct flow_rate_clock *c,
		   const uint64_t bytes[2], bool dump);
/* Writer, for a flow whose counters did not move in this dump: clear its
 * interval rate, and its byte counts once they are too old to matter. */
void flow_rate_idle(struct flow_rate_cell *rc, _Atomic uint8_t *seq,
		    uint8_t *flags, const struct flow_rate_clock *c);

/* Reader: the rates of both directions over the last interval and the
 * windows of 10 s and 40 s, bytes/s, for a flow whose bytes count since
 * begin (when we first saw it), as of the last dump. */
void flow_rate_get(const struct flow_rate_cell *rc, uint8_t seq,
		   uint64_t begin, const struct flow_rate_time *t,
		   double now[2], double w10[2], double w40[2]);

#endif
