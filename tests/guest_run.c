/*
 * Helpers for the guest-kernel tests (see guest_run.h).
 */
#include "guest_run.h"

#include <string.h>
#include <sys/wait.h>

struct grun grun_argv(const char *const *argv, unsigned secs)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	gchar *to = g_find_program_in_path("timeout");
	struct grun r = {.status = -1};
	GError *err = NULL;
	int ws = 0;

	if (to) {
		g_ptr_array_add(a, to);
		g_ptr_array_add(a, g_strdup("-s"));
		g_ptr_array_add(a, g_strdup("KILL"));
		g_ptr_array_add(a, g_strdup_printf("%u", secs));
	}
	for (unsigned i = 0; argv[i]; i++)
		g_ptr_array_add(a, g_strdup(argv[i]));
	g_ptr_array_add(a, NULL);
	if (!g_spawn_sync(NULL, (gchar **)a->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &r.out,
			  &r.err, &ws, &err))
		g_error("spawn %s: %s", argv[0], err->message);
	if (WIFEXITED(ws))
		r.status = WEXITSTATUS(ws);
	/* timeout(1) exits 124 (or 137 after KILL) when the limit hit. */
	if (to && (r.status == 124 || r.status == 137))
		r.status = -1;
	g_ptr_array_free(a, TRUE);
	return r;
}

void grun_free(struct grun *r)
{
	g_free(r->out);
	g_free(r->err);
	r->out = r->err = NULL;
}

gchar *grun_expected(const char *mode)
{
	gchar *path =
	    g_strdup_printf("%s/guests/pagetest/expected/%s.txt", TDPSIM_SOURCE_DIR, mode);
	gchar *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		text = NULL;
	g_free(path);
	return text;
}

gchar *grun_fail_lines(const char *text)
{
	GString *s = g_string_new("");
	gchar **lines = g_strsplit(text ? text : "", "\n", -1);

	for (unsigned i = 0; lines[i]; i++)
		if (g_str_has_prefix(lines[i], "FAIL"))
			g_string_append_printf(s, "%s\n", lines[i]);
	g_strfreev(lines);
	return g_string_free(s, FALSE);
}
