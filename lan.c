/* lan: the devices of the local networks.
 *
 * A thread of its own reads dnsmasq's leases file again when it changes
 * and dumps the neighbour table (RTM_GETNEIGH, what `ip neigh` shows) on an
 * interval, merges both into one hash of address -> MAC and name, and
 * publishes it with RCU: the screen, the filter and the outputs look
 * devices up without a lock and never wait for the file or the kernel.
 * Everything is bounded: the file's size, a line's length, the number of
 * leases and neighbours kept, a name's length.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "lan.h"

/* --- parsing ------------------------------------------------------------ */

static size_t lan_addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Only what a host name may hold stays; the rest is '?', one per UTF-8
 * character, so no control, escape or bidi character gets through. */
static void lan_clean_name(char *dst, const char *s, size_t n)
{
	size_t o = 0, i;
	unsigned char c;

	for (i = 0; i < n && o + 1 < LAN_NAME_MAX; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.')
			dst[o++] = (char)c;
		else if (c < 0x80 || c >= 0xc0)
			dst[o++] = '?';
		/* else a UTF-8 continuation byte: its lead was the '?' */
	}
	dst[o] = '\0';
}

int lan_parse_mac(const char *s, uint8_t *mac, size_t max)
{
	size_t n = 0;
	char *end;
	unsigned long v;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		if (n >= max || !((s[0] >= '0' && s[0] <= '9') ||
				  (s[0] >= 'a' && s[0] <= 'f') ||
				  (s[0] >= 'A' && s[0] <= 'F')))
			return -EINVAL;
		v = strtoul(s, &end, 16);
		if (end - s > 2 || v > 0xff)
			return -EINVAL;
		mac[n++] = (uint8_t)v;
		if (!*end)
			return (int)n;
		if ((*end != ':' && *end != '-') || !end[1])
			return -EINVAL;
		s = end + 1;
	}
}

char *lan_fmt_mac(char *buf, size_t len, const uint8_t *mac, size_t mac_len)
{
	size_t o = 0, i;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < mac_len && o + (i ? 3 : 2) < len; i++)
		o += (size_t)snprintf(buf + o, len - o, i ? ":%02x" : "%02x",
				      mac[i]);
	return buf;
}

/* Split a line into at most max blank-separated fields, in place. */
static size_t lan_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(line, " \t\r", &save); t && n < max;
	     t = strtok_r(NULL, " \t\r", &save))
		f[n++] = t;
	return n;
}

/* One lease line; false if it is not one. */
static bool lan_lease_line(char *line, struct lan_device *d)
{
	char *f[5], *end;
	uint8_t a[16];
	size_t n = lan_fields(line, f, 5);
	int m;

	if (n < 4)
		return false;
	/* The expiry: seconds since the epoch, 0 for an infinite lease. */
	strtoull(f[0], &end, 10);
	if (end == f[0] || *end)
		return false;
	memset(d, 0, sizeof(*d));
	if (inet_pton(AF_INET, f[2], a) == 1) {
		d->family = AF_INET;
		/* "*", or "06-aa:bb:.." for a non-Ethernet hardware type. */
		if (strcmp(f[1], "*")) {
			if (strlen(f[1]) > 3 && f[1][2] == '-' &&
			    strchr(f[1] + 3, '-') == NULL)
				f[1] += 3;
			m = lan_parse_mac(f[1], d->mac, LAN_MAC_MAX);
			if (m > 0)
				d->mac_len = (uint8_t)m;
		}
	} else if (inet_pton(AF_INET6, f[2], a) == 1) {
		/* DHCPv6: f[1] is the IAID (T... for a temporary one). */
		d->family = AF_INET6;
	} else {
		return false;
	}
	memcpy(d->addr.b, a, lan_addr_len(d->family));
	if (strcmp(f[3], "*"))
		lan_clean_name(d->name, f[3], strlen(f[3]));
	d->from = LAN_FROM_LEASE;
	return true;
}

