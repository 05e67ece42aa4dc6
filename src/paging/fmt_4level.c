/*
 * 4-level paging (SDM Vol. 3A 4.5; APM Vol. 2 5.3 "long-mode paging").
 *
 *   level  name   VA bits  entry                         manual
 *   4      PML4E  47:39    PS reserved                   Table 4-15
 *   3      PDPTE  38:30    PS=1 maps 1 GiB if supported  Tables 4-16, 4-17
 *   2      PDE    29:21    PS=1 maps 2 MiB               Tables 4-18, 4-19
 *   1      PTE    20:12    maps 4 KiB                    Table 4-20
 *
 * All entries are 8 bytes. Bits 51:M are reserved, bit 63 is XD when
 * EFER.NXE=1 (else reserved), bits 62:59 of a leaf hold its protection key
 * when CR4.PKE/PKS=1 (ignored otherwise). Large leaves reserve bits 20:13
 * (2 MiB) or 29:13 (1 GiB); bit 12 is PAT. Linear addresses are 48 bits,
 * canonical (SDM 3.3.7.1).
 */
#include "fmt_longmode.h"

const struct pg_format pg_fmt_4level = {
	PG_X86_ENTRY_BITS,
	.name = "4level",
	.mode = PG_MODE_4LEVEL,
	.levels = 4,
	.entry_bytes = 8,
	.va_bits = 48,
	.addr_bits = 52,
	.rsvd_top = 51,
	.nx = true,
	.pk = true,
	.top_in_regs = false,
	.cr3_addr = GENMASK64(51, 12),
	.lvl = {
		PG_LONGMODE_LEVELS_1_TO_4,
	},
};
