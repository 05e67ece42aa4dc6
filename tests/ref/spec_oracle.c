/*
 * spec_oracle: SDM Vol. 3A 4.3-4.8, transcribed condition by condition (see
 * spec_oracle.h). Every constant here is taken from the manual's tables, not
 * from the engine's headers, so that a wrong bit in either shows up.
 *
 * Where the manual leaves a choice to the implementation, the oracle picks
 * one and says so (CONVENTION below); both the engine and QEMU are expected
 * to make the same choice, and the differential test would show it if not.
 */
#include "spec_oracle.h"

#include <stddef.h>
#include <string.h>

/* Entry flags (SDM Tables 4-4..4-20). */
#define F_P	   (1ull << 0)	/* present */
#define F_RW	   (1ull << 1)	/* read/write */
#define F_US	   (1ull << 2)	/* user/supervisor */
#define F_A	   (1ull << 5)	/* accessed */
#define F_D	   (1ull << 6)	/* dirty */
#define F_PS	   (1ull << 7)	/* page size */
#define F_XD	   (1ull << 63) /* execute-disable */
#define PKEY_SHIFT 59		/* 4.6.2: bits 62:59 of the entry that maps the page */

/* Registers (SDM 2.5, 2.2.1, 3.4.3). */
#define CR0_WP	 (1ull << 16)
#define CR4_PSE	 (1ull << 4)
#define CR4_PAE	 (1ull << 5)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE	 (1ull << 22)
#define CR4_PKS	 (1ull << 24)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define RFL_AC	 (1ull << 18)

/* #PF error code (SDM 4.7, Figure 4-12). */
#define EC_P	(1u << 0)
#define EC_WR	(1u << 1)
#define EC_US	(1u << 2)
#define EC_RSVD (1u << 3)
#define EC_ID	(1u << 4)
#define EC_PK	(1u << 5)

/* Bits hi..lo of a 64-bit value; empty when hi < lo. */
static uint64_t bits(int hi, int lo)
{
	if (hi < lo)
		return 0;
	return (~0ull >> (63 - hi)) & (~0ull << lo);
}

static unsigned top_level(enum so_paging p)
{
	switch (p) {
	case SO_32BIT:
		return 2; /* 4.3: CR3 -> PDE -> PTE */
	case SO_PAE:
		return 3; /* 4.4: PDPTE register -> PDE -> PTE */
	case SO_4LEVEL:
		return 4; /* 4.5: PML4E first */
	default:
		return 5; /* 4.5: PML5E first */
	}
}

uint64_t so_reserved_bits(const struct so_state *s, unsigned level, uint64_t e)
{
	int m = s->maxphyaddr;
	uint64_t xd = (s->efer & EFER_NXE) ? 0 : F_XD; /* XD is reserved when NXE = 0 */
	uint64_t r;

	switch (s->paging) {
	case SO_32BIT: {
		/* Table 4-4 (PDE, 4-MByte page, CR4.PSE = 1): bits 21:(M-19) are
		 * reserved; bits (M-20):13 hold PA bits (M-1):32, with M taken
		 * as at most 40. Tables 4-5, 4-6: nothing is reserved otherwise
		 * (PS is ignored when CR4.PSE = 0). */
		int mm = m > 40 ? 40 : m;

		if (level == 2 && (s->cr4 & CR4_PSE) && (e & F_PS))
			return bits(21, mm - 19);
		return 0;
	}
	case SO_PAE:
		if (level == 3) /* Table 4-8: PDPTE bits 2:1, 8:5, 63:M */
			return bits(2, 1) | bits(8, 5) | bits(63, m);
		r = bits(62, m) | xd;	      /* Tables 4-9..4-11: 62:M (and 63) */
		if (level == 2 && (e & F_PS)) /* Table 4-9: 2-MByte page, 20:13 */
			r |= bits(20, 13);
		return r;
	default:
		r = bits(51, m) | xd; /* Tables 4-14..4-20: 51:M (and 63) */
		if (level >= 4)	      /* Tables 4-14, 4-15: PML5E/PML4E bit 7 */
			r |= F_PS;
		/* Table 4-16: a 1-GByte page reserves 29:13; without 1-GByte pages
		 * PS itself is reserved (4.5.4, CPUID.80000001H:EDX[26]). */
		if (level == 3 && (e & F_PS))
			r |= s->gbpages ? bits(29, 13) : F_PS;
		if (level == 2 && (e & F_PS)) /* Table 4-18: 2-MByte page, 20:13 */
			r |= bits(20, 13);
		return r;
	}
}

