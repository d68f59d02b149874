/* table_bench: the flow table and the view without the kernel: what a
 * dump costs flowtop beyond the kernel's part, and what a key costs.
 *
 * Usage: table_bench [-n FLOWS] [-r ROUNDS] [-a ACTIVE%]
 *
 * Builds FLOWS IPv4 TCP flows as ct_inject numbers them (as the first
 * dump would), then ROUNDS times: a dump of the same flows in the same
 * order (ACTIVE% of them with moving counters), and the Flows view's
 * first page at 200x50 sorted by rate, by source, and filtered.  Prints
 * CPU ms per call (the median, and the best: on a busy machine the best
 * moves less) and the process's RSS.  Under valgrind --tool=callgrind
 * the instruction counts are repeatable on a busy machine, which CPU
 * time is not. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include "filter.h"
#include "flow_list.h"
#include "view.h"

#define PAGE	150		/* rows the screen reads at 200x50 */

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void mk(struct flow_rec *r, uint32_t k)
{
	uint32_t a = k % 250, b = (k / 250) % 250, c = (k / 62500) % 2;

	memset(r, 0, sizeof(*r));
	r->id = 0x9e3779b9u * (k + 1);
	r->family = AF_INET;
	r->l4proto = 6;
	r->orig.src.b[0] = 192; r->orig.src.b[2] = 2;
	r->orig.src.b[3] = (uint8_t)(1 + a);
	r->orig.dst.b[0] = c ? 203 : 198; r->orig.dst.b[1] = c ? 0 : 51;
	r->orig.dst.b[2] = c ? 113 : 100; r->orig.dst.b[3] = (uint8_t)(1 + b);
	r->orig.sport = (uint16_t)(10000 + k % 50000);
	r->orig.dport = (uint16_t)(20000 + k % 40000);
	r->repl.src = r->orig.dst;
	r->repl.dst = r->orig.src;
	r->repl.sport = r->orig.dport;
	r->repl.dport = r->orig.sport;
	r->state = 3;
	r->status = 0x18e;
	r->timeout = 3600;
	r->ts_start = 1700000000000000000ull + k * 1000ull;
	r->have = FLOW_HAVE_STATE | FLOW_HAVE_COUNTERS | FLOW_HAVE_TIMEOUT |
		  FLOW_HAVE_TSTAMP | FLOW_HAVE_MARK;
	r->orig_bytes = 60 + k % 1000;
	r->orig_pkts = 1;
	r->repl_bytes = 60;
	r->repl_pkts = 1;
}

/* One dump of recs[0..n): separate functions, so that callgrind's
 * --toggle-collect=bench_fill (or bench_dump, view_flows) counts one
 * phase. */
static __attribute__((noinline)) void bench_scan(struct flow_list *fl,
						 const struct flow_rec *recs,
						 unsigned n, uint64_t now)
{
	uint32_t scan = flow_list_begin_scan(fl);

	for (unsigned k = 0; k < n; k++)
		flow_list_update(fl, &recs[k], now);
	flow_list_end_scan(fl, scan, now, 0);
}

static volatile int phase;

static __attribute__((noinline)) void bench_fill(struct flow_list *fl,
						 const struct flow_rec *recs,
						 unsigned n, uint64_t now)
{
	phase = 1;
	bench_scan(fl, recs, n, now);
}

static __attribute__((noinline)) void bench_dump(struct flow_list *fl,
						 const struct flow_rec *recs,
						 unsigned n, uint64_t now)
{
	phase = 2;
	bench_scan(fl, recs, n, now);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double median_ms(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return v[n / 2] / 1e6;
}

int main(int argc, char **argv)
{
	unsigned n = 262144, rounds = 5, active = 5;
	struct flow_list *fl;
	struct flow_rec *recs;
	struct flow_row *rows;
	struct view_opts o;
	struct filter *flt;
	uint64_t t, now = 1000000000ull, *dump, *vrate, *vsrc, *vflt;
	size_t nr, total = 0;
	double md, mr, ms, mf;
	char err[128];
	size_t epos;
	long rss0;
	int c;

	while ((c = getopt(argc, argv, "n:r:a:")) != -1) {
		switch (c) {
		case 'n': n = (unsigned)atoi(optarg); break;
		case 'r': rounds = (unsigned)atoi(optarg); break;
		case 'a': active = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: table_bench [-n FLOWS] "
				"[-r ROUNDS] [-a ACTIVE%%]\n");
			return 2;
		}
	}
	if (!n || !rounds)
		return 2;
	rcu_register_thread();
	recs = malloc(n * sizeof(*recs));
	rows = malloc(PAGE * sizeof(*rows));
	dump = calloc(rounds, sizeof(*dump));
	vrate = calloc(rounds, sizeof(*vrate));
	vsrc = calloc(rounds, sizeof(*vsrc));
	vflt = calloc(rounds, sizeof(*vflt));
	if (!recs || !rows || !dump || !vrate || !vsrc || !vflt ||
	    flow_list_create(&fl))
		return 1;
	for (unsigned k = 0; k < n; k++)
		mk(&recs[k], k);
	if (filter_parse("dport 20000-20999 or src 192.0.2.7", &flt, err,
			 sizeof(err), &epos)) {
		fprintf(stderr, "table_bench: filter: %s\n", err);
		return 1;
	}
	view_opts_default(&o);
	rss0 = rss_kb();

	t = cpu_ns();
	bench_fill(fl, recs, n, now);
	printf("fill: %.1f ms for %u flows\n", (cpu_ns() - t) / 1e6, n);

	for (unsigned r = 0; r < rounds; r++) {
		now += 1000000000ull;
		for (unsigned k = 0; k < n; k++)
			if (k % 100 < active)
				recs[k].orig_bytes += 1000 + k % 5000;
		t = cpu_ns();
		bench_dump(fl, recs, n, now);
		dump[r] = cpu_ns() - t;

		o.sort = SORT_RATE;
		o.filter = NULL;
		t = cpu_ns();
		total = view_flows(fl, &o, 0, PAGE, rows, &nr, NULL);
		vrate[r] = cpu_ns() - t;
		o.sort = SORT_SRC;
		t = cpu_ns();
		view_flows(fl, &o, 0, PAGE, rows, &nr, NULL);
		vsrc[r] = cpu_ns() - t;
		o.sort = SORT_RATE;
		o.filter = flt;
		t = cpu_ns();
		view_flows(fl, &o, 0, PAGE, rows, &nr, NULL);
		vflt[r] = cpu_ns() - t;
	}
	/* median_ms() sorts: the best is then first. */
	md = median_ms(dump, (int)rounds);
	printf("dump: %.1f ms (same flows, %u%% moving; best %.1f)\n", md,
	       active, dump[0] / 1e6);
	mr = median_ms(vrate, (int)rounds);
	ms = median_ms(vsrc, (int)rounds);
	mf = median_ms(vflt, (int)rounds);
	printf("view: %.1f ms by rate, %.1f ms by source, %.1f ms filtered "
	       "(%zu shown; best %.1f, %.1f, %.1f)\n", mr, ms, mf, total,
	       vrate[0] / 1e6, vsrc[0] / 1e6, vflt[0] / 1e6);
	printf("rss: %.1f MB, %.0f bytes a flow\n", rss_kb() / 1024.0,
	       (rss_kb() - rss0) * 1024.0 / n);
	filter_free(flt);
	flow_list_destroy(fl);
	rcu_unregister_thread();
	free(recs);
	free(rows);
	free(dump);
	free(vrate);
	free(vsrc);
	free(vflt);
	return 0;
}
