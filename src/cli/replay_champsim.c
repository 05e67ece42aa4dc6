/*
 * `tdpsim replay --format champsim FILE.xz`: a ChampSim trace
 * (src/trace/champsim.h) as a producer of the feed, under any guest mode
 * and host dimension. docs/champsim.md documents the mapping:
 *
 *   each record        one instruction retired at RIP = ip
 *   ip                 a 1-byte fetch (ChampSim keeps no instruction length)
 *   source_memory[]    a 1-byte read per non-zero slot, in slot order
 *   destination_memory a 1-byte write per non-zero slot, after the reads
 *   CPL                3 (ChampSim traces are user-mode programs)
 *
 * Tables are built as `synth` builds them (synth_layout.c): a first pass
 * collects the 4 KiB pages the trace touches, in first-touch order; the
 * guest tables map each at its own linear address (folded into the mode's
 * linear width: the low 32 bits, or sign-extended from bit 47 or 56) onto
 * contiguous guest-physical pages, and --host maps those. Without paging
 * (--guest nopaging) the linear address is guest-physical, so page i of
 * the trace is placed at the i-th data page. The second pass feeds the
 * accesses.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cli.h"
#include "golden_cli.h"
#include "progress.h"
#include "synth_cli.h"
#include "paging/bits.h"
#include "trace/champsim.h"
#include "trace/sink.h"
#include "timing/model.h"
#include "timing/stats.h"

#define CMD "replay"

struct cs_opts {
	gchar *format, *guest, *host, *host_page_size, *gpaw, *vpid, *config, *stats;
	gchar **set;
	gboolean json, csv;
	int stats_fmt; /* --stats */
	struct golden_cli golden;
};

/* The pages of the trace: a page number -> index map and the linear
 * addresses in first-touch order. */
struct cs_pages {
	GHashTable *index;  /* folded page address -> index + 1 */
	GArray *vas;        /* uint64_t */
	unsigned va_bits;   /* 32, 48 or 57; 0: no paging */
};

static uint64_t fold(const struct cs_pages *p, uint64_t la)
{
	if (p->va_bits == 0 || p->va_bits == 32)
		return la & 0xffffffffu;
	/* Canonical: bits 63:va_bits-1 copies of bit va_bits-1. */
	unsigned sh = 64 - p->va_bits;

	return (uint64_t)((int64_t)(la << sh) >> sh);
}

static uint64_t page_index(struct cs_pages *p, uint64_t la)
{
	uint64_t pg = fold(p, la) & ~UINT64_C(0xfff);
	gpointer v;

	if (g_hash_table_lookup_extended(p->index, &pg, NULL, &v))
		return (uint64_t)GPOINTER_TO_SIZE(v) - 1;
	uint64_t *key = g_new(uint64_t, 1);

	*key = pg;
	g_array_append_val(p->vas, pg);
	g_hash_table_insert(p->index, key, GSIZE_TO_POINTER(p->vas->len));
	return p->vas->len - 1;
}

/* The linear address the model sees for trace address @la. */
static uint64_t linear(struct cs_pages *p, const struct synth_layout *l, uint64_t la)
{
	if (p->va_bits)
		return fold(p, la);
	return l->pa_base + page_index(p, la) * 4096 + (la & 0xfff);
}

/* One record: a one-instruction block at ip (its 1-byte fetch), the
 * reads, the writes, one instruction retired. */
static void feed(struct trc_sink *s, struct cs_pages *p, const struct synth_layout *l,
		 const struct trc_champsim_rec *rec, uint8_t code_bits)
{
	trc_block(s, &(struct trc_block){ .pc = linear(p, l, rec->ip), .size = 1, .ninsns = 1,
					  .cpl = 3, .code_bits = code_bits });
	for (unsigned i = 0; i < TRC_CHAMPSIM_NSRC; i++)
		if (rec->src_mem[i])
			trc_access(s, linear(p, l, rec->src_mem[i]), 1, TRC_READ, 3, false);
	for (unsigned i = 0; i < TRC_CHAMPSIM_NDST; i++)
		if (rec->dst_mem[i])
			trc_access(s, linear(p, l, rec->dst_mem[i]), 1, TRC_WRITE, 3, false);
	trc_insns(s, 1);
}

