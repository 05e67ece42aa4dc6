/*
 * The costed walk. The translation always comes from the engine: one
 * pg_walk2d() (a native walk is a 2D walk with no host dimension) over
 * accessors that never write A/D bits unless the environment allows it,
 * with every reference logged in the order the hardware makes it. The
 * caches then decide which of those references would have been made:
 *
 *   split PSC hit at level l   guest references of levels >= l, and the host
 *                              walks that served them, are skipped
 *                              (SDM Vol. 3A 4.10.3.2);
 *   nested TLB hit             the whole host walk of that GPA is skipped;
 *   host PSC hit at level k    host references of levels >= k are skipped;
 *   unified PWC hit            that one upper-level reference is skipped.
 *
 * Every reference not skipped goes to the cache hierarchy and costs the
 * latency of the level that held its line. A/D updates the walk makes (or
 * would make: set_ad false) cost cost.ad_update each, except those of
 * skipped levels: a cached entry was used by an earlier walk, which set its
 * A flag then (SDM 4.8), so the hardware has no update to make.
 *
 * walk cycles = cost.walk_start + cache-lookup latencies (PSC probes, the
 * nested TLB, the host PSC, the unified PWC) + reference latencies.
 */
#include "model_int.h"

#include <string.h>

#include "paging/bits.h"

/* One host walk in the log: the records of one GPA translation. */
struct hgroup {
	bool open;
	unsigned start;          /* first record */
	uint64_t gpa;
	uint8_t glevel;
	uint8_t last_hlevel;     /* hlevel of the last read */
	uint8_t min_hlevel;      /* the leaf level reached so far */
	bool skip_all;           /* under a guest PSC hit */
	bool ntlb_hit;
	unsigned nskip;          /* host PSC hit level, 0 = none */
	const struct tlb_entry *nhit; /* the host PSC entry that hit */
	const struct pg_format *hf;
	uint64_t walk_gpa;       /* the address the host tables translate */
};

static const struct pg_format *host_fmt(struct tm_model *m, uint64_t gpa, uint64_t *walk_gpa)
{
	const struct pg_mmu *hm = tm__host_mmu(m, gpa, walk_gpa);

	return hm ? hm->fmt : NULL;
}

/* The nested TLB and host PSC learn a completed host walk. */
static void group_fill(struct tm_model *m, const struct hgroup *g, unsigned end)
{
	uint32_t hctx = tlb_ctx(0, 0, m->ept_id);

	if (!g->open || g->skip_all || g->ntlb_hit || !g->hf || !g->min_hlevel)
		return;
	/* The probes at the group's start saw the nested TLB miss and the
	 * host PSC levels below nskip miss (all, with nskip 0). */
	pwc_ntlb_fill(&m->pwc, g->walk_gpa, UINT64_C(1) << g->hf->lvl[g->min_hlevel].shift, hctx,
		      0, true);
	for (unsigned i = g->start; i < end; i++) {
		const struct pg_ref_rec *r = &m->log.rec[i];

		if (r->dim == PG_DIM_HOST && r->kind == PG_REF_READ && r->hlevel > g->min_hlevel)
			pwc_npwc_fill(&m->pwc, g->hf, r->hlevel, g->walk_gpa, hctx,
				      r->hlevel == g->nskip ? g->nhit : NULL,
				      !g->nskip || r->hlevel < g->nskip);
	}
}

/* Is host read @i of @log a non-leaf entry: is the next read in the log a
 * lower level of the same host walk? */
static bool host_upper(const struct pg_ref_log *log, unsigned i)
{
	const struct pg_ref_rec *r = &log->rec[i];

	for (unsigned j = i + 1; j < log->n; j++) {
		const struct pg_ref_rec *q = &log->rec[j];

		if (q->kind == PG_REF_READ)
			return q->dim == PG_DIM_HOST && q->gpa == r->gpa &&
			       q->glevel == r->glevel && q->hlevel < r->hlevel;
	}
	return false;
}

