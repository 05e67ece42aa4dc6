/*
 * excseq: faults the processor raises itself, one after another, each
 * delivered as itself. A fault only becomes #DF when it is raised while
 * another exception is being delivered (SDM Vol. 3A 6.15, Interrupt 8,
 * Table 6-5); a fault whose handler returned is over, and the next one is
 * judged alone.
 *
 * Before each fault the kernel writes DR0 none, one or two times. An
 * emulator may leave its inner run loop at such an instruction (tdpsim
 * emulates MOV to DR and restarts Unicorn after it), so these checks also
 * catch an emulator that keeps something across such stops: QEMU's TCG
 * remembers the last fault it raised (env->old_exception) until the
 * exception is delivered, so a fault it raises for a look-up of its own,
 * for no guest instruction, makes the next #GP a #DF and, one more, any
 * fault a triple fault; with linear page 0 not present (as kernels leave
 * it) such a look-up there would also change CR2.
 *
 * Checks, for 0, 1 and 2 DR0 writes before ("de", "de-after-1-stop",
 * "de-after-2-stops", ...), ROUNDS times each, with paging on:
 *  - cr2-kept: a value moved to CR2 reads back unchanged;
 *  - de: DIV by zero: #DE (vector 0);
 *  - ud: UD2: #UD (6);
 *  - gp: MOV to DS of a selector beyond the GDT limit: #GP with the
 *    selector as error code (Vol. 2A MOV: #GP(selector));
 *  - pf: with 4 MiB pages on (CR4.PSE), a read of a linear address whose
 *    page directory entry is not present: #PF (14), error code 0 (a
 *    supervisor read of a not-present page, Vol. 3A 4.7), CR2 the address.
 */
#include "pc.h"

#define ROUNDS	  3
#define BAD_SEL	  0xfff8u     /* far beyond pc32.S's three-entry GDT */
#define HOLE	  0x40000000u /* PDE 256: not present */
#define PDE_4M	  0x83u	      /* P | R/W | PS: a 4 MiB supervisor page */
#define PTE	  0x03u	      /* P | R/W: a 4 KiB supervisor page (or table) */
#define CR0_PG	  (1u << 31)
#define CR4_PSE	  (1u << 4)
#define NO_ERROR  0xffffffffu

static uint32_t pd[1024] __attribute__((aligned(4096)));
static uint32_t pt0[1024] __attribute__((aligned(4096)));

static volatile uint32_t got_err, got_cr2;

static void catcher(struct pc_frame *f)
{
	uint32_t cr2;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	got_err = (f->vec == 8 || (f->vec >= 10 && f->vec <= 14) || f->vec == 17) ? f->err
										 : NO_ERROR;
	got_cr2 = cr2;
	pc_catch(f);
}

/* @n writes of DR0: each one a place where tdpsim leaves Unicorn. */
static void dr0_writes(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		__asm__ volatile("mov %0, %%dr0" : : "r"(0x1000u * i) : "memory");
}

enum kind { DE, UD, GP, PF, KINDS };
static const char *const names[KINDS][3] = {
	{"de", "de-after-1-stop", "de-after-2-stops"},
	{"ud", "ud-after-1-stop", "ud-after-2-stops"},
	{"gp", "gp-after-1-stop", "gp-after-2-stops"},
	{"pf", "pf-after-1-stop", "pf-after-2-stops"}};
static const uint32_t want_vec[KINDS] = {0, 6, 13, 14};
static const uint32_t want_err[KINDS] = {NO_ERROR, NO_ERROR, BAD_SEL, 0};

static unsigned provoke(enum kind k)
{
	uint32_t zero = 0;

	switch (k) {
	case DE: /* PC_TRY, with EAX and EDX clobbered */
		pc_caught = PC_NOFAULT;
		__asm__ volatile("movl $1f, %[r]\n\t"
				 "xor %%edx, %%edx\n\t"
				 "mov $1, %%eax\n\t"
				 "divl %[z]\n1:"
				 : [r] "=m"(pc_resume)
				 : [z] "r"(zero)
				 : "eax", "edx", "memory");
		return pc_caught;
	case UD:
		return PC_TRY("ud2");
	case GP:
		return PC_TRY("mov %[s], %%ds", [s] "r"(BAD_SEL));
	default:
		return PC_TRY("cmpl $0, (%[p])", [p] "r"(HOLE));
	}
}

static void check(enum kind k, unsigned stops)
{
	unsigned bad = 0, vec = 0;

	for (unsigned r = 0; r < ROUNDS; r++) {
		got_err = got_cr2 = 0;
		dr0_writes(stops);
		vec = provoke(k);
		if (vec != want_vec[k] || got_err != want_err[k] ||
		    (k == PF && got_cr2 != HOLE)) {
			bad++;
			break;
		}
	}
	pc_check(!bad, names[k][stops], "vector %u error 0x%x cr2 0x%x (want %u 0x%x)", vec,
		 got_err, got_cr2, want_vec[k], want_err[k]);
}

/* 0-1 GiB identity-mapped, but for linear page 0 (a null page, as
 * kernels leave it) and the 4 MiB at HOLE. */
static void paging_on(void)
{
	for (uint32_t i = 1; i < 1024; i++)
		pt0[i] = i << 12 | PTE;
	pd[0] = (uint32_t)(uintptr_t)pt0 | PTE;
	for (uint32_t i = 1; i < 256; i++)
		pd[i] = i << 22 | PDE_4M;
	__asm__ volatile("mov %0, %%cr3" : : "r"(pd) : "memory");
	wr_cr4(rd_cr4() | CR4_PSE);
	wr_cr0(rd_cr0() | CR0_PG);
}

/* CR2 is the guest's: nothing but a #PF or a MOV to CR2 changes it. */
static void check_cr2(unsigned stops)
{
	static const char *const name[3] = {"cr2-kept", "cr2-kept-after-1-stop",
					    "cr2-kept-after-2-stops"};
	uint32_t v = 0x12345000u + stops, cr2;

	__asm__ volatile("mov %0, %%cr2" : : "r"(v));
	dr0_writes(stops);
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	pc_check(cr2 == v, name[stops], "CR2 0x%x, want 0x%x", cr2, v);
}

void test_main(void)
{
	static const unsigned vecs[] = {0, 6, 8, 13, 14};

	for (unsigned i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		pc_set_handler(vecs[i], catcher);
	paging_on();
	for (unsigned stops = 0; stops <= 2; stops++) {
		check_cr2(stops);
		for (enum kind k = 0; k < KINDS; k++)
			check(k, stops);
	}
}
