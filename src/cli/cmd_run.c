/*
 * `tdpsim run`: boot a guest kernel on the emulated CPU with tdpsim's
 * engine as its MMU, and print what it cost.
 *
 * The guest's UART goes to stdout; the statistics go to stderr at the end,
 * or, with --json, as one JSON object on stdout (the UART then goes to
 * stderr, so that stdout stays parseable). The exit status is the
 * isa-debug-exit status, (value << 1) | 1, truncated to 8 bits by exit()
 * as QEMU's is (--json keeps the whole value); a guest that halts
 * for good or reaches --max-insns without exiting, a triple fault (with
 * the report on stderr) and bad input exit 2. docs/cli-run.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "cli.h"
#include "golden_cli.h"
#include "progress.h"
#include "walk.h"
#include "boot/boot.h"
#include "cpu/cpu.h"
#include "boot/loader.h"
#include "hv/tdx.h"
#include "timing/model.h"
#include "run_record.h"
#include "trace/marker.h"
#include "trace/segments.h"

#define CMD "run"
#define MAX_MODULES 16

struct run_opts {
	gchar *kernel, *initrd, *append, *config, *host, *mmu, *model, *mem, *max_insns, *fault_log,
	      *gpaw, *vpid, *log, *record, *guest_cpu, *marker_prefix;
	gchar *max_memory; /* the budget (budget.c) */
	gchar *cmdline; /* the command line, for the trace header */
	gchar **modules, **sets;
	gchar *stats;
	gboolean json, unicorn_stats, reboot, no_role_normalise;
	int stats_fmt; /* --stats: TM_FMT_SHORT or TM_FMT_TEXT */
	struct golden_cli golden;
};

/* --reboot: at most this many resets in one run (a guest that resets in a
 * loop would otherwise never end). */
#define MAX_REBOOTS 64

static int parse_machine(const struct run_opts *o, struct cpu_opts *mo)
{
	uint64_t v;

	memset(mo, 0, sizeof(*mo));
	mo->mem_bytes = UINT64_C(128) << 20;
	if (o->mem) {
		if (cli_parse_u64(o->mem, &v) || v < 2 || v > 65536)
			return cli_fail(CMD, "--mem %s: expected a size in MiB, 2 to 65536", o->mem);
		mo->mem_bytes = v << 20;
	}
	if (o->log) {
		if (strcmp(o->log, "unassigned") != 0)
			return cli_fail(CMD, "--log %s: expected unassigned", o->log);
		mo->unassigned_log = stderr;
	}
	/* 0 would read as "no limit" inside the machine (max_insns == 0). */
	if (o->max_insns && (cli_parse_u64(o->max_insns, &mo->max_insns) || mo->max_insns == 0))
		return cli_fail(CMD, "--max-insns %s: expected a number of instructions, 1 or more "
				"(without --max-insns there is no limit)", o->max_insns);
	if (!o->mmu || strcmp(o->mmu, "tdpsim") == 0)
		mo->mmu_kind = CPU_MMU_TDPSIM;
	else if (strcmp(o->mmu, "reference") == 0)
		mo->mmu_kind = CPU_MMU_REFERENCE;
	else
		return cli_fail(CMD, "--mmu %s: expected tdpsim or reference", o->mmu);
	/* --mmu reference has no TLB fills to tell linear addresses: its
	 * default model is functional (feed.c). */
	if (!o->model && mo->mmu_kind == CPU_MMU_REFERENCE)
		mo->model_kind = CPU_MODEL_FUNCTIONAL;
	else if (!o->model || strcmp(o->model, "timing") == 0)
		mo->model_kind = CPU_MODEL_TIMING;
	else if (strcmp(o->model, "functional") == 0)
		mo->model_kind = CPU_MODEL_FUNCTIONAL;
	else
		return cli_fail(CMD, "--model %s: expected timing or functional", o->model);
	/* The host-dimension rules every subcommand shares (host_opts.c):
	 * --gpaw 48|52 makes the guest a TD over ept4|ept5. */
	struct host_dim hd;
	int rc = host_dim_parse(CMD, o->host, NULL, o->gpaw, false, &hd);

	if (rc)
		return rc;
	mo->host_kind = hd.gpaw ? hv_host_mode_tdx(hd.gpaw)->kind
			: hd.hm ? hd.hm->kind : HV_HOST_NONE;
	/* KVM gives every vCPU a VPID when the CPU has them; --vpid 0 models
	 * VPID off (a TLB flush at every VM exit and entry). */
	mo->vpid = 1;
	if ((rc = cli_parse_vpid(CMD, o->vpid, mo->host_kind != HV_HOST_NONE, &mo->vpid)))
		return rc;
	if (o->no_role_normalise && (mo->host_kind == HV_HOST_NONE || hd.gpaw))
		return cli_fail(CMD, "--no-role-normalise: TDP root roles need a host dimension "
				"(--host npt2..ept5; a TD's roots are not keyed by role)");
	mo->tdp_unnormalised = o->no_role_normalise;
	if ((rc = cli_tlb_flush_env(CMD, &mo->tlb_flush_every)))
		return rc;
	if (mo->mmu_kind == CPU_MMU_REFERENCE && mo->host_kind != HV_HOST_NONE)
		return cli_fail(CMD, "--mmu reference has no host dimension: drop --host/--gpaw");
	return 0;
}

