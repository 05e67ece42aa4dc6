/*
 * MMU roles: the complete key under which the hypervisor caches a table,
 * and the guest-mode key of an MMU context (KVM's union kvm_mmu_page_role
 * and union kvm_cpu_role, Documentation/virt/kvm/mmu.rst).
 *
 * A role is computed ONLY from the registers of the MMU context being
 * built, given explicitly as a struct hv_role_regs: the guest's CR0, CR4
 * and EFER for a guest context; for nested NPT, L1's CR4 and EFER as they
 * were at VMRUN (vmcb01), never the vCPU's current ones. Nothing here reads
 * ambient vCPU state: there is no vCPU argument. Seed 002 is the story of
 * the bug this rules out (KVM computed the nested NPT role from L1's
 * registers and then took reserved bits, NX and SMEP from the vCPU, which
 * KVM_SET_NESTED_STATE leaves holding L2's state).
 *
 * Roles are compared whole (hv_role_eq: one integer compare), as KVM
 * compares role.word: two tables are interchangeable exactly when their
 * keys are equal, so every bit that changes what a table's entries mean is
 * in the role. Unused bits are always zero (every constructor starts from
 * a zero word), so the word is also the hash.
 *
 * The fields of union hv_role, as mmu.rst documents KVM's:
 *
 *   level            The level of the table in the hypervisor's hierarchy:
 *                    1 holds 4 KiB leaves, 2 the 2 MiB (or 4 MiB guest)
 *                    leaves, ... 5 a PML5. A root has the root level.
 *   has_4_byte_gpte  The table shadows a guest table of 4-byte entries
 *                    (2-level, non-PAE paging; SDM Vol. 3A 4.3); 0 for
 *                    direct tables and 8-byte guest entries.
 *   quadrant         With has_4_byte_gpte, the part of the guest table this
 *                    table shadows: a guest table of 1024 entries needs
 *                    more than one 512-entry shadow table. Level 1: 0..1,
 *                    the half of a guest PT (bit 21 of the address, from
 *                    the low bit of the parent's index); level 2: 0..3, the
 *                    gigabyte of the guest PD (bits 31:30). 0 otherwise.
 *   direct           Leaves under this table map a linear range of the
 *                    input (GPA for TDP, GVA for a real-mode or large-page
 *                    shadow) rather than shadowing a guest table: TDP
 *                    tables, nonpaging guests, a guest large page split
 *                    into small host pages. The key's gpa is then the start
 *                    of the range.
 *   access           Rights inherited from the parent guest entries, as
 *                    HV_ACC_* (KVM's ACC_EXEC_MASK, ACC_WRITE_MASK,
 *                    ACC_USER_MASK): 1 execute, 2 write, 4 user. Execute is
 *                    positive (the inverse of XD). Roots and TDP tables:
 *                    HV_ACC_ALL.
 *   efer_nx          EFER.NXE under which the table is valid: with NXE=0
 *                    bit 63 of a guest entry is reserved, not XD (SDM
 *                    4.4.2, Table 4-11). TDP roots: 1 when normalised (seed
 *                    003); shadow roots: always 1 (the shadow uses NX
 *                    itself, KVM "treat NX as used for all !TDP MMUs").
 *   cr0_wp           CR0.WP under which the table is valid (SDM 4.6.1:
 *                    with WP=0 supervisor writes ignore R/W). TDP roots: 1
 *                    when normalised (seed 003: both EPT and NPT enforce
 *                    write protection whatever CR0.WP).
 *   smep_andnot_wp   CR4.SMEP && !CR0.WP: with WP=0 a shadow entry may be
 *                    made writable and not user to let supervisor writes
 *                    through, which changes meaning when SMEP is on.
 *   smap_andnot_wp   CR4.SMAP && !CR0.WP, for the same reason under SMAP.
 *   ad_disabled      The table's entries carry no accessed/dirty flags: EPT
 *                    without EPTP.AD (SDM Vol. 3C 29.3.5), or a shadow of an
 *                    L1 EPT whose EPTP has AD clear.
 *   guest_mode       The table serves a nested (L2) guest.
 *   passthrough      Level promotion: the table sits above the guest's top
 *                    level and shadows no guest table; its first entry
 *                    leads to the shadow of the guest root (seed 000,
 *                    Lai's role.level_promoted; KVM's passthrough for a
 *                    4-level L1 NPT under a 5-level L0). In tdpsim every
 *                    promoted level is an ordinary table with this bit,
 *                    where KVM uses the special pml4_root / pml5_root.
 *   smm              The table maps the SMM address space (SMRAM visible).
 *   pae_root         The table is the 4-entry PDPT-shaped root of a guest
 *                    of at most 3 levels (PAE, 2-level, nonpaging; or a
 *                    32-bit L1's NPT): KVM's pae_root, made an ordinary
 *                    table as Lai's RFC does (seed 000, role.pae_root).
 *                    Its entries are PDPTEs (SDM 4.4.1: P only in a PAE
 *                    shadow), so it must never be taken for a 64-bit
 *                    guest's PDPT shadow of the same gfn and access.
 *   mirror           TDX: the table belongs to the private (mirror) root,
 *                    the hypervisor's copy of the secure EPT (seed 001);
 *                    0 for the shared root and non-TD guests. Private and
 *                    shared tables of one GFN are distinct keys.
 *
 * KVM's role.invalid is not a field: it makes zapped roots miss in look-ups,
 * and here a zapped table is removed from the look-up instead (table.h).
 * The host format (EPT, NPT of a given level) is not a field either: every
 * table of one struct hv_tables has the same format.
 *
 * union hv_role_ext adds the guest-mode bits that decide how guest tables
 * are walked but do not change a shadow entry (KVM's kvm_mmu_extended_role):
 * together, union hv_cpu_role is the key of an MMU context, compared whole
 * to decide whether a register write rebuilds the context.
 */
