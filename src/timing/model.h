/*
 * The timing model: every access of a run (live, replayed or synthetic)
 * goes through the TLB hierarchy, and every miss through the
 * paging-structure caches, the (2D) walk and the cache hierarchy that holds
 * table lines. It counts and charges cycles; it never changes what the
 * guest computes.
 *
 * The feed is three calls: tm_access() per memory access (fetches
 * included), tm_insns() for retired instructions, and tm_event() for paging
 * events (CR writes, INVLPG, INVPCID, INVEPT, INVVPID, VM entry/exit). The
 * same calls serve a live CPU (src/cpu/), a trace replay (src/trace/) and
 * `tdpsim synth`, so all three produce the same statistics for the same
 * stream.
 *
 * The model's walks read the tables through the environment's accessors.
 * They set no A/D bits unless the environment allows it (tm_env.set_ad):
 * guest-visible A/D bits belong to the functional walk, so that a timing
 * configuration can never change guest behaviour. A walk that finds an A or
 * D bit to set is charged a locked update either way.
 */
#ifndef TDPSIM_TIMING_MODEL_H
#define TDPSIM_TIMING_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "paging/nested.h"
#include "paging/tlb.h"
#include "stats.h"

struct tm_model;

/* Access kinds: the same values as enum pg_access. */
enum tm_kind { TM_READ = 0, TM_WRITE = 1, TM_FETCH = 2 };

/* Where the model's walks find the tables. */
struct tm_env {
	const struct pg_cpu *cpu;  /* capabilities for pg_mmu_init (copied) */
	/* Host dimension; NULL: none, guest-physical = host-physical and
	 * @mem reads it. */
	const struct pg_host *host;
	struct pg_accessor mem;
	bool set_ad;               /* the model's walks may set A/D bits */
	/* Optional (NULL: none): the host memory that holds guest-physical
	 * [0, ram_size) when there is no host dimension. Results never come
	 * from it: the model only peeks ahead of a walk to prefetch the line
	 * of the leaf entry the walk will read (model_hint.c). */
	const uint8_t *ram;
	uint64_t ram_size;
};

enum tm_event_kind {
	TM_EV_CR0 = 0,   /* val: new CR0 */
	TM_EV_CR3,       /* val: the operand of MOV to CR3, bit 63 included */
	TM_EV_CR4,       /* val: new CR4 */
	TM_EV_EFER,      /* val: new EFER */
	TM_EV_INVLPG,    /* addr: linear address */
	TM_EV_INVPCID,   /* type 0..3, pcid, addr (SDM Vol. 2A INVPCID) */
	TM_EV_INVEPT,    /* type 1 single-context (val = EPTP), 2 global */
	TM_EV_INVVPID,   /* type 0 address, 1 single, 2 all, 3 single non-global */
	TM_EV_VMEXIT,    /* a VM exit (val: exit reason) */
	TM_EV_VMENTRY,   /* a VM entry */
	TM_EV_PKRU,      /* val: new PKRU (WRPKRU / XRSTOR) */
	TM_EV_MSR,       /* msr: the MSR index, val: the value (IA32_PKRS, EFER) */
	TM_EV_RFLAGS,    /* val: RFLAGS (only AC matters: SMAP, SDM Vol. 3A 4.6) */
};

struct tm_event {
	uint8_t kind;    /* enum tm_event_kind */
	uint8_t type;    /* INVPCID/INVEPT/INVVPID type */
	uint16_t pcid;   /* INVPCID: PCID; INVVPID: VPID */
	uint32_t msr;    /* TM_EV_MSR: the MSR index */
	uint64_t val;
	uint64_t addr;
};

/*
 * Build a model for @cfg in @env (both copied) with the paging registers
 * @regs. Returns 0, or a negative errno with a one-line reason in @why
 * (e.g. registers the CPU model cannot hold).
 */
int tm_model_new(const struct tm_config *cfg, const struct tm_env *env,
		 const struct pg_regs *regs, struct tm_model **out, char *why, unsigned why_len);
void tm_model_free(struct tm_model *m);

/* The start state: the paging registers before anything ran (a LONG64
 * boot enters with paging on). Nothing is counted: the TLBs are empty. */
void tm_set_regs(struct tm_model *m, const struct pg_regs *regs);

/* A VM entry of a PAE guest without EPT loads its PDPTE registers from
 * CR3 again, with no TLB flush (SDM Vol. 3C, "Loading Page-Directory-
 * Pointer-Table Entries" at VM entry): a shadow MMU that changed its PAE
 * root's entries in an exit. The load's references are charged. */
void tm_load_pdptes(struct tm_model *m);

