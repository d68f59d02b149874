/* util: formatting of numbers, inert text, whole files, clocks. */
#ifndef FLOWTOP_UTIL_H
#define FLOWTOP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

/* "0 B", "1023 B", "1.0 KiB", "12.3 MiB", ... (IEC, one decimal). */
char *util_fmt_bytes(char *buf, size_t len, uint64_t bytes);
/* Rate in bytes/s as "12.3 kB/s" or, with bits, "98.4 kbit/s" (SI). */
char *util_fmt_rate(char *buf, size_t len, double bytes_per_sec, bool bits);
/* Packet count: "999", "1.2k", "3.4M". */
char *util_fmt_count(char *buf, size_t len, uint64_t n);
/* Duration in seconds: "59s", "1m02s", "3h04m", "2d03h". */
char *util_fmt_duration(char *buf, size_t len, uint64_t seconds);

/* Copy src into dst so that it can be kept and drawn: control characters
 * (C0, DEL, C1) and invalid UTF-8 become '?', valid UTF-8 is kept; always
 * NUL terminated, never splits a UTF-8 sequence.  Returns dst. */
char *util_sanitize(char *dst, size_t len, const char *src);
/* The same, and bidi and format controls (U+202E ...) become '?' too: for
 * text that goes out as it is (-B, warnings), where they would reorder or
 * hide what follows in a viewer.  The screen and JSON have their own. */
char *util_inert(char *dst, size_t len, const char *src);
/* src as the inside of a JSON string: '"' and '\\' escaped, controls (C0,
 * DEL, C1) and bidi and format controls as \\uXXXX, invalid UTF-8 as '?',
 * other UTF-8 kept; always NUL terminated, never cuts an escape or a UTF-8
 * sequence.  Returns dst. */
char *util_json_escape(char *dst, size_t len, const char *src);
/* Is code point cp a bidi or format control (no width; reorders or hides
 * what follows: U+200B..U+200F, U+202A..U+202E, U+2060..U+206F, ...)? */
bool util_cp_hidden(uint32_t cp);

/* Address to text (inet_ntop), family AF_INET or AF_INET6. */
char *util_fmt_addr(char *buf, size_t len, int family, const void *addr);

/* The whole of path, if it is a regular file of at most max bytes, in a
 * new buffer (*data, NUL terminated, free() it; *len bytes before the
 * NUL).  Opened with O_NONBLOCK, so a FIFO cannot hang it.  -EINVAL for
 * what is not a regular file (FIFO, device, directory), -EFBIG above max,
 * else -errno (-ENOENT: missing). */
int util_read_file(const char *path, size_t max, char **data, size_t *len);
/* The next line of such a buffer, from *pos up to end (data + len): its
 * newline becomes a NUL, *pos moves past it, *len (if given) is its length
 * (a NUL inside shows as strlen < len).  NULL after the last line. */
char *util_next_line(char **pos, char *end, size_t *len);
/* Why util_read_file failed, for "PATH: why": "not a regular file, not
 * read", "larger than 1.0 MiB, not read", or strerror's text. */
const char *util_read_file_why(char *buf, size_t len, int err, size_t max);

/* Can libmnl walk buf safely?  False if a message it would reach claims
 * 2^31 bytes or more: mnl_nlmsg_ok() compares (int)nlmsg_len, so such a
 * length passes and mnl_nlmsg_next() then walks backwards, or not at all.
 * (A length that is merely too short or too long ends libmnl's walk.)
 * Call before mnl_cb_run.  Only a sender with CAP_NET_ADMIN (a
 * container's root, with -N) can forge one, but it must not hang or
 * crash us. */
bool util_nl_frames_ok(const void *buf, size_t len);

/* Raise the soft limit on open files to the hard one; the limit now. */
rlim_t util_raise_nofile(void);
/* Count a failure for want of descriptors (err: EMFILE or ENFILE, either
 * sign; others are ignored): the work it was for is not done. */
void util_fd_short(int err);
/* After such a failure, one line saying so (in buf), else NULL. */
const char *util_fd_short_text(char *buf, size_t len);

/* Lower the CPU priority of thread tid (0: the calling one) to nice 10:
 * the threads that read and enrich the table give way to the screen's
 * when the cores are busy.  Failure is ignored. */
void util_background(int tid);

/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds. */
uint64_t util_now_mono(void);
uint64_t util_now_real(void);

#endif
