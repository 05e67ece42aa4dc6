/*
 * tdpsim's engine as the CPU's MMU. Unicorn (UC_TLB_VIRTUAL) asks through
 * the TLB-fill hook for every page it has no entry for: data, fetch, the
 * implicit accesses of QEMU's helpers, and also while CR0.PG=0. The answer
 * is the engine's walk: the guest dimension (pg_walk2d, A/D set as the
 * hardware does), then the host dimension (--host) or a TD's secure and
 * shared EPTs (--gpaw). A guest fault refuses the fill (fault.c delivers
 * it); a host-dimension fault is a VM exit, fed here and handled by the
 * hypervisor model (hv/host.c), and never reaches the guest.
 *
 * Unicorn's answer has three rights (UC_PROT_READ/WRITE/EXEC) and QEMU
 * keeps it per MMU index (user, supervisor with/without SMAP), so the
 * rights are those of the CPL of the access. WRITE is granted only when
 * the leaf's D bit is already set (or this walk set it), so that the first
 * write to a clean page comes back here and the D update is ours (SDM Vol.
 * 3A 4.8). The fill gets neither the CPL nor the exact address (UNICORN.md):
 * the CPL is CS.RPL, and an access whose page overlaps GDTR, IDTR, LDTR or
 * TR while CPL=3 is taken as an implicit supervisor access (SDM 4.6).
 *
 * A fill costs one batched register read, the walk (straight over guest
 * RAM when there is no host dimension) and the rights; QEMU's TLB is made
 * to grow by flushing it a few times (grow_tlb()), so that a working set
 * larger than its initial 256 entries stops costing a fill per page.
 *
 * Physical layout: guest-physical space is the PC's map (pc/dev.h): RAM
 * ranges with holes (the VGA window, the BIOS ROM, the PCI hole) and RAM
 * above 4 GiB. Unicorn is given the guest-physical page; outside RAM it is
 * an MMIO window that machine.c dispatches to the board (a device, a ROM,
 * or unassigned space: reads 0, writes dropped), and never executable:
 * a fetch there stops the run with a report. The guest's RAM buffer is the
 * prefix [0, ram.size) of host-physical memory (c->hram), so HPA == GPA
 * for every page a host table maps (a TD's shared alias strips the shared
 * bit); host tables live above it and are filled on demand: an EPT
 * violation / #NPF on a RAM GPA maps that 4 KiB page (a VM exit). One on
 * a non-RAM GPA is the hypervisor's MMIO emulation: counted, never mapped.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/ctx.h"
#include "hv/host.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "timing/model.h"

/*
 * A TD conversion zapped the leaf of @alias_gpa: the hypervisor flushes
 * the translations derived from it. Unicorn's TLB goes, and the flush is
 * fed as an INVEPT of all contexts (SDM Vol. 3C 29.4.3.1: every combined
 * and guest-physical mapping) to every consumer: the timing model's TLBs
 * and paging-structure caches drop them, counted as flushes.invept. A
 * replay lane's TD makes the same conversions, so it makes this event
 * again (trace/lane.c ignores recorded ones).
 */
static void tdx_flush(void *opaque, uint64_t alias_gpa)
{
	struct cpu *c = opaque;
	const struct trc_event ev = { .kind = TRC_EV_INVEPT, .invept = { .type = 2 } };

	(void)alias_gpa;
	c->code_epoch++; /* a code page's host translation may be gone */
	if (c->uc)
		cpu__flush_tlb(c);
	trc_event(&c->sink, &ev);
}

/*
 * Guest-physical memory (the PC's RAM layout, holes included) is the
 * prefix of host-physical memory; host tables follow at the next 2 MiB, in
 * room for every table of a full 4 KiB mapping of it (one PT per 512 pages,
 * plus the upper levels) per root: a TD has two roots, the other hosts one
 * region of both sizes.
 */