_Static_assert((int)TM_REF_L1D == (int)TM_ML_L1D && (int)TM_REF_L2 == (int)TM_ML_L2 &&
		       (int)TM_REF_LLC == (int)TM_ML_LLC && (int)TM_REF_MEM == (int)TM_ML_MEM,
	       "a charged reference's fate is its cache level");

struct tally {
	uint32_t refs, skipped, lat, cyc;
};

static unsigned charge(struct tm_model *m, uint64_t addr, uint8_t dim, struct tally *t)
{
	struct tm_stats *st = &m->hot.st;
	uint32_t lat;
	unsigned lvl = tm_cache_ref(&m->cache, addr, &lat);

	st->line_hits[lvl]++;
	t->cyc += lat;
	t->refs++;
	if (dim == PG_DIM_GUEST)
		st->walk_guest_refs++;
	else
		st->walk_host_refs++;
	return lvl;
}

/* Walk the log of one walk and charge what the caches did not serve
 * (@skip_from: the split-PSC hit level, 0 for none). The first @resumed
 * records are a resumed walk's prefix (pg_walk2d_start): reads of levels
 * at or above @skip_from, ending with a guest read, so all skipped. */
static void cost_log(struct tm_model *m, unsigned skip_from, unsigned resumed,
		     const struct pg_walk2d *r, bool host_fault, struct tally *t)
{
	struct tm_stats *st = &m->hot.st;
	const struct pg_ref_log *log = &m->log;
	uint32_t ctx = m->hot.ctx, hctx = tlb_ctx(0, 0, m->ept_id);
	unsigned leaf_glevel = r->guest.nlevels ? r->guest.lvl[r->guest.nlevels - 1].level : 0;
	bool unified = m->pwc.kind == TM_PWC_UNIFIED && m->pwc.unified.sets;
	struct hgroup g = { 0 };

	if (resumed > log->n)
		resumed = log->n;
	memset(m->fate, TM_REF_SKIPPED, resumed);
	t->skipped += resumed;
	for (unsigned i = resumed; i < log->n; i++) {
		const struct pg_ref_rec *rec = &log->rec[i];
		bool gskip = skip_from && rec->glevel >= skip_from && rec->glevel <= PG_LEVELS_MAX;
		bool skip;

		if (rec->dim == PG_DIM_HOST) {
			if (!g.open || (rec->kind == PG_REF_READ &&
					(rec->gpa != g.gpa || rec->glevel != g.glevel ||
					 rec->hlevel >= g.last_hlevel))) {
				group_fill(m, &g, i);
				g = (struct hgroup){ .open = true, .start = i, .gpa = rec->gpa,
						     .glevel = rec->glevel, .skip_all = gskip };
				g.hf = host_fmt(m, rec->gpa, &g.walk_gpa);
				if (!gskip && m->pwc.ntlb.sets) {
					t->lat += m->pwc.ntlb.latency;
					g.ntlb_hit = pwc_ntlb_probe(&m->pwc, g.walk_gpa, hctx, st);
				}
				if (!gskip && !g.ntlb_hit && m->pwc.npwc.sets && g.hf) {
					t->lat += m->pwc.npwc.latency;
					g.nskip = pwc_npwc_probe(&m->pwc, g.hf, g.walk_gpa, hctx, st,
								 &g.nhit);
				}
			}
			if (rec->kind == PG_REF_READ) {
				g.last_hlevel = rec->hlevel;
				g.min_hlevel = rec->hlevel;
			}
			skip = g.skip_all || g.ntlb_hit || (g.nskip && rec->hlevel >= g.nskip);
		} else {
			if (g.open)
				group_fill(m, &g, i);
			g.open = false;
			skip = gskip;
		}
		if (rec->kind == PG_REF_SET_AD) {
			m->fate[i] = skip ? TM_REF_AD_SKIPPED : TM_REF_AD;
			if (!skip) {
				st->ad_updates++;
				st->cycles[TM_CY_AD] += m->cfg.cost.ad_update;
			}
			continue;
		}
		m->fate[i] = TM_REF_SKIPPED;
		if (skip) {
			t->skipped++;
			continue;
		}
		/* Which entries are upper-level only matters to the unified PWC. */
		if (unified && (rec->dim == PG_DIM_HOST
					? host_upper(log, i)
					: rec->glevel > leaf_glevel && rec->glevel <= PG_LEVELS_MAX)) {
			uint32_t c = rec->dim == PG_DIM_GUEST ? ctx : hctx;

			t->lat += m->pwc.unified.latency;
			if (pwc_unified_probe(&m->pwc, rec->addr, c, st)) {
				t->skipped++;
				continue;
			}
			pwc_unified_fill(&m->pwc, rec->addr, c,
					 rec->dim == PG_DIM_GUEST ? PWC_DIM_GUEST : PWC_DIM_HOST);
		}
		m->fate[i] = (uint8_t)charge(m, rec->addr, rec->dim, t);
	}
	/* The last host walk completed unless it is where the walk faulted. */
	if (g.open && !host_fault)
		group_fill(m, &g, log->n);
}

