/*
 * crmsr: the #GP(0) matrix of control-register and MSR writes, and the
 * MSRs a kernel reads, each against the manual:
 *  - MOV to CR0 (SDM Vol. 2B MOV CR, Protected Mode Exceptions; Vol. 3A
 *    2.5, 10.8.5): PG without PE, NW without CD, PG with EFER.LME=1 and
 *    CR4.PAE=0; CD+NW together is allowed;
 *  - MOV to CR4: every reserved bit, and every feature bit (set alone)
 *    faults exactly when CPUID does not report its feature (Vol. 3A 2.5);
 *    PCIDE outside IA-32e mode (4.10.1);
 *  - WRMSR IA32_EFER (Vol. 4 Table 2-2; 10.8.5): reserved bits, SCE/NXE/
 *    LME as CPUID says, LMA read-only, LME changed with paging on;
 *  - an MSR the CPU does not have: #GP(0) on RDMSR and WRMSR;
 *  - MTRRs (Vol. 3A 12.11): MTRRcap, round trips of a variable range, a
 *    fixed range and the default type; a bad type or a reserved bit is
 *    #GP; PAT (12.12.2) round trip, reserved types #GP;
 *  - the machine-check banks (Vol. 3B 16.3): MCG_CAP's count, MCi_CTL
 *    takes only 0 or all ones, MCi_STATUS only 0;
 *  - IA32_BIOS_SIGN_ID after the microcode-revision protocol (10.11.7.1);
 *  - TSC_AUX and RDTSCP as CPUID says; non-canonical writes of address
 *    MSRs (FS_BASE, KERNEL_GS_BASE, LSTAR, SYSENTER_EIP) are #GP;
 *  - XSAVE (Vol. 1 13.3): with it, XSETBV takes x87|SSE and faults on
 *    XCR0[0]=0 and on reserved bits; without it, CR4.OSXSAVE is reserved
 *    and XSETBV is #UD.
 * Cases that need IA-32e mode (LA57 or PAE changed, PCIDE with CR3[11:0],
 * PG cleared in 64-bit mode, CR3/CR8 reserved bits) are in crlong.c.
 *
 * Nothing printed depends on which features the CPU has: a check passes
 * when the CPU does what its own CPUID says.
 */
#include "pc.h"

#define NOFAULT PC_NOFAULT

#define CR0_PE (1u << 0)
#define CR0_WP (1u << 16)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_PCIDE (1u << 17)
#define CR4_OSXSAVE (1u << 18)
#define EFER 0xc0000080u
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

static unsigned try_rdmsr(uint32_t msr, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;
	unsigned r;

	pc_caught = NOFAULT;
	__asm__ volatile("movl $1f, %[r]\n\trdmsr\n1:"
			 : [r] "=m"(pc_resume), "+a"(lo), "+d"(hi)
			 : "c"(msr)
			 : "memory");
	r = pc_caught;
	*v = (uint64_t)hi << 32 | lo;
	return r;
}

#define has pc_cpuid_has
enum { EAX = PC_EAX, EBX = PC_EBX, ECX = PC_ECX, EDX = PC_EDX };

/* 4 MiB identity pages for all of 4 GiB (32-bit paging with PSE). */
static uint32_t pd[1024] __attribute__((aligned(4096)));

static void paging_on(void)
{
	for (unsigned i = 0; i < 1024; i++)
		pd[i] = (i << 22) | 0x83; /* P, R/W, PS */
	__asm__ volatile("mov %0, %%cr3" : : "r"(pd) : "memory");
	wr_cr4(rd_cr4() | CR4_PSE);
	wr_cr0(rd_cr0() | CR0_PG);
}

static void paging_off(uint32_t cr0, uint32_t cr4)
{
	wr_cr0(cr0);
	wr_cr4(cr4);
}

/* An operation expected to #GP; QEMU's TCG takes some silently. */
static void expect_gp(const char *name, unsigned v, const char *qemu_why)
{
	if (v == NOFAULT && qemu_why)
		pc_deviation(name, qemu_why);
	else
		pc_check(v == 13, name, "vector %x", v);
}

/*
 * QEMU 7.2's TCG hangs on a MOV to CR4 that raises #GP: no exception is
 * delivered and the CPU spins (seen with -d int: nothing logged). Under
 * it (CPUID says "TCGTCGTCGTCG" at 40000000H) such a write is not tried,
 * and the check is a DEVIATION. tdpsim reports no hypervisor (cpuid.c).
 */
