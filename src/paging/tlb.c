/*
 * Set-associative arrays (fill, replacement, invalidation) and the TLB
 * levels built from them (see tlb.h). Lookups are inline in tlb.h; this file
 * holds what runs on a miss or an invalidation.
 *
 * Replacement, per set:
 *   LRU    the way with the oldest use stamp;
 *   PLRU   tree pseudo-LRU over ways - 1 node bits (ways a power of two, at
 *          most 64), each bit pointing to the half that holds the victim;
 *   FIFO   the way with the oldest fill stamp (hits do not refresh it);
 *   RANDOM a way drawn from a seeded xorshift64 generator.
 * An empty way is always taken first, lowest index first. Fills read the
 * set's stamp words and valid mask (tlb.h), not its entries.
 */
#include "tlb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Sets that keep their oldest ways (tlb.h: vict). */
static bool uses_victims(uint8_t policy, uint32_t ways)
{
	return (policy == TM_POLICY_LRU || policy == TM_POLICY_FIFO) &&
	       ways > TLB_VICTIM_MIN_WAYS && ways <= 64;
}

/* Ways of a single set that get a hash index (tlb.h). */
#define HIDX_MIN_WAYS 9

int tlb_array_check(const struct tm_array_cfg *c, const char *name, char *why,
		    unsigned why_len)
{
	uint32_t ways = c->ways ? c->ways : c->entries;

	if (!c->entries)
		return 0;
	if (c->policy > TM_POLICY_RANDOM) {
		snprintf(why, why_len, "%s: unknown replacement policy %u", name, c->policy);
		return -EINVAL;
	}
	if (ways > c->entries || c->entries % ways) {
		snprintf(why, why_len, "%s: %u entries do not divide into %u-way sets", name,
			 c->entries, ways);
		return -EINVAL;
	}
	if (c->policy == TM_POLICY_PLRU && (!is_pow2(ways) || ways > 64)) {
		snprintf(why, why_len, "%s: tree PLRU needs a power-of-two way count up to 64 "
			 "(got %u)", name, ways);
		return -EINVAL;
	}
	return 0;
}

int tlb_array_init(struct tlb_array *a, const struct tm_array_cfg *c, uint64_t seed,
		   const char *name, char *why, unsigned why_len)
{
	uint32_t ways = c->ways ? c->ways : c->entries;
	bool bad;
	int rc;

	memset(a, 0, sizeof(*a));
	a->latency = c->latency;
	a->policy = c->policy;
	a->sizes = c->sizes;
	if (!c->entries)
		return 0;
	rc = tlb_array_check(c, name, why, why_len);
	if (rc)
		return rc;
	a->ways = ways;
	a->sets = c->entries / ways;
	a->pow2 = is_pow2(a->sets);
	a->set_mask = a->sets - 1;
	a->way_shift = is_pow2(ways) ? (uint8_t)__builtin_ctz(ways) : 0;
	a->rng = seed ? seed : UINT64_C(0x9e3779b97f4a7c15);
	/* tlb_array_bytes() adds these up for memory budgets: keep in step. */
	a->e = malloc(sizeof(*a->e) * c->entries);
	a->fkey = malloc(sizeof(*a->fkey) * c->entries);
	a->stamp = malloc(sizeof(*a->stamp) * c->entries);
	bad = !a->e || !a->fkey || !a->stamp;
	if (ways <= 64) {
		a->valid = malloc(sizeof(*a->valid) * a->sets);
		bad = bad || !a->valid;
	}
	if (a->sets == 1 && ways >= HIDX_MIN_WAYS && ways <= 64) {
		/* About two buckets per way: most buckets hold one way. */
		a->hbits = (uint8_t)(64 - __builtin_clzll((uint64_t)ways * 2 - 1));
		a->hidx = malloc(sizeof(*a->hidx) << a->hbits);
		bad = bad || !a->hidx;
	}
	if (c->policy == TM_POLICY_PLRU) {
		a->plru = calloc(a->sets, sizeof(*a->plru));
		bad = bad || !a->plru;
	}
	if (uses_victims(c->policy, ways)) {
		a->vict = malloc(sizeof(*a->vict) * a->sets);
		bad = bad || !a->vict;
	}
	if (bad) {
		tlb_array_free(a);
		snprintf(why, why_len, "%s: out of memory for %u entries", name, c->entries);
		return -ENOMEM;
	}
	tlb_array_clear(a);
	return 0;
}

