/*
 * output_impl.h: what output.c, output_json.c and output_text.c share,
 * included by them only: a buffered writer (stdio's per-call cost was
 * most of a 100,000-flow snapshot) and the small facts about a flow that
 * both formats print.
 */
#ifndef FLOWTOP_OUTPUT_IMPL_H
#define FLOWTOP_OUTPUT_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "flow_types.h"
#include "output.h"

#define OUTPUT_NAME_LEN	256
/* Room that one append may take at most: a sanitized name, escaped. */
#define OB_SLACK	(4 * OUTPUT_NAME_LEN + 64)

/* Bytes for out, written in big chunks; err keeps the first failure. */
struct obuf {
	FILE *out;
	char *p;
	size_t len, cap;
	bool err;
};

void ob_init(struct obuf *b, FILE *out, char *mem, size_t cap);
/* Write what is buffered; false once anything failed. */
bool ob_flush(struct obuf *b);

/* Make sure n more bytes fit (flushing if need be). */
static inline void ob_room(struct obuf *b, size_t n)
{
	if (b->len + n > b->cap)
		ob_flush(b);
}

static inline void ob_mem(struct obuf *b, const char *s, size_t n)
{
	if (n > b->cap) {
		ob_flush(b);
		if (fwrite(s, 1, n, b->out) != n)
			b->err = true;
		return;
	}
	ob_room(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void ob_str(struct obuf *b, const char *s)
{
	ob_mem(b, s, strlen(s));
}

static inline void ob_chr(struct obuf *b, char c)
{
	ob_room(b, 1);
	b->p[b->len++] = c;
}

void ob_u64(struct obuf *b, uint64_t v);
void ob_i64(struct obuf *b, int64_t v);
/* v with one decimal, as "%.1f"; "null" unless finite. */
void ob_fix1(struct obuf *b, double v);
/* A JSON string of s, made inert first (util_sanitize); "null" if NULL. */
void ob_json_str(struct obuf *b, const char *s);

/* The row's numbering for JSON readers (see output.c). */
unsigned long output_snapshot_no(void);

bool output_has_ports(uint8_t l4proto);
/* The name of a (when known and DNS is on) or its address. */
const char *output_host(char *buf, size_t len, const struct view_opts *o,
			int family, const union flow_addr *a);
/* The destination port's service name, else the source port's. */
const char *output_service(const struct flow_rec *r);
uint64_t output_duration_sec(const struct flow_row *row);
/* Who forwards the flow past conntrack: "software" (a flowtable),
 * "hardware" (the network device), or NULL. */
const char *output_offload(uint32_t status);
/* Whether NAT changed the reply tuple's source (DNAT) or destination
 * (SNAT); true if either. */
bool output_nat(const struct flow_rec *r, bool *snat, bool *dnat);

/* The formats' halves of output_begin/_row/_end. */
void output_json_flow(struct obuf *b, const struct flow_row *row,
		      const struct view_opts *o);
struct text_table;
struct text_table *output_text_begin(const struct view_opts *o);
int output_text_row(struct text_table *t, const struct flow_row *row);
/* Print the table (measured: every column as wide as its widest cell)
 * and free it. */
void output_text_end(struct text_table *t, struct obuf *b);

#endif
