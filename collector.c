/* collector: the conntrack netlink thread.
 *
 * One thread owns two ctnetlink sockets: one subscribed to the NEW, UPDATE
 * and DESTROY event groups, one for requests.  It dumps the whole table at
 * start and once per interval (counters are not sent in events, except on
 * DESTROY), handles events in between, and when the event socket overruns
 * (ENOBUFS: the kernel dropped events for us) it dumps at once; the dump
 * marks every flow it saw, and flows it did not see are closed, so a lost
 * DESTROY cannot leave a stale flow behind.  Never one query per flow.
 *
 * The messages it reads are parsed by collector_parse.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_compat.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "collector.h"
#include "collector_impl.h"
#include "collector_replay.h"
#include "flow_list.h"
#include "offload.h"
#include "util.h"

/* Events come in bursts (a port scan, a reboot of a NAT'd LAN): give the
 * kernel room before it has to drop them. */
#define EVENT_RCVBUF	(16 << 20)
#define DUMP_RCVBUF	(4 << 20)
#define RECV_BUF	(256 << 10)
/* Events handled before we look at the clock and the wake fd again. */
#define EVENT_BATCH	4096
/* A dump is read by a second thread into a ring of buffers while this one
 * parses: the kernel fills at most 32 KiB per recvmsg() for a dump, and
 * its time to fill them is most of a dump's cost, so the two overlap (the
 * screen waits for the first dump).  It also costs less CPU than one
 * thread doing both: the kernel's walk of its table and ours of the flows
 * no longer evict each other from one core's cache. */
#define PIPE_BUFS	12
#define PIPE_BUF_LEN	(64 << 10)
/* Wake the parser for this many buffers, not for each: a dump is ~800
 * buffers and each wake-up costs a context switch. */
#define PIPE_BATCH	4

struct dump_pipe {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *buf[PIPE_BUFS];
	ssize_t len[PIPE_BUFS];		/* bytes, or -errno */
	unsigned head, tail;		/* filled by the reader, used here */
	bool reading, quit;
	uint32_t seq;
};

struct collector {
	struct flow_list *fl;
	unsigned interval_ms;
	struct mnl_socket *ev, *req;
	unsigned int req_portid;
	uint32_t seq;
	int wake_fd;
	pthread_t thread;
	bool started;
	_Atomic bool stop;
	_Atomic bool kick;
	_Atomic uint64_t scans;

	/* Published counters (struct collector_stats, field by field). */
	_Atomic uint64_t dumps, events, overruns, resyncs, parse_errors;
	_Atomic uint64_t last_dump_ns, ct_count, ct_max, insert_failed, drop;
	_Atomic uint64_t offloaded, offload_hw, offload_frozen;
	_Atomic int last_error;

	char *buf;
	struct dump_pipe pipe;
	struct collector_replay *replay;	/* a test's file, no sockets */
	struct offload *ofl;
	void (*on_scan)(void *);
	void *on_scan_arg;
};

/* --- sockets ------------------------------------------------------------ */

static void set_rcvbuf(struct mnl_socket *nl, int size)
{
	int fd = mnl_socket_get_fd(nl);

	/* FORCE passes net.core.rmem_max; we have CAP_NET_ADMIN anyway. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

struct nlmsghdr *collector_put_request(char *buf, uint16_t type,
				       uint16_t flags, uint8_t family,
				       uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

int collector_recv_answers(struct mnl_socket *nl, char *buf, size_t len,
			   uint32_t seq, unsigned int portid, mnl_cb_t cb,
			   void *data)
{
	ssize_t n;
	int ret;

	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = mnl_cb_run(buf, n, seq, portid, cb, data);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static int request(struct collector *c, uint16_t type, uint16_t flags,
		   mnl_cb_t cb, void *data)
{
	struct nlmsghdr *nlh;
	uint32_t seq = ++c->seq;

	nlh = collector_put_request(c->buf, type, flags | NLM_F_ACK, AF_UNSPEC,
				    seq);
	if (c->replay)
		return collector_replay_request(c->replay, nlh, cb, data);
	if (mnl_socket_sendto(c->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return collector_recv_answers(c->req, c->buf, RECV_BUF, seq,
				      c->req_portid, cb, data);
}

/* The reader: one dump's answers into the ring, until its end. */
static void *pipe_main(void *arg)
{
	struct collector *c = arg;
	struct dump_pipe *p = &c->pipe;
	unsigned slot;
	ssize_t n;
	int ret;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->quit && (!p->reading ||
				    p->head - p->tail == PIPE_BUFS))
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->quit)
			break;
		slot = p->head % PIPE_BUFS;
		pthread_mutex_unlock(&p->lock);
		do {
			n = mnl_socket_recvfrom(c->req, p->buf[slot],
						PIPE_BUF_LEN);
		} while (n < 0 && errno == EINTR);
		/* Only to find the end: NLMSG_DONE or an error. */
		ret = n < 0 ? MNL_CB_ERROR :
		      mnl_cb_run(p->buf[slot], n, p->seq, c->req_portid,
				 NULL, NULL);
		pthread_mutex_lock(&p->lock);
		p->len[slot] = n < 0 ? -errno : n;
		p->head++;
		if (ret <= MNL_CB_STOP)
			p->reading = false;
		if (!p->reading || p->head - p->tail >= PIPE_BATCH)
			pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* A dump through the pipe: the reader receives, this thread runs cb. */
