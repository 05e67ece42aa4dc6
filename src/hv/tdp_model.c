/*
 * The TDP MMU as a feed consumer (tdp_model.h): the functional 2D
 * translation of every access the model's own TLB misses (EPT violations
 * handled by hv/host.c), the root role followed at every paging-register
 * change, and the timing model over the host dimension.
 */
#include "tdp_model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "paging/bits.h"
#include "paging/nested.h"
#include "paging/walk.h"

#define TDP_TLB_ENTRIES 4096
/* Handler work of an EPT violation / #NPF on top of cost.vmexit [EST], the
 * shadow model's figure for the same exit (docs/hv-model.md, Costs). */
#define TDP_NPF_WORK 800

struct hv_tdp {
	struct hv_tdp_params p;
	struct cpu_ram hram;       /* host-physical: tables above the guest's RAM */
	struct hv_host host;
	struct pg_nested nested;   /* the 2D walk's accessor state */
	struct pg_accessor gpeek;  /* guest RAM, no A/D writes (the audit) */
	struct pg_regs regs;
	struct pg_mmu gmmu;        /* the guest's paging context */
	bool gmmu_ok;
	struct tm_model *tm;
	/* Functional translations: 4 KiB pages whose 2D walk completed
	 * under the current root (the host leaf exists), so that only
	 * misses walk, as the shadow model's TLB. */
	struct tdp_tlbe { uint64_t tag; uint8_t perms; bool dirty; } *tlb;
	uint8_t *table_page;       /* per guest page: read as a guest table */
	struct hv_stats st;
	char audit_first[256];
	bool auditing;             /* the audit's walk: no A/D writes */
};

/* Host-physical memory: guest RAM below its size, the tables above. */
static int hmem_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct hv_tdp *t = opaque;
	const struct cpu_ram *m = r->addr < t->p.gram->size ? t->p.gram : &t->hram;
	bool guest = m == t->p.gram;
	uint64_t v;

	(void)f;
	if (cpu_ram_read_le(m, r->addr, r->size, &v))
		return -EFAULT;
	if (r->kind == PG_REF_SET_AD) {
		v |= r->set;
		if ((!guest || (t->p.set_ad && !t->auditing)) &&
		    cpu_ram_write_le((struct cpu_ram *)m, r->addr, r->size, v))
			return -EFAULT;
	}
	r->val = v;
	return 0;
}

static int gpeek_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct hv_tdp *t = opaque;

	(void)f;
	if (cpu_ram_read_le(t->p.gram, r->addr, r->size, &r->val))
		return -EFAULT;
	if (r->kind == PG_REF_SET_AD)
		r->val |= r->set;
	return 0;
}

static void audit_fail(struct hv_tdp *t, uint64_t va, uint8_t kind, const char *what)
{
	if (!t->st.audit_mismatches++)
		snprintf(t->audit_first, sizeof(t->audit_first), "address 0x%" PRIx64 " %s: %s",
			 va, pg_access_name(kind), what);
}

static void flush_tlb(struct hv_tdp *t)
{
	memset(t->tlb, 0, sizeof(*t->tlb) * TDP_TLB_ENTRIES);
}

/* A VM exit of @reason (enum hv_exit @e) with @work cycles of handling. */
static void tdp_exit(struct hv_tdp *t, enum hv_exit e, uint16_t reason, uint64_t work)
{
	uint64_t cycles = t->p.cfg->cost.vmexit + work;

	t->st.exits[e]++;
	t->st.exit_cycles[e] += cycles;
	t->st.hv_cycles += cycles;
	if (t->tm) {
		tm_event(t->tm, &(struct tm_event){ .kind = TM_EV_VMEXIT, .val = reason });
		tm_event(t->tm, &(struct tm_event){ .kind = TM_EV_VMENTRY });
	}
}

/* An EPT violation / #NPF: a VM exit whose handler maps the page. */
static int npf_exit(struct hv_tdp *t, const struct pg_fault *f)
{
	tdp_exit(t, HV_EXIT_NPF, f->exit_reason, TDP_NPF_WORK);
	return hv_host_fault(&t->host, f, t->p.gram);
}

void hv_tdp_mmio(struct hv_tdp *t, uint64_t gpa)
{
	bool cached = hv_host_mmio(&t->host, gpa) == 1;
	uint16_t reason = hv_host_mmio_reason(&t->host, cached);

	if (cached)
		tdp_exit(t, HV_EXIT_MMIO, reason, HV_COST_MMIO_EMULATE);
	else
		tdp_exit(t, HV_EXIT_NPF, reason, TDP_NPF_WORK + HV_COST_MMIO_EMULATE);
}

