/*
 * Paging events: the model's paging registers, and the manuals' rules for
 * what each event invalidates.
 *
 * SDM Vol. 3A 4.10.4.1 (operations that invalidate TLBs and paging-structure
 * caches), Vol. 2A INVLPG/INVPCID, Vol. 3C 29.4.3 (28.3.3 in editions before
 * 2023: INVEPT, INVVPID and VMX transitions), Vol. 3C 29.1 (VPIDs), APM
 * Vol. 2 15.16 (ASIDs: the same rules with ASID for VPID).
 *
 * Every operation acts within the current VPID/ASID and EP4TA (SDM Vol. 3C
 * 29.4.3: in VMX non-root operation with VPIDs on, guest operations affect
 * only mappings of the current VPID), except INVEPT and INVVPID, which name
 * their own scope. "All PCIDs" means all PCIDs of that VPID.
 *
 * Flushes are counted in stats.flushes[cause] and cost cost.flush each
 * (single-address ones cost.invlpg). MOV to CR3 with bit 63 set invalidates
 * nothing and costs nothing; it is counted as TM_FL_CR3_NOFLUSH.
 */
#include "model_int.h"

#include <string.h>

#include "ept/ept_bits.h"
#include "paging/bits.h"

enum { INV_TLB = 1, INV_PSC = 2, INV_GPA = 4 };

static void inval(struct tm_model *m, const struct tlb_match *mt, unsigned what)
{
	if (what & INV_TLB)
		for (unsigned l = 0; l < TM_NTLB_LEVELS; l++)
			tlb_level_inval(&m->tlb[l], mt);
	if (what & (INV_PSC | INV_GPA))
		pwc_inval(&m->pwc, mt, what & INV_PSC, what & INV_GPA);
}

static void account(struct tm_model *m, enum tm_flush_cause cause, uint32_t cost)
{
	m->hot.st.flushes[cause]++;
	m->hot.st.cycles[TM_CY_FLUSH] += cost;
}

void tm__update_ctx(struct tm_model *m)
{
	tm__lh_clear(m);
	m->pcid = (m->regs.cr4 & CR4_PCIDE) ? (uint16_t)(m->regs.cr3 & CR3_PCID) : 0;
	/* CR0.PG=0 under a host dimension: the linear address is the
	 * guest-physical one, and the TLBs hold guest-physical mappings
	 * (SDM Vol. 3C 29.4.2), tagged by the EP4TA alone. */
	m->hot.ctx = !m->paging && m->has_host ? tlb_ctx_gphys(m->ept_id)
					       : tlb_ctx(m->pcid, m->vpid, m->ept_id);
	/* The hit-check keys (tlb.h: fkey) of every TLB array and of the
	 * split PSCs follow the current context, so that their lookups and
	 * fills compare keys; the nested TLB and host PSC are looked up in the
	 * host context alone (pwc.h). The unified PWC holds both. */
	for (unsigned l = 0; l < TM_NTLB_LEVELS; l++)
		for (unsigned i = 0; i < m->tlb[l].narr; i++)
			tlb_array_set_ctx(&m->tlb[l].arr[i], m->hot.ctx);
	for (unsigned l = 0; l <= PG_LEVELS_MAX; l++)
		tlb_array_set_ctx(&m->pwc.level[l], m->hot.ctx);
	tlb_array_set_ctx(&m->pwc.ntlb, tlb_ctx(0, 0, m->ept_id));
	tlb_array_set_ctx(&m->pwc.npwc, tlb_ctx(0, 0, m->ept_id));
}

/* allow[kind][user] (model.h): which cached rights permit the access. The
 * rules are the walk's own (pg_check_access, SDM Vol. 3A 4.6) under the
 * current CR0.WP, CR4.SMEP/SMAP, EFER.NXE, RFLAGS.AC; a write also needs
 * the dirty flag set (else the processor walks to set it, SDM 4.8) and the
 * host's write right, a fetch the host's execute right. With CR0.PG=0 there
 * is no guest check (SDM 4.1.1), only the host's. Protection keys are not
 * cached: a key denial is left to the functional CPU. */
