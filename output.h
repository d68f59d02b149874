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

/* One snapshot, row by row: output_row() is a view_row_fn, so a view walk
 * feeds it.  JSON rows are written as they come; the text table is
 * printed by output_end(), once its columns are measured.  Returns NULL
 * without memory. */
struct output;
struct output *output_begin(FILE *out, const struct view_opts *o,
			    enum output_format fmt);
int output_row(const struct flow_row *row, void *op);
/* Finish (and free) the snapshot: the number of rows, or -errno (-EIO if
 * writing failed). */
long output_end(struct output *op);

/* Print every flow of the table that o selects, in o's order.  Text: a
 * header line, one line per flow; JSON: one object per line per flow.
 * Returns the number of flows printed or -errno. */
long output_snapshot(FILE *out, struct flow_list *fl,
		     const struct view_opts *o, enum output_format fmt);

/* Ask for the reverse names a row will print (so that a batch run can
 * wait for them); returns how many are not known yet.  For the table:
 * output_prefetch_names, every flow o selects. */
size_t output_prefetch_row(const struct flow_row *row,
			   const struct view_opts *o);
size_t output_prefetch_names(struct flow_list *fl, const struct view_opts *o);

/* One flow as a JSON object (no newline), for tests. */
void output_json_row(FILE *out, const struct flow_row *row,
		     const struct view_opts *o);

#endif
