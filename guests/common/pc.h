/*
 * The runtime of the platform test kernels (guests/pc/, one file each): a
 * 32-bit protected-mode kernel with paging off, entered through Multiboot
 * (pc32.S), with an IDT of 256 stubs, a check-and-report convention, and
 * the PC interfaces the kernels share: MMIO, CMOS, the 8259 pair, and QEMU's
 * fw_cfg (the CPU count, as QEMU's own test kernels read it).
 *
 * Report convention (the same as pagetest's): every check prints
 * "PASS name" or "FAIL name: detail", a SKIP line names a CPUID bit the
 * CPU lacks, then "SUMMARY n passed, m failed" and isa-debug-exit with 0
 * (all passed; the emulator exits with status 1) or 1 (status 3). Nothing
 * printed may depend on timing or on the emulator, so that QEMU and tdpsim
 * print the same bytes.
 */
#ifndef GUEST_PC_H
#define GUEST_PC_H

#include "lib.h"

/* What pc32.S's stubs and isr_common push (pusha order, then vector and
 * error code, then the CPU's frame). */
struct pc_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
	uint32_t vec, err;
	uint32_t eip, cs, eflags;
};

typedef void (*pc_handler)(struct pc_frame *f);

/* Each kernel defines this; pc_main calls it after set-up, then reports. */
void test_main(void);

/* Interrupt handlers (vectors 0-255); an exception without one is a FAIL
 * and the kernel exits. */
void pc_set_handler(unsigned vec, pc_handler h);

/* Checks. */
void pc_check(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pc_skip(const char *name, const char *why);
/* The emulator does what a known QEMU deviation from the manual does:
 * "DEVIATION name: why", counted as passed (the check itself follows the
 * manual; see the kernel's comment). */
void pc_deviation(const char *name, const char *why);
__attribute__((noreturn)) void pc_done(void);
/* Print SUMMARY; true when every check passed (pc_done then exits). */
bool pc_summary(void);

/* MMIO (paging is off: physical = linear). */
static inline uint32_t mmio_read32(uint32_t pa)
{
	return *(volatile uint32_t *)(uintptr_t)pa;
}
static inline void mmio_write32(uint32_t pa, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)pa = v;
}
static inline uint8_t mmio_read8(uint32_t pa)
{
	return *(volatile uint8_t *)(uintptr_t)pa;
}
static inline void mmio_write8(uint32_t pa, uint8_t v)
{
	*(volatile uint8_t *)(uintptr_t)pa = v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}
static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}
/* STI's one-instruction shadow covers HLT: no wake-up is lost between. */
static inline void sti_hlt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

/* Let pending interrupts in: STI's shadow covers one instruction, so a
 * NOP follows it before CLI. */
static inline void irq_window(void)
{
	__asm__ volatile("sti; nop; cli" ::: "memory");
}

/* Wait, halted with interrupts on, until *@count reaches @want or @max
 * wake-ups pass; interrupts are off again on return. */
bool pc_wait(volatile unsigned *count, unsigned want, unsigned max);

/*
 * Provoked faults: PC_TRY runs one instruction (asm text @insn, then its
 * input operands) with pc_catch() installed for the vectors the kernel
 * provokes; the handler notes the vector in pc_caught and resumes after
 * the instruction. The value is the vector, or PC_NOFAULT.
 */
#define PC_NOFAULT 0xffu
extern volatile uint32_t pc_resume, pc_caught;
void pc_catch(struct pc_frame *f);
#define PC_TRY(insn, ...)                                                                          \
	({                                                                                         \
		pc_caught = PC_NOFAULT;                                                            \
		__asm__ volatile("movl $1f, %[r]\n\t" insn "\n1:"                                 \
				 : [r] "=m"(pc_resume)                                             \
				 : __VA_ARGS__                                                     \
				 : "memory");                                                      \
		pc_caught;                                                                         \
	})

static inline uint32_t rd_cr0(void)
{
	uint32_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}
static inline uint32_t rd_cr4(void)
{
	uint32_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
/* MOV to CR0/CR3/CR4 and WRMSR that may fault: the vector, or PC_NOFAULT. */
static inline unsigned wr_cr0(uint32_t v)
{
	return PC_TRY("mov %[v], %%cr0", [v] "r"(v));
}
static inline unsigned wr_cr3(uint32_t v)
{
	return PC_TRY("mov %[v], %%cr3", [v] "r"(v));
}
static inline unsigned wr_cr4(uint32_t v)
{
	return PC_TRY("mov %[v], %%cr4", [v] "r"(v));
}
static inline unsigned try_wrmsr(uint32_t msr, uint64_t v)
{
	return PC_TRY("wrmsr", "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* CPUID.@leaf:@reg[@bit] (reg 0-3: EAX-EDX), false above the maximum leaf
 * of its range. */
enum { PC_EAX, PC_EBX, PC_ECX, PC_EDX };
bool pc_cpuid_has(uint32_t leaf, unsigned reg, unsigned bit);
/* CPUID names QEMU's TCG ("TCGTCGTCGTCG" at 40000000H with the hypervisor
 * bit): for checks QEMU 7.2 cannot survive. tdpsim reports no hypervisor. */
bool pc_qemu_tcg(void);

/* CMOS (the RTC's index port 0x70 keeps NMI enabled: bit 7 clear). */
uint8_t cmos_read(uint8_t idx);
void cmos_write(uint8_t idx, uint8_t v);

/* The 8259 pair: vectors 0x20-0x2F, every line masked (pc_main does it
 * before test_main: firmware leaves the master at vector 8); unmask one. */
void pic_init(void);
void pic_unmask(unsigned irq);
void pic_eoi(unsigned irq);

/* QEMU's fw_cfg, traditional I/O interface (docs/specs/fw_cfg.rst):
 * selector 0x510 (16-bit), data 0x511 (8-bit). */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID	 0x01
#define FW_CFG_RAM_SIZE	 0x03
#define FW_CFG_NB_CPUS	 0x05
#define FW_CFG_MAX_CPUS	 0x0f
#define FW_CFG_FILE_DIR	 0x19
void fwcfg_read(uint16_t key, void *buf, uint32_t len);
uint64_t fwcfg_u64(uint16_t key); /* little-endian items */
/* The selector of file @name and its size, or 0. */
uint16_t fwcfg_find(const char *name, uint32_t *size);

/* The CPU count from fw_cfg (NB_CPUS), as QEMU's test kernels read it;
 * the Multiboot information the loader passed (NULL if none). */
extern unsigned pc_ncpus;
extern const struct mb_info *pc_mbi;

#endif