static const char *stop_name(int s)
{
	static const char *const n[] = { "none", "exit", "max-insns", "halted", "triple-fault",
					 "error", "reset" };
	return s >= 0 && s < (int)G_N_ELEMENTS(n) ? n[s] : "?";
}

/*
 * Two counts (docs/cli-run.md, "Time"): instructions retired, the ones that
 * ran (the timing model's "instructions" is the same count), and virtual
 * time, which also advances while the CPU idles in HLT. Both need the
 * per-block hook: a functional run that had none for part of the run
 * counted neither, and says so ("not counted", JSON null).
 */
/* The progress line's figures (on its thread: display only). Virtual time
 * counts while the block hook is in (a functional run with no timer
 * armed has none, and counts nothing). */
static void run_sample(void *opaque, struct cli_progress_sample *s)
{
	const struct cpu *c = opaque;

	if (__atomic_load_n(&c->block_hooked, __ATOMIC_RELAXED))
		s->insns = __atomic_load_n(&c->insns, __ATOMIC_RELAXED);
}

/* A segment's end: the marker's name, or NULL for the run's start/end. */
static const char *seg_name(const struct trc_segments *seg, int i)
{
	return i >= 0 && i < (int)trc_segments_count(seg) ? trc_segments_at(seg, i)->text : NULL;
}

/* The statistics of each segment between markers (the start of the run,
 * every marker, the end), as `replay --from A --to B` prints them. */
static void segments_text(const struct trc_segments *seg, const struct tm_model *tm, FILE *f,
			  int fmt)
{
	unsigned n = trc_segments_count(seg);

	if (seg->dropped)
		fprintf(f, "run: %" PRIu64 " markers after the first %u not split\n", seg->dropped,
			TRC_SEGMENTS_MAX);
	for (int i = -1; n && i < (int)n; i++) {
		struct tm_stats st;
		const char *a = seg_name(seg, i), *b = seg_name(seg, i + 1);

		trc_segments_between(seg, i, i + 1, &st);
		fprintf(f, "\nrun: segment %d of %u, from %s%s%s to %s%s%s\n", i + 2, n + 1,
			a ? "marker \"" : "the start", a ? a : "", a ? "\"" : "",
			b ? "marker \"" : "the end", b ? b : "", b ? "\"" : "");
		tm_stats_fprint(&st, tm_model_config(tm)->name, f, fmt);
	}
}

