/*
 * dns_drv: ask dns_name() for some addresses in a loop, as the screen does,
 * and report when names appear and how long each call and each round took.
 *
 * usage: dns_drv [-w workers] [-q queue] [-t ttl] [-n neg_ttl]
 *                [-i interval_ms] [-d duration_ms] [-a] ADDRESS...
 * -a ends the loop once every address has a name.  Output, one per line:
 *   name ADDRESS NAME|- MS|-     MS: time from start to the first name
 *   calls N, max_call_us N, max_period_ms N.N, loops N, pending N,
 *   stop_ms N
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "util.h"

struct drv_addr {
	const char *text;
	int family;
	unsigned char bin[16];
	char name[DNS_NAME_MAX];
	long long named_ms;	/* -1 until named */
};

static unsigned long drv_num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end) {
		fprintf(stderr, "dns_drv: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long workers = 4, queue = 64, ttl = 60, neg_ttl = 60;
	unsigned long interval = 100, duration = 10000;
	struct drv_addr *a;
	struct timespec next;
	uint64_t start, t0, t1, prev = 0, max_call = 0, max_period = 0;
	unsigned long long calls = 0, loops = 0;
	int opt, i, n, left, all = 0, rc;
	char buf[DNS_NAME_MAX];

	while ((opt = getopt(argc, argv, "w:q:t:n:i:d:a")) != -1) {
		switch (opt) {
		case 'w':
			workers = drv_num(optarg, "workers");
			break;
		case 'q':
			queue = drv_num(optarg, "queue");
			break;
		case 't':
			ttl = drv_num(optarg, "ttl");
			break;
		case 'n':
			neg_ttl = drv_num(optarg, "neg_ttl");
			break;
		case 'i':
			interval = drv_num(optarg, "interval");
			break;
		case 'd':
			duration = drv_num(optarg, "duration");
			break;
		case 'a':
			all = 1;
			break;
		default:
			fprintf(stderr, "usage: dns_drv [-w N] [-q N] [-t S] "
				"[-n S] [-i MS] [-d MS] [-a] ADDRESS...\n");
			return 2;
		}
	}
	n = argc - optind;
	if (n <= 0 || !interval) {
		fprintf(stderr, "dns_drv: no addresses\n");
		return 2;
	}
	a = calloc((size_t)n, sizeof(*a));
	if (!a)
		return 1;
	for (i = 0; i < n; i++) {
		a[i].text = argv[optind + i];
		a[i].family = strchr(a[i].text, ':') ? AF_INET6 : AF_INET;
		a[i].named_ms = -1;
		if (inet_pton(a[i].family, a[i].text, a[i].bin) != 1) {
			fprintf(stderr, "dns_drv: bad address %s\n", a[i].text);
			return 2;
		}
	}
	rc = dns_start((unsigned)workers, queue, (unsigned)ttl,
		       (unsigned)neg_ttl);
	if (rc) {
		fprintf(stderr, "dns_drv: dns_start: %s\n", strerror(-rc));
		return 1;
	}

	start = util_now_mono();
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		t0 = util_now_mono();
		if (prev && t0 - prev > max_period)
			max_period = t0 - prev;
		prev = t0;
		loops++;
		left = 0;
		for (i = 0; i < n; i++) {
			t0 = util_now_mono();
			rc = dns_name(a[i].family, a[i].bin, buf, sizeof(buf));
			t1 = util_now_mono();
			calls++;
			if (t1 - t0 > max_call)
				max_call = t1 - t0;
			if (rc && a[i].named_ms < 0) {
				memcpy(a[i].name, buf, sizeof(buf));
				a[i].named_ms =
					(long long)((t1 - start) / 1000000);
			}
			if (a[i].named_ms < 0)
				left++;
		}
		t1 = util_now_mono();
		if ((all && !left) || t1 - start >=
		    (uint64_t)duration * 1000000ull) {
			/* The last round counts too, as a lower bound. */
			if (t1 - prev > max_period)
				max_period = t1 - prev;
			break;
		}
		/* Absolute deadlines: a slow round does not shift the rest. */
		next.tv_nsec += (long)(interval % 1000) * 1000000L;
		next.tv_sec += (time_t)(interval / 1000);
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
	}

	for (i = 0; i < n; i++) {
		if (a[i].named_ms >= 0)
			printf("name %s %s %lld\n", a[i].text, a[i].name,
			       a[i].named_ms);
		else
			printf("name %s - -\n", a[i].text);
	}
	printf("calls %llu\n", calls);
	printf("max_call_us %llu\n", (unsigned long long)(max_call / 1000));
	printf("max_period_ms %.1f\n", (double)max_period / 1e6);
	printf("loops %llu\n", loops);
	printf("pending %zu\n", dns_pending());
	fflush(stdout);
	t0 = util_now_mono();
	dns_stop();
	printf("stop_ms %llu\n",
	       (unsigned long long)((util_now_mono() - t0) / 1000000));
	free(a);
	return 0;
}
