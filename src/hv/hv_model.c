/*
 * The shadow MMU as a feed consumer (shadow.h): set-up, the access path
 * (functional shadow TLB, shadow walk, fault, emulation, audit), paging
 * events and the timing model over the shadow tables.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npt/npt.h"
#include "shadow_int.h"

#define HV_TLB_ENTRIES 4096

/* Handler work per exit, on top of cost.vmexit [EST, docs/hv-model.md]. */
static const uint32_t exit_work[HV_NEXITS] = {
	[HV_EXIT_CR3] = 400,       [HV_EXIT_INVLPG] = 300, [HV_EXIT_PF_HIDDEN] = 800,
	[HV_EXIT_PF_INJECT] = 600, [HV_EXIT_WP] = 2500,    [HV_EXIT_NPF] = 800,
	[HV_EXIT_MAPGPA] = 2000,   [HV_EXIT_MODE] = 400,   [HV_EXIT_MMIO] = HV_COST_MMIO_EMULATE,
};

static const char *const exit_names[HV_NEXITS] = {
	[HV_EXIT_CR3] = "cr3",		 [HV_EXIT_INVLPG] = "invlpg",
	[HV_EXIT_PF_HIDDEN] = "pf_hidden", [HV_EXIT_PF_INJECT] = "pf_injected",
	[HV_EXIT_WP] = "write_protect",	 [HV_EXIT_NPF] = "npf",
	[HV_EXIT_MAPGPA] = "mapgpa",	 [HV_EXIT_MODE] = "cr_mode",
	[HV_EXIT_MMIO] = "mmio",
};

const char *hv_exit_name(enum hv_exit e)
{
	return exit_names[e];
}

void hv__charge(struct hv_model *h, uint64_t cycles)
{
	h->st.exit_cycles[h->exit_now] += cycles;
	h->st.hv_cycles += cycles;
}

void hv__exit(struct hv_model *h, enum hv_exit e, uint64_t work_cycles)
{
	h->exit_now = (uint8_t)e;
	h->st.exits[e]++;
	hv__charge(h, h->p.cfg->cost.vmexit + exit_work[e] + work_cycles);
}

unsigned hv__sindex(const struct hv_model *h, unsigned slevel, uint64_t va)
{
	unsigned mask = slevel == 3 && h->slevels == 3 ? 3 : HV_SPTES - 1;

	return (unsigned)(va >> (12 + 9 * (slevel - 1))) & mask;
}

/* Guest-physical memory; A/D updates only when the driver allows them. */
static int gmem_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct hv_model *h = opaque;
	uint64_t v;

	(void)f;
	if (cpu_ram_read_le(h->p.gram, r->addr, r->size, &v))
		return -EFAULT;
	if (r->kind == PG_REF_SET_AD) {
		v |= r->set;
		if (h->p.set_ad && !h->no_ad && cpu_ram_write_le(h->p.gram, r->addr, r->size, v))
			return -EFAULT;
	}
	r->val = v;
	return 0;
}

/* Host-physical memory: the shadow-page arena and the memslot. */
static int hmem_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct hv_model *h = opaque;

	if (r->addr >= HV_SLOT_BASE) {
		struct pg_ref g = *r;
		int rc;

		g.addr -= HV_SLOT_BASE;
		rc = gmem_ref(h, &g, f);
		r->val = g.val;
		return rc;
	}
	uint64_t e;

	/* Only a live shadow page is there: anything else is a bug in the
	 * model's links, not memory a walk may read. */
	if (r->size != 8 || !hv_table_at(&h->ts, r->addr) ||
	    hv_entry_read(&h->ts, r->addr, &e))
		return -EFAULT;
	if (r->kind == PG_REF_SET_AD) {
		e |= r->set;
		hv_entry_write(&h->ts, r->addr, e);
	}
	r->val = e;
	return 0;
}

int hv__guest_walk(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl, struct pg_walk *w)
{
	struct pg_req rq = { .va = va, .access = kind, .cpl = cpl };

	if (h->p.kind == HV_NESTED) {
		rq.cpl = 3; /* nested-paging accesses are user accesses (APM 15.25.5) */
		rq.host = PG_HREQ_FINAL;
	}
	return pg_walk(&h->gmmu, &h->gacc, &rq, w);
}

