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

struct pl_parse {
	struct pl_snap *snap;
	uint8_t l4proto;
	int err;
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

/* --- addresses ------------------------------------------------------ */

int pl_snap_add_addr(struct pl_snap *s, int family,
		     const union flow_addr *addr, unsigned plen)
{
	unsigned full = family == AF_INET ? 32 : 128;
	struct pl_addr *e;
	int err;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (plen > full)
		plen = full;
	if (plen < full) {
		err = pl_grow((void **)&s->pfx, &s->cappfx, s->npfx + 1,
			      sizeof(*s->pfx));
		if (err)
			return err;
		e = &s->pfx[s->npfx++];
	} else {
		err = pl_grow((void **)&s->addrs, &s->capaddrs,
			      s->naddrs + 1, sizeof(*s->addrs));
		if (err)
			return err;
		e = &s->addrs[s->naddrs++];
	}
	memset(e, 0, sizeof(*e));
	e->a = *addr;
	pl_addr_clean(family, &e->a);
	e->family = (uint8_t)family;
	e->plen = (uint8_t)plen;
	e->next = PL_END;
	return 0;
}

/* --- sockets -------------------------------------------------------- */

static int pl_snap_push(struct pl_snap *s, const struct proc_sock_key *k,
			uint32_t inode, uint32_t uid, uint8_t state)
{
	struct pl_sock *e;
	int err;

	err = pl_grow((void **)&s->socks, &s->capsocks, s->nsocks + 1,
		      sizeof(*s->socks));
	if (err)
		return err;
	e = &s->socks[s->nsocks++];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->inode = inode;
	e->uid = uid;
	e->state = state;
	e->next = PL_END;
	return 0;
}

/* One socket as sock_diag describes it; v6only is INET_DIAG_SKV6ONLY. */
int pl_snap_add_sock(struct pl_snap *s, const struct proc_sock_key *in,
		     uint32_t inode, uint32_t uid, uint8_t state,
		     bool v6only)
{
	struct proc_sock_key k;
	int err;

	if (!pl_norm(in, &k))
		return -EAFNOSUPPORT;
	/* Not connected: only the local end is meaningful. */
	if (!k.rport)
		memset(&k.raddr, 0, sizeof(k.raddr));
	err = pl_snap_push(s, &k, inode, uid, state);
	if (err)
		return err;
	/* A [::] socket without IPV6_V6ONLY also receives IPv4. */
	if (k.family == AF_INET6 && !k.rport && !v6only &&
	    pl_addr_is_zero(&k.laddr)) {
		k.family = AF_INET;
		err = pl_snap_push(s, &k, inode, uid, state);
	}
	return err;
}

void pl_snap_free(struct pl_snap *s)
{
	free(s->socks);
	free(s->full);
	free(s->local);
	free(s->addrs);
	free(s->addr_heads);
	free(s->pfx);
	memset(s, 0, sizeof(*s));
}

void pl_snap_reset(struct pl_snap *s)
{
	s->nsocks = 0;
	s->naddrs = 0;
	s->npfx = 0;
}

static uint32_t *pl_heads_alloc(uint32_t size)
{
	uint32_t *h = malloc(size * sizeof(*h));

	if (h)
		memset(h, 0xff, size * sizeof(*h));	/* PL_END */
	return h;
}

/* Connected sockets go by full tuple, the others by local end. */
int pl_snap_index(struct pl_snap *s)
{
	uint32_t size = pl_table_size(s->nsocks), i, b;
	uint32_t asize = pl_table_size(s->naddrs);

	s->full = pl_heads_alloc(size);
	s->local = pl_heads_alloc(size);
	s->addr_heads = pl_heads_alloc(asize);
	if (!s->full || !s->local || !s->addr_heads)
		return -ENOMEM;
	s->mask = size - 1;
	s->addr_mask = asize - 1;
	for (i = 0; i < s->nsocks; i++) {
		struct pl_sock *e = &s->socks[i];
		uint32_t *heads = e->key.rport ? s->full : s->local;

		b = pl_hash_key(&e->key) & s->mask;
		e->next = heads[b];
		heads[b] = i;
	}
	for (i = 0; i < s->naddrs; i++) {
		struct pl_addr *a = &s->addrs[i];

		b = pl_hash_local_addr(a->family, &a->a) & s->addr_mask;
		a->next = s->addr_heads[b];
		s->addr_heads[b] = i;
	}
	return 0;
}

/* --- netlink -------------------------------------------------------- */

static int pl_diag_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **v6only = data;

