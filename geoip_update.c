/* geoip_update: flowtop -u, fetch GeoIP databases over HTTPS and replace
 * the installed ones atomically. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <zlib.h>

#include "geoip.h"
#include "util.h"

/* libcurl and the TLS libraries it pulls in cost about 5 MB of memory in
 * every flowtop, yet only -u uses them: load them when -u runs (as htop
 * loads libnl), and say what to install when they are missing. */
static struct {
	void *dl;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode rc);
} cu;

static int geoip_up_load_curl(FILE *err)
{
	static const char *const names[] = { "libcurl.so.4",
		"libcurl-gnutls.so.4", "libcurl.so" };
	void *dl = NULL;

	if (cu.dl)
		return 0;
	for (size_t i = 0; !dl && i < sizeof(names) / sizeof(names[0]); i++)
		dl = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fprintf(err, "flowtop -u: cannot load libcurl (%s); Debian: "
			"apt-get install libcurl4\n", dlerror());
		return -ENOENT;
	}
	*(void **)&cu.global_init = dlsym(dl, "curl_global_init");
	*(void **)&cu.global_cleanup = dlsym(dl, "curl_global_cleanup");
	*(void **)&cu.easy_init = dlsym(dl, "curl_easy_init");
	*(void **)&cu.easy_setopt = dlsym(dl, "curl_easy_setopt");
	*(void **)&cu.easy_perform = dlsym(dl, "curl_easy_perform");
	*(void **)&cu.easy_getinfo = dlsym(dl, "curl_easy_getinfo");
	*(void **)&cu.easy_cleanup = dlsym(dl, "curl_easy_cleanup");
	*(void **)&cu.easy_strerror = dlsym(dl, "curl_easy_strerror");
	if (!cu.global_init || !cu.global_cleanup || !cu.easy_init ||
	    !cu.easy_setopt || !cu.easy_perform || !cu.easy_getinfo ||
	    !cu.easy_cleanup || !cu.easy_strerror) {
		fprintf(err, "flowtop -u: this libcurl lacks a function we "
			"need\n");
		dlclose(dl);
		return -ENOSYS;
	}
	cu.dl = dl;
	return 0;
}

#ifndef FLOWTOP_VERSION
#define FLOWTOP_VERSION "dev"
#endif

#define GEOIP_UP_DIR		"/var/lib/GeoIP"
#define GEOIP_UP_TIMEOUT	30L	/* s to connect, s of stall */
#define GEOIP_UP_MAXTIME	3600L	/* s for one whole download */
#define GEOIP_UP_MAXSIZE	512L	/* MiB, compressed and not */
/* Below this many bytes/s for timeout seconds counts as a stall. */
#define GEOIP_UP_LOW_SPEED	1024L
#define GEOIP_UP_PROGRESS_NS	200000000ull

struct geoip_up_url {
	char *url;
	char *name;		/* final file name, NULL: from the URL */
	unsigned int line;
};

struct geoip_up_conf {
	const char *path;
	struct geoip_up_url *urls;
	size_t nurls;
	char **dirs;
	size_t ndirs;
	bool nodefault;
	char *cafile;
	long timeout, maxtime;
	uint64_t maxsize;
	char error[256];
	FILE *err;		/* for notes */
	bool mirrors_noted;
};

/* One download in progress. */
struct geoip_up_dl {
	const struct geoip_up_conf *conf;
	const char *name;
	FILE *tty;
	int fd;
	uint64_t raw, out;	/* bytes received, bytes written */
	int gz;			/* -1 not known yet, 0 plain, 1 gzip */
	bool z_init, z_end;
	z_stream zs;
	unsigned char head[2];	/* first bytes, to tell gzip */
	size_t nhead;
	int err;		/* -errno from the callbacks */
	char why[160];
	uint64_t last_ns;
	bool shown;
};

static void geoip_up_free(struct geoip_up_conf *c)
{
	size_t i;

	for (i = 0; i < c->nurls; i++) {
		free(c->urls[i].url);
		free(c->urls[i].name);
	}
	free(c->urls);
	for (i = 0; i < c->ndirs; i++)
		free(c->dirs[i]);
	free(c->dirs);
	free(c->cafile);
}