static void stats_text(struct cpu *c, const struct trc_segments *seg, FILE *f, int64_t status,
		       bool unicorn, int fmt)
{
	char n[64] = "not counted (--model functional)";
	const struct dev_unassigned *u = &c->bus.un;

	if (!c->uncounted)
		snprintf(n, sizeof(n), "%" PRIu64 " (virtual time %" PRIu64 ")", c->retired,
			 c->insns);
	char full[96] = "";

	/* exit() keeps 8 bits, as QEMU's does: say what the guest wrote. */
	if (status > 0xff)
		snprintf(full, sizeof(full), " (isa-debug-exit status %" PRId64 ", truncated to "
			 "8 bits as QEMU's)", status);
	fprintf(f, "run: %s, exit status %d%s, instructions %s, mmu %s, model %s\n",
		stop_name(c->stop), (int)(status & 0xff), full, n,
		c->mmu_kind == CPU_MMU_TDPSIM ? "tdpsim" : "reference",
		c->model_kind == CPU_MODEL_TIMING ? "timing" : "functional");
	fprintf(f, "run: %" PRIu64 " interrupts, %" PRIu64 " software interrupts, %" PRIu64
		" VM exits, %" PRIu64 " paging events\n",
		c->n.interrupts, c->n.soft_ints, c->n.vmexits, c->n.events);
	if (unicorn)
		fprintf(f, "unicorn: %" PRIu64 " TLB fills, %" PRIu64 " growth flushes, %" PRIu64
			" alias flushes, %" PRIu64 " block hooks, %" PRIu64 " block decodes, %" PRIu64
			" translation flushes, %" PRIu64 " blocks restarted at a store into their "
			"code (not deterministic: QEMU sizes its TLB on a wall-clock window)\n",
			c->n.fills, c->n.grow_flushes, c->alias_flushes, c->n.blocks, c->n.decodes,
			c->n.tb_flushes, c->n.smc_restarts);
	for (unsigned v = 0; v < 256; v++)
		if (c->n.exceptions[v])
			fprintf(f, "run: exception %u delivered %" PRIu64 " times\n", v,
				c->n.exceptions[v]);
	if (u->port_reads || u->port_writes || u->mem_reads || u->mem_writes || u->rom_writes)
		fprintf(f, "run: unassigned: %" PRIu64 " port reads, %" PRIu64 " port writes, %"
			PRIu64 " memory reads, %" PRIu64 " memory writes, %" PRIu64 " ROM writes\n",
			u->port_reads, u->port_writes, u->mem_reads, u->mem_writes, u->rom_writes);
	if (cpu__tdx(c)) {
		const struct hv_tdx_stats *t = &cpu__tdx(c)->stats;

		fprintf(f, "run: TD: %" PRIu64 " GFNs converted, %" PRIu64 " leaves zapped, %" PRIu64
			" flushes, %" PRIu64 " hypervisor cycles of conversions [EST]\n",
			t->conversions, t->zapped, t->flushes, t->cycles);
	}
	if (c->tm) {
		tm_stats_write(c->tm, f, fmt);
		segments_text(seg, c->tm, f, fmt);
	}
}

struct json_count {
	const char *k;
	uint64_t v;
};

/* An object @name of counters. */
static void json_counts(JsonBuilder *b, const char *name, const struct json_count *kv, unsigned n)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	for (unsigned i = 0; i < n; i++) {
		json_builder_set_member_name(b, kv[i].k);
		json_builder_add_int_value(b, (gint64)kv[i].v);
	}
	json_builder_end_object(b);
}

/* A TD's conversions (hv/tdx.h): "tdx" in the run object. */
static void json_tdx(JsonBuilder *b, const struct hv_tdx *t)
{
	const struct json_count kv[] = {
		{ "conversions", t->stats.conversions }, { "zapped", t->stats.zapped },
		{ "flushes", t->stats.flushes },	  { "conversion_cycles", t->stats.cycles },
		{ "maps", t->stats.maps },
	};

	json_counts(b, "tdx", kv, G_N_ELEMENTS(kv));
}

static void json_unassigned(JsonBuilder *b, const struct dev_unassigned *u)
{
	const struct json_count kv[] = {
		{ "port_reads", u->port_reads }, { "port_writes", u->port_writes },
		{ "memory_reads", u->mem_reads }, { "memory_writes", u->mem_writes },
		{ "rom_writes", u->rom_writes },
	};

	json_counts(b, "unassigned", kv, G_N_ELEMENTS(kv));
}

/* "segments": [{"from": MARKER|null, "to": MARKER|null, "stats": {...}}]
 * (null: the start or the end of the run), when the guest gave markers. */
