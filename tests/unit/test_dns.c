/* test_dns: the dns cache, queue and workers, with a fake resolver. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "check.h"
#include "dns.h"
#include "util.h"

/*
 * A dns_name() call may wait for a table update, nothing more: it takes
 * microseconds.  The bound leaves room for a busy machine preempting the
 * test; a call that waited for a worker would take the 10 s of the gate.
 */
#define MAX_CALL_NS	(50 * 1000000ull)
#define SLOW_CALL_NS	(1000000ull)

/*
 * The fake resolver, by address:
 *   192.0.2.N     "host-N.example" at once
 *   198.51.100.N  "slow-N.example" once the gate opens (a slow server)
 *   203.0.113.N   fails, except the hostile ones below
 *   2001:db8::N   "v6-N.example"; 2001:db8::dead fails
 */
static pthread_mutex_t fk_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fk_cond = PTHREAD_COND_INITIALIZER;
static bool fk_gate_open = true;
static unsigned fk_entered, fk_returned;

#define FK_SLOTS 512
static struct {
	int family;
	uint8_t addr[16];
	unsigned calls;
} fk_calls[FK_SLOTS];

static void fk_count(int family, const void *addr)
{
	size_t n = family == AF_INET ? 4 : 16;
	int i;

	for (i = 0; i < FK_SLOTS; i++) {
		if (fk_calls[i].family == family &&
		    !memcmp(fk_calls[i].addr, addr, n))
			break;
		if (!fk_calls[i].family) {
			fk_calls[i].family = family;
			memcpy(fk_calls[i].addr, addr, n);
			break;
		}
	}
	if (i < FK_SLOTS)
		fk_calls[i].calls++;
}

