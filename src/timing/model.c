/*
 * The timing model: set-up and the access path beyond the inline L1 hit
 * (model.h). A lookup goes L1 (4 KiB entries first, then the larger
 * sizes) -> STLB -> walk (model_walk.c), and fills on the way back: the
 * STLB and the L1 with the size each holds the page as.
 *
 * Cycles of a lookup (TM_CY_TLB): the latency of the level that hit; a
 * lookup that misses the STLB pays the STLB latency and then the walk
 * (TM_CY_WALK). Base cycles are instructions x base CPI, kept exact in a
 * long double product and truncated when stored.
 */
#include "model_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paging/bits.h"

static int tm_acc_ref(void *opaque, struct pg_ref *r, struct pg_fault *f)
{
	struct tm_acc *a = opaque;
	struct pg_ref rd;
	int rc;

	if (r->kind != PG_REF_SET_AD || a->set_ad)
		return a->inner.ref(a->inner.opaque, r, f);
	rd = *r;
	rd.kind = PG_REF_READ;
	rc = a->inner.ref(a->inner.opaque, &rd, f);
	if (rc == 0)
		r->val = rd.val | r->set;
	return rc;
}

void tm_set_walk_hook(struct tm_model *m, tm_walk_fn fn, void *opaque)
{
	m->walk_hook = fn;
	m->walk_hook_opaque = opaque;
}

int tm_model_new(const struct tm_config *cfg, const struct tm_env *env,
		 const struct pg_regs *regs, struct tm_model **out, char *why, unsigned why_len)
{
	static const char *const tlb_names[TM_NTLB_LEVELS] = { "tlb.l1i", "tlb.l1d", "tlb.stlb" };
	const struct tm_tlb_cfg *tc[TM_NTLB_LEVELS] = { &cfg->l1i, &cfg->l1d, &cfg->stlb };
	struct tm_model *m;
	int rc = 0;

	*out = NULL;
	if (!env || !env->cpu || (!env->host && !env->mem.ref) ||
	    (env->host && !env->host->mem.ref)) {
		snprintf(why, why_len, "timing model: no CPU capabilities or table memory given");
		return -EINVAL;
	}
	if (cfg->cost.base_cpi < 0) {
		snprintf(why, why_len, "cost.base_cpi: negative (%g)", cfg->cost.base_cpi);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(why, why_len, "timing model: out of memory");
		return -ENOMEM;
	}
	m->cfg = *cfg;
	m->cpu = *env->cpu;
	m->cpi = cfg->cost.base_cpi;
	for (unsigned l = 0; l < TM_NTLB_LEVELS && !rc; l++)
		rc = tlb_level_init(&m->tlb[l], tc[l], 0x1000 + 0x100 * l, tlb_names[l], why,
				    why_len);
	if (!rc)
		rc = pwc_init(&m->pwc, cfg, 0x2000, why, why_len);
	if (!rc)
		rc = tm_cache_init(&m->cache, cfg, 0x3000, why, why_len);
	if (!rc && tm__memo_alloc(m)) {
		snprintf(why, why_len, "timing model: out of memory");
		rc = -ENOMEM;
	}
	if (rc)
		goto out_free;

	/* Table memory, with A/D updates turned into reads unless allowed
	 * (when they are, the environment's accessor is used as it is). */
	m->guest_acc = (struct tm_acc){ .inner = env->mem, .set_ad = env->set_ad };
	m->nested.mem = env->set_ad ? env->mem
				    : (struct pg_accessor){ .ref = tm_acc_ref, .opaque = &m->guest_acc };
	if (env->host) {
		m->has_host = true;
		m->host = *env->host;
		m->host_acc = (struct tm_acc){ .inner = env->host->mem, .set_ad = env->set_ad };
		if (!env->set_ad)
			m->host.mem = (struct pg_accessor){ .ref = tm_acc_ref,
							    .opaque = &m->host_acc };
		m->nested.host = &m->host;
		m->nested.hmemo = calloc((size_t)1 << TM_HMEMO_BITS, sizeof(*m->nested.hmemo));
		m->nested.hregion = calloc((size_t)1 << TM_HMEMO_BITS, sizeof(*m->nested.hregion));
		if (!m->nested.hmemo || !m->nested.hregion) {
			snprintf(why, why_len, "timing model: out of memory");
			rc = -ENOMEM;
			goto out_free;
		}
		m->nested.hmemo_bits = TM_HMEMO_BITS;
		m->ept_id = 1;
		m->ep4ta = env->host->mmu ? env->host->mmu->root : 0;
	}
	m->nested.log = &m->log;
	if (!env->host && env->ram) {
		m->ram = env->ram;
		m->ram_size = env->ram_size;
	}

	m->regs = *regs;
	tm__rebuild(m, true);
	if (!m->mmu_ok) {
		snprintf(why, why_len, "initial paging registers: %s",
			 m->bad_why ? m->bad_why : "refused");
		rc = -EINVAL;
		goto out_free;
	}
	*out = m;
	return 0;
out_free:
	tm_model_free(m);
	return rc;
}

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

