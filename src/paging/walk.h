/*
 * The generic walker: one loop runs every format descriptor.
 *
 * A walk takes a request and returns data: either a translation (physical
 * address, page size, effective permissions, every level's entry and entry
 * address) or a fault (vector, error code, address, level, stage). A guest
 * fault is not an error: pg_walk() returns 0 for both, and a negative errno
 * only when the walk could not be carried out (an accessor failure).
 *
 * Every table read and every A/D update goes through one accessor, struct
 * pg_accessor. Flat guest memory is one accessor (access_ram.c); the host
 * dimension, costs, caches and tracing are others, stacked on top.
 */
#ifndef TDPSIM_PAGING_WALK_H
#define TDPSIM_PAGING_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu.h"

enum pg_access { PG_ACC_READ = 0, PG_ACC_WRITE = 1, PG_ACC_FETCH = 2 };

struct pg_req {
	uint64_t va;      /* linear address */
	uint8_t access;   /* enum pg_access */
	uint8_t cpl;      /* 0..3; CPL 3 makes explicit accesses user-mode */
	/* An implicit supervisor-mode access: GDT/LDT/IDT/TSS accesses, even
	 * at CPL 3 (SDM Vol. 3A 4.6). Never a fetch. */
	bool implicit;
	bool stack;       /* stack access: a non-canonical address is #SS(0) */
	/* Host dimension only: what the guest-physical access is for
	 * (PG_HREQ_*), and the guest linear address behind it. */
	uint8_t host;
	uint64_t gla;
};

/* Host-dimension request flags (EPT qualification, SDM Table 28-7; #NPF
 * EXITINFO1, APM 15.25.6). */
#define PG_HREQ_GUEST_TABLE (1u << 0) /* access to a guest paging-structure entry */
#define PG_HREQ_FINAL       (1u << 1) /* access to the translated guest-physical address */
#define PG_HREQ_PDPTE_LOAD  (1u << 2) /* PAE PDPTE load at MOV to CR (no linear address) */
#define PG_HREQ_USER_LA     (1u << 3) /* the linear address is user-mode (U/S=1) */
#define PG_HREQ_RW_LA       (1u << 4) /* the linear address is writable */
#define PG_HREQ_XD_LA       (1u << 5) /* the linear address is execute-disable */

/* Where a fault was found. */
enum pg_stage {
	PG_STAGE_NONE = 0,
	PG_STAGE_LINEAR,     /* before paging: non-canonical address */
	PG_STAGE_GUEST,      /* guest paging: #PF */
	PG_STAGE_PDPTE_LOAD, /* PAE PDPTE register load: #GP(0) */
	PG_STAGE_HOST_TABLE, /* host dimension, on a guest table access */
	PG_STAGE_HOST_FINAL, /* host dimension, on the final physical address */
};

/* fault.vector for a host-dimension fault: a VM exit, not a guest
 * exception; fault.exit_reason says which. */
#define PG_VEC_VMEXIT 0xff
#define PG_EXIT_EPT_VIOLATION 48    /* VMX basic exit reason (SDM Vol. 3C App. C) */
#define PG_EXIT_EPT_MISCONFIG 49
#define PG_EXIT_NPF           0x400 /* SVM exit code VMEXIT_NPF (APM Vol. 2 App. C) */

struct pg_fault {
	uint8_t vector;      /* 0 = no fault; X86_VEC_PF, _GP, _SS, PG_VEC_VMEXIT */
	uint16_t exit_reason;/* PG_VEC_VMEXIT: PG_EXIT_* */
	uint8_t stage;       /* enum pg_stage */
	uint8_t level;       /* level of the entry that caused it; 0 if none */
	uint32_t error_code; /* #PF: PFEC_*; #GP/#SS: 0 */
	uint64_t addr;       /* the faulting linear address (CR2 for #PF) */
	uint64_t gpa;        /* host stages: the guest-physical address */
	uint64_t host_info;  /* host stages: #NPF EXITINFO1 or EPT qualification */
	uint64_t gla;        /* host stages: the guest linear address, if valid */
};

/* Effective permissions of a translation. */
#define PG_PERM_W (1u << 0) /* R/W=1 at every level */
#define PG_PERM_U (1u << 1) /* U/S=1 at every level: a user-mode address */
#define PG_PERM_X (1u << 2) /* no level has XD=1 (with EFER.NXE=1); EPT: X=1 everywhere */
#define PG_PERM_R (1u << 3) /* EPT only: R=1 everywhere (x86 entries are readable when present) */
#define PG_PERM_XU (1u << 4) /* EPT only, mode-based execute: XU=1 everywhere */

struct pg_walk_level {
	uint64_t table;      /* physical address of the table */
	uint64_t entry_addr; /* physical address of the entry */
	uint64_t entry;      /* value read (before any A/D update) */
	uint16_t index;
	uint8_t level;
	bool from_reg;       /* a PAE PDPTE register: no memory reference */
};

struct pg_walk {
	uint64_t pa;
	uint64_t page_size;
	uint8_t perms;       /* PG_PERM_* */
	uint8_t pkey;        /* leaf protection key (4-/5-level) */
	bool global;         /* G=1 in the leaf and CR4.PGE=1 */
	bool large;          /* the leaf was a PS=1 entry */
	uint8_t nlevels;     /* entries in lvl[], top level first */
	uint16_t refs;       /* memory references: table reads */
	uint16_t ad_writes;  /* locked A/D updates */
	struct pg_walk_level lvl[PG_LEVELS_MAX];
	struct pg_fault fault;
};

