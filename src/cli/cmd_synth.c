/*
 * `tdpsim synth`: drive the timing model with a synthetic access stream.
 *
 * It builds guest page tables over N pages in any guest mode (and host
 * tables for --host), builds a tm_model for the CPU model (--config, --set)
 * whose walks may set A/D bits (the tables are its own), generates the
 * stream (synth_stream.c) and feeds every access to tm_access() with
 * --insns-per-access instructions each, then prints the statistics as a
 * table, JSON or CSV (docs/stats.md). docs/cli-synth.md documents the
 * options. Bad input is one line on stderr and exit 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cli.h"
#include "golden_cli.h"
#include "progress.h"
#include "synth_procs.h"
#include "synth_cli.h"
#include "timing/model.h"
#include "trace/sink.h"
#include "cpu/cpu.h"
#include "trace/header.h"
#include "trace/record.h"
#include "timing/stats.h"

#define CMD "synth"

struct synth_opts {
	gchar *pattern, *pages, *accesses, *page_size, *stride, *zipf_s, *seed;
	gchar *guest, *host, *host_page_size, *gpaw, *config, *insns;
	gchar *processes, *every, *pte_writes, *record, *stats;
	gchar *cmdline; /* for a trace's header */
	gchar *max_memory; /* the budget (budget.c) */
	gchar **set;
	gboolean json, csv, shared, kpti;
	struct golden_cli golden;
};

struct synth_run {
	enum synth_pattern pat;
	uint64_t pages, accesses, page_size, stride, seed, insns, budget;
	double zipf_s;
	const struct guest_mode *gm;
	struct host_dim hd;
	struct tm_config cfg;
	char *cfg_path;
	int stats_fmt; /* --stats */
};

static int parse_u64_opt(const char *opt, const char *s, uint64_t min, uint64_t max,
			 uint64_t *out)
{
	int rc = cli_parse_u64(s, out);

	if (rc == -EINVAL)
		return cli_fail(CMD, "--%s %s is not a number (decimal, hex with 0x, suffix k/m/g)",
				opt, s);
	if (rc || *out < min || *out > max)
		return cli_fail(CMD, "--%s %s is out of range (%" PRIu64 "..%" PRIu64 ")", opt, s,
				min, max);
	return 0;
}

static int parse(const struct synth_opts *o, struct synth_run *r)
{
	int rc;

	if (!o->pattern)
		return cli_fail(CMD, "--pattern is required (sequential, strided, random, zipf or "
				"chase)");
	for (r->pat = 0; r->pat < SP_NPATTERNS; r->pat++)
		if (strcmp(o->pattern, synth_pattern_names[r->pat]) == 0)
			break;
	if (r->pat == SP_NPATTERNS)
		return cli_fail(CMD, "--pattern %s: expected sequential, strided, random, zipf or "
				"chase", o->pattern);
	if ((rc = cli_parse_stats(CMD, o->stats, &r->stats_fmt)))
		return rc;
	if (!o->pages || !o->accesses)
		return cli_fail(CMD, "--pages and --accesses are required");
	if ((rc = parse_u64_opt("pages", o->pages, 1, UINT32_MAX, &r->pages)) ||
	    (rc = parse_u64_opt("accesses", o->accesses, 1, UINT64_C(1) << 48, &r->accesses)))
		return rc;
	r->page_size = UINT64_C(4096);
	if (o->page_size && (rc = cli_parse_page_size(CMD, "page-size", o->page_size, &r->page_size)))
		return rc;
	r->stride = r->page_size;
	if (o->stride) {
		if (r->pat != SP_STRIDED)
			return cli_fail(CMD, "--stride needs --pattern strided");
		if ((rc = parse_u64_opt("stride", o->stride, 1, UINT64_C(1) << 48, &r->stride)))
			return rc;
	}
	r->zipf_s = 1.0;
	if (o->zipf_s) {
		char *end = NULL;

		if (r->pat != SP_ZIPF)
			return cli_fail(CMD, "--zipf-s needs --pattern zipf");
		r->zipf_s = g_ascii_strtod(o->zipf_s, &end);
		if (end == o->zipf_s || *end || !(r->zipf_s >= 0 && r->zipf_s <= 10))
			return cli_fail(CMD, "--zipf-s %s: expected an exponent in 0..10", o->zipf_s);
	}
	r->seed = 1;
	if (o->seed && (rc = parse_u64_opt("seed", o->seed, 0, UINT64_MAX, &r->seed)))
		return rc;
	r->insns = 1;
	if (o->insns && (rc = parse_u64_opt("insns-per-access", o->insns, 0, 1000000, &r->insns)))
		return rc;
	if (o->json && o->csv)
		return cli_fail(CMD, "--json and --csv exclude each other");
	r->gm = guest_mode_find(o->guest ? o->guest : "4level");
	if (!r->gm)
		return cli_fail(CMD, "--guest %s: expected %s", o->guest, guest_mode_list);
	if ((rc = host_dim_parse(CMD, o->host, o->host_page_size, o->gpaw, o->shared, &r->hd)) ||
	    (rc = cli_budget_parse(CMD, o->max_memory, &r->budget)) ||
	    (rc = cli_load_config(CMD, o->config, o->set, &r->cfg, &r->cfg_path)))
		return rc;
	/* Before anything is allocated. */
	return cli_budget_check(CMD, r->budget, "page tables",
				synth_layout_bytes(r->gm, r->pages, r->page_size, r->hd.hm,
						   r->hd.page_size, r->hd.gpaw),
				"access stream", synth_stream_bytes(r->pat, r->pages),
				"timing model (--config/--set)", tm_model_bytes(&r->cfg), NULL);
}

