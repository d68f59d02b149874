/* sysctl: switch on conntrack accounting and timestamps, put them back. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sysctl.h"

#define SYSCTL_VAL_MAX		64
#define SYSCTL_PIDS_MAX		64	/* instances one state file counts */
#define SYSCTL_STATE_MAX	4096
#define SYSCTL_LOCK_TRIES	300	/* 10 ms each */

/* One sysctl we may change.  Everything restore needs is prepared at
 * enable time, so restore is open/write/close on static memory. */
struct sysctl_saved {
	const char *name;
	char path[PATH_MAX];
	char value[SYSCTL_VAL_MAX];	/* original text, with a newline */
	size_t value_len;
	atomic_bool pending;		/* changed by us, not yet put back */
};

static struct sysctl_saved sysctl_saved[] = {
	{ .name = "nf_conntrack_acct" },
	{ .name = "nf_conntrack_timestamp" },
};

#define SYSCTL_NSAVED	(sizeof(sysctl_saved) / sizeof(sysctl_saved[0]))

/*
 * The state file shared by the instances of one namespace: the values
 * the first of them found (only those some instance changed), and the
 * live instances as pid and start time, so that a reused pid is not
 * taken for a live instance.  Lines "name=value" and "pid=PID/START".
 */
struct sysctl_rec {
	char value[SYSCTL_NSAVED][SYSCTL_VAL_MAX];
	size_t value_len[SYSCTL_NSAVED];	/* 0: nothing to put back */
	struct {
		unsigned long pid, start;
	} live[SYSCTL_PIDS_MAX];
	size_t nlive;
};

/* Static, not on the stack: restore may run from a crash handler. */
static char sysctl_state[PATH_MAX];	/* "" when not shared */
static atomic_bool sysctl_joined;	/* our pid is in the state file */
static atomic_flag sysctl_busy = ATOMIC_FLAG_INIT;
static unsigned long sysctl_me, sysctl_me_start;
static struct sysctl_rec sysctl_rec;
static char sysctl_buf[SYSCTL_STATE_MAX];

static int sysctl_path(char *buf, size_t len, const char *root,
		       const char *name)
{
	int n;

	if (!root || !name)
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s", root, name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Async-signal-safe: up to len - 1 bytes of a file, NUL terminated. */
static ssize_t sysctl_slurp(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

/* Whole file into buf without trailing white space; length or -errno. */
static int sysctl_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = sysctl_slurp(fd, buf, len);
	close(fd);
	if (n < 0)
		return (int)n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' ||
			 buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	return (int)n;
}

static int sysctl_parse(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || *end)
		return -EINVAL;
	return 0;
}

/* Async-signal-safe: open, write and close only.  errno is saved since
 * this may interrupt code that is about to look at it. */
static int sysctl_write(const char *path, const char *val, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = write(fd, val, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	/* procfs reports a rejected value at write time, not close. */
	close(fd);
	return err;
}

/* The number at *p (digits only); moves *p past it.  Signal-safe. */
static bool sysctl_num(const char **p, unsigned long *v)
{
	const char *s = *p;
	unsigned long n = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (ULONG_MAX - 9) / 10)
			return false;
		n = n * 10 + (unsigned long)(*s - '0');
	}
	*p = s;
	*v = n;
	return true;
}

