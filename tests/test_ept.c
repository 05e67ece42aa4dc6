/*
 * Unit tests for Intel EPT as a host dimension (src/ept/). The EPT tables
 * are written by hand with constants from the manual's layouts (SDM Vol. 3C
 * 29.3.2, Tables 29-1..29-7) and walked with the generic walker over plain
 * RAM; every expectation, the exit qualifications (Table 28-7) included,
 * is a constant worked out by hand.
 *
 * The tables (MAXPHYADDR 46):
 *   EPTP 4-level  0x101e: PML4 at 0x1000, WB (6), page-walk length 4 (3<<3)
 *   EPTP 5-level  0x5026: PML5 at 0x5000, WB, page-walk length 5 (4<<3)
 *   PML5[1]  @0x5008 = 0x1407  -> PML4 0x1000 (R W X XU)
 *   PML4[1]  @0x1008 = 0x2407  -> PDPT 0x2000
 *   PDPT[2]  @0x2010 = 0x3407  -> PD 0x3000
 *   PDPT[3]  @0x2018 = 1 GiB leaf, per test
 *   PD[3]    @0x3018 = 0x4407  -> PT 0x4000
 *   PD[5]    @0x3028 = 2 MiB leaf, per test
 *   PT[4]    @0x4020 = 4 KiB leaf, per test
 * GPA 0x80_8060_4567 = PML4 1, PDPT 2, PD 3, PT 4, offset 0x567.
 */
#include <errno.h>
#include <glib.h>

#include "cpu/ram.h"
#include "ept/ept.h"
#include "paging/access_ram.h"
#include "paging/nested.h"

#define RAM_SIZE (1u << 20)

#define EPTP4    UINT64_C(0x101e)
#define EPTP5    UINT64_C(0x5026)
#define GPA4K    UINT64_C(0x8080604567)
#define GPA5     (BIT64(48) | GPA4K)
#define GPA2M    UINT64_C(0x8080a12345) /* PML4 1, PDPT 2, PD 5, offset 0x12345 */
#define GPA1G    UINT64_C(0x80c2345678) /* PML4 1, PDPT 3, offset 0x2345678 */
#define PTE_ADDR UINT64_C(0x4020)
#define PTE_PAGE UINT64_C(0x123456000)
#define WB       (UINT64_C(6) << 3)     /* memory type 6 in bits 5:3 */
#define GLA      UINT64_C(0x7fff12345567)

struct fx {
	struct cpu_ram ram;
	struct pg_accessor acc;
	struct ept_caps caps;
	struct pg_mmu mmu;
	struct pg_walk w;
};

static void put(struct fx *f, uint64_t pa, uint64_t v)
{
	g_assert_cmpint(cpu_ram_write_le(&f->ram, pa, 8, v), ==, 0);
}

static uint64_t get(struct fx *f, uint64_t pa)
{
	uint64_t v;
	g_assert_cmpint(cpu_ram_read_le(&f->ram, pa, 8, &v), ==, 0);
	return v;
}

/* The common tables, with @pte as the 4 KiB leaf. */
static void fx_init(struct fx *f, uint64_t pte)
{
	g_assert_cmpint(cpu_ram_init(&f->ram, RAM_SIZE), ==, 0);
	pg_ram_accessor(&f->acc, &f->ram);
	ept_caps_all(&f->caps);
	f->caps.maxphyaddr = 46;
	put(f, 0x5008, 0x1407);
	put(f, 0x1008, 0x2407);
	put(f, 0x2010, 0x3407);
	put(f, 0x3018, 0x4407);
	put(f, PTE_ADDR, pte);
}

static void fx_free(struct fx *f)
{
	cpu_ram_free(&f->ram);
}

static void init(struct fx *f, uint64_t eptp, bool mbec)
{
	const char *why = NULL;
	g_assert_cmpint(ept_mmu_init(&f->mmu, eptp, &f->caps, mbec, &why), ==, 0);
}

/* Walk @gpa for @a, made for @host (PG_HREQ_*), guest linear address GLA. */
static void walk(struct fx *f, uint64_t gpa, enum pg_access a, unsigned host)
{
	struct pg_req rq = { .va = gpa, .access = (uint8_t)a, .host = (uint8_t)host,
			     .gla = GLA };
	g_assert_cmpint(pg_walk(&f->mmu, &f->acc, &rq, &f->w), ==, 0);
}

static void assert_ok(struct fx *f, uint64_t pa)
{
	g_assert_cmpuint(f->w.fault.vector, ==, 0);
	g_assert_cmphex(f->w.pa, ==, pa);
}

