/* ui_header: the header (toggles, counts, kernel statistics) and the
 * status line (keys, hints, messages). */
#define NCURSES_WIDECHAR 1

#include <inttypes.h>

#include "collector.h"
#include "ui_impl.h"
#include "util.h"
#include "view.h"

struct ui_flowpos {
	int y, x, ymax;
};

/* Add a segment to the header, wrapping to its next line when full; on
 * the last line what does not fit is cut (or left out when tiny). */
static void ui_seg(struct ui *u, struct ui_flowpos *p, const char *s,
		   attr_t a, int gap)
{
	int w = ui_width(s), room;

	if (p->y > p->ymax)
		return;
	if (p->x && p->x + gap + w > u->cols && p->y < p->ymax) {
		p->y++;
		p->x = 0;
	}
	if (p->x)
		p->x += gap;
	room = u->cols - p->x;
	if (w > room) {
		if (room >= 12)
			ui_put(u, p->y, p->x, room, s, a, 0, false);
		p->y++;
		return;
	}
	ui_text(u, p->y, p->x, s, a);
	p->x += w;
}

const char *ui_mode_name(const struct ui *u)
{
	if (u->o->mode == VIEW_PROCESSES)
		return "Processes";
	if (u->o->mode == VIEW_REMOTE)
		return u->prefs.remote_country ? "Remote countries" :
		       "Remote hosts";
	if (u->o->mode == VIEW_DEVICES)
		return "Devices";
	return "Flows";
}

/* Which way each sort goes before 'r': biggest numbers first, names A-Z. */
static bool ui_sort_desc(enum view_sort s)
{
	return s == SORT_RATE || s == SORT_BYTES || s == SORT_PACKETS ||
	       s == SORT_DURATION;
}

