/*
 * Debian's stock kernels (docs/linux.md) booted by `tdpsim run` to the
 * initramfs's done marker, one configuration per CTest entry (label
 * `linux`, tests/linux.cmake):
 *
 *   test_linux NAME KERNEL MODE HOST MODEL [APPEND...]
 *
 * NAME names the configuration (its results file), KERNEL is a cache file
 * name (vmlinuz-cloud-amd64, vmlinuz-686, vmlinuz-686-pae), MODE the
 * paging mode the guest must report (tdpsim-mode: 4level, 5level, 2level,
 * pae), HOST the host dimension (none, ept4, ept5, npt4), MODEL timing,
 * functional or reference; APPEND is added to the command line. MODEL
 * reference boots on QEMU's own page walker (--mmu reference, functional,
 * HOST none), and boots the same functionally on tdpsim's engine too: the
 * whole console and every exception (--fault-log: vector, error code, CR2,
 * RIP) must be the same bytes under both MMUs. The 64-bit kernel under MODEL
 * timing with HOST none boots functionally too: a timing configuration never changes what the
 * guest computes, so the whole console (the kernel log's time stamps
 * included), every exception, the instructions retired, the virtual time
 * and the interrupts must be the same under both models. The boot must power off
 * with status 0 (ACPI S5) and print the markers start, exec-loop,
 * pipelines, copy and done in that order with the mode line between copy
 * and done; under the timing model its statistics must be split at exactly
 * those markers (the JSON "segments", as the feed saw them). When
 * qemu-system-x86_64 is installed, the console text from the start marker
 * to the done marker, less the kernel's own log lines, must equal QEMU's for the same kernel, initramfs and
 * command line (the independent reference: the workload prints a line
 * count and an MD5 of what it copied).
 *
 * With TDPSIM_LINUX_RESULTS=DIR each boot leaves DIR/NAME.json: the
 * configuration, the wall time of the tdpsim boot (and of QEMU's), and
 * tdpsim's whole --json output (statistics and their marker segments), so
 * that the matrix's figures can be read without booting again.
 *
 * The kernels are fetched by scripts/fetch-linux.sh, never committed: a
 * clean machine has none, and a boot takes minutes. So every entry exits
 * with 77 (CTest's SKIP_RETURN_CODE) unless TDPSIM_LINUX=1 is set:
 * `TDPSIM_LINUX=1 ctest -L linux`. With it set, a kernel or busybox
 * missing from the cache fails the entry (the boot was asked for).
 */
#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "spawn.h"

#define SKIP 77

static const char *markers[] = {"start", "exec-loop", "pipelines", "copy", "done"};

/* The cache folder scripts/fetch-linux.sh uses. */
static gchar *cache_dir(void)
{
	const char *argv[] = {TDPSIM_SOURCE_DIR "/scripts/fetch-linux.sh", "--print", NULL};
	struct spawn_result r = spawn_argv(argv, 30);
	gchar *d = r.status == 0 ? g_strstrip(g_strdup(r.out)) : NULL;

	spawn_free(&r);
	return d;
}

/* The console lines from "tdpsim-marker: start" to "tdpsim-marker: done",
 * with the serial console's CR LF line ends made LF (NULL if either marker
 * is missing). */
static gchar *workload_text(const char *console)
{
	gchar **parts = g_strsplit(console, "\r", -1), *lf = g_strjoinv("", parts);
	const char *a = strstr(lf, "tdpsim-marker: start\n");
	const char *b = a ? strstr(a, "tdpsim-marker: done\n") : NULL;
	GString *text = NULL;

	/* The kernel's own log lines ("[    6.854992] clocksource: ...") are
	 * dropped: under QEMU they follow the host's real-time clock (a loaded
	 * host makes the clocksource watchdog speak between the markers), so
	 * only the workload's lines are an independent expectation. */
	if (b) {
		gchar *span = g_strndup(a, (gsize)(b - a) + strlen("tdpsim-marker: done\n"));
		gchar **lines = g_strsplit(span, "\n", -1);

		text = g_string_new(NULL);
		for (gchar **l = lines; *l && l[1]; l++)
			if (!g_regex_match_simple("^\\[ *[0-9]+\\.[0-9]+\\] ", *l, 0, 0))
				g_string_append_printf(text, "%s\n", *l);
		g_strfreev(lines);
		g_free(span);
	}
	g_strfreev(parts);
	g_free(lf);
	return text ? g_string_free(text, FALSE) : NULL;
}