static void assert_misconfig(struct fx *f, unsigned level, uint64_t gpa)
{
	g_assert_cmpuint(f->w.fault.vector, ==, PG_VEC_VMEXIT);
	g_assert_cmpuint(f->w.fault.exit_reason, ==, PG_EXIT_EPT_MISCONFIG);
	g_assert_cmpuint(f->w.fault.level, ==, level);
	g_assert_cmphex(f->w.fault.gpa, ==, gpa);
	g_assert_cmphex(f->w.fault.host_info, ==, 0);
}

static void assert_violation(struct fx *f, unsigned level, uint64_t qual)
{
	g_assert_cmpuint(f->w.fault.vector, ==, PG_VEC_VMEXIT);
	g_assert_cmpuint(f->w.fault.exit_reason, ==, PG_EXIT_EPT_VIOLATION);
	g_assert_cmpuint(f->w.fault.level, ==, level);
	g_assert_cmphex(f->w.fault.host_info, ==, qual);
}

/* ---- translation (SDM 29.3.2) ---- */

/* 4-level EPT, 4 KiB page: 4 references; the PTE's bit 7 is ignored and
 * its bit 63 (suppress #VE) is not reserved (Table 29-7). */
static void test_4level_4k(void)
{
	struct fx f;
	fx_init(&f, BIT64(63) | PTE_PAGE | BIT64(7) | WB | EPTE_RWX);
	init(&f, EPTP4, false);
	g_assert_true(f.mmu.fmt == &ept_fmt4);
	g_assert_true(f.mmu.rules == &ept_rules);
	g_assert_cmphex(f.mmu.root, ==, 0x1000);
	walk(&f, GPA4K, PG_ACC_WRITE, PG_HREQ_FINAL);
	assert_ok(&f, 0x123456567);
	g_assert_cmpuint(f.w.page_size, ==, 4096);
	g_assert_cmpuint(f.w.refs, ==, 4);
	g_assert_cmpuint(f.w.nlevels, ==, 4);
	g_assert_cmphex(f.w.lvl[0].entry_addr, ==, 0x1008);
	g_assert_cmphex(f.w.lvl[1].entry_addr, ==, 0x2010);
	g_assert_cmphex(f.w.lvl[2].entry_addr, ==, 0x3018);
	g_assert_cmphex(f.w.lvl[3].entry_addr, ==, PTE_ADDR);
	/* No MBEC: bit 10 is not a right. */
	g_assert_cmpuint(f.w.perms, ==, PG_PERM_R | PG_PERM_W | PG_PERM_X);
	/* EPTP.AD=0: no A/D updates. */
	g_assert_cmpuint(f.w.ad_writes, ==, 0);
	g_assert_cmphex(get(&f, 0x1008), ==, 0x2407);
	fx_free(&f);
}

/* 5-level EPT (page-walk length 5, SDM 29.3.2): 5 references, GPA bit 48
 * indexes the PML5. */
static void test_5level_4k(void)
{
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_RWX);
	init(&f, EPTP5, false);
	g_assert_true(f.mmu.fmt == &ept_fmt5);
	walk(&f, GPA5, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x123456567);
	g_assert_cmpuint(f.w.refs, ==, 5);
	g_assert_cmphex(f.w.lvl[0].entry_addr, ==, 0x5008);
	fx_free(&f);
}

/* A GPA is zero-extended: bit 47 is an ordinary index bit (no canonical
 * rule), and with 4-level EPT a GPA with bits above 47 has no translation:
 * a violation with no reference (SDM 29.3.2). */
static void test_gpa_width(void)
{
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_RWX);
	put(&f, 0x1000 + 256 * 8, 0x2407); /* PML4[256]: GPA bit 47 */
	init(&f, EPTP4, false);
	walk(&f, BIT64(47) | (GPA4K & GENMASK64(38, 0)), PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x123456567);
	walk(&f, BIT64(48) | GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	/* read, GLA valid, final; no permission bits */
	assert_violation(&f, 4, 0x181);
	g_assert_cmpuint(f.w.refs, ==, 0);
	fx_free(&f);
}

/* 2 MiB leaf: an EPT PDE with bit 7 set (Table 29-5); bits 20:12 reserved. */
static void test_2m(void)
{
	struct fx f;
	fx_init(&f, 0);
	put(&f, 0x3028, 0x40000000 | EPTE_PS | WB | EPTE_RWX);
	init(&f, EPTP4, false);
	walk(&f, GPA2M, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x40012345);
	g_assert_cmpuint(f.w.page_size, ==, 2u << 20);
	g_assert_true(f.w.large);
	g_assert_cmpuint(f.w.refs, ==, 3);
	/* Bit 12 of a 2 MiB leaf is reserved: misconfiguration. */
	put(&f, 0x3028, 0x40001000 | EPTE_PS | WB | EPTE_RWX);
	walk(&f, GPA2M, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 2, GPA2M);
	fx_free(&f);
}

