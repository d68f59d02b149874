/* ui_header: the header (toggles, counts, kernel statistics) and the
 * status line (keys, hints, messages). */
#define NCURSES_WIDECHAR 1

#include <inttypes.h>

#include "collector.h"
#include "ui_impl.h"
#include "util.h"
#include "view.h"

/*
 * The header is one line.  Each part is shown from a level on and until
 * another: the lowest level whose parts fit the width is drawn, so the
 * less useful parts are shortened or left out first (a zero drop count,
 * the version, the protocols that are off, ...).  What still does not fit
 * at the last level is cut at the right edge.
 */
#define UI_HDR_MAX	40	/* parts of the header */
#define UI_HDR_LEVELS	10

struct ui_hdr {
	int n;
	struct {
		char text[UI_TEXT / 2];
		attr_t a;
		int gap;		/* blanks before it, unless first */
		int from, until;	/* shown at levels [from, until) */
	} part[UI_HDR_MAX];
};

/* The levels at which parts go (see struct ui_hdr), least useful first. */
enum {
	HL_ZERO_DROPS = 1,	/* "insert_failed 0 drop 0" */
	HL_VERSION,		/* "flowtop 0.1.0" -> "flowtop" */
	HL_PROTOS,		/* "TCP udp dccp ..." -> the ones on only */
	HL_SORT_GROUPS,		/* "sort busiest" */
	HL_CT_SHORT,		/* "ct 300/262144 (0%)" -> "ct 0%" */
	HL_NAME,		/* "flowtop" */
	HL_SORT_SHORT,		/* "sort rate desc" -> "rate desc" */
	HL_FLAGS,		/* bits, rates 10s, active, +lo/dns */
	HL_LAST,		/* the sort, the conntrack count */
	HL_NEVER = UI_HDR_LEVELS
};

static void ui_hdr_add(struct ui_hdr *h, const char *text, attr_t a,
		       int gap, int from, int until)
{
	if (h->n >= UI_HDR_MAX)
		return;
	ui_fmt(h->part[h->n].text, sizeof(h->part[h->n].text), "%s", text);
	h->part[h->n].a = a;
	h->part[h->n].gap = gap;
	h->part[h->n].from = from;
	h->part[h->n].until = until;
	h->n++;
}

static int ui_hdr_width(const struct ui_hdr *h, int level)
{
	int i, w = 0, first = 1;

	for (i = 0; i < h->n; i++) {
		if (level < h->part[i].from || level >= h->part[i].until)
			continue;
		w += (first ? 0 : h->part[i].gap) + ui_width(h->part[i].text);
		first = 0;
	}
	return w;
}