#ifndef TDPSIM_HV_ROLE_H
#define TDPSIM_HV_ROLE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "paging/format.h"
#include "paging/mmu.h"

/* Rights in role.access (KVM's ACC_*_MASK). */
#define HV_ACC_EXEC  1u
#define HV_ACC_WRITE 2u
#define HV_ACC_USER  4u
#define HV_ACC_ALL   (HV_ACC_EXEC | HV_ACC_WRITE | HV_ACC_USER)

union hv_role {
	uint32_t word;
	struct {
		unsigned level : 4;
		unsigned has_4_byte_gpte : 1;
		unsigned quadrant : 2;
		unsigned direct : 1;
		unsigned access : 3;
		unsigned efer_nx : 1;
		unsigned cr0_wp : 1;
		unsigned smep_andnot_wp : 1;
		unsigned smap_andnot_wp : 1;
		unsigned ad_disabled : 1;
		unsigned guest_mode : 1;
		unsigned passthrough : 1;
		unsigned smm : 1;
		unsigned mirror : 1;
		unsigned pae_root : 1;
		unsigned : 11;
	};
};
static_assert(sizeof(union hv_role) == sizeof(uint32_t), "hv_role is one word");

union hv_role_ext {
	uint32_t word;
	struct {
		unsigned valid : 1;     /* computed (a zero word is "no context yet") */
		unsigned cr0_pg : 1;
		unsigned cr4_pae : 1;
		unsigned cr4_pse : 1;   /* 4 MiB pages in 2-level paging */
		unsigned cr4_smep : 1;
		unsigned cr4_smap : 1;
		unsigned cr4_pke : 1;   /* only with EFER.LMA (SDM 4.6.2) */
		unsigned cr4_la57 : 1;  /* only with EFER.LMA */
		unsigned efer_lma : 1;
		unsigned : 23;
	};
};
static_assert(sizeof(union hv_role_ext) == sizeof(uint32_t), "hv_role_ext is one word");

union hv_cpu_role {
	uint64_t word;
	struct {
		union hv_role base;
		union hv_role_ext ext;
	};
};
static_assert(sizeof(union hv_cpu_role) == sizeof(uint64_t), "hv_cpu_role is one word");

/* The registers an MMU context is built from: the only input of a role.
 * smm and guest_mode are part of it (seed 003: passed down, not queried
 * from the vCPU). */
struct hv_role_regs {
	uint64_t cr0, cr4, efer;
	bool smm;        /* the context serves System Management Mode */
	bool guest_mode; /* the context serves a nested (L2) guest */
};

/* The role registers of a paging state given explicitly. */
struct hv_role_regs hv_role_regs_of(const struct pg_regs *r, bool smm, bool guest_mode);

static inline bool hv_role_eq(union hv_role a, union hv_role b)
{
	return a.word == b.word;
}

static inline bool hv_cpu_role_eq(union hv_cpu_role a, union hv_cpu_role b)
{
	return a.word == b.word;
}

/*
 * The guest's MMU mode (KVM kvm_calc_cpu_role): with CR0.PG=0 a direct
 * role of level 0 (nonpaging) carrying only smm and guest_mode; otherwise
 * level 2 (32-bit), 3 (PAE), 4 or 5 (IA-32e, SDM Vol. 3A Table 4-1),
 * efer_nx, cr0_wp, smep/smap_andnot_wp, has_4_byte_gpte = !CR4.PAE, and
 * the extended bits. access = HV_ACC_ALL.
 */