/* The shadow's paging registers: what the hardware runs while the guest
 * (HV_SHADOW) or L2 (HV_NESTED) runs. CR0.WP is forced on (KVM emulates
 * WP=0 through role.cr0_wp); SMEP/SMAP follow the guest. */
static void shadow_regs(struct hv_model *h)
{
	struct pg_regs *s = &h->sregs;

	memset(s, 0, sizeof(*s));
	s->cr0 = CR0_PE | CR0_PG | CR0_WP;
	s->cr4 = CR4_PAE | (h->slevels == 5 ? CR4_LA57 : 0);
	s->efer = EFER_NXE | (h->slevels >= 4 ? EFER_LME | EFER_LMA : 0);
	if (h->p.kind == HV_SHADOW)
		s->cr4 |= h->gregs.cr4 & (CR4_SMEP | CR4_SMAP);
	s->rflags = h->gregs.rflags;
	s->cr3 = h->cur.sp ? h->cur.sp->hpa : 0;
}

/*
 * The roles of the context, from its registers only (seed 002): the
 * guest's (shadow paging), or L1's as they were at VMRUN (nested NPT,
 * KVM's kvm_init_shadow_npt_mmu() from vmcb01) -- never the vCPU's
 * current registers, which while L2 runs are L2's (h->gregs).
 */
static int context_roles(const struct hv_model *h, union hv_cpu_role *cpu, union hv_role *root)
{
	if (h->p.kind == HV_SHADOW) {
		const struct hv_role_regs g = hv_role_regs_of(&h->gregs, false, false);

		*cpu = hv_cpu_role_of(&g);
		*root = hv_shadow_root_role(*cpu);
		return 0;
	}
	const struct hv_role_regs l1 = hv_role_regs_of(&h->l1regs, false, false);

	return hv_npt_shadow_roles(&l1, h->slevels, cpu, root);
}

static int mode_init(struct hv_model *h, char *why, unsigned len)
{
	const char *r = NULL;
	struct pg_cpu cpu = h->p.cpu;
	int rc;

	cpu.nx = cpu.pae = true;
	if (h->p.kind == HV_SHADOW) {
		rc = pg_mmu_init(&h->gmmu, &h->gregs, &cpu, &r);
		if (rc)
			goto bad;
		h->glevels = h->gmmu.fmt->mode == PG_MODE_NONE ? 0 : h->gmmu.fmt->levels;
		h->slevels = h->glevels >= 4 ? h->glevels : 3;
	} else {
		rc = npt_mmu_init(&h->gmmu, &h->l1regs, &cpu, &r);
		if (rc)
			goto bad;
		h->glevels = h->gmmu.fmt->levels;
		h->slevels = h->p.host_levels;
		if (h->glevels > h->slevels) {
			snprintf(why, len, "a %u-level L1 NPT cannot be shadowed by a %u-level L0",
				 h->glevels, h->slevels);
			return -EINVAL;
		}
	}
	if (h->glevels == 3 && (rc = pg_pae_load_pdptes(&h->gmmu, &h->gacc, &(struct pg_fault){ 0 },
							 NULL)))
		goto bad;
	if (context_roles(h, &h->cpu, &h->root_role)) {
		snprintf(why, len, "a %u-level L1 NPT cannot be shadowed by a %u-level L0",
			 h->glevels, h->slevels);
		return -EINVAL;
	}
	assert(h->root_role.level == h->slevels);
	return 0;
bad:
	snprintf(why, len, "the %s registers: %s", h->p.kind == HV_NESTED ? "L1" : "guest",
		 r ? r : "cannot be read");
	return -EINVAL;
}

