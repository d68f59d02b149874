/* filter: the small filter language shared by '/', -f and the outputs. */
#ifndef FLOWTOP_FILTER_H
#define FLOWTOP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include "flow_types.h"

struct lan_device;

struct filter;

/* What the filter may ask beyond the row itself; any member may be NULL. */
struct filter_ctx {
	/* Reverse name of an address if known (never blocks). */
	bool (*host_name)(int family, const void *addr, char *buf, size_t len);
	/* User name of a uid. */
	const char *(*user_name)(unsigned uid, char *buf, unsigned len);
	/* The inside host of a flow (view_device()): false for this
	 * host's own flows. */
	bool (*device)(const struct flow_row *row, struct lan_device *d);
};

/* Parse expr.  On error returns -EINVAL, writes a message to err and the
 * byte offset where it goes wrong to *err_pos.  An empty expression is a
 * filter that matches everything.  */
int filter_parse(const char *expr, struct filter **out, char *err,
		 size_t errlen, size_t *err_pos);
bool filter_match(const struct filter *f, const struct flow_row *row,
		  const struct filter_ctx *ctx);
void filter_free(struct filter *f);
/* Does the filter name a protocol (proto, tcp, gre, key, ...)?  Then it,
 * not the default protocol choice, says which are shown. */
bool filter_names_proto(const struct filter *f);
/* Does it compare rates?  Then a snapshot must wait for them. */
bool filter_uses_rate(const struct filter *f);

#endif
