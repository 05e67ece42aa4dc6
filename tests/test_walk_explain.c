/*
 * `tdpsim walk` explanations, end to end (spawns the built binary):
 *
 * - the words for an access-rights #PF name the rule(s) that refused it,
 *   every cause when there are several (SDM Vol. 3A 4.6: a user-mode write
 *   needs U/S=1 and R/W=1 at every level; SMEP, SMAP and CR0.WP govern
 *   supervisor-mode accesses; the PK error bit a key denial, 4.7);
 * - a PAE guest under EPT: the PDPTE load at CR3 load is drawn, one row per
 *   PDPTE: each of the 4 is a 4-level EPT walk (4 reads) then the PDPTE
 *   read, 4 x (4 + 1) = 20 references, numbered 1..20 in that order; under
 *   NPT there is no such load (AMD reads the PDPTE in every walk, APM Vol.
 *   2 15.25.10), so no section;
 * - --shared refused for guests whose physical addresses cannot reach the
 *   TDX shared bit (GPA bit GPAW-1), naming that rule;
 * - --config/--set give the CPU model (its features, its MAXPHYADDR).
 */
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "spawn.h"

/* The one "=> ..." line of a text walk that must exit 0. */
static gchar *result_line(struct spawn_result *r)
{
	const char *p;

	if (r->status != 0)
		g_error("tdpsim walk exited %d: %s", r->status, r->err);
	p = strstr(r->out, "\n=> ");
	g_assert_nonnull(p);
	return g_strndup(p + 1, strcspn(p + 1, "\n"));
}

