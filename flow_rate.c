/* flow_rate: byte rates over the last interval and windows of 10 s and
 * 40 s, from counter samples at shared checkpoints (see flow_rate.h).
 *
 * Memory decides the shape: at 262,144 flows every byte of a flow counts,
 * so a flow keeps six 16-bit floats a direction and one checkpoint number,
 * and the times live once, in the clock.  An idle flow is not written at
 * all: a reader shifts its byte counts by the checkpoints made since the
 * writer last touched it.
 */
#include <math.h>
#include <string.h>

#include "flow_rate.h"

#define RLD(x) atomic_load_explicit(&(x), memory_order_relaxed)
#define RST(x, v) atomic_store_explicit(&(x), (v), memory_order_relaxed)

#define NB	FLOW_RATE_BINS
#define NV	(2 + FLOW_RATE_BINS)

/* e = 0: the value is m (0..2047); else (2048 + m) * 2^(e - 1). */
uint16_t flow_rate_enc(double v)
{
	double s;
	int e;

	if (!(v > 0))
		return 0;
	if (v < 2047.5)
		return (uint16_t)(v + 0.5);
	/* v = f * 2^e with f in [0.5, 1): 12 significant bits are
	 * f * 4096 in [2048, 4096), the exponent field e - 11. */
	s = frexp(v, &e);
	s = floor(s * 4096.0 + 0.5);
	if (s >= 4096.0) {
		s = 2048.0;
		e++;
	}
	e -= 11;
	if (e > 31)
		return 0xffff;
	return (uint16_t)(e << 11 | ((unsigned)s - 2048u));
}

double flow_rate_dec(uint16_t x)
{
	unsigned e = x >> 11, m = x & 2047u;

	return e ? ldexp(2048.0 + m, (int)e - 1) : (double)m;
}

void flow_rate_clock_init(struct flow_rate_clock *c)
{
	memset(c, 0, sizeof(*c));
}