#define NOT_TRIED "not tried: QEMU 7.2's TCG hangs on a MOV to CR4 that raises #GP"
static bool qemu_tcg;

static void check_cr0(void)
{
	uint32_t cr0 = rd_cr0(), cr4 = rd_cr4();
	unsigned v;

	/* PG without PE: with an identity map in CR3, in case it is taken. */
	for (unsigned i = 0; i < 1024; i++)
		pd[i] = (i << 22) | 0x83;
	__asm__ volatile("mov %0, %%cr3" : : "r"(pd) : "memory");
	wr_cr4(cr4 | CR4_PSE);
	v = wr_cr0((cr0 & ~CR0_PE) | CR0_PG);
	paging_off(cr0, cr4);
	expect_gp("cr0-pg-without-pe-gp", v,
		  "QEMU's TCG takes CR0.PG=1 with PE=0 without #GP (no check in "
		  "helper_write_crN)");

	v = wr_cr0(cr0 | CR0_NW);
	wr_cr0(cr0);
	expect_gp("cr0-nw-without-cd-gp", v,
		  "QEMU's TCG takes CR0.NW=1 with CD=0 without #GP (no check in "
		  "helper_write_crN)");
	v = wr_cr0(cr0 | CR0_NW | CR0_CD);
	wr_cr0(cr0);
	pc_check(v == NOFAULT, "cr0-cd-nw-allowed", "vector %x", v);

	if (!has(0x80000001, EDX, 29)) {
		pc_skip("cr0-pg-lme-without-pae-gp", "CPUID.80000001H:EDX.LM[29]");
		return;
	}
	wrmsr(EFER, rdmsr(EFER) | EFER_LME);
	v = wr_cr0(cr0 | CR0_PG);
	bool pg = rd_cr0() & CR0_PG;
	if (pg)
		wr_cr0(cr0); /* leave IA-32e mode (compatibility mode, identity map) */
	wrmsr(EFER, rdmsr(EFER) & ~EFER_LME);
	if (v == NOFAULT && !pg)
		pc_deviation("cr0-pg-lme-without-pae-gp",
			     "QEMU leaves CR0 unchanged without #GP (cpu_x86_update_cr0: "
			     "'XXX: should raise GPF')");
	else
		pc_check(v == 13, "cr0-pg-lme-without-pae-gp", "vector %x, CR0.PG %u", v, pg);
}

/* CR4 bits, set alone: #GP exactly when CPUID lacks the feature. */
static const struct {
	const char *name;
	uint8_t bit;
	uint32_t leaf; /* 0: always there */
	uint8_t reg, fbit;
} cr4_bits[] = {
	{ "vme", 0, 1, EDX, 1 },	 { "pvi", 1, 1, EDX, 1 },	{ "tsd", 2, 1, EDX, 4 },
	{ "de", 3, 1, EDX, 2 },		 { "pse", 4, 1, EDX, 3 },	{ "pae", 5, 1, EDX, 6 },
	{ "mce", 6, 1, EDX, 7 },	 { "pge", 7, 1, EDX, 13 },	{ "pce", 8, 0, 0, 0 },
	{ "osfxsr", 9, 1, EDX, 24 },	 { "osxmmexcpt", 10, 1, EDX, 25 }, { "umip", 11, 7, ECX, 2 },
	{ "la57", 12, 7, ECX, 16 },	 { "vmxe", 13, 1, ECX, 5 },	{ "smxe", 14, 1, ECX, 6 },
	{ "fsgsbase", 16, 7, EBX, 0 },	 { "osxsave", 18, 1, ECX, 26 }, { "kl", 19, 7, ECX, 23 },
	{ "smep", 20, 7, EBX, 7 },	 { "smap", 21, 7, EBX, 20 },	{ "pke", 22, 7, ECX, 3 },
	{ "cet", 23, 7, ECX, 7 },	 { "pks", 24, 7, ECX, 31 },
};

