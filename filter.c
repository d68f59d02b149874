/*
 * filter: the small filter language shared by '/', -f and the outputs.
 * This file reads an expression: the lexer, the parser, and the program
 * it compiles to.  The terms are in filter_terms.c (with how to add one),
 * their values in filter_values.c; filter_eval.c matches flows.
 *
 * Grammar (keywords are case-insensitive):
 *
 *   expr    := or
 *   or      := and { ("or" | "||") and }
 *   and     := not { ["and" | "&&"] not }    juxtaposition "a b" is "a and b"
 *   not     := ("not" | "!") not | primary
 *   primary := "(" expr ")" | term
 *
 * so "not" binds tighter than "and", which binds tighter than "or".  An
 * empty expression (or only blanks) matches every flow.  A value may be a
 * bare word or a quoted string, "..." or '...' (with \" and \\ inside), for
 * names with spaces: country "United States".  A quoted value is never a
 * keyword, so proc "and" looks for a process called "and" (unquoted, the
 * words and, or, not are always operators).
 *
 * The expression is compiled into an array of nodes; "and"/"or" nodes keep
 * their operands in one flat list, so matching is a short loop with early
 * exit, no allocation and no formatting of addresses (CIDR by masks).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "filter_impl.h"

/* Nesting of "(" and "not"; bounds the parser's recursion. */
#define FILTER_MAX_DEPTH	64

void filter_free(struct filter *f)
{
	if (!f)
		return;
	free(f->nodes);
	free(f->kids);
	free(f->strs);
	free(f);
}

/* ---------------------------------------------------------------------- */
/* Lexer. */

/* The earliest error counts: it is where the expression goes wrong.  (The
 * lexer reads one token ahead, so its errors can come before the parser's
 * about an earlier token.) */
void filter_error(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->failed && pos >= p->err_pos)
		return;
	p->failed = true;
	p->err_pos = pos;
	if (p->err && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
}

static bool filter_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\f' || c == '\v';
}

static bool filter_is_word_char(char c)
{
	return c && !filter_is_space(c) && !strchr("()<>=!&|\"", c);
}

bool filter_word_is(const struct parser *p, const struct tok *t,
		    const char *kw)
{
	return t->type == TOK_WORD && strlen(kw) == t->len &&
	       strncasecmp(p->s + t->pos, kw, t->len) == 0;
}

/* Reads the token at p->next into p->tok. */
static void filter_lex(struct parser *p)
{
	const char *s = p->s;
	size_t i = p->next, start;
	struct tok *t = &p->tok;

	while (filter_is_space(s[i]))
		i++;
	start = i;
	t->pos = i;
	t->len = 0;
	t->type = TOK_END;
	if (!s[i]) {
		p->next = i;
		return;
	}
	switch (s[i]) {
	case '(':
		t->type = TOK_LPAREN;
		i++;
		break;
	case ')':
		t->type = TOK_RPAREN;
		i++;
		break;
	case '&':
	case '|':
		if (s[i + 1] != s[i]) {
			filter_error(p, i, "unexpected '%c' (use '%c%c' or "
				     "'%s')", s[i], s[i], s[i],
				     s[i] == '&' ? "and" : "or");
			p->next = i + 1;
			return;
		}
		t->type = s[i] == '&' ? TOK_AND : TOK_OR;
		i += 2;
		break;
	case '!':
		if (s[i + 1] == '=') {
			t->type = TOK_CMP;
			t->cmp = CMP_NE;
			i += 2;
		} else {
			t->type = TOK_NOT;
			i++;
		}
		break;
	case '<':
	case '>':
		t->type = TOK_CMP;
		if (s[i + 1] == '=') {
			t->cmp = s[i] == '<' ? CMP_LE : CMP_GE;
			i += 2;
		} else {
			t->cmp = s[i] == '<' ? CMP_LT : CMP_GT;
			i++;
		}
		break;
	case '=':
		t->type = TOK_CMP;
		t->cmp = CMP_EQ;
		i += s[i + 1] == '=' ? 2 : 1;
		break;
	case '"':
	case '\'':
		t->type = TOK_STRING;
		for (i++; s[i] && s[i] != s[start]; i++)
			if (s[i] == '\\' && s[i + 1])
				i++;
		if (!s[i]) {
			filter_error(p, start, "unterminated quoted string");
			t->type = TOK_END;
			p->next = i;
			return;
		}
		i++;
		break;
	default:
		t->type = TOK_WORD;
		while (filter_is_word_char(s[i]))
			i++;
		break;
	}
	t->len = i - start;
	p->next = i;
	if (filter_word_is(p, t, "and"))
		t->type = TOK_AND;
	else if (filter_word_is(p, t, "or"))
		t->type = TOK_OR;
	else if (filter_word_is(p, t, "not"))
		t->type = TOK_NOT;
}

