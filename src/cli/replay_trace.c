/*
 * `tdpsim replay FILE`: a tdpsim trace, decoded once and fed to one lane
 * per configuration (trace/lane.h). Each lane keeps the trace's
 * guest-visible CPU part and takes its configuration's timing part, host
 * dimension and VPID; its statistics equal a live run under that
 * configuration (`tdpsim run --config B --guest-cpu <the trace's>`).
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
#include "timing/stats.h"
#include "trace/header.h"
#include "trace/lane.h"
#include "trace/reader.h"
#include "trace/segments.h"
#include "walk.h"

#define CMD "replay"
#define MAX_LANES 32

struct replay_opts {
	gchar **configs, **sets, **files, *configs_file, *host, *gpaw, *vpid, *warmup, *from, *to, *format;
	gchar *stats;
	int stats_fmt; /* --stats */
	gboolean json, csv, no_role_normalise;
	struct golden_cli golden;
};

struct lane_spec {
	char *name;      /* as given: config name or file, and its --set list */
	struct tm_config cfg;
	uint8_t host;
	uint16_t vpid;
};

static int host_of(const struct replay_opts *o, const struct trc_header *h, uint8_t *host,
		   uint16_t *vpid)
{
	struct host_dim hd;
	bool tdx_trace = h->host_kind < HV_HOST_KINDS && hv_host_modes[h->host_kind].gpaw;
	int rc;

	*host = h->host_kind;
	if (o->host || o->gpaw) {
		rc = host_dim_parse(CMD, o->host, NULL, o->gpaw, false, &hd);
		if (rc)
			return rc;
		*host = hd.gpaw ? hv_host_mode_tdx(hd.gpaw)->kind
			: hd.hm ? hd.hm->kind : HV_HOST_NONE;
	}
	/* A TD's guest read its GPAW and chose the shared bit itself: only
	 * the same TD can run it; and no other guest knows of a shared bit. */
	if (tdx_trace && *host != h->host_kind)
		return cli_fail(CMD, "the trace was recorded in a TD with GPAW %u: it replays only "
				"under --gpaw %u", hv_host_modes[h->host_kind].gpaw,
				hv_host_modes[h->host_kind].gpaw);
	if (!tdx_trace && hv_host_modes[*host].gpaw)
		return cli_fail(CMD, "--gpaw: the trace's guest was not a TD (it chose no shared "
				"bit); use --host");
	if (o->no_role_normalise && (*host == HV_HOST_NONE || hv_host_modes[*host].gpaw))
		return cli_fail(CMD, "--no-role-normalise: TDP root roles need a host dimension "
				"(--host npt2..ept5, or the trace's; a TD's roots are not keyed by "
				"role)");
	*vpid = *host == HV_HOST_NONE ? 0 : 1;
	return cli_parse_vpid(CMD, o->vpid, *host != HV_HOST_NONE, vpid);
}

/* Could configuration @b's hardware have run the recorded guest? */
static int check_hardware(const char *name, const struct tm_config *b, unsigned modes,
			  uint8_t host)
{
	if ((modes & (1u << PG_MODE_5LEVEL)) && !(b->cpu.features & TM_FEAT_LA57))
		return cli_fail(CMD, "%s: the trace's guest used 5-level paging, and this CPU model "
				"has no LA57", name);
	if (host < HV_HOST_KINDS && hv_host_modes[host].levels == 5 &&
	    !(b->cpu.features & TM_FEAT_LA57))
		return cli_fail(CMD, "%s: a 5-level host dimension needs a CPU model with LA57",
				name);
	return 0;
}

