/*
 * Seed 000's table: every combination of guest and host bits for which
 * KVM handles roots specially, each run under every strategy with a
 * round-robin over three address spaces (three L2 guests when nested),
 * reporting the root's shape (special, promoted) and the fast-switch hit
 * rate the model measured.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"
#include "compare_run.h"

struct seed_case {
	const char *label;
	const char *guest;    /* the guest's (L2's) mode */
	const char *l1;       /* nested: L1's mode (its NPT), else NULL */
	uint8_t l0_levels;    /* nested: L0's paging levels */
};

/* Seed 000's rows, in its order; the PAE guest and PAE L1 are the same
 * paths as the 32-bit ones it names (gEFER_LMA=0). */
static const struct seed_case cases[CMP_ROOT_ROWS] = {
	{ "direct (gCR0_PG=0)", "nopaging", NULL, 0 },
	{ "shadow gCR0_PG=1 gEFER_LMA=0 gCR4_PSE=0", "2level", NULL, 0 },
	{ "shadow gCR0_PG=1 gEFER_LMA=0 gCR4_PSE=1", "2level-pse", NULL, 0 },
	{ "shadow PAE guest", "pae", NULL, 0 },
	{ "shadow 4-level guest (ordinary)", "4level", NULL, 0 },
	{ "nested NPT gPSE=0 hEFER_LMA=0", "4level", "2level", 3 },
	{ "nested NPT gPSE=1 hEFER_LMA=0", "4level", "2level-pse", 3 },
	{ "nested NPT gPAE hEFER_LMA=0", "4level", "pae", 3 },
	{ "nested NPT gPSE=0 hLMA=1 hLA57=0", "4level", "2level", 4 },
	{ "nested NPT gPSE=1 hLMA=1 hLA57=0", "4level", "2level-pse", 4 },
	{ "nested NPT gPAE hLMA=1 hLA57=0", "4level", "pae", 4 },
	{ "nested NPT gPSE=0 hLMA=1 hLA57=1", "4level", "2level", 5 },
	{ "nested NPT gPSE=1 hLMA=1 hLA57=1", "4level", "2level-pse", 5 },
	{ "nested NPT gPAE hLMA=1 hLA57=1", "4level", "pae", 5 },
	{ "nested NPT gLMA=1 gLA57=0 hLMA=1 hLA57=1 (promoted)", "4level", "4level", 5 },
};

int cmp_root_table(const struct hv_strategy *s, unsigned n, const struct tm_config *cfg,
		   struct cmp_root_row rows[CMP_ROOT_ROWS], char shapes[][CMP_MAX_STRATEGIES][160],
		   char *why, unsigned len)
{
	for (unsigned c = 0; c < CMP_ROOT_ROWS; c++) {
		const struct seed_case *sc = &cases[c];
		struct hvw_opts o = { .gm = guest_mode_find(sc->guest),
				      .l1 = sc->l1 ? guest_mode_find(sc->l1) : NULL,
				      .pat = SP_RANDOM, .pages = 32, .accesses = 600, .seed = 1,
				      .insns = 1, .processes = 3, .switch_every = 10 };
		struct cmp_params p = { .cfg = cfg, .audit = true, .l0_levels = sc->l0_levels };
		struct cmp_result res[CMP_MAX_STRATEGIES];
		struct pg_cpu cpu;
		struct cmp_work *wk = g_new0(struct cmp_work, 1);
		int rc;

		tm_config_pg_cpu(cfg, &cpu);
		rc = hvw_build(&wk->w, &o, &cpu, why, len);
		if (!rc)
			rc = cmp_run(wk, &p, s, n, res, why, len);
		hvw_free(&wk->w);
		g_free(wk);
		if (rc)
			return rc;
		rows[c].label = sc->label;
		for (unsigned i = 0; i < n; i++) {
			if (res[i].hv.audit_mismatches) {
				snprintf(why, len, "seed-000 case '%s' under %s: audit: %s", sc->label,
					 s[i].name, res[i].audit_first);
				return -EPROTO;
			}
			snprintf(shapes[c][i], 160, "%s", res[i].root);
			rows[c].shape[i] = shapes[c][i];
			rows[c].special[i] = res[i].special;
			rows[c].promoted[i] = res[i].promoted;
			rows[c].roots_freed[i] = res[i].hv.roots_freed;
			rows[c].hit_rate[i] = res[i].hv.root_switches
				? (double)(res[i].hv.current_root_hits + res[i].hv.prev_root_hits) /
					  (double)res[i].hv.root_switches : 0;
		}
	}
	return 0;
}
