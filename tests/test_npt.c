/*
 * AMD nested paging (APM Vol. 2 15.25): the host dimension walked on its own,
 * with the requests the 2D walk makes (CPL 3, PG_HREQ_GUEST_TABLE for a
 * guest table entry, PG_HREQ_FINAL for the guest's final GPA). Every nested
 * table is written by hand with constants from the x86 entry layouts (APM
 * 5.3-5.4; SDM Vol. 3A 4.3-4.5), and every #NPF EXITINFO1/EXITINFO2 value is
 * computed by hand from APM 15.25.6 ("Nested versus Guest Page Faults,
 * Fault Ordering"): a #PF-style error code (APM 8.4.2: P=1, RW=2, US=4,
 * RSVD=8, ID=0x10) with US always set (15.25.5), plus bit 32 for a fault on
 * the final GPA or bit 33 for a fault on a guest page-table access.
 */
#include <errno.h>
#include <glib.h>

#include "cpu/ram.h"
#include "npt/npt.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/mmu.h"
#include "paging/walk.h"

#include "fixture_ram.h"

#define GLA 0x7fffe123ull /* the guest linear address behind every request */

/* EXITINFO1 constants by hand (APM 15.25.6, 8.4.2). */
#define B32 0x100000000ull /* fault on the final GPA */
#define B33 0x200000000ull /* fault on a guest page-table access */

static void init_mmu(struct fx *f)
{
	const char *why = NULL;
	g_assert_cmpint(npt_mmu_init(&f->mmu, &f->regs, &f->cpu, &why), ==, 0);
	g_assert_true(f->mmu.rules == &npt_rules);
	g_assert_true(f->mmu.addr_physical);
}

/* One host walk of @gpa as the 2D walk makes it. */
static void nwalk(struct fx *f, uint64_t gpa, enum pg_access a, uint8_t hreq)
{
	struct pg_req rq = { .va = gpa, .access = (uint8_t)a, .cpl = 3, .host = hreq,
			     .gla = GLA };
	g_assert_cmpint(pg_walk(&f->mmu, &f->acc, &rq, &f->w), ==, 0);
}

static void assert_ok(struct fx *f, uint64_t pa, uint64_t size, unsigned refs)
{
	g_assert_cmpuint(f->w.fault.vector, ==, 0);
	g_assert_cmphex(f->w.pa, ==, pa);
	g_assert_cmphex(f->w.page_size, ==, size);
	g_assert_cmpuint(f->w.refs, ==, refs);
}

/* A #NPF with EXITINFO1 @info and EXITINFO2 @gpa, found at @level. */
static void assert_npf(struct fx *f, uint64_t info, uint64_t gpa, unsigned level)
{
	g_assert_cmpuint(f->w.fault.vector, ==, PG_VEC_VMEXIT);
	g_assert_cmpuint(f->w.fault.exit_reason, ==, PG_EXIT_NPF);
	g_assert_cmphex(f->w.fault.host_info, ==, info);
	g_assert_cmphex(f->w.fault.gpa, ==, gpa);
	g_assert_cmphex(f->w.fault.gla, ==, GLA);
	g_assert_cmpuint(f->w.fault.level, ==, level);
	g_assert_cmpuint(f->w.fault.stage, ==,
			 (info & B33) ? PG_STAGE_HOST_TABLE : PG_STAGE_HOST_FINAL);
}

/* ---- legacy 2-level host (hCR4.PAE=0) ---- */

