/* Unit tests for geoip.c: lookups in .mmdb files that the test writes with
 * tests/tools/mkmmdb.py, both schemas, both families, ASN, bad files. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <maxminddb.h>

#include "check.h"
#include "geoip.h"

static char tmpdir[64];
static char conf_nodef[128];
static const char *mkmmdb;
static bool have_mmdblookup;

/* Write text to path, with ' turned into " so that JSON reads in C. */
static int write_json(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	const char *p;

	if (!f)
		return -1;
	for (p = text; *p; p++)
		fputc(*p == '\'' ? '"' : *p, f);
	return fclose(f) ? -1 : 0;
}

static int run(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static void mkdir_sub(const char *sub)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, sub);
	mkdir(path, 0755);
}

/* Write <tmpdir>/<rel> (a .mmdb) from a JSON description. */
static bool make_db(const char *rel, const char *json)
{
	char jpath[256], out[256], cmd[1024];
	int rc;

	snprintf(jpath, sizeof(jpath), "%s/in.json", tmpdir);
	snprintf(out, sizeof(out), "%s/%s", tmpdir, rel);
	if (write_json(jpath, json)) {
		fprintf(stderr, "cannot write %s\n", jpath);
		return false;
	}
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' '%s'", mkmmdb, jpath,
		 out);
	rc = run(cmd);
	if (rc)
		fprintf(stderr, "mkmmdb.py failed (%d) for %s\n", rc, rel);
	return rc == 0;
}

static void path_of(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", tmpdir, rel);
}

static const struct geo_info *look(const char *text)
{
	unsigned char a[16];
	int fam = strchr(text, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(fam, text, a) != 1) {
		fprintf(stderr, "bad address %s\n", text);
		return NULL;
	}
	return geoip_lookup(fam, a);
}

/* Open with only the given dirs of tmpdir (NULL-terminated list). */
static int open_dirs(const char *d1, const char *d2, const char **hint)
{
	char p1[256], p2[256];
	const char *dirs[3] = { NULL, NULL, NULL };

	if (d1) {
		path_of(p1, sizeof(p1), d1);
		dirs[0] = p1;
	}
	if (d2) {
		path_of(p2, sizeof(p2), d2);
		dirs[1] = p2;
	}
	return geoip_open(conf_nodef, dirs, hint, NULL);
}

static void check_geo(const char *addr, const char *cc, const char *country,
		      const char *city, uint32_t asn, const char *org)
{
	const struct geo_info *g = look(addr);

	if (!g) {
		fprintf(stderr, "%s: no result\n", addr);
		CHECK(g != NULL);
		return;
	}
	CHECK_STR(g->cc, cc);
	CHECK_STR(g->country, country);
	CHECK_STR(g->city, city);
	CHECK(g->asn == asn);
	if (g->asn != asn)
		fprintf(stderr, "%s: asn %u, expected %u\n", addr, g->asn, asn);
	CHECK_STR(g->as_org, org);
}

/* One value as mmdblookup prints it: "text" <utf8_string> or 123 <uint32>. */
static bool mmdb_cli(const char *rel, const char *ip, const char *path,
		     char *out, size_t len)
{
	char cmd[512], line[512], *p, *q;
	bool found = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mmdblookup --file '%s/%s' --ip %s %s "
		 "2>/dev/null", tmpdir, rel, ip, path);
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " \t");
		q = strstr(p, " <");
		if (!q || p == q)
			continue;
		*q = '\0';
		if (*p == '"' && q > p + 1 && q[-1] == '"') {
			p++;
			q[-1] = '\0';
		}
		snprintf(out, len, "%s", p);
		found = true;
	}
	pclose(f);
	return found;
}

static void compare_cli(const char *rel, const char *ip, const char *path,
			const char *ours)
{
	char theirs[256];

	if (!have_mmdblookup)
		return;
	if (!mmdb_cli(rel, ip, path, theirs, sizeof(theirs))) {
		fprintf(stderr, "mmdblookup gave nothing for %s %s %s\n", rel,
			ip, path);
		CHECK(0);
		return;
	}
	CHECK_STR(ours, theirs);
}

