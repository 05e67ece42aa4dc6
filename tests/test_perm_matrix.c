/*
 * The exhaustive permission matrix, in the spirit of kvm-unit-tests' access
 * test: every legal combination of PDE/PTE (and 1 GiB PDPTE) bits, reserved
 * bits one at a time, protection keys, access kinds and the paging-mode
 * modifiers (CR0.WP, CR4.SMEP/SMAP/PKE/PKS, EFER.NXE, EFLAGS.AC), in every
 * guest paging mode.
 *
 * Each case is run three ways on identical page tables:
 *   - the engine: pg_walk() over its own copy of guest RAM;
 *   - QEMU's MMU: Unicorn in UC_TLB_CPU mode performs the access at the right
 *     CPL (ref/ucref.c), on the same tables in its guest RAM;
 *   - the manual: ref/spec_oracle.c, the SDM's conditions written out.
 * and the outcomes are compared: fault or not, vector, error code, CR2, the
 * physical address touched, and every entry on the path afterwards (A/D).
 *
 * The engine must agree with QEMU, and both with the manual. Where QEMU is
 * known to differ from the manual (struct deviation below, each with its
 * citation), the engine must follow the manual, and QEMU must behave exactly
 * as the deviation describes. CR4.PKS cases cannot run on QEMU 5 (no PKS);
 * they are checked against the manual only, and counted apart.
 *
 * Usage: test_perm_matrix [--selfcheck] [mode...]; modes are 2level,
 * 2level-pse, pae, 4level, 5level (all when none is given). A mismatch is
 * printed in full (mode, entries, registers, access, each side's outcome);
 * the first 25 are, or all with PM_PRINT_ALL=1 in the environment.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "cpu/ram.h"
#include "paging/access_ram.h"
#include "paging/mmu.h"
#include "paging/walk.h"
#include "ref/spec_oracle.h"
#include "ref/ucref.h"

/* Entry and register bits, spelled out here rather than taken from the
 * engine's headers (SDM Vol. 3A 4.3-4.5, 2.5, 2.2.1). */
#define B_P	 (1ull << 0)
#define B_W	 (1ull << 1)
#define B_U	 (1ull << 2)
#define B_A	 (1ull << 5)
#define B_D	 (1ull << 6)
#define B_PS	 (1ull << 7)
#define B_XD	 (1ull << 63)
#define KEY(k)	 ((uint64_t)(k) << 59)
#define CR0_WP	 (1ull << 16)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE	 (1ull << 22)
#define CR4_PKS	 (1ull << 24)
#define EFER_NXE (1ull << 11)
#define RFL_AC	 (1ull << 18)
#define PK_AD(k) (1u << (2 * (k)))
#define PK_WD(k) (2u << (2 * (k)))
#define N10	 (PK_AD(10) | PK_WD(10)) /* key 10 (the non-leaf noise) fully denied */

#define MAXPHYADDR 40 /* QEMU TCG's phys_bits, checked through CPUID at open */
#define PAGE	   0x1000ull

/* Physical layout of the test translation (ucref owns everything below
 * UCREF_FREE_START). Tables of levels below the root sit at TAB_BASE + L
 * pages. The candidate data pages each carry a distinct marker, so that the
 * page an access reached can be told from what the CPU saw. */
#define TAB_BASE    0x10000ull
#define PA_4K	    0x456000ull	 /* frame of the PTE */
#define PA_2M_FRAME 0x400000ull	 /* frame of a 2 MiB PDE */
#define PA_4M_FRAME 0x800000ull	 /* frame of a 4 MiB PDE */
#define PA_1G_FRAME 0x0ull	 /* frame of a 1 GiB PDPTE */
#define OFF_FETCH   0x100	 /* "mov eax, marker" */
#define OFF_READ    0x101	 /* the marker itself */
#define OFF_DESC    0x400	 /* a data-segment descriptor (implicit accesses) */
#define OFF_WRITE   0x800	 /* where writes go */
#define PA_HI32	    (1ull << 32) /* PSE-36: PDE bit 13 is PA bit 32 */
#define PA_HI39	    (1ull << 39) /* PSE-36: PDE bit 20 is PA bit 39 */

enum who { WHO_SUP = 0, WHO_USER, WHO_IMPL3, WHO_IMPL0 };
static const char *const who_names[] = {"supervisor", "user", "implicit@cpl3", "implicit@cpl0"};
static const char *const op_names[] = {"read", "write", "fetch"};

struct mdesc {
	const char *name;
	enum ucref_mode ucm;
	enum pg_mode pgm;
	enum so_paging sop;
	unsigned top;	      /* level of the root table's entries */
	unsigned esize;	      /* entry bytes */
	uint64_t va;	      /* the test page */
	uint64_t large_frame; /* frame of a PS=1 PDE, 0 if PDEs cannot map pages */
	bool nx, gb, pk, pse36;
};

static const struct mdesc mdescs[] = {
    {"2level", UCREF_2LEVEL, PG_MODE_2LEVEL, SO_32BIT, 2, 4, 0x40723000, 0, false, false, false,
     false},
    {"2level-pse", UCREF_2LEVEL_PSE, PG_MODE_2LEVEL, SO_32BIT, 2, 4, 0x40723000, PA_4M_FRAME, false,
     false, false, true},
    {"pae", UCREF_PAE, PG_MODE_PAE, SO_PAE, 3, 8, 0x40723000, PA_2M_FRAME, true, false, false,
     false},
    {"4level", UCREF_4LEVEL, PG_MODE_4LEVEL, SO_4LEVEL, 4, 8, 0xffff800040723000ull, PA_2M_FRAME,
     true, true, true, false},
    {"5level", UCREF_5LEVEL, PG_MODE_5LEVEL, SO_5LEVEL, 5, 8, 0xff00800040723000ull, PA_2M_FRAME,
     true, true, true, false},
};

/* An entry configuration: the flags of each level on the path; the address
 * part comes from the layout. */
enum ekind { EK_PERM = 0, EK_UPPER, EK_RSVD, EK_IGNORED, EK_PSE36, EK_PDPTE, EK_COUNT };
static const char *const ekind_names[] = {"perm",	 "upper-level", "reserved-bit",
					  "ignored-bit", "pse36",	"pae-pdpte-reserved"};

struct ecfg {
	uint8_t leaf;		/* 1: 4 KiB (PDE + PTE), 2: PS=1 PDE, 3: PS=1 PDPTE */
	int8_t nxe;		/* EFER.NXE the configuration needs; -1: run both */
	bool keys;		/* run the protection-key variants */
	uint8_t kind;		/* enum ekind */
	uint8_t bit_level, bit; /* all but EK_PERM: the bit changed, and its level */
	uint64_t fl[6];		/* flags by level */
};

/* Protection-key variants: CR4.PKE/PKS, the leaf's key, PKRU, IA32_PKRS. */
struct pkvar {
	bool pke, pks;
	uint8_t key;
	uint32_t pkru, pkrs;
	bool noise; /* key 10, fully denied, in every non-leaf entry: must be ignored */
};

static const struct pkvar pk_long[] = {
    {false, false, 0, 0, 0, false},
    {false, false, 5, PK_AD(5) | PK_WD(5) | N10, 0, true}, /* PKE=0: keys ignored */
    {true, false, 5, N10, N10, true},
    {true, false, 5, PK_AD(5) | N10, N10, true},
    {true, false, 5, PK_WD(5) | N10, N10, true},
    {true, false, 5, PK_AD(5) | PK_WD(5) | N10, N10, true},
    {true, false, 0, PK_AD(5) | PK_WD(5) | N10, N10, true}, /* key 0 untouched by key 5 */
    /* CR4.PKS: checked against the manual only. PKRU is the complement of
     * IA32_PKRS, so that using the wrong register shows. */
    {true, true, 5, PK_AD(5) | PK_WD(5) | N10, N10, true},
    {true, true, 5, PK_WD(5) | N10, PK_AD(5) | N10, true},
    {true, true, 5, PK_AD(5) | N10, PK_WD(5) | N10, true},
    {true, true, 5, N10, PK_AD(5) | PK_WD(5) | N10, true},
    {false, true, 5, N10, PK_AD(5) | PK_WD(5) | N10, true},
    {true, true, 0, PK_AD(5) | PK_WD(5) | N10, PK_AD(5) | PK_WD(5) | N10, true},
};