/* Pass 1: every page, and the record count. */
static int collect(struct trc_champsim *r, struct cs_pages *p, uint64_t *nrec)
{
	struct trc_champsim_rec rec;
	char why[512];
	int rc;

	*nrec = 0;
	while ((rc = trc_champsim_next(r, &rec, why, sizeof(why))) == 1) {
		(*nrec)++;
		page_index(p, rec.ip);
		for (unsigned i = 0; i < TRC_CHAMPSIM_NSRC; i++)
			if (rec.src_mem[i])
				page_index(p, rec.src_mem[i]);
		for (unsigned i = 0; i < TRC_CHAMPSIM_NDST; i++)
			if (rec.dst_mem[i])
				page_index(p, rec.dst_mem[i]);
	}
	if (rc < 0)
		return cli_fail(CMD, "%s", why);
	return 0;
}

static void print_json(struct tm_model *m, const char *path, const char *guest,
		       const struct host_dim *hd, uint64_t nrec, uint64_t pages)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "champsim.trace");
	json_builder_add_string_value(b, path);
	json_builder_set_member_name(b, "champsim.records");
	json_builder_add_int_value(b, (gint64)nrec);
	json_builder_set_member_name(b, "champsim.pages");
	json_builder_add_int_value(b, (gint64)pages);
	json_builder_set_member_name(b, "champsim.guest");
	json_builder_add_string_value(b, guest);
	json_builder_set_member_name(b, "champsim.host");
	json_builder_add_string_value(b, hd->hm ? hd->hm->name : "none");
	json_builder_set_member_name(b, "champsim.gpaw");
	json_builder_add_int_value(b, hd->gpaw);
	tm_stats_json(m, b);
	json_builder_end_object(b);
	tm_stats_print_builder(b, stdout);
	g_object_unref(b);
}

static int run(struct cs_opts *o, const char *path)
{
	const struct guest_mode *gm = guest_mode_find(o->guest ? o->guest : "4level");
	struct cs_pages p = { 0 };
	struct synth_layout l = { 0 };
	struct trc_champsim *r = NULL;
	struct trc_champsim_rec rec;
	struct tm_model *m = NULL;
	struct tm_config cfg;
	struct host_dim hd;
	struct pg_cpu cpu;
	struct trc_sink sink;
	struct trc_consumer gk;
	uint64_t nrec = 0, n = 0;
	uint16_t vpid = 1;
	struct cli_progress_sample ps = { .accesses = CLI_PROGRESS_NONE };
	struct cli_progress *prog;
	uint8_t bits;
	char why[512];
	int rc;

	if (!gm)
		return cli_fail(CMD, "--guest %s: expected %s", o->guest, guest_mode_list);
	if ((rc = cli_parse_stats(CMD, o->stats, &o->stats_fmt)))
		return rc;
	if (o->json && o->csv)
		return cli_fail(CMD, "--json and --csv exclude each other");
	if ((rc = host_dim_parse(CMD, o->host, o->host_page_size, o->gpaw, false, &hd)))
		return rc;
	if ((rc = cli_parse_vpid(CMD, o->vpid, hd.hm != NULL, &vpid)))
		return rc;
	if ((rc = cli_load_config(CMD, o->config, o->set, &cfg, NULL)))
		return rc;
	tm_config_pg_cpu(&cfg, &cpu);
	if (hd.gpaw)
		cpu.maxphyaddr = (uint8_t)hd.gpaw;
	if (trc_champsim_open(path, &r, why, sizeof(why)))
		return cli_fail(CMD, "%s", why);
	p.index = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	p.vas = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	p.va_bits = guest_mode_format(gm)->levels ? guest_mode_format(gm)->va_bits : 0;
	if ((rc = collect(r, &p, &nrec)))
		goto out;
	if (!nrec) {
		rc = cli_fail(CMD, "%s: no records", path);
		goto out;
	}
	if (synth_layout_build_pages(&l, gm, &cpu, p.va_bits ? (uint64_t *)(void *)p.vas->data
							     : NULL, p.vas->len, hd.hm,
				     hd.page_size, hd.gpaw, why, sizeof(why)) ||
	    synth_layout_model(&l, &cfg, &cpu, &m, why, sizeof(why))) {
		rc = cli_fail(CMD, "%s", why);
		goto out;
	}
	if (hd.hm)
		tm_set_vpid(m, vpid);
	if ((rc = golden_cli_open(CMD, &o->golden, "champsim", cfg.name, o->set, NULL)))
		goto out;
	if (o->golden.f) {
		trc_golden_meta(&o->golden.g, "champsim.guest", gm->name);
		trc_golden_meta(&o->golden.g, "champsim.host", hd.hm ? hd.hm->name : "none");
	}
	trc_sink_init(&sink);
	if ((rc = trc_sink_add_timing(&sink, m)) != 0 ||
	    (golden_cli_consumer(&o->golden, &sink, NULL, &gk) && (rc = trc_sink_add(&sink, &gk)))) {
		rc = cli_fail(CMD, "cannot feed the model: %s", g_strerror(-rc));
		goto out;
	}
	if (trc_champsim_rewind(r, why, sizeof(why))) {
		rc = cli_fail(CMD, "%s", why);
		goto out;
	}
	/* The code size the mode runs (no code bytes: RIPs only). */
	bits = (l.regs.efer & EFER_LMA) ? 64 : 32;
	trc_start(&sink, &(struct trc_start){ .regs = l.regs, .cpl = 3, .code_bits = bits });
	ps.total = nrec;
	prog = cli_progress_start("replay", cli_progress_read, &ps);
	while ((rc = trc_champsim_next(r, &rec, why, sizeof(why))) == 1) {
		feed(&sink, &p, &l, &rec, bits);
		cli_progress_set(&ps.insns, ++n); /* a record is an instruction */
		cli_progress_set(&ps.done, n);
	}
	cli_progress_stop(prog);
	trc_end(&sink);
	if (rc < 0) {
		rc = cli_fail(CMD, "%s", why);
		goto out;
	}
	if ((rc = golden_cli_close(CMD, &o->golden, true, tm_model_stats(m))))
		goto out;
	if (o->json) {
		print_json(m, path, gm->name, &hd, nrec, p.vas->len);
	} else if (o->csv) {
		tm_stats_write(m, stdout, TM_FMT_CSV);
	} else {
		printf("tdpsim replay: ChampSim trace %s, %" PRIu64 " records over %u pages; guest %s",
		       path, nrec, p.vas->len, gm->name);
		if (hd.hm)
			printf(", host %s", hd.hm->name);
		if (hd.gpaw)
			printf(", TDX GPAW %u", hd.gpaw);
		printf("\n");
		tm_stats_write(m, stdout, o->stats_fmt);
	}
	rc = fflush(stdout) || ferror(stdout) ? cli_fail(CMD, "cannot write the statistics")
					      : CLI_EXIT_OK;
out:
	golden_cli_close(CMD, &o->golden, false, NULL);
	tm_model_free(m);
	if (l.pages)
		synth_layout_free(&l);
	if (p.index)
		g_hash_table_destroy(p.index);
	if (p.vas)
		g_array_free(p.vas, TRUE);
	trc_champsim_close(r);
	return rc;
}

