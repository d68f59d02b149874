/* dns: reverse lookups on worker threads, cached; never blocks a caller. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "dns.h"
#include "util.h"

#define DNS_CACHE_DEFAULT	65536u
#define DNS_WORKERS_MAX		64u
#define DNS_QUEUE_LIMIT		(1u << 20)
/* How long dns_stop() waits for a worker inside the resolver. */
#define DNS_STOP_GRACE_MS	200u
#define DNS_NSEC		1000000000ull

enum dns_state {
	DNS_NEW,		/* first lookup not done yet */
	DNS_KNOWN,		/* name holds the answer */
	DNS_FAILED,		/* the last lookup failed */
};

/*
 * One address.  An entry is either busy (in the queue or with a worker;
 * then it cannot be evicted) or idle and on the LRU list.
 */
struct dns_entry {
	struct dns_entry *hnext;	/* hash chain */
	struct dns_entry *prev, *next;	/* LRU list, idle entries only */
	uint64_t expires;		/* CLOCK_MONOTONIC ns */
	uint64_t hash;
	char *name;			/* sanitized, when DNS_KNOWN */
	uint8_t addr[16];		/* IPv4 in the first 4 bytes */
	uint8_t family;
	uint8_t state;			/* enum dns_state */
	bool busy;
};

struct dns_worker {
	pthread_t tid;
	bool exited;
};

/*
 * One dns_start() .. dns_stop() generation.  Workers hold references, so a
 * worker detached by dns_stop() while stuck in the resolver can still lock,
 * see that it is stopping, and free the state if it is the last user.
 */
struct dns_ctx {
	pthread_cond_t work;		/* queue not empty, or stopping */
	pthread_cond_t done;		/* a worker exited */
	struct dns_entry **bucket;
	size_t mask;			/* buckets - 1 */
	size_t count, cache_max;
	struct dns_entry lru;		/* sentinel: next newest, prev oldest */
	struct dns_entry **queue;	/* ring */
	size_t q_head, q_len, q_max;
	size_t running;
	unsigned refs;
	bool stopping;
	uint64_t ttl, neg_ttl;		/* ns */
	uint64_t key[2];		/* hash seed */
	dns_resolve_fn resolve;
	struct dns_stats st;
	unsigned nworkers, nexited;
	struct dns_worker worker[];
};

/* One lock for everything; held only for table work, never while a
 * lookup runs, so dns_name() waits at most for another table update. */
static pthread_mutex_t dns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dns_ctx *dns;
static dns_resolve_fn dns_resolver;
static size_t dns_cache_max = DNS_CACHE_DEFAULT;

static uint64_t dns_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void dns_sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = dns_rotl(v[1], 13) ^ v[0];
	v[0] = dns_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = dns_rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = dns_rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = dns_rotl(v[1], 17) ^ v[2];
	v[2] = dns_rotl(v[2], 32);
}

/*
 * SipHash-2-4 of addr and family with a random key: remote addresses are
 * chosen by others, and a guessable hash would let them fill one chain.
 */
