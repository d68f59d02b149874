/* output_json: one flow as a JSON object (-j), every field the screen
 * has, numbers as numbers; unknown values are null.  Written straight
 * into the output buffer: at 100,000 flows a snapshot is ~80 MB. */
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "dns.h"
#include "geoip.h"
#include "l4proto.h"
#include "lan.h"
#include "output_impl.h"
#include "proc_lookup.h"
#include "util.h"

#define OB_LIT(b, s) ob_mem((b), (s), sizeof(s) - 1)

/* ,"k": before a value */
static void key(struct obuf *b, const char *k)
{
	ob_chr(b, ',');
	ob_chr(b, '"');
	ob_str(b, k);
	ob_mem(b, "\":", 2);
}

static void kv_str(struct obuf *b, const char *k, const char *v)
{
	key(b, k);
	ob_json_str(b, v);
}

/* Our own words (names of states, protocols; addresses as text): plain
 * ASCII, nothing to escape or make inert. */
static void ob_word(struct obuf *b, const char *s)
{
	if (!s) {
		OB_LIT(b, "null");
		return;
	}
	ob_chr(b, '"');
	ob_str(b, s);
	ob_chr(b, '"');
}

static void kv_word(struct obuf *b, const char *k, const char *v)
{
	key(b, k);
	ob_word(b, v);
}

static void kv_u64(struct obuf *b, const char *k, uint64_t v)
{
	key(b, k);
	ob_u64(b, v);
}

static void kv_fix1(struct obuf *b, const char *k, double v)
{
	key(b, k);
	ob_fix1(b, v);
}

static void tuple(struct obuf *b, const char *k, const struct flow_rec *r,
		  const struct flow_tuple *t)
{
	char a[64];

	key(b, k);
	OB_LIT(b, "{\"src\":");
	ob_word(b, util_fmt_addr(a, sizeof(a), r->family, t->src.b));
	OB_LIT(b, ",\"dst\":");
	ob_word(b, util_fmt_addr(a, sizeof(a), r->family, t->dst.b));
	if (output_has_ports(r->l4proto)) {
		kv_u64(b, "sport", t->sport);
		kv_u64(b, "dport", t->dport);
	} else if (l4proto_ids(r->l4proto) == L4_IDS_KEYS) {
		kv_u64(b, "srckey", t->sport);
		kv_u64(b, "dstkey", t->dport);
	}
	ob_chr(b, '}');
}

static void geo(struct obuf *b, const char *k, const struct geo_info *g)
{
	key(b, k);
	if (!g) {
		OB_LIT(b, "null");
		return;
	}
	OB_LIT(b, "{\"cc\":");
	ob_json_str(b, g->cc);
	kv_str(b, "country", g->country);
	kv_str(b, "city", g->city);
	if (g->asn)
		kv_u64(b, "asn", g->asn);
	else
		OB_LIT(b, ",\"asn\":null");
	kv_str(b, "org", g->as_org && g->as_org[0] ? g->as_org : NULL);
	ob_chr(b, '}');
}

static const struct {
	uint32_t bit;
	const char *name;
} status_bits[] = {
	{ IPS_EXPECTED, "EXPECTED" },
	{ IPS_SEEN_REPLY, "SEEN_REPLY" },
	{ IPS_ASSURED, "ASSURED" },
	{ IPS_CONFIRMED, "CONFIRMED" },
	{ IPS_SRC_NAT, "SRC_NAT" },
	{ IPS_DST_NAT, "DST_NAT" },
	{ IPS_SEQ_ADJUST, "SEQ_ADJUST" },
	{ IPS_DYING, "DYING" },
	{ IPS_FIXED_TIMEOUT, "FIXED_TIMEOUT" },
	{ IPS_TEMPLATE, "TEMPLATE" },
	{ IPS_UNTRACKED, "UNTRACKED" },
	{ IPS_HELPER, "HELPER" },
	{ IPS_OFFLOAD, "OFFLOAD" },
	{ IPS_HW_OFFLOAD, "HW_OFFLOAD" },
};

static const char *local_name(uint8_t local)
{
	switch (local) {
	case FLOW_LOCAL_SRC:
		return "out";
	case FLOW_LOCAL_DST:
		return "in";
	case FLOW_LOCAL_NONE:
		return "forward";
	}
	return NULL;
}

/* The inside host of a forwarded flow; null for this host's own. */
static void device(struct obuf *b, const struct flow_row *row,
		   const struct view_opts *o)
{
	struct lan_device d;
	char a[64], m[LAN_MAC_TEXT], name[OUTPUT_NAME_LEN];

	OB_LIT(b, ",\"device\":");
	if (!view_device(row, &d)) {
		OB_LIT(b, "null");
		return;
	}
	OB_LIT(b, "{\"addr\":");
	ob_word(b, util_fmt_addr(a, sizeof(a), d.family, d.addr.b));
	kv_str(b, "mac", d.mac_len ? lan_fmt_mac(m, sizeof(m), d.mac,
						 d.mac_len) : NULL);
	kv_str(b, "name", d.name[0] ? d.name : NULL);
	kv_str(b, "dns", !o->no_dns && dns_name(d.family, d.addr.b, name,
						sizeof(name)) ? name : NULL);
	ob_chr(b, '}');
}

