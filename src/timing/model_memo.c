/*
 * Walks that resume below a paging-structure-cache hit (SDM Vol. 3A
 * 4.10.3.2), with results equal to the whole walk's.
 *
 * The hardware starts a walk below the deepest split-PSC entry that hits
 * and uses what the entry cached, stale or not. The model's translation
 * always comes from the tables as they are now (model_walk.c), so a cached
 * entry is only a hint here: each split-PSC entry has a memo of the walk
 * that filled it (its upper levels, and the log records that reading them
 * made, host walks included), and a walk that hits the entry resumes below
 * it only after every one of those entries has been read again, through the
 * same accessors and in the same order as the walk would read them, and
 * found equal, under the same paging registers (mmu_gen) and host tables.
 * The walk then makes exactly the log, result and accessor reads that the
 * whole walk would have made; the statistics and golden lines cannot
 * differ. What is saved is the engine's work between the reads: the
 * accessor chain, the host walks' set-up and checks, and the logging.
 *
 * A memo is only made from prefixes of reads alone: an upper level whose A
 * flag the walk set (or would set) gives none, and it is not used once
 * memory differs from it. A failed check has read some entries once more
 * than the whole walk would; only an accessor whose reads have effects
 * beyond the value (MMIO registers as page tables) could tell.
 */
#include "model_int.h"

#include <stdlib.h>
#include <string.h>

int tm__memo_alloc(struct tm_model *m)
{
	for (unsigned l = 2; l <= PG_LEVELS_MAX; l++) {
		const struct tlb_array *a = &m->pwc.level[l];

		if (m->pwc.kind != TM_PWC_SPLIT || !a->sets)
			continue;
		m->memo[l] = calloc((size_t)a->sets * a->ways, sizeof(*m->memo[l]));
		if (!m->memo[l])
			return -1;
	}
	return 0;
}

void tm__memo_free(struct tm_model *m)
{
	for (unsigned l = 0; l <= PG_LEVELS_MAX; l++) {
		free(m->memo[l]);
		m->memo[l] = NULL;
	}
}

uint64_t tm__memo_bytes(const struct tm_config *c)
{
	uint64_t n = 0;

	if (c->pwc_kind == TM_PWC_SPLIT)
		for (unsigned l = 2; l <= PG_LEVELS_MAX; l++)
			n += (uint64_t)c->pwc_level[l].entries * sizeof(struct tm_psc_memo);
	return n;
}

static bool host_same(struct tm_model *m, const struct tm_memo_host *h, uint64_t gpa)
{
	uint64_t walk_gpa;
	const struct pg_mmu *hm = tm__host_mmu(m, gpa, &walk_gpa);

	return hm == h->hm && walk_gpa == h->walk_gpa && hm->root == h->root &&
	       hm->eptp == h->eptp && hm->regs.cr4 == h->cr4 && hm->regs.efer == h->efer;
}

bool tm__memo_start(struct tm_model *m, unsigned level, const struct tlb_entry *e,
		    struct pg_walk2d_start *start)
{
	const struct tlb_array *a = &m->pwc.level[level];
	/* The memory the entries are read from: the host's when there is a
	 * host dimension (guest entries are read at their host-physical
	 * address; every entry is then the host's). */
	const struct pg_accessor *acc = m->has_host ? &m->host_acc.inner : &m->guest_acc.inner;
	const struct tm_psc_memo *mo;
	struct pg_ref rd = { .kind = PG_REF_READ };
	struct pg_fault f;
	unsigned h = 0;

	if (!m->memo[level])
		return false;
	mo = &m->memo[level][e - a->e];
	if (mo->gen != m->mmu_gen || mo->tag != e->tag || mo->ctx != e->ctx)
		return false;
	for (unsigned i = 0; i < mo->nrec; i++) {
		const struct pg_ref_rec *r = &mo->rec[i];

		rd.kind = PG_REF_READ;
		rd.addr = r->addr;
		rd.size = mo->size[i];
		rd.level = r->dim == PG_DIM_HOST ? r->hlevel : r->glevel;
		/* A host walk starts where the host tables it walked start. */
		if (h < mo->nhost && mo->host[h].rec == i && !host_same(m, &mo->host[h++], r->gpa))
			return false;
		if (acc->ref(acc->opaque, &rd, &f) || rd.val != r->val)
			return false;
	}
	start->guest = (struct pg_walk_start){ .lvl = mo->lvl, .nlevels = mo->nlevels,
					       .refs = mo->grefs };
	start->rec = mo->rec;
	start->nrec = mo->nrec;
	return true;
}

/* Does record @r start a host walk after record @p (NULL: none)? As
 * model_walk.c's cost_log groups them. */
static bool host_walk_starts(const struct pg_ref_rec *p, const struct pg_ref_rec *r)
{
	return r->dim == PG_DIM_HOST &&
	       (!p || p->dim != PG_DIM_HOST || p->gpa != r->gpa || p->glevel != r->glevel ||
		p->hlevel <= r->hlevel);
}

void tm__memo_record(struct tm_model *m, unsigned level, const struct tlb_entry *e,
		     const struct pg_walk *w, unsigned i)
{
	const struct pg_ref_log *log = &m->log;
	struct tm_psc_memo *mo;
	unsigned n = 0, grefs = 0;

	if (!m->memo[level] || !e)
		return;
	mo = &m->memo[level][e - m->pwc.level[level].e];
	mo->gen = 0;
	/* Every reference of the walk logged; the prefix is the records of
	 * the levels down to @level, all reads, ending with the read of the
	 * level-@level entry itself. */
	if (log->n != log->reads + log->ad)
		return;
	while (n < log->n && log->rec[n].glevel >= level && log->rec[n].glevel <= PG_LEVELS_MAX) {
		if (log->rec[n].kind != PG_REF_READ || n == TM_MEMO_RECS)
			return;
		grefs += log->rec[n].dim == PG_DIM_GUEST;
		n++;
	}
	if (!n || log->rec[n - 1].dim != PG_DIM_GUEST || log->rec[n - 1].glevel != level)
		return;
	mo->nhost = 0;
	for (unsigned k = 0; k < n; k++) {
		const struct pg_ref_rec *r = &log->rec[k];

		if (host_walk_starts(k ? &log->rec[k - 1] : NULL, r)) {
			struct tm_memo_host *h = &mo->host[mo->nhost];

			if (mo->nhost == PG_LEVELS_MAX)
				return;
			h->hm = tm__host_mmu(m, r->gpa, &h->walk_gpa);
			if (!h->hm)
				return;
			h->root = h->hm->root;
			h->eptp = h->hm->eptp;
			h->cr4 = h->hm->regs.cr4;
			h->efer = h->hm->regs.efer;
			h->rec = (uint8_t)k;
			mo->nhost++;
		}
		mo->size[k] = r->dim == PG_DIM_HOST ? mo->host[mo->nhost - 1].hm->fmt->entry_bytes
						    : m->mmu.fmt->entry_bytes;
	}
	memcpy(mo->rec, log->rec, n * sizeof(*mo->rec));
	memcpy(mo->lvl, w->lvl, (i + 1) * sizeof(*mo->lvl));
	mo->nrec = (uint8_t)n;
	mo->nlevels = (uint8_t)(i + 1);
	mo->grefs = (uint16_t)grefs;
	mo->tag = e->tag;
	mo->ctx = e->ctx;
	mo->gen = m->mmu_gen;
}