/* 32-bit and PAE paging have no keys (SDM 4.6.2): PKRU and IA32_PKRS deny
 * every key and must change nothing. */
static const struct pkvar pk_legacy[] = {
    {false, false, 0, 0, 0, false},
    {true, false, 0, ~0u, 0, false},
    {false, true, 0, 0, ~0u, false},
};

static const struct {
	uint8_t op, who;
} accesses[] = {
    {SO_READ, WHO_SUP},	  {SO_WRITE, WHO_SUP},	 {SO_FETCH, WHO_SUP},  {SO_READ, WHO_USER},
    {SO_WRITE, WHO_USER}, {SO_FETCH, WHO_USER},	 {SO_READ, WHO_IMPL3}, {SO_WRITE, WHO_IMPL3},
    {SO_READ, WHO_IMPL0}, {SO_WRITE, WHO_IMPL0},
};

struct pm_case {
	const struct ecfg *ec;
	const struct pkvar *pk;
	uint64_t cr0, cr4, efer, rflags;
	uint8_t op, who;
};

/* What one side saw. */
struct pm_out {
	uint8_t vector;
	uint32_t ec;
	uint64_t cr2;
	uint64_t pa;	  /* no fault: physical address of the (first) access */
	uint64_t ent[6];  /* the path's entries afterwards */
	const char *rule; /* oracle: the deciding rule */
	char note[256];	  /* a side that could not run the case says why */
};

struct stats {
	unsigned long cases, unicorn, spec_only, mismatches, oracle_checked, deviant;
	unsigned long kind_cases[EK_COUNT], kind_allowed[EK_COUNT];
	unsigned long ec[64]; /* engine #PF error codes (bits 5:0) */
	unsigned long gp;     /* engine #GP(0) (PAE PDPTE load) */
};

struct pm_ctx;

/*
 * Known differences between QEMU 5's MMU and the manual. For a case that
 * matches, the engine is compared with the manual, and QEMU with the manual
 * as modified by the deviation's view (how QEMU reads the case), so that the
 * test proves the difference is exactly the one described.
 */
struct deviation {
	const char *name;
	const char *text;
	bool (*applies)(const struct pm_ctx *ctx, const struct pm_case *c, const uint64_t ent[6],
			const struct pm_out *spec);
	void (*view_access)(struct so_access *a); /* QEMU misreads the access */
	/* QEMU's outcome differs: rewrite @o, the manual's outcome */
	void (*view_out)(const struct pm_ctx *ctx, const struct pm_case *c, const uint64_t ent[6],
			 struct pm_out *o);
	unsigned long cases, differed;
};

static struct deviation deviations[3];
static unsigned qemu_expect(const struct pm_ctx *ctx, const struct pm_case *c,
			    const uint64_t ent[6], const struct pm_out *spec, struct pm_out *q);

struct pm_ctx {
	const struct mdesc *md;
	struct ucref *uc;
	uint8_t *uram;
	struct cpu_ram eram;
	struct pg_accessor acc;
	struct pg_cpu cpu;
	uint64_t tab[6];
	uint8_t *hi[2];	  /* PSE-36 frames above 4 GiB (2level-pse) */
	uint64_t cand[6]; /* the data pages a translation can land on */
	unsigned ncand;
	struct ucref_regs base;
	struct stats st;
	uint32_t serial;
	unsigned printed;
	GArray *ecfgs;
};

/* ---- layout ---- */

static unsigned index_at(const struct mdesc *md, unsigned level, uint64_t va)
{
	if (md->sop == SO_32BIT)
		return (unsigned)(va >> (level == 2 ? 22 : 12)) & 0x3ff;
	if (md->sop == SO_PAE && level == 3)
		return (unsigned)(va >> 30) & 3;
	return (unsigned)(va >> (12 + 9 * (level - 1))) & 0x1ff;
}

/* The data page a translation of the test page lands on, for a leaf level. */
static uint64_t target_page(const struct mdesc *md, unsigned leaf, uint64_t hi_bits)
{
	switch (leaf) {
	case 1:
		return PA_4K;
	case 2:
		return (md->large_frame | hi_bits) +
		       (md->va & ((md->sop == SO_32BIT ? 0x400000ull : 0x200000ull) - 1));
	default:
		return PA_1G_FRAME + (md->va & 0x3fffffffull);
	}
}

static uint32_t marker(uint64_t page)
{
	return 0x5a000000u ^ (uint32_t)(page >> 12);
}

static uint8_t *host_page(struct pm_ctx *ctx, uint64_t page)
{
	if (page + PAGE <= UCREF_RAM_SIZE)
		return ctx->uram + page;
	if (page == target_page(ctx->md, 2, PA_HI32))
		return ctx->hi[0];
	if (page == target_page(ctx->md, 2, PA_HI39))
		return ctx->hi[1];
	return NULL;
}

static void put_entry(struct pm_ctx *ctx, uint64_t pa, uint64_t v)
{
	memcpy(ctx->uram + pa, &v, ctx->md->esize);
	memcpy(ctx->eram.base + pa, &v, ctx->md->esize);
}

static uint64_t get_entry(const struct pm_ctx *ctx, const uint8_t *ram, uint64_t pa)
{
	uint64_t v = 0;

	memcpy(&v, ram + pa, ctx->md->esize);
	return v;
}

/* ---- entry configurations ---- */

static void push(struct pm_ctx *ctx, const struct ecfg *e)
{
	g_array_append_val(ctx->ecfgs, *e);
}

/* Default flags above the levels a configuration varies. */
static void upper_defaults(const struct mdesc *md, struct ecfg *e)
{
	for (unsigned l = 3; l <= md->top; l++)
		e->fl[l] = (md->sop == SO_PAE && l == 3) ? B_P : B_P | B_W | B_U;
}

/* All subsets of the non-zero bits in @opt. */
static unsigned subsets(const uint64_t *opt, unsigned n, uint64_t *out)
{
	uint64_t list[8];
	unsigned k = 0, count = 0;

	for (unsigned i = 0; i < n; i++)
		if (opt[i])
			list[k++] = opt[i];
	for (unsigned m = 0; m < (1u << k); m++) {
		uint64_t v = 0;

		for (unsigned i = 0; i < k; i++)
			if (m >> i & 1)
				v |= list[i];
		out[count++] = v;
	}
	return count;
}

/* The permission part: P, W, U, A, D, NX (and PS) in the PDE and PTE, in a
 * PS=1 PDE, and in a 1 GiB PDPTE. XD exists only with EFER.NXE=1 (with
 * NXE=0 bit 63 is reserved: see gen_reserved). */
static void gen_perm(struct pm_ctx *ctx)
{
	const struct mdesc *md = ctx->md;
	int nxe_lo = md->nx ? 0 : -1, nxe_hi = md->nx ? 1 : -1;

	for (int nxe = nxe_lo; nxe <= nxe_hi; nxe++) {
		uint64_t xd = nxe == 1 ? B_XD : 0;
		/* 32-bit paging with CR4.PSE=0 ignores PS (SDM Table 4-5). */
		uint64_t ps = (md->sop == SO_32BIT && !md->large_frame) ? B_PS : 0;
		const uint64_t pde_opt[] = {B_W, B_U, B_A, xd, ps};
		const uint64_t leaf_opt[] = {B_W, B_U, B_A, B_D, xd};
		uint64_t pde_sets[32], leaf_sets[32];
		unsigned npde = subsets(pde_opt, 5, pde_sets),
			 nleaf = subsets(leaf_opt, 5, leaf_sets);
		struct ecfg e = {.leaf = 1, .nxe = (int8_t)nxe, .keys = true, .kind = EK_PERM};

		upper_defaults(md, &e);
		e.fl[2] = 0; /* PDE not present: nothing below matters */
		e.fl[1] = B_P | B_W | B_U;
		push(ctx, &e);
		for (unsigned i = 0; i < npde; i++) {
			e.fl[2] = B_P | pde_sets[i];
			e.fl[1] = 0; /* PTE not present */
			push(ctx, &e);
			for (unsigned j = 0; j < nleaf; j++) {
				e.fl[1] = B_P | leaf_sets[j];
				push(ctx, &e);
			}
		}
		e.fl[1] = 0;
		if (md->large_frame) {
			e.leaf = 2;
			for (unsigned j = 0; j < nleaf; j++) {
				e.fl[2] = B_P | B_PS | leaf_sets[j];
				push(ctx, &e);
			}
		}
		if (md->gb) {
			e.leaf = 3;
			e.fl[2] = 0;
			for (unsigned j = 0; j < nleaf; j++) {
				e.fl[3] = B_P | B_PS | leaf_sets[j];
				push(ctx, &e);
			}
		}
	}
}

