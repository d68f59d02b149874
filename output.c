/* output: the non-interactive outputs (-B text table, -j JSON lines).
 *
 * Both print the same selection in the same order as the screen would
 * (view_each), so a script sees what a person sees.  JSON carries every
 * field the screen has, numbers as numbers (output_json.c); the text table
 * measures its columns first (output_text.c).  Rows come one at a time, so
 * a snapshot of the table needs no copy of it.
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "dns.h"
#include "flow_list.h"
#include "l4proto.h"
#include "output_impl.h"
#include "services.h"
#include "util.h"

#define OB_BYTES	(256 * 1024)

/* Numbers the snapshots of a -c N run, so JSON readers can split them. */
static unsigned long snapshot_no;
/* The snapshot's time, for the durations: one clock read, not two a row. */
static uint64_t snap_real, snap_mono;

static void snapshot_clock(void)
{
	snap_real = util_now_real();
	snap_mono = util_now_mono();
}

struct output {
	const struct view_opts *o;
	enum output_format fmt;
	struct obuf b;
	struct text_table *text;
	long rows;
	int err;
	char mem[OB_BYTES];
};

/* --- the buffered writer ------------------------------------------------- */

void ob_init(struct obuf *b, FILE *out, char *mem, size_t cap)
{
	b->out = out;
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->err = false;
}

bool ob_flush(struct obuf *b)
{
	if (b->len && fwrite(b->p, 1, b->len, b->out) != b->len)
		b->err = true;
	b->len = 0;
	return !b->err;
}

void ob_u64(struct obuf *b, uint64_t v)
{
	char t[24];
	int i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	ob_mem(b, t + i, sizeof(t) - (size_t)i);
}

void ob_i64(struct obuf *b, int64_t v)
{
	if (v < 0) {
		ob_chr(b, '-');
		ob_u64(b, 0 - (uint64_t)v);
	} else {
		ob_u64(b, (uint64_t)v);
	}
}