size_t lan_parse_leases(const char *buf, size_t len, struct lan_device *out,
			size_t max, size_t *n)
{
	char line[LAN_LINE_MAX + 1];
	size_t skipped = 0, ll;
	const char *p = buf, *end = buf + len, *nl;

	*n = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ll = (size_t)((nl ? nl : end) - p);
		if (ll > LAN_LINE_MAX || memchr(p, '\0', ll)) {
			skipped++;
		} else if (ll) {
			memcpy(line, p, ll);
			line[ll] = '\0';
			if (!strncmp(line, "duid ", 5))
				;	/* the server's DUID: not kept */
			else if (*n < max && lan_lease_line(line, &out[*n]))
				(*n)++;
			else
				skipped++;
		}
		p += ll + 1;
	}
	return skipped;
}

int lan_read_leases(const char *path, struct lan_device *out, size_t max,
		    size_t *n)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	char *buf;
	int fd, ret = 0;

	*n = 0;
	/* O_NONBLOCK: a FIFO planted in /tmp must not hold the thread. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc(LAN_FILE_MAX);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < LAN_FILE_MAX) {
		r = read(fd, buf + got, LAN_FILE_MAX - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!ret)
		lan_parse_leases(buf, got, out, max, n);
	free(buf);
	return ret;
}

static const struct rtattr *lan_rta(const struct nlmsghdr *h, int type)
{
	size_t off = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct ndmsg)));
	const struct rtattr *a;

	while (off + sizeof(*a) <= h->nlmsg_len) {
		a = (const struct rtattr *)((const char *)h + off);
		if (a->rta_len < sizeof(*a) || off + a->rta_len > h->nlmsg_len)
			return NULL;
		if (a->rta_type == type)
			return a;
		off += RTA_ALIGN(a->rta_len);
	}
	return NULL;
}

/* One RTM_NEWNEIGH into d; false if it names no usable MAC. */
static bool lan_neigh_msg(const struct nlmsghdr *h, struct lan_device *d)
{
	const struct ndmsg *nd = NLMSG_DATA(h);
	const struct rtattr *dst, *ll;
	size_t alen, mlen;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return false;
	if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6)
		return false;
	/* FAILED and INCOMPLETE have no answer; NOARP entries (multicast,
	 * point-to-point) no real neighbour. */
	if (nd->ndm_state & (NUD_FAILED | NUD_INCOMPLETE | NUD_NOARP) ||
	    nd->ndm_state == NUD_NONE)
		return false;
	dst = lan_rta(h, NDA_DST);
	ll = lan_rta(h, NDA_LLADDR);
	alen = lan_addr_len(nd->ndm_family);
	if (!dst || !ll || RTA_PAYLOAD(dst) != alen)
		return false;
	mlen = RTA_PAYLOAD(ll);
	if (mlen == 0 || mlen > LAN_MAC_MAX)
		return false;
	memset(d, 0, sizeof(*d));
	d->family = nd->ndm_family;
	memcpy(d->addr.b, RTA_DATA(dst), alen);
	memcpy(d->mac, RTA_DATA(ll), mlen);
	d->mac_len = (uint8_t)mlen;
	d->from = LAN_FROM_NEIGH;
	/* All zero: a link without addresses (a tunnel). */
	for (size_t i = 0; i < mlen; i++)
		if (d->mac[i])
			return true;
	return false;
}

int lan_parse_neigh(const void *buf, size_t len, struct lan_device *out,
		    size_t max, size_t *n)
{
	const char *p = buf;
	const struct nlmsghdr *h;
	const struct nlmsgerr *e;
	size_t off = 0;

	while (off + sizeof(*h) <= len) {
		h = (const struct nlmsghdr *)(p + off);
		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - off)
			return -EBADMSG;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			e = NLMSG_DATA(h);
			return e->error ? (e->error < 0 ? e->error : -EIO) : 1;
		}
		if (h->nlmsg_type == RTM_NEWNEIGH && *n < max &&
		    lan_neigh_msg(h, &out[*n]))
			(*n)++;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	return off >= len ? 0 : -EBADMSG;
}

