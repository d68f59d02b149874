/* flow_store: where the flow table's flows live, and how its writer finds
 * them.
 *
 * Flows live in 64 KiB slabs, 341 flows each after a cache line that
 * names the table; readers walk the slabs in memory order, which the
 * hardware prefetches.  Only the writer looks flows up, so its index is a
 * plain open-addressing hash of 32-bit flow numbers that no reader sees:
 * 4 bytes a slot instead of a lock-free hash's node in every flow and its
 * bucket tables.  A removed flow's slot is reused only after a grace
 * period: one call_rcu for all the flows a scan or a reap removes, not a
 * head in each flow.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <urcu.h>

#include "flow_impl.h"

struct slab_head {
	struct flow_list *fl;
	uint32_t no;
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct slab_head) == 64, "a slab's head is a line");
_Static_assert(STORE_SLAB_FLOWS <= (1u << STORE_SLAB_SHIFT) &&
	       ((uint64_t)(STORE_MAX_SLABS - 1) << STORE_SLAB_SHIFT |
		(STORE_SLAB_FLOWS - 1)) + 1 < (1u << 24),
	       "a flow number fits the index's 24 bits");

struct retire_batch {
	struct rcu_head rcu;
	struct flow_list *fl;
	size_t n;
	uint32_t no[];
};

#define HT_TAG(h)	((uint32_t)((h) >> 56) << 24)
#define HT_NO(v)	(((v) & 0xffffffu) - 1)
#define HT_MIN		1024u

int store_init(struct flow_list *fl)
{
	fl->free = STORE_NONE;
	fl->freed = STORE_NONE;
	fl->ht = calloc(HT_MIN, sizeof(*fl->ht));
	if (!fl->ht)
		return -ENOMEM;
	fl->ht_mask = HT_MIN - 1;
	pthread_mutex_init(&fl->free_lock, NULL);
	pthread_mutex_init(&fl->geo_lock, NULL);
	return 0;
}

/* After rcu_barrier(): nobody uses the table any more. */
void store_fini(struct flow_list *fl)
{
	size_t n = atomic_load(&fl->n_slabs);

	for (size_t i = 0; i < n; i++)
		munmap(fl->slabs[i], STORE_SLAB_BYTES);
	for (size_t i = 0; i < STORE_GEO_CHUNKS; i++)
		free((void *)atomic_load(&fl->geo_chunk[i]));
	free(fl->geo_map);
	free(fl->ht);
	free(fl->retired);
	pthread_mutex_destroy(&fl->free_lock);
	pthread_mutex_destroy(&fl->geo_lock);
}

static struct slab_head *slab_of(const struct flow *f)
{
	return (struct slab_head *)((uintptr_t)f &
				    ~(uintptr_t)(STORE_SLAB_BYTES - 1));
}

uint32_t store_no(const struct flow *f)
{
	const struct slab_head *s = slab_of(f);

	return s->no << STORE_SLAB_SHIFT |
	       (uint32_t)(f - (const struct flow *)(s + 1));
}

struct flow_list *store_list(const struct flow *f)
{
	return slab_of(f)->fl;
}

/* A slab aligned on its size: map twice as much, give back the rest. */
static char *slab_map(void)
{
	size_t len = 2 * STORE_SLAB_BYTES;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a, end;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + STORE_SLAB_BYTES - 1) &
	    ~(uintptr_t)(STORE_SLAB_BYTES - 1);
	end = (uintptr_t)p + len;
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if (end > a + STORE_SLAB_BYTES)
		munmap((char *)a + STORE_SLAB_BYTES,
		       end - a - STORE_SLAB_BYTES);
	return (char *)a;
}

/* A new slab's flows onto the writer's free list, lowest first. */
static int slab_add(struct flow_list *fl)
{
	size_t n = atomic_load_explicit(&fl->n_slabs, memory_order_relaxed);
	struct slab_head *h;
	char *s;

	if (n >= STORE_MAX_SLABS)
		return -ENOMEM;
	s = slab_map();
	if (!s)
		return -ENOMEM;
	h = (struct slab_head *)s;
	h->fl = fl;
	h->no = (uint32_t)n;
	fl->slabs[n] = s;
	for (size_t i = STORE_SLAB_FLOWS; i-- > 0;) {
		((struct flow *)(h + 1))[i].id = fl->free;
		fl->free = (uint32_t)(n << STORE_SLAB_SHIFT | i);
	}
	/* mmap's zeroes: every live flag is 0 before readers see it */
	atomic_store_explicit(&fl->n_slabs, n + 1, memory_order_release);
	return 0;
}

