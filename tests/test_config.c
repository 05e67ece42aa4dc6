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

static char why[512];

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
	char *path = temp_ini(text);
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

	tm_config_defaults(&c);
	g_assert_cmpint(tm_config_load(&c, "/nonexistent/x.ini", why, sizeof(why)), ==, -ENOENT);
	g_assert_nonnull(strstr(why, "/nonexistent/x.ini"));
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
	g_test_add_func("/config/find", test_find);
	return g_test_run();
}
