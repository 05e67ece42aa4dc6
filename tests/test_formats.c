/*
 * Unit tests per guest format. Every table is written by hand here with
 * constants computed from the manuals' layouts (SDM Vol. 3A 4.3-4.5), never
 * with the project's own table builder, and every expectation is a constant.
 */
#include <errno.h>
#include <glib.h>

#include "cpu/ram.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/mmu.h"
#include "paging/walk.h"

#include "fixture_ram.h"

static void init_mmu(struct fx *f)
{
	const char *why = NULL;
	g_assert_cmpint(pg_mmu_init(&f->mmu, &f->regs, &f->cpu, &why), ==, 0);
}

static int walk(struct fx *f, uint64_t va, enum pg_access a, unsigned cpl)
{
	struct pg_req rq = { .va = va, .access = (uint8_t)a, .cpl = (uint8_t)cpl };
	return pg_walk(&f->mmu, &f->acc, &rq, &f->w);
}

/* ---- no paging ---- */

static void test_nopaging(void)
{
	struct fx f;
	fx_init(&f);
	set_mode(&f, PG_MODE_NONE, 0);
	init_mmu(&f);
	g_assert_true(f.mmu.fmt == &pg_fmt_nopaging);
	g_assert_cmpint(walk(&f, 0xfffff123, PG_ACC_WRITE, 3), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	g_assert_cmphex(f.w.pa, ==, 0xfffff123);
	g_assert_cmpuint(f.w.refs, ==, 0);
	/* Linear addresses are 32 bits wide without paging. */
	g_assert_cmpint(walk(&f, 0x100000000ull, PG_ACC_READ, 0), ==, -EINVAL);
	fx_free(&f);
}

/* ---- 32-bit paging (SDM 4.3) ---- */

/* VA 0xc0403abc: PDE index 0x301, PTE index 0x003, offset 0xabc. */
static void test_2level_4k(void)
{
	struct fx f;
	fx_init(&f);
	set_mode(&f, PG_MODE_2LEVEL, 0x1000);
	put(&f, 0x1000 + 0x301 * 4, 4, 0x2000 | 0x7);   /* PDE: P RW US */
	put(&f, 0x2000 + 0x003 * 4, 4, 0x345000 | 0x7); /* PTE */
	init_mmu(&f);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_WRITE, 3), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	g_assert_cmphex(f.w.pa, ==, 0x345abc);
	g_assert_cmpuint(f.w.page_size, ==, 4096);
	g_assert_cmpuint(f.w.refs, ==, 2);
	g_assert_cmpuint(f.w.nlevels, ==, 2);
	g_assert_cmphex(f.w.lvl[0].entry_addr, ==, 0x1c04);
	g_assert_cmphex(f.w.lvl[1].entry_addr, ==, 0x200c);
	/* A on the PDE, A|D on the PTE: two locked updates. */
	g_assert_cmphex(get(&f, 0x1c04, 4), ==, 0x2027);
	g_assert_cmphex(get(&f, 0x200c, 4), ==, 0x345067);
	g_assert_cmpuint(f.w.ad_writes, ==, 2);
	/* The second walk finds A/D already set: no update. */
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_WRITE, 3), ==, 0);
	g_assert_cmpuint(f.w.ad_writes, ==, 0);
	fx_free(&f);
}

/* With CR4.PSE=0 the PS bit of a PDE is ignored (SDM 4.3). */
static void test_2level_ps_ignored_without_pse(void)
{
	struct fx f;
	fx_init(&f);
	set_mode(&f, PG_MODE_2LEVEL, 0x1000);
	put(&f, 0x1000 + 0x301 * 4, 4, 0x2000 | 0x80 | 0x7);
	put(&f, 0x2000 + 0x003 * 4, 4, 0x345000 | 0x7);
	init_mmu(&f);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_READ, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	g_assert_cmphex(f.w.pa, ==, 0x345abc);
	g_assert_cmpuint(f.w.refs, ==, 2);
	fx_free(&f);
}