/* A zeroed flow for the writer, not yet live; NULL when out of memory. */
struct flow *store_alloc(struct flow_list *fl)
{
	struct flow *f;

	if (fl->free == STORE_NONE) {
		pthread_mutex_lock(&fl->free_lock);
		fl->free = fl->freed;
		fl->freed = STORE_NONE;
		pthread_mutex_unlock(&fl->free_lock);
	}
	if (fl->free == STORE_NONE && slab_add(fl))
		return NULL;
	f = store_at(fl, fl->free);
	fl->free = f->id;
	/* All but the live flag, which readers load, and which is 0. */
	memset(f, 0, offsetof(struct flow, live));
	memset((char *)f + offsetof(struct flow, live) + 1, 0,
	       sizeof(*f) - offsetof(struct flow, live) - 1);
	return f;
}

/* A flow store_alloc() gave that never went live. */
void store_unalloc(struct flow_list *fl, struct flow *f)
{
	f->id = fl->free;
	fl->free = store_no(f);
}

/* --- the writer's index ------------------------------------------------- */

static inline uint64_t mix64(uint64_t h)
{
	/* murmur3 finaliser: cheap and spreads all input bits */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* The kernel's id is itself a hash of the entry; the tuple is folded in
 * with multiplies (one mix at the end), so that ids of 0 or in sequence
 * (tests, old kernels) still spread. */
static uint64_t ident_hash(uint32_t id, uint16_t zone, uint8_t family,
			   uint8_t l4proto, const union flow_addr *s,
			   const union flow_addr *d, uint16_t sport,
			   uint16_t dport)
{
	static const uint64_t k[4] = { 0x9e3779b97f4a7c15ull,
				       0xc2b2ae3d27d4eb4full,
				       0x165667b19e3779f9ull,
				       0xd6e8feb86659fd93ull };
	uint64_t h = ((uint64_t)id << 32 | (uint32_t)sport << 16 | dport) ^
		     ((uint64_t)zone << 16 | (uint64_t)family << 8 | l4proto) *
		     k[3];

	for (int i = 0; i < 4; i++)
		h += (((uint64_t)s->w[i] << 32) | d->w[i]) * k[i];
	return mix64(h);
}

static void rec_ports(const struct flow_rec *r, uint16_t *sport,
		      uint16_t *dport)
{
	if (store_icmp(r->l4proto)) {
		*sport = r->icmp_id;
		*dport = (uint16_t)(r->icmp_type << 8 | r->icmp_code);
	} else {
		*sport = r->orig.sport;
		*dport = r->orig.dport;
	}
}

uint64_t store_hash_rec(const struct flow_rec *r)
{
	uint16_t sp, dp;

	rec_ports(r, &sp, &dp);
	return ident_hash(r->id, r->zone, r->family, r->l4proto, &r->orig.src,
			  &r->orig.dst, sp, dp);
}

static uint64_t flow_hash(const struct flow *f)
{
	return ident_hash(f->id, f->zone, f->family, f->l4proto, &f->osrc,
			  &f->odst, f->sport, f->dport);
}

bool store_same(const struct flow *f, const struct flow_rec *r)
{
	uint16_t sp, dp;

	if (f->id != r->id || f->zone != r->zone ||
	    f->family != r->family || f->l4proto != r->l4proto)
		return false;
	rec_ports(r, &sp, &dp);
	return f->sport == sp && f->dport == dp &&
	       memcmp(&f->osrc, &r->orig.src, sizeof(f->osrc)) == 0 &&
	       memcmp(&f->odst, &r->orig.dst, sizeof(f->odst)) == 0;
}

struct flow *store_find(struct flow_list *fl, const struct flow_rec *r,
			uint64_t h)
{
	uint32_t tag = HT_TAG(h), v;
	struct flow *f;

	for (size_t i = h & fl->ht_mask;; i = (i + 1) & fl->ht_mask) {
		v = fl->ht[i];
		if (!v)
			return NULL;
		if ((v & 0xff000000u) != tag)
			continue;
		f = store_at(fl, HT_NO(v));
		if (store_same(f, r))
			return f;
	}
}

static void ht_put(uint32_t *ht, size_t mask, uint32_t no, uint64_t h)
{
	size_t i = h & mask;

	while (ht[i])
		i = (i + 1) & mask;
	ht[i] = HT_TAG(h) | (no + 1);
}

/* Twice the slots, filled again from the live flows in memory order. */
static int ht_grow(struct flow_list *fl)
{
	size_t cap = (fl->ht_mask + 1) * 2, n, pos;
	uint32_t *ht = calloc(cap, sizeof(*ht));
	struct flow *f;

	if (!ht)
		return -ENOMEM;
	n = atomic_load_explicit(&fl->n_slabs, memory_order_relaxed);
	for (size_t s = 0; s < n; s++) {
		for (pos = 0; pos < STORE_SLAB_FLOWS; pos++) {
			f = (struct flow *)(fl->slabs[s] + 64) + pos;
			if (atomic_load_explicit(&f->live,
						 memory_order_relaxed))
				ht_put(ht, cap - 1,
				       (uint32_t)(s << STORE_SLAB_SHIFT | pos),
				       flow_hash(f));
		}
	}
	free(fl->ht);
	fl->ht = ht;
	fl->ht_mask = cap - 1;
	return 0;
}

/* Index a flow about to go live (h: store_hash_rec of its record). */
int store_index(struct flow_list *fl, struct flow *f, uint64_t h)
{
	/* At most 3/4 full: linear probing stays short. */
	if ((fl->ht_used + 1) * 4 > (fl->ht_mask + 1) * 3 && ht_grow(fl))
		return -ENOMEM;
	ht_put(fl->ht, fl->ht_mask, store_no(f), h);
	fl->ht_used++;
	return 0;
}

/* Take a flow out of the index; the entries after it move back into the
 * hole unless their home slot is after it (no tombstones). */
void store_unindex(struct flow_list *fl, struct flow *f)
{
	size_t mask = fl->ht_mask, i = flow_hash(f) & mask, j, k;
	uint32_t no = store_no(f);

	while (fl->ht[i] && HT_NO(fl->ht[i]) != no)
		i = (i + 1) & mask;
	if (!fl->ht[i])
		return;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (!fl->ht[j])
			break;
		k = flow_hash(store_at(fl, HT_NO(fl->ht[j]))) & mask;
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		fl->ht[i] = fl->ht[j];
		i = j;
	}
	fl->ht[i] = 0;
	fl->ht_used--;
}

