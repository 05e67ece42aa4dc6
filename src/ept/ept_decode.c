/*
 * EPT entry and exit-qualification decoding for display, the EPT
 * counterpart of src/paging/decode.c. What a bit means at a level (leaf or
 * not, whether A/D and XU are in use, which bits are reserved) comes from
 * the resolved state that ept_mmu_init() built, so there is no per-level
 * code (SDM Vol. 3C 29.3.2, Tables 29-1..29-7; Table 28-7).
 */
#include "ept.h"

static void add(struct pg_decoded *d, const char *name)
{
	if (d->nbits < PG_DECODE_MAX)
		d->bits[d->nbits++] = name;
}

void ept_decode_entry(const struct pg_mmu *m, unsigned level, uint64_t e, struct pg_decoded *d)
{
	static const char *const mt_names[8] = {
		"MT=0", "MT=1", "MT=2", "MT=3", "MT=4", "MT=5", "MT=6", "MT=7",
	};
	bool large = level > 1 && m->ps_leaf[level] && (e & EPTE_PS);

	*d = (struct pg_decoded){ 0 };
	d->present = e & m->present;
	d->leaf = level == 1 || large;
	d->rsvd = e & m->rsvd[level][large];

	if (e & EPTE_R)
		add(d, "R");
	if (e & EPTE_W)
		add(d, "W");
	if (e & EPTE_X)
		add(d, "X");
	/* Bits 6:3 are memory type and ignore-PAT in a leaf, reserved
	 * above (and shown as RSVD). */
	if (d->leaf) {
		add(d, mt_names[(e & EPTE_MT) >> EPTE_MT_SHIFT]);
		if (e & EPTE_IPAT)
			add(d, "IPAT");
	}
	if (level > 1 && (e & EPTE_PS))
		add(d, "PS"); /* reserved where the level maps no page */
	if (m->a_bit && (e & EPTE_A))
		add(d, "A");
	if (m->d_bit && d->leaf && (e & EPTE_D))
		add(d, "D");
	if (m->ept_mbec && (e & EPTE_XU))
		add(d, "XU");
	if (d->leaf && (e & EPTE_SVE))
		add(d, "SVE");
	if (d->rsvd)
		add(d, "RSVD");
	if (d->present && ept_rules.entry_bad(m, level, d->leaf, e))
		add(d, "MISCONFIG");

	d->addr = e & (d->leaf ? m->leaf_addr[level] : m->table_addr);
}

static_assert(EPTQ_READ == BIT64(0) && EPTQ_XD_LINEAR == BIT64(11),
	      "qualification names are indexed by bit");

unsigned ept_decode_qual(uint64_t q, const char *names[12])
{
	static const char *const bit_names[12] = {
		"R",          "W",        "X",           "readable",
		"writable",   "executable", "user-executable", "gla-valid",
		"final",      "user-la",  "rw-la",       "xd-la",
	};
	unsigned n = 0;

	for (unsigned i = 0; i < 12; i++)
		if (q & BIT64(i))
			names[n++] = bit_names[i];
	return n;
}
