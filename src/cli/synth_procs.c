/*
 * `tdpsim synth --processes N --switch-every K [--kpti] [--pte-writes R]`:
 * the address-space workload of hv_work.h (own tables per process, CR3
 * writes at switches, a user and a kernel CR3 per process with --kpti)
 * through the feed's sink into the timing model, with no host dimension.
 */
#include <errno.h>
#include <stdio.h>

#include "paging/access_ram.h"
#include "synth_procs.h"
#include "trace/sink.h"

static void fwd_access(void *o, uint64_t va, uint8_t size, uint8_t kind, uint8_t cpl)
{
	trc_access(o, va, size, kind == PG_ACC_WRITE ? TRC_WRITE : TRC_READ, cpl, false);
}

static void fwd_insns(void *o, uint64_t n)
{
	trc_insns(o, n);
}

/* hv_work's paging events as the sink's (only CR3 and INVLPG occur
 * without --hv nested). */
static void fwd_event(void *o, const struct tm_event *ev)
{
	struct trc_event t = { 0 };

	if (ev->kind == TM_EV_CR3) {
		t.kind = TRC_EV_CR3;
		t.cr3.operand = ev->val;
	} else if (ev->kind == TM_EV_INVLPG) {
		t.kind = TRC_EV_INVLPG;
		t.invlpg.la = ev->addr;
	} else {
		return;
	}
	trc_event(o, &t);
}

int synth_procs_run(const struct hvw_opts *wo, const struct tm_config *cfg, struct hvw *w,
		    struct tm_model **m, char *why, unsigned len)
{
	struct tm_env env = { .set_ad = true };
	struct trc_sink sink;
	struct pg_cpu cpu;
	int rc;

	tm_config_pg_cpu(cfg, &cpu);
	if ((rc = hvw_build(w, wo, &cpu, why, len)))
		return rc;
	env.cpu = &cpu;
	pg_ram_accessor(&env.mem, &w->ram);
	if ((rc = tm_model_new(cfg, &env, &w->regs, m, why, len)))
		goto fail;
	trc_sink_init(&sink);
	if ((rc = trc_sink_add_timing(&sink, *m))) {
		snprintf(why, len, "cannot feed the model: %s", g_strerror(-rc));
		goto fail_model;
	}
	trc_start(&sink, &(struct trc_start){ .regs = w->regs, .cpl = 3, .code_bits = 64 });
	if ((rc = hvw_run(w, &(struct hvw_sink){ fwd_access, fwd_insns, fwd_event, &sink }, 1))) {
		snprintf(why, len, "cannot set up the access stream: %s", g_strerror(-rc));
		goto fail_model;
	}
	trc_end(&sink);
	return 0;
fail_model:
	tm_model_free(*m);
	*m = NULL;
fail:
	hvw_free(w);
	return rc;
}
