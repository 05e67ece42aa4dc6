/*
 * AMD nested paging as a host dimension (APM Vol. 2 15.25). The nested
 * tables use the host's own paging format, chosen by the host's CR0/CR4/EFER
 * (legacy 2-level with hCR4.PSE, PAE, 4-level, 5-level), so the guest format
 * descriptors serve unchanged; only the rules differ (npt_rules): every
 * access is a user access, NX follows host EFER.NXE, and a failure is a
 * #NPF exit with EXITINFO1/EXITINFO2 instead of a #PF.
 */
#ifndef TDPSIM_NPT_NPT_H
#define TDPSIM_NPT_NPT_H

#include "npt_bits.h"
#include "paging/mmu.h"
#include "paging/walk.h"

extern const struct pg_rules npt_rules;

/*
 * Build @m for the nested tables at nCR3 (@host->cr3) in the format the host
 * registers select. A PAE host reads its PDPTEs on every walk. Invalid host
 * state is -EINVAL with a reason in *why.
 */
int npt_mmu_init(struct pg_mmu *m, const struct pg_regs *host, const struct pg_cpu *cpu,
		 const char **why);

#endif
