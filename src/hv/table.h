/*
 * The hypervisor's tables: every table the hypervisor builds (TDP roots and
 * their subtrees, shadow pages, the TDX private and shared roots, promoted
 * levels and PAE roots alike) is an ordinary struct hv_table with a
 * complete key (struct hv_key: the guest table or range it stands for, and
 * its role), living in one 4 KiB page of host-physical RAM.
 *
 * Lifecycle (KVM's kvm_mmu_page life, without special roots):
 *
 *   hv_table_alloc   a zeroed page from the set's region (freed pages are
 *                    reused, last freed first), counted; @hashed tables can
 *                    be found again by key (KVM's mmu_page_hash), others
 *                    only through their parent entry (TDP non-root tables).
 *   hv_table_link    write a non-leaf entry pointing at a child, recording
 *                    the parent entry (KVM's parent_ptes).
 *   hv_table_zap     take a table out of use (KVM kvm_mmu_prepare_zap_page
 *                    + commit): its parent entries are cleared, its own
 *                    entries are cleared (children lose a parent; an
 *                    unhashed child left with no parent and no pin is
 *                    zapped too, recursively), it leaves the look-up, and it
 *                    is freed at once unless pinned, else at its last unpin.
 *   hv_table_pin     a root reference (current root or a cached previous
 *   hv_table_unpin   root: KVM's root_count). Unpin frees a zapped table;
 *                    whether an unpinned live root is zapped is the
 *                    caller's policy (TDP: at once; shadow: kept cached).
 *
 * Counters (struct hv_table_stats) say how many tables were allocated,
 * zapped, freed, live now and at most, for reports and memory figures.
 *
 * Iterators (KVM's tdp_iter): struct hv_iter walks a root's entries in
 * pre-order over an input-address range, stepping down into present
 * non-leaf entries, side to the next entry, and up when a table ends. It
 * re-reads an entry before stepping down, so clearing an entry during the
 * walk skips its subtree (how hv_zap_range works). Sync, zap, dump and
 * audit are written with hv_for_each_entry().
 *
 * Entries are in the set's format (struct pg_format: EPT, or an x86
 * format for NPT and shadow tables): present, leaf and child address are
 * read from the descriptor, never by format-specific code.
 *
 * Invariants: a table's page belongs to it alone until freed; a hashed key
 * is unique in its set; parents counts the entries that point at it
 * (hv_table_link / clearing through this API keeps it exact: code that
 * writes non-leaf entries otherwise breaks hv_tables_audit()).
 */
#ifndef TDPSIM_HV_TABLE_H
#define TDPSIM_HV_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "cpu/ram.h"
#include "hv/role.h"
#include "paging/format.h"

#define HV_TABLE_SIZE 4096u

/* The key of a table. gpa: the guest table it shadows (4 KiB aligned; a
 * PAE guest's PDPT 32-byte aligned, CR3 bits 31:5, SDM 4.4.1); for a
 * direct table the first input address of its range; for a passthrough
 * (promoted) table, the guest root's GPA it leads to. */
struct hv_key {
	uint64_t gpa;
	union hv_role role;
	uint32_t zero; /* padding, always 0: keys hash and compare whole */
};

struct hv_table {
	uint64_t hpa;        /* the page holding its entries */
	struct hv_key key;
	uint32_t pins;       /* root references (KVM root_count) */
	uint32_t parents;    /* entries pointing at it */
	bool hashed;         /* in the look-up by key */
	bool zapped;         /* out of use, freed at its last unpin */
	bool unsync;         /* for the shadow MMU: guest table written since its sync */
	uint32_t write_flood; /* for the shadow MMU: emulated guest writes since a
			       * fault last used it (KVM's write_flooding_count) */
	uint64_t seq;        /* allocation order, 1.. (LRU recycling, dumps) */
	GArray *parent_ptes; /* uint64_t HPAs of the entries pointing at it */
	void *priv;          /* the owner's per-table data (not freed here) */
};

struct hv_table_stats {
	uint64_t allocated;  /* tables allocated, ever */
	uint64_t zapped;     /* hv_table_zap() calls that took a table out of use */
	uint64_t leaves_cleared; /* present leaf entries cleared (hv_entry_clear) */
	uint64_t freed;      /* pages given back */
	uint64_t live;       /* allocated - freed */
	uint64_t peak;       /* highest live */
};

/* A set of tables of one format in one host-RAM region. */
struct hv_tables {
	struct cpu_ram *ram;
	const struct pg_format *fmt;
	uint64_t base, bytes;        /* the region */
	uint64_t next;               /* first page never allocated */
	uint64_t seq;
	GArray *free_pages;          /* uint64_t HPAs, reused last first */
	struct hv_table **by_page;   /* (hpa - base) / 4096 -> table or NULL */
	GHashTable *by_key;          /* struct hv_key * -> struct hv_table * */
	struct hv_table_stats st;
};

/*
 * A set over [@base, @base + @bytes) of @ram (4 KiB aligned, inside @ram)
 * for tables of @fmt. 0 or -EINVAL.
 */
int hv_tables_init(struct hv_tables *ts, struct cpu_ram *ram, const struct pg_format *fmt,
		   uint64_t base, uint64_t bytes);
/* Free every object (the RAM is the caller's). */
void hv_tables_destroy(struct hv_tables *ts);

/* A zeroed table for @key. 0, -ENOSPC (region full) or -EEXIST (@hashed
 * and the key is taken). */
int hv_table_alloc(struct hv_tables *ts, const struct hv_key *key, bool hashed,
		   struct hv_table **out);
