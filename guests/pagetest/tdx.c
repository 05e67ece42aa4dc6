/*
 * TDX from the guest side (64-bit modes, only where TDCALL is emulated):
 * TDG.VP.INFO for GPAW, the shared bit it implies (bit GPAW-1: 47 or 51),
 * then a page converted to shared with TDG.VP.VMCALL<MapGPA>, used through
 * an alias whose PTE carries the shared bit, and converted back.
 * Intel TDX Module ABI: TDCALL leaf in RAX (0 = TDG.VP.VMCALL, 1 =
 * TDG.VP.INFO); GHCI: VMCALL sub-function in R11 (0x10001 = MapGPA), R12 =
 * GPA, R13 = size, status in R10.
 */
#include "pagetest.h"

#ifdef __x86_64__
struct tdregs {
	uint64_t rax, rcx, r10, r11, r12, r13;
};

static void tdcall(struct tdregs *t)
{
	register uint64_t r10 __asm__("r10") = t->r10;
	register uint64_t r11 __asm__("r11") = t->r11;
	register uint64_t r12 __asm__("r12") = t->r12;
	register uint64_t r13 __asm__("r13") = t->r13;

	__asm__ volatile(".byte 0x66, 0x0f, 0x01, 0xcc" /* tdcall */
			 : "+a"(t->rax), "+c"(t->rcx), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13)
			 :
			 : "rdx", "r8", "r9", "memory");
	t->r10 = r10;
	t->r11 = r11;
}

static uint64_t map_gpa(uint64_t gpa, uint64_t size)
{
	struct tdregs t = {.rax = 0, .r10 = 0, .r11 = 0x10001, .r12 = gpa, .r13 = size};

	tdcall(&t);
	return t.rax ? t.rax : t.r10;
}

void test_tdx(void)
{
	struct tdregs t = {.rax = 1};
	uint64_t shared, r;
	unsigned gpaw;
	uintptr_t fa = frame_alloc(), va = KTEST + 0x200000;

	tdcall(&t);
	gpaw = (unsigned)(t.rcx & 0x3F);
	if (t.rax || (gpaw != 48 && gpaw != 52))
		return t_fail("tdx-info", "TDG.VP.INFO status 0x%lx GPAW %u", (unsigned long)t.rax,
			      gpaw);
	shared = 1ull << (gpaw - 1);
	/* A TD's MAXPHYADDR is its GPAW: the shared bit must be an address
	 * bit, not a reserved one (SDM 4.5: bits above MAXPHYADDR-1 are
	 * reserved and fault with RSVD). */
	unsigned maxphy =
	    cpuid(0x80000000u, 0).a >= 0x80000008u ? cpuid(0x80000008u, 0).a & 0xFF : 36;
	if (maxphy < gpaw)
		return t_fail("tdx-info", "CPUID.80000008H:EAX.MAXPHYADDR = %u is below GPAW %u",
			      maxphy, gpaw);
	con_printf("tdx: GPAW %u, shared bit %u\n", gpaw, gpaw - 1);
	t_pass("tdx-info");

	r = map_gpa(fa | shared, PAGE_SIZE);
	if (r)
		return t_fail("tdx-mapgpa", "MapGPA to shared: status 0x%lx", (unsigned long)r);
	pt_map(ks.kroot, va, fa | shared, 1, PTE_P | PTE_W | data_flags());
	invlpg(va);
	for (unsigned i = 0; i < 64; i++) {
		p_value = 0x5A000000u + i * 0x01010101u;
		if (probe(p_write, va + 4 * i))
			return t_fail("tdx-shared", "write through the shared alias faulted");
	}
	for (unsigned i = 0; i < 64; i++)
		if (probe(p_read, va + 4 * i) || (uint32_t)p_value != 0x5A000000u + i * 0x01010101u)
			return t_fail("tdx-shared", "word %u differs through the shared alias", i);
	t_pass("tdx-shared");

	pt_unmap(ks.kroot, va);
	invlpg(va);
	r = map_gpa(fa, PAGE_SIZE);
	if (r)
		return t_fail("tdx-mapgpa", "MapGPA to private: status 0x%lx", (unsigned long)r);
	p_value = 0x600D;
	if (probe(p_write, fa) || probe(p_read, fa) || p_value != 0x600D)
		return t_fail("tdx-private", "private page unusable after conversion back");
	t_pass("tdx-private");
}
#else
void test_tdx(void)
{
	t_skip("tdx", "TDX needs a 64-bit mode");
}
#endif
