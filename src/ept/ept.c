/*
 * Intel EPT as a host dimension: EPTP validation, resolution of the EPT
 * format into a struct pg_mmu, and the EPT rules for the generic walker
 * (SDM Vol. 3C 29.3): which entry values are misconfigurations, which
 * accesses the accumulated R/W/X/XU rights allow, and the EPT-violation and
 * EPT-misconfiguration exits with their exit qualification (Table 28-7).
 */
#include "ept.h"

#include <errno.h>
#include <string.h>

/* EPTP memory types (SDM 25.6.11; memory types, SDM Vol. 3A 12.3). */
#define EPT_MT_UC 0
#define EPT_MT_WB 6

void ept_caps_all(struct ept_caps *c)
{
	*c = (struct ept_caps){
		.maxphyaddr = 52,
		.pwl4 = true, .pwl5 = true, .xonly = true, .ad = true,
		.gbpages = true, .uc = true, .wb = true, .mbec = true,
	};
}

/* The VM-entry checks on the EPTP (SDM 27.2.1.1, "VM-Execution Control
 * Fields", EPTP bullet; the EPTP format is SDM 25.6.11). */
static int check_eptp(uint64_t eptp, const struct ept_caps *c, bool mbec, const char **why)
{
	unsigned mt = (unsigned)(eptp & EPTP_MT);
	unsigned pwl = (unsigned)((eptp & EPTP_PWL) >> EPTP_PWL_SHIFT);

	if (c->maxphyaddr < 32 || c->maxphyaddr > 52) {
		*why = "MAXPHYADDR must be between 32 and 52";
		return -EINVAL;
	}
	if (mbec && !c->mbec) {
		*why = "mode-based execute control is set but the CPU model lacks it";
		return -EINVAL;
	}
	if (!((mt == EPT_MT_UC && c->uc) || (mt == EPT_MT_WB && c->wb))) {
		*why = "EPTP memory type (bits 2:0) is neither a supported UC (0) nor WB (6)";
		return -EINVAL;
	}
	if (!((pwl == 3 && c->pwl4) || (pwl == 4 && c->pwl5))) {
		*why = "EPTP page-walk length (bits 5:3) is not a supported 3 (4-level) or 4 (5-level)";
		return -EINVAL;
	}
	if ((eptp & EPTP_AD) && !c->ad) {
		*why = "EPTP.AD (bit 6) is set but the CPU model lacks EPT accessed/dirty flags";
		return -EINVAL;
	}
	/* Bit 7 enables supervisor shadow-stack control, which the model does
	 * not offer: reserved like bits 11:8. */
	if (eptp & GENMASK64(11, 7)) {
		*why = "EPTP sets reserved bits 11:7";
		return -EINVAL;
	}
	if (eptp & GENMASK64(63, c->maxphyaddr)) {
		*why = "EPTP sets address bits above MAXPHYADDR";
		return -EINVAL;
	}
	return 0;
}

int ept_mmu_init(struct pg_mmu *m, uint64_t eptp, const struct ept_caps *caps, bool mbec,
		 const char **why)
{
	const struct pg_format *f;
	unsigned M = caps->maxphyaddr;
	int rc;

	rc = check_eptp(eptp, caps, mbec, why);
	if (rc)
		return rc;

	memset(m, 0, sizeof(*m));
	f = ((eptp & EPTP_PWL) >> EPTP_PWL_SHIFT) == 4 ? &ept_fmt5 : &ept_fmt4;
	m->fmt = f;
	m->rules = &ept_rules;
	m->maxphyaddr = (uint8_t)M;
	m->eptp = eptp;
	m->ept_xonly = caps->xonly;
	m->ept_mbec = mbec;
	/* The walked address is a GPA: zero-extended, no canonical rule; one
	 * beyond the walk's reach (bits 51:48 with 4-level EPT) is an EPT
	 * violation with no entry read (SDM 29.3.2). */
	m->addr_physical = true;
	/* Present: any of bits 2:0, or bit 10 with mode-based execute control
	 * (SDM 29.3.2). */
	m->present = f->present | (mbec ? EPTE_XU : 0);
	/* A/D flags only with EPTP.AD (SDM 29.3.5). */
	if (eptp & EPTP_AD) {
		m->a_bit = f->a_bit;
		m->d_bit = f->d_bit;
	}
	/* XU is a right only with mode-based execute control; without it bit
	 * 10 is ignored and the qualification's bit 6 is 0 (Table 28-7). */
	m->perm_and = f->perm_and & ~(mbec ? 0 : EPTE_XU);
	m->perm_or = f->perm_or;
	m->root = eptp & f->cr3_addr & GENMASK64(M - 1, 0);
	m->table_addr = GENMASK64(M - 1, 12);

	for (unsigned l = 1; l <= f->levels; l++) {
		const struct pg_level *L = &f->lvl[l];
		uint64_t top = GENMASK64(f->rsvd_top, M);

		m->rsvd[l][0] = L->rsvd | top;
		m->rsvd[l][1] = L->rsvd_large | top; /* replaces rsvd: see fmt_ept.c */
		switch (L->ps) {
		case PG_PS_ALWAYS:
			m->ps_leaf[l] = true;
			break;
		case PG_PS_1G: /* 1 GiB EPT pages: IA32_VMX_EPT_VPID_CAP[17] */
			m->ps_leaf[l] = caps->gbpages;
			if (!caps->gbpages)
				m->rsvd[l][0] |= EPTE_PS;
			break;
		case PG_PS_RSVD:
			m->rsvd[l][0] |= EPTE_PS;
			break;
		default:
			break;
		}
		m->leaf_addr[l] = GENMASK64(M - 1, L->shift);
	}
	return 0;
}

