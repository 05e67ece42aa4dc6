/*
 * Set-associative translation arrays and the TLB hierarchy built from them.
 *
 * One array type serves every cache of the timing model: the TLBs, the
 * paging-structure caches and the nested TLB (pwc.h), and the data caches
 * that hold table lines (timing/cache.h). An entry is a 64-bit tag, a 32-bit
 * context and a payload; a lookup picks the set from a key, compares the
 * tags and contexts of the ways, and on a hit updates the replacement state
 * with one store (LRU stamp) or a few bit operations (tree PLRU).
 *
 * Contexts (tlb_ctx()): PCID in bits 11:0 (0 when CR4.PCIDE=0, SDM Vol. 3A
 * 4.10.1), VPID/ASID in bits 27:12 (SDM Vol. 3C 29.1; APM Vol. 2 15.16), in
 * bits 30:28 a small id of the EP4TA (EPTP bits 51:12) the entry was made
 * under, 0 for linear mappings made without a host dimension, and bit 31
 * set for guest-physical mappings (SDM Vol. 3C 29.4.1: linear,
 * guest-physical and combined mappings). A guest-physical mapping (made
 * with guest CR0.PG=0, where the linear address is the guest-physical one)
 * is tagged by its EP4TA alone: its PCID and VPID bits are 0, and only
 * INVEPT removes it (tlb_ctx_gphys()). A global entry (G=1 with
 * CR4.PGE=1, SDM 4.10.2.4) matches every PCID of its VPID: its compare mask
 * (cmask) drops the PCID bits.
 *
 * A TLB level holds up to three arrays, each with a mask of the page sizes it
 * holds. A page is cached as the largest size no larger than itself that an
 * array of the level holds (a 1 GiB page in a level without a 1 GiB array is
 * held as 2 MiB or 4 KiB entries: splintering, SDM 4.10.2.3).
 */
#ifndef TDPSIM_PAGING_TLB_H
#define TDPSIM_PAGING_TLB_H

#include <stdbool.h>
#include <stdint.h>

#include "timing/config.h"
#include "timing/stats.h"

/* Context tag layout (see above). */
#define TLB_CTX_PCID       UINT32_C(0x00000fff)
#define TLB_CTX_VPID_SHIFT 12
#define TLB_CTX_VPID       UINT32_C(0x0ffff000)
#define TLB_CTX_EPT_SHIFT  28
#define TLB_CTX_EPT        UINT32_C(0x70000000)
#define TLB_CTX_GPHYS      UINT32_C(0x80000000)
#define TLB_CTX_ALL        UINT32_C(0xffffffff)
_Static_assert((TLB_CTX_PCID & TLB_CTX_VPID) == 0 && (TLB_CTX_PCID & TLB_CTX_EPT) == 0 &&
		       (TLB_CTX_PCID & TLB_CTX_GPHYS) == 0 && (TLB_CTX_VPID & TLB_CTX_EPT) == 0 &&
		       (TLB_CTX_VPID & TLB_CTX_GPHYS) == 0 && (TLB_CTX_EPT & TLB_CTX_GPHYS) == 0 &&
		       (TLB_CTX_PCID | TLB_CTX_VPID | TLB_CTX_EPT | TLB_CTX_GPHYS) == TLB_CTX_ALL,
	       "context tag fields overlap or leave bits unnamed");

static inline uint32_t tlb_ctx(uint16_t pcid, uint16_t vpid, uint8_t ept_id)
{
	return ((uint32_t)pcid & TLB_CTX_PCID) | ((uint32_t)vpid << TLB_CTX_VPID_SHIFT) |
	       (((uint32_t)ept_id << TLB_CTX_EPT_SHIFT) & TLB_CTX_EPT);
}

/* The tag of guest-physical mappings made under EP4TA id @ept_id. */
static inline uint32_t tlb_ctx_gphys(uint8_t ept_id)
{
	return TLB_CTX_GPHYS | tlb_ctx(0, 0, ept_id);
}

/* An empty way: no lookup tag has all bits set (tags are shifted keys). */
#define TLB_TAG_NONE UINT64_MAX

