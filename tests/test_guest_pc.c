/*
 * The platform test kernels (guests/pc/NAME.c) on both emulators: each must
 * print exactly guests/pc/expected/NAME.txt and leave through
 * isa-debug-exit with 0 (exit status 1)
 *  - under qemu-system-x86_64 (TCG, -cpu max, 128 MiB, pc-testdev, the RTC
 *    started at RTC_DATE in virtual time), the independent reference whose
 *    output the expected text was reviewed from; skipped when QEMU is not
 *    installed;
 *  - under `tdpsim run` --mmu tdpsim with --model functional and timing,
 *    and --mmu reference (functional: the timing model needs tdpsim's
 *    fills), which must also agree on the instructions retired and the
 *    virtual time (neither a model nor an MMU changes what the guest
 *    computes), on icelake-sp with the CPUID features
 *    QEMU's -cpu max offers the kernel (no x2APIC, no TSC-deadline timer),
 *    and the RTC at the same date.
 * A kernel with a file expected/NAME.full.txt also runs under tdpsim with
 * the model's full features (x2APIC, TSC deadline), which QEMU 7.2's TCG
 * lacks: that text was reviewed against the SDM by hand.
 * Where QEMU departs from the manuals, the kernel prints "DEVIATION name:
 * why" in place of "PASS name" and expected/NAME.qemu.txt holds QEMU's
 * text; it must differ from NAME.txt in those lines only.
 * The acpi kernel ends with ACPI S5 (exit status 0). With reset=kbd,
 * reset=pci or reset=triple it first resets the machine once: QEMU (rebooting) and
 * `tdpsim run --reboot` must print expected/acpi.reset-KIND.txt and power
 * off; without --reboot tdpsim stops at the reset with a report, status 2.
 *
 * The debug kernel with "databp" sets a data breakpoint: QEMU takes it,
 * tdpsim stops with a report (status 2) at the MOV to DR7 (test_databp).
 *
 * Usage: test_guest_pc [-p /guest-pc/NAME]: one kernel.
 */
#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "spawn.h"

#define RTC_DATE "2026-12-06T12:00:00"
/* icelake-sp's features less those QEMU 7.2 TCG -cpu max lacks (x2APIC,
 * TSC deadline, PCID and INVPCID: TCG has none of them). */
#define QEMU_LIKE_FEATURES \
	"cpu.features=pse,pae,pge,pse36,nx,1g,la57,smep,smap,pku,syscall,sep,lm,rdtscp"

static gchar *qemu;

/* The exit status a kernel ends with when all is well. */
static int want_status(const char *name)
{
	return strcmp(name, "acpi") == 0 ? 0 : 1;
}

static gchar *kernel_path(const char *name)
{
	return g_strdup_printf("%s/pc/%s", GUEST_DIR, name);
}

static gchar *expected(const char *name, const char *variant)
{
	gchar *path = g_strdup_printf("%s/guests/pc/expected/%s%s.txt", TDPSIM_SOURCE_DIR, name,
				      variant);
	gchar *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		text = NULL;
	g_free(path);
	return text;
}

static void check_result(const char *what, struct spawn_result *r, const char *uart,
			 const char *want, int status)
{
	if (r->status != status || g_strcmp0(uart, want) != 0)
		g_test_message("%s: status %d\n--- got:\n%s\n--- stderr:\n%s", what, r->status,
			       uart, r->err);
	g_assert_cmpint(r->status, ==, status);
	g_assert_cmpstr(uart, ==, want);
}

/* The QEMU command line: @append (or NULL), -no-reboot unless @reboot. */
static struct spawn_result run_qemu(const char *k, const char *append, bool reboot)
{
	const char *argv[40] = {qemu, "-kernel", k, "-nodefaults", "-vga", "none", "-display",
				"none", "-monitor", "none", "-serial", "stdio", "-device",
				"isa-debug-exit,iobase=0xf4,iosize=0x04", "-device", "pc-testdev",
				"-cpu", "max", "-m", "128", "-accel", "tcg", "-rtc",
				"base=" RTC_DATE ",clock=vm"};
	unsigned n = 24;

	if (!reboot)
		argv[n++] = "-no-reboot";
	if (append) {
		argv[n++] = "-append";
		argv[n++] = append;
	}
	argv[n] = NULL;
	return spawn_argv(argv, 120);
}

static void test_qemu(gconstpointer data)
{
	const char *name = data;
	gchar *k = kernel_path(name), *want = expected(name, ".qemu");
	struct spawn_result r;

	if (!want)
		want = expected(name, "");
	if (!qemu) {
		g_test_skip("qemu-system-x86_64 not installed");
		goto out;
	}
	g_assert_nonnull(want);
	r = run_qemu(k, NULL, false);
	check_result("qemu", &r, r.out, want, want_status(name));
	spawn_free(&r);
out:
	g_free(want);
	g_free(k);
}

