/* ui_keys: the key table (htop's Action.c: key -> function -> reaction),
 * the actions, and the help text and --help drawn from the table. */
#define NCURSES_WIDECHAR 1

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <curses.h>

#include "collector.h"
#include "lan.h"
#include "ui_config.h"
#include "ui_impl.h"
#include "util.h"
#include "view.h"

struct ui_action {
	int key;
	const char *keys;	/* shown in help; NULL: an alias, not shown */
	const char *help;
	unsigned (*fn)(struct ui *u, int key);
};

static unsigned ui_act_quit(struct ui *u, int key)
{
	return UI_R_QUIT;
}

static unsigned ui_act_help(struct ui *u, int key)
{
	u->ov = OV_HELP;
	u->ov_scroll = 0;
	return UI_R_REDRAW;
}

/* Move the cursor to absolute entry to; read more when it leaves what
 * we have. */
static unsigned ui_goto(struct ui *u, size_t to)
{
	if (!u->total)
		return UI_R_REDRAW;
	u->cur = to;
	ui_clamp(u);
	if (!ui_window_ok(u) || u->cur < u->first ||
	    u->cur >= u->first + u->n) {
		/* The entry there is not known yet: do not look for the
		 * old one. */
		u->have_cur = false;
		return UI_R_REFETCH;
	}
	ui_remember(u);
	return UI_R_REDRAW;
}

static unsigned ui_act_move(struct ui *u, int key)
{
	size_t h = (size_t)ui_body_lines(u), c = u->cur;

	if (!h)
		h = 1;
	/* Once moved, the cursor stays on its entry (as htop's does);
	 * Home and g give it back to the top of the list. */
	u->moved = key != UI_FKEY(KEY_HOME) && key != 'g';
	switch (key) {
	case UI_FKEY(KEY_UP):
	case 'k':
		return ui_goto(u, c ? c - 1 : 0);
	case UI_FKEY(KEY_DOWN):
	case 'j':
		return ui_goto(u, c + 1);
	case UI_FKEY(KEY_PPAGE):
	case UI_CTRL('b'):
		u->top = u->top > h ? u->top - h : 0;
		return ui_goto(u, c > h ? c - h : 0);
	case UI_FKEY(KEY_NPAGE):
	case UI_CTRL('f'):
		u->top += h;
		return ui_goto(u, c + h);
	case UI_FKEY(KEY_HOME):
	case 'g':
		u->top = 0;
		return ui_goto(u, 0);
	case UI_FKEY(KEY_END):
	case 'G':
		return ui_goto(u, u->total ? u->total - 1 : 0);
	}
	return 0;
}

static unsigned ui_act_hscroll(struct ui *u, int key)
{
	if (key == UI_FKEY(KEY_LEFT))
		u->hscroll = u->hscroll > UI_HSTEP ? u->hscroll - UI_HSTEP : 0;
	else if (u->hscroll + u->cols < u->line_width)
		u->hscroll += UI_HSTEP;
	return UI_R_REDRAW;
}

static void ui_view_changed(struct ui *u)
{
	u->top = u->cur = 0;
	u->moved = false;
	u->have_cur = false;
	u->hscroll = 0;
	u->n = 0;
	u->first = 0;
}

static unsigned ui_act_view(struct ui *u, int key)
{
	int m = (int)u->o->mode + (key == UI_FKEY(KEY_BTAB) ? -1 : 1);

	u->o->mode = (enum view_mode)((m + VIEW__COUNT) % VIEW__COUNT);
	ui_view_changed(u);
	return UI_R_REFETCH | UI_R_REDRAW;
}

/* One key to a router's question: which device uses the uplink. */
static unsigned ui_act_devices(struct ui *u, int key)
{
	u->o->mode = u->o->mode == VIEW_DEVICES ? VIEW_FLOWS : VIEW_DEVICES;
	ui_view_changed(u);
	return UI_R_REFETCH | UI_R_REDRAW;
}

static unsigned ui_act_remote_kind(struct ui *u, int key)
{
	if (u->o->mode != VIEW_REMOTE) {
		ui_message(u, false, "c switches the Remote view (TAB) "
			   "between hosts and countries");
		return UI_R_REDRAW;
	}
	u->prefs.remote_country = !u->prefs.remote_country;
	ui_view_changed(u);
	return UI_R_REFETCH;
}