/* Rights restricted above the PDE (4-/5-level: PML5E, PML4E and PDPTE carry
 * R/W, U/S and XD too, SDM 4.6): one change at a time on a permissive path.
 * PAE PDPTEs carry no rights (their bits 2:1 are reserved). */
static void gen_upper(struct pm_ctx *ctx)
{
	const struct mdesc *md = ctx->md;

	if (!md->pk)
		return;
	for (unsigned l = 3; l <= md->top; l++) {
		for (unsigned v = 0; v < 4; v++) {
			struct ecfg e = {.leaf = 1,
					 .nxe = v == 2 ? 1 : -1,
					 .kind = EK_UPPER,
					 .bit_level = (uint8_t)l};

			upper_defaults(md, &e);
			e.fl[2] = e.fl[1] = B_P | B_W | B_U;
			e.bit = v == 0 ? 1 : v == 1 ? 2 : v == 2 ? 63 : 5;
			e.fl[l] ^= 1ull << e.bit; /* clear R/W, clear U/S, set XD, set A */
			push(ctx, &e);
		}
	}
}

/* PAE PDPTEs with a reserved bit (SDM Table 4-8: 2:1, 8:5, 63:M), present or
 * not: the PDPTE load fails with #GP(0) only when P=1 (4.4.1). */
static void gen_pdpte(struct pm_ctx *ctx)
{
	static const uint8_t bits[] = {1, 2, 5, 7, 8, 40, 52, 62, 63};

	if (ctx->md->sop != SO_PAE)
		return;
	for (size_t i = 0; i < sizeof(bits); i++) {
		for (unsigned present = 0; present <= 1; present++) {
			struct ecfg e = {
			    .leaf = 1, .nxe = -1, .kind = EK_PDPTE, .bit_level = 3, .bit = bits[i]};

			upper_defaults(ctx->md, &e);
			e.fl[3] = (present ? B_P : 0) | 1ull << bits[i];
			e.fl[2] = e.fl[1] = B_P | B_W | B_U;
			push(ctx, &e);
		}
	}
}

struct bitspec {
	uint8_t level, leaf, bit;
	int8_t nxe;   /* -1 both */
	uint8_t kind; /* EK_RSVD, EK_IGNORED, EK_PSE36 */
};

/* Representative reserved bits per level (SDM Tables 4-4, 4-9..4-11,
 * 4-14..4-20 with MAXPHYADDR 40): the lowest and highest bit above
 * MAXPHYADDR, bit 63 when NXE=0, the large-page bits, PS where it is
 * reserved; and bits that must be ignored. */
/* clang-format off: one bit per line, grouped by entry */
static const struct bitspec bits_pse[] = {
    {2, 2, 21, -1, EK_RSVD},  /* 4 MiB PDE: 21:(M-19) (Table 4-4) */
    {2, 2, 13, -1, EK_PSE36}, /* 4 MiB PDE: PA bit 32 */
    {2, 2, 20, -1, EK_PSE36}, /* 4 MiB PDE: PA bit 39 */
};
static const struct bitspec bits_pae[] = {
    {2, 1, 40, -1, EK_RSVD}, /* PDE -> PT: 62:M, 63 with NXE=0 (Table 4-10) */
    {2, 1, 62, -1, EK_RSVD}, {2, 1, 63, 0, EK_RSVD},
    {2, 2, 13, -1, EK_RSVD}, /* 2 MiB PDE: 20:13, 62:M, 63 (Table 4-9) */
    {2, 2, 20, -1, EK_RSVD}, {2, 2, 40, -1, EK_RSVD},
    {2, 2, 62, -1, EK_RSVD}, {2, 2, 63, 0, EK_RSVD},
    {1, 1, 40, -1, EK_RSVD}, /* PTE: 62:M, 63 (Table 4-11) */
    {1, 1, 52, -1, EK_RSVD}, {1, 1, 62, -1, EK_RSVD},
    {1, 1, 63, 0, EK_RSVD},
};
static const struct bitspec bits_long[] = {
    {5, 1, 7, -1, EK_RSVD}, /* PML5E: PS, 51:M (Table 4-14) */
    {5, 1, 40, -1, EK_RSVD},	{5, 1, 52, -1, EK_IGNORED},
    {4, 1, 7, -1, EK_RSVD}, /* PML4E: PS, 51:M, 63 with NXE=0 (Table 4-15) */
    {4, 1, 40, -1, EK_RSVD},	{4, 1, 51, -1, EK_RSVD},
    {4, 1, 63, 0, EK_RSVD},	{4, 1, 52, -1, EK_IGNORED},
    {3, 1, 40, -1, EK_RSVD}, /* PDPTE -> PD (Table 4-17) */
    {3, 1, 51, -1, EK_RSVD},	{3, 1, 63, 0, EK_RSVD},
    {3, 1, 62, -1, EK_IGNORED}, {3, 3, 13, -1, EK_RSVD}, /* 1 GiB PDPTE: 29:13 too (Table 4-16) */
    {3, 3, 29, -1, EK_RSVD},	{3, 3, 40, -1, EK_RSVD},
    {3, 3, 51, -1, EK_RSVD},	{3, 3, 63, 0, EK_RSVD},
    {3, 3, 52, -1, EK_IGNORED}, {2, 1, 40, -1, EK_RSVD}, /* PDE -> PT (Table 4-19) */
    {2, 1, 51, -1, EK_RSVD},	{2, 1, 63, 0, EK_RSVD},
    {2, 1, 52, -1, EK_IGNORED}, {2, 1, 62, -1, EK_IGNORED},
    {2, 2, 13, -1, EK_RSVD}, /* 2 MiB PDE: 20:13 too (Table 4-18) */
    {2, 2, 20, -1, EK_RSVD},	{2, 2, 40, -1, EK_RSVD},
    {2, 2, 51, -1, EK_RSVD},	{2, 2, 63, 0, EK_RSVD},
    {2, 2, 52, -1, EK_IGNORED}, {1, 1, 40, -1, EK_RSVD}, /* PTE (Table 4-20) */
    {1, 1, 51, -1, EK_RSVD},	{1, 1, 63, 0, EK_RSVD},
    {1, 1, 52, -1, EK_IGNORED},
};
/* clang-format on */

/* One bit at a time, on otherwise permissive entries (A and D clear), with
 * variants: U/S=0 in that entry; that entry not present (P wins over
 * reserved bits, SDM 4.7); and the entry below it not present (the reserved
 * bit is found first). */
