/*
 * crlong: the #GP(0) cases of control-register and EFER writes that only
 * exist in IA-32e mode (SDM Vol. 2B MOV—Move to/from Control Registers,
 * 64-Bit Mode Exceptions; Vol. 3A 4.1.2, 4.10.1, 10.8.5):
 *  - in compatibility mode: changing CR4.LA57, clearing CR4.PAE, setting
 *    CR4.PCIDE with CR3[11:0] != 0, clearing CR0.PG with CR4.PCIDE=1,
 *    clearing EFER.LME with paging on;
 *  - in 64-bit mode: clearing CR0.PG, CR0 bits 63:32, CR3 bit 63 without
 *    PCIDE and CR3 bits above MAXPHYADDR, CR8 bits 63:4.
 * The kernel enters IA-32e mode from 32-bit protected mode (identity map
 * of 4 GiB in 2 MiB pages, a 64-bit IDT whose handlers are 64-bit code),
 * runs in compatibility mode with its 32-bit code, calls a 64-bit routine
 * for the 64-bit-mode cases, and leaves again (Vol. 3A 10.8.5.4).
 *
 * A check passes when the CPU does what its own CPUID says: with CPUID
 * lacking LA57 or PCID, the bit is reserved and the write faults anyway.
 * QEMU 7.2's TCG hangs on a MOV to CR4 that raises #GP (see crmsr.c), and
 * on the 64-bit-mode MOV to CR0/CR3/CR8 cases alike: under it those writes
 * are not tried (DEVIATION); entering and leaving IA-32e mode still are.
 */
#include "pc.h"

#define NOFAULT PC_NOFAULT
#define CR0_PG	  (1u << 31)
#define CR4_PAE	  (1u << 5)
#define CR4_LA57  (1u << 12)
#define CR4_PCIDE (1u << 17)
#define EFER	  0xc0000080u
#define EFER_LME  (1ull << 8)
#define SEL_CODE32 0x08
#define SEL_CODE64 0x18

volatile uint32_t lm64_result[5];
void lm_isr_gp(void), lm_isr_ud(void), lm_isr_other(void), lm64_tests(void);

/* The 64-bit half: exception handlers (the frame of Vol. 3A 6.14.2; all
 * registers kept) and the 64-bit-mode cases, entered by a far call from
 * compatibility mode. */
__asm__(".text\n"
	".code64\n"
	/* Symbols are reached through a register loaded with an imm32 (zero-
	 * extended): a 32-bit object cannot hold 64-bit code's absolute
	 * sign-extended address relocations. */
	"lm_isr_gp:\n\t"
	"pushq %rax\n\t"
	"pushq %rdx\n\t"
	"movl $13, %eax\n\t"
	"jmp 1f\n"
	"lm_isr_ud:\n\t"
	"pushq $0\n\t"
	"pushq %rax\n\t"
	"pushq %rdx\n\t"
	"movl $6, %eax\n"
	"1:\tmovl $pc_caught, %edx\n\t"
	"movl %eax, (%rdx)\n\t"
	"movl $pc_resume, %edx\n\t"
	"movl (%rdx), %eax\n\t"
	"movq %rax, 24(%rsp)\n\t" /* RIP, above RDX, RAX and the error code */
	"popq %rdx\n\t"
	"popq %rax\n\t"
	"addq $8, %rsp\n\t"
	"iretq\n"
	"lm_isr_other:\n\t"
	"movw $0xf4, %dx\n\t" /* isa-debug-exit: status 3 */
	"movl $1, %eax\n\t"
	"outl %eax, %dx\n\t"
	"hlt\n"
	/* Each case: the vector into lm64_result[i], or NOFAULT. */
	".macro lm64_try insn, i\n\t"
	"movl $pc_caught, %edx\n\t"
	"movl $0xff, (%rdx)\n\t"
	"movl $pc_resume, %edx\n\t"
	"movl $2f, (%rdx)\n\t"
	"\\insn\n"
	"2:\tmovl $pc_caught, %edx\n\t"
	"movl (%rdx), %eax\n\t"
	"movl $lm64_result + 4 * \\i, %edx\n\t"
	"movl %eax, (%rdx)\n"
	".endm\n"
	"lm64_tests:\n\t"
	"pushq %rax\n\t"
	"pushq %rcx\n\t"
	"pushq %rdx\n\t"
	"movq %cr0, %rcx\n\t"
	"btrq $31, %rcx\n\t"
	"lm64_try \"movq %rcx, %cr0\", 0\n\t" /* PG cleared in 64-bit mode */
	"movq %cr0, %rcx\n\t"
	"btsq $32, %rcx\n\t"
	"lm64_try \"movq %rcx, %cr0\", 1\n\t" /* CR0 bit 32 */
	"movq %cr3, %rcx\n\t"
	"btsq $63, %rcx\n\t"
	"lm64_try \"movq %rcx, %cr3\", 2\n\t" /* CR3 bit 63, PCIDE=0 */
	"movq %cr3, %rcx\n\t"
	"btsq $52, %rcx\n\t"
	"lm64_try \"movq %rcx, %cr3\", 3\n\t" /* above any MAXPHYADDR */
	"movl $0x10, %ecx\n\t"
	"lm64_try \"movq %rcx, %cr8\", 4\n\t" /* CR8 bits 63:4 */
	"popq %rdx\n\t"
	"popq %rcx\n\t"
	"popq %rax\n\t"
	"lretl\n"
	".code32\n");

