/*
 * `tdpsim synth` end to end, against first principles: run the built
 * binary (TDPSIM_BIN), read its JSON, compare with counts worked out by
 * hand in the comments. Also: the output keys are the documented ones
 * (docs/stats.md), the three CPU models differ, runs are deterministic,
 * and bad input is one line and exit 2.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "spawn.h"
#include "timing/stats.h"

/* `tdpsim synth --json ARGS...`: must succeed; the parsed object. */
static JsonObject *synth_json(const char *first, ...)
{
	struct spawn_result r;
	JsonObject *o;
	va_list ap;

	va_start(ap, first);
	r = spawn_tdpsim_v("synth", first, ap);
	va_end(ap);
	o = spawn_json_object(&r, "tdpsim synth");
	spawn_free(&r);
	return o;
}

#define I spawn_json_int
#define D spawn_json_double

/* Sequential accesses in address order: the first access to a page misses
 * the L1 DTLB, the following ones to the same page hit (the entry was just
 * filled). N pages, k accesses each: N misses, N(k-1) hits. */
static void test_sequential(void)
{
	const char *cfgs[] = { "skylake-sp", "icelake-sp", "zen2" };

	for (unsigned i = 0; i < G_N_ELEMENTS(cfgs); i++) {
		JsonObject *o = synth_json("--pattern", "sequential", "--pages", "5000", "--accesses",
					   "50000", "--config", cfgs[i], "--json", NULL);

		g_assert_cmpint(I(o, "accesses"), ==, 50000);
		g_assert_cmpint(I(o, "tlb.l1d.misses"), ==, 5000);
		g_assert_cmpint(I(o, "tlb.l1d.misses.4k"), ==, 5000);
		g_assert_cmpint(I(o, "tlb.l1d.hits"), ==, 45000);
		/* 5000 pages > any STLB here and visited once: every L1 miss walks. */
		g_assert_cmpint(I(o, "walks"), ==, 5000);
		json_object_unref(o);
	}
	/* k = 1 (M = N), 2 MiB pages: still one miss per page. */
	JsonObject *o = synth_json("--pattern", "sequential", "--pages", "300", "--accesses", "300",
				   "--page-size", "2m", "--json", NULL);
	g_assert_cmpint(I(o, "tlb.l1d.misses"), ==, 300);
	g_assert_cmpint(I(o, "tlb.l1d.misses.2m"), ==, 300);
	json_object_unref(o);
}

/* Strided by two pages over N pages, M = N/2 accesses: every other page is
 * touched once: N/2 L1 misses, no hits. */
static void test_strided(void)
{
	JsonObject *o = synth_json("--pattern", "strided", "--stride", "8192", "--pages", "4000",
				   "--accesses", "2000", "--json", NULL);

	g_assert_cmpint(I(o, "tlb.l1d.misses"), ==, 2000);
	g_assert_cmpint(I(o, "tlb.l1d.hits"), ==, 0);
	json_object_unref(o);
}

/* A pointer chase visits the N pages in one random cycle. N = 1000 pages,
 * two laps (M = 2000): lap 1 walks every page once (1000 walks). The STLB
 * (skylake-sp: 1536 entries, 12-way, 128 sets) holds all 1000 consecutive
 * VPNs (~8 per set <= 12 ways), so lap 2 hits the STLB every time; the L1
 * (64 entries) has long evicted a page by the time the lap returns to it
 * 999 accesses later. So: 2000 L1 misses, 1000 STLB hits, 1000 walks. */
static void test_chase(void)
{
	JsonObject *o = synth_json("--pattern", "chase", "--pages", "1000", "--accesses", "2000",
				   "--config", "skylake-sp", "--json", NULL);

	g_assert_cmpint(I(o, "tlb.l1d.misses"), ==, 2000);
	g_assert_cmpint(I(o, "tlb.stlb.hits"), ==, 1000);
	g_assert_cmpint(I(o, "walks"), ==, 1000);
	json_object_unref(o);
}