static void gen_reserved(struct pm_ctx *ctx)
{
	const struct mdesc *md = ctx->md;
	const struct bitspec *bs = NULL;
	size_t n = 0;

	if (md->ucm == UCREF_2LEVEL_PSE) {
		bs = bits_pse;
		n = G_N_ELEMENTS(bits_pse);
	} else if (md->sop == SO_PAE) {
		bs = bits_pae;
		n = G_N_ELEMENTS(bits_pae);
	} else if (md->pk) {
		bs = bits_long;
		n = G_N_ELEMENTS(bits_long);
	}
	for (size_t i = 0; i < n; i++) {
		const struct bitspec *b = &bs[i];
		struct ecfg e = {.leaf = b->leaf,
				 .nxe = b->nxe,
				 .kind = b->kind,
				 .bit_level = b->level,
				 .bit = b->bit};

		if (b->level > md->top)
			continue;
		upper_defaults(md, &e);
		for (unsigned l = 1; l < b->leaf; l++)
			e.fl[l] = 0;
		for (unsigned l = b->leaf; l <= 2; l++)
			e.fl[l] = B_P | B_W | B_U;
		if (b->leaf >= 2)
			e.fl[b->leaf] |= B_PS;
		e.fl[b->level] |= 1ull << b->bit;
		push(ctx, &e);
		if (md->sop == SO_PAE && b->level == 3)
			continue;
		e.fl[b->level] &= ~B_U;
		push(ctx, &e);
		e.fl[b->level] |= B_U;
		if (b->kind == EK_PSE36)
			continue;
		e.fl[b->level] &= ~B_P;
		push(ctx, &e);
		e.fl[b->level] |= B_P;
		if (b->level > b->leaf) {
			e.fl[b->level - 1] &= ~B_P;
			push(ctx, &e);
		}
	}
}

/* ---- running one case three ways ---- */

static uint64_t access_va(const struct mdesc *md, const struct pm_case *c)
{
	if (c->who == WHO_IMPL0 || c->who == WHO_IMPL3)
		return md->va + OFF_DESC;
	return md->va + (c->op == SO_READ ? OFF_READ : c->op == SO_WRITE ? OFF_WRITE : OFF_FETCH);
}

static unsigned case_cpl(const struct pm_case *c)
{
	return (c->who == WHO_USER || c->who == WHO_IMPL3) ? 3 : 0;
}

static bool is_implicit(const struct pm_case *c)
{
	return c->who == WHO_IMPL0 || c->who == WHO_IMPL3;
}

/*
 * The accesses a case makes, in order. An implicit "write" is a descriptor
 * load whose accessed bit is 0: the processor reads the descriptor, then
 * writes the accessed bit back (SDM Vol. 3A 3.4.5.1, type field); both are
 * implicit supervisor-mode accesses. An implicit "read" loads a descriptor
 * whose accessed bit is already 1.
 */
struct step {
	uint64_t va;
	uint8_t op;
};

static unsigned steps_of(const struct mdesc *md, const struct pm_case *c, struct step *s)
{
	s[0].va = access_va(md, c);
	s[0].op = is_implicit(c) ? SO_READ : c->op;
	if (is_implicit(c) && c->op == SO_WRITE) {
		s[1].va = s[0].va + 4;
		s[1].op = SO_WRITE;
		return 2;
	}
	return 1;
}

/* Write the path for @c into both RAMs; fill @ent/@addr by level. */
static void build_path(struct pm_ctx *ctx, const struct pm_case *c, uint64_t ent[6],
		       uint64_t addr[6])
{
	const struct mdesc *md = ctx->md;
	const struct ecfg *e = c->ec;
	uint64_t hi = 0;

	memset(ent, 0, 6 * sizeof(ent[0]));
	memset(addr, 0, 6 * sizeof(addr[0]));
	if (e->kind == EK_PSE36)
		hi = e->bit == 13 ? PA_HI32 : PA_HI39;
	for (unsigned l = md->top; l >= 1; l--) {
		uint64_t v = 0;

		addr[l] = ctx->tab[l] + (uint64_t)index_at(md, l, md->va) * md->esize;
		if (l > e->leaf) {
			v = ctx->tab[l - 1] | e->fl[l];
			if (md->pk && c->pk->noise)
				v |= KEY(10);
		} else if (l == e->leaf) {
			uint64_t page = target_page(md, e->leaf, hi);
			uint64_t size = e->leaf == 1	      ? PAGE
					: e->leaf == 3	      ? (1ull << 30)
					: md->sop == SO_32BIT ? (1ull << 22)
							      : (1ull << 21);

			v = ((page - hi) & ~(size - 1)) | e->fl[l];
			if (md->pk)
				v |= KEY(c->pk->key);
		}
		ent[l] = v;
		put_entry(ctx, addr[l], v);
	}
}

static void read_path(const struct pm_ctx *ctx, const uint8_t *ram, const uint64_t addr[6],
		      uint64_t ent[6])
{
	memset(ent, 0, 6 * sizeof(ent[0]));
	for (unsigned l = 1; l <= ctx->md->top; l++)
		ent[l] = get_entry(ctx, ram, addr[l]);
}

static void run_engine(struct pm_ctx *ctx, const struct pm_case *c, const uint64_t addr[6],
		       struct pm_out *o)
{
	struct pg_regs r = {.cr0 = c->cr0,
			    .cr3 = ucref_root(ctx->uc),
			    .cr4 = c->cr4,
			    .efer = c->efer,
			    .rflags = c->rflags,
			    .pkru = c->pk->pkru,
			    .pkrs = c->pk->pkrs};
	struct pg_mmu m;
	struct step s[2];
	unsigned n = steps_of(ctx->md, c, s);
	const char *why = NULL;
	int rc;

	memset(o, 0, sizeof(*o));
	rc = pg_mmu_init(&m, &r, &ctx->cpu, &why);
	if (rc) {
		snprintf(o->note, sizeof(o->note), "pg_mmu_init refused: %s", why ? why : "?");
		return;
	}
	if (ctx->md->sop == SO_PAE) {
		struct pg_fault f = {0};

		rc = pg_pae_load_pdptes(&m, &ctx->acc, &f, NULL);
		if (rc) {
			snprintf(o->note, sizeof(o->note), "PDPTE load: rc %d", rc);
			return;
		}
		if (f.vector) { /* the MOV to CR3 faults: no access is made */
			o->vector = f.vector;
			o->ec = f.error_code;
			read_path(ctx, ctx->eram.base, addr, o->ent);
			return;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct pg_req rq = {.va = s[i].va,
				    .access = s[i].op == SO_READ    ? PG_ACC_READ
					      : s[i].op == SO_WRITE ? PG_ACC_WRITE
								    : PG_ACC_FETCH,
				    .cpl = (uint8_t)case_cpl(c),
				    .implicit = is_implicit(c)};
		struct pg_walk w;

		memset(&w, 0, sizeof(w));
		rc = pg_walk(&m, &ctx->acc, &rq, &w);
		if (rc) {
			snprintf(o->note, sizeof(o->note), "pg_walk returned %d", rc);
			return;
		}
		if (w.fault.vector) {
			o->vector = w.fault.vector;
			o->ec = w.fault.error_code;
			o->cr2 = w.fault.addr;
			break;
		}
		if (i == 0)
			o->pa = w.pa;
	}
	read_path(ctx, ctx->eram.base, addr, o->ent);
}

static void so_state_of(const struct pm_ctx *ctx, const struct pm_case *c, struct so_state *s)
{
	*s = (struct so_state){.paging = ctx->md->sop,
			       .cr0 = c->cr0,
			       .cr4 = c->cr4,
			       .efer = c->efer,
			       .rflags = c->rflags,
			       .pkru = c->pk->pkru,
			       .pkrs = c->pk->pkrs,
			       .maxphyaddr = MAXPHYADDR,
			       .gbpages = true};
}

static void run_oracle(const struct pm_ctx *ctx, const struct pm_case *c, const uint64_t ent[6],
		       unsigned devs, struct pm_out *o)
{
	struct so_state st;
	struct so_path path;
	struct step s[2];
	unsigned n = steps_of(ctx->md, c, s);

	memset(o, 0, sizeof(*o));
	so_state_of(ctx, c, &st);
	memcpy(path.ent, ent, sizeof(path.ent));
	for (unsigned i = 0; i < n; i++) {
		struct so_access a = {.la = s[i].va,
				      .op = s[i].op,
				      .cpl = (uint8_t)case_cpl(c),
				      .implicit = is_implicit(c)};
		struct so_verdict v;

		for (size_t d = 0; d < G_N_ELEMENTS(deviations); d++)
			if ((devs >> d & 1) && deviations[d].view_access)
				deviations[d].view_access(&a);
		so_judge(&st, &path, &a, &v);
		for (unsigned l = 1; l <= 5; l++)
			if (v.a_set >> l & 1)
				path.ent[l] |= B_A;
		if (v.d_set)
			path.ent[v.leaf] |= B_D;
		if (i == 0 || v.fault)
			o->rule = v.rule;
		if (v.fault) {
			o->vector = v.vector;
			o->ec = v.error_code;
			o->cr2 = v.vector == 14 ? v.cr2 : 0;
			break;
		}
		if (i == 0)
			o->pa = v.pa;
	}
	memcpy(o->ent, path.ent, sizeof(o->ent));
	if (ctx->md->esize == 4)
		for (unsigned l = 0; l < 6; l++)
			o->ent[l] &= 0xffffffffull;
}

/* Reset the data pages' mutable parts before a QEMU run. */
static void reset_targets(struct pm_ctx *ctx, const struct pm_case *c)
{
	for (unsigned i = 0; i < ctx->ncand; i++) {
		uint8_t *p = host_page(ctx, ctx->cand[i]);
		uint64_t d;

		if (!p)
			continue;
		memset(p + OFF_WRITE, 0, 4);
		if (is_implicit(c)) {
			d = ucref_data_descriptor(marker(ctx->cand[i]), c->op != SO_WRITE);
			memcpy(p + OFF_DESC, &d, 8);
		}
	}
}

static void run_qemu(struct pm_ctx *ctx, const struct pm_case *c, const uint64_t addr[6],
		     struct pm_out *o)
{
	struct ucref_access a = {.va = access_va(ctx->md, c),
				 .cpl = (uint8_t)case_cpl(c),
				 .value = 0xc0000000u | (++ctx->serial & 0x3fffffff)};
	struct ucref_outcome uo;
	char why[200];
	int rc;

