/*
 * TDX-style shared GPA bit (seed 001): one guest-physical address bit, the
 * shared bit, selects which of two EPTs translates a GPA.
 *
 *   GPAW 48: shared bit 47, 4-level secure and shared EPTs;
 *   GPAW 52: shared bit 51, 5-level secure and shared EPTs.
 *
 * A GPA with the shared bit clear (private alias) goes through the secure
 * EPT; with the bit set (shared alias) through the shared EPT, walked with
 * the full GPA, shared bit included (the hardware indexes the shared EPT by
 * it, as KVM's aliasing does). The memory slot is found by stripping the
 * bit: a GFN never contains it. Each GFN of the slot is private or shared,
 * never both: only the matching root may hold a leaf for it, so an access
 * through the other alias is an EPT violation (not present), which the walk
 * reports as data.
 *
 * Each root's tables are the hypervisor's table objects (hv/table.h), one
 * struct hv_tables per root over its own region, the roots keyed by TDP
 * role (hv/role.h): the secure root's tables are the mirror ones
 * (role.mirror), the shared root's are not.
 *
 * Conversion (TDG.VP.VMCALL<MapGPA>, GHCI 1.0 3.2) zaps the leaf of the
 * other root (hv_zap_range, KVM's kvm_tdp_mmu_zap_leafs), flushes that
 * alias through a hook when a leaf was there (the live CPU and a replay
 * lane flush Unicorn's TLB and feed the flush to the timing model, whose
 * TLB and paging-structure caches drop every EPT-derived translation),
 * changes the state and maps the new alias. Conversions, zapped leaves,
 * flushes and the hypervisor's cycles for them are counted.
 *
 * struct hv_tdx is plain state the caller embeds (the hypervisor model owns
 * it): no globals, host RAM is the caller's.
 *
 * What is not modelled: pending private pages and TDG.MEM.PAGE.ACCEPT, the
 * loss of private content on conversion (both aliases are backed by the
 * same slot page here, as one memslot without guest_memfd), large pages,
 * and the TDX module's #VE conversion of EPT violations.
 */
#ifndef TDPSIM_HV_TDX_H
#define TDPSIM_HV_TDX_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/ram.h"
#include "ept/ept.h"
#include "hv/table.h"
#include "paging/mmu.h"
#include "paging/nested.h"
#include "paging/synth.h"

/* The two roots, indexed by the alias they translate. */
enum hv_tdx_root { HV_TDX_SECURE = 0, HV_TDX_SHARED = 1, HV_TDX_ROOTS };

/* The leaf written for a slot page: RWX, write-back (EPT memory type 6,
 * SDM Vol. 3C 29.3.7). Tables get RWX. */
#define HV_TDX_MT_WB ((uint64_t)X86_MT_WB)
#define HV_TDX_LEAF  (EPTE_RWX | (HV_TDX_MT_WB << EPTE_MT_SHIFT))
#define HV_TDX_TABLE EPTE_RWX

struct hv_tdx_cfg {
	unsigned gpaw;           /* 48 or 52 */
	/* Host-physical regions for each root's tables (4 KiB aligned,
	 * [base, base + table_bytes) must not overlap the other region or
	 * the slot). */
	uint64_t table_base[HV_TDX_ROOTS];
	uint64_t table_bytes;
	/* The memory slot: GFN i (0 <= i < slot_pages) is backed by the host
	 * page at slot_base + i * 4096, through either alias. */
	uint64_t slot_base;
	uint64_t slot_pages;
};

/* The hypervisor's work for a conversion, in cycles [EST: orders of
 * magnitude of the TDX module's SEAMCALLs (TDH.MEM.RANGE.BLOCK, TRACK,
 * PAGE.REMOVE, PAGE.AUG) and of a TLB shootdown; not measurements]. */
#define HV_TDX_COST_CONVERT 6000 /* per GFN converted */
#define HV_TDX_COST_FLUSH   1500 /* per flush of an alias */

struct hv_tdx_stats {
	uint64_t maps;        /* leaves written */
	uint64_t conversions; /* GFNs whose state changed */
	uint64_t zapped;      /* leaves of the other root cleared */
	uint64_t flushes;     /* flush requests (calls of the hook, or would-be calls) */
	uint64_t cycles;      /* hypervisor work of conversions and flushes (HV_TDX_COST_*) */
};

struct hv_tdx;
/* pg_synth's allocator for one root (tdx.c). */
struct hv_tdx_alloc {
	struct hv_tdx *t;
	unsigned r;           /* enum hv_tdx_root */
};