static int geoip_up_number(const char *value, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int geoip_up_bad(struct geoip_up_conf *c, unsigned int line,
			const char *what)
{
	snprintf(c->error, sizeof(c->error), "%s:%u: %s", c->path, line, what);
	return -EINVAL;
}

/* A line of netsniff-ng's own geoip.conf: one mirror host name. */
static bool geoip_up_mirror_line(const char *key, const char *value)
{
	const char *p;

	if (*value || !strchr(key, '.') || key[0] == '.')
		return false;
	for (p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return false;
	return p[-1] != '.';
}

static int geoip_up_conf_cb(const char *key, const char *value,
			    unsigned int line, void *arg)
{
	struct geoip_up_conf *c = arg;
	long v;

	if (!strcmp(key, "url")) {
		struct geoip_up_url *u;
		char *copy, *name, *extra;

		copy = strdup(value);
		if (!copy)
			return -ENOMEM;
		name = copy + strcspn(copy, " \t");
		if (*name) {
			*name++ = '\0';
			name += strspn(name, " \t");
			extra = name + strcspn(name, " \t");
			if (*extra) {
				free(copy);
				return geoip_up_bad(c, line, "url takes a URL "
						    "and at most a file name");
			}
		}
		if (strncmp(copy, "https://", 8) || !copy[8]) {
			free(copy);
			return geoip_up_bad(c, line, "url needs an https:// "
					    "address");
		}
		u = realloc(c->urls, (c->nurls + 1) * sizeof(*u));
		if (!u) {
			free(copy);
			return -ENOMEM;
		}
		c->urls = u;
		u = &c->urls[c->nurls];
		u->url = copy;
		u->name = NULL;
		u->line = line;
		if (*name) {
			u->name = strdup(name);
			if (!u->name) {
				free(copy);
				return -ENOMEM;
			}
		}
		c->nurls++;
	} else if (!strcmp(key, "dir")) {
		char **d;

		if (!*value)
			return geoip_up_bad(c, line, "dir needs a directory");
		d = realloc(c->dirs, (c->ndirs + 1) * sizeof(*d));
		if (!d)
			return -ENOMEM;
		c->dirs = d;
		d[c->ndirs] = strdup(value);
		if (!d[c->ndirs])
			return -ENOMEM;
		c->ndirs++;
	} else if (!strcmp(key, "nodefaultdirs")) {
		c->nodefault = true;
	} else if (!strcmp(key, "cafile")) {
		if (!*value)
			return geoip_up_bad(c, line, "cafile needs a file");
		free(c->cafile);
		c->cafile = strdup(value);
		if (!c->cafile)
			return -ENOMEM;
	} else if (!strcmp(key, "timeout")) {
		if (geoip_up_number(value, 1, 86400, &v))
			return geoip_up_bad(c, line, "timeout needs seconds "
					    "(1-86400)");
		c->timeout = v;
	} else if (!strcmp(key, "maxtime")) {
		if (geoip_up_number(value, 1, 7 * 86400, &v))
			return geoip_up_bad(c, line, "maxtime needs seconds "
					    "(1-604800)");
		c->maxtime = v;
	} else if (!strcmp(key, "maxsize")) {
		if (geoip_up_number(value, 1, 1L << 20, &v))
			return geoip_up_bad(c, line, "maxsize needs MiB "
					    "(1-1048576)");
		c->maxsize = (uint64_t)v << 20;
	} else if (geoip_up_mirror_line(key, value)) {
		/* The original's file lists mirrors of the legacy GeoIP
		 * (.dat) databases it fetched: nothing to use, and no error
		 * for a file the user may have kept. */
		if (!c->mirrors_noted)
			fprintf(c->err, "flowtop -u: %s:%u: netsniff-ng's "
				"mirror list for the legacy GeoIP databases: "
				"ignored (flowtop fetches the .mmdb files "
				"named by \"url\" lines)\n", c->path, line);
		c->mirrors_noted = true;
	} else {
		return geoip_up_bad(c, line, "unknown keyword");
	}
	return 0;
}

/* Expand %Y and %m (UTC, months_back months ago) and %%. */
static int geoip_up_expand(const char *tmpl, int months_back, char *out,
			   size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	size_t o = 0;
	int year, mon, n;
	const char *p;

	if (!gmtime_r(&now, &tm))
		return -EINVAL;
	year = tm.tm_year + 1900;
	mon = tm.tm_mon - months_back;
	while (mon < 0) {
		mon += 12;
		year--;
	}
	for (p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == 'Y')
			n = snprintf(out + o, len - o, "%04d", year);
		else if (p[0] == '%' && p[1] == 'm')
			n = snprintf(out + o, len - o, "%02d", mon + 1);
		else if (p[0] == '%' && p[1] == '%')
			n = snprintf(out + o, len - o, "%%");
		else
			n = snprintf(out + o, len - o, "%c", *p);
		if (n < 0 || (size_t)n >= len - o)
			return -ENAMETOOLONG;
		o += (size_t)n;
		if (p[0] == '%' && (p[1] == 'Y' || p[1] == 'm' || p[1] == '%'))
			p++;
	}
	return 0;
}

static bool geoip_up_has_date(const char *tmpl)
{
	return strstr(tmpl, "%Y") || strstr(tmpl, "%m");
}

static bool geoip_up_name_ok(const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (n <= 5 || n > NAME_MAX - 16 || name[0] == '.' ||
	    strcmp(name + n - 5, ".mmdb"))
		return false;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-+", *p))
			return false;
	return true;
}

/*
 * Final name from the URL: its last path element without ".gz" and
 * without the date, so that dbip-city-lite-%Y-%m.mmdb.gz and
 * dbip-city-lite-2024-05.mmdb.gz both give dbip-city-lite.mmdb.
 */
static int geoip_up_name(const char *tmpl, char *name, size_t len)
{
	const char *path = strstr(tmpl, "://"), *base;
	size_t n, i, o;
	char buf[NAME_MAX + 1];

	path = path ? strchr(path + 3, '/') : NULL;
	if (!path)
		return -EINVAL;
	n = strcspn(path, "?#");
	for (base = path + n; base > path && base[-1] != '/'; base--)
		;
	n = (size_t)(path + n - base);
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	/* Drop each %Y / %m with one separator before it. */
	for (i = 0, o = 0; i < n; i++) {
		if (base[i] == '%' && i + 1 < n &&
		    (base[i + 1] == 'Y' || base[i + 1] == 'm')) {
			if (o && strchr("-_.", buf[o - 1]))
				o--;
			i++;
			continue;
		}
		buf[o++] = base[i];
	}
	buf[o] = '\0';
	if (o > 3 && !strcmp(buf + o - 3, ".gz"))
		buf[o -= 3] = '\0';
	/* A literal date: -YYYY-MM before ".mmdb". */
	if (o >= 13 && !strcmp(buf + o - 5, ".mmdb")) {
		char *d = buf + o - 13;

		if (strchr("-_.", d[0]) && isdigit((unsigned char)d[1]) &&
		    isdigit((unsigned char)d[2]) &&
		    isdigit((unsigned char)d[3]) &&
		    isdigit((unsigned char)d[4]) && strchr("-_.", d[5]) &&
		    isdigit((unsigned char)d[6]) &&
		    isdigit((unsigned char)d[7]))
			memmove(d, d + 8, 6);
	}
	if (!geoip_up_name_ok(buf))
		return -EINVAL;
	if ((size_t)snprintf(name, len, "%s", buf) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static bool geoip_up_writable_dir(const char *dir)
{
	struct stat st;

	return !stat(dir, &st) && S_ISDIR(st.st_mode) &&
	       !access(dir, W_OK | X_OK);
}

/* The first writable directory: given ones, the conf file's, then
 * /var/lib/GeoIP (made if missing), where geoipupdate puts files too. */
static const char *geoip_up_target(const struct geoip_up_conf *c,
				   const char *const *dirs)
{
	size_t i;

	for (i = 0; dirs && dirs[i]; i++)
		if (geoip_up_writable_dir(dirs[i]))
			return dirs[i];
	for (i = 0; i < c->ndirs; i++)
		if (geoip_up_writable_dir(c->dirs[i]))
			return c->dirs[i];
	if (c->nodefault)
		return NULL;
	if (mkdir(GEOIP_UP_DIR, 0755) && errno != EEXIST)
		return NULL;
	return geoip_up_writable_dir(GEOIP_UP_DIR) ? GEOIP_UP_DIR : NULL;
}

static int geoip_up_fail(struct geoip_up_dl *dl, int err, const char *why)
{
	if (!dl->err) {
		dl->err = err;
		snprintf(dl->why, sizeof(dl->why), "%s", why);
	}
	return err;
}

static int geoip_up_write(struct geoip_up_dl *dl, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	dl->out += n;
	if (dl->out > dl->conf->maxsize)
		return geoip_up_fail(dl, -EFBIG, "uncompressed data larger "
				     "than maxsize");
	while (n) {
		w = write(dl->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return geoip_up_fail(dl, -errno, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int geoip_up_inflate(struct geoip_up_dl *dl, const unsigned char *in,
			    size_t n)
{
	unsigned char out[65536];
	int zr, err;

	if (!dl->z_init) {
		memset(&dl->zs, 0, sizeof(dl->zs));
		/* 16 + 15: gzip wrapper, largest window. */
		if (inflateInit2(&dl->zs, 16 + MAX_WBITS) != Z_OK)
			return geoip_up_fail(dl, -ENOMEM, "zlib failed");
		dl->z_init = true;
	}
	dl->zs.next_in = (unsigned char *)in;
	dl->zs.avail_in = (uInt)n;
	/* Go on while input is left or the output buffer came back full:
	 * zlib may hold more output than fits. */
	do {
		if (dl->z_end) {
			if (!dl->zs.avail_in)
				break;
			/* Another gzip member follows (gzip allows it). */
			if (inflateReset(&dl->zs) != Z_OK)
				return geoip_up_fail(dl, -EBADMSG,
						     "corrupt gzip data");
			dl->z_end = false;
		}
		dl->zs.next_out = out;
		dl->zs.avail_out = sizeof(out);
		zr = inflate(&dl->zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return geoip_up_fail(dl, -EBADMSG,
					     "corrupt gzip data");
		err = geoip_up_write(dl, out, sizeof(out) - dl->zs.avail_out);
		if (err)
			return err;
		if (zr == Z_STREAM_END)
			dl->z_end = true;
		else if (zr == Z_BUF_ERROR)
			break;		/* wants more input */
	} while (dl->zs.avail_in || !dl->zs.avail_out);
	return 0;
}

static int geoip_up_feed(struct geoip_up_dl *dl, const unsigned char *p,
			 size_t n)
{
	return dl->gz ? geoip_up_inflate(dl, p, n) : geoip_up_write(dl, p, n);
}

/* Decide plain or gzip by the magic bytes 1f 8b, not by the name. */
static int geoip_up_head(struct geoip_up_dl *dl)
{
	dl->gz = dl->nhead == 2 && dl->head[0] == 0x1f && dl->head[1] == 0x8b;
	return geoip_up_feed(dl, dl->head, dl->nhead);
}

static size_t geoip_up_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct geoip_up_dl *dl = arg;
	const unsigned char *p = (const unsigned char *)ptr;
	size_t n = size * nmemb, left = n;

	dl->raw += n;
	if (dl->raw > dl->conf->maxsize) {
		geoip_up_fail(dl, -EFBIG, "download larger than maxsize");
		return 0;
	}
	while (dl->gz < 0 && left) {
		dl->head[dl->nhead++] = *p++;
		left--;
		if (dl->nhead == 2 && geoip_up_head(dl))
			return 0;
	}
	if (left && dl->gz >= 0 && geoip_up_feed(dl, p, left))
		return 0;	/* curl stops with CURLE_WRITE_ERROR */
	return n;
}

static uint64_t geoip_up_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int geoip_up_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
			     curl_off_t ultotal, curl_off_t ulnow)
{
	struct geoip_up_dl *dl = arg;
	char a[32], b[32];
	uint64_t now;

	(void)ultotal;
	(void)ulnow;
	if (!dl->tty)
		return 0;
	now = geoip_up_now();
	if (now - dl->last_ns < GEOIP_UP_PROGRESS_NS)
		return 0;
	dl->last_ns = now;
	dl->shown = true;
	util_fmt_bytes(a, sizeof(a), (uint64_t)dlnow);
	if (dlnow <= 0) {
		fprintf(dl->tty, "\r%s: waiting for the server   ", dl->name);
	} else if (dltotal > 0) {
		util_fmt_bytes(b, sizeof(b), (uint64_t)dltotal);
		fprintf(dl->tty, "\r%s: %s of %s (%d%%)   ", dl->name, a, b,
			(int)(dlnow * 100 / dltotal));
	} else {
		fprintf(dl->tty, "\r%s: %s   ", dl->name, a);
	}
	fflush(dl->tty);
	return 0;
}

static int geoip_up_curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return -EFBIG;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
		return -EPERM;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EPROTONOSUPPORT;
	case CURLE_TOO_MANY_REDIRECTS:
		return -ELOOP;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Fetch url into fd (a temporary file); 0 or -errno with dl->why. */
static int geoip_up_get(struct geoip_up_dl *dl, const char *url, long *http)
{
	const struct geoip_up_conf *c = dl->conf;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *h;

	*http = 0;
	h = cu.easy_init();
	if (!h)
		return geoip_up_fail(dl, -ENOMEM, "curl_easy_init failed");
	cu.easy_setopt(h, CURLOPT_URL, url);
	/* HTTPS only, redirects too: nothing else checks the content. */
	cu.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	cu.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	cu.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	cu.easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	cu.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	cu.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->cafile)
		cu.easy_setopt(h, CURLOPT_CAINFO, c->cafile);
	cu.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->timeout);
	cu.easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, GEOIP_UP_LOW_SPEED);
	cu.easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->timeout);
	cu.easy_setopt(h, CURLOPT_TIMEOUT, c->maxtime);
	cu.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)c->maxsize);
	cu.easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	cu.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(h, CURLOPT_USERAGENT, "flowtop/" FLOWTOP_VERSION);
	cu.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	cu.easy_setopt(h, CURLOPT_WRITEFUNCTION, geoip_up_body);
	cu.easy_setopt(h, CURLOPT_WRITEDATA, dl);
	cu.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, geoip_up_progress);
	cu.easy_setopt(h, CURLOPT_XFERINFODATA, dl);
	cu.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);

	rc = cu.easy_perform(h);
	cu.easy_getinfo(h, CURLINFO_RESPONSE_CODE, http);
	cu.easy_cleanup(h);
	if (dl->err)
		return dl->err;		/* ours, from a callback */
	if (rc == CURLE_HTTP_RETURNED_ERROR) {
		char why[32];

		snprintf(why, sizeof(why), "HTTP %ld", *http);
		return geoip_up_fail(dl, *http == 404 ? -ENOENT : -EIO, why);
	}
	if (rc != CURLE_OK) {
		size_t n = strlen(errbuf);

		while (n && (errbuf[n - 1] == '\n' || errbuf[n - 1] == ' '))
			errbuf[--n] = '\0';
		return geoip_up_fail(dl, geoip_up_curl_errno(rc),
				     n ? errbuf : cu.easy_strerror(rc));
	}
	/* Bodies shorter than the gzip magic never went through head(). */
	if (dl->gz < 0 && geoip_up_head(dl))
		return dl->err;
	if (dl->gz && !dl->z_end)
		return geoip_up_fail(dl, -EBADMSG, "truncated gzip data");
	if (!dl->out)
		return geoip_up_fail(dl, -EBADMSG, "empty download");
	return 0;
}

