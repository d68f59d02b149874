/* collector_impl.h: what the collector*.c files share, included by them
 * only: the inline readers of netlink attributes, building requests. */
#ifndef FLOWTOP_COLLECTOR_IMPL_H
#define FLOWTOP_COLLECTOR_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

/* The parser runs on every entry of every dump (100,000 a second on a big
 * table), so attributes are read inline here rather than through libmnl's
 * helpers, a shared-library call each; the checks are libmnl's. */
static inline uint16_t ct_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline size_t ct_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline const void *ct_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline bool ct_ok(const struct nlattr *a, int rem)
{
	return rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       (int)a->nla_len <= rem;
}

static inline const struct nlattr *ct_next(const struct nlattr *a, int *rem)
{
	*rem -= NLA_ALIGN(a->nla_len);
	return (const struct nlattr *)((const char *)a +
				       NLA_ALIGN(a->nla_len));
}

/* The first attribute inside a nest; *rem gets the nest's payload size. */
static inline const struct nlattr *ct_nested(const struct nlattr *nest,
					     int *rem)
{
	*rem = (int)ct_len(nest);
	return ct_data(nest);
}

static inline uint8_t ct_u8(const struct nlattr *a)
{
	return *(const uint8_t *)ct_data(a);
}

static inline uint16_t ct_u16(const struct nlattr *a)
{
	uint16_t v;

	memcpy(&v, ct_data(a), sizeof(v));
	return v;
}

static inline uint32_t ct_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, ct_data(a), sizeof(v));
	return v;
}

static inline uint64_t ct_u64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, ct_data(a), sizeof(v));	/* only 4-byte aligned */
	return v;
}

static inline int attr_len_ok(const struct nlattr *a, size_t len)
{
	return ct_len(a) >= len;
}

/* collector.c: a request's header (nfgenmsg too) in buf; the answers
 * to request seq on nl through cb, to the final ACK or NLMSG_DONE (0 or
 * -errno). */
struct nlmsghdr *collector_put_request(char *buf, uint16_t type,
				       uint16_t flags, uint8_t family,
				       uint32_t seq);
int collector_recv_answers(struct mnl_socket *nl, char *buf, size_t len,
			   uint32_t seq, unsigned int portid, mnl_cb_t cb,
			   void *data);

#endif