void ui_draw_header(struct ui *u)
{
	static const struct {
		const char *on, *off;
		unsigned bit;
	} protos[] = {
		{ "TCP", "tcp", VIEW_TCP },
		{ "UDP", "udp", VIEW_UDP },
		{ "DCCP", "dccp", VIEW_DCCP },
		{ "ICMP", "icmp", VIEW_ICMP },
		{ "SCTP", "sctp", VIEW_SCTP },
	};
	struct ui_flowpos p = { 0, 0, UI_HEAD - 1 };
	char buf[UI_TEXT], t[UI_TEXT];
	const char *sort;
	size_t i;
	bool desc;

	ui_seg(u, &p, "flowtop " FLOWTOP_VERSION, u->attr[ST_HEAD], 0);
	if (u->paused)
		ui_seg(u, &p, " PAUSED ", u->attr[ST_PAUSED], 2);
	if (u->ctx->netns) {
		ui_fmt(buf, sizeof(buf), "netns %s",
			 util_sanitize(t, 64, u->ctx->netns));
		ui_seg(u, &p, buf, u->attr[ST_HEAD], 2);
	}
	ui_seg(u, &p, u->o->ipv4 ? "IPv4" : "ipv4",
	       u->attr[u->o->ipv4 ? ST_ON : ST_OFF], 2);
	ui_seg(u, &p, u->o->ipv6 ? "IPv6" : "ipv6",
	       u->attr[u->o->ipv6 ? ST_ON : ST_OFF], 1);
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		bool on = u->o->protos & protos[i].bit;

		ui_seg(u, &p, on ? protos[i].on : protos[i].off,
		       u->attr[on ? ST_ON : ST_OFF], i ? 1 : 2);
	}
	if (u->o->mode == VIEW_FLOWS)
		ui_fmt(buf, sizeof(buf), "Flows %zu/%zu", u->total,
			 u->flows_all);
	else
		ui_fmt(buf, sizeof(buf), "%s %zu (flows %zu)",
			 ui_mode_name(u), u->total, u->flows_all);
	ui_seg(u, &p, buf, u->attr[ST_NORMAL], 2);
	sort = view_sort_name(u->o->sort);
	desc = ui_sort_desc(u->o->sort) != u->o->reverse;
	if (u->o->mode != VIEW_FLOWS)
		ui_fmt(buf, sizeof(buf), "sort busiest");
	else if (u->o->sort == SORT_NONE)
		ui_fmt(buf, sizeof(buf), "sort %s", sort ? sort : "none");
	else
		ui_fmt(buf, sizeof(buf), "sort %s %s", sort ? sort : "?",
			 desc ? "desc" : "asc");
	ui_seg(u, &p, buf, u->attr[ST_NORMAL], 2);
	if (u->fgood[0] || (u->o->filter && u->o->filter == u->forig)) {
		util_sanitize(t, sizeof(t), u->fgood[0] ? u->fgood :
			      u->ctx->filter_text ? u->ctx->filter_text :
			      "(command line)");
		ui_fmt(buf, sizeof(buf), "filter: %s", t);
		ui_seg(u, &p, buf, u->attr[ST_ON], 2);
	}
	if (u->o->bits)
		ui_seg(u, &p, "bits", u->attr[ST_NORMAL], 2);
	if (u->o->rate_window != VIEW_RATE_NOW) {
		ui_fmt(buf, sizeof(buf), "rates %s",
		       view_rate_window_name(u->o->rate_window));
		ui_seg(u, &p, buf, u->attr[ST_ON], 2);
	}
	if (u->o->active_only)
		ui_seg(u, &p, "active", u->attr[ST_ON], 2);
	if (u->o->show_hidden)
		ui_seg(u, &p, "+lo/dns", u->attr[ST_ON], 2);
	if (u->st.ct_max)
		ui_fmt(buf, sizeof(buf), "ct %" PRIu64 "/%" PRIu64
			 " (%" PRIu64 "%%)", u->st.ct_count, u->st.ct_max,
			 u->st.ct_count * 100 / u->st.ct_max);
	else
		ui_fmt(buf, sizeof(buf), "ct %" PRIu64, u->st.ct_count);
	ui_seg(u, &p, buf, u->attr[u->st.ct_max && u->st.ct_count * 10 >=
				   u->st.ct_max * 9 ? ST_ERROR : ST_NORMAL], 2);
	ui_fmt(buf, sizeof(buf), "insert_failed %" PRIu64 " drop %" PRIu64,
		 u->st.insert_failed, u->st.drop);
	ui_seg(u, &p, buf, u->attr[u->st.insert_failed >
				   u->st_prev.insert_failed ||
				   u->st.drop > u->st_prev.drop ?
				   ST_ERROR : ST_NORMAL], 2);
	if (u->st.overruns) {
		ui_fmt(buf, sizeof(buf), "lost events %" PRIu64,
			 u->st.overruns);
		ui_seg(u, &p, buf, u->attr[ST_ERROR], 2);
	}
}

void ui_draw_status(struct ui *u)
{
	static const char *const keys[][2] = {
		{ "?", "help" }, { "q", "quit" }, { "/", "filter" },
		{ "TAB", "view" }, { "F6", "sort" }, { "Enter", "details" },
		{ "p", "pause" }, { "d", "delete" }, { "s", "source" },
		{ "b", "bits" },
	};
	int y = u->lines - 1, x = 0, w;
	size_t i, nkeys = sizeof(keys) / sizeof(keys[0]);
	const char *hint = u->o->no_geoip ? NULL : u->ctx->geo_hint;
	char t[UI_TEXT], lan[UI_TEXT];

	if (u->msg[0] && util_now_mono() < u->msg_until) {
		ui_text(u, y, 0, u->msg, u->attr[u->msg_err ? ST_ERROR :
						ST_NORMAL]);
		return;
	}
	u->msg[0] = '\0';
	if (u->o->mode == VIEW_DEVICES)
		hint = ui_devices_hint(lan, sizeof(lan));
	if (hint && *hint)
		nkeys = 2;	/* room for the hint */
	for (i = 0; i < nkeys; i++) {
		w = ui_width(keys[i][0]) + ui_width(keys[i][1]) + 2;
		if (x + w > u->cols)
			break;
		ui_text(u, y, x, keys[i][0], u->attr[ST_KEY]);
		ui_text(u, y, x + ui_width(keys[i][0]) + 1, keys[i][1],
			u->attr[ST_NORMAL]);
		x += w;
	}
	if (hint && *hint)
		ui_text(u, y, x + 1, util_sanitize(t, sizeof(t), hint),
			u->attr[ST_NORMAL]);
}