/* Point the hardware (and the timing model) at the current root. */
void hv__load_root(struct hv_model *h, bool keep_tlb)
{
	struct tm_event ev = { .kind = TM_EV_CR3 };
	const char *why;

	shadow_regs(h);
	if (h->p.kind == HV_SHADOW) {
		if (pg_mmu_init(&h->smmu, &h->sregs, &h->p.cpu, &why) == 0 && h->slevels == 3)
			pg_pae_load_pdptes(&h->smmu, &h->hacc, &(struct pg_fault){ 0 }, NULL);
		ev.val = h->sregs.cr3;
	} else {
		npt_mmu_init(&h->smmu, &h->sregs, &h->p.cpu, &why);
		ev.kind = TM_EV_INVEPT;
		ev.type = 2;
	}
	if (!h->tm) {
		/* hv_model_new(): the timing model starts on this root. */
	} else if (!keep_tlb) {
		memset(h->tlb, 0, sizeof(*h->tlb) * (h->tlb_mask + 1));
		h->st.flush_local++;
		tm_event(h->tm, &ev);
	} else if (h->p.kind == HV_SHADOW) {
		/* The root changed but its translations stay valid: the
		 * timing model keeps its TLB (a PCID per cached root). */
		ev.val |= CR3_NOFLUSH;
		tm_event(h->tm, &ev);
	}
}

static void ensure_root(struct hv_model *h)
{
	if (h->cur.sp && !h->cur.sp->zapped)
		return;
	/* A zapped root: KVM_REQ_MMU_RELOAD frees and rebuilds it. */
	hv__free_root(h, &h->cur);
	hv__switch_root(h, h->p.kind == HV_NESTED ? h->l1regs.cr3 & h->gmmu.fmt->cr3_addr
						  : h->gregs.cr3 & h->gmmu.fmt->cr3_addr,
			false);
	h->st.root_switches--; /* a reload, not a guest switch */
	h->st.root_misses--;
}

/* Count an audit mismatch; the first one is kept as a line. */
static void audit_fail(struct hv_model *h, uint64_t va, uint8_t kind, const char *what,
		       uint64_t spa, uint64_t gpa)
{
	if (!h->st.audit_mismatches++)
		snprintf(h->audit_first, sizeof(h->audit_first),
			 "address 0x%" PRIx64 " %s: %s (shadow 0x%" PRIx64 ", guest 0x%" PRIx64 ")",
			 va, pg_access_name(kind), what, spa, gpa);
}

/* The shadow page holding the leaf of shadow walk @sw, or NULL. */
static const struct hv_table *leaf_page(const struct hv_model *h, const struct pg_walk *sw)
{
	return sw->nlevels ? hv_table_at(&h->ts, sw->lvl[sw->nlevels - 1].entry_addr) : NULL;
}

static void audit(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl,
		  const struct pg_walk *sw)
{
	const struct hv_table *leaf = leaf_page(h, sw);
	struct pg_walk gw;
	const char *bad = NULL;

	/* An unsync page may lag the guest's entries until the guest
	 * invalidates (INVLPG, a CR3 write), as a TLB may (SDM Vol. 3A
	 * 4.10.4.3): not checked (KVM's mmu_audit.c skips them too). */
	if (leaf && leaf->unsync)
		return;
	h->st.audit_checks++;
	h->no_ad = true;
	int rc = hv__guest_walk(h, va, kind, cpl, &gw);

	h->no_ad = false;
	if (rc || gw.fault.vector)
		bad = "the guest's walk faults";
	else if (HV_SLOT_BASE + gw.pa != sw->pa)
		bad = "different host-physical address";
	else if ((sw->perms & PG_PERM_W) && !(gw.perms & PG_PERM_W) && h->gmmu.wp)
		bad = "writable in the shadow only";
	else if ((sw->perms & PG_PERM_U) && !(gw.perms & PG_PERM_U))
		bad = "user-accessible in the shadow only";
	else if ((sw->perms & PG_PERM_X) && !(gw.perms & PG_PERM_X))
		bad = "executable in the shadow only";
	else if ((sw->perms & PG_PERM_W) && gw.nlevels && !(gw.lvl[gw.nlevels - 1].entry & PTE_D))
		bad = "writable in the shadow while the guest's D bit is clear";
	if (bad)
		audit_fail(h, va, kind, bad, sw->pa, gw.pa);
}

