/*
 * The host dimension (see host.h): the mode table, the host tables as
 * table objects filled by the format-driven builder (pg_synth) through
 * hv_tables, and the host-fault handler.
 */
#include "host.h"

#include <errno.h>
#include <string.h>

#include "ept/ept.h"
#include "npt/npt.h"
#include "paging/access_ram.h"
#include "paging/bits.h"

#define NPT_CR0 (CR0_PE | CR0_PG)
#define LM      (EFER_LME | EFER_LMA | EFER_NXE)

const struct hv_host_mode hv_host_modes[HV_HOST_KINDS] = {
	[HV_HOST_NONE] = { .name = "none", .kind = HV_HOST_NONE },
	[HV_HOST_NPT2] = { "npt2", HV_HOST_NPT2, false, 2, NPT_CR0, CR4_PSE, 0,
			   HV_SZ_4K | HV_SZ_4M, 0 },
	[HV_HOST_NPT3] = { "npt3", HV_HOST_NPT3, false, 3, NPT_CR0, CR4_PAE, EFER_NXE,
			   HV_SZ_4K | HV_SZ_2M, 0 },
	[HV_HOST_NPT4] = { "npt4", HV_HOST_NPT4, false, 4, NPT_CR0, CR4_PAE, LM,
			   HV_SZ_4K | HV_SZ_2M | HV_SZ_1G, 0 },
	[HV_HOST_NPT5] = { "npt5", HV_HOST_NPT5, false, 5, NPT_CR0, CR4_PAE | CR4_LA57, LM,
			   HV_SZ_4K | HV_SZ_2M | HV_SZ_1G, 0 },
	[HV_HOST_EPT4] = { "ept4", HV_HOST_EPT4, true, 4, 0, 0, 0,
			   HV_SZ_4K | HV_SZ_2M | HV_SZ_1G, 0 },
	[HV_HOST_EPT5] = { "ept5", HV_HOST_EPT5, true, 5, 0, 0, 0,
			   HV_SZ_4K | HV_SZ_2M | HV_SZ_1G, 0 },
	/* The TDX model maps 4 KiB pages only (hv/tdx.h). */
	[HV_HOST_TDX48] = { "tdx48", HV_HOST_TDX48, true, 4, 0, 0, 0, HV_SZ_4K, 48 },
	[HV_HOST_TDX52] = { "tdx52", HV_HOST_TDX52, true, 5, 0, 0, 0, HV_SZ_4K, 52 },
};

const struct hv_host_mode *hv_host_mode_find(const char *name)
{
	for (unsigned k = HV_HOST_NPT2; k <= HV_HOST_EPT5; k++)
		if (strcmp(hv_host_modes[k].name, name) == 0)
			return &hv_host_modes[k];
	return NULL;
}

int hv_host_kind_parse(const char *name)
{
	for (unsigned k = 0; k < HV_HOST_KINDS; k++)
		if (name && strcmp(hv_host_modes[k].name, name) == 0)
			return (int)k;
	return -1;
}

const char *hv_host_kind_name(unsigned kind)
{
	return kind < HV_HOST_KINDS ? hv_host_modes[kind].name : "?";
}

const struct hv_host_mode *hv_host_mode_tdx(unsigned gpaw)
{
	return gpaw == 48 ? &hv_host_modes[HV_HOST_TDX48]
	       : gpaw == 52 ? &hv_host_modes[HV_HOST_TDX52] : NULL;
}

/* pg_synth's table allocator: a table object keyed by the range it maps
 * (direct, host level), its parent entry counted. */
static int host_alloc(void *opaque, unsigned level, uint64_t va, uint64_t entry_pa,
		      uint64_t *pa)
{
	struct hv_host *h = opaque;
	union hv_role role;
	struct hv_table *t;
	int rc;

	/* Tables below a root keep its role, one level down each; the first
	 * root has the role of a vCPU at reset (all registers 0: CR0.PG=0). */
	if (h->root) {
		role = h->root->key.role;
	} else {
		const struct hv_role_regs reset = { 0 };

		role = hv_tdp_root_role(hv_cpu_role_of(&reset), &h->tdp);
	}
	if ((rc = hv_tables_synth_alloc(&h->tables, role, level, va, entry_pa, &t)))
		return rc;
	if (entry_pa == PG_SYNTH_ROOT)
		h->st.roots_allocated++;
	*pa = t->hpa;
	return 0;
}

