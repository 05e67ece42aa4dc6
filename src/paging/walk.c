/*
 * The generic walker. One loop runs every format descriptor; formats differ
 * only in data (format.h) and in the masks pg_mmu_init() resolved from it.
 *
 * Order of events per level, as the hardware (and QEMU) make them:
 *   read the entry; stop if not present; stop if a reserved bit is set (or
 *   the family rejects the value: EPT misconfigurations); fold the rights
 *   bits into the effective rights; for a non-leaf entry set its accessed
 *   flag and step down.
 * At the leaf the access rights are checked first; only a permitted access
 * sets the leaf's A flag (and D for a write) (SDM Vol. 3A 4.8). Non-leaf
 * entries that were used keep the A flag they got even if the walk faults
 * further down. What a failure means (#PF, #NPF, EPT violation or
 * misconfiguration) is the family's business: m->rules.
 */
#include "walk.h"

#include <errno.h>
#include <string.h>

#include "bits.h"

void pg_set_fault(struct pg_walk *w, uint8_t vec, uint8_t stage, unsigned level, uint32_t ec,
		  uint64_t va)
{
	w->fault.vector = vec;
	w->fault.stage = stage;
	w->fault.level = (uint8_t)level;
	w->fault.error_code = ec;
	w->fault.addr = va;
}

static int ref(const struct pg_accessor *acc, struct pg_walk *w, struct pg_ref *r)
{
	int rc = acc->ref(acc->opaque, r, &w->fault);

	if (rc == 0) {
		if (r->kind == PG_REF_READ)
			w->refs++;
		else
			w->ad_writes++;
	}
	return rc;
}

/* Is @va a legal linear address of the format? Canonical for 48/57 bits
 * (SDM Vol. 1 3.3.7.1); 32-bit modes take only 32-bit addresses. */
static bool va_fits(const struct pg_format *f, uint64_t va, bool *noncanonical)
{
	*noncanonical = false;
	if (f->va_bits == 32)
		return va <= UINT32_MAX;
	unsigned s = 64 - f->va_bits;
	*noncanonical = (uint64_t)((int64_t)(va << s) >> s) != va;
	return true;
}

int pg_walk(const struct pg_mmu *m, const struct pg_accessor *acc, const struct pg_req *rq,
	    struct pg_walk *w)
{
	return pg_walk_from(m, acc, rq, NULL, w);
}

