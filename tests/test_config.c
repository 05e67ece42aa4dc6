/*
 * CPU models (src/timing/config.c): the shipped configs load, set every key
 * and are documented key by key; bad files and overrides fail with a
 * message that names the key; --set overrides land in the right field.
 *
 * Expected values are the ones written in the configs/ files (and their cited
 * sources), not read back from the code under test.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "timing/config.h"

static char why[4096];

/* Write @text to a temporary .ini and return its path (caller frees). */
static char *temp_ini(const char *text)
{
	GError *err = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("tdpsim-cfg-XXXXXX.ini", &path, &err);

	g_assert_no_error(err);
	close(fd);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void load_named(const char *name, struct tm_config *c)
{
	char *path = tm_config_find(name);

	g_assert_nonnull(path);
	tm_config_defaults(c);
	if (tm_config_load(c, path, why, sizeof(why)))
		g_error("%s: %s", name, why);
	g_free(path);
}

static void test_shipped(void)
{
	struct tm_config c;
	struct pg_cpu pc;

	load_named("skylake-sp", &c);
	g_assert_cmpstr(c.name, ==, "skylake-sp");
	g_assert_cmpuint(c.cpu.vendor, ==, TM_VENDOR_INTEL);
	g_assert_cmpuint(c.pwc_kind, ==, TM_PWC_SPLIT);
	g_assert_cmpuint(c.l1d.arr[0].entries, ==, 64); /* ORM Table 2-15 */
	g_assert_cmpuint(c.stlb.arr[0].entries, ==, 1536);
	g_assert_cmpuint(c.stlb.arr[0].ways, ==, 12);
	g_assert_cmpuint(c.stlb.arr[0].sizes, ==, TM_SZ_4K | TM_SZ_2M);
	g_assert_cmpuint(c.cpu.linear_bits, ==, 48);
	g_assert_false(c.cpu.features & TM_FEAT_LA57);

	load_named(TM_CONFIG_DEFAULT, &c);
	g_assert_cmpstr(c.name, ==, "icelake-sp");
	g_assert_cmpuint(c.cpu.linear_bits, ==, 57);
	g_assert_true(c.cpu.features & TM_FEAT_LA57);
	g_assert_cmpuint(c.pwc_level[5].entries, >, 0);
	g_assert_cmpuint(c.cache.l1d.size_kb, ==, 48);
	tm_config_pg_cpu(&c, &pc);
	g_assert_true(pc.la57);
	g_assert_true(pc.pcid);
	g_assert_cmpuint(pc.maxphyaddr, ==, c.cpu.maxphyaddr);

	load_named("zen2", &c);
	g_assert_cmpuint(c.cpu.vendor, ==, TM_VENDOR_AMD);
	g_assert_cmpuint(c.pwc_kind, ==, TM_PWC_UNIFIED);
	g_assert_cmpuint(c.pwc_unified.entries, >, 0);
	g_assert_cmpuint(c.l1d.arr[0].ways, ==, c.l1d.arr[0].entries); /* fully assoc. */
	g_assert_cmpuint(c.stlb.arr[0].sizes & TM_SZ_1G, ==, 0);        /* smashed */
	tm_config_pg_cpu(&c, &pc);
	g_assert_false(pc.la57);
	g_assert_false(pc.pcid);
	g_assert_true(pc.gbpages);
}

/* Every key of the table is set in every shipped config and documented
 * in configs/README.md. */
static void test_every_key(void)
{
	const char *names[] = { "skylake-sp", "icelake-sp", "zen2" };
	char *readme = NULL, key[96];
	unsigned n = 0;

	g_assert_true(g_file_get_contents(TDPSIM_SOURCE_DIR "/configs/README.md", &readme, NULL,
					  NULL));
	for (unsigned i = 0; tm_config_key_name(i, key, sizeof(key)) == 0; i++) {
		char *tick = g_strdup_printf("`%s`", key);

		if (!strstr(readme, tick))
			g_error("configs/README.md does not document %s", key);
		g_free(tick);
		n++;
	}
	g_assert_cmpuint(n, >, 100); /* 9 TLB arrays x 5 + PWCs + caches + cpu + cost */
	for (unsigned f = 0; f < G_N_ELEMENTS(names); f++) {
		char *path = tm_config_find(names[f]);
		GKeyFile *kf = g_key_file_new();

		g_assert_true(g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL));
		for (unsigned i = 0; tm_config_key_name(i, key, sizeof(key)) == 0; i++) {
			char *dot = strrchr(key, '.');

			*dot = '\0';
			if (!g_key_file_has_key(kf, key, dot + 1, NULL))
				g_error("%s does not set %s.%s", path, key, dot + 1);
		}
		g_key_file_free(kf);
		g_free(path);
	}
	g_free(readme);
}