/* 1 GiB leaf: an EPT PDPTE with bit 7 set (Table 29-3), only where the
 * CPU supports 1 GiB EPT pages; otherwise bit 7 is reserved (29.3.3.1). */
static void test_1g(void)
{
	struct fx f;
	fx_init(&f, 0);
	put(&f, 0x2018, 0x140000000 | EPTE_PS | WB | EPTE_RWX);
	init(&f, EPTP4, false);
	walk(&f, GPA1G, PG_ACC_WRITE, PG_HREQ_FINAL);
	assert_ok(&f, 0x142345678);
	g_assert_cmpuint(f.w.page_size, ==, 1u << 30);
	g_assert_cmpuint(f.w.refs, ==, 2);
	/* Bit 29 of a 1 GiB leaf is reserved. */
	put(&f, 0x2018, 0x160000000 | EPTE_PS | WB | EPTE_RWX);
	walk(&f, GPA1G, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 3, GPA1G);
	/* Without 1 GiB support, PS=1 in a PDPTE is a reserved bit. */
	put(&f, 0x2018, 0x140000000 | EPTE_PS | WB | EPTE_RWX);
	f.caps.gbpages = false;
	init(&f, EPTP4, false);
	walk(&f, GPA1G, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 3, GPA1G);
	g_assert_cmpuint(f.w.refs, ==, 2);
	fx_free(&f);
}

/* ---- misconfigurations (SDM 29.3.3.1) ---- */

/* Misconfiguration at the PTE for @pte under @caps_xonly. */
static void misconfig_pte(uint64_t pte, bool xonly)
{
	struct fx f;
	fx_init(&f, pte);
	f.caps.xonly = xonly;
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 1, GPA4K);
	g_assert_cmpuint(f.w.fault.stage, ==, PG_STAGE_HOST_FINAL);
	fx_free(&f);
}

/* Bits 2:0 = 010b (write-only) and 110b (write/execute) are always
 * misconfigurations; 100b (execute-only) without execute-only support. */
static void test_misconfig_rwx(void)
{
	misconfig_pte(PTE_PAGE | WB | EPTE_W, true);
	misconfig_pte(PTE_PAGE | WB | EPTE_W | EPTE_X, true);
	misconfig_pte(PTE_PAGE | WB | EPTE_X, false);

	/* Execute-only where supported: a read is a violation, a fetch
	 * goes through. Read, X in the AND, GLA valid, final: 0x1a1. */
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_X);
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_FETCH, PG_HREQ_FINAL);
	assert_ok(&f, 0x123456567);
	g_assert_cmpuint(f.w.perms, ==, PG_PERM_X);
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	assert_violation(&f, 1, 0x1a1);
	fx_free(&f);

	/* A write-only non-leaf entry is a misconfiguration too. */
	fx_init(&f, PTE_PAGE | WB | EPTE_RWX);
	put(&f, 0x2010, 0x3402);
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 3, GPA4K);
	fx_free(&f);
}

/* Leaf memory types 2, 3 and 7 are reserved (SDM 29.3.3.1, 29.3.7); the
 * others are valid. */
static void test_misconfig_memtype(void)
{
	misconfig_pte(PTE_PAGE | (UINT64_C(2) << 3) | EPTE_RWX, true);
	misconfig_pte(PTE_PAGE | (UINT64_C(3) << 3) | EPTE_RWX, true);
	misconfig_pte(PTE_PAGE | (UINT64_C(7) << 3) | EPTE_RWX, true);

	struct fx f;
	fx_init(&f, 0);
	init(&f, EPTP4, false);
	for (uint64_t mt = 0; mt < 8; mt++) {
		if (mt == 2 || mt == 3 || mt == 7)
			continue;
		put(&f, PTE_ADDR, PTE_PAGE | (mt << 3) | EPTE_IPAT | EPTE_RWX);
		walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
		assert_ok(&f, 0x123456567);
	}
	/* A 2 MiB leaf with memory type 7. */
	put(&f, 0x3028, 0x40000000 | EPTE_PS | (UINT64_C(7) << 3) | EPTE_RWX);
	walk(&f, GPA2M, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 2, GPA2M);
	fx_free(&f);
}

/* In a non-leaf entry bits 7:3 (6:3 of a PS=0 PDE/PDPTE) are reserved
 * (Tables 29-2, 29-4, 29-6): a "memory type" there, or bit 7 of a PML4E
 * or PML5E, is a misconfiguration. */