	memset(o, 0, sizeof(*o));
	a.regs = (struct ucref_regs){.cr0 = c->cr0,
				     .cr4 = c->cr4,
				     .efer = c->efer,
				     .rflags = c->rflags,
				     .pkru = c->pk->pkru};
	a.kind = is_implicit(c)	     ? UCREF_IMPLICIT
		 : c->op == SO_READ  ? UCREF_READ
		 : c->op == SO_WRITE ? UCREF_WRITE
				     : UCREF_FETCH;
	reset_targets(ctx, c);
	rc = ucref_run(ctx->uc, &a, &uo, why, sizeof(why));
	if (rc) {
		snprintf(o->note, sizeof(o->note), "ucref_run: %s", why);
		return;
	}
	if (uo.vector) {
		o->vector = uo.vector;
		o->ec = uo.error_code;
		o->cr2 = uo.vector == 14 ? uo.cr2 : 0;
	} else {
		/* Which candidate page did the access reach? */
		o->pa = ~0ull;
		for (unsigned i = 0; i < ctx->ncand; i++) {
			uint64_t page = ctx->cand[i];
			uint8_t *p = host_page(ctx, page);
			uint32_t w;

			if (!p)
				continue;
			memcpy(&w, p + OFF_WRITE, 4);
			if ((a.kind == UCREF_READ || a.kind == UCREF_FETCH) &&
			    uo.eax == marker(page))
				o->pa = page + (a.va & 0xfff);
			if (a.kind == UCREF_WRITE && w == a.value)
				o->pa = page + OFF_WRITE;
			if (a.kind == UCREF_IMPLICIT && uo.ds_base == marker(page))
				o->pa = page + OFF_DESC;
		}
	}
	read_path(ctx, ctx->uram, addr, o->ent);
}

static bool same(const struct pm_ctx *ctx, const struct pm_out *a, const struct pm_out *b)
{
	if (a->note[0] || b->note[0] || a->vector != b->vector)
		return false;
	if (a->vector ? (a->ec != b->ec || (a->vector == 14 && a->cr2 != b->cr2)) : a->pa != b->pa)
		return false;
	for (unsigned l = 1; l <= ctx->md->top; l++)
		if (a->ent[l] != b->ent[l])
			return false;
	return true;
}

/* ---- known QEMU deviations ---- */

/* A translation exists and maps a user-mode address (SDM 4.6). */
static bool user_address(const struct pm_ctx *ctx, const struct pm_case *c, const uint64_t ent[6])
{
	struct so_state st;

	so_state_of(ctx, c, &st);
	for (unsigned l = ctx->md->top; l >= c->ec->leaf; l--) {
		if (!(ent[l] & B_P) || (ent[l] & so_reserved_bits(&st, l, ent[l])))
			return false;
		if (ctx->md->sop == SO_PAE && l == 3)
			continue;
		if (!(ent[l] & B_U))
			return false;
	}
	return true;
}

static bool dev_smap_implicit_ac(const struct pm_ctx *ctx, const struct pm_case *c,
				 const uint64_t ent[6], const struct pm_out *spec)
{
	return c->who == WHO_IMPL0 && (c->rflags & RFL_AC) && (c->cr4 & CR4_SMAP) &&
	       user_address(ctx, c, ent);
}

static void view_as_explicit(struct so_access *a)
{
	a->implicit = false;
}

/* A faulting access through a 1 GiB PDPTE that QEMU's walker reaches: the
 * levels above are present without reserved bits, and so is the PDPTE as far
 * as QEMU's first reserved-bit check goes (51:M and, with NXE=0, 63). */
static bool dev_1g_accessed(const struct pm_ctx *ctx, const struct pm_case *c,
			    const uint64_t ent[6], const struct pm_out *spec)
{
	struct so_state st;
	uint64_t early =
	    (((1ull << 52) - 1) & ~((1ull << MAXPHYADDR) - 1)) | ((c->efer & EFER_NXE) ? 0 : B_XD);

	if (c->ec->leaf != 3 || !spec->vector || !(ent[3] & B_P) || (ent[3] & early))
		return false;
	so_state_of(ctx, c, &st);
	for (unsigned l = ctx->md->top; l > 3; l--)
		if (!(ent[l] & B_P) || (ent[l] & so_reserved_bits(&st, l, ent[l])))
			return false;
	return true;
}

static void view_1g_accessed(const struct pm_ctx *ctx, const struct pm_case *c,
			     const uint64_t ent[6], struct pm_out *o)
{
	o->ent[3] |= B_A;
}

/* A present PAE PDPTE with a reserved bit (SDM Table 4-8). */
static bool dev_pae_pdpte(const struct pm_ctx *ctx, const struct pm_case *c, const uint64_t ent[6],
			  const struct pm_out *spec)
{
	struct so_state st;

	if (ctx->md->sop != SO_PAE || !(ent[3] & B_P))
		return false;
	so_state_of(ctx, c, &st);
	return ent[3] & so_reserved_bits(&st, 3, ent[3]);
}

/*
 * How QEMU 5 reads such a PDPTE: from memory, at the access, checking only
 * bits 63:M (handle_mmu_fault(): rsvd_mask | PG_HI_USER_MASK | PG_NX_MASK).
 * Those give #PF with P and RSVD set and the access's W/R, U/S and I/D bits
 * (the I/D rule of SDM 4.7), touching no entry; bits 2:1 and 8:5 are not
 * looked at: the access goes on as if they were clear.
 */
static void view_pae_pdpte(const struct pm_ctx *ctx, const struct pm_case *c, const uint64_t ent[6],
			   struct pm_out *o)
{
	uint64_t high = ~((1ull << MAXPHYADDR) - 1), e[6];
	bool user = c->who == WHO_USER;
	struct pm_out clean;