/* GeoIP2-City layout, IPv6 tree with IPv4 at ::/96, 28-bit records. */
static const char *const db_geoip2 =
	"{'ip_version': 6, 'database_type': 'GeoIP2-City', 'record_size': 28,"
	" 'languages': ['de', 'en'], 'description': {'en': 'unit test'},"
	" 'networks': {"
	"  '192.0.2.0/26': {'city': {'geoname_id': 1, 'names': {'de': "
	"     'Beispielstadt', 'en': 'Sampleton'}},"
	"   'continent': {'code': 'EU', 'names': {'en': 'Europe'}},"
	"   'country': {'geoname_id': 2921044, 'iso_code': 'DE', 'names': "
	"     {'de': 'Deutschland', 'en': 'Germany'}},"
	"   'location': {'latitude': 1.5, 'longitude': 2.5}},"
	"  '192.0.2.64/26': {'city': {'geoname_id': 1, 'names': {'de': "
	"     'Beispielstadt', 'en': 'Sampleton'}},"
	"   'country': {'iso_code': 'DE', 'names': {'en': 'Germany'}},"
	"   'location': {'latitude': 9.5, 'longitude': 2.5}},"
	"  '192.0.2.128/25': {'country': {'iso_code': 'FR', 'names': "
	"     {'en': 'France'}}},"
	"  '198.51.100.0/24': {'registered_country': {'iso_code': 'NL', "
	"     'names': {'en': 'Netherlands'}}},"
	"  '2001:db8:1::/48': {'city': {'names': {'en': 'Tokyo'}},"
	"   'country': {'iso_code': 'JP', 'names': {'en': 'Japan', "
	"     'ja': '\\u65e5\\u672c'}}},"
	"  '2001:db8:bad::/48': {'city': {'names': {'en': "
	"     '\\u001b[31mEvil\\u001b]0;pwn\\u0007City'}},"
	"   'country': {'iso_code': 'GB', 'names': {'en': 'Ev\\u009bil'}}},"
	"  '2001:db8:bad:1::/64': {'city': {'names': {'en': "
	"     {'$type': 'utf8_string', 'hex': '4261ff64'}}},"
	"   'country': {'iso_code': '\\u001b[', 'names': {'en': 'x'}}},"
	"  '2001:db8:bad:2::/64': {'city': {'names': {'en': '%s'}},"
	"   'country': {'iso_code': 'us'}}"
	" }}";

/* DB-IP lite layout (GeoIP2-compatible), 24-bit records. */
static const char *const db_dbip =
	"{'ip_version': 6, 'database_type': 'DBIP-City-Lite',"
	" 'record_size': 24, 'languages': ['en'], 'networks': {"
	"  '203.0.113.0/25': {'city': {'names': {'en': 'Exampleville'}},"
	"   'continent': {'code': 'OC', 'geoname_id': 6255151, 'names': "
	"     {'en': 'Oceania'}},"
	"   'country': {'geoname_id': 2077456, 'is_in_european_union': false,"
	"     'iso_code': 'AU', 'names': {'en': 'Australia'}},"
	"   'location': {'latitude': -27.5, 'longitude': 153.0},"
	"   'subdivisions': [{'names': {'en': 'Queensland'}}]},"
	"  '203.0.113.128/25': {'city': {'names': {'de': 'Nur Deutsch'}},"
	"   'country': {'iso_code': 'NZ', 'names': {'en': 'New Zealand'}}},"
	"  '2001:db8:2::/48': {'city': {'names': {'en': 'Toronto'}},"
	"   'country': {'iso_code': 'CA', 'names': {'en': 'Canada'}}}"
	" }}";

/* ip-location-db flat layout, one file per family, plus ASN files. */
static const char *const db_flat4 =
	"{'ip_version': 4, 'database_type': 'city ipv4', 'record_size': 32,"
	" 'networks': {"
	"  '192.0.2.0/24': {'city': 'Springfield', 'country_code': 'US',"
	"   'latitude': 39.8, 'longitude': -89.6, 'postcode': '62701',"
	"   'state1': 'Illinois', 'timezone': 'America/Chicago'},"
	"  '198.51.100.0/24': {'city': 'S\\u00e3o Paulo', "
	"   'country_code': 'BR'},"
	"  '203.0.113.0/24': {'country_code': 'CH',"
	"   'country_name': 'Custom Land'}"
	" }}";
static const char *const db_flat6 =
	"{'ip_version': 6, 'database_type': 'city ipv6', 'networks': {"
	"  '2001:db8:3::/48': {'city': 'Stockholm', 'country_code': 'SE'}"
	" }}";
static const char *const db_asn4 =
	"{'ip_version': 4, 'database_type': 'asn ipv4', 'networks': {"
	"  '192.0.2.0/24': {'autonomous_system_number': 64500,"
	"   'autonomous_system_organization': 'Example Transit'}"
	" }}";
static const char *const db_asn6 =
	"{'ip_version': 6, 'database_type': 'asn ipv6', 'networks': {"
	"  '2001:db8:3::/48': {'autonomous_system_number': 64501,"
	"   'autonomous_system_organization': 'Example Six'}"
	" }}";

/* GeoLite2-ASN layout, both families in one tree. */
static const char *const db_geolite_asn =
	"{'ip_version': 6, 'database_type': 'GeoLite2-ASN', 'networks': {"
	"  '192.0.2.0/24': {'autonomous_system_number': 64496,"
	"   'autonomous_system_organization': 'Doc Net \\u001b[2J'},"
	"  '203.0.113.0/24': {'autonomous_system_number': "
	"   {'$type': 'uint16', 'value': 64498}},"
	"  '2001:db8:1::/48': {'autonomous_system_number': 64497,"
	"   'autonomous_system_organization': 'Tokyo Net'}"
	" }}";