static void test_misconfig_nonleaf_rsvd(void)
{
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_RWX);
	init(&f, EPTP4, false);
	put(&f, 0x3018, 0x4407 | WB); /* PDE, PS=0, bits 5:3 = 6 */
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 2, GPA4K);
	g_assert_cmpuint(f.w.refs, ==, 3);
	put(&f, 0x3018, 0x4407 | EPTE_IPAT);
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 2, GPA4K);
	put(&f, 0x3018, 0x4407);
	put(&f, 0x1008, 0x2407 | EPTE_PS);
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 4, GPA4K);
	put(&f, 0x1008, 0x2407);
	init(&f, EPTP5, false);
	put(&f, 0x5008, 0x1407 | EPTE_PS);
	walk(&f, GPA5, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 5, GPA5);
	fx_free(&f);
}

/* Bits 51:M are reserved in every entry (SDM 29.3.2 tables, M = 46 here);
 * bits 62:52 are ignored. */
static void test_misconfig_maxphyaddr(void)
{
	misconfig_pte(BIT64(46) | PTE_PAGE | WB | EPTE_RWX, true);
	misconfig_pte(BIT64(51) | PTE_PAGE | WB | EPTE_RWX, true);

	struct fx f;
	fx_init(&f, BIT64(52) | BIT64(62) | PTE_PAGE | WB | EPTE_RWX);
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x123456567);
	put(&f, 0x1008, BIT64(50) | 0x2407);
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	assert_misconfig(&f, 4, GPA4K);
	g_assert_cmpuint(f.w.refs, ==, 1);
	fx_free(&f);
}

/* ---- violations and the exit qualification (SDM 29.3.3.2, Table 28-7) ---- */

/* Write to a read/execute page for the final GPA of a user-mode, writable
 * linear address: bits 1 (write), 3 (readable), 5 (executable), 7 (GLA
 * valid), 8 (final), 9 (user LA), 10 (R/W LA) = 0x7aa. */
static void test_violation_write(void)
{
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_R | EPTE_X);
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_WRITE, PG_HREQ_FINAL | PG_HREQ_USER_LA | PG_HREQ_RW_LA);
	assert_violation(&f, 1, 0x7aa);
	g_assert_cmpuint(f.w.fault.stage, ==, PG_STAGE_HOST_FINAL);
	g_assert_cmphex(f.w.fault.gpa, ==, GPA4K);
	g_assert_cmphex(f.w.fault.gla, ==, GLA);
	g_assert_cmphex(f.w.fault.addr, ==, GLA);
	fx_free(&f);
}

/* Fetch from a read/write page of an execute-disable linear address:
 * bits 2, 3, 4, 7, 8, 11 = 0x99c. */
static void test_violation_fetch(void)
{
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_R | EPTE_W);
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_FETCH, PG_HREQ_FINAL | PG_HREQ_XD_LA);
	assert_violation(&f, 1, 0x99c);
	fx_free(&f);
}

/* Not-present EPT PML4E on a guest paging-structure read: the AND includes
 * the not-present entry, so bits 3:6 are 0; bits 0 (read) and 7 (GLA
 * valid), bit 8 clear (a guest table access) = 0x81. */
static void test_violation_not_present_table(void)
{
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_RWX);
	init(&f, EPTP4, false);
	walk(&f, UINT64_C(0x10000000000) | 0x123, PG_ACC_READ, PG_HREQ_GUEST_TABLE);
	assert_violation(&f, 4, 0x81);
	g_assert_cmpuint(f.w.fault.stage, ==, PG_STAGE_HOST_TABLE);
	g_assert_cmpuint(f.w.refs, ==, 1);
	g_assert_cmphex(f.w.fault.gla, ==, GLA);
	/* Not-present PTE on the final access: still no permission bits. */
	put(&f, PTE_ADDR, PTE_PAGE | WB);
	walk(&f, GPA4K, PG_ACC_WRITE, PG_HREQ_FINAL);
	assert_violation(&f, 1, 0x182);
	fx_free(&f);
}

/* PAE PDPTE load at MOV to CR3 (a read, no linear address): bit 7 clear,
 * so bit 8 and the GLA are not reported; stage host-table. A read of an
 * execute-only page: read, executable = 0x21. */
static void test_violation_pdpte_load(void)
{
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_X);
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_PDPTE_LOAD);
	assert_violation(&f, 1, 0x21);
	g_assert_cmpuint(f.w.fault.stage, ==, PG_STAGE_HOST_TABLE);
	g_assert_cmphex(f.w.fault.gla, ==, 0);
	fx_free(&f);
}

/* Guest paging-structure accesses with EPT A/D are writes for EPT (SDM
 * 29.3.3.2); a violation then sets both bits 0 and 1 (Table 28-7,
 * footnote). Read-only PTE: 0x1|0x2|0x8|0x80 = 0x8b. Without EPTP.AD a
 * guest A/D update (a write) reports bit 1 only: 0x8a. */
