/* proc_lookup_impl.h: what the proc_lookup*.c files share, included by
 * them only: the snapshot and owner tables, the module's state, and the
 * hashing and address helpers used per lookup, inline as before. */
#ifndef FLOWTOP_PROC_LOOKUP_IMPL_H
#define FLOWTOP_PROC_LOOKUP_IMPL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "flow_types.h"
#include "proc_lookup.h"

struct mnl_socket;

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE		136
#endif

#define PL_END		UINT32_MAX	/* end of a hash chain */
#define PL_RECV_BUF	32768	/* kernel dump messages: up to 32 KiB */
#define PL_COMM_MAX	64	/* the kernel's comm is 16 bytes */
#define PL_INTERN_MAX	65536	/* distinct names kept, then "?" */
#define PL_USER_MAX	4096	/* cached uid names */
#define PL_LO_IFINDEX	1	/* lo is ifindex 1 in every netns */

/* Socket states as sock_diag reports them (include/net/tcp_states.h). */
enum {
	PL_ST_ESTABLISHED = 1,
	PL_ST_SYN_RECV = 3,
	PL_ST_CLOSE_WAIT = 8,
	PL_ST_LISTEN = 10,
	PL_ST_NEW_SYN_RECV = 12,
};

struct pl_sock {
	struct proc_sock_key key;	/* normalised, see pl_norm() */
	uint32_t inode, uid;
	uint8_t state;
	uint32_t next;			/* chain: full or local table */
};

struct pl_addr {
	union flow_addr a;
	uint8_t family, plen;
	uint32_t next;
};

/* One refresh's view of the kernel, rebuilt whole each time. */
struct pl_snap {
	struct pl_sock *socks;
	uint32_t nsocks, capsocks;
	uint32_t *full, *local;		/* bucket heads, mask + 1 each */
	uint32_t mask;
	struct pl_addr *addrs;		/* exact local addresses */
	uint32_t naddrs, capaddrs;
	uint32_t *addr_heads;
	uint32_t addr_mask;
	struct pl_addr *pfx;		/* prefixes local as a whole */
	uint32_t npfx, cappfx;
};

enum pl_state {
	PL_UNKNOWN,	/* not looked for in /proc yet */
	PL_RETRY,	/* not found once: dumped before its fd existed? */
	PL_NOBODY,	/* not found twice: no visible process holds it */
	PL_OWNED,	/* pid, comm valid */
	PL_FOUND,	/* found by the walk in progress */
};

struct pl_owner {
	uint32_t inode;			/* 0: free slot */
	uint8_t state;
	int32_t pid;
	const char *comm;
};

/* inode -> owner, open addressing, rebuilt (never deleted from). */
struct pl_otab {
	struct pl_owner *e;
	uint32_t mask, n;
};

struct pl_globals {
	bool init;
	bool test_mode;
	int rootfd;
	uint32_t seed;
	uint32_t seq;
	struct mnl_socket *diag, *rt;
	char *buf;
	struct pl_snap snap, fake;
	struct pl_otab owners;
	char **names;			/* interned comm strings */
	uint32_t names_mask, nnames;
	unsigned long walks;
	bool no_udplite[2];		/* per family: kernel said ENOENT */
	proc_lookup_tap_fn tap;
	void *tap_arg;
};

extern struct pl_globals pl;

/* Hashing: murmur3 steps with a random seed, since remote peers choose
 * the ports and addresses of our sockets. */