bool cli_replay_is_champsim(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if ((strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
		     strcmp(argv[i + 1], "champsim") == 0) ||
		    strcmp(argv[i], "--format=champsim") == 0)
			return true;
	}
	return false;
}

int cmd_replay_champsim(int argc, char **argv)
{
	struct cs_opts o = { 0 };
	const GOptionEntry entries[] = {
		{ "format", 0, 0, G_OPTION_ARG_STRING, &o.format,
		  "champsim: FILE is a ChampSim trace (xz, 64-byte input_instr records)", "FORMAT" },
		CLI_LAYOUT_ENTRIES(&o.guest, &o.host, &o.host_page_size, &o.gpaw),
		CLI_VPID_ENTRY(&o.vpid),
		CLI_CONFIG_ENTRIES(&o.config, &o.set, TM_CONFIG_DEFAULT),
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "print one JSON object", NULL },
		{ "csv", 0, 0, G_OPTION_ARG_NONE, &o.csv, "print a CSV header and row", NULL },
		CLI_STATS_OPTION(o.stats),
		GOLDEN_CLI_ENTRIES(&o.golden),
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	GOptionContext *ctx = g_option_context_new("--format champsim FILE.xz - replay a ChampSim "
						   "trace");
	GError *err = NULL;
	int rc;

	g_option_context_set_summary(ctx, "Feed a ChampSim trace's fetches, reads and writes to "
				     "the timing model over tables built as synth builds them "
				     "(docs/champsim.md).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		rc = cli_fail(CMD, "%s", err->message);
		g_error_free(err);
	} else if (!o.format || strcmp(o.format, "champsim") != 0) {
		rc = cli_fail(CMD, "--format %s: expected champsim", o.format ? o.format : "");
	} else if (argc != 2) {
		rc = cli_fail(CMD, "expected one ChampSim trace file (got %d)", argc - 1);
	} else {
		rc = run(&o, argv[1]);
	}
	g_option_context_free(ctx);
	golden_cli_close(CMD, &o.golden, false, NULL);
	cli_free_options(entries);
	return rc;
}