static void test_violation_table_write(void)
{
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_R);
	init(&f, EPTP4 | EPTP_AD, false);
	walk(&f, GPA4K, PG_ACC_WRITE, PG_HREQ_GUEST_TABLE);
	assert_violation(&f, 1, 0x8b);
	g_assert_cmpuint(f.w.fault.stage, ==, PG_STAGE_HOST_TABLE);
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_WRITE, PG_HREQ_GUEST_TABLE);
	assert_violation(&f, 1, 0x8a);
	/* The same read-only page for a final read is fine. */
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x123456567);
	fx_free(&f);
}

/* Permission bits 3:5 are the AND over all levels: a read-only PDE above
 * an RWX PTE denies writes and reports only "readable" (0x18a). */
static void test_violation_and_over_levels(void)
{
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_RWX);
	put(&f, 0x3018, 0x4001);
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_WRITE, PG_HREQ_FINAL);
	assert_violation(&f, 1, 0x18a);
	fx_free(&f);
}

/* ---- mode-based execute control (SDM 29.3.3.2, Table 28-7 bit 6) ---- */

static void test_mbec(void)
{
	struct fx f;

	/* R+X, no XU: supervisor fetch allowed, user fetch denied.
	 * Fetch, readable, exec, GLA valid, final, user LA = 0x3ac. */
	fx_init(&f, PTE_PAGE | WB | EPTE_R | EPTE_X);
	init(&f, EPTP4, true);
	walk(&f, GPA4K, PG_ACC_FETCH, PG_HREQ_FINAL);
	assert_ok(&f, 0x123456567);
	g_assert_cmpuint(f.w.perms, ==, PG_PERM_R | PG_PERM_X);
	walk(&f, GPA4K, PG_ACC_FETCH, PG_HREQ_FINAL | PG_HREQ_USER_LA);
	assert_violation(&f, 1, 0x3ac);

	/* R+XU: user fetch allowed, supervisor fetch denied. Fetch,
	 * readable, user-exec (bit 6), GLA valid, final = 0x1cc. */
	put(&f, PTE_ADDR, PTE_PAGE | WB | EPTE_R | EPTE_XU);
	walk(&f, GPA4K, PG_ACC_FETCH, PG_HREQ_FINAL | PG_HREQ_USER_LA);
	assert_ok(&f, 0x123456567);
	g_assert_cmpuint(f.w.perms, ==, PG_PERM_R | PG_PERM_XU);
	walk(&f, GPA4K, PG_ACC_FETCH, PG_HREQ_FINAL);
	assert_violation(&f, 1, 0x1cc);

	/* XU only: present with MBEC; execute-only is supported here. */
	put(&f, PTE_ADDR, PTE_PAGE | WB | EPTE_XU);
	walk(&f, GPA4K, PG_ACC_FETCH, PG_HREQ_FINAL | PG_HREQ_USER_LA);
	assert_ok(&f, 0x123456567);
	/* Without execute-only support it is a misconfiguration. */
	f.caps.xonly = false;
	init(&f, EPTP4, true);
	walk(&f, GPA4K, PG_ACC_FETCH, PG_HREQ_FINAL | PG_HREQ_USER_LA);
	assert_misconfig(&f, 1, GPA4K);

	/* Without MBEC, bit 10 is ignored: an XU-only entry is not
	 * present (0x184 = fetch, GLA valid, final, no rights), and a user
	 * fetch needs X: R+XU is denied with bit 6 clear (0x38c). */
	f.caps.xonly = true;
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_FETCH, PG_HREQ_FINAL);
	assert_violation(&f, 1, 0x184);
	put(&f, PTE_ADDR, PTE_PAGE | WB | EPTE_R | EPTE_XU);
	walk(&f, GPA4K, PG_ACC_FETCH, PG_HREQ_FINAL | PG_HREQ_USER_LA);
	assert_violation(&f, 1, 0x38c);
	fx_free(&f);
}

/* ---- accessed and dirty flags (SDM 29.3.5) ---- */