static void segments_json(JsonBuilder *b, const struct trc_segments *seg,
			  const struct tm_model *tm)
{
	unsigned n = trc_segments_count(seg);

	if (!n)
		return;
	json_builder_set_member_name(b, "segments");
	json_builder_begin_array(b);
	for (int i = -1; i < (int)n; i++) {
		struct tm_stats st;
		const char *name[2] = { seg_name(seg, i), seg_name(seg, i + 1) };
		static const char *const key[2] = { "from", "to" };

		json_builder_begin_object(b);
		for (unsigned k = 0; k < 2; k++) {
			json_builder_set_member_name(b, key[k]);
			if (name[k])
				json_builder_add_string_value(b, name[k]);
			else
				json_builder_add_null_value(b);
		}
		trc_segments_between(seg, i, i + 1, &st);
		json_builder_set_member_name(b, "stats");
		json_builder_begin_object(b);
		tm_stats_build_json(&st, tm_model_config(tm)->name, b);
		json_builder_end_object(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	if (seg->dropped) {
		json_builder_set_member_name(b, "segments_dropped");
		json_builder_add_int_value(b, (gint64)seg->dropped);
	}
}

static void stats_json(struct cpu *c, const struct trc_segments *seg, FILE *f, int64_t status,
		       bool unicorn)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "run");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "stop");
	json_builder_add_string_value(b, stop_name(c->stop));
	json_builder_set_member_name(b, "exit_status");
	json_builder_add_int_value(b, status);
	json_builder_set_member_name(b, "process_exit_status");
	json_builder_add_int_value(b, status & 0xff);
	json_builder_set_member_name(b, "instructions");
	if (c->uncounted)
		json_builder_add_null_value(b);
	else
		json_builder_add_int_value(b, (gint64)c->retired);
	json_builder_set_member_name(b, "virtual_time");
	if (c->uncounted)
		json_builder_add_null_value(b);
	else
		json_builder_add_int_value(b, (gint64)c->insns);
	json_builder_set_member_name(b, "mmu");
	json_builder_add_string_value(b, c->mmu_kind == CPU_MMU_TDPSIM ? "tdpsim" : "reference");
	json_builder_set_member_name(b, "model");
	json_builder_add_string_value(b, c->model_kind == CPU_MODEL_TIMING ? "timing"
									   : "functional");
	json_builder_set_member_name(b, "interrupts");
	json_builder_add_int_value(b, (gint64)c->n.interrupts);
	json_builder_set_member_name(b, "software_interrupts");
	json_builder_add_int_value(b, (gint64)c->n.soft_ints);
	json_builder_set_member_name(b, "vmexits");
	json_builder_add_int_value(b, (gint64)c->n.vmexits);
	json_builder_set_member_name(b, "paging_events");
	json_builder_add_int_value(b, (gint64)c->n.events);
	json_builder_set_member_name(b, "exceptions");
	json_builder_begin_object(b);
	for (unsigned v = 0; v < 256; v++)
		if (c->n.exceptions[v]) {
			char k[8];

			snprintf(k, sizeof(k), "%u", v);
			json_builder_set_member_name(b, k);
			json_builder_add_int_value(b, (gint64)c->n.exceptions[v]);
		}
	json_builder_end_object(b);
	json_unassigned(b, &c->bus.un);
	if (cpu__tdx(c))
		json_tdx(b, cpu__tdx(c));
	json_builder_end_object(b);
	if (unicorn) {
		/* How often Unicorn asked: depends on QEMU's TLB sizing, which
		 * follows a wall-clock window, so kept out of the default
		 * (deterministic) output. */
		json_builder_set_member_name(b, "unicorn");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "tlb_fills");
		json_builder_add_int_value(b, (gint64)c->n.fills);
		json_builder_set_member_name(b, "growth_flushes");
		json_builder_add_int_value(b, (gint64)c->n.grow_flushes);
		json_builder_set_member_name(b, "alias_flushes");
		json_builder_add_int_value(b, (gint64)c->alias_flushes);
		json_builder_set_member_name(b, "block_hooks");
		json_builder_add_int_value(b, (gint64)c->n.blocks);
		json_builder_set_member_name(b, "block_decodes");
		json_builder_add_int_value(b, (gint64)c->n.decodes);
		json_builder_end_object(b);
	}
	if (c->tm) {
		json_builder_set_member_name(b, "stats");
		json_builder_begin_object(b);
		tm_stats_json(c->tm, b);
		json_builder_end_object(b);
		segments_json(b, seg, c->tm);
	}
	json_builder_end_object(b);
	tm_stats_print_builder(b, f);
	g_object_unref(b);
}