/* Does the entry map a page (rather than reference a table)? 4.3, 4.4.2, 4.5.4. */
static bool maps_page(const struct so_state *s, unsigned level, uint64_t e)
{
	if (level == 1)
		return true;
	switch (s->paging) {
	case SO_32BIT:
		return level == 2 && (s->cr4 & CR4_PSE) && (e & F_PS);
	case SO_PAE:
		return level == 2 && (e & F_PS);
	default:
		return (level == 2 || level == 3) && (e & F_PS);
	}
}

/* 4.8: every entry used has an accessed flag, except PAE's PDPTEs, which are
 * registers loaded at CR3 load (4.4.1; Table 4-8 has no A). */
static bool has_accessed_flag(const struct so_state *s, unsigned level)
{
	return !(s->paging == SO_PAE && level == 3);
}

/* The physical address: Tables 4-4, 4-6 (32-bit), 4-9, 4-11 (PAE), 4-16,
 * 4-18, 4-20 (4/5-level): frame bits (M-1):shift of the entry, offset bits
 * (shift-1):0 of the linear address. */
static uint64_t physical_address(const struct so_state *s, unsigned level, uint64_t e, uint64_t la)
{
	int m = s->maxphyaddr;
	int shift = level == 1 ? 12 : level == 2 ? 21 : 30;

	if (s->paging == SO_32BIT) {
		int mm = m > 40 ? 40 : m;

		if (level == 1)
			return (e & bits(31, 12)) | (la & bits(11, 0));
		return (e & bits(31, 22)) | ((e & bits(mm - 20, 13)) >> 13) << 32 |
		       (la & bits(21, 0));
	}
	return (e & bits(m - 1, shift)) | (la & bits(shift - 1, 0));
}

/* Everything the access-rights conditions of 4.6 talk about. */
struct facts {
	bool user_access; /* 4.6: CPL 3 and not an implicit supervisor-mode access */
	bool implicit;
	bool read, write, fetch;
	bool user_address; /* 4.6: U/S = 1 in every entry controlling the translation */
	bool rw_all;	   /* R/W = 1 in every entry controlling the translation */
	bool xd_any;	   /* XD = 1 in some entry, not 32-bit paging, NXE = 1 */
	bool wp, smep, smap, ac, pke, pks, lma;
	unsigned pkey;
	uint32_t pkru, pkrs;
};

/* 4.6.2: ADi forbids every data access; WDi forbids user-mode writes, and
 * supervisor-mode writes when CR0.WP = 1. */
static bool key_ad(uint32_t reg, unsigned key)
{
	return reg >> (2 * key) & 1;
}

static bool key_wd_blocks(const struct facts *f, uint32_t reg)
{
	return (reg >> (2 * f->pkey + 1) & 1) && f->write && (f->user_access || f->wp);
}

static bool pkru_applies(const struct facts *f)
{
	return !f->fetch && f->lma && f->user_address && f->pke;
}

static bool pkrs_applies(const struct facts *f)
{
	return !f->fetch && f->lma && !f->user_address && f->pks;
}

/* The "may not" conditions of 4.6.1 and 4.6.2, one per rule. */
static bool r_sup_read_user_smap(const struct facts *f)
{
	return !f->user_access && f->read && f->user_address && f->smap && (!f->ac || f->implicit);
}

static bool r_sup_write_sup_wp(const struct facts *f)
{
	return !f->user_access && f->write && !f->user_address && f->wp && !f->rw_all;
}

static bool r_sup_write_user_smap(const struct facts *f)
{
	return !f->user_access && f->write && f->user_address && f->smap && (!f->ac || f->implicit);
}

static bool r_sup_write_user_wp(const struct facts *f)
{
	return !f->user_access && f->write && f->user_address && f->wp && !f->rw_all;
}

static bool r_sup_fetch_sup_xd(const struct facts *f)
{
	return !f->user_access && f->fetch && !f->user_address && f->xd_any;
}

static bool r_sup_fetch_user_smep(const struct facts *f)
{
	return !f->user_access && f->fetch && f->user_address && f->smep;
}

static bool r_sup_fetch_user_xd(const struct facts *f)
{
	return !f->user_access && f->fetch && f->user_address && f->xd_any;
}

static bool r_user_read_sup(const struct facts *f)
{
	return f->user_access && f->read && !f->user_address;
}

static bool r_user_write_sup(const struct facts *f)
{
	return f->user_access && f->write && !f->user_address;
}

static bool r_user_write_ro(const struct facts *f)
{
	return f->user_access && f->write && !f->rw_all;
}

static bool r_user_fetch_sup(const struct facts *f)
{
	return f->user_access && f->fetch && !f->user_address;
}