static int load_specs(const struct replay_opts *o, struct lane_spec *s, unsigned *n)
{
	gchar **names = o->configs;
	gchar **file_lines = NULL;
	static gchar *dflt[] = { (gchar *)TM_CONFIG_DEFAULT, NULL };
	int rc = 0;

	*n = 0;
	if (o->configs_file) {
		gchar *text = NULL;
		GError *e = NULL;

		if (!g_file_get_contents(o->configs_file, &text, NULL, &e)) {
			rc = cli_fail(CMD, "--configs-from %s: %s", o->configs_file, e->message);
			g_error_free(e);
			return rc;
		}
		file_lines = g_strsplit(text, "\n", -1);
		g_free(text);
	}
	if (!names && !file_lines)
		names = dflt;
	for (unsigned pass = 0; pass < 2 && !rc; pass++) {
		gchar **list = pass ? file_lines : names;

		for (gchar **p = list; p && *p && !rc; p++) {
			/* A line of --configs-from: NAME [GROUP.KEY=VALUE ...] */
			gchar *line = g_strstrip(g_strdup(*p));
			gchar **w = g_strsplit_set(line, " \t", -1);
			GPtrArray *sets = g_ptr_array_new();

			g_free(line);
			if (!w[0] || !*w[0] || w[0][0] == '#') {
				g_strfreev(w);
				g_ptr_array_free(sets, TRUE);
				continue;
			}
			for (gchar **q = o->sets; q && *q; q++)
				g_ptr_array_add(sets, *q);
			for (gchar **q = w + 1; *q; q++)
				if (**q)
					g_ptr_array_add(sets, *q);
			g_ptr_array_add(sets, NULL);
			if (*n == MAX_LANES) {
				rc = cli_fail(CMD, "at most %d configurations in one pass", MAX_LANES);
			} else {
				rc = cli_load_config(CMD, w[0], (gchar **)sets->pdata, &s[*n].cfg, NULL);
				s[*n].name = g_strjoinv(" ", w);
				if (!rc) {
					(*n)++;
				} else {
					g_free(s[*n].name);
					s[*n].name = NULL;
				}
			}
			g_strfreev(w);
			g_ptr_array_free(sets, TRUE);
		}
	}
	g_strfreev(file_lines);
	return rc;
}

/* Print one table: a row per statistic (the short form's only, with
 * @brief), a column per configuration. */
static int print_table(const struct tm_stats *st, const struct trc_lane *l,
		       const struct lane_spec *s, unsigned n, bool csv, bool brief)
{
	gchar **keys = NULL, **vals[MAX_LANES] = { 0 };
	int rc = 0;

	for (unsigned i = 0; i < n; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		tm_stats_fprint(&st[i], tm_model_config(l[i].c.tm)->name, f, TM_FMT_CSV);
		fclose(f);
		gchar **lines = g_strsplit(buf, "\n", 3);

		if (!keys)
			keys = g_strsplit(lines[0], ",", -1);
		vals[i] = g_strsplit(lines[1] ? lines[1] : "", ",", -1);
		g_strfreev(lines);
		free(buf);
	}
	if (csv) {
		printf("key");
		for (unsigned i = 0; i < n; i++)
			printf(",\"%s\"", s[i].name);
		printf("\n");
	} else {
		printf("%-40s", "");
		for (unsigned i = 0; i < n; i++)
			printf(" %20.20s", s[i].name);
		printf("\n");
	}
	for (unsigned k = 0; keys && keys[k]; k++) {
		if (!*keys[k] || (brief && !csv && !tm_stats_brief(keys[k])))
			continue;
		printf(csv ? "%s" : "%-40s", keys[k]);
		for (unsigned i = 0; i < n; i++) {
			const char *v = k < g_strv_length(vals[i]) ? vals[i][k] : "";

			printf(csv ? ",%s" : " %20s", v);
		}
		printf("\n");
	}
	if (fflush(stdout) || ferror(stdout))
		rc = cli_fail(CMD, "cannot write the statistics: %s", g_strerror(errno));
	g_strfreev(keys);
	for (unsigned i = 0; i < n; i++)
		g_strfreev(vals[i]);
	return rc;
}

