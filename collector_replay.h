/* collector_replay: a test hook: conntrack messages read from a file in
 * place of the kernel's sockets, for what this kernel cannot make (flow
 * offload, a kernel without CTA_FILTER).  FLOWTOP_REPLAY=FILE turns it on;
 * tests/tools/ct_replay builds FILE from a script in conntrack's text. */
#ifndef FLOWTOP_COLLECTOR_REPLAY_H
#define FLOWTOP_COLLECTOR_REPLAY_H

#include <libmnl/libmnl.h>

/* The file: this magic (8 bytes, so what follows stays aligned), then
 * records of a u32 kind, a u32 length and the payload padded to 4 bytes,
 * in the byte order of the machine (the tool builds it where it is
 * replayed). */
#define COLLECTOR_REPLAY_MAGIC	"FTRPLY1\n"

enum collector_replay_kind {
	COLLECTOR_REPLAY_DUMP = 1,	/* IPCTNL_MSG_CT_NEW messages: one
					 * snapshot, served to the next scan */
	COLLECTOR_REPLAY_EVENTS,	/* CT_NEW/CT_DELETE, after the dump */
	COLLECTOR_REPLAY_STATS,		/* the IPCTNL_MSG_CT_GET_STATS answer */
	COLLECTOR_REPLAY_FILTER,	/* u32 enum collector_replay_filter */
	COLLECTOR_REPLAY_IDLE,		/* u32 s: nf_flowtable_*_timeout */
	COLLECTOR_REPLAY_CPUSTATS,	/* the IPCTNL_MSG_CT_GET_STATS_CPU
					 * answer: a message a CPU */
};

/* How the replayed kernel takes a dump request with CTA_FILTER. */
enum collector_replay_filter {
	COLLECTOR_FILTER_WORKS,		/* filters, as 5.8 and later */
	COLLECTOR_FILTER_IGNORED,	/* dumps all: older kernels */
	COLLECTOR_FILTER_EOPNOTSUPP,	/* answers an error */
	COLLECTOR_FILTER_EINVAL,
};

struct collector_replay;

/* Read and check the file; 0 or -errno (-EINVAL: not such a file). */
int collector_replay_open(const char *path, struct collector_replay **out);
void collector_replay_close(struct collector_replay *r);
/* The replay of this process, if any (one-shot requests have no
 * collector to ask). */
struct collector_replay *collector_replay_active(void);

/* A scan begins: the next snapshot, if the file has one, answers its
 * dumps; the events after it are due once the scan is done. */
void collector_replay_scan(struct collector_replay *r);
/* Answer the request req as the kernel would, running cb over each
 * message of the answer; 0 or the kernel's -errno. */
int collector_replay_request(struct collector_replay *r,
			     const struct nlmsghdr *req, mnl_cb_t cb,
			     void *data);
/* The events due, through cb; how many. */
unsigned collector_replay_events(struct collector_replay *r, mnl_cb_t cb,
				 void *data);
/* The flowtable's idle timeout the file gives, in ns; 0 if none. */
uint64_t collector_replay_idle(const struct collector_replay *r);

#endif
