/* collector_scope: ask the kernel only for the flows that are shown.
 *
 * A dump costs the kernel a walk of its whole table plus the filling of a
 * message per entry sent, and costs us the parsing of each: when most of
 * the table is hidden (-T on a router full of UDP), the filling and the
 * parsing of hidden entries are most of the cost.  nfgenmsg's family
 * filters by L3 on every kernel; CTA_FILTER with CTA_FILTER_ORIG_FLAGS
 * (5.8 and later) by L4 protocol, one protocol and one family a request
 * (the kernel refuses AF_UNSPEC with a filter), and each request walks
 * the whole table again.  So a scan asks once per (family, protocol)
 * shown that the kernel holds, known from a full dump of that family and
 * the NEW events since (events come for every protocol: CTA_FILTER does
 * not apply to them); after lost events it dumps the family whole again.
 * When the protocols shown are most of a family, one walk without a
 * filter costs less than one per protocol: counts kept from dumps and
 * events choose (a walk of the table costs about a quarter of sending
 * every entry: here 50 ms against 200 ms for 200,000 entries).
 * Where the kernel refuses CTA_FILTER (EINVAL, EOPNOTSUPP) or, older
 * than 5.8, ignores it and sends everything, it dumps by family only,
 * from then on.  Entries out of scope never enter the table.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "collector.h"
#include "collector_impl.h"

static int scope_fam(uint8_t family)
{
	return family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;
}

static bool bit(const uint64_t *set, uint8_t n)
{
	return set[n / 64] & (1ull << (n % 64));
}

/* What one entry sent costs, against a walk of one table entry. */
#define SCOPE_SEND_COST	4

void collector_scope_init(struct collector_scope *s)
{
	memset(s, 0, sizeof(*s));
	s->want.ipv4 = true;
	s->want.ipv6 = true;
	s->want.all_protos = true;
}

void collector_scope_set(struct collector_scope *s, const struct flow_scope *w)
{
	s->want = *w;
}

bool collector_scope_wider(const struct flow_scope *old,
			   const struct flow_scope *w)
{
	size_t i;

	if ((w->ipv4 && !old->ipv4) || (w->ipv6 && !old->ipv6))
		return true;
	if (old->all_protos)
		return false;
	if (w->all_protos)
		return true;
	for (i = 0; i < 4; i++)
		if (w->protos[i] & ~old->protos[i])
			return true;
	return false;
}

bool collector_scope_has(const struct collector_scope *s,
			 const struct flow_rec *r)
{
	if (r->family == AF_INET ? !s->want.ipv4 : !s->want.ipv6)
		return false;
	return s->want.all_protos || bit(s->want.protos, r->l4proto);
}

void collector_scope_seen(struct collector_scope *s, const struct flow_rec *r)
{
	int f = scope_fam(r->family);

	if (f < 0)
		return;
	s->present[f][r->l4proto / 64] |= 1ull << (r->l4proto % 64);
	s->count[f][r->l4proto]++;
}

void collector_scope_event(struct collector_scope *s,
			   const struct flow_rec *r, int delta)
{
	int f = scope_fam(r->family);

	if (f < 0)
		return;
	if (delta > 0) {
		collector_scope_seen(s, r);
		return;
	}
	s->present[f][r->l4proto / 64] |= 1ull << (r->l4proto % 64);
	if (delta < 0 && s->count[f][r->l4proto])
		s->count[f][r->l4proto]--;
}

uint64_t collector_scope_hidden(const struct collector_scope *s)
{
	uint64_t n = 0;
	bool fam[2] = { s->want.ipv4, s->want.ipv6 };

	for (int f = 0; f < 2; f++)
		for (unsigned p = 0; p < 256; p++)
			if (!fam[f] || (!s->want.all_protos &&
					!bit(s->want.protos, (uint8_t)p)))
				n += s->count[f][p];
	return n;
}

void collector_scope_forget(struct collector_scope *s)
{
	s->known[0] = false;
	s->known[1] = false;
}

/* One family whole: what it holds is learnt afresh. */
static int scope_whole(struct collector_scope *s, int f,
		       collector_scope_dump_fn dump, void *arg)
{
	int ret;

	if (f >= 0) {
		memset(s->present[f], 0, sizeof(s->present[f]));
		memset(s->count[f], 0, sizeof(s->count[f]));
	} else {
		memset(s->present, 0, sizeof(s->present));
		memset(s->count, 0, sizeof(s->count));
	}
	s->requests++;
	ret = dump(arg, f < 0 ? AF_UNSPEC : f ? AF_INET6 : AF_INET, -1);
	if (ret)
		return ret < 0 ? ret : 0;
	if (f >= 0) {
		s->known[f] = true;
	} else {
		s->known[0] = true;
		s->known[1] = true;
	}
	return 0;
}

