/* util: formatting of numbers, inert text, whole files, clocks. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/netlink.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/*
 * Scale n by powers of base and print it with one decimal.  Integer
 * arithmetic (rounding half up) keeps the unit switch exact: a value that
 * would print as "1024.0 KiB" or "1000.0k" is shown in the next unit.
 */
static void util_fmt_scaled(char *buf, size_t len, uint64_t n, uint64_t base,
			    const char *const *units, size_t nunits,
			    const char *sep)
{
	uint64_t div = 1, whole = 0, tenths;
	size_t i;

	if (n < base) {
		snprintf(buf, len, "%" PRIu64 "%s%s", n, sep, units[0]);
		return;
	}
	for (i = 1; i < nunits; i++) {
		div *= base;
		whole = n / div;
		/* rem < div <= 2^60, so rem * 10 cannot overflow. */
		tenths = ((n % div) * 10 + div / 2) / div;
		whole = whole * 10 + tenths;
		if (whole < base * 10 || i == nunits - 1)
			break;
	}
	snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%s%s", whole / 10,
		 whole % 10, sep, units[i]);
}

char *util_fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};

	if (!buf || !len)
		return buf;
	util_fmt_scaled(buf, len, bytes, 1024, units, 7, " ");
	return buf;
}

char *util_fmt_count(char *buf, size_t len, uint64_t n)
{
	static const char *const units[] = {
		"", "k", "M", "G", "T", "P", "E"
	};

	if (!buf || !len)
		return buf;
	util_fmt_scaled(buf, len, n, 1000, units, 7, "");
	return buf;
}

char *util_fmt_rate(char *buf, size_t len, double bytes_per_sec, bool bits)
{
	static const char *const byte_units[] = {
		"B", "kB", "MB", "GB", "TB", "PB", "EB"
	};
	static const char *const bit_units[] = {
		"bit", "kbit", "Mbit", "Gbit", "Tbit", "Pbit", "Ebit"
	};
	const char *const *units = bits ? bit_units : byte_units;
	double v = bytes_per_sec, scale = 1.0;
	char tmp[512];
	size_t i;

	if (!buf || !len)
		return buf;
	/* A rate from a counter that went backwards or a zero interval. */
	if (!isfinite(v) || !(v > 0.0))
		v = 0.0;
	if (bits)
		v *= 8.0;

	/* Decide on the printed text itself, so "1000.0 kB/s" never shows. */
	snprintf(tmp, sizeof(tmp), "%.0f", v);
	if (strtod(tmp, NULL) < 1000.0) {
		snprintf(buf, len, "%s %s/s", tmp, units[0]);
		return buf;
	}
	for (i = 1; i < 7; i++) {
		scale *= 1000.0;
		snprintf(tmp, sizeof(tmp), "%.1f", v / scale);
		if (strtod(tmp, NULL) < 1000.0 || i == 6)
			break;
	}
	snprintf(buf, len, "%s %s/s", tmp, units[i]);
	return buf;
}