/* GPA 0x00403abc: PDE index 1, PTE index 3, offset 0xabc. nCR3 0x1000. */
static void test_2level(void)
{
	struct fx f;
	fx_init(&f);
	set_mode(&f, PG_MODE_2LEVEL, 0x1000);
	put(&f, 0x1004, 4, 0x2000 | 0x7);   /* PDE: P RW US */
	put(&f, 0x200c, 4, 0x345000 | 0x7); /* PTE */
	init_mmu(&f);
	g_assert_true(f.mmu.fmt == &pg_fmt_2level);

	/* A guest table read: A on both entries, no D. */
	nwalk(&f, 0x403abc, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_ok(&f, 0x345abc, 4096, 2);
	g_assert_cmphex(get(&f, 0x1004, 4), ==, 0x2027);
	g_assert_cmphex(get(&f, 0x200c, 4), ==, 0x345027);
	g_assert_cmpuint(f.w.ad_writes, ==, 2);

	/* A write to the final GPA: D on the leaf only. */
	nwalk(&f, 0x403abc, PG_ACC_WRITE, PG_HREQ_FINAL);
	assert_ok(&f, 0x345abc, 4096, 2);
	g_assert_cmphex(get(&f, 0x200c, 4), ==, 0x345067);
	g_assert_cmpuint(f.w.ad_writes, ==, 1);

	/* Without hCR4.PSE the PS bit of a nested PDE is ignored (SDM 4.3). */
	put(&f, 0x1004, 4, 0x2000 | 0x80 | 0x27);
	nwalk(&f, 0x403abc, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x345abc, 4096, 2);

	/*
	 * A 32-bit nested table maps 32-bit GPAs only. The APM defines no
	 * walk for a wider GPA (CPUID Fn8000_0008_EAX[23:16] GuestPhysAddrSize
	 * bounds what a guest may use); tdpsim reports it as not mapped: a
	 * not-present #NPF at the top level, with no table read.
	 */
	nwalk(&f, 0x100403abcull, PG_ACC_READ, PG_HREQ_FINAL);
	assert_npf(&f, B32 | 0x4, 0x100403abcull, 2);
	g_assert_cmpuint(f.w.refs, ==, 0);
	fx_free(&f);
}

/* hCR4.PSE=1: a 4 MiB nested page (PSE-36 bits 20:13 = PA 39:32). */
static void test_2level_pse(void)
{
	struct fx f;
	fx_init(&f);
	set_mode(&f, PG_MODE_2LEVEL, 0x1000);
	f.regs.cr4 |= CR4_PSE;
	put(&f, 0x1004, 4, 0x00c00000u | (0x12u << 13) | 0x80 | 0x7);
	init_mmu(&f);
	nwalk(&f, 0x403abc, PG_ACC_WRITE, PG_HREQ_FINAL);
	assert_ok(&f, 0x1200c03abcull, 4u << 20, 1);
	g_assert_true(f.w.large);
	/* A and D on the 4 MiB leaf, in one locked update. */
	g_assert_cmphex(get(&f, 0x1004, 4), ==, 0x00c00000u | (0x12u << 13) | 0x80 | 0x67);
	g_assert_cmpuint(f.w.ad_writes, ==, 1);

	/* Bit 21 of a 4 MiB PDE is reserved: RSVD, on a guest table access. */
	put(&f, 0x1004, 4, 0x00c00000u | (1u << 21) | 0x80 | 0x7);
	nwalk(&f, 0x403abc, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_npf(&f, B33 | 0x8 | 0x4 | 0x1, 0x403abc, 2);
	fx_free(&f);
}

/* ---- PAE host (hCR4.PAE=1, hEFER.LMA=0) ---- */

/* GPA 0xc0403abc: PDPTE 3, PDE 2, PTE 3. nCR3 0x1020 (32-byte aligned). */
static void pae_tables(struct fx *f)
{
	set_mode(f, PG_MODE_PAE, 0x1020);
	put(f, 0x1038, 8, 0x2000 | 0x1);                /* PDPTE 3: P only */
	put(f, 0x2010, 8, 0x3000 | 0x7);                /* PDE 2 */
	put(f, 0x3018, 8, 0x1234567000ull | 0x7);       /* PTE 3 */
	init_mmu(f);
}

/*
 * APM 15.25.10: a PAE host's nested PDPTEs are not held in registers; every
 * nested walk reads the one it needs from nCR3, so a walk costs 3
 * references and sees a changed PDPTE at once, with no CR3 load.
 */
static void test_pae(void)
{
	struct fx f;
	fx_init(&f);
	pae_tables(&f);
	g_assert_true(f.mmu.fmt == &pg_fmt_pae);
	g_assert_true(f.mmu.pdpte_in_walk);

	nwalk(&f, 0xc0403abc, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_ok(&f, 0x1234567abcull, 4096, 3);
	g_assert_cmpuint(f.w.nlevels, ==, 3);
	g_assert_false(f.w.lvl[0].from_reg);
	g_assert_cmphex(f.w.lvl[0].entry_addr, ==, 0x1038);
	/* PAE PDPTEs have no A flag; the PDE and PTE get theirs. */
	g_assert_cmphex(get(&f, 0x1038, 8), ==, 0x2001);
	g_assert_cmphex(get(&f, 0x2010, 8), ==, 0x3027);
	g_assert_cmphex(get(&f, 0x3018, 8), ==, 0x1234567027ull);

	/* Again: 3 references again, the PDPTE read from memory. */
	nwalk(&f, 0xc0403abc, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x1234567abcull, 4096, 3);

	/* The PDPTE cleared in memory: the next walk faults, not present,
	 * at level 3. */
	put(&f, 0x1038, 8, 0);
	nwalk(&f, 0xc0403abc, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_npf(&f, B33 | 0x4, 0xc0403abc, 3);
	g_assert_cmpuint(f.w.refs, ==, 1);

	/* A reserved bit (bit 1) in a present PDPTE is a #NPF with RSVD, not
	 * a #GP: there is no load to fail. */
	put(&f, 0x1038, 8, 0x2000 | 0x3);
	nwalk(&f, 0xc0403abc, PG_ACC_WRITE, PG_HREQ_FINAL);
	assert_npf(&f, B32 | 0x8 | 0x4 | 0x2 | 0x1, 0xc0403abc, 3);

	/* A PAE nested table maps 32-bit GPAs only (see test_2level). */
	put(&f, 0x1038, 8, 0x2000 | 0x1);
	nwalk(&f, 0x1c0403abcull, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_npf(&f, B33 | 0x4, 0x1c0403abcull, 3);
	g_assert_cmpuint(f.w.refs, ==, 0);
	fx_free(&f);
}

/* A 2 MiB page in a PAE nested table. */
static void test_pae_2m(void)
{
	struct fx f;
	fx_init(&f);
	pae_tables(&f);
	put(&f, 0x2010, 8, 0x40000000ull | 0x80 | 0x7);
	nwalk(&f, 0xc0403abc, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x40003abcull, 2u << 20, 2);
	fx_free(&f);
}

/* ---- 4-level host ---- */

/*
 * GPA 0x8040603abc: PML4 index 1, PDPT index 1, PD index 3, PT index 3,
 * offset 0xabc. Tables at 0x1000 (nCR3), 0x2000, 0x3000, 0x4000.
 */
#define GPA4 0x8040603abcull
static void l4_tables(struct fx *f)
{
	set_mode(f, PG_MODE_4LEVEL, 0x1000);
	put(f, 0x1008, 8, 0x2000 | 0x7);
	put(f, 0x2008, 8, 0x3000 | 0x7);
	put(f, 0x3018, 8, 0x4000 | 0x7);
	put(f, 0x4018, 8, 0xabcdef000ull | 0x7);
	init_mmu(f);
}

static void test_4level_sizes(void)
{
	struct fx f;
	fx_init(&f);
	l4_tables(&f);
	g_assert_true(f.mmu.fmt == &pg_fmt_4level);

	/* 4 KiB, a write to the final GPA: A on every level, D on the PTE. */
	nwalk(&f, GPA4, PG_ACC_WRITE, PG_HREQ_FINAL);
	assert_ok(&f, 0xabcdefabcull, 4096, 4);
	g_assert_cmphex(get(&f, 0x1008, 8), ==, 0x2027);
	g_assert_cmphex(get(&f, 0x2008, 8), ==, 0x3027);
	g_assert_cmphex(get(&f, 0x3018, 8), ==, 0x4027);
	g_assert_cmphex(get(&f, 0x4018, 8), ==, 0xabcdef067ull);
	g_assert_cmpuint(f.w.ad_writes, ==, 4);
	g_assert_cmpuint(f.w.perms, ==, PG_PERM_W | PG_PERM_U | PG_PERM_X);

	/* 2 MiB. */
	put(&f, 0x3018, 8, 0x40000000ull | 0x80 | 0x7);
	nwalk(&f, GPA4, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_ok(&f, 0x40003abcull, 2u << 20, 3);
	g_assert_cmphex(get(&f, 0x3018, 8), ==, 0x40000000ull | 0x80 | 0x27);

	/* 1 GiB. */
	put(&f, 0x2008, 8, 0x80000000ull | 0x80 | 0x7);
	nwalk(&f, GPA4, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x80603abcull, 1u << 30, 2);
	fx_free(&f);
}

/*
 * A GPA is not a linear address: bit 47 set without sign extension is an
 * ordinary GPA to a 4-level nested table (no #GP for non-canonical), and a
 * GPA at or above 2^48 is beyond its reach (not present, top level).
 */
static void test_4level_gpa_width(void)
{
	struct fx f;
	fx_init(&f);
	l4_tables(&f);
	put(&f, 0x1800, 8, 0x2000 | 0x7);                  /* PML4[0x100] */
	put(&f, 0x2000, 8, 0xc0000000ull | 0x80 | 0x7);    /* PDPT[0]: 1 GiB */
	nwalk(&f, 0x800000000123ull, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0xc0000123ull, 1u << 30, 2);

	nwalk(&f, 0x1000000000123ull, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_npf(&f, B33 | 0x4, 0x1000000000123ull, 4);
	g_assert_cmpuint(f.w.refs, ==, 0);
	fx_free(&f);
}

/* ---- 5-level host (hCR4.LA57) ---- */

/* GPA 0x01000000000123: PML5 index 1, then index 0 down to the PT. */
static void test_5level(void)
{
	struct fx f;
	fx_init(&f);
	set_mode(&f, PG_MODE_5LEVEL, 0x1000);
	put(&f, 0x1008, 8, 0x2000 | 0x7); /* PML5E 1 */
	put(&f, 0x2000, 8, 0x3000 | 0x7); /* PML4E 0 */
	put(&f, 0x3000, 8, 0x4000 | 0x7); /* PDPTE 0 */
	put(&f, 0x4000, 8, 0x5000 | 0x7); /* PDE 0 */
	put(&f, 0x5000, 8, 0x777000 | 0x7);
	init_mmu(&f);
	g_assert_true(f.mmu.fmt == &pg_fmt_5level);
	nwalk(&f, 0x1000000000123ull, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_ok(&f, 0x777123, 4096, 5);
	g_assert_cmphex(get(&f, 0x1008, 8), ==, 0x2027);

	/* 1 GiB at the PDPT. */
	put(&f, 0x3000, 8, 0x40000000ull | 0x80 | 0x7);
	nwalk(&f, 0x1000000000123ull, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x40000123ull, 1u << 30, 3);

	/* At or above 2^57: beyond a 5-level table. */
	nwalk(&f, 0x200000000000123ull, PG_ACC_READ, PG_HREQ_FINAL);
	assert_npf(&f, B32 | 0x4, 0x200000000000123ull, 5);
	fx_free(&f);
}

/* ---- #NPF exit information (APM 15.25.6) ---- */

/* Not present on a guest-table access: P=0, US=1, bit 33. The levels above
 * keep the A flag they got; the walk stops at the PTE. */
static void test_npf_not_present_table(void)
{
	struct fx f;
	fx_init(&f);
	l4_tables(&f);
	put(&f, 0x4018, 8, 0);
	nwalk(&f, GPA4, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_npf(&f, 0x200000004ull, GPA4, 1);
	g_assert_cmpuint(f.w.refs, ==, 4);
	g_assert_cmphex(get(&f, 0x3018, 8), ==, 0x4027);

	/* A guest A/D update (a write) to the same unmapped page. */
	nwalk(&f, GPA4, PG_ACC_WRITE, PG_HREQ_GUEST_TABLE);
	assert_npf(&f, 0x200000006ull, GPA4, 1);

	/* A PDPTE-load-style request also counts as a table access. */
	nwalk(&f, GPA4, PG_ACC_READ, PG_HREQ_PDPTE_LOAD);
	assert_npf(&f, 0x200000004ull, GPA4, 1);
	fx_free(&f);
}

/* Write to a read-only nested page on the final GPA: P|RW|US, bit 32. R/W
 * counts for user accesses whatever hCR0.WP (APM 5.6), and the leaf gets no
 * A or D on the failed write. */
static void test_npf_write_readonly(void)
{
	struct fx f;
	fx_init(&f);
	l4_tables(&f);
	f.regs.cr0 &= ~CR0_WP;
	init_mmu(&f);
	put(&f, 0x4018, 8, 0xabcdef000ull | 0x5); /* P US, R/W=0 */
	nwalk(&f, GPA4, PG_ACC_WRITE, PG_HREQ_FINAL);
	assert_npf(&f, 0x100000007ull, GPA4, 1);
	g_assert_cmphex(get(&f, 0x4018, 8), ==, 0xabcdef005ull);

	/* The guest's A/D write to a read-only page holding its tables. */
	nwalk(&f, GPA4, PG_ACC_WRITE, PG_HREQ_GUEST_TABLE);
	assert_npf(&f, 0x200000007ull, GPA4, 1);

	/* Reads are fine and set A only. */
	nwalk(&f, GPA4, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0xabcdefabcull, 4096, 4);
	g_assert_cmpuint(f.w.perms, ==, PG_PERM_U | PG_PERM_X);
	g_assert_cmphex(get(&f, 0x4018, 8), ==, 0xabcdef025ull);
	fx_free(&f);
}

/* U/S=0 in a nested PDE: every nested access is a user access (APM
 * 15.25.5), so even a read faults: P|US, bit 32. The request's CPL does
 * not matter. */
static void test_npf_supervisor_page(void)
{
	struct fx f;
	fx_init(&f);
	l4_tables(&f);
	put(&f, 0x3018, 8, 0x4000 | 0x3); /* PDE: P RW, U/S=0 */
	nwalk(&f, GPA4, PG_ACC_READ, PG_HREQ_FINAL);
	assert_npf(&f, 0x100000005ull, GPA4, 1);

	struct pg_req rq = { .va = GPA4, .access = PG_ACC_READ, .cpl = 0,
			     .host = PG_HREQ_GUEST_TABLE, .gla = GLA };
	g_assert_cmpint(pg_walk(&f.mmu, &f.acc, &rq, &f.w), ==, 0);
	assert_npf(&f, 0x200000005ull, GPA4, 1);
	fx_free(&f);
}

/* XD with hEFER.NXE=1 on a fetch: P|US|ID, bit 32. Without hEFER.NXE bit
 * 63 is reserved: P|RSVD|US, and no ID (APM 8.4.2: I/D only with
 * EFER.NXE=1). */
static void test_npf_nx(void)
{
	struct fx f;
	fx_init(&f);
	l4_tables(&f);
	put(&f, 0x4018, 8, PTE_XD | 0xabcdef000ull | 0x7);
	nwalk(&f, GPA4, PG_ACC_FETCH, PG_HREQ_FINAL);
	assert_npf(&f, 0x100000015ull, GPA4, 1);
	nwalk(&f, GPA4, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0xabcdefabcull, 4096, 4);
	g_assert_cmpuint(f.w.perms, ==, PG_PERM_W | PG_PERM_U);

	f.regs.efer &= ~EFER_NXE;
	init_mmu(&f);
	nwalk(&f, GPA4, PG_ACC_FETCH, PG_HREQ_FINAL);
	assert_npf(&f, 0x10000000dull, GPA4, 1);
	fx_free(&f);
}

/* A reserved bit (bit 50 with MAXPHYADDR 46) in a nested PDE on a guest
 * table read: P|RSVD|US, bit 33. */
static void test_npf_reserved(void)
{
	struct fx f;
	fx_init(&f);
	l4_tables(&f);
	put(&f, 0x3018, 8, BIT64(50) | 0x4000 | 0x7);
	nwalk(&f, GPA4, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_npf(&f, 0x20000000dull, GPA4, 2);
	g_assert_cmpuint(f.w.refs, ==, 3);
	fx_free(&f);
}

/* Host SMEP, SMAP and protection keys play no part in nested walks: the
 * accesses are user accesses to GPAs, not to linear addresses. With PKRU
 * denying all access to key 1 and the leaf tagged with key 1, reads and
 * writes still succeed. */
static void test_host_controls_ignored(void)
{
	struct fx f;
	fx_init(&f);
	l4_tables(&f);
	f.regs.cr4 |= CR4_SMEP | CR4_SMAP | CR4_PKE | CR4_PKS;
	f.regs.pkru = 0xffffffffu;
	f.regs.pkrs = 0xffffffffu;
	init_mmu(&f);
	put(&f, 0x4018, 8, (UINT64_C(1) << PTE_PK_SHIFT) | 0xabcdef000ull | 0x7);
	nwalk(&f, GPA4, PG_ACC_WRITE, PG_HREQ_GUEST_TABLE);
	assert_ok(&f, 0xabcdefabcull, 4096, 4);
	nwalk(&f, GPA4, PG_ACC_FETCH, PG_HREQ_FINAL);
	assert_ok(&f, 0xabcdefabcull, 4096, 4);
	fx_free(&f);
}

/* Host state without a nested format. */
static void test_init_rejects(void)
{
	struct fx f;
	const char *why = NULL;
	fx_init(&f);
	set_mode(&f, PG_MODE_NONE, 0x1000);
	g_assert_cmpint(npt_mmu_init(&f.mmu, &f.regs, &f.cpu, &why), ==, -EINVAL);
	g_assert_nonnull(why);
	/* The host's own checks still apply: LA57 without the feature. */
	set_mode(&f, PG_MODE_5LEVEL, 0x1000);
	f.cpu.la57 = false;
	why = NULL;
	g_assert_cmpint(npt_mmu_init(&f.mmu, &f.regs, &f.cpu, &why), ==, -EINVAL);
	g_assert_nonnull(why);
	fx_free(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/npt/2level", test_2level);
	g_test_add_func("/npt/2level/pse", test_2level_pse);
	g_test_add_func("/npt/pae", test_pae);
	g_test_add_func("/npt/pae/2m", test_pae_2m);
	g_test_add_func("/npt/4level/sizes", test_4level_sizes);
	g_test_add_func("/npt/4level/gpa-width", test_4level_gpa_width);
	g_test_add_func("/npt/5level", test_5level);
	g_test_add_func("/npt/npf/not-present-table", test_npf_not_present_table);
	g_test_add_func("/npt/npf/write-readonly", test_npf_write_readonly);
	g_test_add_func("/npt/npf/supervisor-page", test_npf_supervisor_page);
	g_test_add_func("/npt/npf/nx", test_npf_nx);
	g_test_add_func("/npt/npf/reserved", test_npf_reserved);
	g_test_add_func("/npt/host-controls-ignored", test_host_controls_ignored);
	g_test_add_func("/npt/init-rejects", test_init_rejects);
	return g_test_run();
}
