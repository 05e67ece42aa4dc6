/*
 * CPUID from the CPU model (struct tm_config), not from QEMU's: the guest
 * sees the vendor, family/model/stepping, brand and the paging features of
 * the configured part, with MAXPHYADDR and the linear-address width in leaf
 * 80000008H. VMX and SVM are hidden and the hypervisor bit is clear (a
 * guest of tdpsim believes it runs on bare metal).
 *
 * Besides the paging features, only the instruction-set features QEMU 5's
 * TCG executes are reported (FPU, TSC, MSR, CX8, CMOV, PAT, CLFLUSH, MMX,
 * FXSR, SSE, SSE2, SSE3, SSSE3, CX16, SSE4.1, SSE4.2, POPCNT, LAHF-SAHF):
 * a feature we announce must work.
 *
 * Frequencies: leaf 15H gives the TSC as crystal x 1/1 at tsc_hz, leaf 16H
 * the base and maximum frequency (tsc_hz: no turbo is modelled) and the
 * 100 MHz bus clock, so that a kernel need not calibrate against the PIT.
 * XSAVE is not offered (leaf 1 ECX[26] = 0): leaf 0DH is all zeros, CR4.
 * OSXSAVE is reserved (crcheck.c) and XSETBV/XGETBV stay #UD. UMIP is not
 * offered either (QEMU 5 does not implement it); RDTSCP follows the model.
 * IA32_MISC_ENABLE (msr_model.c) limits the maximum basic leaf to 2 and
 * hides NX when the guest sets those bits.
 *
 * No hypervisor is advertised: tdpsim models a bare-metal machine, so
 * CPUID.1:ECX[31] is 0 and the range 40000000H-4FFFFFFFH is not special.
 * It lies above the maximum basic leaf, so the rule below applies to it
 * (Intel: the highest basic leaf's data; AMD: zeros), as on hardware with
 * no hypervisor. A guest that wants to know finds out as on bare metal.
 *
 * Leaves above the maximum: Intel returns the data of the highest basic
 * leaf (SDM Vol. 2A, CPUID, "INPUT EAX = 0: Returns CPUID's Highest Value
 * for Basic Processor Information": "If a value entered for CPUID.EAX is
 * higher than the maximum input value for basic or extended function for
 * that processor then the data for the highest basic information leaf is
 * returned"); AMD returns zeros (APM Vol. 3, Appendix E.2: unsupported
 * functions return 0). We follow the vendor of the model.
 */
#include <string.h>

#include "cpu/cpu.h"

/* Leaf 1 EDX (SDM Vol. 2A Table 3-11). */
#define C1D_FPU   (1u << 0)
#define C1D_DE    (1u << 2)   /* debugging extensions: CR4.DE, I/O breakpoints */
#define C1D_MCE   (1u << 7)   /* machine-check exception, CR4.MCE */
#define C1D_MCA   (1u << 14)  /* machine-check architecture: MCG_CAP and the banks */
#define C1D_PSE   (1u << 3)
#define C1D_APIC  (1u << 9)   /* the local APIC (pc/dev_lapic.c) */
#define C1D_TSC   (1u << 4)
#define C1D_MSR   (1u << 5)
#define C1D_PAE   (1u << 6)
#define C1D_CX8   (1u << 8)
#define C1D_MTRR  (1u << 12)  /* IA32_MTRRCAP and the MTRRs (msr_model.c) */
#define C1D_SEP   (1u << 11)
#define C1D_PGE   (1u << 13)
#define C1D_CMOV  (1u << 15)
#define C1D_PAT   (1u << 16)
#define C1D_PSE36 (1u << 17)
#define C1D_CLFSH (1u << 19)
#define C1D_MMX   (1u << 23)
#define C1D_FXSR  (1u << 24)
#define C1D_SSE   (1u << 25)
#define C1D_SSE2  (1u << 26)
/* Leaf 1 ECX (SDM Vol. 2A Table 3-10). */
#define C1C_SSE3   (1u << 0)
#define C1C_VMX    (1u << 5)   /* hidden */
#define C1C_SSSE3  (1u << 9)
#define C1C_CX16   (1u << 13)
#define C1C_PCID   (1u << 17)
#define C1C_X2APIC (1u << 21)
#define C1C_TSCDL  (1u << 24)  /* TSC-deadline timer */
#define C1C_SSE41  (1u << 19)
#define C1C_SSE42  (1u << 20)
#define C1C_POPCNT (1u << 23)
#define C1C_HYPERVISOR (1u << 31) /* clear: no hypervisor visible */
/* Leaf 7.0 EBX / ECX (SDM Vol. 2A Table 3-8). */
#define C7B_SMEP    (1u << 7)
#define C7B_INVPCID (1u << 10)
#define C7B_SMAP    (1u << 20)
#define C7C_PKU     (1u << 3)
#define C7C_OSPKE   (1u << 4)   /* reflects CR4.PKE */
#define C7C_LA57    (1u << 16)
#define C7C_PKS     (1u << 31)
/* Leaf 80000001H (SDM Vol. 2A; APM Vol. 3 E.4.2). */
#define CX1C_LAHF    (1u << 0)
#define CX1C_SVM     (1u << 2)  /* hidden */
#define CX1D_SYSCALL (1u << 11)
#define CX1D_NX      (1u << 20)
#define CX1D_1GB     (1u << 26)
#define CX1D_RDTSCP  (1u << 27)
#define CX1D_LM      (1u << 29)