static int print_json(const struct tm_stats *st, const struct trc_lane *l,
		      const struct lane_spec *s, unsigned n, const char *path)
{
	JsonBuilder *b = json_builder_new();
	int rc = 0;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "replay");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "trace");
	json_builder_add_string_value(b, path);
	json_builder_end_object(b);
	if (n == 1) {
		json_builder_set_member_name(b, "stats");
		json_builder_begin_object(b);
		tm_stats_build_json(&st[0], tm_model_config(l[0].c.tm)->name, b);
		json_builder_end_object(b);
	} else {
		json_builder_set_member_name(b, "configs");
		json_builder_begin_array(b);
		for (unsigned i = 0; i < n; i++) {
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "config");
			json_builder_add_string_value(b, s[i].name);
			json_builder_set_member_name(b, "stats");
			json_builder_begin_object(b);
			tm_stats_build_json(&st[i], tm_model_config(l[i].c.tm)->name, b);
			json_builder_end_object(b);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
	}
	json_builder_end_object(b);
	if (tm_stats_print_builder(b, stdout))
		rc = cli_fail(CMD, "cannot write the statistics: %s", g_strerror(errno));
	g_object_unref(b);
	return rc;
}

/* The window: --warmup N instructions, or --from MARKER (text or port
 * id), to --to MARKER; each lane's counters split at it by its own
 * segments consumer (trace/segments.h, as a live run's segments). */
struct window {
	uint64_t warmup;
	const char *from, *to;
	struct trc_segments *seg; /* one per lane */
};

/* Has every lane's window closed (--to met)? */
static bool window_closed(const struct window *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!w->seg[i].closed)
			return false;
	return w->to != NULL;
}

/* --golden: the first (only) lane's golden, its writer a consumer of the
 * lane's feed after its timing model, as in a live run. */
static int golden_open(struct replay_opts *o, struct trc_lane *l, const struct lane_spec *s,
		       unsigned n)
{
	struct trc_consumer k;
	int rc;

	if (o->golden.path && n != 1)
		return cli_fail(CMD, "--golden writes one configuration's golden (%u given)", n);
	if ((rc = golden_cli_open(CMD, &o->golden, "replay", s->name, o->sets, &l->c.pgcpu)))
		return rc;
	if (!golden_cli_consumer(&o->golden, &l->c.sink, &l->c.ram, &k))
		return 0;
	if (trc_sink_add(&l->c.sink, &k))
		return cli_fail(CMD, "--golden: cannot add it to the feed");
	o->golden.g.unknown = l->stale; /* no code from pages the trace does not hold */
	return 0;
}