static void check_markers(const char *text, const char *mode)
{
	gchar *mode_line = g_strdup_printf("tdpsim-mode: %s\n", mode);
	const char *at = text;

	for (unsigned i = 0; i < G_N_ELEMENTS(markers); i++) {
		gchar *m = g_strdup_printf("tdpsim-marker: %s\n", markers[i]);
		const char *next = strstr(at, m);

		if (!next)
			g_test_message("no \"%s\" after the previous marker", m);
		g_assert_nonnull(next);
		if (i == G_N_ELEMENTS(markers) - 1) {
			const char *ml = strstr(at, mode_line);

			g_assert_true(ml && ml < next);
		}
		at = next + strlen(m);
		g_free(m);
	}
	g_free(mode_line);
}

struct boot {
	const char *name, *kernel, *mode, *host, *model, *append;
	gchar *cache, *initrd, *tmp;
};

/* @argv's boot again with @opt set to @val and the fault log in @log: it
 * prints the same console (@console), logs the same exceptions as the
 * first boot (faults-reference.log) and ends with status 0. */
static struct spawn_result boot_again_same(const struct boot *bt, const char **argv,
					   const char *opt, const char *val, const char *log,
					   const char *console)
{
	gchar *first_log = g_build_filename(bt->tmp, "faults-reference.log", NULL);
	gchar *again_log = g_build_filename(bt->tmp, log, NULL);
	gchar *first = NULL, *again = NULL;
	struct spawn_result r;

	for (unsigned i = 0; argv[i]; i++) {
		if (!strcmp(argv[i], opt))
			argv[i + 1] = val;
		if (!strcmp(argv[i], "--fault-log"))
			argv[i + 1] = again_log;
	}
	r = spawn_argv(argv, 0);
	g_assert_cmpint(r.status, ==, 0);
	/* --json: the console is on stderr. */
	g_assert_cmpstr(r.err, ==, console);
	g_assert_true(g_file_get_contents(first_log, &first, NULL, NULL));
	g_assert_true(g_file_get_contents(again_log, &again, NULL, NULL));
	g_assert_cmpstr(again, ==, first);
	g_free(again);
	g_free(first);
	g_free(again_log);
	g_free(first_log);
	return r;
}

/* MODEL reference (@argv's boot on QEMU's walker, its console @console):
 * the same boot on tdpsim's engine prints the same console and logs the
 * same exceptions. */
static void check_engine_same(const struct boot *bt, const char **argv, const char *console)
{
	struct spawn_result r = boot_again_same(bt, argv, "--mmu", "tdpsim", "faults-tdpsim.log",
						console);

	spawn_free(&r);
}

/* The run's counts that depend only on what the guest computed. */
static const char *const run_counts[] = {"instructions", "virtual_time", "interrupts",
					 "software_interrupts"};

/* MODEL timing, HOST none (@argv's boot, its console
 * @console and --json "run" object @timing): the same boot under --model
 * functional prints the same console, logs the same exceptions and
 * retires the same instructions in the same virtual time. */
static void check_models_same(const struct boot *bt, const char **argv, const char *console,
			      JsonObject *timing)
{
	struct spawn_result r = boot_again_same(bt, argv, "--model", "functional",
						"faults-functional.log", console);
	JsonParser *jp = json_parser_new();
	JsonObject *fo;

	g_assert_true(json_parser_load_from_data(jp, r.out, -1, NULL));
	fo = json_object_get_object_member(json_node_get_object(json_parser_get_root(jp)), "run");
	for (unsigned i = 0; i < G_N_ELEMENTS(run_counts); i++) {
		g_test_message("%s: timing %" G_GINT64_FORMAT ", functional %" G_GINT64_FORMAT,
			       run_counts[i], json_object_get_int_member(timing, run_counts[i]),
			       json_object_get_int_member(fo, run_counts[i]));
		g_assert_cmpint(json_object_get_int_member(fo, run_counts[i]), ==,
				json_object_get_int_member(timing, run_counts[i]));
	}
	g_object_unref(jp);
	spawn_free(&r);
}

