/* ui_fetch: reading the table through view.h: a window of entries
 * around the page, and the cursor kept on its entry across refreshes. */
#define NCURSES_WIDECHAR 1

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "flow_list.h"
#include "ui_impl.h"
#include "util.h"
#include "view.h"

static bool ui_grow(struct ui *u, size_t want)
{
	struct flow_row *r;
	struct view_group *g;
	struct view_device_info *d;

	if (want <= u->cap)
		return true;
	r = realloc(u->rows, want * sizeof(*r));
	if (!r)
		return false;
	u->rows = r;
	g = realloc(u->groups, want * sizeof(*g));
	if (!g)
		return false;
	u->groups = g;
	d = realloc(u->devs, want * sizeof(*d));
	if (!d)
		return false;
	u->devs = d;
	u->cap = want;
	return true;
}

enum view_group_kind ui_group_kind(const struct ui *u)
{
	if (u->o->mode == VIEW_PROCESSES)
		return GROUP_PROCESS;
	if (u->o->mode == VIEW_DEVICES)
		return GROUP_DEVICE;
	return u->prefs.remote_country ? GROUP_COUNTRY : GROUP_HOST;
}

static size_t ui_query(struct ui *u, size_t first, size_t max, size_t *n)
{
	*n = 0;
	u->closed_shown = 0;
	if (u->o->mode == VIEW_FLOWS)
		return view_flows(u->ctx->fl, u->o, first, max, u->rows, n,
				  &u->closed_shown);
	if (u->o->mode == VIEW_DEVICES)
		return view_devices(u->ctx->fl, u->o, first, max, u->groups,
				    u->devs, n);
	return view_groups(u->ctx->fl, u->o, ui_group_kind(u), first, max,
			   u->groups, n);
}

static void ui_group_key(const struct view_group *g, char *out, size_t len)
{
	ui_fmt(out, len, "%s\x1f%s\x1f%" PRId32, g->key, g->sub, g->pid);
}

static bool ui_is_cur(const struct ui *u, size_t i)
{
	char key[sizeof(u->cur_key)];

	if (u->o->mode == VIEW_FLOWS)
		return u->rows[i].handle == u->cur_handle &&
		       u->rows[i].rec.id == u->cur_id;
	ui_group_key(&u->groups[i], key, sizeof(key));
	return !strcmp(key, u->cur_key);
}

/* Remember which entry the cursor is on, to find it after a refresh. */
void ui_remember(struct ui *u)
{
	size_t i;

	u->have_cur = false;
	if (!u->total || u->cur < u->first || u->cur >= u->first + u->n)
		return;
	i = u->cur - u->first;
	if (u->o->mode == VIEW_FLOWS) {
		u->cur_handle = u->rows[i].handle;
		u->cur_id = u->rows[i].rec.id;
	} else {
		ui_group_key(&u->groups[i], u->cur_key, sizeof(u->cur_key));
	}
	u->have_cur = true;
}

/* Keep cur in the list and on screen, and no empty lines at the end. */
void ui_clamp(struct ui *u)
{
	size_t h = (size_t)ui_body_lines(u);

	if (!u->total) {
		u->cur = u->top = 0;
		return;
	}
	if (u->cur >= u->total)
		u->cur = u->total - 1;
	if (h && u->top + h > u->total)
		u->top = u->total > h ? u->total - h : 0;
	if (u->cur < u->top)
		u->top = u->cur;
	if (h && u->cur >= u->top + h)
		u->top = u->cur - h + 1;
}

bool ui_window_ok(const struct ui *u)
{
	size_t h = (size_t)ui_body_lines(u), end = u->top + h;

	if (end > u->total)
		end = u->total;
	return u->top >= u->first && end <= u->first + u->n;
}

/*
 * Read the entries around the visible page (one page more on each side,
 * so that the cursor is found again after small moves) and put the cursor
 * back on the flow it was on, on the same screen line.
 */
void ui_fetch(struct ui *u)
{
	size_t h = (size_t)ui_body_lines(u), first, i, line;

	u->fetch_mono = util_now_mono();
	u->fetch_real = util_now_real();
	u->st_prev = u->st;
	if (u->ctx->col) {
		collector_get_stats(u->ctx->col, &u->st);
		u->scans = collector_scans(u->ctx->col);
		ui_offload_news(u);
	}
	if (u->scans && !u->settled_mono && u->scans >= u->settle_scan)
		u->settled_mono = u->fetch_mono;
	/* Closed flows are still drawn, dimmed, but not counted: the
	 * header says how many the kernel has. */
	u->flows_all = flow_list_live(u->ctx->fl);
	u->changes = flow_list_changes(u->ctx->fl);
	if (!h)
		h = 1;
	if (!ui_grow(u, 3 * h)) {
		ui_message(u, true, "out of memory");
		u->n = 0;
		return;
	}
	/* Until the user moves the cursor it belongs at the top, and the
	 * top of the list is shown: the first sort comes before any rate
	 * is known, so the flow first on top is seldom the busiest. */
	if (!u->moved) {
		u->top = u->cur = 0;
		u->have_cur = false;
	}
	first = u->top > h ? u->top - h : 0;
	u->total = ui_query(u, first, 3 * h, &u->n);
	u->first = first;
	if (u->have_cur) {
		line = u->cur >= u->top ? u->cur - u->top : 0;
		for (i = 0; i < u->n; i++) {
			if (!ui_is_cur(u, i))
				continue;
			u->cur = u->first + i;
			u->top = u->cur >= line ? u->cur - line : 0;
			break;
		}
	}
	ui_clamp(u);
	if (!ui_window_ok(u)) {
		u->first = u->top;
		u->total = ui_query(u, u->top, h, &u->n);
		ui_clamp(u);
	}
	ui_remember(u);
	if (u->ov == OV_DETAILS && u->o->mode == VIEW_FLOWS) {
		for (i = 0; i < u->n; i++)
			if (u->rows[i].handle == u->detail.handle &&
			    u->rows[i].rec.id == u->detail.rec.id)
				u->detail = u->rows[i];
		ui_detail_get(u);
	}
}