int cpu__host_init(struct cpu *c, uint64_t ram_bytes, char *why, size_t len)
{
	struct cpu_ram layout;
	uint64_t pages, tbytes, tbase;
	const struct hv_host_mode *mode = &hv_host_modes[c->host_kind];
	struct hv_host_layout l = { .hpa_offset = 0, .page_size = HV_SZ_4K,
				    .unnormalised = c->tdp_unnormalised };
	const char *w = NULL;
	int rc;

	rc = dev_pc_ram_layout(&layout, ram_bytes);
	if (rc) {
		snprintf(why, len, "--mem: %" PRIu64 " bytes: not a PC memory size", ram_bytes);
		return rc;
	}
	pages = layout.size >> 12;
	tbytes = (pages / 512 + 64) * 4096;
	tbase = (layout.size + 0x1fffff) & ~UINT64_C(0x1fffff);
	rc = cpu_ram_init(&c->hram, c->host_kind == HV_HOST_NONE ? layout.size
								 : tbase + 2 * tbytes);
	if (rc) {
		snprintf(why, len, "cannot allocate %" PRIu64 " MiB of guest RAM", ram_bytes >> 20);
		return rc;
	}
	c->ram = layout;
	c->ram.base = c->hram.base;
	cpu__phys_accessor(c, &c->gmem, true);
	cpu__phys_accessor(c, &c->gpeek, false);
	c->nested.mem = c->gmem;
	if (c->host_kind == HV_HOST_NONE)
		return 0;

	c->hv = calloc(1, sizeof(*c->hv));
	if (!c->hv)
		return -ENOMEM;
	l.table_base = tbase;
	l.table_bytes = mode->gpaw ? tbytes : 2 * tbytes;
	l.slot_pages = pages;
	rc = hv_host_init(c->hv, mode, &c->hram, &l, &c->pgcpu, &w);
	if (rc) {
		snprintf(why, len, "cannot set up the host dimension: %s", w ? w : strerror(-rc));
		return rc;
	}
	if (mode->gpaw) {
		c->hv->tdx.flush = tdx_flush;
		c->hv->tdx.flush_opaque = c;
	}
	c->host = &c->hv->host;
	c->nested.host = &c->hv->host;
	return 0;
}

void cpu__host_free(struct cpu *c)
{
	if (c->hv) {
		hv_host_destroy(c->hv);
		free(c->hv);
		c->hv = NULL;
	}
	c->host = NULL;
	cpu_ram_free(&c->hram);
	c->ram = (struct cpu_ram){ 0 };
}

/* A host-dimension fault on @f->gpa is a VM exit, handled by the
 * hypervisor model (hv/host.h). 0 if the access can be retried, -EFAULT
 * if the GPA is not guest RAM. */
static int host_fault(struct cpu *c, const struct pg_fault *f)
{
	struct trc_event ev = { .kind = TRC_EV_VMEXIT,
				.vmexit = { .reason = f->exit_reason, .cause = TRC_EXIT_HOST_FAULT,
					    .gpa = f->gpa } };

	c->n.vmexits++;
	trc_event(&c->sink, &ev);
	if (!c->hv)
		return -EFAULT;
	return hv_host_fault(c->hv, f, &c->ram);
}

void cpu_mmio_access(struct cpu *c, uint64_t gpa, uint8_t size, bool write)
{
	const struct trc_event ev = { .kind = TRC_EV_MMIO,
				      .mmio = { .gpa = gpa, .size = size, .write = write } };

	trc_event(&c->sink, &ev);
	if (c->hv) {
		/* The first access through the root is an EPT violation that
		 * leaves an MMIO SPTE, the later ones misconfigurations. */
		bool cached = hv_host_mmio(c->hv, gpa) == 1;
		const struct trc_event x = {
			.kind = TRC_EV_VMEXIT,
			.vmexit = { .reason = hv_host_mmio_reason(c->hv, cached),
				    .cause = TRC_EXIT_HOST_FAULT, .gpa = gpa } };

		c->n.vmexits++;
		trc_event(&c->sink, &x);
	}
}

/* The registers a fill needs, in one Unicorn call (a fill happens once
 * per page QEMU's TLB misses: the per-call overhead of six reads showed
 * as 5% of a functional run). */
