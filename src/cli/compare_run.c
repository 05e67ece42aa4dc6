/*
 * Running one workload under several strategies at once: each strategy's
 * model is driven by the one feed consumer of hv/feed.h, added to the
 * sink of whichever producer makes the stream (compare_run.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compare_run.h"
#include "hv/feed.h"

static int run_synth(struct cmp_work *wk, struct hv_params *hp, unsigned n, struct hv_feed **f,
		     char *why, unsigned len)
{
	struct hvw *w = &wk->w;
	struct trc_consumer k;
	struct trc_sink sink;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		hp[i].gram = &w->ram;
		hp[i].set_ad = true; /* synth's own tables: no CPU sets A/D */
	}
	if ((rc = hv_feed_new(hp, n, w->o.l1 ? &w->l1regs : NULL, f)))
		return rc;
	hv_feed_consumer(*f, &k);
	trc_sink_init(&sink);
	trc_sink_add(&sink, &k);
	if ((rc = hvw_run(w, &sink))) {
		snprintf(why, len, "cannot set up the access stream");
		return rc;
	}
	wk->insns = sink.insns;
	return 0;
}

int cmp_run(struct cmp_work *wk, const struct cmp_params *p, const struct hv_strategy *s,
	    unsigned n, struct cmp_result *out, char *why, unsigned len)
{
	struct hv_params hp[CMP_MAX_STRATEGIES];
	struct tm_config *cfg = (struct tm_config *)p->cfg;
	struct hv_feed *f = NULL;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		hp[i] = (struct hv_params){ .kind = p->tdp_host ? HV_TDP
						    : wk->source == CMP_SYNTH && wk->w.o.l1 ? HV_NESTED
						    : HV_SHADOW,
					    .strat = s[i], .unsync = p->unsync, .audit = p->audit,
					    .host_levels = p->l0_levels, .cfg = p->cfg,
					    .tdp_host = p->tdp_host,
					    .tdp_normalise = s[i].tdp_normalise && !p->no_normalise };
		tm_config_pg_cpu(p->cfg, &hp[i].cpu);
	}
	if (wk->source == CMP_TRACE)
		rc = cmp_run_trace(wk, cfg, hp, n, &f, why, len);
	else if (wk->source == CMP_KERNEL)
		rc = cmp_run_kernel(wk, cfg, hp, n, &f, why, len);
	else
		rc = run_synth(wk, hp, n, &f, why, len);
	if (!rc)
		rc = hv_feed_error(f, why, len);
	for (unsigned i = 0; !rc && i < n; i++) {
		struct cmp_result *r = &out[i];
		struct hv_feed_result fr;

		if ((rc = hv_feed_result(f, i, &fr))) {
			snprintf(why, len, "%s: no model was built", s[i].name);
			break;
		}
		memset(r, 0, sizeof(*r));
		r->strat = s[i];
		r->hv = fr.hv;
		r->tm = fr.tm;
		r->shadow_bytes_final = fr.table_bytes_final;
		r->shadow_bytes_peak = fr.table_bytes_peak;
		if (wk->source == CMP_SYNTH)
			r->guest_table_bytes = (wk->w.guest_tables + wk->w.npt_tables) * 4096;
		snprintf(r->root, sizeof(r->root), "%s", fr.root);
		r->special = fr.special;
		r->promoted = fr.promoted;
		snprintf(r->audit_first, sizeof(r->audit_first), "%s", fr.audit_first);
	}
	hv_feed_free(f);
	return rc;
}