static void build_allow(struct tm_model *m)
{
	struct pg_mmu nopk = m->mmu;

	memset(m->hot.allow, 0, sizeof(m->hot.allow));
	if (!m->mmu_ok)
		return;
	nopk.pke = nopk.pks = false;
	for (unsigned kind = 0; kind < 3; kind++)
		for (unsigned user = 0; user < 2; user++)
			for (unsigned r = 0; r < TLB_R_COMBOS; r++) {
				struct pg_req rq = { .access = (uint8_t)kind, .cpl = user ? 3 : 0 };
				unsigned perms = ((r & TLB_R_W) ? PG_PERM_W : 0) |
						 ((r & TLB_R_U) ? PG_PERM_U : 0) |
						 ((r & TLB_R_X) ? PG_PERM_X : 0);
				bool ok = !m->mmu.fmt->levels ||
					  pg_check_access(&nopk, &rq, perms, 0) == 0;

				if (kind == PG_ACC_WRITE && (!(r & TLB_R_D) || (r & TLB_R_HNW)))
					ok = false;
				if (kind == PG_ACC_FETCH && (r & TLB_R_HNX))
					ok = false;
				if (ok)
					m->hot.allow[kind][user] |= UINT64_C(1) << r;
			}
}

static struct tlb_array *fast_array_sz(struct tlb_level *l, unsigned sz)
{
	struct tlb_array *a;

	if (l->which[sz] == TM_NSIZES)
		return NULL;
	a = &l->arr[l->which[sz]];
	/* Sets and ways powers of two (index by mask and shift); at most 64
	 * ways (tlb_fkey_match: a 64-bit mask). */
	return a->pow2 && (a->ways & (a->ways - 1)) == 0 && a->ways <= 64 ? a : NULL;
}

static struct tlb_array *fast_array(struct tlb_level *l)
{
	return fast_array_sz(l, TM_4K);
}

void tm__rebuild(struct tm_model *m, bool load_pdptes)
{
	struct pg_mmu old = m->mmu;
	const char *why = NULL;
	struct pg_fault f;
	int rc;

	tm__lh_clear(m);
	m->mmu_gen++; /* the memos of walks made under the old state lapse */
	m->paging = (m->regs.cr0 & CR0_PG) != 0;
	m->mmu_ok = pg_mmu_init(&m->mmu, &m->regs, &m->cpu, &why) == 0;
	m->bad_why = m->mmu_ok ? NULL : why;
	if (m->mmu_ok && m->mmu.fmt->top_in_regs) {
		if (m->has_host && m->host.guest_pdpte_in_walk) {
			/* AMD: read through the nested tables on every walk
			 * (APM Vol. 2 15.25.10). */
			m->mmu.pdpte_in_walk = true;
		} else if (!load_pdptes && old.fmt == m->mmu.fmt && old.pdpte_loaded) {
			memcpy(m->mmu.pdpte, old.pdpte, sizeof(old.pdpte));
			m->mmu.pdpte_loaded = true;
		} else {
			/* SDM Vol. 3A 4.4.1: loaded at MOV to CR3 and at the
			 * MOVs to CR0/CR4 that change the paging state. */
			m->log.n = m->log.reads = m->log.ad = 0;
			rc = pg_nested_load_pdptes(&m->nested, &m->mmu, &f);
			tm__charge_log(m);
			if (rc || f.vector) {
				m->mmu_ok = false;
				m->bad_why = rc ? "the PAE PDPTEs cannot be read"
						: "a PAE PDPTE has a reserved bit set (#GP)";
			}
		}
	}
	tm__update_ctx(m);
	build_allow(m);
	/* No translation to cache: CR0.PG=0 without a host dimension. */
	m->hot.fast[0] = m->paging || m->has_host ? fast_array(&m->tlb[TM_L1D]) : NULL;
	m->hot.fast[1] = m->paging || m->has_host ? fast_array(&m->tlb[TM_L1I]) : NULL;
	for (unsigned i = 0; i < 2; i++) {
		struct tlb_level *l = &m->tlb[i ? TM_L1I : TM_L1D];
		struct tlb_array *a = fast_array(l), *b = fast_array_sz(l, TM_2M);

		m->fast_lat[i] = a ? a->latency : 0;
		/* only when the 2 MiB array is its own (not shared with 4 KiB) */
		m->hot.fast2m[i] = m->hot.fast[i] && b && b != a ? b : NULL;
		m->fast_lat2m[i] = b ? b->latency : 0;
	}
}

