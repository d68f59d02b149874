/* geoip: address to country, city and AS, from MaxMind DB (.mmdb) files. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <maxminddb.h>

#include "geoip.h"
#include "geoip_impl.h"
#include "util.h"

struct geoip_db *geoip_dbs[GEOIP_MAX_DBS];
size_t geoip_ndbs;
/* Results by their strings; joined results by their two parts (interned,
 * so equal parts are one pointer and no string needs comparing). */
_Atomic(struct geoip_table *) geoip_tab, geoip_join;
static pthread_mutex_t geoip_lock = PTHREAD_MUTEX_INITIALIZER;
size_t geoip_nids;	/* ids given, under geoip_lock */
struct geoip_node *geoip_all;
/* Node by id, for the caches; chunks never move once published. */
_Atomic(struct geoip_node **) geoip_chunk[GEOIP_CHUNKS];

static char geoip_hint[400];

/* ISO 3166-1 alpha-2, sorted, plus XK (Kosovo) that databases use too. */
static const struct {
	char cc[3];
	const char *name;
} geoip_countries[] = {
	{ "AD", "Andorra" }, { "AE", "United Arab Emirates" },
	{ "AF", "Afghanistan" }, { "AG", "Antigua and Barbuda" },
	{ "AI", "Anguilla" }, { "AL", "Albania" }, { "AM", "Armenia" },
	{ "AO", "Angola" }, { "AQ", "Antarctica" }, { "AR", "Argentina" },
	{ "AS", "American Samoa" }, { "AT", "Austria" },
	{ "AU", "Australia" }, { "AW", "Aruba" },
	{ "AX", "\xc3\x85land Islands" }, { "AZ", "Azerbaijan" },
	{ "BA", "Bosnia and Herzegovina" }, { "BB", "Barbados" },
	{ "BD", "Bangladesh" }, { "BE", "Belgium" },
	{ "BF", "Burkina Faso" }, { "BG", "Bulgaria" }, { "BH", "Bahrain" },
	{ "BI", "Burundi" }, { "BJ", "Benin" },
	{ "BL", "Saint Barth\xc3\xa9lemy" }, { "BM", "Bermuda" },
	{ "BN", "Brunei" }, { "BO", "Bolivia" },
	{ "BQ", "Bonaire, Sint Eustatius, and Saba" }, { "BR", "Brazil" },
	{ "BS", "Bahamas" }, { "BT", "Bhutan" }, { "BV", "Bouvet Island" },
	{ "BW", "Botswana" }, { "BY", "Belarus" }, { "BZ", "Belize" },
	{ "CA", "Canada" }, { "CC", "Cocos (Keeling) Islands" },
	{ "CD", "DR Congo" }, { "CF", "Central African Republic" },
	{ "CG", "Congo Republic" }, { "CH", "Switzerland" },
	{ "CI", "Ivory Coast" }, { "CK", "Cook Islands" }, { "CL", "Chile" },
	{ "CM", "Cameroon" }, { "CN", "China" }, { "CO", "Colombia" },
	{ "CR", "Costa Rica" }, { "CU", "Cuba" }, { "CV", "Cabo Verde" },
	{ "CW", "Cura\xc3\xa7" "ao" }, { "CX", "Christmas Island" },
	{ "CY", "Cyprus" }, { "CZ", "Czechia" }, { "DE", "Germany" },
	{ "DJ", "Djibouti" }, { "DK", "Denmark" }, { "DM", "Dominica" },
	{ "DO", "Dominican Republic" }, { "DZ", "Algeria" },
	{ "EC", "Ecuador" }, { "EE", "Estonia" }, { "EG", "Egypt" },
	{ "EH", "Western Sahara" }, { "ER", "Eritrea" }, { "ES", "Spain" },
	{ "ET", "Ethiopia" }, { "FI", "Finland" }, { "FJ", "Fiji" },
	{ "FK", "Falkland Islands" }, { "FM", "Micronesia" },
	{ "FO", "Faroe Islands" }, { "FR", "France" }, { "GA", "Gabon" },
	{ "GB", "United Kingdom" }, { "GD", "Grenada" }, { "GE", "Georgia" },
	{ "GF", "French Guiana" }, { "GG", "Guernsey" }, { "GH", "Ghana" },
	{ "GI", "Gibraltar" }, { "GL", "Greenland" }, { "GM", "Gambia" },
	{ "GN", "Guinea" }, { "GP", "Guadeloupe" },
	{ "GQ", "Equatorial Guinea" }, { "GR", "Greece" },
	{ "GS", "South Georgia and the South Sandwich Islands" },
	{ "GT", "Guatemala" }, { "GU", "Guam" }, { "GW", "Guinea-Bissau" },
	{ "GY", "Guyana" }, { "HK", "Hong Kong" },
	{ "HM", "Heard Island and McDonald Islands" }, { "HN", "Honduras" },
	{ "HR", "Croatia" }, { "HT", "Haiti" }, { "HU", "Hungary" },
	{ "ID", "Indonesia" }, { "IE", "Ireland" }, { "IL", "Israel" },
	{ "IM", "Isle of Man" }, { "IN", "India" },
	{ "IO", "British Indian Ocean Territory" }, { "IQ", "Iraq" },
	{ "IR", "Iran" }, { "IS", "Iceland" }, { "IT", "Italy" },
	{ "JE", "Jersey" }, { "JM", "Jamaica" }, { "JO", "Jordan" },
	{ "JP", "Japan" }, { "KE", "Kenya" }, { "KG", "Kyrgyzstan" },
	{ "KH", "Cambodia" }, { "KI", "Kiribati" }, { "KM", "Comoros" },
	{ "KN", "Saint Kitts and Nevis" }, { "KP", "North Korea" },
	{ "KR", "South Korea" }, { "KW", "Kuwait" },
	{ "KY", "Cayman Islands" }, { "KZ", "Kazakhstan" }, { "LA", "Laos" },
	{ "LB", "Lebanon" }, { "LC", "Saint Lucia" },
	{ "LI", "Liechtenstein" }, { "LK", "Sri Lanka" }, { "LR", "Liberia" },
	{ "LS", "Lesotho" }, { "LT", "Lithuania" }, { "LU", "Luxembourg" },
	{ "LV", "Latvia" }, { "LY", "Libya" }, { "MA", "Morocco" },
	{ "MC", "Monaco" }, { "MD", "Moldova" }, { "ME", "Montenegro" },
	{ "MF", "Saint Martin" }, { "MG", "Madagascar" },
	{ "MH", "Marshall Islands" }, { "MK", "North Macedonia" },
	{ "ML", "Mali" }, { "MM", "Myanmar" }, { "MN", "Mongolia" },
	{ "MO", "Macao" }, { "MP", "Northern Mariana Islands" },
	{ "MQ", "Martinique" }, { "MR", "Mauritania" },
	{ "MS", "Montserrat" }, { "MT", "Malta" }, { "MU", "Mauritius" },
	{ "MV", "Maldives" }, { "MW", "Malawi" }, { "MX", "Mexico" },
	{ "MY", "Malaysia" }, { "MZ", "Mozambique" }, { "NA", "Namibia" },
	{ "NC", "New Caledonia" }, { "NE", "Niger" },
	{ "NF", "Norfolk Island" }, { "NG", "Nigeria" },
	{ "NI", "Nicaragua" }, { "NL", "Netherlands" }, { "NO", "Norway" },
	{ "NP", "Nepal" }, { "NR", "Nauru" }, { "NU", "Niue" },
	{ "NZ", "New Zealand" }, { "OM", "Oman" }, { "PA", "Panama" },
	{ "PE", "Peru" }, { "PF", "French Polynesia" },
	{ "PG", "Papua New Guinea" }, { "PH", "Philippines" },
	{ "PK", "Pakistan" }, { "PL", "Poland" },
	{ "PM", "Saint Pierre and Miquelon" }, { "PN", "Pitcairn Islands" },
	{ "PR", "Puerto Rico" }, { "PS", "Palestine" }, { "PT", "Portugal" },
	{ "PW", "Palau" }, { "PY", "Paraguay" }, { "QA", "Qatar" },
	{ "RE", "R\xc3\xa9union" }, { "RO", "Romania" }, { "RS", "Serbia" },
	{ "RU", "Russia" }, { "RW", "Rwanda" }, { "SA", "Saudi Arabia" },
	{ "SB", "Solomon Islands" }, { "SC", "Seychelles" },
	{ "SD", "Sudan" }, { "SE", "Sweden" }, { "SG", "Singapore" },
	{ "SH", "Saint Helena" }, { "SI", "Slovenia" },
	{ "SJ", "Svalbard and Jan Mayen" }, { "SK", "Slovakia" },
	{ "SL", "Sierra Leone" }, { "SM", "San Marino" }, { "SN", "Senegal" },
	{ "SO", "Somalia" }, { "SR", "Suriname" }, { "SS", "South Sudan" },
	{ "ST", "S\xc3\xa3o Tom\xc3\xa9 and Pr\xc3\xadncipe" },
	{ "SV", "El Salvador" }, { "SX", "Sint Maarten" }, { "SY", "Syria" },
	{ "SZ", "Eswatini" }, { "TC", "Turks and Caicos Islands" },
	{ "TD", "Chad" }, { "TF", "French Southern Territories" },
	{ "TG", "Togo" }, { "TH", "Thailand" }, { "TJ", "Tajikistan" },
	{ "TK", "Tokelau" }, { "TL", "Timor-Leste" },
	{ "TM", "Turkmenistan" }, { "TN", "Tunisia" }, { "TO", "Tonga" },
	{ "TR", "T\xc3\xbcrkiye" }, { "TT", "Trinidad and Tobago" },
	{ "TV", "Tuvalu" }, { "TW", "Taiwan" }, { "TZ", "Tanzania" },
	{ "UA", "Ukraine" }, { "UG", "Uganda" },
	{ "UM", "U.S. Outlying Islands" }, { "US", "United States" },
	{ "UY", "Uruguay" }, { "UZ", "Uzbekistan" }, { "VA", "Vatican City" },
	{ "VC", "Saint Vincent and the Grenadines" }, { "VE", "Venezuela" },
	{ "VG", "British Virgin Islands" }, { "VI", "U.S. Virgin Islands" },
	{ "VN", "Vietnam" }, { "VU", "Vanuatu" }, { "WF", "Wallis and Futuna" },
	{ "WS", "Samoa" }, { "XK", "Kosovo" }, { "YE", "Yemen" },
	{ "YT", "Mayotte" }, { "ZA", "South Africa" }, { "ZM", "Zambia" },
	{ "ZW", "Zimbabwe" },
};

