/*
 * The project's guest kernel pagetest on the independent reference:
 * Debian's qemu-system-x86_64 (TCG, -cpu max). Every paging mode must boot
 * from `-kernel` (Multiboot ELF32), pass every check and leave through
 * isa-debug-exit with 0, which QEMU turns into exit status (0 << 1) | 1 = 1.
 * Its UART text must equal the committed expected text
 * (guests/pagetest/expected/MODE.txt), which the tdpsim runs are compared
 * with too. The fault storm (thousands of CPL3 demand faults) and the timer
 * storm must end with no #DF (the kernel prints FAIL double-fault and exits
 * 1 on one). The triple option must make QEMU shut down (-no-reboot: exit
 * status 0) after the kernel's "triple:" line; a bad mode= is a FAIL line
 * and exit status (1 << 1) | 1 = 3.
 *
 * Skipped when qemu-system-x86_64 is not installed (CI installs it).
 */
#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "guest_run.h"

static gchar *qemu;

static struct spawn_result qemu_run(const char *append)
{
	return grun_qemu(qemu, append, NULL);
}

static bool need_qemu(void)
{
	if (!qemu) {
		g_test_skip("qemu-system-x86_64 not installed");
		return false;
	}
	return true;
}

/* Save what QEMU printed next to the kernel, for inspection and diffs. */
static void save(const char *name, const char *text)
{
	gchar *path = g_strdup_printf("%s.qemu-%s.txt", PAGETEST_KERNEL, name);

	g_file_set_contents(path, text, -1, NULL);
	g_free(path);
}

static void test_mode(gconstpointer data)
{
	const char *mode = data;
	gchar *append = g_strdup_printf("mode=%s", mode);
	gchar *want = grun_expected(mode);
	struct spawn_result r;

	if (!need_qemu())
		goto out;
	g_assert_nonnull(want);
	r = qemu_run(append);
	save(mode, r.out);
	if (r.status != 1)
		g_test_message("stderr: %s\nFAIL lines:\n%s", r.err, grun_fail_lines(r.out));
	g_assert_cmpint(r.status, ==, 1);
	g_assert_null(strstr(r.out, "FAIL"));
	g_assert_cmpstr(r.out, ==, want);
	spawn_free(&r);
out:
	g_free(want);
	g_free(append);
}

/* 4000 CPL3 demand faults (8 rounds of the 512-page window, less one
 * partial) and 1000 timer ticks at ~20 kHz taken while a process spins at
 * CPL3, in the 32-bit (PAE) and the 64-bit kernel. */
static void test_storm(gconstpointer data)
{
	const char *mode = data;
	gchar *append = g_strdup_printf("mode=%s storm=4000 ticks=1000", mode);
	struct spawn_result r;

	if (!need_qemu())
		goto out;
	r = qemu_run(append);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_null(strstr(r.out, "FAIL"));
	g_assert_nonnull(strstr(r.out, "\nPASS fault-storm\n"));
	g_assert_nonnull(strstr(r.out, "\nPASS timer-cpl3\n"));
	g_assert_nonnull(strstr(r.out, " passed, 0 failed, "));
	spawn_free(&r);
out:
	g_free(append);
}

static void test_triple(void)
{
	struct spawn_result r;

	if (!need_qemu())
		return;
	r = qemu_run("mode=4level triple");
	/* -no-reboot turns the triple fault's reset into a clean exit. */
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "\ntriple: empty IDT, then #UD\n"));
	g_assert_null(strstr(r.out, "SUMMARY"));
	spawn_free(&r);
}

static void test_bad_mode(void)
{
	struct spawn_result r;

	if (!need_qemu())
		return;
	r = qemu_run("mode=6level");
	g_assert_cmpint(r.status, ==, 3);
	g_assert_nonnull(strstr(r.out, "\nFAIL cmdline: mode= must be"));
	spawn_free(&r);
}

/* The bench loop's checksum is the same in the 32- and 64-bit kernels
 * (same passes, stride and buffer): the work is identical. */
static void test_bench(void)
{
	struct spawn_result a, b;

	if (!need_qemu())
		return;
	a = qemu_run("mode=pae bench=3 stride=4160");
	b = qemu_run("mode=5level bench=3 stride=4160");
	g_assert_cmpint(a.status, ==, 1);
	g_assert_cmpint(b.status, ==, 1);
	const char *la = strstr(a.out, "bench: "), *lb = strstr(b.out, "bench: ");
	g_assert_nonnull(la);
	g_assert_nonnull(lb);
	g_assert_cmpint(strcspn(la, "\n"), ==, strcspn(lb, "\n"));
	g_assert_cmpint(strncmp(la, lb, strcspn(la, "\n")), ==, 0);
	spawn_free(&a);
	spawn_free(&b);
}

int main(int argc, char **argv)
{
	static const char *modes[] = {"2level", "2level-pse", "pae", "4level", "5level"};

	g_test_init(&argc, &argv, NULL);
	qemu = g_find_program_in_path("qemu-system-x86_64");
	for (unsigned i = 0; i < G_N_ELEMENTS(modes); i++) {
		gchar *name = g_strdup_printf("/qemu/pagetest/%s", modes[i]);
		g_test_add_data_func(name, modes[i], test_mode);
		g_free(name);
	}
	g_test_add_data_func("/qemu/storm/pae", "pae", test_storm);
	g_test_add_data_func("/qemu/storm/4level", "4level", test_storm);
	g_test_add_func("/qemu/triple", test_triple);
	g_test_add_func("/qemu/bad-mode", test_bad_mode);
	g_test_add_func("/qemu/bench-checksum", test_bench);
	return g_test_run();
}