static void test_ad(void)
{
	struct fx f;
	fx_init(&f, PTE_PAGE | WB | EPTE_RWX);

	/* EPTP.AD=1, read: A on every entry walked, no D. */
	init(&f, EPTP4 | EPTP_AD, false);
	walk(&f, GPA4K, PG_ACC_READ, PG_HREQ_FINAL);
	assert_ok(&f, 0x123456567);
	g_assert_cmpuint(f.w.ad_writes, ==, 4);
	g_assert_cmphex(get(&f, 0x1008), ==, 0x2507);
	g_assert_cmphex(get(&f, 0x2010), ==, 0x3507);
	g_assert_cmphex(get(&f, 0x3018), ==, 0x4507);
	g_assert_cmphex(get(&f, PTE_ADDR), ==, PTE_PAGE | EPTE_A | WB | EPTE_RWX);
	/* Write: D on the leaf only. */
	walk(&f, GPA4K, PG_ACC_WRITE, PG_HREQ_FINAL);
	g_assert_cmpuint(f.w.ad_writes, ==, 1);
	g_assert_cmphex(get(&f, PTE_ADDR), ==, PTE_PAGE | EPTE_D | EPTE_A | WB | EPTE_RWX);
	g_assert_cmphex(get(&f, 0x3018), ==, 0x4507);
	fx_free(&f);

	/* A violation leaves the leaf untouched (the entries above keep the
	 * A flag they got on the way down). */
	fx_init(&f, PTE_PAGE | WB | EPTE_R);
	init(&f, EPTP4 | EPTP_AD, false);
	walk(&f, GPA4K, PG_ACC_WRITE, PG_HREQ_FINAL);
	assert_violation(&f, 1, 0x18a);
	g_assert_cmphex(get(&f, PTE_ADDR), ==, PTE_PAGE | WB | EPTE_R);
	g_assert_cmphex(get(&f, 0x3018), ==, 0x4507);
	fx_free(&f);

	/* EPTP.AD=0: nothing written. */
	fx_init(&f, PTE_PAGE | WB | EPTE_RWX);
	init(&f, EPTP4, false);
	walk(&f, GPA4K, PG_ACC_WRITE, PG_HREQ_FINAL);
	g_assert_cmpuint(f.w.ad_writes, ==, 0);
	g_assert_cmphex(get(&f, PTE_ADDR), ==, PTE_PAGE | WB | EPTE_RWX);
	fx_free(&f);
}

/* ---- EPTP validation (SDM 27.2.1.1, EPTP checks; format 25.6.11) ---- */

static void eptp_bad(const struct ept_caps *c, uint64_t eptp, bool mbec)
{
	struct pg_mmu m;
	const char *why = NULL;
	g_assert_cmpint(ept_mmu_init(&m, eptp, c, mbec, &why), ==, -EINVAL);
	g_assert_nonnull(why);
}

static void test_eptp(void)
{
	struct ept_caps c;
	struct pg_mmu m;
	const char *why = NULL;

	ept_caps_all(&c);
	c.maxphyaddr = 46;
	/* UC is accepted too. */
	g_assert_cmpint(ept_mmu_init(&m, 0x1018, &c, false, &why), ==, 0);
	eptp_bad(&c, 0x1019, false);            /* memory type 1 (WC) */
	eptp_bad(&c, 0x101c, false);            /* memory type 4 (WT) */
	eptp_bad(&c, 0x1016, false);            /* page-walk length 3 */
	eptp_bad(&c, 0x102e, false);            /* page-walk length 6 */
	eptp_bad(&c, EPTP4 | BIT64(7), false);  /* SSS: not offered */
	eptp_bad(&c, EPTP4 | BIT64(8), false);  /* reserved 11:8 */
	eptp_bad(&c, EPTP4 | BIT64(11), false);
	eptp_bad(&c, EPTP4 | BIT64(46), false); /* above MAXPHYADDR */
	eptp_bad(&c, EPTP4 | BIT64(63), false);

	c.wb = false;
	eptp_bad(&c, EPTP4, false);
	c.wb = true;
	c.pwl5 = false;
	eptp_bad(&c, EPTP5, false);
	c.pwl4 = false;
	eptp_bad(&c, EPTP4, false);
	c.pwl4 = true;
	c.ad = false;
	eptp_bad(&c, EPTP4 | EPTP_AD, false);
	c.mbec = false;
	eptp_bad(&c, EPTP4, true);
	c.maxphyaddr = 53;
	eptp_bad(&c, EPTP4, false);

	/* EPTP.AD selects A/D; MBEC adds bit 10 to present and rights. */
	ept_caps_all(&c);
	g_assert_cmpint(ept_mmu_init(&m, EPTP4 | EPTP_AD, &c, true, &why), ==, 0);
	g_assert_cmphex(m.a_bit, ==, EPTE_A);
	g_assert_cmphex(m.d_bit, ==, EPTE_D);
	g_assert_cmphex(m.present, ==, EPTE_RWX | EPTE_XU);
	g_assert_cmphex(m.perm_and, ==, EPTE_RWX | EPTE_XU);
	g_assert_cmphex(m.eptp, ==, EPTP4 | EPTP_AD);
	g_assert_true(m.ept_mbec);
	g_assert_cmpint(ept_mmu_init(&m, EPTP4, &c, false, &why), ==, 0);
	g_assert_cmphex(m.a_bit, ==, 0);
	g_assert_cmphex(m.d_bit, ==, 0);
	g_assert_cmphex(m.present, ==, EPTE_RWX);
	g_assert_cmphex(m.perm_and, ==, EPTE_RWX);
}

