/*
 * TDX secure and shared EPT roots and MapGPA conversion (see tdx.h).
 *
 * Each root is an ordinary EPT struct pg_mmu whose tables are table
 * objects (hv/table.h) of its own struct hv_tables, built by the
 * format-driven mapper (struct pg_synth) through hv_tables_synth_alloc().
 * A conversion clears the other root's leaf with the table iterator
 * (hv_zap_range).
 */
#include "tdx.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "paging/access_ram.h"

/* The role of a root: a TDP root (a vCPU at reset: TD roots do not follow
 * the guest's registers), EPT without A/D; the secure root's tables are
 * the mirror ones (seed 001). */
static union hv_role root_role(const struct hv_tdx *t, unsigned r)
{
	const struct hv_role_regs reset = { 0 };
	const struct hv_tdp_opts o = { .level = t->synth[r].fmt->levels, .ad = false,
				       .normalise = true, .mirror = r == HV_TDX_SECURE };

	return hv_tdp_root_role(hv_cpu_role_of(&reset), &o);
}

static int tdx_alloc(void *opaque, unsigned level, uint64_t va, uint64_t entry_pa, uint64_t *pa)
{
	const struct hv_tdx_alloc *a = opaque;
	struct hv_tdx *t = a->t;
	struct hv_table *tb;
	int rc;

	rc = hv_tables_synth_alloc(&t->tables[a->r],
				   t->root[a->r] ? t->root[a->r]->key.role : root_role(t, a->r),
				   level, va, entry_pa, &tb);
	if (rc)
		return rc;
	if (entry_pa == PG_SYNTH_ROOT)
		t->root[a->r] = tb;
	*pa = tb->hpa;
	return 0;
}

/*
 * The address to hand the table builder for @gpa. pg_synth checks its input
 * as an x86 linear address (canonical, sign-extended from bit va_bits - 1),
 * but an EPT input is a zero-extended GPA: with GPAW 48 the shared bit is
 * bit 47 of a 4-level EPT, whose canonical form sets bits 63:48. Both forms
 * give the same table indices and path tags, so the tables are identical.
 * Drop this when pg_synth learns zero-extended (PG_FAMILY_EPT) inputs.
 */