/* What tm_model_new() allocates for @cfg, in bytes (every TLB, walk-cache
 * and cache array; an upper bound): callers check it against a memory
 * budget before building a model. */
uint64_t tm_model_bytes(const struct tm_config *cfg);

/* The VPID (Intel) / ASID (AMD) that tags guest entries; 0 = VPID off
 * (entries are flushed at every VM entry and exit, SDM Vol. 3C 29.1). */
void tm_set_vpid(struct tm_model *m, uint16_t vpid);

/*
 * The hit path's state: the first member of every struct tm_model, so that
 * tm_access() below can decide an L1 hit inline. Read-only outside the
 * model (src/timing/model*.c); use tm_model_stats() for the counters.
 */
struct tm_hot {
	struct tm_stats st;    /* everything but the inline hits below */
	/* Inline L1 4 KiB hits by access kind (tm_model_stats() folds them
	 * into accesses, reads/writes/fetches, tlb_hits and TLB cycles): one
	 * counter per hit keeps the hit path short. */
	uint64_t fast_hits[4];
	/* The 4 KiB array of the L1 DTLB ([0]) and ITLB ([1]) when its set
	 * and way counts are powers of two (at most 64 ways), else NULL (the
	 * slow path then looks up); NULL too while nothing is translated
	 * (CR0.PG=0 without a host dimension). */
	struct tlb_array *fast[2];
	/* The L1D / L1I 2 MiB arrays when they are arrays of their own (not
	 * shared with 4 KiB pages): large-page code and stacks hit inline
	 * too. Same rules as fast[]. */
	struct tlb_array *fast2m[2];
	uint64_t fast_hits2m[4];
	uint32_t ctx;          /* tlb_ctx() of the current PCID, VPID, EP4TA, or
				* tlb_ctx_gphys() with CR0.PG=0 under a host */
	/* allow[kind][user]: bit r set if an entry with rights r (TLB_R_*)
	 * permits the access under the current CR0.WP, CR4.SMEP/SMAP, EFER.NXE
	 * and RFLAGS.AC; [3][*] = 0. */
	uint64_t allow[4][2];
	/* The last inline hit of each access kind (lh: "last hit"), by
	 * enum tm_kind: lh_key its 4 KiB page and user bit (tm__lh_key()),
	 * lh_arr/lh_i the entry that hit, lh_hits its counter. Until
	 * something changes the model (every path that may clears it:
	 * tm__lh_clear()), an access of that kind and CPL class within that
	 * 4 KiB page finds that entry again, allowed: the lowest matching
	 * way of an unchanged set under unchanged rights masks (a 2 MiB hit:
	 * after the same 4 KiB set missed again). So the hit path repeats
	 * only the entry's replacement update and counter. TM_LH_NONE: none. */
	uint64_t lh_key[4];
	struct tlb_array *lh_arr[4];
	uint64_t lh_i[4];
	uint64_t *lh_hits[4];
};

#define TM_LH_NONE UINT64_MAX

/* The last-hit key of an access at @va by a user (CPL 3) or supervisor
 * access: never TM_LH_NONE. */
static inline uint64_t tm__lh_key(uint64_t va, uint8_t cpl)
{
	return (va >> 12) << 1 | (cpl == 3);
}

static inline void tm__lh_set(struct tm_hot *h, unsigned k, uint64_t key, struct tlb_array *a,
			      uint64_t i, uint64_t *hits)
{
	h->lh_key[k] = key;
	h->lh_arr[k] = a;
	h->lh_i[k] = i;
	h->lh_hits[k] = hits;
}

/* The out-of-line rest of tm_access(); internal. */
void tm__access_slow(struct tm_model *m, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl);

/*
 * One memory access of @size bytes at linear address @va (an access that
 * crosses a 4 KiB boundary is two lookups). @kind is enum tm_kind (other
 * values are ignored); @cpl 3 is a user-mode access. The hit path: one set
 * of the L1 4 KiB array, every way's current-context key (tlb.h: fkey)
 * compared into a bit mask with no branch per way, the lowest hit's cached
 * rights tested against a precomputed mask, the replacement update and one
 * counter. No allocation, hashing or branching on the paging mode; the
 * branches left (crossing, hit, allowed) are predictable on a hit stream.
 */
