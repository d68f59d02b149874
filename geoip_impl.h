/* geoip_impl.h: what the geoip*.c files share, included by them only:
 * the databases, the interned results and their tables. */
#ifndef FLOWTOP_GEOIP_IMPL_H
#define FLOWTOP_GEOIP_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <maxminddb.h>

#include "geoip.h"

#define GEOIP_DEFAULT_DIRS	{ "/usr/share/GeoIP", "/var/lib/GeoIP" }
#define GEOIP_MAX_DBS		64
#define GEOIP_CC_LEN		3
#define GEOIP_NAME_LEN		96
/* Longest raw string taken from a database before sanitizing. */
#define GEOIP_RAW_LEN		256
/* Node reads allowed while looking for a first data record. */
#define GEOIP_PROBE_NODES	100000
#define GEOIP_TABLE_MIN		1024

/* What a database can answer. */
#define GEOIP_KIND_GEO		1u
#define GEOIP_KIND_ASN		2u

/* Which record layout to read. */
#define GEOIP_SCHEMA_NESTED	1u	/* GeoIP2/GeoLite2, DB-IP */
#define GEOIP_SCHEMA_FLAT	2u	/* ip-location-db */

/*
 * Decoding a record costs more than walking the tree, and many networks
 * share a record (a city, an AS).  Each database keeps a direct-mapped
 * cache from record offset to the interned part it gave: one 64-bit word,
 * offset << 32 | node id + 1, so readers need no lock.
 */
#define GEOIP_CACHE_BITS	13
#define GEOIP_NO_PART		0xffffffffu	/* record had nothing */
#define GEOIP_CHUNK_BITS	12
#define GEOIP_CHUNKS		1024		/* ids for 4M nodes */

struct geoip_db {
	MMDB_s mmdb;
	unsigned int kind;
	unsigned int schema;
	bool city;		/* has cities: asked before countries */
	bool v4;		/* may answer IPv4 lookups */
	bool v6;		/* may answer IPv6 lookups */
	unsigned int order;	/* discovery order, for a stable sort */
	_Atomic uint64_t geo_cache[1u << GEOIP_CACHE_BITS];
	_Atomic uint64_t asn_cache[1u << GEOIP_CACHE_BITS];
};

/* Fields decoded from a record, sanitized, before interning. */
struct geoip_buf {
	char cc[GEOIP_CC_LEN];
	char country[GEOIP_NAME_LEN];
	char city[GEOIP_NAME_LEN];
	uint32_t asn;
	char org[GEOIP_NAME_LEN];
};

/* A result to intern: its place part and its AS part, hashed apart so
 * that joining two interned parts needs no new hashing of strings. */
struct geoip_ref {
	const char *cc, *country, *city;
	uint32_t asn;
	const char *org;
	uint64_t hgeo, hasn;
};

struct geoip_node {
	struct geo_info info;
	uint64_t hash;			/* in its table */
	uint64_t hgeo, hasn;
	/* A joined result: its two parts, the key of geoip_join. */
	const struct geoip_node *pgeo, *pasn;
	uint32_t id;			/* index in geoip_chunk */
	struct geoip_node *next_all;	/* every node, for geoip_close() */
	char str[];		/* country, city and org, NUL ended */
};

/*
 * Open addressing without deletion: a slot only goes from NULL to a node,
 * so readers probe without a lock.  A writer (under geoip_lock) that grows
 * the table publishes a new one and keeps the old until geoip_close(), as
 * readers may still be probing it; a reader that misses there takes the
 * lock and finds the entry in the new table.
 */
struct geoip_table {
	size_t mask;
	size_t count;		/* nodes in it, under geoip_lock */
	struct geoip_table *prev;
	_Atomic(struct geoip_node *) slot[];
};

/* geoip_db.c */
int geoip_table_new(_Atomic(struct geoip_table *) *root, size_t size);

/* geoip.c: the databases (geoip_db.c fills them in) and the results. */
extern struct geoip_db *geoip_dbs[GEOIP_MAX_DBS];
extern size_t geoip_ndbs;
extern _Atomic(struct geoip_table *) geoip_tab, geoip_join;
extern size_t geoip_nids;
extern struct geoip_node *geoip_all;
extern _Atomic(struct geoip_node **) geoip_chunk[GEOIP_CHUNKS];

#endif
