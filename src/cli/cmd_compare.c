/*
 * `tdpsim compare`: one workload, several hypervisor-MMU strategies, one
 * invocation. The workload is generated once and fed to one model per
 * strategy (compare_run.c); the output is a side-by-side table (metrics as
 * rows, strategies as columns), JSON (one object per strategy under
 * "strategies"), CSV, or a self-contained HTML report with charts and
 * seed 000's root table. docs/cli-compare.md documents it.
 */
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cli.h"
#include "compare.h"
#include "compare_run.h"

#define CMD "compare"

struct cmp_opts {
	gchar **strategy, **set;
	gchar *hv, *guest, *l1, *l0, *pattern, *pages, *accesses, *seed, *processes, *every;
	gchar *pte_writes, *insns, *config, *trace, *kernel, *append, *mem, *max_insns, *html;
	gchar *host;
	gboolean kpti, unsync, audit, json, csv, no_roots, roots, no_normalise;
};

static int u64_opt(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	int rc = cli_parse_u64(s, out);

	if (rc || *out < min || *out > max)
		return cli_fail(CMD, "--%s %s: expected a number in %" PRIu64 "..%" PRIu64, opt, s,
				min, max);
	return 0;
}

/* --trace FILE or --kernel FILE [--append ...] [--mem MIB]: the workload
 * is a feed (a trace, a live run), with none of synth's options. */
static int parse_feed(const struct cmp_opts *o, struct cmp_work *wk)
{
	const char *synth_only[] = { o->guest, o->l1, o->l0, o->pattern, o->pages, o->accesses,
				     o->seed, o->processes, o->every, o->pte_writes, o->insns };
	uint64_t v;
	int rc;

	if (o->trace && o->kernel)
		return cli_fail(CMD, "--trace and --kernel are two workloads: choose one");
	for (unsigned i = 0; i < G_N_ELEMENTS(synth_only); i++)
		if (synth_only[i] || o->kpti)
			return cli_fail(CMD, "--guest, --l1, --l0-levels, --pattern, --pages, --accesses, "
					"--seed, --processes, --switch-every, --kpti, --pte-writes and "
					"--insns-per-access describe a synth workload, not %s",
					o->trace ? "--trace" : "--kernel");
	if (o->hv && strcmp(o->hv, "nested") == 0)
		return cli_fail(CMD, "--hv nested runs synth workloads only (no CPU runs an L1 "
				"hypervisor yet)");
	if (o->trace && (o->append || o->mem || o->max_insns))
		return cli_fail(CMD, "--append, --mem and --max-insns are for --kernel");
	wk->source = o->trace ? CMP_TRACE : CMP_KERNEL;
	wk->path = o->trace ? o->trace : o->kernel;
	wk->append = o->append;
	wk->mem_bytes = UINT64_C(128) << 20;
	if (o->mem) {
		if ((rc = u64_opt("mem", o->mem, 2, 65536, &v)))
			return rc;
		wk->mem_bytes = v << 20;
	}
	if (o->max_insns && (rc = u64_opt("max-insns", o->max_insns, 1, UINT64_MAX, &wk->max_insns)))
		return rc;
	return 0;
}

