/* collector_pipe: a dump read by a second thread into a ring of buffers
 * while the collector's thread parses.
 *
 * The kernel fills at most 32 KiB per recvmsg() for a dump, and its time
 * to fill them is most of a dump's cost, so the two overlap (the screen
 * waits for the first dump).  It also costs less CPU than one thread doing
 * both: the kernel's walk of its table and ours of the flows no longer
 * evict each other from one core's cache.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <libmnl/libmnl.h>

#include "collector_impl.h"
#include "util.h"

#define PIPE_BUF_LEN	(64 << 10)
/* Wake the parser for this many buffers, not for each: a dump is ~800
 * buffers and each wake-up costs a context switch. */
#define PIPE_BATCH	4

/* The reader: one dump's answers into the ring, until its end. */
static void *pipe_main(void *arg)
{
	struct collector_pipe *p = arg;
	unsigned slot;
	ssize_t n;
	int ret;

	pthread_mutex_lock(&p->lock);
	p->tid = gettid();
	for (;;) {
		while (!p->quit && (!p->reading ||
				    p->head - p->tail == COLLECTOR_PIPE_BUFS))
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->quit)
			break;
		slot = p->head % COLLECTOR_PIPE_BUFS;
		pthread_mutex_unlock(&p->lock);
		do {
			n = mnl_socket_recvfrom(p->nl, p->buf[slot],
						PIPE_BUF_LEN);
		} while (n < 0 && errno == EINTR);
		if (n < 0) {
			n = -errno;
			ret = MNL_CB_ERROR;
		} else if (!util_nl_frames_ok(p->buf[slot], (size_t)n)) {
			n = -EBADMSG;
			ret = MNL_CB_ERROR;
		} else {
			/* Only to find the end: NLMSG_DONE or an error. */
			ret = mnl_cb_run(p->buf[slot], (size_t)n, p->seq,
					 p->portid, NULL, NULL);
		}
		pthread_mutex_lock(&p->lock);
		/* Checked here, on the core that has it in its cache: the
		 * parser does not walk it a second time. */
		p->len[slot] = n;
		p->head++;
		if (ret <= MNL_CB_STOP)
			p->reading = false;
		if (!p->reading || p->head - p->tail >= PIPE_BATCH)
			pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void collector_pipe_background(struct collector_pipe *p)
{
	int tid;

	if (!p->started)
		return;
	pthread_mutex_lock(&p->lock);
	tid = p->tid;
	pthread_mutex_unlock(&p->lock);
	if (tid)
		util_background(tid);
}

int collector_pipe_read(struct collector_pipe *p, uint32_t seq, mnl_cb_t cb,
			void *data, void (*between)(void *), void *arg)
{
	unsigned slot;
	ssize_t n;
	int ret, err = 0;
	bool end = false;

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
		slot = p->tail % COLLECTOR_PIPE_BUFS;
		n = p->len[slot];
		pthread_mutex_unlock(&p->lock);
		/* After an error, the rest is still drained from the socket
		 * (the reader does that), but not handed to cb. */
		if (!end) {
			if (n < 0) {
				err = (int)n;
				end = true;
			} else {
				ret = mnl_cb_run(p->buf[slot], (size_t)n, seq,
						 p->portid, cb, data);
				if (ret < 0)
					err = -errno ? -errno : -EIO;
				end = ret <= MNL_CB_STOP;
			}
		}
		if (between)
			between(arg);
		pthread_mutex_lock(&p->lock);
		p->tail++;
		/* The reader waits only on a full ring. */
		if (p->head - p->tail == COLLECTOR_PIPE_BUFS - 1)
			pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

int collector_pipe_start(struct collector_pipe *p, struct mnl_socket *nl,
			 unsigned int portid)
{
	int ret;

	p->nl = nl;
	p->portid = portid;
	for (int i = 0; i < COLLECTOR_PIPE_BUFS; i++) {
		p->buf[i] = malloc(PIPE_BUF_LEN);
		if (!p->buf[i])
			return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	ret = pthread_create(&p->thread, NULL, pipe_main, p);
	if (ret)
		return -ret;
	/* Names that top -H and htop show. */
	pthread_setname_np(p->thread, "ft-dumpread");
	p->started = true;
	return 0;
}

void collector_pipe_stop(struct collector_pipe *p)
{
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
	for (int i = 0; i < COLLECTOR_PIPE_BUFS; i++) {
		free(p->buf[i]);
		p->buf[i] = NULL;
	}
}
