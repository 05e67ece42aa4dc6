/*
 * The CPU model's MSRs (msr_model.h). Every MSR here is architectural
 * (SDM Vol. 4 Table 2-2) or, where marked, Intel model-specific; each is
 * present only when the CPUID the model reports says so, as on hardware,
 * and each rejects what hardware rejects with #GP(0):
 *
 *  - IA32_MTRRCAP (FEH), read-only: 8 variable ranges, fixed ranges, WC
 *    (Vol. 3A 12.11.1). IA32_MTRR_DEF_TYPE (2FFH), PHYSBASEn/PHYSMASKn
 *    (200H-20FH) and the 11 fixed-range MSRs (250H, 258H, 259H, 268H-26FH):
 *    a memory type that is not UC/WC/WT/WP/WB, or a reserved bit (address
 *    bits at or above MAXPHYADDR included), is #GP (12.11.2, 12.11.2.3).
 *  - IA32_PAT (277H): a byte that is not a PAT type (2, 3, 8-255) is #GP
 *    (12.12.2); reset 0007040600070406H.
 *  - IA32_MISC_ENABLE (1A0H, Intel): fast strings, BTS/PEBS unavailable
 *    (read-only 1: not modelled), limit-CPUID-maxval and XD disable, the
 *    two whose effect cpuid.c and crcheck.c honour; any other bit is #GP.
 *  - IA32_FEATURE_CONTROL (3AH, Intel): only the lock bit exists (no VMX,
 *    SMX, SGX or LMCE in the model); a write once locked is #GP.
 *  - IA32_PLATFORM_ID (17H), MSR_PLATFORM_INFO (CEH, Intel): read-only.
 *    PLATFORM_INFO[15:8] is the maximum non-turbo ratio over the 100 MHz
 *    bus clock: tsc_hz / 100 MHz (the TSC runs at that ratio).
 *  - IA32_BIOS_SIGN_ID (8BH): the microcode revision (the model has no
 *    microcode: revision 1), in 63:32 on Intel, in 31:0 on AMD (its
 *    PATCH_LEVEL, APM Vol. 2 Appendix A); writes are taken (Linux writes 0
 *    before CPUID, Vol. 3A 10.11.7.1). IA32_BIOS_UPDT_TRIG (79H, Intel):
 *    writes are taken and load nothing.
 *  - IA32_MCG_CAP (179H), read-only: 10 banks and MCG_CTL (as QEMU's
 *    default); MCG_STATUS (only RIPV, EIPV, MCIP); MCG_CTL and MCi_CTL
 *    take all zeros or all ones; MCi_STATUS takes only 0 (Vol. 3B 16.3).
 *  - IA32_TSC_AUX (C0000103H), with RDTSCP: bits 63:32 are reserved.
 * PKRS, the TSC and the device MSRs (local APIC) are msr.c's and the
 * devices'; MSRs QEMU keeps as the model wants run natively
 * (cpu_msr_native). Every other index raises #GP(0), as on hardware:
 * QEMU's TCG returns 0 for an MSR it does not know.
 */
#include "cpu/msr_model.h"

#include <errno.h>
#include <string.h>

#define BUS_HZ 100000000ull /* the reference clock of PLATFORM_INFO's ratios */
#define UCODE_REV UINT64_C(1)

static bool intel(const struct tm_config *cfg)
{
	return cfg->cpu.vendor != TM_VENDOR_AMD;
}

static uint64_t bytes8(uint8_t t)
{
	return t * UINT64_C(0x0101010101010101);
}

void cpu_msr_model_reset(struct cpu_msr_model *m, const struct tm_config *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->pat = UINT64_C(0x0007040600070406);
	m->misc_enable = MISC_EN_FAST_STRING | MISC_EN_BTS_UNAVAIL | MISC_EN_PEBS_UNAVAIL;
	m->ucode_sign = intel(cfg) ? UCODE_REV << 32 : UCODE_REV;
	/* Firmware: RAM write-back, the VGA window (A0000H-BFFFFH) and the
	 * 2-4 GiB window below 4 GiB that holds the PCI hole uncacheable. */
	m->mtrr_def = MTRR_DEF_E | MTRR_DEF_FE | X86_MT_WB;
	for (unsigned i = 0; i < CPU_MTRR_FIXED; i++)
		m->mtrr_fixed[i] = bytes8(X86_MT_WB);
	m->mtrr_fixed[2] = bytes8(X86_MT_UC);
	m->mtrr_var[0] = UINT64_C(0x80000000) | X86_MT_UC;
	m->mtrr_var[1] = (GENMASK64(cfg->cpu.maxphyaddr - 1, 0) & ~GENMASK64(30, 0)) |
			 MTRR_PHYS_VALID;
}