static inline void tm_access(struct tm_model *m, uint64_t va, uint8_t size, uint8_t kind,
			     uint8_t cpl)
{
	struct tm_hot *h = (struct tm_hot *)m;
	unsigned k = kind & 3;
	uint64_t key = tm__lh_key(va, cpl);
	bool within = (va & 0xfff) + size <= 0x1000;

	/* (Other kinds, ignored by the model, never use or set it.) */
	if (kind <= TM_FETCH && key == h->lh_key[kind] && within) {
		tlb_array_touch(h->lh_arr[k], h->lh_i[k]);
		(*h->lh_hits[k])++;
		return;
	}
	struct tlb_array *a = h->fast[kind == TM_FETCH];
	uint64_t allow = h->allow[k][cpl == 3];

	if (a && within) {
		uint64_t vpn = va >> 12, tag = vpn << 2; /* tlb_tag(va, TM_4K) */
		uint64_t base = (vpn & a->set_mask) << a->way_shift; /* fast: ways 2^k */
		uint64_t hit = tlb_array_fmatch(a, base, tag);

		if (hit) {
			uint64_t i = base + (uint64_t)__builtin_ctzll(hit);

			if ((allow >> a->e[i].rights) & 1) {
				tlb_array_touch(a, i);
				h->fast_hits[k]++;
				if (kind <= TM_FETCH)
					tm__lh_set(h, k, key, a, i, &h->fast_hits[k]);
				return;
			}
		} else if ((a = h->fast2m[kind == TM_FETCH]) != NULL) {
			/* Within the 4 KiB page, so within its 2 MiB page. */
			uint64_t vpn2 = va >> 21, tag2 = (vpn2 << 2) | TM_2M;
			uint64_t base2 = (vpn2 & a->set_mask) << a->way_shift;
			uint64_t hit2 = tlb_array_fmatch(a, base2, tag2);

			if (hit2) {
				uint64_t i = base2 + (uint64_t)__builtin_ctzll(hit2);

				if ((allow >> a->e[i].rights) & 1) {
					tlb_array_touch(a, i);
					h->fast_hits2m[k]++;
					if (kind <= TM_FETCH)
						tm__lh_set(h, k, key, a, i,
							   &h->fast_hits2m[k]);
					return;
				}
			}
		}
	}
	tm__access_slow(m, va, size, kind, cpl);
}

/* @n instructions retired (base CPI). */
void tm_insns(struct tm_model *m, uint64_t n);

/* A paging event; the model applies the manual's invalidation rules and
 * updates its paging registers. */
void tm_event(struct tm_model *m, const struct tm_event *ev);

/*
 * A walk as the model costed it, for observers (the golden writer,
 * src/trace/golden.c): the engine's result, every table reference in the
 * order the hardware makes it, and where each was served.
 */
enum tm_ref_fate {
	TM_REF_L1D = 0, TM_REF_L2, TM_REF_LLC, TM_REF_MEM, /* enum tm_mem_level */
	TM_REF_SKIPPED,  /* a PSC, nested-TLB, host-PSC or PWC hit made it unneeded */
	TM_REF_AD,       /* an A/D update the model charged */
	TM_REF_AD_SKIPPED,
};

struct tm_walk_info {
	uint64_t va;
	uint8_t kind, cpl;
	const char *bad_state;          /* non-NULL: the paging registers were
					 * invalid (no walk made), and why */
	int rc;                         /* pg_walk2d(): 0, or a negative errno */
	const struct pg_walk2d *r;      /* valid when rc == 0 and !bad_state */
	const struct pg_ref_log *log;   /* the references (log->n of them) */
	const uint8_t *fate;            /* enum tm_ref_fate per log record */
	uint32_t refs, skipped;         /* references charged / saved */
	uint64_t cycles;                /* walk cycles charged */
};

/* Call @fn(@opaque, info) at the end of every walk (NULL: none). It runs on
 * the model's miss path only; it must not call back into @m. */
typedef void (*tm_walk_fn)(void *opaque, const struct tm_walk_info *w);
void tm_set_walk_hook(struct tm_model *m, tm_walk_fn fn, void *opaque);

/* The counters (a snapshot, valid until the next call on @m) and the
 * configuration the model runs. */
const struct tm_stats *tm_model_stats(const struct tm_model *m);
const struct tm_config *tm_model_config(const struct tm_model *m);

/* Statistics. The JSON keys are a stable interface (docs/stats.md). */
/* TM_FMT_TEXT is the whole table; TM_FMT_SHORT the figures a first look
 * needs (tm_stats_brief()), the commands' default text. */
enum tm_format { TM_FMT_TEXT = 0, TM_FMT_JSON, TM_FMT_CSV, TM_FMT_SHORT };
int tm_stats_write(const struct tm_model *m, FILE *f, enum tm_format fmt);

struct _JsonBuilder;
/* Add the statistics as members of the JSON object @b has open. */
void tm_stats_json(const struct tm_model *m, struct _JsonBuilder *b);

#endif
