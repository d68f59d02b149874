/* Unit test: the flow table and the view over it (insert, update, close,
 * scan and reap; rates; filters by family and protocol; paging and sorting
 * checked against a full sort; Processes and Remote groups). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "check.h"
#include "flow_list.h"
#include "geoip.h"
#include "view.h"

#define SEC 1000000000ull

static struct flow_rec mk(uint32_t id, uint8_t proto, int family, int k)
{
	struct flow_rec r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.family = family;
	r.l4proto = proto;
	if (family == AF_INET) {
		r.orig.src.b[0] = 192; r.orig.src.b[2] = 2; r.orig.src.b[3] = 1;
		r.orig.dst.b[0] = 198; r.orig.dst.b[1] = 51;
		r.orig.dst.b[2] = 100; r.orig.dst.b[3] = (uint8_t)k;
	} else {
		inet_pton(AF_INET6, "2001:db8::1", r.orig.src.b);
		inet_pton(AF_INET6, "2001:db8::2", r.orig.dst.b);
		r.orig.dst.b[15] = (uint8_t)k;
	}
	r.orig.sport = (uint16_t)(10000 + k);
	r.orig.dport = 443;
	r.repl.src = r.orig.dst;
	r.repl.dst = r.orig.src;
	r.repl.sport = r.orig.dport;
	r.repl.dport = r.orig.sport;
	r.state = 3;
	r.have = FLOW_HAVE_STATE | FLOW_HAVE_COUNTERS;
	return r;
}

/* One full dump at t of the n flows in r. */
static void dump_at(struct flow_list *fl, struct flow_rec *r, int n,
		    uint64_t t)
{
	uint32_t scan = flow_list_begin_scan(fl);

	for (int i = 0; i < n; i++)
		flow_list_update(fl, &r[i], t);
	flow_list_end_scan(fl, scan, t, 0);
}

static bool near(double got, double want)
{
	return got > want - 0.1 && got < want + 0.1;
}

