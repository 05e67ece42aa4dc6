/*
 * Synthetic page-table builder: lays out guest page tables for any format in
 * guest RAM, so that walks, tests and `tdpsim synth` have tables to run on
 * without a guest kernel.
 *
 * It is driven only by the format descriptor (fmt->lvl[]): there is no
 * per-mode code. Tables are 4 KiB pages taken from a bump allocator that
 * starts at the table base; PAE's 32-byte PDPT gets a page of its own.
 *
 * Mapping is allocation-free on the host and remembers the table path of the
 * previous call, so mapping consecutive pages costs a few stores each. The
 * builder never frees or moves a table, which is what keeps that path cache
 * valid. Code that rewrites or frees table entries behind its back (other
 * than the A/D updates of a walk) must call pg_synth_forget_path() before
 * mapping again.
 *
 * Table pages come from the bump allocator, or from an allocator the owner
 * gives (pg_synth_init_alloc: the hypervisor's table objects, hv/table.h),
 * which learns the level and address each new table serves.
 */
#ifndef TDPSIM_PAGING_SYNTH_H
#define TDPSIM_PAGING_SYNTH_H

#include <stdint.h>

#include "../cpu/ram.h"
#include "format.h"

#define PG_SYNTH_TABLE_SIZE 4096u

/* Give a zeroed 4 KiB table for level @level that serves linear address
 * @va, at *@pa; the builder then points the entry at @entry_pa to it
 * (PG_SYNTH_ROOT for the root). 0 or a negative errno (-ENOSPC: no room). */
#define PG_SYNTH_ROOT UINT64_MAX
typedef int (*pg_synth_alloc_fn)(void *opaque, unsigned level, uint64_t va, uint64_t entry_pa,
				 uint64_t *pa);

struct pg_synth {
	struct cpu_ram *ram;
	pg_synth_alloc_fn alloc; /* NULL: the bump allocator */
	void *alloc_opaque;
	const struct pg_format *fmt;
	uint64_t root;   /* address of the top table: the address part of CR3 */
	uint64_t next;   /* next free table page */
	uint64_t tables; /* tables allocated, the root included */
	/* Path cache: when bit l of path_mask is set, path_table[l] is the
	 * table holding the level-l entries of every linear address whose
	 * bits above that table's reach equal path_tag[l]. */
	uint64_t path_tag[PG_LEVELS_MAX + 1];
	uint64_t path_table[PG_LEVELS_MAX + 1];
	uint32_t path_mask;
};

/*
 * Start a layout in @ram for @fmt, allocating the root table at @table_base
 * (4 KiB aligned; for 32-bit CR3 formats it must be below 4 GiB). The root
 * page is zeroed. A format with no levels (no paging) gets no table and
 * root 0. Returns 0, -EINVAL (bad base) or -ENOSPC (no room in @ram).
 */
int pg_synth_init(struct pg_synth *s, struct cpu_ram *ram, const struct pg_format *fmt,
		  uint64_t table_base);

/* The same with tables from @alloc (the root first, for level
 * fmt->levels and address 0). 0, -EINVAL (root not expressible in CR3) or
 * @alloc's error. */
int pg_synth_init_alloc(struct pg_synth *s, struct cpu_ram *ram, const struct pg_format *fmt,
			pg_synth_alloc_fn alloc, void *opaque);

/*
 * The level whose entries map pages of @page_size in @fmt (1 for 4 KiB, 2 for
 * 2 MiB or 4 MiB, 3 for 1 GiB), or 0 if the format has no such leaf. This is
 * what the format allows; whether the paging state enables it (CR4.PSE, 1 GiB
 * support) is pg_mmu.ps_leaf[].
 */
unsigned pg_synth_leaf_level(const struct pg_format *fmt, uint64_t page_size);

/*
 * Map the page of @page_size at linear @va to physical @pa.
 *
 * Missing tables are allocated and zeroed; their entries get @table_flags
 * (levels without permission bits, the PAE PDPTEs, get P only, because R/W,
 * U/S and A are reserved there). The leaf gets @leaf_flags, plus PS for a
 * large page; a 2-level 4 MiB leaf stores physical bits above 31 in its
 * PSE-36 field. An existing leaf at the same place is overwritten.
 *
 * Flags may not overlap the entry's address field, and @table_flags may not
 * contain PS; flags are otherwise written as given, so reserved bits can be
 * set on purpose.
 *
 * Returns 0 or:
 *   -EINVAL  no such page size in the format, @va or @pa not aligned to it,
 *            @va outside the linear-address space (non-canonical), @pa not
 *            representable in the entry, bad flags, or a format with no
 *            tables;
 *   -EEXIST  a large page already covers @va, or a table sits where the
 *            large leaf should go;
 *   -ENOSPC  no room for another table in the RAM.
 */
int pg_synth_map(struct pg_synth *s, uint64_t va, uint64_t pa, uint64_t page_size,
		 uint64_t leaf_flags, uint64_t table_flags);

/* Drop the path cache (after editing the tables by other means). */
void pg_synth_forget_path(struct pg_synth *s);

#endif
