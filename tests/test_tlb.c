/*
 * TLBs and paging-structure caches (src/paging/tlb.c, pwc.c) and the
 * invalidation rules of the timing model (src/timing/model_event.c).
 *
 * Each invalidation test is a scenario whose outcome the manual states:
 * SDM Vol. 3A 4.10.4.1 (MOV to CR0/CR3/CR4, INVLPG, INVPCID), Vol. 2A
 * INVPCID, Vol. 3C 29.4.3 (INVEPT, INVVPID) and 29.1 (VM entry/exit with
 * VPIDs off). A translation is "cached" when touching it again makes no
 * walk; paging-structure-cache contents show in the references the next
 * walk makes (native 4-level: 4 cold, 1 with the PDE cached).
 *
 * The replacement tests fill one set by hand and check the victim each
 * policy picks.
 *
 * The arrays' fast paths are checked against the plain definitions they
 * replace, on fixed xorshift sequences: lookups (hash index of a single
 * wide set, context keys, scan) against the reference scan; data-cache
 * references (tlb_array_ref) against a reference LRU/FIFO array; and
 * address-based invalidation of a level (only the sets that can hold the
 * address or a splintered piece of its page) against a scan of every
 * entry.
 */
#include <glib.h>
#include <string.h>

#include "cpu/ram.h"
#include "ept/ept.h"
#include "paging/access_ram.h"
#include "paging/bits.h"
#include "paging/synth.h"
#include "paging/tlb.h"
#include "timing/cache.h"
#include "timing/model.h"

#define OFF        UINT64_C(0x1000000)
#define GRAM       UINT64_C(0x1000000)
#define HOST_BASE  UINT64_C(0x200000)
#define GUEST_BASE UINT64_C(0x100000)
#define DATA       UINT64_C(0x400000)
#define VA         UINT64_C(0x7f0000000000)
#define PRWA       (PTE_P | PTE_RW | PTE_A)
#define EPTP4      (HOST_BASE | (UINT64_C(3) << EPTP_PWL_SHIFT) | 6)

/* Pages: A, B, C, D, E non-global; G global; all in one 2 MiB region. */
#define PA_ (VA + 0x0000)
#define PB_ (VA + 0x1000)
#define PG_ (VA + 0x2000)
#define PC_ (VA + 0x3000)
#define PD_ (VA + 0x4000)
#define PE_ (VA + 0x5000)
/* Two 2 MiB pages, 1 GiB above: for the L1 2 MiB arrays. */
#define VA2   (VA + (UINT64_C(1) << 30))
#define DATA2 UINT64_C(0x800000)

struct fx {
	struct cpu_ram hram, gram;
	struct pg_synth gs;
	struct pg_mmu hmmu;
	struct pg_host host;
	struct pg_cpu cpu;
	struct tm_config cfg;
	struct pg_regs regs;
	struct tm_model *m;
	bool has_host;
};

/* 4-level guest, CR4.PGE, optionally PCIDE with PCID @pcid, optionally
 * over a 4-level EPT (4 KiB host pages); split PSCs, nested TLB and host
 * PSC; no line caches. */
static void fx_init(struct fx *f, bool pcide, uint16_t pcid, bool ept)
{
	struct tm_config *c = &f->cfg;
	struct tm_env env = { .cpu = &f->cpu };
	char why[160] = "";

	memset(f, 0, sizeof(*f));
	pg_cpu_all(&f->cpu);
	g_assert_cmpint(cpu_ram_init(&f->hram, OFF + GRAM), ==, 0);
	f->gram = (struct cpu_ram){ .base = f->hram.base + OFF, .size = GRAM };
	g_assert_cmpint(pg_synth_init(&f->gs, &f->gram, &pg_fmt_4level, GUEST_BASE), ==, 0);
	for (unsigned i = 0; i < 6; i++)
		g_assert_cmpint(pg_synth_map(&f->gs, VA + i * 0x1000, DATA + i * 0x1000, 4096,
					     PRWA | (i == 2 ? PTE_G : 0), PRWA), ==, 0);
	for (unsigned i = 0; i < 2; i++)
		g_assert_cmpint(pg_synth_map(&f->gs, VA2 + i * 0x200000, DATA2 + i * 0x200000,
					     0x200000, PRWA | PTE_D, PRWA), ==, 0);
	if (ept) {
		struct ept_caps caps;
		struct pg_synth hs;
		const char *w = NULL;

		ept_caps_all(&caps);
		g_assert_cmpint(pg_synth_init(&hs, &f->hram, &ept_fmt4, HOST_BASE), ==, 0);
		g_assert_cmpint(ept_mmu_init(&f->hmmu, EPTP4, &caps, false, &w), ==, 0);
		for (uint64_t g = 0; g < GRAM; g += 4096)
			g_assert_cmpint(pg_synth_map(&hs, g, g + OFF, 4096,
						     EPTE_RWX | (UINT64_C(6) << EPTE_MT_SHIFT),
						     EPTE_RWX), ==, 0);
		f->host.mmu = &f->hmmu;
		pg_ram_accessor(&f->host.mem, &f->hram);
		f->has_host = true;
		env.host = &f->host;
	}
	f->regs.cr0 = CR0_PE | CR0_PG | CR0_WP;
	f->regs.cr4 = CR4_PAE | CR4_PGE | (pcide ? CR4_PCIDE : 0);
	f->regs.efer = EFER_LME | EFER_LMA | EFER_NXE;
	f->regs.cr3 = f->gs.root | (pcide ? pcid : 0);

	memset(c, 0, sizeof(*c));
	c->l1d.arr[0] = (struct tm_array_cfg){ 16, 4, TM_POLICY_LRU, TM_SZ_4K, 1 };
	c->l1d.arr[1] = (struct tm_array_cfg){ 8, 4, TM_POLICY_LRU, TM_SZ_2M, 2 };
	c->l1i.arr[0] = (struct tm_array_cfg){ 16, 4, TM_POLICY_LRU, TM_SZ_4K, 1 };
	c->l1i.arr[1] = (struct tm_array_cfg){ 8, 4, TM_POLICY_LRU, TM_SZ_2M, 2 };
	c->stlb.arr[0] = (struct tm_array_cfg){ 64, 4, TM_POLICY_LRU, TM_SZ_4K | TM_SZ_2M, 7 };
	c->pwc_kind = TM_PWC_SPLIT;
	c->pwc_level[2] = (struct tm_array_cfg){ 32, 4, TM_POLICY_LRU, 0, 1 };
	c->pwc_level[3] = (struct tm_array_cfg){ 4, 4, TM_POLICY_LRU, 0, 1 };
	c->pwc_level[4] = (struct tm_array_cfg){ 2, 2, TM_POLICY_LRU, 0, 1 };
	c->ntlb = (struct tm_array_cfg){ 16, 16, TM_POLICY_LRU, 0, 1 };
	c->npwc = (struct tm_array_cfg){ 16, 16, TM_POLICY_LRU, 0, 1 };
	c->mem_latency = 100;
	c->cost.vmexit = 1000;
	c->cost.flush = 50;
	c->cost.invlpg = 30;
	pg_ram_accessor(&env.mem, &f->gram);
	g_assert_cmpint(tm_model_new(c, &env, &f->regs, &f->m, why, sizeof(why)), ==, 0);
}