/* NAME.qemu.txt is NAME.txt with "PASS x" turned into "DEVIATION x: ...". */
static void test_deviations(gconstpointer data)
{
	const char *name = data;
	gchar *q = expected(name, ".qemu"), *want = expected(name, "");
	gchar **lines;
	GString *s;

	if (!q) {
		g_test_skip("QEMU follows the manuals here (no expected/NAME.qemu.txt)");
		goto out;
	}
	g_assert_nonnull(want);
	lines = g_strsplit(q, "\n", -1);
	s = g_string_new(NULL);
	for (unsigned i = 0; lines[i]; i++) {
		if (g_str_has_prefix(lines[i], "DEVIATION ")) {
			const char *colon = strchr(lines[i], ':');

			g_assert_nonnull(colon);
			g_string_append_printf(s, "PASS %.*s", (int)(colon - lines[i] - 10),
					       lines[i] + 10);
		} else {
			g_string_append(s, lines[i]);
		}
		if (lines[i + 1])
			g_string_append_c(s, '\n');
	}
	g_assert_cmpstr(s->str, ==, want);
	g_assert_cmpstr(q, !=, want);
	g_string_free(s, TRUE);
	g_strfreev(lines);
out:
	g_free(q);
	g_free(want);
}

/* acpi reset=kbd|pci: QEMU reboots (no -no-reboot), tdpsim with --reboot;
 * both print the same and power off. Without --reboot, tdpsim stops at
 * the reset with a report and status 2. */
static void test_reset(gconstpointer data)
{
	const char *kind = data;
	gchar *k = kernel_path("acpi"), *append = g_strdup_printf("reset=%s", kind);
	gchar *variant = g_strdup_printf(".reset-%s", kind), *want = expected("acpi", variant);
	const char *boot[] = {TDPSIM_BIN, "run", "--kernel", k, "--append", append, "--model",
			      "functional", "--reboot", NULL};
	struct spawn_result r;
	gchar *first;

	g_assert_nonnull(want);
	if (qemu) {
		r = run_qemu(k, append, true);
		check_result("qemu (reboots)", &r, r.out, want, 0);
		spawn_free(&r);
	}
	r = spawn_argv(boot, 120);
	check_result("tdpsim --reboot", &r, r.out, want, 0);
	g_assert_nonnull(strstr(r.err, "rebooting (--reboot)"));
	spawn_free(&r);
	boot[8] = NULL; /* no --reboot */
	r = spawn_argv(boot, 120);
	first = g_strndup(want, (gsize)(strstr(want, "\ncpus:") + 1 - want));
	check_result("tdpsim, no --reboot", &r, r.out, first, 2);
	g_assert_nonnull(strstr(r.err, strcmp(kind, "triple") ? "the guest reset the machine"
							      : "triple fault"));
	g_assert_nonnull(strstr(r.err, "registers"));
	spawn_free(&r);
	g_free(first);
	g_free(want);
	g_free(variant);
	g_free(append);
	g_free(k);
}

/* debug databp: a data breakpoint. QEMU takes it as the SDM says
 * (expected/debug.databp.qemu.txt); tdpsim does not model data
 * breakpoints and stops at the MOV to DR7 that enables one with a report,
 * status 2, never a crash: its output is debug.txt up to the data check. */
static void test_databp(gconstpointer data)
{
	gchar *k = kernel_path("debug"), *want = expected("debug", ".databp.qemu");
	gchar *all = expected("debug", ""), *first;
	static const char *const runs[][2] = {
		{"tdpsim", "functional"}, {"tdpsim", "timing"}, {"reference", "functional"}};
	struct spawn_result r;

	g_assert_nonnull(want);
	g_assert_nonnull(all);
	if (qemu) {
		r = run_qemu(k, "databp", false);
		check_result("qemu databp", &r, r.out, want, 1);
		spawn_free(&r);
	}
	first = g_strndup(all, (gsize)(strstr(all, "SUMMARY") - all));
	for (unsigned i = 0; i < G_N_ELEMENTS(runs); i++) {
		const char *argv[] = {TDPSIM_BIN, "run", "--kernel", k, "--append", "databp", "--mmu",
				      runs[i][0], "--model", runs[i][1], "--set", QEMU_LIKE_FEATURES,
				      NULL};

		r = spawn_argv(argv, 120);
		check_result("tdpsim databp", &r, r.out, first, 2);
		g_assert_nonnull(strstr(r.err, "the guest enabled a data breakpoint"));
		g_assert_nonnull(strstr(r.err, "mov dr7, "));
		g_assert_nonnull(strstr(r.err, "registers"));
		spawn_free(&r);
	}
	g_free(first);
	g_free(all);
	g_free(want);
	g_free(k);
}