/* --- owners and retiring ------------------------------------------------- */

/* Shared answers for flows that are not local: never freed. */
static struct owner_box owner_none = { .o = { .pid = -1,
	.local = FLOW_LOCAL_NONE } };
/* ...and for local flows whose owner stayed unknown (another namespace's
 * socket, a process gone): on a host with a whole local prefix (an
 * address on lo) that can be most of the table. */
static struct owner_box owner_unknown[] = {
	{ .o = { .pid = 0, .local = FLOW_LOCAL_UNKNOWN } },
	{ .o = { .pid = 0, .local = FLOW_LOCAL_SRC } },
	{ .o = { .pid = 0, .local = FLOW_LOCAL_DST } },
	{ .o = { .pid = 0, .local = FLOW_LOCAL_NONE } },
};

static bool owner_shared(const struct owner_box *b)
{
	return b == &owner_none ||
	       (b >= owner_unknown && b < owner_unknown + 4);
}

/* A box for o: a shared one when o says only "not local" or "unknown". */
struct owner_box *store_owner_box(const struct flow_owner *o)
{
	struct owner_box *b;

	if (o->pid < 0 && o->local == FLOW_LOCAL_NONE)
		return &owner_none;
	if (o->pid == 0 && !o->comm && o->local <= FLOW_LOCAL_NONE)
		return &owner_unknown[o->local];
	b = malloc(sizeof(*b));
	if (b)
		b->o = *o;
	return b;
}

static void owner_free(struct owner_box *b)
{
	if (b && !owner_shared(b))
		free(b);
}

static void owner_free_rcu(struct rcu_head *head)
{
	owner_free(caa_container_of(head, struct owner_box, rcu));
}

/* A box a flow no longer points to: freed after a grace period. */
void store_owner_drop(struct owner_box *b)
{
	if (b && !owner_shared(b))
		call_rcu(&b->rcu, owner_free_rcu);
}

static void release(struct flow_list *fl, const uint32_t *no, size_t n)
{
	struct flow *f;

	pthread_mutex_lock(&fl->free_lock);
	for (size_t i = 0; i < n; i++) {
		f = store_at(fl, no[i]);
		owner_free(atomic_load_explicit(&f->owner,
						memory_order_relaxed));
		/* live is 0 and stays so: the link is the id */
		f->id = fl->freed;
		fl->freed = no[i];
	}
	pthread_mutex_unlock(&fl->free_lock);
}