static void test_deny_words(void)
{
	static const struct {
		const char *args[12];
		const char *want; /* the line's "why", all of it */
	} cases[] = {
	    {{"--leaf-flags", "p,us", "--access", "write", "--cpl", "3"},
	     ": user-mode write to a read-only page (R/W=0 at some level); CR2"},
	    {{"--leaf-flags", "p,rw", "--cpl", "3"},
	     ": user-mode access to a supervisor-mode page (U/S=0 at some level); CR2"},
	    /* Both rules refuse: U/S=0 and R/W=0, so both are named. */
	    {{"--leaf-flags", "p", "--access", "write", "--cpl", "3"},
	     ": user-mode access to a supervisor-mode page (U/S=0 at some level); "
	     "user-mode write to a read-only page (R/W=0 at some level); CR2"},
	    {{"--leaf-flags", "p,us,xd", "--access", "fetch", "--cpl", "3"},
	     ": fetch from a no-execute page (XD=1 at some level); CR2"},
	    {{"--leaf-flags", "p,rw,us", "--access", "fetch", "--cr4", "smep"},
	     ": SMEP: supervisor-mode fetch from a user-mode page; CR2"},
	    /* XD and SMEP both refuse a supervisor fetch from an XD user page. */
	    {{"--leaf-flags", "p,rw,us,xd", "--access", "fetch", "--cr4", "smep"},
	     ": SMEP: supervisor-mode fetch from a user-mode page; "
	     "fetch from a no-execute page (XD=1 at some level); CR2"},
	    {{"--leaf-flags", "p,rw,us", "--cr4", "smap"},
	     ": SMAP: supervisor-mode access to a user-mode page with EFLAGS.AC=0; CR2"},
	    {{"--leaf-flags", "p,rw,us", "--cpl", "3", "--implicit", "--cr4", "smap", "--ac"},
	     ": SMAP: implicit supervisor-mode access to a user-mode page; CR2"},
	    {{"--leaf-flags", "p", "--access", "write"},
	     ": supervisor-mode write to a read-only page with CR0.WP=1; CR2"},
	    {{"--leaf-flags", "p,rw,us,pk=3", "--cr4", "pke", "--pkru", "0xc0", "--cpl", "3"},
	     ": protection key 3 denies the read (PKRU); CR2"},
	    {{"--leaf-flags", "p,us,pk=3", "--cr4", "pke", "--pkru", "0x80", "--cpl", "3",
	      "--access", "write"},
	     ": user-mode write to a read-only page (R/W=0 at some level); "
	     "protection key 3 denies the write (PKRU); CR2"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *const *a = cases[i].args;
		struct spawn_result r =
		    spawn_tdpsim("walk", "--synthetic", a[0], a[1], a[2], a[3], a[4], a[5], a[6],
				 a[7], a[8], a[9], a[10], a[11], NULL);
		gchar *line = result_line(&r);

		g_test_message("%s", line);
		g_assert_true(g_str_has_prefix(line, "=> #PF("));
		g_assert_nonnull(strstr(line, cases[i].want));
		g_free(line);
		spawn_free(&r);
	}
	/* Not an access-rights fault: CR0.WP=0 lets the supervisor write. */
	struct spawn_result r = spawn_tdpsim("walk", "--synthetic", "--leaf-flags", "p", "--access",
					     "write", "--cr0", "-wp", NULL);
	gchar *line = result_line(&r);

	g_assert_true(g_str_has_prefix(line, "=> PA 0x"));
	g_free(line);
	spawn_free(&r);
}

/* The row of the PDPTE-load section that starts with @label, or NULL. */
static gchar **grid_row(const char *text, const char *label)
{
	gchar **lines = g_strsplit(text, "\n", -1), **cells = NULL;

	for (unsigned i = 0; lines[i] && !cells; i++)
		if (g_str_has_prefix(lines[i], label)) {
			gchar *rest = g_strdelimit(g_strdup(lines[i] + strlen(label)), "|", ' ');

			cells = g_strsplit_set(g_strstrip(rest), " ", -1);
			g_free(rest);
		}
	g_strfreev(lines);
	return cells;
}

static void test_pdpte_grid(void)
{
	struct spawn_result r =
	    spawn_tdpsim("walk", "--synthetic", "--guest", "pae", "--host", "ept4", NULL);
	unsigned n = 1;

	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "PDPTE load at CR3 load"));
	for (unsigned p = 0; p < 4; p++) {
		gchar *label = g_strdup_printf("PDPTE %u ", p);
		gchar **cells = grid_row(r.out, label);
		unsigned got = 0;

		g_assert_nonnull(cells);
		/* 4 EPT levels, then the guest PDPTE: n .. n+4. */
		for (unsigned k = 0; cells[k]; k++) {
			if (!*cells[k])
				continue;
			g_assert_cmpuint(g_ascii_strtoull(cells[k], NULL, 10), ==, n);
			n++, got++;
		}
		g_assert_cmpuint(got, ==, 5);
		g_strfreev(cells);
		g_free(label);
	}
	g_assert_cmpuint(n, ==, 21);
	g_assert_null(grid_row(r.out, "PDPTE 4 "));
	g_assert_nonnull(strstr(r.out, "PDPTE load refs 20 (guest entries 4, host entries 16)\n"));
	spawn_free(&r);

	/* The JSON count agrees. */
	r = spawn_tdpsim("walk", "--synthetic", "--guest", "pae", "--host", "ept4", "--json", NULL);
	JsonObject *o = spawn_json_object(&r, "tdpsim walk");

	g_assert_cmpint(json_object_get_int_member(o, "pdpte_load_refs"), ==, 20);
	json_object_unref(o);
	spawn_free(&r);

	/* NPT: no load at CR3 load, no section. */
	r = spawn_tdpsim("walk", "--synthetic", "--guest", "pae", "--host", "npt3", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_null(strstr(r.out, "PDPTE load"));
	spawn_free(&r);
}

