/* ui_views: the Flows, Processes and Remote tables: their columns, what
 * each row says, and why a view is empty when it is. */
#define NCURSES_WIDECHAR 1

#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include <curses.h>

#include "flow_types.h"
#include "geoip.h"
#include "proc_lookup.h"
#include "ui_impl.h"
#include "util.h"
#include "view.h"

/* Columns of the Flows view, the long addresses last as htop's Command. */
enum {
	FC_PROC, FC_PROTO, FC_STATE, FC_OFL, FC_AGE, FC_TXR, FC_RXR, FC_TX,
	FC_RX,
	FC_PKTS, FC_GEO, FC_AS, FC_DEV, FC_SRC, FC_DST, FC_NAT, FC__COUNT
};

static const struct ui_col ui_flow_cols[FC__COUNT] = {
	[FC_PROC] = { "PROCESS", 7, false, 22, 0, NULL, false },
	[FC_PROTO] = { "PROTO", 0, false, 0, 0, NULL, false },
	[FC_STATE] = { "STATE", 6, false, 0, 0, NULL, false },
	/* sw, hw: a flowtable forwards it (blank: none on the page) */
	[FC_OFL] = { "OFL", 6, false, 0, 0, NULL, true },
	[FC_AGE] = { "AGE", 4, true, 0, 0, NULL, false },
	[FC_TXR] = { "TX/s", 0, true, 0, 0, NULL, false },
	[FC_RXR] = { "RX/s", 0, true, 0, 0, NULL, false },
	[FC_TX] = { "TX", 3, true, 0, 0, NULL, false },
	[FC_RX] = { "RX", 3, true, 0, 0, NULL, false },
	[FC_PKTS] = { "PKTS TX/RX", 2, true, 0, 0, NULL, false },
	[FC_GEO] = { "GEO", 5, false, 28, 0, NULL, false },
	[FC_AS] = { "AS", 1, false, 28, 0, NULL, false },
	/* A router's question: which device of the LAN made the flow. */
	[FC_DEV] = { "DEVICE", 0, false, 20, 0, NULL, true },
	[FC_SRC] = { "SOURCE", 0, false, 0, 21, NULL, false },
	[FC_DST] = { "DESTINATION", 0, false, 0, 24, NULL, false },
	[FC_NAT] = { "NAT", 0, false, 0, 1, NULL, true },
};

enum { PC_PID, PC_USER, PC_FLOWS, PC_TXR, PC_RXR, PC_TX, PC_RX, PC_NAME,
	PC__COUNT };

static const struct ui_col ui_proc_cols[PC__COUNT] = {
	[PC_PID] = { "PID", 5, true, 0, 0, NULL, false },
	[PC_USER] = { "USER", 4, false, 16, 0, NULL, false },
	[PC_FLOWS] = { "FLOWS", 0, true, 0, 0, NULL, false },
	[PC_TXR] = { "TX/s", 0, true, 0, 0, NULL, false },
	[PC_RXR] = { "RX/s", 0, true, 0, 0, NULL, false },
	[PC_TX] = { "TX", 3, true, 0, 0, NULL, false },
	[PC_RX] = { "RX", 3, true, 0, 0, NULL, false },
	[PC_NAME] = { "PROCESS", 0, false, 0, 16, NULL, false },
};

enum { HC_FLOWS, HC_TXR, HC_RXR, HC_TX, HC_RX, HC_GEO, HC_AS, HC_HOST,
	HC__COUNT };

static const struct ui_col ui_host_cols[HC__COUNT] = {
	[HC_FLOWS] = { "FLOWS", 0, true, 0, 0, NULL, false },
	[HC_TXR] = { "TX/s", 0, true, 0, 0, NULL, false },
	[HC_RXR] = { "RX/s", 0, true, 0, 0, NULL, false },
	[HC_TX] = { "TX", 3, true, 0, 0, NULL, false },
	[HC_RX] = { "RX", 3, true, 0, 0, NULL, false },
	[HC_GEO] = { "GEO", 5, false, 28, 0, NULL, false },
	[HC_AS] = { "AS", 1, false, 28, 0, NULL, false },
	[HC_HOST] = { "REMOTE HOST", 0, false, 0, 24, NULL, false },
};

enum { CC_FLOWS, CC_TXR, CC_RXR, CC_TX, CC_RX, CC_CC, CC_NAME, CC__COUNT };

