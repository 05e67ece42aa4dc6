/*
 * Cache hierarchy for table lines (see cache.h).
 */
#include "cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Sets of more ways than a valid mask holds are tlb_arrays. */
#define BLOCK_MAX_WAYS 64

#define BYTES_H UINT64_C(0x8080808080808080) /* the high bit of each byte */
#define BYTES_1 UINT64_C(0x0101010101010101) /* one in each byte */

/*
 * The byte arrays of a set block (signatures, ranks) are read in groups of
 * GROUP bytes: 16 with SSE2 (part of every x86-64), 8 in a 64-bit word
 * elsewhere. A level rounds both arrays up to whole groups.
 */
#ifdef __SSE2__
#define GROUP 16

/* Bit i set when byte i of the @n bytes at @p (whole groups, 16-byte
 * aligned) equals @v. */
static uint64_t bytes_eq(const uint8_t *p, uint32_t n, uint8_t v)
{
	__m128i k = _mm_set1_epi8((char)v);
	uint64_t m = 0;

	for (uint32_t i = 0; i < n; i += GROUP)
		m |= (uint64_t)(uint32_t)_mm_movemask_epi8(
			     _mm_cmpeq_epi8(_mm_load_si128((const __m128i *)(p + i)), k))
		     << i;
	return m;
}

/* One more for every byte below @r of the @n bytes at @p (all below 0x80:
 * a signed compare). */
static void bytes_inc_below(uint8_t *p, uint32_t n, uint8_t r)
{
	__m128i k = _mm_set1_epi8((char)r);

	for (uint32_t i = 0; i < n; i += GROUP) {
		__m128i x = _mm_load_si128((const __m128i *)(p + i));

		/* cmplt gives -1 (0xff) in the bytes below r. */
		_mm_store_si128((__m128i *)(p + i), _mm_sub_epi8(x, _mm_cmplt_epi8(x, k)));
	}
}
#else
#define GROUP 8

static uint64_t bytes_eq(const uint8_t *p, uint32_t n, uint8_t v)
{
	const uint64_t low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
	uint64_t m = 0;

	for (uint32_t i = 0; i < n; i += GROUP) {
		uint64_t x, t;

		memcpy(&x, p + i, 8);
		x ^= v * BYTES_1;
		/* The high bit of each zero byte (no carry crosses bytes). */
		t = ~(((x & low7) + low7) | x | low7);
		/* Gather bit 8j + 7 into bit 56 + j (the products do not overlap). */
		m |= (((t >> 7) * UINT64_C(0x0102040810204080)) >> 56) << i;
	}
	return m;
}

static void bytes_inc_below(uint8_t *p, uint32_t n, uint8_t r)
{
	uint64_t rr = r * BYTES_1;

	for (uint32_t i = 0; i < n; i += GROUP) {
		uint64_t x;

		memcpy(&x, p + i, 8);
		/* A byte's high bit in (x | H) - rr: x >= r (no borrow leaves a
		 * byte: each is at least 0x80 - 0x7f). */
		x += (~((x | BYTES_H) - rr) & BYTES_H) >> 7;
		memcpy(p + i, &x, 8);
	}
}
#endif

static uint32_t groups(uint32_t ways)
{
	return (ways + GROUP - 1) & ~(uint32_t)(GROUP - 1);
}

struct geom {
	uint32_t sets, ways, stride, repl_off, valid_off, tag_off;
};

/* The set blocks of a level of @lines lines in @ways-way sets (cache.h). */
static struct geom geometry(uint64_t lines, uint32_t ways, uint8_t policy)
{
	struct geom g = { .ways = ways ? ways : (uint32_t)lines };
	uint32_t repl = 0;