static void test_lifecycle(void)
{
	struct flow_list *fl;
	struct flow_rec ab[2] = { mk(1, IPPROTO_TCP, AF_INET, 1),
				  mk(2, IPPROTO_UDP, AF_INET6, 2) };
	struct flow_rec *a = &ab[0], *b = &ab[1];
	struct view_opts o;
	struct flow_row rows[8];
	size_t n, total;
	uint32_t scan;

	CHECK(flow_list_create(&fl) == 0);
	view_opts_default(&o);
	o.protos = VIEW_ALL_PROTOS;

	CHECK(flow_list_update(fl, a, 1 * SEC) == 1);
	CHECK(flow_list_update(fl, b, 1 * SEC) == 1);
	CHECK(flow_list_update(fl, a, 1 * SEC) == 0);	/* known */
	CHECK(flow_list_count(fl) == 2);
	dump_at(fl, ab, 2, 1 * SEC);

	/* rates: 1000 bytes more in 2 s is 500 B/s */
	a->orig_bytes = 1000;
	a->repl_bytes = 4000;
	dump_at(fl, ab, 2, 3 * SEC);
	total = view_flows(fl, &o, 0, 8, rows, &n, NULL);
	CHECK(total == 2 && n == 2);
	CHECK(rows[0].rec.id == 1);	/* busiest first */
	CHECK(near(rows[0].rate_orig, 500) && near(rows[0].rate_repl, 2000));
	CHECK(rows[0].rec.orig_bytes == 1000);
	/* the windows: the same bytes over the 2 s the flow was seen */
	CHECK(near(rows[0].rate_orig_10, 500) &&
	      near(rows[0].rate_orig_40, 500));
	CHECK(near(rows[0].rate_repl_10, 2000) &&
	      near(rows[0].rate_repl_40, 2000));

	/* a dump right after another takes no counters: rates kept */
	a->orig_bytes = 2000;
	dump_at(fl, ab, 2, 3 * SEC + 1000);
	view_flows(fl, &o, 0, 8, rows, &n, NULL);
	CHECK(near(rows[0].rate_orig, 500) && rows[0].rec.orig_bytes == 1000);
	/* the next dump does */
	dump_at(fl, ab, 2, 4 * SEC);
	view_flows(fl, &o, 0, 8, rows, &n, NULL);
	CHECK(near(rows[0].rate_orig, 1000) && near(rows[0].rate_orig_10,
						     2000 / 3.0));

	/* idle for five minutes of dumps: every rate settles at 0 */
	for (int t = 5; t < 304; t++)
		dump_at(fl, ab, 2, (uint64_t)t * SEC);
	o.sort = SORT_PORT;	/* a (sport 10001) before b (10002) */
	view_flows(fl, &o, 0, 8, rows, &n, NULL);
	CHECK(rows[0].rec.id == 1 && rows[0].rate_orig == 0 &&
	      rows[0].rate_orig_10 == 0 && rows[0].rate_orig_40 == 0);
	/* and moves again with traffic */
	a->orig_bytes += 640;
	dump_at(fl, ab, 2, 304 * SEC);
	view_flows(fl, &o, 0, 8, rows, &n, NULL);
	CHECK(rows[0].rec.id == 1 && near(rows[0].rate_orig, 640) &&
	      near(rows[0].rate_orig_10, 64) &&
	      near(rows[0].rate_orig_40, 16));
	o.sort = SORT_RATE;

	/* family and protocol choices */
	o.ipv6 = false;
	CHECK(view_flows(fl, &o, 0, 8, rows, &n, NULL) == 1 && rows[0].rec.id == 1);
	o.ipv6 = true;
	o.protos = VIEW_UDP;
	CHECK(view_flows(fl, &o, 0, 8, rows, &n, NULL) == 1 && rows[0].rec.id == 2);
	o.protos = VIEW_ALL_PROTOS;

	/* a scan that does not see b closes it */
	scan = flow_list_begin_scan(fl);
	flow_list_update(fl, a, 305 * SEC);
	CHECK(flow_list_end_scan(fl, scan, 305 * SEC, 0) == 1);
	CHECK(flow_list_count(fl) == 2);
	o.hide_closed = true;
	CHECK(view_flows(fl, &o, 0, 8, rows, &n, NULL) == 1 && rows[0].rec.id == 1);
	o.hide_closed = false;
	CHECK(view_flows(fl, &o, 0, 8, rows, &n, NULL) == 2);
	/* reaped once closed long enough, and only after a scan more */
	scan = flow_list_begin_scan(fl);
	flow_list_update(fl, a, 306 * SEC);
	CHECK(flow_list_end_scan(fl, scan, 306 * SEC, 304 * SEC) == 0);
	CHECK(flow_list_count(fl) == 2);	/* not yet */
	scan = flow_list_begin_scan(fl);
	flow_list_update(fl, a, 307 * SEC);
	CHECK(flow_list_end_scan(fl, scan, 307 * SEC, 305 * SEC) == 0);
	CHECK(flow_list_count(fl) == 1);

	/* DESTROY event: closed at once, kept through the next scan (the
	 * screen shows it dimmed), gone after the one after */
	CHECK(flow_list_close(fl, a, 307 * SEC + 1) == 0);
	CHECK(flow_list_close(fl, b, 307 * SEC) == -ENOENT);
	scan = flow_list_begin_scan(fl);
	CHECK(flow_list_end_scan(fl, scan, 308 * SEC, 308 * SEC) == 0);
	CHECK(flow_list_count(fl) == 1);
	scan = flow_list_begin_scan(fl);
	CHECK(flow_list_end_scan(fl, scan, 309 * SEC, 309 * SEC) == 0);
	CHECK(flow_list_count(fl) == 0);
	CHECK(flow_list_inserts(fl) == 2);

	/* same tuple, new id: a different flow */
	a->id = 99;
	CHECK(flow_list_update(fl, a, 310 * SEC) == 1);
	CHECK(flow_list_inserts(fl) == 3);
	a->id = 1;
	CHECK(flow_list_update(fl, a, 310 * SEC) == 1);
	CHECK(flow_list_count(fl) == 2);
	flow_list_destroy(fl);
}