/*
 * Uniform random over N pages, far more than the STLB's C entries. The
 * STLB sees only L1 misses. In steady state the STLB holds C of the N pages
 * and the L1 holds L pages that (just filled from a walk or an STLB hit)
 * are also in the STLB. An access that misses the L1 is to one of the N - L
 * other pages, uniformly, and the STLB holds C - L of those:
 *
 *   STLB hit rate = (C - L) / (N - L)
 *
 * skylake-sp: C = 1536, L = 64, N = 100000 -> 1472 / 99936 = 0.01473;
 * zen2: C = 2048, L = 64 -> 1984 / 99936 = 0.01985 (both close to C / N).
 * The cold start (the first C misses) is under 0.3% of 1M accesses.
 */
static void test_random_stlb(void)
{
	const struct {
		const char *cfg;
		double c, l;
	} cases[] = { { "skylake-sp", 1536, 64 }, { "zen2", 2048, 64 } };
	const double n = 100000;

	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
		JsonObject *o = synth_json("--pattern", "random", "--pages", "100000", "--accesses",
					   "1000000", "--config", cases[i].cfg, "--json", NULL);
		double want = (cases[i].c - cases[i].l) / (n - cases[i].l);
		double got = D(o, "tlb.stlb.hit_rate");

		g_test_message("%s: STLB hit rate %.5f, expected %.5f (C/N = %.5f)", cases[i].cfg,
			       got, want, cases[i].c / n);
		g_assert_cmpfloat(fabs(got - want), <=, 0.03 * want);
		/* and the L1: L / N = 0.00064 */
		g_assert_cmpfloat(fabs(D(o, "tlb.l1d.hit_rate") - cases[i].l / n), <=,
				  0.1 * cases[i].l / n);
		json_object_unref(o);
	}
}

/*
 * With every paging-structure cache and the nested TLB off, a 2D walk of a
 * guest with n levels over a host with m levels references (n+1)(m+1)-1
 * entries: each of the n guest entries and the final GPA is translated by
 * an m-reference host walk, plus the n guest entries themselves.
 *   4level/ept4 and 4level/npt4: 5*5-1 = 24; 5level/ept5: 6*6-1 = 35;
 *   4level/ept5, 5level/ept4: 5*6-1 = 29; 2level/npt2: 3*3-1 = 8;
 *   2level/npt3: 3*4-1 = 11;
 *   pae/npt4: AMD reads the 4 PDPTEs in the walk (APM 15.25.10), n = 3: 19;
 *   pae/ept4: Intel loads them at CR3 load (SDM 29.3.3.1), n = 2: 14;
 *   no host: n references: 4level 4, 5level 5, pae 2;
 *   TDX (--gpaw 48: secure EPT, 4 levels; --gpaw 52: 5 levels): 24, 35;
 *   TDX --shared (data pages shared: the final GPA, with the shared bit,
 *   goes through the shared EPT of the same depth, the guest tables stay
 *   private): the same 24, 35, and pae 14; no walk faults, which also
 *   shows that the shared alias is mapped (a data page left private would
 *   make every walk fault at the final GPA);
 *   nopaging (n = 0, GVA = GPA): the host walk of the final GPA alone,
 *   (0+1)(m+1)-1 = m: npt2 2, npt3 3 (the PAE host's PDPTE is read in the
 *   walk, as for 2level/npt3 above), npt4 4, npt5 5, ept4 4, ept5 5.
 * Every walk has the same count, so the histogram is one bar.
 */