void ob_fix1(struct obuf *b, double v)
{
	char t[64];
	int n;

	if (!isfinite(v)) {
		ob_mem(b, "null", 4);
		return;
	}
	/* Whole numbers (most rates: whole bytes a second) without
	 * printf's cost; the rest exactly as "%.1f" rounds. */
	if (v >= 0 && v < 9e15 && v == floor(v)) {
		ob_u64(b, (uint64_t)v);
		ob_mem(b, ".0", 2);
		return;
	}
	n = snprintf(t, sizeof(t), "%.1f", v);
	if (n > 0)
		ob_mem(b, t, (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}

void ob_json_str(struct obuf *b, const char *s)
{
	char clean[OB_SLACK];
	const unsigned char *p;
	size_t n;

	if (!s) {
		ob_mem(b, "null", 4);
		return;
	}
	/* Plain printable ASCII (addresses, names, states) goes as it is. */
	for (p = (const unsigned char *)s; *p >= 0x20 && *p < 0x7f &&
	     *p != '"' && *p != '\\'; p++)
		;
	n = (size_t)(p - (const unsigned char *)s);
	if (!*p && n < OUTPUT_NAME_LEN * 2) {
		ob_room(b, n + 2);
		b->p[b->len++] = '"';
		memcpy(b->p + b->len, s, n);
		b->len += n;
		b->p[b->len++] = '"';
		return;
	}
	/* Bidi controls too: no viewer of the log may reorder a line. */
	util_json_escape(clean, sizeof(clean), s);
	n = strlen(clean);
	ob_room(b, n + 2);
	b->p[b->len++] = '"';
	memcpy(b->p + b->len, clean, n);
	b->len += n;
	b->p[b->len++] = '"';
}

/* --- what both formats say about a flow --------------------------------- */

unsigned long output_snapshot_no(void)
{
	return snapshot_no;
}

bool output_has_ports(uint8_t l4proto)
{
	return l4proto_ids(l4proto) == L4_IDS_PORTS;
}

/* Ports or GRE keys: what NAT may change beside the addresses. */
static bool has_ids(uint8_t l4proto)
{
	enum l4proto_ids k = l4proto_ids(l4proto);

	return k == L4_IDS_PORTS || k == L4_IDS_KEYS;
}

const char *output_host(char *buf, size_t len, const struct view_opts *o,
			int family, const union flow_addr *a)
{
	if (!o->no_dns && dns_name(family, a->b, buf, len))
		return buf;
	return util_fmt_addr(buf, len, family, a->b);
}

const char *output_service(const struct flow_rec *r)
{
	const char *s;

	if (!output_has_ports(r->l4proto))
		return NULL;
	s = services_name(r->l4proto, r->orig.dport);
	return s ? s : services_name(r->l4proto, r->orig.sport);
}

const char *output_offload(uint32_t status)
{
	if (status & IPS_HW_OFFLOAD)
		return "hardware";
	return status & IPS_OFFLOAD ? "software" : NULL;
}

uint64_t output_duration_sec(const struct flow_row *row)
{
	uint64_t now = snap_real, mono = snap_mono;

	if ((row->rec.have & FLOW_HAVE_TSTAMP) && row->rec.ts_start &&
	    row->rec.ts_start <= now)
		return (now - row->rec.ts_start) / 1000000000ull;
	return mono > row->first_seen ?
	       (mono - row->first_seen) / 1000000000ull : 0;
}

bool output_nat(const struct flow_rec *r, bool *snat, bool *dnat)
{
	bool ports = has_ids(r->l4proto);

	/* The reply tuple is the original one reversed unless NAT changed
	 * it: reply src != orig dst is DNAT, reply dst != orig src SNAT. */
	*dnat = memcmp(&r->repl.src, &r->orig.dst, sizeof(r->orig.dst)) ||
		(ports && r->repl.sport != r->orig.dport);
	*snat = memcmp(&r->repl.dst, &r->orig.src, sizeof(r->orig.src)) ||
		(ports && r->repl.dport != r->orig.sport);
	return *snat || *dnat;
}

/* --- a snapshot ---------------------------------------------------------- */

struct output *output_begin(FILE *out, const struct view_opts *o,
			    enum output_format fmt)
{
	struct output *op = malloc(sizeof(*op));

	if (!op)
		return NULL;
	op->o = o;
	op->fmt = fmt;
	op->rows = 0;
	op->err = 0;
	op->text = NULL;
	ob_init(&op->b, out, op->mem, sizeof(op->mem));
	if (fmt == OUTPUT_TEXT) {
		op->text = output_text_begin(o);
		if (!op->text) {
			free(op);
			return NULL;
		}
	}
	snapshot_no++;
	snapshot_clock();
	return op;
}

int output_row(const struct flow_row *row, void *arg)
{
	struct output *op = arg;

	if (op->fmt == OUTPUT_JSON) {
		output_json_flow(&op->b, row, op->o);
		ob_chr(&op->b, '\n');
		if (op->b.err)
			return 1;	/* stdout is gone: stop the walk */
	} else if (output_text_row(op->text, row)) {
		op->err = -ENOMEM;
		return 1;
	}
	op->rows++;
	return 0;
}

long output_end(struct output *op)
{
	long ret;

	if (op->fmt == OUTPUT_TEXT)
		output_text_end(op->text, &op->b);
	ob_flush(&op->b);
	if (fflush(op->b.out))
		op->b.err = true;
	ret = op->err ? op->err : op->b.err ? -EIO : op->rows;
	free(op);
	return ret;
}

long output_snapshot(FILE *out, struct flow_list *fl,
		     const struct view_opts *o, enum output_format fmt)
{
	struct output *op = output_begin(out, o, fmt);
	long n;

	if (!op)
		return -ENOMEM;
	n = view_each(fl, o, output_row, op);
	if (n < 0 && !op->err)
		op->err = (int)n;
	return output_end(op);
}

void output_json_row(FILE *out, const struct flow_row *row,
		     const struct view_opts *o)
{
	char mem[OB_SLACK * 4];
	struct obuf b;

	ob_init(&b, out, mem, sizeof(mem));
	snapshot_clock();
	output_json_flow(&b, row, o);
	ob_flush(&b);
}

/* --- reverse names, asked for before a snapshot waits for them ----------- */

size_t output_prefetch_row(const struct flow_row *row,
			   const struct view_opts *o)
{
	const struct flow_rec *r = &row->rec;
	const union flow_addr *in;
	char buf[OUTPUT_NAME_LEN];
	size_t unknown = 0;

	if (o->no_dns)
		return 0;
	if (!dns_name(r->family, r->orig.src.b, buf, sizeof(buf)))
		unknown++;
	if (!dns_name(r->family, r->orig.dst.b, buf, sizeof(buf)))
		unknown++;
	/* A port forward's inside host, for its device's name. */
	in = view_inside_addr(row);
	if (in != &r->orig.src && !dns_name(r->family, in->b, buf,
					    sizeof(buf)))
		unknown++;
	return unknown;
}

struct prefetch_ctx {
	const struct view_opts *o;
	size_t unknown;
};

static int prefetch_cb(const struct flow_row *row, void *arg)
{
	struct prefetch_ctx *c = arg;

	c->unknown += output_prefetch_row(row, c->o);
	return 0;
}

size_t output_prefetch_names(struct flow_list *fl, const struct view_opts *o)
{
	struct prefetch_ctx c = { .o = o };

	if (o->no_dns)
		return 0;
	view_each(fl, o, prefetch_cb, &c);
	return c.unknown;
}
