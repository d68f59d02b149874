/* collector_oneshot: one request for one entry, off the collector's
 * thread: the details window's get, the 'd' key's delete. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "collector.h"
#include "collector_impl.h"
#include "collector_replay.h"

static void put_tuple(struct nlmsghdr *nlh, const struct flow_rec *r)
{
	struct nlattr *tup, *ip, *proto;
	size_t alen = r->family == AF_INET ? 4 : 16;
	bool v4 = r->family == AF_INET;

	tup = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, alen,
		     r->orig.src.b);
	mnl_attr_put(nlh, v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, alen,
		     r->orig.dst.b);
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, r->l4proto);
	if (r->have & FLOW_HAVE_ICMP) {
		mnl_attr_put_u16(nlh, v4 ? CTA_PROTO_ICMP_ID :
				 CTA_PROTO_ICMPV6_ID, htons(r->icmp_id));
		mnl_attr_put_u8(nlh, v4 ? CTA_PROTO_ICMP_TYPE :
				CTA_PROTO_ICMPV6_TYPE, r->icmp_type);
		mnl_attr_put_u8(nlh, v4 ? CTA_PROTO_ICMP_CODE :
				CTA_PROTO_ICMPV6_CODE, r->icmp_code);
	} else {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(r->orig.sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(r->orig.dport));
	}
	mnl_attr_nest_end(nlh, proto);
	if (r->have & FLOW_HAVE_ZONE)
		mnl_attr_put_u16(nlh, CTA_TUPLE_ZONE, htons(r->zone));
	mnl_attr_nest_end(nlh, tup);
}

/* Build an IPCTNL_MSG_CT_DELETE or _GET for one entry into buf. */
static struct nlmsghdr *put_entry_request(char *buf, uint16_t type,
					  const struct flow_rec *r,
					  uint32_t seq)
{
	struct nlmsghdr *nlh = collector_put_request(buf, type, NLM_F_ACK,
						     r->family, seq);

	put_tuple(nlh, r);
	if (r->have & FLOW_HAVE_ZONE)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(r->zone));
	/* The id makes sure we delete this entry, not a newer one that
	 * reuses the tuple. */
	if (r->id)
		mnl_attr_put_u32(nlh, CTA_ID, htonl(r->id));
	return nlh;
}

/* Rare and user-driven: a socket of its own, so the collector thread's
 * sockets stay single-threaded. */
static int one_shot(uint16_t type, const struct flow_rec *r, mnl_cb_t cb,
		    void *data)
{
	/* Zeroed: libmnl leaves the padding after an attribute as it finds
	 * it, and all of it goes to the kernel (valgrind saw it). */
	char *buf = calloc(1, MNL_SOCKET_BUFFER_SIZE);
	struct collector_replay *rp = collector_replay_active();
	struct mnl_socket *nl = NULL;
	struct nlmsghdr *nlh;
	unsigned int portid;
	uint32_t seq = (uint32_t)time(NULL);
	int ret = 0;

	if (rp && buf) {
		nlh = put_entry_request(buf, type, r, seq);
		ret = collector_replay_request(rp, nlh, cb, data);
		free(buf);
		return ret;
	}
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!buf || !nl) {
		ret = -ENOMEM;
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = put_entry_request(buf, type, r, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	ret = collector_recv_answers(nl, buf, MNL_SOCKET_BUFFER_SIZE, seq,
				     portid, cb, data);
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return ret;
}

int collector_delete(struct collector *c, const struct flow_rec *rec)
{
	int ret = one_shot(IPCTNL_MSG_CT_DELETE, rec, NULL, NULL);

	if (!ret && c)
		collector_kick(c);
	return ret;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	return collector_parse(nlh, data) ? MNL_CB_ERROR : MNL_CB_OK;
}

int collector_get(const struct flow_rec *rec, struct flow_rec *out)
{
	return one_shot(IPCTNL_MSG_CT_GET, rec, get_cb, out);
}
