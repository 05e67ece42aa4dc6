/*
 * x86 architectural names, each defined once, with where the manual
 * defines it (Intel SDM, Dec 2022 numbering; AMD APM where AMD's). Every
 * module that needs a control-register bit, an exception vector, an MSR
 * index or a memory type takes it from here.
 *
 * Simulator-side encodings (QEMU's hflags, descriptor-cache flags, the
 * engine's own fault stages) are not architectural and live with their
 * owners.
 */
#ifndef TDPSIM_ARCH_X86_H
#define TDPSIM_ARCH_X86_H

#include <assert.h>
#include <stdint.h>

#define BIT64(n) (UINT64_C(1) << (n))
/* Bits h..l inclusive, h >= l; GENMASK64(l-1, l) is 0 so empty ranges work. */
#define GENMASK64(h, l) \
	((int)(h) < (int)(l) ? UINT64_C(0)                                        \
			     : ((~UINT64_C(0) >> (63 - (int)(h))) & (~UINT64_C(0) << (int)(l))))

/* CR0: SDM Vol. 3A 2.5, Figure 2-7. */
#define CR0_PE BIT64(0)	 /* protection enable */
#define CR0_MP BIT64(1)	 /* monitor coprocessor */
#define CR0_EM BIT64(2)	 /* x87 emulation */
#define CR0_TS BIT64(3)	 /* task switched */
#define CR0_ET BIT64(4)	 /* extension type: reads as 1 */
#define CR0_NE BIT64(5)	 /* numeric error */
#define CR0_WP BIT64(16) /* supervisor writes honour R/W (SDM 4.6.1) */
#define CR0_AM BIT64(18) /* alignment mask */
#define CR0_NW BIT64(29) /* not write-through */
#define CR0_CD BIT64(30) /* cache disable */
#define CR0_PG BIT64(31) /* paging */
/* Bits MOV to CR0 may set; the others of 63:0 are reserved: #GP(0) if set
 * (bits 63:32), ignored on write for 31:0 (Vol. 2B MOV—Move to/from
 * Control Registers; Vol. 3A 2.5). */
#define CR0_DEFINED                                                                                \
	(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW |        \
	 CR0_CD | CR0_PG)

/* CR3: SDM Vol. 3A 4.3 (32-bit), 4.4.1 (PAE: 31:5), 4.5 (PCID 11:0, bit 63
 * no-flush on MOV with CR4.PCIDE=1, 4.10.4.1). */
#define CR3_PWT	    BIT64(3)
#define CR3_PCD	    BIT64(4)
#define CR3_PCID    GENMASK64(11, 0)
#define CR3_NOFLUSH BIT64(63)

/* CR4: SDM Vol. 3A 2.5, Figure 2-7. */
#define CR4_VME	       BIT64(0)
#define CR4_PVI	       BIT64(1)
#define CR4_TSD	       BIT64(2)
#define CR4_DE	       BIT64(3)
#define CR4_PSE	       BIT64(4)
#define CR4_PAE	       BIT64(5)
#define CR4_MCE	       BIT64(6)
#define CR4_PGE	       BIT64(7)
#define CR4_PCE	       BIT64(8)
#define CR4_OSFXSR     BIT64(9)
#define CR4_OSXMMEXCPT BIT64(10)
#define CR4_UMIP       BIT64(11)
#define CR4_LA57       BIT64(12) /* 5-level paging (SDM 4.1.1) */
#define CR4_VMXE       BIT64(13)
#define CR4_SMXE       BIT64(14)
#define CR4_FSGSBASE   BIT64(16)
#define CR4_PCIDE      BIT64(17)
#define CR4_OSXSAVE    BIT64(18)
#define CR4_KL	       BIT64(19)
#define CR4_SMEP       BIT64(20)
#define CR4_SMAP       BIT64(21)
#define CR4_PKE	       BIT64(22)
#define CR4_CET	       BIT64(23)
#define CR4_PKS	       BIT64(24)
/* Bits with a meaning in this SDM; the rest of 63:0 are reserved, #GP(0)
 * on MOV to CR4 (Vol. 2B MOV—Move to/from Control Registers). */