static int parse(const struct cmp_opts *o, struct cmp_work *wk, struct hvw_opts *w,
		 struct hv_strategy *s, unsigned *ns, struct cmp_params *p, struct tm_config *cfg,
		 char **cfg_path)
{
	uint64_t v;
	int rc;

	if (!o->strategy || !o->strategy[0])
		return cli_fail(CMD, "at least one --strategy is required (%s)", hv_strategy_list);
	for (*ns = 0; o->strategy[*ns]; (*ns)++) {
		if (*ns == CMP_MAX_STRATEGIES)
			return cli_fail(CMD, "at most %d strategies", CMP_MAX_STRATEGIES);
		if (hv_strategy_parse(o->strategy[*ns], &s[*ns]))
			return cli_fail(CMD, "--strategy %s: expected %s (N at most %d)",
					o->strategy[*ns], hv_strategy_list, HV_PREV_ROOTS_MAX);
	}
	if ((o->json != 0) + (o->csv != 0) + (o->html != NULL) > 1)
		return cli_fail(CMD, "--json, --csv and --html exclude each other");
	memset(w, 0, sizeof(*w));
	if (o->hv && strcmp(o->hv, "shadow") && strcmp(o->hv, "nested") && strcmp(o->hv, "tdp"))
		return cli_fail(CMD, "--hv %s: expected shadow, tdp or nested", o->hv);
	if (o->hv && strcmp(o->hv, "tdp") == 0) {
		const struct hv_host_mode *hm = hv_host_mode_find(o->host ? o->host : "ept4");

		if (!hm)
			return cli_fail(CMD, "--host %s: expected npt2, npt3, npt4, npt5, ept4 or ept5",
					o->host);
		if (o->unsync || o->roots || (o->html && !o->no_roots))
			return cli_fail(CMD, "--unsync and the seed-000 root table are shadow paging's "
					"(--hv tdp has no shadow pages%s)",
					o->html ? "; --html takes --no-root-table" : "");
		p->tdp_host = hm->kind;
		p->no_normalise = o->no_normalise;
	} else if (o->host || o->no_normalise) {
		return cli_fail(CMD, "--host and --no-role-normalise need --hv tdp");
	}
	p->unsync = o->unsync;
	p->audit = o->audit;
	if (o->trace || o->kernel) {
		if ((rc = parse_feed(o, wk)))
			return rc;
		return cli_load_config(CMD, o->config, o->set, cfg, cfg_path);
	}
	if (o->append || o->mem || o->max_insns)
		return cli_fail(CMD, "--append, --mem and --max-insns need --kernel");
	w->gm = guest_mode_find(o->guest ? o->guest : "4level");
	if (!w->gm)
		return cli_fail(CMD, "--guest %s: expected %s", o->guest, guest_mode_list);
	p->l0_levels = 4;
	if (o->hv && strcmp(o->hv, "nested") == 0) {
		w->l1 = guest_mode_find(o->l1 ? o->l1 : "4level");
		if (!w->l1 || !guest_mode_format(w->l1)->levels)
			return cli_fail(CMD, "--l1 %s: expected 2level, 2level-pse, pae, 4level or "
					"5level (L1's paging mode, which selects its NPT format)",
					o->l1);
		if (o->l0) {
			if ((rc = u64_opt("l0-levels", o->l0, 3, 5, &v)))
				return rc;
			p->l0_levels = (uint8_t)v;
		}
	} else if (o->l1 || o->l0) {
		return cli_fail(CMD, "--l1 and --l0-levels need --hv nested");
	}
	w->pat = SP_RANDOM;
	if (o->pattern) {
		for (w->pat = 0; w->pat < SP_NPATTERNS; w->pat++)
			if (strcmp(o->pattern, synth_pattern_names[w->pat]) == 0)
				break;
		if (w->pat == SP_NPATTERNS)
			return cli_fail(CMD, "--pattern %s: expected sequential, strided, random, "
					"zipf or chase", o->pattern);
	}
	w->pages = 1000;
	w->accesses = 100000;
	w->seed = 1;
	w->insns = 1;
	w->processes = 1;
	if ((o->pages && (rc = u64_opt("pages", o->pages, 1, 1 << 24, &w->pages))) ||
	    (o->accesses && (rc = u64_opt("accesses", o->accesses, 1, UINT64_C(1) << 40,
					  &w->accesses))) ||
	    (o->seed && (rc = u64_opt("seed", o->seed, 0, UINT64_MAX, &w->seed))) ||
	    (o->insns && (rc = u64_opt("insns-per-access", o->insns, 0, 1000000, &w->insns))))
		return rc;
	if (o->processes) {
		if ((rc = u64_opt("processes", o->processes, 1, HVW_MAX_PROCS, &v)))
			return rc;
		w->processes = (unsigned)v;
	}
	if (o->every) {
		if ((rc = u64_opt("switch-every", o->every, 1, UINT32_MAX, &v)))
			return rc;
		w->switch_every = (unsigned)v;
	}
	if (o->pte_writes) {
		if ((rc = u64_opt("pte-writes", o->pte_writes, 1, UINT32_MAX, &v)))
			return rc;
		w->pte_writes = (unsigned)v;
	}
	w->kpti = o->kpti;
	return cli_load_config(CMD, o->config, o->set, cfg, cfg_path);
}

