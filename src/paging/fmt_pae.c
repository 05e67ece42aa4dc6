/*
 * PAE paging (SDM Vol. 3A 4.4; APM Vol. 2 5.3 "PAE paging").
 *
 *   level  name   VA bits  entry                           manual
 *   3      PDPTE  31:30    8 bytes, one of four registers  Table 4-8
 *                          loaded at CR3 load (4.4.1)
 *   2      PDE    29:21    8 bytes; PS=1 maps 2 MiB        Tables 4-9, 4-10
 *   1      PTE    20:12    8 bytes, maps 4 KiB             Table 4-11
 *
 * CR3 bits 31:5 locate the 32-byte-aligned PDPT. PDPTEs have no R/W, U/S, A
 * or XD: bits 2:1, 8:5 and 63:M are reserved, and a violation is a #GP(0) at
 * the CR3 load, not a #PF (4.4.1, 4.7). In PDEs and PTEs bits 62:M are
 * reserved and bit 63 is XD when EFER.NXE=1 (else reserved). A 2 MiB PDE
 * reserves bits 20:13 (bit 12 is PAT).
 */
#include "format.h"
#include "bits.h"

const struct pg_format pg_fmt_pae = {
	PG_X86_ENTRY_BITS,
	.name = "pae",
	.mode = PG_MODE_PAE,
	.levels = 3,
	.entry_bytes = 8,
	.va_bits = 32,
	.addr_bits = 52,
	.rsvd_top = 62,
	.nx = true,
	.pk = false,
	.top_in_regs = true,
	.cr3_addr = GENMASK64(31, 5),
	.lvl = {
		[1] = { .name = "PTE", .shift = 12, .index_bits = 9, .ps = PG_PS_NA,
			.has_perm = true, .has_a = true },
		[2] = { .name = "PDE", .shift = 21, .index_bits = 9, .ps = PG_PS_ALWAYS,
			.has_perm = true, .has_a = true,
			.rsvd_large = GENMASK64(20, 13) },
		[3] = { .name = "PDPTE", .shift = 30, .index_bits = 2, .ps = PG_PS_NA,
			.has_perm = false, .has_a = false,
			.rsvd = GENMASK64(2, 1) | GENMASK64(8, 5) | BIT64(63) },
	},
};
