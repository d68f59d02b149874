/* geoip: address to country, city and AS, from MaxMind DB (.mmdb) files.
 * geoip_db.c finds and opens the files; this file looks addresses up in
 * them, decodes the records and interns the results. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
