/* test_scope: which dumps a scan asks the kernel for (collector_scope.c),
 * against a pretend kernel that holds some (family, protocol) pairs and
 * filters, refuses or ignores CTA_FILTER. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "collector.h"
#include "collector_impl.h"

enum kmode { K_WORKS, K_IGNORES, K_REFUSES };

struct kernel {
	enum kmode mode;
	struct { uint8_t family, proto; } has[16];
	int n;
	char log[256];		/* the requests: "4/6 6/17 A/x", x all */
	struct collector_scope *s;
	unsigned sent;		/* entries handed over */
};

/* What ctnetlink would send for one request; the collector marks what
 * it sees, as dump_cb does. */
static int kdump(void *arg, uint8_t family, int proto)
{
	struct kernel *k = arg;
	size_t o = strlen(k->log);
	struct flow_rec r;
	bool other = false;

	snprintf(k->log + o, sizeof(k->log) - o, "%s%c/", o ? " " : "",
		 family == AF_INET ? '4' : family == AF_INET6 ? '6' : 'A');
	o = strlen(k->log);
	if (proto < 0)
		snprintf(k->log + o, sizeof(k->log) - o, "x");
	else
		snprintf(k->log + o, sizeof(k->log) - o, "%d", proto);
	if (proto >= 0 && k->mode == K_REFUSES)
		return -EOPNOTSUPP;
	if (proto >= 0 && family == AF_UNSPEC)
		return -EOPNOTSUPP;
	for (int i = 0; i < k->n; i++) {
		if (family && k->has[i].family != family)
			continue;
		if (proto >= 0 && k->mode == K_WORKS &&
		    k->has[i].proto != proto)
			continue;
		memset(&r, 0, sizeof(r));
		r.family = k->has[i].family;
		r.l4proto = k->has[i].proto;
		collector_scope_seen(k->s, &r);
		other |= proto >= 0 && r.l4proto != proto;
		k->sent++;
	}
	return other ? 1 : 0;
}

static const char *scan(struct kernel *k)
{
	k->log[0] = '\0';
	k->sent = 0;
	CHECK(collector_scope_scan(k->s, kdump, k) == 0);
	return k->log;
}

static void want(struct collector_scope *s, bool v4, bool v6, bool all,
		 const uint8_t *protos, int n)
{
	struct flow_scope w = { .ipv4 = v4, .ipv6 = v6, .all_protos = all };

	for (int i = 0; i < n; i++)
		w.protos[protos[i] / 64] |= 1ull << (protos[i] % 64);
	collector_scope_set(s, &w);
}

static void setup(struct kernel *k, struct collector_scope *s,
		  enum kmode mode)
{
	memset(k, 0, sizeof(*k));
	k->mode = mode;
	k->s = s;
	k->has[k->n].family = AF_INET;
	k->has[k->n++].proto = IPPROTO_TCP;
	k->has[k->n].family = AF_INET;
	k->has[k->n++].proto = IPPROTO_UDP;
	k->has[k->n].family = AF_INET6;
	k->has[k->n++].proto = IPPROTO_UDP;
	collector_scope_init(s);
}

/* Six IPv4 ESP entries, hidden in the tests below: asking by protocol
 * pays then. */
static void hidden(struct kernel *k)
{
	for (int i = 0; i < 6; i++) {
		k->has[k->n].family = AF_INET;
		k->has[k->n++].proto = IPPROTO_ESP;
	}
}

/* Shown protocols that are all of the table: one walk, no filter. */
static void test_cost(void)
{
	static const uint8_t tcp_udp[] = { IPPROTO_TCP, IPPROTO_UDP };
	static const uint8_t tcp[] = { IPPROTO_TCP };
	struct collector_scope s;
	struct kernel k;

	setup(&k, &s, K_WORKS);
	want(&s, true, true, false, tcp_udp, 2);
	CHECK_STR(scan(&k), "A/x");
	CHECK_STR(scan(&k), "A/x");
	hidden(&k);
	CHECK_STR(scan(&k), "A/x");	/* learns the ESP entries */
	CHECK_STR(scan(&k), "4/6 4/17 6/17");
	/* Not shown, so not in the table: the kernel counts them still. */
	CHECK(collector_scope_hidden(&s) == 6);
	want(&s, true, true, false, tcp, 1);
	CHECK_STR(scan(&k), "4/6");
	CHECK(k.sent == 1);
	CHECK(collector_scope_hidden(&s) == 6 + 2);
	want(&s, false, true, true, NULL, 0);
	CHECK(collector_scope_hidden(&s) == 6 + 2);	/* IPv4's */
	want(&s, true, true, true, NULL, 0);
	CHECK(collector_scope_hidden(&s) == 0);
}