static const char *const db_anon =
	"{'ip_version': 6, 'database_type': 'GeoIP2-Anonymous-IP',"
	" 'networks': {'192.0.2.0/24': {'is_anonymous': true}}}";

static const char *const db_country =
	"{'ip_version': 6, 'database_type': 'GeoLite2-Country', 'networks': {"
	"  '192.0.2.0/24': {'country': {'iso_code': 'IT', 'names': "
	"   {'en': 'Italy'}}},"
	"  '203.0.113.0/24': {'country': {'iso_code': 'IT', 'names': "
	"   {'en': 'Italy'}}}}}";

static const char *const db_mystery =
	"{'ip_version': 4, 'database_type': 'Mystery', 'networks': {"
	"  '192.0.2.0/24': {'country_code': 'IS', 'city': 'Reykjavik'}}}";

static bool setup(void)
{
	char buf[8192], longcity[512];
	size_t i;
	bool ok = true;

	for (i = 0; i < 200; i++)
		memcpy(longcity + 2 * i, "\xc3\xa9", 2);	/* é */
	longcity[400] = '\0';
	snprintf(buf, sizeof(buf), db_geoip2, longcity);

	mkdir_sub("a");
	mkdir_sub("b");
	mkdir_sub("c");
	mkdir_sub("e");
	mkdir_sub("g");
	mkdir_sub("h");
	mkdir_sub("k");
	ok &= make_db("a/GeoIP2-City-Test.mmdb", buf);
	ok &= make_db("b/dbip-city-lite.mmdb", db_dbip);
	ok &= make_db("c/dbip-city-ipv4.mmdb", db_flat4);
	ok &= make_db("c/dbip-city-ipv6.mmdb", db_flat6);
	ok &= make_db("c/asn-ipv4.mmdb", db_asn4);
	ok &= make_db("c/asn-ipv6.mmdb", db_asn6);
	ok &= make_db("e/GeoLite2-ASN.mmdb", db_geolite_asn);
	ok &= make_db("g/GeoIP2-Anonymous-IP.mmdb", db_anon);
	ok &= make_db("h/whatever.mmdb", db_mystery);
	ok &= make_db("k/GeoLite2-Country.mmdb", db_country);
	return ok;
}

static void test_geoip2(void)
{
	const struct geo_info *g, *g2;
	const char *hint = "unset";
	char buf[64];
	int n;

	n = open_dirs("a", NULL, &hint);
	CHECK(n == 1);
	CHECK(hint == NULL);
	check_geo("192.0.2.1", "DE", "Germany", "Sampleton", 0, "");
	check_geo("192.0.2.130", "FR", "France", "", 0, "");
	/* Only registered_country in the record. */
	check_geo("198.51.100.20", "NL", "Netherlands", "", 0, "");
	check_geo("2001:db8:1::42", "JP", "Japan", "Tokyo", 0, "");
	CHECK(look("203.0.113.1") == NULL);
	CHECK(look("2001:db8:9::1") == NULL);
	CHECK(look("127.0.0.1") == NULL);
	CHECK(look("::1") == NULL);

	/* Interning: equal results share one struct, across records. */
	g = look("192.0.2.1");
	g2 = look("192.0.2.70");
	CHECK(g && g == g2);
	CHECK(g == look("192.0.2.1"));
	CHECK(g == look("::ffff:192.0.2.5"));
	CHECK(g != look("192.0.2.130"));
	/* 6to4 and ::ffff:0:0/96 alias the IPv4 part in the writer too. */
	CHECK(g == look("2002:c000:0201::1"));

	/* Hostile strings come out inert. */
	check_geo("2001:db8:bad::1", "GB", "Ev?il", "?[31mEvil?]0;pwn?City",
		  0, "");
	check_geo("2001:db8:bad:1::1", "", "", "Ba?d", 0, "");
	g = look("2001:db8:bad:2::1");
	CHECK(g != NULL);
	if (g) {
		size_t len = strlen(g->city);

		CHECK_STR(g->cc, "US");
		CHECK_STR(g->country, "United States");
		/* Cut, but at a character boundary: whole "é" only. */
		CHECK(len > 40 && len < 200 && len % 2 == 0);
		CHECK(strspn(g->city, "\xc3\xa9") == len);
	}

	compare_cli("a/GeoIP2-City-Test.mmdb", "192.0.2.1", "country iso_code",
		    "DE");
	compare_cli("a/GeoIP2-City-Test.mmdb", "192.0.2.1", "city names en",
		    "Sampleton");
	compare_cli("a/GeoIP2-City-Test.mmdb", "2001:db8:1::42",
		    "country names en", "Japan");
	g = look("192.0.2.130");
	compare_cli("a/GeoIP2-City-Test.mmdb", "192.0.2.130",
		    "country iso_code", g ? g->cc : "?");
	g = look("198.51.100.20");
	compare_cli("a/GeoIP2-City-Test.mmdb", "198.51.100.20",
		    "registered_country names en", g ? g->country : "?");
	if (have_mmdblookup)
		CHECK(!mmdb_cli("a/GeoIP2-City-Test.mmdb", "203.0.113.1",
				"country iso_code", buf, sizeof(buf)));
	geoip_close();
	/* After close nothing is known. */
	CHECK(look("192.0.2.1") == NULL);
}

