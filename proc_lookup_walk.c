/* proc_lookup_walk: the /proc walk: which process holds each socket inode
 * (the links in PROC_ROOT/PID/fd), and the process names it reads,
 * interned. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_lookup.h"
#include "proc_lookup_impl.h"
#include "util.h"

struct pl_pidmemo {
	int32_t pid;			/* 0: free slot */
	bool alive;
	const char *comm;
};

static const char pl_unnamed[] = "?";

/* --- interned names ------------------------------------------------- */

static const char *pl_intern(const char *s)
{
	uint32_t i;
	char *copy;

	if (pl.nnames + 1 > (pl.names_mask + 1) / 2) {
		uint32_t size, j;
		char **nt;

		if (pl.nnames >= PL_INTERN_MAX)
			goto lookup_only;
		size = pl_table_size(pl.nnames + 1);
		nt = calloc(size, sizeof(*nt));
		if (!nt)
			goto lookup_only;
		for (j = 0; pl.names && j <= pl.names_mask; j++) {
			if (!pl.names[j])
				continue;
			i = pl_hash_str(pl.names[j]) & (size - 1);
			while (nt[i])
				i = (i + 1) & (size - 1);
			nt[i] = pl.names[j];
		}
		free(pl.names);
		pl.names = nt;
		pl.names_mask = size - 1;
	}
	i = pl_hash_str(s) & pl.names_mask;
	while (pl.names[i]) {
		if (!strcmp(pl.names[i], s))
			return pl.names[i];
		i = (i + 1) & pl.names_mask;
	}
	copy = strdup(s);
	if (!copy)
		return pl_unnamed;
	pl.names[i] = copy;
	pl.nnames++;
	return copy;

lookup_only:
	/* Full: a process renaming itself in a loop must not eat memory. */
	if (!pl.names)
		return pl_unnamed;
	i = pl_hash_str(s) & pl.names_mask;
	while (pl.names[i]) {
		if (!strcmp(pl.names[i], s))
			return pl.names[i];
		i = (i + 1) & pl.names_mask;
	}
	return pl_unnamed;
}

/* PROC_ROOT/PID/comm, sanitised (a process names itself) and interned;
 * NULL when the process is gone. */
static const char *pl_read_comm(int32_t pid)
{
	char path[32], raw[PL_COMM_MAX], clean[PL_COMM_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%d/comm", pid);
	fd = openat(pl.rootfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		util_fd_short(errno);
		return NULL;
	}
	do {
		n = read(fd, raw, sizeof(raw) - 1);
	} while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return NULL;
	raw[n] = '\0';
	if (n > 0 && raw[n - 1] == '\n')
		raw[n - 1] = '\0';
	util_sanitize(clean, sizeof(clean), raw);
	return pl_intern(clean);
}

/* --- owners --------------------------------------------------------- */

static int pl_otab_alloc(struct pl_otab *t, uint32_t n)
{
	uint32_t size = pl_table_size(n);

	t->e = calloc(size, sizeof(*t->e));
	if (!t->e)
		return -ENOMEM;
	t->mask = size - 1;
	t->n = 0;
	return 0;
}

static struct pl_owner *pl_otab_slot(const struct pl_otab *t, uint32_t inode)
{
	uint32_t i;

	if (!t->e)
		return NULL;
	i = pl_hash_u32(inode) & t->mask;
	while (t->e[i].inode && t->e[i].inode != inode)
		i = (i + 1) & t->mask;
	return &t->e[i];
}

struct pl_owner *pl_otab_get(const struct pl_otab *t, uint32_t inode)
{
	struct pl_owner *e = pl_otab_slot(t, inode);

	return e && e->inode ? e : NULL;
}

/* Is pid still there (and under which name now)?  One read per PID. */
static bool pl_pid_alive(struct pl_pidmemo *memo, uint32_t mask,
			 int32_t pid, const char **comm)
{
	uint32_t i = pl_hash_u32((uint32_t)pid) & mask;

	while (memo[i].pid && memo[i].pid != pid)
		i = (i + 1) & mask;
	if (!memo[i].pid) {
		memo[i].pid = pid;
		memo[i].comm = pl_read_comm(pid);
		memo[i].alive = memo[i].comm != NULL;
	}
	*comm = memo[i].comm;
	return memo[i].alive;
}

static int32_t pl_parse_pid(const char *s)
{
	int32_t pid = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || pid > (INT32_MAX - 9) / 10)
			return 0;
		pid = pid * 10 + (*s - '0');
	}
	return pid;
}

