/*
 * The shadow MMU and its root-caching strategies, end to end through
 * `tdpsim compare --json`, against counts worked out from first
 * principles (the LRU root cache over a known CR3 sequence) and the rules
 * the seeds state:
 * - 3 address spaces round-robin: a cache of the current root plus 3
 *   previous ones holds all three, so after the first visit of each every
 *   switch hits, unless the root is special (32-bit guests under the KVM
 *   strategies: freed on every switch, seed 000/004);
 * - KPTI, 3 processes, 6 CR3s: each switch writes a->kernel, b->kernel,
 *   b->user; with 4 cached roots only the first (a's kernel root, used two
 *   writes before) hits, the other two have 4 and 5 distinct roots in
 *   between; 12 cached roots hold all 6;
 * - the audit (every shadow fill against the guest's own walk) finds no
 *   mismatch in any guest mode, with and without unsync, with PTE writes;
 * - seed 000's table, its 32-bit-host TDP row included: which roots are
 *   special or promoted per strategy
 *   (promoted: seed 000's condition shadow_root_level > root_level).
 * (The direct row runs with paging off: CR3 names no root there.)
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "spawn.h"

static JsonObject *compare_json(const char *first, ...)
{
	struct spawn_result r;
	JsonObject *o;
	va_list ap;

	va_start(ap, first);
	r = spawn_tdpsim_v("compare", first, ap);
	va_end(ap);
	o = spawn_json_object(&r, "tdpsim compare");
	spawn_free(&r);
	return o;
}

/* The object of strategy @name under "strategies". */
static JsonObject *strat(JsonObject *o, const char *name)
{
	JsonArray *a = json_object_get_array_member(o, "strategies");

	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *s = json_array_get_object_element(a, i);

		if (strcmp(json_object_get_string_member(s, "strategy"), name) == 0)
			return s;
	}
	g_error("no strategy %s in the output", name);
}

#define I spawn_json_int
#define D spawn_json_double

/* 30000 accesses, a switch every 100: 299 switches over 3 roots. The
 * model starts on process 0's root, so processes 1 and 2 miss once. */
static void test_round_robin(void)
{
	const char *modes[] = { "2level", "2level-pse", "pae", "4level", "5level" };

	for (unsigned i = 0; i < G_N_ELEMENTS(modes); i++) {
		JsonObject *o = compare_json("--strategy", "kvm-5.15", "--strategy", "kvm-6.1",
					     "--strategy", "pae-root-pages", "--guest", modes[i],
					     "--processes", "3", "--switch-every", "100",
					     "--accesses", "30000", "--pages", "200", "--audit",
					     "--json", NULL);
		bool is32 = i < 3;

		for (unsigned k = 0; k < 3; k++) {
			const char *n = k == 0 ? "kvm-5.15" : k == 1 ? "kvm-6.1" : "pae-root-pages";
			JsonObject *s = strat(o, n);

			g_assert_cmpint(I(s, "root_switches"), ==, 299);
			g_assert_cmpint(I(s, "audit_mismatches"), ==, 0);
			g_assert_cmpint(I(s, "audit_checks"), >, 0);
			if (is32 && k < 2) {
				/* Special PAE root: freed and rebuilt at every switch. */
				g_assert_cmpint(I(s, "fast_switch_hits"), ==, 0);
				g_assert_cmpint(I(s, "root_misses"), ==, 299);
				g_assert_cmpint(I(s, "roots_freed"), ==, 299);
				g_assert_cmpint(I(s, "special_roots_built"), >=, 300);
			} else {
				g_assert_cmpint(I(s, "root_misses"), ==, 2);
				g_assert_cmpint(I(s, "prev_roots_hits"), ==, 297);
				g_assert_cmpint(I(s, "roots_freed"), ==, 0);
				g_assert_cmpfloat(D(s, "fast_switch_hit_rate"), >, 0.9);
			}
		}
		json_object_unref(o);
	}
}

/* KPTI: 999 switches, 3 CR3 writes each. The model starts on process 0's
 * user root. prev=3: every kernel entry hits except the very first (its
 * kernel root does not exist yet): 998 hits, 1999 misses; each miss
 * frees the LRU root, except while the cache fills (3 slots). prev=11: one
 * miss per root not yet built (5). */
