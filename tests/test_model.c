/*
 * The timing model against first principles (src/timing/model*.c), on
 * synthetic page tables built by src/paging/synth.c, natively and over EPT.
 *
 * Every expected count is worked out by hand in the comment above its
 * assertion from the reference order of SDM Vol. 3A 4.5 / Vol. 3C 29.3.2:
 * a native n-level walk reads n entries, a 2D walk of an n-level guest over
 * an m-level host reads (n+1)(m+1)-1.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "cpu/ram.h"
#include "ept/ept.h"
#include "npt/npt.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/synth.h"
#include "timing/model.h"
#include "timing/model_int.h"

#define OFF        UINT64_C(0x1000000) /* GPA 0 is at HPA 16 MiB */
#define GRAM       UINT64_C(0x1000000) /* 16 MiB of guest-physical memory */
#define HOST_BASE  UINT64_C(0x200000)  /* host (EPT) tables */
#define GUEST_BASE UINT64_C(0x100000)  /* guest tables (GPA) */
#define DATA       UINT64_C(0x400000)  /* guest data pages (GPA) */
#define VA         UINT64_C(0x7f0000000000)
#define PRW        (PTE_P | PTE_RW)
#define PRWA       (PTE_P | PTE_RW | PTE_A)

struct fx {
	struct cpu_ram hram, gram; /* gram: the guest-physical view inside hram */
	struct pg_synth gs;
	struct pg_mmu hmmu;
	struct pg_host host;
	struct pg_cpu cpu;
	struct tm_config cfg;
	struct pg_regs regs;
	struct tm_model *m;
	const struct pg_format *gf;
	bool has_host;
};

/* Caches and PSCs absent, a small TLB hierarchy; memory costs 100. */
static void bare_cfg(struct tm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->l1d.arr[0] = (struct tm_array_cfg){ 16, 4, TM_POLICY_LRU, TM_SZ_4K, 1 };
	c->l1d.arr[1] = (struct tm_array_cfg){ 8, 4, TM_POLICY_LRU, TM_SZ_2M, 1 };
	c->l1i.arr[0] = (struct tm_array_cfg){ 16, 4, TM_POLICY_LRU, TM_SZ_4K, 1 };
	c->stlb.arr[0] = (struct tm_array_cfg){ 64, 4, TM_POLICY_LRU, TM_SZ_4K | TM_SZ_2M, 7 };
	c->mem_latency = 100;
	c->cost.base_cpi = 0.5;
	c->cost.ad_update = 20;
	c->cost.walk_start = 10;
	c->cost.vmexit = 1000;
	c->cost.flush = 50;
	c->cost.invlpg = 30;
}

/* bare_cfg plus split PSCs, nested TLB and host PSC. */
static void psc_cfg(struct tm_config *c)
{
	bare_cfg(c);
	c->pwc_kind = TM_PWC_SPLIT;
	c->pwc_level[2] = (struct tm_array_cfg){ 32, 4, TM_POLICY_LRU, 0, 1 };
	c->pwc_level[3] = (struct tm_array_cfg){ 4, 4, TM_POLICY_LRU, 0, 1 };
	c->pwc_level[4] = (struct tm_array_cfg){ 2, 2, TM_POLICY_LRU, 0, 1 };
	c->pwc_level[5] = (struct tm_array_cfg){ 2, 2, TM_POLICY_LRU, 0, 1 };
	c->ntlb = (struct tm_array_cfg){ 16, 16, TM_POLICY_LRU, 0, 1 };
	c->npwc = (struct tm_array_cfg){ 16, 16, TM_POLICY_LRU, 0, 1 };
}

#define HOST_NPT4 14 /* fx_init @ept_levels: AMD 4-level nested tables instead */

/* Guest tables of @gf; with @ept_levels (4/5) an EPT mapping every GPA
 * page to GPA + OFF with host pages of @hps (HOST_NPT4: the same mapping in
 * 4-level AMD nested tables). */
static void fx_init(struct fx *f, const struct pg_format *gf, unsigned ept_levels, uint64_t hps)
{
	memset(f, 0, sizeof(*f));
	f->gf = gf;
	pg_cpu_all(&f->cpu);
	g_assert_cmpint(cpu_ram_init(&f->hram, OFF + GRAM), ==, 0);
	f->gram = (struct cpu_ram){ .base = f->hram.base + OFF, .size = GRAM };
	g_assert_cmpint(pg_synth_init(&f->gs, &f->gram, gf, GUEST_BASE), ==, 0);
	if (ept_levels == HOST_NPT4) {
		struct pg_regs hr = { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE, .cr3 = HOST_BASE,
				      .efer = EFER_LME | EFER_LMA | EFER_NXE };
		struct pg_synth hs;
		const char *why = NULL;

		g_assert_cmpint(pg_synth_init(&hs, &f->hram, &pg_fmt_4level, HOST_BASE), ==, 0);
		g_assert_cmpint(npt_mmu_init(&f->hmmu, &hr, &f->cpu, &why), ==, 0);
		for (uint64_t g = 0; g < GRAM; g += hps)
			g_assert_cmpint(pg_synth_map(&hs, g, g + OFF, hps, PRWA | PTE_US,
						     PRWA | PTE_US), ==, 0);
		f->host.mmu = &f->hmmu;
		f->host.guest_pdpte_in_walk = true; /* APM Vol. 2 15.25.10 */
		pg_ram_accessor(&f->host.mem, &f->hram);
		f->has_host = true;
	} else if (ept_levels) {
		struct ept_caps caps;
		struct pg_synth hs;
		const char *why = NULL;
		uint64_t eptp = HOST_BASE | ((uint64_t)(ept_levels - 1) << EPTP_PWL_SHIFT) | 6;

		ept_caps_all(&caps);
		g_assert_cmpint(pg_synth_init(&hs, &f->hram, ept_levels == 5 ? &ept_fmt5 : &ept_fmt4,
					      HOST_BASE), ==, 0);
		g_assert_cmpint(ept_mmu_init(&f->hmmu, eptp, &caps, false, &why), ==, 0);
		for (uint64_t g = 0; g < GRAM; g += hps)
			g_assert_cmpint(pg_synth_map(&hs, g, g + OFF, hps,
						     EPTE_RWX | (UINT64_C(6) << EPTE_MT_SHIFT),
						     EPTE_RWX), ==, 0);
		f->host.mmu = &f->hmmu;
		pg_ram_accessor(&f->host.mem, &f->hram);
		f->has_host = true;
	}
	f->regs.cr0 = CR0_PE | CR0_PG | CR0_WP;
	f->regs.cr3 = f->gs.root;
	if (gf->mode == PG_MODE_2LEVEL)
		f->regs.cr4 = CR4_PSE;
	if (gf->mode >= PG_MODE_PAE) {
		f->regs.cr4 |= CR4_PAE;
		f->regs.efer |= EFER_NXE;
	}
	if (gf->mode >= PG_MODE_4LEVEL)
		f->regs.efer |= EFER_LME | EFER_LMA;
	if (gf->mode == PG_MODE_5LEVEL)
		f->regs.cr4 |= CR4_LA57;
}

