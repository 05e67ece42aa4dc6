/*
 * Seed 000's table: every combination of guest and host bits for which
 * KVM handles roots specially, each run under every strategy with a
 * round-robin over three address spaces (three L2 guests when nested),
 * reporting the root's shape (special, promoted) and the fast-switch hit
 * rate the model measured.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"
#include "compare_run.h"
#include "hv/host.h"

struct seed_case {
	const char *label;
	const char *guest;    /* the guest's (L2's) mode */
	const char *l1;       /* nested: L1's mode (its NPT), else NULL */
	uint8_t l0_levels;    /* nested: L0's paging levels */
};

/* Seed 000's rows, in its order; the PAE guest and PAE L1 are the same
 * paths as the 32-bit ones it names (gEFER_LMA=0). The TDP row (l0_levels
 * 3 without an L1) is its "direct mmu (NPT for 32bit host)". */
static const struct seed_case cases[CMP_ROOT_ROWS] = {
	{ "direct (gCR0_PG=0)", "nopaging", NULL, 0 },
	{ "direct NPT for a 32-bit host (hEFER_LMA=0)", "pae", NULL, 3 },
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

/*
 * Seed 000's "direct mmu (NPT for 32bit host)": a PAE-format NPT
 * (hEFER_LMA=0) under a 32-bit guest, built by the hypervisor's own TDP
 * host (hv/host.c) with every guest page mapped as its #NPF would map it.
 * Its root is KVM's pae_root (mmu_alloc_direct_roots() with
 * shadow_root_level == PT32E_ROOT_LEVEL): special under the KVM
 * strategies, a page under pae-root-pages; direct, so never promoted.
 * Guest CR3 writes do not exit under TDP: no root switch, no hit rate.
 */
static int tdp_row(const struct hvw *w, const struct hv_strategy *s, unsigned n,
		   const struct tm_config *cfg, struct cmp_root_row *row,
		   char shapes[][160], char *why, unsigned len)
{
	const uint64_t gbytes = (w->ram.size + HV_SZ_2M - 1) & ~(HV_SZ_2M - 1);
	const struct hv_host_layout l = { .table_base = gbytes,
					  .table_bytes = ((gbytes >> 12) / 512 + 64) * 4096,
					  .page_size = HV_SZ_4K };
	struct cpu_ram hram;
	struct hv_host h;
	struct pg_cpu cpu;
	const char *w_ = NULL;
	unsigned pds = 0;
	int rc;

	tm_config_pg_cpu(cfg, &cpu);
	if ((rc = cpu_ram_init(&hram, l.table_base + l.table_bytes))) {
		snprintf(why, len, "out of memory for the TDP row's host");
		return rc;
	}
	rc = hv_host_init(&h, &hv_host_modes[HV_HOST_NPT3], &hram, &l, &cpu, &w_);
	for (uint64_t g = 0; !rc && g < w->ram.size; g += 4096)
		rc = hv_host_map(&h, g);
	for (unsigned i = 0; !rc && i < 4; i++) {
		uint64_t e = 0;

		hv_entry_read(&h.tables, h.root->hpa + i * UINT64_C(8), &e);
		pds += hv_entry_present(&h.tables, e);
	}
	if (!rc && (h.root->key.role.level != 3 || !h.root->key.role.direct))
		rc = -EPROTO;
	hv_host_destroy(&h);
	cpu_ram_free(&hram);
	if (rc) {
		snprintf(why, len, "the TDP row's PAE-format NPT: %s", w_ ? w_ : g_strerror(-rc));
		return rc;
	}
	for (unsigned i = 0; i < n; i++) {
		snprintf(shapes[i], 160, "%s > %u x PD (direct)",
			 s[i].pae_root_pages ? "pae_root(page)" : "pae_root(special)", pds);
		row->shape[i] = shapes[i];
		row->special[i] = !s[i].pae_root_pages;
		row->promoted[i] = false;
		row->roots_freed[i] = 0;
		row->hit_rate[i] = NAN;
	}
	return 0;
}

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
		rows[c].label = sc->label;
		rc = hvw_build(&wk->w, &o, &cpu, why, len);
		if (!rc && !sc->l1 && sc->l0_levels)
			rc = tdp_row(&wk->w, s, n, cfg, &rows[c], shapes[c], why, len);
		else if (!rc)
			rc = cmp_run(wk, &p, s, n, res, why, len);
		hvw_free(&wk->w);
		g_free(wk);
		if (rc)
			return rc;
		if (!sc->l1 && sc->l0_levels)
			continue;
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
