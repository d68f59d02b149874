/* Unit tests for util.c: number formatting, util_sanitize, files. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "check.h"
#include "util.h"

static char buf[128];

static const char *bytes(uint64_t v)
{
	return util_fmt_bytes(buf, sizeof(buf), v);
}

static const char *count(uint64_t v)
{
	return util_fmt_count(buf, sizeof(buf), v);
}

static const char *rate(double v, bool bits)
{
	return util_fmt_rate(buf, sizeof(buf), v, bits);
}

static const char *dur(uint64_t v)
{
	return util_fmt_duration(buf, sizeof(buf), v);
}

static const char *san(const char *s)
{
	return util_sanitize(buf, sizeof(buf), s);
}

static void test_bytes(void)
{
	CHECK_STR(bytes(0), "0 B");
	CHECK_STR(bytes(1), "1 B");
	CHECK_STR(bytes(1023), "1023 B");
	CHECK_STR(bytes(1024), "1.0 KiB");
	CHECK_STR(bytes(1075), "1.0 KiB");	/* 1.0498 */
	CHECK_STR(bytes(1076), "1.1 KiB");	/* 1.0508 */
	CHECK_STR(bytes(1536), "1.5 KiB");
	CHECK_STR(bytes(10240), "10.0 KiB");
	CHECK_STR(bytes(1048524), "1023.9 KiB");
	/* 1023.95 KiB would print as 1024.0 KiB: next unit instead. */
	CHECK_STR(bytes(1048525), "1.0 MiB");
	CHECK_STR(bytes(1048575), "1.0 MiB");
	CHECK_STR(bytes(1048576), "1.0 MiB");
	CHECK_STR(bytes(12897485), "12.3 MiB");
	CHECK_STR(bytes(1073741824ull), "1.0 GiB");
	CHECK_STR(bytes(1073741824ull * 3 / 2), "1.5 GiB");
	CHECK_STR(bytes(1ull << 40), "1.0 TiB");
	CHECK_STR(bytes(6047313952768ull), "5.5 TiB");
	CHECK_STR(bytes(1ull << 50), "1.0 PiB");
	CHECK_STR(bytes(1ull << 60), "1.0 EiB");
	CHECK_STR(bytes(UINT64_MAX), "16.0 EiB");
}

static void test_count(void)
{
	CHECK_STR(count(0), "0");
	CHECK_STR(count(7), "7");
	CHECK_STR(count(999), "999");
	CHECK_STR(count(1000), "1.0k");
	CHECK_STR(count(1049), "1.0k");
	CHECK_STR(count(1050), "1.1k");
	CHECK_STR(count(1234), "1.2k");
	CHECK_STR(count(999949), "999.9k");
	CHECK_STR(count(999950), "1.0M");
	CHECK_STR(count(3400000), "3.4M");
	CHECK_STR(count(5600000000ull), "5.6G");
	CHECK_STR(count(1000000000000ull), "1.0T");
	CHECK_STR(count(UINT64_MAX), "18.4E");
}

static void test_rate(void)
{
	CHECK_STR(rate(0, false), "0 B/s");
	CHECK_STR(rate(1, false), "1 B/s");
	CHECK_STR(rate(999, false), "999 B/s");
	CHECK_STR(rate(999.4, false), "999 B/s");
	CHECK_STR(rate(999.6, false), "1.0 kB/s");
	CHECK_STR(rate(1000, false), "1.0 kB/s");
	CHECK_STR(rate(1234, false), "1.2 kB/s");
	CHECK_STR(rate(12345, false), "12.3 kB/s");
	CHECK_STR(rate(999949, false), "999.9 kB/s");
	/* 999.95 kB/s rounds to 1000.0: must switch to MB. */
	CHECK_STR(rate(999950, false), "1.0 MB/s");
	CHECK_STR(rate(3.4e6, false), "3.4 MB/s");
	CHECK_STR(rate(1e9, false), "1.0 GB/s");
	CHECK_STR(rate(2.5e12, false), "2.5 TB/s");
	CHECK_STR(rate(1e18, false), "1.0 EB/s");
	CHECK_STR(rate(1e21, false), "1000.0 EB/s");
	CHECK_STR(rate((double)UINT64_MAX, false), "18.4 EB/s");
	/* Nonsense input must still give a sane cell. */
	CHECK_STR(rate(-5, false), "0 B/s");
	CHECK_STR(rate(-0.0, false), "0 B/s");
	CHECK_STR(rate(NAN, false), "0 B/s");
	CHECK_STR(rate(INFINITY, false), "0 B/s");

	CHECK_STR(rate(0, true), "0 bit/s");
	CHECK_STR(rate(1, true), "8 bit/s");
	CHECK_STR(rate(124.9, true), "999 bit/s");
	CHECK_STR(rate(125, true), "1.0 kbit/s");
	CHECK_STR(rate(12300, true), "98.4 kbit/s");
	CHECK_STR(rate(150000, true), "1.2 Mbit/s");
	CHECK_STR(rate(1.25e8, true), "1.0 Gbit/s");
	CHECK_STR(rate(124993750, true), "1.0 Gbit/s"); /* 999.95 Mbit */
	CHECK_STR(rate(-1, true), "0 bit/s");
}

