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
 * An empty way is always taken first, lowest index first.
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

int tlb_array_init(struct tlb_array *a, const struct tm_array_cfg *c, uint64_t seed,
		   const char *name, char *why, unsigned why_len)
{
	uint32_t ways = c->ways ? c->ways : c->entries;

	memset(a, 0, sizeof(*a));
	a->latency = c->latency;
	a->policy = c->policy;
	a->sizes = c->sizes;
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
	a->ways = ways;
	a->sets = c->entries / ways;
	a->pow2 = is_pow2(a->sets);
	a->set_mask = a->sets - 1;
	a->way_shift = is_pow2(ways) ? (uint8_t)__builtin_ctz(ways) : 0;
	a->rng = seed ? seed : UINT64_C(0x9e3779b97f4a7c15);
	a->e = malloc(sizeof(*a->e) * c->entries);
	a->fkey = malloc(sizeof(*a->fkey) * c->entries);
	if (c->policy == TM_POLICY_PLRU)
		a->plru = calloc(a->sets, sizeof(*a->plru));
	if (!a->e || !a->fkey || (c->policy == TM_POLICY_PLRU && !a->plru)) {
		tlb_array_free(a);
		snprintf(why, why_len, "%s: out of memory for %u entries", name, c->entries);
		return -ENOMEM;
	}
	tlb_array_clear(a);
	return 0;
}

void tlb_array_free(struct tlb_array *a)
{
	free(a->e);
	free(a->fkey);
	free(a->plru);
	a->e = NULL;
	a->fkey = NULL;
	a->plru = NULL;
	a->sets = a->ways = 0;
}

void tlb_array_clear(struct tlb_array *a)
{
	for (uint64_t i = 0; i < (uint64_t)a->sets * a->ways; i++) {
		a->e[i] = (struct tlb_entry){ .tag = TLB_TAG_NONE };
		a->fkey[i] = TLB_TAG_NONE;
	}
	if (a->plru)
		memset(a->plru, 0, sizeof(*a->plru) * a->sets);
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static uint32_t victim(struct tlb_array *a, uint64_t set, const struct tlb_entry *e)
{
	uint32_t w, best = 0;

	switch (a->policy) {
	case TM_POLICY_PLRU: {
		uint64_t bits = a->plru[set];
		uint32_t node = 1;

		w = 0;
		for (uint32_t half = a->ways >> 1; half; half >>= 1) {
			bool right = (bits >> node) & 1;
			w |= right ? half : 0;
			node = 2 * node + right;
		}
		return w;
	}
	case TM_POLICY_RANDOM:
		return (uint32_t)(xorshift64(&a->rng) % a->ways);
	default: /* LRU, FIFO: the oldest stamp */
		for (w = 1; w < a->ways; w++)
			if (e[w].stamp < e[best].stamp)
				best = w;
		return best;
	}
}

struct tlb_entry *tlb_array_insert(struct tlb_array *a, uint64_t key, uint64_t tag, uint32_t ctx,
				   bool global)
{
	struct tlb_entry *e, *slot = NULL, *empty = NULL;
	uint64_t set;
	uint32_t cmask = global ? ~TLB_CTX_PCID : TLB_CTX_ALL;

	if (!a->sets)
		return NULL;
	set = tlb_array_set(a, key);
	e = a->e + set * a->ways;
	/* One pass: the same translation already here (e.g. filled again
	 * after a rights upgrade) is refreshed in place; else the first empty
	 * way; else the policy's victim. */
	for (uint32_t w = 0; w < a->ways; w++) {
		if (e[w].tag == tag && e[w].ctx == ctx && e[w].cmask == cmask) {
			slot = &e[w];
			break;
		}
		if (!empty && e[w].tag == TLB_TAG_NONE)
			empty = &e[w];
	}
	if (!slot)
		slot = empty ? empty : &e[victim(a, set, e)];
	*slot = (struct tlb_entry){ .tag = tag, .ctx = ctx, .cmask = cmask, .global = global,
				    .stamp = ++a->clock };
	a->fkey[slot - a->e] = ((ctx ^ a->fctx) & cmask) ? TLB_TAG_NONE : tag;
	if (a->policy == TM_POLICY_PLRU)
		tlb__plru_touch(a, set, (uint32_t)(slot - e));
	return slot;
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

unsigned tlb_array_inval(struct tlb_array *a, const struct tlb_match *mt)
{
	unsigned n = 0;

	/* Invalidations are rare: a scan of the whole array keeps every
	 * splintered piece of a large page findable by any address in it. */
	for (uint64_t i = 0; i < (uint64_t)a->sets * a->ways; i++)
		if (matches(&a->e[i], mt)) {
			a->e[i].tag = TLB_TAG_NONE;
			a->e[i].stamp = 0;
			a->fkey[i] = TLB_TAG_NONE;
			n++;
		}
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

struct tlb_entry *tlb_level_fill(struct tlb_level *l, uint64_t va, unsigned s, unsigned oshift,
				 uint32_t ctx, bool global, uint8_t rights)
{
	struct tlb_entry *e;
	unsigned h = l->held[s];

	if (h == TM_NSIZES)
		return NULL;
	e = tlb_array_insert(&l->arr[l->which[h]], va >> tlb_size_shift(h), tlb_tag(va, h), ctx,
			     global);
	if (e) {
		e->size = (uint8_t)h;
		e->oshift = (uint8_t)oshift;
		e->data = va & ~((UINT64_C(1) << oshift) - 1);
		e->rights = rights;
	}
	return e;
}

unsigned tlb_level_inval(struct tlb_level *l, const struct tlb_match *mt)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->narr; i++)
		n += tlb_array_inval(&l->arr[i], mt);
	return n;
}

unsigned tlb_level_count(const struct tlb_level *l)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->narr; i++)
		n += tlb_array_count(&l->arr[i]);
	return n;
}