/* Appends v in decimal; returns the new end.  Signal-safe. */
static char *sysctl_put_num(char *p, unsigned long v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *sysctl_put_str(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* Field 22 of the main thread's stat, the start time in clock ticks; 0
 * when the process is gone.  Not /proc/PID/stat: qemu-user fakes that one
 * for its own process, with a start time of 0.  Signal-safe. */
static unsigned long sysctl_start_time(unsigned long pid)
{
	char path[64], buf[1024], *p = path;
	const char *s;
	unsigned long v;
	int fd, field;

	p = sysctl_put_str(p, "/proc/", 6);
	p = sysctl_put_num(p, pid);
	p = sysctl_put_str(p, "/task/", 6);
	p = sysctl_put_num(p, pid);
	p = sysctl_put_str(p, "/stat", 6);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (sysctl_slurp(fd, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	close(fd);
	/* The command name may hold spaces and ')': skip to the last one. */
	s = strrchr(buf, ')');
	if (!s)
		return 0;
	/* ") S ppid ...": field 3 is the first after the name. */
	for (field = 2; *s && field < 22; s++) {
		if (*s == ' ')
			field++;
	}
	if (field != 22 || !sysctl_num(&s, &v))
		return 0;
	return v;
}

static bool sysctl_alive(unsigned long pid, unsigned long start)
{
	if (pid == 0 || pid > INT_MAX)
		return false;
	if (kill((pid_t)pid, 0) && errno == ESRCH)
		return false;
	return sysctl_start_time(pid) == start;
}

/* Drop the instances that died without leaving, and us if drop_me. */
static void sysctl_rec_prune(struct sysctl_rec *r, bool drop_me)
{
	size_t i, n = 0;

	for (i = 0; i < r->nlive; i++) {
		bool me = r->live[i].pid == sysctl_me &&
			  r->live[i].start == sysctl_me_start;

		if (me ? drop_me : !sysctl_alive(r->live[i].pid,
						   r->live[i].start))
			continue;
		r->live[n++] = r->live[i];
	}
	r->nlive = n;
}

/* Anything we do not understand is dropped, as if never written. */
static void sysctl_rec_parse(struct sysctl_rec *r, const char *s)
{
	const char *eol, *eq;
	unsigned long pid, start;
	size_t i, n;

	memset(r, 0, sizeof(*r));
	for (; *s; s = *eol ? eol + 1 : eol) {
		eol = strchr(s, '\n');
		if (!eol)
			eol = s + strlen(s);
		eq = memchr(s, '=', (size_t)(eol - s));
		if (!eq)
			continue;
		n = (size_t)(eq - s);
		if (n == 3 && !memcmp(s, "pid", 3)) {
			const char *p = eq + 1;

			if (sysctl_num(&p, &pid) && *p++ == '/' &&
			    sysctl_num(&p, &start) && p == eol &&
			    r->nlive < SYSCTL_PIDS_MAX) {
				r->live[r->nlive].pid = pid;
				r->live[r->nlive++].start = start;
			}
			continue;
		}
		for (i = 0; i < SYSCTL_NSAVED; i++) {
			const char *name = sysctl_saved[i].name;
			size_t vlen = (size_t)(eol - eq - 1);

			if (strlen(name) != n || memcmp(s, name, n) ||
			    !vlen || vlen + 1 >= SYSCTL_VAL_MAX)
				continue;
			memcpy(r->value[i], eq + 1, vlen);
			r->value[i][vlen] = '\n';
			r->value_len[i] = vlen + 1;
		}
	}
}

/* The text of r in sysctl_buf; its length.  Fits: see the limits. */
static size_t sysctl_rec_format(const struct sysctl_rec *r)
{
	char *p = sysctl_buf;
	size_t i;

	for (i = 0; i < SYSCTL_NSAVED; i++) {
		if (!r->value_len[i])
			continue;
		p = sysctl_put_str(p, sysctl_saved[i].name,
				   strlen(sysctl_saved[i].name));
		*p++ = '=';
		/* The value keeps its newline. */
		p = sysctl_put_str(p, r->value[i], r->value_len[i]);
	}
	for (i = 0; i < r->nlive; i++) {
		p = sysctl_put_str(p, "pid=", 4);
		p = sysctl_put_num(p, r->live[i].pid);
		*p++ = '/';
		p = sysctl_put_num(p, r->live[i].start);
		*p++ = '\n';
	}
	return (size_t)(p - sysctl_buf);
}

/*
 * Open the state file and lock it, waiting a bounded time: a holder that
 * died released it, so a long wait means a live instance is stuck.  A
 * file unlinked by the last instance while we waited is opened afresh.
 * Returns the descriptor or -errno.  Signal-safe.
 */
static int sysctl_lock(void)
{
	struct timespec ts = { 0, 10000000 };
	struct stat st;
	int fd = -1, i;

	for (i = 0; i < SYSCTL_LOCK_TRIES; i++) {
		if (fd < 0)
			fd = open(sysctl_state, O_RDWR | O_CREAT | O_NOFOLLOW |
				  O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			if (errno != EWOULDBLOCK && errno != EINTR)
				break;
			nanosleep(&ts, NULL);
			continue;
		}
		if (fstat(fd, &st))
			break;
		if (st.st_nlink > 0) {
			if (S_ISREG(st.st_mode))
				return fd;
			errno = EINVAL;
			break;
		}
		close(fd);
		fd = -1;
	}
	if (i == SYSCTL_LOCK_TRIES)
		errno = ETIMEDOUT;
	i = errno;
	if (fd >= 0)
		close(fd);
	return -i;
}

static int sysctl_load(int fd, struct sysctl_rec *r)
{
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	n = sysctl_slurp(fd, sysctl_buf, sizeof(sysctl_buf));
	if (n < 0)
		return (int)n;
	sysctl_rec_parse(r, sysctl_buf);
	return 0;
}

/* Rewrite the file, or remove it when no instance is left.  The file is
 * still locked, and sysctl_lock skips an unlinked one. */
static int sysctl_store(int fd, const struct sysctl_rec *r)
{
	size_t len, off = 0;
	ssize_t n;

	if (!r->nlive)
		return unlink(sysctl_state) ? -errno : 0;
	len = sysctl_rec_format(r);
	if (ftruncate(fd, 0) || lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	while (off < len) {
		n = pwrite(fd, sysctl_buf + off, len - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

static int sysctl_enable_one(struct sysctl_saved *s, const char *root)
{
	char text[SYSCTL_VAL_MAX];
	long v;
	int n, err;

	/* Already switched on by us: keep the original value we saved. */
	if (atomic_load(&s->pending))
		return 0;
	err = sysctl_path(s->path, sizeof(s->path), root, s->name);
	if (err)
		return err;
	n = sysctl_read_text(s->path, text, sizeof(text) - 1);
	if (n < 0)
		return n;
	err = sysctl_parse(text, &v);
	if (err)
		return err;
	if (v != 0)
		return 0;
	memcpy(s->value, text, (size_t)n);
	s->value[n] = '\n';
	s->value_len = (size_t)n + 1;
	/* Pending before the write: a signal in between restores a value
	 * that was never changed, which is harmless; the reverse is not. */
	atomic_store(&s->pending, true);
	err = sysctl_write(s->path, "1\n", 2);
	if (err)
		atomic_store(&s->pending, false);
	return err;
}

/*
 * Join the instances of the state file.  The first value found is kept
 * by whoever changed it first, and only the last instance to leave puts
 * it back.  -errno when the file cannot be used: the caller then acts
 * alone.
 */
static int sysctl_enable_shared(const char *root, int *first_err)
{
	struct sysctl_rec *r = &sysctl_rec;
	size_t i;
	int fd, err;

	fd = sysctl_lock();
	if (fd < 0)
		return fd;
	err = sysctl_load(fd, r);
	if (err)
		goto out;
	sysctl_rec_prune(r, true);
	if (r->nlive == SYSCTL_PIDS_MAX) {
		err = -ENOSPC;
		goto out;
	}
	*first_err = 0;
	for (i = 0; i < SYSCTL_NSAVED; i++) {
		struct sysctl_saved *s = &sysctl_saved[i];

		/* Pending means ours to put back until the file speaks for
		 * us. */
		err = sysctl_enable_one(s, root);
		if (err && !*first_err)
			*first_err = err;
		/* A value recorded earlier, maybe by an instance that died,
		 * is older than what we see now: it wins. */
		if (atomic_load(&s->pending) && !r->value_len[i]) {
			memcpy(r->value[i], s->value, s->value_len);
			r->value_len[i] = s->value_len;
		}
	}
	r->live[r->nlive].pid = sysctl_me;
	r->live[r->nlive++].start = sysctl_me_start;
	err = sysctl_store(fd, r);
	if (!err) {
		/* The file now speaks for us; the last one out restores. */
		for (i = 0; i < SYSCTL_NSAVED; i++)
			atomic_store(&sysctl_saved[i].pending, false);
		atomic_store(&sysctl_joined, true);
	}
out:
	close(fd);
	return err;
}

int sysctl_enable(const char *root, const char *state)
{
	int ret = 0, err;
	size_t i;

	if (!root)
		return -EINVAL;
	/* Joined already: the file holds what we found the first time. */
	if (state && atomic_load(&sysctl_joined))
		return 0;
	if (state && strlen(state) < sizeof(sysctl_state) &&
	    !atomic_flag_test_and_set(&sysctl_busy)) {
		strcpy(sysctl_state, state);
		sysctl_me = (unsigned long)getpid();
		sysctl_me_start = sysctl_start_time(sysctl_me);
		err = sysctl_enable_shared(root, &ret);
		atomic_flag_clear(&sysctl_busy);
		if (!err)
			return ret;
		ret = 0;
	}
	/* Go on after a failure: timestamps are useful without accounting. */
	for (i = 0; i < SYSCTL_NSAVED; i++) {
		err = sysctl_enable_one(&sysctl_saved[i], root);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

/* Leave the state file; the last to leave puts the first values back. */
static void sysctl_leave(void)
{
	struct sysctl_rec *r = &sysctl_rec;
	size_t i;
	int fd;

	fd = sysctl_lock();
	if (fd < 0)
		return;
	if (sysctl_load(fd, r) == 0) {
		sysctl_rec_prune(r, true);
		for (i = 0; i < SYSCTL_NSAVED && !r->nlive; i++) {
			if (r->value_len[i] && sysctl_saved[i].path[0])
				sysctl_write(sysctl_saved[i].path,
					     r->value[i], r->value_len[i]);
		}
		sysctl_store(fd, r);
	}
	close(fd);
}

void sysctl_restore(void)
{
	int saved_errno = errno;
	size_t i;

	/* Busy: we interrupted our own enable or restore (a crash in it);
	 * the shared buffers are in use, so leave the file alone. */
	if (atomic_load(&sysctl_joined) &&
	    !atomic_flag_test_and_set(&sysctl_busy)) {
		if (atomic_exchange(&sysctl_joined, false))
			sysctl_leave();
		atomic_flag_clear(&sysctl_busy);
	}
	for (i = 0; i < SYSCTL_NSAVED; i++) {
		struct sysctl_saved *s = &sysctl_saved[i];

		/* The exchange makes a second call, or a signal racing an
		 * atexit handler, a no-op. */
		if (atomic_exchange(&s->pending, false))
			sysctl_write(s->path, s->value, s->value_len);
	}
	errno = saved_errno;
}

int sysctl_state_path(char *buf, size_t len, const char *dir)
{
	struct stat st;
	int n;

	if (!buf || !dir)
		return -EINVAL;
	/* The inode names the namespace while it exists. */
	if (stat("/proc/self/ns/net", &st))
		return -errno;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	n = snprintf(buf, len, "%s/netns-%lu", dir, (unsigned long)st.st_ino);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

long sysctl_read(const char *root, const char *name)
{
	char path[PATH_MAX], text[SYSCTL_VAL_MAX];
	long v;
	int err;

	err = sysctl_path(path, sizeof(path), root, name);
	if (err)
		return err;
	err = sysctl_read_text(path, text, sizeof(text));
	if (err < 0)
		return err;
	err = sysctl_parse(text, &v);
	if (err)
		return err;
	return v;
}
