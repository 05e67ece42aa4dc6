/*
 * The #GP(0) rules of MOV to CR0/CR3/CR4/CR8 and WRMSR to IA32_EFER
 * (src/cpu/crcheck.c), and the CPU model's MSRs (src/cpu/msr_model.c),
 * case by case against the manual. Each row of the tables names the SDM
 * rule it checks; the expectation is the manual's, written here by hand,
 * not derived from the code. The guest kernel guests/pc/crmsr.c runs the
 * cases reachable outside IA-32e mode on tdpsim and QEMU; the IA-32e-mode
 * ones (LA57 or PAE changed, PCIDE with CR3[11:0], PG cleared in 64-bit
 * mode, CR3/CR8 reserved bits) are only here.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "cpu/crcheck.h"
#include "cpu/msr_model.h"

#define ICELAKE                                                                                    \
	(TM_FEAT_PSE | TM_FEAT_PAE | TM_FEAT_PGE | TM_FEAT_PSE36 | TM_FEAT_NX | TM_FEAT_GBPAGES |  \
	 TM_FEAT_LA57 | TM_FEAT_PCID | TM_FEAT_INVPCID | TM_FEAT_SMEP | TM_FEAT_SMAP |            \
	 TM_FEAT_PKU | TM_FEAT_SYSCALL | TM_FEAT_SEP | TM_FEAT_LM | TM_FEAT_RDTSCP)

static struct tm_config model(uint32_t features, uint8_t vendor)
{
	struct tm_config c;

	memset(&c, 0, sizeof(c));
	c.cpu.features = features;
	c.cpu.vendor = vendor;
	c.cpu.maxphyaddr = 46;
	c.cpu.linear_bits = (features & TM_FEAT_LA57) ? 57 : 48;
	c.cpu.tsc_hz = 2300000000ull;
	return c;
}

/* States: protected mode without paging; 32-bit paging; IA-32e 64-bit mode
 * (4-level); IA-32e compatibility mode. */
#define PROT   { .cr0 = CR0_PE | CR0_ET, .cr4 = 0, .efer = 0 }
#define PAGED  { .cr0 = CR0_PE | CR0_ET | CR0_PG, .cr4 = CR4_PSE }
#define LONG64 { .cr0 = CR0_PE | CR0_ET | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PAE, \
		 .efer = EFER_LME | EFER_LMA | EFER_SCE, .cs64 = true }
#define COMPAT { .cr0 = CR0_PE | CR0_ET | CR0_PG, .cr3 = 0x1000, .cr4 = CR4_PAE, \
		 .efer = EFER_LME | EFER_LMA }

struct cr_case {
	const char *rule;
	struct cpu_cr_state s;
	int reg;
	uint64_t v;
	bool gp;
};