static uint64_t dns_hash(const uint64_t key[2], int family,
			 const uint8_t addr[16])
{
	uint64_t v[4] = {
		key[0] ^ 0x736f6d6570736575ull, key[1] ^ 0x646f72616e646f6dull,
		key[0] ^ 0x6c7967656e657261ull, key[1] ^ 0x7465646279746573ull,
	};
	uint64_t m[3];
	int i, r;

	memcpy(&m[0], addr, 8);
	memcpy(&m[1], addr + 8, 8);
	/* Last block: the 17th byte and the message length, as SipHash. */
	m[2] = (uint64_t)(uint8_t)family | (17ull << 56);
	for (i = 0; i < 3; i++) {
		v[3] ^= m[i];
		for (r = 0; r < 2; r++)
			dns_sipround(v);
		v[0] ^= m[i];
	}
	v[2] ^= 0xff;
	for (r = 0; r < 4; r++)
		dns_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static int dns_addr_key(int family, const void *addr, uint8_t key[16])
{
	memset(key, 0, 16);
	if (family == AF_INET)
		memcpy(key, addr, 4);
	else if (family == AF_INET6)
		memcpy(key, addr, 16);
	else
		return -EAFNOSUPPORT;
	return 0;
}

static uint64_t dns_deadline(uint64_t now, uint64_t ttl)
{
	return ttl > UINT64_MAX - now ? UINT64_MAX : now + ttl;
}

static void dns_lru_del(struct dns_entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->prev = e->next = NULL;
}

static void dns_lru_add(struct dns_ctx *c, struct dns_entry *e)
{
	e->next = c->lru.next;
	e->prev = &c->lru;
	c->lru.next->prev = e;
	c->lru.next = e;
}

static struct dns_entry *dns_find(struct dns_ctx *c, int family,
				  const uint8_t addr[16], uint64_t hash)
{
	struct dns_entry *e;

	for (e = c->bucket[hash & c->mask]; e; e = e->hnext)
		if (e->hash == hash && e->family == family &&
		    !memcmp(e->addr, addr, 16))
			return e;
	return NULL;
}

static void dns_entry_free(struct dns_entry *e)
{
	free(e->name);
	free(e);
}

/* Drop the least recently used idle entry; false if all are busy. */
static bool dns_evict(struct dns_ctx *c)
{
	struct dns_entry *e = c->lru.prev, **pp;

	if (e == &c->lru)
		return false;
	dns_lru_del(e);
	for (pp = &c->bucket[e->hash & c->mask]; *pp != e; pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	c->count--;
	c->st.evicted++;
	dns_entry_free(e);
	return true;
}

static void dns_enqueue(struct dns_ctx *c, struct dns_entry *e)
{
	c->queue[(c->q_head + c->q_len) % c->q_max] = e;
	c->q_len++;
	e->busy = true;
	c->st.queued++;
	pthread_cond_signal(&c->work);
}

/* Copy without splitting a UTF-8 sequence when buf is short. */
static void dns_copy(char *buf, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, name, n);
	buf[n] = '\0';
}

/* Only what is known: for the filter, which looks at every flow and
 * must not queue a lookup for each of them. */
bool dns_cached(int family, const void *addr, char *buf, size_t len)
{
	struct dns_entry *e;
	uint8_t key[16];
	bool known = false;

	if (!addr || !buf || !len || dns_addr_key(family, addr, key))
		return false;
	pthread_mutex_lock(&dns_lock);
	if (dns) {
		e = dns_find(dns, family, key, dns_hash(dns->key, family, key));
		if (e && e->state == DNS_KNOWN) {
			dns_copy(buf, len, e->name);
			known = true;
		}
	}
	pthread_mutex_unlock(&dns_lock);
	return known;
}

bool dns_failed(int family, const void *addr)
{
	struct dns_entry *e;
	uint8_t key[16];
	bool failed = false;

	if (!addr || dns_addr_key(family, addr, key))
		return false;
	pthread_mutex_lock(&dns_lock);
	if (dns) {
		e = dns_find(dns, family, key, dns_hash(dns->key, family, key));
		failed = e && e->state == DNS_FAILED;
	}
	pthread_mutex_unlock(&dns_lock);
	return failed;
}

bool dns_name(int family, const void *addr, char *buf, size_t len)
{
	struct dns_ctx *c;
	struct dns_entry *e;
	uint8_t key[16];
	uint64_t hash, now;
	bool known = false;

	if (!addr || !buf || !len || dns_addr_key(family, addr, key))
		return false;
	now = util_now_mono();

	pthread_mutex_lock(&dns_lock);
	c = dns;
	if (!c)
		goto out;
	c->st.requests++;
	hash = dns_hash(c->key, family, key);
	e = dns_find(c, family, key, hash);
	if (!e) {
		/* Full queue: nothing is remembered, a later call retries. */
		if (c->q_len == c->q_max ||
		    (c->count >= c->cache_max && !dns_evict(c))) {
			c->st.dropped++;
			goto out;
		}
		e = calloc(1, sizeof(*e));
		if (!e) {
			c->st.dropped++;
			goto out;
		}
		memcpy(e->addr, key, 16);
		e->family = (uint8_t)family;
		e->hash = hash;
		e->hnext = c->bucket[hash & c->mask];
		c->bucket[hash & c->mask] = e;
		c->count++;
		dns_enqueue(c, e);
		goto out;
	}
	/* An expired name is still shown while its refresh runs. */
	if (e->state == DNS_KNOWN) {
		dns_copy(buf, len, e->name);
		known = true;
		c->st.hits++;
	} else if (!e->busy && now < e->expires) {
		c->st.neg_hits++;
	}
	if (e->busy)
		goto out;
	if (now < e->expires) {
		dns_lru_del(e);
		dns_lru_add(c, e);
	} else if (c->q_len < c->q_max) {
		dns_lru_del(e);
		dns_enqueue(c, e);
	} else {
		c->st.dropped++;
	}
out:
	pthread_mutex_unlock(&dns_lock);
	return known;
}

size_t dns_pending(void)
{
	size_t n = 0;

	pthread_mutex_lock(&dns_lock);
	if (dns)
		n = dns->q_len + dns->running;
	pthread_mutex_unlock(&dns_lock);
	return n;
}

void dns_get_stats(struct dns_stats *st)
{
	pthread_mutex_lock(&dns_lock);
	if (dns) {
		*st = dns->st;
		st->entries = dns->count;
		st->pending = dns->q_len + dns->running;
	} else {
		memset(st, 0, sizeof(*st));
	}
	pthread_mutex_unlock(&dns_lock);
}

void dns_set_cache_max(size_t entries)
{
	pthread_mutex_lock(&dns_lock);
	dns_cache_max = entries ? entries : DNS_CACHE_DEFAULT;
	pthread_mutex_unlock(&dns_lock);
}

void dns_set_resolver(dns_resolve_fn fn)
{
	pthread_mutex_lock(&dns_lock);
	dns_resolver = fn;
	pthread_mutex_unlock(&dns_lock);
}

/* The system resolver: /etc/hosts, nsswitch.conf, then DNS. */
static int dns_getnameinfo(int family, const void *addr, char *host,
			   size_t len)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;
	socklen_t salen;
	int rc;

	if (family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, addr, 4);
		sa = (const struct sockaddr *)&sin;
		salen = sizeof(sin);
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, addr, 16);
		sa = (const struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	}
	/* NI_NAMEREQD: a failure must not come back as the number. */
	rc = getnameinfo(sa, salen, host, (socklen_t)len, NULL, 0,
			 NI_NAMEREQD);
	switch (rc) {
	case 0:
		return 0;
	case EAI_NONAME:
		return -ENOENT;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		/* No socket for the query: no descriptor left. */
		util_fd_short(errno);
		return errno ? -errno : -EIO;
	default:
		return -EIO;
	}
}