/* The VM entry after an exit: a PAE shadow's PDPTE registers are loaded
 * from its root again (the exit may have linked or zapped its entries). */
static void vm_entry(struct hv_model *h)
{
	uint64_t old[4];

	if (h->p.kind != HV_SHADOW || h->slevels != 3 || !h->cur.sp)
		return;
	memcpy(old, h->smmu.pdpte, sizeof(old));
	pg_pae_load_pdptes(&h->smmu, &h->hacc, &(struct pg_fault){ 0 }, NULL);
	if (memcmp(old, h->smmu.pdpte, sizeof(old)) && h->tm)
		tm_load_pdptes(h->tm);
}

/*
 * Translate @va for an access through the shadow: 0 with *hpa, 1 when the
 * guest faults, 2 when the access was an emulated write.
 */
static int translate(struct hv_model *h, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl,
		     uint64_t *hpa)
{
	struct pg_req rq = { .va = va, .access = kind, .cpl = h->p.kind == HV_NESTED ? 3 : cpl };
	struct hv_tlbe *e = &h->tlb[(va >> 12) & h->tlb_mask];
	struct pg_walk sw;
	bool emulate;
	uint64_t gpa;

	if (h->p.kind == HV_NESTED)
		rq.host = PG_HREQ_FINAL;
	ensure_root(h);
	if (e->tag == (va >> 12) + 1 && !pg_check_access(&h->smmu, &rq, e->rights, 0)) {
		*hpa = e->hpa | (va & 0xfff);
		return 0;
	}
	for (unsigned tries = 0; tries < 4; tries++) {
		if (pg_walk(&h->smmu, &h->hacc, &rq, &sw) == 0 && !sw.fault.vector) {
			e->tag = (va >> 12) + 1;
			e->hpa = sw.pa & ~UINT64_C(0xfff);
			e->rights = sw.perms;
			if (h->p.audit)
				audit(h, va, kind, rq.cpl, &sw);
			*hpa = sw.pa;
			return 0;
		}
		if (hv__fault(h, va, kind, cpl, &emulate, &gpa))
			return 1;
		if (emulate) {
			h->st.wp_exits++;
			h->st.emulations++;
			hv__exit(h, HV_EXIT_WP, 0);
			hv__guest_write(h, gpa, size);
			vm_entry(h);
			return 2;
		}
		vm_entry(h);
	}
	audit_fail(h, va, kind, "the shadow does not converge", 0, 0);
	return 1;
}

/* L2 table references in nested mode: L2 guest-physical, through the
 * shadow NPT (fixing it as the hardware's #NPF exits would). */
static int l2mem_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct hv_model *h = opaque;
	uint64_t hpa;

	(void)f;
	if (translate(h, r->addr, r->size, r->kind == PG_REF_SET_AD ? PG_ACC_WRITE : PG_ACC_READ,
		      3, &hpa))
		return -EFAULT;
	struct pg_ref hr = *r;

	hr.addr = hpa;
	int rc = hmem_ref(h, &hr, f);

	r->val = hr.val;
	return rc;
}

/* Fold one access's guest-visible outcome into h->outcome (FNV-1a over
 * 64-bit words). */
static void outcome(struct hv_model *h, uint64_t va, uint8_t kind, int result, uint64_t hpa)
{
	const uint64_t w[3] = { va, ((uint64_t)kind << 8) | (uint8_t)result, result ? 0 : hpa };

	for (unsigned i = 0; i < 3; i++)
		h->outcome = (h->outcome ^ w[i]) * UINT64_C(0x100000001b3);
}

static void one_access(struct hv_model *h, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl)
{
	uint64_t hpa = 0;
	int rc;

	if (h->p.kind == HV_NESTED) {
		struct pg_req rq = { .va = va, .access = kind, .cpl = cpl };
		struct pg_walk w;

		/* L2's own walk; its faults are L2's (#PF, handled by L1). */
		if (pg_walk(&h->l2mmu, &h->l2acc, &rq, &w) || w.fault.vector) {
			outcome(h, va, kind, 3, 0);
			return;
		}
		rc = translate(h, w.pa, size, kind, 3, &hpa);
	} else {
		rc = translate(h, va, size, kind, cpl, &hpa);
		/* Every access of the stream is one the guest completed: a
		 * fault injected here is one the guest's own walk did not
		 * raise. */
		if (rc == 1 && h->p.audit)
			audit_fail(h, va, kind, "the guest completed the access, the shadow injects #PF",
				   0, 0);
	}
	outcome(h, va, kind, rc, hpa);
	if (rc)
		return;
	tm_access(h->tm, va, size, kind, cpl);
}