/* The 2D walk of @rq, every host fault on the way handled. 0 (r->fault:
 * the guest's fault, if any), or -errno. */
static int walk2d(struct hv_tdp *t, const struct pg_req *rq, struct pg_walk2d *r)
{
	for (unsigned tries = 0; tries < 2 * PG_LEVELS_MAX + 2; tries++) {
		int rc = pg_walk2d(&t->nested, &t->gmmu, rq, r);

		if (rc)
			return rc;
		if (r->fault.vector != PG_VEC_VMEXIT)
			return 0;
		if ((rc = npf_exit(t, &r->fault)))
			return rc;
	}
	return -ELOOP;
}

/* Rebuild the guest's paging context from t->regs (PAE: its PDPTEs
 * loaded through the host dimension when @load, else kept; read in every
 * walk under NPT). */
static void guest_context(struct hv_tdp *t, bool load)
{
	struct pg_mmu old = t->gmmu;
	bool had = t->gmmu_ok;
	const char *why;

	flush_tlb(t);
	t->gmmu_ok = pg_mmu_init(&t->gmmu, &t->regs, &t->p.cpu, &why) == 0;
	if (!t->gmmu_ok || !t->gmmu.fmt->top_in_regs)
		return;
	if (t->host.host.guest_pdpte_in_walk) {
		t->gmmu.pdpte_in_walk = true;
		return;
	}
	if (!load && had && old.fmt == t->gmmu.fmt && old.pdpte_loaded) {
		memcpy(t->gmmu.pdpte, old.pdpte, sizeof(old.pdpte));
		t->gmmu.pdpte_loaded = true;
		return;
	}
	for (unsigned tries = 0; tries < 4; tries++) {
		struct pg_fault f = { 0 };

		if (pg_nested_load_pdptes(&t->nested, &t->gmmu, &f) ||
		    f.vector != PG_VEC_VMEXIT || npf_exit(t, &f))
			return;
	}
}

/* The guest's role registers changed: the root of the new role. */
static void role_regs(struct hv_tdp *t)
{
	const struct hv_role_regs rr = { .cr0 = t->regs.cr0, .cr4 = t->regs.cr4,
					 .efer = t->regs.efer };

	if (hv_host_guest_regs(&t->host, &rr) > 0) {
		/* kvm_mmu_load -> flush_tlb_current at the new root. */
		t->st.flush_local++;
		flush_tlb(t);
		if (t->tm)
			tm_event(t->tm, &(struct tm_event){ .kind = TM_EV_INVEPT, .type = 2 });
	}
}

/* The engine's own walk of the guest tables (GPA = HPA - 0) against the
 * 2D result @r of the same request. */
static void audit(struct hv_tdp *t, const struct pg_req *rq, const struct pg_walk2d *r)
{
	struct pg_walk w;

	t->st.audit_checks++;
	t->auditing = true;
	int rc = pg_walk(&t->gmmu, &t->gpeek, rq, &w);

	t->auditing = false;
	if (rc)
		audit_fail(t, rq->va, rq->access, "the guest's walk cannot be made");
	else if (w.fault.vector != r->fault.vector)
		audit_fail(t, rq->va, rq->access, "a fault differs from the guest's walk");
	else if (!w.fault.vector && (w.pa != r->hpa || w.perms != r->guest.perms))
		audit_fail(t, rq->va, rq->access,
			   "a translation differs from the guest's walk (address or rights)");
}

/* Translate one access within a page; false if the guest faults. */
static bool translate(struct hv_tdp *t, uint64_t va, uint8_t kind, uint8_t cpl)
{
	struct pg_req rq = { .va = va, .access = kind, .cpl = cpl };
	struct tdp_tlbe *e = &t->tlb[(va >> 12) & (TDP_TLB_ENTRIES - 1)];
	struct pg_walk2d r;

	if (!t->gmmu_ok)
		return false;
	if (e->tag == (va >> 12) + 1 && (kind != PG_ACC_WRITE || e->dirty) &&
	    !pg_check_access(&t->gmmu, &rq, e->perms, 0))
		return true;
	if (walk2d(t, &rq, &r)) {
		audit_fail(t, va, kind, "the 2D walk cannot be made (a GPA outside RAM)");
		return false;
	}
	if (t->p.audit)
		audit(t, &rq, &r);
	if (r.fault.vector)
		return false;
	for (unsigned i = 0; i < r.guest.nlevels; i++) {
		uint64_t pg = r.guest.lvl[i].entry_addr >> 12;

		if (pg < t->p.gram->size >> 12)
			t->table_page[pg] = 1;
	}
	e->tag = (va >> 12) + 1;
	e->perms = r.guest.perms;
	e->dirty = kind == PG_ACC_WRITE || !r.guest.nlevels ||
		   (r.guest.lvl[r.guest.nlevels - 1].entry & PTE_D);
	/* A store to a guest table may remap anything: translations are
	 * walked again (the host leaves stay). */
	if (kind == PG_ACC_WRITE && (r.hpa >> 12) < (t->p.gram->size >> 12) &&
	    t->table_page[r.hpa >> 12])
		flush_tlb(t);
	return true;
}