static const struct flow_row *ui_selected(struct ui *u)
{
	if (u->o->mode != VIEW_FLOWS || !u->total || u->cur < u->first ||
	    u->cur >= u->first + u->n)
		return NULL;
	return &u->rows[u->cur - u->first];
}

/* Enter on a process, host or country: the Flows view of its flows,
 * through a filter (added to the one in effect), so Esc comes back. */
static unsigned ui_group_flows(struct ui *u)
{
	const struct view_group *g;
	char what[64], addr[64];

	if (!u->total || u->cur < u->first || u->cur >= u->first + u->n)
		return UI_R_REDRAW;
	g = &u->groups[u->cur - u->first];
	switch (ui_group_kind(u)) {
	case GROUP_PROCESS:
		if (g->pid <= 0)
			return UI_R_REDRAW;
		ui_fmt(what, sizeof(what), "pid %" PRId32, g->pid);
		break;
	case GROUP_HOST:
		if (!util_fmt_addr(addr, sizeof(addr), g->family, g->addr.b)[0])
			return UI_R_REDRAW;
		ui_fmt(what, sizeof(what), "host %s", addr);
		break;
	case GROUP_DEVICE:
		/* A device is its MAC (all its addresses), else its
		 * address; this host is what has no device. */
		if (!g->dev)
			return UI_R_REDRAW;
		if (g->dev->local)
			ui_fmt(what, sizeof(what), "not device *");
		else if (g->dev->mac_len)
			ui_fmt(what, sizeof(what), "device %s",
			       lan_fmt_mac(addr, sizeof(addr), g->dev->mac,
					   g->dev->mac_len));
		else if (util_fmt_addr(addr, sizeof(addr), g->family,
				       g->addr.b)[0])
			ui_fmt(what, sizeof(what), "device %s", addr);
		else
			return UI_R_REDRAW;
		break;
	default:
		/* Only a plain code goes into the filter text. */
		if (strlen(g->sub) != 2 || !isalpha((unsigned char)g->sub[0]) ||
		    !isalpha((unsigned char)g->sub[1])) {
			ui_message(u, false, "no country known for these "
				   "flows");
			return UI_R_REDRAW;
		}
		ui_fmt(what, sizeof(what), "country %s", g->sub);
		break;
	}
	if (u->fgood[0])
		ui_fmt(u->ftext, sizeof(u->ftext), "(%s) and %s", u->fgood,
		       what);
	else
		ui_fmt(u->ftext, sizeof(u->ftext), "%s", what);
	ui_filter_compile(u);
	if (u->ferr_on) {
		ui_message(u, true, "cannot filter on %s: %s", what, u->ferr);
		ui_fmt(u->ftext, sizeof(u->ftext), "%s", u->fgood);
		u->ferr_on = false;
		return UI_R_REDRAW;
	}
	u->o->mode = VIEW_FLOWS;
	ui_view_changed(u);
	ui_message(u, false, "flows of %s; Esc clears the filter", what);
	return UI_R_REFETCH;
}

static unsigned ui_act_details(struct ui *u, int key)
{
	const struct flow_row *r = ui_selected(u);

	if (u->o->mode != VIEW_FLOWS)
		return ui_group_flows(u);
	if (!r) {
		ui_message(u, false, "no flow selected");
		return UI_R_REDRAW;
	}
	u->detail = *r;
	u->ov = OV_DETAILS;
	u->ov_scroll = 0;
	ui_detail_get(u);
	return UI_R_REDRAW;
}

static unsigned ui_act_filter(struct ui *u, int key)
{
	u->ov = OV_FILTER;
	ui_fmt(u->ftext, sizeof(u->ftext), "%s", u->fgood);
	u->ferr_on = false;
	return UI_R_REDRAW;
}

static unsigned ui_act_escape(struct ui *u, int key)
{
	if (!u->o->filter && !u->fgood[0])
		return 0;
	ui_filter_clear(u);
	ui_message(u, false, "filter cleared");
	return UI_R_REFETCH;
}