bool flow_rate_clock_dump(struct flow_rate_clock *c, uint64_t now)
{
	uint64_t last = RLD(c->dump_t);
	uint32_t n = RLD(c->n_ck);

	if (last && (now <= last || now - last < FLOW_RATE_MIN_DT_NS))
		return false;
	atomic_fetch_add_explicit(&c->gen, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	if (!last) {
		/* The first dump is checkpoint 0: nothing is known before. */
		for (int i = 0; i < FLOW_RATE_RING; i++)
			RST(c->ck_t[i], now);
	} else if (last - RLD(c->ck_t[n % FLOW_RATE_RING]) >=
		   FLOW_RATE_CK_NS) {
		/* The bytes counted so far were sampled by the last dump:
		 * that is the checkpoint's time. */
		RST(c->ck_t[(n + 1) % FLOW_RATE_RING], last);
		RST(c->n_ck, n + 1);
	}
	RST(c->prev_t, last);
	RST(c->dump_t, now);
	atomic_fetch_add_explicit(&c->gen, 1, memory_order_release);
	return true;
}

void flow_rate_clock_read(const struct flow_rate_clock *c,
			  struct flow_rate_time *t)
{
	uint32_t g1, g2, n;

	for (;;) {
		g1 = atomic_load_explicit(&c->gen, memory_order_acquire);
		if (g1 & 1)
			continue;	/* a few stores: spin */
		n = RLD(c->n_ck);
		t->n_ck = n;
		t->dump_t = RLD(c->dump_t);
		t->prev_t = RLD(c->prev_t);
		/* Before checkpoint 0 there is nothing: zero-length slots. */
		for (uint32_t k = 0; k <= NB; k++)
			t->ck_t[k] = RLD(c->ck_t[(k <= n ? n - k : 0) %
						 FLOW_RATE_RING]);
		atomic_thread_fence(memory_order_acquire);
		g2 = atomic_load_explicit(&c->gen, memory_order_relaxed);
		if (g1 == g2)
			return;
	}
}

static bool counts_zero(const struct flow_rate_cell *rc)
{
	for (int d = 0; d < 2; d++)
		for (int i = 1; i < NV; i++)
			if (RLD(rc->v[d][i]))
				return false;
	return true;
}

/* Shift the byte counts by lag checkpoints: the count since the old
 * checkpoint becomes a closed interval's, the oldest fall off. */
static void rotate(struct flow_rate_cell *rc, unsigned lag, uint8_t *flags)
{
	if (!(*flags & FLOW_RATE_F_BINS))
		return;
	for (int d = 0; d < 2; d++)
		for (int i = NB; i >= 0; i--)
			RST(rc->v[d][1 + i], (unsigned)i >= lag ?
			    RLD(rc->v[d][1 + i - (int)lag]) : 0);
	if (counts_zero(rc))
		*flags &= (uint8_t)~FLOW_RATE_F_BINS;
}

static void catch_up(struct flow_rate_cell *rc, _Atomic uint8_t *seq,
		     uint8_t *flags, const struct flow_rate_clock *c)
{
	uint8_t cur = (uint8_t)RLD(c->n_ck);
	uint8_t lag = (uint8_t)(cur - RLD(*seq));

	if (!lag)
		return;
	rotate(rc, lag, flags);
	RST(*seq, cur);
}

void flow_rate_add(struct flow_rate_cell *rc, _Atomic uint8_t *seq,
		   uint8_t *flags, const struct flow_rate_clock *c,
		   const uint64_t bytes[2], bool dump)
{
	uint64_t ival = RLD(c->dump_t) - RLD(c->prev_t);
	bool moving = false;
	uint16_t r;

	catch_up(rc, seq, flags, c);
	for (int d = 0; d < 2; d++) {
		if (dump && RLD(c->prev_t)) {
			r = flow_rate_enc((double)bytes[d] * 1e9 / ival);
			RST(rc->v[d][0], r);
			moving |= r != 0;
		}
		if (bytes[d]) {
			RST(rc->v[d][1], flow_rate_enc(
				flow_rate_dec(RLD(rc->v[d][1])) + bytes[d]));
			*flags |= FLOW_RATE_F_BINS;
		}
	}
	if (dump)
		*flags = (uint8_t)((*flags & ~FLOW_RATE_F_NOW) |
				   (moving ? FLOW_RATE_F_NOW : 0));
}

void flow_rate_idle(struct flow_rate_cell *rc, _Atomic uint8_t *seq,
		    uint8_t *flags, const struct flow_rate_clock *c)
{
	if (*flags & FLOW_RATE_F_NOW) {
		RST(rc->v[0][0], 0);
		RST(rc->v[1][0], 0);
		*flags &= (uint8_t)~FLOW_RATE_F_NOW;
	}
	/* Readers shift the counts themselves; only before the 8-bit
	 * checkpoint number could wrap must they go. */
	if ((*flags & FLOW_RATE_F_BINS) &&
	    (uint8_t)((uint8_t)RLD(c->n_ck) - RLD(*seq)) > NB)
		catch_up(rc, seq, flags, c);
}

/* Bytes of slot k (0: since the newest checkpoint, k: the k-th interval
 * before it) that fall after ws, the flow counting since begin. */
static double slot_bytes(double bytes, unsigned k, uint64_t ws,
			 uint64_t begin, const struct flow_rate_time *t)
{
	uint64_t hi = k ? t->ck_t[k - 1] : t->dump_t;
	uint64_t lo = t->ck_t[k] > begin ? t->ck_t[k] : begin;

	if (hi <= ws)
		return 0;
	if (ws <= lo || hi <= lo)
		return bytes;
	/* Only the oldest slot is cut: its bytes are taken as even. */
	return bytes * (double)(hi - ws) / (double)(hi - lo);
}

static double window(const struct flow_rate_cell *rc, int d, unsigned lag,
		     uint64_t w, uint64_t begin,
		     const struct flow_rate_time *t)
{
	uint64_t ival = t->dump_t - t->prev_t, ws, len;
	double total = 0;
	unsigned k;

	/* Bytes since begin, over the last w ns, and never less than one
	 * interval (a flow seen a moment ago has moved bytes, not a rate). */
	ws = t->dump_t > w ? t->dump_t - w : 0;
	if (ws < begin)
		ws = begin;
	if (ws > t->dump_t || t->dump_t - ws < ival)
		ws = t->dump_t - ival;
	len = t->dump_t - ws;
	for (int i = 0; i <= NB; i++) {
		k = (unsigned)i + lag;
		if (k > NB)
			break;
		total += slot_bytes(flow_rate_dec(RLD(rc->v[d][1 + i])), k,
				    ws, begin, t);
	}
	return total * 1e9 / (double)len;
}

void flow_rate_get(const struct flow_rate_cell *rc, uint8_t seq,
		   uint64_t begin, const struct flow_rate_time *t,
		   double now[2], double w10[2], double w40[2])
{
	unsigned lag = (uint8_t)((uint8_t)t->n_ck - seq);

	for (int d = 0; d < 2; d++) {
		now[d] = w10[d] = w40[d] = 0;
		if (!t->prev_t || t->dump_t <= t->prev_t)
			continue;
		now[d] = flow_rate_dec(RLD(rc->v[d][0]));
		w10[d] = window(rc, d, lag, 10000000000ull, begin, t);
		w40[d] = window(rc, d, lag, 40000000000ull, begin, t);
	}
}
