/*
 * Kernel-side paging checks, each against the rule in the manual:
 * INVLPG (SDM Vol. 3A 4.10.4.1), global pages and CR4.PGE (4.10.2.4,
 * 4.10.4.1), accessed/dirty flags (4.8), CR0.WP (4.6.1), XD (4.6.2),
 * SMEP and SMAP (4.6.1), INVPCID (Vol. 2A INVPCID), large and 1 GiB pages,
 * and addresses only 4- or 5-level paging can map. A feature CPUID does
 * not report is a SKIP naming the CPUID bit.
 */
#include "pagetest.h"

#define OFF 8 /* offset of the word the tests read and write */

static uintptr_t va_of(unsigned slot)
{
	return KTEST + slot * PAGE_SIZE;
}

/* A fresh frame whose word at OFF holds @v. */
static uintptr_t frame_with(uint32_t v)
{
	uintptr_t f = frame_alloc();

	if (f)
		*(volatile uint32_t *)(f + OFF) = v;
	return f;
}

static bool read_is(uintptr_t va, uint32_t want)
{
	return !probe(p_read, va + OFF) && (uint32_t)p_value == want;
}

static void t_invlpg(void)
{
	uintptr_t va = va_of(0), fa = frame_with(0xAAAA), fb = frame_with(0xBBBB);
	uint64_t fl = PTE_P | PTE_W | data_flags();

	pt_map(ks.kroot, va, fa, 1, fl);
	if (!read_is(va, 0xAAAA))
		return t_fail("invlpg", "first mapping not seen");
	pt_map(ks.kroot, va, fb, 1, fl);
	invlpg(va);
	if (!read_is(va, 0xBBBB))
		return t_fail("invlpg", "new mapping not seen after INVLPG");
	pt_unmap(ks.kroot, va);
	invlpg(va);
	if (!probe(p_read, va + OFF))
		return t_fail("invlpg", "unmapped page still readable after INVLPG");
	if (probe_cr2 != va + OFF || probe_err != 0)
		return t_fail("invlpg", "#PF cr2 0x%lx error 0x%x, want 0x%lx error 0",
			      (unsigned long)probe_cr2, (unsigned)probe_err,
			      (unsigned long)(va + OFF));
	t_pass("invlpg");
}

static void t_global(void)
{
	uintptr_t va = va_of(1), fa = frame_with(0x1111), fb = frame_with(0x2222);
	uint64_t fl = PTE_P | PTE_W | PTE_G | data_flags();
	uintptr_t cr4 = read_cr4();

	if (!feat.pge)
		return t_skip("global", "CPUID.1:EDX.PGE[bit 13] = 0");
	if (!(cr4 & CR4_PGE))
		return t_fail("global", "CR4.PGE does not read back as set");
	pt_map(ks.kroot, va, fa, 1, fl);
	if (!read_is(va, 0x1111))
		return t_fail("global", "global mapping not seen");
	/* Changing CR4.PGE flushes every entry, global ones too. */
	pt_map(ks.kroot, va, fb, 1, fl);
	write_cr4(cr4 & ~(uintptr_t)CR4_PGE);
	write_cr4(cr4);
	if (!read_is(va, 0x2222))
		return t_fail("global", "new global mapping not seen after CR4.PGE toggle");
	/* A CR3 load keeps working through G=1 kernel mappings. */
	write_cr3(ks.kroot);
	if (!read_is(va, 0x2222))
		return t_fail("global", "global mapping lost after CR3 load");
	t_pass("global");
}

static void t_accessed_dirty(void)
{
	uintptr_t va = va_of(2), fa = frame_with(0x3333);
	unsigned lvl;
	uint64_t e;

	pt_map(ks.kroot, va, fa, 1, PTE_P | PTE_W | data_flags());
	if (!read_is(va, 0x3333))
		return t_fail("accessed-dirty", "page not readable");
	e = pt_lookup(ks.kroot, va, &lvl);
	if (!(e & PTE_A) || (e & PTE_D))
		return t_fail("accessed-dirty", "after a read: A=%u D=%u, want A=1 D=0",
			      (unsigned)(e >> 5 & 1), (unsigned)(e >> 6 & 1));
	p_value = 0x4444;
	if (probe(p_write, va + OFF))
		return t_fail("accessed-dirty", "write faulted");
	e = pt_lookup(ks.kroot, va, &lvl);
	if (!(e & PTE_D))
		return t_fail("accessed-dirty", "after a write: D=0");
	t_pass("accessed-dirty");
}

