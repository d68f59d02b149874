/*
 * filter_impl.h: what the filter*.c files share, included by them only:
 * the compiled program (nodes, flags), the lexer's tokens and the
 * parser's state, and the helpers one file offers the others.
 */
#ifndef FLOWTOP_FILTER_IMPL_H
#define FLOWTOP_FILTER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "filter.h"
#include "flow_types.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The protocols that have ports, in the order of fnode.u.svc.port[]. */
static const uint8_t filter_port_protos[] = {
	IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_SCTP, IPPROTO_DCCP,
};
#define N_PORT_PROTOS	ARRAY_SIZE(filter_port_protos)

enum fn_kind {
	FN_TRUE,
	FN_AND,		/* u.list */
	FN_OR,		/* u.list */
	FN_NOT,		/* u.list.first is the operand */
	FN_ADDR,	/* u.addr on the ends in flags */
	FN_NAME,	/* u.str, reverse name of the ends in flags */
	FN_PORT,	/* u.port range on the sides (or keys) in flags */
	FN_SERVICE,	/* u.svc on the sides in flags */
	FN_PROTO,	/* u.num */
	FN_FAMILY,	/* u.num */
	FN_COMM,	/* u.str */
	FN_PID,		/* u.num */
	FN_UID,		/* u.num */
	FN_USER,	/* u.str */
	FN_COUNTRY,	/* u.str, FNF_CC if it may be a code */
	FN_CITY,	/* u.str */
	FN_ORG,		/* u.str */
	FN_ASN,		/* u.num */
	FN_STATE,	/* u.state */
	FN_STATUS,	/* u.status */
	FN_BYTES,	/* u.cmp */
	FN_PACKETS,	/* u.cmp */
	FN_RATE,	/* u.cmp */
	FN_MARK,	/* u.mark */
	FN_ZONE,	/* u.num */
	FN_NAT,		/* flags: FNF_SNAT, FNF_DNAT */
	FN_DEV_ADDR,	/* u.addr: the inside host's address */
	FN_DEV_MAC,	/* u.num: its MAC's bytes; flags: their number */
	FN_DEV_NAME,	/* u.str: its name, reverse name, MAC or address */
};

/* Ends of a flow an address term looks at. */
#define FNF_OSRC	0x01u
#define FNF_ODST	0x02u
#define FNF_RSRC	0x04u
#define FNF_RDST	0x08u
#define FNF_ENDS	(FNF_OSRC | FNF_ODST | FNF_RSRC | FNF_RDST)
/* Name terms: a pattern without a dot also tries the first label. */
#define FNF_LABEL	0x10u
/* Port sides; with FNF_KEY the GRE keys of those sides instead. */
#define FNF_SPORT	0x01u
#define FNF_DPORT	0x02u
#define FNF_KEY		0x04u
/* Country: the value may be a two-letter code. */
#define FNF_CC		0x01u
/* NAT kinds. */
#define FNF_SNAT	0x01u
#define FNF_DNAT	0x02u

enum fn_cmp { CMP_LT, CMP_LE, CMP_EQ, CMP_NE, CMP_GE, CMP_GT };

struct fnode {
	uint8_t kind;
	uint8_t flags;
	union {
		struct {
			uint32_t first, count;	/* into filter.kids */
		} list;
		struct {
			uint8_t family;
			union flow_addr net, mask;	/* net is masked */
		} addr;
		struct {
			uint16_t lo, hi;
		} port;
		struct {
			int32_t port[N_PORT_PROTOS];	/* -1: none */
		} svc;
		struct {
			uint32_t tcp, sctp, dccp;	/* bit n: state n */
		} state;
		struct {
			uint32_t mask, want;
		} status;
		struct {
			uint8_t op;
			double val;
		} cmp;
		struct {
			uint32_t val, mask;
		} mark;
		uint64_t num;
		uint32_t str;			/* offset in filter.strs */
	} u;
};

struct filter {
	struct fnode *nodes;
	uint32_t n_nodes, cap_nodes;
	uint32_t *kids;
	uint32_t n_kids, cap_kids;
	char *strs;
	size_t n_strs, cap_strs;
	uint32_t root;
};

static inline unsigned char filter_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 'a' - 'A') : c;
}

/* The lexer's tokens and the parser's state (filter.c). */
enum tok_type {
	TOK_END,
	TOK_WORD,
	TOK_STRING,
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_AND,
	TOK_OR,
	TOK_NOT,
	TOK_CMP,
};

struct tok {
	enum tok_type type;
	size_t pos, len;	/* raw text in the expression */
	enum fn_cmp cmp;
};

struct parser {
	const char *s;
	size_t n;		/* strlen(s) */
	size_t next;		/* where the lexer goes on */
	struct tok tok;		/* lookahead */
	struct tok prev;	/* last token consumed, type TOK_END if none */
	struct filter *f;
	char *val;		/* last value taken; n + 1 bytes */
	size_t val_pos;
	int depth;
	bool failed, oom;
	char *err;
	size_t errlen;
	size_t err_pos;
};

/* Token text for messages, cut so a pasted novel stays one line. */
#define TOKFMT		"%.*s%s"
#define TOKARG(p, t)	(int)((t)->len > 40 ? 40 : (t)->len), \
			(p)->s + (t)->pos, (t)->len > 40 ? "..." : ""

/* What filter_parse_addr() makes of a value. */
enum addr_kind { ADDR_OK, ADDR_NAME, ADDR_BAD_ADDR, ADDR_BAD_NET };

/* filter.c */
void filter_error(struct parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool filter_word_is(const struct parser *p, const struct tok *t,
		    const char *kw);
void filter_advance(struct parser *p);
void filter_take_text(struct parser *p);
int filter_value(struct parser *p, const struct tok *kw,
		 const char *what);
int64_t filter_node(struct parser *p, const struct fnode *n);
int64_t filter_str_node(struct parser *p, uint8_t kind, uint8_t flags);
int64_t filter_num_node(struct parser *p, uint8_t kind, uint64_t num);
int64_t filter_list_node(struct parser *p, uint8_t kind,
			 const uint32_t *kids, uint32_t count);

/* filter_terms.c */
int64_t filter_parse_term(struct parser *p);

/* filter_values.c */
bool filter_parse_uint(const char *s, uint64_t max, uint64_t *out);
bool filter_parse_amount(const char *s, double *out);
void filter_mask(union flow_addr *mask, unsigned plen);
enum addr_kind filter_parse_addr(const char *s, uint8_t *family,
				 union flow_addr *net,
				 union flow_addr *mask);

/* filter_eval.c */
bool filter_glob(const char *pat, const char *str);

#endif