static int replay(struct replay_opts *o, const char *path)
{
	struct trc_reader *r = NULL;
	struct trc_header h;
	struct tm_config guest;
	struct lane_spec *s = g_new0(struct lane_spec, MAX_LANES);
	struct trc_lane *l = NULL;
	struct window w = { .from = o->from, .to = o->to };
	struct tm_stats st[MAX_LANES];
	struct trc_rec rec;
	char why[400];
	unsigned n = 0, modes = 0;
	uint64_t accesses = 0, rel = 0;
	struct cli_progress_sample ps = { .insns = 0 };
	struct cli_progress *prog = NULL;
	bool synth = false;
	int rc;

	if (o->warmup && cli_parse_u64(o->warmup, &w.warmup))
		return cli_fail(CMD, "--warmup %s: expected a number of instructions", o->warmup);
	if (trc_reader_open(path, &r, why, sizeof(why))) {
		rc = cli_fail(CMD, "%s", why);
		goto out;
	}
	if (trc_header_read(trc_reader_header(r), &h, why, sizeof(why))) {
		rc = cli_fail(CMD, "%s: %s", path, why);
		goto out;
	}
	if (trc_reader_index(r))
		modes = (unsigned)g_key_file_get_integer(trc_reader_index(r), "guest", "modes", NULL);
	trc_header_guest_cfg(&h, &guest);
	{
		gchar *p = g_key_file_get_string(trc_reader_header(r), "trace", "producer", NULL);

		synth = p && strcmp(p, "synth") == 0;
		g_free(p);
	}
	if (synth && (o->host || o->gpaw)) {
		rc = cli_fail(CMD, "a synth trace replays without a host dimension (synth builds "
			      "host tables whole; use synth --host)");
		goto out;
	}
	if ((rc = load_specs(o, s, &n)))
		goto out;
	l = g_new0(struct trc_lane, n);
	w.seg = g_new0(struct trc_segments, n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t host = 0;
		uint16_t vpid = 0;

		if ((rc = host_of(o, &h, &host, &vpid)) ||
		    (rc = check_hardware(s[i].name, &s[i].cfg, modes, host)))
			goto out;
		trc_config_guest_part(&s[i].cfg, &guest);
		if (trc_lane_init(&l[i], &s[i].cfg, host, o->no_role_normalise, vpid, h.ram_bytes, synth, why,
				  sizeof(why))) {
			rc = cli_fail(CMD, "%s: %s", s[i].name, why);
			goto out;
		}
	}
	if ((rc = golden_open(o, l, s, n)))
		goto out;
	for (unsigned i = 0; i < n; i++)
		if (trc_segments_init_window(&w.seg[i], &l[i].c.sink, l[i].c.tm,
					     !w.from && !w.warmup, w.from, w.to)) {
			rc = cli_fail(CMD, "--from/--to: cannot add the window to the feed");
			goto out;
		}
	ps.total = trc_reader_file_size(r);
	prog = cli_progress_start("replay", cli_progress_read, &ps);
	while (!window_closed(&w, n) && (rc = trc_reader_next(r, &rec)) > 0) {
		trc_lanes_apply(l, n, &rec);
		if (rec.type == TRC_REC_ACCESS)
			accesses++;
		if (rec.type == TRC_REC_INSNS && w.warmup && !w.from && !w.seg[0].opened &&
		    l[0].c.sink.insns >= w.warmup)
			for (unsigned i = 0; i < n; i++)
				trc_segments_mark(&w.seg[i], NULL, 0);
		if (prog && ++rel % 4096 == 0) {
			cli_progress_set(&ps.insns, l[0].c.sink.insns);
			cli_progress_set(&ps.accesses, accesses);
			cli_progress_set(&ps.done, trc_reader_offset(r));
		}
	}
	cli_progress_stop(prog);
	prog = NULL;
	if (rc < 0) {
		rc = cli_fail(CMD, "%s: %s", path, trc_reader_error(r));
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		if (l[i].err) {
			rc = cli_fail(CMD, "%s: %s: %s", path, s[i].name, l[i].why);
			goto out;
		}
	if (w.from && !w.seg[0].opened) {
		rc = cli_fail(CMD, "--from %s: no such marker in the trace", w.from);
		goto out;
	}
	/* A window that never closed or never opened counted something else
	 * than asked: refused, as --from is. */
	if (w.to && !w.seg[0].closed) {
		rc = cli_fail(CMD, "--to %s: no such marker in the trace%s", w.to,
			      w.from ? " after --from" : "");
		goto out;
	}
	if (w.warmup && !w.seg[0].opened) {
		rc = cli_fail(CMD, "--warmup %" PRIu64 ": the trace has %" PRIu64 " instructions",
			      w.warmup, l[0].c.sink.insns);
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		int a = w.from || w.warmup ? 0 : -1;

		trc_segments_between(&w.seg[i], a, w.to ? a + 1 : (int)trc_segments_count(&w.seg[i]),
				     &st[i]);
	}
	if ((rc = golden_cli_close(CMD, &o->golden, true, &st[0])))
		goto out;
	if (o->json)
		rc = print_json(st, l, s, n, path);
	else if (n == 1 && !o->csv)
		rc = tm_stats_fprint(&st[0], tm_model_config(l[0].c.tm)->name, stdout,
				     o->stats_fmt) || fflush(stdout)
			     ? cli_fail(CMD, "cannot write the statistics: %s", g_strerror(errno)) : 0;
	else
		rc = print_table(st, l, s, n, o->csv, o->stats_fmt == TM_FMT_SHORT);
out:
	cli_progress_stop(prog);
	for (unsigned i = 0; w.seg && i < n; i++)
		trc_segments_free(&w.seg[i]);
	g_free(w.seg);
	for (unsigned i = 0; l && i < n; i++)
		trc_lane_free(&l[i]);
	for (unsigned i = 0; i < MAX_LANES; i++)
		g_free(s[i].name);
	g_free(s);
	g_free(l);
	trc_reader_close(r);
	return rc;
}

int cmd_replay_trace(int argc, char **argv)
{
	struct replay_opts o = { 0 };
	int rc;
	const GOptionEntry entries[] = {
		{ "config", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.configs,
		  "CPU model (timing part); repeat for several configurations in one pass "
		  "(default: " TM_CONFIG_DEFAULT ")", "FILE|NAME" },
		{ "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.sets,
		  "Override a CPU-model key in every configuration (repeatable)", "GROUP.KEY=VALUE" },
		{ "configs-from", 0, 0, G_OPTION_ARG_FILENAME, &o.configs_file,
		  "Configurations, one a line: NAME [GROUP.KEY=VALUE ...]", "FILE" },
		{ "host", 0, 0, G_OPTION_ARG_STRING, &o.host,
		  "Host dimension: none, npt2..npt5, ept4, ept5 (default: the trace's)", "MODE" },
		{ "gpaw", 0, 0, G_OPTION_ARG_STRING, &o.gpaw,
		  "TD with this GPA width (48 or 52): only for traces recorded in that TD", "BITS" },
		{ "no-role-normalise", 0, 0, G_OPTION_ARG_NONE, &o.no_role_normalise,
		  "TDP root roles follow the guest's CR0.WP and EFER.NXE, as run's option", NULL },
		CLI_VPID_ENTRY(&o.vpid),
		{ "warmup", 0, 0, G_OPTION_ARG_STRING, &o.warmup,
		  "Warm the TLBs and caches for N instructions, then count", "N" },
		{ "from", 0, 0, G_OPTION_ARG_STRING, &o.from,
		  "Count from this marker (its text, or its port value)", "MARKER" },
		{ "to", 0, 0, G_OPTION_ARG_STRING, &o.to, "Stop at this marker", "MARKER" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Statistics as JSON", NULL },
		{ "csv", 0, 0, G_OPTION_ARG_NONE, &o.csv, "Statistics as CSV", NULL },
		CLI_STATS_OPTION(o.stats),
		GOLDEN_CLI_ENTRIES(&o.golden),
		{ "format", 0, 0, G_OPTION_ARG_STRING, &o.format,
		  "Trace format: tdpsim (default) or champsim", "FMT" },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.files, NULL, "FILE" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- replay a trace");

	g_option_context_add_main_entries(ctx, entries, NULL);
	rc = cli_parse_options(CMD, ctx, &argc, &argv);
	if (!rc && (!o.files || !o.files[0] || o.files[1]))
		rc = cli_fail(CMD, "expected one trace FILE");
	if (!rc && o.format && strcmp(o.format, "tdpsim") != 0)
		rc = cli_fail(CMD, "--format %s: expected tdpsim or champsim", o.format);
	if (!rc)
		rc = cli_parse_stats(CMD, o.stats, &o.stats_fmt);
	if (!rc && o.json && o.csv)
		rc = cli_fail(CMD, "--json and --csv: choose one");
	if (!rc)
		rc = replay(&o, o.files[0]);
	golden_cli_close(CMD, &o.golden, false, NULL);
	g_option_context_free(ctx);
	cli_free_options(entries);
	return rc;
}
