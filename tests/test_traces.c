/*
 * The committed traces (traces/MANIFEST): each replayed under the options
 * its golden was written with gives exactly the committed golden (`tdpsim
 * diff` exits 0 on identical inputs). A live run of pagetest under the
 * manifest's run options gives that golden too: this is the CI user's
 * golden-trace diff, so a change that alters any translation, event or its
 * instruction stamp in a live run fails here, naming the first divergence,
 * until traces/ is re-recorded (scripts/regen-goldens.sh --record) and the
 * change reviewed. And a perturbation: turning the PDE
 * cache off (pwc.pd.entries=0) changes nothing before the first walk that
 * hit it (a paging-structure cache changes no TLB, cache or guest state
 * until it hits), so `tdpsim diff` exits 1 and names exactly the first walk
 * of the committed golden whose guest L2 reference was skipped; the same
 * when diff is given the trace twice, B with the change in its options.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "spawn.h"
#include "trace/golden.h"

#define TRACES TDPSIM_SOURCE_DIR "/traces"

static gchar *tmpdir;

struct entry {
	gchar *name;
	gchar **run;    /* the run options, split as a shell would */
	gchar **replay; /* the replay options, split as a shell would */
};

static void entry_free(gpointer p)
{
	struct entry *e = p;

	g_free(e->name);
	g_strfreev(e->run);
	g_strfreev(e->replay);
	g_free(e);
}

/* A manifest field split as a shell would (an empty field: no options). */
static gchar **options(gchar *field)
{
	gchar **argv = NULL;

	if (!g_strstrip(field)[0])
		return g_new0(gchar *, 1);
	g_assert_true(g_shell_parse_argv(field, NULL, &argv, NULL));
	return argv;
}

