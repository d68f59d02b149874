/* collector_impl.h: what the collector*.c files share, included by them
 * only: the inline readers of netlink attributes, building requests. */
#ifndef FLOWTOP_COLLECTOR_IMPL_H
#define FLOWTOP_COLLECTOR_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

#include "flow_types.h"

/* The parser runs on every entry of every dump (100,000 a second on a big
 * table), so attributes are read inline here rather than through libmnl's
 * helpers, a shared-library call each; the checks are libmnl's. */
static inline uint16_t ct_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline size_t ct_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline const void *ct_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline bool ct_ok(const struct nlattr *a, int rem)
{
	return rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       (int)a->nla_len <= rem;
}

static inline const struct nlattr *ct_next(const struct nlattr *a, int *rem)
{
	*rem -= NLA_ALIGN(a->nla_len);
	return (const struct nlattr *)((const char *)a +
				       NLA_ALIGN(a->nla_len));
}

/* The first attribute inside a nest; *rem gets the nest's payload size. */
static inline const struct nlattr *ct_nested(const struct nlattr *nest,
					     int *rem)
{
	*rem = (int)ct_len(nest);
	return ct_data(nest);
}

static inline uint8_t ct_u8(const struct nlattr *a)
{
	return *(const uint8_t *)ct_data(a);
}

static inline uint16_t ct_u16(const struct nlattr *a)
{
	uint16_t v;

	memcpy(&v, ct_data(a), sizeof(v));
	return v;
}

static inline uint32_t ct_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, ct_data(a), sizeof(v));
	return v;
}

static inline uint64_t ct_u64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, ct_data(a), sizeof(v));	/* only 4-byte aligned */
	return v;
}

static inline int attr_len_ok(const struct nlattr *a, size_t len)
{
	return ct_len(a) >= len;
}

/* collector_pipe.c: a dump's answers read on a thread of their own. */
#define COLLECTOR_PIPE_BUFS	12

struct collector_pipe {
	pthread_t thread;
	bool started;
	struct mnl_socket *nl;
	unsigned int portid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *buf[COLLECTOR_PIPE_BUFS];
	/* Bytes whose message lengths the reader checked (as
	 * collector_cb_run does), or -errno: -EBADMSG if they do not add
	 * up. */
	ssize_t len[COLLECTOR_PIPE_BUFS];
	unsigned head, tail;		/* filled by the reader, used here */
	bool reading, quit;
	uint32_t seq;
	int tid;			/* the reader's thread id */
};

/* Start the reader on nl; on failure stop frees what start took. */
int collector_pipe_start(struct collector_pipe *p, struct mnl_socket *nl,
			 unsigned int portid);
void collector_pipe_stop(struct collector_pipe *p);
/* The reader gives way to the screen too (util_background). */
void collector_pipe_background(struct collector_pipe *p);
/* The answers to request seq (sent on nl) through cb, as they come, and
 * between(arg) after each buffer unless NULL: 0 or -errno. */
int collector_pipe_read(struct collector_pipe *p, uint32_t seq, mnl_cb_t cb,
			void *data, void (*between)(void *), void *arg);

/* collector_scope.c: which dumps a scan asks for (see there). */
struct collector_scope {
	struct flow_scope want;		/* what is shown */
	uint64_t present[2][4];		/* IPv4, IPv6: protocols the kernel
					 * holds, from dumps and events */
	uint32_t count[2][256];		/* ... about how many entries each */
	bool known[2];			/* present[] is complete */
	int filter;			/* COLLECTOR_CT_FILTER_* */
	unsigned requests;		/* dump requests of the last scan */
};

/* Dump family (AF_UNSPEC: both), only protocol proto (CTA_FILTER) unless
 * proto < 0: 0, -errno, or 1 when the kernel ignored the filter. */
typedef int (*collector_scope_dump_fn)(void *arg, uint8_t family,
				       int proto);

void collector_scope_init(struct collector_scope *s);
void collector_scope_set(struct collector_scope *s,
			 const struct flow_scope *want);
/* Does w show flows that old did not? */
bool collector_scope_wider(const struct flow_scope *old,
			   const struct flow_scope *w);
bool collector_scope_has(const struct collector_scope *s,
			 const struct flow_rec *r);
/* The kernel holds r's (family, protocol). */
void collector_scope_seen(struct collector_scope *s,
			  const struct flow_rec *r);
/* An event: delta 1 a new entry, -1 a destroyed one, 0 an update. */
void collector_scope_event(struct collector_scope *s,
			   const struct flow_rec *r, int delta);
/* About how many entries the kernel holds that are not shown. */
uint64_t collector_scope_hidden(const struct collector_scope *s);
/* Events were lost: what the kernel holds is not known now. */
void collector_scope_forget(struct collector_scope *s);
/* One scan's dumps; 0 or the first -errno. */
int collector_scope_scan(struct collector_scope *s,
			 collector_scope_dump_fn dump, void *arg);

/* collector.c: a request's header (nfgenmsg too) in buf; the answers
 * to request seq on nl through cb, to the final ACK or NLMSG_DONE (0 or
 * -errno). */
struct nlmsghdr *collector_put_request(char *buf, uint16_t type,
				       uint16_t flags, uint8_t family,
				       uint32_t seq);
/* mnl_cb_run on a buffer whose message lengths were checked first (see
 * util_nl_frames_ok): a forged length must not walk us off the buffer;
 * -1 with errno EBADMSG for such a buffer. */
int collector_cb_run(const void *buf, ssize_t n, uint32_t seq,
		     unsigned int portid, mnl_cb_t cb, void *data);
int collector_recv_answers(struct mnl_socket *nl, char *buf, size_t len,
			   uint32_t seq, unsigned int portid, mnl_cb_t cb,
			   void *data);

#endif