static void dns_ctx_free(struct dns_ctx *c)
{
	struct dns_entry *e, *next;
	size_t i;

	if (c->bucket) {
		for (i = 0; i <= c->mask; i++) {
			for (e = c->bucket[i]; e; e = next) {
				next = e->hnext;
				dns_entry_free(e);
			}
		}
	}
	free(c->bucket);
	free(c->queue);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->done);
	free(c);
}

/* Drop one reference; called with dns_lock held, which it releases. */
static void dns_ctx_put(struct dns_ctx *c)
{
	bool last = --c->refs == 0;

	pthread_mutex_unlock(&dns_lock);
	if (last)
		dns_ctx_free(c);
}

/* Look up one address with the lock dropped; a name or NULL. */
static char *dns_resolve(struct dns_ctx *c, int family, const uint8_t *addr)
{
	char host[NI_MAXHOST], clean[DNS_NAME_MAX];

	host[0] = '\0';
	if (c->resolve(family, addr, host, sizeof(host)))
		return NULL;
	host[sizeof(host) - 1] = '\0';
	/* The answer is whatever some DNS server chose to send. */
	util_sanitize(clean, sizeof(clean), host);
	if (!clean[0])
		return NULL;
	return strdup(clean);
}

static void *dns_worker(void *arg)
{
	struct dns_ctx *c = arg;
	struct dns_entry *e;
	uint8_t addr[16];
	int family;
	char *name, *old;
	uint64_t now;
	unsigned i;

	pthread_mutex_lock(&dns_lock);
	for (;;) {
		while (!c->stopping && !c->q_len)
			pthread_cond_wait(&c->work, &dns_lock);
		if (c->stopping)
			break;
		e = c->queue[c->q_head];
		c->q_head = (c->q_head + 1) % c->q_max;
		c->q_len--;
		c->running++;
		/* Busy entries are never evicted, so e stays valid. */
		memcpy(addr, e->addr, 16);
		family = e->family;
		pthread_mutex_unlock(&dns_lock);

		name = dns_resolve(c, family, addr);
		now = util_now_mono();

		pthread_mutex_lock(&dns_lock);
		c->running--;
		if (c->stopping) {
			free(name);
			break;
		}
		old = e->name;
		e->name = name;
		e->busy = false;
		if (name) {
			e->state = DNS_KNOWN;
			e->expires = dns_deadline(now, c->ttl);
			c->st.answers++;
		} else {
			e->state = DNS_FAILED;
			e->expires = dns_deadline(now, c->neg_ttl);
			c->st.failures++;
		}
		dns_lru_add(c, e);
		if (old) {
			pthread_mutex_unlock(&dns_lock);
			free(old);
			pthread_mutex_lock(&dns_lock);
		}
	}
	for (i = 0; i < c->nworkers; i++)
		if (pthread_equal(c->worker[i].tid, pthread_self()))
			c->worker[i].exited = true;
	c->nexited++;
	pthread_cond_broadcast(&c->done);
	dns_ctx_put(c);
	return NULL;
}

