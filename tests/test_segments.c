/*
 * A live run's statistics split at the guest's markers (`run` with
 * --marker-prefix, trace/segments.h) against the replay of the same run's
 * trace: pagetest, whose "PASS NAME" lines are markers with
 * --marker-prefix "PASS ", is run once with --record and --json and once
 * with --stats full. Each live segment from marker A to marker B must be
 * what `replay TRACE --from A --to B` prints of the trace, byte for byte,
 * in JSON and in text (the first segment is `--to` alone, the last
 * `--from` alone); and since every integer statistic counts events, the
 * segments' integers must sum to the whole run's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "spawn.h"
#include "trace/marker.h"
#include "trace/segments.h"

struct fixture {
	gchar *dir, *trace;
	const char *host;
};

static JsonNode *parse(const char *text)
{
	JsonParser *p = json_parser_new();
	GError *e = NULL;
	JsonNode *n;

	if (!json_parser_load_from_data(p, text, -1, &e))
		g_error("bad JSON (%s): %s", e->message, text);
	n = json_node_copy(json_parser_get_root(p));
	g_object_unref(p);
	return n;
}

static gchar *to_text(JsonNode *n)
{
	JsonGenerator *g = json_generator_new();
	gchar *s;

	json_generator_set_root(g, n);
	json_generator_set_pretty(g, TRUE);
	s = json_generator_to_data(g, NULL);
	g_object_unref(g);
	return s;
}

/* `replay TRACE [--from A] [--to B] ARGS...` (A, B NULL: not given). */
static struct spawn_result replay(const struct fixture *f, const char *from, const char *to,
				  const char *fmt_opt, const char *fmt_val)
{
	const char *argv[16];
	unsigned n = 0;

	argv[n++] = TDPSIM_BIN;
	argv[n++] = "replay";
	argv[n++] = f->trace;
	if (from) {
		argv[n++] = "--from";
		argv[n++] = from;
	}
	if (to) {
		argv[n++] = "--to";
		argv[n++] = to;
	}
	argv[n++] = fmt_opt;
	if (fmt_val)
		argv[n++] = fmt_val;
	argv[n] = NULL;
	return spawn_argv(argv, 120);
}

static const char *name_of(JsonObject *seg, const char *key)
{
	return json_object_get_null_member(seg, key) ? NULL : json_object_get_string_member(seg, key);
}

static void test_json(gconstpointer data)
{
	const struct fixture *f = data;
	struct spawn_result r = spawn_tdpsim("run", "--kernel", PAGETEST_KERNEL, "--host", f->host,
					     "--marker-prefix", "PASS ", "--record", f->trace,
					     "--json", NULL);
	JsonNode *root;
	JsonObject *whole;
	JsonArray *segs;
	GHashTable *sum = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	g_assert_cmpint(r.status, ==, 1); /* pagetest: every check passed */
	root = parse(r.out);
	whole = json_object_get_object_member(json_node_get_object(root), "stats");
	segs = json_object_get_array_member(json_node_get_object(root), "segments");
	/* pagetest prints 20 PASS lines: 21 segments, start to end. */
	g_assert_cmpuint(json_array_get_length(segs), ==, 21);
	for (guint i = 0; i < json_array_get_length(segs); i++) {
		JsonObject *seg = json_array_get_object_element(segs, i);
		const char *a = name_of(seg, "from"), *b = name_of(seg, "to");
		struct spawn_result q = replay(f, a, b, "--json", NULL);
		JsonNode *qn, *live = json_object_get_member(seg, "stats");
		gchar *want, *got;

		g_assert_true((i == 0) == (a == NULL));
		g_assert_true((i == json_array_get_length(segs) - 1) == (b == NULL));
		if (q.status != 0)
			g_error("replay --from %s --to %s: %s", a, b, q.err);
		qn = parse(q.out);
		want = to_text(json_object_get_member(json_node_get_object(qn), "stats"));
		got = to_text(live);
		if (strcmp(want, got) != 0)
			g_test_message("segment %s .. %s differs from its replay", a, b);
		g_assert_cmpstr(got, ==, want);
		g_free(want);
		g_free(got);
		json_node_unref(qn);
		spawn_free(&q);

		JsonObject *st = json_node_get_object(live);
		GList *keys = json_object_get_members(st);

		for (GList *k = keys; k; k = k->next) {
			JsonNode *v = json_object_get_member(st, k->data);

			if (json_node_get_value_type(v) != G_TYPE_INT64)
				continue;
			gint64 *acc = g_hash_table_lookup(sum, k->data);

			if (!acc) {
				acc = g_new0(gint64, 1);
				g_hash_table_insert(sum, g_strdup(k->data), acc);
			}
			*acc += json_node_get_int(v);
		}
		g_list_free(keys);
	}
	/* Every integer of the whole run is the sum of its segments'. */
	GList *keys = json_object_get_members(whole);
	unsigned n_int = 0;

	for (GList *k = keys; k; k = k->next) {
		JsonNode *v = json_object_get_member(whole, k->data);
		gint64 *acc = g_hash_table_lookup(sum, k->data);

		if (json_node_get_value_type(v) != G_TYPE_INT64)
			continue;
		n_int++;
		g_assert_nonnull(acc);
		if (*acc != json_node_get_int(v))
			g_test_message("%s: segments sum to %" G_GINT64_FORMAT ", the run has %"
				       G_GINT64_FORMAT, (char *)k->data, *acc, json_node_get_int(v));
		g_assert_cmpint(*acc, ==, json_node_get_int(v));
	}
	g_list_free(keys);
	g_assert_cmpuint(n_int, >, 50);
	g_hash_table_destroy(sum);
	json_node_unref(root);
	spawn_free(&r);
}