static void ui_hdr_draw(struct ui *u, const struct ui_hdr *h)
{
	int level, i, x = 0, w, first = 1;

	for (level = 0; level < UI_HDR_LEVELS - 1; level++)
		if (ui_hdr_width(h, level) <= u->cols)
			break;
	for (i = 0; i < h->n && x < u->cols; i++) {
		if (level < h->part[i].from || level >= h->part[i].until)
			continue;
		if (!first)
			x += h->part[i].gap;
		first = 0;
		w = ui_width(h->part[i].text);
		if (x + w > u->cols) {
			/* A long filter: what fits of it, if worth it. */
			if (u->cols - x >= 12)
				ui_put(u, 0, x, u->cols - x, h->part[i].text,
				       h->part[i].a, 0, false);
			return;
		}
		ui_text(u, 0, x, h->part[i].text, h->part[i].a);
		x += w;
	}
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

/* The kernel's table: how full, red from 90%. */
static void ui_hdr_ct(struct ui *u, struct ui_hdr *h)
{
	char buf[UI_TEXT];
	uint64_t pct = u->st.ct_max ? u->st.ct_count * 100 / u->st.ct_max : 0;
	attr_t a = u->attr[u->st.ct_max && u->st.ct_count * 10 >=
			   u->st.ct_max * 9 ? ST_ERROR : ST_NORMAL];

	if (!u->st.ct_max) {
		ui_fmt(buf, sizeof(buf), "ct %" PRIu64, u->st.ct_count);
		ui_hdr_add(h, buf, a, 2, 0, HL_LAST);
		return;
	}
	/* Full: the kernel drops the packets of new connections. */
	if (u->st.ct_count >= u->st.ct_max) {
		ui_fmt(buf, sizeof(buf), "ct %" PRIu64 "/%" PRIu64 " FULL",
		       u->st.ct_count, u->st.ct_max);
		ui_hdr_add(h, buf, a, 2, 0, HL_CT_SHORT);
		ui_hdr_add(h, "ct FULL", a, 2, HL_CT_SHORT, HL_NEVER);
		return;
	}
	ui_fmt(buf, sizeof(buf), "ct %" PRIu64 "/%" PRIu64 " (%" PRIu64
	       "%%)", u->st.ct_count, u->st.ct_max, pct);
	ui_hdr_add(h, buf, a, 2, 0, HL_CT_SHORT);
	ui_fmt(buf, sizeof(buf), "ct %" PRIu64 "%%", pct);
	ui_hdr_add(h, buf, a, 2, HL_CT_SHORT, HL_LAST);
}

/* Flows a flowtable forwards, and whether their counters count. */
static void ui_hdr_offload(struct ui *u, struct ui_hdr *h)
{
	char buf[UI_TEXT];
	const char *frozen = u->st.offload_frozen ? ", counters frozen" : "";
	attr_t a = u->attr[u->st.offload_frozen ? ST_ERROR : ST_NORMAL];

	if (!u->st.offloaded)
		return;
	if (u->st.offload_hw)
		ui_fmt(buf, sizeof(buf), "offload %" PRIu64 " (%" PRIu64
		       " hw)%s", u->st.offloaded, u->st.offload_hw, frozen);
	else
		ui_fmt(buf, sizeof(buf), "offload %" PRIu64 "%s",
		       u->st.offloaded, frozen);
	ui_hdr_add(h, buf, a, 2, 0, HL_CT_SHORT);
	ui_fmt(buf, sizeof(buf), "ofl %" PRIu64 "%s", u->st.offloaded,
	       u->st.offload_frozen ? " frozen" : "");
	ui_hdr_add(h, buf, a, 2, HL_CT_SHORT, HL_NEVER);
}

/* Which way each sort goes before 'r': biggest numbers first, names A-Z. */
static bool ui_sort_desc(enum view_sort s)
{
	return s == SORT_RATE || s == SORT_BYTES || s == SORT_PACKETS ||
	       s == SORT_DURATION;
}

static void ui_hdr_protos(struct ui *u, struct ui_hdr *h)
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
		{ "OTHER", "other", VIEW_OTHER },
	};
	char on[UI_TEXT] = "";
	size_t i, n = 0;
	bool b;

	ui_hdr_add(h, u->o->ipv4 ? "IPv4" : "ipv4",
		   u->attr[u->o->ipv4 ? ST_ON : ST_OFF], 2, 0, HL_PROTOS);
	ui_hdr_add(h, u->o->ipv6 ? "IPv6" : "ipv6",
		   u->attr[u->o->ipv6 ? ST_ON : ST_OFF], 1, 0, HL_PROTOS);
	if (u->o->ipv4)
		n += (size_t)snprintf(on + n, sizeof(on) - n, "IPv4 ");
	if (u->o->ipv6)
		n += (size_t)snprintf(on + n, sizeof(on) - n, "IPv6 ");
	if (!u->o->ipv4 && !u->o->ipv6)
		n += (size_t)snprintf(on + n, sizeof(on) - n, "no family ");
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		b = u->o->protos & protos[i].bit;
		ui_hdr_add(h, b ? protos[i].on : protos[i].off,
			   u->attr[b ? ST_ON : ST_OFF], i ? 1 : 2, 0,
			   HL_PROTOS);
		if (b && n < sizeof(on))
			n += (size_t)snprintf(on + n, sizeof(on) - n, "%s ",
					      protos[i].on);
	}
	/* Short: what is on, and what has nothing on. */
	if (!u->o->protos && n < sizeof(on))
		n += (size_t)snprintf(on + n, sizeof(on) - n, "no protocol ");
	if (n && n <= sizeof(on))
		on[n - 1] = '\0';
	ui_hdr_add(h, on, u->attr[ST_ON], 2, HL_PROTOS, HL_NEVER);
}