static void test_walk_matrix(void)
{
	const struct {
		const char *guest, *host;
		gint64 refs;
	} cases[] = {
		{ "4level", "ept4", 24 }, { "4level", "npt4", 24 }, { "5level", "ept5", 35 },
		{ "4level", "ept5", 29 }, { "5level", "ept4", 29 }, { "2level", "npt2", 8 },
		{ "2level", "npt3", 11 }, { "pae", "npt4", 19 },    { "pae", "ept4", 14 },
		{ "4level", "none", 4 },  { "5level", "none", 5 },  { "pae", "none", 2 },
		{ "4level", "gpaw48", 24 }, { "5level", "gpaw52", 35 },
		{ "4level", "gpaw48s", 24 }, { "5level", "gpaw52s", 35 }, { "pae", "gpaw48s", 14 },
		{ "nopaging", "npt2", 2 }, { "nopaging", "npt3", 3 }, { "nopaging", "npt4", 4 },
		{ "nopaging", "npt5", 5 }, { "nopaging", "ept4", 4 }, { "nopaging", "ept5", 5 },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
		bool tdx = g_str_has_prefix(cases[i].host, "gpaw");
		bool shared = g_str_has_suffix(cases[i].host, "s");
		char gpaw[3] = { 0 };
		JsonObject *o;

		if (tdx)
			memcpy(gpaw, cases[i].host + 4, 2);
		o = synth_json("--pattern", "random", "--pages", "2000", "--accesses", "20000",
			       "--guest", cases[i].guest, tdx ? "--gpaw" : "--host",
			       tdx ? gpaw : cases[i].host, "--set", "pwc.kind=none", "--set",
			       "nested.tlb.entries=0", "--set", "nested.pwc.entries=0",
			       shared ? "--shared" : "--json", "--json", NULL);
		char hist[32];
		gint64 walks = I(o, "walks");

		snprintf(hist, sizeof(hist), "walk_hist.%" G_GINT64_FORMAT, cases[i].refs);
		g_test_message("%s over %s: %" G_GINT64_FORMAT " walks, %.3f refs/walk",
			       cases[i].guest, cases[i].host, walks, D(o, "walk_refs_per_walk"));
		g_assert_cmpint(walks, >, 1000);
		g_assert_cmpint(I(o, "walk_refs"), ==, walks * cases[i].refs);
		g_assert_cmpint(I(o, hist), ==, walks);
		g_assert_cmpint(I(o, "walk_refs_skipped"), ==, 0);
		g_assert_cmpint(I(o, "walk_faults"), ==, 0);
		g_assert_cmpint(I(o, "synth.shared"), ==, shared);
		json_object_unref(o);
	}
}

/*
 * Paging off. Without a host there is nothing to translate (linear =
 * physical): every access is counted and none is looked up, walked or
 * charged. Over ept4 each access is a GPA whose translation the TLBs cache
 * (guest-physical mappings): a sequential stream over 64 pages walks once
 * per page (64 walks, compulsory misses of 64 distinct pages that the
 * 64-entry L1 DTLB and the STLB both hold) and every other access hits the
 * L1 DTLB: hits = accesses - 64.
 */
static void test_nopaging(void)
{
	JsonObject *o = synth_json("--pattern", "sequential", "--pages", "64", "--accesses",
				   "6400", "--guest", "nopaging", "--json", NULL);

	g_assert_cmpint(I(o, "accesses"), ==, 6400);
	g_assert_cmpint(I(o, "tlb.l1d.hits") + I(o, "tlb.l1d.misses"), ==, 0);
	g_assert_cmpint(I(o, "walks"), ==, 0);
	g_assert_cmpint(I(o, "cycles.tlb") + I(o, "cycles.walk"), ==, 0);
	json_object_unref(o);

	o = synth_json("--pattern", "sequential", "--pages", "64", "--accesses", "6400", "--guest",
		       "nopaging", "--host", "ept4", "--json", NULL);
	g_assert_cmpint(I(o, "walks"), ==, 64);
	g_assert_cmpint(I(o, "walk_faults"), ==, 0);
	g_assert_cmpint(I(o, "tlb.l1d.misses"), ==, 64);
	g_assert_cmpint(I(o, "tlb.l1d.hits"), ==, 6400 - 64);
	json_object_unref(o);
}

