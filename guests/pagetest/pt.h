/*
 * Page tables built by the guest, every format described as data: levels,
 * entry size, index bits per level and which levels may hold a large leaf.
 * One set of functions (pt.c) builds and edits all of them; the same source
 * runs in the 32-bit kernel (2-level, PAE) and the 64-bit one (4-, 5-level).
 *
 * Entry bits, SDM Vol. 3A 4.3 (Tables 4-4..4-6), 4.4.2 (Tables 4-8..4-11)
 * and 4.5 (Tables 4-15..4-20): the low flag bits have the same position in
 * every format; XD is bit 63 of 8-byte entries only.
 */
#ifndef PAGETEST_PT_H
#define PAGETEST_PT_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SIZE 4096u

#define PTE_P  (1ull << 0)  /* present */
#define PTE_W  (1ull << 1)  /* R/W: writes allowed */
#define PTE_U  (1ull << 2)  /* U/S: user-mode accesses allowed */
#define PTE_A  (1ull << 5)  /* accessed */
#define PTE_D  (1ull << 6)  /* dirty (leaf) */
#define PTE_PS (1ull << 7)  /* page size: large leaf in a PDE/PDPTE */
#define PTE_G  (1ull << 8)  /* global (leaf, CR4.PGE) */
#define PTE_XD (1ull << 63) /* execute-disable (8-byte entries, EFER.NXE) */

struct pt_fmt {
	const char *name;
	unsigned levels;	 /* table levels: 2, 3, 4 or 5 */
	unsigned entry_size;	 /* bytes: 4 or 8 */
	unsigned bits[6];	 /* index bits of level 1..levels (bits[0] unused) */
	unsigned large_min;	 /* lowest level above 1 allowed a PS leaf (0: none) */
	unsigned large_max;	 /* highest such level */
	uint64_t root_ptr_flags; /* flags in a root entry that points to a table */
	uint64_t ptr_flags;	 /* flags in other table-pointer entries */
	uint64_t addr_mask;	 /* physical-address bits of an entry */
	bool has_xd;		 /* XD bit exists (8-byte entries) */
};

extern const struct pt_fmt pt_fmt_2level;
extern const struct pt_fmt pt_fmt_pae;
extern const struct pt_fmt pt_fmt_4level;
extern const struct pt_fmt pt_fmt_5level;

/* The active format, set once at start-up. */
extern const struct pt_fmt *pt;

/* Linear-address bits translated by levels below @level: 12 + sum of bits. */
unsigned pt_shift(unsigned level);

/*
 * Frames: 4 KiB, zeroed, from the pool [lo, hi) (identity-mapped). A freed
 * frame is reused first. pt_mark/pt_release take back everything allocated
 * since the mark.
 */
void frame_init(uintptr_t lo, uintptr_t hi);
uintptr_t frame_alloc(void); /* 0 when the pool is exhausted */
void frame_free(uintptr_t pa);
uintptr_t frame_mark(void);
void frame_release(uintptr_t mark);

/* A new, empty root table (one frame: PAE's 32-byte PDPT fits in it). */
uintptr_t pt_new_root(void);
/*
 * Map @va to @pa with a leaf at @level (1 = 4 KiB), @flags the leaf flags
 * (PS added for level > 1). Allocates missing tables. 0 or -1 (out of
 * frames, or the format has no leaf at that level).
 */
int pt_map(uintptr_t root, uint64_t va, uint64_t pa, unsigned level, uint64_t flags);
/* The leaf entry mapping @va (any level), its level in *@level; 0 if none. */
uint64_t pt_lookup(uintptr_t root, uint64_t va, unsigned *level);
/* Clear the leaf entry mapping @va; returns the old entry (0 if none). */
uint64_t pt_unmap(uintptr_t root, uint64_t va);
/* Identity-map [0, @size) supervisor-only, global, with the largest
 * pages the format allows (@large) or 4 KiB pages. */
int pt_map_identity(uintptr_t root, uint64_t size, bool large, uint64_t extra);

static inline uint64_t pte_addr(uint64_t e)
{
	return e & pt->addr_mask;
}

#endif