static int request_dump(struct collector *c, uint16_t type, mnl_cb_t cb,
			void *data)
{
	struct dump_pipe *p = &c->pipe;
	struct nlmsghdr *nlh;
	uint32_t seq = ++c->seq;
	unsigned slot;
	ssize_t n;
	int ret, err = 0;
	bool end = false;

	if (!p->started)
		return request(c, type, NLM_F_DUMP, cb, data);
	nlh = collector_put_request(c->buf, type, NLM_F_DUMP | NLM_F_ACK,
				    AF_UNSPEC, seq);
	if (mnl_socket_sendto(c->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	pthread_mutex_lock(&p->lock);
	p->seq = seq;
	p->head = p->tail = 0;
	p->reading = true;
	pthread_cond_broadcast(&p->cond);
	for (;;) {
		while (p->head - p->tail < PIPE_BATCH && p->reading)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->tail == p->head)
			break;		/* the reader is done, all used */
		slot = p->tail % PIPE_BUFS;
		n = p->len[slot];
		pthread_mutex_unlock(&p->lock);
		/* After an error, the rest is still drained from the socket
		 * (the reader does that), but not handed to cb. */
		if (!end) {
			if (n < 0) {
				err = (int)n;
				end = true;
			} else {
				ret = mnl_cb_run(p->buf[slot], n, seq,
						 c->req_portid, cb, data);
				if (ret < 0)
					err = -errno ? -errno : -EIO;
				end = ret <= MNL_CB_STOP;
			}
		}
		pthread_mutex_lock(&p->lock);
		p->tail++;
		/* The reader waits only on a full ring. */
		if (p->head - p->tail == PIPE_BUFS - 1)
			pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

static int pipe_start(struct collector *c)
{
	struct dump_pipe *p = &c->pipe;
	int ret;

	for (int i = 0; i < PIPE_BUFS; i++) {
		p->buf[i] = malloc(PIPE_BUF_LEN);
		if (!p->buf[i])
			return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	ret = pthread_create(&p->thread, NULL, pipe_main, c);
	if (ret)
		return -ret;
	/* Names that top -H and htop show. */
	pthread_setname_np(p->thread, "ft-dumpread");
	p->started = true;
	return 0;
}

static void pipe_stop(struct collector *c)
{
	struct dump_pipe *p = &c->pipe;

	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->quit = true;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->cond);
		p->started = false;
	}
	for (int i = 0; i < PIPE_BUFS; i++) {
		free(p->buf[i]);
		p->buf[i] = NULL;
	}
}

static int stats_global_cb(const struct nlmsghdr *nlh, void *data)
{
	struct collector *c = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (!attr_len_ok(a, 4))
			continue;
		if (mnl_attr_get_type(a) == CTA_STATS_GLOBAL_ENTRIES)
			atomic_store(&c->ct_count, ntohl(mnl_attr_get_u32(a)));
		else if (mnl_attr_get_type(a) == CTA_STATS_GLOBAL_MAX_ENTRIES)
			atomic_store(&c->ct_max, ntohl(mnl_attr_get_u32(a)));
	}
	return MNL_CB_OK;
}

struct cpu_sum {
	uint64_t insert_failed, drop;
};

static int stats_cpu_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cpu_sum *s = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (!attr_len_ok(a, 4))
			continue;
		if (mnl_attr_get_type(a) == CTA_STATS_INSERT_FAILED)
			s->insert_failed += ntohl(mnl_attr_get_u32(a));
		else if (mnl_attr_get_type(a) == CTA_STATS_DROP)
			s->drop += ntohl(mnl_attr_get_u32(a));
	}
	return MNL_CB_OK;
}