/* "run": {"instructions": N, "virtual_time": T} of a --json run's output. */
static void run_counts(const char *json, gint64 counts[2])
{
	JsonParser *p = json_parser_new();
	JsonObject *run;

	g_assert_true(json_parser_load_from_data(p, json, -1, NULL));
	run = json_object_get_object_member(json_node_get_object(json_parser_get_root(p)), "run");
	g_assert_nonnull(run);
	counts[0] = json_object_get_int_member(run, "instructions");
	counts[1] = json_object_get_int_member(run, "virtual_time");
	g_object_unref(p);
}

static void run_tdpsim(const char *name, const char *want, bool qemu_like)
{
	/* (--model timing needs --mmu tdpsim: only its fills give linear
	 * addresses.) */
	static const char *const runs[][2] = {
		{"tdpsim", "functional"}, {"tdpsim", "timing"}, {"reference", "functional"}};
	gchar *k = kernel_path(name);
	gint64 first[2] = {0}, counts[2];

	for (unsigned i = 0; i < G_N_ELEMENTS(runs); i++) {
		const char *argv[] = {TDPSIM_BIN, "run", "--kernel", k, "--mmu", runs[i][0],
				      "--model", runs[i][1], "--json", "--set",
				      "platform.rtc_date=" RTC_DATE, qemu_like ? "--set" : NULL,
				      QEMU_LIKE_FEATURES, NULL};
		struct spawn_result r = spawn_argv(argv, 120);
		gchar *what = g_strdup_printf("tdpsim --mmu %s --model %s%s", runs[i][0],
					      runs[i][1], qemu_like ? "" : " (full features)");

		check_result(what, &r, r.err, want, want_status(name));
		run_counts(r.out, i ? counts : first);
		if (i && (counts[0] != first[0] || counts[1] != first[1]))
			g_test_message("%s: %" G_GINT64_FORMAT " instructions, virtual time %"
				       G_GINT64_FORMAT "; tdpsim --mmu tdpsim --model functional: %"
				       G_GINT64_FORMAT ", %" G_GINT64_FORMAT, what, counts[0],
				       counts[1], first[0], first[1]);
		g_assert_true(!i || (counts[0] == first[0] && counts[1] == first[1]));
		g_free(what);
		spawn_free(&r);
	}
	g_free(k);
}

static void test_tdpsim(gconstpointer data)
{
	const char *name = data;
	gchar *want = expected(name, "");

	g_assert_nonnull(want);
	run_tdpsim(name, want, true);
	g_free(want);
}

static void test_tdpsim_full(gconstpointer data)
{
	const char *name = data;
	gchar *want = expected(name, ".full");

	if (!want) {
		g_test_skip("no expected/NAME.full.txt: the output does not depend on them");
		return;
	}
	run_tdpsim(name, want, false);
	g_free(want);
}

int main(int argc, char **argv)
{
	GDir *d;
	const char *f;
	gchar *dir = g_strdup_printf("%s/guests/pc", TDPSIM_SOURCE_DIR);

	g_test_init(&argc, &argv, NULL);
	qemu = g_find_program_in_path("qemu-system-x86_64");
	d = g_dir_open(dir, 0, NULL);
	g_assert_nonnull(d);
	while ((f = g_dir_read_name(d))) {
		gchar *name, *path;

		if (!g_str_has_suffix(f, ".c"))
			continue;
		name = g_strndup(f, strlen(f) - 2);
		path = g_strdup_printf("/guest-pc/%s/qemu", name);
		g_test_add_data_func(path, name, test_qemu);
		g_free(path);
		path = g_strdup_printf("/guest-pc/%s/tdpsim", name);
		g_test_add_data_func(path, name, test_tdpsim);
		g_free(path);
		path = g_strdup_printf("/guest-pc/%s/tdpsim-full", name);
		g_test_add_data_func(path, name, test_tdpsim_full);
		g_free(path);
		path = g_strdup_printf("/guest-pc/%s/deviations", name);
		g_test_add_data_func(path, name, test_deviations);
		g_free(path);
	}
	g_dir_close(d);
	g_test_add_data_func("/guest-pc/acpi/reset-kbd", "kbd", test_reset);
	g_test_add_data_func("/guest-pc/acpi/reset-pci", "pci", test_reset);
	g_test_add_data_func("/guest-pc/acpi/reset-triple", "triple", test_reset);
	g_test_add_data_func("/guest-pc/debug/databp", NULL, test_databp);
	g_free(dir);
	return g_test_run();
}