/* The host format's context for root @hpa: EPTP or nCR3. */
static int load_root(struct hv_host *h, uint64_t hpa, const char **why)
{
	if (h->mode->ept) {
		struct ept_caps caps;
		uint64_t eptp = hpa | ((uint64_t)(h->mode->levels - 1) << EPTP_PWL_SHIFT) |
				X86_MT_WB;

		ept_caps_all(&caps);
		caps.maxphyaddr = h->cpu.maxphyaddr;
		return ept_mmu_init(&h->mmu, eptp, &caps, false, why);
	}
	struct pg_regs hr = { .cr0 = h->mode->cr0, .cr4 = h->mode->cr4, .efer = h->mode->efer,
			      .cr3 = hpa };

	return npt_mmu_init(&h->mmu, &hr, &h->cpu, why);
}

int hv_host_guest_regs(struct hv_host *h, const struct hv_role_regs *r)
{
	union hv_role role;
	struct hv_key key = { .gpa = 0 };
	struct hv_table *old = h->root, *t;
	const char *why = NULL;
	int rc;

	if (h->mode->gpaw || !old)
		return 0;
	role = hv_tdp_root_role(hv_cpu_role_of(r), &h->tdp);
	if (hv_role_eq(role, old->key.role))
		return 0;
	h->st.role_changes++;
	key.role = role;
	t = hv_table_find(&h->tables, &key);
	if (t) {
		hv_table_pin(t);
		h->st.roots_reused++;
	} else {
		rc = hv_table_alloc(&h->tables, &key, true, &t);
		if (rc)
			return rc;
		hv_table_pin(t);
		h->st.roots_allocated++;
	}
	h->root = t;
	h->synth.root = t->hpa;
	pg_synth_forget_path(&h->synth);
	rc = load_root(h, t->hpa, &why);
	assert(rc == 0); /* the same format and region as the first root */
	hv_table_unpin(&h->tables, old);
	if (old->pins == 0) {
		hv_table_zap(&h->tables, old);
		h->st.roots_freed++;
	}
	return 1;
}

static int init_tdx(struct hv_host *h, const struct hv_host_layout *l, const char **why)
{
	const struct hv_tdx_cfg cfg = {
		.gpaw = h->mode->gpaw,
		.table_base = { l->table_base, l->table_base + l->table_bytes },
		.table_bytes = l->table_bytes,
		.slot_base = l->hpa_offset,
		.slot_pages = l->slot_pages,
	};
	int rc = hv_tdx_init(&h->tdx, h->hram, &cfg, why);

	if (rc)
		return rc;
	hv_tdx_host(&h->tdx, &h->host);
	return 0;
}

int hv_host_init(struct hv_host *h, const struct hv_host_mode *mode, struct cpu_ram *hram,
		 const struct hv_host_layout *l, const struct pg_cpu *cpu, const char **why)
{
	const struct pg_format *fmt;
	int rc;

	memset(h, 0, sizeof(*h));
	*why = NULL;
	h->mode = mode;
	h->hram = hram;
	h->page_size = l->page_size;
	h->hpa_offset = l->hpa_offset;
	h->cpu = *cpu;
	if (mode->kind == HV_HOST_NONE || !(l->page_size & mode->sizes)) {
		*why = "no such host mode or host page size";
		return -EINVAL;
	}
	if (mode->gpaw)
		return init_tdx(h, l, why);
	if (mode->ept) {
		fmt = mode->levels == 5 ? &ept_fmt5 : &ept_fmt4;
		h->leaf = EPTE_RWX | ((uint64_t)X86_MT_WB << EPTE_MT_SHIFT);
		h->table = EPTE_RWX;
	} else {
		struct pg_regs hr = { .cr0 = mode->cr0, .cr4 = mode->cr4, .efer = mode->efer };

		fmt = pg_format_of(pg_mode_of(&hr));
		h->leaf = h->table = PTE_P | PTE_RW | PTE_US;
		/* AMD reads a PAE guest's PDPTEs through the nested tables on
		 * every walk (APM Vol. 2 15.25.10); EPT loads them at CR3 load. */
		h->host.guest_pdpte_in_walk = true;
	}
	/* EPT without EPTP.AD (load_root), NPT with A/D. The first root has
	 * the role of a vCPU at reset (CR0.PG=0). */
	h->tdp = (struct hv_tdp_opts){ .level = mode->levels, .ad = !mode->ept,
				       .normalise = !l->unnormalised };
	rc = hv_tables_init(&h->tables, hram, fmt, l->table_base, l->table_bytes);
	if (!rc)
		rc = pg_synth_init_alloc(&h->synth, hram, fmt, host_alloc, h);
	if (!rc) {
		h->root = hv_table_at(&h->tables, h->synth.root);
		rc = load_root(h, h->synth.root, why);
	}
	if (rc) {
		if (!*why)
			*why = rc == -ENOSPC ? "no room for the host root table" : "bad table region";
		return rc;
	}
	h->host.mmu = &h->mmu;
	pg_ram_accessor(&h->host.mem, hram);
	return 0;
}