static void icmp(struct obuf *b, const struct flow_rec *r)
{
	OB_LIT(b, ",\"icmp\":{\"type\":");
	ob_u64(b, r->icmp_type);
	kv_u64(b, "code", r->icmp_code);
	kv_u64(b, "id", r->icmp_id);
	ob_chr(b, '}');
}

static void name_of(struct obuf *b, const char *k, const struct flow_rec *r,
		    const union flow_addr *a, const struct view_opts *o)
{
	char name[OUTPUT_NAME_LEN];

	kv_str(b, k, !o->no_dns && dns_name(r->family, a->b, name,
					    sizeof(name)) ? name : NULL);
}

static void counters(struct obuf *b, const struct flow_rec *r)
{
	if (!(r->have & FLOW_HAVE_COUNTERS)) {
		OB_LIT(b, ",\"bytes_orig\":null,\"packets_orig\":null"
		       ",\"bytes_reply\":null,\"packets_reply\":null");
		return;
	}
	kv_u64(b, "bytes_orig", r->orig_bytes);
	kv_u64(b, "packets_orig", r->orig_pkts);
	kv_u64(b, "bytes_reply", r->repl_bytes);
	kv_u64(b, "packets_reply", r->repl_pkts);
}

static void owner(struct obuf *b, const struct flow_row *row)
{
	char user[64];

	if (row->owner.pid <= 0) {
		OB_LIT(b, ",\"pid\":null,\"uid\":null,\"process\":null"
		       ",\"user\":null");
		return;
	}
	OB_LIT(b, ",\"pid\":");
	ob_i64(b, row->owner.pid);
	kv_u64(b, "uid", row->owner.uid);
	kv_str(b, "process", row->owner.comm);
	kv_str(b, "user", proc_lookup_user(row->owner.uid, user,
					   sizeof(user)));
}

void output_json_flow(struct obuf *b, const struct flow_row *row,
		      const struct view_opts *o)
{
	const struct flow_rec *r = &row->rec;
	bool snat, dnat, first = true;
	uint64_t ms;
	double u;

	/* What one flow can take, bar names (ob_json_str makes room). */
	ob_room(b, 2048);
	OB_LIT(b, "{\"snapshot\":");
	ob_u64(b, output_snapshot_no());
	kv_u64(b, "id", r->id);
	kv_word(b, "family", r->family == AF_INET ? "ipv4" : "ipv6");
	kv_word(b, "proto", view_proto_name(r->l4proto, r->family));
	kv_u64(b, "l4proto", r->l4proto);
	kv_word(b, "state", view_state_name(r));
	tuple(b, "orig", r, &r->orig);
	tuple(b, "reply", r, &r->repl);
	if (l4proto_ids(r->l4proto) == L4_IDS_ICMP)
		icmp(b, r);
	name_of(b, "src_name", r, &r->orig.src, o);
	name_of(b, "dst_name", r, &r->orig.dst, o);
	kv_str(b, "service", output_service(r));
	OB_LIT(b, ",\"status\":[");
	for (size_t i = 0; i < sizeof(status_bits) / sizeof(status_bits[0]);
	     i++) {
		if (!(r->status & status_bits[i].bit))
			continue;
		if (!first)
			ob_chr(b, ',');
		ob_word(b, status_bits[i].name);
		first = false;
	}
	ob_chr(b, ']');
	kv_str(b, "offload", output_offload(r->status));
	output_nat(r, &snat, &dnat);
	ob_str(b, snat ? ",\"snat\":true" : ",\"snat\":false");
	ob_str(b, dnat ? ",\"dnat\":true" : ",\"dnat\":false");
	kv_u64(b, "mark", r->mark);
	kv_u64(b, "zone", r->zone);
	if (r->have & FLOW_HAVE_TIMEOUT)
		kv_u64(b, "timeout", r->timeout);
	else
		OB_LIT(b, ",\"timeout\":null");
	counters(b, r);
	/* A snapshot that did not wait for rates: they are null. */
	u = o->rates_unknown ? NAN : 0;
	kv_fix1(b, "rate_orig", row->rate_orig + u);
	kv_fix1(b, "rate_reply", row->rate_repl + u);
	kv_fix1(b, "rate_orig_10s", row->rate_orig_10 + u);
	kv_fix1(b, "rate_reply_10s", row->rate_repl_10 + u);
	kv_fix1(b, "rate_orig_40s", row->rate_orig_40 + u);
	kv_fix1(b, "rate_reply_40s", row->rate_repl_40 + u);
	kv_u64(b, "duration", output_duration_sec(row));
	if ((r->have & FLOW_HAVE_TSTAMP) && r->ts_start) {
		/* Seconds with milliseconds, rounded. */
		ms = (r->ts_start + 500000) / 1000000;
		OB_LIT(b, ",\"start\":");
		ob_u64(b, ms / 1000);
		ob_chr(b, '.');
		ob_chr(b, (char)('0' + ms % 1000 / 100));
		ob_chr(b, (char)('0' + ms % 100 / 10));
		ob_chr(b, (char)('0' + ms % 10));
	} else {
		OB_LIT(b, ",\"start\":null");
	}
	kv_word(b, "direction", local_name(row->owner.local));
	device(b, row, o);
	owner(b, row);
	geo(b, "geo_src", o->no_geoip ? NULL : row->geo_src);
	geo(b, "geo_dst", o->no_geoip ? NULL : row->geo_dst);
	ob_str(b, row->closed_at ? ",\"closed\":true}" : ",\"closed\":false}");
}