struct tlb_entry {
	uint64_t tag;    /* TLB_TAG_NONE when empty */
	uint64_t data;   /* payload: TLBs the original page's linear base; PSCs
			  * the next table's address; caches unused */
	uint32_t ctx;
	uint32_t cmask;  /* context bits compared: ~TLB_CTX_PCID for global entries */
	uint8_t rights;  /* TLB_R_*: TLB entries only */
	uint8_t size;    /* enum tm_size the entry is held as */
	uint8_t oshift;  /* log2 of the original page size (4 MiB: 22) */
	uint8_t global;
};

/* Rights an entry caches (SDM Vol. 3A 4.10.2.2: the AND of R/W and U/S
 * over the levels, the OR of XD, and the leaf's dirty flag; the host
 * dimension's write and execute rights for combined mappings). */
#define TLB_R_W   (1u << 0) /* writable at every guest level */
#define TLB_R_U   (1u << 1) /* user-mode address */
#define TLB_R_X   (1u << 2) /* executable */
#define TLB_R_D   (1u << 3) /* the leaf's dirty flag is (or will be) set */
#define TLB_R_HNW (1u << 4) /* the host dimension forbids writes */
#define TLB_R_HNX (1u << 5) /* the host dimension forbids fetches */
#define TLB_R_COMBOS 64     /* an allow mask has one bit per rights value */

/*
 * The hit check's view of an array (SoA): fkey[i] is e[i].tag when entry i
 * is usable in the array's current context fctx (((e.ctx ^ fctx) & e.cmask)
 * == 0: its own PCID/VPID/EP4TA, or a global entry of the VPID), else
 * TLB_TAG_NONE. One 64-bit compare per way then decides a hit in the
 * current context, and the keys of a set are consecutive words (one cache
 * line holds eight ways). tlb_array_set_ctx() recomputes it when the
 * context changes (MOV to CR3 with PCIDs, a VPID switch); fills and
 * invalidations keep it in step.
 *
 * What replacement reads is beside it, also one word per way or set, so
 * that a fill touches a few lines of a wide set, not every entry: stamp[i]
 * (LRU: last use; FIFO: fill order; 0 when empty) and, for sets of at most
 * 64 ways, valid[set] (bit w: way w holds an entry).
 *
 * A single set of 9..64 ways (a fully associative L1 DTLB, the nested TLB)
 * also has a hash index: hidx[b] has bit w set when way w holds a tag that
 * hashes to bucket b (tlb__hash()). A lookup then compares the few ways of
 * one bucket, in way order, instead of scanning the set.
 *
 * An LRU or FIFO set of more than TLB_VICTIM_MIN_WAYS ways (at most 64)
 * also keeps the TLB_VICTIMS ways that held its oldest stamps when it was
 * last scanned (vict[set], oldest first, with those stamps). Stamps only
 * ever change to new, larger values, so the first of them whose stamp is
 * still the one recorded is the oldest way of the set now: the fills of a
 * full set scan it once per TLB_VICTIMS victims, not on every fill.
 *
 * For address-based invalidation (tlb_level_inval()), nsplit[s][o] counts
 * the entries held as size s whose original page is larger (2^o bytes,
 * splintered pieces), and split[s] has bit o set while that count is not
 * zero.
 */
#define TLB_VICTIMS 8
#define TLB_VICTIM_MIN_WAYS 8
struct tlb_victims {
	uint64_t stamp[TLB_VICTIMS];
	uint8_t way[TLB_VICTIMS];
	uint8_t head, n; /* the entries not yet taken: [head, n) */
};

