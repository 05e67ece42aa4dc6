/*
 * Descriptor tables for pagetest: GDT with kernel and user segments and a
 * TSS, an IDT of interrupt gates to the stubs in entry*.S (vector 0x80 is
 * callable from CPL3), and SYSCALL set-up in 64-bit mode.
 *
 * Layouts: SDM Vol. 3A 3.4.5 (segment descriptors), 6.11 (32-bit IDT
 * gates), 6.14.1 (64-bit gates), 7.2.1 (32-bit TSS), 8.7 (64-bit TSS).
 */
#include "arch.h"

#include "../common/lib.h"

#define GATE_INT  0x8E /* present, DPL 0, interrupt gate (32- or 64-bit) */
#define GATE_USER 0x60 /* DPL 3 */
#define TSS_AVAIL 0x89 /* present, available TSS */
#define IST_DF	  1    /* #DF runs on its own stack (64-bit) */

#define KSTACK_SIZE 16384
static uint8_t kstack[KSTACK_SIZE] __attribute__((aligned(16)));
#ifdef __x86_64__
static uint8_t dfstack[4096] __attribute__((aligned(16))); /* IST1: #DF */
#endif
uintptr_t kstack_top;

#ifdef __x86_64__
struct __attribute__((packed)) tss {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3, iomap;
};
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS is 104 bytes");
struct gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, rsvd;
};
_Static_assert(sizeof(struct gate) == 16, "64-bit gate is 16 bytes");
static uint64_t gdt[8] = {
    0,
    0x00AF9A000000FFFFull, /* 0x08 kernel code, L=1 */
    0x00CF92000000FFFFull, /* 0x10 kernel data */
    0x00CFFA000000FFFFull, /* 0x18 user code 32 (SYSRET base) */
    0x00CFF2000000FFFFull, /* 0x20 user data */
    0x00AFFA000000FFFFull, /* 0x28 user code, L=1 */
    0,
    0, /* 0x30 TSS (16 bytes) */
};
#else
struct __attribute__((packed)) tss {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap;
};
_Static_assert(sizeof(struct tss) == 104, "32-bit TSS is 104 bytes");
struct gate {
	uint16_t off0, sel;
	uint8_t zero, type;
	uint16_t off1;
};
_Static_assert(sizeof(struct gate) == 8, "32-bit gate is 8 bytes");
static uint64_t gdt[6] = {
    0,
    0x00CF9A000000FFFFull, /* 0x08 kernel code */
    0x00CF92000000FFFFull, /* 0x10 kernel data */
    0x00CFFA000000FFFFull, /* 0x18 user code */
    0x00CFF2000000FFFFull, /* 0x20 user data */
    0,			   /* 0x28 TSS */
};
#endif

static struct tss tss __attribute__((aligned(16)));
static struct gate idt[256] __attribute__((aligned(16)));

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uintptr_t base;
};

static void set_gate(unsigned v, unsigned dpl_bits, unsigned ist)
{
	uintptr_t a = (uintptr_t)isr_base + 16 * v;
	struct gate *g = &idt[v];

	g->off0 = (uint16_t)a;
	g->sel = SEL_KCODE;
	g->type = (uint8_t)(GATE_INT | dpl_bits);
	g->off1 = (uint16_t)(a >> 16);
#ifdef __x86_64__
	g->ist = (uint8_t)ist;
	g->off2 = (uint32_t)(a >> 32);
	g->rsvd = 0;
#else
	g->zero = 0;
#endif
}

void arch_init(void)
{
	uintptr_t t = (uintptr_t)&tss;
	uint64_t lim = sizeof(tss) - 1;
	unsigned tss_idx = SEL_TSS / 8;
	struct dtr gd = {sizeof(gdt) - 1, (uintptr_t)gdt};
	struct dtr id = {sizeof(idt) - 1, (uintptr_t)idt};

	kstack_top = (uintptr_t)kstack + KSTACK_SIZE;
	memset(&tss, 0, sizeof(tss));
	tss.iomap = sizeof(tss); /* no I/O bitmap: CPL3 port access faults */
#ifdef __x86_64__
	tss.rsp[0] = kstack_top;
	tss.ist[IST_DF - 1] = (uintptr_t)dfstack + sizeof(dfstack);
#else
	tss.esp0 = kstack_top;
	tss.ss0 = SEL_KDATA;
#endif
	/* System-segment descriptor: limit 15:0, base 23:0, type, limit 19:16,
	 * base 31:24 (and base 63:32 in the next slot in 64-bit mode). */
	gdt[tss_idx] = (lim & 0xFFFF) | ((uint64_t)(t & 0xFFFFFF) << 16) |
		       ((uint64_t)TSS_AVAIL << 40) | ((lim >> 16 & 0xF) << 48) |
		       ((uint64_t)(t >> 24 & 0xFF) << 56);
#ifdef __x86_64__
	gdt[tss_idx + 1] = (uint64_t)t >> 32;
#endif
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, 0, v == 8 ? IST_DF : 0);
	set_gate(0x80, GATE_USER, 0);

	__asm__ volatile("lgdt %0" : : "m"(gd));
#ifdef __x86_64__
	__asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
			 :
			 : "i"(SEL_KCODE)
			 : "rax", "memory");
#else
	__asm__ volatile("ljmp %0, $1f; 1:" : : "i"(SEL_KCODE) : "memory");
#endif
	/* Data segments: the DPL-3 flat one, usable at every CPL, so an IRET
	 * to CPL3 keeps them (SDM Vol. 2A IRET clears DS/ES with DPL < CPL). */
	__asm__ volatile("mov %0, %%ss" : : "r"((uint16_t)SEL_KDATA));
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs; mov %0, %%gs"
			 :
			 : "r"((uint16_t)SEL_UDATA));
	__asm__ volatile("ltr %0" : : "r"((uint16_t)SEL_TSS));
	__asm__ volatile("lidt %0" : : "m"(id));
}

void arch_load_empty_idt(void)
{
	struct dtr id = {0, 0};

	__asm__ volatile("lidt %0" : : "m"(id));
}

void arch_set_syscall(bool on)
{
#ifdef __x86_64__
	uint64_t efer = rdmsr(MSR_EFER);

	if (!on) {
		wrmsr(MSR_EFER, efer & ~EFER_SCE);
		return;
	}
	/* STAR[47:32]: SYSCALL CS (SS = +8); STAR[63:48]: SYSRET base. */
	wrmsr(MSR_STAR, (0x18ull << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, FL_IF | FL_AC | (1u << 10) /* DF */ | (1u << 8) /* TF */);
	wrmsr(MSR_EFER, efer | EFER_SCE);
#else
	(void)on;
#endif
}

void arch_set_sysenter(void)
{
	/* SYSEXIT returns to CS = SYSENTER_CS + 16 and SS = + 24 (RPL 3):
	 * 0x1B and 0x23 in the 32-bit GDT above. */
	wrmsr(MSR_SYSENTER_CS, SEL_KCODE);
	wrmsr(MSR_SYSENTER_ESP, kstack_top);
	wrmsr(MSR_SYSENTER_EIP, (uintptr_t)sysenter_entry);
}
