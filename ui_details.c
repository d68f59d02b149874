/* ui_details: the details box: all that is known of one flow, from the
 * kernel's own copy of its entry. */
#define NCURSES_WIDECHAR 1

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter/nf_conntrack_common.h>

#include "collector.h"
#include "dns.h"
#include "flow_types.h"
#include "geoip.h"
#include "l4proto.h"
#include "proc_lookup.h"
#include "ui_impl.h"
#include "util.h"
#include "view.h"

/* The kernel's own copy of the entry in the details window: all of its
 * attributes (labels too), one netlink round trip, no waiting on others. */
void ui_detail_get(struct ui *u)
{
	struct flow_rec fresh;
	int err;

	if (!u->ctx->col)
		return;
	err = collector_get(&u->detail.rec, &fresh);
	if (!err)
		u->detail.rec = fresh;
	u->detail_gone = err == -ENOENT;
}

static const char *ui_local_name(uint8_t local)
{
	switch (local) {
	case FLOW_LOCAL_SRC:
		return "source (outgoing)";
	case FLOW_LOCAL_DST:
		return "destination (incoming)";
	case FLOW_LOCAL_NONE:
		return "neither (forwarded)";
	default:
		return "unknown";
	}
}

static void ui_status_flags(uint32_t st, char *out, size_t len)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{ IPS_EXPECTED_BIT, "EXPECTED" },
		{ IPS_SEEN_REPLY_BIT, "SEEN_REPLY" },
		{ IPS_ASSURED_BIT, "ASSURED" },
		{ IPS_CONFIRMED_BIT, "CONFIRMED" },
		{ IPS_SRC_NAT_BIT, "SRC_NAT" },
		{ IPS_DST_NAT_BIT, "DST_NAT" },
		{ IPS_SEQ_ADJUST_BIT, "SEQ_ADJUST" },
		{ IPS_SRC_NAT_DONE_BIT, "SRC_NAT_DONE" },
		{ IPS_DST_NAT_DONE_BIT, "DST_NAT_DONE" },
		{ IPS_DYING_BIT, "DYING" },
		{ IPS_FIXED_TIMEOUT_BIT, "FIXED_TIMEOUT" },
		{ IPS_TEMPLATE_BIT, "TEMPLATE" },
		{ IPS_UNTRACKED_BIT, "UNTRACKED" },
		{ IPS_HELPER_BIT, "HELPER" },
		{ IPS_OFFLOAD_BIT, "OFFLOAD" },
		{ IPS_HW_OFFLOAD_BIT, "HW_OFFLOAD" },
	};
	size_t i, o = 0;
	uint32_t known = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		known |= 1u << names[i].bit;
		if (!(st & (1u << names[i].bit)) || o >= len)
			continue;
		o += strlen(ui_fmt(out + o, len - o, "%s%s", o ? " " : "",
				   names[i].name));
	}
	if (st & ~known && o < len)
		o += strlen(ui_fmt(out + o, len - o, "%s0x%" PRIx32,
				   o ? " " : "", st & ~known));
	if (!o)
		ui_fmt(out, len, "none");
}

static void ui_fmt_time(uint64_t ns, char *out, size_t len)
{
	time_t t = (time_t)(ns / UI_NS);
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm))
		ui_fmt(out, len, "%" PRIu64, ns / UI_NS);
}

static void ui_geo_line(const struct geo_info *g, char *out, size_t len)
{
	char raw[UI_TEXT];

	if (!g) {
		ui_fmt(out, len, "unknown");
		return;
	}
	ui_fmt(raw, sizeof(raw), "%s  %s%s%s", g->cc[0] ? g->cc : "--",
		 g->country ? g->country : "",
		 g->city && g->city[0] ? ", " : "", g->city ? g->city : "");
	if (g->asn) {
		size_t l = strlen(raw);

		ui_fmt(raw + l, sizeof(raw) - l, "  AS%" PRIu32 " %s",
			 g->asn, g->as_org ? g->as_org : "");
	}
	util_sanitize(out, len, raw);
}

