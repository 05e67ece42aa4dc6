/*
 * Entry and error-code decoding for display (see decode.h). Bit positions are
 * the shared ones of bits.h; what a bit means at a level (PS or PAT, whether
 * R/W and U/S exist, where PSE-36 keeps the high address bits) comes from the
 * format descriptor and from the masks pg_mmu_init() resolved.
 */
#include "decode.h"

#include "bits.h"

static void add(struct pg_decoded *d, const char *name)
{
	if (d->nbits < PG_DECODE_MAX)
		d->bits[d->nbits++] = name;
}

void pg_decode_entry(const struct pg_mmu *m, unsigned level, uint64_t e, struct pg_decoded *d)
{
	static const char *const pk_names[16] = {
		"PK=0", "PK=1", "PK=2",  "PK=3",  "PK=4",  "PK=5",  "PK=6",  "PK=7",
		"PK=8", "PK=9", "PK=10", "PK=11", "PK=12", "PK=13", "PK=14", "PK=15",
	};
	const struct pg_format *f = m->fmt;
	const struct pg_level *L = &f->lvl[level];
	bool large = level > 1 && m->ps_leaf[level] && (e & PTE_PS);

	*d = (struct pg_decoded){ 0 };
	d->present = e & PTE_P;
	d->leaf = level == 1 || large;
	d->rsvd = e & m->rsvd[level][large];

	if (e & PTE_P)
		add(d, "P");
	/* PAE PDPTEs have no R/W, U/S, A, D, G: those bits are reserved and
	 * show up as RSVD below. */
	if (L->has_perm && (e & PTE_RW))
		add(d, "RW");
	if (L->has_perm && (e & PTE_US))
		add(d, "US");
	if (e & PTE_PWT)
		add(d, "PWT");
	if (e & PTE_PCD)
		add(d, "PCD");
	if (L->has_a && (e & PTE_A))
		add(d, "A");
	if (L->has_perm && d->leaf && (e & PTE_D))
		add(d, "D");
	if (e & PTE_PS) {
		if (level == 1)
			add(d, "PAT");
		else if (L->ps == PG_PS_PSE && !m->ps_leaf[level])
			add(d, "PS(ignored)"); /* 32-bit paging with CR4.PSE=0 */
		else if (L->has_perm)
			add(d, "PS"); /* reserved where the level has no pages */
	}
	if (L->has_perm && d->leaf && (e & PTE_G))
		add(d, "G");
	if (large && (e & PTE_PAT_LARGE))
		add(d, "PAT");
	if (f->pk && d->leaf && (e & PTE_PK))
		add(d, pk_names[(e & PTE_PK) >> PTE_PK_SHIFT]);
	if (f->nx && L->has_perm && (e & PTE_XD))
		add(d, "XD");
	if (d->rsvd)
		add(d, "RSVD");

	if (d->leaf) {
		d->addr = e & m->leaf_addr[level];
		if (large && L->hi_bits)
			d->addr |= ((e >> L->hi_lo) & ((UINT64_C(1) << L->hi_bits) - 1)) << 32;
	} else {
		d->addr = e & m->table_addr;
	}
}

unsigned pg_decode_pfec(uint32_t ec, const char *names[6])
{
	static const struct {
		uint32_t bit;
		const char *name;
	} flags[] = {
		{ PFEC_P, "P" },       { PFEC_WR, "W" }, { PFEC_US, "U" },
		{ PFEC_RSVD, "RSVD" }, { PFEC_ID, "I" }, { PFEC_PK, "PK" },
	};
	unsigned n = 0;

	for (unsigned i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (ec & flags[i].bit)
			names[n++] = flags[i].name;
	return n;
}