static unsigned ui_act_sort_menu(struct ui *u, int key)
{
	u->ov = OV_SORT;
	u->sort_sel = (int)u->o->sort;
	return UI_R_REDRAW;
}

void ui_set_sort(struct ui *u, enum view_sort s, bool flip)
{
	if (flip && u->o->sort == s) {
		u->o->reverse = !u->o->reverse;
	} else {
		u->o->sort = s;
		u->o->reverse = false;
	}
	if (u->o->mode != VIEW_FLOWS)
		ui_message(u, false, "sort applies to the Flows view; "
			   "groups are busiest first");
}

static unsigned ui_act_sort_key(struct ui *u, int key)
{
	enum view_sort s;

	switch (key) {
	case 'R':
		s = SORT_RATE;
		break;
	case 'B':
		s = SORT_BYTES;
		break;
	case 'A':
		s = SORT_DURATION;
		break;
	case 'P':
		s = SORT_PROCESS;
		break;
	case 'N':
		s = SORT_PID;
		break;
	case 'C':
		s = SORT_COUNTRY;
		break;
	default:
		return 0;
	}
	ui_set_sort(u, s, true);
	return UI_R_REFETCH;
}

static unsigned ui_act_reverse(struct ui *u, int key)
{
	u->o->reverse = !u->o->reverse;
	return UI_R_REFETCH;
}

static unsigned ui_act_proto(struct ui *u, int key)
{
	struct flow_scope scope;

	switch (key) {
	case 'T':
		u->o->protos ^= VIEW_TCP;
		break;
	case 'U':
		u->o->protos ^= VIEW_UDP;
		break;
	case 'D':
		u->o->protos ^= VIEW_DCCP;
		break;
	case 'I':
		u->o->protos ^= VIEW_ICMP;
		break;
	case 'S':
		u->o->protos ^= VIEW_SCTP;
		break;
	case 'O':
		u->o->protos ^= VIEW_OTHER;
		break;
	case '4':
		u->o->ipv4 = !u->o->ipv4;
		break;
	case '6':
		u->o->ipv6 = !u->o->ipv6;
		break;
	default:
		return 0;
	}
	/* The kernel is asked for what is shown only: tell the collector;
	 * the flows the next dump brings were there before. */
	if (u->ctx->col) {
		collector_set_scope(u->ctx->col, view_scope(u->o, &scope));
		u->settled_mono = 0;
		u->settle_scan = collector_scans(u->ctx->col) + 1;
	}
	return UI_R_REFETCH;
}

static unsigned ui_act_toggle(struct ui *u, int key)
{
	switch (key) {
	case 'a':
		u->o->active_only = !u->o->active_only;
		break;
	case 's':
		u->o->show_src = !u->o->show_src;
		break;
	case 'b':
		u->o->bits = !u->o->bits;
		break;
	case 'w':
		/* as iftop: the last interval, 10 s, 40 s */
		u->o->rate_window = (u->o->rate_window + 1) % 3;
		ui_message(u, false, "rates over %s",
			   view_rate_window_name(u->o->rate_window));
		break;
	case 'l':
		u->o->show_hidden = !u->o->show_hidden;
		ui_message(u, false, "loopback and DNS flows %s",
			   u->o->show_hidden ? "shown" : "hidden");
		break;
	default:
		return 0;
	}
	return UI_R_REFETCH;
}

static unsigned ui_act_pause(struct ui *u, int key)
{
	u->paused = !u->paused;
	/* Coming back shows the present at once. */
	return u->paused ? UI_R_REDRAW : UI_R_REFETCH;
}

static unsigned ui_act_delete(struct ui *u, int key)
{
	const struct flow_row *r = ui_selected(u);

	if (!r) {
		ui_message(u, false, u->o->mode == VIEW_FLOWS ?
			   "no flow selected" :
			   "delete works on flows: TAB to the Flows view");
		return UI_R_REDRAW;
	}
	if (!u->ctx->col) {
		ui_message(u, true, "no collector: cannot delete");
		return UI_R_REDRAW;
	}
	u->detail = *r;
	u->ov = OV_CONFIRM;
	return UI_R_REDRAW;
}

