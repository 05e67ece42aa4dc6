/*
 * End-to-end tests of `tdpsim walk`: run the built binary, parse its JSON.
 *
 * The expected reference counts come from the manuals, not from the engine:
 * one memory reference per walked level (SDM Vol. 3A 4.3-4.5), with PAE's
 * PDPTEs taken from registers loaded at CR3 load (SDM 4.4.1), so they are not
 * walked. The --image cases use page tables assembled by hand below.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "spawn.h"

/* Run `tdpsim walk --json ARGS...`, expect success, return the object. */
static JsonObject *walk_json(const char *first, ...)
{
	struct spawn_result r;
	JsonObject *o;
	va_list ap;

	va_start(ap, first);
	r = spawn_tdpsim_v(NULL, first, ap);
	va_end(ap);
	o = spawn_json_object(&r, "tdpsim walk");
	spawn_free(&r);
	return o;
}

#define WALK(...) walk_json("walk", "--json", __VA_ARGS__, NULL)

static gint64 get_int(JsonObject *o, const char *k)
{
	g_assert_true(json_object_has_member(o, k));
	return json_object_get_int_member(o, k);
}

static guint64 get_hex(JsonObject *o, const char *k)
{
	const char *s = json_object_get_string_member(o, k);

	g_assert_nonnull(s);
	g_assert_true(g_str_has_prefix(s, "0x"));
	return g_ascii_strtoull(s + 2, NULL, 16);
}

static bool is_null(JsonObject *o, const char *k)
{
	g_assert_true(json_object_has_member(o, k));
	return json_object_get_null_member(o, k);
}

/* refs for every mode and page size, and the PA the synthetic layout maps:
 * --pa-base plus the offset of --va in the page. */
static void test_refs(void)
{
	static const struct {
		const char *guest, *size, *va;
		gint64 refs;
		guint64 page;
	} cases[] = {
		{ "nopaging", "4k", "0xc0403abc", 0, 4096 },
		{ "2level", "4k", "0xc0403abc", 2, 4096 },
		{ "2level-pse", "4k", "0xc0403abc", 2, 4096 },
		{ "2level-pse", "4m", "0xc0403abc", 1, 4 << 20 },
		{ "pae", "4k", "0xc0403abc", 2, 4096 },
		{ "pae", "2m", "0xc0403abc", 1, 2 << 20 },
		{ "4level", "4k", "0x7f1234567abc", 4, 4096 },
		{ "4level", "2m", "0x7f1234567abc", 3, 2 << 20 },
		{ "4level", "1g", "0x7f1234567abc", 2, 1 << 30 },
		{ "5level", "4k", "0xab7f1234567abc", 5, 4096 },
		{ "5level", "2m", "0xab7f1234567abc", 4, 2 << 20 },
		{ "5level", "1g", "0xab7f1234567abc", 3, 1 << 30 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const bool nopaging = strcmp(cases[i].guest, "nopaging") == 0;
		JsonObject *o = nopaging ? WALK("--synthetic", "--guest", cases[i].guest,
						"--page-size", cases[i].size, "--va", cases[i].va)
					 : WALK("--synthetic", "--guest", cases[i].guest,
						"--page-size", cases[i].size, "--va", cases[i].va,
						"--pa-base", "0x80000000");
		guint64 va = g_ascii_strtoull(cases[i].va + 2, NULL, 16);
		guint64 pa = nopaging ? va : 0x80000000 + (va & (cases[i].page - 1));

		g_test_message("%s %s", cases[i].guest, cases[i].size);
		g_assert_cmpint(get_int(o, "refs"), ==, cases[i].refs);
		g_assert_true(is_null(o, "fault"));
		g_assert_cmphex(get_hex(o, "pa"), ==, pa);
		g_assert_cmpint(get_int(o, "page_size"), ==, (gint64)cases[i].page);
		g_assert_cmpstr(json_object_get_string_member(o, "mode"), ==, cases[i].guest);
		g_assert_cmphex(get_hex(o, "va"), ==, va);
		/* One row per level, top first; PAE's PDPTE row is a register. */
		JsonArray *lv = json_object_get_array_member(o, "levels");
		guint n = json_array_get_length(lv);
		gint64 reg_rows = 0;
		for (guint k = 0; k < n; k++)
			reg_rows += json_object_get_boolean_member(
			    json_array_get_object_element(lv, k), "from_reg");
		g_assert_cmpint((gint64)n - reg_rows, ==, cases[i].refs);
		if (strcmp(cases[i].guest, "pae") == 0) {
			g_assert_cmpint(reg_rows, ==, 1);
			g_assert_cmpint(get_int(o, "pdpte_load_refs"), ==, 4);
		} else {
			g_assert_cmpint(reg_rows, ==, 0);
			g_assert_false(json_object_has_member(o, "pdpte_load_refs"));
		}
		/* Every level had A clear: a read sets A at each walked entry. */
		g_assert_cmpint(get_int(o, "ad_writes"), ==, cases[i].refs);
		json_object_unref(o);
	}
}

/* The defaults: 4level, 4k, a VA with nonzero indices at every level. */
static void test_defaults(void)
{
	JsonObject *o = walk_json("walk", "--synthetic", "--json", NULL);
	JsonArray *lv = json_object_get_array_member(o, "levels");

	g_assert_cmpstr(json_object_get_string_member(o, "mode"), ==, "4level");
	g_assert_cmpint(get_int(o, "refs"), ==, 4);
	g_assert_cmpuint(json_array_get_length(lv), ==, 4);
	for (guint k = 0; k < 4; k++) {
		JsonObject *l = json_array_get_object_element(lv, k);
		g_assert_cmpint(json_object_get_int_member(l, "level"), ==, 4 - k);
		g_assert_cmpint(json_object_get_int_member(l, "index"), !=, 0);
	}
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(lv, 0), "name"),
			==, "PML4E");
	/* CR0.PE|PG|WP, CR4.PAE, EFER.LME|LMA|NXE. */
	g_assert_cmphex(get_hex(o, "cr0"), ==, 0x80010001);
	g_assert_cmphex(get_hex(o, "cr4"), ==, 0x20);
	g_assert_cmphex(get_hex(o, "efer"), ==, 0xd00);
	g_assert_cmpstr(json_object_get_string_member(o, "perms"), ==, "WUX");
	json_object_unref(o);
}