struct fill_regs {
	uint64_t cr0, cr3, cr4, cs, rflags;
	uc_x86_msr efer;
};

static void read_fill_regs(struct cpu *c, struct fill_regs *f)
{
	static int ids[] = { UC_X86_REG_CR0, UC_X86_REG_CR3, UC_X86_REG_CR4, UC_X86_REG_CS,
			     UC_X86_REG_RFLAGS, UC_X86_REG_MSR };
	void *vals[] = { &f->cr0, &f->cr3, &f->cr4, &f->cs, &f->rflags, &f->efer };

	memset(f, 0, sizeof(*f)); /* CS is written as 2 bytes (UNICORN.md) */
	f->efer.rid = MSR_IA32_EFER;
	uc_reg_read_batch(c->uc, ids, vals, 6);
}

static void paging_regs(struct cpu *c, const struct fill_regs *fr, struct pg_regs *r)
{
	*r = c->regs;
	r->cr0 = fr->cr0;
	/* QEMU 5 stores MOV to CR3's bit 63 (PCID no-flush) in CR3; the
	 * hardware does not (SDM Vol. 3A 4.10.4.1). */
	r->cr3 = fr->cr3 & ~CR3_NOFLUSH;
	r->cr4 = fr->cr4;
	r->efer = fr->efer.value;
	r->pkrs = (uint32_t)c->msr.pkrs;
	r->pkru = c->pkru;
}

/* The register bits a translation depends on with paging on (SDM Vol. 3A
 * 4.1.1, 4.6, 4.10.1; CR0.CD/NW: the PDPTE reload, 4.4.1). */
#define CR0_PAGING (CR0_PE | CR0_WP | CR0_NW | CR0_CD | CR0_PG)
#define CR4_PAGING (CR4_PSE | CR4_PAE | CR4_PGE | CR4_LA57 | CR4_PCIDE | CR4_SMEP | CR4_SMAP | \
		    CR4_PKE | CR4_PKS)
#define EFER_PAGING (EFER_LME | EFER_LMA | EFER_NXE)

/* Whether going from @o to @n changes a translation or the TDP root role
 * (CR0.WP, EFER.NXE: hv/host.h), which is all that matters with paging
 * off in both. */
bool cpu__paging_changed_regs(const struct pg_regs *o, const struct pg_regs *n)
{
	if (((o->cr0 ^ n->cr0) & (CR0_PG | CR0_WP)) || ((o->efer ^ n->efer) & EFER_NXE))
		return true;
	if (!(n->cr0 & CR0_PG))
		return false;
	return ((o->cr0 ^ n->cr0) & CR0_PAGING) || o->cr3 != n->cr3 ||
	       ((o->cr4 ^ n->cr4) & CR4_PAGING) || ((o->efer ^ n->efer) & EFER_PAGING) ||
	       o->pkrs != n->pkrs || o->pkru != n->pkru;
}

/*
 * The engine's context follows the CPU's paging registers: rebuilt (and
 * fed) when a translation may change. Any other change (CR0.TS,
 * CR4.OSFXSR, CR3 with paging off ...) is only noted: whether a fill comes
 * between such a write and the next block's paging event follows
 * Unicorn's TLB, and a rebuild there would place the MMU event by it.
 */
static int sync_paging(struct cpu *c, const struct fill_regs *fr)
{
	struct pg_regs r;

	paging_regs(c, fr, &r);
	if (c->mmu_valid && !cpu__paging_changed_regs(&c->regs, &r)) {
		c->regs = r;
		return 0;
	}
	return cpu_set_paging(c, &r);
}

/* Load @m's PDPTE registers (SDM Vol. 3A 4.4.1) through the host dimension:
 * an EPT violation / #NPF on the table is a VM exit the hypervisor model
 * handles, then the load is retried. 0 when loaded; 1 with @f->vector =
 * #GP when the load faults: a reserved bit, or a table that is not guest
 * RAM (bare metal reads all ones there; KVM cannot read it: #GP either
 * way). */