static void print_text(const struct cmp_result *r, unsigned n)
{
	const struct cmp_metric *m = cmp_metrics();

	printf("%-32s", "");
	for (unsigned i = 0; i < n; i++)
		printf(" %16s", r[i].strat.name);
	printf("\n");
	for (; m->key; m++) {
		printf("%-32s", m->label);
		for (unsigned i = 0; i < n; i++)
			if (m->ratio)
				printf(" %16.4f", m->get(&r[i], m->arg));
			else
				printf(" %16.0f", m->get(&r[i], m->arg));
		printf("\n");
	}
	printf("%-32s", "root at the end");
	for (unsigned i = 0; i < n; i++)
		printf(" %s%s", i ? "| " : "", r[i].root);
	printf("\n");
	for (unsigned i = 0; i < n; i++)
		if (r[i].audit_first[0])
			printf("%s: first audit mismatch: %s\n", r[i].strat.name, r[i].audit_first);
}

static void json_metrics(JsonBuilder *b, const struct cmp_result *r)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "strategy");
	json_builder_add_string_value(b, r->strat.name);
	json_builder_set_member_name(b, "source");
	json_builder_add_string_value(b, r->strat.source);
	for (const struct cmp_metric *m = cmp_metrics(); m->key; m++) {
		json_builder_set_member_name(b, m->key);
		if (m->ratio)
			json_builder_add_double_value(b, m->get(r, m->arg));
		else
			json_builder_add_int_value(b, (gint64)m->get(r, m->arg));
	}
	json_builder_set_member_name(b, "root");
	json_builder_add_string_value(b, r->root);
	json_builder_set_member_name(b, "audit_first_mismatch");
	json_builder_add_string_value(b, r->audit_first);
	json_builder_end_object(b);
}

