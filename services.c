/* services: port and protocol to a service name. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "services.h"
#include "util.h"

#define SVC_NAME_MAX	31
#define SVC_PORTS	65536
#define SVC_SHOW_MAX	40	/* bytes of a bad token echoed in a warning */
#define SVC_FILE_MAX	(8u << 20)	/* 65536 ports with long comments */
#define SVC_WARN_MAX	20	/* warnings shown per file */

enum svc_proto {
	SVC_TCP,
	SVC_UDP,
	SVC_UDPLITE,
	SVC_SCTP,
	SVC_DCCP,
	SVC_NPROTO,
};

struct svc_rev {
	const char *name;	/* interned; NULL marks a free slot */
	uint16_t port;
};

/* One protocol: a flat port table for O(1) lookups, and name -> port. */
struct svc_map {
	const char **by_port;	/* SVC_PORTS entries, allocated on first use */
	struct svc_rev *rev;	/* open addressing, size a power of two */
	size_t rev_size, rev_used;
};

/* Where a line came from, for warnings. */
struct svc_src {
	const char *path;
	unsigned long line;
	FILE *warn;
	bool fallback;		/* netsniff-ng's dir: only unnamed ports */
	unsigned long warned;	/* a file of bad lines must not flood */
};

static struct svc_map svc_maps[SVC_NPROTO];
/* Interned names: many ports and protocols share one string. */
static char **svc_strs;
static size_t svc_strs_size, svc_strs_used;

static char svc_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* FNV-1a; fold makes it match svc_name_eq's ASCII case folding. */
static uint32_t svc_hash(const char *s, bool fold)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)(fold ? svc_lower(*s) : *s);
		h *= 16777619u;
	}
	return h;
}

/* ASCII only, so the result does not depend on the locale. */
static bool svc_name_eq(const char *a, const char *b)
{
	for (; *a && svc_lower(*a) == svc_lower(*b); a++, b++)
		;
	return svc_lower(*a) == svc_lower(*b);
}

static int svc_strs_grow(void)
{
	size_t size = svc_strs_size ? svc_strs_size * 2 : 256, i, j;
	char **t = calloc(size, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 0; i < svc_strs_size; i++) {
		if (!svc_strs[i])
			continue;
		j = svc_hash(svc_strs[i], false) & (size - 1);
		while (t[j])
			j = (j + 1) & (size - 1);
		t[j] = svc_strs[i];
	}
	free(svc_strs);
	svc_strs = t;
	svc_strs_size = size;
	return 0;
}

static const char *svc_intern(const char *s)
{
	size_t i;

	if (svc_strs_used * 2 >= svc_strs_size && svc_strs_grow())
		return NULL;
	i = svc_hash(s, false) & (svc_strs_size - 1);
	while (svc_strs[i]) {
		if (!strcmp(svc_strs[i], s))
			return svc_strs[i];
		i = (i + 1) & (svc_strs_size - 1);
	}
	svc_strs[i] = strdup(s);
	if (!svc_strs[i])
		return NULL;
	svc_strs_used++;
	return svc_strs[i];
}

static const struct svc_rev *svc_rev_find(const struct svc_map *m,
					  const char *name)
{
	size_t i;

	if (!m->rev_size)
		return NULL;
	i = svc_hash(name, true) & (m->rev_size - 1);
	for (; m->rev[i].name; i = (i + 1) & (m->rev_size - 1)) {
		if (svc_name_eq(m->rev[i].name, name))
			return &m->rev[i];
	}
	return NULL;
}