	if (mnl_attr_get_type(a) == INET_DIAG_SKV6ONLY &&
	    mnl_attr_validate(a, MNL_TYPE_U8) == 0)
		*v6only = a;
	return MNL_CB_OK;
}

static int pl_diag_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pl_parse *pp = data;
	const struct inet_diag_msg *m;
	const struct nlattr *v6attr = NULL;
	struct proc_sock_key k;
	size_t alen;
	int err;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m)) {
		pp->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family == AF_INET)
		alen = 4;
	else if (m->idiag_family == AF_INET6)
		alen = 16;
	else
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*m), pl_diag_attr_cb, &v6attr);
	memset(&k, 0, sizeof(k));
	k.family = m->idiag_family;
	k.l4proto = pp->l4proto;
	memcpy(k.laddr.b, m->id.idiag_src, alen);
	memcpy(k.raddr.b, m->id.idiag_dst, alen);
	k.lport = ntohs(m->id.idiag_sport);
	k.rport = ntohs(m->id.idiag_dport);
	err = pl_snap_add_sock(pp->snap, &k, m->idiag_inode, m->idiag_uid,
			       m->idiag_state,
			       v6attr && mnl_attr_get_u8(v6attr));
	if (err) {
		pp->err = err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int pl_addr_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type == IFA_ADDRESS || type == IFA_LOCAL)
		tb[type] = a;
	return MNL_CB_OK;
}

static int pl_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct pl_parse *pp = data;
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	union flow_addr addr;
	size_t alen;
	unsigned plen;
	int err;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa)) {
		pp->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family == AF_INET)
		alen = 4;
	else if (ifa->ifa_family == AF_INET6)
		alen = 16;
	else
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), pl_addr_attr_cb, tb);
	/* On point-to-point links IFA_ADDRESS is the peer, IFA_LOCAL ours. */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || mnl_attr_get_payload_len(a) != alen)
		return MNL_CB_OK;
	memset(&addr, 0, sizeof(addr));
	memcpy(addr.b, mnl_attr_get_payload(a), alen);
	plen = (unsigned)alen * 8;
	/* The kernel makes the whole prefix of an IPv4 address on lo a
	 * local route (fib_add_ifaddr: RTN_LOCAL for IFF_LOOPBACK). */
	if (ifa->ifa_family == AF_INET && ifa->ifa_index == PL_LO_IFINDEX)
		plen = ifa->ifa_prefixlen;
	err = pl_snap_add_addr(pp->snap, ifa->ifa_family, &addr, plen);
	if (err) {
		pp->err = err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* Parse one buffer of answers; 1 more to come, 0 done, -errno. */
int pl_parse_buf(const void *buf, size_t len, uint32_t seq,
		 uint32_t portid, uint8_t l4proto,
		 struct pl_snap *snap)
{
	struct pl_parse pp = { .snap = snap, .l4proto = l4proto };
	int ret;

	errno = 0;
	ret = mnl_cb_run(buf, len, seq, portid,
			 l4proto ? pl_diag_cb : pl_addr_cb, &pp);
	if (pp.err)
		return pp.err;
	if (ret < 0)
		return errno ? -errno : -EBADMSG;
	return ret == MNL_CB_OK ? 1 : 0;
}

void pl_nl_close(void)
{
	if (pl.diag)
		mnl_socket_close(pl.diag);
	if (pl.rt)
		mnl_socket_close(pl.rt);
	pl.diag = NULL;
	pl.rt = NULL;
}

static struct mnl_socket *pl_nl_open(int bus)
{
	struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC);

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	return nl;
}