/* The split PSCs learn every non-leaf guest entry the walk stepped past.
 * The probe saw the levels below @hit (all, with @hit 0) miss, and found
 * @he at @hit; each level is an array of its own, so a fill needs no
 * search at those levels. The entry that hit (@resumed: its memo held)
 * gets a memo of
 * what it was filled from when it had none that held: entries that are
 * used again get one at their first reuse, and the many that never are
 * (a random footprint's PDEs) cost no copy. A memo is only a hint, checked
 * before every use, so which entries have one changes no result. */
static void psc_fill(struct tm_model *m, uint64_t va, const struct pg_walk *w, unsigned hit,
		     const struct tlb_entry *he, bool resumed)
{
	unsigned missed_below = hit ? hit : pwc_split_top(m->mmu.fmt) + 1;

	if (m->pwc.kind != TM_PWC_SPLIT)
		return; /* no split PSCs to fill (pwc_split_fill() would do nothing) */
	for (unsigned i = 0; i + 1 < w->nlevels; i++) {
		const struct pg_walk_level *wl = &w->lvl[i];
		const struct tlb_entry *e;

		if (wl->from_reg || wl->level < 2)
			continue;
		e = pwc_split_fill(&m->pwc, m->mmu.fmt, wl->level, va, m->hot.ctx,
				   w->lvl[i + 1].table, wl->level == hit ? he : NULL,
				   wl->level < missed_below);
		if (wl->level == hit && !resumed)
			tm__memo_record(m, wl->level, e, w, i);
	}
}

static unsigned size_class(uint64_t size)
{
	return size >= (UINT64_C(1) << 30) ? TM_1G : size >= (UINT64_C(1) << 21) ? TM_2M : TM_4K;
}

void tm__walk(struct tm_model *m, uint64_t va, uint8_t kind, uint8_t cpl,
	      struct tm_walk_out *out)
{
	struct tm_stats *st = &m->hot.st;
	struct pg_req rq = { .va = va, .access = kind, .cpl = cpl };
	struct pg_walk2d r;
	struct pg_walk2d_start start;
	const struct tlb_entry *hit;
	struct tally t = { 0 };
	unsigned skip_from;
	bool host_fault, resume;
	int rc;

