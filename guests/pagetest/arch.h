/*
 * The CPU-facing layer of pagetest, one source for the 32-bit kernel
 * (2-level, PAE) and the 64-bit one (4-, 5-level): the trap frame the entry
 * stubs build, descriptor tables (GDT, IDT, TSS), control registers, MSRs
 * and the TLB instructions.
 */
#ifndef PAGETEST_ARCH_H
#define PAGETEST_ARCH_H

#include <stdbool.h>
#include <stdint.h>

/* Selectors: GDT layout in arch.c. The 64-bit layout puts a 32-bit user
 * code slot at 0x18 so that SYSRET (STAR[63:48] = 0x18) finds user SS at
 * 0x20 and 64-bit user CS at 0x28 (SDM Vol. 2B SYSRET). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x20 | 3)
#ifdef __x86_64__
#define SEL_UCODE (0x28 | 3)
#define SEL_TSS	  0x30
#else
#define SEL_UCODE (0x18 | 3)
#define SEL_TSS	  0x28
#endif

/* The frame the entry stubs (entry32.S / entry64.S) build, lowest address
 * first: saved registers, vector, error code (0 when the CPU pushes none),
 * then what the CPU pushed. sp/ss are valid only for a privilege change in
 * 32-bit mode (always in 64-bit mode). */
struct frame {
#ifdef __x86_64__
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t di, si, bp, dx, cx, bx, ax;
#else
	uint32_t di, si, bp, esp_unused, bx, dx, cx, ax;
#endif
	uintptr_t vector, err;
	uintptr_t ip, cs, flags, sp, ss;
};

/* Pseudo-vectors of frames built by the SYSCALL entry (returns by SYSRET)
 * and the SYSENTER entry (returns by SYSEXIT). */
#define VEC_SYSCALL  0x81
#define VEC_SYSENTER 0x82

/* EFLAGS bits (SDM Vol. 1 3.4.3). */
#define FL_IF (1u << 9)
#define FL_AC (1u << 18)

/* CR0 (SDM Vol. 3A 2.5). */
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
/* CR4 (SDM Vol. 3A 2.5). */
#define CR4_PSE	  (1u << 4)
#define CR4_PAE	  (1u << 5)
#define CR4_PGE	  (1u << 7)
#define CR4_LA57  (1u << 12)
#define CR4_PCIDE (1u << 17)
#define CR4_SMEP  (1u << 20)
#define CR4_SMAP  (1u << 21)
/* CR3 bit 63 with CR4.PCIDE: do not flush the new PCID (SDM 4.10.4.1). */
#define CR3_NOFLUSH (1ull << 63)

/* MSRs (SDM Vol. 4 Table 2-2) and EFER bits. */
#define MSR_SYSENTER_CS	 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_EFER	 0xC0000080u
#define MSR_STAR	 0xC0000081u
#define MSR_LSTAR	 0xC0000082u
#define MSR_FMASK	 0xC0000084u
#define EFER_SCE	 (1ull << 0)
#define EFER_NXE	 (1ull << 11)

/* #PF error code (SDM Vol. 3A 4.7). */
#define PF_P  (1u << 0)
#define PF_W  (1u << 1)
#define PF_U  (1u << 2)
#define PF_ID (1u << 4)

void arch_init(void);		/* GDT, TSS, IDT; loads them */
void arch_set_syscall(bool on); /* 64-bit: EFER.SCE, STAR, LSTAR, FMASK */
void arch_set_sysenter(void);	/* 32-bit: IA32_SYSENTER_CS/ESP/EIP */
void arch_load_empty_idt(void); /* for the triple-fault option */
extern uintptr_t kstack_top;	/* TSS RSP0/ESP0: CPL3 traps land here */

/* entry*.S */
extern char isr_base[]; /* 256 stubs, 16 bytes apart */
__attribute__((noreturn)) void frame_enter(struct frame *f);
void syscall_entry(void);
void sysenter_entry(void);
void trap(struct frame *f); /* pagetest.c */

static inline uintptr_t read_cr0(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}
static inline uintptr_t read_cr2(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline uintptr_t read_cr3(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline uintptr_t read_cr4(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
static inline void write_cr0(uintptr_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
static inline void write_cr3(uintptr_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
static inline void write_cr4(uintptr_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (uint64_t)hi << 32;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}
/* INVPCID (SDM Vol. 2A): descriptor = PCID in bits 11:0, address in 127:64. */
static inline void invpcid(uintptr_t type, uint64_t pcid, uint64_t addr)
{
	uint64_t desc[2] = {pcid, addr};
	__asm__ volatile("invpcid %0, %1" : : "m"(desc), "r"(type) : "memory");
}
static inline void stac(void)
{
	__asm__ volatile("stac" ::: "memory");
}
static inline void clac(void)
{
	__asm__ volatile("clac" ::: "memory");
}

#endif
