/*
 * Shadow page faults (KVM's FNAME(page_fault) and FNAME(fetch)), the
 * write-protection path (mmu_try_to_unsync_pages) and emulated writes to
 * guest tables (kvm_mmu_pte_write).
 *
 * A fault walks the guest's tables; a guest fault is injected. Otherwise
 * the shadow path is built top down: each missing level gets the page
 * keyed by the guest table it shadows (with the quadrant of a 32-bit guest
 * table and the rights of the levels above in its role), a direct page
 * under a guest large page, and finally a 4 KiB leaf carrying the guest's
 * rights, read-only while its gfn holds a synced guest table.
 */
#include <string.h>

#include "shadow_int.h"

/* KVM's detect_write_flooding(): a page above level 1 written this many
 * times without being used by a fault's walk is zapped instead of updated
 * (a leaf page is not: it can go unsync instead). */
#define HV_WRITE_FLOOD 3

/* Rights of the guest's entries at levels >= @minlevel (KVM's pt_access). */
unsigned hv__rights_of(const struct hv_model *h, const struct pg_walk *w, unsigned minlevel)
{
	unsigned acc = HV_ACC_ALL;

	for (unsigned i = 0; i < w->nlevels; i++) {
		const struct pg_walk_level *l = &w->lvl[i];

		if (l->level < minlevel || !h->gmmu.fmt->lvl[l->level].has_perm)
			continue;
		if (!(l->entry & PTE_RW))
			acc &= ~HV_ACC_WRITE;
		if (!(l->entry & PTE_US))
			acc &= ~HV_ACC_USER;
		if (h->gmmu.nxe && (l->entry & PTE_XD))
			acc &= ~HV_ACC_EXEC;
	}
	return acc;
}

/*
 * Key of a root-level page for the root @pgd: the guest's own root table
 * (4-/5-level guests), the levels promoted above it, or the PAE root and
 * the dummy levels over it (32-bit guests and paging off). The role of
 * level @level is the root role's child chain (entry 0 each) down to it.
 */
void hv__top_key(const struct hv_model *h, unsigned level, uint64_t pgd, struct hv_key *k)
{
	memset(k, 0, sizeof(*k));
	/* A PAE guest's root keeps CR3 bits 11:5 (32 PDPTs share a page). */
	k->gpa = h->glevels == 0 ? 0 : h->glevels == 3 ? pgd : pgd & ~UINT64_C(0xfff);
	k->role = h->root_role;
	for (unsigned l = h->slevels; l > level; l--)
		k->role = hv_role_child(k->role, h->glevels, 0, false, HV_ACC_ALL);
}

static const struct pg_walk_level *glevel(const struct pg_walk *w, unsigned level)
{
	for (unsigned i = 0; i < w->nlevels; i++)
		if (w->lvl[i].level == level)
			return &w->lvl[i];
	return NULL;
}

/*
 * The role access of the direct page under the guest large page @w maps:
 * without W while the guest's entry is clean (KVM's
 * FNAME(protect_clean_gpte) on pte_access; a write's walk has set D), so
 * that a direct page with writable leaves, built while that entry or
 * another guest entry mapping the same frame was dirty, never serves a
 * clean one.
 */
static unsigned direct_access(const struct hv_model *h, const struct pg_walk *w)
{
	unsigned acc = hv__rights_of(h, w, 1);

	if (w->nlevels && !(w->lvl[w->nlevels - 1].entry & PTE_D))
		acc &= ~HV_ACC_WRITE;
	return acc;
}

/*
 * The page entry hv__sindex(@slevel, @va) of @parent (a page of level
 * @slevel) points to, after the successful guest walk @w (NULL for a
 * direct guest).
 */
struct hv_table *hv__child_for(struct hv_model *h, const struct hv_table *parent,
			       unsigned slevel, uint64_t va, const struct pg_walk *w)
{
	unsigned cl = slevel - 1, idx = hv__sindex(h, slevel, va);
	const uint64_t span = ~((UINT64_C(1) << (12 + 9 * cl)) - 1);
	struct hv_key k = { .gpa = 0 };

	if ((cl >= 3 && h->glevels <= 3) || (h->glevels >= 4 && cl > h->glevels)) {
		hv__top_key(h, cl, h->cur.pgd, &k);
		return hv__sp_get(h, &k, false);
	}
	if (h->glevels == 0) {
		k.gpa = va & span;
		k.role = hv_role_child(parent->key.role, 0, idx, true, HV_ACC_ALL);
		return hv__sp_get(h, &k, false);
	}
	const struct pg_walk_level *e = glevel(w, cl + 1);
	const struct pg_walk_level *t = glevel(w, cl);

	if (!t) {
		/* The guest entry at cl + 1 is a large leaf: a direct page. */
		k.gpa = w->pa & span;
		k.role = hv_role_child(parent->key.role, h->glevels, idx, true,
				       direct_access(h, w));
	} else {
		k.gpa = t->table & ~UINT64_C(0xfff);
		k.role = hv_role_child(parent->key.role, h->glevels, idx, false,
				       e ? hv__rights_of(h, w, cl + 1) : HV_ACC_ALL);
	}
	return hv__sp_get(h, &k, false);
}