static void test_dbip(void)
{
	const char *hint = "unset";

	CHECK(open_dirs("b", NULL, &hint) == 1);
	CHECK(hint == NULL);
	check_geo("203.0.113.9", "AU", "Australia", "Exampleville", 0, "");
	/* A city without an English name is no city. */
	check_geo("203.0.113.200", "NZ", "New Zealand", "", 0, "");
	check_geo("2001:db8:2:ffff::1", "CA", "Canada", "Toronto", 0, "");
	CHECK(look("192.0.2.1") == NULL);
	compare_cli("b/dbip-city-lite.mmdb", "203.0.113.9", "city names en",
		    "Exampleville");
	compare_cli("b/dbip-city-lite.mmdb", "2001:db8:2::1",
		    "country iso_code", "CA");
	geoip_close();
}

static void test_flat(void)
{
	const struct geo_info *g;
	const char *hint = "unset";
	char num[32];

	/* Four files: two per family, city and ASN. */
	CHECK(open_dirs("c", NULL, &hint) == 4);
	CHECK(hint == NULL);
	check_geo("192.0.2.9", "US", "United States", "Springfield", 64500,
		  "Example Transit");
	check_geo("198.51.100.7", "BR", "Brazil", "S\xc3\xa3o Paulo", 0, "");
	check_geo("203.0.113.7", "CH", "Custom Land", "", 0, "");
	check_geo("2001:db8:3::1", "SE", "Sweden", "Stockholm", 64501,
		  "Example Six");
	CHECK(look("2001:db8:1::1") == NULL);
	compare_cli("c/dbip-city-ipv4.mmdb", "192.0.2.9", "country_code", "US");
	compare_cli("c/dbip-city-ipv4.mmdb", "198.51.100.7", "city",
		    "S\xc3\xa3o Paulo");
	compare_cli("c/dbip-city-ipv6.mmdb", "2001:db8:3::1", "city",
		    "Stockholm");
	g = look("192.0.2.9");
	snprintf(num, sizeof(num), "%u", g ? g->asn : 0);
	compare_cli("c/asn-ipv4.mmdb", "192.0.2.9", "autonomous_system_number",
		    num);
	compare_cli("c/asn-ipv4.mmdb", "192.0.2.9",
		    "autonomous_system_organization", g ? g->as_org : "?");
	geoip_close();
}

static void test_asn_merge(void)
{
	const struct geo_info *de, *fr;
	const char *hint = "unset";

	CHECK(open_dirs("a", "e", &hint) == 2);
	CHECK(hint == NULL);
	check_geo("192.0.2.1", "DE", "Germany", "Sampleton", 64496,
		  "Doc Net ?[2J");
	check_geo("2001:db8:1::1", "JP", "Japan", "Tokyo", 64497, "Tokyo Net");
	/* AS only, and a uint16 number. */
	check_geo("203.0.113.1", "", "", "", 64498, "");
	de = look("192.0.2.1");
	fr = look("192.0.2.200");
	CHECK(de && fr && de != fr);
	CHECK(de == look("192.0.2.100"));
	CHECK(fr && fr->asn == 64496);
	geoip_close();

	/* ASN alone: works, with a hint that places are missing. */
	CHECK(open_dirs("e", NULL, &hint) == 1);
	CHECK(hint && strstr(hint, "no GeoIP country database"));
	check_geo("192.0.2.1", "", "", "", 64496, "Doc Net ?[2J");
	geoip_close();
}

static void test_kinds(void)
{
	const char *hint = NULL;

	/* Anonymous-IP answers nothing we show. */
	CHECK(open_dirs("g", NULL, &hint) == 0);
	CHECK(hint && strstr(hint, "no GeoIP database"));
	CHECK(look("192.0.2.1") == NULL);
	geoip_close();
	/* City databases are asked before country ones found earlier. */
	CHECK(open_dirs("k", "a", &hint) == 2);
	check_geo("192.0.2.1", "DE", "Germany", "Sampleton", 0, "");
	check_geo("192.0.2.130", "FR", "France", "", 0, "");
	check_geo("203.0.113.1", "IT", "Italy", "", 0, "");
	geoip_close();
	/* An unknown type name, recognised by its records. */
	CHECK(open_dirs("h", NULL, &hint) == 1);
	check_geo("192.0.2.1", "IS", "Iceland", "Reykjavik", 0, "");
	geoip_close();
}

