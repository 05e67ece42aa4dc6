/*
 * Decoding for display: a paging-structure entry into the names of its set
 * bits, and a #PF error code into the names of its flags. Driven by the
 * format descriptor and the resolved paging state (which levels carry
 * permission bits, whether bit 7 is PS or PAT, where the PSE-36 field is,
 * which bits are reserved), so it has no per-mode code.
 */
#ifndef TDPSIM_PAGING_DECODE_H
#define TDPSIM_PAGING_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu.h"

#define PG_DECODE_MAX 16

struct pg_decoded {
	bool present;   /* P=1 */
	bool leaf;      /* maps a page: level 1, or PS=1 where PS selects a page */
	uint64_t addr;  /* the address field: next table, or the page frame */
	uint64_t rsvd;  /* reserved bits that are set (a present entry faults) */
	unsigned nbits;
	/* Static strings, in bit order: "P", "RW", "US", "PWT", "PCD", "A",
	 * "D" (leaves), "PS" or "PAT", "G" (leaves), "PAT" (bit 12 of large
	 * leaves), "PK=n" (4-/5-level leaves with a nonzero key), "XD" (formats
	 * with NX), then "RSVD" if a reserved bit is set. */
	const char *bits[PG_DECODE_MAX];
};

/* Decode @entry read at @level under the paging state @m. */
void pg_decode_entry(const struct pg_mmu *m, unsigned level, uint64_t entry,
		     struct pg_decoded *d);

/* Names of the set flags of a #PF error code, in bit order: "P", "W", "U",
 * "RSVD", "I", "PK". Returns how many were stored in @names (at most 6). */
unsigned pg_decode_pfec(uint32_t error_code, const char *names[6]);

#endif
