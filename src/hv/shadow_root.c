/*
 * Roots: building them (mmu_alloc_shadow_roots), freeing them
 * (kvm_mmu_free_roots), the root cache a strategy allows (fast_pgd_switch),
 * and the syncs a switch or INVLPG does (kvm_mmu_sync_roots,
 * FNAME(invlpg)).
 *
 * Every root is a shadow page. Under the kvm-5.15 and kvm-6.1 strategies
 * the PAE root and the dummy levels above it are "special": per-root pages
 * outside the hash, destroyed when the root is freed and rebuilt on the
 * next switch, as KVM's pae_root/pml4_root/pml5_root are. Under
 * pae-root-pages they are hashed pages like any other (seed 000).
 */
#include "shadow_int.h"

/* is_root_usable(): the root for @pgd, with the whole key the current
 * paging state gives a root. */
static bool root_usable(const struct hv_model *h, const struct hv_root *r, uint64_t pgd)
{
	struct hv_key k;

	if (!r->sp || r->sp->zapped || r->pgd != pgd)
		return false;
	hv__top_key(h, h->slevels, pgd, &k);
	return k.gpa == r->sp->key.gpa && hv_role_eq(k.role, r->sp->key.role);
}

/* Free a root (mmu_free_root_page): a special one is zapped with the
 * special levels under it (hv_table_zap() takes every unhashed child left
 * unreachable); a page is kept cached unless it was zapped. */
void hv__free_root(struct hv_model *h, struct hv_root *r)
{
	struct hv_table *sp = r->sp;
	bool special;

	if (!sp)
		return;
	h->st.roots_freed++;
	r->sp = NULL;
	special = hv__special(sp);
	hv_table_unpin(&h->ts, sp);
	if (special)
		hv_table_zap(&h->ts, sp);
}

static struct hv_table *top_page(struct hv_model *h, unsigned level, uint64_t pgd, bool special)
{
	struct hv_key k;

	hv__top_key(h, level, pgd, &k);
	return hv__sp_get(h, &k, special);
}

/* Point the PAE root's four entries at the guest's PDPTE registers (PAE
 * guest), the four quadrants of its page directory (2-level guest) or the
 * four direct 1 GiB regions (paging off). */
static void fill_pae(struct hv_model *h, struct hv_table *pae, uint64_t pgd)
{
	for (unsigned i = 0; i < 4; i++) {
		struct hv_key k = { .role = hv_role_child(pae->key.role, h->glevels, i,
							  h->glevels == 0, HV_ACC_ALL) };
		struct hv_table *c;

		if (h->glevels == 3) {
			uint64_t e = h->gmmu.pdpte[i];

			if (!(e & PTE_P)) {
				hv__zap_spte(h, pae, i);
				continue;
			}
			k.gpa = e & h->gmmu.table_addr & ~UINT64_C(0xfff);
		} else if (h->glevels == 2) {
			k.gpa = pgd & ~UINT64_C(0xfff);
		} else {
			k.gpa = (uint64_t)i << 30;
		}
		c = hv__child(h, pae, i);
		if (c && c->key.gpa == k.gpa && hv_role_eq(c->key.role, k.role))
			continue;
		hv__link(h, pae, i, hv__sp_get(h, &k, false));
	}
}

/* Build the root for @pgd (mmu_alloc_shadow_roots / _direct_roots). */
static void alloc_root(struct hv_model *h, uint64_t pgd)
{
	bool special = !h->p.strat.pae_root_pages && h->glevels < 4;
	struct hv_table *top;

	hv__reclaim(h);
	h->st.roots_allocated++;
	hv__charge(h, HV_COST_ROOT);
	if (h->glevels >= 4) {
		/* The guest's own root; promoted under a deeper shadow (a
		 * 4-level NPT under a 5-level L0): a page in every strategy. */
		top = top_page(h, h->glevels, pgd, false);
		if (h->slevels > h->glevels) {
			struct hv_table *p5 = top_page(h, h->slevels, pgd, false);

			if (hv__child(h, p5, 0) != top)
				hv__link(h, p5, 0, top);
			top = p5;
		}
	} else {
		struct hv_table *pae = top_page(h, 3, pgd, special);

		fill_pae(h, pae, pgd);
		top = pae;
		for (unsigned l = 4; l <= h->slevels; l++) {
			struct hv_table *d = top_page(h, l, pgd, special);

			if (hv__child(h, d, 0) != top)
				hv__link(h, d, 0, top);
			top = d;
		}
	}
	hv_table_pin(top);
	h->cur.sp = top;
	h->cur.pgd = pgd;
}

static bool reachable(const struct hv_model *h, const struct hv_table *sp, unsigned depth)
{
	if (sp == h->cur.sp)
		return true;
	if (!depth)
		return false;
	for (guint i = 0; sp->parent_ptes && i < sp->parent_ptes->len; i++)
		if (reachable(h, hv_table_at(&h->ts, g_array_index(sp->parent_ptes, uint64_t, i)),
			      depth - 1))
			return true;
	return false;
}