static double seconds_since(gint64 t0)
{
	return (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
}

/* TDPSIM_LINUX_RESULTS=DIR: DIR/NAME.json (the header comment). @run is
 * tdpsim's --json output (NULL if it printed none); @qemu_s < 0: QEMU did
 * not run. */
static void save_results(const struct boot *bt, int status, double tdpsim_s, double qemu_s,
			 JsonNode *run)
{
	const char *dir = g_getenv("TDPSIM_LINUX_RESULTS");
	JsonBuilder *b;
	JsonGenerator *g;
	GError *e = NULL;
	gchar *path;

	if (!dir || !*dir)
		return;
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	b = json_builder_new();
	json_builder_begin_object(b);
	const char *kv[][2] = { { "config", bt->name }, { "kernel", bt->kernel },
				{ "mode", bt->mode },   { "host", bt->host },
				{ "model", bt->model }, { "append", bt->append } };
	for (unsigned i = 0; i < G_N_ELEMENTS(kv); i++) {
		json_builder_set_member_name(b, kv[i][0]);
		json_builder_add_string_value(b, kv[i][1]);
	}
	json_builder_set_member_name(b, "status");
	json_builder_add_int_value(b, status);
	json_builder_set_member_name(b, "wall_seconds");
	json_builder_add_double_value(b, tdpsim_s);
	json_builder_set_member_name(b, "qemu_wall_seconds");
	if (qemu_s < 0)
		json_builder_add_null_value(b);
	else
		json_builder_add_double_value(b, qemu_s);
	json_builder_set_member_name(b, "tdpsim");
	if (run)
		json_builder_add_value(b, json_node_copy(run));
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
	g = json_generator_new();
	json_generator_set_root(g, json_builder_get_root(b));
	json_generator_set_pretty(g, TRUE);
	path = g_strdup_printf("%s/%s.json", dir, bt->name);
	if (!json_generator_to_file(g, path, &e))
		g_error("TDPSIM_LINUX_RESULTS: %s: %s", path, e->message);
	g_test_message("results in %s", path);
	g_free(path);
	g_object_unref(g);
	g_object_unref(b);
}

/* Under the timing model: the statistics are split at exactly the
 * workload's markers, in order, and the segments' instructions add up to
 * the run's. */
static void check_segments(JsonObject *top)
{
	JsonArray *segs = json_object_get_array_member(top, "segments");
	JsonObject *whole = json_object_get_object_member(top, "stats");
	gint64 insns = 0;

	g_assert_nonnull(segs);
	g_assert_cmpuint(json_array_get_length(segs), ==, G_N_ELEMENTS(markers) + 1);
	for (guint i = 0; i < json_array_get_length(segs); i++) {
		JsonObject *seg = json_array_get_object_element(segs, i);

		if (i < G_N_ELEMENTS(markers))
			g_assert_cmpstr(json_object_get_string_member(seg, "to"), ==, markers[i]);
		else
			g_assert_true(json_object_get_null_member(seg, "to"));
		insns += json_object_get_int_member(json_object_get_object_member(seg, "stats"),
						    "instructions");
	}
	g_assert_cmpint(insns, ==, json_object_get_int_member(whole, "instructions"));
}

static void test_boot(gconstpointer data)
{
	const struct boot *bt = data;
	gchar *k = g_build_filename(bt->cache, bt->kernel, NULL);
	gchar *flog = g_build_filename(bt->tmp, "faults-reference.log", NULL);
	bool ref = strcmp(bt->model, "reference") == 0;
	const char *argv[] = {TDPSIM_BIN, "run", "--kernel", k, "--initrd", bt->initrd,
			      "--append", bt->append, "--mem", "512", "--host", bt->host,
			      "--mmu", ref ? "reference" : "tdpsim", "--model",
			      ref ? "functional" : bt->model, "--fault-log", flog,
			      "--marker-prefix", "tdpsim-marker: ", "--max-insns", "40000000000",
			      "--json", NULL};
	gint64 t0 = g_get_monotonic_time();
	struct spawn_result r = spawn_argv(argv, 0);
	double tdpsim_s = seconds_since(t0), qemu_s = -1;
	JsonParser *jp = json_parser_new();
	JsonNode *run = json_parser_load_from_data(jp, r.out, -1, NULL) ?
			json_parser_get_root(jp) : NULL;
	gchar *text, *want = NULL;

	if (r.status != 0)
		g_test_message("tdpsim: status %d\n--- stdout:\n%s\n--- console and stderr:\n%s",
			       r.status, r.out, r.err);

	/* QEMU first, so that the results hold its time even when tdpsim's
	 * boot failed. */
	gchar *qemu = g_find_program_in_path("qemu-system-x86_64");
	if (qemu) {
		const char *qv[] = {qemu, "-cpu", "max", "-m", "512", "-nographic", "-no-reboot",
				    "-kernel", k, "-initrd", bt->initrd, "-append", bt->append,
				    NULL};
		gint64 q0 = g_get_monotonic_time();
		struct spawn_result q = spawn_argv(qv, 600);

		qemu_s = seconds_since(q0);
		want = workload_text(q.out);
		if (!want)
			g_test_message("qemu: status %d\n%s", q.status, q.out);
		spawn_free(&q);
	}
	save_results(bt, r.status, tdpsim_s, qemu_s, run);

	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(run);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(run));
	JsonObject *top = json_node_get_object(run);
	JsonObject *ro = json_object_get_object_member(top, "run");

	g_assert_cmpstr(json_object_get_string_member(ro, "stop"), ==, "exit");
	g_assert_cmpint(json_object_get_int_member(ro, "exit_status"), ==, 0);
	/* --json: the UART is on stderr. */
	text = workload_text(r.err);
	g_assert_nonnull(text);
	check_markers(text, bt->mode);
	if (strcmp(bt->model, "timing") == 0)
		check_segments(top);
	if (qemu) {
		g_assert_nonnull(want);
		g_assert_cmpstr(text, ==, want);
	}
	if (ref)
		check_engine_same(bt, argv, r.err);
	if (strcmp(bt->model, "timing") == 0 && strcmp(bt->host, "none") == 0)
		check_models_same(bt, argv, r.err, ro);
	g_free(want);
	g_free(qemu);
	g_free(text);
	g_object_unref(jp);
	spawn_free(&r);
	g_free(flog);
	g_free(k);
}