/* PSE-36: a 4 MiB page above 4 GiB with MAXPHYADDR 40. PDE 0x301 of
 * 0xc0403abc holds PA bits 31:22 (0x34c00000) and 39:32 (0x12) in 20:13. */
static void test_pse36(void)
{
	JsonObject *o = WALK("--synthetic", "--guest", "2level-pse", "--page-size", "4m",
			     "--maxphyaddr", "40", "--va", "0xc0403abc", "--pa-base",
			     "0x1234c00000");
	JsonObject *pde = json_array_get_object_element(json_object_get_array_member(o, "levels"),
							0);

	g_assert_cmphex(get_hex(o, "pa"), ==, G_GUINT64_CONSTANT(0x1234c03abc));
	g_assert_cmpint(get_int(o, "refs"), ==, 1);
	g_assert_cmphex(get_hex(pde, "entry"), ==, 0x34c24087);
	g_assert_cmphex(get_hex(pde, "entry_addr"), ==, 0x100c04);
	g_assert_cmpint(get_int(pde, "index"), ==, 0x301);
	json_object_unref(o);
}

static void check_fault(JsonObject *o, gint64 vector, gint64 ec)
{
	JsonObject *f;

	g_assert_false(is_null(o, "fault"));
	f = json_object_get_object_member(o, "fault");
	g_assert_cmpint(get_int(f, "vector"), ==, vector);
	g_assert_cmpint(get_int(f, "error_code"), ==, ec);
	g_assert_true(is_null(o, "pa"));
	g_assert_true(is_null(o, "page_size"));
}

