/* geoip_db: finding the .mmdb files (directories, geoip.conf), checking
 * and classifying each, and opening and closing them all. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <maxminddb.h>

#include "geoip.h"
#include "geoip_impl.h"
#include "util.h"

static char geoip_hint[400];

int geoip_conf_foreach(const char *conffile,
		       int (*cb)(const char *key, const char *value,
				 unsigned int line, void *arg),
		       void *arg)
{
	char *data, *pos, *buf, *p, *key, *val, *end;
	unsigned int lineno = 0;
	size_t len;
	int ret;

	ret = util_read_file(conffile, GEOIP_CONF_MAX, &data, &len);
	if (ret)
		return ret;
	pos = data;
	while (!ret && (buf = util_next_line(&pos, data + len, NULL))) {
		lineno++;
		for (p = buf; *p; p++) {
			/* '#' opens a comment only at a word start: URLs keep
			 * theirs. */
			if (*p == '#' &&
			    (p == buf || isspace((unsigned char)p[-1]))) {
				*p = '\0';
				break;
			}
		}
		key = buf;
		while (isspace((unsigned char)*key))
			key++;
		end = key + strlen(key);
		while (end > key && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*key)
			continue;
		val = key;
		while (*val && !isspace((unsigned char)*val))
			val++;
		if (*val) {
			*val++ = '\0';
			while (isspace((unsigned char)*val))
				val++;
		}
		ret = cb(key, val, lineno, arg);
	}
	free(data);
	return ret;
}

static void geoip_set_why(char *why, size_t len, const char *msg)
{
	if (why && len)
		snprintf(why, len, "%s", msg);
}

/*
 * Find a first data record by a depth-first walk of the search tree: it
 * shows the schema, and reading it checks that the data section decodes.
 * Returns 0 with *entry set, -ENOENT for a tree without data, -EBADMSG for
 * a broken one.
 */
static int geoip_first_record(const MMDB_s *m, MMDB_entry_s *entry)
{
	uint32_t stack[260];
	size_t sp = 0, reads = 0;
	MMDB_search_node_s node;

	if (!m->metadata.node_count)
		return -ENOENT;
	stack[sp++] = 0;
	while (sp) {
		uint32_t n = stack[--sp];
		int i;

		if (++reads > GEOIP_PROBE_NODES)
			return -ENOENT;
		if (MMDB_read_node(m, n, &node) != MMDB_SUCCESS)
			return -EBADMSG;
		for (i = 0; i < 2; i++) {
			uint8_t type = i ? node.right_record_type :
					   node.left_record_type;
			MMDB_entry_s *e = i ? &node.right_record_entry :
					      &node.left_record_entry;

			if (type == MMDB_RECORD_TYPE_DATA) {
				*entry = *e;
				return 0;
			}
			if (type == MMDB_RECORD_TYPE_INVALID)
				return -EBADMSG;
		}
		/* Right first on the stack so the left subtree is walked
		 * first; depth is at most 128, so the stack cannot fill. */
		if (node.right_record_type == MMDB_RECORD_TYPE_SEARCH_NODE &&
		    sp < sizeof(stack) / sizeof(stack[0]))
			stack[sp++] = (uint32_t)node.right_record;
		if (node.left_record_type == MMDB_RECORD_TYPE_SEARCH_NODE &&
		    sp < sizeof(stack) / sizeof(stack[0]))
			stack[sp++] = (uint32_t)node.left_record;
	}
	return -ENOENT;
}

/* Decode a whole record: libmaxminddb checks every offset and size. */
static int geoip_decode(MMDB_entry_s *entry)
{
	MMDB_entry_data_list_s *list = NULL;
	int err = MMDB_get_entry_data_list(entry, &list);

	MMDB_free_entry_data_list(list);
	return err == MMDB_SUCCESS ? 0 : -EBADMSG;
}

/* Look up the documentation addresses and decode what they give. */
static int geoip_sanity(const MMDB_s *m, char *why, size_t len)
{
	static const char *const addrs[] = {
		"192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1",
	};
	MMDB_entry_s first;
	size_t i, n;
	int err;

	n = m->metadata.ip_version == 6 ? 4 : 3;
	for (i = 0; i < n; i++) {
		int gai = 0, merr = MMDB_SUCCESS;
		MMDB_lookup_result_s r;

		r = MMDB_lookup_string(m, addrs[i], &gai, &merr);
		if (gai || merr != MMDB_SUCCESS) {
			geoip_set_why(why, len, gai ? gai_strerror(gai) :
				      MMDB_strerror(merr));
			return -EBADMSG;
		}
		if (r.found_entry && geoip_decode(&r.entry)) {
			geoip_set_why(why, len, "corrupt data section");
			return -EBADMSG;
		}
	}
	err = geoip_first_record(m, &first);
	if (err == -EBADMSG) {
		geoip_set_why(why, len, "corrupt search tree");
		return err;
	}
	if (!err && geoip_decode(&first)) {
		geoip_set_why(why, len, "corrupt data section");
		return -EBADMSG;
	}
	return 0;
}

