/* ui_text: text on the screen: decoding, measuring, drawing it clipped
 * and inert, formatting it cut to fit; the status message. */
#define NCURSES_WIDECHAR 1

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <curses.h>

#include "ui_impl.h"
#include "util.h"

/* Decode s for drawing: what the locale cannot decode or print becomes
 * '?'.  Returns the number of characters; their widths go to wv. */
static size_t ui_widen(const char *s, wchar_t *out, int *wv, size_t max)
{
	mbstate_t st;
	size_t n = 0, len = strlen(s), r;
	wchar_t wc;
	int w;

	memset(&st, 0, sizeof(st));
	while (len && n < max) {
		r = mbrtowc(&wc, s, len, &st);
		if (r == 0)
			break;
		if (r == (size_t)-1 || r == (size_t)-2) {
			memset(&st, 0, sizeof(st));
			wc = L'?';
			r = 1;
		}
		w = wcwidth(wc);
		/* Format and bidi controls have no width but can reorder or
		 * hide what follows on some terminals: draw them visibly. */
		if (w < 0 || (w == 0 && (n == 0 ||
					 util_cp_hidden((uint32_t)wc)))) {
			wc = L'?';
			w = 1;
		}
		out[n] = wc;
		wv[n] = w;
		n++;
		s += r;
		len -= r;
	}
	return n;
}

int ui_width(const char *s)
{
	wchar_t wcs[UI_WIDE];
	int wv[UI_WIDE], w = 0;
	size_t n = ui_widen(s, wcs, wv, UI_WIDE), i;

	for (i = 0; i < n; i++)
		w += wv[i];
	return w;
}

/*
 * Draw s into the virtual columns [vx, vx + w) of screen line y (w < 0:
 * as wide as s), right aligned if asked.  The screen shows the virtual
 * columns [hs, hs + cols); what falls outside is cut, never wrapped.
 */
void ui_put(struct ui *u, int y, int vx, int w, const char *s,
	    attr_t a, int hs, bool right)
{
	wchar_t wcs[UI_WIDE], out[UI_WIDE];
	int wv[UI_WIDE], tw = 0, x, sx = -1;
	size_t n, i, no = 0;

	if (y < 0 || y >= u->lines)
		return;
	n = ui_widen(s, wcs, wv, UI_WIDE);
	for (i = 0; i < n; i++)
		tw += wv[i];
	if (w < 0)
		w = tw;
	x = (right && tw < w) ? vx + w - tw : vx;
	for (i = 0; i < n; i++) {
		if (x + wv[i] > vx + w)
			break;
		if (x >= hs && x + wv[i] <= hs + u->cols) {
			if (wv[i] == 0 && !no) {
				x += wv[i];
				continue;
			}
			if (sx < 0)
				sx = x - hs;
			out[no++] = wcs[i];
		}
		x += wv[i];
	}
	if (!no)
		return;
	attrset(a);
	mvaddnwstr(y, sx, out, (int)no);
	attrset(A_NORMAL);
}

/* Text at screen column x, clipped to the screen. */
void ui_text(struct ui *u, int y, int x, const char *s, attr_t a)
{
	ui_put(u, y, x, -1, s, a, 0, false);
}

void ui_fill(struct ui *u, int y, int x, int w, attr_t a)
{
	if (y < 0 || y >= u->lines || x >= u->cols || w <= 0)
		return;
	if (x + w > u->cols)
		w = u->cols - x;
	attrset(a);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

/* snprintf for screen text: cut to fit, never in the middle of a UTF-8
 * character.  Returns buf. */
char *ui_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	int r;

	if (!len)
		return buf;
	va_start(ap, fmt);
	r = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (r < 0) {
		buf[0] = '\0';
	} else if ((size_t)r >= len) {
		n = len - 1;
		/* Back to the start of the last character, drop it if cut. */
		while (n && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
			n--;
		if (n && (unsigned char)buf[n - 1] >= 0xc0)
			buf[n - 1] = '\0';
		else
			buf[len - 1] = '\0';
	}
	return buf;
}

void ui_message(struct ui *u, bool err, const char *fmt, ...)
{
	char raw[UI_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	util_sanitize(u->msg, sizeof(u->msg), raw);
	u->msg_err = err;
	u->msg_until = util_now_mono() + UI_MSG_NS;
}
