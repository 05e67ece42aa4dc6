/*
 * Paging-state validation and resolution of the format's state-dependent
 * rules into masks (see mmu.h).
 */
#include "mmu.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bits.h"
#include "walk.h"

void pg_cpu_all(struct pg_cpu *cpu)
{
	*cpu = (struct pg_cpu){
		.maxphyaddr = 52,
		.pse = true, .pse36 = true, .pae = true, .pge = true, .nx = true,
		.gbpages = true, .la57 = true, .pcid = true, .smep = true,
		.smap = true, .pku = true, .pks = true,
	};
}

enum pg_mode pg_mode_of(const struct pg_regs *r)
{
	if (!(r->cr0 & CR0_PG))
		return PG_MODE_NONE;
	if (!(r->cr4 & CR4_PAE))
		return PG_MODE_2LEVEL;
	if (!(r->efer & EFER_LMA))
		return PG_MODE_PAE;
	return (r->cr4 & CR4_LA57) ? PG_MODE_5LEVEL : PG_MODE_4LEVEL;
}

const struct pg_format *pg_format_of(enum pg_mode mode)
{
	static const struct pg_format *const fmts[PG_MODE_COUNT] = {
		[PG_MODE_NONE] = &pg_fmt_nopaging, [PG_MODE_2LEVEL] = &pg_fmt_2level,
		[PG_MODE_PAE] = &pg_fmt_pae,       [PG_MODE_4LEVEL] = &pg_fmt_4level,
		[PG_MODE_5LEVEL] = &pg_fmt_5level,
	};
	return (unsigned)mode < PG_MODE_COUNT ? fmts[mode] : NULL;
}

/* CR4 bits that need a CPU feature (SDM Vol. 3A 2.5, MOV to CR4 #GP rules). */
static const struct {
	uint64_t bit;
	size_t feature; /* offset of the bool in struct pg_cpu */
	const char *why;
} cr4_features[] = {
	{ CR4_PSE, offsetof(struct pg_cpu, pse), "CR4.PSE is set but the CPU model lacks PSE" },
	{ CR4_PAE, offsetof(struct pg_cpu, pae), "CR4.PAE is set but the CPU model lacks PAE" },
	{ CR4_PGE, offsetof(struct pg_cpu, pge), "CR4.PGE is set but the CPU model lacks PGE" },
	{ CR4_LA57, offsetof(struct pg_cpu, la57),
	  "CR4.LA57 is set but the CPU model lacks 5-level paging (LA57)" },
	{ CR4_PCIDE, offsetof(struct pg_cpu, pcid), "CR4.PCIDE is set but the CPU model lacks PCID" },
	{ CR4_SMEP, offsetof(struct pg_cpu, smep), "CR4.SMEP is set but the CPU model lacks SMEP" },
	{ CR4_SMAP, offsetof(struct pg_cpu, smap), "CR4.SMAP is set but the CPU model lacks SMAP" },
	{ CR4_PKE, offsetof(struct pg_cpu, pku), "CR4.PKE is set but the CPU model lacks PKU" },
	{ CR4_PKS, offsetof(struct pg_cpu, pks), "CR4.PKS is set but the CPU model lacks PKS" },
};

