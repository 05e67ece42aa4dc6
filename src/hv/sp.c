/*
 * Shadow pages on the hypervisor's table objects (hv/table.h): the model's
 * store, links between pages, leaf entries and the per-gfn reverse map,
 * zapping and reclaim.
 *
 * Invariants: a hashed page is findable by its key (hv_table_find); the
 * parent entries of every page are counted by hv/table.h (hv_table_link,
 * hv_entry_clear); every present leaf entry is in the rmap of the gfn it
 * maps; a gfn with an indirect, synced shadow page has no writable leaf
 * entry mapping it.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "shadow_int.h"

#define SPTE_ADDR GENMASK64(51, 12)

/*
 * The pages live in host-physical [HV_ARENA_BASE, + 4 x max_pages pages);
 * below it is a hole (never touched, address space only), so that entry
 * addresses are host-physical addresses as the hardware walk reads them.
 */
int hv__sp_store_init(struct hv_model *h)
{
	/* Below 4 GiB (a PAE root must be, and the memslot starts there). */
	const uint64_t bytes = MIN(MAX(4 * h->max_pages, HV_ARENA_MIN_PAGES) * HV_TABLE_SIZE,
				   HV_SLOT_BASE - HV_ARENA_BASE);
	int rc;

	if ((rc = cpu_ram_init(&h->hram, HV_ARENA_BASE + bytes)))
		return rc;
	if ((rc = cpu_ram_add_hole(&h->hram, 0, HV_ARENA_BASE)))
		return rc;
	return hv_tables_init(&h->ts, &h->hram, &pg_fmt_5level, HV_ARENA_BASE, bytes);
}

void hv__sp_store_free(struct hv_model *h)
{
	hv_tables_destroy(&h->ts);
	cpu_ram_free(&h->hram);
}

uint64_t hv__spte(const struct hv_model *h, const struct hv_table *t, unsigned idx)
{
	uint64_t e = 0;

	hv_entry_read(&h->ts, hv__entry(t, idx), &e);
	return e;
}

void hv__spte_set(struct hv_model *h, const struct hv_table *t, unsigned idx, uint64_t e)
{
	hv_entry_write(&h->ts, hv__entry(t, idx), e);
}

/* The page a present non-leaf entry points at (shadow leaves are level 1
 * only: guest large pages get direct pages). */
struct hv_table *hv__child(const struct hv_model *h, const struct hv_table *t, unsigned idx)
{
	uint64_t e = hv__spte(h, t, idx);

	if (t->key.role.level == 1 || !(e & PTE_P))
		return NULL;
	return hv_table_at(&h->ts, e & SPTE_ADDR);
}

struct hv_gfn *hv__gfn(struct hv_model *h, uint64_t gfn, bool create)
{
	struct hv_gfn *g = g_hash_table_lookup(h->gfns, &gfn);

	if (!g && create) {
		uint64_t *k = g_new(uint64_t, 1);

		*k = gfn;
		g = g_new0(struct hv_gfn, 1);
		g->sps = g_ptr_array_new();
		g->rmap = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		g_hash_table_insert(h->gfns, k, g);
	}
	return g;
}

static void rmap_del(GArray *a, uint64_t entry_hpa)
{
	for (guint i = 0; i < a->len; i++)
		if (g_array_index(a, uint64_t, i) == entry_hpa) {
			g_array_remove_index_fast(a, i);
			return;
		}
	assert(!"rmap entry not found");
}

static uint64_t spte_gfn(uint64_t spte)
{
	return ((spte & SPTE_ADDR) - HV_SLOT_BASE) >> 12;
}

void hv__flush(struct hv_model *h, bool remote)
{
	struct tm_event ev = { .kind = TM_EV_INVPCID, .type = 2 };

	if (remote) {
		h->st.flush_remote++;
		hv__charge(h, HV_COST_REMOTE_FLUSH);
	} else
		h->st.flush_local++;
	memset(h->tlb, 0, sizeof(*h->tlb) * (h->tlb_mask + 1));
	/* All contexts, globals included: the shadow's entries all go. */
	tm_event(h->tm, &ev);
}

/* Clear one entry: a child loses a parent (hv/table.h), a leaf leaves its
 * gfn's rmap. */
void hv__zap_spte(struct hv_model *h, struct hv_table *sp, unsigned idx)
{
	uint64_t e = hv__spte(h, sp, idx);

	if (!(e & PTE_P))
		return;
	if (sp->key.role.level == 1 && !(e & HV_SPTE_MMIO)) {
		struct hv_gfn *g = hv__gfn(h, spte_gfn(e), false);

		assert(g);
		rmap_del(g->rmap, hv__entry(sp, idx));
	}
	hv_entry_clear(&h->ts, hv__entry(sp, idx), sp->key.role.level);
}

void hv__set_leaf(struct hv_model *h, struct hv_table *sp, unsigned idx, uint64_t spte)
{
	uint64_t at = hv__entry(sp, idx);

	hv__zap_spte(h, sp, idx);
	hv__spte_set(h, sp, idx, spte);
	if (!(spte & HV_SPTE_MMIO))
		g_array_append_val(hv__gfn(h, spte_gfn(spte), true)->rmap, at);
}

/* Rights of a non-leaf entry in @parent: the PDPTEs of a 3-level (PAE)
 * shadow have only P (R/W, U/S and A are reserved there, SDM 4.4.2);
 * every other non-leaf entry allows everything, the leaf decides. */