static void json_roots(JsonBuilder *b, const struct cmp_result *r, unsigned n,
		       const struct cmp_root_row *rows)
{
	json_builder_set_member_name(b, "roots");
	json_builder_begin_array(b);
	for (unsigned k = 0; k < CMP_ROOT_ROWS; k++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "case");
		json_builder_add_string_value(b, rows[k].label);
		json_builder_set_member_name(b, "strategies");
		json_builder_begin_array(b);
		for (unsigned i = 0; i < n; i++) {
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "strategy");
			json_builder_add_string_value(b, r[i].strat.name);
			json_builder_set_member_name(b, "root");
			json_builder_add_string_value(b, rows[k].shape[i]);
			json_builder_set_member_name(b, "special");
			json_builder_add_boolean_value(b, rows[k].special[i]);
			json_builder_set_member_name(b, "promoted");
			json_builder_add_boolean_value(b, rows[k].promoted[i]);
			json_builder_set_member_name(b, "fast_switch_hit_rate");
			if (isnan(rows[k].hit_rate[i]))
				json_builder_add_null_value(b); /* TDP: CR3 writes do not exit */
			else
				json_builder_add_double_value(b, rows[k].hit_rate[i]);
			json_builder_set_member_name(b, "roots_freed");
			json_builder_add_int_value(b, (gint64)rows[k].roots_freed[i]);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void print_roots(const struct cmp_result *r, unsigned n, const struct cmp_root_row *rows)
{
	printf("\nSeed 000: the root under each strategy (special roots are freed on every "
	       "switch), fast-switch hit rate\n");
	for (unsigned k = 0; k < CMP_ROOT_ROWS; k++) {
		printf("%s\n", rows[k].label);
		for (unsigned i = 0; i < n; i++)
			if (isnan(rows[k].hit_rate[i]))
				printf("  %-16s %-58s n/a (CR3 writes do not exit)\n",
				       r[i].strat.name, rows[k].shape[i]);
			else
				printf("  %-16s %-58s %.2f\n", r[i].strat.name, rows[k].shape[i],
				       rows[k].hit_rate[i]);
	}
}

/* The hypervisor MMU modelled: shadow, nested or tdp. */
static const char *hv_name(const struct cmp_work *wk, const struct cmp_params *p)
{
	return p->tdp_host ? "tdp" : wk->source == CMP_SYNTH && wk->w.o.l1 ? "nested" : "shadow";
}

/* A feed workload (a trace, a live run) is described by what its stream
 * did, not by where it came from: a trace and the run that recorded it
 * give the same object. */
static void json_feed_workload(JsonBuilder *b, const struct cmp_work *wk, const char *hv)
{
	json_builder_set_member_name(b, "hv");
	json_builder_add_string_value(b, hv);
	json_builder_set_member_name(b, "instructions");
	json_builder_add_int_value(b, (gint64)wk->insns);
}

static int print_json(const struct cmp_work *wk, const struct cmp_params *p,
		      const struct cmp_result *r, unsigned n, const char *cfg_path,
		      const struct cmp_root_row *rows)
{
	const struct hvw *w = &wk->w;
	JsonBuilder *b = json_builder_new();
	int rc;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "workload");
	json_builder_begin_object(b);
	if (wk->source != CMP_SYNTH) {
		json_feed_workload(b, wk, hv_name(wk, p));
		goto common;
	}
	json_builder_set_member_name(b, "hv");
	json_builder_add_string_value(b, hv_name(wk, p));
	json_builder_set_member_name(b, "guest");
	json_builder_add_string_value(b, w->o.gm->name);
	if (w->o.l1) {
		json_builder_set_member_name(b, "l1");
		json_builder_add_string_value(b, w->o.l1->name);
		json_builder_set_member_name(b, "l0_levels");
		json_builder_add_int_value(b, p->l0_levels);
	}
	json_builder_set_member_name(b, "pattern");
	json_builder_add_string_value(b, synth_pattern_names[w->o.pat]);
	json_builder_set_member_name(b, "pages");
	json_builder_add_int_value(b, (gint64)w->o.pages);
	json_builder_set_member_name(b, "accesses");
	json_builder_add_int_value(b, (gint64)w->o.accesses);
	json_builder_set_member_name(b, "processes");
	json_builder_add_int_value(b, w->o.processes);
	json_builder_set_member_name(b, "switch_every");
	json_builder_add_int_value(b, w->o.switch_every);
	json_builder_set_member_name(b, "kpti");
	json_builder_add_boolean_value(b, w->o.kpti);
	json_builder_set_member_name(b, "pte_writes");
	json_builder_add_int_value(b, w->o.pte_writes);
	json_builder_set_member_name(b, "context_switches");
	json_builder_add_int_value(b, (gint64)w->switches);
common:
	if (p->tdp_host) {
		json_builder_set_member_name(b, "host");
		json_builder_add_string_value(b, hv_host_kind_name(p->tdp_host));
		json_builder_set_member_name(b, "role_normalise");
		json_builder_add_string_value(b, p->no_normalise ? "off" : "per strategy");
	}
	json_builder_set_member_name(b, "unsync");
	json_builder_add_boolean_value(b, p->unsync);
	json_builder_set_member_name(b, "config");
	json_builder_add_string_value(b, cfg_path);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "strategies");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < n; i++)
		json_metrics(b, &r[i]);
	json_builder_end_array(b);
	if (rows)
		json_roots(b, r, n, rows);
	json_builder_end_object(b);
	rc = tm_stats_print_builder(b, stdout);
	g_object_unref(b);
	return rc ? cli_fail(CMD, "cannot write the output: %s", g_strerror(-rc)) : 0;
}

static void print_csv(const struct cmp_result *r, unsigned n)
{
	printf("strategy");
	for (const struct cmp_metric *m = cmp_metrics(); m->key; m++)
		printf(",%s", m->key);
	printf("\n");
	for (unsigned i = 0; i < n; i++) {
		printf("%s", r[i].strat.name);
		for (const struct cmp_metric *m = cmp_metrics(); m->key; m++)
			printf(m->ratio ? ",%.6f" : ",%.0f", m->get(&r[i], m->arg));
		printf("\n");
	}
}