static int pl_nl_ensure(void)
{
	if (!pl.buf) {
		pl.buf = malloc(PL_RECV_BUF);
		if (!pl.buf)
			return -ENOMEM;
	}
	if (!pl.diag)
		pl.diag = pl_nl_open(NETLINK_SOCK_DIAG);
	if (!pl.rt)
		pl.rt = pl_nl_open(NETLINK_ROUTE);
	if (!pl.diag || !pl.rt) {
		int err = errno ? -errno : -EIO;

		pl_nl_close();
		return err;
	}
	return 0;
}

/* Send the request in pl.buf, parse every answer into snap. */
static int pl_nl_dump(struct mnl_socket *nl, uint8_t family,
		      uint8_t l4proto, struct pl_snap *snap)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)pl.buf;
	uint32_t seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, pl.buf, PL_RECV_BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pl.tap)
			pl.tap(family, l4proto, pl.buf, (size_t)n, pl.tap_arg);
		ret = pl_parse_buf(pl.buf, (size_t)n, seq, portid, l4proto,
				   snap);
		if (ret <= 0)
			return ret;
	}
}

static int pl_diag_dump(uint8_t family, uint8_t l4proto,
			struct pl_snap *snap)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(pl.buf);
	struct inet_diag_req_v2 *req;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++pl.seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = family;
	req->sdiag_protocol = l4proto;
	req->idiag_states = ~0u;
	return pl_nl_dump(pl.diag, family, l4proto, snap);
}

static int pl_addr_dump(struct pl_snap *snap)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(pl.buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++pl.seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	return pl_nl_dump(pl.rt, AF_UNSPEC, 0, snap);
}

int pl_snap_fetch(struct pl_snap *snap)
{
	static const uint8_t fams[] = { AF_INET, AF_INET6 };
	static const uint8_t protos[] = {
		IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE
	};
	size_t f, p;
	int err;

	err = pl_nl_ensure();
	if (err)
		return err;
	for (f = 0; f < 2; f++) {
		for (p = 0; p < 3; p++) {
			bool lite = protos[p] == IPPROTO_UDPLITE;

			if (lite && pl.no_udplite[f])
				continue;
			err = pl_diag_dump(fams[f], protos[p], snap);
			/* No UDP-lite (removed from newer kernels) or no
			 * IPv6 in this kernel: nothing of that kind. */
			if (err == -ENOENT && (lite || fams[f] == AF_INET6)) {
				if (lite)
					pl.no_udplite[f] = true;
				continue;
			}
			if (err)
				goto fail;
		}
	}
	err = pl_addr_dump(snap);
	if (!err)
		return 0;
fail:
	/* Unread answers would confuse the next dump: start afresh. */
	pl_nl_close();
	return err;
}

int pl_snap_copy(struct pl_snap *dst, const struct pl_snap *src)
{
	int err;

	err = pl_grow((void **)&dst->socks, &dst->capsocks, src->nsocks,
		      sizeof(*dst->socks));
	if (!err)
		err = pl_grow((void **)&dst->addrs, &dst->capaddrs,
			      src->naddrs, sizeof(*dst->addrs));
	if (!err)
		err = pl_grow((void **)&dst->pfx, &dst->cappfx, src->npfx,
			      sizeof(*dst->pfx));
	if (err)
		return err;
	if (src->nsocks)
		memcpy(dst->socks, src->socks,
		       src->nsocks * sizeof(*src->socks));
	if (src->naddrs)
		memcpy(dst->addrs, src->addrs,
		       src->naddrs * sizeof(*src->addrs));
	if (src->npfx)
		memcpy(dst->pfx, src->pfx, src->npfx * sizeof(*src->pfx));
	dst->nsocks = src->nsocks;
	dst->naddrs = src->naddrs;
	dst->npfx = src->npfx;
	return 0;
}

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