static void test_missing(void)
{
	const char *hint = NULL;

	CHECK(open_dirs("nonexistent", NULL, &hint) == 0);
	CHECK_STR(hint, "no GeoIP database: flowtop -u, or install one to "
		  "/var/lib/GeoIP");
	CHECK(look("192.0.2.1") == NULL);
	CHECK(look("2001:db8::1") == NULL);
	geoip_close();
	CHECK(geoip_lookup(AF_INET, "\xc0\x00\x02\x01") == NULL);
}

static bool copy_file(const char *from, const char *to, long keep)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;
	long total = 0;
	bool ok = in && out;

	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0) {
		if (keep >= 0 && total + (long)n > keep)
			n = (size_t)(keep - total);
		ok = fwrite(buf, 1, n, out) == n;
		total += (long)n;
		if (keep >= 0 && total >= keep)
			break;
	}
	if (in)
		fclose(in);
	if (out && fclose(out))
		ok = false;
	return ok;
}

/* Overwrite len bytes at off with 0xff. */
static bool smash(const char *path, long off, long len)
{
	FILE *f = fopen(path, "r+b");
	bool ok = f && !fseek(f, off, SEEK_SET);
	long i;

	for (i = 0; ok && i < len; i++)
		ok = fputc(0xff, f) != EOF;
	if (f && fclose(f))
		ok = false;
	return ok;
}

static void test_corrupt(void)
{
	char good[256], bad[256], p[256], why[128];
	const char *hint = NULL;
	uint32_t x = 2463534242u;
	long size, data_off, tree_len;
	FILE *f;
	MMDB_s m;
	int i;

	path_of(good, sizeof(good), "a/GeoIP2-City-Test.mmdb");
	mkdir_sub("f");
	mkdir_sub("f1");
	mkdir_sub("f2");
	mkdir_sub("f3");
	mkdir_sub("f4");
	f = fopen(good, "rb");
	CHECK(f && !fseek(f, 0, SEEK_END));
	size = f ? ftell(f) : 0;
	if (f)
		fclose(f);
	CHECK(MMDB_open(good, MMDB_MODE_MMAP, &m) == MMDB_SUCCESS);
	data_off = (long)(m.data_section - m.file_content);
	tree_len = data_off - 16;
	MMDB_close(&m);
	CHECK(size > 1000 && tree_len > 100);

	/* Truncated: the metadata at the end is gone. */
	path_of(bad, sizeof(bad), "f1/GeoLite2-City.mmdb");
	CHECK(copy_file(good, bad, size / 2));
	/* Random bytes. */
	path_of(p, sizeof(p), "f2/random.mmdb");
	f = fopen(p, "wb");
	for (i = 0; f && i < 4096; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		fputc((int)(x & 0xff), f);
	}
	CHECK(f && !fclose(f));
	/* Valid metadata, broken search tree. */
	path_of(p, sizeof(p), "f3/badtree.mmdb");
	CHECK(copy_file(good, p, -1) && smash(p, 0, tree_len));
	/* Valid metadata and tree, broken data section. */
	path_of(p, sizeof(p), "f4/baddata.mmdb");
	CHECK(copy_file(good, p, -1) &&
	      smash(p, data_off, size - data_off - 200));

	CHECK(geoip_db_check(good, why, sizeof(why)) == 0);
	CHECK_STR(why, "");
	path_of(p, sizeof(p), "f1/GeoLite2-City.mmdb");
	CHECK(geoip_db_check(p, why, sizeof(why)) == -EBADMSG);
	CHECK(why[0] != '\0');
	path_of(p, sizeof(p), "f2/random.mmdb");
	CHECK(geoip_db_check(p, why, sizeof(why)) == -EBADMSG);
	path_of(p, sizeof(p), "f3/badtree.mmdb");
	CHECK(geoip_db_check(p, why, sizeof(why)) == -EBADMSG);
	CHECK(strstr(why, "tree") != NULL);
	path_of(p, sizeof(p), "f4/baddata.mmdb");
	CHECK(geoip_db_check(p, why, sizeof(why)) == -EBADMSG);
	path_of(p, sizeof(p), "f4/none.mmdb");
	CHECK(geoip_db_check(p, why, sizeof(why)) == -ENOENT);

	/* Each bad file alone: nothing opens, the hint names it. */
	CHECK(open_dirs("f1", NULL, &hint) == 0);
	CHECK(hint && strstr(hint, "f1/GeoLite2-City.mmdb") &&
	      strstr(hint, "bad file"));
	geoip_close();
	CHECK(open_dirs("f2", NULL, &hint) == 0);
	CHECK(hint && strstr(hint, "f2/random.mmdb"));
	geoip_close();
	CHECK(open_dirs("f3", NULL, &hint) == 0);
	CHECK(hint && strstr(hint, "f3/badtree.mmdb"));
	geoip_close();
	CHECK(open_dirs("f4", NULL, &hint) == 0);
	CHECK(hint && strstr(hint, "f4/baddata.mmdb"));
	CHECK(look("192.0.2.1") == NULL);
	geoip_close();

	/* Beside a good one: the good one works, the hint names a bad one. */
	path_of(p, sizeof(p), "f/GeoLite2-City.mmdb");
	CHECK(copy_file(good, p, size / 2));
	path_of(p, sizeof(p), "f/z-good.mmdb");
	CHECK(copy_file(good, p, -1));
	CHECK(open_dirs("f", NULL, &hint) == 1);
	CHECK(hint && strstr(hint, "skipped bad file") &&
	      strstr(hint, "f/GeoLite2-City.mmdb"));
	check_geo("192.0.2.1", "DE", "Germany", "Sampleton", 0, "");
	geoip_close();
}