/* A bad file fails with -EINVAL and a message naming the file, the
 * group.key and (for values) the value. */
static void expect_bad_file(const char *text, const char *needle1, const char *needle2)
{
	/* Partial files start from a shipped model: only @text's fault remains. */
	char *full = g_strconcat("[cpu]\nbase = skylake-sp\n", text, NULL);
	char *path = temp_ini(full);
	struct tm_config c;

	tm_config_defaults(&c);
	g_assert_cmpint(tm_config_load(&c, path, why, sizeof(why)), ==, -EINVAL);
	g_test_message("%s", why);
	g_assert_nonnull(strstr(why, path));
	g_assert_nonnull(strstr(why, needle1));
	if (needle2)
		g_assert_nonnull(strstr(why, needle2));
	g_assert_null(strchr(why, '\n'));
	g_unlink(path);
	g_free(path);
	g_free(full);
}

static void test_bad_files(void)
{
	struct tm_config c;

	expect_bad_file("[tlb.l1d]\nentriez = 64\n", "tlb.l1d.entriez", "unknown key");
	expect_bad_file("[tlb.l9]\nentries = 64\n", "tlb.l9.entries", "unknown group");
	expect_bad_file("[tlb.l9]\n", "[tlb.l9]", "unknown group");
	expect_bad_file("[tlb.l1d]\nentries = lots\n", "tlb.l1d.entries", "'lots'");
	expect_bad_file("[tlb.l1d]\nentries = -4\n", "tlb.l1d.entries", "'-4'");
	expect_bad_file("[tlb.l1d]\nentries = 1000000\n", "tlb.l1d.entries", "out of range");
	expect_bad_file("[cpu]\nmaxphyaddr = 53\n", "cpu.maxphyaddr", "out of range");
	expect_bad_file("[tlb.stlb]\npolicy = mru\n", "tlb.stlb.policy", "'mru'");
	expect_bad_file("[pwc]\nkind = both\n", "pwc.kind", "'both'");
	expect_bad_file("[cpu]\nfeatures = pse,avx\n", "cpu.features", "'avx'");
	expect_bad_file("[tlb.l1d]\nsizes = 4k,8k\n", "tlb.l1d.sizes", "'8k'");
	expect_bad_file("[cost]\nbase_cpi = fast\n", "cost.base_cpi", "'fast'");
	/* Consistency: 64 entries in 5 ways; 96 in 4 ways (24 sets). */
	expect_bad_file("[tlb.l1d]\nways = 5\n", "tlb.l1d.ways", "power-of-two");
	expect_bad_file("[tlb.l1d]\nentries = 96\n", "tlb.l1d.ways", "tlb.l1d.entries");
	expect_bad_file("[cache.l2]\nways = 3\n", "cache.l2.ways", NULL);
	expect_bad_file("[cpu]\nlinear_bits = 57\n", "cpu.linear_bits", "la57");
	expect_bad_file("this is not a key file\n", "", NULL);
	/* An invalid escape: GLib hands back the raw text AND an error. A
	 * second one must not land on the first's GError (a GLib-WARNING,
	 * fatal under GTest). */
	expect_bad_file("[cpu]\nbrand = a\\qb\n", "cpu.brand = 'a\\qb'", "interpreted");
	expect_bad_file("[cpu]\nbrand = a\\qb\nname = x\\q\n", "cpu.brand", "interpreted");
	expect_bad_file("[tlb.l1d]\npolicy = lr\\zu\n", "tlb.l1d.policy", "interpreted");

	tm_config_defaults(&c);
	g_assert_cmpint(tm_config_load(&c, "/nonexistent/x.ini", why, sizeof(why)), ==, -ENOENT);
	g_assert_nonnull(strstr(why, "/nonexistent/x.ini"));
}

