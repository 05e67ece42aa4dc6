/*
 * spec_oracle: the outcome of one linear-address access, transcribed rule by
 * rule from the Intel SDM Vol. 3A: 4.3-4.5 (which entries a translation uses,
 * their reserved bits, the page frame), 4.6.1 (access rights), 4.6.2
 * (protection keys), 4.7 (the #PF error code) and 4.8 (accessed and dirty
 * flags).
 *
 * It is written to be independent of the engine under test (src/paging/):
 * it shares no code, no constants and no shape with it. Rights are a list of
 * the manual's "may not" conditions, each tagged with its section; the error
 * code is a list of the manual's flag definitions. It is used for what QEMU
 * cannot check (PKS, which QEMU 5 does not implement) and to decide who is
 * right where QEMU is known to differ from the manual.
 *
 * The caller describes the access and the entries on the path of the linear
 * address; the oracle decides which of them the translation reads.
 */
#ifndef TDPSIM_TESTS_SPEC_ORACLE_H
#define TDPSIM_TESTS_SPEC_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

enum so_paging {
	SO_32BIT = 0, /* 32-bit paging (SDM 4.3) */
	SO_PAE,	      /* PAE paging (SDM 4.4) */
	SO_4LEVEL,    /* 4-level paging (SDM 4.5) */
	SO_5LEVEL,    /* 5-level paging (SDM 4.5) */
};

enum so_op { SO_READ = 0, SO_WRITE, SO_FETCH };

struct so_state {
	enum so_paging paging;
	uint64_t cr0, cr4, efer, rflags;
	uint32_t pkru, pkrs;
	/* CPUID facts the tables depend on. */
	uint8_t maxphyaddr;
	bool gbpages; /* 1-GByte pages (CPUID.80000001H:EDX[26]) */
};

struct so_access {
	uint64_t la; /* linear address */
	uint8_t op;  /* enum so_op */
	uint8_t cpl;
	bool implicit; /* an implicit supervisor-mode access (SDM 4.6) */
};

/* ent[L]: the entry at level L (1 = PTE, 2 = PDE, 3 = PDPTE, 4 = PML4E,
 * 5 = PML5E) on the path of the address, as the translation would find it if
 * it got that far. 32-bit entries sit in the low half. For PAE, ent[3] is the
 * PDPTE for the address: the oracle judges its load too (4.4.1). */
struct so_path {
	uint64_t ent[6];
};

struct so_verdict {
	bool fault;	     /* the access faults */
	uint8_t vector;	     /* 14 (#PF), or 13 (#GP(0): a PAE PDPTE that cannot be loaded) */
	uint32_t error_code; /* 4.7 */
	uint64_t cr2;	     /* 4.7: the linear address */
	uint64_t pa;	     /* no fault: the physical address */
	uint8_t leaf;	     /* level of the entry that maps the page, 0 if none */
	uint8_t a_set;	     /* bit L: the access sets A in ent[L] (4.8) */
	bool d_set;	     /* the access sets D in the leaf (4.8) */
	const char *rule;    /* the condition that decided, with its section */
};

void so_judge(const struct so_state *s, const struct so_path *p, const struct so_access *a,
	      struct so_verdict *v);

/* Reserved bits of an entry (SDM Tables 4-4..4-6, 4-8..4-11, 4-14..4-20):
 * the mask of bits of @e that must be 0 at @level under @s. */
uint64_t so_reserved_bits(const struct so_state *s, unsigned level, uint64_t e);

#endif
