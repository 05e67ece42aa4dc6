/*
 * Cache hierarchy for table lines (see cache.h).
 */
#include "cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sets of more ways than a valid mask holds are tlb_arrays. */
#define BLOCK_MAX_WAYS 64

#define BYTES_H UINT64_C(0x8080808080808080) /* the high bit of each byte */
#define BYTES_1 UINT64_C(0x0101010101010101) /* one in each byte */

struct geom {
	uint32_t sets, ways, stride, valid_off, repl_off;
};

/* The set blocks of a level of @lines lines in @ways-way sets (cache.h). */
static struct geom geometry(uint64_t lines, uint32_t ways, uint8_t policy)
{
	struct geom g = { .ways = ways ? ways : (uint32_t)lines };
	uint32_t repl = 0;

	g.sets = g.ways ? (uint32_t)(lines / g.ways) : 0;
	if (policy == TM_POLICY_LRU || policy == TM_POLICY_FIFO)
		repl = (g.ways + 7) & ~7u;
	else if (policy == TM_POLICY_PLRU)
		repl = 8;
	g.valid_off = 8 * g.ways;
	g.repl_off = g.valid_off + 8;
	g.stride = (g.repl_off + repl + 63) & ~63u;
	return g;
}

static bool use_blocks(uint64_t lines, uint32_t ways)
{
	uint32_t w = ways ? ways : (uint32_t)lines;

	return lines && w <= BLOCK_MAX_WAYS;
}

static uint64_t *blk_tags(const struct tm_cache_level *l, uint64_t set)
{
	return (uint64_t *)(l->blk + set * l->stride);
}

static void level_clear(struct tm_cache_level *l)
{
	if (!l->blk) {
		if (l->gen.sets)
			tlb_array_clear(&l->gen);
		return;
	}
	for (uint64_t s = 0; s < l->sets; s++) {
		uint8_t *b = l->blk + s * l->stride;

		memset(b, 0, l->stride);
		for (uint32_t w = 0; w < l->ways; w++)
			((uint64_t *)b)[w] = TM_CACHE_NONE;
		if (l->policy == TM_POLICY_LRU || l->policy == TM_POLICY_FIFO)
			for (uint32_t w = 0; w < ((l->ways + 7) & ~7u); w++)
				b[l->repl_off + w] = w < l->ways ? (uint8_t)w : 0x7f;
	}
}

static int level_init(struct tm_cache_level *l, const struct tm_array_cfg *a, uint64_t seed,
		      const char *name, char *why, unsigned why_len)
{
	struct geom g;

	memset(l, 0, sizeof(*l));
	l->latency = a->latency;
	if (!use_blocks(a->entries, a->ways))
		return tlb_array_init(&l->gen, a, seed, name, why, why_len);
	if (tlb_array_check(a, name, why, why_len))
		return -EINVAL;
	g = geometry(a->entries, a->ways, a->policy);
	l->sets = g.sets;
	l->ways = g.ways;
	l->stride = g.stride;
	l->valid_off = g.valid_off;
	l->repl_off = g.repl_off;
	l->policy = a->policy;
	l->set_mask = (l->sets & (l->sets - 1)) ? 0 : l->sets - 1;
	l->rng = seed ? seed : UINT64_C(0x9e3779b97f4a7c15); /* as tlb_array_init() */
	l->blk = aligned_alloc(64, (size_t)l->sets * l->stride);
	if (!l->blk) {
		snprintf(why, why_len, "%s: out of memory for %u entries", name, a->entries);
		return -ENOMEM;
	}
	level_clear(l);
	return 0;
}

int tm_cache_init(struct tm_cache *c, const struct tm_config *cfg, uint64_t seed, char *why,
		  unsigned why_len)
{
	const struct tm_cache_cfg *lc[3] = { &cfg->cache.l1d, &cfg->cache.l2, &cfg->cache.llc };
	static const char *const names[3] = { "cache.l1d", "cache.l2", "cache.llc" };
	int rc;

	memset(c, 0, sizeof(*c));
	c->mem_latency = cfg->mem_latency;
	for (unsigned i = 0; i < 3; i++) {
		uint64_t lines = (uint64_t)lc[i]->size_kb * 1024 >> TM_LINE_SHIFT;
		struct tm_array_cfg a = {
			.entries = (uint32_t)lines,
			.ways = lc[i]->ways,
			.policy = lc[i]->policy,
			.latency = lc[i]->latency,
		};

		if (lines > UINT32_MAX) {
			snprintf(why, why_len, "%s: %u KiB is too large", names[i], lc[i]->size_kb);
			rc = -EINVAL;
			goto out_free;
		}
		rc = level_init(&c->lvl[i], &a, seed + 31 * i, names[i], why, why_len);
		if (rc)
			goto out_free;
	}
	return 0;
out_free:
	tm_cache_free(c);
	return rc;
}