/* A range in an error is printed in the form --set reads back: both ends
 * of it are accepted (1e+11 was printed for cpu.tsc_hz, whose parser takes
 * whole numbers only). */
static void test_range_form(void)
{
	const char *keys[] = { "cpu.tsc_hz", "tlb.l1d.entries", "cache.l2.size_kb",
			       "cost.base_cpi" };

	for (unsigned i = 0; i < G_N_ELEMENTS(keys); i++) {
		const char *big = strcmp(keys[i], "cost.base_cpi") == 0 ? "1e300"
									 : "0xffffffffffffffff";
		char *set = g_strdup_printf("%s=%s", keys[i], big);
		struct tm_config c;
		gchar **ends;
		char *open;

		tm_config_defaults(&c);
		g_assert_cmpint(tm_config_set(&c, set, why, sizeof(why)), ==, -EINVAL);
		g_test_message("%s", why);
		open = strstr(why, "out of range (");
		g_assert_nonnull(open);
		*strchr(open, ')') = '\0';
		ends = g_strsplit(open + strlen("out of range ("), "..", 2);
		g_assert_nonnull(ends[1]);
		for (unsigned e = 0; e < 2; e++) {
			char *ok = g_strdup_printf("%s=%s", keys[i], ends[e]);

			if (tm_config_set(&c, ok, why, sizeof(why)))
				g_error("%s: %s", ok, why);
			g_free(ok);
		}
		g_strfreev(ends);
		g_free(set);
	}
}

