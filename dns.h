/* dns: reverse lookups on worker threads, cached; never blocks a caller. */
#ifndef FLOWTOP_DNS_H
#define FLOWTOP_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest name dns_name() gives, NUL included.  A DNS name has at most 253
 * characters; longer ones (a hosts file has no limit) are cut. */
#define DNS_NAME_MAX	256

/* Start workers threads with a queue of at most queue_max pending
 * addresses; answers are kept ttl_sec, failures neg_ttl_sec.  After ttl_sec
 * a name is still given while it is looked up again.  Returns 0, -EINVAL
 * (workers 1..64, queue_max 1..2^20), -EALREADY, -ENOMEM or the error of
 * pthread_create(). */
int dns_start(unsigned workers, size_t queue_max, unsigned ttl_sec,
	      unsigned neg_ttl_sec);
/* Copy the name of addr (AF_INET/AF_INET6, network order) into buf and
 * return true if it is known; otherwise queue a lookup (once per address)
 * and return false: the caller shows the number.  Never blocks on the
 * network.  Thread-safe.  The name is sanitized. */
bool dns_name(int family, const void *addr, char *buf, size_t len);
/* Number of lookups queued or running, for tests and -B mode. */
size_t dns_pending(void);
/* As dns_name(), but never queues a lookup: true only for a known name. */
bool dns_cached(int family, const void *addr, char *buf, size_t len);
/* True when the last lookup of addr found no name (and no older name is
 * kept): the details say "no name" instead of "looking up".  Never queues. */
bool dns_failed(int family, const void *addr);
/* Stop the workers.  Idle ones are joined; one still inside the resolver
 * after a short grace (a dead server) is detached and frees its share of
 * the state when the resolver returns.  dns_start() may follow. */
void dns_stop(void);

/* Added by dns.c: counters since dns_start(), for tests and -B mode. */
struct dns_stats {
	uint64_t requests;	/* dns_name() calls while running */
	uint64_t hits;		/* ... answered with a name */
	uint64_t neg_hits;	/* ... answered by a cached failure */
	uint64_t queued;	/* lookups queued */
	uint64_t dropped;	/* lookups not queued: queue full, retried */
	uint64_t answers;	/* lookups that gave a name */
	uint64_t failures;	/* lookups that failed */
	uint64_t evicted;	/* entries dropped to bound the cache */
	size_t entries;		/* addresses in the cache now */
	size_t pending;		/* as dns_pending() */
};
/* All zero when not running. */
void dns_get_stats(struct dns_stats *st);

/* Cache size in addresses (0: the default, 65536), taken at the next
 * dns_start(). */
void dns_set_cache_max(size_t entries);

/*
 * Test hook: a resolver that writes the name of addr into host (len bytes,
 * NUL terminated) and returns 0, or returns -errno.  It runs on a worker
 * thread and may block.  NULL (the default) means getnameinfo() with
 * NI_NAMEREQD, so /etc/hosts and nsswitch.conf apply.  Taken at the next
 * dns_start().
 */
typedef int (*dns_resolve_fn)(int family, const void *addr, char *host,
			      size_t len);
void dns_set_resolver(dns_resolve_fn fn);

#endif