static int cmp_bytes_desc(const void *pa, const void *pb)
{
	const uint64_t *a = pa, *b = pb;

	return *a < *b ? 1 : *a > *b ? -1 : 0;
}

/* Every page of a 5000-flow table, sorted by bytes, equals the same slice
 * of a full sort done here independently. */
static void test_paging(void)
{
	enum { N = 5000, PAGE = 37 };
	struct flow_list *fl;
	struct view_opts o;
	static uint64_t want[N];
	struct flow_row rows[PAGE];
	size_t n, first, bad = 0;

	CHECK(flow_list_create(&fl) == 0);
	srand(42);
	for (int i = 0; i < N; i++) {
		struct flow_rec r = mk(i + 1, IPPROTO_TCP,
				       i % 3 ? AF_INET : AF_INET6, i % 250);

		r.orig.sport = (uint16_t)i;
		r.orig_bytes = (uint64_t)rand() % 100000;
		want[i] = r.orig_bytes;
		flow_list_update(fl, &r, SEC);
	}
	qsort(want, N, sizeof(want[0]), cmp_bytes_desc);
	view_opts_default(&o);
	o.show_hidden = true;	/* port 53 is among them */
	o.sort = SORT_BYTES;
	for (first = 0; first < N; first += PAGE) {
		CHECK(view_flows(fl, &o, first, PAGE, rows, &n, NULL) == N);
		for (size_t i = 0; i < n; i++)
			if (rows[i].rec.orig_bytes != want[first + i])
				bad++;
	}
	CHECK(bad == 0);
	/* reversed: the smallest first */
	o.reverse = true;
	view_flows(fl, &o, 0, PAGE, rows, &n, NULL);
	CHECK(n == PAGE && rows[0].rec.orig_bytes == want[N - 1]);
	/* by port, ascending */
	o.reverse = false;
	o.sort = SORT_PORT;
	view_flows(fl, &o, 100, 3, rows, &n, NULL);
	CHECK(n == 3 && rows[0].rec.orig.sport == 100 &&
	      rows[2].rec.orig.sport == 102);
	/* the original's rule: DNS (and loopback) hidden unless asked */
	o.show_hidden = false;
	CHECK(view_flows(fl, &o, 0, 1, rows, &n, NULL) == N - 1);
	flow_list_destroy(fl);
}

/* Dumps in the same order use the previous dump as a hint; entries that
 * come and go, and a changed order, must still land on the right flow. */
static void test_scan_hints(void)
{
	enum { N = 1000 };
	struct flow_list *fl;
	struct view_opts o;
	struct flow_row rows[4];
	size_t n;
	uint32_t scan;

	CHECK(flow_list_create(&fl) == 0);
	view_opts_default(&o);
	o.show_hidden = true;
	for (int round = 0; round < 6; round++) {
		scan = flow_list_begin_scan(fl);
		for (int i = 0; i < N; i++) {
			/* round 2 leaves out every 7th, round 3 reverses the
			 * order, round 4 adds new ones in between */
			int k = round == 3 ? N - 1 - i : i;
			struct flow_rec r;

			if (round == 2 && k % 7 == 0)
				continue;
			r = mk(k + 1, IPPROTO_TCP, AF_INET, k % 250);
			r.orig.sport = (uint16_t)k;
			r.orig_bytes = (uint64_t)round * 1000 + k;
			flow_list_update(fl, &r, (uint64_t)(round + 1) * SEC);
			if (round == 4 && k % 10 == 0) {
				r.id += 100000;
				flow_list_update(fl, &r, 5 * SEC);
			}
		}
		flow_list_end_scan(fl, scan, (uint64_t)(round + 1) * SEC,
				  (uint64_t)round * SEC);
	}
	/* round 5 did not see round 4's extra flows: closed, still there */
	CHECK(flow_list_count(fl) == N + N / 10);
	o.hide_closed = true;
	o.sort = SORT_PORT;
	CHECK(view_flows(fl, &o, 500, 1, rows, &n, NULL) == N);
	CHECK(n == 1 && rows[0].rec.orig.sport == 500 &&
	      rows[0].rec.orig_bytes == 5500);
	/* every flow was updated in round 5: none has another count */
	o.sort = SORT_BYTES;
	o.reverse = true;
	CHECK(view_flows(fl, &o, 0, 1, rows, &n, NULL) == N);
	CHECK(n == 1 && rows[0].rec.orig_bytes == 5000);
	flow_list_destroy(fl);
}

