/*
 * The progress line (src/cli/progress.c): the text of a frame from its
 * figures (worked out by hand below), the rate limit under an injected
 * clock, the console stream that erases the line before the guest's
 * output and shows its last line, and end to end: `tdpsim run` with stderr
 * on a terminal (a pty) draws it, and with stderr on a pipe never does.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "cli/progress.h"
#include "spawn.h"

#define NONE CLI_PROGRESS_NONE

static void test_format(void)
{
	struct cli_progress_sample prev = { 2345678, NONE, NONE, NONE };
	struct cli_progress_sample s = { 12345678, NONE, NONE, NONE };
	char b[256];

	/* 10 M instructions in 0.5 s: 20.0 MIPS. */
	cli_progress_format(b, sizeof(b), 200, "run", &s, &prev, 0.5, 3.2, "PASS invlpg");
	g_assert_cmpstr(b, ==, "run: 3 s, 12.35 M instructions, 20.0 MIPS | PASS invlpg");
	/* Not counted: no figure, no rate; the console's control bytes as '?'. */
	s.insns = NONE;
	cli_progress_format(b, sizeof(b), 200, "run", &s, &prev, 0.5, 75, "\tok\x01");
	g_assert_cmpstr(b, ==, "run: 1m15s | ?ok?");
	/* A quarter done after 10 s: 30 s to go. 400 k accesses in 0.25 s. */
	struct cli_progress_sample r = { 5000, 1500000, 250, 1000 };
	struct cli_progress_sample rp = { 4000, 1100000, 200, 1000 };
	cli_progress_format(b, sizeof(b), 200, "replay", &r, &rp, 0.25, 10, NULL);
	g_assert_cmpstr(b, ==, "replay: 10 s, 5000 instructions, 0.0 MIPS, 1.50 M accesses, "
			       "1.6 M accesses/s, 25%, ETA 30 s");
	/* Nothing done yet: a percentage, no ETA. */
	r.done = 0;
	cli_progress_format(b, sizeof(b), 200, "synth", &(struct cli_progress_sample){
		NONE, NONE, 0, 7 }, NULL, 0, 4000, NULL);
	g_assert_cmpstr(b, ==, "synth: 1h06m, 0%");
	/* One column short of the terminal's width. */
	cli_progress_format(b, sizeof(b), 20, "run", &s, &prev, 0.5, 3, "a long console line");
	g_assert_cmpuint(strlen(b), ==, 19);
	g_assert_cmpstr(b, ==, "run: 3 s | a long c");
}

static struct cli_progress_sample fake = { 0, NONE, NONE, NONE };

/* Draws happen only when the last one is 250 ms old, whenever ticked. */
static void test_rate_limit(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct cli_progress *p = cli_progress_new("run", f, 80, cli_progress_read, &fake, 1000000);
	unsigned frames = 0;

	g_assert_false(cli_progress_tick(p, 1100000));
	g_assert_false(cli_progress_tick(p, 1249999));
	fake.insns = 5000000;
	g_assert_true(cli_progress_tick(p, 1250000));
	for (int64_t t = 1250000; t <= 2250000; t += 10000)
		frames += cli_progress_tick(p, t);
	g_assert_cmpuint(frames, ==, 4); /* at 1.5, 1.75, 2.0, 2.25 s */
	cli_progress_free(p);
	fclose(f);
	/* The first frame: 5 M instructions in its 0.25 s. */
	g_assert_true(g_str_has_prefix(buf, "\r\033[Krun: 0 s, 5.00 M instructions, 20.0 MIPS\r"));
	free(buf);
}

/* The console stream erases a drawn line before the guest's bytes, passes
 * them through, and the next frame shows the guest's last line. */
static void test_console_stream(void)
{
	char *buf = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	FILE *f = open_memstream(&buf, &len), *inner = open_memstream(&out, &olen);
	struct cli_progress *p = cli_progress_new("run", f, 80, cli_progress_read, &fake, 0);
	FILE *con = cli_progress_stream(p, inner, true);

	fake.insns = NONE;
	g_assert_true(cli_progress_tick(p, 300000));
	fputs("PASS one\nPASS tw", con);
	g_assert_true(cli_progress_tick(p, 600000));
	fputs("o\n", con);
	g_assert_true(cli_progress_tick(p, 900000));
	fclose(con);
	cli_progress_free(p);
	fclose(f);
	fclose(inner);
	g_assert_cmpstr(out, ==, "PASS one\nPASS two\n");
	g_assert_cmpstr(buf, ==, "\r\033[Krun: 0 s"
				 "\r\033[K" /* erased by the first write */
				 "\r\033[Krun: 1 s | PASS tw"
				 "\r\033[K"
				 "\r\033[Krun: 1 s | PASS two");
	free(buf);
	free(out);
}

/* `tdpsim run` of a long benchmark with stderr on a pty: a frame with the
 * instruction count, MIPS and the guest's last line shows up. */
static void test_run_on_terminal(void)
{
	gchar *k = g_build_filename(GUEST_DIR, "pagetest", NULL);
	const char *argv[] = { TDPSIM_BIN, "run", "--kernel", k, "--append",
			       "mode=4level bench=1000000", NULL };
	int m = posix_openpt(O_RDWR | O_NOCTTY), s, devnull = open("/dev/null", O_RDWR);
	GString *seen = g_string_new(NULL);
	GError *err = NULL;
	GPid pid;
	gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
	bool found = false;

	g_assert_cmpint(m, >=, 0);
	g_assert_cmpint(grantpt(m), ==, 0);
	g_assert_cmpint(unlockpt(m), ==, 0);
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	g_assert_cmpint(s, >=, 0);
	g_assert_true(g_spawn_async_with_fds(NULL, (gchar **)argv, NULL,
					     G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, devnull,
					     devnull, s, &err));
	close(s);
	while (!found && g_get_monotonic_time() < end) {
		struct pollfd pf = { .fd = m, .events = POLLIN };
		char b[4096];
		ssize_t n;

		if (poll(&pf, 1, 1000) <= 0)
			continue;
		n = read(m, b, sizeof(b));
		if (n <= 0)
			break;
		g_string_append_len(seen, b, n);
		/* A whole frame: its start, then the next one's. */
		for (char *f = strstr(seen->str, "\r\033[Krun: "); f && !found;
		     f = strstr(f + 1, "\r\033[Krun: ")) {
			char *next = strstr(f + 1, "\r");

			found = next && g_strstr_len(f, next - f, " M instructions, ") &&
				g_strstr_len(f, next - f, " MIPS | PASS ");
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	g_spawn_close_pid(pid);
	close(m);
	close(devnull);
	if (!found)
		g_test_message("stderr seen: %s", seen->str);
	g_assert_true(found);
	g_string_free(seen, TRUE);
	g_free(k);
}

/* Not a terminal: no line, no control characters, whatever the length. */
static void test_run_on_pipe(void)
{
	struct spawn_result r = spawn_tdpsim("run", NULL);

	g_assert_cmpint(r.status, ==, 1);
	g_assert_null(strchr(r.err, '\r'));
	g_assert_null(strchr(r.err, '\033'));
	spawn_free(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/progress/format", test_format);
	g_test_add_func("/progress/rate-limit", test_rate_limit);
	g_test_add_func("/progress/console-stream", test_console_stream);
	g_test_add_func("/progress/run-on-terminal", test_run_on_terminal);
	g_test_add_func("/progress/run-on-pipe", test_run_on_pipe);
	return g_test_run();
}