static void fx_model(struct fx *f, bool set_ad)
{
	struct tm_env env = { .cpu = &f->cpu, .host = f->has_host ? &f->host : NULL,
			      .set_ad = set_ad };
	char why[160] = "";

	pg_ram_accessor(&env.mem, &f->gram);
	g_assert_cmpint(tm_model_new(&f->cfg, &env, &f->regs, &f->m, why, sizeof(why)), ==, 0);
}

static void fx_free(struct fx *f)
{
	tm_model_free(f->m);
	cpu_ram_free(&f->hram);
}

static void map(struct fx *f, uint64_t va, uint64_t pa, uint64_t size, uint64_t leaf,
		uint64_t table)
{
	g_assert_cmpint(pg_synth_map(&f->gs, va, pa, size, leaf, table), ==, 0);
}

static const struct tm_stats *st(const struct fx *f)
{
	return tm_model_stats(f->m);
}

/* Sequential 8-byte reads over N 4 KiB pages, 16 per page: the L1 DTLB
 * misses once per page (the first touch) and hits the other 15 times. */
static void test_sequential_misses(void)
{
	enum { N = 40, PER = 16 };
	struct fx f;

	fx_init(&f, &pg_fmt_4level, 0, 0);
	for (unsigned i = 0; i < N; i++)
		map(&f, VA + i * 4096, DATA + i * 4096, 4096, PRWA, PRWA);
	psc_cfg(&f.cfg);
	fx_model(&f, false);
	for (unsigned i = 0; i < N; i++)
		for (unsigned k = 0; k < PER; k++)
			tm_access(f.m, VA + i * 4096 + k * 8, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->accesses, ==, N * PER);
	g_assert_cmpuint(st(&f)->reads, ==, N * PER);
	g_assert_cmpuint(st(&f)->tlb_misses[TM_L1D][TM_4K], ==, N);
	g_assert_cmpuint(st(&f)->tlb_hits[TM_L1D][TM_4K], ==, N * (PER - 1));
	/* 40 pages fit in the 64-entry STLB: every miss walks once. */
	g_assert_cmpuint(st(&f)->walks, ==, N);
	g_assert_cmpuint(st(&f)->walk_faults, ==, 0);
	fx_free(&f);
}

/* With no PSC and no caches every walk makes all its references:
 * n for a native n-level walk, (n+1)(m+1)-1 for 2D. */
static void check_full_walk(const struct pg_format *gf, unsigned ept, unsigned expect)
{
	/* Intel PAE under EPT: each of the 4 PDPTE reads is translated by a
	 * full host walk first: 4 x (4 + 1). */
	unsigned pdpte = !gf->top_in_regs || ept == HOST_NPT4 ? 0 : ept ? 4 * (ept + 1) : 4;
	struct fx f;

	fx_init(&f, gf, ept, 4096);
	map(&f, 0x400000, DATA, 4096, PRWA, PRWA);
	map(&f, 0x401000, DATA + 4096, 4096, PRWA, PRWA);
	bare_cfg(&f.cfg);
	fx_model(&f, false);
	tm_access(f.m, 0x400010, 4, TM_READ, 0);
	tm_access(f.m, 0x401010, 4, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walks, ==, 2);
	g_assert_cmpuint(st(&f)->walk_faults, ==, 0);
	g_assert_cmpuint(st(&f)->walk_refs, ==, 2 * expect);
	g_assert_cmpuint(st(&f)->walk_refs_skipped, ==, 0);
	g_assert_cmpuint(st(&f)->walk_hist[expect], ==, 2);
	/* No caches: every reference goes to memory at 100 cycles; a walk
	 * costs walk_start 10 + 100 per reference. PAE adds the load of the
	 * four PDPTE registers when the model starts (SDM 4.4.1). */
	g_assert_cmpuint(st(&f)->line_hits[TM_ML_MEM], ==, 2 * expect + pdpte);
	g_assert_cmpuint(st(&f)->cycles[TM_CY_WALK], ==, 2 * (10 + 100 * expect) + 100 * pdpte);
	fx_free(&f);
}

