/* sysctl: switch on conntrack accounting and timestamps, put them back. */
#ifndef FLOWTOP_SYSCTL_H
#define FLOWTOP_SYSCTL_H

#include <stddef.h>

/* Read net.netfilter.nf_conntrack_acct and nf_conntrack_timestamp under
 * root (normally "/proc/sys/net/netfilter"; tests pass a directory), remember
 * them, and write 1 where they are 0.  Returns 0, or -errno of the first
 * failure (values already changed are still remembered for restore).
 * With a state file (sysctl_state_path), instances of one namespace share
 * what the first found, and only the last to leave puts it back; NULL, or
 * a file that cannot be used, means this instance acts alone. */
int sysctl_enable(const char *root, const char *state);
/* Write back what sysctl_enable found, if it changed anything and (with a
 * state file) no other live instance remains.  Only async-signal-safe
 * calls (open, flock, read, write, close, kill), so it may run from a
 * signal handler or atexit.  Idempotent. */
void sysctl_restore(void);
/* The state file of the current network namespace, dir/netns-INODE;
 * makes dir.  0 or -errno. */
int sysctl_state_path(char *buf, size_t len, const char *dir);
/* Read an integer sysctl below root (e.g. "nf_conntrack_max"); -errno. */
long sysctl_read(const char *root, const char *name);

#endif