/* A model file is complete or starts from a base; else the missing keys. */
static void test_complete_or_base(void)
{
	struct tm_config c, sky;
	char *dir, *p, *p2, *sky_path = tm_config_find("skylake-sp"), *text = NULL;
	gsize len;

	char key[128], *want;
	unsigned nkeys = 0;

	/* Empty: refused, every key listed in table order (but [cpu] name). */
	p = temp_ini("");
	tm_config_defaults(&c);
	g_assert_cmpint(tm_config_load(&c, p, why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, p));
	while (tm_config_key_name(nkeys, key, sizeof(key)) == 0)
		nkeys++;
	want = g_strdup_printf("%u of its %u keys missing: cpu.vendor, ", nkeys - 1, nkeys - 1);
	g_assert_nonnull(strstr(why, want));
	g_free(want);
	g_assert_true(g_str_has_suffix(why, key)); /* the last key */
	g_assert_null(strstr(why, "cpu.name"));
	g_unlink(p);
	g_free(p);

	/* Skylake-SP with two keys taken out: exactly those two. */
	g_assert_true(g_file_get_contents(sky_path, &text, &len, NULL));
	{
		GString *s = g_string_new(NULL);
		gchar **lines = g_strsplit(text, "\n", -1);
		bool in_cost = false;

		for (gchar **l = lines; *l; l++) {
			if (**l == '[')
				in_cost = strcmp(*l, "[cost]") == 0;
			if (g_str_has_prefix(*l, "tsc_hz") || (in_cost && g_str_has_prefix(*l, "flush")))
				continue;
			g_string_append_printf(s, "%s\n", *l);
		}
		g_strfreev(lines);
		p = temp_ini(s->str);
		g_string_free(s, TRUE);
	}
	tm_config_defaults(&c);
	g_assert_cmpint(tm_config_load(&c, p, why, sizeof(why)), ==, -EINVAL);
	g_test_message("%s", why);
	want = g_strdup_printf("2 of its %u keys missing: cpu.tsc_hz, cost.flush", nkeys - 1);
	g_assert_nonnull(strstr(why, want));
	g_free(want);
	g_unlink(p);
	g_free(p);

	/* A base and one override: the base's model with that key changed. */
	tm_config_defaults(&sky);
	g_assert_cmpint(tm_config_load(&sky, sky_path, why, sizeof(why)), ==, 0);
	dir = g_dir_make_tmp("tdpsim-cfgbase-XXXXXX", NULL);
	p = g_build_filename(dir, "mine.ini", NULL);
	g_assert_true(g_file_set_contents(p, "[cpu]\nbase = skylake-sp\n[tlb.l1d]\nentries = 128\n",
					  -1, NULL));
	tm_config_defaults(&c);
	g_assert_cmpint(tm_config_load(&c, p, why, sizeof(why)), ==, 0);
	g_assert_cmpstr(c.name, ==, "mine");
	g_assert_cmpuint(c.l1d.arr[0].entries, ==, 128);
	c.l1d.arr[0].entries = sky.l1d.arr[0].entries;
	g_strlcpy(c.name, sky.name, sizeof(c.name));
	g_assert_true(memcmp(&c, &sky, sizeof(c)) == 0);

	/* A relative base path is taken from the file's directory, and chains. */
	p2 = g_build_filename(dir, "child.ini", NULL);
	g_assert_true(g_file_set_contents(p2, "[cpu]\nbase = ./mine.ini\nwalkers = 3\n", -1, NULL));
	tm_config_defaults(&c);
	g_assert_cmpint(tm_config_load(&c, p2, why, sizeof(why)), ==, 0);
	g_assert_cmpuint(c.l1d.arr[0].entries, ==, 128);
	g_assert_cmpuint(c.cpu.walkers, ==, 3);
	g_assert_cmpstr(c.name, ==, "child");

	/* A cycle, and a base that does not exist. */
	g_assert_true(g_file_set_contents(p, "[cpu]\nbase = child.ini\n", -1, NULL));
	g_assert_cmpint(tm_config_load(&c, p2, why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "a cycle?"));
	g_assert_true(g_file_set_contents(p, "[cpu]\nbase = no-such-cpu\n", -1, NULL));
	g_assert_cmpint(tm_config_load(&c, p, why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "cpu.base = 'no-such-cpu': no such model"));
	g_assert_nonnull(strstr(why, p));

	g_unlink(p);
	g_unlink(p2);
	g_rmdir(dir);
	g_free(p);
	g_free(p2);
	g_free(dir);
	g_free(text);
	g_free(sky_path);
}