/* --- the published table ------------------------------------------------ */

struct lan_table {
	size_t n, mask;
	struct lan_device *dev;
	uint32_t *slot;		/* index + 1 into dev; 0 is empty */
	struct lan_device *macs; /* named leases, by MAC (build time only) */
	uint32_t *mslot;
	size_t nmacs, mmask;
};

static struct lan_table *lan_cur;

static uint64_t lan_hash(const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static uint64_t lan_addr_hash(int family, const union flow_addr *a)
{
	return lan_hash(a->b, lan_addr_len(family),
			14695981039346656037ull ^ (uint64_t)family);
}

/* The slot of addr: where it is, or the empty one where it would go. */
static uint32_t *lan_addr_slot(const struct lan_table *t, int family,
			       const union flow_addr *a)
{
	size_t i = lan_addr_hash(family, a) & t->mask;
	const struct lan_device *d;

	for (;; i = (i + 1) & t->mask) {
		if (!t->slot[i])
			return &t->slot[i];
		d = &t->dev[t->slot[i] - 1];
		if (d->family == family &&
		    !memcmp(d->addr.b, a->b, lan_addr_len(family)))
			return &t->slot[i];
	}
}

static uint32_t *lan_mac_slot(const struct lan_table *t, const uint8_t *mac,
			      size_t len)
{
	size_t i = lan_hash(mac, len, 14695981039346656037ull) & t->mmask;
	const struct lan_device *d;

	for (;; i = (i + 1) & t->mmask) {
		if (!t->mslot[i])
			return &t->mslot[i];
		d = &t->macs[t->mslot[i] - 1];
		if (d->mac_len == len && !memcmp(d->mac, mac, len))
			return &t->mslot[i];
	}
}

static const char *lan_mac_name(const struct lan_table *t, const uint8_t *mac,
				size_t len)
{
	uint32_t *s;

	if (!len || !t->nmacs)
		return NULL;
	s = lan_mac_slot(t, mac, len);
	return *s ? t->macs[*s - 1].name : NULL;
}

static void lan_table_free(struct lan_table *t)
{
	if (!t)
		return;
	free(t->dev);
	free(t->slot);
	free(t->macs);
	free(t->mslot);
	free(t);
}

static size_t lan_pow2(size_t n)
{
	size_t c = 16;

	while (c < 2 * n)
		c *= 2;
	return c;
}

static void lan_add(struct lan_table *t, const struct lan_device *d)
{
	uint32_t *s = lan_addr_slot(t, d->family, &d->addr);
	struct lan_device *e;
	const char *name;

	if (!*s) {
		t->dev[t->n] = *d;
		*s = (uint32_t)++t->n;
		e = &t->dev[*s - 1];
		if (!e->name[0] && (name = lan_mac_name(t, e->mac,
							 e->mac_len))) {
			snprintf(e->name, sizeof(e->name), "%s", name);
			e->from |= LAN_FROM_MAC;
		}
		return;
	}
	/* A neighbour for an address that has a lease. */
	e = &t->dev[*s - 1];
	if (e->mac_len && (e->mac_len != d->mac_len ||
			   memcmp(e->mac, d->mac, d->mac_len))) {
		/* The lease is stale: another device has the address now. */
		e->from = 0;
		e->name[0] = '\0';
		if ((name = lan_mac_name(t, d->mac, d->mac_len))) {
			snprintf(e->name, sizeof(e->name), "%s", name);
			e->from |= LAN_FROM_MAC;
		}
	}
	memcpy(e->mac, d->mac, d->mac_len);
	e->mac_len = d->mac_len;
	e->from |= LAN_FROM_NEIGH;
}

static struct lan_table *lan_build(const struct lan_device *leases,
				   size_t nl, const struct lan_device *neigh,
				   size_t nn)
{
	struct lan_table *t = calloc(1, sizeof(*t));
	size_t i;
	uint32_t *s;

	if (!t)
		return NULL;
	t->mask = lan_pow2(nl + nn) - 1;
	t->mmask = lan_pow2(nl) - 1;
	t->dev = calloc(nl + nn + 1, sizeof(*t->dev));
	t->slot = calloc(t->mask + 1, sizeof(*t->slot));
	t->macs = calloc(nl + 1, sizeof(*t->macs));
	t->mslot = calloc(t->mmask + 1, sizeof(*t->mslot));
	if (!t->dev || !t->slot || !t->macs || !t->mslot) {
		lan_table_free(t);
		return NULL;
	}
	/* Named leases by MAC, the first of each MAC. */
	for (i = 0; i < nl; i++) {
		if (!leases[i].mac_len || !leases[i].name[0])
			continue;
		s = lan_mac_slot(t, leases[i].mac, leases[i].mac_len);
		if (!*s) {
			t->macs[t->nmacs] = leases[i];
			*s = (uint32_t)++t->nmacs;
		}
	}
	for (i = 0; i < nl; i++)
		if (!*lan_addr_slot(t, leases[i].family, &leases[i].addr))
			lan_add(t, &leases[i]);
	for (i = 0; i < nn; i++)
		lan_add(t, &neigh[i]);
	/* Only the address hash is read from here on. */
	free(t->macs);
	free(t->mslot);
	t->macs = NULL;
	t->mslot = NULL;
	t->nmacs = 0;
	return t;
}

int lan_publish(const struct lan_device *leases, size_t n_leases,
		const struct lan_device *neigh, size_t n_neigh)
{
	struct lan_table *t = lan_build(leases, n_leases, neigh, n_neigh);
	struct lan_table *old;

	if (!t)
		return -ENOMEM;
	old = rcu_xchg_pointer(&lan_cur, t);
	if (old) {
		synchronize_rcu();
		lan_table_free(old);
	}
	return 0;
}

bool lan_find(int family, const void *addr, struct lan_device *out)
{
	const struct lan_table *t;
	union flow_addr a = { .w = { 0 } };
	uint32_t *s;
	bool found = false;

	if (family != AF_INET && family != AF_INET6)
		return false;
	memcpy(a.b, addr, lan_addr_len(family));
	rcu_read_lock();
	t = rcu_dereference(lan_cur);
	if (t && t->n) {
		s = lan_addr_slot(t, family, &a);
		if (*s) {
			*out = t->dev[*s - 1];
			found = true;
		}
	}
	rcu_read_unlock();
	return found;
}

void lan_free(void)
{
	struct lan_table *old = rcu_xchg_pointer(&lan_cur, NULL);

	if (old) {
		synchronize_rcu();
		lan_table_free(old);
	}
}

/* --- the thread --------------------------------------------------------- */

#define LAN_NEIGH_MS	2000
#define LAN_RECV_BUF	65536
#define LAN_RECV_MAX	4096	/* recv() calls of one dump */

static const char *const lan_default_paths[] = {
	"/tmp/dhcp.leases",			/* OpenWrt */
	"/var/lib/misc/dnsmasq.leases",	/* Debian and most others */
};

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running, stop;
	unsigned neigh_ms;
	char *leases;		/* the file given, NULL: the defaults */
	int fd;			/* rtnetlink, -1 until the first dump */
	uint32_t seq;
	char *rbuf;
	struct lan_device *lv, *nv, *nv_new;
	size_t n_leases, n_neigh;
	struct stat file;	/* of the leases read, st_ino 0: none */
	struct lan_stats st;	/* under lock */
	_Atomic uint64_t passes;
} lan_g = { .fd = -1 };

