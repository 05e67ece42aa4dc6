/*
 * 32-bit paging (SDM Vol. 3A 4.3; APM Vol. 2 5.3 "legacy-mode paging").
 *
 *   level  name  VA bits  entry                     manual
 *   2      PDE   31:22    4 bytes; PS=1 with        Table 4-5 (4 MiB page),
 *                         CR4.PSE maps 4 MiB        Table 4-6 (page table)
 *   1      PTE   21:12    4 bytes, maps 4 KiB       Table 4-6
 *
 * A 4 MiB PDE (Table 4-5): bits 31:22 hold physical bits 31:22, bit 12 is PAT,
 * bits 20:13 hold physical bits 39:32 (PSE-36), bit 21 is reserved, and bits
 * 20:(M-19) are reserved when MAXPHYADDR M < 40. With CR4.PSE=0 the PS bit is
 * ignored. 32-bit entries have no XD bit and no protection key.
 */
#include "format.h"
#include "bits.h"

const struct pg_format pg_fmt_2level = {
	PG_X86_ENTRY_BITS,
	.name = "2level",
	.mode = PG_MODE_2LEVEL,
	.levels = 2,
	.entry_bytes = 4,
	.va_bits = 32,
	.addr_bits = 32,
	.rsvd_top = 0,
	.nx = false,
	.pk = false,
	.top_in_regs = false,
	.cr3_addr = GENMASK64(31, 12),
	.lvl = {
		[1] = { .name = "PTE", .shift = 12, .index_bits = 10, .ps = PG_PS_NA,
			.has_perm = true, .has_a = true },
		[2] = { .name = "PDE", .shift = 22, .index_bits = 10, .ps = PG_PS_PSE,
			.has_perm = true, .has_a = true,
			.rsvd_large = BIT64(21), .hi_lo = 13, .hi_bits = 8 },
	},
};