bool cpu_msr_native(const struct tm_config *cfg, uint32_t msr)
{
	uint32_t f = cfg->cpu.features;

	switch (msr) {
	case MSR_IA32_EFER:
		return true;
	case MSR_IA32_STAR:
	case MSR_IA32_LSTAR:
	case MSR_IA32_CSTAR:
	case MSR_IA32_FMASK:
		return f & (TM_FEAT_SYSCALL | TM_FEAT_LM);
	case MSR_IA32_FS_BASE:
	case MSR_IA32_GS_BASE:
	case MSR_IA32_KERNEL_GS_BASE:
		return f & TM_FEAT_LM;
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return f & TM_FEAT_SEP;
	default:
		return false;
	}
}

/* Index into mtrr_fixed[], or -1. */
static int fixed_index(uint32_t msr)
{
	if (msr == MSR_IA32_MTRR_FIX64K_00000)
		return 0;
	if (msr == MSR_IA32_MTRR_FIX16K_80000 || msr == MSR_IA32_MTRR_FIX16K_A0000)
		return 1 + (int)(msr - MSR_IA32_MTRR_FIX16K_80000);
	if (msr >= MSR_IA32_MTRR_FIX4K_C0000 && msr <= MSR_IA32_MTRR_FIX4K_F8000)
		return 3 + (int)(msr - MSR_IA32_MTRR_FIX4K_C0000);
	return -1;
}

static bool mc_bank(uint32_t msr)
{
	return msr >= MSR_IA32_MC0_CTL && msr < MSR_IA32_MC0_CTL + 4 * CPU_MC_BANKS;
}

int cpu_msr_model_read(const struct cpu_msr_model *m, uint32_t msr, uint64_t *v)
{
	const struct tm_config *cfg = m->cfg;
	int fx = fixed_index(msr);

	if (fx >= 0) {
		*v = m->mtrr_fixed[fx];
		return 0;
	}
	if (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * CPU_MTRR_VAR) {
		*v = m->mtrr_var[msr - MSR_IA32_MTRR_PHYSBASE0];
		return 0;
	}
	if (mc_bank(msr)) {
		*v = m->mc[msr - MSR_IA32_MC0_CTL];
		return 0;
	}
	switch (msr) {
	case MSR_IA32_MTRRCAP:
		*v = CPU_MTRR_VAR | MTRRCAP_FIX | MTRRCAP_WC;
		return 0;
	case MSR_IA32_MTRR_DEF_TYPE:
		*v = m->mtrr_def;
		return 0;
	case MSR_IA32_PAT:
		*v = m->pat;
		return 0;
	case MSR_IA32_BIOS_SIGN_ID:
		*v = m->ucode_sign;
		return 0;
	case MSR_IA32_MCG_CAP:
		*v = CPU_MC_BANKS | MCG_CAP_CTL_P;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*v = m->mcg_status;
		return 0;
	case MSR_IA32_MCG_CTL:
		*v = m->mcg_ctl;
		return 0;
	case MSR_IA32_TSC_AUX:
		if (!(cfg->cpu.features & TM_FEAT_RDTSCP))
			return -EPERM;
		*v = m->tsc_aux;
		return 0;
	default:
		break;
	}
	if (!intel(cfg))
		return -ENOENT;
	switch (msr) {
	case MSR_IA32_MISC_ENABLE:
		*v = m->misc_enable;
		return 0;
	case MSR_IA32_FEATURE_CONTROL:
		*v = m->feature_control;
		return 0;
	case MSR_IA32_PLATFORM_ID:
		*v = 0; /* platform ID 0 (bits 52:50) */
		return 0;
	case MSR_PLATFORM_INFO:
		*v = ((cfg->cpu.tsc_hz / BUS_HZ) & 0xff) << 8;
		return 0;
	default:
		return -ENOENT;
	}
}

