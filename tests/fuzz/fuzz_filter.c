/* fuzz_filter: the filter language: parse the input as an expression and,
 * when it parses, match it against rows of every kind (owner, GeoIP, NAT,
 * counters, ICMP, IPv6, an inside device, nothing known). */
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "geoip.h"
#include "lan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NROWS	5

static const struct geo_info geo_us = {
	"US", "United States", "San Francisco", 64500, "Example Net"
};
static const struct geo_info geo_de = {
	"DE", "Germany", "Berlin", 64501, "Beispiel GmbH"
};
static struct flow_row rows[NROWS];

static bool host_name(int family, const void *addr, char *buf, size_t len)
{
	(void)addr;
	snprintf(buf, len, family == AF_INET ? "host.example.org" :
		 "v6.example.net");
	return true;
}

static const char *user_name(unsigned uid, char *buf, unsigned len)
{
	snprintf(buf, len, uid ? "user%u" : "root", uid);
	return buf;
}

/* The first rows have an inside host: a named one with a MAC, a bare. */
static bool device(const struct flow_row *r, struct lan_device *d)
{
	memset(d, 0, sizeof(*d));
	d->family = r->rec.family;
	d->addr = r->rec.orig.src;
	if (r == rows) {
		snprintf(d->name, sizeof(d->name), "laptop");
		d->mac_len = (uint8_t)lan_parse_mac("02:66:74:00:00:0a",
						    d->mac, LAN_MAC_MAX);
	}
	return r - rows < 2;
}

static void row(struct flow_row *r, int family, uint8_t proto,
		const char *src, uint16_t sport, const char *dst,
		uint16_t dport)
{
	memset(r, 0, sizeof(*r));
	r->rec.id = (uint32_t)(r - rows) + 1;
	r->rec.family = (uint8_t)family;
	r->rec.l4proto = proto;
	inet_pton(family, src, r->rec.orig.src.b);
	inet_pton(family, dst, r->rec.orig.dst.b);
	r->rec.orig.sport = sport;
	r->rec.orig.dport = dport;
	r->rec.repl.src = r->rec.orig.dst;
	r->rec.repl.dst = r->rec.orig.src;
	r->rec.repl.sport = dport;
	r->rec.repl.dport = sport;
	r->rec.status = IPS_SEEN_REPLY | IPS_CONFIRMED | IPS_ASSURED;
}

static void build(void)
{
	struct flow_row *r = rows;

	row(r, AF_INET, IPPROTO_TCP, "192.0.2.10", 40000, "198.51.100.20",
	    443);
	r->rec.have = FLOW_HAVE_STATE | FLOW_HAVE_COUNTERS | FLOW_HAVE_MARK |
		      FLOW_HAVE_ZONE | FLOW_HAVE_TSTAMP;
	r->rec.state = 3;
	r->rec.orig_bytes = 1000;
	r->rec.orig_pkts = 10;
	r->rec.repl_bytes = 50000;
	r->rec.repl_pkts = 40;
	r->rec.mark = 7;
	r->rec.zone = 2;
	r->rec.ts_start = 1;
	r->rate_orig = 1500;
	r->owner.pid = 1234;
	r->owner.uid = 1000;
	r->owner.comm = "firefox";
	r->owner.local = 1;
	r->geo_dst = &geo_us;
	r++;
	row(r, AF_INET6, IPPROTO_UDP, "2001:db8::1", 53000, "2001:db8:1::2",
	    53);
	r->geo_src = &geo_de;
	r->geo_dst = &geo_de;
	r->owner.pid = -1;
	r->closed_at = 5;
	r++;
	row(r, AF_INET, IPPROTO_ICMP, "192.0.2.1", 0, "203.0.113.9", 0);
	r->rec.have = FLOW_HAVE_ICMP;
	r->rec.icmp_type = 8;
	r->rec.icmp_id = 77;
	r++;
	/* SNAT: the reply comes back to another address. */
	row(r, AF_INET, IPPROTO_TCP, "10.0.0.5", 33000, "198.51.100.1", 80);
	inet_pton(AF_INET, "203.0.113.1", r->rec.repl.dst.b);
	r->rec.status |= IPS_SRC_NAT;
	r->owner.pid = 42;
	r->owner.comm = "";
	r++;
	row(r, AF_INET6, IPPROTO_SCTP, "::1", 1, "::1", 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct filter_ctx ctx = {
		.host_name = host_name,
		.user_name = user_name,
		.device = device,
	};
	struct filter *f = NULL;
	char err[160], *expr;
	size_t pos, i;

	if (!rows[0].rec.id)
		build();
	if (size > 4096)
		return 0;
	expr = malloc(size + 1);
	if (!expr)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';
	if (filter_parse(expr, &f, err, sizeof(err), &pos) == 0) {
		for (i = 0; i < NROWS; i++) {
			(void)filter_match(f, &rows[i], &ctx);
			(void)filter_match(f, &rows[i], NULL);
		}
		filter_free(f);
	} else if (pos > size) {
		/* The caret must point into the expression or just past. */
		abort();
	}
	free(expr);
	return 0;
}
