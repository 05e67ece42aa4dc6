/*
 * Cache hierarchy for table lines (see cache.h).
 */
#include "cache.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
		rc = tlb_array_init(&c->lvl[i], &a, seed + 31 * i, names[i], why, why_len);
		if (rc)
			goto out_free;
	}
	return 0;
out_free:
	tm_cache_free(c);
	return rc;
}

void tm_cache_free(struct tm_cache *c)
{
	for (unsigned i = 0; i < 3; i++)
		tlb_array_free(&c->lvl[i]);
}

void tm_cache_clear(struct tm_cache *c)
{
	for (unsigned i = 0; i < 3; i++)
		if (c->lvl[i].sets)
			tlb_array_clear(&c->lvl[i]);
}

unsigned tm_cache_ref(struct tm_cache *c, uint64_t pa, uint32_t *lat)
{
	uint64_t line = pa >> TM_LINE_SHIFT;

	/* Each level that misses is filled as the lookup goes down: the
	 * levels are independent arrays, so this is the same as filling every
	 * level above the one that hit afterwards. */
	for (unsigned i = 0; i < 3; i++)
		if (tlb_array_ref(&c->lvl[i], line, line)) {
			*lat = c->lvl[i].latency;
			return i;
		}
	*lat = c->mem_latency;
	return TM_ML_MEM;
}
