/* collector_parse: one ctnetlink message into a struct flow_rec.  It takes
 * a buffer, not a socket: the collector feeds it dumps and events, the
 * unit tests recorded and built messages, truncated ones too.
 *
 * Messages are read with libmnl, attribute by attribute, straight into a
 * struct flow_rec: turning every entry into a libnetfilter_conntrack object
 * would double the cost of a dump.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "collector.h"
#include "collector_impl.h"
#include "flow_types.h"

static int parse_ip(const struct nlattr *nest, struct flow_tuple *t)
{
	const struct nlattr *a;
	int rem;

	for (a = ct_nested(nest, &rem); ct_ok(a, rem);
	     a = ct_next(a, &rem)) {
		switch (ct_type(a)) {
		case CTA_IP_V4_SRC:
		case CTA_IP_V4_DST:
			if (!attr_len_ok(a, 4))
				return -EINVAL;
			memcpy(ct_type(a) == CTA_IP_V4_SRC ?
			       t->src.b : t->dst.b,
			       ct_data(a), 4);
			break;
		case CTA_IP_V6_SRC:
		case CTA_IP_V6_DST:
			if (!attr_len_ok(a, 16))
				return -EINVAL;
			memcpy(ct_type(a) == CTA_IP_V6_SRC ?
			       t->src.b : t->dst.b,
			       ct_data(a), 16);
			break;
		}
	}
	return 0;
}

static int parse_proto(const struct nlattr *nest, struct flow_tuple *t,
		       struct flow_rec *rec, bool orig)
{
	const struct nlattr *a;
	int rem;

	for (a = ct_nested(nest, &rem); ct_ok(a, rem);
	     a = ct_next(a, &rem)) {
		int type = ct_type(a);

		switch (type) {
		case CTA_PROTO_NUM:
			if (!attr_len_ok(a, 1))
				return -EINVAL;
			if (orig)
				rec->l4proto = ct_u8(a);
			break;
		case CTA_PROTO_SRC_PORT:
		case CTA_PROTO_DST_PORT:
			if (!attr_len_ok(a, 2))
				return -EINVAL;
			*(type == CTA_PROTO_SRC_PORT ? &t->sport : &t->dport) =
				ntohs(ct_u16(a));
			break;
		case CTA_PROTO_ICMP_ID:
		case CTA_PROTO_ICMPV6_ID:
			if (!attr_len_ok(a, 2))
				return -EINVAL;
			if (orig) {
				rec->icmp_id = ntohs(ct_u16(a));
				rec->have |= FLOW_HAVE_ICMP;
			}
			break;
		case CTA_PROTO_ICMP_TYPE:
		case CTA_PROTO_ICMPV6_TYPE:
			if (!attr_len_ok(a, 1))
				return -EINVAL;
			if (orig)
				rec->icmp_type = ct_u8(a);
			break;
		case CTA_PROTO_ICMP_CODE:
		case CTA_PROTO_ICMPV6_CODE:
			if (!attr_len_ok(a, 1))
				return -EINVAL;
			if (orig)
				rec->icmp_code = ct_u8(a);
			break;
		}
	}
	return 0;
}

static int parse_tuple(const struct nlattr *nest, struct flow_rec *rec,
		       bool orig)
{
	struct flow_tuple *t = orig ? &rec->orig : &rec->repl;
	const struct nlattr *a;
	int rem;
	int ret = 0;

	for (a = ct_nested(nest, &rem); ct_ok(a, rem);
	     a = ct_next(a, &rem)) {
		switch (ct_type(a)) {
		case CTA_TUPLE_IP:
			ret = parse_ip(a, t);
			break;
		case CTA_TUPLE_PROTO:
			ret = parse_proto(a, t, rec, orig);
			break;
		case CTA_TUPLE_ZONE:
			if (!attr_len_ok(a, 2))
				return -EINVAL;
			if (orig) {
				rec->zone = ntohs(ct_u16(a));
				rec->have |= FLOW_HAVE_ZONE;
			}
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_protoinfo(const struct nlattr *nest, struct flow_rec *rec)
{
	static const int state_attr[] = {
		[CTA_PROTOINFO_TCP] = CTA_PROTOINFO_TCP_STATE,
		[CTA_PROTOINFO_DCCP] = CTA_PROTOINFO_DCCP_STATE,
		[CTA_PROTOINFO_SCTP] = CTA_PROTOINFO_SCTP_STATE,
	};
	const struct nlattr *a, *b;
	int rem, rem_b;

	for (a = ct_nested(nest, &rem); ct_ok(a, rem);
	     a = ct_next(a, &rem)) {
		int type = ct_type(a);

		if (type != CTA_PROTOINFO_TCP && type != CTA_PROTOINFO_DCCP &&
		    type != CTA_PROTOINFO_SCTP)
			continue;
		for (b = ct_nested(a, &rem_b); ct_ok(b, rem_b);
		     b = ct_next(b, &rem_b)) {
			if (ct_type(b) != state_attr[type])
				continue;
			if (!attr_len_ok(b, 1))
				return -EINVAL;
			rec->state = ct_u8(b);
			rec->have |= FLOW_HAVE_STATE;
		}
	}
	return 0;
}

static int parse_counters(const struct nlattr *nest, uint64_t *bytes,
			  uint64_t *pkts)
{
	const struct nlattr *a;
	int rem;

	for (a = ct_nested(nest, &rem); ct_ok(a, rem);
	     a = ct_next(a, &rem)) {
		switch (ct_type(a)) {
		case CTA_COUNTERS_BYTES:
		case CTA_COUNTERS_PACKETS:
			if (!attr_len_ok(a, 8))
				return -EINVAL;
			*(ct_type(a) == CTA_COUNTERS_BYTES ?
			  bytes : pkts) = be64toh(ct_u64(a));
			break;
		case CTA_COUNTERS32_BYTES:
		case CTA_COUNTERS32_PACKETS:
			if (!attr_len_ok(a, 4))
				return -EINVAL;
			*(ct_type(a) == CTA_COUNTERS32_BYTES ?
			  bytes : pkts) = ntohl(ct_u32(a));
			break;
		}
	}
	return 0;
}

static int parse_tstamp(const struct nlattr *nest, struct flow_rec *rec)
{
	const struct nlattr *a;
	int rem;

	for (a = ct_nested(nest, &rem); ct_ok(a, rem);
	     a = ct_next(a, &rem)) {
		switch (ct_type(a)) {
		case CTA_TIMESTAMP_START:
			if (!attr_len_ok(a, 8))
				return -EINVAL;
			rec->ts_start = be64toh(ct_u64(a));
			rec->have |= FLOW_HAVE_TSTAMP;
			break;
		case CTA_TIMESTAMP_STOP:
			if (!attr_len_ok(a, 8))
				return -EINVAL;
			rec->ts_stop = be64toh(ct_u64(a));
			break;
		}
	}
	return 0;
}

static int parse_u32(const struct nlattr *a, uint32_t *v)
{
	if (!attr_len_ok(a, 4))
		return -EINVAL;
	*v = ntohl(ct_u32(a));
	return 0;
}

/* The kernel sends its label bitmap as it holds it, an array of unsigned
 * long in the host's order (ctnetlink_label_size); keep it as bit n in
 * labels[n / 8], bit n % 8, whatever the byte order and word size, so that
 * label 1 reads the same on a big-endian router. */
