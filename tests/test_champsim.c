/*
 * `tdpsim replay --format champsim` (docs/champsim.md) on traces that
 * scripts/champsim-trace.py writes to the documented record layout, with
 * every count checked from first principles (the script's docstring):
 *
 *   accesses = fetches + reads + writes; fetches = instructions = records;
 *   reads = records (one source operand each); writes = ceil(records / K);
 *   walks = distinct 4 KiB pages touched, when they all fit in the TLBs
 *   (every miss is compulsory); each 2D walk of an n-level guest over an
 *   m-level host makes or skips (n+1)(m+1)-1 references (24 for 4-on-4,
 *   35 for 5-on-5).
 *
 * The reader's damage cases (truncated xz, corrupt xz, not xz, a record cut
 * short) are one line with a byte offset and exit 2.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "spawn.h"

static gchar *tmpdir;

/* scripts/champsim-trace.py OUT ARGS... */
static gchar *make_trace(const char *name, const char *const *args)
{
	gchar *path = g_build_filename(tmpdir, name, NULL);
	GPtrArray *a = g_ptr_array_new();
	struct spawn_result r;

	g_ptr_array_add(a, "python3");
	g_ptr_array_add(a, TDPSIM_SOURCE_DIR "/scripts/champsim-trace.py");
	g_ptr_array_add(a, path);
	for (; args && *args; args++)
		g_ptr_array_add(a, (gpointer)*args);
	g_ptr_array_add(a, NULL);
	r = spawn_argv((const char *const *)a->pdata, 60);
	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);
	g_ptr_array_free(a, TRUE);
	return path;
}

static JsonObject *replay_json(const char *path, const char *guest, const char *host)
{
	struct spawn_result r = spawn_tdpsim("replay", "--format", "champsim", path, "--json",
					     "--guest", guest, host ? "--host" : NULL, host, NULL);
	JsonObject *o = spawn_json_object(&r, "replay --format champsim");

	spawn_free(&r);
	return o;
}

static gint64 num(JsonObject *o, const char *k)
{
	return json_object_get_int_member(o, k);
}

/* 3000 records: 2 code pages (16 B per record: 48000 B > 2 pages), 16 data
 * pages (64 B per record: all 16), 4 write pages (750 writes x 64 B: all 4). */
static const char *const base_args[] = { "--records", "3000", "--code-pages", "2",
					 "--data-pages", "16", "--write-pages", "4",
					 "--write-every", "4", NULL };

static void check_counts(JsonObject *o, gint64 walks)
{
	g_assert_cmpint(num(o, "champsim.records"), ==, 3000);
	g_assert_cmpint(num(o, "instructions"), ==, 3000);
	g_assert_cmpint(num(o, "fetches"), ==, 3000);
	g_assert_cmpint(num(o, "reads"), ==, 3000);
	g_assert_cmpint(num(o, "writes"), ==, 750);
	g_assert_cmpint(num(o, "accesses"), ==, 6750);
	g_assert_cmpint(num(o, "champsim.pages"), ==, 22);
	g_assert_cmpint(num(o, "walks"), ==, walks);
	g_assert_cmpint(num(o, "walk_faults"), ==, 0);
}

static void test_modes(void)
{
	static const char *const guests[] = { "2level", "2level-pse", "pae", "4level", "5level" };
	static const char *const hosts[] = { NULL, "npt4", "ept4", "ept5" };
	gchar *t = make_trace("modes.xz", base_args);

	for (unsigned g = 0; g < G_N_ELEMENTS(guests); g++)
		for (unsigned h = 0; h < G_N_ELEMENTS(hosts); h++) {
			JsonObject *o = replay_json(t, guests[g], hosts[h]);

			check_counts(o, 22);
			g_assert_cmpstr(json_object_get_string_member(o, "champsim.host"), ==,
					hosts[h] ? hosts[h] : "none");
			json_object_unref(o);
		}
	/* No paging, no host: nothing to walk. Under a host: one walk per
	 * guest-physical page. */
	JsonObject *o = replay_json(t, "nopaging", NULL);

	check_counts(o, 0);
	json_object_unref(o);
	o = replay_json(t, "nopaging", "ept4");
	check_counts(o, 22);
	json_object_unref(o);
	g_free(t);
}

