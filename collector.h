/* collector: the conntrack netlink thread: dump, events, resync. */
#ifndef FLOWTOP_COLLECTOR_H
#define FLOWTOP_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow_types.h"

struct flow_list;
struct nlmsghdr;

/* Counters the screen shows; read with atomic loads via collector_stats. */
struct collector_stats {
	uint64_t dumps;			/* full dumps done */
	uint64_t events;		/* events handled */
	uint64_t overruns;		/* ENOBUFS on the event socket */
	uint64_t resyncs;		/* dumps done because of an overrun */
	uint64_t recounts;		/* ... because the kernel counted
					 * fewer entries than we did */
	uint64_t parse_errors;		/* messages we could not read */
	uint64_t last_dump_ns;		/* how long the last dump took */
	uint64_t ct_count, ct_max;	/* nf_conntrack_count / _max */
	uint64_t insert_failed, drop;	/* summed over CPUs (stats dump) */
	int last_error;			/* -errno of the last failure, 0 */
	uint64_t offloaded, offload_hw;	/* flows a flowtable forwards */
	uint64_t offload_frozen;	/* of them, proven not counted: see
					 * offload.h */
	uint64_t dump_entries;		/* the kernel sent, last scan */
	unsigned dump_requests;		/* dumps asked for, last scan */
	int ct_filter;			/* COLLECTOR_CT_FILTER_* */
};

/* Whether the kernel filters dumps by protocol (CTA_FILTER). */
enum {
	COLLECTOR_CT_FILTER_UNUSED,	/* not asked yet */
	COLLECTOR_CT_FILTER_WORKS,
	COLLECTOR_CT_FILTER_IGNORED,	/* older than 5.8: sends all */
	COLLECTOR_CT_FILTER_REFUSED,	/* EINVAL, EOPNOTSUPP */
};

struct collector;

/* Open the netlink sockets now (so a permission error is seen before the
 * screen starts); returns 0 or -errno (-EPERM without CAP_NET_ADMIN). */
int collector_open(struct collector **out, struct flow_list *fl,
		   unsigned interval_ms);
/* Run the thread: initial dump, then events, one dump per interval. */
int collector_start(struct collector *c);
/* Call fn(arg) on the collector thread after every dump (set before
 * collector_start): enrichment then looks at new flows when they come,
 * not on a timer of its own.  fn must not block. */
void collector_on_scan(struct collector *c, void (*fn)(void *), void *arg);
/* Only these flows are shown: ask the kernel for them only (any thread;
 * at once when more are shown than before: a dump now).  All until
 * called. */
void collector_set_scope(struct collector *c, const struct flow_scope *s);
/* Ask for a dump now (e.g. on a key), wakes the thread. */
void collector_kick(struct collector *c);
void collector_stop(struct collector *c);
void collector_close(struct collector *c);
void collector_get_stats(struct collector *c, struct collector_stats *st);
/* One full dump now, on the calling thread, for a one-shot snapshot
 * without the table (collector_start not called): fn(rec, arg) for each
 * entry, in the kernel's order, until it returns non-zero.  0 or -errno. */
typedef int (*collector_each_fn)(const struct flow_rec *rec, void *arg);
int collector_dump_each(struct collector *c, collector_each_fn fn,
			void *arg);
/* Completed scans since start: the UI and -B wait for the first one. */
uint64_t collector_scans(struct collector *c);
/* Messages from the file FLOWTOP_REPLAY names, not from the kernel (a
 * test hook, collector_replay.h): then nothing else may touch the kernel's
 * conntrack settings either. */
bool collector_replaying(const struct collector *c);
/* Delete one conntrack entry (the 'd' key), as conntrack -D does. */
int collector_delete(struct collector *c, const struct flow_rec *rec);
/* Ask the kernel for one entry (all its attributes, labels too): for the
 * details window.  Any thread; a socket of its own.  0 or -errno. */
int collector_get(const struct flow_rec *rec, struct flow_rec *out);

/* Parse one IPCTNL_MSG_CT_NEW/DELETE message into rec.  Returns 0, or
 * -EINVAL for a malformed message, -ENOENT for one without an original
 * tuple.  Pure: takes a buffer, not a socket (unit tests feed it). */
int collector_parse(const struct nlmsghdr *nlh, struct flow_rec *rec);

#endif
