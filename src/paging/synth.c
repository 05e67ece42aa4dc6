/*
 * Synthetic page-table builder (see synth.h). Every rule comes from the
 * format descriptor: entry size, index widths, which levels may be leaves,
 * the width of the address field, the PSE-36 field and which levels carry
 * permission bits.
 */
#include "synth.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bits.h"

/* Highest physical-address bit the entry's main address field can hold:
 * 31 for 32-bit entries, addr_bits - 1 for 8-byte ones. */
static unsigned addr_top(const struct pg_format *f)
{
	return f->entry_bytes == 4 ? 31 : f->addr_bits - 1u;
}

/* Can an entry at level @l map a page? Level 1 always; higher levels when
 * their PS bit may select a page (with or without a CPU/CR4 condition). */
static bool leaf_capable(const struct pg_format *f, unsigned l)
{
	uint8_t ps = f->lvl[l].ps;

	return l == 1 || ps == PG_PS_PSE || ps == PG_PS_ALWAYS || ps == PG_PS_1G;
}

/* Linear-address bits above the reach of a level-@l table. */
static uint64_t path_tag(const struct pg_format *f, unsigned l, uint64_t va)
{
	return va >> (f->lvl[l].shift + f->lvl[l].index_bits);
}

static bool va_valid(const struct pg_format *f, uint64_t va)
{
	unsigned s = 64u - f->va_bits;

	if (f->va_bits == 32)
		return va <= UINT32_MAX;
	return (uint64_t)((int64_t)(va << s) >> s) == va;
}

unsigned pg_synth_leaf_level(const struct pg_format *f, uint64_t page_size)
{
	for (unsigned l = 1; l <= f->levels; l++)
		if (page_size == UINT64_C(1) << f->lvl[l].shift && leaf_capable(f, l))
			return l;
	return 0;
}

void pg_synth_forget_path(struct pg_synth *s)
{
	s->path_mask = 0;
}

static int alloc_table(struct pg_synth *s, unsigned level, uint64_t va, uint64_t entry_pa,
		       uint64_t *out)
{
	uint64_t t = s->next;

	if (s->alloc) {
		int rc = s->alloc(s->alloc_opaque, level, va, entry_pa, out);

		if (!rc)
			s->tables++;
		return rc;
	}
	if (!cpu_ram_contains(s->ram, t, PG_SYNTH_TABLE_SIZE) || t > GENMASK64(addr_top(s->fmt), 0))
		return -ENOSPC;
	memset(s->ram->base + t, 0, PG_SYNTH_TABLE_SIZE);
	s->next = t + PG_SYNTH_TABLE_SIZE;
	s->tables++;
	*out = t;
	return 0;
}

int pg_synth_init(struct pg_synth *s, struct cpu_ram *ram, const struct pg_format *fmt,
		  uint64_t table_base)
{
	memset(s, 0, sizeof(*s));
	s->ram = ram;
	s->fmt = fmt;
	if (table_base & (PG_SYNTH_TABLE_SIZE - 1))
		return -EINVAL;
	s->next = table_base;
	if (fmt->levels == 0)
		return 0;
	/* The root must be expressible in CR3 (32-bit CR3 outside IA-32e). */
	if (table_base & ~fmt->cr3_addr)
		return -EINVAL;
	return alloc_table(s, fmt->levels, 0, PG_SYNTH_ROOT, &s->root);
}

int pg_synth_init_alloc(struct pg_synth *s, struct cpu_ram *ram, const struct pg_format *fmt,
			pg_synth_alloc_fn alloc, void *opaque)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->ram = ram;
	s->fmt = fmt;
	s->alloc = alloc;
	s->alloc_opaque = opaque;
	if (fmt->levels == 0)
		return 0;
	rc = alloc_table(s, fmt->levels, 0, PG_SYNTH_ROOT, &s->root);
	if (!rc && (s->root & ~fmt->cr3_addr))
		rc = -EINVAL;
	return rc;
}

int pg_synth_map(struct pg_synth *s, uint64_t va, uint64_t pa, uint64_t page_size,
		 uint64_t leaf_flags, uint64_t table_flags)
{
	const struct pg_format *f = s->fmt;
	const unsigned eb = f->entry_bytes, top = f->levels;
	unsigned leaf = pg_synth_leaf_level(f, page_size), l, c;
	uint64_t table = s->root, e, eaddr, table_field, leaf_field, hi_field = 0;
	bool large;
	int rc;

	if (leaf == 0)
		return -EINVAL;
	large = leaf > 1;
	if (((va | pa) & (page_size - 1)) || !va_valid(f, va))
		return -EINVAL;

	/* Where addresses go in an entry, from the format only. */
	table_field = GENMASK64(addr_top(f), 12);
	leaf_field = GENMASK64(addr_top(f), f->lvl[leaf].shift);
	if (large && f->lvl[leaf].hi_bits)
		hi_field = GENMASK64(f->lvl[leaf].hi_lo + f->lvl[leaf].hi_bits - 1u,
				     f->lvl[leaf].hi_lo);
	if (pa >> (addr_top(f) + 1u + (large ? f->lvl[leaf].hi_bits : 0u)))
		return -EINVAL;
	if ((leaf_flags & (leaf_field | hi_field)) || (table_flags & (table_field | PTE_PS)))
		return -EINVAL;
	if (eb == 4 && ((leaf_flags | table_flags) >> 32))
		return -EINVAL;

	/* Resume from the deepest cached table on the way to @va. */
	l = top;
	for (c = leaf; c < top; c++) {
		if ((s->path_mask & (1u << c)) && s->path_tag[c] == path_tag(f, c, va)) {
			l = c;
			table = s->path_table[c];
			break;
		}
	}

	for (; l > leaf; l--) {
		const struct pg_level *L = &f->lvl[l];

		eaddr = table + ((va >> L->shift) & ((UINT64_C(1) << L->index_bits) - 1)) * eb;
		rc = cpu_ram_read_le(s->ram, eaddr, eb, &e);
		if (rc)
			return rc;
		if (e == 0) {
			uint64_t t;

			rc = alloc_table(s, l - 1, va, eaddr, &t);
			if (rc)
				return rc;
			e = t | (L->has_perm ? table_flags : PTE_P);
			rc = cpu_ram_write_le(s->ram, eaddr, eb, e);
			if (rc)
				return rc;
		} else if (e & PTE_PS) {
			return -EEXIST; /* a large page (or a foreign entry) is here */
		}
		table = e & table_field;
		s->path_table[l - 1] = table;
		s->path_tag[l - 1] = path_tag(f, l - 1, va);
		s->path_mask |= 1u << (l - 1);
	}

	eaddr = table +
		((va >> f->lvl[leaf].shift) & ((UINT64_C(1) << f->lvl[leaf].index_bits) - 1)) * eb;
	if (large) {
		rc = cpu_ram_read_le(s->ram, eaddr, eb, &e);
		if (rc)
			return rc;
		if (e != 0 && !(e & PTE_PS))
			return -EEXIST; /* a table is here: replacing it would orphan it */
	}
	e = leaf_flags | (pa & leaf_field) | (large ? PTE_PS : 0);
	if (hi_field)
		e |= ((pa >> 32) << f->lvl[leaf].hi_lo) & hi_field;
	return cpu_ram_write_le(s->ram, eaddr, eb, e);
}
