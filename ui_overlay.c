/* ui_overlay: boxes over the table (help, sort menu, confirm), the
 * filter prompt, and the keys while one of them is open. */
#define NCURSES_WIDECHAR 1

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include <curses.h>

#include "collector.h"
#include "filter.h"
#include "ui_impl.h"
#include "util.h"
#include "view.h"

struct ui_box {
	int y, x, h, w;
};

static struct ui_box ui_box_draw(struct ui *u, int want_h, int want_w,
				 const char *title)
{
	struct ui_box b;
	attr_t a = u->attr[ST_BOX];
	int i;

	b.h = want_h + 2 > u->lines ? u->lines : want_h + 2;
	b.w = want_w + 4 > u->cols ? u->cols : want_w + 4;
	b.y = (u->lines - b.h) / 2;
	b.x = (u->cols - b.w) / 2;
	for (i = 0; i < b.h; i++)
		ui_fill(u, b.y + i, b.x, b.w, a);
	attrset(a);
	mvaddch(b.y, b.x, ACS_ULCORNER);
	mvhline(b.y, b.x + 1, ACS_HLINE, b.w - 2);
	mvaddch(b.y, b.x + b.w - 1, ACS_URCORNER);
	mvvline(b.y + 1, b.x, ACS_VLINE, b.h - 2);
	mvvline(b.y + 1, b.x + b.w - 1, ACS_VLINE, b.h - 2);
	mvaddch(b.y + b.h - 1, b.x, ACS_LLCORNER);
	mvhline(b.y + b.h - 1, b.x + 1, ACS_HLINE, b.w - 2);
	mvaddch(b.y + b.h - 1, b.x + b.w - 1, ACS_LRCORNER);
	attrset(A_NORMAL);
	if (title) {
		char t[UI_TEXT];

		ui_fmt(t, sizeof(t), " %s ", title);
		ui_put(u, b.y, b.x + 2, b.w - 4, t, a | A_BOLD, 0, false);
	}
	return b;
}

/* Lines of text in a box, from line u->ov_scroll on. */
void ui_pager_draw(struct ui *u, char (*text)[UI_TEXT], int n,
		   const char *title, const char *foot)
{
	struct ui_box b;
	int i, w = 0, rows;

	for (i = 0; i < n; i++)
		if (ui_width(text[i]) > w)
			w = ui_width(text[i]);
	if (foot && ui_width(foot) > w)
		w = ui_width(foot);
	b = ui_box_draw(u, n, w, title);
	rows = b.h - 2;
	if (rows <= 0)
		return;
	if (u->ov_scroll > n - rows)
		u->ov_scroll = n - rows;
	if (u->ov_scroll < 0)
		u->ov_scroll = 0;
	for (i = 0; i < rows && u->ov_scroll + i < n; i++)
		ui_put(u, b.y + 1 + i, b.x + 2, b.w - 4,
		       text[u->ov_scroll + i], u->attr[ST_BOX], 0, false);
	if (foot)
		ui_put(u, b.y + b.h - 1, b.x + 2, b.w - 4, foot,
		       u->attr[ST_BOX], 0, false);
}

void ui_draw_help(struct ui *u)
{
	static char ln[80][UI_TEXT];
	int n = ui_help_lines(u, ln, 80);

	ui_pager_draw(u, ln, n, "flowtop " FLOWTOP_VERSION " keys",
		      " Up/Down scroll, any other key closes ");
}

void ui_draw_sort(struct ui *u)
{
	struct ui_box b;
	char t[64];
	int i, rows;

	b = ui_box_draw(u, SORT__COUNT, 26, "Sort by");
	rows = b.h - 2;
	for (i = 0; i < SORT__COUNT && i < rows; i++) {
		const char *name = view_sort_name((enum view_sort)i);

		ui_fmt(t, sizeof(t), "%c %c %s", i == u->sort_sel ? '>' : ' ',
		       i == (int)u->o->sort ? '*' : ' ', name ? name : "?");
		if (i == u->sort_sel)
			ui_fill(u, b.y + 1 + i, b.x + 1, b.w - 2,
				u->attr[ST_CURSOR]);
		ui_put(u, b.y + 1 + i, b.x + 2, b.w - 4, t,
		       i == u->sort_sel ? u->attr[ST_CURSOR] :
		       u->attr[ST_BOX], 0, false);
	}
	ui_put(u, b.y + b.h - 1, b.x + 2, b.w - 4, " Enter picks, Esc: no ",
	       u->attr[ST_BOX], 0, false);
}

