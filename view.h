/* view: what to show of the flow table, sorted and filtered, for the screen
 * and the non-interactive outputs alike. */
#ifndef FLOWTOP_VIEW_H
#define FLOWTOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow_list.h"
#include "lan.h"

struct filter;
struct filter_ctx;

/* Protocol groups selectable with -T -U -D -I -S -O and the same keys. */
#define VIEW_TCP	0x01u
#define VIEW_UDP	0x02u	/* UDP and UDP-lite */
#define VIEW_DCCP	0x04u
#define VIEW_ICMP	0x08u	/* ICMP and ICMPv6 */
#define VIEW_SCTP	0x10u
#define VIEW_OTHER	0x20u	/* the rest: GRE, ESP, AH, any IP protocol */
#define VIEW_NAMED_PROTOS 0x1fu	/* -T -U -D -I -S all given: every one */
#define VIEW_ALL_PROTOS	0x3fu

enum view_sort {
	SORT_RATE,	/* total rate (the default); ties, for every key:
			 * newest first, then zone and conntrack id */
	SORT_BYTES,
	SORT_PACKETS,
	SORT_DURATION,
	SORT_PROCESS,
	SORT_PID,
	SORT_SRC,
	SORT_DST,
	SORT_PORT,
	SORT_PROTO,
	SORT_STATE,
	SORT_COUNTRY,
	SORT_USER,
	SORT_NONE,	/* table order */
	SORT__COUNT
};

/* Rates over the last interval, 10 s and 40 s (as iftop's 2/10/40 s). */
#define VIEW_RATE_NOW	0
#define VIEW_RATE_10S	1
#define VIEW_RATE_40S	2

enum view_mode {
	VIEW_FLOWS,
	VIEW_PROCESSES,
	VIEW_REMOTE,
	VIEW_DEVICES,
	VIEW__COUNT
};

/* Everything that decides what is shown; the UI owns one and changes it on
 * keys, the batch output takes it from the command line. */
struct view_opts {
	bool ipv4, ipv6;
	unsigned protos;		/* VIEW_* bits */
	bool show_src;			/* -s, 's' */
	bool bits;			/* -b, 'b' */
	bool active_only;		/* 'a': only flows with a rate */
	bool show_hidden;		/* loopback and DNS flows too ('l') */
	bool hide_closed;		/* batch output: only live flows */
	bool rates_unknown;		/* batch: a snapshot that did not wait
					 * for rates prints them as unknown */
	unsigned rate_window;		/* VIEW_RATE_* shown and sorted by */
	bool no_dns, no_geoip;		/* -n, -G */
	enum view_sort sort;
	bool reverse;
	enum view_mode mode;
	const struct filter *filter;	/* NULL: all */
	const struct filter_ctx *fctx;
};

void view_opts_default(struct view_opts *o);

/* Does the flow pass the family, protocol and hidden choice (what needs
 * nothing but the conntrack entry)? */
bool view_shown(const struct view_opts *o, const struct flow_rec *rec);
/* Does this flow pass the family/protocol/hidden/active/filter choice? */
bool view_match(const struct view_opts *o, const struct flow_row *row);

/* A page of the Flows view: rows [first, first + max) of the sorted list of
 * matching flows are copied to rows[]; *n_rows gets how many.  Returns the
 * number of matching flows in all, and *n_closed (unless NULL) how many of
 * them are closed ones (shown dimmed until reaped).  Takes rcu_read_lock
 * itself.  Only the visible page is fully sorted (partial selection for
 * the rest). */
size_t view_flows(struct flow_list *fl, const struct view_opts *o,
		  size_t first, size_t max, struct flow_row *rows,
		  size_t *n_rows, size_t *n_closed);

/* Every matching flow, in o's order (all sorted, unlike a page): fn(row,
 * arg) for each until it returns non-zero.  Rows are copied one at a time
 * under rcu_read_lock(), held for the whole walk: fn should not block for
 * long.  Returns how many rows fn got, or -ENOMEM. */
typedef int (*view_row_fn)(const struct flow_row *row, void *arg);
long view_each(struct flow_list *fl, const struct view_opts *o,
	       view_row_fn fn, void *arg);
/* The same over rows that are not in a table (a one-shot snapshot): get
 * fills row i of n (called twice for the rows fn gets); ties beyond the
 * keys go by index. */
