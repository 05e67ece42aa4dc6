/*
 * The levels 1 to 4 that 4-level and 5-level paging share (SDM Vol. 3A 4.5,
 * Tables 4-15..4-20). Both format files include this initializer, so the two
 * formats cannot drift apart.
 */
#ifndef TDPSIM_PAGING_FMT_LONGMODE_H
#define TDPSIM_PAGING_FMT_LONGMODE_H

#include "bits.h"
#include "format.h"

#define PG_LONGMODE_LEVELS_1_TO_4                                                   \
	[1] = { .name = "PTE", .shift = 12, .index_bits = 9, .ps = PG_PS_NA,        \
		.has_perm = true, .has_a = true },                                  \
	[2] = { .name = "PDE", .shift = 21, .index_bits = 9, .ps = PG_PS_ALWAYS,    \
		.has_perm = true, .has_a = true,                                    \
		.rsvd_large = GENMASK64(20, 13) },                                  \
	[3] = { .name = "PDPTE", .shift = 30, .index_bits = 9, .ps = PG_PS_1G,      \
		.has_perm = true, .has_a = true,                                    \
		.rsvd_large = GENMASK64(29, 13) },                                  \
	[4] = { .name = "PML4E", .shift = 39, .index_bits = 9, .ps = PG_PS_RSVD,    \
		.has_perm = true, .has_a = true }

#endif