static void test_faults(void)
{
	JsonObject *o, *f;
	JsonArray *bits;

	/* A user write to a read-only user page: #PF, P|W|U. The leaf is not
	 * marked accessed; the three table entries above it are. */
	o = WALK("--synthetic", "--guest", "4level", "--leaf-flags", "p,us", "--access", "write",
		 "--cpl", "3");
	check_fault(o, 14, 0x7);
	f = json_object_get_object_member(o, "fault");
	bits = json_object_get_array_member(f, "error_bits");
	g_assert_cmpuint(json_array_get_length(bits), ==, 3);
	g_assert_cmpstr(json_array_get_string_element(bits, 0), ==, "P");
	g_assert_cmpstr(json_array_get_string_element(bits, 1), ==, "W");
	g_assert_cmpstr(json_array_get_string_element(bits, 2), ==, "U");
	g_assert_cmpint(get_int(f, "level"), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(f, "stage"), ==, "guest");
	g_assert_cmphex(get_hex(f, "addr"), ==, G_GUINT64_CONSTANT(0x7f1234567abc));
	g_assert_cmpint(get_int(o, "refs"), ==, 4);
	g_assert_cmpint(get_int(o, "ad_writes"), ==, 3);
	json_object_unref(o);

	/* The same page is writable by the supervisor once CR0.WP is clear. */
	o = WALK("--synthetic", "--leaf-flags", "p,us", "--access", "write", "--cr0", "-wp");
	g_assert_true(is_null(o, "fault"));
	g_assert_cmpint(get_int(o, "ad_writes"), ==, 4);
	json_object_unref(o);

	/* Not present at the leaf: error code 0 for a supervisor read (2-level). */
	o = WALK("--synthetic", "--guest", "2level", "--leaf-flags", "rw,us");
	check_fault(o, 14, 0);
	g_assert_cmpint(get_int(json_object_get_object_member(o, "fault"), "level"), ==, 1);
	json_object_unref(o);

	/* A fetch from an XD page with PAE: P|I. */
	o = WALK("--synthetic", "--guest", "pae", "--leaf-flags", "p,rw,us,xd", "--access",
		 "fetch");
	check_fault(o, 14, 0x11);
	json_object_unref(o);

	/* Non-canonical in 4-level is #GP(0) before any reference... */
	o = WALK("--synthetic", "--guest", "4level", "--va", "0x0000800000000000");
	check_fault(o, 13, 0);
	g_assert_cmpint(get_int(o, "refs"), ==, 0);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "levels")), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(o, "fault"),
						      "stage"),
			==, "linear");
	json_object_unref(o);
	/* ...but canonical in 5-level. */
	o = WALK("--synthetic", "--guest", "5level", "--va", "0x0000800000000000");
	g_assert_true(is_null(o, "fault"));
	g_assert_cmpint(get_int(o, "refs"), ==, 5);
	json_object_unref(o);
}

