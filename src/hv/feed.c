/*
 * The hypervisor models as a feed consumer (feed.h): each sink call in the
 * models' terms. What a hypervisor's MMU sees of the guest is what the
 * hardware would make it see: its accesses (block fetches included),
 * instructions retired, its paging-register writes and invalidations, the
 * faults its own walks raise (TRC_EV_XLATE with a vector; one without
 * names the linear page of a later MMIO access) and the accesses it
 * emulates (TRC_EV_MMIO). The host
 * dimension's own VM exits in a stream belong to whatever host produced
 * it and are left out: the model is the host dimension here.
 */
#include "feed.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "hv/tdp_model.h"

/* One model: the shadow MMU (shadow.h) or the TDP MMU (tdp_model.h). */
struct hv_any {
	struct hv_model *sh;
	struct hv_tdp *tdp;
};

struct hv_feed {
	struct hv_params p[HV_FEED_MAX];
	struct hv_any m[HV_FEED_MAX];
	unsigned n;
	struct pg_regs l1;
	bool nested, started;
	uint8_t cpl;               /* of the current block: an MMIO access's */
	int err;
	char why[256];
};

int hv_feed_new(const struct hv_params *p, unsigned n, const struct pg_regs *l1,
		struct hv_feed **out)
{
	struct hv_feed *f;

	if (!n || n > HV_FEED_MAX)
		return -EINVAL;
	f = g_new0(struct hv_feed, 1);
	memcpy(f->p, p, n * sizeof(*p));
	f->n = n;
	if (l1) {
		f->l1 = *l1;
		f->nested = true;
	}
	*out = f;
	return 0;
}

static void any_free(struct hv_any *a)
{
	hv_model_free(a->sh);
	hv_tdp_free(a->tdp);
	*a = (struct hv_any){ 0 };
}

void hv_feed_free(struct hv_feed *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->n; i++)
		any_free(&f->m[i]);
	g_free(f);
}

int hv_feed_error(const struct hv_feed *f, char *why, unsigned len)
{
	if (!f->err && !f->started) {
		snprintf(why, len, "the stream had no start");
		return -EINVAL;
	}
	if (f->err)
		snprintf(why, len, "%s", f->why);
	return f->err;
}

int hv_feed_result(const struct hv_feed *f, unsigned i, struct hv_feed_result *r)
{
	const struct hv_any *a = i < f->n ? &f->m[i] : NULL;

	memset(r, 0, sizeof(*r));
	if (a && a->tdp) {
		hv_tdp_stats(a->tdp, &r->hv);
		r->tm = *tm_model_stats(hv_tdp_tm(a->tdp));
		r->table_bytes_final = hv_tdp_table_bytes(a->tdp, false);
		r->table_bytes_peak = hv_tdp_table_bytes(a->tdp, true);
		hv_tdp_root_str(a->tdp, r->root, sizeof(r->root));
		snprintf(r->audit_first, sizeof(r->audit_first), "%s", hv_tdp_audit_first(a->tdp));
		return 0;
	}
	if (!a || !a->sh)
		return -ENOENT;
	r->hv = *hv_model_stats(a->sh);
	r->tm = *tm_model_stats(hv_model_tm(a->sh));
	r->table_bytes_final = hv_model_shadow_bytes(a->sh);
	r->table_bytes_peak = r->hv.sp_live_peak * 4096;
	hv_model_root_shape(a->sh, r->root, sizeof(r->root), &r->special, &r->promoted);
	snprintf(r->audit_first, sizeof(r->audit_first), "%s", hv_model_audit_first(a->sh));
	return 0;
}

static int build(struct hv_feed *f, unsigned i, const struct pg_regs *regs, char *why,
		 unsigned len)
{
	const struct hv_params *p = &f->p[i];

	if (p->kind == HV_TDP) {
		const struct hv_tdp_params tp = { .mode = &hv_host_modes[p->tdp_host],
						  .normalise = p->tdp_normalise, .audit = p->audit,
						  .set_ad = p->set_ad, .cpu = p->cpu,
						  .gram = p->gram, .cfg = p->cfg };

		return hv_tdp_new(&tp, regs, &f->m[i].tdp, why, len);
	}
	return hv_model_new(p, regs, f->nested ? &f->l1 : NULL, &f->m[i].sh, why, len);
}

