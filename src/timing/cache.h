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

struct tm_cache {
	struct tlb_array lvl[3]; /* L1D, L2, LLC (absent: no sets) */
	uint32_t mem_latency;
};

/* 0, or -EINVAL (geometry that does not divide into sets) / -ENOMEM with
 * a reason in @why. */
int tm_cache_init(struct tm_cache *c, const struct tm_config *cfg, uint64_t seed, char *why,
		  unsigned why_len);
void tm_cache_free(struct tm_cache *c);
void tm_cache_clear(struct tm_cache *c);

/* Reference the line holding physical address @pa: returns where it was
 * found (enum tm_mem_level) and stores that level's latency in *lat. */
unsigned tm_cache_ref(struct tm_cache *c, uint64_t pa, uint32_t *lat);

#endif
