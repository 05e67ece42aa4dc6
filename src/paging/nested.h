/*
 * The two-dimensional walk (SDM Vol. 3C 29.3.2; APM Vol. 2 15.25.5): the
 * guest walker runs with an accessor that translates every guest table
 * address (a GPA) through the host dimension before reading it, and the
 * final GPA is translated the same way. A host dimension is an ordinary
 * struct pg_mmu (an AMD nested format or an EPT format) plus host-physical
 * memory; TDX picks one of two EPT roots per GPA through pg_host.select.
 *
 * Every memory reference is logged in order, with its dimension and levels,
 * so that the CLI can draw the walk grid and the timing model can cost it.
 */
#ifndef TDPSIM_PAGING_NESTED_H
#define TDPSIM_PAGING_NESTED_H

#include "walk.h"

enum pg_dim { PG_DIM_GUEST = 0, PG_DIM_HOST = 1 };

/* glevel for references that serve no guest level. */
#define PG_GLEVEL_FINAL 0        /* translating the final GPA */
#define PG_GLEVEL_PDPTE_LOAD 0xf /* PAE PDPTE register load */

struct pg_ref_rec {
	uint64_t addr;  /* host-physical address referenced */
	uint64_t gpa;   /* guest references: the entry's GPA; host: the GPA translated */
	uint64_t val;   /* the entry as read (an A/D update: as written) */
	uint8_t dim;    /* enum pg_dim */
	uint8_t glevel; /* guest level being served (1..5), FINAL or PDPTE_LOAD */
	uint8_t hlevel; /* host references: host level; guest references: 0 */
	uint8_t kind;   /* enum pg_ref_kind */
};

#define PG_REFLOG_MAX 256
struct pg_ref_log {
	unsigned n;     /* records kept (at most PG_REFLOG_MAX) */
	unsigned reads; /* all table reads, kept or not */
	unsigned ad;    /* all A/D updates */
	struct pg_ref_rec rec[PG_REFLOG_MAX];
};

struct pg_host {
	const struct pg_mmu *mmu; /* the host table, when select is NULL */
	/* Optional: pick the host table for @gpa and the address to walk it
	 * with (TDX: secure or shared EPT by the shared bit). NULL means the
	 * GPA cannot be mapped (reported as a not-present host fault). */
	const struct pg_mmu *(*select)(void *opaque, uint64_t gpa, uint64_t *walk_gpa);
	void *opaque;
	struct pg_accessor mem;   /* host-physical memory */
	/* EPT with EPTP.AD=1: accesses to guest paging structures are writes
	 * for EPT rights and A/D (SDM Vol. 3C 29.3.3.2), except PDPTE loads. */
	bool table_writes;
	/* AMD: a PAE guest's PDPTEs are read through the nested tables on
	 * every walk (APM Vol. 2 15.25.10); the caller sets the guest
	 * pg_mmu.pdpte_in_walk accordingly. */
	bool guest_pdpte_in_walk;
};

/*
 * A host walk kept for the next translation of the same guest-physical
 * page, as the nested TLB keeps its result (Bhargava et al., ASPLOS 2008):
 * the whole pg_walk of a fault-free host walk that made reads only, and the
 * host table it was made under. pg_nested.hmemo is a direct-mapped table of
 * them, indexed by the page, access kind and PG_HREQ_* flags (the rights a
 * host walk checks depend on all three). A page gets its memo at its
 * second walk (the first leaves a mark in the slot): the many pages of a
 * large footprint that are walked once cost no copy. A memo is only a
 * hint: before it
 * is used, every entry it read is read again through the host memory
 * accessor, in the walk's order, and must be equal, under the same host
 * table (pg_mmu, root, EPTP, CR4, EFER). The translation then logs and
 * counts the references, and returns the result, that pg_walk() would; what
 * is saved is the walker's work between the reads. A failed check has read
 * some entries once more than the walk does (only an accessor whose reads
 * have effects beyond the value could tell).
 */
struct pg_host_memo {
	/* Page memos: the page the host table translates | PG_HMEMO_VALID |
	 * access << 6 | hreq; region memos: its level-2 region << 12 |
	 * PG_HMEMO_VALID. 0: none. */
	uint64_t key;
	const struct pg_mmu *hm;
	uint64_t root, eptp, cr4, efer;
	struct pg_walk w;
};
#define PG_HMEMO_VALID 0x800u
#define PG_HMEMO_SEEN  0x400u /* instead of VALID: the page was walked, no memo kept */

struct pg_nested {
	const struct pg_host *host; /* NULL: no host dimension, GPA = HPA */
	/* Optional: 1 << hmemo_bits memos of host walks (see above). */
	struct pg_host_memo *hmemo;
	/* Optional with hmemo: as many memos of walks to a level-1 leaf,
	 * indexed by the level-2 region (the GPA bits above the PT): a
	 * host walk with no memo of its own resumes below a region's
	 * levels once they are re-read and found unchanged
	 * (pg_walk_from()). */
	struct pg_host_memo *hregion;
	unsigned hmemo_bits;        /* at least 1 */
	uint64_t hmemo_used;        /* host walks a memo stood for (tests) */
	uint64_t hregion_used;      /* host walks resumed below a region's levels (tests) */
	struct pg_accessor mem;     /* used when host is NULL */
	struct pg_ref_log *log;     /* optional */
	unsigned reads, ad;         /* references made, both dimensions */
	/* Set by pg_walk2d() for the accessor: */
	const struct pg_req *rq;
	uint8_t hreq;               /* PG_HREQ_* for the current reference */
	/* The host translation of the guest entry read last: a following A/D
	 * update of the same entry writes there without a second host walk,
	 * as the hardware's locked read-modify-write does. */
	uint64_t last_gpa, last_hpa;
	uint8_t last_perms;
	bool last_valid;
};

struct pg_walk2d {
	struct pg_walk guest;       /* the guest walk (pa = GPA) */
	struct pg_walk host;        /* the host walk of the final GPA */
	uint64_t hpa;
	uint64_t host_page_size;
	unsigned refs;              /* all table reads, both dimensions */
	struct pg_fault fault;      /* guest exception or host VM exit; vector 0: none */
};

/* An accessor for guest table references that goes through @n. */
void pg_nested_accessor(struct pg_accessor *acc, struct pg_nested *n);

/*
 * Translate @rq through the guest tables of @guest and the host dimension
 * of @n. Returns 0 (check r->fault.vector) or a negative errno.
 */
int pg_walk2d(struct pg_nested *n, const struct pg_mmu *guest, const struct pg_req *rq,
	      struct pg_walk2d *r);

/*
 * Where a 2D walk resumes (a paging-structure-cache hit): the guest walk's
 * upper levels (pg_walk_start) and the @nrec log records that reading them
 * made, host walks included, all reads. The caller vouches that they are
 * what the whole walk would make now (see pg_walk_start); they are logged
 * and counted as if made.
 */
struct pg_walk2d_start {
	struct pg_walk_start guest;
	const struct pg_ref_rec *rec;
	unsigned nrec;
};

/* pg_walk2d() resuming at @start (NULL: from the root). */
int pg_walk2d_from(struct pg_nested *n, const struct pg_mmu *guest, const struct pg_req *rq,
		   const struct pg_walk2d_start *start, struct pg_walk2d *r);

/* Load PAE PDPTE registers through the host dimension (as MOV to CR3 does
 * under EPT: treated as reads, no linear address). */
int pg_nested_load_pdptes(struct pg_nested *n, struct pg_mmu *guest, struct pg_fault *f);

#endif
