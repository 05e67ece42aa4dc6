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

/* Control registers, EFER, RFLAGS and vectors: the one set of names. */
#include "arch/x86.h"

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

/* #PF error code: SDM Vol. 3A 4.7, Figure 4-12 */
#define PFEC_P    (1u << 0) /* 0: no translation (P=0 somewhere); 1: protection/reserved */
#define PFEC_WR   (1u << 1) /* the access was a write */
#define PFEC_US   (1u << 2) /* the access was a user-mode access */
#define PFEC_RSVD (1u << 3) /* a reserved bit was set in some entry */
#define PFEC_ID   (1u << 4) /* instruction fetch (only with SMEP or PAE+NXE) */
#define PFEC_PK   (1u << 5) /* protection-key violation */

#endif
