/*
 * Child processes for the end-to-end tests (see spawn.h).
 */
#include "spawn.h"

#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>

struct spawn_result spawn_argv(const char *const *argv, unsigned secs)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	gchar *to = secs ? g_find_program_in_path("timeout") : NULL;
	struct spawn_result r = {.status = -1};
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

struct spawn_result spawn_tdpsim_v(const char *cmd, const char *first, va_list ap)
{
	GPtrArray *argv = g_ptr_array_new();
	struct spawn_result r;

	g_ptr_array_add(argv, (gpointer)TDPSIM_BIN);
	if (cmd)
		g_ptr_array_add(argv, (gpointer)cmd);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		g_ptr_array_add(argv, (gpointer)a);
	g_ptr_array_add(argv, NULL);
	r = spawn_argv((const char *const *)argv->pdata, 0);
	g_ptr_array_free(argv, TRUE);
	return r;
}

struct spawn_result spawn_tdpsim(const char *cmd, const char *first, ...)
{
	struct spawn_result r;
	va_list ap;

	va_start(ap, first);
	r = spawn_tdpsim_v(cmd, first, ap);
	va_end(ap);
	return r;
}

JsonObject *spawn_json_object(const struct spawn_result *r, const char *what)
{
	JsonParser *p = json_parser_new();
	GError *err = NULL;
	JsonObject *o;

	if (r->status != 0)
		g_error("%s exited %d: %s", what, r->status, r->err);
	g_assert_cmpstr(r->err, ==, "");
	if (!json_parser_load_from_data(p, r->out, -1, &err))
		g_error("bad JSON (%s): %s", err->message, r->out);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)));
	o = json_object_ref(json_node_get_object(json_parser_get_root(p)));
	g_object_unref(p);
	return o;
}

void spawn_expect_one_line(const struct spawn_result *r, const char *needle)
{
	g_test_message("%s", r->err);
	g_assert_cmpint(r->status, ==, 2);
	g_assert_nonnull(r->err);
	g_assert_true(g_str_has_suffix(r->err, "\n"));
	g_assert_true(strchr(r->err, '\n') == r->err + strlen(r->err) - 1);
	g_assert_nonnull(strstr(r->err, needle));
}

void spawn_free(struct spawn_result *r)
{
	g_free(r->out);
	g_free(r->err);
	r->out = r->err = NULL;
}

gint64 spawn_json_int(JsonObject *o, const char *key)
{
	if (!json_object_has_member(o, key))
		g_error("JSON lacks %s", key);
	return json_object_get_int_member(o, key);
}

double spawn_json_double(JsonObject *o, const char *key)
{
	if (!json_object_has_member(o, key))
		g_error("JSON lacks %s", key);
	return json_object_get_double_member(o, key);
}

void spawn_rmtree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);

	for (const char *n; d && (n = g_dir_read_name(d));) {
		gchar *f = g_build_filename(dir, n, NULL);

		g_unlink(f);
		g_free(f);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}