int pg_walk_from(const struct pg_mmu *m, const struct pg_accessor *acc, const struct pg_req *rq,
		 const struct pg_walk_start *start, struct pg_walk *w)
{
	const struct pg_format *f = m->fmt;
	const struct pg_rules *rules = m->rules;
	uint64_t table = m->root, entry = 0, all = m->perm_and, any = 0;
	bool noncanonical, large = false;
	struct pg_ref r;
	uint32_t code;
	unsigned l;
	int rc;

	memset(w, 0, sizeof(*w));
	if (m->addr_physical) {
		/* A GPA is not a linear address: no canonical check. The
		 * tables cannot map one beyond their reach (a 32-bit host
		 * format above 4 GiB, a 4-level one at or above 2^48). */
		if (f->levels && f->va_bits < 64 && (rq->va >> f->va_bits)) {
			rules->fault(m, rq, w, PG_FAIL_NOT_PRESENT, f->levels, 0, all);
			return 0;
		}
	} else if (!va_fits(f, rq->va, &noncanonical)) {
		return -EINVAL;
	} else if (noncanonical) {
		pg_set_fault(w, rq->stack ? X86_VEC_SS : X86_VEC_GP, PG_STAGE_LINEAR, 0, 0, rq->va);
		return 0;
	}
	if (f->levels == 0) {
		w->pa = rq->va;
		w->page_size = 4096;
		w->perms = PG_PERM_W | PG_PERM_U | PG_PERM_X;
		return 0;
	}
	if (f->top_in_regs && !m->pdpte_in_walk && !m->pdpte_loaded)
		return -EINVAL; /* caller forgot pg_pae_load_pdptes() */

	l = f->levels;
	if (start && start->nlevels) {
		/* The upper levels as the loop below would have left them. */
		for (unsigned i = 0; i < start->nlevels; i++) {
			const struct pg_walk_level *sl = &start->lvl[i];

			w->lvl[i] = *sl;
			if (f->lvl[sl->level].has_perm) {
				all &= sl->entry;
				any |= sl->entry & m->perm_or;
			}
		}
		w->nlevels = start->nlevels;
		w->refs = start->refs;
		l = start->lvl[start->nlevels - 1].level - 1u;
		table = start->lvl[start->nlevels - 1].entry & m->table_addr;
	}
	for (; l >= 1; l--) {
		const struct pg_level *L = &f->lvl[l];
		unsigned idx = (unsigned)(rq->va >> L->shift) & ((1u << L->index_bits) - 1);
		struct pg_walk_level *wl = &w->lvl[w->nlevels++];

		wl->level = (uint8_t)l;
		wl->index = (uint16_t)idx;
		wl->table = table;
		wl->entry_addr = table + (uint64_t)idx * f->entry_bytes;
		if (l == f->levels && f->top_in_regs && !m->pdpte_in_walk) {
			entry = m->pdpte[idx];
			wl->from_reg = true;
		} else {
			r = (struct pg_ref){ .addr = wl->entry_addr, .size = f->entry_bytes,
					     .level = (uint8_t)l, .kind = PG_REF_READ };
			rc = ref(acc, w, &r);
			if (rc)
				return rc < 0 ? rc : 0;
			entry = r.val;
		}
		wl->entry = entry;

		if (!(entry & m->present)) {
			rules->fault(m, rq, w, PG_FAIL_NOT_PRESENT, l, 0, all);
			return 0;
		}
		large = m->ps_leaf[l] && (entry & PTE_PS);
		if ((entry & m->rsvd[l][large]) ||
		    (rules->entry_bad && rules->entry_bad(m, l, large || l == 1, entry))) {
			rules->fault(m, rq, w, PG_FAIL_RSVD, l, 0, all);
			return 0;
		}
		if (L->has_perm) {
			all &= entry;
			any |= entry & m->perm_or;
		}
		if (large || l == 1)
			break;
		if (L->has_a && m->a_bit && !(entry & m->a_bit)) {
			r = (struct pg_ref){ .addr = wl->entry_addr, .size = f->entry_bytes,
					     .level = (uint8_t)l, .kind = PG_REF_SET_AD,
					     .set = m->a_bit };
			rc = ref(acc, w, &r);
			if (rc)
				return rc < 0 ? rc : 0;
		}
		table = entry & m->table_addr;
	}

	/* l is the leaf level; entry the leaf entry. */
	w->large = large;
	w->page_size = UINT64_C(1) << f->lvl[l].shift;
	w->pa = (entry & m->leaf_addr[l]) | (rq->va & (w->page_size - 1));
	if (large && f->lvl[l].hi_bits)
		w->pa |= ((entry >> f->lvl[l].hi_lo) & ((1u << f->lvl[l].hi_bits) - 1)) << 32;
	w->pkey = f->pk ? (uint8_t)((entry & PTE_PK) >> PTE_PK_SHIFT) : 0;
	w->global = m->pge && (entry & PTE_G);

	code = rules->check(m, rq, w, all, any);
	if (code) {
		rules->fault(m, rq, w, PG_FAIL_DENIED, l, code, all);
		return 0;
	}

	uint64_t ad = m->a_bit | (rq->access == PG_ACC_WRITE ? m->d_bit : 0);
	if ((entry & ad) != ad) {
		r = (struct pg_ref){ .addr = w->lvl[w->nlevels - 1].entry_addr,
				     .size = f->entry_bytes, .level = (uint8_t)l,
				     .kind = PG_REF_SET_AD, .set = ad };
		rc = ref(acc, w, &r);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

const char *pg_access_name(enum pg_access a)
{
	static const char *const names[] = { "read", "write", "fetch" };
	return (unsigned)a < 3 ? names[a] : "?";
}

const char *pg_stage_name(enum pg_stage s)
{
	static const char *const names[] = {
		[PG_STAGE_NONE] = "none",           [PG_STAGE_LINEAR] = "linear",
		[PG_STAGE_GUEST] = "guest",         [PG_STAGE_PDPTE_LOAD] = "pdpte-load",
		[PG_STAGE_HOST_TABLE] = "host-table", [PG_STAGE_HOST_FINAL] = "host-final",
	};
	return (unsigned)s <= PG_STAGE_HOST_FINAL ? names[s] : "?";
}