static void release_rcu(struct rcu_head *head)
{
	struct retire_batch *b = caa_container_of(head, struct retire_batch,
						   rcu);

	release(b->fl, b->no, b->n);
	free(b);
}

/* A removed flow (live already 0): its slot comes back after the next
 * grace period that store_retire_flush() waits for. */
void store_retire(struct flow_list *fl, struct flow *f)
{
	uint32_t *n;

	if (fl->n_retired == fl->retired_cap) {
		size_t cap = fl->retired_cap ? fl->retired_cap * 2 : 1024;

		n = realloc(fl->retired, cap * sizeof(*n));
		if (!n) {
			/* Rare: wait for the readers here instead. */
			store_retire_flush(fl);
			synchronize_rcu();
			release(fl, (uint32_t[]){ store_no(f) }, 1);
			return;
		}
		fl->retired = n;
		fl->retired_cap = cap;
	}
	fl->retired[fl->n_retired++] = store_no(f);
}

void store_retire_flush(struct flow_list *fl)
{
	struct retire_batch *b;
	size_t n = fl->n_retired;

	if (!n)
		return;
	b = malloc(sizeof(*b) + n * sizeof(b->no[0]));
	if (!b) {
		synchronize_rcu();
		release(fl, fl->retired, n);
	} else {
		b->fl = fl;
		b->n = n;
		memcpy(b->no, fl->retired, n * sizeof(b->no[0]));
		call_rcu(&b->rcu, release_rcu);
	}
	fl->n_retired = 0;
	/* A burst (the first reap after a big table emptied) need not keep
	 * its array. */
	if (fl->retired_cap > 65536) {
		free(fl->retired);
		fl->retired = NULL;
		fl->retired_cap = 0;
	}
}

/* --- GeoIP numbers ------------------------------------------------------- */

static uint64_t ptr_hash(const void *p)
{
	return mix64((uint64_t)(uintptr_t)p);
}

static int geo_map_grow(struct flow_list *fl)
{
	size_t cap = fl->geo_map ? (fl->geo_mask + 1) * 2 : 256, i, j;
	struct store_geo_map *m = calloc(cap, sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (i = 0; fl->geo_map && i <= fl->geo_mask; i++) {
		if (!fl->geo_map[i].g)
			continue;
		for (j = ptr_hash(fl->geo_map[i].g) & (cap - 1); m[j].g;
		     j = (j + 1) & (cap - 1))
			;
		m[j] = fl->geo_map[i];
	}
	free(fl->geo_map);
	fl->geo_map = m;
	fl->geo_mask = cap - 1;
	return 0;
}

/* The number of a GeoIP answer (0 for none, or when out of numbers). */
uint32_t store_geo_no(struct flow_list *fl, const struct geo_info *g)
{
	const struct geo_info **chunk;
	uint32_t no = 0;
	size_t i, c;

	if (!g)
		return 0;
	pthread_mutex_lock(&fl->geo_lock);
	if ((!fl->geo_map || (fl->geo_n + 1) * 2 > fl->geo_mask + 1) &&
	    geo_map_grow(fl))
		goto out;
	for (i = ptr_hash(g) & fl->geo_mask; fl->geo_map[i].g;
	     i = (i + 1) & fl->geo_mask) {
		if (fl->geo_map[i].g == g) {
			no = fl->geo_map[i].no;
			goto out;
		}
	}
	c = fl->geo_n / STORE_GEO_CHUNK;
	if (c >= STORE_GEO_CHUNKS)
		goto out;
	chunk = (const struct geo_info **)atomic_load_explicit(
		&fl->geo_chunk[c], memory_order_relaxed);
	if (!chunk) {
		chunk = calloc(STORE_GEO_CHUNK, sizeof(*chunk));
		if (!chunk)
			goto out;
		atomic_store_explicit(&fl->geo_chunk[c], chunk,
				      memory_order_release);
	}
	/* Readers reach it through the number, stored after this. */
	chunk[fl->geo_n % STORE_GEO_CHUNK] = g;
	no = ++fl->geo_n;
	fl->geo_map[i].g = g;
	fl->geo_map[i].no = no;
out:
	pthread_mutex_unlock(&fl->geo_lock);
	return no;
}

const struct geo_info *store_geo_at(const struct flow_list *fl, uint32_t no)
{
	const struct geo_info **chunk;

	if (!no)
		return NULL;
	no--;
	chunk = (const struct geo_info **)atomic_load_explicit(
		&fl->geo_chunk[no / STORE_GEO_CHUNK], memory_order_acquire);
	return chunk[no % STORE_GEO_CHUNK];
}