static void t_wp(void)
{
	uintptr_t va = va_of(3), fa = frame_with(0);

	pt_map(ks.kroot, va, fa, 1, PTE_P | data_flags()); /* read-only */
	write_cr0(read_cr0() & ~(uintptr_t)CR0_WP);
	p_value = 0x1234;
	if (probe(p_write, va + OFF) || *(volatile uint32_t *)(fa + OFF) != 0x1234) {
		write_cr0(read_cr0() | CR0_WP);
		return t_fail("cr0-wp", "supervisor write to a read-only page failed with WP=0");
	}
	write_cr0(read_cr0() | CR0_WP);
	p_value = 0x5678;
	if (!probe(p_write, va + OFF))
		return t_fail("cr0-wp", "supervisor write to a read-only page allowed with WP=1");
	if (probe_cr2 != va + OFF || probe_err != (PF_P | PF_W))
		return t_fail("cr0-wp", "#PF error 0x%x, want 0x3", (unsigned)probe_err);
	t_pass("cr0-wp");
}

static void t_nx(void)
{
	uintptr_t va = va_of(4), fa = frame_alloc();

	if (!pt->has_xd)
		return; /* 32-bit paging has no XD bit: nothing to test */
	if (!feat.nx)
		return t_skip("nx", "CPUID.80000001H:EDX.NX[bit 20] = 0");
	put_stub(fa);
	pt_map(ks.kroot, va, fa, 1, PTE_P | PTE_XD);
	if (!probe(p_call, va))
		return t_fail("nx", "fetch from an XD page did not fault");
	if (probe_cr2 != va || probe_err != (PF_P | PF_ID))
		return t_fail("nx", "#PF cr2 0x%lx error 0x%x, want error 0x11",
			      (unsigned long)probe_cr2, (unsigned)probe_err);
	pt_map(ks.kroot, va, fa, 1, PTE_P);
	invlpg(va);
	if (probe(p_call, va) || p_value != 42)
		return t_fail("nx", "fetch from an executable page failed");
	t_pass("nx");
}

static void t_smep(void)
{
	uintptr_t va = va_of(5), fa = frame_alloc();

	if (!feat.smep)
		return t_skip("smep", "CPUID.(EAX=7,ECX=0):EBX.SMEP[bit 7] = 0");
	put_stub(fa);
	pt_map(ks.kroot, va, fa, 1, PTE_P | PTE_U);
	if (probe(p_call, va) || p_value != 42)
		return t_fail("smep", "supervisor fetch from a user page faulted with SMEP=0");
	write_cr4(read_cr4() | CR4_SMEP);
	ks.smep = true;
	if (!probe(p_call, va))
		return t_fail("smep", "supervisor fetch from a user page allowed with SMEP=1");
	/* I/D is set for a fetch whenever CR4.SMEP = 1 (SDM 4.7). */
	if (probe_cr2 != va || probe_err != (PF_P | PF_ID))
		return t_fail("smep", "#PF cr2 0x%lx error 0x%x, want error 0x11",
			      (unsigned long)probe_cr2, (unsigned)probe_err);
	t_pass("smep");
}

static void t_smap(void)
{
	uintptr_t va = va_of(6), fa = frame_with(0x5555);

	if (!feat.smap)
		return t_skip("smap", "CPUID.(EAX=7,ECX=0):EBX.SMAP[bit 20] = 0");
	pt_map(ks.kroot, va, fa, 1, PTE_P | PTE_W | PTE_U | data_flags());
	if (!read_is(va, 0x5555))
		return t_fail("smap", "supervisor read of a user page failed with SMAP=0");
	write_cr4(read_cr4() | CR4_SMAP);
	ks.smap = true;
	clac();
	if (!probe(p_read, va + OFF))
		return t_fail("smap", "supervisor read of a user page allowed with AC=0");
	if (probe_cr2 != va + OFF || probe_err != PF_P)
		return t_fail("smap", "#PF error 0x%x, want 0x1", (unsigned)probe_err);
	stac();
	bool ok = read_is(va, 0x5555);
	clac();
	if (!ok)
		return t_fail("smap", "supervisor read of a user page failed with AC=1");
	t_pass("smap");
}