static void test_full_walk_counts(void)
{
	check_full_walk(&pg_fmt_4level, 0, 4);
	check_full_walk(&pg_fmt_5level, 0, 5);
	check_full_walk(&pg_fmt_2level, 0, 2);
	/* PAE: the PDPTE comes from its register: PD and PT only. */
	check_full_walk(&pg_fmt_pae, 0, 2);
	check_full_walk(&pg_fmt_4level, 4, 24); /* (4+1)(4+1)-1 */
	check_full_walk(&pg_fmt_5level, 5, 35); /* (5+1)(5+1)-1 */
	check_full_walk(&pg_fmt_2level, 4, 14); /* (2+1)(4+1)-1 */
	check_full_walk(&pg_fmt_4level, 5, 29); /* (4+1)(5+1)-1 */
	/* Intel PAE guest under EPT: PDPTEs from registers (loaded at CR3),
	 * so the walk is PD and PT with a host walk each, plus the final
	 * GPA: 2 x (4 + 1) + 4. */
	check_full_walk(&pg_fmt_pae, 4, 14);
	/* AMD nested paging: the same matrix, 24 for 4-on-4; a PAE guest
	 * reads its PDPTE through the nested tables on every walk, so it is a
	 * 3-level guest: (3+1)(4+1)-1 = 19, and nothing is loaded at CR3. */
	check_full_walk(&pg_fmt_4level, HOST_NPT4, 24);
	check_full_walk(&pg_fmt_pae, HOST_NPT4, 19);
}

/* Split PSCs, native 4-level: the first walk reads PML4E, PDPTE, PDE, PTE
 * (4). A second page in the same 2 MiB region hits the PDE cache and reads
 * only its PTE (1); 3 references are skipped. A page in another 2 MiB
 * region of the same 1 GiB hits the PDPTE cache: PDE + PTE (2). */
static void test_psc_native(void)
{
	struct fx f;

	fx_init(&f, &pg_fmt_4level, 0, 0);
	map(&f, VA, DATA, 4096, PRWA, PRWA);
	map(&f, VA + 0x5000, DATA + 0x5000, 4096, PRWA, PRWA);
	map(&f, VA + 0x200000, DATA + 0x6000, 4096, PRWA, PRWA);
	psc_cfg(&f.cfg);
	fx_model(&f, false);
	tm_access(f.m, VA, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walk_refs, ==, 4);
	tm_access(f.m, VA + 0x5000, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walk_refs, ==, 4 + 1);
	g_assert_cmpuint(st(&f)->walk_refs_skipped, ==, 3);
	g_assert_cmpuint(st(&f)->pwc_hits[2], ==, 1);
	tm_access(f.m, VA + 0x200000, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walk_refs, ==, 4 + 1 + 2);
	g_assert_cmpuint(st(&f)->walk_refs_skipped, ==, 3 + 2);
	g_assert_cmpuint(st(&f)->pwc_hits[3], ==, 1);
	g_assert_cmpuint(st(&f)->walk_hist[1], ==, 1);
	g_assert_cmpuint(st(&f)->walk_hist[2], ==, 1);
	g_assert_cmpuint(st(&f)->walk_hist[4], ==, 1);
	fx_free(&f);
}

/* 2D, 4-level guest over 4-level EPT, 4 KiB host pages, PSC + nested TLB +
 * host PSC, all cold. The guest tables are the pages at GPA 0x100000,
 * 0x101000, 0x102000, 0x103000 (the builder's bump allocator); data at GPA
 * 0x400000.
 * First walk: host walk of 0x100000: 4 (all cold), PML4E 1; host walk of
 * 0x101000: the host PDE of its 2 MiB region is now cached: 1 (host PTE),
 * PDPTE 1; likewise PD 1+1 and PT 1+1; the final GPA 0x400000 lies in
 * another 2 MiB region of the same 1 GiB: the host PDPTE is cached, host
 * PDE + PTE: 2. Total 13 of 24 (9 host, 4 guest).
 * Second page, same guest 2 MiB region: the guest PDE cache hits (guest
 * levels 4..2 and their host walks skipped); the PT's GPA hits the nested
 * TLB; the PTE is read (1); the final GPA is a new page: nested-TLB miss,
 * host PDE cached since the first walk: host PTE only (1). Total 2. */
static void test_psc_2d(void)
{
	struct fx f;

	fx_init(&f, &pg_fmt_4level, 4, 4096);
	map(&f, VA, DATA, 4096, PRWA, PRWA);
	map(&f, VA + 0x5000, DATA + 0x5000, 4096, PRWA, PRWA);
	psc_cfg(&f.cfg);
	fx_model(&f, false);
	tm_access(f.m, VA, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walk_refs, ==, 13);
	g_assert_cmpuint(st(&f)->walk_refs_skipped, ==, 24 - 13);
	g_assert_cmpuint(st(&f)->walk_guest_refs, ==, 4);
	g_assert_cmpuint(st(&f)->walk_host_refs, ==, 9);
	g_assert_cmpuint(st(&f)->npwc_hits, ==, 4);
	g_assert_cmpuint(st(&f)->ntlb_misses, ==, 5);
	tm_access(f.m, VA + 0x5000, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walk_refs, ==, 13 + 2);
	g_assert_cmpuint(st(&f)->walk_refs_skipped, ==, 11 + 22);
	g_assert_cmpuint(st(&f)->walk_guest_refs, ==, 4 + 1);
	g_assert_cmpuint(st(&f)->walk_host_refs, ==, 9 + 1);
	g_assert_cmpuint(st(&f)->ntlb_hits, ==, 1);
	g_assert_cmpuint(st(&f)->npwc_hits, ==, 4 + 1);
	g_assert_cmpuint(st(&f)->pwc_hits[2], ==, 1);
	fx_free(&f);
}

/* Splintering: a 2 MiB guest page over 4 KiB host pages is cached as
 * 4 KiB entries (the combined translation is no larger than the host
 * page), so two 4 KiB pieces miss twice; over 2 MiB host pages the one
 * 2 MiB entry serves both. */