static void test_duration(void)
{
	CHECK_STR(dur(0), "0s");
	CHECK_STR(dur(59), "59s");
	CHECK_STR(dur(60), "1m00s");
	CHECK_STR(dur(62), "1m02s");
	CHECK_STR(dur(3599), "59m59s");
	CHECK_STR(dur(3600), "1h00m");
	CHECK_STR(dur(3 * 3600 + 4 * 60 + 59), "3h04m");
	CHECK_STR(dur(86399), "23h59m");
	CHECK_STR(dur(86400), "1d00h");
	CHECK_STR(dur(2 * 86400 + 3 * 3600 + 3599), "2d03h");
	CHECK_STR(dur(UINT64_MAX), "213503982334601d07h");
}

/* Small and empty buffers: NUL terminated, nothing written past len. */
static void test_small_buffers(void)
{
	char b[8];

	memset(b, 'X', sizeof(b));
	CHECK(util_fmt_bytes(b, 4, 1536) == b);
	CHECK_STR(b, "1.5");
	CHECK(b[4] == 'X');

	memset(b, 'X', sizeof(b));
	util_fmt_rate(b, 1, 1e6, true);
	CHECK(b[0] == '\0' && b[1] == 'X');

	memset(b, 'X', sizeof(b));
	CHECK(util_fmt_count(b, 0, 5) == b);
	CHECK(util_fmt_duration(b, 0, 5) == b);
	CHECK(util_sanitize(b, 0, "abc") == b);
	CHECK(util_fmt_addr(b, 0, AF_INET, "\x7f\0\0\1") == b);
	CHECK(b[0] == 'X');

	CHECK(util_fmt_bytes(NULL, 10, 1) == NULL);
	CHECK(util_fmt_rate(NULL, 10, 1, false) == NULL);
	CHECK(util_fmt_count(NULL, 10, 1) == NULL);
	CHECK(util_fmt_duration(NULL, 10, 1) == NULL);
	CHECK(util_sanitize(NULL, 10, "x") == NULL);
	CHECK(util_fmt_addr(NULL, 10, AF_INET, "\x7f\0\0\1") == NULL);
}

static void test_sanitize_controls(void)
{
	CHECK_STR(san("hello, world"), "hello, world");
	CHECK_STR(san(""), "");
	CHECK_STR(san("\x1b[2J"), "?[2J");
	CHECK_STR(san("\x1b]0;owned\x07"), "?]0;owned?");
	CHECK_STR(san("a\tb\r\n"), "a?b??");
	CHECK_STR(san("\x01\x1f "), "?? ");
	CHECK_STR(san("~\x7f"), "~?");
	/* Raw 0x9b is 8-bit CSI on some terminals, and bad UTF-8. */
	CHECK_STR(san("\x9b" "2J"), "?2J");
	/* C1 controls encoded as valid UTF-8: U+0080, U+009B, U+009F. */
	CHECK_STR(san("x\xc2\x80y"), "x?y");
	CHECK_STR(san("\xc2\x9b" "2J"), "?2J");
	CHECK_STR(san("\xc2\x9f"), "?");
	/* U+00A0 and U+00A9 are the first printable ones after C1. */
	CHECK_STR(san("\xc2\xa0\xc2\xa9"), "\xc2\xa0\xc2\xa9");
}