static const struct ui_col ui_country_cols[CC__COUNT] = {
	[CC_FLOWS] = { "FLOWS", 0, true, 0, 0, NULL, false },
	[CC_TXR] = { "TX/s", 0, true, 0, 0, NULL, false },
	[CC_RXR] = { "RX/s", 0, true, 0, 0, NULL, false },
	[CC_TX] = { "TX", 3, true, 0, 0, NULL, false },
	[CC_RX] = { "RX", 3, true, 0, 0, NULL, false },
	[CC_CC] = { "CC", 0, false, 0, 0, NULL, false },
	[CC_NAME] = { "COUNTRY", 0, false, 0, 16, NULL, false },
};

static bool ui_is_new(const struct ui *u, const struct flow_row *r)
{
	/* Flows of the first dump were there before we looked. */
	return u->settled_mono && r->first_seen > u->settled_mono &&
	       r->first_seen + u->interval_ns > u->fetch_mono;
}

/* ---- the Flows, Processes and Remote tables ---- */

static void ui_flow_cells(struct ui *u, int line, const struct flow_row *r)
{
	const struct flow_rec *rec = &r->rec;
	char ep[UI_CELL], nat[UI_CELL], comm[64], a[32], b[32];
	const char *state;

	if (r->owner.pid > 0 && r->owner.comm) {
		util_sanitize(comm, sizeof(comm), r->owner.comm);
		ui_fmt(ui_cell(u, line, FC_PROC), UI_CELL, "%s/%" PRId32,
			 comm, r->owner.pid);
	} else {
		ui_cell(u, line, FC_PROC)[0] = '\0';
	}
	ui_proto_label(rec, ui_cell(u, line, FC_PROTO), UI_CELL);
	state = view_state_name(rec);
	util_sanitize(ui_cell(u, line, FC_STATE), UI_CELL, state ? state : "");
	ui_fmt(ui_cell(u, line, FC_OFL), UI_CELL, "%s", ui_offload_flag(rec));
	ui_fmt_age(u, r, ui_cell(u, line, FC_AGE), UI_CELL);
	util_fmt_rate(ui_cell(u, line, FC_TXR), UI_CELL,
		      view_rate(u->o, r, false), u->o->bits);
	util_fmt_rate(ui_cell(u, line, FC_RXR), UI_CELL,
		      view_rate(u->o, r, true), u->o->bits);
	util_fmt_bytes(ui_cell(u, line, FC_TX), UI_CELL, rec->orig_bytes);
	util_fmt_bytes(ui_cell(u, line, FC_RX), UI_CELL, rec->repl_bytes);
	ui_fmt(ui_cell(u, line, FC_PKTS), UI_CELL, "%s/%s",
		 util_fmt_count(a, sizeof(a), rec->orig_pkts),
		 util_fmt_count(b, sizeof(b), rec->repl_pkts));
	if (!(rec->have & FLOW_HAVE_COUNTERS)) {
		/* Accounting was off when the flow began: no numbers. */
		strcpy(ui_cell(u, line, FC_TX), "-");
		strcpy(ui_cell(u, line, FC_RX), "-");
		strcpy(ui_cell(u, line, FC_PKTS), "-");
	}
	if (u->o->no_geoip) {
		ui_cell(u, line, FC_GEO)[0] = '\0';
		ui_cell(u, line, FC_AS)[0] = '\0';
	} else {
		ui_geo_text(view_remote_geo(r), ui_cell(u, line, FC_GEO),
			    UI_CELL);
		ui_as_text(view_remote_geo(r), ui_cell(u, line, FC_AS),
			   UI_CELL);
	}
	ui_device_flow_cell(u, r, ui_cell(u, line, FC_DEV), UI_CELL);
	ui_endpoint(u, rec->family, rec->l4proto, &rec->orig.src,
		    rec->orig.sport, true, false, ui_cell(u, line, FC_SRC),
		    UI_CELL);
	ui_endpoint(u, rec->family, rec->l4proto, &rec->orig.dst,
		    rec->orig.dport, true, true, ui_cell(u, line, FC_DST),
		    UI_CELL);
	/* Right after the addresses: where the flow really goes (DNAT),
	 * what it leaves as (SNAT). */
	ui_nat_note(u, rec, true, nat, sizeof(nat));
	ui_nat_note(u, rec, false, ep, sizeof(ep));
	ui_fmt(ui_cell(u, line, FC_NAT), UI_CELL, "%s%s", nat[0] ? nat + 1 :
	       "", ep[0] ? ep + (nat[0] ? 0 : 1) : "");
}