static int load_pdptes(struct cpu *c, struct pg_mmu *m, struct pg_fault *f)
{
	if (!cpu_ram_contains(&c->ram, m->root, 32)) {
		*f = (struct pg_fault){ .vector = X86_VEC_GP, .stage = PG_STAGE_PDPTE_LOAD,
					.level = 3, .gpa = m->root };
		return 1;
	}
	for (int tries = 0; tries < 8; tries++) {
		int rc = pg_nested_load_pdptes(&c->nested, m, f);

		if (rc < 0)
			return rc;
		if (f->vector != PG_VEC_VMEXIT)
			return f->vector ? 1 : 0;
		if (host_fault(c, f) != 0)
			break;
	}
	*f = (struct pg_fault){ .vector = X86_VEC_GP, .stage = PG_STAGE_PDPTE_LOAD, .level = 3,
				.gpa = m->root };
	return 1;
}

/* Only MOV to CR3, and MOV to CR0/CR4 changing CR0.PG/CD/NW or
 * CR4.PAE/PGE/PSE/SMEP, load the PDPTE registers (SDM Vol. 3A 4.4.1): any
 * other change of the paging state (EFER, PKRU, CR0.TS ...) keeps them.
 * The same state again is a MOV to CR3 of the same value (events.c), which
 * reloads them. Decided from the states alone, so that a replay of the
 * paging events decides as the live run did. */
static bool keeps_pdptes(const struct cpu *c, const struct pg_regs *r)
{
	const struct pg_regs *o = &c->regs;
	bool same = o->cr0 == r->cr0 && o->cr3 == r->cr3 && o->cr4 == r->cr4 &&
		    o->efer == r->efer && o->pkrs == r->pkrs && o->pkru == r->pkru;

	if (same || !c->mmu.fmt || !c->mmu.fmt->top_in_regs || !c->mmu.pdpte_loaded)
		return false;
	return o->cr3 == r->cr3 && !((o->cr0 ^ r->cr0) & (CR0_PG | CR0_CD | CR0_NW)) &&
	       !((o->cr4 ^ r->cr4) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP));
}

/* The TDP root is the one of the guest's role (hv/host.h): a role change
 * loads another root, and KVM flushes the guest-physical and combined
 * mappings at every new root load (kvm_mmu_load -> flush_tlb_current:
 * INVEPT single context; NPT: the ASID flush), fed as an INVEPT. */
static int select_root(struct cpu *c, const struct pg_regs *r)
{
	const struct hv_role_regs rr = { .cr0 = r->cr0, .cr4 = r->cr4, .efer = r->efer };
	int rc;

	if (!c->hv)
		return 0;
	rc = hv_host_guest_regs(c->hv, &rr);
	if (rc < 0) {
		cpu_run_stop(c, CPU_STOP_ERROR, "no room for another TDP root in the host table "
			     "region");
		return rc;
	}
	if (rc > 0)
		trc_event(&c->sink, &(struct trc_event){ .kind = TRC_EV_INVEPT,
							  .invept = { .type = 2 } });
	return 0;
}

/* The PDPTE load of @r failed (@rc < 0, or 1 with @f): a MOV's load is
 * #GP(0) at the MOV, delivered once Unicorn has returned (mov_gp.c); any
 * other ends the run. c->regs and c->mmu stay as they were. */
static int pdpte_fault(struct cpu *c, const struct pg_regs *r, int rc, const struct pg_fault *f)
{
	uint64_t rip;
	int cr;

	if (rc < 0 || !cpu__mov_cr_pending(c, &rip, &cr)) {
		/* Not a MOV's load (no instruction to fault): the run ends. */
		cpu_run_stop(c, CPU_STOP_ERROR, "the PAE PDPTEs at guest-physical %#" PRIx64
			 " cannot be loaded%s (CR0=%#" PRIx64 " CR3=%#" PRIx64 " CR4=%#" PRIx64 ")",
			 f->gpa, rc < 0 ? ": beyond guest-physical space" : ": a reserved bit "
			 "or not RAM", r->cr0, r->cr3, r->cr4);
		return -EIO;
	}
	c->pdpte_gp = true;
	c->pdpte_gp_rip = rip;
	/* The engine context before the MOV stands (never built: none). */
	c->mmu_valid = c->mmu.fmt != NULL;
	return -EAGAIN;
}

