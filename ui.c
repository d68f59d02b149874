/* ui: the ncurses screen (ui*.c, the only curses users): set-up, the
 * loop, and what each key or refresh asks to read and draw. */
#define NCURSES_WIDECHAR 1

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>

#include "collector.h"
#include "crash.h"
#include "dns.h"
#include "filter.h"
#include "flow_list.h"
#include "proc_lookup.h"
#include "ui.h"
#include "ui_config.h"
#include "ui_impl.h"
#include "util.h"
#include "view.h"

static void ui_draw(struct ui *u)
{
	erase();
	if (u->lines < UI_TOP + 3 || u->cols < 20) {
		ui_text(u, 0, 0, "flowtop: terminal too small",
			u->attr[ST_ERROR]);
		refresh();
		return;
	}
	ui_draw_header(u);
	ui_draw_table(u);
	ui_draw_status(u);
	switch (u->ov) {
	case OV_HELP:
		ui_draw_help(u);
		break;
	case OV_SORT:
		ui_draw_sort(u);
		break;
	case OV_DETAILS:
		ui_draw_details(u);
		break;
	case OV_CONFIRM:
		ui_draw_confirm(u);
		break;
	case OV_FILTER:
		ui_draw_prompt(u);
		break;
	case OV_NONE:
		break;
	}
	curs_set(u->ov == OV_FILTER ? 1 : 0);
	/* A hidden cursor need not be parked after each frame: bytes
	 * saved on a slow link. */
	leaveok(stdscr, u->ov != OV_FILTER);
	refresh();
}

static void ui_colors(struct ui *u)
{
	const char *nc = getenv("NO_COLOR");
	short bg = -1;
	int i;

	for (i = 0; i < ST__COUNT; i++)
		u->attr[i] = A_NORMAL;
	/* https://no-color.org: set and not empty means no colour. */
	if (!has_colors() || (nc && *nc) || start_color() == ERR) {
		u->attr[ST_HEAD] = A_BOLD;
		u->attr[ST_TITLE] = A_REVERSE;
		u->attr[ST_CURSOR] = A_REVERSE | A_BOLD;
		u->attr[ST_NEW] = A_BOLD;
		u->attr[ST_CLOSED] = A_DIM;
		u->attr[ST_ON] = A_BOLD;
		u->attr[ST_OFF] = A_DIM;
		u->attr[ST_PAUSED] = A_REVERSE | A_BOLD;
		u->attr[ST_ERROR] = A_BOLD;
		u->attr[ST_KEY] = A_REVERSE;
		u->attr[ST_BOX] = A_NORMAL;
		return;
	}
	if (use_default_colors() == ERR)
		bg = COLOR_BLACK;
	init_pair(1, COLOR_CYAN, bg);
	init_pair(2, COLOR_BLACK, COLOR_GREEN);
	init_pair(3, COLOR_BLACK, COLOR_CYAN);
	init_pair(4, COLOR_GREEN, bg);
	init_pair(5, COLOR_WHITE, COLOR_RED);
	init_pair(6, COLOR_RED, bg);
	init_pair(7, COLOR_WHITE, COLOR_BLUE);
	u->attr[ST_HEAD] = COLOR_PAIR(1) | A_BOLD;
	u->attr[ST_TITLE] = COLOR_PAIR(2);
	u->attr[ST_CURSOR] = COLOR_PAIR(3);
	u->attr[ST_NEW] = COLOR_PAIR(4) | A_BOLD;
	u->attr[ST_CLOSED] = A_DIM;
	u->attr[ST_ON] = COLOR_PAIR(4) | A_BOLD;
	u->attr[ST_OFF] = A_DIM;
	u->attr[ST_PAUSED] = COLOR_PAIR(5) | A_BOLD;
	u->attr[ST_ERROR] = COLOR_PAIR(6) | A_BOLD;
	u->attr[ST_KEY] = COLOR_PAIR(3);
	u->attr[ST_BOX] = COLOR_PAIR(7);
}