/* The live hashed table of @key, or NULL. */
struct hv_table *hv_table_find(const struct hv_tables *ts, const struct hv_key *key);
/* The table whose page holds @hpa (an entry address or a table address), or NULL. */
struct hv_table *hv_table_at(const struct hv_tables *ts, uint64_t hpa);

/* Entries of the set's format at @entry_hpa. 0 or -EFAULT. */
int hv_entry_read(const struct hv_tables *ts, uint64_t entry_hpa, uint64_t *e);
int hv_entry_write(struct hv_tables *ts, uint64_t entry_hpa, uint64_t e);
/* The entry address of @addr's index in table @table_hpa at @level. */
uint64_t hv_entry_addr(const struct hv_tables *ts, uint64_t table_hpa, unsigned level,
		       uint64_t addr);
bool hv_entry_present(const struct hv_tables *ts, uint64_t e);
/* A present entry at @level maps a page (level 1, or PS where the format
 * has large pages there). */
bool hv_entry_leaf(const struct hv_tables *ts, unsigned level, uint64_t e);
/* The table a present non-leaf entry points at. */
uint64_t hv_entry_child(const struct hv_tables *ts, uint64_t e);

/*
 * Point @entry_hpa at @child with @flags (the format's non-leaf rights;
 * levels without rights bits, PAE PDPTEs, get present only) and count the
 * parent. The entry must be non-present. 0 or -EFAULT / -EEXIST.
 */
int hv_table_link(struct hv_tables *ts, uint64_t entry_hpa, struct hv_table *child,
		  uint64_t flags);
/* Count @entry_hpa, already written by a table builder (pg_synth), as a
 * parent of @child. */
void hv_table_adopt(struct hv_table *child, uint64_t entry_hpa);
/* Clear the present entry at @entry_hpa (level @level): a non-leaf entry's
 * child loses the parent and is zapped if that leaves it unreachable
 * (unhashed, no parent, no pin). 0 or -EFAULT. */
int hv_entry_clear(struct hv_tables *ts, uint64_t entry_hpa, unsigned level);

/*
 * pg_synth's table allocator over @ts (pg_synth_init_alloc): a table for
 * the range of input address @va at @level, keyed by the range's start and
 * @role at @level. The root (@entry_pa == PG_SYNTH_ROOT) is hashed and
 * pinned; another table is counted as the child of entry @entry_pa. 0 or
 * hv_table_alloc()'s error.
 */
int hv_tables_synth_alloc(struct hv_tables *ts, union hv_role role, unsigned level, uint64_t va,
			  uint64_t entry_pa, struct hv_table **out);
/* Tables that can still be allocated. */
static inline uint64_t hv_tables_room(const struct hv_tables *ts)
{
	return ts->bytes / HV_TABLE_SIZE - ts->st.live;
}

void hv_table_zap(struct hv_tables *ts, struct hv_table *t);
void hv_table_pin(struct hv_table *t);
void hv_table_unpin(struct hv_tables *ts, struct hv_table *t);
/* Zap every table of the set (KVM kvm_mmu_zap_all): pinned roots stay
 * allocated until unpinned. */
void hv_tables_zap_all(struct hv_tables *ts);

/* tdp_iter. */
struct hv_iter {
	struct hv_tables *ts;
	uint64_t pt_path[PG_LEVELS_MAX + 1]; /* table HPA at each level */
	uint64_t next_addr;    /* where the walk resumes (KVM next_last_level_gfn) */
	uint64_t addr;         /* first input address of the current entry */
	uint64_t entry_hpa;    /* the current entry */
	uint64_t old;          /* its value when stepped onto */
	uint8_t level, root_level, min_level;
	bool valid;
};

/* Start at @start (rounded down to the root level's entry) in @root,
 * stepping no lower than @min_level. */
void hv_iter_start(struct hv_iter *it, struct hv_tables *ts, const struct hv_table *root,
		   unsigned min_level, uint64_t start);
bool hv_iter_step_down(struct hv_iter *it);
bool hv_iter_step_side(struct hv_iter *it);
bool hv_iter_step_up(struct hv_iter *it);
/* Down if possible, else side, else up until a side step works; invalid at
 * the root's end. */
void hv_iter_next(struct hv_iter *it);
/* Re-read the current entry (after writing it). */
void hv_iter_refresh(struct hv_iter *it);
/* The input span of an entry at @level. */
uint64_t hv_level_span(const struct hv_tables *ts, unsigned level);

#define hv_for_each_entry(it, ts, root, min_level, start, end)                       \
	for (hv_iter_start(&(it), (ts), (root), (min_level), (start));                 \
	     (it).valid && (it).addr < (end); hv_iter_next(&(it)))

/*
 * Zap the translations of [@start, @end) under @root (KVM
 * kvm_tdp_mmu_zap_leafs / tdp_mmu_zap_range): entries wholly inside the
 * range are cleared (their subtrees zapped), partly covered ones are
 * descended. Returns the number of leaf entries cleared (>= 0), or -EFAULT.
 */
int64_t hv_zap_range(struct hv_tables *ts, struct hv_table *root, uint64_t start, uint64_t end);

/*
 * Check the set: every present non-leaf entry reachable from a live table
 * points at a live table of the next level down; every table's parents
 * count equals the entries that point at it; no page of a live table is
 * on the free list. Returns the number of violations (0 when sound); the
 * first is described in @why (may be NULL).
 */
uint64_t hv_tables_audit(const struct hv_tables *ts, GString *why);

/* Append one line per present entry under @root ("l<level> <addr> -> <entry>"). */
void hv_tables_dump(struct hv_tables *ts, const struct hv_table *root, GString *out);

#endif