static void test_sanitize_invalid(void)
{
	/* Overlong '/': C0 and C1 can never start a sequence. */
	CHECK_STR(san("\xc0\xaf"), "??");
	CHECK_STR(san("\xc1\xbf"), "??");
	CHECK_STR(san("\xe0\x80\xaf"), "???");
	CHECK_STR(san("\xe0\x9f\xbf"), "???");
	CHECK_STR(san("\xf0\x80\x80\xaf"), "????");
	CHECK_STR(san("\xf0\x8f\xbf\xbf"), "????");
	/* UTF-16 surrogates U+D800, U+DFFF; U+D7FF and U+E000 are fine. */
	CHECK_STR(san("\xed\xa0\x80"), "???");
	CHECK_STR(san("\xed\xbf\xbf"), "???");
	CHECK_STR(san("\xed\x9f\xbf"), "\xed\x9f\xbf");
	CHECK_STR(san("\xee\x80\x80"), "\xee\x80\x80");
	/* Above U+10FFFF. */
	CHECK_STR(san("\xf4\x90\x80\x80"), "????");
	CHECK_STR(san("\xf5\x80\x80\x80"), "????");
	CHECK_STR(san("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");
	CHECK_STR(san("\xfe\xff"), "??");
	/* Lone continuation bytes. */
	CHECK_STR(san("a\x80\xbf" "b"), "a??b");
	/* Truncated sequences: one '?' for the prefix, then resync. */
	CHECK_STR(san("abc\xe6\x9d"), "abc?");
	CHECK_STR(san("abc\xf0\x9f\x98"), "abc?");
	CHECK_STR(san("abc\xc3"), "abc?");
	CHECK_STR(san("\xe6\x9d" "A"), "?A");
	CHECK_STR(san("\xf0\x9f\x98\xe6\x9d\xb1"), "?\xe6\x9d\xb1");
	CHECK_STR(san("\xe6\x9d\x1b"), "??");
}

static const char *inert(const char *s)
{
	return util_inert(buf, sizeof(buf), s);
}

/* Bidi and format controls would reorder a line of -B output in a
 * viewer: as inert as the screen.  Stored names keep them (JSON escapes
 * them). */
static void test_inert(void)
{
	CHECK_STR(inert("evil\xe2\x80\xaegnp.exe"), "evil?gnp.exe");
	CHECK_STR(san("evil\xe2\x80\xaegnp.exe"), "evil\xe2\x80\xaegnp.exe");
	CHECK_STR(inert("a\xe2\x80\x8b" "b\xe2\x80\x8f" "c\xe2\x81\xa6" "d"),
		  "a?b?c?d");
	CHECK_STR(inert("\xef\xbb\xbf" "bom\xd8\x9c\xe1\xa0\x8e\xef\xbf\xb9"),
		  "?bom???");
	/* The rest as util_sanitize does it. */
	CHECK_STR(inert("\x1b[2J\xc2\x9b\xff"), "?[2J??");
	/* Neighbours of the ranges stay. */
	CHECK_STR(inert("\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xaf"),
		  "\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xaf");
	CHECK(util_cp_hidden(0x202e) && util_cp_hidden(0x2066) &&
	      !util_cp_hidden(0x202f) && !util_cp_hidden('A'));
}

static void test_json_escape(void)
{
	char out[64];

	CHECK_STR(util_json_escape(out, sizeof(out), "a\"b\\c"),
		  "a\\\"b\\\\c");
	CHECK_STR(util_json_escape(out, sizeof(out), "\x1b[2J\x7f\n"),
		  "\\u001b[2J\\u007f\\u000a");
	CHECK_STR(util_json_escape(out, sizeof(out), "evil\xe2\x80\xaegnp"),
		  "evil\\u202egnp");
	CHECK_STR(util_json_escape(out, sizeof(out),
				   "\xc2\x9b" "1m\xef\xbb\xbf"),
		  "\\u009b1m\\ufeff");
	CHECK_STR(util_json_escape(out, sizeof(out), "Z\xc3\xbcrich \xff."),
		  "Z\xc3\xbcrich ?.");
	/* Never half an escape or half a character at the end. */
	CHECK_STR(util_json_escape(out, 8, "ab\x01"), "ab");
	CHECK_STR(util_json_escape(out, 9, "ab\x01"), "ab\\u0001");
	CHECK_STR(util_json_escape(out, 4, "a\xc3\xbc"), "a\xc3\xbc");
	CHECK_STR(util_json_escape(out, 3, "a\xc3\xbc"), "a");
	CHECK_STR(util_json_escape(out, sizeof(out), NULL), "");
}

static void test_sanitize_valid(void)
{
	CHECK_STR(san("Z\xc3\xbcrich"), "Z\xc3\xbcrich");
	CHECK_STR(san("\xe6\x9d\xb1\xe4\xba\xac"), "\xe6\x9d\xb1\xe4\xba\xac");
	CHECK_STR(san("\xf0\x9f\x98\x80 ok"), "\xf0\x9f\x98\x80 ok");
	CHECK_STR(san("S\xc3\xa3o Paulo / \xd0\x9c\xd0\xbe\xd1\x81\xd0\xba"
		      "\xd0\xb2\xd0\xb0"),
		  "S\xc3\xa3o Paulo / \xd0\x9c\xd0\xbe\xd1\x81\xd0\xba"
		  "\xd0\xb2\xd0\xb0");
}

static void test_sanitize_truncation(void)
{
	char b[16];
	const char *tokyo = "\xe6\x9d\xb1\xe4\xba\xac";

	memset(b, 'X', sizeof(b));
	CHECK_STR(util_sanitize(b, 4, tokyo), "\xe6\x9d\xb1");
	CHECK(b[4] == 'X');
	CHECK_STR(util_sanitize(b, 6, tokyo), "\xe6\x9d\xb1");
	CHECK_STR(util_sanitize(b, 7, tokyo), tokyo);
	CHECK_STR(util_sanitize(b, 3, tokyo), "");
	CHECK_STR(util_sanitize(b, 5, "ab\xe6\x9d\xb1"), "ab");
	CHECK_STR(util_sanitize(b, 4, "abcdef"), "abc");
	CHECK_STR(util_sanitize(b, 1, "abc"), "");
	CHECK_STR(util_sanitize(b, 4, "\xf0\x9f\x98\x80"), "");
	CHECK_STR(util_sanitize(b, 5, "\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
	/* No later, shorter character is squeezed in after a cut. */
	CHECK_STR(util_sanitize(b, 5, "a\xf0\x9f\x98\x80z"), "a");
	CHECK_STR(util_sanitize(b, 3, "\x1b\x1b\x1b"), "??");
	CHECK_STR(util_sanitize(b, sizeof(b), NULL), "");
}

/*
 * Independent check of an output: it decodes with the C library's UTF-8
 * decoder and holds no C0, DEL, C1, surrogate or out-of-range code point.
 */
static int inert_utf8(const char *s)
{
	mbstate_t st;
	size_t n, left = strlen(s);
	wchar_t wc;

	memset(&st, 0, sizeof(st));
	while (left) {
		n = mbrtowc(&wc, s, left, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			return 0;
		if (wc < 0x20 || (wc >= 0x7f && wc <= 0x9f) ||
		    (wc >= 0xd800 && wc <= 0xdfff) || wc > 0x10ffff)
			return 0;
		s += n;
		left -= n;
	}
	return 1;
}

/* Random bytes, random buffer sizes: output always inert and bounded. */
static void test_sanitize_random(void)
{
	static const unsigned char pick[] = {
		0x00, 0x1b, 0x7f, 0x80, 0x9b, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0,
		0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 'a', '?', 0xa0, 0x90,
	};
	char src[64], out[72];
	unsigned int seed = 12345;
	int i, j, len, bad = 0, overrun = 0;

	if (!setlocale(LC_CTYPE, "C.UTF-8")) {
		fprintf(stderr, "no C.UTF-8 locale, random test skipped\n");
		check_failed++;
		return;
	}
	for (i = 0; i < 20000; i++) {
		len = rand_r(&seed) % 40;
		for (j = 0; j < len; j++) {
			unsigned int r = (unsigned int)rand_r(&seed);

			src[j] = (char)(r & 1 ? pick[r / 2 % sizeof(pick)]
					      : (r / 2 % 255) + 1);
		}
		src[len] = '\0';
		memset(out, 'X', sizeof(out));
		j = 1 + rand_r(&seed) % 64;
		util_sanitize(out, (size_t)j, src);
		if (!memchr(out, '\0', (size_t)j) || out[j] != 'X')
			overrun++;
		else if (!inert_utf8(out))
			bad++;
	}
	CHECK(overrun == 0);
	CHECK(bad == 0);
	setlocale(LC_CTYPE, "C");
}

/* Valid printable text of random code points passes unchanged. */
static void test_sanitize_roundtrip(void)
{
	char src[128], out[128];
	unsigned int seed = 777;
	int i, k, changed = 0;

	for (i = 0; i < 5000; i++) {
		size_t o = 0;

		for (k = 0; k < 20; k++) {
			uint32_t cp = (uint32_t)rand_r(&seed) % 0x110000;

			if (cp < 0xa0 || (cp >= 0xd800 && cp <= 0xdfff))
				cp = 'A' + cp % 26;
			if (cp < 0x80) {
				src[o++] = (char)cp;
			} else if (cp < 0x800) {
				src[o++] = (char)(0xc0 | cp >> 6);
				src[o++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				src[o++] = (char)(0xe0 | cp >> 12);
				src[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
				src[o++] = (char)(0x80 | (cp & 0x3f));
			} else {
				src[o++] = (char)(0xf0 | cp >> 18);
				src[o++] = (char)(0x80 | (cp >> 12 & 0x3f));
				src[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
				src[o++] = (char)(0x80 | (cp & 0x3f));
			}
		}
		src[o] = '\0';
		util_sanitize(out, sizeof(out), src);
		if (strcmp(out, src))
			changed++;
	}
	CHECK(changed == 0);
}

static void test_addr(void)
{
	struct in_addr a4;
	struct in6_addr a6;
	char small[8];

	CHECK(inet_pton(AF_INET, "192.0.2.1", &a4) == 1);
	CHECK_STR(util_fmt_addr(buf, sizeof(buf), AF_INET, &a4), "192.0.2.1");
	CHECK(inet_pton(AF_INET6, "2001:db8::1", &a6) == 1);
	CHECK_STR(util_fmt_addr(buf, sizeof(buf), AF_INET6, &a6),
		  "2001:db8::1");
	CHECK(inet_pton(AF_INET6, "::ffff:198.51.100.7", &a6) == 1);
	CHECK_STR(util_fmt_addr(buf, sizeof(buf), AF_INET6, &a6),
		  "::ffff:198.51.100.7");
	CHECK_STR(util_fmt_addr(buf, sizeof(buf), AF_UNIX, &a4), "");
	CHECK_STR(util_fmt_addr(buf, sizeof(buf), AF_INET, NULL), "");
	/* Too small for "192.0.2.1": empty, not a cut address. */
	CHECK(inet_pton(AF_INET, "192.0.2.1", &a4) == 1);
	CHECK_STR(util_fmt_addr(small, sizeof(small), AF_INET, &a4), "");
	/* IPv4 is formatted by hand: the same text as inet_ntop, for
	 * every value of each byte. */
	for (unsigned v = 0, bad = 0; v < 256 * 4; v++) {
		uint8_t b[4] = { 1, 20, 0, 255 };
		char want[INET_ADDRSTRLEN];

		b[v / 256] = (uint8_t)v;
		inet_ntop(AF_INET, b, want, sizeof(want));
		bad += strcmp(util_fmt_addr(buf, sizeof(buf), AF_INET, b),
			      want) != 0;
		if (v == 256 * 4 - 1)
			CHECK(bad == 0);
	}
}

static void test_clocks(void)
{
	uint64_t m1, m2, r;
	struct timespec ts = { 0, 2000000 };

	m1 = util_now_mono();
	nanosleep(&ts, NULL);
	m2 = util_now_mono();
	CHECK(m1 > 0);
	CHECK(m2 >= m1 + 2000000);
	CHECK(m2 - m1 < 5000000000ull);

	/* time() may lag CLOCK_REALTIME by up to a tick (it reads the
	 * coarse clock), so allow one second either way. */
	r = util_now_real();
	CHECK(r / 1000000000ull + 2 >= (uint64_t)time(NULL));
	CHECK(r / 1000000000ull <= (uint64_t)time(NULL) + 1);
}

static void test_read_file(void)
{
	char dir[] = "/tmp/test_util.XXXXXX", path[128], why[64], *data;
	size_t len;
	FILE *f;
	int i;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		check_failed++;
		return;
	}
	/* A FIFO that blocked open() would end the test here. */
	alarm(20);
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	for (i = 0; f && i < 100; i++)
		fputs("0123456789", f);
	if (f)
		fclose(f);
	CHECK(util_read_file(path, 1000, &data, &len) == 0);
	CHECK(data && len == 1000 && data[1000] == '\0' &&
	      !strncmp(data + 990, "0123456789", 10));
	free(data);
	/* One byte over the limit is too big, and says by how much. */
	CHECK(util_read_file(path, 999, &data, &len) == -EFBIG);
	CHECK(data == NULL && len == 0);
	CHECK_STR(util_read_file_why(why, sizeof(why), -EFBIG, 999),
		  "larger than 999 B, not read");
	CHECK_STR(util_read_file_why(why, sizeof(why), -EFBIG, 1u << 20),
		  "larger than 1.0 MiB, not read");
	unlink(path);

	f = fopen(path, "w");
	if (f)
		fclose(f);
	CHECK(util_read_file(path, 10, &data, &len) == 0);
	CHECK(data && len == 0 && data[0] == '\0');
	free(data);
	unlink(path);
	CHECK(util_read_file(path, 10, &data, &len) == -ENOENT);
	CHECK_STR(util_read_file_why(why, sizeof(why), -ENOENT, 10),
		  "No such file or directory");

	/* Not regular: refused at once, whatever their size would be. */
	CHECK(util_read_file(dir, 10, &data, &len) == -EINVAL);
	CHECK_STR(util_read_file_why(why, sizeof(why), -EINVAL, 10),
		  "not a regular file, not read");
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(util_read_file(path, 1u << 20, &data, &len) == -EINVAL);
	unlink(path);
	CHECK(symlink("/dev/zero", path) == 0);
	CHECK(util_read_file(path, 1u << 20, &data, &len) == -EINVAL);
	CHECK(data == NULL);
	unlink(path);
	alarm(0);
	rmdir(dir);
}

static void test_next_line(void)
{
	char text[] = "a\nbc\n\nd\0e\nlast", *pos = text, *end, *l;
	char empty[] = "", *epos = empty;
	size_t n = 99;

	end = text + sizeof(text) - 1;
	l = util_next_line(&pos, end, &n);
	CHECK(l && !strcmp(l, "a") && n == 1);
	l = util_next_line(&pos, end, &n);
	CHECK(l && !strcmp(l, "bc") && n == 2);
	l = util_next_line(&pos, end, &n);
	CHECK(l && !strcmp(l, "") && n == 0);
	l = util_next_line(&pos, end, &n);
	CHECK(l && !strcmp(l, "d") && n == 3);	/* the NUL shows */
	l = util_next_line(&pos, end, NULL);
	CHECK(l && !strcmp(l, "last"));
	CHECK(util_next_line(&pos, end, &n) == NULL);
	CHECK(util_next_line(&epos, empty, &n) == NULL);
}

static void test_nl_frames(void)
{
	uint32_t b[16];

	memset(b, 0, sizeof(b));
	CHECK(util_nl_frames_ok(b, 0));
	CHECK(util_nl_frames_ok(b, 15));	/* less than a header: none */
	CHECK(util_nl_frames_ok(b, 16));	/* 0: libmnl stops */
	b[0] = 17;
	CHECK(util_nl_frames_ok(b, 16));	/* cut off: libmnl stops */
	CHECK(util_nl_frames_ok(b, 17));	/* no padding at the end */
	/* What libmnl lets through: (int)0xfffffff0 is -16. */
	b[0] = 0xfffffff0u;
	CHECK(!util_nl_frames_ok(b, 64));
	b[0] = 0x80000000u;
	CHECK(!util_nl_frames_ok(b, 64));
	b[0] = 0x7fffffffu;
	CHECK(util_nl_frames_ok(b, 64));
	/* The second message's length is looked at too. */
	b[0] = 20;
	b[5] = 24;
	CHECK(util_nl_frames_ok(b, 44));
	b[5] = 0xfffffff0u;
	CHECK(!util_nl_frames_ok(b, 64));
	CHECK(util_nl_frames_ok(b, 35));	/* not reached: too short */
}

int main(void)
{
	test_bytes();
	test_count();
	test_rate();
	test_duration();
	test_small_buffers();
	test_sanitize_controls();
	test_sanitize_invalid();
	test_sanitize_valid();
	test_inert();
	test_json_escape();
	test_sanitize_truncation();
	test_sanitize_random();
	test_sanitize_roundtrip();
	test_addr();
	test_clocks();
	test_read_file();
	test_next_line();
	test_nl_frames();
	return check_summary("test_util");
}
