/* lan: the devices of the local networks: names from dnsmasq's DHCP leases
 * file, link-layer (MAC) addresses from the kernel's neighbour table, kept
 * fresh by a thread of their own and read without locks. */
#ifndef FLOWTOP_LAN_H
#define FLOWTOP_LAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_types.h"

#define LAN_NAME_MAX	64	/* a device name, NUL included */
#define LAN_MAC_MAX	8	/* link-layer address bytes (EUI-64) */
#define LAN_MAC_TEXT	(3 * LAN_MAC_MAX)	/* "aa:bb:..." and NUL */
#define LAN_MAX_ENTRIES	4096	/* leases kept; neighbours kept */
#define LAN_FILE_MAX	(1 << 20)	/* bytes of a leases file read */
#define LAN_LINE_MAX	1024	/* longer lease lines are skipped */

/* Bits of lan_device.from: where what is known came from. */
#define LAN_FROM_LEASE	0x1u	/* the address has a lease */
#define LAN_FROM_NEIGH	0x2u	/* the neighbour table has it */
#define LAN_FROM_MAC	0x4u	/* name from a lease of its MAC */

/* What is known about one address of the local networks. */
struct lan_device {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t mac_len;		/* 0: no MAC known */
	uint8_t from;			/* LAN_FROM_* */
	union flow_addr addr;		/* network order */
	uint8_t mac[LAN_MAC_MAX];
	char name[LAN_NAME_MAX];	/* host name, "" if none; inert: only
					 * [A-Za-z0-9._-] and '?' */
};

/* Parse a dnsmasq leases file held in buf: "EXPIRY MAC IP NAME CLIENTID"
 * lines, then after a "duid ..." line "EXPIRY IAID IPV6 NAME DUID" lines;
 * a NAME of "*" is none.  Lines that do not parse, or are longer than
 * LAN_LINE_MAX, are skipped.  At most max leases go to out; *n gets their
 * number.  Returns the number of lines skipped. */
size_t lan_parse_leases(const char *buf, size_t len, struct lan_device *out,
			size_t max, size_t *n);
/* The same from a file: at most LAN_FILE_MAX bytes of a regular file (a
 * FIFO or device is refused, never waited on).  Returns 0 or -errno. */
int lan_read_leases(const char *path, struct lan_device *out, size_t max,
		    size_t *n);

/* Parse rtnetlink messages (an RTM_GETNEIGH dump's answer, as recv()
 * gives it): each RTM_NEWNEIGH of an IPv4/IPv6 address with a link-layer
 * address in a usable state (not FAILED, INCOMPLETE or NOARP) is appended
 * to out[*n] while *n < max.  Returns 1 at NLMSG_DONE, 0 if more is to
 * come, -EBADMSG for a message whose length is wrong, or the error of an
 * NLMSG_ERROR message. */
int lan_parse_neigh(const void *buf, size_t len, struct lan_device *out,
		    size_t max, size_t *n);

/* Merge leases and neighbours into the table lan_find() reads and publish
 * it (the old one is freed once no reader holds it).  An address's name is
 * its lease's; else, for an address the neighbour table knows, the name of
 * a lease with the same MAC (an IPv6 address of a device leased an IPv4
 * one).  A lease whose MAC differs from the neighbour table's is stale and
 * gives no name.  Returns 0 or -ENOMEM. */
int lan_publish(const struct lan_device *leases, size_t n_leases,
		const struct lan_device *neigh, size_t n_neigh);
/* What is known of addr (family AF_INET/AF_INET6, network order): true and
 * *out filled, or false.  Lock-free; the thread must be an RCU reader
 * (rcu_register_thread()). */
bool lan_find(int family, const void *addr, struct lan_device *out);

/* "02:66:74:00:00:0a"; "" for mac_len 0. */
char *lan_fmt_mac(char *buf, size_t len, const uint8_t *mac, size_t mac_len);
/* "02:66:74:00:00:0a" (also '-' between bytes) to bytes: the number of
 * bytes (1..max), or -EINVAL. */
int lan_parse_mac(const char *s, uint8_t *mac, size_t max);

/* The thread: reads the leases file again when it changes (mtime, size,
 * inode) and dumps the neighbour table every neigh_ms. */
struct lan_opts {
	const char *leases;	/* the leases file; NULL: /tmp/dhcp.leases
				 * and /var/lib/misc/dnsmasq.leases */
	unsigned neigh_ms;	/* 0: 2000 */
};

/* Returns 0, -EALREADY, -ENOMEM or the error of pthread_create(). */
int lan_start(const struct lan_opts *o);
/* Passes done (each reads what changed), so -B can wait for the first. */
uint64_t lan_passes(void);
void lan_stop(void);
/* Free the published table; after lan_stop(), at exit. */
void lan_free(void);

struct lan_stats {
	size_t leases;		/* leases read */
	size_t neighbours;	/* neighbour entries with a MAC */
	size_t devices;		/* addresses in the table */
	uint64_t passes, loads, dumps;
	int leases_err;		/* 0, or -errno of the last read
				 * (-ENOENT: no leases file) */
	int neigh_err;		/* 0, or -errno of the last dump */
	char path[256];		/* the leases file read, "" if none */
};
/* All zero when not started. */
void lan_get_stats(struct lan_stats *st);

#endif
