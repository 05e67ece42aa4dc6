/*
 * Role computation (see role.h). Every function is pure: its inputs are
 * its arguments.
 */
#include "role.h"

#include <errno.h>
#include <stdio.h>

#include "ept/ept_bits.h"
#include "paging/bits.h"

struct hv_role_regs hv_role_regs_of(const struct pg_regs *r, bool smm, bool guest_mode)
{
	return (struct hv_role_regs){ .cr0 = r->cr0, .cr4 = r->cr4, .efer = r->efer,
				      .smm = smm, .guest_mode = guest_mode };
}

union hv_cpu_role hv_cpu_role_of(const struct hv_role_regs *r)
{
	union hv_cpu_role c = { .word = 0 };
	bool wp = r->cr0 & CR0_WP, lma = r->efer & EFER_LMA;

	c.base.access = HV_ACC_ALL;
	c.base.smm = r->smm;
	c.base.guest_mode = r->guest_mode;
	c.ext.valid = 1;
	if (!(r->cr0 & CR0_PG)) {
		/* Nonpaging: nothing else means anything (KVM "do not set
		 * paging-related bits in MMU role if CR0.PG=0"). */
		c.base.direct = 1;
		return c;
	}
	c.base.efer_nx = (r->efer & EFER_NXE) != 0;
	c.base.cr0_wp = wp;
	c.base.smep_andnot_wp = (r->cr4 & CR4_SMEP) && !wp;
	c.base.smap_andnot_wp = (r->cr4 & CR4_SMAP) && !wp;
	c.base.has_4_byte_gpte = !(r->cr4 & CR4_PAE);
	/* SDM Vol. 3A Table 4-1. */
	if (lma)
		c.base.level = (r->cr4 & CR4_LA57) ? 5 : 4;
	else
		c.base.level = (r->cr4 & CR4_PAE) ? 3 : 2;
	c.ext.cr0_pg = 1;
	c.ext.cr4_pae = (r->cr4 & CR4_PAE) != 0;
	c.ext.cr4_pse = (r->cr4 & CR4_PSE) != 0;
	c.ext.cr4_smep = (r->cr4 & CR4_SMEP) != 0;
	c.ext.cr4_smap = (r->cr4 & CR4_SMAP) != 0;
	/* PKE and LA57 mean something only in IA-32e mode (SDM 4.6.2, 4.5). */
	c.ext.cr4_pke = lma && (r->cr4 & CR4_PKE);
	c.ext.cr4_la57 = lma && (r->cr4 & CR4_LA57);
	c.ext.efer_lma = lma;
	return c;
}

enum pg_mode hv_cpu_role_mode(union hv_cpu_role c)
{
	switch (c.base.direct ? 0 : c.base.level) {
	case 2:
		return PG_MODE_2LEVEL;
	case 3:
		return PG_MODE_PAE;
	case 4:
		return PG_MODE_4LEVEL;
	case 5:
		return PG_MODE_5LEVEL;
	default:
		return PG_MODE_NONE;
	}
}

union hv_role hv_tdp_root_role(union hv_cpu_role c, const struct hv_tdp_opts *o)
{
	union hv_role r = { .word = 0 };

	r.level = o->level;
	r.direct = 1;
	r.access = HV_ACC_ALL;
	r.ad_disabled = !o->ad;
	r.smm = c.base.smm;
	r.guest_mode = c.base.guest_mode;
	r.mirror = o->mirror;
	if (o->normalise) {
		r.cr0_wp = 1;
		r.efer_nx = 1;
	} else {
		/* 0 while CR0.PG=0: hv_cpu_role_of() left them clear. */
		r.cr0_wp = c.base.cr0_wp;
		r.efer_nx = c.base.efer_nx;
	}
	return r;
}

union hv_role hv_shadow_root_role(union hv_cpu_role c)
{
	union hv_role r = c.base;

	if (r.direct) {
		r.level = 3;
		r.pae_root = 1;
		return r;
	}
	r.efer_nx = 1;
	if (r.level < 3) {
		r.level = 3;
		r.passthrough = 1;
	}
	r.pae_root = r.level == 3;
	return r;
}

int hv_npt_shadow_roles(const struct hv_role_regs *l1, unsigned l0_level,
			union hv_cpu_role *cpu, union hv_role *root)
{
	const struct hv_role_regs regs = {
		.cr0 = CR0_PG,
		.cr4 = l1->cr4 & ~CR4_PKE,
		.efer = l1->efer,
		.smm = l1->smm,
		.guest_mode = true,
	};
	union hv_cpu_role c = hv_cpu_role_of(&regs);
	union hv_role r = c.base;

	if (l0_level < c.base.level || l0_level > PG_LEVELS_MAX)
		return -EINVAL;
	r.level = l0_level;
	r.passthrough = l0_level > c.base.level;
	r.pae_root = l0_level == 3;
	*cpu = c;
	*root = r;
	return 0;
}

int hv_ept_shadow_roles(uint64_t l1_eptp, union hv_cpu_role *cpu, union hv_role *root)
{
	union hv_cpu_role c = { .word = 0 };
	unsigned pwl = (unsigned)((l1_eptp & EPTP_PWL) >> EPTP_PWL_SHIFT) + 1u;

	if (pwl != 4 && pwl != 5)
		return -EINVAL;
	c.base.level = pwl;
	c.base.access = HV_ACC_ALL;
	c.base.guest_mode = 1;
	c.base.ad_disabled = !(l1_eptp & EPTP_AD);
	c.ext.valid = 1;
	*cpu = c;
	*root = c.base;
	return 0;
}

union hv_role hv_role_child(union hv_role parent, unsigned guest_level, unsigned index,
			    bool direct, unsigned access)
{
	union hv_role r = parent;

	assert(parent.level > 1);
	r.level = parent.level - 1u;
	r.access = access & HV_ACC_ALL;
	r.direct = direct;
	r.passthrough = !direct && r.level > guest_level;
	r.pae_root = !direct && r.level == 3 && guest_level <= 3;
	/* 4-byte gptes (KVM kvm_mmu_child_role and mmu_alloc_root): a guest
	 * PT covers 4 MiB and a shadow PT 2 MiB, so bit 21 picks the half,
	 * the low bit of the parent's 8-byte PDE index; a guest PD covers
	 * 4 GiB and a shadow PD 1 GiB, so bits 31:30 pick the quarter, the
	 * index of the entry in the promoted level-3 root. */
	if (r.has_4_byte_gpte && !direct && r.level <= 2)
		r.quadrant = index & (r.level == 1 ? 1u : 3u);
	else
		r.quadrant = 0;
	return r;
}

const char *hv_role_str(union hv_role r, char *buf, size_t len)
{
	snprintf(buf, len, "l%u%s%s q%u acc=%c%c%c%s%s%s%s%s%s%s%s%s%s", r.level,
		 r.direct ? " direct" : "", r.has_4_byte_gpte ? " gpte4" : "", r.quadrant,
		 (r.access & HV_ACC_USER) ? 'u' : '-', (r.access & HV_ACC_WRITE) ? 'w' : '-',
		 (r.access & HV_ACC_EXEC) ? 'x' : '-', r.cr0_wp ? " wp" : "",
		 r.efer_nx ? " nx" : "", r.smep_andnot_wp ? " smep&!wp" : "",
		 r.smap_andnot_wp ? " smap&!wp" : "", r.ad_disabled ? " !ad" : "",
		 r.guest_mode ? " guest" : "", r.passthrough ? " passthrough" : "",
		 r.smm ? " smm" : "", r.mirror ? " mirror" : "", r.pae_root ? " pae_root" : "");
	return buf;
}
