/*
 * The timing model's state, shared by its files: model.c (set-up, the
 * access slow path), model_walk.c (the costed walk) and model_event.c
 * (paging events and the manuals' invalidation rules).
 */
#ifndef TDPSIM_TIMING_MODEL_INT_H
#define TDPSIM_TIMING_MODEL_INT_H

#include "cache.h"
#include "model.h"
#include "paging/pwc.h"
#include "paging/tlb.h"

/* An accessor stacked on an environment accessor: with set_ad false an A/D
 * update becomes a read, and the walker sees the value it would have
 * written (model.h: the model never changes guest-visible state). */
struct tm_acc {
	struct pg_accessor inner;
	bool set_ad;
};

struct tm_model {
	struct tm_hot hot; /* first: tm_access() casts */
	struct tm_config cfg;
	struct pg_cpu cpu;
	bool has_host;
	const uint8_t *ram;      /* env.ram (hints only), NULL with a host dimension */
	uint64_t ram_size;
	struct tm_acc guest_acc, host_acc;
	struct pg_host host;     /* env.host with host_acc as memory */
	struct pg_nested nested;
	struct pg_ref_log log;
	/* Paging state. */
	struct pg_regs regs;
	struct pg_mmu mmu;
	bool mmu_ok;             /* pg_mmu_init accepted regs (and the PDPTEs loaded) */
	const char *bad_why;     /* !mmu_ok: why (a static string) */
	bool paging;             /* CR0.PG=1 */
	uint16_t pcid, vpid;
	uint8_t ept_id;          /* 1 with a host dimension, else 0 */
	uint64_t ep4ta;          /* the host root (EPTP bits 51:12) */
	/* Base CPI: instructions x cpi, the fraction kept in the product. */
	long double cpi;
	/* Caches. */
	struct tlb_level tlb[TM_NTLB_LEVELS];
	struct pwc pwc;
	struct tm_cache cache;
	/* tm_model_stats(): hot.st with the inline hits folded in. */
	struct tm_stats out;
	uint32_t fast_lat[2];    /* latency of the L1D / L1I 4 KiB array */
	uint32_t fast_lat2m[2];  /* latency of the L1D / L1I 2 MiB array */
	/* The walk observer (tm_set_walk_hook) and the fate of each record of
	 * log (enum tm_ref_fate), written by every costed walk. */
	tm_walk_fn walk_hook;
	void *walk_hook_opaque;
	uint8_t fate[PG_REFLOG_MAX];
	/* Walk resumption (model_memo.c): a memo per split-PSC entry, and the
	 * generation of mmu (bumped whenever tm__rebuild() remakes it). */
	struct tm_psc_memo *memo[PG_LEVELS_MAX + 1];
	uint64_t mmu_gen;
	uint64_t resumed;        /* walks that resumed (tests; not a statistic) */
};

/* Forget the inline path's last hits (model.h, struct tm_hot): before
 * anything that may fill, invalidate or re-tag a TLB array, or change the
 * rights masks or the fast arrays. */
static inline void tm__lh_clear(struct tm_model *m)
{
	for (unsigned k = 0; k < 4; k++)
		m->hot.lh_key[k] = TM_LH_NONE;
}

/*
 * What a split-PSC entry was filled from (model_memo.c): the upper levels
 * of the walk that filled it and the log records reading them made, so that
 * a later walk that hits the entry can resume below it (pg_walk2d_from())
 * once every one of those entries has been re-read and found unchanged.
 */
#define TM_MEMO_RECS 24
struct tm_memo_host {
	const struct pg_mmu *hm; /* the host table the group walked */
	uint64_t root, eptp, walk_gpa, cr4, efer;
	uint8_t rec;             /* the group's first record */
};
struct tm_psc_memo {
	uint64_t gen;            /* tm_model.mmu_gen when made; 0: none */
	uint64_t tag;            /* the PSC entry's tag and context */
	uint32_t ctx;
	uint8_t nlevels, nrec, nhost;
	uint16_t grefs;          /* guest reads among the records */
	struct pg_walk_level lvl[PG_LEVELS_MAX];
	struct pg_ref_rec rec[TM_MEMO_RECS];
	uint8_t size[TM_MEMO_RECS];
	struct tm_memo_host host[PG_LEVELS_MAX];
};

/* Memos of host walks (nested.h struct pg_host_memo), with a host
 * dimension: direct-mapped tables of 1 << TM_HMEMO_BITS page and as many
 * region memos. */
#define TM_HMEMO_BITS 8

/* A walk's outcome as the TLB needs it. */
struct tm_walk_out {
	bool fault;
	unsigned size;     /* enum tm_size the entry is cached as */
	unsigned oshift;   /* log2 of the guest page size */
	bool global;
	uint8_t rights;    /* TLB_R_* */
};

/* model_walk.c: walk @va with the engine, charge its references. */
void tm__walk(struct tm_model *m, uint64_t va, uint8_t kind, uint8_t cpl,
	      struct tm_walk_out *out);
/* model_walk.c: charge the references in m->log (PDPTE loads). */
void tm__charge_log(struct tm_model *m);

/* The host table that translates @gpa, and the address it walks
 * (*@walk_gpa: TDX strips the shared bit); NULL: none maps it. */
static inline const struct pg_mmu *tm__host_mmu(const struct tm_model *m, uint64_t gpa,
						uint64_t *walk_gpa)
{
	*walk_gpa = gpa;
	return m->host.select ? m->host.select(m->host.opaque, gpa, walk_gpa) : m->host.mmu;
}

/* model_memo.c: allocate / free the memos of the split PSCs; the bytes
 * tm__memo_alloc() takes for @c. */
int tm__memo_alloc(struct tm_model *m);
void tm__memo_free(struct tm_model *m);
uint64_t tm__memo_bytes(const struct tm_config *c);
/* model_memo.c: @e (split-PSC level @level) hit for the walk about to be
 * made: fill @start to resume below it if its memo still holds, and return
 * true; false: walk from the root. */
bool tm__memo_start(struct tm_model *m, unsigned level, const struct tlb_entry *e,
		    struct pg_walk2d_start *start);
/* model_memo.c: the walk in m->log, @w its guest walk, filled @e (level
 * @level, w->lvl[@i]): remember what it was filled from. */
void tm__memo_record(struct tm_model *m, unsigned level, const struct tlb_entry *e,
		     const struct pg_walk *w, unsigned i);

/* model_hint.c: the walk of @va about to be made resumes below split-PSC
 * level @level (0: from the root) whose entry @e hit: prefetch the line of
 * the leaf entry it will read. Reads RAM (m->ram) only; no model state. */
void tm__prefetch_leaf(const struct tm_model *m, uint64_t va, unsigned level,
		       const struct tlb_entry *e);

/* model_event.c: rebuild the pg_mmu from m->regs; @load_pdptes as MOV to
 * CR3 and the mode-changing MOVs do. */
void tm__rebuild(struct tm_model *m, bool load_pdptes);
/* model_event.c: recompute the context tag (PCID, VPID, EP4TA). */
void tm__update_ctx(struct tm_model *m);

#endif