/* Identity map of 4 GiB: PML4 -> PDPT -> 4 PDs of 2 MiB pages. */
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));

struct gate64 {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));
static struct gate64 idt64[32] __attribute__((aligned(16)));
static const uint64_t gdt[] __attribute__((aligned(8))) = {
	0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull, 0x00af9a000000ffffull /* L=1 */
};
struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

static void set_gate(unsigned v, void (*h)(void))
{
	uint32_t a = (uint32_t)(uintptr_t)h;

	idt64[v] = (struct gate64){ (uint16_t)a, SEL_CODE64, 0, 0x8e, (uint16_t)(a >> 16), 0, 0 };
}

#define NOT_TRIED "not tried: QEMU 7.2's TCG hangs on a MOV to CR4 that raises #GP"

static struct dtr legacy_idt, legacy_gdt;
static uint32_t cr0_legacy, cr4_legacy;

static void enter_ia32e(void)
{
	struct dtr g = { sizeof(gdt) - 1, (uint32_t)(uintptr_t)gdt };
	struct dtr i = { sizeof(idt64) - 1, (uint32_t)(uintptr_t)idt64 };

	for (unsigned t = 0; t < 4; t++) {
		pdpt[t] = (uint32_t)(uintptr_t)pd[t] | 3;
		for (unsigned e = 0; e < 512; e++)
			pd[t][e] = ((uint64_t)t << 30) + ((uint64_t)e << 21) + 0x83; /* P, RW, PS */
	}
	pml4[0] = (uint32_t)(uintptr_t)pdpt | 3;
	for (unsigned v = 0; v < 32; v++)
		set_gate(v, lm_isr_other);
	set_gate(6, lm_isr_ud);
	set_gate(13, lm_isr_gp);
	cli();
	__asm__ volatile("sgdt %0; sidt %1" : "=m"(legacy_gdt), "=m"(legacy_idt));
	__asm__ volatile("lgdt %0; lidt %1" : : "m"(g), "m"(i) : "memory");
	cr0_legacy = rd_cr0();
	cr4_legacy = rd_cr4();
	wr_cr4(cr4_legacy | CR4_PAE);
	wr_cr3((uint32_t)(uintptr_t)pml4);
	wrmsr(EFER, rdmsr(EFER) | EFER_LME);
	wr_cr0(cr0_legacy | CR0_PG); /* IA-32e mode, compatibility mode (CS.L=0) */
}

static void leave_ia32e(void)
{
	wr_cr0(cr0_legacy); /* allowed in compatibility mode: LMA := 0 */
	wrmsr(EFER, rdmsr(EFER) & ~EFER_LME);
	wr_cr4(cr4_legacy);
	__asm__ volatile("lgdt %0; lidt %1" : : "m"(legacy_gdt), "m"(legacy_idt) : "memory");
}

