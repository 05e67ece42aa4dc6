/*
 * The host dimension the hypervisor builds under a guest: one table of
 * host modes for every command (run, walk, synth, compare), the host
 * tables (NPT or EPT) as table objects with a lifecycle (hv/table.h), a
 * TD's secure and shared EPTs (hv/tdx.h), and the handler of the
 * host-dimension faults (EPT violation, #NPF) that populates them.
 *
 * Layout: host-physical memory (@hram) holds the host tables in
 * [table_base, table_base + table_bytes) (a TD: two such regions back to
 * back, secure then shared), and guest-physical memory at hpa_offset:
 * every host leaf maps GPA -> GPA + hpa_offset (a TD's memory slot starts
 * there). 32-bit host entries wrap that address at 4 GiB (only pages a
 * walk never reads can wrap; the tables sit below 4 GiB).
 *
 * TDP roots (NPT/EPT, not a TD) are keyed by role (hv/role.h), computed
 * from the guest's CR0/CR4/EFER only, and shared by every address space:
 * a guest CR3 write changes nothing here (it does not exit). A change of
 * the guest registers that changes the root role switches to the root of
 * the new role (found, or allocated empty and filled by EPT violations /
 * #NPF), and the old root is freed once nothing references it (KVM 5.15 to
 * 6.8: kvm_mmu_reset_context() unloads, tdp_mmu_put_root() frees at
 * refcount 0). With role normalisation (seed 003, KVM since 5.18) CR0.WP
 * and EFER.NXE are fixed to 1 in TDP roles and guest mode changes keep the
 * root; without it (KVM before 5.18) each change of them rebuilds it.
 *
 * Nothing here needs a CPU: a live run (src/cpu/fill.c), a replay lane and
 * `synth` build the same struct hv_host and call the same functions.
 * The VM-exit that a host fault is, is fed by the caller (it owns the feed).
 */
#ifndef TDPSIM_HV_HOST_H
#define TDPSIM_HV_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/ram.h"
#include "hv/table.h"
#include "hv/tdx.h"
#include "paging/mmu.h"
#include "paging/nested.h"
#include "paging/synth.h"

enum hv_host_kind {
	HV_HOST_NONE = 0,
	HV_HOST_NPT2, HV_HOST_NPT3, HV_HOST_NPT4, HV_HOST_NPT5, /* AMD NPT, the host's format */
	HV_HOST_EPT4, HV_HOST_EPT5,                             /* Intel EPT */
	HV_HOST_TDX48, HV_HOST_TDX52, /* a TD: secure + shared EPT, GPAW 48 / 52 (seed 001) */
	HV_HOST_KINDS
};

#define HV_SZ_4K (UINT64_C(1) << 12)
#define HV_SZ_2M (UINT64_C(1) << 21)
#define HV_SZ_4M (UINT64_C(1) << 22)
#define HV_SZ_1G (UINT64_C(1) << 30)

struct hv_host_mode {
	const char *name;     /* --host NAME; a TD: tdx48, tdx52 (trace headers name kinds so) */
	uint8_t kind;         /* enum hv_host_kind, its index in hv_host_modes[] */
	bool ept;             /* Intel EPT (else AMD NPT) */
	uint8_t levels;       /* table levels: NPT 2..5, EPT 4/5 */
	uint64_t cr0, cr4, efer; /* NPT: the host's paging registers (APM Vol. 2 15.25.3) */
	uint64_t sizes;       /* host leaf sizes the format has (HV_SZ_* mask) */
	unsigned gpaw;        /* a TD's guest-physical width (48 or 52), else 0 */
};

/* Indexed by enum hv_host_kind. */
extern const struct hv_host_mode hv_host_modes[HV_HOST_KINDS];

/* A non-TD host mode by --host name (npt2..npt5, ept4, ept5), or NULL. */
const struct hv_host_mode *hv_host_mode_find(const char *name);
/* Any kind by its name (none, npt2..ept5, tdx48, tdx52), or -1; and the
 * name of a kind ("?" if there is none). */
int hv_host_kind_parse(const char *name);
const char *hv_host_kind_name(unsigned kind);
/* The TD mode of GPAW 48 or 52, or NULL. */
const struct hv_host_mode *hv_host_mode_tdx(unsigned gpaw);

struct hv_host_layout {
	uint64_t table_base;  /* 4 KiB aligned; below 4 GiB for 32-bit formats */
	uint64_t table_bytes; /* the table region (a TD: each of its two) */
	uint64_t hpa_offset;  /* HPA = GPA + hpa_offset; a TD's slot base */
	uint64_t page_size;   /* host leaf size (a TD: 4 KiB) */
	uint64_t slot_pages;  /* a TD: GFNs in its memory slot */
	/* TDP roles follow the guest's CR0.WP and EFER.NXE (KVM before
	 * 5.18) instead of fixing them (seed 003). */
	bool unnormalised;
};

