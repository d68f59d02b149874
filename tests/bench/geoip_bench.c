/* geoip_bench: ns per geoip_lookup() (tree walk, decode, sanitize, intern)
 * on a generated GeoIP2-City + ASN pair with ~100k networks each.
 *
 * Usage: geoip_bench [-n NETWORKS] [-l LOOKUPS] [-t THREADS] [-c]
 *   -c: exit 1 when a lookup costs more than 2000 ns (the target).
 * Run from the repository root (it runs tests/tools/mkmmdb.py; MKMMDB
 * overrides the path).  Networks are /56s of 2001:db8::/32 plus /32 hosts
 * of the IPv4 documentation ranges, so the tree is deeper than a real
 * IPv4 one: a pessimistic figure. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "geoip.h"

#define TARGET_NS	2000.0
#define CITIES		5000
#define ASNS		2000

struct addr {
	int family;
	unsigned char a[16];
};

static struct addr *addrs;
static size_t naddrs;
static long lookups = 1000000;

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* CPU time of all workers: a busy machine inflates wall time only. */
static _Atomic uint64_t cpu_ns;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void net6(char *buf, size_t len, long i, bool host)
{
	snprintf(buf, len,
		 host ? "2001:db8:%lx:%lx2a::1" : "2001:db8:%lx:%lx00::",
		 (i >> 8) & 0xffff, i & 0xff);
}

static const char *const v4nets[] = { "192.0.2", "198.51.100", "203.0.113" };

static int write_city(const char *path, long n)
{
	static const char *const langs[] = { "de", "en", "es", "fr", "ja",
					     "pt-BR", "ru", "zh-CN" };
	FILE *f = fopen(path, "w");
	char net[64];
	long i;
	int c, l;

	if (!f)
		return -1;
	fprintf(f, "{\"ip_version\": 6, \"database_type\": \"GeoIP2-City\","
		" \"record_size\": 28, \"networks\": [\n");
	for (i = 0; i < n + 768; i++) {
		if (i < n) {
			net6(net, sizeof(net), i, false);
			strcat(net, "/56");
		} else {
			snprintf(net, sizeof(net), "%s.%ld/32",
				 v4nets[(i - n) / 256], (i - n) % 256);
		}
		c = (int)(i % CITIES);
		fprintf(f, "%s[\"%s\", {\"city\": {\"geoname_id\": %d, "
			"\"names\": {", i ? ",\n" : "", net, 1000 + c);
		for (l = 0; l < 8; l++)
			fprintf(f, "%s\"%s\": \"City %d %s\"", l ? ", " : "",
				langs[l], c, langs[l]);
		fprintf(f, "}}, \"continent\": {\"code\": \"EU\", "
			"\"geoname_id\": 6255148, \"names\": {\"en\": "
			"\"Europe\", \"de\": \"Europa\"}}, \"country\": "
			"{\"geoname_id\": %d, \"iso_code\": \"%c%c\", "
			"\"names\": {\"de\": \"Land %d\","
			" \"en\": \"Country %d\", \"fr\": \"Pays %d\"}},"
			" \"location\": {\"accuracy_radius\": 100, "
			"\"latitude\": "
			"%d.5, \"longitude\": %d.25, \"time_zone\": "
			"\"Europe/Berlin\"}, \"postal\": {\"code\": \"%05d\"},"
			" \"registered_country\": {\"geoname_id\": %d, "
			"\"iso_code\": \"%c%c\", \"names\": {\"en\": "
			"\"Country %d\"}}, \"subdivisions\": [{\"iso_code\": "
			"\"BE\", \"names\": {\"en\": \"Region %d\"}}]}]",
			c % 200, 'A' + c % 26, 'A' + (c / 26) % 26, c % 200,
			c % 200, c % 200, c % 90, c % 180, c, c % 200,
			'A' + c % 26, 'A' + (c / 26) % 26, c % 200, c % 50);
	}
	fprintf(f, "]}\n");
	return fclose(f);
}

static int write_asn(const char *path, long n)
{
	FILE *f = fopen(path, "w");
	char net[64];
	long i;

	if (!f)
		return -1;
	fprintf(f, "{\"ip_version\": 6, \"database_type\": \"GeoLite2-ASN\","
		" \"networks\": [\n");
	for (i = 0; i < n; i++) {
		net6(net, sizeof(net), i, false);
		fprintf(f, "%s[\"%s/56\", {\"autonomous_system_number\": %ld, "
			"\"autonomous_system_organization\": \"Org %ld "
			"Networks Ltd\"}]", i ? ",\n" : "", net,
			64496 + i % ASNS, i % ASNS);
	}
	fprintf(f, "]}\n");
	return fclose(f);
}

static int run_mkmmdb(const char *json, const char *out)
{
	const char *tool = getenv("MKMMDB");
	char cmd[1024];
	int rc;

	if (!tool)
		tool = "tests/tools/mkmmdb.py";
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' '%s'", tool, json, out);
	rc = system(cmd);
	return rc == 0 ? 0 : -1;
}

