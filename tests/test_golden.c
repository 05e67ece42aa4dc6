/*
 * Golden output and `tdpsim diff` (docs/golden.md, docs/cli-diff.md), on
 * synthetic streams whose outcome follows from first principles:
 *
 *  - a golden has one walk line per walk the statistics count, and
 *    --golden-every N keeps the walks whose number is a multiple of N;
 *  - two runs of the same input write byte-identical goldens and diff 0;
 *  - turning the PDE cache off (pwc.pd.entries=0) changes nothing before
 *    the first walk that hit it (a PSC changes no TLB or table-line state
 *    until it hits), so the first divergence is exactly the first walk of
 *    the default run whose guest L2 reference was skipped;
 *  - bad files are one line and exit 2.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "spawn.h"
#include "trace/golden.h"

static gchar *tmpdir;

static gchar *synth_golden(const char *name, const char *extra, const char *every)
{
	gchar *path = g_build_filename(tmpdir, name, NULL);
	struct spawn_result r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "100000",
					     "--accesses", "6000", "--golden", path,
					     "--golden-every", every, extra ? "--set" : NULL, extra,
					     NULL);

	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.err, ==, "");
	spawn_free(&r);
	return path;
}

static struct trc_gfile load(const char *path)
{
	struct trc_gfile g;
	char why[256] = "";

	if (trc_golden_load(path, &g, why, sizeof(why)))
		g_error("%s: %s", path, why);
	return g;
}

static uint64_t stat_of(const struct trc_gfile *g, const char *key)
{
	for (guint i = 0; i < g->st->len; i++)
		if (strcmp(g_array_index(g->st, struct trc_gstat, i).key, key) == 0)
			return g_array_index(g->st, struct trc_gstat, i).val;
	g_error("no stat %s", key);
	return 0;
}

static void test_walk_lines(void)
{
	gchar *p = synth_golden("all.gold", NULL, "1"), *q = synth_golden("every.gold", NULL, "7");
	struct trc_gfile a = load(p), b = load(q);
	uint64_t walks = stat_of(&a, "walks");

	g_assert_cmpuint(walks, >, 1000);
	g_assert_cmpuint(a.ev->len, ==, walks); /* synth has no other events */
	g_assert_cmpuint(b.ev->len, ==, (walks + 6) / 7);
	for (guint i = 0; i < b.ev->len; i++) {
		const struct trc_gline *e = &g_array_index(b.ev, struct trc_gline, i);

		g_assert_cmpuint(e->index, ==, 7 * i);
		/* The sampled line is the same walk, word for word. */
		g_assert_cmpstr(e->body, ==, g_array_index(a.ev, struct trc_gline, 7 * i).body);
	}
	g_assert_cmpuint(stat_of(&b, "walks"), ==, walks);
	trc_golden_free(&a);
	trc_golden_free(&b);
	g_free(p);
	g_free(q);
}

static void test_identical(void)
{
	gchar *p = synth_golden("one.gold", NULL, "1"), *q = synth_golden("two.gold", NULL, "1");
	gchar *a = NULL, *b = NULL;
	struct spawn_result r;

	g_assert_true(g_file_get_contents(p, &a, NULL, NULL));
	g_assert_true(g_file_get_contents(q, &b, NULL, NULL));
	g_assert_cmpstr(a, ==, b);
	r = spawn_tdpsim("diff", p, q, NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.out, ==, "");
	g_assert_cmpstr(r.err, ==, "");
	spawn_free(&r);
	g_free(a);
	g_free(b);
	g_free(p);
	g_free(q);
}