uint64_t tm_cache_bytes(const struct tm_config *cfg)
{
	const struct tm_cache_cfg *lc[3] = { &cfg->cache.l1d, &cfg->cache.l2, &cfg->cache.llc };
	uint64_t n = 0;

	for (unsigned i = 0; i < 3; i++) {
		uint64_t lines = (uint64_t)lc[i]->size_kb * 1024 >> TM_LINE_SHIFT;
		const struct tm_array_cfg a = { .ways = lc[i]->ways, .policy = lc[i]->policy };

		if (use_blocks(lines, lc[i]->ways)) {
			struct geom g = geometry(lines, lc[i]->ways, lc[i]->policy);

			n += (uint64_t)g.sets * g.stride;
		} else {
			n += tlb_array_bytes(&a, lines);
		}
	}
	return n;
}

void tm_cache_free(struct tm_cache *c)
{
	for (unsigned i = 0; i < 3; i++) {
		free(c->lvl[i].blk);
		c->lvl[i].blk = NULL;
		tlb_array_free(&c->lvl[i].gen);
	}
}

void tm_cache_clear(struct tm_cache *c)
{
	for (unsigned i = 0; i < 3; i++)
		level_clear(&c->lvl[i]);
}

/* Rank way @w 0 and move the ways ranked below it one up (cache.h): per
 * word of eight ranks (all below 0x80), the bytes below r get one more. */
static void rank_use(uint8_t *rank, uint32_t ways, uint32_t w)
{
	uint64_t r = rank[w] * BYTES_1;

	for (uint32_t i = 0; i < ways; i += 8) {
		uint64_t x;

		memcpy(&x, rank + i, 8);
		/* A byte's high bit in (x | H) - r: x >= r (no borrow leaves a
		 * byte: each is at least 0x80 - 0x7f). */
		x += (~((x | BYTES_H) - r) & BYTES_H) >> 7;
		memcpy(rank + i, &x, 8);
	}
	rank[w] = 0;
}

/* The way ranked @ways - 1 (there is exactly one): the lowest zero byte
 * of rank ^ (ways - 1). */
static uint32_t rank_last(const uint8_t *rank, uint32_t ways)
{
	uint64_t v = (ways - 1) * BYTES_1;

	for (uint32_t i = 0;; i += 8) {
		uint64_t x, z;

		memcpy(&x, rank + i, 8);
		x ^= v;
		z = (x - BYTES_1) & ~x & BYTES_H;
		if (z)
			return i + (uint32_t)__builtin_ctzll(z) / 8;
	}
}

/* One level's reference to @line: true on a hit; a miss fills. As
 * tlb_array_ref() (cache.h). */
static bool level_ref(struct tm_cache_level *l, uint64_t line)
{
	uint64_t set = l->set_mask ? line & l->set_mask : l->sets > 1 ? line % l->sets : 0;
	uint64_t *tag = blk_tags(l, set), hit;
	uint8_t *b = (uint8_t *)tag;
	uint64_t *valid = (uint64_t *)(b + l->valid_off);
	uint8_t *repl = b + l->repl_off;
	uint32_t w;

	hit = tlb__match_all(tag, l->ways, line);
	if (hit) {
		w = (uint32_t)__builtin_ctzll(hit);
		if (l->policy == TM_POLICY_LRU)
			rank_use(repl, l->ways, w);
		else if (l->policy == TM_POLICY_PLRU)
			*(uint64_t *)repl = tlb__plru_path(*(uint64_t *)repl, l->ways, w);
		return true;
	}
	{
		uint64_t empty = ~*valid & (l->ways >= 64 ? UINT64_MAX
							    : (UINT64_C(1) << l->ways) - 1);

		if (empty)
			w = (uint32_t)__builtin_ctzll(empty);
		else if (l->policy == TM_POLICY_PLRU)
			w = tlb__plru_victim(*(uint64_t *)repl, l->ways);
		else if (l->policy == TM_POLICY_RANDOM)
			w = (uint32_t)(tlb__xorshift64(&l->rng) % l->ways);
		else
			w = rank_last(repl, l->ways);
	}
	tag[w] = line;
	*valid |= UINT64_C(1) << w;
	if (l->policy == TM_POLICY_PLRU)
		*(uint64_t *)repl = tlb__plru_path(*(uint64_t *)repl, l->ways, w);
	else if (l->policy != TM_POLICY_RANDOM)
		rank_use(repl, l->ways, w);
	return false;
}

unsigned tm_cache_ref(struct tm_cache *c, uint64_t pa, uint32_t *lat)
{
	uint64_t line = pa >> TM_LINE_SHIFT;

	/* Each level that misses is filled as the lookup goes down: the
	 * levels are independent arrays, so this is the same as filling every
	 * level above the one that hit afterwards. */
	for (unsigned i = 0; i < 3; i++) {
		struct tm_cache_level *l = &c->lvl[i];
		bool hit;

		if (l->blk)
			hit = level_ref(l, line);
		else
			hit = tlb_array_ref(&l->gen, line, line);
		if (hit) {
			*lat = l->latency;
			return i;
		}
	}
	*lat = c->mem_latency;
	return TM_ML_MEM;
}