static void test_groups(void)
{
	struct flow_list *fl;
	struct view_opts o;
	struct view_group g[8];
	size_t n;

	CHECK(flow_list_create(&fl) == 0);
	for (int i = 0; i < 6; i++) {
		struct flow_rec r = mk(i + 1, IPPROTO_TCP, AF_INET, i % 2);

		r.orig_bytes = 100;
		r.repl_bytes = 1000;
		flow_list_update(fl, &r, SEC);
	}
	view_opts_default(&o);
	CHECK(view_groups(fl, &o, GROUP_HOST, 0, 8, g, &n) == 2 && n == 2);
	CHECK(g[0].flows == 3 && g[0].bytes_out == 300 &&
	      g[0].bytes_in == 3000);
	CHECK(view_groups(fl, &o, GROUP_COUNTRY, 0, 8, g, &n) == 1);
	CHECK(g[0].flows == 6);
	/* no owners known: no process lines */
	CHECK(view_groups(fl, &o, GROUP_PROCESS, 0, 8, g, &n) == 0);
	flow_list_destroy(fl);
}

static int set_owner_cb(struct flow *f, void *arg)
{
	struct flow_row row;
	struct flow_owner o = { 0 };

	flow_snapshot(f, &row);
	/* odd ids: a known owner; even: local, owner unknown (shared) */
	o.local = FLOW_LOCAL_SRC;
	if (row.rec.id % 2) {
		o.pid = 4242;
		o.uid = 7;
		o.comm = "curl";
	}
	flow_set_owner(f, &o);
	(*(int *)arg)++;
	return 0;
}

static void test_owners(void)
{
	struct flow_list *fl;
	struct view_opts o;
	struct flow_row rows[8];
	size_t n;
	int seen = 0;

	CHECK(flow_list_create(&fl) == 0);
	for (int i = 0; i < 4; i++) {
		struct flow_rec r = mk(i + 1, IPPROTO_TCP, AF_INET, i);

		flow_list_update(fl, &r, SEC);
	}
	rcu_read_lock();
	flow_list_for_each(fl, set_owner_cb, &seen);
	/* twice: the first boxes are freed after a grace period */
	flow_list_for_each(fl, set_owner_cb, &seen);
	rcu_read_unlock();
	CHECK(seen == 8);
	view_opts_default(&o);
	o.sort = SORT_PID;
	CHECK(view_flows(fl, &o, 0, 8, rows, &n, NULL) == 4 && n == 4);
	CHECK(rows[0].owner.pid == 4242 && rows[0].owner.uid == 7 &&
	      rows[0].owner.comm && !strcmp(rows[0].owner.comm, "curl"));
	CHECK(rows[3].owner.pid == 0 && rows[3].owner.comm == NULL &&
	      rows[3].owner.local == FLOW_LOCAL_SRC);
	flow_list_destroy(fl);
}