void hv_access(struct hv_model *h, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl)
{
	if (kind > PG_ACC_FETCH || !size)
		return;
	h->st.accesses++;
	if ((va & 0xfff) + size > 0x1000) {
		uint8_t first = (uint8_t)(0x1000 - (va & 0xfff));

		one_access(h, va, first, kind, cpl);
		one_access(h, va + first, (uint8_t)(size - first), kind, cpl);
		return;
	}
	one_access(h, va, size, kind, cpl);
}

void hv_xlate(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl, uint8_t vector)
{
	uint64_t hpa = 0;

	if (kind > PG_ACC_FETCH || h->p.kind == HV_NESTED)
		return;
	if (!vector) {
		struct pg_walk w;

		/* Which linear page reaches which guest-physical page, for
		 * an MMIO access's shadow fault: the guest's walk, its A/D
		 * bits left alone. */
		h->no_ad = true;
		if (hv__guest_walk(h, va, kind, cpl, &w) == 0 && !w.fault.vector) {
			uint64_t *k = g_new(uint64_t, 1);

			*k = w.pa >> 12;
			g_hash_table_replace(h->la_of, k, (gpointer)(uintptr_t)((va >> 12) + 1));
		}
		h->no_ad = false;
		return;
	}
	/* A nested L2's #PF is L1's to handle: L0 never sees it. */
	if (vector != X86_VEC_PF)
		return;
	/* The guest's #PF meets the shadow first: a shadow fault whose
	 * guest walk faults too is injected (exits.pf_injected). */
	if (translate(h, va, 1, kind, cpl, &hpa) != 1 && h->p.audit)
		audit_fail(h, va, kind, "the guest's walk raised #PF, the shadow translates", hpa, 0);
}

void hv_mmio(struct hv_model *h, uint64_t gpa, bool write, uint8_t cpl)
{
	uint64_t la = (uint64_t)(uintptr_t)g_hash_table_lookup(h->la_of, &(uint64_t){ gpa >> 12 });
	uint64_t va = ((la - 1) << 12) | (gpa & 0xfff);
	uint8_t kind = write ? PG_ACC_WRITE : PG_ACC_READ;
	struct pg_req rq = { .va = va, .access = kind, .cpl = cpl };
	struct pg_walk sw;

	if (h->p.kind == HV_NESTED || !la) {
		hv__exit(h, HV_EXIT_MMIO, 0);
		return;
	}
	ensure_root(h);
	/* The hardware's walk of the shadow: the MMIO SPTE's reserved bit. */
	if (pg_walk(&h->smmu, &h->hacc, &rq, &sw) == 0 && sw.fault.vector == X86_VEC_PF &&
	    (sw.fault.error_code & PFEC_RSVD)) {
		hv__exit(h, HV_EXIT_MMIO, 0);
		return;
	}
	if (hv__mmio_fault(h, va, kind, cpl) == 0)
		vm_entry(h);
	else if (h->p.audit)
		audit_fail(h, va, kind, "the guest completed an MMIO access, the shadow injects #PF",
			   0, 0);
}

void hv_insns(struct hv_model *h, uint64_t n)
{
	h->st.instructions += n;
	tm_insns(h->tm, n);
}

/* The guest's paging mode or a role bit changed (kvm_mmu_reset_context):
 * every root is freed, the next access builds one for the new state. */
