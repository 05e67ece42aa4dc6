/*
 * The #GP(0) rules of MOV to CR0/CR3/CR4/CR8 and WRMSR to IA32_EFER, in
 * one place (crcheck.h). QEMU 5's TCG, which runs these instructions,
 * checks none of them: tdpsim checks before the instruction runs (a code
 * hook on each such instruction, crmov.c and msr.c) and raises #GP(0)
 * instead of letting it run.
 *
 * Sources, every rule below cites one:
 *  - SDM Vol. 2B, MOV—Move to/from Control Registers, "Protected Mode
 *    Exceptions" and "64-Bit Mode Exceptions";
 *  - SDM Vol. 3A 2.5 (control registers), 2.2.1 (IA32_EFER), 4.1.1-4.1.2
 *    (paging-mode bits and their changes), 4.10.1 (PCIDs), 10.8.5
 *    (entering and leaving IA-32e mode);
 *  - SDM Vol. 4 Table 2-2 (IA32_EFER); WRMSR: #GP(0) for a reserved bit.
 * A CR4 bit whose feature the CPU model does not report (CPUID) is
 * reserved, as on a processor without it (Vol. 3A 2.5: "bits ... not
 * supported by the processor are reserved"); KVM's __cr4_reserved_bits
 * draws the same line.
 *
 * Not here: the PAE PDPTE checks (a MOV that loads the PDPTE registers
 * with a bad entry is #GP too, Vol. 3A 4.4.1), which need guest memory:
 * fill.c makes them when it loads the PDPTEs.
 */
#include "cpu/crcheck.h"

#include <errno.h>

/* CR4 bits the model has no feature for, so reserved. VME/PVI (virtual-8086
 * extensions), UMIP, FSGSBASE, VMXE, SMXE, OSXSAVE (no XSAVE), KL and CET are
 * never reported by cpuid.c; the rest follow cpu.features. */
uint64_t cpu_cr4_reserved(const struct tm_config *cfg)
{
	uint32_t f = cfg->cpu.features;
	uint64_t r = ~CR4_DEFINED | CR4_VME | CR4_PVI | CR4_UMIP | CR4_FSGSBASE | CR4_VMXE |
		     CR4_SMXE | CR4_OSXSAVE | CR4_KL | CR4_CET;

	if (!(f & TM_FEAT_PSE))
		r |= CR4_PSE;
	if (!(f & TM_FEAT_PAE))
		r |= CR4_PAE;
	if (!(f & TM_FEAT_PGE))
		r |= CR4_PGE;
	if (!(f & TM_FEAT_LA57))
		r |= CR4_LA57;
	if (!(f & TM_FEAT_PCID))
		r |= CR4_PCIDE;
	if (!(f & TM_FEAT_SMEP))
		r |= CR4_SMEP;
	if (!(f & TM_FEAT_SMAP))
		r |= CR4_SMAP;
	if (!(f & TM_FEAT_PKU))
		r |= CR4_PKE;
	if (!(f & TM_FEAT_PKS))
		r |= CR4_PKS;
	return r;
}

/* EFER bits WRMSR may set (Vol. 4 Table 2-2; APM Vol. 2 3.1.7): SCE with
 * SYSCALL, LME and LMA with long mode, NXE with NX (and not hidden by
 * IA32_MISC_ENABLE.XD_DISABLE). SVME, LMSLE, FFXSR and TCE are AMD
 * features the model never reports. */
uint64_t cpu_efer_allowed(const struct tm_config *cfg, bool nx_hidden)
{
	uint32_t f = cfg->cpu.features;

	return ((f & TM_FEAT_SYSCALL) ? EFER_SCE : 0) |
	       ((f & TM_FEAT_LM) ? EFER_LME | EFER_LMA : 0) |
	       ((f & TM_FEAT_NX) && !nx_hidden ? EFER_NXE : 0);
}

static int gp(const char **why, const char *rule)
{
	if (why)
		*why = rule;
	return -EPERM;
}