static int check_regs(const struct pg_regs *r, const struct pg_cpu *cpu, const char **why)
{
	bool lma = r->efer & EFER_LMA;

	if (cpu->maxphyaddr < 32 || cpu->maxphyaddr > 52) {
		*why = "MAXPHYADDR must be between 32 and 52";
		return -EINVAL;
	}
	if ((r->cr0 & CR0_PG) && !(r->cr0 & CR0_PE)) {
		*why = "CR0.PG=1 requires CR0.PE=1";
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
		const bool *has = (const bool *)((const char *)cpu + cr4_features[i].feature);
		if ((r->cr4 & cr4_features[i].bit) && !*has) {
			*why = cr4_features[i].why;
			return -EINVAL;
		}
	}
	if ((r->efer & EFER_NXE) && !cpu->nx) {
		*why = "EFER.NXE is set but the CPU model lacks NX";
		return -EINVAL;
	}
	if (lma != ((r->efer & EFER_LME) && (r->cr0 & CR0_PG))) {
		*why = "EFER.LMA must equal EFER.LME && CR0.PG";
		return -EINVAL;
	}
	if (lma && !(r->cr4 & CR4_PAE)) {
		*why = "IA-32e mode requires CR4.PAE=1";
		return -EINVAL;
	}
	if ((r->cr4 & CR4_PCIDE) && !lma) {
		*why = "CR4.PCIDE=1 requires IA-32e mode";
		return -EINVAL;
	}
	if (lma ? (r->cr3 & GENMASK64(63, cpu->maxphyaddr)) : (r->cr3 >> 32)) {
		*why = lma ? "CR3 sets bits above MAXPHYADDR" : "CR3 is wider than 32 bits outside IA-32e mode";
		return -EINVAL;
	}
	return 0;
}

int pg_mmu_init(struct pg_mmu *m, const struct pg_regs *r, const struct pg_cpu *cpu,
		const char **why)
{
	const struct pg_format *f;
	unsigned M = cpu->maxphyaddr, abits;
	int rc;

	rc = check_regs(r, cpu, why);
	if (rc)
		return rc;

	memset(m, 0, sizeof(*m));
	f = pg_format_of(pg_mode_of(r));
	m->fmt = f;
	m->regs = *r;
	m->maxphyaddr = (uint8_t)M;
	m->nxe = f->nx && (r->efer & EFER_NXE);
	m->wp = r->cr0 & CR0_WP;
	m->smep = r->cr4 & CR4_SMEP;
	m->smap = r->cr4 & CR4_SMAP;
	/* Protection keys apply only in IA-32e mode (SDM 4.6.2). */
	m->pke = f->pk && (r->cr4 & CR4_PKE);
	m->pks = f->pk && (r->cr4 & CR4_PKS);
	m->pge = r->cr4 & CR4_PGE;
	m->rules = &pg_rules_x86;
	m->present = f->present;
	m->a_bit = f->a_bit;
	m->d_bit = f->d_bit;
	m->perm_and = f->perm_and;
	m->perm_or = m->nxe ? f->perm_or : 0;

	abits = f->addr_bits < M ? f->addr_bits : M;
	m->root = r->cr3 & f->cr3_addr;
	m->table_addr = GENMASK64(abits - 1, 12);

	for (unsigned l = 1; l <= f->levels; l++) {
		const struct pg_level *L = &f->lvl[l];
		uint64_t base = L->rsvd;

		if (f->rsvd_top)
			base |= GENMASK64(f->rsvd_top, M);
		if (f->nx && L->has_perm && !m->nxe)
			base |= PTE_XD;

		switch (L->ps) {
		case PG_PS_ALWAYS:
			m->ps_leaf[l] = true;
			break;
		case PG_PS_PSE: /* PS ignored when CR4.PSE=0 (SDM 4.3) */
			m->ps_leaf[l] = r->cr4 & CR4_PSE;
			break;
		case PG_PS_1G:
			m->ps_leaf[l] = cpu->gbpages;
			if (!cpu->gbpages)
				base |= PTE_PS;
			break;
		case PG_PS_RSVD:
			base |= PTE_PS;
			break;
		default:
			break;
		}
		m->rsvd[l][0] = base;
		m->rsvd[l][1] = base | L->rsvd_large;
		if (L->hi_bits) {
			/* PSE-36: physical bits above min(M, 32 + hi_bits) are
			 * reserved; all of them without PSE-36 (SDM Table 4-5). */
			unsigned usable = !cpu->pse36 ? 0 : M - 32 < L->hi_bits ? M - 32 : L->hi_bits;
			m->rsvd[l][1] |= GENMASK64(L->hi_lo + L->hi_bits - 1, L->hi_lo + usable);
		}
		m->leaf_addr[l] = GENMASK64(abits - 1, L->shift);
	}
	return 0;
}
