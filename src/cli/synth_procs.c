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
	if ((rc = hvw_run(w, &sink))) {
		snprintf(why, len, "cannot set up the access stream: %s", g_strerror(-rc));
		goto fail_model;
	}
	return 0;
fail_model:
	tm_model_free(*m);
	*m = NULL;
fail:
	hvw_free(w);
	return rc;
}
