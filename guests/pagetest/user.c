/*
 * pagetest's CPL3 programs (see user.h for the rules they follow). Each
 * ends with SYS_EXIT; a nonzero status names the check that failed.
 */
#include "user.h"

#define UTEXT __attribute__((section(".utext"), noinline))

static inline __attribute__((always_inline)) uintptr_t sys(uintptr_t nr, uintptr_t arg)
{
	uintptr_t r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "d"(arg) : "memory");
	return r;
}

#ifdef __x86_64__
static inline __attribute__((always_inline)) uintptr_t sys_fast(uintptr_t nr, uintptr_t arg)
{
	uintptr_t r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "d"(arg) : "rcx", "r11", "memory");
	return r;
}
#endif

static inline __attribute__((always_inline)) __attribute__((noreturn)) void exit_(uintptr_t s)
{
	sys(SYS_EXIT, s);
	__builtin_unreachable();
}

/* Touch the demand region: page i at offset 4 + 8 * i, a write on even i
 * and a read on odd i (each the first touch of its page), then re-read the
 * writes and call into the exec region (mapped on the fetch). */
UTEXT void u_demand(void)
{
	uintptr_t bad = 0;

	for (unsigned i = 0; i < 8; i++) {
		volatile uint32_t *p =
		    (volatile uint32_t *)(uintptr_t)(USER_DEMAND + i * 4096u + 4 + 8 * i);
		if (i % 2 == 0)
			*p = (i + 1) * 0x01010101u;
		else if (*p != 0)
			bad |= 1; /* fresh pages read as zero */
	}
	for (unsigned i = 0; i < 8; i += 2) {
		volatile uint32_t *p =
		    (volatile uint32_t *)(uintptr_t)(USER_DEMAND + i * 4096u + 4 + 8 * i);
		if (*p != (i + 1) * 0x01010101u)
			bad |= 2;
	}
	int (*f)(void) = (int (*)(void))(uintptr_t)(USER_EXEC + USER_EXEC_ENTRY);
	if (f() != USER_EXEC_RESULT)
		bad |= 4;
	exit_(bad);
}

/* Several copies run at once: each keeps its own value at USER_DEMAND
 * across CR3 switches. */
UTEXT void u_private(void)
{
	uintptr_t pid = sys(SYS_GETPID, 0), bad = 0;
	volatile uintptr_t *x = (volatile uintptr_t *)USER_DEMAND;

	for (uintptr_t round = 0; round < 4; round++) {
		if (round && *x != pid * 100 + round - 1)
			bad |= 1u << round;
		*x = pid * 100 + round;
		sys(SYS_YIELD, 0);
	}
	exit_(bad);
}

/* Read a supervisor page: the kernel expects the #PF and ends us. */
UTEXT void u_kread(void)
{
	(void)*(volatile uint32_t *)(uintptr_t)(0x100000u + 0x40);
	exit_(1);
}

/* SYS_GETARG pages touched (written) in the storm window, which is
 * unmapped each time it is full: one demand fault per touch. */
UTEXT void u_storm(void)
{
	uintptr_t n = sys(SYS_GETARG, 0);

	for (uintptr_t i = 0; i < n; i++) {
		uintptr_t slot = i % USER_STORM_PAGES;
		*(volatile uintptr_t *)(USER_STORM + slot * 4096u + 0x10) = i;
		if (slot == USER_STORM_PAGES - 1 || i == n - 1)
			sys(SYS_STORM_UNMAP, 0);
	}
	exit_(0);
}

/* Spin at CPL3 with interrupts on until the tick count reaches the
 * argument. */
UTEXT void u_ticks(void)
{
	uintptr_t target = sys(SYS_GETARG, 0);

	while (sys(SYS_TICKS, 0) < target)
		for (volatile unsigned k = 0; k < 2000; k++)
			__asm__ volatile("pause");
	exit_(0);
}

/* int 0x80 and SYSCALL give the same answer. */
UTEXT void u_syscall(void)
{
#ifdef __x86_64__
	uintptr_t a = sys(SYS_GETPID, 0), b = sys_fast(SYS_GETPID, 0);
	uintptr_t c = sys_fast(SYS_GETARG, 0);
	exit_((a != b) | (c != 0x5a5a) << 1);
#else
	exit_(1);
#endif
}

/* int 0x80 and SYSENTER give the same answer. SYSENTER takes the return
 * EIP in EDX and ESP in ECX (SDM Vol. 2B SYSEXIT); the code runs at
 * USER_CODE, not where it was linked, so EIP comes from call/pop. */
UTEXT void u_sysenter(void)
{
#ifndef __x86_64__
	uintptr_t a = sys(SYS_GETPID, 0), b, c;

	__asm__ volatile("call 1f\n1:\tpop %%edx\n\tadd $(2f - 1b), %%edx\n\t"
			 "mov %%esp, %%ecx\n\tsysenter\n2:"
			 : "=a"(b)
			 : "a"(SYS_GETPID)
			 : "ecx", "edx", "memory", "cc");
	__asm__ volatile("call 1f\n1:\tpop %%edx\n\tadd $(2f - 1b), %%edx\n\t"
			 "mov %%esp, %%ecx\n\tsysenter\n2:"
			 : "=a"(c)
			 : "a"(SYS_GETARG)
			 : "ecx", "edx", "memory", "cc");
	exit_((a != b) | (c != 0x5a5a) << 1);
#else
	exit_(1);
#endif
}

UTEXT void u_noop(void)
{
	exit_(sys(SYS_GETARG, 0));
}