void ui_group_common(struct ui *u, int line, const struct view_group *g,
		     int flows, int txr, int rxr, int tx, int rx)
{
	ui_fmt(ui_cell(u, line, flows), UI_CELL, "%zu", g->flows);
	util_fmt_rate(ui_cell(u, line, txr), UI_CELL, g->rate_out,
		      u->o->bits);
	util_fmt_rate(ui_cell(u, line, rxr), UI_CELL, g->rate_in,
		      u->o->bits);
	util_fmt_bytes(ui_cell(u, line, tx), UI_CELL, g->bytes_out);
	util_fmt_bytes(ui_cell(u, line, rx), UI_CELL, g->bytes_in);
}

static void ui_group_cells(struct ui *u, int line, const struct view_group *g)
{
	enum view_group_kind kind = ui_group_kind(u);
	char user[64];

	if (kind == GROUP_DEVICE) {
		ui_device_cells(u, line, g);
	} else if (kind == GROUP_PROCESS) {
		ui_group_common(u, line, g, PC_FLOWS, PC_TXR, PC_RXR, PC_TX,
				PC_RX);
		if (g->pid > 0)
			ui_fmt(ui_cell(u, line, PC_PID), UI_CELL,
				 "%" PRId32, g->pid);
		else
			/* One name, several processes. */
			strcpy(ui_cell(u, line, PC_PID), g->pid ? "" : "*");
		if (g->sub[0])
			util_sanitize(ui_cell(u, line, PC_USER), UI_CELL,
				      g->sub);
		else
			util_sanitize(ui_cell(u, line, PC_USER), UI_CELL,
				      proc_lookup_user(g->uid, user,
						       sizeof(user)));
		util_sanitize(ui_cell(u, line, PC_NAME), UI_CELL, g->key);
	} else if (kind == GROUP_HOST) {
		ui_group_common(u, line, g, HC_FLOWS, HC_TXR, HC_RXR, HC_TX,
				HC_RX);
		if (g->family == AF_INET || g->family == AF_INET6)
			ui_host(u, g->family, &g->addr, true,
				ui_cell(u, line, HC_HOST), UI_CELL);
		else
			util_sanitize(ui_cell(u, line, HC_HOST), UI_CELL,
				      g->key);
		ui_geo_text(u->o->no_geoip ? NULL : g->geo,
			    ui_cell(u, line, HC_GEO), UI_CELL);
		ui_as_text(u->o->no_geoip ? NULL : g->geo,
			   ui_cell(u, line, HC_AS), UI_CELL);
	} else {
		ui_group_common(u, line, g, CC_FLOWS, CC_TXR, CC_RXR, CC_TX,
				CC_RX);
		util_sanitize(ui_cell(u, line, CC_CC), UI_CELL,
			      g->sub[0] ? g->sub : "--");
		util_sanitize(ui_cell(u, line, CC_NAME), UI_CELL,
			      g->key[0] ? g->key : "(unknown)");
	}
}

/* ---- the body: table or the reason it is empty ---- */

static void ui_lines_at(struct ui *u, int y, const char *const *text,
			size_t n, attr_t a)
{
	size_t i;

	for (i = 0; i < n && y + (int)i < u->lines - 1; i++)
		ui_text(u, y + (int)i, 1, text[i], a);
}