	if (ent[3] & high) {
		memset(o, 0, sizeof(*o));
		o->vector = 14;
		/* The first access faults: an implicit "write" starts with a read. */
		o->ec =
		    0x9 | (c->op == SO_WRITE && !is_implicit(c) ? 0x2 : 0) | (user ? 0x4 : 0) |
		    (c->op == SO_FETCH && ((c->cr4 & CR4_SMEP) || (c->efer & EFER_NXE)) ? 0x10 : 0);
		o->cr2 = access_va(ctx->md, c);
		memcpy(o->ent, ent, sizeof(o->ent));
		return;
	}
	memcpy(e, ent, sizeof(e));
	e[3] &= ~(0x6ull | 0x1e0ull);
	run_oracle(ctx, c, e, 0, &clean);
	qemu_expect(ctx, c, e, &clean, o); /* other deviations may apply to that path */
	o->ent[3] = ent[3];
}

static struct deviation deviations[3] = {
    {"smap-implicit-ac",
     "QEMU 5 lets an implicit supervisor-mode access made at CPL<3 with EFLAGS.AC=1 reach "
     "a user-mode address under CR4.SMAP=1 (cpu_mmu_index_kernel() picks MMU_KNOSMAP_IDX "
     "whenever CPL<3 and AC=1). SDM Vol. 3A 4.6.1 (data reads and data writes from/to "
     "user-mode addresses): with CR4.SMAP=1, \"if EFLAGS.AC=0 or the access is implicit, "
     "data may not be read from [written to] any user-mode address\"; only explicit "
     "accesses are exempted by AC. The engine follows the manual.",
     dev_smap_implicit_ac, view_as_explicit, NULL, 0, 0},
    {"1g-leaf-accessed-on-fault",
     "QEMU 5 sets the accessed flag of a 1 GiB PDPTE before it checks that entry's "
     "page-size reserved bits (29:13) and the access rights (handle_mmu_fault() writes A, "
     "then jumps to do_check_protect), so a faulting access leaves A=1 there; for 4 KiB "
     "and 2/4 MiB leaves it sets A only when the access is allowed. SDM Vol. 3A 4.8 sets "
     "A in entries \"used as part of linear-address translation\"; with a reserved bit "
     "set there is no translation (4.7), and for a protection fault the leaf's A is "
     "\"model specific and not architecturally defined\" (6.15, Interrupt 14, footnote). "
     "The engine treats every leaf size alike, as QEMU does below 1 GiB: no A on a fault.",
     dev_1g_accessed, NULL, view_1g_accessed, 0, 0},
    {"pae-pdpte-reserved",
     "QEMU 5 does not load PAE PDPTEs at MOV to CR3: it reads them on every walk, checks "
     "only bits 63:M of a present one and reports a violation as #PF(P|RSVD) at the "
     "access, and ignores reserved bits 2:1 and 8:5. SDM Vol. 3A 4.4.1: the PDPTEs are "
     "loaded by MOV to CR3 (and the MOVs to CR0/CR4 that enter PAE paging); \"if any of "
     "the PDPTEs sets both the P flag and any reserved bit, the MOV to CR3 causes a "
     "general-protection exception (#GP(0))\"; Table 4-8 reserves 2:1, 8:5 and 63:M; and "
     "4.7: \"failures to load the PDPTE registers ... cause #GP(0) and not page-fault "
     "exceptions\". The engine follows the manual (pg_pae_load_pdptes()).",
     dev_pae_pdpte, NULL, view_pae_pdpte, 0, 0},
};

/*
 * What QEMU should do with a case: the manual's outcome @spec, changed by
 * every known deviation that applies. Returns the set of those deviations.
 */
static unsigned qemu_expect(const struct pm_ctx *ctx, const struct pm_case *c,
			    const uint64_t ent[6], const struct pm_out *spec, struct pm_out *q)
{
	unsigned devs = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(deviations); i++)
		if (deviations[i].applies(ctx, c, ent, spec))
			devs |= 1u << i;
	if (!devs) {
		*q = *spec;
		return 0;
	}
	run_oracle(ctx, c, ent, devs, q);
	for (size_t i = 0; i < G_N_ELEMENTS(deviations); i++)
		if ((devs >> i & 1) && deviations[i].view_out)
			deviations[i].view_out(ctx, c, ent, q);
	return devs;
}

/* ---- reporting ---- */

static void print_out(const struct pm_ctx *ctx, const char *who, const struct pm_out *o)
{
	fprintf(stderr, "    %-8s", who);
	if (o->note[0]) {
		fprintf(stderr, " ERROR %s\n", o->note);
		return;
	}
	if (o->vector)
		fprintf(stderr, " #%u ec=%#x cr2=%#" PRIx64, o->vector, o->ec, o->cr2);
	else
		fprintf(stderr, " ok pa=%#" PRIx64, o->pa);
	fprintf(stderr, " entries:");
	for (unsigned l = ctx->md->top; l >= 1; l--)
		fprintf(stderr, " L%u=%#" PRIx64, l, o->ent[l]);
	if (o->rule)
		fprintf(stderr, "\n             [%s]", o->rule);
	fprintf(stderr, "\n");
}

static void report(struct pm_ctx *ctx, const char *what, const struct pm_case *c,
		   const uint64_t ent[6], const uint64_t addr[6], const struct pm_out *eng,
		   const struct pm_out *qemu, const struct pm_out *spec, const char *spec_label)
{
	const struct ecfg *e = c->ec;

	ctx->st.mismatches++;
	if (ctx->printed++ >= (getenv("PM_PRINT_ALL") ? ~0u : 25u))
		return;
	fprintf(stderr, "MISMATCH (%s) mode %s, %s", what, ctx->md->name, ekind_names[e->kind]);
	if (e->kind != EK_PERM)
		fprintf(stderr, " bit %u at L%u", e->bit, e->bit_level);
	fprintf(stderr, ", leaf L%u\n  %s %s at %#" PRIx64 " (CPL %u)\n", e->leaf,
		who_names[c->who], op_names[c->op], access_va(ctx->md, c), case_cpl(c));
	fprintf(stderr,
		"  CR0=%#" PRIx64 " CR4=%#" PRIx64 " EFER=%#" PRIx64 " RFLAGS=%#" PRIx64
		" PKRU=%#x PKRS=%#x CR3=%#" PRIx64 "\n",
		c->cr0, c->cr4, c->efer, c->rflags, c->pk->pkru, c->pk->pkrs, ucref_root(ctx->uc));
	fprintf(stderr, "  path before:");
	for (unsigned l = ctx->md->top; l >= 1; l--)
		fprintf(stderr, " L%u[%#" PRIx64 "]=%#" PRIx64, l, addr[l], ent[l]);
	fprintf(stderr, "\n");
	print_out(ctx, "engine", eng);
	if (qemu)
		print_out(ctx, "qemu", qemu);
	print_out(ctx, spec_label, spec);
}

static void run_case(struct pm_ctx *ctx, const struct pm_case *c)
{
	uint64_t ent[6], addr[6];
	struct pm_out eng, spec, qemu, qview;
	unsigned devs = 0;
	bool pks = c->cr4 & CR4_PKS;

	ctx->st.cases++;
	build_path(ctx, c, ent, addr);
	run_oracle(ctx, c, ent, 0, &spec);
	run_engine(ctx, c, addr, &eng);
	ctx->st.kind_cases[c->ec->kind]++;
	if (!eng.vector && !eng.note[0])
		ctx->st.kind_allowed[c->ec->kind]++;
	else if (eng.vector == 14)
		ctx->st.ec[eng.ec & 63]++;
	else if (eng.vector == 13)
		ctx->st.gp++;
	ctx->st.oracle_checked++;
	if (pks) {
		/* QEMU 5 has no PKS: the manual is the only reference. */
		ctx->st.spec_only++;
		if (!same(ctx, &eng, &spec))
			report(ctx, "engine vs manual, CR4.PKS", c, ent, addr, &eng, NULL, &spec,
			       "manual");
		return;
	}
	run_qemu(ctx, c, addr, &qemu);
	ctx->st.unicorn++;
	devs = qemu_expect(ctx, c, ent, &spec, &qview);
	if (devs) {
		ctx->st.deviant++;
		for (size_t i = 0; i < G_N_ELEMENTS(deviations); i++) {
			if (!(devs >> i & 1))
				continue;
			deviations[i].cases++;
			if (!same(ctx, &qemu, &spec))
				deviations[i].differed++;
		}
		if (!same(ctx, &eng, &spec))
			report(ctx, "engine vs manual on a known QEMU deviation", c, ent, addr,
			       &eng, &qemu, &spec, "manual");
		else if (!same(ctx, &qemu, &qview))
			report(ctx, "QEMU does not behave as the known deviations say", c, ent,
			       addr, &eng, &qemu, &qview, "qemu-model");
		return;
	}
	if (!same(ctx, &eng, &qemu))
		report(ctx, "engine vs QEMU", c, ent, addr, &eng, &qemu, &spec, "manual");
	else if (!same(ctx, &eng, &spec))
		report(ctx, "engine and QEMU agree, the manual differs", c, ent, addr, &eng, &qemu,
		       &spec, "manual");
}