static void fx_free(struct fx *f)
{
	tm_model_free(f->m);
	cpu_ram_free(&f->hram);
}

static const struct tm_stats *st(const struct fx *f)
{
	return tm_model_stats(f->m);
}

/* Touch @va (an 8-byte supervisor read): true if no walk was needed. */
static bool hit(struct fx *f, uint64_t va)
{
	uint64_t w = st(f)->walks;

	tm_access(f->m, va, 8, TM_READ, 0);
	return st(f)->walks == w;
}

/* Touch @va and return the references its walk made (0: a TLB hit). */
static uint64_t refs(struct fx *f, uint64_t va)
{
	uint64_t r = st(f)->walk_refs;

	tm_access(f->m, va, 8, TM_READ, 0);
	return st(f)->walk_refs - r;
}

static void ev(struct fx *f, uint8_t kind, uint8_t type, uint16_t pcid, uint64_t val,
	       uint64_t addr)
{
	struct tm_event e = { .kind = kind, .type = type, .pcid = pcid, .val = val, .addr = addr };

	tm_event(f->m, &e);
}

/* MOV to CR3 of PCID @pcid; @noflush sets bit 63. */
static void cr3(struct fx *f, uint16_t pcid, bool noflush)
{
	ev(f, TM_EV_CR3, 0, 0, f->gs.root | pcid | (noflush ? CR3_NOFLUSH : 0), 0);
}

/* PCIDE=1, bit 63 set: nothing is invalidated. */
static void test_cr3_noflush(void)
{
	struct fx f;

	fx_init(&f, true, 1, false);
	g_assert_false(hit(&f, PA_));
	cr3(&f, 1, true);
	g_assert_true(hit(&f, PA_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_CR3_NOFLUSH], ==, 1);
	g_assert_cmpuint(st(&f)->flushes[TM_FL_CR3], ==, 0);
	g_assert_cmpuint(st(&f)->cycles[TM_CY_FLUSH], ==, 0);
	fx_free(&f);
}

/* PCIDE=1, bit 63 clear: the non-global entries of the PCID in the new
 * value go; those of another PCID stay. */
static void test_cr3_pcid(void)
{
	struct fx f;

	fx_init(&f, true, 1, false);
	g_assert_false(hit(&f, PA_));
	cr3(&f, 2, true);
	g_assert_false(hit(&f, PA_)); /* PCID 2 had no entry */
	cr3(&f, 1, false);            /* flushes PCID 1 */
	g_assert_false(hit(&f, PA_));
	cr3(&f, 2, true);
	g_assert_true(hit(&f, PA_));  /* PCID 2's entry survived */
	g_assert_cmpuint(st(&f)->flushes[TM_FL_CR3], ==, 1);
	g_assert_cmpuint(st(&f)->cycles[TM_CY_FLUSH], ==, 50);
	fx_free(&f);

	/* PCIDE=0: every CR3 write drops the non-global entries of PCID 0,
	 * and the PSC entries: the next walk is full (4). */
	fx_init(&f, false, 0, false);
	g_assert_false(hit(&f, PA_));
	g_assert_false(hit(&f, PG_));
	cr3(&f, 0, false);
	g_assert_true(hit(&f, PG_));
	g_assert_cmpuint(refs(&f, PA_), ==, 4);
	fx_free(&f);
}

/* Global entries survive CR3 writes and INVPCID type 3, not type 2. */
static void test_global(void)
{
	struct fx f;

	fx_init(&f, true, 1, false);
	g_assert_false(hit(&f, PG_));
	g_assert_false(hit(&f, PA_));
	cr3(&f, 1, false);
	g_assert_true(hit(&f, PG_));
	g_assert_false(hit(&f, PA_));
	cr3(&f, 2, true);
	g_assert_true(hit(&f, PG_)); /* a global entry serves every PCID */
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_INVPCID, 3, 0, 0, 0);
	g_assert_true(hit(&f, PG_));
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_INVPCID, 2, 0, 0, 0);
	g_assert_false(hit(&f, PG_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_INVPCID3], ==, 1);
	g_assert_cmpuint(st(&f)->flushes[TM_FL_INVPCID2], ==, 1);
	fx_free(&f);
}

/* INVLPG: the page's entries (global too), and every PSC entry of the
 * current PCID whatever the address; other PCIDs' PSC entries stay. */
static void test_invlpg(void)
{
	struct fx f;

	fx_init(&f, true, 1, false);
	g_assert_cmpuint(refs(&f, PA_), ==, 4);
	g_assert_cmpuint(refs(&f, PB_), ==, 1); /* PDE cached */
	g_assert_false(hit(&f, PG_));
	ev(&f, TM_EV_INVLPG, 0, 0, 0, PA_);
	g_assert_true(hit(&f, PB_));
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_INVLPG, 0, 0, 0, PG_);
	g_assert_false(hit(&f, PG_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_INVLPG], ==, 2);
	g_assert_cmpuint(st(&f)->cycles[TM_CY_FLUSH], ==, 60);

	/* INVLPG of a page never touched still empties the PSCs: a new page
	 * of the same 2 MiB region walks in full. */
	ev(&f, TM_EV_INVLPG, 0, 0, 0, PE_ + 0x100000);
	g_assert_cmpuint(refs(&f, PC_), ==, 4);

	/* PSC entries of PCID 2 survive an INVLPG run under PCID 1. */
	cr3(&f, 2, true);
	g_assert_cmpuint(refs(&f, PA_), ==, 4);
	cr3(&f, 1, true);
	ev(&f, TM_EV_INVLPG, 0, 0, 0, PA_);
	cr3(&f, 2, true);
	g_assert_cmpuint(refs(&f, PD_), ==, 1);
	fx_free(&f);
}

