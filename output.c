/* output: the non-interactive outputs (-B text table, -j JSON lines).
 *
 * Both print the same selection in the same order as the screen would
 * (view_flows), so a script sees what a person sees.  JSON carries every
 * field the screen has, numbers as numbers.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "dns.h"
#include "flow_list.h"
#include "geoip.h"
#include "l4proto.h"
#include "lan.h"
#include "output.h"
#include "proc_lookup.h"
#include "services.h"
#include "util.h"

#define NAME_LEN 256

/* Numbers the snapshots of a -c N run, so JSON readers can split them. */
static unsigned long snapshot_no;

static bool has_ports(uint8_t l4proto)
{
	return l4proto_ids(l4proto) == L4_IDS_PORTS;
}

/* Ports or GRE keys: what NAT may change beside the addresses. */
static bool has_ids(uint8_t l4proto)
{
	enum l4proto_ids k = l4proto_ids(l4proto);

	return k == L4_IDS_PORTS || k == L4_IDS_KEYS;
}

static const char *host(char *buf, size_t len, const struct view_opts *o,
			int family, const union flow_addr *a)
{
	if (!o->no_dns && dns_name(family, a->b, buf, len))
		return buf;
	return util_fmt_addr(buf, len, family, a->b);
}

/* The port's service: the destination port's name, else the source's. */
static const char *service(const struct flow_rec *r)
{
	const char *s;

	if (!has_ports(r->l4proto))
		return NULL;
	s = services_name(r->l4proto, r->orig.dport);
	return s ? s : services_name(r->l4proto, r->orig.sport);
}

static uint64_t duration_sec(const struct flow_row *row)
{
	uint64_t now = util_now_real(), mono = util_now_mono();

	if ((row->rec.have & FLOW_HAVE_TSTAMP) && row->rec.ts_start &&
	    row->rec.ts_start <= now)
		return (now - row->rec.ts_start) / 1000000000ull;
	return mono > row->first_seen ?
	       (mono - row->first_seen) / 1000000000ull : 0;
}

static bool nat_of(const struct flow_rec *r, bool *snat, bool *dnat)
{
	/* The reply tuple is the original one reversed unless NAT changed
	 * it: reply src != orig dst is DNAT, reply dst != orig src SNAT. */
	*dnat = memcmp(&r->repl.src, &r->orig.dst, sizeof(r->orig.dst)) ||
		(has_ids(r->l4proto) && r->repl.sport != r->orig.dport);
	*snat = memcmp(&r->repl.dst, &r->orig.src, sizeof(r->orig.src)) ||
		(has_ids(r->l4proto) && r->repl.dport != r->orig.sport);
	return *snat || *dnat;
}

/* --- JSON --------------------------------------------------------------- */

