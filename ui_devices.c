/* ui_devices: the Devices view (flows grouped by inside host, as a router
 * sees its LAN) and the DEVICE column of the Flows view. */
#define NCURSES_WIDECHAR 1

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "lan.h"
#include "ui_impl.h"
#include "util.h"
#include "view.h"

enum { DC_FLOWS, DC_TXR, DC_RXR, DC_TX, DC_RX, DC_NAME, DC_ADDR, DC_MAC,
	DC_TOP, DC__COUNT };

/* The name first after the numbers; the busiest remote, long, last. */
static const struct ui_col ui_device_cols[DC__COUNT] = {
	[DC_FLOWS] = { "FLOWS", 0, true, 0, 0, NULL, false },
	[DC_TXR] = { "TX/s", 0, true, 0, 0, NULL, false },
	[DC_RXR] = { "RX/s", 0, true, 0, 0, NULL, false },
	[DC_TX] = { "TX", 3, true, 0, 0, NULL, false },
	[DC_RX] = { "RX", 3, true, 0, 0, NULL, false },
	[DC_NAME] = { "DEVICE", 0, false, 24, 0, NULL, false },
	[DC_ADDR] = { "ADDRESS", 4, false, 41, 0, NULL, false },
	[DC_MAC] = { "MAC", 1, false, 0, 0, NULL, false },
	[DC_TOP] = { "TOP REMOTE", 0, false, 0, 16, NULL, true },
};

void ui_devices_begin(struct ui *u)
{
	ui_table_begin(u, ui_device_cols, DC__COUNT);
}

/* A device's name, in order: its lease, reverse DNS, its MAC, its
 * address.  Never blocks: an unknown DNS name is asked for and shows
 * later. */
static void ui_device_name(struct ui *u, const char *lease, int family,
			   const union flow_addr *a, const uint8_t *mac,
			   size_t mac_len, char *out, size_t len)
{
	char name[DNS_NAME_MAX];

	if (lease[0]) {
		util_sanitize(out, len, lease);
	} else if (!u->o->no_dns && dns_name(family, a->b, name,
					       sizeof(name)) && name[0]) {
		util_sanitize(out, len, name);
	} else if (mac_len) {
		lan_fmt_mac(out, len, mac, mac_len);
	} else {
		util_fmt_addr(out, len, family, a->b);
	}
}

void ui_device_cells(struct ui *u, int line, const struct view_group *g)
{
	const struct view_device_info *d = g->dev;
	char host[UI_CELL], *c;

	ui_group_common(u, line, g, DC_FLOWS, DC_TXR, DC_RXR, DC_TX, DC_RX);
	for (int i = DC_NAME; i < DC__COUNT; i++)
		ui_cell(u, line, i)[0] = '\0';
	if (!d)
		return;
	if (d->local) {
		ui_fmt(ui_cell(u, line, DC_NAME), UI_CELL, "(this host)");
	} else {
		ui_device_name(u, d->name, g->family, &g->addr, d->mac,
			       d->mac_len, ui_cell(u, line, DC_NAME), UI_CELL);
		util_fmt_addr(host, sizeof(host), g->family, g->addr.b);
		/* "+": more addresses (a device's IPv6 ones, by MAC). */
		ui_fmt(ui_cell(u, line, DC_ADDR), UI_CELL, "%s%s", host,
		       d->addrs > 1 ? " +" : "");
		lan_fmt_mac(ui_cell(u, line, DC_MAC), UI_CELL, d->mac,
			    d->mac_len);
	}
	if (!d->top_family)
		return;
	ui_host(u, d->top_family, &d->top_addr, true, host, sizeof(host));
	c = ui_cell(u, line, DC_TOP);
	if (!u->o->no_geoip && d->top_geo && d->top_geo->cc[0])
		ui_fmt(c, UI_CELL, "%s (%s)", host, d->top_geo->cc);
	else
		ui_fmt(c, UI_CELL, "%s", host);
}

/* What the Devices view lacks, for the status line; NULL if nothing. */
const char *ui_devices_hint(char *buf, size_t len)
{
	struct lan_stats st;
	char p[128];

	lan_get_stats(&st);
	if (st.leases_err == -ENOENT && !st.path[0])
		return "no dnsmasq leases file: --leases FILE names devices";
	if (st.leases_err) {
		ui_fmt(buf, len, "leases %s: %s",
		       util_sanitize(p, sizeof(p), st.path),
		       strerror(-st.leases_err));
		return buf;
	}
	if (st.neigh_err) {
		ui_fmt(buf, len, "neighbour table: %s",
		       strerror(-st.neigh_err));
		return buf;
	}
	return NULL;
}

/* The Flows view's DEVICE: the inside host of a forwarded flow, by name
 * when one is known; empty for this host's own flows. */
void ui_device_flow_cell(struct ui *u, const struct flow_row *r, char *out,
			 size_t len)
{
	struct lan_device d;

	out[0] = '\0';
	if (view_device(r, &d))
		ui_device_name(u, d.name, d.family, &d.addr, NULL, 0, out,
			       len);
}
