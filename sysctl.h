/* sysctl: switch on conntrack accounting and timestamps, put them back. */
#ifndef FLOWTOP_SYSCTL_H
#define FLOWTOP_SYSCTL_H

/* Read net.netfilter.nf_conntrack_acct and nf_conntrack_timestamp under
 * root (normally "/proc/sys/net/netfilter"; tests pass a directory), remember
 * them, and write 1 where they are 0.  Returns 0, or -errno of the first
 * failure (values already changed are still remembered for restore). */
int sysctl_enable(const char *root);
/* Write back what sysctl_enable found, if it changed anything.  Only
 * async-signal-safe calls (open, write, close), so it may run from a
 * signal handler or atexit.  Idempotent. */
void sysctl_restore(void);
/* Read an integer sysctl below root (e.g. "nf_conntrack_max"); -errno. */
long sysctl_read(const char *root, const char *name);

#endif