struct hv_host_stats {
	uint64_t populated;   /* host pages mapped on a host fault */
	uint64_t conversions; /* implicit TD conversions (an access through the other alias) */
	uint64_t role_changes;    /* guest register changes that changed the root role */
	uint64_t roots_allocated; /* TDP roots allocated (the first included) */
	uint64_t roots_reused;    /* role changes served by a live root of that role */
	uint64_t roots_freed;     /* roots freed when unreferenced */
};

struct hv_host {
	const struct hv_host_mode *mode;
	struct cpu_ram *hram;
	uint64_t page_size, hpa_offset;
	uint64_t leaf, table;     /* flags of the entries written */
	struct hv_tables tables;  /* NPT/EPT: the table objects */
	struct hv_table *root;    /* NPT/EPT: the current root (pinned) */
	struct hv_tdp_opts tdp;   /* how root roles are made */
	struct pg_cpu cpu;        /* for rebuilding @mmu at a root switch */
	struct pg_synth synth;    /* NPT/EPT: the mapper, its pages from @tables */
	struct pg_mmu mmu;        /* NPT/EPT: nCR3 / EPTP context */
	struct hv_tdx tdx;        /* a TD */
	struct pg_host host;      /* what 2D walks and the timing model use */
	struct hv_host_stats st;
};

/*
 * Build an empty host dimension of @mode (not HV_HOST_NONE) in @hram with
 * layout @l; @cpu gives MAXPHYADDR and the NPT host features. 0, or a
 * negative errno with a one-line reason in *why (may be a static string).
 * @h keeps pointers to itself: do not copy it after this.
 */
int hv_host_init(struct hv_host *h, const struct hv_host_mode *mode, struct cpu_ram *hram,
		 const struct hv_host_layout *l, const struct pg_cpu *cpu, const char **why);
void hv_host_destroy(struct hv_host *h);

/*
 * The guest's paging registers changed (CR0/CR4/EFER; a CR3 write alone
 * need not be reported): compute the TDP root role from @r and switch root
 * if it changed. Returns 1 if the root changed (the caller flushes the
 * translations tagged with the old root: KVM flushes at every new root
 * load), 0 if not (a TD, or the same role), -ENOSPC.
 */
int hv_host_guest_regs(struct hv_host *h, const struct hv_role_regs *r);

/* Map the host page holding @gpa (once; a TD: the GFN through the alias of
 * its state). 0, -EINVAL (beyond the format's reach), -ENOSPC, -ERANGE. */
int hv_host_map(struct hv_host *h, uint64_t gpa);

/* Table pages in use (a TD: both EPTs). */
uint64_t hv_host_table_pages(const struct hv_host *h);

/* The TD state, or NULL when the host is not a TD. */
static inline struct hv_tdx *hv_host_tdx(struct hv_host *h)
{
	return h->mode->gpaw ? &h->tdx : NULL;
}

/*
 * The hypervisor's answer to a host-dimension fault (@f: EPT violation or
 * #NPF, f->gpa) for a guest whose RAM is @ram (guest-physical, holes
 * included): map the page, or for a TD convert the GFN to the alias
 * accessed (an implicit MapGPA) or map it. 0 if the access can be retried,
 * -EFAULT if the GPA is not guest RAM, else the mapping's error.
 */
int hv_host_fault(struct hv_host *h, const struct pg_fault *f, const struct cpu_ram *ram);
/* Whether guest RAM (@ram) backs @gpa, so that hv_host_fault() can map it
 * (a TD: either alias of a GFN in its memory slot). Anything else the
 * hypervisor emulates, access by access. */
bool hv_host_backs(const struct hv_host *h, uint64_t gpa, const struct cpu_ram *ram);

/*
 * An access the hypervisor emulates at @gpa (no RAM backs it), under
 * KVM's MMIO caching: the first access through the current root finds no
 * entry (an EPT violation / #NPF), and the handler leaves an MMIO SPTE
 * (mark_mmio_spte: EPT W+X without R, a misconfiguration, SDM Vol. 3C
 * 29.3.3.1; NPT a reserved physical-address bit, APM Vol. 2 15.25.10)
 * whose later accesses exit as an EPT misconfiguration / #NPF with RSVD
 * (handle_mmio_page_fault), whatever the guest's linear address. Every
 * access is one VM exit either way. Returns 1 if the current root held
 * the MMIO SPTE, 0 if there was none (it is made now, unless the format
 * has no reserved bit for one: 32-bit NPT, MAXPHYADDR 52, a TD).
 */
int hv_host_mmio(struct hv_host *h, uint64_t gpa);
/* The VM-exit reason of such an access (hv_host_mmio()'s @cached). */
uint16_t hv_host_mmio_reason(const struct hv_host *h, bool cached);

#endif