/* 4 MiB page with PSE-36: PDE bits 20:13 are PA 39:32 (SDM Table 4-5). */
static void test_2level_pse36(void)
{
	struct fx f;
	fx_init(&f);
	set_mode(&f, PG_MODE_2LEVEL, 0x1000);
	f.regs.cr4 |= CR4_PSE;
	f.cpu.maxphyaddr = 40;
	/* PA 0xab_c0400000 + offset: bits 31:22 = 0x301 -> 0xc0400000. */
	put(&f, 0x1000 + 0x301 * 4, 4, 0xc0400000u | (0xabu << 13) | 0x80 | 0x7);
	init_mmu(&f);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_READ, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	g_assert_true(f.w.large);
	g_assert_cmphex(f.w.pa, ==, 0xabc0403abcull);
	g_assert_cmpuint(f.w.page_size, ==, 4u << 20);
	g_assert_cmpuint(f.w.refs, ==, 1);

	/* Bit 21 is reserved: #PF with P|RSVD. */
	put(&f, 0x1000 + 0x301 * 4, 4, 0xc0400000u | (1u << 21) | 0x80 | 0x7);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_READ, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, X86_VEC_PF);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_RSVD);
	g_assert_cmpuint(f.w.fault.level, ==, 2);
	fx_free(&f);

	/* MAXPHYADDR 36: PA bits 39:36 (PDE bits 20:17) are reserved. */
	fx_init(&f);
	set_mode(&f, PG_MODE_2LEVEL, 0x1000);
	f.regs.cr4 |= CR4_PSE;
	f.cpu.maxphyaddr = 36;
	put(&f, 0x1000 + 0x301 * 4, 4, 0xc0400000u | (0x0fu << 13) | 0x80 | 0x7);
	init_mmu(&f);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_READ, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	g_assert_cmphex(f.w.pa, ==, 0xfc0403abcull);
	put(&f, 0x1000 + 0x301 * 4, 4, 0xc0400000u | (0x10u << 13) | 0x80 | 0x7);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_READ, 0), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_RSVD);
	fx_free(&f);
}

/* ---- PAE (SDM 4.4) ---- */

/* VA 0xc0403abc: PDPTE 3, PDE 0x002, PTE 0x003. CR3 0x1020 (32-byte aligned). */
static void pae_tables(struct fx *f)
{
	set_mode(f, PG_MODE_PAE, 0x1020);
	put(f, 0x1020 + 3 * 8, 8, 0x2000 | 0x1);          /* PDPTE: P only */
	put(f, 0x2000 + 0x002 * 8, 8, 0x3000 | 0x7);
	put(f, 0x3000 + 0x003 * 8, 8, 0x1234567000ull | 0x7);
}

static void test_pae_4k(void)
{
	struct fx f;
	struct pg_fault flt;
	unsigned refs = 0;

	fx_init(&f);
	pae_tables(&f);
	init_mmu(&f);
	/* Walking before the PDPTE registers are loaded is a caller bug. */
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_READ, 0), ==, -EINVAL);
	g_assert_cmpint(pg_pae_load_pdptes(&f.mmu, &f.acc, &flt, &refs), ==, 0);
	g_assert_cmpuint(flt.vector, ==, 0);
	g_assert_cmpuint(refs, ==, 4);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_READ, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	g_assert_cmphex(f.w.pa, ==, 0x1234567abcull);
	/* The PDPTE comes from its register: 2 references, not 3. */
	g_assert_cmpuint(f.w.refs, ==, 2);
	g_assert_cmpuint(f.w.nlevels, ==, 3);
	g_assert_true(f.w.lvl[0].from_reg);
	/* The register is not re-read: changing memory has no effect. */
	put(&f, 0x1020 + 3 * 8, 8, 0);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_READ, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	/* PDPTEs have no accessed flag: untouched by the walk. */
	g_assert_cmphex(get(&f, 0x2000 + 2 * 8, 8), ==, 0x3027);
	fx_free(&f);
}