static void check_splinter(uint64_t hps, unsigned walks, unsigned size)
{
	struct fx f;

	fx_init(&f, &pg_fmt_4level, 4, hps);
	map(&f, VA, 0x800000, UINT64_C(2) << 20, PRWA, PRWA);
	psc_cfg(&f.cfg);
	fx_model(&f, false);
	tm_access(f.m, VA + 0x1000, 8, TM_READ, 0);
	tm_access(f.m, VA + 0x3000, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walks, ==, walks);
	g_assert_cmpuint(st(&f)->tlb_misses[TM_L1D][size], ==, walks);
	g_assert_cmpuint(st(&f)->tlb_hits[TM_L1D][size], ==, 2 - walks);
	fx_free(&f);
}

static void test_splinter(void)
{
	check_splinter(4096, 2, TM_4K);
	check_splinter(UINT64_C(2) << 20, 1, TM_2M);
}

/* A 4 MiB page of 32-bit paging is held as the 2 MiB half accessed: the
 * other half misses again (SDM 4.10.2.3 lets a processor cache a 4 MiB
 * page as smaller pages; tdpsim's arrays hold 2 MiB at most). */
static void test_4m_halves(void)
{
	struct fx f;

	fx_init(&f, &pg_fmt_2level, 0, 0);
	map(&f, 0x800000, 0xc00000, UINT64_C(4) << 20, PRWA | PTE_US, PRWA);
	psc_cfg(&f.cfg);
	fx_model(&f, false);
	tm_access(f.m, 0x800000, 4, TM_READ, 0);
	tm_access(f.m, 0x9ff000, 4, TM_READ, 0); /* same 2 MiB half */
	tm_access(f.m, 0xa00000, 4, TM_READ, 0); /* other half */
	g_assert_cmpuint(st(&f)->walks, ==, 2);
	g_assert_cmpuint(st(&f)->tlb_hits[TM_L1D][TM_2M], ==, 1);
	g_assert_cmpuint(st(&f)->tlb_misses[TM_L1D][TM_2M], ==, 2);
	fx_free(&f);
}

static uint64_t rd(struct fx *f, uint64_t gpa)
{
	uint64_t v = 0;

	g_assert_cmpint(cpu_ram_read_le(&f->gram, gpa, 8, &v), ==, 0);
	return v;
}

/* A/D: tables with A=0 everywhere. A write walk would set A in the PML4E,
 * PDPTE and PDE and A|D in the PTE: 4 locked updates, charged 20 cycles
 * each, and with set_ad false nothing is written. A write to a second page
 * of the same PT (PDE-cache hit): 1 update, the PTE's A|D (the upper A
 * flags were "set" when those entries were cached). A read of a page whose
 * TLB entry came from a read and then a write to it: the entry's D is clear,
 * so the write misses and walks again (SDM 4.8). */
static void test_ad(void)
{
	struct fx f;
	const uint64_t addr = UINT64_C(0x000ffffffffff000);
	uint64_t after[4];

	fx_init(&f, &pg_fmt_4level, 0, 0);
	map(&f, VA, DATA, 4096, PRW, PRW);
	map(&f, VA + 0x1000, DATA + 0x1000, 4096, PRW, PRW);
	map(&f, VA + 0x2000, DATA + 0x2000, 4096, PRW, PRW);
	psc_cfg(&f.cfg);
	fx_model(&f, false);
	tm_access(f.m, VA, 8, TM_WRITE, 0);
	g_assert_cmpuint(st(&f)->ad_updates, ==, 4);
	g_assert_cmpuint(st(&f)->cycles[TM_CY_AD], ==, 80);
	tm_access(f.m, VA + 0x1000, 8, TM_WRITE, 0);
	g_assert_cmpuint(st(&f)->ad_updates, ==, 5);
	/* Nothing written: every entry still has A and D clear. */
	for (uint64_t t = GUEST_BASE; t < f.gs.next; t += 4096)
		for (unsigned i = 0; i < 512; i++)
			g_assert_cmphex(rd(&f, t + 8 * i) & (PTE_A | PTE_D), ==, 0);
	/* Read, then write, the third page: 2 walks. */
	tm_access(f.m, VA + 0x2000, 8, TM_READ, 0);
	tm_access(f.m, VA + 0x2000, 8, TM_READ, 0);
	tm_access(f.m, VA + 0x2000, 8, TM_WRITE, 0);
	tm_access(f.m, VA + 0x2000, 8, TM_WRITE, 0);
	g_assert_cmpuint(st(&f)->walks, ==, 4);
	fx_free(&f);

	/* set_ad true: the walk writes them, as the functional walk would. */
	fx_init(&f, &pg_fmt_4level, 0, 0);
	map(&f, VA, DATA, 4096, PRW, PRW);
	psc_cfg(&f.cfg);
	fx_model(&f, true);
	tm_access(f.m, VA, 8, TM_WRITE, 0);
	g_assert_cmpuint(st(&f)->ad_updates, ==, 4);
	/* PML4E, PDPTE, PDE at their indices of VA; the PTE at index 0. */
	after[0] = rd(&f, GUEST_BASE + 8 * ((VA >> 39) & 511));
	after[1] = rd(&f, (after[0] & addr) + 8 * ((VA >> 30) & 511));
	after[2] = rd(&f, (after[1] & addr) + 8 * ((VA >> 21) & 511));
	after[3] = rd(&f, (after[2] & addr) + 8 * ((VA >> 12) & 511));
	for (unsigned i = 0; i < 4; i++)
		g_assert_cmphex(after[i] & PTE_A, ==, PTE_A);
	g_assert_cmphex(after[3] & PTE_D, ==, PTE_D);
	fx_free(&f);
}

/* Faults: an unmapped address walks, faults, and fills nothing: the next
 * access to it walks again. */