struct hv_tdx {
	unsigned gpaw;
	uint64_t shared_mask; /* BIT64(gpaw - 1) */
	uint64_t gpa_mask;    /* GENMASK64(gpaw - 1, 0): legal GPA bits */
	struct cpu_ram *ram;  /* host RAM: tables and the slot */
	struct ept_caps caps;
	struct pg_mmu ept[HV_TDX_ROOTS];
	struct pg_synth synth[HV_TDX_ROOTS];      /* the mappers, tables from @tables */
	struct hv_tables tables[HV_TDX_ROOTS];    /* each root's table objects */
	struct hv_table *root[HV_TDX_ROOTS];      /* pinned */
	struct hv_tdx_alloc alloc[HV_TDX_ROOTS];
	uint64_t slot_base, slot_pages;
	uint64_t *shared;     /* bitmap over the slot's GFNs: 1 = shared */
	struct hv_tdx_stats stats;
	/* Invalidate translations of @alias_gpa (a 4 KiB page, shared bit as
	 * it was mapped). Optional. */
	void (*flush)(void *opaque, uint64_t alias_gpa);
	void *flush_opaque;
};

/*
 * Set up both roots in @ram (their root tables are allocated and zeroed)
 * with every slot GFN private and nothing mapped. Returns 0, or -EINVAL
 * (bad GPAW, layout or EPTP; reason in *why) or -ENOSPC / -ENOMEM.
 * @t keeps pointers to itself: do not copy it after this.
 */
int hv_tdx_init(struct hv_tdx *t, struct cpu_ram *ram, const struct hv_tdx_cfg *cfg,
		const char **why);
void hv_tdx_destroy(struct hv_tdx *t);

/* The GFN of a GPA of either alias: the shared bit is stripped. */
static inline uint64_t hv_tdx_gfn(const struct hv_tdx *t, uint64_t gpa)
{
	return (gpa & t->gpa_mask & ~t->shared_mask) >> 12;
}

static inline bool hv_tdx_gpa_shared(const struct hv_tdx *t, uint64_t gpa)
{
	return (gpa & t->shared_mask) != 0;
}

/* The GPA of @gfn's page through the private or the shared alias. */
static inline uint64_t hv_tdx_alias(const struct hv_tdx *t, uint64_t gfn, bool shared)
{
	return (gfn << 12) | (shared ? t->shared_mask : 0);
}

/* The state of a slot GFN (false: private). */
bool hv_tdx_is_shared(const struct hv_tdx *t, uint64_t gfn);

/* The HPA backing a slot GFN. */
static inline uint64_t hv_tdx_hpa(const struct hv_tdx *t, uint64_t gfn)
{
	return t->slot_base + (gfn << 12);
}

/*
 * Fill @h: the host dimension for pg_walk2d(). Its select() gives the
 * shared EPT and the full GPA when the shared bit is set, else the secure
 * EPT. A GPA with bits at or above GPAW set gets no table (pg_walk2d()
 * returns -EINVAL): the TD's MAXPHYADDR is GPAW, so the guest walk rejects
 * such addresses in its entries as reserved bits before they reach EPT.
 * @h keeps a pointer to @t.
 */
void hv_tdx_host(struct hv_tdx *t, struct pg_host *h);

/*
 * Write the leaf for slot @gfn in the root of its current state, for its
 * alias GPA. Returns 0, -ERANGE (not in the slot) or -ENOSPC (table
 * region full).
 */
int hv_tdx_map(struct hv_tdx *t, uint64_t gfn);

/*
 * Convert the GFNs of [@gpa, @gpa + @size) to shared (@to_shared) or
 * private. @gpa names the GFNs: the shared bit must be clear (the
 * direction is @to_shared; a set bit would be a second, possibly
 * contradicting, statement of it). For each GFN not already in the target
 * state: zap the other root's leaf, request a flush of that alias GPA if a
 * leaf was there, change the state, map the new alias.
 *
 * The whole range is checked before anything changes. Returns 0 or:
 *   -EINVAL  @gpa or @size not 4 KiB aligned, @size 0, the shared bit set,
 *            bits at or above GPAW set, or the range wraps;
 *   -ERANGE  part of the range is outside the slot;
 *   -ENOSPC  a table region is full (GFNs before the failing one are
 *            converted and mapped; the failing one is converted, unmapped).
 */
int hv_tdx_convert(struct hv_tdx *t, uint64_t gpa, uint64_t size, bool to_shared);

/*
 * MapGPA as the GHCI defines it: the shared bit of @gpa says the
 * direction (set: to shared), the rest names the range. Same returns as
 * hv_tdx_convert(), except that a set shared bit is the direction.
 */
int hv_tdx_map_gpa(struct hv_tdx *t, uint64_t gpa, uint64_t size);

#endif
