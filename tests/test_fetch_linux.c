/*
 * scripts/fetch-linux.sh fails fast with one line: an archive that cannot
 * be reached (TDPSIM_DEBIAN_ARCHIVE at a closed local port, an empty
 * cache) ends in one "fetch-linux: error:" line that says what to do and
 * exit status 2, within seconds rather than a hang; bad options likewise.
 * (A pinned version that the archive no longer has needs the real archive:
 * docs/linux.md, "Fetching", says what the script then says.)
 */
#include <string.h>

#include <glib.h>

#include "spawn.h"

#define SCRIPT TDPSIM_SOURCE_DIR "/scripts/fetch-linux.sh"

/* @err's last line, which must be its only "fetch-linux: error: " line
 * (the ones before it are progress). */
static gchar *one_error(const char *err)
{
	gchar **lines = g_strsplit(err, "\n", -1);
	guint n = g_strv_length(lines), errors = 0;
	gchar *last;

	for (guint i = 0; i < n; i++)
		errors += g_str_has_prefix(lines[i], "fetch-linux: error: ");
	g_assert_cmpuint(errors, ==, 1);
	g_assert_cmpuint(n, >=, 2);
	g_assert_cmpstr(lines[n - 1], ==, ""); /* the error ends with its newline */
	last = g_strdup(lines[n - 2]);
	g_strfreev(lines);
	g_assert_true(g_str_has_prefix(last, "fetch-linux: error: "));
	return last;
}

static void test_unreachable(void)
{
	gchar *dir = g_dir_make_tmp("tdpsim-fetch-XXXXXX", NULL);
	const char *argv[] = { "bash", SCRIPT, "--arch", "amd64", NULL };
	struct spawn_result r;
	gchar *e;

	g_setenv("TDPSIM_CACHE", dir, TRUE);
	/* Port 9 (discard) on the loopback: nothing listens, so apt's
	 * connection is refused at once. */
	g_setenv("TDPSIM_DEBIAN_ARCHIVE", "http://127.0.0.1:9/debian", TRUE);
	r = spawn_argv(argv, 300);
	g_unsetenv("TDPSIM_DEBIAN_ARCHIVE");
	g_unsetenv("TDPSIM_CACHE");
	g_assert_cmpint(r.status, ==, 2);
	e = one_error(r.err);
	g_assert_nonnull(strstr(e, "cannot read the package lists from http://127.0.0.1:9/debian"));
	g_assert_nonnull(strstr(e, "check the network"));
	g_assert_cmpstr(r.out, ==, "");
	g_free(e);
	spawn_free(&r);
	const char *rm[] = { "rm", "-rf", dir, NULL }; /* the apt folders below it */
	r = spawn_argv(rm, 60);
	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);
	g_free(dir);
}

static void test_options(void)
{
	const char *bad[][4] = {
		{ "--arch", "arm64", NULL },
		{ "--arch", NULL },
		{ "--update", "--arch", "amd64", NULL },
		{ "--bogus", NULL },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		const char *argv[6] = { "bash", SCRIPT };

		for (unsigned k = 0; bad[i][k]; k++)
			argv[2 + k] = bad[i][k];
		struct spawn_result r = spawn_argv(argv, 60);

		g_assert_cmpint(r.status, ==, 2);
		g_assert_nonnull(g_str_has_prefix(r.err, "fetch-linux.sh: ") ? r.err : NULL);
		g_assert_null(strchr(r.err, '\n') ? strchr(strchr(r.err, '\n') + 1, '\n') : NULL);
		spawn_free(&r);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fetch-linux/unreachable", test_unreachable);
	g_test_add_func("/fetch-linux/options", test_options);
	return g_test_run();
}
