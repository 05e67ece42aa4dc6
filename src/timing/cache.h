/*
 * The data-cache hierarchy that holds paging-structure lines: L1D, L2, LLC,
 * then memory. A table entry is 8 bytes (4 in 32-bit paging) and a line 64
 * bytes, so eight 8-byte entries share a line and a walk of neighbouring
 * entries finds them warm.
 *
 * What is modelled: presence of lines by set-associative tag arrays with the
 * configured policy, filled into every level above the one that hit
 * (inclusive on fill), and the load-to-use latency of the level that hit.
 * What is not: data accesses of the program itself competing for the same
 * lines (the model sees only translations), coherence, prefetchers, memory
 * bandwidth and queueing, and the parallelism of several page walkers.
 */
#ifndef TDPSIM_TIMING_CACHE_H
#define TDPSIM_TIMING_CACHE_H

#include "paging/tlb.h"
#include "config.h"
#include "stats.h"

#define TM_LINE_SHIFT 6 /* 64-byte lines */

/*
 * One level. A reference reads one set and, on a miss, fills it, so each
 * set of up to 64 ways is one block of whole 64-byte lines (blk + set *
 * stride):
 *   a signature byte per way (a hash of its line, cache.c; padded to
 *   whole words): a lookup compares the full tags of only the ways whose
 *   signature matches, and a fill writes one tag;
 *   the replacement state:
 *     LRU, FIFO  a rank byte per way, a permutation of 0..ways-1 (0: used
 *                or, FIFO, filled last; ways-1: the victim), bytes rounded
 *                up to whole words, the padding 0x7f;
 *     PLRU       the tree bits (tlb.h: tlb__plru_path());
 *     RANDOM     none (the generator draws the way);
 *   the valid mask (bit w: way w holds a line);
 *   the ways' line numbers (TM_CACHE_NONE when empty).
 * The bytes a lookup reads first (signatures, ranks, valid mask) share
 * the block's first line up to 24 ways.
 * In a full set the highest rank is the way with the oldest LRU stamp (or
 * FIFO fill stamp) of tlb.c's arrays: every way was ranked 0 when it was
 * filled, and a rank update keeps the order of the others. So the level
 * hits, misses and evicts exactly as a tlb_array under tlb_array_ref()
 * (tests/test_tlb.c compares them). Wider sets use a tlb_array (gen).
 */
#define TM_CACHE_NONE UINT64_MAX
struct tm_cache_level {
	uint8_t *blk;        /* sets * stride bytes, 64-byte aligned; NULL: gen */
	uint64_t set_mask;   /* sets - 1 (a power of two) */
	uint64_t rng;        /* RANDOM: as tlb_array.rng */
	uint32_t sets, ways, stride, latency;
	uint32_t repl_off, valid_off, tag_off; /* byte offsets in a set's block */
	uint8_t policy;      /* enum tm_policy */
	struct tlb_array gen;
};

struct tm_cache {
	struct tm_cache_level lvl[3]; /* L1D, L2, LLC (absent: no sets) */
	uint32_t mem_latency;
};

/* 0, or -EINVAL (geometry that does not divide into sets) / -ENOMEM with
 * a reason in @why. */
int tm_cache_init(struct tm_cache *c, const struct tm_config *cfg, uint64_t seed, char *why,
		  unsigned why_len);
void tm_cache_free(struct tm_cache *c);
void tm_cache_clear(struct tm_cache *c);
/* The bytes tm_cache_init() allocates for @cfg's caches (memory budgets). */
uint64_t tm_cache_bytes(const struct tm_config *cfg);

/* Reference the line holding physical address @pa: returns where it was
 * found (enum tm_mem_level) and stores that level's latency in *lat. */
unsigned tm_cache_ref(struct tm_cache *c, uint64_t pa, uint32_t *lat);

/* A hint: the line holding @pa will be referenced soon; bring the host
 * lines a reference reads first into the host's caches. No model state. */
void tm_cache_prefetch(const struct tm_cache *c, uint64_t pa);

#endif
