/*
 * ui_impl.h: what the ui*.c files share, included by them only: the
 * screen's state, its layout constants and the helpers one file offers
 * the others, under a heading per file (a map of the screen code).
 */
#ifndef FLOWTOP_UI_IMPL_H
#define FLOWTOP_UI_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include "collector.h"
#include "filter.h"
#include "flow_types.h"
#include "geoip.h"
#include "ui.h"
#include "ui_config.h"
#include "view.h"

#ifndef NCURSES_WIDECHAR
#error "ui*.c define NCURSES_WIDECHAR 1 first: the screen is wide"
#endif

#ifndef FLOWTOP_VERSION
#define FLOWTOP_VERSION "unknown"
#endif

#define UI_CELL		256	/* bytes of one table cell */
#define UI_TEXT		512	/* bytes of one line of text */
#define UI_WIDE		1024	/* wide characters drawn at once */
#define UI_MAXCOLS	16
#define UI_HEAD		1	/* header lines above the column titles */
#define UI_TOP		(UI_HEAD + 1)	/* first line of the table body */
#define UI_HSTEP	8	/* columns per Left/Right */
#define UI_POLL_MS	50	/* longest wait before *quit and a new dump
				 * are looked at */
#define UI_NS		((uint64_t)1000000000)
#define UI_MSG_NS	(5 * UI_NS)
#define UI_CHANGE_NS	UI_NS	/* new and closed flows show this soon */

/* Keys: characters as themselves, curses function keys moved above
 * Unicode so that they cannot clash with a typed character. */
#define UI_FKEY(k)	(0x1000000 | (k))
#define UI_CTRL(c)	((c) & 0x1f)
#define UI_ESC		27

/* What a key asks for (htop's Action.c reaction flags). */
#define UI_R_REFETCH	0x1u	/* what is shown changed: read the table */
#define UI_R_REDRAW	0x2u	/* draw again from the rows we have */
#define UI_R_CLEAR	0x4u	/* repaint the whole terminal */
#define UI_R_QUIT	0x8u

enum ui_style {
	ST_NORMAL,
	ST_HEAD,
	ST_TITLE,
	ST_CURSOR,
	ST_NEW,
	ST_CLOSED,
	ST_ON,
	ST_OFF,
	ST_PAUSED,
	ST_ERROR,
	ST_KEY,
	ST_BOX,
	ST__COUNT
};

enum ui_overlay {
	OV_NONE,
	OV_HELP,
	OV_SORT,
	OV_FILTER,
	OV_DETAILS,
	OV_CONFIRM,
};

struct ui_col {
	const char *title;
	int prio;		/* dropped lowest first when narrow; 0 never */
	bool right;		/* numbers are right aligned */
	int maxw;		/* cap of the measured width, 0 none */
	int minw;		/* flexible: may run off the right edge,
				 * counts this much when fitting (0: rigid) */
	const char *sep;	/* drawn before the column, NULL: " " */
	bool opt;		/* hidden when empty (as are all with a prio) */
};

struct ui {
	struct ui_ctx *ctx;
	struct view_opts *o;
	uint64_t interval_ns;
	attr_t attr[ST__COUNT];
	int lines, cols;

	/* A window of the sorted list: entries [first, first + n). */
	struct flow_row *rows;
	struct view_group *groups;
	struct view_device_info *devs;	/* the Devices view's details */
	size_t cap;
	size_t first, n;
	size_t total;		/* entries of the current view in all */
	size_t flows_all;	/* open flows in the table */
	size_t closed_shown;	/* of total, closed flows (drawn dimmed) */
	uint64_t changes;	/* flow_list_changes() when read */
	size_t top, cur;	/* first line shown, cursor (absolute) */
	bool moved;		/* the user moved the cursor off the top */
	bool have_cur;		/* cur_handle/cur_key name the cursor entry */
	const void *cur_handle;
	uint32_t cur_id;	/* with the handle: a reused address is not
				 * the same flow */
	char cur_key[160];
	int hscroll, line_width;
	bool paused;
	struct ui_prefs prefs;
	uint64_t fetch_mono, fetch_real;	/* when the window was read */
	uint64_t settled_mono;	/* first read after the first full dump */
	uint64_t settle_scan;	/* ... or after this scan (a protocol
				 * shown again: its flows are not new) */
	struct collector_stats st, st_prev;
	uint64_t scans;

	/* The table being drawn: cells[line][column]. */
	struct ui_col defs[UI_MAXCOLS];
	int ncols;
	int colw[UI_MAXCOLS];	/* 0: hidden */
	char *cells;
	int cell_lines;

	enum ui_overlay ov;
	int ov_scroll;
	int sort_sel;
	struct flow_row detail;
	bool detail_gone;	/* the kernel no longer has it */

