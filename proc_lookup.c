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
 *
 * proc_lookup_diag.c dumps the sockets and local addresses,
 * proc_lookup_walk.c walks /proc for the owners; this file answers
 * lookups from what they found, and maps uids to user names.
 */
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

#include "proc_lookup.h"
#include "proc_lookup_impl.h"
#include "util.h"

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