static void check_cr4(void)
{
	uint32_t cr0 = rd_cr0(), cr4 = rd_cr4();
	static const uint8_t reserved[] = { 25, 26, 27, 28, 29, 30, 31, 15 };
	unsigned bad = NOFAULT, v;
	char name[40];

	if (qemu_tcg) {
		pc_deviation("cr4-reserved-bits-gp", NOT_TRIED);
	} else {
		for (unsigned i = 0; i < sizeof(reserved); i++)
			if (wr_cr4(cr4 | (1u << reserved[i])) != 13) {
				bad = reserved[i];
				wr_cr4(cr4);
			}
		pc_check(bad == NOFAULT, "cr4-reserved-bits-gp", "bit %u taken", bad);
	}

	/* CR4.CET needs CR0.WP=1 (Vol. 3A 2.5): keep WP on for the loop. */
	wr_cr0(cr0 | CR0_WP);
	for (unsigned i = 0; i < sizeof(cr4_bits) / sizeof(cr4_bits[0]); i++) {
		bool want = cr4_bits[i].leaf == 0 ||
			    has(cr4_bits[i].leaf, cr4_bits[i].reg, cr4_bits[i].fbit);
		uint32_t bit = 1u << cr4_bits[i].bit;

		if (cr4 & bit)
			continue; /* already set (none is, with paging off) */
		memcpy(name, "cr4-", 4);
		memcpy(name + 4, cr4_bits[i].name, strlen(cr4_bits[i].name));
		memcpy(name + 4 + strlen(cr4_bits[i].name), "-follows-cpuid", 15);
		if (!want && qemu_tcg) {
			pc_deviation(name, NOT_TRIED);
			continue;
		}
		v = wr_cr4(cr4 | bit);
		wr_cr4(cr4);
		pc_check(want ? v == NOFAULT : v == 13, name, "vector %x with the feature %s", v,
			 want ? "reported" : "absent");
	}
	wr_cr0(cr0);

	if (qemu_tcg) {
		pc_deviation("cr4-pcide-outside-ia32e-gp", NOT_TRIED);
		return;
	}
	v = wr_cr4(cr4 | CR4_PCIDE);
	wr_cr4(cr4);
	pc_check(v == 13, "cr4-pcide-outside-ia32e-gp", "vector %x", v);
}

static void check_efer(void)
{
	uint64_t efer = rdmsr(EFER), got;
	uint32_t cr0 = rd_cr0(), cr4 = rd_cr4();
	static const uint8_t reserved[] = { 1, 2, 3, 4, 5, 6, 7, 9, 16, 31, 32, 63 };
	unsigned bad = NOFAULT, v;
	static const struct {
		const char *name;
		uint64_t bit;
		uint32_t leaf;
		uint8_t reg, fbit;
	} feats[] = {
		{ "efer-sce-follows-cpuid", EFER_SCE, 0x80000001, EDX, 11 },
		{ "efer-lme-follows-cpuid", EFER_LME, 0x80000001, EDX, 29 },
		{ "efer-nxe-follows-cpuid", EFER_NXE, 0x80000001, EDX, 20 },
		{ "efer-svme-follows-cpuid", 1ull << 12, 0x80000001, ECX, 2 },
		{ "efer-ffxsr-follows-cpuid", 1ull << 14, 0x80000001, EDX, 25 },
		{ "efer-tce-follows-cpuid", 1ull << 15, 0x80000001, ECX, 17 },
	};

	for (unsigned i = 0; i < sizeof(reserved); i++) {
		v = try_wrmsr(EFER, efer | (1ull << reserved[i]));
		if (v != 13) {
			bad = reserved[i];
			wrmsr(EFER, efer);
		}
	}
	if (bad != NOFAULT && rdmsr(EFER) == efer)
		pc_deviation("efer-reserved-bits-gp",
			     "QEMU drops reserved EFER bits without #GP (helper_wrmsr's "
			     "update_mask)");
	else
		pc_check(bad == NOFAULT, "efer-reserved-bits-gp", "bit %u taken", bad);

	for (unsigned i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		bool want = has(feats[i].leaf, feats[i].reg, feats[i].fbit);

		v = try_wrmsr(EFER, efer | feats[i].bit);
		got = rdmsr(EFER);
		wrmsr(EFER, efer);
		if (!want && v == NOFAULT && got == efer)
			pc_deviation(feats[i].name, "QEMU drops an EFER bit it lacks the feature "
						    "for, without #GP");
		else
			pc_check(want ? v == NOFAULT && (got & feats[i].bit) : v == 13,
				 feats[i].name, "vector %x, EFER %llx", v, got);
	}

	v = try_wrmsr(EFER, efer | EFER_LMA);
	got = rdmsr(EFER);
	wrmsr(EFER, efer);
	pc_check(v == NOFAULT && !(got & EFER_LMA), "efer-lma-read-only", "vector %x, EFER %llx",
		 v, got);

	if (!has(0x80000001, EDX, 29)) {
		pc_skip("efer-lme-with-paging-gp", "CPUID.80000001H:EDX.LM[29]");
		return;
	}
	paging_on();
	v = try_wrmsr(EFER, efer | EFER_LME);
	got = rdmsr(EFER);
	paging_off(cr0, cr4);
	wrmsr(EFER, efer);
	if (v == NOFAULT)
		pc_deviation("efer-lme-with-paging-gp",
			     "QEMU's TCG changes EFER.LME with paging on, without #GP");
	else
		pc_check(v == 13, "efer-lme-with-paging-gp", "vector %x, EFER %llx", v, got);
}