void filter_advance(struct parser *p)
{
	p->prev = p->tok;
	filter_lex(p);
}

/* Copies the current token's value (a word, or a quoted string without its
 * quotes and escapes) to p->val. */
void filter_take_text(struct parser *p)
{
	const struct tok *t = &p->tok;
	const char *s = p->s + t->pos;
	size_t i, o = 0;

	if (t->type == TOK_STRING) {
		for (i = 1; i + 1 < t->len; i++) {
			if (s[i] == '\\' && i + 2 < t->len)
				i++;
			p->val[o++] = s[i];
		}
	} else {
		memcpy(p->val, s, t->len);
		o = t->len;
	}
	p->val[o] = '\0';
	p->val_pos = t->pos;
}

/* Takes the value after keyword kw into p->val; what names it for the
 * message when there is none. */
int filter_value(struct parser *p, const struct tok *kw,
		 const char *what)
{
	if (p->tok.type != TOK_WORD && p->tok.type != TOK_STRING) {
		filter_error(p, p->tok.pos, "expected %s after '" TOKFMT "'",
			     what, TOKARG(p, kw));
		return -1;
	}
	filter_take_text(p);
	/* A bad token after the value is reported after the value's own
	 * checks, which come earlier in the text. */
	filter_advance(p);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Building the program. */

/* Room for need elements of size in buf: the (maybe moved) buffer, or
 * NULL with buf untouched. */
static void *filter_grow(void *buf, uint32_t *cap, uint32_t need,
			 size_t size)
{
	uint32_t ncap;
	void *nb;

	if (need <= *cap)
		return buf;
	if (need > UINT32_MAX / 2)
		return NULL;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	nb = realloc(buf, (size_t)ncap * size);
	if (nb)
		*cap = ncap;
	return nb;
}

static int filter_oom(struct parser *p)
{
	p->oom = true;
	filter_error(p, p->tok.pos, "out of memory");
	return -1;
}

/* Appends a node; returns its index or -1. */
int64_t filter_node(struct parser *p, const struct fnode *n)
{
	struct filter *f = p->f;
	struct fnode *nb;

	nb = filter_grow(f->nodes, &f->cap_nodes, f->n_nodes + 1, sizeof(*nb));
	if (!nb)
		return filter_oom(p);
	f->nodes = nb;
	f->nodes[f->n_nodes] = *n;
	return f->n_nodes++;
}

/* Stores p->val lower-cased in the string pool; returns its offset. */
static int64_t filter_str(struct parser *p)
{
	struct filter *f = p->f;
	size_t len = strlen(p->val), i, need = f->n_strs + len + 1;
	size_t ncap;
	char *nb;

	if (need > UINT32_MAX)
		return filter_oom(p);
	if (need > f->cap_strs) {
		ncap = f->cap_strs ? f->cap_strs * 2 : 64;
		while (ncap < need)
			ncap *= 2;
		nb = realloc(f->strs, ncap);
		if (!nb)
			return filter_oom(p);
		f->strs = nb;
		f->cap_strs = ncap;
	}
	for (i = 0; i <= len; i++)
		f->strs[f->n_strs + i] =
			(char)filter_lower((unsigned char)p->val[i]);
	f->n_strs = need;
	return (int64_t)(need - len - 1);
}

int64_t filter_str_node(struct parser *p, uint8_t kind, uint8_t flags)
{
	struct fnode n = { .kind = kind, .flags = flags };
	int64_t off = filter_str(p);

	if (off < 0)
		return -1;
	n.u.str = (uint32_t)off;
	return filter_node(p, &n);
}

int64_t filter_num_node(struct parser *p, uint8_t kind, uint64_t num)
{
	struct fnode n = { .kind = kind, .u.num = num };

	return filter_node(p, &n);
}

/* An and/or node over the operands in kids[0..count). */
int64_t filter_list_node(struct parser *p, uint8_t kind,
			 const uint32_t *kids, uint32_t count)
{
	struct filter *f = p->f;
	struct fnode n = { .kind = kind };
	uint32_t *kb;

	if (count == 1)
		return kids[0];
	kb = filter_grow(f->kids, &f->cap_kids, f->n_kids + count,
			 sizeof(*kb));
	if (!kb)
		return filter_oom(p);
	f->kids = kb;
	memcpy(f->kids + f->n_kids, kids, count * sizeof(*kids));
	n.u.list.first = f->n_kids;
	n.u.list.count = count;
	f->n_kids += count;
	return filter_node(p, &n);
}

/* ---------------------------------------------------------------------- */
/* Expressions. */

static int64_t filter_parse_or(struct parser *p);

static bool filter_starts_term(const struct parser *p)
{
	switch (p->tok.type) {
	case TOK_WORD:
	case TOK_STRING:
	case TOK_LPAREN:
	case TOK_NOT:
		return true;
	default:
		return false;
	}
}

/* Says why no expression starts at the current token. */
static void filter_no_expr(struct parser *p)
{
	const struct tok *t = &p->tok;

	if (t->type == TOK_RPAREN && p->prev.type != TOK_LPAREN &&
	    p->prev.type != TOK_AND && p->prev.type != TOK_OR &&
	    p->prev.type != TOK_NOT)
		filter_error(p, t->pos, "unbalanced ')'");
	else if (p->prev.type != TOK_END)
		filter_error(p, t->pos, "expected an expression after '"
			     TOKFMT "'", TOKARG(p, &p->prev));
	else
		filter_error(p, t->pos, "expected an expression before '"
			     TOKFMT "'", TOKARG(p, t));
}

static int64_t filter_parse_not(struct parser *p)
{
	struct fnode n = { .kind = FN_NOT };
	struct tok t = p->tok;
	int64_t e;

	if (p->failed)
		return -1;
	switch (t.type) {
	case TOK_NOT:
		if (++p->depth > FILTER_MAX_DEPTH) {
			filter_error(p, t.pos, "expression nested too deeply");
			return -1;
		}
		filter_advance(p);
		if (p->failed)
			return -1;
		if (!filter_starts_term(p)) {
			filter_no_expr(p);
			return -1;
		}
		e = filter_parse_not(p);
		p->depth--;
		if (e < 0)
			return -1;
		n.u.list.first = (uint32_t)e;
		return filter_node(p, &n);
	case TOK_LPAREN:
		if (++p->depth > FILTER_MAX_DEPTH) {
			filter_error(p, t.pos, "expression nested too deeply");
			return -1;
		}
		filter_advance(p);
		if (p->failed)
			return -1;
		if (p->tok.type == TOK_RPAREN) {
			filter_error(p, p->tok.pos, "empty parentheses");
			return -1;
		}
		e = filter_parse_or(p);
		if (e < 0)
			return -1;
		if (p->tok.type == TOK_END) {
			filter_error(p, t.pos, "unbalanced '('");
			return -1;
		}
		if (p->tok.type != TOK_RPAREN) {
			filter_error(p, p->tok.pos, "unexpected '" TOKFMT "'",
				     TOKARG(p, &p->tok));
			return -1;
		}
		p->depth--;
		filter_advance(p);
		return p->failed ? -1 : e;
	case TOK_WORD:
	case TOK_STRING:
		return filter_parse_term(p);
	default:
		filter_no_expr(p);
		return -1;
	}
}

/* Operands of one and/or level, on the heap: nesting keeps them apart. */
struct filter_vec {
	uint32_t *v;
	uint32_t n, cap;
};

static int filter_vec_push(struct parser *p, struct filter_vec *vec,
			   int64_t e)
{
	uint32_t *vb;

	if (e < 0)
		return -1;
	vb = filter_grow(vec->v, &vec->cap, vec->n + 1, sizeof(*vb));
	if (!vb)
		return filter_oom(p);
	vec->v = vb;
	vec->v[vec->n++] = (uint32_t)e;
	return 0;
}

static int64_t filter_parse_and(struct parser *p)
{
	struct filter_vec vec = { NULL, 0, 0 };
	int64_t e = -1;

	if (filter_vec_push(p, &vec, filter_parse_not(p)))
		goto out;
	for (;;) {
		if (p->tok.type == TOK_AND) {
			filter_advance(p);
			if (p->failed)
				goto out;
			if (!filter_starts_term(p)) {
				filter_no_expr(p);
				goto out;
			}
		} else if (!filter_starts_term(p)) {
			break;
		}
		if (filter_vec_push(p, &vec, filter_parse_not(p)))
			goto out;
	}
	e = filter_list_node(p, FN_AND, vec.v, vec.n);
out:
	free(vec.v);
	return e;
}

static int64_t filter_parse_or(struct parser *p)
{
	struct filter_vec vec = { NULL, 0, 0 };
	int64_t e = -1;

	if (filter_vec_push(p, &vec, filter_parse_and(p)))
		goto out;
	while (p->tok.type == TOK_OR) {
		filter_advance(p);
		if (p->failed)
			goto out;
		if (!filter_starts_term(p)) {
			filter_no_expr(p);
			goto out;
		}
		if (filter_vec_push(p, &vec, filter_parse_and(p)))
			goto out;
	}
	e = filter_list_node(p, FN_OR, vec.v, vec.n);
out:
	free(vec.v);
	return e;
}

int filter_parse(const char *expr, struct filter **out, char *err,
		 size_t errlen, size_t *err_pos)
{
	struct parser p = {
		.s = expr ? expr : "",
		.err = err,
		.errlen = errlen,
	};
	struct fnode t = { .kind = FN_TRUE };
	int64_t root;
	int ret = 0;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (err_pos)
		*err_pos = 0;
	if (!out)
		return -EINVAL;
	p.n = strlen(p.s);
	p.f = calloc(1, sizeof(*p.f));
	p.val = malloc(p.n + 1);
	if (!p.f || !p.val) {
		ret = -ENOMEM;
		goto fail;
	}
	p.prev.type = TOK_END;
	filter_lex(&p);
	if (p.failed) {
		root = -1;
	} else if (p.tok.type == TOK_END) {
		root = filter_node(&p, &t);
	} else {
		root = filter_parse_or(&p);
		if (root >= 0 && p.tok.type != TOK_END) {
			if (p.tok.type == TOK_RPAREN)
				filter_error(&p, p.tok.pos, "unbalanced ')'");
			else
				filter_error(&p, p.tok.pos, "unexpected '"
					     TOKFMT "'", TOKARG(&p, &p.tok));
			root = -1;
		}
	}
	if (root < 0 || p.failed) {
		ret = p.oom ? -ENOMEM : -EINVAL;
		goto fail;
	}
	p.f->root = (uint32_t)root;
	free(p.val);
	*out = p.f;
	return 0;
fail:
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "out of memory");
	if (err_pos)
		*err_pos = p.err_pos;
	free(p.val);
	filter_free(p.f);
	return ret;
}
