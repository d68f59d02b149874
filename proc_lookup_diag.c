/* proc_lookup_diag: one refresh's snapshot of the kernel: every TCP, UDP
 * and UDP-lite socket from sock_diag and the local addresses from
 * rtnetlink, dumped over netlink and indexed by tuple. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "proc_lookup.h"
#include "proc_lookup_impl.h"
#include "util.h"

struct pl_parse {
	struct pl_snap *snap;
	uint8_t l4proto;
	int err;
};

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

	/* A forged message length must not walk us off the buffer. */
	if (!util_nl_frames_ok(buf, len))
		return -EBADMSG;
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

		util_fd_short(err);
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