void ui_draw_confirm(struct ui *u)
{
	char t[UI_TEXT], a[UI_CELL], b[UI_CELL], p[32];
	const struct flow_rec *c = &u->detail.rec;
	struct ui_box bx;

	ui_proto_label(c, p, sizeof(p));
	ui_endpoint(u, c->family, c->l4proto, &c->orig.src, c->orig.sport,
		    false, false, a, sizeof(a));
	ui_endpoint(u, c->family, c->l4proto, &c->orig.dst, c->orig.dport,
		    false, false, b, sizeof(b));
	ui_fmt(t, sizeof(t), "%s %s -> %s (id %" PRIu32 ")", p, a, b,
		 c->id);
	bx = ui_box_draw(u, 3, ui_width(t) > 40 ? ui_width(t) : 40,
			 "Delete conntrack entry?");
	ui_put(u, bx.y + 1, bx.x + 2, bx.w - 4, t, u->attr[ST_BOX], 0, false);
	ui_put(u, bx.y + 3, bx.x + 2, bx.w - 4,
	       "y: delete it    any other key: keep it", u->attr[ST_BOX] |
	       A_BOLD, 0, false);
}

void ui_draw_prompt(struct ui *u)
{
	static const char label[] = "Filter: ";
	int y = u->lines - 2, lw = (int)strlen(label), tw, hs, cx;
	char pre[sizeof(u->ftext)], t[UI_TEXT];

	if (y < UI_TOP)
		y = u->lines - 1;
	ui_fill(u, y, 0, u->cols, u->attr[ST_NORMAL]);
	ui_fill(u, y + 1, 0, u->cols, u->attr[ST_NORMAL]);
	tw = ui_width(u->ftext);
	/* Keep the end of a long filter, where one types, in view; the
	 * label stays on top of its scrolled-off start. */
	hs = lw + tw + 1 > u->cols ? lw + tw + 1 - u->cols : 0;
	ui_put(u, y, lw, tw, u->ftext, u->attr[ST_NORMAL], hs, false);
	ui_text(u, y, 0, label, u->attr[ST_KEY]);
	if (u->ferr_on) {
		size_t pos = u->ferr_pos < strlen(u->ftext) ? u->ferr_pos :
			     strlen(u->ftext);

		memcpy(pre, u->ftext, pos);
		pre[pos] = '\0';
		cx = lw + ui_width(pre) - hs;
		if (cx < 0)
			cx = 0;
		ui_fmt(t, sizeof(t), "^ %s", u->ferr);
		/* Right of the caret if it fits, else the caret alone. */
		if (cx + ui_width(t) > u->cols && cx > ui_width(u->ferr) + 1) {
			ui_text(u, y + 1, cx - ui_width(u->ferr) - 1, u->ferr,
				u->attr[ST_ERROR]);
			ui_text(u, y + 1, cx, "^", u->attr[ST_ERROR]);
		} else {
			ui_text(u, y + 1, cx, t, u->attr[ST_ERROR]);
		}
	} else if (y + 1 < u->lines) {
		ui_fmt(t, sizeof(t), "%zu %s match.  Enter keeps the "
			 "filter, Esc clears it.", u->total,
			 u->o->mode == VIEW_FLOWS ? "flows" : "entries");
		ui_text(u, y + 1, 0, t, u->attr[ST_NORMAL]);
	}
	cx = lw + tw - hs;
	move(y, cx < u->cols ? cx : u->cols - 1);
}

/* ---- the filter ---- */

/* Put f (compiled from text, may be NULL) in effect. */
static void ui_filter_set(struct ui *u, struct filter *f, const char *text)
{
	if (f && !text[0]) {
		/* Matching everything is cheaper with no filter at all. */
		filter_free(f);
		f = NULL;
	}
	u->o->filter = f;
	if (u->fown)
		filter_free(u->fown);
	u->fown = f;
	ui_fmt(u->fgood, sizeof(u->fgood), "%s", f ? text : "");
}

void ui_filter_compile(struct ui *u)
{
	struct filter *f = NULL;
	char err[sizeof(u->ferr)];
	size_t pos = 0;

	err[0] = '\0';
	if (filter_parse(u->ftext, &f, err, sizeof(err), &pos)) {
		u->ferr_on = true;
		util_sanitize(u->ferr, sizeof(u->ferr), err[0] ? err :
			      "malformed filter");
		u->ferr_pos = pos;
		return;
	}
	u->ferr_on = false;
	ui_filter_set(u, f, u->ftext);
}

void ui_filter_clear(struct ui *u)
{
	ui_filter_set(u, NULL, "");
	u->ftext[0] = '\0';
	u->ferr_on = false;
}

