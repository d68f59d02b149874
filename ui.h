/* ui: the ncurses screen: layout, colours, keys.  The only curses user. */
#ifndef FLOWTOP_UI_H
#define FLOWTOP_UI_H

#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include "view.h"

struct flow_list;
struct collector;

struct ui_ctx {
	struct flow_list *fl;
	struct collector *col;
	struct view_opts *opts;		/* changed by keys */
	unsigned interval_ms;
	const char *geo_hint;		/* status line hint, or NULL */
	const char *netns;		/* watched namespace name, or NULL */
	const char *config_path;	/* per-user settings file, or NULL */
	const char *filter_text;	/* the -f expression, or NULL */
	volatile sig_atomic_t *quit;	/* set by signal handlers */
};

/* Take over the terminal (before the threads start: its terminfo file
 * then finds a descriptor even under a tight ulimit -n).  0, -ENOTTY
 * (no terminal, or TERM=dumb), or -errno. */
int ui_open(void);
/* Give the terminal back (after ui_open, if ui_run will not). */
void ui_close(void);
/* Take over the terminal if ui_open did not, run until 'q' or *quit,
 * give it back.  Returns 0, or -errno if the terminal could not be set
 * up. */
int ui_run(struct ui_ctx *ctx);
/* Every key and what it does, one per line, for --help. */
void ui_print_keys(FILE *f);

#endif
