/* test_offload: which offloaded flows prove that a flowtable counts
 * nothing, dump after dump. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "check.h"
#include "offload.h"

#define S 1000000000ull

static struct flow_rec rec(uint32_t id, uint32_t status, uint64_t bytes)
{
	struct flow_rec r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.status = IPS_CONFIRMED | IPS_SEEN_REPLY | status;
	r.have = FLOW_HAVE_COUNTERS;
	r.orig_bytes = bytes;
	r.repl_bytes = bytes / 2;
	r.orig_pkts = bytes / 100;
	return r;
}

/* One dump of n entries at time now. */
static void dump(struct offload *o, const struct flow_rec *r, size_t n,
		 uint64_t now, struct offload_stats *st)
{
	offload_begin(o);
	for (size_t i = 0; i < n; i++)
		offload_see(o, &r[i], now);
	offload_end(o, now, st);
}

static void test_frozen(void)
{
	struct offload *o;
	struct offload_stats st;
	struct flow_rec r[4];
	uint64_t t;

	CHECK(offload_create(&o) == 0);
	offload_set_idle(o, 10 * S);
	r[0] = rec(1, IPS_OFFLOAD, 5000);	/* frozen */
	r[1] = rec(2, 0, 100);			/* not offloaded */
	r[2] = rec(3, IPS_OFFLOAD | IPS_HW_OFFLOAD, 7000);
	r[3] = rec(4, IPS_OFFLOAD, 9000);
	r[3].have = 0;				/* no accounting */
	dump(o, r, 4, 100 * S, &st);
	CHECK(st.flows == 3 && st.hw == 1);
	CHECK(st.frozen == 0 && st.moving == 0);
	/* Within the idle time nothing is proven, moved or not. */
	r[2].orig_bytes += 1500;
	dump(o, r, 4, 105 * S, &st);
	CHECK(st.flows == 3 && st.moving == 1 && st.frozen == 0);
	/* Past it: entry 1 stayed offloaded and never moved. */
	for (t = 106; t <= 111; t++)
		dump(o, r, 4, t * S, &st);
	CHECK(st.frozen == 1 && st.moving == 1);
	/* Given back to conntrack (bit cleared) it starts over. */
	r[0].status &= ~IPS_OFFLOAD;
	dump(o, r, 4, 112 * S, &st);
	CHECK(st.flows == 2 && st.frozen == 0);
	r[0].status |= IPS_OFFLOAD;
	dump(o, r, 4, 113 * S, &st);
	CHECK(st.frozen == 0);
	dump(o, r, 4, 124 * S, &st);
	CHECK(st.frozen == 1);
	/* Gone from the dump: forgotten; an aborted dump changes nothing. */
	offload_begin(o);
	offload_see(o, &r[1], 125 * S);
	offload_abort(o);
	dump(o, r + 1, 3, 126 * S, &st);
	CHECK(st.flows == 2 && st.frozen == 0 && st.moving == 1);
	offload_destroy(o);
}

/* Many offloaded flows: the table grows, every one is followed. */
static void test_many(void)
{
	enum { N = 5000 };
	struct offload *o;
	struct offload_stats st;
	struct flow_rec *r = calloc(N, sizeof(*r));

	CHECK(r && offload_create(&o) == 0);
	offload_set_idle(o, 1 * S);
	for (int i = 0; i < N; i++)
		r[i] = rec((uint32_t)i * 7919u, IPS_OFFLOAD, 1000);
	dump(o, r, N, 10 * S, &st);
	for (int i = 0; i < N; i += 2)
		r[i].orig_pkts++;
	dump(o, r, N, 20 * S, &st);
	CHECK(st.flows == N && st.moving == N / 2 && st.frozen == N / 2);
	/* A repeated entry counts once. */
	offload_begin(o);
	offload_see(o, &r[1], 21 * S);
	offload_see(o, &r[1], 21 * S);
	offload_end(o, 21 * S, &st);
	CHECK(st.frozen == 1);
	offload_destroy(o);
	free(r);
}

static void test_idle_sysctl(void)
{
	char dir[] = "/tmp/ft_offload.XXXXXX", path[64];
	FILE *f;

	CHECK(offload_idle_from("/nonexistent") == 30 * S);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/nf_flowtable_udp_timeout", dir);
	f = fopen(path, "w");
	CHECK(f && fputs("45\n", f) >= 0);
	fclose(f);
	CHECK(offload_idle_from(dir) == 45 * S);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_frozen();
	test_many();
	test_idle_sysctl();
	return check_summary("offload");
}
