/*
 * Paging-structure caches: what lets a walk skip references.
 *
 * Split (Intel, SDM Vol. 3A 4.10.3): one cache per level of the cached entry
 * (PML5E, PML4E, PDPTE, PDE: levels 5..2). An entry is tagged by the context
 * and the linear-address bits its level translates (a PDE-cache entry by
 * bits 47:21 in 4-level paging) and holds the address of the next table. A
 * walk starts below the deepest level that hits (SDM 4.10.3.2); only entries
 * that reference a table are cached, never leaves.
 *
 * Unified (AMD page-walk cache, APM Vol. 2 5.5.1; Bhargava et al., ASPLOS
 * 2008): upper-level entries of both dimensions tagged by the physical
 * address of the entry. A hit replaces that one memory reference.
 *
 * For 2D walks (Bhargava et al. 2008, sections 3-4):
 *   - the nested TLB maps a guest-physical page to its host page and skips a
 *     whole host walk (of a guest table's GPA, or of the final GPA);
 *   - the host-dimension PSC holds non-leaf host entries tagged by the GPA
 *     bits their level translates, so a host walk that misses the nested TLB
 *     starts at its deepest hit.
 * Both are guest-physical mappings: tagged by the EP4TA id only, removed by
 * INVEPT, never by INVLPG/INVPCID/INVVPID (SDM Vol. 3C 29.4.1, 29.4.3).
 */
#ifndef TDPSIM_PAGING_PWC_H
#define TDPSIM_PAGING_PWC_H

#include "format.h"
#include "tlb.h"

/* Which dimension a unified-PWC entry belongs to (tlb_entry.rights). */
enum pwc_dim { PWC_DIM_GUEST = 1, PWC_DIM_HOST = 2 };

struct pwc {
	uint8_t kind;                         /* enum tm_pwc_kind */
	struct tlb_array level[PG_LEVELS_MAX + 1]; /* split: [2..5] */
	struct tlb_array unified;
	struct tlb_array ntlb;                /* nested TLB */
	struct tlb_array npwc;                /* host-dimension PSC */
	uint8_t ntlb_sizes;                   /* size classes filled since the last clear */
};

int pwc_init(struct pwc *p, const struct tm_config *c, uint64_t seed, char *why,
	     unsigned why_len);
void pwc_free(struct pwc *p);

/* The highest level the split caches are probed at: the format's top, or
 * the one below when the top entries are registers (PAE PDPTEs). */
static inline unsigned pwc_split_top(const struct pg_format *f)
{
	return f->levels - (f->top_in_regs ? 1 : 0);
}

/*
 * Split caches: the deepest level l (2..top) whose entry for @va is cached
 * (the walk resumes at level l - 1), or 0. Counts hits and misses per level
 * in @st (levels probed deepest first, up to the hit) and adds the lookup
 * latency (the probes run in parallel: the largest probed latency) to *lat.
 * @f's top level is not probed when the format keeps it in registers (PAE).
 * *@hit, if @hit is not NULL, gets the entry that hit (or NULL).
 */
unsigned pwc_split_probe(struct pwc *p, const struct pg_format *f, uint64_t va, uint32_t ctx,
			 struct tm_stats *st, uint32_t *lat, const struct tlb_entry **hit);
/* Cache the level-@level entry of the walk of @va (@next: the table it
 * points to). Returns the entry, or NULL (no such cache). What the probe of
 * this walk saw at @level, with nothing filled at @level since, spares the
 * search: @hit, the entry it found; else @missed, it found none. */
const struct tlb_entry *pwc_split_fill(struct pwc *p, const struct pg_format *f, unsigned level,
				       uint64_t va, uint32_t ctx, uint64_t next,
				       const struct tlb_entry *hit, bool missed);

/* Unified: is the entry at physical @pa cached? Counts in pwc_hits[0]. */
bool pwc_unified_probe(struct pwc *p, uint64_t pa, uint32_t ctx, struct tm_stats *st);
/* Cache it, right after a pwc_unified_probe() of @pa and @ctx missed
 * (nothing to search for). */
void pwc_unified_fill(struct pwc *p, uint64_t pa, uint32_t ctx, enum pwc_dim dim);

/* Nested TLB: is the host page of @gpa cached? */
bool pwc_ntlb_probe(struct pwc *p, uint64_t gpa, uint32_t ctx, struct tm_stats *st);
/* @missed: a pwc_ntlb_probe() of @gpa just missed, nothing filled since. */
void pwc_ntlb_fill(struct pwc *p, uint64_t gpa, uint64_t host_page_size, uint32_t ctx,
		   uint64_t hpa, bool missed);

/* Host-dimension PSC: the deepest host level (2..top) cached for @gpa, or
 * 0 (levels are probed from 2 up, to the first hit). Counts one hit or miss
 * per host walk. *@hit: the entry that hit, or NULL. */
unsigned pwc_npwc_probe(struct pwc *p, const struct pg_format *hf, uint64_t gpa, uint32_t ctx,
			struct tm_stats *st, const struct tlb_entry **hit);
/* @hit / @missed: what the probe of this host walk saw at @level, as for
 * pwc_split_fill(); fills of the walk's other levels may come between (a
 * way that no longer holds what hit is searched for as usual). */
void pwc_npwc_fill(struct pwc *p, const struct pg_format *hf, unsigned level, uint64_t gpa,
		   uint32_t ctx, const struct tlb_entry *hit, bool missed);

/* Invalidate guest-dimension entries (split caches, guest entries of the
 * unified cache) matching @mt, and, with @host, the guest-physical ones
 * (nested TLB, host PSC, host entries of the unified cache). Returns how
 * many entries went. */
unsigned pwc_inval(struct pwc *p, const struct tlb_match *mt, bool guest, bool host);

#endif
