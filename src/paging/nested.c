/*
 * The two-dimensional walk (see nested.h).
 *
 * Reference order, as the hardware makes it (SDM Vol. 3C 29.3.2; APM Vol. 2
 * 15.25.5; Bhargava et al., ASPLOS 2008): for each guest level, the host
 * walk of the guest table's GPA, then the guest entry itself at the
 * resulting host-physical address; finally the host walk of the final GPA.
 * A guest n-level walk over an m-level host makes (n+1)(m+1)-1 reads.
 */
#include "nested.h"

#include <errno.h>
#include <string.h>

#include "bits.h"

static void log_ref(struct pg_nested *n, uint8_t dim, uint8_t glevel, uint8_t hlevel,
		    uint8_t kind, uint64_t addr, uint64_t gpa, uint64_t val)
{
	if (kind == PG_REF_READ)
		n->reads++;
	else
		n->ad++;
	if (!n->log)
		return;
	if (kind == PG_REF_READ)
		n->log->reads++;
	else
		n->log->ad++;
	if (n->log->n < PG_REFLOG_MAX)
		n->log->rec[n->log->n++] = (struct pg_ref_rec){
			.addr = addr, .gpa = gpa, .dim = dim, .glevel = glevel,
			.hlevel = hlevel, .kind = kind, .val = val,
		};
}

/* The host walk's own table references: logged, then to host memory. */
struct host_ref_ctx {
	struct pg_nested *n;
	uint64_t gpa;
	uint8_t glevel;
};

static int host_table_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct host_ref_ctx *c = opaque;
	const struct pg_accessor *mem = &c->n->host->mem;
	int rc = mem->ref(mem->opaque, r, f);

	if (rc == 0)
		log_ref(c->n, PG_DIM_HOST, c->glevel, r->level, r->kind, r->addr, c->gpa, r->val);
	return rc;
}

/*
 * Translate @gpa through the host dimension. 0 with @hw filled; on a host
 * fault, PG_REF_FAULTED with @f filled; a negative errno on failure.
 */
static int host_translate(struct pg_nested *n, uint64_t gpa, uint8_t access, uint8_t hreq,
			  uint8_t glevel, struct pg_walk *hw, struct pg_fault *f)
{
	const struct pg_host *h = n->host;
	const struct pg_mmu *hm = h->mmu;
	uint64_t walk_gpa = gpa;
	struct host_ref_ctx c = { .n = n, .gpa = gpa, .glevel = glevel };
	struct pg_accessor acc = { .ref = host_table_ref, .opaque = &c };
	struct pg_req hrq = {
		.access = access, .cpl = 3, .host = hreq,
		.gla = (n->rq && !(hreq & PG_HREQ_PDPTE_LOAD)) ? n->rq->va : 0,
	};
	int rc;

	if (h->select)
		hm = h->select(h->opaque, gpa, &walk_gpa);
	if (!hm)
		return -EINVAL;
	hrq.va = walk_gpa;
	rc = pg_walk(hm, &acc, &hrq, hw);
	if (rc)
		return rc;
	if (hw->fault.vector) {
		*f = hw->fault;
		return PG_REF_FAULTED;
	}
	return 0;
}