/* Every bad input: exit 2, nothing on stdout, exactly one line on stderr. */
static void test_errors(void)
{
	static const char *const cases[][12] = {
		{ "walk", "--synthetic", "--guest", "5level", "--no-la57" },
		{ "walk", "--synthetic", "--guest", "2level", "--cr4", "pae" },
		{ "walk", "--synthetic", "--guest", "2level", "--cr4", "pse" },
		{ "walk", "--synthetic", "--guest", "pae", "--efer", "lme" },
		{ "walk", "--synthetic", "--guest", "4level", "--cr4", "la57" },
		{ "walk", "--synthetic", "--guest", "4level", "--cr4", "-pae" },
		{ "walk", "--synthetic", "--guest", "bogus" },
		{ "walk", "--synthetic", "--va", "zzz" },
		{ "walk", "--synthetic", "--va", "0x1g2" },
		{ "walk", "--synthetic", "--va", "0x10000000000000000" },
		{ "walk", "--synthetic", "--guest", "pae", "--va", "0x100000000" },
		{ "walk", "--synthetic", "--guest", "2level", "--va", "0x100000000" },
		{ "walk", "--synthetic", "--guest", "nopaging", "--va", "0x100000000" },
		{ "walk", "--synthetic", "--page-size", "3k" },
		{ "walk", "--synthetic", "--guest", "2level", "--page-size", "4m" },
		{ "walk", "--synthetic", "--guest", "2level", "--page-size", "2m" },
		{ "walk", "--synthetic", "--guest", "4level", "--page-size", "4m" },
		{ "walk", "--synthetic", "--guest", "pae", "--page-size", "1g" },
		{ "walk", "--synthetic", "--guest", "4level", "--page-size", "1g", "--no-1g" },
		{ "walk", "--synthetic", "--guest", "nopaging", "--page-size", "2m" },
		{ "walk", "--synthetic", "--pa-base", "0x1800" },
		{ "walk", "--synthetic", "--guest", "2level", "--pa-base", "0x100000000" },
		{ "walk", "--synthetic", "--access", "exec" },
		{ "walk", "--synthetic", "--cpl", "4" },
		{ "walk", "--synthetic", "--implicit", "--access", "fetch" },
		{ "walk", "--synthetic", "--leaf-flags", "p,bogus" },
		{ "walk", "--synthetic", "--leaf-flags", "pk=16" },
		{ "walk", "--synthetic", "--guest", "2level", "--leaf-flags", "p,xd" },
		{ "walk", "--synthetic", "--maxphyaddr", "60" },
		{ "walk", "--synthetic", "--pkru", "0x100000000" },
		{ "walk", "--synthetic", "--cr3", "0x1000" },
		{ "walk", "--synthetic", "--frobnicate" },
		{ "walk", "--synthetic", "stray" },
		{ "walk", "--synthetic", "--va" },
		{ "walk" },
		{ "walk", "--synthetic", "--image", "/nonexistent" },
		{ "walk", "--image", "/nonexistent/image.bin", "--cr3", "0x1000" },
		{ "walk", "--image", "/dev/null", "--cr3", "0x1000" },
		{ "walk", "--image", TDPSIM_BIN },
		{ "walk", "--image", TDPSIM_BIN, "--cr3", "0x1000", "--page-size", "2m" },
		{ "frobnicate" },
		{ NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *const *a = cases[i];
		struct spawn_result r =
		    spawn_tdpsim(NULL, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
		gchar *joined = g_strjoinv(" ", (gchar **)a);

		g_test_message("tdpsim %s -> %d: %s", joined, r.status, r.err);
		g_assert_cmpint(r.status, ==, 2);
		g_assert_cmpstr(r.out, ==, "");
		g_assert_true(g_str_has_prefix(r.err, "tdpsim"));
		g_assert_nonnull(strstr(r.err, "error: "));
		g_assert_true(g_str_has_suffix(r.err, "\n"));
		g_assert_true(strchr(r.err, '\n') == r.err + strlen(r.err) - 1); /* one line */
		g_free(joined);
		spawn_free(&r);
	}
}

/* Error messages that must name what is wrong. */
static void test_error_text(void)
{
	struct spawn_result r = spawn_tdpsim(NULL, "walk", "--synthetic", "--guest", "2level", "--cr4", "pae", NULL);

	g_assert_cmpstr(r.err, ==, "tdpsim walk: error: --cr4 pae conflicts with --guest 2level\n");
	spawn_free(&r);
	r = spawn_tdpsim(NULL, "walk", "--synthetic", "--guest", "2level", "--cr4", "pse", NULL);
	g_assert_nonnull(strstr(r.err, "2level-pse"));
	spawn_free(&r);
	r = spawn_tdpsim(NULL, "walk", "--synthetic", "--guest", "5level", "--no-la57", NULL);
	g_assert_nonnull(strstr(r.err, "LA57"));
	spawn_free(&r);
}

/* --- hand-assembled images ------------------------------------------------ */

static gchar *tmpdir;

static gchar *write_image(const char *name, gsize size, const guint64 *pairs, gsize npairs,
			  unsigned entry_bytes)
{
	guint8 *img = g_malloc0(size);
	gchar *path = g_build_filename(tmpdir, name, NULL);
	GError *err = NULL;

	for (gsize i = 0; i < npairs; i++) {
		guint64 addr = pairs[2 * i], v = pairs[2 * i + 1];
		for (unsigned b = 0; b < entry_bytes; b++)
			img[addr + b] = (guint8)(v >> (8 * b));
	}
	if (!g_file_set_contents(path, (const gchar *)img, (gssize)size, &err))
		g_error("%s", err->message);
	g_free(img);
	return path;
}

static void test_image(void)
{
	/* 4-level, CR3 0x1000; 0x8040201abc has index 1 at every level.
	 * PML4E@0x1008 -> 0x2000, PDPTE@0x2008 -> 0x3000, PDE@0x3008 -> 0x4000,
	 * PTE@0x4008 -> frame 0x12345000 with A and D already set. */
	static const guint64 l4[] = {
		0x1008, 0x2007, 0x2008, 0x3007, 0x3008, 0x4007, 0x4008, 0x12345067,
	};
	/* PAE, CR3 0x1000: PDPTE 3 -> 0x2000 (P only), PDE 2 -> 0x3000,
	 * PTE 3 -> 0x55555000, for 0xc0403abc. */
	static const guint64 pae[] = { 0x1018, 0x2001, 0x2010, 0x3007, 0x3018, 0x55555007 };
	/* The same PDPT with R/W set in PDPTE 3: reserved, #GP(0) at CR3 load. */
	static const guint64 pae_bad[] = { 0x1018, 0x2003 };
	/* 2-level, CR3 0x1000: PDE 0x301@0x1c04 -> 0x2000, PTE 3@0x200c -> 0x7000. */
	static const guint64 l2[] = { 0x1c04, 0x2007, 0x200c, 0x7005 };
	/* 4-level whose PML4E points beyond the image. */
	static const guint64 out[] = { 0x1008, 0x900007 };
	gchar *p4 = write_image("l4.bin", 0x5000, l4, 4, 8);
	gchar *ppae = write_image("pae.bin", 0x4000, pae, 3, 8);
	gchar *pbad = write_image("pae_bad.bin", 0x4000, pae_bad, 1, 8);
	gchar *p2 = write_image("l2.bin", 0x3000, l2, 2, 4);
	gchar *pout = write_image("out.bin", 0x2000, out, 1, 8);
	JsonObject *o, *lvl;
	JsonArray *lv;
	struct spawn_result r;

	o = WALK("--image", p4, "--cr3", "0x1000", "--va", "0x8040201abc");
	g_assert_true(is_null(o, "fault"));
	g_assert_cmphex(get_hex(o, "pa"), ==, 0x12345abc);
	g_assert_cmpint(get_int(o, "refs"), ==, 4);
	g_assert_cmpint(get_int(o, "ad_writes"), ==, 3); /* the PTE had A set already */
	lv = json_object_get_array_member(o, "levels");
	lvl = json_array_get_object_element(lv, 3);
	g_assert_cmphex(get_hex(lvl, "entry_addr"), ==, 0x4008);
	g_assert_cmphex(get_hex(lvl, "entry"), ==, 0x12345067);
	g_assert_cmphex(get_hex(json_array_get_object_element(lv, 0), "table"), ==, 0x1000);
	json_object_unref(o);

	o = WALK("--image", ppae, "--cr3", "0x1000", "--guest", "pae", "--va", "0xc0403abc",
		 "--access", "write");
	g_assert_true(is_null(o, "fault"));
	g_assert_cmphex(get_hex(o, "pa"), ==, 0x55555abc);
	g_assert_cmpint(get_int(o, "refs"), ==, 2);
	g_assert_cmpint(get_int(o, "pdpte_load_refs"), ==, 4);
	lvl = json_array_get_object_element(json_object_get_array_member(o, "levels"), 0);
	g_assert_true(json_object_get_boolean_member(lvl, "from_reg"));
	g_assert_cmphex(get_hex(lvl, "entry"), ==, 0x2001);
	json_object_unref(o);

	o = WALK("--image", pbad, "--cr3", "0x1000", "--guest", "pae", "--va", "0xc0403abc");
	check_fault(o, 13, 0);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(o, "fault"),
						      "stage"),
			==, "pdpte-load");
	g_assert_cmpint(get_int(o, "refs"), ==, 0);
	json_object_unref(o);

	/* 2-level: the PTE is read-only (0x7005), a user read is fine. */
	o = WALK("--image", p2, "--cr3", "0x1000", "--guest", "2level", "--va", "0xc0403abc",
		 "--cpl", "3");
	g_assert_true(is_null(o, "fault"));
	g_assert_cmphex(get_hex(o, "pa"), ==, 0x7abc);
	g_assert_cmpint(get_int(o, "refs"), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(o, "perms"), ==, "UX");
	json_object_unref(o);

	r = spawn_tdpsim(NULL, "walk", "--image", pout, "--cr3", "0x1000", "--va", "0x8040201abc", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_cmpstr(r.out, ==, "");
	g_assert_cmpstr(r.err, ==,
			"tdpsim walk: error: walk read GPA 0x900008 outside the 8192-byte image\n");
	spawn_free(&r);

	for (gchar **p = (gchar *[]){ p4, ppae, pbad, p2, pout, NULL }; *p; p++) {
		g_unlink(*p);
		g_free(*p);
	}
}

static void test_text_and_help(void)
{
	struct spawn_result r = spawn_tdpsim(NULL, "walk", "--synthetic", "--guest", "pae", NULL);

	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.err, ==, "");
	g_assert_nonnull(strstr(r.out, "PDPTE"));
	g_assert_nonnull(strstr(r.out, "(register)"));
	g_assert_nonnull(strstr(r.out, "=> PA 0x000040000abc (4 KiB page"));
	g_assert_nonnull(strstr(r.out, "refs 2, A/D writes 2"));
	spawn_free(&r);

	r = spawn_tdpsim(NULL, "walk", "--synthetic", "--leaf-flags", "p,us", "--access", "write", "--cpl", "3",
		NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "=> #PF(0x7: P W U) at level 1"));
	spawn_free(&r);

	/* Deterministic: the same command prints the same bytes. */
	struct spawn_result a = spawn_tdpsim(NULL, "walk", "--synthetic", "--guest", "5level", "--json", NULL);
	struct spawn_result b = spawn_tdpsim(NULL, "walk", "--synthetic", "--guest", "5level", "--json", NULL);
	g_assert_cmpstr(a.out, ==, b.out);
	spawn_free(&a);
	spawn_free(&b);

	r = spawn_tdpsim(NULL, "--help", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "walk"));
	spawn_free(&r);
	r = spawn_tdpsim(NULL, "help", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "walk"));
	spawn_free(&r);
	r = spawn_tdpsim(NULL, "walk", "--help", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "--page-size"));
	spawn_free(&r);
}