static int run_kernel(struct run_opts *o)
{
	struct cpu_module mods[MAX_MODULES];
	unsigned nmods = 0;
	struct tm_config cfg;
	struct cpu_opts mo;
	struct cpu_boot boot;
	struct dev_cmos cmos;
	struct cpu *c;
	struct trc_recorder *rec = NULL;
	struct trc_segments seg = { 0 };
	FILE *con = NULL, *pcon, *prep;
	FILE *flog = NULL;
	struct cli_progress *prog;
	uint64_t budget;
	char why[256];
	int rc, status;
	int64_t full;

	/* No --kernel: the project's own test kernel, as built next to this
	 * binary (README's default job). */
	const char *kernel = o->kernel ? o->kernel : TDPSIM_GUEST_DIR "/pagetest";

	if (!o->kernel && !g_file_test(kernel, G_FILE_TEST_EXISTS))
		return cli_fail(CMD, "no --kernel FILE given, and the built-in pagetest (%s) "
			       "is not built", kernel);
	rc = parse_machine(o, &mo);
	if (rc || (rc = cli_parse_stats(CMD, o->stats, &o->stats_fmt)))
		return rc;
	/* The loader reads it as Multiboot reads a module: say which option. */
	if (o->initrd && !g_file_test(o->initrd, G_FILE_TEST_IS_REGULAR))
		return cli_fail(CMD, "--initrd %s: no such file", o->initrd);
	if (o->record && o->reboot)
		return cli_fail(CMD, "--record records one boot: drop --reboot");
	rc = cli_load_config(CMD, o->config, o->sets, &cfg, NULL);
	if (!rc)
		rc = run_guest_cpu(CMD, o->guest_cpu, &cfg);
	if (!rc)
		rc = cli_budget_parse(CMD, o->max_memory, &budget);
	/* Before anything is allocated: RAM, the host tables (fill.c sizes
	 * them for a full 4 KiB mapping of RAM, two roots) and the model. */
	if (!rc)
		rc = cli_budget_check(CMD, budget, "guest RAM (--mem)", mo.mem_bytes,
				      "host tables (--host)", mo.host_kind == HV_HOST_NONE ? 0
				      : 2 * ((mo.mem_bytes >> 21) + 64) * 4096,
				      "timing model (--config/--set)",
				      mo.model_kind == CPU_MODEL_TIMING ? tm_model_bytes(&cfg) : 0,
				      NULL);
	if (rc)
		return rc;
	for (gchar **m = o->modules; m && *m; m++) {
		if (nmods == MAX_MODULES)
			return cli_fail(CMD, "--module: at most %d modules", MAX_MODULES);
		char *comma = strchr(*m, ',');

		mods[nmods].cmdline = comma ? comma + 1 : *m;
		if (comma)
			*comma = '\0';
		mods[nmods++].path = *m;
	}
	/* A Linux kernel's initrd travels to the loader as its one module. */
	if (o->initrd && nmods)
		return cli_fail(CMD, "--initrd is for a Linux kernel and --module for a Multiboot "
				     "kernel: not both");
	if (o->initrd)
		mods[nmods++] = (struct cpu_module){.path = o->initrd};
	if (o->fault_log) {
		flog = fopen(o->fault_log, "w");
		if (!flog)
			return cli_fail(CMD, "--fault-log %s: %s", o->fault_log, g_strerror(errno));
	}
	c = g_new0(struct cpu, 1);
	prog = cli_progress_start("run", run_sample, c);
	pcon = cli_progress_stream(prog, o->json ? stderr : stdout, true);
	prep = cli_progress_stream(prog, stderr, false);
	mo.console = pcon;
	if (o->marker_prefix) {
		/* Console lines with the prefix are markers on c's feed. */
		con = trc_marker_console(mo.console, o->marker_prefix, &c->sink);
		if (!con) {
			status = cli_fail(CMD, "--marker-prefix: %s", g_strerror(errno));
			goto out_free;
		}
		mo.console = con;
	}
	mo.fault_log = flog;
	mo.report = prep;
	mo.reboot = o->reboot;
	for (unsigned boots = 0;; boots++) {
		rc = cpu_machine_init(c, &cfg, &mo, why, sizeof(why));
		if (rc) {
			status = cli_fail(CMD, "%s", why);
			goto out_free;
		}
		if (o->record &&
		    (status = run_record_open(CMD, o->record, o->cmdline, kernel, o->initrd,
						      o->initrd ? NULL : mods, nmods, c, &rec)) != 0) {
			cpu_machine_free(c);
			goto out_free;
		}
		if ((status = golden_cli_cpu(CMD, &o->golden, c, cfg.name, o->sets, o->append))) {
			run_record_close(CMD, rec);
			cpu_machine_free(c);
			goto out_free;
		}
		/* The statistics split at the guest's markers (this boot's). */
		trc_segments_free(&seg);
		if (c->tm && trc_segments_init(&seg, &c->sink, c->tm)) {
			run_record_close(CMD, rec);
			cpu_machine_free(c);
			status = cli_fail(CMD, "cannot split the statistics at markers: the feed "
					  "has no room for another consumer");
			goto out_free;
		}
		rc = cpu_load_kernel(&c->ram, kernel, o->append ? o->append : "", mods, nmods,
				     &boot, why, sizeof(why));
		bool linux = !rc && (boot.kind == CPU_BOOT_LINUX32 ||
				     boot.kind == CPU_BOOT_LINUX64);
		if (!rc && o->initrd && !linux) {
			snprintf(why, sizeof(why),
				 "--initrd: '%s' is not a Linux bzImage (a Multiboot kernel "
				 "takes --module)",
				 kernel);
			rc = -EINVAL;
		} else if (linux && o->modules && *o->modules) {
			snprintf(why, sizeof(why),
				 "--module: '%s' is a Linux bzImage, which takes its initrd "
				 "with --initrd",
				 kernel);
			rc = -EINVAL;
		}
		if (!rc)
			rc = cpu_boot_enter(c, &boot, why, sizeof(why));
		if (rc) {
			run_record_close(CMD, rec);
			cpu_machine_free(c);
			status = cli_fail(CMD, "%s", why);
			goto out_free;
		}
		cpu_run(c);
		trc_end(&c->sink);
		fflush(mo.console);
		if ((c->stop != CPU_STOP_RESET && c->stop != CPU_STOP_TRIPLE) || !o->reboot ||
		    boots == MAX_REBOOTS ||
		    (mo.max_insns && c->insns >= mo.max_insns))
			break;
		/* A PC reset: the CPU and the devices start again, the CMOS
		 * keeps its bytes and its clock, the kernel is loaded again
		 * (as QEMU's -kernel path does through the firmware). */
		fprintf(prep, "tdpsim run: %s: rebooting (--reboot)\n", c->stop_msg);
		dev_rtc_save(c->bus.rtc, &cmos);
		mo.cmos = &cmos;
		if (mo.max_insns)
			mo.max_insns -= c->insns;
		cpu_machine_free(c);
		memset(c, 0, sizeof(*c));
	}
	cli_progress_stop(prog);
	prog = NULL;
	full = c->stop == CPU_STOP_EXIT ? c->bus.exit_status : CLI_EXIT_USAGE;
	if (run_record_close(CMD, rec))
		full = CLI_EXIT_USAGE;
	status = (int)(full & 0xff);
	if ((c->stop == CPU_STOP_RESET || c->stop == CPU_STOP_TRIPLE) && o->reboot)
		fprintf(stderr, "tdpsim run: the guest reset the machine %d times: stopping\n",
			MAX_REBOOTS + 1);
	if (c->stop != CPU_STOP_EXIT && c->stop != CPU_STOP_TRIPLE && c->stop != CPU_STOP_ERROR &&
	    c->stop != CPU_STOP_RESET)
		fprintf(stderr, "tdpsim run: %s\n", c->stop_msg);
	if (o->json)
		stats_json(c, &seg, stdout, full, o->unicorn_stats);
	else
		stats_text(c, &seg, stderr, full, o->unicorn_stats, o->stats_fmt);
	/* A guest's own failure still has a golden; tdpsim's errors do not. */
	rc = golden_cli_close(CMD, &o->golden, c->stop != CPU_STOP_ERROR,
			      c->tm ? tm_model_stats(c->tm) : NULL);
	if (rc)
		status = rc;
	cpu_machine_free(c);
out_free:
	trc_segments_free(&seg);
	cli_progress_stop(prog);
	if (con && fclose(con))
		status = cli_fail(CMD, "cannot write the console: %s", g_strerror(errno));
	if (pcon != stdout && pcon != stderr && fclose(pcon))
		status = cli_fail(CMD, "cannot write the console: %s", g_strerror(errno));
	if (prep != stderr)
		fclose(prep);
	g_free(c);
	if (flog) {
		char *what = g_strdup_printf("--fault-log %s", o->fault_log);

		if (cli_output_close(CMD, flog, what))
			status = CLI_EXIT_USAGE;
		g_free(what);
	}
	return status;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	int rc;
	const GOptionEntry entries[] = {
		{ "kernel", 0, 0, G_OPTION_ARG_FILENAME, &o.kernel,
		  "Kernel: Multiboot v1 (ELF32/ELF64/a.out kludge) or a 64-bit ELF (default: the "
		  "built pagetest)", "FILE" },
		{ "append", 0, 0, G_OPTION_ARG_STRING, &o.append, "Kernel command line", "STR" },
		{ "initrd", 0, 0, G_OPTION_ARG_FILENAME, &o.initrd,
		  "Initial RAM disk of a Linux bzImage (as qemu -initrd)", "FILE" },
		{ "module", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.modules,
		  "Multiboot module, with an optional command line (repeatable)",
		  "FILE[,CMDLINE]" },
		{ "mem", 0, 0, G_OPTION_ARG_STRING, &o.mem, "Guest RAM in MiB (default 128)", "MiB" },
		CLI_CONFIG_ENTRIES(&o.config, &o.sets, TM_CONFIG_DEFAULT),
		{ "host", 0, 0, G_OPTION_ARG_STRING, &o.host,
		  "Host dimension: none, npt2, npt3, npt4, npt5, ept4, ept5", "MODE" },
		{ "gpaw", 0, 0, G_OPTION_ARG_STRING, &o.gpaw,
		  "Run the guest as a TD with this GPA width (48 or 52)", "BITS" },
		{ "no-role-normalise", 0, 0, G_OPTION_ARG_NONE, &o.no_role_normalise,
		  "TDP root roles follow the guest's CR0.WP and EFER.NXE (KVM before 5.18): each "
		  "change of them loads a new, empty root", NULL },
		CLI_VPID_ENTRY(&o.vpid),
		{ "mmu", 0, 0, G_OPTION_ARG_STRING, &o.mmu,
		  "tdpsim (the engine, default) or reference (QEMU's walker)", "KIND" },
		{ "model", 0, 0, G_OPTION_ARG_STRING, &o.model,
		  "timing (default: every access to the timing model) or functional", "KIND" },
		{ "max-insns", 0, 0, G_OPTION_ARG_STRING, &o.max_insns,
		  "Stop after about N instructions", "N" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o.json,
		  "Statistics as JSON on stdout (the UART goes to stderr)", NULL },
		CLI_STATS_OPTION(o.stats),
		{ "unicorn-stats", 0, 0, G_OPTION_ARG_NONE, &o.unicorn_stats,
		  "Also print how often Unicorn asked for translations (not deterministic)", NULL },
		{ "fault-log", 0, 0, G_OPTION_ARG_FILENAME, &o.fault_log,
		  "Log every guest-visible exception: vector error_code cr2 rip (hex)", "FILE" },
		{ "reboot", 0, 0, G_OPTION_ARG_NONE, &o.reboot,
		  "When the guest resets the machine (8042, 0xCF9, a triple fault), boot it again "
		  "(default: stop with a report, exit status 2)", NULL },
		{ "record", 0, 0, G_OPTION_ARG_FILENAME, &o.record,
		  "Record the run as a trace (docs/trace-format.md) for tdpsim replay", "FILE" },
		{ "marker-prefix", 0, 0, G_OPTION_ARG_STRING, &o.marker_prefix,
		  "Console lines starting with STR are markers (with the marker port 0x4E0)",
		  "STR" },
		{ "guest-cpu", 0, 0, G_OPTION_ARG_STRING, &o.guest_cpu,
		  "CPU model whose guest-visible part (CPUID, MAXPHYADDR, linear width) the "
		  "guest sees; --config keeps the timing part", "FILE|NAME" },
		{ "log", 0, 0, G_OPTION_ARG_STRING, &o.log,
		  "Log events on stderr: unassigned (accesses to no RAM, ROM or device)", "WHAT" },
		CLI_BUDGET_ENTRY(&o.max_memory),
		GOLDEN_CLI_ENTRIES(&o.golden),
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- run a guest kernel");

	g_option_context_set_summary(ctx, "Boot a guest kernel on the emulated CPU with tdpsim's "
				     "engine as its MMU.\nThe exit status is the guest's "
				     "isa-debug-exit status ((value << 1) | 1, its low 8 bits); 2 "
				     "otherwise.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	o.cmdline = cli_portable_command(argv, entries);
	rc = cli_parse_options(CMD, ctx, &argc, &argv);
	if (!rc)
		rc = run_kernel(&o);
	g_option_context_free(ctx);
	golden_cli_close(CMD, &o.golden, false, NULL);
	cli_free_options(entries);
	g_free(o.cmdline);
	return rc;
}