static int cr0(const struct cpu_cr_state *s, uint64_t v, const char **why)
{
	if (v >> 32)
		return gp(why, "CR0: bits 63:32 are reserved (MOV CR, 64-bit mode exceptions)");
	if ((v & CR0_PG) && !(v & CR0_PE))
		return gp(why, "CR0: PG=1 with PE=0 (MOV CR; Vol. 3A 2.5)");
	if ((v & CR0_NW) && !(v & CR0_CD))
		return gp(why, "CR0: NW=1 with CD=0 (MOV CR; Vol. 3A 2.5)");
	if ((v & CR0_PG) && !(s->cr0 & CR0_PG) && (s->efer & EFER_LME) && !(s->cr4 & CR4_PAE))
		return gp(why, "CR0: IA-32e mode enabled with CR4.PAE=0 (Vol. 3A 10.8.5)");
	if (!(v & CR0_PG) && s->cs64)
		return gp(why, "CR0: PG cleared in 64-bit mode (MOV CR, 64-bit mode exceptions)");
	if (!(v & CR0_PG) && (s->cr4 & CR4_PCIDE))
		return gp(why, "CR0: PG cleared with CR4.PCIDE=1 (MOV CR; Vol. 3A 4.10.1)");
	return 0;
}

static int cr3(const struct tm_config *cfg, const struct cpu_cr_state *s, uint64_t v,
	       const char **why)
{
	/* Outside IA-32e mode the operand is 32 bits: nothing is reserved.
	 * In it, bits 63:MAXPHYADDR are, except bit 63 with CR4.PCIDE=1
	 * (the no-flush bit, Vol. 3A 4.10.4.1). */
	uint64_t rsv = ~GENMASK64(cfg->cpu.maxphyaddr - 1, 0);

	if (s->cr4 & CR4_PCIDE)
		rsv &= ~CR3_NOFLUSH;
	if ((s->efer & EFER_LMA) && (v & rsv))
		return gp(why, "CR3: a reserved bit above MAXPHYADDR (MOV CR, 64-bit mode "
			       "exceptions)");
	return 0;
}

static int cr4(const struct tm_config *cfg, const struct cpu_cr_state *s, uint64_t v,
	       const char **why)
{
	if (v & cpu_cr4_reserved(cfg))
		return gp(why, "CR4: a reserved bit, or a feature the CPU model lacks (MOV CR; "
			       "Vol. 3A 2.5)");
	if ((s->efer & EFER_LMA) && !(v & CR4_PAE))
		return gp(why, "CR4: PAE cleared in IA-32e mode (MOV CR; Vol. 3A 10.8.5)");
	if ((s->efer & EFER_LMA) && ((v ^ s->cr4) & CR4_LA57))
		return gp(why, "CR4: LA57 changed in IA-32e mode (MOV CR; Vol. 3A 4.1.2)");
	if ((v & CR4_PCIDE) && !(s->cr4 & CR4_PCIDE)) {
		if (!(s->efer & EFER_LMA))
			return gp(why, "CR4: PCIDE set outside IA-32e mode (Vol. 3A 4.10.1)");
		if (s->cr3 & CR3_PCID)
			return gp(why, "CR4: PCIDE set with CR3[11:0] != 0 (MOV CR; Vol. 3A "
				       "4.10.1)");
	}
	return 0;
}

int cpu_cr_check(const struct tm_config *cfg, const struct cpu_cr_state *s, int reg, uint64_t v,
		 const char **why)
{
	switch (reg) {
	case CPU_CR0:
		return cr0(s, v, why);
	case CPU_CR3:
		return cr3(cfg, s, v, why);
	case CPU_CR4:
		return cr4(cfg, s, v, why);
	case CPU_CR8:
		return (v & ~CR8_TPR) ? gp(why, "CR8: bits 63:4 are reserved (MOV CR)") : 0;
	case CPU_EFER:
		if (v & ~cpu_efer_allowed(cfg, s->nx_hidden))
			return gp(why, "EFER: a reserved bit, or a feature the CPU model lacks "
				       "(WRMSR; Vol. 4 Table 2-2)");
		if ((s->cr0 & CR0_PG) && ((v ^ s->efer) & EFER_LME))
			return gp(why, "EFER: LME changed with paging on (Vol. 3A 10.8.5)");
		return 0;
	default:
		return gp(why, "no such control register");
	}
}