/* ---- the matrix ---- */

static int setup(struct pm_ctx *ctx, const struct mdesc *md)
{
	char why[256];
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	ctx->md = md;
	rc = ucref_open(&ctx->uc, md->ucm, why, sizeof(why));
	if (rc) {
		g_test_message("ucref_open(%s): %s", md->name, why);
		return rc;
	}
	if (ucref_info(ctx->uc)->phys_bits != MAXPHYADDR) {
		g_test_message("QEMU reports MAXPHYADDR %u, the matrix assumes %u",
			       ucref_info(ctx->uc)->phys_bits, MAXPHYADDR);
		return -EPROTO;
	}
	ctx->uram = ucref_ram(ctx->uc);
	rc = cpu_ram_init(&ctx->eram, UCREF_RAM_SIZE);
	if (rc)
		return rc;
	memcpy(ctx->eram.base, ctx->uram, UCREF_RAM_SIZE);
	pg_ram_accessor(&ctx->acc, &ctx->eram);
	pg_cpu_all(&ctx->cpu);
	ctx->cpu.maxphyaddr = MAXPHYADDR; /* what QEMU's CPUID reports */
	ucref_base_regs(ctx->uc, &ctx->base);
	{
		struct pg_regs r = {
		    .cr0 = ctx->base.cr0, .cr4 = ctx->base.cr4, .efer = ctx->base.efer};

		if (pg_mode_of(&r) != md->pgm) {
			g_test_message("ucref's %s registers select engine mode %d", md->name,
				       pg_mode_of(&r));
			return -EPROTO;
		}
	}
	ctx->tab[md->top] = ucref_root(ctx->uc);
	for (unsigned l = 1; l < md->top; l++)
		ctx->tab[l] = TAB_BASE + l * PAGE;

	ctx->ncand = 0;
	ctx->cand[ctx->ncand++] = target_page(md, 1, 0);
	if (md->large_frame)
		ctx->cand[ctx->ncand++] = target_page(md, 2, 0);
	if (md->gb)
		ctx->cand[ctx->ncand++] = target_page(md, 3, 0);
	if (md->pse36) {
		for (unsigned i = 0; i < 2; i++) {
			uint64_t page = target_page(md, 2, i ? PA_HI39 : PA_HI32);

			ctx->hi[i] = aligned_alloc(PAGE, PAGE);
			if (!ctx->hi[i])
				return -ENOMEM;
			memset(ctx->hi[i], 0xf4, PAGE);
			if (ucref_map_extra(ctx->uc, page, ctx->hi[i], PAGE))
				return -EIO;
			ctx->cand[ctx->ncand++] = page;
		}
	}
	for (unsigned i = 0; i < ctx->ncand; i++) {
		uint8_t *p = host_page(ctx, ctx->cand[i]);

		memset(p, 0xf4, PAGE); /* hlt: a stray fetch stops */
		ucref_put_fetch_target(p + OFF_FETCH, marker(ctx->cand[i]));
	}
	ctx->ecfgs = g_array_new(FALSE, FALSE, sizeof(struct ecfg));
	gen_perm(ctx);
	gen_upper(ctx);
	gen_reserved(ctx);
	gen_pdpte(ctx);
	return 0;
}

static void teardown(struct pm_ctx *ctx)
{
	if (ctx->ecfgs)
		g_array_free(ctx->ecfgs, TRUE);
	ucref_close(ctx->uc);
	cpu_ram_free(&ctx->eram);
	free(ctx->hi[0]);
	free(ctx->hi[1]);
}

static void test_mode(gconstpointer data)
{
	const struct mdesc *md = data;
	const struct pkvar *pks = md->pk ? pk_long : pk_legacy;
	size_t npk = md->pk ? G_N_ELEMENTS(pk_long) : G_N_ELEMENTS(pk_legacy);
	struct pm_ctx ctx;
	clock_t t0 = clock();
	int rc;

	for (size_t i = 0; i < G_N_ELEMENTS(deviations); i++)
		deviations[i].cases = deviations[i].differed = 0;
	rc = setup(&ctx, md);
	g_assert_cmpint(rc, ==, 0);
	for (guint i = 0; i < ctx.ecfgs->len; i++) {
		const struct ecfg *e = &g_array_index(ctx.ecfgs, struct ecfg, i);

		for (int nxe = 0; nxe <= 1; nxe++) {
			if (e->nxe >= 0 && nxe != e->nxe)
				continue;
			for (size_t k = 0; k < (e->keys ? npk : 1); k++) {
				for (unsigned regs = 0; regs < 16; regs++) {
					struct pm_case c = {.ec = e, .pk = &pks[k]};

					c.cr0 = ctx.base.cr0 | (regs & 1 ? CR0_WP : 0);
					c.cr4 = ctx.base.cr4 | (regs & 2 ? CR4_SMEP : 0) |
						(regs & 4 ? CR4_SMAP : 0) |
						(pks[k].pke ? CR4_PKE : 0) |
						(pks[k].pks ? CR4_PKS : 0);
					c.efer = ctx.base.efer | (nxe ? EFER_NXE : 0);
					c.rflags = 2 | (regs & 8 ? RFL_AC : 0);
					for (size_t a = 0; a < G_N_ELEMENTS(accesses); a++) {
						c.op = accesses[a].op;
						c.who = accesses[a].who;
						run_case(&ctx, &c);
					}
				}
			}
		}
	}

	printf("perm matrix %s: %lu cases; %lu run on Unicorn (QEMU's MMU) and compared, %lu of "
	       "them under a known QEMU deviation (engine compared with the manual there); %lu "
	       "with CR4.PKS against the SDM oracle only; all %lu also against the oracle; %lu "
	       "mismatches; %.1f s CPU\n",
	       md->name, ctx.st.cases, ctx.st.unicorn, ctx.st.deviant, ctx.st.spec_only,
	       ctx.st.oracle_checked, ctx.st.mismatches, (double)(clock() - t0) / CLOCKS_PER_SEC);
	printf("  cases by kind (allowed):");
	for (unsigned k = 0; k < EK_COUNT; k++)
		if (ctx.st.kind_cases[k])
			printf(" %s %lu (%lu)", ekind_names[k], ctx.st.kind_cases[k],
			       ctx.st.kind_allowed[k]);
	printf("\n  #PF error codes:");
	for (unsigned e = 0; e < 64; e++)
		if (ctx.st.ec[e])
			printf(" %#x:%lu", e, ctx.st.ec[e]);
	if (ctx.st.gp)
		printf("; #GP(0) at the PDPTE load: %lu", ctx.st.gp);
	printf("\n");
	for (size_t i = 0; i < G_N_ELEMENTS(deviations); i++)
		printf("  known QEMU deviation %s: %lu cases (QEMU differed from the manual in "
		       "%lu)\n    %s\n",
		       deviations[i].name, deviations[i].cases, deviations[i].differed,
		       deviations[i].text);
	fflush(stdout);
	teardown(&ctx);
	g_assert_cmpuint(ctx.st.cases, >, 0);
	g_assert_cmpuint(ctx.st.unicorn, >, 0);
	g_assert_cmpuint(ctx.st.mismatches, ==, 0);
}

/* ---- self-check: the oracle on hand-worked cases, and ucref in every mode ---- */