int cpu_set_paging(struct cpu *c, const struct pg_regs *regs)
{
	struct pg_regs r = *regs;
	struct trc_event ev = { .kind = TRC_EV_MMU };
	const char *why = NULL;
	struct pg_mmu m;
	int rc;

	ev.mmu.regs = r;
	rc = pg_mmu_init(&m, &r, &c->pgcpu, &why);
	if (rc) {
		c->regs = r;
		c->mmu_valid = false;
		cpu_run_stop(c, CPU_STOP_ERROR, "paging state the CPU model cannot hold: %s "
			 "(CR0=%#" PRIx64 " CR3=%#" PRIx64 " CR4=%#" PRIx64 " EFER=%#" PRIx64 ")",
			 why, r.cr0, r.cr3, r.cr4, r.efer);
		return rc;
	}
	if ((rc = select_root(c, &r)) < 0)
		return rc;
	/* Where a TDP host may switch roots (hv/host.h), under any host. */
	if (((c->regs.cr0 ^ r.cr0) & CR0_WP) ||
	    ((c->regs.efer ^ r.efer) & EFER_NXE))
		cpu__xlate_epoch(c);
	if (m.fmt->top_in_regs) {
		struct pg_fault f = { 0 };

		if (c->host && c->host->guest_pdpte_in_walk) {
			m.pdpte_in_walk = true;
		} else if (keeps_pdptes(c, &r)) {
			memcpy(m.pdpte, c->mmu.pdpte, sizeof(m.pdpte));
			m.pdpte_loaded = true;
		} else {
			/* A bad PDPTE is #GP(0) at the MOV to CR0/CR3/CR4 that
			 * loads it; c->regs and c->mmu keep the state before it. */
			rc = load_pdptes(c, &m, &f);
			if (rc) {
				select_root(c, &c->regs); /* the MOV did not happen */
				return pdpte_fault(c, &r, rc, &f);
			}
		}
	}
	c->regs = r;
	c->mmu = m;
	c->mmu_valid = true;
	/* Fed once built: the PDPTE load's table reads come first. */
	trc_event(&c->sink, &ev);
	return 1;
}

int cpu_sync_paging(struct cpu *c)
{
	struct fill_regs f;

	read_fill_regs(c, &f);
	return sync_paging(c, &f);
}

void cpu__paging_regs(struct cpu *c, struct pg_regs *r)
{
	struct fill_regs f;

	read_fill_regs(c, &f);
	paging_regs(c, &f, r);
	r->rflags = f.rflags;
}

static bool in_range(uint64_t page, uint64_t base, uint64_t limit)
{
	return page <= base + limit && base <= page + 0xfff;
}

/* The page overlaps a descriptor table or the TSS: at CPL 3 an access
 * there is QEMU's own implicit supervisor access (there is no other reason
 * to touch them). */
static bool implicit_access(struct cpu *c, uint64_t page)
{
	static int regs[] = { UC_X86_REG_GDTR, UC_X86_REG_IDTR, UC_X86_REG_LDTR, UC_X86_REG_TR };
	uc_x86_mmr m[4];
	void *vals[4] = { &m[0], &m[1], &m[2], &m[3] };

	memset(m, 0, sizeof(m));
	if (uc_reg_read_batch(c->uc, regs, vals, 4) != UC_ERR_OK)
		return false;
	for (unsigned i = 0; i < 4; i++)
		if (m[i].limit && in_range(page, m[i].base, m[i].limit))
			return true;
	return false;
}

static int translate(struct cpu *c, uint64_t va, uint8_t access, uint8_t cpl, bool implicit,
		     struct pg_walk2d *r);

int cpu_translate(struct cpu *c, uint64_t va, uint8_t access, uint8_t cpl, bool implicit,
		  struct pg_walk2d *r)
{
	int rc;

	if (!c->mmu_valid) {
		rc = cpu_sync_paging(c);
		if (rc < 0)
			return rc;
	}
	uint64_t exits = c->n.vmexits;