static void test_names(void)
{
	struct flow_rec r = mk(1, IPPROTO_TCP, AF_INET, 1);

	CHECK_STR(view_state_name(&r), "ESTABLISHED");
	r.l4proto = IPPROTO_SCTP;
	r.state = 4;
	CHECK_STR(view_state_name(&r), "ESTABLISHED");
	r.l4proto = IPPROTO_DCCP;
	r.state = 4;
	CHECK_STR(view_state_name(&r), "OPEN");
	r.l4proto = IPPROTO_UDP;
	r.status = 0;
	CHECK_STR(view_state_name(&r), "UNREPLIED");
	r.l4proto = IPPROTO_ICMPV6;
	r.family = AF_INET6;
	r.icmp_type = 128;
	CHECK_STR(view_state_name(&r), "echo-request");
	CHECK(view_sort_parse("BYTES") == SORT_BYTES);
	CHECK(view_sort_parse("nope") == -1);
	CHECK_STR(view_sort_name(SORT_COUNTRY), "country");
}


/* The row of the flow with this id (all flows, closed ones too). */
/* How many of the table's flows view_flows counts as closed. */
static size_t closed_of(struct flow_list *fl)
{
	struct flow_row rows[4];
	struct view_opts o;
	size_t n, closed = 99;

	view_opts_default(&o);
	o.protos = VIEW_ALL_PROTOS;
	o.show_hidden = true;
	view_flows(fl, &o, 0, 4, rows, &n, &closed);
	return closed;
}

static bool row_by_id(struct flow_list *fl, uint32_t id,
		      struct flow_row *out)
{
	static struct flow_row rows[64];
	struct view_opts o;
	size_t n;

	view_opts_default(&o);
	o.protos = VIEW_ALL_PROTOS;
	o.show_hidden = true;
	o.sort = SORT_NONE;
	view_flows(fl, &o, 0, 64, rows, &n, NULL);
	for (size_t i = 0; i < n; i++) {
		if (rows[i].rec.id == id) {
			*out = rows[i];
			return true;
		}
	}
	return false;
}

static struct geo_info geos[3000];

static int geo_cb(struct flow *f, void *arg)
{
	struct flow_row row;

	(void)arg;
	flow_snapshot(f, &row);
	flow_set_geo(f, &geos[row.rec.id % 3000],
		     row.rec.id % 2 ? NULL : &geos[(row.rec.id * 7) % 3000]);
	return 0;
}

/* What is stored in fewer bytes than a row has reads back the same:
 * GeoIP answers (as numbers, more than one chunk of them) and ICMP's id,
 * type and code (where the ports go). */
static void test_packed(void)
{
	struct flow_list *fl;
	struct flow_row row;
	size_t bad = 0;
	uint32_t id;

	CHECK(flow_list_create(&fl) == 0);
	for (id = 1; id <= 4000; id++) {
		struct flow_rec r = mk(id, id % 2 ? IPPROTO_ICMPV6 :
				       IPPROTO_TCP, id % 2 ? AF_INET6 :
				       AF_INET, (int)id % 250);

		if (id % 2) {
			r.orig.sport = r.orig.dport = 0;
			r.icmp_id = (uint16_t)(id * 3);
			r.icmp_type = 128;
			r.icmp_code = (uint8_t)id;
			r.have |= FLOW_HAVE_ICMP;
		}
		flow_list_update(fl, &r, SEC);
	}
	rcu_read_lock();
	flow_list_for_each(fl, geo_cb, NULL);
	rcu_read_unlock();
	for (id = 1; id <= 60; id++) {
		if (!row_by_id(fl, id, &row)) {
			bad++;
			continue;
		}
		if (row.geo_src != &geos[id % 3000] ||
		    row.geo_dst != (id % 2 ? NULL : &geos[(id * 7) % 3000]))
			bad++;
		if (id % 2 && (row.rec.icmp_id != (uint16_t)(id * 3) ||
			       row.rec.icmp_type != 128 ||
			       row.rec.icmp_code != (uint8_t)id ||
			       row.rec.orig.sport || row.rec.orig.dport ||
			       !(row.rec.have & FLOW_HAVE_ICMP)))
			bad++;
		if (!(id % 2) && (row.rec.orig.sport != 10000 + id % 250 ||
				  row.rec.icmp_id || row.rec.icmp_type))
			bad++;
	}
	CHECK(bad == 0);

	/* a mark comes, changes and goes (dumps send 0 for none) */
	for (uint32_t m = 0; m < 4; m++) {
		struct flow_rec r = mk(2, IPPROTO_TCP, AF_INET, 2);
		uint32_t want = m == 3 ? 0 : 0x10 * (m + 1);

		r.have |= FLOW_HAVE_MARK;
		r.mark = want;
		flow_list_update(fl, &r, 2 * SEC);
		CHECK(row_by_id(fl, 2, &row) && row.rec.mark == want);
	}
	flow_list_destroy(fl);
}