struct oracle_vec {
	const char *what;
	enum so_paging paging;
	uint64_t cr0, cr4, efer, rflags;
	uint32_t pkru, pkrs;
	uint64_t ent[6];
	uint8_t op, cpl;
	bool implicit;
	bool fault;
	uint32_t ec;
	uint8_t a_set;
};

#define LM_EFER (0x500ull) /* LME | LMA */
#define PAE	0x20ull	   /* CR4.PAE */
#define PWU	(B_P | B_W | B_U)

/* Each expectation worked out by hand from the SDM text, not from the oracle. */
static const struct oracle_vec oracle_vecs[] = {
    {"4.6.1 SMAP, explicit, AC=0",
     SO_4LEVEL,
     0,
     PAE | CR4_SMAP,
     LM_EFER,
     0,
     0,
     0,
     {0, PWU, PWU, PWU, PWU},
     SO_READ,
     0,
     false,
     true,
     0x1,
     0x1c},
    {"4.6.1 SMAP, explicit, AC=1",
     SO_4LEVEL,
     0,
     PAE | CR4_SMAP,
     LM_EFER,
     RFL_AC,
     0,
     0,
     {0, PWU, PWU, PWU, PWU},
     SO_READ,
     0,
     false,
     false,
     0,
     0x1e},
    {"4.6.1 SMAP, implicit at CPL0, AC=1",
     SO_4LEVEL,
     0,
     PAE | CR4_SMAP,
     LM_EFER,
     RFL_AC,
     0,
     0,
     {0, PWU, PWU, PWU, PWU},
     SO_READ,
     0,
     true,
     true,
     0x1,
     0x1c},
    {"4.6.1 user write, R/W=0",
     SO_4LEVEL,
     0,
     PAE,
     LM_EFER,
     0,
     0,
     0,
     {0, B_P | B_U, PWU, PWU, PWU},
     SO_WRITE,
     3,
     false,
     true,
     0x7,
     0x1c},
    {"4.6.1 supervisor write, R/W=0, WP=0",
     SO_4LEVEL,
     0,
     PAE,
     LM_EFER,
     0,
     0,
     0,
     {0, B_P | B_U, PWU, PWU, PWU},
     SO_WRITE,
     0,
     false,
     false,
     0,
     0x1e},
    {"4.6.1 user fetch, XD=1",
     SO_4LEVEL,
     0,
     PAE,
     LM_EFER | EFER_NXE,
     0,
     0,
     0,
     {0, PWU | B_XD, PWU, PWU, PWU},
     SO_FETCH,
     3,
     false,
     true,
     0x15,
     0x1c},
    {"4.6.2 PKRU AD, user read",
     SO_4LEVEL,
     0,
     PAE | CR4_PKE,
     LM_EFER,
     0,
     PK_AD(5),
     0,
     {0, PWU | KEY(5), PWU, PWU, PWU},
     SO_READ,
     3,
     false,
     true,
     0x25,
     0x1c},
    {"4.6.2 PKRU WD, supervisor write, WP=0",
     SO_4LEVEL,
     0,
     PAE | CR4_PKE,
     LM_EFER,
     0,
     PK_WD(5),
     0,
     {0, PWU | KEY(5), PWU, PWU, PWU},
     SO_WRITE,
     0,
     false,
     false,
     0,
     0x1e},
    {"4.6.2 PKS AD, supervisor read",
     SO_4LEVEL,
     0,
     PAE | CR4_PKS,
     LM_EFER,
     0,
     0,
     PK_AD(5),
     {0, B_P | B_W | KEY(5), PWU, PWU, PWU},
     SO_READ,
     0,
     false,
     true,
     0x21,
     0x1c},
    {"4.7 reserved bit 51 in the PTE",
     SO_4LEVEL,
     0,
     PAE,
     LM_EFER,
     0,
     0,
     0,
     {0, PWU | (1ull << 51), PWU, PWU, PWU},
     SO_READ,
     0,
     false,
     true,
     0x9,
     0x1c},
    {"4.7 PDE not present",
     SO_4LEVEL,
     0,
     PAE,
     LM_EFER,
     0,
     0,
     0,
     {0, PWU, 0, PWU, PWU},
     SO_WRITE,
     3,
     false,
     true,
     0x6,
     0x18},
    {"4.7 4-MByte PDE, bit 21 reserved",
     SO_32BIT,
     0,
     0x10,
     0,
     0,
     0,
     0,
     {0, 0, PWU | B_PS | (1ull << 21)},
     SO_READ,
     0,
     false,
     true,
     0x9,
     0},
    {"4.7 32-bit paging: no I/D without SMEP, even with NXE",
     SO_32BIT,
     0,
     0,
     EFER_NXE,
     0,
     0,
     0,
     {0, B_P, PWU},
     SO_FETCH,
     3,
     false,
     true,
     0x5,
     0x4},
    {"4.7 PAE: I/D with NXE",
     SO_PAE,
     0,
     0x20,
     EFER_NXE,
     0,
     0,
     0,
     {0, B_P, PWU, B_P},
     SO_FETCH,
     3,
     false,
     true,
     0x15,
     0x4},
};

static void test_selfcheck(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(oracle_vecs); i++) {
		const struct oracle_vec *t = &oracle_vecs[i];
		struct so_state s = {.paging = t->paging,
				     .cr0 = t->cr0,
				     .cr4 = t->cr4,
				     .efer = t->efer,
				     .rflags = t->rflags,
				     .pkru = t->pkru,
				     .pkrs = t->pkrs,
				     .maxphyaddr = MAXPHYADDR,
				     .gbpages = true};
		struct so_path p;
		struct so_access a = {
		    .la = 0x1000, .op = t->op, .cpl = t->cpl, .implicit = t->implicit};
		struct so_verdict v;

		memcpy(p.ent, t->ent, sizeof(p.ent));
		so_judge(&s, &p, &a, &v);
		if (v.fault != t->fault || (t->fault && v.error_code != t->ec) ||
		    v.a_set != t->a_set)
			g_error("oracle vector \"%s\": fault %d ec %#x a_set %#x, expected %d %#x "
				"%#x (%s)",
				t->what, v.fault, v.error_code, v.a_set, t->fault, t->ec, t->a_set,
				v.rule);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(mdescs); i++) {
		struct ucref *r;
		char why[256];
		int rc = ucref_open(&r, mdescs[i].ucm, why, sizeof(why));

		if (rc)
			g_error("ucref_open(%s): %s", mdescs[i].name, why);
		g_assert_cmpuint(ucref_info(r)->phys_bits, ==, MAXPHYADDR);
		ucref_close(r);
	}
	printf("perm matrix self-check: %zu oracle vectors, ucref opened in %zu modes\n",
	       G_N_ELEMENTS(oracle_vecs), G_N_ELEMENTS(mdescs));
}

int main(int argc, char **argv)
{
	bool any = false, selfcheck = false;

	g_test_init(&argc, &argv, NULL);
	for (int i = 1; i < argc; i++) {
		bool known = false;

		if (!strcmp(argv[i], "--selfcheck")) {
			selfcheck = true;
			continue;
		}
		for (size_t m = 0; m < G_N_ELEMENTS(mdescs); m++) {
			if (!strcmp(argv[i], mdescs[m].name)) {
				char *path = g_strdup_printf("/perm_matrix/%s", mdescs[m].name);

				g_test_add_data_func(path, &mdescs[m], test_mode);
				g_free(path);
				known = any = true;
			}
		}
		if (!known) {
			fprintf(stderr, "unknown mode %s\n", argv[i]);
			return 2;
		}
	}
	if (selfcheck)
		g_test_add_func("/perm_matrix/selfcheck", test_selfcheck);
	else if (!any)
		for (size_t m = 0; m < G_N_ELEMENTS(mdescs); m++) {
			char *path = g_strdup_printf("/perm_matrix/%s", mdescs[m].name);

			g_test_add_data_func(path, &mdescs[m], test_mode);
			g_free(path);
		}
	return g_test_run();
}
