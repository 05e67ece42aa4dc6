/*
 * Shadow pages: allocation from the arena, the (gfn, role) hash, links
 * between pages (KVM's parent_ptes), leaf entries and the per-gfn reverse
 * map, zapping and reclaim.
 *
 * Invariants: a hashed page is findable by its key; every non-leaf entry
 * of a page points to a page whose parents list holds that entry; every
 * present leaf entry is in the rmap of the gfn it maps; a gfn with an
 * indirect, synced shadow page has no writable leaf entry mapping it.
 */
#include <assert.h>
#include <string.h>

#include "shadow_int.h"

#define SPTE_ADDR GENMASK64(51, 12)

static guint key_hash(gconstpointer p)
{
	const struct hv_sp_key *k = p;
	const uint8_t *b = p;
	guint x = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		x = (x ^ b[i]) * 16777619u;
	return x;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct hv_sp_key)) == 0;
}

GHashTable *hv__sp_table(void)
{
	return g_hash_table_new(key_hash, key_equal);
}

struct hv_gfn *hv__gfn(struct hv_model *h, uint64_t gfn, bool create)
{
	struct hv_gfn *g = g_hash_table_lookup(h->gfns, &gfn);

	if (!g && create) {
		uint64_t *k = g_new(uint64_t, 1);

		*k = gfn;
		g = g_new0(struct hv_gfn, 1);
		g->sps = g_ptr_array_new();
		g->rmap = g_array_new(FALSE, FALSE, sizeof(struct hv_link));
		g_hash_table_insert(h->gfns, k, g);
	}
	return g;
}

static void link_del(GArray *a, const struct hv_sp *sp, unsigned idx)
{
	for (guint i = 0; i < a->len; i++) {
		struct hv_link *l = &g_array_index(a, struct hv_link, i);

		if (l->sp == sp && l->idx == idx) {
			g_array_remove_index_fast(a, i);
			return;
		}
	}
	assert(!"link not found");
}