/* Mirrors tlb_array_init()'s allocations (an upper bound for hidx). */
uint64_t tlb_array_bytes(const struct tm_array_cfg *c, uint64_t entries)
{
	const struct tlb_array *a = NULL;
	uint64_t ways = c->ways && c->ways < entries ? c->ways : entries;
	uint64_t sets = ways ? entries / ways : 0;
	uint64_t n = entries * (sizeof(*a->e) + sizeof(*a->fkey) + sizeof(*a->stamp));

	if (ways <= 64)
		n += sets * sizeof(*a->valid) + (sets == 1 ? 4 * ways * sizeof(*a->hidx) : 0);
	if (c->policy == TM_POLICY_PLRU)
		n += sets * sizeof(*a->plru);
	if (uses_victims(c->policy, (uint32_t)ways))
		n += sets * sizeof(*a->vict);
	return n;
}

void tlb_array_free(struct tlb_array *a)
{
	free(a->e);
	free(a->fkey);
	free(a->stamp);
	free(a->valid);
	free(a->hidx);
	free(a->plru);
	free(a->vict);
	a->e = NULL;
	a->fkey = a->stamp = a->valid = a->hidx = a->plru = NULL;
	a->vict = NULL;
	a->sets = a->ways = 0;
}

void tlb_array_clear(struct tlb_array *a)
{
	for (uint64_t i = 0; i < (uint64_t)a->sets * a->ways; i++) {
		a->e[i] = (struct tlb_entry){ .tag = TLB_TAG_NONE };
		a->fkey[i] = TLB_TAG_NONE;
		a->stamp[i] = 0;
	}
	if (a->valid)
		memset(a->valid, 0, sizeof(*a->valid) * a->sets);
	if (a->hidx)
		memset(a->hidx, 0, sizeof(*a->hidx) << a->hbits);
	if (a->plru)
		memset(a->plru, 0, sizeof(*a->plru) * a->sets);
	if (a->vict)
		memset(a->vict, 0, sizeof(*a->vict) * a->sets);
	memset(a->split, 0, sizeof(a->split));
	memset(a->nsplit, 0, sizeof(a->nsplit));
}

static uint64_t way_mask(uint32_t ways)
{
	return ways >= 64 ? UINT64_MAX : (UINT64_C(1) << ways) - 1;
}

/* Count an entry held as @size from a page of 2^@oshift bytes in or out of
 * nsplit if it is a piece of a larger page (tlb.h). */
static void split_count(struct tlb_array *a, unsigned size, unsigned oshift, bool add)
{
	uint32_t *n;

	if (oshift <= tlb_size_shift(size))
		return;
	n = &a->nsplit[size][oshift & 63];
	*n = add ? *n + 1 : *n - 1;
	if (*n)
		a->split[size] |= UINT64_C(1) << (oshift & 63);
	else
		a->split[size] &= ~(UINT64_C(1) << (oshift & 63));
}

/* Entry @i (valid) stops being indexed: hash index and split counts. */
static void unindex(struct tlb_array *a, uint64_t i)
{
	if (a->hidx)
		a->hidx[tlb__hash(a, a->e[i].tag)] &= ~(UINT64_C(1) << i);
	split_count(a, a->e[i].size, a->e[i].oshift, false);
}

/* Empty entry @i. */
static void kill(struct tlb_array *a, uint64_t i)
{
	unindex(a, i);
	a->e[i].tag = TLB_TAG_NONE;
	a->stamp[i] = 0;
	a->fkey[i] = TLB_TAG_NONE;
	if (a->valid)
		a->valid[i / a->ways] &= ~(UINT64_C(1) << (i % a->ways));
}