static void t_invpcid(void)
{
	uintptr_t va = va_of(7), fa = frame_with(0x7A), fb = frame_with(0x7B);
	uint64_t fl = PTE_P | PTE_W | data_flags();

	if (!feat.invpcid)
		return t_skip("invpcid", "CPUID.(EAX=7,ECX=0):EBX.INVPCID[bit 10] = 0");
	pt_map(ks.kroot, va, fa, 1, fl);
	if (!read_is(va, 0x7A))
		return t_fail("invpcid", "first mapping not seen");
	pt_map(ks.kroot, va, fb, 1, fl);
	invpcid(0, 0, va); /* individual address, PCID 0 */
	if (!read_is(va, 0x7B))
		return t_fail("invpcid", "new mapping not seen after INVPCID type 0");
	pt_map(ks.kroot, va, fa, 1, fl | PTE_G);
	invpcid(2, 0, 0); /* all contexts, globals included */
	if (!read_is(va, 0x7A))
		return t_fail("invpcid", "new mapping not seen after INVPCID type 2");
	t_pass("invpcid");
}

/* Reads through a large leaf at @va mapping physical 0 agree with the
 * identity map. */
static bool large_agrees(uintptr_t va)
{
	for (uintptr_t off = 0x100000; off < 0x100000 + 16 * PAGE_SIZE; off += PAGE_SIZE + 12) {
		if (probe(p_read, va + off) || (uint32_t)p_value != *(volatile uint32_t *)off)
			return false;
	}
	return true;
}

static void t_large(void)
{
	uintptr_t va = KTEST + 0x400000;

	if (!pt->large_min || !ks.large)
		return; /* mode=2level runs with CR4.PSE = 0 */
	pt_map(ks.kroot, va, 0, pt->large_min, PTE_P | data_flags());
	if (!large_agrees(va))
		return t_fail("large-page", "reads through the large page differ");
	t_pass("large-page");
}

#ifdef __x86_64__
static void t_huge(void)
{
	uintptr_t va = 0x8000000000ull; /* PML4 slot 1 */

	if (!feat.gbpages)
		return t_skip("1g-page", "CPUID.80000001H:EDX.Page1GB[bit 26] = 0");
	pt_map(ks.kroot, va, 0, 3, PTE_P | data_flags());
	if (!large_agrees(va))
		return t_fail("1g-page", "reads through the 1 GiB page differ");
	t_pass("1g-page");
}

/* Linear addresses beyond 32 bits, in both canonical halves: 48-bit with
 * 4 levels, 57-bit with 5 (SDM 4.5). */
static void t_high(void)
{
	bool five = pt->levels == 5;
	uintptr_t va[2] = {five ? 0x00FF000000000000ull : 0x00007F0000000000ull,
			   five ? 0xFF80000000000000ull : 0xFFFFFF8000000000ull};

	for (unsigned i = 0; i < 2; i++) {
		uintptr_t f = frame_with(0);

		pt_map(ks.kroot, va[i], f, 1, PTE_P | PTE_W | data_flags());
		p_value = 0xC0DE0000u + i;
		if (probe(p_write, va[i] + OFF) || *(volatile uint32_t *)(f + OFF) != p_value)
			return t_fail(five ? "la57-address" : "high-address",
				      "write through 0x%lx not seen", (unsigned long)va[i]);
	}
	t_pass(five ? "la57-address" : "high-address");
}
#endif

void tests_mem(void)
{
	t_invlpg();
	t_global();
	t_accessed_dirty();
	t_wp();
	t_nx();
	t_smep();
	t_smap();
	t_invpcid();
	t_large();
#ifdef __x86_64__
	t_huge();
	t_high();
#endif
}
