/*
 * No paging (CR0.PG = 0): a linear address is the physical address, with no
 * table and no permission check (SDM Vol. 3A 4.1.1). A format with zero
 * levels, so that the walker needs no special case beyond its loop bound.
 */
#include "format.h"
#include "bits.h"

const struct pg_format pg_fmt_nopaging = {
	PG_X86_ENTRY_BITS,
	.name = "nopaging",
	.mode = PG_MODE_NONE,
	.levels = 0,
	.entry_bytes = 0,
	.va_bits = 32,
	.addr_bits = 32,
};