static int conf_seen;
static char conf_log[512];

static int conf_cb(const char *key, const char *value, unsigned int line,
		   void *arg)
{
	size_t n = strlen(conf_log);

	(void)arg;
	snprintf(conf_log + n, sizeof(conf_log) - n, "%u:%s=%s;", line, key,
		 value);
	conf_seen++;
	return strcmp(key, "stop") ? 0 : 42;
}

static void test_conf(void)
{
	char conf[256], text[1024], missing[256];
	const char *hint = "unset";

	path_of(conf, sizeof(conf), "geoip.conf");
	snprintf(text, sizeof(text),
		 "# flowtop GeoIP test\n"
		 "\n"
		 "nodefaultdirs\n"
		 "   dir   %s/c   # flat files\n"
		 "url https://127.0.0.1:1/x.mmdb.gz#frag name.mmdb\n"
		 "\turl\thttps://127.0.0.1:1/y.mmdb\n"
		 "timeout 5 # seconds\n"
		 "stop\n"
		 "after stop\n", tmpdir);
	CHECK(write_json(conf, text) == 0);
	conf_log[0] = '\0';
	CHECK(geoip_conf_foreach(conf, conf_cb, NULL) == 42);
	CHECK(conf_seen == 6);
	snprintf(text, sizeof(text),
		 "3:nodefaultdirs=;4:dir=%s/c;"
		 "5:url=https://127.0.0.1:1/x.mmdb.gz#frag name.mmdb;"
		 "6:url=https://127.0.0.1:1/y.mmdb;7:timeout=5;8:stop=;",
		 tmpdir);
	CHECK_STR(conf_log, text);
	path_of(missing, sizeof(missing), "no-such.conf");
	CHECK(geoip_conf_foreach(missing, conf_cb, NULL) == -ENOENT);

	/* Directories from the conf file. */
	CHECK(geoip_open(conf, NULL, &hint, NULL) == 4);
	CHECK(hint == NULL);
	check_geo("2001:db8:3::1", "SE", "Sweden", "Stockholm", 64501,
		  "Example Six");
	geoip_close();
	/* Given directories come before the conf file's. */
	{
		char pa[256];
		const char *dirs[] = { pa, NULL };

		path_of(pa, sizeof(pa), "a");
		CHECK(geoip_open(conf, dirs, &hint, NULL) == 5);
		check_geo("192.0.2.1", "DE", "Germany", "Sampleton", 64500,
			  "Example Transit");
		/* a/ answers first where both know the address. */
		check_geo("198.51.100.7", "NL", "Netherlands", "", 0, "");
		check_geo("2001:db8:3::1", "SE", "Sweden", "Stockholm", 64501,
			  "Example Six");
		geoip_close();
	}
	/* A conf file that is missing is no error. */
	{
		char pa[256];
		const char *dirs[] = { pa, NULL };

		path_of(pa, sizeof(pa), "b");
		CHECK(geoip_open(missing, dirs, NULL, NULL) >= 1);
		check_geo("203.0.113.9", "AU", "Australia", "Exampleville", 0,
			  "");
		geoip_close();
	}
	/* One that is not a file (a FIFO would hang open(), /dev/zero
	 * never ends) or is huge: not read, said once, defaults go on. */
	{
		char pa[256], *warnbuf = NULL;
		const char *dirs[] = { pa, NULL };
		size_t warnlen = 0;
		FILE *warn, *f;
		int i;

		alarm(20);
		path_of(pa, sizeof(pa), "b");
		path_of(missing, sizeof(missing), "odd.conf");
		warn = open_memstream(&warnbuf, &warnlen);
		CHECK(mkfifo(missing, 0600) == 0);
		CHECK(geoip_conf_foreach(missing, conf_cb, NULL) == -EINVAL);
		CHECK(geoip_open(missing, dirs, &hint, warn) >= 1);
		CHECK(hint && strstr(hint, "geoip.conf not a regular file"));
		geoip_close();
		unlink(missing);
		CHECK(symlink("/dev/zero", missing) == 0);
		CHECK(geoip_conf_foreach(missing, conf_cb, NULL) == -EINVAL);
		unlink(missing);
		f = fopen(missing, "w");
		for (i = 0; f && i < 70000; i++)
			fputs("# x\n", f);
		if (f)
			fclose(f);
		CHECK(geoip_conf_foreach(missing, conf_cb, NULL) == -EFBIG);
		CHECK(geoip_open(missing, dirs, NULL, warn) >= 1);
		geoip_close();
		unlink(missing);
		fclose(warn);
		alarm(0);
		CHECK(warnbuf && strstr(warnbuf, "odd.conf: not a regular "
					"file, not read\n"));
		CHECK(warnbuf && strstr(warnbuf, "odd.conf: larger than 64.0 "
					"KiB, not read\n"));
		free(warnbuf);
	}
}

