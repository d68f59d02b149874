/* services: port and protocol to a service name. */
#ifndef FLOWTOP_SERVICES_H
#define FLOWTOP_SERVICES_H

#include <stdint.h>
#include <stdio.h>

/* Load "<confdir>/tcp.conf" and "<confdir>/udp.conf" ("<port> <name>" or
 * netsniff-ng's "<port>, <name>" per line, '#' comments), then the same
 * files of legacy_dir (netsniff-ng's /etc/netsniff-ng; may be NULL) for
 * ports still unnamed, then /etc/services (or the path given, for tests)
 * for the rest: the first name of a port wins.  Malformed lines are
 * skipped with one warning each on warn (may be NULL; the first 20 a
 * file, then a count).  Missing files are not an error; what is not a
 * regular file, or is over 8 MiB, is not read (-EINVAL, -EFBIG; one line
 * on warn).  Returns 0 or -errno.  Not thread-safe; call once before
 * threads start. */
int services_load(const char *confdir, const char *legacy_dir,
		  const char *etc_services, FILE *warn);
/* Name for port of IPPROTO_TCP, _UDP, _UDPLITE, _SCTP, _DCCP (SCTP and DCCP
 * use the TCP map, UDP-lite the UDP map unless /etc/services has its own);
 * NULL if unknown.  Thread-safe after load. */
const char *services_name(uint8_t l4proto, uint16_t port);
/* Port for a service name, for the filter language; -1 if unknown. */
int services_port(uint8_t l4proto, const char *name);
void services_free(void);

#endif
