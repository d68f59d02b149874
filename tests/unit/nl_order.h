/* nl_order.h: netlink messages recorded on x86 (tests/data), read in this
 * host's byte order.
 *
 * The kernel writes the netlink and attribute headers and many fields
 * (inode, uid, interface index ...) in its own byte order, and ports,
 * addresses and every ctnetlink payload in network order.  The recordings
 * (tests/tools/ct_record.c, record_diag.sh) were made on little-endian
 * x86_64; on a big-endian host (s390x) the host-order parts are swapped on
 * load, so the parsers get what this host's kernel would have sent.
 * Payloads no parser reads (tcp_info, socket option bits) stay as
 * recorded.  Messages must tile the buffer exactly, which also catches a
 * recording made in the other byte order.
 */
#ifndef NL_ORDER_H
#define NL_ORDER_H

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

enum nl_rec_kind { NL_REC_CTNETLINK, NL_REC_SOCK_DIAG, NL_REC_RTM_ADDR };

static inline void nl_rec_16(void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	v = le16toh(v);
	memcpy(p, &v, sizeof(v));
}

static inline void nl_rec_32(void *p, size_t n)	/* n words */
{
	uint32_t v;

	for (size_t i = 0; i < n; i++) {
		memcpy(&v, (char *)p + 4 * i, sizeof(v));
		v = le32toh(v);
		memcpy((char *)p + 4 * i, &v, sizeof(v));
	}
}

static inline void nl_rec_64(void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	v = le64toh(v);
	memcpy(p, &v, sizeof(v));
}

static inline void nl_rec_hdr(struct nlmsghdr *h)
{
	nl_rec_32(&h->nlmsg_len, 1);
	nl_rec_16(&h->nlmsg_type);
	nl_rec_16(&h->nlmsg_flags);
	nl_rec_32(&h->nlmsg_seq, 2);	/* seq, pid */
}

/* The payload of one attribute whose type says it is host-order. */
static inline void nl_rec_payload(enum nl_rec_kind kind, int type, char *p,
				  size_t len)
{
	if (kind == NL_REC_SOCK_DIAG) {
		if ((type == INET_DIAG_MARK || type == INET_DIAG_CLASS_ID) &&
		    len >= 4)
			nl_rec_32(p, 1);
		else if (type == INET_DIAG_CGROUP_ID && len >= 8)
			nl_rec_64(p);
		else if (type == INET_DIAG_MEMINFO ||
			 type == INET_DIAG_SKMEMINFO)
			nl_rec_32(p, len / 4);
	} else if (kind == NL_REC_RTM_ADDR) {
		if (type == IFA_CACHEINFO || type == IFA_FLAGS ||
		    type == IFA_RT_PRIORITY)
			nl_rec_32(p, len / 4);
	}
}

/* Attributes in p[0..len); nests (NLA_F_NESTED, as ctnetlink marks them)
 * are walked too.  -EBADMSG if they do not tile the space. */
static inline int nl_rec_attrs(enum nl_rec_kind kind, char *p, size_t len)
{
	while (len >= NLA_HDRLEN) {
		struct nlattr *a = (struct nlattr *)p;
		size_t alen, step;

		nl_rec_16(&a->nla_len);
		nl_rec_16(&a->nla_type);
		alen = a->nla_len;
		step = NLA_ALIGN(alen);
		if (alen < NLA_HDRLEN || alen > len)
			return -EBADMSG;
		if (a->nla_type & NLA_F_NESTED) {
			if (nl_rec_attrs(kind, p + NLA_HDRLEN,
					 alen - NLA_HDRLEN))
				return -EBADMSG;
		} else {
			nl_rec_payload(kind, a->nla_type & NLA_TYPE_MASK,
				       p + NLA_HDRLEN, alen - NLA_HDRLEN);
		}
		if (step >= len)
			return 0;
		p += step;
		len -= step;
	}
	return len ? -EBADMSG : 0;
}

/* Convert buf[0..len), a run of messages of one kind, in place. */
static inline int nl_rec_to_host(void *buf, size_t len,
				 enum nl_rec_kind kind)
{
	char *p = buf;

	while (len > 0) {
		struct nlmsghdr *h = (struct nlmsghdr *)p;
		size_t mlen, fixed = 0;
		char *pl = p + NLMSG_HDRLEN;

		if (len < NLMSG_HDRLEN)
			return -EBADMSG;
		nl_rec_hdr(h);
		mlen = h->nlmsg_len;
		if (mlen < NLMSG_HDRLEN || mlen > len)
			return -EBADMSG;
		if (h->nlmsg_type == NLMSG_DONE) {
			if (mlen >= NLMSG_HDRLEN + 4)
				nl_rec_32(pl, 1);
		} else if (h->nlmsg_type == NLMSG_ERROR) {
			if (mlen >= NLMSG_HDRLEN + 4)
				nl_rec_32(pl, 1);
			if (mlen >= NLMSG_HDRLEN + 4 + NLMSG_HDRLEN)
				nl_rec_hdr((struct nlmsghdr *)(pl + 4));
		} else {
			/* struct nfgenmsg is bytes and a be16 */
			fixed = kind == NL_REC_CTNETLINK ? 4 :
				kind == NL_REC_SOCK_DIAG ?
				sizeof(struct inet_diag_msg) :
				sizeof(struct ifaddrmsg);
			if (mlen < NLMSG_HDRLEN + NLMSG_ALIGN(fixed))
				return -EBADMSG;
		}
		if (kind == NL_REC_SOCK_DIAG && fixed) {
			struct inet_diag_msg *m = (struct inet_diag_msg *)pl;

			/* idiag_if, cookie[2]; idiag_expires ... inode */
			nl_rec_32(&m->id.idiag_if, 3);
			nl_rec_32(&m->idiag_expires, 5);
		} else if (kind == NL_REC_RTM_ADDR && fixed) {
			nl_rec_32(&((struct ifaddrmsg *)pl)->ifa_index, 1);
		}
		if (fixed && nl_rec_attrs(kind, pl + NLMSG_ALIGN(fixed),
					  mlen - NLMSG_HDRLEN -
					  NLMSG_ALIGN(fixed)))
			return -EBADMSG;
		if (NLMSG_ALIGN(mlen) >= len)
			return 0;
		p += NLMSG_ALIGN(mlen);
		len -= NLMSG_ALIGN(mlen);
	}
	return 0;
}

#endif