#define MAX_BASIC_INTEL 0x16u  /* 16H: processor frequencies */
#define MAX_BASIC_LIMITED 2u   /* IA32_MISC_ENABLE.LIMIT_CPUID */
#define BUS_MHZ 100u
#define MAX_BASIC_AMD   0x0du
#define MAX_EXT         0x80000008u

static uint32_t feat(const struct tm_config *cfg, uint32_t f, uint32_t bit)
{
	return (cfg->cpu.features & f) ? bit : 0;
}

static void vendor_regs(const struct tm_config *cfg, uint32_t out[4])
{
	const char *v = cfg->cpu.vendor == TM_VENDOR_AMD ? "AuthenticAMD" : "GenuineIntel";

	/* EBX, EDX, ECX hold the 12 characters in that order. */
	memcpy(&out[1], v, 4);
	memcpy(&out[3], v + 4, 4);
	memcpy(&out[2], v + 8, 4);
}

/* Family/model/stepping encoding, SDM Vol. 2A Figure 3-6. */
static uint32_t signature(const struct tm_config *cfg)
{
	uint32_t fam = cfg->cpu.family, model = cfg->cpu.model, sig;

	sig = (cfg->cpu.stepping & 0xf) | ((model & 0xf) << 4);
	if (fam >= 0xf) {
		sig |= 0xfu << 8;
		sig |= ((fam - 0xf) & 0xff) << 20;
	} else {
		sig |= (fam & 0xf) << 8;
	}
	if (fam == 0x6 || fam >= 0xf)
		sig |= ((model >> 4) & 0xf) << 16;
	return sig;
}

static uint32_t max_basic(const struct tm_config *cfg, uint64_t misc_enable)
{
	if (cfg->cpu.vendor == TM_VENDOR_AMD)
		return MAX_BASIC_AMD;
	return (misc_enable & MISC_EN_LIMIT_CPUID) ? MAX_BASIC_LIMITED : MAX_BASIC_INTEL;
}

