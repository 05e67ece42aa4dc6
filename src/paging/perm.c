/*
 * Access rights and the #PF error code (SDM Vol. 3A 4.6 and 4.7; APM Vol. 2
 * 5.6). Pure functions of the resolved paging state and the request, so the
 * permission matrix can exercise them without any table.
 */
#include "bits.h"
#include "walk.h"

uint32_t pg_pfec_access_bits(const struct pg_mmu *m, const struct pg_req *rq)
{
	uint32_t e = 0;

	if (rq->access == PG_ACC_WRITE)
		e |= PFEC_WR;
	/* Implicit supervisor accesses are supervisor-mode even at CPL 3. */
	if (rq->cpl == 3 && !rq->implicit)
		e |= PFEC_US;
	/* I/D: a fetch, and SMEP=1 or (CR4.PAE=1 and EFER.NXE=1) (SDM 4.7). */
	if (rq->access == PG_ACC_FETCH &&
	    (m->smep || ((m->regs.cr4 & CR4_PAE) && (m->regs.efer & EFER_NXE))))
		e |= PFEC_ID;
	return e;
}

/*
 * Protection keys (SDM 4.6.2): data accesses only; PKRU governs user-mode
 * addresses when CR4.PKE=1, IA32_PKRS supervisor-mode addresses when
 * CR4.PKS=1. AD denies all data accesses; WD denies writes when the access
 * is user-mode or CR0.WP=1. The PK error bit reports a key denial whatever
 * else faulted (SDM 4.7, PK flag definition).
 */
static bool pkey_denies(const struct pg_mmu *m, const struct pg_req *rq, bool upage,
			bool user, unsigned pkey)
{
	uint32_t reg, bits;

	if (rq->access == PG_ACC_FETCH)
		return false;
	if (upage ? !m->pke : !m->pks)
		return false;
	reg = upage ? m->regs.pkru : m->regs.pkrs;
	bits = (reg >> (2 * pkey)) & 3;
	if (bits & 1)
		return true;
	return (bits & 2) && rq->access == PG_ACC_WRITE && (user || m->wp);
}

uint32_t pg_check_access(const struct pg_mmu *m, const struct pg_req *rq, unsigned perms,
			 unsigned pkey)
{
	bool user = rq->cpl == 3 && !rq->implicit;
	bool upage = perms & PG_PERM_U;
	bool w = perms & PG_PERM_W;
	bool x = perms & PG_PERM_X;
	bool deny, pk;

	if (user) {
		/* SDM 4.6.1, user-mode access: U/S=1 everywhere; writes need
		 * R/W=1 everywhere whatever CR0.WP; fetches need XD=0. */
		deny = !upage || (rq->access == PG_ACC_WRITE && !w) ||
		       (rq->access == PG_ACC_FETCH && !x);
	} else if (rq->access == PG_ACC_FETCH) {
		/* Supervisor fetch: XD=0, and not from a user page with SMEP. */
		deny = !x || (upage && m->smep);
	} else {
		/* Supervisor data: SMAP forbids user pages to implicit
		 * accesses and to explicit ones with EFLAGS.AC=0; writes
		 * honour R/W only when CR0.WP=1. */
		deny = (upage && m->smap && (rq->implicit || !(m->regs.rflags & RFLAGS_AC))) ||
		       (rq->access == PG_ACC_WRITE && !w && m->wp);
	}
	pk = pkey_denies(m, rq, upage, user, pkey);
	if (!deny && !pk)
		return 0;
	return PFEC_P | pg_pfec_access_bits(m, rq) | (pk ? PFEC_PK : 0);
}

/* x86 rights from the accumulated bits: R/W and U/S must be 1 at every
 * level, one XD=1 (with NXE) takes execution away (SDM 4.6.1). */
static uint32_t x86_check(const struct pg_mmu *m, const struct pg_req *rq, struct pg_walk *w,
			  uint64_t all, uint64_t any)
{
	w->perms = ((all & PTE_RW) ? PG_PERM_W : 0) | ((all & PTE_US) ? PG_PERM_U : 0) |
		   ((any & PTE_XD) ? 0 : PG_PERM_X);
	return pg_check_access(m, rq, w->perms, w->pkey);
}

/* #PF and its error code (SDM 4.7). */
static void x86_fault(const struct pg_mmu *m, const struct pg_req *rq, struct pg_walk *w,
		      enum pg_fail why, unsigned level, uint32_t code, uint64_t all)
{
	uint32_t ec = why == PG_FAIL_DENIED ? code : pg_pfec_access_bits(m, rq);

	if (why == PG_FAIL_RSVD)
		ec |= PFEC_P | PFEC_RSVD;
	pg_set_fault(w, X86_VEC_PF, PG_STAGE_GUEST, level, ec, rq->va);
}

const struct pg_rules pg_rules_x86 = {
	.check = x86_check,
	.fault = x86_fault,
};