/* "socket:[12345]" -> 12345. */
static bool pl_parse_socket_link(const char *s, uint32_t *inode)
{
	uint64_t v = 0;

	if (strncmp(s, "socket:[", 8))
		return false;
	s += 8;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return false;
	}
	if (s[0] != ']' || s[1] || !v)
		return false;
	*inode = (uint32_t)v;
	return true;
}

/* The fds of one process: each socket link is one hash lookup. */
static void pl_walk_pid(struct pl_otab *t, int32_t pid)
{
	char path[32], link[64];
	const char *comm = NULL;
	struct dirent *de;
	uint32_t inode;
	ssize_t n;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "%d/fd", pid);
	fd = openat(pl.rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		/* Gone, or not ours to look into; or no descriptor left,
		 * which the user is told of. */
		util_fd_short(errno);
		return;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct pl_owner *e;

		if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
			continue;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!pl_parse_socket_link(link, &inode))
			continue;
		e = pl_otab_get(t, inode);
		if (!e || e->state == PL_OWNED)
			continue;
		/* Shared after fork: the lowest PID, usually the parent. */
		if (e->state == PL_FOUND && e->pid <= pid)
			continue;
		if (!comm) {
			comm = pl_read_comm(pid);
			if (!comm)
				break;	/* exited while we looked */
		}
		e->state = PL_FOUND;
		e->pid = pid;
		e->comm = comm;
	}
	closedir(d);
}

/* One pass over every PROC_ROOT/PID/fd: O(fds), not O(fds x sockets). */
static int pl_walk(struct pl_otab *t)
{
	struct dirent *de;
	uint32_t i;
	DIR *root;
	int fd;

	fd = openat(pl.rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		util_fd_short(errno);
		return -errno;
	}
	root = fdopendir(fd);
	if (!root) {
		int err = -errno;

		close(fd);
		return err;
	}
	pl.walks++;
	while ((de = readdir(root))) {
		int32_t pid = pl_parse_pid(de->d_name);

		if (pid > 0)
			pl_walk_pid(t, pid);
	}
	closedir(root);
	for (i = 0; i <= t->mask; i++) {
		struct pl_owner *e = &t->e[i];

		if (!e->inode)
			continue;
		if (e->state == PL_FOUND)
			e->state = PL_OWNED;
		else if (e->state == PL_UNKNOWN)
			e->state = PL_RETRY;
		else if (e->state == PL_RETRY)
			e->state = PL_NOBODY;
	}
	return 0;
}

/*
 * Carry over owners of inodes still present (if their process still
 * exists), forget the rest, and walk /proc only for inodes not looked
 * for yet (or looked for once in vain).
 */
int pl_owners_update(const struct pl_snap *snap)
{
	struct pl_pidmemo *memo;
	struct pl_otab nt;
	uint32_t i, unknown = 0, memo_size;
	int err;

	err = pl_otab_alloc(&nt, snap->nsocks);
	if (err)
		return err;
	memo_size = pl_table_size(pl.owners.n);
	memo = calloc(memo_size, sizeof(*memo));
	if (!memo) {
		free(nt.e);
		return -ENOMEM;
	}
	for (i = 0; i < snap->nsocks; i++) {
		uint32_t inode = snap->socks[i].inode;
		struct pl_owner *e, *old;
		const char *comm;

		if (!inode)
			continue;
		e = pl_otab_slot(&nt, inode);
		if (e->inode)
			continue;	/* dual-stack twin */
		e->inode = inode;
		nt.n++;
		old = pl_otab_get(&pl.owners, inode);
		if (old && old->state == PL_OWNED &&
		    pl_pid_alive(memo, memo_size - 1, old->pid, &comm)) {
			e->state = PL_OWNED;
			e->pid = old->pid;
			e->comm = comm;
		} else if (old && old->state == PL_NOBODY) {
			e->state = PL_NOBODY;
		} else if (old && old->state == PL_RETRY) {
			/* A socket can be dumped between its creation and
			 * fd_install(): look once more, then give up. */
			e->state = PL_RETRY;
			unknown++;
		} else {
			e->state = PL_UNKNOWN;
			unknown++;
		}
	}
	free(memo);
	/* The walk also retries PL_NOBODY inodes, at no extra cost. */
	if (unknown) {
		err = pl_walk(&nt);
		if (err) {
			free(nt.e);
			return err;
		}
	}
	free(pl.owners.e);
	pl.owners = nt;
	return 0;
}
