/*
 * Root-caching strategies of the hypervisor model: each KVM-era design
 * decision on which shadow roots survive a guest CR3 (or nested nCR3)
 * switch, as one row of data. A strategy changes what the model costs and
 * counts, never what the guest computes.
 *
 * The rules, with their sources (docs/hv-strategies.md has the long form):
 *
 * - kvm-5.15: arch/x86/kvm/mmu/mmu.c of Linux 5.15. fast_pgd_switch() tries
 *   the root cache only when mmu->shadow_root_level >= PT64_ROOT_4LEVEL and
 *   mmu->root_level >= PT64_ROOT_4LEVEL; otherwise __kvm_mmu_new_pgd() calls
 *   kvm_mmu_free_roots(KVM_MMU_ROOT_CURRENT) and the next kvm_mmu_load()
 *   rebuilds the root (mmu_alloc_shadow_roots(): pae_root[0..3], and the
 *   dummy pml4_root/pml5_root above it for 32-bit NPT). cached_root_available()
 *   swaps the current root into prev_roots[0] and rotates: the cache is a
 *   victim cache of KVM_MMU_NUM_PREV_ROOTS = 3 in LRU order, and on a miss
 *   the root rotated out of prev_roots[2] is freed.
 * - kvm-6.1: Linux 6.1 (Paolo Bonzini's "do not consult levels when freeing
 *   roots", seed 004). fast_pgd_switch() frees the current root when it is
 *   not backed by a shadow page (to_shadow_page(root.hpa) == NULL: pae_root,
 *   pml4_root, pml5_root) and otherwise keeps it:
 *   cached_root_find_and_keep_current() / _without_current(); whole-role
 *   compare in is_root_usable(). A promoted 4-level-under-5-level root is a
 *   shadow page and is cached; PAE roots are still special.
 * - pae-root-pages: Lai Jiangshan's RFC (seed 000): pae_root and the
 *   promoted levels are ordinary shadow pages (role.pae_root,
 *   role.level_promoted), so every root is backed by a page and cacheable;
 *   kvm-6.1's cache rules apply.
 * - prev=N: kvm-6.1 with KVM_MMU_NUM_PREV_ROOTS = N (Yong He's patch made it
 *   a module parameter, KVM_MMU_NUM_PREV_ROOTS_MAX 11, for KPTI guests whose
 *   2 CR3s per process overflow 3 cached roots).
 * - none: no previous roots; only a CR3 write that keeps the current root
 *   avoids a rebuild.
 *
 * Under TDP a guest CR3 write changes no root; what differs is whether
 * root roles are normalised (seed 003: Linux 5.18 fixed CR0.WP and
 * EFER.NXE in TDP roles; kvm-5.15 predates it, the others follow 6.1).
 */
#ifndef TDPSIM_HV_STRATEGY_H
#define TDPSIM_HV_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

#define HV_PREV_ROOTS_MAX 64

/* When a root may be looked up in (and kept in) the cache. */
enum hv_fast_rule {
	/* Only when the guest's and the shadow's root levels are both >= 4
	 * (kvm 5.15): a special root is freed without looking at the cache. */
	HV_FAST_LEVELS = 0,
	/* When the current root is backed by a shadow page (kvm 6.1): a
	 * special current root is freed, the cache is still searched. */
	HV_FAST_BACKED,
};

struct hv_strategy {
	char name[24];
	uint8_t fast_rule;   /* enum hv_fast_rule */
	uint8_t nprev;       /* previous roots kept (KVM_MMU_NUM_PREV_ROOTS) */
	/* pae_root and the dummy pml4_root/pml5_root are shadow pages with a
	 * complete role (seed 000) instead of per-vCPU special roots. */
	bool pae_root_pages;
	const char *source;  /* where the rule comes from, one line */
	/* TDP (--hv tdp): root roles fix CR0.WP and EFER.NXE (seed 003,
	 * KVM since 5.18), so guest mode changes keep the root. */
	bool tdp_normalise;
};

/* The named strategies, in a fixed order. */
extern const struct hv_strategy hv_strategies[];
extern const unsigned hv_nstrategies;

/*
 * The strategy called @name: a row of hv_strategies[] or "prev=N"
 * (0 <= N <= HV_PREV_ROOTS_MAX, kvm-6.1 rules). 0, or -EINVAL.
 */
int hv_strategy_parse(const char *name, struct hv_strategy *out);

/* "kvm-5.15, kvm-6.1, pae-root-pages, none or prev=N", for messages. */
extern const char hv_strategy_list[];

#endif