/* The lowest way of the set at @base holding exactly (@tag, @ctx,
 * @cmask), or ways. With fkey in @ctx, only ways whose key is @tag can:
 * they are found by one branch-free pass over the set's keys (or the hash
 * bucket), and only they are read. */
static uint32_t find_same(const struct tlb_array *a, uint64_t base, uint64_t tag, uint32_t ctx,
			  uint32_t cmask)
{
	const struct tlb_entry *e = a->e + base;
	const uint64_t *fk = a->fkey + base;
	uint64_t c;

	if (a->ways > 64 || ctx != a->fctx) {
		for (uint32_t w = 0; w < a->ways; w++)
			if (e[w].tag == tag && e[w].ctx == ctx && e[w].cmask == cmask)
				return w;
		return a->ways;
	}
	c = a->hidx ? a->hidx[tlb__hash(a, tag)] : tlb__match_all(fk, a->ways, tag);
	for (; c; c &= c - 1) {
		uint32_t w = (uint32_t)__builtin_ctzll(c);

		if (fk[w] == tag && e[w].ctx == ctx && e[w].cmask == cmask)
			return w;
	}
	return a->ways;
}

/* Record in @v the TLB_VICTIMS ways of the full set with stamps @st that
 * have the oldest stamps, oldest first. */
static void keep_oldest(struct tlb_victims *v, const uint64_t *st, uint32_t ways)
{
	unsigned n = 0;

	for (uint32_t w = 0; w < ways; w++) {
		uint64_t s = st[w];
		unsigned j;

		if (n == TLB_VICTIMS && s >= v->stamp[TLB_VICTIMS - 1])
			continue;
		j = n < TLB_VICTIMS ? n++ : TLB_VICTIMS - 1;
		for (; j > 0 && v->stamp[j - 1] > s; j--) {
			v->stamp[j] = v->stamp[j - 1];
			v->way[j] = v->way[j - 1];
		}
		v->stamp[j] = s;
		v->way[j] = (uint8_t)w;
	}
	v->head = 0;
	v->n = (uint8_t)n;
}

/* The oldest way of full set @set (stamps @st): the first kept way whose
 * stamp has not changed since it was kept (tlb.h), else a new scan's. */
static uint32_t oldest_kept(struct tlb_array *a, uint64_t set, const uint64_t *st)
{
	struct tlb_victims *v = &a->vict[set];

	for (;;) {
		for (; v->head < v->n; v->head++) {
			unsigned j = v->head;

			if (st[v->way[j]] == v->stamp[j])
				return v->way[j]; /* its fill gives it a new stamp */
		}
		keep_oldest(v, st, a->ways);
	}
}

/* The way a fill of set @set takes: the lowest empty one, else the
 * policy's victim. */
static uint32_t free_way(struct tlb_array *a, uint64_t set, uint64_t base)
{
	const uint64_t *st = a->stamp + base;
	uint32_t w, best = 0;

	if (a->valid) {
		uint64_t empty = ~a->valid[set] & way_mask(a->ways);

		if (empty)
			return (uint32_t)__builtin_ctzll(empty);
	} else {
		for (w = 0; w < a->ways; w++)
			if (a->e[base + w].tag == TLB_TAG_NONE)
				return w;
	}
	switch (a->policy) {
	case TM_POLICY_PLRU:
		return tlb__plru_victim(a->plru[set], a->ways);
	case TM_POLICY_RANDOM:
		return (uint32_t)(tlb__xorshift64(&a->rng) % a->ways);
	default: { /* LRU, FIFO: the oldest stamp (stamps of full sets differ) */
		uint64_t min = st[0];

		if (a->vict)
			return oldest_kept(a, set, st);

		/* No branch per way: which way is oldest is not predictable. */
		for (w = 1; w < a->ways; w++) {
			bool older = st[w] < min;

			min = older ? st[w] : min;
			best = older ? w : best;
		}
		return best;
	}
	}
}

