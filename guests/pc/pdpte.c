/*
 * pdpte: the PAE PDPTE registers (SDM Vol. 3A 4.4.1). With PAE paging in
 * use after it, MOV to CR3, and MOV to CR0/CR4 that changes CR0.PG (or
 * CR4.PAE, PGE, PSE, SMEP), load the four PDPTEs from the 32-byte table
 * at CR3[31:5]. A present PDPTE with a reserved bit set (bits 2:1, 8:5,
 * 63:MAXPHYADDR) makes the MOV fault with #GP(0): the register keeps its
 * old value and so do the PDPTE registers (SDM Vol. 3A 2.5, MOV to CR's
 * "Protected Mode Exceptions").
 *
 * A table that is not in memory reads as all ones on bare metal (a
 * master abort: reserved bits set) and cannot be read at all under KVM
 * (load_pdptrs fails, #GP): either way #GP(0). The checks below put the
 * bad PDPTE in slot 3 and map the kernel through slot 0, so that an
 * emulator that does not load the PDPTEs at the MOV (QEMU's TCG reads
 * them on each walk) keeps running and can say so (DEVIATION lines).
 *
 * Checks: a good table loads; a reserved bit in PDPTE 3 faults the MOV
 * to CR0 that sets PG, the MOV to CR3 while PAE paging is on, and the MOV
 * to CR4 that toggles PGE after the table in memory went bad (the
 * registers still held good values); each #GP has error code 0 and the
 * MOV's address, and the register it wrote is unchanged. A MOV to CR0
 * that changes only CR0.TS loads nothing: a bad table in memory then
 * goes unnoticed. Then CR3 at
 * 1 GiB (outside the 128 MiB of RAM) faults the MOV to CR0. Last, a good
 * PDPTE whose page directory is outside RAM: the directory reads as 0
 * there (QEMU's unassigned memory, and tdpsim's board), so a read through
 * it is a not-present #PF (error code 0, CR2 the address), also when a
 * host dimension cannot map that table.
 */
#include "pc.h"

#define CR0_PG	 0x80000000u
#define CR0_TS	 0x8u
#define CR4_PAE	 0x20u
#define CR4_PGE	 0x80u
#define PDPTE_P	 1ull
#define PDPTE_RW 2ull /* reserved in a PAE PDPTE */
#define PDE_P_RW_PS 0x83ull
#define OUTSIDE_RAM 0x40000000u

static uint64_t pd[512] __attribute__((aligned(4096)));
static uint64_t good[4] __attribute__((aligned(32)));
static uint64_t bad[4] __attribute__((aligned(32)));
static volatile uint32_t probe = 0x5a5aa5a5;

static volatile unsigned ngp, npf;
static volatile uint32_t gp_err, gp_eip, pf_err, pf_cr2;

/* #GP: note it and step over the 3-byte MOV to CRn (0F 22 /r). */
static void gp(struct pc_frame *f)
{
	ngp++;
	gp_err = f->err;
	gp_eip = f->eip;
	f->eip += 3;
}

/* #PF: note it and step over the 2-byte read in read_at(). */
static void pf(struct pc_frame *f)
{
	uint32_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	npf++;
	pf_err = f->err;
	pf_cr2 = cr2;
	f->eip += 2;
}

static uint32_t read_at(uint32_t a)
{
	uint32_t v;

	__asm__ volatile("mov (%%eax), %%eax" : "=a"(v) : "a"(a) : "memory");
	return v;
}

#define DEFINE_MOV_CR(n)                                                             \
	static uint32_t mov_cr##n(uint32_t v)                                        \
	{                                                                            \
		uint32_t at;                                                         \
		__asm__ volatile("movl $1f, %0\n1: mov %1, %%cr" #n                  \
				 : "=&r"(at)                                         \
				 : "r"(v)                                            \
				 : "memory");                                        \
		return at;                                                           \
	}                                                                            \
	static uint32_t read_cr##n(void)                                             \
	{                                                                            \
		uint32_t v;                                                          \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                    \
		return v;                                                            \
	}
DEFINE_MOV_CR(0)
DEFINE_MOV_CR(3)
DEFINE_MOV_CR(4)

/* The MOV at @at faulted once with #GP(0) at its own address. */
static bool gp_at(unsigned before, uint32_t at)
{
	return ngp == before + 1 && gp_err == 0 && gp_eip == at;
}

static void paging_off(void)
{
	mov_cr0(read_cr0() & ~CR0_PG);
}

/* No #GP: the emulator let the MOV through without loading the PDPTEs. */
static bool no_fault(unsigned before, const char *name)
{
	if (ngp != before)
		return false;
	pc_deviation(name, "no #GP at the MOV: the PDPTEs were not loaded (QEMU's TCG "
			   "reads them at each walk, as AMD does under nested paging)");
	return true;
}

static bool check_cr0(void)
{
	unsigned n = ngp;
	uint32_t at;

	mov_cr3((uint32_t)(uintptr_t)bad);
	at = mov_cr0(read_cr0() | CR0_PG);
	if (no_fault(n, "pae-pdpte-rsvd-mov-cr0")) {
		paging_off();
		return false;
	}
	pc_check(gp_at(n, at) && !(read_cr0() & CR0_PG), "pae-pdpte-rsvd-mov-cr0",
		 "%u #GP, error %x at %x (MOV at %x), CR0 %08x", ngp - n, gp_err, gp_eip, at,
		 read_cr0());
	return true;
}