static int geoip_up_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

/* Download one database; prints its one line on err when it fails. */
static int geoip_up_one(const struct geoip_up_conf *c,
			const struct geoip_up_url *u, const char *dir,
			FILE *tty, FILE *err)
{
	char name[NAME_MAX + 1], url[2048], tmp[PATH_MAX], final[PATH_MAX];
	char line[3072], why[160], safe[3072];
	struct geoip_up_dl dl;
	const char *shown = u->url;
	bool dated = geoip_up_has_date(u->url), named;
	long http = 0;
	int months, ret = 0;

	memset(&dl, 0, sizeof(dl));
	if (u->name)
		named = geoip_up_name_ok(u->name) &&
			(size_t)snprintf(name, sizeof(name), "%s", u->name) <
				sizeof(name);
	else
		named = !geoip_up_name(u->url, name, sizeof(name));
	if (!named) {
		snprintf(line, sizeof(line), "%s:%u: no usable file name "
			 "(NAME.mmdb, letters, digits, ._-+); give one: "
			 "url URL NAME.mmdb", c->path, u->line);
		util_inert(safe, sizeof(safe), line);
		fprintf(err, "flowtop -u: %s\n", safe);
		return -EINVAL;
	}
	if ((size_t)snprintf(final, sizeof(final), "%s/%s", dir, name) >=
	    sizeof(final) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >=
	    sizeof(tmp)) {
		fprintf(err, "flowtop -u: %s: path too long\n", name);
		return -ENAMETOOLONG;
	}

	/* Monthly files: this month's may not be out yet, try the last. */
	for (months = 0; months < (dated ? 2 : 1); months++) {
		ret = geoip_up_expand(u->url, months, url, sizeof(url));
		if (ret) {
			snprintf(why, sizeof(why), "URL too long");
			break;
		}
		shown = url;
		memset(&dl, 0, sizeof(dl));
		dl.conf = c;
		dl.name = name;
		dl.tty = tty;
		dl.gz = -1;
		dl.fd = mkostemp(tmp, O_CLOEXEC);
		if (dl.fd < 0) {
			ret = -errno;
			snprintf(why, sizeof(why), "cannot create a file in "
				 "%s: %s", dir, strerror(errno));
			break;
		}
		ret = geoip_up_get(&dl, url, &http);
		if (dl.z_init)
			inflateEnd(&dl.zs);
		if (!ret && fsync(dl.fd))
			ret = geoip_up_fail(&dl, -errno, strerror(errno));
		if (!ret && fchmod(dl.fd, 0644))
			ret = geoip_up_fail(&dl, -errno, strerror(errno));
		if (close(dl.fd) && !ret)
			ret = geoip_up_fail(&dl, -errno, strerror(errno));
		if (dl.shown)
			fputc('\n', tty);
		snprintf(why, sizeof(why), "%s", dl.why);
		if (!ret) {
			char check[128];

			ret = geoip_db_check(tmp, check, sizeof(check));
			if (ret) {
				ret = -EBADMSG;
				snprintf(why, sizeof(why), "not a usable "
					 "MaxMind DB: %s", check);
			}
		}
		if (!ret && rename(tmp, final)) {
			ret = -errno;
			snprintf(why, sizeof(why), "rename: %s",
				 strerror(errno));
		}
		if (ret) {
			unlink(tmp);
			/* mkostemp() wants the XXXXXX back for a retry. */
			memcpy(tmp + strlen(tmp) - 6, "XXXXXX", 6);
		}
		if (ret != -ENOENT || !dated || months)
			break;
		if (tty)
			fprintf(tty, "%s: not published yet (HTTP 404), trying "
				"the month before\n", name);
	}
	if (!ret) {
		ret = geoip_up_sync_dir(dir);
		if (tty) {
			char size[32];

			util_fmt_bytes(size, sizeof(size), dl.out);
			fprintf(tty, "%s: %s installed in %s\n", name, size,
				dir);
		}
		if (ret) {
			snprintf(line, sizeof(line), "%s: installed, but fsync "
				 "of %s failed: %s", name, dir,
				 strerror(-ret));
			util_inert(safe, sizeof(safe), line);
			fprintf(err, "flowtop -u: %s\n", safe);
		}
		return ret;
	}
	snprintf(line, sizeof(line), "%s: %s (%s); %s", name, why,
		 shown,
		 access(final, F_OK) ? "nothing installed" :
				       "the installed file is unchanged");
	/* Server text (curl's message) must not reach the terminal raw. */
	util_inert(safe, sizeof(safe), line);
	fprintf(err, "flowtop -u: %s\n", safe);
	return ret;
}

