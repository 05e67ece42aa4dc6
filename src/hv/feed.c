/*
 * The hypervisor models as a feed consumer (feed.h): each sink call in the
 * models' terms. What a shadow MMU sees of the guest is what the hardware
 * would make it see: its accesses (block fetches included), instructions
 * retired, its paging-register writes and invalidations (the exits), and
 * the #PFs its own walks raise (TRC_EV_XLATE with a vector). The host
 * dimension's own VM exits in a stream belong to whatever host produced
 * it and are left out: the model is the host dimension here.
 */
#include "feed.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

struct hv_feed {
	struct hv_params p[HV_FEED_MAX];
	struct hv_model *m[HV_FEED_MAX];
	unsigned n;
	struct pg_regs l1;
	bool nested, started;
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

void hv_feed_free(struct hv_feed *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->n; i++)
		hv_model_free(f->m[i]);
	g_free(f);
}

struct hv_model *hv_feed_model(const struct hv_feed *f, unsigned i)
{
	return i < f->n ? f->m[i] : NULL;
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

static void on_start(void *o, const struct trc_start *st)
{
	struct hv_feed *f = o;

	f->started = true;
	for (unsigned i = 0; i < f->n; i++) {
		char why[200];
		int rc;

		hv_model_free(f->m[i]);
		f->m[i] = NULL;
		rc = hv_model_new(&f->p[i], &st->regs, f->nested ? &f->l1 : NULL, &f->m[i], why,
				  sizeof(why));
		if (rc && !f->err) {
			f->err = rc;
			snprintf(f->why, sizeof(f->why), "%s: %s", f->p[i].strat.name, why);
		}
	}
}

struct fetch_to {
	struct hv_model *m;
	uint8_t cpl;
};

static void one_fetch(void *o, uint64_t la, uint8_t size)
{
	const struct fetch_to *t = o;

	hv_access(t->m, la, size, PG_ACC_FETCH, t->cpl);
}

static void on_block(void *o, const struct trc_block *b)
{
	struct hv_feed *f = o;

	for (unsigned i = 0; i < f->n; i++)
		if (f->m[i])
			trc_block_fetches(b, one_fetch, &(struct fetch_to){ f->m[i], b->cpl });
}

static void on_access(void *o, uint64_t la, uint8_t size, uint8_t kind, uint8_t cpl,
		      bool implicit)
{
	struct hv_feed *f = o;

	/* An implicit supervisor access is a supervisor one to the
	 * shadow's rights, as to the timing model's. */
	for (unsigned i = 0; i < f->n; i++)
		if (f->m[i])
			hv_access(f->m[i], la, size, kind, implicit ? 0 : cpl);
}

static void on_insns(void *o, uint64_t n)
{
	struct hv_feed *f = o;

	for (unsigned i = 0; i < f->n; i++)
		if (f->m[i])
			hv_insns(f->m[i], n);
}

static void on_event(void *o, const struct trc_event *ev)
{
	struct hv_feed *f = o;
	struct tm_event t;

	if (ev->kind == TRC_EV_XLATE) {
		for (unsigned i = 0; i < f->n; i++)
			if (f->m[i])
				hv_xlate(f->m[i], ev->xlate.la, ev->xlate.access,
					 ev->xlate.implicit ? 0 : ev->xlate.cpl, ev->xlate.vector);
		return;
	}
	if (ev->kind == TRC_EV_VMEXIT && ev->vmexit.cause == TRC_EXIT_HOST_FAULT)
		return;
	if (!trc_tm_event_of(ev, &t))
		return;
	/* L1's VMRUN names the nested root it gives L2. */
	if (ev->kind == TRC_EV_VMENTRY)
		t.val = ev->vmentry.ncr3;
	for (unsigned i = 0; i < f->n; i++)
		if (f->m[i])
			hv_event(f->m[i], &t);
}

void hv_feed_consumer(struct hv_feed *f, struct trc_consumer *c)
{
	*c = (struct trc_consumer){ .start = on_start, .block = on_block, .access = on_access,
				    .insns = on_insns, .event = on_event, .opaque = f };
}