/*
 * Issue 3's acceptance table: worst-case 2D references with 4 KiB pages in
 * both dimensions. First principles: each of the n guest levels read from
 * memory costs a host walk of m references plus the entry itself, and the
 * final GPA one more host walk: (n+1)(m+1)-1. PAE under NPT reads its PDPTE
 * through the nested tables every walk (n = 3); under EPT the PDPTE registers
 * are loaded at CR3 load (n = 2, and 4 x 5 load references reported apart).
 */
static void test_walk2d_refs(void)
{
	static const struct {
		const char *guest, *host;
		gint64 refs;
	} t[] = {
		{ "4level", "ept4", 24 }, { "4level", "npt4", 24 }, { "5level", "ept5", 35 },
		{ "5level", "ept4", 29 }, { "4level", "ept5", 29 }, { "2level", "npt4", 14 },
		{ "2level", "npt2", 8 },  { "pae", "npt4", 19 },    { "pae", "ept4", 14 },
		{ "nopaging", "ept4", 4 }, { "pae", "npt3", 15 },   { "2level-pse", "npt4", 14 },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(t); i++) {
		JsonObject *o = walk_json("walk", "--json", "--synthetic", "--guest", t[i].guest, "--host",
					  t[i].host, NULL);

		g_test_message("%s over %s", t[i].guest, t[i].host);
		g_assert_cmpint(json_object_get_int_member(o, "refs"), ==, t[i].refs);
		g_assert_true(json_object_get_null_member(o, "fault"));
		/* Guest memory sits 1 GiB up in host memory in the layout. */
		if (strcmp(t[i].guest, "nopaging") != 0)
			g_assert_cmpstr(json_object_get_string_member(o, "hpa"), ==, "0x80000abc");
		if (strcmp(t[i].guest, "pae") == 0 && strcmp(t[i].host, "ept4") == 0)
			g_assert_cmpint(json_object_get_int_member(o, "pdpte_load_refs"), ==, 20);
		json_object_unref(o);
	}
}