/* Warm paging-structure caches and nested TLB: a random stream over 400 MB
 * (100000 pages) averages far fewer than 24 references per 2D walk. The
 * literature reports ~1.5 native and ~4.4 virtualized references per walk
 * for real workloads (Bhargava et al., ASPLOS 2008); this stream is uniform
 * (little locality), so the test asserts only "far fewer" and logs the
 * figures. */
static void test_warm_2d(void)
{
	const char *cfgs[] = { "skylake-sp", "icelake-sp", "zen2" };

	for (unsigned i = 0; i < G_N_ELEMENTS(cfgs); i++) {
		JsonObject *nat = synth_json("--pattern", "random", "--pages", "100000", "--accesses",
					     "1000000", "--config", cfgs[i], "--json", NULL);
		JsonObject *virt = synth_json("--pattern", "random", "--pages", "100000",
					      "--accesses", "1000000", "--config", cfgs[i], "--host",
					      strcmp(cfgs[i], "zen2") ? "ept4" : "npt4", "--json",
					      NULL);
		double n = D(nat, "walk_refs_per_walk"), v = D(virt, "walk_refs_per_walk");

		g_test_message("%s: warm refs/walk native %.2f (literature ~1.5), virtualized "
			       "%.2f (literature ~4.4)", cfgs[i], n, v);
		g_assert_cmpfloat(n, >=, 1.0);
		g_assert_cmpfloat(n, <, 4.0);
		g_assert_cmpfloat(v, >=, 1.0);
		g_assert_cmpfloat(v, <, 24.0 / 3);
		g_assert_cmpint(I(virt, "walk_refs_skipped"), >, 0);
		json_object_unref(nat);
		json_object_unref(virt);
	}
}

/* The three CPU models on one stream give different statistics. */
static void test_configs_differ(void)
{
	const char *cfgs[] = { "skylake-sp", "icelake-sp", "zen2" };
	gint64 cycles[3];
	double stlb[3];

	for (unsigned i = 0; i < 3; i++) {
		JsonObject *o = synth_json("--pattern", "zipf", "--pages", "50000", "--accesses",
					   "300000", "--config", cfgs[i], "--host", "npt4", "--json",
					   NULL);

		g_assert_cmpstr(json_object_get_string_member(o, "config"), ==, cfgs[i]);
		cycles[i] = I(o, "cycles");
		stlb[i] = D(o, "tlb.stlb.hit_rate");
		g_test_message("%s: cycles %" G_GINT64_FORMAT ", STLB hit rate %.4f", cfgs[i],
			       cycles[i], stlb[i]);
		json_object_unref(o);
	}
	g_assert_cmpint(cycles[0], !=, cycles[1]);
	g_assert_cmpint(cycles[1], !=, cycles[2]);
	g_assert_cmpint(cycles[0], !=, cycles[2]);
	/* 1536 vs 2048 STLB entries: Skylake's hit rate is lower. */
	g_assert_cmpfloat(stlb[0], <, stlb[1]);
}

/* Zipf (s = 1) concentrates accesses on few pages: its L1 hit rate is far
 * above the uniform stream's L/N = 0.00064. It is also bounded above: for
 * independent references the best demand-paging policy keeps the L most
 * probable pages (Aho, Denning, Ullman, JACM 1971, policy A0), so no
 * 64-entry TLB exceeds P(rank < 64) = H_64 / H_100000 = 4.7439 / 12.0901
 * = 0.3924 (H_n: harmonic numbers). LRU, which cold pages keep evicting
 * hot ones from, lands below that. */
static void test_zipf_locality(void)
{
	JsonObject *z = synth_json("--pattern", "zipf", "--pages", "100000", "--accesses",
				   "200000", "--json", NULL);
	JsonObject *u = synth_json("--pattern", "random", "--pages", "100000", "--accesses",
				   "200000", "--json", NULL);

	g_test_message("zipf L1 DTLB hit rate %.4f (A0 bound 0.3924)", D(z, "tlb.l1d.hit_rate"));
	g_assert_cmpfloat(D(z, "tlb.l1d.hit_rate"), >, 0.1);
	g_assert_cmpfloat(D(z, "tlb.l1d.hit_rate"), <=, 0.3924 + 0.01);
	g_assert_cmpfloat(D(u, "tlb.l1d.hit_rate"), <, 0.01);
	json_object_unref(z);
	json_object_unref(u);
}