static void test_set(void)
{
	struct tm_config c;

	tm_config_defaults(&c);
	g_assert_cmpint(tm_config_check(&c, why, sizeof(why)), ==, 0);

	/* The example: the key is after the LAST dot. */
	g_assert_cmpint(tm_config_set(&c, "tlb.l1d.entries=96", why, sizeof(why)), ==, 0);
	g_assert_cmpuint(c.l1d.arr[0].entries, ==, 96);
	/* 96 entries in 4 ways is 24 sets: rejected by the check, naming both keys. */
	g_assert_cmpint(tm_config_check(&c, why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "tlb.l1d.ways"));
	g_assert_cmpint(tm_config_set(&c, "tlb.l1d.ways = 6", why, sizeof(why)), ==, 0);
	g_assert_cmpint(tm_config_check(&c, why, sizeof(why)), ==, 0); /* 16 sets */

	g_assert_cmpint(tm_config_set(&c, "tlb.l1d.2m.entries=16", why, sizeof(why)), ==, 0);
	g_assert_cmpuint(c.l1d.arr[1].entries, ==, 16);
	g_assert_cmpuint(c.l1d.arr[0].entries, ==, 96);
	g_assert_cmpint(tm_config_set(&c, "cost.base_cpi=1.25", why, sizeof(why)), ==, 0);
	g_assert_cmpfloat(c.cost.base_cpi, ==, 1.25);
	g_assert_cmpint(tm_config_set(&c, "pwc.kind=unified", why, sizeof(why)), ==, 0);
	g_assert_cmpuint(c.pwc_kind, ==, TM_PWC_UNIFIED);
	g_assert_cmpint(tm_config_set(&c, "cache.llc.size_kb=0", why, sizeof(why)), ==, 0);
	g_assert_cmpuint(c.cache.llc.size_kb, ==, 0);
	g_assert_cmpint(tm_config_set(&c, "cpu.brand=Test CPU", why, sizeof(why)), ==, 0);
	g_assert_cmpstr(c.cpu.brand, ==, "Test CPU");
	g_assert_cmpint(tm_config_set(&c, "cpu.tsc_hz=0x100000000", why, sizeof(why)), ==, 0);
	g_assert_cmpuint(c.cpu.tsc_hz, ==, UINT64_C(0x100000000));

	g_assert_cmpint(tm_config_set(&c, "cpu.features=pse,pae,la57,lm", why, sizeof(why)), ==, 0);
	g_assert_cmpint(tm_config_check(&c, why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "cpu.linear_bits"));
	g_assert_cmpint(tm_config_set(&c, "cpu.linear_bits=57", why, sizeof(why)), ==, 0);
	g_assert_cmpint(tm_config_check(&c, why, sizeof(why)), ==, 0);

	/* Failures name the key. */
	g_assert_cmpint(tm_config_set(&c, "tlb.l1d.entries=abc", why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "tlb.l1d.entries"));
	g_assert_nonnull(strstr(why, "abc"));
	g_assert_cmpint(tm_config_set(&c, "tlb.l1d.entries=65537", why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "out of range"));
	g_assert_cmpint(tm_config_set(&c, "nosuch.key=1", why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "unknown group 'nosuch.key'"));
	g_assert_cmpint(tm_config_set(&c, "tlb.l1d.size=1", why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "unknown key 'tlb.l1d.size'"));
	g_assert_cmpint(tm_config_set(&c, "entries", why, sizeof(why)), ==, -EINVAL);
	g_assert_cmpint(tm_config_set(&c, "entries=4", why, sizeof(why)), ==, -EINVAL);
	g_assert_cmpint(tm_config_set(&c, "=4", why, sizeof(why)), ==, -EINVAL);
	g_assert_cmpint(tm_config_set(&c, "tlb.l1d.entries=", why, sizeof(why)), ==, -EINVAL);
}

static void test_find(void)
{
	char *dir = g_dir_make_tmp("tdpsim-cfgdir-XXXXXX", NULL), *p, *got;
	const char *old = g_getenv("TDPSIM_CONFIG_DIR");

	g_assert_null(tm_config_find("no-such-cpu"));
	g_assert_null(tm_config_find(""));
	p = g_build_filename(dir, "mine.ini", NULL);
	g_assert_true(g_file_set_contents(p, "[cpu]\nwalkers = 3\n", -1, NULL));
	g_setenv("TDPSIM_CONFIG_DIR", dir, TRUE);
	got = tm_config_find("mine");
	g_assert_cmpstr(got, ==, p);
	g_free(got);
	/* The shipped ones are still found through the build-time directory. */
	got = tm_config_find("zen2");
	g_assert_nonnull(got);
	g_free(got);
	if (old)
		g_setenv("TDPSIM_CONFIG_DIR", old, TRUE);
	else
		g_unsetenv("TDPSIM_CONFIG_DIR");
	/* A path is taken as given. */
	got = tm_config_find(p);
	g_assert_cmpstr(got, ==, p);
	g_free(got);
	g_unlink(p);
	g_rmdir(dir);
	g_free(p);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/shipped", test_shipped);
	g_test_add_func("/config/every-key", test_every_key);
	g_test_add_func("/config/bad-files", test_bad_files);
	g_test_add_func("/config/set", test_set);
	g_test_add_func("/config/range-form", test_range_form);
	g_test_add_func("/config/complete-or-base", test_complete_or_base);
	g_test_add_func("/config/find", test_find);
	return g_test_run();
}