struct tlb_array {
	struct tlb_entry *e; /* sets * ways, set-major */
	uint64_t *fkey;      /* sets * ways: see above */
	uint64_t *stamp;     /* sets * ways */
	uint64_t *valid;     /* sets, when ways <= 64; else NULL */
	uint64_t *hidx;      /* 1 << hbits buckets, or NULL */
	uint32_t fctx;       /* the context fkey is computed for */
	uint8_t hbits;       /* log2 of the hash index's buckets */
	uint64_t *plru;      /* tree-PLRU bits per set (PLRU only) */
	struct tlb_victims *vict; /* per set, or NULL: see above */
	uint64_t clock;      /* LRU/FIFO stamp source */
	uint64_t rng;        /* RANDOM: xorshift64 state, never 0 */
	uint64_t set_mask;   /* sets - 1 (sets is a power of two) */
	uint32_t sets, ways;
	uint32_t latency;
	uint8_t policy;      /* enum tm_policy */
	uint8_t sizes;       /* TM_SZ_*: TLB arrays only */
	bool pow2;           /* sets is a power of two: index by mask */
	uint8_t way_shift;   /* log2(ways) when ways is a power of two, else 0 */
	uint64_t split[TM_NSIZES];
	uint32_t nsplit[TM_NSIZES][64];
};

/*
 * Build @a from @c (entries = 0: an absent array, every lookup misses).
 * @seed seeds RANDOM replacement. 0, or -EINVAL with a reason in @why
 * (@name names the array: "tlb.l1d") / -ENOMEM.
 */
int tlb_array_init(struct tlb_array *a, const struct tm_array_cfg *c, uint64_t seed,
		   const char *name, char *why, unsigned why_len);
/* tlb_array_init()'s checks of @c alone: 0 or -EINVAL with a reason. */
int tlb_array_check(const struct tm_array_cfg *c, const char *name, char *why,
		    unsigned why_len);
void tlb_array_free(struct tlb_array *a);
void tlb_array_clear(struct tlb_array *a);

/* The bytes tlb_array_init() allocates for an array of @entries entries
 * with @c's ways and policy (a memory budget is checked before any). */
uint64_t tlb_array_bytes(const struct tm_array_cfg *c, uint64_t entries);

static inline uint64_t tlb_array_set(const struct tlb_array *a, uint64_t key)
{
	return a->pow2 ? (key & a->set_mask) : (key % a->sets);
}

/* Tree-PLRU over @ways (a power of two): @bits with the nodes on the path
 * to way @w pointed away from it. */
static inline uint64_t tlb__plru_path(uint64_t bits, uint32_t ways, uint32_t w)
{
	uint32_t node = 1, half = ways >> 1;

	while (half) {
		bool right = w & half;
		/* bit set = the next victim is on the right */
		bits = right ? bits & ~(UINT64_C(1) << node) : bits | (UINT64_C(1) << node);
		node = 2 * node + right;
		half >>= 1;
	}
	return bits;
}

/* Tree-PLRU: the way the bits point to. */
static inline uint32_t tlb__plru_victim(uint64_t bits, uint32_t ways)
{
	uint32_t node = 1, w = 0;

	for (uint32_t half = ways >> 1; half; half >>= 1) {
		bool right = (bits >> node) & 1;
		w |= right ? half : 0;
		node = 2 * node + right;
	}
	return w;
}

/* RANDOM replacement's generator (xorshift64; the state is never 0). */
static inline uint64_t tlb__xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Tree-PLRU: point the bits on the path to way @w away from it. */
static inline void tlb__plru_touch(struct tlb_array *a, uint64_t set, uint32_t w)
{
	a->plru[set] = tlb__plru_path(a->plru[set], a->ways, w);
}

/* Entry @i (an index into e[]) was used. */
static inline void tlb_array_touch(struct tlb_array *a, uint64_t i)
{
	if (a->policy == TM_POLICY_LRU) {
		a->stamp[i] = ++a->clock;
	} else if (a->policy == TM_POLICY_PLRU) {
		tlb__plru_touch(a, i / a->ways, (uint32_t)(i % a->ways));
	}
}

static inline uint64_t tlb__match4(const uint64_t *fk, uint64_t tag)
{
	return (uint64_t)(fk[0] == tag) | (uint64_t)(fk[1] == tag) << 1 |
	       (uint64_t)(fk[2] == tag) << 2 | (uint64_t)(fk[3] == tag) << 3;
}

/* Bit w set when fk[w] == @tag, for @ways <= 64 ways: four at a time, no
 * branch per way. */
