/*
 * Intel EPT paging structures (SDM Vol. 3C 29.3.2, Tables 29-1..29-6), as
 * data for the one generic walker. The input address is a guest-physical
 * address: zero-extended, never sign-extended; va_bits is the GPA width a
 * page walk of this length translates (48 for 4-level, 57 for 5-level).
 *
 *   level  name        GPA bits  entry                               manual
 *   5      EPT PML5E   56:48     bits 7:3 reserved                   Table 29-1
 *   4      EPT PML4E   47:39     bits 7:3 reserved                   Table 29-2
 *   3      EPT PDPTE   38:30     PS=1 maps 1 GiB if supported:       Table 29-3
 *                                  bits 29:12 reserved; PS=0: 6:3   Table 29-4
 *   2      EPT PDE     29:21     PS=1 maps 2 MiB: bits 20:12         Table 29-5
 *                                  reserved; PS=0: bits 6:3          Table 29-6
 *   1      EPT PTE     20:12     maps 4 KiB; bit 7 ignored           Table 29-7
 *
 * Every entry is 8 bytes: bit 0 R, 1 W, 2 X (supervisor-mode linear
 * addresses with mode-based execute control), 8 A when EPTP.AD=1, 10 XU
 * (user-mode execute with mode-based execute control), 51:M reserved. Leaves
 * add 5:3 memory type, 6 ignore-PAT, 9 D when EPTP.AD=1 and 63 suppress-#VE
 * (not a reserved bit). Bits 63:52 of non-leaf entries are ignored.
 *
 * Unlike the x86 formats, where a large entry's reserved bits add to the
 * level's, an EPT PS=1 entry reuses bits 6:3 (reserved in a PS=0 entry at
 * the same level) as memory type and ignore-PAT: here rsvd_large is the
 * whole format mask of a PS=1 entry, and ept_mmu_init() uses it alone.
 */
#include "ept_bits.h"
#include "paging/format.h"

/* The entry bits and levels 1..4 that both page-walk lengths share. */
#define EPT_ENTRY_BITS                                                              \
	.family = PG_FAMILY_EPT, .present = EPTE_RWX, .a_bit = EPTE_A, .d_bit = EPTE_D, \
	.perm_and = EPTE_RWX | EPTE_XU, .perm_or = 0, .entry_bytes = 8, .addr_bits = 52, \
	.rsvd_top = 51, .nx = false, .pk = false, .top_in_regs = false,               \
	.cr3_addr = EPTP_ADDR

#define EPT_LEVELS_1_TO_4                                                           \
	[1] = { .name = "EPT PTE", .shift = 12, .index_bits = 9, .ps = PG_PS_NA,    \
		.has_perm = true, .has_a = true },                                  \
	[2] = { .name = "EPT PDE", .shift = 21, .index_bits = 9, .ps = PG_PS_ALWAYS, \
		.has_perm = true, .has_a = true, .rsvd = GENMASK64(6, 3),           \
		.rsvd_large = GENMASK64(20, 12) },                                  \
	[3] = { .name = "EPT PDPTE", .shift = 30, .index_bits = 9, .ps = PG_PS_1G,  \
		.has_perm = true, .has_a = true, .rsvd = GENMASK64(6, 3),           \
		.rsvd_large = GENMASK64(29, 12) },                                  \
	[4] = { .name = "EPT PML4E", .shift = 39, .index_bits = 9, .ps = PG_PS_RSVD, \
		.has_perm = true, .has_a = true, .rsvd = GENMASK64(7, 3) }

/* Mode stays 0: an EPT is not a guest paging mode; .family says what it is. */
const struct pg_format ept_fmt4 = {
	EPT_ENTRY_BITS,
	.name = "ept4",
	.levels = 4,
	.va_bits = 48,
	.lvl = {
		EPT_LEVELS_1_TO_4,
	},
};

const struct pg_format ept_fmt5 = {
	EPT_ENTRY_BITS,
	.name = "ept5",
	.levels = 5,
	.va_bits = 57,
	.lvl = {
		EPT_LEVELS_1_TO_4,
		[5] = { .name = "EPT PML5E", .shift = 48, .index_bits = 9, .ps = PG_PS_RSVD,
			.has_perm = true, .has_a = true, .rsvd = GENMASK64(7, 3) },
	},
};