static void check_cr3(void)
{
	unsigned n = ngp;
	uint32_t at;

	mov_cr3((uint32_t)(uintptr_t)good);
	mov_cr0(read_cr0() | CR0_PG);
	at = mov_cr3((uint32_t)(uintptr_t)bad);
	if (no_fault(n, "pae-pdpte-rsvd-mov-cr3")) {
		paging_off();
		return;
	}
	pc_check(gp_at(n, at) && read_cr3() == (uint32_t)(uintptr_t)good && probe == 0x5a5aa5a5,
		 "pae-pdpte-rsvd-mov-cr3", "%u #GP, error %x at %x (MOV at %x), CR3 %08x", ngp - n,
		 gp_err, gp_eip, at, read_cr3());
	paging_off();
}

static void check_cr4(void)
{
	unsigned n = ngp;
	uint32_t cr4, at;

	mov_cr3((uint32_t)(uintptr_t)good);
	mov_cr0(read_cr0() | CR0_PG);
	cr4 = read_cr4();
	/* The registers hold good PDPTEs; the table in memory goes bad. */
	good[3] = PDPTE_P | PDPTE_RW;
	at = mov_cr4(cr4 ^ CR4_PGE);
	good[3] = 0;
	if (no_fault(n, "pae-pdpte-rsvd-mov-cr4")) {
		mov_cr4(cr4);
		paging_off();
		return;
	}
	pc_check(gp_at(n, at) && read_cr4() == cr4 && probe == 0x5a5aa5a5,
		 "pae-pdpte-rsvd-mov-cr4", "%u #GP, error %x at %x (MOV at %x), CR4 %08x", ngp - n,
		 gp_err, gp_eip, at, read_cr4());
	paging_off();
}

static void check_kept(void)
{
	unsigned n = ngp;

	mov_cr3((uint32_t)(uintptr_t)good);
	mov_cr0(read_cr0() | CR0_PG);
	good[3] = PDPTE_P | PDPTE_RW;
	mov_cr0(read_cr0() | CR0_TS);
	__asm__ volatile("clts" ::: "memory");
	good[3] = 0;
	pc_check(ngp == n && probe == 0x5a5aa5a5 && !(read_cr0() & CR0_TS),
		 "pae-pdpte-kept-mov-cr0-ts", "%u #GP, CR0 %08x", ngp - n, read_cr0());
	paging_off();
}

static void check_outside_ram(void)
{
	unsigned n = ngp;
	uint32_t at;

	mov_cr3(OUTSIDE_RAM);
	at = mov_cr0(read_cr0() | CR0_PG);
	pc_check(gp_at(n, at) && !(read_cr0() & CR0_PG), "pae-pdpt-outside-ram-mov-cr0",
		 "%u #GP, error %x at %x (MOV at %x), CR0 %08x", ngp - n, gp_err, gp_eip, at,
		 read_cr0());
}

static void check_pd_outside_ram(void)
{
	unsigned n = npf;

	good[1] = OUTSIDE_RAM | PDPTE_P;
	mov_cr3((uint32_t)(uintptr_t)good);
	mov_cr0(read_cr0() | CR0_PG);
	read_at(OUTSIDE_RAM + 0x1234);
	paging_off();
	good[1] = 0;
	pc_check(npf == n + 1 && pf_err == 0 && pf_cr2 == OUTSIDE_RAM + 0x1234,
		 "pae-pd-outside-ram-pf", "%u #PF, error %x, CR2 %x", npf - n, pf_err, pf_cr2);
}

void test_main(void)
{
	unsigned n;

	if (!(cpuid(1, 0).d & (1u << 6))) {
		pc_skip("pae", "CPUID.1:EDX.PAE[bit 6] = 0");
		return;
	}
	for (unsigned i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | PDE_P_RW_PS;
	good[0] = (uint32_t)(uintptr_t)pd | PDPTE_P;
	bad[0] = good[0];
	bad[3] = PDPTE_P | PDPTE_RW;
	pc_set_handler(13, gp);
	pc_set_handler(14, pf);
	mov_cr4(read_cr4() | CR4_PAE);

	n = ngp;
	mov_cr3((uint32_t)(uintptr_t)good);
	mov_cr0(read_cr0() | CR0_PG);
	pc_check(ngp == n && (read_cr0() & CR0_PG) && probe == 0x5a5aa5a5, "pae-pdpte-load",
		 "%u #GP, CR0 %08x", ngp - n, read_cr0());
	paging_off();
	check_kept();

	if (check_cr0()) {
		check_cr3();
		check_cr4();
		check_outside_ram();
	} else {
		/* Without the load at the MOV, paging would start on a
		 * table of no memory and the kernel could not go on. */
		check_cr3();
		check_cr4();
		pc_deviation("pae-pdpt-outside-ram-mov-cr0",
			     "not attempted: the PDPTEs are not loaded at the MOV");
	}
	check_pd_outside_ram();
	mov_cr4(read_cr4() & ~CR4_PAE);
}