int geoip_update(const char *conffile, const char *const *dirs, FILE *tty,
		 FILE *err)
{
	struct geoip_up_conf c;
	const char *dir;
	size_t i;
	int ret, first = 0;

	if (!err)
		err = stderr;
	memset(&c, 0, sizeof(c));
	c.path = conffile;
	c.err = err;
	c.timeout = GEOIP_UP_TIMEOUT;
	c.maxtime = GEOIP_UP_MAXTIME;
	c.maxsize = (uint64_t)GEOIP_UP_MAXSIZE << 20;
	if (!conffile) {
		fprintf(err, "flowtop -u: no GeoIP configuration file\n");
		return -EINVAL;
	}
	ret = geoip_conf_foreach(conffile, geoip_up_conf_cb, &c);
	if (ret) {
		char why[64];

		if (c.error[0])
			fprintf(err, "flowtop -u: %s\n", c.error);
		else
			fprintf(err, "flowtop -u: %s: %s\n", conffile,
				util_read_file_why(why, sizeof(why), ret,
						   GEOIP_CONF_MAX));
		geoip_up_free(&c);
		return ret;
	}
	if (!c.nurls) {
		fprintf(err, "flowtop -u: no \"url\" line in %s\n", conffile);
		geoip_up_free(&c);
		return -EINVAL;
	}
	dir = geoip_up_target(&c, dirs);
	if (!dir) {
		fprintf(err, "flowtop -u: no writable GeoIP directory (%s "
			"or a \"dir\" in %s)\n",
			c.nodefault ? "none by default" : GEOIP_UP_DIR,
			conffile);
		geoip_up_free(&c);
		return -EACCES;
	}
	ret = geoip_up_load_curl(err);
	if (ret) {
		geoip_up_free(&c);
		return ret;
	}
	if (cu.global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(err, "flowtop -u: libcurl failed to start\n");
		geoip_up_free(&c);
		return -ENOMEM;
	}
	for (i = 0; i < c.nurls; i++) {
		ret = geoip_up_one(&c, &c.urls[i], dir, tty, err);
		if (ret && !first)
			first = ret;
	}
	cu.global_cleanup();
	geoip_up_free(&c);
	return first;
}