/* A DESTROY during a dump is not undone by the dump's older copy of the
 * entry; a later dump that shows the identity made it again. */
static void test_destroy_in_scan(void)
{
	struct flow_list *fl;
	struct flow_rec a = mk(1, IPPROTO_TCP, AF_INET, 1);
	struct flow_rec b = mk(2, IPPROTO_TCP, AF_INET, 2);
	struct flow_row row;
	uint32_t scan;

	CHECK(flow_list_create(&fl) == 0);
	scan = flow_list_begin_scan(fl);
	flow_list_update(fl, &a, SEC);
	flow_list_update(fl, &b, SEC);
	flow_list_end_scan(fl, scan, SEC, 0);
	CHECK(flow_list_live(fl) == 2);

	scan = flow_list_begin_scan(fl);
	CHECK(flow_list_close(fl, &b, 2 * SEC) == 0);
	CHECK(flow_list_live(fl) == 1 && flow_list_count(fl) == 2);
	flow_list_update(fl, &a, 2 * SEC);
	CHECK(flow_list_update(fl, &b, 2 * SEC) == 0);	/* stale copy */
	CHECK(flow_list_end_scan(fl, scan, 2 * SEC, 0) == 0);
	CHECK(row_by_id(fl, 2, &row) && row.closed_at);
	CHECK(flow_list_live(fl) == 1);

	/* the next dump shows it: made again with the same identity */
	scan = flow_list_begin_scan(fl);
	flow_list_update(fl, &a, 3 * SEC);
	flow_list_update(fl, &b, 3 * SEC);
	flow_list_end_scan(fl, scan, 3 * SEC, 0);
	CHECK(row_by_id(fl, 2, &row) && !row.closed_at);
	CHECK(flow_list_live(fl) == 2);

	/* closed between dumps: gone from the live count at once, from the
	 * table once reaped */
	CHECK(flow_list_close(fl, &a, 4 * SEC) == 0);
	CHECK(flow_list_live(fl) == 1 && flow_list_count(fl) == 2);
	CHECK(row_by_id(fl, 1, &row) && row.closed_at == 4 * SEC);
	CHECK(closed_of(fl) == 1);	/* of the table's 2 entries */
	CHECK(flow_list_reap(fl, 4 * SEC - 1) == 0);
	CHECK(flow_list_reap(fl, 4 * SEC) == 1);
	CHECK(flow_list_count(fl) == 1 && !row_by_id(fl, 1, &row));
	CHECK(flow_list_close(fl, &a, 5 * SEC) == -ENOENT);
	flow_list_destroy(fl);
}

/* Events that make and destroy many flows: the writer's index finds every
 * live one after holes are made in it, slots are reused, and ICMP's id,
 * type and code come back from where the ports go. */
