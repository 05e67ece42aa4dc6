/*
 * Access-stream generators of `tdpsim synth` (synth_cli.h): set-up of the
 * Zipf CDF and the pointer-chase permutation, both computed once from the
 * seed so that every run of the same options yields the same stream.
 */
#include "synth_cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const synth_pattern_names[SP_NPATTERNS] = {
	"sequential", "strided", "random", "zipf", "chase",
};

uint64_t synth_stream_bytes(enum synth_pattern pat, uint64_t pages)
{
	if (pat == SP_ZIPF)
		return pages * sizeof(double);
	if (pat == SP_CHASE)
		return pages * 2 * sizeof(uint32_t); /* the permutation and next[] */
	return 0;
}

/* Zipf over ranks 0..n-1: P(rank k) proportional to 1 / (k + 1)^s. The CDF
 * is normalised so that the last entry is exactly 1. */
static int zipf_init(struct synth_stream *s, double exponent)
{
	double total = 0;

	s->cdf = malloc(s->pages * sizeof(*s->cdf));
	if (!s->cdf)
		return -ENOMEM;
	for (uint64_t k = 0; k < s->pages; k++) {
		total += pow((double)(k + 1), -exponent);
		s->cdf[k] = total;
	}
	for (uint64_t k = 0; k < s->pages; k++)
		s->cdf[k] /= total;
	s->cdf[s->pages - 1] = 1.0;
	return 0;
}

uint64_t synth__zipf_rank(const struct synth_stream *s, double u)
{
	uint64_t lo = 0, hi = s->pages - 1;

	/* The first rank whose cumulative weight exceeds u. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (s->cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* A random cyclic permutation (Sattolo's algorithm): following next[]
 * from any page visits every page once before it returns. */
static int chase_init(struct synth_stream *s)
{
	uint32_t *perm = malloc(s->pages * sizeof(*perm));

	s->next = malloc(s->pages * sizeof(*s->next));
	if (!perm || !s->next) {
		free(perm);
		return -ENOMEM;
	}
	for (uint64_t k = 0; k < s->pages; k++)
		perm[k] = (uint32_t)k;
	for (uint64_t k = s->pages - 1; k > 0; k--) {
		uint64_t j = synth_below(&s->rng, k); /* j < k: one cycle */
		uint32_t t = perm[k];

		perm[k] = perm[j];
		perm[j] = t;
	}
	/* perm is the cycle's order: page perm[k] is followed by perm[k+1]. */
	for (uint64_t k = 0; k < s->pages; k++)
		s->next[perm[k]] = perm[(k + 1) % s->pages];
	s->pos = perm[0];
	free(perm);
	return 0;
}

int synth_stream_init(struct synth_stream *s, enum synth_pattern pat, uint64_t pages,
		      uint64_t accesses, uint64_t page_size, uint64_t stride, double zipf_s,
		      uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	if (pages == 0 || accesses == 0 || page_size == 0 || (page_size & (page_size - 1)) ||
	    pat >= SP_NPATTERNS)
		return -EINVAL;
	if ((pat == SP_ZIPF || pat == SP_CHASE) && pages > UINT32_MAX)
		return -EINVAL;
	if (pages > UINT64_MAX / page_size)
		return -EINVAL;
	s->pat = (uint8_t)pat;
	s->pages = pages;
	s->accesses = accesses;
	s->page_size = page_size;
	s->span = pages * page_size;
	s->stride = stride % s->span;
	s->rng = seed;
	if (pat == SP_ZIPF)
		return zipf_init(s, zipf_s);
	if (pat == SP_CHASE)
		return chase_init(s);
	return 0;
}

void synth_stream_free(struct synth_stream *s)
{
	free(s->cdf);
	free(s->next);
	s->cdf = NULL;
	s->next = NULL;
}