static void dns_seed(uint64_t key[2])
{
	struct timespec ts;

	if (getrandom(key, 2 * sizeof(key[0]), GRND_NONBLOCK) ==
	    (ssize_t)(2 * sizeof(key[0])))
		return;
	/* No entropy yet (early boot): weaker, but still not fixed. */
	clock_gettime(CLOCK_REALTIME, &ts);
	key[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^
		 (uint64_t)(uintptr_t)key;
	key[1] = (uint64_t)ts.tv_sec ^ util_now_mono();
}

static struct dns_ctx *dns_ctx_new(unsigned workers, size_t queue_max,
				   size_t cache_max)
{
	struct dns_ctx *c;
	pthread_condattr_t attr;
	size_t nb = 16;

	c = calloc(1, sizeof(*c) + workers * sizeof(c->worker[0]));
	if (!c)
		return NULL;
	while (nb < cache_max && nb < ((size_t)1 << 30))
		nb <<= 1;
	c->bucket = calloc(nb, sizeof(c->bucket[0]));
	c->queue = calloc(queue_max, sizeof(c->queue[0]));
	pthread_condattr_init(&attr);
	/* dns_stop() waits against CLOCK_MONOTONIC, immune to clock steps. */
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->work, NULL);
	pthread_cond_init(&c->done, &attr);
	pthread_condattr_destroy(&attr);
	if (!c->bucket || !c->queue) {
		dns_ctx_free(c);
		return NULL;
	}
	c->mask = nb - 1;
	c->cache_max = cache_max;
	c->q_max = queue_max;
	c->lru.next = c->lru.prev = &c->lru;
	dns_seed(c->key);
	return c;
}

int dns_start(unsigned workers, size_t queue_max, unsigned ttl_sec,
	      unsigned neg_ttl_sec)
{
	struct dns_ctx *c;
	sigset_t all, old;
	size_t cache_max;
	unsigned i;
	int err = 0;

	if (!workers || workers > DNS_WORKERS_MAX || !queue_max ||
	    queue_max > DNS_QUEUE_LIMIT)
		return -EINVAL;
	pthread_mutex_lock(&dns_lock);
	cache_max = dns_cache_max;
	pthread_mutex_unlock(&dns_lock);

	c = dns_ctx_new(workers, queue_max, cache_max);
	if (!c)
		return -ENOMEM;
	c->ttl = (uint64_t)ttl_sec * DNS_NSEC;
	c->neg_ttl = (uint64_t)neg_ttl_sec * DNS_NSEC;
	c->refs = 1;

	pthread_mutex_lock(&dns_lock);
	if (dns) {
		pthread_mutex_unlock(&dns_lock);
		dns_ctx_free(c);
		return -EALREADY;
	}
	c->resolve = dns_resolver ? dns_resolver : dns_getnameinfo;
	/* Workers inherit the mask: signals belong to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < workers; i++) {
		err = -pthread_create(&c->worker[i].tid, NULL, dns_worker, c);
		if (err)
			break;
		pthread_setname_np(c->worker[i].tid, "ft-dns");
		c->nworkers++;
		c->refs++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		c->stopping = true;
		pthread_cond_broadcast(&c->work);
		pthread_mutex_unlock(&dns_lock);
		for (i = 0; i < c->nworkers; i++)
			pthread_join(c->worker[i].tid, NULL);
		dns_ctx_free(c);
		return err;
	}
	dns = c;
	pthread_mutex_unlock(&dns_lock);
	return 0;
}

void dns_stop(void)
{
	struct dns_ctx *c;
	struct timespec ts;
	bool join[DNS_WORKERS_MAX];
	uint64_t end;
	unsigned i;

	pthread_mutex_lock(&dns_lock);
	c = dns;
	if (!c) {
		pthread_mutex_unlock(&dns_lock);
		return;
	}
	dns = NULL;
	c->stopping = true;
	pthread_cond_broadcast(&c->work);
	end = util_now_mono() + DNS_STOP_GRACE_MS * 1000000ull;
	ts.tv_sec = (time_t)(end / DNS_NSEC);
	ts.tv_nsec = (long)(end % DNS_NSEC);
	while (c->nexited < c->nworkers)
		if (pthread_cond_timedwait(&c->done, &dns_lock, &ts) ==
		    ETIMEDOUT)
			break;
	for (i = 0; i < c->nworkers; i++)
		join[i] = c->worker[i].exited;
	pthread_mutex_unlock(&dns_lock);

	/*
	 * getnameinfo() cannot be interrupted, and cancelling it could leave
	 * resolver locks held, so a worker still waiting for a dead server
	 * is detached; it drops its reference when the resolver gives up.
	 */
	for (i = 0; i < c->nworkers; i++) {
		if (join[i])
			pthread_join(c->worker[i].tid, NULL);
		else
			pthread_detach(c->worker[i].tid);
	}
	pthread_mutex_lock(&dns_lock);
	dns_ctx_put(c);
}