/* The current VPID/EP4TA, @pcid: exactly that PCID (globals match it). */
static struct tlb_match in_pcid(const struct tm_model *m, uint16_t pcid)
{
	return (struct tlb_match){ .ctx = tlb_ctx(pcid, m->vpid, m->ept_id), .mask = TLB_CTX_ALL };
}

/* The current VPID/EP4TA, every PCID (linear and combined mappings: the
 * GPHYS bit is compared, and clear). */
static struct tlb_match all_pcids(const struct tm_model *m)
{
	return (struct tlb_match){ .ctx = tlb_ctx(0, m->vpid, m->ept_id), .mask = ~TLB_CTX_PCID };
}

static void ev_cr0(struct tm_model *m, uint64_t val)
{
	uint64_t old = m->regs.cr0, ch = old ^ val;

	/* SDM 4.10.4.1: MOV to CR0 invalidates all TLB entries (globals
	 * included) and all PSC entries for all PCIDs if it changes CR0.PG
	 * from 1 to 0. CR0.WP changes invalidate nothing: rights are applied
	 * at use (build_allow). */
	if ((old & CR0_PG) && !(val & CR0_PG)) {
		struct tlb_match mt = all_pcids(m);

		inval(m, &mt, INV_TLB | INV_PSC);
		account(m, TM_FL_CR0_PG, m->cfg.cost.flush);
	}
	m->regs.cr0 = val;
	/* EFER.LMA follows (SDM Vol. 3A 10.8.5, 9.8.5 in older editions:
	 * the processor sets LMA when paging is enabled with LME=1 and clears
	 * it when paging is disabled). */
	if ((m->regs.efer & EFER_LME) && (val & CR0_PG))
		m->regs.efer |= EFER_LMA;
	else
		m->regs.efer &= ~EFER_LMA;
	tm__rebuild(m, ch & (CR0_PG | CR0_CD | CR0_NW));
}

static void ev_cr3(struct tm_model *m, uint64_t val)
{
	uint64_t cr3 = val & ~CR3_NOFLUSH; /* bit 63 is not stored (SDM Vol. 2B MOV CR) */
	bool pcide = m->regs.cr4 & CR4_PCIDE;

	if (pcide && (val & CR3_NOFLUSH)) {
		/* SDM 4.10.4.1: CR4.PCIDE=1 and bit 63 set: nothing is
		 * invalidated. */
		account(m, TM_FL_CR3_NOFLUSH, 0);
	} else {
		/* PCIDE=0: non-global TLB entries and all PSC entries of PCID
		 * 000H. PCIDE=1, bit 63 clear: the same for the PCID in the
		 * new value (CR3[11:0]); other PCIDs keep theirs. */
		struct tlb_match mt = in_pcid(m, pcide ? (uint16_t)(cr3 & CR3_PCID) : 0);

		mt.keep_global = true;
		inval(m, &mt, INV_TLB | INV_PSC);
		account(m, TM_FL_CR3, m->cfg.cost.flush);
	}
	m->regs.cr3 = cr3;
	tm__rebuild(m, true);
}

