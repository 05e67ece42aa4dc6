/*
 * Named bits of Intel EPT: the EPT pointer, EPT paging-structure entries and
 * the EPT-violation exit qualification (SDM Vol. 3C 29.3, "The Extended Page
 * Table Mechanism", Tables 29-1..29-7 and 28-7 in the 2023+ numbering;
 * 28.2 / 27-7 in older editions).
 */
#ifndef TDPSIM_EPT_BITS_H
#define TDPSIM_EPT_BITS_H

#include "paging/bits.h"

/* EPTP (SDM 25.6.11, "Extended-Page-Table Pointer") */
#define EPTP_MT        GENMASK64(2, 0)  /* memory type of the EPT structures: 0 UC or 6 WB */
#define EPTP_PWL_SHIFT 3
#define EPTP_PWL       GENMASK64(5, 3)  /* page-walk length - 1: 3 (4-level) or 4 (5-level) */
#define EPTP_AD        BIT64(6)         /* enable accessed and dirty flags */
#define EPTP_SSS       BIT64(7)         /* supervisor shadow-stack pages */
#define EPTP_ADDR      GENMASK64(51, 12)

/* EPT paging-structure entries (SDM Tables 29-1..29-6) */
#define EPTE_R    BIT64(0)  /* reads allowed */
#define EPTE_W    BIT64(1)  /* writes allowed */
#define EPTE_X    BIT64(2)  /* fetches allowed (supervisor-mode linear addresses with MBEC) */
#define EPTE_RWX  (EPTE_R | EPTE_W | EPTE_X)
#define EPTE_MT_SHIFT 3
#define EPTE_MT   GENMASK64(5, 3) /* leaf memory type; 2, 3, 7 are misconfigurations */
#define EPTE_IPAT BIT64(6)  /* leaf: ignore guest PAT */
#define EPTE_PS   BIT64(7)  /* PDE/PDPTE: maps a 2 MiB / 1 GiB page */
#define EPTE_A    BIT64(8)  /* accessed, when EPTP.AD=1 */
#define EPTE_D    BIT64(9)  /* dirty, leaves, when EPTP.AD=1 */
#define EPTE_XU   BIT64(10) /* user-mode execute, with mode-based execute control */
#define EPTE_SVE  BIT64(63) /* suppress #VE */

static_assert((EPTE_MT & (EPTE_RWX | EPTE_IPAT | EPTE_PS)) == 0, "EPT MT overlaps");
static_assert((EPTE_A | EPTE_D | EPTE_XU) == GENMASK64(10, 8), "EPT A/D/XU layout");

/* EPT-violation exit qualification (SDM Table 28-7) */
#define EPTQ_READ       BIT64(0)  /* the access was a data read */
#define EPTQ_WRITE      BIT64(1)  /* the access was a data write */
#define EPTQ_FETCH      BIT64(2)  /* the access was an instruction fetch */
#define EPTQ_READABLE   BIT64(3)  /* AND of bit 0 of the EPT entries walked */
#define EPTQ_WRITABLE   BIT64(4)  /* AND of bit 1 */
#define EPTQ_EXEC       BIT64(5)  /* AND of bit 2 */
#define EPTQ_EXEC_USER  BIT64(6)  /* AND of bit 10, with mode-based execute control */
#define EPTQ_GLA_VALID  BIT64(7)  /* guest linear-address field valid (not for PDPTE loads) */
#define EPTQ_GLA_FINAL  BIT64(8)  /* with bit 7: the access was to the final GPA, not a guest table */
#define EPTQ_USER       BIT64(9)  /* with bits 7,8 and advanced info: user-mode linear address */
#define EPTQ_RW_LINEAR  BIT64(10) /* ... the linear address is read/write */
#define EPTQ_XD_LINEAR  BIT64(11) /* ... the linear address is execute-disable */

#endif
