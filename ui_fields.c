/* ui_fields: how one flow's fields read on the screen: endpoints with
 * names and services, NAT, protocol, age, GeoIP and AS. */
#define NCURSES_WIDECHAR 1

#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "flow_types.h"
#include "geoip.h"
#include "l4proto.h"
#include "services.h"
#include "ui_impl.h"
#include "util.h"
#include "view.h"

static bool ui_has_ports(uint8_t proto)
{
	return l4proto_ids(proto) == L4_IDS_PORTS;
}

/* Ports or GRE keys: what NAT may change beside the addresses. */
static bool ui_has_ids(uint8_t proto)
{
	return ui_has_ports(proto) || l4proto_ids(proto) == L4_IDS_KEYS;
}

static size_t ui_addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Host name when known and wanted, else the address; never blocks. */
void ui_host(struct ui *u, int family, const union flow_addr *a,
	     bool names, char *out, size_t len)
{
	char name[UI_CELL];

	if (names && !u->o->no_dns &&
	    dns_name(family, a->b, name, sizeof(name)) && name[0]) {
		util_sanitize(out, len, name);
		return;
	}
	util_fmt_addr(out, len, family, a->b);
}

/* "host:port (service)", "[2001:db8::1]:443", or "host" without ports. */
void ui_endpoint(struct ui *u, int family, uint8_t proto,
		 const union flow_addr *a, uint16_t port, bool names,
		 bool service, char *out, size_t len)
{
	char host[UI_CELL], svc[64];
	const char *sv = NULL;
	bool numeric6;

	ui_host(u, family, a, names, host, sizeof(host));
	/* GRE: the key (PPTP call id), as conntrack -L writes it. */
	if (l4proto_ids(proto) == L4_IDS_KEYS && port) {
		ui_fmt(out, len, "%s key 0x%x", host, port);
		return;
	}
	if (!ui_has_ports(proto)) {
		ui_fmt(out, len, "%s", host);
		return;
	}
	if (service)
		sv = services_name(proto, port);
	numeric6 = family == AF_INET6 && strchr(host, ':');
	if (sv && *sv) {
		util_sanitize(svc, sizeof(svc), sv);
		ui_fmt(out, len, numeric6 ? "[%s]:%u (%s)" : "%s:%u (%s)",
			 host, port, svc);
	} else {
		ui_fmt(out, len, numeric6 ? "[%s]:%u" : "%s:%u", host, port);
	}
}

static bool ui_addr_eq(int family, const union flow_addr *a,
		       const union flow_addr *b)
{
	return !memcmp(a->b, b->b, ui_addr_len(family));
}

/* The reply tuple of a flow without NAT mirrors the original one. */
bool ui_dnat(const struct flow_rec *r)
{
	return !ui_addr_eq(r->family, &r->repl.src, &r->orig.dst) ||
	       (ui_has_ids(r->l4proto) && r->repl.sport != r->orig.dport);
}

bool ui_snat(const struct flow_rec *r)
{
	return !ui_addr_eq(r->family, &r->repl.dst, &r->orig.src) ||
	       (ui_has_ids(r->l4proto) && r->repl.dport != r->orig.sport);
}

/* " [dnat 192.0.2.9:8443]": where the flow really goes or comes from. */
void ui_nat_note(struct ui *u, const struct flow_rec *r, bool dst,
		 char *out, size_t len)
{
	char ep[UI_CELL];

	out[0] = '\0';
	if (dst && ui_dnat(r)) {
		ui_endpoint(u, r->family, r->l4proto, &r->repl.src,
			    r->repl.sport, false, false, ep, sizeof(ep));
		ui_fmt(out, len, " [dnat %s]", ep);
	} else if (!dst && ui_snat(r)) {
		ui_endpoint(u, r->family, r->l4proto, &r->repl.dst,
			    r->repl.dport, false, false, ep, sizeof(ep));
		ui_fmt(out, len, " [snat %s]", ep);
	}
}

void ui_proto_label(const struct flow_rec *r, char *out, size_t len)
{
	const char *name = view_proto_name(r->l4proto, r->family);
	size_t n;

	if (!name)
		name = "?";
	n = strlen(name);
	/* "ICMPv6" already says it; others get the IP version. */
	if (n >= 2 && name[n - 2] == 'v' && (name[n - 1] == '4' ||
					     name[n - 1] == '6'))
		ui_fmt(out, len, "%s", name);
	else if (n && name[n - 1] >= '0' && name[n - 1] <= '9')
		/* "6in4/v6", "ip-proto-143/v4": a digit would run on. */
		ui_fmt(out, len, "%s/v%c", name,
		       r->family == AF_INET6 ? '6' : '4');
	else
		ui_fmt(out, len, "%s%c", name,
			 r->family == AF_INET6 ? '6' : '4');
}

/* Seconds the flow has lived, from kernel timestamps when we have them. */
uint64_t ui_age(const struct ui *u, const struct flow_row *r)
{
	uint64_t end;

	if ((r->rec.have & FLOW_HAVE_TSTAMP) && r->rec.ts_start) {
		end = r->rec.ts_stop ? r->rec.ts_stop : u->fetch_real;
		return end > r->rec.ts_start ?
		       (end - r->rec.ts_start) / UI_NS : 0;
	}
	end = r->closed_at ? r->closed_at : u->fetch_mono;
	return end > r->first_seen ? (end - r->first_seen) / UI_NS : 0;
}

/* The age as the AGE column shows it: with a '+' when it counts from when
 * flowtop first saw the flow (no kernel timestamp: it began before). */
void ui_fmt_age(const struct ui *u, const struct flow_row *r, char *out,
		size_t len)
{
	size_t n;

	util_fmt_duration(out, len, ui_age(u, r));
	n = strlen(out);
	if (!((r->rec.have & FLOW_HAVE_TSTAMP) && r->rec.ts_start) &&
	    n + 1 < len) {
		out[n] = '+';
		out[n + 1] = '\0';
	}
}

void ui_geo_text(const struct geo_info *g, char *out, size_t len)
{
	char raw[UI_CELL];

	out[0] = '\0';
	if (!g)
		return;
	ui_fmt(raw, sizeof(raw), "%s%s%s", g->cc,
		 g->cc[0] && g->city && g->city[0] ? " " : "",
		 g->city ? g->city : "");
	util_sanitize(out, len, raw);
}

void ui_as_text(const struct geo_info *g, char *out, size_t len)
{
	char raw[UI_CELL];

	out[0] = '\0';
	if (!g || !g->asn)
		return;
	ui_fmt(raw, sizeof(raw), "AS%" PRIu32 "%s%s", g->asn,
		 g->as_org && g->as_org[0] ? " " : "",
		 g->as_org ? g->as_org : "");
	util_sanitize(out, len, raw);
}