/* Every output key is in the JSON and documented in docs/stats.md; the
 * issue's required keys are among them; CSV has the same columns. */
static void test_keys(void)
{
	const char *required[] = { "accesses", "instructions", "cycles", "walks", "walk_refs",
				   "tlb.l1d.hits", "tlb.l1d.misses", "tlb.stlb.hits",
				   "tlb.stlb.misses", "flushes", "pwc.pde.hits", "ntlb.hits",
				   "ad_updates", "flushes.cr3", "cycles.walk", "walk_hist.0",
				   "tlb.l1d.hits.4k", "translation_cycles_per_kilo_insn",
				   "walk_refs_per_walk", NULL };
	JsonObject *o = synth_json("--pattern", "random", "--pages", "100", "--accesses", "1000",
				   "--json", NULL);
	char *doc = NULL;
	const char *k;
	struct spawn_result r;
	gchar **lines, **cols, **vals;
	unsigned n = 0, ns;

	g_assert_true(g_file_get_contents(TDPSIM_SOURCE_DIR "/docs/stats.md", &doc, NULL, NULL));
	for (unsigned i = 0; (k = tm_stats_key(i)); i++, n++) {
		char *tick = g_strdup_printf("`%s`", k);

		g_assert_true(json_object_has_member(o, k));
		if (!g_str_has_prefix(k, "walk_hist.") && !strstr(doc, tick))
			g_error("docs/stats.md does not document %s", k);
		g_free(tick);
	}
	g_assert_nonnull(strstr(doc, "`walk_hist.N`"));
	for (unsigned i = 0; required[i]; i++)
		g_assert_true(json_object_has_member(o, required[i]));
	/* 1000 instructions at 1 per access (the default). */
	g_assert_cmpint(I(o, "instructions"), ==, 1000);
	json_object_unref(o);

	/* CSV: the JSON's synth.* members first (same names, same values, in
	 * the same order), then config and the statistics. */
	o = synth_json("--pattern", "zipf", "--pages", "100", "--accesses", "1000", "--seed", "7",
		       "--guest", "pae", "--host", "npt4", "--json", NULL);
	r = spawn_tdpsim("synth", "--pattern", "zipf", "--pages", "100", "--accesses", "1000",
			 "--seed", "7", "--guest", "pae", "--host", "npt4", "--csv", NULL);
	g_assert_cmpint(r.status, ==, 0);
	lines = g_strsplit(r.out, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 3); /* header, values, "" */
	cols = g_strsplit(lines[0], ",", -1);
	vals = g_strsplit(lines[1], ",", -1);
	{
		GList *members = json_object_get_members(o), *it = members;

		/* ns: the leading synth.* members of the JSON. */
		for (ns = 0; it && g_str_has_prefix(it->data, "synth."); it = it->next)
			ns++;
		g_assert_cmpuint(ns, >=, 9);
		g_assert_cmpuint(g_strv_length(cols), ==, ns + n + 1); /* synth.*, config, stats */
		g_assert_cmpuint(g_strv_length(vals), ==, ns + n + 1);
		it = members;
		for (unsigned i = 0; i < ns; i++, it = it->next) {
			JsonNode *v = json_object_get_member(o, it->data);
			gchar *want = json_node_get_value_type(v) == G_TYPE_STRING
					      ? g_strdup(json_node_get_string(v))
					      : g_strdup_printf("%" G_GINT64_FORMAT,
								json_node_get_int(v));

			g_assert_true(g_str_has_prefix(it->data, "synth."));
			g_assert_cmpstr(cols[i], ==, it->data);
			g_assert_cmpstr(vals[i], ==, want);
			g_free(want);
		}
		g_list_free(members);
	}
	g_assert_cmpstr(vals[4], ==, "pae");
	g_assert_cmpstr(vals[5], ==, "npt4");
	g_assert_cmpstr(cols[ns], ==, "config");
	g_assert_cmpstr(cols[ns + 1], ==, tm_stats_key(0));
	/* The statistics agree with the JSON run's (the runs are identical). */
	g_assert_cmpstr(cols[ns + 1 + 3], ==, tm_stats_key(3));
	g_assert_cmpint(g_ascii_strtoll(vals[ns + 1], NULL, 10), ==, I(o, tm_stats_key(0)));
	json_object_unref(o);
	g_strfreev(cols);
	g_strfreev(vals);
	g_strfreev(lines);
	spawn_free(&r);
	g_free(doc);
}