/* MOV to CR4 changing PGE: everything, globals included. */
static void test_cr4_pge(void)
{
	struct fx f;

	fx_init(&f, true, 1, false);
	g_assert_false(hit(&f, PG_));
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_CR4, 0, 0, f.regs.cr4 & ~CR4_PGE, 0);
	g_assert_false(hit(&f, PG_));
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_CR4, 0, 0, f.regs.cr4, 0);
	g_assert_false(hit(&f, PG_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_CR4_PGE], ==, 2);
	/* With PGE back on the page is global again: survives CR3. */
	cr3(&f, 1, false);
	g_assert_true(hit(&f, PG_));
	fx_free(&f);
}

/* CR4.PCIDE 1 -> 0: everything; SMEP 0 -> 1: the current PCID only. */
static void test_cr4_pcide_smep(void)
{
	struct fx f;

	fx_init(&f, true, 1, false);
	g_assert_false(hit(&f, PG_));
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_CR4, 0, 0, f.regs.cr4 & ~CR4_PCIDE, 0);
	g_assert_false(hit(&f, PG_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_CR4_PCIDE], ==, 1);
	fx_free(&f);

	fx_init(&f, true, 1, false);
	cr3(&f, 2, true);
	g_assert_false(hit(&f, PA_));
	cr3(&f, 1, true);
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_CR4, 0, 0, f.regs.cr4 | CR4_SMEP, 0);
	g_assert_false(hit(&f, PA_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_CR0_PG], ==, 1);
	cr3(&f, 2, true);
	g_assert_true(hit(&f, PA_));
	/* SMEP 1 -> 0 invalidates nothing. */
	ev(&f, TM_EV_CR4, 0, 0, f.regs.cr4, 0);
	g_assert_true(hit(&f, PA_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_CR0_PG], ==, 1);
	fx_free(&f);
}

/* CR0.PG 1 -> 0: everything, globals included; accesses with paging off
 * are counted but translate nothing. CR0.WP changes invalidate nothing. */
static void test_cr0(void)
{
	struct fx f;

	fx_init(&f, false, 0, false);
	g_assert_false(hit(&f, PG_));
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_CR0, 0, 0, CR0_PE | CR0_PG, 0); /* WP 1 -> 0 */
	g_assert_true(hit(&f, PG_));
	g_assert_true(hit(&f, PA_));
	ev(&f, TM_EV_CR0, 0, 0, CR0_PE, 0);
	g_assert_cmpuint(st(&f)->flushes[TM_FL_CR0_PG], ==, 1);
	g_assert_true(hit(&f, PA_)); /* paging off: no walk */
	g_assert_cmpuint(st(&f)->accesses, ==, 5);
	ev(&f, TM_EV_CR0, 0, 0, CR0_PE | CR0_PG | CR0_WP, 0);
	g_assert_false(hit(&f, PG_));
	g_assert_false(hit(&f, PA_));
	fx_free(&f);
}

/* INVPCID 0: that address in that PCID, globals kept, and the PCID's PSC
 * entries; INVPCID 1: the PCID's non-global entries, others kept. */
static void test_invpcid_01(void)
{
	struct fx f;

	fx_init(&f, true, 1, false);
	g_assert_false(hit(&f, PA_));
	g_assert_false(hit(&f, PB_));
	g_assert_false(hit(&f, PG_));
	ev(&f, TM_EV_INVPCID, 0, 1, 0, PA_);
	g_assert_true(hit(&f, PB_));
	g_assert_true(hit(&f, PG_));
	g_assert_cmpuint(refs(&f, PA_), ==, 4); /* PSC of PCID 1 gone too */
	ev(&f, TM_EV_INVPCID, 0, 1, 0, PG_);
	g_assert_true(hit(&f, PG_));            /* globals kept by type 0 */
	/* Type 0 for another PCID leaves PCID 1 alone. */
	ev(&f, TM_EV_INVPCID, 0, 2, 0, PA_);
	g_assert_true(hit(&f, PA_));

	cr3(&f, 2, true);
	g_assert_false(hit(&f, PA_));
	cr3(&f, 1, true);
	ev(&f, TM_EV_INVPCID, 1, 1, 0, 0);
	g_assert_false(hit(&f, PA_));
	g_assert_true(hit(&f, PG_));
	cr3(&f, 2, true);
	g_assert_true(hit(&f, PA_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_INVPCID0], ==, 3);
	g_assert_cmpuint(st(&f)->flushes[TM_FL_INVPCID1], ==, 1);
	fx_free(&f);
}

/* INVEPT removes guest-physical and combined mappings of the EP4TA (the
 * TLB entries, the guest PSC, the nested TLB and host PSC): the next walk
 * is as cold as the first. INVVPID keeps guest-physical mappings: after
 * it the guest walk is full (4 guest entries) but every host walk hits
 * the nested TLB. */
static void test_invept(void)
{
	struct fx f;
	uint64_t cold;

	fx_init(&f, false, 0, true);
	tm_set_vpid(f.m, 1);
	cold = refs(&f, PA_);
	g_assert_cmpuint(cold, >, 4);
	ev(&f, TM_EV_INVEPT, 1, 0, EPTP4 + 0x1000000, 0); /* another EPTP */
	g_assert_true(hit(&f, PA_));
	ev(&f, TM_EV_INVEPT, 1, 0, EPTP4, 0);
	g_assert_cmpuint(refs(&f, PA_), ==, cold);
	ev(&f, TM_EV_INVVPID, 1, 1, 0, 0);
	g_assert_cmpuint(refs(&f, PA_), ==, 4);
	ev(&f, TM_EV_INVEPT, 2, 0, 0, 0);
	g_assert_cmpuint(refs(&f, PA_), ==, cold);
	g_assert_cmpuint(st(&f)->flushes[TM_FL_INVEPT], ==, 3);
	fx_free(&f);
}

/* INVVPID 0 (address), 1 (single), 2 (all but VPID 0), 3 (single, globals
 * kept). */