static void ui_draw_empty(struct ui *u)
{
	static const char *const no_ct[] = {
		"No flows: conntrack may not be active in this namespace.",
		"",
		"It tracks flows once a rule uses it; with nftables:",
		"  nft add table inet flowtop",
		"  nft add chain inet flowtop out "
		"'{ type filter hook output priority 0; }'",
		"  nft add rule inet flowtop out ct state new,established "
		"accept",
		"or with iptables:",
		"  iptables -A OUTPUT -m conntrack --ctstate NEW,ESTABLISHED "
		"-j ACCEPT",
		"  ip6tables -A OUTPUT -m conntrack --ctstate "
		"NEW,ESTABLISHED -j ACCEPT",
	};
	char buf[UI_TEXT], t[300];
	int y = UI_TOP + 1;

	if (!u->scans && u->ctx->col) {
		ui_text(u, y, 1, "Reading the conntrack table...",
			u->attr[ST_NORMAL]);
		return;
	}
	/* flowtop holds the flows shown only (collector_set_scope): the
	 * kernel's count says whether the table is empty. */
	if (!u->flows_all && !u->st.ct_count) {
		ui_lines_at(u, y, no_ct, sizeof(no_ct) / sizeof(no_ct[0]),
			    u->attr[ST_NORMAL]);
		return;
	}
	if (u->fgood[0] || u->o->filter) {
		util_sanitize(t, sizeof(t), u->fgood[0] ? u->fgood :
			      "(command line)");
		ui_fmt(buf, sizeof(buf), "No flow matches filter %s", t);
		ui_text(u, y, 1, buf, u->attr[ST_NORMAL]);
		ui_text(u, y + 1, 1, "Esc clears it, / edits it.",
			u->attr[ST_NORMAL]);
		if (u->o->protos != VIEW_ALL_PROTOS || !u->o->ipv4 ||
		    !u->o->ipv6 || u->o->active_only)
			ui_text(u, y + 2, 1, "The toggles apply too: protocols "
				"(T U D I S O), families (4 6), active (a).",
				u->attr[ST_NORMAL]);
		return;
	}
	ui_fmt(buf, sizeof(buf), "%s: none of the %zu flows in the table "
		 "is shown.", ui_mode_name(u), u->flows_all > u->st.ct_count ?
		 u->flows_all : (size_t)u->st.ct_count);
	ui_text(u, y, 1, buf, u->attr[ST_NORMAL]);
	ui_text(u, y + 1, 1, "Protocols (T U D I S O), families (4 6), "
		"active only (a) and loopback/DNS (l) decide",
		u->attr[ST_NORMAL]);
	ui_text(u, y + 2, 1, "what is shown; the Processes view lists only "
		"flows of local processes.", u->attr[ST_NORMAL]);
}

void ui_draw_table(struct ui *u)
{
	int h = ui_body_lines(u), l, nl = 0;
	bool hide[UI_MAXCOLS] = { false };
	size_t idx;
	attr_t a;

	if (u->o->mode == VIEW_FLOWS) {
		ui_table_begin(u, ui_flow_cols, FC__COUNT);
		hide[FC_SRC] = !u->o->show_src;
		/* The source column says it, with the port. */
		hide[FC_DEV] = u->o->show_src;
		/* Read as "source -> destination". */
		if (u->o->show_src)
			u->defs[FC_DST].sep = " -> ";
	} else if (ui_group_kind(u) == GROUP_DEVICE) {
		ui_devices_begin(u);
	} else if (ui_group_kind(u) == GROUP_PROCESS) {
		ui_table_begin(u, ui_proc_cols, PC__COUNT);
	} else if (ui_group_kind(u) == GROUP_HOST) {
		ui_table_begin(u, ui_host_cols, HC__COUNT);
	} else {
		ui_table_begin(u, ui_country_cols, CC__COUNT);
	}
	for (l = 0; l < h && l < u->cell_lines; l++) {
		idx = u->top + (size_t)l;
		if (idx >= u->total || idx < u->first ||
		    idx >= u->first + u->n)
			break;
		if (u->o->mode == VIEW_FLOWS)
			ui_flow_cells(u, l, &u->rows[idx - u->first]);
		else
			ui_group_cells(u, l, &u->groups[idx - u->first]);
		nl++;
	}
	ui_table_fit(u, nl, hide);
	ui_table_line(u, UI_TOP - 1, 0, true, u->attr[ST_TITLE]);
	if (!u->total) {
		ui_draw_empty(u);
		return;
	}
	for (l = 0; l < nl; l++) {
		idx = u->top + (size_t)l;
		a = u->attr[ST_NORMAL];
		if (u->o->mode == VIEW_FLOWS) {
			const struct flow_row *r = &u->rows[idx - u->first];

			if (r->closed_at)
				a = u->attr[ST_CLOSED];
			else if (ui_is_new(u, r))
				a = u->attr[ST_NEW];
			if (idx == u->cur)
				a = u->attr[ST_CURSOR] |
				    (r->closed_at ? A_DIM : 0);
		} else if (idx == u->cur) {
			a = u->attr[ST_CURSOR];
		}
		ui_table_line(u, UI_TOP + l, l, false, a);
	}
}