void hv_host_destroy(struct hv_host *h)
{
	if (h->mode && h->mode->gpaw)
		hv_tdx_destroy(&h->tdx);
	hv_tables_destroy(&h->tables);
}

int hv_host_map(struct hv_host *h, uint64_t gpa)
{
	uint64_t base = gpa & ~(h->page_size - 1), hpa = base + h->hpa_offset;
	int rc;

	if (h->mode->gpaw)
		return hv_tdx_map(&h->tdx, hv_tdx_gfn(&h->tdx, gpa));
	if (h->synth.fmt->addr_bits == 32)
		hpa &= UINT32_MAX;
	rc = pg_synth_map(&h->synth, base, hpa, h->page_size, h->leaf, h->table);
	return rc == -EEXIST ? 0 : rc;
}

uint64_t hv_host_table_pages(const struct hv_host *h)
{
	if (h->mode->gpaw)
		return h->tdx.tables[HV_TDX_SECURE].st.live + h->tdx.tables[HV_TDX_SHARED].st.live;
	return h->tables.st.live;
}

bool hv_host_backs(const struct hv_host *h, uint64_t gpa, const struct cpu_ram *ram)
{
	if (h->mode->gpaw) {
		const struct hv_tdx *t = &h->tdx;
		uint64_t gfn = hv_tdx_gfn(t, gpa);

		return gfn < t->slot_pages && !(gpa & ~t->gpa_mask) &&
		       cpu_ram_contains(ram, gfn << 12, 4096);
	}
	return cpu_ram_contains(ram, gpa & ~UINT64_C(0xfff), 4096);
}

/* The MMIO SPTE's leaf flags and address bits, or false if the format
 * has no reserved bit to make one of (KVM then turns MMIO caching off). */
static bool mmio_spte(const struct hv_host *h, uint64_t *flags, uint64_t *rsvd)
{
	if (h->mode->gpaw)
		return false;
	if (h->mode->ept) {
		*flags = EPTE_W | EPTE_X; /* W without R: a misconfiguration */
		*rsvd = 0;
		return true;
	}
	if (h->synth.fmt->entry_bytes != 8 || h->cpu.maxphyaddr >= 52)
		return false;
	*flags = h->leaf;
	*rsvd = BIT64(51); /* above MAXPHYADDR: reserved (APM Vol. 2 5.3.1) */
	return true;
}

/* Host-table reads that leave the A/D bits as they are: looking for an
 * MMIO SPTE is the handler's lookup, not a walk of the hardware. */
static int peek_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	(void)f;
	if (cpu_ram_read_le(opaque, r->addr, r->size, &r->val))
		return -EFAULT;
	if (r->kind == PG_REF_SET_AD)
		r->val |= r->set;
	return 0;
}

int hv_host_mmio(struct hv_host *h, uint64_t gpa)
{
	const struct pg_accessor peek = { peek_ref, h->hram };
	const struct pg_req rq = { .va = gpa, .access = PG_ACC_READ, .host = PG_HREQ_FINAL };
	uint64_t base = gpa & ~UINT64_C(0xfff), flags, rsvd;
	struct pg_walk w;

	if (!mmio_spte(h, &flags, &rsvd))
		return 0;
	if (pg_walk(&h->mmu, &peek, &rq, &w) == 0 && w.fault.vector == PG_VEC_VMEXIT &&
	    (h->mode->ept ? w.fault.exit_reason == PG_EXIT_EPT_MISCONFIG
			  : (w.fault.host_info & NPF_RSVD) != 0))
		return 1;
	/* No room for the tables on the way: the next access faults the
	 * same way, as when KVM cannot allocate them. */
	(void)pg_synth_map(&h->synth, base, (base + h->hpa_offset) | rsvd, HV_SZ_4K, flags,
			   h->table);
	return 0;
}

uint16_t hv_host_mmio_reason(const struct hv_host *h, bool cached)
{
	if (!h->mode->ept)
		return PG_EXIT_NPF;
	return cached ? PG_EXIT_EPT_MISCONFIG : PG_EXIT_EPT_VIOLATION;
}

int hv_host_fault(struct hv_host *h, const struct pg_fault *f, const struct cpu_ram *ram)
{
	uint64_t gpa = f->gpa;
	int rc;

	if (!hv_host_backs(h, gpa, ram))
		return -EFAULT;
	if (h->mode->gpaw) {
		struct hv_tdx *t = &h->tdx;
		uint64_t gfn = hv_tdx_gfn(t, gpa);
		bool shared = hv_tdx_gpa_shared(t, gpa);

		if (hv_tdx_is_shared(t, gfn) != shared) {
			h->st.conversions++;
			return hv_tdx_convert(t, gfn << 12, 4096, shared);
		}
		return hv_tdx_map(t, gfn);
	}
	rc = hv_host_map(h, gpa);
	h->st.populated++;
	return rc;
}