static void print_header(const struct synth_run *r, const struct synth_layout *l)
{
	printf("tdpsim synth: %s over %" PRIu64 " pages of %" PRIu64 " KiB, %" PRIu64
	       " accesses, seed %" PRIu64 "\n", synth_pattern_names[r->pat], r->pages,
	       r->page_size >> 10, r->accesses, r->seed);
	printf("guest %s (%" PRIu64 " table pages)", r->gm->name, l->guest_tables);
	if (r->hd.hm)
		printf(", host %s with %" PRIu64 " KiB pages (%" PRIu64 " table pages)",
		       r->hd.hm->name, r->hd.page_size >> 10, l->host_tables);
	if (r->hd.gpaw)
		printf(", TDX GPAW %u (%s pages)", r->hd.gpaw, r->hd.shared ? "shared" : "private");
	printf("; config %s\n", r->cfg_path);
}

/* The run's parameters, as the synth.* members of --json and the first
 * columns of --csv (docs/stats.md): a string (s) or an integer. */
struct synth_param {
	const char *key, *s;
	gint64 i;
};

#define SYNTH_NPARAMS 9

static void synth_params(const struct synth_run *r, struct synth_param p[SYNTH_NPARAMS])
{
	p[0] = (struct synth_param){ "synth.pattern", synth_pattern_names[r->pat], 0 };
	p[1] = (struct synth_param){ "synth.pages", NULL, (gint64)r->pages };
	p[2] = (struct synth_param){ "synth.page_size", NULL, (gint64)r->page_size };
	p[3] = (struct synth_param){ "synth.seed", NULL, (gint64)r->seed };
	p[4] = (struct synth_param){ "synth.guest", r->gm->name, 0 };
	p[5] = (struct synth_param){ "synth.host", r->hd.hm ? r->hd.hm->name : "none",
				     0 };
	p[6] = (struct synth_param){ "synth.host_page_size", NULL,
				     r->hd.hm ? (gint64)r->hd.page_size : 0 };
	p[7] = (struct synth_param){ "synth.gpaw", NULL, r->hd.gpaw };
	p[8] = (struct synth_param){ "synth.shared", NULL, r->hd.shared };
}

static void print_json(const struct synth_run *r, const struct tm_model *m)
{
	JsonBuilder *b = json_builder_new();
	struct synth_param p[SYNTH_NPARAMS];

	synth_params(r, p);
	json_builder_begin_object(b);
	for (unsigned i = 0; i < SYNTH_NPARAMS; i++) {
		json_builder_set_member_name(b, p[i].key);
		if (p[i].s)
			json_builder_add_string_value(b, p[i].s);
		else
			json_builder_add_int_value(b, p[i].i);
	}
	tm_stats_json(m, b);
	json_builder_end_object(b);
	tm_stats_print_builder(b, stdout);
	g_object_unref(b);
}

/* The statistics' CSV header and row, each preceded by the synth.*
 * columns (the parameter names and values have no commas or quotes). */