static int read_stats(struct collector *c)
{
	struct cpu_sum s = { 0 };
	int ret;

	ret = request(c, IPCTNL_MSG_CT_GET_STATS, 0, stats_global_cb, c);
	if (ret)
		return ret;
	ret = request(c, IPCTNL_MSG_CT_GET_STATS_CPU, NLM_F_DUMP,
		      stats_cpu_cb, &s);
	if (ret)
		return ret;
	atomic_store(&c->insert_failed, s.insert_failed);
	atomic_store(&c->drop, s.drop);
	return 0;
}

struct dump_ctx {
	struct collector *c;
	uint64_t now;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct flow_rec rec;

	if (collector_parse(nlh, &rec)) {
		atomic_fetch_add(&d->c->parse_errors, 1);
		return MNL_CB_OK;
	}
	offload_see(d->c->ofl, &rec, d->now);
	if (flow_list_update(d->c->fl, &rec, d->now) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

/* One full dump: every flow it shows is fresh, the others are closed;
 * flows closed before reap_before go. */
static int dump(struct collector *c, uint64_t reap_before)
{
	struct dump_ctx d = { .c = c, .now = util_now_mono() };
	struct offload_stats os;
	uint32_t scan;
	int ret;

	if (c->replay)
		collector_replay_scan(c->replay);
	scan = flow_list_begin_scan(c->fl);
	offload_begin(c->ofl);

	ret = request_dump(c, IPCTNL_MSG_CT_GET, dump_cb, &d);
	if (ret) {
		/* A failed dump proves nothing about absent flows. */
		flow_list_abort_scan(c->fl);
		offload_abort(c->ofl);
		atomic_store(&c->last_error, ret);
		return ret;
	}
	flow_list_end_scan(c->fl, scan, d.now, reap_before);
	offload_end(c->ofl, d.now, &os);
	atomic_store(&c->offloaded, os.flows);
	atomic_store(&c->offload_hw, os.hw);
	atomic_store(&c->offload_frozen, os.frozen);
	atomic_store(&c->last_dump_ns, util_now_mono() - d.now);
	atomic_fetch_add(&c->dumps, 1);
	read_stats(c);
	return 0;
}

struct each_ctx {
	struct collector *c;
	collector_each_fn fn;
	void *arg;
};

static int each_cb(const struct nlmsghdr *nlh, void *data)
{
	struct each_ctx *e = data;
	struct flow_rec rec;

	if (collector_parse(nlh, &rec)) {
		atomic_fetch_add(&e->c->parse_errors, 1);
		return MNL_CB_OK;
	}
	return e->fn(&rec, e->arg) ? MNL_CB_STOP : MNL_CB_OK;
}

int collector_dump_each(struct collector *c, collector_each_fn fn, void *arg)
{
	struct each_ctx e = { .c = c, .fn = fn, .arg = arg };
	int ret;

	/* The reader thread receives while this one parses: two cores.
	 * A replay has no socket: its next snapshot answers. */
	if (c->replay)
		collector_replay_scan(c->replay);
	else if (!c->pipe.started && pipe_start(c))
		pipe_stop(c);
	ret = request_dump(c, IPCTNL_MSG_CT_GET, each_cb, &e);
	if (!ret)
		atomic_fetch_add(&c->dumps, 1);
	return ret;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct collector *c = data;
	struct flow_rec rec;
	uint64_t now = util_now_mono();

	if (collector_parse(nlh, &rec)) {
		atomic_fetch_add(&c->parse_errors, 1);
		return MNL_CB_OK;
	}
	atomic_fetch_add_explicit(&c->events, 1, memory_order_relaxed);
	if ((nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_DELETE)
		flow_list_close(c->fl, &rec, now);
	else
		flow_list_update(c->fl, &rec, now);
	return MNL_CB_OK;
}

/* Drain the event socket.  Returns 1 if events were lost (resync), 0. */
static int read_events(struct collector *c)
{
	ssize_t n;

	if (c->replay) {
		collector_replay_events(c->replay, event_cb, c);
		return 0;
	}
	for (int i = 0; i < EVENT_BATCH; i++) {
		n = recv(mnl_socket_get_fd(c->ev), c->buf, RECV_BUF,
			 MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				atomic_fetch_add(&c->overruns, 1);
				return 1;
			}
			return 0;	/* EAGAIN, EINTR: nothing more now */
		}
		mnl_cb_run(c->buf, n, 0, 0, event_cb, c);
	}
	return 0;
}

/* An offloaded flow proves frozen counters once it stays offloaded
 * longer than the flowtable keeps an idle one (plus a dump and its gc's
 * second of slack). */
static void set_idle(struct collector *c, uint64_t flowtable_ns)
{
	if (!flowtable_ns)
		flowtable_ns = OFFLOAD_IDLE_DEFAULT_NS;
	offload_set_idle(c->ofl, flowtable_ns + 2000000000ull +
			 (uint64_t)c->interval_ms * 1000000ull);
}

/* The test hook: the file of FLOWTOP_REPLAY answers, no socket opens. */
static int replay_open(struct collector *c, struct collector **out)
{
	int ret = -ENOMEM;

	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->buf && c->wake_fd >= 0)
		ret = collector_replay_open(secure_getenv("FLOWTOP_REPLAY"),
					    &c->replay);
	if (!ret)
		ret = read_stats(c);
	if (ret) {
		collector_close(c);
		return ret;
	}
	set_idle(c, collector_replay_idle(c->replay));
	*out = c;
	return 0;
}

bool collector_replaying(const struct collector *c)
{
	return c->replay != NULL;
}

int collector_open(struct collector **out, struct flow_list *fl,
		   unsigned interval_ms)
{
	struct collector *c = calloc(1, sizeof(*c));
	unsigned groups = NF_NETLINK_CONNTRACK_NEW |
			  NF_NETLINK_CONNTRACK_UPDATE |
			  NF_NETLINK_CONNTRACK_DESTROY;
	int ret;

	if (!c)
		return -ENOMEM;
	c->fl = fl;
	c->interval_ms = interval_ms ? interval_ms : 1000;
	c->wake_fd = -1;
	c->buf = malloc(RECV_BUF);
	ret = offload_create(&c->ofl);
	if (ret) {
		collector_close(c);
		return ret;
	}
	/* Not under file capabilities (secure_getenv): only a caller that
	 * could read the table anyway may replace it. */
	if (secure_getenv("FLOWTOP_REPLAY"))
		return replay_open(c, out);
	c->req = mnl_socket_open(NETLINK_NETFILTER);
	c->ev = mnl_socket_open(NETLINK_NETFILTER);
	if (!c->buf || !c->req || !c->ev) {
		ret = -errno ? -errno : -ENOMEM;
		goto fail;
	}
	if (mnl_socket_bind(c->req, 0, MNL_SOCKET_AUTOPID) ||
	    mnl_socket_bind(c->ev, groups, MNL_SOCKET_AUTOPID)) {
		ret = -errno;
		goto fail;
	}
	c->req_portid = mnl_socket_get_portid(c->req);
	set_rcvbuf(c->req, DUMP_RCVBUF);
	/* Tests shrink the event buffer to force an overrun and a resync. */
	const char *ev_size = getenv("FLOWTOP_EVENT_RCVBUF");

	set_rcvbuf(c->ev, ev_size ? atoi(ev_size) : EVENT_RCVBUF);
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		ret = -errno;
		goto fail;
	}
	/* The stats request needs CAP_NET_ADMIN like the dump: fail now,
	 * before anyone takes over the terminal. */
	ret = read_stats(c);
	if (ret)
		goto fail;
	set_idle(c, offload_idle_from("/proc/sys/net/netfilter"));
	*out = c;
	return 0;
fail:
	collector_close(c);
	return ret;
}