const char *geoip_country_name(const char *cc)
{
	size_t lo = 0;
	size_t hi = sizeof(geoip_countries) / sizeof(geoip_countries[0]);
	char key[3];

	if (!cc || !isalpha((unsigned char)cc[0]) ||
	    !isalpha((unsigned char)cc[1]) || cc[2])
		return NULL;
	key[0] = (char)toupper((unsigned char)cc[0]);
	key[1] = (char)toupper((unsigned char)cc[1]);
	key[2] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, geoip_countries[mid].cc);

		if (!c)
			return geoip_countries[mid].name;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int geoip_conf_foreach(const char *conffile,
		       int (*cb)(const char *key, const char *value,
				 unsigned int line, void *arg),
		       void *arg)
{
	char *buf = NULL, *p, *key, *val, *end;
	unsigned int lineno = 0;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	f = fopen(conffile, "re");
	if (!f)
		return -errno;
	while (getline(&buf, &cap, f) >= 0) {
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
		if (ret)
			break;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	free(buf);
	fclose(f);
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
	if (s->bad[0] && geo)
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
	       const char **hint)
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

/* Copy a database string, untrusted, through util_sanitize(). */
static bool geoip_str(MMDB_entry_s *e, const char *const *path, char *dst,
		      size_t len)
{
	char raw[GEOIP_RAW_LEN];
	MMDB_entry_data_s d;
	size_t n;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING || !d.data_size)
		return false;
	n = d.data_size < sizeof(raw) - 1 ? d.data_size : sizeof(raw) - 1;
	memcpy(raw, d.utf8_string, n);
	raw[n] = '\0';
	util_sanitize(dst, len, raw);
	return dst[0] != '\0';
}

