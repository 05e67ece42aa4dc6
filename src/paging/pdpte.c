/*
 * PAE PDPTE registers (SDM Vol. 3A 4.4.1). MOV to CR3 in PAE mode, and the
 * MOVs to CR0/CR4 that enter PAE paging or change its meaning, load the four
 * 8-byte PDPTEs from the 32-byte-aligned table at CR3[31:5]. A present PDPTE
 * with a reserved bit set (bits 2:1, 8:5, 63:M) makes the load #GP(0); the
 * registers keep their old values. Walks then use the registers and never
 * re-read memory (Intel; AMD under nested paging differs, see
 * pg_mmu.pdpte_in_walk).
 */
#include <errno.h>

#include "bits.h"
#include "walk.h"

int pg_pae_load_pdptes(struct pg_mmu *m, const struct pg_accessor *acc, struct pg_fault *f,
		       unsigned *refs)
{
	const unsigned top = 3;
	uint64_t v[4];
	unsigned n = 0;

	*f = (struct pg_fault){ 0 };
	if (refs)
		*refs = 0;
	if (!m->fmt->top_in_regs)
		return -EINVAL;
	for (unsigned i = 0; i < 4; i++) {
		struct pg_ref r = { .addr = m->root + 8 * i, .size = 8, .level = top,
				    .kind = PG_REF_READ };
		int rc = acc->ref(acc->opaque, &r, f);

		if (rc)
			return rc < 0 ? rc : 0;
		if (refs)
			*refs = ++n;
		v[i] = r.val;
	}
	for (unsigned i = 0; i < 4; i++) {
		if ((v[i] & PTE_P) && (v[i] & m->rsvd[top][0])) {
			*f = (struct pg_fault){ .vector = X86_VEC_GP, .stage = PG_STAGE_PDPTE_LOAD,
						.level = top, .gpa = m->root + 8 * i };
			return 0;
		}
	}
	for (unsigned i = 0; i < 4; i++)
		m->pdpte[i] = v[i];
	m->pdpte_loaded = true;
	return 0;
}
