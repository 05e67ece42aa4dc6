/*
 * 5-level paging (SDM Vol. 3A 4.5, CR4.LA57=1 in IA-32e mode).
 *
 *   level  name   VA bits  entry                         manual
 *   5      PML5E  56:48    PS reserved                   Table 4-14
 *   4      PML4E  47:39    PS reserved                   Table 4-15
 *   3      PDPTE  38:30    PS=1 maps 1 GiB if supported  Tables 4-16, 4-17
 *   2      PDE    29:21    PS=1 maps 2 MiB               Tables 4-18, 4-19
 *   1      PTE    20:12    maps 4 KiB                    Table 4-20
 *
 * Entry rules are those of 4-level paging; linear addresses are 57 bits,
 * canonical.
 */
#include "fmt_longmode.h"

const struct pg_format pg_fmt_5level = {
	PG_X86_ENTRY_BITS,
	.name = "5level",
	.mode = PG_MODE_5LEVEL,
	.levels = 5,
	.entry_bytes = 8,
	.va_bits = 57,
	.addr_bits = 52,
	.rsvd_top = 51,
	.nx = true,
	.pk = true,
	.top_in_regs = false,
	.cr3_addr = GENMASK64(51, 12),
	.lvl = {
		PG_LONGMODE_LEVELS_1_TO_4,
		[5] = { .name = "PML5E", .shift = 48, .index_bits = 9, .ps = PG_PS_RSVD,
			.has_perm = true, .has_a = true },
	},
};