	g.sets = g.ways ? (uint32_t)(lines / g.ways) : 0;
	if (policy == TM_POLICY_LRU || policy == TM_POLICY_FIFO)
		repl = groups(g.ways);
	else if (policy == TM_POLICY_PLRU)
		repl = 8;
	g.repl_off = groups(g.ways); /* after the signatures */
	g.valid_off = g.repl_off + repl;
	g.tag_off = g.valid_off + 8;
	g.stride = (g.tag_off + 8 * g.ways + 63) & ~63u;
	return g;
}

static bool use_blocks(uint64_t lines, uint32_t ways)
{
	uint32_t w = ways ? ways : (uint32_t)lines;

	return lines && w <= BLOCK_MAX_WAYS;
}

static uint64_t level_set(const struct tm_cache_level *l, uint64_t line)
{
	return l->set_mask ? line & l->set_mask : l->sets > 1 ? line % l->sets : 0;
}

/* A line's signature byte: eight bits of a multiplicative hash, so that
 * the lines of one set (equal in their low bits) spread over its values. */
static uint8_t line_sig(uint64_t line)
{
	return (uint8_t)((line * UINT64_C(0x9e3779b97f4a7c15)) >> 56);
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
			((uint64_t *)(b + l->tag_off))[w] = TM_CACHE_NONE;
		if (l->policy == TM_POLICY_LRU || l->policy == TM_POLICY_FIFO)
			for (uint32_t w = 0; w < groups(l->ways); w++)
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
	l->tag_off = g.tag_off;
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

/* Rank way @w 0 and move the ways ranked below it one up (cache.h). */
static void rank_use(uint8_t *rank, uint32_t ways, uint32_t w)
{
	bytes_inc_below(rank, groups(ways), rank[w]);
	rank[w] = 0;
}

/* The way ranked @ways - 1 (there is exactly one; the padding is 0x7f). */
static uint32_t rank_last(const uint8_t *rank, uint32_t ways)
{
	return (uint32_t)__builtin_ctzll(bytes_eq(rank, groups(ways), (uint8_t)(ways - 1)));
}

/* One level's reference to @line: true on a hit; a miss fills. As
 * tlb_array_ref() (cache.h). The signature bytes name the few ways whose
 * tag can equal @line; only those tags are read. */
static bool level_ref(struct tm_cache_level *l, uint64_t line)
{
	uint8_t *b = l->blk + level_set(l, line) * l->stride;
	uint64_t *tag = (uint64_t *)(b + l->tag_off);
	uint64_t *valid = (uint64_t *)(b + l->valid_off);
	uint8_t *repl = b + l->repl_off;
	uint64_t all = l->ways >= 64 ? UINT64_MAX : (UINT64_C(1) << l->ways) - 1, hit;
	uint8_t sig = line_sig(line);
	uint32_t w;

	hit = bytes_eq(b, groups(l->ways), sig) & all;
	for (; hit; hit &= hit - 1) {
		w = (uint32_t)__builtin_ctzll(hit);
		if (tag[w] != line)
			continue;
		if (l->policy == TM_POLICY_LRU)
			rank_use(repl, l->ways, w);
		else if (l->policy == TM_POLICY_PLRU)
			*(uint64_t *)repl = tlb__plru_path(*(uint64_t *)repl, l->ways, w);
		return true;
	}
	{
		uint64_t empty = ~*valid & all;

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
	b[w] = sig;
	*valid |= UINT64_C(1) << w;
	if (l->policy == TM_POLICY_PLRU)
		*(uint64_t *)repl = tlb__plru_path(*(uint64_t *)repl, l->ways, w);
	else if (l->policy != TM_POLICY_RANDOM)
		rank_use(repl, l->ways, w);
	return false;
}

void tm_cache_prefetch(const struct tm_cache *c, uint64_t pa)
{
	uint64_t line = pa >> TM_LINE_SHIFT;

	for (unsigned i = 0; i < 3; i++) {
		const struct tm_cache_level *l = &c->lvl[i];

		if (l->blk)
			__builtin_prefetch(l->blk + level_set(l, line) * l->stride);
	}
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

