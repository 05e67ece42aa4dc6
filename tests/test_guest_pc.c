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
 *    fills), on icelake-sp with the CPUID features
 *    QEMU's -cpu max offers the kernel (no x2APIC, no TSC-deadline timer),
 *    and the RTC at the same date.
 * A kernel with a file expected/NAME.full.txt also runs under tdpsim with
 * the model's full features (x2APIC, TSC deadline), which QEMU 7.2's TCG
 * lacks: that text was reviewed against the SDM by hand.
 *
 * Usage: test_guest_pc [-p /guest-pc/NAME]: one kernel.
 */
#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "spawn.h"

#define RTC_DATE "2026-12-06T12:00:00"
/* icelake-sp's features less those QEMU 7.2 TCG -cpu max lacks. */
#define QEMU_LIKE_FEATURES \
	"cpu.features=pse,pae,pge,pse36,nx,1g,la57,pcid,invpcid,smep,smap,pku,syscall,sep,lm"

static gchar *qemu;

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
			 const char *want)
{
	if (r->status != 1 || g_strcmp0(uart, want) != 0)
		g_test_message("%s: status %d\n--- got:\n%s\n--- stderr:\n%s", what, r->status,
			       uart, r->err);
	g_assert_cmpint(r->status, ==, 1);
	g_assert_cmpstr(uart, ==, want);
}

static void test_qemu(gconstpointer data)
{
	const char *name = data;
	gchar *k = kernel_path(name), *want = expected(name, "");
	const char *argv[] = {qemu, "-kernel", k, "-no-reboot", "-nodefaults", "-vga", "none",
			      "-display", "none", "-monitor", "none", "-serial", "stdio",
			      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-device",
			      "pc-testdev", "-cpu", "max", "-m", "128", "-accel", "tcg", "-rtc",
			      "base=" RTC_DATE ",clock=vm", NULL};
	struct spawn_result r;

	if (!qemu) {
		g_test_skip("qemu-system-x86_64 not installed");
		goto out;
	}
	g_assert_nonnull(want);
	r = spawn_argv(argv, 120);
	check_result("qemu", &r, r.out, want);
	spawn_free(&r);
out:
	g_free(want);
	g_free(k);
}

static void run_tdpsim(const char *name, const char *want, bool qemu_like)
{
	/* (--model timing needs --mmu tdpsim: only its fills give linear
	 * addresses.) */
	static const char *const runs[][2] = {
		{"tdpsim", "functional"}, {"tdpsim", "timing"}, {"reference", "functional"}};
	gchar *k = kernel_path(name);

	for (unsigned i = 0; i < G_N_ELEMENTS(runs); i++) {
		const char *argv[] = {TDPSIM_BIN, "run", "--kernel", k, "--mmu", runs[i][0],
				      "--model", runs[i][1], "--json", "--set",
				      "platform.rtc_date=" RTC_DATE, qemu_like ? "--set" : NULL,
				      QEMU_LIKE_FEATURES, NULL};
		struct spawn_result r = spawn_argv(argv, 120);
		gchar *what = g_strdup_printf("tdpsim --mmu %s --model %s%s", runs[i][0],
					      runs[i][1], qemu_like ? "" : " (full features)");

		check_result(what, &r, r.err, want);
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
	}
	g_dir_close(d);
	g_free(dir);
	return g_test_run();
}