static void test_pae_pdpte_load_rules(void)
{
	static const uint64_t rsvd[] = { 1u << 1, 1u << 2, 1u << 5, 1u << 8, 1ull << 63,
					 1ull << 46 /* M = 46 */ };
	struct fx f;
	struct pg_fault flt;

	fx_init(&f);
	pae_tables(&f);
	init_mmu(&f);
	for (unsigned i = 0; i < G_N_ELEMENTS(rsvd); i++) {
		put(&f, 0x1020 + 1 * 8, 8, 0x5000 | 0x1 | rsvd[i]);
		g_assert_cmpint(pg_pae_load_pdptes(&f.mmu, &f.acc, &flt, NULL), ==, 0);
		/* SDM 4.4.1: reserved bits in a present PDPTE: #GP(0), not #PF. */
		g_assert_cmpuint(flt.vector, ==, X86_VEC_GP);
		g_assert_cmpuint(flt.error_code, ==, 0);
		g_assert_cmpuint(flt.stage, ==, PG_STAGE_PDPTE_LOAD);
		g_assert_cmphex(flt.gpa, ==, 0x1028);
		g_assert_false(f.mmu.pdpte_loaded);
	}
	/* Reserved bits in a non-present PDPTE do not matter. */
	put(&f, 0x1020 + 1 * 8, 8, 0xffffffffffff0ull);
	g_assert_cmpint(pg_pae_load_pdptes(&f.mmu, &f.acc, &flt, NULL), ==, 0);
	g_assert_cmpuint(flt.vector, ==, 0);
	/* A walk through a non-present PDPTE register: #PF, P=0, no reference. */
	g_assert_cmpint(walk(&f, 0x40000000, PG_ACC_WRITE, 3), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, X86_VEC_PF);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_WR | PFEC_US);
	g_assert_cmpuint(f.w.refs, ==, 0);
	fx_free(&f);
}

static void test_pae_2m_and_reserved(void)
{
	struct fx f;
	struct pg_fault flt;

	fx_init(&f);
	pae_tables(&f);
	put(&f, 0x2000 + 0x002 * 8, 8, 0x7fe00000ull | 0x80 | 0x7);
	init_mmu(&f);
	g_assert_cmpint(pg_pae_load_pdptes(&f.mmu, &f.acc, &flt, NULL), ==, 0);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_FETCH, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	g_assert_cmphex(f.w.pa, ==, 0x7fe03abc);
	g_assert_cmpuint(f.w.page_size, ==, 2u << 20);
	g_assert_cmpuint(f.w.refs, ==, 1);

	/* 2 MiB PDE bits 20:13 are reserved. */
	put(&f, 0x2000 + 0x002 * 8, 8, 0x7fe00000ull | (1u << 13) | 0x80 | 0x7);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_FETCH, 0), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_RSVD | PFEC_ID);

	/* PAE reserves 62:M; bit 52 is reserved here, unlike 4-level. */
	put(&f, 0x2000 + 0x002 * 8, 8, 0x7fe00000ull | (1ull << 52) | 0x80 | 0x7);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_READ, 0), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_RSVD);

	/* XD with NXE=0 is reserved; I/D stays 0 without NXE/SMEP. */
	f.regs.efer &= ~EFER_NXE;
	init_mmu(&f);
	g_assert_cmpint(pg_pae_load_pdptes(&f.mmu, &f.acc, &flt, NULL), ==, 0);
	put(&f, 0x2000 + 0x002 * 8, 8, 0x7fe00000ull | (1ull << 63) | 0x80 | 0x7);
	g_assert_cmpint(walk(&f, 0xc0403abc, PG_ACC_FETCH, 0), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_RSVD);
	fx_free(&f);
}

/* ---- 4-level (SDM 4.5) ---- */