static void reset_context(struct hv_model *h)
{
	char why[160];
	uint8_t old_s = h->slevels;

	hv__exit(h, HV_EXIT_MODE, 0);
	hv__free_root(h, &h->cur);
	for (unsigned i = 0; i < HV_PREV_ROOTS_MAX; i++)
		hv__free_root(h, &h->prev[i]);
	if (mode_init(h, why, sizeof(why)))
		h->glevels = 0; /* a state the CPU refuses: the guest got #GP */
	if (h->slevels != old_s || h->p.kind == HV_SHADOW) {
		struct tm_event ev = { .kind = TM_EV_CR4 };

		shadow_regs(h);
		ev.val = h->sregs.cr4;
		if (h->p.kind == HV_SHADOW) {
			tm_event(h->tm, &(struct tm_event){ .kind = TM_EV_EFER, .val = h->sregs.efer });
			tm_event(h->tm, &ev);
		}
	}
}

static void l2_regs_changed(struct hv_model *h)
{
	const char *why;

	if (pg_mmu_init(&h->l2mmu, &h->gregs, &h->p.cpu, &why) == 0 &&
	    h->l2mmu.fmt->mode == PG_MODE_PAE)
		pg_pae_load_pdptes(&h->l2mmu, &h->l2acc, &(struct pg_fault){ 0 }, NULL);
}

void hv_event(struct hv_model *h, const struct tm_event *ev)
{
	uint64_t *reg = NULL;

	switch (ev->kind) {
	case TM_EV_CR0: reg = &h->gregs.cr0; break;
	case TM_EV_CR4: reg = &h->gregs.cr4; break;
	case TM_EV_EFER: reg = &h->gregs.efer; break;
	case TM_EV_RFLAGS:
		h->gregs.rflags = ev->val;
		h->gmmu.regs.rflags = ev->val;
		h->smmu.regs.rflags = ev->val;
		tm_event(h->tm, ev);
		return;
	default: break;
	}
	if (h->p.kind == HV_NESTED) {
		/* L2's own paging: no exit to L0 (L1 does not intercept). */
		if (reg)
			*reg = ev->val;
		if (ev->kind == TM_EV_CR3)
			h->gregs.cr3 = ev->val & ~CR3_NOFLUSH;
		if (reg || ev->kind == TM_EV_CR3)
			l2_regs_changed(h);
		if (ev->kind == TM_EV_VMENTRY) {
			/* L1's VMRUN with nCR3 = val: the nested NPT context
			 * is initialised again from L1's registers at VMRUN
			 * (nested_svm_vmrun -> kvm_init_shadow_npt_mmu), then
			 * the root switches (nested_svm_load_cr3 ->
			 * kvm_mmu_new_pgd). A context whose role changed
			 * frees every root (kvm_mmu_reset_context). */
			union hv_cpu_role cpu;
			union hv_role root;

			h->l1regs.cr3 = ev->val;
			hv__exit(h, HV_EXIT_CR3, 0);
			if (context_roles(h, &cpu, &root) == 0 &&
			    (!hv_cpu_role_eq(cpu, h->cpu) || !hv_role_eq(root, h->root_role))) {
				h->cpu = cpu;
				h->root_role = root;
				hv__free_root(h, &h->cur);
				for (unsigned i = 0; i < HV_PREV_ROOTS_MAX; i++)
					hv__free_root(h, &h->prev[i]);
			}
			h->gmmu.regs.cr3 = ev->val;
			h->gmmu.root = ev->val & h->gmmu.fmt->cr3_addr;
			if (h->glevels == 3)
				pg_pae_load_pdptes(&h->gmmu, &h->gacc, &(struct pg_fault){ 0 }, NULL);
			hv__switch_root(h, ev->val & h->gmmu.fmt->cr3_addr, false);
			return;
		}
		tm_event(h->tm, ev);
		return;
	}
	if (reg) {
		uint64_t old = *reg;

		*reg = ev->val;
		if (old != ev->val)
			reset_context(h);
		return;
	}
	switch (ev->kind) {
	case TM_EV_CR3: {
		bool noflush = (h->gregs.cr4 & CR4_PCIDE) && (ev->val & CR3_NOFLUSH);
		uint64_t pgd;

		h->gregs.cr3 = ev->val & ~CR3_NOFLUSH;
		h->gmmu.regs.cr3 = h->gregs.cr3;
		h->gmmu.root = h->gregs.cr3 & h->gmmu.fmt->cr3_addr;
		hv__exit(h, HV_EXIT_CR3, 0);
		if (h->glevels == 3)
			pg_pae_load_pdptes(&h->gmmu, &h->gacc, &(struct pg_fault){ 0 }, NULL);
		pgd = h->glevels ? h->gregs.cr3 & h->gmmu.fmt->cr3_addr : 0;
		/* kvm_set_cr3(): the same CR3 again (not PAE, whose PDPTEs
		 * may have changed) only syncs and flushes. */
		if (h->cur.sp && !h->cur.sp->zapped && pgd == h->cur.pgd && h->glevels != 3) {
			h->st.root_switches++;
			h->st.current_root_hits++;
			h->in_switch = 1;
			hv__sync_roots(h);
			h->in_switch = 0;
			hv__load_root(h, noflush);
			return;
		}
		hv__switch_root(h, pgd, noflush);
		return;
	}
	case TM_EV_INVLPG:
		hv__exit(h, HV_EXIT_INVLPG, 0);
		hv__invlpg(h, ev->addr);
		h->tlb[(ev->addr >> 12) & h->tlb_mask].tag = 0;
		tm_event(h->tm, ev);
		vm_entry(h);
		return;
	case TM_EV_INVPCID:
		/* Intercepted under shadow paging (kvm_handle_invpcid). */
		hv__exit(h, HV_EXIT_INVLPG, 0);
		if (ev->type == 0) {
			hv__invlpg(h, ev->addr);
			h->tlb[(ev->addr >> 12) & h->tlb_mask].tag = 0;
		} else {
			hv__sync_roots(h);
			hv__flush(h, false);
		}
		vm_entry(h);
		return;
	case TM_EV_CR0: case TM_EV_CR4: case TM_EV_EFER: case TM_EV_RFLAGS:
		return;
	default:
		tm_event(h->tm, ev);
		return;
	}
}