static void test_invvpid(void)
{
	struct fx f;

	fx_init(&f, false, 0, true);
	tm_set_vpid(f.m, 5);
	g_assert_false(hit(&f, PA_));
	g_assert_false(hit(&f, PB_));
	g_assert_false(hit(&f, PG_));
	ev(&f, TM_EV_INVVPID, 0, 5, 0, PA_);
	g_assert_true(hit(&f, PB_));
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_INVVPID, 1, 6, 0, 0);
	g_assert_true(hit(&f, PB_));
	ev(&f, TM_EV_INVVPID, 3, 5, 0, 0);
	g_assert_true(hit(&f, PG_));
	g_assert_false(hit(&f, PB_));
	ev(&f, TM_EV_INVVPID, 1, 5, 0, 0);
	g_assert_false(hit(&f, PG_));
	ev(&f, TM_EV_INVVPID, 2, 0, 0, 0);
	g_assert_false(hit(&f, PA_));
	/* Type 2 spares VPID 0. */
	tm_set_vpid(f.m, 0);
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_INVVPID, 2, 0, 0, 0);
	g_assert_true(hit(&f, PA_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_INVVPID], ==, 6);
	fx_free(&f);
}

/* VM exit and entry flush VPID 0's mappings; with a VPID they keep them. */
static void test_vmx_transitions(void)
{
	struct fx f;

	fx_init(&f, false, 0, true);
	g_assert_false(hit(&f, PG_));
	ev(&f, TM_EV_VMEXIT, 0, 0, 48, 0);
	g_assert_false(hit(&f, PG_));
	ev(&f, TM_EV_VMENTRY, 0, 0, 0, 0);
	g_assert_false(hit(&f, PG_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_VMX], ==, 2);
	g_assert_cmpuint(st(&f)->vmexits, ==, 1);
	g_assert_cmpuint(st(&f)->cycles[TM_CY_VMEXIT], ==, 1000);

	tm_set_vpid(f.m, 7);
	g_assert_false(hit(&f, PA_));
	ev(&f, TM_EV_VMEXIT, 0, 0, 48, 0);
	ev(&f, TM_EV_VMENTRY, 0, 0, 0, 0);
	g_assert_true(hit(&f, PA_));
	g_assert_cmpuint(st(&f)->flushes[TM_FL_VMX], ==, 2);
	fx_free(&f);
}

/*
 * Guest-physical mappings (SDM Vol. 3C 29.4.1, 29.4.2): with CR0.PG=0 under
 * EPT the linear address is the GPA and the TLBs cache GPA -> HPA. The
 * first access walks the host tables alone (4 references, 4-level EPT);
 * then it hits. VM exit/entry with VPID 0, INVVPID and MOV to CR3 remove
 * linear and combined mappings only (SDM 29.4.3.3, 29.1; 4.10.4.1), so the
 * mapping stays; INVEPT removes it (and the nested TLB and host PSC, so
 * the walk is 4 references again). Back with paging on, the same number
 * as a linear address is not served by the guest-physical entry: DATA is
 * not mapped by the guest tables, so it walks (and faults).
 */
static void test_guest_physical(void)
{
	struct fx f;

	fx_init(&f, false, 0, true);
	ev(&f, TM_EV_CR0, 0, 0, CR0_PE | CR0_WP, 0);
	g_assert_cmpuint(refs(&f, DATA), ==, 4);
	g_assert_true(hit(&f, DATA + 8));
	ev(&f, TM_EV_VMEXIT, 0, 0, 48, 0);
	ev(&f, TM_EV_VMENTRY, 0, 0, 0, 0);
	g_assert_true(hit(&f, DATA));
	ev(&f, TM_EV_INVVPID, 2, 0, 0, 0);
	ev(&f, TM_EV_CR3, 0, 0, f.gs.root, 0);
	g_assert_true(hit(&f, DATA));
	ev(&f, TM_EV_INVEPT, 1, 0, EPTP4, 0);
	g_assert_cmpuint(refs(&f, DATA), ==, 4);
	ev(&f, TM_EV_CR0, 0, 0, CR0_PE | CR0_PG | CR0_WP, 0);
	g_assert_false(hit(&f, DATA));
	g_assert_cmpuint(st(&f)->walk_faults, ==, 1);
	fx_free(&f);
}

/*
 * The inline hit checks (tm_access: the L1 4 KiB arrays, then the L1 2 MiB
 * arrays) are an exact shortcut of the out-of-line lookup
 * (tm__access_slow, which looks up without them): two models fed the same
 * stream, one through each, end with identical statistics. The stream (a
 * fixed xorshift sequence) mixes reads, writes and fetches at CPL 0 and 3
 * over the six mapped 4 KiB pages, the two 2 MiB pages and an unmapped
 * page (faulting walks), page crossings, MOV to CR3 between PCIDs 1 and 2
 * (with and without bit 63), INVLPG and a VPID switch; over 4-level EPT
 * (4 KiB host pages: the 2 MiB pages are splintered) and natively (they
 * are not). Without CR4.PCIDE the context starts at 0 and changes only
 * with the VPID: entries filled under one context must stop hitting
 * inline under another.
 */
static void inline_exact(bool ept, bool pcide)
{
	static const uint64_t pages[] = { PA_, PB_, PG_, PC_, PD_, PE_, VA + 0x9000,
					  VA2 + 0x1000, VA2 + 0x3ff000, VA2 + 0x1ff000 };
	const unsigned np = sizeof(pages) / sizeof(pages[0]);
	struct fx a, b;
	uint64_t x = 0x2545f4914f6cdd1dull;
	const struct tm_stats *sa, *sb;

	fx_init(&a, pcide, 1, ept);
	fx_init(&b, pcide, 1, ept);
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t va;
		uint8_t kind, cpl, size;
		unsigned op;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		op = (unsigned)(x >> 50) % 64;
		if (op == 0 || op == 1) {
			/* Without PCIDE, bit 63 is reserved (SDM Vol. 3A 4.10.4.1). */
			uint64_t v = a.gs.root | (pcide ? (op + 1) : 0) |
				     (pcide && (x >> 20) & 1 ? CR3_NOFLUSH : 0);

			ev(&a, TM_EV_CR3, 0, 0, v, 0);
			ev(&b, TM_EV_CR3, 0, 0, v, 0);
			continue;
		}
		if (op == 2) {
			ev(&a, TM_EV_INVLPG, 0, 0, 0, pages[(x >> 8) % np]);
			ev(&b, TM_EV_INVLPG, 0, 0, 0, pages[(x >> 8) % np]);
			continue;
		}
		if (op == 3) {
			tm_set_vpid(a.m, (uint16_t)((x >> 12) % 3));
			tm_set_vpid(b.m, (uint16_t)((x >> 12) % 3));
			continue;
		}
		va = pages[(x >> 8) % np] + ((x >> 16) % 4096);
		kind = (uint8_t)((x >> 30) % 3);
		cpl = (x >> 33) & 1 ? 3 : 0;
		size = (uint8_t)(1u << ((x >> 35) % 4));
		tm_access(a.m, va, size, kind, cpl);
		tm__access_slow(b.m, va, size, kind, cpl);
	}
	sa = st(&a);
	sb = st(&b);
	/* Both paths ran: hits, walks and faulting walks all happened. */
	g_assert_cmpuint(sa->tlb_hits[TM_L1D][TM_4K], >, 1000);
	if (!ept) {
		g_assert_cmpuint(sa->tlb_hits[TM_L1D][TM_2M], >, 500);
		g_assert_cmpuint(sa->tlb_hits[TM_L1I][TM_2M], >, 200);
	}
	g_assert_cmpuint(sa->walks, >, 100);
	g_assert_cmpuint(sa->walk_faults, >, 10);
	g_assert_cmpint(memcmp(sa, sb, sizeof(*sa)), ==, 0);
	fx_free(&a);
	fx_free(&b);
}