/* Same options, same output; another seed, another stream. */
static void test_deterministic(void)
{
#define RANDOM_EPT4                                                                        \
	"--pattern", "random", "--pages", "20000", "--accesses", "50000", "--host", "ept4"
	struct spawn_result a = spawn_tdpsim("synth", RANDOM_EPT4, NULL);
	struct spawn_result b = spawn_tdpsim("synth", RANDOM_EPT4, NULL);
	struct spawn_result c = spawn_tdpsim("synth", RANDOM_EPT4, "--seed", "2", NULL);
#undef RANDOM_EPT4

	g_assert_cmpint(a.status, ==, 0);
	g_assert_cmpstr(a.out, ==, b.out);
	g_assert_cmpstr(a.out, !=, c.out);
	spawn_free(&a);
	spawn_free(&b);
	spawn_free(&c);
}

/* A million pages: tables only (4 MiB of PTEs), quick. */
static void test_million_pages(void)
{
	JsonObject *o = synth_json("--pattern", "sequential", "--pages", "1000000", "--accesses",
				   "1000000", "--json", NULL);

	g_assert_cmpint(I(o, "tlb.l1d.misses"), ==, 1000000);
	json_object_unref(o);
}

/*
 * The one JSON printer (tm_stats_print_builder, used by the statistics and
 * by `synth --json`): json-glib's pretty layout with a two-space indent,
 * "key" : value, and one newline after the closing brace, so that the
 * output is a line-oriented file. The builder stays usable by the caller.
 */
static void test_json_printer(void)
{
	JsonBuilder *b = json_builder_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	g_assert_nonnull(f);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "synth.pages");
	json_builder_add_int_value(b, 7);
	json_builder_set_member_name(b, "config");
	json_builder_add_string_value(b, "zen2");
	json_builder_end_object(b);
	g_assert_cmpint(tm_stats_print_builder(b, f), ==, 0);
	fclose(f);
	g_assert_cmpstr(buf, ==, "{\n  \"synth.pages\" : 7,\n  \"config\" : \"zen2\"\n}\n");
	free(buf);
	g_object_unref(b);

	/* synth --json is that layout: an object on its own lines. */
	struct spawn_result r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "4",
					     "--accesses", "4", "--json", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(g_str_has_prefix(r.out, "{\n  \"synth.pattern\" : \"random\",\n"));
	g_assert_true(g_str_has_suffix(r.out, "\n}\n"));
	spawn_free(&r);
}