/* Large pages shorten the walk exactly: a 2 MiB host leaf drops one host
 * reference per host walk (5 walks: 24 - 5 = 19); a 1 GiB guest leaf drops
 * two guest levels (2 x 5 = 10: 24 - 10 = 14). */
static void test_walk2d_large(void)
{
	JsonObject *o = walk_json("walk", "--json", "--synthetic", "--guest", "4level", "--host", "npt4",
				  "--host-page-size", "2m", NULL);
	g_assert_cmpint(json_object_get_int_member(o, "refs"), ==, 19);
	json_object_unref(o);
	o = walk_json("walk", "--json", "--synthetic", "--guest", "4level", "--host", "ept4", "--page-size", "1g",
		      NULL);
	g_assert_cmpint(json_object_get_int_member(o, "refs"), ==, 14);
	json_object_unref(o);
}

/* TDX: a shared final page is reached through its shared alias (bit 47 or
 * 51 of the GPA) and lands on the same memory-slot page as the private
 * alias would: the shared bit is not part of the GFN. */
static void test_walk2d_tdx(void)
{
	JsonObject *o = walk_json("walk", "--json", "--synthetic", "--gpaw", "52", "--shared", NULL);
	g_assert_cmpstr(json_object_get_string_member(o, "shared_bit"), ==, "0x8000000000000");
	g_assert_cmpstr(json_object_get_string_member(o, "pa"), ==, "0x8000040000abc");
	g_assert_cmpstr(json_object_get_string_member(o, "hpa"), ==, "0x80000abc");
	g_assert_cmpint(json_object_get_int_member(o, "refs"), ==, 29);
	json_object_unref(o);
	o = walk_json("walk", "--json", "--synthetic", "--gpaw", "48", NULL);
	g_assert_cmpstr(json_object_get_string_member(o, "pa"), ==, "0x40000abc");
	g_assert_cmpstr(json_object_get_string_member(o, "hpa"), ==, "0x80000abc");
	json_object_unref(o);
}


/*
 * Every guest x host combination walks, with (n+1)(m+1)-1 references from
 * first principles: n guest levels read from memory (PAE: 3 under NPT,
 * which reads the PDPTE every walk; 2 under EPT and without a host, which
 * use the PDPTE registers), m host levels (0 without a host).
 */