static void test_inline_exact(void)
{
	inline_exact(true, true);
	inline_exact(false, true);
	inline_exact(false, false);
}

/* ---- replacement ---- */

static void arr_init(struct tlb_array *a, uint32_t entries, uint32_t ways, uint8_t policy,
		     uint64_t seed)
{
	struct tm_array_cfg c = { entries, ways, policy, 0, 0 };
	char why[120];

	g_assert_cmpint(tlb_array_init(a, &c, seed, "test", why, sizeof(why)), ==, 0);
}

/* One 4-way set (key 0): fill tags 1..4, touch 1, insert 5. */
static void fill_and_touch(struct tlb_array *a)
{
	for (uint64_t t = 1; t <= 4; t++)
		g_assert_nonnull(tlb_array_insert(a, 0, t, 0, false));
	g_assert_nonnull(tlb_array_find(a, 0, 1, 0));
	tlb_array_insert(a, 0, 5, 0, false);
}

static bool present(struct tlb_array *a, uint64_t tag)
{
	for (uint32_t w = 0; w < a->ways; w++)
		if (a->e[w].tag == tag)
			return true;
	return false;
}

/* LRU: recency 1 (touched), 4, 3, 2: 2 goes. FIFO: fill order 1, 2, 3,
 * 4 and hits do not count: 1 goes. Tree PLRU: the fills leave the root
 * pointing left and the left node at way 0; touching way 0 turns the root
 * right, where the node points away from way 3 (filled last) to way 2:
 * tag 3 goes where true LRU would evict 2. */
static void test_replacement(void)
{
	struct tlb_array a;

	arr_init(&a, 4, 4, TM_POLICY_LRU, 1);
	fill_and_touch(&a);
	g_assert_false(present(&a, 2));
	g_assert_true(present(&a, 1) && present(&a, 3) && present(&a, 4) && present(&a, 5));
	/* Touch order now 5, 1, 4, 3 (oldest 3). */
	tlb_array_insert(&a, 0, 6, 0, false);
	g_assert_false(present(&a, 3));
	tlb_array_free(&a);

	arr_init(&a, 4, 4, TM_POLICY_FIFO, 1);
	fill_and_touch(&a);
	g_assert_false(present(&a, 1));
	g_assert_true(present(&a, 2) && present(&a, 3) && present(&a, 4) && present(&a, 5));
	tlb_array_free(&a);

	arr_init(&a, 4, 4, TM_POLICY_PLRU, 1);
	fill_and_touch(&a);
	g_assert_false(present(&a, 3));
	g_assert_true(present(&a, 1) && present(&a, 2) && present(&a, 4) && present(&a, 5));
	tlb_array_free(&a);
}

/* Fully associative: 8 tags whose keys all index set 0 of a 2-set array
 * leave 4; in one 8-way set all 8 stay. */
static void test_fully_associative(void)
{
	struct tlb_array a;

	arr_init(&a, 8, 4, TM_POLICY_LRU, 1);
	for (uint64_t k = 0; k < 16; k += 2)
		tlb_array_insert(&a, k, k + 100, 0, false);
	g_assert_cmpuint(tlb_array_count(&a), ==, 4);
	tlb_array_free(&a);

	arr_init(&a, 8, 8, TM_POLICY_LRU, 1);
	for (uint64_t k = 0; k < 16; k += 2)
		tlb_array_insert(&a, k, k + 100, 0, false);
	g_assert_cmpuint(tlb_array_count(&a), ==, 8);
	for (uint64_t k = 0; k < 16; k += 2)
		g_assert_nonnull(tlb_array_find(&a, k, k + 100, 0));
	tlb_array_free(&a);
}

/* RANDOM: the same seed gives the same victims; the generator is the
 * array's own, so runs repeat exactly. */
static void test_random(void)
{
	struct tlb_array a, b;
	unsigned differ = 0;

	arr_init(&a, 64, 8, TM_POLICY_RANDOM, 42);
	arr_init(&b, 64, 8, TM_POLICY_RANDOM, 42);
	for (uint64_t i = 0; i < 1000; i++) {
		uint64_t k = (i * 2654435761u) % 97;

		tlb_array_insert(&a, k, k, 0, false);
		tlb_array_insert(&b, k, k, 0, false);
	}
	for (unsigned i = 0; i < 64; i++)
		differ += a.e[i].tag != b.e[i].tag;
	g_assert_cmpuint(differ, ==, 0);
	g_assert_cmpuint(tlb_array_count(&a), ==, 64);
	tlb_array_free(&a);
	tlb_array_free(&b);
}

/* Sizes a level holds: a 2 MiB page in a level with only a 4 KiB array is
 * held as 4 KiB; a 1 GiB page in a 4K+2M level as 2 MiB. */