static int nested_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct pg_nested *n = opaque;
	const struct pg_host *h = n->host;
	uint8_t glevel = (n->hreq & PG_HREQ_PDPTE_LOAD) ? PG_GLEVEL_PDPTE_LOAD : r->level;
	struct pg_ref hr = *r;
	struct pg_walk hw;
	int rc;

	if (!h) {
		rc = n->mem.ref(n->mem.opaque, r, f);
		if (rc == 0)
			log_ref(n, PG_DIM_GUEST, glevel, 0, r->kind, r->addr, r->addr, r->val);
		return rc;
	}

	if (r->kind == PG_REF_SET_AD && n->last_valid && n->last_gpa == r->addr &&
	    (n->last_perms & PG_PERM_W)) {
		/* The locked update writes where the read went. */
		hr.addr = n->last_hpa;
	} else {
		bool write = r->kind == PG_REF_SET_AD ||
			     (h->table_writes && !(n->hreq & PG_HREQ_PDPTE_LOAD));
		rc = host_translate(n, r->addr, write ? PG_ACC_WRITE : PG_ACC_READ, n->hreq,
				    glevel, &hw, f);
		if (rc)
			return rc;
		hr.addr = hw.pa;
		n->last_gpa = r->addr;
		n->last_hpa = hw.pa;
		/* Writable for a later A/D update only if the host granted
		 * it (for EPT: W; for x86-style nested tables: R/W). */
		n->last_perms = write ? PG_PERM_W : (hw.perms & PG_PERM_W);
		n->last_valid = true;
	}
	rc = h->mem.ref(h->mem.opaque, &hr, f);
	if (rc)
		return rc;
	r->val = hr.val;
	log_ref(n, PG_DIM_GUEST, glevel, 0, r->kind, hr.addr, r->addr, hr.val);
	return 0;
}

void pg_nested_accessor(struct pg_accessor *acc, struct pg_nested *n)
{
	acc->ref = nested_ref;
	acc->opaque = n;
}

int pg_walk2d(struct pg_nested *n, const struct pg_mmu *guest, const struct pg_req *rq,
	      struct pg_walk2d *r)
{
	return pg_walk2d_from(n, guest, rq, NULL, r);
}

int pg_walk2d_from(struct pg_nested *n, const struct pg_mmu *guest, const struct pg_req *rq,
		   const struct pg_walk2d_start *start, struct pg_walk2d *r)
{
	struct pg_accessor acc;
	uint8_t hreq;
	unsigned reads0 = n->reads;
	int rc;

	memset(r, 0, sizeof(*r));
	pg_nested_accessor(&acc, n);
	n->rq = rq;
	n->hreq = PG_HREQ_GUEST_TABLE;
	n->last_valid = false;
	for (unsigned i = 0; start && i < start->nrec; i++) {
		const struct pg_ref_rec *p = &start->rec[i];

		log_ref(n, p->dim, p->glevel, p->hlevel, p->kind, p->addr, p->gpa, p->val);
	}
	rc = pg_walk_from(guest, &acc, rq, start ? &start->guest : NULL, &r->guest);
	if (rc)
		goto out;
	r->fault = r->guest.fault;
	if (r->fault.vector)
		goto out;

	if (!n->host) {
		r->hpa = r->guest.pa;
		r->host_page_size = r->guest.page_size;
		goto out;
	}
	/* The final GPA, with what the linear address is (SDM Table 28-7
	 * bits 9-11, valid for accesses to the final translation). */
	hreq = PG_HREQ_FINAL;
	if (r->guest.perms & PG_PERM_U)
		hreq |= PG_HREQ_USER_LA;
	if (r->guest.perms & PG_PERM_W)
		hreq |= PG_HREQ_RW_LA;
	if (!(r->guest.perms & PG_PERM_X))
		hreq |= PG_HREQ_XD_LA;
	rc = host_translate(n, r->guest.pa, rq->access, hreq, PG_GLEVEL_FINAL, &r->host,
			    &r->fault);
	if (rc == PG_REF_FAULTED)
		rc = 0;
	if (rc || r->fault.vector)
		goto out;
	r->hpa = r->host.pa;
	r->host_page_size = r->host.page_size;
out:
	r->refs = n->reads - reads0;
	n->rq = NULL;
	return rc;
}

int pg_nested_load_pdptes(struct pg_nested *n, struct pg_mmu *guest, struct pg_fault *f)
{
	struct pg_accessor acc;
	int rc;

	pg_nested_accessor(&acc, n);
	n->rq = NULL;
	n->hreq = PG_HREQ_GUEST_TABLE | PG_HREQ_PDPTE_LOAD;
	n->last_valid = false;
	rc = pg_pae_load_pdptes(guest, &acc, f, NULL);
	n->hreq = 0;
	return rc;
}