static uint64_t spte_gfn(const struct hv_sp *sp, unsigned idx)
{
	return ((sp->spt[idx] & SPTE_ADDR) - HV_SLOT_BASE) >> 12;
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

/* Clear one entry: unlink the child or drop the leaf from its rmap. */
void hv__zap_spte(struct hv_model *h, struct hv_sp *sp, unsigned idx)
{
	if (!(sp->spt[idx] & PTE_P))
		return;
	if (sp->child[idx]) {
		link_del(sp->child[idx]->parents, sp, idx);
		sp->child[idx] = NULL;
	} else {
		struct hv_gfn *g = hv__gfn(h, spte_gfn(sp, idx), false);

		assert(g);
		link_del(g->rmap, sp, idx);
	}
	sp->spt[idx] = 0;
}

void hv__set_leaf(struct hv_model *h, struct hv_sp *sp, unsigned idx, uint64_t spte)
{
	hv__zap_spte(h, sp, idx);
	sp->spt[idx] = spte;
	g_array_append_val(hv__gfn(h, spte_gfn(sp, idx), true)->rmap,
			   ((struct hv_link){ sp, (uint16_t)idx }));
}

/* Rights of a non-leaf entry in @parent: the PDPTEs of a 3-level (PAE)
 * shadow have only P (R/W, U/S and A are reserved there, SDM 4.4.2);
 * every other non-leaf entry allows everything, the leaf decides. */
uint64_t hv__nonleaf_bits(const struct hv_model *h, const struct hv_sp *parent)
{
	if (parent->key.role.level == 3 && h->slevels == 3)
		return PTE_P;
	return PTE_P | PTE_RW | PTE_US | PTE_A;
}

void hv__link(struct hv_model *h, struct hv_sp *parent, unsigned idx, struct hv_sp *child)
{
	hv__zap_spte(h, parent, idx);
	parent->spt[idx] = child->hpa | hv__nonleaf_bits(h, parent);
	parent->child[idx] = child;
	g_array_append_val(child->parents, ((struct hv_link){ parent, (uint16_t)idx }));
}

/* Make the leaf entries mapping @gfn read-only (the gfn is now shadowed). */
void hv__write_protect(struct hv_model *h, uint64_t gfn)
{
	struct hv_gfn *g = hv__gfn(h, gfn, false);
	bool flushed = false;

	if (!g)
		return;
	for (guint i = 0; i < g->rmap->len; i++) {
		struct hv_link *l = &g_array_index(g->rmap, struct hv_link, i);

		if (l->sp->spt[l->idx] & PTE_RW) {
			l->sp->spt[l->idx] &= ~(PTE_RW | PTE_D);
			flushed = true;
		}
	}
	if (flushed)
		hv__flush(h, true);
}

static bool indirect(const struct hv_sp *sp)
{
	return !sp->key.role.direct && !sp->key.role.passthrough && !sp->key.role.pae_root;
}

static uint32_t new_frame(struct hv_model *h)
{
	uint32_t f;

	if (h->free_frames->len) {
		f = g_array_index(h->free_frames, uint32_t, h->free_frames->len - 1);
		g_array_set_size(h->free_frames, h->free_frames->len - 1);
		return f;
	}
	f = h->frames->len;
	g_ptr_array_add(h->frames, NULL);
	return f;
}

/*
 * The page for @k (kvm_mmu_get_page): found in the hash (recycled), or
 * allocated. A @special page is per-root and never hashed: KVM's pae_root,
 * pml4_root and pml5_root.
 */
struct hv_sp *hv__sp_get(struct hv_model *h, const struct hv_sp_key *k, bool special)
{
	struct hv_sp *sp = special ? NULL : g_hash_table_lookup(h->sps, k);

	if (sp) {
		h->st.sp_recycled++;
		return sp;
	}
	sp = g_new0(struct hv_sp, 1);
	sp->key = *k;
	sp->spt = g_new0(uint64_t, HV_SPTES);
	sp->child = g_new0(struct hv_sp *, HV_SPTES);
	sp->parents = g_array_new(FALSE, FALSE, sizeof(struct hv_link));
	sp->frame = new_frame(h);
	sp->hpa = HV_ARENA_BASE + ((uint64_t)sp->frame << 12);
	sp->special = special;
	g_ptr_array_index(h->frames, sp->frame) = sp;
	if (special) {
		h->st.special_roots_built++;
	} else {
		h->st.sp_allocated++;
		g_hash_table_insert(h->sps, &sp->key, sp);
		sp->hashed = true;
		g_queue_push_head(&h->active, sp);
		sp->lru = h->active.head;
	}
	h->st.sp_live++;
	if (h->st.sp_live > h->st.sp_live_peak)
		h->st.sp_live_peak = h->st.sp_live;
	if (indirect(sp)) {
		struct hv_gfn *g = hv__gfn(h, k->gfn, true);

		/* A guest table used at a higher level than before: its unsync
		 * leaf pages go (seed 002, "Unconditionally zap unsync SPs when
		 * creating >4k SP at GFN"). */
		for (guint i = 0; k->role.level > 1 && i < g->sps->len;) {
			struct hv_sp *o = g_ptr_array_index(g->sps, i);

			if (o->unsync)
				hv__sp_zap(h, o);
			else
				i++;
		}
		/* A new page is synced: its gfn is write-protected even if
		 * other (unsync) pages of it left it writable (KVM's
		 * kvm_mmu_get_page: account_shadowed + write_protect_gfn). */
		g_ptr_array_add(g->sps, sp);
		hv__write_protect(h, k->gfn);
	}
	return sp;
}

/* Free the memory of an unreachable page with no root references. */
void hv__sp_destroy(struct hv_model *h, struct hv_sp *sp)
{
	assert(!sp->root_count && !sp->parents->len);
	for (unsigned i = 0; i < HV_SPTES; i++)
		hv__zap_spte(h, sp, i);
	if (sp->lru)
		g_queue_delete_link(&h->active, sp->lru);
	g_ptr_array_index(h->frames, sp->frame) = NULL;
	g_array_append_val(h->free_frames, sp->frame);
	h->st.sp_live--;
	g_array_free(sp->parents, TRUE);
	g_free(sp->child);
	g_free(sp->spt);
	g_free(sp);
}

/*
 * Zap @sp (kvm_mmu_prepare_zap_page + commit): it leaves the hash and its
 * gfn's write tracking, every entry pointing to it is cleared, its own
 * entries are dropped (children stay cached, unreachable). A page held as
 * a root becomes invalid and is freed when its root is.
 */
void hv__sp_zap(struct hv_model *h, struct hv_sp *sp)
{
	if (sp->invalid)
		return;
	h->st.sp_zapped++;
	if (sp->hashed) {
		g_hash_table_remove(h->sps, &sp->key);
		sp->hashed = false;
	}
	if (indirect(sp)) {
		struct hv_gfn *g = hv__gfn(h, sp->key.gfn, false);

		g_ptr_array_remove_fast(g->sps, sp);
	}
	if (sp->unsync) {
		g_ptr_array_remove_fast(h->unsync, sp);
		sp->unsync = false;
	}
	while (sp->parents->len) {
		struct hv_link l = g_array_index(sp->parents, struct hv_link, 0);

		hv__zap_spte(h, l.sp, l.idx);
	}
	for (unsigned i = 0; i < HV_SPTES; i++)
		hv__zap_spte(h, sp, i);
	sp->invalid = true;
	hv__flush(h, true);
	if (!sp->root_count)
		hv__sp_destroy(h, sp);
}

/* Keep the page count under max_pages (make_mmu_pages_available): zap the
 * oldest pages that are not roots. */
void hv__reclaim(struct hv_model *h)
{
	GList *n = h->active.tail;

	while (h->st.sp_live >= h->max_pages && n) {
		struct hv_sp *sp = n->data;

		n = n->prev;
		if (sp->root_count)
			continue;
		h->st.sp_reclaimed++;
		hv__sp_zap(h, sp);
	}
}