static void parse_labels(const struct nlattr *a, struct flow_rec *rec)
{
	const unsigned char *p = ct_data(a);
	size_t n = ct_len(a), w, i;
	unsigned long word;

	n -= n % sizeof(word);
	if (n > FLOW_LABEL_BYTES)
		n = FLOW_LABEL_BYTES;
	memset(rec->labels, 0, sizeof(rec->labels));
	for (w = 0; w < n; w += sizeof(word)) {
		memcpy(&word, p + w, sizeof(word));
		for (i = 0; i < sizeof(word) * 8; i++)
			if (word & (1ul << i))
				rec->labels[w + i / 8] |= (uint8_t)(1u << (i % 8));
	}
	rec->have |= FLOW_HAVE_LABELS;
}

int collector_parse(const struct nlmsghdr *nlh, struct flow_rec *rec)
{
	const struct nfgenmsg *nfg;
	const struct nlattr *a;
	int rem;
	bool have_orig = false;
	int ret = 0;

	memset(rec, 0, sizeof(*rec));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
		return -EINVAL;
	nfg = mnl_nlmsg_get_payload(nlh);
	rec->family = nfg->nfgen_family;

	rem = (int)nlh->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof(*nfg));
	for (a = (const struct nlattr *)((const char *)nfg +
					 NLMSG_ALIGN(sizeof(*nfg)));
	     ct_ok(a, rem); a = ct_next(a, &rem)) {
		switch (ct_type(a)) {
		case CTA_TUPLE_ORIG:
			ret = parse_tuple(a, rec, true);
			have_orig = true;
			break;
		case CTA_TUPLE_REPLY:
			ret = parse_tuple(a, rec, false);
			break;
		case CTA_PROTOINFO:
			ret = parse_protoinfo(a, rec);
			break;
		case CTA_COUNTERS_ORIG:
			ret = parse_counters(a, &rec->orig_bytes,
					     &rec->orig_pkts);
			rec->have |= FLOW_HAVE_COUNTERS;
			break;
		case CTA_COUNTERS_REPLY:
			ret = parse_counters(a, &rec->repl_bytes,
					     &rec->repl_pkts);
			rec->have |= FLOW_HAVE_COUNTERS;
			break;
		case CTA_TIMESTAMP:
			ret = parse_tstamp(a, rec);
			break;
		case CTA_STATUS:
			ret = parse_u32(a, &rec->status);
			break;
		case CTA_MARK:
			ret = parse_u32(a, &rec->mark);
			rec->have |= FLOW_HAVE_MARK;
			break;
		case CTA_TIMEOUT:
			ret = parse_u32(a, &rec->timeout);
			rec->have |= FLOW_HAVE_TIMEOUT;
			break;
		case CTA_ID:
			ret = parse_u32(a, &rec->id);
			break;
		case CTA_ZONE:
			if (!attr_len_ok(a, 2))
				return -EINVAL;
			rec->zone = ntohs(ct_u16(a));
			rec->have |= FLOW_HAVE_ZONE;
			break;
		case CTA_LABELS:
			parse_labels(a, rec);
			break;
		}
		if (ret)
			return ret;
	}
	if (!have_orig)
		return -ENOENT;
	if (rec->family != AF_INET && rec->family != AF_INET6)
		return -EINVAL;
	return 0;
}