static bool lan_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Read the leases again if the file changed; true if they did. */
static bool lan_check_leases(void)
{
	const char *path = lan_g.leases;
	struct stat st;
	size_t i, n = 0;
	int ret = -ENOENT;

	for (i = 0; !path && i < sizeof(lan_default_paths) /
				   sizeof(lan_default_paths[0]); i++)
		if (!stat(lan_default_paths[i], &st))
			path = lan_default_paths[i];
	if (path && stat(path, &st))
		ret = -errno;
	else if (path)
		ret = 0;
	if (ret) {
		pthread_mutex_lock(&lan_g.lock);
		lan_g.st.leases_err = ret;
		snprintf(lan_g.st.path, sizeof(lan_g.st.path), "%s",
			 lan_g.leases ? lan_g.leases : "");
		pthread_mutex_unlock(&lan_g.lock);
		if (!lan_g.file.st_ino && !lan_g.n_leases)
			return false;
		memset(&lan_g.file, 0, sizeof(lan_g.file));
		lan_g.n_leases = 0;
		return true;
	}
	if (lan_g.file.st_ino && lan_same_file(&st, &lan_g.file))
		return false;
	ret = lan_read_leases(path, lan_g.lv, LAN_MAX_ENTRIES, &n);
	lan_g.file = st;
	lan_g.n_leases = ret ? 0 : n;
	pthread_mutex_lock(&lan_g.lock);
	lan_g.st.leases_err = ret;
	lan_g.st.loads++;
	snprintf(lan_g.st.path, sizeof(lan_g.st.path), "%s", path);
	pthread_mutex_unlock(&lan_g.lock);
	return true;
}