union hv_cpu_role hv_cpu_role_of(const struct hv_role_regs *r);

/* The guest paging mode a CPU role walks with. */
enum pg_mode hv_cpu_role_mode(union hv_cpu_role c);

/* Options of a TDP root role. */
struct hv_tdp_opts {
	unsigned level;  /* the host's table levels: EPT 4/5, NPT 2..5 */
	bool ad;         /* the host tables have A/D flags (EPTP.AD; NPT always) */
	/* Seed 003: cr0_wp = efer_nx = 1 in every TDP root, so that guest
	 * CR0.WP / EFER.NXE changes keep the root (KVM since 5.18). Off:
	 * both follow the guest while CR0.PG=1 and are 0 while PG=0, as
	 * KVM's kvm_calc_mmu_role_common() did before (5.15). */
	bool normalise;
	bool mirror;     /* TDX private root */
};

/*
 * The root role of a TDP (EPT / NPT) MMU for guest CPU role @c: direct,
 * level o->level, HV_ACC_ALL, 4-byte gptes never, smm and guest_mode from
 * @c, ad_disabled = !o->ad, cr0_wp / efer_nx as o->normalise says.
 * (KVM kvm_calc_tdp_mmu_root_page_role.) Below the root, hv_role_child().
 */
union hv_role hv_tdp_root_role(union hv_cpu_role c, const struct hv_tdp_opts *o);

/*
 * The root role of shadow paging for guest CPU role @c (KVM
 * kvm_init_shadow_mmu): the guest's base role, level at least 3 (a 32-bit
 * guest is shadowed with 8-byte entries, PAE-shaped), efer_nx = 1;
 * passthrough when the root level exceeds the guest's (a 2-level guest).
 * A nonpaging guest gets a direct root of level 3. A root of level 3 is
 * a pae_root.
 */
union hv_role hv_shadow_root_role(union hv_cpu_role c);

/*
 * Nested NPT (KVM kvm_init_shadow_npt_mmu): the roles of L0's shadow of
 * L1's nested tables, from L1's registers as they were at VMRUN (@l1: its
 * CR4 and EFER, and smm; CR0 is taken as PG only, since NPT ignores
 * hCR0.WP, APM Vol. 2 15.25.3 and seed 003, and CR4.PKE is dropped:
 * nested-page-table accesses are user accesses without keys).
 * guest_mode is 1. @l0_level is L0's NPT level (2..5). *cpu is the role
 * L1's tables are walked with, *root the root's: level @l0_level,
 * passthrough when it exceeds L1's level, pae_root when it is 3.
 * Returns 0, or -EINVAL if @l0_level is below L1's level (a shorter host
 * cannot shadow a longer guest table: KVM refuses the VMRUN).
 */
int hv_npt_shadow_roles(const struct hv_role_regs *l1, unsigned l0_level,
			union hv_cpu_role *cpu, union hv_role *root);

/*
 * Nested EPT (KVM kvm_calc_shadow_ept_root_page_role): from L1's EPTP
 * alone (its page-walk length and A/D enable), no CR bits: level 4 or 5,
 * not direct, guest_mode, ad_disabled = !EPTP.AD, HV_ACC_ALL. Returns 0 or
 * -EINVAL (a page-walk length other than 4 or 5).
 */
int hv_ept_shadow_roles(uint64_t l1_eptp, union hv_cpu_role *cpu, union hv_role *root);

/*
 * The role of the table under entry @index of a table of role @parent
 * (KVM kvm_mmu_child_role): level - 1, @access, @direct; passthrough stays
 * while an indirect child is still above @guest_level (the guest's top
 * level: promoted levels chain down to the shadow of the guest root), and
 * is 0 from there and for direct tables; pae_root for the level-3 child of
 * a promoted chain over a guest of at most 3 levels. With 4-byte gptes and not @direct, a level-1 child takes
 * quadrant @index & 1 (a 4-byte PDE's PT is two shadow PTs) and a level-2
 * child @index & 3 (the 2-level PD is four shadow PDs under the promoted
 * level-3 root); other children quadrant 0. @parent.level must be > 1.
 */
union hv_role hv_role_child(union hv_role parent, unsigned guest_level, unsigned index,
			    bool direct, unsigned access);

/* "l4 direct acc=uwx wp nx ..." for dumps and reports; returns @buf. */
const char *hv_role_str(union hv_role r, char *buf, size_t len);

#endif