static void test_fault_no_fill(void)
{
	struct fx f;

	fx_init(&f, &pg_fmt_4level, 0, 0);
	map(&f, VA, DATA, 4096, PRWA, PRWA);
	psc_cfg(&f.cfg);
	fx_model(&f, false);
	tm_access(f.m, VA + 0x1000, 8, TM_READ, 0);
	tm_access(f.m, VA + 0x1000, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walks, ==, 2);
	g_assert_cmpuint(st(&f)->walk_faults, ==, 2);
	g_assert_cmpuint(st(&f)->tlb_misses_fault[TM_L1D], ==, 2);
	/* A user access to a supervisor page faults too. */
	tm_access(f.m, VA, 8, TM_READ, 3);
	g_assert_cmpuint(st(&f)->walk_faults, ==, 3);
	fx_free(&f);
}

/* A page-crossing access is two lookups; cycles: base CPI 0.5 keeps its
 * fraction (3 instructions = 1.5 -> 1, 4 more = 3.5 -> 3). */
static void test_cross_and_cpi(void)
{
	struct fx f;

	fx_init(&f, &pg_fmt_4level, 0, 0);
	map(&f, VA, DATA, 4096, PRWA, PRWA);
	map(&f, VA + 0x1000, DATA + 0x1000, 4096, PRWA, PRWA);
	psc_cfg(&f.cfg);
	fx_model(&f, false);
	tm_access(f.m, VA + 0xffc, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->accesses, ==, 1);
	g_assert_cmpuint(st(&f)->walks, ==, 2);
	tm_insns(f.m, 3);
	g_assert_cmpuint(st(&f)->cycles[TM_CY_BASE], ==, 1);
	tm_insns(f.m, 4);
	g_assert_cmpuint(st(&f)->cycles[TM_CY_BASE], ==, 3);
	g_assert_cmpuint(st(&f)->instructions, ==, 7);
	fx_free(&f);
}

/* A state pg_mmu_init refuses (CR4.PCIDE set on a CPU model without PCID,
 * SDM Vol. 3A 2.5: MOV to CR4 would #GP): accesses still count, misses are faulted
 * walks in walks_bad_state. */
static void test_bad_state(void)
{
	struct fx f;
	struct tm_event ev = { .kind = TM_EV_CR4 };

	fx_init(&f, &pg_fmt_4level, 0, 0);
	map(&f, VA, DATA, 4096, PRWA, PRWA);
	psc_cfg(&f.cfg);
	f.cpu.pcid = false;
	fx_model(&f, false);
	ev.val = f.regs.cr4 | CR4_PCIDE;
	tm_event(f.m, &ev);
	tm_access(f.m, VA, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->accesses, ==, 1);
	g_assert_cmpuint(st(&f)->walks_bad_state, ==, 1);
	g_assert_cmpuint(st(&f)->walk_faults, ==, 1);
	fx_free(&f);

	/* Refused at creation: an error naming the rule, no model. */
	fx_init(&f, &pg_fmt_4level, 0, 0);
	psc_cfg(&f.cfg);
	f.cpu.pcid = false;
	f.regs.cr4 |= CR4_PCIDE;
	{
		struct tm_env env = { .cpu = &f.cpu };
		char why[160] = "";

		pg_ram_accessor(&env.mem, &f.gram);
		g_assert_cmpint(tm_model_new(&f.cfg, &env, &f.regs, &f.m, why, sizeof(why)), ==,
				-EINVAL);
		g_assert_null(f.m);
		g_assert_nonnull(strstr(why, "PCID"));
	}
	fx_free(&f);
}

/* AMD unified page-walk cache, native 4-level: entries tagged by their
 * physical address. Second page of the same 2 MiB region: PML4E, PDPTE
 * and PDE are the same entries (same addresses): 3 PWC hits, the PTE read
 * (1). A page in the next 2 MiB region: PML4E, PDPTE hit, the PDE is the
 * neighbouring entry (a different address): PDE + PTE (2). The same counts
 * as the split caches give, reached by another tag. */
static void test_unified_pwc(void)
{
	struct fx f;

	fx_init(&f, &pg_fmt_4level, 0, 0);
	map(&f, VA, DATA, 4096, PRWA, PRWA);
	map(&f, VA + 0x5000, DATA + 0x5000, 4096, PRWA, PRWA);
	map(&f, VA + 0x200000, DATA + 0x6000, 4096, PRWA, PRWA);
	bare_cfg(&f.cfg);
	f.cfg.pwc_kind = TM_PWC_UNIFIED;
	f.cfg.pwc_unified = (struct tm_array_cfg){ 32, 8, TM_POLICY_LRU, 0, 2 };
	fx_model(&f, false);
	tm_access(f.m, VA, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walk_refs, ==, 4);
	g_assert_cmpuint(st(&f)->pwc_misses[0], ==, 3); /* the 3 upper entries */
	tm_access(f.m, VA + 0x5000, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walk_refs, ==, 4 + 1);
	g_assert_cmpuint(st(&f)->pwc_hits[0], ==, 3);
	tm_access(f.m, VA + 0x200000, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walk_refs, ==, 4 + 1 + 2);
	g_assert_cmpuint(st(&f)->pwc_hits[0], ==, 3 + 2);
	g_assert_cmpuint(st(&f)->walk_refs_skipped, ==, 3 + 2);
	/* Walk cycles: 3 walks x walk_start 10, 9 upper-entry probes x 2,
	 * 7 references x 100. */
	g_assert_cmpuint(st(&f)->cycles[TM_CY_WALK], ==, 30 + 18 + 700);
	fx_free(&f);
}

/* Line caches: the four entries of a native walk sit in four tables (four
 * lines); a second walk of a neighbouring page with no PSC reads the same
 * PML4E/PDPTE/PDE lines and the PTE line (entries 0 and 1 share it): all
 * four are L1D hits. */