uint64_t hv__nonleaf_bits(const struct hv_model *h, const struct hv_table *parent)
{
	if (parent->key.role.level == 3 && h->slevels == 3)
		return PTE_P;
	return PTE_P | PTE_RW | PTE_US | PTE_A;
}

void hv__link(struct hv_model *h, struct hv_table *parent, unsigned idx, struct hv_table *child)
{
	int rc;

	hv__zap_spte(h, parent, idx);
	rc = hv_table_link(&h->ts, hv__entry(parent, idx), child, hv__nonleaf_bits(h, parent));
	assert(rc == 0);
	(void)rc;
}

/* Make the leaf entries mapping @gfn read-only (the gfn is now shadowed). */
void hv__write_protect(struct hv_model *h, uint64_t gfn)
{
	struct hv_gfn *g = hv__gfn(h, gfn, false);
	bool flushed = false;

	if (!g)
		return;
	for (guint i = 0; i < g->rmap->len; i++) {
		uint64_t at = g_array_index(g->rmap, uint64_t, i), e = 0;

		hv_entry_read(&h->ts, at, &e);
		if (e & PTE_RW) {
			hv_entry_write(&h->ts, at, e & ~(PTE_RW | PTE_D));
			flushed = true;
		}
	}
	if (flushed)
		hv__flush(h, true);
}

/* A page that shadows a guest table (write-tracked through its gfn). */
static bool indirect(const struct hv_table *sp)
{
	return !sp->key.role.direct && !sp->key.role.passthrough && !sp->key.role.pae_root;
}

/* Out of pages: zap every page that is no root (kvm_mmu_zap_all without
 * the roots), oldest first. */
static void reclaim_all(struct hv_model *h)
{
	GList *n = h->active.tail;

	while (n) {
		struct hv_table *sp = n->data;

		n = n->prev;
		if (!sp->pins) {
			h->st.sp_reclaimed++;
			hv__sp_zap(h, sp);
		}
	}
}

/*
 * The page for @k (kvm_mmu_get_page): found in the hash (recycled), or
 * allocated. A @special page is per-root and never hashed: KVM's pae_root,
 * pml4_root and pml5_root.
 */
struct hv_table *hv__sp_get(struct hv_model *h, const struct hv_key *k, bool special)
{
	struct hv_table *sp = special ? NULL : hv_table_find(&h->ts, k);

	if (sp) {
		h->st.sp_recycled++;
		return sp;
	}
	if (hv_table_alloc(&h->ts, k, !special, &sp) == -ENOSPC) {
		reclaim_all(h);
		if (hv_table_alloc(&h->ts, k, !special, &sp))
			g_error("hv: no room for a shadow page with only roots live");
	}
	if (special) {
		h->st.special_roots_built++;
	} else {
		h->st.sp_allocated++;
		g_queue_push_head(&h->active, sp);
		sp->priv = h->active.head;
	}
	if (indirect(sp)) {
		uint64_t gfn = k->gpa >> 12;
		struct hv_gfn *g = hv__gfn(h, gfn, true);

		/* A guest table used at a higher level than before: its unsync
		 * leaf pages go (seed 002, "Unconditionally zap unsync SPs when
		 * creating >4k SP at GFN"). */
		for (guint i = 0; k->role.level > 1 && i < g->sps->len;) {
			struct hv_table *o = g_ptr_array_index(g->sps, i);

			if (o->unsync)
				hv__sp_zap(h, o);
			else
				i++;
		}
		/* A new page is synced: its gfn is write-protected even if
		 * other (unsync) pages of it left it writable (KVM's
		 * kvm_mmu_get_page: account_shadowed + write_protect_gfn). */
		g_ptr_array_add(g->sps, sp);
		hv__write_protect(h, gfn);
	}
	return sp;
}

/*
 * Zap @sp (kvm_mmu_prepare_zap_page + commit): it leaves the hash, the
 * reclaim order and its gfn's write tracking, its leaves leave their
 * rmaps, and hv_table_zap() clears every entry pointing to it and its own
 * entries (hashed children stay cached, unreachable). A page held as a
 * root is freed when its root is unpinned.
 */
void hv__sp_zap(struct hv_model *h, struct hv_table *sp)
{
	if (sp->zapped)
		return;
	h->st.sp_zapped++;
	if (indirect(sp)) {
		struct hv_gfn *g = hv__gfn(h, sp->key.gpa >> 12, false);

		g_ptr_array_remove_fast(g->sps, sp);
	}
	if (sp->unsync) {
		g_ptr_array_remove_fast(h->unsync, sp);
		sp->unsync = false;
	}
	if (sp->priv) {
		g_queue_delete_link(&h->active, sp->priv);
		sp->priv = NULL;
	}
	for (unsigned i = 0; sp->key.role.level == 1 && i < HV_SPTES; i++)
		hv__zap_spte(h, sp, i);
	hv__flush(h, true);
	hv_table_zap(&h->ts, sp);
}

/* Keep the page count under max_pages (make_mmu_pages_available): zap the
 * oldest pages that are not roots. */
void hv__reclaim(struct hv_model *h)
{
	GList *n = h->active.tail;

	while (h->ts.st.live >= h->max_pages && n) {
		struct hv_table *sp = n->data;

		n = n->prev;
		if (sp->pins)
			continue;
		h->st.sp_reclaimed++;
		hv__sp_zap(h, sp);
	}
}