static uint64_t synth_va(const struct pg_format *f, uint64_t gpa)
{
	unsigned s = 64u - f->va_bits;

	return (uint64_t)((int64_t)(gpa << s) >> s);
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int hv_tdx_init(struct hv_tdx *t, struct cpu_ram *ram, const struct hv_tdx_cfg *cfg,
		const char **why)
{
	const struct pg_format *fmt;
	uint64_t slot_bytes;
	int rc;

	memset(t, 0, sizeof(*t));
	*why = NULL;
	if (cfg->gpaw == 48) {
		fmt = &ept_fmt4;
	} else if (cfg->gpaw == 52) {
		fmt = &ept_fmt5;
	} else {
		*why = "GPAW must be 48 or 52";
		return -EINVAL;
	}
	t->gpaw = cfg->gpaw;
	t->shared_mask = BIT64(cfg->gpaw - 1);
	t->gpa_mask = GENMASK64(cfg->gpaw - 1, 0);
	t->ram = ram;
	t->slot_base = cfg->slot_base;
	t->slot_pages = cfg->slot_pages;

	slot_bytes = cfg->slot_pages << 12;
	if (cfg->slot_pages == 0 || (cfg->slot_base & 0xfff) ||
	    cfg->slot_pages > (t->shared_mask >> 12) ||
	    !cpu_ram_contains(ram, cfg->slot_base, slot_bytes)) {
		*why = "memory slot empty, misaligned, outside host RAM or reaching the shared bit";
		return -EINVAL;
	}
	if (cfg->table_bytes < PG_SYNTH_TABLE_SIZE || (cfg->table_bytes & 0xfff)) {
		*why = "table region smaller than a page or not page-sized";
		return -EINVAL;
	}
	for (unsigned r = 0; r < HV_TDX_ROOTS; r++) {
		uint64_t base = cfg->table_base[r];

		if (!cpu_ram_contains(ram, base, cfg->table_bytes) ||
		    overlap(base, cfg->table_bytes, cfg->slot_base, slot_bytes) ||
		    overlap(base, cfg->table_bytes, cfg->table_base[!r], cfg->table_bytes)) {
			*why = "EPT table region outside host RAM or overlapping";
			return -EINVAL;
		}
	}

	ept_caps_all(&t->caps);
	t->caps.maxphyaddr = 52;
	t->caps.ad = false; /* EPTP.AD=0: walks make no A/D writes */
	for (unsigned r = 0; r < HV_TDX_ROOTS; r++) {
		uint64_t eptp;

		t->alloc[r] = (struct hv_tdx_alloc){ t, r };
		t->synth[r].fmt = fmt; /* root_role() reads it before the root exists */
		rc = hv_tables_init(&t->tables[r], ram, fmt, cfg->table_base[r], cfg->table_bytes);
		if (!rc)
			rc = pg_synth_init_alloc(&t->synth[r], ram, fmt, tdx_alloc, &t->alloc[r]);
		if (rc) {
			*why = "cannot allocate an EPT root table";
			return rc;
		}
		eptp = t->synth[r].root | ((uint64_t)(fmt->levels - 1u) << EPTP_PWL_SHIFT) |
		       HV_TDX_MT_WB;
		rc = ept_mmu_init(&t->ept[r], eptp, &t->caps, false, why);
		if (rc)
			return rc;
	}
	t->shared = g_try_new0(uint64_t, (cfg->slot_pages + 63) / 64);
	if (!t->shared) {
		*why = "out of memory";
		return -ENOMEM;
	}
	return 0;
}

void hv_tdx_destroy(struct hv_tdx *t)
{
	g_free(t->shared);
	t->shared = NULL;
	for (unsigned r = 0; r < HV_TDX_ROOTS; r++)
		hv_tables_destroy(&t->tables[r]);
}

bool hv_tdx_is_shared(const struct hv_tdx *t, uint64_t gfn)
{
	assert(gfn < t->slot_pages);
	return (t->shared[gfn / 64] >> (gfn % 64)) & 1;
}

static void set_shared(struct hv_tdx *t, uint64_t gfn, bool shared)
{
	if (shared)
		t->shared[gfn / 64] |= BIT64(gfn % 64);
	else
		t->shared[gfn / 64] &= ~BIT64(gfn % 64);
}

static const struct pg_mmu *tdx_select(void *opaque, uint64_t gpa, uint64_t *walk_gpa)
{
	struct hv_tdx *t = opaque;

	if (gpa & ~t->gpa_mask)
		return NULL;
	/* Both roots are walked with the GPA as it came: the shared EPT's
	 * PML4/PML5 index includes the shared bit. */
	*walk_gpa = gpa;
	return &t->ept[hv_tdx_gpa_shared(t, gpa) ? HV_TDX_SHARED : HV_TDX_SECURE];
}

void hv_tdx_host(struct hv_tdx *t, struct pg_host *h)
{
	memset(h, 0, sizeof(*h));
	h->mmu = &t->ept[HV_TDX_SECURE];
	h->select = tdx_select;
	h->opaque = t;
	pg_ram_accessor(&h->mem, t->ram);
}

int hv_tdx_map(struct hv_tdx *t, uint64_t gfn)
{
	bool shared;
	enum hv_tdx_root r;
	int rc;

	if (gfn >= t->slot_pages)
		return -ERANGE;
	shared = hv_tdx_is_shared(t, gfn);
	r = shared ? HV_TDX_SHARED : HV_TDX_SECURE;
	/* Room for every table a 4 KiB mapping may need (all levels but the
	 * leaf's), so that a full region never leaves a mapping half made. */
	if (hv_tables_room(&t->tables[r]) < t->synth[r].fmt->levels - 1u)
		return -ENOSPC;
	rc = pg_synth_map(&t->synth[r], synth_va(t->synth[r].fmt, hv_tdx_alias(t, gfn, shared)),
			  hv_tdx_hpa(t, gfn), 4096, HV_TDX_LEAF, HV_TDX_TABLE);
	if (rc)
		return rc;
	t->stats.maps++;
	return 0;
}

/*
 * Clear the leaf for @alias_gpa in root @r, if there is one. Returns the
 * leaves cleared (0 or 1), or a negative errno.
 */
static int64_t zap(struct hv_tdx *t, enum hv_tdx_root r, uint64_t alias_gpa)
{
	int64_t n = hv_zap_range(&t->tables[r], t->root[r], alias_gpa, alias_gpa + 4096);

	if (n > 0) {
		pg_synth_forget_path(&t->synth[r]);
		t->stats.zapped += (uint64_t)n;
	}
	return n;
}

int hv_tdx_convert(struct hv_tdx *t, uint64_t gpa, uint64_t size, bool to_shared)
{
	uint64_t first, n;

	if ((gpa | size) & 0xfff || size == 0 || gpa + size < gpa)
		return -EINVAL;
	if (gpa & t->shared_mask || (gpa + size - 1) & ~t->gpa_mask)
		return -EINVAL;
	first = gpa >> 12;
	n = size >> 12;
	if (first >= t->slot_pages || n > t->slot_pages - first)
		return -ERANGE;

	for (uint64_t gfn = first; gfn < first + n; gfn++) {
		bool from_shared = hv_tdx_is_shared(t, gfn);
		uint64_t old_alias = hv_tdx_alias(t, gfn, from_shared);
		int64_t zapped;
		int rc;

		if (from_shared == to_shared)
			continue;
		zapped = zap(t, from_shared ? HV_TDX_SHARED : HV_TDX_SECURE, old_alias);
		if (zapped < 0)
			return (int)zapped;
		if (zapped > 0) {
			t->stats.flushes++;
			t->stats.cycles += HV_TDX_COST_FLUSH;
			if (t->flush)
				t->flush(t->flush_opaque, old_alias);
		}
		set_shared(t, gfn, to_shared);
		t->stats.conversions++;
		t->stats.cycles += HV_TDX_COST_CONVERT;
		rc = hv_tdx_map(t, gfn);
		if (rc)
			return rc;
	}
	return 0;
}

int hv_tdx_map_gpa(struct hv_tdx *t, uint64_t gpa, uint64_t size)
{
	return hv_tdx_convert(t, gpa & ~t->shared_mask, size, hv_tdx_gpa_shared(t, gpa));
}