static void expect_usage(const char *what, ...)
{
	va_list ap;
	struct spawn_result r;

	va_start(ap, what);
	r = spawn_tdpsim_v("synth", va_arg(ap, const char *), ap);
	va_end(ap);
	g_test_message("%s -> %s", what, r.err);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_cmpstr(r.out, ==, "");
	g_assert_true(g_str_has_prefix(r.err, "tdpsim synth: error: "));
	g_assert_nonnull(strstr(r.err, what));
	/* one line */
	g_assert_true(g_str_has_suffix(r.err, "\n"));
	g_assert_true(strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
	spawn_free(&r);
}

#define P "--pages", "100", "--accesses", "100"

static void test_bad_input(void)
{
	expect_usage("--pattern is required", P, NULL);
	expect_usage("--pattern walk", "--pattern", "walk", P, NULL);
	expect_usage("--pages and --accesses", "--pattern", "random", NULL);
	expect_usage("--pages 0", "--pattern", "random", "--pages", "0", "--accesses", "1", NULL);
	expect_usage("--pages lots", "--pattern", "random", "--pages", "lots", "--accesses", "1",
		     NULL);
	expect_usage("--page-size 3k", "--pattern", "random", P, "--page-size", "3k", NULL);
	expect_usage("--page-size 1g", "--pattern", "random", P, "--page-size", "1g", "--guest",
		     "pae", NULL);
	expect_usage("--guest 6level", "--pattern", "random", P, "--guest", "6level", NULL);
	expect_usage("--guest 5level", "--pattern", "random", P, "--guest", "5level", "--config",
		     "skylake-sp", NULL);
	expect_usage("--host ept9", "--pattern", "random", P, "--host", "ept9", NULL);
	expect_usage("--host-page-size needs --host", "--pattern", "random", P,
		     "--host-page-size", "2m", NULL);
	expect_usage("--host-page-size 1g", "--pattern", "random", P, "--host", "npt3",
		     "--host-page-size", "1g", NULL);
	expect_usage("--config nosuch", "--pattern", "random", P, "--config", "nosuch", NULL);
	expect_usage("tlb.l1d.ways", "--pattern", "random", P, "--set", "tlb.l1d.entries=96",
		     NULL);
	expect_usage("unknown group 'bogus.key'", "--pattern", "random", P, "--set", "bogus.key=1",
		     NULL);
	expect_usage("tlb.l1d.entries = 'x'", "--pattern", "random", P, "--set",
		     "tlb.l1d.entries=x", NULL);
	expect_usage("--json and --csv", "--pattern", "random", P, "--json", "--csv", NULL);
	expect_usage("--stride needs", "--pattern", "random", P, "--stride", "64", NULL);
	expect_usage("--zipf-s -1", "--pattern", "zipf", P, "--zipf-s", "-1", NULL);
	expect_usage("linear address space", "--pattern", "random", "--pages", "2000000",
		     "--accesses", "1", "--guest", "2level", NULL);
	expect_usage("unexpected argument", "--pattern", "random", P, "extra", NULL);
	expect_usage("--gpaw 47", "--pattern", "random", P, "--gpaw", "47", NULL);
	expect_usage("--shared needs --gpaw 48|52 (TDX)", "--pattern", "random", P, "--shared", NULL);
	expect_usage("--guest 2level cannot map GPA bit 47", "--pattern", "random", P, "--gpaw",
		     "48", "--guest", "2level", "--shared", NULL);
	expect_usage("--gpaw 48 needs --host ept4", "--pattern", "random", P, "--gpaw", "48",
		     "--host", "ept5", NULL);
	expect_usage("4 KiB host pages only", "--pattern", "random", P, "--gpaw", "52",
		     "--host-page-size", "2m", NULL);
	expect_usage("Unknown option", "--pattern", "random", P, "--frobnicate", NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/synth/sequential", test_sequential);
	g_test_add_func("/synth/strided", test_strided);
	g_test_add_func("/synth/chase", test_chase);
	g_test_add_func("/synth/random-stlb", test_random_stlb);
	g_test_add_func("/synth/walk-matrix", test_walk_matrix);
	g_test_add_func("/synth/nopaging", test_nopaging);
	g_test_add_func("/synth/warm-2d", test_warm_2d);
	g_test_add_func("/synth/configs-differ", test_configs_differ);
	g_test_add_func("/synth/zipf-locality", test_zipf_locality);
	g_test_add_func("/synth/keys", test_keys);
	g_test_add_func("/synth/deterministic", test_deterministic);
	g_test_add_func("/synth/million-pages", test_million_pages);
	g_test_add_func("/synth/bad-input", test_bad_input);
	g_test_add_func("/synth/json-printer", test_json_printer);
	return g_test_run();
}
