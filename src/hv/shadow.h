/*
 * The hypervisor's shadow MMU, as a consumer of the feed: the same three
 * calls as the timing model (hv_access, hv_insns, hv_event) drive it from a
 * live run, a replay or `synth`.
 *
 * Two kinds of shadowing share one engine:
 * - HV_SHADOW: shadow paging. Shadow tables map guest-linear addresses
 *   straight to host-physical ones; they shadow the guest's page tables
 *   (any guest mode; 32-bit guests run on a PAE shadow with quadrants).
 * - HV_NESTED: nested shadow NPT. An L1 hypervisor gives its L2 guest an
 *   NPT in the format L1's own CR4/EFER select (2-level, PAE or 4-level);
 *   L0 shadows it in its own format (PAE for a 32-bit L0, 4- or 5-level),
 *   mapping L2 guest-physical addresses to host-physical ones. A "CR3
 *   switch" is then L1's VMRUN with a new nCR3.
 *
 * Guest tables are write-protected; a guest write to one is a VM exit that
 * is emulated and zaps the shadow entries it changes (or, under the unsync
 * policy, leaf tables go unsync and are synced at CR3 writes and INVLPG).
 * Every root, the PAE root and the levels above a shorter guest included,
 * is a shadow-page object with a complete role; the strategy (strategy.h)
 * decides which of them KVM would have kept as per-vCPU "special" roots,
 * freed and rebuilt on every switch.
 *
 * The model never changes what the guest computes: it reads guest memory
 * and, only when the driver allows it (synth owns its tables), sets the
 * guest's A/D bits as the hardware walk would.
 *
 * Host-physical layout: guest-physical address g lives at HV_SLOT_BASE + g
 * (one memslot), shadow pages (hv/table.h objects keyed by guest table GPA
 * and union hv_role) in a region at HV_ARENA_BASE, below 4 GiB because a
 * PAE root must be (KVM allocates pae_root with GFP_DMA32).
 */
#ifndef TDPSIM_HV_SHADOW_H
#define TDPSIM_HV_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/ram.h"
#include "hv/strategy.h"
#include "paging/mmu.h"
#include "timing/config.h"
#include "timing/model.h"

/* The shadow pages' region starts at 16 MiB: any multiple of the largest
 * cache way gives the same cache sets. It holds 4 x max_pages pages (at
 * least HV_ARENA_MIN_PAGES): pages past max_pages are reclaimed only when
 * a root is built, so more may live for a while; a full region zaps every
 * page that is no root (counted as reclaimed). */
#define HV_ARENA_BASE UINT64_C(0x1000000)
#define HV_ARENA_MIN_PAGES UINT64_C(4096)
#define HV_SLOT_BASE UINT64_C(0x100000000)

/* HV_TDP: the TDP MMU of hv/tdp_model.h, built by hv/feed.h from the
 * same params (strat, audit, cpu, gram, set_ad, cfg, tdp_*). */
enum hv_kind { HV_SHADOW = 0, HV_NESTED, HV_TDP };

struct hv_params {
	uint8_t kind;              /* enum hv_kind */
	struct hv_strategy strat;
	bool unsync;               /* leaf shadow pages may go unsync */
	bool audit;                /* check every shadow translation fill */
	/* L0's paging levels: 3 (a 32-bit PAE host), 4 or 5. HV_SHADOW of a
	 * 64-bit guest uses the guest's own level, of a 32-bit guest PAE. */
	uint8_t host_levels;
	struct pg_cpu cpu;
	struct cpu_ram *gram;      /* guest-physical memory (L1's, nested) */
	bool set_ad;               /* the model's guest walks may set A/D */
	/* Shadow pages at most (KVM's n_max_mmu_pages); 0: KVM's default,
	 * 20 per 1000 guest pages, at least 64. */
	uint64_t max_pages;
	const struct tm_config *cfg; /* costs, and the timing model's CPU */
	uint8_t tdp_host;          /* HV_TDP: enum hv_host_kind (npt2..ept5) */
	bool tdp_normalise;        /* HV_TDP: roles fix CR0.WP, EFER.NXE (seed 003) */
};

struct hv_model;

/*
 * A model for guest paging registers @regs (HV_SHADOW: the guest's; nested:
 * L2's) and, for HV_NESTED, L1's registers @l1 at VMRUN (the NPT format and
 * the role come from them only, seed 002) with nCR3 in l1->cr3. 0, or
 * -EINVAL/-ENOMEM with a one-line reason in @why.
 */
int hv_model_new(const struct hv_params *p, const struct pg_regs *regs,
		 const struct pg_regs *l1, struct hv_model **out, char *why, unsigned why_len);
void hv_model_free(struct hv_model *h);

/* One guest access (HV_SHADOW: linear; HV_NESTED: L2 linear, walked
 * through L2's tables whose addresses are L2 guest-physical). */