/* Sync an unsync page (FNAME(sync_page)) and write-protect its gfn again
 * once no page of it is unsync. */
void hv__sync_sp(struct hv_model *h, struct hv_table *sp)
{
	for (unsigned i = 0; i < HV_SPTES; i++)
		hv__sync_spte(h, sp, i);
	sp->unsync = false;
	g_ptr_array_remove_fast(h->unsync, sp);
	h->st.sp_synced++;
	hv__charge(h, HV_COST_SYNC_PAGE);
	if (h->in_switch)
		h->st.syncs_at_switch++;
	/* Its gfn is write-protected even while other pages of it stay
	 * unsync (KVM's mmu_sync_children write-protects the gfn of every
	 * page it syncs): a synced page must see every write. */
	hv__write_protect(h, sp->key.gpa >> 12);
}

/* kvm_mmu_sync_roots(): every unsync page under the current root. */
void hv__sync_roots(struct hv_model *h)
{
	for (guint i = 0; i < h->unsync->len;) {
		struct hv_table *sp = g_ptr_array_index(h->unsync, i);

		if (reachable(h, sp, PG_LEVELS_MAX))
			hv__sync_sp(h, sp); /* removes it from h->unsync */
		else
			i++;
	}
}

/* kvm 5.15 cached_root_available() / 6.1 cached_root_find_and_keep_current():
 * rotate the current root into prev[0]; on a miss the root rotated out of
 * the last slot becomes current and is freed. */
static int find_keep_current(struct hv_model *h, uint64_t pgd)
{
	struct hv_root r = h->cur;
	unsigned i, n = h->p.strat.nprev;

	if (root_usable(h, &r, pgd))
		return 1;
	for (i = 0; i < n; i++) {
		struct hv_root t = h->prev[i];

		h->prev[i] = r;
		r = t;
		if (root_usable(h, &r, pgd))
			break;
	}
	h->cur = r;
	if (i < n)
		return 2;
	hv__free_root(h, &h->cur);
	return 0;
}

/* kvm 6.1 cached_root_find_without_current(): no valid current root. */
static int find_without_current(struct hv_model *h, uint64_t pgd)
{
	unsigned i, n = h->p.strat.nprev;

	for (i = 0; i < n; i++)
		if (root_usable(h, &h->prev[i], pgd))
			break;
	if (i == n)
		return 0;
	h->cur = h->prev[i];
	for (; i + 1 < n; i++)
		h->prev[i] = h->prev[i + 1];
	h->prev[n - 1].sp = NULL;
	return 2;
}

/*
 * A new guest root @pgd (kvm_mmu_new_pgd): the current root is kept, a
 * cached root taken, or the root rebuilt, by the strategy's rule.
 */
void hv__switch_root(struct hv_model *h, uint64_t pgd, bool noflush)
{
	int hit = 0;

	h->st.root_switches++;
	h->in_switch = 1;
	if (h->p.strat.fast_rule == HV_FAST_LEVELS) {
		if (h->slevels >= 4 && h->glevels >= 4)
			hit = find_keep_current(h, pgd);
		else
			hv__free_root(h, &h->cur);
	} else {
		if (h->cur.sp && hv__special(h->cur.sp))
			hv__free_root(h, &h->cur);
		hit = h->cur.sp ? find_keep_current(h, pgd) : find_without_current(h, pgd);
	}
	if (hit == 1)
		h->st.current_root_hits++;
	else if (hit == 2)
		h->st.prev_root_hits++;
	else
		h->st.root_misses++;
	if (!hit)
		alloc_root(h, pgd);
	else if (h->glevels == 3)
		/* A cached PAE root: its entries follow the PDPTE registers
		 * just loaded. */
		for (struct hv_table *sp = h->cur.sp; sp && sp->key.role.level >= 3;
		     sp = hv__child(h, sp, 0)) {
			if (sp->key.role.pae_root) {
				fill_pae(h, sp, pgd);
				break;
			}
		}
	hv__sync_roots(h);
	h->in_switch = 0;
	hv__load_root(h, hit && noflush);
}

/*
 * INVLPG @va (FNAME(invlpg)): the leaf entry of an unsync page is synced
 * with the guest's; a synced page is already exact.
 */
void hv__invlpg(struct hv_model *h, uint64_t va)
{
	struct hv_table *sp = h->cur.sp;

	for (unsigned s = h->slevels; sp && s > 1; s--)
		sp = hv__child(h, sp, hv__sindex(h, s, va));
	if (sp && sp->unsync && !sp->key.role.direct)
		hv__sync_spte(h, sp, hv__sindex(h, 1, va));
}