static int svc_rev_grow(struct svc_map *m)
{
	size_t size = m->rev_size ? m->rev_size * 2 : 256, i, j;
	struct svc_rev *t = calloc(size, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (i = 0; i < m->rev_size; i++) {
		if (!m->rev[i].name)
			continue;
		j = svc_hash(m->rev[i].name, true) & (size - 1);
		while (t[j].name)
			j = (j + 1) & (size - 1);
		t[j] = m->rev[i];
	}
	free(m->rev);
	m->rev = t;
	m->rev_size = size;
	return 0;
}

/* The first name -> port mapping seen wins: conf files load first. */
static int svc_rev_add(struct svc_map *m, const char *name, uint16_t port)
{
	size_t i;

	if (svc_rev_find(m, name))
		return 0;
	if (m->rev_used * 2 >= m->rev_size && svc_rev_grow(m))
		return -ENOMEM;
	i = svc_hash(name, true) & (m->rev_size - 1);
	while (m->rev[i].name)
		i = (i + 1) & (m->rev_size - 1);
	m->rev[i].name = name;
	m->rev[i].port = port;
	m->rev_used++;
	return 0;
}

/* Name the port unless it already has a name, and map name -> port. */
static int svc_add(enum svc_proto proto, uint16_t port, const char *name,
		   bool name_port)
{
	struct svc_map *m = &svc_maps[proto];
	const char *s = svc_intern(name);

	if (!s)
		return -ENOMEM;
	if (name_port) {
		if (!m->by_port) {
			m->by_port = calloc(SVC_PORTS, sizeof(*m->by_port));
			if (!m->by_port)
				return -ENOMEM;
		}
		if (!m->by_port[port])
			m->by_port[port] = s;
	}
	return svc_rev_add(m, s, port);
}

__attribute__((format(printf, 2, 3)))
static void svc_warn(struct svc_src *src, const char *fmt, ...)
{
	va_list ap;

	if (!src->warn || ++src->warned > SVC_WARN_MAX)
		return;
	fprintf(src->warn, "%s:%lu: ", src->path, src->line);
	va_start(ap, fmt);
	vfprintf(src->warn, fmt, ap);
	va_end(ap);
	fputc('\n', src->warn);
}

/* A bad token is echoed in a warning: make it short and inert first. */
static const char *svc_show(char *buf, size_t len, const char *tok)
{
	return util_inert(buf, len, tok);
}

static bool svc_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	       c == '\v' || c == '\f';
}

/* Next whitespace separated token of *p, NUL terminated in place. */
static char *svc_token(char **p)
{
	char *s = *p, *tok;

	while (svc_is_space(*s))
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	tok = s;
	while (*s && !svc_is_space(*s))
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return tok;
}

/* Decimal port of the first n bytes of s; -1 if not a number, -2 if the
 * number is above 65535. */
static int svc_parse_port(const char *s, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (!n)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
	}
	for (i = 0; i < n; i++) {
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v >= SVC_PORTS)
			return -2;
	}
	return (int)v;
}

/* NULL if name is acceptable, else why not.  Names are drawn on the
 * screen and typed in filters: printable ASCII only, and not a number,
 * which would read as a port. */
static const char *svc_check_name(const char *name)
{
	const char *s;
	bool digits = true;

	if (strlen(name) > SVC_NAME_MAX)
		return "service name longer than 31 characters";
	for (s = name; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return "control character in service name";
		if (c > 0x7f)
			return "non-ASCII character in service name";
		if (c < '0' || c > '9')
			digits = false;
	}
	if (digits)
		return "service name is a number";
	return NULL;
}

static int svc_warn_port(struct svc_src *src, const char *tok, int r)
{
	char show[SVC_SHOW_MAX];

	svc_show(show, sizeof(show), tok);
	if (r == -2)
		svc_warn(src, "port out of range: %s", show);
	else
		svc_warn(src, "invalid port: %s", show);
	return 0;
}

/* "<port> <name>" from tcp.conf or udp.conf, or netsniff-ng's own form
 * "<port>, <name>" (as Debian ships its files). */