static void check_compat(bool tcg)
{
	uint32_t cr4 = rd_cr4(), cr3 = (uint32_t)(uintptr_t)pml4;
	unsigned v;

	pc_check(rdmsr(EFER) & (1u << 10), "ia32e-active", "EFER %llx", rdmsr(EFER));
	if (tcg) {
		pc_deviation("cr4-la57-change-in-ia32e-gp", NOT_TRIED);
		pc_deviation("cr4-pae-clear-in-ia32e-gp", NOT_TRIED);
		pc_deviation("cr4-pcide-with-cr3-low-bits-gp", NOT_TRIED);
	} else {
		v = wr_cr4(cr4 ^ CR4_LA57);
		pc_check(v == 13 && rd_cr4() == cr4, "cr4-la57-change-in-ia32e-gp",
			 "vector %x, CR4 %x", v, rd_cr4());
		v = wr_cr4(cr4 & ~CR4_PAE);
		pc_check(v == 13 && rd_cr4() == cr4, "cr4-pae-clear-in-ia32e-gp", "vector %x", v);
		wr_cr3(cr3 | 0x8); /* PWT: CR3[11:0] != 0 */
		v = wr_cr4(cr4 | CR4_PCIDE);
		wr_cr3(cr3);
		pc_check(v == 13 && !(rd_cr4() & CR4_PCIDE), "cr4-pcide-with-cr3-low-bits-gp",
			 "vector %x", v);
	}
	/* PCIDE with CR3[11:0] = 0 is allowed (with PCID); then PG may not
	 * be cleared (Vol. 2B MOV CR). */
	if (pc_cpuid_has(1, PC_ECX, 17)) {
		v = wr_cr4(cr4 | CR4_PCIDE);
		pc_check(v == NOFAULT, "cr4-pcide-in-ia32e-allowed", "vector %x", v);
		v = wr_cr0(cr0_legacy);
		pc_check(v == 13 && (rd_cr0() & CR0_PG), "cr0-pg-clear-with-pcide-gp", "vector %x",
			 v);
		wr_cr4(cr4);
	} else {
		pc_skip("cr4-pcide-in-ia32e-allowed", "CPUID.1:ECX.PCID[17]");
		pc_skip("cr0-pg-clear-with-pcide-gp", "CPUID.1:ECX.PCID[17]");
	}
	v = try_wrmsr(EFER, rdmsr(EFER) & ~EFER_LME);
	if (v == NOFAULT && tcg)
		pc_deviation("efer-lme-clear-in-ia32e-gp",
			     "QEMU's TCG takes a WRMSR clearing EFER.LME with paging on, without "
			     "#GP");
	else
		pc_check(v == 13 && (rdmsr(EFER) & EFER_LME), "efer-lme-clear-in-ia32e-gp",
			 "vector %x", v);
}

static void check_64bit(bool tcg)
{
	static const char *const names[] = {
		"cr0-pg-clear-in-64bit-mode-gp", "cr0-bits-63-32-gp", "cr3-bit63-without-pcide-gp",
		"cr3-above-maxphyaddr-gp", "cr8-bits-63-4-gp",
	};
	struct {
		uint32_t off;
		uint16_t sel;
	} __attribute__((packed)) target = { (uint32_t)(uintptr_t)lm64_tests, SEL_CODE64 };

	if (tcg) {
		/* Its helper_write_crN hangs on these as on CR4's (-d int logs no
		 * exception). */
		for (unsigned i = 0; i < 5; i++)
			pc_deviation(names[i], "not tried: QEMU 7.2's TCG hangs on a MOV to a "
					       "control register that raises #GP");
		return;
	}
	__asm__ volatile("lcall *%0" : : "m"(target) : "memory", "eax");
	for (unsigned i = 0; i < 5; i++)
		pc_check(lm64_result[i] == 13, names[i], "vector %x", lm64_result[i]);
}

void test_main(void)
{
	bool tcg = pc_qemu_tcg();

	if (!pc_cpuid_has(0x80000001, PC_EDX, 29)) {
		pc_skip("ia32e", "CPUID.80000001H:EDX.LM[29]");
		return;
	}
	enter_ia32e();
	check_compat(tcg);
	check_64bit(tcg);
	leave_ia32e();
	pc_check(!(rdmsr(EFER) & (1u << 10)) && !(rd_cr0() & CR0_PG), "ia32e-left", "EFER %llx",
		 rdmsr(EFER));
}
