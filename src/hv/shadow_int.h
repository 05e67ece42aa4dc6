/*
 * Internals of the shadow MMU (shadow.h): shadow pages, their keys, the
 * per-gfn write tracking and reverse map, and the model state.
 */
#ifndef TDPSIM_HV_SHADOW_INT_H
#define TDPSIM_HV_SHADOW_INT_H

#include <glib.h>

#include "hv/role.h"
#include "hv/shadow.h"
#include "hv/table.h"
#include "paging/bits.h"
#include "paging/walk.h"

#define HV_SPTES 512

/* KVM's MMIO SPTE (mark_mmio_spte): a leaf with a physical-address bit
 * above MAXPHYADDR set, reserved (SDM Vol. 3A 4.5.4), so that an access
 * through it is a #PF with PFEC.RSVD that handle_mmio_page_fault()
 * emulates without walking the guest. Not in any rmap (KVM's aren't). */
#define HV_SPTE_MMIO BIT64(51)

/*
 * Shadow pages are the table objects of hv/table.h (struct hv_table, in
 * the model's struct hv_tables), keyed by (guest table GPA, union hv_role):
 * the gpa of the guest table shadowed (a PAE guest's root: CR3 bits 31:5;
 * a direct page: the first address of its range). Roles come only from
 * hv/role.h: the root's from hv_shadow_root_role() or hv_npt_shadow_roles()
 * over explicit registers, every other from hv_role_child() of its
 * parent's. A page allocated unhashed is one KVM would keep as a per-vCPU
 * special root (pae_root, pml4_root, pml5_root): hv__special().
 */

/* Per guest frame: the shadow pages of that gfn (write tracking) and the
 * leaf entries that map it, by entry HPA (KVM's rmap). */
struct hv_gfn {
	GPtrArray *sps;         /* struct hv_table *: indirect pages shadowing this gfn */
	GArray *rmap;           /* uint64_t: HPAs of leaf entries mapping it */
};

struct hv_root {
	struct hv_table *sp;    /* pinned; NULL: invalid */
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
	union hv_cpu_role cpu;  /* the context the guest tables are walked in */
	union hv_role root_role;/* the role of a root page (level slevels) */
	struct cpu_ram hram;    /* host-physical memory of the shadow pages */
	struct hv_tables ts;    /* the shadow pages */
	GHashTable *gfns;       /* gfn (uint64 key) -> struct hv_gfn* */
	GQueue active;          /* hashed pages in creation order, for reclaim
				 * (each page's priv is its node) */
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
	uint64_t outcome;          /* hv_model_outcome() */
	uint8_t exit_now;          /* enum hv_exit the current work is charged to */
	/* Guest-physical page -> 1 + the linear page last translated to it
	 * (hv_xlate): the linear address of an MMIO access (TRC_EV_MMIO
	 * names only its GPA), for its shadow fault. */
	GHashTable *la_of;
};

/* Hypervisor work, in cycles, on top of cost.vmexit [EST: orders of
 * magnitude from KVM's own tracepoint timings; docs/hv-model.md]. */
#define HV_COST_LINK 300        /* get or allocate a shadow page and link it */
#define HV_COST_SYNC_PAGE 2000  /* FNAME(sync_page): re-read 512 guest entries */
#define HV_COST_ROOT 500        /* build a root (special levels included) */
#define HV_COST_REMOTE_FLUSH 1500 /* kvm_flush_remote_tlbs */
void hv__charge(struct hv_model *h, uint64_t cycles);

/* sp.c */
static inline bool hv__special(const struct hv_table *t)
{
	return !t->hashed && !t->zapped;
}
static inline uint64_t hv__entry(const struct hv_table *t, unsigned idx)
{
	return t->hpa + (uint64_t)idx * 8;
}
uint64_t hv__spte(const struct hv_model *h, const struct hv_table *t, unsigned idx);
void hv__spte_set(struct hv_model *h, const struct hv_table *t, unsigned idx, uint64_t e);
struct hv_table *hv__child(const struct hv_model *h, const struct hv_table *t, unsigned idx);
struct hv_table *hv__sp_get(struct hv_model *h, const struct hv_key *k, bool special);
void hv__sp_zap(struct hv_model *h, struct hv_table *sp);
void hv__link(struct hv_model *h, struct hv_table *parent, unsigned idx, struct hv_table *child);
void hv__zap_spte(struct hv_model *h, struct hv_table *sp, unsigned idx);
void hv__set_leaf(struct hv_model *h, struct hv_table *sp, unsigned idx, uint64_t spte);
struct hv_gfn *hv__gfn(struct hv_model *h, uint64_t gfn, bool create);
void hv__reclaim(struct hv_model *h);
void hv__write_protect(struct hv_model *h, uint64_t gfn);
void hv__flush(struct hv_model *h, bool remote);
uint64_t hv__nonleaf_bits(const struct hv_model *h, const struct hv_table *parent);
int hv__sp_store_init(struct hv_model *h);
void hv__sp_store_free(struct hv_model *h);

/* shadow_fault.c */
int hv__fault(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl, bool *emulate,
	      uint64_t *gpa);
/* The same for an access to MMIO at @va: the leaf is an MMIO SPTE (none
 * when MAXPHYADDR leaves no reserved bit: KVM's MMIO caching is off), the
 * exit a hidden #PF with the emulation. 1 if the guest faults. */
int hv__mmio_fault(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl);
bool hv__gfn_writable(struct hv_model *h, uint64_t gfn, bool *unsynced);
void hv__guest_write(struct hv_model *h, uint64_t gpa, unsigned size);
bool hv__sync_spte(struct hv_model *h, struct hv_table *sp, unsigned idx);
unsigned hv__rights_of(const struct hv_model *h, const struct pg_walk *w, unsigned upto);

void hv__top_key(const struct hv_model *h, unsigned level, uint64_t pgd, struct hv_key *k);

/* shadow_root.c */
void hv__switch_root(struct hv_model *h, uint64_t pgd, bool noflush);
void hv__free_root(struct hv_model *h, struct hv_root *r);
struct hv_table *hv__child_for(struct hv_model *h, const struct hv_table *parent,
			       unsigned slevel, uint64_t va, const struct pg_walk *w);
void hv__sync_roots(struct hv_model *h);
void hv__sync_sp(struct hv_model *h, struct hv_table *sp);
void hv__invlpg(struct hv_model *h, uint64_t va);
void hv__load_root(struct hv_model *h, bool keep_tlb);

/* hv_model.c */
void hv__exit(struct hv_model *h, enum hv_exit e, uint64_t work_cycles);
int hv__guest_walk(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl,
		   struct pg_walk *w);
unsigned hv__sindex(const struct hv_model *h, unsigned slevel, uint64_t va);

#endif