static void test_country_names(void)
{
	char cc[3] = "AA";
	int n = 0;

	CHECK_STR(geoip_country_name("DE"), "Germany");
	CHECK_STR(geoip_country_name("gb"), "United Kingdom");
	CHECK_STR(geoip_country_name("AX"), "\xc3\x85land Islands");
	CHECK_STR(geoip_country_name("ZW"), "Zimbabwe");
	CHECK_STR(geoip_country_name("AD"), "Andorra");
	CHECK(geoip_country_name("ZZ") == NULL);
	CHECK(geoip_country_name("D") == NULL);
	CHECK(geoip_country_name("DEU") == NULL);
	CHECK(geoip_country_name(NULL) == NULL);
	/* All 249 ISO 3166-1 codes, plus XK. */
	for (cc[0] = 'A'; cc[0] <= 'Z'; cc[0]++)
		for (cc[1] = 'A'; cc[1] <= 'Z'; cc[1]++)
			if (geoip_country_name(cc))
				n++;
	CHECK(n == 250);
	if (n != 250)
		fprintf(stderr, "%d country names\n", n);
}

static int shipped_urls, shipped_other;

static int shipped_cb(const char *key, const char *value, unsigned int line,
		      void *arg)
{
	(void)line;
	(void)arg;
	if (!strcmp(key, "url") && !strncmp(value, "https://", 8) &&
	    strstr(value, "%Y-%m.mmdb.gz"))
		shipped_urls++;
	else
		shipped_other++;
	return 0;
}

/* Run geoip_update() on a conf text that fails before any network use;
 * returns its result, the error output goes to errbuf. */