#define CR4_DEFINED (GENMASK64(14, 0) | GENMASK64(24, 16))

/* CR8 (64-bit mode only): the task-priority class, bits 3:0; 63:4 are
 * reserved (SDM Vol. 3A 2.5, 11.8.6.5). */
#define CR8_TPR GENMASK64(3, 0)

/* IA32_EFER: SDM Vol. 3A 2.2.1, Figure 2-4; APM Vol. 2 3.1.7. */
#define EFER_SCE  BIT64(0)  /* SYSCALL enable */
#define EFER_LME  BIT64(8)  /* IA-32e mode enable */
#define EFER_LMA  BIT64(10) /* IA-32e mode active (read-only on Intel) */
#define EFER_NXE  BIT64(11) /* execute-disable enable */
#define EFER_SVME BIT64(12) /* AMD: SVM enable */
#define EFER_LMSLE BIT64(13) /* AMD: long-mode segment limit enable */
#define EFER_FFXSR BIT64(14) /* AMD: fast FXSAVE/FXRSTOR */
#define EFER_TCE  BIT64(15) /* AMD: translation cache extension */
/* What IA32_EFER.LMA follows: IA-32e mode is active when paging is on
 * with LME set (SDM Vol. 3A 10.8.5). */

/* RFLAGS: SDM Vol. 1 3.4.3, Figure 3-8. */
#define RFLAGS_CF    BIT64(0)
#define RFLAGS_FIXED BIT64(1) /* always reads 1 */
#define RFLAGS_TF    BIT64(8)
#define RFLAGS_IF    BIT64(9)
#define RFLAGS_IOPL  (UINT64_C(3) << 12)
#define RFLAGS_NT    BIT64(14)
#define RFLAGS_RF    BIT64(16)
#define RFLAGS_VM    BIT64(17)
#define RFLAGS_AC    BIT64(18) /* alignment check / SMAP override (SDM 4.6.1) */

/* Exception and interrupt vectors: SDM Vol. 3A 6.3.1, Table 6-1. */
#define X86_VEC_DE  0
#define X86_VEC_DB  1
#define X86_VEC_NMI 2
#define X86_VEC_BP  3
#define X86_VEC_OF  4
#define X86_VEC_BR  5
#define X86_VEC_UD  6
#define X86_VEC_NM  7
#define X86_VEC_DF  8
#define X86_VEC_TS  10
#define X86_VEC_NP  11
#define X86_VEC_SS  12
#define X86_VEC_GP  13
#define X86_VEC_PF  14
#define X86_VEC_MF  16
#define X86_VEC_AC  17
#define X86_VEC_MC  18
#define X86_VEC_XM  19
#define X86_VEC_VE  20
#define X86_VEC_CP  21

/* Debug registers: SDM Vol. 3A 18.2. */
#define DR6_B(n)    BIT64(n)  /* breakpoint n condition met */
#define DR6_BD	    BIT64(13) /* debug-register access detected */
#define DR6_BS	    BIT64(14) /* single step */
#define DR6_BT	    BIT64(15) /* task switch */
#define DR6_RTM	    BIT64(16) /* 0 in an RTM region; 1 otherwise */
#define DR6_INIT    UINT64_C(0xffff0ff0) /* value at reset (Table 9-1) */
#define DR7_L(n)    BIT64(2 * (n))	       /* local enable of breakpoint n */
#define DR7_G(n)    BIT64(2 * (n) + 1)	       /* global enable */
#define DR7_GD	    BIT64(13)		       /* general detect */
#define DR7_RW_SHIFT(n)	 (16 + 4 * (n))	       /* R/W field: 00 exec, 01 write, 10 I/O, 11 r/w */
#define DR7_LEN_SHIFT(n) (18 + 4 * (n))	       /* LEN field: 00 1, 01 2, 11 4, 10 8 bytes */
#define DR7_FIXED1  BIT64(10)		       /* reads as 1 */
#define DR7_INIT    UINT64_C(0x400)
/* DR6 bits a MOV may change (B0-B3, BD, BS, BT); the others read as
 * DR6_INIT's (no RTM, no bus-lock detection: Vol. 3A 18.2.3). */