/* Entry of a sub-map, so that later keys are not searched from the top. */
static bool geoip_sub(MMDB_entry_s *e, const char *key, MMDB_entry_s *sub)
{
	const char *path[] = { key, NULL };
	MMDB_entry_data_s d;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_MAP)
		return false;
	sub->mmdb = e->mmdb;
	sub->offset = d.offset;
	return true;
}

static bool geoip_set_cc(struct geoip_buf *k, const char *cc)
{
	/* Two ASCII letters, else unknown; "ZZ" is DB-IP's unknown. */
	if (!isalpha((unsigned char)cc[0]) || !isalpha((unsigned char)cc[1]) ||
	    cc[2])
		return false;
	k->cc[0] = (char)toupper((unsigned char)cc[0]);
	k->cc[1] = (char)toupper((unsigned char)cc[1]);
	k->cc[2] = '\0';
	if (!strcmp(k->cc, "ZZ")) {
		k->cc[0] = '\0';
		return false;
	}
	return true;
}

static bool geoip_read_nested(MMDB_entry_s *e, struct geoip_buf *k)
{
	static const char *const iso[] = { "iso_code", NULL };
	static const char *const en[] = { "names", "en", NULL };
	MMDB_entry_s sub;
	char cc[8];

	/* GeoIP2 gives only registered_country to some networks. */
	if (geoip_sub(e, "country", &sub) ||
	    geoip_sub(e, "registered_country", &sub)) {
		if (geoip_str(&sub, iso, cc, sizeof(cc)) &&
		    geoip_set_cc(k, cc))
			geoip_str(&sub, en, k->country, sizeof(k->country));
	}
	if (geoip_sub(e, "city", &sub))
		geoip_str(&sub, en, k->city, sizeof(k->city));
	return k->cc[0] || k->city[0];
}

