/*
 * `tdpsim synth` internals: the access-stream generators (synth_stream.c,
 * also linked into bench/) and the table layout and the timing model over
 * it (synth_layout.c).
 *
 * A stream yields byte offsets into a region of @pages pages of
 * @page_size bytes, in a deterministic order fixed by the pattern and the
 * seed. Generation allocates only at init (the Zipf CDF, the chase
 * permutation); next() is a few arithmetic instructions.
 */
#ifndef TDPSIM_CLI_SYNTH_CLI_H
#define TDPSIM_CLI_SYNTH_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/ram.h"
#include "hv/host.h"
#include "paging/mmu.h"
#include "paging/nested.h"
#include "guest_modes.h"
#include "walk.h"

enum synth_pattern { SP_SEQUENTIAL = 0, SP_STRIDED, SP_RANDOM, SP_ZIPF, SP_CHASE, SP_NPATTERNS };

extern const char *const synth_pattern_names[SP_NPATTERNS];

struct synth_stream {
	uint8_t pat;         /* enum synth_pattern */
	uint64_t pages, accesses, page_size, stride, span;
	uint64_t rng;        /* splitmix64 state */
	uint64_t pos;        /* sequential, chase: current page; strided: offset */
	uint64_t rem, k;     /* sequential: i * pages mod accesses; accesses in page */
	double *cdf;         /* zipf: cumulative weights of ranks 0..pages-1 */
	uint32_t *next;      /* chase: the successor of each page */
};

/* splitmix64 (Steele, Lea, Flood, OOPSLA 2014): small, fast, seeded. */
static inline uint64_t synth_rand(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n) without a division (Lemire's multiply-shift). */
static inline uint64_t synth_below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)synth_rand(s) * n) >> 64);
}

/*
 * Set up @s. @stride (strided only) is in bytes; @zipf_s is the exponent.
 * Returns 0, -EINVAL (pages > 2^32 for zipf/chase, zero sizes) or -ENOMEM.
 */
int synth_stream_init(struct synth_stream *s, enum synth_pattern pat, uint64_t pages,
		      uint64_t accesses, uint64_t page_size, uint64_t stride, double zipf_s,
		      uint64_t seed);
void synth_stream_free(struct synth_stream *s);

/* What synth_stream_init() allocates for @pat over @pages (zipf's CDF,
 * chase's permutation), in bytes. */
uint64_t synth_stream_bytes(enum synth_pattern pat, uint64_t pages);

/* The Zipf rank for a uniform draw (binary search of the CDF). */
uint64_t synth__zipf_rank(const struct synth_stream *s, double u);

/* The next offset in [0, span). */
static inline uint64_t synth_stream_next(struct synth_stream *s)
{
	uint64_t page, off;

	switch (s->pat) {
	case SP_SEQUENTIAL:
		/* Access i falls in page floor(i * pages / accesses): evenly
		 * spread, in address order (pos and rem track the quotient and
		 * the remainder without dividing); successive accesses to a
		 * page step through it by 64 bytes. */
		off = s->pos * s->page_size + ((s->k * 64) & (s->page_size - 1));
		s->k++;
		for (s->rem += s->pages; s->rem >= s->accesses; s->rem -= s->accesses) {
			s->pos++;
			s->k = 0;
		}
		return off;
	case SP_STRIDED:
		off = s->pos;
		s->pos += s->stride;
		if (s->pos >= s->span)
			s->pos -= s->span;
		return off;
	case SP_RANDOM:
		page = synth_below(&s->rng, s->pages);
		break;
	case SP_ZIPF:
		page = synth__zipf_rank(s, (double)(synth_rand(&s->rng) >> 11) * 0x1p-53);
		break;
	default: /* SP_CHASE */
		page = s->pos;
		s->pos = s->next[page];
		break;
	}
	return page * s->page_size + (synth_rand(&s->rng) & (s->page_size - 1) & ~UINT64_C(7));
}

/* ---- table layout (synth_layout.c) ---------------------------------------- */

struct synth_layout {
	struct pg_regs regs;
	struct pg_mmu mmu;         /* validated guest state */
	const struct pg_format *fmt;
	uint64_t va_base, pa_base; /* first data page, linear and guest-physical */
	uint64_t page_size, pages;
	const uint64_t *vas;       /* build_pages: page i's linear address (not owned) */
	uint64_t guest_tables, host_tables; /* table pages built */
	struct cpu_ram hram;       /* host-physical memory (owns the buffer) */
	struct cpu_ram gram;       /* the guest-physical view of the tables */
	bool has_host;
	struct hv_host host;       /* gpaw != 0: a TD, secure and shared EPTs */
	uint64_t hpa_offset;       /* guest-physical memory's place in host memory */
	unsigned gpaw;
	uint64_t shared_bit;       /* TDX --shared: the shared bit, else 0 */
};

/*
 * Build guest tables mapping @pages pages of @page_size at va_base, and
 * (with @hm) host tables for every GPA they use, host pages of
 * @host_page_size. @gpaw 48 or 52 (with @hm ept4 or ept5, 4 KiB host
 * pages) makes the host a TD's secure and shared EPTs (hv/tdx.h), every
 * page private; with @shared the data pages are converted to shared and
 * the guest tables map them through the shared alias (GPA | bit GPAW-1),
 * the tables themselves staying private. 0, or -errno with a one-line
 * reason in @why.
 */
int synth_layout_build(struct synth_layout *l, const struct guest_mode *gm,
		       const struct pg_cpu *cpu, uint64_t pages, uint64_t page_size,
		       const struct hv_host_mode *hm, uint64_t host_page_size, unsigned gpaw,
		       bool shared, char *why, unsigned why_len);
void synth_layout_free(struct synth_layout *l);

/* The table memory synth_layout_build() will write for the same request
 * (an upper bound: every guest and host table page), for a memory budget
 * checked before building. */
uint64_t synth_layout_bytes(const struct guest_mode *gm, uint64_t pages, uint64_t page_size,
			    const struct hv_host_mode *hm, uint64_t host_page_size, unsigned gpaw);

/*
 * The same tables over @pages scattered 4 KiB pages: page i at linear
 * address @vas[i] (page-aligned, distinct, within the mode's linear width;
 * @vas must outlive @l), guest-physical pages contiguous from pa_base in
 * that order. Imported traces (ChampSim) map the pages they touch this way.
 */
int synth_layout_build_pages(struct synth_layout *l, const struct guest_mode *gm,
			     const struct pg_cpu *cpu, const uint64_t *vas, uint64_t pages,
			     const struct hv_host_mode *hm, uint64_t host_page_size, unsigned gpaw,
			     char *why, unsigned why_len);

/*
 * A timing model (--config @cfg) over @l's tables, its walks free to set
 * A/D bits in them: through the host dimension when @l has one, else
 * straight from the guest-physical view. tm_model_new()'s return and @why.
 */
struct tm_config;
struct tm_model;
int synth_layout_model(struct synth_layout *l, const struct tm_config *cfg,
		       const struct pg_cpu *cpu, struct tm_model **out, char *why,
		       unsigned why_len);

#endif