	rc = translate(c, va, access, cpl, implicit, r);
	if (rc >= 0)
		cpu__xlate_fed(c, va, access, cpl, implicit, r, c->n.vmexits != exits);
	return rc;
}

int cpu_replay_translate(struct cpu *c, uint64_t va, uint8_t access, uint8_t cpl, bool implicit,
			 bool ac, struct pg_walk2d *r)
{
	if (!c->mmu_valid)
		return -EINVAL; /* a TRC_EV_MMU comes first */
	c->mmu.regs.rflags = ac ? RFLAGS_AC : 0;
	return translate(c, va, access, cpl, implicit, r);
}

/* The guest walk straight over guest-physical memory (what pg_walk2d
 * would do, without its nested accessor): no host dimension. */
static int guest_walk(struct cpu *c, const struct pg_req *rq, struct pg_walk2d *r)
{
	int rc = pg_walk(&c->mmu, &c->gmem, rq, &r->guest);

	r->fault = r->guest.fault;
	r->hpa = r->guest.pa;
	r->host_page_size = r->guest.page_size;
	r->refs = r->guest.refs;
	r->host.nlevels = 0;
	return rc;
}

static int translate(struct cpu *c, uint64_t va, uint8_t access, uint8_t cpl, bool implicit,
		     struct pg_walk2d *r)
{
	struct pg_req rq = { .va = va, .access = access, .cpl = cpl, .implicit = implicit };
	int rc;

	if (!c->host)
		return guest_walk(c, &rq, r);
	for (int tries = 0;; tries++) {
		rc = pg_walk2d(&c->nested, &c->mmu, &rq, r);
		if (rc < 0 || r->fault.vector != PG_VEC_VMEXIT)
			return rc;
		if (tries == 8)
			return -EFAULT;
		if (r->fault.stage == PG_STAGE_HOST_FINAL && !hv_host_backs(c->hv, r->fault.gpa, &c->ram)) {
			/* The final GPA is not RAM: no host page will map it.
			 * The hypervisor emulates each access there, a VM exit
			 * per access that the board answers (cpu_mmio_access),
			 * not per translation: how often Unicorn translates a
			 * page is not the guest's doing (its TLB is resized
			 * on QEMU's wall clock). The translation stands, with
			 * no host page under it. */
			r->hpa = r->guest.pa;
			r->fault = (struct pg_fault){ 0 };
			return 0;
		}
		if (host_fault(c, &r->fault) == 0)
			continue;
		if (r->fault.stage != PG_STAGE_HOST_FINAL) {
			/* A guest table at a GPA that is not RAM: the hypervisor
			 * emulates the read, which the board answers (0 where
			 * nothing is), as without a host dimension. The guest
			 * fault that gives is the walk's result; a walk that
			 * goes on through such a table is not modelled. */
			rc = guest_walk(c, &rq, r);
			return rc < 0 || r->fault.vector ? rc : -EFAULT;
		}
		/* The final GPA is not RAM: the hypervisor emulates the
		 * access (an MMIO exit, counted by host_fault); the guest's
		 * translation stands, with no host page under it. */
		r->hpa = r->guest.pa;
		r->fault = (struct pg_fault){ 0 };
		return 0;
	}
}

/* Why cpu_translate() gave up, for the run's report. */
static const char *xlate_error(int rc)
{
	switch (rc) {
	case -EFAULT:
		return "the walk goes on through a guest page table that is not RAM (ROM or "
		       "MMIO) under a host dimension, which the hypervisor model does not "
		       "emulate, or it could not map the page after 8 VM exits";
	case -EINVAL:
		return "the paging state has no engine context (PAE PDPTEs not loaded)";
	default:
		return "the engine refused the walk";
	}
}