static void test_plans(void)
{
	static const uint8_t tcp[] = { IPPROTO_TCP };
	static const uint8_t udp[] = { IPPROTO_UDP, IPPROTO_UDPLITE };
	struct collector_scope s;
	struct kernel k;
	struct flow_rec r;

	setup(&k, &s, K_WORKS);
	/* All, as before collector_set_scope: one walk, no filter. */
	CHECK_STR(scan(&k), "A/x");
	CHECK(s.filter == COLLECTOR_CT_FILTER_UNUSED && s.requests == 1);
	/* -T: IPv4 TCP only; IPv6 holds no TCP: not asked. */
	want(&s, true, true, false, tcp, 1);
	CHECK_STR(scan(&k), "4/6");
	CHECK(k.sent == 1 && s.filter == COLLECTOR_CT_FILTER_WORKS);
	/* -U: UDP of both families, UDP-lite held by neither. */
	want(&s, true, true, false, udp, 2);
	CHECK_STR(scan(&k), "4/17 6/17");
	/* A NEW event of IPv6 TCP: asked for from now on under -T. */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.l4proto = IPPROTO_TCP;
	collector_scope_seen(&s, &r);
	want(&s, true, true, false, tcp, 1);
	CHECK_STR(scan(&k), "4/6 6/6");
	/* Lost events: the families whole again, then filtered. */
	collector_scope_forget(&s);
	CHECK_STR(scan(&k), "A/x");
	CHECK_STR(scan(&k), "4/6");
	/* -4 -O: the family only. */
	want(&s, true, false, true, NULL, 0);
	CHECK_STR(scan(&k), "4/x");
	/* Nothing shown: nothing asked. */
	want(&s, false, false, false, NULL, 0);
	CHECK_STR(scan(&k), "");
	/* -6 -U before IPv6 was ever dumped alone: known from above. */
	want(&s, false, true, false, udp, 2);
	CHECK_STR(scan(&k), "6/17");
}

static void test_old_kernels(void)
{
	static const uint8_t tcp_udp[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct collector_scope s;
	struct kernel k;

	/* EOPNOTSUPP to the filter: the family whole, then always so. */
	setup(&k, &s, K_REFUSES);
	hidden(&k);
	want(&s, true, true, false, tcp_udp, 2);
	CHECK_STR(scan(&k), "A/x");
	CHECK_STR(scan(&k), "4/6 4/x 6/x");
	CHECK(s.filter == COLLECTOR_CT_FILTER_REFUSED);
	CHECK_STR(scan(&k), "A/x");
	/* Older than 5.8: the filter ignored, the answer was the family. */
	setup(&k, &s, K_IGNORES);
	hidden(&k);
	want(&s, true, false, false, tcp_udp, 2);
	CHECK_STR(scan(&k), "4/x");
	CHECK_STR(scan(&k), "4/6");
	CHECK(s.filter == COLLECTOR_CT_FILTER_IGNORED && k.sent == 8);
	CHECK_STR(scan(&k), "4/x");
}

static void test_has(void)
{
	static const uint8_t gre[] = { IPPROTO_GRE };
	struct collector_scope s;
	struct flow_rec r;
	struct flow_scope a = { .ipv4 = true }, b = a;

	collector_scope_init(&s);
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.l4proto = IPPROTO_GRE;
	CHECK(collector_scope_has(&s, &r));
	want(&s, true, false, false, gre, 1);
	CHECK(!collector_scope_has(&s, &r));
	r.family = AF_INET;
	CHECK(collector_scope_has(&s, &r));
	r.l4proto = IPPROTO_ESP;
	CHECK(!collector_scope_has(&s, &r));
	/* Wider: a family, a protocol, or all protocols more. */
	CHECK(!collector_scope_wider(&a, &b));
	b.ipv6 = true;
	CHECK(collector_scope_wider(&a, &b) && !collector_scope_wider(&b, &a));
	b = a;
	b.protos[0] = 1ull << IPPROTO_TCP;
	CHECK(collector_scope_wider(&a, &b) && !collector_scope_wider(&b, &a));
	b.all_protos = true;
	CHECK(collector_scope_wider(&a, &b) && !collector_scope_wider(&b, &a));
}

int main(void)
{
	test_plans();
	test_cost();
	test_old_kernels();
	test_has();
	return check_summary("scope");
}