static int print_csv(const struct synth_run *r, const struct tm_model *m)
{
	struct synth_param p[SYNTH_NPARAMS];
	char *buf = NULL, *nl;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return cli_fail(CMD, "cannot format the CSV: %s", g_strerror(errno));
	tm_stats_write(m, f, TM_FMT_CSV);
	fclose(f);
	nl = buf ? strchr(buf, '\n') : NULL;
	if (!nl) {
		free(buf);
		return cli_fail(CMD, "cannot format the CSV");
	}
	*nl = 0;
	synth_params(r, p);
	for (unsigned i = 0; i < SYNTH_NPARAMS; i++)
		printf("%s,", p[i].key);
	printf("%s\n", buf);
	for (unsigned i = 0; i < SYNTH_NPARAMS; i++)
		if (p[i].s)
			printf("%s,", p[i].s);
		else
			printf("%" G_GINT64_FORMAT ",", p[i].i);
	printf("%s", nl + 1);
	free(buf);
	return 0;
}

/* --golden: the run's parameters as "@" lines. */
static int golden_open(struct synth_opts *o, const struct synth_run *r, const struct pg_cpu *cpu)
{
	struct synth_param p[SYNTH_NPARAMS];
	int rc = golden_cli_open(CMD, &o->golden, "synth", r->cfg.name, o->set, cpu);

	if (rc || !o->golden.f)
		return rc;
	synth_params(r, p);
	for (unsigned i = 0; i < SYNTH_NPARAMS; i++) {
		char v[32];

		if (!p[i].s)
			snprintf(v, sizeof(v), "%" G_GINT64_FORMAT, p[i].i);
		trc_golden_meta(&o->golden.g, p[i].key, p[i].s ? p[i].s : v);
	}
	return 0;
}

/* --processes, --switch-every, --kpti, --pte-writes: the address-space
 * workload (synth_procs.c), its own tables, no host dimension. */
static int run_procs(struct synth_opts *o, struct synth_run *r)
{
	struct hvw_opts wo = { .gm = r->gm, .pat = r->pat, .pages = r->pages,
			       .accesses = r->accesses, .seed = r->seed, .insns = r->insns,
			       .processes = 1 };
	struct tm_model *m = NULL;
	struct hvw w;
	char why[512];
	uint64_t v;
	int rc;

	if (r->hd.hm || r->page_size != 4096 || o->golden.path || o->golden.every || o->stride ||
	    o->zipf_s)
		return cli_fail(CMD, "--processes, --switch-every, --kpti and --pte-writes build "
				"their own 4 KiB guest tables: no --host, --gpaw, --page-size, "
				"--stride, --zipf-s or --golden with them (tdpsim compare --hv "
				"nested models nested paging)");
	if (o->processes) {
		if ((rc = parse_u64_opt("processes", o->processes, 1, HVW_MAX_PROCS, &v)))
			return rc;
		wo.processes = (unsigned)v;
	}
	if (o->every) {
		if ((rc = parse_u64_opt("switch-every", o->every, 1, UINT32_MAX, &v)))
			return rc;
		wo.switch_every = (unsigned)v;
	}
	if (o->pte_writes) {
		if ((rc = parse_u64_opt("pte-writes", o->pte_writes, 1, UINT32_MAX, &v)))
			return rc;
		wo.pte_writes = (unsigned)v;
	}
	wo.kpti = o->kpti;
	if (synth_procs_run(&wo, &r->cfg, &w, &m, why, sizeof(why)))
		return cli_fail(CMD, "%s", why);
	rc = CLI_EXIT_OK;
	if (o->json) {
		print_json(r, m);
	} else if (o->csv) {
		rc = print_csv(r, m);
	} else {
		printf("tdpsim synth: %s over %u process%s of %" PRIu64 " pages, a switch every %u "
		       "accesses%s, %" PRIu64 " accesses, seed %" PRIu64 "\nguest %s (%" PRIu64
		       " table pages), %" PRIu64 " context switches; config %s\n",
		       synth_pattern_names[r->pat], wo.processes, wo.processes == 1 ? "" : "es",
		       r->pages, wo.switch_every, wo.kpti ? " (KPTI)" : "", r->accesses, r->seed,
		       r->gm->name, w.guest_tables, w.switches, r->cfg_path);
		tm_stats_write(m, stdout, r->stats_fmt);
	}
	tm_model_free(m);
	hvw_free(&w);
	return rc;
}

/* Build, run, print. */
/* synth --record: the recorder on the stream's feed. The tables are
 * built whole before the start (the snapshot holds them); a host
 * dimension's tables are not faulted in, so a replay could not rebuild
 * them: only guest-only streams are recorded. */