static unsigned ui_act_write(struct ui *u, int key)
{
	int err;

	if (!u->ctx->config_path) {
		ui_message(u, true, "no settings file (HOME is not set)");
		return UI_R_REDRAW;
	}
	err = ui_config_save(u->ctx->config_path, u->o, &u->prefs);
	if (err)
		ui_message(u, true, "cannot write %s: %s",
			   u->ctx->config_path, strerror(-err));
	else
		ui_message(u, false, "settings written to %s",
			   u->ctx->config_path);
	return UI_R_REDRAW;
}

static unsigned ui_act_redraw(struct ui *u, int key)
{
	return UI_R_REDRAW | UI_R_CLEAR;
}

static const struct ui_action ui_actions[] = {
	{ '?', "?  h  F1", "this help", ui_act_help },
	{ 'h', NULL, NULL, ui_act_help },
	{ UI_FKEY(KEY_F(1)), NULL, NULL, ui_act_help },
	{ 'q', "q  F10", "quit", ui_act_quit },
	{ UI_FKEY(KEY_F(10)), NULL, NULL, ui_act_quit },
	{ UI_FKEY(KEY_UP), "Up  k", "cursor up", ui_act_move },
	{ 'k', NULL, NULL, ui_act_move },
	{ UI_FKEY(KEY_DOWN), "Down  j", "cursor down", ui_act_move },
	{ 'j', NULL, NULL, ui_act_move },
	{ UI_FKEY(KEY_PPAGE), "PgUp  ^B", "page up", ui_act_move },
	{ UI_CTRL('b'), NULL, NULL, ui_act_move },
	{ UI_FKEY(KEY_NPAGE), "PgDn  ^F", "page down", ui_act_move },
	{ UI_CTRL('f'), NULL, NULL, ui_act_move },
	{ UI_FKEY(KEY_HOME), "Home  g", "first line", ui_act_move },
	{ 'g', NULL, NULL, ui_act_move },
	{ UI_FKEY(KEY_END), "End  G", "last line", ui_act_move },
	{ 'G', NULL, NULL, ui_act_move },
	{ UI_FKEY(KEY_LEFT), "Left  Right", "scroll long lines sideways",
	  ui_act_hscroll },
	{ UI_FKEY(KEY_RIGHT), NULL, NULL, ui_act_hscroll },
	{ '\t', "TAB  S-TAB", "next/previous view: Flows, Processes, Remote, "
	  "Devices", ui_act_view },
	{ UI_FKEY(KEY_BTAB), NULL, NULL, ui_act_view },
	{ 'c', "c", "Remote view: by host or by country", ui_act_remote_kind },
	{ 'L', "L", "Devices view (LAN hosts, as a router sees them) and back",
	  ui_act_devices },
	{ '\n', "Enter", "details of the selected flow (Processes, Remote, "
	  "Devices: its flows)", ui_act_details },
	{ '\r', NULL, NULL, ui_act_details },
	{ UI_FKEY(KEY_ENTER), NULL, NULL, ui_act_details },
	{ '/', "/  F4", "filter, live as you type (Enter keeps, Esc clears)",
	  ui_act_filter },
	{ UI_FKEY(KEY_F(4)), NULL, NULL, ui_act_filter },
	{ UI_ESC, "Esc", "clear the filter", ui_act_escape },
	{ UI_FKEY(KEY_F(6)), "F6  >  <", "sort menu", ui_act_sort_menu },
	{ '>', NULL, NULL, ui_act_sort_menu },
	{ '<', NULL, NULL, ui_act_sort_menu },
	{ 'R', "R B A", "sort by rate, bytes, age (again: reverse)",
	  ui_act_sort_key },
	{ 'B', NULL, NULL, ui_act_sort_key },
	{ 'A', NULL, NULL, ui_act_sort_key },
	{ 'P', "P N C", "sort by process, PID, country (again: reverse)",
	  ui_act_sort_key },
	{ 'N', NULL, NULL, ui_act_sort_key },
	{ 'C', NULL, NULL, ui_act_sort_key },
	{ 'r', "r", "reverse the sort order", ui_act_reverse },
	{ 'T', "T U D I S O", "TCP, UDP, DCCP, ICMP, SCTP, other protocols "
	  "on/off", ui_act_proto },
	{ 'U', NULL, NULL, ui_act_proto },
	{ 'D', NULL, NULL, ui_act_proto },
	{ 'I', NULL, NULL, ui_act_proto },
	{ 'S', NULL, NULL, ui_act_proto },
	{ 'O', NULL, NULL, ui_act_proto },
	{ '4', "4  6", "IPv4, IPv6 on/off", ui_act_proto },
	{ '6', NULL, NULL, ui_act_proto },
	{ 'a', "a", "only active flows (with a rate) on/off", ui_act_toggle },
	{ 'w', "w", "rates over the last interval, 10 s, 40 s",
	  ui_act_toggle },
	{ 's', "s", "source column on/off", ui_act_toggle },
	{ 'b', "b", "rates in bits/s or bytes/s", ui_act_toggle },
	{ 'l', "l", "loopback and DNS flows on/off (hidden at start)",
	  ui_act_toggle },
	{ 'p', "p  Space", "pause the screen (collection goes on)",
	  ui_act_pause },
	{ ' ', NULL, NULL, ui_act_pause },
	{ 'd', "d  Del  F9", "delete the selected conntrack entry (asks y/n)",
	  ui_act_delete },
	{ UI_FKEY(KEY_DC), NULL, NULL, ui_act_delete },
	{ UI_FKEY(KEY_F(9)), NULL, NULL, ui_act_delete },
	{ 'W', "W", "write the settings to the settings file", ui_act_write },
	{ UI_CTRL('l'), "^L", "redraw the screen", ui_act_redraw },
};