static void test_perturbed(void)
{
	gchar *p = synth_golden("base.gold", NULL, "1");
	gchar *q = synth_golden("nopde.gold", "pwc.pd.entries=0", "1");
	struct trc_gfile a = load(p);
	const struct trc_gline *first = NULL;
	struct spawn_result r;
	gchar *want;

	for (guint i = 0; i < a.ev->len && !first; i++) {
		const struct trc_gline *e = &g_array_index(a.ev, struct trc_gline, i);
		const char *g2 = strstr(e->body, ",g2@");

		if (g2 && strncmp(strchr(g2, ':'), ":skip", 5) == 0)
			first = e;
	}
	g_assert_nonnull(first);
	g_assert_cmpuint(first->index, >, 0);
	r = spawn_tdpsim("diff", p, q, NULL);
	g_assert_cmpint(r.status, ==, 1);
	want = g_strdup_printf("First divergence: walk #%" G_GUINT64_FORMAT " of A, after %"
			       G_GUINT64_FORMAT " instructions", first->index, first->insns);
	g_assert_nonnull(strstr(r.out, want));
	/* Side by side: guest L2 skipped in A, made in B. */
	g_assert_nonnull(strstr(r.out, "* guest L2"));
	g_assert_nonnull(strstr(r.out, "pwc.pde.hits"));
	g_assert_nonnull(strstr(r.out, "B: pwc.pd.entries=0"));
	/* Nothing was added or removed: only the walks' costs moved. */
	g_assert_nonnull(strstr(r.out, " changed, 0 only in A, 0 only in B"));
	g_free(want);
	spawn_free(&r);
	/* The other way round names the same event, as B's. */
	r = spawn_tdpsim("diff", "--quiet", q, p, NULL);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_cmpstr(r.out, ==, "");
	spawn_free(&r);
	trc_golden_free(&a);
	g_free(p);
	g_free(q);
}

static guint count_prefix(const struct trc_gfile *g, const char *kind, const char *has)
{
	guint n = 0;

	for (guint i = 0; i < g->ev->len; i++) {
		const struct trc_gline *e = &g_array_index(g->ev, struct trc_gline, i);

		n += strcmp(e->kind, kind) == 0 && (!has || strstr(e->body, has));
	}
	return n;
}

/* A live run: the golden's lines agree with the CPU's own counters (run's
 * JSON), every walk and fault names its code, and a second run writes the
 * same bytes. The replay of its recording writes the same golden (`tdpsim
 * diff` exits 0): one data path. */
static void test_run(void)
{
	gchar *p = g_build_filename(tmpdir, "run.golden", NULL);
	gchar *q = g_build_filename(tmpdir, "run2.golden", NULL), *a = NULL, *b = NULL;
	gchar *t = g_build_filename(tmpdir, "run.tdt", NULL);
	gchar *rp = g_build_filename(tmpdir, "replay.golden", NULL);
	struct spawn_result r = spawn_tdpsim("run", "--append", "mode=pae", "--json", "--golden",
					     p, "--record", t, NULL);
	struct spawn_result r2 = spawn_tdpsim("run", "--append", "mode=pae", "--golden", q, NULL);
	JsonParser *jp = json_parser_new();
	JsonObject *o, *run, *st, *exc;
	struct trc_gfile g;
	gint64 nexc = 0;

	g_assert_cmpint(r.status, ==, 1); /* pagetest: every check passed */
	g_assert_cmpint(r2.status, ==, 1);
	g_assert_true(json_parser_load_from_data(jp, r.out, -1, NULL));
	o = json_node_get_object(json_parser_get_root(jp));
	run = json_object_get_object_member(o, "run");
	st = json_object_get_object_member(o, "stats");
	exc = json_object_get_object_member(run, "exceptions");
	GList *members = json_object_get_members(exc);

	for (GList *k = members; k; k = k->next)
		nexc += json_object_get_int_member(exc, k->data);
	g_list_free(members);
	g = load(p);
	g_assert_cmpuint(count_prefix(&g, "walk", NULL), ==,
			 json_object_get_int_member(st, "walks"));
	g_assert_cmpuint(count_prefix(&g, "walk", " code="), ==, count_prefix(&g, "walk", NULL));
	g_assert_cmpuint(count_prefix(&g, "fault", " exception"), ==, nexc);
	g_assert_cmpuint(count_prefix(&g, "fault", " interrupt"), ==,
			 json_object_get_int_member(run, "interrupts"));
	g_assert_cmpuint(count_prefix(&g, "fault", " software"), ==,
			 json_object_get_int_member(run, "software_interrupts"));
	g_assert_cmpuint(count_prefix(&g, "event", NULL), ==,
			 json_object_get_int_member(run, "paging_events"));
	g_assert_cmpuint(count_prefix(&g, "walk", NULL), >, 10);
	g_assert_cmpuint(stat_of(&g, "walks"), ==, json_object_get_int_member(st, "walks"));
	g_assert_true(g_file_get_contents(p, &a, NULL, NULL));
	g_assert_true(g_file_get_contents(q, &b, NULL, NULL));
	g_assert_cmpstr(a, ==, b);
	spawn_free(&r2);
	r2 = spawn_tdpsim("replay", t, "--golden", rp, NULL);
	g_assert_cmpint(r2.status, ==, 0);
	spawn_free(&r2);
	r2 = spawn_tdpsim("diff", p, rp, NULL);
	if (r2.status != 0)
		g_error("the replay's golden differs from the live run's:\n%s%s", r2.out, r2.err);
	g_unlink(t);
	g_free(t);
	g_free(rp);
	trc_golden_free(&g);
	g_object_unref(jp);
	spawn_free(&r);
	spawn_free(&r2);
	g_free(a);
	g_free(b);
	g_free(p);
	g_free(q);
}

