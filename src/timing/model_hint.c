/*
 * A host-performance hint ahead of a costed walk (model_int.h). Over a
 * large random footprint the leaf entry a walk reads (a PTE among
 * megabytes of them) misses the host's caches on nearly every walk, and
 * the walk then waits for it; so does the costing of its reference in the
 * simulated caches, whose sets are spread over a megabyte or more. The
 * upper entries on its path are few and stay cached, so peeking down them
 * from where the walk will start takes a few host cache hits, and a
 * prefetch of the leaf entry's line (and of the simulated sets it maps
 * to) lets the misses overlap the memo check and the walker's set-up.
 *
 * Nothing here is model state or a result: the walk that follows reads
 * every entry through its accessor as before. A peek that goes wrong (an
 * entry not present, a large page, an address outside RAM, a table
 * changed since the PSC entry was filled) only loses the prefetch.
 */
#include "model_int.h"

#include <string.h>

#include <glib.h>

#include "paging/bits.h"

static bool peek(const struct tm_model *m, uint64_t pa, unsigned bytes, uint64_t *val)
{
	uint64_t v = 0;

	if (pa >= m->ram_size || m->ram_size - pa < bytes)
		return false;
	memcpy(&v, m->ram + pa, bytes);
	*val = GUINT64_FROM_LE(v);
	return true;
}

void tm__prefetch_leaf(const struct tm_model *m, uint64_t va, unsigned level,
		       const struct tlb_entry *e)
{
	const struct pg_format *f = m->mmu.fmt;
	unsigned eb = f->entry_bytes, l;
	uint64_t table;

	if (f->family != PG_FAMILY_X86 || f->levels < 2)
		return;
	if (level && e) {
		l = level - 1; /* the PSC entry of level @level holds the next table */
		table = e->data;
	} else if (!f->top_in_regs) {
		l = f->levels;
		table = m->mmu.root;
	} else {
		return; /* PAE: the PDPTEs are registers; not worth a hint */
	}
	for (; l >= 1; l--) {
		const struct pg_level *pl = &f->lvl[l];
		uint64_t ea = table + ((va >> pl->shift) & ((UINT64_C(1) << pl->index_bits) - 1)) * eb;
		uint64_t v;

		if (l == 1) {
			if (ea < m->ram_size)
				__builtin_prefetch(m->ram + ea);
			/* and the simulated caches' sets that its reference
			 * will look up once the walk has read it. */
			tm_cache_prefetch(&m->cache, ea);
			return;
		}
		/* A large page's leaf is this entry, which the peek just read. */
		if (!peek(m, ea, eb, &v) || !(v & f->present) || (v & PTE_PS))
			return;
		table = v & m->mmu.table_addr;
	}
}