enum pg_ref_kind {
	PG_REF_READ = 0, /* read an entry into val */
	PG_REF_SET_AD,   /* atomically OR @set into the entry; val = new value */
};

struct pg_ref {
	uint64_t addr;   /* physical address of the entry */
	uint8_t size;    /* 4 or 8 */
	uint8_t level;   /* level of the entry */
	uint8_t kind;    /* enum pg_ref_kind */
	uint64_t set;    /* PG_REF_SET_AD: the bits to set */
	uint64_t val;    /* result */
};

/* 0: done; PG_REF_FAULTED: a lower dimension faulted and filled @f;
 * negative errno: the reference could not be made (e.g. -EFAULT outside
 * memory). */
#define PG_REF_FAULTED 1
struct pg_accessor {
	int (*ref)(void *opaque, struct pg_ref *ref, struct pg_fault *f);
	void *opaque;
};

int pg_walk(const struct pg_mmu *m, const struct pg_accessor *acc, const struct pg_req *rq,
	    struct pg_walk *w);

/*
 * Where a walk resumes below the levels a paging-structure cache holds
 * (SDM Vol. 3A 4.10.3.2): @lvl[0..@nlevels) are the upper levels, top
 * first, exactly as a walk of the same request over the same tables and
 * registers recorded them, none of them a leaf and none needing an A flag
 * set; @refs of them were memory reads. The caller vouches for that (the
 * timing model re-reads every entry and compares); the walk then reads from
 * the table the last of them points to, and its result equals the whole
 * walk's.
 */
struct pg_walk_start {
	const struct pg_walk_level *lvl;
	uint8_t nlevels;
	uint16_t refs;
};

/* pg_walk() resuming at @start (NULL: from the root). */
int pg_walk_from(const struct pg_mmu *m, const struct pg_accessor *acc, const struct pg_req *rq,
		 const struct pg_walk_start *start, struct pg_walk *w);

/* Why a walk failed, for the family's fault builder. */
enum pg_fail { PG_FAIL_NOT_PRESENT = 0, PG_FAIL_RSVD, PG_FAIL_DENIED };

/*
 * The rules of a format family, as data for the one walker: how the rights
 * accumulated over the levels are turned into a decision, and how a failure
 * is reported. x86 guest paging: perm.c; AMD nested paging: src/npt/;
 * EPT: src/ept/.
 */
struct pg_rules {
	/* Entry values the family rejects beyond the reserved-bit masks (EPT
	 * misconfigurations such as write-only). NULL if none. */
	bool (*entry_bad)(const struct pg_mmu *m, unsigned level, bool leaf, uint64_t entry);
	/* Set w->perms from the accumulated rights (@all: AND over levels of
	 * perm_and bits, @any: OR of perm_or bits) and decide @rq: 0 allows,
	 * anything else is a code handed to fault(). */
	uint32_t (*check)(const struct pg_mmu *m, const struct pg_req *rq, struct pg_walk *w,
			  uint64_t all, uint64_t any);
	/* Fill w->fault for a failure at @level. @code is check()'s result for
	 * PG_FAIL_DENIED; @all the rights accumulated so far. */
	void (*fault)(const struct pg_mmu *m, const struct pg_req *rq, struct pg_walk *w,
		      enum pg_fail why, unsigned level, uint32_t code, uint64_t all);
};

/* Fill w->fault (helper for the families' fault builders). */
void pg_set_fault(struct pg_walk *w, uint8_t vec, uint8_t stage, unsigned level, uint32_t ec,
		  uint64_t va);

/* The x86 guest-paging rules (#PF), perm.c. */
extern const struct pg_rules pg_rules_x86;

/*
 * The permission decision of SDM Vol. 3A 4.6 for an access with effective
 * permissions @perms and protection key @pkey. Returns 0 if allowed, else the
 * #PF error code (P=1 and the access bits, PK when keys deny).
 */
uint32_t pg_check_access(const struct pg_mmu *m, const struct pg_req *rq, unsigned perms,
			 unsigned pkey);

/* The access-description bits of a #PF error code (W/R, U/S, I/D). */
uint32_t pg_pfec_access_bits(const struct pg_mmu *m, const struct pg_req *rq);

/*
 * Load the four PAE PDPTE registers from the 32-byte-aligned table at CR3
 * (SDM Vol. 3A 4.4.1), as MOV to CR3 and the mode-changing MOVs to CR0/CR4
 * do. A present PDPTE with a reserved bit set gives #GP(0) in @f (stage
 * PG_STAGE_PDPTE_LOAD) and leaves the registers unchanged. Returns 0 (check
 * f->vector) or a negative errno from the accessor. @refs, if not NULL,
 * receives the number of memory references (4).
 */
int pg_pae_load_pdptes(struct pg_mmu *m, const struct pg_accessor *acc, struct pg_fault *f,
		       unsigned *refs);

const char *pg_access_name(enum pg_access a);
const char *pg_stage_name(enum pg_stage s);

#endif