/* Put (@tag, @ctx, global) in way @w of set @set. */
static struct tlb_entry *place(struct tlb_array *a, uint64_t set, uint32_t w, uint64_t tag,
			       uint32_t ctx, bool global, uint8_t size, uint8_t oshift)
{
	uint32_t cmask = global ? ~TLB_CTX_PCID : TLB_CTX_ALL;
	uint64_t i = set * a->ways + w;
	struct tlb_entry *slot = &a->e[i];

	/* The old entry is read only if an index holds it: a victim's line
	 * is then written, not waited for. */
	if ((a->hidx || a->split[TM_4K] | a->split[TM_2M] | a->split[TM_1G]) &&
	    (a->valid ? (a->valid[set] >> w) & 1 : slot->tag != TLB_TAG_NONE))
		unindex(a, i);
	*slot = (struct tlb_entry){ .tag = tag, .ctx = ctx, .cmask = cmask, .global = global,
				    .size = size, .oshift = oshift };
	a->stamp[i] = ++a->clock;
	a->fkey[i] = ((ctx ^ a->fctx) & cmask) ? TLB_TAG_NONE : tag;
	if (a->valid)
		a->valid[set] |= UINT64_C(1) << w;
	if (a->hidx)
		a->hidx[tlb__hash(a, tag)] |= UINT64_C(1) << w;
	split_count(a, size, oshift, true);
	if (a->policy == TM_POLICY_PLRU)
		tlb__plru_touch(a, set, w);
	return slot;
}

/* Use entry @i (of set @set) again for a fill of what it holds: what
 * place() would do, less the writes that change nothing (keys, masks,
 * indexes, counts). */
static struct tlb_entry *refresh(struct tlb_array *a, uint64_t set, uint64_t i)
{
	struct tlb_entry *slot = &a->e[i];

	slot->data = 0;
	slot->rights = 0;
	a->stamp[i] = ++a->clock;
	if (a->policy == TM_POLICY_PLRU)
		tlb__plru_touch(a, set, (uint32_t)(i % a->ways));
	return slot;
}

/* tlb_array_insert() with the entry's size and original size, so that the
 * split counts see them; @missed: the caller knows no way holds exactly
 * (@tag, @ctx, cmask), so there is nothing to search. */
static struct tlb_entry *insert(struct tlb_array *a, uint64_t key, uint64_t tag, uint32_t ctx,
				bool global, uint8_t size, uint8_t oshift, bool missed)
{
	uint64_t set, base;
	uint32_t w;

	if (!a->sets)
		return NULL;
	set = tlb_array_set(a, key);
	base = set * a->ways;
	/* The same translation already here (e.g. filled again after a
	 * rights upgrade) is refreshed in place; else the first empty way;
	 * else the policy's victim. */
	w = missed ? a->ways : find_same(a, base, tag, ctx, global ? ~TLB_CTX_PCID : TLB_CTX_ALL);
	if (w == a->ways)
		return place(a, set, free_way(a, set, base), tag, ctx, global, size, oshift);
	if (a->e[base + w].size == size && a->e[base + w].oshift == oshift)
		return refresh(a, set, base + w);
	return place(a, set, w, tag, ctx, global, size, oshift);
}

struct tlb_entry *tlb_array_insert(struct tlb_array *a, uint64_t key, uint64_t tag, uint32_t ctx,
				   bool global)
{
	return insert(a, key, tag, ctx, global, 0, 0, false);
}

struct tlb_entry *tlb_array_insert_missed(struct tlb_array *a, uint64_t key, uint64_t tag,
					  uint32_t ctx, bool global)
{
	return insert(a, key, tag, ctx, global, 0, 0, true);
}

struct tlb_entry *tlb_array_refresh(struct tlb_array *a, const struct tlb_entry *e)
{
	uint64_t i = (uint64_t)(e - a->e);

	return refresh(a, i / a->ways, i);
}