#define QEMU_NO_GP "QEMU's TCG takes it without #GP (helper_wrmsr/helper_rdmsr: no check)"

static void check_unknown(void)
{
	uint64_t v;

	expect_gp("msr-unknown-rdmsr-gp", try_rdmsr(0xcafeu, &v),
		  "QEMU's TCG reads 0 from an MSR it does not know (helper_rdmsr: "
		  "'XXX: exception?')");
	expect_gp("msr-unknown-wrmsr-gp", try_wrmsr(0xc0001234u, 1), QEMU_NO_GP);
}

#define MTRRCAP 0xfe
#define MTRR_BASE(n) (0x200 + 2 * (n))
#define MTRR_MASK(n) (0x201 + 2 * (n))
#define MTRR_FIX4K_C0000 0x268
#define MTRR_DEF 0x2ff
#define PAT 0x277

static void check_mtrr(void)
{
	uint64_t cap, save[2], b, m, fix, def, pat;
	unsigned n, maxphy;

	if (!has(1, EDX, 12)) {
		pc_skip("mtrr", "CPUID.1:EDX.MTRR[12]");
		return;
	}
	cap = rdmsr(MTRRCAP);
	n = cap & 0xff;
	pc_check(n >= 1 && (cap & (1u << 8)), "mtrr-cap-vcnt-fixed", "MTRRcap %llx", cap);
	expect_gp("mtrr-cap-read-only-gp", try_wrmsr(MTRRCAP, cap), QEMU_NO_GP);
	maxphy = cpuid(0x80000008, 0).a & 0xff;

	/* The last variable range: round trip, then bad values. */
	save[0] = rdmsr(MTRR_BASE(n - 1));
	save[1] = rdmsr(MTRR_MASK(n - 1));
	try_wrmsr(MTRR_BASE(n - 1), 0x7000000ull | 4 /* WT */);
	try_wrmsr(MTRR_MASK(n - 1), (((1ull << maxphy) - 1) & ~0xffffffull) | 0x800);
	b = rdmsr(MTRR_BASE(n - 1));
	m = rdmsr(MTRR_MASK(n - 1));
	pc_check(b == (0x7000000ull | 4) && m == ((((1ull << maxphy) - 1) & ~0xffffffull) | 0x800),
		 "mtrr-var-round-trip", "base %llx mask %llx", b, m);
	expect_gp("mtrr-var-bad-type-gp", try_wrmsr(MTRR_BASE(n - 1), 0x7000000ull | 2),
		  QEMU_NO_GP);
	expect_gp("mtrr-var-base-reserved-gp", try_wrmsr(MTRR_BASE(n - 1), 0x7000100ull | 6),
		  QEMU_NO_GP);
	expect_gp("mtrr-var-mask-reserved-gp", try_wrmsr(MTRR_MASK(n - 1), 0xff0000801ull),
		  QEMU_NO_GP);
	expect_gp("mtrr-var-above-maxphyaddr-gp",
		  try_wrmsr(MTRR_BASE(n - 1), (1ull << maxphy) | 6), QEMU_NO_GP);
	wrmsr(MTRR_BASE(n - 1), save[0]);
	wrmsr(MTRR_MASK(n - 1), save[1]);

	fix = rdmsr(MTRR_FIX4K_C0000);
	try_wrmsr(MTRR_FIX4K_C0000, 0x0605040100060504ull);
	b = rdmsr(MTRR_FIX4K_C0000);
	pc_check(b == 0x0605040100060504ull, "mtrr-fixed-round-trip", "%llx", b);
	expect_gp("mtrr-fixed-bad-type-gp", try_wrmsr(MTRR_FIX4K_C0000, 0x0606060606060603ull),
		  QEMU_NO_GP);
	wrmsr(MTRR_FIX4K_C0000, fix);

	def = rdmsr(MTRR_DEF);
	try_wrmsr(MTRR_DEF, 0xc00 | 0);
	b = rdmsr(MTRR_DEF);
	pc_check(b == 0xc00, "mtrr-def-type-round-trip", "%llx", b);
	expect_gp("mtrr-def-type-reserved-gp", try_wrmsr(MTRR_DEF, 0xe06), QEMU_NO_GP);
	expect_gp("mtrr-def-type-bad-type-gp", try_wrmsr(MTRR_DEF, 0xc07), QEMU_NO_GP);
	wrmsr(MTRR_DEF, def);

	if (!has(1, EDX, 16)) {
		pc_skip("pat", "CPUID.1:EDX.PAT[16]");
		return;
	}
	pat = rdmsr(PAT);
	pc_check(pat == 0x0007040600070406ull, "pat-reset-value", "%llx", pat);
	try_wrmsr(PAT, 0x0001050400070406ull);
	b = rdmsr(PAT);
	pc_check(b == 0x0001050400070406ull, "pat-round-trip", "%llx", b);
	expect_gp("pat-type-2-gp", try_wrmsr(PAT, 0x0007040600070402ull), QEMU_NO_GP);
	expect_gp("pat-type-3-gp", try_wrmsr(PAT, 0x0307040600070406ull), QEMU_NO_GP);
	expect_gp("pat-type-8-gp", try_wrmsr(PAT, 0x0007040600080406ull), QEMU_NO_GP);
	wrmsr(PAT, pat);
}

