/* proc_lookup: local socket tuple to owning process (pid, uid, comm). */
#ifndef FLOWTOP_PROC_LOOKUP_H
#define FLOWTOP_PROC_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flow_types.h"

/*
 * Threads: init, refresh, find, is_local, free and the test hooks belong
 * to one thread (the enrichment thread); proc_lookup_user() may be called
 * from any thread.
 *
 * Matching: a connected socket by its full tuple; an unconnected one (UDP
 * server, TCP listener for a connection not yet accepted) by local address
 * then wildcard and port, only when no socket has the full tuple.  Sockets
 * shared by several processes belong to the lowest PID; SO_REUSEPORT
 * groups spread over several processes, sockets without a visible process
 * and flows of other namespaces are not found (never guessed).
 */

/* The local end first: what sock_diag reports as (src, sport). */
struct proc_sock_key {
	uint8_t family;		/* AF_INET, AF_INET6 */
	uint8_t l4proto;	/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE? */
	union flow_addr laddr, raddr;	/* network order */
	uint16_t lport, rport;		/* host order */
};

/* proc_root is "/proc" normally; tests pass a fake tree. */
int proc_lookup_init(const char *proc_root);
/* Re-read sockets (sock_diag) and, when a socket has no known owner, the
 * /proc/PID/fd links.  The caller calls it at most once per interval and
 * only when unknown local flows exist.  Returns 0 or -errno. */
int proc_lookup_refresh(void);
/* Fill owner for a flow end; returns 1 found, 0 not found.  comm is
 * interned (lives until proc_lookup_free). */
int proc_lookup_find(const struct proc_sock_key *key, struct flow_owner *o);
/* Is addr one of this namespace's local addresses (refreshed with
 * proc_lookup_refresh)? */
int proc_lookup_is_local(int family, const union flow_addr *addr);
/* User name of uid, or the number; cached.  Returns buf. */
const char *proc_lookup_user(uint32_t uid, char *buf, unsigned len);
void proc_lookup_free(void);

/*
 * Test hooks (unit tests and tests/tools, not flowtop itself).
 * After proc_lookup_test_mode() refresh asks the kernel nothing: sockets
 * and local addresses come only from the calls below and stay until
 * proc_lookup_test_clear(); /proc (proc_root) is still walked.
 */
int proc_lookup_test_mode(void);
void proc_lookup_test_clear(void);
/* A socket as sock_diag reports it: state is the kernel's TCP state
 * number (UDP: 1 connected, 7 not), v6only is INET_DIAG_SKV6ONLY. */
int proc_lookup_add_socket(const struct proc_sock_key *key, uint32_t inode,
			   uint32_t uid, uint8_t state, bool v6only);
/* A local address; prefixlen below 32/128 makes the prefix local. */
int proc_lookup_add_local(int family, const union flow_addr *addr,
			  unsigned prefixlen);
/* Parse one buffer the kernel sent: the answer to SOCK_DIAG_BY_FAMILY
 * for l4proto, or with l4proto 0 to RTM_GETADDR. */
int proc_lookup_feed(uint8_t l4proto, const void *buf, size_t len);
/* PROC_ROOT/PID/fd walks done since init. */
unsigned long proc_lookup_walks(void);
/* Called with each buffer refresh receives (same meaning as for
 * proc_lookup_feed), to record a dump. */
typedef void (*proc_lookup_tap_fn)(uint8_t family, uint8_t l4proto,
				   const void *buf, size_t len, void *arg);
void proc_lookup_set_tap(proc_lookup_tap_fn fn, void *arg);

#endif