typedef void (*view_get_fn)(size_t i, struct flow_row *row, void *arg);
long view_each_row(const struct view_opts *o, size_t n, view_get_fn get,
		   void *garg, view_row_fn fn, void *arg);

/* One line of the Processes and Remote views. */
struct view_group {
	char key[80];			/* process "comm" / host / country */
	char sub[48];			/* user / country code / "" */
	int32_t pid;			/* processes view: pid (0 if several) */
	uint32_t uid;
	uint8_t family;			/* remote view, host lines */
	union flow_addr addr;		/* remote view, host lines */
	const struct geo_info *geo;	/* remote view */
	size_t flows;
	uint64_t bytes_out, bytes_in;
	double rate_out, rate_in;	/* bytes/s */
	struct view_device_info *dev;	/* devices view, else NULL */
};

/* A line of the Devices view beyond struct view_group: the inside host
 * (family/addr above: its lowest address, IPv4 first), what the lan table
 * knows of it, and the remote it exchanged most with. */
struct view_device_info {
	bool local;			/* this host's own flows */
	uint8_t mac_len;		/* 0: grouped by address */
	uint8_t mac[LAN_MAC_MAX];
	char name[LAN_NAME_MAX];	/* from the leases, "" if none */
	unsigned addrs;			/* inside addresses seen */
	uint8_t top_family;		/* 0: none */
	union flow_addr top_addr;
	const struct geo_info *top_geo;
	double top_rate;		/* bytes/s, both ways */
	uint64_t top_bytes;
};

enum view_group_kind {
	GROUP_PROCESS,
	GROUP_HOST,
	GROUP_COUNTRY,
	GROUP_DEVICE,
};

/* Aggregate matching flows by process, remote host, country or inside
 * host (device), sorted by total rate then bytes; fills at most max groups;
 * returns the number of groups in all.  "out" is what the local or inside
 * end sends.  view_devices() is GROUP_DEVICE with the devices' details:
 * devs[] (max entries) gets them and groups[i].dev points into it. */
size_t view_groups(struct flow_list *fl, const struct view_opts *o,
		   enum view_group_kind kind, size_t first, size_t max,
		   struct view_group *groups, size_t *n_groups);
size_t view_devices(struct flow_list *fl, const struct view_opts *o,
		    size_t first, size_t max, struct view_group *groups,
		    struct view_device_info *devs, size_t *n_groups);

/* A flow's rate in the chosen window, bytes/s: original direction, or
 * the reply direction when reply is true. */
double view_rate(const struct view_opts *o, const struct flow_row *row,
		 bool reply);
/* "1s", "10s", "40s"; and back from 1, 10, 40 (-1 if not one of them). */
const char *view_rate_window_name(unsigned w);
int view_rate_window_parse(const char *s);

/* The far end of a flow (its source if it came to us or, forwarded, to
 * an inside host through a port forward: DNAT without SNAT; else its
 * destination), and that end's GeoIP. */
const union flow_addr *view_remote_addr(const struct flow_row *row);
const struct geo_info *view_remote_geo(const struct flow_row *row);
/* The near end: the original source (before SNAT), the local end of a
 * flow that came to us, or the inside host a port forward reaches. */
const union flow_addr *view_inside_addr(const struct flow_row *row);
/* The inside host of a flow, with what the lan table knows of it (MAC,
 * name) in *d.  Returns false when it is this host (a local flow). */
bool view_device(const struct flow_row *row, struct lan_device *d);

/* The VIEW_* group of a protocol. */
unsigned view_proto_group(uint8_t l4proto);
/* The flows o can show at all (families, protocols): what the collector
 * needs to ask the kernel for (collector_set_scope).  Returns s. */
struct flow_scope *view_scope(const struct view_opts *o,
			      struct flow_scope *s);
/* Names for display. */
const char *view_proto_name(uint8_t l4proto, uint8_t family);
const char *view_state_name(const struct flow_rec *rec);
/* The order of states within a protocol, by the name shown: flows of one
 * name sort together (ICMP: by type, then code). */
uint32_t view_state_rank(const struct flow_rec *rec);
const char *view_sort_name(enum view_sort s);
int view_sort_parse(const char *name);	/* -1 if unknown */

#endif