static const struct cr_case cases[] = {
	/* CR0: Vol. 2B MOV CR exceptions; Vol. 3A 2.5, 4.10.1, 10.8.5. */
	{ "CR0 bits 63:32 reserved (64-bit mode)", LONG64, CPU_CR0,
	  CR0_PE | CR0_PG | BIT64(32), true },
	{ "CR0.PG=1 with PE=0", PROT, CPU_CR0, CR0_PG, true },
	{ "CR0.NW=1 with CD=0", PROT, CPU_CR0, CR0_PE | CR0_NW, true },
	{ "CR0.CD=1 NW=1 allowed", PROT, CPU_CR0, CR0_PE | CR0_CD | CR0_NW, false },
	{ "CR0.CD=1 NW=0 allowed", PROT, CPU_CR0, CR0_PE | CR0_CD, false },
	{ "paging on, 32-bit", PROT, CPU_CR0, CR0_PE | CR0_PG, false },
	{ "IA-32e activation with CR4.PAE=0", { .cr0 = CR0_PE, .efer = EFER_LME }, CPU_CR0,
	  CR0_PE | CR0_PG, true },
	{ "IA-32e activation with CR4.PAE=1", { .cr0 = CR0_PE, .cr4 = CR4_PAE, .efer = EFER_LME },
	  CPU_CR0, CR0_PE | CR0_PG, false },
	{ "CR0.PG cleared in 64-bit mode", LONG64, CPU_CR0, CR0_PE, true },
	{ "CR0.PG cleared in compatibility mode (leaves IA-32e)", COMPAT, CPU_CR0, CR0_PE, false },
	{ "CR0.PG cleared with CR4.PCIDE=1", { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE | CR4_PCIDE,
					       .efer = EFER_LME | EFER_LMA },
	  CPU_CR0, CR0_PE, true },
	{ "CR0.WP toggled in 64-bit mode", LONG64, CPU_CR0, CR0_PE | CR0_PG | CR0_WP, false },

	/* CR4: reserved bits, and bits of features the model lacks. */
	{ "CR4 bit 15 reserved", PROT, CPU_CR4, BIT64(15), true },
	{ "CR4 bit 25 reserved", PROT, CPU_CR4, BIT64(25), true },
	{ "CR4 bit 63 reserved", LONG64, CPU_CR4, CR4_PAE | BIT64(63), true },
	{ "CR4.OSXSAVE without XSAVE", PROT, CPU_CR4, CR4_OSXSAVE, true },
	{ "CR4.UMIP without UMIP", PROT, CPU_CR4, CR4_UMIP, true },
	{ "CR4.PKS without PKS (icelake)", PROT, CPU_CR4, CR4_PKS, true },
	{ "CR4.VMXE without VMX", PROT, CPU_CR4, CR4_VMXE, true },
	{ "CR4.FSGSBASE not reported", PROT, CPU_CR4, CR4_FSGSBASE, true },
	{ "CR4.CET not reported", PROT, CPU_CR4, CR4_CET, true },
	{ "CR4.SMEP with SMEP", PROT, CPU_CR4, CR4_SMEP, false },
	{ "CR4.PKE with PKU", PROT, CPU_CR4, CR4_PKE, false },
	{ "CR4.LA57 outside IA-32e mode (no effect yet)", PROT, CPU_CR4, CR4_LA57, false },
	{ "CR4.DE, MCE, PGE, OSFXSR", PROT, CPU_CR4,
	  CR4_DE | CR4_MCE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT, false },
	/* CR4 transitions: Vol. 3A 4.1.2, 4.10.1, 10.8.5. */
	{ "CR4.LA57 set in 64-bit mode", LONG64, CPU_CR4, CR4_PAE | CR4_LA57, true },
	{ "CR4.LA57 set in compatibility mode", COMPAT, CPU_CR4, CR4_PAE | CR4_LA57, true },
	{ "CR4.LA57 cleared in IA-32e mode", { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE | CR4_LA57,
					       .efer = EFER_LME | EFER_LMA, .cs64 = true },
	  CPU_CR4, CR4_PAE, true },
	{ "CR4.LA57 kept in IA-32e mode", { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE | CR4_LA57,
					    .efer = EFER_LME | EFER_LMA, .cs64 = true },
	  CPU_CR4, CR4_PAE | CR4_LA57 | CR4_PGE, false },
	{ "CR4.PAE cleared in IA-32e mode", LONG64, CPU_CR4, 0, true },
	{ "CR4.PAE cleared with 32-bit paging", PAGED, CPU_CR4, 0, false },
	{ "CR4.PCIDE set outside IA-32e mode", PROT, CPU_CR4, CR4_PCIDE, true },
	{ "CR4.PCIDE set with CR3[11:0] != 0", { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1005,
						 .cr4 = CR4_PAE, .efer = EFER_LME | EFER_LMA,
						 .cs64 = true },
	  CPU_CR4, CR4_PAE | CR4_PCIDE, true },
	{ "CR4.PCIDE set with CR3[11:0] = 0", LONG64, CPU_CR4, CR4_PAE | CR4_PCIDE, false },
	{ "CR4.PCIDE kept with CR3[11:0] != 0", { .cr0 = CR0_PE | CR0_PG, .cr3 = 0x1005,
						  .cr4 = CR4_PAE | CR4_PCIDE,
						  .efer = EFER_LME | EFER_LMA, .cs64 = true },
	  CPU_CR4, CR4_PAE | CR4_PCIDE | CR4_PGE, false },

	/* CR3 (64-bit mode exceptions) and CR8 (bits 63:4). */
	{ "CR3 bit above MAXPHYADDR in IA-32e mode", LONG64, CPU_CR3, BIT64(46) | 0x1000, true },
	{ "CR3 below MAXPHYADDR", LONG64, CPU_CR3, BIT64(45) | 0x1000, false },
	{ "CR3 bit 63 without PCIDE", LONG64, CPU_CR3, BIT64(63) | 0x1000, true },
	{ "CR3 bit 63 (no-flush) with PCIDE", { .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE | CR4_PCIDE,
						.efer = EFER_LME | EFER_LMA, .cs64 = true },
	  CPU_CR3, BIT64(63) | 0x1001, false },
	{ "CR3, 32-bit operand outside IA-32e", PAGED, CPU_CR3, 0xfffff000, false },
	{ "CR8 bits 63:4 reserved", LONG64, CPU_CR8, 0x10, true },
	{ "CR8 TPR 15", LONG64, CPU_CR8, 0xf, false },

	/* EFER: Vol. 4 Table 2-2 (WRMSR), Vol. 3A 10.8.5. */
	{ "EFER bit 1 reserved", PROT, CPU_EFER, BIT64(1), true },
	{ "EFER bit 9 reserved", PROT, CPU_EFER, BIT64(9), true },
	{ "EFER bit 63 reserved", PROT, CPU_EFER, BIT64(63), true },
	{ "EFER.SVME without SVM", PROT, CPU_EFER, EFER_SVME, true },
	{ "EFER.FFXSR not reported", PROT, CPU_EFER, EFER_FFXSR, true },
	{ "EFER.TCE not reported", PROT, CPU_EFER, EFER_TCE, true },
	{ "EFER.SCE|NXE|LME with the features", PROT, CPU_EFER, EFER_SCE | EFER_NXE | EFER_LME,
	  false },
	{ "EFER.LME set with paging on", PAGED, CPU_EFER, EFER_LME, true },
	{ "EFER.LME cleared with paging on (IA-32e)", LONG64, CPU_EFER, EFER_LMA | EFER_SCE, true },
	{ "EFER.NXE toggled with paging on (IA-32e)", LONG64, CPU_EFER,
	  EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE, false },
};

