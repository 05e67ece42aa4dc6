/*
 * `tdpsim run --record FILE` and `--guest-cpu MODEL`: the recorder as a
 * consumer of the live run's feed, and the CPU model whose guest-visible
 * part (CPUID, MAXPHYADDR, linear width) a live run takes while the timing
 * part stays --config's (a replay's "live run under B").
 */
#include "run_record.h"

#include <stdio.h>
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

/* [inputs] KEY = the base name of @file, KEY_sha256 = the sha256 of its
 * bytes: what a trace says of its inputs, portable across machines. */
static int add_input(const char *cmd, GKeyFile *k, const char *key, const char *file)
{
	GError *e = NULL;
	GMappedFile *m = g_mapped_file_new(file, FALSE, &e);
	gchar *base, *sum, *skey;

	if (!m) {
		int rc = cli_fail(cmd, "--record: cannot read %s to hash it: %s", file, e->message);

		g_error_free(e);
		return rc;
	}
	base = g_path_get_basename(file);
	sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
					  (const guchar *)g_mapped_file_get_contents(m),
					  g_mapped_file_get_length(m));
	skey = g_strconcat(key, "_sha256", NULL);
	g_key_file_set_string(k, "inputs", key, base);
	g_key_file_set_string(k, "inputs", skey, sum);
	g_free(skey);
	g_free(sum);
	g_free(base);
	g_mapped_file_unref(m);
	return 0;
}

int run_record_open(const char *cmd, const char *path, const char *cmdline, const char *kernel,
		    const char *initrd, const struct cpu_module *mods, unsigned nmods,
		    struct cpu *c, struct trc_recorder **out)
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
	rc = add_input(cmd, k, "kernel", kernel);
	if (!rc && initrd)
		rc = add_input(cmd, k, "initrd", initrd);
	for (unsigned i = 0; !rc && mods && i < nmods; i++) {
		char key[24];

		snprintf(key, sizeof(key), "module%u", i + 1);
		rc = add_input(cmd, k, key, mods[i].path);
	}
	if (rc) {
		g_key_file_unref(k);
		return rc;
	}
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
