/*
 * A guest paging format is data: a const descriptor that one generic walker
 * (walk.c) runs. There is no per-mode copy of the walk.
 *
 * Levels are numbered as the manuals do: 1 is the level whose entries map
 * 4 KiB pages (PT), 2 the PD, 3 the PDPT, 4 the PML4, 5 the PML5.
 *
 * Parts of an entry's meaning depend on the paging registers and on the CPU
 * (MAXPHYADDR, EFER.NXE, CR4.PSE, 1 GiB page support). Those parts are
 * resolved once per paging state into a struct pg_mmu (mmu.c), so the walk
 * itself only masks and compares.
 */
#ifndef TDPSIM_PAGING_FORMAT_H
#define TDPSIM_PAGING_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#define PG_LEVELS_MAX 5

/* The guest's paging mode, from CR0.PG, CR4.PAE, EFER.LMA and CR4.LA57
 * (SDM Vol. 3A 4.1.1, Table 4-1). 2-level with CR4.PSE is the same format. */
enum pg_mode {
	PG_MODE_NONE = 0, /* CR0.PG = 0: linear = physical */
	PG_MODE_2LEVEL,   /* 32-bit paging (SDM 4.3) */
	PG_MODE_PAE,      /* PAE paging (SDM 4.4) */
	PG_MODE_4LEVEL,   /* 4-level paging (SDM 4.5) */
	PG_MODE_5LEVEL,   /* 5-level paging (SDM 4.5) */
	PG_MODE_COUNT
};

/* Which rules a format's entries follow: x86 paging (guest tables and AMD
 * nested tables, SDM Vol. 3A 4; APM Vol. 2 5) or Intel EPT (SDM Vol. 3C 29.3). */
enum pg_family { PG_FAMILY_X86 = 0, PG_FAMILY_EPT };

/* How bit 7 of an entry at a level is read. */
enum pg_ps_rule {
	PG_PS_NA = 0,  /* level 1: bit 7 is PAT, never a page-size bit */
	PG_PS_RSVD,    /* PS must be 0: set means a reserved-bit fault */
	PG_PS_PSE,     /* large page if CR4.PSE=1, otherwise the bit is ignored */
	PG_PS_ALWAYS,  /* PS=1 maps a large page */
	PG_PS_1G,      /* large page if the CPU has 1 GiB pages, else reserved */
};

struct pg_level {
	const char *name;   /* the manual's name for its entries: "PTE", "PDE", ... */
	uint8_t shift;      /* lowest linear-address bit indexed by this level */
	uint8_t index_bits; /* width of the index */
	uint8_t ps;         /* enum pg_ps_rule */
	bool has_perm;      /* the format's rights bits are defined (PAE PDPTEs: no) */
	bool has_a;         /* the processor sets an accessed flag here */
	uint64_t rsvd;      /* reserved bits fixed by the format (non-large entry) */
	uint64_t rsvd_large;/* reserved bits fixed by the format for PS=1 */
	/* PSE-36 (SDM 4.3, Table 4-4): bits [hi_lo + hi_bits - 1 : hi_lo] of a
	 * large entry hold physical-address bits [32 + hi_bits - 1 : 32]. */
	uint8_t hi_lo, hi_bits;
};

struct pg_format {
	const char *name;      /* "2level", "pae", "4level", "5level", "nopaging" */
	uint8_t mode;          /* enum pg_mode */
	uint8_t levels;        /* number of levels, PAE's PDPTE level included */
	uint8_t entry_bytes;   /* 4 or 8 */
	uint8_t va_bits;       /* linear-address width: 32, 48, 57 */
	uint8_t addr_bits;     /* width of an entry's address field: 32 or 52 */
	/* Highest bit of the "above MAXPHYADDR" reserved range in 8-byte
	 * entries: 62 for PAE (62:M), 51 for 4/5-level (51:M); 0 when the
	 * format has no such range (32-bit entries). */
	uint8_t rsvd_top;
	bool nx;               /* bit 63 is XD when EFER.NXE=1, else reserved */
	bool pk;               /* leaves carry a protection key (62:59) */
	/* The top level is held in registers loaded at CR3 load (PAE's four
	 * PDPTEs, SDM 4.4.1) rather than read on every walk. */
	bool top_in_regs;
	uint64_t cr3_addr;     /* CR3 (or EPTP) bits that hold the top table's address */
	uint8_t family;        /* enum pg_family */
	uint64_t present;      /* an entry is present when any of these bits is set */
	uint64_t a_bit, d_bit; /* accessed and dirty flags (SDM 4.8; EPT: 29.3.5) */
	/* Rights that need their bit set at every level (R/W, U/S; EPT R, W,
	 * X, XU), and rights that one set bit at any level takes away (XD). */
	uint64_t perm_and, perm_or;
	struct pg_level lvl[PG_LEVELS_MAX + 1]; /* indexed by level; [0] unused */
};

/* The entry bits shared by every x86 format (SDM Vol. 3A Tables 4-4..4-20). */
#define PG_X86_ENTRY_BITS                                                     \
	.family = PG_FAMILY_X86, .present = PTE_P, .a_bit = PTE_A, .d_bit = PTE_D, \
	.perm_and = PTE_RW | PTE_US, .perm_or = PTE_XD

extern const struct pg_format pg_fmt_nopaging;
extern const struct pg_format pg_fmt_2level;
extern const struct pg_format pg_fmt_pae;
extern const struct pg_format pg_fmt_4level;
extern const struct pg_format pg_fmt_5level;

/* The format for a mode; never NULL for a valid mode. */
const struct pg_format *pg_format_of(enum pg_mode mode);

#endif