static void test_cr_cases(void)
{
	struct tm_config c = model(ICELAKE, TM_VENDOR_INTEL);

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *why = NULL;
		int rc = cpu_cr_check(&c, &cases[i].s, cases[i].reg, cases[i].v, &why);

		if ((rc != 0) != cases[i].gp)
			g_error("%s: got %s (%s)", cases[i].rule, rc ? "#GP" : "no fault",
				why ? why : "-");
		g_assert_cmpint(rc, ==, cases[i].gp ? -EPERM : 0);
		if (rc)
			g_assert_nonnull(why);
	}
}

/* A bit is reserved exactly when its feature is missing. */
static void test_cr_features(void)
{
	static const struct { uint32_t feat; uint64_t cr4; } f[] = {
		{ TM_FEAT_PSE, CR4_PSE },   { TM_FEAT_PAE, CR4_PAE },   { TM_FEAT_PGE, CR4_PGE },
		{ TM_FEAT_LA57, CR4_LA57 }, { TM_FEAT_SMEP, CR4_SMEP }, { TM_FEAT_SMAP, CR4_SMAP },
		{ TM_FEAT_PKU, CR4_PKE },   { TM_FEAT_PKS, CR4_PKS },
	};
	struct cpu_cr_state prot = PROT;

	for (size_t i = 0; i < G_N_ELEMENTS(f); i++) {
		struct tm_config with = model(ICELAKE | TM_FEAT_PKS, TM_VENDOR_INTEL);
		struct tm_config without = model((ICELAKE | TM_FEAT_PKS) & ~f[i].feat,
						 TM_VENDOR_INTEL);

		g_assert_cmpint(cpu_cr_check(&with, &prot, CPU_CR4, f[i].cr4, NULL), ==, 0);
		g_assert_cmpint(cpu_cr_check(&without, &prot, CPU_CR4, f[i].cr4, NULL), ==, -EPERM);
	}
	/* PCIDE needs PCID even where the transition is allowed. */
	struct tm_config nopcid = model(ICELAKE & ~TM_FEAT_PCID, TM_VENDOR_INTEL);
	struct cpu_cr_state lm = LONG64;

	g_assert_cmpint(cpu_cr_check(&nopcid, &lm, CPU_CR4, CR4_PAE | CR4_PCIDE, NULL), ==, -EPERM);
	/* EFER: NXE without NX, LME without LM, SCE without SYSCALL; NXE hidden
	 * by IA32_MISC_ENABLE.XD_DISABLE. */
	struct tm_config nonx = model(ICELAKE & ~TM_FEAT_NX, TM_VENDOR_INTEL);
	struct tm_config nolm = model(ICELAKE & ~TM_FEAT_LM, TM_VENDOR_INTEL);
	struct tm_config nosc = model(ICELAKE & ~(TM_FEAT_SYSCALL | TM_FEAT_LM), TM_VENDOR_INTEL);
	struct tm_config ice = model(ICELAKE, TM_VENDOR_INTEL);
	struct cpu_cr_state xd = PROT;

	xd.nx_hidden = true;
	g_assert_cmpint(cpu_cr_check(&nonx, &prot, CPU_EFER, EFER_NXE, NULL), ==, -EPERM);
	g_assert_cmpint(cpu_cr_check(&nolm, &prot, CPU_EFER, EFER_LME, NULL), ==, -EPERM);
	g_assert_cmpint(cpu_cr_check(&nosc, &prot, CPU_EFER, EFER_SCE, NULL), ==, -EPERM);
	g_assert_cmpint(cpu_cr_check(&ice, &xd, CPU_EFER, EFER_NXE, NULL), ==, -EPERM);
}