/*
 * May a leaf entry mapping @gfn be writable? Not while a synced guest
 * table lives there; under the unsync policy, leaf-level pages of the gfn
 * go unsync instead (mmu_try_to_unsync_pages: any page above level 1
 * forbids it).
 */
bool hv__gfn_writable(struct hv_model *h, uint64_t gfn, bool *unsynced)
{
	struct hv_gfn *g = hv__gfn(h, gfn, false);

	*unsynced = false;
	if (!g || !g->sps->len)
		return true;
	if (!h->p.unsync)
		return false;
	for (guint i = 0; i < g->sps->len; i++)
		if (((struct hv_table *)g_ptr_array_index(g->sps, i))->key.role.level != 1)
			return false;
	for (guint i = 0; i < g->sps->len; i++) {
		struct hv_table *sp = g_ptr_array_index(g->sps, i);

		if (!sp->unsync) {
			sp->unsync = true;
			g_ptr_array_add(h->unsync, sp);
			h->st.sp_unsynced++;
			*unsynced = true;
		}
	}
	return true;
}

/*
 * The guest's walk of @va (@w), then every shadow level above the leaf
 * linked where missing: the level-1 page in *leaf, the linking work added
 * to *work. 1 if the guest faults (injected).
 */
static int walk_and_link(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl,
			 struct pg_walk *w, struct hv_table **leaf, unsigned *work)
{
	struct hv_table *sp = h->cur.sp;

	if (hv__guest_walk(h, va, kind, cpl, w) || w->fault.vector) {
		hv__exit(h, HV_EXIT_PF_INJECT, 0);
		return 1;
	}
	for (unsigned s = h->slevels; s > 1; s--) {
		unsigned idx = hv__sindex(h, s, va);

		sp->write_flood = 0;
		struct hv_table *c = hv__child(h, sp, idx);

		/* A direct page linked for other rights than the guest's
		 * entry now gives (its D bit set since) is unlinked and the
		 * right one linked (KVM's validate_direct_spte). */
		if (c && c->key.role.direct && h->glevels &&
		    c->key.role.access != direct_access(h, w)) {
			hv__zap_spte(h, sp, idx);
			hv__flush(h, true);
			c = NULL;
		}
		if (!c) {
			c = hv__child_for(h, sp, s, va, w);
			hv__link(h, sp, idx, c);
			*work += HV_COST_LINK;
		}
		sp = c;
	}
	sp->write_flood = 0;
	*leaf = sp;
	return 0;
}

int hv__mmio_fault(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl)
{
	struct pg_walk w;
	struct hv_table *sp;
	unsigned work = 0;

	if (walk_and_link(h, va, kind, cpl, &w, &sp, &work))
		return 1;
	/* No reserved bit when MAXPHYADDR is 52: no MMIO SPTE, every access
	 * faults this way (KVM turns MMIO caching off). */
	if (h->p.cpu.maxphyaddr < 52)
		hv__set_leaf(h, sp, hv__sindex(h, 1, va),
			     (HV_SLOT_BASE + (w.pa & ~UINT64_C(0xfff))) | HV_SPTE_MMIO | PTE_P);
	hv__exit(h, HV_EXIT_PF_HIDDEN, work + HV_COST_MMIO_EMULATE);
	return 0;
}

/*
 * Handle a shadow fault on @va. Returns 1 if the guest faults (injected),
 * 0 when the shadow now maps @va; *emulate is set when the access is a
 * write the shadow keeps read-only (a write-protected guest table).
 */
int hv__fault(struct hv_model *h, uint64_t va, uint8_t kind, uint8_t cpl, bool *emulate,
	      uint64_t *gpa)
{
	struct pg_walk w;
	struct hv_table *sp;
	unsigned rights, work = 0;
	bool unsynced;

	*emulate = false;
	if (walk_and_link(h, va, kind, cpl, &w, &sp, &work))
		return 1;
	rights = hv__rights_of(h, &w, 1);
	*gpa = w.pa;

	uint64_t gfn = w.pa >> 12;
	uint64_t spte = (HV_SLOT_BASE + (gfn << 12)) | PTE_P | PTE_A;
	/* Paging off: no guest entry, nothing to mark dirty. */
	bool dirty = !w.nlevels || (w.lvl[w.nlevels - 1].entry & PTE_D);
	bool user = h->p.kind == HV_NESTED || cpl == 3;
	bool want_w = rights & HV_ACC_WRITE;

	/* CR0.WP=0: a supervisor write to a read-only page is allowed; KVM
	 * maps it writable and supervisor-only (role.cr0_wp). */
	if (!want_w && kind == PG_ACC_WRITE && !user && !h->gmmu.wp) {
		want_w = true;
		rights &= ~HV_ACC_USER;
	}
	if (rights & HV_ACC_USER)
		spte |= PTE_US;
	if (!(rights & HV_ACC_EXEC))
		spte |= PTE_XD;
	/* Dirty logging of the guest: writable only once the guest's D is set. */
	if (want_w && (dirty || kind == PG_ACC_WRITE) &&
	    hv__gfn_writable(h, gfn, &unsynced))
		spte |= PTE_RW | PTE_D;
	hv__set_leaf(h, sp, hv__sindex(h, 1, va), spte);
	if (kind == PG_ACC_WRITE && !(spte & PTE_RW))
		*emulate = true;
	hv__exit(h, HV_EXIT_PF_HIDDEN, work);
	return 0;
}