static bool geoip_read_flat(MMDB_entry_s *e, struct geoip_buf *k)
{
	static const char *const code[] = { "country_code", NULL };
	static const char *const name[] = { "country_name", NULL };
	static const char *const city[] = { "city", NULL };
	char cc[8];

	if (geoip_str(e, code, cc, sizeof(cc)) && geoip_set_cc(k, cc))
		geoip_str(e, name, k->country, sizeof(k->country));
	geoip_str(e, city, k->city, sizeof(k->city));
	return k->cc[0] || k->city[0];
}

static bool geoip_read_geo(const struct geoip_db *db, MMDB_entry_s *e,
			   struct geoip_buf *k)
{
	const char *name;

	if (!((db->schema & GEOIP_SCHEMA_NESTED) && geoip_read_nested(e, k)) &&
	    !((db->schema & GEOIP_SCHEMA_FLAT) && geoip_read_flat(e, k)))
		return false;
	if (k->cc[0] && !k->country[0]) {
		name = geoip_country_name(k->cc);
		if (name)
			snprintf(k->country, sizeof(k->country), "%s", name);
	}
	return true;
}

static bool geoip_read_asn(MMDB_entry_s *e, struct geoip_buf *k)
{
	static const char *const num[] = { "autonomous_system_number", NULL };
	static const char *const org[] = { "autonomous_system_organization",
					   NULL };
	MMDB_entry_data_s d;

	if (MMDB_aget_value(e, &d, num) != MMDB_SUCCESS || !d.has_data)
		return false;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT16:
		k->asn = d.uint16;
		break;
	case MMDB_DATA_TYPE_UINT32:
		k->asn = d.uint32;
		break;
	case MMDB_DATA_TYPE_UINT64:
		k->asn = d.uint64 <= UINT32_MAX ? (uint32_t)d.uint64 : 0;
		break;
	case MMDB_DATA_TYPE_INT32:
		k->asn = d.int32 > 0 ? (uint32_t)d.int32 : 0;
		break;
	default:
		return false;
	}
	geoip_str(e, org, k->org, sizeof(k->org));
	return k->asn || k->org[0];
}