/* The text form: each "run: segment" block of `run --stats full` is what
 * `replay --stats full` prints for its window. Runs after test_json (the
 * trace). */
static void test_text(gconstpointer data)
{
	const struct fixture *f = data;
	struct spawn_result r = spawn_tdpsim("run", "--kernel", PAGETEST_KERNEL, "--host", f->host,
					     "--marker-prefix", "PASS ", "--stats", "full", NULL);
	gchar **blocks;
	unsigned n = 0;

	g_assert_cmpint(r.status, ==, 1);
	g_assert_true(g_file_test(f->trace, G_FILE_TEST_EXISTS));
	blocks = g_strsplit(r.err, "\nrun: segment ", -1);
	for (unsigned i = 1; blocks[i]; i++, n++) {
		/* "K of N, from marker \"A\" to marker \"B\"\n<stats>" */
		char *nl = strchr(blocks[i], '\n');
		gchar *head = g_strndup(blocks[i], (gsize)(nl - blocks[i]));
		gchar **q = g_strsplit(head, "\"", -1);
		const char *a = NULL, *b = NULL;

		g_assert_nonnull(nl);
		if (strstr(head, "from the start"))
			b = q[1];
		else
			a = q[1], b = strstr(head, "to the end") ? NULL : q[3];
		if (!blocks[i + 1])
			g_assert_nonnull(strstr(head, "to the end"));
		struct spawn_result p = replay(f, a, b, "--stats", "full");

		g_assert_cmpint(p.status, ==, 0);
		g_assert_cmpstr(nl + 1, ==, p.out);
		spawn_free(&p);
		g_strfreev(q);
		g_free(head);
	}
	g_assert_cmpuint(n, ==, 21);
	g_strfreev(blocks);
	spawn_free(&r);
}

static void on_marker(void *opaque, const struct trc_event *ev)
{
	if (ev->kind == TRC_EV_MARKER)
		g_ptr_array_add(opaque, g_strdup(ev->marker.text));
}

/* The console filter: a line's text after the prefix, without the CR of
 * a serial console's CR LF; lines without the prefix, and a last line
 * with no LF, are no markers; every byte reaches the console. */
static void test_console(void)
{
	struct trc_sink sink;
	GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
	struct trc_consumer k = { .event = on_marker, .opaque = got };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len), *con;
	const char *in = "boot\r\nM: start\r\nM: a\rb\nxM: no\nM: \nM: last";

	trc_sink_init(&sink);
	g_assert_cmpint(trc_sink_add(&sink, &k), ==, 0);
	con = trc_marker_console(out, "M: ", &sink);
	g_assert_nonnull(con);
	for (const char *p = in; *p; p++)
		fputc(*p, con); /* as the UART writes: a byte at a time */
	g_assert_cmpint(fclose(con), ==, 0);
	fclose(out);
	g_assert_cmpstr(buf, ==, in);
	g_assert_cmpuint(got->len, ==, 3);
	g_assert_cmpstr(got->pdata[0], ==, "start");
	g_assert_cmpstr(got->pdata[1], ==, "a\rb");
	g_assert_cmpstr(got->pdata[2], ==, "");
	g_ptr_array_free(got, TRUE);
	free(buf);
}

int main(int argc, char **argv)
{
	struct fixture f[2] = { { .host = "none" }, { .host = "ept4" } };
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/segments/console", test_console);
	for (unsigned i = 0; i < G_N_ELEMENTS(f); i++) {
		gchar *p;

		f[i].dir = g_dir_make_tmp("tdpsim-segments-XXXXXX", NULL);
		f[i].trace = g_build_filename(f[i].dir, "pagetest.trc", NULL);
		p = g_strdup_printf("/segments/%s/json", f[i].host);
		g_test_add_data_func(p, &f[i], test_json);
		g_free(p);
		p = g_strdup_printf("/segments/%s/text", f[i].host);
		g_test_add_data_func(p, &f[i], test_text);
		g_free(p);
	}
	rc = g_test_run();
	for (unsigned i = 0; i < G_N_ELEMENTS(f); i++) {
		spawn_rmtree(f[i].dir);
		g_free(f[i].dir);
		g_free(f[i].trace);
	}
	return rc;
}