static void test_line_cache(void)
{
	struct fx f;

	fx_init(&f, &pg_fmt_4level, 0, 0);
	map(&f, VA, DATA, 4096, PRWA, PRWA);
	map(&f, VA + 0x1000, DATA + 0x1000, 4096, PRWA, PRWA);
	bare_cfg(&f.cfg);
	f.cfg.cache.l1d = (struct tm_cache_cfg){ 32, 8, TM_POLICY_LRU, 4 };
	fx_model(&f, false);
	tm_access(f.m, VA, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->line_hits[TM_ML_MEM], ==, 4);
	tm_access(f.m, VA + 0x1000, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->line_hits[TM_ML_L1D], ==, 4);
	/* 10 + 4 x 100, then 10 + 4 x 4. */
	g_assert_cmpuint(st(&f)->cycles[TM_CY_WALK], ==, 410 + 26);
	fx_free(&f);
}

/* STLB: 32 pages over a 16-entry 4-way L1 DTLB (4 sets: 8 pages per set)
 * and a 64-entry 4-way STLB (16 sets: 2 per set). A second sequential pass
 * misses the L1 every time (LRU, 8 pages cycling through 4 ways) and hits
 * the STLB every time. TLB cycles: 32 STLB lookups that missed (7 each)
 * plus 32 STLB hits (7 each). A fetch from page 0 then misses the L1 ITLB
 * and hits the STLB; a second fetch hits the L1 ITLB. */
static void test_stlb(void)
{
	struct fx f;

	fx_init(&f, &pg_fmt_4level, 0, 0);
	for (unsigned i = 0; i < 32; i++)
		map(&f, VA + i * 4096, DATA + i * 4096, 4096, PRWA, PRWA);
	bare_cfg(&f.cfg);
	fx_model(&f, false);
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < 32; i++)
			tm_access(f.m, VA + i * 4096, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walks, ==, 32);
	g_assert_cmpuint(st(&f)->tlb_misses[TM_L1D][TM_4K], ==, 64);
	g_assert_cmpuint(st(&f)->tlb_hits[TM_L1D][TM_4K], ==, 0);
	g_assert_cmpuint(st(&f)->tlb_hits[TM_STLB][TM_4K], ==, 32);
	g_assert_cmpuint(st(&f)->tlb_misses[TM_STLB][TM_4K], ==, 32);
	g_assert_cmpuint(st(&f)->cycles[TM_CY_TLB], ==, 32 * 7 + 32 * 7);
	tm_access(f.m, VA, 4, TM_FETCH, 0);
	tm_access(f.m, VA + 4, 4, TM_FETCH, 0);
	g_assert_cmpuint(st(&f)->tlb_hits[TM_STLB][TM_4K], ==, 33);
	g_assert_cmpuint(st(&f)->tlb_misses[TM_L1I][TM_4K], ==, 1);
	g_assert_cmpuint(st(&f)->tlb_hits[TM_L1I][TM_4K], ==, 1);
	g_assert_cmpuint(st(&f)->fetches, ==, 2);
	/* ... plus the ITLB hit at latency 1. */
	g_assert_cmpuint(st(&f)->cycles[TM_CY_TLB], ==, 32 * 7 + 33 * 7 + 1);
	fx_free(&f);
}

/* Cached rights (SDM Vol. 3A 4.6, 4.10.2.2): a read-only page, read at
 * CPL 0. With CR0.WP=1 a supervisor write is denied: the cached entry does
 * not allow it, the model walks, and the walk faults. With CR0.WP=0 the
 * write is allowed, but the entry holds D=0 (filled by a read of a page
 * whose D is clear): a walk sets D (SDM 4.8) and refills; the next write
 * hits. CR0.WP changes invalidate nothing (the read still hits). */
static void test_rights(void)
{
	struct fx f;
	struct tm_event ev = { .kind = TM_EV_CR0 };

	fx_init(&f, &pg_fmt_4level, 0, 0);
	map(&f, VA, DATA, 4096, PTE_P | PTE_A, PRWA);
	bare_cfg(&f.cfg);
	fx_model(&f, false);
	tm_access(f.m, VA, 8, TM_READ, 0);
	tm_access(f.m, VA, 8, TM_WRITE, 0);
	g_assert_cmpuint(st(&f)->walks, ==, 2);
	g_assert_cmpuint(st(&f)->walk_faults, ==, 1);
	ev.val = CR0_PE | CR0_PG;
	tm_event(f.m, &ev);
	tm_access(f.m, VA, 8, TM_READ, 0);
	g_assert_cmpuint(st(&f)->walks, ==, 2);
	tm_access(f.m, VA, 8, TM_WRITE, 0);
	tm_access(f.m, VA, 8, TM_WRITE, 0);
	g_assert_cmpuint(st(&f)->walks, ==, 3);
	g_assert_cmpuint(st(&f)->walk_faults, ==, 1);
	/* User accesses to the supervisor page: denied from the cache, the
	 * walk faults. */
	tm_access(f.m, VA, 8, TM_READ, 3);
	g_assert_cmpuint(st(&f)->walk_faults, ==, 2);
	fx_free(&f);
}

/* Walk resumption (src/timing/model_memo.c): a walk that hits a split-PSC
 * entry resumes below it once the entries it skips are re-read and found
 * unchanged. Whatever the PSCs hold, every walk's log (each reference, its
 * address, GPA, levels and value) and result must equal the engine's whole
 * walk of the same address over the same memory, made here with a
 * pg_walk2d() of its own. */
struct seen {
	struct pg_ref_log log;
	struct pg_walk2d r;
};

static void keep_walk(void *o, const struct tm_walk_info *w)
{
	struct seen *s = o;

	s->log = *w->log;
	s->r = *w->r;
}