static bool r_user_fetch_xd(const struct facts *f)
{
	return f->user_access && f->fetch && f->xd_any;
}

static bool r_pkru_ad(const struct facts *f)
{
	return pkru_applies(f) && key_ad(f->pkru, f->pkey);
}

static bool r_pkru_wd(const struct facts *f)
{
	return pkru_applies(f) && key_wd_blocks(f, f->pkru);
}

static bool r_pkrs_ad(const struct facts *f)
{
	return pkrs_applies(f) && key_ad(f->pkrs, f->pkey);
}

static bool r_pkrs_wd(const struct facts *f)
{
	return pkrs_applies(f) && key_wd_blocks(f, f->pkrs);
}

static const struct rule {
	const char *text;
	bool (*denies)(const struct facts *f);
} rights_rules[] = {
    {"SDM 4.6.1: supervisor-mode data read from a user-mode address, CR4.SMAP=1, "
     "EFLAGS.AC=0 or implicit",
     r_sup_read_user_smap},
    {"SDM 4.6.1: supervisor-mode write to a supervisor-mode address, CR0.WP=1, R/W=0 "
     "somewhere",
     r_sup_write_sup_wp},
    {"SDM 4.6.1: supervisor-mode write to a user-mode address, CR4.SMAP=1, EFLAGS.AC=0 "
     "or implicit",
     r_sup_write_user_smap},
    {"SDM 4.6.1: supervisor-mode write to a user-mode address, CR0.WP=1, R/W=0 "
     "somewhere",
     r_sup_write_user_wp},
    {"SDM 4.6.1: supervisor-mode fetch from a supervisor-mode address, XD=1 somewhere",
     r_sup_fetch_sup_xd},
    {"SDM 4.6.1: supervisor-mode fetch from a user-mode address, CR4.SMEP=1",
     r_sup_fetch_user_smep},
    {"SDM 4.6.1: supervisor-mode fetch from a user-mode address, XD=1 somewhere",
     r_sup_fetch_user_xd},
    {"SDM 4.6.1: user-mode data read from a supervisor-mode address", r_user_read_sup},
    {"SDM 4.6.1: user-mode write to a supervisor-mode address", r_user_write_sup},
    {"SDM 4.6.1: user-mode write, R/W=0 somewhere", r_user_write_ro},
    {"SDM 4.6.1: user-mode fetch from a supervisor-mode address", r_user_fetch_sup},
    {"SDM 4.6.1: user-mode fetch, XD=1 somewhere", r_user_fetch_xd},
    {"SDM 4.6.2: data access to a user-mode address, CR4.PKE=1, PKRU.AD=1", r_pkru_ad},
    {"SDM 4.6.2: write to a user-mode address, CR4.PKE=1, PKRU.WD=1, user-mode or "
     "CR0.WP=1",
     r_pkru_wd},
    {"SDM 4.6.2: data access to a supervisor-mode address, CR4.PKS=1, IA32_PKRS.AD=1", r_pkrs_ad},
    {"SDM 4.6.2: write to a supervisor-mode address, CR4.PKS=1, IA32_PKRS.WD=1, "
     "user-mode or CR0.WP=1",
     r_pkrs_wd},
};

/*
 * 4.7, PK flag: 1 if LMA = CR4.PKE = 1, a data access, a user-mode address
 * with key i, and PKRU has ADi = 1, or WDi = 1 with a write that is user-mode
 * or under CR0.WP = 1; likewise with CR4.PKS, a supervisor-mode address and
 * IA32_PKRS. The definition does not depend on whether other rights also
 * deny the access, so the flag is set whenever the key alone would deny.
 */
static bool pk_flag(const struct facts *f)
{
	return r_pkru_ad(f) || r_pkru_wd(f) || r_pkrs_ad(f) || r_pkrs_wd(f);
}

/* 4.7: the error-code flags that describe the access itself. */
static uint32_t access_flags(const struct so_state *s, const struct so_access *a)
{
	uint32_t ec = 0;

	if (a->op == SO_WRITE) /* W/R: the access was a write */
		ec |= EC_WR;
	if (a->cpl == 3 && !a->implicit) /* U/S: a user-mode access (4.6) */
		ec |= EC_US;
	/* I/D: an instruction fetch, and CR4.SMEP = 1 or (CR4.PAE = 1 and
	 * IA32_EFER.NXE = 1). */
	if (a->op == SO_FETCH &&
	    ((s->cr4 & CR4_SMEP) || ((s->cr4 & CR4_PAE) && (s->efer & EFER_NXE))))
		ec |= EC_ID;
	return ec;
}