static uint64_t geoip_hash_str(uint64_t h, const char *s)
{
	/* FNV-1a; the terminating NUL is hashed to keep fields apart. */
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	} while (*s++);
	return h;
}

static uint64_t geoip_hash_geo(const char *cc, const char *country,
			       const char *city)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = geoip_hash_str(h, cc);
	h = geoip_hash_str(h, country);
	return geoip_hash_str(h, city);
}

static uint64_t geoip_hash_asn(uint32_t asn, const char *org)
{
	uint64_t h = 0xcbf29ce484222325ull ^ asn;

	h *= 0x100000001b3ull;
	return geoip_hash_str(h, org);
}

static uint64_t geoip_hash(const struct geoip_ref *r)
{
	uint64_t h = r->hgeo ^ (r->hasn * 0x9e3779b97f4a7c15ull);

	return h ^ (h >> 31);
}

static uint64_t geoip_hash_join(const struct geoip_node *geo,
				const struct geoip_node *asn)
{
	uint64_t h = (uint64_t)(uintptr_t)geo * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)(uintptr_t)asn * 0xc2b2ae3d27d4eb4full;
	return h ^ (h >> 29);
}

/* Key of a lookup in a table: a ref for geoip_tab, two parts for
 * geoip_join. */
struct geoip_want {
	uint64_t hash;
	const struct geoip_ref *ref;
	const struct geoip_node *pgeo, *pasn;
};

static bool geoip_equal(const struct geoip_node *n,
			const struct geoip_want *w)
{
	const struct geoip_ref *r = w->ref;

	if (n->hash != w->hash)
		return false;
	if (!r)
		return n->pgeo == w->pgeo && n->pasn == w->pasn;
	return n->hgeo == r->hgeo && n->hasn == r->hasn &&
	       n->info.asn == r->asn && !strcmp(n->info.cc, r->cc) &&
	       !strcmp(n->info.city, r->city) &&
	       !strcmp(n->info.as_org, r->org) &&
	       !strcmp(n->info.country, r->country);
}

static struct geoip_node *geoip_find(struct geoip_table *t,
				     const struct geoip_want *w)
{
	size_t i;

	for (i = w->hash & t->mask;; i = (i + 1) & t->mask) {
		struct geoip_node *n = atomic_load_explicit(
			&t->slot[i], memory_order_acquire);

		if (!n)
			return NULL;
		if (geoip_equal(n, w))
			return n;
	}
}

static void geoip_put(struct geoip_table *t, struct geoip_node *n)
{
	size_t i;

	for (i = n->hash & t->mask;
	     atomic_load_explicit(&t->slot[i], memory_order_relaxed);
	     i = (i + 1) & t->mask)
		;
	atomic_store_explicit(&t->slot[i], n, memory_order_release);
}

static struct geoip_node *geoip_node_new(const struct geoip_ref *r)
{
	size_t lc = strlen(r->country) + 1, li = strlen(r->city) + 1;
	size_t lo = strlen(r->org) + 1;
	struct geoip_node *n = calloc(1, sizeof(*n) + lc + li + lo);
	char *p;

	if (!n)
		return NULL;
	snprintf(n->info.cc, sizeof(n->info.cc), "%s", r->cc);
	p = n->str;
	n->info.country = memcpy(p, r->country, lc);
	p += lc;
	n->info.city = memcpy(p, r->city, li);
	p += li;
	n->info.as_org = memcpy(p, r->org, lo);
	n->info.asn = r->asn;
	n->hgeo = r->hgeo;
	n->hasn = r->hasn;
	return n;
}