static void test_walk2d_all_combinations(void)
{
	static const struct {
		const char *name;
		int n, n_pae_npt;
	} guests[] = {
		{ "nopaging", 0, 0 }, { "2level", 2, 2 }, { "2level-pse", 2, 2 },
		{ "pae", 2, 3 },      { "4level", 4, 4 }, { "5level", 5, 5 },
	};
	static const struct {
		const char *name;
		int m;
		bool npt;
	} hosts[] = {
		{ "none", 0, false }, { "npt2", 2, true }, { "npt3", 3, true }, { "npt4", 4, true },
		{ "npt5", 5, true },  { "ept4", 4, false }, { "ept5", 5, false },
	};

	for (unsigned g = 0; g < G_N_ELEMENTS(guests); g++) {
		for (unsigned h = 0; h < G_N_ELEMENTS(hosts); h++) {
			int n = hosts[h].npt ? guests[g].n_pae_npt : guests[g].n;
			JsonObject *o = walk_json("walk", "--json", "--synthetic", "--guest",
						  guests[g].name, "--host", hosts[h].name, NULL);

			g_test_message("%s over %s", guests[g].name, hosts[h].name);
			g_assert_cmpint(json_object_get_int_member(o, "refs"), ==,
					(n + 1) * (hosts[h].m + 1) - 1);
			g_assert_true(json_object_get_null_member(o, "fault"));
			json_object_unref(o);
		}
	}
}

/*
 * The host and page-size options follow one rule in `walk` and `synth`
 * (cli_parse_page_size, host_dim_parse): the same input gets the same
 * message from both, worded as below (docs/cli-walk.md, docs/cli-synth.md).
 */
static const char *const synth_args[] = { "--pattern", "random", "--pages", "16", "--accesses",
					  "16" };

/* `tdpsim CMD <the command's own first arguments> ARGS...` (at most 6). */
static struct spawn_result run_both(bool synth, const char *const *a)
{
	const char *v[14] = { 0 };
	unsigned n = 0;

	if (synth)
		for (unsigned i = 0; i < G_N_ELEMENTS(synth_args); i++)
			v[n++] = synth_args[i];
	else
		v[n++] = "--synthetic";
	for (; *a; a++)
		v[n++] = *a;
	return spawn_tdpsim(synth ? "synth" : "walk", v[0], v[1], v[2], v[3], v[4], v[5], v[6],
			    v[7], v[8], v[9], v[10], v[11], v[12], NULL);
}

static void test_rules_shared_with_synth(void)
{
	static const struct {
		const char *args[7];
		const char *msg;
	} t[] = {
		{ { "--page-size", "3k" }, "--page-size 3k: expected 4k, 2m, 4m or 1g" },
		{ { "--page-size", "0x3000" }, "--page-size 0x3000: expected 4k, 2m, 4m or 1g" },
		{ { "--page-size", "2mb" }, "--page-size 2mb: expected 4k, 2m, 4m or 1g" },
		{ { "--host", "npt4", "--host-page-size", "3k" },
		  "--host-page-size 3k: expected 4k, 2m, 4m or 1g" },
		{ { "--host", "npt3", "--host-page-size", "1g" },
		  "--host-page-size 1g: --host npt3 has no such leaf (1 GiB pages need 4- or "
		  "5-level tables)" },
		{ { "--host", "npt4", "--host-page-size", "4194304" },
		  "--host-page-size 4194304: --host npt4 has no such leaf (4 MiB pages exist only "
		  "in 2-level tables (npt2))" },
		{ { "--host-page-size", "2m" }, "--host-page-size needs --host" },
		{ { "--host", "none", "--host-page-size", "2m" }, "--host-page-size needs --host" },
		{ { "--host", "ept9" },
		  "--host ept9: expected none, npt2, npt3, npt4, npt5, ept4 or ept5" },
		{ { "--gpaw", "47" }, "--gpaw 47: expected 48 or 52" },
		{ { "--gpaw", "48", "--host", "ept5" },
		  "--gpaw 48 needs --host ept4 (TDX: GPAW 48 uses 4-level secure and shared EPTs, "
		  "GPAW 52 5-level)" },
		{ { "--gpaw", "52", "--host", "none" },
		  "--gpaw 52 needs --host ept5 (TDX: GPAW 48 uses 4-level secure and shared EPTs, "
		  "GPAW 52 5-level)" },
		{ { "--gpaw", "52", "--host-page-size", "2M" },
		  "--gpaw: the TDX model maps 4 KiB host pages only" },
		{ { "--gpaw", "48", "--host-page-size", "4x" },
		  "--host-page-size 4x: expected 4k, 2m, 4m or 1g" },
		{ { "--shared" }, "--shared needs --gpaw 48|52 (TDX)" },
		{ { "--shared", "--host", "ept4" }, "--shared needs --gpaw 48|52 (TDX)" },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(t); i++)
		for (int synth = 0; synth < 2; synth++) {
			struct spawn_result r = run_both(synth, t[i].args);
			gchar *want = g_strdup_printf("tdpsim %s: error: %s\n",
						      synth ? "synth" : "walk", t[i].msg);

			g_assert_cmpint(r.status, ==, 2);
			g_assert_cmpstr(r.out, ==, "");
			g_assert_cmpstr(r.err, ==, want);
			g_free(want);
			spawn_free(&r);
		}
}