/* ---- under a guest: the 2D walk (SDM 29.3.2, 29.3.3.2, Table 28-7) ---- */

/*
 * A 4-level guest over a 4-level EPT whose EPT PML4[0] -> PDPT[0] is a
 * 1 GiB identity leaf (@leaf_rights). Guest VA 0x401567: PML4 0, PDPT 0,
 * PD 2, PT 1; guest tables at GPA 0x10000..0x13000, page at GPA 0x20000.
 * @gflags are OR'ed into every guest entry (A, and D for the PTE).
 */
struct fx2 {
	struct fx f;
	struct pg_mmu guest;
	struct pg_host host;
	struct pg_nested n;
	struct pg_walk2d r;
};

#define GVA UINT64_C(0x401567)

static void fx2_init(struct fx2 *x, uint64_t leaf_rights, uint64_t eptp, uint64_t gflags)
{
	struct pg_regs regs = {
		.cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x10000, .cr4 = CR4_PAE,
		.efer = EFER_LME | EFER_LMA | EFER_NXE,
	};
	struct pg_cpu cpu;
	const char *why = NULL;

	fx_init(&x->f, 0);
	put(&x->f, 0x1000, 0x2407);
	put(&x->f, 0x2000, EPTE_PS | WB | leaf_rights);
	put(&x->f, 0x10000, 0x11007 | gflags);
	put(&x->f, 0x11000, 0x12007 | gflags);
	put(&x->f, 0x12010, 0x13007 | gflags);
	put(&x->f, 0x13008, 0x20007 | gflags);
	pg_cpu_all(&cpu);
	cpu.maxphyaddr = 46;
	g_assert_cmpint(pg_mmu_init(&x->guest, &regs, &cpu, &why), ==, 0);
	init(&x->f, eptp, false);
	x->host = (struct pg_host){ .mmu = &x->f.mmu, .mem = x->f.acc,
				    .table_writes = (eptp & EPTP_AD) != 0 };
	x->n = (struct pg_nested){ .host = &x->host };
}

static void walk2d(struct fx2 *x, enum pg_access a)
{
	struct pg_req rq = { .va = GVA, .access = (uint8_t)a, .cpl = 3 };
	g_assert_cmpint(pg_walk2d(&x->n, &x->guest, &rq, &x->r), ==, 0);
}

static void assert_2d_violation(struct fx2 *x, uint8_t stage, uint64_t gpa, uint64_t qual)
{
	g_assert_cmpuint(x->r.fault.vector, ==, PG_VEC_VMEXIT);
	g_assert_cmpuint(x->r.fault.exit_reason, ==, PG_EXIT_EPT_VIOLATION);
	g_assert_cmpuint(x->r.fault.stage, ==, stage);
	g_assert_cmphex(x->r.fault.gpa, ==, gpa);
	g_assert_cmphex(x->r.fault.gla, ==, GVA);
	g_assert_cmphex(x->r.fault.host_info, ==, qual);
}

static void test_2d(void)
{
	struct fx2 x;

	/* RWX: 4 guest reads, 2 EPT reads for each of the 4 guest tables
	 * and 2 for the final GPA = 14. */
	fx2_init(&x, EPTE_RWX, EPTP4, 0);
	walk2d(&x, PG_ACC_READ);
	g_assert_cmpuint(x.r.fault.vector, ==, 0);
	g_assert_cmphex(x.r.hpa, ==, 0x20567);
	g_assert_cmpuint(x.r.host_page_size, ==, 1u << 30);
	g_assert_cmpuint(x.r.refs, ==, 14);
	fx_free(&x.f);

	/* Read/execute EPT leaf, no EPT A/D: the guest's reads are fine but
	 * its A-flag update of the PML4E is a write (29.3.3.2): write,
	 * readable, executable, GLA valid, table access = 0xaa. */
	fx2_init(&x, EPTE_R | EPTE_X, EPTP4, 0);
	walk2d(&x, PG_ACC_READ);
	assert_2d_violation(&x, PG_STAGE_HOST_TABLE, 0x10000, 0xaa);

	/* Guest A/D already set: the walk succeeds up to the final write of
	 * a user, writable linear address: 0x7aa (as test_violation_write). */
	fx_free(&x.f);
	fx2_init(&x, EPTE_R | EPTE_X, EPTP4, PTE_A | PTE_D);
	walk2d(&x, PG_ACC_READ);
	g_assert_cmpuint(x.r.fault.vector, ==, 0);
	walk2d(&x, PG_ACC_WRITE);
	assert_2d_violation(&x, PG_STAGE_HOST_FINAL, 0x20567, 0x7aa);
	fx_free(&x.f);

	/* With EPTP.AD every guest table access is a write for EPT: the
	 * first guest read already faults, reporting read and write:
	 * 0x3 | readable | executable | GLA valid = 0xab. */
	fx2_init(&x, EPTE_R | EPTE_X, EPTP4 | EPTP_AD, PTE_A | PTE_D);
	walk2d(&x, PG_ACC_READ);
	assert_2d_violation(&x, PG_STAGE_HOST_TABLE, 0x10000, 0xab);
	fx_free(&x.f);
}