static void one_access(struct hv_tdp *t, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl)
{
	if (!translate(t, va, kind, cpl)) {
		/* Every access of the stream is one the guest completed. */
		if (t->p.audit)
			audit_fail(t, va, kind, "the guest completed the access, the 2D walk faults");
		return;
	}
	tm_access(t->tm, va, size, kind, cpl);
}

void hv_tdp_access(struct hv_tdp *t, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl)
{
	if (kind > PG_ACC_FETCH || !size)
		return;
	t->st.accesses++;
	if ((va & 0xfff) + size > 0x1000) {
		uint8_t first = (uint8_t)(0x1000 - (va & 0xfff));

		one_access(t, va, first, kind, cpl);
		one_access(t, va + first, (uint8_t)(size - first), kind, cpl);
		return;
	}
	one_access(t, va, size, kind, cpl);
}

void hv_tdp_insns(struct hv_tdp *t, uint64_t n)
{
	t->st.instructions += n;
	tm_insns(t->tm, n);
}

void hv_tdp_xlate(struct hv_tdp *t, uint64_t va, uint8_t kind, uint8_t cpl, uint8_t vector)
{
	struct pg_req rq = { .va = va, .access = kind, .cpl = cpl };
	struct pg_walk2d r;

	if (!vector || !t->p.audit || !t->gmmu_ok || kind > PG_ACC_FETCH)
		return;
	if (walk2d(t, &rq, &r) || r.fault.vector != vector)
		audit_fail(t, va, kind, "the guest's walk raised a fault the 2D walk does not");
}

void hv_tdp_event(struct hv_tdp *t, const struct tm_event *ev)
{
	const struct pg_regs o = t->regs;

	switch (ev->kind) {
	case TM_EV_CR0: t->regs.cr0 = ev->val; break;
	case TM_EV_CR4: t->regs.cr4 = ev->val; break;
	case TM_EV_EFER: t->regs.efer = ev->val; break;
	case TM_EV_CR3: t->regs.cr3 = ev->val & ~CR3_NOFLUSH; break;
	case TM_EV_RFLAGS: t->regs.rflags = ev->val; break;
	case TM_EV_PKRU: t->regs.pkru = (uint32_t)ev->val; break;
	case TM_EV_MSR:
		if (ev->msr == MSR_IA32_PKRS)
			t->regs.pkrs = (uint32_t)ev->val;
		else if (ev->msr == MSR_IA32_EFER)
			t->regs.efer = ev->val;
		break;
	case TM_EV_INVLPG:
		t->tlb[(ev->addr >> 12) & (TDP_TLB_ENTRIES - 1)].tag = 0;
		break;
	case TM_EV_INVPCID:
		flush_tlb(t);
		break;
	case TM_EV_VMEXIT:
	case TM_EV_VMENTRY:
	case TM_EV_INVEPT:
		return; /* another host's: this model makes its own */
	default:
		break;
	}
	/* EFER.LMA follows CR0.PG with LME (SDM Vol. 3A 10.8.5). */
	if (ev->kind == TM_EV_CR0 || ev->kind == TM_EV_EFER) {
		if ((t->regs.efer & EFER_LME) && (t->regs.cr0 & CR0_PG))
			t->regs.efer |= EFER_LMA;
		else
			t->regs.efer &= ~EFER_LMA;
	}
	/* The root of the new role first, then the guest's context through
	 * it (a PAE PDPTE load may exit), then the timing model, whose own
	 * PDPTE load then finds the host leaves. */
	if (ev->kind == TM_EV_CR0 || ev->kind == TM_EV_CR4 || ev->kind == TM_EV_EFER ||
	    ev->kind == TM_EV_MSR)
		role_regs(t);
	/* Only MOV to CR3, and MOV to CR0/CR4 changing CR0.PG/CD/NW or
	 * CR4.PAE/PGE/PSE/SMEP, load the PDPTE registers (SDM Vol. 3A 4.4.1). */
	if (ev->kind <= TM_EV_CR4 || ev->kind == TM_EV_EFER || ev->kind == TM_EV_RFLAGS ||
	    ev->kind == TM_EV_PKRU || ev->kind == TM_EV_MSR)
		guest_context(t, ev->kind == TM_EV_CR3 ||
				 ((o.cr0 ^ t->regs.cr0) & (CR0_PG | CR0_CD | CR0_NW)) ||
				 ((o.cr4 ^ t->regs.cr4) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)));
	tm_event(t->tm, ev);
}