int hv_model_new(const struct hv_params *p, const struct pg_regs *regs,
		 const struct pg_regs *l1, struct hv_model **out, char *why, unsigned why_len)
{
	struct hv_model *h = g_new0(struct hv_model, 1);
	struct tm_env env;
	int rc;

	h->p = *p;
	h->gregs = *regs;
	if (l1)
		h->l1regs = *l1;
	h->outcome = UINT64_C(0xcbf29ce484222325);
	h->gacc = (struct pg_accessor){ gmem_ref, h };
	h->hacc = (struct pg_accessor){ hmem_ref, h };
	h->l2acc = (struct pg_accessor){ l2mem_ref, h };
	h->gfns = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	h->la_of = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	h->unsync = g_ptr_array_new();
	g_queue_init(&h->active);
	h->tlb_mask = HV_TLB_ENTRIES - 1;
	h->tlb = g_new0(struct hv_tlbe, HV_TLB_ENTRIES);
	h->max_pages = p->max_pages;
	if (!h->max_pages) {
		h->max_pages = (p->gram->size >> 12) * 20 / 1000;
		if (h->max_pages < 64)
			h->max_pages = 64;
	}
	if ((rc = hv__sp_store_init(h))) {
		snprintf(why, why_len, "cannot reserve the shadow pages' host memory");
		goto fail;
	}
	if (p->kind == HV_NESTED && (!l1 || p->host_levels < 3 || p->host_levels > 5)) {
		snprintf(why, why_len, "nested shadowing needs L1's registers and L0's levels (3..5)");
		rc = -EINVAL;
		goto fail;
	}
	if ((rc = mode_init(h, why, why_len)))
		goto fail;
	if (h->slevels == 5 && !p->cpu.la57) {
		snprintf(why, why_len, "a 5-level shadow needs a CPU model with LA57");
		rc = -EINVAL;
		goto fail;
	}
	if (p->kind == HV_NESTED) {
		const char *r;

		if ((rc = pg_mmu_init(&h->l2mmu, &h->gregs, &h->p.cpu, &r))) {
			snprintf(why, why_len, "L2's registers: %s", r);
			goto fail;
		}
	}
	ensure_root(h);
	shadow_regs(h);
	env = (struct tm_env){ .cpu = &h->p.cpu, .mem = h->hacc, .set_ad = false };
	if (p->kind == HV_NESTED) {
		h->shost = (struct pg_host){ .mmu = &h->smmu, .mem = h->hacc };
		env.host = &h->shost;
		rc = tm_model_new(p->cfg, &env, &h->gregs, &h->tm, why, why_len);
	} else {
		rc = tm_model_new(p->cfg, &env, &h->sregs, &h->tm, why, why_len);
	}
	if (rc)
		goto fail;
	if (h->p.kind == HV_NESTED)
		l2_regs_changed(h);
	*out = h;
	return 0;
fail:
	hv_model_free(h);
	return rc;
}

