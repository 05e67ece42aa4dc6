/*
 * The MSRs of the CPU model that QEMU 5's TCG does not keep as the model
 * says (msr_model.c): MTRRs, PAT, MISC_ENABLE, FEATURE_CONTROL,
 * PLATFORM_ID/INFO, the microcode signature, the machine-check
 * registers and TSC_AUX. Plain data and pure functions (unit-tested
 * without Unicorn); msr.c calls them from its RDMSR/WRMSR hooks.
 */
#ifndef TDPSIM_CPU_MSR_MODEL_H
#define TDPSIM_CPU_MSR_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86.h"
#include "timing/config.h"

#define CPU_MTRR_VAR   8  /* variable ranges (IA32_MTRRCAP.VCNT) */
#define CPU_MTRR_FIXED 11 /* fixed-range MSRs */
#define CPU_MC_BANKS   10 /* machine-check banks (IA32_MCG_CAP.Count), as QEMU's */

struct cpu_msr_model {
	const struct tm_config *cfg;
	uint64_t mtrr_def, mtrr_var[2 * CPU_MTRR_VAR], mtrr_fixed[CPU_MTRR_FIXED];
	uint64_t pat, misc_enable, feature_control, ucode_sign, tsc_aux;
	uint64_t mcg_status, mcg_ctl, mc[4 * CPU_MC_BANKS];
};

/* The state a PC's firmware leaves (reset values, then what SeaBIOS
 * programs: MTRRs on, write-back RAM, the legacy video window and the PCI
 * hole uncacheable). */
void cpu_msr_model_reset(struct cpu_msr_model *m, const struct tm_config *cfg);

/* Which MSRs QEMU keeps itself, exactly as the model wants them (EFER,
 * the SYSCALL/SYSENTER MSRs, FS/GS bases): RDMSR/WRMSR of these run
 * natively. */
bool cpu_msr_native(const struct tm_config *cfg, uint32_t msr);

/* RDMSR/WRMSR of a model MSR: 0, -EPERM (#GP(0): reserved bits, a value
 * the MSR does not take, a read-only or locked MSR), or -ENOENT (not the
 * model's: native, a device's, or an MSR the model does not have). */
int cpu_msr_model_read(const struct cpu_msr_model *m, uint32_t msr, uint64_t *v);
int cpu_msr_model_write(struct cpu_msr_model *m, uint32_t msr, uint64_t v);

#endif