int hv_tdp_new(const struct hv_tdp_params *p, const struct pg_regs *regs, struct hv_tdp **out,
	       char *why, unsigned len)
{
	struct hv_tdp *t = g_new0(struct hv_tdp, 1);
	uint64_t pages = p->gram->size >> 12;
	uint64_t tbase = (p->gram->size + 0x1fffff) & ~UINT64_C(0x1fffff);
	uint64_t tbytes = 2 * (pages / 512 + 64) * 4096;
	const struct hv_host_layout l = { .table_base = tbase, .table_bytes = tbytes,
					  .page_size = HV_SZ_4K, .unnormalised = !p->normalise };
	struct tm_env env;
	const char *w = NULL;
	int rc;

	t->p = *p;
	t->regs = *regs;
	t->tlb = g_new0(struct tdp_tlbe, TDP_TLB_ENTRIES);
	t->table_page = g_new0(uint8_t, pages ? pages : 1);
	if ((rc = cpu_ram_init(&t->hram, tbase + tbytes))) {
		snprintf(why, len, "out of memory for the TDP tables");
		goto fail;
	}
	if ((rc = hv_host_init(&t->host, p->mode, &t->hram, &l, &p->cpu, &w))) {
		snprintf(why, len, "the TDP host dimension: %s", w ? w : g_strerror(-rc));
		goto fail;
	}
	t->host.host.mem = (struct pg_accessor){ hmem_ref, t };
	t->gpeek = (struct pg_accessor){ gpeek_ref, t };
	t->nested.host = &t->host.host;
	/* The first root has a reset vCPU's role (hv/host.h), as a live
	 * run's: the start state may change it. The guest's context comes
	 * before the timing model's: a PAE start loads its PDPTEs through
	 * the root, whose EPT violations map the PDPT first. */
	role_regs(t);
	guest_context(t, true);
	env = (struct tm_env){ .cpu = &t->p.cpu, .host = &t->host.host, .mem = t->host.host.mem };
	if ((rc = tm_model_new(p->cfg, &env, &t->regs, &t->tm, why, len)))
		goto fail;
	tm_set_vpid(t->tm, 1); /* KVM gives every vCPU a VPID/ASID */
	*out = t;
	return 0;
fail:
	hv_tdp_free(t);
	return rc;
}

void hv_tdp_free(struct hv_tdp *t)
{
	if (!t)
		return;
	if (t->tm)
		tm_model_free(t->tm);
	if (t->host.mode)
		hv_host_destroy(&t->host);
	cpu_ram_free(&t->hram);
	g_free(t->tlb);
	g_free(t->table_page);
	g_free(t);
}

void hv_tdp_stats(const struct hv_tdp *t, struct hv_stats *st)
{
	const struct hv_host_stats *h = &t->host.st;
	const struct hv_table_stats *ts = &t->host.tables.st;

	*st = t->st;
	st->root_switches = h->role_changes;
	st->prev_root_hits = h->roots_reused;
	st->root_misses = h->role_changes - h->roots_reused;
	st->roots_allocated = h->roots_allocated;
	st->roots_freed = h->roots_freed;
	st->sp_allocated = ts->allocated;
	st->sp_live = ts->live;
	st->sp_live_peak = ts->peak;
	st->sp_zapped = ts->zapped;
}

const struct tm_model *hv_tdp_tm(const struct hv_tdp *t)
{
	return t->tm;
}

uint64_t hv_tdp_table_bytes(const struct hv_tdp *t, bool peak)
{
	return (peak ? t->host.tables.st.peak : t->host.tables.st.live) * 4096;
}

void hv_tdp_root_str(const struct hv_tdp *t, char *buf, unsigned len)
{
	char role[160];

	snprintf(buf, len, "%s root: %s", t->host.mode->name,
		 t->host.root ? hv_role_str(t->host.root->key.role, role, sizeof(role)) : "none");
}

const char *hv_tdp_audit_first(const struct hv_tdp *t)
{
	return t->audit_first;
}

struct hv_host *hv_tdp_host(struct hv_tdp *t)
{
	return &t->host;
}