void so_judge(const struct so_state *s, const struct so_path *p, const struct so_access *a,
	      struct so_verdict *v)
{
	unsigned top = top_level(s->paging), level, leaf = 0;
	uint8_t used = 0;
	struct facts f;

	memset(v, 0, sizeof(*v));
	v->vector = 14;
	v->cr2 = a->la; /* 4.7: CR2 gets the linear address */

	/*
	 * The translation (4.3, 4.4.2, 4.5.4): from the top, each entry either
	 * ends it (P = 0 or a reserved bit: no translation, 4.7), maps the page,
	 * or references the next table. 4.8: an entry used to reference the
	 * next table has its A flag set, even if the translation fails further
	 * down. CONVENTION: the manual says this for the PDE on a protection
	 * fault (6.15, #PF, footnote) and calls the PTE's flag model-specific;
	 * we set A on every referencing entry above the failing one and never on
	 * the failing entry.
	 */
	for (level = top; level >= 1; level--) {
		uint64_t e = p->ent[level];

		/* 4.4.1: PAE's PDPTEs are loaded into registers by MOV to CR3 (and
		 * the mode-changing MOVs); a PDPTE with P=1 and a reserved bit set
		 * makes the load fail with #GP(0): no access happens at all. */
		if (s->paging == SO_PAE && level == 3 && (e & F_P) &&
		    (e & so_reserved_bits(s, level, e))) {
			v->fault = true;
			v->vector = 13;
			v->cr2 = 0;
			v->rule = "SDM 4.4.1: PDPTE load fails, #GP(0) (P=1 and a reserved bit)";
			return;
		}
		if (!(e & F_P)) {
			v->fault = true;
			v->error_code = access_flags(s, a); /* P = 0: non-present */
			v->a_set = used;
			v->rule = "SDM 4.7: no translation, P=0 in an entry used";
			return;
		}
		if (e & so_reserved_bits(s, level, e)) {
			v->fault = true;
			v->error_code = EC_P | EC_RSVD | access_flags(s, a);
			v->a_set = used;
			v->rule = "SDM 4.7: no translation, a reserved bit set in an entry used";
			return;
		}
		if (maps_page(s, level, e)) {
			leaf = level;
			break;
		}
		if (has_accessed_flag(s, level))
			used |= 1u << level;
	}
	v->leaf = (uint8_t)leaf;

	/* Access rights (4.6): the entries controlling the translation. */
	memset(&f, 0, sizeof(f));
	f.user_access = a->cpl == 3 && !a->implicit;
	f.implicit = a->implicit;
	f.read = a->op == SO_READ;
	f.write = a->op == SO_WRITE;
	f.fetch = a->op == SO_FETCH;
	f.user_address = true;
	f.rw_all = true;
	for (level = top; level >= leaf; level--) {
		uint64_t e = p->ent[level];

		if (s->paging == SO_PAE && level == 3)
			continue; /* 4.6: PAE PDPTEs do not determine access rights */
		f.user_address &= !!(e & F_US);
		f.rw_all &= !!(e & F_RW);
		if (s->paging != SO_32BIT && (s->efer & EFER_NXE))
			f.xd_any |= !!(e & F_XD);
	}
	f.wp = s->cr0 & CR0_WP;
	f.smep = s->cr4 & CR4_SMEP;
	f.smap = s->cr4 & CR4_SMAP;
	f.ac = s->rflags & RFL_AC;
	f.pke = s->cr4 & CR4_PKE;
	f.pks = s->cr4 & CR4_PKS;
	/* 4.6.2: only 4-level and 5-level paging associate keys with addresses. */
	f.lma = (s->efer & EFER_LMA) && (s->paging == SO_4LEVEL || s->paging == SO_5LEVEL);
	f.pkey = (unsigned)(p->ent[leaf] >> PKEY_SHIFT) & 0xf;
	f.pkru = s->pkru;
	f.pkrs = s->pkrs;

	for (size_t i = 0; i < sizeof(rights_rules) / sizeof(rights_rules[0]); i++) {
		if (rights_rules[i].denies(&f)) {
			v->fault = true;
			v->error_code = EC_P | access_flags(s, a) | (pk_flag(&f) ? EC_PK : 0);
			v->a_set = used;
			v->rule = rights_rules[i].text;
			return;
		}
	}

	/* Allowed. 4.8: A in every entry used, D in the leaf on a write. */
	v->pa = physical_address(s, leaf, p->ent[leaf], a->la);
	v->a_set = used | (uint8_t)(1u << leaf);
	v->d_set = f.write;
	v->rule = "SDM 4.6: access permitted";
}