/* Read the guest entry that shadow entry @idx of @sp shadows. */
static int read_gpte(struct hv_model *h, const struct hv_table *sp, unsigned idx, uint64_t *val)
{
	struct pg_ref r = { .kind = PG_REF_READ, .level = sp->key.role.level };
	struct pg_fault f;

	if (sp->key.role.has_4_byte_gpte) {
		r.addr = sp->key.gpa + (sp->key.role.quadrant * HV_SPTES + idx) * 4;
		r.size = 4;
	} else {
		r.addr = sp->key.gpa + idx * 8;
		r.size = 8;
	}
	memset(&f, 0, sizeof(f));
	int rc = h->gacc.ref(h->gacc.opaque, &r, &f);

	*val = r.val;
	return rc;
}

/*
 * Sync leaf entry @idx of the unsync level-1 page @sp with the guest's
 * entry (FNAME(sync_spte)): kept if it maps the same frame with no more
 * rights than the guest now gives, else dropped (the next access
 * refaults). Returns true if it was dropped.
 */
bool hv__sync_spte(struct hv_model *h, struct hv_table *sp, unsigned idx)
{
	uint64_t spte = hv__spte(h, sp, idx), g;
	unsigned acc = sp->key.role.access;

	if (!(spte & PTE_P))
		return false;
	if (read_gpte(h, sp, idx, &g) || !(g & PTE_P) ||
	    ((g & h->gmmu.leaf_addr[1]) >> 12) !=
	    (((spte & ~HV_SPTE_MMIO & GENMASK64(51, 12)) - HV_SLOT_BASE) >> 12) ||
	    ((spte & PTE_US) && (!(g & PTE_US) || !(acc & HV_ACC_USER))) ||
	    ((spte & PTE_RW) && (!(g & PTE_RW) || !(g & PTE_D) || !(acc & HV_ACC_WRITE))) ||
	    (!(spte & PTE_XD) && ((h->gmmu.nxe && (g & PTE_XD)) || !(acc & HV_ACC_EXEC)))) {
		hv__zap_spte(h, sp, idx);
		return true;
	}
	return false;
}

/*
 * The guest wrote @size bytes at guest-physical @gpa, a write-protected
 * guest table (kvm_mmu_pte_write): every shadow page of that gfn drops the
 * entries the write covers, or is zapped when the write is misaligned or
 * the page is being flooded with writes.
 */
void hv__guest_write(struct hv_model *h, uint64_t gpa, unsigned size)
{
	struct hv_gfn *g = hv__gfn(h, gpa >> 12, false);
	unsigned off = gpa & 0xfff;
	bool zapped = false;

	if (!g)
		return;
	for (guint i = 0; i < g->sps->len;) {
		struct hv_table *sp = g_ptr_array_index(g->sps, i);
		unsigned esz = sp->key.role.has_4_byte_gpte ? 4 : 8;
		unsigned gi = off / esz, idx, n = 1;

		bool flood = sp->key.role.level > 1 && ++sp->write_flood >= HV_WRITE_FLOOD;

		if ((off % esz) + size > esz || flood) {
			if ((off % esz) + size <= esz)
				h->st.write_flooding_zaps++;
			hv__sp_zap(h, sp);
			continue; /* removed from g->sps */
		}
		i++;
		if (esz == 4) {
			unsigned per = sp->key.role.level == 1 ? HV_SPTES : HV_SPTES / 2;

			if (gi / per != sp->key.role.quadrant)
				continue;
			idx = gi % per;
			if (sp->key.role.level != 1) {
				idx *= 2; /* a 4 MiB guest entry is two 2 MiB shadow entries */
				n = 2;
			}
		} else {
			idx = gi;
		}
		for (unsigned j = 0; j < n; j++)
			if (hv__spte(h, sp, idx + j) & PTE_P) {
				hv__zap_spte(h, sp, idx + j);
				zapped = true;
			}
	}
	if (zapped)
		hv__flush(h, true);
}