/* Every spelling of a size cli_parse_u64() reads as that size is that
 * size, in both commands: the output is the canonical spelling's, byte for
 * byte (and walk's 2 MiB leaf is 3 references: SDM Vol. 3A 4.5). */
static void test_size_spellings(void)
{
	static const struct {
		const char *opt, *canon, *alt[4];
		const char *extra[3];
	} t[] = {
		{ "--page-size", "2m", { "2M", "2097152", "0x200000", "2048k" }, { NULL } },
		{ "--page-size", "4k", { "4K", "4096", "0x1000", NULL }, { NULL } },
		{ "--host-page-size", "2m", { "2M", "2097152", NULL }, { "--host", "ept4" } },
		{ "--host-page-size", "4k", { "4K", "4096", NULL }, { "--gpaw", "48" } },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(t); i++)
		for (int synth = 0; synth < 2; synth++) {
			const char *a[7] = { "--json", t[i].opt, t[i].canon, t[i].extra[0],
					     t[i].extra[1] };
			struct spawn_result c = run_both(synth, a);

			g_assert_cmpint(c.status, ==, 0);
			g_assert_cmpstr(c.err, ==, "");
			if (!synth && strcmp(t[i].canon, "2m") == 0 && !t[i].extra[0])
				g_assert_nonnull(strstr(c.out, "\"refs\" : 3,"));
			for (unsigned k = 0; k < 4 && t[i].alt[k]; k++) {
				struct spawn_result r;

				a[2] = t[i].alt[k];
				r = run_both(synth, a);
				g_test_message("%s %s %s", synth ? "synth" : "walk", t[i].opt,
					       t[i].alt[k]);
				g_assert_cmpint(r.status, ==, 0);
				g_assert_cmpstr(r.out, ==, c.out);
				spawn_free(&r);
			}
			spawn_free(&c);
		}
}

/* --config and --set read the same in both commands' help (CLI_CONFIG_ENTRIES);
 * only what the model is without --config differs. */
static void test_config_help(void)
{
	static const char set_line[] = "  --set=GROUP.KEY=VALUE     Override a CPU-model key "
				       "(repeatable; on --config, or on icelake-sp without it)\n";
	struct spawn_result w = spawn_tdpsim("walk", "--help", NULL);
	struct spawn_result s = spawn_tdpsim("synth", "--help", NULL);

	g_assert_cmpint(w.status, ==, 0);
	g_assert_cmpint(s.status, ==, 0);
	g_assert_nonnull(strstr(w.out, set_line));
	g_assert_nonnull(strstr(s.out, set_line));
	g_assert_nonnull(strstr(w.out, "  --config=FILE|NAME        CPU model: a file, or a name in "
				       "configs/ (default: every feature, MAXPHYADDR 46)\n"));
	g_assert_nonnull(strstr(s.out, "  --config=FILE|NAME        CPU model: a file, or a name in "
				       "configs/ (default: icelake-sp)\n"));
	spawn_free(&w);
	spawn_free(&s);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("tdpsim-walk-XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	g_test_add_func("/cli/walk/refs", test_refs);
	g_test_add_func("/cli/walk/defaults", test_defaults);
	g_test_add_func("/cli/walk/pse36", test_pse36);
	g_test_add_func("/cli/walk/faults", test_faults);
	g_test_add_func("/cli/walk/errors", test_errors);
	g_test_add_func("/cli/walk/error-text", test_error_text);
	g_test_add_func("/cli/walk/image", test_image);
	g_test_add_func("/cli/walk/text-and-help", test_text_and_help);
	g_test_add_func("/walk2d/refs", test_walk2d_refs);
	g_test_add_func("/walk2d/all-combinations", test_walk2d_all_combinations);
	g_test_add_func("/walk2d/large", test_walk2d_large);
	g_test_add_func("/walk2d/tdx", test_walk2d_tdx);
	g_test_add_func("/cli/options/rules-shared-with-synth", test_rules_shared_with_synth);
	g_test_add_func("/cli/options/size-spellings", test_size_spellings);
	g_test_add_func("/cli/options/config-help", test_config_help);
	rc = g_test_run();
	g_rmdir(tmpdir);
	g_free(tmpdir);
	return rc;
}
