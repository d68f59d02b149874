/* output: the non-interactive outputs: a plain-text table and JSON lines. */
#ifndef FLOWTOP_OUTPUT_H
#define FLOWTOP_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "view.h"

struct flow_list;

enum output_format {
	OUTPUT_TEXT,
	OUTPUT_JSON,
};

/* Print every flow that o selects, in o's order.  Text: a header line,
 * one line per flow; JSON: one object per line per flow.  Returns the
 * number of flows printed or -errno. */
long output_snapshot(FILE *out, struct flow_list *fl,
		     const struct view_opts *o, enum output_format fmt);

/* Ask for the reverse names of every address o selects (so that a batch
 * run can wait for them); returns how many are not known yet. */
size_t output_prefetch_names(struct flow_list *fl, const struct view_opts *o);

/* One flow as a JSON object (no newline), for tests and the outputs. */
void output_json_row(FILE *out, const struct flow_row *row,
		     const struct view_opts *o);

#endif