static void json_str(FILE *out, const char *s)
{
	char clean[NAME_LEN * 2];
	const unsigned char *p;

	if (!s) {
		fputs("null", out);
		return;
	}
	util_sanitize(clean, sizeof(clean), s);
	fputc('"', out);
	for (p = (const unsigned char *)clean; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void json_kv_str(FILE *out, const char *k, const char *v)
{
	fprintf(out, ",\"%s\":", k);
	json_str(out, v);
}

static void json_tuple(FILE *out, const char *k, const struct flow_rec *r,
		       const struct flow_tuple *t)
{
	char a[64];

	fprintf(out, ",\"%s\":{\"src\":", k);
	json_str(out, util_fmt_addr(a, sizeof(a), r->family, t->src.b));
	fputs(",\"dst\":", out);
	json_str(out, util_fmt_addr(a, sizeof(a), r->family, t->dst.b));
	if (has_ports(r->l4proto))
		fprintf(out, ",\"sport\":%u,\"dport\":%u", t->sport, t->dport);
	else if (l4proto_ids(r->l4proto) == L4_IDS_KEYS)
		fprintf(out, ",\"srckey\":%u,\"dstkey\":%u", t->sport,
			t->dport);
	fputc('}', out);
}

static void json_geo(FILE *out, const char *k, const struct geo_info *g)
{
	fprintf(out, ",\"%s\":", k);
	if (!g) {
		fputs("null", out);
		return;
	}
	fputs("{\"cc\":", out);
	json_str(out, g->cc);
	json_kv_str(out, "country", g->country);
	json_kv_str(out, "city", g->city);
	if (g->asn)
		fprintf(out, ",\"asn\":%" PRIu32, g->asn);
	else
		fputs(",\"asn\":null", out);
	json_kv_str(out, "org", g->as_org && g->as_org[0] ? g->as_org : NULL);
	fputc('}', out);
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
static void json_device(FILE *out, const struct flow_row *row,
			const struct view_opts *o)
{
	struct lan_device d;
	char a[64], m[LAN_MAC_TEXT], name[NAME_LEN];

	fputs(",\"device\":", out);
	if (!view_device(row, &d)) {
		fputs("null", out);
		return;
	}
	fputs("{\"addr\":", out);
	json_str(out, util_fmt_addr(a, sizeof(a), d.family, d.addr.b));
	json_kv_str(out, "mac", d.mac_len ? lan_fmt_mac(m, sizeof(m), d.mac,
							d.mac_len) : NULL);
	json_kv_str(out, "name", d.name[0] ? d.name : NULL);
	json_kv_str(out, "dns", !o->no_dns && dns_name(d.family, d.addr.b,
						       name, sizeof(name)) ?
		    name : NULL);
	fputc('}', out);
}

void output_json_row(FILE *out, const struct flow_row *row,
		     const struct view_opts *o)
{
	const struct flow_rec *r = &row->rec;
	char name[NAME_LEN], user[64];
	bool snat, dnat, first = true;
	const char *svc = service(r);

	fprintf(out, "{\"snapshot\":%lu,\"id\":%" PRIu32, snapshot_no, r->id);
	json_kv_str(out, "family", r->family == AF_INET ? "ipv4" : "ipv6");
	json_kv_str(out, "proto", view_proto_name(r->l4proto, r->family));
	fprintf(out, ",\"l4proto\":%u", r->l4proto);
	json_kv_str(out, "state", view_state_name(r));
	json_tuple(out, "orig", r, &r->orig);
	json_tuple(out, "reply", r, &r->repl);
	if (l4proto_ids(r->l4proto) == L4_IDS_ICMP)
		fprintf(out, ",\"icmp\":{\"type\":%u,\"code\":%u,\"id\":%u}",
			r->icmp_type, r->icmp_code, r->icmp_id);
	json_kv_str(out, "src_name", o->no_dns ? NULL :
		    (dns_name(r->family, r->orig.src.b, name, sizeof(name)) ?
		     name : NULL));
	json_kv_str(out, "dst_name", o->no_dns ? NULL :
		    (dns_name(r->family, r->orig.dst.b, name, sizeof(name)) ?
		     name : NULL));
	json_kv_str(out, "service", svc);
	fputs(",\"status\":[", out);
	for (size_t i = 0; i < sizeof(status_bits) / sizeof(status_bits[0]);
	     i++) {
		if (!(r->status & status_bits[i].bit))
			continue;
		fprintf(out, "%s\"%s\"", first ? "" : ",", status_bits[i].name);
		first = false;
	}
	fputc(']', out);
	nat_of(r, &snat, &dnat);
	fprintf(out, ",\"snat\":%s,\"dnat\":%s", snat ? "true" : "false",
		dnat ? "true" : "false");
	fprintf(out, ",\"mark\":%" PRIu32 ",\"zone\":%u", r->mark, r->zone);
	if (r->have & FLOW_HAVE_TIMEOUT)
		fprintf(out, ",\"timeout\":%" PRIu32, r->timeout);
	else
		fputs(",\"timeout\":null", out);
	if (r->have & FLOW_HAVE_COUNTERS)
		fprintf(out, ",\"bytes_orig\":%" PRIu64 ",\"packets_orig\":%"
			PRIu64 ",\"bytes_reply\":%" PRIu64
			",\"packets_reply\":%" PRIu64,
			r->orig_bytes, r->orig_pkts, r->repl_bytes,
			r->repl_pkts);
	else
		fputs(",\"bytes_orig\":null,\"packets_orig\":null"
		      ",\"bytes_reply\":null,\"packets_reply\":null", out);
	fprintf(out, ",\"rate_orig\":%.1f,\"rate_reply\":%.1f"
		",\"rate_orig_10s\":%.1f,\"rate_reply_10s\":%.1f"
		",\"rate_orig_40s\":%.1f,\"rate_reply_40s\":%.1f",
		row->rate_orig, row->rate_repl, row->rate_orig_10,
		row->rate_repl_10, row->rate_orig_40, row->rate_repl_40);
	fprintf(out, ",\"duration\":%" PRIu64, duration_sec(row));
	if ((r->have & FLOW_HAVE_TSTAMP) && r->ts_start)
		fprintf(out, ",\"start\":%.3f", r->ts_start / 1e9);
	else
		fputs(",\"start\":null", out);
	json_kv_str(out, "direction", local_name(row->owner.local));
	json_device(out, row, o);
	if (row->owner.pid > 0) {
		fprintf(out, ",\"pid\":%d,\"uid\":%u", row->owner.pid,
			row->owner.uid);
		json_kv_str(out, "process", row->owner.comm);
		json_kv_str(out, "user", proc_lookup_user(row->owner.uid, user,
							  sizeof(user)));
	} else {
		fputs(",\"pid\":null,\"uid\":null,\"process\":null"
		      ",\"user\":null", out);
	}
	json_geo(out, "geo_src", o->no_geoip ? NULL : row->geo_src);
	json_geo(out, "geo_dst", o->no_geoip ? NULL : row->geo_dst);
	fprintf(out, ",\"closed\":%s}", row->closed_at ? "true" : "false");
}

/* --- text --------------------------------------------------------------- */

static void endpoint(char *buf, size_t len, const struct view_opts *o,
		     const struct flow_rec *r, const union flow_addr *a,
		     uint16_t port)
{
	char h[NAME_LEN], clean[NAME_LEN];

	util_sanitize(clean, sizeof(clean), host(h, sizeof(h), o, r->family,
						 a));
	if (l4proto_ids(r->l4proto) == L4_IDS_KEYS && port)
		snprintf(buf, len, "%s key 0x%x", clean, port);
	else if (!has_ports(r->l4proto))
		snprintf(buf, len, "%s", clean);
	else if (r->family == AF_INET6 && strchr(clean, ':'))
		snprintf(buf, len, "[%s]:%u", clean, port);
	else
		snprintf(buf, len, "%s:%u", clean, port);
}

#define TEXT_FMT_HEAD "%-20s %-7s %-4s %-12s "

/* The inside host of a forwarded flow, as the screen's DEVICE: its lease
 * name, else its reverse name, else its address; "-" for our own. */
static void device_text(char *buf, size_t len, const struct view_opts *o,
			const struct flow_row *row)
{
	struct lan_device d;
	char h[NAME_LEN];

	if (!view_device(row, &d))
		snprintf(buf, len, "-");
	else if (d.name[0])
		snprintf(buf, len, "%s", d.name);
	else
		util_sanitize(buf, len, host(h, sizeof(h), o, d.family,
					     &d.addr));
}

static void text_row(FILE *out, const struct flow_row *row,
		     const struct view_opts *o)
{
	const struct flow_rec *r = &row->rec;
	char proc[48] = "-", src[NAME_LEN + 8], dst[2 * NAME_LEN + 32];
	char nat[NAME_LEN + 16] = "", geo[96] = "-", svc[40];
	char bo[16], bi[16], ro[24], ri[24], dur[16], dev[NAME_LEN];
	const struct geo_info *g = view_remote_geo(row);
	bool snat, dnat, in = row->owner.local == FLOW_LOCAL_DST;

	if (row->owner.pid > 0) {
		char c[24];

		util_sanitize(c, sizeof(c), row->owner.comm ?
			      row->owner.comm : "?");
		snprintf(proc, sizeof(proc), "%s/%d", c, row->owner.pid);
	}
	endpoint(src, sizeof(src), o, r, &r->orig.src, r->orig.sport);
	endpoint(dst, sizeof(dst), o, r, &r->orig.dst, r->orig.dport);
	if (nat_of(r, &snat, &dnat)) {
		char t[NAME_LEN + 8];

		/* DNAT: where it really goes; SNAT: how it leaves. */
		if (dnat)
			endpoint(t, sizeof(t), o, r, &r->repl.src,
				 r->repl.sport);
		else
			endpoint(t, sizeof(t), o, r, &r->repl.dst,
				 r->repl.dport);
		snprintf(nat, sizeof(nat), " [%s %s]", dnat ? "dnat" : "snat",
			 t);
	}
	if (!o->no_geoip && g && g->cc[0]) {
		char city[64];

		util_sanitize(city, sizeof(city), g->city);
		snprintf(geo, sizeof(geo), "%s%s%s", g->cc, city[0] ? "/" : "",
			 city);
	}
	util_sanitize(svc, sizeof(svc), service(r) ? service(r) : "-");
	util_fmt_bytes(bo, sizeof(bo), in ? r->repl_bytes : r->orig_bytes);
	util_fmt_bytes(bi, sizeof(bi), in ? r->orig_bytes : r->repl_bytes);
	util_fmt_rate(ro, sizeof(ro), view_rate(o, row, in), o->bits);
	util_fmt_rate(ri, sizeof(ri), view_rate(o, row, !in), o->bits);
	util_fmt_duration(dur, sizeof(dur), duration_sec(row));

	fprintf(out, TEXT_FMT_HEAD, proc,
		view_proto_name(r->l4proto, r->family),
		r->family == AF_INET ? "ipv4" : "ipv6", view_state_name(r));
	if (o->show_src)
		fprintf(out, "%-30s ", src);
	strncat(dst, nat, sizeof(dst) - strlen(dst) - 1);
	fprintf(out, "%-30s %-10s %-14s", dst, svc, geo);
	if (r->have & FLOW_HAVE_COUNTERS)
		fprintf(out, " %10s %12s %10s %12s", bo, ro, bi, ri);
	else
		fprintf(out, " %10s %12s %10s %12s", "-", "-", "-", "-");
	/* Last: the columns before it keep their places for scripts. */
	device_text(dev, sizeof(dev), o, row);
	fprintf(out, " %8s %s\n", dur, dev);
}

long output_snapshot(FILE *out, struct flow_list *fl,
		     const struct view_opts *o, enum output_format fmt)
{
	size_t n = flow_list_count(fl) + 16, got, total;
	struct flow_row *rows = malloc(n * sizeof(*rows));

	if (!rows)
		return -ENOMEM;
	total = view_flows(fl, o, 0, n, rows, &got);
	(void)total;
	snapshot_no++;
	if (fmt == OUTPUT_TEXT) {
		fprintf(out, TEXT_FMT_HEAD, "PROCESS/PID", "PROTO", "IP",
			"STATE");
		if (o->show_src)
			fprintf(out, "%-30s ", "SOURCE");
		fprintf(out, "%-30s %-10s %-14s %10s %12s %10s %12s %8s "
			"%s\n", "DESTINATION", "SERVICE", "GEO", "SENT",
			"SEND RATE", "RECEIVED", "RECV RATE", "TIME", "DEVICE");
	}
	for (size_t i = 0; i < got; i++) {
		if (fmt == OUTPUT_JSON) {
			output_json_row(out, &rows[i], o);
			fputc('\n', out);
		} else {
			text_row(out, &rows[i], o);
		}
	}
	fflush(out);
	free(rows);
	return (long)got;
}

size_t output_prefetch_names(struct flow_list *fl, const struct view_opts *o)
{
	size_t n = flow_list_count(fl) + 16, got, unknown = 0;
	struct flow_row *rows;
	char buf[NAME_LEN];

	if (o->no_dns)
		return 0;
	rows = malloc(n * sizeof(*rows));
	if (!rows)
		return 0;
	view_flows(fl, o, 0, n, rows, &got);
	for (size_t i = 0; i < got; i++) {
		const struct flow_rec *r = &rows[i].rec;
		const union flow_addr *in;

		if (!dns_name(r->family, r->orig.src.b, buf, sizeof(buf)))
			unknown++;
		if (!dns_name(r->family, r->orig.dst.b, buf, sizeof(buf)))
			unknown++;
		/* A port forward's inside host, for its device's name. */
		in = view_inside_addr(&rows[i]);
		if (in != &r->orig.src &&
		    !dns_name(r->family, in->b, buf, sizeof(buf)))
			unknown++;
	}
	free(rows);
	return unknown;
}
