/* output_text: the -B table.  Every cell of a snapshot is kept until its
 * end, then each column is printed as wide as its widest cell (as ss and
 * column -t do), so long states, names and NAT never push the next column
 * out of line.  Numbers use SI prefixes (k = 1000), their unit in the
 * header: bytes B, rates B/s (bit/s with -b). */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "geoip.h"
#include "l4proto.h"
#include "lan.h"
#include "output_impl.h"
#include "util.h"

enum text_col {
	TC_PROC, TC_PROTO, TC_IP, TC_STATE, TC_SRC, TC_DST, TC_SVC, TC_GEO,
	TC_SENT, TC_SRATE, TC_RECV, TC_RRATE, TC_TIME, TC_OFL, TC_DEV, TC_NAT,
	TC__N
};

static const struct {
	const char *head, *head_bits;
	bool right;			/* numbers: aligned right */
} text_cols[TC__N] = {
	[TC_PROC] = { "PROCESS/PID" },
	[TC_PROTO] = { "PROTO" },
	[TC_IP] = { "IP" },
	[TC_STATE] = { "STATE" },
	[TC_SRC] = { "SOURCE" },
	[TC_DST] = { "DESTINATION" },
	[TC_SVC] = { "SERVICE" },
	[TC_GEO] = { "GEO" },
	[TC_SENT] = { "SENT(B)", NULL, true },
	[TC_SRATE] = { "SEND(B/s)", "SEND(bit/s)", true },
	[TC_RECV] = { "RECEIVED(B)", NULL, true },
	[TC_RRATE] = { "RECV(B/s)", "RECV(bit/s)", true },
	[TC_TIME] = { "TIME", NULL, true },
	[TC_OFL] = { "OFFLOAD" },
	[TC_DEV] = { "DEVICE" },
	[TC_NAT] = { "NAT" },
};

#define TEXT_GAP	2

struct text_table {
	const struct view_opts *o;
	char *arena;			/* every cell, NUL-terminated */
	size_t alen, acap;
	uint32_t *cells;		/* TC__N offsets into arena a row */
	size_t rows, rcap;
	size_t width[TC__N];
};

static const char *head(const struct text_table *t, int c)
{
	return t->o->bits && text_cols[c].head_bits ? text_cols[c].head_bits :
						      text_cols[c].head;
}

static bool shown(const struct text_table *t, int c)
{
	return c != TC_SRC || t->o->show_src;
}

/* Columns on a terminal: UTF-8 continuation bytes take none (names are
 * sanitized, so the text is valid UTF-8). */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

struct text_table *output_text_begin(const struct view_opts *o)
{
	struct text_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->o = o;
	for (int c = 0; c < TC__N; c++)
		t->width[c] = text_width(head(t, c));
	return t;
}

static int put_cell(struct text_table *t, size_t row, int c, const char *s)
{
	size_t n = strlen(s) + 1, cap;
	char *a;

	if (t->alen + n > t->acap) {
		cap = t->acap ? t->acap * 2 : 65536;
		while (cap < t->alen + n)
			cap *= 2;
		a = realloc(t->arena, cap);
		if (!a)
			return -ENOMEM;
		t->arena = a;
		t->acap = cap;
	}
	if (t->alen > UINT32_MAX - n)
		return -ENOMEM;
	memcpy(t->arena + t->alen, s, n);
	t->cells[row * TC__N + (size_t)c] = (uint32_t)t->alen;
	t->alen += n;
	n = text_width(s);
	if (n > t->width[c])
		t->width[c] = n;
	return 0;
}

static void endpoint(char *buf, size_t len, const struct view_opts *o,
		     const struct flow_rec *r, const union flow_addr *a,
		     uint16_t port)
{
	char h[OUTPUT_NAME_LEN], clean[OUTPUT_NAME_LEN];

	util_inert(clean, sizeof(clean), output_host(h, sizeof(h), o,
						      r->family, a));
	if (l4proto_ids(r->l4proto) == L4_IDS_KEYS && port)
		snprintf(buf, len, "%s key 0x%x", clean, port);
	else if (!output_has_ports(r->l4proto))
		snprintf(buf, len, "%s", clean);
	else if (r->family == AF_INET6 && strchr(clean, ':'))
		snprintf(buf, len, "[%s]:%u", clean, port);
	else
		snprintf(buf, len, "%s:%u", clean, port);
}

/* "[dnat A] [snat B]": where the flow really goes, how it leaves. */
static void nat_cell(char *buf, size_t len, const struct view_opts *o,
		     const struct flow_rec *r)
{
	char d[OUTPUT_NAME_LEN + 8] = "", s[OUTPUT_NAME_LEN + 8] = "";
	bool snat, dnat;

	if (!output_nat(r, &snat, &dnat)) {
		snprintf(buf, len, "-");
		return;
	}
	if (dnat)
		endpoint(d, sizeof(d), o, r, &r->repl.src, r->repl.sport);
	if (snat)
		endpoint(s, sizeof(s), o, r, &r->repl.dst, r->repl.dport);
	if (dnat && snat)
		snprintf(buf, len, "[dnat %s] [snat %s]", d, s);
	else if (dnat)
		snprintf(buf, len, "[dnat %s]", d);
	else
		snprintf(buf, len, "[snat %s]", s);
}

/* The inside host of a forwarded flow, as the screen's DEVICE: its lease
 * name, else its reverse name, else its address; "-" for our own. */