void hv_model_free(struct hv_model *h)
{
	if (!h)
		return;
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, h->gfns);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct hv_gfn *g = v;

		g_ptr_array_free(g->sps, TRUE);
		g_array_free(g->rmap, TRUE);
		g_free(g);
	}
	g_hash_table_destroy(h->gfns);
	if (h->la_of)
		g_hash_table_destroy(h->la_of);
	g_ptr_array_free(h->unsync, TRUE);
	g_queue_clear(&h->active);
	hv__sp_store_free(h);
	if (h->tm)
		tm_model_free(h->tm);
	g_free(h->tlb);
	g_free(h);
}

const struct hv_stats *hv_model_stats(struct hv_model *h)
{
	h->st.sp_live = h->ts.st.live;
	h->st.sp_live_peak = h->ts.st.peak;
	return &h->st;
}

const struct tm_model *hv_model_tm(const struct hv_model *h)
{
	return h->tm;
}

uint64_t hv_model_shadow_bytes(const struct hv_model *h)
{
	return h->ts.st.live * HV_TABLE_SIZE;
}

const char *hv_model_audit_first(const struct hv_model *h)
{
	return h->audit_first;
}

uint64_t hv_model_outcome(const struct hv_model *h)
{
	return h->outcome;
}

const struct hv_tables *hv_model_tables(const struct hv_model *h)
{
	return &h->ts;
}

const struct hv_table *hv_model_root(const struct hv_model *h, unsigned i)
{
	return i == 0 ? h->cur.sp : i <= HV_PREV_ROOTS_MAX ? h->prev[i - 1].sp : NULL;
}

static const char *const level_names[] = { "", "PT", "PD", "PDPT", "PML4", "PML5" };

void hv_model_root_shape(const struct hv_model *h, char *buf, unsigned len, bool *special,
			 bool *promoted)
{
	const struct hv_table *sp = h->cur.sp;
	size_t at = 0;

	*special = *promoted = false;
	buf[0] = 0;
	while (sp && at < len) {
		const union hv_role r = sp->key.role;
		const bool sp_special = hv__special(sp);
		const char *what;

		if (r.pae_root)
			what = sp_special ? (r.passthrough ? "pae_root(special, promoted)"
							   : "pae_root(special)")
					  : (r.passthrough ? "pae_root(promoted page)" : "pae_root(page)");
		else if (r.passthrough && h->glevels < 4)
			what = sp_special ? (r.level == 5 ? "pml5_root(special)" : "pml4_root(special)")
					  : (r.level == 5 ? "PML5(promoted page)" : "PML4(promoted page)");
		else if (r.passthrough)
			what = r.level == 5 ? "PML5(promoted page)" : "PML4(promoted page)";
		else
			what = level_names[r.level];
		*special |= sp_special;
		*promoted |= r.passthrough;
		at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? " > " : "", what);
		if (!r.pae_root && !r.passthrough)
			break;
		if (r.pae_root) {
			unsigned n = 0;

			for (unsigned i = 0; i < 4; i++)
				n += hv__child(h, sp, i) != NULL;
			if (at < len)
				at += (size_t)snprintf(buf + at, len - at, " > %u x %s%s", n,
						       h->glevels == 2 ? "PD quadrant" : "PD",
						       h->glevels == 0 ? " (direct)" : "");
			break;
		}
		sp = hv__child(h, sp, 0);
	}
}