void hv_access(struct hv_model *h, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl);
void hv_insns(struct hv_model *h, uint64_t n);
/* The guest's own translation of @va for an access raised @vector (0:
 * none; the feed's TRC_EV_XLATE): a #PF exits to the shadow MMU first,
 * which injects it (exits.pf_injected). Under audit, a shadow that
 * translates it is a mismatch, as is (hv_access) a stream access, which
 * the guest completed, that the shadow faults. One without a fault notes
 * which linear page reaches its guest-physical page (for hv_mmio). */
void hv_xlate(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl, uint8_t vector);
/* A paging event (TM_EV_CR3, TM_EV_INVLPG, ...). HV_NESTED: TM_EV_VMENTRY
 * with val = the new nCR3 is L1's VMRUN of another L2 context. */
void hv_event(struct hv_model *h, const struct tm_event *ev);
/* The guest made an access (@write, at @cpl) at guest-physical @gpa that
 * no RAM backs (TRC_EV_MMIO): the hypervisor emulates it, one VM exit per
 * access. Under shadow paging KVM's MMIO caching: the first access through
 * a linear page is a shadow fault (exits.pf_hidden) that links the
 * missing levels and leaves an MMIO SPTE (a reserved bit set,
 * mark_mmio_spte), and every later access through it is a #PF with RSVD
 * that handle_mmio_page_fault() emulates without a guest walk
 * (exits.mmio); each with the emulation's cost. The linear page is the one
 * last translated to @gpa's page (hv_xlate); with none known, the access
 * is counted as exits.mmio. */
void hv_mmio(struct hv_model *h, uint64_t gpa, bool write, uint8_t cpl);

/* The hypervisor's work to emulate one access to MMIO (decode, device,
 * write-back) [EST, as an emulated write to a guest table]. */
#define HV_COST_MMIO_EMULATE 2500

/* Exit reasons counted (hv_stats.exits[]). */
enum hv_exit {
	HV_EXIT_CR3 = 0,   /* MOV to CR3 (or VMRUN with a new nCR3) */
	HV_EXIT_INVLPG,
	HV_EXIT_PF_HIDDEN, /* shadow fault fixed by the hypervisor */
	HV_EXIT_PF_INJECT, /* guest fault: #PF (nested: #NPF) injected */
	HV_EXIT_WP,        /* write to a write-protected guest table: emulated */
	HV_EXIT_NPF,       /* EPT violation / #NPF of the host dimension (TDP) */
	HV_EXIT_MAPGPA,
	HV_EXIT_MODE,      /* CR0/CR4/EFER write that changes the MMU role */
	HV_EXIT_MMIO,      /* an access to an MMIO SPTE: emulated (handle_mmio_page_fault) */
	HV_NEXITS
};

struct hv_stats {
	uint64_t root_switches, current_root_hits, prev_root_hits, root_misses;
	uint64_t roots_allocated, roots_freed, special_roots_built;
	uint64_t sp_allocated, sp_live, sp_live_peak, sp_zapped, sp_recycled;
	uint64_t sp_synced, sp_unsynced, sp_reclaimed;
	uint64_t syncs_at_switch;   /* unsync pages synced at CR3 switches */
	uint64_t wp_exits, emulations, write_flooding_zaps;
	uint64_t exits[HV_NEXITS];
	uint64_t exit_cycles[HV_NEXITS];
	uint64_t flush_local, flush_remote;
	uint64_t audit_checks, audit_mismatches;
	uint64_t accesses, instructions;
	uint64_t hv_cycles;          /* exits and hypervisor work */
};

const struct hv_stats *hv_model_stats(struct hv_model *h);
/* The timing model over the shadow tables (cycles, TLB, walks). */
const struct tm_model *hv_model_tm(const struct hv_model *h);
/* Bytes of shadow-page memory now, and at the peak. */
uint64_t hv_model_shadow_bytes(const struct hv_model *h);

/* The first mismatch the audit found, as one line ("" if none). */
const char *hv_model_audit_first(const struct hv_model *h);

const char *hv_exit_name(enum hv_exit e);

/*
 * A hash of every guest-visible outcome so far: for each access its
 * address, kind, and the host-physical address it reached or how it
 * ended (guest fault, emulated write). Runs that must not differ in what
 * the guest computes (two strategies; seed 002's ambient vCPU state) give
 * equal hashes.
 */
uint64_t hv_model_outcome(const struct hv_model *h);

struct hv_tables;
struct hv_table;
/* The shadow pages (hv/table.h), for dumps and checks. */
const struct hv_tables *hv_model_tables(const struct hv_model *h);
/* Root @i: 0 the current one, 1.. the previous roots; NULL if none. */
const struct hv_table *hv_model_root(const struct hv_model *h, unsigned i);

/*
 * The current root, top level down to the first level that shadows a
 * guest table, as text ("pml4_root(special) > pae_root(special) > 4 x PD"),
 * into @buf; *special and *promoted say whether any level is a special
 * root or a promoted (passthrough) page.
 */
void hv_model_root_shape(const struct hv_model *h, char *buf, unsigned len, bool *special,
			 bool *promoted);

#endif