static uint64_t interval_ns(const struct collector *c)
{
	return (uint64_t)c->interval_ms * 1000000ull;
}

static void *collector_main(void *arg)
{
	struct collector *c = arg;
	struct pollfd pfd[2];
	uint64_t next, now;
	bool resync = false;
	uint64_t v;

	rcu_register_thread();
	dump(c, 0);
	if (c->replay)
		read_events(c);
	atomic_fetch_add(&c->scans, 1);
	if (c->on_scan)
		c->on_scan(c->on_scan_arg);
	next = util_now_mono() + interval_ns(c);

	/* A replay has no event socket: its events come after each dump. */
	pfd[0].fd = c->replay ? -1 : mnl_socket_get_fd(c->ev);
	pfd[0].events = POLLIN;
	pfd[1].fd = c->wake_fd;
	pfd[1].events = POLLIN;

	while (!atomic_load(&c->stop)) {
		now = util_now_mono();
		if (now >= next || resync || atomic_exchange(&c->kick, false)) {
			if (resync)
				atomic_fetch_add(&c->resyncs, 1);
			resync = false;
			/* Closed flows stay one interval, dimmed. */
			dump(c, now - interval_ns(c) / 2);
			if (c->replay)
				read_events(c);
			atomic_fetch_add(&c->scans, 1);
			if (c->on_scan)
				c->on_scan(c->on_scan_arg);
			now = util_now_mono();
			next = now + interval_ns(c);
		}
		int ms = (int)((next - now + 999999) / 1000000);

		if (poll(pfd, 2, ms) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN)
			while (read(c->wake_fd, &v, sizeof(v)) > 0)
				;
		if (pfd[0].revents & (POLLIN | POLLERR))
			resync |= read_events(c);
	}
	rcu_unregister_thread();
	return NULL;
}