/* Back over one UTF-8 character. */
static void ui_backspace(char *s)
{
	size_t n = strlen(s);

	while (n && ((unsigned char)s[n - 1] & 0xc0) == 0x80)
		n--;
	if (n)
		n--;
	s[n] = '\0';
}

unsigned ui_key_filter(struct ui *u, int key)
{
	size_t n = strlen(u->ftext);
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t l;

	switch (key) {
	case UI_ESC:
		ui_filter_clear(u);
		u->ov = OV_NONE;
		return UI_R_REFETCH;
	case '\n':
	case '\r':
	case UI_FKEY(KEY_ENTER):
		u->ov = OV_NONE;
		if (u->ferr_on) {
			ui_message(u, true, "filter not valid, kept: %s",
				   u->fgood[0] ? u->fgood : "(none)");
			ui_fmt(u->ftext, sizeof(u->ftext), "%s", u->fgood);
			u->ferr_on = false;
		}
		return UI_R_REDRAW;
	case UI_FKEY(KEY_BACKSPACE):
	case 127:
	case 8:
		ui_backspace(u->ftext);
		break;
	case UI_CTRL('u'):
		u->ftext[0] = '\0';
		break;
	case UI_CTRL('w'):
		while (n && u->ftext[n - 1] == ' ')
			n--;
		while (n && u->ftext[n - 1] != ' ')
			n--;
		u->ftext[n] = '\0';
		break;
	default:
		if (key >= UI_FKEY(0) || key < 0x20 || !iswprint((wint_t)key))
			return 0;
		memset(&st, 0, sizeof(st));
		l = wcrtomb(mb, (wchar_t)key, &st);
		if (l == (size_t)-1 || n + l >= sizeof(u->ftext))
			return 0;
		memcpy(u->ftext + n, mb, l);
		u->ftext[n + l] = '\0';
		break;
	}
	ui_filter_compile(u);
	return UI_R_REFETCH;
}

/* ---- keys inside the overlays ---- */

unsigned ui_key_pager(struct ui *u, int key)
{
	int page = u->lines > 4 ? u->lines - 4 : 1;

	switch (key) {
	case UI_FKEY(KEY_UP):
	case 'k':
		u->ov_scroll--;
		break;
	case UI_FKEY(KEY_DOWN):
	case 'j':
		u->ov_scroll++;
		break;
	case UI_FKEY(KEY_PPAGE):
		u->ov_scroll -= page;
		break;
	case UI_FKEY(KEY_NPAGE):
		u->ov_scroll += page;
		break;
	case UI_FKEY(KEY_HOME):
		u->ov_scroll = 0;
		break;
	case UI_FKEY(KEY_END):
		u->ov_scroll = 1 << 20;
		break;
	default:
		u->ov = OV_NONE;
		break;
	}
	return UI_R_REDRAW;
}

unsigned ui_key_sort(struct ui *u, int key)
{
	switch (key) {
	case UI_FKEY(KEY_UP):
	case 'k':
		if (u->sort_sel > 0)
			u->sort_sel--;
		return UI_R_REDRAW;
	case UI_FKEY(KEY_DOWN):
	case 'j':
		if (u->sort_sel < SORT__COUNT - 1)
			u->sort_sel++;
		return UI_R_REDRAW;
	case UI_FKEY(KEY_HOME):
		u->sort_sel = 0;
		return UI_R_REDRAW;
	case UI_FKEY(KEY_END):
		u->sort_sel = SORT__COUNT - 1;
		return UI_R_REDRAW;
	case '\n':
	case '\r':
	case UI_FKEY(KEY_ENTER):
		u->ov = OV_NONE;
		ui_set_sort(u, (enum view_sort)u->sort_sel, false);
		return UI_R_REFETCH;
	case 'r':
		u->o->reverse = !u->o->reverse;
		return UI_R_REFETCH;
	default:
		u->ov = OV_NONE;
		return UI_R_REDRAW;
	}
}

unsigned ui_key_confirm(struct ui *u, int key)
{
	int err;

	u->ov = OV_NONE;
	if (key != 'y' && key != 'Y') {
		ui_message(u, false, "not deleted");
		return UI_R_REDRAW;
	}
	err = collector_delete(u->ctx->col, &u->detail.rec);
	if (err == -ENOENT)
		ui_message(u, false, "conntrack entry %" PRIu32
			   " was already gone", u->detail.rec.id);
	else if (err)
		ui_message(u, true, "delete of conntrack entry %" PRIu32
			   " failed: %s", u->detail.rec.id, strerror(-err));
	else
		ui_message(u, false, "conntrack entry %" PRIu32 " deleted",
			   u->detail.rec.id);
	collector_kick(u->ctx->col);
	return UI_R_REFETCH;
}
