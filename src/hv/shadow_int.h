/*
 * Internals of the shadow MMU (shadow.h): shadow pages, their keys, the
 * per-gfn write tracking and reverse map, and the model state.
 */
#ifndef TDPSIM_HV_SHADOW_INT_H
#define TDPSIM_HV_SHADOW_INT_H

#include <glib.h>

#include "hv/shadow.h"
#include "paging/bits.h"
#include "paging/walk.h"

#define HV_SPTES 512

/* Rights accumulated over guest levels (KVM's ACC_*). */
#define HV_ACC_W 1u
#define HV_ACC_U 2u
#define HV_ACC_X 4u
#define HV_ACC_ALL 7u

/*
 * The key a shadow page is cached under, compared whole (KVM's
 * kvm_mmu_page_role plus gfn). Padding is zeroed: keys are memcmp'ed.
 */
struct hv_sp_role {
	uint8_t level;          /* 1 (PT) .. 5 (PML5) */
	uint8_t quadrant;       /* has_4_byte_gpte: which part of the guest table */
	uint8_t access;         /* HV_ACC_* of the guest levels above */
	uint8_t has_4_byte_gpte;/* shadows a 32-bit (2-level) guest table */
	uint8_t direct;         /* maps a guest large page (no guest table) */
	uint8_t cr0_wp, efer_nx, smep_andnot_wp, smap_andnot_wp;
	uint8_t guest_mode;     /* shadows L1's NPT (nested) */
	uint8_t passthrough;    /* level above the guest's top: promoted/dummy */
	uint8_t pae_root;       /* the 4-entry PAE root (seed 000) */
};

struct hv_sp_key {
	uint64_t gfn;
	uint32_t sub;           /* PAE root of a PAE guest: CR3 bits 11:5 */
	struct hv_sp_role role;
};

struct hv_sp;
struct hv_link {
	struct hv_sp *sp;
	uint16_t idx;
};

struct hv_sp {
	struct hv_sp_key key;
	uint64_t hpa;
	uint64_t *spt;          /* HV_SPTES entries */
	struct hv_sp **child;   /* child page of each non-leaf entry, or NULL */
	GArray *parents;        /* struct hv_link: entries that point here */
	uint32_t root_count;    /* held as a current or previous root */
	uint32_t write_flood;   /* emulated writes since the last use */
	uint32_t frame;         /* arena frame index */
	bool unsync, special, hashed, invalid;
	GList *lru;             /* node in hv_model.active */
};

/* Per guest frame: the shadow pages of that gfn (write tracking) and the
 * leaf entries that map it (KVM's rmap). */
struct hv_gfn {
	GPtrArray *sps;         /* indirect pages shadowing this gfn */
	GArray *rmap;           /* struct hv_link */
};

struct hv_root {
	struct hv_sp *sp;       /* NULL: invalid */
	uint64_t pgd;
};

struct hv_model {
	struct hv_params p;
	struct hv_stats st;
	struct tm_model *tm;
	/* The guest tables shadowed: the guest's paging (HV_SHADOW) or L1's
	 * NPT (HV_NESTED), and L2's paging registers (nested). */
	struct pg_mmu gmmu;
	struct pg_regs gregs, l1regs;
	struct pg_accessor gacc;
	struct pg_mmu l2mmu;
	uint8_t glevels;        /* guest table levels: 0 (no paging), 2..5 */
	uint8_t slevels;        /* shadow levels: 3, 4 or 5 */
	const struct pg_format *sfmt;
	struct hv_sp_role base; /* role bits common to every page */
	GHashTable *sps;        /* struct hv_sp_key* -> struct hv_sp* */
	GHashTable *gfns;       /* gfn (uint64 key) -> struct hv_gfn* */
	GPtrArray *frames;      /* arena frame -> struct hv_sp* (or NULL) */
	GArray *free_frames;    /* uint32 */
	GQueue active;          /* creation order, for reclaim */
	GPtrArray *unsync;      /* unsync pages */
	struct hv_root cur;
	struct hv_root prev[HV_PREV_ROOTS_MAX];
	uint64_t max_pages, shadow_bytes_peak;
	/* The functional shadow TLB: 4 KiB translations from the shadow
	 * tables, so that only fills walk them (and are audited). */
	struct hv_tlbe { uint64_t tag, hpa; uint8_t rights; } *tlb;
	unsigned tlb_mask;
	char audit_first[256];
	uint64_t in_switch;     /* syncs are counted against a CR3 switch */
	/* The shadow tables as the hardware walks them: the shadow's paging
	 * context (HV_SHADOW) or nested-paging context (HV_NESTED), over
	 * host-physical memory (the arena and the guest's memslot). */
	struct pg_mmu smmu;
	struct pg_regs sregs;
	struct pg_accessor hacc;
	struct pg_host shost;
	struct pg_accessor l2acc;  /* L2 guest-physical, through the shadow */
	bool no_ad;                /* audit walks: no A/D writes */
	uint8_t exit_now;          /* enum hv_exit the current work is charged to */
};