/* Every 2D walk in the golden touches (n+1)(m+1)-1 references. */
static void check_2d(const char *trace, const char *guest, const char *host, unsigned want)
{
	gchar *gold = g_build_filename(tmpdir, "2d.golden", NULL), *text = NULL;
	struct spawn_result r = spawn_tdpsim("replay", "--format", "champsim", trace, "--guest",
					     guest, "--host", host, "--golden", gold, NULL);
	gchar **lines;
	unsigned walks = 0;

	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);
	g_assert_true(g_file_get_contents(gold, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (gchar **l = lines; *l; l++) {
		unsigned refs, skipped;
		const char *p;

		if (!g_str_has_prefix(*l, "walk "))
			continue;
		walks++;
		/* Each walk names its RIP: the record's IP. */
		g_assert_nonnull(strstr(*l, " rip=0x40"));
		p = strstr(*l, " refs=");
		g_assert_nonnull(p);
		g_assert_cmpint(sscanf(p, " refs=%u skipped=%u", &refs, &skipped), ==, 2);
		g_assert_cmpuint(refs + skipped, ==, want);
	}
	g_assert_cmpuint(walks, ==, 22);
	g_strfreev(lines);
	g_free(text);
	g_unlink(gold);
	g_free(gold);
}

static void test_2d_refs(void)
{
	gchar *t = make_trace("2d.xz", base_args);

	check_2d(t, "4level", "ept4", 24);
	check_2d(t, "5level", "ept5", 35);
	check_2d(t, "4level", "npt4", 24);
	g_free(t);
}

/* Addresses above 4 GiB fold into a 32-bit guest's linear space: the page
 * count stays; in 4-level paging they are mapped where they are. */
static void test_high_addresses(void)
{
	static const char *const args[] = { "--records", "3000", "--code-pages", "2",
					    "--data-pages", "16", "--write-pages", "4",
					    "--code-base", "0x7ffd00400000", "--data-base",
					    "0x7ffe10000000", NULL };
	gchar *t = make_trace("high.xz", args);
	JsonObject *o = replay_json(t, "4level", NULL);

	check_counts(o, 22);
	json_object_unref(o);
	o = replay_json(t, "2level", NULL);
	check_counts(o, 22);
	json_object_unref(o);
	g_free(t);
}

static void expect_damage(const char *path, const char *msg)
{
	struct spawn_result r = spawn_tdpsim("replay", "--format", "champsim", path, NULL);

	g_assert_cmpint(r.status, ==, 2);
	g_assert_cmpstr(r.out, ==, "");
	g_assert_nonnull(strstr(r.err, msg));
	g_assert_nonnull(strstr(r.err, "byte "));
	g_assert_cmpstr(strchr(r.err, '\n') + 1, ==, "");
	spawn_free(&r);
}

static gchar *damaged(const char *name, const gchar *data, gsize len)
{
	gchar *p = g_build_filename(tmpdir, name, NULL);

	g_assert_true(g_file_set_contents(p, data, (gssize)len, NULL));
	return p;
}

static void test_damage(void)
{
	gchar *t = make_trace("good.xz", base_args), *data = NULL, *p;
	gsize len;

	g_assert_true(g_file_get_contents(t, &data, &len, NULL));
	g_assert_cmpuint(len, >, 200);
	p = damaged("cut.xz", data, len / 2);
	expect_damage(p, "truncated xz stream");
	g_free(p);
	data[len / 2] ^= 0x55;
	p = damaged("corrupt.xz", data, len);
	expect_damage(p, "corrupt xz data");
	g_free(p);
	static const char sevenz[] = "\x37\x7a\xbc\xaf\x27\x1c not xz at all, a 7z header";

	p = damaged("notxz.xz", sevenz, sizeof(sevenz) - 1);
	expect_damage(p, "not an xz file");
	g_free(p);
	g_free(data);
	g_free(t);
	/* 100 bytes of records: one whole record and 36 bytes of the next. */
	gchar *raw = g_build_filename(tmpdir, "cut-record", NULL);
	gchar *xz = g_strconcat(raw, ".xz", NULL);
	const char *const argv[] = { "xz", "-f", raw, NULL };
	struct spawn_result r;

	g_assert_true(g_file_set_contents(raw, (const char[100]){ 1 }, 100, NULL));
	r = spawn_argv(argv, 60);
	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);
	expect_damage(xz, "truncated record at byte 64 of the decompressed trace (36 of 64");
	g_free(raw);
	g_free(xz);
}

/* `tdpsim diff` on two traces: each replayed with its options. */
static void test_diff_traces(void)
{
	gchar *t = make_trace("diff.xz", base_args);
	struct spawn_result r = spawn_tdpsim("diff", t, t, "--opts", "--format champsim --guest pae",
					     NULL);

	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.out, ==, "");
	spawn_free(&r);
	/* Under a host dimension the very first walk is a 2D walk: PAE (its
	 * PDPTEs in registers) reads 2 guest levels, and each of their tables
	 * and the final GPA are walked in ept4: 2 + 3 * 4 = 14 references,
	 * made or skipped; the host rows sit opposite "-". */
	r = spawn_tdpsim("diff", t, t, "--opts", "--format champsim --guest pae", "--b-opts",
			 "--host ept4", NULL);
	g_assert_cmpint(r.status, ==, 1);
	g_assert_nonnull(strstr(r.out, "First divergence: walk #0 of A, after 0 instructions, "
				       "rip 0x400000"));
	g_assert_nonnull(strstr(r.out, "B: ept4"));
	g_assert_nonnull(strstr(r.out, "host L4 (guest L2)"));
	g_assert_nonnull(strstr(r.out, "refs=9 skipped=5"));
	g_assert_nonnull(strstr(r.out, "Events: 22 differ (22 changed"));
	spawn_free(&r);
	r = spawn_tdpsim("diff", t, t, "--opts", "--format champsim --guest bogus", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "a: replaying"));
	g_assert_nonnull(strstr(r.err, "--guest bogus"));
	spawn_free(&r);
	g_free(t);
}

static void test_errors(void)
{
	struct spawn_result r = spawn_tdpsim("replay", "--format", "champsim", "/nonexistent.xz",
					     NULL);

	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "No such file"));
	spawn_free(&r);
	r = spawn_tdpsim("replay", "--format", "champsim", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "expected one ChampSim trace file"));
	spawn_free(&r);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("tdpsim-champsim-XXXXXX", NULL);
	g_test_add_func("/champsim/modes", test_modes);
	g_test_add_func("/champsim/2d-refs", test_2d_refs);
	g_test_add_func("/champsim/high-addresses", test_high_addresses);
	g_test_add_func("/champsim/damage", test_damage);
	g_test_add_func("/champsim/errors", test_errors);
	g_test_add_func("/champsim/diff-traces", test_diff_traces);
	rc = g_test_run();
	spawn_rmtree(tmpdir);
	g_free(tmpdir);
	return rc;
}