static void *worker(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uintptr_t)arg, miss = 0;
	uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	long i;

	for (i = 0; i < lookups; i++) {
		const struct addr *a = &addrs[xorshift(&seed) % naddrs];

		if (!geoip_lookup(a->family, a->a))
			miss++;
	}
	cpu_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	return (void *)(uintptr_t)miss;
}

/* Returns CPU ns per lookup; *wall gets wall ns per lookup of a thread. */
static double timed(int threads, double *wall)
{
	pthread_t th[16];
	uint64_t t0, misses = 0;
	void *ret;
	int i;

	cpu_ns = 0;
	t0 = now_ns();
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
	for (i = 0; i < threads; i++) {
		pthread_join(th[i], &ret);
		misses += (uintptr_t)ret;
	}
	if (misses)
		fprintf(stderr, "geoip_bench: %llu lookups found nothing\n",
			(unsigned long long)misses);
	*wall = (double)(now_ns() - t0) / (double)lookups;
	return (double)cpu_ns / (double)lookups / threads;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/flowtop-geoip-bench-XXXXXX", path[256], out[256];
	const char *dirs[] = { dir, NULL };
	long nets = 100000, i;
	int threads = 2, opt, n;
	bool check = false;
	const char *hint;
	double ns1, nsn, cold, wall1, walln;
	uint64_t t0;

	while ((opt = getopt(argc, argv, "n:l:t:c")) != -1) {
		switch (opt) {
		case 'n':
			nets = atol(optarg);
			break;
		case 'l':
			lookups = atol(optarg);
			break;
		case 't':
			threads = atoi(optarg);
			break;
		case 'c':
			check = true;
			break;
		default:
			fprintf(stderr, "usage: geoip_bench [-n NETWORKS] "
				"[-l LOOKUPS] [-t THREADS] [-c]\n");
			return 2;
		}
	}
	if (nets < 1 || nets > 1 << 24 || lookups < 1 || threads < 1 ||
	    threads > 16) {
		fprintf(stderr, "geoip_bench: bad arguments\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("geoip_bench: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/city.json", dir);
	snprintf(out, sizeof(out), "%s/Bench-City.mmdb", dir);
	t0 = now_ns();
	if (write_city(path, nets) || run_mkmmdb(path, out)) {
		fprintf(stderr, "geoip_bench: cannot write the city "
			"database\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/asn.json", dir);
	snprintf(out, sizeof(out), "%s/Bench-ASN.mmdb", dir);
	if (write_asn(path, nets) || run_mkmmdb(path, out)) {
		fprintf(stderr, "geoip_bench: cannot write the ASN database\n");
		return 1;
	}
	printf("geoip_bench: wrote databases in %.1f s\n",
	       (double)(now_ns() - t0) / 1e9);
	snprintf(path, sizeof(path), "%s/nodef.conf", dir);
	{
		FILE *f = fopen(path, "w");

		if (!f || fputs("nodefaultdirs\n", f) < 0 || fclose(f)) {
			fprintf(stderr, "geoip_bench: cannot write %s\n", path);
			return 1;
		}
	}
	n = geoip_open(path, dirs, &hint, NULL);
	if (n != 2) {
		fprintf(stderr, "geoip_bench: opened %d databases (%s)\n", n,
			hint ? hint : "");
		return 1;
	}

	naddrs = (size_t)nets + 768;
	addrs = calloc(naddrs, sizeof(*addrs));
	if (!addrs)
		return 1;
	for (i = 0; i < (long)naddrs; i++) {
		char text[64];

		if (i < nets) {
			net6(text, sizeof(text), i, true);
			addrs[i].family = AF_INET6;
		} else {
			snprintf(text, sizeof(text), "%s.%ld",
				 v4nets[(i - nets) / 256], (i - nets) % 256);
			addrs[i].family = AF_INET;
		}
		inet_pton(addrs[i].family, text, addrs[i].a);
	}

	/* Cold: every distinct result is interned on first sight. */
	t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < (long)naddrs; i++)
		geoip_lookup(addrs[i].family, addrs[i].a);
	cold = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) /
	       (double)naddrs;

	ns1 = timed(1, &wall1);
	nsn = timed(threads, &walln);
	printf("geoip_bench: %ld networks, %ld lookups per thread\n", nets,
	       lookups);
	printf("geoip_bench: first pass (interning): %.0f ns/lookup CPU\n",
	       cold);
	printf("geoip_bench: 1 thread: %.0f ns/lookup CPU, %.0f wall "
	       "(target %.0f)\n", ns1, wall1, TARGET_NS);
	printf("geoip_bench: %d threads: %.0f ns/lookup CPU, %.0f wall, "
	       "per thread\n", threads, nsn, walln);
	geoip_close();
	free(addrs);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path))
		fprintf(stderr, "geoip_bench: cannot remove %s\n", dir);
	if (check && (ns1 > TARGET_NS || cold > TARGET_NS)) {
		printf("geoip_bench: FAIL: over %.0f ns\n", TARGET_NS);
		return 1;
	}
	return 0;
}