/* VA 0x00007f1234567abc: PML4 0x0fe, PDPT 0x048, PD 0x1a2, PT 0x167. */
#define VA4 0x00007f1234567abcull
static void lm_tables(struct fx *f, bool five)
{
	uint64_t root = 0x1000;
	set_mode(f, five ? PG_MODE_5LEVEL : PG_MODE_4LEVEL, root);
	if (five) /* VA5 adds PML5 index 0x1ff (sign-extended high half) */
		put(f, 0x1000 + 0x1ff * 8, 8, 0x6000 | 0x7), root = 0x6000;
	put(f, root + 0x0fe * 8, 8, 0x2000 | 0x7);
	put(f, 0x2000 + 0x048 * 8, 8, 0x3000 | 0x7);
	put(f, 0x3000 + 0x1a2 * 8, 8, 0x4000 | 0x7);
	put(f, 0x4000 + 0x167 * 8, 8, 0x3ffff000000ull | 0x7);
}

static void test_4level_4k_2m_1g(void)
{
	struct fx f;
	fx_init(&f);
	lm_tables(&f, false);
	init_mmu(&f);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	g_assert_cmphex(f.w.pa, ==, 0x3ffff000abcull);
	g_assert_cmpuint(f.w.refs, ==, 4);
	/* A read sets A at every level, D nowhere. */
	g_assert_cmphex(get(&f, 0x4000 + 0x167 * 8, 8), ==, 0x3ffff000027ull);
	g_assert_cmpuint(f.w.ad_writes, ==, 4);

	/* 2 MiB: PDE with PS. */
	put(&f, 0x3000 + 0x1a2 * 8, 8, 0x40000000ull | 0x80 | 0x7);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 0), ==, 0);
	g_assert_cmphex(f.w.pa, ==, 0x40167abcull);
	g_assert_cmpuint(f.w.refs, ==, 3);
	g_assert_cmpuint(f.w.page_size, ==, 2u << 20);

	/* 1 GiB: PDPTE with PS. */
	put(&f, 0x2000 + 0x048 * 8, 8, 0x80000000ull | 0x80 | 0x7);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 0), ==, 0);
	g_assert_cmphex(f.w.pa, ==, 0x80000000ull + 0x34567abc);
	g_assert_cmpuint(f.w.refs, ==, 2);
	g_assert_cmpuint(f.w.page_size, ==, 1u << 30);

	/* Without 1 GiB page support PS in a PDPTE is reserved. */
	f.cpu.gbpages = false;
	init_mmu(&f);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 0), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_RSVD);
	g_assert_cmpuint(f.w.fault.level, ==, 3);
	fx_free(&f);
}

static void test_4level_reserved(void)
{
	struct fx f;
	fx_init(&f);
	lm_tables(&f, false);
	init_mmu(&f);
	/* PS in a PML4E is reserved. */
	put(&f, 0x1000 + 0x0fe * 8, 8, 0x2000 | 0x80 | 0x7);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_WRITE, 3), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_RSVD | PFEC_WR | PFEC_US);
	g_assert_cmpuint(f.w.fault.level, ==, 4);
	g_assert_cmpuint(f.w.refs, ==, 1);
	/* Bits 51:M (M = 46) reserved; 62:52 are not (ignored / PK). */
	put(&f, 0x1000 + 0x0fe * 8, 8, 0x2000 | (1ull << 51) | 0x7);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 0), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_RSVD);
	put(&f, 0x1000 + 0x0fe * 8, 8, 0x2000 | (0x7ffull << 52) | 0x7);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	/* 1 GiB leaf: bits 29:13 reserved. */
	put(&f, 0x2000 + 0x048 * 8, 8, 0x80000000ull | (1u << 29) | 0x80 | 0x7);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 0), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_RSVD);
	g_assert_cmpuint(f.w.fault.level, ==, 3);
	fx_free(&f);
}