static void ev_cr4(struct tm_model *m, uint64_t val)
{
	uint64_t old = m->regs.cr4, ch = old ^ val;

	if ((ch & CR4_PGE) || ((old & CR4_PCIDE) && !(val & CR4_PCIDE))) {
		/* SDM 4.10.4.1: changing PGE, or PCIDE 1 -> 0: all TLB entries,
		 * globals included, and all PSC entries for all PCIDs. */
		struct tlb_match mt = all_pcids(m);

		inval(m, &mt, INV_TLB | INV_PSC);
		account(m, (ch & CR4_PGE) ? TM_FL_CR4_PGE : TM_FL_CR4_PCIDE, m->cfg.cost.flush);
	} else if ((ch & CR4_PAE) || ((ch & CR4_SMEP) && (val & CR4_SMEP))) {
		/* SDM 4.10.4.1: changing PAE, or SMEP 0 -> 1: "all TLB entries
		 * and all entries in all paging-structure caches for the
		 * current PCID". Unlike the MOV to CR3 rule the text does not
		 * except global pages, so globals (usable by every PCID) go too. */
		struct tlb_match mt = in_pcid(m, m->pcid);

		inval(m, &mt, INV_TLB | INV_PSC);
		account(m, TM_FL_CR0_PG, m->cfg.cost.flush);
	}
	m->regs.cr4 = val;
	/* PDPTE reload: MOV to CR4 changing PAE, PGE, PSE or SMEP (SDM 4.4.1). */
	tm__rebuild(m, ch & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP | CR4_LA57));
}

static void ev_invpcid(struct tm_model *m, const struct tm_event *ev)
{
	struct tlb_match mt = in_pcid(m, ev->pcid);

	switch (ev->type) {
	case 0: /* individual address, globals kept; PSC of the PCID */
		mt.keep_global = true;
		mt.by_addr = true;
		mt.va = ev->addr;
		inval(m, &mt, INV_TLB | INV_PSC);
		account(m, TM_FL_INVPCID0, m->cfg.cost.invlpg);
		break;
	case 1: /* single context, globals kept */
		mt.keep_global = true;
		inval(m, &mt, INV_TLB | INV_PSC);
		account(m, TM_FL_INVPCID1, m->cfg.cost.flush);
		break;
	case 2: /* all contexts, globals included */
	case 3: /* all contexts except globals */
		mt = all_pcids(m);
		mt.keep_global = ev->type == 3;
		inval(m, &mt, INV_TLB | INV_PSC);
		account(m, ev->type == 2 ? TM_FL_INVPCID2 : TM_FL_INVPCID3, m->cfg.cost.flush);
		break;
	default: /* #GP(0): nothing happens */
		break;
	}
}

static void ev_invept(struct tm_model *m, const struct tm_event *ev)
{
	/* Guest-physical and combined mappings of one EP4TA (type 1, the
	 * EPTP in val) or of all (type 2), every VPID and PCID, globals
	 * included. Linear mappings (made without EPT) stay. */
	struct tlb_match mt = { .ctx = (uint32_t)m->ept_id << TLB_CTX_EPT_SHIFT,
				.mask = TLB_CTX_EPT };

	if (ev->type != 1 && ev->type != 2)
		return;
	if (m->has_host && (ev->type == 2 || (ev->val & EPTP_ADDR) == (m->ep4ta & EPTP_ADDR)))
		inval(m, &mt, INV_TLB | INV_PSC | INV_GPA);
	account(m, TM_FL_INVEPT, m->cfg.cost.flush);
}

