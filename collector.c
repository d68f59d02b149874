/* collector: the conntrack netlink thread.
 *
 * One thread owns two ctnetlink sockets: one subscribed to the NEW, UPDATE
 * and DESTROY event groups, one for requests.  It dumps the whole table at
 * start and once per interval (counters are not sent in events, except on
 * DESTROY), and handles events in between and during dumps: a dump of a
 * full table takes long enough for a busy router's events to overrun any
 * socket buffer.  When the event socket overruns anyway (ENOBUFS: the
 * kernel dropped events for us) it dumps again at once; the dump marks
 * every flow it saw, and flows it did not see are closed, so a lost
 * DESTROY cannot leave a stale flow behind; nor can an entry the kernel
 * destroys without an event (gone_silently).  Closed flows are reaped
 * within LINGER_NS, whatever the interval.  Never one query per flow.
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
#include <linux/sock_diag.h>
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
/* Events handled before we look at the clock and the wake fd again; and
 * at most between two of a dump's buffers. */
#define EVENT_BATCH	4096
#define EVENT_DUMP_BATCH 1024
/* Closed flows stay this long, dimmed (the screen redraws at least once a
 * second while flows come and go), then go: under churn, closed flows
 * would otherwise fill memory for a whole long interval.  Looked at this
 * often. */
#define LINGER_NS	1500000000ull
#define REAP_NS		250000000ull
/* The kernel's count of entries is compared with ours this often after
 * a dump (gone_silently): a quarter of a second, plus a dump of a full
 * table, finds an entry destroyed silently within the second. */
#define COUNT_CHECK_NS	250000000ull
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
	bool resync;		/* events were lost: dump again at once */
	bool recount;		/* entries went without an event: dump */
	uint64_t destroys, destroys_seen;	/* DESTROY events: all, and
						 * at the last count check */
	uint32_t ev_drops;	/* the event socket's drops, last seen */
	_Atomic uint64_t scans;

	/* Published counters (struct collector_stats, field by field). */
	_Atomic uint64_t dumps, events, overruns, resyncs, recounts;
	_Atomic uint64_t parse_errors;
	_Atomic uint64_t last_dump_ns, ct_count, ct_max, insert_failed, drop;
	_Atomic uint64_t offloaded, offload_hw, offload_frozen, dump_entries;
	_Atomic unsigned dump_requests;
	_Atomic int last_error, ct_filter;

	char *buf;
	struct collector_pipe pipe;
	struct collector_replay *replay;	/* a test's file, no sockets */
	struct offload *ofl;
	struct collector_scope scope;		/* collector thread only */
	pthread_mutex_t scope_lock;		/* for the two below */
	struct flow_scope scope_next;		/* as the UI last set it */
	bool scope_new;
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

