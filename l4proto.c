/* l4proto: IP protocol numbers: names and the identifiers of flows.
 *
 * The names are IANA's keywords in lower case, as /etc/protocols has them,
 * for the protocols a router's conntrack table holds in practice; not
 * read from /etc/protocols, which a small router or container may lack.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>

#include "l4proto.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	uint8_t num;
	const char *name;
} l4proto_names[] = {
	{ IPPROTO_ICMP, "icmp" },
	{ IPPROTO_IGMP, "igmp" },
	{ IPPROTO_IPIP, "ipip" },
	{ IPPROTO_TCP, "tcp" },
	{ IPPROTO_EGP, "egp" },
	{ IPPROTO_UDP, "udp" },
	{ IPPROTO_DCCP, "dccp" },
	{ IPPROTO_IPV6, "6in4" },
	{ IPPROTO_RSVP, "rsvp" },
	{ IPPROTO_GRE, "gre" },
	{ IPPROTO_ESP, "esp" },
	{ IPPROTO_AH, "ah" },
	{ IPPROTO_ICMPV6, "icmpv6" },
	{ 88, "eigrp" },
	{ 89, "ospf" },
	{ 97, "etherip" },
	{ IPPROTO_PIM, "pim" },
	{ 108, "ipcomp" },
	{ 112, "vrrp" },
	{ 115, "l2tp" },
	{ IPPROTO_SCTP, "sctp" },
	{ IPPROTO_UDPLITE, "udplite" },
	{ 137, "mpls-in-ip" },
	{ 143, "ethernet" },
	/* Aliases: parsed, never printed. */
	{ IPPROTO_ICMPV6, "icmp6" },
	{ IPPROTO_ICMPV6, "ipv6-icmp" },
	{ IPPROTO_UDPLITE, "udp-lite" },
	{ IPPROTO_IPIP, "ipencap" },
};

/* "ip-proto-0" ... "ip-proto-255", built by the preprocessor so that a
 * name is a constant any thread may keep. */
#define L4_N(n)		"ip-proto-" #n
#define L4_N10(t)	L4_N(t##0), L4_N(t##1), L4_N(t##2), L4_N(t##3), \
			L4_N(t##4), L4_N(t##5), L4_N(t##6), L4_N(t##7), \
			L4_N(t##8), L4_N(t##9)
static const char *const l4proto_numbers[256] = {
	L4_N10(), L4_N10(1), L4_N10(2), L4_N10(3), L4_N10(4), L4_N10(5),
	L4_N10(6), L4_N10(7), L4_N10(8), L4_N10(9), L4_N10(10), L4_N10(11),
	L4_N10(12), L4_N10(13), L4_N10(14), L4_N10(15), L4_N10(16),
	L4_N10(17), L4_N10(18), L4_N10(19), L4_N10(20), L4_N10(21),
	L4_N10(22), L4_N10(23), L4_N10(24), L4_N(250), L4_N(251), L4_N(252),
	L4_N(253), L4_N(254), L4_N(255),
};

/* enum tcp_conntrack, sctp_conntrack and ct_dccp_states of the kernel's
 * uapi headers. */
static const char *const l4proto_tcp_states[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};
static const char *const l4proto_sctp_states[] = {
	"NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED",
	"SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT",
	"HEARTBEAT_SENT", "HEARTBEAT_ACKED",
};
static const char *const l4proto_dccp_states[] = {
	"NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ",
	"CLOSING", "TIMEWAIT", "IGNORE", "INVALID",
};

const char *const *l4proto_states(uint8_t l4proto, size_t *n)
{
	switch (l4proto) {
	case IPPROTO_TCP:
		*n = ARRAY_SIZE(l4proto_tcp_states);
		return l4proto_tcp_states;
	case IPPROTO_SCTP:
		*n = ARRAY_SIZE(l4proto_sctp_states);
		return l4proto_sctp_states;
	case IPPROTO_DCCP:
		*n = ARRAY_SIZE(l4proto_dccp_states);
		return l4proto_dccp_states;
	}
	*n = 0;
	return NULL;
}

const char *l4proto_state_name(uint8_t l4proto, uint8_t state)
{
	size_t n;
	const char *const *tab = l4proto_states(l4proto, &n);

	if (!tab)
		return NULL;
	return state < n ? tab[state] : "?";
}

enum l4proto_ids l4proto_ids(uint8_t l4proto)
{
	switch (l4proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return L4_IDS_PORTS;
	case IPPROTO_GRE:
		return L4_IDS_KEYS;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return L4_IDS_ICMP;
	}
	return L4_IDS_NONE;
}

const char *l4proto_name(uint8_t l4proto)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(l4proto_names); i++)
		if (l4proto_names[i].num == l4proto)
			return l4proto_names[i].name;
	return l4proto_numbers[l4proto];
}

int l4proto_parse(const char *name)
{
	const char *num = name;
	char *end;
	unsigned long v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(l4proto_names); i++)
		if (!strcasecmp(name, l4proto_names[i].name))
			return l4proto_names[i].num;
	if (!strncasecmp(num, "ip-proto-", 9))
		num += 9;
	if (*num < '0' || *num > '9')
		return -1;
	v = strtoul(num, &end, 10);
	return *end || v > 255 ? -1 : (int)v;
}