static uint64_t check_whole(struct fx *f, const struct seen *s, uint64_t va)
{
	static struct pg_ref_log log;
	struct pg_nested n = { .host = f->has_host ? &f->host : NULL, .log = &log };
	struct pg_req rq = { .va = va, .access = PG_ACC_READ };
	const char *why = NULL;
	struct pg_walk2d r;
	struct pg_mmu mmu;

	memset(&log, 0, sizeof(log));
	pg_ram_accessor(&n.mem, &f->gram);
	g_assert_cmpint(pg_mmu_init(&mmu, &f->regs, &f->cpu, &why), ==, 0);
	g_assert_cmpint(pg_walk2d(&n, &mmu, &rq, &r), ==, 0);
	g_assert_cmpuint(r.fault.vector, ==, 0);
	g_assert_cmpuint(s->log.n, ==, log.n);
	g_assert_cmpuint(s->log.reads, ==, log.reads);
	g_assert_cmpuint(s->log.ad, ==, log.ad);
	g_assert_cmpmem(s->log.rec, log.n * sizeof(log.rec[0]), log.rec, log.n * sizeof(log.rec[0]));
	g_assert_cmpmem(&s->r, sizeof(r), &r, sizeof(r));
	return r.guest.pa;
}

/* Point the 8-byte entry at @addr of @ram at @pa, keeping its flags. */
static void repoint(struct cpu_ram *ram, uint64_t addr, uint64_t pa)
{
	uint64_t v;

	g_assert_cmpint(cpu_ram_read_le(ram, addr, 8, &v), ==, 0);
	v = (v & ~UINT64_C(0x000ffffffffff000)) | pa;
	g_assert_cmpint(cpu_ram_write_le(ram, addr, 8, v), ==, 0);
}

static void check_resume(unsigned host)
{
	const uint64_t va2 = VA + 0x400000; /* another 2 MiB region: another PT */
	struct seen s;
	struct fx f;
	uint64_t pde, pde2, resumed;

	fx_init(&f, &pg_fmt_4level, host, 4096);
	map(&f, VA, DATA, 4096, PRWA, PRWA);
	map(&f, VA + 0x1000, DATA + 0x1000, 4096, PRWA, PRWA);
	map(&f, VA + 0x2000, DATA + 0x2000, 4096, PRWA, PRWA);
	map(&f, VA + 0x5000, DATA + 0x5000, 4096, PRWA, PRWA);
	map(&f, VA + 0x6000, DATA + 0x6000, 4096, PRWA, PRWA);
	map(&f, va2 + 0x6000, DATA + 0x9000, 4096, PRWA, PRWA);
	map(&f, va2 + 0x7000, DATA + 0xa000, 4096, PRWA, PRWA);
	map(&f, va2 + 0x8000, DATA + 0xb000, 4096, PRWA, PRWA);
	psc_cfg(&f.cfg);
	fx_model(&f, false);
	tm_set_walk_hook(f.m, keep_walk, &s);

	/* Cold: the whole walk, which fills the PSCs. */
	tm_access(f.m, VA, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA), ==, DATA);
	g_assert_cmpuint(f.m->resumed, ==, 0);
	/* Same 2 MiB region: the PDE cache hits; the entry's first reuse
	 * gives it a memo, and the next walk there resumes. */
	tm_access(f.m, VA + 0x5000, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA + 0x5000), ==, DATA + 0x5000);
	g_assert_cmpuint(f.m->resumed, ==, 0);
	tm_access(f.m, VA + 0x2000, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA + 0x2000), ==, DATA + 0x2000);
	g_assert_cmpuint(f.m->resumed, ==, 1);

	/* The guest's PDE of VA's region now points to va2's PT, with no
	 * invalidation: the PDE cache still hits, but its memo no longer
	 * matches memory, so the walk is whole and reads the new PT. The
	 * guest tables are the pages at GUEST_BASE (PML4, PDPT, PD, PT). */
	pde = GUEST_BASE + 0x2000 + ((VA >> 21) & 511) * 8;
	pde2 = GUEST_BASE + 0x2000 + ((va2 >> 21) & 511) * 8;
	repoint(&f.gram, pde, rd(&f, pde2) & UINT64_C(0x000ffffffffff000));
	resumed = f.m->resumed;
	tm_access(f.m, VA + 0x6000, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA + 0x6000), ==, DATA + 0x9000);
	g_assert_cmpuint(f.m->resumed, ==, resumed);
	/* That walk made a new memo: the next one resumes again. */
	tm_access(f.m, VA + 0x7000, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA + 0x7000), ==, DATA + 0xa000);
	g_assert_cmpuint(f.m->resumed, ==, resumed + 1);

	if (host) {
		/* The host now maps the guest PD's page to a copy of it
		 * whose PDE for VA points back at VA's own PT: a host entry
		 * the resumed walk would skip has changed. */
		uint64_t copy = UINT64_C(0x300000), pd = GUEST_BASE + 0x2000;
		struct pg_req hrq = { .va = pd, .access = PG_ACC_READ, .cpl = 3 };
		struct pg_walk hw;

		memcpy(f.gram.base + copy, f.gram.base + pd, 4096);
		repoint(&f.gram, copy + (pde - pd), GUEST_BASE + 0x3000);
		g_assert_cmpint(pg_walk(&f.hmmu, &f.host.mem, &hrq, &hw), ==, 0);
		g_assert_cmpuint(hw.fault.vector, ==, 0);
		repoint(&f.hram, hw.lvl[hw.nlevels - 1].entry_addr, copy + OFF);
		resumed = f.m->resumed;
		tm_access(f.m, VA + 0x1000, 8, TM_READ, 0);
		g_assert_cmpuint(check_whole(&f, &s, VA + 0x1000), ==, DATA + 0x1000);
		g_assert_cmpuint(f.m->resumed, ==, resumed);
	}
	fx_free(&f);
}

/* Host walks a memo stands for (src/paging/nested.h struct pg_host_memo):
 * the host walk of a guest-physical page walked twice before is not made
 * again once the entries it read are re-read and found unchanged; one of
 * any other page in a 2 MiB region walked before resumes below the
 * region's upper levels once they are. No PSCs here, so every walk has all
 * five host walks (four guest tables, all in one 2 MiB region, and the
 * final GPA). Every walk's log and result must equal the engine's whole
 * walk; host entries changed with no INVEPT are seen by the very next
 * walk. */
