/*
 * proc_lookup: local socket tuple to owning process (pid, uid, comm).
 *
 * sock_diag reports every TCP, UDP and UDP-lite socket of this network
 * namespace with its tuple, inode and uid; one walk of the links in
 * PROC_ROOT/PID/fd maps inodes to PIDs.  Owners are cached by inode, so
 * the walk runs only when a socket shows up whose inode has not been
 * looked for yet.
 *
 * Threads: everything but proc_lookup_user() runs in one thread.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "proc_lookup.h"
#include "proc_lookup_impl.h"
#include "util.h"

struct pl_pidmemo {
	int32_t pid;			/* 0: free slot */
	bool alive;
	const char *comm;
};

/* The module's state; its type is in proc_lookup_impl.h. */
struct pl_globals pl = { .rootfd = -1 };

/* uid -> name; the only state proc_lookup_user() touches. */
struct pl_user {
	uint32_t uid;
	char *name;			/* NULL: free slot */
};

static pthread_mutex_t pl_user_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_user *pl_users;
static uint32_t pl_users_mask, pl_nusers;

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
	if (fd < 0)
		return NULL;
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
	if (fd < 0)
		return;		/* gone, or not ours to look into */
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
	if (fd < 0)
		return -errno;
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

/* --- lookups -------------------------------------------------------- */

static int pl_owner_of(const struct pl_sock *s, struct flow_owner *o)
{
	const struct pl_owner *e;

	if (!s->inode)
		return 0;
	e = pl_otab_get(&pl.owners, s->inode);
	if (!e || e->state != PL_OWNED)
		return 0;
	o->pid = e->pid;
	o->uid = s->uid;
	o->comm = e->comm;
	return 1;
}

/* Connected socket with exactly this tuple; one with an inode first. */
static const struct pl_sock *pl_find_full(const struct proc_sock_key *k)
{
	const struct pl_snap *s = &pl.snap;
	const struct pl_sock *any = NULL;
	uint32_t i;

	if (!s->full)
		return NULL;
	for (i = s->full[pl_hash_key(k) & s->mask]; i != PL_END;
	     i = s->socks[i].next) {
		if (!pl_key_eq(&s->socks[i].key, k))
			continue;
		if (s->socks[i].inode)
			return &s->socks[i];
		any = &s->socks[i];
	}
	return any;
}

/*
 * Unconnected sockets bound to (laddr, lport).  Several (SO_REUSEPORT)
 * are fine when one process owns them all; otherwise the kernel picks
 * per packet and we do not guess.  Returns -1 when there is none.
 */
static int pl_find_bound(const struct proc_sock_key *k, bool listen_only,
			 struct flow_owner *o)
{
	const struct pl_snap *s = &pl.snap;
	struct flow_owner first = { 0 }, cur;
	bool seen = false;
	uint32_t i;

	if (!s->local)
		return -1;
	for (i = s->local[pl_hash_key(k) & s->mask]; i != PL_END;
	     i = s->socks[i].next) {
		const struct pl_sock *e = &s->socks[i];

		if (!pl_key_eq(&e->key, k))
			continue;
		if (listen_only && e->state != PL_ST_LISTEN)
			continue;
		if (!pl_owner_of(e, &cur))
			return 0;
		if (seen && cur.pid != first.pid)
			return 0;
		if (!seen)
			first = cur;
		seen = true;
	}
	if (!seen)
		return -1;
	*o = first;
	return 1;
}

/* Exact local address first, then the wildcard, as the kernel does. */
static int pl_find_local(const struct proc_sock_key *k, bool listen_only,
			 struct flow_owner *o)
{
	struct proc_sock_key w = *k;
	int ret;

	memset(&w.raddr, 0, sizeof(w.raddr));
	w.rport = 0;
	ret = pl_find_bound(&w, listen_only, o);
	if (ret >= 0)
		return ret;
	/* A wildcard socket only owns flows to one of our addresses. */
	if (!proc_lookup_is_local(k->family, &k->laddr))
		return 0;
	memset(&w.laddr, 0, sizeof(w.laddr));
	ret = pl_find_bound(&w, listen_only, o);
	return ret > 0 ? ret : 0;
}

/* Not yet accepted (request or accept-queue socket, no file yet): it
 * belongs to whoever listens.  Orphans after close() belong to nobody. */