static int svc_conf_line(struct svc_src *src, enum svc_proto proto,
			 char *line)
{
	char show[SVC_SHOW_MAX];
	char *p = line, *port_tok, *name, *extra, *comma;
	const char *why, *old;
	bool original = false;
	int port;

	port_tok = svc_token(&p);
	if (!port_tok)
		return 0;
	comma = strchr(port_tok, ',');
	if (comma) {
		*comma = '\0';
		original = true;
		name = comma[1] ? comma + 1 : svc_token(&p);
	} else {
		while (svc_is_space(*p))
			p++;
		if (*p == ',') {
			p++;
			original = true;
		}
		name = svc_token(&p);
	}
	port = svc_parse_port(port_tok, strlen(port_tok));
	if (port < 0)
		return svc_warn_port(src, port_tok, port);
	if (!name) {
		svc_warn(src, "missing service name for port %d", port);
		return 0;
	}
	why = svc_check_name(name);
	if (why) {
		svc_warn(src, "%s: %s", why, svc_show(show, sizeof(show),
						       name));
		return 0;
	}
	extra = svc_token(&p);
	if (extra) {
		svc_warn(src, "unexpected text after service name: %s",
			 svc_show(show, sizeof(show), extra));
		return 0;
	}
	old = svc_maps[proto].by_port ? svc_maps[proto].by_port[port] : NULL;
	if (old) {
		/* netsniff-ng's files name some ports twice, as IANA does,
		 * and its dir only fills in: the first name stays, quietly. */
		if (!original && !src->fallback)
			svc_warn(src, "port %d already named %s", port, old);
		return 0;
	}
	return svc_add(proto, (uint16_t)port, name, true);
}

static int svc_proto_of(const char *s)
{
	if (!strcmp(s, "tcp"))
		return SVC_TCP;
	if (!strcmp(s, "udp"))
		return SVC_UDP;
	if (!strcmp(s, "udplite") || !strcmp(s, "udp-lite"))
		return SVC_UDPLITE;
	if (!strcmp(s, "sctp"))
		return SVC_SCTP;
	if (!strcmp(s, "dccp"))
		return SVC_DCCP;
	return -1;
}

/* "name port/proto [aliases...]" from services(5). */
static int svc_etc_line(struct svc_src *src, enum svc_proto unused,
			char *line)
{
	char show[SVC_SHOW_MAX];
	char *p = line, *name, *pp, *slash, *alias;
	const char *why;
	int port, proto, ret;
	bool warned = false;

	(void)unused;
	name = svc_token(&p);
	if (!name)
		return 0;
	pp = svc_token(&p);
	if (!pp) {
		svc_warn(src, "missing port/protocol for %s",
			 svc_show(show, sizeof(show), name));
		return 0;
	}
	slash = strchr(pp, '/');
	if (!slash || !slash[1]) {
		svc_warn(src, "expected port/protocol: %s",
			 svc_show(show, sizeof(show), pp));
		return 0;
	}
	port = svc_parse_port(pp, (size_t)(slash - pp));
	if (port < 0) {
		*slash = '\0';
		return svc_warn_port(src, pp, port);
	}
	why = svc_check_name(name);
	if (why) {
		svc_warn(src, "%s: %s", why, svc_show(show, sizeof(show),
						       name));
		return 0;
	}
	/* services(5) also lists ddp and others conntrack never reports. */
	proto = svc_proto_of(slash + 1);
	if (proto < 0)
		return 0;
	ret = svc_add((enum svc_proto)proto, (uint16_t)port, name, true);
	while (!ret && (alias = svc_token(&p))) {
		why = svc_check_name(alias);
		if (!why) {
			ret = svc_add((enum svc_proto)proto, (uint16_t)port,
				      alias, false);
		} else if (!warned) {
			svc_warn(src, "alias skipped, %s: %s", why,
				 svc_show(show, sizeof(show), alias));
			warned = true;
		}
	}
	return ret;
}

typedef int (*svc_line_fn)(struct svc_src *, enum svc_proto, char *);

/* Missing files are fine; anything else is reported and returned. */
static int svc_load_file(const char *path, FILE *warn, svc_line_fn fn,
			 enum svc_proto proto, bool fallback)
{
	struct svc_src src = { .path = path, .line = 0, .warn = warn,
			       .fallback = fallback };
	char *data, *pos, *line, *hash, why[64];
	size_t len, n;
	int ret;