static void ev_invvpid(struct tm_model *m, const struct tm_event *ev)
{
	/* Linear and combined mappings; guest-physical ones (GPHYS set)
	 * stay. */
	struct tlb_match mt = { .ctx = (uint32_t)ev->pcid << TLB_CTX_VPID_SHIFT,
				.mask = TLB_CTX_VPID | TLB_CTX_GPHYS };

	switch (ev->type) {
	case 0: /* individual address (globals too), PSC of the VPID */
		mt.by_addr = true;
		mt.va = ev->addr;
		break;
	case 1: /* single context */
		break;
	case 2: /* all contexts: every VPID but 0000H */
		mt.mask = TLB_CTX_GPHYS;
		mt.keep_vpid0 = true;
		break;
	case 3: /* single context, globals kept */
		mt.keep_global = true;
		break;
	default:
		return;
	}
	inval(m, &mt, INV_TLB | INV_PSC);
	account(m, TM_FL_INVVPID, ev->type == 0 ? m->cfg.cost.invlpg : m->cfg.cost.flush);
}

/* SDM Vol. 3C 29.1: with VPIDs off (VPID 0), every VM entry and exit
 * invalidates the linear and combined mappings of VPID 0000H, all PCIDs,
 * globals included; with a VPID, nothing. Guest-physical mappings stay. */
static void vmx_transition(struct tm_model *m)
{
	struct tlb_match mt = { .ctx = 0, .mask = TLB_CTX_VPID | TLB_CTX_GPHYS };

	if (m->vpid)
		return;
	inval(m, &mt, INV_TLB | INV_PSC);
	account(m, TM_FL_VMX, m->cfg.cost.flush);
}

void tm_set_regs(struct tm_model *m, const struct pg_regs *regs)
{
	if (!memcmp(&m->regs, regs, sizeof(*regs)))
		return; /* the model was built with them (no second PDPTE load) */
	m->regs = *regs;
	tm__rebuild(m, true);
}

void tm_load_pdptes(struct tm_model *m)
{
	tm__rebuild(m, true);
}

void tm_event(struct tm_model *m, const struct tm_event *ev)
{
	struct tlb_match mt;
	uint32_t msr;

	tm__lh_clear(m);
	switch (ev->kind) {
	case TM_EV_CR0:
		ev_cr0(m, ev->val);
		break;
	case TM_EV_CR3:
		ev_cr3(m, ev->val);
		break;
	case TM_EV_CR4:
		ev_cr4(m, ev->val);
		break;
	case TM_EV_EFER:
		m->regs.efer = ev->val;
		tm__rebuild(m, false);
		break;
	case TM_EV_INVLPG:
		/* SDM 4.10.4.1: the page's TLB entries for the current PCID,
		 * globals included, and all PSC entries of the current PCID
		 * whatever the address. */
		mt = in_pcid(m, m->pcid);
		mt.by_addr = true;
		mt.va = ev->addr;
		inval(m, &mt, INV_TLB | INV_PSC);
		account(m, TM_FL_INVLPG, m->cfg.cost.invlpg);
		break;
	case TM_EV_INVPCID:
		ev_invpcid(m, ev);
		break;
	case TM_EV_INVEPT:
		ev_invept(m, ev);
		break;
	case TM_EV_INVVPID:
		ev_invvpid(m, ev);
		break;
	case TM_EV_VMEXIT:
		m->hot.st.vmexits++;
		m->hot.st.cycles[TM_CY_VMEXIT] += m->cfg.cost.vmexit;
		vmx_transition(m);
		break;
	case TM_EV_VMENTRY:
		vmx_transition(m);
		break;
	case TM_EV_PKRU:
		m->regs.pkru = (uint32_t)ev->val;
		tm__rebuild(m, false);
		break;
	case TM_EV_RFLAGS:
		/* AC changes rights under SMAP, not translations: no flush. */
		m->regs.rflags = ev->val;
		tm__rebuild(m, false);
		break;
	case TM_EV_MSR:
		msr = ev->msr;
		if (msr == MSR_IA32_PKRS) {
			m->regs.pkrs = (uint32_t)ev->val;
			tm__rebuild(m, false);
		} else if (msr == MSR_IA32_EFER) {
			m->regs.efer = ev->val;
			tm__rebuild(m, false);
		}
		break;
	default:
		break;
	}
}