static bool pl_tcp_embryonic(uint8_t state)
{
	return state == PL_ST_SYN_RECV || state == PL_ST_NEW_SYN_RECV ||
	       state == PL_ST_ESTABLISHED || state == PL_ST_CLOSE_WAIT;
}

int proc_lookup_find(const struct proc_sock_key *key, struct flow_owner *o)
{
	const struct pl_sock *s;
	struct proc_sock_key k;
	int ret;

	if (!o)
		return 0;
	o->pid = 0;
	o->uid = 0;
	o->comm = NULL;
	if (!pl.init || !key || !pl_norm(key, &k))
		return 0;
	s = k.rport ? pl_find_full(&k) : NULL;
	if (s && s->inode)
		ret = pl_owner_of(s, o);
	else if (k.l4proto == IPPROTO_TCP)
		ret = s && pl_tcp_embryonic(s->state) ?
		      pl_find_local(&k, true, o) : 0;
	else
		ret = s ? 0 : pl_find_local(&k, false, o);
	if (!ret) {
		o->pid = 0;
		o->uid = 0;
		o->comm = NULL;
	}
	return ret;
}

int proc_lookup_is_local(int family, const union flow_addr *addr)
{
	const struct pl_snap *s = &pl.snap;
	union flow_addr a;
	uint32_t i;

	if (!pl.init || !addr || !s->addr_heads)
		return 0;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	a = *addr;
	if (family == AF_INET6 && pl_addr_is_v4mapped(&a)) {
		pl_addr_unmap(&a);
		family = AF_INET;
	}
	pl_addr_clean(family, &a);
	for (i = s->addr_heads[pl_hash_local_addr(family, &a) & s->addr_mask];
	     i != PL_END; i = s->addrs[i].next) {
		if (s->addrs[i].family == family &&
		    !memcmp(s->addrs[i].a.b, a.b, sizeof(a.b)))
			return 1;
	}
	for (i = 0; i < s->npfx; i++) {
		if (s->pfx[i].family == family &&
		    pl_prefix_match(&a, &s->pfx[i].a, s->pfx[i].plen))
			return 1;
	}
	return 0;
}

/* --- lifetime ------------------------------------------------------- */

int proc_lookup_init(const char *proc_root)
{
	int fd;

	if (pl.init)
		return -EBUSY;
	fd = open(proc_root ? proc_root : "/proc",
		  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&pl, 0, sizeof(pl));
	pl.rootfd = fd;
	if (getrandom(&pl.seed, sizeof(pl.seed), GRND_NONBLOCK) !=
	    sizeof(pl.seed))
		pl.seed = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	pl.init = true;
	return 0;
}

int proc_lookup_refresh(void)
{
	struct pl_snap next;
	int err;

	if (!pl.init)
		return -EINVAL;
	memset(&next, 0, sizeof(next));
	if (pl.test_mode)
		err = pl_snap_copy(&next, &pl.fake);
	else
		err = pl_snap_fetch(&next);
	if (!err)
		err = pl_snap_index(&next);
	if (!err)
		err = pl_owners_update(&next);
	if (err) {
		pl_snap_free(&next);
		return err;
	}
	pl_snap_free(&pl.snap);
	pl.snap = next;
	return 0;
}

void proc_lookup_free(void)
{
	uint32_t i;

	if (pl.init) {
		pl_nl_close();
		close(pl.rootfd);
		pl_snap_free(&pl.snap);
		pl_snap_free(&pl.fake);
		free(pl.owners.e);
		for (i = 0; pl.names && i <= pl.names_mask; i++)
			free(pl.names[i]);
		free(pl.names);
		free(pl.buf);
		memset(&pl, 0, sizeof(pl));
		pl.rootfd = -1;
	}
	pthread_mutex_lock(&pl_user_lock);
	for (i = 0; pl_users && i <= pl_users_mask; i++)
		free(pl_users[i].name);
	free(pl_users);
	pl_users = NULL;
	pl_users_mask = 0;
	pl_nusers = 0;
	pthread_mutex_unlock(&pl_user_lock);
}

/* --- users ---------------------------------------------------------- */