static void device_cell(char *buf, size_t len, const struct view_opts *o,
			const struct flow_row *row)
{
	struct lan_device d;
	char h[OUTPUT_NAME_LEN];

	if (!view_device(row, &d))
		snprintf(buf, len, "-");
	else if (d.name[0])
		util_inert(buf, len, d.name);
	else
		util_inert(buf, len, output_host(h, sizeof(h), o, d.family,
						  &d.addr));
}

static void si(char *buf, size_t len, double v)
{
	if (!isfinite(v) || v < 0)
		snprintf(buf, len, "-");
	else
		util_fmt_count(buf, len, (uint64_t)llround(v));
}

int output_text_row(struct text_table *t, const struct flow_row *row)
{
	const struct view_opts *o = t->o;
	const struct flow_rec *r = &row->rec;
	const struct geo_info *g = view_remote_geo(row);
	bool in = row->owner.local == FLOW_LOCAL_DST;
	bool cnt = r->have & FLOW_HAVE_COUNTERS;
	double scale = o->bits ? 8.0 : 1.0;
	char cell[TC__N][2 * OUTPUT_NAME_LEN + 40], c[24];
	uint32_t *nc;
	size_t cap;

	if (t->rows == t->rcap) {
		cap = t->rcap ? t->rcap * 2 : 256;
		nc = realloc(t->cells, cap * TC__N * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		t->cells = nc;
		t->rcap = cap;
	}
	snprintf(cell[TC_PROC], sizeof(cell[0]), "-");
	if (row->owner.pid > 0) {
		util_inert(c, sizeof(c), row->owner.comm ?
			    row->owner.comm : "?");
		snprintf(cell[TC_PROC], sizeof(cell[0]), "%s/%d", c,
			 row->owner.pid);
	}
	snprintf(cell[TC_PROTO], sizeof(cell[0]), "%s",
		 view_proto_name(r->l4proto, r->family));
	snprintf(cell[TC_IP], sizeof(cell[0]), "%s",
		 r->family == AF_INET ? "ipv4" : "ipv6");
	snprintf(cell[TC_STATE], sizeof(cell[0]), "%s", view_state_name(r));
	endpoint(cell[TC_SRC], sizeof(cell[0]), o, r, &r->orig.src,
		 r->orig.sport);
	endpoint(cell[TC_DST], sizeof(cell[0]), o, r, &r->orig.dst,
		 r->orig.dport);
	util_inert(cell[TC_SVC], sizeof(cell[0]), output_service(r) ?
		    output_service(r) : "-");
	snprintf(cell[TC_GEO], sizeof(cell[0]), "-");
	if (!o->no_geoip && g && g->cc[0]) {
		char city[64];

		util_inert(city, sizeof(city), g->city);
		snprintf(cell[TC_GEO], sizeof(cell[0]), "%s%s%s", g->cc,
			 city[0] ? "/" : "", city);
	}
	si(cell[TC_SENT], sizeof(cell[0]), !cnt ? NAN :
	   (double)(in ? r->repl_bytes : r->orig_bytes));
	si(cell[TC_RECV], sizeof(cell[0]), !cnt ? NAN :
	   (double)(in ? r->orig_bytes : r->repl_bytes));
	si(cell[TC_SRATE], sizeof(cell[0]), !cnt || o->rates_unknown ? NAN :
	   view_rate(o, row, in) * scale);
	si(cell[TC_RRATE], sizeof(cell[0]), !cnt || o->rates_unknown ? NAN :
	   view_rate(o, row, !in) * scale);
	util_fmt_duration(cell[TC_TIME], sizeof(cell[0]),
			  output_duration_sec(row));
	/* No kernel timestamp: counted from when flowtop first saw it. */
	if (!((r->have & FLOW_HAVE_TSTAMP) && r->ts_start))
		strncat(cell[TC_TIME], "+",
			sizeof(cell[0]) - strlen(cell[TC_TIME]) - 1);
	snprintf(cell[TC_OFL], sizeof(cell[0]), "%s",
		 output_offload(r->status) ? output_offload(r->status) : "-");
	device_cell(cell[TC_DEV], sizeof(cell[0]), o, row);
	nat_cell(cell[TC_NAT], sizeof(cell[0]), o, r);
	for (int i = 0; i < TC__N; i++)
		if (put_cell(t, t->rows, i, cell[i]))
			return -ENOMEM;
	t->rows++;
	return 0;
}

static void put_padded(struct obuf *b, const char *s, size_t width,
		       bool right, bool last)
{
	size_t w = text_width(s);

	if (right)
		for (; w < width; w++)
			ob_chr(b, ' ');
	ob_str(b, s);
	if (!right && !last)
		for (; w < width; w++)
			ob_chr(b, ' ');
	if (!last)
		for (int i = 0; i < TEXT_GAP; i++)
			ob_chr(b, ' ');
}

static void put_line(struct text_table *t, struct obuf *b, size_t row,
		     bool header)
{
	const char *s;

	for (int c = 0; c < TC__N; c++) {
		if (!shown(t, c))
			continue;
		s = header ? head(t, c) :
		    t->arena + t->cells[row * TC__N + (size_t)c];
		put_padded(b, s, t->width[c], text_cols[c].right,
			   c == TC__N - 1);
	}
	ob_chr(b, '\n');
}

void output_text_end(struct text_table *t, struct obuf *b)
{
	put_line(t, b, 0, true);
	for (size_t i = 0; i < t->rows; i++)
		put_line(t, b, i, false);
	free(t->arena);
	free(t->cells);
	free(t);
}