static void test_4level_canonical(void)
{
	struct fx f;
	struct pg_req rq = { .va = 0x0000800000000000ull, .access = PG_ACC_READ };

	fx_init(&f);
	lm_tables(&f, false);
	init_mmu(&f);
	g_assert_cmpint(pg_walk(&f.mmu, &f.acc, &rq, &f.w), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, X86_VEC_GP);
	g_assert_cmpuint(f.w.fault.stage, ==, PG_STAGE_LINEAR);
	g_assert_cmpuint(f.w.refs, ==, 0);
	rq.stack = true;
	g_assert_cmpint(pg_walk(&f.mmu, &f.acc, &rq, &f.w), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, X86_VEC_SS);
	/* 0xffff800000000000 is canonical: it walks (and faults on P=0). */
	rq.va = 0xffff800000000000ull;
	rq.stack = false;
	g_assert_cmpint(pg_walk(&f.mmu, &f.acc, &rq, &f.w), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, X86_VEC_PF);
	g_assert_cmpuint(f.w.fault.error_code, ==, 0);
	fx_free(&f);
}

/* A walk that faults at the leaf sets A on the upper entries it used but
 * leaves the leaf untouched (SDM 4.8; the PTE's A/D follow a permitted
 * access only). */
static void test_4level_ad_on_fault(void)
{
	struct fx f;
	fx_init(&f);
	lm_tables(&f, false);
	put(&f, 0x4000 + 0x167 * 8, 8, 0x3ffff000000ull | 0x5); /* read-only */
	init_mmu(&f);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_WRITE, 3), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, X86_VEC_PF);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_WR | PFEC_US);
	g_assert_cmphex(f.w.fault.addr, ==, VA4);
	g_assert_cmphex(get(&f, 0x1000 + 0x0fe * 8, 8), ==, 0x2027);
	g_assert_cmphex(get(&f, 0x3000 + 0x1a2 * 8, 8), ==, 0x4027);
	g_assert_cmphex(get(&f, 0x4000 + 0x167 * 8, 8), ==, 0x3ffff000005ull);
	g_assert_cmpuint(f.w.ad_writes, ==, 3);
	/* Not-present PT entry: the upper levels still got A. */
	put(&f, 0x4000 + 0x167 * 8, 8, 0);
	put(&f, 0x3000 + 0x1a2 * 8, 8, 0x4007);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 0), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, 0);
	g_assert_cmphex(get(&f, 0x3000 + 0x1a2 * 8, 8), ==, 0x4027);
	fx_free(&f);
}

static void test_4level_global_pkey(void)
{
	struct fx f;
	fx_init(&f);
	lm_tables(&f, false);
	put(&f, 0x4000 + 0x167 * 8, 8, 0x3ffff000000ull | (5ull << 59) | PTE_G | 0x7);
	f.regs.cr4 |= CR4_PKE;
	f.regs.pkru = 2u << (2 * 5); /* key 5: WD */
	init_mmu(&f);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 3), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	g_assert_cmpuint(f.w.pkey, ==, 5);
	g_assert_false(f.w.global); /* CR4.PGE=0 */
	g_assert_cmpint(walk(&f, VA4, PG_ACC_WRITE, 3), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_WR | PFEC_US | PFEC_PK);
	f.regs.cr4 |= CR4_PGE;
	init_mmu(&f);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 0), ==, 0);
	g_assert_true(f.w.global);
	fx_free(&f);
}

/* ---- 5-level ---- */