/* What tells the flow apart beyond its addresses, when not ports. */
static void ui_detail_ids(const struct flow_rec *c, char (*ln)[UI_TEXT],
			  int max, int *n)
{
	switch (l4proto_ids(c->l4proto)) {
	case L4_IDS_KEYS:
		if (*n < max)
			ui_fmt(ln[(*n)++], UI_TEXT, "GRE keys     0x%x -> 0x%x,"
			       " reply 0x%x -> 0x%x (PPTP call ids; 0: none)",
			       c->orig.sport, c->orig.dport, c->repl.sport,
			       c->repl.dport);
		break;
	case L4_IDS_NONE:
		if (*n < max)
			ui_fmt(ln[(*n)++], UI_TEXT, "Tracked by   addresses "
			       "only: IP protocol %u, conntrack's generic "
			       "tracker", c->l4proto);
		break;
	default:
		break;
	}
}

#define UI_DL(...) do { \
	if (n < max) \
		ui_fmt(ln[n++], UI_TEXT, __VA_ARGS__); \
} while (0)

/* The labels set, by number, as connlabel.conf numbers them. */
static void ui_label_list(const uint8_t *labels, char *out, size_t len)
{
	size_t o = 0;
	int n;

	out[0] = '\0';
	for (unsigned b = 0; b < FLOW_LABEL_BYTES * 8; b++) {
		if (!(labels[b / 8] & (1u << (b % 8))))
			continue;
		n = snprintf(out + o, len - o, "%s%u", o ? " " : "", b);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	if (!o)
		snprintf(out, len, "none set");
}

/* An address's name, or whether it is still being looked up. */
static void ui_detail_name(int family, const void *addr, char *out,
			   size_t len)
{
	char t[DNS_NAME_MAX];

	if (dns_name(family, addr, t, sizeof(t)) && t[0])
		util_sanitize(out, len, t);
	else
		ui_fmt(out, len, dns_failed(family, addr) ?
		       "(no name: the lookup found none)" : "(looking up)");
}

static int ui_detail_lines(struct ui *u, char (*ln)[UI_TEXT], int max)
{
	const struct flow_row *r = &u->detail;
	const struct flow_rec *c = &r->rec;
	char a[UI_CELL], b[UI_CELL], t[UI_TEXT], x[64], y[64], z[64];
	const char *s;
	int n = 0;
	bool bits = u->o->bits;

	ui_proto_label(c, a, sizeof(a));
	UI_DL("Protocol     %s over %s", a, c->family == AF_INET6 ?
	      "IPv6" : "IPv4");
	UI_DL("Conntrack id %" PRIu32 "   zone %u%s", c->id, c->zone,
	      u->detail_gone ? "   (gone from the table)" : "");
	s = view_state_name(c);
	util_sanitize(t, 64, s ? s : "");
	if (c->have & FLOW_HAVE_TIMEOUT)
		UI_DL("State        %s   timeout %" PRIu32 " s", t,
		      c->timeout);
	else
		UI_DL("State        %s", t);
	ui_status_flags(c->status, t, sizeof(t));
	UI_DL("Status       %s", t);
	n = ui_offload_details(u, c, ln, n, max);
	if (c->have & FLOW_HAVE_MARK)
		UI_DL("Mark         0x%08" PRIx32 " (%" PRIu32 ")", c->mark,
		      c->mark);
	else
		UI_DL("Mark         none");
	if (c->have & FLOW_HAVE_LABELS) {
		ui_label_list(c->labels, t, sizeof(t));
		UI_DL("Labels       %s", t);
	} else {
		UI_DL("Labels       none");
	}
	ui_endpoint(u, c->family, c->l4proto, &c->orig.src, c->orig.sport,
		    false, false, a, sizeof(a));
	ui_endpoint(u, c->family, c->l4proto, &c->orig.dst, c->orig.dport,
		    false, true, b, sizeof(b));
	UI_DL("Original     %s -> %s", a, b);
	ui_endpoint(u, c->family, c->l4proto, &c->repl.src, c->repl.sport,
		    false, false, a, sizeof(a));
	ui_endpoint(u, c->family, c->l4proto, &c->repl.dst, c->repl.dport,
		    false, false, b, sizeof(b));
	UI_DL("Reply        %s -> %s", a, b);
	if (ui_dnat(c)) {
		ui_endpoint(u, c->family, c->l4proto, &c->orig.dst,
			    c->orig.dport, false, false, a, sizeof(a));
		ui_endpoint(u, c->family, c->l4proto, &c->repl.src,
			    c->repl.sport, false, false, b, sizeof(b));
		UI_DL("DNAT         destination %s is really %s", a, b);
	}
	if (ui_snat(c)) {
		ui_endpoint(u, c->family, c->l4proto, &c->orig.src,
			    c->orig.sport, false, false, a, sizeof(a));
		ui_endpoint(u, c->family, c->l4proto, &c->repl.dst,
			    c->repl.dport, false, false, b, sizeof(b));
		UI_DL("SNAT         source %s leaves as %s", a, b);
	}
	if (!ui_dnat(c) && !ui_snat(c))
		UI_DL("NAT          none");
	if (c->have & FLOW_HAVE_ICMP)
		UI_DL("ICMP         type %u code %u id %u", c->icmp_type,
		      c->icmp_code, c->icmp_id);
	ui_detail_ids(c, ln, max, &n);
	if (!u->o->no_dns) {
		ui_detail_name(c->family, c->orig.src.b, a, sizeof(a));
		ui_detail_name(c->family, c->orig.dst.b, b, sizeof(b));
		UI_DL("Source name  %s", a);
		UI_DL("Dest name    %s", b);
	}
	if (c->have & FLOW_HAVE_COUNTERS) {
		UI_DL("Bytes        TX %s (%" PRIu64 ")   RX %s (%" PRIu64 ")",
		      util_fmt_bytes(x, sizeof(x), c->orig_bytes),
		      c->orig_bytes,
		      util_fmt_bytes(y, sizeof(y), c->repl_bytes),
		      c->repl_bytes);
		UI_DL("Packets      TX %" PRIu64 "   RX %" PRIu64,
		      c->orig_pkts, c->repl_pkts);
	} else {
		UI_DL("Counters     none (accounting was off when it began)");
	}
	UI_DL("Rate TX      %s (1 s)  %s (10 s)  %s (40 s)",
	      util_fmt_rate(x, sizeof(x), r->rate_orig, bits),
	      util_fmt_rate(y, sizeof(y), r->rate_orig_10, bits),
	      util_fmt_rate(z, sizeof(z), r->rate_orig_40, bits));
	UI_DL("Rate RX      %s (1 s)  %s (10 s)  %s (40 s)",
	      util_fmt_rate(x, sizeof(x), r->rate_repl, bits),
	      util_fmt_rate(y, sizeof(y), r->rate_repl_10, bits),
	      util_fmt_rate(z, sizeof(z), r->rate_repl_40, bits));
	util_fmt_duration(y, sizeof(y), ui_age(u, r));
	if ((c->have & FLOW_HAVE_TSTAMP) && c->ts_start) {
		ui_fmt_time(c->ts_start, x, sizeof(x));
		UI_DL("Started      %s (%s ago)", x, y);
		if (c->ts_stop) {
			ui_fmt_time(c->ts_stop, x, sizeof(x));
			UI_DL("Stopped      %s", x);
		}
	} else {
		UI_DL("Seen for     %s (no kernel timestamp)", y);
	}
	if (r->closed_at)
		UI_DL("Closed       %s ago", util_fmt_duration(x, sizeof(x),
		      u->fetch_mono > r->closed_at ?
		      (u->fetch_mono - r->closed_at) / UI_NS : 0));
	if (r->owner.pid > 0) {
		util_sanitize(a, 64, r->owner.comm ? r->owner.comm : "");
		util_sanitize(b, 64, proc_lookup_user(r->owner.uid, t, 64));
		UI_DL("Process      %s  pid %" PRId32 "  user %s (uid %"
		      PRIu32 ")", a, r->owner.pid, b, r->owner.uid);
	} else {
		UI_DL("Process      %s", r->owner.pid < 0 ?
		      "none (not a local socket)" : "unknown");
	}
	UI_DL("Local end    %s", ui_local_name(r->owner.local));
	if (!u->o->no_geoip) {
		ui_geo_line(r->geo_src, t, sizeof(t));
		UI_DL("GeoIP source %s", t);
		ui_geo_line(r->geo_dst, t, sizeof(t));
		UI_DL("GeoIP dest   %s", t);
	}
	return n;
}

void ui_draw_details(struct ui *u)
{
	static char ln[64][UI_TEXT];
	int n = ui_detail_lines(u, ln, 64);

	ui_pager_draw(u, ln, n, "Flow details",
		      " Up/Down scroll, any other key closes ");
}
