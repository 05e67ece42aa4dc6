/*
 * Named architectural bits used by the guest paging engine.
 *
 * Every mask carries the manual section that defines it. Entry bits are
 * shared by all x86 paging formats (32-bit entries use the low 32 bits);
 * format-specific meanings (PS vs PAT at level 1, PSE-36 high address bits)
 * are described by the format descriptors in fmt_*.c, not here.
 */
#ifndef TDPSIM_PAGING_BITS_H
#define TDPSIM_PAGING_BITS_H

#include <assert.h>
#include <stdint.h>

#define BIT64(n) (UINT64_C(1) << (n))
/* Bits h..l inclusive, h >= l; GENMASK64(l-1, l) is 0 so empty ranges work. */
#define GENMASK64(h, l) \
	((int)(h) < (int)(l) ? UINT64_C(0)                                        \
			     : ((~UINT64_C(0) >> (63 - (int)(h))) & (~UINT64_C(0) << (int)(l))))

/* Paging-structure entry bits: SDM Vol. 3A 4.3 (Tables 4-4..4-8), 4.4.2
 * (Tables 4-10..4-11), 4.5 (Tables 4-14..4-20); APM Vol. 2 5.4. */
#define PTE_P    BIT64(0)  /* present */
#define PTE_RW   BIT64(1)  /* writes allowed */
#define PTE_US   BIT64(2)  /* user-mode accesses allowed */
#define PTE_PWT  BIT64(3)  /* page-level write-through */
#define PTE_PCD  BIT64(4)  /* page-level cache disable */
#define PTE_A    BIT64(5)  /* accessed (SDM 4.8) */
#define PTE_D    BIT64(6)  /* dirty, leaf entries only (SDM 4.8) */
#define PTE_PS   BIT64(7)  /* page size, non-level-1 entries; PAT at level 1 */
#define PTE_PAT4K BIT64(7) /* PAT bit of a 4 KiB PTE */
#define PTE_G    BIT64(8)  /* global, leaf entries, when CR4.PGE=1 (SDM 4.10.2.4) */
#define PTE_PAT_LARGE BIT64(12) /* PAT bit of a 2M/4M/1G leaf */
#define PTE_PK_SHIFT 59    /* protection key, 62:59 of leaves (SDM 4.6.2) */
#define PTE_PK   GENMASK64(62, 59)
#define PTE_XD   BIT64(63) /* execute-disable when EFER.NXE=1, else reserved */

static_assert((PTE_PK & PTE_XD) == 0, "PK and XD overlap");
static_assert((PTE_PAT_LARGE & (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_PS | PTE_G)) == 0,
	      "large-page PAT overlaps a flag bit");

/* CR0: SDM Vol. 3A 2.5 */
#define CR0_PE BIT64(0)
#define CR0_WP BIT64(16) /* supervisor writes honour R/W (SDM 4.6.1) */
#define CR0_PG BIT64(31)

/* CR3: SDM Vol. 3A 4.3 (32-bit), 4.4.1 (PAE: 31:5), 4.5 (PCID 11:0, bit 63 no-flush) */
#define CR3_PWT BIT64(3)
#define CR3_PCD BIT64(4)
#define CR3_PCID GENMASK64(11, 0)
#define CR3_NOFLUSH BIT64(63)

/* CR4: SDM Vol. 3A 2.5 */
#define CR4_PSE   BIT64(4)
#define CR4_PAE   BIT64(5)
#define CR4_PGE   BIT64(7)
#define CR4_LA57  BIT64(12)
#define CR4_PCIDE BIT64(17)
#define CR4_SMEP  BIT64(20)
#define CR4_SMAP  BIT64(21)
#define CR4_PKE   BIT64(22)
#define CR4_PKS   BIT64(24)

/* IA32_EFER: SDM Vol. 3A 2.2.1 */
#define EFER_SCE BIT64(0)
#define EFER_LME BIT64(8)
#define EFER_LMA BIT64(10)
#define EFER_NXE BIT64(11)

/* RFLAGS */
#define RFLAGS_AC BIT64(18) /* alignment check / SMAP override (SDM 4.6.1) */

/* #PF error code: SDM Vol. 3A 4.7, Figure 4-12 */
#define PFEC_P    (1u << 0) /* 0: no translation (P=0 somewhere); 1: protection/reserved */
#define PFEC_WR   (1u << 1) /* the access was a write */
#define PFEC_US   (1u << 2) /* the access was a user-mode access */
#define PFEC_RSVD (1u << 3) /* a reserved bit was set in some entry */
#define PFEC_ID   (1u << 4) /* instruction fetch (only with SMEP or PAE+NXE) */
#define PFEC_PK   (1u << 5) /* protection-key violation */

/* Exception vectors */
#define X86_VEC_SS 12
#define X86_VEC_GP 13
#define X86_VEC_PF 14

#endif