	/* The '/' filter: text being typed, text in effect, its error. */
	char ftext[256], fgood[256], ferr[160];
	size_t ferr_pos;
	bool ferr_on;
	struct filter *fown;
	const struct filter *forig;
	const struct filter_ctx *fctx_orig;
	struct filter_ctx fctx;

	char msg[UI_TEXT];
	bool said_frozen;	/* the frozen counters were told */
	bool msg_err;
	uint64_t msg_until;
};

/* Used per cell while drawing: inline, as when ui.c was one file. */
static inline char *ui_cell(struct ui *u, int line, int col)
{
	return u->cells + ((size_t)line * UI_MAXCOLS + (size_t)col) * UI_CELL;
}

static inline int ui_body_lines(const struct ui *u)
{
	int h = u->lines - UI_TOP - 1;

	return h > 0 ? h : 0;
}

/* ui_text.c */
int ui_width(const char *s);
void ui_put(struct ui *u, int y, int vx, int w, const char *s,
	    attr_t a, int hs, bool right);
void ui_text(struct ui *u, int y, int x, const char *s, attr_t a);
void ui_fill(struct ui *u, int y, int x, int w, attr_t a);
char *ui_fmt(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ui_message(struct ui *u, bool err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ui_fields.c */
void ui_host(struct ui *u, int family, const union flow_addr *a,
	     bool names, char *out, size_t len);
void ui_endpoint(struct ui *u, int family, uint8_t proto,
		 const union flow_addr *a, uint16_t port, bool names,
		 bool service, char *out, size_t len);
bool ui_dnat(const struct flow_rec *r);
bool ui_snat(const struct flow_rec *r);
void ui_nat_note(struct ui *u, const struct flow_rec *r, bool dst,
		 char *out, size_t len);
void ui_proto_label(const struct flow_rec *r, char *out, size_t len);
uint64_t ui_age(const struct ui *u, const struct flow_row *r);
void ui_fmt_age(const struct ui *u, const struct flow_row *r, char *out,
		size_t len);
void ui_geo_text(const struct geo_info *g, char *out, size_t len);
void ui_as_text(const struct geo_info *g, char *out, size_t len);

/* ui_table.c */
void ui_table_begin(struct ui *u, const struct ui_col *defs, int n);
void ui_table_fit(struct ui *u, int nlines, const bool *hide);
void ui_table_line(struct ui *u, int y, int line, bool title,
		   attr_t a);

/* ui_fetch.c */
enum view_group_kind ui_group_kind(const struct ui *u);
void ui_remember(struct ui *u);
void ui_clamp(struct ui *u);
bool ui_window_ok(const struct ui *u);
void ui_fetch(struct ui *u);

/* ui_views.c */
void ui_draw_table(struct ui *u);
/* A group's FLOWS, TX/s, RX/s, TX and RX into those columns. */
void ui_group_common(struct ui *u, int line, const struct view_group *g,
		     int flows, int txr, int rxr, int tx, int rx);

/* ui_devices.c */
void ui_devices_begin(struct ui *u);
void ui_device_cells(struct ui *u, int line, const struct view_group *g);
void ui_device_flow_cell(struct ui *u, const struct flow_row *r, char *out,
			 size_t len);
const char *ui_devices_hint(char *buf, size_t len);

/* ui_header.c */
const char *ui_mode_name(const struct ui *u);
void ui_draw_header(struct ui *u);
void ui_draw_status(struct ui *u);

/* ui_overlay.c */
void ui_pager_draw(struct ui *u, char (*text)[UI_TEXT], int n,
		   const char *title, const char *foot);
void ui_draw_help(struct ui *u);
void ui_draw_sort(struct ui *u);
void ui_draw_confirm(struct ui *u);
void ui_draw_prompt(struct ui *u);
void ui_filter_compile(struct ui *u);
void ui_filter_clear(struct ui *u);
unsigned ui_key_filter(struct ui *u, int key);
unsigned ui_key_pager(struct ui *u, int key);
unsigned ui_key_sort(struct ui *u, int key);
unsigned ui_key_confirm(struct ui *u, int key);

/* ui_offload.c */
const char *ui_offload_flag(const struct flow_rec *r);
void ui_offload_news(struct ui *u);
int ui_offload_details(const struct ui *u, const struct flow_rec *c,
		       char (*ln)[UI_TEXT], int n, int max);

/* ui_details.c */
void ui_detail_get(struct ui *u);
void ui_draw_details(struct ui *u);

/* ui_keys.c */
void ui_set_sort(struct ui *u, enum view_sort s, bool flip);
int ui_help_lines(struct ui *u, char (*ln)[UI_TEXT], int max);
unsigned ui_key(struct ui *u, int key);

#endif