#define MCG_CAP 0x179
#define MC0_CTL 0x400
#define MC0_STATUS 0x401
#define BIOS_SIGN_ID 0x8b

static void check_mca(void)
{
	uint64_t cap, v = 0;

	if (!has(1, EDX, 14)) {
		pc_skip("mca", "CPUID.1:EDX.MCA[14]");
		return;
	}
	cap = rdmsr(MCG_CAP);
	pc_check((cap & 0xff) >= 1, "mcg-cap-banks", "MCG_CAP %llx", cap);
	expect_gp("mcg-cap-read-only-gp", try_wrmsr(MCG_CAP, cap), QEMU_NO_GP);
	pc_check(try_wrmsr(MC0_CTL, ~0ull) == NOFAULT && rdmsr(MC0_CTL) == ~0ull,
		 "mc0-ctl-all-ones", "MC0_CTL %llx", rdmsr(MC0_CTL));
	expect_gp("mc0-ctl-other-value-gp", try_wrmsr(MC0_CTL, 5), QEMU_NO_GP);
	unsigned f = try_wrmsr(MC0_STATUS, 0);

	unsigned g = try_rdmsr(MC0_STATUS, &v);

	pc_check(f == NOFAULT && g == NOFAULT && v == 0, "mc0-status-write-zero", "MC0_STATUS %llx", v);
	expect_gp("mc0-status-nonzero-gp", try_wrmsr(MC0_STATUS, 1), QEMU_NO_GP);
	wrmsr(MC0_STATUS, 0);
}

static void check_ucode(void)
{
	uint64_t v = 0;

	/* Vol. 3A 10.11.7.1: write 0, CPUID(1), read the revision. */
	wrmsr(BIOS_SIGN_ID, 0);
	cpuid(1, 0);
	unsigned f = try_rdmsr(BIOS_SIGN_ID, &v);
	/* Intel: the revision in 63:32; AMD (PATCH_LEVEL, APM Vol. 2): 31:0. */
	uint64_t rev = cpuid(0, 0).b == 0x68747541 /* "Auth" */ ? (uint32_t)v : v >> 32;

	pc_check(f == NOFAULT && rev != 0, "ucode-revision", "BIOS_SIGN_ID %llx", v);
}

#define TSC_AUX 0xc0000103u
#define FS_BASE 0xc0000100u
#define KERNEL_GS_BASE 0xc0000102u
#define LSTAR 0xc0000082u
#define SYSENTER_EIP 0x176u