static int synth_record_open(const struct synth_opts *o, const struct synth_run *r,
			     struct synth_layout *l, struct trc_sink *sink,
			     struct trc_recorder **rec)
{
	GKeyFile *k;
	struct trc_consumer cons;
	char why[320];
	int rc;

	if (l->has_host)
		return cli_fail(CMD, "--record: a stream with a host dimension is not recorded "
				"(its tables are built whole, not by faults a replay could make "
				"again); record without --host and replay with --host");
	k = g_key_file_new();
	g_key_file_set_string(k, "trace", "producer", "synth");
	g_key_file_set_string(k, "trace", "command", o->cmdline ? o->cmdline : "synth");
	trc_header_cpu(k, &r->cfg);
	trc_header_machine(k, l->gram.size, HV_HOST_NONE, 0);
	rc = trc_recorder_open(o->record, k, &l->gram, rec, why, sizeof(why));
	g_key_file_unref(k);
	if (rc)
		return cli_fail(CMD, "--record %s", why);
	trc_recorder_consumer(*rec, &cons);
	if ((rc = trc_sink_add(sink, &cons)) != 0) {
		trc_recorder_close(*rec, NULL, 0);
		*rec = NULL;
		return cli_fail(CMD, "--record: %s", g_strerror(-rc));
	}
	return 0;
}

static int run(struct synth_opts *o, struct synth_run *r)
{
	struct cli_progress_sample ps = { .insns = CLI_PROGRESS_NONE };
	struct cli_progress *prog;
	struct synth_layout l;
	struct synth_stream s;
	struct tm_model *m = NULL;
	struct trc_sink sink;
	struct trc_recorder *rec = NULL;
	struct pg_cpu cpu;
	char why[512];
	int rc;

	if (o->record && (o->processes || o->every || o->kpti || o->pte_writes))
		return cli_fail(CMD, "--record takes the single-stream form (no --processes, "
				"--switch-every, --kpti, --pte-writes)");
	if (o->processes || o->every || o->kpti || o->pte_writes)
		return run_procs(o, r);
	tm_config_pg_cpu(&r->cfg, &cpu);
	/* A TD's MAXPHYADDR is its GPAW (hv/tdx.h): the shared bit is an
	 * address bit of its entries, not a reserved one. */
	if (r->hd.gpaw)
		cpu.maxphyaddr = (uint8_t)r->hd.gpaw;
	if (synth_layout_build(&l, r->gm, &cpu, r->pages, r->page_size, r->hd.hm, r->hd.page_size,
			       r->hd.gpaw, r->hd.shared, why, sizeof(why)))
		return cli_fail(CMD, "%s", why);
	rc = synth_stream_init(&s, r->pat, r->pages, r->accesses, r->page_size, r->stride,
			       r->zipf_s, r->seed);
	if (rc) {
		rc = cli_fail(CMD, "cannot set up the %s stream: %s", synth_pattern_names[r->pat],
			      g_strerror(-rc));
		goto out_layout;
	}
	if (synth_layout_model(&l, &r->cfg, &cpu, &m, why, sizeof(why))) {
		rc = cli_fail(CMD, "%s", why);
		goto out_stream;
	}
	if ((rc = golden_open(o, r, &cpu)))
		goto out_model;

	trc_sink_init(&sink);
	struct trc_consumer gk;

	if ((rc = trc_sink_add_timing(&sink, m)) != 0 ||
	    (golden_cli_consumer(&o->golden, &sink, NULL, &gk) && (rc = trc_sink_add(&sink, &gk)))) {
		rc = cli_fail(CMD, "cannot feed the model: %s", g_strerror(-rc));
		goto out_model;
	}
	if (o->record && (rc = synth_record_open(o, r, &l, &sink, &rec)) != 0)
		goto out_model;
	trc_start(&sink, &(struct trc_start){ .regs = l.regs, .cpl = 3, .code_bits = 64,
					      .ram_bytes = l.gram.size });
	ps.total = r->accesses;
	prog = cli_progress_start("synth", cli_progress_read, &ps);
	for (uint64_t i = 0; i < r->accesses; i++) {
		trc_access(&sink, l.va_base + synth_stream_next(&s), 8, TRC_READ, 3, false);
		if (r->insns)
			trc_insns(&sink, r->insns);
		cli_progress_set(&ps.accesses, i + 1);
		cli_progress_set(&ps.done, i + 1);
	}
	cli_progress_stop(prog);
	trc_end(&sink);
	if (rec && trc_recorder_close(rec, why, sizeof(why))) {
		rec = NULL;
		rc = cli_fail(CMD, "%s", why);
		goto out_model;
	}
	rec = NULL;
	if ((rc = golden_cli_close(CMD, &o->golden, true, tm_model_stats(m))))
		goto out_model;

	if (o->json) {
		print_json(r, m);
	} else if (o->csv) {
		if ((rc = print_csv(r, m)))
			goto out_model;
	} else {
		print_header(r, &l);
		tm_stats_write(m, stdout, r->stats_fmt);
	}
	rc = CLI_EXIT_OK;
out_model:
	if (rec)
		trc_recorder_close(rec, NULL, 0);
	tm_model_free(m);
out_stream:
	synth_stream_free(&s);
out_layout:
	synth_layout_free(&l);
	return rc;
}

