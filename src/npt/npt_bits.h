/*
 * Named bits of AMD nested paging's #NPF exit information (APM Vol. 2
 * 15.25.6, "Nested Page Fault (#NPF)"). EXITINFO1 holds a #PF-style error
 * code in its low bits plus where the fault happened; EXITINFO2 holds the
 * faulting guest-physical address.
 */
#ifndef TDPSIM_NPT_BITS_H
#define TDPSIM_NPT_BITS_H

#include "paging/bits.h"

#define NPF_P          BIT64(0)  /* the nested entry was present (protection/reserved) */
#define NPF_RW         BIT64(1)  /* the access was a write */
#define NPF_US         BIT64(2)  /* always 1: nested accesses are user accesses (APM 15.25.5) */
#define NPF_RSVD       BIT64(3)  /* a reserved bit was set in a nested entry */
#define NPF_ID         BIT64(4)  /* the access was an instruction fetch */
#define NPF_FINAL      BIT64(32) /* fault translating the guest's final physical address */
#define NPF_GUEST_PT   BIT64(33) /* fault translating a guest page-table access */

static_assert((NPF_FINAL & NPF_GUEST_PT) == 0, "NPF stage bits overlap");

#endif
