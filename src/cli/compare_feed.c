/*
 * The feed producers of `tdpsim compare` besides synth (compare_run.h):
 * a trace, decoded once by a replay lane whose sink carries the models'
 * consumer, and one live run of a guest kernel whose CPU feeds it. Both
 * drive the models through the same calls, so a trace gives what the run
 * it recorded gives.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/loader.h"
#include "compare_run.h"
#include "hv/feed.h"
#include "trace/header.h"
#include "trace/lane.h"
#include "trace/reader.h"

/* The models over the guest memory of @c (a live CPU, or a lane: no
 * emulator, its sink fed by the replay), driven by the consumer added to
 * its feed. */
static int add_models(struct cpu *c, bool live, struct hv_params *hp, unsigned n,
		      struct hv_feed **f)
{
	struct trc_consumer k;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		hp[i].gram = &c->ram;
		hp[i].set_ad = false; /* the guest's own walks set its A/D bits */
	}
	if ((rc = hv_feed_new(hp, n, NULL, f)))
		return rc;
	hv_feed_consumer(*f, &k);
	return live ? cpu_feed_add(c, &k) : trc_sink_add(&c->sink, &k);
}

int cmp_run_trace(struct cmp_work *wk, struct tm_config *cfg, struct hv_params *hp, unsigned n,
		  struct hv_feed **f, char *why, unsigned len)
{
	struct trc_reader *r = NULL;
	struct trc_lane *l = g_new0(struct trc_lane, 1);
	struct trc_header h;
	struct tm_config guest;
	struct trc_rec rec;
	bool synth = false;
	gchar *producer;
	int rc;

	if ((rc = trc_reader_open(wk->path, &r, why, len)))
		goto out;
	if ((rc = trc_header_read(trc_reader_header(r), &h, why, len)))
		goto out;
	if (h.host_kind < HV_HOST_KINDS && hv_host_modes[h.host_kind].gpaw) {
		snprintf(why, len, "%s was recorded in a TD, whose memory no shadow MMU maps",
			 wk->path);
		rc = -EINVAL;
		goto out;
	}
	producer = g_key_file_get_string(trc_reader_header(r), "trace", "producer", NULL);
	synth = producer && strcmp(producer, "synth") == 0;
	g_free(producer);
	/* The trace's guest ran with its CPU's guest-visible part. */
	trc_header_guest_cfg(&h, &guest);
	trc_config_guest_part(cfg, &guest);
	for (unsigned i = 0; i < n; i++)
		tm_config_pg_cpu(cfg, &hp[i].cpu);
	/* The lane keeps guest memory as the recording had it at every
	 * record; no host dimension (the models are the host here). */
	if ((rc = trc_lane_init(l, cfg, HV_HOST_NONE, false, 0, h.ram_bytes, synth, why, len)) ||
	    (rc = add_models(&l->c, false, hp, n, f))) {
		if (rc == -ENOSPC)
			snprintf(why, len, "no room for the models in the replay's feed");
		goto out_lane;
	}
	while ((rc = trc_reader_next(r, &rec)) > 0 && !l->err)
		trc_lane_apply(l, &rec);
	if (rc < 0) {
		snprintf(why, len, "%s: %s", wk->path, trc_reader_error(r));
	} else if (l->err) {
		rc = l->err;
		snprintf(why, len, "%s: %s", wk->path, l->why);
	}
	wk->insns = l->c.sink.insns;
out_lane:
	trc_lane_free(l);
out:
	trc_reader_close(r);
	g_free(l);
	return rc < 0 ? rc : 0;
}

int cmp_run_kernel(struct cmp_work *wk, const struct tm_config *cfg, struct hv_params *hp,
		   unsigned n, struct hv_feed **f, char *why, unsigned len)
{
	/* The feed of `tdpsim run --record` (tdpsim's fills, the timing
	 * model's access path), no host dimension: the models are the host. */
	const struct cpu_opts o = { .mem_bytes = wk->mem_bytes, .mmu_kind = CPU_MMU_TDPSIM,
				    .model_kind = CPU_MODEL_TIMING, .host_kind = HV_HOST_NONE,
				    .max_insns = wk->max_insns, .console = stderr,
				    .report = stderr };
	struct cpu *c = g_new0(struct cpu, 1);
	struct cpu_boot boot;
	int rc;

	for (unsigned i = 0; i < n; i++)
		tm_config_pg_cpu(cfg, &hp[i].cpu);
	if ((rc = cpu_machine_init(c, cfg, &o, why, len))) {
		g_free(c);
		return rc;
	}
	if ((rc = add_models(c, true, hp, n, f))) {
		snprintf(why, len, "cannot feed the models: %s", g_strerror(-rc));
		goto out;
	}
	if ((rc = cpu_load_kernel(&c->ram, wk->path, wk->append ? wk->append : "", NULL, 0, &boot,
				  why, len)) ||
	    (rc = cpu_boot_enter(c, &boot, why, len)))
		goto out;
	cpu_run(c);
	trc_end(&c->sink);
	fflush(stderr);
	wk->insns = c->sink.insns;
	wk->exit_status = c->stop == CPU_STOP_EXIT ? c->bus.exit_status : -1;
	snprintf(wk->stop, sizeof(wk->stop), "%s", c->stop == CPU_STOP_EXIT ? "" : c->stop_msg);
out:
	cpu_machine_free(c);
	g_free(c);
	return rc;
}
