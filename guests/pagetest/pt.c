/*
 * One page-table builder for every format (pt.h): the loop over levels is
 * driven by the format descriptor, never by per-mode code.
 */
#include "pt.h"

#include "../common/lib.h"

/* SDM Vol. 3A 4.3: 32-bit paging, 10+10 index bits, 4 MiB PDE leaves with
 * CR4.PSE; entries hold physical bits 31:12. */
const struct pt_fmt pt_fmt_2level = {
    .name = "2level",
    .levels = 2,
    .entry_size = 4,
    .bits = {0, 10, 10},
    .large_min = 2,
    .large_max = 2,
    .root_ptr_flags = PTE_P | PTE_W | PTE_U,
    .ptr_flags = PTE_P | PTE_W | PTE_U,
    .addr_mask = 0xFFFFF000ull,
    .has_xd = false,
};
/* SDM 4.4: PAE, 9+9+2 index bits, 2 MiB PDE leaves. PDPTEs (4.4.1, Table
 * 4-8) have R/W, U/S and XD reserved: a root pointer carries P only. */
const struct pt_fmt pt_fmt_pae = {
    .name = "pae",
    .levels = 3,
    .entry_size = 8,
    .bits = {0, 9, 9, 2},
    .large_min = 2,
    .large_max = 2,
    .root_ptr_flags = PTE_P,
    .ptr_flags = PTE_P | PTE_W | PTE_U,
    .addr_mask = 0x000FFFFFFFFFF000ull,
    .has_xd = true,
};
/* SDM 4.5: 4-level, 9 bits per level, 2 MiB PDE and 1 GiB PDPTE leaves. */
const struct pt_fmt pt_fmt_4level = {
    .name = "4level",
    .levels = 4,
    .entry_size = 8,
    .bits = {0, 9, 9, 9, 9},
    .large_min = 2,
    .large_max = 3,
    .root_ptr_flags = PTE_P | PTE_W | PTE_U,
    .ptr_flags = PTE_P | PTE_W | PTE_U,
    .addr_mask = 0x000FFFFFFFFFF000ull,
    .has_xd = true,
};
/* SDM 4.5: 5-level (CR4.LA57), a PML5 above the 4-level tables. */
const struct pt_fmt pt_fmt_5level = {
    .name = "5level",
    .levels = 5,
    .entry_size = 8,
    .bits = {0, 9, 9, 9, 9, 9},
    .large_min = 2,
    .large_max = 3,
    .root_ptr_flags = PTE_P | PTE_W | PTE_U,
    .ptr_flags = PTE_P | PTE_W | PTE_U,
    .addr_mask = 0x000FFFFFFFFFF000ull,
    .has_xd = true,
};

const struct pt_fmt *pt;

unsigned pt_shift(unsigned level)
{
	unsigned s = 12;

	for (unsigned l = 1; l < level; l++)
		s += pt->bits[l];
	return s;
}

static unsigned pt_index(uint64_t va, unsigned level)
{
	return (unsigned)(va >> pt_shift(level)) & ((1u << pt->bits[level]) - 1);
}

static uint64_t ent_get(uintptr_t table, unsigned i)
{
	if (pt->entry_size == 4)
		return ((volatile uint32_t *)table)[i];
	volatile uint32_t *e = (volatile uint32_t *)(table + 8 * i);
	return e[0] | (uint64_t)e[1] << 32;
}

/* 8-byte entries from 32-bit code take two stores: write the half that
 * holds P last when setting, first when clearing. */
static void ent_set(uintptr_t table, unsigned i, uint64_t v)
{
	if (pt->entry_size == 4) {
		((volatile uint32_t *)table)[i] = (uint32_t)v;
		return;
	}
	volatile uint32_t *e = (volatile uint32_t *)(table + 8 * i);
	if (v & PTE_P) {
		e[1] = (uint32_t)(v >> 32);
		e[0] = (uint32_t)v;
	} else {
		e[0] = (uint32_t)v;
		e[1] = (uint32_t)(v >> 32);
	}
}

