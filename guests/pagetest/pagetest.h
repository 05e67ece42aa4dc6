/*
 * pagetest: shared state of the kernel (one source for the 32-bit kernel
 * running 2-level and PAE paging and the 64-bit one running 4- and 5-level
 * paging). main.c sets paging up and runs the tests in order; trap.c takes
 * every exception, interrupt and system call; proc.c runs CPL3 processes.
 */
#ifndef PAGETEST_H
#define PAGETEST_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/lib.h"
#include "arch.h"
#include "pt.h"

/* Physical layout: the kernel images below 16 MiB, the frame pool in
 * [16, 32) MiB, all identity-mapped supervisor-only. */
#define IDENT_SIZE (32u << 20)
#define POOL_LO	   (16u << 20)
#define POOL_HI	   (32u << 20)

/* Kernel test addresses (supervisor mappings made by the tests). */
#define KTEST  0x60000000u
#define KBENCH 0x50000000u

/* What CPUID offers (SDM Vol. 2A CPUID). */
struct feat {
	bool pse, pae, pge, nx, smep, smap, pcid, invpcid, la57, syscall, lm, gbpages, sep;
};
extern struct feat feat;

/* The paging set-up in force. */
struct kstate {
	const char *mode;
	uintptr_t kroot; /* the kernel's own root table */
	bool large;	 /* identity map with large pages */
	bool nxe;	 /* EFER.NXE on */
	bool smep, smap; /* CR4 bits on (after their tests) */
	bool pcide;	 /* CR4.PCIDE on */
};
extern struct kstate ks;

/* Results. */
void t_pass(const char *name);
void t_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void t_skip(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern unsigned n_fail;

/* Probes: run fn(arg) at CPL0; a #PF inside it is caught. Returns true if
 * it faulted, with the fault in probe_cr2/probe_err. */
bool probe(void (*fn)(uintptr_t), uintptr_t arg);
extern uintptr_t probe_cr2, probe_err;
void p_read(uintptr_t a);
void p_write(uintptr_t a);
void p_call(uintptr_t a); /* call a stub that returns USER_EXEC_RESULT */
extern uintptr_t p_value; /* last p_read value / p_call result; p_write's value */

/* Write the code stub (mov $USER_EXEC_RESULT, %eax; ret) at @pa. */
void put_stub(uintptr_t pa);
/* The PTE flags of a data page: XD when NXE is on. */
uint64_t data_flags(void);

/* Timer (8259 + 8254). */
extern volatile uintptr_t ticks;
void pic_init(void); /* vectors 0x20/0x28, all masked */
void timer_start(unsigned divisor);
void timer_stop(void);

/* Processes (proc.c). */
#define MAX_PROCS 4
struct proc {
	uintptr_t root;
	unsigned pid;
	bool live, ran;
	uintptr_t status;
	uintptr_t arg;
	struct frame f;
};
/* Run @n processes running @entry each, with @arg, to completion; their
 * exit statuses in @status. pcid: use PCIDs and no-flush CR3 loads. */
int run_procs(unsigned n, void (*entry)(void), uintptr_t arg, bool pcid, uintptr_t *status);
void proc_trap(struct frame *f);		 /* CPL3 traps */
void proc_syscall(struct frame *f);		 /* int 0x80 / SYSCALL */
bool proc_fault(struct frame *f, uintptr_t cr2); /* demand paging */

/* Demand-fault log of the last run_procs (proc.c). */
struct flog {
	uintptr_t cr2, err;
};
#define FLOG_MAX 16
extern struct flog flog[FLOG_MAX];
extern unsigned flog_n;
extern uintptr_t storm_faults, storm_bad;
extern uintptr_t syscall_fast_count;		 /* SYSCALLs or SYSENTERs seen */
extern uintptr_t user_fault_cr2, user_fault_err; /* last fatal user fault */
extern bool user_fault_seen;

/* Test groups. */
void tests_mem(void);
void tests_proc(void);
void test_tdx(void);
void run_bench(uint64_t passes);
void run_mmio(uint64_t reads);

#endif