static void test_level_sizes(void)
{
	struct tm_tlb_cfg c = { 0 };
	struct tlb_level l;
	struct tlb_entry *e;
	char why[120];

	c.arr[0] = (struct tm_array_cfg){ 16, 4, TM_POLICY_LRU, TM_SZ_4K, 1 };
	g_assert_cmpint(tlb_level_init(&l, &c, 1, "t", why, sizeof(why)), ==, 0);
	e = tlb_level_fill(&l, 0x40201000, TM_2M, 21, 0, false, 0);
	g_assert_cmpuint(e->size, ==, TM_4K);
	g_assert_nonnull(tlb_level_find(&l, 0x40201fff, 0));
	g_assert_null(tlb_level_find(&l, 0x40202000, 0));
	tlb_level_free(&l);

	c.arr[0].sizes = TM_SZ_4K | TM_SZ_2M;
	g_assert_cmpint(tlb_level_init(&l, &c, 1, "t", why, sizeof(why)), ==, 0);
	e = tlb_level_fill(&l, 0x40201000, TM_1G, 30, 0, false, 0);
	g_assert_cmpuint(e->size, ==, TM_2M);
	g_assert_nonnull(tlb_level_find(&l, 0x403fffff, 0));
	g_assert_null(tlb_level_find(&l, 0x40400000, 0));
	/* INVLPG of any address in the 1 GiB page removes the piece. */
	struct tlb_match mt = { .mask = TLB_CTX_ALL, .by_addr = true, .va = 0x7ffff000 };
	g_assert_cmpuint(tlb_level_inval(&l, &mt), ==, 1);
	tlb_level_free(&l);

	/* Two arrays holding one size is a configuration error. */
	c.arr[1] = c.arr[0];
	g_assert_cmpint(tlb_level_init(&l, &c, 1, "tlb.l1d", why, sizeof(why)), <, 0);
	g_assert_nonnull(strstr(why, "tlb.l1d"));
}

/* The reference lookup: the lowest way whose tag matches and whose context
 * matches under its compare mask (tlb.h), without fkey. */
static int ref_find(const struct tlb_array *a, uint64_t key, uint64_t tag, uint32_t ctx)
{
	uint64_t base = tlb_array_set(a, key) * a->ways;

	for (uint32_t w = 0; w < a->ways; w++) {
		const struct tlb_entry *e = &a->e[base + w];

		if (e->tag == tag && !((e->ctx ^ ctx) & e->cmask))
			return (int)(base + w);
	}
	return -1;
}

/* The hit check's keys (fkey) stay in step with the entries through fills
 * (global and not, several PCIDs and VPIDs), invalidations and context
 * switches: every lookup through them finds the entry the reference scan
 * finds, for 4-, 8- and 16-way sets. A fixed xorshift sequence drives it. */
static void test_fkey_consistency(void)
{
	static const uint32_t shapes[][2] = { { 64, 4 }, { 64, 8 }, { 32, 16 } };

	for (unsigned sh = 0; sh < 3; sh++) {
		struct tlb_array a;
		uint64_t x = 88172645463325252ull;
		unsigned hits = 0, checks = 0;

		arr_init(&a, shapes[sh][0], shapes[sh][1], TM_POLICY_LRU, 1);
		for (unsigned i = 0; i < 20000; i++) {
			uint64_t key, tag;
			uint32_t ctx;
			unsigned op;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			key = (x >> 8) % 48;
			tag = key << 2;
			ctx = tlb_ctx((uint16_t)((x >> 20) % 3), (uint16_t)((x >> 24) % 2), 0);
			op = (unsigned)(x >> 40) % 16;
			if (op < 6) {
				tlb_array_insert(&a, key, tag, ctx, op == 0);
			} else if (op == 6) {
				struct tlb_match mt = { .ctx = ctx, .mask = TLB_CTX_ALL,
							.keep_global = true };

				tlb_array_inval(&a, &mt);
			} else if (op == 7) {
				tlb_array_set_ctx(&a, ctx);
			} else {
				int want = ref_find(&a, key, tag, ctx);
				struct tlb_entry *e = tlb_array_find(&a, key, tag, ctx);

				g_assert_cmpint(e ? (int)(e - a.e) : -1, ==, want);
				hits += want >= 0;
				checks++;
			}
		}
		/* Both outcomes were exercised. */
		g_assert_cmpuint(hits, >, checks / 10);
		g_assert_cmpuint(hits, <, checks);
		tlb_array_free(&a);
	}
}

/* ---- the arrays' fast paths against their plain definitions ---- */

static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Lookups, fills (global and not, several PCIDs and VPIDs), context
 * switches and invalidations on one array: every lookup agrees with the
 * reference scan. The operation is chosen by table, so that each kind
 * keeps its share whatever the shape. */
enum op_kind { OP_FILL, OP_FILL_GLOBAL, OP_SWITCH, OP_INVAL, OP_LOOK };

static void lookups(uint32_t entries, uint32_t ways, uint8_t policy)
{
	static const uint8_t mix[16] = { OP_FILL, OP_FILL, OP_FILL, OP_FILL, OP_FILL_GLOBAL,
					 OP_SWITCH, OP_LOOK, OP_LOOK, OP_LOOK, OP_LOOK, OP_LOOK,
					 OP_LOOK, OP_LOOK, OP_LOOK, OP_LOOK, OP_INVAL };
	struct tlb_array a;
	uint64_t x = 0x2545f4914f6cdd1dull;
	unsigned found = 0, looks = 0;

	arr_init(&a, entries, ways, policy, 7);
	for (unsigned i = 0; i < 40000; i++) {
		uint64_t r = next(&x), key = (r >> 8) % (3 * entries);
		uint32_t ctx = tlb_ctx((uint16_t)((r >> 20) % 3), (uint16_t)((r >> 24) % 2), 0);
		struct tlb_match everything = { .ctx = ctx, .mask = TLB_CTX_ALL, .keep_global = true };
		struct tlb_entry *e;
		int want;

		switch (mix[(r >> 40) % 16]) {
		case OP_FILL:
		case OP_FILL_GLOBAL:
			tlb_array_insert(&a, key, key << 2, ctx, mix[(r >> 40) % 16] == OP_FILL_GLOBAL);
			break;
		case OP_SWITCH:
			tlb_array_set_ctx(&a, ctx);
			break;
		case OP_INVAL: /* rarely: a context flush */
			if (i % 8 == 0)
				tlb_array_inval(&a, &everything);
			break;
		default:
			want = ref_find(&a, key, key << 2, ctx);
			e = tlb_array_find(&a, key, key << 2, ctx);
			g_assert_cmpint(e ? (int)(e - a.e) : -1, ==, want);
			found += want >= 0;
			looks++;
		}
	}
	g_assert_cmpuint(found, >, looks / 20);
	g_assert_cmpuint(found, <, looks);
	tlb_array_free(&a);
}

