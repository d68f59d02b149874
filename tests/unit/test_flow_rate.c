/* Unit test: rates over the interval, 10 s and 40 s (flow_rate.c, through
 * the table as the collector feeds it): 16-bit floats; a steady flow reads
 * its rate in every window, young or old, at any dump spacing; a burst
 * leaves each window when it should; idle flows settle at 0 and stay
 * there past the checkpoint number's wrap; a flow made by an event counts
 * its first bytes, one first seen in a dump does not. */
#include <arpa/inet.h>
#include <math.h>
#include <string.h>
#include <urcu.h>

#include "check.h"
#include "flow_list.h"
#include "flow_rate.h"
#include "view.h"

#define MS 1000000ull
#define SEC 1000000000ull

static struct flow_rec mk(uint32_t id)
{
	struct flow_rec r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.family = AF_INET;
	r.l4proto = IPPROTO_UDP;
	r.orig.src.b[0] = 192; r.orig.src.b[2] = 2; r.orig.src.b[3] = 1;
	r.orig.dst.b[0] = 198; r.orig.dst.b[1] = 51;
	r.orig.dst.b[2] = 100; r.orig.dst.b[3] = (uint8_t)id;
	r.orig.sport = (uint16_t)(10000 + id);
	r.orig.dport = 7000;
	r.repl.src = r.orig.dst;
	r.repl.dst = r.orig.src;
	r.repl.sport = r.orig.dport;
	r.repl.dport = r.orig.sport;
	r.have = FLOW_HAVE_COUNTERS;
	return r;
}

static void dump_at(struct flow_list *fl, struct flow_rec *r, int n,
		    uint64_t t)
{
	uint32_t scan = flow_list_begin_scan(fl);

	for (int i = 0; i < n; i++)
		flow_list_update(fl, &r[i], t);
	flow_list_end_scan(fl, scan, t, 0);
}

/* The row of flow id (all protocols, loopback too). */
static bool row_of(struct flow_list *fl, uint32_t id, struct flow_row *out)
{
	struct flow_row rows[16];
	struct view_opts o;
	size_t n;

	view_opts_default(&o);
	o.protos = VIEW_ALL_PROTOS;
	o.show_hidden = true;
	view_flows(fl, &o, 0, 16, rows, &n, NULL);
	for (size_t i = 0; i < n; i++) {
		if (rows[i].rec.id == id) {
			*out = rows[i];
			return true;
		}
	}
	return false;
}

static bool within(double got, double want, double rel)
{
	return fabs(got - want) <= rel * want + 1e-9;
}

static void test_float16(void)
{
	double worst = 0, v;
	uint16_t x;

	for (unsigned i = 0; i <= 4095; i++)
		CHECK(flow_rate_dec(flow_rate_enc(i)) == i);
	CHECK(flow_rate_enc(0) == 0 && flow_rate_enc(-5) == 0 &&
	      flow_rate_enc(NAN) == 0);
	/* 12 significant bits, rounded to nearest: at most 1/4096 off */
	for (v = 4096; v < 4e12; v *= 1.0007) {
		double e = fabs(flow_rate_dec(flow_rate_enc(v)) - v) / v;

		if (e > worst)
			worst = e;
	}
	CHECK(worst <= 1.0 / 4096 + 1e-12);
	/* monotonic, and saturating rather than wrapping */
	for (x = 1; x < 0xffff; x++)
		if (!(flow_rate_dec(x) > flow_rate_dec(x - 1)))
			break;
	CHECK(x == 0xffff);
	CHECK(flow_rate_enc(1e15) == 0xffff);
}

/* A flow moving rate B/s from time start (there before the first dump,
 * or made then by a NEW event), dumps every step ns (plus some jitter)
 * from 1 s (monotonic time is never 0): its row after the dump at or
 * before until. */
static void steady(double rate, uint64_t step, uint64_t start,
		   uint64_t until, bool by_event, struct flow_row *out)
{
	struct flow_list *fl;
	struct flow_rec r = mk(1);
	bool made = !by_event;
	uint64_t t;
	int i = 0;

	CHECK(flow_list_create(&fl) == 0);
	for (t = SEC; t <= until; t += step + (i++ % 3) * 37 * MS) {
		if (!made && t >= start) {
			r.have = 0;	/* a NEW event has no counters */
			flow_list_update(fl, &r, start);
			r.have = FLOW_HAVE_COUNTERS;
			made = true;
		}
		if (t >= start)
			r.orig_bytes = (uint64_t)(rate * (t - start) / 1e9);
		r.repl_bytes = r.orig_bytes / 10;
		dump_at(fl, &r, made, t);
	}
	CHECK(row_of(fl, 1, out));
	flow_list_destroy(fl);
}