/* Under pl_user_lock.  The cache has room for at least one more. */
static struct pl_user *pl_user_slot(uint32_t uid)
{
	uint32_t i = pl_fmix(uid * 0x9e3779b1u) & pl_users_mask;

	while (pl_users[i].name && pl_users[i].uid != uid)
		i = (i + 1) & pl_users_mask;
	return &pl_users[i];
}

static void pl_user_put(uint32_t uid, const char *name)
{
	struct pl_user *e;

	if (pl_nusers + 1 > (pl_users_mask + 1) / 2) {
		struct pl_user *old = pl_users, *nt;
		uint32_t old_mask = pl_users_mask, size, i;

		if (pl_nusers >= PL_USER_MAX)
			return;
		size = pl_table_size(pl_nusers + 1);
		nt = calloc(size, sizeof(*nt));
		if (!nt)
			return;
		pl_users = nt;
		pl_users_mask = size - 1;
		for (i = 0; old && i <= old_mask; i++)
			if (old[i].name)
				*pl_user_slot(old[i].uid) = old[i];
		free(old);
	}
	e = pl_user_slot(uid);
	if (e->name)
		return;
	e->name = strdup(name);
	if (!e->name)
		return;
	e->uid = uid;
	pl_nusers++;
}

const char *proc_lookup_user(uint32_t uid, char *buf, unsigned len)
{
	char name[PL_COMM_MAX], stack[1024], *pwbuf = stack, *heap = NULL;
	size_t pwlen = sizeof(stack);
	struct passwd pw, *res = NULL;
	bool hit = false;
	int err;

	if (!buf || !len)
		return "";
	pthread_mutex_lock(&pl_user_lock);
	if (pl_users) {
		struct pl_user *e = pl_user_slot(uid);

		if (e->name) {
			util_sanitize(buf, len, e->name);
			hit = true;
		}
	}
	pthread_mutex_unlock(&pl_user_lock);
	if (hit)
		return buf;
	/* NSS may be slow (LDAP): never call it with the lock held. */
	for (;;) {
		err = getpwuid_r((uid_t)uid, &pw, pwbuf, pwlen, &res);
		if (err != ERANGE || pwlen >= 65536)
			break;
		pwlen *= 2;
		free(heap);
		heap = malloc(pwlen);
		if (!heap)
			break;
		pwbuf = heap;
	}
	if (!err && res && res->pw_name && res->pw_name[0])
		util_sanitize(name, sizeof(name), res->pw_name);
	else
		snprintf(name, sizeof(name), "%u", uid);
	free(heap);
	/* Transient NSS errors are not cached; "no such user" is. */
	if (!err) {
		pthread_mutex_lock(&pl_user_lock);
		pl_user_put(uid, name);
		pthread_mutex_unlock(&pl_user_lock);
	}
	util_sanitize(buf, len, name);
	return buf;
}

/* --- test hooks ----------------------------------------------------- */

int proc_lookup_test_mode(void)
{
	if (!pl.init)
		return -EINVAL;
	pl.test_mode = true;
	pl_snap_reset(&pl.fake);
	return 0;
}

void proc_lookup_test_clear(void)
{
	pl_snap_reset(&pl.fake);
}

int proc_lookup_add_socket(const struct proc_sock_key *key, uint32_t inode,
			   uint32_t uid, uint8_t state, bool v6only)
{
	if (!pl.test_mode || !key)
		return -EINVAL;
	return pl_snap_add_sock(&pl.fake, key, inode, uid, state, v6only);
}

int proc_lookup_add_local(int family, const union flow_addr *addr,
			  unsigned prefixlen)
{
	if (!pl.test_mode || !addr)
		return -EINVAL;
	return pl_snap_add_addr(&pl.fake, family, addr, prefixlen);
}

int proc_lookup_feed(uint8_t l4proto, const void *buf, size_t len)
{
	int ret;

	if (!pl.test_mode || !buf)
		return -EINVAL;
	ret = pl_parse_buf(buf, len, 0, 0, l4proto, &pl.fake);
	return ret < 0 ? ret : 0;
}

unsigned long proc_lookup_walks(void)
{
	return pl.walks;
}

void proc_lookup_set_tap(proc_lookup_tap_fn fn, void *arg)
{
	pl.tap = fn;
	pl.tap_arg = arg;
}
