/*
 * Which writes of CR0/CR3/CR4/CR8 and IA32_EFER raise #GP(0), from the
 * current state and the CPU model (crcheck.c cites the manual per rule).
 * Pure functions: the unit test (tests/test_crcheck.c) calls them directly.
 */
#ifndef TDPSIM_CPU_CRCHECK_H
#define TDPSIM_CPU_CRCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86.h"
#include "timing/config.h"

/* The register written: a control register by number, or IA32_EFER. */
enum { CPU_CR0 = 0, CPU_CR3 = 3, CPU_CR4 = 4, CPU_CR8 = 8, CPU_EFER = 0x80 };

/* The state a write is judged against. */
struct cpu_cr_state {
	uint64_t cr0, cr3, cr4, efer;
	bool cs64;      /* 64-bit mode (EFER.LMA and CS.L) */
	bool nx_hidden; /* IA32_MISC_ENABLE.XD_DISABLE */
};

/* 0 if writing @v to @reg is allowed; -EPERM (#GP(0)) with the rule that
 * forbids it in *@why (static text) otherwise. */
int cpu_cr_check(const struct tm_config *cfg, const struct cpu_cr_state *s, int reg, uint64_t v,
		 const char **why);

/* CR4 bits reserved for this CPU model; EFER bits it allows. */
uint64_t cpu_cr4_reserved(const struct tm_config *cfg);
uint64_t cpu_efer_allowed(const struct tm_config *cfg, bool nx_hidden);

#endif