static inline uint64_t tlb__match_all(const uint64_t *fk, uint32_t ways, uint64_t tag)
{
	uint64_t m = 0;
	uint32_t w = 0;

	for (; w + 4 <= ways; w += 4)
		m |= tlb__match4(fk + w, tag) << w;
	for (; w < ways; w++)
		m |= (uint64_t)(fk[w] == tag) << w;
	return m;
}

/* The hash index's bucket of @tag (Fibonacci hashing: tags are page
 * numbers shifted by two, whose low bits vary most). */
static inline uint64_t tlb__hash(const struct tlb_array *a, uint64_t tag)
{
	return (tag * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - a->hbits);
}

/*
 * Nonzero when a way of the set whose keys start at fkey[@base] holds @tag
 * in the current context (fkey); its lowest set bit is the lowest such way,
 * the one a lookup uses. The common L1 shapes (4 and 8 ways) compare every
 * way with no branch per way, so the cost does not depend on which way
 * hits (the tests on the shape go the same way every time). A single wide
 * set looks in its hash index: the ways of one bucket, lowest first. Other
 * wide sets scan with an early exit. @a->ways <= 64.
 */
/* Always inlined: it is most of the inline hit check (model.h), and the
 * wide-set branches it carries would keep the compiler from inlining it. */
static inline __attribute__((always_inline)) uint64_t
tlb_array_fmatch(const struct tlb_array *a, uint64_t base, uint64_t tag)
{
	const uint64_t *fk = a->fkey + base;

	if (a->ways == 4)
		return tlb__match4(fk, tag);
	if (a->ways == 8)
		return tlb__match4(fk, tag) | tlb__match4(fk + 4, tag) << 4;
	if (a->hidx) {
		for (uint64_t c = a->hidx[tlb__hash(a, tag)]; c; c &= c - 1)
			if (fk[__builtin_ctzll(c)] == tag)
				return c & -c;
		return 0;
	}
	for (uint32_t w = 0; w < a->ways; w++)
		if (fk[w] == tag)
			return UINT64_C(1) << w;
	return 0;
}

/* The entry of set @key with @tag usable in context @ctx, or NULL. The
 * lowest matching way wins (an entry and a global entry for the same page
 * can both match). */
static inline struct tlb_entry *tlb_array_find(struct tlb_array *a, uint64_t key, uint64_t tag,
					       uint32_t ctx)
{
	struct tlb_entry *e;
	uint64_t base;

	if (!a->sets)
		return NULL;
	base = tlb_array_set(a, key) * a->ways;
	e = a->e + base;
	if (ctx == a->fctx && a->ways <= 64) {
		uint64_t hit = tlb_array_fmatch(a, base, tag);

		if (!hit)
			return NULL;
		base += (uint64_t)__builtin_ctzll(hit);
		tlb_array_touch(a, base);
		return a->e + base;
	}
	if (a->hidx) {
		/* The bucket holds every way with this tag, in any context. */
		for (uint64_t c = a->hidx[tlb__hash(a, tag)]; c; c &= c - 1) {
			uint32_t w = (uint32_t)__builtin_ctzll(c);

			if (e[w].tag == tag && !((e[w].ctx ^ ctx) & e[w].cmask)) {
				tlb_array_touch(a, base + w);
				return &e[w];
			}
		}
		return NULL;
	}
	for (uint32_t w = 0; w < a->ways; w++)
		if (e[w].tag == tag && !((e[w].ctx ^ ctx) & e[w].cmask)) {
			tlb_array_touch(a, base + w);
			return &e[w];
		}
	return NULL;
}

/* Make @ctx the context of fkey (see struct tlb_array). */
void tlb_array_set_ctx(struct tlb_array *a, uint32_t ctx);

/*
 * Insert @tag in the set of @key for @ctx: refresh the matching entry if
 * there is one, else take an empty way, else the policy's victim. Returns
 * the entry (tag, ctx, cmask set; the caller fills the rest), or NULL for an
 * absent array.
 */
struct tlb_entry *tlb_array_insert(struct tlb_array *a, uint64_t key, uint64_t tag, uint32_t ctx,
				   bool global);