/* MMDB_open() plus the sanity checks; on success the caller closes m. */
static int geoip_db_open(const char *path, MMDB_s *m, char *why, size_t len)
{
	int err, saved;

	errno = 0;
	err = MMDB_open(path, MMDB_MODE_MMAP, m);
	if (err != MMDB_SUCCESS) {
		saved = errno;
		geoip_set_why(why, len, MMDB_strerror(err));
		if ((err == MMDB_FILE_OPEN_ERROR || err == MMDB_IO_ERROR) &&
		    saved)
			return -saved;
		if (err == MMDB_OUT_OF_MEMORY_ERROR)
			return -ENOMEM;
		return -EBADMSG;
	}
	err = geoip_sanity(m, why, len);
	if (err)
		MMDB_close(m);
	return err;
}

int geoip_db_check(const char *path, char *why, size_t len)
{
	MMDB_s m;
	int err;

	geoip_set_why(why, len, "");
	err = geoip_db_open(path, &m, why, len);
	if (!err)
		MMDB_close(&m);
	return err;
}

static bool geoip_has(MMDB_entry_s *e, const char *key, int type)
{
	const char *path[] = { key, NULL };
	MMDB_entry_data_s d;

	return MMDB_aget_value(e, &d, path) == MMDB_SUCCESS && d.has_data &&
	       (type < 0 || (int)d.type == type);
}

static bool geoip_type_says(const char *type, const char *word)
{
	return type && strcasestr(type, word);
}

/* Sort out what a database answers from its metadata and its data. */
static void geoip_classify(struct geoip_db *db)
{
	const char *type = db->mmdb.metadata.database_type;
	bool nested = false, flat = false, asn = false, city = false;
	MMDB_entry_s e;

	if (!geoip_first_record(&db->mmdb, &e)) {
		nested = geoip_has(&e, "country", MMDB_DATA_TYPE_MAP) ||
			 geoip_has(&e, "registered_country",
				   MMDB_DATA_TYPE_MAP) ||
			 geoip_has(&e, "city", MMDB_DATA_TYPE_MAP) ||
			 geoip_has(&e, "continent", MMDB_DATA_TYPE_MAP);
		flat = geoip_has(&e, "country_code",
				 MMDB_DATA_TYPE_UTF8_STRING) ||
		       geoip_has(&e, "city", MMDB_DATA_TYPE_UTF8_STRING);
		asn = geoip_has(&e, "autonomous_system_number", -1);
		city = geoip_has(&e, "city", -1);
	}
	db->kind = 0;
	if (nested || flat)
		db->kind |= GEOIP_KIND_GEO;
	if (asn)
		db->kind |= GEOIP_KIND_ASN;
	if (!db->kind) {
		/* No record seen (or an odd first one): trust the name. */
		if (geoip_type_says(type, "asn"))
			db->kind = GEOIP_KIND_ASN;
		else if (geoip_type_says(type, "city") ||
			 geoip_type_says(type, "country"))
			db->kind = GEOIP_KIND_GEO;
	}
	db->schema = 0;
	if (nested)
		db->schema |= GEOIP_SCHEMA_NESTED;
	if (flat)
		db->schema |= GEOIP_SCHEMA_FLAT;
	if (!db->schema)
		db->schema = GEOIP_SCHEMA_NESTED | GEOIP_SCHEMA_FLAT;
	db->city = city || geoip_type_says(type, "city");
}

/* Does an IPv6 tree hold anything under ::/96, where IPv4 lives? */
static bool geoip_has_v4(const MMDB_s *m)
{
	MMDB_search_node_s node;
	uint32_t n = 0;
	int depth;

	for (depth = 0; depth < 96; depth++) {
		if (MMDB_read_node(m, n, &node) != MMDB_SUCCESS)
			return false;
		if (node.left_record_type == MMDB_RECORD_TYPE_DATA)
			return true;
		if (node.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE)
			return false;
		n = (uint32_t)node.left_record;
	}
	return true;
}

