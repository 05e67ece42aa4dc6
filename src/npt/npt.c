/*
 * AMD nested paging as a host dimension (APM Vol. 2 15.25).
 *
 * The nested tables at nCR3 use the host's paging mode, as hCR0, hCR4 and
 * hEFER select it (APM 15.25.5, "Nested Table Walk"): legacy 2-level (4 MiB
 * pages with hCR4.PSE), PAE, 4-level or 5-level (hCR4.LA57). The entries
 * are ordinary x86 entries, so the guest format descriptors (fmt_*.c) and
 * pg_mmu_init()'s resolution of reserved bits, PS and NX are reused as they
 * are; only the rules and a few resolved flags differ:
 *
 *   - every nested access is a user access (APM 15.25.5): U/S=1 is needed
 *     at every level, writes need R/W=1 at every level whatever hCR0.WP,
 *     and host SMEP, SMAP and protection keys play no part (they only
 *     qualify supervisor accesses or linear addresses, and a GPA is
 *     neither; QEMU's nested_pg_mode drops them the same way);
 *   - execute permission follows host EFER.NXE (XD in a 64-bit nested
 *     entry; reserved when hEFER.NXE=0, as for the host's own tables);
 *   - a PAE host reads its four PDPTEs from memory on every nested walk
 *     instead of holding them in registers (APM 15.25.10, "Legacy PAE
 *     Mode"); a reserved bit in one is then a #NPF with RSVD, not a #GP;
 *   - the walked address is a GPA (pg_mmu.addr_physical): no canonical
 *     check, and a GPA beyond the format's reach is not mapped;
 *   - a failure is a #NPF VM exit (APM 15.25.6): EXITINFO1 holds a #PF
 *     error code (APM 8.4.2) with US=1, plus bit 32 when the fault was on
 *     the guest's final GPA or bit 33 when it was on a guest page-table
 *     access; EXITINFO2 holds the faulting GPA.
 */
#include "npt.h"

#include <errno.h>

/*
 * The access bits of EXITINFO1: RW for a write (guest A/D updates reach us
 * as writes, APM 15.25.6), US always (APM 15.25.5), ID for a fetch. As for
 * a #PF, I/D is only defined when no-execute is enabled, EFER.NXE=1 with
 * CR4.PAE=1 (APM 8.4.2) -- here the host's, which m->nxe already holds
 * (NX-capable format and hEFER.NXE=1).
 */
static uint64_t npt_access_bits(const struct pg_mmu *m, const struct pg_req *rq)
{
	uint64_t e = NPF_US;

	if (rq->access == PG_ACC_WRITE)
		e |= NPF_RW;
	if (rq->access == PG_ACC_FETCH && m->nxe)
		e |= NPF_ID;
	return e;
}

/* User-access rights (APM 5.6, as every nested access is a user access,
 * 15.25.5): U/S=1 everywhere; R/W=1 everywhere for a write, whatever
 * CR0.WP; no XD=1 (with hEFER.NXE) for a fetch. */
static uint32_t npt_check(const struct pg_mmu *m, const struct pg_req *rq, struct pg_walk *w,
			  uint64_t all, uint64_t any)
{
	bool deny;

	w->perms = ((all & PTE_RW) ? PG_PERM_W : 0) | ((all & PTE_US) ? PG_PERM_U : 0) |
		   ((any & PTE_XD) ? 0 : PG_PERM_X);
	deny = !(w->perms & PG_PERM_U) ||
	       (rq->access == PG_ACC_WRITE && !(w->perms & PG_PERM_W)) ||
	       (rq->access == PG_ACC_FETCH && !(w->perms & PG_PERM_X));
	/* The low 32 bits of EXITINFO1 are the whole decision. */
	return deny ? (uint32_t)(NPF_P | npt_access_bits(m, rq)) : 0;
}

/*
 * #NPF (APM 15.25.6). Which stage: a reference made for a guest table
 * entry (read, A/D update, or a PAE PDPTE read) is bit 33, everything else
 * (the guest's final GPA, or a walk with no host flags) is bit 32.
 */
static void npt_fault(const struct pg_mmu *m, const struct pg_req *rq, struct pg_walk *w,
		      enum pg_fail why, unsigned level, uint32_t code, uint64_t all)
{
	bool table = rq->host & (PG_HREQ_GUEST_TABLE | PG_HREQ_PDPTE_LOAD);
	uint64_t info = why == PG_FAIL_DENIED ? code : npt_access_bits(m, rq);

	if (why == PG_FAIL_RSVD)
		info |= NPF_P | NPF_RSVD;
	info |= table ? NPF_GUEST_PT : NPF_FINAL;
	pg_set_fault(w, PG_VEC_VMEXIT, table ? PG_STAGE_HOST_TABLE : PG_STAGE_HOST_FINAL, level,
		     0, rq->gla);
	w->fault.exit_reason = PG_EXIT_NPF;
	w->fault.host_info = info; /* EXITINFO1 */
	w->fault.gpa = rq->va;     /* EXITINFO2 */
	w->fault.gla = rq->gla;
}

const struct pg_rules npt_rules = {
	.check = npt_check,
	.fault = npt_fault,
};

int npt_mmu_init(struct pg_mmu *m, const struct pg_regs *host, const struct pg_cpu *cpu,
		 const char **why)
{
	int rc;

	/* The nested format is the host's paging format (APM 15.25.5); a
	 * host without paging has none. */
	if (!(host->cr0 & CR0_PG)) {
		*why = "nested paging uses the host's paging mode, but hCR0.PG=0";
		return -EINVAL;
	}
	rc = pg_mmu_init(m, host, cpu, why);
	if (rc)
		return rc;
	m->rules = &npt_rules;
	m->addr_physical = true;
	/* APM 15.25.10: under nested paging the PAE PDPTEs are not cached
	 * in registers; the nested walk reads them from nCR3 each time. */
	m->pdpte_in_walk = m->fmt->top_in_regs;
	/* All nested accesses are user accesses (APM 15.25.5): the
	 * supervisor-only controls and the keys do not apply. */
	m->wp = false;
	m->smep = false;
	m->smap = false;
	m->pke = false;
	m->pks = false;
	return 0;
}