static void test_shared_rule(void)
{
	static const struct {
		const char *guest, *gpaw, *host, *bit, *why;
	} cases[] = {
	    {"2level", "48", "ept4", "GPA bit 47", "32-bit paging"},
	    {"2level-pse", "52", "ept5", "GPA bit 51", "32-bit paging"},
	    {"nopaging", "48", "ept4", "GPA bit 47", "32-bit linear address"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct spawn_result r =
		    spawn_tdpsim("walk", "--synthetic", "--guest", cases[i].guest, "--gpaw",
				 cases[i].gpaw, "--host", cases[i].host, "--shared", NULL);
		gchar *prefix = g_strdup_printf("tdpsim walk: error: --shared: --guest %s cannot "
						"reach the TDX shared bit (%s): ",
						cases[i].guest, cases[i].bit);

		g_assert_cmpint(r.status, ==, 2);
		g_assert_cmpstr(r.out, ==, "");
		g_assert_true(g_str_has_prefix(r.err, prefix));
		g_assert_nonnull(strstr(r.err, cases[i].why));
		g_assert_true(strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
		g_free(prefix);
		spawn_free(&r);
	}
	/* PAE entries are 8 bytes: the shared alias works. */
	struct spawn_result r =
	    spawn_tdpsim("walk", "--synthetic", "--guest", "pae", "--gpaw", "48", "--shared", NULL);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_nonnull(strstr(r.out, "final page shared (shared EPT)"));
	spawn_free(&r);
}

static void test_config(void)
{
	gchar *cfg = g_build_filename(TDPSIM_SOURCE_DIR, "configs", "skylake-sp.ini", NULL);
	struct spawn_result r =
	    spawn_tdpsim("walk", "--synthetic", "--json", "--set", "cpu.maxphyaddr=40", NULL);
	JsonObject *o = spawn_json_object(&r, "tdpsim walk --set");

	g_assert_cmpint(json_object_get_int_member(o, "maxphyaddr"), ==, 40);
	json_object_unref(o);
	spawn_free(&r);

	/* Skylake-SP has no LA57 (configs/skylake-sp.ini lists its features). */
	r = spawn_tdpsim("walk", "--synthetic", "--config", cfg, "--guest", "5level", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "LA57"));
	spawn_free(&r);
	r = spawn_tdpsim("walk", "--synthetic", "--config", "skylake-sp", "--guest", "4level",
			 NULL);
	g_assert_cmpint(r.status, ==, 0);
	spawn_free(&r);

	r = spawn_tdpsim("walk", "--synthetic", "--config", "no-such-model", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_cmpstr(r.err, ==,
			"tdpsim walk: error: --config no-such-model: no such file, "
			"and no configs/no-such-model.ini\n");
	spawn_free(&r);
	/* A path is only a path: no configs/ name is made of it. */
	r = spawn_tdpsim("walk", "--synthetic", "--config", "/nonexistent.ini", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_cmpstr(r.err, ==, "tdpsim walk: error: --config /nonexistent.ini: no such file\n");
	spawn_free(&r);
	r = spawn_tdpsim("walk", "--synthetic", "--config", "no-such-model.ini", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_cmpstr(r.err, ==,
			"tdpsim walk: error: --config no-such-model.ini: no such file, "
			"and no configs/no-such-model.ini\n");
	spawn_free(&r);
	/* A device is not a config (reading /dev/zero whole would not end). */
	r = spawn_tdpsim("walk", "--synthetic", "--config", "/dev/zero", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_cmpstr(r.err, ==, "tdpsim walk: error: --config /dev/zero: not a regular file\n");
	spawn_free(&r);
	r = spawn_tdpsim("walk", "--synthetic", "--set", "cpu.frob=1", NULL);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "cpu.frob"));
	g_assert_true(strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
	spawn_free(&r);
	g_free(cfg);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cli/walk/deny-words", test_deny_words);
	g_test_add_func("/cli/walk/pdpte-grid", test_pdpte_grid);
	g_test_add_func("/cli/walk/shared-rule", test_shared_rule);
	g_test_add_func("/cli/walk/config", test_config);
	return g_test_run();
}