/* Size the cell buffer for the terminal's height. */
static int ui_resize(struct ui *u)
{
	int h;
	char *c;

	u->lines = LINES;
	u->cols = COLS;
	h = ui_body_lines(u);
	if (h < 1)
		h = 1;
	if (h > u->cell_lines) {
		c = realloc(u->cells, (size_t)h * UI_MAXCOLS * UI_CELL);
		if (!c)
			return -ENOMEM;
		u->cells = c;
		u->cell_lines = h;
	}
	return 0;
}

static bool ui_host_name(int family, const void *addr, char *buf,
			 size_t len)
{
	return dns_name(family, addr, buf, len);
}

static const char *ui_user_name(unsigned uid, char *buf, unsigned len)
{
	return proc_lookup_user(uid, buf, len);
}

static void ui_init(struct ui *u, struct ui_ctx *ctx)
{
	memset(u, 0, sizeof(*u));
	u->ctx = ctx;
	u->o = ctx->opts;
	u->interval_ns = (uint64_t)(ctx->interval_ms ? ctx->interval_ms :
				    1000) * 1000000ull;
	/* The view matches host and user names through these; a filter
	 * from the command line may come with its own. */
	u->forig = u->o->filter;
	u->fctx_orig = u->o->fctx;
	if (!u->o->fctx) {
		u->fctx.host_name = u->o->no_dns ? NULL : ui_host_name;
		u->fctx.user_name = ui_user_name;
		u->fctx.device = view_device;
		u->o->fctx = &u->fctx;
	}
	if (ctx->config_path)
		ui_config_load(ctx->config_path, NULL, &u->prefs, NULL);
}

static void ui_fini(struct ui *u)
{
	/* Give flowtop.c back the filter it set, never one freed here. */
	u->o->filter = u->forig;
	u->o->fctx = u->fctx_orig;
	if (u->fown)
		filter_free(u->fown);
	free(u->rows);
	free(u->groups);
	free(u->devs);
	free(u->cells);
}

/* FLOWTOP_KEY_LOG and FLOWTOP_FRAME_LOG name files that get, per key, the
 * milliseconds from its arrival to the end of the redraw it caused, and,
 * per refresh, "MS SHOWN TOTAL": the CLOCK_MONOTONIC time in ms when the
 * redraw ended and the flow counts it showed.  The benchmark and the tests
 * measure the screen with them, not from outside. */
static FILE *ui_open_log(const char *var)
{
	const char *path = getenv(var);

	return path && *path ? fopen(path, "a") : NULL;
}

static int ui_loop(struct ui *u)
{
	struct ui_ctx *ctx = u->ctx;
	FILE *key_log = ui_open_log("FLOWTOP_KEY_LOG");
	FILE *frame_log = ui_open_log("FLOWTOP_FRAME_LOG");
	uint64_t now, next = 0, key_t = 0, scans;
	unsigned flags;
	bool draw = true, fetched;
	wint_t wc;
	int rc, key, ret = 0;
	long wait;

	while (!(ctx->quit && *ctx->quit)) {
		now = util_now_mono();
		scans = ctx->col ? collector_scans(ctx->col) : 0;
		fetched = false;
		/* A finished dump is the moment to refresh (the first one
		 * fills the screen at once); the timer is the fallback; and
		 * flows that came or went show within a second, whatever
		 * the interval. */
		if (!u->paused && (now >= next || scans != u->scans ||
				   (now >= u->fetch_mono + UI_CHANGE_NS &&
				    flow_list_changes(ctx->fl) !=
				    u->changes))) {
			ui_fetch(u);
			next = now + u->interval_ns +
			       (scans ? u->interval_ns / 2 : 0);
			draw = true;
			fetched = true;
		}
		if (u->msg[0] && now >= u->msg_until)
			draw = true;
		if (draw) {
			ui_draw(u);
			draw = false;
			if (key_log && key_t) {
				fprintf(key_log, "%.3f\n",
					(util_now_mono() - key_t) / 1e6);
				fflush(key_log);
			}
			if (frame_log && fetched) {
				fprintf(frame_log, "%.3f %zu %zu\n",
					util_now_mono() / 1e6, u->total,
					u->flows_all);
				fflush(frame_log);
			}
			key_t = 0;
		}
		/* Sleep until the next refresh, a message expiring, or a
		 * key; short enough that a signal's *quit is seen soon. */
		wait = u->paused ? UI_POLL_MS :
		       (long)((next - now) / 1000000ull) + 1;
		if (u->msg[0] && u->msg_until > now &&
		    (long)((u->msg_until - now) / 1000000ull) + 1 < wait)
			wait = (long)((u->msg_until - now) / 1000000ull) + 1;
		if (wait > UI_POLL_MS)
			wait = UI_POLL_MS;
		timeout((int)wait);
		rc = get_wch(&wc);
		if (rc != ERR)
			key_t = util_now_mono();
		/* Every key typed ahead (auto-repeat, a paste) is handled
		 * before one draw; what a key asks to read is read before
		 * the next key, which may act on it (Enter, d). */
		while (rc != ERR) {
			key = rc == KEY_CODE_YES ? UI_FKEY((int)wc) : (int)wc;
			if (key == UI_FKEY(KEY_RESIZE)) {
				if (ui_resize(u)) {
					ret = -ENOMEM;
					goto out;
				}
				flags = UI_R_REFETCH | UI_R_CLEAR;
			} else {
				flags = ui_key(u, key);
			}
			if (flags & UI_R_QUIT)
				goto out;
			if (flags & UI_R_CLEAR)
				clearok(curscr, TRUE);
			if (flags & UI_R_REFETCH)
				ui_fetch(u);
			if (flags)
				draw = true;
			if (ctx->quit && *ctx->quit)
				break;
			timeout(0);
			rc = get_wch(&wc);
		}
		if (!draw)
			key_t = 0;
	}
out:
	if (key_log)
		fclose(key_log);
	if (frame_log)
		fclose(frame_log);
	return ret;
}