static void test_kpti(void)
{
	JsonObject *o = compare_json("--strategy", "prev=3", "--strategy", "prev=11",
				     "--strategy", "kvm-5.15", "--guest", "4level", "--processes",
				     "3", "--kpti", "--switch-every", "100", "--accesses", "100000",
				     "--pages", "200", "--audit", "--json", NULL);
	JsonObject *p3 = strat(o, "prev=3"), *p11 = strat(o, "prev=11"), *k = strat(o, "kvm-5.15");

	g_assert_cmpint(I(p3, "root_switches"), ==, 2997);
	g_assert_cmpint(I(p3, "fast_switch_hits"), ==, 998);
	g_assert_cmpint(I(p3, "root_misses"), ==, 1999);
	g_assert_cmpint(I(p3, "roots_freed"), ==, 1999 - 3);
	g_assert_cmpint(I(p11, "root_misses"), ==, 5);
	g_assert_cmpint(I(p11, "roots_freed"), ==, 0);
	g_assert_cmpfloat(D(p11, "fast_switch_hit_rate"), >=, 0.95);
	/* kvm-5.15 is prev=3 for a 4-level guest. */
	g_assert_cmpint(I(k, "root_misses"), ==, I(p3, "root_misses"));
	g_assert_cmpint(I(p3, "audit_mismatches") + I(p11, "audit_mismatches"), ==, 0);
	json_object_unref(o);
}

/* Every guest mode, PTE writes (write-protection exits or unsync), the
 * audit finds nothing; with write protection every PTE write is an
 * emulated exit, with unsync none is and the leaf pages are synced. */
static void test_audit_modes(void)
{
	const char *modes[] = { "nopaging", "2level", "2level-pse", "pae", "4level", "5level" };

	for (unsigned i = 0; i < G_N_ELEMENTS(modes); i++)
		for (unsigned u = 0; u < 2; u++) {
			JsonObject *o = compare_json(
				"--strategy", "kvm-6.1", "--guest", modes[i], "--processes", "3",
				"--switch-every", "200", "--pte-writes", "50", "--accesses", "20000",
				"--pages", "300", "--audit", u ? "--unsync" : "--audit", "--json", NULL);
			JsonObject *s = strat(o, "kvm-6.1");

			g_assert_cmpint(I(s, "audit_mismatches"), ==, 0);
			/* Fills through an unsync leaf page are not audited
			 * (they may lag the guest until it invalidates): with
			 * --unsync the user pages' leaves are unsync most of
			 * the time, about 650 of the fills stay checked. */
			g_assert_cmpint(I(s, "audit_checks"), >, u ? 500 : 1000);
			if (i > 0 && !u) {
				/* 399 PTE writes, each through the read-only
				 * direct-map alias of a shadowed guest page
				 * table, except the first of processes 1 and 2:
				 * it comes right at their first switch-in
				 * (access 200, 400), before any of their user
				 * accesses had their page table shadowed. */
				g_assert_cmpint(I(s, "wp_exits"), ==, 397);
				g_assert_cmpint(I(s, "emulations"), ==, 397);
				g_assert_cmpint(I(s, "sp_unsynced"), ==, 0);
			} else if (i > 0) {
				g_assert_cmpint(I(s, "wp_exits"), ==, 0);
				g_assert_cmpint(I(s, "sp_unsynced"), >, 0);
				g_assert_cmpint(I(s, "sp_synced"), >, 0);
			}
			g_assert_cmpint(I(s, "exits.invlpg"), ==, i > 0 ? 399 : 0);
			json_object_unref(o);
		}
}

/* Seed 000: under the KVM strategies the 32-bit cases have special roots
 * (and never hit); under pae-root-pages none is special and all hit; the
 * 4-level NPT under a 5-level L0 is promoted, backed by a page, and hits
 * under every strategy. */
static void test_seed000(void)
{
	JsonObject *o = compare_json("--strategy", "kvm-5.15", "--strategy", "kvm-6.1",
				     "--strategy", "pae-root-pages", "--accesses", "100",
				     "--root-table", "--json", NULL);
	JsonArray *rows = json_object_get_array_member(o, "roots");

	g_assert_cmpint(json_array_get_length(rows), ==, 16);
	for (guint i = 0; i < json_array_get_length(rows); i++) {
		JsonObject *row = json_array_get_object_element(rows, i);
		const char *c = json_object_get_string_member(row, "case");
		JsonArray *st = json_object_get_array_member(row, "strategies");
		bool ordinary = strstr(c, "4-level guest") || strstr(c, "promoted");

		for (guint k = 0; k < 3; k++) {
			JsonObject *s = json_array_get_object_element(st, k);
			bool special = json_object_get_boolean_member(s, "special");
			double rate;

			if (strstr(c, "direct NPT")) {
				/* TDP under a PAE-format NPT: KVM's pae_root, a
				 * page only under pae-root-pages; direct, not
				 * promoted; CR3 writes do not exit (no rate). */
				g_assert_true(special == (k < 2));
				g_assert_false(json_object_get_boolean_member(s, "promoted"));
				g_assert_true(json_object_get_null_member(s, "fast_switch_hit_rate"));
				g_assert_nonnull(strstr(json_object_get_string_member(s, "root"),
							"pae_root("));
				continue;
			}
			rate = json_object_get_double_member(s, "fast_switch_hit_rate");

			if (ordinary || k == 2) {
				g_assert_false(special);
				g_assert_cmpfloat(rate, >, 0.9);
			} else {
				g_assert_true(special);
				/* Paging off: CR3 does not name the root, every
				 * CR3 write keeps the current (direct) one. */
				g_assert_cmpfloat(rate, ==, strstr(c, "direct") ? 1 : 0);
			}
			/* Seed 000's level promotion, shadow_root_level >
			 * root_level && !direct_map, whatever the strategy:
			 * a 2-level guest or L1 under a PAE (or longer)
			 * shadow, a 32-bit L1 under a 64-bit L0, a 4-level L1
			 * under a 5-level L0. */
			g_assert_true(json_object_get_boolean_member(s, "promoted") ==
				      (strstr(c, "gCR4_PSE") || strstr(c, "gPSE") ||
				       strstr(c, "hLMA=1")));
		}
	}
	json_object_unref(o);
}