void ui_draw_header(struct ui *u)
{
	struct ui_hdr h = { 0 };
	char buf[UI_TEXT], t[UI_TEXT];
	const char *sort;
	bool desc, rising;

	ui_hdr_add(&h, "flowtop " FLOWTOP_VERSION, u->attr[ST_HEAD], 0, 0,
		   HL_VERSION);
	ui_hdr_add(&h, "flowtop", u->attr[ST_HEAD], 0, HL_VERSION, HL_NAME);
	if (u->paused)
		ui_hdr_add(&h, " PAUSED ", u->attr[ST_PAUSED], 2, 0, HL_NEVER);
	if (u->ctx->netns) {
		ui_fmt(buf, sizeof(buf), "netns %s",
			 util_sanitize(t, 64, u->ctx->netns));
		ui_hdr_add(&h, buf, u->attr[ST_HEAD], 2, 0, HL_NEVER);
	}
	ui_hdr_protos(u, &h);
	if (u->o->mode == VIEW_FLOWS)
		/* Open flows, as the kernel counts them: the closed
		 * ones drawn dimmed are not. */
		ui_fmt(buf, sizeof(buf), "Flows %zu/%zu",
		       u->total - u->closed_shown, u->flows_all);
	else
		ui_fmt(buf, sizeof(buf), "%s %zu (flows %zu)",
			 ui_mode_name(u), u->total, u->flows_all);
	ui_hdr_add(&h, buf, u->attr[ST_NORMAL], 2, 0, HL_NEVER);
	sort = view_sort_name(u->o->sort);
	desc = ui_sort_desc(u->o->sort) != u->o->reverse;
	if (u->o->mode != VIEW_FLOWS) {
		ui_hdr_add(&h, "sort busiest", u->attr[ST_NORMAL], 2, 0,
			   HL_SORT_GROUPS);
	} else if (u->o->sort == SORT_NONE) {
		ui_hdr_add(&h, "sort none", u->attr[ST_NORMAL], 2, 0,
			   HL_LAST);
	} else {
		ui_fmt(buf, sizeof(buf), "sort %s %s", sort ? sort : "?",
			 desc ? "desc" : "asc");
		ui_hdr_add(&h, buf, u->attr[ST_NORMAL], 2, 0, HL_SORT_SHORT);
		ui_hdr_add(&h, buf + 5, u->attr[ST_NORMAL], 2, HL_SORT_SHORT,
			   HL_LAST);
	}
	if (u->fgood[0] || (u->o->filter && u->o->filter == u->forig)) {
		util_sanitize(t, sizeof(t), u->fgood[0] ? u->fgood :
			      u->ctx->filter_text ? u->ctx->filter_text :
			      "(command line)");
		ui_fmt(buf, sizeof(buf), "filter: %s", t);
		ui_hdr_add(&h, buf, u->attr[ST_ON], 2, 0, HL_NEVER);
	}
	if (u->o->bits)
		ui_hdr_add(&h, "bits", u->attr[ST_NORMAL], 2, 0, HL_FLAGS);
	if (u->o->rate_window != VIEW_RATE_NOW) {
		ui_fmt(buf, sizeof(buf), "rates %s",
		       view_rate_window_name(u->o->rate_window));
		ui_hdr_add(&h, buf, u->attr[ST_ON], 2, 0, HL_FLAGS);
	}
	if (u->o->active_only)
		ui_hdr_add(&h, "active", u->attr[ST_ON], 2, 0, HL_FLAGS);
	if (u->o->show_hidden)
		ui_hdr_add(&h, "+lo/dns", u->attr[ST_ON], 2, 0, HL_FLAGS);
	ui_hdr_ct(u, &h);
	ui_hdr_offload(u, &h);
	rising = u->st.insert_failed > u->st_prev.insert_failed ||
		 u->st.drop > u->st_prev.drop;
	ui_fmt(buf, sizeof(buf), "insert_failed %" PRIu64 " drop %" PRIu64,
		 u->st.insert_failed, u->st.drop);
	/* Zeros say little; counts that grow are news. */
	ui_hdr_add(&h, buf, u->attr[rising ? ST_ERROR : ST_NORMAL], 2, 0,
		   rising ? HL_NEVER : u->st.insert_failed || u->st.drop ?
		   HL_LAST : HL_ZERO_DROPS);
	if (u->st.overruns) {
		ui_fmt(buf, sizeof(buf), "lost events %" PRIu64,
			 u->st.overruns);
		ui_hdr_add(&h, buf, u->attr[ST_ERROR], 2, 0, HL_NEVER);
	}
	ui_hdr_draw(u, &h);
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
	char t[UI_TEXT], lan[UI_TEXT], fds[UI_TEXT];

	if (u->msg[0] && util_now_mono() < u->msg_until) {
		ui_text(u, y, 0, u->msg, u->attr[u->msg_err ? ST_ERROR :
						ST_NORMAL]);
		return;
	}
	u->msg[0] = '\0';
	if (u->o->mode == VIEW_DEVICES)
		hint = ui_devices_hint(lan, sizeof(lan));
	/* Work not done for want of descriptors is never silent. */
	if (util_fd_short_text(fds, sizeof(fds)))
		hint = fds;
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