uint64_t tm_model_bytes(const struct tm_config *c)
{
	const struct tm_tlb_cfg *tlbs[] = { &c->l1i, &c->l1d, &c->stlb };
	uint64_t n = sizeof(struct tm_model);

	for (unsigned t = 0; t < NELEMS(tlbs); t++)
		for (unsigned i = 0; i < NELEMS(tlbs[t]->arr); i++)
			n += tlb_array_bytes(&tlbs[t]->arr[i], tlbs[t]->arr[i].entries);
	for (unsigned l = 0; l < NELEMS(c->pwc_level); l++)
		n += tlb_array_bytes(&c->pwc_level[l], c->pwc_level[l].entries);
	n += tlb_array_bytes(&c->pwc_unified, c->pwc_unified.entries);
	n += tlb_array_bytes(&c->ntlb, c->ntlb.entries);
	n += tlb_array_bytes(&c->npwc, c->npwc.entries);
	n += tm__memo_bytes(c) + 2 * (sizeof(struct pg_host_memo) << TM_HMEMO_BITS);
	n += tm_cache_bytes(c);
	return n;
}

void tm_model_free(struct tm_model *m)
{
	if (!m)
		return;
	for (unsigned l = 0; l < TM_NTLB_LEVELS; l++)
		tlb_level_free(&m->tlb[l]);
	pwc_free(&m->pwc);
	tm__memo_free(m);
	free(m->nested.hmemo);
	free(m->nested.hregion);
	tm_cache_free(&m->cache);
	free(m);
}

const struct tm_stats *tm_model_stats(const struct tm_model *cm)
{
	/* The snapshot is a cache of the counters, not model state: writing
	 * it through a const model changes nothing the model computes. */
	struct tm_model *m = (struct tm_model *)cm;
	const uint64_t *fh = m->hot.fast_hits;
	struct tm_stats *o = &m->out;
	uint64_t data = fh[TM_READ] + fh[TM_WRITE];

	*o = m->hot.st;
	o->accesses += data + fh[TM_FETCH];
	o->reads += fh[TM_READ];
	o->writes += fh[TM_WRITE];
	o->fetches += fh[TM_FETCH];
	o->tlb_hits[TM_L1D][TM_4K] += data;
	o->tlb_hits[TM_L1I][TM_4K] += fh[TM_FETCH];
	/* The inline path only ever uses the one 4 KiB array of each L1. */
	o->cycles[TM_CY_TLB] += data * m->fast_lat[0] + fh[TM_FETCH] * m->fast_lat[1];
	/* And the 2 MiB arrays' inline hits. */
	{
		const uint64_t *f2 = m->hot.fast_hits2m;
		uint64_t d2 = f2[TM_READ] + f2[TM_WRITE];

		o->accesses += d2 + f2[TM_FETCH];
		o->reads += f2[TM_READ];
		o->writes += f2[TM_WRITE];
		o->fetches += f2[TM_FETCH];
		o->tlb_hits[TM_L1D][TM_2M] += d2;
		o->tlb_hits[TM_L1I][TM_2M] += f2[TM_FETCH];
		o->cycles[TM_CY_TLB] += d2 * m->fast_lat2m[0] + f2[TM_FETCH] * m->fast_lat2m[1];
	}
	return o;
}