static unsigned rdtscp(uint32_t *aux)
{
	uint32_t lo, hi;

	pc_caught = NOFAULT;
	__asm__ volatile("movl $1f, %[r]\n\trdtscp\n1:"
			 : [r] "=m"(pc_resume), "=a"(lo), "=d"(hi), "=c"(*aux)
			 : "c"(0)
			 : "memory");
	return pc_caught;
}

static void check_tsc_aux(void)
{
	bool rdtscp_ok = has(0x80000001, EDX, 27);
	uint32_t aux = 0;
	unsigned v;

	if (rdtscp_ok)
		wrmsr(TSC_AUX, 0x1234);
	v = rdtscp(&aux);
	pc_check(rdtscp_ok ? v == NOFAULT && aux == 0x1234 : v == 6, "rdtscp-follows-cpuid",
		 "vector %x, ECX %x", v, aux);
	/* Bits 63:32 are reserved; without RDTSCP the MSR does not exist. */
	expect_gp("tsc-aux-write-gp", try_wrmsr(TSC_AUX, rdtscp_ok ? 1ull << 32 : 1), QEMU_NO_GP);
	if (rdtscp_ok)
		wrmsr(TSC_AUX, 0);
}

static void check_canonical(void)
{
	static const struct {
		const char *name;
		uint32_t msr, leaf;
		uint8_t reg, fbit;
	} m[] = {
		{ "fs-base-noncanonical-gp", FS_BASE, 0x80000001, EDX, 29 },
		{ "kernel-gs-base-noncanonical-gp", KERNEL_GS_BASE, 0x80000001, EDX, 29 },
		{ "lstar-noncanonical-gp", LSTAR, 0x80000001, EDX, 29 },
		{ "sysenter-eip-noncanonical-gp", SYSENTER_EIP, 0x80000001, EDX, 29 },
	};

	for (unsigned i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		uint64_t old;

		if (!has(m[i].leaf, m[i].reg, m[i].fbit)) {
			pc_skip(m[i].name, "CPUID.80000001H:EDX.LM[29]");
			continue;
		}
		old = rdmsr(m[i].msr);
		expect_gp(m[i].name, try_wrmsr(m[i].msr, 0x8000000000000000ull), QEMU_NO_GP);
		wrmsr(m[i].msr, old);
	}
}

static unsigned xsetbv(uint32_t idx, uint64_t v)
{
	return PC_TRY("xsetbv", "c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static void check_xsave(void)
{
	bool xsave = has(1, ECX, 26);
	struct cpuid_regs d = cpuid(0xd, 0);
	uint32_t cr4 = rd_cr4();
	unsigned v[4];

	/* Leaf 0DH: x87 and SSE in XCR0's supported mask with XSAVE; a CPU
	 * without XSAVE has no leaf 0DH (zeros, or below the maximum). */
	pc_check(xsave ? (d.a & 3) == 3
		       : cpuid(0, 0).a < 0xd || (d.a == 0 && d.b == 0 && d.c == 0 && d.d == 0),
		 "xsave-cpuid-0d-consistent", "%x %x %x %x", d.a, d.b, d.c, d.d);
	if (xsave)
		wr_cr4(cr4 | CR4_OSXSAVE | (1u << 9) /* OSFXSR */);
	v[0] = xsetbv(0, 3);
	v[1] = xsetbv(0, 2);		   /* XCR0[0] (x87) must be 1 */
	v[2] = xsetbv(0, 3 | (1ull << 62)); /* reserved */
	v[3] = xsetbv(1, 3);		   /* no XCR1 without XGETBV_ECX1 */
	wr_cr4(cr4);
	/* Without XSAVE, CR4.OSXSAVE cannot be set: XSETBV is #UD. */
	pc_check(xsave ? v[0] == NOFAULT : v[0] == 6, "xsetbv-follows-cpuid", "vector %x", v[0]);
	pc_check(xsave ? v[1] == 13 && v[2] == 13 && v[3] == 13
		       : v[1] == 6 && v[2] == 6 && v[3] == 6,
		 "xsetbv-bad-values-gp", "vectors %x %x %x", v[1], v[2], v[3]);
}

void test_main(void)
{
	pc_set_handler(6, pc_catch);
	pc_set_handler(13, pc_catch);
	qemu_tcg = pc_qemu_tcg();
	check_cr0();
	check_cr4();
	check_efer();
	check_unknown();
	check_mtrr();
	check_mca();
	check_ucode();
	check_tsc_aux();
	check_canonical();
	check_xsave();
}