static void check_host_memo(unsigned host)
{
	const uint64_t copy = UINT64_C(0x300000), copy2 = UINT64_C(0x340000); /* free HPAs */
	const uint64_t hpt = UINT64_C(0x380000); /* a free host page: a copy of a host PT */
	struct pg_req hrq = { .va = DATA, .access = PG_ACC_READ, .cpl = 3 };
	struct pg_walk hw;
	struct seen s;
	struct fx f;
	uint64_t used, rused, pte;

	fx_init(&f, &pg_fmt_4level, host, 4096);
	for (unsigned i = 0; i < 3; i++)
		map(&f, VA + i * 0x1000, DATA, 4096, PRWA, PRWA);
	for (unsigned i = 3; i < 6; i++)
		map(&f, VA + i * 0x1000, DATA + 0x1000, 4096, PRWA, PRWA);
	bare_cfg(&f.cfg);
	fx_model(&f, false);
	tm_set_walk_hook(f.m, keep_walk, &s);

	/* Cold: the PML4's host walk is whole; the PDPT's, PD's and PT's
	 * resume below their region's levels; the final GPA's is whole. */
	tm_access(f.m, VA + 8, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA + 8), ==, DATA + 8);
	g_assert_cmpuint(f.m->nested.hmemo_used, ==, 0);
	g_assert_cmpuint(f.m->nested.hregion_used, ==, 3);
	/* Another page over the same tables and the same data page: all five
	 * pages' second walks, each resumed below its region's levels; they
	 * leave memos of the pages. */
	used = f.m->nested.hmemo_used;
	rused = f.m->nested.hregion_used;
	tm_access(f.m, VA + 0x1010, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA + 0x1010), ==, DATA + 0x10);
	g_assert_cmpuint(s.r.hpa, ==, DATA + OFF + 0x10);
	g_assert_cmpuint(f.m->nested.hmemo_used, ==, used);
	g_assert_cmpuint(f.m->nested.hregion_used, ==, rused + 5);

	/* The host now maps DATA at another host page, with no INVEPT: the
	 * four table walks come from memos; the final GPA's memo no longer
	 * matches memory, and its walk resumes below the region's levels
	 * (unchanged) and finds the new page. */
	g_assert_cmpint(pg_walk(&f.hmmu, &f.host.mem, &hrq, &hw), ==, 0);
	g_assert_cmpuint(hw.fault.vector, ==, 0);
	repoint(&f.hram, hw.lvl[hw.nlevels - 1].entry_addr, copy);
	tm_access(f.m, VA + 0x2020, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA + 0x2020), ==, DATA + 0x20);
	g_assert_cmpuint(s.r.hpa, ==, copy + 0x20);
	g_assert_cmpuint(f.m->nested.hmemo_used, ==, used + 4);
	g_assert_cmpuint(f.m->nested.hregion_used, ==, rused + 6);
	/* A data page not walked before, in the same region, twice. */
	tm_access(f.m, VA + 0x3000, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA + 0x3000), ==, DATA + 0x1000);
	tm_access(f.m, VA + 0x4000, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA + 0x4000), ==, DATA + 0x1000);
	g_assert_cmpuint(f.m->nested.hmemo_used, ==, used + 12);
	g_assert_cmpuint(f.m->nested.hregion_used, ==, rused + 8);

	/* The region's host PDE now points to a copy of its host PT in which
	 * DATA + 0x1000 maps elsewhere: neither that page's memo nor the
	 * region's holds, and the final host walk is whole. */
	pte = hw.lvl[hw.nlevels - 1].entry_addr + 8;
	memcpy(f.hram.base + hpt, f.hram.base + hw.lvl[hw.nlevels - 1].table, 4096);
	repoint(&f.hram, hpt + (pte - hw.lvl[hw.nlevels - 1].table), copy2);
	repoint(&f.hram, hw.lvl[hw.nlevels - 2].entry_addr, hpt);
	tm_access(f.m, VA + 0x5000, 8, TM_READ, 0);
	g_assert_cmpuint(check_whole(&f, &s, VA + 0x5000), ==, DATA + 0x1000);
	g_assert_cmpuint(s.r.hpa, ==, copy2);
	g_assert_cmpuint(f.m->nested.hmemo_used, ==, used + 16);
	g_assert_cmpuint(f.m->nested.hregion_used, ==, rused + 8);
	fx_free(&f);
}

static void test_host_memo(void)
{
	check_host_memo(4);
	check_host_memo(5);
	check_host_memo(HOST_NPT4);
}

static void test_resume(void)
{
	check_resume(0);
	check_resume(4);
	check_resume(HOST_NPT4);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/model/sequential-misses", test_sequential_misses);
	g_test_add_func("/model/full-walk-counts", test_full_walk_counts);
	g_test_add_func("/model/psc-native", test_psc_native);
	g_test_add_func("/model/psc-2d", test_psc_2d);
	g_test_add_func("/model/splinter", test_splinter);
	g_test_add_func("/model/4m-halves", test_4m_halves);
	g_test_add_func("/model/ad", test_ad);
	g_test_add_func("/model/fault-no-fill", test_fault_no_fill);
	g_test_add_func("/model/cross-and-cpi", test_cross_and_cpi);
	g_test_add_func("/model/bad-state", test_bad_state);
	g_test_add_func("/model/line-cache", test_line_cache);
	g_test_add_func("/model/unified-pwc", test_unified_pwc);
	g_test_add_func("/model/stlb", test_stlb);
	g_test_add_func("/model/rights", test_rights);
	g_test_add_func("/model/resume", test_resume);
	g_test_add_func("/model/host-memo", test_host_memo);
	return g_test_run();
}