#define DR6_VOLATILE (GENMASK64(3, 0) | DR6_BD | DR6_BS | DR6_BT)
/* DR7 bits with a meaning (L/G0-3, LE, GE, GD, R/W and LEN 0-3); bits 11,
 * 12, 14 and 15 read as 0, bit 10 as 1 (Vol. 3A 18.2.4). */
#define DR7_VOLATILE (GENMASK64(9, 0) | DR7_GD | GENMASK64(31, 16))
#define DR7_ENABLED(v, n) (((v) >> (2 * (n))) & 3)
#define DR7_RW(v, n)  (((v) >> DR7_RW_SHIFT(n)) & 3)
#define DR7_LEN(v, n) (((v) >> DR7_LEN_SHIFT(n)) & 3)
#define DR7_RW_EXEC 0
#define DR7_RW_WRITE 1
#define DR7_RW_IO 2 /* with CR4.DE; undefined without it */
#define DR7_RW_RW 3

/* Memory types: SDM Vol. 3A 12.3, Table 12-2 (PAT, MTRRs, EPT). */
#define X86_MT_UC 0
#define X86_MT_WC 1
#define X86_MT_WT 4
#define X86_MT_WP 5
#define X86_MT_WB 6
#define X86_MT_UCM 7 /* UC- (PAT only) */
/* The encodings an MTRR may hold (Table 12-8), and those PAT takes
 * (Table 12-10): any other value is #GP(0) on WRMSR. */
#define X86_MT_MTRR_VALID(t) ((t) == X86_MT_UC || (t) == X86_MT_WC || ((t) >= X86_MT_WT && (t) <= X86_MT_WB))
#define X86_MT_PAT_VALID(t) (X86_MT_MTRR_VALID(t) || (t) == X86_MT_UCM)

/* MTRRs: SDM Vol. 3A 12.11.1 (IA32_MTRRCAP), 12.11.2.1 (IA32_MTRR_DEF_TYPE),
 * 12.11.2.3 (variable ranges). */
#define MTRRCAP_VCNT   GENMASK64(7, 0)
#define MTRRCAP_FIX    BIT64(8)
#define MTRRCAP_WC     BIT64(10)
#define MTRRCAP_SMRR   BIT64(11)
#define MTRR_DEF_TYPE  GENMASK64(7, 0)
#define MTRR_DEF_FE    BIT64(10) /* fixed ranges enabled */
#define MTRR_DEF_E     BIT64(11) /* MTRRs enabled */
#define MTRR_PHYS_TYPE GENMASK64(7, 0)
#define MTRR_PHYS_VALID BIT64(11) /* in PHYSMASKn */
#define MTRR_PHYS_ADDR GENMASK64(51, 12) /* cut at MAXPHYADDR */

/* IA32_FEATURE_CONTROL: SDM Vol. 4 Table 2-2. */
#define FEATCTL_LOCK BIT64(0)

/* IA32_MISC_ENABLE: SDM Vol. 4 Table 2-2. */
#define MISC_EN_FAST_STRING   BIT64(0)
#define MISC_EN_BTS_UNAVAIL   BIT64(11) /* read-only */
#define MISC_EN_PEBS_UNAVAIL  BIT64(12) /* read-only */
#define MISC_EN_LIMIT_CPUID   BIT64(22) /* CPUID's maximum basic leaf reads as 2 */
#define MISC_EN_XD_DISABLE    BIT64(34) /* hides NX (CPUID.80000001H:EDX[20]) */