static int lan_open_rtnl(void)
{
	struct timeval tv = { 1, 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	/* A dump that never ends must not hold the thread (and lan_stop). */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int lan_dump_neigh(struct lan_device *out, size_t max, size_t *n)
{
	struct {
		struct nlmsghdr h;
		struct ndmsg nd;
	} req;
	ssize_t r;
	int ret = 0, i;

	*n = 0;
	if (lan_g.fd < 0 && (lan_g.fd = lan_open_rtnl()) < 0) {
		ret = lan_g.fd;
		lan_g.fd = -1;
		return ret;
	}
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETNEIGH;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = ++lan_g.seq;
	req.nd.ndm_family = AF_UNSPEC;
	if (send(lan_g.fd, &req, sizeof(req), 0) < 0)
		ret = -errno;
	for (i = 0; !ret && i < LAN_RECV_MAX; i++) {
		r = recv(lan_g.fd, lan_g.rbuf, LAN_RECV_BUF, MSG_TRUNC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			ret = -errno;
		else if (r > LAN_RECV_BUF)
			ret = -EMSGSIZE;
		else if ((ret = lan_parse_neigh(lan_g.rbuf, (size_t)r, out,
						max, n)) == 1)
			return 0;
	}
	/* Whatever is left of this dump must not answer the next one. */
	close(lan_g.fd);
	lan_g.fd = -1;
	return ret ? ret : -EIO;
}

static void lan_pass(void)
{
	bool changed = lan_check_leases();
	struct lan_device *t;
	size_t n = 0;
	int ret = lan_dump_neigh(lan_g.nv_new, LAN_MAX_ENTRIES, &n);

	if (!ret && (n != lan_g.n_neigh ||
		     memcmp(lan_g.nv_new, lan_g.nv, n * sizeof(*t)))) {
		t = lan_g.nv;
		lan_g.nv = lan_g.nv_new;
		lan_g.nv_new = t;
		lan_g.n_neigh = n;
		changed = true;
	}
	if (changed && lan_publish(lan_g.lv, lan_g.n_leases, lan_g.nv,
				   lan_g.n_neigh))
		changed = false;
	pthread_mutex_lock(&lan_g.lock);
	lan_g.st.neigh_err = ret;
	if (!ret)
		lan_g.st.dumps++;
	if (changed) {
		lan_g.st.leases = lan_g.n_leases;
		lan_g.st.neighbours = lan_g.n_neigh;
		rcu_read_lock();
		lan_g.st.devices = rcu_dereference(lan_cur)->n;
		rcu_read_unlock();
	}
	pthread_mutex_unlock(&lan_g.lock);
	atomic_fetch_add(&lan_g.passes, 1);
}

static void *lan_main(void *arg)
{
	struct timespec ts;

	(void)arg;
	rcu_register_thread();
	pthread_mutex_lock(&lan_g.lock);
	while (!lan_g.stop) {
		pthread_mutex_unlock(&lan_g.lock);
		lan_pass();
		pthread_mutex_lock(&lan_g.lock);
		if (lan_g.stop)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += lan_g.neigh_ms / 1000;
		ts.tv_nsec += (long)(lan_g.neigh_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&lan_g.cond, &lan_g.lock, &ts);
	}
	pthread_mutex_unlock(&lan_g.lock);
	rcu_unregister_thread();
	return NULL;
}

static void lan_release(void)
{
	free(lan_g.leases);
	free(lan_g.rbuf);
	free(lan_g.lv);
	free(lan_g.nv);
	free(lan_g.nv_new);
	lan_g.leases = lan_g.rbuf = NULL;
	lan_g.lv = lan_g.nv = lan_g.nv_new = NULL;
	if (lan_g.fd >= 0)
		close(lan_g.fd);
	lan_g.fd = -1;
}

int lan_start(const struct lan_opts *o)
{
	pthread_condattr_t ca;
	int ret;

	if (lan_g.running)
		return -EALREADY;
	memset(&lan_g.st, 0, sizeof(lan_g.st));
	memset(&lan_g.file, 0, sizeof(lan_g.file));
	lan_g.n_leases = lan_g.n_neigh = 0;
	lan_g.stop = false;
	lan_g.neigh_ms = o && o->neigh_ms ? o->neigh_ms : LAN_NEIGH_MS;
	lan_g.leases = o && o->leases ? strdup(o->leases) : NULL;
	lan_g.rbuf = malloc(LAN_RECV_BUF);
	lan_g.lv = calloc(LAN_MAX_ENTRIES, sizeof(*lan_g.lv));
	lan_g.nv = calloc(LAN_MAX_ENTRIES, sizeof(*lan_g.nv));
	lan_g.nv_new = calloc(LAN_MAX_ENTRIES, sizeof(*lan_g.nv_new));
	if ((o && o->leases && !lan_g.leases) || !lan_g.rbuf || !lan_g.lv ||
	    !lan_g.nv || !lan_g.nv_new) {
		lan_release();
		return -ENOMEM;
	}
	atomic_store(&lan_g.passes, 0);
	pthread_mutex_init(&lan_g.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lan_g.cond, &ca);
	pthread_condattr_destroy(&ca);
	ret = pthread_create(&lan_g.thread, NULL, lan_main, NULL);
	if (ret) {
		pthread_mutex_destroy(&lan_g.lock);
		pthread_cond_destroy(&lan_g.cond);
		lan_release();
		return -ret;
	}
	pthread_setname_np(lan_g.thread, "ft-lan");
	lan_g.running = true;
	return 0;
}

uint64_t lan_passes(void)
{
	return atomic_load(&lan_g.passes);
}

void lan_stop(void)
{
	if (!lan_g.running)
		return;
	pthread_mutex_lock(&lan_g.lock);
	lan_g.stop = true;
	pthread_cond_signal(&lan_g.cond);
	pthread_mutex_unlock(&lan_g.lock);
	pthread_join(lan_g.thread, NULL);
	pthread_mutex_destroy(&lan_g.lock);
	pthread_cond_destroy(&lan_g.cond);
	lan_release();
	lan_g.running = false;
}

void lan_get_stats(struct lan_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!lan_g.running)
		return;
	pthread_mutex_lock(&lan_g.lock);
	*st = lan_g.st;
	pthread_mutex_unlock(&lan_g.lock);
	st->passes = atomic_load(&lan_g.passes);
}
