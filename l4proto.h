/* l4proto: IP protocol numbers: their names, and what tells two flows of
 * one protocol between the same addresses apart. */
#ifndef FLOWTOP_L4PROTO_H
#define FLOWTOP_L4PROTO_H

#include <stddef.h>
#include <stdint.h>

/* What the kernel keys a protocol's flows on beyond the addresses, and so
 * what flow_tuple.sport/dport hold (conntrack's l4 trackers). */
enum l4proto_ids {
	L4_IDS_NONE,	/* the generic tracker: ESP, AH, IPIP, ... */
	L4_IDS_PORTS,	/* TCP, UDP, UDP-lite, SCTP, DCCP */
	L4_IDS_KEYS,	/* GRE: the keys (PPTP call ids), in sport/dport */
	L4_IDS_ICMP,	/* ICMP, ICMPv6: type, code and id */
};

enum l4proto_ids l4proto_ids(uint8_t l4proto);

/* conntrack's state names of TCP, SCTP and DCCP as conntrack(8) prints
 * them, indexed by the kernel's state number; *n of them.  NULL (and 0)
 * for protocols without a state machine. */
const char *const *l4proto_states(uint8_t l4proto, size_t *n);
/* One of them, "?" for a number the table lacks, NULL without states. */
const char *l4proto_state_name(uint8_t l4proto, uint8_t state);

/* "tcp", "gre", "esp", ...; "ip-proto-N" (as tcpdump) for the rest. */
const char *l4proto_name(uint8_t l4proto);
/* A name l4proto_name() gives, an alias ("icmp6", "udp-lite") or a
 * number 0-255, case-insensitive; -1 if none. */
int l4proto_parse(const char *name);

#endif