/* tlb_array_insert() when the caller knows that no way holds @tag in
 * @ctx: a tlb_array_find() of (@key, @tag, @ctx) missed and nothing was
 * filled since. The same result without the search. */
struct tlb_entry *tlb_array_insert_missed(struct tlb_array *a, uint64_t key, uint64_t tag,
					  uint32_t ctx, bool global);
/* tlb_array_insert() of what @e holds, @e found by tlb_array_find() in its
 * own context (not global) and holding size and original size 0, as
 * tlb_array_insert() fills them: the same result without the search. */
struct tlb_entry *tlb_array_refresh(struct tlb_array *a, const struct tlb_entry *e);

/*
 * A data cache's reference to (@key, @tag), context 0: on a hit the entry is
 * used and the result is true; on a miss it is filled as
 * tlb_array_insert() fills after a lookup that missed, and the result is
 * false. Exactly tlb_array_find() then, on a miss, tlb_array_insert(), in
 * one pass over the set.
 */
bool tlb_array_ref(struct tlb_array *a, uint64_t key, uint64_t tag);

/* What an invalidation removes. An entry goes when its context matches
 * (((e.ctx ^ ctx) & mask & e.cmask) == 0, so a global entry matches every
 * PCID), unless it is global and keep_global is set, when by_addr is set
 * only if its original page contains va, and when by_dim is set only if it
 * belongs to that dimension. */
struct tlb_match {
	uint32_t ctx, mask;
	bool keep_global;
	bool by_addr;
	uint64_t va;
	/* Paging-structure caches holding both dimensions (pwc.h): only
	 * entries whose rights byte equals dim. */
	bool by_dim;
	uint8_t dim;
	/* INVVPID all-context: every VPID except 0000H (SDM Vol. 3C 29.4.3.3). */
	bool keep_vpid0;
};

/* Remove the matching entries; returns how many. */
unsigned tlb_array_inval(struct tlb_array *a, const struct tlb_match *mt);

/* Number of valid entries (tests, statistics). */
unsigned tlb_array_count(const struct tlb_array *a);

/* ---- The TLB hierarchy ---- */

/* Tag of an entry of size @s for linear address @va: the page number and
 * the size, so one array can hold several sizes. */
static inline unsigned tlb_size_shift(unsigned s)
{
	return s == TM_4K ? 12 : s == TM_2M ? 21 : 30;
}

static inline uint64_t tlb_tag(uint64_t va, unsigned s)
{
	return ((va >> tlb_size_shift(s)) << 2) | s;
}

struct tlb_level {
	struct tlb_array arr[TM_TLB_ARRAYS];
	unsigned narr;
	/* held[s]: the size a page of size s is cached as here (splintered),
	 * or TM_NSIZES if no array holds it or anything smaller; which[s]:
	 * the array holding entries of size s. */
	uint8_t held[TM_NSIZES];
	uint8_t which[TM_NSIZES];
};

int tlb_level_init(struct tlb_level *l, const struct tm_tlb_cfg *c, uint64_t seed,
		   const char *name, char *why, unsigned why_len);
void tlb_level_free(struct tlb_level *l);

/* Look @va up in every array of @l, 4 KiB entries first. NULL on a miss. */
struct tlb_entry *tlb_level_find(struct tlb_level *l, uint64_t va, uint32_t ctx);

/* Fill @l with a translation of @va whose page has size class @s (the
 * size after host splintering) and original size 2^@oshift. */
struct tlb_entry *tlb_level_fill(struct tlb_level *l, uint64_t va, unsigned s, unsigned oshift,
				 uint32_t ctx, bool global, uint8_t rights);
/* tlb_level_fill() when tlb_level_find() of @va in @ctx just missed and
 * nothing was filled since (no search for the same entry). */
struct tlb_entry *tlb_level_fill_missed(struct tlb_level *l, uint64_t va, unsigned s,
					unsigned oshift, uint32_t ctx, bool global, uint8_t rights);

unsigned tlb_level_inval(struct tlb_level *l, const struct tlb_match *mt);
unsigned tlb_level_count(const struct tlb_level *l);

#endif
