/*
 * `tdpsim run --record FILE` and `--guest-cpu MODEL`: the recorder as a
 * consumer of the live run's feed, and the CPU model whose guest-visible
 * part (CPUID, MAXPHYADDR, linear width) a live run takes while the timing
 * part stays --config's (a replay's "live run under B").
 */
#include "run_record.h"

#include <string.h>

#include "trace/header.h"
#include "trace/lane.h"

int run_guest_cpu(const char *cmd, const char *model, struct tm_config *cfg)
{
	struct tm_config g;
	int rc;

	if (!model)
		return 0;
	rc = cli_load_config_as(cmd, "--guest-cpu", model, NULL, &g, NULL);
	if (rc)
		return rc;
	trc_config_guest_part(cfg, &g);
	return 0;
}

int run_record_open(const char *cmd, const char *path, const char *cmdline, struct cpu *c,
		    struct trc_recorder **out)
{
	GKeyFile *k = g_key_file_new();
	struct trc_consumer cons;
	char why[320];
	int rc;

	if (c->model_kind != CPU_MODEL_TIMING || c->mmu_kind != CPU_MMU_TDPSIM) {
		g_key_file_free(k);
		return cli_fail(cmd, "--record needs --mmu tdpsim and --model timing (the access "
				"feed comes from tdpsim's own TLB fills)");
	}
	g_key_file_set_string(k, "trace", "producer", "run");
	g_key_file_set_string(k, "trace", "command", cmdline);
	trc_header_cpu(k, &c->cfg);
	trc_header_machine(k, c->ram.size, c->host_kind, c->vpid);
	rc = trc_recorder_open(path, k, &c->ram, out, why, sizeof(why));
	g_key_file_unref(k);
	if (rc)
		return cli_fail(cmd, "--record %s", why);
	trc_recorder_consumer(*out, &cons);
	rc = cpu_feed_add(c, &cons);
	if (rc) {
		trc_recorder_close(*out, NULL, 0);
		return cli_fail(cmd, "--record: cannot add the recorder: %s", g_strerror(-rc));
	}
	return 0;
}

int run_record_close(const char *cmd, struct trc_recorder *r)
{
	char why[320];

	if (r && trc_recorder_close(r, why, sizeof(why)))
		return cli_fail(cmd, "%s", why);
	return 0;
}
