/* sysctl: switch on conntrack accounting and timestamps, put them back. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysctl.h"

#define SYSCTL_VAL_MAX	64

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

/* Whole file into buf without trailing white space; length or -errno. */
static int sysctl_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf, len - 1);
	} while (n < 0 && errno == EINTR);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
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

int sysctl_enable(const char *root)
{
	int ret = 0, err;
	size_t i;

	if (!root)
		return -EINVAL;
	/* Go on after a failure: timestamps are useful without accounting. */
	for (i = 0; i < SYSCTL_NSAVED; i++) {
		err = sysctl_enable_one(&sysctl_saved[i], root);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

void sysctl_restore(void)
{
	int saved_errno = errno;
	size_t i;

	for (i = 0; i < SYSCTL_NSAVED; i++) {
		struct sysctl_saved *s = &sysctl_saved[i];

		/* The exchange makes a second call, or a signal racing an
		 * atexit handler, a no-op. */
		if (atomic_exchange(&s->pending, false))
			sysctl_write(s->path, s->value, s->value_len);
	}
	errno = saved_errno;
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