static void on_start(void *o, const struct trc_start *st)
{
	struct hv_feed *f = o;

	f->started = true;
	for (unsigned i = 0; i < f->n; i++) {
		char why[200];
		int rc;

		any_free(&f->m[i]);
		rc = build(f, i, &st->regs, why, sizeof(why));
		if (rc && !f->err) {
			f->err = rc;
			snprintf(f->why, sizeof(f->why), "%s: %s", f->p[i].strat.name, why);
		}
	}
}

static void one_access(struct hv_any *a, uint64_t la, uint8_t size, uint8_t kind, uint8_t cpl)
{
	if (a->sh)
		hv_access(a->sh, la, size, kind, cpl);
	else if (a->tdp)
		hv_tdp_access(a->tdp, la, size, kind, cpl);
}

struct fetch_to {
	struct hv_any *a;
	uint8_t cpl;
};

static void one_fetch(void *o, uint64_t la, uint8_t size)
{
	const struct fetch_to *t = o;

	one_access(t->a, la, size, PG_ACC_FETCH, t->cpl);
}

static void on_block(void *o, const struct trc_block *b)
{
	struct hv_feed *f = o;

	f->cpl = b->cpl;
	for (unsigned i = 0; i < f->n; i++)
		trc_block_fetches(b, one_fetch, &(struct fetch_to){ &f->m[i], b->cpl });
}

static void on_access(void *o, uint64_t la, uint8_t size, uint8_t kind, uint8_t cpl,
		      bool implicit)
{
	struct hv_feed *f = o;

	/* An implicit supervisor access is a supervisor one to the
	 * models' rights, as to the timing model's. */
	for (unsigned i = 0; i < f->n; i++)
		one_access(&f->m[i], la, size, kind, implicit ? 0 : cpl);
}

static void on_insns(void *o, uint64_t n)
{
	struct hv_feed *f = o;

	for (unsigned i = 0; i < f->n; i++) {
		if (f->m[i].sh)
			hv_insns(f->m[i].sh, n);
		else if (f->m[i].tdp)
			hv_tdp_insns(f->m[i].tdp, n);
	}
}

static void on_event(void *o, const struct trc_event *ev)
{
	struct hv_feed *f = o;
	struct tm_event t;

	if (ev->kind == TRC_EV_XLATE) {
		uint8_t cpl = ev->xlate.implicit ? 0 : ev->xlate.cpl;

		for (unsigned i = 0; i < f->n; i++) {
			if (f->m[i].sh)
				hv_xlate(f->m[i].sh, ev->xlate.la, ev->xlate.access, cpl,
					 ev->xlate.vector);
			else if (f->m[i].tdp)
				hv_tdp_xlate(f->m[i].tdp, ev->xlate.la, ev->xlate.access, cpl,
					     ev->xlate.vector);
		}
		return;
	}
	if (ev->kind == TRC_EV_MMIO) {
		for (unsigned i = 0; i < f->n; i++) {
			if (f->m[i].sh)
				hv_mmio(f->m[i].sh, ev->mmio.gpa, ev->mmio.write, f->cpl);
			else if (f->m[i].tdp)
				hv_tdp_mmio(f->m[i].tdp, ev->mmio.gpa);
		}
		return;
	}
	/* Another host dimension's exits and flushes (a trace recorded
	 * under EPT): the models make their own. */
	if ((ev->kind == TRC_EV_VMEXIT && ev->vmexit.cause == TRC_EXIT_HOST_FAULT) ||
	    ev->kind == TRC_EV_INVEPT)
		return;
	if (!trc_tm_event_of(ev, &t))
		return;
	/* L1's VMRUN names the nested root it gives L2. */
	if (ev->kind == TRC_EV_VMENTRY)
		t.val = ev->vmentry.ncr3;
	for (unsigned i = 0; i < f->n; i++) {
		if (f->m[i].sh)
			hv_event(f->m[i].sh, &t);
		else if (f->m[i].tdp)
			hv_tdp_event(f->m[i].tdp, &t);
	}
}

void hv_feed_consumer(struct hv_feed *f, struct trc_consumer *c)
{
	*c = (struct trc_consumer){ .start = on_start, .block = on_block, .access = on_access,
				    .insns = on_insns, .event = on_event, .opaque = f };
}

struct hv_model *hv_feed_model(const struct hv_feed *f, unsigned i)
{
	return i < f->n ? f->m[i].sh : NULL;
}

struct hv_tdp *hv_feed_tdp(const struct hv_feed *f, unsigned i)
{
	return i < f->n ? f->m[i].tdp : NULL;
}