/* Give n an id in geoip_chunk, or UINT32_MAX when full; under the lock. */
static void geoip_node_id(struct geoip_node *n)
{
	size_t c = geoip_nids >> GEOIP_CHUNK_BITS;
	struct geoip_node **chunk;

	n->id = UINT32_MAX;
	if (c >= GEOIP_CHUNKS)
		return;
	chunk = atomic_load_explicit(&geoip_chunk[c], memory_order_relaxed);
	if (!chunk) {
		chunk = calloc(1u << GEOIP_CHUNK_BITS, sizeof(*chunk));
		if (!chunk)
			return;
		atomic_store_explicit(&geoip_chunk[c], chunk,
				      memory_order_release);
	}
	chunk[geoip_nids & ((1u << GEOIP_CHUNK_BITS) - 1)] = n;
	n->id = (uint32_t)geoip_nids++;
}

/* Find or add; r gives the strings of a new node. */
static const struct geoip_node *geoip_intern_in(
	_Atomic(struct geoip_table *) *root, const struct geoip_want *w,
	const struct geoip_ref *r)
{
	struct geoip_table *t, *nt;
	struct geoip_node *n;
	size_t i;

	t = atomic_load_explicit(root, memory_order_acquire);
	if (!t)
		return NULL;
	n = geoip_find(t, w);
	if (n)
		return n;

	pthread_mutex_lock(&geoip_lock);
	t = atomic_load_explicit(root, memory_order_acquire);
	n = geoip_find(t, w);
	if (n)
		goto out;
	if ((t->count + 1) * 2 > t->mask + 1) {
		/* Keep the load at most 1/2 so that probes stay short. */
		if (geoip_table_new(root, (t->mask + 1) * 2))
			goto out;
		nt = atomic_load_explicit(root, memory_order_relaxed);
		nt->count = t->count;
		for (i = 0; i <= t->mask; i++) {
			struct geoip_node *o = atomic_load_explicit(
				&t->slot[i], memory_order_relaxed);

			if (o)
				geoip_put(nt, o);
		}
		t = nt;
	}
	n = geoip_node_new(r);
	if (!n)
		goto out;
	n->hash = w->hash;
	n->pgeo = w->pgeo;
	n->pasn = w->pasn;
	/* Only parts go into the caches. */
	if (root == &geoip_tab)
		geoip_node_id(n);
	else
		n->id = UINT32_MAX;
	n->next_all = geoip_all;
	geoip_all = n;
	t->count++;
	geoip_put(t, n);
out:
	pthread_mutex_unlock(&geoip_lock);
	return n;
}

static const struct geoip_node *geoip_intern(const struct geoip_ref *r)
{
	struct geoip_want w = { geoip_hash(r), r, NULL, NULL };

	return geoip_intern_in(&geoip_tab, &w, r);
}

/* Place and AS parts into one result. */
static const struct geoip_node *geoip_intern_join(const struct geoip_node *g,
						  const struct geoip_node *a)
{
	struct geoip_want w = { geoip_hash_join(g, a), NULL, g, a };
	struct geoip_ref r = {
		g->info.cc, g->info.country, g->info.city, a->info.asn,
		a->info.as_org, g->hgeo, a->hasn,
	};

	return geoip_intern_in(&geoip_join, &w, &r);
}

static const struct geoip_node *geoip_node_by_id(uint32_t id)
{
	struct geoip_node **chunk = atomic_load_explicit(
		&geoip_chunk[id >> GEOIP_CHUNK_BITS], memory_order_acquire);

	return chunk[id & ((1u << GEOIP_CHUNK_BITS) - 1)];
}