static inline uint32_t pl_rotl(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline uint32_t pl_mix(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = pl_rotl(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = pl_rotl(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline uint32_t pl_fmix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static inline uint32_t pl_hash_addr(uint32_t h, const union flow_addr *a)
{
	uint32_t w[4];

	memcpy(w, a->b, sizeof(w));
	h = pl_mix(h, w[0]);
	h = pl_mix(h, w[1]);
	h = pl_mix(h, w[2]);
	return pl_mix(h, w[3]);
}

static inline uint32_t pl_hash_key(const struct proc_sock_key *k)
{
	uint32_t h = pl.seed;

	h = pl_mix(h, (uint32_t)k->family | (uint32_t)k->l4proto << 8 |
		   (uint32_t)k->lport << 16);
	h = pl_hash_addr(h, &k->laddr);
	h = pl_hash_addr(h, &k->raddr);
	h = pl_mix(h, k->rport);
	return pl_fmix(h);
}

static inline uint32_t pl_hash_u32(uint32_t v)
{
	return pl_fmix(pl_mix(pl.seed, v));
}

static inline uint32_t pl_hash_str(const char *s)
{
	uint32_t h = pl.seed ^ 0x811c9dc5u;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x01000193u;
	}
	return pl_fmix(h);
}

static inline bool pl_key_eq(const struct proc_sock_key *a,
			     const struct proc_sock_key *b)
{
	return a->family == b->family && a->l4proto == b->l4proto &&
	       a->lport == b->lport && a->rport == b->rport &&
	       !memcmp(a->laddr.b, b->laddr.b, sizeof(a->laddr.b)) &&
	       !memcmp(a->raddr.b, b->raddr.b, sizeof(a->raddr.b));
}

/* Smallest power of two >= 2 * n, at least 16: load factor <= 1/2. */
static inline uint32_t pl_table_size(uint32_t n)
{
	uint32_t size = 16;

	while (size < 2 * (uint64_t)n && size < (1u << 31))
		size <<= 1;
	return size;
}

static inline int pl_grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 64;
	while (ncap < need) {
		if (ncap > UINT32_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	np = reallocarray(*p, ncap, elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static inline bool pl_addr_is_zero(const union flow_addr *a)
{
	static const union flow_addr zero;

	return !memcmp(a->b, zero.b, sizeof(zero.b));
}

static inline bool pl_addr_is_v4mapped(const union flow_addr *a)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a->b, pfx, sizeof(pfx));
}

/* ::ffff:a.b.c.d -> a.b.c.d in the first four bytes, rest zero. */
static inline void pl_addr_unmap(union flow_addr *a)
{
	memmove(a->b, a->b + 12, 4);
	memset(a->b + 4, 0, 12);
}

static inline void pl_addr_clean(int family, union flow_addr *a)
{
	if (family == AF_INET)
		memset(a->b + 4, 0, 12);
}

static inline bool pl_prefix_match(const union flow_addr *a,
				   const union flow_addr *p, unsigned plen)
{
	unsigned bytes = plen / 8, bits = plen % 8;
	uint8_t m;

	if (memcmp(a->b, p->b, bytes))
		return false;
	if (!bits)
		return true;
	m = (uint8_t)(0xff << (8 - bits));
	return (a->b[bytes] & m) == (p->b[bytes] & m);
}

static inline uint32_t pl_hash_local_addr(int family, const union flow_addr *a)
{
	return pl_fmix(pl_hash_addr(pl_mix(pl.seed, (uint32_t)family), a));
}

/*
 * A dual-stack socket talking to IPv4 shows ::ffff:a.b.c.d ends, while
 * conntrack sees an IPv4 flow: store and look up such tuples as AF_INET.
 * Returns false for a family this module does not know.
 */
static inline bool pl_norm(const struct proc_sock_key *in, struct proc_sock_key *out)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	out->l4proto = in->l4proto;
	out->laddr = in->laddr;
	out->raddr = in->raddr;
	out->lport = in->lport;
	out->rport = in->rport;
	if (in->family == AF_INET) {
		pl_addr_clean(AF_INET, &out->laddr);
		pl_addr_clean(AF_INET, &out->raddr);
		return true;
	}
	if (in->family != AF_INET6)
		return false;
	if ((pl_addr_is_v4mapped(&out->laddr) ||
	     pl_addr_is_zero(&out->laddr)) &&
	    (pl_addr_is_v4mapped(&out->raddr) ||
	     pl_addr_is_zero(&out->raddr)) &&
	    !(pl_addr_is_zero(&out->laddr) && pl_addr_is_zero(&out->raddr))) {
		out->family = AF_INET;
		if (!pl_addr_is_zero(&out->laddr))
			pl_addr_unmap(&out->laddr);
		if (!pl_addr_is_zero(&out->raddr))
			pl_addr_unmap(&out->raddr);
	}
	return true;
}

/* proc_lookup_diag.c */
int pl_snap_add_addr(struct pl_snap *s, int family,
		     const union flow_addr *addr, unsigned plen);
int pl_snap_add_sock(struct pl_snap *s, const struct proc_sock_key *in,
		     uint32_t inode, uint32_t uid, uint8_t state,
		     bool v6only);
void pl_snap_free(struct pl_snap *s);
void pl_snap_reset(struct pl_snap *s);
int pl_snap_index(struct pl_snap *s);
int pl_parse_buf(const void *buf, size_t len, uint32_t seq,
		 uint32_t portid, uint8_t l4proto,
		 struct pl_snap *snap);
void pl_nl_close(void);
int pl_snap_fetch(struct pl_snap *snap);
int pl_snap_copy(struct pl_snap *dst, const struct pl_snap *src);

/* proc_lookup_walk.c */
struct pl_owner *pl_otab_get(const struct pl_otab *t, uint32_t inode);
int pl_owners_update(const struct pl_snap *snap);

#endif