char *util_fmt_duration(char *buf, size_t len, uint64_t s)
{
	if (!buf || !len)
		return buf;
	if (s < 60)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60,
			 s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
			 s % 86400 / 3600);
	return buf;
}

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 if it is invalid;
 * *bad is then the number of bytes of its maximal ill-formed prefix
 * (Unicode's "maximal subpart"), which become a single '?'.
 * Ranges are those of RFC 3629 / Unicode table 3-7: no overlongs, no
 * surrogates, nothing above U+10FFFF.
 */
static size_t util_utf8_len(const unsigned char *s, size_t *bad)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	*bad = 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		/* The NUL terminator fails this test, so no overread. */
		if (s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

bool util_cp_hidden(uint32_t cp)
{
	return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a &&
		cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
		cp == 0xfeff || cp == 0x061c || cp == 0x180e ||
		(cp >= 0xfff9 && cp <= 0xfffb);
}

/* The code point of a valid sequence of n bytes (util_utf8_len). */
static uint32_t util_utf8_cp(const unsigned char *s, size_t n)
{
	uint32_t cp = n == 2 ? s[0] & 0x1f : n == 3 ? s[0] & 0x0f :
		      s[0] & 0x07;
	size_t i;

	for (i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* util_sanitize, and util_inert when hide is set. */
static char *util_clean(char *dst, size_t len, const char *src, bool hide)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, n, bad;

	if (!dst || !len)
		return dst;
	if (!s) {
		dst[0] = '\0';
		return dst;
	}
	while (*s) {
		if (*s < 0x80) {
			if (o + 1 >= len)
				break;
			/* C0 controls and DEL would drive the terminal. */
			dst[o++] = (*s < 0x20 || *s == 0x7f) ? '?' : (char)*s;
			s++;
			continue;
		}
		n = util_utf8_len(s, &bad);
		/* U+0080..U+009F: C1 controls, e.g. CSI as C2 9B; bidi and
		 * format controls, which reorder or hide what follows. */
		if (n && ((n == 2 && s[0] == 0xc2 && s[1] < 0xa0) ||
			  (hide && util_cp_hidden(util_utf8_cp(s, n))))) {
			bad = n;
			n = 0;
		}
		if (!n) {
			if (o + 1 >= len)
				break;
			dst[o++] = '?';
			s += bad;
			continue;
		}
		if (o + n >= len)
			break;
		memcpy(dst + o, s, n);
		o += n;
		s += n;
	}
	dst[o] = '\0';
	return dst;
}

char *util_sanitize(char *dst, size_t len, const char *src)
{
	return util_clean(dst, len, src, false);
}

char *util_inert(char *dst, size_t len, const char *src)
{
	return util_clean(dst, len, src, true);
}

char *util_json_escape(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, n, bad, plen;
	const char *put;
	char esc[8];
	uint32_t cp;

	if (!dst || !len)
		return dst;
	while (s && *s) {
		put = (const char *)s;
		n = plen = 1;
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*s;
			put = esc;
			plen = 2;
		} else if (*s < 0x20 || *s == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
			put = esc;
			plen = 6;
		} else if (*s >= 0x80) {
			n = plen = util_utf8_len(s, &bad);
			cp = n ? util_utf8_cp(s, n) : 0;
			if (!n) {
				put = "?";
				n = bad;
				plen = 1;
			} else if (cp < 0xa0 || util_cp_hidden(cp)) {
				/* C1, bidi and format controls: visible as
				 * escapes, never acted on by a viewer. */
				snprintf(esc, sizeof(esc), "\\u%04x",
					 (unsigned)cp);
				put = esc;
				plen = 6;
			}
		}
		if (o + plen >= len)
			break;
		memcpy(dst + o, put, plen);
		o += plen;
		s += n;
	}
	dst[o] = '\0';
	return dst;
}

/* IPv4 by hand: inet_ntop's sprintf was a tenth of a 100,000-flow
 * snapshot. */
static void util_fmt_ipv4(char *buf, const uint8_t *a)
{
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		if (a[i] >= 100)
			*p++ = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			*p++ = (char)('0' + a[i] / 10 % 10);
		*p++ = (char)('0' + a[i] % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

char *util_fmt_addr(char *buf, size_t len, int family, const void *addr)
{
	if (!buf || !len)
		return buf;
	if (addr && family == AF_INET && len >= 16) {
		util_fmt_ipv4(buf, addr);
		return buf;
	}
	if (!addr || (family != AF_INET && family != AF_INET6) ||
	    len > (size_t)INT32_MAX ||
	    !inet_ntop(family, addr, buf, (socklen_t)len))
		buf[0] = '\0';
	return buf;
}

static uint64_t util_now(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t util_now_mono(void)
{
	return util_now(CLOCK_MONOTONIC);
}

uint64_t util_now_real(void)
{
	return util_now(CLOCK_REALTIME);
}

int util_read_file(const char *path, size_t max, char **data, size_t *len)
{
	struct stat st;
	size_t got = 0, cap;
	char *buf;
	ssize_t n;
	int fd, err = 0;

	*data = NULL;
	*len = 0;
	/* O_NONBLOCK: open() of a FIFO would wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	/* FIFOs, devices (/dev/zero never ends), directories. */
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		err = -EFBIG;
		goto out;
	}
	/* One byte more than allowed: a file that grew is caught too. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (got == cap) {
			char *t;

			if (cap > max) {
				free(buf);
				err = -EFBIG;
				goto out;
			}
			cap = cap * 2 < max + 1 ? cap * 2 : max + 1;
			t = realloc(buf, cap + 1);
			if (!t) {
				free(buf);
				err = -ENOMEM;
				goto out;
			}
			buf = t;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			free(buf);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > max) {
		free(buf);
		err = -EFBIG;
		goto out;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
out:
	close(fd);
	return err;
}

char *util_next_line(char **pos, char *end, size_t *len)
{
	char *line = *pos, *nl;

	if (line >= end)
		return NULL;
	nl = memchr(line, '\n', (size_t)(end - line));
	/* The last line may lack its newline: the buffer's NUL ends it. */
	if (!nl)
		nl = end;
	*nl = '\0';
	if (len)
		*len = (size_t)(nl - line);
	*pos = nl + 1;
	return line;
}

const char *util_read_file_why(char *buf, size_t len, int err, size_t max)
{
	char size[32];

	if (err == -EINVAL)
		snprintf(buf, len, "not a regular file, not read");
	else if (err == -EFBIG)
		snprintf(buf, len, "larger than %s, not read",
			 util_fmt_bytes(size, sizeof(size), max));
	else
		snprintf(buf, len, "%s", strerror(-err));
	return buf;
}

bool util_nl_frames_ok(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct nlmsghdr h;
	size_t off = 0, step;

	while (len - off >= sizeof(h)) {
		memcpy(&h, p + off, sizeof(h));
		/* What mnl_nlmsg_ok() would take as a negative length. */
		if (h.nlmsg_len > INT_MAX)
			return false;
		/* Too short or cut off: libmnl stops here, safely. */
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			break;
		step = NLMSG_ALIGN(h.nlmsg_len);
		/* The last message may lack its padding. */
		if (step >= len - off)
			break;
		off += step;
	}
	return true;
}

static atomic_ulong util_fd_shorts;

rlim_t util_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	/* Everything here polls, nothing select()s: any number will do. */
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

void util_fd_short(int err)
{
	if (err == EMFILE || err == ENFILE || err == -EMFILE ||
	    err == -ENFILE)
		atomic_fetch_add(&util_fd_shorts, 1);
}

const char *util_fd_short_text(char *buf, size_t len)
{
	struct rlimit rl;

	if (!atomic_load(&util_fd_shorts))
		return NULL;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		snprintf(buf, len, "out of file descriptors: some processes "
			 "and names not found");
	else
		snprintf(buf, len, "out of file descriptors (ulimit -n %llu): "
			 "some processes and names not found",
			 (unsigned long long)rl.rlim_cur);
	return buf;
}

void util_background(int tid)
{
	/* Linux: PRIO_PROCESS with a thread id sets that thread alone. */
	if (setpriority(PRIO_PROCESS, tid ? (id_t)tid : (id_t)gettid(), 10)) {
		/* a lower priority is only a courtesy */
	}
}