struct geoip_scan {
	char **dirs;
	size_t ndirs;
	bool nodefault;
	int err;
	/* (dev, ino) of files seen, so a dir named twice counts once. */
	struct {
		dev_t dev;
		ino_t ino;
	} seen[GEOIP_MAX_DBS * 2];
	size_t nseen;
	char bad[PATH_MAX];
	char bad_why[128];
	char conf_why[64];	/* geoip.conf was not read: why */
	unsigned int order;
};

static int geoip_add_dir(struct geoip_scan *s, const char *dir)
{
	char **d = realloc(s->dirs, (s->ndirs + 1) * sizeof(*d));

	if (!d)
		return -ENOMEM;
	s->dirs = d;
	d[s->ndirs] = strdup(dir);
	if (!d[s->ndirs])
		return -ENOMEM;
	s->ndirs++;
	return 0;
}

static int geoip_conf_cb(const char *key, const char *value,
			 unsigned int line, void *arg)
{
	struct geoip_scan *s = arg;

	(void)line;
	if (!strcmp(key, "dir") && *value)
		return geoip_add_dir(s, value);
	if (!strcmp(key, "nodefaultdirs"))
		s->nodefault = true;
	/* url, cafile, timeout, ... belong to geoip_update(). */
	return 0;
}

static bool geoip_is_mmdb_name(const char *name)
{
	size_t n = strlen(name);

	/* Dot files include geoip_update()'s temporary files. */
	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".mmdb");
}

static int geoip_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void geoip_try_file(struct geoip_scan *s, const char *path)
{
	struct geoip_db *db;
	struct stat st;
	char why[128];
	size_t i;
	int err;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	for (i = 0; i < s->nseen; i++)
		if (s->seen[i].dev == st.st_dev && s->seen[i].ino == st.st_ino)
			return;
	if (s->nseen < sizeof(s->seen) / sizeof(s->seen[0])) {
		s->seen[s->nseen].dev = st.st_dev;
		s->seen[s->nseen].ino = st.st_ino;
		s->nseen++;
	}
	if (geoip_ndbs >= GEOIP_MAX_DBS)
		return;
	db = calloc(1, sizeof(*db));
	if (!db) {
		s->err = -ENOMEM;
		return;
	}
	err = geoip_db_open(path, &db->mmdb, why, sizeof(why));
	if (err) {
		free(db);
		if (err == -ENOMEM) {
			s->err = err;
		} else if (!s->bad[0]) {
			snprintf(s->bad, sizeof(s->bad), "%s", path);
			snprintf(s->bad_why, sizeof(s->bad_why), "%s", why);
		}
		return;
	}
	geoip_classify(db);
	if (!db->kind) {
		/* Anonymous-IP, Connection-Type, ...: nothing to show. */
		MMDB_close(&db->mmdb);
		free(db);
		return;
	}
	db->v6 = db->mmdb.metadata.ip_version == 6;
	db->v4 = !db->v6 || geoip_has_v4(&db->mmdb);
	db->order = s->order++;
	geoip_dbs[geoip_ndbs++] = db;
}

static void geoip_scan_dir(struct geoip_scan *s, const char *dir)
{
	char **names = NULL, **tmp, path[PATH_MAX];
	size_t n = 0, i;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return;		/* a missing directory is normal */
	while ((de = readdir(d))) {
		if (!geoip_is_mmdb_name(de->d_name))
			continue;
		tmp = realloc(names, (n + 1) * sizeof(*names));
		if (!tmp)
			break;
		names = tmp;
		names[n] = strdup(de->d_name);
		if (!names[n])
			break;
		n++;
	}
	closedir(d);
	/* readdir() order is the file system's: sort for a stable choice. */
	qsort(names, n, sizeof(*names), geoip_cmp_names);
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     names[i]) < sizeof(path))
			geoip_try_file(s, path);
		free(names[i]);
	}
	free(names);
}