/* ---- decoding for display (Tables 29-2, 29-5, 29-7; Table 28-7) ---- */

static void assert_names(const char *const *got, unsigned n, const char *want)
{
	GString *s = g_string_new(NULL);
	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(s, "%s%s", i ? " " : "", got[i]);
	g_assert_cmpstr(s->str, ==, want);
	g_string_free(s, TRUE);
}

static void test_decode(void)
{
	struct ept_caps c;
	struct pg_mmu m;
	struct pg_decoded d;
	const char *names[12];
	const char *why;

	ept_caps_all(&c);
	c.maxphyaddr = 46;
	g_assert_cmpint(ept_mmu_init(&m, EPTP4 | EPTP_AD, &c, true, &why), ==, 0);
	/* 4 KiB leaf with everything. */
	ept_decode_entry(&m, 1, BIT64(63) | PTE_PAGE | 0x77f, &d);
	assert_names(d.bits, d.nbits, "R W X MT=7 IPAT A D XU SVE MISCONFIG");
	g_assert_true(d.leaf);
	g_assert_cmphex(d.addr, ==, PTE_PAGE);
	/* 2 MiB leaf, WB, accessed. */
	ept_decode_entry(&m, 2, 0x40000000 | 0x1b7, &d);
	assert_names(d.bits, d.nbits, "R W X MT=6 PS A");
	g_assert_cmphex(d.addr, ==, 0x40000000);
	/* Non-leaf PML4E with a "memory type" and bit 46: reserved. */
	ept_decode_entry(&m, 4, BIT64(46) | 0x2437, &d);
	assert_names(d.bits, d.nbits, "R W X XU RSVD");
	g_assert_cmphex(d.rsvd, ==, BIT64(46) | 0x30);
	g_assert_false(d.leaf);
	/* Write-only. */
	ept_decode_entry(&m, 3, 0x3002, &d);
	assert_names(d.bits, d.nbits, "W MISCONFIG");
	/* Without EPTP.AD or MBEC, bits 8..10 are not shown. */
	g_assert_cmpint(ept_mmu_init(&m, EPTP4, &c, false, &why), ==, 0);
	ept_decode_entry(&m, 1, PTE_PAGE | 0x737, &d);
	assert_names(d.bits, d.nbits, "R W X MT=6");
	assert_names(names, ept_decode_qual(0x7aa, names),
		     "W readable executable gla-valid final user-la rw-la");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ept/4level-4k", test_4level_4k);
	g_test_add_func("/ept/5level-4k", test_5level_4k);
	g_test_add_func("/ept/gpa-width", test_gpa_width);
	g_test_add_func("/ept/2m", test_2m);
	g_test_add_func("/ept/1g", test_1g);
	g_test_add_func("/ept/misconfig/rwx", test_misconfig_rwx);
	g_test_add_func("/ept/misconfig/memtype", test_misconfig_memtype);
	g_test_add_func("/ept/misconfig/nonleaf-rsvd", test_misconfig_nonleaf_rsvd);
	g_test_add_func("/ept/misconfig/maxphyaddr", test_misconfig_maxphyaddr);
	g_test_add_func("/ept/violation/write", test_violation_write);
	g_test_add_func("/ept/violation/fetch", test_violation_fetch);
	g_test_add_func("/ept/violation/not-present-table", test_violation_not_present_table);
	g_test_add_func("/ept/violation/pdpte-load", test_violation_pdpte_load);
	g_test_add_func("/ept/violation/table-write", test_violation_table_write);
	g_test_add_func("/ept/violation/and-over-levels", test_violation_and_over_levels);
	g_test_add_func("/ept/mbec", test_mbec);
	g_test_add_func("/ept/ad", test_ad);
	g_test_add_func("/ept/eptp", test_eptp);
	g_test_add_func("/ept/2d", test_2d);
	g_test_add_func("/ept/decode", test_decode);
	return g_test_run();
}