	memset(out, 0, sizeof(*out));
	out->fault = true;
	st->walks++;
	if (!m->mmu_ok) {
		st->walk_faults++;
		st->walks_bad_state++;
		st->walk_hist[0]++;
		st->cycles[TM_CY_WALK] += m->cfg.cost.walk_start;
		if (m->walk_hook) {
			m->log.n = 0;
			m->walk_hook(m->walk_hook_opaque,
				     &(struct tm_walk_info){ .va = va, .kind = kind, .cpl = cpl,
							     .bad_state = m->bad_why ? m->bad_why
										    : "invalid",
							     .log = &m->log, .fate = m->fate,
							     .cycles = m->cfg.cost.walk_start });
		}
		return;
	}
	m->log.n = m->log.reads = m->log.ad = 0;
	skip_from = pwc_split_probe(&m->pwc, m->mmu.fmt, va, m->hot.ctx, st, &t.lat, &hit);
	if (m->ram)
		tm__prefetch_leaf(m, va, skip_from, hit);
	resume = skip_from && tm__memo_start(m, skip_from, hit, &start);
	m->resumed += resume;
	rc = pg_walk2d_from(&m->nested, &m->mmu, &rq, resume ? &start : NULL, &r);
	host_fault = rc || r.fault.stage == PG_STAGE_HOST_TABLE ||
		     r.fault.stage == PG_STAGE_HOST_FINAL;
	cost_log(m, skip_from, resume ? start.nrec : 0, &r, host_fault, &t);
	if (rc == 0)
		psc_fill(m, va, &r.guest, skip_from, hit, resume);

	st->walk_refs += t.refs;
	st->walk_refs_skipped += t.skipped;
	st->walk_hist[t.refs < TM_HIST_MAX ? t.refs : TM_HIST_MAX]++;
	st->cycles[TM_CY_WALK] += (uint64_t)m->cfg.cost.walk_start + t.lat + t.cyc;
	if (m->walk_hook)
		m->walk_hook(m->walk_hook_opaque,
			     &(struct tm_walk_info){ .va = va, .kind = kind, .cpl = cpl, .rc = rc,
						     .r = &r, .log = &m->log, .fate = m->fate,
						     .refs = t.refs, .skipped = t.skipped,
						     .cycles = (uint64_t)m->cfg.cost.walk_start +
							       t.lat + t.cyc });
	if (rc || r.fault.vector) {
		st->walk_faults++;
		return;
	}

	uint64_t gsize = r.guest.page_size, size;
	const struct pg_walk_level *leaf = r.guest.nlevels ? &r.guest.lvl[r.guest.nlevels - 1]
							    : NULL;
	bool nopaging = !m->mmu.fmt->levels;
	uint8_t rights = 0;

	/* CR0.PG=0: a guest-physical mapping, as large as the host page. */
	if (nopaging && m->has_host)
		gsize = r.host_page_size;
	size = gsize;

	if (m->has_host && r.host_page_size < size)
		size = r.host_page_size; /* splintered to the host page */
	out->fault = false;
	out->size = size_class(size);
	out->oshift = (unsigned)__builtin_ctzll(gsize);
	out->global = r.guest.global;
	rights |= (r.guest.perms & PG_PERM_W) ? TLB_R_W : 0;
	rights |= (r.guest.perms & PG_PERM_U) ? TLB_R_U : 0;
	rights |= (r.guest.perms & PG_PERM_X) ? TLB_R_X : 0;
	/* D: the leaf had it, or this write sets it (SDM 4.8). */
	if (kind == TM_WRITE || !m->mmu.d_bit || nopaging ||
	    (leaf && (leaf->entry & m->mmu.d_bit)))
		rights |= TLB_R_D;
	if (m->has_host) {
		rights |= (r.host.perms & PG_PERM_W) ? 0 : TLB_R_HNW;
		rights |= (r.host.perms & PG_PERM_X) ? 0 : TLB_R_HNX;
	}
	out->rights = rights;
}

void tm__charge_log(struct tm_model *m)
{
	struct tm_stats *st = &m->hot.st;

	/* PDPTE loads are not walks: their references count in line_hits and
	 * walk cycles only. */
	for (unsigned i = 0; i < m->log.n; i++) {
		uint32_t lat;

		if (m->log.rec[i].kind != PG_REF_READ)
			continue;
		st->line_hits[tm_cache_ref(&m->cache, m->log.rec[i].addr, &lat)]++;
		st->cycles[TM_CY_WALK] += lat;
	}
}