/* The rights of the page for every access kind, for this CPL. */
static unsigned rights(struct cpu *c, const struct pg_walk2d *r, uint64_t va, uint8_t cpl,
		       bool implicit, uint8_t access)
{
	unsigned prot = 0;
	const struct pg_walk *w = &r->guest;
	bool dirty = true;

	if (c->mmu.fmt->levels && w->nlevels) {
		const struct pg_walk_level *leaf = &w->lvl[w->nlevels - 1];

		dirty = (leaf->entry & PTE_D) || access == PG_ACC_WRITE;
	}
	for (uint8_t k = PG_ACC_READ; k <= PG_ACC_FETCH; k++) {
		struct pg_req rq = { .va = va, .access = k, .cpl = cpl,
				     .implicit = implicit && k != PG_ACC_FETCH };

		if (c->mmu.fmt->levels && pg_check_access(&c->mmu, &rq, w->perms, w->pkey))
			continue;
		if (k == PG_ACC_READ)
			prot |= UC_PROT_READ;
		else if (k == PG_ACC_WRITE && dirty)
			prot |= UC_PROT_WRITE;
		else if (k == PG_ACC_FETCH)
			prot |= UC_PROT_EXEC;
	}
	return prot;
}

/*
 * QEMU's softmmu TLB is direct-mapped, starts at 256 entries per MMU index
 * and is resized only when it is flushed: doubled when more than 70% of it
 * was in use (accel/tcg/cputlb.c, tlb_mmu_resize_locked). A guest that
 * never flushes keeps 256 entries, and a loop over 1024 pages then misses
 * on every page, every pass: one fill (a full walk) per page. So after
 * every GROW_FILLS << k fills, while k < GROW_STEPS, flush Unicorn's TLB
 * once ourselves: if it was full, QEMU doubles it (256 -> 16384 entries at
 * most, 512 KiB per MMU index); if not, nothing is lost but one refill of
 * what was cached. A flush never changes what the guest sees (our fills
 * answer again, A/D already set), only how often we are asked.
 */
#define GROW_FILLS 512u
#define GROW_STEPS 6u

static void grow_tlb(struct cpu *c)
{
	if (c->flush_every && ++c->flush_fills >= c->flush_every) {
		c->flush_fills = 0;
		cpu__flush_tlb(c);
	}
	if (c->grow_steps >= GROW_STEPS || ++c->grow_fills < (GROW_FILLS << c->grow_steps))
		return;
	c->grow_fills = 0;
	c->grow_steps++;
	c->n.grow_flushes++;
	cpu__flush_tlb(c);
}

bool cpu__fill(struct cpu *c, uint64_t va, int type, uc_tlb_entry *e)
{
	uint8_t access = type == UC_MEM_WRITE ? PG_ACC_WRITE
			 : type == UC_MEM_FETCH ? PG_ACC_FETCH : PG_ACC_READ;
	struct pg_walk2d walk, *r = &walk;
	struct fill_regs fr;
	uint8_t cpl;
	bool implicit = false;
	int rc;

	c->n.fills++;
	grow_tlb(c);
	read_fill_regs(c, &fr);
	if (sync_paging(c, &fr) < 0)
		return false;
	cpl = (uint8_t)(fr.cs & 3);
	if (!(c->regs.cr0 & CR0_PE))
		cpl = 0;
	if (cpl == 3 && access != PG_ACC_FETCH)
		implicit = implicit_access(c, va);
	c->mmu.regs.rflags = fr.rflags;
	rc = cpu_translate(c, va, access, cpl, implicit, r);
	if (rc < 0) {
		if (!c->stop)
			cpu_run_stop(c, CPU_STOP_ERROR, "the engine cannot translate %#" PRIx64
				 " (%s): %s", va, pg_access_name(access), xlate_error(rc));
		c->fill_fault_valid = false;
		return false;
	}
	if (r->fault.vector) {
		c->last_walk = walk; /* for the report */
		c->fill_fault_valid = true;
		c->fill_type = (uint8_t)type;
		c->fill_fault = r->fault;
		return false;
	}
	/* Unicorn's physical space is the guest's (HPA == GPA for RAM). */
	e->paddr = r->hpa & ~UINT64_C(0xfff);
	if (c->hv && c->hv->mode->gpaw)
		e->paddr &= ~c->hv->tdx.shared_mask;
	e->perms = rights(c, r, va, cpl, implicit, access);
	if (!cpu_ram_contains(&c->ram, e->paddr, 4096)) {
		/* MMIO, ROM or unassigned: the board answers each access
		 * (machine.c). Code runs from RAM only. */
		if (access == PG_ACC_FETCH) {
			cpu_run_stop(c, CPU_STOP_ERROR, "instruction fetch from guest-physical %#"
				 PRIx64 " (linear %#" PRIx64 "), which is not RAM: tdpsim "
				 "executes code from RAM only", e->paddr, va);
			return false;
		}
		e->perms &= ~(unsigned)UC_PROT_EXEC;
		return true;
	}
	if (c->rev)
		/* The timing feed takes a descriptor-table page's accesses as
		 * supervisor whatever the CPL of the fill: QEMU's kernel-index
		 * TLB entry filled at CPL 0 also serves its helpers at CPL 3. */
		cpu__rev_fill(c, va, e->paddr,
			      implicit || (access != PG_ACC_FETCH && implicit_access(c, va)));
	return true;
}