	ret = util_read_file(path, SVC_FILE_MAX, &data, &len);
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		if (warn)
			fprintf(warn, "%s: %s\n", path, util_read_file_why(why,
				sizeof(why), ret, SVC_FILE_MAX));
		return ret;
	}
	pos = data;
	while (!ret && (line = util_next_line(&pos, data + len, &n))) {
		src.line++;
		if (strlen(line) != n) {
			svc_warn(&src, "NUL byte in line");
			continue;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		ret = fn(&src, proto, line);
	}
	if (warn && src.warned > SVC_WARN_MAX)
		fprintf(warn, "%s: %lu more warnings not shown\n", path,
			src.warned - SVC_WARN_MAX);
	free(data);
	return ret;
}

/* dir/tcp.conf and dir/udp.conf; the first error, or 0. */
static int svc_load_dir(const char *dir, FILE *warn, bool fallback)
{
	static const char *const conf[] = { "tcp.conf", "udp.conf" };
	static const enum svc_proto conf_proto[] = { SVC_TCP, SVC_UDP };
	char path[PATH_MAX];
	int ret = 0, r;
	size_t i;

	for (i = 0; dir && i < 2; i++) {
		r = snprintf(path, sizeof(path), "%s/%s", dir, conf[i]);
		if (r < 0 || (size_t)r >= sizeof(path))
			r = -ENAMETOOLONG;
		else
			r = svc_load_file(path, warn, svc_conf_line,
					  conf_proto[i], fallback);
		if (r && !ret)
			ret = r;
		if (r == -ENOMEM)
			return r;
	}
	return ret;
}

int services_load(const char *confdir, const char *legacy_dir,
		  const char *etc_services, FILE *warn)
{
	int ret, r;

	services_free();
	ret = svc_load_dir(confdir, warn, false);
	if (ret == -ENOMEM)
		return ret;
	/* Then the original's files, for the ports ours leave unnamed: a
	 * user's old mappings still apply. */
	r = legacy_dir ? svc_load_dir(legacy_dir, warn, true) : 0;
	if (r == -ENOMEM)
		return r;
	if (r && !ret)
		ret = r;
	/* Loaded last: it only fills ports the conf files left unnamed. */
	r = svc_load_file(etc_services ? etc_services : "/etc/services",
			  warn, svc_etc_line, SVC_TCP, false);
	if (r && !ret)
		ret = r;
	return ret;
}

/* SCTP and DCCP ports follow TCP's assignments, UDP-lite UDP's. */
static int svc_fallback(int proto)
{
	switch (proto) {
	case SVC_UDPLITE:
		return SVC_UDP;
	case SVC_SCTP:
	case SVC_DCCP:
		return SVC_TCP;
	default:
		return -1;
	}
}

static int svc_proto_num(uint8_t l4proto)
{
	switch (l4proto) {
	case IPPROTO_TCP:
		return SVC_TCP;
	case IPPROTO_UDP:
		return SVC_UDP;
	case IPPROTO_UDPLITE:
		return SVC_UDPLITE;
	case IPPROTO_SCTP:
		return SVC_SCTP;
	case IPPROTO_DCCP:
		return SVC_DCCP;
	default:
		return -1;
	}
}

const char *services_name(uint8_t l4proto, uint16_t port)
{
	int p = svc_proto_num(l4proto);

	for (; p >= 0; p = svc_fallback(p)) {
		if (svc_maps[p].by_port && svc_maps[p].by_port[port])
			return svc_maps[p].by_port[port];
	}
	return NULL;
}

int services_port(uint8_t l4proto, const char *name)
{
	const struct svc_rev *r;
	int p = svc_proto_num(l4proto);

	if (!name)
		return -1;
	for (; p >= 0; p = svc_fallback(p)) {
		r = svc_rev_find(&svc_maps[p], name);
		if (r)
			return r->port;
	}
	return -1;
}

void services_free(void)
{
	size_t i;

	for (i = 0; i < SVC_NPROTO; i++) {
		free(svc_maps[i].by_port);
		free(svc_maps[i].rev);
		memset(&svc_maps[i], 0, sizeof(svc_maps[i]));
	}
	for (i = 0; i < svc_strs_size; i++)
		free(svc_strs[i]);
	free(svc_strs);
	svc_strs = NULL;
	svc_strs_size = 0;
	svc_strs_used = 0;
}