/* Hypervisor work, in cycles, on top of cost.vmexit [EST: orders of
 * magnitude from KVM's own tracepoint timings; docs/hv-model.md]. */
#define HV_COST_LINK 300        /* get or allocate a shadow page and link it */
#define HV_COST_SYNC_PAGE 2000  /* FNAME(sync_page): re-read 512 guest entries */
#define HV_COST_ROOT 500        /* build a root (special levels included) */
#define HV_COST_REMOTE_FLUSH 1500 /* kvm_flush_remote_tlbs */
void hv__charge(struct hv_model *h, uint64_t cycles);

/* sp.c */
struct hv_sp *hv__sp_get(struct hv_model *h, const struct hv_sp_key *k, bool special);
void hv__sp_zap(struct hv_model *h, struct hv_sp *sp);
void hv__sp_destroy(struct hv_model *h, struct hv_sp *sp);
void hv__link(struct hv_model *h, struct hv_sp *parent, unsigned idx, struct hv_sp *child);
void hv__zap_spte(struct hv_model *h, struct hv_sp *sp, unsigned idx);
void hv__set_leaf(struct hv_model *h, struct hv_sp *sp, unsigned idx, uint64_t spte);
struct hv_gfn *hv__gfn(struct hv_model *h, uint64_t gfn, bool create);
void hv__reclaim(struct hv_model *h);
void hv__write_protect(struct hv_model *h, uint64_t gfn);
GHashTable *hv__sp_table(void);
void hv__flush(struct hv_model *h, bool remote);
uint64_t hv__nonleaf_bits(const struct hv_model *h, const struct hv_sp *parent);

/* shadow_fault.c */
int hv__fault(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl, bool *emulate,
	      uint64_t *gpa);
bool hv__gfn_writable(struct hv_model *h, uint64_t gfn, bool *unsynced);
void hv__guest_write(struct hv_model *h, uint64_t gpa, unsigned size);
bool hv__sync_spte(struct hv_model *h, struct hv_sp *sp, unsigned idx);
unsigned hv__rights_of(const struct hv_model *h, const struct pg_walk *w, unsigned upto);

void hv__top_key(const struct hv_model *h, unsigned level, uint64_t pgd, struct hv_sp_key *k);

/* shadow_root.c */
void hv__switch_root(struct hv_model *h, uint64_t pgd, bool noflush);
void hv__free_root(struct hv_model *h, struct hv_root *r);
struct hv_sp *hv__child_for(struct hv_model *h, unsigned slevel, uint64_t va,
			    const struct pg_walk *w, unsigned *rights);
void hv__sync_roots(struct hv_model *h);
void hv__sync_sp(struct hv_model *h, struct hv_sp *sp);
void hv__invlpg(struct hv_model *h, uint64_t va);
void hv__load_root(struct hv_model *h, bool keep_tlb);

/* hv_model.c */
void hv__exit(struct hv_model *h, enum hv_exit e, uint64_t work_cycles);
int hv__guest_walk(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl,
		   struct pg_walk *w);
unsigned hv__sindex(const struct hv_model *h, unsigned slevel, uint64_t va);

#endif