/* Decode the place (or AS) part of a record into an interned node. */
static int geoip_decode_part(const struct geoip_db *db, unsigned int kind,
			     MMDB_entry_s *e, const struct geoip_node **part)
{
	struct geoip_ref r = { "", "", "", 0, "", 0, 0 };
	struct geoip_buf b;

	memset(&b, 0, sizeof(b));
	*part = NULL;
	if (kind == GEOIP_KIND_GEO) {
		if (!geoip_read_geo(db, e, &b))
			return 0;
		r.cc = b.cc;
		r.country = b.country;
		r.city = b.city;
	} else {
		if (!geoip_read_asn(e, &b))
			return 0;
		r.asn = b.asn;
		r.org = b.org;
	}
	r.hgeo = geoip_hash_geo(r.cc, r.country, r.city);
	r.hasn = geoip_hash_asn(r.asn, r.org);
	*part = geoip_intern(&r);
	return *part ? 0 : -ENOMEM;
}

static const struct geoip_node *geoip_part(struct geoip_db *db,
					   unsigned int kind, MMDB_entry_s *e)
{
	_Atomic uint64_t *cache = kind == GEOIP_KIND_GEO ? db->geo_cache :
							   db->asn_cache;
	uint32_t slot = (e->offset * 0x9e3779b1u) >> (32 - GEOIP_CACHE_BITS);
	const struct geoip_node *part;
	uint64_t w;
	uint32_t id;

	w = atomic_load_explicit(&cache[slot], memory_order_acquire);
	id = (uint32_t)w;
	if (id && (uint32_t)(w >> 32) == e->offset)
		return id == GEOIP_NO_PART ? NULL : geoip_node_by_id(id - 1);
	if (geoip_decode_part(db, kind, e, &part))
		return NULL;		/* out of memory: try again later */
	id = part ? part->id + 1 : GEOIP_NO_PART;
	/* id + 1 wraps to 0 for a node without id: left out of the cache. */
	if (id)
		atomic_store_explicit(&cache[slot],
				      (uint64_t)e->offset << 32 | id,
				      memory_order_release);
	return part;
}

const struct geo_info *geoip_lookup(int family, const void *addr)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct geoip_node *geo = NULL, *asn = NULL, *n;
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	const struct sockaddr *sa;
	bool v6;
	size_t i;

	if (!geoip_ndbs || !addr)
		return NULL;
	if (family == AF_INET6 && !memcmp(addr, mapped, sizeof(mapped))) {
		/* ::ffff:a.b.c.d is an IPv4 peer of a dual-stack socket. */
		family = AF_INET;
		addr = (const uint8_t *)addr + 12;
	}
	if (family == AF_INET) {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		memcpy(&s4.sin_addr, addr, 4);
		sa = (const struct sockaddr *)&s4;
		v6 = false;
	} else if (family == AF_INET6) {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		memcpy(&s6.sin6_addr, addr, 16);
		sa = (const struct sockaddr *)&s6;
		v6 = true;
	} else {
		return NULL;
	}

	for (i = 0; i < geoip_ndbs && !(geo && asn); i++) {
		struct geoip_db *db = geoip_dbs[i];
		bool want_geo = (db->kind & GEOIP_KIND_GEO) && !geo;
		bool want_asn = (db->kind & GEOIP_KIND_ASN) && !asn;
		MMDB_lookup_result_s res;
		int err = MMDB_SUCCESS;

		if ((v6 ? !db->v6 : !db->v4) || !(want_geo || want_asn))
			continue;
		res = MMDB_lookup_sockaddr(&db->mmdb, sa, &err);
		/* A broken spot in a file is a miss, not a reason to stop. */
		if (err != MMDB_SUCCESS || !res.found_entry)
			continue;
		if (want_geo)
			geo = geoip_part(db, GEOIP_KIND_GEO, &res.entry);
		if (want_asn)
			asn = geoip_part(db, GEOIP_KIND_ASN, &res.entry);
	}
	if (!geo || !asn) {
		n = geo ? geo : asn;
		return n ? &n->info : NULL;
	}
	n = geoip_intern_join(geo, asn);
	return n ? &n->info : NULL;
}