/*
 * Misconfigurations by value (SDM 29.3.3.1), for a present entry; reserved
 * bits are the masks' business. Write without read is never allowed;
 * execute (or, with mode-based execute control, user execute) without read
 * only where the CPU supports execute-only translations; a leaf's memory
 * type must not be 2, 3 or 7.
 */
static bool ept_entry_bad(const struct pg_mmu *m, unsigned level, bool leaf, uint64_t e)
{
	unsigned mt;

	if (!(e & EPTE_R)) {
		if (e & EPTE_W)
			return true;
		if (!m->ept_xonly && ((e & EPTE_X) || (m->ept_mbec && (e & EPTE_XU))))
			return true;
	}
	if (!leaf)
		return false;
	mt = (unsigned)((e & EPTE_MT) >> EPTE_MT_SHIFT);
	return mt == 2 || mt == 3 || mt == 7;
}

/* Why a check failed, handed from check() to fault(): the access kind. */
#define EPT_DENIED 1u

/*
 * Rights (SDM 29.3.3.2): a read needs R, a write W, at every level. A fetch
 * needs X; with mode-based execute control, X for a supervisor-mode linear
 * address and XU for a user-mode one (U/S=1 at every guest level).
 */
static uint32_t ept_check(const struct pg_mmu *m, const struct pg_req *rq, struct pg_walk *w,
			  uint64_t all, uint64_t any)
{
	bool ok;

	w->perms = ((all & EPTE_R) ? PG_PERM_R : 0) | ((all & EPTE_W) ? PG_PERM_W : 0) |
		   ((all & EPTE_X) ? PG_PERM_X : 0) | ((all & EPTE_XU) ? PG_PERM_XU : 0);
	switch (rq->access) {
	case PG_ACC_READ:
		ok = w->perms & PG_PERM_R;
		break;
	case PG_ACC_WRITE:
		ok = w->perms & PG_PERM_W;
		break;
	default:
		if (m->ept_mbec && (rq->host & PG_HREQ_USER_LA))
			ok = w->perms & PG_PERM_XU;
		else
			ok = w->perms & PG_PERM_X;
		break;
	}
	return ok ? 0 : EPT_DENIED;
}

/*
 * The EPT-violation exit qualification (SDM Table 28-7) for @rq, with @all
 * the AND of the rights bits over the entries walked (0 when an entry was
 * not present: the AND includes that entry).
 */
static uint64_t ept_qualification(const struct pg_mmu *m, const struct pg_req *rq,
				  uint64_t all)
{
	bool table = rq->host & (PG_HREQ_GUEST_TABLE | PG_HREQ_PDPTE_LOAD);
	bool gla_valid = !(rq->host & PG_HREQ_PDPTE_LOAD);
	uint64_t q = 0;

	switch (rq->access) {
	case PG_ACC_READ:
		q |= EPTQ_READ;
		break;
	case PG_ACC_WRITE:
		q |= EPTQ_WRITE;
		/* With EPT A/D, guest paging-structure accesses are writes
		 * for EPT, and a violation reports both read and write
		 * (Table 28-7, footnote to bits 0 and 1). */
		if ((rq->host & PG_HREQ_GUEST_TABLE) && m->a_bit)
			q |= EPTQ_READ;
		break;
	default:
		q |= EPTQ_FETCH;
		break;
	}
	q |= (all & EPTE_R) ? EPTQ_READABLE : 0;
	q |= (all & EPTE_W) ? EPTQ_WRITABLE : 0;
	q |= (all & EPTE_X) ? EPTQ_EXEC : 0;
	q |= (all & EPTE_XU) ? EPTQ_EXEC_USER : 0;
	if (gla_valid) {
		q |= EPTQ_GLA_VALID;
		if (!table) {
			/* Advanced VM-exit information: only for an access to
			 * the translation of a linear address; 0 otherwise
			 * (the manual leaves the bits undefined there). */
			q |= EPTQ_GLA_FINAL;
			q |= (rq->host & PG_HREQ_USER_LA) ? EPTQ_USER : 0;
			q |= (rq->host & PG_HREQ_RW_LA) ? EPTQ_RW_LINEAR : 0;
			q |= (rq->host & PG_HREQ_XD_LA) ? EPTQ_XD_LINEAR : 0;
		}
	}
	return q;
}

/* EPT violation (SDM 29.3.3.2) or misconfiguration (29.3.3.1): a VM exit
 * with the guest-physical address; a violation also saves the
 * qualification and, when valid, the guest linear address. */
static void ept_fault(const struct pg_mmu *m, const struct pg_req *rq, struct pg_walk *w,
		      enum pg_fail why, unsigned level, uint32_t code, uint64_t all)
{
	uint8_t stage = (rq->host & (PG_HREQ_GUEST_TABLE | PG_HREQ_PDPTE_LOAD))
				? PG_STAGE_HOST_TABLE : PG_STAGE_HOST_FINAL;

	/* addr: the guest linear address behind the access (as for #NPF);
	 * gla: only what the VMCS would report, a violation's valid GLA. */
	pg_set_fault(w, PG_VEC_VMEXIT, stage, level, 0, rq->gla);
	w->fault.gpa = rq->va;
	if (why == PG_FAIL_RSVD) {
		w->fault.exit_reason = PG_EXIT_EPT_MISCONFIG;
		return;
	}
	w->fault.exit_reason = PG_EXIT_EPT_VIOLATION;
	w->fault.host_info = ept_qualification(m, rq, why == PG_FAIL_NOT_PRESENT ? 0 : all);
	if (w->fault.host_info & EPTQ_GLA_VALID)
		w->fault.gla = rq->gla;
}

const struct pg_rules ept_rules = {
	.entry_bad = ept_entry_bad,
	.check = ept_check,
	.fault = ept_fault,
};