static void test_lookups(void)
{
	static const uint32_t shapes[][2] = {
		{ 64, 64 }, { 16, 16 }, { 12, 12 }, { 128, 128 }, { 64, 4 }, { 96, 12 }, { 2048, 16 },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(shapes); i++) {
		lookups(shapes[i][0], shapes[i][1], TM_POLICY_LRU);
		lookups(shapes[i][0], shapes[i][1], TM_POLICY_FIFO);
		lookups(shapes[i][0], shapes[i][1], TM_POLICY_RANDOM);
	}
	lookups(64, 64, TM_POLICY_PLRU);
	lookups(64, 8, TM_POLICY_PLRU);
}

/* A reference LRU/FIFO set-associative array: per set, the tags in ways
 * and a use (LRU) or fill (FIFO) order. */
struct ref_arr {
	uint64_t tag[256];
	uint64_t when[256];
	uint64_t clock;
	uint32_t sets, ways;
	bool lru;
};

/* Reference of a context-0 reference: hit refreshes (LRU); miss fills the
 * lowest empty way, else the oldest. */
static bool ref_ref(struct ref_arr *r, uint64_t key, uint64_t tag)
{
	uint32_t base = (uint32_t)(key % r->sets) * r->ways, v = UINT32_MAX;

	for (uint32_t w = 0; w < r->ways; w++)
		if (r->tag[base + w] == tag) {
			if (r->lru)
				r->when[base + w] = ++r->clock;
			return true;
		}
	for (uint32_t w = 0; w < r->ways && v == UINT32_MAX; w++)
		if (r->tag[base + w] == TLB_TAG_NONE)
			v = w;
	if (v == UINT32_MAX) {
		v = 0;
		for (uint32_t w = 1; w < r->ways; w++)
			if (r->when[base + w] < r->when[base + v])
				v = w;
	}
	r->tag[base + v] = tag;
	r->when[base + v] = ++r->clock;
	return false;
}

/* tlb_array_ref() against the reference, for caches of 12 and 20 ways
 * (the shapes of the shipped L1D/L2 models) and a 64-way single set. */
static void test_data_cache_ref(void)
{
	static const uint32_t shapes[][2] = { { 48, 12 }, { 80, 20 }, { 64, 64 }, { 256, 4 } };

	for (unsigned i = 0; i < G_N_ELEMENTS(shapes); i++)
		for (unsigned pol = 0; pol < 2; pol++) {
			struct ref_arr r = { .sets = shapes[i][0] / shapes[i][1],
					     .ways = shapes[i][1], .lru = pol == 0 };
			struct tlb_array a;
			uint64_t x = 88172645463325252ull;
			unsigned hits = 0;

			memset(r.tag, 0xff, sizeof(r.tag));
			arr_init(&a, shapes[i][0], shapes[i][1],
				 pol == 0 ? TM_POLICY_LRU : TM_POLICY_FIFO, 7);
			for (unsigned n = 0; n < 30000; n++) {
				uint64_t line = next(&x) % (2 * shapes[i][0]);
				bool want = ref_ref(&r, line, line);

				g_assert_cmpint(tlb_array_ref(&a, line, line), ==, want);
				hits += want;
			}
			for (uint32_t w = 0; w < shapes[i][0]; w++)
				g_assert_cmphex(a.e[w].tag, ==, r.tag[w]);
			g_assert_cmpuint(hits, >, 1000);
			tlb_array_free(&a);
		}
}

/* The data-cache hierarchy (cache.c: set blocks with rank bytes) against
 * three tlb_arrays referenced in turn with tlb_array_ref(), the plain
 * definition above: the same level and latency for every reference, with
 * every policy, sets of 1..64 ways, a fully associative level wider than
 * 64 ways (a tlb_array in the hierarchy too) and an absent one. */
static void test_cache_levels(void)
{
	/* size_kb and ways of L1D, L2, LLC. */
	static const uint32_t shapes[][3][2] = {
		{ { 4, 8 }, { 16, 16 }, { 32, 64 } },
		{ { 3, 12 }, { 10, 20 }, { 12, 12 } },
		{ { 1, 4 }, { 4, 2 }, { 8, 1 } },
		{ { 2, 32 }, { 8, 128 }, { 0, 0 } },
		{ { 4, 0 }, { 16, 64 }, { 64, 16 } },
		{ { 3, 3 }, { 10, 5 }, { 20, 40 } },
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(shapes); i++)
		for (uint8_t pol = TM_POLICY_LRU; pol <= TM_POLICY_RANDOM; pol++) {
			struct tm_config cfg;
			struct tm_cache c;
			struct tlb_array ref[3];
			uint64_t x = 0x2545f4914f6cdd1dull;
			unsigned got[5] = { 0 };
			char why[200];
			bool skip = false;

			tm_config_defaults(&cfg);
			cfg.mem_latency = 300;
			for (unsigned l = 0; l < 3; l++) {
				struct tm_cache_cfg *cc = l == 0 ? &cfg.cache.l1d
							  : l == 1 ? &cfg.cache.l2 : &cfg.cache.llc;
				uint32_t lines = shapes[i][l][0] * 16;
				uint32_t ways = shapes[i][l][1] ? shapes[i][l][1] : lines;

				*cc = (struct tm_cache_cfg){ shapes[i][l][0], shapes[i][l][1], pol,
							     5 + 10 * l };
				/* Tree PLRU takes power-of-two ways up to 64 only. */
				skip |= pol == TM_POLICY_PLRU && lines &&
					((ways & (ways - 1)) || ways > 64);
			}
			if (skip)
				continue;
			g_assert_cmpint(tm_cache_init(&c, &cfg, 0x3000, why, sizeof(why)), ==, 0);
			for (unsigned l = 0; l < 3; l++) {
				const struct tm_cache_cfg *cc = l == 0 ? &cfg.cache.l1d
								: l == 1 ? &cfg.cache.l2
									 : &cfg.cache.llc;
				struct tm_array_cfg a = { cc->size_kb * 16, cc->ways, pol, 0,
							  cc->latency };

				g_assert_cmpint(tlb_array_init(&ref[l], &a, 0x3000 + 31 * l, "ref", why,
							       sizeof(why)), ==, 0);
			}
			for (unsigned n = 0; n < 40000; n++) {
				/* Lines of a footprint about twice the LLC's. */
				uint64_t line = next(&x) % 3000, pa = (line << 6) | (n % 64);
				unsigned want = 3;
				uint32_t lat, want_lat = cfg.mem_latency;

				for (unsigned l = 0; l < 3; l++)
					if (tlb_array_ref(&ref[l], line, line)) {
						want = l;
						want_lat = ref[l].latency;
						break;
					}
				g_assert_cmpuint(tm_cache_ref(&c, pa, &lat), ==, want);
				g_assert_cmpuint(lat, ==, want_lat);
				got[want]++;
			}
			/* Every level both hits and misses (an absent level never hits). */
			for (unsigned l = 0; l < 3; l++)
				if (shapes[i][l][0])
					g_assert_cmpuint(got[l], >, 100);
				else
					g_assert_cmpuint(got[l], ==, 0);
			g_assert_cmpuint(got[3], >, 100);
			tm_cache_clear(&c);
			g_assert_cmpuint(tm_cache_ref(&c, 64, &got[4]), ==, 3);
			for (unsigned l = 0; l < 3; l++)
				tlb_array_free(&ref[l]);
			tm_cache_free(&c);
		}
}