static int write_html(const char *path, const struct cmp_work *wk, const struct cmp_params *p,
		      const struct cmp_result *r, unsigned n, const struct cmp_root_row *rows)
{
	const struct hvw *w = &wk->w;
	char title[256];
	FILE *f;
	int rc;

	if (wk->source != CMP_SYNTH)
		snprintf(title, sizeof(title), "%s, %s %s, %" PRIu64 " instructions",
			 hv_name(wk, p), wk->source == CMP_TRACE ? "the trace" : "a live run of",
			 wk->path, wk->insns);
	else
		snprintf(title, sizeof(title), "%s %s guest%s%s, %u process%s%s, %" PRIu64 " accesses",
		 hv_name(wk, p), w->o.gm->name, w->o.l1 ? " under L1 " : "",
		 w->o.l1 ? w->o.l1->name : "", w->o.processes, w->o.processes == 1 ? "" : "es",
		 w->o.kpti ? " (KPTI)" : "", w->o.accesses);
	f = fopen(path, "w");
	if (!f)
		return cli_fail(CMD, "cannot write %s: %s", path, g_strerror(errno));
	rc = cmp_write_html(f, title, r, n, rows, rows ? CMP_ROOT_ROWS : 0);
	if (fclose(f) || rc)
		return cli_fail(CMD, "cannot write %s", path);
	return 0;
}

static int run(const struct cmp_opts *o)
{
	struct hv_strategy s[CMP_MAX_STRATEGIES];
	struct cmp_result r[CMP_MAX_STRATEGIES];
	struct cmp_params p = { 0 };
	struct tm_config cfg;
	struct hvw_opts wo;
	struct pg_cpu cpu;
	struct cmp_work *wk = g_new0(struct cmp_work, 1);
	char *cfg_path = NULL, why[512];
	unsigned n = 0;
	int rc;

	if ((rc = parse(o, wk, &wo, s, &n, &p, &cfg, &cfg_path))) {
		g_free(wk);
		return rc;
	}
	p.cfg = &cfg;
	tm_config_pg_cpu(&cfg, &cpu);
	if (wk->source == CMP_SYNTH && hvw_build(&wk->w, &wo, &cpu, why, sizeof(why))) {
		g_free(cfg_path);
		g_free(wk);
		return cli_fail(CMD, "%s", why);
	}
	static char shapes[CMP_ROOT_ROWS][CMP_MAX_STRATEGIES][160];
	struct cmp_root_row rows[CMP_ROOT_ROWS];
	bool with_roots = o->roots || (o->html && !o->no_roots);

	memset(rows, 0, sizeof(rows));
	rc = cmp_run(wk, &p, s, n, r, why, sizeof(why));
	if (!rc && wk->source == CMP_KERNEL && wk->stop[0])
		fprintf(stderr, "tdpsim %s: the guest stopped: %s\n", CMD, wk->stop);
	if (!rc && with_roots)
		rc = cmp_root_table(s, n, &cfg, rows, shapes, why, sizeof(why));
	if (rc) {
		rc = cli_fail(CMD, "%s", why);
	} else if (o->json) {
		rc = print_json(wk, &p, r, n, cfg_path, with_roots ? rows : NULL);
	} else if (o->csv) {
		print_csv(r, n);
	} else if (o->html) {
		rc = write_html(o->html, wk, &p, r, n, with_roots ? rows : NULL);
	} else {
		print_text(r, n);
		if (with_roots)
			print_roots(r, n, rows);
	}
	if (!rc && fflush(stdout))
		rc = cli_fail(CMD, "cannot write the output: %s", g_strerror(errno));
	hvw_free(&wk->w);
	g_free(wk);
	g_free(cfg_path);
	return rc;
}

