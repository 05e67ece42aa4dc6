/*
 * Running one hvw workload under several strategies at once: each
 * strategy's model is a sink of the same stream, generated once
 * (compare.h, hv_work.h).
 */
#include <stdio.h>
#include <string.h>

#include "compare_run.h"

static void s_access(void *o, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl)
{
	hv_access(o, va, size, kind, cpl);
}

static void s_insns(void *o, uint64_t n)
{
	hv_insns(o, n);
}

static void s_event(void *o, const struct tm_event *ev)
{
	hv_event(o, ev);
}

int cmp_run(struct hvw *w, const struct cmp_params *p, const struct hv_strategy *s, unsigned n,
	    struct cmp_result *out, char *why, unsigned len)
{
	struct hv_model *m[CMP_MAX_STRATEGIES] = { 0 };
	struct hvw_sink k[CMP_MAX_STRATEGIES] = { 0 };
	int rc = 0;

	for (unsigned i = 0; i < n; i++) {
		struct hv_params hp = { .kind = w->o.l1 ? HV_NESTED : HV_SHADOW, .strat = s[i],
					.unsync = p->unsync, .audit = p->audit,
					.host_levels = p->l0_levels, .gram = &w->ram,
					.set_ad = true, .cfg = p->cfg };

		tm_config_pg_cpu(p->cfg, &hp.cpu);
		rc = hv_model_new(&hp, &w->regs, w->o.l1 ? &w->l1regs : NULL, &m[i], why, len);
		if (rc)
			goto out;
		k[i] = (struct hvw_sink){ s_access, s_insns, s_event, m[i] };
	}
	if ((rc = hvw_run(w, k, n))) {
		snprintf(why, len, "cannot set up the access stream");
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		struct cmp_result *r = &out[i];

		memset(r, 0, sizeof(*r));
		r->strat = s[i];
		r->hv = *hv_model_stats(m[i]);
		r->tm = *tm_model_stats(hv_model_tm(m[i]));
		r->shadow_bytes_final = hv_model_shadow_bytes(m[i]);
		r->shadow_bytes_peak = r->hv.sp_live_peak * 4096;
		r->guest_table_bytes = (w->guest_tables + w->npt_tables) * 4096;
		hv_model_root_shape(m[i], r->root, sizeof(r->root), &r->special, &r->promoted);
		snprintf(r->audit_first, sizeof(r->audit_first), "%s", hv_model_audit_first(m[i]));
	}
out:
	for (unsigned i = 0; i < n; i++)
		hv_model_free(m[i]);
	return rc;
}