static unsigned fk_calls_of(const char *text)
{
	uint8_t a[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;
	size_t n = family == AF_INET ? 4 : 16;
	unsigned calls = 0;
	int i;

	if (inet_pton(family, text, a) != 1)
		return ~0u;
	pthread_mutex_lock(&fk_lock);
	for (i = 0; i < FK_SLOTS && fk_calls[i].family; i++)
		if (fk_calls[i].family == family &&
		    !memcmp(fk_calls[i].addr, a, n))
			calls = fk_calls[i].calls;
	pthread_mutex_unlock(&fk_lock);
	return calls;
}

static void fk_reset(void)
{
	pthread_mutex_lock(&fk_lock);
	memset(fk_calls, 0, sizeof(fk_calls));
	fk_entered = fk_returned = 0;
	pthread_mutex_unlock(&fk_lock);
}

static void fk_gate(bool open)
{
	pthread_mutex_lock(&fk_lock);
	fk_gate_open = open;
	pthread_cond_broadcast(&fk_cond);
	pthread_mutex_unlock(&fk_lock);
}

static unsigned fk_get(unsigned *v)
{
	unsigned n;

	pthread_mutex_lock(&fk_lock);
	n = *v;
	pthread_mutex_unlock(&fk_lock);
	return n;
}

static int fk_resolve(int family, const void *addr, char *host, size_t len)
{
	const uint8_t *a = addr;
	struct timespec ts;
	int rc = 0;

	pthread_mutex_lock(&fk_lock);
	fk_entered++;
	fk_count(family, addr);
	if (family == AF_INET && a[0] == 198 && a[1] == 51 && a[2] == 100) {
		/* Bounded, so a broken test cannot hang forever. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 10;
		while (!fk_gate_open)
			if (pthread_cond_timedwait(&fk_cond, &fk_lock, &ts))
				break;
	}
	pthread_mutex_unlock(&fk_lock);

	if (family == AF_INET && a[0] == 192 && a[1] == 0 && a[2] == 2) {
		if (a[3] == 50)
			snprintf(host, len, "caf\xc3\xa9.example");
		else
			snprintf(host, len, "host-%u.example", a[3]);
	} else if (family == AF_INET && a[0] == 198) {
		snprintf(host, len, "slow-%u.example", a[3]);
	} else if (family == AF_INET && a[3] == 200) {
		/* What a hostile server may send: CSI, BEL, a lone C1 byte. */
		snprintf(host, len, "\x1b[31mred\x07.example\x9b");
	} else if (family == AF_INET && a[3] == 201) {
		memset(host, 'a', len - 1);
		host[len - 1] = '\0';
	} else if (family == AF_INET && a[3] == 202) {
		snprintf(host, len, "\x1b\x07\x7f");
	} else if (family == AF_INET6 && a[14] != 0xde) {
		snprintf(host, len, "v6-%u.example", a[15]);
	} else {
		rc = -ENOENT;
	}

	pthread_mutex_lock(&fk_lock);
	fk_returned++;
	pthread_mutex_unlock(&fk_lock);
	return rc;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static uint64_t max_call_ns;
static unsigned slow_calls;

/* dns_name() on text, timing the call. */
static bool name_of(const char *text, char *buf, size_t len)
{
	uint8_t a[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;
	uint64_t t0, dt;
	bool ok;

	if (inet_pton(family, text, a) != 1) {
		fprintf(stderr, "bad address %s\n", text);
		return false;
	}
	buf[0] = '\0';
	t0 = now_ns();
	ok = dns_name(family, a, buf, len);
	dt = now_ns() - t0;
	if (dt > max_call_ns)
		max_call_ns = dt;
	if (dt > SLOW_CALL_NS)
		slow_calls++;
	return ok;
}

/* Ask until the name is known, up to ms; the first call queues it. */
static bool wait_name(const char *text, char *buf, size_t len, unsigned ms)
{
	unsigned waited;

	for (waited = 0; waited <= ms; waited += 5) {
		if (name_of(text, buf, len))
			return true;
		sleep_ms(5);
	}
	return false;
}

static bool wait_pending(size_t want, unsigned ms)
{
	unsigned waited;

	for (waited = 0; waited <= ms; waited += 2) {
		if (dns_pending() == want)
			return true;
		sleep_ms(2);
	}
	return false;
}

static bool wait_entered(unsigned want, unsigned ms)
{
	unsigned waited;

	for (waited = 0; waited <= ms; waited += 2) {
		if (fk_get(&fk_entered) >= want)
			return true;
		sleep_ms(2);
	}
	return false;
}

/* First name of the first line of path for addr, as nss_files does. */
static bool hosts_name(const char *path, int family, const void *addr,
		       char *out, size_t len)
{
	char line[1024], *tok, *save;
	uint8_t a[16];
	size_t n = family == AF_INET ? 4 : 16;
	FILE *f = fopen(path, "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#\n")] = '\0';
		tok = strtok_r(line, " \t", &save);
		if (!tok || inet_pton(family, tok, a) != 1 ||
		    memcmp(a, addr, n))
			continue;
		tok = strtok_r(NULL, " \t", &save);
		if (tok) {
			snprintf(out, len, "%s", tok);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void test_not_started(void)
{
	char buf[DNS_NAME_MAX];
	struct dns_stats st;

	CHECK(!name_of("192.0.2.1", buf, sizeof(buf)));
	CHECK(dns_pending() == 0);
	dns_get_stats(&st);
	CHECK(st.requests == 0 && st.entries == 0);
	dns_stop();
	CHECK(dns_start(0, 16, 60, 60) == -EINVAL);
	CHECK(dns_start(2, 0, 60, 60) == -EINVAL);
	CHECK(dns_start(1000, 16, 60, 60) == -EINVAL);
}

/* The real getnameinfo(): only addresses /etc/hosts answers, no network. */
static void test_system_resolver(void)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	const uint8_t lo4[4] = { 127, 0, 0, 1 };
	char buf[DNS_NAME_MAX], want[DNS_NAME_MAX];

	dns_set_resolver(NULL);
	CHECK(dns_start(4, 64, 60, 60) == 0);
	CHECK(dns_start(4, 64, 60, 60) == -EALREADY);

	/* Without a hosts line the address would go to DNS, which a unit
	 * test must not do; the fake resolver below covers the rest. */
	if (hosts_name("/etc/hosts", AF_INET, lo4, want, sizeof(want))) {
		CHECK(!name_of("127.0.0.1", buf, sizeof(buf)));
		CHECK(wait_name("127.0.0.1", buf, sizeof(buf), 5000));
		CHECK_STR(buf, want);
	} else {
		printf("note: no 127.0.0.1 line in /etc/hosts, not asked\n");
	}
	if (hosts_name("/etc/hosts", AF_INET6, lo6, want, sizeof(want))) {
		CHECK(wait_name("::1", buf, sizeof(buf), 5000));
		CHECK_STR(buf, want);
	} else {
		printf("note: no ::1 line in /etc/hosts, real ::1 not asked\n");
	}
	CHECK(wait_pending(0, 2000));
	dns_stop();
	CHECK(dns_pending() == 0);
	CHECK(!name_of("127.0.0.1", buf, sizeof(buf)));
}

static void test_names_and_failures(void)
{
	char buf[DNS_NAME_MAX], small[5];
	struct dns_stats st, st2;
	int i;

	fk_reset();
	dns_set_resolver(fk_resolve);
	dns_set_cache_max(0);
	CHECK(dns_start(2, 4, 60, 60) == 0);

	/* Unknown: false at once, then the name. */
	CHECK(!name_of("192.0.2.1", buf, sizeof(buf)));
	CHECK(wait_name("192.0.2.1", buf, sizeof(buf), 2000));
	CHECK_STR(buf, "host-1.example");
	CHECK(name_of("192.0.2.1", buf, sizeof(buf)));
	CHECK(fk_calls_of("192.0.2.1") == 1);

	/* dns_cached: known names only, and it never queues. */
	{
		uint8_t a[16];

		inet_pton(AF_INET, "192.0.2.1", a);
		CHECK(dns_cached(AF_INET, a, buf, sizeof(buf)));
		CHECK_STR(buf, "host-1.example");
		inet_pton(AF_INET, "192.0.2.77", a);
		CHECK(!dns_cached(AF_INET, a, buf, sizeof(buf)));
		CHECK(!dns_failed(AF_INET, a));
		CHECK(dns_pending() == 0);
		CHECK(fk_calls_of("192.0.2.77") == 0);
		inet_pton(AF_INET, "192.0.2.1", a);
		CHECK(!dns_failed(AF_INET, a));
	}

	CHECK(wait_name("2001:db8::1", buf, sizeof(buf), 2000));
	CHECK_STR(buf, "v6-1.example");
	/* Same leading bytes as 192.0.2.1, but another family and key. */
	CHECK(wait_name("c000:201::", buf, sizeof(buf), 2000));
	CHECK_STR(buf, "v6-0.example");
	CHECK(name_of("192.0.2.1", buf, sizeof(buf)));
	CHECK_STR(buf, "host-1.example");

	/* A failure is cached: asking again queues nothing. */
	CHECK(!name_of("203.0.113.1", buf, sizeof(buf)));
	CHECK(wait_pending(0, 2000));
	dns_get_stats(&st);
	CHECK(st.failures == 1);
	{
		uint8_t a[16];

		inet_pton(AF_INET, "203.0.113.1", a);
		CHECK(dns_failed(AF_INET, a));
		CHECK(!dns_failed(AF_INET6, a));
	}
	for (i = 0; i < 10; i++) {
		CHECK(!name_of("203.0.113.1", buf, sizeof(buf)));
		CHECK(dns_pending() == 0);
	}
	dns_get_stats(&st2);
	CHECK(fk_calls_of("203.0.113.1") == 1);
	CHECK(st2.queued == st.queued);
	CHECK(st2.neg_hits == st.neg_hits + 10);
	CHECK(!name_of("2001:db8::dead", buf, sizeof(buf)));
	CHECK(wait_pending(0, 2000));
	CHECK(!name_of("2001:db8::dead", buf, sizeof(buf)));
	CHECK(fk_calls_of("2001:db8::dead") == 1);

	/* Hostile answers come out inert. */
	CHECK(wait_name("203.0.113.200", buf, sizeof(buf), 2000));
	CHECK_STR(buf, "?[31mred?.example?");
	CHECK(wait_name("203.0.113.201", buf, sizeof(buf), 2000));
	CHECK(strlen(buf) == DNS_NAME_MAX - 1);
	CHECK(strspn(buf, "a") == DNS_NAME_MAX - 1);
	CHECK(wait_name("203.0.113.202", buf, sizeof(buf), 2000));
	CHECK_STR(buf, "???");

	/* A short buffer: cut, terminated, no half UTF-8 sequence. */
	CHECK(wait_name("192.0.2.50", buf, sizeof(buf), 2000));
	CHECK_STR(buf, "caf\xc3\xa9.example");
	CHECK(name_of("192.0.2.50", small, sizeof(small)));
	CHECK_STR(small, "caf");
	CHECK(name_of("192.0.2.1", small, sizeof(small)));
	CHECK_STR(small, "host");
	CHECK(name_of("192.0.2.1", small, 1));
	CHECK_STR(small, "");

	CHECK(!dns_name(AF_UNIX, "xxxxxxxxxxxxxxxx", buf, sizeof(buf)));
	CHECK(!dns_name(AF_INET, NULL, buf, sizeof(buf)));
	dns_stop();
}

/* In-flight dedup, a full queue, and calls that never wait. */
static void test_queue(void)
{
	char buf[DNS_NAME_MAX], text[64];
	struct dns_stats st, st2;
	uint64_t t0, worst;
	int i;

	fk_reset();
	dns_set_resolver(fk_resolve);
	CHECK(dns_start(2, 4, 60, 60) == 0);
	fk_gate(false);

	/* One request in flight per address, however often it is asked. */
	for (i = 0; i < 50; i++)
		CHECK(!name_of("198.51.100.1", buf, sizeof(buf)));
	CHECK(wait_entered(1, 2000));
	CHECK(dns_pending() == 1);
	dns_get_stats(&st);
	CHECK(st.queued == 1);
	for (i = 0; i < 50; i++)
		CHECK(!name_of("198.51.100.1", buf, sizeof(buf)));
	CHECK(fk_calls_of("198.51.100.1") == 1);

	/* Both workers stuck, then the queue (4) fills. */
	CHECK(!name_of("198.51.100.2", buf, sizeof(buf)));
	CHECK(wait_entered(2, 2000));
	for (i = 3; i <= 6; i++) {
		snprintf(text, sizeof(text), "198.51.100.%d", i);
		CHECK(!name_of(text, buf, sizeof(buf)));
	}
	CHECK(dns_pending() == 6);

	/* Full: dropped at once, not remembered. */
	max_call_ns = 0;
	t0 = now_ns();
	CHECK(!name_of("198.51.100.7", buf, sizeof(buf)));
	CHECK(now_ns() - t0 < MAX_CALL_NS);
	CHECK(dns_pending() == 6);
	dns_get_stats(&st);
	CHECK(st.dropped == 1);
	CHECK(st.entries == 6);

	/* Workers busy for good: thousands of calls, none waits. */
	max_call_ns = 0;
	slow_calls = 0;
	t0 = now_ns();
	for (i = 0; i < 20000; i++) {
		snprintf(text, sizeof(text), "198.51.100.%d", i % 250);
		name_of(text, buf, sizeof(buf));
		name_of("192.0.2.1", buf, sizeof(buf));
	}
	worst = max_call_ns;
	printf("dns_name: 40000 calls with workers stuck: %.1f ms total, "
	       "worst %.3f ms, %u over 1 ms\n", (double)(now_ns() - t0) / 1e6,
	       (double)worst / 1e6, slow_calls);
	CHECK(worst < MAX_CALL_NS);
	CHECK(slow_calls < 40);
	CHECK(dns_pending() == 6);
	dns_get_stats(&st2);
	CHECK(st2.queued == st.queued);
	CHECK(fk_calls_of("198.51.100.7") == 0);

	/* The server answers: everything resolves; the dropped one is
	 * queued on a later call. */
	fk_gate(true);
	CHECK(wait_pending(0, 5000));
	CHECK(name_of("198.51.100.6", buf, sizeof(buf)));
	CHECK_STR(buf, "slow-6.example");
	CHECK(wait_name("198.51.100.7", buf, sizeof(buf), 2000));
	CHECK_STR(buf, "slow-7.example");
	CHECK(fk_calls_of("198.51.100.1") == 1);
	dns_stop();
}

/* Answers and failures expire; an old name stays while it refreshes. */
static void test_expiry(void)
{
	char buf[DNS_NAME_MAX];
	struct dns_stats st;

	fk_reset();
	dns_set_resolver(fk_resolve);
	CHECK(dns_start(2, 16, 1, 1) == 0);
	CHECK(wait_name("198.51.100.20", buf, sizeof(buf), 2000));
	CHECK(!name_of("203.0.113.5", buf, sizeof(buf)));
	CHECK(wait_pending(0, 2000));
	CHECK(!name_of("203.0.113.5", buf, sizeof(buf)));
	CHECK(fk_calls_of("203.0.113.5") == 1);

	sleep_ms(1100);
	fk_gate(false);
	CHECK(name_of("198.51.100.20", buf, sizeof(buf)));
	CHECK_STR(buf, "slow-20.example");
	CHECK(wait_entered(3, 2000));
	CHECK(dns_pending() == 1);
	/* Refresh running: still the old name, nothing queued twice. */
	CHECK(name_of("198.51.100.20", buf, sizeof(buf)));
	CHECK_STR(buf, "slow-20.example");
	CHECK(dns_pending() == 1);
	CHECK(fk_calls_of("198.51.100.20") == 2);

	/* The failure is asked again after neg_ttl. */
	CHECK(!name_of("203.0.113.5", buf, sizeof(buf)));
	CHECK(wait_entered(4, 2000));
	CHECK(fk_calls_of("203.0.113.5") == 2);
	fk_gate(true);
	CHECK(wait_pending(0, 2000));
	dns_get_stats(&st);
	CHECK(st.answers == 2 && st.failures == 2);
	dns_stop();
}

/* The cache is bounded and evicts the least recently used. */
static void test_lru(void)
{
	char buf[DNS_NAME_MAX], text[64];
	struct dns_stats st;
	int i;

	fk_reset();
	dns_set_resolver(fk_resolve);
	dns_set_cache_max(8);
	CHECK(dns_start(2, 4, 60, 60) == 0);
	for (i = 100; i < 120; i++) {
		snprintf(text, sizeof(text), "192.0.2.%d", i);
		CHECK(wait_name(text, buf, sizeof(buf), 2000));
		/* Keep .100 recently used. */
		CHECK(name_of("192.0.2.100", buf, sizeof(buf)));
	}
	dns_get_stats(&st);
	CHECK(st.entries == 8);
	CHECK(st.evicted == 12);
	CHECK(name_of("192.0.2.100", buf, sizeof(buf)));
	CHECK_STR(buf, "host-100.example");
	CHECK(name_of("192.0.2.119", buf, sizeof(buf)));
	CHECK(fk_calls_of("192.0.2.100") == 1);
	/* .101 was the oldest: gone, asked again. */
	CHECK(!name_of("192.0.2.101", buf, sizeof(buf)));
	CHECK(wait_name("192.0.2.101", buf, sizeof(buf), 2000));
	CHECK(fk_calls_of("192.0.2.101") == 2);
	dns_get_stats(&st);
	CHECK(st.entries == 8);
	dns_stop();
	dns_set_cache_max(0);
}

/* A worker stuck on a dead server does not hold up dns_stop(). */
static void test_stop_stuck(void)
{
	char buf[DNS_NAME_MAX];
	uint64_t t0, dt;
	int i;

	fk_reset();
	dns_set_resolver(fk_resolve);
	CHECK(dns_start(2, 4, 60, 60) == 0);
	fk_gate(false);
	CHECK(!name_of("198.51.100.30", buf, sizeof(buf)));
	CHECK(!name_of("198.51.100.31", buf, sizeof(buf)));
	CHECK(!name_of("198.51.100.32", buf, sizeof(buf)));
	CHECK(wait_entered(2, 2000));
	CHECK(dns_pending() == 3);
	t0 = now_ns();
	dns_stop();
	dt = now_ns() - t0;
	printf("dns_stop with 2 stuck workers: %.1f ms\n", (double)dt / 1e6);
	CHECK(dt < 1000000000ull);
	CHECK(dns_pending() == 0);
	CHECK(!name_of("198.51.100.30", buf, sizeof(buf)));

	/* A new generation works while the old workers still hang. */
	CHECK(dns_start(2, 4, 60, 60) == 0);
	CHECK(wait_name("192.0.2.7", buf, sizeof(buf), 2000));
	CHECK_STR(buf, "host-7.example");
	fk_gate(true);
	/* The detached workers return and free the old state. */
	for (i = 0; i < 1000; i++) {
		if (fk_get(&fk_returned) == fk_get(&fk_entered))
			break;
		sleep_ms(2);
	}
	CHECK(fk_get(&fk_returned) == 3);
	sleep_ms(50);
	dns_stop();
}

struct hammer {
	int id;
	unsigned named;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	char buf[DNS_NAME_MAX];
	uint8_t a[4] = { 192, 0, 2, 0 };
	uint64_t end = now_ns() + 5000000000ull;
	int i;

	/* Until some names came back, on a machine busy with other tests. */
	for (i = 0; i < 20000 || (!h->named && now_ns() < end); i++) {
		a[3] = (uint8_t)((i * 7 + h->id) % 64);
		if (dns_name(AF_INET, a, buf, sizeof(buf)))
			h->named++;
	}
	return NULL;
}

/* Several threads at once (run this one under TSan too). */
static void test_threads(void)
{
	struct hammer h[4];
	pthread_t t[4];
	char buf[DNS_NAME_MAX], want[64], text[64];
	int i, ok = 1;

	fk_reset();
	dns_set_resolver(fk_resolve);
	dns_set_cache_max(32);
	CHECK(dns_start(4, 8, 60, 60) == 0);
	for (i = 0; i < 4; i++) {
		h[i].id = i;
		h[i].named = 0;
		CHECK(pthread_create(&t[i], NULL, hammer_thread, &h[i]) == 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++)
		CHECK(h[i].named > 0);
	CHECK(wait_pending(0, 2000));
	for (i = 1; i < 64; i += 9) {
		snprintf(text, sizeof(text), "192.0.2.%d", i);
		snprintf(want, sizeof(want), "host-%d.example", i);
		if (!wait_name(text, buf, sizeof(buf), 2000) ||
		    strcmp(buf, want))
			ok = 0;
	}
	CHECK(ok);
	dns_stop();
	dns_set_cache_max(0);
}

int main(void)
{
	test_not_started();
	test_system_resolver();
	test_names_and_failures();
	test_queue();
	test_expiry();
	test_lru();
	test_stop_stuck();
	test_threads();
	dns_set_resolver(NULL);
	return check_summary("test_dns");
}