/* MSRs: Vol. 3A 12.11 (MTRRs), 12.12.2 (PAT), Vol. 3B 16.3 (MCA), Vol. 4
 * Table 2-2. */
static void test_msrs(void)
{
	struct tm_config c = model(ICELAKE, TM_VENDOR_INTEL);
	struct tm_config amd = model(ICELAKE & ~TM_FEAT_LA57, TM_VENDOR_AMD);
	struct cpu_msr_model m;
	uint64_t v;

	cpu_msr_model_reset(&m, &c);
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_MTRRCAP, &v), ==, 0);
	g_assert_cmphex(v & MTRRCAP_VCNT, ==, CPU_MTRR_VAR);
	g_assert_true(v & MTRRCAP_FIX);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MTRRCAP, v), ==, -EPERM);
	/* Variable range 7: round trip; type 2, bits 11:8, bits >= MAXPHYADDR. */
	g_assert_cmpint(cpu_msr_model_write(&m, 0x20e, 0x7000000 | X86_MT_WT), ==, 0);
	g_assert_cmpint(cpu_msr_model_write(&m, 0x20f, 0x3fffff000000ull | BIT64(11)), ==, 0);
	g_assert_cmpint(cpu_msr_model_read(&m, 0x20e, &v), ==, 0);
	g_assert_cmphex(v, ==, 0x7000000 | X86_MT_WT);
	g_assert_cmpint(cpu_msr_model_read(&m, 0x20f, &v), ==, 0);
	g_assert_cmphex(v, ==, 0x3fffff000000ull | BIT64(11));
	g_assert_cmpint(cpu_msr_model_write(&m, 0x20e, 0x7000000 | 2), ==, -EPERM);
	g_assert_cmpint(cpu_msr_model_write(&m, 0x20e, 0x7000100 | X86_MT_WB), ==, -EPERM);
	g_assert_cmpint(cpu_msr_model_write(&m, 0x20e, BIT64(46) | X86_MT_WB), ==, -EPERM);
	g_assert_cmpint(cpu_msr_model_write(&m, 0x20f, 0x1000 | 1), ==, -EPERM);
	g_assert_cmpint(cpu_msr_model_read(&m, 0x210, &v), ==, -ENOENT); /* no range 8 */
	/* Fixed ranges: every byte a type. */
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MTRR_FIX4K_F8000, 0x0605040100060504ull),
			==, 0);
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_MTRR_FIX4K_F8000, &v), ==, 0);
	g_assert_cmphex(v, ==, 0x0605040100060504ull);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MTRR_FIX16K_A0000, 0x0700000000000000ull),
			==, -EPERM);
	g_assert_cmpint(cpu_msr_model_read(&m, 0x260, &v), ==, -ENOENT); /* not a fixed MTRR */
	/* Default type: E, FE, type; bit 9 reserved. */
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MTRR_DEF_TYPE, 0xc00), ==, 0);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MTRR_DEF_TYPE, 0xe06), ==, -EPERM);
	/* PAT: reset value; types 2, 3 and 8+ reserved; 7 (UC-) allowed. */
	cpu_msr_model_reset(&m, &c);
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_PAT, &v), ==, 0);
	g_assert_cmphex(v, ==, 0x0007040600070406ull);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_PAT, 0x0707070707070707ull), ==, 0);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_PAT, 0x0207040600070406ull), ==, -EPERM);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_PAT, 0x0007040600070403ull), ==, -EPERM);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_PAT, 0x0007040600070408ull), ==, -EPERM);
	/* FEATURE_CONTROL: only the lock bit; locked, every write faults. */
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_FEATURE_CONTROL, BIT64(2)), ==, -EPERM);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_FEATURE_CONTROL, FEATCTL_LOCK), ==, 0);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_FEATURE_CONTROL, FEATCTL_LOCK), ==, -EPERM);
	/* MISC_ENABLE: fast strings, limit-CPUID, XD disable; BTS/PEBS
	 * unavailable read as 1 whatever is written; other bits fault. */
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MISC_ENABLE, MISC_EN_XD_DISABLE), ==, 0);
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_MISC_ENABLE, &v), ==, 0);
	g_assert_cmphex(v, ==, MISC_EN_XD_DISABLE | MISC_EN_BTS_UNAVAIL | MISC_EN_PEBS_UNAVAIL);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MISC_ENABLE, BIT64(40)), ==, -EPERM);
	/* PLATFORM_INFO: ratio 23 at 2.3 GHz; read-only. */
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_PLATFORM_INFO, &v), ==, 0);
	g_assert_cmphex((v >> 8) & 0xff, ==, 23);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_PLATFORM_INFO, v), ==, -EPERM);
	/* Microcode signature: Intel puts the revision in 63:32. */
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_BIOS_SIGN_ID, 0), ==, 0);
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_BIOS_SIGN_ID, &v), ==, 0);
	g_assert_cmphex(v >> 32, !=, 0);
	/* Machine check: 10 banks with MCG_CTL; CTL 0 or all ones; STATUS 0. */
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_MCG_CAP, &v), ==, 0);
	g_assert_cmphex(v, ==, 10 | MCG_CAP_CTL_P);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MC0_CTL + 4 * 9, UINT64_MAX), ==, 0);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MC0_CTL + 4 * 9, 5), ==, -EPERM);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MC0_CTL + 1, 1), ==, -EPERM);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MC0_CTL + 1, 0), ==, 0);
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_MC0_CTL + 4 * 10, &v), ==, -ENOENT);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_MCG_STATUS, 8), ==, -EPERM);
	/* TSC_AUX with RDTSCP: bits 63:32 reserved; without RDTSCP, #GP. */
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_TSC_AUX, 0x1234), ==, 0);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_TSC_AUX, BIT64(32)), ==, -EPERM);
	/* Not the model's: native ones, and ones that do not exist. */
	g_assert_true(cpu_msr_native(&c, MSR_IA32_LSTAR));
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_SPEC_CTRL, &v), ==, -ENOENT);
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_ARCH_CAPABILITIES, &v), ==, -ENOENT);
	g_assert_false(cpu_msr_native(&c, MSR_IA32_SPEC_CTRL));

	/* AMD has no MISC_ENABLE, FEATURE_CONTROL or PLATFORM_INFO. */
	cpu_msr_model_reset(&m, &amd);
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_MISC_ENABLE, &v), ==, -ENOENT);
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_PLATFORM_INFO, &v), ==, -ENOENT);
	g_assert_cmpint(cpu_msr_model_write(&m, MSR_IA32_FEATURE_CONTROL, 1), ==, -ENOENT);
	struct tm_config nordtscp = model(ICELAKE & ~TM_FEAT_RDTSCP, TM_VENDOR_INTEL);

	cpu_msr_model_reset(&m, &nordtscp);
	g_assert_cmpint(cpu_msr_model_read(&m, MSR_IA32_TSC_AUX, &v), ==, -EPERM);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/crcheck/cases", test_cr_cases);
	g_test_add_func("/crcheck/features", test_cr_features);
	g_test_add_func("/msr-model/msrs", test_msrs);
	return g_test_run();
}