#define VA5 0xffff7f1234567abcull /* PML5 index 0x1ff: non-canonical for 48 bits */
static void test_5level(void)
{
	struct fx f;
	fx_init(&f);
	lm_tables(&f, true);
	init_mmu(&f);
	g_assert_true(f.mmu.fmt == &pg_fmt_5level);
	g_assert_cmpint(walk(&f, VA5, PG_ACC_READ, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, 0);
	g_assert_cmphex(f.w.pa, ==, 0x3ffff000abcull);
	g_assert_cmpuint(f.w.refs, ==, 5);
	/* Canonical for 57 bits means bits 63:56 equal bit 56. */
	g_assert_cmpint(walk(&f, 0x0100000000000000ull, PG_ACC_READ, 0), ==, 0);
	g_assert_cmpuint(f.w.fault.vector, ==, X86_VEC_GP);
	/* PS in a PML5E is reserved. */
	put(&f, 0x1000 + 0x1ff * 8, 8, 0x6000 | 0x80 | 0x7);
	g_assert_cmpint(walk(&f, VA5, PG_ACC_READ, 0), ==, 0);
	g_assert_cmphex(f.w.fault.error_code, ==, PFEC_P | PFEC_RSVD);
	g_assert_cmpuint(f.w.fault.level, ==, 5);
	fx_free(&f);
}

/* ---- register validation ---- */

static void test_mmu_init_rules(void)
{
	struct fx f;
	const char *why = NULL;

	fx_init(&f);
	lm_tables(&f, true);
	f.cpu.la57 = false;
	g_assert_cmpint(pg_mmu_init(&f.mmu, &f.regs, &f.cpu, &why), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "LA57"));

	pg_cpu_all(&f.cpu);
	lm_tables(&f, false);
	f.regs.cr4 &= ~CR4_PAE;
	g_assert_cmpint(pg_mmu_init(&f.mmu, &f.regs, &f.cpu, &why), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "PAE"));

	lm_tables(&f, false);
	f.regs.efer &= ~EFER_LMA;
	g_assert_cmpint(pg_mmu_init(&f.mmu, &f.regs, &f.cpu, &why), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "LMA"));

	f.regs = (struct pg_regs){ .cr0 = CR0_PG, .cr3 = 0x1000 };
	g_assert_cmpint(pg_mmu_init(&f.mmu, &f.regs, &f.cpu, &why), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "CR0.PE"));

	set_mode(&f, PG_MODE_2LEVEL, 0x1000);
	f.regs.cr4 |= CR4_PCIDE;
	g_assert_cmpint(pg_mmu_init(&f.mmu, &f.regs, &f.cpu, &why), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "PCIDE"));

	f.cpu.maxphyaddr = 40;
	lm_tables(&f, false);
	f.regs.cr3 = 1ull << 40;
	g_assert_cmpint(pg_mmu_init(&f.mmu, &f.regs, &f.cpu, &why), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "MAXPHYADDR"));
	fx_free(&f);
}

/* A table pointer outside RAM is an accessor error, not a guest fault. */
static void test_accessor_error(void)
{
	struct fx f;
	fx_init(&f);
	lm_tables(&f, false);
	put(&f, 0x3000 + 0x1a2 * 8, 8, 0x100000000ull | 0x7);
	init_mmu(&f);
	g_assert_cmpint(walk(&f, VA4, PG_ACC_READ, 0), ==, -EFAULT);
	fx_free(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/fmt/nopaging", test_nopaging);
	g_test_add_func("/fmt/2level/4k", test_2level_4k);
	g_test_add_func("/fmt/2level/ps-ignored-without-pse", test_2level_ps_ignored_without_pse);
	g_test_add_func("/fmt/2level/pse36", test_2level_pse36);
	g_test_add_func("/fmt/pae/4k", test_pae_4k);
	g_test_add_func("/fmt/pae/pdpte-load", test_pae_pdpte_load_rules);
	g_test_add_func("/fmt/pae/2m-reserved", test_pae_2m_and_reserved);
	g_test_add_func("/fmt/4level/sizes", test_4level_4k_2m_1g);
	g_test_add_func("/fmt/4level/reserved", test_4level_reserved);
	g_test_add_func("/fmt/4level/canonical", test_4level_canonical);
	g_test_add_func("/fmt/4level/ad-on-fault", test_4level_ad_on_fault);
	g_test_add_func("/fmt/4level/global-pkey", test_4level_global_pkey);
	g_test_add_func("/fmt/5level", test_5level);
	g_test_add_func("/mmu/init-rules", test_mmu_init_rules);
	g_test_add_func("/walk/accessor-error", test_accessor_error);
	return g_test_run();
}
