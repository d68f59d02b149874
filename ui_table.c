/* ui_table: the table: columns measured over the lines shown, the least
 * important dropped when narrow, one line drawn at a time. */
#define NCURSES_WIDECHAR 1

#include <string.h>

#include "ui_impl.h"

void ui_table_begin(struct ui *u, const struct ui_col *defs, int n)
{
	memcpy(u->defs, defs, (size_t)n * sizeof(*defs));
	u->ncols = n;
}

static int ui_sep_width(const struct ui *u, int c)
{
	const char *sep = u->defs[c].sep;

	return sep ? (int)strlen(sep) : 1;
}

/*
 * Measure every column over the lines shown, hide the empty optional
 * ones, then drop the least important until the line fits the terminal.
 * The flexible columns at the end (addresses, names) count only their
 * minw: they may run off the right edge, Left/Right scroll them into view.
 */
void ui_table_fit(struct ui *u, int nlines, const bool *hide)
{
	const struct ui_col *d = u->defs;
	int c, l, w, need, drop, first;

	for (c = 0; c < u->ncols; c++) {
		u->colw[c] = 0;
		if (hide && hide[c])
			continue;
		for (l = 0; l < nlines; l++) {
			w = ui_width(ui_cell(u, l, c));
			if (w > u->colw[c])
				u->colw[c] = w;
		}
		/* Optional columns with nothing to say take no room. */
		if (!u->colw[c] && (d[c].prio || d[c].opt))
			continue;
		w = ui_width(d[c].title);
		if (w > u->colw[c])
			u->colw[c] = w;
		if (d[c].maxw && u->colw[c] > d[c].maxw)
			u->colw[c] = d[c].maxw;
	}
	for (;;) {
		need = 0;
		first = 1;
		for (c = 0; c < u->ncols; c++) {
			if (!u->colw[c])
				continue;
			if (!first)
				need += ui_sep_width(u, c);
			first = 0;
			w = u->colw[c];
			if (d[c].minw && w > d[c].minw)
				w = d[c].minw;
			need += w;
		}
		if (need <= u->cols)
			break;
		drop = -1;
		for (c = 0; c < u->ncols; c++)
			if (u->colw[c] && d[c].prio &&
			    (drop < 0 || d[c].prio < d[drop].prio))
				drop = c;
		if (drop < 0)
			break;
		/* Pairs (TX and RX) share a priority and go together. */
		for (c = 0; c < u->ncols; c++)
			if (d[c].prio == d[drop].prio)
				u->colw[c] = 0;
	}
	u->line_width = 0;
	first = 1;
	for (c = 0; c < u->ncols; c++) {
		if (!u->colw[c])
			continue;
		if (!first)
			u->line_width += ui_sep_width(u, c);
		first = 0;
		u->line_width += u->colw[c];
	}
	if (u->hscroll > u->line_width - u->cols)
		u->hscroll = u->line_width > u->cols ?
			     u->line_width - u->cols : 0;
	if (u->hscroll < 0)
		u->hscroll = 0;
}

/* One line of the table; title is true for the column titles. */
void ui_table_line(struct ui *u, int y, int line, bool title,
		   attr_t a)
{
	const struct ui_col *d = u->defs;
	int c, x = 0, first = 1;
	const char *sep;

	ui_fill(u, y, 0, u->cols, a);
	for (c = 0; c < u->ncols; c++) {
		if (!u->colw[c])
			continue;
		if (!first) {
			sep = d[c].sep ? d[c].sep : " ";
			ui_put(u, y, x, -1, sep, a, u->hscroll, false);
			x += (int)strlen(sep);
		}
		first = 0;
		ui_put(u, y, x, u->colw[c], title ? d[c].title :
		       ui_cell(u, line, c), a, u->hscroll, d[c].right);
		x += u->colw[c];
	}
}