static int update_conf(const char *text, const char *const *dirs,
		       char *errbuf, size_t len)
{
	char conf[256];
	FILE *err = tmpfile();
	size_t n = 0;
	int ret;

	path_of(conf, sizeof(conf), "up.conf");
	if (!err || write_json(conf, text)) {
		CHECK(0);
		return 0;
	}
	ret = geoip_update(conf, dirs, NULL, err);
	rewind(err);
	n = fread(errbuf, 1, len - 1, err);
	errbuf[n] = '\0';
	fclose(err);
	return ret;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_update_conf(void)
{
	const char *nodir[] = { "/nonexistent/flowtop-geoip", NULL };
	char err[1024], text[512], d[256];
	const char *dirs[] = { d, NULL };
	struct stat st;

	/* The shipped file: two monthly DB-IP URLs, nothing else active. */
	CHECK(geoip_conf_foreach("etc/geoip.conf", shipped_cb, NULL) == 0);
	CHECK(shipped_urls == 2);
	CHECK(shipped_other == 0);

	path_of(d, sizeof(d), "up");
	mkdir(d, 0755);
	CHECK(update_conf("nodefaultdirs\nbogus 1\n", dirs, err,
			  sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "up.conf:2: unknown keyword") != NULL);
	CHECK(count_lines(err) == 1);
	CHECK(update_conf("timeout soon\nurl https://127.0.0.1:1/a.mmdb\n",
			  dirs, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, ":1: timeout needs seconds") != NULL);
	CHECK(update_conf("maxsize 0\n", dirs, err, sizeof(err)) == -EINVAL);
	CHECK(count_lines(err) == 1);
	CHECK(update_conf("url ftp://192.0.2.1/a.mmdb\n", dirs, err,
			  sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "https://") != NULL);
	CHECK(update_conf("url https://127.0.0.1:1/a.mmdb a.mmdb extra\n", dirs,
			  err, sizeof(err)) == -EINVAL);
	CHECK(count_lines(err) == 1);
	CHECK(update_conf("nodefaultdirs\n# nothing\n", dirs, err,
			  sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "no \"url\" line") != NULL);
	/* No writable directory: fails before any download. */
	CHECK(update_conf("nodefaultdirs\nurl https://127.0.0.1:1/a.mmdb\n",
			  nodir, err, sizeof(err)) == -EACCES);
	CHECK(strstr(err, "no writable GeoIP directory") != NULL);
	CHECK(count_lines(err) == 1);
	/* A bad file name is refused before the download too. */
	snprintf(text, sizeof(text), "nodefaultdirs\n"
		 "url https://127.0.0.1:1/a.mmdb ../evil.mmdb\n");
	CHECK(update_conf(text, dirs, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "no usable file name") != NULL);
	CHECK(stat(d, &st) == 0 && st.st_nlink == 2);	/* still empty */
	/* A missing conf file. */
	path_of(text, sizeof(text), "no-such.conf");
	{
		FILE *e = tmpfile();

		CHECK(e && geoip_update(text, dirs, NULL, e) == -ENOENT);
		if (e)
			fclose(e);
	}
}

#define MANY 3000
#define THREADS 4

static const struct geo_info *many_res[THREADS][MANY];

static void many_addr(int i, unsigned char a[16])
{
	char text[64];

	snprintf(text, sizeof(text), "2001:db8:4:%x::1", i);
	inet_pton(AF_INET6, text, a);
}

static void *many_thread(void *arg)
{
	static const int step[THREADS] = { 1, 7, 11, 13 };
	int t = (int)(intptr_t)arg, i, j;
	unsigned char a[16];

	for (j = 0; j < MANY; j++) {
		/* Each thread its own order (steps prime to MANY), so that
		 * they race on inserts. */
		i = (j * step[t] + t * 777) % MANY;
		many_addr(i, a);
		many_res[t][i] = geoip_lookup(AF_INET6, a);
	}
	return NULL;
}

static void test_threads(void)
{
	char *json, *p, name[32];
	pthread_t th[THREADS];
	int i, t, bad = 0;
	const char *hint;

	json = malloc(MANY * 96 + 256);
	CHECK(json != NULL);
	if (!json)
		return;
	p = json + sprintf(json, "{'ip_version': 6, 'database_type': "
			   "'GeoLite2-City', 'networks': {");
	for (i = 0; i < MANY; i++)
		p += sprintf(p, "%s'2001:db8:4:%x::/64': {'city': {'names': "
			     "{'en': 'C%d'}}}", i ? "," : "", i, i);
	sprintf(p, "}}");
	mkdir_sub("m");
	CHECK(make_db("m/many.mmdb", json));
	free(json);

	CHECK(open_dirs("m", NULL, &hint) == 1);
	for (t = 0; t < THREADS; t++)
		CHECK(pthread_create(&th[t], NULL, many_thread,
				     (void *)(intptr_t)t) == 0);
	for (t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "C%d", i);
		for (t = 0; t < THREADS; t++)
			if (!many_res[t][i] ||
			    many_res[t][i] != many_res[0][i] ||
			    strcmp(many_res[t][i]->city, name))
				bad++;
	}
	CHECK(bad == 0);
	if (bad)
		fprintf(stderr, "%d thread results differ\n", bad);
	/* Pointers stay valid and equal after the table grew. */
	for (i = 0; i < MANY; i += 97) {
		unsigned char a[16];

		many_addr(i, a);
		CHECK(geoip_lookup(AF_INET6, a) == many_res[0][i]);
	}
	geoip_close();
}

int main(void)
{
	char dir[] = "/tmp/flowtop-geoip-XXXXXX";

	mkmmdb = getenv("MKMMDB");
	if (!mkmmdb)
		mkmmdb = "tests/tools/mkmmdb.py";
	if (access(mkmmdb, R_OK)) {
		fprintf(stderr, "FAIL: %s not found: run from the repository "
			"root or set MKMMDB\n", mkmmdb);
		CHECK(0);
		return check_summary("test_geoip");
	}
	if (run("python3 -c 'import ipaddress, json' >/dev/null 2>&1")) {
		fprintf(stderr, "FAIL: python3 is missing: it writes the test "
			"databases (Debian: apt-get install python3)\n");
		CHECK(0);
		return check_summary("test_geoip");
	}
	have_mmdblookup = run("mmdblookup --version >/dev/null 2>&1") == 0;
	if (!have_mmdblookup)
		fprintf(stderr, "note: mmdblookup not installed (Debian: "
			"mmdb-bin), no cross-check\n");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		CHECK(0);
		return check_summary("test_geoip");
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", dir);
	/* Keep the machine's /usr/share/GeoIP and /var/lib/GeoIP out. */
	snprintf(conf_nodef, sizeof(conf_nodef), "%s/nodef.conf", tmpdir);
	CHECK(write_json(conf_nodef, "nodefaultdirs\n") == 0);

	if (setup()) {
		test_geoip2();
		test_dbip();
		test_flat();
		test_asn_merge();
		test_kinds();
		test_missing();
		test_corrupt();
		test_conf();
		test_update_conf();
		test_threads();
	} else {
		CHECK(0);
	}
	test_country_names();

	if (!getenv("KEEP_TMP")) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		run(cmd);
	}
	return check_summary("test_geoip");
}