/* Append terminfo capability cap to buf, if the terminal has it. */
static void ui_leave_add(char *buf, size_t len, const char *cap)
{
	char *s = tigetstr(cap);
	size_t n = strlen(buf);

	if (!s || s == (char *)-1 || n + strlen(s) >= len)
		return;
	strcpy(buf + n, s);
}

/* What a crash must write to give the terminal back as endwin would:
 * prepared now, since the handler may not call curses. */
static void ui_crash_prepare(const struct termios *shell)
{
	static const char *const caps[] = {
		"sgr0", "op", "cnorm", "rmkx", "rmcup",
	};
	char leave[256] = "";
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		ui_leave_add(leave, sizeof(leave), caps[i]);
	crash_tty_set(STDOUT_FILENO, shell, leave);
}

static SCREEN *ui_screen;

int ui_open(void)
{
	struct termios shell;
	bool have_shell;
	SCREEN *scr;
	char *cup;
	int err;

	if (ui_screen)
		return 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	/* The shell's mode, before curses changes it. */
	have_shell = tcgetattr(STDOUT_FILENO, &shell) == 0;
	/* newterm, unlike initscr, returns instead of exiting. */
	errno = 0;
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		/* Not the terminal's fault: terminfo could not be opened. */
		err = errno;
		util_fd_short(err);
		return err == EMFILE || err == ENFILE ? -err : -ENOTTY;
	}
	set_term(scr);
	/* A terminal that cannot move the cursor (TERM=dumb) would get a
	 * scrolling mess: refuse it, -B is there for such places. */
	cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {
		endwin();
		delscreen(scr);
		return -ENOTTY;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	intrflush(stdscr, FALSE);
	curs_set(0);
	set_escdelay(25);
	if (have_shell)
		ui_crash_prepare(&shell);
	ui_screen = scr;
	return 0;
}

void ui_close(void)
{
	if (!ui_screen)
		return;
	crash_tty_clear();
	endwin();
	delscreen(ui_screen);
	ui_screen = NULL;
}

int ui_run(struct ui_ctx *ctx)
{
	struct ui u;
	int err;

	if (!ctx || !ctx->fl || !ctx->opts)
		return -EINVAL;
	err = ui_open();
	if (err)
		return err;
	ui_init(&u, ctx);
	ui_colors(&u);
	err = ui_resize(&u);
	if (!err)
		err = ui_loop(&u);
	ui_close();
	ui_fini(&u);
	return err;
}