int collector_start(struct collector *c)
{
	int ret = c->replay ? 0 : pipe_start(c);

	if (ret) {
		pipe_stop(c);	/* dumps are then read by this thread */
	}
	ret = pthread_create(&c->thread, NULL, collector_main, c);
	if (ret)
		return -ret;
	pthread_setname_np(c->thread, "ft-collector");
	c->started = true;
	return 0;
}

static void wake(struct collector *c)
{
	uint64_t one = 1;

	if (write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* counter full: the thread is awake anyway */
	}
}

void collector_on_scan(struct collector *c, void (*fn)(void *), void *arg)
{
	c->on_scan = fn;
	c->on_scan_arg = arg;
}

void collector_kick(struct collector *c)
{
	atomic_store(&c->kick, true);
	wake(c);
}

void collector_stop(struct collector *c)
{
	if (!c || !c->started)
		return;
	atomic_store(&c->stop, true);
	wake(c);
	pthread_join(c->thread, NULL);
	c->started = false;
	pipe_stop(c);
}

void collector_close(struct collector *c)
{
	if (!c)
		return;
	collector_stop(c);
	pipe_stop(c);	/* started by collector_dump_each() alone */
	if (c->req)
		mnl_socket_close(c->req);
	if (c->ev)
		mnl_socket_close(c->ev);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	collector_replay_close(c->replay);
	offload_destroy(c->ofl);
	free(c->buf);
	free(c);
}

uint64_t collector_scans(struct collector *c)
{
	return atomic_load(&c->scans);
}

void collector_get_stats(struct collector *c, struct collector_stats *st)
{
	st->dumps = atomic_load(&c->dumps);
	st->events = atomic_load(&c->events);
	st->overruns = atomic_load(&c->overruns);
	st->resyncs = atomic_load(&c->resyncs);
	st->parse_errors = atomic_load(&c->parse_errors);
	st->last_dump_ns = atomic_load(&c->last_dump_ns);
	st->ct_count = atomic_load(&c->ct_count);
	st->ct_max = atomic_load(&c->ct_max);
	st->insert_failed = atomic_load(&c->insert_failed);
	st->drop = atomic_load(&c->drop);
	st->last_error = atomic_load(&c->last_error);
	st->offloaded = atomic_load(&c->offloaded);
	st->offload_hw = atomic_load(&c->offload_hw);
	st->offload_frozen = atomic_load(&c->offload_frozen);
}