static void test_churn(void)
{
	enum { N = 20000, ROUNDS = 5 };
	struct flow_list *fl;
	struct flow_rec r;
	size_t bad = 0;
	int k;

	CHECK(flow_list_create(&fl) == 0);
	for (int round = 0; round < ROUNDS; round++) {
		uint64_t t = (uint64_t)(round + 1) * 10 * SEC;

		for (k = 0; k < N; k++) {
			r = mk((uint32_t)(round * N + k + 1),
			       k % 2 ? IPPROTO_TCP : IPPROTO_ICMP,
			       k % 3 ? AF_INET : AF_INET6, k % 250);
			r.orig.sport = (uint16_t)k;
			if (r.l4proto == IPPROTO_ICMP) {
				r.orig.sport = r.orig.dport = 0;
				r.icmp_id = (uint16_t)k;
				r.icmp_type = 8;
				r.icmp_code = (uint8_t)(k % 3);
				r.have |= FLOW_HAVE_ICMP;
			}
			if (flow_list_update(fl, &r, t) != 1)
				bad++;
			/* every other flow of the round before goes */
			if (round && k % 2 == 0) {
				r.id -= N;
				if (flow_list_close(fl, &r, t) != 0)
					bad++;
				r.id += N;
			}
		}
		flow_list_reap(fl, t);
	}
	CHECK(bad == 0);
	CHECK(flow_list_count(fl) == N + (ROUNDS - 1) * N / 2);
	CHECK(flow_list_live(fl) == flow_list_count(fl));
	/* the last round's flows are found by their identity, ICMP's
	 * from its id, type and code */
	for (k = 0; k < N; k++) {
		r = mk((uint32_t)((ROUNDS - 1) * N + k + 1),
		       k % 2 ? IPPROTO_TCP : IPPROTO_ICMP,
		       k % 3 ? AF_INET : AF_INET6, k % 250);
		r.orig.sport = (uint16_t)k;
		if (r.l4proto == IPPROTO_ICMP) {
			r.orig.sport = r.orig.dport = 0;
			r.icmp_id = (uint16_t)k;
			r.icmp_type = 8;
			r.icmp_code = (uint8_t)(k % 3);
		}
		/* found again: an update, not an insert */
		if (flow_list_update(fl, &r, 60 * SEC) != 0)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(flow_list_count(fl) == N + (ROUNDS - 1) * N / 2);
	flow_list_destroy(fl);
}

/* Events read while a dump is in progress (the collector reads them
 * between the dump's buffers, so that the kernel does not drop them):
 * one for a flow the dump shows later is not a second flow, even while
 * the dump fills an empty table; one for a flow the dump never shows
 * keeps it open. */
static void test_events_in_scan(void)
{
	struct flow_list *fl;
	struct flow_rec a = mk(1, IPPROTO_TCP, AF_INET, 1);
	struct flow_rec b = mk(2, IPPROTO_TCP, AF_INET, 2);
	struct flow_rec c = mk(3, IPPROTO_TCP, AF_INET, 3);
	struct flow_row row;
	uint32_t scan;

	CHECK(flow_list_create(&fl) == 0);
	scan = flow_list_begin_scan(fl);		/* fills */
	CHECK(flow_list_update(fl, &a, SEC) == 1);
	CHECK(flow_list_event(fl, &b, SEC) == 1);	/* NEW */
	CHECK(flow_list_event(fl, &c, SEC) == 1);	/* NEW, made late */
	CHECK(flow_list_update(fl, &b, SEC) == 0);	/* the dump's copy */
	CHECK(flow_list_event(fl, &a, SEC) == 0);	/* UPDATE */
	CHECK(flow_list_end_scan(fl, scan, SEC, 0) == 0);
	CHECK(flow_list_count(fl) == 3 && flow_list_live(fl) == 3);
	CHECK(row_by_id(fl, 3, &row) && !row.closed_at);

	/* the next dump, which does not show c: closed */
	scan = flow_list_begin_scan(fl);
	flow_list_update(fl, &a, 2 * SEC);
	flow_list_update(fl, &b, 2 * SEC);
	CHECK(flow_list_end_scan(fl, scan, 2 * SEC, 0) == 1);
	CHECK(flow_list_live(fl) == 2);
	flow_list_destroy(fl);
}

int main(void)
{
	rcu_register_thread();
	test_lifecycle();
	test_paging();
	test_scan_hints();
	test_groups();
	test_owners();
	test_names();
	test_packed();
	test_destroy_in_scan();
	test_churn();
	test_events_in_scan();
	rcu_unregister_thread();
	return check_summary("test_flow_list");
}