/* IA32_MCG_CAP: SDM Vol. 3B 16.3.1.1. */
#define MCG_CAP_COUNT GENMASK64(7, 0)
#define MCG_CAP_CTL_P BIT64(8)

/* MSR indices: SDM Vol. 4, Table 2-2 (architectural MSRs); AMD APM Vol. 2
 * Appendix A where marked. */
#define MSR_IA32_TSC		   0x10u
#define MSR_IA32_PLATFORM_ID	   0x17u
#define MSR_IA32_APIC_BASE	   0x1bu
#define MSR_IA32_FEATURE_CONTROL   0x3au
#define MSR_IA32_TSC_ADJUST	   0x3bu
#define MSR_IA32_SPEC_CTRL	   0x48u
#define MSR_IA32_PRED_CMD	   0x49u
#define MSR_IA32_BIOS_UPDT_TRIG	   0x79u
#define MSR_IA32_BIOS_SIGN_ID	   0x8bu /* microcode update signature (UCODE_REV) */
#define MSR_PLATFORM_INFO	   0xceu /* model-specific (Vol. 4 2.x: MSR_PLATFORM_INFO) */
#define MSR_IA32_MTRRCAP	   0xfeu
#define MSR_IA32_ARCH_CAPABILITIES 0x10au
#define MSR_IA32_SYSENTER_CS	   0x174u
#define MSR_IA32_SYSENTER_ESP	   0x175u
#define MSR_IA32_SYSENTER_EIP	   0x176u
#define MSR_IA32_MCG_CAP	   0x179u
#define MSR_IA32_MCG_STATUS	   0x17au
#define MSR_IA32_MCG_CTL	   0x17bu
#define MSR_IA32_MISC_ENABLE	   0x1a0u
#define MSR_IA32_MTRR_PHYSBASE0	   0x200u /* PHYSBASEn = 0x200 + 2n, PHYSMASKn = 0x201 + 2n */
#define MSR_IA32_MTRR_FIX64K_00000 0x250u
#define MSR_IA32_MTRR_FIX16K_80000 0x258u
#define MSR_IA32_MTRR_FIX16K_A0000 0x259u
#define MSR_IA32_MTRR_FIX4K_C0000  0x268u /* ... FIX4K_F8000 0x26f */
#define MSR_IA32_MTRR_FIX4K_F8000  0x26fu
#define MSR_IA32_PAT		   0x277u
#define MSR_IA32_MTRR_DEF_TYPE	   0x2ffu
#define MSR_IA32_MC0_CTL	   0x400u /* bank n: CTL, STATUS, ADDR, MISC at 0x400 + 4n */
#define MSR_IA32_TSC_DEADLINE	   0x6e0u
#define MSR_IA32_PKRS		   0x6e1u
#define MSR_IA32_X2APIC_FIRST	   0x800u
#define MSR_IA32_X2APIC_LAST	   0x8ffu
#define MSR_IA32_XSS		   0xda0u
#define MSR_IA32_EFER		   0xc0000080u
#define MSR_IA32_STAR		   0xc0000081u
#define MSR_IA32_LSTAR		   0xc0000082u
#define MSR_IA32_CSTAR		   0xc0000083u /* AMD: compatibility-mode SYSCALL target */
#define MSR_IA32_FMASK		   0xc0000084u
#define MSR_IA32_FS_BASE	   0xc0000100u
#define MSR_IA32_GS_BASE	   0xc0000101u
#define MSR_IA32_KERNEL_GS_BASE	   0xc0000102u
#define MSR_IA32_TSC_AUX	   0xc0000103u

static_assert(CR4_DEFINED == UINT64_C(0x1ff7fff), "CR4 bits");
static_assert(CR0_DEFINED == UINT64_C(0xe005003f), "CR0 bits");
static_assert(X86_VEC_PF == 14 && X86_VEC_SS == 12, "vectors");

#endif