/* Cities before countries, then in the order found. */
static int geoip_cmp_dbs(const void *a, const void *b)
{
	const struct geoip_db *x = *(struct geoip_db *const *)a;
	const struct geoip_db *y = *(struct geoip_db *const *)b;

	if (x->city != y->city)
		return x->city ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void geoip_make_hint(const struct geoip_scan *s)
{
	char raw[sizeof(geoip_hint)];
	bool geo = false;
	size_t i;

	for (i = 0; i < geoip_ndbs; i++)
		if (geoip_dbs[i]->kind & GEOIP_KIND_GEO)
			geo = true;
	if (s->conf_why[0])
		snprintf(raw, sizeof(raw), "GeoIP: geoip.conf %s",
			 s->conf_why);
	else if (s->bad[0] && geo)
		snprintf(raw, sizeof(raw),
			 "GeoIP: skipped bad file %.200s (%.100s)", s->bad,
			 s->bad_why);
	else if (s->bad[0])
		snprintf(raw, sizeof(raw),
			 "GeoIP: bad file %.200s (%.100s): flowtop -u to "
			 "replace it", s->bad, s->bad_why);
	else if (!geoip_ndbs)
		snprintf(raw, sizeof(raw), "no GeoIP database: flowtop -u, "
			 "or install one to /var/lib/GeoIP");
	else if (!geo)
		snprintf(raw, sizeof(raw), "no GeoIP country database: "
			 "flowtop -u, or install one to /var/lib/GeoIP");
	else
		raw[0] = '\0';
	/* A file name is outside text too. */
	util_sanitize(geoip_hint, sizeof(geoip_hint), raw);
}

int geoip_table_new(_Atomic(struct geoip_table *) *root, size_t size)
{
	struct geoip_table *t;

	t = calloc(1, sizeof(*t) + size * sizeof(t->slot[0]));
	if (!t)
		return -ENOMEM;
	t->mask = size - 1;
	t->prev = atomic_load_explicit(root, memory_order_relaxed);
	atomic_store_explicit(root, t, memory_order_release);
	return 0;
}

int geoip_open(const char *conffile, const char *const *extra_dirs,
	       const char **hint, FILE *warn)
{
	static const char *const defaults[] = GEOIP_DEFAULT_DIRS;
	struct geoip_scan *s;
	size_t i;
	int err = 0;

	geoip_close();
	if (hint)
		*hint = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (i = 0; extra_dirs && extra_dirs[i] && !err; i++)
		err = geoip_add_dir(s, extra_dirs[i]);
	if (!err && conffile) {
		err = geoip_conf_foreach(conffile, geoip_conf_cb, s);
		/* Not a file, or a huge one: say so; a missing one is fine. */
		if (err == -EINVAL || err == -EFBIG) {
			util_read_file_why(s->conf_why, sizeof(s->conf_why),
					   err, GEOIP_CONF_MAX);
			if (warn)
				fprintf(warn, "flowtop: %s: %s\n", conffile,
					s->conf_why);
		}
		/* Without a readable conf file the defaults still work. */
		if (err && err != -ENOMEM)
			err = 0;
	}
	for (i = 0; !s->nodefault && i < 2 && !err; i++)
		err = geoip_add_dir(s, defaults[i]);
	for (i = 0; i < s->ndirs && !err && !s->err; i++)
		geoip_scan_dir(s, s->dirs[i]);
	if (!err)
		err = s->err;
	if (!err)
		err = geoip_table_new(&geoip_tab, GEOIP_TABLE_MIN);
	if (!err)
		err = geoip_table_new(&geoip_join, GEOIP_TABLE_MIN);
	if (!err) {
		qsort(geoip_dbs, geoip_ndbs, sizeof(geoip_dbs[0]),
		      geoip_cmp_dbs);
		geoip_make_hint(s);
		if (hint && geoip_hint[0])
			*hint = geoip_hint;
	}
	for (i = 0; i < s->ndirs; i++)
		free(s->dirs[i]);
	free(s->dirs);
	free(s);
	if (err) {
		geoip_close();
		return err;
	}
	return (int)geoip_ndbs;
}

void geoip_close(void)
{
	struct geoip_table *t, *prev;
	struct geoip_node *n, *next;
	size_t i;

	for (i = 0; i < geoip_ndbs; i++) {
		MMDB_close(&geoip_dbs[i]->mmdb);
		free(geoip_dbs[i]);
		geoip_dbs[i] = NULL;
	}
	geoip_ndbs = 0;
	for (t = atomic_load(&geoip_tab); t; t = prev) {
		prev = t->prev;
		free(t);
	}
	atomic_store(&geoip_tab, NULL);
	for (t = atomic_load(&geoip_join); t; t = prev) {
		prev = t->prev;
		free(t);
	}
	atomic_store(&geoip_join, NULL);
	for (n = geoip_all; n; n = next) {
		next = n->next_all;
		free(n);
	}
	geoip_all = NULL;
	geoip_nids = 0;
	for (i = 0; i < GEOIP_CHUNKS; i++) {
		free(atomic_load(&geoip_chunk[i]));
		atomic_store(&geoip_chunk[i], NULL);
	}
}