static const size_t ui_nactions = sizeof(ui_actions) / sizeof(ui_actions[0]);

/* For --help: the same key table as the help window. */
void ui_print_keys(FILE *f)
{
	for (size_t i = 0; i < ui_nactions; i++)
		if (ui_actions[i].keys)
			fprintf(f, "  %-16s %s\n", ui_actions[i].keys,
				ui_actions[i].help);
}

int ui_help_lines(struct ui *u, char (*ln)[UI_TEXT], int max)
{
	static const char *const notes[] = {
		"",
		"TX is the original direction (source to destination), RX the",
		"reply.  New flows are highlighted for an interval, closed ones",
		"dimmed.  NAT: [dnat A] is where a flow really goes, [snat A]",
		"what it leaves as.",
		"Filter examples:  proto udp and not port 53",
		"                  country DE or proc firefox",
	};
	int n = 0;
	size_t i;

	for (i = 0; i < ui_nactions && n < max; i++) {
		if (!ui_actions[i].keys)
			continue;
		ui_fmt(ln[n++], UI_TEXT, "%-12s %s", ui_actions[i].keys,
			 ui_actions[i].help);
	}
	for (i = 0; i < sizeof(notes) / sizeof(notes[0]) && n < max; i++)
		ui_fmt(ln[n++], UI_TEXT, "%s", notes[i]);
	if (n < max && u->ctx->config_path) {
		char t[UI_TEXT - 20];

		util_sanitize(t, sizeof(t), u->ctx->config_path);
		ui_fmt(ln[n++], UI_TEXT, "Settings file: %s", t);
	}
	return n;
}

unsigned ui_key(struct ui *u, int key)
{
	size_t i;

	switch (u->ov) {
	case OV_HELP:
	case OV_DETAILS:
		return ui_key_pager(u, key);
	case OV_SORT:
		return ui_key_sort(u, key);
	case OV_FILTER:
		return ui_key_filter(u, key);
	case OV_CONFIRM:
		return ui_key_confirm(u, key);
	case OV_NONE:
		break;
	}
	for (i = 0; i < ui_nactions; i++)
		if (ui_actions[i].key == key)
			return ui_actions[i].fn(u, key);
	if (key < UI_FKEY(0) && key > 0x20 && key < 0x7f) {
		ui_message(u, false, "key '%c' does nothing; ? lists the keys",
			   key);
		return UI_R_REDRAW;
	}
	return 0;
}