/* ---- frames ---- */

static uintptr_t pool_lo, pool_next, pool_hi;
static uintptr_t free_head; /* singly linked through the frames */

void frame_init(uintptr_t lo, uintptr_t hi)
{
	pool_lo = pool_next = lo;
	pool_hi = hi;
	free_head = 0;
}

uintptr_t frame_alloc(void)
{
	uintptr_t f = free_head;

	if (f)
		free_head = *(uintptr_t *)f;
	else if (pool_next + PAGE_SIZE <= pool_hi)
		f = pool_next, pool_next += PAGE_SIZE;
	else
		return 0;
	memset((void *)f, 0, PAGE_SIZE);
	return f;
}

void frame_free(uintptr_t pa)
{
	if (pa < pool_lo || pa >= pool_hi)
		return; /* not a pool frame (an identity or image page) */
	*(uintptr_t *)pa = free_head;
	free_head = pa;
}

uintptr_t frame_mark(void)
{
	return pool_next;
}

void frame_release(uintptr_t mark)
{
	pool_next = mark;
	free_head = 0;
}

/* ---- tables ---- */

uintptr_t pt_new_root(void)
{
	return frame_alloc();
}

int pt_map(uintptr_t root, uint64_t va, uint64_t pa, unsigned level, uint64_t flags)
{
	uintptr_t table = root;

	if (level > 1 && (level < pt->large_min || level > pt->large_max))
		return -1;
	for (unsigned l = pt->levels; l > level; l--) {
		unsigned i = pt_index(va, l);
		uint64_t e = ent_get(table, i);

		if (!(e & PTE_P)) {
			uintptr_t t = frame_alloc();

			if (!t)
				return -1;
			e = t | (l == pt->levels ? pt->root_ptr_flags : pt->ptr_flags);
			ent_set(table, i, e);
		} else if (e & PTE_PS && l > 1) {
			return -1; /* a large leaf is in the way */
		}
		table = (uintptr_t)pte_addr(e);
	}
	if (level > 1)
		flags |= PTE_PS;
	if (!pt->has_xd)
		flags &= ~PTE_XD;
	ent_set(table, pt_index(va, level), (pa & pt->addr_mask) | flags);
	return 0;
}

/* The table holding the leaf for @va and its level; 0 if the walk stops at
 * a non-present entry. */
static uintptr_t pt_leaf_table(uintptr_t root, uint64_t va, unsigned *level)
{
	uintptr_t table = root;

	for (unsigned l = pt->levels; l >= 1; l--) {
		uint64_t e = ent_get(table, pt_index(va, l));

		if (!(e & PTE_P))
			return 0;
		if (l == 1 || (e & PTE_PS && l >= pt->large_min && l <= pt->large_max)) {
			*level = l;
			return table;
		}
		table = (uintptr_t)pte_addr(e);
	}
	return 0;
}

uint64_t pt_lookup(uintptr_t root, uint64_t va, unsigned *level)
{
	uintptr_t t = pt_leaf_table(root, va, level);

	return t ? ent_get(t, pt_index(va, *level)) : 0;
}

uint64_t pt_unmap(uintptr_t root, uint64_t va)
{
	unsigned level;
	uintptr_t t = pt_leaf_table(root, va, &level);
	uint64_t old;

	if (!t)
		return 0;
	old = ent_get(t, pt_index(va, level));
	ent_set(t, pt_index(va, level), 0);
	return old;
}

int pt_map_identity(uintptr_t root, uint64_t size, bool large, uint64_t extra)
{
	/* Large leaves at the lowest large level: 4 MiB (2-level) or 2 MiB. */
	unsigned level = large && pt->large_min ? pt->large_min : 1;
	uint64_t step = 1ull << pt_shift(level);

	for (uint64_t a = 0; a < size; a += step)
		if (pt_map(root, a, a, level, PTE_P | PTE_W | PTE_G | extra))
			return -1;
	return 0;
}
