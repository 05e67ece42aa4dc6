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

static inline void log_ref(struct pg_nested *n, uint8_t dim, uint8_t glevel, uint8_t hlevel,
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

/* Is @mo a memo of @key through @hm whose first @nlv entries are still
 * what it read? Re-reads them (see struct pg_host_memo). */
static bool memo_holds(const struct pg_nested *n, const struct pg_host_memo *mo, uint64_t key,
		       const struct pg_mmu *hm, unsigned nlv)
{
	const struct pg_accessor *mem = &n->host->mem;

	if (mo->key != key || mo->hm != hm || mo->root != hm->root || mo->eptp != hm->eptp ||
	    mo->cr4 != hm->regs.cr4 || mo->efer != hm->regs.efer)
		return false;
	for (unsigned i = 0; i < nlv; i++) {
		const struct pg_walk_level *l = &mo->w.lvl[i];
		struct pg_ref rd = { .addr = l->entry_addr, .size = hm->fmt->entry_bytes,
				     .level = l->level, .kind = PG_REF_READ };
		struct pg_fault f;

		if (mem->ref(mem->opaque, &rd, &f) || rd.val != l->entry)
			return false;
	}
	return true;
}

/* Can a memo stand for @hw: no fault, reads only, none from registers? */
static bool memo_fits(const struct pg_walk *hw)
{
	if (hw->fault.vector || hw->ad_writes || hw->refs != hw->nlevels)
		return false;
	for (unsigned i = 0; i < hw->nlevels; i++)
		if (hw->lvl[i].from_reg)
			return false;
	return true;
}

/* Keep @hw, a walk through @hm, as @mo for @key if a memo can stand for
 * it. */
static void memo_keep(struct pg_host_memo *mo, uint64_t key, const struct pg_mmu *hm,
		      const struct pg_walk *hw)
{
	mo->key = 0;
	if (!memo_fits(hw))
		return;
	mo->hm = hm;
	mo->root = hm->root;
	mo->eptp = hm->eptp;
	mo->cr4 = hm->regs.cr4;
	mo->efer = hm->regs.efer;
	mo->w = *hw;
	mo->key = key;
}

static struct pg_host_memo *memo_slot(struct pg_host_memo *t, unsigned bits, uint64_t key)
{
	return &t[(key * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - bits)];
}

/* Log @nlv levels of @w as the host walk of @gpa read them. */
static void log_levels(struct pg_nested *n, const struct pg_walk *w, unsigned nlv, uint64_t gpa,
		       uint8_t glevel)
{
	for (unsigned i = 0; i < nlv; i++)
		log_ref(n, PG_DIM_HOST, glevel, w->lvl[i].level, PG_REF_READ, w->lvl[i].entry_addr,
			gpa, w->lvl[i].entry);
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
	uint64_t walk_gpa = gpa, key = 0, rkey = 0;
	struct pg_host_memo *mo = NULL, *ro = NULL;
	bool rheld = false;
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
	if (!n->hmemo || hm->fmt->levels < 2) {
		rc = pg_walk(hm, &acc, &hrq, hw);
	} else {
		/* The page's walk; else the levels above the leaf of a walk
		 * in the same level-2 region (the same PT). */
		key = (walk_gpa & ~UINT64_C(0xfff)) | PG_HMEMO_VALID | (uint64_t)access << 6 | hreq;
		mo = memo_slot(n->hmemo, n->hmemo_bits, key);
		if (memo_holds(n, mo, key, hm, mo->w.nlevels)) {
			log_levels(n, &mo->w, mo->w.nlevels, gpa, glevel);
			*hw = mo->w;
			hw->pa = (hw->pa & ~UINT64_C(0xfff)) | (walk_gpa & 0xfff);
			n->hmemo_used++;
			return 0;
		}
		rkey = (walk_gpa >> hm->fmt->lvl[2].shift) << 12 | PG_HMEMO_VALID;
		ro = memo_slot(n->hregion, n->hmemo_bits, rkey);
		if (memo_holds(n, ro, rkey, hm, ro->w.nlevels - 1u)) {
			struct pg_walk_start st = { .lvl = ro->w.lvl, .nlevels = ro->w.nlevels - 1u,
						    .refs = (uint16_t)(ro->w.nlevels - 1u) };

			log_levels(n, &ro->w, st.nlevels, gpa, glevel);
			n->hregion_used++;
			rheld = true;
			rc = pg_walk_from(hm, &acc, &hrq, &st, hw);
		} else {
			rc = pg_walk(hm, &acc, &hrq, hw);
		}
	}
	if (rc)
		return rc;
	if (mo) {
		/* A page's memo from its second walk on (the first leaves a
		 * mark): the many pages walked once cost no copy. */
		if (mo->key == key || mo->key == (key ^ PG_HMEMO_VALID ^ PG_HMEMO_SEEN))
			memo_keep(mo, key, hm, hw);
		else
			mo->key = key ^ PG_HMEMO_VALID ^ PG_HMEMO_SEEN;
		/* A region's memo: a walk to a level-1 leaf that a memo could
		 * stand for (its upper levels are then all non-leaf entries
		 * with A set or no A flag). */
		if (!rheld && memo_fits(hw) && hw->nlevels >= 2 &&
		    hw->lvl[hw->nlevels - 1].level == 1)
			memo_keep(ro, rkey, hm, hw);
	}
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
	if (start && start->nrec) {
		/* The prefix's records, all reads, as log_ref() would log them. */
		unsigned room = n->log && n->log->n < PG_REFLOG_MAX ? PG_REFLOG_MAX - n->log->n : 0;
		unsigned keep = start->nrec < room ? start->nrec : room;

		n->reads += start->nrec;
		if (n->log) {
			n->log->reads += start->nrec;
			memcpy(&n->log->rec[n->log->n], start->rec, keep * sizeof(*start->rec));
			n->log->n += keep;
		}
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
