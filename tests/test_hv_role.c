/*
 * Unit tests of MMU roles (src/hv/role.c). Expected roles are written out
 * field by field from KVM's rules as documented in role.h and mmu.rst
 * (kvm_calc_cpu_role, kvm_calc_tdp_mmu_root_page_role before and after
 * seed 003's normalisation, kvm_init_shadow_mmu, kvm_init_shadow_npt_mmu,
 * kvm_calc_shadow_ept_root_page_role, kvm_mmu_child_role), and the SDM's
 * Table 4-1 for the levels.
 */
#include <errno.h>
#include <glib.h>

#include "ept/ept_bits.h"
#include "hv/role.h"
#include "paging/bits.h"

#define PG_ON (CR0_PE | CR0_PG)
#define LM    (EFER_LME | EFER_LMA)
#define REGS(c0, c4, ef) { .cr0 = (c0), .cr4 = (c4), .efer = (ef) }

static union hv_role role(unsigned level, bool direct)
{
	union hv_role r = { .word = 0 };

	r.level = level;
	r.direct = direct;
	r.access = HV_ACC_ALL;
	return r;
}

static void test_cpu_role_levels(void)
{
	static const struct {
		uint64_t cr0, cr4, efer;
		unsigned level;
		bool gpte4;
		enum pg_mode mode;
	} cases[] = {
		{ CR0_PE, CR4_PAE, LM, 0, false, PG_MODE_NONE }, /* PG=0: all else ignored */
		{ PG_ON, 0, 0, 2, true, PG_MODE_2LEVEL },
		{ PG_ON, CR4_PSE, 0, 2, true, PG_MODE_2LEVEL },
		{ PG_ON, CR4_PAE, 0, 3, false, PG_MODE_PAE },
		{ PG_ON, CR4_PAE | CR4_LA57, 0, 3, false, PG_MODE_PAE }, /* LA57 needs LMA */
		{ PG_ON, CR4_PAE, LM, 4, false, PG_MODE_4LEVEL },
		{ PG_ON, CR4_PAE | CR4_LA57, LM, 5, false, PG_MODE_5LEVEL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct hv_role_regs r = REGS(cases[i].cr0, cases[i].cr4, cases[i].efer);
		union hv_cpu_role c = hv_cpu_role_of(&r);

		g_assert_cmpuint(c.base.level, ==, cases[i].level);
		g_assert_cmpuint(c.base.has_4_byte_gpte, ==, cases[i].gpte4);
		g_assert_cmpuint(c.base.direct, ==, cases[i].level == 0);
		g_assert_cmpint(hv_cpu_role_mode(c), ==, cases[i].mode);
		g_assert_cmpuint(c.ext.valid, ==, 1);
		g_assert_cmpuint(c.ext.cr4_la57, ==, cases[i].level == 5);
	}
}

static void test_cpu_role_bits(void)
{
	struct hv_role_regs r = REGS(PG_ON, CR4_PAE | CR4_SMEP | CR4_SMAP | CR4_PKE, LM | EFER_NXE);
	union hv_cpu_role c = hv_cpu_role_of(&r);

	/* WP=0 with SMEP and SMAP. */
	g_assert_cmpuint(c.base.cr0_wp, ==, 0);
	g_assert_cmpuint(c.base.efer_nx, ==, 1);
	g_assert_cmpuint(c.base.smep_andnot_wp, ==, 1);
	g_assert_cmpuint(c.base.smap_andnot_wp, ==, 1);
	g_assert_cmpuint(c.ext.cr4_pke, ==, 1);
	r.cr0 |= CR0_WP;
	c = hv_cpu_role_of(&r);
	g_assert_cmpuint(c.base.cr0_wp, ==, 1);
	g_assert_cmpuint(c.base.smep_andnot_wp, ==, 0);
	g_assert_cmpuint(c.base.smap_andnot_wp, ==, 0);
	/* PKE means nothing outside IA-32e mode (SDM 4.6.2). */
	r.efer = EFER_NXE;
	c = hv_cpu_role_of(&r);
	g_assert_cmpuint(c.ext.cr4_pke, ==, 0);
	g_assert_cmpuint(c.base.level, ==, 3);
	/* smm and guest_mode come from the regs struct. */
	r.smm = true;
	r.guest_mode = true;
	c = hv_cpu_role_of(&r);
	g_assert_cmpuint(c.base.smm, ==, 1);
	g_assert_cmpuint(c.base.guest_mode, ==, 1);
}

/* Seed 003: with normalisation, CR0.WP and EFER.NXE changes keep the TDP
 * root role; without, each gives a new role. */
static void test_tdp_root_normalise(void)
{
	struct hv_tdp_opts on = { .level = 4, .ad = true, .normalise = true };
	struct hv_tdp_opts off = on;
	union hv_role expect = role(4, true);
	uint64_t cr0s[] = { CR0_PE, PG_ON, PG_ON | CR0_WP };
	uint64_t efers[] = { 0, EFER_NXE, LM, LM | EFER_NXE };

	off.normalise = false;
	expect.cr0_wp = expect.efer_nx = 1;
	for (size_t i = 0; i < G_N_ELEMENTS(cr0s); i++)
		for (size_t j = 0; j < G_N_ELEMENTS(efers); j++) {
			struct hv_role_regs r = REGS(cr0s[i], CR4_PAE, efers[j]);
			union hv_cpu_role c = hv_cpu_role_of(&r);
			union hv_role n = hv_tdp_root_role(c, &on), d = hv_tdp_root_role(c, &off);

			g_assert_cmphex(n.word, ==, expect.word);
			/* Off: the guest's bits while PG=1, 0 while PG=0. */
			g_assert_cmpuint(d.cr0_wp, ==, (cr0s[i] & CR0_PG) && (cr0s[i] & CR0_WP));
			g_assert_cmpuint(d.efer_nx, ==, (cr0s[i] & CR0_PG) && (efers[j] & EFER_NXE));
			g_assert_cmpuint(d.level, ==, 4);
			g_assert_cmpuint(d.direct, ==, 1);
		}
	/* EPT without A/D, TDX mirror. */
	on.ad = false;
	on.mirror = true;
	{
		struct hv_role_regs r = REGS(PG_ON, 0, 0);
		union hv_role m = hv_tdp_root_role(hv_cpu_role_of(&r), &on);

		g_assert_cmpuint(m.ad_disabled, ==, 1);
		g_assert_cmpuint(m.mirror, ==, 1);
		g_assert_cmpuint(m.has_4_byte_gpte, ==, 0);
	}
}

static void test_shadow_root(void)
{
	struct hv_role_regs r2 = REGS(PG_ON | CR0_WP, 0, 0);
	struct hv_role_regs rp = REGS(PG_ON, CR4_PAE | CR4_SMEP, 0);
	struct hv_role_regs r4 = REGS(PG_ON | CR0_WP, CR4_PAE, LM);
	struct hv_role_regs rn = REGS(CR0_PE, 0, 0);
	union hv_role s;

	s = hv_shadow_root_role(hv_cpu_role_of(&r2));
	g_assert_cmpuint(s.level, ==, 3);
	g_assert_cmpuint(s.passthrough, ==, 1);
	g_assert_cmpuint(s.pae_root, ==, 1);
	g_assert_cmpuint(s.has_4_byte_gpte, ==, 1);
	g_assert_cmpuint(s.efer_nx, ==, 1);
	g_assert_cmpuint(s.cr0_wp, ==, 1);
	s = hv_shadow_root_role(hv_cpu_role_of(&rp));
	g_assert_cmpuint(s.level, ==, 3);
	g_assert_cmpuint(s.passthrough, ==, 0);
	g_assert_cmpuint(s.pae_root, ==, 1);
	g_assert_cmpuint(s.smep_andnot_wp, ==, 1);
	s = hv_shadow_root_role(hv_cpu_role_of(&r4));
	g_assert_cmpuint(s.level, ==, 4);
	g_assert_cmpuint(s.passthrough, ==, 0);
	g_assert_cmpuint(s.pae_root, ==, 0);
	s = hv_shadow_root_role(hv_cpu_role_of(&rn));
	g_assert_cmpuint(s.level, ==, 3);
	g_assert_cmpuint(s.direct, ==, 1);
	g_assert_cmpuint(s.pae_root, ==, 1);
	/* A PAE root and a 64-bit guest's PDPT shadow of the same gfn, both
	 * with every right, are different keys (seed 000, role.pae_root). */
	{
		union hv_role pdpt = hv_role_child(hv_shadow_root_role(hv_cpu_role_of(&r4)), 4, 0,
						   false, HV_ACC_ALL);
		union hv_role pae = hv_shadow_root_role(hv_cpu_role_of(&(struct hv_role_regs)
			REGS(PG_ON | CR0_WP, CR4_PAE, 0)));

		g_assert_cmpuint(pdpt.level, ==, pae.level);
		g_assert_false(hv_role_eq(pdpt, pae));
		pdpt.pae_root = 1;
		g_assert_true(hv_role_eq(pdpt, pae));
	}
}

/* Seed 000's nested NPT rows: L1's format under L0's level. */
static void test_npt_shadow(void)
{
	static const struct {
		uint64_t cr4, efer;
		unsigned l0, level, cpu_level;
		bool passthrough, gpte4;
		int rc;
	} cases[] = {
		{ 0, 0, 2, 2, 2, false, true, 0 },        /* 32-bit L1 under 32-bit L0 */
		{ CR4_PSE, 0, 3, 3, 2, true, true, 0 },   /* 2-level L1 under PAE L0 */
		{ CR4_PAE, 0, 4, 4, 3, true, false, 0 },  /* PAE L1 under 4-level L0 */
		{ 0, 0, 5, 5, 2, true, true, 0 },         /* 2-level L1 under 5-level L0 */
		{ CR4_PAE, LM, 5, 5, 4, true, false, 0 }, /* 4-level L1 under 5-level L0 */
		{ CR4_PAE, LM, 4, 4, 4, false, false, 0 },
		{ CR4_PAE | CR4_LA57, LM, 4, 0, 0, false, false, -EINVAL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		/* L1's CR0 has WP clear, and PKE set: both must not count. */
		struct hv_role_regs l1 = REGS(CR0_PE | CR0_PG, cases[i].cr4 | CR4_PKE, cases[i].efer);
		union hv_cpu_role c;
		union hv_role root;
		int rc = hv_npt_shadow_roles(&l1, cases[i].l0, &c, &root);

		g_assert_cmpint(rc, ==, cases[i].rc);
		if (rc)
			continue;
		g_assert_cmpuint(root.level, ==, cases[i].level);
		g_assert_cmpuint(c.base.level, ==, cases[i].cpu_level);
		g_assert_cmpuint(root.passthrough, ==, cases[i].passthrough);
		g_assert_cmpuint(root.has_4_byte_gpte, ==, cases[i].gpte4);
		g_assert_cmpuint(root.guest_mode, ==, 1);
		g_assert_cmpuint(root.direct, ==, 0);
		g_assert_cmpuint(root.pae_root, ==, cases[i].level == 3);
		/* CR0 is PG only: WP reads as 0 whatever L1 had. */
		g_assert_cmpuint(root.cr0_wp, ==, 0);
		g_assert_cmpuint(c.ext.cr4_pke, ==, 0);
	}
}

static void test_ept_shadow(void)
{
	union hv_cpu_role c;
	union hv_role r;

	g_assert_cmpint(hv_ept_shadow_roles(UINT64_C(0x5000) | (3 << EPTP_PWL_SHIFT) | 6, &c, &r),
			==, 0);
	g_assert_cmpuint(r.level, ==, 4);
	g_assert_cmpuint(r.ad_disabled, ==, 1);
	g_assert_cmpuint(r.guest_mode, ==, 1);
	g_assert_cmpuint(r.direct, ==, 0);
	g_assert_cmpint(hv_ept_shadow_roles((4 << EPTP_PWL_SHIFT) | EPTP_AD | 6, &c, &r), ==, 0);
	g_assert_cmpuint(r.level, ==, 5);
	g_assert_cmpuint(r.ad_disabled, ==, 0);
	g_assert_cmpint(hv_ept_shadow_roles(1 << EPTP_PWL_SHIFT, &c, &r), ==, -EINVAL);
}

static void test_child(void)
{
	struct hv_role_regs r2 = REGS(PG_ON | CR0_WP, 0, 0);
	union hv_role root = hv_shadow_root_role(hv_cpu_role_of(&r2));
	union hv_role pd, pt;

	/* Root level 3 (promoted) over a 2-level guest: the PD shadows are
	 * quadrants 0..3, their PTs halves 0..1. */
	pd = hv_role_child(root, 2, 3, false, HV_ACC_ALL);
	g_assert_cmpuint(pd.level, ==, 2);
	g_assert_cmpuint(pd.quadrant, ==, 3);
	g_assert_cmpuint(pd.passthrough, ==, 0);
	pt = hv_role_child(pd, 2, 5, false, HV_ACC_USER | HV_ACC_EXEC);
	g_assert_cmpuint(pt.level, ==, 1);
	g_assert_cmpuint(pt.quadrant, ==, 1);
	g_assert_cmpuint(pt.access, ==, HV_ACC_USER | HV_ACC_EXEC);
	/* A large guest page split into small shadow pages is direct, no quadrant. */
	pt = hv_role_child(pd, 2, 5, true, HV_ACC_ALL);
	g_assert_cmpuint(pt.quadrant, ==, 0);
	g_assert_cmpuint(pt.direct, ==, 1);
	/* Direct tables of a nonpaging guest are below no guest level, yet
	 * not promoted: they shadow no guest table at all. */
	pt = hv_role_child(hv_shadow_root_role(hv_cpu_role_of(&(struct hv_role_regs)
		REGS(CR0_PE, 0, 0))), 0, 1, true, HV_ACC_ALL);
	g_assert_cmpuint(pt.level, ==, 2);
	g_assert_cmpuint(pt.passthrough, ==, 0);
	g_assert_cmpuint(pt.pae_root, ==, 0);
	/* Promoted chain: a 5-level root over a 2-level guest stays
	 * passthrough down to level 3. */
	root.level = 5;
	pd = hv_role_child(root, 2, 0, false, HV_ACC_ALL);
	g_assert_cmpuint(pd.passthrough, ==, 1);
	pd = hv_role_child(pd, 2, 0, false, HV_ACC_ALL);
	g_assert_cmpuint(pd.level, ==, 3);
	g_assert_cmpuint(pd.passthrough, ==, 1);
	g_assert_cmpuint(pd.pae_root, ==, 1);
	pd = hv_role_child(pd, 2, 2, false, HV_ACC_ALL);
	g_assert_cmpuint(pd.passthrough, ==, 0);
	g_assert_cmpuint(pd.quadrant, ==, 2);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hv/role/cpu-levels", test_cpu_role_levels);
	g_test_add_func("/hv/role/cpu-bits", test_cpu_role_bits);
	g_test_add_func("/hv/role/tdp-normalise", test_tdp_root_normalise);
	g_test_add_func("/hv/role/shadow-root", test_shadow_root);
	g_test_add_func("/hv/role/npt-shadow", test_npt_shadow);
	g_test_add_func("/hv/role/ept-shadow", test_ept_shadow);
	g_test_add_func("/hv/role/child", test_child);
	return g_test_run();
}