int collector_cb_run(const void *buf, ssize_t n, uint32_t seq,
		     unsigned int portid, mnl_cb_t cb, void *data)
{
	if (n < 0 || !util_nl_frames_ok(buf, (size_t)n)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
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
		ret = collector_cb_run(buf, n, seq, portid, cb, data);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

/* Send the request built in c->buf and run cb over the answers. */
static int ask(struct collector *c, struct nlmsghdr *nlh, mnl_cb_t cb,
	       void *data)
{
	uint32_t seq = nlh->nlmsg_seq;

	if (c->replay)
		return collector_replay_request(c->replay, nlh, cb, data);
	if (mnl_socket_sendto(c->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return collector_recv_answers(c->req, c->buf, RECV_BUF, seq,
				      c->req_portid, cb, data);
}

static int request(struct collector *c, uint16_t type, uint16_t flags,
		   mnl_cb_t cb, void *data)
{
	return ask(c, collector_put_request(c->buf, type, flags | NLM_F_ACK,
					    AF_UNSPEC, ++c->seq), cb, data);
}

static int read_events(struct collector *c, int max);

/* Between a dump's buffers: the events that came meanwhile. */
static void dump_events(void *arg)
{
	struct collector *c = arg;

	if (read_events(c, EVENT_DUMP_BATCH))
		c->resync = true;
}

/* Only entries of protocol proto: CTA_FILTER on the original tuple's
 * protocol number (CTA_FILTER_F_CTA_PROTO_NUM, bit 3 in the kernel's
 * nf_conntrack_netlink.c; the flags are host order). */
static void put_proto_filter(struct nlmsghdr *nlh, uint8_t proto)
{
	struct nlattr *tup, *pr, *f;

	tup = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	mnl_attr_nest_end(nlh, pr);
	mnl_attr_nest_end(nlh, tup);
	f = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, 1u << 3);
	mnl_attr_nest_end(nlh, f);
}

/* A dump of family (AF_UNSPEC: all), only of protocol proto unless
 * proto < 0, through the pipe when it runs: its reader receives, this
 * thread runs cb and (with events) handles the events that came
 * meanwhile between buffers. */
static int request_dump(struct collector *c, uint8_t family, int proto,
			mnl_cb_t cb, void *data, bool events)
{
	struct nlmsghdr *nlh;
	uint32_t seq = ++c->seq;

	nlh = collector_put_request(c->buf, IPCTNL_MSG_CT_GET,
				    NLM_F_DUMP | NLM_F_ACK, family, seq);
	if (proto >= 0)
		put_proto_filter(nlh, (uint8_t)proto);
	if (!c->pipe.started)
		return ask(c, nlh, cb, data);
	if (mnl_socket_sendto(c->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return collector_pipe_read(&c->pipe, seq, cb, data,
				   events ? dump_events : NULL, c);
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
	uint64_t entries;	/* the kernel sent, this scan */
	int proto;		/* asked for with CTA_FILTER, -1: all */
	bool other;		/* ... and another came: filter ignored */
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct collector_scope *s = &d->c->scope;
	struct flow_rec rec;

	if (collector_parse(nlh, &rec)) {
		atomic_fetch_add(&d->c->parse_errors, 1);
		return MNL_CB_OK;
	}
	d->entries++;
	collector_scope_seen(s, &rec);
	if (d->proto >= 0 && rec.l4proto != d->proto)
		d->other = true;
	/* Hidden: not worth a place in the table. */
	if (!collector_scope_has(s, &rec))
		return MNL_CB_OK;
	offload_see(d->c->ofl, &rec, d->now);
	if (flow_list_update(d->c->fl, &rec, d->now) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

/* collector_scope_scan() asks through this: one dump request. */
static int dump_one(void *arg, uint8_t family, int proto)
{
	struct dump_ctx *d = arg;
	int ret;

	d->proto = proto;
	d->other = false;
	ret = request_dump(d->c, family, proto, dump_cb, d, true);
	return !ret && d->other ? 1 : ret;
}

/* The shown part of the table as the UI last set it. */
static void take_scope(struct collector *c)
{
	pthread_mutex_lock(&c->scope_lock);
	if (c->scope_new)
		collector_scope_set(&c->scope, &c->scope_next);
	c->scope_new = false;
	pthread_mutex_unlock(&c->scope_lock);
}

/* One scan (a dump of each family and protocol shown, see
 * collector_scope.c): every flow it shows is fresh, the others are
 * closed; flows closed before reap_before go. */
static int dump(struct collector *c, uint64_t reap_before)
{
	struct dump_ctx d = { .c = c, .now = util_now_mono() };
	struct offload_stats os;
	uint32_t scan;
	int ret;

	take_scope(c);
	if (c->replay)
		collector_replay_scan(c->replay);
	scan = flow_list_begin_scan(c->fl);
	offload_begin(c->ofl);

	ret = collector_scope_scan(&c->scope, dump_one, &d);
	atomic_store(&c->dump_requests, c->scope.requests);
	atomic_store(&c->ct_filter, c->scope.filter);
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
	atomic_store(&c->dump_entries, d.entries);
	atomic_store(&c->last_dump_ns, util_now_mono() - d.now);
	atomic_fetch_add(&c->dumps, 1);
	read_stats(c);
	return 0;
}

struct each_ctx {
	struct collector *c;
	collector_each_fn fn;
	void *arg;
	int proto;		/* asked for with CTA_FILTER, -1: all */
	bool other;		/* ... and another came: filter ignored */
};

static int each_cb(const struct nlmsghdr *nlh, void *data)
{
	struct each_ctx *e = data;
	struct flow_rec rec;

	if (collector_parse(nlh, &rec)) {
		atomic_fetch_add(&e->c->parse_errors, 1);
		return MNL_CB_OK;
	}
	collector_scope_seen(&e->c->scope, &rec);
	if (e->proto >= 0 && rec.l4proto != e->proto)
		e->other = true;
	if (!collector_scope_has(&e->c->scope, &rec))
		return MNL_CB_OK;
	return e->fn(&rec, e->arg) ? MNL_CB_STOP : MNL_CB_OK;
}

static int each_one(void *arg, uint8_t family, int proto)
{
	struct each_ctx *e = arg;
	int ret;

	e->proto = proto;
	e->other = false;
	/* A snapshot on its own: no table for events to go to. */
	ret = request_dump(e->c, family, proto, each_cb, e, false);
	return !ret && e->other ? 1 : ret;
}

int collector_dump_each(struct collector *c, collector_each_fn fn, void *arg)
{
	struct each_ctx e = { .c = c, .fn = fn, .arg = arg };
	int ret;

	take_scope(c);
	/* The reader thread receives while this one parses: two cores.
	 * A replay has no socket: its next snapshot answers. */
	if (c->replay)
		collector_replay_scan(c->replay);
	else if (!c->pipe.started && collector_pipe_start(&c->pipe, c->req,
							 c->req_portid))
		collector_pipe_stop(&c->pipe);
	ret = collector_scope_scan(&c->scope, each_one, &e);
	atomic_store(&c->dump_requests, c->scope.requests);
	atomic_store(&c->ct_filter, c->scope.filter);
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
	/* Every protocol's events come: learn what the kernel holds, keep
	 * only what is shown. */
	collector_scope_event(&c->scope, &rec,
			      (nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_DELETE ?
			      -1 : nlh->nlmsg_flags & NLM_F_CREATE ? 1 : 0);
	if (!collector_scope_has(&c->scope, &rec))
		return MNL_CB_OK;
	if ((nlh->nlmsg_type & 0xff) == IPCTNL_MSG_CT_DELETE) {
		c->destroys++;
		flow_list_close(c->fl, &rec, now);
	} else {
		flow_list_event(c->fl, &rec, now);
	}
	return MNL_CB_OK;
}

/* Did the kernel drop events since we last looked?  It says ENOBUFS
 * once, then drops silently until the socket's queue has been emptied:
 * its count of drops (SO_MEMINFO) tells every time. */
static bool events_dropped(struct collector *c)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(mnl_socket_get_fd(c->ev), SOL_SOCKET, SO_MEMINFO, mem,
		       &len) || len <= SK_MEMINFO_DROPS * sizeof(mem[0]) ||
	    mem[SK_MEMINFO_DROPS] == c->ev_drops)
		return false;
	c->ev_drops = mem[SK_MEMINFO_DROPS];
	return true;
}

/* Handle what the event socket holds, at most max messages.  Returns 1
 * if events were lost (resync), 0. */
static int read_events(struct collector *c, int max)
{
	bool lost = false, any = false;
	ssize_t n;

	if (c->replay) {
		collector_replay_events(c->replay, event_cb, c);
		return 0;
	}
	for (int i = 0; i < max; i++) {
		n = recv(mnl_socket_get_fd(c->ev), c->buf, RECV_BUF,
			 MSG_DONTWAIT);
		if (n < 0) {
			if (errno != ENOBUFS)
				break;	/* EAGAIN, EINTR: nothing more now */
			lost = true;
			continue;
		}
		any = true;
		if (!util_nl_frames_ok(c->buf, (size_t)n)) {
			atomic_fetch_add(&c->parse_errors, 1);
			continue;
		}
		mnl_cb_run(c->buf, n, 0, 0, event_cb, c);
	}
	if ((any || lost) && events_dropped(c))
		lost = true;
	if (lost)
		atomic_fetch_add(&c->overruns, 1);
	return lost;
}

/* Entries the kernel made while no one listened carry no event cache
 * (net.netfilter.nf_conntrack_events 2, the default, adds it only while
 * someone, in any namespace, listens; 0, never), so go without a DESTROY
 * and only a dump shows them gone: with a long interval they would be
 * counted for all of it.  So compare our count (taken before and after
 * the kernel's answer, the lower: events in flight either way) with the
 * kernel's; more here, beyond an eighth of the DESTROYs since the last
 * look (the churn while we ask), means some went silently: true. */
static bool gone_silently(struct collector *c)
{
	uint64_t before, after, ours, slack;

	if (read_events(c, EVENT_BATCH))
		c->resync = true;
	before = flow_list_live(c->fl);
	if (read_stats(c))
		return false;
	if (read_events(c, EVENT_BATCH))
		c->resync = true;
	after = flow_list_live(c->fl);
	ours = (before < after ? before : after) +
	       collector_scope_hidden(&c->scope);
	slack = 2 + (c->destroys - c->destroys_seen) / 8;
	c->destroys_seen = c->destroys;
	return ours > atomic_load(&c->ct_count) + slack;
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
	collector_scope_init(&c->scope);
	c->scope_next = c->scope.want;
	pthread_mutex_init(&c->scope_lock, NULL);
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
	uint64_t next, next_reap, next_count, now, wake;
	uint64_t v;

	rcu_register_thread();
	dump(c, 0);
	if (c->replay)
		read_events(c, EVENT_BATCH);
	atomic_fetch_add(&c->scans, 1);
	if (c->on_scan)
		c->on_scan(c->on_scan_arg);
	/* The screen waited for that first dump; from now on its keys come
	 * first when the cores are busy (a full table's dump is long). */
	util_background(0);
	collector_pipe_background(&c->pipe);
	next = util_now_mono() + interval_ns(c);
	next_reap = util_now_mono() + REAP_NS;
	next_count = util_now_mono() + COUNT_CHECK_NS;

	/* A replay has no event socket: its events come after each dump. */
	pfd[0].fd = c->replay ? -1 : mnl_socket_get_fd(c->ev);
	pfd[0].events = POLLIN;
	pfd[1].fd = c->wake_fd;
	pfd[1].events = POLLIN;

	while (!atomic_load(&c->stop)) {
		now = util_now_mono();
		if (now >= next || c->resync || c->recount ||
		    atomic_exchange(&c->kick, false)) {
			if (c->resync) {
				atomic_fetch_add(&c->resyncs, 1);
				/* NEW events of new protocols may be lost. */
				collector_scope_forget(&c->scope);
			} else if (c->recount) {
				atomic_fetch_add(&c->recounts, 1);
			}
			c->resync = false;
			c->recount = false;
			/* Closed flows stay one interval, dimmed. */
			dump(c, now - interval_ns(c) / 2);
			if (c->replay)
				read_events(c, EVENT_BATCH);
			atomic_fetch_add(&c->scans, 1);
			if (c->on_scan)
				c->on_scan(c->on_scan_arg);
			now = util_now_mono();
			next = now + interval_ns(c);
			next_count = now + COUNT_CHECK_NS;
		}
		if (!c->replay && now >= next_count) {
			c->recount = gone_silently(c);
			next_count = now + COUNT_CHECK_NS;
			if (c->recount || c->resync)
				continue;
		}
		if (now >= next_reap) {
			flow_list_reap(c->fl, now - LINGER_NS);
			next_reap = now + REAP_NS;
		}
		wake = next < next_reap ? next : next_reap;
		if (next_count < wake)
			wake = next_count;
		int ms = wake > now ? (int)((wake - now + 999999) / 1000000) :
			 0;

		if (poll(pfd, 2, ms) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN)
			while (read(c->wake_fd, &v, sizeof(v)) > 0)
				;
		if ((pfd[0].revents & (POLLIN | POLLERR)) &&
		    read_events(c, EVENT_BATCH))
			c->resync = true;
	}
	rcu_unregister_thread();
	return NULL;
}

int collector_start(struct collector *c)
{
	int ret = c->replay ? 0 : collector_pipe_start(&c->pipe, c->req,
							c->req_portid);

	if (ret) {
		/* dumps are then read by this thread */
		collector_pipe_stop(&c->pipe);
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

void collector_set_scope(struct collector *c, const struct flow_scope *s)
{
	bool wider;

	pthread_mutex_lock(&c->scope_lock);
	wider = collector_scope_wider(&c->scope_next, s);
	c->scope_next = *s;
	c->scope_new = true;
	pthread_mutex_unlock(&c->scope_lock);
	/* Flows of a protocol just switched on come with a dump now. */
	if (wider && c->started)
		collector_kick(c);
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
	collector_pipe_stop(&c->pipe);
}

void collector_close(struct collector *c)
{
	if (!c)
		return;
	collector_stop(c);
	/* Started by collector_dump_each() alone. */
	collector_pipe_stop(&c->pipe);
	if (c->req)
		mnl_socket_close(c->req);
	if (c->ev)
		mnl_socket_close(c->ev);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	collector_replay_close(c->replay);
	offload_destroy(c->ofl);
	pthread_mutex_destroy(&c->scope_lock);
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
	st->recounts = atomic_load(&c->recounts);
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
	st->dump_entries = atomic_load(&c->dump_entries);
	st->dump_requests = atomic_load(&c->dump_requests);
	st->ct_filter = atomic_load(&c->ct_filter);
}