bool tlb_array_ref(struct tlb_array *a, uint64_t key, uint64_t tag)
{
	uint64_t set, base, hit;
	const uint64_t *fk;

	if (!a->sets)
		return false;
	if (a->fctx != 0 || a->ways > 64) {
		if (tlb_array_find(a, key, tag, 0))
			return true;
		tlb_array_insert(a, key, tag, 0, false);
		return false;
	}
	set = tlb_array_set(a, key);
	base = set * a->ways;
	fk = a->fkey + base;
	/* One pass over the keys; a miss knows no entry holds the tag, so
	 * the fill goes straight to the empty way or the victim. */
	hit = tlb__match_all(fk, a->ways, tag);
	if (hit) {
		tlb_array_touch(a, base + (uint64_t)__builtin_ctzll(hit));
		return true;
	}
	place(a, set, free_way(a, set, base), tag, 0, false, 0, 0);
	return false;
}

static bool matches(const struct tlb_entry *e, const struct tlb_match *mt)
{
	if (e->tag == TLB_TAG_NONE || ((e->ctx ^ mt->ctx) & mt->mask & e->cmask))
		return false;
	if (mt->keep_global && e->global)
		return false;
	if (mt->by_addr && (e->data >> e->oshift) != (mt->va >> e->oshift))
		return false;
	if (mt->by_dim && e->rights != mt->dim)
		return false;
	if (mt->keep_vpid0 && !(e->ctx & TLB_CTX_VPID))
		return false;
	return true;
}

/* Remove the matching entries of set @set. */
static unsigned inval_set(struct tlb_array *a, uint64_t set, const struct tlb_match *mt)
{
	uint64_t base = set * a->ways;
	unsigned n = 0;

	for (uint32_t w = 0; w < a->ways; w++)
		if (matches(&a->e[base + w], mt)) {
			kill(a, base + w);
			n++;
		}
	return n;
}

unsigned tlb_array_inval(struct tlb_array *a, const struct tlb_match *mt)
{
	unsigned n = 0;

	for (uint64_t set = 0; set < a->sets; set++)
		n += inval_set(a, set, mt);
	return n;
}

void tlb_array_set_ctx(struct tlb_array *a, uint32_t ctx)
{
	if (ctx == a->fctx)
		return;
	a->fctx = ctx;
	for (uint64_t i = 0; i < (uint64_t)a->sets * a->ways; i++) {
		const struct tlb_entry *e = &a->e[i];

		a->fkey[i] = ((e->ctx ^ ctx) & e->cmask) ? TLB_TAG_NONE : e->tag;
	}
}

unsigned tlb_array_count(const struct tlb_array *a)
{
	unsigned n = 0;

	for (uint64_t i = 0; i < (uint64_t)a->sets * a->ways; i++)
		n += a->e[i].tag != TLB_TAG_NONE;
	return n;
}

/* ---- levels ---- */

int tlb_level_init(struct tlb_level *l, const struct tm_tlb_cfg *c, uint64_t seed,
		   const char *name, char *why, unsigned why_len)
{
	uint8_t sizes = 0;
	int rc;

	memset(l, 0, sizeof(*l));
	for (unsigned s = 0; s < TM_NSIZES; s++)
		l->which[s] = l->held[s] = TM_NSIZES;
	for (unsigned i = 0; i < TM_TLB_ARRAYS; i++) {
		char nm[48];

		if (!c->arr[i].entries)
			continue;
		snprintf(nm, sizeof(nm), "%s%s", name,
			 i == 0 ? "" : i == 1 ? " (array 2)" : " (array 3)");
		if (!c->arr[i].sizes || (c->arr[i].sizes & ~(TM_SZ_4K | TM_SZ_2M | TM_SZ_1G))) {
			snprintf(why, why_len, "%s: page-size mask 0x%x holds no valid size", nm,
				 c->arr[i].sizes);
			goto out_inval;
		}
		if (sizes & c->arr[i].sizes) {
			snprintf(why, why_len, "%s: two arrays hold the same page size", nm);
			goto out_inval;
		}
		sizes |= c->arr[i].sizes;
		rc = tlb_array_init(&l->arr[l->narr], &c->arr[i], seed + 7 * i, nm, why, why_len);
		if (rc) {
			tlb_level_free(l);
			return rc;
		}
		for (unsigned s = 0; s < TM_NSIZES; s++)
			if (c->arr[i].sizes & (1u << s))
				l->which[s] = (uint8_t)l->narr;
		l->narr++;
	}
	/* A page is held as the largest size <= its own that an array holds. */
	for (unsigned s = 0; s < TM_NSIZES; s++)
		for (int t = (int)s; t >= 0; t--)
			if (sizes & (1u << t)) {
				l->held[s] = (uint8_t)t;
				break;
			}
	return 0;
out_inval:
	tlb_level_free(l);
	return -EINVAL;
}