/* A level with a 4 KiB + 2 MiB array of @entries / @ways and a 1 GiB
 * array of 8 entries, filled with pages of every size, splintered where
 * the level holds no array of their size. */
static void level_init(struct tlb_level *l, uint32_t entries, uint32_t ways, uint8_t sizes)
{
	struct tm_tlb_cfg c = { 0 };
	char why[120];

	c.arr[0] = (struct tm_array_cfg){ entries, ways, TM_POLICY_LRU, sizes, 1 };
	if (!(sizes & TM_SZ_1G))
		c.arr[1] = (struct tm_array_cfg){ 8, 8, TM_POLICY_LRU, TM_SZ_1G, 1 };
	g_assert_cmpint(tlb_level_init(l, &c, 1, "t", why, sizeof(why)), ==, 0);
}

/* The same fills into two levels; one is invalidated by address through
 * tlb_level_inval(), the other by scanning every array whole
 * (tlb_array_inval()): the same entries go. */
static void by_address(uint32_t entries, uint32_t ways, uint8_t sizes, bool large)
{
	struct tlb_level a, b;
	uint64_t x = 0x9e3779b97f4a7c15ull, filled[64] = { 0 };
	unsigned removed = 0;

	level_init(&a, entries, ways, sizes);
	level_init(&b, entries, ways, sizes);
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t r = next(&x);
		/* 64 GiB of linear space: pages collide in sets and contexts. */
		uint64_t va = (r >> 16) & (UINT64_C(0xf) << 32 | UINT64_C(0xfffff000));
		unsigned kind = (unsigned)(r % 8), s, osh;
		uint32_t ctx = tlb_ctx((uint16_t)((r >> 8) % 2), 0, 0);

		/* Mostly 4 KiB pages; some 2 MiB, 4 MiB and 1 GiB ones. */
		if (!large || kind < 5) {
			s = TM_4K;
			osh = 12;
		} else if (kind < 6) {
			s = TM_2M;
			osh = 21;
		} else if (kind < 7) {
			s = TM_2M;
			osh = 22;
		} else {
			s = TM_1G;
			osh = 30;
		}
		if (i % 5 != 4) {
			tlb_level_fill(&a, va, s, osh, ctx, (r >> 9) & 1, 0);
			tlb_level_fill(&b, va, s, osh, ctx, (r >> 9) & 1, 0);
			filled[i % 64] = va;
		} else {
			/* Near a recent fill: the page itself, or elsewhere in a
			 * large page around it. */
			struct tlb_match mt = { .ctx = ctx, .mask = TLB_CTX_ALL, .by_addr = true,
						.va = filled[(r >> 32) % 64] ^
						      ((r >> 40) & ((r >> 62) ? 0xfff : 0x3fffff)) };
			unsigned na = tlb_level_inval(&a, &mt), nb = 0;

			for (unsigned k = 0; k < b.narr; k++)
				nb += tlb_array_inval(&b.arr[k], &mt);
			g_assert_cmpuint(na, ==, nb);
			removed += na;
		}
	}
	for (unsigned k = 0; k < a.narr; k++)
		for (uint32_t i = 0; i < a.arr[k].sets * a.arr[k].ways; i++)
			g_assert_cmphex(a.arr[k].e[i].tag, ==, b.arr[k].e[i].tag);
	g_assert_cmpuint(removed, >, 100);
	tlb_level_free(&a);
	tlb_level_free(&b);
}

static void test_inval_by_address(void)
{
	/* An STLB-like 4K+2M array (1 GiB pages splintered to 2 MiB). */
	by_address(256, 8, TM_SZ_4K | TM_SZ_2M, true);
	/* A 4 KiB-only array: every large page in 4 KiB pieces. */
	by_address(64, 4, TM_SZ_4K, true);
	/* More sets than a 2 MiB page has 4 KiB pieces: only their sets. */
	by_address(4096, 4, TM_SZ_4K, true);
	/* No large pages: only the address's own set. */
	by_address(1024, 8, TM_SZ_4K, false);
	/* One fully associative array of all sizes (zen2's L1 DTLB). */
	by_address(64, 64, TM_SZ_4K | TM_SZ_2M | TM_SZ_1G, true);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/tlb/cr3-noflush", test_cr3_noflush);
	g_test_add_func("/tlb/cr3-pcid", test_cr3_pcid);
	g_test_add_func("/tlb/global", test_global);
	g_test_add_func("/tlb/invlpg", test_invlpg);
	g_test_add_func("/tlb/cr4-pge", test_cr4_pge);
	g_test_add_func("/tlb/cr4-pcide-smep", test_cr4_pcide_smep);
	g_test_add_func("/tlb/cr0", test_cr0);
	g_test_add_func("/tlb/invpcid-01", test_invpcid_01);
	g_test_add_func("/tlb/invept", test_invept);
	g_test_add_func("/tlb/invvpid", test_invvpid);
	g_test_add_func("/tlb/vmx-transitions", test_vmx_transitions);
	g_test_add_func("/tlb/guest-physical", test_guest_physical);
	g_test_add_func("/tlb/inline-exact", test_inline_exact);
	g_test_add_func("/tlb/replacement", test_replacement);
	g_test_add_func("/tlb/fully-associative", test_fully_associative);
	g_test_add_func("/tlb/random", test_random);
	g_test_add_func("/tlb/level-sizes", test_level_sizes);
	g_test_add_func("/tlb/fkey-consistency", test_fkey_consistency);
	g_test_add_func("/tlb/index-lookups", test_lookups);
	g_test_add_func("/tlb/data-cache-ref", test_data_cache_ref);
	g_test_add_func("/tlb/inval-by-address", test_inval_by_address);
	g_test_add_func("/tlb/cache-levels", test_cache_levels);
	return g_test_run();
}