static GPtrArray *manifest(void)
{
	gchar *text = NULL;
	gchar **lines;
	GPtrArray *out = g_ptr_array_new_with_free_func(entry_free);

	g_assert_true(g_file_get_contents(TRACES "/MANIFEST", &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (gchar **l = lines; *l; l++) {
		gchar **f;
		struct entry *e;

		if (**l == '#' || !g_strstrip(*l)[0])
			continue;
		f = g_strsplit(*l, "|", 3);
		g_assert_nonnull(f[1]);
		g_assert_nonnull(f[2]);
		e = g_new0(struct entry, 1);
		e->name = g_strdup(g_strstrip(f[0]));
		e->run = options(f[1]);
		e->replay = options(f[2]);
		g_ptr_array_add(out, e);
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(text);
	return out;
}

/* `tdpsim replay TRACES/NAME.tdt OPTS... [EXTRA...] --golden OUT`: OUT. */
static gchar *replay(const struct entry *e, const char *extra_set, const char *tag)
{
	gchar *out = g_strdup_printf("%s/%s.%s.golden", tmpdir, e->name, tag);
	gchar *trace = g_strdup_printf("%s/%s.tdt", TRACES, e->name);
	GPtrArray *a = g_ptr_array_new();
	struct spawn_result r;

	g_ptr_array_add(a, TDPSIM_BIN);
	g_ptr_array_add(a, "replay");
	g_ptr_array_add(a, trace);
	for (gchar **o = e->replay; *o; o++)
		g_ptr_array_add(a, *o);
	if (extra_set) {
		g_ptr_array_add(a, "--set");
		g_ptr_array_add(a, (gpointer)extra_set);
	}
	g_ptr_array_add(a, "--golden");
	g_ptr_array_add(a, out);
	g_ptr_array_add(a, NULL);
	r = spawn_argv((const char *const *)a->pdata, 600);
	if (r.status != 0)
		g_error("replay %s: status %d: %s", e->name, r.status, r.err);
	spawn_free(&r);
	g_ptr_array_free(a, TRUE);
	g_free(trace);
	return out;
}

static void test_goldens(void)
{
	GPtrArray *m = manifest();

	g_assert_cmpuint(m->len, >=, 7);
	for (guint i = 0; i < m->len; i++) {
		const struct entry *e = g_ptr_array_index(m, i);
		gchar *want = g_strdup_printf("%s/%s.golden", TRACES, e->name);
		gchar *got = replay(e, NULL, "replay");
		struct spawn_result r = spawn_tdpsim("diff", want, got, NULL);

		if (r.status != 0)
			g_error("%s: the replay's golden differs from the committed one "
				"(scripts/regen-goldens.sh after an intended change):\n%s%s",
				e->name, r.out, r.err);
		spawn_free(&r);
		g_unlink(got);
		g_free(got);
		g_free(want);
	}
	g_ptr_array_free(m, TRUE);
}

/* `tdpsim run --kernel pagetest RUN-OPTS... --golden OUT` (pagetest exits
 * with status 1 when every check passed) against the committed golden. */
static void test_live(void)
{
	GPtrArray *m = manifest();

	for (guint i = 0; i < m->len; i++) {
		const struct entry *e = g_ptr_array_index(m, i);
		gchar *want = g_strdup_printf("%s/%s.golden", TRACES, e->name);
		gchar *got = g_strdup_printf("%s/%s.live.golden", tmpdir, e->name);
		GPtrArray *a = g_ptr_array_new();
		struct spawn_result r;

		g_ptr_array_add(a, TDPSIM_BIN);
		g_ptr_array_add(a, "run");
		g_ptr_array_add(a, "--kernel");
		g_ptr_array_add(a, PAGETEST_KERNEL);
		for (gchar **o = e->run; *o; o++)
			g_ptr_array_add(a, *o);
		g_ptr_array_add(a, "--golden");
		g_ptr_array_add(a, got);
		g_ptr_array_add(a, NULL);
		r = spawn_argv((const char *const *)a->pdata, 600);
		if (r.status != 1)
			g_error("run %s: status %d: %s", e->name, r.status, r.err);
		spawn_free(&r);
		r = spawn_tdpsim("diff", want, got, NULL);
		if (r.status != 0)
			g_error("%s: the live run's golden differs from the committed one "
				"(scripts/regen-goldens.sh --record after an intended change):\n%s%s",
				e->name, r.out, r.err);
		spawn_free(&r);
		g_unlink(got);
		g_free(got);
		g_free(want);
		g_ptr_array_free(a, TRUE);
	}
	g_ptr_array_free(m, TRUE);
}

static void test_perturbed(void)
{
	GPtrArray *m = manifest();
	const struct entry *e = NULL;
	gchar *want, *got, *expect;
	struct trc_gfile g;
	const struct trc_gline *first = NULL;
	char why[256];
	struct spawn_result r;

	for (guint i = 0; i < m->len; i++)
		if (strcmp(((struct entry *)g_ptr_array_index(m, i))->name, "pagetest-4level") == 0)
			e = g_ptr_array_index(m, i);
	g_assert_nonnull(e);
	want = g_strdup_printf("%s/%s.golden", TRACES, e->name);
	if (trc_golden_load(want, &g, why, sizeof(why)))
		g_error("%s", why);
	for (guint i = 0; i < g.ev->len && !first; i++) {
		const struct trc_gline *l = &g_array_index(g.ev, struct trc_gline, i);
		const char *g2 = strcmp(l->kind, "walk") == 0 ? strstr(l->body, ",g2@") : NULL;

		if (g2 && strncmp(strchr(g2, ':'), ":skip", 5) == 0)
			first = l;
	}
	g_assert_nonnull(first);
	got = replay(e, "pwc.pd.entries=0", "nopde");
	r = spawn_tdpsim("diff", want, got, NULL);
	g_assert_cmpint(r.status, ==, 1);
	expect = g_strdup_printf("First divergence: walk #%" G_GUINT64_FORMAT " of A, after %"
				 G_GUINT64_FORMAT " instructions, rip 0x%" G_GINT64_MODIFIER "x",
				 first->index, first->insns, first->rip);
	if (!strstr(r.out, expect))
		g_error("expected \"%s\" in:\n%s", expect, r.out);
	g_assert_nonnull(strstr(r.out, "* guest L2"));
	spawn_free(&r);
	/* Two traces (here the same one), each replayed with its options. */
	gchar *trace = g_strdup_printf("%s/%s.tdt", TRACES, e->name);

	r = spawn_tdpsim("diff", trace, trace, "--b-opts", "--set pwc.pd.entries=0", NULL);
	g_assert_cmpint(r.status, ==, 1);
	if (!strstr(r.out, expect))
		g_error("expected \"%s\" in:\n%s", expect, r.out);
	spawn_free(&r);
	r = spawn_tdpsim("diff", trace, want, NULL); /* a trace against its golden */
	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);
	g_free(trace);
	g_free(expect);
	trc_golden_free(&g);
	g_unlink(got);
	g_free(got);
	g_free(want);
	g_ptr_array_free(m, TRUE);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("tdpsim-traces-XXXXXX", NULL);
	g_test_add_func("/traces/goldens", test_goldens);
	g_test_add_func("/traces/live", test_live);
	g_test_add_func("/traces/perturbed", test_perturbed);
	rc = g_test_run();
	spawn_rmtree(tmpdir);
	return rc;
}
