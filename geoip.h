/* geoip: address to country, city and AS, from MaxMind DB (.mmdb) files. */
#ifndef FLOWTOP_GEOIP_H
#define FLOWTOP_GEOIP_H

#include <stdint.h>
#include <stdio.h>

/* Interned, immutable, lives until geoip_close(): flows keep pointers. */
struct geo_info {
	char cc[3];		/* ISO 3166 code, "" if unknown */
	const char *country;	/* English name or "" */
	const char *city;	/* English name or "" */
	uint32_t asn;		/* 0 if unknown */
	const char *as_org;	/* "" if unknown */
};

/* Open the databases found in the directories listed in conffile (lines
 * "dir /path", see etc/geoip.conf) then /usr/share/GeoIP and
 * /var/lib/GeoIP; extra_dirs (NULL-terminated, may be NULL) come first, for
 * tests.  Returns the number of databases opened (0 is not an error), or
 * -errno.  *hint gets a one-line text for the status line when none was
 * found (static storage).  A conffile that is not a regular file or is
 * over 64 KiB is not read: one line on warn (may be NULL), and the hint. */
int geoip_open(const char *conffile, const char *const *extra_dirs,
	       const char **hint, FILE *warn);
/* Look up an address (family AF_INET/AF_INET6, addr in network order).
 * NULL if nothing is known or it is a private/loopback/doc address with no
 * entry.  Thread-safe. */
const struct geo_info *geoip_lookup(int family, const void *addr);
void geoip_close(void);

/* -u: download the databases named in conffile ("url https://...") into the
 * first writable database directory; progress to tty if not NULL; one line
 * on err for a failure.  Returns 0 or -errno.  The old files survive every
 * failure. */
int geoip_update(const char *conffile, const char *const *dirs, FILE *tty,
		 FILE *err);

/* Added by geoip.c: */
/* Notes on the above: geoip_open() also sets *hint when it skipped a bad
 * file (naming it) or found only AS databases, and sets it to NULL when all
 * is well; it closes what an earlier geoip_open() opened.  It and
 * geoip_close() must not run while other threads call geoip_lookup().
 * Conf keywords: "dir DIR" (searched after extra_dirs), "nodefaultdirs"
 * (skip /usr/share/GeoIP and /var/lib/GeoIP); -u also reads "url URL
 * [NAME]", "cafile", "timeout", "maxtime", "maxsize" (etc/geoip.conf). */
/* The largest geoip.conf read: it holds a handful of lines. */
#define GEOIP_CONF_MAX	(64u << 10)
/* Read conffile, calling cb(keyword, rest of the line, line number, arg)
 * for each line that is not blank or a comment ('#' at the start of a line
 * or after a blank).  Stops at the first non-zero cb result and returns it;
 * 0 at the end of the file, -errno if it cannot be read (-EINVAL: not a
 * regular file, -EFBIG: over 64 KiB; see util_read_file). */
int geoip_conf_foreach(const char *conffile,
		       int (*cb)(const char *key, const char *value,
				 unsigned int line, void *arg),
		       void *arg);
/* English name of an ISO 3166-1 alpha-2 code (either case), or NULL. */
const char *geoip_country_name(const char *cc);
/* Check that path is a MaxMind DB that opens and answers lookups of
 * documentation addresses without error.  0, or -errno with a reason in
 * why (len bytes, may be 0). */
int geoip_db_check(const char *path, char *why, size_t len);

#endif