static void leaf(const struct tm_config *cfg, uint32_t l, uint32_t sub, uint64_t cr4,
		 uint64_t misc_enable, uint32_t o[4])
{
	bool intel = cfg->cpu.vendor != TM_VENDOR_AMD;

	memset(o, 0, 4 * sizeof(o[0]));
	switch (l) {
	case 0:
		o[0] = max_basic(cfg, misc_enable);
		vendor_regs(cfg, o);
		break;
	case 1:
		o[0] = signature(cfg);
		o[1] = (8u << 8) | (1u << 16); /* CLFLUSH line 8*8 bytes; 1 logical CPU */
		o[2] = C1C_SSE3 | C1C_SSSE3 | C1C_CX16 | C1C_SSE41 | C1C_SSE42 | C1C_POPCNT |
		       feat(cfg, TM_FEAT_PCID, C1C_PCID) | feat(cfg, TM_FEAT_X2APIC, C1C_X2APIC) |
		       feat(cfg, TM_FEAT_TSCDL, C1C_TSCDL);
		o[3] = C1D_FPU | C1D_DE | C1D_MCE | C1D_MCA | C1D_MTRR | C1D_APIC | C1D_TSC | C1D_MSR | C1D_CX8 | C1D_CMOV | C1D_PAT | C1D_CLFSH |
		       C1D_MMX | C1D_FXSR | C1D_SSE | C1D_SSE2 | feat(cfg, TM_FEAT_PSE, C1D_PSE) |
		       feat(cfg, TM_FEAT_PAE, C1D_PAE) | feat(cfg, TM_FEAT_SEP, C1D_SEP) |
		       feat(cfg, TM_FEAT_PGE, C1D_PGE) | feat(cfg, TM_FEAT_PSE36, C1D_PSE36);
		break;
	case 7:
		if (sub != 0)
			break; /* EAX = 0: sub-leaf 0 is the only one */
		o[1] = feat(cfg, TM_FEAT_SMEP, C7B_SMEP) | feat(cfg, TM_FEAT_INVPCID, C7B_INVPCID) |
		       feat(cfg, TM_FEAT_SMAP, C7B_SMAP);
		o[2] = feat(cfg, TM_FEAT_PKU, C7C_PKU) | feat(cfg, TM_FEAT_LA57, C7C_LA57) |
		       feat(cfg, TM_FEAT_PKS, C7C_PKS);
		if ((cfg->cpu.features & TM_FEAT_PKU) && (cr4 & CR4_PKE))
			o[2] |= C7C_OSPKE;
		break;
	case 0xd:
		/* XSAVE is not offered (leaf 1 ECX[26] = 0), so leaf 0DH is
		 * all zeros (SDM Vol. 2A: leaf 0DH exists with XSAVE). */
		break;
	case 0x15:
		/* TSC = crystal x EBX/EAX: ratio 1/1 at tsc_hz. */
		o[0] = 1;
		o[1] = 1;
		o[2] = (uint32_t)cfg->cpu.tsc_hz;
		break;
	case 0x16:
		o[0] = (uint32_t)(cfg->cpu.tsc_hz / 1000000u); /* base MHz */
		o[1] = o[0];                                   /* maximum MHz */
		o[2] = BUS_MHZ;
		break;
	case 0x80000000:
		o[0] = MAX_EXT;
		if (!intel)
			vendor_regs(cfg, o);
		break;
	case 0x80000001:
		o[2] = CX1C_LAHF;
		o[3] = feat(cfg, TM_FEAT_SYSCALL, CX1D_SYSCALL) | feat(cfg, TM_FEAT_GBPAGES, CX1D_1GB) |
		       feat(cfg, TM_FEAT_LM, CX1D_LM) | feat(cfg, TM_FEAT_RDTSCP, CX1D_RDTSCP);
		if (!(misc_enable & MISC_EN_XD_DISABLE))
			o[3] |= feat(cfg, TM_FEAT_NX, CX1D_NX);
		break;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004: {
		char b[48] = { 0 };

		memcpy(b, cfg->cpu.brand, strnlen(cfg->cpu.brand, sizeof(b)));
		memcpy(o, b + 16 * (l - 0x80000002), 16);
		break;
	}
	case 0x80000008:
		o[0] = cfg->cpu.maxphyaddr | ((uint32_t)cfg->cpu.linear_bits << 8);
		break;
	default:
		break;
	}
}

void cpu_cpuid(const struct tm_config *cfg, uint32_t l, uint32_t sub, uint64_t cr4,
	       uint64_t misc_enable, uint32_t out[4])
{
	bool intel = cfg->cpu.vendor != TM_VENDOR_AMD;
	uint32_t maxb = max_basic(cfg, misc_enable);
	bool ext = l >= 0x80000000u;

	if ((!ext && l > maxb) || (ext && l > MAX_EXT)) {
		if (!intel) {
			memset(out, 0, 4 * sizeof(out[0]));
			return;
		}
		l = maxb;
		sub = 0;
	}
	leaf(cfg, l, sub, cr4, misc_enable, out);
}