static void expect_error(const char *a, const char *b, const char *msg)
{
	struct spawn_result r = spawn_tdpsim("diff", a, b, NULL);

	g_assert_cmpint(r.status, ==, 2);
	g_assert_cmpstr(r.out, ==, "");
	g_assert_nonnull(strstr(r.err, msg));
	/* One line. */
	g_assert_nonnull(strchr(r.err, '\n'));
	g_assert_cmpstr(strchr(r.err, '\n') + 1, ==, "");
	spawn_free(&r);
}

static gchar *write_tmp(const char *name, const char *text)
{
	gchar *p = g_build_filename(tmpdir, name, NULL);

	g_assert_true(g_file_set_contents(p, text, -1, NULL));
	return p;
}

static void test_bad_files(void)
{
	gchar *good = synth_golden("good.gold", NULL, "1"), *text = NULL, *cut;
	gsize len;
	gchar *p;

	expect_error(good, "/nonexistent/x.gold", "No such file");
	p = write_tmp("magic.gold", "tdpsim-golden 9\nend 0 events 0 walks\n");
	expect_error(good, p, "not a golden file");
	g_free(p);
	g_assert_true(g_file_get_contents(good, &text, &len, NULL));
	/* Cut in the middle: no "end" line. */
	cut = g_strndup(text, len / 2);
	p = write_tmp("cut.gold", cut);
	expect_error(p, good, "truncated");
	g_free(p);
	p = write_tmp("junk.gold", "tdpsim-golden 1\nwalk x i=1 rip=-\nend 1 events 1 walks\n");
	expect_error(good, p, "line 2: not an event line");
	g_free(p);
	p = write_tmp("nul.gold", "tdpsim-golden 1\n");
	expect_error(p, good, "truncated");
	g_free(p);
	g_free(cut);
	g_free(text);
	g_free(good);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("tdpsim-golden-XXXXXX", NULL);
	g_test_add_func("/golden/walk-lines", test_walk_lines);
	g_test_add_func("/golden/identical", test_identical);
	g_test_add_func("/golden/perturbed", test_perturbed);
	g_test_add_func("/golden/bad-files", test_bad_files);
	g_test_add_func("/golden/run", test_run);
	rc = g_test_run();
	spawn_rmtree(tmpdir);
	g_free(tmpdir);
	return rc;
}