int cmd_compare(int argc, char **argv)
{
	struct cmp_opts o = { 0 };
	const GOptionEntry entries[] = {
		{ "strategy", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.strategy,
		  "kvm-5.15, kvm-6.1, pae-root-pages, none or prev=N (repeat)", "NAME" },
		{ "hv", 0, 0, G_OPTION_ARG_STRING, &o.hv, "shadow (default), tdp or nested", "KIND" },
		{ "host", 0, 0, G_OPTION_ARG_STRING, &o.host,
		  "--hv tdp: the host format, npt2..npt5, ept4 (default) or ept5", "MODE" },
		{ "no-role-normalise", 0, 0, G_OPTION_ARG_NONE, &o.no_normalise,
		  "--hv tdp: TDP roles follow CR0.WP and EFER.NXE under every strategy", NULL },
		{ "guest", 0, 0, G_OPTION_ARG_STRING, &o.guest,
		  "the guest's (nested: L2's) paging mode (default 4level)", "MODE" },
		{ "l1", 0, 0, G_OPTION_ARG_STRING, &o.l1,
		  "nested: L1's paging mode, the format of its NPT (default 4level)", "MODE" },
		{ "l0-levels", 0, 0, G_OPTION_ARG_STRING, &o.l0,
		  "nested: L0's paging levels, 3 (32-bit PAE), 4 (default) or 5", "N" },
		{ "pattern", 0, 0, G_OPTION_ARG_STRING, &o.pattern,
		  "access pattern (default random)", "NAME" },
		{ "pages", 0, 0, G_OPTION_ARG_STRING, &o.pages, "pages per process (default 1000)", "N" },
		{ "accesses", 0, 0, G_OPTION_ARG_STRING, &o.accesses, "accesses (default 100000)", "M" },
		{ "seed", 0, 0, G_OPTION_ARG_STRING, &o.seed, "seed (default 1)", "N" },
		{ "processes", 0, 0, G_OPTION_ARG_STRING, &o.processes,
		  "address spaces (nested: L2 guests), default 1", "N" },
		{ "switch-every", 0, 0, G_OPTION_ARG_STRING, &o.every,
		  "context switch every K accesses, round-robin", "K" },
		{ "kpti", 0, 0, G_OPTION_ARG_NONE, &o.kpti, "a user and a kernel CR3 per process",
		  NULL },
		{ "pte-writes", 0, 0, G_OPTION_ARG_STRING, &o.pte_writes,
		  "the kernel remaps a page (PTE write + INVLPG) every R accesses", "R" },
		{ "unsync", 0, 0, G_OPTION_ARG_NONE, &o.unsync,
		  "leaf shadow pages go unsync (synced at CR3 writes and INVLPG)", NULL },
		{ "audit", 0, 0, G_OPTION_ARG_NONE, &o.audit,
		  "check every shadow translation fill against the guest's walk", NULL },
		{ "insns-per-access", 0, 0, G_OPTION_ARG_STRING, &o.insns,
		  "instructions retired per access (default 1)", "K" },
		CLI_CONFIG_ENTRIES(&o.config, &o.set, TM_CONFIG_DEFAULT),
		{ "trace", 0, 0, G_OPTION_ARG_FILENAME, &o.trace,
		  "the workload is a trace (tdpsim run/synth --record), decoded once", "FILE" },
		{ "kernel", 0, 0, G_OPTION_ARG_FILENAME, &o.kernel,
		  "the workload is one live run of this guest kernel", "FILE" },
		{ "append", 0, 0, G_OPTION_ARG_STRING, &o.append, "--kernel: its command line",
		  "TEXT" },
		{ "mem", 0, 0, G_OPTION_ARG_STRING, &o.mem, "--kernel: guest RAM (default 128)",
		  "MIB" },
		{ "max-insns", 0, 0, G_OPTION_ARG_STRING, &o.max_insns,
		  "--kernel: stop after N instructions", "N" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "one JSON object", NULL },
		{ "csv", 0, 0, G_OPTION_ARG_NONE, &o.csv, "a CSV row per strategy", NULL },
		{ "html", 0, 0, G_OPTION_ARG_STRING, &o.html,
		  "a self-contained HTML report with charts and seed 000's root table", "FILE" },
		{ "root-table", 0, 0, G_OPTION_ARG_NONE, &o.roots,
		  "also run every case of seed 000 and report its roots per strategy", NULL },
		{ "no-root-table", 0, 0, G_OPTION_ARG_NONE, &o.no_roots,
		  "--html: leave out seed 000's root table (it runs 15 cases)", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("- one workload under several MMU strategies");
	int rc;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx, "Run one workload under several hypervisor-MMU "
				     "strategies and print their counters side by side "
				     "(docs/cli-compare.md).");
	rc = cli_parse_options(CMD, ctx, &argc, &argv);
	if (!rc)
		rc = run(&o);
	g_option_context_free(ctx);
	cli_free_options(entries);
	return rc;
}