/* Every table read of a walk (functional or the timing model's), for the
 * feed's table_read() while a consumer wants it (guest RAM only: the host
 * tables above it are the hypervisor model's). Installed before the timing
 * model copies the accessors. */
static int watch_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct cpu_watch *w = opaque;

	if (w->c->sink.want_table_reads && r->addr < w->c->ram.size)
		trc_table_read(&w->c->sink, r->addr & ~UINT64_C(0xfff));
	return w->inner.ref(w->inner.opaque, r, f);
}

static void watch(struct cpu *c, struct cpu_watch *w, struct pg_accessor *acc)
{
	if (acc->ref == watch_ref)
		return;
	w->c = c;
	w->inner = *acc;
	*acc = (struct pg_accessor){ .ref = watch_ref, .opaque = w };
}

void cpu__watch_tables(struct cpu *c)
{
	watch(c, &c->watch[0], &c->gmem);
	watch(c, &c->watch[2], &c->gpeek);
	c->nested.mem = c->gmem;
	if (c->hv)
		watch(c, &c->watch[1], &c->hv->host.mem);
}

struct hv_tdx *cpu__tdx(struct cpu *c)
{
	return c->hv ? hv_host_tdx(c->hv) : NULL;
}

/*
 * Unicorn 2.1.1 calls memory hooks with the PHYSICAL address (checked: a
 * store to linear 0x40000010 mapped to 0x500010 reported 0x500010). The
 * timing model needs the linear address. Every access Unicorn makes goes
 * through an entry of its TLB, and every entry came from our fill
 * (fill.c), which records physical page -> linear page in c->rev and keeps
 * that one-to-one: when a second linear page maps a physical page that
 * has one filled since tdpsim last flushed Unicorn's whole TLB (rev_gen),
 * the TLB is flushed first (cpu__rev_fill). An older entry needs no
 * flush: no TLB entry made before a whole flush is live, and every later
 * fill of the page would have set rev_gen. (QEMU's own whole flushes, at
 * a MOV to CR3 for one, are not counted: that only flushes more often.)
 * So the physical page names exactly one live linear page. The same holds
 * under a host dimension: a refill makes no VM exit (the host mapped every
 * page of the walk at its first fill, and a new root or a TD conversion
 * flushes Unicorn's whole TLB; an access the hypervisor emulates exits per
 * access, not per fill), so fewer flushes move no exit.
 */
void cpu__rev_fill(struct cpu *c, uint64_t va_page, uint64_t pa_page, bool implicit)
{
	uint64_t *r = &c->rev[pa_page >> 12];
	uint32_t *g = &c->rev_gen[pa_page >> 12];

	if ((*r & CPU_REV_VALID) && (*r & ~UINT64_C(0xfff)) != va_page && *g == c->tlb_gen) {
		c->alias_flushes++;
		cpu__flush_tlb(c);
	}
	*r = va_page | CPU_REV_VALID | (implicit ? CPU_REV_IMPLICIT : 0);
	*g = c->tlb_gen;
}