/* Same input, same bytes; a strategy changes no guest-visible count. */
static void test_deterministic(void)
{
	struct spawn_result a = spawn_tdpsim("compare", "--strategy", "kvm-5.15", "--strategy",
					     "none", "--guest", "pae", "--processes", "2",
					     "--switch-every", "50", "--accesses", "5000", "--json",
					     NULL);
	struct spawn_result b = spawn_tdpsim("compare", "--strategy", "kvm-5.15", "--strategy",
					     "none", "--guest", "pae", "--processes", "2",
					     "--switch-every", "50", "--accesses", "5000", "--json",
					     NULL);

	g_assert_cmpint(a.status, ==, 0);
	g_assert_cmpstr(a.out, ==, b.out);
	spawn_free(&a);
	spawn_free(&b);
}

static void bad(const char *what, const char *first, ...)
{
	struct spawn_result r;
	va_list ap;

	va_start(ap, first);
	r = spawn_tdpsim_v("compare", first, ap);
	va_end(ap);
	g_assert_cmpint(r.status, ==, 2);
	g_assert_nonnull(strstr(r.err, "tdpsim compare:"));
	g_assert_cmpint((int)(strchr(r.err, '\n') - r.err) + 1, ==, (int)strlen(r.err));
	g_assert_cmpstr(r.out, ==, "");
	(void)what;
	spawn_free(&r);
}

static void test_bad_input(void)
{
	bad("no strategy", "--guest", "pae", NULL);
	bad("unknown", "--strategy", "kvm-4.0", NULL);
	bad("prev too big", "--strategy", "prev=1000", NULL);
	bad("64-bit L1 on 32-bit L0", "--strategy", "kvm-6.1", "--hv", "nested", "--l1", "4level",
	    "--l0-levels", "3", NULL);
	bad("kpti nested", "--strategy", "kvm-6.1", "--hv", "nested", "--kpti", NULL);
	bad("two outputs", "--strategy", "kvm-6.1", "--json", "--csv", NULL);
	bad("l1 without nested", "--strategy", "kvm-6.1", "--l1", "pae", NULL);
}

/* `synth --processes`: the timing model sees every CR3 write as a flush
 * (no PCIDs): 299 switches; with KPTI 3 CR3 writes each; every PTE write
 * is followed by one INVLPG (399 of them). */
static void test_synth_processes(void)
{
	struct spawn_result r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "200",
					     "--accesses", "30000", "--processes", "3",
					     "--switch-every", "100", "--json", NULL);
	JsonObject *o = spawn_json_object(&r, "tdpsim synth --processes");

	g_assert_cmpint(I(o, "flushes.cr3"), ==, 299);
	json_object_unref(o);
	spawn_free(&r);
	r = spawn_tdpsim("synth", "--pattern", "random", "--pages", "200", "--accesses", "20000",
			 "--processes", "3", "--switch-every", "100", "--kpti", "--pte-writes", "50",
			 "--guest", "pae", "--json", NULL);
	o = spawn_json_object(&r, "tdpsim synth --kpti");
	/* 199 switches x 3, and 2 more per PTE write (to the kernel CR3 and
	 * back): 399 PTE writes. */
	g_assert_cmpint(I(o, "flushes.cr3"), ==, 199 * 3 + 2 * 399);
	g_assert_cmpint(I(o, "flushes.invlpg"), ==, 399);
	json_object_unref(o);
	spawn_free(&r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hv/round-robin", test_round_robin);
	g_test_add_func("/hv/kpti", test_kpti);
	g_test_add_func("/hv/audit-modes", test_audit_modes);
	g_test_add_func("/hv/seed000", test_seed000);
	g_test_add_func("/hv/deterministic", test_deterministic);
	g_test_add_func("/hv/bad-input", test_bad_input);
	g_test_add_func("/hv/synth-processes", test_synth_processes);
	return g_test_run();
}