/* The protocols shown that the family holds, one request each. */
static int scope_each(struct collector_scope *s, int f,
		      collector_scope_dump_fn dump, void *arg)
{
	uint8_t family = f ? AF_INET6 : AF_INET;
	int ret;

	for (unsigned p = 0; p < 256; p++) {
		if (!bit(s->want.protos, (uint8_t)p) ||
		    !bit(s->present[f], (uint8_t)p))
			continue;
		s->requests++;
		s->count[f][p] = 0;	/* counted again as they come */
		ret = dump(arg, family, (int)p);
		if (ret == -EOPNOTSUPP || ret == -EINVAL) {
			/* Not this kernel: by family from now on. */
			s->filter = COLLECTOR_CT_FILTER_REFUSED;
			return scope_whole(s, f, dump, arg);
		}
		if (ret > 0) {
			/* Older than 5.8: it ignored the filter, and this
			 * answer held the whole family. */
			s->filter = COLLECTOR_CT_FILTER_IGNORED;
			s->known[f] = true;
			return 0;
		}
		if (ret)
			return ret;
		s->filter = COLLECTOR_CT_FILTER_WORKS;
	}
	return 0;
}

/* The cheaper way to ask for each family shown: whole[f] true, one
 * walk without a filter; false, one walk per protocol.  Both whole are
 * one walk of both families. */
static void scope_plan(const struct collector_scope *s, const bool *fam,
		       bool *whole)
{
	uint64_t n[2] = { 0, 0 }, w[2] = { 0, 0 }, k[2] = { 0, 0 };
	uint64_t t, cost, best = UINT64_MAX;
	bool forced[2];
	int f, c, pick = 0;

	for (f = 0; f < 2; f++) {
		for (unsigned p = 0; p < 256; p++) {
			n[f] += s->count[f][p];
			if (bit(s->want.protos, (uint8_t)p) &&
			    bit(s->present[f], (uint8_t)p)) {
				k[f]++;
				w[f] += s->count[f][p];
			}
		}
		forced[f] = fam[f] && (s->want.all_protos || !s->known[f]);
	}
	t = n[0] + n[1];
	/* Bit f of c: family f whole. */
	for (c = 0; c < 4; c++) {
		if ((forced[0] && !(c & 1)) || (forced[1] && !(c & 2)))
			continue;
		cost = 0;
		for (f = 0; f < 2; f++) {
			if (!fam[f])
				continue;
			if (c & (1 << f))
				cost += t + SCOPE_SEND_COST * n[f];
			else
				cost += k[f] * t + SCOPE_SEND_COST * w[f];
		}
		if (fam[0] && fam[1] && c == 3)
			cost -= t;	/* one walk for both */
		if (cost < best) {
			best = cost;
			pick = c;
		}
	}
	whole[0] = fam[0] && (pick & 1);
	whole[1] = fam[1] && (pick & 2);
}

int collector_scope_scan(struct collector_scope *s,
			 collector_scope_dump_fn dump, void *arg)
{
	bool whole[2], fam[2] = { s->want.ipv4, s->want.ipv6 };
	bool filter_ok = s->filter != COLLECTOR_CT_FILTER_REFUSED &&
			 s->filter != COLLECTOR_CT_FILTER_IGNORED;
	int f, ret;

	s->requests = 0;
	if (filter_ok) {
		scope_plan(s, fam, whole);
	} else {
		whole[0] = fam[0];
		whole[1] = fam[1];
	}
	/* Both families whole: one walk of the kernel's table, not two. */
	if (whole[0] && whole[1])
		return scope_whole(s, -1, dump, arg);
	for (f = 0; f < 2; f++) {
		if (!fam[f])
			continue;
		/* Refused or ignored for the first family: so for both. */
		filter_ok = s->filter != COLLECTOR_CT_FILTER_REFUSED &&
			    s->filter != COLLECTOR_CT_FILTER_IGNORED;
		ret = whole[f] || !filter_ok ? scope_whole(s, f, dump, arg) :
		      scope_each(s, f, dump, arg);
		if (ret)
			return ret;
	}
	return 0;
}