static void test_steady(void)
{
	static const uint64_t steps[] = { 1 * SEC, 300 * MS, 2 * SEC,
					  3 * SEC };
	struct flow_row row;

	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		/* made after we started (by an event), 12 s and 45 s old */
		steady(250000, steps[s], 5 * SEC, 17 * SEC, true, &row);
		CHECK(within(row.rate_orig, 250000, 0.01));
		CHECK(within(row.rate_orig_10, 250000, 0.01));
		CHECK(within(row.rate_orig_40, 250000, 0.01));
		CHECK(within(row.rate_repl_40, 25000, 0.01));
		steady(250000, steps[s], 5 * SEC, 50 * SEC, true, &row);
		CHECK(within(row.rate_orig, 250000, 0.01));
		CHECK(within(row.rate_orig_10, 250000, 0.01));
		CHECK(within(row.rate_orig_40, 250000, 0.01));
		/* there before we started: from the first dump on */
		steady(3000, steps[s], 0, 100 * SEC, false, &row);
		CHECK(within(row.rate_orig, 3000, 0.01));
		CHECK(within(row.rate_orig_10, 3000, 0.01));
		CHECK(within(row.rate_orig_40, 3000, 0.01));
	}
	/* a long interval: no window is shorter than it */
	steady(1000, 30 * SEC, 0, 300 * SEC, false, &row);
	CHECK(within(row.rate_orig_10, 1000, 0.01) &&
	      within(row.rate_orig_40, 1000, 0.01));
}

/* 10 kB/s for 20 s, then nothing: each window empties when its length
 * has passed since the burst (within a 10 s step's share). */
static void test_burst(void)
{
	struct flow_list *fl;
	struct flow_rec r = mk(2);
	struct flow_row row;
	uint64_t t;

	CHECK(flow_list_create(&fl) == 0);
	for (t = SEC; t <= 101 * SEC; t += SEC) {
		uint64_t s = t / SEC - 1;

		r.orig_bytes = 10000 * (s < 20 ? s : 20);
		dump_at(fl, &r, 1, t);
		if (!row_of(fl, 2, &row)) {
			CHECK(0);
			break;
		}
		if (s == 25) {
			/* last 10 s: 15..25, of which 15..20 moved 50 kB */
			CHECK(row.rate_orig == 0);
			CHECK(row.rate_orig_10 > 2500 &&
			      row.rate_orig_10 < 7500);
			/* last 25 s (younger than 40 s): 200 kB */
			CHECK(within(row.rate_orig_40, 8000, 0.01));
		}
		if (s == 31)
			CHECK(row.rate_orig_10 == 0);
		if (s == 55) {
			/* 15..55: 50 kB over 40 s, give or take a step */
			CHECK(row.rate_orig_40 > 600 &&
			      row.rate_orig_40 < 1900);
		}
		if (s == 61)
			CHECK(row.rate_orig_40 == 0);
	}
	flow_list_destroy(fl);
}

/* An idle flow is not written, yet its old bytes must not come back when
 * the 8-bit checkpoint number wraps; a flow first seen in a dump does not
 * count the bytes it had then, one made by an event does. */
static void test_idle_and_first(void)
{
	struct flow_list *fl;
	struct flow_rec r[3] = { mk(3), mk(4), mk(5) };
	struct flow_row row;
	uint64_t t = SEC;

	CHECK(flow_list_create(&fl) == 0);
	r[0].orig_bytes = 1000000;	/* there before: not a rate */
	dump_at(fl, r, 1, t);
	r[0].orig_bytes += 5000;
	t += SEC;
	dump_at(fl, r, 1, t);
	CHECK(row_of(fl, 3, &row) && within(row.rate_orig, 5000, 0.001) &&
	      within(row.rate_orig_40, 5000, 0.001));
	/* 2600 s of dumps, about 260 checkpoints */
	for (int i = 0; i < 2600; i++) {
		t += SEC;
		dump_at(fl, r, 1, t);
		if (i == 60)
			CHECK(row_of(fl, 3, &row) && row.rate_orig_40 == 0);
	}
	CHECK(row_of(fl, 3, &row) && row.rate_orig == 0 &&
	      row.rate_orig_10 == 0 && row.rate_orig_40 == 0);

	/* event-made flow 4 moved 3000 B before the next dump: counted;
	 * flow 5, first seen by that dump with 3000 B: not */
	r[1].have = 0;
	flow_list_update(fl, &r[1], t + 500 * MS);
	r[1].have = FLOW_HAVE_COUNTERS;
	r[1].orig_bytes = 3000;
	r[2].orig_bytes = 3000;
	t += SEC;
	dump_at(fl, r, 3, t);
	CHECK(row_of(fl, 4, &row) && within(row.rate_orig, 3000, 0.001));
	/* windows: since it began, but never shorter than the interval */
	CHECK(within(row.rate_orig_10, 3000, 0.001));
	CHECK(row_of(fl, 5, &row) && row.rate_orig == 0 &&
	      row.rate_orig_10 == 0);
	flow_list_destroy(fl);
}

int main(void)
{
	rcu_register_thread();
	test_float16();
	test_steady();
	test_burst();
	test_idle_and_first();
	rcu_unregister_thread();
	return check_summary("test_flow_rate");
}