static int mtrr_var_write(struct cpu_msr_model *m, unsigned i, uint64_t v)
{
	uint64_t addr_rsv = ~GENMASK64(m->cfg->cpu.maxphyaddr - 1, 0);

	if (i % 2 == 0) { /* PHYSBASE: type 7:0, address from bit 12 */
		if ((v & (addr_rsv | GENMASK64(11, 8))) || !X86_MT_MTRR_VALID(v & MTRR_PHYS_TYPE))
			return -EPERM;
	} else if (v & (addr_rsv | GENMASK64(10, 0))) { /* PHYSMASK: valid bit 11 */
		return -EPERM;
	}
	m->mtrr_var[i] = v;
	return 0;
}

static bool all_bytes(uint64_t v, bool (*ok)(unsigned))
{
	for (unsigned i = 0; i < 8; i++)
		if (!ok((unsigned)(v >> (8 * i)) & 0xff))
			return false;
	return true;
}

static bool mtrr_type_ok(unsigned t)
{
	return X86_MT_MTRR_VALID(t);
}

static bool pat_type_ok(unsigned t)
{
	return X86_MT_PAT_VALID(t);
}

int cpu_msr_model_write(struct cpu_msr_model *m, uint32_t msr, uint64_t v)
{
	const struct tm_config *cfg = m->cfg;
	int fx = fixed_index(msr);

	if (fx >= 0) {
		if (!all_bytes(v, mtrr_type_ok))
			return -EPERM;
		m->mtrr_fixed[fx] = v;
		return 0;
	}
	if (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * CPU_MTRR_VAR)
		return mtrr_var_write(m, msr - MSR_IA32_MTRR_PHYSBASE0, v);
	if (mc_bank(msr)) {
		unsigned i = msr - MSR_IA32_MC0_CTL;

		if ((i % 4 == 0 && v != 0 && v != UINT64_MAX) || (i % 4 == 1 && v != 0))
			return -EPERM;
		m->mc[i] = v;
		return 0;
	}
	switch (msr) {
	case MSR_IA32_MTRRCAP:
	case MSR_IA32_MCG_CAP:
		return -EPERM; /* read-only */
	case MSR_IA32_MTRR_DEF_TYPE:
		if ((v & ~(MTRR_DEF_TYPE | MTRR_DEF_FE | MTRR_DEF_E)) ||
		    !X86_MT_MTRR_VALID(v & MTRR_DEF_TYPE))
			return -EPERM;
		m->mtrr_def = v;
		return 0;
	case MSR_IA32_PAT:
		if (!all_bytes(v, pat_type_ok))
			return -EPERM;
		m->pat = v;
		return 0;
	case MSR_IA32_BIOS_SIGN_ID:
		return 0; /* the revision stays the model's */
	case MSR_IA32_MCG_STATUS:
		if (v & ~GENMASK64(2, 0))
			return -EPERM;
		m->mcg_status = v;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (v != 0 && v != UINT64_MAX)
			return -EPERM;
		m->mcg_ctl = v;
		return 0;
	case MSR_IA32_TSC_AUX:
		if (!(cfg->cpu.features & TM_FEAT_RDTSCP) || (v >> 32))
			return -EPERM;
		m->tsc_aux = v;
		return 0;
	default:
		break;
	}
	if (!intel(cfg))
		return -ENOENT;
	switch (msr) {
	case MSR_IA32_MISC_ENABLE: {
		uint64_t rw = MISC_EN_FAST_STRING | MISC_EN_LIMIT_CPUID |
			      ((cfg->cpu.features & TM_FEAT_NX) ? MISC_EN_XD_DISABLE : 0);
		uint64_t ro = MISC_EN_BTS_UNAVAIL | MISC_EN_PEBS_UNAVAIL;

		if (v & ~(rw | ro))
			return -EPERM;
		m->misc_enable = (v & rw) | ro;
		return 0;
	}
	case MSR_IA32_FEATURE_CONTROL:
		if ((m->feature_control & FEATCTL_LOCK) || (v & ~FEATCTL_LOCK))
			return -EPERM;
		m->feature_control = v;
		return 0;
	case MSR_IA32_BIOS_UPDT_TRIG:
		return 0;
	case MSR_IA32_PLATFORM_ID:
	case MSR_PLATFORM_INFO:
		return -EPERM;
	default:
		return -ENOENT;
	}
}