void tlb_level_free(struct tlb_level *l)
{
	for (unsigned i = 0; i < TM_TLB_ARRAYS; i++)
		tlb_array_free(&l->arr[i]);
	l->narr = 0;
}

struct tlb_entry *tlb_level_find(struct tlb_level *l, uint64_t va, uint32_t ctx)
{
	for (unsigned s = 0; s < TM_NSIZES; s++) {
		struct tlb_entry *e;

		if (l->which[s] == TM_NSIZES)
			continue;
		e = tlb_array_find(&l->arr[l->which[s]], va >> tlb_size_shift(s), tlb_tag(va, s),
				   ctx);
		if (e)
			return e;
	}
	return NULL;
}

static struct tlb_entry *level_fill(struct tlb_level *l, uint64_t va, unsigned s, unsigned oshift,
				     uint32_t ctx, bool global, uint8_t rights, bool missed)
{
	struct tlb_entry *e;
	unsigned h = l->held[s];

	if (h == TM_NSIZES)
		return NULL;
	e = insert(&l->arr[l->which[h]], va >> tlb_size_shift(h), tlb_tag(va, h), ctx, global,
		   (uint8_t)h, (uint8_t)oshift, missed);
	if (e) {
		e->data = va & ~((UINT64_C(1) << oshift) - 1);
		e->rights = rights;
	}
	return e;
}

struct tlb_entry *tlb_level_fill(struct tlb_level *l, uint64_t va, unsigned s, unsigned oshift,
				 uint32_t ctx, bool global, uint8_t rights)
{
	return level_fill(l, va, s, oshift, ctx, global, rights, false);
}

struct tlb_entry *tlb_level_fill_missed(struct tlb_level *l, uint64_t va, unsigned s,
					unsigned oshift, uint32_t ctx, bool global, uint8_t rights)
{
	return level_fill(l, va, s, oshift, ctx, global, rights, true);
}

/*
 * By address: an entry whose original page holds va sits in the set of
 * va's key for the size it is held as, or, if it is a piece of a larger
 * page (2^o bytes held as size s, counted in split[s]), in the set of one
 * of that page's 2^(o - shift(s)) piece keys. Those sets are the only ones
 * looked at; a page with more pieces than the array has sets means all.
 */
static unsigned inval_addr(struct tlb_level *l, unsigned ai, const struct tlb_match *mt)
{
	struct tlb_array *a = &l->arr[ai];
	unsigned n = 0;

	if (a->sets <= 1)
		return tlb_array_inval(a, mt);
	for (unsigned s = 0; s < TM_NSIZES; s++) {
		unsigned sh = tlb_size_shift(s);

		if (l->which[s] != ai)
			continue;
		n += inval_set(a, tlb_array_set(a, mt->va >> sh), mt);
		for (uint64_t o = a->split[s]; o; o &= o - 1) {
			unsigned os = (unsigned)__builtin_ctzll(o);
			uint64_t pieces = UINT64_C(1) << (os - sh), first = (mt->va >> os) << (os - sh);

			if (pieces >= a->sets)
				return n + tlb_array_inval(a, mt);
			for (uint64_t k = 0; k < pieces; k++)
				n += inval_set(a, tlb_array_set(a, first + k), mt);
		}
	}
	return n;
}

unsigned tlb_level_inval(struct tlb_level *l, const struct tlb_match *mt)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->narr; i++)
		n += mt->by_addr ? inval_addr(l, i, mt) : tlb_array_inval(&l->arr[i], mt);
	return n;
}

unsigned tlb_level_count(const struct tlb_level *l)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->narr; i++)
		n += tlb_array_count(&l->arr[i]);
	return n;
}