int cmd_synth(int argc, char **argv)
{
	struct synth_opts o = { 0 };
	struct synth_run r = { 0 };
	const GOptionEntry entries[] = {
		{ "pattern", 0, 0, G_OPTION_ARG_STRING, &o.pattern,
		  "sequential, strided, random, zipf or chase", "NAME" },
		{ "pages", 0, 0, G_OPTION_ARG_STRING, &o.pages, "data pages the stream covers", "N" },
		{ "accesses", 0, 0, G_OPTION_ARG_STRING, &o.accesses, "accesses in all", "M" },
		{ "page-size", 0, 0, G_OPTION_ARG_STRING, &o.page_size,
		  "guest page size: 4k (default), 2m, 4m or 1g", "S" },
		{ "stride", 0, 0, G_OPTION_ARG_STRING, &o.stride,
		  "strided: bytes between accesses (default: the page size)", "BYTES" },
		{ "zipf-s", 0, 0, G_OPTION_ARG_STRING, &o.zipf_s, "zipf: the exponent (default 1)",
		  "S" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &o.seed, "random, zipf, chase: seed (default 1)",
		  "N" },
		CLI_LAYOUT_ENTRIES(&o.guest, &o.host, &o.host_page_size, &o.gpaw),
		{ "shared", 0, 0, G_OPTION_ARG_NONE, &o.shared,
		  "TDX (--gpaw): the data pages are shared, mapped through the shared alias", NULL },
		CLI_CONFIG_ENTRIES(&o.config, &o.set, TM_CONFIG_DEFAULT),
		{ "processes", 0, 0, G_OPTION_ARG_STRING, &o.processes,
		  "address spaces, each with its own page tables (default 1)", "N" },
		{ "switch-every", 0, 0, G_OPTION_ARG_STRING, &o.every,
		  "a context switch (CR3 write) every K accesses, round-robin", "K" },
		{ "kpti", 0, 0, G_OPTION_ARG_NONE, &o.kpti,
		  "a user and a kernel CR3 per process (page-table isolation)", NULL },
		{ "pte-writes", 0, 0, G_OPTION_ARG_STRING, &o.pte_writes,
		  "the kernel remaps a page (PTE write + INVLPG) every R accesses", "R" },
		{ "insns-per-access", 0, 0, G_OPTION_ARG_STRING, &o.insns,
		  "instructions retired per access (default 1)", "K" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "print one JSON object", NULL },
		{ "csv", 0, 0, G_OPTION_ARG_NONE, &o.csv, "print a CSV header and row", NULL },
		CLI_STATS_OPTION(o.stats),
		{ "record", 0, 0, G_OPTION_ARG_FILENAME, &o.record,
		  "record the stream as a trace (docs/trace-format.md; no --host)", "FILE" },
		GOLDEN_CLI_ENTRIES(&o.golden),
		CLI_BUDGET_ENTRY(&o.max_memory),
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("- run a synthetic access stream");
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx, "Feed the timing model a synthetic stream over N pages "
				     "and print its statistics (docs/cli-synth.md).");
	o.cmdline = cli_portable_command(argv, entries);
	rc = cli_parse_options(CMD, ctx, &argc, &argv);
	if (!rc)
		rc = parse(&o, &r);
	if (!rc)
		rc = run(&o, &r);
	g_free(r.cfg_path);
	golden_cli_close(CMD, &o.golden, false, NULL);
	g_option_context_free(ctx);
	cli_free_options(entries);
	g_free(o.cmdline);
	return rc;
}
