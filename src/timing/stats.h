/*
 * The timing model's counters. Plain integers, bumped on the hot path; the
 * output (stats.c) walks a table of {stable key, offset} descriptors, so a
 * new counter is one field here and one row there.
 *
 * Stable JSON keys (docs/stats.md) are flat strings with dots:
 * "accesses", "instructions", "cycles", "walks", "walk_refs",
 * "tlb.l1d.hits", "tlb.l1d.misses", "tlb.stlb.hits", "tlb.stlb.misses",
 * "flushes", ...
 */
#ifndef TDPSIM_TIMING_STATS_H
#define TDPSIM_TIMING_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Page sizes, as TLB entries hold them: 4 KiB, 2 MiB, 1 GiB. A 4 MiB page
 * of 32-bit paging is held as the 2 MiB half that was accessed, and a guest
 * page larger than its host page is splintered to the host page size. */
enum tm_size { TM_4K = 0, TM_2M, TM_1G, TM_NSIZES };

/* TLB levels. */
enum tm_tlb_level { TM_L1I = 0, TM_L1D, TM_STLB, TM_NTLB_LEVELS };

/* Why entries were flushed. */
enum tm_flush_cause {
	TM_FL_CR3 = 0,        /* MOV to CR3 (non-global entries of the PCID) */
	TM_FL_CR3_NOFLUSH,    /* MOV to CR3 with bit 63 set: nothing flushed */
	TM_FL_CR4_PGE,        /* CR4.PGE toggled: everything */
	TM_FL_CR4_PCIDE,      /* CR4.PCIDE cleared: everything */
	TM_FL_CR0_PG,         /* CR0.PG 1->0, CR4.PAE change, CR4.SMEP 0->1 */
	TM_FL_INVLPG,
	TM_FL_INVPCID0,       /* individual address */
	TM_FL_INVPCID1,       /* single context */
	TM_FL_INVPCID2,       /* all contexts, globals included */
	TM_FL_INVPCID3,       /* all contexts, globals kept */
	TM_FL_INVEPT,
	TM_FL_INVVPID,
	TM_FL_VMX,            /* VM entry/exit with VPID/ASID off */
	TM_FL_NCAUSES
};

/* Where a table line was found. */
enum tm_mem_level { TM_ML_L1D = 0, TM_ML_L2, TM_ML_LLC, TM_ML_MEM, TM_NML };

/* Cycle categories. */
enum tm_cyc { TM_CY_BASE = 0, TM_CY_TLB, TM_CY_WALK, TM_CY_AD, TM_CY_VMEXIT, TM_CY_FLUSH, TM_NCY };

#define TM_HIST_MAX 40 /* refs-per-walk histogram: 0..39, and 40 = "40 or more" */

struct tm_stats {
	uint64_t accesses, reads, writes, fetches; /* in enum tm_kind order */
	uint64_t instructions;
	/* Per TLB level: hits by the page size of the entry that hit; misses
	 * by the page size the walk then found (a miss that ends in a fault
	 * counts in misses_fault). */
	uint64_t tlb_hits[TM_NTLB_LEVELS][TM_NSIZES];
	uint64_t tlb_misses[TM_NTLB_LEVELS][TM_NSIZES];
	uint64_t tlb_misses_fault[TM_NTLB_LEVELS];
	/* Walks (one per STLB miss), references that reached the cache
	 * hierarchy, references skipped thanks to a paging-structure-cache
	 * or nested-TLB hit, and walks that ended in a fault. */
	uint64_t walks, walk_refs, walk_refs_skipped, walk_faults;
	uint64_t walk_guest_refs, walk_host_refs;
	/* Misses while the paging registers were a state pg_mmu_init refuses
	 * (counted as faulted walks too). */
	uint64_t walks_bad_state;
	uint64_t walk_hist[TM_HIST_MAX + 1];
	/* Paging-structure caches: split per level of the cached entry (2..5),
	 * unified in [0]. */
	uint64_t pwc_hits[6], pwc_misses[6];
	uint64_t ntlb_hits, ntlb_misses;     /* nested TLB (GPA -> HPA) */
	uint64_t npwc_hits, npwc_misses;     /* host-dimension PWC */
	uint64_t ad_updates;
	uint64_t flushes[TM_FL_NCAUSES];
	uint64_t line_hits[TM_NML];          /* table references by where the line was */
	uint64_t vmexits;
	uint64_t cycles[TM_NCY];
};

/* @out = @b - @a, counter by counter: the statistics of what happened
 * between two snapshots of the same model (every counter is additive). */
void tm_stats_sub(struct tm_stats *out, const struct tm_stats *b, const struct tm_stats *a);

/* Output without a model (stats.c; tm_stats_write and tm_stats_json in
 * model.h are these on tm_model_stats()). @name: the CPU model's name,
 * written as "config" (NULL: omitted). */
struct _JsonBuilder;
int tm_stats_fprint(const struct tm_stats *s, const char *name, FILE *f, int fmt);
void tm_stats_build_json(const struct tm_stats *s, const char *name, struct _JsonBuilder *b);

/*
 * Print the value @b has built, pretty with an indent of two spaces and a
 * final newline, on @f: the one JSON printer of the statistics and of the
 * subcommands that wrap them. @b stays the caller's. 0, or -EIO.
 */
int tm_stats_print_builder(struct _JsonBuilder *b, FILE *f);

/* Whether @key is one of the short form's figures (TM_FMT_SHORT). */
bool tm_stats_brief(const char *key);

/* The @i-th output key in output order ("walk_hist.N" included), or NULL
 * past the last. */
const char *tm_stats_key(unsigned i);

/* The @i-th output key and its value: an integer (*@is_int, in *@u) or a
 * ratio (in *@d). False past the last. */
bool tm_stats_get(const struct tm_stats *s, unsigned i, const char **key, bool *is_int,
		  uint64_t *u, double *d);

#endif