int main(int argc, char **argv)
{
	struct boot bt = {0};
	gchar *busybox, *k, *extra, *append;
	const char *gate = g_getenv("TDPSIM_LINUX");
	int rc;

	g_test_init(&argc, &argv, NULL);
	if (argc < 6) {
		g_printerr("usage: test_linux NAME KERNEL MODE HOST MODEL [APPEND...]\n");
		return 2;
	}
	if (!gate || strcmp(gate, "1") != 0) {
		g_print("skipped: the Linux boots run with TDPSIM_LINUX=1 (ctest -L linux)\n");
		return SKIP;
	}
	bt.name = argv[1];
	bt.kernel = argv[2];
	bt.mode = argv[3];
	bt.host = argv[4];
	bt.model = argv[5];
	extra = g_strjoinv(" ", argv + 6);
	bt.append = append = g_strconcat("console=ttyS0", *extra ? " " : "", extra, NULL);
	g_free(extra);
	bt.cache = cache_dir();
	busybox = g_build_filename(bt.cache ? bt.cache : "", strstr(bt.kernel, "amd64") ?
				   "busybox-amd64" : "busybox-i386", NULL);
	k = g_build_filename(bt.cache ? bt.cache : "", bt.kernel, NULL);
	if (!bt.cache || !g_file_test(k, G_FILE_TEST_EXISTS) ||
	    !g_file_test(busybox, G_FILE_TEST_EXISTS)) {
		g_printerr("test_linux: TDPSIM_LINUX=1, but %s or %s is missing: run "
			   "scripts/fetch-linux.sh (with the same TDPSIM_CACHE)\n", k, busybox);
		return 1;
	}
	bt.tmp = g_dir_make_tmp("tdpsim-linux-XXXXXX", NULL);
	g_assert_nonnull(bt.tmp);
	bt.initrd = g_build_filename(bt.tmp, "initrd.cpio.gz", NULL);
	const char *mk[] = {"python3", TDPSIM_SOURCE_DIR "/scripts/mkinitramfs.py", busybox,
			    bt.initrd, NULL};
	struct spawn_result r = spawn_argv(mk, 120);
	if (r.status != 0)
		g_printerr("mkinitramfs.py: %s%s", r.out, r.err);
	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);

	g_test_add_data_func("/linux/boot", &bt, test_boot);
	rc = g_test_run();
	spawn_rmtree(bt.tmp);
	g_free(bt.tmp);
	g_free(bt.initrd);
	g_free(bt.cache);
	g_free(busybox);
	g_free(k);
	g_free(append);
	return rc;
}