const struct tm_config *tm_model_config(const struct tm_model *m)
{
	return &m->cfg;
}

void tm_set_vpid(struct tm_model *m, uint16_t vpid)
{
	m->vpid = vpid;
	tm__update_ctx(m);
}

void tm_insns(struct tm_model *m, uint64_t n)
{
	struct tm_stats *st = &m->hot.st;

	st->instructions += n;
	st->cycles[TM_CY_BASE] = (uint64_t)((long double)st->instructions * m->cpi);
}

static bool allowed(const struct tm_model *m, const struct tlb_entry *e, uint8_t kind, uint8_t cpl)
{
	return (m->hot.allow[kind & 3][cpl == 3] >> e->rights) & 1;
}

static uint32_t entry_latency(const struct tlb_level *l, const struct tlb_entry *e)
{
	return l->arr[l->which[e->size]].latency;
}

static void fill(struct tlb_level *l, bool missed, uint64_t va, unsigned s, unsigned oshift,
		 uint32_t ctx, bool global, uint8_t rights)
{
	if (missed)
		tlb_level_fill_missed(l, va, s, oshift, ctx, global, rights);
	else
		tlb_level_fill(l, va, s, oshift, ctx, global, rights);
}

static void lookup(struct tm_model *m, uint64_t va, uint8_t kind, uint8_t cpl)
{
	struct tm_stats *st = &m->hot.st;
	unsigned l1 = kind == TM_FETCH ? TM_L1I : TM_L1D;
	struct tlb_level *L1 = &m->tlb[l1], *L2 = &m->tlb[TM_STLB];
	uint32_t ctx = m->hot.ctx;
	struct tm_walk_out w;
	struct tlb_entry *e;
	bool l1_missed;

	/* CR0.PG=0 without a host dimension: linear = physical, no
	 * translation to cache, so no lookup and no cost. With a host the
	 * linear address is the GPA and the TLBs cache its translation. */
	if (!m->paging && !m->has_host)
		return;
	e = tlb_level_find(L1, va, ctx);
	if (e && allowed(m, e, kind, cpl)) {
		st->tlb_hits[l1][e->size]++;
		st->cycles[TM_CY_TLB] += entry_latency(L1, e);
		return;
	}
	/* A level whose lookup missed is filled without searching again (the
	 * walk fills no TLB). */
	l1_missed = !e;
	e = tlb_level_find(L2, va, ctx);
	if (e && allowed(m, e, kind, cpl)) {
		st->tlb_hits[TM_STLB][e->size]++;
		st->tlb_misses[l1][e->size]++;
		st->cycles[TM_CY_TLB] += entry_latency(L2, e);
		fill(L1, l1_missed, va, e->size, e->oshift, ctx, e->global, e->rights);
		return;
	}
	/* The STLB lookup that missed costs its latency (the first array's:
	 * the arrays are probed in parallel). */
	st->cycles[TM_CY_TLB] += L2->narr ? L2->arr[0].latency : 0;
	tm__walk(m, va, kind, cpl, &w);
	if (w.fault) {
		st->tlb_misses_fault[l1]++;
		st->tlb_misses_fault[TM_STLB]++;
		return;
	}
	st->tlb_misses[l1][w.size]++;
	st->tlb_misses[TM_STLB][w.size]++;
	fill(L2, !e, va, w.size, w.oshift, ctx, w.global, w.rights);
	fill(L1, l1_missed, va, w.size, w.oshift, ctx, w.global, w.rights);
}

void tm__access_slow(struct tm_model *m, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl)
{
	struct tm_stats *st = &m->hot.st;
	uint64_t last = va + (size ? size - 1 : 0);

	if (kind > TM_FETCH)
		return; /* not an access kind: ignored, as documented in model.h */
	tm__lh_clear(m); /* a lookup may fill */
	st->accesses++;
	st->reads += kind == TM_READ;
	st->writes += kind == TM_WRITE;
	st->fetches += kind == TM_FETCH;
	lookup(m, va, kind, cpl);
	if ((last ^ va) >> 12)
		lookup(m, last & ~UINT64_C(0xfff), kind, cpl);
}
